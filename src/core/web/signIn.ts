/**
 * "Sign in with Plex" for web apps, the Effect-free part: the settings
 * derived from the app's URL, the PIN-flow cookie, the session cookie and
 * the server-side session record, sliding renewal, and the pages a refused
 * sign-in shows. Both editions' `WebSignIn` bind it.
 *
 * @internal
 */
import { grantsAccess } from "../access.js"
import { pinIdProblem } from "../pin.js"
import * as B64 from "./base64url.js"
import { secret, type SetCookie } from "./cookies.js"

/** What the signature of each cookie is for (bound into the MAC, so one cannot pass for the other). */
export const pinPurpose = "web-sign-in/pin"
export const sessionPurpose = "web-sign-in/session"

/** The access levels that let a user in (`ServerAccess`'s granting answers). */
export type AccessLevel = "Owner" | "HomeMember" | "Shared"

export const isAccessLevel = (value: unknown): value is AccessLevel =>
  typeof value === "string" && grantsAccess(value)

/** While the callback waits for plex.tv to show a PIN approved (`approvalWait`), the PIN is checked at most this often. */
export const approvalCheckMillis = 500

/** The wait before the callback checks the PIN again, within an `approvalWait` of `waitMillis`. */
export const approvalRecheckDelayMillis = (waitMillis: number): number =>
  Math.min(approvalCheckMillis, waitMillis)

/** The spacing of the checks after that (never zero: a zero `approvalWait` must not spin). */
export const approvalCheckSpacingMillis = (waitMillis: number): number =>
  Math.min(approvalCheckMillis, Math.max(waitMillis, 1))

/**
 * An absolute path of the characters a URL's path holds (RFC 3986 pchar: letters, digits, `-._~`, `%`, the
 * sub-delims `!$&'()*+,;=`, `:` and `@`), and raw non-ASCII (a browser asks for it percent-encoded as UTF-8, both
 * routers decode it back: `/café` is a route's path like any other; {@link urlPath} is its form in a URL), with no
 * `//` (which a browser could read as another host) and no dot segment ({@link hasDotSegment}). A lone surrogate,
 * which no URL holds (the URL parser writes it as U+FFFD), is refused.
 */
