/**
 * test/support/it.ts gives each test what @effect/vitest's `it.effect` and `it.scoped` give it: each check
 * runs under both, with the same outcome.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it as effectVitest } from "@effect/vitest"
import {
  Cause,
  Clock,
  Deferred,
  Effect,
  Exit,
  Fiber,
  FiberRef,
  Logger,
  Redacted,
  TestAnnotation,
  TestClock,
  TestServices
} from "effect"
import { PlexError } from "effect-plex-auth"
import { it, reportFailures } from "./it.js"

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

describe("test/support/it: a failure that is not an Error", () => {
  // What @effect/vitest throws for a failed test: the first of Cause.prettyErrors (it copies every key of a
  // failure that is not an Error onto it; vitest then never ended printing one with a plex.tv account).
  const reported = <E>(self: Effect.Effect<never, E>) =>
    Effect.map(Effect.exit(reportFailures(self)), (exit) => {
      assert.isTrue(Exit.isFailure(exit))
      return Exit.isFailure(exit) ? Cause.prettyErrors(exit.cause)[0]! : new Error("succeeded")
    })

  effectVitest.effect("a value from Effect.flip (failed or died with) reaches vitest as a plain Error", () =>
    Effect.gen(function* () {
      const value = { account: { id: 1, authToken: Redacted.make("secret") }, list: [1, 2] }
      for (const error of [yield* reported(Effect.fail(value)), yield* reported(Effect.die(value))]) {
        // makePrettyError sets `name` on every Error it makes; the value's own keys (`account`, `list`) are not copied.
        assert.deepStrictEqual(Object.keys(error), ["name"])
        assert.strictEqual(error.message, '{"account":{"id":1,"authToken":"<redacted>"},"list":[1,2]}')
      }
    })
  )

  effectVitest.effect("an Error, a string, an interruption are reported as they were", () =>
    Effect.gen(function* () {
      const error = new PlexError.InvalidInput({ operation: "Test.op", field: "x", reason: "bad" })
      const exit = yield* Effect.exit(reportFailures(Effect.fail(error)))
      assert.deepStrictEqual(exit, Exit.fail(error))
      assert.deepStrictEqual(yield* Effect.exit(reportFailures(Effect.die("text"))), Exit.die("text"))
      const interrupted = yield* Effect.exit(reportFailures(Effect.interrupt))
      assert.isTrue(Exit.isInterrupted(interrupted))
    })
  )
})

describe("test/support/it: it.live and it.scopedLive report a failure that is not an Error as it.effect does", () => {
  // Each `.fails` test below fails with a plain value; what vitest was handed for it is kept as the test finishes (an
  // assertion there would only fail the test, which `.fails` then counts as expected) and checked by the test after
  // it. Through @effect/vitest's own it.live, the value's keys were copied onto the reported Error (with a plex.tv
  // account among them vitest never ended): a small value's (`marker`) here.
  const reportedBy: Record<string, ReadonlyArray<unknown>> = {}
  for (const [name, tester] of [
    ["it.live", it.live],
    ["it.scopedLive", it.scopedLive]
  ] as const) {
    tester.fails(`${name}: a test that fails with a plain value`, (ctx) => {
      ctx.onTestFinished(() => {
        reportedBy[name] = ctx.task.result?.errors ?? []
      })
      return Effect.fail({ marker: 1 })
    })

    it.effect(`${name}: the value reached vitest as a plain Error`, () =>
      Effect.sync(() => {
        const reported = reportedBy[name]
        assert.isDefined(reported, `${name}'s test did not run first`)
        assert.strictEqual(reported!.length, 1)
        const error = reported![0] as { readonly message: string }
        assert.strictEqual(error.message, '{"marker":1}')
        assert.notProperty(error, "marker", "the value's keys were copied onto the reported Error")
      })
    )
  }
})

describe("test/support/it: the Effect 3 test files take it.effect and it.scoped from here", () => {
  // A file that imports @effect/vitest's own `it` and runs Effects with it skips reportFailures (and builds a whole
  // TestContext per test): a failure that is not an Error could spin vitest again. This file alone compares the two,
  // under another name.
  it.effect("no test file imports @effect/vitest's it and calls it.effect or it.scoped", () =>
    Effect.promise(async () => {
      const dir = fileURLToPath(new URL("..", import.meta.url))
      const files = (await fs.readdir(dir, { recursive: true })).filter((file) => /\.tsx?$/.test(file))
      const direct: Array<string> = []
      for (const file of files) {
        const text = await fs.readFile(path.join(dir, file), "utf8")
        const names = [...text.matchAll(/^import\s*\{([^}]*)\}\s*from\s*"@effect\/vitest"/gm)].flatMap((m) =>
          m[1]!.split(",").map((name) => name.trim())
        )
        if (names.includes("it") && /^\s*it\.(effect|scoped)\b/m.test(text)) direct.push(file)
      }
      assert.isAbove(files.length, 100)
      assert.deepStrictEqual(direct, [])
    })
  )
})
