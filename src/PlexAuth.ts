/**
 * The four Plex authentication operations of the seed SDKs, as Effects.
 *
 * Each needs an `HttpClient` (yours: `FetchHttpClient.layer`, a mock, or the
 * fake of `effect-plex-auth/testing`) and a `ClientIdentity`; the ones that
 * act for an account need `Credentials`, and the server ones a `PlexServer`.
 * Each fails with one precise union of tagged errors (see `PlexError`).
 *
 * Per call, `PlexServer.withUrl` / `PlexTv.withUrl` point an operation at
 * another server and `RetryPolicy.withPolicy` gives it another retry policy.
 * The `...WithResponse` variants also return the status and headers.
 *
 * @since 0.1.0
 */
import type * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Redacted from "effect/Redacted"
import type { ClientIdentity } from "./ClientIdentity.js"
import type {
  GetSourceConnectionInformationError,
  GetTokenDetailsError,
  GetTransientTokenError,
  InvalidInput,
  SignInError
} from "./PlexError.js"
import type * as Schemas from "./Schemas.js"
import * as Payloads from "./internal/payloads.js"
import * as L from "./internal/lenient.js"
import * as Request from "./internal/request.js"
import * as Settings from "./internal/settings.js"
import { Credentials as CredentialsTag } from "./internal/credentials.js"
import type { Credentials } from "./Credentials.js"
import type { PlexServer } from "./PlexServer.js"
import * as V from "./internal/validate.js"
import { signInAs } from "./internal/signIn.js"
import * as SignedOut from "./internal/tellSignedOut.js"
import * as Auth from "./core/auth.js"
import * as Decode from "./core/decode.js"
import { withSchema } from "./core/endpoint.js"

/**
 * A decoded success together with the response's status and headers (the
 * seeds' `statusCode`, `contentType` and `rawResponse`).
 *
 * @since 0.1.0
 * @category models
 */
export interface WithResponse<A> {
  /** The decoded value, as the plain operation returns it. */
  readonly value: A
  /** The HTTP status, e.g. 200 or 201. */
  readonly status: number
  /**
   * The response headers, without a secret: the request's secrets are
   * `<redacted>` in every header a server may echo them in (a `Location`, a
   * `Content-Location`, a `Link`: the rest of the value kept), as is the value
   * of an `X-Plex-Token` query parameter in any of them; an `X-Plex-Token`
   * header reads `<redacted>`.
   */
  readonly headers: Headers.Headers
  /** The response's `Content-Type`. */
  readonly contentType: string | undefined
}

const value = <A, E, R>(effect: Effect.Effect<Request.Success<A>, E, R>): Effect.Effect<A, E, R> =>
  Effect.map(effect, (success) => success.value)

/** The success with its headers, as a `...WithResponse` variant hands it (`read.ts`'s `withResponse`). */
const withResponse = <A, E, R>(
  effect: Effect.Effect<Request.Success<A>, E, R>
): Effect.Effect<WithResponse<A>, E, R> => Effect.map(effect, Request.withResponse)

// ---------------------------------------------------------------------------
// postUsersSignInData
// ---------------------------------------------------------------------------

/**
 * The sign-in form. `password` and `verificationCode` may be plain strings;
 * they are wrapped in `Redacted` at once.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignInInput {
  /** The account's user name or email. */
  readonly login: string
  /** The password. */
  readonly password: string | Redacted.Redacted<string>
  /**
   * Ask for a long-lived session. Default false here (the seeds' default);
   * `Credentials.layerSignIn` and the CLI ask for one unless told otherwise
   * (python-plexapi and plex-rs send `true`).
   */
  readonly rememberMe?: boolean | undefined
  /**
   * The two-factor code, when the account needs one: the six digits of the
   * authenticator app, or one of Plex's backup (recovery) codes (4 to 64
   * letters, digits, hyphens, underscores or spaces). Sent trimmed; six
   * digits typed in groups as apps show them (`"123 456"`, `"123-456"`) are
   * sent as the six digits alone, any other code as typed.
   */
  readonly verificationCode?: string | Redacted.Redacted<string> | undefined
}

