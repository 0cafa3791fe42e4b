/**
 * The Effect 4 clients' own CPU per request, without the network: effect4-plex-auth and Effect 4's bare
 * `HttpClient` (bench/clients.ts) over `FetchHttpClient` with a `fetch` that answers at once with the answer the
 * loopback fake gave to the same request (captured once at start). What the sockets, undici and the server
 * cost is the same for every client and is left out, so the clients' own work (the part a library can change)
 * is measured on a loaded machine with less noise than `index.ts`. Interleaved rounds; medians; the ratio is
 * taken round by round. Not part of `npm run bench`.
 *
 *   node scripts/node22.mjs --expose-gc --import tsx effect4/bench/micro.ts [getTokenDetails|signIn] [requests] [rounds]
 *   ... micro.ts getTokenDetails 20000 1 ours   one client only (bare or ours), e.g. under --cpu-prof
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import * as Layer from "effect/Layer"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type { Operation } from "../../bench/common.js"
import type { Served } from "../../bench/shared.js"
import { effect4PlexAuth, effectHttp } from "./clients.js"

const root = fileURLToPath(new URL("../..", import.meta.url))
const [operation = "getTokenDetails", requests = "5000", rounds = "15", only] = process.argv.slice(2)
const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench", "server.ts")], {
  cwd: root,
  stdio: ["pipe", "pipe", "inherit"]
})
const served = JSON.parse(
  await new Promise<string>((resolve) =>
    readline.createInterface({ input: child.stdout }).once("line", resolve)
  )
) as Served

// Each URL's answer, captured from the fake through the real `fetch`.
let real = 0
const answers = new Map<string, { status: number; headers: Array<[string, string]>; body: string }>()
const capture: typeof fetch = async (input, init) => {
  const url = String(input)
  const known = answers.get(url)
  if (known !== undefined) return new Response(known.body, { status: known.status, headers: known.headers })
  real++
  const response = await fetch(input, init)
  const body = await response.text()
  const headers = [...response.headers].filter(([name]) => name !== "content-encoding")
  answers.set(url, { status: response.status, headers, body })
  return new Response(body, { status: response.status, headers })
}
const fetchLayer = Layer.succeed(FetchHttpClient.Fetch, capture)
const clients = [effectHttp(served, fetchLayer), effect4PlexAuth(served, fetchLayer)]
for (const client of clients) await client.request[operation as Operation]()
child.stdin.end()
process.stderr.write(`real fetches: ${real}, answers: ${[...answers.keys()].join(" ")}\n`)

const gc = (globalThis as { gc?: () => void }).gc
const runOne = async (request: () => Promise<void>, count: number) => {
  gc?.()
  const before = process.cpuUsage()
  for (let i = 0; i < count; i++) await request()
  const cpu = process.cpuUsage(before)
  return (cpu.user + cpu.system) / count
}
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
if (only !== undefined) {
  const client = clients[only === "ours" ? 1 : 0]!
  await runOne(client.request[operation as Operation], 2000)
  const cpu = await runOne(client.request[operation as Operation], Number(requests))
  process.stdout.write(`${operation}: ${only} ${cpu.toFixed(2)} µs CPU/request\n`)
  for (const client of clients) await client.dispose()
  process.exit(0)
}
for (const client of clients) await runOne(client.request[operation as Operation], 2000)
const cpu: Array<Array<number>> = clients.map(() => [])
for (let round = 0; round < Number(rounds); round++) {
  const order = clients.map((_, i) => (i + round) % clients.length)
  for (const i of order)
    cpu[i]!.push(await runOne(clients[i]!.request[operation as Operation], Number(requests)))
}
const ratios = cpu[1]!.map((ours, i) => ours / cpu[0]![i]!)
process.stdout.write(
  `${operation}: bare ${median(cpu[0]!).toFixed(2)} µs, ours ${median(cpu[1]!).toFixed(2)} µs, ours/bare ${median(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)})\n`
)
for (const client of clients) await client.dispose()
