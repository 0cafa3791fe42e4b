// Type-checked against the installed tarball with moduleResolution
// nodenext and bundler: the exports map's types must resolve, from the barrel
// and from every module subpath.
import { Effect, Layer } from "effect"
import type { PlexError, Schemas } from "effect-plex-auth"
import { ClientIdentity, Credentials, PlexAuth, PlexTv, Resources } from "effect-plex-auth"
import * as PlexAuthModule from "effect-plex-auth/PlexAuth"
import * as ClientIdentityModule from "effect-plex-auth/ClientIdentity"
import * as CredentialsModule from "effect-plex-auth/Credentials"
import * as JwtModule from "effect-plex-auth/Jwt"
import * as PinLoginModule from "effect-plex-auth/PinLogin"
import * as PlexErrorModule from "effect-plex-auth/PlexError"
import * as PlexServerModule from "effect-plex-auth/PlexServer"
import * as PlexTvModule from "effect-plex-auth/PlexTv"
import * as ResourcesModule from "effect-plex-auth/Resources"
import * as RetryPolicyModule from "effect-plex-auth/RetryPolicy"
import * as SchemasModule from "effect-plex-auth/Schemas"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { FakePlexServer } from "effect-plex-auth/node"

const username: Effect.Effect<string, PlexError.GetTokenDetailsError, never> =
  PlexAuth.getTokenDetails().pipe(
    Effect.map((account: Schemas.Account) => account.username),
    Effect.provide(
      Layer.mergeAll(
        FakePlex.layer(),
        ClientIdentity.layer({ clientIdentifier: "consumer", product: "Consumer" }),
        Credentials.layer(FakePlex.defaults.token)
      )
    ),
    PlexTv.withUrl(FakePlex.defaults.plexTvUrl),
    Effect.orDie
  )

// The subpaths export the same values as the barrel.
const same: ReadonlyArray<boolean> = [
  PlexAuthModule.getTokenDetails === PlexAuth.getTokenDetails,
  ClientIdentityModule.layer === ClientIdentity.layer,
  CredentialsModule.layer === Credentials.layer,
  ResourcesModule.connect === Resources.connect
]
const modules: ReadonlyArray<object> = [
  JwtModule,
  PinLoginModule,
  PlexErrorModule,
  PlexServerModule,
  PlexTvModule,
  RetryPolicyModule,
  SchemasModule
]
const fault: Fault.Fault = Fault.hang
const server: Layer.Layer<FakePlexServer.FakePlexServer, FakePlexServer.ServeError> = FakePlexServer.layer()

// @ts-expect-error the token is Redacted, not a string
const wrong: string = FakePlex.defaults.token

export { fault, modules, same, server, username, wrong }