export const isPath = (path: string): path is `/${string}` =>
  /^\/[\w\-.~/%!$&'()*+,;=:@\u0080-\uffff]*$/.test(path) &&
  !/\p{Cs}/u.test(path) &&
  !path.includes("//") &&
  !hasDotSegment(path)

/**
 * A path {@link isPath} takes as a URL writes it: raw non-ASCII percent-encoded as UTF-8 (`/café` is `/caf%C3%A9`),
 * the rest as written (a `%`-escape kept). Where the path goes into a URL, a `Location` or a cookie's `Path` (whose
 * header holds no raw non-ASCII, and which the browser compares with the path it asks for, encoded).
 */
export const urlPath = (path: string): string => new URL(path, "http://localhost").pathname

/**
 * Whether a path has a `.` or `..` segment, `%2e` forms included (`/a/%2E%2e/b`). A route of such a path is
 * registered as written, but a browser resolves dot segments before it asks (`/auth/plex/x/../start` is asked for
 * as `/auth/plex/start`): it never reaches the route. A configured path with one is refused.
 */
export const hasDotSegment = (path: string): boolean =>
  path.split("/").some((segment) => {
    const plain = segment.replace(/%2e/gi, ".")
    return plain === "." || plain === ".."
  })

/** Why a configured path is refused, naming an `example` of one that is not. */
export const pathProblem = (example: string, path: string): string =>
  typeof path === "string" && hasDotSegment(path)
    ? "must have no . or .. segment (a browser resolves them before asking: the route would never be reached)"
    : `must be a path such as ${example}`

/**
 * Why a path {@link isPath} takes cannot be the path of a route the service registers (`callbackPath`, `startPath`,
 * `signOutPath`), or undefined: one with a `%`. Both routers (`@effect/platform`'s and Effect 4's, by default) match
 * a request's path once decoded against a route's path as written, its `%` a literal `%`: a route at
 * `/auth/plex/%63allback` is reached only by a request for `/auth/plex/%2563allback`, never by a browser asking for
 * the path as configured (plex.tv's return to it, a link to it). Nor a `;` or `*`, which a URL's path may hold but
 * both routers read otherwise: they end a request's path at `;` (a route at `/a;b` is never reached), and `*` is a
 * wildcard (a route at `/a*` answers `/a` and any path under it). A `:` is taken: the route is registered at
 * {@link routePattern}. `homePath` is no route of the service: it may have escapes and these.
 */
export const routePathProblem = (path: string): string | undefined =>
  path.includes("%")
    ? "must have no %-escape (the router matches a route's path as written, % as a literal %: a browser asking for the path would never reach the route)"
    : path.includes(";")
      ? "must have no ; (the router ends a request's path at ;: a browser asking for the path would never reach the route)"
      : path.includes("*")
        ? "must have no * (the router reads * as a wildcard: the route would answer other paths too)"
        : undefined

/**
 * A route's path as both routers take it ({@link routePathProblem} found nothing wrong with it), from the path as
 * given or as {@link urlPath} writes it (the settings shown): its %-escapes decoded as `decodeURI` does (the routers
 * match a request's path, decoded, against a route's path as written: `/anmelden/%E6%97%A5` is registered as
 * `/anmelden/日`, which a browser's request for `/anmelden/%E6%97%A5` reaches; a route's path as given has no `%`, so
 * the only escapes are {@link urlPath}'s, of raw non-ASCII), and each `:` written `::`, which they read as a literal
 * `:` (a `:` alone begins a parameter: a route at `/a:b` would answer `/a` and any path under it). The routes are
 * registered at it; everything else (a URL, a `Location`, the settings shown) has the path as a URL writes it.
 */
export const routePattern = (path: `/${string}`): `/${string}` => {
  let decoded: string = path
  try {
    decoded = decodeURI(path)
  } catch {
    // A malformed escape (none in a path routePathProblem takes) is registered as written.
  }
  return decoded.replaceAll(":", "::") as `/${string}`
}

/** The app's URL and cookie names, checked once. */
export interface Settings {
  /** The app's public origin, e.g. `https://media.example.com`. */
  readonly origin: string
  /** The path app.plex.tv sends the browser back to. */
  readonly callbackPath: `/${string}`
  /** Whether cookies are `Secure`: the app's URL is https. */
  readonly secure: boolean
  /** The session cookie: `__Host-plex_session` over https (pinned to this host, `Path=/`), else `plex_session`. */
  readonly sessionCookie: string
  /**
   * The PIN-flow cookie, on the session cookie's rules: `__Host-plex_session_pin` over https (pinned to this
   * host, `Path=/`, so a sibling subdomain cannot plant a pending sign-in of its own), else `plex_session_pin`.
   */
  readonly pinCookie: string
}

export interface SettingsInput {
  readonly appUrl: string
  readonly callbackPath?: string | undefined
  readonly cookieName?: string | undefined
}

/**
 * The cookie the `Authentication` middleware's security scheme names (for an
 * API's description, such as OpenAPI): the default session cookie over
 * https, where an app is deployed. Over http the cookie is `plex_session`,
 * and with `cookieName` the name given (`__Host-` prefixed over https); the
 * middleware itself reads the cookie the service was set up with.
 */
export const documentedSessionCookie = "__Host-plex_session"

/**
 * Why an `appUrl` with a path, query or fragment is refused: the service uses its origin alone, and the routes' paths
 * are from the root.
 */
export const appUrlPathProblem = (origin: string): string =>
  `must be the app's origin alone (${origin}), without a path, query or fragment: callbackPath, startPath, signOutPath and homePath are from the root, so an app served under a path gives them with it (callbackPath "/myapp/auth/plex/callback")`

/** The settings, or what is wrong with the input (never echoing a secret: there is none here). */
export const settings = (
  input: SettingsInput
):
  | { readonly _tag: "Ok"; readonly settings: Settings }
  | { readonly _tag: "Invalid"; readonly field: string; readonly message: string } => {
  let url: URL
  try {
    url = new URL(input.appUrl)
  } catch {
    return { _tag: "Invalid", field: "appUrl", message: "must be an absolute http(s) URL" }
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { _tag: "Invalid", field: "appUrl", message: "must be an absolute http(s) URL" }
  }
  if (url.username !== "" || url.password !== "") {
    return { _tag: "Invalid", field: "appUrl", message: "must not carry credentials" }
  }
  // Only the origin is used: a path would be dropped without a word (an app served under /myapp would send plex.tv's
  // return to /auth/plex/callback at the root, another app's or nobody's), so it is refused, saying what to give.
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    return { _tag: "Invalid", field: "appUrl", message: appUrlPathProblem(url.origin) }
  }
  const callbackPath = input.callbackPath ?? "/auth/plex/callback"
  if (!isPath(callbackPath)) {
    return {
      _tag: "Invalid",
      field: "callbackPath",
      message: pathProblem("/auth/plex/callback", callbackPath)
    }
  }
  const escaped = routePathProblem(callbackPath)
  if (escaped !== undefined) return { _tag: "Invalid", field: "callbackPath", message: escaped }
  const secure = url.protocol === "https:"
  const base = input.cookieName ?? "plex_session"
  if (!/^[A-Za-z0-9_-]+$/.test(base)) {
    return { _tag: "Invalid", field: "cookieName", message: "must be letters, digits, _ or -" }
  }
  // A name with a cookie prefix (browsers match them in any case): over http a `__Host-`/`__Secure-` cookie
  // without `Secure` is refused by the browser, so sign-in would never hold; over https the prefix is added here.
  if (/^__(host|secure)-/i.test(base)) {
    return {
      _tag: "Invalid",
      field: "cookieName",
      message: "must not start with __Host- or __Secure- (the __Host- prefix is added over https)"
    }
  }
  return {
    _tag: "Ok",
    settings: {
      origin: url.origin,
      callbackPath,
      secure,
      sessionCookie: secure ? `__Host-${base}` : base,
      pinCookie: secure ? `__Host-${base}_pin` : `${base}_pin`
    }
  }
}

