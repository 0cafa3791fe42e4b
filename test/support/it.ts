/**
 * `it` of @effect/vitest, whose `it.effect` and `it.scoped` give each test the test services that
 * @effect/vitest's do (Effect's `TestContext`, the default logger removed), built for less CPU.
 *
 * @effect/vitest provides `TestContext.TestContext` to every test (and to every run of `it.effect.prop`):
 * about 5-7 ms of CPU to build in Effect 3, mostly the layer machinery around its parts (measured: 400
 * empty `it.effect` tests 1.8-3.1 CPU-s; the same with this module's environment 0.9-1.1 CPU-s); Effect 4's
 * @effect/vitest builds a lighter one (0.3 ms). Here each test still gets services of its own where they
 * hold state: a new `TestClock` at 0 (`TestClock.defaultTestClock`), new `TestAnnotations`, `TestSized`
 * (100) and `TestConfig` (TestContext's values). Only `TestLive` is built once per worker: it holds the
 * live services (`TestContext.LiveContext`) and nothing that a test changes. The tests run through
 * @effect/vitest's own `it.live` and `it.scopedLive` (its runner, its failure reports), with this
 * environment provided; the scope of `it.scoped` closes inside it, as @effect/vitest's does.
 * test/support/it.test.ts checks the environment.
 */
import { it as base } from "@effect/vitest"
import type { Vitest } from "@effect/vitest"
import type { Scope } from "effect"
import { Effect, Layer, Logger, TestClock, TestContext, TestServices } from "effect"

/** `TestLive` over the live services (and the live services themselves, as TestContext provides them). */
const live = Layer.succeedContext(
  Effect.runSync(
    Effect.scoped(Layer.build(TestServices.liveLayer().pipe(Layer.provideMerge(TestContext.LiveContext))))
  )
)

/** The test services of one test (TestContext's, `TestLive` shared), without the default logger. */
const testEnv = Layer.mergeAll(
  TestClock.defaultTestClock.pipe(Layer.provideMerge(TestServices.annotationsLayer())),
  TestServices.sizedLayer(100),
  TestServices.testConfigLayer({ repeats: 100, retries: 100, samples: 200, shrinks: 1000 })
).pipe(Layer.provideMerge(live), Layer.provide(Logger.remove(Logger.defaultLogger)))

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

const effect = tester<TestServices.TestServices>(base.live, (self) => Effect.provide(self, testEnv))

const scoped = tester<TestServices.TestServices | Scope.Scope>(base.live, (self) =>
  Effect.provide(Effect.scoped(self), testEnv)
)

/** @effect/vitest's `it`, with `it.effect` and `it.scoped` as above (everything else is @effect/vitest's). */
export const it: typeof base = new Proxy(base, {
  get: (target, key, receiver) =>
    key === "effect" ? effect : key === "scoped" ? scoped : Reflect.get(target, key, receiver)
})
