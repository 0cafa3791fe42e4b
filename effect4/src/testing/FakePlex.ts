/**
 * A faithful, stateful, in-memory Plex for testing programs built on
 * effect4-plex-auth: plex.tv's account API (sign-in with two-factor codes,
 * token details, PINs, resources, ping, sign-out) and Plex Media Servers
 * (transient tokens, source connection information, identity), with the
 * status codes, error bodies and content types the real services use.
 *
 * The fake is the library's one fake Plex, a standard web handler
 * (`Request` → `Promise<Response>`, no Effect in it) that routes by origin:
 * plex.tv (`https://plex.tv`), clients.plex.tv (`https://clients.plex.tv`,
 * the same API family and the JWT host), each fake server's connection
 * URLs, and an unrelated host for redirect tests. This module binds it to
 * Effect 4: {@link layer} serves it through an in-memory `HttpClient` (no
 * socket) whose requests read the calling fiber's `Clock` (so `TestClock`
 * drives PIN expiry, delays and auto-approval) and are aborted when the
 * fiber is interrupted; `effect4-plex-auth/node` serves the same handler on
 * loopback ports.
 *
 * Every request is recorded (secrets `Redacted`), and faults can be scripted
 * per route, path or origin (see `Fault`).
 *
 * @since 0.1.0
 */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Core from "../../../src/core/fake/index.js"
import { authAppUrlVariable } from "../../../src/core/pin.js"
import { coreOptions, coreRandomInt, fromCore, seeded } from "./internal/binding.js"
import { ConnectionFailure, FakePlexError } from "./internal/errors.js"
import * as ClientIdentity from "../ClientIdentity.js"
import * as Credentials from "../Credentials.js"
import { JwtHost } from "../internal/jwtHost.js"
import * as PlexServer from "../PlexServer.js"
import * as PlexTv from "../PlexTv.js"
import type { Fault } from "./Fault.js"

export {
  /**
   * The fake's connection failed instead of answering: a scripted reset or
   * refusal, or a request to an origin the fake does not serve. The
   * in-memory `HttpClient` turns it into a transport error
   * (`TransportError`, its cause carrying `ECONNRESET`/`ECONNREFUSED`); the
   * Node server destroys the socket.
   *
   * @since 0.1.0
   * @category errors
   */
  ConnectionFailure,
  /**
   * A control call named an account, server or PIN the fake does not have,
   * or a PIN that has expired; or it was given an argument of the wrong kind
   * (from untyped JavaScript: null options, a PIN that is neither an id nor
   * a code), named in the message. Misuse of a kit function whose type has
   * no error channel (`make`, `layer`, `fault`, `rotateJwtKey`, `FakePlexServer.make`:
   * options of the wrong kind, a refused fault or port) and a seed the fake refuses
   * (an unknown account, two accounts sharing a login, a negative duration,
   * ...) are defects instead: this error, with `Effect.die`.
   *
   * @since 0.1.0
   * @category errors
   */
  FakePlexError
}

// ---------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------

/**
 * Which era of Plex's account payload the fake sends: `2025-08` (the seeds'
 * era, with the deprecated `pin` hash) or `2026-02` (newer profile fields
 * such as `defaultAudioAccessibility` and `mediaReviewsLanguages`, sign-in
 * answers with `pastSubscriptions` and `trials`).
 *
 * @since 0.1.0
 * @category models
 */
export type PayloadShape = Core.PayloadShape

/**
 * A change to an account payload, to simulate drift: an object is merged in
 * deeply (objects key by key; `undefined` removes a key; anything else,
 * `null` included, replaces), a function rewrites the payload.
 *
 * @since 0.1.0
 * @category models
 */
export type PayloadOverride = Core.PayloadOverride

/**
 * An account. Every field is optional: the first account defaults to
 * {@link defaults} (`alice`), later ones to `user2`, `user3`, ...
 *
 * @since 0.1.0
 * @category models
 */
