/**
 * Facts about Plex's PIN login, as plain functions with no Effect in them
 * (both editions' `PinLogin` use them): the plex.tv paths, the app.plex.tv
 * URL, the PIN's lifetime, and how often and how patiently to poll.
 *
 * @internal
 */
import * as D from "./decode.js"
import type { Endpoint } from "./endpoint.js"

import * as AuthUrl from "./authUrl.js"
import {
  type FieldProblem,
  firstProblem,
  member,
  must,
  notEffect,
  objectProblem,
  optionalBooleanProblem,
  whenGiven
} from "./validate.js"

/** plex.tv's PIN collection: `POST` creates a PIN. */
export const pinsPath = "/api/v2/pins"

/**
 * The query of the PIN creation: `strong=true` (the default) asks for a long
 * PIN meant for the app.plex.tv link, `strong=false` for the short code a
 * user types at plex.tv/link. python-plexapi (`MyPlexPinLogin._getCode`) and
 * @ctrl/plex (`MyPlexPinLogin.create`) send `strong` only for the long PIN
 * and leave it out for the short one; `false` is plex.tv's default (the
 * community OpenAPI description of `/pins`), so both ask for the same PIN.
 */
export const createPinParams = (strong: boolean | undefined): ReadonlyArray<readonly [string, string]> => [
  ["strong", strong === false ? "false" : "true"]
]

/** The path that reads a PIN again: `GET /api/v2/pins/{id}`. */
export const pinPath = (id: number | string): string => `${pinsPath}/${encodeURIComponent(String(id))}`

/**
 * Why `id` cannot be a PIN's id, or undefined: plex.tv numbers its PINs with
 * positive integers, so NaN, a fraction, zero, a negative number or anything
 * but a number (a numeric string from untyped JavaScript too) is refused
 * before it is sent.
 */
export const pinIdProblem = (id: unknown): string | undefined =>
  typeof id === "number" && Number.isSafeInteger(id) && id > 0 ? undefined : "must be a positive integer"

/**
 * The path of {@link pinPath} as it goes into spans: without the PIN id, which
 * with the (not secret) client identifier fetches the approved token.
 */
export const pinSpanPath = `${pinsPath}/{id}`

/**
 * The query parameter carrying a device JWT when a PIN bound to a device key
 * is checked (python-plexapi's `MyPlexJWTLogin`): a secret.
 */
export const deviceJwtParam = "deviceJWT"

/** Where the user approves a PIN. */
export const authBase = `${AuthUrl.defaultAppUrl}#?`

/** The identity fields that go into the app.plex.tv URL. */
export interface AuthUrlIdentity {
  readonly clientIdentifier: string
  readonly product: string
  readonly version?: string | undefined
  readonly platform?: string | undefined
  readonly platformVersion?: string | undefined
  readonly device?: string | undefined
  readonly deviceName?: string | undefined
}

/**
 * The app.plex.tv URL to send the user to: `clientID`, `code`, the identity
 * as `context[device][...]` fields (product always, the others when set) and
 * `forwardUrl` when given, all in the fragment, percent-encoded (as
 * @ctrl/plex's and python-plexapi's `MyPlexPinLogin.oauthUrl` build it).
 * `forwardUrl` must already be checked (an absolute http(s) URL), and
 * `appUrl` too (an http(s) URL without query or fragment): where the sign-in
 * page is, default app.plex.tv's (the fake's approval page in tests).
 */
export const authUrl = (
  identity: AuthUrlIdentity,
  code: string,
  forwardUrl?: string | undefined,
  appUrl?: string | undefined
): string =>
  AuthUrl.authUrl({
    clientIdentifier: identity.clientIdentifier,
    code,
    product: identity.product,
    version: identity.version,
    platform: identity.platform,
    platformVersion: identity.platformVersion,
    device: identity.device,
    deviceName: identity.deviceName,
    forwardUrl,
    appUrl
  })

/**
 * The variable a PIN login's sign-in page is read from when no `authAppUrl` is given (`plex-auth login` reads it
 * too): set to the fake Plex's page (`plex-auth fake-server`'s `<plexTvUrl>/auth`), the link a PIN login prints
 * opens a page that can approve the fake's PIN; unset or blank, app.plex.tv's.
 */
export const authAppUrlVariable = "PLEX_AUTH_APP_URL"

/** How long a PIN that says nothing of its lifetime is polled: 15 minutes. */
export const fallbackLifetimeMillis = 15 * 60 * 1000

/** How often a PIN is checked by default: every second. */
export const pollIntervalMillis = 1000

/**
 * How polling slows down when rate limited (429, code 1003) or when a check
 * gets no answer: exponentially from 2 s, doubling, never more than 30 s
 * apart (and never sooner than a `Retry-After` asks).
 */
export const slowDown = { initialMillis: 2000, factor: 2, maxMillis: 30_000 } as const

/**
 * When polling gives up (epoch ms): `expiresIn` seconds from `now` (when the
 * PIN was read) when positive — relative, so a clock that disagrees with
 * plex.tv's neither shortens nor stretches the wait — else `expiresAt`, else
 * `now` plus `fallbackMillis`.
 */
