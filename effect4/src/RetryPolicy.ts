/**
 * Retry policies as values.
 *
 * A `RetryPolicy` is an effect `Schedule` fed with the error of each failed
 * attempt, so policies compose with the usual `Schedule` combinators. Whatever
 * the policy says, an operation only ever retries errors that may be retried:
 * rate limits, 5xx answers and connection failures. A 400, 401, 404, a decode
 * failure or invalid input is never repeated, and a request that may already
 * have been processed (a sign-in that timed out) is not sent again. A
 * `Retry-After` header (seconds or an HTTP date) is honoured by every policy
 * this module makes ({@link backoff}, {@link transient}, {@link make}): the
 * next attempt waits at least that long (up to {@link maxRetryAfter}; a
 * longer wait ends the retries). A bare `Schedule` used as a policy does not
 * read it: wrap it in {@link make}.
 *
 * The default policy is {@link none}, as in the seed SDKs. Set another one for
 * a whole program with {@link layer}, or for one call with {@link withPolicy}.
 * Both fail with `InvalidInput`, before any request, when given a
 * {@link backoff} whose options were refused.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type { InvalidInput, PlexError } from "./PlexError.js"
import * as Backoff from "../../src/core/backoff.js"
import { maxRetryAfterMillis, retryAfterMillis } from "../../src/core/policy.js"
import * as Internal from "./internal/retry.js"
import * as Settings from "./internal/settings.js"
import * as V from "./internal/validate.js"

/**
 * A retry policy: a `Schedule` whose input is the error of the failed attempt.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryPolicy = Internal.RetryPolicy

/**
 * Never retry. The default.
 *
 * @since 0.1.0
 * @category constructors
 */
export const none: RetryPolicy = Internal.none

/**
 * The knobs of {@link backoff}, with the seed SDKs' names and defaults.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackoffOptions {
  /** The wait before the first retry. Default 500 ms. */
  readonly initialInterval?: Duration.Input | undefined
  /** The longest wait between two attempts. Default 60 s. */
  readonly maxInterval?: Duration.Input | undefined
  /** The factor the wait grows by after each retry. Default 1.5. */
  readonly exponent?: number | undefined
  /**
   * At most this many retries (after the first attempt), as `Effect.retry`'s
   * `times`: `0` never retries. Default: no limit but `maxElapsedTime`.
   */
  readonly times?: number | undefined
  /** No retry starts once this much time has passed since the first failure. Default 1 hour. */
  readonly maxElapsedTime?: Duration.Input | undefined
  /** Whether refused, reset or timed-out connections are retried. Default true. */
  readonly retryConnectionErrors?: boolean | undefined
  /** The statuses that are retried. Default 429, 500, 502, 503, 504. */
  readonly statusCodes?: ReadonlyArray<number> | undefined
  /**
   * Spread each wait randomly over ±20%, never past `maxInterval` (nor below a `Retry-After`). Default
   * false.
   */
  readonly jitter?: boolean | undefined
}

/**
 * The statuses {@link backoff} retries by default.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultStatusCodes: ReadonlyArray<number> = Backoff.defaultStatusCodes

/**
 * The wait a `Retry-After` header asked for, if the error carries one. It
 * reads whatever a caller caught and never throws: anything else (`null`,
 * `undefined`, a number, another error) asked for no wait (`undefined`).
 *
 * @since 0.1.0
 * @category accessors
 */
export const retryAfter = (error: PlexError): Duration.Duration | undefined => {
  const asked = retryAfterMillis(error)
  return asked === undefined ? undefined : Duration.millis(asked)
}