/**
 * Signs in with login and password (and the two-factor code when the account
 * needs one): plex.tv `POST /api/v2/users/signin`. Returns the account with
 * its `authToken` (`Redacted`).
 *
 * Fails with `VerificationCodeRequired` when a code is needed (Plex code
 * 1029), `InvalidVerificationCode` when it was wrong (1028), `Unauthorized`
 * for a wrong login or password, and `InvalidInput`, before any request, for
 * an empty login or password or a code that cannot be one (see
 * {@link SignInInput}). A 401 without code 1029 whose message asks for the
 * verification code is `VerificationCodeRequired` too, as python-plexapi
 * reads it.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { PlexAuth } from "effect-plex-auth"
 *
 * const signIn = PlexAuth.postUsersSignInData({ login: "me@example.com", password: Redacted.make("hunter2") }).pipe(
 *   Effect.catchTag("VerificationCodeRequired", () =>
 *     PlexAuth.postUsersSignInData({ login: "me@example.com", password: "hunter2", verificationCode: "123456" })
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const postUsersSignInData = (
  input: SignInInput
): Effect.Effect<Schemas.SignedInAccount, SignInError, HttpClient.HttpClient | ClientIdentity> =>
  value(signInAs("PlexAuth.postUsersSignInData", input))

/**
 * {@link postUsersSignInData} with the response's status and headers.
 *
 * @since 0.1.0
 * @category operations
 */
export const postUsersSignInDataWithResponse = (
  input: SignInInput
): Effect.Effect<
  WithResponse<Schemas.SignedInAccount>,
  SignInError,
  HttpClient.HttpClient | ClientIdentity
> => withResponse(signInAs("PlexAuth.postUsersSignInDataWithResponse", input))

// ---------------------------------------------------------------------------
// getTokenDetails
// ---------------------------------------------------------------------------

/**
 * A `Spec` for an endpoint of the core, built by a call: an object spread or
 * a nested property read at a module's top level keeps what it references in
 * every bundle that imports the module; an annotated call is dropped with
 * the operation that uses it.
 */

const tokenDetailsSpec = /*#__PURE__*/ withSchema(Auth.tokenDetails, Payloads.account)

/**
 * The account the current token belongs to: plex.tv `GET /api/v2/user`.
 * `Unauthorized` means the token is invalid or revoked.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PlexAuth } from "effect-plex-auth"
 *
 * const whoami = PlexAuth.getTokenDetails().pipe(Effect.map((account) => account.username))
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const getTokenDetails = (): Effect.Effect<
  Schemas.Account,
  GetTokenDetailsError,
  HttpClient.HttpClient | ClientIdentity | Credentials
> => value(Request.plexTv("PlexAuth.getTokenDetails", tokenDetailsSpec))

/**
 * {@link getTokenDetails} with the response's status and headers.
 *
 * @since 0.1.0
 * @category operations
 */
export const getTokenDetailsWithResponse = (): Effect.Effect<
  WithResponse<Schemas.Account>,
  GetTokenDetailsError,
  HttpClient.HttpClient | ClientIdentity | Credentials
> => withResponse(Request.plexTv("PlexAuth.getTokenDetailsWithResponse", tokenDetailsSpec))

// ---------------------------------------------------------------------------
// getTransientToken
// ---------------------------------------------------------------------------

/**
 * The arguments of `/security/token`; `delegation` and `all` are the only
 * values Plex supports, and the defaults.
 *
 * @since 0.1.0
 * @category models
 */
export interface TransientTokenInput {
  readonly type?: "delegation" | undefined
  readonly scope?: "all" | undefined
}

