/**
 * The `fetch` each edition's engine puts under the platform's fetch client
 * for one request: it refuses to send a secret to an origin other than the
 * one the current hop was meant for (a caller's `followRedirects` would
 * resend the token) and refuses an answer from another origin (a caller's
 * `fetch` that follows redirects itself has sent the secrets by then, but
 * the other origin's data is never taken for Plex's). When the `fetch` under
 * it fails with an error that quotes the secrets (a proxy or a caller's
 * `fetch` echoing the request), it fails with a copy in which they are
 * masked: the platform's HTTP span ends with that error as its cause, and
 * renderings of a cause chain (Effect 4's `Cause.pretty`) show it. Plain
 * functions.
 *
 * @internal
 */
import { isPlainData } from "./decode.js"
import { mayCarrySecrets } from "./policy.js"
import { scrub } from "./redact.js"

/** Thrown by the guarded `fetch` to refuse a cross-origin request or answer. */
export class CrossOrigin extends Error {}

/**
 * `value` with every secret masked (`redact.ts`'s `scrub`) in its text: a
 * string, and down the own properties of an error, a plain object or an
 * array (an error's message, stack, `code`, `cause`, an `AggregateError`'s
 * `errors`); any other value is kept as it is. A copy is made only where
 * something is masked (`value` itself otherwise); it keeps every other field
 * (`code`, `errno`, `syscall`: what `answer.ts`'s `transportFailure` and
 * `policy.ts`'s `neverSent` read) and the error's prototype (a `TypeError`
 * stays one), except where the message is not the error's own (a
 * `DOMException`'s: its accessors work only on the original), which becomes
 * a plain `Error` with that name. The engines mask a defect with it too (a caller's `HttpClient` dying with an
 * error that quotes the token), before it reaches a span or the caller.
 */
export const scrubbedError = (value: unknown, secrets: ReadonlyArray<string>, depth = 0): unknown => {
  if (typeof value === "string") return scrub(value, secrets)
  const error = value instanceof Error
  const array = Array.isArray(value)
  // Down an error and plain data (an array or a plain object, as a payload nests it); any other value is kept.
  if (depth > 9 || !(error || isPlainData(value))) return value
  const object = value as Record<string, unknown>
  const keys = new Set(Object.getOwnPropertyNames(object))
  // A symbol-keyed own property (`Reflect.ownKeys` lists them after the names) is state it keeps out of sight.
  const copy = array
    ? []
    : Object.create(
        error && (!keys.has("message") || Object.getOwnPropertySymbols(object)[0])
          ? Error.prototype
          : Object.getPrototypeOf(object)
      )
  if (array) keys.delete("length")
  if (error) keys.add("name").add("message")
  let changed = false
  for (const key of keys) {
    const was = object[key]
    const now = scrubbedError(was, secrets, depth + 1)
    changed ||= now !== was
    Object.defineProperty(copy, key, {
      value: now,
      writable: true,
      configurable: true,
      enumerable: Object.keys(object).includes(key)
    })
  }
  return changed ? copy : value
}

/**
 * A `fetch` through `inner` (the global one, read at each call, when none is
 * given: it may be replaced by a polyfill or a test) that sends no secret to,
 * and takes no answer from, an origin but `intended()`. A failure of `inner`
 * comes out with the secrets masked ({@link scrubbedError}), except once
 * the request's signal has aborted it: what an abort rejects with is the
 * platform's (interruption, the per-attempt timeout) and is kept as it is.
 */
export const guardFetch =
  (
    inner: typeof globalThis.fetch | undefined,
    intended: () => string,
    secrets: ReadonlyArray<string>
  ): typeof globalThis.fetch =>
  async (input, init) => {
    const url = String((input as Request).url ?? input)
    if (!mayCarrySecrets(intended(), url)) {
      const body = init?.body
      // A body it does not read as text (bytes, a stream, a form) is taken to carry every secret.
      // Each part (the URL, a string body, each header's value) as it is and read back (`unescape`: each %XX, never
      // throwing on a stray %), as a query or a form writes a secret percent-encoded (a claim token is any visible
      // ASCII: "a+b" is "a%2Bb" in the query). %XX reads as one character each: a secret in a URL is ASCII (tokens,
      // claim tokens, a Home PIN, a device JWT, by their checks). Each part on its own: a secret with a space (a
      // password) is not found across two parts ("Node" and "20" are no "Node 20"). A secret is found where `scrub`
      // would mask it (one rule for both): one of 6 characters or more anywhere, a shorter one only standing alone,
      // no letter, digit or "_" glued to it (a value of its own: a header's, a query's, a JSON string, a path
      // segment), so that a 4-character PIN code "AB12" is not found in "/assets/AB12cd.png" nor in "XAB12".
      const sent = [
        url,
        typeof body === "string" ? body : body ? secrets.join(" ") : "",
        ...new Headers(init?.headers).values()
      ].flatMap((text) => [text, unescape(text)])
      if (sent.some((text) => scrub(text, secrets) !== text)) {
        throw new CrossOrigin(`refused to send credentials to another origin (${new URL(url).origin})`)
      }
    }
    const response = await (inner ?? fetch)(input, init).catch((error: unknown) => {
      throw init?.signal?.aborted ? error : scrubbedError(error, secrets)
    })
    if (response.url && !mayCarrySecrets(intended(), response.url)) {
      throw new CrossOrigin(`the answer came from another origin (${new URL(response.url).origin})`)
    }
    return response
  }
