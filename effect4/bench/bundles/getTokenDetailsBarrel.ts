/**
 * Bundle-size entry, for information: getTokenDetails.ts imported from the
 * barrels of `effect`, `effect/http` and `effect4-plex-auth`. Rollup
 * tree-shakes them; esbuild keeps every member of each namespace a barrel
 * re-exports with `export * as` (evanw/esbuild#1420), Effect's as ours.
 */
import { Effect, Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { ClientIdentity, Credentials, PlexAuth } from "effect4-plex-auth"

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
