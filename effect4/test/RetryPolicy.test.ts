/**
 * Retry policies on Effect 4 (`Schedule` values fed with the failed
 * attempt's error), against the shared fake under the TestClock: backoff's
 * waits, what is retried, `Retry-After`, `make`, and how a policy is set.
 * Then, as in the Effect 3 edition's test/RetryPolicy.test.ts (same names),
 * against the mock HttpClient: how many attempts, how far apart (the Clock
 * time each request was recorded at), which errors are never retried, the
 * non-idempotent sign-in, and the cap on `Retry-After`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { TestClock } from "effect/testing"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexError from "effect4-plex-auth/PlexError"
import * as RetryPolicy from "effect4-plex-auth/RetryPolicy"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { layerPendingSleeps, whenWaiting } from "./Jwt/support.js"
import { env } from "./support.js"
import { afterAdjusting, expectRequests, failsWith, mockReceived } from "./support/assertions.js"
import { env as mockEnv } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"
import { withCapturedLogs } from "./support/observe.js"
import { accountBody, operations, signInInput, success } from "./support/operations.js"

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
        yield* whenWaiting(fiber, "1 second") // the 503 read, the pause before the retry running
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
        assert.strictEqual((yield* FakePlex.requests).length, 2)
        yield* FakePlex.fault("getTokenDetails", Fault.status(503), { times: 1 })
        const error = yield* Effect.flip(
          PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(RetryPolicy.none))
        )
        assert.strictEqual(error._tag, "Unexpected")
        assert.strictEqual((yield* FakePlex.requests).length, 3)
      }).pipe(
        Effect.provide(Layer.mergeAll(env(), RetryPolicy.layer(RetryPolicy.backoff()), layerPendingSleeps))
      )
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
    [{ times: -1 }, "times", "must be an integer of at least 0"],
    [{ times: 1.5 }, "times", "must be an integer of at least 0"],
    [{ times: Number.POSITIVE_INFINITY }, "times", "must be an integer of at least 0"],
    [{ times: "3" as never }, "times", "must be an integer of at least 0"],
    [{ statusCodes: [503, 42] }, "statusCodes", "HTTP statuses"],
    // From untyped JavaScript (an environment variable passed on): "false" was read as true, silently.
    [{ retryConnectionErrors: "false" as never }, "retryConnectionErrors", "must be a boolean"],
    [{ jitter: "false" as never }, "jitter", "must be a boolean"]
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

  it("retryAfter reads a negative or NaN retryAfterMillis (an error built by hand) as no wait: 0 ms, in both editions", () => {
    for (const retryAfterMillis of [-5, Number.NaN]) {
      const limited = new PlexError.RateLimited({ ...ctx, status: 429, retryAfterMillis })
      assert.strictEqual(Duration.toMillis(RetryPolicy.retryAfter(limited)!), 0, String(retryAfterMillis))
      const unexpected = new PlexError.Unexpected({
        ...ctx,
        reason: "Status",
        status: 503,
        detail: "d",
        retryAfterMillis
      })
      assert.strictEqual(Duration.toMillis(RetryPolicy.retryAfter(unexpected)!), 0)
    }
  })
})

// ---------------------------------------------------------------------------
// The Effect 3 edition's cases (test/RetryPolicy.test.ts), against the mock HttpClient
// ---------------------------------------------------------------------------

const details = PlexAuth.getTokenDetails()
const signIn = PlexAuth.postUsersSignInData(signInInput)
const signInOp = operations.find((op) => op.name === "postUsersSignInData")!

const unavailable = () => MockHttp.text(503, "busy", "text/plain")
const serverError = () => MockHttp.text(500, "boom", "text/plain")
const ok = () => MockHttp.json(200, accountBody)

/** The Clock times (ms) at which the mock received each request. */
const times = Effect.map(MockHttp.requests, (all) => all.map((r) => r.at))

/** A policy that retries anything `mayRetry` lets through, immediately, forever. */
const retryEverything = RetryPolicy.make(Schedule.forever, { while: () => true })

/** How many requests `details` under `policy` sent against `handler`, once a second has passed. */
const countUnder = (policy: RetryPolicy.RetryPolicy, handler: MockHttp.Handler) =>
  details.pipe(
    RetryPolicy.withPolicy(policy),
    Effect.flip,
    Effect.andThen(Effect.map(MockHttp.requests, (r) => r.length)),
    afterAdjusting("1 second"),
    Effect.provide(mockEnv(handler))
  )

