/**
 * The lenient payload schemas against drifted payloads: what Plex has been
 * seen to send (and the generated SDKs choked on), and the two spec eras.
 */
import { inspect } from "node:util"
import { assert, describe } from "@effect/vitest"
import { Arbitrary, Effect, Either, FastCheck as fc, JSONSchema, Logger, Redacted, Schema } from "effect"
import { PlexAuth, Schemas } from "effect-plex-auth"
import { it } from "./support/it.js"
import account2025 from "./fixtures/account-2025-08.json" with { type: "json" }
import account2026 from "./fixtures/account-2026-02.json" with { type: "json" }
import resources from "./fixtures/security-resources-2026-02.json" with { type: "json" }
import { env } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"

const preserve = { onExcessProperty: "preserve" } as const
const decodeAccount = Schema.decodeUnknownSync(Schemas.Account, preserve)
const decodeSignedIn = Schema.decodeUnknownEither(Schemas.SignedInAccount, preserve)
const decodeSource = Schema.decodeUnknownEither(Schemas.SourceConnectionInformationResponse, preserve)

const required = { id: 7, uuid: "u-7", username: "seven", title: "Seven" }
const withProfile = (profile: unknown) => decodeAccount({ ...required, profile }).profile
const extra = (value: object, key: string): unknown => (value as Record<string, unknown>)[key]

describe("the 2025-08 and 2026-02 account shapes", () => {
  it("decodes the 2025-08 payload with every known field", () => {
    const account = decodeAccount(account2025)
    assert.strictEqual(account.id, 48120377)
    assert.strictEqual(account.uuid, "c2b1e6f04d9a7e31")
    assert.strictEqual(account.email, "ada@example.org")
    assert.isUndefined(account.locale, "null locale is absent")
    assert.strictEqual(account.joinedAt, 1565814822)
    assert.isTrue(account.twoFactorEnabled)
    assert.isTrue(account.homeAdmin)
    assert.strictEqual(account.homeSize, 3)
    assert.isUndefined(account.anonymous, "null anonymous is absent")
    assert.deepStrictEqual(account.roles, ["plexpass"])
    assert.deepStrictEqual(account.entitlements, account2025.entitlements)
    assert.deepStrictEqual(account.profile, {
      autoSelectAudio: true,
      defaultAudioLanguage: "en",
      defaultSubtitleLanguage: "en",
      autoSelectSubtitle: 1,
      defaultSubtitleAccessibility: 0,
      defaultSubtitleForced: 1,
      watchedIndicator: 1,
      mediaReviewsVisibility: 0
    })
    assert.strictEqual(account.subscription?.active, true)
    assert.strictEqual(account.subscription?.plan, "monthly")
    assert.deepStrictEqual(account.subscription?.features, account2025.subscription.features)
    assert.strictEqual(account.subscriptions.length, 1)
    assert.deepStrictEqual(
      account.services.map((s) => [s.identifier, s.status, s.token && Redacted.value(s.token), s.secret]),
      [
        ["metadata-dev", "online", "svcTok-2025-Qw7eR9tY", undefined],
        ["epg", "offline", undefined, undefined]
      ]
    )
    assert.strictEqual(account.authToken && Redacted.value(account.authToken), account2025.authToken)
    // Fields the schema does not model are kept as they came.
    assert.deepStrictEqual(extra(account, "pastSubscriptions"), account2025.pastSubscriptions)
    assert.deepStrictEqual(extra(account, "trials"), [])
    assert.strictEqual(extra(account, "adsConsent"), null)
    assert.strictEqual(extra(account, "backupCodesCreated"), true)
    // The account's PIN hash is not modelled, and is a secret all the same.
    const pin = extra(account, "pin")
    assert.isTrue(Redacted.isRedacted(pin))
    assert.strictEqual(Redacted.value(pin as Redacted.Redacted), account2025.pin)
  })

  it("decodes the 2026-02 payload (new enum values, 0-3 preferences, language lists)", () => {
    const account = decodeAccount(account2026)
    assert.strictEqual(account.locale, "en-GB")
    assert.strictEqual(account.mailingListStatus, "removed")
    assert.isUndefined(account.subscriptionDescription)
    assert.deepStrictEqual(account.profile, {
      autoSelectAudio: true,
      defaultAudioLanguage: "de",
      defaultAudioAccessibility: 3,
      defaultAudioLanguages: ["de", "en"],
      defaultSubtitleLanguage: "en",
      autoSelectSubtitle: 2,
      defaultSubtitleAccessibility: 2,
      defaultSubtitleForced: 3,
      watchedIndicator: 3,
      mediaReviewsVisibility: 2,
      mediaReviewsLanguages: ["de"]
    })
    assert.deepStrictEqual(account.subscription, {
      active: false,
      status: "Inactive",
      features: account2026.subscription.features
    })
    const [service] = account.services
    assert.strictEqual(service?.secret && Redacted.value(service.secret), "svcSecret-2026-Mn4bV6cX")
    assert.deepStrictEqual(extra(account, "jwtDeviceKeys"), account2026.jwtDeviceKeys)
    assert.strictEqual(extra(account, "privacyConsentVersion"), "2025-11")
  })

  for (const [era, fixture] of [
    ["2025-08", account2025],
    ["2026-02", account2026]
  ] as const) {
    it(`the ${era} payload decodes as a SignedInAccount with its token Redacted`, () => {
      const result = decodeSignedIn(fixture)
      assert.isTrue(Either.isRight(result))
      const account = Either.getOrThrow(result)
      assert.isTrue(Redacted.isRedacted(account.authToken))
      assert.notInclude(JSON.stringify(account), fixture.authToken)
      assert.notInclude(String(account.authToken), fixture.authToken)
    })

    it.effect(`getTokenDetails decodes the ${era} payload end to end, extras kept`, () =>
      Effect.gen(function* () {
        const account = yield* PlexAuth.getTokenDetails()
        assert.strictEqual(account.username, "ada_watches")
        assert.deepStrictEqual(extra(account, "trials"), [])
      }).pipe(Effect.provide(env(() => MockHttp.json(200, fixture))))
    )
  }
})

