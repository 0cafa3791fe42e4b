/**
 * Does this Plex user have access to my server? The check every "Sign in
 * with Plex" web app makes, in two variants:
 *
 * - with the user's own token ({@link check}): the server, found by its
 *   machine identifier among the user's resources, is the user's own
 *   (`Owner`), reached through the owner's Plex Home (`HomeMember`),
 *   shared with the user (`Shared`, with what plex.tv says of the share),
 *   or not there (`NoAccess`);
 * - with the server owner's token ({@link users}): the owner's friends and
 *   home users who have access to that server.
 *
 * A failure to ask is never an answer: a network failure, a 5xx, a 403 or
 * an unreadable body is `Unknown` (with the error), and a refused user token
 * (401, 498, or plex.tv's 422 "Invalid token") is `InvalidToken`, never
 * `NoAccess`. {@link makeChecker} and
 * {@link makeOwnerChecker} cache the answers with Effect's `Cache` for a
 * time the caller sets, so a web app can ask on every request.
 *
 * Routes: plex.tv `GET /api/v2/resources` (python-plexapi
 * `MyPlexAccount.resources`, @ctrl/plex `MyPlexAccount.resources`) and
 * `GET /api/users/` (python-plexapi `MyPlexAccount.users`, @ctrl/plex
 * `MyPlexUser.key`), and `GET /api/servers/{machineId}/shared_servers`
 * (python-plexapi `MyPlexUser.get_token`); plex.tv answers those two in XML,
 * read into the same values as JSON would be. {@link makeOwnerChecker} also
 * asks `GET /api/v2/resources` with the owner's token, to confirm that the
 * account owns the server (`owned`, python-plexapi `MyPlexResource.owned`).
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import type { ClientIdentity } from "./ClientIdentity.js"
import {
  type InvalidInput,
  type NotFound,
  type PlexError,
  type ResponseError,
  ServerNotFound,
  type Unauthorized
} from "./PlexError.js"
import * as Resources from "./Resources.js"
import { answers } from "./internal/answers.js"
import * as L from "./internal/lenient.js"
import { sharedCache } from "./internal/sharedCache.js"
import * as Request from "./internal/request.js"
import { Credentials } from "./Credentials.js"
import * as V from "./internal/validate.js"
import * as Facts from "./core/access.js"
import { withSchema } from "./core/endpoint.js"
import * as ResourceFacts from "./core/resources.js"
import * as P from "./core/decodeSchemas.js"

// ---------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------

/**
 * The user owns the server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Owner {
  readonly _tag: "Owner"
  /** The server, as the user's resources list it. */
  readonly server: Resources.Device
}

/**
 * The user reaches the server through the owner's Plex Home.
 *
 * @since 0.1.0
 * @category models
 */
export interface HomeMember {
  readonly _tag: "HomeMember"
  readonly server: Resources.Device
}

/**
 * What plex.tv says of a share: who owns the server and what the share
 * is called on the user's side.
 *
 * @since 0.1.0
 * @category models
 */
export interface Share {
  /** The owner's account id. */
  readonly ownerId: number | undefined
  /** The owner's name, as the user sees it. */
  readonly sourceTitle: string | undefined
}

/**
 * The server is shared with the user (a friend of the owner).
 *
 * @since 0.1.0
 * @category models
 */
export interface Shared {
  readonly _tag: "Shared"
  readonly server: Resources.Device
  readonly share: Share
}

/**
 * plex.tv answered, and the server is not among the user's resources.
 *
 * @since 0.1.0
 * @category models
 */
export interface NoAccess {
  readonly _tag: "NoAccess"
}

/**
 * plex.tv refused the user's token (401, 498 for an expired Plex JWT, or
 * its 422 "Invalid token"): the user is not signed in, which says nothing
 * about the server. A 403 is not this but `Unknown`: plex.tv answers the
 * resources of every token it accepts, a managed Home user's too, and
 * refuses with a 403 what an account may not do (or a proxy does), so it
 * says nothing about the token.
 *
 * @since 0.1.0
 * @category models
 */
export interface InvalidToken {
  readonly _tag: "InvalidToken"
  readonly error: Unauthorized
}

