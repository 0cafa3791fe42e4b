/**
 * The JWT operations against the fake plex.tv: registering a device key,
 * nonces, the exchange of a device JWT for a Plex JWT, and verifying Plex
 * JWTs against the published, rotating keys.
 */
import { assert, describe } from "@effect/vitest"
import { Clock, Duration, Effect, Either, Redacted, TestClock } from "effect"
import { ClientIdentity, Credentials, Jwt, PlexAuth, PlexError } from "effect-plex-auth"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { it } from "../support/it.js"
import { failsWith } from "../support/assertions.js"
import { CLIENT_ID, rawJson, registeredKey, segments, signedIn, signWith } from "./support.js"

const sevenDays = Duration.toMillis(Duration.days(7))

describe("Jwt.registerKey", () => {
  it.effect("registers the public JWK for the token's account; again is AlreadyRegistered", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      assert.strictEqual(yield* Jwt.registerKey(key), "Registered")
      assert.strictEqual(yield* Jwt.registerKey(key), "AlreadyRegistered")
      const fake = yield* FakePlex.FakePlex
      const alice = yield* fake.account()
      assert.deepStrictEqual(yield* fake.deviceKeys, [
        { kid: key.thumbprint, thumbprint: key.thumbprint, accountId: alice.id }
      ])
      const sent = (yield* FakePlex.requests).filter((r) => r.route === "registerJwk")
      assert.strictEqual(sent.length, 2)
      assert.strictEqual(sent[0]!.method, "POST")
      assert.strictEqual(sent[0]!.path, "/api/v2/auth/jwk")
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("a key registered to another account is a 422 BadRequest", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      yield* Jwt.registerKey(key)
      const bob = yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.account("bob"))
      const error = yield* failsWith(Credentials.withToken(Jwt.registerKey(key), bob.token), "BadRequest")
      assert.strictEqual(error.status, 422)
      assert.match(error.message, /another account/)
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("needs a valid token", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const error = yield* failsWith(
        Credentials.withToken(Jwt.registerKey(key), "not-a-token"),
        "Unauthorized"
      )
      assert.strictEqual(error.status, 401)
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("the fake refuses malformed and private JWKs with 422", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const token = FakePlex.defaults.token
      const bad: ReadonlyArray<unknown> = [
        undefined,
        { kty: "RSA", n: "abc", e: "AQAB" },
        { kty: "OKP", crv: "Ed25519", x: "too-short" },
        { kty: "OKP", crv: "X25519", x: key.jwk.x },
        { ...key.jwk, d: Redacted.value(key.d) }
      ]
      for (const jwk of bad) {
        const answer = yield* rawJson("/api/v2/auth/jwk", { body: { jwk }, token })
        assert.strictEqual(answer.status, 422, JSON.stringify(jwk))
      }
      assert.strictEqual((yield* rawJson("/api/v2/auth/jwk", { body: { jwk: key.jwk }, token })).status, 204)
    }).pipe(Effect.provide(signedIn()))
  )
})