/**
 * The Warning a start logs (once for the service) when the browser asked for it at another name of this machine
 * than `appUrl`'s, on `appUrl`'s port (`http://127.0.0.1:3000` for `http://localhost:3000`, as a developer opens an
 * app): the PIN cookie is kept for the host asked, while plex.tv sends the browser back to `appUrl`'s, where it has
 * none, so the return is refused ("Sign-in not started here"). Only loopback names on the same port over http: a
 * proxy in front of the app (which may send another `Host`) is never taken for the mistake. `host` is the request's
 * `Host` header.
 */
export const hostMismatchWarning = (s: Settings, host: string | undefined): string | undefined => {
  if (s.secure || host === undefined) return undefined
  let asked: URL
  try {
    asked = new URL(`http://${host}`)
  } catch {
    return undefined
  }
  const app = new URL(s.origin)
  if (asked.port !== app.port || asked.hostname === app.hostname) return undefined
  if (!isLoopbackHost(asked.hostname) || !isLoopbackHost(app.hostname)) return undefined
  return `WebSignIn: a sign-in was started at ${asked.origin} while appUrl is ${s.origin}: the browser keeps the PIN cookie for ${asked.hostname} and comes back from Plex to ${app.hostname}, where it has none, so the return is refused ("Sign-in not started here"). Open the app at ${s.origin}, or give the address you open as appUrl`
}

/**
 * Whether a URL's `hostname` is this machine: `localhost` (and names under it, which browsers resolve to it),
 * 127.0.0.0/8 (the URL parser writes any IPv4 form as four decimal numbers), `[::1]` (any way it is written) or
 * 127.0.0.0/8 mapped into IPv6 (`[::ffff:127.0.0.1]`, which the URL parser writes `[::ffff:7f00:1]`).
 */
export const isLoopbackHost = (hostname: string): boolean => {
  const host = hostname.toLowerCase().replace(/\.$/, "")
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "[::1]" ||
    /^\[::ffff:7f[\da-f]{2}:[\da-f]{1,4}\]$/.test(host) ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  )
}

/**
 * The warning the service logs once when it is built, for an `appUrl` over plain http on a host that is not this
 * machine (a LAN address such as `http://192.168.1.20:8080`): accepted (home apps are served so), but its cookies
 * are not `Secure`, and whoever sees the traffic between the browser and the app can take a session cookie and
 * use the session. `undefined` over https, and over http on a loopback host ({@link isLoopbackHost}), whose
 * traffic does not leave the machine.
 */
export const plainHttpWarning = (s: Pick<Settings, "origin" | "secure">): string | undefined => {
  if (s.secure) return undefined
  let hostname: string
  try {
    hostname = new URL(s.origin).hostname
  } catch {
    return undefined
  }
  return isLoopbackHost(hostname)
    ? undefined
    : `WebSignIn: appUrl ${s.origin} is plain http on a host that is not this machine: the session and PIN cookies are not Secure, so whoever sees the traffic between a browser and the app (the same Wi-Fi, a proxy) can read a session cookie and use the session. Serve the app over https (for example behind a reverse proxy with a certificate) and give its https URL as appUrl.`
}

// ---------------------------------------------------------------------------
// The PIN flow
// ---------------------------------------------------------------------------
// The PIN flow
// ---------------------------------------------------------------------------

/** What the PIN-flow cookie holds: the PIN, and the nonce the callback URL must carry back. */
export interface PinState {
  readonly id: number
  readonly code: string
  readonly nonce: string
}

export const pinData = (pin: PinState): unknown => ({ i: pin.id, c: pin.code, n: pin.nonce })

/**
 * The PIN a verified PIN-flow cookie holds, or `undefined` when it holds none this flow can have started: an id
 * plex.tv cannot have given (not a positive safe integer: 0, a negative, a fraction, one past 2^53; the core's
 * `pinIdProblem`, PinLogin.check's own input check), or a code or nonce that is not a string. The callback refuses
 * such a cookie as one that does not verify (`SignInNotStarted` "Invalid", the cookie deleted), before anything is
 * asked of plex.tv; a sign-out that revokes finds no pending PIN in it.
 */
export const readPinData = (data: unknown): PinState | undefined => {
  if (typeof data !== "object" || data === null) return undefined
  const { c, i, n } = data as { i?: unknown; c?: unknown; n?: unknown }
  return typeof i === "number" &&
    pinIdProblem(i) === undefined &&
    typeof c === "string" &&
    typeof n === "string"
    ? { id: i, code: c, nonce: n }
    : undefined
}

/** A fresh nonce (128 bits) binding the callback URL to the PIN-flow cookie. */
export const newNonce = (): string => B64.randomToken(16)

/** The query parameter of the callback URL that carries the nonce. */
export const stateParam = "state"

/**
 * Where app.plex.tv sends the browser back: the callback with the nonce
 * (not a secret: it only ties this return to the cookie set at the start,
 * so an old or forged return is refused). Never the PIN id or code.
 */
export const callbackUrl = (s: Settings, nonce: string): string =>
  `${s.origin}${urlPath(s.callbackPath)}?${stateParam}=${encodeURIComponent(nonce)}`

/** The `state` a callback URL carries (read against the app's origin); `null` when absent or unreadable. */
export const stateOf = (url: string, origin: string): string | null => {
  try {
    return new URL(url, origin).searchParams.get(stateParam)
  } catch {
    return null
  }
}

