/**
 * chai's deep equality made able to tell Effect values and errors apart, for both editions' suites
 * (installed by each edition's vitest setup file, `test/setup.ts` and `effect4/test/setup.ts`; Effect-free,
 * so that one implementation serves Effect 3 and Effect 4).
 *
 * chai's `assert.deepStrictEqual`, `deepEqual`, `notDeepStrictEqual`, `deepInclude`, `sameDeepMembers`,
 * `expect(...).to.eql` all call `chai.config.deepEqual` (default: deep-eql). Two blind spots of deep-eql let
 * an assertion pass that should fail:
 *
 * - Objects with different numbers of own enumerable keys are compared by their iterator entries instead
 *   (deep-eql's `objectEqual`). Every Effect value (Option, Either, Exit, Effect…) is iterable and yields one
 *   wrapper with no enumerable keys, so `Option.none()` and `Option.some(1)` compared equal, in either order
 *   and nested (`{ a: Option.none() }` against `{ a: Option.some(1) }`), in the Effect 3 suite.
 * - Errors are compared by `name`, `message` and `code` only: two `Schema.TaggedError`s of one class with
 *   different fields (and so the same empty message) compared equal, in the Effect 4 suite.
 *
 * - Objects with no own enumerable keys on either side compare equal: any two `Redacted` values did, and two
 *   Effect 4 `Redacted` values of one `label` (their one own key) still do: the secret is not in the object.
 *
 * The comparator below decides those cases and leaves every other comparison to deep-eql (with itself
 * applied at every depth): iterable objects (the Effect values) are equal only with the same prototype and
 * the same own enumerable keys; errors only with the same prototype, `name`, `message`, own `cause`, an
 * AggregateError's own `errors` and own enumerable keys (what Node's `util.isDeepStrictEqual` compares; deep-eql
 * compared no `errors`, so two AggregateErrors of one message were equal whatever they held); objects with no own enumerable keys on
 * either side, and `Redacted` values, by their Effect equality (`Equal.symbol`), if they have one (a `Redacted`'s
 * own keys, its `label`, compared as well). Plain data (objects, arrays, `Data` and
 * `Schema.Class` instances, which are not iterable) is compared as before, so a class instance still equals
 * a plain object with the same fields under Effect 3 (not under Effect 4, as with chai alone: its classes inherit
 * enumerable methods, `toString` and `pipe`, which deep-eql counts as keys). chai builds its messages and diffs as
 * before.
 */

/** The part of chai this needs (chai 5 under vitest 3, chai 6 under vitest 5: the same API). */
export interface Chai {
  readonly config: { deepEqual: ((left: unknown, right: unknown) => unknown) | null }
  readonly util: {
    readonly eql: (left: unknown, right: unknown, options?: { readonly comparator?: Comparator }) => boolean
  }
}

/** An equality tester of vitest's `expect` (the same in vitest 3 and 5): `this.equals` is expect's own equality. */
type Tester = (
  this: { readonly equals: (left: unknown, right: unknown, testers?: Array<Tester>) => boolean },
  left: unknown,
  right: unknown,
  testers: Array<Tester>
) => boolean | undefined

/** The part of vitest's `expect` this needs (the same in vitest 3 and 5). */
export interface Expect {
  readonly addEqualityTesters: (testers: Array<Tester>) => void
}

type Comparator = (left: unknown, right: unknown) => boolean | null

const ownKeys = (value: object): Array<string | symbol> => [
  ...Object.keys(value),
  ...Object.getOwnPropertySymbols(value).filter((key) =>
    Object.prototype.propertyIsEnumerable.call(value, key)
  )
]

const sameKeySet = (left: object, right: object): boolean => {
  const keys = ownKeys(left)
  const rightKeys = ownKeys(right)
  return keys.length === rightKeys.length && keys.every((key) => rightKeys.includes(key))
}

const isObject = (value: unknown): value is Record<string | symbol, unknown> =>
  typeof value === "object" && value !== null

/** deep-eql's type of a value (its `Symbol.toStringTag`, else `Object.prototype.toString`'s tag). */
const typeOf = (value: Record<string | symbol, unknown>): string => {
  const tag = value[Symbol.toStringTag]
  return typeof tag === "string" ? tag : Object.prototype.toString.call(value).slice(8, -1)
}

const isError = (value: Record<string | symbol, unknown>): boolean =>
  value instanceof Error || typeOf(value) === "Error"

/**
 * Two objects with no own enumerable keys, which deep-eql (and expect's equality) see nothing in to compare
 * (`Redacted.make("a")` and `Redacted.make("b")`): Effect's own equality where both have one, else `null`. Two values
 * that keep what they hold out of their own keys (`hidden`: a `Redacted`, whose Effect 4 `label` is its one own key):
 * `false` where Effect's equality tells them apart, else `null` (their own keys are compared as any object's).
 */
const opaqueEqual = (
  equalSymbol: string | symbol,
  hidden: (value: unknown) => boolean,
  left: unknown,
  right: unknown
): boolean | null => {
  if (!isObject(left) || !isObject(right)) return null
  const method = left[equalSymbol]
  if (typeof method !== "function" || typeof right[equalSymbol] !== "function") return null
  const keyless = ownKeys(left).length === 0 && ownKeys(right).length === 0
  if (!keyless && !(hidden(left) && hidden(right))) return null
  const same = method.call(left, right) === true
  return keyless || !same ? same : null
}

