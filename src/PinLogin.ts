/**
 * PIN login, the sign-in flow Plex recommends for apps: create a PIN, send
 * the user to app.plex.tv (or have them type the short code at
 * plex.tv/link), and poll until Plex attaches a token to the PIN.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Schema from "effect/Schema"
import { ClientIdentity } from "./ClientIdentity.js"
import {
  type InvalidInput,
  type NetworkError,
  PinExpired,
  type RateLimited,
  type BadRequest,
  type Unauthorized,
  type Unexpected
} from "./PlexError.js"
import * as L from "./internal/lenient.js"
import * as Request from "./internal/request.js"
import { JwtHost } from "./internal/jwtHost.js"
import { keyRefusedUnauthorized } from "./internal/keyRefused.js"
import { PlexTv } from "./PlexTv.js"
import { honourRetryAfter } from "./internal/retry.js"
import { PinReadAt } from "./internal/pinReadAt.js"
import { RenewDeviceJwt } from "./internal/renewDeviceJwt.js"
import * as V from "./internal/validate.js"
import * as AuthAppUrl from "./internal/authAppUrl.js"
import * as JwtFacts from "./core/jwt.js"
import * as PinFacts from "./core/pin.js"

// A PIN bound to a device key is checked where it was created: on the JWT host (`Jwt.JwtHost`,
// clients.plex.tv by default), as python-plexapi's `MyPlexJWTLogin` does; a classic PIN on plex.tv.
const checkAt = <S extends Request.Spec<any>>(
  host: typeof PlexTv | typeof JwtHost,
  spec: S & Request.Carrying<S>
) => Effect.flatMap(host, (service) => Request.execute("PinLogin.check", spec, service.url))

/**
 * A PIN as plex.tv returns it. `authToken` is absent until the user has
 * approved the PIN, then `Redacted`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Pin = /*#__PURE__*/ L.struct(/*#__PURE__*/ PinFacts.pinFields(L.Secret))

/**
 * @since 0.1.0
 * @category models
 */
export interface Pin extends Schema.Schema.Type<typeof Pin> {}

/**
 * Errors of {@link create}.
 *
 * @since 0.1.0
 * @category models
 */
export type CreateError = BadRequest | Unauthorized | RateLimited | Unexpected | NetworkError

/**
 * Errors of {@link check} and {@link poll}.
 *
 * @since 0.1.0
 * @category models
 */
export type CheckError = PinExpired | BadRequest | Unauthorized | RateLimited | Unexpected | NetworkError

/**
 * Options of {@link create}.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateOptions {
  /**
   * A strong PIN (the default) is long, lives longer and is meant for the
   * app.plex.tv link; `strong: false` gives the short code a user types at
   * plex.tv/link.
   */
  readonly strong?: boolean | undefined
}

// The options of `create` (an object; `strong` a boolean), checked for `operation` before any request.
const checkCreateOptions = (operation: string, options: CreateOptions | undefined) =>
  Effect.suspend(() => V.checkField(operation, PinFacts.createOptionsProblem(options)))

/**
 * Creates a PIN: plex.tv `POST /api/v2/pins`. Options that are not an
 * object, or a `strong` that is not a boolean, fail with `InvalidInput`
 * before any request.
 *
 * @since 0.1.0
 * @category operations
 */
export const create = (
  options: CreateOptions = {}
): Effect.Effect<Pin, CreateError | InvalidInput, HttpClient.HttpClient | ClientIdentity> =>
  Effect.flatMap(checkCreateOptions("PinLogin.create", options), () =>
    Effect.map(
      Request.plexTvAnonymous("PinLogin.create", {
        ...PinFacts.createPin(options.strong),
        schema: Pin
      }),
      (success) => success.value
    )
  )

/**
 * Options of {@link check}.
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckOptions {
  /**
   * A device JWT (see `Jwt`) for a PIN created with a device key: sent as
   * the `deviceJWT` query parameter, which makes plex.tv hand out the token
   * it binds to that key. A secret: it stays out of errors and spans.
   */
  readonly deviceJwt?: Redacted.Redacted<string> | undefined
}

// A PIN's id (a positive integer), checked for the public function `operation` before any request.
const checkPinId = (operation: string, id: unknown): Effect.Effect<void, InvalidInput> =>
  V.check(operation, "id", PinFacts.pinIdProblem(id))

