/**
 * test/support/testClock.ts behaves as Effect 3's `TestClock` (`TestClock.defaultTestClock`): each check runs
 * under both and expects the same, except where an interrupted sleep is concerned (Effect 3's keeps it).
 */
import { assert, describe } from "@effect/vitest"
import type { Layer } from "effect"
import { Chunk, Clock, Effect, Fiber, TestClock } from "effect"
import { it } from "./it.js"
import * as ForgetfulTestClock from "./testClock.js"

const clocks: ReadonlyArray<readonly [string, Layer.Layer<TestClock.TestClock, never, any>]> = [
  ["Effect 3's TestClock", TestClock.defaultTestClock],
  ["test/support/testClock", ForgetfulTestClock.layer]
]

/** Forks a sleep of `millis` that records, as it wakes, its name and the time it sees. */
const sleeper = (log: Array<string>, name: string, millis: number) =>
  Effect.fork(
    Effect.zipRight(
      Effect.sleep(millis),
      Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => log.push(`${name}@${now}`)))
    )
  )

const sorted = (sleeps: Chunk.Chunk<number>) =>
  Chunk.toReadonlyArray(sleeps)
    .slice()
    .sort((a, b) => a - b)

for (const [name, clock] of clocks) {
  describe(name, () => {
    it.effect(
      "wakes the sleeps due in order, each seeing its own instant; ties: the later asked for first",
      () =>
        Effect.gen(function* () {
          const log: Array<string> = []
          yield* sleeper(log, "c", 3000)
          yield* sleeper(log, "a", 1000)
          yield* sleeper(log, "b1", 2000)
          yield* sleeper(log, "b2", 2000)
          // A sleep asked for by a woken fiber, due within the same adjust, is woken in it too.
          yield* Effect.fork(
            Effect.zipRight(Effect.sleep(1500), Effect.flatMap(sleeper(log, "nested", 100), Fiber.join))
          )
          yield* TestClock.adjust(0)
          assert.deepStrictEqual(sorted(yield* TestClock.sleeps()), [1000, 1500, 2000, 2000, 3000])
          yield* TestClock.adjust("2500 millis")
          assert.deepStrictEqual(log, ["a@1000", "nested@1600", "b2@2000", "b1@2000"])
          assert.strictEqual(yield* Clock.currentTimeMillis, 2500)
          assert.deepStrictEqual(sorted(yield* TestClock.sleeps()), [3000])
          yield* TestClock.setTime(10_000)
          assert.deepStrictEqual(log, ["a@1000", "nested@1600", "b2@2000", "b1@2000", "c@3000"])
          assert.strictEqual(yield* Clock.currentTimeMillis, 10_000)
        }).pipe(Effect.provide(clock))
    )

    it.effect(
      "a sleep of no time ends at once; setTime goes back; save restores the time and the sleeps",
      () =>
        Effect.gen(function* () {
          yield* Effect.sleep(0)
          yield* TestClock.adjust("1 hour")
          const restore = yield* TestClock.save()
          const log: Array<string> = []
          const late = yield* sleeper(log, "late", 1000)
          yield* TestClock.adjust(0)
          yield* TestClock.setTime(0)
          assert.strictEqual(yield* Clock.currentTimeMillis, 0)
          assert.deepStrictEqual(sorted(yield* TestClock.sleeps()), [3_601_000])
          yield* restore
          assert.strictEqual(yield* Clock.currentTimeMillis, 3_600_000)
          assert.deepStrictEqual(sorted(yield* TestClock.sleeps()), [])
          yield* Fiber.interrupt(late)
        }).pipe(Effect.provide(clock))
    )

    it.effect(
      "sleeps lists the pending sleeps in Effect 3's order: the last asked for first, sorted once one woke",
      () =>
        Effect.gen(function* () {
          const log: Array<string> = []
          yield* sleeper(log, "b", 2000)
          yield* sleeper(log, "c", 3000)
          yield* sleeper(log, "a", 1000)
          yield* TestClock.adjust(0)
          assert.deepStrictEqual(Chunk.toReadonlyArray(yield* TestClock.sleeps()), [1000, 3000, 2000])
          // Waking "a" leaves the rest sorted; a sleep asked for later goes first again.
          yield* TestClock.adjust("1 second")
          yield* sleeper(log, "d", 1500)
          yield* TestClock.adjust(0)
          assert.deepStrictEqual(Chunk.toReadonlyArray(yield* TestClock.sleeps()), [2500, 2000, 3000])
          // A save keeps that order.
          const restore = yield* TestClock.save()
          yield* TestClock.adjust("5 seconds")
          assert.deepStrictEqual(log, ["a@1000", "b@2000", "d@2500", "c@3000"])
          yield* restore
          assert.deepStrictEqual(Chunk.toReadonlyArray(yield* TestClock.sleeps()), [2500, 2000, 3000])
        }).pipe(Effect.provide(clock))
    )

    it.effect("adjustWith moves the clock while the effect runs", () =>
      Effect.gen(function* () {
        const now = yield* Effect.zipRight(Effect.sleep("1 minute"), Clock.currentTimeMillis).pipe(
          TestClock.adjustWith("1 minute")
        )
        assert.strictEqual(now, 60_000)
      }).pipe(Effect.provide(clock))
    )

    it.effect("a timeout whose effect ended first", () =>
      Effect.gen(function* () {
        yield* Effect.timeout(Effect.void, "30 seconds")
        const left = Chunk.toReadonlyArray(yield* TestClock.sleeps())
        if (name === "Effect 3's TestClock") {
          // Effect 3's keeps the interrupted sleep until the clock passes it.
          assert.deepStrictEqual(left, [30_000])
        } else {
          assert.deepStrictEqual(left, [])
        }
        const log: Array<string> = []
        yield* sleeper(log, "next", 60_000)
        yield* TestClock.adjust("1 minute")
        assert.deepStrictEqual(log, ["next@60000"])
      }).pipe(Effect.provide(clock))
    )
  })
}
