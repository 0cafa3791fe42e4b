// Bundled for the browser from the installed tarball: no Node built-in may
// end up in it.
import { FetchHttpClient } from "@effect/platform"
import { Effect, Layer } from "effect"
import { ClientIdentity, Credentials, PlexAuth } from "effect-plex-auth"
import * as PinLogin from "effect-plex-auth/PinLogin"
import { FakePlex } from "effect-plex-auth/testing"

const live = Layer.mergeAll(
  FetchHttpClient.layer,
  ClientIdentity.layer({ clientIdentifier: "browser", product: "Browser" }),
  Credentials.layer("token-from-storage")
)

export const whoami = PlexAuth.getTokenDetails().pipe(Effect.provide(live))
export const pin = PinLogin.create().pipe(Effect.provide(live))
export const fake = PlexAuth.getTokenDetails().pipe(Effect.provide(FakePlex.layerSignedIn()))
