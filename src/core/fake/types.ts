/**
 * The fake Plex's public types: how to seed it, what it records, the views
 * its control calls return. Plain TypeScript, no Effect: the Effect 3 and
 * Effect 4 test kits map them onto their own (`Redacted`, `Duration`).
 *
 * @internal
 */
import type { Fault } from "./fault.js"
import type { Secret } from "./secret.js"

/** Which era of Plex's account payload the fake sends (see the Effect test kits' `PayloadShape`). */
export type PayloadShape = "2025-08" | "2026-02"

/**
 * A change to an account payload, to simulate drift: an object is merged in
 * deeply (objects key by key; `undefined` removes a key; anything else,
 * `null` included, replaces), a function rewrites the payload.
 */
export type PayloadOverride =
  | Readonly<Record<string, unknown>>
  | ((payload: Record<string, unknown>) => Record<string, unknown>)

/** An account. Every field is optional: the first account is `alice`, later ones `user2`, `user3`, ... */
export interface AccountSeed {
  readonly username?: string | undefined
  readonly email?: string | undefined
  readonly password?: string | undefined
  /** Turns two-factor authentication on: sign-in then needs this six-digit code. */
  readonly twoFactorCode?: string | undefined
  /** The account's initial token (default `fakeAccountToken0001`, `...0002`, ...). */
  readonly token?: string | undefined
  /** The account id, a positive whole number (default 24318101, 24318102, ...). */
  readonly id?: number | undefined
  readonly uuid?: string | undefined
  readonly title?: string | undefined
  readonly friendlyName?: string | undefined
  /** An active Plex Pass subscription. Default true. */
  readonly plexPass?: boolean | undefined
  readonly shape?: PayloadShape | undefined
  readonly payload?: PayloadOverride | undefined
  /** The Plex Home PIN protecting this user (four digits). */
  readonly homePin?: string | undefined
  /**
   * Whether plex.tv's home user listings mark a user with a `homePin` as
   * `protected`. Default true; false lists it unprotected while a switch to
   * it still asks for its PIN (403, code 1041), as plex.tv may.
   */
  readonly homePinListed?: boolean | undefined
  /** A managed (restricted) Plex Home user. Default false. */
  readonly managed?: boolean | undefined
  /** The account's authorized devices (`GET /devices.xml`), at most 100; each gets a token of its own. */
  readonly devices?: ReadonlyArray<DeviceSeed> | undefined
}

/** An authorized device of an account (`GET /devices.xml`). */
export interface DeviceSeed {
  readonly name?: string | undefined
  readonly product?: string | undefined
  readonly platform?: string | undefined
  readonly clientIdentifier?: string | undefined
  readonly token?: string | undefined
}

/** A Plex Home: its admin (default the first account) and its members (usernames or emails). */
export interface HomeSeed {
  readonly admin?: string | undefined
  readonly members: ReadonlyArray<string>
  readonly name?: string | undefined
}

/** One way to reach a server; protocol, address and port are read from `uri`. */
export interface ConnectionSeed {
  readonly uri: string
  readonly local?: boolean | undefined
  readonly relay?: boolean | undefined
  readonly IPv6?: boolean | undefined
}

/** A source a server knows besides the fake's servers, e.g. `provider://tv.plex.provider.vod`. */
export interface SourceSeed {
  readonly source: string
  readonly name?: string | undefined
  readonly clientIdentifier?: string | undefined
  readonly accessToken?: string | undefined
  readonly connections?: ReadonlyArray<ConnectionSeed> | undefined
}

/** A Plex Media Server (see the Effect test kits' `ServerSeed` for the defaults). */
export interface ServerSeed {
  readonly clientIdentifier?: string | undefined
  readonly name?: string | undefined
  readonly owner?: string | undefined
  readonly sharedWith?: ReadonlyArray<string> | undefined
  readonly accessToken?: string | undefined
  readonly version?: string | undefined
  readonly connections?: ReadonlyArray<ConnectionSeed> | undefined
  readonly sources?: ReadonlyArray<SourceSeed> | undefined
  /** Whether the server is claimed. Default true. */
  readonly claimed?: boolean | undefined
}

/**
 * The fake's time: what it is now (milliseconds since the epoch) and how to
 * wait. `sleep` must settle (reject) once `signal` aborts. The default is the
 * system clock and `setTimeout`; the Effect test kits pass their `Clock`, so
 * `TestClock` drives PIN expiry, fault delays and auto-approval.
 */
export interface FakeClock {
  readonly now: () => number
  readonly sleep: (millis: number, signal: AbortSignal) => Promise<void>
}