/**
 * plex.tv could not be asked (a network failure, a timeout, a 5xx, an
 * unreadable answer, rate limiting) or answered a 403 (an `Unauthorized`
 * of `status` 403, which refuses no token): no answer, and never
 * `NoAccess`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Unknown {
  readonly _tag: "Unknown"
  readonly error: PlexError
  /**
   * The wait plex.tv's answer asked for in its `Retry-After` header, in
   * milliseconds from when it came, whatever its status (a 429, a 503, a 403
   * from a CDN or rate limiter in front of plex.tv): it asks to be tried
   * later. Absent when the answer had none or was a success (a 2xx whose
   * body was cut off, late or unreadable: a `Retry-After` on a 2xx asks for
   * no wait), or there was no answer (only
   * {@link check}'s answers, and {@link makeChecker}'s and
   * {@link makeOwnerChecker}'s, carry it). A checker's `Unknown` says what
   * the checker will do instead: the milliseconds left until it asks plex.tv
   * again (at least 0), each time it is given, since a check before then
   * gives the same kept answer. That is plex.tv's wait, at most 5 minutes (a
   * longer one, a proxy's "1 hour", is kept only 5 minutes: a check asks
   * again then), or `unknownTtl` when longer; with an infinite one (kept
   * until `invalidate`), 2^31 seconds in milliseconds (2,147,483,648,000:
   * the longest wait a `Retry-After` says), a number, never `Infinity`
   * (which JSON writes as `null`). Never for a refused token (`InvalidToken`, or the owner checker's
   * `Unknown` for a 401 of the owner's token), which waiting does not mend.
   */
  readonly retryAfterMillis?: number | undefined
}

/**
 * The answer of {@link check}.
 *
 * @since 0.1.0
 * @category models
 */
export type Access = Owner | HomeMember | Shared | NoAccess | InvalidToken | Unknown

// A guard over what a caller holds: false is the truthful answer for what is not one (no access), and the
// safe one for an authorisation check; throwing would turn a check into a crash.
/**
 * Whether an answer grants access: `Owner`, `HomeMember` or `Shared`. A
 * guard, it never throws: anything that is not an answer (`null`,
 * `undefined`, a number, `{}`) grants nothing (`false`).
 *
 * @since 0.1.0
 * @category guards
 */
export const hasAccess = (access: Access): access is Owner | HomeMember | Shared =>
  Facts.answerGrantsAccess(access)

/**
 * The answer a list of resources gives for a server: pure, no Effect; a
 * list that is not an array of objects throws `InvalidInput`. A device's
 * `owned` and `home` are read as a decoded device reads them (`true`, `1`,
 * `"1"`, `"true"`; `"0"`, `"no"` or anything else is no), never by truthiness.
 *
 * @since 0.1.0
 * @category checking
 */
export const accessIn = (
  devices: ReadonlyArray<Resources.Device>,
  machineIdentifier: string
): Owner | HomeMember | Shared | NoAccess => {
  V.refuseSync("ServerAccess.accessIn", "devices", V.recordsProblem(devices, "devices"))
  return Facts.accessIn(devices, machineIdentifier)
}

/**
 * The answer a failure gives: a refused token is `InvalidToken`, anything else (a 403 too) `Unknown`, with the wait
 * plex.tv's answer asked for (`retryAfterMillis`, internal/answers.ts) when it asked for one.
 */
const failed = (error: PlexError, retryAfterMillis: number | undefined): InvalidToken | Unknown =>
  error._tag === "Unauthorized" && Facts.failure(error._tag, error.status) === "InvalidToken"
    ? { _tag: "InvalidToken", error }
    : retryAfterMillis === undefined
      ? { _tag: "Unknown", error }
      : { _tag: "Unknown", error, retryAfterMillis }

const machineId = (operation: string, value: unknown): Effect.Effect<string, InvalidInput> => {
  const id = Facts.machineIdentifier(value)
  return id !== undefined
    ? Effect.succeed(id)
    : Effect.fail(V.invalid(operation, "machineIdentifier", Facts.machineIdentifierProblem))
}

// ---------------------------------------------------------------------------
// With the user's token
// ---------------------------------------------------------------------------

/**
 * Whether the signed-in user (the `Credentials` in context: the user's own
 * token) has access to the server `machineIdentifier`: plex.tv
 * `GET /api/v2/resources`, the server looked up by its machine identifier.
 * Never fails for a failure of the exchange: that is `Unknown` or
 * `InvalidToken`. Fails with `InvalidInput` for a malformed identifier,
 * before any request.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Credentials, ServerAccess } from "effect-plex-auth"
 *
 * const allowed = (userToken: string) =>
 *   ServerAccess.check("5d7e1c0f9b2a4c8e9f3a6b1d2c4e8f0a7b9c1d3e").pipe(
 *     Effect.map(ServerAccess.hasAccess),
 *     Credentials.withToken(userToken)
 *   )
 * ```
 *
 * @since 0.1.0
 * @category checking
 */
