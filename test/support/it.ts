/**
 * `it` of @effect/vitest, whose `it.effect` and `it.scoped` give each test the test services that
 * @effect/vitest's do (Effect's `TestContext`, the default logger removed), built for less CPU.
 *
 * @effect/vitest provides `TestContext.TestContext` to every test (and to every run of `it.effect.prop`):
 * about 5-9 ms of CPU to build in Effect 3, mostly the layer machinery around its parts (measured, 300
 * tests that each move the clock once: 1.6-2.7 CPU-s; with this module's environment 0.8-0.9 CPU-s);
 * Effect 4's @effect/vitest builds a lighter one (0.3 ms). Here each test still gets services of its own
 * where they hold state: a new `TestClock` at 0 (test/support/testClock.ts: Effect 3's, except that it
 * forgets an interrupted sleep, which Effect 3's kept, and woke at a cost when the clock passed it), new
 * `TestAnnotations`, a new `TestSized` (100) and TestContext's `TestConfig` (plain values). Only `TestLive`
 * is built once per worker: it holds the live services (`TestContext.LiveContext`) and nothing that a test
 * changes. The tests run through @effect/vitest's own `it.live` (its runner, its failure reports), with
 * this environment provided; the scope of `it.scoped` closes inside it, as @effect/vitest's does.
 * `it.live` and `it.scopedLive` are @effect/vitest's, with failures reported as `it.effect`'s (`reportFailures`).
 * test/support/it.test.ts checks the environment and the reporting.
 */
import { it as base } from "@effect/vitest"
import type { Vitest } from "@effect/vitest"
import type { Scope } from "effect"
import {
  Cause,
  Effect,
  FiberRef,
  HashSet,
  Layer,
  Logger,
  TestConfig,
  TestContext,
  TestServices,
  TestSized
} from "effect"
import * as ForgetfulTestClock from "./testClock.js"

/** `TestLive` over the live services (and the live services themselves, as TestContext provides them). */
const live = Layer.succeedContext(
  Effect.runSync(
    Effect.scoped(Layer.build(TestServices.liveLayer().pipe(Layer.provideMerge(TestContext.LiveContext))))
  )
)

/** The clock and the annotations of one test (new ones each time), over the shared `TestLive`. */
const clockAndAnnotations = ForgetfulTestClock.layer.pipe(
  Layer.provideMerge(TestServices.annotationsLayer()),
  Layer.provideMerge(live)
)

/** TestContext's `TestConfig` (its values hold no state). */
const config = TestConfig.make({ repeats: 100, retries: 100, samples: 200, shrinks: 1000 })

/**
 * `effect` with the test services of one test (TestContext's, `TestLive` shared), without the default
 * logger. `TestSized` and `TestConfig` are set as their layers set them (in the context and in the fiber's
 * services), without a layer each: the layer machinery was most of the cost.
 */
const withTestEnv = <A, E>(effect: Effect.Effect<A, E, TestServices.TestServices>): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    const sized = TestSized.make(100)
    return effect.pipe(
      TestServices.withSized(sized),
      TestServices.withTestConfig(config),
      Effect.provideService(TestSized.TestSized, sized),
      Effect.provideService(TestConfig.TestConfig, config),
      Effect.locallyWith(FiberRef.currentLoggers, HashSet.remove(Logger.defaultLogger)),
      Effect.provide(clockAndAnnotations),
      reportFailures
    )
  })

/**
 * A test's failure or defect that is not an `Error` (a value from `Effect.flip` of an operation that
 * succeeded: an account, a `Home.switchUser` result), as a plain `Error` with the message @effect/vitest
 * would give it. @effect/vitest (Effect 3) reports a failure through `Cause.prettyErrors`, which copies
 * every key of such a value onto the reported `Error`; with a plex.tv account among them (`switchUser`'s
 * `account`), vitest printed the test's name and then never ended (the run spun at full CPU until
 * killed). Errors (the library's, assertions') are reported as they are.
 */
const reportable = (value: unknown): unknown =>
  typeof value !== "object" || value === null || value instanceof Error
    ? value
    : new Error(Cause.prettyErrors(Cause.fail(value))[0]!.message)

const reportableCause = (cause: Cause.Cause<unknown>): Cause.Cause<unknown> =>
  Cause.match(cause, {
    onEmpty: Cause.empty,
    onFail: (error) => Cause.fail(reportable(error)),
    onDie: (defect) => Cause.die(reportable(defect)),
    onInterrupt: (fiberId) => Cause.interrupt(fiberId),
    onSequential: (left, right) => Cause.sequential(left, right),
    onParallel: (left, right) => Cause.parallel(left, right)
  })

/**
 * `self`, its failures and defects that are not `Error`s made plain `Error`s (see {@link reportable}); the
 * failure type is left as it is for the runner, which reads only the `Cause`. Exported for it.test.ts.
 */
export const reportFailures = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.catchAllCause(self, (cause) => Effect.failCause(reportableCause(cause) as Cause.Cause<E>))

type Wrap<R> = <A, E>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, never>

/** A tester over `runner` (an @effect/vitest tester of effects that need nothing) whose tests are wrapped. */
const tester = <R>(runner: Vitest.Tester<never>, wrap: Wrap<R>): Vitest.Tester<R> => {
  const test =
    (run: Vitest.Test<never>): Vitest.Test<R> =>
    (name, self, timeout) =>
      run(name, (ctx) => wrap(self(ctx)), timeout)
  return Object.assign(test(runner), {
    skip: test(runner.skip),
    skipIf: (condition: unknown) => test(runner.skipIf(condition)),
    runIf: (condition: unknown) => test(runner.runIf(condition)),
    only: test(runner.only),
    fails: test(runner.fails),
    each:
      <T>(cases: ReadonlyArray<T>) =>
      <A, E>(
        name: string,
        self: Vitest.TestFunction<A, E, R, Array<T>>,
        timeout?: Parameters<Vitest.Test<R>>[2]
      ) =>
        runner.each(cases)(name, (...args) => wrap(self(...args)), timeout),
    prop: ((name, arbitraries, self, timeout) =>
      runner.prop(
        name,
        arbitraries,
        (properties, ctx) => wrap(self(properties, ctx)),
        timeout
      )) as Vitest.Tester<R>["prop"]
  })
}

const effect = tester<TestServices.TestServices>(base.live, withTestEnv)

const scoped = tester<TestServices.TestServices | Scope.Scope>(base.live, (self) =>
  withTestEnv(Effect.scoped(self))
)

// The live testers: the live services as @effect/vitest's, and failures that are not Errors reported as it.effect's
// are (`reportFailures`): through @effect/vitest's own, such a failure in a live test could spin vitest too.
const liveTester = tester<never>(base.live, reportFailures)

const scopedLiveTester = tester<Scope.Scope>(base.live, (self) => reportFailures(Effect.scoped(self)))

const testers: Readonly<Record<string, unknown>> = {
  effect,
  scoped,
  live: liveTester,
  scopedLive: scopedLiveTester
}

/**
 * @effect/vitest's `it`, with `it.effect` and `it.scoped` as above, and `it.live` and `it.scopedLive` reporting
 * failures as they do (everything else is @effect/vitest's).
 */
export const it: typeof base = new Proxy(base, {
  get: (target, key, receiver) =>
    typeof key === "string" && Object.hasOwn(testers, key) ? testers[key] : Reflect.get(target, key, receiver)
})