export interface AccountSeed {
  readonly username?: string | undefined
  /** The email, also accepted as login. Default `<username>@example.com`. */
  readonly email?: string | undefined
  readonly password?: string | Redacted.Redacted<string> | undefined
  /** Turns two-factor authentication on: sign-in then needs this six-digit code. */
  readonly twoFactorCode?: string | Redacted.Redacted<string> | undefined
  /** The account's initial token (default `fakeAccountToken0001`, `...0002`, ...). */
  readonly token?: string | Redacted.Redacted<string> | undefined
  /** The account id, a positive whole number (default 24318101, 24318102, ...). */
  readonly id?: number | undefined
  readonly uuid?: string | undefined
  readonly title?: string | undefined
  readonly friendlyName?: string | undefined
  /** An active Plex Pass subscription. Default true. */
  readonly plexPass?: boolean | undefined
  /** The payload era; default the fake's `shape`. */
  readonly shape?: PayloadShape | undefined
  /** Drift applied to every payload of this account. */
  readonly payload?: PayloadOverride | undefined
  /** The Plex Home PIN protecting this user (four digits): switching to it then needs the PIN. */
  readonly homePin?: string | Redacted.Redacted<string> | undefined
  /**
   * Whether the home user listings mark a user with a `homePin` as
   * `protected`. Default true; false lists it unprotected while a switch to
   * it still asks for its PIN (`HomePinRequired`), as plex.tv may.
   */
  readonly homePinListed?: boolean | undefined
  /**
   * A managed (restricted) Plex Home user, without a password of its own: its account (`GET /api/v2/user`, a
   * switch's answer) has no email and is `restricted`, as the home listing shows it. Default false.
   */
  readonly managed?: boolean | undefined
  /** The account's authorized devices (`GET /devices.xml`), at most 100; each gets a token of its own. */
  readonly devices?: ReadonlyArray<DeviceSeed> | undefined
}

/**
 * An authorized device of an account, as plex.tv lists it at `/devices.xml`.
 * Its token is an account token: revoking the device revokes it.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeviceSeed {
  readonly name?: string | undefined
  readonly product?: string | undefined
  readonly platform?: string | undefined
  readonly clientIdentifier?: string | undefined
  readonly token?: string | Redacted.Redacted<string> | undefined
}

/**
 * A Plex Home: its admin (default the first account) and its members
 * (usernames or emails). Each member sees the admin's servers as home
 * servers (`home: true` in resources) and can be switched to.
 *
 * @since 0.1.0
 * @category models
 */
export interface HomeSeed {
  readonly admin?: string | undefined
  readonly members: ReadonlyArray<string>
  readonly name?: string | undefined
}

/**
 * One way to reach a server. Protocol, address and port are read from `uri`
 * (the IP of a `plex.direct` name is its address).
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionSeed {
  readonly uri: string
  readonly local?: boolean | undefined
  readonly relay?: boolean | undefined
  readonly IPv6?: boolean | undefined
}

/**
 * A source a server knows besides the fake's servers (those it always
 * knows as `server://<clientIdentifier>`), e.g. `provider://tv.plex.provider.vod`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SourceSeed {
  readonly source: string
  readonly name?: string | undefined
  readonly clientIdentifier?: string | undefined
  readonly accessToken?: string | Redacted.Redacted<string> | undefined
  readonly connections?: ReadonlyArray<ConnectionSeed> | undefined
}

/**
 * A Plex Media Server. Defaults: owned by the first account, two
 * connections (local `http://192.0.2.10:32400` and a remote `plex.direct`
 * HTTPS one; documentation addresses that route nowhere), its own access
 * token `fakeServerToken00001`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerSeed {
  readonly clientIdentifier?: string | undefined
  readonly name?: string | undefined
  /** Username or email of the owning account. */
  readonly owner?: string | undefined
  /** Usernames or emails of accounts the server is shared with (not admins). */
  readonly sharedWith?: ReadonlyArray<string> | undefined
  readonly accessToken?: string | Redacted.Redacted<string> | undefined
  readonly version?: string | undefined
  /** Each connection's origin is one the fake answers on for this server. */
  readonly connections?: ReadonlyArray<ConnectionSeed> | undefined
  readonly sources?: ReadonlyArray<SourceSeed> | undefined
  /**
   * Whether the server is claimed. Default true. An unclaimed server
   * (`false`) answers `/identity` with `claimed: false`, is listed for no
   * account, and accepts `POST /myplex/claim?token=<claim token>`, which
   * makes the claim token's account its owner.
   */
  readonly claimed?: boolean | undefined
}

