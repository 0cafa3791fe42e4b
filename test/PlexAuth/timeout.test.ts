/**
 * The engine's per-attempt timeout. `timeoutWith` is driven here by a manual
 * timer the test fires itself, so every ordering (the effect first, the timer
 * first, the caller interrupted) is deterministic; then the whole path is run
 * through a real operation against the fake Plex under the `TestClock`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Option, TestClock } from "effect"
import { Credentials, PlexAuth } from "effect-plex-auth"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { type Timer, timeoutWith } from "../../src/internal/request.js"
import { withCapturedLogs } from "../support/observe.js"

// ---------------------------------------------------------------------------
// A timer the test controls
// ---------------------------------------------------------------------------

interface Scheduled {
  readonly millis: number
  /** The task as scheduled; calling it directly simulates a timer that fires although it was cancelled. */
  readonly task: () => void
  cancelled: boolean
}

interface ManualTimer {
  readonly timer: Timer
  readonly scheduled: ReadonlyArray<Scheduled>
  /** Fires every task that has not been cancelled, as a real timer would when its time came. */
  readonly fire: Effect.Effect<void>
}

const manualTimer: Effect.Effect<ManualTimer> = Effect.sync(() => {
  const scheduled: Array<Scheduled> = []
  const timer: Timer = (task, millis) => {
    const entry: Scheduled = { millis, task, cancelled: false }
    scheduled.push(entry)
    return () => {
      entry.cancelled = true
    }
  }
  const fire = Effect.sync(() => {
    for (const entry of scheduled) if (!entry.cancelled) entry.task()
  })
  return { timer, scheduled, fire }
})

/** The only task scheduled so far. */
const onlyScheduled = (manual: ManualTimer): Scheduled => {
  assert.strictEqual(manual.scheduled.length, 1, "exactly one timer scheduled")
  return manual.scheduled[0]!
}

/** An `onTimeout` that counts its calls. */
const countingTimeout = Effect.sync(() => {
  let count = 0
  return {
    calls: Effect.sync(() => count),
    onTimeout: () => {
      count++
      return "timed out" as const
    }
  }
})

/**
 * An effect that signals `started`, then runs until interrupted, and
 * completes `interrupted` when its interruption is handled; `slowToStop`
 * does the same but takes until `release` to stop.
 */
const parked = Effect.gen(function* () {
  const started = yield* Deferred.make<void>()
  const interrupted = yield* Deferred.make<void>()
  const release = yield* Deferred.make<void>()
  const effect = Deferred.succeed(started, undefined).pipe(
    Effect.zipRight(Effect.never),
    Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
  )
  const slowToStop = Deferred.succeed(started, undefined).pipe(
    Effect.zipRight(Effect.never),
    Effect.onInterrupt(() =>
      Effect.zipRight(Deferred.await(release), Deferred.succeed(interrupted, undefined))
    )
  )
  return { started, interrupted, release, effect, slowToStop }
})

/** The failure of `exit`, which must be a failure with nothing but that error in its cause. */
const onlyFailure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (exit._tag === "Success") return assert.fail(`expected a failure, got ${String(exit.value)}`)
  if (exit.cause._tag !== "Fail")
    return assert.fail(`expected a plain failure, got ${Cause.pretty(exit.cause)}`)
  return exit.cause.error
}

// ---------------------------------------------------------------------------
// timeoutWith
// ---------------------------------------------------------------------------

describe("timeoutWith: the effect finishes first", () => {
  it.effect("an immediate success is the result; the timer is scheduled for `millis` and cancelled", () =>
    Effect.gen(function* () {
      const manual = yield* manualTimer
      const { calls, onTimeout } = yield* countingTimeout
      const value = yield* timeoutWith(Effect.succeed(42), 1500, onTimeout, manual.timer)
      assert.strictEqual(value, 42)
      const scheduled = onlyScheduled(manual)
      assert.strictEqual(scheduled.millis, 1500)
      assert.isTrue(scheduled.cancelled)
      assert.strictEqual(yield* calls, 0)
    })
  )

  it.effect("a later success is the result; the timer runs until then and is cancelled", () =>
    Effect.gen(function* () {
      const manual = yield* manualTimer
      const { calls, onTimeout } = yield* countingTimeout
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<string>()
      const fiber = yield* Effect.fork(
        timeoutWith(
          Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(gate)),
          1000,
          onTimeout,
          manual.timer
        )
      )
      yield* Deferred.await(started)
      assert.isFalse(onlyScheduled(manual).cancelled)
      assert.isNull(fiber.unsafePoll())
      yield* Deferred.succeed(gate, "answer")
      assert.strictEqual(yield* Fiber.join(fiber), "answer")
      assert.isTrue(onlyScheduled(manual).cancelled)
      // A timer whose cancellation came too late changes nothing.
      onlyScheduled(manual).task()
      assert.strictEqual(yield* calls, 0)
    })
  )

  it.effect("a failure is the result, as it was; the timer is cancelled", () =>
    Effect.gen(function* () {
      const manual = yield* manualTimer
      const { calls, onTimeout } = yield* countingTimeout
      const exit = yield* Effect.exit(
        timeoutWith(Effect.fail("boom" as const), 1000, onTimeout, manual.timer)
      )
      assert.strictEqual(onlyFailure(exit), "boom")
      assert.isTrue(onlyScheduled(manual).cancelled)
      assert.strictEqual(yield* calls, 0)
    })
  )

  it.effect("a defect is the result, as it was; the timer is cancelled", () =>
    Effect.gen(function* () {
      const manual = yield* manualTimer
      const { onTimeout } = yield* countingTimeout
      const exit = yield* Effect.exit(timeoutWith(Effect.dieMessage("broken"), 1000, onTimeout, manual.timer))
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause), String(exit))
      assert.isTrue(onlyScheduled(manual).cancelled)
    })
  )
})

