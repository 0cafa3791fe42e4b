/**
 * Server discovery: the servers and devices of an account (plex.tv
 * `GET /api/v2/resources`), and the fastest best connection to one of them.
 *
 * A server offers several ways in: local addresses, public ones, Plex's
 * relay, over HTTPS (a `plex.direct` name) and plain HTTP (on the server's
 * network, or where plex.tv lists it; see {@link candidates}).
 * {@link connect} probes them all at once, without any token, and settles
 * on the best-ranked one that answers as that server, as soon as
 * that is certain — a dead address never costs its full timeout once a good
 * one has answered. The result provides a `PlexServer` and the server's own
 * `Credentials`, ready for the server operations
 * (`PlexAuth.getTransientToken()`, ...): only they send the token, and only
 * to the chosen URL.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Order from "effect/Order"
import * as Queue from "effect/Queue"
import type * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import type { ClientIdentity } from "./ClientIdentity.js"
import {
  ConnectionAttempt,
  type InvalidInput,
  NoReachableConnection,
  type PlexError,
  type ResponseError,
  ServerNotFound
} from "./PlexError.js"
import * as L from "./internal/lenient.js"
import * as Request from "./internal/request.js"
import { Credentials } from "./Credentials.js"
import { PlexServer } from "./PlexServer.js"
import * as V from "./internal/validate.js"
import { withSchema } from "./core/endpoint.js"
import * as Facts from "./core/resources.js"

// ---------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------

/**
 * One connection of a device, as plex.tv lists it: its `uri` (for HTTPS a
 * `plex.direct` name), protocol, address and port, and whether it is local,
 * relayed or IPv6 (each `false` when absent). Unknown fields are kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DeviceConnection = /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.deviceConnectionFields())

/**
 * @since 0.1.0
 * @category models
 */
export interface DeviceConnection extends Schema.Schema.Type<typeof DeviceConnection> {}

/**
 * A device of an account (a server, a player, ...), as `GET /api/v2/resources`
 * lists it. Only `clientIdentifier` is required; `name` and `provides`
 * default to `""` and `owned` to `false`; the other known fields are kept
 * when present and well-formed, unknown fields as they came. The device's
 * `accessToken` — the token to use on that server — is `Redacted`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Device = /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.deviceFields(L.Secret, DeviceConnection))

/**
 * @since 0.1.0
 * @category models
 */
export interface Device extends Schema.Schema.Type<typeof Device> {}

/**
 * The body of `GET /api/v2/resources`: an array of devices. A device that
 * does not decode (no `clientIdentifier`) is dropped, not fatal.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Devices = /*#__PURE__*/ L.items(Device)

/**
 * What a server says of itself at `GET /identity`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ServerIdentity = /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.serverIdentityFields())

/**
 * @since 0.1.0
 * @category models
 */
export interface ServerIdentity extends Schema.Schema.Type<typeof ServerIdentity> {}

const IdentityResponse = /*#__PURE__*/ L.struct({ MediaContainer: ServerIdentity })

// ---------------------------------------------------------------------------
// Listing
// ---------------------------------------------------------------------------

/**
 * The errors of {@link list} and {@link servers}.
 *
 * @since 0.1.0
 * @category models
 */
export type ListError = InvalidInput | ResponseError

const resourcesSpec = /*#__PURE__*/ withSchema(Facts.getServerResources, Devices)

/**
 * The account's devices — servers, players and other clients — with their
 * connections (HTTPS, relay and IPv6 ones included): plex.tv
 * `GET /api/v2/resources` with the account token.
 *
 * @since 0.1.0
 * @category listing
 */
export const list = (): Effect.Effect<
  ReadonlyArray<Device>,
  ListError,
  HttpClient.HttpClient | ClientIdentity | Credentials
> => listAs("Resources.list")

/** `GET /api/v2/resources` for the public function `operation` (its span and errors are named after it). */
const listAs = (operation: string) =>
  Effect.map(Request.plexTv(operation, resourcesSpec), (success) => success.value)

/**
 * Whether a device provides `server` (a Plex Media Server). A guard, it
 * never throws: anything that is not a device (`null`, `undefined`, a
 * number, `{}`) is not a server (`false`).
 *
 * @since 0.1.0
 * @category listing
 */
export const isServer = (device: Device): boolean => Facts.isServerDevice(device)