/** The comparator: `true` or `false` where it decides, `null` where deep-eql's own algorithm is right. */
export const comparator = (
  chai: Chai,
  equalSymbol: string | symbol,
  hidden: (value: unknown) => boolean
): Comparator => {
  const equal = (left: unknown, right: unknown): boolean =>
    chai.util.eql(left, right, { comparator: compare })
  const sameOwnKeys = (left: object, right: object, also: ReadonlyArray<string> = []): boolean =>
    sameKeySet(left, right) &&
    [...ownKeys(left), ...also].every((key) =>
      equal((left as Record<string | symbol, unknown>)[key], (right as Record<string | symbol, unknown>)[key])
    )
  // The pairs of errors being compared (each left one against its right ones).
  const comparing = new Map<object, Set<object>>()
  const compare: Comparator = (left, right) => {
    if (!isObject(left) || !isObject(right) || left === right) return null
    const leftError = isError(left)
    if (leftError || isError(right)) {
      if (!leftError || !isError(right)) return false
      if (Object.getPrototypeOf(left) !== Object.getPrototypeOf(right)) return false
      if (Object.hasOwn(left, "cause") !== Object.hasOwn(right, "cause")) return false
      if (Object.hasOwn(left, "errors") !== Object.hasOwn(right, "errors")) return false
      // A message of its own (a `message` field) is no enumerable key; one its class derives from the fields
      // (Effect 3's `Schema.TaggedError` without a `message` field) is left to the fields, which asymmetric matchers
      // may stand for.
      const ownMessage = Object.hasOwn(left, "message") || Object.hasOwn(right, "message")
      if (left.name !== right.name || (ownMessage && left.message !== right.message)) return false
      // Its keys are compared by calls of their own, which deep-eql's memory of the pairs it is comparing does not
      // reach: a pair met again within itself (an error that holds itself, as its cause or deeper) is equal so far,
      // as deep-eql takes a cycle, instead of a recursion without end.
      const against = comparing.get(left) ?? new Set<object>()
      if (against.has(right)) return true
      comparing.set(left, against.add(right))
      try {
        // `cause` and an AggregateError's `errors` are own keys that are not enumerable: compared by name.
        return sameOwnKeys(
          left,
          right,
          ["cause", "errors"].filter((key) => Object.hasOwn(left, key))
        )
      } finally {
        against.delete(right)
        if (against.size === 0) comparing.delete(left)
      }
    }
    const opaque = opaqueEqual(equalSymbol, hidden, left, right)
    if (opaque !== null) return opaque
    const iterable =
      typeof left[Symbol.iterator] === "function" || typeof right[Symbol.iterator] === "function"
    if (!iterable || typeOf(left) !== "Object" || typeOf(right) !== "Object") return null
    // The same prototype and own keys: deep-eql compares the keys' values (or, keyless, what they yield).
    return Object.getPrototypeOf(left) === Object.getPrototypeOf(right) && sameKeySet(left, right)
      ? null
      : false
  }
  return compare
}

/**
 * Makes every deep equality of this chai use the comparator. `equalSymbol`: the edition's `Equal.symbol` (Effect 3:
 * a symbol, Effect 4: a string key), which values that deep-eql cannot look into (`Redacted`) compare by; `hidden`:
 * the edition's `Redacted.isRedacted`, the values that hold what they compare by outside their own keys.
 */
export const installDeepEquality = (
  chai: Chai,
  expect: Expect,
  equalSymbol: string | symbol,
  hidden: (value: unknown) => boolean
): void => {
  // Once per worker: the setup file runs before every test file, and the files share their worker's chai and
  // expect (isolate: false), whose equality testers would otherwise pile up, one more per file.
  if (chai.config.deepEqual !== null) return
  const compare = comparator(chai, equalSymbol, hidden)
  chai.config.deepEqual = (left, right) => chai.util.eql(left, right, { comparator: compare })
  // `expect(...).toEqual` tells Effect values apart by itself, but not keyless ones, nor Redacted ones; nor an Effect
  // error's `message` and `cause` (not enumerable: the error is iterable, which expect compares by what it yields and
  // its enumerable keys, before its own error equality, which compares them, is reached). Such a pair of errors is
  // told apart by its name, message and cause (the cause by expect's own equality, with the matcher's testers, as
  // expect compares an Error's cause); everything else is left to expect, so that `toMatchObject`, asymmetric matchers
  // and toEqual's undefined fields keep their meaning on errors.
  const causes = new Map<object, Set<object>>()
  expect.addEqualityTesters([
    function (left, right, testers) {
      const opaque = opaqueEqual(equalSymbol, hidden, left, right)
      if (opaque !== null) return opaque
      if (!isObject(left) || !isObject(right) || left === right || !isError(left) || !isError(right))
        return undefined
      if (typeof left[Symbol.iterator] !== "function" && typeof right[Symbol.iterator] !== "function")
        return undefined
      // A message of its own (a `message` field) is no enumerable key; one its class derives from the fields
      // (Effect 3's `Schema.TaggedError` without a `message` field) is left to the fields, which asymmetric matchers
      // may stand for.
      const ownMessage = Object.hasOwn(left, "message") || Object.hasOwn(right, "message")
      if (left.name !== right.name || (ownMessage && left.message !== right.message)) return false
      // As expect compares an Error's cause: only where the expected one has one. A pair met again within its own
      // cause (an error that holds itself) is left to expect, instead of a recursion without end.
      if (right.cause === undefined) return undefined
      const against = causes.get(left) ?? new Set<object>()
      if (against.has(right)) return undefined
      causes.set(left, against.add(right))
      try {
        return this.equals(left.cause, right.cause, testers) ? undefined : false
      } finally {
        against.delete(right)
        if (against.size === 0) causes.delete(left)
      }
    }
  ])
}
