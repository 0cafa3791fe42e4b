/**
 * "Sign in with Plex", the steps both editions take the same way, with no
 * Effect in them: the app's checked settings, the start (signed PIN-flow
 * cookie and app.plex.tv URL), reading the PIN-flow cookie back at the
 * callback, reading the session cookie, signing a session cookie, and a new
 * session record. The editions' `WebSignIn` wrap these in their Effect line
 * (errors, spans, the `KeyValueStore`, plex.tv requests).
 *
 * @internal
 */
import * as AuthUrl from "../authUrl.js"
import { classify, parseRetryAfter } from "../policy.js"
import {
  type FieldProblem,
  firstProblem,
  member,
  objectProblem,
  optionalBooleanProblem
} from "../validate.js"
import * as Cookies from "./cookies.js"
import type { SetCookie } from "./cookies.js"
import * as S from "./signIn.js"
import * as Signed from "./signed.js"

/** The app's settings with the routes' paths: what `WebSignInService.settings` shows. */
export type AppSettings = S.Settings & {
  readonly startPath: `/${string}`
  readonly signOutPath: `/${string}`
  readonly homePath: `/${string}`
}

/** The settings, or the field at fault and why (never a secret: there is none here). */
export const appSettings = (
  input: S.SettingsInput & {
    readonly startPath?: string | undefined
    readonly signOutPath?: string | undefined
    readonly homePath?: string | undefined
  }
):
  | { readonly _tag: "Ok"; readonly settings: AppSettings }
  | { readonly _tag: "Invalid"; readonly field: string; readonly message: string } => {
  const checked = S.settings(input)
  if (checked._tag === "Invalid") return checked
  const paths = {
    startPath: input.startPath ?? "/auth/plex/start",
    signOutPath: input.signOutPath ?? "/auth/plex/sign-out",
    homePath: input.homePath ?? "/"
  }
  for (const [field, path] of Object.entries(paths)) {
    if (!S.isPath(path)) return { _tag: "Invalid", field, message: S.pathProblem("/auth/plex/start", path) }
  }
  // The routes' own paths: no %-escape either (the router would never match the path a browser asks for).
  for (const field of ["startPath", "signOutPath"] as const) {
    const problem = S.routePathProblem(paths[field])
    if (problem !== undefined) return { _tag: "Invalid", field, message: problem }
  }
  // The start and the callback are both GET (and HEAD) routes of the service: at a path the router takes for one, it
  // refuses the second (a defect each time the routes are served on Effect 3; the router not built on Effect 4).
  if (routedAlike(paths.startPath, checked.settings.callbackPath)) {
    return {
      _tag: "Invalid",
      field: "startPath",
      message:
        "must not be callbackPath (both are GET routes: the router refuses the second at the same path)"
    }
  }
  // A signed-in browser's return that is no pending sign-in goes on to homePath (homeWhenSignedIn): a homePath the
  // router takes for the callback's would send it back there without end.
  if (routedAlike(paths.homePath, checked.settings.callbackPath)) {
    return {
      _tag: "Invalid",
      field: "homePath",
      message: "must not be callbackPath (a signed-in browser would be sent back to it without end)"
    }
  }
  // Sign-in and sign-out lead to homePath: a homePath the router takes for startPath's would start a new sign-in
  // (a new PIN at plex.tv) each time a browser signs in or out, or opens its return again while signed in.
  if (routedAlike(paths.homePath, paths.startPath)) {
    return {
      _tag: "Invalid",
      field: "homePath",
      message:
        "must not be startPath (a browser signed in or out would be sent to start a new sign-in each time)"
    }
  }
  // Each path as a URL writes it (raw non-ASCII percent-encoded, `/heim/ü` as `/heim/%C3%BC`): what an app puts in a
  // Location (whose header holds no raw non-ASCII: a defect on both editions' servers), an href or a form's action.
  // The routes are registered at the path the routers match, decoded (S.routePattern).
  const url = (path: string) => S.urlPath(path) as `/${string}`
  return {
    _tag: "Ok",
    settings: {
      ...checked.settings,
      callbackPath: url(checked.settings.callbackPath),
      startPath: url(paths.startPath),
      signOutPath: url(paths.signOutPath),
      homePath: url(paths.homePath)
    }
  }
}

/**
 * Whether both routers (`@effect/platform`'s and Effect 4's, find-my-way's defaults) send a browser that follows a
 * redirect to path `a` to the route of path `b`. The browser resolves `a`'s dot segments first (`.`, `..`, `%2e`:
 * `/auth/plex/home/../callback` is asked for as `/auth/plex/callback`); the routers then end the path at its first
 * `;` (`/auth/plex/callback;home` reaches the callback's route; an escaped `%3B` does not end it) and match what is
 * before it in any case, with or without a trailing slash, its %-escapes decoded as `decodeURI` does
 * (`/Auth/Plex/Callback/` and `/auth/plex/%63allback` reach `/auth/plex/callback`'s route; an escaped separator such
 * as `%2F` stays escaped: `/auth/plex%2Fcallback` is another route). By the routers' default settings, the most
 * lenient: stricter ones (Effect 3's `HttpRouter.setRouterConfig`, Effect 4's `HttpRouter.RouterConfig`,
 * `FindMyWay.strictConfig`) take fewer paths alike, but they are read where the routes are served, not where `make`
 * runs, so `make` refuses by these (docs/web-sign-in.md, "No redirect loop").
 */
export const routedAlike = (a: string, b: string): boolean => routeKey(a) === routeKey(b)

const routeKey = (path: string): string => {
  let key = new URL(path, "http://localhost").pathname.split(";")[0] ?? ""
  try {
    key = decodeURI(key)
  } catch {
    // A malformed escape is matched as written (the routers find no route for it).
  }
  return key.toLowerCase().replace(/\/+$/, "")
}

/**
 * The answer of the start and callback routes to a `HEAD` (a link preview, a monitor, a prefetch): both routers
 * (`@effect/platform`'s and Effect 4's) answer a `HEAD` with the `GET` route of its path when there is no `HEAD`
 * route, and the start route's `GET` creates a PIN at plex.tv (the callback's checks one and uses the PIN cookie
 * up). The routes add a `HEAD` route of each path with this answer: 405, `Allow: GET`, nothing asked of plex.tv.
 */
export const headRefused = { status: 405, allow: "GET" } as const

/**
 * How the routes send a browser on (to the auth app from the start route, home after a sign-in or a sign-out): 303 See
 * Other, which a browser follows with a `GET` whatever it sent (the sign-out route's `POST`).
 */
export const redirectStatus = 303

/**
 * The sign-out route's answer to a `POST` from another origin or a sibling site (`signIn.ts`'s `sameOrigin` false):
 * 403, a plain text; no session is looked at.
 */
export const crossOriginSignOut = { status: 403, text: "Cross-origin sign-out refused" } as const

/** The sign-out route's answer when the sign-out failed (the session store did not answer): 500, a plain text. */
export const signOutFailed = { status: 500, text: "Sign-out failed" } as const

/**
 * Whether a request of the start route is a browser's speculative load, not a visitor's navigation: a prefetch or
 * a prerender (`Sec-Purpose: prefetch`, `prefetch;prerender`: speculation rules and `<link rel=prefetch>`), Chrome's
 * older `Purpose: prefetch`, Firefox's older `X-Moz: prefetch`, Safari's `X-Purpose: preview` (its Top Sites
 * previews). `header` reads a request header by its lower-case name. The start route creates no PIN for one (a page
 * that links "Sign in with Plex" with speculation rules, or a browser that prefetches a hovered link, would make
 * plex.tv PINs in the app's name that no one uses), and answers {@link speculativeRefused}.
 */