/**
 * How to seed the fake. Everything is optional: by default one account
 * (`alice`, see {@link defaults}) owning one server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Where plex.tv answers. Default `https://plex.tv`. */
  readonly plexTvUrl?: string | undefined
  /**
   * Where clients.plex.tv answers: the same API as plex.tv, and the host of
   * JWT device authentication (`Jwt.JwtHost`). Default `https://clients.plex.tv`.
   */
  readonly clientsUrl?: string | undefined
  /** More origins serving plex.tv's API. Default none. */
  readonly plexTvAliases?: ReadonlyArray<string> | undefined
  /**
   * The origins of browser pages that may read the fake's answers (`http://localhost:5173`): a request with
   * one of them as its `Origin` is answered with `Access-Control-Allow-Origin`, and its CORS preflight with a
   * 204 (not recorded). Default none: no CORS headers, and a preflight gets a 404.
   */
  readonly allowOrigins?: ReadonlyArray<string> | undefined
  /** An unrelated host that records what it receives and answers 404. Default `https://elsewhere.example`. */
  readonly elsewhereUrl?: string | undefined
  /** The accounts; the first is the default account. */
  readonly accounts?: ReadonlyArray<AccountSeed> | undefined
  /** The servers; the first is the default server. An empty array means none. */
  readonly servers?: ReadonlyArray<ServerSeed> | undefined
  /** The default payload era. Default `2026-02`. */
  readonly shape?: PayloadShape | undefined
  /** How long PINs live. Default 30 minutes for strong PINs, 15 for short codes. */
  readonly pinLifetime?:
    | {
        readonly strong?: Duration.Input | undefined
        readonly short?: Duration.Input | undefined
      }
    | undefined
  /** How long transient tokens live. Default 48 hours. */
  readonly transientTokenLifetime?: Duration.Input | undefined
  /**
   * Approve PINs by themselves, as a user would in the browser: a PIN
   * checked (`GET /api/v2/pins/:id`) once it is `after` old (default 0: at
   * the first check) is approved for `account` (default: the first account)
   * before the check is answered. Time is the `Clock`'s, so `TestClock`
   * drives it; the loopback server (`effect-plex-auth/node`, `plex-auth
   * fake-server --approve-pins-after`) does it too. `true` is `{}`. Off by
   * default; {@link FakePlexService.approvePin} works either way.
   */
  readonly autoApprovePins?:
    | boolean
    | {
        readonly after?: Duration.Input | undefined
        readonly account?: string | undefined
      }
    | undefined
  /** Plex Homes. Default none (each account alone). */
  readonly homes?: ReadonlyArray<HomeSeed> | undefined
  /** How long claim tokens (`/api/claim/token.json`) live. Default 4 minutes. */
  readonly claimTokenLifetime?: Duration.Input | undefined
}

/**
 * The defaults of an unseeded fake: the default account's login, password
 * and token, and the default server's identifier, URL and token.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: {
  readonly plexTvUrl: string
  /** The fake's stand-in for app.plex.tv's sign-in page, for `WebSignIn`'s `authAppUrl`. */
  readonly authAppUrl: string
  readonly clientsUrl: string
  readonly elsewhereUrl: string
  readonly username: string
  readonly login: string
  readonly password: Redacted.Redacted<string>
  readonly token: Redacted.Redacted<string>
  readonly serverId: string
  readonly serverName: string
  readonly serverUrl: string
  readonly serverToken: Redacted.Redacted<string>
} = {
  plexTvUrl: Core.defaults.plexTvUrl,
  authAppUrl: Core.defaults.authAppUrl,
  clientsUrl: Core.defaults.clientsUrl,
  elsewhereUrl: Core.defaults.elsewhereUrl,
  username: Core.defaults.username,
  login: Core.defaults.login,
  password: Redacted.make(Core.defaults.password),
  token: Redacted.make(Core.defaults.token),
  serverId: Core.defaults.serverId,
  serverName: Core.defaults.serverName,
  serverUrl: Core.defaults.serverUrl,
  serverToken: Redacted.make(Core.defaults.serverToken)
}

// ---------------------------------------------------------------------------
// Inspection
// ---------------------------------------------------------------------------

/**
 * An account of the fake (its seeded secrets `Redacted`).
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeAccount {
  readonly id: number
  readonly uuid: string
  readonly username: string
  readonly email: string
  readonly title: string
  readonly password: Redacted.Redacted<string>
  readonly twoFactorCode: Redacted.Redacted<string> | undefined
  /** The seeded token (sign-ins mint more). */
  readonly token: Redacted.Redacted<string>
}

