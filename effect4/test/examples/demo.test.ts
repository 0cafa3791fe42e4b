/**
 * The Effect 4 demo (effect4/examples/demo.ts, `npm run demo:effect4`) cannot
 * rot: its journey runs here in process against the fake on loopback, as the
 * command runs it, with its transcript captured by `TestConsole`. Its sockets
 * are real, its time the TestClock's: the one wait of the journey (the
 * rate-limit step's `Retry-After` of one second) is let pass by
 * `TestClock.adjust` as soon as the retry sleeps, so the test waits on no
 * real clock and the transcript's times are exact.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import { TestClock, TestConsole } from "effect/testing"
import * as Credentials from "effect4-plex-auth/Credentials"
import { failureReason, main } from "../../examples/demo.js"

/**
 * The shortest sleep that guards I/O rather than waits: the engine's per-attempt timer for the default timeout
 * (30 s), which sleeps the timeout less a millisecond and then that millisecond (so that under the TestClock an
 * answer due at the timeout is the answer, as in the Effect 3 edition).
 */
const timerSleep = Duration.millis(30_000 - 1)

/**
 * Runs `effect` on the test's `TestClock`, moving the clock by each wait's duration once its sleep is
 * registered (each sleep starts in a child fiber at once, and only then is it announced), so that every
 * wait passes at once and is seen at its exact length. The per-attempt timeouts' sleeps are left alone:
 * moving the clock past them would time out requests still in flight on the real sockets.
 */
const passingTime = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const testClock = yield* Clock.Clock
    const sleeps = yield* Queue.unbounded<Duration.Duration>()
    const announcing: Clock.Clock = {
      currentTimeMillisUnsafe: () => testClock.currentTimeMillisUnsafe(),
      currentTimeMillis: testClock.currentTimeMillis,
      currentTimeNanosUnsafe: () => testClock.currentTimeNanosUnsafe(),
      currentTimeNanos: testClock.currentTimeNanos,
      monotonicTimeNanosUnsafe: () => testClock.monotonicTimeNanosUnsafe(),
      monotonicTimeNanos: testClock.monotonicTimeNanos,
      sleep: (duration) =>
        Effect.gen(function* () {
          const sleeping = yield* Effect.forkChild(testClock.sleep(duration), { startImmediately: true })
          yield* Queue.offer(sleeps, duration)
          yield* Fiber.join(sleeping)
        })
    }
    yield* Effect.forkChild(
      Effect.forever(
        Effect.flatMap(Queue.take(sleeps), (d) =>
          Duration.isLessThan(d, timerSleep) ? TestClock.adjust(d) : Effect.void
        )
      )
    )
    return yield* Effect.provideService(effect, Clock.Clock, announcing)
  })

describe("examples/demo.ts (Effect 4 edition)", () => {
  it.effect("the journey against the fake on loopback goes as expected, and says which edition it is", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(passingTime(main([])))
      const lines = (yield* TestConsole.logLines).map(String)
      assert.isTrue(Exit.isSuccess(exit), Exit.isFailure(exit) ? failureReason(exit.cause) : "")
      assert.include(lines[0], "Effect 4 edition")
      const transcript = lines.join("\n")
      for (const expected of [
        "VerificationCodeRequired",
        "signed in as alice",
        "Unauthorized",
        "attempt 1: HTTP 429 at +0 ms",
        // The Retry-After of 1 s, longer than the policy's 100 ms: exactly, on the TestClock.
        "attempt 2: HTTP 200 at +1000 ms",
        "retried by RetryPolicy.backoff after the Retry-After"
      ]) {
        assert.include(transcript, expected)
      }
      // Every token it shows is redacted.
      assert.include(transcript, "token <redacted>")
      assert.notInclude(transcript, "correct horse battery staple")
    }).pipe(Effect.provide(TestConsole.layer))
  )

  it.effect("--server without a URL fails with a clear message, before any request", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(main(["--server"]))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(failureReason(exit.cause), "--server needs a URL")
      assert.include(failureReason(Cause.die("boom")), "boom")
    })
  )

  it.effect(
    "a ConfigError (Effect 4's is no Error) is said naming the variable, not as [object Object]",
    () =>
      Effect.gen(function* () {
        // What Credentials.layerConfig() fails with when PLEX_TOKEN is not set.
        const missing = yield* Effect.flip(
          Effect.provide(Effect.void, Credentials.layerConfig()).pipe(
            Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({}))
          )
        )
        assert.strictEqual(missing._tag, "ConfigError")
        const said = failureReason(Cause.fail(missing))
        assert.include(said, 'at ["PLEX_TOKEN"]')
        assert.include(said, "Expected PLEX_TOKEN to be set")
        assert.notInclude(said, "[object Object]")
      })
  )
})
