/**
 * The typed errors of effect-plex-auth.
 *
 * Every failure of an operation is one of the classes below, named for what a
 * caller does about it. Each carries the context needed to act (operation,
 * status, Plex's error codes and messages) and never a secret: tokens,
 * passwords and verification codes stay out of messages, `toString`, `toJSON`
 * and causes.
 *
 * Every error's `name` is its `_tag`: what `String(error)`, a stack trace and
 * `Cause.pretty` print before the message, the same in both editions
 * (Effect 4's `Schema.TaggedError` would name it after the schema identifier,
 * `effect-plex-auth/Unauthorized`; `internal/errorName.ts` names it after the tag).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { tagNamed } from "./internal/errorName.js"
import * as SchemaGetter from "effect/SchemaGetter"
import type { ClaimRejected, ServerAlreadyClaimed } from "./Claim.js"
import type { HomePinRequired, HomeUserNotFound, InvalidHomePin } from "./Home.js"

/**
 * `{ ...a, ...b }` as a call: bundlers keep an object spread at a module's
 * top level (a spread may run getters), but may drop an annotated call whose
 * result is unused, so the error classes a program does not use stay out of
 * its bundle.
 */
const fields = <A extends object, B extends object>(a: A, b: B): A & B => ({ ...a, ...b })

/**
 * One entry of the `errors` array in a plex.tv error body,
 * e.g. `{"code":1001,"message":"User could not be authenticated","status":401}`.
 *
 * @since 0.1.0
 * @category models
 */
export class PlexErrorDetail
  extends /*#__PURE__*/ Schema.Class<PlexErrorDetail>("effect-plex-auth/PlexErrorDetail")({
    code: /*#__PURE__*/ Schema.optional(Schema.Number),
    message: /*#__PURE__*/ Schema.optional(Schema.String),
    status: /*#__PURE__*/ Schema.optional(Schema.Number)
  }) {}

/**
 * Fields every error raised by an HTTP exchange carries.
 *
 * @since 0.1.0
 * @category models
 */
export const HttpContext = {
  /**
   * The public function the caller called, e.g. `PlexAuth.getTokenDetails`,
   * `PlexAuth.account` or `Resources.list` (its span has the same name).
   */
  operation: Schema.String,
  /** The HTTP method of the request. */
  method: Schema.String,
  /** Origin and path of the request, without its query string. */
  url: Schema.String
}

/** Plex's error entries. */
const errorList = /*#__PURE__*/ Schema.Array(PlexErrorDetail)

const ResponseContext = /*#__PURE__*/ fields(HttpContext, {
  /** The HTTP status of the response. */
  status: Schema.Number,
  /** Plex's error entries (code, message, status), when the body had them. */
  errors: errorList
})

/**
 * An argument was rejected before any request was sent: an empty login, a
 * verification code that cannot be one (empty, too short or long, odd characters), a source without `scheme://`, a
 * server URL that is not http(s).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<InvalidInput>("effect-plex-auth/InvalidInput")("InvalidInput", {
      /** The operation or constructor that rejected the input. */
      operation: Schema.String,
      /** The argument at fault, e.g. `login` or `serverUrl`. */
      field: Schema.String,
      /** Why it was rejected; never repeats a secret value. */
      reason: Schema.String
    })
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Errors.invalidInputMessage(this)
  }
}

