/**
 * The runtime benchmarks of docs/benchmarks.md: throughput and latency,
 * decoding, choosing a connection, and memory, all against the loopback fake
 * Plex (bench/server.ts, in its own process).
 *
 *   npm run bench                 run everything, print it, and rewrite the
 *                                 "Speed and memory" section of docs/benchmarks.md
 *                                 (issue 16's target table included: bench/targets.ts)
 *                                 and the page's summary (scripts/benchmarks-summary.ts),
 *                                 and docs/benchmarks-throughput.svg
 *   npm run bench -- --no-write   run and print only
 *   npm run bench -- --quick      a few requests of each kind (a smoke check; never written)
 *   npm run bench -- --only=connect
 *                                 one section (throughput, decode, connect or memory), printed, never written
 *   npm run bench -- --only=throughput --requests=2000 --rounds=20 --operations=getTokenDetails --concurrency=1
 *                                 a smaller throughput run while iterating, with its ratios, never written
 *
 * Each figure is compared with a baseline measured in the same run, the runs
 * of what is compared are interleaved (A B C, B C A, ...) and repeated, and
 * the median and the range over the repetitions are reported. Needs
 * `node --expose-gc` (npm run bench passes it).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { createServer } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import { GetTokenDetailsUserPlexAccount$inboundSchema } from "@lukehagar/plexjs/sdk/models/operations/gettokendetails.js"
import { FetchHttpClient } from "@effect/platform"
import { Duration, Layer, ManagedRuntime, Schema } from "effect"
import type { Resources } from "effect-plex-auth"
import { withSummaryOrWarn } from "../scripts/benchmarks-summary.js"
import { formatInPlace } from "../scripts/format.js"
import { barChart } from "./chart.js"
import {
  clientIdentifier,
  effectPlatform,
  effectPlexAuth,
  load,
  type Client,
  type Operation,
  plexjs,
  rawFetch
} from "./clients.js"
import { lib } from "./library.js"
import { maxHanging, type Served } from "./shared.js"
import { quantile, rotate, summarize, type Summary } from "./stats.js"
import { issue16Targets } from "./targets.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const docsPath = path.join(root, "docs", "benchmarks.md")
const chartName = "benchmarks-throughput.svg"
const chartPath = path.join(root, "docs", chartName)
const quick = process.argv.includes("--quick")
/** `--only=connect` (or throughput, decode, memory): run one section and print its summary line, never written. */
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length)
/** `--name=value` from the command line (`--requests`, `--rounds`, `--operations`, `--concurrency`). */
const option = (name: string) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3)
const narrowed = ["requests", "rounds", "operations", "concurrency"].some(
  (name) => option(name) !== undefined
)
const write = !quick && only === undefined && !narrowed && !process.argv.includes("--no-write")

const scale = (full: number, small: number) => (quick ? small : full)
const config = {
  /** Requests per client, operation and concurrency, over all rounds. */
  requests: Number(option("requests") ?? scale(5_000, 100)),
  operations: (option("operations")?.split(",") ?? ["getTokenDetails", "signIn"]) as Array<Operation>,
  concurrency: option("concurrency")?.split(",").map(Number) ?? [1, 16],
  /**
   * Many short runs, not a few long ones: two clients' runs side by side share the machine's state of the
   * moment (other load, frequency), so their ratio varies less than their absolute numbers, and the median
   * of many such ratios settles where a few would not.
   */
  rounds: Number(option("rounds") ?? scale(50, 2)),
  warmup: scale(300, 20),
  decodes: scale(100_000, 1_000),
  decodeRounds: scale(10, 2),
  connectRounds: scale(40, 3),
  memoryFirst: scale(1_000, 100),
  memoryTotal: scale(20_000, 400),
  memoryConcurrency: 16
}

const log = (line: string) => process.stderr.write(`${line}\n`)
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
const range = (s: Summary, digits = 0, unit = "") =>
  `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
const ratio = (s: Summary) => `${fmt(s.median, 2)}× (${fmt(s.min, 2)}–${fmt(s.max, 2)})`
/** A median and the middle half of the runs around it (25th to 75th percentile). */
const middle = (s: Summary, digits = 0) =>
  `${fmt(s.median, digits)} (${fmt(s.q1, digits)}–${fmt(s.q3, digits)})`
const middleRatio = (s: Summary) => `${fmt(s.median, 2)}× (${fmt(s.q1, 2)}–${fmt(s.q3, 2)})`

// ---------------------------------------------------------------------------
// The fake server, in its own process
// ---------------------------------------------------------------------------

const startServer = async () => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench", "server.ts")], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"]
  })
  const line = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the fake server exited with ${code}`)))
    readline.createInterface({ input: child.stdout }).once("line", resolve)
  })
  return { served: JSON.parse(line) as Served, stop: () => child.stdin.end() }
}

/**
 * Sends a few requests whose failures are ignored. After a pause longer than
 * the server's keep-alive timeout, the first request on a pooled idle socket
 * can fail with "other side closed" (UND_ERR_SOCKET); this clears those
 * sockets before a phase is timed. Returns how many failed.
 */
