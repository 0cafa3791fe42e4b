/**
 * Bundle-size entry: `PlexAuth.getTokenDetails` with the token kept in
 * `localStorage`, imported as the README does: each module from its subpath
 * (`effect/Effect`, `effect4-plex-auth/PlexAuth`), which every bundler
 * tree-shakes (esbuild keeps whole namespaces re-exported by a barrel).
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"

const MainLive = Layer.mergeAll(
  FetchHttpClient.layer,
  ClientIdentity.layer({ clientIdentifier: "3381b62b-9ab7-4e37-827b-203e9809eb58", product: "My Plex Page" }),
  Credentials.layer(localStorage.getItem("plex-token") ?? "")
)

const program = PlexAuth.getTokenDetails().pipe(
  Effect.map((account) => `Signed in as ${account.username}`),
  Effect.provide(MainLive),
  Effect.catch((error) => Effect.succeed(`Failed: ${error.message}`))
)

void Effect.runPromise(program).then((text) => {
  document.body.textContent = text
})