export const check = (
  machineIdentifier: string
): Effect.Effect<Access, InvalidInput, HttpClient.HttpClient | ClientIdentity | Credentials> =>
  Effect.map(answered(machineIdentifier), (answer) => answer.access)

/**
 * {@link check}'s answer, when it came (`at`), and for an `Unknown` whose answer asked to wait, that wait (`wait`,
 * from when that answer came): a checker keeps the `Unknown` for it (or its `unknownTtl` when longer) and says what is
 * left of that, and asks again when the clock went back to before the answer came ({@link fresh}).
 */
const answered = (
  machineIdentifier: string
): Effect.Effect<Kept<Access>, InvalidInput, HttpClient.HttpClient | ClientIdentity | Credentials> =>
  Effect.flatMap(machineId("ServerAccess.check", machineIdentifier), (id) =>
    Effect.suspend(() => {
      // plex.tv's answers watched (one watcher per run): a failure's Unknown carries the Retry-After of the answer.
      const watched = answers()
      return Effect.zipWith(
        Effect.either(watched.watch(Resources.list())),
        Clock.currentTimeMillis,
        (result, now): Kept<Access> => {
          if (Either.isRight(result)) return { access: accessIn(result.right, id), at: now }
          const error = result.left
          const wait = watched.waitOf(error)
          const at = watched.last()?.at
          const access = failed(error, at === undefined ? undefined : wait)
          // Only an Unknown carries a wait (an InvalidToken's 401 asks for none, whatever its Retry-After).
          return access._tag === "Unknown" && wait !== undefined && at !== undefined
            ? { access, at, wait }
            : { access, at: now }
        }
      )
    })
  ).pipe(Effect.withSpan("ServerAccess.check", { kind: "internal", captureStackTrace: false }))

/**
 * When a kept answer came (`at`, the clock's milliseconds) and, for an `Unknown` whose answer asked to wait, that wait
 * (`wait`, Retry-After, ms, from `at`).
 */
interface Stamp {
  readonly at: number
  readonly wait?: number | undefined
}

/** An answer as a checker keeps it: when it came, and an `Unknown`'s wait. */
interface Kept<A> extends Stamp {
  readonly access: A
}

/**
 * A kept answer as a later check gives it. An `Unknown` whose answer asked to wait (`wait`) carries what is left of
 * the time the checker keeps it ({@link unknownKept}: the wait, at most 5 minutes, or `unknownTtl` when longer), at
 * least 0: when the checker will ask plex.tv again, so a caller (WebSignIn's 503 and its Retry-After) is told what the
 * checker will do, not plex.tv's own wait (past the 5-minute cap the checker asks sooner; with a longer `unknownTtl`,
 * later, and "0" would say "try now" while a check gives the same kept answer). At most 2^31 seconds
 * (`Facts.keptLeftMillis`): what it says with an infinite `unknownTtl`, a number JSON writes, never `Infinity`.
 */
const keptAnswer = <A extends Access | OwnerAccess>(
  access: A,
  stamp: Stamp | undefined,
  unknownTtl: Duration.Duration
): Effect.Effect<A> =>
  stamp?.wait === undefined
    ? Effect.succeed(access)
    : Effect.map(Clock.currentTimeMillis, (now) => ({
        ...access,
        retryAfterMillis: Facts.keptLeftMillis(
          stamp.at,
          Duration.toMillis(unknownKept(unknownTtl, stamp.wait)),
          now
        )
      }))

/**
 * A checker's cache entry (`get`), asked again (`invalidate`, then `get`) when its answer came after now (`cameAt`,
 * the clock's milliseconds): the clock went back since (an NTP step, a clock set by hand), and the cache, which keeps
 * an entry until the clock reaches its time plus its time to live, would keep it for as long as the clock went back,
 * whatever it is: an `Unknown` (users locked out past its wait, the 5-minute cap and `unknownTtl`, told to wait as
 * long), a `NoAccess` (a new share refused), an `Owner` or a share (access kept after plex.tv took it away), the owner
 * checker's list of users or its failure. A clock set back by less than the time since the answer came is not seen
 * (Effect's `Clock` is not monotonic): the entry is kept that much longer, less than its time to live again.
 */
