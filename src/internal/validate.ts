/**
 * Input checks shared by the public constructors, failing with `InvalidInput`
 * before anything is sent.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { InvalidInput } from "../PlexError.js"

const controlChars = /[\u0000-\u001f\u007f]/

/** A string or a `Redacted` string, as accepted at the edge of the library. */
export type SecretInput = string | Redacted.Redacted<string>

/** Wraps a plain string in `Redacted` at once; a `Redacted` passes through. */
export const toRedacted = (input: SecretInput): Redacted.Redacted<string> =>
  Redacted.isRedacted(input) ? input : Redacted.make(input)

export const invalid = (operation: string, field: string, reason: string) =>
  new InvalidInput({ operation, field, reason })

/** A header-safe, non-empty string. */
export const headerValue = (
  operation: string,
  field: string,
  value: unknown
): Effect.Effect<string, InvalidInput> => {
  const problem = headerProblem(value)
  return problem === undefined
    ? Effect.succeed(value as string)
    : Effect.fail(invalid(operation, field, problem))
}

/**
 * The size limits on what the library sends to Plex, in UTF-16 code units
 * (`string.length`). Each is far above any real value and far below what
 * would make a request a burden (Plex answers oversized headers with 431 or
 * by closing the connection):
 * - `header`: an identity field sent as an `X-Plex-*` header (product,
 *   version, device name, client identifier...): 1,024.
 * - `token`: a token (a classic token is 20 characters, a Plex JWT about
 *   1,000): 8,192.
 * - `login`: a user name or e-mail address: 1,024.
 * - `password`: 1,024.
 * A longer value fails with `InvalidInput` before any request.
 */
export const limits = {
  header: 1024,
  token: 8192,
  login: 1024,
  password: 1024
} as const

/** Why a value cannot be a header value (a non-empty string without control characters, at most {@link limits}.header long), or undefined. */
export const headerProblem = (value: unknown): string | undefined =>
  typeof value !== "string"
    ? "must be a string"
    : value.trim().length === 0
      ? "must not be empty"
      : value.length > limits.header
        ? `must be at most ${limits.header} characters long`
        : controlChars.test(value)
          ? "must not contain control characters"
          : undefined

/** Why `value` cannot be an options object (`undefined` is fine where `optional`), or undefined. */
export const objectProblem = (value: unknown, optional: boolean): string | undefined =>
  value === undefined
    ? optional
      ? undefined
      : "is required (an object)"
    : typeof value !== "object" || value === null || Array.isArray(value)
      ? `must be an object, not ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`
      : undefined

/** Fails with `InvalidInput` unless `value` is an object (or `undefined`, when `optional`). */
export const object = (
  operation: string,
  field: string,
  value: unknown,
  optional = false
): Effect.Effect<void, InvalidInput> => {
  const problem = objectProblem(value, optional)
  return problem === undefined ? Effect.void : Effect.fail(invalid(operation, field, problem))
}

/**
 * Why a value cannot be a per-attempt timeout, or undefined: it must decode
 * as a `Duration` and be positive and finite (NaN, a negative number, zero
 * or an infinite duration would turn the timeout off or fire it at once).
 */
export const timeoutProblem = (value: unknown): string | undefined => {
  if (typeof value === "number" && !Number.isFinite(value)) return "must be a finite number of milliseconds"
  const decoded = Duration.decodeUnknown(value)
  if (Option.isNone(decoded))
    return 'must be a Duration, a number of milliseconds, or a text like "5 seconds"'
  if (!Duration.isFinite(decoded.value)) return "must be finite: the per-attempt timeout stays on"
  if (!Duration.greaterThan(decoded.value, Duration.zero)) return "must be positive"
  if (typeof value === "string" && /^\s*-/.test(value)) return "must be positive"
  return undefined
}

/** A per-attempt timeout: see {@link timeoutProblem}. */
export const timeout = (
  operation: string,
  field: string,
  value: unknown
): Effect.Effect<Duration.Duration, InvalidInput> => {
  const problem = timeoutProblem(value)
  return problem === undefined
    ? Effect.succeed(Duration.decode(value as Duration.DurationInput))
    : Effect.fail(invalid(operation, field, problem))
}

const label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
const hostName = /*#__PURE__*/ new RegExp(`^(?=.{1,253}\\.?$)${label}(?:\\.${label})*\\.?$`)
const ipv6 = /^[0-9A-Fa-f:.]+$/

