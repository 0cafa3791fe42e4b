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
import { CurrentRetryPolicy, type RetryPolicy } from "./retry.js"

/** The longest a single attempt (send and read the body) may take. */
export class RequestTimeout
  extends /*#__PURE__*/ Context.Reference<RequestTimeout>()("effect-plex-auth/RequestTimeout", {
    defaultValue: (): Duration.Duration => Duration.seconds(30)
  }) {}

/** The largest body an operation reads before failing with `Unexpected`. */
export class MaxBodyBytes
  extends /*#__PURE__*/ Context.Reference<MaxBodyBytes>()("effect-plex-auth/MaxBodyBytes", {
    defaultValue: (): number => 8 * 1024 * 1024
  }) {}

/**
 * Whether requests carry the caller's trace context (`traceparent`, `b3`).
 * Off by default: Plex does not take part in the caller's traces, so the
 * headers would only tell a third party the caller's trace ids.
 */
export class TracePropagation
  extends /*#__PURE__*/ Context.Reference<TracePropagation>()("effect-plex-auth/TracePropagation", {
    defaultValue: (): boolean => false
  }) {}

/** A dual `with...` combinator running an effect with `tag` set to `from(value)`. */
const setting = <I, S, In>(tag: Context.Tag<I, S>, from: (value: In) => S): With<In> =>
  dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, value: In) => Effect.provideService(self, tag, from(value)))

/** The signature of each dual `with...` combinator. */
export interface With<In> {
  (value: In): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, value: In): Effect.Effect<A, E, R>
}

/** Runs an effect with another per-attempt timeout. */
export const withRequestTimeout: With<Duration.DurationInput> = /*#__PURE__*/ setting(
  RequestTimeout,
  Duration.decode
)

/** Runs an effect with another body cap, in bytes. */
export const withMaxBodyBytes: With<number> = /*#__PURE__*/ setting(MaxBodyBytes, (bytes: number) => bytes)

/** Runs an effect with trace propagation on or off. */
export const withTracePropagation: With<boolean> = /*#__PURE__*/ setting(
  TracePropagation,
  (on: boolean) => on
)

/** Runs an effect with another retry policy. */
export const withRetryPolicy: With<RetryPolicy> = /*#__PURE__*/ setting(
  CurrentRetryPolicy,
  (policy: RetryPolicy) => policy
)