describe("RetryPolicy.none (the default)", () => {
  it.effect("is a Schedule that ends at its first step with output 0, as Schedule.recurs(0) does", () =>
    Effect.gen(function* () {
      // Made with Schedule.fromStep (internal/retry.ts's `never`) rather than recurs(0): the same schedule.
      const run = (policy: RetryPolicy.RetryPolicy) => {
        let attempts = 0
        const failing = Effect.suspend(() => {
          attempts++
          return Effect.fail(new PlexError.InvalidInput({ operation: "test", field: "x", reason: "y" }))
        })
        return Effect.map(
          Effect.retryOrElse(failing, policy, (error, output) => Effect.succeed({ tag: error._tag, output })),
          (ended) => ({ ...ended, attempts })
        )
      }
      const expected = { tag: "InvalidInput" as const, output: 0, attempts: 1 }
      assert.deepStrictEqual(yield* run(Schedule.recurs(0)), expected)
      assert.deepStrictEqual(yield* run(RetryPolicy.none), expected)
      assert.deepStrictEqual(yield* run(RetryPolicy.backoff({ exponent: 0 })), expected)
    })
  )

  it.effect("sends exactly one request on a retryable 503", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(details, "Unexpected")
      assert.strictEqual(error.status, 503)
      yield* expectRequests(1)
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )

  it.effect("sends exactly one request on a connection failure or a 429", () =>
    Effect.gen(function* () {
      yield* failsWith(details, "NetworkError")
      yield* failsWith(details, "RateLimited")
      yield* expectRequests(2)
    }).pipe(
      Effect.provide(
        mockEnv(
          MockHttp.sequence(
            () => MockHttp.transportFailure(),
            () => MockHttp.text(429, "", "text/plain", { "retry-after": "1" })
          )
        )
      )
    )
  )
})

