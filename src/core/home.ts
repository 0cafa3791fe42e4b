/**
 * Facts about Plex Home, as plain functions with no Effect in them (both
 * editions' `Home` use them): the routes, how a home user is named, what a
 * Home PIN looks like and how plex.tv refuses one, and the errors' messages.
 *
 * Routes: plex.tv `GET /api/v2/home/users` and
 * `POST /api/v2/home/users/{uuid}/switch?pin=…`, the v2 forms of the legacy
 * `/api/home/users` and `/api/home/users/{id}/switch` that python-plexapi
 * (`MyPlexAccount.switchHomeUser`: `params['pin'] = pin`, a query
 * parameter) and @ctrl/plex (`MyPlexAccount.switchHomeUser`:
 * `…/switch?pin=…`) call. The PIN goes in the query, as both send it (and as
 * clients of the v2 route do); the v2 route answers JSON (the home user's
 * account with its `authToken`) where the legacy one answers XML
 * (`<user authenticationToken="…"/>`).
 *
 * @internal
 */
import { describeCodes } from "./describeCodes.js"
import type { Endpoint } from "./endpoint.js"
import * as D from "./decode.js"
import { wiped, wipedProblem } from "./validate.js"

type Entries = ReadonlyArray<{ readonly code?: number | undefined; readonly message?: string | undefined }>

/** The home's users (the admin among them). */
export const usersPath = "/api/v2/home/users"

/** Switching to the home user `uuid`. */
export const switchPath = (uuid: string): string => `/api/v2/home/users/${encodeURIComponent(uuid)}/switch`

/**
 * The query parameter of the switch that carries the PIN (python-plexapi
 * `switchHomeUser`, @ctrl/plex `switchHomeUser`). A secret on the wire:
 * masked in errors, kept out of spans (no `url.full` is recorded for the
 * request) and logs, dropped from a redirect to another origin.
 */
export const pinField = "pin"

/** The query of {@link switchPath}: the PIN when one is given (`pin` is the edition's `Redacted`). */
export const switchQuery = <S>(pin: S | undefined): ReadonlyArray<readonly [string, S]> =>
  pin === undefined ? [] : [[pinField, pin]]

/** Plex's code for a missing or refused Home PIN. */
export const pinCode = 1041

/** Why `raw` cannot be a Home PIN (four digits, surrounding spaces ignored), or undefined. */
export const pinProblem = (raw: unknown): string | undefined =>
  typeof raw === "string" && /^\d{4}$/.test(raw.trim())
    ? undefined
    : raw === wiped
      ? wipedProblem
      : "must be four digits"

/** The PIN as it is sent. */
export const pinValue = (raw: string): string => raw.trim()

/**
 * Whether a PIN given to a switch is blank (`""`, or spaces only): no PIN, as
 * python-plexapi (`switchHomeUser`: `if pin: params['pin'] = pin`) and the
 * `plex-auth` command line (a blank `PLEX_HOME_PIN` is unset) take it. A PIN
 * box left empty, for a user without a PIN, then switches; for a user with
 * one, plex.tv asks for it (`HomePinRequired`: ask for the PIN), rather than
 * the switch failing on the input (`InvalidInput`).
 */
export const pinBlank = (raw: unknown): boolean => typeof raw === "string" && raw.trim() === ""

/** Why `user` cannot name a home user (a non-empty id, uuid, title, username or email), or undefined. */
export const userProblem = (user: unknown): string | undefined =>
  (typeof user === "string" && user.trim() !== "") || (typeof user === "number" && Number.isSafeInteger(user))
    ? undefined
    : "must be a HomeUser, or a non-empty id, uuid, title, username or email"

/**
 * Why an object given as the user to switch to cannot be a `HomeUser`, or
 * undefined: it needs the `uuid` the switch is addressed to (untyped
 * JavaScript, or a hand-made object, would otherwise switch to
 * `/users/undefined`) and the `title` the errors name it by.
 */
export const homeUserProblem = (user: {
  readonly uuid?: unknown
  readonly title?: unknown
}): string | undefined =>
  typeof user.uuid !== "string" || user.uuid.trim() === "" || typeof user.title !== "string"
    ? "must be a HomeUser from Home.users (with its uuid), or an id, uuid, title, username or email"
    : undefined