/**
 * A server's host for a URL: a DNS name (letters, digits and hyphens in
 * dot-separated labels, as `192-168-1-10.<hash>.plex.direct`), an IPv4
 * address, or an IPv6 address (bare or in brackets), returned as the URL's
 * host part (an IPv6 address in brackets). Anything else (a backslash, a
 * slash, `@`, a port, spaces, percent signs) is refused: it would change
 * what the URL points to.
 */
export const hostProblem = (value: unknown): string | undefined => {
  if (typeof value !== "string") return "must be a string"
  if (value.length === 0) return "must not be empty"
  if (value.length > 253 + 2) return "must be at most 253 characters long"
  const bare = value.startsWith("[") && value.endsWith("]") ? value.slice(1, -1) : value
  if (bare.includes(":")) {
    if (!ipv6.test(bare) || (bare.match(/:/g) ?? []).length < 2) return "is not a valid IPv6 address"
    try {
      return new URL(`http://[${bare}]/`).hostname.length > 2 ? undefined : "is not a valid IPv6 address"
    } catch {
      return "is not a valid IPv6 address"
    }
  }
  if (bare !== value) return "must be a host name or an IP address"
  return hostName.test(value) ? undefined : "must be a host name or an IP address"
}

/** {@link hostProblem}, returning the host as it goes in a URL. */
export const host = (
  operation: string,
  field: string,
  value: unknown
): Effect.Effect<string, InvalidInput> => {
  const problem = hostProblem(value)
  if (problem !== undefined) return Effect.fail(invalid(operation, field, problem))
  const text = value as string
  const bare = text.startsWith("[") ? text.slice(1, -1) : text
  return Effect.succeed(bare.includes(":") ? `[${bare}]` : text)
}

/** A non-empty secret without control characters or whitespace, wrapped in `Redacted`. */
export const token = (
  operation: string,
  field: string,
  value: unknown
): Effect.Effect<Redacted.Redacted<string>, InvalidInput> => {
  const raw = Redacted.isRedacted(value) ? Redacted.value(value as Redacted.Redacted<unknown>) : value
  if (typeof raw !== "string") return Effect.fail(invalid(operation, field, "must be a string"))
  if (raw.length === 0) return Effect.fail(invalid(operation, field, "must not be empty"))
  if (raw.length > limits.token) {
    return Effect.fail(invalid(operation, field, `must be at most ${limits.token} characters long`))
  }
  // A token travels as an HTTP header: visible ASCII only (no spaces, no control or non-ASCII characters).
  if (!/^[\x21-\x7e]+$/.test(raw)) {
    return Effect.fail(
      invalid(
        operation,
        field,
        "must contain only visible ASCII characters (no whitespace, control or non-ASCII)"
      )
    )
  }
  return Effect.succeed(
    Redacted.isRedacted(value) ? (value as Redacted.Redacted<string>) : Redacted.make(raw)
  )
}

/**
 * An absolute http(s) URL without credentials, query or fragment, returned
 * without a trailing slash (a path prefix, for a reverse proxy, is kept).
 * With `query: true`, a query and fragment are allowed and the URL is
 * returned whole (a `forwardUrl`).
 */
export const httpUrl = (
  operation: string,
  field: string,
  value: unknown,
  options: { readonly query?: boolean } = {}
): Effect.Effect<string, InvalidInput> => {
  const reject = (reason: string) => Effect.fail(invalid(operation, field, reason))
  let url: URL
  try {
    url = new URL(String(value).trim())
  } catch {
    return reject("is not an absolute URL (expected http(s)://host[:port])")
  }
  if (typeof value !== "string") return reject("must be a URL string")
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return reject(`must use http or https, not ${url.protocol.slice(0, -1)}`)
  }
  if (url.username !== "" || url.password !== "") {
    return reject("must not embed credentials; use Credentials for the token")
  }
  if (options.query) return Effect.succeed(url.toString())
  if (url.search !== "" || url.hash !== "") return reject("must not have a query string or fragment")
  return Effect.succeed(`${url.origin}${url.pathname.replace(/\/+$/, "")}`)
}

/** {@link token}, synchronously, as an `Either`. */
export const tokenSync = (value: unknown) =>
  Effect.runSync(Effect.either(token("Credentials", "token", value)))
