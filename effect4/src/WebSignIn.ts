/**
 * "Sign in with Plex" for Effect 4 web apps, server side: the PIN flow
 * through app.plex.tv, the server access check, sessions, and middleware for
 * Effect 4's `HttpApi` (`effect/http-api`) and `HttpRouter` (`effect/http`).
 *
 * - {@link WebSignInService.start}: creates a strong PIN for the app's
 *   `ClientIdentity` and answers the app.plex.tv URL, with a short-lived,
 *   signed, `HttpOnly`, `SameSite=Lax` cookie holding the PIN (its id and
 *   code never travel in a URL of the app). At most `startLimit` PINs per
 *   `startLimitWindow`, and `startLimitPerKey` per visitor with
 *   `startLimitKey` (`TooManySignIns` past it, plex.tv not asked); the
 *   start route creates none for a browser's prefetch or prerender
 *   ({@link isPrefetch}).
 * - {@link WebSignInService.callback}: back from app.plex.tv, refuses a
 *   return this browser did not start (login CSRF), checks the PIN once
 *   (with a short bounded wait), identifies the user, checks their access to
 *   the app owner's server (`ServerAccess.check`: `Owner`, `HomeMember` or
 *   `Shared`; a failure to ask is never `NoAccess`) and opens a session.
 * - Sessions: a signed cookie holding only a random session id; the user's
 *   Plex token stays server side, in the `KeyValueStore`
 *   (`effect/persistence/KeyValueStore`) the app provides. Idle expiry with
 *   sliding renewal, an absolute limit, and sign-out that can also revoke
 *   the Plex token.
 * - {@link Authentication} (an `HttpApiMiddleware` security middleware) and
 *   {@link requireUser} (for `HttpRouter` apps) give handlers the
 *   {@link PlexUser}, answer 401 without a session and 403 without access,
 *   and re-check access once the cached answer is older than `accessTtl`, so
 *   a user the owner removed loses access without a restart.
 *
 * Effect 4 marks its HTTP server side (`HttpRouter`, `HttpServerResponse`,
 * `HttpEffect`) and `effect/http-api` as `@stability unstable`: they are
 * what Effect 4 web apps are built with, so this module binds them, and
 * follows them when they change.
 *
 * The Effect-free parts (signed values, cookies, session records, access
 * outcomes, pages) live in the protocol core (`src/core/web`), shared with
 * the Effect 3 edition. See docs/web-sign-in.md.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Cookies from "effect/http/Cookies"
import * as Headers from "effect/http/Headers"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpEffect from "effect/http/HttpEffect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpApiMiddleware from "effect/http-api/HttpApiMiddleware"
import * as HttpApiSecurity from "effect/http-api/HttpApiSecurity"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as KeyValueStore from "effect/persistence/KeyValueStore"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import { answers } from "./internal/answers.js"
import * as SignedOut from "./internal/tellSignedOut.js"
import * as AuthAppUrl from "./internal/authAppUrl.js"
import { tagNamed } from "./internal/errorName.js"
import { interruptWithoutWaiting } from "./internal/interruptWithoutWaiting.js"
import * as Access from "../../src/core/access.js"
import * as AuthUrl from "../../src/core/authUrl.js"
import * as CoreCookies from "../../src/core/web/cookies.js"
import * as Flow from "../../src/core/web/flow.js"
import * as Index from "../../src/core/web/sessionIndex.js"
import * as Pages from "../../src/core/web/pages.js"
import { tokenRefusedBy } from "../../src/core/refreshRun.js"
import * as Validate from "../../src/core/validate.js"
import * as Core from "../../src/core/web/signIn.js"
import * as Signed from "../../src/core/web/signed.js"
import { ClientIdentity } from "./ClientIdentity.js"
import { Credentials } from "./Credentials.js"
import * as V from "./internal/validate.js"
import * as PinLogin from "./PinLogin.js"
import * as PlexAuth from "./PlexAuth.js"
import type { InvalidInput } from "./PlexError.js"
import * as ServerAccess from "./ServerAccess.js"

// `effect/http-api` answers an error with the status of its `httpApiStatus` annotation.
const status = (httpApiStatus: number) => ({ httpApiStatus }) as const

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/**
 * A return from app.plex.tv this browser did not start, or started too
 * long ago: no PIN cookie, a cookie that fails its signature or has
 * expired, or a `state` that is not the cookie's (an old tab, a forged
 * link: no login CSRF). Start again. A return with no `state` at all (a
 * bookmarked or typed address of the callback) is `StateMismatch` when the
 * browser's PIN cookie verifies (a sign-in pending, whose cookie the routes
 * keep), else the cookie's reason; the routes' page says it was opened
 * without a sign-in's details. `NoCookie` too for a PIN cookie used
 * already, as if deleted: its sign-in signed the browser in (the same
 * return again opens no second session) or a sign-out of the browser ended it.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignInNotStarted
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<SignInNotStarted>("effect-plex-auth/SignInNotStarted")(
      "SignInNotStarted",
      { reason: /*#__PURE__*/ Schema.Literals(["NoCookie", "Invalid", "Expired", "StateMismatch"]) },
      /*#__PURE__*/ status(400)
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Core.messages.signInNotStarted(this.reason)
  }
}

/**
 * Plex has not approved the PIN (the user came back without approving, or
 * plex.tv refused the token it gave: 401, 498 or its 422 "Invalid token"; a
 * 403 refuses no token, and is `PlexUnavailable`). Start again.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignInNotApproved
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<SignInNotApproved>("effect-plex-auth/SignInNotApproved")(
      "SignInNotApproved",
      {},
      /*#__PURE__*/ status(401)
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Core.messages.signInNotApproved
  }
}

/**
 * plex.tv no longer knows the PIN (it expired). Start again.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignInExpired
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<SignInExpired>("effect-plex-auth/SignInExpired")(
      "SignInExpired",
      {},
      /*#__PURE__*/ status(401)
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Core.messages.signInExpired
  }
}

/**
 * The user is signed in with Plex but has no access to the app owner's
 * server (plex.tv said so: `NoAccess`). Answer 403.
 *
 * @since 0.1.0
 * @category errors
 */
export class AccessDenied
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<AccessDenied>("effect-plex-auth/AccessDenied")(
      "AccessDenied",
      { username: Schema.String },
      /*#__PURE__*/ status(403)
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Core.messages.accessDenied(this.username)
  }
}

/**
 * plex.tv could not be asked (a network failure, a timeout, a 5xx, rate
 * limiting): neither a grant nor a refusal. Answer 503; try again. At the
 * start (`createPin`), plex.tv may also have refused the request for good (a
 * 400, a 401, a 404 from a host that is not plex.tv's: `status`, with no
 * `retryAfterMillis`): the start route's page then tells the visitor that
 * trying again will not help. An answer with a `Retry-After` (a 403 from a CDN
 * or rate limiter in front of plex.tv, say) asks to be tried later: its wait
 * is `retryAfterMillis`, and the 503 of the start or the callback route
 * carries it (whole seconds, at least 1).
 *
 * @since 0.1.0
 * @category errors
 */
export class PlexUnavailable
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<PlexUnavailable>("effect-plex-auth/PlexUnavailable")(
      "PlexUnavailable",
      {
        /** What could not be done, e.g. `createPin`, `checkPin`, `checkAccess`. */
        operation: Schema.String,
        /** The failure's tag (`NetworkError`, `RateLimited`, `Unexpected`, ...). */
        failure: Schema.String,
        /** The HTTP status plex.tv answered with, when it answered (a 503; a 404 from a host that is not plex.tv's). */
        status: /*#__PURE__*/ Schema.optional(Schema.Number),
        /**
         * At the start (`createPin`), at a return (its PIN, user or access check) or at an authenticated request's
         * access check (`authenticate`), the wait plex.tv's answer asked for in its `Retry-After` header, in
         * milliseconds, when it sent one (whatever its status but a success's, 2xx, which asks for no wait: a 429, a
         * 503, a 403 from a CDN in front of plex.tv);
         * never one an earlier attempt's answer asked for when the last got none (a retried 429, then a connection
         * refused).
         */
        retryAfterMillis: /*#__PURE__*/ Schema.optional(Schema.Number)
      },
      /*#__PURE__*/ status(503)
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Core.messages.plexUnavailable(this.operation, this.failure)
  }
}

/**
 * No session, its `reason` why: `NoSession` (no session cookie), `Invalid` (one that fails its signature or is
 * damaged, or whose session the store holds damaged: logged as a Warning), `Expired` (its signed expiry passed, or
 * the session is past `sessionIdle` or `sessionMax`), `SessionNotFound` (the cookie verifies, but the session store
 * does not hold its session: signed out, replaced by a later sign-in, removed, the store emptied, or another app's
 * cookie of the same name and key) or `TokenRevoked` (plex.tv refused the session's Plex token: the user signed out
 * of Plex). Answer 401; the user signs in again.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthenticated
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<Unauthenticated>("effect-plex-auth/Unauthenticated")(
      "Unauthenticated",
      {
        reason: /*#__PURE__*/ Schema.Literals([
          "NoSession",
          "Invalid",
          "Expired",
          "SessionNotFound",
          "TokenRevoked"
        ])
      },
      /*#__PURE__*/ status(401)
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Core.messages.unauthenticated(this.reason)
  }
}

/**
 * The app's `KeyValueStore` failed to read or write a session, or did not answer within 5 seconds (at the
 * callback, within what was left of `callbackWait` if less; a request, a sign-out included, is not held for a store
 * that hangs). Answer 500. At the callback (after plex.tv approved the PIN and granted access)
 * it can be tried again as it is: `routes` keep the PIN cookie and answer a 503 page ("Sign-in not saved") whose
 * "Try again" is the same return.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionStoreError
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<SessionStoreError>("effect-plex-auth/SessionStoreError")(
      "SessionStoreError",
      { operation: Schema.String },
      /*#__PURE__*/ status(500)
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Core.messages.sessionStoreError(this.operation)
  }
}

/**
 * The service's bound on the PINs its start creates was reached: `startLimit` PINs within `startLimitWindow`
 * (default 30 a minute, per app process), or, with `startLimitKey`, this visitor's `startLimitPerKey` (default 5)
 * in that window, the others still allowed; `bound` says which (never the visitor's key). No PIN was created,
 * plex.tv was not asked. The start route answers 429 with `Retry-After` and a page saying to try again shortly; try
 * again after `retryAfterMillis`, when the window ends.
 *
 * @since 0.1.0
 * @category errors
 */
export class TooManySignIns
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<TooManySignIns>("effect-plex-auth/TooManySignIns")(
      "TooManySignIns",
      {
        /** How long until the window ends and a start may create a PIN again, in milliseconds. */
        retryAfterMillis: Schema.Number,
        /** The bound that refused the start: the service's `startLimit`, or this visitor's `startLimitPerKey`. */
        bound: /*#__PURE__*/ Schema.Literals(["startLimit", "startLimitPerKey"])
      },
      /*#__PURE__*/ status(429)
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Core.messages.tooManySignIns(this.bound, this.retryAfterMillis)
  }
}

/**
 * Errors of {@link WebSignInService.start}: plex.tv could not be asked for a PIN, or the service's `startLimit` (or
 * the visitor's `startLimitPerKey`) was reached.
 *
 * @since 0.1.0
 * @category models
 */
export type StartError = PlexUnavailable | TooManySignIns

/**
 * Errors of {@link WebSignInService.callback}.
 *
 * @since 0.1.0
 * @category models
 */
export type CallbackError =
  | SignInNotStarted
  | SignInNotApproved
  | SignInExpired
  | AccessDenied
  | PlexUnavailable
  | SessionStoreError

/**
 * Errors of {@link WebSignInService.authenticate}: 401, 403, 503, 500.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthenticateError = Unauthenticated | AccessDenied | PlexUnavailable | SessionStoreError

/**
 * The schema of {@link AuthenticateError}, for `HttpApi` failures. Its JSON
 * body is `{ _tag, ...fields }` (`{"_tag":"Unauthenticated","reason":"NoSession"}`),
 * the same in both editions (Effect 4's Schema encodes `_tag` first).
 *
 * @since 0.1.0
 * @category schemas
 */
export const AuthenticateError = /*#__PURE__*/ Schema.Union([
  Unauthenticated,
  AccessDenied,
  PlexUnavailable,
  SessionStoreError
])

// ---------------------------------------------------------------------------
// The signed-in user
// ---------------------------------------------------------------------------

/**
 * The access levels that let a user in: `ServerAccess`'s granting answers.
 *
 * @since 0.1.0
 * @category models
 */
export type AccessLevel = Core.AccessLevel

/**
 * The signed-in Plex user, as handlers see them. Tagged with how the user
 * reaches the app owner's server, as `ServerAccess`'s answers and its
 * `AccessUser` are: `_tag` is `Owner`, `HomeMember` or `Shared`, so one
 * `switch (user._tag)` serves them all.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlexUserService {
  /** How the user reaches the app owner's server: `Owner`, `HomeMember` (the owner's Plex Home) or `Shared`. */
  readonly _tag: AccessLevel
  /** The Plex account id. */
  readonly id: number
  readonly uuid: string
  readonly username: string
  /** The display name. */
  readonly title: string
  /** The avatar's URL, when Plex has one. */
  readonly thumb: string | undefined
  /**
   * The same word as `_tag`, kept for callers that read it.
   *
   * @deprecated Read `_tag`, as of `ServerAccess`'s answers.
   */
  readonly access: AccessLevel
  /**
   * The user's Plex token, `Redacted` (kept in the session store, never in a cookie), for calls on the user's
   * behalf: `Resources.servers().pipe(Credentials.withToken(user.token))`. Do not send it to the browser.
   */
  readonly token: Redacted.Redacted<string>
}

/**
 * The signed-in user, provided to handlers by {@link Authentication} and
 * {@link requireUser}.
 *
 * @since 0.1.0
 * @category tags
 */
export class PlexUser
  extends /*#__PURE__*/ Context.Service<PlexUser, PlexUserService>()("effect-plex-auth/WebSignIn/PlexUser") {}

// ---------------------------------------------------------------------------
// Options and the service
// ---------------------------------------------------------------------------