describe("Jwt.getNonce and Jwt.exchange", () => {
  it.effect("a nonce is a fresh string each time", () =>
    Effect.gen(function* () {
      const a = yield* Jwt.getNonce()
      const b = yield* Jwt.getNonce()
      assert.isString(a)
      assert.isAbove(a.length, 8)
      assert.notStrictEqual(a, b)
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("exchanges a device JWT for a Plex JWT bound to the key, valid 7 days, usable as a token", () =>
    Effect.gen(function* () {
      yield* TestClock.adjust("1 hour")
      const { key, plexJwt } = yield* registeredKey
      const now = 60 * 60 * 1000
      assert.isTrue(Redacted.isRedacted(plexJwt.token))
      assert.strictEqual(plexJwt.expiresAt, now + sevenDays)
      assert.strictEqual(plexJwt.claims.iss, "plex.tv")
      assert.deepStrictEqual(plexJwt.claims.aud, ["plex.tv", CLIENT_ID])
      assert.strictEqual(plexJwt.claims.thumbprint, key.thumbprint)
      assert.strictEqual(segments(plexJwt.token).header["alg"], "EdDSA")
      // The steps on the wire: nonce, then the exchange.
      const routes = (yield* FakePlex.requests).map((r) => r.route)
      assert.deepStrictEqual(routes.slice(-2), ["getNonce", "exchangeJwt"])
      // The Plex JWT works on plex.tv and on the account's own server.
      const account = yield* Credentials.withToken(PlexAuth.getTokenDetails(), plexJwt.token)
      assert.strictEqual(account.username, "alice")
      const transient = yield* Credentials.withToken(PlexAuth.getTransientToken(), plexJwt.token)
      assert.isTrue(Redacted.isRedacted(transient.token))
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("an unregistered key is refused: Unauthorized (422)", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const error = yield* failsWith(Jwt.exchange(key), "Unauthorized")
      assert.strictEqual(error.status, 422)
      assert.match(error.message, /Signature verification failed/)
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("the fake checks nonce (single use, 5 minutes), signature, iss, aud and exp", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      yield* Jwt.registerKey(key)
      const exchangeRaw = (jwt: string | Redacted.Redacted<string>) =>
        rawJson("/api/v2/auth/token", { body: { jwt: Redacted.isRedacted(jwt) ? Redacted.value(jwt) : jwt } })
      const nonce = yield* Jwt.getNonce()
      const good = yield* Jwt.signDeviceJwt(key, { nonce })
      const first = yield* exchangeRaw(good)
      assert.strictEqual(first.status, 200)
      assert.isString(first.json.auth_token)
      const replay = yield* exchangeRaw(good)
      assert.strictEqual(replay.status, 422, "a nonce is single use")
      assert.match(replay.json.errors[0].message, /nonce/)

      const unknownNonce = yield* Jwt.signDeviceJwt(key, { nonce: "never-issued" })
      assert.strictEqual((yield* exchangeRaw(unknownNonce)).status, 422)

      const stale = yield* Jwt.getNonce()
      yield* TestClock.adjust("5 minutes")
      const late = yield* Jwt.signDeviceJwt(key, { nonce: stale })
      assert.match((yield* exchangeRaw(late)).json.errors[0].message, /nonce/, "a nonce lives 5 minutes")

      const expiring = yield* Jwt.signDeviceJwt(key, { nonce: yield* Jwt.getNonce(), lifetime: "1 minute" })
      yield* TestClock.adjust("61 seconds")
      assert.match((yield* exchangeRaw(expiring)).json.errors[0].message, /expired/)

      const base = { nonce: yield* Jwt.getNonce(), scope: "username", aud: "plex.tv", iss: CLIENT_ID }
      const iat = 601
      const header = { alg: "EdDSA", typ: "JWT", kid: key.thumbprint }
      const wrongIss = yield* signWith(key, header, { ...base, iss: "someone-else", iat, exp: iat + 60 })
      assert.match((yield* exchangeRaw(wrongIss)).json.errors[0].message, /Issuer/)
      const wrongAud = yield* signWith(key, header, { ...base, aud: "example.com", iat, exp: iat + 60 })
      assert.match((yield* exchangeRaw(wrongAud)).json.errors[0].message, /Audience/)
      const impostor = yield* Jwt.generateKey
      const forged = yield* signWith(impostor, header, { ...base, iat, exp: iat + 60 })
      assert.match((yield* exchangeRaw(forged)).json.errors[0].message, /Signature verification failed/)
      const tampered = Redacted.value(good).replace(/\.([^.]+)\./, (_, p: string) => `.${p.slice(0, -2)}xx.`)
      assert.strictEqual((yield* exchangeRaw(tampered)).status, 422)
      assert.strictEqual((yield* exchangeRaw("")).status, 400)
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("429 on the nonce is RateLimited", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* FakePlex.fault("getNonce", Fault.rateLimited("30 seconds"), { times: 1 })
      const error = yield* failsWith(Jwt.exchange(key), "RateLimited")
      assert.strictEqual(error.retryAfterMillis, 30_000)
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("Jwt.upgrade registers the key with the current token and exchanges it", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const plexJwt = yield* Jwt.upgrade(key)
      assert.strictEqual(plexJwt.claims.thumbprint, key.thumbprint)
      const again = yield* Jwt.upgrade(key)
      assert.notStrictEqual(Redacted.value(again.token), Redacted.value(plexJwt.token))
    }).pipe(Effect.provide(signedIn()))
  )
})

describe("Plex JWTs on plex.tv and servers", () => {
  it.effect("an expired Plex JWT is answered 498: Unauthorized", () =>
    Effect.gen(function* () {
      const { plexJwt } = yield* registeredKey
      yield* TestClock.adjust(Duration.days(7))
      const onPlexTv = yield* failsWith(
        Credentials.withToken(PlexAuth.getTokenDetails(), plexJwt.token),
        "Unauthorized"
      )
      assert.strictEqual(onPlexTv.status, 498)
      const onServer = yield* failsWith(
        Credentials.withToken(PlexAuth.getTransientToken(), plexJwt.token),
        "Unauthorized"
      )
      assert.strictEqual(onServer.status, 498)
    }).pipe(Effect.provide(signedIn()))
  )
})

describe("Jwt.verify", () => {
  it.effect("verifies a Plex JWT against the published keys and returns its claims", () =>
    Effect.gen(function* () {
      const { key, plexJwt } = yield* registeredKey
      const claims = yield* Jwt.verify(plexJwt.token, key)
      assert.strictEqual(claims.thumbprint, key.thumbprint)
      assert.strictEqual(claims.iss, "plex.tv")
      // By thumbprint too.
      yield* Jwt.verify(plexJwt.token, key.thumbprint)
      const keys = yield* Jwt.getKeys()
      assert.strictEqual(keys.length, 1)
      assert.strictEqual(keys[0]!.kty, "OKP")
      assert.strictEqual(keys[0]!.kid, segments(plexJwt.token).header["kid"])
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect(
    "after a rotation, old and new tokens verify while the old key is published; then old ones fail",
    () =>
      Effect.gen(function* () {
        const { key, plexJwt: before } = yield* registeredKey
        const newKid = yield* FakePlex.rotateJwtKey()
        const after = yield* Jwt.exchange(key)
        assert.strictEqual(segments(after.token).header["kid"], newKid)
        const keys = yield* Jwt.getKeys()
        assert.strictEqual(keys.length, 2)
        assert.strictEqual(keys[1]!.kid, newKid, "the new key is not the first one: all must be tried")
        yield* Jwt.verify(before.token, key)
        yield* Jwt.verify(after.token, key)
        // Withdrawing the old keys: tokens they signed no longer verify.
        yield* FakePlex.rotateJwtKey({ retainPrevious: false })
        const error = yield* failsWith(Jwt.verify(after.token, key), "InvalidJwt")
        assert.strictEqual(error.reason, "Signature")
        const latest = yield* Jwt.exchange(key)
        yield* Jwt.verify(latest.token, key)
      }).pipe(Effect.provide(signedIn()))
  )

  it.effect(
    "an InvalidJwt names the operation called: Jwt.verifyWith for given keys, Jwt.verify for plex.tv's",
    () =>
      Effect.gen(function* () {
        // Jwt.verifyWith's failures were named Jwt.verify (the check both share), an operation the caller never called.
        const { plexJwt } = yield* registeredKey
        const other = yield* Jwt.generateKey
        const keys = yield* Jwt.getKeys()
        const given = yield* failsWith(Jwt.verifyWith(plexJwt.token, { keys, binding: other }), "InvalidJwt")
        assert.strictEqual(given.reason, "Thumbprint")
        assert.strictEqual(given.operation, "Jwt.verifyWith")
        assert.match(given.message, /^Jwt\.verifyWith: /)
        const fetched = yield* failsWith(Jwt.verify(plexJwt.token, other), "InvalidJwt")
        assert.strictEqual(fetched.operation, "Jwt.verify")
      }).pipe(Effect.provide(signedIn()))
  )

  it.effect("an InvalidJwt's message ends with what to do about the token, for each reason", () =>
    Effect.gen(function* () {
      // It said only what was wrong ("...: the JWT is not valid (Expired): it has expired"), where every error's
      // message ends with what the caller does next.
      const { key, plexJwt } = yield* registeredKey
      const signer = yield* Jwt.generateKey
      const good = segments(plexJwt.token).payload
      const nowS = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const messageOf = (token: string | Record<string, unknown>, binding: Jwt.Binding = key) =>
        Effect.flatMap(
          typeof token === "string" ? Effect.succeed(token) : signWith(signer, { alg: "EdDSA" }, token),
          (jwt) =>
            Effect.map(
              failsWith(Jwt.verifyWith(jwt, { keys: [signer.jwk], binding }), "InvalidJwt"),
              (e) => e.message
            )
        )
      const other = yield* Jwt.generateKey
      const again = "do not use it; get a new one (Jwt.exchange)"
      assert.deepStrictEqual(
        [
          yield* messageOf("a.b"),
          yield* messageOf(Redacted.value(plexJwt.token)),
          yield* messageOf({ ...good, iss: "evil.example" }),
          yield* messageOf({ ...good, aud: ["somewhere.else"] }),
          yield* messageOf({ ...good, exp: nowS - 90 }),
          yield* messageOf({ ...good, nbf: nowS + 90 }),
          yield* messageOf(good, other)
        ],
        [
          "Jwt.verifyWith: the JWT is not valid (Malformed): not a compact JWS with JSON header and claims; give a Plex JWT (from Jwt.exchange or Jwt.pinLogin; Jwt.upgrade trades a classic token for one)",
          `Jwt.verifyWith: the JWT is not valid (Signature): no key of the 1 Ed25519 keys given verifies its signature; ${again}`,
          `Jwt.verifyWith: the JWT is not valid (Issuer): the issuer is not plex.tv; ${again}`,
          `Jwt.verifyWith: the JWT is not valid (Audience): the audience names neither plex.tv nor this client; ${again}`,
          `Jwt.verifyWith: the JWT is not valid (Expired): it has expired; ${again}`,
          "Jwt.verifyWith: the JWT is not valid (NotYetValid): it is not valid yet (nbf); check this machine's clock, or allow more clockSkew",
          "Jwt.verifyWith: the JWT is not valid (Thumbprint): it is bound to another device key; verify it with the device key it is bound to, or get one for this key (Jwt.exchange)"
        ]
      )
      // Jwt.decode's Malformed too: a classic token is no JWT.
      const decoded = yield* failsWith(Jwt.decode("classic-token-0123"), "InvalidJwt")
      assert.strictEqual(
        decoded.message,
        "Jwt.decode: the JWT is not valid (Malformed): not a compact JWS with JSON claims; give a Plex JWT (from Jwt.exchange or Jwt.pinLogin; Jwt.upgrade trades a classic token for one)"
      )
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("fails with InvalidJwt for a bad signature, wrong iss or aud, expiry, another key", () =>
    Effect.gen(function* () {
      const { key, plexJwt } = yield* registeredKey
      const reasonOf = (token: string | Redacted.Redacted<string>, binding: Jwt.Binding = key) =>
        Effect.map(failsWith(Jwt.verify(token, binding), "InvalidJwt"), (e) => e.reason)

      const [h, p, s] = Redacted.value(plexJwt.token).split(".")
      const claims = segments(plexJwt.token).payload
      const forgedPayload = Buffer.from(JSON.stringify({ ...claims, thumbprint: "x" })).toString("base64url")
      assert.strictEqual(yield* reasonOf(`${h}.${forgedPayload}.${s}`), "Signature")
      assert.strictEqual(yield* reasonOf(`${h}.${p}.${s!.slice(0, -4)}AAAA`), "Signature")
      assert.strictEqual(yield* reasonOf("a.b"), "Malformed")
      const other = yield* Jwt.generateKey
      assert.strictEqual(yield* reasonOf(plexJwt.token, other), "Thumbprint")

      // Claims checks, with a signing key the test controls.
      const signer = yield* Jwt.generateKey
      const keys = [signer.jwk]
      const good = { ...claims }
      const sign = (payload: Record<string, unknown>, header: Record<string, unknown> = { alg: "EdDSA" }) =>
        signWith(signer, header, payload)
      const check = (token: string) =>
        Effect.map(Effect.flip(Jwt.verifyWith(token, { keys, binding: key })), (e) => e.reason)
      yield* Jwt.verifyWith(yield* sign(good), { keys, binding: key })
      // The kid is a hint: every key is tried, whatever it names.
      const decoy = yield* Jwt.generateKey
      const misnamed = yield* sign(good, { alg: "EdDSA", kid: decoy.thumbprint })
      yield* Jwt.verifyWith(misnamed, { keys: [decoy.jwk, { kty: "RSA" }, signer.jwk], binding: key })
      assert.strictEqual(
        yield* Effect.map(
          Effect.flip(Jwt.verifyWith(misnamed, { keys: [decoy.jwk], binding: key })),
          (e) => e.reason
        ),
        "Signature"
      )
      assert.strictEqual(yield* check(yield* sign({ ...good, iss: "evil.example" })), "Issuer")
      assert.strictEqual(yield* check(yield* sign({ ...good, aud: ["somewhere.else"] })), "Audience")
      yield* Jwt.verifyWith(yield* sign({ ...good, aud: CLIENT_ID }), { keys, binding: key })
      yield* Jwt.verifyWith(yield* sign({ ...good, aud: "plex.tv" }), { keys, binding: key })
      const { exp: _exp, ...noExp } = good
      assert.strictEqual(yield* check(yield* sign(noExp)), "Expired")
      assert.strictEqual(yield* check(yield* sign(good, { alg: "HS256" })), "Malformed")
      // exp and nbf, give or take the clock skew (1 minute by default, or as given).
      const nowS = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const verifies = (payload: Record<string, unknown>, clockSkew?: Duration.DurationInput) =>
        Effect.flatMap(sign(payload), (token) =>
          Effect.either(Jwt.verifyWith(token, { keys, binding: key, clockSkew }))
        ).pipe(Effect.map((result) => (Either.isRight(result) ? "ok" : result.left.reason)))
      assert.strictEqual(yield* verifies({ ...good, exp: nowS - 30 }), "ok")
      assert.strictEqual(yield* verifies({ ...good, exp: nowS - 30 }, 0), "Expired")
      assert.strictEqual(yield* verifies({ ...good, exp: nowS - 90 }), "Expired")
      assert.strictEqual(yield* verifies({ ...good, exp: nowS - 90 }, "2 minutes"), "ok")
      assert.strictEqual(yield* verifies({ ...good, nbf: nowS + 30 }), "ok")
      assert.strictEqual(yield* verifies({ ...good, nbf: nowS + 30 }, 0), "NotYetValid")
      assert.strictEqual(yield* verifies({ ...good, nbf: nowS + 90 }), "NotYetValid")
      assert.strictEqual(yield* verifies({ ...good, nbf: "soon" }), "ok", "a malformed nbf is absent")
      assert.strictEqual(yield* verifies({ ...good, nbf: nowS - 10 }), "ok")
      // Expiry follows the Clock (the 7-day token, once the minute of skew is over too).
      yield* TestClock.adjust(Duration.sum(Duration.days(7), Duration.minutes(1)))
      assert.strictEqual(yield* reasonOf(plexJwt.token), "Expired")
      assert.strictEqual(yield* check(yield* sign(good)), "Expired")
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("InvalidJwt is a PlexError and never carries the token", () =>
    Effect.gen(function* () {
      const { key, plexJwt } = yield* registeredKey
      yield* TestClock.adjust(Duration.days(8))
      const error = yield* failsWith(Jwt.verify(plexJwt.token, key), "InvalidJwt")
      assert.isTrue(PlexError.isPlexError(error))
      const secret = Redacted.value(plexJwt.token)
      for (const text of [String(error), JSON.stringify(error), error.message]) {
        assert.isFalse(text.includes(secret))
        assert.isFalse(text.includes(secret.split(".")[2]!))
      }
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("a client named in aud verifies for that client", () =>
    Effect.gen(function* () {
      const { key, plexJwt } = yield* registeredKey
      // The fake's tokens name plex.tv and the client; a verifier with another identity still accepts plex.tv.
      const claims = yield* Jwt.verify(plexJwt.token, key).pipe(
        Effect.provide(ClientIdentity.layer({ clientIdentifier: "another-client", product: "x" }))
      )
      assert.deepStrictEqual(claims.aud, ["plex.tv", CLIENT_ID])
    }).pipe(Effect.provide(signedIn()))
  )
})
