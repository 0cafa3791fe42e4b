/**
 * The fake Plex: the web handler (`Request` → `Promise<Response>`) with
 * request recording, scripted faults, auto-approval and the body cap, and the
 * calls that inspect and control it, built from a resolved seed.
 *
 * @internal
 */
import { objectProblem } from "../validate.js"
import * as ApprovalPage from "./approvalPage.js"
import * as Approve from "./approve.js"
import * as Control from "./control.js"
import { ConnectionFailure, FakePlexError } from "./errors.js"
import type { Fault } from "./fault.js"
import * as Faults from "./faults.js"
import * as Http from "./http.js"
import * as Jwts from "./jwt.js"
import * as Routes from "./routes.js"
import { Secret } from "./secret.js"
import type { Seed, SeedAccount, SeedServer } from "./seed.js"
import { cryptoRandomInt, type RecordEntry, Store, target } from "./store.js"
import type {
  At,
  FakeAccount,
  FakeClock,
  FakeDeviceKey,
  FakePin,
  FakeServer,
  FakeTransientToken,
  FaultOptions,
  FaultTarget,
  HandlerContext,
  PayloadOverride,
  RecordedRequest
} from "./types.js"

/** The fake: its addresses and default credentials, its web handler, and its control calls. */
export interface FakePlex {
  /**
   * The fake as a web handler: routes by the request URL's origin. Rejects
   * with a `ConnectionFailure` (a `TypeError`) for a scripted reset or
   * refusal and for an origin the fake does not serve; with the signal's
   * reason once the request is aborted.
   */
  readonly handler: (request: Request, context?: HandlerContext) => Promise<Response>
  /** plex.tv's base URL. */
  readonly plexTvUrl: string
  /** The stand-in for app.plex.tv's sign-in page (`<plexTvUrl>/auth`, see approvalPage.ts): a web sign-in's `authAppUrl`. */
  readonly authAppUrl: string
  /** clients.plex.tv's base URL (the JWT host). */
  readonly clientsUrl: string
  readonly plexTvAliases: ReadonlyArray<string>
  /** The unrelated host (redirect target). */
  readonly elsewhereUrl: string
  /** The default server's URL ("" when the fake has no server). */
  readonly serverUrl: string
  /** Every origin the fake answers on. */
  readonly urls: ReadonlyArray<string>
  /** The default account's login (email), password and seeded token. */
  readonly login: string
  readonly password: string
  readonly token: string
  /** The default server's client identifier and own access token (as it is when read: claimed again, a new one). */
  readonly serverId: string
  readonly serverToken: string
  /** The accounts as they are when read: a managed user deleted since (removed from its Home) is not listed. */
  readonly accounts: ReadonlyArray<FakeAccount>
  /** The servers as they are when read: each one's `ownerId` is its current owner. */
  readonly servers: ReadonlyArray<FakeServer>

  /** An account by username or email; the default account without one. Throws `FakePlexError`. */
  readonly account: (login?: string) => FakeAccount
  /** A server by client identifier; the default server without one. Throws `FakePlexError`. */
  readonly server: (clientIdentifier?: string) => FakeServer
  /** Mints a new token for an account (default the default account). */
  readonly mintToken: (login?: string, at?: At) => string
  /**
   * Revokes a token: plex.tv then refuses it with 422 "Invalid token", as it does a signed-out one. A share's token
   * (a shared server's `accessToken`: a friend's share, an accepted invite's, a Home's) is refused by its server from
   * then on, and by plex.tv's `DELETE /api/servers/{id}` with 422; the share goes on, with a new token its user's
   * resources list. So is a claimed server's own token (`serverToken`, an owned resource's `accessToken`): the server
   * stays its owner's, with a new one. False when it was unknown or already revoked.
   */
  readonly revokeToken: (token: string) => boolean
  /**
   * Revokes every token handed to the devices with this client identifier (a sign-in, an approved PIN it
   * checked, a Home switch), as the user removing the device at plex.tv (`deleteDevice`) does: plex.tv then
   * refuses them with 422 "Invalid token"; the account's other tokens keep working. The device keys it registered
   * or traded a device JWT with are unregistered (store revokeDevice). False when no such device held a token not
   * revoked yet (an unknown client identifier included).
   */
  readonly revokeDevice: (clientIdentifier: string) => boolean
  /**
   * Whether plex.tv accepts a token: an account token not revoked (a Plex JWT until it expires), or the token a share
   * of a server has now (its server takes it, and @ctrl/plex's `DELETE /api/servers/{id}`), or a claimed server's own
   * token now (`serverToken`); not one of a share ended, of a server released since (claimed again, it and its shares
   * have new tokens), or revoked.
   */
  readonly isTokenValid: (token: string, at?: At) => boolean
  /** Adds drift to every later payload of an account (default the default account). */
  readonly patchAccount: (login: string | undefined, payload: PayloadOverride) => void
  /** The PINs created so far. */
  readonly pins: (at?: At) => ReadonlyArray<FakePin>
  /**
   * Approves a PIN (by id or code) for an account, as a user signing in at
   * plex.tv/link would; resolves to the PIN's new token. Rejects with
   * `FakePlexError` for an unknown or expired PIN or an unknown account.
   */
  readonly approvePin: (
    pin: number | string,
    options?: { readonly account?: string | undefined; readonly now?: number | undefined }
  ) => Promise<string>
  /** The transient tokens servers issued. */
  readonly transientTokens: (at?: At) => ReadonlyArray<FakeTransientToken>
  /** Restarts a server (default the default server): its transient tokens are gone. */
  readonly restartServer: (clientIdentifier?: string) => void
  /** Rotates the JWT signing key (previous keys stay published unless `retainPrevious: false`); the new `kid`. */
  readonly rotateJwtKey: (options?: { readonly retainPrevious?: boolean | undefined }) => Promise<string>
  /** The device keys registered for JWT authentication. */
  readonly deviceKeys: () => ReadonlyArray<FakeDeviceKey>
  /**
   * Unregisters a device key (by `kid`): plex.tv then refuses a device JWT signed with it with 422 "Signature
   * verification failed", as one of a key never registered; the tokens it minted keep working until they expire.
   * False when no key has that `kid`.
   */
  readonly unregisterDeviceKey: (kid: string) => boolean
  /** Scripts a fault for the requests `target` selects. */
  readonly fault: (target: FaultTarget, fault: Fault, options?: FaultOptions) => void
  /** Removes every scripted fault. */
  readonly clearFaults: () => void
  /** The requests received so far, in order (snapshots). */
  readonly requests: () => ReadonlyArray<RecordedRequest>
  /** Forgets the requests received so far. */
  readonly clearRequests: () => void
}

