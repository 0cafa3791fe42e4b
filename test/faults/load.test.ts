/**
 * Many operations at once over loopback HTTP: every one finishes with its
 * own correct answer (no answer crosses to another caller), and the fake
 * saw exactly one request per operation.
 */
import { connect } from "node:net"
import { FetchHttpClient } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Credentials, PlexAuth, PlexServer, PlexTv } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { identity } from "./support.js"
import { it } from "../support/it.js"

// 1,000, not fewer: issue 4 promises "1,000 operations in parallel against the loopback fake all finish
// with correct results", and the raw burst below must exceed Node's default listen backlog (511) to guard
// the fake's larger one. (A third of the calls would save about 3 CPU-s of npm test, and prove less.)
const COUNT = 1000
// All 1,000 in flight at once (about 3 s here with the machine otherwise idle; client and server share one thread).
const CONCURRENCY = 1000
const users = ["alice", "user2", "user3", "user4", "user5"]

/**
 * Under load every call waits on the same one thread (client and server), so the last of a batch is
 * answered when the whole batch is: about 3 s on an idle machine, over 30 s on a loaded 2-core one (seen:
 * timed out at 30 s under a load average of 12). The per-attempt timeout (30 s by default) would then cut
 * the last ones short, and a cut attempt is an error (or a second request), not what these tests are
 * about: it stays on, lengthened to {@link REQUEST_TIMEOUT}, so that a request that really hangs still
 * fails with a `Timeout` naming it, before the test's own timeout ({@link TEST_TIMEOUT}) says only that
 * the test did not end.
 */
const REQUEST_TIMEOUT = "150 seconds"
const TEST_TIMEOUT = 180_000

const Live = Layer.mergeAll(
  // Five accounts, the server shared with the four that do not own it.
  FakePlexServer.layer({ accounts: users.map(() => ({})), servers: [{ sharedWith: users.slice(1) }] }),
  FetchHttpClient.layer,
  identity
).pipe(Layer.orDie)

/**
 * Opens `count` TCP connections to `url` at once (in one synchronous burst, before the server's thread can
 * accept any) and answers how many turns of the event loop passed until every one had connected (or
 * failed), then closes them. On loopback the kernel completes each handshake during `connect` when the
 * listen backlog has room, so the connections are up by the next turn or two; one past the backlog has its
 * SYN dropped and connects only on the retransmission, a second later: hundreds of thousands of turns.
 */
const connectBurst = (url: string, count: number): Effect.Effect<{ turns: number; failed: number }> =>
  Effect.promise(async () => {
    const port = Number(new URL(url).port)
    let settled = 0
    let failed = 0
    const sockets = Array.from({ length: count }, () => {
      const socket = connect(port, "127.0.0.1")
      socket.once("connect", () => settled++)
      socket.once("error", () => {
        settled++
        failed++
      })
      return socket
    })
    let turns = 0
    while (settled < count) {
      await new Promise((resolve) => setImmediate(resolve))
      turns++
    }
    for (const socket of sockets) socket.destroy()
    return { turns, failed }
  })

describe("load over loopback", () => {
  it.live(
    "the fake takes a burst of 1,000 connections at once: none waits for a retransmitted SYN",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        // Node's default listen backlog (511) dropped the SYNs past it (src/core/node/loopback.ts `backlog`):
        // about 300,000 turns (1 s) here; with room for the burst, 2.
        const { turns, failed } = yield* connectBurst(server.serverUrl, COUNT)
        assert.strictEqual(failed, 0)
        assert.isAtMost(turns, 100)
        yield* server.awaitOpenSockets(0)
      }).pipe(Effect.provide(Live)),
    TEST_TIMEOUT
  )

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
    // A safety net, not a speed check (see REQUEST_TIMEOUT).
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
