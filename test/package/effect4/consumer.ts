// Type-checked against the installed Effect 4 tarball with moduleResolution nodenext and bundler: the
// exports map's types resolve, from the barrel and from the subpaths.
import { Effect, Layer } from "effect"
import type { PlexError, Schemas } from "effect4-plex-auth"
import { ClientIdentity, Credentials, PlexAuth, PlexTv, Resources } from "effect4-plex-auth"
import * as PlexAuthModule from "effect4-plex-auth/PlexAuth"
import * as ResourcesModule from "effect4-plex-auth/Resources"
import * as JwtModule from "effect4-plex-auth/Jwt"
import * as PinLoginModule from "effect4-plex-auth/PinLogin"
import * as HomeModule from "effect4-plex-auth/Home"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { FakePlexServer } from "effect4-plex-auth/node"

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

const same: ReadonlyArray<boolean> = [
  PlexAuthModule.getTokenDetails === PlexAuth.getTokenDetails,
  ResourcesModule.connect === Resources.connect
]
const modules: ReadonlyArray<object> = [JwtModule, PinLoginModule, HomeModule]
const fault: Fault.Fault = Fault.hang
const server = FakePlexServer.layer()

// @ts-expect-error the token is Redacted, not a string
const wrong: string = FakePlex.defaults.token

export { fault, modules, same, server, username, wrong }