const flushIdleSockets = async (requests: ReadonlyArray<() => Promise<unknown>>) => {
  const results = await Promise.allSettled(requests.flatMap((request) => Array.from({ length: 16 }, request)))
  return results.filter((result) => result.status === "rejected").length
}

// ---------------------------------------------------------------------------
// Throughput and latency
// ---------------------------------------------------------------------------

interface ThroughputRow {
  readonly operation: Operation
  readonly concurrency: number
  readonly clients: ReadonlyArray<{
    readonly name: string
    readonly rps: Summary
    /** Over all the requests of all the runs. */
    readonly p50: number
    readonly p99: number
    /** CPU time of this process per request, in µs (the fake runs in another process). */
    readonly cpu: Summary
  }>
  /** Ours against each other client, per round: our requests/s over theirs, and their CPU per request over ours. */
  readonly ratios: ReadonlyArray<{ readonly name: string; readonly ratio: Summary; readonly cpu: Summary }>
}

/** The latencies of all the runs, together. */
const pooled = (runs: ReadonlyArray<{ readonly latencies: Float64Array }>) => {
  const all = new Float64Array(runs.reduce((n, run) => n + run.latencies.length, 0))
  let at = 0
  for (const run of runs) {
    all.set(run.latencies, at)
    at += run.latencies.length
  }
  return all
}

