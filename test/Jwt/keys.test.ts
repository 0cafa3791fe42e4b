/**
 * Device keys and device JWTs, without plex.tv: generation, the RFC 7638
 * thumbprint, export and import, and the signed device JWT.
 */
import { createHash } from "node:crypto"
import { inspect } from "node:util"
import { assert, describe } from "@effect/vitest"
import { Effect, Either, Layer, Redacted, TestClock } from "effect"
import { ClientIdentity, Jwt } from "effect-plex-auth"
import { it } from "../support/it.js"
import { CLIENT_ID, identity, segments, signatureVerifies, signWith } from "./support.js"

const IdentityLive = ClientIdentity.layer(identity).pipe(Layer.orDie)

/** RFC 8037, appendix A.1: an Ed25519 private key. */
const rfc8037 = {
  kty: "OKP",
  crv: "Ed25519",
  d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
  x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
}

const privateMember = (key: Jwt.DeviceKey) => Redacted.value(key.d)

describe("Jwt device keys", () => {
  it.effect("generates an Ed25519 key whose public JWK is complete and whose kid is its thumbprint", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      assert.strictEqual(key.jwk.kty, "OKP")
      assert.strictEqual(key.jwk.crv, "Ed25519")
      assert.strictEqual(key.jwk.use, "sig")
      assert.strictEqual(key.jwk.alg, "EdDSA")
      assert.strictEqual(Buffer.from(key.jwk.x, "base64url").length, 32)
      assert.strictEqual(Buffer.from(privateMember(key), "base64url").length, 32)
      const canonical = JSON.stringify({ crv: "Ed25519", kty: "OKP", x: key.jwk.x })
      const expected = createHash("sha256").update(canonical).digest("base64url")
      assert.strictEqual(key.thumbprint, expected)
      assert.strictEqual(key.jwk.kid, expected)
      assert.strictEqual(yield* Jwt.thumbprint(key.jwk), expected)
      assert.isFalse(key.privateKey.extractable, "the signing key cannot be exported from Web Crypto")
      assert.isTrue(Jwt.isDeviceKey(key))
      assert.isFalse(Jwt.isDeviceKey(key.jwk))
      const other = yield* Jwt.generateKey
      assert.notStrictEqual(other.thumbprint, key.thumbprint)
    })
  )

  it.effect("matches RFC 8037's Ed25519 thumbprint and deterministic signature", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.importKey(JSON.stringify(rfc8037))
      assert.strictEqual(key.thumbprint, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
      const input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
      const signature = yield* Effect.promise(() =>
        globalThis.crypto.subtle.sign("Ed25519", key.privateKey, new TextEncoder().encode(input))
      )
      assert.strictEqual(
        Buffer.from(signature).toString("base64url"),
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
      )
    })
  )

  it.effect("exports to a Redacted JSON string and imports back to the same key", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const exported = Jwt.exportKey(key)
      assert.isTrue(Redacted.isRedacted(exported))
      assert.strictEqual(String(exported), "<redacted>")
      const json = JSON.parse(Redacted.value(exported))
      assert.deepStrictEqual(json, { ...key.jwk, d: privateMember(key) })
      const imported = yield* Jwt.importKey(exported)
      assert.deepStrictEqual(imported.jwk, key.jwk)
      assert.strictEqual(imported.thumbprint, key.thumbprint)
      // The imported private key signs what the original public key verifies.
      const token = yield* signWith(imported, { alg: "EdDSA" }, { hello: "world" })
      assert.isTrue(yield* signatureVerifies(token, key.jwk))
      // A plain string is accepted too, and a JWK without kid gets its thumbprint.
      const { kid: _kid, ...withoutKid } = json
      const again = yield* Jwt.importKey(JSON.stringify(withoutKid))
      assert.strictEqual(again.thumbprint, key.thumbprint)
    })
  )

  it.effect("refuses what is not a matching Ed25519 private JWK, without quoting it", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const other = yield* Jwt.generateKey
      const d = privateMember(key)
      const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
        ["not json", `{"d":"${d}"`, /not JSON/],
        ["wrong kty", JSON.stringify({ ...key.jwk, kty: "EC", d }), /not an Ed25519 JWK/],
        ["short x", JSON.stringify({ ...key.jwk, x: "AAAA", d }), /not an Ed25519 JWK/],
        ["no d", JSON.stringify(key.jwk), /private member d/],
        ["foreign x", JSON.stringify({ ...other.jwk, d }), /does not match|refused|kid/],
        [
          "foreign x, no kid",
          JSON.stringify({ kty: "OKP", crv: "Ed25519", x: other.jwk.x, d }),
          /does not match|refused/
        ],
        ["wrong kid", JSON.stringify({ ...key.jwk, kid: other.thumbprint, d }), /kid/]
      ]
      for (const [label, input, reason] of cases) {
        const result = yield* Effect.either(Jwt.importKey(Redacted.make(input)))
        assert.isTrue(Either.isLeft(result), label)
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left._tag, "InvalidInput", label)
          assert.match(result.left.reason, reason, label)
          for (const text of [String(result.left), JSON.stringify(result.left), inspect(result.left)]) {
            assert.isFalse(text.includes(d), `${label} leaks the private key`)
          }
        }
      }
    })
  )

  it.effect("prints only its public part", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const d = privateMember(key)
      for (const text of [
        String(key),
        JSON.stringify(key),
        inspect(key, { depth: 10 }),
        JSON.stringify({ key })
      ]) {
        assert.isFalse(text.includes(d), text)
        assert.isTrue(text.includes(key.thumbprint), text)
      }
    })
  )
})

