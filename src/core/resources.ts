/**
 * Facts about Plex server discovery, as plain functions with no Effect in
 * them (both editions' `Resources` use them): the resources request, which
 * base URLs a server's connections give and in which order to prefer them,
 * when the choice among racing probes is certain, and how a server is found
 * by name.
 *
 * @internal
 */
import * as D from "./decode.js"
import { deviceDescriptionFields } from "./devices.js"
import type { Endpoint } from "./endpoint.js"

/** plex.tv's list of an account's devices. */
export const resourcesPath = "/api/v2/resources"

/**
 * The query of {@link resourcesPath}: HTTPS, relay and IPv6 connections
 * included (@ctrl/plex's `MyPlexResource.key` asks for the same;
 * python-plexapi's `MyPlexResource.key` leaves out `includeIPv6`).
 */
export const resourcesParams: ReadonlyArray<readonly [string, string]> = [
  ["includeHttps", "1"],
  ["includeRelay", "1"],
  ["includeIPv6", "1"]
]

// Payloads: each edition builds its `Resources` schemas from these tables with its `lenient.ts`.

/** One connection of a device, as {@link resourcesPath} lists it (`Resources.DeviceConnection`). */
export const deviceConnectionFields = () => ({
  uri: D.optional(D.string),
  protocol: D.optional(D.string),
  address: D.optional(D.str),
  port: D.optional(D.num),
  local: D.withDefault(D.bool, false),
  relay: D.withDefault(D.bool, false),
  IPv6: D.withDefault(D.bool, false)
})

/**
 * A device of an account, as {@link resourcesPath} lists it (`Resources.Device`): only `clientIdentifier` is
 * required; its `accessToken` in the edition's `secret`, its `connections` in `connection`.
 */
export const deviceFields = <S, C>(secret: D.CodecLike<S>, connection: D.CodecLike<C>) => ({
  /** The device's identifier; for a server, its machine identifier. */
  clientIdentifier: D.str,
  ...deviceDescriptionFields(),
  /** What the device provides, comma-separated (a server provides `server`). */
  provides: D.withDefault(D.string, ""),
  /** Whether the account owns the device. */
  owned: D.withDefault(D.bool, false),
  home: D.optional(D.bool),
  synced: D.optional(D.bool),
  presence: D.optional(D.bool),
  /** The token to use on this device, `Redacted`. */
  accessToken: D.optional(secret),
  ownerId: D.optional(D.num),
  sourceTitle: D.optional(D.string),
  publicAddress: D.optional(D.string),
  httpsRequired: D.optional(D.bool),
  publicAddressMatches: D.optional(D.bool),
  relay: D.optional(D.bool),
  dnsRebindingProtection: D.optional(D.bool),
  natLoopbackSupported: D.optional(D.bool),
  createdAt: D.optional(D.string),
  lastSeenAt: D.optional(D.string),
  /** Its connections; malformed entries are dropped. */
  connections: D.array(connection)
})

/** What a server says of itself at {@link identityPath} (`Resources.ServerIdentity`). */
export const serverIdentityFields = () => ({
  machineIdentifier: D.str,
  version: D.optional(D.str),
  claimed: D.optional(D.bool)
})

/** What a Plex Media Server answers to anyone, without a token: its machine identifier. */
export const identityPath = "/identity"

/**
 * The token check on a chosen connection: `GET /`, which a Plex Media Server
 * answers only with a token it accepts (python-plexapi's
 * `PlexServer(baseurl, token)` reads it the same way).
 */
export const tokenCheckPath = "/"

/** How long one probe may take by default: 10 seconds. */
export const defaultTimeoutMillis = 10_000

/** How long to wait for a better-ranked candidate once one has answered, by default: 250 ms. */
export const defaultGraceMillis = 250

/** Whether a device's `provides` (comma-separated) says `server`; anything but a string does not. */
export const providesServer = (provides: unknown): boolean =>
  typeof provides === "string" && provides.split(",").some((p) => p.trim().toLowerCase() === "server")

/**
 * Whether a device provides `server` (`Resources.isServer`): a guard, so anything that is not a device with
 * a `provides` list (null, undefined, a number, `{}` from untyped JavaScript) is not a server.
 */
