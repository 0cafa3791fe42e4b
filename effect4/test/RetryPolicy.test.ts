/**
 * Retry policies on Effect 4 (`Schedule` values fed with the failed
 * attempt's error), against the shared fake under the TestClock: backoff's
 * waits, what is retried, `Retry-After`, `make`, and how a policy is set.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { TestClock } from "effect/testing"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexError from "effect4-plex-auth/PlexError"
import * as RetryPolicy from "effect4-plex-auth/RetryPolicy"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { env } from "./support.js"

/** Runs `getTokenDetails` with `policy` in a fiber, lets `elapsed` pass, and gives its exit and the gaps between attempts. */
const attempts = (policy: RetryPolicy.RetryPolicy, elapsed: Duration.Input = "10 minutes") =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(
      Effect.exit(PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(policy)))
    )
    yield* TestClock.adjust(elapsed)
    const exit = yield* Fiber.join(fiber)
    const times = (yield* FakePlex.requests).map((r) => r.receivedAt)
    return { exit, count: times.length, gaps: times.slice(1).map((t, i) => t - times[i]!) }
  })

describe("RetryPolicy.backoff", () => {
  it.effect("defaults: 500 ms initial interval, exponent 1.5; stops as soon as an attempt succeeds", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(503), { times: 3 })
      const { count, exit, gaps } = yield* attempts(RetryPolicy.backoff())
      assert.strictEqual(exit._tag, "Success")
      assert.strictEqual(count, 4)
      assert.deepStrictEqual(gaps, [500, 750, 1125])
    }).pipe(Effect.provide(env()))
  )

  it.effect("retries 429, 500, 502, 503 and 504 by default, never 501 or 505 nor a 400", () =>
    Effect.gen(function* () {
      for (const [status, retried] of [
        [429, true],
        [500, true],
        [502, true],
        [504, true],
        [501, false],
        [505, false],
        [400, false]
      ] as const) {
        yield* FakePlex.clearFaults
        yield* (yield* FakePlex.FakePlex).clearRequests
        yield* FakePlex.fault("getTokenDetails", Fault.status(status), { times: 1 })
        const { count } = yield* attempts(
          RetryPolicy.backoff({ statusCodes: [429, 500, 501, 502, 503, 504, 505] })
        )
        assert.strictEqual(count, retried ? 2 : 1, `status ${status}`)
      }
    }).pipe(Effect.provide(env()))
  )

  it.effect("retryConnectionErrors: false leaves connection failures alone", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.reset, { times: 1 })
      const { count, exit } = yield* attempts(RetryPolicy.backoff({ retryConnectionErrors: false }))
      assert.strictEqual(exit._tag, "Failure")
      assert.strictEqual(count, 1)
    }).pipe(Effect.provide(env()))
  )

  it.effect("gives up once maxElapsedTime would be passed", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(503))
      const { count, gaps } = yield* attempts(
        RetryPolicy.backoff({ initialInterval: "1 second", exponent: 2, maxElapsedTime: "10 seconds" })
      )
      assert.deepStrictEqual(gaps, [1000, 2000, 4000])
      assert.strictEqual(count, 4)
    }).pipe(Effect.provide(env()))
  )

  it.effect("a Retry-After as an HTTP date is waited out; a shorter one does not shorten the backoff", () =>
    Effect.gen(function* () {
      const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
      yield* FakePlex.fault(
        "getTokenDetails",
        Fault.status(503, { headers: { "retry-after": new Date(now + 5000).toUTCString() } }),
        { times: 1 }
      )
      yield* FakePlex.fault("getTokenDetails", Fault.rateLimited("1 second"), { times: 1 })
      const { gaps } = yield* attempts(RetryPolicy.backoff({ initialInterval: "2 seconds", exponent: 1 }))
      assert.strictEqual(gaps.length, 2)
      assert.isAtLeast(gaps[0]!, 4000)
      assert.strictEqual(gaps[1], 2000)
    }).pipe(Effect.provide(env()))
  )
})

describe("RetryPolicy.make and setting a policy", () => {
  it.effect("make(Schedule.recurs(2)) makes at most three attempts and honours Retry-After", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.rateLimited("3 seconds"))
      const { count, gaps } = yield* attempts(RetryPolicy.make(Schedule.recurs(2)))
      assert.strictEqual(count, 3)
      assert.deepStrictEqual(gaps, [3000, 3000])
    }).pipe(Effect.provide(env()))
  )

  it.effect("make(..., { while }) retries only what the predicate accepts", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(503))
      const { count } = yield* attempts(
        RetryPolicy.make(Schedule.recurs(5), { while: (error) => error._tag === "NetworkError" })
      )
      assert.strictEqual(count, 1)
    }).pipe(Effect.provide(env()))
  )

  it.effect(
    "RetryPolicy.layer sets the policy for every operation; withPolicy overrides it for one call",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.status(503), { times: 1 })
        const fiber = yield* Effect.forkChild(PlexAuth.getTokenDetails())
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
        assert.strictEqual((yield* FakePlex.requests).length, 2)
        yield* FakePlex.fault("getTokenDetails", Fault.status(503), { times: 1 })
        const error = yield* Effect.flip(
          PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(RetryPolicy.none))
        )
        assert.strictEqual(error._tag, "Unexpected")
        assert.strictEqual((yield* FakePlex.requests).length, 3)
      }).pipe(Effect.provide(Layer.merge(env(), RetryPolicy.layer(RetryPolicy.backoff()))))
  )
})

