/**
 * The engine's per-attempt timeout, run through a real operation against the
 * fake Plex under the `TestClock` (virtual time drives it: the timeout
 * interrupts the attempt, and the platform then abandons the request).
 */
import { assert, describe } from "@effect/vitest"
import { Cause, Clock, Deferred, Effect, Exit, Fiber, Option, TestClock } from "effect"
import { Credentials, PlexAuth } from "effect-plex-auth"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { it } from "../support/it.js"
import { fakeReceived } from "../support/assertions.js"
import { withCapturedLogs } from "../support/observe.js"

// ---------------------------------------------------------------------------
// Through an operation, against the fake Plex, under the TestClock
// ---------------------------------------------------------------------------

describe("withRequestTimeout through an operation (fake Plex, TestClock)", () => {
  const layer = FakePlex.layerSignedIn()
  const unknownToken = "not-a-token-the-fake-issued"

  it.effect("an answer that comes in time is the result", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.delay("1999 millis"), { times: 1 })
      const fiber = yield* Effect.fork(
        PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("2 seconds"))
      )
      yield* fakeReceived(1) // the request reached the fake: its timeout (and any delay) runs
      yield* TestClock.adjust("1999 millis")
      assert.strictEqual((yield* Fiber.join(fiber)).username, "alice")
      const [request] = yield* FakePlex.requests
      assert.strictEqual(request?.outcome, "Responded")
      assert.strictEqual(request?.status, 200)
    }).pipe(Effect.provide(layer))
  )

  it.effect(
    "in an uninterruptible region (an acquire, a finalizer) the answer is the result at once, not at the timeout",
    () =>
      Effect.gen(function* () {
        // The attempt's timer loses the race at once; it must be interrupted there too, as Effect's own
        // timeout's is, not waited for (30 seconds, which the TestClock never reaches here).
        const account = yield* Effect.uninterruptible(PlexAuth.getTokenDetails())
        assert.strictEqual(account.username, "alice")
        assert.strictEqual(yield* Clock.currentTimeMillis, 0)
        const released = yield* Effect.scoped(
          Effect.acquireRelease(PlexAuth.getTokenDetails(), () => Effect.orDie(PlexAuth.ping()))
        )
        assert.strictEqual(released.username, "alice")
        assert.deepStrictEqual(
          (yield* FakePlex.requests).map((r) => [r.route, r.status]),
          [
            ["getTokenDetails", 200],
            ["getTokenDetails", 200],
            ["ping", 200]
          ]
        )
      }).pipe(Effect.provide(layer))
  )

  it.effect(
    "in an uninterruptible region a request that hangs still ends at the timeout: NetworkError (Timeout)",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.hang, { times: 1 })
        const fiber = yield* Effect.fork(
          Effect.uninterruptible(
            Effect.flip(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("2 seconds")))
          )
        )
        yield* fakeReceived(1) // the request reached the fake: its timeout (and any delay) runs
        yield* TestClock.adjust("2 seconds")
        const error = yield* Fiber.join(fiber)
        assert.isTrue(error._tag === "NetworkError" && error.reason === "Timeout", error.message)
        const [request] = yield* FakePlex.requests
        assert.strictEqual(request?.outcome, "Interrupted", "the attempt was interrupted, not left running")
      }).pipe(Effect.provide(layer))
  )

  it.effect(
    "in an uninterruptible region an interruption from outside does not stop the request: its answer is the result",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.delay("1 second"), { times: 1 })
        // What the region ends with (the fiber itself then ends interrupted, once out of it).
        const ended = yield* Deferred.make<Exit.Exit<string, unknown>>()
        const fiber = yield* Effect.fork(
          Effect.uninterruptible(
            Effect.flatMap(Effect.exit(Effect.map(PlexAuth.getTokenDetails(), (a) => a.username)), (exit) =>
              Deferred.succeed(ended, exit)
            )
          )
        )
        yield* fakeReceived(1) // the request reached the fake: its timeout (and any delay) runs
        yield* TestClock.adjust("100 millis")
        yield* Fiber.interruptFork(fiber)
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Deferred.await(ended), Exit.succeed("alice"))
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(fiber)))
        const [request] = yield* FakePlex.requests
        assert.strictEqual(request?.outcome, "Responded", "the request was not aborted")
      }).pipe(Effect.provide(layer))
  )

  it.effect(
    "an answer that comes too late: NetworkError (Timeout) at the timeout, the request abandoned",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.delay("3 seconds"), { times: 1 })
        const fiber = yield* Effect.fork(
          Effect.flip(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("2 seconds")))
        )
        yield* fakeReceived(1) // the request reached the fake: its timeout (and any delay) runs
        yield* TestClock.adjust("1999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "must not time out early")
        yield* TestClock.adjust("1 millis")
        const error = yield* Fiber.join(fiber)
        assert.isTrue(error._tag === "NetworkError" && error.reason === "Timeout", error.message)
        assert.include(error.message, "timed out")
        assert.include(error.message, "2s")
        const [request] = yield* FakePlex.requests
        assert.strictEqual(request?.outcome, "Interrupted", "the attempt was interrupted, not left running")
        assert.isUndefined(request?.status)
        // No second attempt, and the late answer is never read.
        yield* TestClock.adjust("1 minute")
        assert.strictEqual((yield* FakePlex.requests).length, 1)
      }).pipe(Effect.provide(layer))
  )

  it.effect("a refused token is handed back with no unhandled-error log line", () =>
    Effect.gen(function* () {
      const { exit, lines } = yield* withCapturedLogs(
        PlexAuth.getTokenDetails().pipe(
          PlexAuth.withRequestTimeout("2 seconds"),
          Credentials.withToken(unknownToken)
        )
      )
      assert.isTrue(
        Exit.isFailure(exit) &&
          Option.getOrUndefined(Cause.failureOption(exit.cause))?._tag === "Unauthorized"
      )
      assert.deepStrictEqual(
        lines.filter((line) => line.includes("unhandled error")),
        []
      )
    }).pipe(Effect.provide(layer))
  )

  it.live("with the live clock too (its own timer), a failure is not logged as unhandled", () =>
    Effect.gen(function* () {
      const { exit, lines } = yield* withCapturedLogs(
        PlexAuth.getTokenDetails().pipe(Credentials.withToken(unknownToken))
      )
      assert.isTrue(
        Exit.isFailure(exit) &&
          Option.getOrUndefined(Cause.failureOption(exit.cause))?._tag === "Unauthorized"
      )
      assert.deepStrictEqual(
        lines.filter((line) => line.includes("unhandled error")),
        []
      )
    }).pipe(Effect.provide(layer))
  )
})
