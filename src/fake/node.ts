/**
 * The fake Plex of `effect-plex-auth/fake` served over real HTTP on loopback,
 * with no Effect in it, on `node:http` (Node; Bun and Deno through their Node
 * compatibility): for testing code that talks HTTP itself,
 * such as plexjs or python-plexapi, against the same fake the Effect test
 * kits use.
 *
 * Every origin the fake answers on gets its own `127.0.0.1` port: plex.tv,
 * clients.plex.tv, the unrelated redirect host, and each connection of each
 * fake server. The fake is seeded with those loopback URLs, so every URL it
 * hands out is reachable. Faults behave as on the wire: a reset destroys the
 * socket, a truncated body is cut short under a larger `Content-Length`.
 * A program that runs apart from it changes it over HTTP at plex.tv's URL
 * under `/__fake/` (`POST /__fake/faults`, `POST /__fake/revoke`,
 * `GET /__fake/requests`: docs/testing.md), naming the fake's own address
 * in its `Host` header (`127.0.0.1:<port>`, or `localhost:<port>`): a
 * request naming another host (a page a DNS rebinding points at loopback) is
 * refused with a 403.
 *
 * @since 0.1.0
 */
import * as Core from "../core/fake/index.js"
import * as Loopback from "../core/node/loopback.js"
import type { Handler, HandlerOptions } from "./index.js"

/**
 * A running loopback server.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoopbackServer {
  /** The fake it serves, its URLs the loopback ones: inspect it and script faults as with `makeHandler`. */
  readonly fake: Handler
  /** plex.tv on loopback, e.g. `http://127.0.0.1:41231`. */
  readonly plexTvUrl: string
  /**
   * The fake's sign-in page, `<plexTvUrl>/auth` (as `fake.authAppUrl`): the page a PIN login's link opens to
   * approve the PIN by hand (`plex-auth fake-server` prints it as `PLEX_AUTH_APP_URL`).
   */
  readonly authAppUrl: string
  /** clients.plex.tv (the JWT host) on loopback. */
  readonly clientsUrl: string
  /** The default server's first connection on loopback. */
  readonly serverUrl: string
  /** Every loopback origin served. */
  readonly urls: ReadonlyArray<string>
  /**
   * Ends the requests in flight, destroys every open socket (idle keep-alive
   * ones included) and closes the ports. Resolves once all are closed.
   */
  readonly close: () => Promise<void>
}

/**
 * Options of {@link serve}: those of `makeHandler` but `rebase` (which the
 * server sets), and the port plex.tv answers on.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServeOptions extends Omit<HandlerOptions, "rebase"> {
  /**
   * plex.tv's port on `127.0.0.1`, for a `plexTvUrl` known before the server
   * starts (a program started apart from it, pointed at a fixed URL). Default
   * 0: a free port, as for every other origin. A port in use rejects with an
   * `Error` (`127.0.0.1:<port> is already in use`); one that is not a whole
   * number from 0 to 65535 rejects before any port is bound, with a
   * `FakePlexError` (`FakePlex: port must be a whole number from 0 to 65535,
   * got <port>`).
   */
  readonly port?: number | undefined
}

/**
 * Starts the fake on loopback, one port per origin (plex.tv's `port` when
 * given, free ones otherwise; the other {@link ServeOptions} as for
 * `makeHandler`). Rejects when a port cannot be bound, and, before any is
 * bound, with the `FakePlexError` `makeHandler` throws for a seed the fake
 * refuses (`FakePlex: two accounts share the login dora`).
 *
 * @example
 * ```ts
 * import { serve } from "effect-plex-auth/fake/node"
 *
 * export const signedInUsername = async (): Promise<string> => {
 *   const server = await serve()
 *   try {
 *     const response = await fetch(`${server.plexTvUrl}/api/v2/user`, {
 *       headers: { "X-Plex-Token": server.fake.token, "X-Plex-Client-Identifier": "my-app", Accept: "application/json" }
 *     })
 *     return ((await response.json()) as { username: string }).username // "alice"
 *   } finally {
 *     await server.close()
 *   }
 * }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve = async (options: ServeOptions = {}): Promise<LoopbackServer> => {
  // The fake's options first (options that are not an object are named there), then the port (by listen).
  const origins = Core.origins(options)
  const { port, ...handlerOptions } = options
  const loopback = await Loopback.listen(origins, {
    maxRequestBodyBytes: options.maxRequestBodyBytes ?? Core.maxRequestBodyBytes,
    port
  })
  const fake = Core.makeFakePlex({
    ...handlerOptions,
    rebase: (origin) => loopback.urls.get(origin) ?? origin
  })
  // A reset or refusal (the fake's ConnectionFailure) destroys the socket, as a client that went away does; anything
  // else (a handlerFaults.respond that threw or rejected) is answered 500, as FakePlexServer answers a failed
  // Fault.respond, not a dropped connection the client would take for a scripted reset.
  loopback.serve(async (request, { signal }) => {
    try {
      return await fake.handler(request, { signal })
    } catch (error) {
      if (error instanceof Core.ConnectionFailure || signal.aborted) throw error
      return new Response(`fake Plex failed: ${String(error)}`, {
        status: 500,
        headers: { "content-type": "text/plain; charset=utf-8" }
      })
    }
  })
  return {
    fake,
    plexTvUrl: fake.plexTvUrl,
    authAppUrl: fake.authAppUrl,
    clientsUrl: fake.clientsUrl,
    serverUrl: fake.serverUrl,
    urls: [...loopback.urls.values()],
    close: loopback.close
  }
}
