/**
 * Bundle-size entry: the test kit in a browser. `getTokenDetails` against
 * the in-memory fake Plex of `effect-plex-auth/testing` (a Storybook story or
 * an offline demo page would do this). Informational: no budget.
 */
import * as Effect from "effect/Effect"
import { PlexAuth } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"

const program = PlexAuth.getTokenDetails().pipe(
  Effect.map((account) => `Signed in as ${account.username}`),
  Effect.provide(FakePlex.layerSignedIn()),
  Effect.catchAll((error) => Effect.succeed(`Failed: ${error._tag}`))
)

void Effect.runPromise(program).then((text) => {
  document.body.textContent = text
})