const throughput = async (clients: ReadonlyArray<Client>, ours: Client): Promise<Array<ThroughputRow>> => {
  const rows: Array<ThroughputRow> = []
  const perRound = Math.ceil(config.requests / config.rounds)
  for (const operation of config.operations) {
    for (const concurrency of config.concurrency) {
      for (const client of clients) await load(client.request[operation], config.warmup, concurrency)
      const results = new Map(
        clients.map((client) => [client, [] as Array<{ rps: number; latencies: Float64Array; cpu: number }>])
      )
      for (let round = 0; round < config.rounds; round++) {
        for (const client of rotate(clients, round)) {
          const cpuBefore = process.cpuUsage()
          const sample = await load(client.request[operation], perRound, concurrency)
          const cpu = process.cpuUsage(cpuBefore)
          results.get(client)!.push({
            rps: (perRound / sample.millis) * 1000,
            latencies: sample.latencies,
            cpu: (cpu.user + cpu.system) / perRound
          })
        }
      }
      const mine = results.get(ours)!
      const row: ThroughputRow = {
        operation,
        concurrency,
        clients: clients.map((client) => {
          const runs = results.get(client)!
          const latencies = pooled(runs)
          return {
            name: client.name,
            rps: summarize(runs.map((r) => r.rps)),
            p50: quantile(latencies, 0.5),
            p99: quantile(latencies, 0.99),
            cpu: summarize(runs.map((r) => r.cpu))
          }
        }),
        ratios: clients
          .filter((client) => client !== ours)
          .map((client) => ({
            name: client.name,
            ratio: summarize(results.get(client)!.map((theirs, i) => mine[i]!.rps / theirs.rps)),
            cpu: summarize(results.get(client)!.map((theirs, i) => theirs.cpu / mine[i]!.cpu))
          }))
      }
      rows.push(row)
      log(
        `${operation} at concurrency ${concurrency}: ` +
          row.clients
            .map((c) => `${c.name} ${fmt(c.rps.median)} req/s ${fmt(c.cpu.median)} µs CPU`)
            .join(", ")
      )
    }
  }
  return rows
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

interface DecodeResult {
  readonly ours: Summary
  readonly zod: Summary
  readonly ratio: Summary
  readonly zodRejectsFixture: ReadonlyArray<string>
}

const decoding = (): DecodeResult => {
  const fixture = JSON.parse(
    fs.readFileSync(path.join(root, "test", "fixtures", "account-2026-02.json"), "utf8")
  ) as Record<string, unknown>
  const zodSchema = GetTokenDetailsUserPlexAccount$inboundSchema
  const decodeOurs = Schema.decodeUnknownSync(lib.Schemas.Account)
  // The same account with each value zod rejects replaced by the last value its enum allows.
  const accepted = structuredClone(fixture)
  const zodRejectsFixture: Array<string> = []
  for (let attempt = 0; attempt < 5; attempt++) {
    const parsed = zodSchema.safeParse(accepted)
    if (parsed.success) break
    for (const issue of parsed.error.issues) {
      const options = "options" in issue ? (issue.options as ReadonlyArray<unknown>) : []
      const key = issue.path[issue.path.length - 1]
      let parent: any = accepted
      for (const step of issue.path.slice(0, -1)) parent = parent?.[step]
      if (options.length === 0 || key === undefined || typeof parent !== "object" || parent === null) {
        throw new Error(`zod rejects the fixture at ${issue.path.join(".")}: ${issue.message}`)
      }
      zodRejectsFixture.push(`${issue.path.join(".")}: ${JSON.stringify(parent[key])}`)
      parent[key] = options[options.length - 1]
    }
  }
  // Both must succeed on what they are timed on, and ours on the fixture as recorded.
  if (decodeOurs(fixture).username !== "ada_watches") throw new Error("our schema rejects the fixture")
  if (decodeOurs(accepted).username !== "ada_watches")
    throw new Error("our schema rejects the adjusted fixture")
  if (!zodSchema.safeParse(accepted).success) throw new Error("zod rejects the adjusted fixture")
  const decoders = {
    ours: () => decodeOurs(accepted),
    zod: () => zodSchema.parse(accepted)
  }
  const perRound = Math.ceil(config.decodes / config.decodeRounds)
  const time = (decode: () => unknown, count: number) => {
    const start = performance.now()
    let sink: unknown
    for (let i = 0; i < count; i++) sink = decode()
    const elapsed = performance.now() - start
    if (sink === undefined) throw new Error("nothing decoded")
    return (elapsed * 1e6) / count // nanoseconds per decode
  }
  for (const decode of Object.values(decoders)) time(decode, Math.ceil(perRound / 2))
  const ours: Array<number> = []
  const zod: Array<number> = []
  for (let round = 0; round < config.decodeRounds; round++) {
    for (const name of rotate(["ours", "zod"] as const, round)) {
      ;(name === "ours" ? ours : zod).push(time(decoders[name], perRound))
    }
  }
  const result = {
    ours: summarize(ours),
    zod: summarize(zod),
    ratio: summarize(ours.map((t, i) => t / zod[i]!)),
    zodRejectsFixture
  }
  log(`decode: ours ${fmt(result.ours.median / 1000, 1)} µs, zod ${fmt(result.zod.median / 1000, 1)} µs`)
  return result
}

// ---------------------------------------------------------------------------
// Choosing a connection
// ---------------------------------------------------------------------------

interface ConnectResult {
  readonly roundTrip: Summary
  readonly rows: ReadonlyArray<{
    readonly dead: number
    readonly millis: Summary
    /** The same GETs with `fetch`, all at once, to the healthy one's answer. */
    readonly floor: Summary
    /** Over the healthy candidate's own round trip, per round. */
    readonly overRoundTrip: Summary
    /** Over `fetch` of all candidates at once, per round. */
    readonly overFloor: Summary
    /** Over `connect` with no dead candidate, per round. */
    readonly overNone: Summary
  }>
}

/** A loopback port nothing listens on: bound, then closed again. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const choosing = async (served: Served): Promise<ConnectResult> => {
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      FetchHttpClient.layer,
      lib.ClientIdentity.layer({ clientIdentifier, product: "effect-plex-auth bench" }),
      lib.Credentials.layer(served.token)
    )
  )
  try {
    const listServers = () =>
      runtime.runPromise(lib.Resources.servers().pipe(lib.PlexTv.withUrl(served.plexTvUrl)))
    await flushIdleSockets([listServers])
    const [listed] = await listServers()
    if (listed === undefined) throw new Error("the fake lists no server")
    const healthy = listed.connections.find((connection) => connection.uri === served.healthyUrl)
    if (healthy === undefined) throw new Error("the fake does not list the healthy connection")
    // A dead candidate ranks as the healthy one does (local HTTP), on a loopback port that refuses
    // connections or accepts them and never answers.
    const dead = (uri: string): Resources.DeviceConnection => {
      const port = Number(new URL(uri).port)
      return { ...healthy, uri, address: "127.0.0.1", port }
    }
    const refusing: Array<Resources.DeviceConnection> = []
    for (let i = 0; i < maxHanging; i++) refusing.push(dead(`http://127.0.0.1:${await closedPort()}`))
    const hanging = served.hangingUrls.map(dead)
    // Half refuse, half hang, all listed before the healthy one.
    const device = (count: number): Resources.Device => ({
      ...listed,
      connections: [
        ...Array.from({ length: count / 2 }, (_, i) => [refusing[i]!, hanging[i]!]).flat(),
        healthy
      ]
    })
    const deadCounts = [0, 2, 4, 8]
    const devices = new Map(deadCounts.map((dead) => [dead, device(dead)]))
    const connectOnce = async (dead: number) => {
      const start = performance.now()
      const connected = await runtime.runPromise(
        lib.Resources.connect(devices.get(dead)!, { timeout: "5 seconds" })
      )
      const millis = performance.now() - start
      if (connected.uri !== served.healthyUrl) throw new Error(`connect chose ${connected.uri}`)
      const failed = connected.attempts.filter((a) => a.outcome !== "Reachable").length
      if (connected.attempts.length !== dead + 1 || failed !== dead) throw new Error("unexpected attempts")
      return millis
    }
    // The healthy candidate's own round trip: the probe connect makes, by hand.
    const roundTripOnce = async () => {
      const start = performance.now()
      const response = await fetch(`${served.healthyUrl}/identity`, {
        headers: { accept: "application/json", "x-plex-client-identifier": clientIdentifier }
      })
      await response.json()
      const millis = performance.now() - start
      if (response.status !== 200) throw new Error(`identity: ${response.status}`)
      return millis
    }
    // The floor for probing them all at once: the same GETs with `fetch`, all started together, timed to the
    // healthy one's answer, the others then aborted. What it pays per dead candidate (opening a connection,
    // a refusal's error) any client pays.
    const allAtOnceOnce = async (dead: number) => {
      const controller = new AbortController()
      const start = performance.now()
      const millis = await new Promise<number>((resolve, reject) => {
        for (const { uri } of devices.get(dead)!.connections) {
          fetch(`${uri}/identity`, {
            headers: { accept: "application/json", "x-plex-client-identifier": clientIdentifier },
            signal: controller.signal
          }).then(
            async (response) => {
              await response.json()
              if (uri !== served.healthyUrl) return reject(new Error(`${uri} answered`))
              if (response.status !== 200) return reject(new Error(`identity: ${response.status}`))
              resolve(performance.now() - start)
            },
            (error: unknown) => {
              if (uri === served.healthyUrl) reject(error)
            }
          )
        }
      })
      controller.abort()
      return millis
    }
    type Task = "roundTrip" | `connect ${number}` | `fetch ${number}`
    const tasks: ReadonlyArray<Task> = [
      "roundTrip",
      ...deadCounts.flatMap((dead) => [`connect ${dead}` as const, `fetch ${dead}` as const])
    ]
    const run = (task: Task) => {
      if (task === "roundTrip") return roundTripOnce()
      const [kind, dead] = task.split(" ") as [string, string]
      return kind === "connect" ? connectOnce(Number(dead)) : allAtOnceOnce(Number(dead))
    }
    const flushed = await flushIdleSockets(tasks.map((task) => () => run(task)))
    if (flushed > 0) log(`connect: ${flushed} warm-up requests failed on idle sockets`)
    const times = new Map<Task, Array<number>>(tasks.map((task) => [task, []]))
    for (let round = 0; round < config.connectRounds; round++) {
      for (const task of rotate(tasks, round)) times.get(task)!.push(await run(task))
    }
    const roundTrips = times.get("roundTrip")!
    const none = times.get("connect 0")!
    const result: ConnectResult = {
      roundTrip: summarize(roundTrips),
      rows: deadCounts.map((dead) => {
        const millis = times.get(`connect ${dead}`)!
        const floor = times.get(`fetch ${dead}`)!
        return {
          dead,
          millis: summarize(millis),
          floor: summarize(floor),
          overRoundTrip: summarize(millis.map((m, i) => m / roundTrips[i]!)),
          overFloor: summarize(millis.map((m, i) => m / floor[i]!)),
          overNone: summarize(millis.map((m, i) => m / none[i]!))
        }
      })
    }
    log(
      `connect: round trip ${fmt(result.roundTrip.median, 2)} ms; ` +
        result.rows
          .map(
            (r) =>
              `${r.dead} dead ${fmt(r.millis.median, 2)} ms (fetch all at once ${fmt(r.floor.median, 2)} ms)`
          )
          .join(", ")
    )
    return result
  } finally {
    await runtime.dispose()
  }
}

// ---------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------

interface MemoryResult {
  readonly points: ReadonlyArray<{ readonly operations: number; readonly heapUsed: number }>
  /** The spread of heapUsed over repeated collections at the first point: the noise floor. */
  readonly noise: number
}

