/**
 * Facts about server access, as plain functions with no Effect in them (both
 * editions' `ServerAccess` use them): the routes, what makes a machine
 * identifier, and the decisions: the access a user's resources give to a
 * server (owner, home member, shared, none), which failures are answers,
 * which of an owner's friends and home users have access, and the owner's
 * answer for one account.
 *
 * Routes: plex.tv `GET /api/v2/resources` (python-plexapi
 * `MyPlexAccount.resources`, @ctrl/plex `MyPlexAccount.resources`; see
 * `resources.ts`), `GET /api/users/` (python-plexapi `MyPlexAccount.users`,
 * @ctrl/plex `MyPlexAccount.users` with `MyPlexUser.key`), `GET /api/v2/user`
 * (the owner's own account) and `GET /api/servers/{machineId}/shared_servers`
 * (python-plexapi `MyPlexUser.get_token`, its `FRIENDINVITE` URL). The two
 * legacy routes answer XML only: python-plexapi reads their `User`/`Server`
 * and `SharedServer` elements' attributes (`data.attrib.get(...)`), and
 * @ctrl/plex, though it asks for JSON, reads the XML attributes xml2js gives
 * (`data.$.id`, `data.Server`).
 *
 * @internal
 */
import { tokenDetails } from "./auth.js"
import type { Endpoint } from "./endpoint.js"
import { longestRetryAfterMillis } from "./policy.js"
import { providesServer } from "./resources.js"
import { tokenRefusedBy } from "./refreshRun.js"
import * as Xml from "./xml.js"
import * as D from "./decode.js"

/** The owner's friends and home users, each with the servers shared with them (with the trailing `/` both references send). */
export const friendsPath = "/api/users/"

/** {@link friendsPath} and {@link sharedServersPath} answer XML: the reader their requests hand to the engine. */
export const legacyAnswers: Xml.XmlAnswers = Xml.answers

/** The signed-in account (its id tells the owner apart). */
export const accountPath = tokenDetails.path

/** The users a server is shared with, each with the user's own token for it. */
export const sharedServersPath = (machineIdentifier: string): string =>
  `/api/servers/${encodeURIComponent(machineIdentifier)}/shared_servers`

/** A server's machine identifier, trimmed, or undefined when `value` cannot be one. */
export const machineIdentifier = (value: unknown): string | undefined =>
  typeof value === "string" && /^[A-Za-z0-9_-]+$/.test(value.trim()) ? value.trim() : undefined

/** Why a value cannot be a machine identifier. */
export const machineIdentifierProblem =
  "must be a server's machine identifier, not its name: the clientIdentifier Resources.servers() lists for it, or the machineIdentifier at its /identity"

/** How many answers a cached checker keeps by default. */
export const defaultCapacity = 10_000

/**
 * The longest a checker keeps an `Unknown` for the wait its answer asked for (Retry-After): 5 minutes. A proxy's or
 * a misconfigured server's huge Retry-After (hours) would otherwise lock every user out for that long; past it the
 * next check asks plex.tv again (and keeps its new answer's wait).
 */
export const maxKeptWaitMillis = 300_000

/** How long a checker keeps an `Unknown` whose answer asked to wait `wait` ms (none: 0), at most {@link maxKeptWaitMillis}. */
export const keptWaitMillis = (wait: number | undefined): number =>
  wait === undefined || !(wait > 0) ? 0 : Math.min(wait, maxKeptWaitMillis)

/**
 * What a checker's kept `Unknown` says is left (`retryAfterMillis`) of the time it keeps that answer: `keptMillis` from
 * `at` (when the answer came), at `now`; at least 0, and at most `longestRetryAfterMillis` (2^31 s, core/policy.ts: the
 * wait RFC 9111 has a recipient take for one longer than it can represent). An infinite `unknownTtl` keeps it for good,
 * and says so with that longest wait, a number, not `Infinity`: JSON writes `Infinity` as `null` (which a
 * `Schema.Number` does not read back; Effect 4's JSON codec writes the string `"Infinity"`), and a `Retry-After` made
 * of it (WebSignIn's 503 passes one on) would say `Infinity`, which no client reads.
 */
export const keptLeftMillis = (at: number, keptMillis: number, now: number): number =>
  Math.min(longestRetryAfterMillis, Math.max(0, at + keptMillis - now))

/** Why a checker's `capacity` cannot be one, or undefined: a positive integer. */
export const capacityProblem = (capacity: unknown): string | undefined =>
  Number.isInteger(capacity) && (capacity as number) >= 1 ? undefined : "must be a positive integer"

/** What the access decision reads of a device in the user's resources. */
export interface DeviceFacts {
  readonly clientIdentifier: string
  readonly provides: string
  readonly owned: boolean
  readonly home?: boolean | undefined
  readonly ownerId?: number | undefined
  readonly sourceTitle?: string | undefined
}

