/**
 * The lenient payload schemas of the Effect 4 edition against drifted
 * payloads: what Plex has been seen to send (and the generated SDKs choked
 * on), and the two spec eras. Mirrors test/Schemas.test.ts of the Effect 3
 * edition; the decoding rules are the shared core's (src/core/decode.ts).
 */
import { inspect } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import account2025 from "../../test/fixtures/account-2025-08.json" with { type: "json" }
import account2026 from "../../test/fixtures/account-2026-02.json" with { type: "json" }
import resources from "../../test/fixtures/security-resources-2026-02.json" with { type: "json" }
import token from "../../test/fixtures/security-token-2026-02.json" with { type: "json" }
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as L from "../src/internal/lenient.js"
import * as Schemas from "../src/Schemas.js"
import { identityLayer } from "./support.js"

const decodeAccount = Schema.decodeUnknownSync(Schemas.Account)
const decodeSignedIn = Schema.decodeUnknownResult(Schemas.SignedInAccount)
const decodeSource = Schema.decodeUnknownResult(Schemas.SourceConnectionInformationResponse)

/** An operation's environment whose plex.tv answers every request with `body` as JSON. */
const answering = (body: unknown) =>
  Layer.mergeAll(identityLayer, Credentials.layer("schemas-test-token-1").pipe(Layer.orDie)).pipe(
    Layer.provideMerge(
      FetchHttpClient.layer.pipe(
        Layer.provide(Layer.succeed(FetchHttpClient.Fetch, async () => Response.json(body)))
      )
    )
  )

const required = { id: 7, uuid: "u-7", username: "seven", title: "Seven" }
const withProfile = (profile: unknown) => decodeAccount({ ...required, profile }).profile
const extra = (value: object, key: string): unknown => (value as Record<string, unknown>)[key]

