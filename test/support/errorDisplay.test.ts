/**
 * chai's messages for failing assertions on errors failed inside a span (test/support/errorDisplay.ts): Effect 3 hands
 * such an error out wrapped in a Proxy, which chai printed without end (`RangeError: Maximum call stack size
 * exceeded` instead of the assertion's message). Mirrored in effect4/test/support/errorDisplay.test.ts.
 */
import { assert, describe, expect } from "@effect/vitest"
import { Data, Effect, Schema } from "effect"
import { chai } from "vitest"
import { it } from "./it.js"

class Failed extends Schema.TaggedError<Failed>()("Failed", { reason: Schema.String }) {}
class Denied extends Data.TaggedError("Denied")<{ readonly message: string }> {}

/** `error` as a test gets it from an operation of the library: failed inside a span. */
const failedInSpan = <E>(error: E) => Effect.flip(Effect.withSpan(Effect.fail(error), "operation"))

/** The message of the AssertionError that `check` throws (a RangeError or no error fails the test). */
const failure = (check: () => void): string => {
  try {
    check()
  } catch (error) {
    assert.instanceOf(error, chai.AssertionError, String(error))
    return (error as Error).message
  }
  return assert.fail("the assertion passed")
}

describe("failing assertions on errors failed inside a span", () => {
  it.effect("print the error's class and fields", () =>
    Effect.gen(function* () {
      const error = yield* failedInSpan(new Failed({ reason: "a" }))
      const other = new Failed({ reason: "b" })
      assert.match(
        failure(() => assert.strictEqual(error, other)),
        /^expected Failed: \{ "reason": "a" \} .* to equal Failed: \{ "reason": "b" \}/
      )
      assert.match(
        failure(() => assert.deepStrictEqual(error, other)),
        /^expected Failed: \{ "reason": "a" \} .* to deeply equal Failed: \{ "reason": "b" \}/
      )
      assert.match(
        failure(() => expect(error).toEqual(other)),
        /^expected Failed: \{ "reason": "a" \} .* to deeply equal Failed: \{ "reason": "b" \}/
      )
      assert.match(
        failure(() => assert.notInclude([error], error)),
        /^expected \[ Failed: \{ "reason": "a" \} .* \] to not include Failed: \{ "reason": "a" \}/
      )
      // chai shortens a long display of it as it shortens any object's: its own keys.
      const long = yield* failedInSpan(new Failed({ reason: "the server did not answer" }))
      assert.match(
        failure(() => assert.isNull(long)),
        /^expected \{ Object \(reason, _tag\) \} to equal null/
      )
      // The comparisons themselves are unchanged: equal to an error of the same class and fields.
      assert.deepStrictEqual(error, new Failed({ reason: "a" }))
    })
  )

  it.effect("print a Data.TaggedError's message", () =>
    Effect.gen(function* () {
      const error = yield* failedInSpan(new Denied({ message: "no such user" }))
      assert.match(
        failure(() => assert.isUndefined(error)),
        /^expected Denied: no such user \{ _tag: 'Denied' \} to equal undefined/
      )
    })
  )

  it.effect("print a defect", () =>
    Effect.gen(function* () {
      const defect = yield* Effect.withSpan(Effect.die(new Failed({ reason: "a" })), "operation").pipe(
        Effect.catchAllDefect(Effect.succeed)
      )
      assert.match(
        failure(() => assert.isNull(defect)),
        /^expected Failed: \{ "reason": "a" \} .* to equal null/
      )
    })
  )

  it("hand a Node display method of another error-like value loupe's inspect, as loupe does", () => {
    // Not an `Error` to chai (its own string tag), with Node's display method, which may use the third argument Node
    // and loupe pass: their `inspect`.
    class Tagged extends Error {
      readonly detail = { reason: "a" }
      get [Symbol.toStringTag]() {
        return "Tagged"
      }
      [Symbol.for("nodejs.util.inspect.custom")](
        _depth: number,
        options: unknown,
        inspect: (value: unknown, options: unknown) => string
      ) {
        return `Tagged(${inspect(this.detail, options)})`
      }
    }
    assert.match(
      failure(() => assert.isNull(new Tagged())),
      /^expected Tagged\(\{ reason: 'a' \}\) to equal null/
    )
  })

  it("print an error wrapped in another Proxy by its class", () => {
    const error = new Proxy(new Failed({ reason: "a" }), {})
    assert.match(
      failure(() => assert.isNull(error)),
      /^expected Failed\{.*\} to equal null/
    )
  })
})