/**
 * Whether a sign-out `POST` may proceed, from its `Origin` header: absent, this app's origin, or `null` (what browsers
 * send under `Referrer-Policy: no-referrer`; the session cookie being `SameSite=Lax`, a cross-site `POST` carries no
 * session to end anyway, and its answer deletes no cookie it did not send: `Flow.signOutDeletes`); and from its
 * `Sec-Fetch-Site` (`fetchSite`), when the browser sends one: `same-origin` or `none`. `null` is also what a page of a
 * sibling host (another subdomain of the site, another port of this host) sends under `no-referrer`, and its `POST`
 * carries the session cookie (`SameSite=Lax` is by site), but with `Sec-Fetch-Site: same-site` (measured in
 * Chromium). A form of another site cannot sign a user out, nor one of a sibling host where browsers send
 * `Sec-Fetch-Site`: only to https and loopback addresses (Chromium 156 sent no `Sec-Fetch-*` to `http://app.test`), so
 * over plain http on another host `Origin` alone decides, and a sibling port's page under `no-referrer` passes. The
 * app's own form or `fetch()` sends `same-origin` (measured in Chromium). Both are compared with `appOrigin` (the
 * app's public URL's), never with the `Host` the app sees behind a reverse proxy.
 */
export const sameOrigin = (
  originHeader: string | undefined,
  appOrigin: string,
  fetchSite?: string | undefined
): boolean =>
  (fetchSite === undefined || fetchSite === "same-origin" || fetchSite === "none") &&
  (originHeader === undefined || originHeader === "null" || originHeader === appOrigin)

/**
 * The PIN-flow cookie: `HttpOnly`, `SameSite=Lax` (sent on the top-level return from app.plex.tv), and, like the
 * session cookie, `Path=/`, no `Domain`, `Secure` over https: the `__Host-` prefix needs all three, and with it
 * no sibling subdomain can plant a signed PIN cookie of its own (an attacker's pending sign-in: login CSRF).
 * Printed with its value (the PIN's id and code, signed) masked.
 */
export const pinCookie = (s: Settings, value: string, maxAgeSeconds: number): SetCookie =>
  secret(s.pinCookie, value, {
    path: "/",
    maxAge: maxAgeSeconds,
    httpOnly: true,
    secure: s.secure,
    sameSite: "Lax"
  })

/** The session cookie: `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure` over https. Printed with its value masked. */
export const sessionCookie = (s: Settings, value: string, maxAgeSeconds: number): SetCookie =>
  secret(s.sessionCookie, value, {
    path: "/",
    maxAge: maxAgeSeconds,
    httpOnly: true,
    secure: s.secure,
    sameSite: "Lax"
  })

/** Deletes a cookie set by {@link pinCookie} or {@link sessionCookie}. */
export const expired = (cookie: SetCookie): SetCookie => ({
  name: cookie.name,
  value: "",
  attributes: { ...cookie.attributes, maxAge: 0, expires: new Date(0) }
})

/**
 * The deletion of the PIN-flow cookie as it was named before it took the session cookie's rules: over https
 * `<cookieName>_pin` (no `__Host-`) with `Path=<callbackPath>`, `Secure`. It is never read (a sibling subdomain
 * can set a cookie of that name: reading it would re-open the login CSRF the `__Host-` name closed); the
 * responses that set or clear the current PIN cookie expire it, so a browser that started a sign-in before the
 * rename does not keep sending it. `undefined` over plain http, where the old cookie has the current one's name
 * (only its path differs): a response's cookies are keyed by name (`@effect/platform`'s and Effect 4's
 * `Cookies`), so one response cannot both set or delete the current cookie and delete the old one; there the
 * old one ends by its own `Max-Age` (the PIN's lifetime), and the callback, which tries each value sent under the
 * name (`readPin`), takes the current one whatever the order. Not in `start`'s answer (`Started.cookie`): over
 * https the old cookie is never read, and the callback's cookies expire it.
 */
export const legacyPinCookieDeletion = (s: Settings): SetCookie | undefined => {
  const prefix = "__Host-"
  if (!s.secure || !s.pinCookie.startsWith(prefix)) return undefined
  return expired({
    name: s.pinCookie.slice(prefix.length),
    value: "",
    attributes: { path: urlPath(s.callbackPath), httpOnly: true, secure: true, sameSite: "Lax" }
  })
}

// ---------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------

/** A fresh session id: 256 random bits. */
export const newSessionId = (): string => B64.randomToken(32)

export const sessionData = (sessionId: string): unknown => ({ s: sessionId })

export const readSessionData = (data: unknown): string | undefined => {
  if (typeof data !== "object" || data === null) return undefined
  const s = (data as { s?: unknown }).s
  return typeof s === "string" && /^[A-Za-z0-9_-]{43}$/.test(s) ? s : undefined
}

/**
 * Where a session is kept: `prefix` and the SHA-256 of the session id, so
 * that whoever reads the store does not learn ids that would open sessions.
 */
export const storageKey = async (prefix: string, sessionId: string): Promise<string> => {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(sessionId))
  return `${prefix}${B64.encodeBytes(new Uint8Array(digest))}`
}

/** The user as the session keeps them. */
export interface SessionUser {
  readonly id: number
  readonly uuid: string
  readonly username: string
  readonly title: string
  readonly thumb: string | undefined
}

