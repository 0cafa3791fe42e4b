/**
 * The suite's deep equality (test/setup.ts, test/support/deepEquality.ts): `assert.deepStrictEqual` and the rest
 * fail for Effect values, errors and Redacted values that differ, which chai's deep-eql alone let pass (`Option.none()` against
 * `Option.some(1)`), and still pass for equal ones. Mirrored in effect4/test/support/deepEquality.test.ts.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Data, Either, Exit, Option, Redacted, Schema } from "effect"

class Failed extends Schema.TaggedError<Failed>()("Failed", { reason: Schema.String }) {}
class Other extends Schema.TaggedError<Other>()("Other", { reason: Schema.String }) {}
class Wrapping extends Schema.TaggedError<Wrapping>()("Wrapping", { cause: Schema.Defect }) {}
class Titled extends Schema.TaggedError<Titled>()("Titled", { message: Schema.String }) {}
class Point extends Schema.Class<Point>("Point")({ x: Schema.Number }) {}
class Pair extends Data.Class<{ readonly a: number; readonly b: ReadonlyArray<number> }> {}

/** Every deep assertion of the suite, each given `left` and `right` that differ: each must throw. */
const differ = (left: unknown, right: unknown) => {
  const checks: ReadonlyArray<readonly [string, () => void]> = [
    ["assert.deepStrictEqual", () => assert.deepStrictEqual(left, right)],
    ["assert.deepEqual", () => assert.deepEqual(left, right)],
    ["assert.deepInclude", () => assert.deepInclude([left], right)],
    ["assert.sameDeepMembers", () => assert.sameDeepMembers([left], [right])],
    ["expect.toEqual", () => expect(left).toEqual(right)],
    ["expect.toStrictEqual", () => expect(left).toStrictEqual(right)]
  ]
  for (const [name, check] of checks) {
    assert.throws(check, undefined, undefined, `${name} passed for values that differ`)
  }
  assert.notDeepEqual(left, right)
}

/** Every deep assertion of the suite, given equal `left` and `right`: none may throw. */
const equal = (left: unknown, right: unknown) => {
  assert.deepStrictEqual(left, right)
  assert.deepEqual(left, right)
  assert.deepInclude([left], right)
  assert.sameDeepMembers([left], [right])
  expect(left).toEqual(right)
  assert.throws(() => assert.notDeepEqual(left, right))
}