/** What {@link findUser} reads of a home user. */
export interface UserKeys {
  readonly id: number
  readonly uuid: string
  readonly title: string
  readonly username?: string | undefined
  readonly email?: string | undefined
}

/**
 * The user of `list` that `wanted` names: its id, its uuid, its exact title,
 * username or email, else its title, username or email ignoring case (as
 * python-plexapi `MyPlexAccount.user` and @ctrl/plex `MyPlexAccount.user`
 * compare them). What cannot name a user ({@link userProblem}: an empty or
 * blank name, `null`, a number that is no id) names no one, not a user whose
 * title is `""`.
 */
export const findUser = <U extends UserKeys>(
  list: ReadonlyArray<U>,
  wanted: string | number
): U | undefined => {
  if (userProblem(wanted) !== undefined) return undefined
  const key = String(wanted).trim()
  const lower = key.toLowerCase()
  return (
    list.find((u) => String(u.id) === key || u.uuid === key) ??
    list.find((u) => u.title === key || u.username === key || u.email === key) ??
    list.find((u) =>
      [u.title, u.username, u.email].some((name) => typeof name === "string" && name.toLowerCase() === lower)
    )
  )
}

/**
 * What a refused switch means: a 403, or Plex's code 1041 with a 400 or 401,
 * is about the PIN (`HomePinRequired` when none was given, `InvalidHomePin`
 * otherwise); anything else is not (undefined: the refusal stands as it is).
 *
 * Only plex.tv's answer says a PIN is needed: a switch without one is sent
 * even to a user the listing marks `protected`. plex.tv answers a missing or
 * wrong PIN 403 with code 1041, always checks a PIN that is given, but does
 * not demand one everywhere: not to switch to the signed-in user's own
 * profile (Plex apps switch to the admin at start, and admins commonly have
 * a PIN), nor on some accounts (anthonycaccese/240-MP pull request 244, Aug
 * 2026, seen against plex.tv). python-plexapi (`switchHomeUser`) and
 * @ctrl/plex (`switchHomeUser`) likewise send the switch and let plex.tv
 * refuse it.
 */
export const pinRefusal = (
  status: number,
  errors: Entries,
  pinGiven: boolean
): "HomePinRequired" | "InvalidHomePin" | undefined =>
  status === 403 || errors.some((e) => e.code === pinCode)
    ? pinGiven
      ? "InvalidHomePin"
      : "HomePinRequired"
    : undefined

/**
 * What a sign-out through a switched layer (a home user's `Credentials` that switch again when plex.tv refuses the
 * token) revokes besides the token signed out: each other token the layer made or one of its builds holds
 * (`tokens`: the newest a switch got, each build's), once (`done`: the tokens already revoked through the layer, the
 * ones signed out among them), in that order. Each is a session of the same home user at plex.tv: a build built
 * after a switch holds the newer token without having renewed it itself, so telling it the sign-out (it no longer
 * uses that token) does not end it at plex.tv; left valid, it would stay usable by whoever holds it. The revoke is
 * plex.tv's `DELETE /api/v2/users/signout` with that token, as the sign-out's own. Never one of `owned`: the token
 * of the credentials the switch was made with (the caller's, e.g. the admin's, given by the app). plex.tv's token is
 * per user and device: a switch to the signed-in user's own profile (Plex apps switch to the admin at start) may
 * hand back that very token, and revoking it as an extra would sign the caller's own credentials out, which the app
 * did not get from a switch and did not ask to sign out (python-plexapi's and @ctrl/plex's `switchHomeUser` take
 * whatever `authenticationToken` plex.tv answers; neither revokes anything). The token being signed out is the
 * caller's choice and is not filtered here.
 */
