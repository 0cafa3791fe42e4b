/**
 * `npm run demo`: a real journey through effect-plex-auth, over HTTP.
 *
 * By default it starts the fake Plex on loopback (`effect-plex-auth/node`)
 * and runs, with the real client and `FetchHttpClient`: a sign-in that needs
 * a two-factor code, then with the code; token details; a transient token
 * and source connection information from the server; a wrong password; and
 * a rate limit ridden out by a retry policy. It never leaves 127.0.0.1.
 *
 * `npm run demo -- --server http://192.168.1.10:32400` (with `PLEX_TOKEN`
 * set) runs only the read-only steps against a real Plex instead: token
 * details, a transient token and source connection information.
 * `--plex-tv <url>` points plex.tv elsewhere (a proxy); `PLEX_CLIENT_IDENTIFIER`
 * sets the client identifier (default `effect-plex-auth-demo`).
 *
 * Exits 0 when every step went as expected, 1 otherwise.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Cause, Config, Effect, Exit, Layer, Redacted } from "effect"
import { ClientIdentity, Credentials, PlexAuth, PlexServer, PlexTv, RetryPolicy } from "effect-plex-auth"
import type { PlexError } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault } from "effect-plex-auth/testing"

const LOGIN = "alice@example.com"
const PASSWORD = Redacted.make("correct horse battery staple")
const CODE = Redacted.make("123456")

// ---------------------------------------------------------------------------
// Transcript
// ---------------------------------------------------------------------------

let stepNumber = 0
const step = (title: string) => Effect.sync(() => console.log(`\n${++stepNumber}. ${title}`))
const show = (line: string) => Effect.sync(() => console.log(`   ${line}`))

/** Runs `effect` expecting it to fail with `tag`; anything else ends the demo. */
const expectError = <A, R>(
  effect: Effect.Effect<A, PlexError.PlexError, R>,
  tag: PlexError.PlexError["_tag"]
) =>
  Effect.matchEffect(effect, {
    onSuccess: () => Effect.fail(new Error(`expected ${tag}, but the call succeeded`)),
    onFailure: (error) =>
      error._tag === tag
        ? show(`→ ${error._tag}: ${error.message}`)
        : Effect.fail(new Error(`expected ${tag}, got ${error._tag}: ${error.message}`))
  })

const check = (condition: boolean, message: string) =>
  condition ? Effect.void : Effect.fail(new Error(message))

// ---------------------------------------------------------------------------
// Read-only steps (fake or real)
// ---------------------------------------------------------------------------

const readOnlySteps = (source: Effect.Effect<string, Error, HttpClient.HttpClient | PlexServer.PlexServer>) =>
  Effect.gen(function* () {
    yield* step("Token details (plex.tv GET /api/v2/user)")
    const account = yield* PlexAuth.getTokenDetails()
    const plexPass = account.subscription?.active === true ? "Plex Pass active" : "no Plex Pass"
    yield* show(`→ ${account.username} <${account.email ?? "no email"}>, id ${account.id}, ${plexPass}`)
    yield* show(`  token ${String(account.authToken)}`)

    const server = yield* PlexServer.PlexServer
    yield* step(`Transient token (PMS POST /security/token at ${server.url})`)
    const transient = yield* PlexAuth.getTransientToken({ type: "delegation", scope: "all" })
    yield* show(`→ transient token ${String(transient.token)} (valid up to 48 h)`)

    const id = yield* source
    yield* step(`Source connection information for server://${id} (PMS GET /security/resources)`)
    const info = yield* PlexAuth.getSourceConnectionInformation({ source: `server://${id}` }).pipe(
      Credentials.withToken(transient.token)
    )
    yield* show(`→ ${info.name ?? info.clientIdentifier}, access token ${String(info.accessToken)}`)
    for (const connection of info.connections) {
      const kind = connection.relay ? "relay" : connection.local ? "local" : "remote"
      yield* show(`  ${connection.uri} (${kind})`)
    }
  })

// ---------------------------------------------------------------------------
// The journey against the fake on loopback
// ---------------------------------------------------------------------------

