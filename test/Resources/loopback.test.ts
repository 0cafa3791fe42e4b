import { FetchHttpClient } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ClientIdentity, Credentials, PlexAuth, PlexTv, Resources } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault } from "effect-plex-auth/testing"
import { refusingPort } from "../node/refusingPort.js"
import { it } from "../support/it.js"

/**
 * A loopback port nothing listens on for the whole test, and that no other process is handed meanwhile
 * (test/node/refusingPort.ts: one bound, then closed again, could be taken by a parallel test's server).
 */
const closedPort = Effect.promise(refusingPort)

/**
 * fetch that asks for each connection to be closed after its answer, so the
 * pool's idle keep-alive sockets (from the requests that were answered) do
 * not stand in the way of checking that no abandoned request left one open.
 */
const closing: typeof globalThis.fetch = (input, init) => {
  const headers = new Headers(init?.headers)
  headers.set("connection", "close")
  return globalThis.fetch(input, { ...init, headers })
}
const closingFetch = Layer.succeed(FetchHttpClient.Fetch, closing)

/**
 * {@link closing}, holding each request to `origin` until `ready` has
 * completed: a synchronisation point between probes racing over real sockets.
 */
const holdingFetch = (origin: string, ready: Effect.Effect<void>) =>
  Layer.succeed(FetchHttpClient.Fetch, async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    if (url.origin === origin) await Effect.runPromise(ready)
    return closing(input, init)
  })

const TestLive = Layer.mergeAll(
  FakePlexServer.layer({
    servers: [
      {
        name: "Den",
        connections: [{ uri: "http://192.0.2.10:32400", local: true }, { uri: "http://198.51.100.10:32400" }]
      }
    ]
  }),
  FetchHttpClient.layer,
  closingFetch,
  ClientIdentity.layer({ clientIdentifier: "resources-loopback-test", product: "Resources Test" })
)

/**
 * `effect`, failing with `what` if it has not ended within 20 seconds: a
 * hang detector, generous because the sockets and the fake are real and the
 * machine may be loaded; no outcome here depends on it.
 */
const within = <A, E, R>(effect: Effect.Effect<A, E, R>, what: string) =>
  Effect.timeoutFail(effect, { duration: "20 seconds", onTimeout: () => new Error(`timed out: ${what}`) })

/**
 * Closes the fake's idle sockets (those without a request being handled) until no socket is open, again
 * on every change of the count (a socket the client opens later is closed too): it completes only once
 * every socket that carried a request still being handled has been closed by its client.
 */
const noSocketOpen = (loopback: FakePlexServer.FakePlexServerService): Effect.Effect<void> =>
  Effect.gen(function* () {
    for (;;) {
      yield* loopback.closeIdleSockets
      const open = yield* loopback.openSockets
      if (open === 0) return
      // Until the count changes (it changes one socket at a time): closed, or a new one accepted.
      yield* Effect.raceAll([
        loopback.awaitOpenSockets(0),
        loopback.awaitOpenSockets(open - 1),
        loopback.awaitOpenSockets(open + 1)
      ])
    }
  })

describe("Resources.connect over real sockets", () => {
  it.live(
    "a refusing port and a hanging socket beside a live one: the live one, quickly, and no socket left open",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const fake = loopback.fake
        const [listed] = yield* Resources.servers().pipe(
          PlexTv.withUrl(loopback.plexTvUrl),
          Credentials.withToken(fake.token)
        )
        assert.isDefined(listed)
        if (listed === undefined) return
        const [local, remote] = listed.connections
        assert.isTrue(local?.local)
        assert.isFalse(remote?.local)
        // The local connection hangs; another local one is refused; the remote one answers.
        yield* fake.fault({ origin: local!.uri! }, Fault.hang)
        const port = yield* closedPort
        const refusing = {
          uri: `http://127.0.0.1:${port}`,
          address: "127.0.0.1",
          port,
          local: true,
          relay: false,
          IPv6: false
        }
        const server: Resources.Device = { ...listed, connections: [local!, refusing, remote!] }
        // Ranked refusing, remote, hanging: the choice is certain once the refusing one has failed and the
        // remote one has answered, an order of events and not of time. The hanging one, ranked last, is
        // then abandoned. (Were a pending candidate ranked above the answer, the choice would wait out the
        // grace window, in real time here: how a refusal slower than the window would be cut short is
        // connect.test.ts's to prove, on the TestClock.) The grace is long so that it never decides here.
        const order = [refusing.uri, remote!.uri!, local!.uri!]
        const rank = (a: Resources.Candidate, b: Resources.Candidate) =>
          Math.sign(order.indexOf(a.uri) - order.indexOf(b.uri)) as -1 | 0 | 1

        // Reachability only: the token check's answered request would leave the pool's socket to it open
        // past the socket count below (as the operation at the end does), which is not what is measured here.
        // The remote probe is sent once the hanging one is being handled, so that the choice abandons a
        // request in flight (the refusing one never reaches the fake).
        const chosen = yield* within(
          Resources.connect(server, { rank, grace: "1 hour", verifyToken: false }).pipe(
            Effect.provide(holdingFetch(new URL(remote!.uri!).origin, loopback.awaitActiveRequests(1)))
          ),
          "connect"
        )
        assert.strictEqual(chosen.uri, remote!.uri)
        assert.deepStrictEqual(
          chosen.attempts.map((a) => [a.uri, a.outcome, a.reason]),
          [
            [refusing.uri, "Failed", "NetworkError/Transport"],
            [remote!.uri, "Reachable", undefined],
            // Chosen without waiting for the hanging probe's 10-second timeout: it was still pending.
            [local!.uri, "Cancelled", undefined]
          ]
        )

        // The hanging request was abandoned: the fake's handler is gone and so is its socket.
        yield* within(loopback.awaitActiveRequests(0), "active requests")
        // Its socket is not idle (its request was never answered): only its client closing it ends it. The
        // sockets that are idle, and so closed here, are the pool's: an answered request's kept alive, and
        // the one fetch opens again to the abandoned origin right after the abort (without a request; left
        // to itself it would stay open until fetch's own 4-second idle timeout).
        yield* within(noSocketOpen(loopback), "open sockets")
        const hanging = (yield* fake.requests).find((r) => r.origin === local!.uri)
        assert.strictEqual(hanging?.outcome, "Interrupted")

        // And the result works over the wire.
        const transient = yield* PlexAuth.getTransientToken().pipe(Effect.provide(chosen.layer))
        assert.match(transient.token.toString(), /redacted/i)
      }).pipe(Effect.provide(TestLive)),
    60_000
  )
})