describe("RetryPolicy.backoff (mock HttpClient)", () => {
  it.effect(
    "waits initialInterval, then exponent times longer, capped at maxInterval, until maxElapsedTime",
    () =>
      Effect.gen(function* () {
        const policy = RetryPolicy.backoff({
          initialInterval: "1 second",
          exponent: 2,
          maxInterval: "5 seconds",
          maxElapsedTime: "20 seconds"
        })
        const error = yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected").pipe(
          afterAdjusting("1 minute")
        )
        assert.strictEqual(error.status, 503)
        // Waits 1, 2, 4, 5, 5 s; the next 5 s wait would end after 22 s > 20 s, so it gives up.
        assert.deepStrictEqual(yield* times, [0, 1_000, 3_000, 7_000, 12_000, 17_000])
      }).pipe(Effect.provide(mockEnv(unavailable)))
  )

  it.effect("defaults: 500 ms initial interval, exponent 1.5", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ maxElapsedTime: "5 seconds" })
      yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected").pipe(
        afterAdjusting("1 minute")
      )
      // Waits 500, 750, 1125, 1688 (rounded); the next (2531) would end after 5 s.
      assert.deepStrictEqual(yield* times, [0, 500, 1_250, 2_375, 4_063])
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )

  it.effect("does not send the retry a moment early", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ initialInterval: "2 seconds" })
      const fiber = yield* Effect.forkChild(details.pipe(RetryPolicy.withPolicy(policy)))
      // The 503 read and the 2-second pause before the retry running (not the request's 30-second timeout).
      yield* whenWaiting(fiber, "2 seconds")
      yield* TestClock.adjust("1999 millis")
      yield* expectRequests(1)
      yield* TestClock.adjust("1 millis")
      yield* expectRequests(2)
      const account = yield* Fiber.join(fiber)
      assert.strictEqual(account.username, "tester")
    }).pipe(Effect.provide(Layer.merge(mockEnv(MockHttp.sequence(unavailable, ok)), layerPendingSleeps)))
  )

  it.effect("stops retrying as soon as an attempt succeeds", () =>
    Effect.gen(function* () {
      const account = yield* details.pipe(
        RetryPolicy.withPolicy(RetryPolicy.backoff()),
        afterAdjusting("1 hour")
      )
      assert.strictEqual(account.id, 1234)
      assert.deepStrictEqual(yield* times, [0, 500, 1_250])
    }).pipe(Effect.provide(mockEnv(MockHttp.sequence(unavailable, serverError, ok))))
  )

  it.effect("times: at most that many retries, each after its backoff", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ initialInterval: "1 second", exponent: 2, times: 3 })
      const error = yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected").pipe(
        afterAdjusting("1 minute")
      )
      assert.strictEqual(error.status, 503)
      // Three retries, after 1, 2 and 4 s (not at once, as make(Schedule.recurs(3)) would); no fourth after 8 s.
      assert.deepStrictEqual(yield* times, [0, 1_000, 3_000, 7_000])
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )

  it.effect("times: 0 never retries", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ times: 0 })
      yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected").pipe(
        afterAdjusting("1 minute")
      )
      assert.deepStrictEqual(yield* times, [0])
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )

  it.effect("times: maxElapsedTime still ends the retries when it comes first", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({
        initialInterval: "1 second",
        exponent: 2,
        maxElapsedTime: "5 seconds",
        times: 10
      })
      yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected").pipe(
        afterAdjusting("1 minute")
      )
      // Waits 1 and 2 s; the next (4 s) would start after 7 s > 5 s.
      assert.deepStrictEqual(yield* times, [0, 1_000, 3_000])
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )

  it.effect("times: a Retry-After lengthens the waits, and times still caps the retries", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ times: 2 })
      const error = yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "RateLimited").pipe(
        afterAdjusting("1 minute")
      )
      assert.strictEqual(error.retryAfterMillis, 4_000)
      // Two retries, each after the 4 s the server asked for (longer than 500 and 750 ms); no third.
      assert.deepStrictEqual(yield* times, [0, 4_000, 8_000])
    }).pipe(Effect.provide(mockEnv(() => MockHttp.text(429, "", "text/plain", { "retry-after": "4" }))))
  )

  it.effect(
    "times: any integer of at least 0 is taken, past 2^53 too (it was refused as not an integer)",
    () =>
      Effect.gen(function* () {
        const account = yield* details.pipe(
          RetryPolicy.withPolicy(RetryPolicy.backoff({ times: 2 ** 53 })),
          afterAdjusting("1 hour")
        )
        assert.strictEqual(account.id, 1234)
        assert.deepStrictEqual(yield* times, [0, 500])
      }).pipe(Effect.provide(mockEnv(MockHttp.sequence(unavailable, ok))))
  )

  it.effect("times: a success within the retries ends them", () =>
    Effect.gen(function* () {
      const account = yield* details.pipe(
        RetryPolicy.withPolicy(RetryPolicy.backoff({ times: 2 })),
        afterAdjusting("1 hour")
      )
      assert.strictEqual(account.id, 1234)
      assert.deepStrictEqual(yield* times, [0, 500, 1_250])
    }).pipe(Effect.provide(mockEnv(MockHttp.sequence(unavailable, serverError, ok))))
  )

  it.effect("never retries 501 or 505, even when a policy lists them", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ initialInterval: "10 millis", statusCodes: [500, 501, 505] })
      for (const status of [501, 505]) {
        const count = yield* countUnder(
          policy,
          MockHttp.always(() => MockHttp.text(status, "", "text/plain"))
        )
        assert.strictEqual(count, 1, `status ${status}`)
      }
    })
  )

  it.effect("retries 429, 500, 502, 503 and 504 by default, nothing else", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ initialInterval: "10 millis", maxElapsedTime: "15 millis" })
      for (const status of [429, 500, 502, 503, 504, 501, 505, 408]) {
        const count = yield* countUnder(
          policy,
          MockHttp.always(() => MockHttp.text(status, "", "text/plain"))
        )
        assert.strictEqual(count, [429, 500, 502, 503, 504].includes(status) ? 2 : 1, `status ${status}`)
      }
    })
  )

  it.effect("statusCodes selects the statuses retried", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({
        initialInterval: "1 second",
        statusCodes: [503],
        maxElapsedTime: "1500 millis"
      })
      const error = yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected").pipe(
        afterAdjusting("1 minute")
      )
      // 503, retried after 1 s, then a 500, which this policy does not retry.
      assert.strictEqual(error.status, 500)
      assert.deepStrictEqual(yield* times, [0, 1_000])
    }).pipe(Effect.provide(mockEnv(MockHttp.sequence(unavailable, serverError))))
  )

  it.effect("statusCodes without 429 leaves rate limits alone", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ statusCodes: [500] })
      yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "RateLimited").pipe(
        afterAdjusting("1 minute")
      )
      yield* expectRequests(1)
    }).pipe(Effect.provide(mockEnv(() => MockHttp.text(429, "", "text/plain"))))
  )

  it.effect("retryConnectionErrors (default true) retries connection failures", () =>
    Effect.gen(function* () {
      const account = yield* details.pipe(
        RetryPolicy.withPolicy(RetryPolicy.backoff({ initialInterval: "100 millis" })),
        afterAdjusting("1 minute")
      )
      assert.strictEqual(account.id, 1234)
      assert.deepStrictEqual(yield* times, [0, 100])
    }).pipe(Effect.provide(mockEnv(MockHttp.sequence(() => MockHttp.transportFailure(), ok))))
  )

  it.effect("retryConnectionErrors: false does not retry connection failures", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ retryConnectionErrors: false })
      yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "NetworkError").pipe(
        afterAdjusting("1 minute")
      )
      yield* expectRequests(1)
    }).pipe(Effect.provide(mockEnv(MockHttp.sequence(() => MockHttp.transportFailure(), ok))))
  )

  it.effect("a timed-out attempt is retried (idempotent operation), each attempt with its own timeout", () =>
    Effect.gen(function* () {
      const account = yield* details.pipe(
        PlexAuth.withRequestTimeout("1 second"),
        RetryPolicy.withPolicy(RetryPolicy.backoff({ initialInterval: "1 second" })),
        afterAdjusting("1 minute")
      )
      assert.strictEqual(account.id, 1234)
      // 1 s timeout + 1 s wait, then 1 s timeout + 1.5 s wait.
      assert.deepStrictEqual(yield* times, [0, 2_000, 4_500])
    }).pipe(
      Effect.provide(
        mockEnv(
          MockHttp.sequence(
            () => MockHttp.hang,
            () => MockHttp.hang,
            ok
          )
        )
      )
    )
  )

  it.effect("jitter spreads each wait over ±20%", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({
        initialInterval: "1 second",
        exponent: 1,
        jitter: true,
        maxElapsedTime: "30 seconds"
      })
      yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected").pipe(
        afterAdjusting("1 minute")
      )
      const at = yield* times
      assert.isAbove(at.length, 20)
      const waits = at.slice(1).map((t, i) => t - at[i]!)
      for (const wait of waits) {
        assert.isAtLeast(wait, 800)
        assert.isAtMost(wait, 1_200)
      }
      assert.isAbove(new Set(waits).size, 1, "the waits should not all be equal")
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )

  it.effect("jitter never takes a wait past maxInterval, the longest wait between two attempts", () =>
    Effect.gen(function* () {
      // As the seed SDKs' backoff caps the jittered wait (`Math.min(interval + jitter, maxInterval)`).
      const policy = RetryPolicy.backoff({
        initialInterval: "1 second",
        exponent: 2,
        maxInterval: "4 seconds",
        jitter: true,
        maxElapsedTime: "2 minutes"
      })
      yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected").pipe(
        afterAdjusting("5 minutes")
      )
      const at = yield* times
      assert.isAbove(at.length, 20)
      const waits = at.slice(1).map((t, i) => t - at[i]!)
      for (const wait of waits) assert.isAtMost(wait, 4_000)
      // Capped waits are still spread (from 80% of the cap up to it), not all the cap.
      assert.isAbove(new Set(waits.slice(3)).size, 1, "the capped waits should not all be equal")
      for (const wait of waits.slice(3)) assert.isAtLeast(wait, 3_200)
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )

  it.effect("RetryPolicy.transient: jittered waits from 250 ms, giving up within 30 s", () =>
    Effect.gen(function* () {
      yield* failsWith(details.pipe(RetryPolicy.withPolicy(RetryPolicy.transient)), "Unexpected").pipe(
        afterAdjusting("5 minutes")
      )
      const at = yield* times
      assert.isAtLeast(at[1]!, 200)
      assert.isAtMost(at[1]!, 300)
      assert.isAtMost(at[at.length - 1]!, 30_000)
      for (let i = 2; i < at.length; i++) assert.isAtMost(at[i]! - at[i - 1]!, 5_000)
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )
})

describe("Retry-After", () => {
  it.effect("in seconds: the next attempt waits at least that long", () =>
    Effect.gen(function* () {
      const account = yield* details.pipe(
        RetryPolicy.withPolicy(RetryPolicy.backoff({ initialInterval: "100 millis" })),
        afterAdjusting("1 minute")
      )
      assert.strictEqual(account.id, 1234)
      assert.deepStrictEqual(yield* times, [0, 3_000])
    }).pipe(
      Effect.provide(
        mockEnv(MockHttp.sequence(() => MockHttp.text(429, "", "text/plain", { "retry-after": "3" }), ok))
      )
    )
  )

  it.effect("as an HTTP date: the next attempt waits until then", () =>
    Effect.gen(function* () {
      const start = Date.parse("2026-02-01T08:00:00Z")
      yield* TestClock.setTime(start)
      yield* details.pipe(
        RetryPolicy.withPolicy(RetryPolicy.backoff({ initialInterval: "100 millis" })),
        afterAdjusting("1 minute")
      )
      const at = yield* times
      assert.deepStrictEqual(
        at.map((t) => t - start),
        [0, 10_000]
      )
    }).pipe(
      Effect.provide(
        mockEnv(
          MockHttp.sequence(
            () => MockHttp.text(503, "", "text/plain", { "retry-after": "Sun, 01 Feb 2026 08:00:10 GMT" }),
            ok
          )
        )
      )
    )
  )

  it.effect("a shorter Retry-After does not shorten the backoff", () =>
    Effect.gen(function* () {
      yield* details.pipe(
        RetryPolicy.withPolicy(RetryPolicy.backoff({ initialInterval: "5 seconds" })),
        afterAdjusting("1 minute")
      )
      assert.deepStrictEqual(yield* times, [0, 5_000])
    }).pipe(
      Effect.provide(
        mockEnv(MockHttp.sequence(() => MockHttp.text(429, "", "text/plain", { "retry-after": "1" }), ok))
      )
    )
  )

  it.effect("is honoured by any Schedule given to RetryPolicy.make", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.make(Schedule.spaced("100 millis"))
      yield* details.pipe(RetryPolicy.withPolicy(policy), afterAdjusting("1 minute"))
      assert.deepStrictEqual(yield* times, [0, 4_000, 4_100])
    }).pipe(
      Effect.provide(
        mockEnv(
          MockHttp.sequence(
            () => MockHttp.text(429, "", "text/plain", { "retry-after": "4" }),
            unavailable,
            ok
          )
        )
      )
    )
  )

  it.effect("a Retry-After past maxElapsedTime ends the retries", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ maxElapsedTime: "10 seconds" })
      const error = yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "RateLimited").pipe(
        afterAdjusting("5 minutes")
      )
      assert.strictEqual(error.retryAfterMillis, 60_000)
      yield* expectRequests(1)
    }).pipe(Effect.provide(mockEnv(() => MockHttp.text(429, "", "text/plain", { "retry-after": "60" }))))
  )

  it.effect("jitter never brings a wait below the Retry-After", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.backoff({ initialInterval: "2 seconds", jitter: true })
      yield* details.pipe(RetryPolicy.withPolicy(policy), afterAdjusting("1 minute"))
      const [first, second] = yield* times
      assert.isAtLeast(second! - first!, 2_000)
    }).pipe(
      Effect.provide(
        mockEnv(MockHttp.sequence(() => MockHttp.text(429, "", "text/plain", { "retry-after": "2" }), ok))
      )
    )
  )
})

