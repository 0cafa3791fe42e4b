/**
 * Bundle-size entry: `PlexAuth.getTokenDetails` with the token kept in
 * `localStorage`, imported from its subpaths (`effect-plex-auth/PlexAuth`, ...), as bundle-conscious
 * users import `effect/Effect`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ClientIdentity from "effect-plex-auth/ClientIdentity"
import * as Credentials from "effect-plex-auth/Credentials"
import * as PlexAuth from "effect-plex-auth/PlexAuth"

const MainLive = Layer.mergeAll(
  FetchHttpClient.layer,
  ClientIdentity.layer({
    clientIdentifier: localStorage.getItem("plex-client-id") ?? "",
    product: "Bundle check"
  }),
  Credentials.layer(localStorage.getItem("plex-token") ?? "")
)

const program = PlexAuth.getTokenDetails().pipe(
  Effect.map((account) => `Signed in as ${account.username}`),
  Effect.provide(MainLive),
  Effect.catchAll((error) => Effect.succeed(`Failed: ${error._tag}`))
)

void Effect.runPromise(program).then((text) => {
  document.body.textContent = text
})