const fresh = <A, E>(
  get: Effect.Effect<A, E>,
  invalidate: Effect.Effect<void>,
  cameAt: (exit: Exit.Exit<A, E>) => number | undefined
): Effect.Effect<A, E> =>
  Effect.flatMap(Effect.exit(get), (exit) => {
    const at = cameAt(exit)
    return at === undefined
      ? exit
      : Effect.flatMap(Clock.currentTimeMillis, (now) => (at > now ? Effect.andThen(invalidate, get) : exit))
  })

/**
 * How long a checker keeps an `Unknown`: `unknownTtl`, or the wait its answer asked for (Retry-After) when longer,
 * at most 5 minutes (Facts.maxKeptWaitMillis), so callers within plex.tv's wait get the kept answer without asking a
 * rate-limited plex.tv again, and a proxy's huge Retry-After cannot lock users out for hours.
 */
const unknownKept = (unknownTtl: Duration.Duration, wait: number | undefined): Duration.Duration =>
  Duration.max(unknownTtl, Duration.millis(Facts.keptWaitMillis(wait)))

/**
 * How long {@link makeChecker} and {@link makeOwnerChecker} keep answers.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheOptions {
  /** How long an answer (`Owner`, `HomeMember`, `Shared`, `NoAccess`, `InvalidToken`) is kept. */
  readonly ttl: Duration.DurationInput
  /**
   * How long an `Unknown` is kept. Default 0: not at all, the next call asks again. An `Unknown` whose answer asked
   * to wait (`retryAfterMillis`) is kept for that wait when longer, at most 5 minutes; its `retryAfterMillis` is
   * then what is left of the time it is kept (the longer of the two), when the checker will ask plex.tv again.
   */
  readonly unknownTtl?: Duration.DurationInput | undefined
  /** How many answers are kept at most. Default 10,000. */
  readonly capacity?: number | undefined
}

/**
 * A cached {@link check} for one server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Checker {
  /** The server's machine identifier. */
  readonly machineIdentifier: string
  /** The answer for the user of `token`: cached, else asked of plex.tv. */
  readonly check: (token: string | Redacted.Redacted<string>) => Effect.Effect<Access, InvalidInput>
  /** Forgets the answer for `token` (after a sign-out, say). */
  readonly invalidate: (token: string | Redacted.Redacted<string>) => Effect.Effect<void>
  /** Forgets every answer. */
  readonly invalidateAll: Effect.Effect<void>
}

/** A checker's `ttl` or `unknownTtl`: zero or more; an infinite one keeps answers for good. */
const ttlRange = { least: 0, infinite: true }

const cacheSettings = (operation: string, options: CacheOptions) =>
  Effect.gen(function* () {
    const ttl = yield* V.durationOption(operation, "ttl", options?.ttl, Duration.zero, ttlRange)
    if (options?.ttl === undefined) return yield* V.invalid(operation, "ttl", "is required")
    const unknownTtl = yield* V.durationOption(
      operation,
      "unknownTtl",
      options.unknownTtl,
      Duration.zero,
      ttlRange
    )
    const capacity = options.capacity ?? Facts.defaultCapacity
    const capacityProblem = Facts.capacityProblem(capacity)
    if (capacityProblem !== undefined) return yield* V.invalid(operation, "capacity", capacityProblem)
    return { ttl, unknownTtl, capacity }
  })

/**
 * A {@link check} for the server `machineIdentifier` whose answers are
 * cached per token (Effect `Cache`): for `ttl`, `Unknown` for `unknownTtl`
 * (default 0, not cached), or for the wait its answer asked for when longer
 * (at most 5 minutes). Concurrent checks of one token share one
 * request. The checker keeps the `HttpClient`, `ClientIdentity` (and
 * plex.tv URL and request settings, such as the request timeout) of where
 * it was made, never a caller's.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ServerAccess } from "effect-plex-auth"
 *
 * const program = Effect.gen(function* () {
 *   const checker = yield* ServerAccess.makeChecker("5d7e1c0f9b2a4c8e9f3a6b1d2c4e8f0a7b9c1d3e", {
 *     ttl: "1 minute"
 *   })
 *   const access = yield* checker.check("the-user-token")
 *   return ServerAccess.hasAccess(access)
 * })
 * ```
 *
 * @since 0.1.0
 * @category checking
 */