/**
 * The heap after a collection. Objects a `FinalizationRegistry` holds (undici
 * keeps one entry per request) are released only by its clean-up callbacks,
 * which run in a later task: each collection is followed by a turn of the
 * event loop, three times, before the reading.
 */
const heapAfterGc = async () => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run with node --expose-gc (npm run bench does)")
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  gc()
  return process.memoryUsage().heapUsed
}

const memory = async (ours: Client): Promise<MemoryResult> => {
  // Alternating token checks and sign-ins: each operation is one request.
  let n = 0
  const operation = () => (n++ % 2 === 0 ? ours.request.getTokenDetails() : ours.request.signIn())
  const flushed = await flushIdleSockets([ours.request.getTokenDetails])
  if (flushed > 0) log(`memory: ${flushed} warm-up requests failed on idle sockets`)
  const marks = [config.memoryFirst, config.memoryTotal / 4, config.memoryTotal / 2, config.memoryTotal]
  const points: Array<{ operations: number; heapUsed: number }> = []
  let done = 0
  let noise = 0
  for (const mark of marks) {
    await load(operation, mark - done, config.memoryConcurrency)
    done = mark
    if (points.length === 0) {
      const repeated: Array<number> = []
      for (let i = 0; i < 5; i++) repeated.push(await heapAfterGc())
      noise = Math.max(...repeated) - Math.min(...repeated)
      points.push({ operations: mark, heapUsed: quantile(repeated, 0.5) })
    } else {
      points.push({ operations: mark, heapUsed: await heapAfterGc() })
    }
  }
  log(`memory: ${points.map((p) => `${fmt(p.operations)} ops ${fmt(p.heapUsed / 1e6, 2)} MB`).join(", ")}`)
  return { points, noise }
}

// ---------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------

const heading = "## Speed and memory"

