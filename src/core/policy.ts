/**
 * The engine's decisions about Plex and HTTP, as plain functions with no
 * Effect in them (an Effect 4 edition shares them).
 *
 * @internal
 */
import type { TwoFactorReader } from "./twoFactor.js"

/** How many redirects one attempt follows. */
export const maxRedirects = 5

/** Whether `status` is a redirect the engine follows (when it carries a `Location`). */
export const isRedirect = (status: number): boolean => /^30[12378]$/.test(`${status}`)

/** Whether a `Content-Type` says JSON (`application/json`, `application/problem+json`, `text/json`). */
export const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^(application\/([\w.+-]*\+)?json|text\/json)\b/i.test(contentType.trim())

/**
 * Whether a request to `to` may carry the secrets (token, secret query
 * values, secret body) of one meant for `intended`: only to the same origin.
 */
export const mayCarrySecrets = (intended: string | URL, to: string | URL): boolean => {
  // The same URL (string, or object): the same origin, without parsing either (the common case, checked per request).
  if (intended === to) return true
  try {
    return new URL(intended).origin === new URL(to).origin
  } catch {
    return false
  }
}

/** The next hop of a redirect, or why it is refused. */
export type Hop<M extends string = string> =
  | {
      readonly _tag: "Follow"
      readonly url: URL
      /** A 303 (but after a HEAD, which stays one), or a 301/302 after a POST: a GET without the body. */
      readonly toGet: boolean
      /** The next request's method, and its URL without query nor fragment, which follow. */
      readonly method: M | "GET"
      readonly target: string
      /** The query, without what must not travel ({@link redirectQuery}). The fragment is `url`'s (never sent). */
      readonly query: Array<[string, string]>
    }
  | { readonly _tag: "Refuse"; readonly detail: string }

/**
 * Where a redirect leads and whether to follow it: at most
 * {@link maxRedirects} hops, only to http(s), and a secret body (a password,
 * a code) is never resent to another origin. `secrets` are the values the
 * request marked secret, kept out of the query on another origin, and on the
 * same origin too but for `inQuery`, those the request's own query carried
 * (a device JWT): the token goes only as a header.
 */
export const nextHop = <M extends string>(
  from: string,
  method: M,
  status: number,
  location: string,
  hops: number,
  secretBody: boolean,
  secrets: ReadonlyArray<string>,
  inQuery: ReadonlyArray<string>
): Hop<M> => {
  const refuse = (detail: string): Hop<M> => ({ _tag: "Refuse", detail })
  if (hops >= maxRedirects) return refuse(`more than ${maxRedirects} redirects`)
  let url: URL
  try {
    url = new URL(location, from)
  } catch {
    return refuse("refused a redirect: not a valid URL")
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return refuse(`refused a redirect to a ${url.protocol.slice(0, -1)} URL`)
  }
  if (url.username || url.password) return refuse("refused a redirect to a URL with credentials")
  const crossOrigin = !mayCarrySecrets(from, url)
  // As `fetch` has it: a 303 makes any request but a HEAD a GET, a 301 or 302 a POST (`status`: an `isRedirect`).
  const toGet = (status === 303 && method !== "HEAD") || (status < 303 && method === "POST")
  if (crossOrigin && secretBody && !toGet) {
    return refuse(`refused to send credentials to another origin (${url.origin})`)
  }
  return {
    _tag: "Follow",
    url,
    toGet,
    method: toGet ? "GET" : method,
    target: url.origin + url.pathname,
    query: redirectQuery(url, crossOrigin, secrets, inQuery)
  }
}

/**
 * The query a redirect asks for, without what must not travel: never an
 * `X-Plex-Token` (the token goes only as a header), on a hop to another
 * origin no value the request marked secret, whatever its name (`deviceJWT`),
 * and on the same origin none but those in `inQuery` (the secrets the
 * request's own query carried): a server's redirect does not put the token
 * in a URL under another name.
 */
export const redirectQuery = (
  url: URL,
  crossOrigin: boolean,
  secrets: ReadonlyArray<string>,
  inQuery: ReadonlyArray<string>
): Array<[string, string]> =>
  [...url.searchParams].filter(
    ([key, value]) =>
      key.toLowerCase() !== "x-plex-token" &&
      !(secrets.includes(value) && (crossOrigin || !inQuery.includes(value)))
  )

