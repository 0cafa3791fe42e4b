/**
 * Issue 14: the fake answers as plex.tv does where python-plexapi 4.18 and
 * @ctrl/plex noticed a difference (items 6, 7 and 10).
 */
import { assert, describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Jwt } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { it } from "../support/it.js"
import { CLIENT_ID, rawJson, segments, signedIn, signWith } from "../Jwt/support.js"
import { exchange } from "../testing/support.js"

/** A device key whose `kid` is not its RFC 7638 thumbprint, as python-plexapi and @ctrl/plex make it. */
const hexKid = (key: Jwt.DeviceKey) =>
  Effect.promise(async () => {
    const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(key.jwk.x))
    return Buffer.from(digest).toString("hex")
  })

/** Registers `key` under `kid` and exchanges a device JWT asking for `scope`, by hand. */
const exchangeWithKid = (key: Jwt.DeviceKey, kid: string, scope: string | undefined) =>
  Effect.gen(function* () {
    const fake = yield* FakePlex.FakePlex
    const registered = yield* rawJson("/api/v2/auth/jwk", {
      body: { jwk: { ...key.jwk, kid } },
      token: fake.token
    })
    assert.strictEqual(registered.status, 204)
    const { json: nonce } = yield* rawJson("/api/v2/auth/nonce")
    const now = Math.floor(Date.now() / 1000)
    const deviceJwt = yield* signWith(
      key,
      { alg: "EdDSA", typ: "JWT", kid },
      {
        nonce: nonce.nonce,
        ...(scope === undefined ? {} : { scope }),
        aud: "plex.tv",
        iss: CLIENT_ID,
        iat: now,
        exp: now + 300
      }
    )
    const exchanged = yield* rawJson("/api/v2/auth/token", { body: { jwt: deviceJwt } })
    assert.strictEqual(exchanged.status, 200, JSON.stringify(exchanged.json))
    return Object.assign(segments(exchanged.json.auth_token as string).payload, {
      sentNonce: nonce.nonce as string
    })
  })

describe("the fake's Plex JWT (items 6 and 10d)", () => {
  it.effect("the thumbprint claim echoes the client's kid, even one that is not an RFC 7638 thumbprint", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const kid = yield* hexKid(key)
      assert.notStrictEqual(kid, key.thumbprint)
      const claims = yield* exchangeWithKid(key, kid, undefined)
      assert.strictEqual(claims["thumbprint"], kid)
      const keys = yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.deviceKeys)
      assert.strictEqual(keys.find((k) => k.kid === kid)?.thumbprint, key.thumbprint)
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("the claims @ctrl/plex's verifyPlexJwt requires are there; nonce is the device JWT's", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const { sentNonce, ...claims } = yield* exchangeWithKid(key, key.thumbprint, undefined)
      // @ctrl/plex src/jwt.ts verifyPlexJwt: requiredClaims exp, iat, nonce, thumbprint, user; audience this client.
      for (const name of ["exp", "iat", "nonce", "thumbprint", "user"]) assert.property(claims, name)
      assert.strictEqual(claims["nonce"], sentNonce)
      assert.includeMembers(claims["aud"] as Array<string>, ["plex.tv", CLIENT_ID])
      assert.strictEqual(claims["iss"], "plex.tv")
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("scope and user claims follow the scope the device JWT asked for", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const account = yield* fake.account()
      const key = yield* Jwt.generateKey
      const narrow = yield* exchangeWithKid(key, key.thumbprint, "username")
      assert.strictEqual(narrow["scope"], "username")
      assert.deepStrictEqual(narrow["user"], {
        id: account.id,
        uuid: account.uuid,
        username: account.username
      })

      const wide = yield* Jwt.exchange(key, { scope: "email,joinedAt,restricted,bogus" })
      const claims = segments(wide.token).payload
      assert.strictEqual(claims["scope"], "email,joinedAt,restricted")
      const user = claims["user"] as Record<string, unknown>
      assert.strictEqual(user["email"], account.email)
      assert.isNumber(user["joinedAt"])
      assert.strictEqual(user["restricted"], false)
      assert.notProperty(user, "username")

      const byDefault = yield* Jwt.exchange(key)
      assert.strictEqual(segments(byDefault.token).payload["scope"], Jwt.defaultScope)
    }).pipe(Effect.provide(signedIn()))
  )
})

describe("the fake's sign-in payload (item 7)", () => {
  it.effect("the 2025-08 sign-in carries pastSubscriptions and trials too; the account GET does not", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const signIn = (yield* exchange(`${fake.plexTvUrl}/api/v2/users/signin`, {
        method: "POST",
        form: { login: fake.login, password: Redacted.value(fake.password) }
      })).json()
      assert.match(signIn.pin, /^[0-9a-f]{40}$/, "the 2025-08 shape")
      assert.isArray(signIn.pastSubscriptions)
      assert.deepStrictEqual(signIn.trials, [])
      const user = (yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token })).json()
      assert.notProperty(user, "pastSubscriptions")
      assert.notProperty(user, "trials")
    }).pipe(Effect.provide(FakePlex.layerSignedIn({ shape: "2025-08" })))
  )
})

describe("the fake's XML, as plex.tv writes it (items 10b and 10c)", () => {
  it.effect("subscribedAt is `YYYY-MM-DD HH:MM:SS UTC` in XML and ISO 8601 in JSON", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const xml = yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { accept: null, token: fake.token })
      assert.include(xml.text, '<subscription active="1" subscribedAt="2021-04-12 18:21:12 UTC"')
      assert.notInclude(xml.text, "2021-04-12T18:21:12Z")
      const signIn = yield* exchange(`${fake.plexTvUrl}/api/v2/users/signin`, {
        method: "POST",
        accept: null,
        form: { login: fake.login, password: Redacted.value(fake.password) }
      })
      assert.include(signIn.text, 'subscribedAt="2021-04-12 18:21:12 UTC"')
      const json = (yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token })).json()
      assert.strictEqual(json.subscription.subscribedAt, "2021-04-12T18:21:12Z")
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("null values are empty attributes, not left out", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const xml = yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { accept: null, token: fake.token })
      assert.include(xml.text, ' locale=""')
      assert.include(xml.text, ' attributionPartner=""')
      assert.match(
        xml.text,
        /<subscription active="0" subscribedAt="" status="Inactive" paymentService="" plan=""/
      )
      const pin = yield* exchange(`${fake.plexTvUrl}/api/v2/pins`, { method: "POST", accept: null })
      assert.include(pin.text, ' authToken=""')
    }).pipe(Effect.provide(FakePlex.layerSignedIn({ accounts: [{ plexPass: false }] })))
  )
})
