/**
 * What the request engine needs of retry policies, kept apart from the
 * public `RetryPolicy` module so that a program that never builds a policy
 * does not bundle `backoff` and `transient`. `honourRetryAfter` is the one
 * place a `Retry-After` is applied: `RetryPolicy.make` and `backoff` put it on
 * every policy they make, and `PinLogin.poll` on its own slow-down.
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
export class CurrentRetryPolicy
  extends /*#__PURE__*/ Context.Reference<CurrentRetryPolicy>()(
    "effect-plex-auth/RetryPolicy/CurrentRetryPolicy",
    { defaultValue: (): RetryPolicy => none }
  ) {}

/** What a `Retry-After` header is read into: the wait it asked for, in milliseconds. */
interface MayAskToWait {
  readonly _tag: string
  readonly retryAfterMillis?: number | undefined
}

/** The wait a `Retry-After` header asked for, if the error carries one. */
export const retryAfter = (error: MayAskToWait): Duration.Duration | undefined =>
  (error._tag === "RateLimited" || error._tag === "Unexpected") && error.retryAfterMillis !== undefined
    ? Duration.millis(error.retryAfterMillis)
    : undefined

/**
 * The longest `Retry-After` an operation waits out: a server asking for more
 * gets no retry, and the error (with its `retryAfterMillis`) goes to the
 * caller, who can decide to wait that long.
 */
export const maxRetryAfter: Duration.Duration = /*#__PURE__*/ Duration.minutes(1)

/**
 * `schedule`, waiting at least what a `Retry-After` asked for before the
 * next attempt (the longer of the two waits), and stopping when it asked
 * for more than {@link maxRetryAfter}. Applying it twice changes nothing.
 */
export const honourRetryAfter = <Out, E extends MayAskToWait, R>(
  schedule: Schedule.Schedule<Out, E, R>
): Schedule.Schedule<unknown, E, R> =>
  Schedule.intersect(
    schedule,
    Schedule.addDelay(
      Schedule.recurWhile((error: E) => {
        const asked = retryAfter(error)
        return asked === undefined || Duration.lessThanOrEqualTo(asked, maxRetryAfter)
      }),
      (error) => retryAfter(error) ?? Duration.zero
    )
  )
