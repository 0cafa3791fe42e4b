/**
 * Bundle-size entry: the Effect 4 floor. One `HttpClient` GET over
 * `FetchHttpClient` (`effect/http`) and a tiny Schema decode, with no
 * effect4-plex-auth at all. Every other entry is measured against this one.
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Schema from "effect/Schema"

const Account = Schema.Struct({ id: Schema.Number, username: Schema.String })

const program = HttpClient.get("https://plex.tv/api/v2/user", {
  headers: { accept: "application/json", "x-plex-token": localStorage.getItem("plex-token") ?? "" }
}).pipe(
  Effect.flatMap(HttpClientResponse.schemaBodyJson(Account)),
  Effect.map((account) => `Signed in as ${account.username}`),
  Effect.provide(FetchHttpClient.layer),
  Effect.catch((error) => Effect.succeed(`Failed: ${error._tag}`))
)

void Effect.runPromise(program).then((text) => {
  document.body.textContent = text
})