export const makeChecker = (
  machineIdentifier: string,
  options: CacheOptions
): Effect.Effect<Checker, InvalidInput, HttpClient.HttpClient | ClientIdentity> =>
  Effect.gen(function* () {
    const operation = "ServerAccess.makeChecker"
    const id = yield* machineId(operation, machineIdentifier)
    const { capacity, ttl, unknownTtl } = yield* cacheSettings(operation, options)
    const cache = yield* sharedCache({
      capacity,
      keyOf: (token: Redacted.Redacted<string>) => Redacted.value(token),
      lookup: (token: Redacted.Redacted<string>) =>
        answered(id).pipe(Effect.provideService(Credentials, { token: Effect.succeed(token) })),
      timeToLive: (exit) =>
        Exit.isSuccess(exit)
          ? exit.value.access._tag === "Unknown"
            ? unknownKept(unknownTtl, exit.value.wait)
            : ttl
          : Duration.zero
    })
    // Its own copy (`V.own`): the cache reads the key again when the last caller leaves a check in flight, after
    // the caller may have wiped its `Redacted`.
    const key = (token: string | Redacted.Redacted<string>) =>
      Effect.map(V.token("ServerAccess.check", "token", token), V.own)
    return {
      machineIdentifier: id,
      check: (token) =>
        Effect.flatMap(key(token), (k) =>
          Effect.flatMap(
            fresh(cache.get(k), cache.invalidate(k), (exit) =>
              Exit.isSuccess(exit) ? exit.value.at : undefined
            ),
            (answer) => keptAnswer(answer.access, answer, unknownTtl)
          )
        ),
      invalidate: (token) =>
        Effect.flatMap(Effect.either(key(token)), (k) =>
          Either.isRight(k) ? cache.invalidate(k.right) : Effect.void
        ),
      invalidateAll: cache.invalidateAll
    }
  })

// ---------------------------------------------------------------------------
// With the owner's token
// ---------------------------------------------------------------------------

/**
 * One server a friend has access to, as `GET /api/users/` lists it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ServerShare = /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.serverShareFields())

/**
 * @since 0.1.0
 * @category models
 */
export interface ServerShare extends Schema.Schema.Type<typeof ServerShare> {}

/**
 * A friend or home user of the owner, as `GET /api/users/` lists it, with
 * the servers shared with them (`servers`, from Plex's `Server` entries).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Friend = /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.friendFields(ServerShare))

/**
 * @since 0.1.0
 * @category models
 */
export interface Friend extends Schema.Schema.Type<typeof Friend> {}

const FriendsResponse = /*#__PURE__*/ L.struct(
  /*#__PURE__*/ P.mediaContainerFields(
    /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.friendsContainerFields(Friend))
  )
)

/**
 * A user with access to the owner's server: a home user or a friend, and
 * the share. Tagged as every answer of this module is: `_tag` is
 * `HomeMember` or `Shared`, as in {@link Access} and {@link OwnerAccess},
 * so one `switch (x._tag)` serves them all.
 *
 * @since 0.1.0
 * @category models
 */
export interface AccessUser {
  /** `HomeMember` (a user of the owner's Plex Home) or `Shared` (a friend the server is shared with). */
  readonly _tag: "HomeMember" | "Shared"
  readonly user: Friend
  /**
   * The same word as `_tag`, kept for callers that read it.
   *
   * @deprecated Read `_tag`, as of every answer of this module.
   */
  readonly access: "HomeMember" | "Shared"
  readonly share: ServerShare
}

/**
 * The owner's friends and home users, each with the servers shared with
 * them: plex.tv `GET /api/users/` (XML) with the owner's token.
 *
 * @since 0.1.0
 * @category owner
 */
export const friends = (): Effect.Effect<
  ReadonlyArray<Friend>,
  ResponseError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity | Credentials
> => friendsAs("ServerAccess.friends")

/** `GET /api/users/` for the public function `operation` (its span and errors are named after it). */
const friendsAs = (operation: string) =>
  Effect.map(
    Request.plexTv(operation, {
      // XML only (python-plexapi `MyPlexAccount.users`, @ctrl/plex `MyPlexAccount.users`).
      ...Facts.getUsers,
      schema: FriendsResponse
    }),
    (success) => success.value.MediaContainer.User
  )