/** The names of the fake's routes, which a fault's target may name. */
const routeNames: ReadonlySet<string> = new Set(Routes.routes.map((route) => route.name))

/**
 * Why a scripted fault cannot be what it should, or undefined: a route name
 * the fake does not have (a typo would make the fault never happen), a target
 * that is neither a route name, a path nor an object, an origin that is not a
 * URL, a fault that is not one of `Fault`'s, or a `times` that is not a count of 1 or more. What needs the fake's
 * hosts (an origin it does not serve, a route with a method, path or origin it never has, a redirect that resolves
 * against none of the target's origins) is checked by `fault` (routeTargetProblem, redirectProblem).
 */
const faultProblem = (where: unknown, fault: unknown, scripted: unknown): string | undefined =>
  targetProblem(where) ??
  (typeof fault !== "object" || fault === null || typeof (fault as { _tag?: unknown })._tag !== "string"
    ? "the fault must be one of Fault's (handlerFaults')"
    : scripted !== undefined && (typeof scripted !== "object" || scripted === null)
      ? `the options ${objectProblem(scripted, true)}`
      : countProblem((scripted as { times?: unknown } | undefined)?.times))

const routeProblem = (route: unknown): string | undefined =>
  typeof route === "string" && routeNames.has(route)
    ? undefined
    : `no route named ${JSON.stringify(route)} (the routes: ${[...routeNames].join(", ")})`

/**
 * A path a request's path can be: a request's path never holds `?` or `#` (they start its query and fragment), so
 * a target path with one (`/api/v2/user?includeSubscriptions=1`) would select nothing; nor a space, a non-ASCII
 * character (percent-encoded), a `.` or `..` segment (resolved) or a `\` (read as `/`). Not shown: a query may
 * carry a token.
 */