/** A session, kept server side (never in the cookie): the user's Plex token lives only here. */
export interface SessionRecord {
  readonly token: string
  readonly user: SessionUser
  /** The last granting answer, and when plex.tv gave it. */
  readonly access: AccessLevel
  readonly accessCheckedAt: number
  /**
   * When plex.tv last said the user has no access, if it has not granted it again since: a failure to ask
   * then lets nobody in on the older grant.
   */
  readonly deniedAt?: number | undefined
  /**
   * The `state` of the return that opened the session (its PIN's nonce): that return link opened again leads to
   * `homePath`, another sign-in's does not (Flow.returnLeadsHome). Not a secret once the return has run (its PIN
   * cookie used up); absent from a session opened before it was kept.
   */
  readonly returnState?: string | undefined
  readonly createdAt: number
  /** When the session ends unless used (sliding). */
  readonly expiresAt: number
}

export const encodeSession = (record: SessionRecord): string => JSON.stringify({ v: 1, ...record })

/** A stored session read back; `undefined` for anything malformed (`Unreadable`: {@link storedSession}). */
export const decodeSession = (text: string): SessionRecord | undefined => {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof raw !== "object" || raw === null) return undefined
  const r = raw as Record<string, unknown>
  const u = r["user"] as Record<string, unknown> | undefined
  const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v)
  if (
    r["v"] !== 1 ||
    typeof r["token"] !== "string" ||
    typeof u !== "object" ||
    u === null ||
    !num(u["id"]) ||
    typeof u["uuid"] !== "string" ||
    typeof u["username"] !== "string" ||
    typeof u["title"] !== "string" ||
    !isAccessLevel(r["access"]) ||
    !num(r["accessCheckedAt"]) ||
    !num(r["createdAt"]) ||
    !num(r["expiresAt"])
  ) {
    return undefined
  }
  return {
    token: r["token"],
    user: {
      id: u["id"],
      uuid: u["uuid"],
      username: u["username"],
      title: u["title"],
      thumb: typeof u["thumb"] === "string" ? u["thumb"] : undefined
    },
    access: r["access"],
    accessCheckedAt: r["accessCheckedAt"],
    ...(num(r["deniedAt"]) ? { deniedAt: r["deniedAt"] } : {}),
    ...(typeof r["returnState"] === "string" ? { returnState: r["returnState"] } : {}),
    createdAt: r["createdAt"],
    expiresAt: r["expiresAt"]
  }
}

/**
 * A session as the store holds it under its key (`text`; `undefined` when it holds nothing there): `Missing`, `Found`
 * with its record, or `Unreadable`, a value that is no session record (damaged: not JSON, another shape or version).
 * An unreadable one is not a missing one: the store holds something under that key, which the operator is told of
 * (`messages.sessionStoreUnreadable`), and the request is refused as `Invalid`, not `SessionNotFound`.
 */
export type StoredSession =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Found"; readonly record: SessionRecord }
  | { readonly _tag: "Unreadable" }

/** The {@link StoredSession} of what the store answered for a session's key. */
export const storedSession = (text: string | undefined): StoredSession => {
  if (text === undefined) return { _tag: "Missing" }
  const record = decodeSession(text)
  return record === undefined ? { _tag: "Unreadable" } : { _tag: "Found", record }
}

/**
 * Sliding expiry: a session unused for `idleMillis` ends, and none outlives
 * `absoluteMillis` from sign-in. One that is used once less than half of its
 * idle time is left is renewed (a new expiry, a new cookie), so an active
 * user stays signed in while cookies are not rewritten on every request.
 */
export const renewal = (
  now: number,
  record: Pick<SessionRecord, "createdAt" | "expiresAt">,
  idleMillis: number,
  absoluteMillis: number
):
  | { readonly _tag: "Expired" }
  | { readonly _tag: "Valid" }
  | { readonly _tag: "Renew"; readonly expiresAt: number } => {
  const hardEnd = record.createdAt + absoluteMillis
  if (now >= record.expiresAt || now >= hardEnd) return { _tag: "Expired" }
  if (record.expiresAt - now >= idleMillis / 2) return { _tag: "Valid" }
  const expiresAt = Math.min(now + idleMillis, hardEnd)
  return expiresAt > record.expiresAt ? { _tag: "Renew", expiresAt } : { _tag: "Valid" }
}

/**
 * Whether the last granting answer may still stand while plex.tv cannot be
 * asked: for `graceMillis` after it was given. A failure to ask never
 * refuses, and never grants for long (nor at all once plex.tv has said "no
 * access" since: see {@link accessOutcome}).
 */
export const withinGrace = (now: number, accessCheckedAt: number, graceMillis: number): boolean =>
  now - accessCheckedAt < graceMillis

/** What an access answer (`ServerAccess`'s tag) means for a session. */
export type AccessOutcome =
  /** plex.tv said the user has no access: 403. */
  | { readonly _tag: "Denied" }
  /** plex.tv refused the token: the session ends (401). */
  | { readonly _tag: "Revoked" }
  /** plex.tv could not be asked, and the last granting answer is too old to stand: 503, never 403. */
  | { readonly _tag: "Unavailable" }
  /** In, at `level`; `refreshed`: the record's `access` and `accessCheckedAt` become `level` and now. */
  | { readonly _tag: "Granted"; readonly level: AccessLevel; readonly refreshed: boolean }

