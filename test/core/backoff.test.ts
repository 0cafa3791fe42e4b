/**
 * The retry policies' choices (src/core/backoff.ts), shared by both editions' `RetryPolicy`: which errors a
 * backoff retries, its defaults, and when a retry may still start.
 */
import { assert, describe, it } from "vitest"
import * as Backoff from "../../src/core/backoff.js"

describe("core/backoff", () => {
  it("selects connection failures, rate limits and the default 5xx statuses, nothing else", () => {
    assert.isTrue(Backoff.selects({ _tag: "NetworkError", reason: "Timeout" }))
    assert.isFalse(Backoff.selects({ _tag: "NetworkError" }, { retryConnectionErrors: false }))
    assert.isTrue(Backoff.selects({ _tag: "RateLimited", status: 429 }))
    for (const status of [500, 502, 503, 504]) {
      assert.isTrue(Backoff.selects({ _tag: "Unexpected", reason: "Status", status }), String(status))
    }
    assert.isFalse(Backoff.selects({ _tag: "Unexpected", reason: "Status", status: 501 }))
    assert.isFalse(Backoff.selects({ _tag: "Unexpected", reason: "Decode", status: 503 }))
    assert.isFalse(Backoff.selects({ _tag: "Unauthorized", status: 401 }))
    assert.isFalse(Backoff.selects({ _tag: "InvalidInput" }))
    assert.isTrue(
      Backoff.selects({ _tag: "Unexpected", reason: "Status", status: 501 }, { statusCodes: [501] })
    )
    assert.isFalse(Backoff.selects({ _tag: "RateLimited", status: 429 }, { statusCodes: [503] }))
  })

  it("the defaults: backoff from 500 ms (x1.5, at most 60 s, for an hour); transient from 250 ms (x2, 5 s, 30 s, jittered)", () => {
    assert.deepStrictEqual(Backoff.defaultStatusCodes, [429, 500, 502, 503, 504])
    assert.deepStrictEqual(Backoff.backoffDefaults, {
      initialIntervalMillis: 500,
      maxIntervalMillis: 60_000,
      exponent: 1.5,
      maxElapsedMillis: 3_600_000,
      jitter: false
    })
    assert.deepStrictEqual(Backoff.transientSettings, {
      initialIntervalMillis: 250,
      maxIntervalMillis: 5_000,
      exponent: 2,
      maxElapsedMillis: 30_000,
      jitter: true
    })
  })

  it("a retry starts only within the elapsed-time limit, its wait included", () => {
    assert.isTrue(Backoff.startsInTime(29_000, 1_000, 30_000))
    assert.isFalse(Backoff.startsInTime(29_000, 1_001, 30_000))
  })

  it("RetryPolicy.make's arguments: a Schedule first, then options an object or undefined whose while is a function", () => {
    const noop = () => true
    assert.isUndefined(Backoff.makeProblem(true, undefined))
    assert.isUndefined(Backoff.makeProblem(true, {}))
    assert.isUndefined(Backoff.makeProblem(true, { while: noop }))
    assert.isUndefined(Backoff.makeProblem(true, { while: undefined }))
    assert.deepStrictEqual(Backoff.makeProblem(false, { while: true }), {
      field: "schedule",
      reason: "must be a Schedule"
    })
    assert.deepStrictEqual(Backoff.makeProblem(true, null), {
      field: "options",
      reason: "must be an object, not null"
    })
    assert.deepStrictEqual(Backoff.makeProblem(true, { while: true }), {
      field: "while",
      reason: "must be a function"
    })
  })
})