/**
 * How the sign-in is set up. Only `appUrl` and `machineIdentifier` are
 * required; the session key comes from `Config` (`PLEX_SESSION_KEY` by
 * default), and so does the sign-in page when `authAppUrl` is not given
 * (`PLEX_AUTH_APP_URL`, else app.plex.tv's).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The app's public URL, e.g. `https://media.example.com`: app.plex.tv returns there; https makes cookies `Secure`.
   * Plain http on a host that is not this machine (`http://192.168.1.20:8080`) is accepted, with a warning logged
   * once as the service is built (its cookies are not `Secure`); `localhost`, 127.0.0.0/8 and `[::1]` stay quiet.
   * The origin alone: a path, query or fragment is `InvalidInput` (the paths below are from the root: an app served
   * under a path gives them with it, `callbackPath: "/myapp/auth/plex/callback"`).
   */
  readonly appUrl: string
  /** The app owner's Plex Media Server (its machine identifier): who may sign in. */
  readonly machineIdentifier: string
  /** The key that signs cookies: at least 32 bytes. Default `Config.Redacted("PLEX_SESSION_KEY")`, empty counting as unset. */
  readonly sessionKey?: Config.Config<Redacted.Redacted<string>> | undefined
  /**
   * Where app.plex.tv returns to. Default `/auth/plex/callback`. This and the other paths: absolute, of the
   * characters a URL's path holds (RFC 3986 pchar) and raw non-ASCII (percent-encoded in
   * {@link WebSignInService.settings} and wherever it goes into a URL or header), no `//`, and no `.` or `..` segment (`%2e` forms too: a browser resolves them before asking, so
   * it would never reach the route); the routes' paths (this, `startPath`, `signOutPath`) no `%`-escape either (the
   * router matches a route's path as written, its `%` a literal `%`: a browser's request never matches it), nor `;`
   * or `*` (the router ends a path at `;`, reads `*` as a wildcard), else `InvalidInput` naming the field (a `:` is
   * taken: registered as `::`, which the router reads as a literal `:`).
   */
  readonly callbackPath?: string | undefined
  /**
   * Where "Sign in with Plex" starts ({@link WebSignInService.routes}). Default `/auth/plex/start`. Not a path the
   * router takes for `callbackPath` (`InvalidInput`): both are GET routes, and the router refuses the second.
   */
  readonly startPath?: string | undefined
  /** Where a `POST` signs out ({@link WebSignInService.routes}). Default `/auth/plex/sign-out`. */
  readonly signOutPath?: string | undefined
  /**
   * Where the browser goes after signing in or out, and a refusal page's "Home" link. Default `/`. Raw non-ASCII
   * in it is percent-encoded (`settings.homePath`, the redirect's `Location`, which holds none raw). Not a path
   * the router takes for `callbackPath` (`InvalidInput`): a signed-in browser's return would loop; nor for
   * `startPath` (`InvalidInput`): each sign-in or sign-out would lead to a new sign-in.
   */
  readonly homePath?: string | undefined
  /**
   * The session cookie's name (`__Host-` is prefixed over https): letters, digits, `_` or `-`, not starting
   * with `__Host-` or `__Secure-` (`InvalidInput`). Default `plex_session`. The PIN-flow cookie is this name
   * with `_pin` (`__Host-` prefixed over https, `Path=/`, like the session cookie). A browser keeps cookies by
   * host, not by port: give each app on one host its own name (two apps on `localhost` during development, with
   * the default, end each other's sessions).
   */
  readonly cookieName?: string | undefined
  /** A session unused this long ends (renewed while used). Default 7 days. */
  readonly sessionIdle?: Duration.Input | undefined
  /** No session outlives this from sign-in. Default 30 days. */
  readonly sessionMax?: Duration.Input | undefined
  /** How long the PIN-flow cookie lives: the time a user has at app.plex.tv. Default 15 minutes. */
  readonly pinLifetime?: Duration.Input | undefined
  /**
   * How long the callback keeps checking for plex.tv to show the PIN approved (every 500 ms). Default 3 seconds. A
   * check sent before it ends is waited for (within `callbackWait`): its answer decides, and one that never comes is
   * `PlexUnavailable` (`checkPin`, `NetworkError`), not `SignInNotApproved`.
   */
  readonly approvalWait?: Duration.Input | undefined
  /** How long an access answer is kept before plex.tv is asked again. Default 5 minutes. */
  readonly accessTtl?: Duration.Input | undefined
  /**
   * While plex.tv cannot be asked, the last granting answer stands this long after it was given (not after
   * plex.tv has said "no access" since). Default 1 hour. A token revoked at plex.tv meanwhile (the user signed out
   * of Plex everywhere, or removed this app from their authorized devices) is seen at plex.tv's next answer only: one
   * that asked to be tried later (a 429's `Retry-After`) is kept for that wait, at most 5 minutes, and the session
   * stands within it, as it does while plex.tv is down. That is kept on purpose: asking a rate-limited plex.tv at
   * every request would prolong the limit for every user, and it is no more than `accessTtl` already allows (a
   * granting answer is not asked again for 5 minutes). A sign-out in this app ends its session at once.
   */
  readonly accessGrace?: Duration.Input | undefined
  /**
   * How long a request waits for plex.tv to answer an access check (past `accessTtl`) before taking it as
   * "plex.tv cannot be asked": the last granting answer then stands (`accessGrace`), else 503. A page never
   * waits for plex.tv's per-attempt timeout (30 s). Default 3 seconds.
   */
  readonly accessWait?: Duration.Input | undefined
  /**
   * How long the callback (the return from app.plex.tv) may take in all, from its start: the first PIN check, the
   * approval wait with a re-check in flight, the user, the access check, the previous session's removal and the new
   * session's save each wait only for the time left (the store's at most 5 s each). When it passes, the step it
   * stopped at answers as it would have failed: plex.tv's `PlexUnavailable` (`NetworkError`, its `operation` the
   * request), the save's `SessionStoreError` (`set`), each a 503 page that keeps the PIN cookie and offers this return
   * again; the approval wait ends with it (`PlexUnavailable`, `checkPin`: plex.tv was not given `approvalWait`).
   * A browser never waits for plex.tv's per-attempt timeout (30 s). Default 15 seconds. At least `approvalWait` plus
   * 1 second (`InvalidInput` naming `callbackWait` otherwise): a shorter one never leaves the approval wait and the
   * lookups after it room to finish (a PIN not approved yet would be "Try again" until it expires).
   */
  readonly callbackWait?: Duration.Input | undefined
  /**
   * Sign-out (the route) also revokes the user's Plex token. Default false. plex.tv is waited for at most 5 seconds
   * a request, 10 in all for a sign-out's (`signOut`): past that the revocation is given up (the token perhaps still
   * valid, a warning logged) and the session ended all the same.
   * The token of an approved PIN of a sign-in pending in the browser (its tab closed before the return, or its return
   * failed after obtaining the token, keeping the PIN cookie) is revoked too: plex.tv is asked for the PIN once, at
   * most 5 seconds, and what it found is logged (docs/web-sign-in.md, "Security choices, and why"). These checks
   * and revocations go to plex.tv 4 at a time, all within 10 seconds: one not answered by then is given up, and one
   * not sent by then is not sent (each logged).
   */
  readonly revokeOnSignOut?: boolean | undefined
  /**
   * The prefix of the session keys in the `KeyValueStore`, and of the sessions' index kept beside them
   * (`<prefix>index`, `<prefix>index.<bucket>.<page>`: what finds the sessions an earlier run or another process opened,
   * to remove them once `sessionMax` has passed). Default `plex-session:`.
   */
  readonly storePrefix?: string | undefined
  /**
   * Where Plex's sign-in page is (where the start sends the browser), as a PIN login's `authAppUrl`: an absolute
   * http(s) URL without query or fragment. Without it, `PLEX_AUTH_APP_URL` from `Config` (the environment by
   * default; empty or blank counting as unset), which `plex-auth fake-server` prints as its sign-in page: an app run
   * with the fake's lines exported sends its visitors to the fake's approval page. Neither: app.plex.tv's,
   * `https://app.plex.tv/auth`. A malformed one fails `make` with `InvalidInput` naming `authAppUrl` or
   * `PLEX_AUTH_APP_URL`, before any request. In production leave both unset.
   */
  readonly authAppUrl?: string | undefined
  /**
   * The most PINs {@link WebSignInService.start} (the start route) creates at plex.tv per `startLimitWindow`: a
   * crawler or bot that follows the "Sign in with Plex" link without end must not have plex.tv rate-limit the app's
   * client identifier (real visitors could not sign in). Past it a start fails with {@link TooManySignIns} and the
   * route answers 429 with `Retry-After`, asking plex.tv nothing, logged once a window (Warning). Counted in memory,
   * per service (per app process). A whole number, 1 or more (`InvalidInput` otherwise). Default 30.
   */
  readonly startLimit?: number | undefined
  /** The window of `startLimit`, from the first start after the last window ended. Default 1 minute, at least 1 second. */
  readonly startLimitWindow?: Duration.Input | undefined
  /**
   * What identifies a visitor at the start, from the request (the library cannot know the client's address
   * portably): behind your proxy, e.g. the address it adds to `X-Forwarded-For` (its last entry; the ones before it
   * are what the client sent), or `request.remoteAddress` when the server faces browsers or runs behind
   * `HttpMiddleware.xForwardedHeaders` with your proxies trusted. Each key creates at most `startLimitPerKey` PINs
   * per `startLimitWindow`, so that one visitor (a bot) using its share up does not lock the others out;
   * `startLimit` stays the ceiling for all. `undefined` (or an empty string) is no key: that start is bounded by
   * `startLimit` alone, and the first such start logs a warning, once (under `HttpRouter.toWebHandler`, as with
   * `Bun.serve` or `Deno.serve`, requests have no `remoteAddress`). A key a client can choose (a header your proxy does not set) gives a bot a new share at
   * will: derive it from what your proxy sets. Keys are kept in memory for the window only (at most `startLimit` of
   * them: only a start that creates a PIN adds its key), never logged. A function (`InvalidInput` otherwise),
   * called at each start of the start route and of `startFor`; one that throws is the app's defect: that start dies
   * with it (the start route answers 500), no PIN created, nothing counted. Default: none (the service's
   * `startLimit` only).
   */
  readonly startLimitKey?: ((request: HttpServerRequest.HttpServerRequest) => string | undefined) | undefined
  /**
   * The most PINs one visitor's key (`startLimitKey`) creates per `startLimitWindow`; past it that visitor's start
   * fails with {@link TooManySignIns} (429 with `Retry-After` at the route, a Warning once a window, without the key)
   * while others still sign in. Used only with `startLimitKey`. A whole number, 1 or more (`InvalidInput`
   * otherwise). Default 5.
   */
  readonly startLimitPerKey?: number | undefined
}

/**
 * A cookie to set, as `Set-Cookie` header text would carry it.
 *
 * @since 0.1.0
 * @category models
 */
export type SetCookie = CoreCookies.SetCookie

/**
 * The answer of {@link WebSignInService.start}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Started {
  /** The app.plex.tv URL to send the browser to. It carries the PIN code (in its fragment, as Plex requires): `Redacted` so it is not logged. */
  readonly url: Redacted.Redacted<string>
  /**
   * The PIN-flow cookie to set. Its `value` (the PIN's id and code, signed) is masked (`<redacted>`) where the cookie
   * is printed (`JSON.stringify`, `String`, `util.inspect`, `console.log`, Effect's loggers); read it as any cookie's.
   */
  readonly cookie: SetCookie
}

/**
 * The answer of {@link WebSignInService.callback} and
 * {@link WebSignInService.authenticate}: the user, and the cookies to set
 * (a new or renewed session, the PIN-flow cookie deleted). A session cookie prints with its value masked, as
 * {@link Started}'s cookie does.
 *
 * @since 0.1.0
 * @category models
 */
export interface Authenticated {
  readonly user: PlexUserService
  readonly cookies: ReadonlyArray<SetCookie>
}

/**
 * The sign-in service.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebSignInService {
  /**
   * The app's settings (origin, paths, cookie names) as checked. Each path as a URL writes it, raw non-ASCII
   * percent-encoded (`startPath: "/anmelden/日本"` is `/anmelden/%E6%97%A5%E6%9C%AC`): ready for a link, a form's
   * `action` or a redirect's `Location` (whose header holds no raw non-ASCII). A route of your own is registered at
   * the path as you gave it (the router matches a request's path decoded: a route at the encoded path is never reached).
   */
  readonly settings: Core.Settings & {
    readonly startPath: `/${string}`
    readonly signOutPath: `/${string}`
    readonly homePath: `/${string}`
  }
  /**
   * Starts a sign-in: a strong PIN, the app.plex.tv URL, the PIN-flow cookie. At most `startLimit` PINs per
   * `startLimitWindow` (`TooManySignIns` past it, plex.tv not asked). plex.tv is waited for at most 10 seconds
   * for the PIN, retries included (`PlexUnavailable`, `createPin`, `NetworkError` past it), not the 30-second
   * per-attempt timeout.
   */
  readonly start: Effect.Effect<Started, StartError>
  /**
   * {@link WebSignInService.start} for a request of your own start route: also bounded by the visitor's key
   * (`startLimitKey` of the request, at most `startLimitPerKey` PINs per `startLimitWindow`), as the start route is.
   * Skip prefetches first ({@link isPrefetch}).
   */
  readonly startFor: (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<Started, StartError>
  /**
   * Finishes a sign-in: the request's `Cookie` header and URL (with `state`). Once: a return whose sign-in has signed
   * its browser in already (its PIN cookie sent again) is `SignInNotStarted` (`NoCookie`), no second session.
   * From untyped JavaScript: a `cookie` that is not a string is no cookie; a `request` that is not an object, or whose
   * `url` is not a string, is a defect (`InvalidInput` naming `request` or `request.url`), nothing done.
   */
  readonly callback: (request: {
    readonly cookie: string | undefined
    readonly url: string
  }) => Effect.Effect<Authenticated, CallbackError>
  /**
   * The user of the session in a `Cookie` header, access re-checked when its answer is older than `accessTtl`. A
   * `cookie` that is not a string (untyped JavaScript) is no cookie: `Unauthenticated` (`NoSession`).
   */
  readonly authenticate: (cookie: string | undefined) => Effect.Effect<Authenticated, AuthenticateError>
  /**
   * Ends the session of a `Cookie` header (and revokes its Plex token when `revoke`, waiting at most 5 s for plex.tv);
   * the cookies delete it, and the PIN cookie of a sign-in pending in the browser (whose return, its PIN perhaps
   * approved, would otherwise sign the browser in again after the sign-out): each only when `cookie` holds it (the
   * browser sent it), so a request from another site, which carries no cookie, deletes none. A sign-out wins over
   * that pending sign-in: its return, in flight or still to come, opens no session (`SignInNotStarted`, `NoCookie`),
   * and a session one of its returns opened already, whose cookie the browser had not received, ends too. With
   * `revoke`, the Plex token a return in flight obtains is revoked too (nobody holds it), and so is the token of that
   * sign-in's PIN if plex.tv shows it approved (asked once, at most 5 s, then 5 for its revocation; never a failure of
   * the sign-out, logged). These requests to plex.tv, each session's revocation and each PIN's check (up to 8 PIN
   * cookies), go 4 at a time, within 10 s in all. From untyped JavaScript: a `cookie` that is not a string ends
   * nothing; `options` that are not an object, or a `revoke` that is not a boolean, are a defect (`InvalidInput`
   * naming `options` or `revoke`), before anything is ended.
   */
  readonly signOut: (
    cookie: string | undefined,
    options?: { readonly revoke?: boolean | undefined }
  ) => Effect.Effect<
    { readonly cookies: ReadonlyArray<SetCookie>; readonly revoked: boolean },
    SessionStoreError
  >
  /**
   * `GET startPath`, `GET callbackPath` (refusals as clear pages; a return
   * that is no pending sign-in of this browser, opened again by a browser
   * signed in to this app, a 303 to `homePath` when it is the return that
   * opened the session or carries no `state`) and
   * `POST signOutPath`, as Effect 4 `HttpRouter` routes: add them with
   * `HttpRouter.addAll(service.routes)` (or {@link layerHttpApiRoutes}). A
   * `HEAD` of the start or the callback path is 405 (`Allow: GET`): no PIN
   * is created nor checked. A `GET` of the start path that is a browser's
   * prefetch or prerender (`Sec-Purpose: prefetch`, the older `Purpose:
   * prefetch`, `X-Moz: prefetch`, `X-Purpose: preview`) is 503 with
   * `Cache-Control: no-store`, no PIN created: the browser navigates for real
   * when the visitor follows the link ({@link isPrefetch}). Past
   * `startLimit` (or the visitor's `startLimitPerKey`), the start path
   * answers 429 with `Retry-After`. A `POST` of the sign-out path from
   * another origin (its `Origin`, `null` passing), or whose `Sec-Fetch-Site`
   * is sent and is neither `same-origin` nor `none`, is 403 with
   * `Cache-Control: no-store`, nothing deleted; browsers send
   * `Sec-Fetch-Site` only to https and loopback addresses
   * (docs/web-sign-in.md, Sign-out).
   */
  readonly routes: ReadonlyArray<HttpRouter.Route<never, never>>
}