describe("the suite's deep equality", () => {
  it("Option.none() and Option.some(1) differ, in either order and nested", () => {
    differ(Option.none(), Option.some(1))
    differ(Option.some(1), Option.none())
    differ({ a: Option.none() }, { a: Option.some(1) })
    differ([Option.some({ b: 1 })], [Option.none()])
    differ(Option.some(Option.none()), Option.some(Option.some(1)))
  })

  it("a Left and a Right differ, so do Rights holding Options that differ", () => {
    differ(Either.left(1), Either.right(1))
    differ(Either.right(Option.none()), Either.right(Option.some(1)))
  })

  it("an Exit success and an Exit failure differ, so do failures whose errors differ", () => {
    differ(Exit.succeed(1), Exit.fail(1))
    differ(Exit.void, Exit.fail(new Failed({ reason: "a" })))
    differ(Exit.fail(new Failed({ reason: "a" })), Exit.fail(new Failed({ reason: "b" })))
  })

  it("errors differ by class and by fields, not only by name and message", () => {
    differ(new Failed({ reason: "a" }), new Failed({ reason: "b" }))
    differ(new Failed({ reason: "a" }), new Other({ reason: "a" }))
    differ(new Failed({ reason: "a" }), new Error(new Failed({ reason: "a" }).message))
    differ(new Error("a", { cause: 1 }), new Error("a", { cause: 2 }))
  })

  it("an AggregateError's errors and an Effect error's cause are compared (expect's toEqual too)", () => {
    const aggregate = (message: string) => new AggregateError([new Error(message)], "all failed")
    differ(aggregate("a"), aggregate("b"))
    differ(aggregate("a"), new AggregateError([], "all failed"))
    differ(aggregate("a"), new Error("all failed"))
    equal(aggregate("a"), aggregate("a"))
    differ(new Wrapping({ cause: new Error("a") }), new Wrapping({ cause: new Error("b") }))
    equal(new Wrapping({ cause: new Error("a") }), new Wrapping({ cause: new Error("a") }))
  })

  it("expect's matchers keep their meaning on errors: toMatchObject, asymmetric matchers, toEqual's undefined", () => {
    expect(new Failed({ reason: "a" })).toMatchObject({ reason: "a" })
    expect({ error: new Failed({ reason: "a" }) }).toMatchObject({ error: { _tag: "Failed" } })
    assert.throws(() => expect(new Failed({ reason: "a" })).toMatchObject({ reason: "b" }))
    expect(new Wrapping({ cause: new Error("a") })).toEqual(new Wrapping({ cause: expect.any(Error) }))
    assert.throws(() =>
      expect(new Wrapping({ cause: "a" })).toEqual(new Wrapping({ cause: expect.any(Error) }))
    )
    expect(Object.assign(new Error("a"), { code: undefined })).toEqual(new Error("a"))
    assert.throws(() =>
      expect(Object.assign(new Error("a"), { code: undefined })).toStrictEqual(new Error("a"))
    )
    // An Effect error's message field is no enumerable key: told apart all the same.
    differ(new Titled({ message: "a" }), new Titled({ message: "b" }))
    equal(new Titled({ message: "a" }), new Titled({ message: "a" }))
  })

  it("Effect errors that hold themselves as their cause compare without a recursion without end", () => {
    const holding = (reason: string) => {
      const error = new Titled({ message: "a" })
      Object.defineProperty(error, "cause", { value: { reason, inner: error }, enumerable: false })
      return error
    }
    equal(holding("x"), holding("x"))
    differ(holding("x"), holding("y"))
  })

  it("errors that hold themselves (as their cause, or in a field) compare without a recursion without end", () => {
    const holding = (reason: string, field: "cause" | "self") => {
      const error = new Error("a") as Error & { reason?: string; self?: unknown }
      error.reason = reason
      if (field === "cause") error.cause = { inner: error }
      else error.self = [error]
      return error
    }
    equal(holding("x", "cause"), holding("x", "cause"))
    equal(holding("x", "self"), holding("x", "self"))
    differ(holding("x", "cause"), holding("y", "cause"))
    differ(holding("x", "self"), holding("y", "self"))
  })

  it("Redacted values differ by what they hide, also nested", () => {
    differ(Redacted.make("a"), Redacted.make("b"))
    differ({ token: Redacted.make("a") }, { token: Redacted.make("b") })
    differ(Option.some(Redacted.make("a")), Option.some(Redacted.make("b")))
    equal(Redacted.make("a"), Redacted.make("a"))
    equal({ token: Redacted.make("a") }, { token: Redacted.make("a") })
  })

  it("an Effect value and a plain object of its fields differ (for chai's assertions: expect's compare constructors)", () => {
    assert.throws(() => assert.deepStrictEqual<unknown>(Option.some(1), { value: 1 }))
    assert.throws(() => assert.deepStrictEqual<unknown>({ value: 1 }, Option.some(1)))
    assert.notDeepEqual<unknown>(Option.some(1), { value: 1 })
  })

  it("equal Effect values, errors, Data and Schema classes still compare equal", () => {
    equal(Option.some(1), Option.some(1))
    equal(Option.none(), Option.none())
    equal({ a: Option.some([1, { b: 2 }]) }, { a: Option.some([1, { b: 2 }]) })
    equal(Either.left("x"), Either.left("x"))
    equal(Exit.succeed({ a: 1 }), Exit.succeed({ a: 1 }))
    equal(Exit.fail(new Failed({ reason: "a" })), Exit.fail(new Failed({ reason: "a" })))
    equal(new Failed({ reason: "a" }), new Failed({ reason: "a" }))
    equal(new Error("a", { cause: { c: 1 } }), new Error("a", { cause: { c: 1 } }))
    equal(new Point({ x: 1 }), new Point({ x: 1 }))
    equal(new Pair({ a: 1, b: [2] }), new Pair({ a: 1, b: [2] }))
    // As with chai alone: a class that is no Effect value equals a plain object of its fields.
    assert.deepStrictEqual(new Point({ x: 1 }), { x: 1 })
    differ(new Point({ x: 1 }), new Point({ x: 2 }))
    differ(new Pair({ a: 1, b: [2] }), new Pair({ a: 1, b: [3] }))
  })
})