const pathProblem = (path: string): string | undefined =>
  /[?#]/.test(path)
    ? "the target's path must be the path alone, with no ?query or #fragment (a fault matches the request's path, whatever its query)"
    : asRequestPath(path) !== path
      ? "the target's path must be written as a request's path is: percent-encoded (%20, not a space; %C3%A9, not \u00e9), with no . or .. segment and / not \\ (a fault matches the request's path as written)"
      : undefined

/** The path a request to `path` has (`new URL`'s reading: spaces and non-ASCII encoded, `.` and `..` resolved). */
const asRequestPath = (path: string): string | undefined => {
  try {
    return new URL(`http://fake.invalid${path}`).pathname
  } catch {
    return undefined
  }
}

/** The keys a target object takes. */
const targetKeys: ReadonlyArray<string> = ["route", "path", "origin", "method"]

const targetProblem = (where: unknown): string | undefined => {
  if (typeof where === "string") return where.startsWith("/") ? pathProblem(where) : routeProblem(where)
  if (typeof where !== "object" || where === null) {
    return "the target must be a route name, a path (starting with /) or an object"
  }
  // A key it does not take (a typo, `rout`; python's `{"name": ...}` over the control API) narrows nothing: the fault
  // would select every request, of every origin, that the keys it does take let through.
  const unknown = Object.keys(where).filter((key) => !targetKeys.includes(key))
  if (unknown.length > 0) {
    return `the target takes ${targetKeys.slice(0, -1).join(", ")} and ${targetKeys.at(-1)}, not ${unknown.join(", ")} (a key it does not take narrows nothing: the fault would select every request)`
  }
  const { method, origin, path, route } = where as Record<string, unknown>
  if (route !== undefined && routeProblem(route) !== undefined) return routeProblem(route)
  if (path !== undefined && (typeof path !== "string" || !path.startsWith("/"))) {
    return "the target's path must start with /"
  }
  if (typeof path === "string" && pathProblem(path) !== undefined) return pathProblem(path)
  if (method !== undefined && typeof method !== "string") return "the target's method must be a string"
  if (origin === undefined) return undefined
  let url: URL
  try {
    url = new URL(String(origin))
  } catch {
    return `the target's origin ${JSON.stringify(origin)} is not a URL`
  }
  // Only the origin of the URL is matched: a path, query or fragment given with it would be dropped, and the fault
  // then selects every request to that origin, not the ones the test named.
  if (
    url.pathname !== "/" ||
    url.search !== "" ||
    url.hash !== "" ||
    url.username !== "" ||
    url.password !== ""
  ) {
    return `the target's origin ${String(origin)} is more than an origin (scheme://host[:port], here ${url.origin}): a fault matches the request's origin only, so it would select every request to ${url.origin}; give the path as the target's path`
  }
  return undefined
}

/** The methods tried for a route that answers any method. */
const anyMethod = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

/**
 * Why a target that names a route selects no request, or undefined: with an origin that is not a host of the
 * route's kind (a server's route on plex.tv, or the unrelated host), a method the route does not answer, or a path
 * the route does not serve (the route table's first match for that path, as a request to it would have). Each
 * request has one route, so such a fault would never happen. The origin is one the fake serves (checked first).
 */
const routeTargetProblem = (selected: ReturnType<typeof target>, store: Store): string | undefined => {
  const { method, origin, path, route: name } = selected
  if (name === undefined) return undefined
  const named = Routes.routes.filter((route) => route.name === name)
  const kind = origin === undefined ? undefined : store.hosts.get(origin)?.kind
  const onHost = kind === undefined ? named : named.filter((route) => route.host === kind)
  const hostName = (host: string) => (host === "plexTv" ? "plex.tv's origins" : "a server's origins")
  if (onHost.length === 0) {
    return `the route ${name} is served on ${[...new Set(named.map((route) => hostName(route.host)))].join(" and ")}, not on ${origin} (${kind === "elsewhere" ? "the unrelated host" : hostName(kind ?? "")}): the fault would never happen`
  }
  const answering =
    method === undefined
      ? onHost
      : onHost.filter((route) => route.methods === "*" || route.methods.includes(method))
  if (answering.length === 0) {
    const methods = [...new Set(onHost.flatMap((route) => (route.methods === "*" ? [] : route.methods)))]
    return `the route ${name} answers ${methods.join(", ")} only, not ${method}: the fault would never happen`
  }
  if (path === undefined) return undefined
  const serving = answering.filter((route) =>
    (method !== undefined ? [method] : route.methods === "*" ? anyMethod : route.methods).some(
      (m) => Routes.matchOn(route.host, m, path)?.route === route
    )
  )
  if (serving.length > 0) return undefined
  return `the route ${name} does not serve the path ${path} (its path: ${[...new Set(answering.map((route) => route.path))].join(", ")}): the fault would never happen`
}

/** The `to` of a redirect, directly or after a delay, or undefined. */
const redirectTo = (fault: Fault): string | undefined =>
  fault._tag === "Redirect"
    ? fault.to
    : fault._tag === "Delay" && fault.then !== undefined
      ? redirectTo(fault.then)
      : undefined

/**
 * Why a redirect's `to` cannot be resolved against the URL of any request the target may select, or undefined:
 * the fault resolves it against the request's, and `"https:"` resolves against an https URL only (`"http:"` an
 * http one), so on a fake whose origins are all http it would fail every request rather than redirect it. The
 * origins are the target's, or every one the fake serves (of the target route's host kind).
 */
const redirectProblem = (
  fault: Fault,
  selected: ReturnType<typeof target>,
  store: Store
): string | undefined => {
  const to = redirectTo(fault)
  if (to === undefined) return undefined
  const kinds = new Set<string>(
    Routes.routes.filter((route) => route.name === selected.route).map((route) => route.host)
  )
  const origins =
    selected.origin !== undefined
      ? [selected.origin]
      : [...store.hosts]
          .filter(([, host]) => selected.route === undefined || kinds.has(host.kind))
          .map(([o]) => o)
  const resolves = origins.some((origin) => {
    try {
      new URL(to, `${origin}/`)
      return true
    } catch {
      return false
    }
  })
  return resolves
    ? undefined
    : `the redirect's to ${JSON.stringify(to)} resolves against no request the target selects (${origins.join(", ")}): the fault resolves it against the request's URL`
}

/**
 * Why `times` cannot be how many requests a fault applies to, or undefined: a whole number, 1 or more (or
 * `Infinity`, as without it). `times: 0` would script a fault that never happens, as a negative or fractional one
 * or one that is not a number would.
 */
const countProblem = (times: unknown): string | undefined =>
  times === undefined ||
  (typeof times === "number" && times >= 1 && (Number.isInteger(times) || times === Number.POSITIVE_INFINITY))
    ? undefined
    : `times must be a count of requests, 1 or more (got ${typeof times === "number" ? String(times) : typeof times}): a fault applied to none never happens`

/** The largest request body the handler reads by default: 1 MiB (Plex's requests are small forms and JSON). */
export const maxRequestBodyBytes = 1024 * 1024

/** The text of the 413 answer to a body past `limit` bytes (a socket server refusing early sends the same). */
export const payloadTooLargeText = (limit: number): string => `request body larger than ${limit} bytes\n`

/** The answer to a body past the cap. */
export const payloadTooLarge = (limit: number): Response =>
  Http.bytes(413, "text/plain; charset=utf-8", payloadTooLargeText(limit), { connection: "close" })

/**
 * Settles as `work` does, or rejects with `signal`'s reason as soon as it aborts, whatever `work` still waits
 * for (a `respond` fault that ignores its signal): the caller that gave up is answered, and nothing of the
 * request is kept for it (`work`, left to itself, is the garbage collector's once nothing else holds it).
 */
const orAbort = <A>(work: Promise<A>, signal: AbortSignal): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) onAbort()
    else signal.addEventListener("abort", onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort))
  })

