/**
 * The lenient decoding rules both editions share (src/core/decode.ts and the
 * payload tables of src/core/decodeSchemas.ts), as plain functions, with a
 * secret wrapper of the test's own: the core knows no `Redacted`.
 */
import { assert, describe, it } from "vitest"
import * as D from "../../src/core/decode.js"
import * as P from "../../src/core/decodeSchemas.js"
import { Box, opaqueSecret, secret, secrets } from "./box.js"

const failed = (value: unknown): value is D.Failure => value instanceof D.Failure

describe("core/decode values", () => {
  it("a number: finite numbers, numeric strings (XML attributes), booleans as 0/1; blank or other is not", () => {
    for (const [sent, expected] of [
      [12, 12],
      [-1.5, -1.5],
      ["12", 12],
      [" 7 ", 7],
      ["1e3", 1000],
      [true, 1],
      [false, 0]
    ] as const) {
      assert.strictEqual(D.decodeNum(sent), expected, `${JSON.stringify(sent)}`)
    }
    for (const sent of ["", " ", "abc", "12px", Number.NaN, Infinity, null, undefined, {}, [], [1]]) {
      assert.isTrue(failed(D.decodeNum(sent)), `${String(sent)}`)
    }
  })

  it("a boolean: true/false, 1/0, '1'/'0', 'true'/'false'; anything else is not", () => {
    for (const sent of [true, 1, "1", "true"]) assert.strictEqual(D.decodeBool(sent), true)
    for (const sent of [false, 0, "0", "false"]) assert.strictEqual(D.decodeBool(sent), false)
    for (const sent of [2, -1, "yes", "TRUE", "", null, undefined, {}]) {
      assert.isTrue(failed(D.decodeBool(sent)), `${String(sent)}`)
    }
  })

  it("a string id: a string, or a finite number written as one", () => {
    assert.strictEqual(D.decodeStr("abc"), "abc")
    assert.strictEqual(D.decodeStr(""), "")
    assert.strictEqual(D.decodeStr(48120377), "48120377")
    for (const sent of [Number.NaN, Infinity, null, true, {}]) assert.isTrue(failed(D.decodeStr(sent)))
  })

  it("a token: visible ASCII only (it travels as a header), hidden as decoded, revealed as encoded", () => {
    const decoded = secret.decode("abc-DEF_123.~")
    assert.instanceOf(decoded, Box)
    assert.strictEqual(D.encode(secret, decoded as Box), "abc-DEF_123.~")
    for (const sent of ["", "a b", "a\r\nX-Injected: 1", "tök", "a\tb", 12, null]) {
      assert.isTrue(failed(secret.decode(sent)), JSON.stringify(sent))
    }
    // A service's secret is never a header: any non-empty string.
    assert.instanceOf(opaqueSecret.decode("has spaces, ünïcode"), Box)
    assert.isTrue(failed(opaqueSecret.decode("")))
  })

  it("lists: invalid elements dropped; a single object is a one-element list; anything else empty", () => {
    const list = D.lenientArray(D.string)
    assert.deepStrictEqual(list.decode(["a", 1, null, "b"]), ["a", "b"])
    const connections = D.lenientArray(D.struct({ uri: D.string }, secrets))
    assert.deepStrictEqual(connections.decode({ uri: "x" }), [{ uri: "x" }])
    assert.deepStrictEqual(list.decode("a"), [])
    assert.deepStrictEqual(list.decode(null), [])
    // `items` needs a list.
    assert.isTrue(failed(D.items(D.string).decode({ a: 1 })))
    assert.deepStrictEqual(D.items(D.num).decode(["1", "x", 2]), [1, 2])
  })

  it("firstOf reads a one-element array as its element; union takes the first member that decodes", () => {
    const device = D.firstOf(D.struct({ clientIdentifier: D.str }, secrets))
    assert.deepStrictEqual(device.decode([{ clientIdentifier: 1 }]), { clientIdentifier: "1" })
    assert.deepStrictEqual(device.decode({ clientIdentifier: "a" }), { clientIdentifier: "a" })
    assert.isTrue(failed(device.decode([])))
    const either = D.union<number | string>([D.num, D.string] as ReadonlyArray<D.Codec<any>>)
    assert.strictEqual(either.decode("12"), 12)
    assert.strictEqual(either.decode("x"), "x")
    assert.isTrue(failed(either.decode(null)))
  })
})