/**
 * The account's servers: the devices of {@link list} that provide `server`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resources } from "effect-plex-auth"
 *
 * const names = Resources.servers().pipe(Effect.map((servers) => servers.map((server) => server.name)))
 * ```
 *
 * @since 0.1.0
 * @category listing
 */
export const servers = (): Effect.Effect<
  ReadonlyArray<Device>,
  ListError,
  HttpClient.HttpClient | ClientIdentity | Credentials
> => Effect.map(listAs("Resources.servers"), (devices) => devices.filter(isServer))

// ---------------------------------------------------------------------------
// Candidates and ranking
// ---------------------------------------------------------------------------

/**
 * Where a connection leads: the server's own network, the internet, or
 * Plex's bandwidth-limited relay.
 *
 * @since 0.1.0
 * @category models
 */
export type Location = Facts.Location

/**
 * @since 0.1.0
 * @category models
 */
export type Protocol = Facts.Protocol

/**
 * One base URL to try for a server, and the connection it comes from.
 *
 * @since 0.1.0
 * @category models
 */
export interface Candidate extends Facts.Candidate<DeviceConnection> {}

/**
 * Ranks candidates by location, then protocol, in the orders given (earlier
 * is better); anything not listed comes after what is. Candidates that tie
 * are equally good: {@link connect} takes whichever of them answers first,
 * once its millisecond is over; of those that answer in the same
 * millisecond, the first in the candidates' order (the ranking keeps
 * plex.tv's order between ties), alike in both editions.
 * A plain function: options that are not an object, or orders that are not
 * arrays, throw `InvalidInput` (never a `TypeError`).
 *
 * @example
 * ```ts
 * import { Resources } from "effect-plex-auth"
 *
 * // Plain HTTP on the local network first (no TLS to a plex.direct name).
 * const rank = Resources.preferring({ locations: ["local", "remote", "relay"], protocols: ["http", "https"] })
 * ```
 *
 * @since 0.1.0
 * @category ranking
 */
export const preferring = (options: {
  readonly locations?: ReadonlyArray<Location> | undefined
  readonly protocols?: ReadonlyArray<Protocol> | undefined
}): Order.Order<Candidate> => {
  refuseSync("Resources.preferring", "options", V.objectProblem(options, false))
  refuseSync("Resources.preferring", "locations", arrayProblem(options.locations))
  refuseSync("Resources.preferring", "protocols", arrayProblem(options.protocols))
  return Facts.preferring(options)
}

// A plain function cannot fail as an Effect: input it cannot use (from untyped JavaScript) throws
// `InvalidInput` (V.refuseSync), never a TypeError.
const refuseSync = V.refuseSync

const arrayProblem = (value: unknown): string | undefined =>
  value === undefined ? undefined : V.arrayProblem(value)

/**
 * The default ranking: local before remote before relay, then HTTPS before
 * HTTP.
 *
 * @since 0.1.0
 * @category ranking
 */
export const defaultOrder: Order.Order<Candidate> = /*#__PURE__*/ preferring({})

/**
 * Which candidates to build and how to rank them.
 *
 * @since 0.1.0
 * @category models
 */
export interface CandidateOptions {
  /** The ranking, best first. Default {@link defaultOrder}. */
  readonly rank?: Order.Order<Candidate> | undefined
  /**
   * Whether to try local connections. Default: whenever plex.tv lists them,
   * ranked first. They are cheap to probe, and Plex Home members on the
   * server's network, VPN and dual-stack users reach the server only there
   * (plex.tv's `publicAddressMatches` is often `false` for them). It is safe:
   * a probe carries no token, and a local address that belongs to someone
   * else does not answer as this server's machine identifier. Pass `false`
   * never to try them, `true` to insist.
   */
  readonly includeLocal?: boolean | undefined
  /**
   * Whether to try HTTPS only. Default: when the server says
   * `httpsRequired`; otherwise plain HTTP is tried only on local connections
   * (a made-up `http://address:port`) and where plex.tv lists it as a
   * connection's `uri` (a server with secure connections disabled), never at
   * a made-up URL of a public address, which would send the token over the
   * internet in clear. `false` tries plain HTTP everywhere but the relay,
   * remote connections' `http://address:port` included, even on a server
   * that says `httpsRequired`: to ask for HTTPS on a condition (an https
   * page), pass `true` or nothing.
   */
  readonly httpsOnly?: boolean | undefined
}