/**
 * The sign-in service.
 *
 * @since 0.1.0
 * @category tags
 */
export class WebSignIn
  extends /*#__PURE__*/ Context.Service<WebSignIn, WebSignInService>()("effect-plex-auth/WebSignIn") {}

// ---------------------------------------------------------------------------
// Building it
// ---------------------------------------------------------------------------

const operation = "WebSignIn.make"

// Input of the wrong kind from untyped JavaScript that no typed failure of the function covers (Flow.callbackRequestProblem,
// Flow.signOutOptionsProblem): a defect, InvalidInput naming the argument, before anything is done (a plain function
// throws it: V.refuseSync).
const refusedDefect = (
  refusedBy: string,
  problem: { readonly field: string; readonly problem: string } | undefined
) => (problem === undefined ? Effect.void : Effect.die(V.invalid(refusedBy, problem.field, problem.problem)))

/**
 * A sign-in duration option in milliseconds: its default when not given, else at least its least value
 * (`Core.durations`), finite, and not negative as written (`-1`, `"-1 second"`, which Effect may read as zero): the one
 * duration check (`internal/validate.ts`'s `durationOption`).
 */
const duration = (
  field: keyof typeof Core.durations,
  input: Duration.Input | undefined
): Effect.Effect<number, InvalidInput> => {
  const { defaultMillis, minimumMillis } = Core.durations[field]
  return Effect.map(
    V.durationOption(operation, field, input, Duration.millis(defaultMillis), { least: minimumMillis }),
    Duration.toMillis
  )
}

/**
 * `response` with `cookies` set (as {@link WebSignInService.callback} and
 * {@link WebSignInService.authenticate} answer them, built by the core so
 * one place decides their attributes). A plain function: a `response` that
 * is not an `HttpServerResponse`, or `cookies` that are not an array of
 * cookies with a valid name, value and attributes object, throw
 * `InvalidInput` (operation `WebSignIn.withCookies`), never a `TypeError`.
 *
 * @since 0.1.0
 * @category responses
 */
export const withCookies = (
  response: HttpServerResponse.HttpServerResponse,
  cookies: ReadonlyArray<SetCookie>
): HttpServerResponse.HttpServerResponse => {
  V.refuseSync(
    "WebSignIn.withCookies",
    "response",
    HttpServerResponse.isHttpServerResponse(response) ? undefined : "must be an HttpServerResponse"
  )
  V.refuseSync("WebSignIn.withCookies", "cookies", CoreCookies.setCookiesProblem(cookies))
  return cookies.length === 0
    ? response
    : HttpServerResponse.mergeCookies(response, Cookies.fromSetCookie(cookies.map(CoreCookies.serialize)))
}

/**
 * Whether a request is a browser's prefetch or prerender, by its headers (`Sec-Purpose: prefetch` or
 * `prefetch;prerender`, the older `Purpose: prefetch`, `X-Moz: prefetch`, Safari's `X-Purpose: preview`), not a
 * visitor's navigation: the check the start route of {@link WebSignInService.routes} makes, for an app with its own
 * start route, which should then create no PIN and answer 503 with `Cache-Control: no-store` and no body (the browser
 * keeps no prefetch that was not a 2xx, and navigates for real when the visitor follows the link). Takes the
 * request's headers: an `HttpServerRequest`'s `headers`, a web `Request`'s `headers`, or a record of headers by name
 * (any case). A plain function: anything else throws `InvalidInput` (operation `WebSignIn.isPrefetch`).
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { HttpRouter, HttpServerResponse } from "effect/http"
 * import { WebSignIn } from "effect4-plex-auth"
 *
 * const startRoute = HttpRouter.route("GET", "/sign-in", (request) =>
 *   Effect.gen(function* () {
 *     if (WebSignIn.isPrefetch(request.headers)) {
 *       return HttpServerResponse.empty({ status: 503, headers: { "cache-control": "no-store" } })
 *     }
 *     const service = yield* WebSignIn.WebSignIn
 *     const { cookie, url } = yield* service.startFor(request)
 *     return WebSignIn.withCookies(HttpServerResponse.redirect(Redacted.value(url), { status: 303 }), [cookie])
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category responses
 */
export const isPrefetch = (
  headers: globalThis.Headers | Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
): boolean => {
  V.refuseSync("WebSignIn.isPrefetch", "headers", Flow.headersProblem(headers))
  return Flow.isPrefetch(headers)
}

/** Responses that carry sign-in state are never cached, and send no `Referer` onward. */
const private_ = (response: HttpServerResponse.HttpServerResponse) =>
  HttpServerResponse.setHeaders(response, Pages.privateHeaders)

/**
 * The session key from `PLEX_SESSION_KEY` (empty counting as unset). Not configured, it is still the `ConfigError`
 * of a missing key at the variable, but saying what to set (`Signed.keyMissing`): Effect's own reads
 * `Expected string`.
 */
// A function, not a value built at load: a call at the top level stays in every bundle that imports the module.
const sessionKeyVariable = (): Effect.Effect<Redacted.Redacted<string>, Config.ConfigError> =>
  V.requiredSecret(Signed.keyVariable, Signed.keyMissing(Signed.keyVariable))

/**
 * Starts the service's background work (the removal of ended sessions, the sessions' index) in a fiber of its own,
 * unless the service's scope has closed: `true` when it was started.
 */
type Background = (work: Effect.Effect<void>) => Effect.Effect<boolean>

/** `make`'s background: detached fibers, which outlive where the service was made (it has no scope). */
const detached: Background = (work) => Effect.as(Effect.forkDetach(work), true)

/**
 * Gives up a store call's fiber: interrupts it without waiting for it (a call that cannot be interrupted ends on its
 * own), as Effect 3's Effect.disconnect does (its `interruptAsFork`); nothing waits on the call. The interruption is
 * signalled at once, not a turn later: a fiber given up as the layer's scope closes (its parent interrupted) starts no
 * other store call, nor its own if it has not started yet.
 */
const giveUp = interruptWithoutWaiting

/**
 * `wait` on `call` run in a detached fiber of its own (started at once with `startImmediately`), that fiber given up
 * ({@link giveUp}) when the wait fails or is interrupted: Effect 3's Effect.disconnect, the wait around the join.
 * Uninterruptible from the fork until the wait has begun (as Effect.disconnect is): an interruption that comes in
 * between (the layer's scope closing as a fiber started at once makes its first store call, or as the forking fiber
 * yields to the scheduler) is taken in the wait, and the fiber given up, not lost with the fiber left to run on.
 */
const disconnected = <A, E, B, E2>(
  call: Effect.Effect<A, E>,
  wait: (joined: Effect.Effect<A, E>) => Effect.Effect<B, E2>,
  startImmediately?: boolean
): Effect.Effect<B, E2> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.forkDetach(call, { startImmediately }), (fiber) =>
      Effect.onError(restore(wait(Fiber.join(fiber))), () => giveUp(fiber))
    )
  )

const makeWith = (
  options: Options,
  background: Background
): Effect.Effect<
  WebSignInService,
  InvalidInput | Config.ConfigError,
  HttpClient.HttpClient | ClientIdentity | KeyValueStore.KeyValueStore