export const isSpeculative = (header: (name: string) => string | undefined): boolean => {
  // A structured-field list (`Sec-Purpose: prefetch;prerender`, `prefetch;anonymous-client-ip`): each item's token,
  // before its parameters.
  const tokens = (name: string): ReadonlyArray<string> =>
    (header(name) ?? "").split(",").map((item) => (item.split(";")[0] ?? "").trim().toLowerCase())
  return (
    tokens("sec-purpose").includes("prefetch") ||
    tokens("purpose").some((t) => t === "prefetch" || t === "preview") ||
    tokens("x-purpose").some((t) => t === "prefetch" || t === "preview") ||
    tokens("x-moz").includes("prefetch")
  )
}

/**
 * A request's headers as {@link isPrefetch} takes them: a web `Headers` (a `Request`'s), or a record of headers by
 * name (`@effect/platform`'s and Effect 4's `Headers`, lower-case names; Node's `IncomingHttpHeaders`, a value a list
 * when sent more than once).
 */
export type HeadersInput = Headers | Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/** Why `value` cannot be {@link HeadersInput}, or undefined. */
export const headersProblem = (value: unknown): string | undefined =>
  value !== null && typeof value === "object"
    ? undefined
    : "must be the request's headers: a Headers object or a record of headers by name"

/**
 * A reader by lower-case name of {@link HeadersInput}: a web `Headers`' own `get` (any object with a `get` method:
 * another implementation's `Headers`, a polyfill's or another realm's, is no `instanceof Headers` here, and a record
 * of headers holds no function); a record's lower-case name, else its name in any case (a record made by hand), a
 * list read as one comma-separated value.
 */
export const headerReader = (headers: HeadersInput): ((name: string) => string | undefined) => {
  if (typeof (headers as { readonly get?: unknown }).get === "function") {
    const web = headers as Headers
    return (name) => {
      const value = web.get(name)
      return typeof value === "string" ? value : undefined
    }
  }
  const record = headers as Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  return (name) => {
    let value = Object.hasOwn(record, name) ? record[name] : undefined
    if (value === undefined) {
      const found = Object.keys(record).find((k) => k.toLowerCase() === name)
      value = found === undefined ? undefined : record[found]
    }
    // From untyped JavaScript, a value that is neither (a number) is no value.
    return typeof value === "string" ? value : Array.isArray(value) ? value.join(", ") : undefined
  }
}

/**
 * Whether a request, by its headers, is a browser's prefetch or prerender ({@link isSpeculative}): what the public
 * `WebSignIn.isPrefetch` answers, for an app's own start route.
 */
export const isPrefetch = (headers: HeadersInput): boolean => isSpeculative(headerReader(headers))

/**
 * The start route's answer to a speculative load ({@link isSpeculative}): 503, no body, `Cache-Control: no-store`
 * (the routes' private headers), no cookie, no PIN at plex.tv, nothing counted against `startLimit`. A browser
 * keeps no prefetch or prerender that was not answered 2xx and, when the visitor does follow the link, makes a real
 * navigation, which starts the sign-in: "Any request with an error status (400-599) will not be stored in the
 * prefetch cache" (https://github.com/WICG/nav-speculation/issues/330, Chromium's answer; the web-platform test
 * speculation-rules/prefetch/no-http-cache-interference.https.html serves a prefetch 503 and `no-store`, and the
 * navigation after it gets the real page). No `Retry-After`: Chromium then stops prefetching from the app's origin
 * for that long (`PrefetchIneligibleRetryAfter`), the app's other pages too.
 */
export const speculativeRefused = { status: 503 } as const

/**
 * The most PINs a service's start creates per `startLimitWindow` (1 minute), by default: far above what the people
 * who may use one Plex server start in a minute, far below a crawler or bot that follows the "Sign in with Plex"
 * link without end (each visit a PIN at plex.tv in the app's name, until plex.tv rate-limits the app's client
 * identifier, and real visitors cannot sign in).
 */
export const defaultStartLimit = 30

/** Why `value` cannot be `startLimit`, or undefined: a whole number, 1 or more (or not given). */
export const startLimitProblem = (value: unknown): string | undefined =>
  value === undefined || (typeof value === "number" && Number.isSafeInteger(value) && value >= 1)
    ? undefined
    : "must be a whole number of PINs, 1 or more"

/** The most PINs one visitor's start creates per `startLimitWindow` (`startLimitPerKey`), by default. */
export const defaultStartLimitPerKey = 5

/** Why `value` cannot be `startLimitPerKey`, or undefined: a whole number, 1 or more (or not given). */
export const startLimitPerKeyProblem = startLimitProblem

/** Why `value` cannot be `startLimitKey`, or undefined: a function (or not given). */
export const startLimitKeyProblem = (value: unknown): string | undefined =>
  value === undefined || typeof value === "function"
    ? undefined
    : "must be a function of the request answering its visitor's key (a string) or undefined"

/**
 * How many visitors' keys a start window tracks at most. Only a start that creates a PIN adds its key, so a window
 * holds at most `startLimit` keys (30 by default) and this cap matters only for a `startLimit` above it: past it, a
 * key not yet tracked in the window is bounded by `startLimit` alone (allowed while the service's bound allows it).
 */
export const maxStartKeys = 4096

/**
 * How much of a visitor's key is kept: the first 256 characters (a key longer than that, e.g. a whole forwarded
 * header, is counted by its beginning: visitors whose keys begin alike share one allowance).
 */
export const maxStartKeyLength = 256

/**
 * The visitor's key as the start counts it, from what the app's `startLimitKey` answered: a string, not empty,
 * cut at {@link maxStartKeyLength}; anything else (undefined, an empty string, from untyped JavaScript a number) is
 * no key: that start is bounded by `startLimit` alone.
 */
export const startKey = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value.slice(0, maxStartKeyLength) : undefined

/** The start's bounds: `limit` PINs per window of `windowMillis` for the service, `perKey` for one visitor's key. */
export interface StartLimits {
  readonly limit: number
  readonly windowMillis: number
  readonly perKey: number
}

/**
 * The start's count in its window: the window opened at `opened` (the first start in it), `count` PINs asked of
 * plex.tv since, the PINs of each visitor's key in it (`keys`: only keys whose start created a PIN, so at most
 * `count` of them, and at most {@link maxStartKeys}; this window's own table, updated in place, dropped with the
 * window), and whether its refusals were logged (`warned` for `startLimit`, `keyWarned` for `startLimitPerKey`: each
 * once a window).
 */
export interface StartWindow {
  readonly opened: number
  readonly count: number
  readonly warned: boolean
  readonly keys: Map<string, number>
  readonly keyWarned: boolean
}

/**
 * The bound that refused a start, named by its option: `"startLimit"`, the service's PINs per window, or
 * `"startLimitPerKey"`, this visitor's share of them (never the visitor's key).
 */
export type StartBound = "startLimit" | "startLimitPerKey"

/**
 * Whether a start at `now` of a visitor with `key` (or none) may create a PIN: at most `limits.limit` per window of
 * `limits.windowMillis` for the service (a fixed window, opened by the first start after the last one ended; one
 * whose opening is ahead of `now`, the clock set back, ends too), and at most `limits.perKey` of them for one key in
 * the same window, so that one visitor (a bot) using its share up does not lock the others out, while the service's
 * bound stays the ceiling that protects the app's client identifier at plex.tv. A refused start counts nowhere. The
 * window to keep, and, refused, by which bound (`"startLimitPerKey"`: this key's share; `"startLimit"`: the
 * service's), how long until the window ends (`retryAfterMillis`) and whether to log it (`warn`: the window's first
 * refusal by that bound).
 */
