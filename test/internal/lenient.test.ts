/**
 * The lenient schemas: the engine decodes every answer with the plain decoder
 * behind each (`decodePlain`), users with `Schema.decodeUnknown`. On drifted
 * payloads (fixtures with random fields replaced, dropped or nulled) and on
 * arbitrary values, the two agree, nothing throws, and what decodes encodes
 * back to a payload that decodes to the same value.
 */
import { assert, describe, it } from "vitest"
import { Arbitrary, Either, FastCheck as fc, Redacted, Schema } from "effect"
import { Jwt, PinLogin, Resources, Schemas } from "effect-plex-auth"
import { CodecId } from "../../src/core/decode.js"
import * as L from "../../src/internal/lenient.js"
import * as Payloads from "../../src/internal/payloads.js"
import account2025 from "../fixtures/account-2025-08.json" with { type: "json" }
import account2026 from "../fixtures/account-2026-02.json" with { type: "json" }
import resources from "../fixtures/security-resources-2026-02.json" with { type: "json" }
import token from "../fixtures/security-token-2026-02.json" with { type: "json" }

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
  readonly schema: L.LenientSchema<any>
  readonly samples: ReadonlyArray<unknown>
}> = [
  { name: "Account", schema: Schemas.Account, samples: [account2025, account2026] },
  {
    name: "SignedInAccount",
    schema: Schemas.SignedInAccount,
    samples: [account2025, account2026]
  },
  { name: "UserProfile", schema: Schemas.UserProfile, samples: [account2026.profile] },
  { name: "Subscription", schema: Schemas.Subscription, samples: [account2026.subscription] },
  {
    name: "TransientTokenResponse",
    schema: Schemas.TransientTokenResponse,
    samples: [token]
  },
  {
    name: "SourceConnectionInformationResponse",
    schema: Schemas.SourceConnectionInformationResponse,
    samples: [resources]
  },
  { name: "Device", schema: Resources.Device, samples: [device] },
  {
    name: "Devices",
    schema: Resources.Devices,
    samples: [[device, { name: "no id" }, device]]
  },
  {
    name: "ServerIdentity",
    schema: Resources.ServerIdentity,
    samples: [{ machineIdentifier: "abc" }]
  },
  { name: "Pin", schema: PinLogin.Pin, samples: [pin] },
  {
    name: "PublicKey",
    schema: Jwt.PublicKey,
    samples: [{ kty: "OKP", crv: "Ed25519", x: "abc", kid: "k1", alg: "EdDSA", use: "sig" }]
  },
  {
    name: "Claims",
    schema: Jwt.Claims,
    samples: [{ iss: "plex", aud: ["a"], exp: 1, iat: 0 }]
  }
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

/** The shapes Plex has been seen to send in place of a field, and then anything JSON. */
const replacement = fc.oneof(
  fc.constantFrom(
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
  ),
  fc.jsonValue({ maxDepth: 2 })
)

const drifted = (samples: ReadonlyArray<unknown>) =>
  fc.constantFrom(...samples).chain((sample) => {
    const paths = pathsOf(sample)
    return fc
      .array(fc.tuple(fc.integer({ min: 0, max: paths.length - 1 }), replacement), { maxLength: 6 })
      .map((edits) => edits.reduce((acc, [i, r]) => setAt(acc, paths[i]!, r), sample))
  })

const isFailure = (value: unknown): value is L.Failure => value instanceof L.Failure

describe("lenient schemas", () => {
  for (const { name, schema, samples } of cases) {
    const viaSchema = Schema.decodeUnknownEither(schema)
    const encode = Schema.encodeSync(schema)
    /** Checks one input: the plain decoder and the schema agree, and what decodes survives an encode. */
    const check = (input: unknown) => {
      const plain = L.decodePlain(schema, input)
      const decoded = viaSchema(input)
      assert.strictEqual(
        Either.isRight(decoded),
        !isFailure(plain),
        `${name}: the schema and the plain decoder disagree`
      )
      if (Either.isLeft(decoded) || isFailure(plain)) return
      assert.deepStrictEqual(revealAll(decoded.right), revealAll(plain))
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

    it(`${name}: drifted payloads`, () => {
      fc.assert(fc.property(drifted(samples), check), { numRuns: 300 })
    })

    it(`${name}: arbitrary values`, () => {
      fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), check), { numRuns: 100 })
    })
  }
})