/**
 * One connection of a fake server.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeConnection extends Core.FakeConnection {}

/**
 * A server of the fake.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeServer {
  readonly clientIdentifier: string
  readonly name: string
  /**
   * The id of the account owning it now: the seeded owner, the account that
   * claimed it since (`POST /myplex/claim`), or `undefined` while it is
   * unclaimed (seeded `claimed: false`, or removed from its account by
   * revoking its device, `DELETE /devices/{id}.xml`).
   */
  readonly ownerId: number | undefined
  /** Its first connection's URL. */
  readonly url: string
  readonly urls: ReadonlyArray<string>
  readonly accessToken: Redacted.Redacted<string>
  readonly version: string
  readonly connections: ReadonlyArray<FakeConnection>
}

/**
 * A PIN created through `POST /api/v2/pins`.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakePin {
  readonly id: number
  readonly code: string
  /** A strong PIN (the app.plex.tv link) or a short code (plex.tv/link). */
  readonly strong: boolean
  readonly clientIdentifier: string
  readonly product: string
  /** `Clock` time of creation, in milliseconds. */
  readonly createdAt: number
  /** `Clock` time of expiry, in milliseconds. */
  readonly expiresAt: number
  readonly expired: boolean
  /** The account that approved it. */
  readonly accountId: number | undefined
  readonly authToken: Redacted.Redacted<string> | undefined
}

/**
 * A transient token a server issued.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeTransientToken {
  readonly token: Redacted.Redacted<string>
  readonly serverId: string
  /** Made from an admin token (and so good for `/security/resources`). */
  readonly admin: boolean
  readonly accountId: number
  readonly issuedAt: number
  readonly expiresAt: number
  readonly expired: boolean
}

/**
 * A request the fake received. Header names are lower case; the token (in a
 * header or the query), passwords, verification codes, PINs' codes and Home
 * PINs are `Redacted`, so printing or `JSON.stringify`-ing a record never
 * shows them.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest {
  /** 1, 2, 3, ... in arrival order. */
  readonly sequence: number
  /** `Clock` time of arrival, in milliseconds. */
  readonly receivedAt: number
  readonly origin: string
  readonly host: "plex.tv" | "server" | "elsewhere"
  readonly serverId: string | undefined
  /** The route that served it (e.g. `getTokenDetails`); undefined for an unknown path. */
  readonly route: RouteName | undefined
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string | Redacted.Redacted<string>>>
  /**
   * The headers, names in lower case. The secret ones are always `Redacted`, and typed so:
   * `Redacted.value(request.headers["x-plex-token"]!)` reads the token sent.
   */
  readonly headers: Readonly<Record<string, string | Redacted.Redacted<string>>> & {
    readonly "x-plex-token"?: Redacted.Redacted<string>
    readonly authorization?: Redacted.Redacted<string>
    readonly "proxy-authorization"?: Redacted.Redacted<string>
    readonly cookie?: Redacted.Redacted<string>
  }
  /** The form fields of a form-urlencoded body. */
  readonly form: Readonly<Record<string, string | Redacted.Redacted<string>>> | undefined
  /**
   * A JSON body (content type `application/json` or `+json`), parsed; the
   * values of secret fields at any depth (`jwt`, `token`, `authToken`,
   * `password`, `verificationCode`, ...) are `Redacted`. Undefined for
   * another body, and for JSON that does not parse.
   */
  readonly json: unknown
  /** The scripted fault applied to it. */
  readonly fault: Fault["_tag"] | undefined
  /** The status answered, when an answer was sent. */
  readonly status: number | undefined
  /**
   * What became of it: still running, answered, dropped, given up by the
   * client, or `Failed` when a `Fault.respond` Effect failed or died (the
   * request's Effect then dies with it; the loopback server answers 500).
   */
  readonly outcome: "Pending" | "Responded" | "Reset" | "Refused" | "Interrupted" | "Failed"
}

/**
 * The fake's routes, named for the client operation they serve.
 *
 * @since 0.1.0
 * @category models
 */
export type RouteName = Core.RouteName

/**
 * Which requests a fault applies to: a route name, a path (a string that
 * starts with `/`), or any combination of route, path, origin and method
 * (an object with another key, a typo, is refused: it would narrow nothing).
 *
 * @since 0.1.0
 * @category models
 */
export type FaultTarget = Core.FaultTarget

/**
 * Options of a scripted fault.
 *
 * @since 0.1.0
 * @category models
 */
export interface FaultOptions extends Core.FaultOptions {}