/**
 * The session's access after asking (the checker's cache) `answer`: a
 * granting answer lets the user in (and is written back once it changed, is
 * older than `ttlMillis`, or follows a denial); a failure to ask keeps the
 * last granting answer for `graceMillis`, then is `Unavailable`, and is
 * `Unavailable` at once when plex.tv said "no access" after that grant
 * (`deniedAt`): a denial is never undone by an outage.
 */
export const accessOutcome = (
  now: number,
  record: Pick<SessionRecord, "access" | "accessCheckedAt" | "deniedAt">,
  answer: string,
  ttlMillis: number,
  graceMillis: number
): AccessOutcome => {
  switch (answer) {
    case "NoAccess":
      return { _tag: "Denied" }
    case "InvalidToken":
      return { _tag: "Revoked" }
    default:
      if (isAccessLevel(answer)) {
        return {
          _tag: "Granted",
          level: answer,
          refreshed:
            answer !== record.access ||
            now - record.accessCheckedAt >= ttlMillis ||
            record.deniedAt !== undefined
        }
      }
      // `Unknown` (and anything else): never a refusal, nor a grant once plex.tv has said "no access".
      return record.deniedAt === undefined && withinGrace(now, record.accessCheckedAt, graceMillis)
        ? { _tag: "Granted", level: record.access, refreshed: false }
        : { _tag: "Unavailable" }
  }
}

/** The HTTP status of a failed authentication, by its error's tag: 401, 403, 503, else 500. */
export const authenticateStatus = (tag: string): number =>
  tag === "Unauthenticated" ? 401 : tag === "AccessDenied" ? 403 : tag === "PlexUnavailable" ? 503 : 500

/** A failed authentication, as the editions' error classes are: its tag, its fields, its message. */
export type AuthenticateFailure =
  | { readonly _tag: "Unauthenticated"; readonly reason: string; readonly message: string }
  | { readonly _tag: "AccessDenied"; readonly username: string; readonly message: string }
  | {
      readonly _tag: "PlexUnavailable"
      readonly operation: string
      readonly failure: string
      readonly message: string
    }
  | { readonly _tag: "SessionStoreError"; readonly operation: string; readonly message: string }

/**
 * `requireUser`'s JSON body for a failed authentication: `_tag`, then the error's fields in their order (the body the
 * `HttpApi` middleware answers), then `message`. Every field is a string the error was made with; none is a secret.
 */
export const authenticateBody = (error: AuthenticateFailure): Record<string, string> => {
  switch (error._tag) {
    case "Unauthenticated":
      return { _tag: error._tag, reason: error.reason, message: error.message }
    case "AccessDenied":
      return { _tag: error._tag, username: error.username, message: error.message }
    case "PlexUnavailable":
      return { _tag: error._tag, operation: error.operation, failure: error.failure, message: error.message }
    case "SessionStoreError":
      return { _tag: error._tag, operation: error.operation, message: error.message }
  }
}

/**
 * The sign-in's durations, each option's default and least value in
 * milliseconds: a session ends unused after 7 days and at the latest 30 days
 * after sign-in; the PIN-flow cookie lives 15 minutes; the callback waits up
 * to 3 seconds for plex.tv to show the PIN approved; an access answer is kept
 * 5 minutes, and a granting one stands 1 hour while plex.tv cannot be asked;
 * a request waits at most 3 seconds for plex.tv to answer an access check;
 * the callback waits at most 5 seconds for plex.tv to answer each of its
 * requests (the first PIN check, the user, the access check); the start creates at most `startLimit` PINs
 * (Flow.defaultStartLimit) per `startLimitWindow` of 1 minute.
 */
export const durations = {
  sessionIdle: { defaultMillis: 7 * 24 * 60 * 60 * 1000, minimumMillis: 1000 },
  sessionMax: { defaultMillis: 30 * 24 * 60 * 60 * 1000, minimumMillis: 1000 },
  pinLifetime: { defaultMillis: 15 * 60 * 1000, minimumMillis: 1000 },
  approvalWait: { defaultMillis: 3000, minimumMillis: 0 },
  accessTtl: { defaultMillis: 5 * 60 * 1000, minimumMillis: 0 },
  accessGrace: { defaultMillis: 60 * 60 * 1000, minimumMillis: 0 },
  accessWait: { defaultMillis: 3000, minimumMillis: 1 },
  callbackWait: { defaultMillis: 15_000, minimumMillis: 1 },
  startLimitWindow: { defaultMillis: 60_000, minimumMillis: 1000 }
} as const

/**
 * The least time `callbackWait` must leave after `approvalWait` for the rest of the return: a re-check sent as the
 * approval wait ends, the user, the access check and the session's save (each a request of its own). A
 * `callbackWait` shorter than `approvalWait` plus this never leaves the approval wait and the lookups after it room to
 * finish (a PIN not approved yet would be a 503 "Try again" until it expires): refused when the service is made, not
 * found out by a user.
 */
export const callbackRoomMillis = 1000

/**
 * Why `callbackWait` (in milliseconds) contradicts `approvalWait`, if it does: it must be at least `approvalWait`
 * plus {@link callbackRoomMillis}.
 */