// The error is data (whatever a caller caught), so a predicate answers false for what is not one; the
// options are the caller's own settings, so those of the wrong kind are refused, as backoff refuses them.
/**
 * Whether `options` (the `retryConnectionErrors` and `statusCodes` knobs of
 * {@link backoff}) select this error for a retry. What is not an error
 * (`null`, `undefined`, a number) is never selected: `false`. Options that
 * cannot be used (not an object, a `retryConnectionErrors` that is not a
 * boolean, `statusCodes` that are not HTTP statuses) throw `InvalidInput`
 * (operation `RetryPolicy.matches`), never a `TypeError`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const matches = (
  error: PlexError,
  options: Pick<BackoffOptions, "retryConnectionErrors" | "statusCodes"> = {}
): boolean => {
  const problem = Backoff.selectionProblem(options)
  if (problem !== undefined) V.refuseSync("RetryPolicy.matches", problem.field, problem.reason)
  return Backoff.selects(error, options)
}

/**
 * Exponential backoff: waits `initialInterval`, then `exponent` times longer
 * after each retry up to `maxInterval`, and starts no retry once
 * `maxElapsedTime` has passed since the first failure (a `Retry-After` that
 * would start the next attempt after that ends the retries too). With
 * `times`, it also makes at most that many retries, keeping the backoff (as
 * `Effect.retry`'s `times` does; `RetryPolicy.make(Schedule.recurs(n))` would
 * retry at once, with no backoff).
 *
 * Options that cannot be used never throw: a duration that does not decode
 * (`"soon"`), is not positive (`0`, `-5`, `"-1 seconds"`) or is NaN, an
 * infinite `initialInterval`, an `exponent` that is not a finite number of at
 * least 1, a `times` that is not an integer of at least 0, or `statusCodes`
 * that are not HTTP statuses make a policy that
 * never retries and that {@link layer}, {@link withPolicy} and
 * `PlexAuth.withRetryPolicy` refuse: they fail with `InvalidInput` (operation
 * `RetryPolicy.backoff`, the option as `field`) before any request, as
 * `PlexAuth.withRequestTimeout` refuses a bad timeout. (The check happens
 * where the policy is put in place, as in the Effect 3 edition, whose
 * `Schedule` cannot fail with a typed error; a policy composed from a refused
 * one with `Schedule` combinators no longer carries the refusal, and its
 * refused part never retries.)
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "effect4-plex-auth"
 *
 * const policy = RetryPolicy.backoff({ initialInterval: "1 second", maxElapsedTime: "30 seconds" })
 *
 * // 500 ms, 750 ms, 1125 ms apart: three retries at most, then the last error.
 * const threeRetries = RetryPolicy.backoff({ times: 3 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const backoff = (options: BackoffOptions = {}): RetryPolicy => {
  const problem = Backoff.optionsProblem(options, V.durationProblem)
  if (problem !== undefined)
    return Internal.refused(V.invalid("RetryPolicy.backoff", problem.field, problem.reason))
  const max = Duration.toMillis(
    Duration.fromInputUnsafe(
      options.maxInterval ?? Duration.millis(Backoff.backoffDefaults.maxIntervalMillis)
    )
  )
  const maxElapsed = Duration.toMillis(
    options.maxElapsedTime ?? Duration.millis(Backoff.backoffDefaults.maxElapsedMillis)
  )
  const exponential = Schedule.exponential(
    options.initialInterval ?? Duration.millis(Backoff.backoffDefaults.initialIntervalMillis),
    options.exponent ?? Backoff.backoffDefaults.exponent
  )
  const capped = Schedule.modifyDelay(exponential, ({ duration }) =>
    Effect.succeed(Duration.millis(Math.min(Duration.toMillis(duration), max)))
  )
  return ((options.jitter ?? Backoff.backoffDefaults.jitter) ? Schedule.jittered(capped) : capped).pipe(
    // Capped again after the jitter, as the seed SDKs cap theirs: `maxInterval` is the longest wait between two
    // attempts (a `Retry-After`, honoured below, may still ask for longer); capped waits are spread below it.
    Schedule.modifyDelay(({ duration }) =>
      Effect.succeed(Duration.millis(Math.round(Math.min(Duration.toMillis(duration), max))))
    ),
    Schedule.setInputType<PlexError>(),
    Schedule.while(({ input }) => Backoff.selects(input, options)),
    // The wait a `Retry-After` asks for counts towards `maxElapsedTime`: honoured here first (again by the
    // engine, which changes nothing), so that a retry that would start too late is not made.
    Internal.honourRetryAfter,
    Schedule.while(({ duration, elapsed }) =>
      Backoff.startsInTime(elapsed, Duration.toMillis(duration), maxElapsed)
    ),
    // At most `times` retries, each after its backoff (no limit when it is not given).
    Schedule.upTo({ times: options.times })
  )
}

/** The core's settings (milliseconds) as {@link backoff}'s options. */
const optionsOf = (settings: Backoff.BackoffSettings): BackoffOptions => ({
  initialInterval: Duration.millis(settings.initialIntervalMillis),
  maxInterval: Duration.millis(settings.maxIntervalMillis),
  exponent: settings.exponent,
  maxElapsedTime: Duration.millis(settings.maxElapsedMillis),
  jitter: settings.jitter
})