describe("RetryPolicy.make and Schedule combinators", () => {
  it.effect("make(Schedule.recurs(2)) makes at most three attempts", () =>
    Effect.gen(function* () {
      yield* failsWith(
        details.pipe(RetryPolicy.withPolicy(RetryPolicy.make(Schedule.recurs(2)))),
        "Unexpected"
      )
      yield* expectRequests(3)
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )

  it.effect("make's default `while` retries what backoff would (5xx), not a 501", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.make(Schedule.recurs(5))
      const error = yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected")
      assert.strictEqual(error.status, 501)
      yield* expectRequests(2)
    }).pipe(
      Effect.provide(mockEnv(MockHttp.sequence(unavailable, () => MockHttp.text(501, "", "text/plain"))))
    )
  )

  it.effect("make(..., { while }) retries only what the predicate accepts", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.make(Schedule.recurs(5), { while: (e) => e._tag === "NetworkError" })
      const error = yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected")
      assert.strictEqual(error.status, 503)
      yield* expectRequests(3)
    }).pipe(
      Effect.provide(
        mockEnv(
          MockHttp.sequence(
            () => MockHttp.transportFailure(),
            () => MockHttp.transportFailure(),
            unavailable
          )
        )
      )
    )
  )

  it.effect("policies compose: backoff intersected with recurs(2)", () =>
    Effect.gen(function* () {
      // Effect 4's Schedule.max is Effect 3's Schedule.intersect: on while both recur, the longer wait.
      const policy: RetryPolicy.RetryPolicy = Schedule.max([
        RetryPolicy.backoff({ initialInterval: "1 second", exponent: 2 }),
        Schedule.recurs(2)
      ])
      yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected").pipe(
        afterAdjusting("1 minute")
      )
      assert.deepStrictEqual(yield* times, [0, 1_000, 3_000])
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )

  it.effect("policies compose: a fixed schedule with an added delay", () =>
    Effect.gen(function* () {
      const policy = RetryPolicy.make(
        Schedule.spaced("1 second").pipe(
          Schedule.addDelay(() => Effect.succeed(Duration.millis(250))),
          Schedule.upTo({ duration: "5 seconds" })
        )
      )
      yield* failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "Unexpected").pipe(
        afterAdjusting("1 minute")
      )
      // Effect 4's upTo stops once the elapsed time is past the duration (its step at exactly 5 s still
      // recurs); Effect 3's stops at it. The policy passes the schedule's waits through either way.
      assert.deepStrictEqual(yield* times, [0, 1_250, 2_500, 3_750, 5_000, 6_250])
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )
})