export const signOutAlsoRevokes = <T>(
  tokens: ReadonlyArray<T>,
  done: ReadonlyArray<T>,
  value: (token: T) => string,
  owned: ReadonlyArray<T> = []
): ReadonlyArray<T> => {
  const seen = new Set([...done, ...owned].map(value))
  return tokens.filter((token) => {
    const key = value(token)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * How many of the tokens {@link signOutAlsoRevokes} names a sign-out revokes at once: each is one attempt bounded by
 * the per-attempt timeout, so a slow plex.tv holds the sign-out about one timeout for the extras, not one per token,
 * while a layer with many builds does not open a connection per token at once.
 */
export const signOutRevokesAtOnce = 4

/** The message of `HomeUserNotFound`, ending with what to do, as {@link pinRequiredMessage}'s and {@link invalidPinMessage}'s do. */
export const userNotFoundMessage = (
  operation: string,
  user: string,
  available: ReadonlyArray<string>
): string => {
  // No list: plex.tv answered 404 for a user listed before (removed from the home since): the home's users are not
  // known here, and "the home has: none" would be untrue.
  return available.length === 0
    ? `${operation}: plex.tv knows no Plex Home user "${user}" (any more); list the home's users again (Home.users)`
    : `${operation}: no Plex Home user "${user}" (the home has: ${available.map((n) => `"${n}"`).join(", ")}); switch to one of those`
}

/** The message of `HomePinRequired`. */
export const pinRequiredMessage = (operation: string, user: string, errors: Entries): string =>
  `${operation}: Plex Home user "${user}" is protected by a PIN; none was given${describeCodes(errors)}; ask for the user's PIN and switch with it`

/** The message of `InvalidHomePin` (never the PIN). */
export const invalidPinMessage = (operation: string, user: string, status: number, errors: Entries): string =>
  `${operation}: the PIN for Plex Home user "${user}" was not accepted (HTTP ${status})${describeCodes(errors)}; ask for the PIN again`

// ---------------------------------------------------------------------------
// Payloads (both editions build their schemas from these tables)
// ---------------------------------------------------------------------------

/**
 * A user of a Plex Home, as `GET /api/v2/home/users` lists it. `id` and
 * `uuid` are required; `title` defaults to `""` and the flags to `false`.
 * A managed user (`restricted`) has no username or email.
 */
export const homeUserFields = () => ({
  id: D.num,
  uuid: D.str,
  title: D.withDefault(D.str, ""),
  username: D.optional(D.str),
  email: D.optional(D.string),
  friendlyName: D.optional(D.string),
  thumb: D.optional(D.string),
  hasPassword: D.optional(D.bool),
  /** A managed user, without a plex.tv login of its own. */
  restricted: D.withDefault(D.bool, false),
  restrictionProfile: D.optional(D.string),
  /** The home's admin (the account that owns the home). */
  admin: D.withDefault(D.bool, false),
  guest: D.withDefault(D.bool, false),
  /** The user has a PIN: plex.tv may ask for it to switch to the user (see {@link pinRefusal}). */
  protected: D.withDefault(D.bool, false)
})

/** The body of `GET /api/v2/home/users`: the home and its users (malformed users dropped). */
export const homeUsersFields = <U>(user: D.CodecLike<U>) => ({
  id: D.optional(D.num),
  name: D.optional(D.string),
  users: D.array(user)
})

/** The account plex.tv answers a switch with: the home user's own account, with its `authToken` (a secret). */
export const switchedAccountFields = <S>(secret: D.CodecLike<S>) => ({
  id: D.num,
  uuid: D.str,
  title: D.withDefault(D.str, ""),
  username: D.optional(D.str),
  email: D.optional(D.string),
  /** The home user's token. */
  authToken: secret,
  home: D.optional(D.bool),
  homeAdmin: D.optional(D.bool),
  restricted: D.optional(D.bool),
  protected: D.optional(D.bool)
})

/** plex.tv `GET /api/v2/home/users`: the home and its users. */
export const getHomeUsers = {
  endpoint: "getHomeUsers",
  method: "GET",
  path: usersPath
} as const satisfies Endpoint

/**
 * plex.tv `POST /api/v2/home/users/{uuid}/switch` ({@link switchQuery}): the
 * user's account and token; 404 for an unknown user. A refused PIN may count
 * towards a lockout: never sent twice when plex.tv may have seen it.
 */
export const switchHomeUser = <S>(uuid: string, pin: S | undefined) =>
  ({
    endpoint: "switchHomeUser",
    method: "POST",
    path: switchPath(uuid),
    urlParams: switchQuery(pin),
    notFound: true,
    idempotent: false,
    // A missing or wrong PIN is not a refused token, whatever its status: no re-authentication for it.
    refusedInput: pinCode
  }) as const satisfies Endpoint<S>
