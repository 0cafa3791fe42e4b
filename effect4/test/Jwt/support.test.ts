/**
 * The JWT tests' own stepping helper: it must wait for real asynchronous work
 * (Web Crypto, run on libuv's thread pool) however long that takes, and move
 * the TestClock only once the fiber waits on a timer. Effect 4's `TestClock`
 * does not list its pending sleeps, so the helper sees them through
 * `layerPendingSleeps`; these tests check that view. (The Effect 3 edition's
 * version also fills libuv's thread pool through FIFOs made with `mkfifo`; the
 * Effect 4 suite spawns no processes, so that part is not repeated here.)
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
import * as Jwt from "effect4-plex-auth/Jwt"
import { layerPendingSleeps, PendingSleeps, whenWaiting } from "./support.js"

describe("whenWaiting", () => {
  it.effect("waits for Web Crypto, then returns while the fiber waits on its timer", () =>
    Effect.gen(function* () {
      const sleeps = yield* PendingSleeps
      const fiber = yield* Effect.forkChild(Effect.andThen(Jwt.generateKey, Effect.sleep("1 second")))
      yield* whenWaiting(fiber, "1 second")
      assert.isUndefined(fiber.pollUnsafe(), "the fiber waits on its timer")
      assert.deepStrictEqual(sleeps.dueTimes(), [1000])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(sleeps.dueTimes(), [], "a woken sleep is no longer pending")
    }).pipe(Effect.provide(layerPendingSleeps))
  )

  it.effect("sees every pending timer, and an interrupted sleep is no longer pending", () =>
    Effect.gen(function* () {
      const sleeps = yield* PendingSleeps
      const far = yield* Effect.forkChild(Effect.sleep("30 seconds"))
      const near = yield* Effect.forkChild(Effect.andThen(Jwt.generateKey, Effect.sleep("2 seconds")))
      yield* whenWaiting(near, "5 seconds")
      assert.sameMembers([...sleeps.dueTimes()], [30_000, 2000])
      yield* Fiber.interrupt(far)
      yield* Fiber.interrupt(near)
      assert.deepStrictEqual(sleeps.dueTimes(), [])
    }).pipe(Effect.provide(layerPendingSleeps))
  )
})