/**
 * The fake: its addresses and default credentials, its web handler, and the
 * calls that inspect and control it.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakePlexService {
  /** plex.tv's base URL, for `PlexTv.layer`. */
  readonly plexTvUrl: string
  /**
   * The fake's stand-in for app.plex.tv's sign-in page (`<plexTvUrl>/auth`):
   * give it to `WebSignIn` as `authAppUrl`. `GET` shows a form that reads
   * app.plex.tv's URL fragment; `POST` approves the PIN for the chosen seeded
   * account and follows `forwardUrl`.
   */
  readonly authAppUrl: string
  /** clients.plex.tv's base URL, for `Jwt.layerHost`. */
  readonly clientsUrl: string
  readonly plexTvAliases: ReadonlyArray<string>
  /** The unrelated host (redirect target). */
  readonly elsewhereUrl: string
  /** The default server's URL, for `PlexServer.layer`. */
  readonly serverUrl: string
  /** Every origin the fake answers on. */
  readonly urls: ReadonlyArray<string>
  /** The default account's login (email). */
  readonly login: string
  readonly password: Redacted.Redacted<string>
  /** The default account's seeded token. */
  readonly token: Redacted.Redacted<string>
  /** The default server's client identifier. */
  readonly serverId: string
  /** The default server's own access token, as it is when read (claimed again, or revoked, a new one). */
  readonly serverToken: Redacted.Redacted<string>
  /** The accounts as they are when read: a managed user deleted since (removed from its Home) is not listed. */
  readonly accounts: ReadonlyArray<FakeAccount>
  /** The servers as they are when read: each one's `ownerId` is its current owner. */
  readonly servers: ReadonlyArray<FakeServer>

  /**
   * The fake as a web handler; routes by the request URL's origin. Interrupting the Effect aborts the request
   * (a hang ends, the record says `Interrupted`), and so does aborting the signal the `Request` was made with
   * (the Effect then dies with its reason, as the web handler rejects with it).
   */
  readonly handle: (request: Request) => Effect.Effect<Response, ConnectionFailure>

  /** An account by username or email; the default account without one. */
  readonly account: (login?: string) => Effect.Effect<FakeAccount, FakePlexError>
  /** A server by client identifier; the default server without one. */
  readonly server: (clientIdentifier?: string) => Effect.Effect<FakeServer, FakePlexError>
  /** Mints a new token for an account (default: the default account). */
  readonly mintToken: (login?: string) => Effect.Effect<Redacted.Redacted<string>, FakePlexError>
  /**
   * Revokes a token: plex.tv then refuses it with 422 "Invalid token", as it does a signed-out one. A share's
   * token (a shared server's `accessToken`: a friend's share, an accepted invite's, a Home's) is refused by its
   * server from then on, and by plex.tv's `DELETE /api/servers/{id}` with 422; the share goes on, with a new token
   * its user's resources list. So is a claimed server's own token (`serverToken`, an owned resource's
   * `accessToken`): the server stays its owner's, with a new one. False when it was unknown or already revoked.
   */
  readonly revokeToken: (token: string | Redacted.Redacted<string>) => Effect.Effect<boolean>
  /**
   * Revokes every token handed to the devices with this client identifier (a sign-in, an approved PIN it
   * checked, a Home switch), as the user removing the device at plex.tv does: plex.tv then refuses them with
   * 422 "Invalid token" (`Unauthorized`, and credentials that can re-authenticate do). The device keys that
   * device registered or traded a device JWT with are unregistered too: a device JWT signed with one is refused
   * with 422 "Signature verification failed", as one of a key never registered. False when no such device held
   * a token not revoked yet (an unknown client identifier included).
   */
  readonly revokeDevice: (clientIdentifier: string) => Effect.Effect<boolean>
  /**
   * Whether plex.tv accepts a token: an account token not revoked (a Plex JWT until it expires), or the token a
   * share of a server has now (its server takes it), or a claimed server's own token now (`serverToken`); not one of
   * a share ended, of a server released since (claimed again, it and its shares have new tokens), or revoked.
   */
  readonly isTokenValid: (token: string | Redacted.Redacted<string>) => Effect.Effect<boolean>
  /** Adds drift to every later payload of an account (default: the default account). */
  readonly patchAccount: (
    login: string | undefined,
    payload: PayloadOverride
  ) => Effect.Effect<void, FakePlexError>
  /** The PINs created so far. */
  readonly pins: Effect.Effect<ReadonlyArray<FakePin>>
  /**
   * Approves a PIN (by id or code) for an account, as a user signing in at
   * plex.tv/link would: the PIN's `authToken` becomes a new token. Returns it.
   * Fails with a `FakePlexError` that says why: no such PIN (naming the PINs
   * created, or that none was yet: a forked login that has not run yet), no
   * such account, or the PIN expired. A PIN's code is never in the message.
   */
  readonly approvePin: (
    pin: number | string,
    options?: { readonly account?: string | undefined }
  ) => Effect.Effect<Redacted.Redacted<string>, FakePlexError>
  /** The transient tokens servers issued. */
  readonly transientTokens: Effect.Effect<ReadonlyArray<FakeTransientToken>>
  /** Restarts a server (default: the default server): its transient tokens are gone. */
  readonly restartServer: (clientIdentifier?: string) => Effect.Effect<void, FakePlexError>
  /**
   * Rotates the key plex.tv signs Plex JWTs with. By default the previous
   * keys stay published at `/api/v2/auth/keys` (tokens they signed still
   * verify); `retainPrevious: false` withdraws them. Returns the new key's id.
   */
  readonly rotateJwtKey: (options?: {
    readonly retainPrevious?: boolean | undefined
  }) => Effect.Effect<string>
  /** The device keys registered for JWT authentication (`kid`, RFC 7638 thumbprint, account). */
  readonly deviceKeys: Effect.Effect<
    ReadonlyArray<{ readonly kid: string; readonly thumbprint: string; readonly accountId: number }>
  >
  /**
   * Unregisters a device key (by `kid`), as if it had never been registered: plex.tv then refuses a device JWT
   * signed with it with 422 "Signature verification failed" (`Jwt.exchange` fails with `Unauthorized`), as it
   * refuses the key of a device removed at plex.tv (`revokeDevice`). The tokens it minted keep working until
   * they expire. False when no key has that `kid`.
   */
  readonly unregisterDeviceKey: (kid: string) => Effect.Effect<boolean>

  /**
   * Scripts a fault for the requests `target` selects. A target that can
   * select nothing (an unknown route name, a path without its leading `/` or
   * with a `?query` or `#fragment`, or not written as a request's path is:
   * a space or non-ASCII character not percent-encoded, a `.` or `..`
   * segment; an origin that is not a URL or not one
   * the fake serves; a `route` with a `method`, `path` or `origin` that
   * route never has) or a `times`
   * that is not a count of 1 or more dies with a
   * {@link FakePlexError}.
   */
  readonly fault: (target: FaultTarget, fault: Fault, options?: FaultOptions) => Effect.Effect<void>
  /** Removes every scripted fault. */
  readonly clearFaults: Effect.Effect<void>
  /** The requests received so far, in order. */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** Forgets the requests received so far. */
  readonly clearRequests: Effect.Effect<void>
}

