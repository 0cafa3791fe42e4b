/**
 * What the request engine needs of retry policies, kept apart from the
 * public `RetryPolicy` module so that a program that never builds a policy
 * does not bundle `backoff` and `transient`.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Schedule from "effect/Schedule"
import type { PlexError } from "../PlexError.js"

/** A `Schedule` whose input is the error of the failed attempt. */
export type RetryPolicy = Schedule.Schedule<unknown, PlexError>

/** Never retry. */
export const none: RetryPolicy = Schedule.stop

/** The policy in force; `none` unless a layer or `withPolicy` says otherwise. */
export class CurrentRetryPolicy extends Context.Reference<CurrentRetryPolicy>()(
  "effect-plex-auth/RetryPolicy/CurrentRetryPolicy",
  { defaultValue: (): RetryPolicy => none }
) {}

/** The wait a `Retry-After` header asked for, if the error carries one. */
export const retryAfter = (error: PlexError): Duration.Duration | undefined =>
  (error._tag === "RateLimited" || error._tag === "Unexpected") && error.retryAfterMillis !== undefined
    ? Duration.millis(error.retryAfterMillis)
    : undefined

/**
 * The longest `Retry-After` an operation waits out: a server asking for more
 * gets no retry, and the error (with its `retryAfterMillis`) goes to the
 * caller, who can decide to wait that long.
 */
export const maxRetryAfter: Duration.Duration = Duration.minutes(1)
