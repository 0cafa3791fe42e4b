/**
 * The engine's CPU per request without the network, compiled (no tsx): the
 * bare `HttpClient`, the library at a git revision ("old") and this tree's
 * ("new"), over a `fetch` that answers at once with what the loopback fake
 * answered (answers.json, from record.ts), interleaved in rotating orders;
 * ratios taken round by round. Or one client alone, with a CPU profile of
 * the measured loop only (diff.ts compares two profiles by function).
 *
 *   node bench/scratch/build.mjs                  # REV=<revision> for "old" (default HEAD)
 *   node node_modules/.cache/scratch/drive3.mjs [per round = 2000] [rounds = 10] [only = bare|old|new] [op]
 *   node scripts/node22.mjs effect4/node_modules/.cache/scratch/drive4.mjs ...   # Effect 4
 *   PROF=/tmp/new.cpuprofile node node_modules/.cache/scratch/drive3.mjs 20000 1 new
 *   FLAG=name node ...                             # "old"/"new": this tree with globalThis.name false/true
 */
import * as fs from "node:fs"
import * as inspector from "node:inspector/promises"
import * as clients from "bench:clients"
import * as old from "bench:old"
import type { Client, Operation } from "../common.js"

declare const EDITION: string
const [perRound = "2000", rounds = "10", only = "", op = "getTokenDetails"] = process.argv.slice(2)
interface Answer {
  readonly status: number
  readonly headers: Array<[string, string]>
  readonly body: string
}
const recorded = JSON.parse(fs.readFileSync(new URL("answers.json", `file://${ANSWERS_DIR}/`), "utf8")) as {
  readonly served: Parameters<NonNullable<typeof clients.effectPlatform>>[0]
  readonly user: Answer
  readonly signIn: Answer
}
declare const ANSWERS_DIR: string
globalThis.fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input)
  const answer =
    (init?.method ?? "GET") === "POST" || url.includes("signin") ? recorded.signIn : recorded.user
  return new Response(answer.body, { status: answer.status, headers: answer.headers })
}
const bare = (EDITION === "3" ? clients.effectPlatform : clients.effectHttp)!
const ours = (EDITION === "3" ? clients.effectPlexAuth : clients.effect4PlexAuth)!
// FLAG=<name>: an experiment inside this tree, "old" and "new" both this tree's library, run with
// `globalThis[name]` false and true (the library's code reads the flag per request while the experiment lasts).
const flag = process.env["FLAG"]
const all: ReadonlyArray<Client> = [
  bare(recorded.served),
  flag === undefined ? ours(recorded.served, old) : ours(recorded.served),
  ours(recorded.served)
]
const names = ["bare", "old", "new"]
const run = async (client: Client, n: number) => {
  const request = client.request[op as Operation]
  if (flag !== undefined) (globalThis as Record<string, unknown>)[flag] = client === all[2]
  for (let i = 0; i < n; i++) await request()
}
const cpu = (used: NodeJS.CpuUsage, n: number) => (used.user + used.system) / n

if (only !== "") {
  const client = all[names.indexOf(only)]!
  await run(client, 2000)
  const session = new inspector.Session()
  const file = process.env["PROF"]
  if (file !== undefined) {
    session.connect()
    await session.post("Profiler.enable")
    await session.post("Profiler.setSamplingInterval", { interval: 100 })
    await session.post("Profiler.start")
  }
  const before = process.cpuUsage()
  await run(client, Number(perRound))
  const used = process.cpuUsage(before)
  if (file !== undefined)
    fs.writeFileSync(file, JSON.stringify((await session.post("Profiler.stop")).profile))
  process.stdout.write(`E${EDITION} ${op} ${only}: ${cpu(used, Number(perRound)).toFixed(1)} µs CPU\n`)
} else {
  for (const client of all) await run(client, 1500)
  const samples: Array<Array<number>> = [[], [], []]
  const orders = [
    [0, 1, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
    [1, 0, 2],
    [0, 2, 1]
  ]
  for (let round = 0; round < Number(rounds); round++) {
    for (const i of orders[round % orders.length]!) {
      const before = process.cpuUsage()
      await run(all[i]!, Number(perRound))
      samples[i]!.push(cpu(process.cpuUsage(before), Number(perRound)))
    }
  }
  const median = (xs: ReadonlyArray<number>) => {
    const sorted = [...xs].sort((a, b) => a - b)
    return (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2
  }
  const ratio = (a: number, b: number) => {
    const each = samples[a]!.map((x, i) => x / samples[b]![i]!)
    return `${median(each).toFixed(3)} [${Math.min(...each).toFixed(2)}–${Math.max(...each).toFixed(2)}]`
  }
  process.stdout.write(
    `E${EDITION} ${op}: ${names.map((name, i) => `${name} ${median(samples[i]!).toFixed(1)} µs`).join(", ")}; ` +
      `bare/old ${ratio(0, 1)}, bare/new ${ratio(0, 2)}, new/old ${ratio(2, 1)}\n`
  )
}
for (const client of all) await client.dispose()