/**
 * A transient token from the server (PMS `/security/token`): the caller's
 * access, valid up to 48 hours, gone when the server restarts.
 *
 * @example
 * ```ts
 * import { PlexAuth } from "effect-plex-auth"
 *
 * const transient = PlexAuth.getTransientToken({ type: "delegation", scope: "all" })
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const getTransientToken = (
  input: TransientTokenInput = {}
): Effect.Effect<
  Schemas.TransientToken,
  GetTransientTokenError,
  HttpClient.HttpClient | ClientIdentity | Credentials | PlexServer
> => value(transientTokenAs("PlexAuth.getTransientToken", input))

/**
 * {@link getTransientToken} with the response's status and headers.
 *
 * @since 0.1.0
 * @category operations
 */
export const getTransientTokenWithResponse = (
  input: TransientTokenInput = {}
): Effect.Effect<
  WithResponse<Schemas.TransientToken>,
  GetTransientTokenError,
  HttpClient.HttpClient | ClientIdentity | Credentials | PlexServer
> => withResponse(transientTokenAs("PlexAuth.getTransientTokenWithResponse", input))

/** `/security/token`, for the public function `operation`. */
const transientTokenAs = (
  operation: string,
  input: TransientTokenInput
): Effect.Effect<
  Request.Success<Schemas.TransientToken>,
  GetTransientTokenError,
  HttpClient.HttpClient | ClientIdentity | Credentials | PlexServer
> =>
  Effect.suspend(() => {
    const checked = Auth.transientTokenQuery(input ?? {})
    if ("problem" in checked) return Effect.fail(V.invalid(operation, checked.field, checked.problem))
    return Effect.map(
      Request.pms(operation, {
        ...Auth.transientToken,
        urlParams: checked.query,
        schema: Payloads.transientTokenResponse
      }),
      (success) => ({ ...success, value: success.value.MediaContainer })
    )
  })

// ---------------------------------------------------------------------------
// getSourceConnectionInformation
// ---------------------------------------------------------------------------

/**
 * The arguments of `/security/resources`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SourceInput {
  /** The source with its scheme: `server://<clientIdentifier>` or `provider://<id>`. */
  readonly source: string
  /** Ask the server to refresh what it knows of the source. */
  readonly refresh?: boolean | undefined
}

/**
 * Connection details and an access token for a source the server knows
 * (PMS `/security/resources`, PMS 1.15.4 or later; needs an admin or
 * transient token). A source without `scheme://`, or a `refresh` that is
 * not a boolean, fails with `InvalidInput` before any request.
 *
 * @example
 * ```ts
 * import { PlexAuth } from "effect-plex-auth"
 *
 * const info = PlexAuth.getSourceConnectionInformation({ source: "server://0123456789abcdef" })
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const getSourceConnectionInformation = (
  input: SourceInput
): Effect.Effect<
  Schemas.SourceConnectionInformation,
  GetSourceConnectionInformationError,
  HttpClient.HttpClient | ClientIdentity | Credentials | PlexServer
> => value(sourceAs("PlexAuth.getSourceConnectionInformation", input))

/**
 * {@link getSourceConnectionInformation} with the response's status and
 * headers.
 *
 * @since 0.1.0
 * @category operations
 */
export const getSourceConnectionInformationWithResponse = (
  input: SourceInput
): Effect.Effect<
  WithResponse<Schemas.SourceConnectionInformation>,
  GetSourceConnectionInformationError,
  HttpClient.HttpClient | ClientIdentity | Credentials | PlexServer
> => withResponse(sourceAs("PlexAuth.getSourceConnectionInformationWithResponse", input))

/** `/security/resources`, for the public function `operation`. */
const sourceAs = (
  operation: string,
  input: SourceInput
): Effect.Effect<
  Request.Success<Schemas.SourceConnectionInformation>,
  GetSourceConnectionInformationError,
  HttpClient.HttpClient | ClientIdentity | Credentials | PlexServer