describe("global layer vs per-call override", () => {
  const global = RetryPolicy.layer(RetryPolicy.make(Schedule.recurs(1)))

  it.effect("RetryPolicy.layer sets the policy for every operation", () =>
    Effect.gen(function* () {
      yield* failsWith(details, "Unexpected")
      yield* expectRequests(2)
    }).pipe(Effect.provide(Layer.merge(mockEnv(unavailable), global)))
  )

  it.effect("RetryPolicy.withPolicy overrides the global policy for one call", () =>
    Effect.gen(function* () {
      yield* failsWith(details.pipe(RetryPolicy.withPolicy(RetryPolicy.none)), "Unexpected")
      yield* expectRequests(1)
      yield* failsWith(
        details.pipe(RetryPolicy.withPolicy(RetryPolicy.make(Schedule.recurs(3)))),
        "Unexpected"
      )
      yield* expectRequests(1 + 4)
      yield* failsWith(details, "Unexpected")
      yield* expectRequests(1 + 4 + 2)
    }).pipe(Effect.provide(Layer.merge(mockEnv(unavailable), global)))
  )

  it.effect("withPolicy is dual (data-first)", () =>
    Effect.gen(function* () {
      yield* failsWith(RetryPolicy.withPolicy(details, RetryPolicy.make(Schedule.recurs(2))), "Unexpected")
      yield* expectRequests(3)
    }).pipe(Effect.provide(mockEnv(unavailable)))
  )
})