export const startAllowance = (
  window: StartWindow | undefined,
  now: number,
  limits: StartLimits,
  key?: string | undefined
):
  | { readonly _tag: "Allowed"; readonly window: StartWindow }
  | {
      readonly _tag: "Refused"
      readonly bound: StartBound
      readonly window: StartWindow
      readonly retryAfterMillis: number
      readonly warn: boolean
    } => {
  if (window === undefined || now >= window.opened + limits.windowMillis || now < window.opened) {
    const keys = new Map<string, number>()
    if (key !== undefined) keys.set(key, 1)
    return { _tag: "Allowed", window: { opened: now, count: 1, warned: false, keys, keyWarned: false } }
  }
  const retryAfterMillis = window.opened + limits.windowMillis - now
  const keyCount = key === undefined ? undefined : window.keys.get(key)
  if (keyCount !== undefined && keyCount >= limits.perKey) {
    return {
      _tag: "Refused",
      bound: "startLimitPerKey",
      window: window.keyWarned ? window : { ...window, keyWarned: true },
      retryAfterMillis,
      warn: !window.keyWarned
    }
  }
  if (window.count >= limits.limit) {
    return {
      _tag: "Refused",
      bound: "startLimit",
      window: window.warned ? window : { ...window, warned: true },
      retryAfterMillis,
      warn: !window.warned
    }
  }
  if (key !== undefined && (keyCount !== undefined || window.keys.size < maxStartKeys)) {
    window.keys.set(key, (keyCount ?? 0) + 1)
  }
  return { _tag: "Allowed", window: { ...window, count: window.count + 1 } }
}

/** A `Retry-After` (whole seconds, rounded up, at least 1) for a wait of `millis`. */
export const retryAfterSeconds = S.retryAfterSeconds

/**
 * The `Retry-After` header's value a refusal of the start or the callback route carries ({@link retryAfterSeconds}:
 * whole seconds, rounded up, at least 1): past the start's `startLimit` (`TooManySignIns`, its 429), and wherever
 * plex.tv asked to wait (a `PlexUnavailable` whose answer had a `Retry-After`, at the start or at a return: the 503
 * passes the wait on). None for any other refusal.
 */
export const refusalRetryAfter = (error: {
  readonly _tag: string
  readonly retryAfterMillis?: number | undefined
}): string | undefined =>
  error._tag === "TooManySignIns" ||
  (error._tag === "PlexUnavailable" && error.retryAfterMillis !== undefined)
    ? String(retryAfterSeconds(error.retryAfterMillis ?? 0))
    : undefined

/** The warning a service logs at the first start its `startLimit` refuses in a window (no secret: counts only). */
export const startLimitWarning = (limit: number, windowMillis: number, retryAfterMillis: number): string =>
  `WebSignIn: ${limit} sign-ins were started within ${windowMillis / 1000} s (startLimit): the start route answers ` +
  `429 without asking plex.tv for a PIN for the next ${retryAfterSeconds(retryAfterMillis)} s (a crawler or bot ` +
  "following the sign-in link? startLimit and startLimitWindow set the bound, per app process)"

/**
 * The warning a service logs at the first start its `startLimitPerKey` refuses in a window: counts only, not the
 * visitor's key (from the app's `startLimitKey`, often the visitor's IP address: personal data, kept in memory for
 * the window only and never logged).
 */
export const startLimitPerKeyWarning = (
  perKey: number,
  windowMillis: number,
  retryAfterMillis: number
): string =>
  `WebSignIn: a visitor started ${perKey} sign-ins within ${windowMillis / 1000} s (startLimitPerKey): the start ` +
  `route answers that visitor 429 without asking plex.tv for a PIN for the next ${retryAfterSeconds(retryAfterMillis)} ` +
  "s, other visitors still sign in (a crawler or bot following the sign-in link? the visitor's key, from " +
  "startLimitKey, is not logged)"

/**
 * The warning a service logs, once, at the first start request its `startLimitKey` answers no key for (`undefined`, an
 * empty string): that start, and each like it, is bounded by `startLimit` alone. Most often a key the app cannot have:
 * `request.remoteAddress` under `HttpRouter.toWebHandler` (`Bun.serve`, `Deno.serve`), where requests have no address,
 * or a header the proxy in front is not setting; the per-visitor bound then never applies, and nothing else says so.
 */
export const noStartKeyWarning =
  "WebSignIn: startLimitKey answered no key for a start request: starts without a key are bounded by startLimit " +
  "alone, not startLimitPerKey (logged once; a server that gives requests no address, as HttpRouter.toWebHandler " +
  "under Bun.serve or Deno.serve, has no request.remoteAddress; a header your proxy sets may be missing)"

/** The app's identity (the app.plex.tv URL names its product and version only). */
export type Identity = Omit<AuthUrl.AuthUrlInput, "code" | "forwardUrl" | "appUrl">

/**
 * The start of a sign-in for a PIN plex.tv created: the app.plex.tv URL
 * (the code in its fragment; `forwardUrl` the callback with a fresh nonce)
 * and the signed PIN-flow cookie (the PIN and the nonce), valid `pinMillis`.
 */
export const start = async (options: {
  readonly key: CryptoKey
  readonly settings: S.Settings
  readonly identity: Identity
  readonly pin: { readonly id: number; readonly code: string }
  readonly now: number
  readonly pinMillis: number
  readonly authAppUrl: string
}): Promise<{ readonly url: string; readonly cookie: SetCookie }> => {
  const { identity, pin, settings } = options
  const nonce = S.newNonce()
  const value = await Signed.sign(
    options.key,
    S.pinPurpose,
    S.pinData({ id: pin.id, code: pin.code, nonce }),
    options.now + options.pinMillis
  )
  // The app's product and version only, not the platform, OS release, device or host name of its identity (on Node,
  // by default, the server's own: `vm`, `6.18.44-...`): this URL goes to every visitor who presses the button, signed
  // in or not, and would tell each the app server's host name and kernel release. plex.tv has the whole identity
  // from the PIN request's headers all the same (the account's devices list shows it).
  // The version is the PIN request's X-Plex-Version (the app's, else ClientIdentity's default, the library's own), as
  // python-plexapi's MyPlexPinLogin.oauthUrl and @ctrl/plex's MyPlexPinLogin.oauthUrl put their X-Plex-Version there.
  const url = AuthUrl.authUrl({
    clientIdentifier: identity.clientIdentifier,
    product: identity.product,
    version: identity.version,
    code: pin.code,
    forwardUrl: S.callbackUrl(settings, nonce),
    appUrl: options.authAppUrl
  })
  return { url, cookie: S.pinCookie(settings, value, options.pinMillis / 1000) }
}

/** Why a callback is not one this browser started. */
export type NotStartedReason = "NoCookie" | "Invalid" | "Expired" | "StateMismatch"

/**
 * How many values sent under the PIN cookie's name {@link readPin} tries, in the order sent. A browser sends one,
 * or two over plain http (the one from before `Path=/`); a `Cookie` header made up of hundreds of signed-looking
 * values would otherwise cost one HMAC each, hundreds per request where one was enough.
 */
export const maxPinCookieValues = 8

/**
 * The values of the PIN cookie a `Cookie` header sends that are read: the first {@link maxPinCookieValues} not empty.
 * One list for the return ({@link readPin}) and the sign-out ({@link pendingNonces}): a value the return may take is
 * one the sign-out ends.
 */
const pinCookieValues = (cookie: string | undefined, settings: S.Settings): ReadonlyArray<string> =>
  Cookies.cookieValues(cookie, settings.pinCookie)
    .filter((value) => value !== "")
    .slice(0, maxPinCookieValues)