export const isServerDevice = (device: unknown): boolean => {
  return providesServer(D.fieldOf(device, "provides"))
}

/** Where a connection leads: the server's own network, the internet, or Plex's relay. */
export type Location = "local" | "remote" | "relay"

/** The protocol of a candidate URL. */
export type Protocol = "http" | "https"

/** What the candidate rules read of a connection. */
export interface ConnectionFacts {
  readonly uri?: string | undefined
  readonly address?: string | undefined
  readonly port?: number | undefined
  readonly local: boolean
  readonly relay: boolean
  readonly IPv6: boolean
}

/** One base URL to try for a server, and the connection it comes from. */
export interface Candidate<C extends ConnectionFacts = ConnectionFacts> {
  /** The base URL, `http(s)://host:port`, without a trailing slash. */
  readonly uri: string
  readonly protocol: Protocol
  readonly location: Location
  /** Whether the host is an IPv6 address or the connection says IPv6. */
  readonly ipv6: boolean
  readonly connection: C
}

/** A comparison: negative when `a` is better, 0 when they tie (an Effect `Order` is one). */
export type Compare<A> = (a: A, b: A) => -1 | 0 | 1

/** The default order of locations, best first. */
export const defaultLocations: ReadonlyArray<Location> = ["local", "remote", "relay"]

/** The default order of protocols, best first. */
export const defaultProtocols: ReadonlyArray<Protocol> = ["https", "http"]

/**
 * Ranks candidates by location, then protocol, in the orders given (earlier
 * is better; default local > remote > relay, then https > http); anything
 * not listed comes after what is.
 */
export const preferring = (options: {
  readonly locations?: ReadonlyArray<Location> | undefined
  readonly protocols?: ReadonlyArray<Protocol> | undefined
}): Compare<Candidate<any>> => {
  const position =
    <K>(list: ReadonlyArray<K>) =>
    (key: K): number => {
      const index = list.indexOf(key)
      return index === -1 ? list.length : index
    }
  const byLocation = position(options.locations ?? defaultLocations)
  const byProtocol = position(options.protocols ?? defaultProtocols)
  return (a, b) => {
    const d =
      byLocation(a.location) - byLocation(b.location) || byProtocol(a.protocol) - byProtocol(b.protocol)
    return d < 0 ? -1 : d > 0 ? 1 : 0
  }
}

/** Which candidates to build and how to rank them. */
export interface CandidateRules {
  readonly rank?: Compare<Candidate<any>> | undefined
  /** Whether to try local connections (default: whenever listed). */
  readonly includeLocal?: boolean | undefined
  /**
   * Whether to try HTTPS only (default: when the server says `httpsRequired`; otherwise plain HTTP only on local
   * connections and where plex.tv lists it). `false` overrides `httpsRequired` and makes up plain-HTTP URLs for
   * remote connections too.
   */
  readonly httpsOnly?: boolean | undefined
}

const baseUrl = (raw: string): URL | undefined => {
  try {
    const url = new URL(raw)
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined
    if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") return undefined
    return url
  } catch {
    return undefined
  }
}

const normalise = (url: URL): string => `${url.origin}${url.pathname.replace(/\/+$/, "")}`

/**
 * Whether a device says it requires secure connections (plex.tv's `httpsRequired`), read as a decoded device reads it
 * (D.decodeBool: `true`, `1`, `"1"`, `"true"`), never by truthiness: a device kept by hand with `"0"` does not.
 */
export const requiresHttps = (device: { readonly httpsRequired?: unknown }): boolean =>
  D.decodeBool(device.httpsRequired) === true