export const callbackWaitProblem = (
  approvalWaitMillis: number,
  callbackWaitMillis: number
): string | undefined =>
  callbackWaitMillis >= approvalWaitMillis + callbackRoomMillis
    ? undefined
    : `must be at least approvalWait (${approvalWaitMillis} ms) plus ${callbackRoomMillis} ms for the user, the access check and the save`

/**
 * The failure a `PlexUnavailable` names when an access check did not answer
 * within `accessWait` (as a per-attempt timeout would: no answer in time).
 */
export const accessWaitFailure = "NetworkError"

/**
 * The failure a `PlexUnavailable` names when plex.tv did not answer one of the callback's requests within what
 * was left of `callbackWait` (as a per-attempt timeout would: no answer in time). A failure the routes take as plex.tv
 * unavailable for now: the PIN cookie is kept, and the 503 page's "Try again" is the same return.
 */
export const callbackWaitFailure = "NetworkError"

/**
 * The failure a `PlexUnavailable` names when plex.tv did not create the start's PIN within `Flow.startWaitMillis`
 * (as a per-attempt timeout would: no answer in time).
 */
export const startWaitFailure = "NetworkError"

/** The prefix of the session keys in the store, by default. */
export const defaultStorePrefix = "plex-session:"

/** A `Retry-After` (whole seconds, rounded up, at least 1) for a wait of `millis`: the start route's header and message. */
export const retryAfterSeconds = (millis: number): number => Math.max(1, Math.ceil(millis / 1000))

/**
 * Whether a failed request's answer asked to be asked later (busy): a `RateLimited` 429, or any answer with a
 * `Retry-After` (`retryAfterMillis`), whatever its status. The start's Warning ({@link messages.startUnavailable}) and
 * the pages' "Plex is busy" (Pages.refusalFor) go by it.
 */
export const askedToWait = (error: {
  readonly failure?: string | undefined
  readonly retryAfterMillis?: number | undefined
}): boolean => error.failure === "RateLimited" || error.retryAfterMillis !== undefined