/**
 * How many sign-in returns a service keeps in flight by their PIN's nonce, so that a return that comes while the
 * same one runs (two "Try again" clicks) waits for its outcome instead of opening a second session. Past it, a
 * return runs on its own: the table stays bounded however many sign-ins are started at once.
 */
export const maxReturnsInFlight = 1024

/**
 * The PIN nonces of the sign-ins pending in a `Cookie` header: each value under the PIN cookie's name (at most
 * {@link maxPinCookieValues}) whose signature verifies and that has not expired, whatever return it is for. A sign-out
 * ends them ({@link SignOuts}).
 */
export const pendingNonces = async (
  key: CryptoKey,
  settings: S.Settings,
  cookie: string | undefined,
  now: number
): Promise<ReadonlyArray<string>> => (await pendingPins(key, settings, cookie, now)).map((pin) => pin.nonce)

/**
 * The PINs of the sign-ins pending in a `Cookie` header (as {@link pendingNonces}): their plex.tv id and code too, for
 * a sign-out that revokes to check them ({@link checksPendingPin}). Each nonce once, as first sent: a `Cookie` header
 * may send one PIN cookie twice (its old path's and its new one's), and a sign-out that took it twice would find, the
 * second time, the session its return opened already handed over ({@link SignOuts.end}), and ask plex.tv for a PIN
 * whose token that session holds.
 */
export const pendingPins = async (
  key: CryptoKey,
  settings: S.Settings,
  cookie: string | undefined,
  now: number
): Promise<ReadonlyArray<S.PinState>> => {
  const pins: Array<S.PinState> = []
  for (const raw of pinCookieValues(cookie, settings)) {
    const verified = await Signed.verify([key], S.pinPurpose, raw, now)
    const pin = verified._tag === "Invalid" ? undefined : S.readPinData(verified.data)
    if (pin !== undefined && !pins.some((other) => other.nonce === pin.nonce)) pins.push(pin)
  }
  return pins
}

/**
 * Whether a sign-out asks plex.tv for the PIN of a sign-in pending in its browser (its PIN cookie sent), to revoke the
 * token plex.tv gave for it if it is approved: only a sign-out that revokes (`revoke`), and only for a PIN whose token
 * nothing else revokes. Such a PIN may be approved with no session holding its token: its tab closed at app.plex.tv
 * before the return, or its return failed after obtaining the token and kept the PIN cookie for "Try again"
 * ({@link retriesAtReturn}: the access check or the session's save failed); plex.tv hands an approved PIN's token out
 * again until the PIN expires, and the sign-out ends the sign-in ({@link SignOuts}), so no return will ever hold that
 * token. Not asked for a PIN whose return opened a session (`opened`: the sign-out revokes that session's token,
 * the same one), or whose return is in flight (`inFlight`: that return revokes the token it obtains,
 * {@link SignOuts.revokes}); nor while another sign-out asks for it, nor once one had its answer
 * ({@link SignOuts.claimPinCheck}).
 */
export const checksPendingPin = (options: {
  readonly revoke: boolean
  readonly opened: boolean
  readonly inFlight: boolean
}): boolean => options.revoke && !options.opened && !options.inFlight

/**
 * How many times the sign-outs of a browser ask plex.tv for one pending sign-in's PIN ({@link checksPendingPin}), at
 * most: a check that had no answer (plex.tv failing or silent, the revocation failing, the sign-out's request gone
 * meanwhile) leaves it to a later sign-out that revokes, but sign-outs sent over and over (each may send
 * {@link maxPinCookieValues} PIN cookies) do not ask plex.tv over and over.
 */
export const maxPendingPinChecks = 3

/**
 * Whether what a sign-out found for a pending sign-in's PIN ({@link PendingPinOutcome}) settles it: its token revoked,
 * the PIN not approved or expired at plex.tv. A later sign-out that revokes does not ask again then; it does when the
 * check had no answer (`Unchecked`) or the revocation failed (`NotRevoked`), as when the sign-out was interrupted.
 */
export const settlesPendingPin = (outcome: PendingPinOutcome): boolean =>
  outcome._tag !== "Unchecked" && outcome._tag !== "NotRevoked"

/**
 * What a sign-out that revokes found at plex.tv for a pending sign-in's PIN ({@link checksPendingPin}): its token
 * `Revoked`, or `NotRevoked` (the revocation failed: logged as any), `NotApproved` (no token to revoke), `Expired`
 * (plex.tv no longer knows the PIN: a token it gave cannot be found), `Unchecked` (plex.tv did not answer the check
 * within {@link revokeWaitMillis}, or failed it: `failure`, its tag).
 */
export type PendingPinOutcome =
  | { readonly _tag: "Revoked" | "NotRevoked" | "NotApproved" | "Expired" }
  | { readonly _tag: "Unchecked"; readonly failure: string }

/**
 * The line a sign-out logs for a pending sign-in's PIN it checked ({@link PendingPinOutcome}), and its level: never a
 * secret (no token, PIN id or code, nonce). A sign-out never fails for it. `undefined` for `NotRevoked`: the
 * revocation's own Warning says why. `returned`: a return of that sign-in opened a session, ended by an earlier
 * sign-out ({@link SignOuts.returned}: one that did not revoke, or whose revocation failed), so its token is revoked
 * now, not one of a return that never finished.
 */
export const pendingPinLog = (
  outcome: PendingPinOutcome,
  returned = false
): { readonly level: "Info" | "Warning"; readonly message: string } | undefined => {
  const of = "a sign-in pending in the browser that signed out"
  switch (outcome._tag) {
    case "Revoked":
      return {
        level: "Info",
        message: `WebSignIn: ${of} had its PIN approved at plex.tv, ${returned ? "its return opened a session, since ended" : "its return never finished"}: the Plex token plex.tv gave for it was revoked`
      }
    case "NotRevoked":
      return undefined
    case "NotApproved":
      return { level: "Info", message: `WebSignIn: ${of} was not approved at plex.tv: no token to revoke` }
    case "Expired":
      return {
        level: "Info",
        message: `WebSignIn: ${of} has expired at plex.tv: a token it may have given could not be revoked`
      }
    case "Unchecked":
      return {
        level: "Warning",
        message: `WebSignIn: ${of} could not be checked at plex.tv (${outcome.failure}): a token it may have given was not revoked`
      }
  }
}

/**
 * How many sign-ins {@link SignOuts} keeps, ended or with the session their return opened; past it, the oldest with a
 * session goes first, an ended one only for another ended one.
 */
export const maxSignOutEntries = 1024

/**
 * Sign-out wins over a sign-in in flight in the same browser. A sign-out that sends a pending sign-in's PIN cookie
 * ends that sign-in ({@link SignOuts.end}), by its PIN's nonce: its return, in flight (waiting on plex.tv, the store)
 * or still to come (the cookie's deletion not yet at the browser), opens no session ({@link SignOuts.ended}), and a
 * session one of its returns opened already, whose cookie had not reached the browser when it sent the sign-out, is
 * handed to the sign-out to remove ({@link SignOuts.opened} then `end`). Each entry is kept until the PIN cookie that
 * names it has expired (`until`: a sign-out or a return at `now` reads a cookie issued at the latest at `now`, so
 * `now` plus `pinLifetime`), at most {@link maxSignOutEntries}. Every return that opens a session records it, so past
 * the bound (a site whose `startLimit` lets more sign-ins through in a PIN's lifetime) the oldest of those goes first
 * (its cookie has most likely reached its browser by then); a sign-in a sign-out ended goes only to make room for
 * another one ended, never for a session opened (ordinary traffic must not make a sign-out forgotten: its return
 * would open a session after it), and when every entry is an ended one the session opened is not recorded. A return
 * that signed its browser in marks its sign-in {@link SignOuts.finished}: the PIN cookie is used once, a return of it
 * sent again opens no second session ({@link SignOuts.answered}, {@link returnAgainLog}). In memory: a sign-out
 * reaches the returns of this process (another process over the same store is not told), and so does a return's use
 * of its PIN cookie.
 */