/** What the throughput ratios say, in words: against plexjs (as it comes, and with our timeout), and where the time goes. */
const throughputVerdict = (rows: ReadonlyArray<ThroughputRow>) => {
  const label = (row: ThroughputRow) =>
    `${row.operation === "getTokenDetails" ? "`getTokenDetails`" : "the sign-in"} ${row.concurrency === 1 ? "one at a time" : `${row.concurrency} at a time`}`
  const theirs = (row: ThroughputRow, name: string) => row.ratios.find((r) => r.name === name)!
  const rps = (row: ThroughputRow, name: string) =>
    row.clients.find((c) => c.name === name)?.rps.median ?? Number.NaN
  const plexjsNames = rows[0]!.ratios.map((r) => r.name).filter((name) => name.startsWith("plexjs"))
  const [plain] = plexjsNames
  const orders = (values: ReadonlyArray<number>) => values.map((value) => `${fmt(value, 2)}×`).join(", ")
  const against = (name: string, who: string) => {
    const faster = rows.filter((row) => theirs(row, name).ratio.median >= 1)
    const slower = rows.filter((row) => theirs(row, name).ratio.median < 1)
    const list = (some: ReadonlyArray<ThroughputRow>) =>
      some.map((row) => `${label(row)} (${fmt(theirs(row, name).ratio.median, 2)}×)`).join(", ")
    return [
      `Against ${who}, effect-plex-auth is`,
      faster.length > 0 ? `at least as fast for ${list(faster)}` : "",
      faster.length > 0 && slower.length > 0 ? "and" : "",
      slower.length > 0 ? `slower for ${list(slower)}` : ""
    ]
      .filter((part) => part.length > 0)
      .join(" ")
      .concat(".")
  }
  const comparisons = rows.flatMap((row) => plexjsNames.map((name) => theirs(row, name).ratio))
  const overlapping = comparisons.filter((ratio) => ratio.q1 < 1 && ratio.q3 > 1).length
  const floors = rows.map((row) => rps(row, "@effect/platform HttpClient") / rps(row, plain!))
  return [
    ...plexjsNames.map((name) =>
      against(
        name,
        name === plain
          ? "plexjs as it comes, which sends with no timeout"
          : `plexjs given the same timeout as ours (${name})`
      )
    ),
    `For each request, plexjs's process spends ${orders(rows.map((row) => theirs(row, plain!).cpu.median))} ` +
      "of effect-plex-auth's CPU time, in the same order as the rows above (above 1: effect-plex-auth costs less).",
    overlapping === 0
      ? "In each comparison with plexjs, at least three runs in four favour the same client."
      : `In ${overlapping} of these ${comparisons.length} comparisons with plexjs the middle half of the runs spans 1: ` +
        "more than a quarter of the runs favour each client, so the difference there is within what this machine " +
        "varies by from one short run to the next.",
    `\`@effect/platform\`'s \`HttpClient\` alone, the floor of any Effect client, reaches ` +
      `${orders(floors)} of plexjs's requests per second, in the same order.`,
    `effect-plex-auth reaches ${orders(rows.map((row) => theirs(row, "@effect/platform HttpClient").ratio.median))} of that ` +
      "floor, with its own work per request (the per-attempt timeout, the redirect and body-limit handling, " +
      "the lenient decode, the services it reads, its own span beside the platform's `http.client` span, " +
      "which both make)."
  ].join(" ")
}

const connectVerdict = (connect: ConnectResult) => {
  const none = connect.rows[0]!
  const most = connect.rows[connect.rows.length - 1]!
  // What connect adds over probing with fetch, with none and with the most dead candidates.
  const addedNone = none.millis.median - none.floor.median
  const addedMost = most.millis.median - most.floor.median
  const perDead = (addedMost - addedNone) / most.dead
  const floorGrowth = most.floor.median - none.floor.median
  const verdict =
    perDead <= 0.05
      ? `What \`connect\` adds to probing does not grow with the dead candidates: ` +
        `${fmt(addedNone, 2)} ms over \`fetch\` with none, ${fmt(addedMost, 2)} ms with ${most.dead} ` +
        `(${fmt(perDead, 3)} ms per dead candidate).`
      : `What \`connect\` adds to probing grows with the dead candidates: ${fmt(addedNone, 2)} ms over \`fetch\` ` +
        `with none, ${fmt(addedMost, 2)} ms with ${most.dead} (${fmt(perDead, 3)} ms per dead candidate).`
  return (
    `${verdict} The time to choose still rises from ${fmt(none.millis.median, 2)} to ${fmt(most.millis.median, 2)} ms, ` +
    `as \`fetch\` alone rises by ${fmt(floorGrowth, 2)} ms: on the wire a dead candidate never delays the answer (a ` +
    "refusal fails at once, a hanging probe is cancelled once the choice is made), but on a loopback network, where " +
    "the healthy answer takes about a millisecond, opening a connection to each dead address and handling each " +
    "refusal is work on the same thread that must then read the healthy answer. Over a real network, where a " +
    "round trip is tens of milliseconds, that work is lost in the round trip."
  )
}

/**
 * Whether the heap grew beyond the noise, and if so whether it kept growing:
 * the first thousands of operations warm things up once (compiled code, the
 * connection pool, caches), while something retained per operation grows
 * the heap in the second half of the run as much as in the first.
 */
