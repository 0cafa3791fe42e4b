/**
 * A TV shows a four-character code (a short PIN) and a signed-in companion approves it (`Link.link`): the
 * whole journey against the in-memory fake, and what the companion is told when a link's answer was lost.
 * Mirrors test/features/Link.test.ts.
 */
import { assert, describe } from "@effect/vitest"
import { Effect, Fiber, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { ClientIdentity, Credentials, Link, PinLogin, PlexAuth } from "effect4-plex-auth"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { it } from "../support/it.js"

const Tv = ClientIdentity.layer({ clientIdentifier: "living-room-tv", product: "My TV App" })
const Companion = ClientIdentity.layer({ clientIdentifier: "companion-app", product: "My Companion" })
/** The companion: its own identity, signed in as alice. */
const companion = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provide(Companion), Credentials.withToken(FakePlex.defaults.token))

describe("Link: a TV's code approved by a companion", () => {
  it.effect("the TV's login ends with a token of the companion's account", () =>
    Effect.gen(function* () {
      const shown: Array<string> = []
      const tv = yield* PinLogin.login({
        strong: false,
        onPin: ({ pin }) => Effect.sync(() => shown.push(pin.code))
      }).pipe(Effect.provide(Tv), Effect.forkChild)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(shown.length, 1)
      assert.match(shown[0]!, /^[A-Z0-9]{4}$/)
      yield* companion(Link.link(shown[0]!.toLowerCase()))
      yield* TestClock.adjust("1 second")
      const token = yield* Fiber.join(tv)
      const account = yield* PlexAuth.account().pipe(Effect.provide(Tv), Credentials.withToken(token))
      assert.strictEqual(account.username, "alice")
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect(
    "a link whose answer was lost went through: linking again is refused, and the message does not say the device needs a new code",
    () =>
      Effect.gen(function* () {
        const pin = yield* PinLogin.create({ strong: false }).pipe(Effect.provide(Tv))
        // plex.tv links the code, then the connection drops before its answer (a 204's body cut: a reset).
        yield* FakePlex.fault("linkPin", Fault.truncate(), { times: 1 })
        const lost = yield* Effect.flip(companion(Link.link(pin.code)))
        assert.strictEqual(lost._tag, "NetworkError")
        const again = yield* Effect.flip(companion(Link.link(pin.code)))
        assert.strictEqual(again._tag, "BadRequest")
        assert.include(again.message, "an earlier link whose answer was lost may have gone through")
        assert.include(again.message, "if the device is still not signed in, have it show a new code")
        // And so it had: the TV's next check gets its token.
        const checked = yield* PinLogin.check(pin).pipe(Effect.provide(Tv))
        assert.isTrue(Redacted.isRedacted(checked.authToken))
      }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect(
    "a code that expired on the TV: the TV's login fails with PinExpired, the companion's link with NotFound",
    () =>
      Effect.gen(function* () {
        const shown: Array<string> = []
        const tv = yield* PinLogin.login({
          strong: false,
          onPin: ({ pin }) => Effect.sync(() => shown.push(pin.code))
        }).pipe(Effect.provide(Tv), Effect.flip, Effect.forkChild)
        yield* TestClock.adjust("1 minute")
        const expired = yield* Fiber.join(tv)
        assert.isTrue(expired._tag === "PinExpired" && expired.reason === "Expired")
        const late = yield* Effect.flip(companion(Link.link(shown[0]!)))
        assert.strictEqual(late._tag, "NotFound")
        assert.include(late.message, "have the device show a new code and link that")
      }).pipe(Effect.provide(FakePlex.layer({ pinLifetime: { short: "1 minute" } })))
  )

  it.effect("a code given as a wiped Redacted is InvalidInput saying it was wiped, and nothing is sent", () =>
    Effect.gen(function* () {
      // A secret's check says "was wiped" of a `Redacted` wiped before it was given (as for a Home PIN or a claim
      // token), not that the code is not four characters: the caller's code may have been right.
      const code = Redacted.make("ABCD")
      Redacted.wipeUnsafe(code)
      const refused = yield* Effect.flip(companion(Link.link(code)))
      assert.strictEqual(refused._tag, "InvalidInput")
      assert.strictEqual(refused.message, "Link.link: invalid code: was wiped")
      assert.deepStrictEqual(yield* FakePlex.requests, [])
    }).pipe(Effect.provide(FakePlex.layer()))
  )
})
