/**
 * Bundle-size entry: `PlexAuth.getSourceConnectionInformation` for a source
 * and a server named in the page's query string.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ClientIdentity from "effect-plex-auth/ClientIdentity"
import * as Credentials from "effect-plex-auth/Credentials"
import * as PlexAuth from "effect-plex-auth/PlexAuth"
import * as PlexServer from "effect-plex-auth/PlexServer"

const params = new URLSearchParams(location.search)

const MainLive = Layer.mergeAll(
  FetchHttpClient.layer,
  ClientIdentity.layer({
    clientIdentifier: localStorage.getItem("plex-client-id") ?? "",
    product: "Bundle check"
  }),
  Credentials.layer(localStorage.getItem("plex-token") ?? ""),
  PlexServer.layer(params.get("server") ?? "http://127.0.0.1:32400")
)

const program = PlexAuth.getSourceConnectionInformation({ source: params.get("source") ?? "" }).pipe(
  Effect.map(
    (device) => `${device.name ?? "?"}: ${device.connections.map((connection) => connection.uri).join(", ")}`
  ),
  Effect.provide(MainLive),
  Effect.catchAll((error) => Effect.succeed(`Failed: ${error._tag}`))
)

void Effect.runPromise(program).then((text) => {
  document.body.textContent = text
})
