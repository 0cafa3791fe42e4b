/**
 * Bundle-size entry: `PlexAuth.postUsersSignInData` from a sign-in form,
 * keeping the token in `localStorage`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as ClientIdentity from "effect-plex-auth/ClientIdentity"
import * as PlexAuth from "effect-plex-auth/PlexAuth"

const MainLive = Layer.mergeAll(
  FetchHttpClient.layer,
  ClientIdentity.layer({
    clientIdentifier: localStorage.getItem("plex-client-id") ?? "",
    product: "Bundle check"
  })
)

const field = (form: FormData, name: string): string => {
  const value = form.get(name)
  return typeof value === "string" ? value : ""
}

const signIn = (form: FormData) =>
  PlexAuth.postUsersSignInData({
    login: field(form, "login"),
    password: Redacted.make(field(form, "password")),
    rememberMe: form.has("remember"),
    ...(form.has("code") ? { verificationCode: field(form, "code") } : {})
  }).pipe(
    Effect.tap((account) =>
      Effect.sync(() => localStorage.setItem("plex-token", Redacted.value(account.authToken)))
    ),
    Effect.map((account) => `Signed in as ${account.username}`),
    Effect.catchTag("VerificationCodeRequired", () => Effect.succeed("Enter your two-factor code")),
    Effect.provide(MainLive),
    Effect.catchAll((error) => Effect.succeed(`Failed: ${error._tag}`))
  )

document.querySelector("form")?.addEventListener("submit", (event) => {
  event.preventDefault()
  const form = new FormData(event.currentTarget as HTMLFormElement)
  void Effect.runPromise(signIn(form)).then((text) => {
    document.body.textContent = text
  })
})
