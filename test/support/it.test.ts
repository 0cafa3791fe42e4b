/**
 * test/support/it.ts gives each test what @effect/vitest's `it.effect` and `it.scoped` give it: each check
 * runs under both, with the same outcome.
 */
import { assert, describe, it as effectVitest } from "@effect/vitest"
import {
  Clock,
  Deferred,
  Effect,
  Fiber,
  FiberRef,
  Logger,
  TestAnnotation,
  TestClock,
  TestServices
} from "effect"
import { it } from "./it.js"

/** What a test sees of its environment: the clock, the test services' settings, the loggers. */
const environment = Effect.gen(function* () {
  return {
    now: yield* Clock.currentTimeMillis,
    size: yield* TestServices.size,
    config: [
      yield* TestServices.repeats,
      yield* TestServices.retries,
      yield* TestServices.samples,
      yield* TestServices.shrinks
    ],
    defaultLogger: [...(yield* FiberRef.get(FiberRef.currentLoggers))].includes(Logger.defaultLogger),
    // The test's annotations: each test's start at 0 (the tests below add some).
    ignored: yield* TestServices.get(TestAnnotation.ignored)
  }
})

const expected = { now: 0, size: 100, config: [100, 100, 200, 1000], defaultLogger: false, ignored: 0 }

for (const [name, api] of [
  ["@effect/vitest", effectVitest],
  ["test/support/it", it]
] as const) {
  describe(`${name}: it.effect and it.scoped`, () => {
    api.effect("a test starts with the test services at their defaults, the default logger removed", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* environment, expected)
        yield* TestServices.annotate(TestAnnotation.ignored, 1)
        assert.strictEqual(yield* TestServices.get(TestAnnotation.ignored), 1)
        // The clock is the test's: a sleep ends when the clock is moved past it, not before.
        const slept = yield* Effect.fork(Effect.sleep("1 hour"))
        yield* TestClock.adjust("59 minutes")
        assert.isNull(slept.unsafePoll())
        yield* TestClock.adjust("1 minute")
        yield* Fiber.join(slept)
        assert.strictEqual(yield* Clock.currentTimeMillis, 3_600_000)
      })
    )

    api.effect("another test has a clock and annotations of its own, at 0 again", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* environment, expected)
        yield* TestServices.annotate(TestAnnotation.ignored, 1)
        yield* TestClock.adjust("1 day")
      })
    )

    api.scoped(
      "it.scoped: the test services as it.effect's, and a scope that closes when the test ends",
      (ctx) =>
        Effect.gen(function* () {
          assert.deepStrictEqual(yield* environment, expected)
          const closed = yield* Deferred.make<void>()
          yield* Effect.addFinalizer(() => Deferred.succeed(closed, undefined))
          // Checked once the test has ended (its effect run, the test not yet reported).
          ctx.onTestFinished(() => {
            assert.isTrue(Effect.runSync(Deferred.isDone(closed)), "it.scoped's scope was not closed")
          })
        })
    )
  })
}