/**
 * The base URLs to try for a device, best first: for each connection its
 * `uri` and, for a local connection, `http://address:port` (IPv6 addresses
 * bracketed), without duplicates; local ones whenever listed unless
 * `includeLocal` is `false`; HTTPS only when `httpsOnly` is `true`, or when
 * it is left out and the server requires it. A remote connection gets a
 * made-up `http://address:port` only with `httpsOnly: false`: by default the
 * token never crosses the internet in clear unless plex.tv lists a plain-HTTP
 * `uri` for it. A relay connection is tried only at its listed `uri`: a
 * made-up plain-HTTP URL would carry everything in clear through Plex's
 * relay. A plain function: a device without a `connections`
 * array, options that are not an object, a `rank` that is not a function or
 * an `includeLocal` or `httpsOnly` that is not a boolean throw `InvalidInput`
 * (never a `TypeError`), as {@link connect} refuses them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resources } from "effect-plex-auth"
 *
 * const firstChoice = Resources.servers().pipe(
 *   Effect.map((servers) => servers.flatMap((server) => Resources.candidates(server).slice(0, 1)))
 * )
 * ```
 *
 * @since 0.1.0
 * @category ranking
 */
export const candidates = (device: Device, options: CandidateOptions = {}): ReadonlyArray<Candidate> => {
  refuseSync("Resources.candidates", "device", V.objectProblem(device, false))
  refuseSync("Resources.candidates", "connections", Facts.connectionsProblem(device.connections))
  refuseSync("Resources.candidates", "options", V.objectProblem(options, true))
  // What `connect` refuses of them too: a rank that is not an Order, flags that are not booleans.
  const problem = Facts.optionsProblem(options ?? {})
  if (problem !== undefined) refuseSync("Resources.candidates", problem.field, problem.problem)
  return Facts.candidates(device, { ...options, rank: options?.rank ?? defaultOrder })
}

// ---------------------------------------------------------------------------
// Connecting
// ---------------------------------------------------------------------------

/**
 * How {@link connect} probes.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectOptions extends CandidateOptions {
  /** How long one probe may take before it counts as failed. Default 10 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * Once a candidate has answered while better-ranked ones are still
   * pending, how long to wait for one of those before settling for it.
   * Default 250 milliseconds. With `0`, the candidates that answer in the
   * first answer's millisecond still count: `connect` settles once it is
   * over (the best of them, alike in both editions).
   */
  readonly grace?: Duration.DurationInput | undefined
  /**
   * Whether to check, once a connection is chosen, that the server accepts
   * the token there: one authenticated `GET /` on the chosen URL only (what
   * python-plexapi does to build a `PlexServer`). Default true; pass `false`
   * when only reachability matters (the token is then never sent).
   */
  readonly verifyToken?: boolean | undefined
}

/**
 * The per-probe timeout {@link connect} uses by default: 10 seconds.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeout: Duration.Duration = /*#__PURE__*/ Duration.millis(Facts.defaultTimeoutMillis)

/**
 * The grace window {@link connect} uses by default: 250 milliseconds.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultGrace: Duration.Duration = /*#__PURE__*/ Duration.millis(Facts.defaultGraceMillis)

/**
 * A server and the connection chosen for it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Connected {
  /** The server, as plex.tv listed it. */
  readonly server: Device
  /** The chosen candidate. */
  readonly candidate: Candidate
  /** The chosen base URL (the `PlexServer` URL). */
  readonly uri: string
  /** The connection the URL comes from. */
  readonly connection: DeviceConnection
  /** The token to use on the server: its own `accessToken`, `Redacted`. */
  readonly token: Redacted.Redacted<string>
  /** What the server said of itself. */
  readonly identity: ServerIdentity
  /** What became of every candidate, best-ranked first. */
  readonly attempts: ReadonlyArray<ConnectionAttempt>
  /** How long choosing took, in milliseconds (by the `Clock`). */
  readonly elapsedMillis: number
  /** `PlexServer` at {@link uri} and `Credentials` with {@link token}, for the server operations. */
  readonly layer: Layer.Layer<PlexServer | Credentials>
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