/**
 * The base URLs to try for a device, best first: for each connection its
 * `uri` and, for a local connection, `http://address:port` (IPv6 addresses
 * bracketed), without duplicates (the best-ranked occurrence wins; ties keep
 * plex.tv's order).
 *
 * - Local connections are tried whenever listed unless `includeLocal` is
 *   `false`. Trying them only for an owned server with
 *   `publicAddressMatches !== false` sent Home members on the LAN, VPN and
 *   dual-stack users to remote or relay (watchstate issue 325: a real server
 *   reporting `publicAddressMatches: false`). Probing them is safe: no token
 *   goes with a probe, and the identity check rejects a stranger's address.
 * - HTTPS only when `httpsOnly` is `true`, or when it is left out and the
 *   server says `httpsRequired` (`false` tries plain HTTP even then).
 * - A remote connection gets no made-up `http://address:port` unless
 *   `httpsOnly` is `false`: the token would cross the internet in clear to
 *   a public address (Plex's apps allow insecure connections only on the
 *   server's network by default). Making one up is for the local network,
 *   where a router's DNS-rebinding protection may keep `*.plex.direct` names
 *   of private addresses from resolving. A remote `uri` that plex.tv lists
 *   as `http://` (a server with secure connections disabled) is kept.
 *   python-plexapi's and @ctrl/plex's `preferred_connections` make one up
 *   for every connection, relay included.
 * - A relay connection is tried only at its listed `uri`, whatever
 *   `httpsOnly` says: a made-up plain-HTTP URL would carry everything in
 *   clear through Plex's relay.
 */
