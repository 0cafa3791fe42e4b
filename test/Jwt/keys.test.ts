/**
 * Device keys and device JWTs, without plex.tv: generation, the RFC 7638
 * thumbprint, export and import, and the signed device JWT.
 */
import { createHash } from "node:crypto"
import { inspect } from "node:util"
import { vi } from "vitest"
import { assert, describe } from "@effect/vitest"
import { Effect, Either, Layer, Redacted, TestClock } from "effect"
import { ClientIdentity, Jwt } from "effect-plex-auth"
import { it } from "../support/it.js"
import { FakePlex } from "effect-plex-auth/testing"
import { CLIENT_ID, identity, rawJson, segments, signatureVerifies, signedIn, signWith } from "./support.js"

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

  it.effect("exportKey of a key whose d was wiped is InvalidInput saying so, not Effect's own error", () =>
    Effect.gen(function* () {
      // Redacted.value of the wiped d threw Effect's "Unable to get redacted value".
      const key = yield* Jwt.generateKey
      Redacted.unsafeWipe(key.d)
      const thrown = (() => {
        try {
          return Jwt.exportKey(key)
        } catch (error) {
          return error as { readonly _tag: string; readonly message: string }
        }
      })()
      assert.isFalse(Redacted.isRedacted(thrown), "threw")
      const error = thrown as { readonly _tag: string; readonly message: string }
      assert.strictEqual(
        `${error._tag}: ${error.message}`,
        "InvalidInput: Jwt.exportKey: invalid key: its private member d was wiped: export a key before wiping it"
      )
    })
  )

  it.effect(
    "importKey given the exported key's file read as bytes says to give its text, not a privateKey",
    () =>
      Effect.gen(function* () {
        // Read as a key pair, it said "has a privateKey that is not 32 bytes", of a privateKey never given.
        const bytes = Buffer.from(Redacted.value(Jwt.exportKey(yield* Jwt.generateKey)))
        for (const input of [bytes, new Uint8Array(bytes), bytes.buffer, Redacted.make(bytes)]) {
          const refused = yield* Effect.flip(Jwt.importKey(input as unknown as string))
          assert.strictEqual(
            `${refused._tag}: ${refused.message}`,
            'InvalidInput: Jwt.importKey: invalid key: is bytes, not text: give the JSON text Jwt.exportKey wrote (read its file as text: readFile(path, "utf8")), or python-plexapi\'s key pair as { privateKey, publicKey }'
          )
        }
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

  // python-plexapi's MyPlexJWTLogin.generateKeypair(keyfiles=...) writes the raw 32-byte private and public keys, and
  // registers the key under kid = hex SHA-256(private bytes || public bytes) (MyPlexJWTLogin._keyID).
  const plexapiPrivate = Buffer.from(rfc8037.d, "base64url")
  const plexapiPublic = Buffer.from(rfc8037.x, "base64url")
  const plexapiKid = createHash("sha256").update(plexapiPrivate).update(plexapiPublic).digest("hex")

  it.effect(
    "imports python-plexapi's key pair (raw 32-byte keys), keeping the kid python-plexapi registered",
    () =>
      Effect.gen(function* () {
        for (const [label, pair] of [
          ["both keys", { privateKey: plexapiPrivate, publicKey: plexapiPublic }],
          ["a Redacted private key", { privateKey: Redacted.make(plexapiPrivate), publicKey: plexapiPublic }],
          ["the private key alone (the public one derived)", { privateKey: Redacted.make(plexapiPrivate) }],
          [
            "Uint8Arrays",
            { privateKey: new Uint8Array(plexapiPrivate), publicKey: new Uint8Array(plexapiPublic) }
          ]
        ] as const) {
          const key = yield* Jwt.importKey(pair)
          assert.strictEqual(key.jwk.x, rfc8037.x, label)
          assert.strictEqual(privateMember(key), rfc8037.d, label)
          assert.strictEqual(key.thumbprint, plexapiKid, label)
          assert.strictEqual(key.jwk.kid, plexapiKid, label)
          // The same signing key: RFC 8037's deterministic signature.
          const input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
          const signature = yield* Effect.promise(() =>
            globalThis.crypto.subtle.sign("Ed25519", key.privateKey, new TextEncoder().encode(input))
          )
          assert.strictEqual(
            Buffer.from(signature).toString("base64url"),
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
            label
          )
          // exportKey keeps that kid, and importKey reads it back (it is derived from x and d, so it is checked).
          const again = yield* Jwt.importKey(Jwt.exportKey(key))
          assert.deepStrictEqual(again.jwk, key.jwk, label)
        }
        // The caller's bytes are left as they were.
        assert.strictEqual(plexapiPrivate.toString("base64url"), rfc8037.d)
      })
  )

  it.effect(
    "a key brought from python-plexapi gets Plex JWTs from the registration python-plexapi made",
    () =>
      Effect.gen(function* () {
        // Registered as python-plexapi registers it (MyPlexJWTLogin._publicJWK), before this library ever saw it.
        const jwk = { kty: "OKP", crv: "Ed25519", x: rfc8037.x, use: "sig", alg: "EdDSA", kid: plexapiKid }
        const registered = yield* rawJson("/api/v2/auth/jwk", {
          body: { jwk },
          token: FakePlex.defaults.token
        })
        assert.strictEqual(registered.status, 204)
        const key = yield* Jwt.importKey({
          privateKey: Redacted.make(plexapiPrivate),
          publicKey: plexapiPublic
        })
        // No registerKey: the device JWT names the key as python-plexapi registered it, and the Plex JWT is bound to it.
        const plexJwt = yield* Jwt.exchange(key)
        assert.strictEqual(plexJwt.claims.thumbprint, plexapiKid)
        const claims = yield* Jwt.verify(plexJwt.token, key)
        assert.strictEqual(claims.thumbprint, plexapiKid)
      }).pipe(Effect.provide(signedIn()))
  )

  it.effect("refuses what is not python-plexapi's key pair, without quoting it", () =>
    Effect.gen(function* () {
      const other = yield* Jwt.generateKey
      const otherPublic = Buffer.from(other.jwk.x, "base64url")
      const cases: ReadonlyArray<readonly [string, unknown, RegExp]> = [
        [
          "a 31-byte private key",
          { privateKey: plexapiPrivate.subarray(1) },
          /privateKey that is not 32 bytes/
        ],
        [
          "a 64-byte private key",
          { privateKey: Buffer.concat([plexapiPrivate, plexapiPublic]) },
          /not 32 bytes/
        ],
        ["the private key as text", { privateKey: rfc8037.d }, /privateKey that is not 32 bytes/],
        ["no private key", { publicKey: plexapiPublic }, /privateKey that is not 32 bytes/],
        [
          "a short public key",
          { privateKey: plexapiPrivate, publicKey: plexapiPublic.subarray(2) },
          /publicKey that is not 32 bytes/
        ],
        [
          "another key's public key",
          { privateKey: plexapiPrivate, publicKey: otherPublic },
          /not the public half of its privateKey/
        ],
        ["null", null, /not an Ed25519 JWK/],
        ["a number", 42, /not an Ed25519 JWK/],
        [
          "a JWK whose kid is a hex SHA-256 other than its python-plexapi key ID",
          JSON.stringify({ ...rfc8037, kid: createHash("sha256").update(otherPublic).digest("hex") }),
          /kid that is neither its thumbprint nor its python-plexapi key ID/
        ]
      ]
      for (const [label, input, reason] of cases) {
        // Untyped JavaScript may pass anything.
        const result = yield* Effect.either(Jwt.importKey(input as Parameters<typeof Jwt.importKey>[0]))
        assert.isTrue(Either.isLeft(result), label)
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left._tag, "InvalidInput", label)
          assert.match(result.left.reason, reason, label)
          for (const text of [String(result.left), JSON.stringify(result.left), inspect(result.left)]) {
            for (const secret of [
              rfc8037.d,
              plexapiPrivate.toString("hex"),
              plexapiPrivate.toString("base64")
            ]) {
              assert.isFalse(text.includes(secret), `${label} leaks the private key`)
            }
          }
        }
      }
    })
  )

  it.effect("zeroes its copy of python-plexapi's private key when Web Crypto refuses it", () =>
    Effect.gen(function* () {
      // A platform without Ed25519 refuses the PKCS#8 the raw private key is wrapped in: the copy is zeroed anyway.
      const subtle = globalThis.crypto.subtle
      const original = subtle.importKey.bind(subtle)
      const seen: Array<Uint8Array> = []
      const spy = vi.spyOn(subtle, "importKey").mockImplementation(((
        format: string,
        keyData: unknown,
        ...rest: Array<unknown>
      ) => {
        if (format !== "pkcs8")
          return (original as (...args: Array<unknown>) => unknown)(format, keyData, ...rest)
        seen.push(keyData as Uint8Array)
        return Promise.reject(new DOMException("Ed25519 is not supported", "NotSupportedError"))
      }) as typeof subtle.importKey)
      yield* Effect.addFinalizer(() => Effect.sync(() => spy.mockRestore()))
      const result = yield* Effect.either(Jwt.importKey({ privateKey: Redacted.make(plexapiPrivate) }))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.match(result.left.reason, /was refused by Web Crypto/)
      assert.strictEqual(seen.length, 1)
      assert.isTrue(
        seen.every((bytes) => bytes.length === 48 && bytes.every((byte) => byte === 0)),
        "the PKCS#8 copy of the private key is zeroed"
      )
      // The caller's bytes are left as they were.
      assert.strictEqual(plexapiPrivate.toString("base64url"), rfc8037.d)
    }).pipe(Effect.scoped)
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
      assert.strictEqual(
        error._tag === "InvalidJwt" ? error.detail : undefined,
        "not a compact JWS with JSON claims"
      )
    })
  )
})