export {
  /**
   * What became of one candidate URL while {@link connect} probed a server.
   * Defined in `PlexError`; re-exported here.
   *
   * @since 0.1.0
   * @category models
   */
  ConnectionAttempt,
  /**
   * No candidate URL of a server answered as that server. Defined in
   * `PlexError`; re-exported here.
   *
   * @since 0.1.0
   * @category errors
   */
  NoReachableConnection,
  /**
   * The account has no server of that name or identifier (for
   * `ServerAccess.makeOwnerChecker`, none of that identifier that it owns).
   * Defined in `PlexError`; re-exported here.
   *
   * @since 0.1.0
   * @category errors
   */
  ServerNotFound
}

/**
 * The errors of {@link connect}: no candidate answered; the chosen
 * connection refused the token (`Unauthorized`) or the check of the token
 * failed otherwise (the other `ResponseError`s); or (before any request) an
 * invalid option, a server without a token when no `Credentials` are at
 * hand, or a server the account does not own without a token of its own.
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectError = NoReachableConnection | ResponseError | InvalidInput

/**
 * The errors of {@link connectByName} and {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectByNameError = ListError | ServerNotFound | ConnectError

const identitySpec = /*#__PURE__*/ withSchema(Facts.getServerIdentity, IdentityResponse)

/**
 * The token check on the chosen connection: `GET /`, which a Plex Media Server answers only with a token
 * it accepts (python-plexapi's `PlexServer(baseurl, token)` reads it the same way). Nothing is decoded.
 */
const tokenCheckSpec = /*#__PURE__*/ withSchema(Facts.verifyServerToken, L.Unknown)

type Failure = Facts.ProbeFailure

interface Settled {
  readonly index: number
  readonly millis: number
  readonly result: Either.Either<ServerIdentity, Failure>
}

const failureOf = (error: PlexError): Failure => Facts.probeFailed(error)

/**
 * One probe: `GET /identity` through the engine (identity headers, redirects
 * handled by the engine, no retry), checked against the server's machine
 * identifier. It carries no token: a Plex Media Server answers `/identity`
 * to anyone, and a candidate is not yet known to be that server — it may be
 * a stranger's address on this network, or plain HTTP that anyone on the
 * path can read.
 */
const probe = (
  candidate: Candidate,
  server: Device,
  timeout: Duration.Duration
): Effect.Effect<Either.Either<ServerIdentity, Failure>, never, HttpClient.HttpClient | ClientIdentity> =>
  Request.probe("Resources.connect", identitySpec, candidate.uri, timeout).pipe(
    Effect.match({
      onFailure: (error) => Either.left(failureOf(error)),
      onSuccess: ({ value: { MediaContainer: identity } }) => {
        const wrong = Facts.wrongServer(identity.machineIdentifier, server.clientIdentifier)
        return wrong === undefined ? Either.right(identity) : Either.left(Facts.probeWrongServer(wrong))
      }
    })
  )

/**
 * Runs every probe at once and settles as soon as the best live candidate
 * is certain: a candidate answered and every better-ranked one has failed,
 * or `grace` has passed since the first answer. Closing the scope
 * interrupts the probes still running.
 */
