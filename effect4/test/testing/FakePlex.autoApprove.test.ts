/**
 * The fake approves PINs by itself after a delay the caller sets: in memory
 * (driven by TestClock) and on loopback (real time, delay 0).
 */
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PinLogin from "effect4-plex-auth/PinLogin"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import { FakePlexServer } from "../../src/node/index.js"
import { FakePlex } from "effect4-plex-auth/testing"

const tokenOf = (pin: PinLogin.Pin) => Option.fromNullishOr(pin.authToken)

describe("FakePlex autoApprovePins", () => {
  it.effect("approves a PIN checked once it is `after` old, not before (TestClock)", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      yield* TestClock.adjust("4 seconds")
      assert.isTrue(Option.isNone(tokenOf(yield* PinLogin.check(pin))), "4 s: not yet")
      yield* TestClock.adjust("1 second")
      const approved = yield* PinLogin.check(pin)
      assert.isTrue(Option.isSome(tokenOf(approved)), "5 s: approved")
      const account = yield* PlexAuth.account().pipe(Credentials.withToken(approved.authToken!))
      assert.strictEqual(account.username, FakePlex.defaults.username)
      const fake = yield* FakePlex.FakePlex
      const [recorded] = yield* fake.pins
      assert.strictEqual(recorded?.accountId, fake.accounts[0]?.id)
    }).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: { after: "5 seconds" } })))
  )

  it.effect("PinLogin.poll completes with no forked approval step", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      const fiber = yield* Effect.forkChild(PinLogin.poll(pin))
      yield* TestClock.adjust("10 seconds")
      const token = yield* Fiber.join(fiber)
      const fake = yield* FakePlex.FakePlex
      assert.isTrue(yield* fake.isTokenValid(token))
    }).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: { after: "3 seconds" } })))
  )

  it.effect("approves for the account named", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      const approved = yield* PinLogin.check(pin)
      const account = yield* PlexAuth.account().pipe(Credentials.withToken(approved.authToken!))
      assert.strictEqual(account.username, "bob")
    }).pipe(
      Effect.provide(
        FakePlex.layerSignedIn({ accounts: [{}, { username: "bob" }], autoApprovePins: { account: "bob" } })
      )
    )
  )

  it.effect("`true` approves at the first check", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      assert.isDefined((yield* PinLogin.check(pin)).authToken)
    }).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: true })))
  )

  it.effect("off by default: a PIN stays unapproved until it expires", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      yield* TestClock.adjust("29 minutes")
      assert.isUndefined((yield* PinLogin.check(pin)).authToken)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("an expired PIN is never approved", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create({ strong: false })
      yield* TestClock.adjust("20 minutes")
      const error = yield* Effect.flip(PinLogin.check(pin))
      assert.strictEqual(error._tag, "PinExpired")
      const [recorded] = yield* Effect.flatMap(Effect.service(FakePlex.FakePlex), (fake) => fake.pins)
      assert.isUndefined(recorded?.authToken)
    }).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: { after: "16 minutes" } })))
  )

  it.live("on loopback: PinLogin.login against FakePlexServer completes by itself", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      const token = yield* PinLogin.login({ onPin: () => Effect.void }).pipe(PlexTv.withUrl(server.plexTvUrl))
      assert.isTrue(yield* server.fake.isTokenValid(token))
      assert.isFalse(Redacted.value(token).length === 0)
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          FakePlexServer.layer({ autoApprovePins: {} }),
          FetchHttpClient.layer,
          ClientIdentity.layer({ clientIdentifier: "auto-approve-test", product: "tests" })
        )
      )
    )
  )
})
