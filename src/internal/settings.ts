/**
 * The request settings the engine reads, each a `Context.Reference` with a
 * dual `with...` combinator (public through `PlexAuth` and `RetryPolicy`):
 * per-attempt timeout, body cap, trace propagation and retry policy.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual, identity } from "effect/Function"
import * as Schedule from "effect/Schedule"
import { refusal } from "./validate.js"
import type { InvalidInput, PlexError } from "../PlexError.js"

/** The longest a single attempt (send and read the body) may take. */
export class RequestTimeout
  extends /*#__PURE__*/ Context.Reference<RequestTimeout>()("effect-plex-auth/RequestTimeout", {
    defaultValue: (): Duration.Duration => Duration.seconds(30)
  }) {}

/** The largest body an operation reads before failing with `Unexpected`. */
export class MaxBodyBytes
  extends /*#__PURE__*/ Context.Reference<MaxBodyBytes>()("effect-plex-auth/MaxBodyBytes", {
    defaultValue: (): number => 2 ** 23 /* 8 MiB */
  }) {}

/** Whether requests carry the caller's trace context; off: Plex would only learn the caller's trace ids. */
export class TracePropagation
  extends /*#__PURE__*/ Context.Reference<TracePropagation>()("effect-plex-auth/TracePropagation", {
    defaultValue: (): boolean => false
  }) {}

/** A `Schedule` whose input is the error of the failed attempt. */
export type RetryPolicy = Schedule.Schedule<unknown, PlexError>

/**
 * Never retry: a schedule that ends at its first step with output 0, as the Effect 4 edition's. `recurs` is
 * already in the Effect floor of the bundle budget; `Schedule.stop` (the same with no output) adds its `asVoid`.
 */
export const none: RetryPolicy = /*#__PURE__*/ Schedule.recurs(0)

/** The policy in force; `none` unless a layer or `withPolicy` says otherwise. */
export class CurrentRetryPolicy
  extends /*#__PURE__*/ Context.Reference<CurrentRetryPolicy>()(
    "effect-plex-auth/RetryPolicy/CurrentRetryPolicy",
    { defaultValue: (): RetryPolicy => none }
  ) {}

/** The signature of each dual `with...` combinator. */
export interface With<In> {
  (value: In): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, value: In): Effect.Effect<A, E, R>
}

const setting = <I, S, In>(tag: Context.Tag<I, S>, from: (value: In) => S): With<In> =>
  dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, value: In) => Effect.provideService(self, tag, from(value)))

export const withRequestTimeout: With<Duration.DurationInput> = /*#__PURE__*/ setting(
  RequestTimeout,
  Duration.decode
)
export const withMaxBodyBytes: With<number> = /*#__PURE__*/ setting(MaxBodyBytes, identity<number>)
export const withTracePropagation: With<boolean> = /*#__PURE__*/ setting(TracePropagation, identity<boolean>)

/** The signature of `withRetryPolicy`: a policy made of refused options fails with `InvalidInput`. */
export interface WithPolicy {
  (policy: RetryPolicy): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInput, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: RetryPolicy): Effect.Effect<A, E | InvalidInput, R>
}

export const withRetryPolicy: WithPolicy = /*#__PURE__*/ dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: RetryPolicy): Effect.Effect<A, E | InvalidInput, R> => {
    const error = refusal(policy)
    return error === undefined ? Effect.provideService(self, CurrentRetryPolicy, policy) : Effect.fail(error)
  }
)
