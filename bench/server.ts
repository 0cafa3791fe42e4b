/**
 * The loopback fake Plex the benchmarks run against, in its own process so
 * that its work (and its memory) is not counted against the clients.
 *
 * Prints one JSON line (the `Served` addresses) on stdout once it
 * listens, then serves until stdin closes. Its request log is cleared every
 * second: it would otherwise grow with every request of the run.
 */
import { Effect, Layer, Redacted, Schedule } from "effect"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault } from "effect-plex-auth/testing"
import { maxHanging, type Served } from "./shared.js"

// Documentation addresses the fake maps to loopback ports: the first one
// answers, the others hang. All local HTTP, so they rank the same.
const connections = Array.from({ length: maxHanging + 1 }, (_, i) => ({
  uri: `http://192.0.2.${20 + i}:32400`,
  local: true
}))

const serve = Effect.gen(function* () {
  const server = yield* FakePlexServer.FakePlexServer
  const fake = server.fake
  const [benchServer] = fake.servers
  if (benchServer === undefined) return yield* Effect.dieMessage("the fake has no server")
  const urls = benchServer.connections.map((connection) => connection.uri)
  const [healthyUrl, ...hangingUrls] = urls
  if (healthyUrl === undefined || hangingUrls.length !== maxHanging) {
    return yield* Effect.dieMessage(`unexpected connections: ${urls.join(", ")}`)
  }
  for (const origin of hangingUrls) yield* fake.fault({ origin }, Fault.hang)
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
