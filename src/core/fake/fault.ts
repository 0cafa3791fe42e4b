/**
 * The faults the fake can be scripted to answer with, as plain data, and
 * their constructors. Durations are milliseconds. Over a real socket a
 * {@link Reset} or {@link Refuse} drops the connection; from the web handler
 * it is a rejected promise (a `ConnectionFailure`, a `TypeError` as `fetch`
 * gives).
 *
 * @internal
 */
import { isNegativeDurationInput } from "../validate.js"
import { FakePlexError, optionsOf } from "./errors.js"

/** Answer with an error status and the body the host would send with it. */
export interface Status {
  readonly _tag: "Status"
  readonly status: number
  /** Sent as `Retry-After`, in whole seconds (rounded up), in place of one in `headers`. */
  readonly retryAfterMillis?: number | undefined
  /** The Plex error code in a JSON error body (on plex.tv, by default 1001 for 401 and 1003 for 429). */
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
  const checked = optionsOf("Fault.status", options)
  if (checked.retryAfterMillis !== undefined) {
    checkDuration("Fault.status", "retryAfterMillis", checked.retryAfterMillis, checked.retryAfterMillis)
  }
  checkStatusDetails(checked)
  return { _tag: "Status", status, ...checked }
}

/** A header name (an HTTP token) and a header value (text on one line), as `Headers` takes them. */
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// Tab and visible Latin-1 only: a line break, NUL or other control character, or a character past U+00FF (which
// Headers cannot carry: not a ByteString; Node's http refuses controls on the wire) would fail the request when the
// fault fires.
const isHeaderValue = (value: unknown): value is string =>
  typeof value === "string" && /^[\t\x20-\x7e\x80-\xff]*$/.test(value)

/**
 * Checks `Fault.status`'s `code` (a whole number), `message` (text) and `headers` (an object of header names
 * to one-line text values), each kit's too; else throws a `FakePlexError` naming the field, rather than a
 * fault that answers a body Plex never sends (`"code":"abc"`), drops what it was given (`headers: 5`) or
 * fails the request when it fires (a header name with a space).
 */
export const checkStatusDetails = (options: {
  readonly code?: unknown
  readonly message?: unknown
  readonly headers?: unknown
}): void => {
  const { code, headers, message } = options
  if (code !== undefined && !Number.isSafeInteger(code)) {
    refuseArgument("Fault.status", "code", "a whole number (a Plex error code)", code)
  }
  if (message !== undefined && typeof message !== "string") {
    refuseArgument("Fault.status", "message", "text", message)
  }
  if (headers === undefined) return
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    refuseArgument("Fault.status", "headers", "an object of header names to values", headers)
  }
  for (const [name, value] of Object.entries(headers as object)) {
    if (!headerName.test(name)) refuseArgument("Fault.status", "a header's name", "an HTTP header name", name)
    if (!isHeaderValue(value)) {
      refuseArgument("Fault.status", `the header ${name}`, "a header value (text, one line)", value)
    }
  }
}

/** Checks `Fault.respond`'s argument (each kit's too): a function, else a `FakePlexError`. */
export const checkRespond = (respond: unknown): void => {
  if (typeof respond !== "function") {
    refuseArgument("Fault.respond", "respond", "a function of the request to a response", respond)
  }
}

/** A 429 rate limit (plex.tv code 1003), with `Retry-After` when given. */
export const rateLimited = (retryAfterMillis?: number): Status => status(429, { retryAfterMillis })

/**
 * A constructor's argument of the wrong value or kind (from untyped JavaScript, or a typo): a `FakePlexError`
 * naming the constructor and the field, rather than a fault scripted to do something else or nothing.
 */
const refuseArgument = (name: string, field: string, expected: string, got: unknown): never => {
  throw new FakePlexError(`${name}: ${field} must be ${expected}, got ${shown(got)}`)
}

const shown = (got: unknown): string =>
  typeof got === "string"
    ? JSON.stringify(got)
    : got === null
      ? "null"
      : Array.isArray(got)
        ? `[${got.map(shown).join(", ")}]`
        : typeof got === "object"
          ? "an object"
          : String(got)

/**
 * Checks a duration argument of a `Fault` constructor: `millis` (what the edition decoded, or the argument itself
 * when it did not decode) must be finite and zero or more, and `given` (the argument as written) neither negative
 * nor NaN (`isNegativeDurationInput`: `-1`, `NaN`, `"-1 second"`, `-1n`, `[-1, 0]`, which Effect 3 reads as zero
 * and Effect 4 keeps negative, so the argument is looked at as written before it is decoded); else throws a `FakePlexError` showing the argument as written (a `Duration` object by its
 * milliseconds), the same in both editions.
 */
export const checkDuration = (name: string, field: string, given: unknown, millis: unknown): void => {
  if (
    typeof millis !== "number" ||
    !Number.isFinite(millis) ||
    millis < 0 ||
    isNegativeDurationInput(given)
  ) {
    // A Duration by its milliseconds; a plain object of parts (Effect 4's { seconds: -1 }, which Effect 3 does not
    // decode) as an object in both editions.
    const written =
      typeof given === "object" &&
      given !== null &&
      !Array.isArray(given) &&
      Object.getPrototypeOf(given) !== Object.prototype
        ? millis
        : given
    refuseArgument(name, field, "finite, zero or more", written)
  }
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0

/** A fault, as the constructors make them: an object with a string `_tag`. */
const isFault = (value: unknown): value is Fault =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { readonly _tag?: unknown })._tag === "string"