/**
 * Reads a PIN again: plex.tv `GET /api/v2/pins/{id}`. A PIN that is unknown
 * or expired (404, code 1020) fails with `PinExpired`. A `deviceJwt` whose
 * signature or key plex.tv refuses (422 "Signature verification failed": a
 * key unregistered, its device revoked) fails with `Unauthorized`, as at
 * `Jwt.exchange`: sign the device in again. An id that is not a
 * positive integer, a `pin` or options that are not objects, or a
 * `deviceJwt` that is not a `Redacted` token fail with `InvalidInput` before
 * any request.
 *
 * @since 0.1.0
 * @category operations
 */
export const check = (
  pin: Pick<Pin, "id">,
  options: CheckOptions = {}
): Effect.Effect<Pin, CheckError | InvalidInput, HttpClient.HttpClient | ClientIdentity> =>
  Effect.gen(function* () {
    yield* V.checkField("PinLogin.check", PinFacts.checkProblem(pin, options, V.redactedProblem))
    return yield* readPin(pin, options)
  })

/** {@link check}, for a PIN whose id was checked. */
const readPin = (
  pin: Pick<Pin, "id">,
  options: CheckOptions
): Effect.Effect<Pin, CheckError | InvalidInput, HttpClient.HttpClient | ClientIdentity> =>
  checkAt(options.deviceJwt === undefined ? PlexTv : JwtHost, {
    // The PIN id stays out of spans (`spanPath`): with the client identifier it fetches the approved token.
    ...PinFacts.checkPin(pin.id, options.deviceJwt),
    refusals: Request.notFoundRefusals,
    schema: Pin
  }).pipe(
    Effect.map((success) => success.value),
    // A device JWT whose key plex.tv refuses: `Unauthorized`, as at `Jwt.exchange` (sign in again).
    keyRefusedUnauthorized,
    Effect.catchTag("NotFound", (error) =>
      Effect.fail(
        new PinExpired({
          operation: "PinLogin.check",
          pinId: pin.id,
          reason: "NotFound",
          errors: error.errors
        })
      )
    )
  )

/**
 * Options of {@link authUrl}.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthUrlOptions {
  /** Where app.plex.tv sends the user after approving. */
  readonly forwardUrl?: string | undefined
  /**
   * Where Plex's sign-in page is, as `WebSignIn`'s `authAppUrl`: an absolute
   * http(s) URL without query or fragment, the parameters going after it in
   * its fragment (`#?clientID=...`). Without it, `PLEX_AUTH_APP_URL` from
   * `Config` (the environment by default) when set and not blank (a
   * malformed one: `InvalidInput` at that field), else
   * `https://app.plex.tv/auth`. Against the fake Plex, its `authAppUrl`
   * (`<plexTvUrl>/auth`), a page where the PIN is approved by hand.
   */
  readonly authAppUrl?: string | undefined
}

