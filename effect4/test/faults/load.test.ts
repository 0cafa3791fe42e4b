/**
 * Many operations at once over loopback HTTP: every one finishes with its
 * own correct answer (no answer crosses to another caller), and the fake
 * saw exactly one request per operation.
 */
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexServer from "effect4-plex-auth/PlexServer"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import { FakePlexServer } from "effect4-plex-auth/node"
import { identity } from "./support.js"

// The Effect 3 edition's suite sends 1,000; the Effect 4 edition's sends 300 (all in flight at once), which
// shows the same (no answer crosses to another caller) for a third of the CPU time in the suite's budget.
const COUNT = 300
const CONCURRENCY = 300
const users = ["alice", "user2", "user3", "user4", "user5"]

/**
 * Under load every call waits on the same one thread (client and server), so the last of a batch is
 * answered when the whole batch is: well under a second on an idle machine, but many times that on a
 * loaded 2-core one (the Effect 3 edition's 1,000 calls were seen past 30 s under a load average of 12).
 * The per-attempt timeout (30 s by default) would then cut the last ones short, and a cut attempt is an
 * error, not what these tests are about: it stays on, lengthened to {@link REQUEST_TIMEOUT}, so that a
 * request that really hangs still fails with a `Timeout` naming it, before the test's own timeout
 * ({@link TEST_TIMEOUT}) says only that the test did not end. A safety net, not a speed check.
 */
const REQUEST_TIMEOUT = "150 seconds"
const TEST_TIMEOUT = 180_000

const Live = Layer.mergeAll(
  // Five accounts, the server shared with the four that do not own it.
  FakePlexServer.layer({ accounts: users.map(() => ({})), servers: [{ sharedWith: users.slice(1) }] }),
  FetchHttpClient.layer,
  identity
).pipe(Layer.orDie)

describe("load over loopback", () => {
  it.live(
    `${COUNT} getTransientToken calls at concurrency ${CONCURRENCY}, from five accounts, all answered correctly`,
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        const accounts = server.fake.accounts
        assert.strictEqual(accounts.length, users.length)
        const results = yield* Effect.all(
          Array.from({ length: COUNT }, (_, i) => {
            const account = accounts[i % accounts.length]!
            return PlexAuth.getTransientToken().pipe(
              PlexAuth.withRequestTimeout(REQUEST_TIMEOUT),
              PlexServer.withUrl(server.serverUrl),
              Credentials.withToken(account.token),
              Effect.map((transient) => ({ account, token: Redacted.value(transient.token) }))
            )
          }),
          { concurrency: CONCURRENCY }
        )
        // Each call got a token of its own, issued by the server for its own account.
        const issued = new Map(
          (yield* server.fake.transientTokens).map((t) => [Redacted.value(t.token), t.accountId] as const)
        )
        assert.strictEqual(issued.size, COUNT)
        assert.strictEqual(new Set(results.map((r) => r.token)).size, COUNT)
        for (const { account, token } of results) assert.strictEqual(issued.get(token), account.id)
        const requests = yield* server.fake.requests
        assert.strictEqual(requests.length, COUNT)
        assert.isTrue(requests.every((r) => r.route === "getTransientToken" && r.status === 200))
      }).pipe(Effect.provide(Live)),
    TEST_TIMEOUT
  )

  // 50, not 200 (issue 16): all are in flight at once either way, ten per account, so an answer that crosses to
  // another caller on the plex.tv route shows as it did at 200 (a request shared between calls was caught at 50
  // in both editions, checked once); the batch above carries the large count.
  it.live(
    "50 getTokenDetails calls at concurrency 50 over five accounts: each gets its own account",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        const accounts = server.fake.accounts
        const results = yield* Effect.all(
          Array.from({ length: 50 }, (_, i) => {
            const account = accounts[i % accounts.length]!
            return PlexAuth.getTokenDetails().pipe(
              PlexAuth.withRequestTimeout(REQUEST_TIMEOUT),
              Credentials.withToken(account.token),
              PlexTv.withUrl(server.plexTvUrl),
              Effect.map((details) => [account.username, details.username] as const)
            )
          }),
          { concurrency: 50 }
        )
        for (const [expected, got] of results) assert.strictEqual(got, expected)
        assert.strictEqual((yield* server.fake.requests).length, 50)
      }).pipe(Effect.provide(Live)),
    TEST_TIMEOUT
  )
})