/** Why an answer to a hop sent to `sent` is not taken, if it is not: it came from another origin, or hid a redirect. */
export const foreignAnswer = (sent: string, answered: string, status: number): string | undefined =>
  !mayCarrySecrets(sent, answered)
    ? `the answer came from another origin (${new URL(answered).origin})`
    : status === 0
      ? "the platform hid a redirect; it was not followed"
      : undefined

/**
 * The longest wait (ms) read from a `Retry-After`: 2^31 seconds, the value RFC 9111 (1.2.2) has a recipient take
 * for a delta-seconds greater than it can represent. Past it (digits enough for `Infinity`, or for `1e+21` once
 * written back; a date thousands of years ahead) a caller's `Schedule` would wait for ever, and the start route's
 * 503 would send a `Retry-After` no client reads.
 */
export const longestRetryAfterMillis = 2 ** 31 * 1000

/**
 * The wait (ms) a `Retry-After` header asks for: seconds, or an HTTP date
 * (it names a month) relative to `now`, one past asking for 0; anything else
 * asks for nothing. Seconds sent twice (a proxy adding its own) come joined
 * with ", ": the longest of them. At most {@link longestRetryAfterMillis}.
 */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  // No header (`undefined`) is read as the text "undefined" (`RegExp.test` and `Date.parse` make a string of it):
  // not seconds, a date that does not parse. NaN (no seconds, no date) asks for nothing.
  const millis = /^\s*\d+\s*(,\s*\d+\s*)*$/.test(value!)
    ? Math.max(...value!.split(",").map(Number)) * 1000
    : /[A-Za-z]{3}/.test(value!)
      ? Math.max(0, Date.parse(value!) - now)
      : NaN
  return millis >= 0 ? Math.min(millis, longestRetryAfterMillis) : undefined
}

/** What a `Retry-After` header is read into: the wait it asked for, in milliseconds. */
export interface MayAskToWait {
  readonly _tag: string
  readonly retryAfterMillis?: number | undefined
}

/**
 * The longest `Retry-After` (ms) a retry waits out: a server asking for more
 * gets no retry, and the error (with its `retryAfterMillis`) goes to the
 * caller, who can decide to wait that long.
 */
export const maxRetryAfterMillis = 60_000

/**
 * The wait (ms) a `Retry-After` asked for, if the error carries one (only `RateLimited` and `Unexpected` do).
 * A reader of whatever a caller caught (`RetryPolicy.retryAfter`): anything else (null, undefined, a
 * number, another error) asked for no wait. A negative or NaN wait (an error built by hand) is 0, as a
 * `Retry-After` date in the past is ({@link parseRetryAfter}): the same in both editions (Effect 3's
 * `Duration.millis` makes it zero, Effect 4's would keep it negative).
 */
export const retryAfterMillis = (error: MayAskToWait): number | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const asked: unknown = error.retryAfterMillis
  return (error._tag === "RateLimited" || error._tag === "Unexpected") && typeof asked === "number"
    ? asked > 0
      ? asked
      : 0
    : undefined
}

/**
 * The longest wait (ms) between two attempts of a policy the library makes: 2^31 - 1, the most one timer holds
 * (`setTimeout`). Effect 3's live clock never ends a longer sleep (it sets no timer), Effect 4's chains timers: a
 * policy asking for more (`Schedule.spaced("30 days")`) waits this long in both editions.
 */
export const longestWaitMillis = 2 ** 31 - 1

/** Whether a retry may wait out what the error asked for: nothing, or at most {@link maxRetryAfterMillis}. */
export const mayWaitOut = (error: MayAskToWait): boolean => {
  const asked = retryAfterMillis(error)
  return asked === undefined || asked <= maxRetryAfterMillis
}

/** What a refused answer means (the tag of the error it becomes). */
export type Refusal =
  | "VerificationCodeRequired"
  | "InvalidVerificationCode"
  | "RateLimited"
  | "BadRequest"
  | "Unauthorized"
  | "NotFound"
  | "Unexpected"

/**
 * Classifies a refused answer by Plex's codes, then its status: 1029/1028
 * (or a 401 asking for the verification code, see `twoFactor.ts`) are the
 * two-factor prompts (only where `expects.twoFactor` reads them: a sign-in), 1003/1031 and 429 rate limits;
 * the endpoint's `refusedInput` code (a Home PIN's 1041), a 400 and any 422
 * but an "invalid token" are bad requests; 401, 403, 498 and a 422 "invalid
 * token" refuse the credentials (`Unauthorized`; of these, plex.tv's 403 refuses the account, not its token:
 * `refreshRun.ts` `tokenRefusedBy`); a 404 is `NotFound` where it is expected.
 */