export const pinDeadline = (
  pin: { readonly expiresIn?: number | undefined; readonly expiresAt?: string | undefined },
  now: number,
  fallbackMillis: number = fallbackLifetimeMillis
): number => {
  if (pin.expiresIn !== undefined && pin.expiresIn > 0) return now + pin.expiresIn * 1000
  const expiresAt = pin.expiresAt === undefined ? Number.NaN : Date.parse(pin.expiresAt)
  return Number.isNaN(expiresAt) ? now + fallbackMillis : expiresAt
}

/**
 * Whether a failed check is worth riding out while polling (a user may be in
 * the middle of approving): a rate limit, no answer at all, or a 5xx answer.
 */
export const isTransientCheckFailure = (error: {
  readonly _tag: string
  readonly reason?: string | undefined
  readonly status?: number | undefined
}): boolean =>
  error._tag === "RateLimited" ||
  error._tag === "NetworkError" ||
  (error._tag === "Unexpected" && error.reason === "Status" && (error.status ?? 0) >= 500)

/**
 * Why polling ended without a token once the PIN's lifetime passed:
 * `"Unreachable"` when no check ever got an answer and one failed,
 * `"Expired"` otherwise.
 */
export const expiryReason = (answered: boolean, failedOnce: boolean): "Expired" | "Unreachable" =>
  answered || !failedOnce ? "Expired" : "Unreachable"

/** plex.tv `POST /api/v2/pins`: a new PIN, strong or short ({@link createPinParams}). */
export const createPin = (strong: boolean | undefined) =>
  ({
    endpoint: "createPin",
    method: "POST",
    path: pinsPath,
    urlParams: createPinParams(strong)
  }) as const satisfies Endpoint

/**
 * plex.tv `GET /api/v2/pins/{id}`: the PIN again, its token once approved; a
 * 404 for an unknown or expired PIN. A PIN bound to a device key is checked
 * with a device JWT (the secret `S`), on clients.plex.tv.
 */
export const checkPin = <S>(id: number | string, deviceJwt: S | undefined) =>
  ({
    endpoint: "checkPin",
    method: "GET",
    path: pinPath(id),
    spanPath: pinSpanPath,
    urlParams: deviceJwt === undefined ? undefined : [[deviceJwtParam, deviceJwt] as const],
    notFound: true
  }) as const satisfies Endpoint<S>

// ---------------------------------------------------------------------------
// The PIN, and the editions' input checks (each the argument at fault, in the order checked, before any request)
// ---------------------------------------------------------------------------

/** A PIN as plex.tv answers {@link createPin} and {@link checkPin} (`PinLogin.Pin`); its token in the edition's `secret`. */
export const pinFields = <S>(secret: D.CodecLike<S>) => ({
  id: D.num,
  code: D.str,
  clientIdentifier: D.optional(D.string),
  product: D.optional(D.string),
  trusted: D.optional(D.bool),
  qr: D.optional(D.string),
  expiresIn: D.optional(D.num),
  createdAt: D.optional(D.string),
  expiresAt: D.optional(D.string),
  authToken: D.optional(secret)
})

/** Why a `schedule` that is not a `Schedule` is refused (`PinLogin.poll`, `login`, `Jwt.pinLogin`, `RetryPolicy.make`). */
export const notSchedule = "must be a Schedule"

/** The options of a new PIN at fault (`PinLogin.create`, `login`): an object or undefined, `strong` a boolean. */
export const createOptionsProblem = (options: unknown): FieldProblem | undefined =>
  firstProblem([
    ["options", () => objectProblem(options, true)],
    ["strong", () => optionalBooleanProblem(member(options, "strong"))]
  ])

/**
 * `PinLogin.check`'s argument at fault: the PIN (an object), the options (an object or undefined), the PIN's `id`
 * ({@link pinIdProblem}), a `deviceJwt` that is not a `Redacted` token (`redactedProblem`, the edition's).
 */
export const checkProblem = (
  pin: unknown,
  options: unknown,
  redactedProblem: (u: unknown) => string | undefined
): FieldProblem | undefined =>
  firstProblem([
    ["pin", () => objectProblem(pin, false)],
    ["options", () => objectProblem(options, true)],
    ["id", () => pinIdProblem(member(pin, "id"))],
    ["deviceJwt", () => whenGiven(member(options, "deviceJwt"), redactedProblem)]
  ])

/** Whether a PIN's `code` can be one. */
const isNonEmptyString = (u: unknown): boolean => typeof u === "string" && u.length > 0

/** `PinLogin.authUrl`'s argument at fault: the PIN (an object), its `code` (a non-empty string), the options. */
export const authUrlProblem = (pin: unknown, options: unknown): FieldProblem | undefined =>
  firstProblem([
    ["pin", () => objectProblem(pin, false)],
    ["code", () => must(isNonEmptyString, "must be a non-empty string")(member(pin, "code"))],
    ["options", () => objectProblem(options, true)]
  ])

/**
 * The options of a poll at fault (`PinLogin.poll`, `login`, before a PIN is created): a `schedule` that is not a
 * `Schedule`, a `deviceJwt` that is not an `Effect` (the edition's guards), when given.
 */
export const pollOptionsProblem = (
  options: unknown,
  is: { readonly schedule: (u: unknown) => boolean; readonly effect: (u: unknown) => boolean }
): FieldProblem | undefined =>
  firstProblem([
    ["schedule", () => whenGiven(member(options, "schedule"), must(is.schedule, notSchedule))],
    ["deviceJwt", () => whenGiven(member(options, "deviceJwt"), must(is.effect, notEffect))]
  ])