describe("struct", () => {
  it("keeps unknown properties as they came, whatever the decode options", () => {
    const decoded = Schema.decodeUnknownSync(Resources.ServerIdentity)({
      machineIdentifier: "abc",
      extra: { a: [1] }
    })
    assert.deepStrictEqual(decoded, { machineIdentifier: "abc", extra: { a: [1] } } as never)
  })

  it("keeps a __proto__ key as an own property, never as the prototype", () => {
    const input: unknown = JSON.parse('{"machineIdentifier":"abc","__proto__":{"polluted":true}}')
    const value = L.decodePlain(Resources.ServerIdentity, input)
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

  it("gives the schema a parse error with the path and no value", () => {
    const decoded = Schema.decodeUnknownEither(Schemas.TransientTokenResponse)({
      MediaContainer: { token: "two words" }
    })
    assert.isTrue(Either.isLeft(decoded))
    if (Either.isLeft(decoded)) {
      assert.include(decoded.left.message, '["MediaContainer"]["token"]')
      assert.notInclude(decoded.left.message, "two words")
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

  it("Schema.is tells a decoded value from a payload of another kind; a decoded value validates as it is", () => {
    // As in the Effect 4 edition (effect4/test/Schemas.lenient.test.ts): a schema's type side is its decoded
    // values, not the payloads it decodes. It was the payload codec run again: a decoded token (`Redacted`) was
    // "an unexpected shape", so `Schema.is` said no, a `Schema.Class` with such a field refused its own decoded
    // value, and `Schema.validateSync(Schemas.Account)` dropped the account's token.
    const account = Schema.decodeUnknownSync(Schemas.SignedInAccount)(account2025)
    assert.isTrue(Schema.is(Schemas.SignedInAccount)(account))
    assert.isFalse(Schema.is(Schemas.SignedInAccount)("an account"))
    assert.isTrue(Schema.is(L.Secret)(account.authToken))
    assert.isFalse(Schema.is(L.Secret)(account2025.authToken))
    const plain = Schema.decodeUnknownSync(Schemas.Account)(account2025)
    assert.strictEqual(Schema.validateSync(Schemas.Account)(plain), plain)
    const transient = Schema.decodeUnknownSync(Schemas.TransientToken)(token.MediaContainer)
    class Saved extends Schema.Class<Saved>("Saved")({ transient: Schemas.TransientToken }) {}
    assert.strictEqual(new Saved({ transient }).transient, transient)
    for (const value of fc.sample(Arbitrary.make(Schemas.SignedInAccount), 20)) {
      assert.isTrue(Schema.is(Schemas.SignedInAccount)(value))
    }
  })
})

describe("the operations' codecs (src/internal/payloads.ts)", () => {
  // The operations decode answers with these codecs, not with the public schemas (whose wrappers a bundle then
  // leaves out): each public schema must wrap the very codec its operation decodes with.
  const pairs = [
    [Schemas.UserProfile, Payloads.userProfile],
    [Schemas.Subscription, Payloads.subscription],
    [Schemas.AccountService, Payloads.accountService],
    [Schemas.Account, Payloads.account],
    [Schemas.SignedInAccount, Payloads.signedInAccount],
    [Schemas.Connection, Payloads.connection],
    [Schemas.TransientToken, Payloads.transientToken],
    [Schemas.TransientTokenResponse, Payloads.transientTokenResponse],
    [Schemas.SourceConnectionInformation, Payloads.sourceConnectionInformation],
    [Schemas.SourceConnectionInformationResponse, Payloads.sourceConnectionInformationResponse]
  ] as const

  it("are the codecs the public schemas wrap", () => {
    for (const [schema, codec] of pairs) assert.strictEqual(schema[CodecId], codec)
  })

  it("decode an answer as the public schema does", () => {
    for (const sample of [account2025, account2026]) {
      const viaCodec = L.decodePlain(Payloads.account, sample)
      const viaSchema = Schema.decodeUnknownSync(Schemas.Account)(sample)
      assert.deepStrictEqual(revealAll(viaCodec), revealAll(viaSchema))
    }
  })
})