/**
 * The users with access to `friends`' server `machineIdentifier`: pure; a
 * list that is not an array of objects throws `InvalidInput`.
 *
 * @since 0.1.0
 * @category owner
 */
export const usersOf = (
  list: ReadonlyArray<Friend>,
  machineIdentifier: string
): ReadonlyArray<AccessUser> => {
  V.refuseSync("ServerAccess.usersOf", "list", V.recordsProblem(list, "friends"))
  return Facts.usersOf(list, machineIdentifier)
}

/** A request as it is sent: watched by a checker (makeOwnerChecker's `stamps`), or as it is. */
type Watch = <A, E extends { readonly _tag: string; readonly status?: number | undefined }, R>(
  request: Effect.Effect<A, E, R>
) => Effect.Effect<A, E, R | HttpClient.HttpClient>

/**
 * `request` watched (internal/answers.ts, one watcher per run: the owner checker's requests run at once): when it
 * fails with an answer that asked to wait, `stamps` keeps that wait and when the answer came under its error, for the
 * `Unknown` of every check that gives that failure while it is kept. Not for a refused token (401, 498, 422: the
 * owner's, Facts.failure), as makeChecker's `InvalidToken` carries none: waiting does not make plex.tv take it, so a
 * proxy's Retry-After on it would tell callers to come back when nothing will have changed, and keep the failure past
 * `unknownTtl` (the owner's `Credentials` may have a new token by then).
 */
const watchedIn =
  (stamps: WeakMap<object, Stamp>): Watch =>
  (request) =>
    Effect.suspend(() => {
      const watched = answers()
      return Effect.tapError(watched.watch(request), (error) =>
        Effect.sync(() => {
          const wait = watched.waitOf(error)
          const at = watched.last()?.at
          const refused = Facts.failure(error._tag, error.status ?? 0) === "InvalidToken"
          if (wait !== undefined && at !== undefined && !refused) stamps.set(error, { at, wait })
        })
      )
    })

/**
 * The users with access to the server `id`, and whether the credentials' account owns it, for the public function
 * `operation`: `GET /api/users/` and `GET /api/v2/resources` (as `Resources.list` asks it), at once. `notOwned` is
 * the `ServerNotFound` when the account does not own the server (the server with that `clientIdentifier`, `owned`,
 * as python-plexapi `MyPlexAccount.resource` and `MyPlexResource.owned` read it): a typo in its identifier (case
 * included: both references compare it exactly), or a server only shared with the account, would otherwise list no
 * one, as if no one had access.
 */
const ownersView = (operation: string, id: string, watch: Watch = (request) => request) =>
  Effect.map(
    Effect.all(
      {
        users: Effect.map(watch(friendsAs(operation)), (list) => usersOf(list, id)),
        devices: Effect.map(
          watch(Request.plexTv(operation, withSchema(ResourceFacts.getServerResources, Resources.Devices))),
          (s) => s.value
        )
      },
      { concurrency: 2 }
    ),
    ({ devices, users }) => ({
      users,
      notOwned: Facts.ownsServer(devices, id)
        ? undefined
        : new ServerNotFound({ operation, server: id, available: Facts.ownedServerNames(devices) })
    })
  )

/**
 * The owner's friends and home users who have access to the server
 * `machineIdentifier` (the `Credentials` in context: the owner's token). A
 * pending invitation is not access. Fails with `ServerNotFound` when the
 * credentials' account does not own the server (a typo in its identifier,
 * case included, or a server only shared with that account), naming the
 * servers it owns, as `makeOwnerChecker`'s `users` does: listing no one
 * would say no one has access. It reads the account's resources for that
 * (`GET /api/v2/resources`, alongside `GET /api/users/`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ServerAccess } from "effect-plex-auth"
 *
 * const names = ServerAccess.users("5d7e1c0f9b2a4c8e9f3a6b1d2c4e8f0a7b9c1d3e").pipe(
 *   Effect.map((users) => users.map(({ _tag, user }) => `${user.title} (${_tag})`))
 * )
 * ```
 *
 * @since 0.1.0
 * @category owner
 */
export const users = (
  machineIdentifier: string
): Effect.Effect<
  ReadonlyArray<AccessUser>,
  ResponseError | ServerNotFound | InvalidInput,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.flatMap(machineId("ServerAccess.users", machineIdentifier), (id) =>
    Effect.flatMap(ownersView("ServerAccess.users", id), (view) =>
      view.notOwned === undefined ? Effect.succeed(view.users) : Effect.fail(view.notOwned)
    )
  )

