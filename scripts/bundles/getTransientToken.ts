/**
 * Bundle-size entry: `PlexAuth.getTransientToken` from a Plex Media Server
 * whose URL is in the page's query string.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as ClientIdentity from "effect-plex-auth/ClientIdentity"
import * as Credentials from "effect-plex-auth/Credentials"
import * as PlexAuth from "effect-plex-auth/PlexAuth"
import * as PlexServer from "effect-plex-auth/PlexServer"

const MainLive = Layer.mergeAll(
  FetchHttpClient.layer,
  ClientIdentity.layer({
    clientIdentifier: localStorage.getItem("plex-client-id") ?? "",
    product: "Bundle check"
  }),
  Credentials.layer(localStorage.getItem("plex-token") ?? ""),
  PlexServer.layer(new URLSearchParams(location.search).get("server") ?? "http://127.0.0.1:32400")
)

const program = PlexAuth.getTransientToken({ type: "delegation", scope: "all" }).pipe(
  Effect.tap((transient) =>
    Effect.sync(() => sessionStorage.setItem("plex-transient-token", Redacted.value(transient.token)))
  ),
  Effect.as("Got a transient token"),
  Effect.provide(MainLive),
  Effect.catchAll((error) => Effect.succeed(`Failed: ${error._tag}`))
)

void Effect.runPromise(program).then((text) => {
  document.body.textContent = text
})
