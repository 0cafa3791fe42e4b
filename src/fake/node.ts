/**
 * The fake Plex of `effect-plex-auth/fake` served over real HTTP on loopback,
 * with no Effect in it (Node only): for testing code that talks HTTP itself,
 * such as plexjs or python-plexapi, against the same fake the Effect test
 * kits use.
 *
 * Every origin the fake answers on gets its own `127.0.0.1` port: plex.tv,
 * clients.plex.tv, the unrelated redirect host, and each connection of each
 * fake server. The fake is seeded with those loopback URLs, so every URL it
 * hands out is reachable. Faults behave as on the wire: a reset destroys the
 * socket, a truncated body is cut short under a larger `Content-Length`.
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
 * Starts the fake on loopback, one port per origin (`options` as for
 * `makeHandler`, but `rebase`, which the server sets). Rejects when a port
 * cannot be bound.
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
export const serve = async (options: Omit<HandlerOptions, "rebase"> = {}): Promise<LoopbackServer> => {
  const loopback = await Loopback.listen(Core.origins(options), {
    maxRequestBodyBytes: options.maxRequestBodyBytes ?? Core.maxRequestBodyBytes
  })
  const fake = Core.makeFakePlex({ ...options, rebase: (origin) => loopback.urls.get(origin) ?? origin })
  loopback.serve((request, { signal }) => fake.handler(request, { signal }))
  return {
    fake,
    plexTvUrl: fake.plexTvUrl,
    clientsUrl: fake.clientsUrl,
    serverUrl: fake.serverUrl,
    urls: [...loopback.urls.values()],
    close: loopback.close
  }
}
