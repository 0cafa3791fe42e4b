/**
 * The lenient schemas of the Effect 4 edition: the engine decodes every
 * answer with the plain decoder behind each (`decodePlain`), users with
 * `Schema.decodeUnknown*`. On drifted payloads (fixtures with random fields
 * replaced, dropped or nulled) and on arbitrary JSON, the two agree, nothing
 * throws, and what decodes encodes back to a payload that decodes to the same
 * value. Mirrors test/internal/lenient.test.ts of the Effect 3 edition: the
 * schemas of the `Schemas` module, and the lenient schemas of `Resources`,
 * `PinLogin` and `Jwt`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import account2025 from "../../test/fixtures/account-2025-08.json" with { type: "json" }
import account2026 from "../../test/fixtures/account-2026-02.json" with { type: "json" }
import resources from "../../test/fixtures/security-resources-2026-02.json" with { type: "json" }
import token from "../../test/fixtures/security-token-2026-02.json" with { type: "json" }
import * as L from "../src/internal/lenient.js"
import * as Jwt from "../src/Jwt.js"
import * as PinLogin from "../src/PinLogin.js"
import * as Resources from "../src/Resources.js"
import * as Schemas from "../src/Schemas.js"

/** A value with every `Redacted` replaced by what it hides, so two decodes can be compared. */
const revealAll = (value: unknown): unknown => {
  if (Redacted.isRedacted(value)) return { redacted: Redacted.value(value) }
  if (Array.isArray(value)) return value.map(revealAll)
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Reflect.ownKeys(value).map((key) => [key, revealAll((value as never)[key])]))
  }
  return value
}

const device = {
  clientIdentifier: "abc",
  name: "Living room",
  provides: "server",
  owned: true,
  accessToken: "device-token",
  connections: [
    {
      uri: "https://10-0-0-2.abc.plex.direct:32400",
      protocol: "https",
      address: "10.0.0.2",
      port: 32400,
      local: true
    },
    { uri: "http://10.0.0.2:32400", local: "1", relay: 0, extra: { kept: true } }
  ]
}

const pin = { id: 42, code: "ABCD", clientIdentifier: "c", trusted: false, expiresIn: 900, authToken: null }

const cases: ReadonlyArray<{
  readonly name: string
  readonly schema: L.Lenient<any>
  readonly samples: readonly [unknown, ...Array<unknown>]
}> = [
  { name: "Account", schema: Schemas.Account, samples: [account2025, account2026] },
  { name: "SignedInAccount", schema: Schemas.SignedInAccount, samples: [account2025, account2026] },
  { name: "UserProfile", schema: Schemas.UserProfile, samples: [account2026.profile] },
  { name: "Subscription", schema: Schemas.Subscription, samples: [account2026.subscription] },
  { name: "AccountService", schema: Schemas.AccountService, samples: account2025.services as [unknown] },
  { name: "TransientTokenResponse", schema: Schemas.TransientTokenResponse, samples: [token] },
  {
    name: "SourceConnectionInformationResponse",
    schema: Schemas.SourceConnectionInformationResponse,
    samples: [resources]
  },
  { name: "Device", schema: Resources.Device, samples: [device] },
  { name: "Devices", schema: Resources.Devices, samples: [[device, { name: "no id" }, device]] },
  { name: "ServerIdentity", schema: Resources.ServerIdentity, samples: [{ machineIdentifier: "abc" }] },
  { name: "Pin", schema: PinLogin.Pin, samples: [pin] },
  {
    name: "PublicKey",
    schema: Jwt.PublicKey,
    samples: [{ kty: "OKP", crv: "Ed25519", x: "abc", kid: "k1", alg: "EdDSA", use: "sig" }]
  },
  { name: "Claims", schema: Jwt.Claims, samples: [{ iss: "plex", aud: ["a"], exp: 1, iat: 0 }] }
]