/** How to seed the fake. Everything is optional. Durations are milliseconds. */
export interface Options {
  /** Where plex.tv answers. Default `https://plex.tv`. */
  readonly plexTvUrl?: string | undefined
  /** Where clients.plex.tv answers (the same API, and the JWT host). Default `https://clients.plex.tv`. */
  readonly clientsUrl?: string | undefined
  /** More origins serving plex.tv's API. */
  readonly plexTvAliases?: ReadonlyArray<string> | undefined
  /** An unrelated host that records what it receives and answers 404. Default `https://elsewhere.example`. */
  readonly elsewhereUrl?: string | undefined
  readonly accounts?: ReadonlyArray<AccountSeed> | undefined
  /** The servers; the first is the default server. An empty array means none. */
  readonly servers?: ReadonlyArray<ServerSeed> | undefined
  /** The default payload era. Default `2026-02`. */
  readonly shape?: PayloadShape | undefined
  /** How long PINs live. Default 30 minutes for strong PINs, 15 for short codes. */
  readonly pinLifetimeMillis?:
    | { readonly strong?: number | undefined; readonly short?: number | undefined }
    | undefined
  /** How long transient tokens live. Default 48 hours. */
  readonly transientTokenLifetimeMillis?: number | undefined
  /** How long claim tokens live. Default 4 minutes. */
  readonly claimTokenLifetimeMillis?: number | undefined
  /**
   * Approve PINs by themselves: a PIN checked once it is `afterMillis` old
   * (default 0) is approved for `account` (default the first account) before
   * the check is answered. `true` is `{}`. Off by default.
   */
  readonly autoApprovePins?:
    | boolean
    | { readonly afterMillis?: number | undefined; readonly account?: string | undefined }
    | undefined
  readonly homes?: ReadonlyArray<HomeSeed> | undefined
  /** The fake's default clock (a handler call may pass its own). Default the system clock. */
  readonly clock?: FakeClock | undefined
  /**
   * Where random codes, tokens and nonces come from: an integer in
   * `[0, bound)`. Default Web Crypto (`crypto.getRandomValues`).
   */
  readonly randomInt?: ((bound: number) => number) | undefined
  /**
   * Serves each origin at another one (a loopback server gives each origin
   * its own port): every URL the fake knows and hands out (resources, source
   * connections, redirects) is the rebased one. See {@link origins}.
   */
  readonly rebase?: ((origin: string) => string) | undefined
  /**
   * The largest request body the handler reads, a whole number of bytes, 0 or more (anything else is refused
   * with a `FakePlexError`); a larger one is answered 413. Default 1 MiB.
   */
  readonly maxRequestBodyBytes?: number | undefined
  /**
   * The origins of browser pages that may call the fake (`http://localhost:5173`): a request whose `Origin`
   * is one of them is answered with `Access-Control-Allow-Origin` (and `Vary: Origin`, and every header
   * exposed), and its CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) with a 204 allowing the
   * method and headers it asks for, not recorded. None by default: the fake then sends no CORS headers and a
   * preflight gets the 404 of a path it does not serve, so a page of another origin cannot read any answer.
   * Each entry must be an http(s) URL; only its origin is used. The control API under `/__fake/` is left
   * out: it never answers with CORS headers (its preflight gets a 405), being for programs, not pages.
   */
  readonly allowOrigins?: ReadonlyArray<string> | undefined
}

/** An account of the fake. Its seeded credentials are plain strings: they are the test's own fixtures. */
export interface FakeAccount {
  readonly id: number
  readonly uuid: string
  readonly username: string
  readonly email: string
  readonly title: string
  readonly password: string
  readonly twoFactorCode: string | undefined
  /** The seeded token (sign-ins mint more). */
  readonly token: string
}

/** One connection of a fake server. */
export interface FakeConnection {
  readonly uri: string
  readonly protocol: string
  readonly address: string
  readonly port: number
  readonly local: boolean
  readonly relay: boolean
  readonly IPv6: boolean
}

/** A server of the fake. */
export interface FakeServer {
  readonly clientIdentifier: string
  readonly name: string
  /**
   * The account owning it now: the seeded owner, the account that claimed it since (`POST /myplex/claim`), or
   * `undefined` while it is unclaimed (seeded so, or removed from its account by `DELETE /devices/{id}.xml`).
   */
  readonly ownerId: number | undefined
  /** Its first connection's URL. */
  readonly url: string
  readonly urls: ReadonlyArray<string>
  readonly accessToken: string
  readonly version: string
  readonly connections: ReadonlyArray<FakeConnection>
}

/** A PIN created through `POST /api/v2/pins`. */
export interface FakePin {
  readonly id: number
  readonly code: string
  readonly strong: boolean
  readonly clientIdentifier: string
  readonly product: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly expired: boolean
  /** The account that approved it. */
  readonly accountId: number | undefined
  readonly authToken: string | undefined
}

