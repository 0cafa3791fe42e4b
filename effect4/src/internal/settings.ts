/**
 * The request settings the engine reads, each with a dual `with...`
 * combinator: per-attempt timeout, body cap, trace propagation and retry
 * policy (`retry.ts`'s `CurrentRetryPolicy`). Public through `PlexAuth` (and
 * `RetryPolicy.withPolicy`).
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type { InvalidInput } from "../PlexError.js"
import { CurrentRetryPolicy, type RetryPolicy, refusal } from "./retry.js"

/** The longest a single attempt (send and read the body) may take. */
export const RequestTimeout: Context.Reference<Duration.Duration> =
  /*#__PURE__*/ Context.Reference<Duration.Duration>("effect-plex-auth/RequestTimeout", {
    defaultValue: () => Duration.seconds(30)
  })

/** The largest body an operation reads before failing with `Unexpected`. */
export const MaxBodyBytes: Context.Reference<number> = /*#__PURE__*/ Context.Reference<number>(
  "effect-plex-auth/MaxBodyBytes",
  { defaultValue: () => 2 ** 23 /* 8 MiB */ }
)

/**
 * Whether requests carry the caller's trace context (`traceparent`, `b3`).
 * Off by default: Plex does not take part in the caller's traces, so the
 * headers would only tell a third party the caller's trace ids.
 */
export const TracePropagation: Context.Reference<boolean> = /*#__PURE__*/ Context.Reference<boolean>(
  "effect-plex-auth/TracePropagation",
  { defaultValue: () => false }
)

/** A dual `with...` combinator running an effect with `reference` set to `from(value)`. */
const setting = <S, In>(reference: Context.Reference<S>, from: (value: In) => S): With<In> =>
  dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, value: In) =>
    Effect.provideService(self, reference, from(value))
  )

/** The signature of each dual `with...` combinator. */
export interface With<In> {
  (value: In): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, value: In): Effect.Effect<A, E, R>
}

/** Runs an effect with another per-attempt timeout. */
export const withRequestTimeout: With<Duration.Input> = /*#__PURE__*/ setting(
  RequestTimeout,
  (input: Duration.Input) => Duration.fromInputUnsafe(input)
)

/** Runs an effect with another body cap, in bytes. */
export const withMaxBodyBytes: With<number> = /*#__PURE__*/ setting(MaxBodyBytes, (bytes: number) => bytes)

/** Runs an effect with trace propagation on or off. */
export const withTracePropagation: With<boolean> = /*#__PURE__*/ setting(
  TracePropagation,
  (on: boolean) => on
)

/** The signature of `withRetryPolicy`: a policy made of refused options fails with `InvalidInput`. */
export interface WithPolicy {
  (policy: RetryPolicy): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInput, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: RetryPolicy): Effect.Effect<A, E | InvalidInput, R>
}

/** Runs an effect with another retry policy; one `RetryPolicy.backoff` refused to build fails with its `InvalidInput`. */
export const withRetryPolicy: WithPolicy = /*#__PURE__*/ dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: RetryPolicy): Effect.Effect<A, E | InvalidInput, R> => {
    const error = refusal(policy)
    return error === undefined ? Effect.provideService(self, CurrentRetryPolicy, policy) : Effect.fail(error)
  }
)