describe("never retried, whatever the policy", () => {
  const cases: ReadonlyArray<readonly [string, () => MockHttp.Reply, PlexError.PlexError["_tag"]]> = [
    ["400", () => MockHttp.plexErrors(400, [{ code: 1000, message: "missing" }]), "BadRequest"],
    ["401", () => MockHttp.plexErrors(401, [{ code: 1001, message: "no" }]), "Unauthorized"],
    ["404", () => MockHttp.html(404, "not here"), "Unexpected"],
    ["a Decode failure", () => MockHttp.json(200, { nope: true }), "Unexpected"],
    ["malformed JSON", () => MockHttp.json(200, "{"), "Unexpected"],
    ["a ContentType failure", () => MockHttp.xml(200, "<MediaContainer/>"), "Unexpected"],
    ["a 409", () => MockHttp.text(409, "", "text/plain"), "Unexpected"],
    [
      "a BodyTooLarge failure",
      () => MockHttp.json(200, "x".repeat(100), { "content-length": "100" }),
      "Unexpected"
    ]
  ]
  for (const [name, reply, tag] of cases) {
    it.effect(name, () =>
      Effect.gen(function* () {
        yield* failsWith(details.pipe(RetryPolicy.withPolicy(retryEverything)), tag)
        yield* expectRequests(1)
      }).pipe(
        Effect.provideService(PlexAuth.MaxBodyBytes, 64),
        Effect.provide(mockEnv(MockHttp.sequence(reply, ok)))
      )
    )
  }

  it.effect("404 NotFound of getSourceConnectionInformation", () =>
    Effect.gen(function* () {
      const op = operations.find((o) => o.name === "getSourceConnectionInformation")!
      yield* failsWith(op.run.pipe(RetryPolicy.withPolicy(retryEverything)), "NotFound")
      yield* expectRequests(1)
    }).pipe(Effect.provide(mockEnv(MockHttp.sequence(() => MockHttp.html(404, "gone"), ok))))
  )

  it.effect("InvalidInput (no request at all)", () =>
    Effect.gen(function* () {
      yield* failsWith(
        PlexAuth.postUsersSignInData({ login: "", password: "x" }).pipe(
          RetryPolicy.withPolicy(retryEverything)
        ),
        "InvalidInput"
      )
      yield* expectRequests(0)
    }).pipe(Effect.provide(mockEnv(ok)))
  )

  it.effect("but the same policy does retry a 503", () =>
    Effect.gen(function* () {
      yield* details.pipe(RetryPolicy.withPolicy(retryEverything))
      yield* expectRequests(2)
    }).pipe(Effect.provide(mockEnv(MockHttp.sequence(unavailable, ok))))
  )

  it.effect("and 408 / 425 when the policy asks for them", () =>
    Effect.gen(function* () {
      yield* details.pipe(RetryPolicy.withPolicy(retryEverything))
      yield* expectRequests(3)
    }).pipe(
      Effect.provide(
        mockEnv(
          MockHttp.sequence(
            () => MockHttp.text(408, "", "text/plain"),
            () => MockHttp.text(425, "", "text/plain"),
            ok
          )
        )
      )
    )
  )
})

describe("the non-idempotent sign-in", () => {
  const policy = RetryPolicy.backoff({ initialInterval: "100 millis" })

  for (const status of [500, 502, 504]) {
    it.effect(`is not retried on a ${status} (the server may have acted)`, () =>
      Effect.gen(function* () {
        const error = yield* failsWith(signIn.pipe(RetryPolicy.withPolicy(policy)), "Unexpected").pipe(
          afterAdjusting("1 minute")
        )
        assert.strictEqual(error.status, status)
        yield* expectRequests(1)
      }).pipe(
        Effect.provide(
          mockEnv(
            MockHttp.sequence(
              () => MockHttp.text(status, "", "text/plain"),
              () => success(signInOp)
            )
          )
        )
      )
    )
  }

  it.effect("is not retried after a timeout, even by a policy that retries everything", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(
        signIn.pipe(PlexAuth.withRequestTimeout("1 second"), RetryPolicy.withPolicy(retryEverything)),
        "NetworkError"
      ).pipe(afterAdjusting("1 minute"))
      assert.strictEqual(error.reason, "Timeout")
      yield* expectRequests(1)
    }).pipe(
      Effect.provide(
        mockEnv(
          MockHttp.sequence(
            () => MockHttp.hang,
            () => success(signInOp)
          )
        )
      )
    )
  )

  it.effect("is retried on 429 and 503 (the server did not act) and on a refused connection", () =>
    Effect.gen(function* () {
      const account = yield* signIn.pipe(RetryPolicy.withPolicy(policy), afterAdjusting("1 minute"))
      assert.strictEqual(account.username, "tester")
      yield* expectRequests(4)
    }).pipe(
      Effect.provide(
        mockEnv(
          MockHttp.sequence(
            () => MockHttp.text(429, "", "text/plain"),
            unavailable,
            () => MockHttp.transportFailure(),
            () => success(signInOp)
          )
        )
      )
    )
  )

  for (const status of [303, 302] as const) {
    it.effect(
      `is not retried when a ${status} sent it on as a GET to a server that refused the connection (plex.tv acted)`,
      () =>
        Effect.gen(function* () {
          // The refused connection proves only that the redirect's target got nothing: the server that answered
          // the POST with a ${status} processed it. Before, the refusal marked the whole attempt as never sent.
          const error = yield* failsWith(signIn.pipe(RetryPolicy.withPolicy(policy)), "NetworkError").pipe(
            afterAdjusting("1 minute")
          )
          assert.strictEqual(error.reason, "Transport")
          const requests = yield* MockHttp.requests
          assert.deepStrictEqual(
            requests.map((r) => r.method),
            ["POST", "GET"]
          )
        }).pipe(
          Effect.provide(
            mockEnv(
              MockHttp.sequence(
                () => MockHttp.redirect(status, "https://elsewhere.example/users/account"),
                () => MockHttp.transportFailure(),
                () => success(signInOp)
              )
            )
          )
        )
    )
  }

  for (const [label, answer, tag] of [
    ["a 503", () => MockHttp.text(503, "", "text/plain"), "Unexpected"],
    ["a 429", () => MockHttp.text(429, "", "text/plain"), "RateLimited"]
  ] as const) {
    it.effect(`is not retried when the page a 303 sent it to answers ${label} (plex.tv acted)`, () =>
      Effect.gen(function* () {
        // A 503 or 429 proves that the server answering it did not act, not the one that redirected the POST.
        const error = yield* failsWith(signIn.pipe(RetryPolicy.withPolicy(policy)), tag).pipe(
          afterAdjusting("1 minute")
        )
        assert.strictEqual(error._tag, tag)
        const requests = yield* MockHttp.requests
        assert.deepStrictEqual(
          requests.map((r) => r.method),
          ["POST", "GET"]
        )
      }).pipe(
        Effect.provide(
          mockEnv(
            MockHttp.sequence(
              () => MockHttp.redirect(303, "https://plex.tv/users/account"),
              answer,
              () => success(signInOp)
            )
          )
        )
      )
    )
  }

  it.effect("is retried when a 307 passed it on to a server that refused the connection (no one acted)", () =>
    Effect.gen(function* () {
      const account = yield* signIn.pipe(RetryPolicy.withPolicy(policy), afterAdjusting("1 minute"))
      assert.strictEqual(account.username, "tester")
      const requests = yield* MockHttp.requests
      assert.deepStrictEqual(
        requests.map((r) => r.method),
        ["POST", "POST", "POST"]
      )
    }).pipe(
      Effect.provide(
        mockEnv(
          MockHttp.sequence(
            () => MockHttp.redirect(307, "https://plex.tv/users/signin.json"),
            () => MockHttp.transportFailure(),
            () => success(signInOp)
          )
        )
      )
    )
  )

  it.effect("a retried sign-in resends the same form", () =>
    Effect.gen(function* () {
      yield* signIn.pipe(RetryPolicy.withPolicy(policy), afterAdjusting("1 minute"))
      const [first, second] = yield* expectRequests(2)
      assert.strictEqual(first!.body, second!.body)
      assert.isTrue(new URLSearchParams(second!.body).has("password"))
    }).pipe(Effect.provide(mockEnv(MockHttp.sequence(unavailable, () => success(signInOp)))))
  )
})