/**
 * Plex answered 400: a parameter was missing or wrong (code 1000 means the
 * `X-Plex-Client-Identifier` header is missing).
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequest
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<BadRequest>("effect-plex-auth/BadRequest")("BadRequest", ResponseContext)
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Errors.badRequestMessage(this)
  }
}

/**
 * The credentials were refused: a missing, wrong, expired or revoked token
 * (401, plex.tv's 422 "Invalid token", a PMS 403, a JWT 498), or a wrong
 * login or password at sign-in (401, code 1001). Obtain a new token. But a
 * 403 from plex.tv (`status` 403) refuses the account what it may not do (a
 * managed Home user's claim token), or is a proxy's, and refuses no token:
 * keep the token. The library never re-authenticates on a 403, nor calls it
 * `Invalid` (`Credentials.validate`), `InvalidToken` (`ServerAccess`) or a
 * sign-out (`WebSignIn`).
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<Unauthorized>("effect-plex-auth/Unauthorized")(
      "Unauthorized",
      /*#__PURE__*/ fields(ResponseContext, {
        /**
         * Set when credentials that can re-authenticate got no new token, and why:
         * `FreshTokenRefused` (a token obtained moments ago was refused too: the
         * server refuses fresh tokens, and none is obtained for a while),
         * `CoolingDown` (a recent attempt failed), `Failed`, `SameToken` (the
         * refresh handed back the refused token; tried again after the cooldown),
         * `SignedOut` (for good).
         */
        reauthentication: /*#__PURE__*/ Schema.optional(
          /*#__PURE__*/ Schema.Literals([
            "Failed",
            "SameToken",
            "CoolingDown",
            "SignedOut",
            "FreshTokenRefused"
          ])
        ),
        /**
         * With `reauthentication: "Failed"` (and `"CoolingDown"`, of the attempt that started the cooldown), what
         * the attempt failed with: the `_tag` of this library's error (`NetworkError`, `Unexpected`, `Unauthorized`,
         * `PinExpired`, ...), or `"Other"` for any other failure of a caller's `obtain` (nothing of it is kept).
         * Never a value or message.
         */
        reauthenticationError: /*#__PURE__*/ Schema.optional(Schema.String)
      })
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Errors.unauthorizedMessage(this)
  }
}

/**
 * Sign-in needs a two-factor verification code (Plex code 1029): ask the user
 * for it and sign in again with `verificationCode`.
 *
 * @since 0.1.0
 * @category errors
 */
export class VerificationCodeRequired
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<VerificationCodeRequired>("effect-plex-auth/VerificationCodeRequired")(
      "VerificationCodeRequired",
      ResponseContext
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Errors.verificationCodeRequiredMessage(this)
  }
}

/**
 * The two-factor verification code was wrong or expired (Plex code 1028):
 * ask the user for a fresh code.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidVerificationCode
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<InvalidVerificationCode>("effect-plex-auth/InvalidVerificationCode")(
      "InvalidVerificationCode",
      ResponseContext
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Errors.invalidVerificationCodeMessage(this)
  }
}

/**
 * Plex answered 404: the thing asked for does not exist (an unknown source,
 * an expired PIN).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<NotFound>("effect-plex-auth/NotFound")("NotFound", ResponseContext)
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Errors.notFoundMessage(this)
  }
}

/**
 * Plex is rate limiting this client (429, code 1003, or code 1031 for too
 * many failed sign-ins). `retryAfter` is the wait Plex asked for, when it
 * sent a `Retry-After` header.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimited
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<RateLimited>("effect-plex-auth/RateLimited")(
      "RateLimited",
      /*#__PURE__*/ fields(ResponseContext, {
        /** The `Retry-After` Plex sent, in milliseconds from when it was received. */
        retryAfterMillis: /*#__PURE__*/ Schema.optional(Schema.Number)
      })
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Errors.rateLimitedMessage(this)
  }
}

/**
 * Why an {@link Unexpected} error happened.
 *
 * - `Status`: a status the operation does not expect (5xx, 409, ...).
 * - `Decode`: the body is not JSON, or not the shape a caller needs.
 * - `ContentType`: a success that is not JSON (an HTML page, XML).
 * - `BodyTooLarge`: the body exceeded the size limit.
 * - `Redirect`: a redirect that was refused or could not be followed, or a
 *   sign-out (`PlexAuth.signOut`) whose 2xx came from another origin a
 *   redirect led to without the token (nothing revoked).
 *
 * @since 0.1.0
 * @category models
 */
export const UnexpectedReason = /*#__PURE__*/ Schema.Literals([
  "Status",
  "Decode",
  "ContentType",
  "BodyTooLarge",
  "Redirect"
])

/**
 * @since 0.1.0
 * @category models
 */
export type UnexpectedReason = typeof UnexpectedReason.Type

/**
 * An `errors` field that may be left out: absent or `undefined` decodes to
 * `[]`, and the constructor defaults it to `[]`. This is
 * `errorList.pipe(Schema.withDecodingDefault(Effect.succeed([])))` built as
 * that combinator builds it (the optional encoded side decoded to the list),
 * with a plain `transformOptional` for its effectful default: about 0.1 kB
 * gzipped less in every operation's bundle (effect4/bench/bundle.ts).
 */