/**
 * The owner's answer for one user: the owner, a home user or a friend with
 * access, none, or `Unknown` when plex.tv could not be asked or the
 * credentials' account does not own the server (`ServerNotFound`).
 *
 * @since 0.1.0
 * @category models
 */
export type OwnerAccess =
  | { readonly _tag: "Owner" }
  | { readonly _tag: "HomeMember"; readonly user: AccessUser }
  | { readonly _tag: "Shared"; readonly user: AccessUser }
  | NoAccess
  | Unknown

/**
 * A cached {@link users} for one server, with the owner's token.
 *
 * @since 0.1.0
 * @category models
 */
export interface OwnerChecker {
  readonly machineIdentifier: string
  /**
   * The users with access (cached). Fails with `ServerNotFound` when the
   * credentials' account does not own the server (a typo in its identifier,
   * or a server only shared with that account).
   */
  readonly users: Effect.Effect<ReadonlyArray<AccessUser>, ResponseError | ServerNotFound | InvalidInput>
  /**
   * Whether the account `accountId` (e.g. from `PlexAuth.getTokenDetails()`
   * with the user's token) has access; `Unknown` (with `ServerNotFound`) when
   * the credentials' account does not own the server. An id from untyped
   * JavaScript may be the decimal string of the number (`"24318102"`, as JSON
   * or a header gives it); anything else that is not a number is `NoAccess`.
   */
  readonly check: (accountId: number) => Effect.Effect<OwnerAccess>
  /** Forgets the cached list. */
  readonly invalidate: Effect.Effect<void>
}

/**
 * {@link users} for the server `machineIdentifier`, with the owner's
 * `Credentials` (those in context when it is made), cached (Effect `Cache`)
 * for `ttl`: the list of users, and the owner's own account id. The same
 * cached lookup confirms that the account owns the server (plex.tv
 * `GET /api/v2/resources`: the server with that `clientIdentifier`, and
 * `owned`, as python-plexapi `MyPlexAccount.resource` and
 * `MyPlexResource.owned`, @ctrl/plex `MyPlexResource.owned` read it): when
 * it does not (a typo in the identifier, or the token of an account the
 * server is only shared with), `users` fails and `check` answers `Unknown`
 * with `ServerNotFound`, never `Owner` nor `NoAccess`, kept for `ttl` as any
 * answer (so a typo does not ask plex.tv at every check). A failure (plex.tv
 * unreachable, refusing) is kept for `unknownTtl` (default 0: not at all), or
 * for the wait its answer asked for when longer (at most 5 minutes).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ServerAccess } from "effect-plex-auth"
 *
 * const program = Effect.gen(function* () {
 *   const owner = yield* ServerAccess.makeOwnerChecker("5d7e1c0f9b2a4c8e9f3a6b1d2c4e8f0a7b9c1d3e", {
 *     ttl: "5 minutes"
 *   })
 *   return yield* owner.check(24318102)
 * })
 * ```
 *
 * @since 0.1.0
 * @category owner
 */