export class SignOuts {
  private readonly entries = new Map<string, SignOutEntry>()

  private put(nonce: string, entry: SignOutEntry, now: number) {
    for (const [key, { until }] of this.entries) if (until <= now) this.entries.delete(key)
    this.entries.delete(nonce)
    if (this.entries.size >= maxSignOutEntries) {
      // The oldest with a session first; an ended sign-in only for another ended one.
      let oldest: string | undefined
      for (const [key, { storageKey }] of this.entries)
        if (storageKey !== undefined) {
          oldest = key
          break
        }
      if (oldest === undefined && entry.storageKey !== undefined) return
      this.entries.delete(oldest ?? this.entries.keys().next().value!)
    }
    this.entries.set(nonce, entry)
  }

  /**
   * A sign-out that sent the PIN cookie of `nonce`: that sign-in ends (until `until`), its token to be revoked by a
   * return that obtains it when the sign-out revokes (`revoke`), or an earlier one of it did (a later sign-out that
   * does not, another tab's, takes nothing back). Answers the storage key of the session one of its returns opened,
   * if any, for the sign-out to remove.
   */
  end(nonce: string, until: number, now: number, revoke: boolean): string | undefined {
    const entry = this.entries.get(nonce)
    const live = entry !== undefined && entry.until > now
    // The checks of its PIN a sign-out that revokes made (claimPinCheck) are kept: a later sign-out does not ask again
    // for a PIN settled, or asked maxPendingPinChecks times, or being asked. So is whether a return opened a session.
    const kept = live
      ? {
          pinChecks: entry.pinChecks,
          pinCheck: entry.pinCheck,
          returned: entry.returned ?? entry.storageKey !== undefined
        }
      : {}
    this.put(nonce, { until, revoke: revoke || (live && entry.revoke === true), ...kept }, now)
    return live ? entry.storageKey : undefined
  }

  /**
   * Whether a return of the sign-in of `nonce` opened a session that a sign-out has ended since ({@link end} handed
   * it over): a later sign-out that checks its PIN revokes the token of that session, not one of a return that never
   * finished ({@link pendingPinLog}).
   */
  returned(nonce: string): boolean {
    return this.entries.get(nonce)?.returned === true
  }

  /** Whether a sign-out ended the sign-in of `nonce` (a return of it opens no session). */
  ended(nonce: string, now: number): boolean {
    const entry = this.entries.get(nonce)
    return entry !== undefined && entry.until > now && entry.storageKey === undefined
  }

  /**
   * A return of `nonce` has written its session (`storageKey`): `false`, nothing kept, when a sign-out ended the
   * sign-in meanwhile (the return removes the session and opens none); `true` otherwise, the session kept for a
   * sign-out sent before its cookie reached the browser. One step: no sign-out falls between the two.
   */
  opened(nonce: string, storageKey: string, until: number, now: number): boolean {
    if (this.ended(nonce, now)) return false
    this.put(nonce, { until, storageKey }, now)
    return true
  }

  /**
   * A return of `nonce` that opened a session ({@link opened}) has finished: its answer carries the session cookie and
   * the PIN cookie's deletion. The PIN cookie is used then: {@link answered} answers `true` until it has expired
   * (`until`, the entry's), or the entry goes past {@link maxSignOutEntries}. A return whose request went after it
   * opened the session (interrupted before it finished: its answer never sent) leaves it unused, so the same return
   * tried again still signs the browser in.
   */
  finished(nonce: string): void {
    const entry = this.entries.get(nonce)
    if (entry?.storageKey !== undefined) this.entries.set(nonce, { ...entry, finished: true })
  }

  /**
   * Whether a return of `nonce` signed its browser in ({@link finished}): its PIN cookie sent again (a copy of it, or
   * one whose deletion the browser did not apply) is as if deleted, its return opens no second session, before or
   * after a sign-out of that browser (plex.tv hands out an approved PIN's token again until the PIN expires).
   */
  answered(nonce: string, now: number): boolean {
    const entry = this.entries.get(nonce)
    return entry !== undefined && entry.until > now && entry.finished === true
  }

  /**
   * The end of a return of `nonce` that opened no session (failed, or its request gone): its entry among the returns
   * in flight removed (`inFlight`, when it has one), and whether a sign-out that revokes ended its sign-in (the return
   * then revokes what it leaves: the token it obtained, or its PIN's), in one step. A sign-out that comes before it
   * found the return in flight and left the PIN to it ({@link checksPendingPin}); one that comes after finds no
   * return in flight and checks the PIN itself: no sign-out falls between the decision and the removal.
   */
  returnEnded(nonce: string, now: number, inFlight?: { delete(nonce: string): unknown }): boolean {
    inFlight?.delete(nonce)
    return this.ended(nonce, now) && this.revokes(nonce)
  }

  /** Whether the sign-out that ended the sign-in of `nonce` revokes: the token its return obtained is revoked. */
  revokes(nonce: string): boolean {
    return this.entries.get(nonce)?.revoke === true
  }

  /**
   * Claims the check at plex.tv of the PIN of `nonce` for a sign-out that revokes and ended its sign-in ({@link end},
   * {@link checksPendingPin}): `false` while another sign-out asks for it, once one found what settles it
   * ({@link settlesPendingPin}), or once it was asked {@link maxPendingPinChecks} times; `true` otherwise, the claim
   * held until {@link pinChecked}. An entry no longer kept (expired, or gone past {@link maxSignOutEntries}): `true`.
   * Without `claim`, only whether it would be (nothing held, not counted): a check the sign-out will not send.
   */
  claimPinCheck(nonce: string, now: number, claim = true): boolean {
    const entry = this.entries.get(nonce)
    if (entry === undefined || entry.until <= now) return true
    const pinChecks = entry.pinChecks ?? 0
    if (entry.pinCheck !== undefined || pinChecks >= maxPendingPinChecks) return false
    if (claim) this.entries.set(nonce, { ...entry, pinChecks: pinChecks + 1, pinCheck: "Asking" })
    return true
  }

  /**
   * The end of a check {@link claimPinCheck} claimed: `settled` ({@link settlesPendingPin}), no later sign-out asks
   * again; otherwise (no answer, the revocation failed, the sign-out interrupted) a later one that revokes may.
   */
  pinChecked(nonce: string, settled: boolean): void {
    const entry = this.entries.get(nonce)
    if (entry?.pinCheck !== "Asking") return
    const { pinCheck: _, ...rest } = entry
    this.entries.set(nonce, settled ? { ...rest, pinCheck: "Settled" } : rest)
  }

  /**
   * The token of the PIN of `nonce` was revoked: by its return, in flight when a sign-out that revokes ended its
   * sign-in (which left the PIN to it: {@link checksPendingPin}), or by a sign-out with the session that return opened
   * (the session's `returnState`). Settled, as by a check that found it revoked ({@link pinChecked}): a later sign-out
   * that revokes (the PIN cookie's deletion not at the browser) does not ask plex.tv for the PIN again, to be handed
   * that revoked token and log that it could not revoke it. An entry not kept (a session's older sign-in): nothing.
   */
  pinRevoked(nonce: string): void {
    const entry = this.entries.get(nonce)
    if (entry !== undefined) this.entries.set(nonce, { ...entry, pinCheck: "Settled" })
  }
}