/**
 * A signal that aborts, with that one's reason, as soon as the handler's `given` signal or the request's `own` does:
 * a signal given with the request (a binding's interruption, `fake.handler(request, { signal })`) does not silence
 * the one the `Request` was made with (a client that gave up, as a server or a mock service worker hands its request
 * on). `release` stops following them once the request is answered.
 */
const eitherSignal = (
  given: AbortSignal | undefined,
  own: AbortSignal
): { readonly signal: AbortSignal; readonly release: () => void } => {
  if (given === undefined || given === own) return { signal: own, release: () => undefined }
  const controller = new AbortController()
  const onGiven = () => controller.abort(given.reason)
  const onOwn = () => controller.abort(own.reason)
  if (given.aborted) onGiven()
  else if (own.aborted) onOwn()
  given.addEventListener("abort", onGiven, { once: true })
  own.addEventListener("abort", onOwn, { once: true })
  return {
    signal: controller.signal,
    release: () => {
      given.removeEventListener("abort", onGiven)
      own.removeEventListener("abort", onOwn)
    }
  }
}

/** The system clock: `Date.now` and `setTimeout`. */
export const systemClock: FakeClock = {
  now: () => Date.now(),
  sleep: (millis, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      // A wait past setTimeout's range (about 24.8 days) only ends with the signal: setTimeout would fire at once.
      if (!(millis <= 2_147_483_647)) {
        signal.addEventListener("abort", () => reject(signal.reason), { once: true })
        return
      }
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal.reason)
      }
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort)
        resolve()
      }, millis)
      signal.addEventListener("abort", onAbort, { once: true })
    })
}

const secretHeaders = new Set(["x-plex-token", "authorization", "proxy-authorization", "cookie"])
/** Query, form and JSON fields whose values the request log keeps as {@link Secret}s (names compared in lower case). */
const secretFields = new Set([
  "x-plex-token",
  "password",
  // The legacy sign-in's form field (`POST /users/sign_in.json`, routes.ts).
  "user[password]",
  "verificationcode",
  // A PIN's code, as the approval page (`POST /auth`) and a link (`PUT /api/v2/pins/link`) receive it: whoever
  // holds it can approve the PIN for an account of theirs.
  "code",
  // A Plex Home PIN (`switchHomeUser`'s query parameter): a wrong one is as secret as a right one.
  "pin",
  "currentpin",
  "token",
  "authtoken",
  "jwt",
  "devicejwt"
])

const redactPairs = (pairs: Iterable<[string, string]>, secret: ReadonlySet<string>, lowerCase: boolean) => {
  const out: Record<string, string | Secret> = {}
  for (const [rawName, value] of pairs) {
    const name = lowerCase ? rawName.toLowerCase() : rawName
    out[name] = secret.has(rawName.toLowerCase()) ? new Secret(value) : value
  }
  return out
}

/** A JSON value with the values of secret fields, at any depth, made {@link Secret}s. */
const redactJson = (value: unknown, secret: ReadonlySet<string>): unknown => {
  if (Array.isArray(value)) return value.map((item) => redactJson(item, secret))
  if (typeof value !== "object" || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(value)) {
    out[name] = secret.has(name.toLowerCase())
      ? new Secret(typeof field === "string" ? field : JSON.stringify(field))
      : redactJson(field, secret)
  }
  return out
}

