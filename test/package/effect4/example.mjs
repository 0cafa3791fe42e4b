// Runs against the installed Effect 4 tarball, on Node >= 22.19: the README's quick start against the
// in-memory fake, and a sign-in plus token check over real HTTP against the loopback fake.
import { Console, Effect, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { ClientIdentity, Credentials, PinLogin, PlexAuth, PlexTv } from "effect4-plex-auth"
import { FakePlexServer } from "effect4-plex-auth/node"
import { FakePlex } from "effect4-plex-auth/testing"

const quickStart = Effect.flatMap(PinLogin.login({ onPin: () => Console.log("pin") }), (token) =>
  PlexAuth.account().pipe(Credentials.withToken(token))
).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: true })))

const overHttp = Effect.gen(function* () {
  const server = yield* FakePlexServer.FakePlexServer
  const account = yield* PlexAuth.signIn({
    login: FakePlex.defaults.login,
    password: FakePlex.defaults.password
  }).pipe(PlexTv.withUrl(server.plexTvUrl))
  const details = yield* PlexAuth.account().pipe(
    PlexTv.withUrl(server.plexTvUrl),
    Credentials.withToken(account.authToken)
  )
  if (`${account}${details}`.includes(Redacted.value(account.authToken)))
    throw new Error("the token was printed")
  return details
}).pipe(
  Effect.provide(
    Layer.mergeAll(
      FakePlexServer.layer(),
      FetchHttpClient.layer,
      ClientIdentity.layer({ clientIdentifier: "package-smoke-test", product: "Package smoke test" })
    )
  )
)

Effect.runPromise(Effect.all([quickStart, overHttp])).then(
  ([a, b]) => {
    console.log(`signed in as ${a.username}; over HTTP ${b.username} (${b.email})`)
    process.exit(0)
  },
  (error) => {
    console.error(String(error))
    process.exit(1)
  }
)