describe("RetryPolicy.backoff with options it cannot use", () => {
  // Typed as options can be when they come from configuration or JavaScript: not checked by the compiler.
  const refused: ReadonlyArray<readonly [RetryPolicy.BackoffOptions, string, string]> = [
    [{ initialInterval: "soon" as Duration.Input }, "initialInterval", "must be a Duration"],
    [{ initialInterval: "-1 seconds" }, "initialInterval", "must be positive"],
    [{ initialInterval: 0 }, "initialInterval", "must be positive"],
    [{ initialInterval: Number.NaN }, "initialInterval", "must be a Duration"],
    [{ initialInterval: Duration.infinity }, "initialInterval", "must be finite"],
    [{ maxInterval: "soon" as Duration.Input }, "maxInterval", "must be a Duration"],
    [{ maxInterval: -5 }, "maxInterval", "must be positive"],
    [{ maxElapsedTime: "-1 seconds" }, "maxElapsedTime", "must be positive"],
    [{ maxElapsedTime: "in a while" as Duration.Input }, "maxElapsedTime", "must be a Duration"],
    [{ exponent: Number.NaN }, "exponent", "at least 1"],
    [{ exponent: 0.5 }, "exponent", "at least 1"],
    [{ statusCodes: [503, 42] }, "statusCodes", "HTTP statuses"]
  ]

  it.effect(
    "does not throw, and withPolicy fails with InvalidInput naming the option, before any request",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.status(503))
        for (const [options, field, reason] of refused) {
          const error = yield* Effect.flip(
            PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(RetryPolicy.backoff(options)))
          )
          assert.strictEqual(error._tag, "InvalidInput")
          if (error._tag !== "InvalidInput") return
          assert.strictEqual(error.operation, "RetryPolicy.backoff")
          assert.strictEqual(error.field, field, JSON.stringify(options))
          assert.include(error.reason, reason)
        }
        assert.strictEqual((yield* FakePlex.requests).length, 0)
      }).pipe(Effect.provide(env()))
  )

  it.effect("RetryPolicy.layer and PlexAuth.withRetryPolicy refuse it too", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ maxElapsedTime: "-1 seconds" })
      const error = yield* Effect.flip(
        PlexAuth.getTokenDetails().pipe(Effect.provide(RetryPolicy.layer(policy)))
      )
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(error._tag === "InvalidInput" && error.field, "maxElapsedTime")
      const data = yield* Effect.flip(RetryPolicy.withPolicy(PlexAuth.getTokenDetails(), policy))
      assert.strictEqual(data._tag, "InvalidInput")
      const settings = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(PlexAuth.withRetryPolicy(policy)))
      assert.strictEqual(settings._tag, "InvalidInput")
      assert.strictEqual((yield* FakePlex.requests).length, 0)
    }).pipe(Effect.provide(env()))
  )

  it.effect("infinite maxInterval and maxElapsedTime mean no limit", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(503), { times: 2 })
      const { count, exit, gaps } = yield* attempts(
        RetryPolicy.backoff({
          initialInterval: "1 second",
          maxInterval: Duration.infinity,
          maxElapsedTime: Duration.infinity
        })
      )
      assert.strictEqual(exit._tag, "Success")
      assert.strictEqual(count, 3)
      assert.deepStrictEqual(gaps, [1000, 1500])
    }).pipe(Effect.provide(env()))
  )
})

describe("accessors", () => {
  const ctx = {
    operation: "PlexAuth.getTokenDetails",
    method: "GET",
    url: "https://plex.tv/api/v2/user",
    errors: []
  }

  it("matches follows statusCodes and retryConnectionErrors", () => {
    const unavailable = new PlexError.Unexpected({ ...ctx, reason: "Status", status: 503, detail: "x" })
    const network = new PlexError.NetworkError({ ...ctx, reason: "Transport", detail: "x" })
    assert.isTrue(RetryPolicy.matches(unavailable))
    assert.isFalse(RetryPolicy.matches(unavailable, { statusCodes: [500] }))
    assert.isTrue(RetryPolicy.matches(network))
    assert.isFalse(RetryPolicy.matches(network, { retryConnectionErrors: false }))
    assert.deepStrictEqual(RetryPolicy.defaultStatusCodes, [429, 500, 502, 503, 504])
  })

  it("retryAfter reads retryAfterMillis of RateLimited and Unexpected", () => {
    const limited = new PlexError.RateLimited({ ...ctx, status: 429, retryAfterMillis: 1500 })
    assert.strictEqual(Duration.toMillis(RetryPolicy.retryAfter(limited)!), 1500)
    assert.isUndefined(RetryPolicy.retryAfter(new PlexError.RateLimited({ ...ctx, status: 429 })))
    assert.strictEqual(Duration.toMillis(RetryPolicy.maxRetryAfter), 60_000)
  })
})
