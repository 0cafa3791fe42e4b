/**
 * `honourRetryAfter`, the one place a `Retry-After` is applied: `RetryPolicy`
 * puts it on every policy it makes, `PinLogin.poll` on its slow-down (as the
 * Effect 4 edition's `internal/retry.ts`).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Schedule from "effect/Schedule"
import { longestWaitMillis, type MayAskToWait, mayWaitOut, retryAfterMillis } from "../core/policy.js"

/**
 * `schedule`, waiting at least what a `Retry-After` asked for (the longer of
 * the two waits), stopping when it asked for more than `RetryPolicy.maxRetryAfter`
 * (`core/policy.ts`'s `mayWaitOut`), and never waiting longer than one timer
 * holds (`longestWaitMillis`: this edition's live clock would never end a
 * longer sleep). Applying it twice changes nothing.
 */
export const honourRetryAfter = <Out, E extends MayAskToWait, R>(
  schedule: Schedule.Schedule<Out, E, R>
): Schedule.Schedule<unknown, E, R> =>
  Schedule.intersect(
    schedule,
    Schedule.addDelay(
      Schedule.recurWhile((error: E) => mayWaitOut(error)),
      (error) => Duration.millis(retryAfterMillis(error) ?? 0)
    )
  ).pipe(Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.millis(longestWaitMillis))))
