/**
 * The Plex Media Server (PMS) that the server operations talk to.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type { InvalidInput } from "./PlexError.js"
import * as Urls from "../../src/core/urls.js"
import * as V from "./internal/validate.js"

/**
 * What a `PlexServer` layer provides.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlexServerService {
  /** The server's base URL, `http(s)://host:port[/prefix]`, without a trailing slash. */
  readonly url: string
}

/**
 * The server service: its base URL. Required by `getTransientToken` and
 * `getSourceConnectionInformation`.
 *
 * @since 0.1.0
 * @category tags
 */
export class PlexServer
  extends /*#__PURE__*/ Context.Service<PlexServer, PlexServerService>()("effect-plex-auth/PlexServer") {}

/**
 * Validates a server URL: absolute, `http` or `https`, no embedded
 * credentials, query or fragment. A path prefix (for a reverse proxy) is kept.
 * Plex Web's address, as a browser's address bar shows it
 * (`http://192.168.1.10:32400/web/index.html#!/`, or ending `/web` or `/web/`),
 * is refused saying which to give (`http://192.168.1.10:32400`), as
 * `Claim.claimServer` and `ServerClient.make` refuse it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (url: string): Effect.Effect<PlexServerService, InvalidInput> =>
  Effect.map(V.serverUrl("PlexServer", "serverUrl", url), (valid) => ({ url: valid }))

/**
 * A layer from a URL such as `http://192.168.1.10:32400`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (url: string): Layer.Layer<PlexServer, InvalidInput> =>
  Layer.effect(PlexServer, make(url))

/**
 * The parts of the seeds' server template `{protocol}://{ip}:{port}`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerParts {
  /** `http` (default) or `https`. */
  readonly protocol?: "http" | "https" | undefined
  /** Host name or IP address. Default `127.0.0.1`. */
  readonly ip?: string | undefined
  /** Port. Default `32400`. */
  readonly port?: number | string | undefined
}

/**
 * A server URL from template parts, with the defaults `http`, `127.0.0.1`
 * and `32400`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromParts = (parts: ServerParts = {}): Effect.Effect<PlexServerService, InvalidInput> => {
  const checked = Urls.serverParts(parts)
  if (checked._tag === "Invalid") return Effect.fail(V.invalid("PlexServer", checked.field, checked.reason))
  // Strict: a backslash, slash, `@` or the like would change what the URL points to.
  return Effect.flatMap(V.host("PlexServer", "ip", checked.ip), (host) =>
    make(`${checked.protocol}://${host}:${checked.port}`)
  )
}

/**
 * A layer from template parts; see {@link fromParts}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromParts = (parts: ServerParts = {}): Layer.Layer<PlexServer, InvalidInput> =>
  Layer.effect(PlexServer, fromParts(parts))

/**
 * A layer from `Config`, by default the `PLEX_SERVER_URL` environment variable.
 * A malformed URL fails with `InvalidInput` when the layer is built; read from
 * `PLEX_SERVER_URL`, it names the variable
 * (`PlexServer.layerConfig: invalid PLEX_SERVER_URL: ...`). An empty
 * `PLEX_SERVER_URL` counts as unset (Effect's `ConfigError`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  url?: Config.Config<string>
): Layer.Layer<PlexServer, InvalidInput | Config.ConfigError> =>
  Layer.effect(
    PlexServer,
    V.configured(
      "PlexServer.layerConfig",
      url,
      Config.String(Urls.serverUrlVariable),
      { serverUrl: Urls.serverUrlVariable },
      make
    )
  )

/**
 * Points one effect (one operation or a whole program) at another server,
 * without rebuilding layers. A malformed URL fails with `InvalidInput`
 * before any request is sent.
 *
 * @example
 * ```ts
 * import { PlexAuth, PlexServer } from "effect4-plex-auth"
 *
 * const token = PlexAuth.getTransientToken({ type: "delegation", scope: "all" }).pipe(
 *   PlexServer.withUrl("http://192.168.1.10:32400")
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withUrl: {
  (
    url: string
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInput, Exclude<R, PlexServer>>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    url: string
  ): Effect.Effect<A, E | InvalidInput, Exclude<R, PlexServer>>
} = /*#__PURE__*/ dual(
  2,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    url: string
  ): Effect.Effect<A, E | InvalidInput, Exclude<R, PlexServer>> =>
    Effect.flatMap(make(url), (server) => Effect.provideService(self, PlexServer, server))
)