describe("drift: fields added, dropped, nulled or reshaped", () => {
  it("only id, uuid and title are required; a username Plex does not send is empty", () => {
    const account = decodeAccount(required)
    assert.deepStrictEqual(account, {
      ...required,
      roles: [],
      entitlements: [],
      subscriptions: [],
      services: []
    })
    for (const key of ["id", "uuid", "title"]) {
      const { [key]: _dropped, ...rest } = required as Record<string, unknown>
      assert.throws(() => decodeAccount(rest), /./, `without ${key}`)
      assert.throws(() => decodeAccount({ ...rest, [key]: null }), /./, `with ${key} null`)
    }
    // A managed Home user has no user name (plex.tv's home user list says `null`): switching to one, or reading
    // its account, must not fail on it.
    const { username: _none, ...managed } = required
    assert.strictEqual(decodeAccount(managed).username, "")
    assert.strictEqual(decodeAccount({ ...managed, username: null }).username, "")
  })

  it("numbers sent as numeric strings and ids as numbers are read", () => {
    const account = decodeAccount({ id: "48120377", uuid: 123, username: "x", title: "y", homeSize: "2" })
    assert.strictEqual(account.id, 48120377)
    assert.strictEqual(account.uuid, "123")
    assert.strictEqual(account.homeSize, 2)
  })

  it("every optional field may be null: it is absent, arrays are empty", () => {
    const nulls = Object.fromEntries(
      [
        "authToken",
        "email",
        "friendlyName",
        "thumb",
        "locale",
        "country",
        "joinedAt",
        "rememberExpiresAt",
        "twoFactorEnabled",
        "hasPassword",
        "confirmed",
        "home",
        "homeAdmin",
        "homeSize",
        "mailingListStatus",
        "subscriptionDescription",
        "attributionPartner",
        "profile",
        "subscription",
        "roles",
        "entitlements",
        "subscriptions",
        "services"
      ].map((k) => [k, null])
    )
    const account = decodeAccount({ ...required, ...nulls })
    assert.deepStrictEqual(account, {
      ...required,
      roles: [],
      entitlements: [],
      subscriptions: [],
      services: []
    })
  })

  it("an optional field with an unexpected shape is treated as absent", () => {
    const account = decodeAccount({
      ...required,
      email: 42,
      joinedAt: "last tuesday",
      twoFactorEnabled: "maybe",
      profile: "compact",
      subscription: ["not", "an", "object"],
      thumb: { url: "x" },
      authToken: ""
    })
    assert.isUndefined(account.email)
    assert.isUndefined(account.joinedAt)
    assert.isUndefined(account.twoFactorEnabled)
    assert.isUndefined(account.profile)
    assert.isUndefined(account.subscription)
    assert.isUndefined(account.thumb)
    assert.isUndefined(account.authToken)
  })

  it("profile flags as booleans, numbers, and '0'/'1' strings all decode", () => {
    for (const [sent, expected] of [
      [true, true],
      [1, true],
      ["1", true],
      ["true", true],
      [false, false],
      [0, false],
      ["0", false],
      ["false", false]
    ] as const) {
      assert.strictEqual(
        withProfile({ autoSelectAudio: sent })?.autoSelectAudio,
        expected,
        `autoSelectAudio ${sent}`
      )
    }
    const numeric = withProfile({
      autoSelectSubtitle: "1",
      defaultSubtitleAccessibility: 0,
      defaultSubtitleForced: "3",
      watchedIndicator: "0",
      mediaReviewsVisibility: 1
    })
    assert.deepStrictEqual(numeric, {
      autoSelectSubtitle: 1,
      defaultSubtitleAccessibility: 0,
      defaultSubtitleForced: 3,
      watchedIndicator: 0,
      mediaReviewsVisibility: 1
    })
  })

  it("a subtitle preference of 2 (outside the old 0/1 enum) is kept", () => {
    assert.strictEqual(withProfile({ autoSelectSubtitle: 2 })?.autoSelectSubtitle, 2)
    assert.strictEqual(withProfile({ autoSelectSubtitle: "2" })?.autoSelectSubtitle, 2)
  })

  it("a preference of an unknown kind drops only that preference", () => {
    const profile = withProfile({
      watchedIndicator: { mode: 1 },
      autoSelectSubtitle: "always",
      defaultAudioLanguage: "fr"
    })
    assert.deepStrictEqual(profile, { defaultAudioLanguage: "fr" })
  })

  it("a numeric preference sent as a boolean is kept as 0 or 1", () => {
    assert.strictEqual(withProfile({ watchedIndicator: true })?.watchedIndicator, 1)
    assert.strictEqual(withProfile({ mediaReviewsVisibility: false })?.mediaReviewsVisibility, 0)
  })

  it("new enum-like values (platform, status, mailing list) are plain strings, never a failure", () => {
    const account = decodeAccount({
      ...required,
      mailingListStatus: "pending-double-opt-in",
      subscription: { status: "Lapsed", paymentService: "some-new-store", plan: "lifetime-2026" },
      services: [{ identifier: "metadata", status: "degraded", endpoint: "https://x.example" }],
      platform: "Plex for Vision Pro"
    })
    assert.strictEqual(account.mailingListStatus, "pending-double-opt-in")
    assert.strictEqual(account.subscription?.status, "Lapsed")
    assert.strictEqual(account.services[0]?.status, "degraded")
    assert.strictEqual(extra(account, "platform"), "Plex for Vision Pro")
  })

  it("unknown fields are kept at every depth", () => {
    const account = decodeAccount({
      ...required,
      brandNew: { nested: [1, 2] },
      profile: { autoSelectAudio: true, brandNewPreference: 4 },
      subscription: { active: true, brandNewFlag: "x" },
      services: [{ identifier: "a", brandNewServiceField: true }]
    })
    assert.deepStrictEqual(extra(account, "brandNew"), { nested: [1, 2] })
    assert.strictEqual(extra(account.profile!, "brandNewPreference"), 4)
    assert.strictEqual(extra(account.subscription!, "brandNewFlag"), "x")
    assert.strictEqual(extra(account.services[0]!, "brandNewServiceField"), true)
  })

  it("invalid array elements are dropped, the rest kept", () => {
    const account = decodeAccount({
      ...required,
      roles: ["plexpass", 3, null, "admin"],
      services: [{ identifier: "ok" }, { endpoint: "no identifier" }, null, "x"],
      subscriptions: [{ active: true }, 7]
    })
    assert.deepStrictEqual(account.roles, ["plexpass", "admin"])
    assert.deepStrictEqual(
      account.services.map((s) => s.identifier),
      ["ok"]
    )
    assert.strictEqual(account.subscriptions.length, 1)
  })

  it("service tokens and secrets are Redacted", () => {
    const account = decodeAccount({
      ...required,
      services: [{ identifier: "a", token: "svc-tok-1", secret: "svc-sec-1" }]
    })
    const text = JSON.stringify(account)
    assert.notInclude(text, "svc-tok-1")
    assert.notInclude(text, "svc-sec-1")
    assert.strictEqual(Redacted.value(account.services[0]!.token!), "svc-tok-1")
  })
})