/**
 * The fake Plex service, for inspection and control in tests.
 *
 * @since 0.1.0
 * @category services
 */
export class FakePlex extends Context.Service<FakePlex, FakePlexService>()(
  "effect-plex-auth/testing/FakePlex"
) {}

/**
 * Builds a fake. An inconsistent seed (an owner or `autoApprovePins`
 * account that is not an account, two hosts on one origin, a negative
 * duration, a list or entry of the wrong kind from untyped JavaScript such
 * as `accounts: [null]`) is a defect: a {@link FakePlexError} naming what is wrong. Its PIN codes and tokens come from the `Random` of
 * the Effect that builds it (`Random.withSeed`: the same ones each run).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<FakePlexService> =>
  Effect.flatMap(coreRandomInt, (randomInt) =>
    Effect.sync(() => seeded(() => fromCore(Core.makeFakePlex({ ...coreOptions(options), randomInt }))))
  )

const transportError = (request: HttpClientRequest.HttpClientRequest, cause: unknown) =>
  new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request, cause }) })

/**
 * An `HttpClient` that sends every request to the fake's handler, in
 * process: no socket, no network. A request to an origin the fake does not
 * serve fails like a refused connection. Each request reads the calling
 * fiber's `Clock` and is aborted when that fiber is interrupted.
 *
 * @since 0.1.0
 * @category constructors
 */
