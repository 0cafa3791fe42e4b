// Runs against the installed tarball: a sign-in and a token check over real
// HTTP, against the loopback fake Plex, as a user's Node program would.
import { FetchHttpClient } from "@effect/platform"
import { Effect, Layer, Redacted } from "effect"
import { ClientIdentity, Credentials, PlexAuth, PlexTv } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { FakePlex } from "effect-plex-auth/testing"

const program = Effect.gen(function* () {
  const server = yield* FakePlexServer.FakePlexServer
  const account = yield* PlexAuth.postUsersSignInData({
    login: FakePlex.defaults.login,
    password: FakePlex.defaults.password
  }).pipe(PlexTv.withUrl(server.plexTvUrl))
  const details = yield* PlexAuth.getTokenDetails().pipe(
    PlexTv.withUrl(server.plexTvUrl),
    Credentials.withToken(account.authToken)
  )
  const printed = `${account}${details}`
  if (printed.includes(Redacted.value(account.authToken))) throw new Error("the token was printed")
  console.log(`signed in as ${details.username} (${details.email})`)
})

const Live = Layer.mergeAll(
  FakePlexServer.layer(),
  FetchHttpClient.layer,
  ClientIdentity.layer({ clientIdentifier: "package-smoke-test", product: "Package smoke test" })
)

Effect.runPromise(program.pipe(Effect.provide(Live))).then(
  () => process.exit(0),
  (error) => {
    console.error(String(error))
    process.exit(1)
  }
)