describe("source connection information", () => {
  const ok = (body: unknown) => Either.getOrThrow(decodeSource(body)).MediaContainer.Device

  it("decodes the 2026-02 body, keeping MediaContainer extras", () => {
    const decoded = Either.getOrThrow(decodeSource(resources))
    assert.strictEqual(extra(decoded.MediaContainer, "identifier"), "com.plexapp.system")
    assert.strictEqual(decoded.MediaContainer.Device.connections.length, 3)
  })

  it("Device as an array, Connection as one object, flags as strings", () => {
    const device = ok({
      MediaContainer: {
        Device: [
          { clientIdentifier: "abc", Connection: { uri: "http://10.0.0.2:32400", local: "1", port: "32400" } }
        ]
      }
    })
    assert.deepStrictEqual(device.connections, [{ uri: "http://10.0.0.2:32400", local: true, port: 32400 }])
  })

  it("unknown connection fields are kept; a new protocol name is accepted", () => {
    const device = ok({
      MediaContainer: {
        Device: {
          clientIdentifier: "abc",
          Connection: [{ uri: "x://y", protocol: "quic", IPv6: true, mtu: 1400 }]
        }
      }
    })
    assert.strictEqual(device.connections[0]?.protocol, "quic")
    assert.strictEqual(extra(device.connections[0]!, "mtu"), 1400)
  })

  it("an empty Device array or a missing Device does not decode (nothing to return)", () => {
    assert.isTrue(Either.isLeft(decodeSource({ MediaContainer: { Device: [] } })))
    assert.isTrue(Either.isLeft(decodeSource({ MediaContainer: {} })))
    assert.isTrue(Either.isLeft(decodeSource({})))
  })

  it("the transient token body requires a non-empty token", () => {
    const decode = Schema.decodeUnknownEither(Schemas.TransientTokenResponse)
    assert.isTrue(Either.isRight(decode({ MediaContainer: { token: "t" } })))
    assert.isTrue(Either.isLeft(decode({ MediaContainer: { token: "" } })))
    assert.isTrue(Either.isLeft(decode({ MediaContainer: { token: null } })))
    assert.isTrue(Either.isLeft(decode({ token: "t" })))
  })
})

