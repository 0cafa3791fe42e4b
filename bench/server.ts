/**
 * The loopback fake Plex the benchmarks run against, in its own process so
 * that its work (and its memory) is not counted against the clients.
 *
 * Prints one JSON line (the `Served` addresses) on stdout once it
 * listens, then serves until stdin closes. Its request log is cleared every
 * second: it would otherwise grow with every request of the run.
 *
 * The candidates that hang are plain TCP listeners that accept a connection
 * and never answer, not the fake's HTTP server: a dead address on a network
 * costs the healthy server nothing, and here the healthy server shares this
 * process, so a hanging request it had to read would slow its answers and
 * show up as the client's cost.
 */
import { createServer, type Socket } from "node:net"
import { Effect, Layer, Redacted, Schedule } from "effect"
import { FakePlexServer } from "effect-plex-auth/node"
import { maxHanging, type Served } from "./shared.js"

// A documentation address the fake maps to a loopback port: the one that answers (local HTTP).
const connections = [{ uri: "http://192.0.2.20:32400", local: true }]

/** A loopback listener that accepts connections and never answers: a candidate that hangs. */
const hangingListener = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly close: () => void }>((resume) => {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.on("error", () => sockets.delete(socket))
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(
        Effect.succeed({
          url: `http://127.0.0.1:${port}`,
          close: () => {
            for (const socket of sockets) socket.destroy()
            server.close()
          }
        })
      )
    })
  }),
  (listener) => Effect.sync(listener.close)
)

const serve = Effect.gen(function* () {
  const server = yield* FakePlexServer.FakePlexServer
  const fake = server.fake
  const [benchServer] = fake.servers
  if (benchServer === undefined) return yield* Effect.dieMessage("the fake has no server")
  const healthyUrl = benchServer.connections[0]?.uri
  if (healthyUrl === undefined) return yield* Effect.dieMessage("the bench server has no connection")
  const hanging = yield* Effect.forEach(Array.from({ length: maxHanging }), () => hangingListener)
  const hangingUrls = hanging.map((listener) => listener.url)
  const served: Served = {
    plexTvUrl: server.plexTvUrl,
    token: Redacted.value(fake.token),
    login: fake.login,
    password: Redacted.value(fake.password),
    healthyUrl,
    hangingUrls
  }
  process.stdout.write(`${JSON.stringify(served)}\n`)
  yield* fake.clearRequests.pipe(Effect.repeat(Schedule.spaced("1 second")), Effect.forkScoped)
  // Serve until the parent closes stdin (or exits).
  yield* Effect.async<void>((resume) => {
    process.stdin.resume()
    process.stdin.once("end", () => resume(Effect.void))
    process.stdin.once("close", () => resume(Effect.void))
  })
})

const ServerLive = FakePlexServer.layer({
  servers: [{ name: "Bench", connections }],
  // plexjs 0.39.0's zod schemas accept only 0 or 1 for these two profile
  // fields; today's payloads (and the 2026-02 fixture) carry 2. Seeded so
  // that plexjs can be measured at all: see docs/benchmarks.md.
  accounts: [{ payload: { profile: { autoSelectSubtitle: 1, mediaReviewsVisibility: 1 } } }]
})

Effect.runPromise(serve.pipe(Effect.provide(Layer.fresh(ServerLive)), Effect.scoped)).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
