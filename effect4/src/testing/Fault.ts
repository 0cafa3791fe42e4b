/**
 * Faults the fake Plex can be scripted to answer with, to test how a program
 * copes with rate limits, outages, slow or broken connections, odd bodies
 * and redirects. Script them with `FakePlex.fault(target, fault, { times })`.
 *
 * Over the in-memory `HttpClient` a {@link reset} or {@link refuse} is a
 * transport failure of the client (`RequestError`, reason `Transport`) and a
 * {@link truncate}d body is a body stream that fails part-way; over the Node
 * server a reset destroys the socket and a truncated body is cut short under
 * a larger `Content-Length`. Delays and hangs wait on the `Clock` of the
 * calling fiber, so the `TestClock` controls them.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type * as Effect from "effect/Effect"
import { optionsOf } from "../../../src/core/fake/errors.js"
import * as CoreFault from "../../../src/core/fake/fault.js"

/**
 * Answer with an error status and the body the host would send with it:
 * plex.tv answers JSON errors (code 1001 for 401, 1003 for 429), a Plex Media Server and
 * the gateways in front of plex.tv (502, 503, 504) answer an HTML page.
 *
 * @since 0.1.0
 * @category models
 */
export interface Status {
  readonly _tag: "Status"
  readonly status: number
  /** Sent as `Retry-After`, in whole seconds (rounded up), in place of one in `headers`. */
  readonly retryAfter: Duration.Duration | undefined
  /** The Plex error code in a JSON error body (on plex.tv, by default 1001 for 401 and 1003 for 429). */
  readonly code: number | undefined
  /** The message in the error body. */
  readonly message: string | undefined
  /** More response headers. */
  readonly headers: Readonly<Record<string, string>>
}

/**
 * Wait before answering (then answer normally, or with `then`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Delay {
  readonly _tag: "Delay"
  readonly duration: Duration.Duration
  readonly then: Fault | undefined
}

/**
 * Never answer (until the client gives up or the fake is closed).
 *
 * @since 0.1.0
 * @category models
 */
export interface Hang {
  readonly _tag: "Hang"
}

/**
 * Drop the connection without answering (`ECONNRESET`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Reset {
  readonly _tag: "Reset"
}

/**
 * Refuse the connection (`ECONNREFUSED`); over the Node server the socket is
 * closed as soon as the request arrives.
 *
 * @since 0.1.0
 * @category models
 */
export interface Refuse {
  readonly _tag: "Refuse"
}

/**
 * Send the normal answer's status and headers (with its full
 * `Content-Length`) but only the first `keepBytes` of its body, then fail.
 *
 * @since 0.1.0
 * @category models
 */
export interface Truncate {
  readonly _tag: "Truncate"
  /** How many body bytes get through; default half the body. */
  readonly keepBytes: number | undefined
}

/**
 * Answer with a JSON content type and a body that is not valid JSON.
 *
 * @since 0.1.0
 * @category models
 */
export interface MalformedJson {
  readonly _tag: "MalformedJson"
}

/**
 * Answer with an HTML page (a captive portal, a proxy's login page).
 *
 * @since 0.1.0
 * @category models
 */
export interface Html {
  readonly _tag: "Html"
  readonly status: number
}

/**
 * Redirect (`Location`) to another URL; by default to the same path on the
 * fake's unrelated host (`FakePlex.elsewhereUrl`), which records what it
 * receives.
 *
 * @since 0.1.0
 * @category models
 */
export interface Redirect {
  readonly _tag: "Redirect"
  readonly status: 301 | 302 | 303 | 307 | 308
  /** An absolute URL, or a path on the same origin; default the same path on `elsewhereUrl`. */
  readonly to: string | undefined
}

/**
 * Answer normally but with another `Content-Type`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContentType {
  readonly _tag: "ContentType"
  readonly contentType: string
}

/**
 * Answer 200 with a JSON body of `bytes` bytes, with or without declaring
 * its length.
 *
 * @since 0.1.0
 * @category models
 */
export interface Oversized {
  readonly _tag: "Oversized"
  readonly bytes: number
  readonly declareLength: boolean
}

/**
 * Answer with whatever `respond` builds from the request.
 *
 * @since 0.1.0
 * @category models
 */
export interface Respond {
  readonly _tag: "Respond"
  readonly respond: (request: Request) => Effect.Effect<Response>
}