/** The access a list of resources gives to a server. */
export type Decision<D> =
  | { readonly _tag: "Owner"; readonly server: D }
  | { readonly _tag: "HomeMember"; readonly server: D }
  | {
      readonly _tag: "Shared"
      readonly server: D
      readonly share: { readonly ownerId: number | undefined; readonly sourceTitle: string | undefined }
    }
  | { readonly _tag: "NoAccess" }

/**
 * The access `devices` (a user's resources) give to the server
 * `machineIdentifier`: the user's own server (`owned`), one reached through
 * the owner's Plex Home (`home`), one shared with the user, or none.
 * `owned` and `home` are read as a decoded device reads them
 * ({@link D.decodeBool}: `true`, `1`, `"1"`, `"true"`), so that a device made
 * by hand or from untyped JavaScript with `owned: "0"`, `"no"` or `"false"`
 * is not taken for the user's own server (a truthy string was `Owner`).
 */
export const accessIn = <D extends DeviceFacts>(
  devices: ReadonlyArray<D>,
  machineIdentifier: string
): Decision<D> => {
  const server = devices.find((d) => d.clientIdentifier === machineIdentifier && providesServer(d.provides))
  if (server === undefined) return { _tag: "NoAccess" }
  if (D.decodeBool(server.owned) === true) return { _tag: "Owner", server }
  if (D.decodeBool(server.home) === true) return { _tag: "HomeMember", server }
  return { _tag: "Shared", server, share: { ownerId: server.ownerId, sourceTitle: server.sourceTitle } }
}

/**
 * Whether `devices` (the owner's resources) list the server `machineIdentifier` as the account's own
 * (`owned`), as python-plexapi reads a resource (`MyPlexAccount.resource(name)` matches `clientIdentifier`,
 * `MyPlexResource.owned`) and @ctrl/plex (`MyPlexResource.owned`): the owner checker's proof that its
 * credentials own the server it answers for.
 */
export const ownsServer = (devices: ReadonlyArray<DeviceFacts>, machineIdentifier: string): boolean =>
  accessIn(devices, machineIdentifier)._tag === "Owner"

/** The names of the servers `devices` list as the account's own (what `ServerNotFound` tells an owner checker). */
export const ownedServerNames = (devices: ReadonlyArray<DeviceFacts & { readonly name: string }>) =>
  devices.filter((d) => d.owned && providesServer(d.provides)).map((d) => d.name)

/** The answers that let a user in: the owner, a member of the owner's Plex Home, a user the server is shared with. */
export const grantsAccess = (tag: string): tag is "Owner" | "HomeMember" | "Shared" =>
  tag === "Owner" || tag === "HomeMember" || tag === "Shared"

/**
 * Whether an answer lets a user in (`ServerAccess.hasAccess`): a guard over what a caller holds, so
 * anything that is not an answer (null, undefined, a number, an object without a `_tag`) does not.
 */
export const answerGrantsAccess = (access: unknown): boolean =>
  typeof access === "object" && access !== null && grantsAccess(String((access as { _tag?: unknown })._tag))

/**
 * The answer a failure to ask gives: a refused token (an `Unauthorized` of
 * HTTP `status` 401, 498 or plex.tv's 422 "Invalid token") is `InvalidToken`
 * (the user is not signed in, which says nothing about the server); anything
 * else (a network failure, a timeout, a 5xx, an unreadable answer, a rate
 * limit) is `Unknown`, never `NoAccess`. So is a 403 ({@link tokenRefusedBy}):
 * plex.tv answers `GET /api/v2/resources` 200 for every token it accepts, a
 * managed Home user's too (python-plexapi's `switchHomeUser` gives a
 * `MyPlexAccount` whose `resources()` reads it with that user's token;
 * @ctrl/plex's alike), and refuses with a 403 what a valid token's account may
 * not do, or a proxy does; python-plexapi's `MyPlexAccount.query` reads a 403
 * as `BadRequest`, not `Unauthorized`. Read as `InvalidToken`, it would sign a
 * valid managed user out (`WebSignIn`), who cannot sign in again on their own.
 */
export const failure = (errorTag: string, status: number): "InvalidToken" | "Unknown" =>
  errorTag === "Unauthorized" && tokenRefusedBy(status) ? "InvalidToken" : "Unknown"

/** What the owner's decisions read of a friend or home user. */
export interface FriendFacts {
  readonly id: number
  readonly home: boolean
  readonly servers: ReadonlyArray<{
    readonly machineIdentifier: string
    readonly pending?: boolean | undefined
  }>
}

/**
 * A user with access to the owner's server, and the share: tagged as the answers of the checks are (`_tag`
 * `HomeMember` or `Shared`, so one `switch` serves both); `access` is the same word, kept for callers that
 * read it.
 */
export interface AccessUser<F extends FriendFacts> {
  readonly _tag: "HomeMember" | "Shared"
  readonly user: F
  /** The same as `_tag` (read `_tag`, as of every answer). */
  readonly access: "HomeMember" | "Shared"
  readonly share: F["servers"][number]
}