/**
 * The app.plex.tv URL to send the user to, carrying the client identifier,
 * the PIN code and the identity as `context[device][...]` fields. A PIN
 * without a code, options that are not an object, or a `forwardUrl` that is
 * not an http(s) URL fail with `InvalidInput`, as does an `authAppUrl` that
 * is not an http(s) URL without query or fragment.
 *
 * @example
 * ```ts
 * import { PinLogin } from "effect-plex-auth"
 *
 * // Against the fake Plex (FakePlexServer, `plex-auth fake-server`): its approval page, at its
 * // plex.tv address, approves the PIN by hand.
 * const url = (pin: PinLogin.Pin) =>
 *   PinLogin.authUrl(pin, { authAppUrl: "http://127.0.0.1:32401/auth" })
 * // http://127.0.0.1:32401/auth#?clientID=...&code=...&context[device][product]=...
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const authUrl = (
  pin: Pick<Pin, "code">,
  options: AuthUrlOptions = {}
): Effect.Effect<string, InvalidInput, ClientIdentity> =>
  Effect.gen(function* () {
    // Input of the wrong kind (untyped JavaScript) is InvalidInput: a PIN with a code, options an object.
    yield* V.checkField("PinLogin.authUrl", PinFacts.authUrlProblem(pin, options))
    const identity = yield* ClientIdentity
    const forwardUrl = yield* checkForwardUrl("PinLogin.authUrl", options?.forwardUrl)
    const authAppUrl = yield* checkAuthAppUrl("PinLogin.authUrl", options?.authAppUrl)
    return PinFacts.authUrl(identity, pin.code, forwardUrl, authAppUrl)
  })

// A PIN's `fallbackLifetime`: positive and finite (default 15 minutes), checked before any request.
const checkFallbackLifetime = (operation: string, fallbackLifetime: Duration.DurationInput | undefined) =>
  V.durationOption(
    operation,
    "fallbackLifetime",
    fallbackLifetime,
    Duration.millis(PinFacts.fallbackLifetimeMillis)
  )

// The other options of `poll` (`login` and `Jwt.pinLogin` check them before they create a PIN): from untyped
// JavaScript, a `schedule` that is not a `Schedule` or a `deviceJwt` that is not an Effect is InvalidInput,
// not a defect once the first check has been sent.
const checkPollOptions = (operation: string, options: PollOptions) =>
  V.checkField(
    operation,
    PinFacts.pollOptionsProblem(options, { schedule: Schedule.isSchedule, effect: Effect.isEffect })
  )

// A `forwardUrl` (an absolute http(s) URL), checked for the public function `operation`: `login` and
// `Jwt.pinLogin` check it before they create a PIN.
const checkForwardUrl = (
  operation: string,
  forwardUrl: string | undefined
): Effect.Effect<string | undefined, InvalidInput> =>
  forwardUrl === undefined
    ? Effect.succeed(undefined)
    : V.httpUrl(operation, "forwardUrl", forwardUrl, { query: true })

// An `authAppUrl` (an absolute http(s) URL without query or fragment, as `WebSignIn` checks it), else
// `PLEX_AUTH_APP_URL`, for the public function `operation`: `login` checks it before it creates a PIN
// (`Jwt.pinLogin` alike).
const checkAuthAppUrl = AuthAppUrl.resolve

/**
 * Options of {@link poll}.
 *
 * @since 0.1.0
 * @category models
 */
export interface PollOptions {
  /**
   * How often to ask. Default: every second. A schedule that ends
   * (`Schedule.recurs`, `Schedule.upTo`) ends the poll: a PIN not approved
   * by then fails with `PinExpired` of reason `Pending` while its lifetime
   * lasts (it may still be approved: `check` it by its id, which reads its
   * time left, and poll that, both with the `deviceJwt` it was polled with,
   * if any), `Expired` once it has passed.
   */
  readonly schedule?: Schedule.Schedule<unknown, Pin> | undefined
  /**
   * When to give up if the PIN carries neither `expiresIn` nor `expiresAt`.
   * Default 15 minutes. Not positive and finite: `InvalidInput`, before any
   * request.
   */
  readonly fallbackLifetime?: Duration.DurationInput | undefined
  /**
   * For a PIN created with a device key: the device JWT to present with each
   * check (see {@link CheckOptions}). Run before every check, so make it
   * cache (`Jwt.pinLogin` does, and signs a new one after a check that got no
   * answer: plex.tv hands the token out once per nonce, and the lost answer
   * may have used it). A check refused for the JWT's nonce (422: unknown,
   * used or expired) is made once more at once, with the JWT run again.
   */
  readonly deviceJwt?: Effect.Effect<Redacted.Redacted<string>, CheckError | InvalidInput> | undefined
}

/** Failures worth riding out while polling: rate limits, no answer, and 5xx answers. */
type TransientError = NetworkError | RateLimited | Unexpected

const isTransientError = (error: CheckError | InvalidInput): error is TransientError =>
  PinFacts.isTransientCheckFailure(error)

const isTransient = (error: CheckError | InvalidInput): boolean => isTransientError(error)

/**
 * Polls a PIN until the user approves it and returns the token. Slows down
 * when rate limited (429, code 1003) and rides out network errors and 5xx
 * answers the same way, fails with `PinExpired` once the PIN's
 * lifetime (`expiresIn` from when it was read, else `expiresAt`) has passed
 * or when plex.tv no longer knows it (404, code 1020), with `PinExpired` of
 * reason `Pending` when the `schedule` ends before the user approves it
 * (the PIN lives on: it can be polled again), and leaves no request in
 * flight when interrupted. Call it right after {@link create}. A PIN id
 * that is not a positive integer, a `fallbackLifetime` that is not positive
 * and finite, a `schedule` that is not a `Schedule`, a `deviceJwt` that is
 * not an Effect, a `pin` or options that are not objects, or a PIN whose
 * `authToken` is neither absent (`null` too, as plex.tv says "not approved")
 * nor a `Redacted` token fail with `InvalidInput` before any request.
 *
 * @since 0.1.0
 * @category operations
 */