const parseJson = (contentType: string | null, body: string): unknown => {
  if (!/\bapplication\/(?:[\w.+-]*\+)?json\b/i.test(contentType ?? "") || body.length === 0) return undefined
  try {
    return JSON.parse(body) as unknown
  } catch {
    return undefined
  }
}

/**
 * The body as text, or undefined when it is longer than `limit` bytes (then never kept whole). Once `signal`
 * aborts, rejects with its reason and cancels the body and `copy`'s (its clone, the other branch of the tee),
 * so that a body the caller never ends is let go of.
 */
const readBody = async (
  request: Request,
  copy: Request,
  limit: number,
  signal: AbortSignal
): Promise<string | undefined> => {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN)
  if (Number.isFinite(declared) && declared > limit) {
    // Never read, but let go of as one found past the limit below: both branches, or the tee keeps its source.
    for (const stream of [request.body, copy.body]) {
      if (stream !== null && !stream.locked) stream.cancel().catch(() => undefined)
    }
    return undefined
  }
  if (request.body === null) return ""
  const reader = request.body.getReader()
  const onAbort = () => {
    // Both branches: the tee cancels its source only once both are cancelled.
    reader.cancel(signal.reason).catch(() => undefined)
    if (copy.body !== null && !copy.body.locked) copy.body.cancel(signal.reason).catch(() => undefined)
  }
  signal.addEventListener("abort", onAbort, { once: true })
  const chunks: Array<Uint8Array> = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      // A cancelled reader reads as done: the body was cut short, not ended.
      if (signal.aborted) throw signal.reason
      if (done) break
      size += value.length
      if (size > limit) {
        // Both branches, not awaited: cancelling one branch of a cloned (teed) body settles only once both are
        // cancelled, and the clone's branch, never read, would keep what the tee had queued for it.
        reader.cancel().catch(() => undefined)
        if (copy.body !== null && !copy.body.locked) copy.body.cancel().catch(() => undefined)
        return undefined
      }
      chunks.push(value)
    }
  } finally {
    signal.removeEventListener("abort", onAbort)
  }
  const all = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.length
  }
  return new TextDecoder().decode(all)
}

const hostName = (host: Routes.Context["host"]): RecordedRequest["host"] =>
  host.kind === "plexTv" ? "plex.tv" : host.kind

const snapshot = (entry: RecordEntry): RecordedRequest => ({
  ...entry,
  query: entry.query as RecordedRequest["query"],
  headers: entry.headers as RecordedRequest["headers"],
  form: entry.form as RecordedRequest["form"]
})

const accountView = (a: SeedAccount): FakeAccount => ({
  id: a.id,
  uuid: a.uuid,
  username: a.username,
  email: a.email,
  title: a.title,
  password: a.password,
  twoFactorCode: a.twoFactorCode,
  token: a.token
})

/** A server as it is now: its owner follows claims and releases. */
const serverView = (store: Store, s: SeedServer): FakeServer => ({
  clientIdentifier: s.clientIdentifier,
  name: s.name,
  ownerId: store.ownerOf(s),
  url: s.connections[0]?.uri ?? "",
  urls: s.connections.map((c) => c.uri),
  // Its own token now: a new one once claimed again (store serverToken).
  accessToken: store.serverToken(s),
  version: s.version,
  connections: s.connections
})

