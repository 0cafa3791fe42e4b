/**
 * Where the plex.tv account API lives. Defaults to `https://plex.tv`; point
 * it elsewhere for a proxy or a fake (`npm run demo` points it at loopback),
 * in code ({@link layer}, {@link withUrl}) or from the environment
 * (`PLEX_TV_URL`, read by {@link layerConfig}).
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type { InvalidInput } from "./PlexError.js"
import * as Urls from "./core/urls.js"
import * as V from "./internal/validate.js"
import * as Env from "./internal/variables.js"
import * as Configured from "./core/configured.js"
import { plexTvVariable } from "./core/jwt.js"

/**
 * What the `PlexTv` reference holds.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlexTvService {
  /** The base URL of the plex.tv account API, without `/api/v2`. */
  readonly url: string
}

/**
 * The plex.tv base URL in force, `https://plex.tv` unless a layer or
 * {@link withUrl} says otherwise.
 *
 * @since 0.1.0
 * @category tags
 */
export class PlexTv
  extends /*#__PURE__*/ Context.Reference<PlexTv>()("effect-plex-auth/PlexTv", {
    defaultValue: (): PlexTvService => ({ url: "https://plex.tv" })
  }) {}

/**
 * The default base URL, `https://plex.tv`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultUrl = "https://plex.tv"

/**
 * Validates a plex.tv base URL (without `/api/v2`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (url: string): Effect.Effect<PlexTvService, InvalidInput> =>
  Effect.map(V.httpUrl("PlexTv", "url", url), (valid) => ({ url: Urls.withoutApiV2(valid) }))

/**
 * A layer that points every plex.tv operation at `url`.
 *
 * `PlexTv` is a reference with a default (`https://plex.tv`), so a program
 * never *needs* this layer: providing it only changes the URL.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (url: string): Layer.Layer<PlexTv, InvalidInput> => Layer.effect(PlexTv, make(url))

/**
 * The plex.tv base URL from `Config`: by default the `PLEX_TV_URL`
 * environment variable, and `https://plex.tv` when it is not set, empty or blank. Lets an
 * unchanged program run against the fake (`plex-auth fake-server` prints
 * the URL to set). The URL is checked as {@link layerConfig} checks it, and is
 * the one it uses (without `/api/v2`): a malformed one (not http or https, a
 * query string, credentials in it) fails with a `ConfigError` at
 * `PLEX_TV_URL`, whose message is the layer's `InvalidInput` reason, never
 * the value.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<string> = /*#__PURE__*/ Config.suspend(() =>
  V.checkedConfig(fromEnvironment, Configured.plexTvUrl)
)

/** `PLEX_TV_URL` as set, else {@link defaultUrl}: what {@link config} checks, and `layerConfig()` reports as `InvalidInput`. */
const fromEnvironment: Config.Config<string> = /*#__PURE__*/ Config.suspend(() =>
  Config.map(Env.optional(plexTvVariable), (url) => url ?? defaultUrl)
)

/**
 * A layer from `Config` (by default the variable {@link config} reads:
 * `PLEX_TV_URL`, else `https://plex.tv`). A malformed URL fails with
 * `InvalidInput` when the layer is built; read from `PLEX_TV_URL`, it names
 * the variable (`PlexTv.layerConfig: invalid PLEX_TV_URL: ...`). Given
 * {@link config} itself, which checks the URL as it reads it, the layer fails
 * with that `Config`'s `ConfigError` instead.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 * import { ClientIdentity, PlexTv } from "effect-plex-auth"
 *
 * // PLEX_TV_URL=http://127.0.0.1:32401 node app.js   talks to a fake; unset, to plex.tv
 * const MainLive = Layer.mergeAll(FetchHttpClient.layer, ClientIdentity.layerConfig(), PlexTv.layerConfig())
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  url?: Config.Config<string>
): Layer.Layer<PlexTv, InvalidInput | ConfigError.ConfigError> =>
  Layer.effect(
    PlexTv,
    V.configured("PlexTv.layerConfig", url, fromEnvironment, { url: plexTvVariable }, make)
  )

/**
 * Points one effect at another plex.tv base URL (the seeds' per-call
 * `serverURL`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const withUrl: {
  (url: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInput, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, url: string): Effect.Effect<A, E | InvalidInput, R>
} = /*#__PURE__*/ dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, url: string): Effect.Effect<A, E | InvalidInput, R> =>
    Effect.flatMap(make(url), (tv) => Effect.provideService(self, PlexTv, tv))
)