const race = <R>(
  list: ReadonlyArray<Candidate>,
  classes: ReadonlyArray<number>,
  run: (candidate: Candidate) => Effect.Effect<Either.Either<ServerIdentity, Failure>, never, R>,
  grace: number
) =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    // A probe's end, or a timer's (a number: when it was due, ms since the start; see the loop below).
    const queue = yield* Queue.unbounded<Settled | number>()
    yield* Effect.forEach(
      list,
      (candidate, index) =>
        run(candidate).pipe(
          // A probe that dies, or that the caller's client ends as an interruption of its own, still settles, so the
          // choice never waits on it (an interruption from outside, the choice made, skips this).
          Effect.catchAllCause(() => Effect.succeed(Either.left(Facts.probeDefect))),
          Effect.flatMap((result) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Queue.offer(queue, { index, millis: now - start, result })
            )
          ),
          // connect's own work: given up once the choice is made, even when connect runs in an uninterruptible
          // region (a fiber forked on Effect 4 is interruptible whatever the region it was forked in).
          Effect.interruptible,
          Effect.forkScoped
        ),
      { discard: true }
    )
    const settled: Array<Settled | undefined> = list.map(() => undefined)
    const choice = Facts.makeChoice(classes, grace)
    let chosen: number | undefined
    // When the timers still running are due (ms since the start): one timer per instant.
    const timers = new Set<number>()
    // The ends and ticks taken but not yet judged.
    const taken: Array<Settled | number> = []
    while (choice.pending() > 0) {
      const now = (yield* Clock.currentTimeMillis) - start
      // Every end already queued ended before `now`: each is judged by its own time before anything is judged by
      // `now`. Judged by `now` first, two ends queued together lost the second as the clock passed a millisecond
      // (a better one or a tie listed first, in the first answer's millisecond or the grace window's last).
      taken.push(...(yield* Queue.takeAll(queue)))
      let over = false
      for (const event of taken) {
        if (typeof event === "number") {
          timers.delete(event)
          continue
        }
        // A probe that ended when the grace window was over no longer counts, whichever of the two the scheduler
        // ran first at that instant: it stays unsettled (Cancelled), and the best that answered in it is chosen.
        if (choice.tooLate(event.millis)) {
          over = true
          continue
        }
        settled[event.index] = event
        choice.settle(event.index, Either.isRight(event.result), event.millis)
        // Certain by this end's own time: the ends queued behind it, no sooner, change nothing and are not judged
        // (Cancelled, as when the choice is made before they are queued), whichever the scheduler queued first.
        chosen = choice.certain(event.millis)
        if (chosen !== undefined) break
      }
      taken.length = 0
      if (chosen !== undefined || over || choice.pending() === 0) break
      chosen = choice.certain(now)
      if (chosen !== undefined) break
      // The grace window is over: the best that answered in it.
      if (choice.tooLate(now)) {
        chosen = choice.bestAnswered()
        break
      }
      // Until a probe ends, or at most until the grace window closes or the best answer's millisecond is over: a
      // timer offers when it was due to the same queue, so the take is never cut short. A take given up by
      // `Effect.timeoutOption` could lose a probe's end: Effect 3's Queue hands an offered item straight to a
      // waiting taker (it is no longer in the queue), and once the timeout has won, that taker's result is dropped,
      // whether it then finishes or is interrupted. A better candidate answering as the tie's millisecond
      // ended came out Cancelled, and a worse one was chosen at the grace deadline.
      const wait = choice.wait(now)
      if (wait !== undefined && !timers.has(now + wait)) {
        timers.add(now + wait)
        yield* Effect.sleep(Duration.millis(wait)).pipe(
          Effect.andThen(Queue.offer(queue, now + wait)),
          // connect's own, as the probes are: interrupted when the choice is made.
          Effect.interruptible,
          Effect.forkScoped
        )
      }
      taken.push(yield* Queue.take(queue))
    }
    chosen ??= choice.bestAnswered()
    const decidedAt = (yield* Clock.currentTimeMillis) - start
    return { chosen, settled, decidedAt }
  })

const attemptOf = (
  candidate: Candidate,
  settled: Settled | undefined,
  decidedAt: number
): ConnectionAttempt =>
  new ConnectionAttempt(
    Facts.attempt(
      candidate,
      settled === undefined
        ? undefined
        : {
            millis: settled.millis,
            failure: Either.isLeft(settled.result) ? settled.result.left : undefined
          },
      decidedAt
    )
  )

/**
 * The options of {@link connect} checked before any request (untyped JavaScript may pass anything: fail
 * with InvalidInput, never a TypeError, and never after a request was sent): an object, the durations,
 * the flags and the ranking.
 */
const checkOptions = (operation: string, options: ConnectOptions) =>
  Effect.gen(function* () {
    yield* V.object(operation, "options", options, true)
    const timeout = yield* V.durationOption(operation, "timeout", options.timeout, defaultTimeout)
    const grace = yield* V.durationOption(operation, "grace", options.grace, defaultGrace, { least: 0 })
    const problem = Facts.optionsProblem(options)
    if (problem !== undefined) return yield* Effect.fail(V.invalid(operation, problem.field, problem.problem))
    return { timeout, grace: Duration.toMillis(grace) }
  })

const layerOf = (uri: string, token: Redacted.Redacted<string>): Layer.Layer<PlexServer | Credentials> =>
  Layer.mergeAll(
    Layer.succeed(PlexServer, { url: uri }),
    Layer.succeed(Credentials, { token: Effect.succeed(token) })
  )

