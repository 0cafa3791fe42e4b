/**
 * A clock whose read of the time (`currentTimeMillis`) can hold its reader once, just after the read: as the
 * scheduler may suspend a fiber there and let another run. For tests of decisions that must read the time and act
 * on it in one step (a refresh's cooldown, WebSignIn's startLimit window): a reader held between the two, its time
 * from before what another did meanwhile, must not be taken for a clock set back.
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"

export interface HoldingClock {
  /** The clock, reading the time of the clock in use when it was made (the TestClock in tests). */
  readonly clock: Clock.Clock
  /** Whether the next read of the time holds its reader (once). */
  readonly arm: (hold: boolean) => Effect.Effect<void>
  /** Succeeds once a read has held its reader. */
  readonly held: Effect.Effect<void>
  /** Lets the held reader go on. */
  readonly release: Effect.Effect<void>
}

export const makeHoldingClock: Effect.Effect<HoldingClock> = Effect.gen(function* () {
  const base = yield* Clock.Clock
  const held = yield* Deferred.make<void>()
  const gate = yield* Deferred.make<void>()
  let hold = false
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: () => base.currentTimeMillisUnsafe(),
    currentTimeNanosUnsafe: () => base.currentTimeNanosUnsafe(),
    currentTimeNanos: base.currentTimeNanos,
    monotonicTimeNanosUnsafe: () => base.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: base.monotonicTimeNanos,
    sleep: (duration) => base.sleep(duration),
    currentTimeMillis: Effect.flatMap(base.currentTimeMillis, (now) => {
      if (!hold) return Effect.succeed(now)
      hold = false
      return Effect.as(Effect.andThen(Deferred.succeed(held, undefined), Deferred.await(gate)), now)
    })
  }
  return {
    clock,
    arm: (value) =>
      Effect.sync(() => {
        hold = value
      }),
    held: Deferred.await(held),
    release: Effect.asVoid(Deferred.succeed(gate, undefined))
  }
})