/** Every path (as keys) into a JSON value, the root included. */
const pathsOf = (value: unknown, prefix: ReadonlyArray<string> = []): Array<ReadonlyArray<string>> => {
  const out: Array<ReadonlyArray<string>> = [prefix]
  if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) out.push(...pathsOf(inner, [...prefix, key]))
  }
  return out
}

const Drop = Symbol("drop")

/** A copy of `value` with `replacement` at `path` (or the key removed). */
const setAt = (value: unknown, path: ReadonlyArray<string>, replacement: unknown): unknown => {
  if (path.length === 0) return replacement === Drop ? undefined : replacement
  if (value === null || typeof value !== "object") return value
  const [head, ...rest] = path as [string, ...Array<string>]
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value }
  const next = setAt(copy[head], rest, replacement)
  if (rest.length === 0 && replacement === Drop) delete copy[head]
  else copy[head] = next
  return copy
}

/** An integer in `[0, size)`. */
const index = (size: number) =>
  Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: size - 1 })))

/** The shapes Plex has been seen to send in place of a field, and then anything JSON. */
const shapes: ReadonlyArray<unknown> = [
  Drop,
  null,
  0,
  1,
  2,
  -1,
  1.5,
  "0",
  "1",
  "12",
  " ",
  "",
  "true",
  "false",
  true,
  false,
  [],
  {},
  "a\nb"
]
const json = Arbitrary.schema(Schema.Json)
const replacement = Arbitrary.flatMap(index(shapes.length + 4), (i) =>
  i < shapes.length ? Arbitrary.Constant(shapes[i]) : json
)

const drifted = (samples: ReadonlyArray<unknown>) =>
  Arbitrary.flatMap(index(samples.length), (i) => {
    const sample = samples[i]
    const paths = pathsOf(sample)
    return Arbitrary.map(
      Arbitrary.array(Arbitrary.all([index(paths.length), replacement]), { maxLength: 6 }),
      (edits) => edits.reduce((acc, [at, r]) => setAt(acc, paths[at]!, r), sample)
    )
  })

const isFailure = (value: unknown): value is L.Failure => value instanceof L.Failure

/** Runs a property; fails the test with the falsified input. */
const property = <A>(arbitrary: Arbitrary.Arbitrary<A>, check: (value: A) => void, runs: number) =>
  Effect.gen(function* () {
    const result = yield* Arbitrary.checkEffect(
      arbitrary,
      (value) => {
        check(value)
        return true
      },
      { runs, seed: 20260212 }
    )
    assert.strictEqual(result._tag, "Passed", Arbitrary.formatCheckFailure(result))
  })

describe("lenient schemas", () => {
  for (const { name, schema, samples } of cases) {
    const viaSchema = Schema.decodeUnknownResult(schema)
    const encode = Schema.encodeSync(schema)
    /** Checks one input: the plain decoder and the schema agree, and what decodes survives an encode. */
    const check = (input: unknown) => {
      const plain = L.decodePlain(schema, input)
      const decoded = viaSchema(input)
      assert.strictEqual(
        Result.isSuccess(decoded),
        !isFailure(plain),
        `${name}: the schema and the plain decoder disagree`
      )
      if (Result.isFailure(decoded) || isFailure(plain)) return
      assert.deepStrictEqual(revealAll(decoded.success), revealAll(plain))
      // Encoding gives back a payload that decodes to the same value.
      const again = L.decodePlain(schema, encode(plain))
      assert.isFalse(isFailure(again), `${name}: an encoded value does not decode`)
      assert.deepStrictEqual(revealAll(again), revealAll(plain))
    }

    it(`${name}: decodes its samples as recorded`, () => {
      for (const sample of samples) {
        assert.isFalse(isFailure(L.decodePlain(schema, sample)), `${name} decodes its sample`)
        check(sample)
      }
    })

    it.effect(`${name}: drifted payloads`, () => property(drifted(samples), check, 300))

    it.effect(`${name}: arbitrary JSON`, () => property(json, check, 100))
  }
})