export const httpClient = (fake: FakePlexService): HttpClient.HttpClient =>
  HttpClient.make((request, _url, signal) =>
    HttpClientRequest.toWeb(HttpClientRequest.removeHeader(request, "content-length"), { signal }).pipe(
      Effect.mapError((cause) => transportError(request, cause)),
      Effect.flatMap((web) =>
        Effect.mapError(fake.handle(web), (failure) =>
          // The cause `fetch` would give: a `TypeError` whose cause carries ECONNRESET / ECONNREFUSED.
          transportError(request, new Core.ConnectionFailure(failure.reason, failure.origin))
        )
      ),
      Effect.map((response) => HttpClientResponse.fromWeb(request, response))
    )
  )

const contextOf = (fake: FakePlexService) =>
  Context.make(FakePlex, fake).pipe(Context.add(HttpClient.HttpClient, httpClient(fake)))

/**
 * `PLEX_AUTH_APP_URL` read as the fake's sign-in page (`authAppUrl`), every other key as the program's
 * `ConfigProvider` has it: a PIN login's link (and `WebSignIn`'s page) given no `authAppUrl` is the fake's page,
 * the only one that can approve the fake's PINs, whatever the environment says.
 */
const authAppUrlLayer = (fake: FakePlexService): Layer.Layer<never> =>
  ConfigProvider.layerAdd(ConfigProvider.fromUnknown({ [authAppUrlVariable]: fake.authAppUrl }), {
    asPrimary: true
  })

/**
 * The fake as a layer: an in-memory `HttpClient` that answers from the fake,
 * and the `FakePlex` service to inspect and control it. Point `PlexServer`
 * at `FakePlex.defaults.serverUrl` (or the `serverUrl` of the service);
 * plex.tv is at its usual URL. A PIN login's link (and `WebSignIn`'s page)
 * given no `authAppUrl` is the fake's sign-in page (`authAppUrl`): the layer
 * reads `PLEX_AUTH_APP_URL` as that page, over the program's
 * `ConfigProvider` (every other key reads through to it); an `authAppUrl`
 * given still wins.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { ClientIdentity, Credentials, PlexAuth } from "effect4-plex-auth"
 * import { FakePlex } from "effect4-plex-auth/testing"
 *
 * const TestLive = Layer.mergeAll(
 *   FakePlex.layer(),
 *   ClientIdentity.layer({ clientIdentifier: "test-client", product: "My App" }),
 *   Credentials.layer(FakePlex.defaults.token)
 * )
 * const username = PlexAuth.getTokenDetails().pipe(
 *   Effect.map((account) => account.username),
 *   Effect.provide(TestLive)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<HttpClient.HttpClient | FakePlex> =>
  Layer.unwrap(
    Effect.map(make(options), (fake) =>
      Layer.merge(Layer.succeedContext(contextOf(fake)), authAppUrlLayer(fake))
    )
  )

/**
 * The identity {@link layerSignedIn} uses unless told otherwise.
 *
 * @since 0.1.0
 * @category constants
 */
export const testIdentity: ClientIdentity.ClientIdentityInput = Core.testIdentity

/** Where `layerSignedIn` points `PlexServer` when the fake has no server: nothing answers there. */
const unservedUrl = "http://192.0.2.1:32400"

/**
 * Everything a program needs, wired to the fake: {@link layer}, a
 * `ClientIdentity`, the default account's `Credentials`, `PlexServer` at the
 * default server (with `servers: []`, at an address nothing answers on),
 * `PlexTv` at the fake's plex.tv and `Jwt.JwtHost` at its clients.plex.tv;
 * PIN links default to the fake's sign-in page, as with {@link layer}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PlexAuth } from "effect4-plex-auth"
 * import { FakePlex } from "effect4-plex-auth/testing"
 *
 * const program = PlexAuth.getTransientToken().pipe(Effect.provide(FakePlex.layerSignedIn()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSignedIn = (
  options: Options & { readonly identity?: ClientIdentity.ClientIdentityInput | undefined } = {}
): Layer.Layer<
  | HttpClient.HttpClient
  | FakePlex
  | ClientIdentity.ClientIdentity
  | Credentials.Credentials
  | PlexServer.PlexServer
> =>
  Layer.unwrap(
    Effect.map(make(options), (fake) =>
      Layer.mergeAll(
        Layer.succeedContext(contextOf(fake)),
        ClientIdentity.layer(options.identity ?? testIdentity),
        Credentials.layer(fake.token),
        PlexServer.layer(fake.serverUrl === "" ? unservedUrl : fake.serverUrl),
        PlexTv.layer(fake.plexTvUrl),
        Layer.succeed(JwtHost, { url: fake.clientsUrl }),
        authAppUrlLayer(fake)
      ).pipe(Layer.orDie)
    )
  )

/**
 * Scripts a fault on the fake in context.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PlexAuth } from "effect4-plex-auth"
 * import { FakePlex, Fault } from "effect4-plex-auth/testing"
 *
 * const rateLimitedOnce = Effect.gen(function* () {
 *   yield* FakePlex.fault("getTokenDetails", Fault.status(429, { retryAfter: "1 second" }), { times: 1 })
 *   return yield* PlexAuth.getTokenDetails()
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const fault = (
  target: FaultTarget,
  fault: Fault,
  options?: FaultOptions
): Effect.Effect<void, never, FakePlex> =>
  Effect.flatMap(Effect.service(FakePlex), (fake) => fake.fault(target, fault, options))

/**
 * Removes every scripted fault of the fake in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const clearFaults: Effect.Effect<void, never, FakePlex> = Effect.flatMap(
  Effect.service(FakePlex),
  (fake) => fake.clearFaults
)

/**
 * The requests the fake in context received.
 *
 * @since 0.1.0
 * @category accessors
 */