> =>
  Effect.suspend(() => {
    const checked = Auth.sourceQuery(input ?? {})
    if ("problem" in checked) return Effect.fail(V.invalid(operation, checked.field, checked.problem))
    return Effect.map(
      Request.pms(operation, {
        ...Auth.sourceConnectionInformation,
        refusals: Request.notFoundRefusals,
        urlParams: checked.query,
        schema: Payloads.sourceConnectionInformationResponse
      }),
      (success) => ({ ...success, value: success.value.MediaContainer.Device })
    )
  })

// ---------------------------------------------------------------------------
// Request settings
// ---------------------------------------------------------------------------

/**
 * How long one attempt (sending and reading the answer) may take before it
 * fails with a `NetworkError` of reason `Timeout`. Default 30 seconds.
 *
 * @since 0.1.0
 * @category settings
 */
export const RequestTimeout = Settings.RequestTimeout

/**
 * Runs an effect with another per-attempt timeout.
 *
 * @since 0.1.0
 * @category settings
 */
export const withRequestTimeout: {
  (
    timeout: Duration.DurationInput
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInput, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    timeout: Duration.DurationInput
  ): Effect.Effect<A, E | InvalidInput, R>
} = /*#__PURE__*/ dual(
  2,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    timeout: Duration.DurationInput
  ): Effect.Effect<A, E | InvalidInput, R> =>
    // NaN, a negative, zero or an infinite timeout fails with InvalidInput: the timeout stays on.
    Effect.flatMap(V.timeout("PlexAuth.withRequestTimeout", "timeout", timeout), (valid) =>
      Settings.withRequestTimeout(self, valid)
    )
)

/**
 * The largest response body read before failing with `Unexpected`
 * (`BodyTooLarge`), when the body is needed: an answer its status alone
 * reads (a 429, a 5xx, ...: docs/errors.md) is that error over it too.
 * Default 8 MiB.
 *
 * @since 0.1.0
 * @category settings
 */
export const MaxBodyBytes = Settings.MaxBodyBytes

/**
 * Runs an effect with another body cap, in bytes (see {@link MaxBodyBytes}).
 * A cap that is not a whole number of bytes, 0 or more (NaN, an infinite,
 * negative or fractional one) fails with `InvalidInput`: the cap stays on.
 *
 * @example
 * ```ts
 * import { PlexAuth } from "effect-plex-auth"
 *
 * export const small = PlexAuth.getTokenDetails().pipe(PlexAuth.withMaxBodyBytes(1024 * 1024))
 * ```
 *
 * @since 0.1.0
 * @category settings
 */
export const withMaxBodyBytes: {
  (bytes: number): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInput, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, bytes: number): Effect.Effect<A, E | InvalidInput, R>
} = /*#__PURE__*/ dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, bytes: number): Effect.Effect<A, E | InvalidInput, R> =>
    Effect.zipRight(
      V.check("PlexAuth.withMaxBodyBytes", "bytes", V.maxBodyBytesProblem(bytes)),
      Settings.withMaxBodyBytes(self, bytes)
    )
)

/**
 * Whether requests carry the caller's trace context (the `traceparent` and
 * `b3` headers `@effect/platform` adds). `false` by default: Plex takes no
 * part in the caller's traces, so the headers would only hand a third party
 * the caller's trace ids. The spans are recorded either way.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PlexAuth } from "effect-plex-auth"
 *
 * // Through a proxy that joins the caller's traces:
 * export const traced = PlexAuth.getTokenDetails().pipe(Effect.provideService(PlexAuth.TracePropagation, true))
 * ```
 *
 * @since 0.1.0
 * @category settings
 */
export const TracePropagation = Settings.TracePropagation