> =>
  Effect.gen(function* () {
    // Untyped JavaScript may pass anything: InvalidInput named for this function, never a TypeError.
    yield* V.object(operation, "options", options)
    const checked = Flow.appSettings(options)
    if (checked._tag === "Invalid") return yield* V.invalid(operation, checked.field, checked.message)
    const settings = checked.settings
    const machineIdentifier = Access.machineIdentifier(options.machineIdentifier)
    if (machineIdentifier === undefined) {
      return yield* V.invalid(operation, "machineIdentifier", Access.machineIdentifierProblem)
    }
    // From untyped JavaScript, a revokeOnSignOut of "true" would be read as false: the token not revoked.
    yield* V.check(operation, "revokeOnSignOut", V.optionalBooleanProblem(options.revokeOnSignOut))
    yield* V.check(operation, "storePrefix", V.optionalStringProblem(options.storePrefix))
    const idleMillis = yield* duration("sessionIdle", options.sessionIdle)
    const maxMillis = yield* duration("sessionMax", options.sessionMax)
    const pinMillis = yield* duration("pinLifetime", options.pinLifetime)
    const waitMillis = yield* duration("approvalWait", options.approvalWait)
    const accessTtl = yield* duration("accessTtl", options.accessTtl)
    const graceMillis = yield* duration("accessGrace", options.accessGrace)
    const accessWaitMillis = yield* duration("accessWait", options.accessWait)
    const callbackWaitMillis = yield* duration("callbackWait", options.callbackWait)
    // A callbackWait the approval wait would fill: a PIN not approved yet would end as "not approved" at the deadline.
    yield* V.check(operation, "callbackWait", Core.callbackWaitProblem(waitMillis, callbackWaitMillis))
    yield* V.check(operation, "startLimit", Flow.startLimitProblem(options.startLimit))
    const startLimit = options.startLimit ?? Flow.defaultStartLimit
    const startWindowMillis = yield* duration("startLimitWindow", options.startLimitWindow)
    yield* V.check(operation, "startLimitKey", Flow.startLimitKeyProblem(options.startLimitKey))
    yield* V.check(operation, "startLimitPerKey", Flow.startLimitPerKeyProblem(options.startLimitPerKey))
    const startLimits: Flow.StartLimits = {
      limit: startLimit,
      windowMillis: startWindowMillis,
      perKey: options.startLimitPerKey ?? Flow.defaultStartLimitPerKey
    }
    const startLimitKey = options.startLimitKey
    // The option, else PLEX_AUTH_APP_URL (as the PIN logins read it: `plex-auth fake-server` prints it), else
    // app.plex.tv's page; a malformed one is InvalidInput naming the option or the variable, before any request.
    const resolvedAppUrl = yield* AuthAppUrl.resolve(operation, options.authAppUrl)
    const authAppUrl = resolvedAppUrl ?? AuthUrl.defaultAppUrl
    const prefix = options.storePrefix ?? Core.defaultStorePrefix

    const secret = yield* options.sessionKey ?? sessionKeyVariable()
    const raw = V.reveal(secret)
    const problem = typeof raw === "string" ? Signed.keyProblem(raw) : Validate.notString(raw)
    if (problem !== undefined) {
      // From the environment, the variable the user set; from a Config of the caller's, the option.
      const field = options.sessionKey === undefined ? Signed.keyVariable : "sessionKey"
      return yield* V.invalid(operation, field, problem)
    }
    const key = yield* Effect.promise(() => Signed.importKey(Redacted.value(secret)))
    // Accepted (apps on a LAN are served so), but said once, as the service is built: cookies that are not Secure.
    const plainHttp = Core.plainHttpWarning(settings)
    if (plainHttp !== undefined) yield* Effect.logWarning(plainHttp)
    // Said once too: every start goes to the variable's page (a value left from `plex-auth fake-server` is seen).
    if (options.authAppUrl === undefined && resolvedAppUrl !== undefined) {
      yield* Effect.logInfo(Core.messages.authAppUrlFromVariable(resolvedAppUrl))
    }

    const checker = yield* ServerAccess.makeChecker(options.machineIdentifier, {
      ttl: Duration.millis(accessTtl)
    })
    const store = yield* KeyValueStore.KeyValueStore
    const identity = yield* ClientIdentity
    const context = yield* Effect.context<HttpClient.HttpClient | ClientIdentity>()

    const storeFailure = (op: string) => () => new SessionStoreError({ operation: op })
    const unavailable =
      (op: string, retryAfterMillis?: number) =>
      (error: {
        readonly _tag: string
        readonly status?: number | undefined
        readonly retryAfterMillis?: number | undefined
      }) =>
        // `status` only when plex.tv answered: no key otherwise, so the error's JSON body stays what it was (Effect
        // 4's HttpApi JSON codec writes a `status` key holding undefined as `"status":null`; Effect 3's drops it).
        // `retryAfterMillis` likewise only when plex.tv's answer had a Retry-After: the one read for any status
        // (`retryAfterMillis`: internal/answers.ts, or ServerAccess's Unknown), else the error's own (a `RateLimited`
        // or `Unexpected` at a return), so a return's
        // page says "later" as the start's does (Pages.refusalFor).
        new PlexUnavailable({
          operation: op,
          failure: error._tag,
          ...(error.status === undefined ? {} : { status: error.status }),
          ...(retryAfterMillis === undefined && error.retryAfterMillis === undefined
            ? {}
            : { retryAfterMillis: retryAfterMillis ?? error.retryAfterMillis })
        })
    // One of the callback's requests to plex.tv, waited for only as long as is left of the callback's `callbackWait`
    // (until `deadline`): a plex.tv that hangs is unavailable for now (the routes' 503 page, the PIN cookie kept), not a
    // 30-second wait (the per-attempt timeout). None left: unavailable at once, the request not sent. Ended while
    // waiting out the Retry-After of plex.tv's last answer (`last`, a RetryPolicy retrying a 429): "busy", the wait
    // left carried on (Flow.startTimedOut), as at the start.
    const withinCallbackWait =
      (op: string, deadline: number, last?: () => Flow.StartAnswer | undefined) =>
      <A, E, R>(request: Effect.Effect<A, E, R>): Effect.Effect<A, E | PlexUnavailable, R> =>
        Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<A, E | PlexUnavailable, R> => {
          const timedOut = (at: number) =>
            new PlexUnavailable({
              operation: op,
              ...Flow.startTimedOut(last?.(), at, Core.callbackWaitFailure)
            })
          return now >= deadline
            ? Effect.fail(timedOut(now))
            : Effect.timeoutOrElse(request, {
                duration: Duration.millis(deadline - now),
                orElse: () => Effect.fail(timedOut(deadline))
              })
        })

    // A session store call a request waits for, at most Flow.storeWaitMillis: one not answered by then is a failed one
    // (`SessionStoreError`), not a request held for ever. In a fiber of its own, interrupted without waiting for it
    // when given up: a call that cannot be interrupted (a store call that finishes once started) is given up all the
    // same, and finishes on its own (Effect 3's Effect.disconnect).
    const withinStoreWait =
      (op: string, millis: number = Flow.storeWaitMillis, outcome?: string) =>
      <A>(call: Effect.Effect<A, SessionStoreError>): Effect.Effect<A, SessionStoreError> =>
        millis <= 0
          ? // Not asked at all (no time left of callbackWait): logged too, the user sees the same page.
            Effect.andThen(
              Effect.logWarning(Core.messages.sessionStoreNotAsked(op)),
              Effect.fail(storeFailure(op)())
            )
          : // Started at once: a store that answers at once (a memory store) has answered before the wait begins.
            // A failure or a call given up is logged (Warning) once the race is decided, as Effect 3's catchAll after
            // its timeout: one line per call, whichever came first. The user only sees a 503 or 500 page.
            // (The wait fails at the timeout, so that disconnected gives the call's fiber up.)
            Effect.catch(
              disconnected(call, (joined) => Effect.timeout(joined, Duration.millis(millis)), true),
              (error) =>
                error._tag === "SessionStoreError"
                  ? Effect.andThen(
                      Effect.logWarning(Core.messages.sessionStoreWarning(op, undefined, outcome)),
                      Effect.fail(error)
                    )
                  : Effect.andThen(
                      Effect.logWarning(Core.messages.sessionStoreWarning(op, millis, outcome)),
                      Effect.fail(storeFailure(op)())
                    )
            )
    // The time left of the callback's `callbackWait` (until `deadline`), at most `cap`: what one of its store calls
    // may wait for.
    const leftOf = (deadline: number, cap: number) =>
      Effect.map(Clock.currentTimeMillis, (now) => Math.min(cap, deadline - now))

    // -- start ---------------------------------------------------------------
    // The PINs asked of plex.tv in the current window (Flow.startAllowance): at most startLimit per startLimitWindow,
    // and startLimitPerKey of them per visitor's key (startLimitKey), in memory, for this service (this process). The
    // time read and the window updated in one synchronous step: a start suspended between the two while another
    // opened the next window would read as a clock set back.
    let startWindow: Flow.StartWindow | undefined
    const allowStart = (visitor: string | undefined): Effect.Effect<void, TooManySignIns> =>
      Clock.clockWith((clock) => Effect.suspend(() => allowAt(clock.currentTimeMillisUnsafe(), visitor)))
    const allowAt = (now: number, visitor: string | undefined): Effect.Effect<void, TooManySignIns> => {
      const allowance = Flow.startAllowance(startWindow, now, startLimits, visitor)
      startWindow = allowance.window
      if (allowance._tag === "Allowed") return Effect.void
      const refused = Effect.fail(
        new TooManySignIns({ retryAfterMillis: allowance.retryAfterMillis, bound: allowance.bound })
      )
      return allowance.warn
        ? Effect.andThen(
            Effect.logWarning(
              allowance.bound === "startLimitPerKey"
                ? Flow.startLimitPerKeyWarning(
                    startLimits.perKey,
                    startWindowMillis,
                    allowance.retryAfterMillis
                  )
                : Flow.startLimitWarning(startLimit, startWindowMillis, allowance.retryAfterMillis)
            ),
            refused
          )
        : refused
    }
    const startWith = (visitor: string | undefined): Effect.Effect<Started, StartError> =>
      Effect.gen(function* () {
        yield* allowStart(visitor)
        // plex.tv's last answer to the PIN request (answers): a 403 or 400 with a Retry-After is "busy"
        // (Pages.refusedForGood), and so is a start that ends while waiting one out.
        const pinAnswers = answers()
        const pin = yield* pinAnswers.watch(PinLogin.create({ strong: true })).pipe(
          Effect.catch((error: { readonly _tag: string; readonly status?: number | undefined }) =>
            Effect.fail(unavailable("createPin", pinAnswers.waitOf(error))(error))
          ),
          // At most Flow.startWaitMillis: a plex.tv that does not answer does not hold the visitor for 30 s.
          // Ended while waiting out the Retry-After of plex.tv's last answer (Flow.startTimedOut): still "busy", the
          // wait left carried on.
          Effect.timeoutOrElse({
            duration: Duration.millis(Flow.startWaitMillis),
            orElse: () =>
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.fail(
                  new PlexUnavailable({
                    operation: "createPin",
                    ...Flow.startTimedOut(pinAnswers.last(), now)
                  })
                )
              )
          }),
          // The visitor sees only a short page (Pages.refusalFor: not reached, busy, failed, refused): the log names the failure.
          Effect.tapError((error) =>
            Effect.logWarning(
              Core.messages.startUnavailable(error.failure, error.status, error.retryAfterMillis)
            )
          )
        )
        const now = yield* Clock.currentTimeMillis
        const { cookie, url } = yield* Effect.promise(() =>
          Flow.start({ key, settings, identity, pin, now, pinMillis, authAppUrl })
        )
        return { url: Redacted.make(url), cookie }
      }).pipe(Effect.provideContext(context), Effect.withSpan("WebSignIn.start"))
    const start = startWith(undefined)
    // The visitor's key of a start request (Flow.startKey: a string, not empty, its first 256 characters), or none:
    // the first start without one logs a warning (Flow.noStartKeyWarning), once for the service.
    let warnedNoKey = false
    const startKeyed = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Started, StartError> =>
      startLimitKey === undefined
        ? start
        : Effect.suspend(() => {
            const visitor = Flow.startKey(startLimitKey(request))
            if (visitor !== undefined || warnedNoKey) return startWith(visitor)
            warnedNoKey = true
            return Effect.andThen(Effect.logWarning(Flow.noStartKeyWarning), startWith(undefined))
          })
    // A start asked at another loopback name than appUrl's (127.0.0.1 for localhost): its return will be refused, said
    // once for the service (Core.hostMismatchWarning).
    let warnedHost = false
    const startFor = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Started, StartError> =>
      Effect.suspend(() => {
        const mismatch = warnedHost ? undefined : Core.hostMismatchWarning(settings, request.headers["host"])
        if (mismatch === undefined) return startKeyed(request)
        warnedHost = true
        return Effect.andThen(Effect.logWarning(mismatch), startKeyed(request))
      })

    // -- sessions ------------------------------------------------------------
    const sessionCookie = (sessionId: string, expiresAt: number, now: number) =>
      Effect.promise(() => Flow.sessionCookie(key, settings, sessionId, expiresAt, now))
    const deleteSession = Core.expired(Core.sessionCookie(settings, "", 0))
    const deletePin = Core.expired(Core.pinCookie(settings, "", 0))
    // The PIN cookie under its name before the `__Host-` rename (over https), expired whenever the current one is
    // set or deleted, never read.
    const legacyPin = Core.legacyPinCookieDeletion(settings)
    const withLegacyPin = (cookies: ReadonlyArray<SetCookie>): ReadonlyArray<SetCookie> =>
      legacyPin === undefined ? cookies : [...cookies, legacyPin]

    /** The session id of a `Cookie` header, when its session cookie verifies. */
    const sessionIdOf = (cookie: string | undefined, now: number) =>
      Effect.flatMap(
        Effect.promise(() => Flow.readSession(key, settings, cookie, now)),
        (read) =>
          read._tag === "Ok"
            ? Effect.succeed(read.sessionId)
            : Effect.fail(new Unauthenticated({ reason: read.reason }))
      )

    const storageKeyOf = (sessionId: string) => Effect.promise(() => Core.storageKey(prefix, sessionId))
    // The session under a storage key (Core.storedSession): Missing, Found, or Unreadable, a damaged value, logged
    // (Warning, never the value, with what the caller does instead: `outcome`, a request's refusal by default): a
    // request refuses it as Invalid, not as a session the store does not hold.
    const load = (storageKey: string, outcome?: string) =>
      Effect.flatMap(
        store.get(storageKey).pipe(Effect.mapError(storeFailure("get"))),
        (text): Effect.Effect<Core.StoredSession> => {
          const stored = Core.storedSession(text)
          return stored._tag === "Unreadable"
            ? Effect.as(Effect.logWarning(Core.messages.sessionStoreUnreadable("get", outcome)), stored)
            : Effect.succeed(stored)
        }
      )
    const save = (storageKey: string, record: Core.SessionRecord) =>
      store.set(storageKey, Core.encodeSession(record)).pipe(Effect.mapError(storeFailure("set")))
    // Only over the session as it still is (`modify`): one removed meanwhile (signed out) is not brought back.
    // `KeyValueStore.make`'s default `modify` is a `get` then a `set`, so a `remove` between the two would be
    // undone: every `modify` and `remove` of a session holds that session's lock, one after the other. Other
    // sessions' writes do not wait for it (a store call that hangs for one session holds up no other sign-in or
    // sign-out). A lock is kept while a write of its session holds or awaits it, then dropped: the table holds
    // only the sessions being written.
    const sessionLocks = new Map<string, { readonly lock: Semaphore.Semaphore; holders: number }>()
    const withSessionLock =
      (storageKey: string) =>
      <A, E>(write: Effect.Effect<A, E>): Effect.Effect<A, E> =>
        Effect.acquireUseRelease(
          // A lock made ahead, kept only when the session has none (looked up and taken in one step).
          Effect.flatMap(Semaphore.make(1), (fresh) =>
            Effect.sync(() => {
              const entry = sessionLocks.get(storageKey) ?? { lock: fresh, holders: 0 }
              entry.holders++
              sessionLocks.set(storageKey, entry)
              return entry
            })
          ),
          (entry) => entry.lock.withPermit(write),
          (entry) =>
            Effect.sync(() => {
              entry.holders--
              if (entry.holders === 0) sessionLocks.delete(storageKey)
            })
        )
    const rewrite = (storageKey: string, record: Core.SessionRecord) =>
      store
        .modify(storageKey, () => Core.encodeSession(record))
        .pipe(Effect.mapError(storeFailure("modify")), withSessionLock(storageKey))
    // The sessions this service opened and has not seen removed, by storage key, with the time sessionMax ends each
    // (none outlives it), in the order they were opened. A sign-in removes those past it from the store: the
    // session of a user who never signs out, nor comes back once it has expired, would otherwise stay in the
    // store for ever (a memory store growing with every sign-in of a long-running app). Sessions another process (or an
    // earlier run) opened are not known here: the store's index finds those (below).
    const opened = new Map<string, number>()
    const remove = (storageKey: string) =>
      store.remove(storageKey).pipe(
        Effect.mapError(storeFailure("remove")),
        withSessionLock(storageKey),
        Effect.tap(() => Effect.sync(() => opened.delete(storageKey)))
      )
    // The oldest sessions opened whose sessionMax has passed, removed by a fiber of their own, one such fiber at a
    // time: the sign-in does not wait for the store (a store call that hangs for one session holds up no other
    // session's sign-in). One the store fails to remove stays listed, for a later sign-in; its failure is logged
    // at Debug.
    let removing = false
    const removeEnded = (now: number) =>
      Effect.uninterruptible(
        Effect.suspend(() => {
          if (removing) return Effect.void
          const ended: Array<string> = []
          for (const [storageKey, endsAt] of opened) {
            if (endsAt > now) break
            ended.push(storageKey)
          }
          if (ended.length === 0) return Effect.void
          removing = true
          return Effect.flatMap(
            background(
              Effect.forEach(
                ended,
                (storageKey) =>
                  // In a fiber of its own, not waited for once given up: a removal that cannot be interrupted (a store
                  // call that finishes once started) is given up all the same, and finishes on its own (Effect 3's
                  // Effect.disconnect, which Effect 4 does not have). Started at once, as the other three store calls
                  // `disconnected` serves: a store that answers at once has answered before the timeout starts, and
                  // the layer closing as the call starts (before the wait has begun) gives it up, as it does theirs.
                  // Its whole failure (a defect too: Effect.ignore passes those on) is logged at Debug with what
                  // failed, as the Effect 3 edition's, and the next removal goes on.
                  Effect.ignoreCause(
                    disconnected(
                      remove(storageKey),
                      (joined) => Effect.timeout(joined, Flow.endedRemovalTimeoutMillis),
                      true
                    ),
                    { log: "Debug", message: Core.messages.endedSessionNotRemoved }
                  ),
                { discard: true }
              ).pipe(
                Effect.interruptible,
                Effect.ensuring(
                  Effect.sync(() => {
                    removing = false
                  })
                )
              )
            ),
            (started) =>
              Effect.sync(() => {
                if (!started) removing = false
              })
          )
        })
      )

    // -- the sessions' index (src/core/web/sessionIndex.ts) ----------------------
    // What finds the sessions an earlier run of the app (a restart, a deploy) or another process opened, once their
    // sessionMax has passed: `opened` knows only this service's. A sign-in queues its session for the index, and a
    // fiber of its own (one at a time, as removeEnded's) sweeps the buckets wholly past (reading at most about
    // Index.maxSweepReads index keys; the sessions this service opened left to `opened`, as before, those it still
    // lists indexed again), then writes the queue to the pages of its buckets (a marker that says their bucket is swept,
    // the clock set back, rebased: Index.rebase). Each store call is given up after Index.callTimeoutMillis; a failure
    // or a timeout ends the work till the next sign-in (the queue kept, at most Index.maxPending, a burst of drops past
    // it warned of once), logged at Debug: the index never fails nor holds a sign-in. A damaged marker is replaced (the
    // sweep looking Index.damagedLookback buckets back), a damaged page skipped by writers and removed by the sweep,
    // entries that are no storage key's digest dropped: a damaged value never names a key to remove.
    let indexMarker: Index.Marker | undefined // as this service last saw or wrote it
    // The pages the running work found full (Index.FullPages): none at each run's start (indexWork).
    let fullPages = Index.makeFullPages()
    let indexCursor: { readonly bucket: number; readonly page: number } | undefined // the page it writes to
    // The sessions waiting to be written to the index (Index.makeQueue: at most Index.maxPending, a burst of drops
    // warned of once).
    const indexQueue = Index.makeQueue()
    // The digests of the sessions this service indexed, by bucket: its sweep leaves them to `opened`. Dropped once
    // their bucket is a sessionMax past (then a sweep at worst asks the store to remove them again).
    const ownIndexed = new Map<number, Set<string>>()
    let indexing = false
    const warnDropped = Effect.logWarning(Index.queueFullWarning())
    // Each store call of the index's work is given up once it has run Index.callTimeoutMillis, by one timer for a
    // whole part of the work (its sweep, its writes: withinIndexDeadline), not a timer and fibers for every call (those
    // cost the soak about 8% more CPU). `indexCallStarted` is the running part's: when its store call in flight started.
    let indexCallStarted: { at: number | undefined } = { at: undefined }
    const indexCall = <A, E>(call: Effect.Effect<A, E>) =>
      Effect.suspend(() => {
        const started = indexCallStarted
        return Effect.flatMap(Clock.currentTimeMillis, (now) => {
          started.at = now
          return Effect.ensuring(
            Effect.mapError(call, storeFailure("index")),
            Effect.sync(() => {
              started.at = undefined
            })
          )
        })
      })
    // `part` in a fiber of its own, given up once one of its store calls has run Index.callTimeoutMillis: not waited
    // for then (as removeEnded's removals, Effect 3's Effect.disconnect: a store call that cannot be interrupted ends
    // on its own, the rest of the part interrupted).
    const withinIndexDeadline = <A>(part: Effect.Effect<A, SessionStoreError>) =>
      Effect.suspend(() => {
        const started: { at: number | undefined } = { at: undefined }
        indexCallStarted = started
        const deadline = Effect.gen(function* () {
          for (;;) {
            const now = yield* Clock.currentTimeMillis
            const left =
              started.at === undefined ? Index.callTimeoutMillis : started.at + Index.callTimeoutMillis - now
            if (left <= 0) return yield* Effect.fail(storeFailure("index")())
            yield* Effect.sleep(Duration.millis(left))
          }
        })
        return disconnected(part, (joined) => Effect.raceFirst(joined, deadline), true)
      })
    const readIndex = (key: string) => indexCall(store.get(key))
    // The marker as `ours` says, merged over what the store holds now (Index.mergeMarker: values only move forward).
    const putMarker = (ours: Index.Marker) =>
      Effect.flatMap(readIndex(Index.markerKey(prefix)), (text) => {
        const merged = Index.mergeMarker(text, ours)
        return Effect.as(indexCall(store.set(Index.markerKey(prefix), Index.encodeMarker(merged))), merged)
      })
    // The queued sessions, each added to a page of its bucket (the page this service writes to, or the marker's last
    // of that bucket; a full or damaged page, the next).
    const writeIndex = (batch: ReadonlyArray<Index.Entry>, now: number) =>
      Effect.gen(function* () {
        // A marker not seen yet is read (not written: the write below does, as it moves the newest bucket on).
        let marker =
          indexMarker ?? Index.markerFrom(yield* readIndex(Index.markerKey(prefix)), now, maxMillis).marker
        indexMarker = marker
        const byBucket = new Map<number, Array<Index.Entry>>()
        for (const entry of batch) {
          const bucket = Index.bucketOf(entry.endsAt, marker.width)
          byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), entry])
          if (!entry.own) continue
          ownIndexed.set(bucket, (ownIndexed.get(bucket) ?? new Set()).add(entry.digest))
        }
        // Each bucket's entries; those a full bucket has no room for that go on to the next (Index.spill) added after.
        const buckets: Array<{ bucket: number; entries: ReadonlyArray<Index.Entry>; hops: number }> = [
          ...byBucket
        ].map(([bucket, entries]) => ({ bucket, entries, hops: 0 }))
        for (const { bucket, entries, hops } of buckets) {
          // A bucket the marker says is swept (the clock set back): the marker rebased on now, replaced in the store.
          const rebased = Index.rebase(marker, bucket, now)
          if (rebased !== undefined) {
            yield* indexCall(store.set(Index.markerKey(prefix), Index.encodeMarker(rebased)))
            marker = indexMarker = rebased
            // The pages it wrote to or found full may be gone (a sweep by the clock ahead): read again from the first.
            indexCursor = undefined
            fullPages = Index.makeFullPages()
            yield* Effect.logWarning(Index.rebaseWarning)
          }
          // Past the pages this run found full, unread (Index.startPage): read once a run, not once a batch.
          let page = Index.startPage(fullPages, marker, bucket, indexCursor)
          let start = page
          let rest: ReadonlyArray<string> = entries.map((entry) => entry.digest)
          while (rest.length > 0 && page < Index.maxPages) {
            const key = Index.pageKey(prefix, bucket, page)
            const held = yield* readIndex(key)
            // The page started at, past pages not read, missing, and the one before it too: another process's sweep
            // cut short took the bucket's last pages (Index.resumesAfterGap). Read again from the first page.
            if (
              held === undefined &&
              page === start &&
              page > 0 &&
              Index.resumesAfterGap(page, yield* readIndex(Index.pageKey(prefix, bucket, page - 1)))
            ) {
              fullPages.forget(marker.width, bucket)
              if (indexCursor?.bucket === bucket) indexCursor = undefined
              page = start = 0
              continue
            }
            const step = Index.appendToPage(held, rest)
            if (step._tag === "Write") {
              yield* indexCall(store.set(key, step.text))
              rest = step.rest
              indexCursor = { bucket, page }
              const next = Index.markerAfterWrite(marker, bucket, page)
              if (next !== undefined) marker = indexMarker = yield* putMarker(next)
            }
            if (rest.length > 0) {
              fullPages.full(marker.width, bucket, page)
              page++
            }
          }
          if (rest.length > 0) {
            // The entries not written are the last ones (each page takes the first that fit).
            const left = entries.slice(entries.length - rest.length)
            const next = Index.spill(left, hops)
            if (next.length > 0) buckets.push({ bucket: bucket + 1, entries: next, hops: hops + 1 })
            if (next.length < left.length) {
              yield* Effect.logDebug(
                `WebSignIn: ${left.length - next.length} sessions not indexed (their bucket has ${Index.maxPages} pages, or the next ones too): removed only by this process, those it opened, while it runs`
              )
            }
          }
        }
      })
    // The buckets wholly past: each page's sessions removed (but this service's own), then its pages, the last first
    // (a sweep cut short leaves the first pages, which the next one reads), then the marker says it is swept.
    const sweepIndex = (now: number) =>
      Effect.suspend(() => {
        for (const bucket of ownIndexed.keys()) {
          if (indexMarker !== undefined && !Index.keepsOwn(bucket, now, indexMarker.width))
            ownIndexed.delete(bucket)
        }
        return Index.sweepDue(indexMarker, now) ? withinIndexDeadline(sweepStore(now)) : Effect.void
      })
    const sweepStore = (now: number) =>
      Effect.gen(function* () {
        const found = Index.sweepMarker(
          yield* readIndex(Index.markerKey(prefix)),
          indexMarker,
          now,
          maxMillis
        )
        if (found._tag === "None") return
        const marker = found.write ? yield* putMarker(found.marker) : found.marker
        let reads = 0
        let swept = marker.swept
        for (const bucket of Index.sweepBuckets(marker, now)) {
          if (reads >= Index.maxSweepReads) break
          const pages: Array<ReadonlyArray<string>> = []
          for (let page = 0; page < Index.maxPages; page++) {
            reads++
            const held = yield* readIndex(Index.pageKey(prefix, bucket, page))
            if (held === undefined) break
            pages.push(Index.decodePage(held) ?? [])
          }
          const own = ownIndexed.get(bucket)
          let kept = false
          for (const digests of pages) {
            for (const digest of digests) {
              const key = Index.sessionKeyOf(prefix, digest)
              // This service's own (indexed by it, or still listed by it) left to `opened` (Index.ownSweepDecision:
              // indexed again while still listed, its page going); another's removed only when it has ended by this
              // service's rules (Index.sweepDecisionOf: one no longer in the store skipped), else indexed again.
              const mine = own?.has(digest) === true || opened.has(key)
              const decision = mine
                ? Index.ownSweepDecision(opened.get(key), now)
                : Index.sweepDecisionOf(yield* readIndex(key), now, idleMillis, maxMillis)
              if (decision._tag === "Remove") yield* indexCall(remove(key))
              else if (decision._tag === "Keep") {
                kept = true
                // A full queue written out first: a kept session it dropped would be on no page once its page goes
                // (below), never swept again.
                while (indexQueue.full()) yield* writeQueue(now)
                indexQueue.add({ digest, endsAt: decision.endsAt, own: mine })
              }
            }
          }
          // The sessions kept written to their new pages before the pages naming them go: the work stopped between
          // the two (a restart, the layer closed) leaves them on a page still.
          if (kept) yield* writeQueue(now)
          for (let page = pages.length - 1; page >= 0; page--) {
            yield* indexCall(store.remove(Index.pageKey(prefix, bucket, page)))
          }
          swept = bucket
          ownIndexed.delete(bucket)
        }
        // Written once, at the end (a sweep cut short reads its buckets again: their pages are gone, one read each).
        indexMarker = swept === marker.swept ? marker : yield* putMarker({ ...marker, swept })
      })
    // The queue written to the index, a batch at a time: one not written (a failure, or given up at
    // Index.callTimeoutMillis, its store call perhaps still running) is queued again by indexWork for the next sign-in.
    const writeQueue = (now: number) =>
      Effect.gen(function* () {
        for (let batch = indexQueue.take(); batch !== undefined; batch = indexQueue.take()) {
          yield* writeIndex(batch, now)
          indexQueue.written()
        }
      })
    const indexWork = (now: number): Effect.Effect<void> =>
      Effect.gen(function* () {
        fullPages = Index.makeFullPages()
        // The batch being written (by the sweep, of the sessions it keeps, or after it), queued again when it is not
        // written.
        const requeue = Effect.suspend(() => (indexQueue.failed() ? warnDropped : Effect.void))
        // The sweep first: the newest bucket it reads up to is then the last sign-in's, not this one's, a
        // sessionMax ahead: what it has to read does not grow with the time since the last sign-in. One that fails
        // does not keep the queue from the index.
        yield* sweepIndex(now).pipe(
          Effect.onError(() => requeue),
          Effect.catch((error) =>
            Effect.logDebug(`WebSignIn: the sessions' index was not swept (${error.message})`)
          )
        )
        if (indexQueue.size() === 0) return
        yield* Effect.onError(withinIndexDeadline(writeQueue(now)), () => requeue)
      }).pipe(
        Effect.catch((error) =>
          Effect.logDebug(`WebSignIn: the sessions' index was not updated (${error.message})`)
        )
      )
    // Queues the session of `storageKey` (its sessionMax ending at `endsAt`) for the index and starts the index's
    // fiber if it is not running; the sign-in does not wait for it.
    const indexSession = (storageKey: string, endsAt: number, now: number) =>
      Effect.uninterruptible(
        Effect.suspend(() => {
          const digest = Index.digestOf(prefix, storageKey)
          const warned =
            digest !== undefined && indexQueue.add({ digest, endsAt, own: true }) ? warnDropped : Effect.void
          if (indexing) return warned
          indexing = true
          return Effect.andThen(
            warned,
            Effect.flatMap(
              background(
                indexWork(now).pipe(
                  Effect.interruptible,
                  Effect.ensuring(
                    Effect.sync(() => {
                      indexing = false
                    })
                  )
                )
              ),
              (started) =>
                Effect.sync(() => {
                  if (!started) indexing = false
                })
            )
          )
        })
      )

    // The session the browser had before a sign-in ends. A removal the store fails (a damaged entry, a file it may not
    // remove), or has not answered within Flow.previousRemovalTimeoutMillis (a store call that hangs for that session,
    // or its lock held by one), does not stop the sign-in: the store would fail or hang it at every try, and the
    // browser could not sign in again until that session's cookie expired. The old session is left for its expiry (its
    // cookie is replaced), listed for removal once sessionMax has passed from now (none outlives it); a removal given
    // up is interrupted without the sign-in waiting for it (one the store cannot interrupt, a call already sent, ends on
    // its own); the failure is logged.
    // `millis` is what is left of the callback's `callbackWait`, at most Flow.previousRemovalTimeoutMillis: none left,
    // the removal is not asked for. The removal's fiber starts at once (a scheduler turn is nothing beside the timeout
    // under a real clock, but a TestClock moved at once can pass it): a store that answers in its first run has
    // answered before the timeout starts, and one that takes a scheduler turn has begun before a `TestClock.adjust`
    // made at once wakes the timeout (Effect 4's adjust lets other fibers run one turn first; Effect 3's waits until
    // they are all suspended).
    const removePrevious = (storageKey: string, now: number, millis: number) => {
      const leftForExpiry = (why: string) =>
        Effect.andThen(
          Effect.sync(() => {
            if (!opened.has(storageKey)) opened.set(storageKey, now + maxMillis)
          }),
          Effect.logWarning(
            `WebSignIn: the browser's previous session was not removed (${why}): left for its expiry`
          )
        )
      return millis <= 0
        ? leftForExpiry("no time left of callbackWait")
        : disconnected(remove(storageKey), (joined) => Effect.timeout(joined, millis), true).pipe(
            Effect.catch((error) =>
              leftForExpiry(
                error._tag === "SessionStoreError" ? "the store failed" : "no answer from the store"
              )
            )
          )
    }

    const userOf = (record: Core.SessionRecord, access: AccessLevel): PlexUserService => ({
      _tag: access,
      ...record.user,
      access,
      token: Redacted.make(record.token)
    })

    // -- callback ------------------------------------------------------------
    // -- one return at a time --------------------------------------------------
    // The returns in flight, by their PIN's nonce (this browser's signed PIN cookie, and the URL's `state`): a return
    // that comes while the same one is in flight (two "Try again" clicks) waits for its outcome and answers it,
    // instead of opening a second session (the first one's left unused until it expires). An entry lives while its
    // return runs, then is dropped; at most Flow.maxReturnsInFlight (past it a return runs on its own, as without).
    type Outcome = Option.Option<Exit.Exit<Authenticated, CallbackError>>
    const returnsInFlight = new Map<string, Deferred.Deferred<Outcome>>()
    // The sign-ins this browser's sign-out ended while their return was in flight or still to come (Flow.SignOuts):
    // a sign-out wins over them.
    const signOuts = new Flow.SignOuts()
    // One attempt: the return's own outcome (Some), or None when the one it waited for was interrupted. Taking
    // the entry, running, and dropping it are one uninterruptible region (the return itself stays interruptible),
    // so an interruption between the lookup and the run cannot leave an entry that nothing will ever complete.
    const attemptReturn = <R>(
      nonce: string,
      run: Effect.Effect<Authenticated, CallbackError, R>,
      leftOver: Effect.Effect<void>
    ): Effect.Effect<Outcome, never, R> =>
      Effect.uninterruptibleMask((restore) => {
        // The return's end: its entry dropped (`listed`) and, when it opened no session, what it leaves revoked if a
        // sign-out that revokes ended its sign-in: decided and dropped in one step (Flow.SignOuts.returnEnded), so a
        // sign-out either finds it in flight (and leaves the PIN to it) or finds it gone (and checks the PIN itself).
        const ended = (exit: Exit.Exit<Authenticated, CallbackError>, listed: boolean) =>
          Effect.flatMap(Clock.currentTimeMillis, (at) =>
            signOuts.returnEnded(nonce, at, listed ? returnsInFlight : undefined) && Exit.isFailure(exit)
              ? leftOver
              : Effect.void
          )
        return Effect.flatMap(Deferred.make<Outcome>(), (mine) =>
          Effect.flatMap(
            // Looked up and taken in one step.
            Effect.sync(() => {
              const running = returnsInFlight.get(nonce)
              if (running !== undefined) return running
              if (returnsInFlight.size >= Flow.maxReturnsInFlight) return undefined
              returnsInFlight.set(nonce, mine)
              return mine
            }),
            (taken): Effect.Effect<Outcome, never, R> =>
              taken === undefined
                ? Effect.tap(Effect.exit(restore(run)), (exit) => ended(exit, false)).pipe(
                    Effect.map(Option.some)
                  )
                : taken === mine
                  ? Effect.tap(Effect.exit(restore(run)), (exit) =>
                      Effect.andThen(
                        ended(exit, true),
                        // A return interrupted (its request gone) leaves those waiting for it to run on their own.
                        Deferred.succeed(mine, Exit.hasInterrupts(exit) ? Option.none() : Option.some(exit))
                      )
                    ).pipe(Effect.map(Option.some))
                  : Effect.andThen(
                      Effect.logDebug(
                        "WebSignIn: this sign-in's return is in flight already: answering its outcome"
                      ),
                      restore(Deferred.await(taken))
                    )
          )
        )
      })
    const oneReturnAtATime = <R>(
      nonce: string,
      run: Effect.Effect<Authenticated, CallbackError, R>,
      leftOver: Effect.Effect<void>
    ): Effect.Effect<Authenticated, CallbackError, R> =>
      Effect.flatMap(
        attemptReturn(nonce, run, leftOver),
        Option.match({ onNone: () => oneReturnAtATime(nonce, run, leftOver), onSome: (exit) => exit })
      )

    // The rest of a return this browser started (`pin` read from its cookie at `now`): the PIN, the user, their
    // access, the session, each step waiting only for what is left of `callbackWait` from `now` (`deadline`).
    const finish = (
      request: { readonly cookie: string | undefined; readonly url: string },
      pin: Core.PinState,
      now: number,
      // The token plex.tv gave for the PIN, once it has (revoked by leftOver).
      obtained: Obtained
    ) =>
      Effect.gen(function* () {
        // A return of a sign-in that signed its browser in already (its PIN cookie used, sent again): as if deleted,
        // no second session (plex.tv hands the PIN's token out again until the PIN expires), before or after a
        // sign-out. Here, once no return of it is in flight (one in flight shares its outcome: oneReturnAtATime).
        if (signOuts.answered(pin.nonce, now)) {
          yield* Effect.logInfo(Flow.returnAgainLog)
          return yield* new SignInNotStarted({ reason: "NoCookie" })
        }
        // The PIN, checked once; while plex.tv does not show it approved yet, again for a short, bounded time. An
        // answer with a Retry-After (a 403 or 400 from a CDN in front of plex.tv too, answers) is "for now", as at
        // the start: the PIN cookie kept (Flow.retriesAtReturn), the page "busy", the 503 with its Retry-After.
        const checkAnswers = answers()
        const checkPin = checkAnswers.watch(PinLogin.check({ id: pin.id })).pipe(
          Effect.catchTags({
            // An id PinLogin.check refuses (not a positive integer) is no PIN this flow started (Core.readPinData
            // refuses its cookie before: not reached).
            InvalidInput: () => Effect.fail(new SignInNotStarted({ reason: "Invalid" })),
            PinExpired: () => Effect.fail(new SignInExpired()),
            BadRequest: (e) => Effect.fail(unavailable("checkPin", checkAnswers.waitOf(e))(e)),
            Unauthorized: (e) => Effect.fail(unavailable("checkPin", checkAnswers.waitOf(e))(e)),
            RateLimited: (e) => Effect.fail(unavailable("checkPin", checkAnswers.waitOf(e))(e)),
            Unexpected: (e) => Effect.fail(unavailable("checkPin", checkAnswers.waitOf(e))(e)),
            NetworkError: (e) => Effect.fail(unavailable("checkPin")(e))
          })
        )
        // The whole return is bounded by callbackWait from its start: each step waits only for the time left, and the
        // one the deadline passes in fails as it would have (its own operation named): a request to plex.tv is
        // PlexUnavailable (unavailable for now, the return kept for a retry), the save SessionStoreError.
        const deadline = now + callbackWaitMillis
        const checkOnce = withinCallbackWait("checkPin", deadline, checkAnswers.last)(checkPin)
        let approved = yield* checkOnce
        // While plex.tv answers "not approved yet", checked again (spaced) until approvalWait has passed (or the
        // deadline, when it comes first). A check sent before the wait ends is waited for (until the deadline): its
        // answer decides, whether approved, not approved or no answer. Never a guess: a plex.tv that answers slowly and
        // then hangs is unavailable, not a refusal that would delete the PIN cookie of a sign-in the user approved.
        const approvalEnds = (yield* Clock.currentTimeMillis) + waitMillis
        const waitEnds = Math.min(approvalEnds, deadline)
        // The approval wait cut short by the deadline is no refusal: plex.tv was not given approvalWait to show the
        // PIN approved (a slow first check), so the return is unavailable for now (the PIN cookie kept, "Try
        // again" this return), as a check the deadline passes in is, not SignInNotApproved (the cookie deleted).
        const notApproved = () =>
          approvalEnds > deadline
            ? new PlexUnavailable({ operation: "checkPin", failure: Core.callbackWaitFailure })
            : new SignInNotApproved()
        let pause = Core.approvalRecheckDelayMillis(waitMillis)
        while (approved.authToken === undefined) {
          const now = yield* Clock.currentTimeMillis
          if (now >= waitEnds) return yield* notApproved()
          yield* Effect.sleep(Duration.millis(Math.min(pause, waitEnds - now)))
          if ((yield* Clock.currentTimeMillis) >= waitEnds) return yield* notApproved()
          approved = yield* checkOnce
          pause = Core.approvalCheckSpacingMillis(waitMillis)
        }
        // The PIN plex.tv answered for is the one this browser started.
        if (!Flow.samePin(pin, approved.code)) {
          return yield* new SignInNotStarted({ reason: "Invalid" })
        }
        const token = approved.authToken
        if (token === undefined) return yield* new SignInNotApproved()
        obtained.token = token
        // The token refused once obtained: when a sign-out of this browser ended the sign-in meanwhile, it is that
        // sign-out's doing (one that revokes, finding this return not in flight, past Flow.maxReturnsInFlight, checked
        // the PIN and revoked its token itself): the sign-in ended, as a return a sign-out ended is ("NoCookie", the
        // outcome of a return in flight), not one plex.tv did not approve.
        const tokenRefused = () =>
          Effect.flatMap(Clock.currentTimeMillis, (at) =>
            Effect.fail(
              signOuts.ended(pin.nonce, at)
                ? new SignInNotStarted({ reason: "NoCookie" })
                : new SignInNotApproved()
            )
          )

        // Its answers watched as the PIN check's: one with a Retry-After (a 403 from a CDN too) is "for now".
        const accountAnswers = answers()
        const account = yield* accountAnswers.watch(PlexAuth.getTokenDetails()).pipe(
          Effect.provideService(Credentials, { token: Effect.succeed(token) }),
          Effect.catch((e): Effect.Effect<never, SignInNotApproved | SignInNotStarted | PlexUnavailable> =>
            // A 403 refuses no token (core/refreshRun.ts tokenRefusedBy): plex.tv has no answer for now.
            e._tag === "Unauthorized" && tokenRefusedBy(e.status)
              ? tokenRefused()
              : Effect.fail(unavailable("getTokenDetails", accountAnswers.waitOf(e))(e))
          ),
          withinCallbackWait("getTokenDetails", deadline, accountAnswers.last)
        )
        // Asked afresh, never a kept answer: plex.tv keeps one token per account and device (python-plexapi
        // `MyPlexDevice.token`, plex.tv/devices.xml), and every sign-in here is one device (this app's ClientIdentity),
        // so a user signing in again can be handed back the token of an earlier sign-in, whose "no" (from before the
        // owner shared the server) the checker keeps for `accessTtl`: signing in again is how a user asks again. The
        // return has asked plex.tv for the PIN and the user already; its answer is then kept for `authenticate`.
        yield* checker.invalidate(token)
        const access = yield* checker.check(token).pipe(
          Effect.catch(() => tokenRefused()),
          withinCallbackWait("checkAccess", deadline)
        )
        switch (access._tag) {
          case "NoAccess":
            yield* Effect.logWarning(Core.messages.refused(account.username, machineIdentifier))
            return yield* new AccessDenied({ username: account.username })
          case "InvalidToken":
            return yield* tokenRefused()
          case "Unknown":
            // The status plex.tv answered with, when it answered, as createPin's, checkPin's and getTokenDetails', and
            // the wait it asked for (a 403 with a Retry-After too): "for now", the PIN cookie kept.
            return yield* unavailable("checkAccess", access.retryAfterMillis)(access.error)
        }

        // A new session id at every sign-in (no fixation); a session this browser had before ends.
        const previous = yield* Effect.option(sessionIdOf(request.cookie, now))
        if (Option.isSome(previous)) {
          const storageKey = yield* storageKeyOf(previous.value)
          yield* removePrevious(storageKey, now, yield* leftOf(deadline, Flow.previousRemovalTimeoutMillis))
        }
        const sessionId = Core.newSessionId()
        const record = Flow.newRecord({
          token: Redacted.value(token),
          user: account,
          access: access._tag,
          now,
          idleMillis,
          maxMillis,
          returnState: pin.nonce
        })
        const storageKey = yield* storageKeyOf(sessionId)
        // Listed before it is written: a sign-in interrupted (its request gone) while the store writes it, or
        // once it has, leaves a session in the store that is still removed once sessionMax has passed (one
        // never written is removed all the same: a removal of nothing).
        opened.set(storageKey, record.createdAt + maxMillis)
        // And in the store's index (Index): found and removed at sessionMax by a later run, or another process, too.
        yield* indexSession(storageKey, Index.endOf(record, maxMillis), now)
        // A save the store has not answered within Flow.storeWaitMillis, or what is left of callbackWait, fails as a
        // failed one does: the routes' 503 page, whose "Try again" is this return (the session, should it be written
        // later, removed at sessionMax).
        yield* withinStoreWait("set", yield* leftOf(deadline, Flow.storeWaitMillis))(save(storageKey, record))
        // A sign-out of this browser (its PIN cookie sent) while this return ran ends the sign-in: the session just
        // written is removed (one the store fails to remove is never answered, and goes at sessionMax) and none is
        // opened. Otherwise it is kept for a sign-out sent before its cookie reaches the browser (which removes it).
        const at = yield* Clock.currentTimeMillis
        if (!(yield* Effect.sync(() => signOuts.opened(pin.nonce, storageKey, at + pinMillis, at)))) {
          yield* Effect.ignore(withinStoreWait("remove")(remove(storageKey)))
          yield* Effect.logInfo("WebSignIn: a sign-in ended by a sign-out of its browser opened no session")
          return yield* new SignInNotStarted({ reason: "NoCookie" })
        }
        yield* removeEnded(now)
        const cookie = yield* sessionCookie(sessionId, record.expiresAt, now)
        yield* Effect.logInfo(`WebSignIn: ${account.username} signed in (${access._tag})`)
        // Its PIN cookie used: the same return again opens no second session (above).
        yield* Effect.sync(() => signOuts.finished(pin.nonce))
        return { user: userOf(record, access._tag), cookies: [...withLegacyPin([deletePin]), cookie] }
      })

    type Obtained = { token?: Redacted.Redacted<string> }
    // What a return that obtained a token and then ends without a session (a sign-out of its browser won, or a later
    // step failed or was interrupted after one) leaves, when a sign-out that revokes ended its sign-in (attemptReturn):
    // that token, which nobody holds (no return of it opens a session now), is revoked, as the sign-out revokes the
    // session's. One that ends before plex.tv gave it the token (failed, or its request gone) asks plex.tv for its PIN
    // as that sign-out would have (which left the PIN to this return in flight: Flow.checksPendingPin), once approved
    // meanwhile.
    // Built when the return ends (Effect.suspend), not when the callback passes it: `obtained` is filled by the return.
    const leftOver = (pin: Core.PinState, obtained: Obtained): Effect.Effect<void> =>
      Effect.suspend(() =>
        obtained.token !== undefined
          ? Effect.asVoid(
              Effect.tap(revokeToken(obtained.token), (done) =>
                Effect.sync(() => {
                  // Settled: a later sign-out does not ask plex.tv for the PIN (SignOuts.pinRevoked).
                  if (done) signOuts.pinRevoked(pin.nonce)
                })
              )
            )
          : Effect.asVoid(revokePending(pin))
      )

    const callback = (request: { readonly cookie: string | undefined; readonly url: string }) =>
      Effect.gen(function* () {
        yield* refusedDefect("WebSignIn.callback", Flow.callbackRequestProblem(request))
        const now = yield* Clock.currentTimeMillis
        const started = yield* Effect.promise(() => Flow.readPin(key, settings, request, now))
        if (started._tag === "NotStarted") return yield* new SignInNotStarted({ reason: started.reason })
        // A sign-in this browser's sign-out ended: its PIN cookie (whose deletion had not reached the browser) is as
        // if deleted.
        if (signOuts.ended(started.pin.nonce, now)) return yield* new SignInNotStarted({ reason: "NoCookie" })
        // Two returns of one sign-in at once share one outcome: one session. A return plex.tv failed logs why, once
        // (the browser sees only the 503 page), as a failed start does.
        const obtained: Obtained = {}
        return yield* oneReturnAtATime(
          started.pin.nonce,
          Effect.tapError(finish(request, started.pin, now, obtained), (error) =>
            error._tag === "PlexUnavailable"
              ? Effect.logWarning(
                  Core.messages.callbackUnavailable(error.operation, error.failure, error.status)
                )
              : Effect.void
          ),
          leftOver(started.pin, obtained)
        )
      }).pipe(Effect.provideContext(context), Effect.withSpan("WebSignIn.callback"))

    // -- authenticate --------------------------------------------------------
    const authenticate = (cookie: string | undefined) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const sessionId = yield* sessionIdOf(cookie, now)
        const storageKey = yield* storageKeyOf(sessionId)
        const found = yield* withinStoreWait("get")(load(storageKey))
        // The cookie verifies but names no session of this store: not an expiry (the cookie's own has not passed).
        if (found._tag === "Missing") return yield* new Unauthenticated({ reason: "SessionNotFound" })
        // A damaged value under its key (logged by load): no session, but not one the store does not hold either.
        if (found._tag === "Unreadable") return yield* new Unauthenticated({ reason: "Invalid" })
        let record = found.record
        const renewal = Core.renewal(now, record, idleMillis, maxMillis)
        if (renewal._tag === "Expired") {
          yield* withinStoreWait("remove")(remove(storageKey))
          return yield* new Unauthenticated({ reason: "Expired" })
        }
        const token = Redacted.make(record.token)
        // Cached for `accessTtl`: past it, plex.tv is asked again (one request for concurrent checks of a token).
        const checked = yield* checker.check(token).pipe(
          // Waited for at most `accessWait`: a plex.tv that hangs is one that cannot be asked (the grace applies).
          Effect.timeoutOption(Duration.millis(accessWaitMillis)),
          // A stored token that is not one (a damaged store entry): no session.
          Effect.catchTag("InvalidInput", () =>
            Effect.andThen(
              withinStoreWait("remove")(remove(storageKey)),
              Effect.fail(new Unauthenticated({ reason: "Invalid" }))
            )
          )
        )
        const answer = Option.isSome(checked) ? checked.value._tag : "Unknown"
        // What plex.tv failed with when it could not be asked (its status, when it answered); no answer in time is a
        // NetworkError.
        const failed = Option.isNone(checked)
          ? { _tag: Core.accessWaitFailure }
          : checked.value._tag === "Unknown"
            ? checked.value.error
            : { _tag: checked.value._tag }
        const outcome = Core.accessOutcome(now, record, answer, accessTtl, graceMillis)
        switch (outcome._tag) {
          case "Denied":
            // Kept with the session: until plex.tv grants access again, a failure to ask does not let them in.
            if (record.deniedAt === undefined) {
              const kept = yield* withinStoreWait("modify")(rewrite(storageKey, { ...record, deniedAt: now }))
              // Signed out (removed) while this request asked plex.tv: no session to refuse.
              if (kept === undefined)
                return yield* Effect.fail(new Unauthenticated({ reason: "SessionNotFound" }))
            } else {
              // Denied again (nothing to write): a session signed out meanwhile is no session to refuse either, nor
              // one damaged meanwhile (Invalid, as its Warning says).
              const again = yield* withinStoreWait("get")(load(storageKey))
              if (again._tag !== "Found") {
                return yield* Effect.fail(
                  new Unauthenticated({ reason: again._tag === "Missing" ? "SessionNotFound" : "Invalid" })
                )
              }
            }
            return yield* Effect.fail(new AccessDenied({ username: record.user.username }))
          case "Revoked":
            yield* withinStoreWait("remove")(remove(storageKey))
            yield* checker.invalidate(token)
            return yield* new Unauthenticated({ reason: "TokenRevoked" })
          case "Unavailable": {
            // plex.tv could not be asked: a session signed out (or damaged) meanwhile answers as any request after
            // the sign-out does (401), not 503 with "try again" for a session there is no longer.
            const again = yield* withinStoreWait("get")(load(storageKey))
            if (again._tag !== "Found") {
              return yield* Effect.fail(
                new Unauthenticated({ reason: again._tag === "Missing" ? "SessionNotFound" : "Invalid" })
              )
            }
            // The wait plex.tv's answer asked for (a 403's Retry-After too): the 503's Retry-After.
            return yield* unavailable(
              "checkAccess",
              Option.isSome(checked) && checked.value._tag === "Unknown"
                ? checked.value.retryAfterMillis
                : undefined
            )(failed)
          }
        }
        if (outcome.refreshed) {
          record = { ...record, access: outcome.level, accessCheckedAt: now, deniedAt: undefined }
        }
        if (renewal._tag === "Renew") record = { ...record, expiresAt: renewal.expiresAt }
        if (outcome.refreshed || renewal._tag === "Renew") {
          // Written only over the session as it still is: one signed out while this request asked plex.tv
          // (or renewed) is not brought back.
          const kept = yield* withinStoreWait("modify")(rewrite(storageKey, record))
          // Signed out (removed) while this request ran.
          if (kept === undefined)
            return yield* Effect.fail(new Unauthenticated({ reason: "SessionNotFound" }))
        }
        const cookies =
          renewal._tag === "Renew" ? [yield* sessionCookie(sessionId, record.expiresAt, now)] : []
        return { user: userOf(record, outcome.level), cookies }
      }).pipe(Effect.withSpan("WebSignIn.authenticate"))

    // Whether a return Flow.homeWhenSignedIn lets go on to homePath does (Flow.returnLeadsHome): the `Cookie` header's
    // session cookie verifies, the store holds its session (asked within Flow.storeWaitMillis), not ended, and this
    // return opened it (or carries no `state`); and if not, who the browser is still signed in as (Flow.signedInAs),
    // for its page. Nothing is renewed, written or asked of plex.tv (the home page's own authentication does that);
    // any failure is a "no", signed in as no one.
    const returnOfSession = (request: { readonly cookie: string | undefined; readonly url: string }) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const sessionId = yield* sessionIdOf(request.cookie, now)
        const storageKey = yield* storageKeyOf(sessionId)
        const found = yield* withinStoreWait(
          "get",
          Flow.storeWaitMillis,
          Core.messages.signedInUnknown
        )(load(storageKey, Core.messages.signedInUnknown))
        const record = found._tag === "Found" ? found.record : undefined
        const seen = { settings, url: request.url, record, now, idleMillis, maxMillis }
        return { home: Flow.returnLeadsHome(seen), signedInAs: Flow.signedInAs(seen) }
      }).pipe(Effect.orElseSucceed(() => ({ home: false, signedInAs: undefined })))

    // -- revoking a session's Plex token (a sign-out that asks) ----------------
    /** At most `waitMillis` of `effect` (none left: not run), as Effect.timeoutOption. */
    const within = <A, E>(effect: Effect.Effect<A, E>, waitMillis: number) =>
      waitMillis > 0
        ? Effect.timeoutOption(effect, Duration.millis(waitMillis))
        : Effect.succeed(Option.none<A>())

    /**
     * Revokes `token` at plex.tv, waiting at most `waitMillis` (Flow.revokeWaitMillis, or what is left of a sign-out's
     * Flow.signOutRequestsWaitMillis): whether it was (a failure is logged). One plex.tv accepted was, as
     * PlexAuth.signOut counts it (internal/tellSignedOut.ts `revocation`: a 2xx from where the token went, not from
     * another origin a redirect led to), though its body is not in when that wait ends.
     */
    const revokeToken = (
      token: Redacted.Redacted<string>,
      waitMillis: number = Flow.revokeWaitMillis,
      answer = SignedOut.revocation()
    ) =>
      PlexAuth.signOut().pipe(
        Effect.provideService(Credentials, { token: Effect.succeed(token) }),
        answer.watch,
        Effect.provideContext(context),
        Effect.as(true),
        Effect.catch((e) =>
          // plex.tv refusing the token (401, 498, a 422 "invalid token"; not a 403, core/refreshRun.ts tokenRefusedBy):
          // already invalid (revoked by another sign-out of it, or at plex.tv), as the revoke leaves it: revoked, no
          // warning, as PlexAuth.signOut's late revokes (internal/tellSignedOut.ts).
          e._tag === "Unauthorized" && tokenRefusedBy(e.status)
            ? Effect.succeed(true)
            : Effect.as(Effect.logWarning(`WebSignIn: the Plex token was not revoked (${e._tag})`), false)
        ),
        // At most Flow.revokeWaitMillis: a plex.tv that does not answer does not hold the sign-out for the
        // per-attempt timeout (30 s) and its retries.
        (revoking) => within(revoking, waitMillis),
        Effect.flatMap(
          Option.match({
            onNone: () =>
              // Accepted (its status in, not its body): revoked, as PlexAuth.signOut's `accepted`.
              answer.accepted()
                ? Effect.succeed(true)
                : Effect.as(
                    // None of the sign-out's 10 s left: not sent, and said so (not "no answer").
                    Effect.logWarning(
                      `WebSignIn: the Plex token was not revoked (${waitMillis > 0 ? "no answer from plex.tv" : "not asked"} ${Flow.waitedFor(waitMillis)})`
                    ),
                    false
                  ),
            onSome: Effect.succeed
          })
        )
      )

    // The PIN of a sign-in pending in a browser that signs out with `revoke` (Flow.checksPendingPin), checked once at
    // plex.tv (waited for at most Flow.revokeWaitMillis, and not past `deadline`, a sign-out's
    // Flow.signOutRequestsWaitMillis): approved, its token is revoked (revokeToken, within the same bounds). What it found;
    // never a failure: what happened is logged (Flow.pendingPinLog), never a secret.
    const waitUntil = (deadline: number) =>
      Effect.map(Clock.currentTimeMillis, (now) => Math.min(Flow.revokeWaitMillis, deadline - now))
    const askPending = (pin: Core.PinState, deadline: number, wait: number) =>
      within(PinLogin.check({ id: pin.id }).pipe(Effect.provideContext(context)), wait).pipe(
        Effect.flatMap((checked): Effect.Effect<Flow.PendingPinOutcome> =>
          Option.isNone(checked)
            ? Effect.succeed({ _tag: "Unchecked", failure: `no answer ${Flow.waitedFor(wait)}` })
            : checked.value.authToken === undefined || !Flow.samePin(pin, checked.value.code)
              ? Effect.succeed({ _tag: "NotApproved" })
              : Effect.flatMap(waitUntil(deadline), (left) =>
                  Effect.map(revokeToken(checked.value.authToken!, left), (done) => ({
                    _tag: done ? "Revoked" : "NotRevoked"
                  }))
                )
        ),
        Effect.catch((e): Effect.Effect<Flow.PendingPinOutcome> =>
          Effect.succeed(
            e._tag === "PinExpired" ? { _tag: "Expired" } : { _tag: "Unchecked", failure: e._tag }
          )
        ),
        Effect.tap((outcome) => {
          const line = Flow.pendingPinLog(outcome, signOuts.returned(pin.nonce))
          return line === undefined
            ? Effect.void
            : line.level === "Info"
              ? Effect.logInfo(line.message)
              : Effect.logWarning(line.message)
        })
      )
    // Asked by one sign-out at a time, and no more once one found what settles it (Flow.SignOuts.claimPinCheck): one
    // that had no answer, or was interrupted (its request gone), leaves it to a later sign-out that revokes (the PIN
    // cookie, whose deletion did not reach the browser, sent again). One whose `deadline` has passed (a sign-out's
    // checks at Flow.signOutRequestsAtOnce, the others' waits having used up its Flow.signOutRequestsWaitMillis) is not
    // sent nor claimed, only logged: a later sign-out may still ask. Whether its token was revoked.
    const revokePending = (pin: Core.PinState, deadline = Infinity) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const wait = Math.min(Flow.revokeWaitMillis, deadline - now)
          return (
            // (A PIN id plex.tv cannot have given is no pending PIN: Core.readPinData refused its cookie.)
            !signOuts.claimPinCheck(pin.nonce, now, wait > 0)
              ? Effect.succeed(false)
              : wait <= 0
                ? Effect.as(
                    Effect.logWarning(
                      Flow.pendingPinLog({ _tag: "Unchecked", failure: `not asked ${Flow.waitedFor(0)}` })!
                        .message
                    ),
                    false
                  )
                : restore(askPending(pin, deadline, wait)).pipe(
                    Effect.onExit((exit) =>
                      Effect.sync(() =>
                        signOuts.pinChecked(
                          pin.nonce,
                          Exit.isSuccess(exit) && Flow.settlesPendingPin(exit.value)
                        )
                      )
                    ),
                    Effect.map((outcome) => outcome._tag === "Revoked")
                  )
          )
        })
      )

    // -- sign-out ------------------------------------------------------------
    const signOut = (
      cookie: string | undefined,
      signOutOptions: { readonly revoke?: boolean | undefined } = {}
    ) =>
      Effect.gen(function* () {
        yield* refusedDefect("WebSignIn.signOut", Flow.signOutOptionsProblem(signOutOptions))
        const now = yield* Clock.currentTimeMillis
        const sessionId = yield* Effect.option(sessionIdOf(cookie, now))
        // The sign-ins pending in this browser (their PIN cookies sent) end first (Flow.SignOuts): a return of one, in
        // flight or to come, opens no session; a session one opened already, its cookie not yet at the browser, ends
        // with this sign-out, as the session of the request's cookie does.
        const pending = yield* Effect.promise(() => Flow.pendingPins(key, settings, cookie, now))
        const storageKeys: Array<string> = []
        // And with `revoke`, the PINs whose token nothing else revokes (Flow.checksPendingPin): approved, the tab closed
        // before the return, or the return failed after obtaining the token (its cookie kept for "Try again").
        const toCheck: Array<Core.PinState> = []
        for (const pin of pending) {
          const opened = signOuts.end(pin.nonce, now + pinMillis, now, signOutOptions.revoke === true)
          if (opened !== undefined) storageKeys.push(opened)
          const inFlight = returnsInFlight.has(pin.nonce)
          const revoke = signOutOptions.revoke === true
          // (Each nonce once, as Flow.pendingPins gives them: a PIN cookie sent twice is not asked for at plex.tv the
          // second time, when the first handed over the session its return opened.)
          if (Flow.checksPendingPin({ revoke, opened: opened !== undefined, inFlight })) toCheck.push(pin)
        }
        if (Option.isSome(sessionId)) storageKeys.unshift(yield* storageKeyOf(sessionId.value))
        const toRevoke: Array<{
          readonly token: Redacted.Redacted<string>
          readonly returnState?: string | undefined
        }> = []
        let failed: SessionStoreError | undefined
        for (const storageKey of new Set(storageKeys)) {
          const found = yield* withinStoreWait("get")(load(storageKey, Core.messages.signedOutDamaged))
          // Waited for at most Flow.storeWaitMillis each, as a request's: a store that hangs (or the session's lock
          // held by a call that does) fails the sign-out as a failing store does (SessionStoreError: the route's 500).
          // A removal that failed or was given up still lets the session's token be revoked (when asked) before the
          // sign-out fails as the removal did: one given up may go through on its own, and the sign-out tried again
          // would find no session, its token never revoked.
          const removed = yield* Effect.result(withinStoreWait("remove")(remove(storageKey)))
          if (found._tag === "Found") {
            const token = Redacted.make(found.record.token)
            yield* checker.invalidate(token)
            // Revoked below (when asked), with the pending sign-ins' PINs.
            if (signOutOptions.revoke === true)
              toRevoke.push({ token, returnState: found.record.returnState })
            if (Result.isSuccess(removed))
              yield* Effect.logInfo(`WebSignIn: ${found.record.user.username} signed out`)
          }
          // The first failure fails the sign-out, once every session has been tried.
          if (Result.isFailure(removed)) failed ??= removed.failure
        }
        // Before a store failure fails the sign-out, as the pending sign-ins' PINs are: the sign-out tried again would
        // not find them (the sessions removed, their sign-ins ended). Flow.signOutRequestsAtOnce at a time, all within
        // one Flow.signOutRequestsWaitMillis: a browser's PIN cookies (up to Flow.maxPinCookieValues) and sessions no
        // longer hold the sign-out a check and a revocation each, one after another.
        const deadline = (yield* Clock.currentTimeMillis) + Flow.signOutRequestsWaitMillis
        const asked = yield* Effect.forEach(
          [
            ...toRevoke.map(({ token, returnState }) =>
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.tap(revokeToken(token, Math.min(Flow.revokeWaitMillis, deadline - now)), (done) =>
                  Effect.sync(() => {
                    // The PIN of the sign-in that opened it is settled (SignOuts.pinRevoked): a sign-out sent again
                    // with that PIN cookie (its deletion not at the browser) does not ask plex.tv for its token.
                    if (done && returnState !== undefined) signOuts.pinRevoked(returnState)
                  })
                )
              )
            ),
            ...toCheck.map((pin) => revokePending(pin, deadline))
          ],
          (request) => request,
          { concurrency: Flow.signOutRequestsAtOnce }
        )
        const revoked = asked.includes(true)
        if (failed !== undefined) return yield* Effect.fail(failed)
        // A sign-in pending in this browser ends too (its PIN cookie deleted): its PIN may be approved already (the
        // tab closed at plex.tv, or its return answered 503 and kept the cookie), and its return opened after the
        // sign-out (history, "Try again") would sign the browser in again. Only the cookies the request sent
        // (Flow.signOutDeletes): another site's form, which sends none, deletes none.
        const sent = Flow.signOutDeletes(settings, cookie)
        const cookies = [
          ...(sent.session ? [deleteSession] : []),
          ...(sent.pin ? withLegacyPin([deletePin]) : [])
        ]
        return { cookies, revoked }
      }).pipe(Effect.withSpan("WebSignIn.signOut"))

    // -- routes --------------------------------------------------------------
    const refusal = (
      error: CallbackError | StartError,
      extra: ReadonlyArray<SetCookie>,
      retryPath?: string,
      noState?: boolean,
      signedInAs?: string
    ) => {
      const r = Pages.refusalFor(error, retryPath, noState, signedInAs)
      const page = private_(
        withCookies(
          HttpServerResponse.text(Pages.refusalPage(r, settings.startPath, settings.homePath), {
            status: Pages.refusalStatus(r),
            contentType: Pages.contentType
          }),
          extra
        )
      )
      // Past startLimit (429), or plex.tv asked the start or the return to wait (503): when to try again.
      const retryAfter = Flow.refusalRetryAfter(error)
      return retryAfter === undefined ? page : HttpServerResponse.setHeader(page, "retry-after", retryAfter)
    }
    // A HEAD of the start or the callback route: without a HEAD route of its own the router would answer it with the
    // GET route (a PIN created at plex.tv, or checked and its cookie used up): Flow.headRefused.
    const headRefused = Effect.succeed(
      private_(
        HttpServerResponse.setHeader(
          HttpServerResponse.empty({ status: Flow.headRefused.status }),
          "allow",
          Flow.headRefused.allow
        )
      )
    )
    // A prefetch or prerender of the start route (Flow.isSpeculative): no PIN, no cookie, Flow.speculativeRefused.
    const speculativeRefused = private_(HttpServerResponse.empty({ status: Flow.speculativeRefused.status }))
    const startRoute = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.match(startFor(request), {
        // Past startLimit (429), or plex.tv asked to wait (503): with when to try again (refusal).
        onFailure: (error) => refusal(error, []),
        onSuccess: ({ cookie, url }) =>
          private_(
            withCookies(
              HttpServerResponse.redirect(Redacted.value(url), { status: Flow.redirectStatus }),
              withLegacyPin([cookie])
            )
          )
      })
    const routes: ReadonlyArray<HttpRouter.Route<never, never>> = [
      HttpRouter.route("HEAD", Core.routePattern(settings.startPath), headRefused),
      HttpRouter.route("HEAD", Core.routePattern(settings.callbackPath), headRefused),
      HttpRouter.route("GET", Core.routePattern(settings.startPath), (request) =>
        Flow.isSpeculative((name) => request.headers[name])
          ? Effect.succeed(speculativeRefused)
          : startRoute(request)
      ),
      HttpRouter.route("GET", Core.routePattern(settings.callbackPath), (request) =>
        Effect.matchEffect(callback({ cookie: request.headers["cookie"], url: request.url }), {
          // The PIN-flow cookie is used once, whatever the outcome, unless it is another return's, or the
          // return can be tried again (plex.tv unavailable for now, the session store failing: Flow.retriesAtReturn),
          // whose "Try again" comes back here (Flow.keepsPinCookieAfter).
          onFailure: (error) => {
            const refused = Flow.keepsPinCookieAfter(error)
              ? refusal(
                  error,
                  withLegacyPin([]),
                  Flow.retriesAtReturn(error) ? Flow.retryPath(settings, request.url) : undefined,
                  !Flow.hasState(settings, request.url)
                )
              : refusal(error, withLegacyPin([deletePin]), undefined, !Flow.hasState(settings, request.url))
            // No sign-in of this browser pending, but it is signed in (the return link opened again): on to
            // homePath, as after the sign-in, the PIN cookie deleted as the page would (Flow.homeWhenSignedIn):
            // only the return that opened the session, or one without state (Flow.returnLeadsHome); else its page,
            // saying who the browser is still signed in as (Flow.signedInAs).
            return Flow.homeWhenSignedIn(error)
              ? Effect.map(returnOfSession({ cookie: request.headers["cookie"], url: request.url }), (seen) =>
                  seen.home
                    ? private_(
                        withCookies(
                          HttpServerResponse.redirect(settings.homePath, { status: Flow.redirectStatus }),
                          withLegacyPin([deletePin])
                        )
                      )
                    : seen.signedInAs === undefined
                      ? refused
                      : refusal(
                          error,
                          withLegacyPin([deletePin]),
                          undefined,
                          !Flow.hasState(settings, request.url),
                          seen.signedInAs
                        )
                )
              : Effect.succeed(refused)
          },
          onSuccess: ({ cookies }) =>
            Effect.succeed(
              private_(
                withCookies(
                  HttpServerResponse.redirect(settings.homePath, { status: Flow.redirectStatus }),
                  cookies
                )
              )
            )
        })
      ),
      HttpRouter.route("POST", Core.routePattern(settings.signOutPath), (request) =>
        // A form of another site or a sibling host cannot sign a user out: browsers send `Origin` (and
        // `Sec-Fetch-Site`, to https and loopback addresses only: Core.sameOrigin) with a POST.
        !Core.sameOrigin(request.headers["origin"], settings.origin, request.headers["sec-fetch-site"])
          ? Effect.succeed(
              private_(
                HttpServerResponse.text(Flow.crossOriginSignOut.text, {
                  status: Flow.crossOriginSignOut.status
                })
              )
            )
          : Effect.match(signOut(request.headers["cookie"], { revoke: options.revokeOnSignOut === true }), {
              onFailure: () =>
                private_(
                  HttpServerResponse.text(Flow.signOutFailed.text, { status: Flow.signOutFailed.status })
                ),
              onSuccess: ({ cookies }) =>
                private_(
                  withCookies(
                    HttpServerResponse.redirect(settings.homePath, { status: Flow.redirectStatus }),
                    cookies
                  )
                )
            })
      )
    ]

    return { settings, start, startFor, callback, authenticate, signOut, routes } satisfies WebSignInService
  })