/**
 * A scripted fault.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault =
  | Status
  | Delay
  | Hang
  | Reset
  | Refuse
  | Truncate
  | MalformedJson
  | Html
  | Redirect
  | ContentType
  | Oversized
  | Respond

/**
 * Answer with `status` (429, 500, 502, 503, 504, ...) and the body the host
 * sends with it; `retryAfter` adds a `Retry-After` header.
 *
 * @example
 * ```ts
 * import { Fault } from "effect4-plex-auth/testing"
 *
 * const slowDown = Fault.status(429, { retryAfter: "2 seconds" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const status = (
  status: number,
  options: {
    readonly retryAfter?: Duration.Input | undefined
    readonly code?: number | undefined
    readonly message?: string | undefined
    readonly headers?: Readonly<Record<string, string>> | undefined
  } = {}
): Status => {
  // The shared fake's rule: an error status (400-599), else a RangeError; options that are not an object
  // (null) are named in a FakePlexError, not a TypeError.
  CoreFault.status(status)
  const { code, headers, message, retryAfter } = optionsOf("Fault.status", options)
  CoreFault.checkStatusDetails({ code, headers, message })
  // As Fault.delay's duration: a FakePlexError for one that is not a duration, or negative, NaN or infinite.
  const decoded = retryAfter === undefined ? undefined : Duration.fromInput(retryAfter)
  if (decoded !== undefined) {
    const millis = Option.isSome(decoded) ? Duration.toMillis(decoded.value) : retryAfter
    CoreFault.checkDuration("Fault.status", "retryAfter", retryAfter, millis)
  }
  return {
    _tag: "Status",
    status,
    retryAfter: decoded === undefined ? undefined : Option.getOrElse(decoded, () => Duration.zero),
    code,
    message,
    headers: headers ?? {}
  }
}

/**
 * A 429 rate limit (plex.tv code 1003), with `Retry-After` when given.
 * The header counts whole seconds, rounded up, and a bare number is
 * milliseconds, as everywhere in Effect: `rateLimited(5)` is 5 ms, sent as
 * `Retry-After: 1` (the client waits 1 second); write `"5 seconds"`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const rateLimited = (retryAfter?: Duration.Input): Status => status(429, { retryAfter })

/**
 * Wait `duration` before answering normally, or with `then`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const delay = (duration: Duration.Input, then?: Fault): Delay => {
  // A duration that is not one (null, "soon"), or written negative or NaN (-1, "-1 second"): a FakePlexError
  // naming Fault.delay, as the shared fake's rule, whatever this edition's Duration reads it as.
  const decoded = Duration.fromInput(duration)
  const millis = Option.isSome(decoded) ? Duration.toMillis(decoded.value) : duration
  CoreFault.checkDelay(millis, then, duration)
  return {
    _tag: "Delay",
    duration: Option.isSome(decoded) ? decoded.value : Duration.zero,
    // oxlint-disable-next-line unicorn/no-thenable -- the Fault after the wait: an object, never callable
    then
  }
}

/**
 * Never answer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const hang: Hang = CoreFault.hang

/**
 * Drop the connection without answering.
 *
 * @since 0.1.0
 * @category constructors
 */
export const reset: Reset = CoreFault.reset

/**
 * Refuse the connection.
 *
 * @since 0.1.0
 * @category constructors
 */
export const refuse: Refuse = CoreFault.refuse

/**
 * Cut the normal body short after `keepBytes` (default half of it). An answer
 * with no body (a 204) has none to cut: its connection drops, as with {@link reset}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const truncate = (options: { readonly keepBytes?: number | undefined } = {}): Truncate => {
  const fault = CoreFault.truncate(options)
  return { _tag: "Truncate", keepBytes: fault.keepBytes }
}

/**
 * A JSON content type with a body that does not parse.
 *
 * @since 0.1.0
 * @category constructors
 */
export const malformedJson: MalformedJson = CoreFault.malformedJson

/**
 * An HTML page (default status 200).
 *
 * @since 0.1.0
 * @category constructors
 */
export const html: (options?: { readonly status?: number | undefined }) => Html = CoreFault.html

/**
 * A redirect (default 302) to `to`, by default the same path on the fake's
 * unrelated host.
 *
 * @example
 * ```ts
 * import { Fault } from "effect4-plex-auth/testing"
 *
 * const moved = Fault.redirect({ status: 307 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const redirect = (
  options: { readonly to?: string | undefined; readonly status?: Redirect["status"] | undefined } = {}
): Redirect => {
  const fault = CoreFault.redirect(options)
  return { _tag: "Redirect", status: fault.status, to: fault.to }
}

/**
 * The normal answer with another content type (default `text/plain`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const contentType: (contentType?: string) => ContentType = CoreFault.contentType

/**
 * A 200 JSON body of `bytes` bytes (default 9 MiB, above the client's 8 MiB
 * limit), its `Content-Length` declared unless `declareLength` is false.
 *
 * @since 0.1.0
 * @category constructors
 */
export const oversized: (options?: {
  readonly bytes?: number | undefined
  readonly declareLength?: boolean | undefined
}) => Oversized = CoreFault.oversized

/**
 * Answer with a response of your own. The Effect runs with the services of
 * the `FakePlex.fault` call that scripted it, and is interrupted with the
 * request; a defect or interruption of it is the request's. The request it
 * is given, handed to the fake (`fake.handle(request)`), skips this fault
 * (and the faults that handed it on): it gets the answer beneath them, to
 * wrap or change. Only that very `Request` does: a new one (`request.clone()`,
 * `new Request(request)`) meets the fault again, and without `times` again.
 *
 * @since 0.1.0
 * @category constructors
 */
export const respond = (respond: (request: Request) => Effect.Effect<Response>): Respond => {
  // A function, else a FakePlexError now, not a request that fails when the fault fires.
  CoreFault.checkRespond(respond)
  return { _tag: "Respond", respond }
}
