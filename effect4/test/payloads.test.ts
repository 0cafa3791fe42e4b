/**
 * The operations decode their answers with the plain codecs of
 * effect4/src/internal/payloads.ts, so that they do not bundle the `Schema`
 * wrapping of the public schemas: each public schema must wrap the very codec
 * its operation decodes with, and decode exactly what that codec decodes
 * (and fail where it fails). Mirrors the Effect 3 edition's
 * "the operations' codecs" (test/internal/lenient.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { Schemas } from "effect4-plex-auth"
import * as Payloads from "../../src/core/fake/payloads.js"
import * as Core from "../../src/core/decode.js"
import * as Seed from "../../src/core/fake/seed.js"
import * as L from "../src/internal/lenient.js"
import * as Codecs from "../src/internal/payloads.js"

/** A decoded value with every `Redacted` revealed (two `Redacted` compare equal whatever they hold). */
const revealed = (u: unknown): unknown =>
  Redacted.isRedacted(u)
    ? { redacted: revealed(Redacted.value(u)) }
    : Array.isArray(u)
      ? u.map(revealed)
      : u !== null && typeof u === "object"
        ? Object.fromEntries(Object.entries(u).map(([k, v]) => [k, revealed(v)]))
        : u

const seeded = (shape: "2026-02" | "2025-08", signIn: boolean) =>
  Payloads.account(Seed.resolve({ shape }).accounts[0]!, "tok-en_123", 1_700_000_000, {
    signIn,
    rememberMe: true
  })

const payloads: ReadonlyArray<unknown> = [
  seeded("2026-02", false),
  seeded("2026-02", true),
  seeded("2025-08", true),
  { id: "12", uuid: 7, username: "ann", title: "Ann", authToken: "abc", homeAdmin: "1", roles: "x" },
  { id: 1, uuid: "u", username: "ann", title: "Ann", authToken: "bad token\n", profile: [], services: [{}] },
  {
    id: 1,
    uuid: "u",
    username: "ann",
    title: "Ann",
    authToken: "abc",
    services: [{ identifier: "metadata", token: "svc", secret: "s3", endpoint: 4 }],
    subscription: { active: "true", features: ["a", 2] },
    apiKey: "hidden",
    nested: { password: "p", deep: { ok: 1 } },
    toString: "dropped"
  },
  { id: 1, uuid: "u", title: "Ann" },
  { id: 1, uuid: "u", username: "ann", title: "Ann" },
  null,
  [],
  "text"
]

const viaSchema = <A>(schema: Schema.Codec<A, unknown>, input: unknown) =>
  Effect.match(Schema.decodeUnknownEffect(schema)(input), {
    onFailure: () => "fails",
    onSuccess: (value) => revealed(value)
  })

const viaCodec = <A>(codec: L.Decoder<A>, input: unknown) => {
  const value = L.decodePlain(codec, input)
  return value instanceof L.Failure ? "fails" : revealed(value)
}

describe("the operations' codecs (effect4/src/internal/payloads.ts)", () => {
  it.effect("are the codecs the public schemas wrap", () =>
    Effect.sync(() => {
      const pairs: ReadonlyArray<readonly [L.Lenient<any>, unknown]> = [
        [Schemas.UserProfile, Codecs.userProfile],
        [Schemas.Subscription, Codecs.subscription],
        [Schemas.AccountService, Codecs.accountService],
        [Schemas.Account, Codecs.account],
        [Schemas.SignedInAccount, Codecs.signedInAccount],
        [Schemas.Connection, Codecs.connection],
        [Schemas.TransientToken, Codecs.transientToken],
        [Schemas.TransientTokenResponse, Codecs.transientTokenResponse],
        [Schemas.SourceConnectionInformation, Codecs.sourceConnectionInformation],
        [Schemas.SourceConnectionInformationResponse, Codecs.sourceConnectionInformationResponse]
      ]
      for (const [schema, codec] of pairs) assert.strictEqual(Core.codecOf(schema), codec)
    })
  )

  it.effect("decode what Schemas.Account and Schemas.SignedInAccount decode, and fail where they fail", () =>
    Effect.gen(function* () {
      let decodedSome = 0
      const compare = function* <A>(schema: L.Lenient<A>, codec: L.Decoder<A>) {
        for (const payload of payloads) {
          const expected = yield* viaSchema(schema, payload)
          assert.deepStrictEqual(viaCodec(codec, payload), expected, JSON.stringify(payload))
          if (expected !== "fails") decodedSome++
        }
      }
      yield* compare(Schemas.Account, Codecs.account)
      yield* compare(Schemas.SignedInAccount, Codecs.signedInAccount)
      // Both succeed and fail on the samples: the comparison is not between two failures only.
      assert.isAbove(decodedSome, 6)
      assert.strictEqual(viaCodec(Codecs.signedInAccount, payloads[7]), "fails")
      assert.notStrictEqual(viaCodec(Codecs.account, payloads[7]), "fails")
    })
  )

  it.effect("the schema's failure points at the field the codec's failure names", () =>
    Effect.gen(function* () {
      const failure = L.decodePlain(Codecs.signedInAccount, payloads[6])
      assert.instanceOf(failure, L.Failure)
      assert.deepStrictEqual(failure instanceof L.Failure ? failure.path : [], ["authToken"])
      const error = yield* Effect.flip(Schema.decodeUnknownEffect(Schemas.SignedInAccount)(payloads[6]))
      assert.include(error.message, '["authToken"]')
    })
  )
})