describe("struct", () => {
  it("keeps unknown properties as they came, whatever the decode options", () => {
    for (const onExcessProperty of ["ignore", "error"] as const) {
      const decoded = Schema.decodeUnknownSync(Schemas.Connection)(
        { uri: "http://x", extra: { a: [1] } },
        { onExcessProperty }
      )
      assert.deepStrictEqual(decoded, { uri: "http://x", extra: { a: [1] } } as never, onExcessProperty)
    }
  })

  it("keeps a __proto__ key as an own property, never as the prototype", () => {
    const input: unknown = JSON.parse('{"uri":"abc","__proto__":{"polluted":true}}')
    const value = L.decodePlain(Schemas.Connection, input)
    assert.isFalse(isFailure(value))
    assert.strictEqual(Object.getPrototypeOf(value), Object.prototype)
    assert.isTrue(Object.prototype.hasOwnProperty.call(value, "__proto__"))
    assert.isUndefined((value as { polluted?: unknown }).polluted)
  })

  it("points a failure at the missing or invalid required property", () => {
    const missing = L.decodePlain(Schemas.SourceConnectionInformationResponse, {
      MediaContainer: { Device: [{ name: "no id" }] }
    })
    assert.isTrue(isFailure(missing))
    assert.deepStrictEqual((missing as L.Failure).path, ["MediaContainer", "Device", "clientIdentifier"])
    assert.isTrue((missing as L.Failure).missing)

    const invalid = L.decodePlain(Schemas.Account, { id: "x", uuid: "u", username: "n", title: "t" })
    assert.deepStrictEqual((invalid as L.Failure).path, ["id"])
    assert.isFalse((invalid as L.Failure).missing)
  })

  it("gives the schema an error with the path and no value", () => {
    const decoded = Schema.decodeUnknownResult(Schemas.TransientTokenResponse)({
      MediaContainer: { token: "two words" }
    })
    assert.isTrue(Result.isFailure(decoded))
    if (Result.isFailure(decoded)) {
      assert.include(decoded.failure.message, '["MediaContainer"]["token"]')
      assert.notInclude(decoded.failure.message, "two words")
    }
  })

  it("reads a renamed property from its input key and writes it back there", () => {
    const decoded = L.decodePlain(Schemas.SourceConnectionInformation, {
      clientIdentifier: "abc",
      Connection: [{ uri: "http://10.0.0.2:32400" }, { port: 1 }]
    })
    assert.isFalse(isFailure(decoded))
    const value = decoded as Schemas.SourceConnectionInformation
    assert.deepStrictEqual(value.connections, [{ uri: "http://10.0.0.2:32400" }])
    assert.isFalse("Connection" in value)
    const encoded = Schema.encodeSync(Schemas.SourceConnectionInformation)(value) as Record<string, unknown>
    assert.deepStrictEqual(encoded["Connection"], [{ uri: "http://10.0.0.2:32400" }])
  })

  it("Schema.is tells a decoded value from a payload of another kind", () => {
    const account = Schema.decodeUnknownSync(Schemas.SignedInAccount)(account2025)
    assert.isTrue(Schema.is(Schemas.SignedInAccount)(account))
    assert.isFalse(Schema.is(Schemas.SignedInAccount)("an account"))
    assert.isTrue(Schema.is(L.Secret)(account.authToken))
    assert.isFalse(Schema.is(L.Secret)(account2025.authToken))
  })

  it("a decoded value is one of its schema's: a Schema.Class with such a field takes it", () => {
    // Mirrors test/internal/lenient.test.ts, where the schema's type side once ran the payload codec again.
    const transient = Schema.decodeUnknownSync(Schemas.TransientToken)(token.MediaContainer)
    class Saved extends Schema.Class<Saved>("Saved")({ transient: Schemas.TransientToken }) {}
    assert.strictEqual(new Saved({ transient }).transient, transient)
  })
})