describe("timeoutWith: the timer fires first", () => {
  it.effect("the effect is interrupted before the caller gets onTimeout's error, alone", () =>
    Effect.gen(function* () {
      const manual = yield* manualTimer
      const { calls, onTimeout } = yield* countingTimeout
      const { effect, interrupted, started } = yield* parked
      yield* Effect.fork(Effect.zipRight(Deferred.await(started), manual.fire))
      // Called in this fiber, so nothing but timeoutWith itself can interrupt the effect before it returns.
      const exit = yield* Effect.exit(timeoutWith(effect, 1000, onTimeout, manual.timer))
      assert.isTrue(yield* Deferred.isDone(interrupted), "the effect was interrupted")
      assert.strictEqual(onlyFailure(exit), "timed out")
      assert.strictEqual(yield* calls, 1)
    })
  )

  it.scoped("the failure comes only once the effect has finished stopping", () =>
    Effect.gen(function* () {
      const manual = yield* manualTimer
      const { onTimeout } = yield* countingTimeout
      const { interrupted, release, slowToStop, started } = yield* parked
      // Released at the end whatever happens, so a failed assertion cannot leave the effect stuck.
      yield* Effect.addFinalizer(() => Deferred.succeed(release, undefined))
      const returned = yield* Deferred.make<Exit.Exit<never, "timed out">>()
      yield* Effect.fork(
        Effect.exit(timeoutWith(slowToStop, 1000, onTimeout, manual.timer)).pipe(
          Effect.flatMap((exit) => Deferred.succeed(returned, exit))
        )
      )
      yield* Deferred.await(started)
      yield* manual.fire
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      assert.isFalse(yield* Deferred.isDone(returned), "still waiting for the effect's finalizer")
      yield* Deferred.succeed(release, undefined)
      assert.strictEqual(onlyFailure(yield* Deferred.await(returned)), "timed out")
      assert.isTrue(yield* Deferred.isDone(interrupted))
    })
  )

  it.effect("the error is made when the timer fires, and once", () =>
    Effect.gen(function* () {
      const manual = yield* manualTimer
      const { calls, onTimeout } = yield* countingTimeout
      const { effect, started } = yield* parked
      const fiber = yield* Effect.fork(timeoutWith(effect, 1000, onTimeout, manual.timer))
      yield* Deferred.await(started)
      assert.strictEqual(yield* calls, 0)
      yield* manual.fire
      yield* Fiber.await(fiber)
      // A timer that fires twice changes nothing.
      onlyScheduled(manual).task()
      assert.strictEqual(yield* calls, 1)
    })
  )
})