export const poll = (
  pin: Pin,
  options: PollOptions = {}
): Effect.Effect<
  Redacted.Redacted<string>,
  CheckError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity
> =>
  Effect.gen(function* () {
    yield* V.object("PinLogin.poll", "pin", pin)
    yield* V.object("PinLogin.poll", "options", options, true)
    const fallbackLifetime = yield* checkFallbackLifetime("PinLogin.poll", options.fallbackLifetime)
    yield* checkPollOptions("PinLogin.poll", options)
    yield* checkPinId("PinLogin.poll", pin.id)
    // plex.tv's `authToken: null` (not approved, in a PIN read without this library) is no token, as decoding reads
    // it; any other value that is not a Redacted token is InvalidInput, never returned as the token.
    const given = pin.authToken ?? undefined
    if (given !== undefined)
      return yield* Effect.as(V.check("PinLogin.poll", "authToken", V.redactedProblem(given)), given)
    const now = yield* Clock.currentTimeMillis
    // From when the PIN was read: at its creation for `login` (the time `onPin` took counts), else now.
    const readAt = (yield* PinReadAt) ?? now
    const deadline = PinFacts.pinDeadline(pin, readAt, Duration.toMillis(fallbackLifetime))
    // Rate limited (429, code 1003): back off from 2 s up to 30 s, and never sooner than Retry-After.
    const growing: Schedule.Schedule<Duration.Duration, CheckError | InvalidInput> = Schedule.exponential(
      Duration.millis(PinFacts.slowDown.initialMillis),
      PinFacts.slowDown.factor
    ).pipe(
      Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.millis(PinFacts.slowDown.maxMillis)))
    )
    // `Retry-After` applied by the engine's one rule (never sooner than asked; not past the cap).
    const slowDown = honourRetryAfter(growing)
    const deviceJwt = options.deviceJwt
    // After a check that got no answer, a new device JWT: the lost answer may have used its nonce.
    const renew = deviceJwt === undefined ? Effect.void : yield* RenewDeviceJwt
    // Whether any check got an answer, and the failure of the last one that did not.
    const seen = yield* Ref.make<{ readonly answered: boolean; readonly last: TransientError | undefined }>({
      answered: false,
      last: undefined
    })
    // Expired: said plainly when no check ever got an answer, with the last failure when there was one.
    const expired = Effect.flatMap(Ref.get(seen), (s) =>
      Effect.fail(
        new PinExpired({
          operation: "PinLogin.poll",
          pinId: pin.id,
          reason: PinFacts.expiryReason(s.answered, s.last !== undefined),
          errors: [],
          lastError: s.last
        })
      )
    )
    // The caller's `schedule` ended before the PIN was approved: `Pending` while the PIN's lifetime lasts (it can be
    // polled again), `Expired` once it has passed (an answer that came in as the deadline fell).
    const stopped = Effect.flatMap(Clock.currentTimeMillis, (at) =>
      at >= deadline
        ? expired
        : Effect.fail(
            new PinExpired({ operation: "PinLogin.poll", pinId: pin.id, reason: "Pending", errors: [] })
          )
    )
    const withDeviceJwt =
      deviceJwt === undefined
        ? readPin(pin, {})
        : Effect.flatMap(deviceJwt, (jwt) => readPin(pin, { deviceJwt: jwt }))
    // A device JWT whose nonce plex.tv refuses (422: unknown, used or expired; a lost answer may have used it):
    // once more with a new one, as `Jwt.exchange` does. Refused again, the poll ends with that `BadRequest`.
    const ask = (
      deviceJwt === undefined
        ? withDeviceJwt
        : Effect.catchIf(withDeviceJwt, JwtFacts.nonceRefused, () => Effect.zipRight(renew, withDeviceJwt))
    ).pipe(
      Effect.tap(() => Ref.set(seen, { answered: true, last: undefined })),
      Effect.tapError((error) =>
        isTransientError(error)
          ? Effect.andThen(
              Ref.update(seen, (s) => ({ ...s, last: error })),
              error._tag === "NetworkError" ? renew : Effect.void
            )
          : Effect.void
      )
    )
    // Once the lifetime has passed, no check is sent: a check due at that very moment would race the
    // deadline (plex.tv answering 404 for the PIN it just dropped), so the deadline decides, in both editions.
    const checkOnce = Effect.flatMap(Clock.currentTimeMillis, (at) => (at >= deadline ? expired : ask))
    const once = checkOnce.pipe(
      // A hiccup must not end a login the user may be in the middle of: keep asking, more slowly.
      Effect.retry({ schedule: slowDown, while: isTransient })
    )
    const every: Schedule.Schedule<Pin, Pin> = Schedule.passthrough(
      options.schedule ?? Schedule.spaced(Duration.millis(PinFacts.pollIntervalMillis))
    )
    const approved = once.pipe(
      Effect.repeat({ schedule: every, until: (current: Pin) => current.authToken !== undefined }),
      Effect.flatMap((current) =>
        current.authToken !== undefined ? Effect.succeed(current.authToken) : stopped
      )
    )
    return yield* approved.pipe(
      Effect.timeoutOption(Duration.millis(Math.max(0, deadline - now))),
      Effect.flatMap(Option.match({ onNone: () => expired, onSome: Effect.succeed }))
    )
    // The span holds the whole poll, as `login`'s and `Jwt.pinLogin`'s do: a PIN approved already and input refused
    // before any request are in it too. No PIN id in it: with the client identifier (which is not secret) it fetches
    // the approved token, and hashing would not hide it (PIN ids are small integers, easily enumerated).
  }).pipe(Effect.withSpan("PinLogin.poll", { captureStackTrace: false }))