/**
 * Finds the fastest best connection to a server: probes every candidate
 * URL (see {@link candidates}) at once with `GET /identity`, which a Plex
 * Media Server answers without authentication, and returns the best-ranked
 * one that answered as this server (its machine identifier) as soon as that
 * is certain — when every better-ranked candidate has failed, or `grace`
 * after a lower-ranked one answered. The probes still running are then
 * interrupted, in the background: the result does not wait for their
 * connections to close. Fails with `NoReachableConnection`, listing each candidate's
 * fate, when none answered.
 *
 * The probes carry no token. The token — the server's own `accessToken`, or
 * when it has none the `Credentials` in context (the account token), only
 * for a server the account owns (`owned`; for another's it fails with
 * `InvalidInput` before any request) — goes to the chosen URL only: once with one authenticated `GET /` to check that
 * the server accepts it there (failing with `Unauthorized` when it does
 * not; `verifyToken: false` skips the check), then with the operations run
 * with the result's `layer`. No other candidate ever receives it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PlexAuth, Resources } from "effect-plex-auth"
 *
 * const transient = Effect.gen(function* () {
 *   const [server] = yield* Resources.servers()
 *   if (server === undefined) return yield* Effect.dieMessage("no server")
 *   const connected = yield* Resources.connect(server, { timeout: "5 seconds" })
 *   return yield* PlexAuth.getTransientToken().pipe(Effect.provide(connected.layer))
 * })
 * ```
 *
 * @since 0.1.0
 * @category connecting
 */
export const connect = (
  server: Device,
  options: ConnectOptions = {}
): Effect.Effect<Connected, ConnectError, HttpClient.HttpClient | ClientIdentity> =>
  Effect.gen(function* () {
    // Untyped JavaScript may pass anything: fail with InvalidInput, never a TypeError.
    yield* V.object("Resources.connect", "server", server)
    const serverProblem = Facts.serverProblem(server)
    if (serverProblem !== undefined) {
      return yield* Effect.fail(V.invalid("Resources.connect", "server", serverProblem))
    }
    const { grace, timeout } = yield* checkOptions("Resources.connect", options)
    // A device's own token, Redacted from here on even when handed in as a plain string (untyped JavaScript, a
    // device kept by hand): sent, masked and handed back as the secret it is; what is no token is refused.
    const own =
      server.accessToken === undefined
        ? undefined
        : yield* V.token("Resources.connect", "accessToken", server.accessToken)
    // The account token (the Credentials) only on the account's own server: it opens the whole account.
    const notOwn = own === undefined ? Facts.accountTokenProblem(server) : undefined
    if (notOwn !== undefined) return yield* Effect.fail(V.invalid("Resources.connect", "server", notOwn))
    const token =
      own ??
      (yield* Effect.serviceOption(Credentials).pipe(
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.fail(V.invalid("Resources.connect", "server", Facts.noTokenProblem)),
            // A token from Credentials of the caller's own making is checked before any probe is sent, as every
            // other operation checks it (`request.ts`'s `sendable`): a plain string (untyped JavaScript) is refused,
            // not made Redacted as a device's own `accessToken` is.
            onSome: (credentials) =>
              Effect.flatMap(credentials.token, (token) => {
                const problem = V.redactedProblem(token)
                return problem === undefined
                  ? Effect.succeed(token)
                  : Effect.fail(V.invalid("Resources.connect", "token", problem))
              })
          })
        )
      ))
    const list = candidates(server, options)
    const rank = options.rank ?? defaultOrder
    // Candidates that tie under the ranking share a class: equally good.
    const classes = Facts.rankClasses(list, rank)
    yield* Effect.annotateCurrentSpan(
      Facts.raceAttributes({
        serverId: server.clientIdentifier,
        candidates: list.length,
        timeoutMillis: Duration.toMillis(timeout),
        graceMillis: grace
      })
    )

    // The probes live in this scope. Once the choice is made, closing it (which interrupts the probes still
    // running and waits for their connections to be aborted) happens in the background: the caller has its
    // answer and need not wait for the cleanup.
    const scope = yield* Scope.make()
    const { chosen, decidedAt, settled } = yield* race(
      list,
      classes,
      (candidate) => probe(candidate, server, timeout),
      grace
    ).pipe(
      Scope.extend(scope),
      Effect.onExit((exit) => Effect.forkDaemon(Scope.close(scope, exit)))
    )
    const attempts = list.map((candidate, i) => attemptOf(candidate, settled[i], decidedAt))
    yield* Effect.annotateCurrentSpan(Facts.attemptAttributes(attempts))
    const candidate = chosen === undefined ? undefined : list[chosen]
    const answer = chosen === undefined ? undefined : settled[chosen]
    if (candidate === undefined || answer === undefined || Either.isLeft(answer.result)) {
      return yield* new NoReachableConnection({
        operation: "Resources.connect",
        // A device made by hand may have no name: it defaults to "", as a decoded one's does.
        server: typeof server.name === "string" ? server.name : "",
        clientIdentifier: server.clientIdentifier,
        // As `candidates` reads it: HTTPS only unless `httpsOnly: false` (no plain HTTP to suggest then).
        ...(Facts.requiresHttps(server) ? { httpsRequired: true } : {}),
        attempts
      })
    }
    yield* Effect.annotateCurrentSpan(Facts.chosenAttributes(candidate, decidedAt))
    // The token goes to the chosen URL only, once it has answered as this server.
    if (options.verifyToken !== false) {
      // Its client span, named `Resources.connect` too, sits inside this one (`plex.operation`: verifyServerToken).
      yield* Request.execute("Resources.connect", tokenCheckSpec, candidate.uri, token)
      yield* Effect.annotateCurrentSpan(Facts.tokenVerifiedAttribute, true)
    }
    return {
      server,
      candidate,
      uri: candidate.uri,
      connection: candidate.connection,
      token,
      identity: answer.result.right,
      attempts,
      elapsedMillis: decidedAt,
      layer: layerOf(candidate.uri, token)
    }
  }).pipe(Effect.withSpan("Resources.connect", { kind: "internal", captureStackTrace: false }))

