/**
 * The words of the errors both editions' `PlexError` define (each as its
 * line's `Schema.TaggedError` class): their messages, their tags, and the Plex
 * codes they carry. Plain functions over the
 * errors' fields; never a secret in them (the fields carry none).
 *
 * @internal
 */
import { fieldOf } from "./decode.js"
import { describeCodes } from "./describeCodes.js"

/** One of Plex's error entries: `{ code, message, status }`. */
type Detail = { readonly code?: number | undefined; readonly message?: string | undefined }

/** Where a request went. */
interface Sent {
  readonly operation: string
  readonly method: string
  readonly url: string
}

/** A request Plex answered with a refusal. */
interface Answered extends Sent {
  readonly status: number
  readonly errors: ReadonlyArray<Detail>
}

/** The tags of every error of the library (`PlexError`). */
export const plexErrorTags: ReadonlyArray<string> = [
  "InvalidInput",
  "BadRequest",
  "Unauthorized",
  "VerificationCodeRequired",
  "InvalidVerificationCode",
  "NotFound",
  "RateLimited",
  "Unexpected",
  "NetworkError",
  "PinExpired",
  "InvalidJwt",
  "NoReachableConnection",
  "ServerNotFound",
  "HomeUserNotFound",
  "HomePinRequired",
  "InvalidHomePin",
  "ServerAlreadyClaimed",
  "ClaimRejected"
]

/** Plex's numeric codes among `errors`. */
export const codesOf = (errors: ReadonlyArray<Detail>): ReadonlyArray<number> =>
  errors.flatMap((e) => (e.code === undefined ? [] : [e.code]))

/**
 * The codes an error carries, read leniently (`PlexError.codes`): a reader of
 * whatever a caller caught, so anything that is not an object with an array
 * of entries (null, undefined, a number, an error without Plex's entries)
 * carries none, and an entry without a numeric code adds none.
 */
export const codesIn = (error: unknown): ReadonlyArray<number> => {
  const errors = fieldOf(error, "errors")
  return Array.isArray(errors)
    ? errors.flatMap((e: unknown) => {
        const code = fieldOf(e, "code")
        return typeof code === "number" ? [code] : []
      })
    : []
}

/** `InvalidInput`'s message. */
export const invalidInputMessage = (e: {
  readonly operation: string
  readonly field: string
  readonly reason: string
}): string => `${e.operation}: invalid ${e.field}: ${e.reason}`

/** `BadRequest`'s message. */
export const badRequestMessage = (e: Answered): string =>
  `${e.operation}: ${e.method} ${e.url} was rejected as a bad request (HTTP ${e.status})${describeCodes(e.errors)}`

/**
 * `Unauthorized`'s message: what to do (docs/errors.md): sign in again, unless the server refuses fresh tokens
 * too, or the refusal is the sign-in's own (a wrong login or password: signing in again with them fails again).
 * A 403 gets no advice: it refuses what the account may not do (or is a proxy's), a new sign-in meets it again, and
 * the library never reads it as a refused token (docs/errors.md, "A 403 is not signed out"); its `status` says so.
 * When credentials that re-authenticate got no usable token (`reauthentication` `Failed`, `SameToken`,
 * `CoolingDown`: their own way of signing in, `obtain`, a sign-in, a PIN login, already failed), it says so first,
 * so that "sign in again" does not read as if nothing had been tried: a person must step in. The field tells which,
 * and `reauthenticationError` what `obtain` failed with (a tag: `; re-authentication failed (NetworkError): ...`).
 * When that is a Home error (`InvalidHomePin`, `HomePinRequired`, `HomeUserNotFound`: the credentials of a switched
 * Home user whose `obtain` switches again, docs/home.md), no one signs in: it says to switch to the user again.
 */
export const unauthorizedMessage = (
  e: Answered & {
    readonly reauthentication?: string | undefined
    readonly reauthenticationError?: string | undefined
  }
): string => {
  const failed = e.reauthenticationError
  const why =
    e.reauthentication === "FreshTokenRefused"
      ? "the server refuses fresh tokens too"
      : e.url.endsWith("/users/signin")
        ? "check the login and password"
        : e.reauthentication && e.reauthentication !== "SignedOut"
          ? `re-authentication failed${failed ? ` (${failed})` : ""}: ${failed?.includes("Home") ? "switch to the user" : "sign in"} again`
          : "sign in again"
  return `${e.operation}: not authorized (HTTP ${e.status})${describeCodes(e.errors)}${e.status !== 403 ? `; ${why}` : ""}`
}

/** `VerificationCodeRequired`'s message. */
export const verificationCodeRequiredMessage = (e: Answered): string =>
  `${e.operation}: a two-factor verification code is required${describeCodes(e.errors)}`

/** `InvalidVerificationCode`'s message. */
export const invalidVerificationCodeMessage = (e: Answered): string =>
  `${e.operation}: the verification code was not accepted${describeCodes(e.errors)}`

/** `NotFound`'s message. */
export const notFoundMessage = (e: Answered): string =>
  `${e.operation}: ${e.method} ${e.url} was not found (HTTP ${e.status})${describeCodes(e.errors)}`