export const requests: Effect.Effect<ReadonlyArray<RecordedRequest>, never, FakePlex> = Effect.flatMap(
  Effect.service(FakePlex),
  (fake) => fake.requests
)

/**
 * Forgets the requests the fake in context received: a test sharing one fake
 * with others (`it.layer`) starts its record from here.
 *
 * @since 0.1.0
 * @category accessors
 */
export const clearRequests: Effect.Effect<void, never, FakePlex> = Effect.flatMap(
  Effect.service(FakePlex),
  (fake) => fake.clearRequests
)

/**
 * Approves a PIN on the fake in context; see {@link FakePlexService.approvePin}.
 *
 * @since 0.1.0
 * @category accessors
 */
export const approvePin = (
  pin: number | string,
  options?: { readonly account?: string | undefined }
): Effect.Effect<Redacted.Redacted<string>, FakePlexError, FakePlex> =>
  Effect.flatMap(Effect.service(FakePlex), (fake) => fake.approvePin(pin, options))

/**
 * Rotates the JWT signing key of the fake in context; see
 * {@link FakePlexService.rotateJwtKey}.
 *
 * @since 0.1.0
 * @category accessors
 */
export const rotateJwtKey = (options?: {
  readonly retainPrevious?: boolean | undefined
}): Effect.Effect<string, never, FakePlex> =>
  Effect.flatMap(Effect.service(FakePlex), (fake) => fake.rotateJwtKey(options))

// ---------------------------------------------------------------------------
// The web handler, without Effect: the very exports of the `fake` entry
// point (`src/fake/index.ts`, where they are documented in full), written once
// for both editions' test kits.
// ---------------------------------------------------------------------------

export {
  /**
   * How to seed a fake made by {@link makeHandler}: as {@link Options}, but
   * durations in milliseconds and secrets as plain strings (see the `fake`
   * entry point).
   *
   * @since 0.1.0
   * @category web handler
   */
  type HandlerOptions,
  /**
   * A fake made by {@link makeHandler}: its web `handler` and the same
   * inspection and control calls as {@link FakePlexService}, as plain
   * functions (see the `fake` entry point).
   *
   * @since 0.1.0
   * @category web handler
   */
  type Handler,
  /**
   * A fault for {@link makeHandler}'s fake, as plain data; see {@link handlerFaults}.
   *
   * @since 0.1.0
   * @category web handler
   */
  type HandlerFault,
  /**
   * The constructors of {@link HandlerFault}s (see the `fake` entry point).
   *
   * @since 0.1.0
   * @category web handler
   */
  handlerFaults,
  /**
   * A secret in the records of {@link makeHandler}'s fake (see the `fake` entry point).
   *
   * @since 0.1.0
   * @category web handler
   */
  type HandlerSecret,
  /**
   * A reset or refused connection of {@link makeHandler}'s fake (see the
   * `fake` entry point).
   *
   * @since 0.1.0
   * @category web handler
   */
  HandlerConnectionFailure,
  /**
   * The fake Plex as a plain web handler, with no Effect: the very fake
   * {@link layer} serves (see the `fake` entry point).
   *
   * @since 0.1.0
   * @category web handler
   */
  makeHandler
} from "../../../src/fake/index.js"