/**
 * Builds the service. Fails with `InvalidInput` for a bad option, a
 * malformed `PLEX_AUTH_APP_URL` (read when `authAppUrl` is not given; the
 * error names the variable) or a
 * session key shorter than 32 bytes (the key is never shown; read from
 * `PLEX_SESSION_KEY`, the error names the variable), and with a
 * `ConfigError` when the key is not configured. The service keeps the
 * `HttpClient`, `ClientIdentity` and `KeyValueStore` of where it is made.
 *
 * Its background work (a sign-in's removal of the sessions whose
 * `sessionMax` has passed, the sessions' index in the store) runs in
 * detached fibers: `make` has no scope, so that work is not stopped with
 * the app's and may still call the store after it. An app that closes the
 * service's scope (a shutdown, tests) should use {@link layer}, whose scope
 * ends that work.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<
  WebSignInService,
  InvalidInput | Config.ConfigError,
  HttpClient.HttpClient | ClientIdentity | KeyValueStore.KeyValueStore
> => makeWith(options, detached)

/**
 * The service as a layer; see {@link make}. Its background work (the
 * removal of ended sessions, the sessions' index) runs in the layer's
 * scope: closing the layer (the app's shutdown) interrupts it, and no store
 * call of it runs after. A sign-in or sign-out answered after the layer has
 * closed still reads and writes its session as before, but starts no
 * background work: a session opened then is neither indexed nor removed at
 * its `sessionMax` by this service (a later run's sweep does not find it).
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { KeyValueStore } from "effect/persistence"
 * import { ClientIdentity, WebSignIn } from "effect4-plex-auth"
 *
 * const SignInLive = WebSignIn.layer({
 *   appUrl: "https://media.example.com",
 *   machineIdentifier: "5d7e1c0f9b2a4c8e9f3a6b1d2c4e8f0a7b9c1d3e"
 * }).pipe(
 *   Layer.provide(
 *     Layer.mergeAll(
 *       FetchHttpClient.layer,
 *       ClientIdentity.layer({ clientIdentifier: "my-app-install-id", product: "My App" }),
 *       KeyValueStore.layerMemory
 *     )
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  WebSignIn,
  InvalidInput | Config.ConfigError,
  HttpClient.HttpClient | ClientIdentity | KeyValueStore.KeyValueStore
> =>
  Layer.effect(
    WebSignIn,
    Effect.flatMap(Effect.scope, (scope) => {
      let closed = false
      // Set as the scope closes. Its finalizers run the last added first: the fibers the service forked into it (each
      // adding its own as it is forked) are interrupted before this one runs; one forked while they are, into the
      // closing scope, is interrupted by forkIn at once, never run. Once set, nothing is forked (`false`).
      const inScope: Background = (work) =>
        Effect.suspend(() => (closed ? Effect.succeed(false) : Effect.as(Effect.forkIn(work, scope), true)))
      return Effect.tap(makeWith(options, inScope), () =>
        Scope.addFinalizer(
          scope,
          Effect.sync(() => {
            closed = true
          })
        )
      )
    })
  )

// ---------------------------------------------------------------------------
// Middleware
// ---------------------------------------------------------------------------

/**
 * The `HttpApi` security middleware: resolves the session cookie to the
 * {@link PlexUser}, or fails with 401 (`Unauthenticated`), 403
 * (`AccessDenied`), 503 (`PlexUnavailable`, with `Retry-After` when plex.tv asked
 * to wait) or 500 (`SessionStoreError`).
 * Add it to a group or endpoint with `.middleware(WebSignIn.Authentication)`
 * and provide {@link layerAuthentication} to the groups' layers (the handlers
 * run behind it: `Layer.provide(groupLive)` then
 * `Layer.provide(WebSignIn.layerAuthentication)`, not merged beside them,
 * which fails at run time with "Service not found"). The cookie is read by the name
 * the service was set up with (`__Host-plex_session` over https, else
 * `plex_session`, or the `cookieName` given); the security scheme, for the
 * API's description (OpenAPI), names the default cookie over https,
 * `__Host-plex_session`.
 *
 * @since 0.1.0
 * @category middleware
 */