const memoryVerdict = (mem: MemoryResult) => {
  const first = mem.points[0]!
  const last = mem.points[mem.points.length - 1]!
  const middle = mem.points[mem.points.length - 2]!
  const limit = Math.max(mem.noise, 1e6)
  const growth = last.heapUsed - first.heapUsed
  const perOperation = growth / (last.operations - first.operations)
  const lately = last.heapUsed - middle.heapUsed
  const said = `From ${fmt(first.operations)} to ${fmt(last.operations)} operations the heap ${growth >= 0 ? "grew" : "shrank"} by ${fmt(Math.abs(growth) / 1e6, 2)} MB (${fmt(perOperation, 1)} bytes per operation)`
  if (growth < -limit) {
    return `${said}: no growth. It shrank by more than the noise: something allocated before the first reading (by this benchmark or an earlier one in the same process) was freed later.`
  }
  if (growth <= limit) return `${said}: no growth beyond noise (within ${fmt(limit / 1e6, 2)} MB).`
  const over = `${fmt(middle.operations)} to ${fmt(last.operations)} operations`
  return Math.abs(lately) <= limit
    ? `${said}, more than noise, but not per operation: from ${over} it changed by ${fmt(lately / 1e6, 2)} MB, within noise (${fmt(limit / 1e6, 2)} MB). The growth is a one-time cost of warming up (compiled code, the connection pool, caches).`
    : `${said}, and by ${fmt(lately / 1e6, 2)} MB from ${over}. That is more than noise: something is retained per operation.`
}

const machine = () => {
  const cpus = os.cpus()
  const models = [...new Set(cpus.map((cpu) => cpu.model.trim()))].join(", ")
  return `${cpus.length} × ${models}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB of memory, ${os.type()} ${os.release()} (${os.arch()}), Node ${process.version}`
}

const table = (
  header: ReadonlyArray<string>,
  align: ReadonlyArray<"l" | "r">,
  rows: ReadonlyArray<ReadonlyArray<string>>
) =>
  [
    `| ${header.join(" | ")} |`,
    `| ${align.map((a) => (a === "r" ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`)
  ].join("\n")

const opName = (operation: Operation) =>
  operation === "getTokenDetails" ? "`getTokenDetails`" : "sign-in (`postUsersSignInData`)"