/**
 * Checks `Fault.delay`'s arguments (each kit's too): a wait of `millis`, finite and zero or more (a wait
 * that never ends is `hang`), written as `given` (see {@link checkDuration}; by default `millis` itself), and a
 * `then` that is a fault or undefined; else throws a `FakePlexError`.
 */
export const checkDelay = (millis: unknown, then: unknown, given: unknown = millis): void => {
  checkDuration("Fault.delay", "the duration", given, millis)
  if (then !== undefined && !isFault(then)) refuseArgument("Fault.delay", "then", "a fault", then)
}

/** Wait `millis` (finite, zero or more) before answering normally, or with `then` (a fault). */
export const delay = (millis: number, then?: Fault): Delay => {
  checkDelay(millis, then)
  // oxlint-disable-next-line unicorn/no-thenable -- the Fault after the wait: an object, never callable
  return { _tag: "Delay", millis, then }
}

/** Never answer. */
export const hang: Hang = { _tag: "Hang" }

/** Drop the connection without answering. */
export const reset: Reset = { _tag: "Reset" }

/** Refuse the connection. */
export const refuse: Refuse = { _tag: "Refuse" }

/** Cut the normal body short after `keepBytes` (default half of it). */
export const truncate = (options: { readonly keepBytes?: number | undefined } = {}): Truncate => {
  const { keepBytes } = optionsOf("Fault.truncate", options)
  if (keepBytes !== undefined && !isCount(keepBytes)) {
    refuseArgument("Fault.truncate", "keepBytes", "a whole number of bytes, zero or more", keepBytes)
  }
  return { _tag: "Truncate", keepBytes }
}

/** A JSON content type with a body that does not parse. */
export const malformedJson: MalformedJson = { _tag: "MalformedJson" }

/** An HTML page (default status 200). */
export const html = (options: { readonly status?: number | undefined } = {}): Html => {
  const { status } = optionsOf("Fault.html", options)
  if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
    refuseArgument("Fault.html", "status", "an HTTP status (200-599)", status)
  }
  return { _tag: "Html", status: status ?? 200 }
}

const redirectStatuses: ReadonlyArray<unknown> = [301, 302, 303, 307, 308]

/** A base of each scheme a request to the fake can have: a seeded origin is http or https. */
const requestBases = ["http://127.0.0.1/", "https://127.0.0.1/"]

/**
 * Whether `to` reads as a URL or a path against a request's URL of either scheme (the fault resolves it against
 * the request's, http or https): one that resolves against neither (`http://[oops`, `https://`) would fail every
 * request it fires on. `"https:"` (the request's URL itself) resolves against an https request only, `"http:"`
 * against an http one: both are taken, each for the requests of its own scheme.
 */
const isUrlReference = (to: string): boolean =>
  requestBases.some((base) => {
    try {
      new URL(to, base)
      return true
    } catch {
      return false
    }
  })

/** A redirect (default 302) to `to`, by default the same path on the fake's unrelated host. */
export const redirect = (
  options: { readonly to?: string | undefined; readonly status?: Redirect["status"] | undefined } = {}
): Redirect => {
  const { status, to } = optionsOf("Fault.redirect", options)
  if (status !== undefined && !redirectStatuses.includes(status)) {
    refuseArgument("Fault.redirect", "status", "301, 302, 303, 307 or 308", status)
  }
  if (to !== undefined && (typeof to !== "string" || to === "" || /[\r\n]/.test(to) || !isUrlReference(to))) {
    refuseArgument("Fault.redirect", "to", "a URL or path", to)
  }
  return { _tag: "Redirect", status: status ?? 302, to }
}

/** The normal answer with another content type (default `text/plain`). */
export const contentType = (contentType = "text/plain; charset=utf-8"): ContentType => {
  if (!isHeaderValue(contentType) || contentType.trim() === "") {
    refuseArgument("Fault.contentType", "the content type", "a header value (text, one line)", contentType)
  }
  return { _tag: "ContentType", contentType }
}

/** A 200 JSON body of `bytes` bytes (default 9 MiB), its length declared unless `declareLength` is false. */
export const oversized = (
  options: { readonly bytes?: number | undefined; readonly declareLength?: boolean | undefined } = {}
): Oversized => {
  const { bytes, declareLength } = optionsOf("Fault.oversized", options)
  if (bytes !== undefined && !isCount(bytes)) {
    refuseArgument("Fault.oversized", "bytes", "a whole number of bytes, zero or more", bytes)
  }
  if (declareLength !== undefined && typeof declareLength !== "boolean") {
    refuseArgument("Fault.oversized", "declareLength", "a boolean", declareLength)
  }
  return { _tag: "Oversized", bytes: bytes ?? 9 * 1024 * 1024, declareLength: declareLength ?? true }
}

/**
 * Answer with a response of your own. The request it is given, handed back to the fake, skips this fault (and those
 * that handed it on): see fake.ts `handle`.
 */
export const respond = (respond: Respond["respond"]): Respond => {
  checkRespond(respond)
  return { _tag: "Respond", respond }
}