describe("core/decode structs", () => {
  const account = D.struct(
    {
      id: D.num,
      title: D.str,
      email: D.optional(D.string),
      home: D.withDefault(D.bool, false),
      roles: D.array(D.string),
      connections: D.array(D.struct({ uri: D.string }, secrets), { fromKey: "Connection" }),
      profile: D.optional(D.struct({ locale: D.string }, secrets))
    },
    secrets
  )

  it("requires what it must: a missing or malformed required field fails, pointing at it", () => {
    const missing = account.decode({ title: "t" })
    assert.isTrue(failed(missing))
    assert.deepStrictEqual((missing as D.Failure).path, ["id"])
    assert.isTrue((missing as D.Failure).missing)
    const malformed = account.decode({ id: "seven", title: "t" })
    assert.deepStrictEqual((malformed as D.Failure).path, ["id"])
    assert.isFalse((malformed as D.Failure).missing)
    const nested = D.struct({ MediaContainer: D.struct({ token: secret }, secrets) }, secrets)
    const deep = nested.decode({ MediaContainer: {} })
    assert.deepStrictEqual((deep as D.Failure).path, ["MediaContainer", "token"])
    assert.isTrue(failed(account.decode(null)))
    assert.isTrue(failed(account.decode([])))
  })

  it("optional fields of an unexpected shape are absent, defaults and lists filled, wire names renamed", () => {
    const decoded = account.decode({
      id: "7",
      title: 7,
      email: 42,
      home: "maybe",
      roles: "admin",
      Connection: { uri: "http://x" },
      profile: "compact"
    })
    assert.deepStrictEqual(decoded, {
      id: 7,
      title: "7",
      home: false,
      roles: [],
      connections: [{ uri: "http://x" }]
    })
    // Encoding gives the wire names back.
    assert.deepStrictEqual(D.encode(account, decoded as never), {
      id: 7,
      title: "7",
      home: false,
      roles: [],
      Connection: [{ uri: "http://x" }]
    })
  })

  it("unknown fields are kept; secret-like ones hidden at any depth, revealed by encoding", () => {
    const payload = {
      id: 1,
      title: "t",
      platform: "Vision Pro",
      pin: "5f4dcc3b",
      authentication_token: "tok-value-1",
      linked: [
        {
          provider: "x",
          refreshToken: "refresh-value-2",
          nested: { PASSWORD: "pw-value-3", client_secret: null, passwd: true }
        }
      ]
    }
    const decoded = account.decode(payload) as Record<string, unknown>
    assert.strictEqual(decoded["platform"], "Vision Pro")
    assert.instanceOf(decoded["pin"], Box)
    assert.instanceOf(decoded["authentication_token"], Box)
    const linked = decoded["linked"] as ReadonlyArray<Record<string, unknown>>
    assert.strictEqual(linked[0]!["provider"], "x")
    assert.instanceOf(linked[0]!["refreshToken"], Box)
    const inner = linked[0]!["nested"] as Record<string, unknown>
    assert.instanceOf(inner["PASSWORD"], Box)
    // null and booleans hide nothing.
    assert.strictEqual(inner["client_secret"], null)
    assert.strictEqual(inner["passwd"], true)
    const text = JSON.stringify(decoded)
    for (const secretValue of ["5f4dcc3b", "tok-value-1", "refresh-value-2", "pw-value-3"])
      assert.notInclude(text, secretValue)
    assert.deepStrictEqual(D.encode(account, decoded as never), {
      ...payload,
      home: false,
      roles: [],
      Connection: []
    })
    // The input is not changed.
    assert.strictEqual(payload.pin, "5f4dcc3b")
  })

  it("which keys look secret", () => {
    for (const key of [
      "pin",
      "PIN",
      "authToken",
      "auth_token",
      "refreshToken",
      "client_secret",
      "password",
      "passwd"
    ]) {
      assert.isTrue(D.isSecretKey(key), key)
    }
    for (const key of ["pinned", "spin", "title", "passcode", "username", "uuid"])
      assert.isFalse(D.isSecretKey(key), key)
  })

  it("keys naming Object.prototype members are dropped at any depth; __proto__ stays an own property", () => {
    const payload = JSON.parse(
      '{"id":1,"title":"t","toString":1,"kept":{"valueOf":2,"fine":true},"__proto__":{"polluted":true}}'
    ) as unknown
    const decoded = account.decode(payload) as Record<string, unknown>
    assert.isFalse(Object.prototype.hasOwnProperty.call(decoded, "toString"))
    assert.deepStrictEqual(decoded["kept"], { fine: true })
    assert.isTrue(Object.prototype.hasOwnProperty.call(decoded, "__proto__"))
    assert.strictEqual(Object.getPrototypeOf(decoded), Object.prototype)
    assert.isUndefined((decoded as { polluted?: unknown }).polluted)
    assert.strictEqual(String(decoded), "[object Object]")
  })

  it(`unknown data nesting deeper than ${D.maxUnknownDepth} levels is dropped; up to it, kept`, () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)])
    const kept = account.decode({ id: 1, title: "t", deep: nest(D.maxUnknownDepth - 1) }) as Record<
      string,
      unknown
    >
    assert.isTrue(Object.prototype.hasOwnProperty.call(kept, "deep"))
    const dropped = account.decode({
      id: 1,
      title: "t",
      deep: nest(D.maxUnknownDepth + 1),
      other: 1
    }) as Record<string, unknown>
    assert.isFalse(Object.prototype.hasOwnProperty.call(dropped, "deep"))
    assert.strictEqual(dropped["other"], 1)
  })

  it("the JSON Schema says what is required, what else is known (wire names), and that more is allowed", () => {
    assert.deepStrictEqual(D.jsonSchemaOf(account)["required"], ["id", "title"])
    assert.hasAllKeys(D.jsonSchemaOf(account)["properties"], [
      "id",
      "title",
      "email",
      "home",
      "roles",
      "Connection",
      "profile"
    ])
    assert.strictEqual(D.jsonSchemaOf(account)["additionalProperties"], true)
  })

  it("the canonical samples: a required codec or a field with a fallback is always there, an optional one may not be", () => {
    // What both editions' Arbitrary (Effect 3) and sample schema (Effect 4) are built from: each property under its
    // wire name, required when decoding always yields it (a required codec; withDefault and array fall back).
    const struct = D.sampleOf(account)
    assert.deepStrictEqual(
      struct._tag === "Struct" &&
        struct.fields.map((field) => [field.key, field.required, field.sample._tag]),
      [
        ["id", true, "OneOf"],
        ["title", true, "String"],
        ["email", false, "String"],
        ["home", true, "Boolean"],
        ["roles", true, "Array"],
        ["Connection", true, "Array"],
        ["profile", false, "Struct"]
      ]
    )
    // Decoded, a payload without its optional properties has the fallbacks, under their own keys.
    assert.deepStrictEqual(account.decode({ id: 1, title: "t" }), {
      id: 1,
      title: "t",
      home: false,
      roles: [],
      connections: []
    })
  })
})

