/**
 * Where the plex.tv account API lives. Defaults to `https://plex.tv`; point
 * it elsewhere for a proxy or a fake (`npm run demo` points it at loopback).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type { InvalidInput } from "./PlexError.js"
import * as V from "./internal/validate.js"

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
export class PlexTv extends Context.Reference<PlexTv>()("effect-plex-auth/PlexTv", {
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
  Effect.map(V.httpUrl("PlexTv", "url", url), (valid) => ({ url: valid.replace(/\/api\/v2$/, "") }))

/**
 * A layer that points every plex.tv operation at `url`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (url: string): Layer.Layer<never, InvalidInput> =>
  Layer.effect(PlexTv, make(url)) as Layer.Layer<never, InvalidInput>

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