/** The message of a decoding failure (the test fails when it decodes). */
const failureMessage = (result: Result.Result<unknown, Schema.SchemaError>): string => {
  if (Result.isSuccess(result)) return assert.fail("decoded")
  return result.failure.message
}

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
      assert.isTrue(Result.isSuccess(result))
      const account = Result.getOrThrow(result)
      assert.isTrue(Redacted.isRedacted(account.authToken))
      assert.notInclude(JSON.stringify(account), fixture.authToken)
      assert.notInclude(String(account.authToken), fixture.authToken)
    })

    it.effect(`getTokenDetails decodes the ${era} payload end to end, extras kept`, () =>
      Effect.gen(function* () {
        const account = yield* PlexAuth.getTokenDetails()
        assert.strictEqual(account.username, "ada_watches")
        assert.deepStrictEqual(extra(account, "trials"), [])
        assert.isTrue(Redacted.isRedacted(account.authToken))
      }).pipe(Effect.provide(answering(fixture)))
    )

    it.effect(
      `the ${era} payload decodes the same with Schema.decodeUnknownEffect and the engine's plain decoder`,
      () =>
        Effect.gen(function* () {
          const account = yield* Schema.decodeUnknownEffect(Schemas.Account)(fixture)
          const plain = L.decodePlain(Schemas.Account, fixture)
          assert.notInstanceOf(plain, L.Failure)
          assert.deepStrictEqual(revealAll(account), revealAll(plain))
        })
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

  it("a missing required field fails with a message naming it", () => {
    const { uuid: _uuid, ...rest } = required
    const message = failureMessage(Schema.decodeUnknownResult(Schemas.Account)(rest))
    assert.include(message, "Missing key")
    assert.include(message, `["uuid"]`)
    const nested = failureMessage(
      Schema.decodeUnknownResult(Schemas.TransientTokenResponse)({ MediaContainer: { size: 0 } })
    )
    assert.include(nested, "Missing key")
    assert.include(nested, `["MediaContainer"]["token"]`)
    assert.strictEqual(
      failureMessage(Schema.decodeUnknownResult(Schemas.Account)("compact")),
      "Expected Account, got a string"
    )
  })

  it("a malformed required field fails naming it, never repeating the value (it may be a secret)", () => {
    const sent = "fixture token\r\nX-Injected: 1"
    const message = failureMessage(decodeSignedIn({ ...required, authToken: sent }))
    assert.include(message, `["authToken"]`)
    assert.include(message, "has an unexpected shape")
    assert.notInclude(message, "fixture token")
    assert.notInclude(message, "X-Injected")
    assert.include(failureMessage(decodeSignedIn({ ...required, id: "seven" })), `["id"]`)
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

  it("a numeric preference sent as a boolean is kept as 0 or 1; an empty attribute is absent", () => {
    assert.strictEqual(withProfile({ watchedIndicator: true })?.watchedIndicator, 1)
    assert.strictEqual(withProfile({ mediaReviewsVisibility: false })?.mediaReviewsVisibility, 0)
    assert.deepStrictEqual(withProfile({ watchedIndicator: "", autoSelectSubtitle: " " }), {})
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
  const ok = (body: unknown) => Result.getOrThrow(decodeSource(body)).MediaContainer.Device

  it("decodes the 2026-02 body, keeping MediaContainer extras", () => {
    const decoded = Result.getOrThrow(decodeSource(resources))
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
    assert.isTrue(Result.isFailure(decodeSource({ MediaContainer: { Device: [] } })))
    assert.isTrue(Result.isFailure(decodeSource({ MediaContainer: {} })))
    assert.isTrue(Result.isFailure(decodeSource({})))
  })

  it("the transient token body requires a non-empty token", () => {
    const decode = Schema.decodeUnknownResult(Schemas.TransientTokenResponse)
    const decoded = Result.getOrThrow(decode(token))
    assert.strictEqual(Redacted.value(decoded.MediaContainer.token), token.MediaContainer.token)
    assert.isTrue(Result.isSuccess(decode({ MediaContainer: { token: "t" } })))
    assert.isTrue(Result.isFailure(decode({ MediaContainer: { token: "" } })))
    assert.isTrue(Result.isFailure(decode({ MediaContainer: { token: null } })))
    assert.isTrue(Result.isFailure(decode({ token: "t" })))
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
const exported: ReadonlyArray<readonly [string, L.Lenient<any>]> = Object.entries(Schemas).filter(
  ([, value]) => Schema.isSchema(value)
)

/**
 * JSON whose keys are neither secret-like nor `Object.prototype` names (they
 * start with `x` and use no `e`, `o` or `p`): kept by decoding exactly.
 */
const plainKey = Schema.String.check(Schema.isPattern(/^x[abcdfghijklmnqrstuvwxyz0-9]{0,6}$/))
const PlainJson: Schema.Codec<unknown> = Schema.Union([
  Schema.String,
  Schema.Int,
  Schema.Boolean,
  Schema.Null,
  Schema.Array(Schema.suspend(() => PlainJson)).check(Schema.isMaxLength(3)),
  Schema.Record(
    plainKey,
    Schema.suspend(() => PlainJson)
  ).check(Schema.isMaxProperties(3))
])

/** Runs a property; fails the test with the falsified input. */
const check = <A>(arbitrary: Arbitrary.Arbitrary<A>, property: (value: A) => boolean, runs: number) =>
  Effect.gen(function* () {
    const result = yield* Arbitrary.checkEffect(arbitrary, property, { runs, seed: 20260204 })
    assert.strictEqual(result._tag, "Passed", Arbitrary.formatCheckFailure(result))
  })

/** Whether `f` runs without throwing (an `assert` inside it fails the property). */
const holds = (f: () => void): boolean => {
  f()
  return true
}

describe("the schemas in the Schema ecosystem", () => {
  it.effect("Schema.toJsonSchemaDocument and Arbitrary.schema work on every exported schema", () =>
    Effect.gen(function* () {
      assert.isAbove(exported.length, 8)
      for (const [name, schema] of exported) {
        const document = Schema.toJsonSchemaDocument(schema)
        assert.deepStrictEqual(document.schema, { $ref: `#/$defs/${name}` }, name)
        assert.strictEqual(document.definitions[name]?.["type"], "object", name)
        const samples = yield* Arbitrary.sampleEffect(Arbitrary.schema(schema), { count: 20, seed: 7 })
        assert.strictEqual(samples.length, 20, name)
        for (const sample of samples) {
          const decoded = Schema.decodeUnknownSync(schema)(Schema.encodeSync(schema)(sample))
          assert.deepStrictEqual(revealAll(decoded), revealAll(sample), name)
        }
      }
    })
  )

  it("the JSON Schema of an account says what is required, what else is known, and that more is allowed", () => {
    const { definitions } = Schema.toJsonSchemaDocument(Schemas.Account)
    const account = definitions["Account"] as {
      required: ReadonlyArray<string>
      properties: Record<string, unknown>
      additionalProperties: boolean
    }
    assert.deepStrictEqual(account.required, ["id", "uuid", "title"])
    assert.includeMembers(Object.keys(account.properties), ["authToken", "email", "profile", "services"])
    assert.isTrue(account.additionalProperties)
    assert.deepStrictEqual(account.properties["authToken"], { type: "string", pattern: "^[\\x21-\\x7e]+$" })
    // The lenient forms: a number as a string or boolean, a boolean as Plex's other spellings.
    assert.deepStrictEqual(account.properties["id"], {
      anyOf: [{ type: "number" }, { type: "string" }, { type: "boolean" }]
    })
    // The wire name of a renamed field.
    const source = Schema.toJsonSchemaDocument(Schemas.SourceConnectionInformation).definitions[
      "SourceConnectionInformation"
    ] as { properties: object }
    assert.property(source.properties, "Connection")
  })

  it("the JSON Schema of a list of objects takes one object alone too, as decoding does (XML-to-JSON habit)", () => {
    // Mirrors test/Schemas.test.ts.
    const source = Schema.toJsonSchemaDocument(Schemas.SourceConnectionInformation).definitions[
      "SourceConnectionInformation"
    ] as { properties: Record<string, { anyOf?: ReadonlyArray<{ type?: string; items?: unknown }> }> }
    const [list, single] = source.properties["Connection"]?.anyOf ?? []
    assert.strictEqual(list?.type, "array")
    assert.deepStrictEqual(single, list?.items)
    assert.strictEqual(single?.type, "object")
    // A list of strings is no list when a string comes alone: only an array.
    const account = Schema.toJsonSchemaDocument(Schemas.Account).definitions["Account"] as {
      properties: Record<string, unknown>
    }
    assert.deepStrictEqual(account.properties["roles"], { type: "array", items: { type: "string" } })
  })

  it("Schema.toCodecJson and the Standard Schema interface work on them", async () => {
    const codec = Schema.toCodecJson(Schemas.SignedInAccount)
    const account = Schema.decodeUnknownSync(codec)(account2025)
    assert.isTrue(Redacted.isRedacted(account.authToken))
    const encoded = Schema.encodeSync(codec)(account) as Record<string, unknown>
    assert.strictEqual(encoded["authToken"], account2025.authToken)
    assert.deepStrictEqual(encoded["pastSubscriptions"], account2025.pastSubscriptions)
    const standard = Schema.toStandardSchemaV1(Schemas.Account)["~standard"]
    assert.deepStrictEqual(await standard.validate({ id: 1, username: "u", title: "t" }), {
      issues: [{ path: ["uuid"], message: "Missing key" }]
    })
    const valid = await standard.validate(account2026)
    assert.notProperty(valid, "issues")
  })

  it.effect("accounts from Arbitrary.schema, with unknown fields, survive encode, JSON and decode", () => {
    const encode = Schema.encodeSync(Schemas.Account)
    const decode = Schema.decodeUnknownSync(Schemas.Account)
    const known = new Set(
      Object.keys(
        (Schema.toJsonSchemaDocument(Schemas.Account).definitions["Account"] as { properties: object })
          .properties
      )
    )
    const extras = Arbitrary.schema(Schema.Record(plainKey, PlainJson).check(Schema.isMaxProperties(4)))
    return check(
      Arbitrary.all([Arbitrary.schema(Schemas.Account), extras]),
      ([a, more]) =>
        holds(() => {
          const unknown = Object.fromEntries(Object.entries(more).filter(([key]) => !known.has(key)))
          const account = { ...unknown, ...a }
          const encoded = encode(account)
          assert.deepStrictEqual(revealAll(decode(encoded)), revealAll(account))
          // Through JSON text, as it travels: the same payload again.
          const text = JSON.stringify(encoded)
          assert.strictEqual(JSON.stringify(encode(decode(JSON.parse(text)))), text)
        }),
      200
    )
  })

  it.effect("generated accounts are accounts: their payloads decode with the plain decoder too", () =>
    check(
      Arbitrary.schema(Schemas.Account),
      (account) =>
        holds(() => {
          const payload = Schema.encodeSync(Schemas.Account)(account)
          const plain = L.decodePlain(Schemas.Account, payload)
          assert.notInstanceOf(plain, L.Failure)
          assert.deepStrictEqual(revealAll(plain), revealAll(account))
          assert.isTrue(Schema.is(Schemas.Account)(account))
        }),
      100
    )
  )

  it.effect("signed-in accounts from Arbitrary.schema always carry a Redacted token", () =>
    check(
      Arbitrary.schema(Schemas.SignedInAccount),
      (account) =>
        holds(() => {
          assert.isTrue(Redacted.isRedacted(account.authToken))
          const encoded = Schema.encodeSync(Schemas.SignedInAccount)(account) as { authToken: unknown }
          assert.strictEqual(encoded.authToken, Redacted.value(account.authToken))
        }),
      50
    )
  )
})

/** What a `Logger.formatJson` line of `value` reads: the same formatter, written to a list. */
const jsonLogLine = (value: unknown) => {
  const lines: Array<string> = []
  const logger = Logger.map(Logger.formatJson, (line) => {
    lines.push(line)
  })
  return Effect.log(value).pipe(
    Effect.provide(Logger.layer([logger])),
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
  const allHidden = [
    "unmodelled-tok-1",
    "5f4dcc3b5aa765d61d8327deb882cf99",
    "unmodelled-sec-2",
    "unmodelled-pw-3",
    "unmodelled-refresh-4",
    "pw-5"
  ]

  it.effect(
    "secret-like fields the schema does not model are Redacted, at any depth; encoding reveals them",
    () =>
      Effect.gen(function* () {
        const payload = { ...required, ...secrets }
        const account = decodeAccount(payload)
        const line = yield* jsonLogLine(account)
        assert.include(line, "seven")
        for (const rendered of [
          JSON.stringify(account),
          inspect(account, { depth: null }),
          String(account),
          line
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
      for (const secret of [...allHidden, account2025.authToken]) assert.notInclude(rendered, secret)
    }).pipe(Effect.provide(answering({ ...account2025, ...secrets })))
  )

  it("a decoded fixture renders without any of its secrets", () => {
    for (const fixture of [account2025, account2026]) {
      const account = decodeAccount({ ...fixture, ...secrets })
      const rendered = JSON.stringify(account) + inspect(account, { depth: null })
      for (const secret of [
        ...allHidden,
        fixture.authToken,
        "svcTok-2025-Qw7eR9tY",
        "svcSecret-2026-Mn4bV6cX"
      ]) {
        assert.notInclude(rendered, secret)
      }
    }
  })

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