/**
 * Lists the account's servers, picks the one named `nameOrId` (its client
 * identifier, or its name — exact first, then ignoring case) and
 * {@link connect}s to it. Fails with `ServerNotFound` when there is none.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resources } from "effect-plex-auth"
 *
 * const uri = Resources.connectByName("Living Room").pipe(Effect.map((connected) => connected.uri))
 * ```
 *
 * @since 0.1.0
 * @category connecting
 */
export const connectByName = (
  nameOrId: string,
  options: ConnectOptions = {}
): Effect.Effect<Connected, ConnectByNameError, HttpClient.HttpClient | ClientIdentity | Credentials> =>
  Effect.gen(function* () {
    // Bad input fails before the listing is asked for.
    const nameProblem = Facts.nameProblem(nameOrId)
    if (nameProblem !== undefined) {
      return yield* Effect.fail(V.invalid("Resources.connectByName", "nameOrId", nameProblem))
    }
    yield* checkOptions("Resources.connectByName", options)
    const all = yield* servers()
    const server = Facts.findServer(all, nameOrId)
    if (server === undefined) {
      return yield* new ServerNotFound({
        operation: "Resources.connectByName",
        server: nameOrId,
        available: all.map((s) => s.name)
      })
    }
    return yield* connect(server, options)
  }).pipe(Effect.withSpan("Resources.connectByName", { kind: "internal", captureStackTrace: false }))

/**
 * A layer that connects to the account's server `nameOrId` when it is
 * built (see {@link connectByName}) and provides its `PlexServer` and its
 * own `Credentials`. It needs the account's `Credentials` to list the
 * servers; what it provides replaces them for the effects it is given to.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 * import { ClientIdentity, Credentials, PlexAuth, Resources } from "effect-plex-auth"
 *
 * const ServerLive = Resources.layer("Living Room").pipe(
 *   Layer.provide(Credentials.layerConfig()),
 *   Layer.provideMerge(
 *     Layer.merge(
 *       FetchHttpClient.layer,
 *       ClientIdentity.layer({ clientIdentifier: "my-app-install-id", product: "My App" })
 *     )
 *   )
 * )
 * const transient = PlexAuth.getTransientToken().pipe(Effect.provide(ServerLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  nameOrId: string,
  options: ConnectOptions = {}
): Layer.Layer<
  PlexServer | Credentials,
  ConnectByNameError,
  HttpClient.HttpClient | ClientIdentity | Credentials
> => Layer.unwrapEffect(Effect.map(connectByName(nameOrId, options), (connected) => connected.layer))