const noErrorsByDefault = /*#__PURE__*/ Schema.optional(/*#__PURE__*/ Schema.toEncoded(errorList)).pipe(
  /*#__PURE__*/ Schema.decodeTo(errorList, {
    decode: /*#__PURE__*/ SchemaGetter.transformOptional((errors) =>
      Option.some(Option.getOrUndefined(errors) ?? [])
    ),
    encode: /*#__PURE__*/ SchemaGetter.passthrough()
  }),
  /*#__PURE__*/ Schema.withConstructorDefault(/*#__PURE__*/ Effect.succeed([]))
)

/**
 * Plex answered, but not in a way the operation understands: an unexpected
 * status (5xx among them), a body that does not decode, a wrong content type.
 * Carries the status, the content type and a short excerpt of the body.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unexpected
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<Unexpected>("effect-plex-auth/Unexpected")(
      "Unexpected",
      /*#__PURE__*/ fields(HttpContext, {
        reason: UnexpectedReason,
        /** The HTTP status, when a response arrived. */
        status: /*#__PURE__*/ Schema.optional(Schema.Number),
        /** The response's `Content-Type`, when it had one. */
        contentType: /*#__PURE__*/ Schema.optional(Schema.String),
        /** The first characters of the body, with known secrets masked; absent for successful bodies. */
        bodyExcerpt: /*#__PURE__*/ Schema.optional(Schema.String),
        /** Plex's error entries, when the body had them. */
        errors: noErrorsByDefault,
        /** A description of what was wrong, e.g. the path of a field that failed to decode. */
        detail: Schema.String,
        /** The `Retry-After` the server sent (e.g. with a 503), in milliseconds. */
        retryAfterMillis: /*#__PURE__*/ Schema.optional(Schema.Number)
      })
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Errors.unexpectedMessage(this)
  }
}

/**
 * Why a {@link NetworkError} happened: the connection failed (`Transport`) or
 * no complete answer arrived in time (`Timeout`).
 *
 * @since 0.1.0
 * @category models
 */
export const NetworkErrorReason = /*#__PURE__*/ Schema.Literals(["Transport", "Timeout"])

/**
 * @since 0.1.0
 * @category models
 */
export type NetworkErrorReason = typeof NetworkErrorReason.Type

/**
 * No complete answer: the connection was refused, reset or timed out, or the
 * server answered (`status`) and its body, which was needed, was then cut off
 * (a success's, a 422's, a sign-in's; an answer whose status alone says what
 * it means is that error instead: a 429 `RateLimited`, a 5xx `Unexpected`,
 * docs/errors.md). Says nothing about the token; a retry policy with
 * `retryConnectionErrors` retries it.
 *
 * @since 0.1.0
 * @category errors
 */
export class NetworkError
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<NetworkError>("effect-plex-auth/NetworkError")(
      "NetworkError",
      /*#__PURE__*/ fields(HttpContext, {
        reason: NetworkErrorReason,
        /** What the transport reported, with known secrets masked. */
        detail: Schema.String,
        /** The HTTP status of an answer whose body was then cut off; absent when no answer came (or timed out). */
        status: /*#__PURE__*/ Schema.optional(Schema.Number)
      })
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Errors.networkErrorMessage(this)
  }
}

/**
 * A PIN can no longer be approved: it reached its `expiresAt`, or plex.tv no
 * longer knows it (404, code 1020). Create a new PIN.
 *
 * `Pending` is the one reason whose PIN has not expired: the `schedule`
 * given to `PinLogin.poll` (or `login`, `Jwt.pinLogin`) ended before the
 * user approved it, while its lifetime lasts. The user may still approve it:
 * read it again with `PinLogin.check({ id: pinId })` (its `expiresIn` is
 * then the time it has left) and poll that, or create a new PIN. A
 * `Jwt.pinLogin` PIN is bound to a device key: plex.tv hands its token out
 * only to a check with a device JWT of that key (the `deviceJwt` option of
 * `check` and `poll`); checked and polled without one, it never shows the
 * token, and the poll runs until the PIN expires. Run `Jwt.pinLogin` again
 * instead: the simpler way on.
 *
 * `Unreachable`: its lifetime ran out while every check failed without a
 * usable answer (network errors, a body cut off, 5xx, rate limiting): the
 * user may well have approved it, but plex.tv could not be asked. `lastError`
 * is the last such failure (also set for `Expired` when the last check failed
 * so). The message says plex.tv "could not be reached" only when that last
 * check got no answer at all; when it got one (its `status`: a body cut off,
 * a 5xx, a 429) or timed out (a `NetworkError` with `reason` `Timeout`, no
 * `status`: the per-attempt timeout may hit while an answer's body arrives),
 * "no check got a usable answer from plex.tv". `Expired`
 * says "expired before it was approved" only when the last check was
 * answered (still pending); with a `lastError`, an approval after the last
 * answered check would not have been seen, so it says the PIN "expired while
 * its last check could not reach plex.tv" (no answer) or "... got no usable
 * answer from plex.tv" (an answer with a `status`, or a timeout).
 *
 * @since 0.1.0
 * @category errors
 */