describe("observability of retries", () => {
  it.effect(
    "a retry writes no log line, at any level: the operation's span records it (observability.test.ts)",
    () =>
      Effect.gen(function* () {
        const { exit, lines } = yield* withCapturedLogs(
          details.pipe(RetryPolicy.withPolicy(RetryPolicy.make(Schedule.recurs(2))))
        )
        assert.isTrue(Exit.isSuccess(exit))
        assert.deepStrictEqual(lines, [])
      }).pipe(Effect.provide(mockEnv(MockHttp.sequence(unavailable, unavailable, ok))))
  )
})

describe("RetryPolicy helpers", () => {
  const ctx = { operation: "op", method: "GET", url: "https://plex.tv/x", errors: [] }
  const unexpected = (status: number, retryAfterMillis?: number) =>
    new PlexError.Unexpected({
      ...ctx,
      reason: "Status",
      status,
      detail: "d",
      ...(retryAfterMillis === undefined ? {} : { retryAfterMillis })
    })

  it("matches: 5xx but 501, a listed status, rate limits; never a 401 or a Decode failure", () => {
    assert.isTrue(RetryPolicy.matches(unexpected(503)))
    assert.isFalse(RetryPolicy.matches(unexpected(501)))
    assert.isTrue(RetryPolicy.matches(unexpected(501), { statusCodes: [501] }))
    assert.isTrue(RetryPolicy.matches(new PlexError.RateLimited({ ...ctx, status: 429 })))
    assert.isFalse(RetryPolicy.matches(new PlexError.Unauthorized({ ...ctx, status: 401 })))
    assert.isFalse(
      RetryPolicy.matches(new PlexError.Unexpected({ ...ctx, reason: "Decode", status: 500, detail: "d" }))
    )
  })

  it("retryAfter reads retryAfterMillis of an Unexpected too", () => {
    assert.strictEqual(Duration.toMillis(RetryPolicy.retryAfter(unexpected(503, 1500))!), 1500)
    assert.isUndefined(RetryPolicy.retryAfter(unexpected(503)))
  })
})