/** A value with every `Redacted` replaced by what it hides, so two decodes can be compared. */
const revealAll = (value: unknown): unknown => {
  if (Redacted.isRedacted(value)) return { redacted: revealAll(Redacted.value(value)) }
  if (Array.isArray(value)) return value.map(revealAll)
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Reflect.ownKeys(value).map((key) => [key, revealAll((value as never)[key])]))
  }
  return value
}

/** Every schema `Schemas` exports, by name. */
const exported: ReadonlyArray<readonly [string, Schema.Schema<any, unknown>]> = Object.entries(
  Schemas
).filter(([, value]) => Schema.isSchema(value))

/** JSON with keys that are neither secret-like nor `Object.prototype` names: kept by decoding exactly. */
const plainKey = fc
  .string({ minLength: 1, maxLength: 8 })
  .filter(
    (key) =>
      !/pin|token|secret|passw|__|constructor|toString|valueOf|hasOwnProperty|prototype|Locale/i.test(key)
  )
const { json: plainJson } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
    fc.array(tie("json"), { maxLength: 3 }),
    fc.dictionary(plainKey, tie("json"), { maxKeys: 3 })
  )
}))

describe("the schemas in the Schema ecosystem", () => {
  it("JSONSchema.make and Arbitrary.make work on every exported schema", () => {
    assert.isAbove(exported.length, 8)
    for (const [name, schema] of exported) {
      const jsonSchema = JSONSchema.make(schema)
      assert.deepStrictEqual((jsonSchema as { $ref?: string }).$ref, `#/$defs/${name}`, name)
      assert.strictEqual(jsonSchema.$defs?.[name]?.["type" as never], "object", name)
      const samples = fc.sample(Arbitrary.make(schema), 20)
      for (const sample of samples) {
        const decoded = Schema.decodeUnknownSync(schema)(Schema.encodeSync(schema)(sample))
        assert.deepStrictEqual(revealAll(decoded), revealAll(sample), name)
      }
    }
  })

  it("the JSON Schema of an account says what is required, what else is known, and that more is allowed", () => {
    const { $defs } = JSONSchema.make(Schemas.Account)
    const account = $defs?.["Account"] as unknown as {
      required: ReadonlyArray<string>
      properties: Record<string, unknown>
      additionalProperties: boolean
    }
    assert.deepStrictEqual(account.required, ["id", "uuid", "title"])
    assert.includeMembers(Object.keys(account.properties), ["authToken", "email", "profile", "services"])
    assert.isTrue(account.additionalProperties)
    assert.deepStrictEqual(account.properties["authToken"], { type: "string", pattern: "^[\\x21-\\x7e]+$" })
    // The wire name of a renamed field.
    const source = JSONSchema.make(Schemas.SourceConnectionInformation).$defs?.["SourceConnectionInformation"]
    assert.property((source as unknown as { properties: object }).properties, "Connection")
  })

  it("the JSON Schema of a list of objects takes one object alone too, as decoding does (XML-to-JSON habit)", () => {
    const source = JSONSchema.make(Schemas.SourceConnectionInformation).$defs?.[
      "SourceConnectionInformation"
    ] as unknown as {
      properties: Record<string, { anyOf?: ReadonlyArray<{ type?: string; items?: unknown }> }>
    }
    // Decoded from `"Connection": {...}` (test "Device as an array, Connection as one object, flags as strings").
    const [list, single] = source.properties["Connection"]?.anyOf ?? []
    assert.strictEqual(list?.type, "array")
    assert.deepStrictEqual(single, list?.items)
    assert.strictEqual(single?.type, "object")
    // A list of strings is no list when a string comes alone: only an array.
    const { $defs } = JSONSchema.make(Schemas.Account)
    const account = $defs?.["Account"] as unknown as { properties: Record<string, unknown> }
    assert.deepStrictEqual(account.properties["roles"], { type: "array", items: { type: "string" } })
  })

  it("accounts from Arbitrary.make, with unknown fields, survive encode, JSON and decode", () => {
    const encode = Schema.encodeSync(Schemas.Account)
    const decode = Schema.decodeUnknownSync(Schemas.Account)
    fc.assert(
      fc.property(
        Arbitrary.make(Schemas.Account),
        fc.dictionary(plainKey, plainJson, { maxKeys: 4 }),
        (a, extras) => {
          const known = new Set(
            Object.keys(JSONSchema.make(Schemas.Account).$defs!["Account"]!["properties" as never])
          )
          const unknown = Object.fromEntries(Object.entries(extras).filter(([key]) => !known.has(key)))
          const account = { ...unknown, ...a }
          const encoded = encode(account)
          assert.deepStrictEqual(revealAll(decode(encoded)), revealAll(account))
          // Through JSON text, as it travels: the same payload again.
          const text = JSON.stringify(encoded)
          assert.strictEqual(JSON.stringify(encode(decode(JSON.parse(text)))), text)
        }
      ),
      { numRuns: 200 }
    )
  })

  it("signed-in accounts from Arbitrary.make always carry a Redacted token", () => {
    fc.assert(
      fc.property(Arbitrary.make(Schemas.SignedInAccount), (account) => {
        assert.isTrue(Redacted.isRedacted(account.authToken))
        const encoded = Schema.encodeSync(Schemas.SignedInAccount)(account) as { authToken: unknown }
        assert.strictEqual(encoded.authToken, Redacted.value(account.authToken))
      }),
      { numRuns: 50 }
    )
  })
})