/**
 * A ready policy for transient failures: up to 30 seconds of jittered
 * exponential backoff from 250 ms (factor 2, at most 5 s apart) on 429, 5xx
 * and connection errors.
 *
 * @since 0.1.0
 * @category constructors
 */
export const transient: RetryPolicy = /*#__PURE__*/ backoff(
  /*#__PURE__*/ optionsOf(Backoff.transientSettings)
)

/**
 * A policy from any `Schedule`, retrying only the errors `while` accepts
 * (by default: the errors {@link matches} selects). Given something that is
 * not a `Schedule`, options that are not an object or a `while` that is not
 * a function, it returns a refused policy, as {@link backoff} does: putting
 * it in place fails with `InvalidInput` before any request. No wait between
 * two attempts is longer than 2^31 - 1 ms (about 24.8 days, the longest
 * sleep Effect 3's live clock ends), in both editions and in every policy
 * this module makes: `make(Schedule.spaced("30 days"))` retries after about
 * 24.8 days.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import { RetryPolicy } from "effect4-plex-auth"
 *
 * const threeQuickTries = RetryPolicy.make(Schedule.spaced("100 millis").pipe(Schedule.upTo({ times: 3 })), {
 *   while: (error) => error._tag === "NetworkError"
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <Out>(
  schedule: Schedule.Schedule<Out, PlexError>,
  options: { readonly while?: ((error: PlexError) => boolean) | undefined } = {}
): RetryPolicy => {
  // A Schedule cannot fail with a typed error: input of the wrong kind (untyped JavaScript) gives a
  // refused policy, as {@link backoff} does, whose installation fails with InvalidInput.
  const problem = Backoff.makeProblem(Schedule.isSchedule(schedule), options)
  if (problem !== undefined)
    return Internal.refused(V.invalid("RetryPolicy.make", problem.field, problem.reason))
  const predicate = options?.while ?? ((error: PlexError) => matches(error))
  return schedule.pipe(
    Schedule.while(({ input }) => predicate(input)),
    Internal.honourRetryAfter
  )
}

/**
 * The policy in force. Defaults to {@link none}.
 *
 * @since 0.1.0
 * @category tags
 */
export const CurrentRetryPolicy = Internal.CurrentRetryPolicy

/**
 * A layer that sets the policy for every operation run with it. It fails with
 * `InvalidInput` when the policy is a {@link backoff} whose options were
 * refused.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (policy: RetryPolicy): Layer.Layer<never, InvalidInput> => {
  const error = Internal.refusal(policy)
  return error === undefined
    ? Layer.succeed(CurrentRetryPolicy, policy)
    : Layer.effectDiscard(Effect.fail(error))
}

/**
 * Runs an effect (one operation or a whole program) with another policy. It
 * fails with `InvalidInput`, running nothing, when the policy is a
 * {@link backoff} whose options were refused.
 *
 * @example
 * ```ts
 * import { PlexAuth, RetryPolicy } from "effect4-plex-auth"
 *
 * const details = PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(RetryPolicy.transient))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withPolicy: {
  (policy: RetryPolicy): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInput, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: RetryPolicy): Effect.Effect<A, E | InvalidInput, R>
} = Settings.withRetryPolicy

/**
 * The longest `Retry-After` an operation waits out: 1 minute. When a server
 * asks for a longer wait, the operation does not retry and fails with the
 * error, whose `retryAfterMillis` tells the caller how long Plex asked for.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxRetryAfter: Duration.Duration = /*#__PURE__*/ Duration.millis(maxRetryAfterMillis)