export class PinExpired
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<PinExpired>("effect-plex-auth/PinExpired")("PinExpired", {
      /** The operation that noticed. */
      operation: Schema.String,
      /**
       * The PIN's id: a dead PIN's, named in the message too, but for `Pending`: that PIN lives on until it expires,
       * its message does not name it, and its id with the client identifier fetches the token once the user approves
       * it (a `Jwt.pinLogin` PIN's, only with a device JWT of its key), so keep such an error rendered whole
       * (`JSON.stringify`, `toJSON()`) out of logs and trackers others read until then.
       */
      pinId: Schema.Number,
      /**
       * `Expired`: its lifetime ran out while polling; `Unreachable`: it ran out
       * while no check got a usable answer; `NotFound`: plex.tv answered 404 (code 1020); `Pending`: the
       * poll's `schedule` ended before the PIN was approved, and the PIN has not expired (poll it again).
       */
      reason: /*#__PURE__*/ Schema.Literals(["Expired", "Unreachable", "NotFound", "Pending"]),
      /** Plex's error entries, when plex.tv sent them. */
      errors: /*#__PURE__*/ Schema.Array(PlexErrorDetail),
      /** The failure of the last check, when it got no usable answer (a network error, a 5xx, a 429). */
      lastError: /*#__PURE__*/ Schema.optional(
        /*#__PURE__*/ Schema.Union([NetworkError, Unexpected, RateLimited])
      )
    })
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Errors.pinExpiredMessage(this)
  }
}

/**
 * Why a Plex JWT failed verification (see {@link InvalidJwt}).
 *
 * - `Malformed`: not a compact JWS with JSON header and payload, or not EdDSA.
 * - `Signature`: no key Plex publishes verifies its signature.
 * - `Issuer`: `iss` is not `plex.tv`.
 * - `Audience`: `aud` names neither `plex.tv` nor this client.
 * - `Expired`: `exp` is missing or has passed.
 * - `NotYetValid`: `nbf` has not come yet.
 * - `Thumbprint`: it is bound to another device key.
 *
 * @since 0.1.0
 * @category models
 */
export const InvalidJwtReason = /*#__PURE__*/ Schema.Literals([
  "Malformed",
  "Signature",
  "Issuer",
  "Audience",
  "Expired",
  "NotYetValid",
  "Thumbprint"
])

/**
 * @since 0.1.0
 * @category models
 */
export type InvalidJwtReason = typeof InvalidJwtReason.Type

/**
 * A Plex JWT did not verify against the keys plex.tv publishes: a forged,
 * expired or foreign token. Never carries the token itself; its message
 * ends with what to do.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidJwt
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<InvalidJwt>("effect-plex-auth/InvalidJwt")("InvalidJwt", {
      /** The operation that checked it. */
      operation: Schema.String,
      reason: InvalidJwtReason,
      /** What was wrong, in words; never the token or a claim's secret value. */
      detail: Schema.String
    })
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Errors.invalidJwtMessage(this)
  }
}