export class Authentication
  extends /*#__PURE__*/ HttpApiMiddleware.Service<Authentication, { provides: PlexUser }>()(
    "effect-plex-auth/WebSignIn/Authentication",
    {
      error: [Unauthenticated, AccessDenied, PlexUnavailable, SessionStoreError],
      security: {
        session: /*#__PURE__*/ HttpApiSecurity.apiKey({ in: "cookie", key: Core.documentedSessionCookie })
      }
    }
  ) {}

/**
 * A response with a renewed session's cookie on it, `Cache-Control: no-store`: it carries a session cookie,
 * which no cache may keep and hand to someone else.
 */
const renewedOn = (response: HttpServerResponse.HttpServerResponse, cookies: ReadonlyArray<SetCookie>) =>
  cookies.length === 0
    ? response
    : withCookies(HttpServerResponse.setHeader(response, "cache-control", "no-store"), cookies)

/** Adds cookies (a renewed session's) to whatever response the request ends with ({@link renewedOn}). */
const setCookiesOnResponse = (cookies: ReadonlyArray<SetCookie>) =>
  cookies.length === 0
    ? Effect.void
    : HttpEffect.appendPreResponseHandler((_request, response) =>
        Effect.succeed(renewedOn(response, cookies))
      )

/**
 * The headers of an `authenticate` refusal's answer ({@link requireUser}'s, the middleware's): `Cache-Control:
 * no-store` (it depends on the session), and the `Retry-After` of a 503 whose access check plex.tv asked to wait
 * (`PlexUnavailable` with `retryAfterMillis`: Flow.refusalRetryAfter, the rule of the start and the callback routes).
 */
