/**
 * The fake approves PINs by itself after a delay the caller sets: in memory
 * (driven by TestClock) and on loopback (real time, delay 0).
 */
import { FetchHttpClient } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, Redacted, TestClock } from "effect"
import { ClientIdentity, Credentials, PinLogin, PlexAuth, PlexTv } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { FakePlex } from "effect-plex-auth/testing"
import { it } from "../support/it.js"

const tokenOf = (pin: PinLogin.Pin) => Option.fromNullable(pin.authToken)

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
      const fiber = yield* Effect.fork(PinLogin.poll(pin))
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
      const [recorded] = yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.pins)
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