const report = (input: {
  readonly date: string
  readonly seconds: number
  readonly throughput: ReadonlyArray<ThroughputRow>
  readonly decode: DecodeResult
  readonly connect: ConnectResult
  readonly memory: MemoryResult
}) => {
  const { connect, decode, memory: mem } = input
  const first = mem.points[0]!
  const last = mem.points[mem.points.length - 1]!
  return `${heading}

Measured on ${input.date} on ${machine()}, with \`npm run bench\` (${fmt(input.seconds)} s in all; the
command rewrites this section and [the chart](${chartName})). Everything runs against the loopback fake Plex
(\`FakePlexServer\` from \`effect-plex-auth/node\`, in a process of its own so its work is not counted), the
clients compared are run interleaved (A B C, then B C A, ...), and each figure is the median over the
repetitions with the range in parentheses. Ratios are taken per repetition against a baseline measured
in the same run, so they hold better across machines than the absolute numbers. effect-plex-auth is measured
compiled, as its users run it ([bench/library.ts](../bench/library.ts)).

### Throughput and latency

${fmt(config.requests)} requests per client, operation and concurrency, in ${config.rounds} interleaved runs of
${fmt(Math.ceil(config.requests / config.rounds))} (after a warm-up of ${fmt(config.warmup)}). Short runs side by side
share the machine's state of the moment, so the ratio of two clients' runs varies less than either's numbers, and
the median of ${config.rounds} such ratios settles where a few long runs' would not. With that many runs, the
parentheses here hold the middle half of the runs (the 25th to the 75th percentile), not their whole range;
p50 and p99 are over all ${fmt(config.requests)} requests. The clients: \`fetch\` and \`JSON.parse\` with a status check (the floor: what any client
does at least); the same request and check made with \`@effect/platform\`'s \`HttpClient\` over \`FetchHttpClient\`
(the Effect floor: what any Effect client on \`HttpClient\` pays before doing anything of its own);
effect-plex-auth over \`FetchHttpClient\`; and plexjs 0.39.0 through its standalone functions
(\`@lukehagar/plexjs/core.js\` and \`funcs/authentication*.js\`), twice: as it comes, with no timeout (a request
to a server that never answers waits as long as Node's \`fetch\` lets it), and with its \`timeoutMs\` option set to
effect-plex-auth's default \`PlexAuth.RequestTimeout\`, which makes it pass an abort signal to \`fetch\`, as every
request through \`@effect/platform\` does. Both Effect clients are called through a
\`ManagedRuntime\`, as a Promise-based caller would; effect-plex-auth's has the fake's plex.tv URL from a layer
(\`PlexTv.layer\`), as an application sets it once, and Effect's default tracer, as a program without
OpenTelemetry has. Every request's answer is checked.

![Requests per second by client](${chartName})

${table(
  ["Operation", "Concurrency", "Client", "Requests/s", "p50 (ms)", "p99 (ms)", "CPU per request (µs)"],
  ["l", "r", "l", "r", "r", "r", "r"],
  input.throughput.flatMap((row) =>
    row.clients.map((c) => [
      opName(row.operation),
      String(row.concurrency),
      c.name,
      middle(c.rps),
      fmt(c.p50, 2),
      fmt(c.p99, 2),
      middle(c.cpu)
    ])
  )
)}

"CPU per request" is the processor time the benchmark's own process spent (\`process.cpuUsage\`, user and
system) divided by the requests of the run: the client's work, the runtime's and the HTTP stack's, without
the fake's, which runs in a process of its own. It counts only the client side's work, where requests per
second also depend on the fake's process and on how the two share the cores.

effect-plex-auth's requests per second over the other clients', per run (above 1: effect-plex-auth is faster):

${table(
  ["Operation", "Concurrency", ...input.throughput[0]!.ratios.map((r) => `over ${r.name}`)],
  ["l", "r", ...input.throughput[0]!.ratios.map(() => "r" as const)],
  input.throughput.map((row) => [
    opName(row.operation),
    String(row.concurrency),
    ...row.ratios.map((r) => middleRatio(r.ratio))
  ])
)}

The other clients' CPU per request over effect-plex-auth's, per run (above 1: effect-plex-auth costs less):

${table(
  ["Operation", "Concurrency", ...input.throughput[0]!.ratios.map((r) => r.name)],
  ["l", "r", ...input.throughput[0]!.ratios.map(() => "r" as const)],
  input.throughput.map((row) => [
    opName(row.operation),
    String(row.concurrency),
    ...row.ratios.map((r) => middleRatio(r.cpu))
  ])
)}

${throughputVerdict(input.throughput)}

${issue16Targets(input.throughput.map((row) => ({ ...row, operation: opName(row.operation) })))}

plexjs against the fake: plexjs 0.39.0 validates answers with strict zod schemas, and it rejects today's
account payloads. \`autoSelectSubtitle\` and \`mediaReviewsVisibility\` may only be 0 or 1 in its schema, and
the 2026-02 payloads (the fake's default shape, and test/fixtures/account-2026-02.json) carry 2: both
\`getTokenDetails\` and the sign-in fail with \`ResponseValidationError\`. With the 2025-08 shape its
\`getTokenDetails\` passes, but its sign-in fails again: its schema requires \`pastSubscriptions\` and
\`trials\`, which those answers lack. Its \`getTokenDetails\` also sends no \`X-Plex-Client-Identifier\`, which
plex.tv requires (400, code 1000). To measure plexjs at all, the fake here is seeded with 1 for those two
profile fields, and plexjs is given a \`beforeRequest\` hook that adds the header. effect-plex-auth decodes
all of these payloads unchanged.

### Decoding

A full account payload (test/fixtures/account-2026-02.json, with the values plexjs rejects replaced, below)
decoded ${fmt(config.decodes)} times by each, in ${config.decodeRounds} interleaved runs:
\`Schema.decodeUnknownSync(Schemas.Account)\` (the same plain function \`getTokenDetails\` runs on every answer,
keeping unknown fields), and plexjs's zod schema for the same object
(\`GetTokenDetailsUserPlexAccount$inboundSchema\`, which strips unknown fields).

${table(
  ["Decoder", "Time per decode (µs)", "Decodes/s"],
  ["l", "r", "r"],
  [
    [
      "effect-plex-auth `Schemas.Account`",
      range(decode.ours, 1, "").replace(/[\d.,]+/g, (n) => fmt(Number(n.replace(/,/g, "")) / 1000, 1)),
      fmt(1e9 / decode.ours.median)
    ],
    [
      "plexjs 0.39.0 (zod)",
      range(decode.zod, 1, "").replace(/[\d.,]+/g, (n) => fmt(Number(n.replace(/,/g, "")) / 1000, 1)),
      fmt(1e9 / decode.zod.median)
    ]
  ]
)}

Our time over zod's, per run: ${ratio(decode.ratio)}.${
    decode.zodRejectsFixture.length === 0
      ? ""
      : ` On the fixture as recorded, the zod schema fails on ${decode.zodRejectsFixture.length} values (${decode.zodRejectsFixture.map((p) => `\`${p}\``).join(", ")}): each is an enum of 0 and 1 in plexjs, and those were replaced by 1 for the timing. Ours decodes the fixture as recorded.`
  }

### Choosing a connection

\`Resources.connect\` on a server with one healthy candidate and 0, 2, 4 or 8 dead ones, half of them a
loopback port that refuses connections, half a loopback listener that accepts a connection and never answers
(a plain TCP listener, so that a hanging request costs the healthy server nothing, as a dead address on a
network would). All are local HTTP connections, so they rank the same and the first to answer wins; the dead
ones are listed first. Against it: the healthy candidate's own round trip (the \`GET /identity\` that
\`connect\` sends, made with \`fetch\`), and the floor for probing them all at once: the same \`GET\`s
with \`fetch\`, started together, timed to the healthy one's answer. ${fmt(config.connectRounds)} interleaved runs
of each; every \`connect\` is checked to have chosen the healthy candidate and to have seen the others fail
or be cancelled.

${table(
  [
    "Dead candidates",
    "Time to choose (ms)",
    "fetch, all at once (ms)",
    "Over fetch, all at once",
    "Over the round trip",
    "Over 0 dead"
  ],
  ["r", "r", "r", "r", "r", "r"],
  [
    ["(the round trip alone)", range(connect.roundTrip, 2), "—", "—", "—", "—"],
    ...connect.rows.map((row) => [
      String(row.dead),
      range(row.millis, 2),
      range(row.floor, 2),
      ratio(row.overFloor),
      ratio(row.overRoundTrip),
      ratio(row.overNone)
    ])
  ]
)}

${connectVerdict(connect)}

### Memory

The heap after ${fmt(last.operations)} operations against the heap after ${fmt(first.operations)}: effect-plex-auth alternating
\`getTokenDetails\` and sign-ins, ${config.memoryConcurrency} at a time, from one \`ManagedRuntime\`. The benchmark runs under
\`node --expose-gc\` and, before each reading, collects garbage four times with a turn of the event loop
between collections, so that what a \`FinalizationRegistry\` holds (undici keeps an entry per request) is
released first.

${table(
  ["Operations", "Heap used (MB)", "Over the first reading (MB)"],
  ["r", "r", "r"],
  mem.points.map((p) => [
    fmt(p.operations),
    fmt(p.heapUsed / 1e6, 2),
    fmt((p.heapUsed - first.heapUsed) / 1e6, 2)
  ])
)}

Noise: five readings in a row at ${fmt(first.operations)} operations differ by up to ${fmt(mem.noise / 1e6, 2)} MB. ${memoryVerdict(mem)}

To reproduce and rewrite this section:

\`\`\`sh
npm run bench
\`\`\`
`
}