const fakeJourney = (server: FakePlexServer.FakePlexServerService) =>
  Effect.gen(function* () {
    const fake = server.fake
    console.log(`effect-plex-auth demo, Effect 3 edition: the fake Plex on loopback`)
    console.log(`   plex.tv at ${server.plexTvUrl}, "Fake Media Server" at ${server.serverUrl}`)

    yield* step("Sign in without the two-factor code")
    yield* expectError(
      PlexAuth.postUsersSignInData({ login: LOGIN, password: PASSWORD }),
      "VerificationCodeRequired"
    )

    yield* step("Sign in with the code")
    const account = yield* PlexAuth.postUsersSignInData({
      login: LOGIN,
      password: PASSWORD,
      verificationCode: CODE
    })
    yield* show(`→ signed in as ${account.username} (id ${account.id}), token ${String(account.authToken)}`)

    const withToken = Credentials.withToken(account.authToken)
    yield* readOnlySteps(Effect.succeed(fake.serverId)).pipe(withToken)

    yield* step("Sign in with a wrong password")
    yield* expectError(
      PlexAuth.postUsersSignInData({ login: LOGIN, password: "not-the-password" }),
      "Unauthorized"
    )

    yield* step("Token details while plex.tv rate-limits once (429, Retry-After: 1 s)")
    yield* fake.fault("getTokenDetails", Fault.status(429, { retryAfter: "1 second" }), { times: 1 })
    yield* fake.clearRequests
    const policy = RetryPolicy.backoff({ initialInterval: "100 millis", maxElapsedTime: "10 seconds" })
    const again = yield* PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(policy), withToken)
    const attempts = (yield* fake.requests).filter((r) => r.route === "getTokenDetails")
    const start = attempts[0]?.receivedAt ?? 0
    for (const [i, attempt] of attempts.entries()) {
      yield* show(`  attempt ${i + 1}: HTTP ${attempt.status} at +${attempt.receivedAt - start} ms`)
    }
    yield* check(
      attempts.length === 2 && attempts[0]?.status === 429 && attempts[1]?.status === 200,
      `expected a 429 then a 200, got ${attempts.map((a) => a.status).join(", ")}`
    )
    yield* check((attempts[1]?.receivedAt ?? 0) - start >= 1000, "the retry did not wait for the Retry-After")
    yield* show(`→ retried by RetryPolicy.backoff after the Retry-After; ${again.username} again`)
  })

/** Starts the fake on loopback, points plex.tv and the server at it, and runs the journey. */
const runFake = Effect.gen(function* () {
  const server = yield* FakePlexServer.FakePlexServer
  yield* fakeJourney(server).pipe(PlexTv.withUrl(server.plexTvUrl), PlexServer.withUrl(server.serverUrl))
}).pipe(
  Effect.provide(
    Layer.mergeAll(
      FakePlexServer.layer({
        accounts: [{ email: LOGIN, username: "alice", password: PASSWORD, twoFactorCode: CODE }]
      }),
      FetchHttpClient.layer,
      ClientIdentity.layer({
        clientIdentifier: "effect-plex-auth-demo",
        product: "effect-plex-auth demo",
        version: "0.1.0",
        platform: "Node.js"
      })
    )
  )
)

// ---------------------------------------------------------------------------
// Read-only steps against a real Plex
// ---------------------------------------------------------------------------

/** The server's machine identifier, from its unauthenticated `GET /identity`. */
const serverIdentity = Effect.gen(function* () {
  const server = yield* PlexServer.PlexServer
  const client = yield* HttpClient.HttpClient
  const response = yield* client.execute(
    HttpClientRequest.get(`${server.url}/identity`).pipe(HttpClientRequest.acceptJson)
  )
  const body = (yield* response.json) as { MediaContainer?: { machineIdentifier?: unknown } }
  const id = body.MediaContainer?.machineIdentifier
  return typeof id === "string"
    ? id
    : yield* Effect.fail(new Error("the server's /identity has no machineIdentifier"))
}).pipe(Effect.mapError((e) => (e instanceof Error ? e : new Error(String(e)))))

const runReal = (serverUrl: string, plexTvUrl: string | undefined) =>
  Effect.gen(function* () {
    console.log(`effect-plex-auth demo: read-only steps against ${serverUrl} and ${plexTvUrl ?? "plex.tv"}`)
    yield* readOnlySteps(serverIdentity).pipe(
      plexTvUrl === undefined ? (self) => self : PlexTv.withUrl(plexTvUrl)
    )
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        FetchHttpClient.layer,
        Credentials.layerConfig().pipe(
          Layer.mapError(() => new Error("set PLEX_TOKEN to a Plex token to run against a real server"))
        ),
        PlexServer.layer(serverUrl),
        ClientIdentity.layerConfig(
          Config.all({
            clientIdentifier: Config.string("PLEX_CLIENT_IDENTIFIER").pipe(
              Config.withDefault("effect-plex-auth-demo")
            ),
            product: Config.succeed("effect-plex-auth demo")
          })
        )
      )
    )
  )

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const index = args.indexOf(name)
  const value = index >= 0 ? args[index + 1] : undefined
  return value === undefined || value.startsWith("--") ? undefined : value
}
const serverFlag = args.indexOf("--server")
const serverUrl = flag("--server")

const main =
  serverFlag >= 0
    ? serverUrl === undefined || serverUrl.startsWith("--")
      ? Effect.fail(new Error("--server needs a URL, e.g. --server http://192.168.1.10:32400"))
      : runReal(serverUrl, flag("--plex-tv"))
    : runFake

Effect.runPromiseExit(main).then((exit) => {
  if (Exit.isSuccess(exit)) {
    console.log("\nEvery step went as expected.")
    process.exitCode = 0
  } else {
    const failure = Cause.failureOption(exit.cause)
    const reason =
      failure._tag === "Some" && failure.value instanceof Error
        ? failure.value.message
        : Cause.pretty(exit.cause)
    console.error(`\nThe demo failed: ${reason}`)
    process.exitCode = 1
  }
})