/**
 * Runs an effect with trace propagation on or off (see {@link TracePropagation}).
 * A value that is not a boolean (untyped JavaScript) fails with `InvalidInput`.
 *
 * @example
 * ```ts
 * import { PlexAuth } from "effect-plex-auth"
 *
 * export const traced = PlexAuth.getTokenDetails().pipe(PlexAuth.withTracePropagation(true))
 * ```
 *
 * @since 0.1.0
 * @category settings
 */
export const withTracePropagation: {
  (propagate: boolean): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInput, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, propagate: boolean): Effect.Effect<A, E | InvalidInput, R>
} = /*#__PURE__*/ dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, propagate: boolean): Effect.Effect<A, E | InvalidInput, R> =>
    // From untyped JavaScript, a string "false" would turn propagation on: anything but a boolean is refused.
    Effect.zipRight(
      V.check("PlexAuth.withTracePropagation", "propagate", V.booleanProblem(propagate)),
      Settings.withTracePropagation(self, propagate)
    )
)

/**
 * Runs an effect with another retry policy: `RetryPolicy.withPolicy`, here
 * beside the other request settings.
 *
 * @example
 * ```ts
 * import { PlexAuth, RetryPolicy } from "effect-plex-auth"
 *
 * export const patient = PlexAuth.getTokenDetails().pipe(PlexAuth.withRetryPolicy(RetryPolicy.transient))
 * ```
 *
 * @since 0.1.0
 * @category settings
 */
export const withRetryPolicy = Settings.withRetryPolicy

// ---------------------------------------------------------------------------
// Token lifecycle
// ---------------------------------------------------------------------------

const pong = /*#__PURE__*/ L.structCodec({ pong: Decode.bool })

/**
 * Keeps the current token alive: plex.tv `GET /api/v2/ping`. Succeeds with
 * Plex's `pong` flag.
 *
 * @since 0.1.0
 * @category operations
 */
export const ping = (): Effect.Effect<
  boolean,
  GetTokenDetailsError,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.map(Request.plexTv("PlexAuth.ping", { ...Auth.ping, schema: pong }), (success) => success.value.pong)

/**
 * Revokes the current token: plex.tv `DELETE /api/v2/users/signout`. Never
 * retried by a policy on an ambiguous failure (a timeout), and never
 * re-authenticates to sign out a token that was already refused. Once it
 * succeeds, credentials that can re-authenticate (`Credentials.layerSignIn`,
 * `layerPinLogin`, `makeRefreshing`, ...) no longer do so for that token:
 * the operations that use it fail with `Unauthorized`. So too when plex.tv
 * refuses the token (`Unauthorized`, which the call still fails with): it is
 * already invalid, the user is not signed in with it. Not after a 403 ("not
 * allowed"): it says nothing about the token, which stays valid and in
 * use. A re-authentication in flight is waited for no longer than 5
 * seconds (or the per-attempt timeout, `withRequestTimeout`, when shorter):
 * a quick one's new token is revoked; a slow one (a PIN login) is abandoned, the token held then is
 * revoked, and a token it still gives is dropped and revoked, never used nor
 * stored (docs/tokens.md, "Re-authentication"). plex.tv's answer is
 * the commit point: once it accepted the revoke (a 2xx from where the
 * token went; an answer from another origin, which a redirect led to
 * without the token, is not plex.tv's: its 2xx revoked nothing, its 401
 * refused no token, and the sign-out fails with `Unexpected`, reason
 * `Redirect`, telling no one), the sign-out
 * succeeds (its body failing to arrive changes nothing) and the credentials
 * are told (`signedOut`, in a fiber of its own run to its end) even when
 * the caller is interrupted while the answer is read or just after; the
 * caller waits for it interruptibly (its own timeout ends the wait, not the
 * telling). A caller who gives up before the answer stops the request, and
 * they are not told. Stored credentials whose layer closed before they are
 * told still forget the token (their store work, run in that fiber, stops if
 * the caller goes away); whose layer closes while they are told, the store
 * is left as the closing left it. The call succeeds either way, the token
 * revoked (docs/tokens.md).
 *
 * @since 0.1.0
 * @category operations
 */
