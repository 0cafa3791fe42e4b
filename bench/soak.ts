/**
 * The soak (Effect 3 edition, Node 20): does memory stay flat over many operations, as in a long-running
 * process (a sync job that runs for weeks, a "Sign in with Plex" web app, a dashboard polling servers)? Each
 * scenario builds its layers once (one `ManagedRuntime`, as such a process would) and runs its operations against
 * the loopback fake, which runs in a child process (bench/soak/server.ts) so that what the fake keeps is not
 * counted. The heap is read after garbage collection after a warm-up and at 25%, 50%, 75% and 100% of the
 * operations; a leak shows as a heap that keeps growing with the operations (compare the growth per operation
 * from 25% to 100% with a run at a larger `--scale`).
 *
 *   npm run bench:soak                                              both editions
 *   node --expose-gc --import tsx bench/soak.ts [--scale=0.5] [--only=getTokenDetails,webSignIn] [--snapshot]
 *
 * Not part of `npm test`: it takes minutes and measures, it does not assert.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { Config, Effect, Exit, Layer, Logger, LogLevel, ManagedRuntime, Option, Redacted } from "effect"
import {
  ClientIdentity,
  Credentials,
  Jwt,
  PinLogin,
  PlexAuth,
  PlexTv,
  Resources,
  RetryPolicy,
  WebSignIn
} from "../src/index.js"
import { authUrlParams } from "../src/core/authUrl.js"
import * as Index from "../src/core/web/sessionIndex.js"
import { defaultStorePrefix } from "../src/core/web/signIn.js"
import { type Fake, type Scenario, soak, startFake } from "./soak/common.js"
import type { FaultKind } from "./soak/server.js"

const identity = { clientIdentifier: "soak-client", product: "effect-plex-auth soak" }

/** How many tokens the refreshing credentials obtained, Plex JWTs the JWT credentials renewed, and exchanges made. */
let obtained = 0
let renewed = 0
let exchanged = 0
/** The sessions left in the memory store of the sign-ins never signed out (webSignInNoSignOut). */
let sessionsKept: number | undefined

