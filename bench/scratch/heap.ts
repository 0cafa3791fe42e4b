/**
 * Bytes allocated per request by function, for one client (V8's sampling heap profiler with the objects
 * collected since kept), over a `fetch` answering from answers.json: `self` by the allocating function, `lib`
 * by the innermost library frame on the stack; WHO=<function> also prints the stacks that allocate in it.
 *   ENTRY=heap.ts OUT=heap node bench/scratch/build.mjs
 *   node scripts/node22.mjs effect4/node_modules/.cache/scratch/heap4.mjs [n = 5000] [bare|new] [op] [self|lib]
 *   node node_modules/.cache/scratch/heap3.mjs ...                                  (Effect 3)
 */
import * as fs from "node:fs"
import * as inspector from "node:inspector/promises"
import * as clients from "bench:clients"
import type { Client, Operation } from "../common.js"

declare const EDITION: string
declare const ANSWERS_DIR: string
const [n = "5000", which = "new", op = "getTokenDetails", mode = "self"] = process.argv.slice(2)
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
const make =
  which === "bare"
    ? (EDITION === "3" ? clients.effectPlatform : clients.effectHttp)!
    : (EDITION === "3" ? clients.effectPlexAuth : clients.effect4PlexAuth)!
const client: Client = make(recorded.served)
const request = client.request[op as Operation]
for (let i = 0; i < 2000; i++) await request()
const session = new inspector.Session()
session.connect()
await session.post("HeapProfiler.startSampling", {
  samplingInterval: 128,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true
} as never)
for (let i = 0; i < Number(n); i++) await request()
const { profile } = (await session.post("HeapProfiler.stopSampling")) as { profile: { head: Node } }
interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: Array<Node>
}
const out = new Map<string, number>()
let total = 0
const walk = (node: Node, libFrame: string | undefined) => {
  const f = node.callFrame
  const where = `${f.functionName || "(anon)"} ${f.url.replace(/^.*node_modules\//, "")}:${f.lineNumber + 1}`
  const isLib = f.url.includes(".cache/scratch")
  const lf = isLib ? where : libFrame
  const key = mode === "lib" ? (lf ?? "(outside)") : where
  out.set(key, (out.get(key) ?? 0) + node.selfSize)
  total += node.selfSize
  for (const c of node.children) walk(c, lf)
}
walk(profile.head, undefined)
if (process.env["WHO"]) {
  const chains = new Map<string, number>()
  const up = (node: Node, stack: Array<string>) => {
    const f = node.callFrame
    const here = `${f.functionName || "(anon)"} ${f.url.replace(/^.*node_modules\//, "").replace(/^.*\.cache\/scratch\//, "")}:${f.lineNumber + 1}`
    const next = [...stack, here]
    if (f.functionName === process.env["WHO"] && node.selfSize > 0) {
      const key = next.slice(-7, -1).reverse().join(" < ")
      chains.set(key, (chains.get(key) ?? 0) + node.selfSize)
    }
    for (const c of node.children) up(c, next)
  }
  up(profile.head, [])
  for (const [k, v] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 12))
    console.log((v / Number(n)).toFixed(0).padStart(6), k)
}
console.log(`${which} ${op}: ${(total / Number(n)).toFixed(0)} B/request sampled`)
for (const [k, v] of [...out].sort((a, b) => b[1] - a[1]).slice(0, 45))
  console.log((v / Number(n)).toFixed(0).padStart(7), k)
await client.dispose()