describe("Jwt device JWT", () => {
  it.effect("is an EdDSA JWS with kid, nonce, scope, aud, iss, and iat/exp by the Clock", () =>
    Effect.gen(function* () {
      yield* TestClock.adjust("1000 seconds")
      const key = yield* Jwt.generateKey
      const jwt = yield* Jwt.signDeviceJwt(key, { nonce: "n-123" })
      assert.isTrue(Redacted.isRedacted(jwt))
      const { header, payload } = segments(jwt)
      assert.deepStrictEqual(header, { alg: "EdDSA", typ: "JWT", kid: key.thumbprint })
      assert.deepStrictEqual(payload, {
        nonce: "n-123",
        scope: "username,email,friendly_name",
        aud: "plex.tv",
        iss: CLIENT_ID,
        iat: 1000,
        exp: 1300
      })
      assert.isTrue(yield* signatureVerifies(jwt, key.jwk))
      const other = yield* Jwt.generateKey
      assert.isFalse(yield* signatureVerifies(jwt, other.jwk))
      const short = yield* Jwt.signDeviceJwt(key, { nonce: "n-2", lifetime: "2 minutes", scope: "username" })
      assert.strictEqual(segments(short).payload["exp"], 1120)
      assert.strictEqual(segments(short).payload["scope"], "username")
    }).pipe(Effect.provide(IdentityLive))
  )

  it.effect("decode reads a Plex JWT's expiry; a non-JWT is Malformed", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const token = yield* signWith(
        key,
        { alg: "EdDSA" },
        { iss: "plex.tv", exp: 604800, thumbprint: "t", extra: 1 }
      )
      const decoded = yield* Jwt.decode(token)
      assert.strictEqual(decoded.expiresAt, 604800 * 1000)
      assert.strictEqual(decoded.claims.thumbprint, "t")
      assert.strictEqual((decoded.claims as Record<string, unknown>)["extra"], 1, "unknown claims are kept")
      assert.strictEqual(Redacted.value(decoded.token), token)
      const error = yield* Effect.flip(Jwt.decode(Redacted.make("not-a-jwt")))
      assert.strictEqual(error._tag, "InvalidJwt")
      assert.strictEqual(error.reason, "Malformed")
    })
  )
})
