/**
 * The request settings, each with a dual `with...` combinator: per-attempt
 * timeout, body cap, trace propagation and retry policy.
 */
import { assert, describe } from "@effect/vitest"
import { Duration, Effect, Schedule } from "effect"
import { PlexAuth, RetryPolicy } from "effect-plex-auth"
import { it } from "../support/it.js"
import { afterAdjusting, expectRequests, failsWith } from "../support/assertions.js"
import { env } from "../support/env.js"
import * as MockHttp from "../support/MockHttp.js"
import { accountBody } from "../support/operations.js"

const details = PlexAuth.getTokenDetails()

describe("request settings", () => {
  it.effect("withMaxBodyBytes, data-last and data-first, caps the body", () =>
    Effect.gen(function* () {
      const a = yield* failsWith(details.pipe(PlexAuth.withMaxBodyBytes(16)), "Unexpected")
      const b = yield* failsWith(PlexAuth.withMaxBodyBytes(details, 16), "Unexpected")
      assert.strictEqual(a.reason, "BodyTooLarge")
      assert.strictEqual(b.reason, "BodyTooLarge")
      assert.strictEqual((yield* details).username, "tester")
    }).pipe(Effect.provide(env(() => MockHttp.json(200, accountBody))))
  )

  it.effect(
    "withMaxBodyBytes refuses a cap that is no size (NaN, Infinity, negative, fractional, not a number) with InvalidInput, sending nothing",
    () =>
      Effect.gen(function* () {
        // NaN (`Number(process.env.X)` with the variable unset) or Infinity turned the cap off without a word; a
        // negative cap refused every body, an empty one included. The per-attempt timeout refuses the same.
        for (const bytes of [Number.NaN, Number.POSITIVE_INFINITY, -1, 1.5, "1024" as unknown as number]) {
          const error = yield* failsWith(details.pipe(PlexAuth.withMaxBodyBytes(bytes)), "InvalidInput")
          assert.strictEqual(error.operation, "PlexAuth.withMaxBodyBytes", String(bytes))
          assert.strictEqual(error.field, "bytes", String(bytes))
          const data = yield* failsWith(PlexAuth.withMaxBodyBytes(details, bytes), "InvalidInput")
          assert.strictEqual(data.field, "bytes", String(bytes))
        }
        yield* expectRequests(0)
        // Zero is a cap: only an empty body passes.
        const zero = yield* failsWith(details.pipe(PlexAuth.withMaxBodyBytes(0)), "Unexpected")
        assert.strictEqual(zero.reason, "BodyTooLarge")
      }).pipe(Effect.provide(env(() => MockHttp.json(200, accountBody))))
  )

  it.effect("withTracePropagation(true) sends trace headers; by default none are sent", () =>
    Effect.gen(function* () {
      yield* details.pipe(PlexAuth.withTracePropagation(true))
      yield* details
      const [traced, plain] = yield* expectRequests(2)
      assert.isDefined(traced!.headers["traceparent"])
      assert.isUndefined(plain!.headers["traceparent"])
    }).pipe(Effect.provide(env(() => MockHttp.json(200, accountBody))))
  )

  it.effect("withTracePropagation refuses what is not a boolean with InvalidInput, sending nothing", () =>
    Effect.gen(function* () {
      // From untyped JavaScript, "false" (an environment variable passed on) turned propagation on: the caller's
      // trace ids went to Plex.
      for (const value of ["false", "true", 0, null]) {
        const propagate = value as unknown as boolean
        const error = yield* failsWith(details.pipe(PlexAuth.withTracePropagation(propagate)), "InvalidInput")
        assert.strictEqual(error.operation, "PlexAuth.withTracePropagation", String(value))
        assert.strictEqual(error.field, "propagate", String(value))
        yield* failsWith(PlexAuth.withTracePropagation(details, propagate), "InvalidInput")
      }
      yield* expectRequests(0)
    }).pipe(Effect.provide(env(() => MockHttp.json(200, accountBody))))
  )

  it.effect("withRetryPolicy is RetryPolicy.withPolicy; withRequestTimeout is dual too", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.withRetryPolicy(details, RetryPolicy.make(Schedule.recurs(1))).pipe(
        PlexAuth.withRequestTimeout(Duration.seconds(5)),
        afterAdjusting("1 minute")
      )
      assert.strictEqual(account.username, "tester")
      yield* expectRequests(2)
    }).pipe(
      Effect.provide(
        env(
          MockHttp.sequence(
            () => MockHttp.text(503, "busy", "text/plain"),
            () => MockHttp.json(200, accountBody)
          )
        )
      )
    )
  )
})