export const candidates = <C extends ConnectionFacts>(
  device: { readonly connections: ReadonlyArray<C>; readonly httpsRequired?: boolean | undefined },
  rules: CandidateRules = {}
): ReadonlyArray<Candidate<C>> => {
  const includeLocal = rules.includeLocal ?? true
  const httpsOnly = rules.httpsOnly ?? requiresHttps(device)
  const built: Array<Candidate<C>> = []
  for (const connection of device.connections) {
    // Read as a decoded connection reads them (D.decodeBool), never by truthiness: a hand-made `local: "0"` is
    // remote, not given a made-up http://<public address>:port (and `IPv6: "0"` is no IPv6, `httpsRequired: "0"` no
    // requirement: requiresHttps).
    const local = D.decodeBool(connection.local) === true
    const relay = D.decodeBool(connection.relay) === true
    if (local && !includeLocal) continue
    const location: Location = relay ? "relay" : local ? "local" : "remote"
    const urls: Array<URL> = []
    if (connection.uri !== undefined) {
      const url = baseUrl(connection.uri)
      if (url !== undefined) urls.push(url)
    }
    // A device made by hand (untyped JavaScript) may hold anything there: what is not a string gives no URL, as a
    // `uri` that is not one does.
    const address = typeof connection.address === "string" ? connection.address.trim() : undefined
    if (
      !relay &&
      (local || rules.httpsOnly === false) &&
      address !== undefined &&
      address !== "" &&
      connection.port !== undefined &&
      !/[\s/@?#]/.test(address)
    ) {
      const host = address.includes(":") && !address.startsWith("[") ? `[${address}]` : address
      const url = baseUrl(`http://${host}:${connection.port}`)
      if (url !== undefined) urls.push(url)
    }
    for (const url of urls) {
      const protocol: Protocol = url.protocol === "https:" ? "https" : "http"
      if (httpsOnly && protocol !== "https") continue
      built.push({
        uri: normalise(url),
        protocol,
        location,
        ipv6: D.decodeBool(connection.IPv6) === true || url.hostname.startsWith("["),
        connection
      })
    }
  }
  const rank = rules.rank ?? preferring({})
  const sorted = built
    .map((candidate, index) => ({ candidate, index }))
    .sort((a, b) => rank(a.candidate, b.candidate) || a.index - b.index)
    .map(({ candidate }) => candidate)
  const seen = new Set<string>()
  return sorted.filter((candidate) => {
    if (seen.has(candidate.uri)) return false
    seen.add(candidate.uri)
    return true
  })
}

/**
 * The rank class of each candidate of a list sorted best first: candidates
 * that tie under `rank` share a class (equally good), the next better one
 * gets the next number.
 */
export const rankClasses = <A>(sorted: ReadonlyArray<A>, rank: Compare<A>): ReadonlyArray<number> => {
  const classes: Array<number> = []
  sorted.forEach((candidate, i) => {
    const previous = sorted[i - 1]
    const previousClass = classes[i - 1]
    classes.push(
      previous === undefined || previousClass === undefined
        ? 0
        : rank(previous, candidate) === 0
          ? previousClass
          : previousClass + 1
    )
  })
  return classes
}

/**
 * The bookkeeping of racing probes, and when the choice is certain. Tell it
 * each probe's end with {@link Choice.settle}; ask {@link Choice.certain}
 * after each. The best answer is the best-ranked one; among candidates that
 * tie, the first to answer, and among those that answered in the same
 * millisecond, the first in the candidates' order (the ranking's, then
 * plex.tv's): by their times and places, never by which end the scheduler
 * ran first (each edition's `TestClock` wakes sleepers in its own order), so
 * both editions choose alike. Choosing stops:
 * - when a candidate answered and every better-ranked one has failed, and
 *   every tie listed before it has failed or its millisecond is over
 *   ({@link Choice.certain}; wait {@link Choice.wait} for that), or
 * - at {@link Choice.deadline} (`grace` after the first answer), settling for
 *   the best that answered before it ({@link Choice.bestAnswered}; a probe
 *   ending then is {@link Choice.tooLate}); an answer in the first answer's
 *   own millisecond always counts, so with a zero `grace` the window closes
 *   once that millisecond is over, or
 * - when no probe is pending any more.
 */
export interface Choice {
  /** Records that probe `index` ended `at` (ms since the race started), answering as the server or not. */
  readonly settle: (index: number, answered: boolean, at: number) => void
  /** At `now` (ms since the start): the best answer, if no probe still running could beat it. */
  readonly certain: (now: number) => number | undefined
  /** The best candidate that answered so far. */
  readonly bestAnswered: () => number | undefined
  /** When to stop waiting for better candidates (ms since the start): `grace` after the first answer. */
  readonly deadline: () => number | undefined
  /**
   * At `now`, how long to wait for the next probe's end at most (ms): until {@link Choice.deadline} (with a zero
   * `grace`, until the first answer's millisecond is over), or sooner until the best answer's millisecond is over
   * while a tie listed before it may still answer in it; undefined: until a probe ends.
   */
  readonly wait: (now: number) => number | undefined
  /** How many probes are still running. */
  readonly pending: () => number
  /** Whether probe `index` has ended. */
  readonly isSettled: (index: number) => boolean
  /**
   * Whether a probe that ended `at` (ms since the start) ended once the grace window was over, at or after
   * {@link Choice.deadline}: it no longer counts, and the choice is {@link Choice.bestAnswered}. Whether its
   * end or the window's is seen first at that very instant is up to the scheduler (each edition's
   * `TestClock` runs them in its own order): by their times, both editions choose alike. An end in the first
   * answer's own millisecond is never too late: with a zero `grace` the deadline is that very millisecond, and
   * the answers in it would otherwise count or not by the order the scheduler ran them in.
   */
  readonly tooLate: (at: number) => boolean
}

/** A {@link Choice} over candidates of the given {@link rankClasses}. */
export const makeChoice = (classes: ReadonlyArray<number>, graceMillis: number): Choice => {
  const settled = classes.map(() => false)
  // When each candidate answered (ms since the start); Infinity until it does.
  const answeredAt = classes.map(() => Infinity)
  let pending = classes.length
  let deadline: number | undefined
  // When the first answer came (ms since the start): an end at that time is never too late (see `tooLate`).
  let firstAt = Infinity
  const classOf = (i: number) => classes[i] ?? Infinity
  const timeOf = (i: number) => answeredAt[i] ?? Infinity
  const bestAnswered = (): number | undefined => {
    let best: number | undefined
    answeredAt.forEach((at, i) => {
      if (at === Infinity) return
      // Better ranked; or tied and sooner; or tied, at the same millisecond and listed first (i ascends).
      if (
        best === undefined ||
        classOf(i) < classOf(best) ||
        (classOf(i) === classOf(best) && at < timeOf(best))
      ) {
        best = i
      }
    })
    return best
  }
  /** Whether a probe still running, tied with `best` and listed before it, may still answer in its millisecond. */
  const tieMayAnswer = (best: number, now: number) =>
    now <= timeOf(best) && classes.some((c, i) => i < best && c === classOf(best) && !settled[i])
  return {
    settle: (index, ok, at) => {
      if (settled[index] !== false) return
      settled[index] = true
      pending--
      if (ok) {
        answeredAt[index] = at
        if (deadline === undefined) {
          firstAt = at
          deadline = at + graceMillis
        }
      }
    },
    bestAnswered,
    certain: (now) => {
      const best = bestAnswered()
      if (best === undefined) return undefined
      const bestClass = classOf(best)
      return classes.some((c, i) => c < bestClass && !settled[i]) || tieMayAnswer(best, now)
        ? undefined
        : best
    },
    deadline: () => deadline,
    wait: (now) => {
      const best = bestAnswered()
      const ends = [
        // A zero grace: the first answer's millisecond is still on (`tooLate`), so wait until it is over.
        ...(deadline === undefined ? [] : [deadline > now ? deadline : firstAt + 1]),
        ...(best !== undefined && tieMayAnswer(best, now) ? [timeOf(best) + 1] : [])
      ]
      return ends.length === 0 ? undefined : Math.max(0, Math.min(...ends) - now)
    },
    pending: () => pending,
    isSettled: (index) => settled[index] === true,
    tooLate: (at) => deadline !== undefined && at >= deadline && at > firstAt
  }
}

/** Why an answer to `/identity` is not this server's, or undefined when it is. */
export const wrongServer = (answeredAs: string, expected: string): string | undefined =>
  answeredAs === expected ? undefined : `answered as server ${answeredAs}, not ${expected}`

/** What became of a probe, as a `ConnectionAttempt` reports it. */
export type AttemptOutcome = "Reachable" | "Failed" | "WrongServer" | "Cancelled"

/** The `reason` of a failed probe: the error's tag, and its reason when it has one (`NetworkError/Timeout`). */
export const failureReason = (error: { readonly _tag: string; readonly reason?: unknown }): string =>
  typeof error.reason === "string" && error._tag !== "InvalidInput"
    ? `${error._tag}/${error.reason}`
    : error._tag

/**
 * The server among `servers` named `nameOrId`: its client identifier, else
 * its exact name, else its name ignoring case; the first such when several
 * match.
 */
export const findServer = <D extends { readonly clientIdentifier: string; readonly name: string }>(
  servers: ReadonlyArray<D>,
  nameOrId: string
): D | undefined =>
  servers.find((s) => s.clientIdentifier === nameOrId) ??
  servers.find((s) => s.name === nameOrId) ??
  servers.find((s) => s.name.toLowerCase() === nameOrId.toLowerCase())

/** plex.tv `GET /api/v2/resources` ({@link resourcesParams}): the account's devices. */
export const getServerResources = {
  endpoint: "getServerResources",
  method: "GET",
  path: resourcesPath,
  urlParams: resourcesParams
} as const satisfies Endpoint

/** PMS `GET /identity`, without a token: `{ MediaContainer: { machineIdentifier, version, claimed } }`. */
export const getServerIdentity = {
  endpoint: "getServerIdentity",
  method: "GET",
  path: identityPath
} as const satisfies Endpoint

/** PMS `GET /` with the token ({@link tokenCheckPath}): only its status is read. */
export const verifyServerToken = {
  endpoint: "verifyServerToken",
  method: "GET",
  path: tokenCheckPath,
  noContent: true
} as const satisfies Endpoint

/** Why a probe did not find the server there: its outcome, reason and detail, as a `ConnectionAttempt` reports them. */
export interface ProbeFailure {
  readonly outcome: "Failed" | "WrongServer"
  readonly reason: string
  readonly detail: string
}

/** A probe that failed with `error` (an edition's `PlexError`). */
export const probeFailed = (error: {
  readonly _tag: string
  readonly reason?: unknown
  readonly message: string
}): ProbeFailure => ({ outcome: "Failed", reason: failureReason(error), detail: error.message })

/** A probe answered by another server ({@link wrongServer}'s detail). */
export const probeWrongServer = (detail: string): ProbeFailure => ({
  outcome: "WrongServer",
  reason: "WrongServer",
  detail
})

/**
 * A probe that died (a defect), or that the caller's client ended as an interruption of its own: a failure like any
 * other, so that one bad candidate never fails, nor holds up, the race.
 */
export const probeDefect: ProbeFailure = {
  outcome: "Failed",
  reason: "Defect",
  detail: "the probe failed unexpectedly"
}

/** A field of `Resources.connect`'s input that cannot be what it should, and why. */
export interface InputProblem {
  readonly field: string
  readonly problem: string
}

/**
 * Why `server` cannot be a device to connect to, or undefined: untyped
 * JavaScript may pass anything, and `connect` fails with `InvalidInput`
 * (never a `TypeError`) before any request. It needs a `clientIdentifier`
 * (what a probe's answer is checked against) and a list of connection
 * objects (a device decoded from plex.tv always has both).
 */
export const serverProblem = (server: {
  readonly clientIdentifier?: unknown
  readonly connections?: unknown
}): string | undefined =>
  typeof server.clientIdentifier !== "string" || server.clientIdentifier === ""
    ? "must have a clientIdentifier (a device from Resources.list or Resources.servers)"
    : !Array.isArray(server.connections) ||
        server.connections.some((c) => typeof c !== "object" || c === null || Array.isArray(c))
      ? "must have a list of connections (a device from Resources.list or Resources.servers)"
      : undefined

/**
 * Why the flags and the ranking of `Resources.connect`'s options cannot be
 * what they should (`includeLocal`, `httpsOnly` and `verifyToken` booleans,
 * `rank` a comparison function), or undefined. A string `"false"` is refused
 * rather than read as true.
 */
export const optionsProblem = (options: {
  readonly rank?: unknown
  readonly includeLocal?: unknown
  readonly httpsOnly?: unknown
  readonly verifyToken?: unknown
}): InputProblem | undefined => {
  if (options.rank !== undefined && typeof options.rank !== "function") {
    return { field: "rank", problem: "must be an Order (a comparison function)" }
  }
  for (const field of ["includeLocal", "httpsOnly", "verifyToken"] as const) {
    const value = options[field]
    if (value !== undefined && typeof value !== "boolean") return { field, problem: "must be a boolean" }
  }
  return undefined
}

/** Why a device's `connections` cannot be ranked (`Resources.candidates`), or undefined: an array of objects. */
export const connectionsProblem = (connections: unknown): string | undefined =>
  Array.isArray(connections) &&
  connections.every((connection) => typeof connection === "object" && connection !== null)
    ? undefined
    : "must be an array of connections"

/** Why `nameOrId` cannot name a server for `Resources.connectByName`, or undefined: a non-empty string. */
export const nameProblem = (nameOrId: unknown): string | undefined =>
  typeof nameOrId !== "string"
    ? `must be a server's name or client identifier (a string), not ${nameOrId === null ? "null" : typeof nameOrId}`
    : nameOrId.trim() === ""
      ? "must not be empty"
      : undefined

/** Why `Resources.connect` has no token to use. */
export const noTokenProblem = "has no accessToken, and no Credentials are provided to use instead"

/**
 * Why `Resources.connect` may not use the `Credentials` in context (the account token) for `server`, which has
 * no `accessToken` of its own, or undefined: only on the account's own server (`owned`, read as a decoded device
 * reads it). The account token opens the whole account at plex.tv; a server someone else owns gets its own token
 * (python-plexapi's `MyPlexResource.connect` and @ctrl/plex's send the resource's `accessToken`, never the
 * account's).
 */
export const accountTokenProblem = (server: { readonly owned?: unknown }): string | undefined =>
  D.decodeBool(server.owned) === true
    ? undefined
    : "has no accessToken, and is not the account's own server (owned): the account token is never sent to a " +
      "server someone else owns"

/** A `ConnectionAttempt`'s fields. */
export interface AttemptFacts {
  readonly uri: string
  readonly location: Location
  readonly protocol: Protocol
  readonly outcome: AttemptOutcome
  readonly millis: number
  readonly reason?: string | undefined
  readonly detail?: string | undefined
}

/**
 * What became of `candidate`'s probe: cancelled (at `decidedAt`) when it had
 * not settled when the choice was made, reachable, or failed with `failure`.
 */
export const attempt = (
  candidate: { readonly uri: string; readonly location: Location; readonly protocol: Protocol },
  settled: { readonly millis: number; readonly failure: ProbeFailure | undefined } | undefined,
  decidedAt: number
): AttemptFacts => {
  const base = { uri: candidate.uri, location: candidate.location, protocol: candidate.protocol }
  if (settled === undefined) return { ...base, outcome: "Cancelled", millis: decidedAt }
  return settled.failure === undefined
    ? { ...base, outcome: "Reachable", millis: settled.millis }
    : {
        ...base,
        outcome: settled.failure.outcome,
        millis: settled.millis,
        reason: settled.failure.reason,
        detail: settled.failure.detail
      }
}

/** `Resources.connect`'s span attributes before the race: the server, how many candidates, the probe timeout and grace. */
export const raceAttributes = (input: {
  readonly serverId: string
  readonly candidates: number
  readonly timeoutMillis: number
  readonly graceMillis: number
}): Record<string, string | number> => ({
  "plex.server.id": input.serverId,
  "plex.candidates": input.candidates,
  "plex.probe.timeout_ms": input.timeoutMillis,
  "plex.probe.grace_ms": input.graceMillis
})

/** `Resources.connect`'s span attributes of the connection chosen: its URL, where it leads, when it was chosen. */
export const chosenAttributes = (
  candidate: { readonly uri: string; readonly location: string },
  elapsedMillis: number
): Record<string, string | number> => ({
  "plex.connection.uri": candidate.uri,
  "plex.connection.location": candidate.location,
  "plex.connection.elapsed_ms": elapsedMillis
})

/** `Resources.connect`'s span attribute once the chosen connection accepted the token (`verifyToken`): true. */
export const tokenVerifiedAttribute = "plex.connection.token_verified"

/** The attempts as span attributes: `plex.probe.<i>.uri`, `.outcome`, `.millis` and `.reason` when there is one. */
export const attemptAttributes = (attempts: ReadonlyArray<AttemptFacts>): Record<string, string | number> =>
  Object.fromEntries(
    attempts.flatMap((a, i) => [
      [`plex.probe.${i}.uri`, a.uri],
      [`plex.probe.${i}.outcome`, a.outcome],
      [`plex.probe.${i}.millis`, a.millis],
      ...(a.reason === undefined ? [] : [[`plex.probe.${i}.reason`, a.reason]])
    ])
  )

/**
 * `text` with `address` replaced by `by` where Node's errors write one: after a system error code
 * (`connect ECONNREFUSED ::1:32400`, `getaddrinfo ENOTFOUND h.example`), up to a space, `,`, `;`, `)` or the end.
 */
const replaceAfterCode = (text: string, address: string, by: string): string =>
  text.replace(
    new RegExp(`(?<=\\bE[A-Z0-9_]+ )${address.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=$|[\\s,;)])`, "g"),
    by
  )

/**
 * What an attempt's cause reads like once its own address is taken out: the same for every address a cause
 * shares. The address as the URL writes it (`http://[::1]:32400`, `[::1]:32400`), and as Node's errors do:
 * after a system error code, an IPv6 address without brackets and every port written (`connect ECONNREFUSED
 * ::1:32400`, `10.0.0.1:80`), a name it could not resolve alone (`getaddrinfo ENOTFOUND h.example`).
 */
const sharedCause = (uri: string, detail: string): string => {
  const base = uri.replace(/\/+$/, "")
  let url: URL | undefined
  try {
    url = new URL(base)
  } catch {
    url = undefined
  }
  const withoutUri = base === "" ? detail : detail.split(base).join(addressPlaceholder)
  if (url === undefined || url.host === "") return withoutUri
  const bare = url.hostname.replace(/^\[(.*)\]$/, "$1")
  const port =
    url.port !== "" ? url.port : url.protocol === "https:" ? "443" : url.protocol === "http:" ? "80" : ""
  const asNodeSays = replaceAfterCode(
    port === "" ? withoutUri : replaceAfterCode(withoutUri, `${bare}:${port}`, addressPlaceholder),
    bare,
    addressPlaceholder
  )
  return asNodeSays.split(url.host).join(addressPlaceholder)
}

/** What stands for each address in a cause that several addresses share. */
const addressPlaceholder = "<address>"

/**
 * `NoReachableConnection`'s message: what became of the attempts, each cause said once with the addresses
 * (URL and where it leads) that met it, in the order they were tried. Addresses that failed alike (the same
 * reason, and a detail that differs only by the address) share one entry, whose detail reads `<address>`
 * where each address stood; an address alone with its cause keeps its detail as it is. The detail's
 * leading operation (the message's own) is not repeated. Every attempt's own detail stays in `attempts`. When a
 * remote connection failed over HTTPS and no remote one was tried over plain HTTP, it says that `httpsOnly: false`
 * would try plain HTTP at the public addresses too, and that the token then crosses the internet unencrypted
 * ({@link remoteHttpsOnlyHint}), unless the server requires secure connections (`httpsRequired`).
 */
export const noReachableConnectionMessage = (e: {
  readonly operation: string
  readonly server: string
  readonly clientIdentifier: string
  readonly httpsRequired?: boolean | undefined
  readonly attempts: ReadonlyArray<{
    readonly uri: string
    readonly location: string
    readonly outcome: string
    readonly reason?: string | undefined
    readonly detail?: string | undefined
  }>
}): string => {
  const prefix = `${e.operation}: `
  const groups = new Map<
    string,
    { readonly reason: string; readonly detail: string; readonly shared: string; where: Array<string> }
  >()
  for (const a of e.attempts) {
    const reason = a.reason ?? a.outcome
    const detail =
      a.detail === undefined ? "" : a.detail.startsWith(prefix) ? a.detail.slice(prefix.length) : a.detail
    const shared = sharedCause(a.uri, detail)
    const key = JSON.stringify([reason, shared])
    const where = `${a.uri} (${a.location})`
    const group = groups.get(key)
    if (group === undefined) groups.set(key, { reason, detail, shared, where: [where] })
    else group.where.push(where)
  }
  const what =
    e.attempts.length === 0
      ? "it offers no usable connection (none that connect may try: see Resources.candidates; a device that is " +
        "not a server, a player say, usually lists none: Resources.servers() keeps only the servers)"
      : Array.from(groups.values(), ({ reason, detail, shared, where }) => {
          const cause = where.length > 1 ? shared : detail
          return `${where.join(", ")}: ${reason}${cause === "" ? "" : ` (${cause})`}`
        }).join("; ")
  // A remote connection's HTTPS address failed and no plain-HTTP one was tried: `candidates` makes up none for a remote
  // connection unless `httpsOnly: false`, so say what that option would try, and what it costs. Not for a server that
  // requires secure connections (`httpsRequired`): it says it takes no plain HTTP, so the option would only add
  // attempts it refuses.
  const remote = e.attempts.filter((a) => a.location === "remote")
  const httpsOnly =
    e.httpsRequired !== true &&
    remote.some((a) => a.outcome === "Failed" && a.uri.startsWith("https:")) &&
    !remote.some((a) => a.uri.startsWith("http:"))
  return `${e.operation}: no connection to "${e.server}" (${e.clientIdentifier}) answered: ${what}${httpsOnly ? remoteHttpsOnlyHint : ""}`
}

/** What {@link noReachableConnectionMessage} adds when a remote connection failed over HTTPS and plain HTTP was not tried. */
export const remoteHttpsOnlyHint =
  "; remote connections were tried over HTTPS only: httpsOnly: false would also try plain HTTP at their public " +
  "addresses (http://address:port), sending the server's token over the internet unencrypted"

/**
 * `ServerNotFound`'s message: the name or identifier asked for and the servers the account has (for an owner
 * checker, those it owns).
 */
export const serverNotFoundMessage = (e: {
  readonly operation: string
  readonly server: string
  readonly available: ReadonlyArray<string>
}): string => {
  const known = e.available.length === 0 ? "none" : e.available.map((n) => `"${n}"`).join(", ")
  return `${e.operation}: the account has no server "${e.server}" (it has: ${known})`
}