describe("Retry-After is capped", () => {
  const policy = RetryPolicy.make(Schedule.recurs(1))
  const parked = () => MockHttp.text(503, "busy", "text/plain", { "retry-after": "999999" })

  // A wait past 2^31 - 1 ms is more than one timer holds: Effect 3's live clock never ends such a sleep, Effect 4's
  // chains timers and wakes. A policy asking for 30 days between attempts would hang for good in one edition only;
  // every policy the library makes (honourRetryAfter) waits at most that long, in both.
  it.effect(
    "no wait between attempts is longer than 2^31 - 1 ms (about 24.8 days, the longest a timer holds): a policy asking for 30 days retries then, both editions alike",
    () =>
      Effect.gen(function* () {
        const policies = [
          RetryPolicy.make(Schedule.spaced("30 days")),
          RetryPolicy.backoff({
            initialInterval: "30 days",
            maxInterval: Duration.infinity,
            maxElapsedTime: Duration.infinity
          })
        ]
        let sent = 0
        for (const policy of policies) {
          const fiber = yield* Effect.forkChild(details.pipe(RetryPolicy.withPolicy(policy)))
          yield* mockReceived((sent += 1))
          yield* TestClock.adjust(Duration.millis(2 ** 31 - 2))
          assert.isTrue(fiber.pollUnsafe() === undefined, "retried before 2^31 - 1 ms")
          yield* TestClock.adjust("1 millis")
          for (let turn = 0; fiber.pollUnsafe() === undefined; turn++) {
            assert.isBelow(turn, 1_000, "not retried at 2^31 - 1 ms")
            yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
          }
          const account = yield* Fiber.join(fiber)
          assert.strictEqual(account.username, "tester")
          yield* expectRequests((sent += 1))
        }
      }).pipe(
        Effect.provide(
          mockEnv(
            MockHttp.sequence(
              ...Array.from({ length: 2 }, () => [
                () => MockHttp.text(503, "busy", "text/plain"),
                () => MockHttp.json(200, { id: 1, uuid: "u", username: "tester", title: "T" })
              ]).flat()
            )
          )
        )
      )
  )

  // Effect 3's live clock never ends a sleep past 2^31 - 1 ms (its timer is never set), Effect 4's chains timers: a
  // policy that waited out a multi-day Retry-After would behave apart in the two editions. None does: past
  // maxRetryAfter (1 minute) every policy gives up at once, the error naming the wait (core policy mayWaitOut).
  it.effect(
    "a multi-day Retry-After (3 days, or the 2^31 s cap) is never slept on, whatever the policy (backoff with no time limit, transient, make): RateLimited at once, naming the wait",
    () =>
      Effect.gen(function* () {
        const policies = [
          RetryPolicy.backoff({ maxElapsedTime: Duration.infinity, maxInterval: Duration.infinity }),
          RetryPolicy.transient,
          RetryPolicy.make(Schedule.forever)
        ]
        let sent = 0
        for (const policy of policies) {
          for (const asked of [3 * 24 * 3600 * 1000, 2 ** 31 * 1000]) {
            const fiber = yield* Effect.forkChild(
              failsWith(details.pipe(RetryPolicy.withPolicy(policy)), "RateLimited")
            )
            // No time passes: a policy that slept (for days) would not have ended.
            for (let turn = 0; fiber.pollUnsafe() === undefined; turn++) {
              assert.isBelow(turn, 1_000, `still waiting (Retry-After ${asked} ms)`)
              yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
            }
            const error = yield* Fiber.join(fiber)
            assert.strictEqual(error.retryAfterMillis, asked)
            assert.deepStrictEqual(RetryPolicy.retryAfter(error), Duration.millis(asked))
            yield* expectRequests((sent += 1))
          }
        }
      }).pipe(
        Effect.provide(
          mockEnv(
            MockHttp.sequence(
              ...Array.from({ length: 3 }, () => [
                () => MockHttp.text(429, "slow down", "text/plain", { "retry-after": "259200" }),
                () => MockHttp.text(429, "slow down", "text/plain", { "retry-after": `1${"0".repeat(400)}` })
              ]).flat()
            )
          )
        )
      )
  )

  it.effect("a wait longer than MaxRetryAfter is not waited out: the error goes to the caller", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(
        PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(policy)),
        "Unexpected"
      )
      assert.strictEqual(error.retryAfterMillis, 999_999_000)
      yield* expectRequests(1)
    }).pipe(Effect.provide(mockEnv(MockHttp.always(parked))))
  )

  // 401 digits are more than a number holds: read as Infinity, a caller waiting what `retryAfter` says would wait
  // for ever (Duration.millis(Infinity)). "1e400" is no delta-seconds at all (digits alone), so it asks for nothing.
  it.effect("an absurd Retry-After is 2^31 s, not Infinity: a caller who waits it out asks again", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(
        PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(policy)),
        "Unexpected"
      )
      assert.strictEqual(error.retryAfterMillis, 2 ** 31 * 1000)
      yield* expectRequests(1)
      const wait = RetryPolicy.retryAfter(error)!
      assert.isTrue(Duration.isFinite(wait))
      const account = yield* Effect.andThen(Effect.sleep(wait), PlexAuth.getTokenDetails()).pipe(
        afterAdjusting(Duration.seconds(2 ** 31))
      )
      assert.strictEqual(account.username, "tester")
      const notSeconds = yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
      assert.isUndefined(notSeconds.retryAfterMillis)
      assert.isUndefined(RetryPolicy.retryAfter(notSeconds))
    }).pipe(
      Effect.provide(
        mockEnv(
          MockHttp.sequence(
            () => MockHttp.text(503, "busy", "text/plain", { "retry-after": `1${"0".repeat(400)}` }),
            () => MockHttp.json(200, { id: 1, uuid: "u", username: "tester", title: "T" }),
            () => MockHttp.text(503, "busy", "text/plain", { "retry-after": "1e400" })
          )
        )
      )
    )
  )

  it.effect("a wait within the cap is waited out in full", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.getTokenDetails().pipe(
        RetryPolicy.withPolicy(policy),
        afterAdjusting("2 minutes")
      )
      assert.strictEqual(account.username, "tester")
      const [first, second] = yield* expectRequests(2)
      assert.strictEqual(second!.at - first!.at, Duration.toMillis(RetryPolicy.maxRetryAfter))
    }).pipe(
      Effect.provide(
        mockEnv(
          MockHttp.sequence(
            () => MockHttp.text(503, "busy", "text/plain", { "retry-after": "60" }),
            () => MockHttp.json(200, { id: 1, uuid: "u", username: "tester", title: "T" })
          )
        )
      )
    )
  )
})
