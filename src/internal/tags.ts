/**
 * Service tags shared by the public modules, kept here so that no public
 * module has to import another one in a cycle.
 *
 * @internal
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"

/** What a `Credentials` layer provides. */
export interface CredentialsService {
  /** The current token, `Redacted`. */
  readonly token: Effect.Effect<Redacted.Redacted<string>>
  /**
   * Obtains a new token after `stale` was refused, when this layer can
   * (sign-in, PIN, JWT refresh). Concurrent callers holding the same stale
   * token share one refresh. Absent when the layer cannot re-authenticate.
   */
  readonly refresh?:
    ((stale: Redacted.Redacted<string>) => Effect.Effect<Redacted.Redacted<string>, unknown>) | undefined
  /**
   * Told that `token` was signed out (plex.tv revoked it at the caller's
   * request): a layer that can re-authenticate must not sign in again when
   * that token is later refused. Absent when there is nothing to remember.
   */
  readonly signedOut?: ((token: Redacted.Redacted<string>) => Effect.Effect<void>) | undefined
}

export class Credentials extends Context.Tag("effect-plex-auth/Credentials")<
  Credentials,
  CredentialsService
>() {}

/** What a `PlexServer` layer provides. */
export interface PlexServerService {
  /** The server's base URL, `http(s)://host:port[/prefix]`, without a trailing slash. */
  readonly url: string
}

export class PlexServer extends Context.Tag("effect-plex-auth/PlexServer")<PlexServer, PlexServerService>() {}

/** What the `PlexTv` reference holds. */
export interface PlexTvService {
  /** The base URL of the plex.tv account API, without `/api/v2`. */
  readonly url: string
}

export class PlexTv extends Context.Reference<PlexTv>()("effect-plex-auth/PlexTv", {
  defaultValue: (): PlexTvService => ({ url: "https://plex.tv" })
}) {}