const rewriteDocs = async (section: string, chart: string) => {
  const document = fs.readFileSync(docsPath, "utf8")
  const start = document.indexOf(`\n${heading}\n`)
  let next: string
  if (start === -1) {
    next = `${document.trimEnd()}\n\n${section}`
  } else {
    const end = document.indexOf("\n## ", start + heading.length + 1)
    next = `${document.slice(0, start + 1)}${section}${end === -1 ? "" : `\n${document.slice(end + 1)}`}`
  }
  fs.writeFileSync(docsPath, withSummaryOrWarn(next, log))
  formatInPlace(docsPath)
  fs.writeFileSync(chartPath, chart)
}

// ---------------------------------------------------------------------------

const main = async () => {
  await heapAfterGc() // fail early without --expose-gc
  const started = performance.now()
  const { served, stop } = await startServer()
  try {
    const ours = effectPlexAuth(served)
    // plexjs sends with no timeout unless given one; this one has ours (the default `PlexAuth.RequestTimeout`).
    const timeoutMs = Duration.toMillis(lib.PlexAuth.RequestTimeout.defaultValue())
    const clients = [
      rawFetch(served),
      effectPlatform(served),
      ours,
      plexjs(served),
      plexjs(served, { timeoutMs })
    ]
    try {
      log(`config: ${JSON.stringify(config)}`)
      if (only !== undefined) {
        const sections: Record<string, () => Promise<unknown>> = {
          throughput: async () => {
            for (const row of await throughput(clients, ours)) {
              for (const r of row.ratios) {
                const iqr = (x: Summary) => `${fmt(x.median, 2)} (${fmt(x.q1, 2)}–${fmt(x.q3, 2)})`
                log(
                  `  ${row.operation} c${row.concurrency} vs ${r.name}: their CPU/ours ${iqr(r.cpu)}, our req/s over theirs ${iqr(r.ratio)}`
                )
              }
            }
          },
          decode: async () => decoding(),
          connect: () => choosing(served),
          memory: () => memory(ours)
        }
        const section = sections[only]
        if (section === undefined)
          throw new Error(`--only=${only}: one of ${Object.keys(sections).join(", ")}`)
        await section()
        return
      }
      const throughputRows = await throughput(clients, ours)
      const decode = decoding()
      const connect = await choosing(served)
      const mem = await memory(ours)
      const seconds = (performance.now() - started) / 1000
      const section = report({
        date: new Date().toISOString().slice(0, 10),
        seconds,
        throughput: throughputRows,
        decode,
        connect,
        memory: mem
      })
      const chart = barChart({
        title: "Requests per second against the loopback fake (higher is better)",
        unit: "req/s",
        groups: throughputRows.map((row) => ({
          title: `${row.operation === "getTokenDetails" ? "getTokenDetails" : "sign-in"}, ${row.concurrency === 1 ? "sequential" : `concurrency ${row.concurrency}`}`,
          bars: row.clients.map((c) => ({ label: c.name, value: c.rps.median }))
        }))
      })
      process.stdout.write(section)
      if (write) {
        await rewriteDocs(section, chart)
        log(`wrote ${path.relative(root, docsPath)} and ${path.relative(root, chartPath)}`)
      }
      log(`done in ${fmt(seconds, 1)} s`)
    } finally {
      for (const client of clients) await client.dispose()
    }
  } finally {
    stop()
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
