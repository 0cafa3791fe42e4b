// Bundled for the browser from the installed Effect 4 tarball: no Node built-in may end up in it.
import { Effect, Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { ClientIdentity, Credentials, PinLogin, PlexAuth } from "effect4-plex-auth"

const live = Layer.mergeAll(
  FetchHttpClient.layer,
  ClientIdentity.layer({ clientIdentifier: "browser", product: "Browser" }),
  Credentials.layer("token-from-storage")
)

export const whoami = PlexAuth.getTokenDetails().pipe(Effect.provide(live))
export const pin = PinLogin.create().pipe(Effect.provide(live))
