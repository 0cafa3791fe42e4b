/**
 * Bytes allocated per request (load-independent, unlike CPU): the young generation made big enough that no
 * collection runs during the measured requests, then the heap's growth over them.
 *   node --expose-gc --max-semi-space-size=512 node_modules/.cache/scratch/alloc3.mjs [n = 2000] [op]
 */
import * as fs from "node:fs"
import { PerformanceObserver } from "node:perf_hooks"
import * as v8 from "node:v8"
import * as clients from "bench:clients"
import * as old from "bench:old"
import type { Client, Operation } from "../common.js"

declare const EDITION: string
declare const ANSWERS_DIR: string
const [n = "2000", op = "getTokenDetails"] = process.argv.slice(2)
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
globalThis.fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input)
  const answer =
    (init?.method ?? "GET") === "POST" || url.includes("signin") ? recorded.signIn : recorded.user
  return new Response(answer.body, { status: answer.status, headers: answer.headers })
}
const bare = (EDITION === "3" ? clients.effectPlatform : clients.effectHttp)!
const ours = (EDITION === "3" ? clients.effectPlexAuth : clients.effect4PlexAuth)!
const flag = process.env["FLAG"]
const all: ReadonlyArray<Client> = [
  bare(recorded.served),
  flag === undefined ? ours(recorded.served, old) : ours(recorded.served),
  ours(recorded.served)
]
const names = ["bare", "old", "new"]
let gcs = 0
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ["gc"] })
const run = async (client: Client, count: number) => {
  const request = client.request[op as Operation]
  if (flag !== undefined) (globalThis as Record<string, unknown>)[flag] = client === all[2]
  for (let i = 0; i < count; i++) await request()
}
const gc = (globalThis as unknown as { gc: () => void }).gc
const out: Array<string> = []
const only = process.env["ONLY"]
if (only !== undefined) {
  const { Session } = await import("node:inspector/promises")
  const client = all[names.indexOf(only)]!
  await run(client, 3000)
  const session = new Session()
  session.connect()
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 128,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true
  } as any)
  await run(client, Number(n))
  const { profile } = await session.post("HeapProfiler.stopSampling")
  if (process.env["DUMP"]) fs.writeFileSync(process.env["DUMP"], JSON.stringify(profile))
  const self = new Map<string, number>()
  const walk = (node: any) => {
    const f = node.callFrame
    const key = `${f.functionName || "(anon)"} ${f.url.replace(/^.*node_modules\//, "")}:${f.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + node.selfSize)
    for (const child of node.children) walk(child)
  }
  walk(profile.head)
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env["TOP"] ?? 40))
  for (const [key, size] of rows)
    process.stdout.write(`${(size / Number(n)).toFixed(0).padStart(7)} ${key}\n`)
  process.exit(0)
}
for (const client of all) await run(client, 3000)
for (let round = 0; round < 3; round++) {
  for (const [i, client] of all.entries()) {
    await run(client, 200)
    gc()
    await new Promise((r) => setTimeout(r, 10))
    const seen = gcs
    const before = v8.getHeapStatistics().used_heap_size
    await run(client, Number(n))
    const after = v8.getHeapStatistics().used_heap_size
    await new Promise((r) => setTimeout(r, 10))
    if (round === 2)
      out.push(
        `${names[i]} ${((after - before) / Number(n)).toFixed(0)} B${gcs === seen ? "" : " (GC ran!)"}`
      )
  }
}
process.stdout.write(`E${EDITION} ${op} allocated/request: ${out.join(", ")}\n`)
for (const client of all) await client.dispose()
