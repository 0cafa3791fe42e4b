/**
 * The fake Plex of `effect-plex-auth/testing`, served over real HTTP on
 * loopback, on `node:http` (Node; Bun and Deno through their Node
 * compatibility).
 *
 * Every origin the fake answers on gets its own `127.0.0.1` port: plex.tv,
 * clients.plex.tv (the JWT host), the unrelated redirect host, and each
 * connection of each fake server. The fake is seeded with those loopback
 * URLs, so the URLs it hands out (resources, source connections, redirects)
 * are all reachable, and a redirect from plex.tv to another host really
 * crosses origins. Point the client at it with `PlexTv.layer(fake.plexTvUrl)`,
 * `Jwt.layerHost(fake.clientsUrl)` and `PlexServer.layer(fake.serverUrl)` and
 * use `FetchHttpClient.layer`.
 *
 * Faults behave as on the wire: a reset destroys the socket, a truncated
 * body is cut short under a larger `Content-Length`. Delays follow the
 * `Clock` of the Effect that built the server.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Core from "../core/fake/index.js"
import * as Loopback from "../core/node/loopback.js"
import * as FakePlex from "../testing/FakePlex.js"
import { coreRandomInt, fromCore, seeded, toCoreOptions } from "../testing/internal/binding.js"
import { ConnectionFailure, FakePlexError } from "../testing/internal/errors.js"

/**
 * The loopback server could not start (a port could not be bound).
 *
 * @since 0.1.0
 * @category errors
 */
export class ServeError
  extends /*#__PURE__*/ Schema.TaggedError<ServeError>("effect-plex-auth/node/ServeError")("ServeError", {
    message: Schema.String,
    cause: Schema.Defect
  }) {}

/**
 * A running loopback server: the fake it serves (whose URLs are the
 * loopback ones) and its socket accounting.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakePlexServerService {
  /** The fake, as `FakePlex.FakePlex` provides it. */
  readonly fake: FakePlex.FakePlexService
  /** plex.tv on loopback, e.g. `http://127.0.0.1:41231`. */
  readonly plexTvUrl: string
  /**
   * The fake's sign-in page, `<plexTvUrl>/auth` (as `fake.authAppUrl`): the `authAppUrl` of a PIN login
   * (`PinLogin.authUrl`, `PinLogin.login`, `Jwt.pinLogin`) or a `WebSignIn` whose link is to approve a PIN
   * by hand, in a browser or by a test's `GET` and `POST` (`plex-auth fake-server` prints it as
   * `PLEX_AUTH_APP_URL`). Not a default: without it, a link goes to app.plex.tv.
   */
  readonly authAppUrl: string
  /** clients.plex.tv (the JWT host) on loopback, for `Jwt.layerHost`. */
  readonly clientsUrl: string
  /** The default server's first connection on loopback. */
  readonly serverUrl: string
  /** Every loopback origin served. */
  readonly urls: ReadonlyArray<string>
  /** How many client sockets are open right now. */
  readonly openSockets: Effect.Effect<number>
  /** How many requests are being handled right now. */
  readonly activeRequests: Effect.Effect<number>
  /**
   * Closes the client sockets that carry no request being handled (idle keep-alive ones, and ones that
   * never sent a request); a socket whose request is being handled stays open. For a test that counts
   * sockets without waiting out a keep-alive timeout.
   */
  readonly closeIdleSockets: Effect.Effect<void>
  /** Completes once exactly `count` sockets are open (at once if they already are). */
  readonly awaitOpenSockets: (count: number) => Effect.Effect<void>
  /** Completes once exactly `count` requests are being handled (at once if they already are). */
  readonly awaitActiveRequests: (count: number) => Effect.Effect<void>
}

/**
 * Options of the loopback server: the fake's (`FakePlex.Options`), and the
 * port plex.tv answers on.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends FakePlex.Options {
  /**
   * plex.tv's port on `127.0.0.1`, for a `plexTvUrl` known before the server
   * starts (a program started apart from it, pointed at a fixed URL). Default
   * 0: a free port, as for every other origin. A port in use fails with
   * `ServeError` (`127.0.0.1:<port> is already in use`); one that is not a
   * whole number from 0 to 65535 dies before any port is bound, with
   * `FakePlex.FakePlexError` (`FakePlex: port must be a whole number from 0
   * to 65535, got <port>`).
   */
  readonly port?: number | undefined
}

/**
 * The loopback server service.
 *
 * @since 0.1.0
 * @category tags
 */
export class FakePlexServer extends Context.Tag("effect-plex-auth/node/FakePlexServer")<
  FakePlexServer,
  FakePlexServerService
>() {}

