/**
 * Input checks shared by the public constructors, failing with `InvalidInput`
 * before anything is sent.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
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

/** Why a value cannot be a header value (a non-empty string without control characters), or undefined. */
export const headerProblem = (value: unknown): string | undefined =>
  typeof value !== "string"
    ? "must be a string"
    : value.trim().length === 0
      ? "must not be empty"
      : controlChars.test(value)
        ? "must not contain control characters"
        : undefined

/** A non-empty secret without control characters or whitespace, wrapped in `Redacted`. */
export const token = (
  operation: string,
  field: string,
  value: unknown
): Effect.Effect<Redacted.Redacted<string>, InvalidInput> => {
  const raw = Redacted.isRedacted(value) ? Redacted.value(value as Redacted.Redacted<unknown>) : value
  if (typeof raw !== "string") return Effect.fail(invalid(operation, field, "must be a string"))
  if (raw.length === 0) return Effect.fail(invalid(operation, field, "must not be empty"))
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