describe("core/decodeSchemas payload tables", () => {
  const profile = D.struct(P.userProfileFields(), secrets)
  const subscription = D.struct(P.subscriptionFields(), secrets)
  const service = D.struct(P.accountServiceFields(secret, opaqueSecret), secrets)
  const nested = { profile, subscription, service }
  const account = D.struct(P.accountFields(D.optional(secret), nested), secrets)
  const signedIn = D.struct(P.accountFields(secret, nested), secrets)

  it("an account requires id, uuid and title (username is empty when missing); a signed-in account its token too", () => {
    assert.deepStrictEqual(D.jsonSchemaOf(account)["required"], ["id", "uuid", "title"])
    assert.deepStrictEqual(D.jsonSchemaOf(signedIn)["required"], ["id", "uuid", "title", "authToken"])
    assert.strictEqual(
      (account.decode({ id: 1, uuid: "u", title: "t", username: null }) as { username: string }).username,
      ""
    )
    const required = { id: "1", uuid: 2, username: "u", title: "t" }
    assert.deepStrictEqual(account.decode(required), {
      id: 1,
      uuid: "2",
      username: "u",
      title: "t",
      roles: [],
      entitlements: [],
      subscriptions: [],
      services: []
    })
    assert.isTrue(failed(signedIn.decode(required)))
    assert.instanceOf(
      (signedIn.decode({ ...required, authToken: "tok" }) as { authToken: unknown }).authToken,
      Box
    )
  })

  it("a service's token and secret are secrets; its identifier is required", () => {
    const decoded = service.decode({ identifier: 3, token: "t", secret: "s p" }) as Record<string, unknown>
    assert.instanceOf(decoded["token"], Box)
    assert.instanceOf(decoded["secret"], Box)
    assert.strictEqual(decoded["identifier"], "3")
    assert.isTrue(failed(service.decode({ token: "t" })))
  })

  it("a source's connections come from Plex's `Connection`, its Device also as a one-element array", () => {
    const connection = D.struct(P.connectionFields(), secrets)
    const source = D.struct(P.sourceConnectionInformationFields(secret, connection), secrets)
    const body = D.struct(P.mediaContainerFields(D.struct(P.deviceContainerFields(source), secrets)), secrets)
    const decoded = body.decode({
      MediaContainer: {
        Device: [{ clientIdentifier: "c", Connection: { uri: "u", local: "1", port: "32400" } }]
      }
    }) as { MediaContainer: { Device: { connections: unknown } } }
    assert.deepStrictEqual(decoded.MediaContainer.Device.connections, [
      { uri: "u", local: true, port: 32400 }
    ])
    const token = D.struct(P.mediaContainerFields(D.struct(P.transientTokenFields(secret), secrets)), secrets)
    assert.isTrue(failed(token.decode({ MediaContainer: { token: "" } })))
  })
})
