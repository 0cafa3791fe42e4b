/**
 * The account token, held as `Redacted` and sent as `X-Plex-Token`.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type { ClientIdentity } from "./ClientIdentity.js"
import * as PlexAuth from "./PlexAuth.js"
import type { InvalidInput, SignInError } from "./PlexError.js"
import { Credentials, type CredentialsService } from "./internal/tags.js"
import * as V from "./internal/validate.js"

export {
  /**
   * The credentials service: the current token. Required by every operation
   * that acts for an account or on a server.
   *
   * @since 0.1.0
   * @category tags
   */
  Credentials,
  /**
   * @since 0.1.0
   * @category models
   */
  type CredentialsService
}

/**
 * Credentials from a token. A plain string is wrapped in `Redacted` at once;
 * an empty token or one with whitespace fails with `InvalidInput`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  token: string | Redacted.Redacted<string>
): Effect.Effect<CredentialsService, InvalidInput> =>
  Effect.map(V.token("Credentials", "token", token), (valid) => ({ token: Effect.succeed(valid) }))

/**
 * A layer from a token.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { Credentials } from "effect-plex-auth"
 *
 * const CredentialsLive = Credentials.layer(Redacted.make("my-plex-token"))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (token: string | Redacted.Redacted<string>): Layer.Layer<Credentials, InvalidInput> =>
  Layer.effect(Credentials, make(token))

/**
 * A layer from `Config`, by default the `PLEX_TOKEN` environment variable
 * (read as `Redacted`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  token: Config.Config<Redacted.Redacted<string>> = Config.redacted("PLEX_TOKEN")
): Layer.Layer<Credentials, InvalidInput | ConfigError.ConfigError> =>
  Layer.effect(Credentials, Effect.flatMap(token, make))

/**
 * A layer that signs in once, when the layer is built, and serves the token
 * it obtained to every operation that uses the layer. Fails with the
 * sign-in's error (e.g. `VerificationCodeRequired`).
 *
 * @example
 * ```ts
 * import { Credentials } from "effect-plex-auth"
 *
 * const CredentialsLive = Credentials.layerSignIn({ login: "me@example.com", password: "hunter2" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSignIn = (
  input: PlexAuth.SignInInput
): Layer.Layer<Credentials, SignInError, HttpClient.HttpClient | ClientIdentity> =>
  Layer.effect(
    Credentials,
    Effect.map(PlexAuth.postUsersSignInData(input), (account) => ({
      token: Effect.succeed(account.authToken)
    }))
  )

/**
 * Runs an effect (one operation or a whole program) with another token,
 * without rebuilding layers. An empty token fails with `InvalidInput`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withToken: {
  (
    token: string | Redacted.Redacted<string>
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInput, Exclude<R, Credentials>>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    token: string | Redacted.Redacted<string>
  ): Effect.Effect<A, E | InvalidInput, Exclude<R, Credentials>>
} = dual(
  2,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    token: string | Redacted.Redacted<string>
  ): Effect.Effect<A, E | InvalidInput, Exclude<R, Credentials>> =>
    Effect.flatMap(make(token), (credentials) => Effect.provideService(self, Credentials, credentials))
)
