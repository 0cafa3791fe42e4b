/**
 * The faults the fake can be scripted to answer with, as plain data, and
 * their constructors. Durations are milliseconds. Over a real socket a
 * {@link Reset} or {@link Refuse} drops the connection; from the web handler
 * it is a rejected promise (a `ConnectionFailure`, a `TypeError` as `fetch`
 * gives).
 *
 * @internal
 */
import { optionsOf } from "./errors.js"

/** Answer with an error status and the body the host would send with it. */
export interface Status {
  readonly _tag: "Status"
  readonly status: number
  /** Sent as `Retry-After`, in whole seconds (rounded up). */
  readonly retryAfterMillis?: number | undefined
  /** The Plex error code in a JSON error body (default 1003 for 429 on plex.tv). */
  readonly code?: number | undefined
  readonly message?: string | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** Wait before answering (then answer normally, or with `then`). */
export interface Delay {
  readonly _tag: "Delay"
  readonly millis: number
  readonly then?: Fault | undefined
}

/** Never answer (until the request is aborted). */
export interface Hang {
  readonly _tag: "Hang"
}

/** Drop the connection without answering (`ECONNRESET`). */
export interface Reset {
  readonly _tag: "Reset"
}

/** Refuse the connection (`ECONNREFUSED`). */
export interface Refuse {
  readonly _tag: "Refuse"
}

/** The normal status and headers (full `Content-Length`), but only the first `keepBytes` of the body. */
export interface Truncate {
  readonly _tag: "Truncate"
  /** Default half the body. */
  readonly keepBytes?: number | undefined
}

/** A JSON content type with a body that is not valid JSON. */
export interface MalformedJson {
  readonly _tag: "MalformedJson"
}

/** An HTML page (a captive portal). */
export interface Html {
  readonly _tag: "Html"
  readonly status: number
}

/** A redirect; by default to the same path on the fake's unrelated host. */
export interface Redirect {
  readonly _tag: "Redirect"
  readonly status: 301 | 302 | 303 | 307 | 308
  readonly to?: string | undefined
}

/** The normal answer with another `Content-Type`. */
export interface ContentType {
  readonly _tag: "ContentType"
  readonly contentType: string
}

/** A 200 JSON body of `bytes` bytes, with or without its length declared. */
export interface Oversized {
  readonly _tag: "Oversized"
  readonly bytes: number
  readonly declareLength: boolean
}

/** Answer with whatever `respond` builds; a rejection is the handler's rejection. */
export interface Respond {
  readonly _tag: "Respond"
  readonly respond: (
    request: Request,
    context: { readonly signal: AbortSignal }
  ) => Response | Promise<Response>
}

/** A scripted fault. */
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

/** An error status (400-599) and the host's body for it; throws a `RangeError` for another status. */
export const status = (status: number, options: Omit<Status, "_tag" | "status"> = {}): Status => {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new RangeError(`Fault.status: expected an error status (400-599), got ${status}`)
  }
  return { _tag: "Status", status, ...optionsOf("Fault.status", options) }
}

/** A 429 rate limit (plex.tv code 1003), with `Retry-After` when given. */
export const rateLimited = (retryAfterMillis?: number): Status => status(429, { retryAfterMillis })

/** Wait `millis` before answering normally, or with `then`. */
export const delay = (millis: number, then?: Fault): Delay => ({
  _tag: "Delay",
  millis,
  // oxlint-disable-next-line unicorn/no-thenable -- the Fault after the wait: an object, never callable
  then
})

/** Never answer. */
export const hang: Hang = { _tag: "Hang" }

/** Drop the connection without answering. */
export const reset: Reset = { _tag: "Reset" }

/** Refuse the connection. */
export const refuse: Refuse = { _tag: "Refuse" }

/** Cut the normal body short after `keepBytes` (default half of it). */
export const truncate = (options: { readonly keepBytes?: number | undefined } = {}): Truncate => ({
  _tag: "Truncate",
  keepBytes: optionsOf("Fault.truncate", options).keepBytes
})

/** A JSON content type with a body that does not parse. */
export const malformedJson: MalformedJson = { _tag: "MalformedJson" }

/** An HTML page (default status 200). */
export const html = (options: { readonly status?: number | undefined } = {}): Html => ({
  _tag: "Html",
  status: optionsOf("Fault.html", options).status ?? 200
})

/** A redirect (default 302) to `to`, by default the same path on the fake's unrelated host. */
export const redirect = (
  options: { readonly to?: string | undefined; readonly status?: Redirect["status"] | undefined } = {}
): Redirect => {
  const { status, to } = optionsOf("Fault.redirect", options)
  return { _tag: "Redirect", status: status ?? 302, to }
}

/** The normal answer with another content type (default `text/plain`). */
export const contentType = (contentType = "text/plain; charset=utf-8"): ContentType => ({
  _tag: "ContentType",
  contentType
})

/** A 200 JSON body of `bytes` bytes (default 9 MiB), its length declared unless `declareLength` is false. */
export const oversized = (
  options: { readonly bytes?: number | undefined; readonly declareLength?: boolean | undefined } = {}
): Oversized => {
  const { bytes, declareLength } = optionsOf("Fault.oversized", options)
  return { _tag: "Oversized", bytes: bytes ?? 9 * 1024 * 1024, declareLength: declareLength ?? true }
}

/** Answer with a response of your own. */
export const respond = (respond: Respond["respond"]): Respond => ({ _tag: "Respond", respond })