/** The friends and home users of `list` with access to the server `machineIdentifier` (a pending invitation is not). */
export const usersOf = <F extends FriendFacts>(
  list: ReadonlyArray<F>,
  machineIdentifier: string
): ReadonlyArray<AccessUser<F>> =>
  list.flatMap((user) => {
    // A friend without its servers (from untyped JavaScript) shares none.
    const servers: ReadonlyArray<F["servers"][number] | null> = Array.isArray(user.servers)
      ? user.servers
      : []
    const share = servers.find((s) => s?.machineIdentifier === machineIdentifier && s.pending !== true)
    const tag = user.home ? "HomeMember" : "Shared"
    return share == null ? [] : [{ _tag: tag, user, access: tag, share } as const]
  })

/** The owner's answer for the account `accountId`. */
export type OwnerDecision<U> =
  | { readonly _tag: "Owner" }
  | { readonly _tag: "HomeMember"; readonly user: U }
  | { readonly _tag: "Shared"; readonly user: U }
  | { readonly _tag: "NoAccess" }

/**
 * An account id as the owner checker reads it: a number, or the canonical decimal string of a non-negative
 * integer (`"24318102"`, as an id read from JSON, a header or a form arrives from untyped JavaScript); anything
 * else (`"0x1"`, `" 7"`, `"1e3"`, `null`) is no account, undefined.
 */
export const readAccountId = (value: unknown): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined
  if (typeof value !== "string" || !/^(0|[1-9][0-9]*)$/.test(value)) return undefined
  const id = Number(value)
  return Number.isSafeInteger(id) ? id : undefined
}

/** The owner's answer for `accountId` (see {@link readAccountId}): the owner, a home user or a friend with access, or none. */
export const ownerDecision = <F extends FriendFacts, U extends AccessUser<F>>(
  value: unknown,
  ownerId: number,
  users: ReadonlyArray<U>
): OwnerDecision<U> => {
  const accountId = readAccountId(value)
  if (accountId === undefined) return { _tag: "NoAccess" }
  if (accountId === ownerId) return { _tag: "Owner" }
  const user = users.find((u) => u.user.id === accountId)
  if (user === undefined) return { _tag: "NoAccess" }
  return user._tag === "HomeMember" ? { _tag: "HomeMember", user } : { _tag: "Shared", user }
}

// ---------------------------------------------------------------------------
// Payloads (both editions build their schemas from these tables)
// ---------------------------------------------------------------------------

/** The signed-in account as the owner checker reads it: its id. */
export const accountIdFields = () => ({ id: D.num })

/** One server a friend has access to, as `GET /api/users/` lists it. */
export const serverShareFields = () => ({
  machineIdentifier: D.str,
  id: D.optional(D.num),
  serverId: D.optional(D.num),
  name: D.optional(D.str),
  numLibraries: D.optional(D.num),
  allLibraries: D.optional(D.bool),
  owned: D.optional(D.bool),
  pending: D.optional(D.bool),
  lastSeenAt: D.optional(D.num)
})

/** A friend or home user of the owner, as `GET /api/users/` lists it, with Plex's `Server` entries as `servers`. */
export const friendFields = <S>(share: D.CodecLike<S>) => ({
  id: D.num,
  title: D.withDefault(D.str, ""),
  username: D.withDefault(D.str, ""),
  email: D.optional(D.string),
  thumb: D.optional(D.string),
  /** A user of the owner's Plex Home. */
  home: D.withDefault(D.bool, false),
  /** A managed user. */
  restricted: D.withDefault(D.bool, false),
  protected: D.withDefault(D.bool, false),
  servers: D.array(share, { fromKey: "Server" })
})

/** The `MediaContainer` of `GET /api/users/`: its `User` entries. */
export const friendsContainerFields = <F>(friend: D.CodecLike<F>) => ({ User: D.array(friend) })

/** One user a server is shared with, with that user's own `accessToken` for the server (a secret). */
export const sharedServerFields = <S>(secret: D.CodecLike<S>) => ({
  userID: D.num,
  accessToken: secret,
  id: D.optional(D.num),
  username: D.optional(D.str),
  email: D.optional(D.string),
  name: D.optional(D.string),
  acceptedAt: D.optional(D.num),
  invitedAt: D.optional(D.num)
})

/** The `MediaContainer` of `GET /api/servers/{machineId}/shared_servers`: its `SharedServer` entries. */
export const sharedServersContainerFields = <S>(shared: D.CodecLike<S>) => ({ SharedServer: D.array(shared) })

/** plex.tv `GET /api/users/` (XML): the owner's friends and home users with their shares. */
export const getUsers = {
  endpoint: "getUsers",
  method: "GET",
  path: friendsPath,
  xml: legacyAnswers
} as const satisfies Endpoint

/** plex.tv `GET /api/servers/{machineIdentifier}/shared_servers` (XML); 404 for a server not the account's. */
export const getSharedServers = (machineIdentifier: string) =>
  ({
    endpoint: "getSharedServers",
    method: "GET",
    path: sharedServersPath(machineIdentifier),
    xml: legacyAnswers,
    notFound: true
  }) as const satisfies Endpoint

/** The signed-in account, read for its id: `PlexAuth`'s own endpoint. */
export const getOwner = tokenDetails