/**
 * The Info line of a return refused because its sign-in had signed its browser in already ({@link SignOuts.answered}):
 * its PIN cookie sent again, no second session opened. Never a secret (no PIN, nonce or user).
 */
export const returnAgainLog =
  "WebSignIn: a sign-in's return came again after it had signed its browser in (its PIN cookie sent again): no second session opened"

/** A sign-in {@link SignOuts} keeps: ended by a sign-out, or with the session its return opened (`storageKey`). */
interface SignOutEntry {
  readonly until: number
  readonly storageKey?: string | undefined
  readonly revoke?: boolean | undefined
  /** How many times a sign-out that revokes claimed the check of its PIN ({@link SignOuts.claimPinCheck}). */
  readonly pinChecks?: number | undefined
  /** A sign-out asking plex.tv for its PIN now, or one found what settles it. */
  readonly pinCheck?: "Asking" | "Settled" | undefined
  /** A return of it opened a session, which a sign-out ended ({@link SignOuts.returned}). */
  readonly returned?: boolean | undefined
  /** A return of it signed its browser in, its PIN cookie used ({@link SignOuts.finished}). */
  readonly finished?: boolean | undefined
}

/**
 * How long the removal of one ended session (past `sessionMax`, by the fiber a sign-in starts) may take before it
 * is given up, the session left listed for a later sign-in: a store call that hangs must not stop that clean-up
 * for good (one removal fiber at a time).
 */
export const endedRemovalTimeoutMillis = 30_000

/**
 * How long a sign-in waits for the store to remove the browser's previous session (a new session id at every
 * sign-in) before leaving it for its expiry and signing in: a store call that hangs for that one session (or its
 * lock held by one) must not stop the browser from signing in again.
 */
export const previousRemovalTimeoutMillis = 5_000

/**
 * How long a request waits for the session store: the new session's save at sign-in (less when less is left of the
 * return's `callbackWait`), a session's read, rewrite (`modify`) or removal when a request is authenticated, and a
 * sign-out's read and removal of its session. A store call not answered by then (a store that hangs, or a session's
 * lock held by a call that does) is taken as a failed one (`SessionStoreError`): at the sign-in's return the 503 page
 * whose "Try again" is this return, elsewhere a 500; never a request held for ever.
 */
export const storeWaitMillis = 5_000

/**
 * How long a sign-out that also revokes the user's Plex token (`revokeOnSignOut`) waits for plex.tv: a plex.tv that
 * does not answer must not hold the browser's sign-out for the per-attempt timeout (30 s) and its retries. Past it
 * the revocation is given up (its request interrupted, the token perhaps still valid, a warning logged, `revoked: false`);
 * the session is ended all the same.
 */
export const revokeWaitMillis = 5_000

/**
 * How many requests to plex.tv a sign-out that revokes has in flight at once: the revocation of each session's token
 * it ends, and the check of each pending sign-in's PIN ({@link checksPendingPin}) with perhaps its token's revocation.
 * A `Cookie` header may send {@link maxPinCookieValues} PIN cookies: one after another they held the sign-out up to
 * 8 times 10 s; all at once they would be a burst plex.tv may rate-limit.
 */
export const signOutRequestsAtOnce = 4

/**
 * How long a sign-out that revokes waits for plex.tv in all ({@link signOutRequestsAtOnce} requests at a time), from
 * its first request: one check and its revocation ({@link revokeWaitMillis} each). A request still waiting then is
 * given up (a Warning, as for one with no answer: {@link waitedFor}), and one not started yet is not sent (a Warning
 * too): a PIN left so is left to a later sign-out that revokes ({@link SignOuts.claimPinCheck}), a session's token
 * stays valid (the session is ended all the same).
 */
export const signOutRequestsWaitMillis = 2 * revokeWaitMillis

/**
 * How long a sign-out's request to plex.tv waited with no answer, for its Warning: `waitMillis`, the wait it was given,
 * {@link revokeWaitMillis} or less when {@link signOutRequestsWaitMillis} ended it; 0 for a request not sent, that wait over.
 */
export const waitedFor = (waitMillis: number): string =>
  waitMillis < revokeWaitMillis
    ? `within the sign-out's ${signOutRequestsWaitMillis / 1000} s`
    : `within ${revokeWaitMillis / 1000} s`

/**
 * How long a start waits for plex.tv to create its PIN: a plex.tv that does not answer must not hold the visitor's
 * click on "Sign in with Plex" for the per-attempt timeout (30 s), as long as a proxy in front of the app may wait
 * (Heroku's router: 30 s) before cutting the request, the 503 page never shown. Past it the start fails with
 * `PlexUnavailable` (`createPin`, `NetworkError`: no answer in time), its request interrupted (the bound is the
 * start's, over a `RetryPolicy`'s retries: a retry due past it is not sent); a PIN plex.tv
 * creates after that is never shown to anyone, and expires there.
 */
export const startWaitMillis = 10_000

/**
 * plex.tv's last answer to a start's PIN request, while the start waits (a `RetryPolicy` retrying it): its status, the
 * wait its `Retry-After` asked for (core policy `parseRetryAfter`, at most 2^31 s, read when it came), and when it
 * came. None once the next request is sent ({@link startAnswered} is given `undefined` then): that attempt has no answer yet.
 */
export interface StartAnswer {
  readonly status: number
  readonly retryAfterMillis: number | undefined
  readonly at: number
}

/**
 * The {@link StartAnswer} of an answer with `status` and `Retry-After` `retryAfter` that came at `now`. A success (2xx)
 * asks for no wait, whatever it carries: plex.tv answered the request, and one whose body then does not come in time
 * ({@link startTimedOut}) is no answer, not "busy" (RFC 9110 10.2.3 gives `Retry-After` a meaning with a 503, a 3xx,
 * and a 429 by RFC 6585; a CDN's or proxy's on a success is none of those).
 */
export const startAnswered = (status: number, retryAfter: string | undefined, now: number): StartAnswer => ({
  status,
  retryAfterMillis: status < 300 ? undefined : parseRetryAfter(retryAfter, now),
  at: now
})

/**
 * Why a start whose {@link startWaitMillis} ran out at `now` failed (`PlexUnavailable`'s fields but `operation`), by
 * plex.tv's last answer (`last`): when it was waiting out that answer's `Retry-After` (a 429, or a 503, retried by a
 * `RetryPolicy` after up to a minute), plex.tv asked to be asked later, and the start says so as if it had not waited:
 * the answer's failure (core `classify`: `RateLimited` for a 429), its status, and what is left of its wait (at least
 * 0), so the start route's page says "busy" and its 503 carries the `Retry-After`. Otherwise plex.tv did not answer
 * in time (`noAnswer`, no status): no answer yet to the request in flight, or none with a `Retry-After`. A return's
 * request to plex.tv that `callbackWait` ends (its PIN check) is told the same way, with `noAnswer` the
 * `callbackWaitFailure`: "busy" with the wait left, the PIN cookie kept ({@link retriesAtReturn}), not "did not answer".
 */
export const startTimedOut = (
  last: StartAnswer | undefined,
  now: number,
  noAnswer: string = S.startWaitFailure
): { readonly failure: string; readonly status?: number; readonly retryAfterMillis?: number } =>
  last?.retryAfterMillis === undefined
    ? { failure: noAnswer }
    : {
        failure: classify(last.status, [], "", {}),
        status: last.status,
        retryAfterMillis: Math.max(0, last.at + last.retryAfterMillis - now)
      }