export {
  /**
   * What became of one candidate URL while `Resources.connect` probed a
   * server (also exported by `Resources`). Kept in a module of its own so
   * that an operation that never connects does not bundle it.
   *
   * @since 0.1.0
   * @category models
   */
  ConnectionAttempt,
  /**
   * No candidate URL of a server answered as that server (also exported by
   * `Resources`).
   *
   * @since 0.1.0
   * @category errors
   */
  NoReachableConnection,
  /**
   * The account has no server of that name or identifier; for
   * `ServerAccess.makeOwnerChecker`, none of that identifier that it owns
   * (also exported by `Resources`).
   *
   * @since 0.1.0
   * @category errors
   */
  ServerNotFound
} from "./internal/connectErrors.js"
import type { NoReachableConnection, ServerNotFound } from "./internal/connectErrors.js"
import * as Errors from "../../src/core/errors.js"

export type {
  /**
   * A Plex Home has no such user. A type here; the class is `Home.HomeUserNotFound`.
   *
   * @since 0.1.0
   * @category errors
   */
  HomeUserNotFound,
  /**
   * A Plex Home user needs its PIN. A type here; the class is `Home.HomePinRequired`.
   *
   * @since 0.1.0
   * @category errors
   */
  HomePinRequired,
  /**
   * plex.tv refused a Plex Home PIN. A type here; the class is `Home.InvalidHomePin`.
   *
   * @since 0.1.0
   * @category errors
   */
  InvalidHomePin,
  /**
   * The server is already claimed. A type here; the class is `Claim.ServerAlreadyClaimed`.
   *
   * @since 0.1.0
   * @category errors
   */
  ServerAlreadyClaimed,
  /**
   * The server refused the claim. A type here; the class is `Claim.ClaimRejected`.
   *
   * @since 0.1.0
   * @category errors
   */
  ClaimRejected
}

/**
 * Every error this library raises.
 *
 * @since 0.1.0
 * @category models
 */
export type PlexError =
  | InvalidInput
  | BadRequest
  | Unauthorized
  | VerificationCodeRequired
  | InvalidVerificationCode
  | NotFound
  | RateLimited
  | Unexpected
  | NetworkError
  | PinExpired
  | InvalidJwt
  | NoReachableConnection
  | ServerNotFound
  | HomeUserNotFound
  | HomePinRequired
  | InvalidHomePin
  | ServerAlreadyClaimed
  | ClaimRejected

/**
 * The errors an HTTP exchange can raise whatever the operation.
 *
 * @since 0.1.0
 * @category models
 */
export type ResponseError = BadRequest | Unauthorized | RateLimited | Unexpected | NetworkError

/**
 * Errors of `PlexAuth.postUsersSignInData`.
 *
 * @since 0.1.0
 * @category models
 */
export type SignInError = InvalidInput | ResponseError | VerificationCodeRequired | InvalidVerificationCode

/**
 * Errors of `PlexAuth.getTokenDetails`: `InvalidInput` when the `Credentials`
 * (a service of the caller's own making) give a token that cannot be sent.
 *
 * @since 0.1.0
 * @category models
 */
export type GetTokenDetailsError = InvalidInput | ResponseError

/**
 * Errors of `PlexAuth.getTransientToken`.
 *
 * @since 0.1.0
 * @category models
 */
export type GetTransientTokenError = InvalidInput | ResponseError

/**
 * Errors of `PlexAuth.getSourceConnectionInformation`.
 *
 * @since 0.1.0
 * @category models
 */
export type GetSourceConnectionInformationError = InvalidInput | ResponseError | NotFound

const tags: ReadonlySet<string> = /*#__PURE__*/ new Set(Errors.plexErrorTags)

/**
 * Whether a value is one of this library's errors.
 *
 * @since 0.1.0
 * @category guards
 */
export const isPlexError = (u: unknown): u is PlexError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag) && u instanceof Error

/**
 * Whether an error is a refusal of the credentials: {@link Unauthorized}.
 *
 * @since 0.1.0
 * @category guards
 */
export const isUnauthorized = (u: unknown): u is Unauthorized => u instanceof Unauthorized

// A reader, not an operation: an answer of [] tells the truth (no Plex code), where throwing InvalidInput
// would turn a check on a caught value into a second failure.
/**
 * The Plex error codes an error carries (e.g. `[1029]`), empty when none.
 * It reads whatever a caller caught and never throws: anything that is not
 * one of these errors (`null`, `undefined`, a number, another error) carries
 * none, so `codes(error).includes(1029)` is safe on any `catch`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const codes = (error: PlexError): ReadonlyArray<number> => Errors.codesIn(error)