export const makeOwnerChecker = (
  machineIdentifier: string,
  options: CacheOptions
): Effect.Effect<OwnerChecker, InvalidInput, HttpClient.HttpClient | ClientIdentity | Credentials> =>
  Effect.gen(function* () {
    const operation = "ServerAccess.makeOwnerChecker"
    const id = yield* machineId(operation, machineIdentifier)
    const { ttl, unknownTtl } = yield* cacheSettings(operation, options)
    const ownerSpec = { ...Facts.getOwner, schema: L.struct(Facts.accountIdFields()) }
    // When a failure came and the wait its answer asked for, by its error (the cache keeps the failure, the same
    // error): `watch` stamps one that asked to wait, the lookup every other.
    const stamps = new WeakMap<object, Stamp>()
    const watch = watchedIn(stamps)
    const stampOf = (cause: Cause.Cause<unknown>): Stamp | undefined => {
      const error = Option.getOrUndefined(Cause.failureOption(cause))
      return typeof error === "object" && error !== null ? stamps.get(error) : undefined
    }
    const cache = yield* sharedCache({
      capacity: 1,
      keyOf: () => undefined,
      lookup: (_: void) =>
        Effect.flatMap(
          Effect.all(
            {
              // The checker's own requests: named after the function that made the checker.
              ownerId: Effect.map(watch(Request.plexTv(operation, ownerSpec)), (s) => s.value.id),
              view: ownersView(operation, id, watch)
            },
            { concurrency: 2 }
          ),
          // The credentials must own the server: a typo in its identifier, or a server only shared with the
          // account, would otherwise answer Owner for the account and NoAccess for everyone else. Not owning it is
          // an answer, kept for `ttl` as any other (a fact of the configuration, not a passing failure: kept only
          // for `unknownTtl`, 0 by default, a typo would send three requests to plex.tv at every check).
          ({ ownerId, view }) => Effect.map(Clock.currentTimeMillis, (at) => ({ ownerId, ...view, at }))
        ).pipe(
          Effect.tapError((error) =>
            Effect.map(Clock.currentTimeMillis, (at) => {
              if (!stamps.has(error)) stamps.set(error, { at })
            })
          )
        ),
      timeToLive: (exit) => {
        if (Exit.isSuccess(exit)) return ttl
        // Kept for at least the wait its answer asked for (at most Facts.maxKeptWaitMillis), as makeChecker's Unknown.
        return unknownKept(unknownTtl, stampOf(exit.cause)?.wait)
      }
    })
    // Asked again when the clock went back to before the answer, or the failure, came (`fresh`): `users` and `check`.
    const current = Effect.flatMap(
      fresh(cache.get(undefined), cache.invalidateAll, (exit) =>
        Exit.isSuccess(exit) ? exit.value.at : stampOf(exit.cause)?.at
      ),
      (c) => (c.notOwned === undefined ? Effect.succeed(c) : Effect.fail(c.notOwned))
    )
    return {
      machineIdentifier: id,
      users: Effect.map(current, (c) => c.users),
      check: (accountId) =>
        Effect.matchEffect(current, {
          // With what is left of the time it is kept (at least 0), as makeChecker's Unknown.
          onFailure: (error) =>
            keptAnswer<OwnerAccess>({ _tag: "Unknown", error }, stamps.get(error), unknownTtl),
          onSuccess: ({ ownerId, users }) => Effect.succeed(Facts.ownerDecision(accountId, ownerId, users))
        }),
      invalidate: cache.invalidateAll
    }
  })

// ---------------------------------------------------------------------------
// Shared users' server tokens
// ---------------------------------------------------------------------------

/**
 * One user a server is shared with, as `GET /api/servers/{machineId}/shared_servers`
 * lists it, with that user's own `accessToken` for the server (`Redacted`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SharedServer = /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.sharedServerFields(L.Secret))

/**
 * @since 0.1.0
 * @category models
 */
export interface SharedServer extends Schema.Schema.Type<typeof SharedServer> {}

const SharedServersResponse = /*#__PURE__*/ L.struct(
  /*#__PURE__*/ P.mediaContainerFields(
    /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.sharedServersContainerFields(SharedServer))
  )
)

/**
 * Each shared user's own access token for the owner's server
 * `machineIdentifier` (the `Credentials` in context: the owner's token):
 * plex.tv `GET /api/servers/{machineId}/shared_servers`, as python-plexapi's
 * `MyPlexUser.get_token` reads it. Tautulli keeps one per user to see the
 * server as that user. `NotFound` when the server is not the owner's.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ServerAccess } from "effect-plex-auth"
 *
 * const tokenOf = (userId: number) =>
 *   ServerAccess.sharedTokens("5d7e1c0f9b2a4c8e9f3a6b1d2c4e8f0a7b9c1d3e").pipe(
 *     Effect.map((shares) => shares.find((share) => share.userID === userId)?.accessToken)
 *   )
 * ```
 *
 * @since 0.1.0
 * @category owner
 */
export const sharedTokens = (
  machineIdentifier: string
): Effect.Effect<
  ReadonlyArray<SharedServer>,
  ResponseError | NotFound | InvalidInput,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.flatMap(machineId("ServerAccess.sharedTokens", machineIdentifier), (id) =>
    Effect.map(
      Request.plexTv("ServerAccess.sharedTokens", {
        // XML only (python-plexapi `MyPlexUser.get_token`).
        ...Facts.getSharedServers(id),
        refusals: Request.notFoundRefusals,
        schema: SharedServersResponse
      }),
      (success) => success.value.MediaContainer.SharedServer
    )
  )