/**
 * The PIN this browser started, from the callback's `Cookie` header and URL:
 * the PIN-flow cookie must verify (signature, purpose, expiry) and its nonce
 * equal the URL's `state` (compared in constant time). Anything else is a
 * return this browser did not start (login CSRF, an old tab). A browser may
 * send the cookie's name twice (another path: over plain http, the PIN cookie
 * from before it took `Path=/` had the callback's path, and is sent first):
 * each value is tried (the first {@link maxPinCookieValues}), and the one this
 * return is for is taken; when none is, the reason is `StateMismatch` if a value verified (a sign-in of this app
 * is pending in this browser, whose cookie {@link keepsPinCookie} keeps, whatever was sent before it), else the
 * first value's. (Over https only the `__Host-` name is read, which no other path or host can set.)
 */
export const readPin = async (
  key: CryptoKey,
  settings: S.Settings,
  request: { readonly cookie: string | undefined; readonly url: string },
  now: number
): Promise<
  | { readonly _tag: "Ok"; readonly pin: S.PinState }
  | { readonly _tag: "NotStarted"; readonly reason: NotStartedReason }
> => {
  const values = pinCookieValues(request.cookie, settings)
  let first: { readonly _tag: "NotStarted"; readonly reason: NotStartedReason } | undefined
  let pending = false
  for (const raw of values) {
    const read = await readPinValue(key, settings, raw, request.url, now)
    if (read._tag === "Ok") return read
    first ??= read
    if (read.reason === "StateMismatch") pending = true
  }
  // A pending sign-in's cookie sent after another app's, an unsigned or an expired value: still kept.
  if (pending) return { _tag: "NotStarted", reason: "StateMismatch" }
  return first ?? { _tag: "NotStarted", reason: "NoCookie" }
}

const readPinValue = async (
  key: CryptoKey,
  settings: S.Settings,
  raw: string,
  url: string,
  now: number
): Promise<
  | { readonly _tag: "Ok"; readonly pin: S.PinState }
  | { readonly _tag: "NotStarted"; readonly reason: NotStartedReason }
> => {
  const verified = await Signed.verify([key], S.pinPurpose, raw, now)
  if (verified._tag === "Invalid") {
    return { _tag: "NotStarted", reason: verified.reason === "Expired" ? "Expired" : "Invalid" }
  }
  const pin = S.readPinData(verified.data)
  if (pin === undefined) return { _tag: "NotStarted", reason: "Invalid" }
  const state = S.stateOf(url, settings.origin)
  if (state === null || !Signed.constantTimeEqualText(pin.nonce, state)) {
    return { _tag: "NotStarted", reason: "StateMismatch" }
  }
  return { _tag: "Ok", pin }
}

/**
 * Whether a callback refused for `reason` leaves the PIN-flow cookie in place. Every refusal deletes it (a
 * PIN cookie is used once) but a `StateMismatch`: the cookie verified, but for another return than this
 * one, a sign-in started since in this browser (a second tab, a second click on "Sign in"), which is still
 * to come back and would otherwise be refused too. A forged return gains nothing from it either way.
 */
export const keepsPinCookie = (reason: string): boolean => reason === "StateMismatch"

/**
 * Whether a callback refused with `error` may go on to the app's `homePath` (a 303, as after a sign-in) when the
 * browser is signed in to this app (its session cookie verifies and names a session the store holds, not ended, that
 * this return opened: {@link returnLeadsHome} decides): a return that is no pending sign-in of this browser
 * (`SignInNotStarted` with no PIN cookie, one that does not verify or has expired), such as the return link opened
 * again in a second tab, by the back button or from a bookmark, after the sign-in it was for (whose PIN cookie that
 * sign-in used up). The user is signed in: the "Sign-in not started here" page would tell them to start again for
 * nothing. Nothing is created or changed for it (no session, no cookie but the PIN cookie's deletion the page would
 * have sent), so a return link gains nothing by it: it leads a signed-in browser to its own session's home page (no
 * login CSRF, no session fixation), and only to `homePath`, the app's own path, never to an address the URL carries
 * (no open redirect). A `StateMismatch` (another sign-in of this browser pending, its PIN cookie kept: perhaps the
 * user is signing in with another account) shows its page as before, as does every other refusal.
 */
export const homeWhenSignedIn = (error: {
  readonly _tag: string
  readonly reason?: string | undefined
}): boolean =>
  error._tag === "SignInNotStarted" && error.reason !== undefined && !keepsPinCookie(error.reason)

/** A return {@link homeWhenSignedIn} may send on, with the session its browser's session cookie names. */
export interface ReturnOfSession {
  readonly settings: S.Settings
  readonly url: string
  /** The session as the store holds it; `undefined` when it holds none (or an unreadable value). */
  readonly record: S.SessionRecord | undefined
  readonly now: number
  readonly idleMillis: number
  readonly maxMillis: number
}

/**
 * Who the browser of a return {@link homeWhenSignedIn} may send on is signed in as, for that return: the session's
 * username when it has not ended (idle, past `maxMillis`) and plex.tv has not refused its access since (`deniedAt`:
 * `authenticate` answers `AccessDenied`, or 503 while plex.tv cannot be asked, so the home page would only show the
 * refusal); else `undefined`. A return that does not go home ({@link returnLeadsHome}) shows its page, which says the
 * browser is still signed in as that user (the lapsed sign-in of another account did not replace them).
 */
export const signedInAs = (options: Omit<ReturnOfSession, "settings" | "url">): string | undefined => {
  const { record } = options
  if (record === undefined) return undefined
  if (S.renewal(options.now, record, options.idleMillis, options.maxMillis)._tag === "Expired")
    return undefined
  return record.deniedAt === undefined ? record.user.username : undefined
}

/**
 * Whether a return {@link homeWhenSignedIn} lets go on to `homePath` does, by the session the browser's session cookie
 * names (`record`, as the store holds it; `undefined` when it holds none) at `now`: the session has not ended (idle,
 * past `maxMillis`), plex.tv has not refused its access (`deniedAt`: `authenticate` answers `AccessDenied`), and the
 * return is the one that opened it (the URL's `state` is the session's `returnState`) or
 * carries no `state` (the callback's address from a bookmark or typed, which no sign-in sent back). A return with
 * another `state` is another sign-in's: most likely one this browser started since (perhaps with another account)
 * whose PIN cookie lapsed (`pinLifetime`) while the user was at app.plex.tv. Sent home, still signed in as before, the
 * user would take that sign-in for done; its page says the sign-in was not started here or took too long, and to
 * start again. It cannot be told from a forged or an older return (no PIN cookie holds its nonce any more), which show
 * the page too: nothing is lost by it, the browser stays signed in. A session opened before `returnState` was kept has
 * none: its return link opened again shows the page as well.
 */
export const returnLeadsHome = (options: ReturnOfSession): boolean => {
  const { record } = options
  if (record === undefined || signedInAs(options) === undefined) return false
  if (!hasState(options.settings, options.url)) return true
  const state = S.stateOf(options.url, options.settings.origin) ?? ""
  return record.returnState !== undefined && Signed.constantTimeEqualText(record.returnState, state)
}

/**
 * The failures (the `failure` of a `PlexUnavailable`) that say plex.tv is unavailable for now, not that it refused:
 * no answer (`NetworkError`, a timeout included), rate limiting (`RateLimited`, 429) or an answer that was not one
 * (`Unexpected`: a 5xx, a maintenance page). A `BadRequest` or `Unauthorized` is plex.tv's refusal.
 */
export const unavailableForNow = (failure: string): boolean =>
  failure === "NetworkError" || failure === "RateLimited" || failure === "Unexpected"

