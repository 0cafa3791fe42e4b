/**
 * Effect 3's `TestClock`, as `TestClock.defaultTestClock` gives it to a test, except that a sleep that was
 * interrupted is forgotten.
 *
 * Effect 3's TestClock keeps every sleep it was asked for until the clock passes it, also one whose fiber was
 * interrupted: every `Effect.timeout` whose effect ended first (each request's per-attempt timeout, each bounded
 * wait of WebSignIn, of a store call) leaves one. Each `adjust` sorts them all, and when the clock passes one it
 * does what it does for a live sleep: wakes it (nobody waits) and waits for the test's fibers to suspend again
 * (three real timer turns, about 1 ms of CPU and 3 ms or more of wall time). A test that signed in 200 times
 * had 2,000 such sleeps (10 a sign-in): each later `adjust` cost 8.6 ms of CPU; one over them all, seconds.
 * Effect 4's TestClock removes an interrupted sleep.
 *
 * Everything else is as Effect 3's: the time starts at 0; `adjust` and `setTime` first wait for the test's fibers
 * to suspend (as Effect 3's does under @effect/vitest, whose tests supervise no fibers: three turns of a
 * `setTimeout(0)` timer), then wake the sleeps due by the new time one at a time, earliest first (of two due at
 * the same instant, the later one asked for first, as Effect 3's sort leaves them), each followed by a
 * `yieldNow` and that wait again, the time set to each sleep's instant as it is woken; `sleeps` lists the
 * pending sleeps' instants as Effect 3's does, the last asked for first, except that waking a sleep leaves those
 * still pending sorted by instant (those asked for after it go in front again). Left out: Effect 3's warnings (a fiber of the live clock
 * forked per sleep and per `adjust`, logging after 5 s that the clock is not moved or a fiber not suspending),
 * which the tests' loggers drop. Checked against Effect's TestClock in testClock.test.ts.
 */
import type { Duration } from "effect"
import { Chunk, Clock, Deferred, Duration as D, Effect, FiberId, Layer, TestClock } from "effect"

interface Sleep {
  readonly at: number
  readonly deferred: Deferred.Deferred<void>
}

/** One turn of a `setTimeout(0)` timer: Effect 3's TestClock `yieldTimer`. */
const yieldTimer: Effect.Effect<void> = Effect.async<void>((resume) => {
  const timer = setTimeout(() => resume(Effect.void), 0)
  return Effect.sync(() => clearTimeout(timer))
})

/** Effect 3's `awaitSuspended` when no fiber is supervised: its three timer turns. */
const awaitSuspended = Effect.zipRight(yieldTimer, Effect.zipRight(yieldTimer, yieldTimer))

class ForgetfulTestClock implements TestClock.TestClock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  private instant = 0
  /**
   * The pending sleeps in Effect 3's order: each new one first, the rest sorted by instant once a sleep was woken (its
   * `run` keeps the stable sort it woke the earliest from), which `sleeps` lists and which breaks ties.
   */
  private pending: Array<Sleep> = []

  unsafeCurrentTimeMillis(): number {
    return this.instant
  }
  unsafeCurrentTimeNanos(): bigint {
    return BigInt(Math.floor(this.instant * 1_000_000))
  }
  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.instant)
  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => BigInt(this.instant * 1_000_000))

  sleep(duration: Duration.DurationInput): Effect.Effect<void> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const at = this.instant + D.toMillis(D.decode(duration))
        if (!(at > this.instant)) return Effect.void
        const sleep: Sleep = { at, deferred: Deferred.unsafeMake<void>(FiberId.none) }
        this.pending.unshift(sleep)
        return Effect.onInterrupt(restore(Deferred.await(sleep.deferred)), () =>
          Effect.sync(() => {
            this.pending = this.pending.filter((other) => other !== sleep)
          })
        )
      })
    )
  }

  readonly sleeps: Effect.Effect<Chunk.Chunk<number>> = Effect.sync(() =>
    Chunk.fromIterable(this.pending.map((sleep) => sleep.at))
  )

  get save(): Effect.Effect<Effect.Effect<void>> {
    return Effect.sync(() => {
      const instant = this.instant
      const pending = [...this.pending]
      return Effect.sync(() => {
        this.instant = instant
        this.pending = [...pending]
      })
    })
  }

  adjust(duration: Duration.DurationInput): Effect.Effect<void> {
    const millis = D.toMillis(D.decode(duration))
    return this.run((instant) => instant + millis)
  }

  adjustWith(duration: Duration.DurationInput) {
    return <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.zipLeft(effect, this.adjust(duration), { concurrent: true })
  }

  setTime(time: number): Effect.Effect<void> {
    return this.run(() => time)
  }

  /** Effect 3's `run`: once the fibers are suspended, the earliest sleep due by `end` is woken, and again. */
  private run(end: (instant: number) => number): Effect.Effect<void> {
    return Effect.flatMap(awaitSuspended, () => {
      const until = end(this.instant)
      // Array.prototype.sort is stable, as Effect 3's Chunk.sort: of two due at once, the one nearer the front first.
      const sorted = [...this.pending].sort((a, b) => a.at - b.at)
      const woken = sorted[0]
      if (woken === undefined || woken.at > until) {
        this.instant = until
        return Effect.void
      }
      this.instant = woken.at
      this.pending = sorted.slice(1)
      return Deferred.succeed(woken.deferred, undefined).pipe(
        Effect.zipRight(Effect.yieldNow()),
        Effect.zipRight(this.run(() => until))
      )
    })
  }
}

/** A new {@link ForgetfulTestClock} at 0, as `TestClock` and as the clock of the scope's fiber (and so the test's). */
export const layer: Layer.Layer<TestClock.TestClock> = Layer.scoped(
  TestClock.TestClock,
  Effect.suspend(() => {
    const clock = new ForgetfulTestClock()
    return Effect.as(Effect.withClockScoped(clock), clock)
  })
)
