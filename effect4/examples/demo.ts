/**
 * `npm run demo:effect4` (at the root) or `npm run demo -w effect4`: the
 * demo of examples/demo.ts for the Effect 4 edition (`effect4-plex-auth`,
 * `effect` 4 and its `effect/http` client), run on Node 22 through
 * scripts/node22.mjs.
 *
 * By default it starts the fake Plex on loopback (`effect4-plex-auth/node`)
 * and runs, with the real client and `FetchHttpClient`: a sign-in that needs
 * a two-factor code, then with the code; token details; a transient token
 * and source connection information from the server; a wrong password; and
 * a rate limit ridden out by a retry policy. It never leaves 127.0.0.1.
 *
 * `-- --server http://192.168.1.10:32400` (with `PLEX_TOKEN` set) runs only
 * the read-only steps against a real Plex instead: token details, a
 * transient token and source connection information. `--plex-tv <url>`
 * points plex.tv elsewhere (a proxy); `PLEX_CLIENT_IDENTIFIER` sets the
 * client identifier (default `effect-plex-auth-demo`).
 *
 * Exits 0 when every step went as expected, 1 otherwise. `main` is exported
 * so that test/examples/demo.test.ts runs the same journey in process.
 */
import { pathToFileURL } from "node:url"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { ClientIdentity, Credentials, PlexAuth, PlexServer, PlexTv, RetryPolicy } from "effect4-plex-auth"
import type { PlexError } from "effect4-plex-auth"
import { FakePlexServer } from "effect4-plex-auth/node"
import { Fault } from "effect4-plex-auth/testing"

const LOGIN = "alice@example.com"
const PASSWORD = Redacted.make("correct horse battery staple")
const CODE = Redacted.make("123456")

// ---------------------------------------------------------------------------
// Transcript
// ---------------------------------------------------------------------------

/** A numbered step of the transcript: the step counter lives in the run, not in the module. */
const stepper = () => {
  let stepNumber = 0
  return (title: string) => Effect.suspend(() => Console.log(`\n${++stepNumber}. ${title}`))
}
type Step = ReturnType<typeof stepper>
const show = (line: string) => Console.log(`   ${line}`)

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

const readOnlySteps = (
  step: Step,
  source: Effect.Effect<string, Error, HttpClient.HttpClient | PlexServer.PlexServer>
) =>
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
    const step = stepper()
    yield* Console.log(
      `effect-plex-auth demo, Effect 4 edition (effect4-plex-auth): the fake Plex on loopback`
    )
    yield* Console.log(`   plex.tv at ${server.plexTvUrl}, "Fake Media Server" at ${server.serverUrl}`)

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
    yield* readOnlySteps(step, Effect.succeed(fake.serverId)).pipe(withToken)

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
export const runFake: Effect.Effect<void, unknown> = Effect.gen(function* () {
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
        product: "effect-plex-auth demo (Effect 4)",
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
    yield* Console.log(
      `effect-plex-auth demo, Effect 4 edition: read-only steps against ${serverUrl} and ${plexTvUrl ?? "plex.tv"}`
    )
    yield* readOnlySteps(stepper(), serverIdentity).pipe(
      plexTvUrl === undefined ? (self) => self : PlexTv.withUrl(plexTvUrl)
    )
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        FetchHttpClient.layer,
        Credentials.layerConfig().pipe(
          // Effect 4's Layer has no mapError: a failed layer is replaced by one failing with the hint.
          Layer.catchCause(() =>
            Layer.effect(
              Credentials.Credentials,
              Effect.fail(new Error("set PLEX_TOKEN to a Plex token to run against a real server"))
            )
          )
        ),
        PlexServer.layer(serverUrl),
        ClientIdentity.layerConfig(
          Config.all({
            clientIdentifier: Config.String("PLEX_CLIENT_IDENTIFIER").pipe(
              Config.withDefault("effect-plex-auth-demo")
            ),
            product: Config.succeed("effect-plex-auth demo (Effect 4)")
          })
        )
      )
    )
  )

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

/** The demo for the command line `args`: the fake journey, or the read-only steps with `--server`. */
export const main = (args: ReadonlyArray<string>): Effect.Effect<void, unknown> => {
  const flag = (name: string): string | undefined => {
    const index = args.indexOf(name)
    const value = index >= 0 ? args[index + 1] : undefined
    return value === undefined || value.startsWith("--") ? undefined : value
  }
  if (!args.includes("--server")) return runFake
  const serverUrl = flag("--server")
  return serverUrl === undefined
    ? Effect.fail(new Error("--server needs a URL, e.g. --server http://192.168.1.10:32400"))
    : runReal(serverUrl, flag("--plex-tv"))
}

/** What a failed run says: the failure's message, or the whole cause when it is not a plain failure. */
export const failureReason = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.findErrorOption(cause)
  return Option.isSome(failure) && failure.value instanceof Error
    ? failure.value.message
    : Cause.pretty(cause)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  Effect.runPromiseExit(main(process.argv.slice(2))).then((exit) => {
    if (Exit.isSuccess(exit)) {
      console.log("\nEvery step went as expected.")
      process.exitCode = 0
    } else {
      console.error(`\nThe demo failed: ${failureReason(exit.cause)}`)
      process.exitCode = 1
    }
  })
}