export const classify = (
  status: number,
  codes: ReadonlyArray<number>,
  messages: string,
  expects: {
    readonly twoFactor?: TwoFactorReader | undefined
    readonly notFound?: boolean | undefined
    readonly refusedInput?: number | undefined
  }
): Refusal => {
  const twoFactor = expects.twoFactor?.(status, codes, messages)
  if (twoFactor) return twoFactor
  if (status === 429 || codes.includes(1003) || codes.includes(1031)) return "RateLimited"
  // Widened, not asserted: an endpoint without a `refusedInput` code finds none among Plex's numbers.
  const known: ReadonlyArray<number | undefined> = codes
  if (status === 400 || known.includes(expects.refusedInput)) return "BadRequest"
  if (status === 401 || status === 403 || status === 498) return "Unauthorized"
  if (status === 422) return /invalid token/i.test(messages) ? "Unauthorized" : "BadRequest"
  return status === 404 && expects.notFound ? "NotFound" : "Unexpected"
}

/**
 * Marks a network error that happened before anything was sent: safe to
 * retry whatever the request (see {@link mayRetry}). A symbol property, kept
 * off the error's fields (and so off its JSON).
 */
export const neverReachedServer: unique symbol = /*#__PURE__*/ Symbol.for(
  "effect-plex-auth/NetworkError/neverReachedServer"
)

/** Connection failures that prove the request never reached the server (refused, unresolved, unroutable). */
export const neverSent = (code: unknown): boolean =>
  typeof code === "string" && /^E(CONNREFUSED|NOTFOUND|AI_AGAIN|(HOST|NET)UNREACH)$/.test(code)

/**
 * Whether a failed attempt leaves it unknown whether the server acted on
 * the request: the connection failed once the request may have reached it
 * (a timeout, a reset: not a connection {@link neverSent} proves was never
 * made), or a server error (5xx) but a 503, which a proxy may answer after the
 * server acted (a 502 for an answer lost, a 504 for one too late). A 503 says the
 * request was not handled (RFC 9110 15.6.4: unable to handle it, "temporary overload
 * or scheduled maintenance"), as a rate limit or another refusal says the server did
 * not act: as {@link mayRetry} reads them, resending a sign-in after a 503, and as the
 * CLI does (`cli/render.ts` `signInFailureProvesNoToken`: no token issued).
 */
export const outcomeUnknown = (
  error: {
    readonly _tag: string
    readonly reason?: string | undefined
    readonly status?: number | undefined
  },
  neverReachedServer: boolean
): boolean =>
  error._tag === "NetworkError"
    ? !neverReachedServer
    : error._tag === "Unexpected" &&
      error.reason === "Status" &&
      (error.status ?? 0) >= 500 &&
      error.status !== 503

/**
 * Whether a failure may be retried at all, whatever a policy says. A request
 * that is not idempotent (a sign-in) is repeated only when the answer proves
 * the server did not act: a rate limit, a 503 (not handled: {@link outcomeUnknown}),
 * a connection never made; and
 * never after a server acted on it and redirected it (`acted`: a 303, or a
 * 301/302 that turned a POST into a GET), whatever came after.
 */
export const mayRetry = (
  error: {
    readonly _tag: string
    readonly reason?: string | undefined
    readonly status?: number | undefined
  },
  idempotent: boolean,
  neverReachedServer: boolean,
  acted?: boolean
): boolean => {
  const status = error.status ?? 0
  // A server acted on it, then redirected it: what the page it went on to answered proves nothing. A reset or a
  // broken body may come after the server acted; only a refused connection proves it did not. 501 and 505 say the
  // server cannot do this at all: a retry would get the same answer.
  return (
    !(acted && !idempotent) &&
    (error._tag === "RateLimited" ||
      (error._tag === "NetworkError"
        ? idempotent || neverReachedServer
        : error._tag === "Unexpected" &&
          error.reason === "Status" &&
          (idempotent
            ? status === 408 || status === 425 || (status > 499 && status !== 501 && status !== 505)
            : status === 503)))
  )
}
