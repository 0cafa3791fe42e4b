/**
 * The request settings the engine reads: per-attempt timeout, body cap and
 * trace propagation (the retry policy is `retry.ts`'s `CurrentRetryPolicy`).
 * Public through `PlexAuth` and `RequestSettings`.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"

/** The longest a single attempt (send and read the body) may take. */
export class RequestTimeout extends Context.Reference<RequestTimeout>()("effect-plex-auth/RequestTimeout", {
  defaultValue: (): Duration.Duration => Duration.seconds(30)
}) {}

/** The largest body an operation reads before failing with `Unexpected`. */
export class MaxBodyBytes extends Context.Reference<MaxBodyBytes>()("effect-plex-auth/MaxBodyBytes", {
  defaultValue: (): number => 8 * 1024 * 1024
}) {}

/**
 * Whether requests carry the caller's trace context (`traceparent`, `b3`).
 * Off by default: Plex does not take part in the caller's traces, so the
 * headers would only tell a third party the caller's trace ids.
 */
export class TracePropagation extends Context.Reference<TracePropagation>()(
  "effect-plex-auth/TracePropagation",
  { defaultValue: (): boolean => false }
) {}