/**
 * Whether a callback that failed with `error`, its return this browser's own (cookie and `state` verified), can be
 * tried again as it is, the same return: plex.tv unavailable for now ({@link unavailableForNow}, or an answer that
 * asked to be tried later, whatever its status: a `Retry-After`, `retryAfterMillis`, as on a 403 or 400 from a CDN or
 * a rate limiter in front of plex.tv, which the start takes for "busy" too), or the app's session store failing to
 * save the session (`SessionStoreError`: the PIN was approved, access granted). The PIN stays valid for its lifetime
 * and may already be approved: reloading the return finishes the sign-in once plex.tv answers or the store recovers,
 * instead of starting again.
 */
export const retriesAtReturn = (error: {
  readonly _tag: string
  readonly failure?: string | undefined
  readonly retryAfterMillis?: number | undefined
}): boolean =>
  error._tag === "SessionStoreError" ||
  (error._tag === "PlexUnavailable" &&
    (error.retryAfterMillis !== undefined ||
      (error.failure !== undefined && unavailableForNow(error.failure))))

/**
 * Whether a callback that failed with `error` leaves the PIN-flow cookie in place: a return refused as another's
 * ({@link keepsPinCookie}), or one that can be tried again ({@link retriesAtReturn}: plex.tv unavailable for now,
 * the session store failing). Nothing lives longer for it: the cookie is not set again (its `Max-Age` stands) and
 * carries its signed expiry, past which {@link readPin} refuses it (`Expired`, and deletes it); a return still needs
 * this browser's cookie with the URL's `state`, and plex.tv to show the PIN approved. Every other refusal is final
 * and deletes the cookie (a PIN cookie is used once).
 */
export const keepsPinCookieAfter = (error: {
  readonly _tag: string
  readonly reason?: string | undefined
  readonly failure?: string | undefined
  readonly retryAfterMillis?: number | undefined
}): boolean =>
  error._tag === "SignInNotStarted"
    ? error.reason !== undefined && keepsPinCookie(error.reason)
    : retriesAtReturn(error)

/**
 * Where a refusal page's "Try again" leads after a failure that {@link retriesAtReturn} (plex.tv unavailable for
 * now, the session store failing; the PIN cookie kept): this return again (the callback's path and the URL's
 * `state`, on this origin), or `undefined` when the URL carries no `state`.
 */
export const retryPath = (settings: S.Settings, url: string): string | undefined => {
  const state = S.stateOf(url, settings.origin)
  return state === null
    ? undefined
    : `${S.urlPath(settings.callbackPath)}?${S.stateParam}=${encodeURIComponent(state)}`
}

/**
 * Whether a callback URL carries a `state` (not empty): one app.plex.tv sent back. Without one it is a bookmarked or
 * typed address of the callback, which no sign-in can finish ({@link readPin} refuses it: `StateMismatch` when a
 * PIN cookie verifies, a pending sign-in's, which is kept), and its refusal page says so.
 */
export const hasState = (settings: S.Settings, url: string): boolean => {
  const state = S.stateOf(url, settings.origin)
  return state !== null && state !== ""
}

/** Whether the PIN plex.tv answered for (its code, when it shows one) is the one this browser started. */
export const samePin = (started: S.PinState, answeredCode: string): boolean =>
  answeredCode === "" || Signed.constantTimeEqualText(started.code, answeredCode)

/**
 * Which cookies a sign-out deletes, of those its request sent (`cookie`, its `Cookie` header): the session cookie, and
 * the PIN cookie of a sign-in pending in the browser (whose return, its PIN perhaps approved, would sign the browser
 * in again after the sign-out). Only the ones sent: a browser sends both with the app's own sign-out `POST` (same
 * site, `Path=/`), none with another site's. A page of another site that submits a form to the sign-out route under
 * `Referrer-Policy: no-referrer` is sent as `Origin: null`, which the route lets through ({@link S.sameOrigin}): its
 * request carries no cookie (`SameSite=Lax`), yet a deletion in the answer is applied by the browser (measured in
 * Chromium), which would sign the user out from another site.
 */
export const signOutDeletes = (
  settings: S.Settings,
  cookie: string | undefined
): { readonly session: boolean; readonly pin: boolean } => {
  const sent = Cookies.parseCookieHeader(cookie)
  return { session: sent.has(settings.sessionCookie), pin: sent.has(settings.pinCookie) }
}

/** The session id of a `Cookie` header, when its session cookie verifies. */
export const readSession = async (
  key: CryptoKey,
  settings: S.Settings,
  cookie: string | undefined,
  now: number
): Promise<
  | { readonly _tag: "Ok"; readonly sessionId: string }
  | { readonly _tag: "Unauthenticated"; readonly reason: "NoSession" | "Invalid" | "Expired" }
> => {
  const raw = Cookies.parseCookieHeader(cookie).get(settings.sessionCookie)
  if (raw === undefined || raw === "") return { _tag: "Unauthenticated", reason: "NoSession" }
  const verified = await Signed.verify([key], S.sessionPurpose, raw, now)
  if (verified._tag === "Invalid") {
    return { _tag: "Unauthenticated", reason: verified.reason === "Expired" ? "Expired" : "Invalid" }
  }
  const sessionId = S.readSessionData(verified.data)
  return sessionId === undefined ? { _tag: "Unauthenticated", reason: "Invalid" } : { _tag: "Ok", sessionId }
}

/** The signed session cookie for `sessionId`, living until `expiresAt`. */
export const sessionCookie = async (
  key: CryptoKey,
  settings: S.Settings,
  sessionId: string,
  expiresAt: number,
  now: number
): Promise<SetCookie> =>
  S.sessionCookie(
    settings,
    await Signed.sign(key, S.sessionPurpose, S.sessionData(sessionId), expiresAt),
    (expiresAt - now) / 1000
  )

/**
 * A new session's record: the token (server side only), the user, the granting answer, the `state` of the return that
 * opens it, the idle expiry.
 */
export const newRecord = (options: {
  readonly token: string
  readonly user: Omit<S.SessionUser, "thumb"> & { readonly thumb?: string | undefined }
  readonly access: S.AccessLevel
  readonly now: number
  readonly idleMillis: number
  readonly maxMillis: number
  /** The `state` of the return that opens the session (its PIN's nonce): {@link returnLeadsHome}. */
  readonly returnState: string
}): S.SessionRecord => ({
  token: options.token,
  user: {
    id: options.user.id,
    uuid: options.user.uuid,
    username: options.user.username,
    title: options.user.title,
    thumb: options.user.thumb
  },
  access: options.access,
  accessCheckedAt: options.now,
  returnState: options.returnState,
  createdAt: options.now,
  expiresAt: Math.min(options.now + options.idleMillis, options.now + options.maxMillis)
})

/**
 * `callback`'s request at fault, from untyped JavaScript: an object (`request`) with the URL as a string
 * (`request.url`). Its `cookie` is not checked: a `Cookie` header that is not a string is no cookie sent
 * ({@link Cookies.parseCookieHeader}), the return a sign-in not started. The editions make it a defect
 * (`InvalidInput`), before anything is done: `CallbackError` has no such failure.
 */
export const callbackRequestProblem = (request: unknown): FieldProblem | undefined =>
  firstProblem([
    ["request", () => objectProblem(request, false)],
    [
      "request.url",
      () => (typeof member(request, "url") === "string" ? undefined : "must be a string (the URL)")
    ]
  ])

/**
 * `signOut`'s options at fault, from untyped JavaScript: an object or undefined (`options`), `revoke` a boolean or
 * undefined (a `revoke` of `"true"` would otherwise be read as false: the token not revoked). A defect, as
 * {@link callbackRequestProblem}'s, before anything is done.
 */
export const signOutOptionsProblem = (options: unknown): FieldProblem | undefined =>
  firstProblem([
    ["options", () => objectProblem(options, true)],
    ["revoke", () => optionalBooleanProblem(member(options, "revoke"))]
  ])