describe("timeoutWith: the caller is interrupted", () => {
  /** Whether the effect had been interrupted by the time the caller's own finalizer ran. */
  const recordOnInterrupt =
    (interrupted: Deferred.Deferred<void>, stoppedFirst: Deferred.Deferred<boolean>) =>
    <A, E, R>(caller: Effect.Effect<A, E, R>) =>
      Effect.onInterrupt(caller, () =>
        Effect.flatMap(Deferred.isDone(interrupted), (done) => Deferred.succeed(stoppedFirst, done))
      )

  it.effect("the timer is cancelled and the effect interrupted before the caller's finalizers run", () =>
    Effect.gen(function* () {
      const manual = yield* manualTimer
      const { calls, onTimeout } = yield* countingTimeout
      const { effect, interrupted, started } = yield* parked
      const stoppedFirst = yield* Deferred.make<boolean>()
      const fiber = yield* Effect.fork(
        timeoutWith(effect, 1000, onTimeout, manual.timer).pipe(recordOnInterrupt(interrupted, stoppedFirst))
      )
      yield* Deferred.await(started)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit), String(exit))
      assert.isTrue(onlyScheduled(manual).cancelled)
      assert.isTrue(yield* Deferred.await(stoppedFirst), "the effect was interrupted by timeoutWith")
      // A timer that fires although it was cancelled changes nothing.
      onlyScheduled(manual).task()
      assert.strictEqual(yield* calls, 0)
    })
  )

  it.scoped("the caller's interruption waits for the effect to stop", () =>
    Effect.gen(function* () {
      const manual = yield* manualTimer
      const { onTimeout } = yield* countingTimeout
      const { interrupted, release, slowToStop, started } = yield* parked
      // Released at the end whatever happens, so a failed assertion cannot leave the effect stuck.
      yield* Effect.addFinalizer(() => Deferred.succeed(release, undefined))
      const stoppedFirst = yield* Deferred.make<boolean>()
      const fiber = yield* Effect.fork(
        timeoutWith(slowToStop, 1000, onTimeout, manual.timer).pipe(
          recordOnInterrupt(interrupted, stoppedFirst)
        )
      )
      yield* Deferred.await(started)
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      assert.isNull(interrupting.unsafePoll(), "still waiting for the effect's finalizer")
      assert.isFalse(yield* Deferred.isDone(stoppedFirst), "the caller's finalizer waits too")
      yield* Deferred.succeed(release, undefined)
      assert.isTrue(Exit.isInterrupted(yield* Fiber.join(interrupting)))
      assert.isTrue(yield* Deferred.await(stoppedFirst))
    })
  )
})

describe("timeoutWith: logging", () => {
  const unhandled = (lines: ReadonlyArray<string>) =>
    lines.filter((line) => line.includes("Fiber terminated with an unhandled error"))

  it.effect("a failing fiber that nobody handles is logged (the capture works)", () =>
    Effect.gen(function* () {
      const { lines } = yield* withCapturedLogs(
        Effect.flatMap(Effect.fork(Effect.fail("boom")), (fiber) => Fiber.await(fiber))
      )
      assert.strictEqual(unhandled(lines).length, 1, lines.join("\n"))
    })
  )

  it.effect("the effect's failure or defect is handed to the caller, not logged as unhandled", () =>
    Effect.gen(function* () {
      const manual = yield* manualTimer
      const { onTimeout } = yield* countingTimeout
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const { exit, lines } = yield* withCapturedLogs(
        Effect.gen(function* () {
          // Failing at once, failing later, dying.
          const first = yield* Effect.exit(timeoutWith(Effect.fail("boom"), 1000, onTimeout, manual.timer))
          const later = yield* Effect.fork(
            Effect.exit(
              timeoutWith(
                Deferred.succeed(started, undefined).pipe(
                  Effect.zipRight(Deferred.await(gate)),
                  Effect.zipRight(Effect.fail("later"))
                ),
                1000,
                onTimeout,
                manual.timer
              )
            )
          )
          yield* Deferred.await(started)
          yield* Deferred.succeed(gate, undefined)
          const second = yield* Fiber.join(later)
          const third = yield* Effect.exit(
            timeoutWith(Effect.dieMessage("broken"), 1000, onTimeout, manual.timer)
          )
          return [first, second, third] as const
        })
      )
      assert.isTrue(Exit.isSuccess(exit))
      const [first, second, third] = Exit.isSuccess(exit) ? exit.value : assert.fail()
      assert.strictEqual(onlyFailure(first), "boom")
      assert.strictEqual(onlyFailure(second), "later")
      assert.isTrue(Exit.isFailure(third) && Cause.isDie(third.cause))
      assert.deepStrictEqual(unhandled(lines), [])
    })
  )

  it.effect("an interrupted effect is not logged either, and the caller's own forks still are", () =>
    Effect.gen(function* () {
      const manual = yield* manualTimer
      const { onTimeout } = yield* countingTimeout
      const { effect, started } = yield* parked
      const { lines } = yield* withCapturedLogs(
        Effect.gen(function* () {
          const fiber = yield* Effect.fork(Effect.exit(timeoutWith(effect, 1000, onTimeout, manual.timer)))
          yield* Deferred.await(started)
          yield* manual.fire
          assert.strictEqual(onlyFailure(yield* Fiber.join(fiber)), "timed out")
          // The setting is the attempt's alone: the caller's unhandled failures are logged as usual.
          yield* Effect.flatMap(Effect.fork(Effect.fail("mine")), (mine) => Fiber.await(mine))
        })
      )
      const found = unhandled(lines)
      assert.strictEqual(found.length, 1, lines.join("\n"))
      assert.include(found[0], "mine")
    })
  )
})

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
      yield* TestClock.adjust("1999 millis")
      assert.strictEqual((yield* Fiber.join(fiber)).username, "alice")
      const [request] = yield* FakePlex.requests
      assert.strictEqual(request?.outcome, "Responded")
      assert.strictEqual(request?.status, 200)
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