export const signOut = (): Effect.Effect<
  void,
  GetTokenDetailsError,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.flatMap(CredentialsTag, (credentials) =>
    Effect.flatMap(SignedOut.held(credentials), (token) => {
      // Accepted once plex.tv accepts the revoke (a 2xx from where the token went, before its body is read): the token
      // is revoked from then on. A 2xx from another origin a redirect led to (without the token) is no revocation.
      const { watch, accepted } = SignedOut.revocation()
      const revoke = Effect.asVoid(
        watch(Request.plexTv("PlexAuth.signOut", { ...Auth.signOut, schema: Decode.unknown }))
      ).pipe(
        Effect.provideService(CredentialsTag, { token: Effect.succeed(token) }),
        // Accepted, the token is revoked: a failure of reading the answer's body (cut off, too slow) changes nothing
        // of that, and a caller told otherwise would keep the revoked token, or try again and meet a 401.
        Effect.catchIf(accepted, () => Effect.void)
      )
      const told = credentials.signedOut
      // Revoked: credentials that can sign in again must not do so when this token is refused later. Told once
      // plex.tv accepted (or refused the token, `refused`: already invalid, the user is not signed in with it), even
      // when the caller is interrupted while the answer is read or just after, with a revoke for the token a refresh
      // of it obtains; waited for interruptibly (a caller that goes away ends the wait and stops only what
      // `signedOut` makes interruptible): `tellSignedOut.ts`.
      return told === undefined
        ? revoke
        : SignedOut.onExit(revoke, (refused) =>
            accepted() || refused ? SignedOut.tell(told, token) : Effect.void
          )
    })
  )

// ---------------------------------------------------------------------------
// Plain names
// ---------------------------------------------------------------------------

/**
 * Signs in with login and password (and a two-factor code when the account
 * needs one). The plain name of {@link postUsersSignInData} (the seeds'
 * name, which stays): the same request, the same errors, but its span and
 * its errors are named `PlexAuth.signIn`, the name the caller used.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { PlexAuth } from "effect-plex-auth"
 *
 * const token = PlexAuth.signIn({ login: "me@example.com", password: Redacted.make("hunter2") }).pipe(
 *   Effect.map((account) => account.authToken)
 * )
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const signIn: typeof postUsersSignInData = (input) => value(signInAs("PlexAuth.signIn", input))

/**
 * The account the current token belongs to; `Unauthorized` when the token is
 * invalid or revoked. The plain name of {@link getTokenDetails}; its span
 * and errors are named `PlexAuth.account`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PlexAuth } from "effect-plex-auth"
 *
 * const whoami = PlexAuth.account().pipe(Effect.map((account) => account.username))
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const account: typeof getTokenDetails = () =>
  value(Request.plexTv("PlexAuth.account", tokenDetailsSpec))

/**
 * A transient token from the server in `PlexServer`. The plain name of
 * {@link getTransientToken}; its span and errors are named
 * `PlexAuth.transientToken`.
 *
 * @example
 * ```ts
 * import { PlexAuth } from "effect-plex-auth"
 *
 * const transient = PlexAuth.transientToken()
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const transientToken: typeof getTransientToken = (input = {}) =>
  value(transientTokenAs("PlexAuth.transientToken", input))

/**
 * Connection details and an access token for a source the server knows.
 * The plain name of {@link getSourceConnectionInformation}; its span and
 * errors are named `PlexAuth.sourceConnectionInformation`.
 *
 * @example
 * ```ts
 * import { PlexAuth } from "effect-plex-auth"
 *
 * const info = PlexAuth.sourceConnectionInformation({ source: "server://0123456789abcdef" })
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const sourceConnectionInformation: typeof getSourceConnectionInformation = (input) =>
  value(sourceAs("PlexAuth.sourceConnectionInformation", input))
