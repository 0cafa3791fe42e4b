/**
 * chai able to print an error that Effect 3 wrapped (installed by test/setup.ts; Effect-free, like ./deepEquality.ts).
 *
 * Effect 3 wraps an error failed or died inside a span (`Effect.withSpan`, every operation of the library) in a
 * `Proxy` that carries the span (effect/src/internal/core.ts `capture`); `Effect.flip`, `Effect.exit` and
 * `Cause.failureOption` hand out that Proxy. chai prints a value in a failing assertion's message with loupe, which
 * takes a Proxy of an error for a plain object (`Object.prototype.toString` of a Proxy is `[object Object]`), asks its
 * `nodejs.util.inspect.custom` method for a display, gets the error itself back (Effect 3's errors return `this` when
 * their class keeps `Error.prototype.toString`, as `Schema.TaggedError`s do) and prints that again, without end: every
 * failing `assert.strictEqual`, `deepStrictEqual`, `include`… given such an error threw `RangeError: Maximum call
 * stack size exceeded` instead of its message, and the developer could not see why the test failed.
 *
 * loupe asks a value's `chai/inspect` method first. The one installed here on `Error.prototype`, which a Proxy of an
 * error reaches through its target, prints the error the Proxy wraps (`original`: Effect 3's `Cause.originalError`),
 * as chai prints any error; for another value that is not an `Error` to chai but inherits from `Error.prototype`, it
 * asks its `nodejs.util.inspect.custom` method as loupe would next, except that a display that is the value itself is
 * not printed again (loupe then prints its class and keys). Real errors never reach it (loupe prints them before it
 * looks for a method); it costs nothing until chai prints such a value.
 *
 * Not installed in the Effect 4 suite: Effect 4 does not wrap errors (effect4/test/support/errorDisplay.test.ts checks
 * that a failing assertion on an error failed inside a span prints there too).
 */

/** The options loupe passes to a `chai/inspect` method (chai 5 and chai 6 alike): its own `inspect` among them. */
interface InspectOptions {
  readonly depth: number
  readonly inspect: (value: unknown, options: InspectOptions) => string
}

const chaiInspect = Symbol.for("chai/inspect")
const nodeInspect = Symbol.for("nodejs.util.inspect.custom")

/** Makes chai print a wrapped error as the error it wraps (`original`: the edition's unwrapping, else identity). */
export const installErrorDisplay = (original: <E>(error: E) => E): void => {
  // Once per worker: the setup file runs before every test file, and the files share their worker's globals.
  if (Object.hasOwn(Error.prototype, chaiInspect)) return
  Object.defineProperty(Error.prototype, chaiInspect, {
    configurable: true,
    writable: true,
    value(this: Record<string | symbol, unknown>, options: InspectOptions): unknown {
      const unwrapped = original(this)
      if (unwrapped !== this) return options.inspect(unwrapped, options)
      const custom = this[nodeInspect]
      if (typeof custom !== "function") return ""
      // With loupe's own `inspect` as third argument, as loupe (and Node) call such a method.
      const display: unknown = custom.call(this, options.depth, options, options.inspect)
      return display === this ? "" : display
    }
  })
}
