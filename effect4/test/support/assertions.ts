/**
 * Small assertion helpers over Effect results. The Effect 4 edition of
 * test/support/assertions.ts.
 */
import { inspect } from "node:util"
import { assert } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
import type * as PlexError from "effect4-plex-auth/PlexError"
import { FakePlex } from "effect4-plex-auth/testing"
import type { MockHttp, RecordedRequest } from "./MockHttp.js"
import { requests } from "./MockHttp.js"

/** The error `effect` fails with, narrowed to `tag` (the test fails otherwise). */
export const failsWith = <const Tag extends PlexError.PlexError["_tag"], A, R>(
  effect: Effect.Effect<A, PlexError.PlexError, R>,
  tag: Tag
): Effect.Effect<Extract<PlexError.PlexError, { readonly _tag: Tag }>, never, R> =>
  Effect.matchEffect(effect, {
    onSuccess: (value) =>
      Effect.die(
        new Error(`expected ${tag}, got a success: ${inspect(value, { depth: 2, breakLength: Infinity })}`)
      ),
    onFailure: (error) => {
      assert.strictEqual(error._tag, tag, `expected ${tag}, got ${error._tag}: ${error.message}`)
      return Effect.succeed(error as Extract<PlexError.PlexError, { readonly _tag: Tag }>)
    }
  })

/** Asserts the mock received exactly `count` requests, and returns them. */
export const expectRequests = (
  count: number
): Effect.Effect<ReadonlyArray<RecordedRequest>, never, MockHttp> =>
  Effect.map(requests, (all) => {
    assert.strictEqual(all.length, count, `expected ${count} request(s), got ${all.length}`)
    return all
  })

/** The only request the mock received. */
export const onlyRequest: Effect.Effect<RecordedRequest, never, MockHttp> = Effect.map(
  expectRequests(1),
  (all) => all[0]!
)

/**
 * Runs `effect` in a fiber, moves the TestClock forward by `duration` (so
 * every wait within it elapses) and joins the fiber.
 */
export const afterAdjusting =
  (duration: Duration.Input) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(effect)
      yield* TestClock.adjust(duration)
      return yield* Fiber.join(fiber)
    })

/** One turn of the event loop: no time passes on any clock, and the fakes' promises move on. */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/**
 * Waits, a turn of the event loop at a time and no time passing, until the mock has received `count` requests:
 * for a test that moves the TestClock past a timeout that runs from a request's start, or a pause after it. Not
 * bounded: a request that never comes is caught by the test's own timeout.
 */
export const mockReceived = (count: number): Effect.Effect<void, never, MockHttp> =>
  Effect.gen(function* () {
    while ((yield* requests).length < count) yield* turn
  })

/**
 * {@link mockReceived} for the FakePlex fake (a `Fault.delay`'s wait starts when the fake receives the request),
 * counting the requests `where` picks when given.
 */
export const fakeReceived = (
  count: number,
  where: (request: FakePlex.RecordedRequest) => boolean = () => true
): Effect.Effect<void, never, FakePlex.FakePlex> =>
  Effect.gen(function* () {
    while ((yield* FakePlex.requests).filter(where).length < count) yield* turn
  })
