/**
 * Bundle-size entry: a password sign-in (`PlexAuth.postUsersSignInData`),
 * imported as the README does (each module from its subpath).
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"

const MainLive = Layer.mergeAll(
  FetchHttpClient.layer,
  ClientIdentity.layer({ clientIdentifier: "3381b62b-9ab7-4e37-827b-203e9809eb58", product: "My Plex Page" })
)

const form = document.forms[0]!
const program = PlexAuth.postUsersSignInData({
  login: String(form["login"]?.value ?? ""),
  password: Redacted.make(String(form["password"]?.value ?? ""))
}).pipe(
  Effect.map((account) => `Signed in as ${account.username}`),
  Effect.provide(MainLive),
  Effect.catch((error) => Effect.succeed(`Failed: ${error.message}`))
)

void Effect.runPromise(program).then((text) => {
  document.body.textContent = text
})