const scenarios = (fake: Fake): ReadonlyArray<Scenario> => {
  const { served } = fake
  // Warnings and errors only: WebSignIn logs each sign-in and sign-out at Info.
  const base = Layer.mergeAll(
    FetchHttpClient.layer,
    ClientIdentity.layer(identity),
    PlexTv.layer(served.plexTvUrl),
    Logger.minimumLogLevel(LogLevel.Warning)
  )
  const withToken = Layer.provideMerge(Credentials.layer(Redacted.make(served.token)), base)
  const ok = <A, E, R>(runtime: ManagedRuntime.ManagedRuntime<R, unknown>, effect: Effect.Effect<A, E, R>) =>
    runtime.runPromiseExit(effect).then(Exit.isSuccess)
  const lazy = <R>(layer: Layer.Layer<R, unknown>) => {
    let runtime: ManagedRuntime.ManagedRuntime<R, unknown> | undefined
    return () => (runtime ??= ManagedRuntime.make(layer))
  }

  // A token that works, from value Credentials.
  const tokenRuntime = lazy(withToken)

  // Refreshing credentials: before each operation the current token is revoked at the fake, so the call is
  // refused (422) and the credentials obtain a new one (a token the fake mints) and retry.
  const refreshingRuntime = lazy(
    Layer.provideMerge(
      Layer.scoped(
        Credentials.Credentials,
        Credentials.makeRefreshing({
          // A token of its own (minted when the layer is built): the seeded one serves the other scenarios.
          obtain: Effect.promise(() => fake.send({ command: "mintToken" })).pipe(
            Effect.map((token) => {
              obtained++
              return Redacted.make(token as string)
            })
          ),
          cooldown: "1 millis"
        })
      ),
      base
    )
  )

  // Plex JWT credentials (Jwt.layer) in use, and the exchange their refresh makes (nonce, device JWT, exchange:
  // Jwt.exchange), every other operation. The credentials themselves refresh at most once a minute however short
  // the margin (a token a refresh obtained less than the cooldown ago is not refreshed ahead), so on a real clock
  // the soak runs their refresh's requests directly.
  let jwtKey: Jwt.DeviceKey | undefined
  const jwtRuntime = lazy(
    Layer.unwrapEffect(
      Effect.gen(function* () {
        const key = yield* Jwt.generateKey
        jwtKey = key
        yield* Jwt.registerKey(key).pipe(Effect.provide(withToken), Jwt.withHost(served.clientsUrl))
        return Layer.provideMerge(
          Jwt.layer({
            key,
            refreshMargin: "3650 days",
            onToken: () =>
              Effect.sync(() => {
                renewed++
              })
          }),
          base
        ).pipe(Layer.provideMerge(Jwt.layerHost(served.clientsUrl)))
      })
    )
  )

  // Failing calls: 503, 429 and a reset connection three times each, retried until the fourth attempt answers;
  // a 401, which is not retried and fails the call.
  const failingRuntime = lazy(
    Layer.mergeAll(
      withToken,
      RetryPolicy.layer(RetryPolicy.backoff({ initialInterval: "1 millis", maxInterval: "2 millis" }))
    )
  )
  const kinds: ReadonlyArray<FaultKind> = ["503", "429", "reset", "401"]

  let device: Resources.Device | undefined
  const serverOf = (runtime: ManagedRuntime.ManagedRuntime<any, unknown>) =>
    device !== undefined
      ? Promise.resolve(device)
      : runtime.runPromise(Resources.servers()).then((servers) => {
          device = servers.find((s) => s.clientIdentifier === served.serverId)
          if (device === undefined) throw new Error("the fake's server is not listed")
          return device
        })

  const webLayer = (options: Partial<WebSignIn.Options> = {}) =>
    Layer.provideMerge(
      WebSignIn.layer({
        appUrl: "https://media.example.com",
        machineIdentifier: served.serverId,
        sessionKey: Config.succeed(Redacted.make("soak-session-key-0123456789abcdefghij")),
        authAppUrl: `${served.plexTvUrl}/auth`,
        // The soak starts hundreds of sign-ins a second: past the default startLimit (30 a minute) each start would
        // be refused (TooManySignIns) and the soak would measure refusals, not sign-ins.
        startLimit: Number.MAX_SAFE_INTEGER,
        ...options
      }),
      Layer.mergeAll(base, KeyValueStore.layerMemory)
    )
  const webRuntime = lazy(webLayer())
  // Another app, its own memory store: its users sign in and never sign out (they close the tab). Sessions end
  // 2 seconds after sign-in, so that the soak sees them leave the store (at a later sign-in).
  const abandonedRuntime = lazy(webLayer({ sessionIdle: "1 second", sessionMax: "2 seconds" }))
  const cookieHeader = (cookies: ReadonlyArray<WebSignIn.SetCookie>, name: string) => {
    const found = cookies.find((c) => c.name === name && c.value !== "")
    return found === undefined ? undefined : `${found.name}=${found.value}`
  }
  const webCycle = (signOut: boolean) =>
    Effect.gen(function* () {
      const service = yield* WebSignIn.WebSignIn
      const started = yield* service.start
      const params = authUrlParams(Redacted.value(started.url))
      const { cookies } = yield* service.callback({
        cookie: `${started.cookie.name}=${started.cookie.value}`,
        url: params.get("forwardUrl") ?? ""
      })
      const session = cookieHeader(cookies, service.settings.sessionCookie)
      yield* service.authenticate(session)
      if (signOut) yield* service.signOut(session)
    })

  return [
    {
      name: "getTokenDetails",
      operations: 4_000,
      concurrency: 8,
      run: () => ok(tokenRuntime(), PlexAuth.getTokenDetails())
    },
    {
      name: "refreshing",
      operations: 2_000,
      concurrency: 1,
      run: () =>
        ok(
          refreshingRuntime(),
          Effect.gen(function* () {
            const credentials = yield* Credentials.Credentials
            const token = yield* credentials.token
            yield* Effect.promise(() => fake.send({ command: "revokeToken", token: Redacted.value(token) }))
            // At least the cooldown between two refreshes: a fresh token refused sooner is not refreshed.
            yield* Effect.sleep("2 millis")
            return yield* PlexAuth.getTokenDetails()
          })
        )
    },
    {
      name: "jwt",
      operations: 4_000,
      concurrency: 4,
      run: (index) => {
        const runtime = jwtRuntime()
        const key = jwtKey
        return index % 2 === 0 || key === undefined
          ? ok(runtime, PlexAuth.getTokenDetails())
          : ok(
              runtime,
              Jwt.exchange(key).pipe(
                Effect.tap(() =>
                  Effect.sync(() => {
                    exchanged++
                  })
                )
              )
            )
      }
    },
    {
      name: "failing",
      operations: 1_000,
      concurrency: 1,
      run: (index) => {
        const kind = kinds[index % kinds.length] as FaultKind
        return fake
          .send({ command: "fault", kind, times: kind === "401" ? 1 : 3, route: "getTokenDetails" })
          .then(() => ok(failingRuntime(), PlexAuth.getTokenDetails()))
          .then((succeeded) => succeeded === (kind !== "401"))
      }
    },
    {
      name: "resources",
      operations: 2_000,
      concurrency: 4,
      run: (index) =>
        index % 2 === 0
          ? ok(tokenRuntime(), Resources.list())
          : serverOf(tokenRuntime()).then((server) => ok(tokenRuntime(), Resources.connect(server)))
    },
    {
      name: "pinLogin",
      operations: 4_000,
      concurrency: 4,
      run: () =>
        ok(
          tokenRuntime(),
          Effect.flatMap(PinLogin.create(), (pin) => PinLogin.poll(pin))
        )
    },
    {
      name: "webSignIn",
      operations: 1_000,
      concurrency: 4,
      run: () => ok(webRuntime(), webCycle(true))
    },
    {
      name: "webSignInNoSignOut",
      operations: 1_000,
      concurrency: 4,
      run: () => ok(abandonedRuntime(), webCycle(false)),
      teardown: () =>
        abandonedRuntime()
          .runPromise(Effect.flatMap(KeyValueStore.KeyValueStore, sessionCount))
          .then((size) => {
            sessionsKept = size
          })
    },
    {
      // Every answer a second late, every attempt given 5 ms: each call fails with its timeout.
      name: "timeouts",
      operations: 4_000,
      concurrency: 32,
      setup: () =>
        fake
          .send({ command: "fault", kind: "slow", times: 1_000_000_000, route: "getTokenDetails" })
          .then(() => undefined),
      teardown: () => fake.send({ command: "clearFaults" }).then(() => undefined),
      run: () =>
        ok(tokenRuntime(), PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("5 millis"))).then(
          (succeeded) => !succeeded
        )
    }
  ]
}