/**
 * The largest request body the loopback server reads: 1 MiB. Plex's requests
 * are small forms and JSON documents; a larger body (declared by
 * `Content-Length` or streamed) is answered `413 Payload Too Large` as soon
 * as it is known to be too large, and is never buffered.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxRequestBodyBytes: number = Core.maxRequestBodyBytes

// The sockets, the conversion of requests and responses, the body cap and the shutdown are the Effect-free
// loopback server of src/core/node/loopback.ts, shared with the Effect 4 edition and
// `effect-plex-auth/fake/node`. What follows binds it to Effect 3: the fake's handler run as an Effect on the
// runtime that built the server (its `Clock`), the `Scope`, and the socket accounting as Effects.

/**
 * Starts the fake on loopback, one port per origin (plex.tv's `port` when
 * given, free ones otherwise), for the life of the scope. Closing the scope interrupts the requests in flight, destroys every
 * open socket and closes the ports.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<FakePlexServerService, ServeError, Scope.Scope> =>
  Effect.gen(function* () {
    // The fake's options (checked as an object there, from untyped JavaScript too); the port is the server's.
    const coreOptions = toCoreOptions(options)
    // A port that is not one (from untyped JavaScript, or a typo) dies before any port is bound, with the
    // kit's FakePlexError in the shared fake's words, as the fake's other options of the wrong kind.
    const port = options.port
    const problem = Loopback.portProblem(port)
    if (problem !== undefined) return yield* Effect.die(new FakePlexError({ message: problem }))
    const origins = seeded(() => Core.origins(coreOptions))
    const runtime = yield* Effect.runtime<never>()
    const loopback = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => Loopback.listen(origins, { maxRequestBodyBytes, port }),
        catch: (cause) =>
          new ServeError({ message: cause instanceof Error ? cause.message : String(cause), cause })
      }),
      (loopback) => Effect.promise(() => loopback.close())
    )
    // The same web handler as the in-memory fake, its URLs the loopback ones.
    const fake = fromCore(
      Core.makeFakePlex({
        ...coreOptions,
        randomInt: yield* coreRandomInt,
        rebase: (origin) => loopback.urls.get(origin) ?? origin
      })
    )
    // A reset or refusal (the fake's ConnectionFailure) destroys the socket, as a client that went away does (there
    // is no one to answer); anything else, a defect of the fake or a Fault.respond Effect that failed, died or was
    // interrupted, is answered 500 (docs/testing.md), not a dropped connection.
    loopback.serve(async (request, { signal }) => {
      const exit = await Runtime.runPromiseExit(runtime)(fake.handle(request), { signal })
      if (Exit.isSuccess(exit)) return exit.value
      const failure = Cause.failureOption(exit.cause)
      if ((Option.isSome(failure) && failure.value instanceof ConnectionFailure) || signal.aborted) {
        throw Cause.squash(exit.cause)
      }
      return new Response(`fake Plex failed: ${String(Cause.squash(exit.cause))}`, {
        status: 500,
        headers: { "content-type": "text/plain; charset=utf-8" }
      })
    })

    /** Completes once `current()` equals `count`, re-checked on every socket and request change. */
    const awaitCount = (current: () => number, count: number) =>
      Effect.async<void>((resume) => {
        const check = () => {
          if (current() === count) {
            remove()
            resume(Effect.void)
          }
        }
        const remove = loopback.onChange(check)
        check()
        return Effect.sync(remove)
      })

    return {
      fake,
      plexTvUrl: fake.plexTvUrl,
      authAppUrl: fake.authAppUrl,
      clientsUrl: fake.clientsUrl,
      serverUrl: fake.serverUrl,
      urls: [...loopback.urls.values()],
      openSockets: Effect.sync(loopback.openSockets),
      activeRequests: Effect.sync(loopback.activeRequests),
      closeIdleSockets: Effect.sync(loopback.closeIdleSockets),
      awaitOpenSockets: (count) => awaitCount(loopback.openSockets, count),
      awaitActiveRequests: (count) => awaitCount(loopback.activeRequests, count)
    } satisfies FakePlexServerService
  })

/**
 * The loopback server as a layer, with the fake as `FakePlex.FakePlex` (its
 * URLs the loopback ones). Use it with `FetchHttpClient.layer`.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 * import { ClientIdentity, Credentials, PlexAuth, PlexTv } from "effect-plex-auth"
 * import { FakePlexServer } from "effect-plex-auth/node"
 *
 * const program = Effect.gen(function* () {
 *   const server = yield* FakePlexServer.FakePlexServer
 *   return yield* PlexAuth.getTokenDetails().pipe(
 *     PlexTv.withUrl(server.plexTvUrl),
 *     Credentials.withToken(server.fake.token)
 *   )
 * }).pipe(
 *   Effect.provide(
 *     Layer.mergeAll(
 *       FakePlexServer.layer(),
 *       FetchHttpClient.layer,
 *       ClientIdentity.layer({ clientIdentifier: "demo-client", product: "Demo" })
 *     )
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<FakePlexServer | FakePlex.FakePlex, ServeError> =>
  Layer.scopedContext(
    Effect.map(make(options), (server) =>
      Context.make(FakePlexServer, server).pipe(Context.add(FakePlex.FakePlex, server.fake))
    )
  )
