/**
 * What the request engine needs of retry policies, kept apart from the
 * public `RetryPolicy` module so that a program that never builds a policy
 * does not bundle `backoff` and `transient`. `honourRetryAfter` is the one
 * place a `Retry-After` is applied: `RetryPolicy.make` and `backoff` put it on
 * every policy they make, and `PinLogin.poll` on its own slow-down.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { InvalidInput, type PlexError } from "../PlexError.js"
import {
  longestWaitMillis,
  type MayAskToWait,
  mayWaitOut,
  retryAfterMillis
} from "../../../src/core/policy.js"

/** A `Schedule` whose input is the error of the failed attempt. */
export type RetryPolicy = Schedule.Schedule<unknown, PlexError>

/**
 * A schedule done at its first step, with output 0: what `Schedule.recurs(0)` is, made with `Schedule.fromStep`
 * directly. `recurs` is `forever` (`spaced`, `fromStepWithMetadata`) under a `while`, which every operation would
 * bundle for the default policy ({@link none}): 0.05-0.08 kB gzipped.
 */
const never = (): RetryPolicy => Schedule.fromStep(Effect.succeed(() => Cause.done(0)))

/** Never retry. */
export const none: RetryPolicy = /*#__PURE__*/ never()

/** Where a policy `RetryPolicy.backoff` refused to build keeps its `InvalidInput`. */
const refusedKey = /*#__PURE__*/ Symbol.for("effect-plex-auth/RetryPolicy/refused")

/**
 * The policy `RetryPolicy.backoff` returns for options it refuses: it never
 * retries, and installing it (`RetryPolicy.layer`, `withPolicy`,
 * `PlexAuth.withRetryPolicy`) fails with `error` before any request, as
 * `withRequestTimeout` checks its duration there (the same check as in the
 * Effect 3 edition, whose `Schedule` cannot fail with a typed error).
 */
export const refused = (error: InvalidInput): RetryPolicy =>
  Object.defineProperty(never(), refusedKey, { value: error })

/**
 * The `InvalidInput` a policy made of refused options carries (see {@link refused}), if any; a
 * policy that is not a `Schedule` at all (`null`, from untyped JavaScript) is refused too.
 */
export const refusal = (policy: RetryPolicy): InvalidInput | undefined =>
  !Schedule.isSchedule(policy)
    ? new InvalidInput({
        operation: "RetryPolicy",
        field: "policy",
        reason: "must be a RetryPolicy (a Schedule)"
      })
    : refusedKey in policy
      ? (policy[refusedKey] as InvalidInput)
      : undefined

/** The policy in force; `none` unless a layer or `withPolicy` says otherwise. */
export const CurrentRetryPolicy: Context.Reference<RetryPolicy> =
  /*#__PURE__*/ Context.Reference<RetryPolicy>("effect-plex-auth/RetryPolicy/CurrentRetryPolicy", {
    defaultValue: () => none
  })

/**
 * `schedule`, waiting at least what a `Retry-After` asked for before the
 * next attempt (the longer of the two waits), and stopping when it asked
 * for more than `RetryPolicy.maxRetryAfter` (`core/policy.ts`'s `mayWaitOut`),
 * never waiting longer than one timer holds (`longestWaitMillis`, as the
 * Effect 3 edition, whose live clock would never end a longer sleep).
 * Applying it twice changes nothing.
 */
export const honourRetryAfter = <Out, E extends MayAskToWait, R>(
  schedule: Schedule.Schedule<Out, E, never, R>
): Schedule.Schedule<Out, E, never, R> =>
  schedule.pipe(
    Schedule.while(({ input }) => mayWaitOut(input)),
    Schedule.modifyDelay(({ duration, input }) =>
      Effect.succeed(
        Duration.min(
          Duration.max(duration, Duration.millis(retryAfterMillis(input) ?? 0)),
          Duration.millis(longestWaitMillis)
        )
      )
    )
  )