/** A transient token a server issued. */
export interface FakeTransientToken {
  readonly token: string
  readonly serverId: string
  readonly admin: boolean
  readonly accountId: number
  readonly issuedAt: number
  readonly expiresAt: number
  readonly expired: boolean
}

/** A registered device key of JWT authentication. */
export interface FakeDeviceKey {
  readonly kid: string
  readonly thumbprint: string
  readonly accountId: number
}

/**
 * What became of a recorded request: still running, answered, dropped (reset or refused), given up by the
 * client, or `Failed`: the fake could not answer it (a `respond` fault's callback threw), so that the handler's
 * promise rejected with that error.
 */
export type Outcome = "Pending" | "Responded" | "Reset" | "Refused" | "Interrupted" | "Failed"

/**
 * A request the fake received. Header names are lower case; the token (in a
 * header or the query), passwords, verification codes and the secret fields
 * of a JSON body are {@link Secret}s, so printing or `JSON.stringify`-ing a
 * record never shows them.
 */
export interface RecordedRequest {
  /** 1, 2, 3, ... in arrival order. */
  readonly sequence: number
  /** The clock's time of arrival, in milliseconds. */
  readonly receivedAt: number
  readonly origin: string
  readonly host: "plex.tv" | "server" | "elsewhere"
  readonly serverId: string | undefined
  /** The route that served it (e.g. `getTokenDetails`); undefined for an unknown path. */
  readonly route: RouteName | undefined
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string | Secret>>
  readonly headers: Readonly<Record<string, string | Secret>>
  /** The form fields of a form-urlencoded body. */
  readonly form: Readonly<Record<string, string | Secret>> | undefined
  /** A JSON body, parsed, its secret fields at any depth {@link Secret}s; undefined for another body. */
  readonly json: unknown
  /** The scripted fault applied to it. */
  readonly fault: Fault["_tag"] | undefined
  /** The status answered, when an answer was sent. */
  readonly status: number | undefined
  readonly outcome: Outcome
}

/** The fake's routes, named for the client operation they serve. */
export type RouteName =
  | "postUsersSignInData"
  | "getTokenDetails"
  | "createPin"
  | "checkPin"
  | "getServerResources"
  | "ping"
  | "signOut"
  | "registerJwk"
  | "getNonce"
  | "exchangeJwt"
  | "getJwks"
  | "getTransientToken"
  | "getSourceConnectionInformation"
  | "getServerIdentity"
  | "getServerCapabilities"
  | "getHomeUsers"
  | "getHomeData"
  | "switchHomeUser"
  | "setHomePin"
  | "setManagedUserPin"
  | "removeHomeUser"
  | "getUsers"
  | "getUserFriends"
  | "removeFriend"
  | "inviteFriend"
  | "pendingInvites"
  | "acceptInvite"
  | "cancelInvite"
  | "getSharedServers"
  | "removeServer"
  | "getClaimToken"
  | "claimServer"
  | "getMyPlexAccount"
  | "unclaimServer"
  | "getDevices"
  | "deleteDevice"
  | "linkPin"
  | "approvalPage"
  | (string & {})

/**
 * Which requests a fault applies to: a route name, a path (starting with `/`), or a combination (an object of
 * `route`, `path`, `origin` and `method`; another key is refused: it would narrow nothing, and the fault select
 * every request).
 */
export type FaultTarget =
  | RouteName
  | {
      readonly route?: RouteName | undefined
      readonly path?: string | undefined
      /** `scheme://host[:port]` (a trailing `/` is taken): a URL with a path, query or fragment is refused. */
      readonly origin?: string | undefined
      readonly method?: string | undefined
    }

/** Options of a scripted fault. */
export interface FaultOptions {
  /**
   * Apply it to the next `times` matching requests only: a whole number, 1 or more (0, a negative or fractional
   * count is refused). Default: every one, until cleared.
   */
  readonly times?: number | undefined
}

/** What a handler call may bring besides the request. */
export interface HandlerContext {
  /** The clock for this request (default the fake's `clock` option). */
  readonly clock?: FakeClock | undefined
  /**
   * Aborting it gives up the request: a delay or hang stops, a body still
   * arriving is cancelled, a `respond` fault's promise is no longer awaited,
   * the record's outcome becomes `Interrupted` (a request given up while its
   * body still arrives has no record: one is made once the body is read),
   * and the handler rejects with the signal's reason at once. The
   * request's own signal (`request.signal`) does the same, given one here
   * or not: aborting either gives the request up.
   */
  readonly signal?: AbortSignal | undefined
}

/** The time a control call acts at. */
export interface At {
  /** Milliseconds since the epoch; default the fake's clock. */
  readonly now?: number | undefined
}