/** The web sign-in's error messages, the same on both editions (each edition's error classes give them). */
export const messages = {
  signInNotStarted: (reason: string): string =>
    `WebSignIn.callback: no sign-in was started in this browser (${reason})`,
  signInNotApproved: "WebSignIn.callback: Plex has not approved the sign-in",
  signInExpired: "WebSignIn.callback: the sign-in expired at Plex",
  accessDenied: (username: string): string => `WebSignIn: ${username} has no access to the server`,
  /**
   * The Info line logged once as the service is made when its sign-in page comes from `PLEX_AUTH_APP_URL` (no
   * `authAppUrl` given): where every start sends the browser, so that a value left in the environment (from
   * `plex-auth fake-server`) is seen. Its origin and path (the variable is refused with credentials, query or
   * fragment). The service cannot tell who set the variable: `FakePlex.layer` sets it (its fake's page) in a test,
   * where "unset it" would be advice for something the user never set, so the line names both.
   */
  authAppUrlFromVariable: (authAppUrl: string): string => {
    const url = new URL(authAppUrl)
    return `WebSignIn: the sign-in page is PLEX_AUTH_APP_URL's, ${url.origin}${url.pathname}, not app.plex.tv's: every start sends the browser there (the variable as the program's ConfigProvider gives it: under FakePlex.layer, the fake's own page; otherwise perhaps one left in the environment from plex-auth fake-server: unset it, or give authAppUrl, for app.plex.tv's)`
  },
  /**
   * The Warning logged when a start's PIN could not be created (`PlexUnavailable`, `createPin`): the visitor sees
   * only a short text, no status ("Plex could not be reached", "Plex is busy", "Plex could not start your sign-in",
   * or "Sign-in not available" for a refusal that trying again does not change: Pages.refusalFor), so this line is the operator's clue, the failure's tag and the status plex.tv answered
   * with (never a secret), and the wait its `Retry-After` asked for, when it sent one, as the start route's 503 passes
   * it on ({@link retryAfterSeconds}: whole seconds, rounded up, at least 1; a date already past is 1 s there too). One
   * that does not pass (`NotFound`, `Unexpected`, `BadRequest`) is most often a plex.tv URL that is not plex.tv's; a
   * busy answer ({@link askedToWait}) says instead that its URL answered, asking to be asked later: no URL to check.
   */
  startUnavailable: (failure: string, status?: number, retryAfterMillis?: number): string =>
    `WebSignIn: plex.tv could not be asked for a sign-in's PIN (createPin: ${failure}${status === undefined ? "" : ` ${status}`}${retryAfterMillis === undefined ? "" : `, Retry-After ${retryAfterSeconds(retryAfterMillis)} s`}): the start failed with PlexUnavailable (the start route's 503 page). ${askedToWait({ failure, retryAfterMillis }) ? "The plex.tv URL the app uses answered, asking to be asked later (a 429, or a Retry-After): plex.tv, or a proxy in front of it, is busy or limits this app's requests" : "If it lasts, check the plex.tv URL the app uses (PlexTv.layerConfig() reads PLEX_TV_URL: plex.tv's, or plex-auth fake-server's PLEX_TV_URL, not a Plex Media Server's) and its network"}`,
  /**
   * The Warning logged when a sign-in's return failed with `PlexUnavailable` (the PIN check, the user, the access
   * check): the browser sees only the callback route's 503 page, so this line is the operator's clue, as
   * {@link messages.startUnavailable} is at the start: the operation, the failure's tag and the status plex.tv
   * answered with (never a secret).
   */
  callbackUnavailable: (operation: string, failure: string, status?: number): string =>
    `WebSignIn: plex.tv could not be asked during a sign-in's return (${operation}: ${failure}${status === undefined ? "" : ` ${status}`}): the return failed with PlexUnavailable (the callback route's 503 page)`,
  /**
   * The Warning logged when a sign-in is refused (`AccessDenied`): the server `machineIdentifier` names (not a
   * secret) and what to check when the account should have access (its owner refused too: the option names another
   * server).
   */
  refused: (username: string, machineIdentifier: string): string =>
    `WebSignIn: refused ${username}: no access to the server ${machineIdentifier} (machineIdentifier): plex.tv lists it neither as theirs, nor in their Plex Home, nor shared with them (an invitation not accepted yet is no access). If they should have access (the server's owner is refused too), machineIdentifier names another server: give your server's, the clientIdentifier Resources.servers() lists for it or the machineIdentifier at its /identity`,
  plexUnavailable: (operation: string, failure: string): string =>
    `WebSignIn: plex.tv could not be asked (${operation}: ${failure})`,
  unauthenticated: (reason: string): string =>
    reason === "SessionNotFound"
      ? `WebSignIn: not signed in (${reason}): the session cookie verifies, but the session store does not hold its session (signed out, replaced by a later sign-in, the store emptied, or another app's cookie of the same name and key)`
      : `WebSignIn: not signed in (${reason})`,
  sessionStoreError: (operation: string): string => `WebSignIn: the session store failed (${operation})`,
  /**
   * The Warning logged when a request's session store call fails, or is given up after `waitedMillis`: the request
   * fails with `SessionStoreError` (the user sees a 503 or 500 page), so the operator learns it from the log; a call
   * whose failure fails no request names its own `outcome`. Only the call's name: never the store's own error (a
   * store of the app's could put a key or a value in it).
   */
  sessionStoreWarning: (
    operation: string,
    waitedMillis?: number,
    outcome = "the request failed with SessionStoreError"
  ): string =>
    waitedMillis === undefined
      ? `WebSignIn: the session store failed (${operation}): ${outcome}`
      : `WebSignIn: the session store did not answer within ${retryAfterSeconds(waitedMillis)} s (${operation}): ${outcome}`,
  /**
   * The outcome `sessionStoreWarning` names for the routes' read of a reopened return's session
   * (Flow.homeWhenSignedIn): no request fails, the browser is taken as not signed in and shown the return's page.
   */
  signedInUnknown: "the return's page shown, as to a browser not signed in",
  /**
   * The Warning logged when the store holds, under a session's key, a value that is no session record
   * (`StoredSession`'s `Unreadable`: damaged), wherever it is read: it is taken as no session (a request is refused
   * as `Unauthenticated`, `Invalid`, so the browser signs in again, and that sign-in removes the damaged value, else
   * the index's sweep once `sessionMax` has passed; a reopened return link shows its page; a sign-out removes it).
   * Only the call's name and what was done instead (`outcome`: a request's refusal by default; the routes' read of a
   * reopened return, `signedInUnknown`; a sign-out, `signedOutDamaged`): never the value (it may hold a token) nor
   * the key.
   */
  sessionStoreUnreadable: (
    operation: string,
    outcome = "a request is refused as Unauthenticated, Invalid: the browser signs in again"
  ): string =>
    `WebSignIn: the session store holds a value that is no session record under a session's key (${operation}): damaged; taken as no session (${outcome})`,
  /** The outcome `sessionStoreUnreadable` names for a sign-out's read: the value is removed as the session would be. */
  signedOutDamaged: "the sign-out removes it, the browser signed out",
  /**
   * The Warning logged when a callback's session store call is not made: nothing is left of its `callbackWait`
   * (plex.tv's answers, or a previous session's removal given up, took it all). The request fails with
   * `SessionStoreError` (the "Sign-in not saved" page) as when the store fails, so the operator learns why from the log.
   */
  /**
   * The Debug line logged when the store fails to remove a session past its `sessionMax` (the removal a sign-in starts
   * in a fiber of its own), or does not answer within `Flow.endedRemovalTimeoutMillis`, or its call dies: the sign-in
   * is not affected, the session stays listed for a later sign-in, and the other ended sessions are still removed. The
   * failure (its `Cause`) is logged with it; the line names no key nor session. The same in both editions.
   */
  endedSessionNotRemoved:
    "WebSignIn: the store did not remove a session past its sessionMax: it is left for a later sign-in",
  sessionStoreNotAsked: (operation: string): string =>
    `WebSignIn: the session store was not asked (${operation}): no time left of callbackWait: the request failed with SessionStoreError`,
  // Which bound refused (the option's name), never the visitor's key.
  tooManySignIns: (bound: "startLimit" | "startLimitPerKey", retryAfterMillis: number): string =>
    `WebSignIn.start: ${bound === "startLimitPerKey" ? "this visitor started too many sign-ins" : "too many sign-ins were started"} (${bound}): no PIN created; try again in ${retryAfterSeconds(retryAfterMillis)} s`
} as const