const refusalHeaders = (response: HttpServerResponse.HttpServerResponse, error: AuthenticateError) => {
  const noStore = HttpServerResponse.setHeader(response, "cache-control", "no-store")
  const retryAfter = Flow.refusalRetryAfter(error)
  return retryAfter === undefined ? noStore : HttpServerResponse.setHeader(noStore, "retry-after", retryAfter)
}

/**
 * {@link refusalHeaders} on whatever response the request ends with: the middleware's error answers (401, 403,
 * 503, 500), which depend on the session, as {@link requireUser}'s do. The `HttpApi` builds them from the failure,
 * after the middleware; a pre-response handler is how the middleware reaches them.
 */
const refusalHeadersOnResponse = (error: AuthenticateError) =>
  HttpEffect.appendPreResponseHandler((_request, response) => Effect.succeed(refusalHeaders(response, error)))

/**
 * {@link Authentication}'s implementation, from the {@link WebSignIn} in
 * context. A renewed session's cookie is added to the response; its error answers are `Cache-Control: no-store`,
 * a 503 whose access check plex.tv asked to wait with its `Retry-After` (`retryAfterMillis`, whole seconds).
 *
 * @since 0.1.0
 * @category middleware
 */
export const layerAuthentication: Layer.Layer<Authentication, never, WebSignIn> = /*#__PURE__*/ Layer.effect(
  Authentication,
  /*#__PURE__*/ Effect.map(/*#__PURE__*/ Effect.service(WebSignIn), (service) =>
    Authentication.of({
      session: (httpEffect) =>
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const { cookies, user } = yield* Effect.tapError(
            service.authenticate(request.headers["cookie"]),
            refusalHeadersOnResponse
          )
          yield* setCookiesOnResponse(cookies)
          return yield* Effect.provideService(httpEffect, PlexUser, user)
        })
    })
  )
)