/** The fake built from a seed. */
export const fromSeed = (
  seed: Seed,
  options: {
    readonly clock?: FakeClock | undefined
    readonly randomInt?: ((bound: number) => number) | undefined
    readonly maxRequestBodyBytes?: number | undefined
    /** The origins (already `URL.origin`s) whose pages may read the fake's answers (CORS). */
    readonly allowOrigins?: ReadonlyArray<string> | undefined
  } = {}
): FakePlex => {
  const store = new Store(seed, options.randomInt ?? cryptoRandomInt)
  const firstAccount = seed.accounts[0]
  const firstServer = seed.servers[0]
  if (firstAccount === undefined) throw new FakePlexError("FakePlex: no accounts")
  const defaultClock = options.clock ?? systemClock
  const bodyLimit = options.maxRequestBodyBytes ?? maxRequestBodyBytes
  const timeOf = (at: At | undefined) => at?.now ?? defaultClock.now()

  /** A few of `items`, for an error that says what there is: `a, b, c and 7 more`. */
  const some = (items: ReadonlyArray<string | number>): string =>
    items.length > 5 ? `${items.slice(0, 5).join(", ")} and ${items.length - 5} more` : items.join(", ")

  const findAccount = (login: string | undefined, caller = ""): SeedAccount => {
    const found = login === undefined ? store.accounts.get(firstAccount.id) : store.accountByLogin(login)
    if (found === undefined) {
      const wanted = login?.trim().toLowerCase()
      const deleted = [...store.deleted.values()].find((account) =>
        wanted === undefined
          ? account.id === firstAccount.id
          : account.username.toLowerCase() === wanted || account.email.toLowerCase() === wanted
      )
      if (deleted !== undefined) {
        throw new FakePlexError(
          `${caller}the account ${deleted.username} was deleted (a managed user removed from its Home): it signs in, mints and approves no more`
        )
      }
      const usernames = [...store.accounts.values()].map((account) => account.username)
      throw new FakePlexError(
        `${caller}no account with the login ${login} (the accounts: ${some(usernames)})`
      )
    }
    return found
  }

  const findServer = (id: string | undefined): SeedServer => {
    const found = id === undefined ? firstServer : store.server(id)
    if (found === undefined) throw new FakePlexError(`no server ${id ?? "(the fake has none)"}`)
    return found
  }

  const approvePin: FakePlex["approvePin"] = async (pin, approval = {}) => {
    // From untyped JavaScript: a FakePlexError naming what is wrong, not a TypeError.
    if (typeof pin !== "number" && typeof pin !== "string") {
      throw new FakePlexError("approvePin: the PIN must be its id (a number) or its code (a string)")
    }
    const problem = objectProblem(approval, true)
    if (problem !== undefined) throw new FakePlexError(`approvePin: options ${problem}`)
    const account = findAccount(approval.account, "approvePin: ")
    const found =
      typeof pin === "number"
        ? [...store.pins.values()].find((p) => p.id === pin)
        : Approve.pinByCode(store, pin)
    if (found === undefined) {
      // A PIN's code is a secret (requests record it Redacted): named by its id only. Said what the fake has, as
      // the usual mistake is approving before the client created its PIN (a login forked, not yet run).
      const ids = [...store.pins.values()].map((p) => p.id)
      throw new FakePlexError(
        `approvePin: no PIN ${typeof pin === "number" ? `with the id ${pin}` : "with the code given"} (${
          ids.length === 0
            ? "the fake has created no PIN yet: approve a PIN once the client has created it, from onPin say"
            : `the PINs: ${some(ids)}`
        })`
      )
    }
    const approved = await Approve.approve(store, found, account, timeOf(approval), { again: true })
    if ("token" in approved) return approved.token
    throw new FakePlexError(
      approved.refused === "Expired"
        ? `approvePin: the PIN ${found.id} has expired`
        : `approvePin: the PIN ${found.id}'s key belongs to another account`
    )
  }

  /** With `autoApprovePins`: approves a PIN that is old enough, as the user would, before its check is answered. */
  const autoApprove = async (id: number, now: number): Promise<void> => {
    const auto = seed.autoApprovePins
    const pin = store.pins.get(id)
    if (auto === undefined || pin === undefined || pin.authToken !== undefined) return
    if (now >= pin.expiresAt || now < pin.createdAt + auto.afterMillis) return
    await approvePin(id, { account: auto.account, now }).catch(() => undefined)
  }

  /**
   * The requests being answered. A `Request`'s signal, followed whether or not the handler was given a `signal` too
   * (eitherSignal), follows the one it was made with only while the `Request` lives (undici ties the two through a
   * `WeakRef`): a caller that keeps no reference to it (`fake.handler(new Request(url, { signal }))`) would have its
   * abort lost once the garbage collector takes the `Request`, and a hanging or delayed answer never end. Kept here
   * until answered.
   */
  const inFlight = new Map<Request, number>()

  const allowOrigins = new Set(options.allowOrigins ?? [])

  const handler = async (request: Request, context: HandlerContext = {}): Promise<Response> => {
    const origin = request.headers.get("origin")
    if (origin === null || !allowOrigins.has(origin) || isControl(new URL(request.url)))
      return answer(request, context)
    // A browser's preflight, answered as a server that allows the page would: it is the browser's, not the app's.
    if (request.method.toUpperCase() === "OPTIONS" && request.headers.has("access-control-request-method")) {
      if (!store.hosts.has(new URL(request.url).origin))
        throw new ConnectionFailure("Refused", new URL(request.url).origin)
      return Http.empty(204, {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": request.headers.get("access-control-request-headers") ?? "",
        "access-control-max-age": "600",
        vary: "Origin"
      })
    }
    const response = await answer(request, context)
    const headers = new Headers(response.headers)
    headers.set("access-control-allow-origin", origin)
    headers.set("access-control-expose-headers", "*")
    headers.append("vary", "Origin")
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
  }

  /**
   * A request to the control API (control.ts): never answered with CORS headers, whatever `allowOrigins` says,
   * nor its preflight (a 405 then, as any method it does not take): the control API is for programs (a test, a
   * script), not for pages, so no page, even an allowed one, reads the request log or scripts the fake.
   */
  const isControl = (url: URL): boolean =>
    store.hosts.get(url.origin)?.kind === "plexTv" && url.pathname.startsWith(Control.prefix)

  const answer = async (request: Request, context: HandlerContext): Promise<Response> => {
    // Counted: the same GET Request may be handed in twice at once.
    inFlight.set(request, (inFlight.get(request) ?? 0) + 1)
    const { release, signal } = eitherSignal(context.signal, request.signal)
    try {
      return await handle(request, context.clock ?? defaultClock, signal)
    } finally {
      release()
      const left = (inFlight.get(request) ?? 1) - 1
      if (left === 0) inFlight.delete(request)
      else inFlight.set(request, left)
    }
  }

  /** The faults behind each request given to a fault (its `respond`'s): see `handle`. */
  const respondedBy = new WeakMap<Request, ReadonlySet<Fault>>()

  const handle = async (request: Request, clock: FakeClock, signal: AbortSignal): Promise<Response> => {
    if (signal.aborted) throw signal.reason
    const url = new URL(request.url)
    const origin = url.origin
    const host = store.hosts.get(origin)
    if (host === undefined) throw new ConnectionFailure("Refused", origin)
    const now = clock.now()
    const copy = request.clone()
    const body = await readBody(request, copy, bodyLimit, signal)
    // Given up in the turn the body was read in: not recorded, as one given up while its body arrived (a record
    // made now would never see the abort, and stay `Pending`).
    if (signal.aborted) throw signal.reason
    const headers = request.headers
    const form =
      body !== undefined && /application\/x-www-form-urlencoded/i.test(headers.get("content-type") ?? "")
        ? new URLSearchParams(body)
        : undefined
    const method = request.method.toUpperCase()
    // The control API (control.ts): neither recorded nor faulted, so a test can always reach it.
    if (isControl(url)) {
      return body === undefined
        ? payloadTooLarge(bodyLimit)
        : Control.answer(fake, store, method, url, headers, body)
    }
    const matched = Routes.match(host, method, url.pathname)
    const route = matched?.route.name
    const entry = store.record({
      receivedAt: now,
      origin,
      host: hostName(host),
      serverId: host.kind === "server" ? host.server.clientIdentifier : undefined,
      route,
      method,
      path: url.pathname,
      query: redactPairs(url.searchParams, secretFields, false),
      headers: redactPairs(headers, secretHeaders, true),
      form: form === undefined ? undefined : redactPairs(form, secretFields, false),
      json:
        body === undefined
          ? undefined
          : redactJson(parseJson(headers.get("content-type"), body), secretFields)
    })
    if (body === undefined) {
      entry.status = 413
      entry.outcome = "Responded"
      return payloadTooLarge(bodyLimit)
    }
    // Marked at once (not when the handler's promise settles), so a caller that aborts sees it.
    const onAbort = () => {
      if (entry.outcome === "Pending") entry.outcome = "Interrupted"
    }
    signal.addEventListener("abort", onAbort, { once: true })
    try {
      const ctx: Routes.Context = {
        request: copy,
        url,
        origin,
        method,
        headers,
        query: url.searchParams,
        body,
        form,
        json: Http.wantsJson(headers),
        params: matched?.params ?? {},
        now,
        store,
        host
      }
      if (route === "checkPin") await autoApprove(Number(matched?.params["id"]), now)
      const normal = async () => (matched === undefined ? Http.htmlPage(404) : matched.route.handle(ctx))
      // A request a `respond` fault hands back to the fake (`fake.handle(request)`) skips that fault, and those
      // before it: it gets the answer beneath them, not the same `respond` again, over and over until memory ran out.
      const behind = respondedBy.get(request)
      const fault = store.takeFault({ route, path: url.pathname, origin, method }, behind)
      if (fault !== undefined) respondedBy.set(copy, new Set([...(behind ?? []), fault]))
      entry.fault = fault?._tag
      // Only the fault may wait on what the fake does not control (a `respond` promise, a clock's sleep): given up
      // on at the abort. The answer made, the abort is too late for it: answered and recorded as `Responded`.
      const response = await (fault === undefined
        ? normal()
        : orAbort(Faults.apply(fault, ctx, normal, clock.sleep, signal), signal))
      if (signal.aborted) throw signal.reason
      entry.status = response.status
      entry.outcome = "Responded"
      return response
    } catch (error) {
      if (entry.outcome === "Pending") {
        // A reset or refusal; otherwise (a `respond` fault that threw) the request ended without an answer.
        if (error instanceof ConnectionFailure) entry.outcome = error.reason
        else if (!signal.aborted) entry.outcome = "Failed"
      }
      throw error
    } finally {
      signal.removeEventListener("abort", onAbort)
    }
  }

  const fake: FakePlex = {
    handler,
    plexTvUrl: seed.plexTvUrl,
    authAppUrl: ApprovalPage.urlOf(seed.plexTvUrl),
    clientsUrl: seed.clientsUrl,
    plexTvAliases: seed.plexTvAliases,
    elsewhereUrl: seed.elsewhereUrl,
    serverUrl: firstServer?.connections[0]?.uri ?? "",
    urls: [...store.hosts.keys()],
    login: firstAccount.email,
    password: firstAccount.password,
    token: firstAccount.token,
    serverId: firstServer?.clientIdentifier ?? "",
    // Read when asked: claimed again, or its token revoked, the server has a new one (store serverToken).
    get serverToken() {
      return firstServer === undefined ? "" : store.serverToken(firstServer)
    },
    // Read when asked: a managed user deleted since (removed from its Home: store deleteAccess) is not listed.
    get accounts() {
      return [...store.accounts.values()].map(accountView)
    },
    // Read when asked, so each server's owner is the current one.
    get servers() {
      return seed.servers.map((s) => serverView(store, s))
    },
    account: (login) => accountView(findAccount(login)),
    server: (id) => serverView(store, findServer(id)),
    mintToken: (login, at) => Approve.mintToken(store, findAccount(login).id, timeOf(at), "control"),
    revokeToken: (token) => {
      const entry = store.tokens.get(token)
      // Not an account token: a share's (a shared server's `accessToken`) or a server's own, revoked as plex.tv would
      // (store revokeShareToken, revokeServerToken).
      if (entry === undefined) return store.revokeShareToken(token) || store.revokeServerToken(token)
      if (entry.revoked) return false
      entry.revoked = true
      return true
    },
    revokeDevice: (clientIdentifier) => {
      const devices = [...store.devices.values()].filter((d) => d.clientIdentifier === clientIdentifier)
      const live = devices.some((d) =>
        [...store.tokens].some(
          ([token, entry]) => !entry.revoked && (entry.deviceId === d.id || token === d.token)
        )
      )
      for (const device of devices) store.revokeDevice(device.id)
      return live
    },
    isTokenValid: (token, at) =>
      (!Jwts.isExpired(store, token, timeOf(at)) && store.accountByToken(token) !== undefined) ||
      store.shareByToken(token) !== undefined ||
      store.serverByToken(token) !== undefined,
    patchAccount: (login, payload) => store.patchAccount(findAccount(login).id, payload),
    pins: (at) => {
      const now = timeOf(at)
      return [...store.pins.values()].map((p) => ({
        id: p.id,
        code: p.code,
        strong: p.strong,
        clientIdentifier: p.clientIdentifier,
        product: p.product,
        createdAt: p.createdAt,
        expiresAt: p.expiresAt,
        expired: now >= p.expiresAt,
        accountId: p.accountId,
        authToken: p.authToken
      }))
    },
    approvePin,
    transientTokens: (at) => {
      const now = timeOf(at)
      return [...store.transients.entries()].map(([token, t]) => ({
        token,
        serverId: t.serverId,
        admin: t.admin,
        accountId: t.accountId,
        issuedAt: t.issuedAt,
        expiresAt: t.expiresAt,
        expired: now >= t.expiresAt
      }))
    },
    restartServer: (id) => {
      const server = findServer(id)
      for (const [token, t] of store.transients) {
        if (t.serverId === server.clientIdentifier) store.transients.delete(token)
      }
    },
    rotateJwtKey: async (rotation = {}) => {
      const problem = objectProblem(rotation, true)
      if (problem !== undefined) throw new FakePlexError(`rotateJwtKey: options ${problem}`)
      return (await Jwts.rotate(store, rotation.retainPrevious ?? true)).kid
    },
    deviceKeys: () =>
      [...store.deviceKeys.values()].map((k) => ({
        kid: k.kid,
        thumbprint: k.thumbprint,
        accountId: k.accountId
      })),
    unregisterDeviceKey: (kid) => store.deviceKeys.delete(kid),
    fault: (where, fault, scripted = {}) => {
      // A target that selects nothing would make the fault silently never happen: refuse it loudly.
      const problem = faultProblem(where, fault, scripted)
      if (problem !== undefined) throw new FakePlexError(`fault: ${problem}`)
      const selected = target(where)
      // A request to an origin the fake does not serve is refused before any fault is looked at.
      if (selected.origin !== undefined && !store.hosts.has(selected.origin)) {
        throw new FakePlexError(
          `fault: the target's origin ${selected.origin} is not one the fake serves (it serves ${[...store.hosts.keys()].join(", ")})`
        )
      }
      const never = routeTargetProblem(selected, store) ?? redirectProblem(fault, selected, store)
      if (never !== undefined) throw new FakePlexError(`fault: ${never}`)
      const times = scripted.times ?? Number.POSITIVE_INFINITY
      store.faults.push({ target: selected, fault, remaining: times })
    },
    clearFaults: () => {
      store.faults = []
    },
    requests: () => store.records.map(snapshot),
    clearRequests: () => {
      store.records = []
    }
  }
  return fake
}