/** What a `Logger.json` line of `value` reads: the same formatter, written to a list. */
const jsonLogLine = (value: unknown) => {
  const lines: Array<string> = []
  const logger = Logger.map(Logger.jsonLogger, (line) => lines.push(line))
  return Effect.log(value).pipe(
    Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
    Effect.map(() => lines.join("\n"))
  )
}

describe("unknown data never leaks a secret nor breaks rendering", () => {
  const secrets = {
    authentication_token: "unmodelled-tok-1",
    pin: "5f4dcc3b5aa765d61d8327deb882cf99",
    client_secret: "unmodelled-sec-2",
    password: "unmodelled-pw-3",
    linkedAccounts: [{ provider: "x", refreshToken: "unmodelled-refresh-4", nested: { PASSWORD: "pw-5" } }]
  }
  const hidden = [
    "unmodelled-tok-1",
    "5f4dcc3b5aa765d61d8327deb882cf99",
    "unmodelled-sec-2",
    "unmodelled-pw-3"
  ]
  const allHidden = [...hidden, "unmodelled-refresh-4", "pw-5"]

  it.effect(
    "secret-like fields the schema does not model are Redacted, at any depth; encoding reveals them",
    () =>
      Effect.gen(function* () {
        const payload = { ...required, ...secrets }
        const account = decodeAccount(payload)
        for (const rendered of [
          JSON.stringify(account),
          inspect(account, { depth: null }),
          String(account),
          yield* jsonLogLine(account)
        ]) {
          for (const secret of allHidden) assert.notInclude(rendered, secret)
        }
        assert.isTrue(Redacted.isRedacted(extra(account, "authentication_token")))
        const linked = extra(account, "linkedAccounts") as ReadonlyArray<Record<string, unknown>>
        assert.strictEqual(linked[0]!["provider"], "x")
        assert.isTrue(Redacted.isRedacted(linked[0]!["refreshToken"]))
        // Nothing is lost: the payload encodes back as it came.
        assert.deepStrictEqual(Schema.encodeSync(Schemas.Account)(account), {
          ...payload,
          roles: [],
          entitlements: [],
          subscriptions: [],
          services: []
        })
      })
  )

  it.effect("an operation's answer hides them too", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.getTokenDetails()
      const rendered = JSON.stringify(account) + inspect(account, { depth: null })
      for (const secret of [...hidden, account2025.authToken]) assert.notInclude(rendered, secret)
    }).pipe(Effect.provide(env(() => MockHttp.json(200, { ...account2025, ...secrets }))))
  )

  it("keys named for Object.prototype members are dropped, at any depth: String(account) works", () => {
    const payload: unknown = JSON.parse(
      JSON.stringify({
        ...required,
        toString: 1,
        valueOf: "x",
        hasOwnProperty: null,
        constructor: { a: 1 },
        kept: { toString: [1], toLocaleString: 2, fine: true },
        profile: { valueOf: 3, autoSelectAudio: true }
      })
    )
    const account = decodeAccount(payload)
    assert.strictEqual(String(account), "[object Object]")
    assert.strictEqual(`${account.profile}`, "[object Object]")
    assert.isTrue(Object.prototype.hasOwnProperty.call(account, "id"))
    for (const key of ["toString", "valueOf", "hasOwnProperty", "constructor"]) {
      assert.isFalse(Object.prototype.hasOwnProperty.call(account, key), key)
    }
    assert.deepStrictEqual(extra(account, "kept"), { fine: true })
    assert.strictEqual(String(extra(account, "kept")), "[object Object]")
    assert.deepStrictEqual(account.profile, { autoSelectAudio: true })
  })

  it.effect(
    "100,000 levels of nesting in an unknown field: dropped, the rest kept, every rendering works",
    () =>
      Effect.gen(function* () {
        const depth = 100_000
        const text = `{"id":7,"uuid":"u-7","username":"seven","title":"Seven","kept":{"a":[1]},"deep":${"[".repeat(depth)}${"]".repeat(depth)},"deepObject":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`
        const account = decodeAccount(JSON.parse(text))
        assert.isFalse(Object.prototype.hasOwnProperty.call(account, "deep"))
        assert.isFalse(Object.prototype.hasOwnProperty.call(account, "deepObject"))
        assert.deepStrictEqual(extra(account, "kept"), { a: [1] })
        assert.include(JSON.stringify(account), '"username":"seven"')
        assert.include(inspect(account), "seven")
        assert.include(yield* jsonLogLine(account), "seven")
        // Nesting up to the limit is kept.
        const shallow = decodeAccount({ ...required, nest: JSON.parse(`${"[".repeat(30)}${"]".repeat(30)}`) })
        assert.isTrue(Object.prototype.hasOwnProperty.call(shallow, "nest"))
      })
  )
})