/**
 * Keeps the `Location` header out of the server's spans (adds it to
 * `Headers.CurrentRedactedNames` in the layers it is provided to): the
 * start route's redirect goes to Plex's sign-in page, whose URL carries the
 * PIN code (in its fragment, as Plex requires). Effect 4's server tracing
 * records headers only when the app opts in (`HttpMiddleware.TracerHeaderFilter`);
 * this keeps that opt-in safe. Part of {@link layerHttpApiRoutes}; provide
 * it to the server layer of an `HttpRouter` app that serves
 * {@link WebSignInService.routes} (`HttpRouter.serve(app).pipe(Layer.provide(...))`).
 * With `HttpRouter.toWebHandler`, merge it into the app's layer instead: its
 * requests run with what that layer outputs, which `Layer.provide` leaves out.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRedactLocation: Layer.Layer<never> = /*#__PURE__*/ Layer.effect(
  Headers.CurrentRedactedNames,
  /*#__PURE__*/ Effect.map(/*#__PURE__*/ Effect.service(Headers.CurrentRedactedNames), (names) =>
    names.some((n) => typeof n === "string" && n.toLowerCase() === "location")
      ? names
      : [...names, "location"]
  )
)

/**
 * The sign-in routes ({@link WebSignInService.routes}) added to the
 * `HttpRouter` an `HttpApi` app is served on (`HttpApiBuilder.layer`
 * registers the API there too), with {@link layerRedactLocation}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerHttpApiRoutes: Layer.Layer<never, never, WebSignIn | HttpRouter.HttpRouter> =
  /*#__PURE__*/ Layer.merge(
    layerRedactLocation,
    /*#__PURE__*/ HttpRouter.use((router) =>
      Effect.flatMap(Effect.service(WebSignIn), (service) => router.addAll(service.routes))
    )
  )

const errorResponse = (error: AuthenticateError) =>
  refusalHeaders(
    HttpServerResponse.jsonUnsafe(Core.authenticateBody(error), {
      status: Core.authenticateStatus(error._tag)
    }),
    error
  )

/**
 * `HttpRouter` middleware: runs `app` (a route's handler) with the
 * {@link PlexUser} of the request's session, or answers 401 (no session),
 * 403 (no access), 503 (plex.tv could not be asked; with `Retry-After` when
 * it asked to wait) or 500 (the session store failed) as JSON: `_tag`, the error's fields (the body the `HttpApi`
 * middleware answers), then `message`
 * (`{"_tag":"Unauthenticated","reason":"NoSession","message":...}`). A renewed
 * session's cookie is added to the response.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { HttpRouter, HttpServerResponse } from "effect/http"
 * import { WebSignIn } from "effect4-plex-auth"
 *
 * const MeRoute = HttpRouter.add(
 *   "GET",
 *   "/me",
 *   WebSignIn.requireUser(
 *     // What the page needs: not the whole user, whose token stays on the server.
 *     Effect.flatMap(Effect.service(WebSignIn.PlexUser), (user) =>
 *       HttpServerResponse.json({ username: user.username, access: user._tag })
 *     )
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category middleware
 */
export const requireUser = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  E,
  Exclude<R, PlexUser> | WebSignIn | HttpServerRequest.HttpServerRequest
> =>
  Effect.gen(function* () {
    const service = yield* WebSignIn
    const request = yield* HttpServerRequest.HttpServerRequest
    const result = yield* Effect.result(service.authenticate(request.headers["cookie"]))
    if (Result.isFailure(result)) return errorResponse(result.failure)
    const response = yield* Effect.provideService(app, PlexUser, result.success.user)
    return renewedOn(response, result.success.cookies)
  })