/** `RateLimited`'s message. */
export const rateLimitedMessage = (
  e: Answered & { readonly retryAfterMillis?: number | undefined }
): string =>
  `${e.operation}: rate limited (HTTP ${e.status})${describeCodes(e.errors)}${e.retryAfterMillis === undefined ? "" : `, retry after ${e.retryAfterMillis} ms`}`

/**
 * `Unexpected`'s message; for a server's failure (a 5xx) it ends with what to do, `; try again later`
 * (docs/errors.md, "When plex.tv is down"). (`status! > 499`: an absent status is not above it.)
 */
export const unexpectedMessage = (
  e: Sent & {
    readonly status?: number | undefined
    readonly detail: string
    readonly errors: ReadonlyArray<Detail>
  }
): string =>
  `${e.operation}: unexpected response from ${e.method} ${e.url}${e.status === undefined ? "" : ` (HTTP ${e.status})`}: ${e.detail}${describeCodes(e.errors)}${e.status! > 499 ? "; try again later" : ""}`

/**
 * `NetworkError`'s message; when no answer came in time, or one was cut off, it ends with `; try again later`. Not
 * when no answer came at all (`could not reach`): the address, the network or a browser's CORS refusal may be at
 * fault as much as the server, and the detail says which.
 */
export const networkErrorMessage = (
  e: Sent & { readonly reason: string; readonly detail: string; readonly status?: number | undefined }
): string =>
  `${e.operation}: ${e.reason === "Timeout" ? "timed out" : e.status === undefined ? "could not reach" : `the body was cut off in an answer (HTTP ${e.status}) from`} ${e.method} ${e.url}: ${e.detail}${e.reason === "Timeout" || e.status ? "; try again later" : ""}`

/** `PinExpired`'s message. */
export const pinExpiredMessage = (e: {
  readonly operation: string
  readonly pinId: number
  readonly reason: string
  readonly errors: ReadonlyArray<Detail>
  readonly lastError?:
    | { readonly message: string; readonly status?: number | undefined; readonly reason?: string | undefined }
    | undefined
}): string => {
  // Expired: "before it was approved" only when the last check answered (not approved); when it failed (`lastError`:
  // no answer, or one it could not use), an approval after the last answered check would not have been seen.
  // "Could not reach" only for a failure with no answer and no timeout: the per-attempt timeout may hit while an
  // answer's body arrives, its NetworkError with no status then either, and "no usable answer" is true of both.
  const what =
    e.reason === "Pending"
      ? "is still pending: the poll's schedule ended before it was approved"
      : e.reason === "Expired"
        ? e.lastError === undefined
          ? "expired before it was approved"
          : e.lastError.status === undefined && e.lastError.reason !== "Timeout"
            ? "expired while its last check could not reach plex.tv"
            : "expired while its last check got no usable answer from plex.tv"
        : e.reason !== "Unreachable"
          ? "is unknown or expired"
          : // The last check got an answer (its status: a body cut off, a 5xx, a 429), none it could use: reached.
            e.lastError?.status === undefined && e.lastError?.reason !== "Timeout"
            ? "expired while plex.tv could not be reached to check it"
            : "expired while no check got a usable answer from plex.tv"
  // The last check's own advice (`; try again later`: that request, a PIN no longer has) left out: one piece of
  // advice, the one true for an expired PIN. Only at the end, where the message adds it: a server's words that
  // say the same (its error's message, quoted before it) are kept as they came.
  const last =
    e.lastError === undefined ? "" : ` (last check: ${e.lastError.message.replace(/; try again later$/, "")})`
  // A pending PIN is live: its id (with the client identifier, which is no secret) fetches its token once approved, so
  // it stays out of the message, which tracers export with a failed span; the error's `pinId` field still has it.
  return `${e.operation}: ${e.reason === "Pending" ? "the PIN" : `PIN ${e.pinId}`} ${what}${describeCodes(e.errors)}${last}; ${e.reason === "Pending" ? "poll it again before it expires, or " : ""}create a new PIN to try again`
}

/**
 * What to do about a token that did not verify, by `InvalidJwt`'s `reason`: one that is no Plex JWT (a classic token)
 * is given where one is needed; one not yet valid points at this machine's clock; one bound to another key is checked
 * with that key; any other (forged, foreign, expired) is not used, and a new one got instead.
 */
const invalidJwtAdvice: Readonly<Record<string, string>> = {
  Malformed:
    "give a Plex JWT (from Jwt.exchange or Jwt.pinLogin; Jwt.upgrade trades a classic token for one)",
  NotYetValid: "check this machine's clock, or allow more clockSkew",
  Thumbprint: "verify it with the device key it is bound to, or get one for this key (Jwt.exchange)"
}

/** `InvalidJwt`'s message, ending with what to do ({@link invalidJwtAdvice}). */
export const invalidJwtMessage = (e: {
  readonly operation: string
  readonly reason: string
  readonly detail: string
}): string =>
  `${e.operation}: the JWT is not valid (${e.reason}): ${e.detail}; ${invalidJwtAdvice[e.reason] ?? "do not use it; get a new one (Jwt.exchange)"}`