/**
 * The sessions a store holds: its keys but the sessions' index's (src/core/web/sessionIndex.ts: its marker, and the
 * pages of the buckets not swept yet).
 */
const sessionCount = (store: KeyValueStore.KeyValueStore) =>
  Effect.orDie(
    Effect.gen(function* () {
      const prefix = defaultStorePrefix
      const size = yield* store.size
      const text = yield* store.get(Index.markerKey(prefix))
      if (Option.isNone(text)) return size
      const marker = Index.decodeMarker(text.value)
      let index = 1
      if (marker !== undefined) {
        for (let b = marker.swept + 1; b <= marker.newest; b++) {
          for (let p = 0; p < Index.maxPages && (yield* store.has(Index.pageKey(prefix, b, p))); p++) index++
        }
      }
      return size - index
    })
  )

const fake = await startFake()
try {
  await soak("Effect 3 edition (effect-plex-auth)", scenarios(fake), process.argv.slice(2))
  console.log(
    `Refreshes: ${obtained} tokens obtained (refreshing), ${renewed} Plex JWTs kept by the JWT credentials and ${exchanged} exchanged (jwt)`
  )
  if (sessionsKept !== undefined)
    console.log(`Sessions in the store after webSignInNoSignOut: ${sessionsKept}`)
} finally {
  fake.close()
}
process.exit(0)