/**
 * Options of {@link login}.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoginOptions extends CreateOptions, AuthUrlOptions, PollOptions {
  /** Shows the user where to go: called once with the PIN and the app.plex.tv URL. */
  readonly onPin: (prompt: { readonly pin: Pin; readonly url: string }) => Effect.Effect<void>
}

/**
 * The whole flow: create a PIN, hand it and its URL to `onPin`, poll until
 * approved, return the token. The PIN's lifetime counts from its creation:
 * the time `onPin` takes is part of it. Options that {@link create}, {@link authUrl}
 * or {@link poll} would refuse, or an `onPin` that is not a function, fail
 * with `InvalidInput` before the PIN is created.
 *
 * @since 0.1.0
 * @category operations
 */
export const login = (
  options: LoginOptions
): Effect.Effect<
  Redacted.Redacted<string>,
  CreateError | CheckError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity
> =>
  Effect.gen(function* () {
    // Bad input fails before any request: the options are checked before the PIN is created.
    yield* V.object("PinLogin.login", "options", options)
    yield* V.check("PinLogin.login", "onPin", V.functionProblem(options.onPin))
    yield* checkCreateOptions("PinLogin.login", options)
    const forwardUrl = yield* checkForwardUrl("PinLogin.login", options.forwardUrl)
    const authAppUrl = yield* checkAuthAppUrl("PinLogin.login", options.authAppUrl)
    yield* checkFallbackLifetime("PinLogin.login", options.fallbackLifetime)
    yield* checkPollOptions("PinLogin.login", options)
    const pin = yield* create(options)
    const createdAt = yield* Clock.currentTimeMillis
    const url = yield* authUrl(pin, { forwardUrl, authAppUrl })
    // An `onPin` that gives no Effect (untyped JavaScript: an `async` function) is InvalidInput, not a defect.
    const shown = options.onPin({ pin, url })
    if (!Effect.isEffect(shown)) {
      return yield* Effect.fail(V.invalid("PinLogin.login", "onPin", V.returnsNoEffect))
    }
    yield* shown
    // The PIN's lifetime counts from its creation, as at plex.tv: a slow `onPin` does not stretch it.
    return yield* poll(pin, options).pipe(Effect.provideService(PinReadAt, createdAt))
  }).pipe(Effect.withSpan("PinLogin.login", { captureStackTrace: false }))
