/**
 * Over the loopback, what the bare `effect/http` client pays for sending exactly effect4-plex-auth's request: the
 * bare client as the benchmarks run it (two X-Plex headers), the same with the headers our `getTokenDetails` hands
 * `fetch` (captured from one request: the identity's X-Plex-*, Accept, the token), the same with our
 * `RequestInit` (`redirect: "manual"`), and ours. Interleaved rounds of CPU per request (this process only: the fake
 * runs in a child process, bench/server.ts), the ratio to the bare client taken round by round. Not part of
 * `npm run bench`; on a shared machine single rounds vary by 2x, so read medians of long runs.
 *
 *   node scripts/node22.mjs --import tsx effect4/bench/exactRequest.ts [requests per round = 2000] [rounds = 8]
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { load, type Client } from "../../bench/common.js"
import type { Served } from "../../bench/shared.js"
import { quantile } from "../../bench/stats.js"
import { effect4PlexAuth, effectHttp } from "./clients.js"

const root = fileURLToPath(new URL("../..", import.meta.url))
const [perRound = "2000", rounds = "8"] = process.argv.slice(2)
const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench", "server.ts")], {
  cwd: root,
  stdio: ["pipe", "pipe", "inherit"]
})
const line = await new Promise<string>((resolve) =>
  readline.createInterface({ input: child.stdout }).once("line", resolve)
)
const served = JSON.parse(line) as Served
const ours = effect4PlexAuth(served)
// Our request's headers and init, as our client hands them to fetch.
const realFetch = globalThis.fetch
let seen: { headers: Record<string, string>; init: RequestInit } | undefined
globalThis.fetch = (async (input: any, init: any) => {
  seen = { headers: Object.fromEntries(new Headers(init.headers)), init }
  return realFetch(input, init)
}) as typeof fetch
await ours.request.getTokenDetails()
globalThis.fetch = realFetch
console.error(JSON.stringify(seen!.headers), Object.keys(seen!.init), seen!.init.redirect)

const bareWith = (name: string, headers: Record<string, string>, manual: boolean): Client => {
  const runtime = ManagedRuntime.make(FetchHttpClient.layer)
  const request = HttpClientRequest.get(`${served.plexTvUrl}/api/v2/user`, { headers })
  let run = Effect.flatMap(Effect.service(HttpClient.HttpClient), (client) =>
    Effect.flatMap(client.execute(request), (response) =>
      Effect.flatMap(response.text, (text) => {
        const body = JSON.parse(text) as { readonly username?: unknown }
        return response.status === 200 && typeof body.username === "string"
          ? Effect.void
          : Effect.die(new Error(`status ${response.status}`))
      })
    )
  ).pipe(Effect.provideService(HttpClient.TracerPropagationEnabled, false))
  if (manual) run = Effect.provideService(run, FetchHttpClient.RequestInit, { redirect: "manual" })
  return {
    name,
    request: { getTokenDetails: () => runtime.runPromise(run), signIn: () => runtime.runPromise(run) },
    dispose: () => runtime.dispose()
  }
}
const clients: Array<Client> = [
  effectHttp(served),
  bareWith("bare+our headers", seen!.headers, false),
  bareWith("bare+our headers+manual", seen!.headers, true),
  ours
]
for (const client of clients) await load(client.request.getTokenDetails, 1000, 1)
const cpu = new Map(clients.map((c) => [c, [] as Array<number>]))
for (let round = 0; round < Number(rounds); round++) {
  for (const client of round % 2 === 0 ? clients : [...clients].reverse()) {
    const before = process.cpuUsage()
    await load(client.request.getTokenDetails, Number(perRound), 1)
    const used = process.cpuUsage(before)
    cpu.get(client)!.push((used.user + used.system) / Number(perRound))
  }
}
const [bare] = clients
for (const client of clients) {
  const mine = cpu.get(client)!
  const each = Float64Array.from(mine.map((m, i) => m / cpu.get(bare!)![i]!)).sort()
  const abs = Float64Array.from(mine).sort()
  console.log(
    `${client.name.padEnd(26)} ${quantile(abs, 0.5).toFixed(0)} µs (${abs[0]!.toFixed(0)}–${abs[abs.length - 1]!.toFixed(0)}), /bare ${quantile(each, 0.5).toFixed(2)} (${each[0]!.toFixed(2)}–${each[each.length - 1]!.toFixed(2)})`
  )
}
for (const client of clients) await client.dispose()
child.stdin.end()
process.exit(0)
