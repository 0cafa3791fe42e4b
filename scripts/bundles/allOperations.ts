/**
 * Bundle-size entry: all four operations in one page. Signs in from a form,
 * then reads the account, a transient token and a source's connections.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as ClientIdentity from "effect-plex-auth/ClientIdentity"
import * as Credentials from "effect-plex-auth/Credentials"
import * as PlexAuth from "effect-plex-auth/PlexAuth"
import * as PlexServer from "effect-plex-auth/PlexServer"

const params = new URLSearchParams(location.search)

const IdentityLive = ClientIdentity.layer({
  clientIdentifier: localStorage.getItem("plex-client-id") ?? "",
  product: "Bundle check"
})

const field = (form: FormData, name: string): string => {
  const value = form.get(name)
  return typeof value === "string" ? value : ""
}

const session = (form: FormData) =>
  Effect.gen(function* () {
    const signedIn = yield* PlexAuth.postUsersSignInData({
      login: field(form, "login"),
      password: Redacted.make(field(form, "password"))
    })
    const { account, device } = yield* Effect.all({
      account: PlexAuth.getTokenDetails(),
      transient: PlexAuth.getTransientToken({ type: "delegation", scope: "all" }).pipe(
        Effect.tap((transient) =>
          Effect.sync(() => sessionStorage.setItem("plex-transient-token", Redacted.value(transient.token)))
        )
      ),
      device: PlexAuth.getSourceConnectionInformation({ source: params.get("source") ?? "" })
    }).pipe(Credentials.withToken(signedIn.authToken))
    return `${account.username} can reach ${device.connections.length} connections`
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        FetchHttpClient.layer,
        IdentityLive,
        PlexServer.layer(params.get("server") ?? "http://127.0.0.1:32400")
      )
    ),
    Effect.catchAll((error) => Effect.succeed(`Failed: ${error._tag}`))
  )

document.querySelector("form")?.addEventListener("submit", (event) => {
  event.preventDefault()
  void Effect.runPromise(session(new FormData(event.currentTarget as HTMLFormElement))).then((text) => {
    document.body.textContent = text
  })
})
