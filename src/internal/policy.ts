/**
 * Facts about Plex and HTTP the engine decides by, as plain functions with
 * no Effect in them (an Effect 4 edition shares them): where a redirect may
 * go and what it may carry, what a refused answer means, when an answer
 * asks to be retried later, and which failures may be repeated at all.
 *
 * @internal
 */

/** How many redirects one attempt follows. */
export const maxRedirects = 5

const redirectStatuses = new Set([301, 302, 303, 307, 308])

/** Whether `status` is a redirect the engine follows (when it carries a `Location`). */
export const isRedirect = (status: number): boolean => redirectStatuses.has(status)

/** Whether a `Content-Type` says JSON (`application/json`, `application/problem+json`, `text/json`). */
export const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^(application\/([\w.+-]*\+)?json|text\/json)\b/i.test(contentType.trim())

/** The next hop of a redirect, or why it is refused. */
export type Hop =
  | {
      readonly _tag: "Follow"
      readonly url: URL
      /** Whether the hop goes to another origin: it then carries no token and no secret query value. */
      readonly crossOrigin: boolean
      /** Whether the body is dropped (a 303, or a 301/302 after a POST, becomes a GET). */
      readonly toGet: boolean
    }
  | { readonly _tag: "Refuse"; readonly detail: string }

/**
 * Where a redirect leads, and whether it may be followed: at most
 * {@link maxRedirects} hops, only to http(s), and a body carrying a secret
 * (a password, a code) is never resent to another origin. Whether the token
 * goes along is decided by {@link mayCarrySecrets}.
 */
export const nextHop = (options: {
  readonly from: string
  readonly method: string
  readonly status: number
  readonly location: string
  readonly hops: number
  readonly secretBody: boolean
}): Hop => {
  if (options.hops >= maxRedirects) return { _tag: "Refuse", detail: `more than ${maxRedirects} redirects` }
  let url: URL
  try {
    url = new URL(options.location, options.from)
  } catch {
    return { _tag: "Refuse", detail: "the redirect location is not a valid URL" }
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { _tag: "Refuse", detail: `refused a redirect to a ${url.protocol.slice(0, -1)} URL` }
  }
  const crossOrigin = !mayCarrySecrets(options.from, url)
  const toGet =
    options.status === 303 ||
    ((options.status === 301 || options.status === 302) && options.method === "POST")
  if (crossOrigin && options.secretBody && !toGet) {
    return { _tag: "Refuse", detail: `refused to resend credentials to another origin (${url.origin})` }
  }
  return { _tag: "Follow", url, crossOrigin, toGet }
}

/**
 * Whether a request to `to` may carry the secrets of a request meant for
 * `intended` (the token, a secret query value, a secret body): only when
 * both are the same origin (scheme, host and port).
 */
export const mayCarrySecrets = (intended: string | URL, to: string | URL): boolean => {
  try {
    return new URL(intended).origin === new URL(to).origin
  } catch {
    return false
  }
}

/**
 * The query a redirect's `Location` asks for, without what must not travel
 * there: never an `X-Plex-Token` (the token travels only as a header), and
 * on a hop to another origin no value the request marked secret, whatever
 * its name (a `deviceJWT`, say).
 */
export const redirectQuery = (
  url: URL,
  crossOrigin: boolean,
  isSecret: (value: string) => boolean
): Array<[string, string]> =>
  [...url.searchParams].filter(
    ([key, value]) => key.toLowerCase() !== "x-plex-token" && !(crossOrigin && isSecret(value))
  )

/** The wait (ms) a `Retry-After` header asks for: seconds, or an HTTP date relative to `now`. */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** What an answer that is not a success means, by its status and Plex's codes. */
export type Refusal =
  | "VerificationCodeRequired"
  | "InvalidVerificationCode"
  | "RateLimited"
  | "BadRequest"
  | "Unauthorized"
  | "NotFound"
  | "Unexpected"

/**
 * Classifies a refused answer. Plex's codes come first: 1029 and 1028 are
 * the two-factor prompts (only for a sign-in), 1003 and 1031 rate limits;
 * then the status: 401, 403 and 498 refuse the credentials, as does a 422
 * whose message says "invalid token" (plex.tv's way); any other 422 or a 400
 * is a bad request; a 404 is `NotFound` only where the operation expects it.
 */
export const classify = (options: {
  readonly status: number
  readonly codes: ReadonlySet<number>
  readonly messages: string
  readonly signIn: boolean
  readonly notFound: boolean
}): Refusal => {
  const { codes, status } = options
  if (options.signIn && codes.has(1029)) return "VerificationCodeRequired"
  if (options.signIn && codes.has(1028)) return "InvalidVerificationCode"
  if (status === 429 || codes.has(1003) || codes.has(1031)) return "RateLimited"
  switch (status) {
    case 400:
      return "BadRequest"
    case 401:
    case 403:
    case 498:
      return "Unauthorized"
    case 422:
      return /invalid token/i.test(options.messages) ? "Unauthorized" : "BadRequest"
    case 404:
      return options.notFound ? "NotFound" : "Unexpected"
  }
  return "Unexpected"
}

/** Connection failures that prove the request never reached the server (refused, unresolved, unroutable). */
export const neverSent = (code: unknown): boolean =>
  typeof code === "string" && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/.test(code)

/** What {@link mayRetry} needs to know of a failure. */
export interface Failure {
  readonly _tag: string
  readonly reason?: string | undefined
  readonly status?: number | undefined
}

/**
 * Whether a failure may be retried at all, whatever a policy says. A
 * request that is not idempotent (a sign-in, an exchange) is repeated only
 * when the answer proves the server did not act: a rate limit, a 503, a
 * connection that was never made (`neverReachedServer`).
 */
export const mayRetry = (error: Failure, idempotent: boolean, neverReachedServer: boolean): boolean => {
  switch (error._tag) {
    case "RateLimited":
      return true
    case "NetworkError":
      // A reset or a broken body may come after the server acted; only a refused connection proves it did not.
      return idempotent || neverReachedServer
    case "Unexpected": {
      const status = error.status
      if (error.reason !== "Status" || status === undefined) return false
      if (!idempotent) return status === 503
      // 501 and 505 say the server cannot do this at all: a retry would get the same answer.
      return status === 408 || status === 425 || (status >= 500 && status !== 501 && status !== 505)
    }
    default:
      return false
  }
}
