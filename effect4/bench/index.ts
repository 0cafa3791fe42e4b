/**
 * The Effect 4 edition's runtime benchmark: CPU per request and requests per
 * second of `getTokenDetails` and sign-in, for effect4-plex-auth beside
 * Effect 4's bare `HttpClient` (`effect/http`), plexjs 0.39.0 and raw
 * `fetch`, all in this one process on the same Node (Effect 4 needs Node
 * >= 22.19), against the loopback fake Plex in a process of its own
 * (bench/server.ts). The runs are interleaved (A B C D, B C D A, ...) and
 * repeated; each figure is a median with its range over the rounds, and the
 * ratios are taken round by round. `npm run bench` runs it after the Effect 3
 * benchmarks, on the Node 22 scripts/node22.mjs finds.
 *
 *   node scripts/node22.mjs --import tsx effect4/bench/index.ts             run, print, rewrite the
 *                                                                          "Effect 4 edition" section of
 *                                                                          docs/benchmarks.md
 *   ... effect4/bench/index.ts --no-write   run and print only
 *   ... effect4/bench/index.ts --quick      a few requests (a smoke check; never written)
 *   ... --requests=2000 --rounds=20 --operations=getTokenDetails --concurrency=1
 *                                          a smaller run while iterating (never written)
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import { type Client, load, type Operation, plexjs, rawFetch } from "../../bench/common.js"
import type { Served } from "../../bench/shared.js"
import { withSummaryOrWarn } from "../../scripts/benchmarks-summary.js"
import { quantile, rotate, summarize, type Summary } from "../../bench/stats.js"
import { effect4PlexAuth, effectHttp } from "./clients.js"

const root = fileURLToPath(new URL("../..", import.meta.url))
const docsPath = path.join(root, "docs", "benchmarks.md")
const quick = process.argv.includes("--quick")
/** `--name=value` from the command line. */
const option = (name: string) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3)
const narrowed = ["requests", "rounds", "operations", "concurrency"].some(
  (name) => option(name) !== undefined
)
const write = !quick && !narrowed && !process.argv.includes("--no-write")
const scale = (full: number, small: number) => (quick ? small : full)
const config = {
  requests: Number(option("requests") ?? scale(5_000, 100)),
  rounds: Number(option("rounds") ?? scale(50, 2)),
  warmup: scale(300, 20),
  operations: (option("operations")?.split(",") ?? ["getTokenDetails", "signIn"]) as Array<Operation>,
  concurrency: option("concurrency")?.split(",").map(Number) ?? [1, 16]
}

const log = (line: string) => process.stderr.write(`${line}\n`)
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
const ratio = (s: Summary) => `${fmt(s.median, 2)}× (${fmt(s.q1, 2)}–${fmt(s.q3, 2)})`

const startServer = async () => {
  // The fake is the Effect 3 edition's loopback server (the same web handler both editions' kits use);
  // it runs in its own process on the Node this one runs on.
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

interface Row {
  readonly operation: Operation
  readonly concurrency: number
  readonly clients: ReadonlyArray<{
    readonly name: string
    readonly rps: Summary
    readonly cpu: Summary
    readonly p50: number
  }>
  /** Per round: their CPU per request over ours, and our requests/s over theirs. */
  readonly ratios: ReadonlyArray<{ readonly name: string; readonly cpu: Summary; readonly rps: Summary }>
}

const throughput = async (clients: ReadonlyArray<Client>, ours: Client): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  const perRound = Math.ceil(config.requests / config.rounds)
  for (const operation of config.operations) {
    for (const concurrency of config.concurrency) {
      for (const client of clients) await load(client.request[operation], config.warmup, concurrency)
      const results = new Map(
        clients.map((c) => [c, [] as Array<{ rps: number; cpu: number; latencies: Float64Array }>])
      )
      for (let round = 0; round < config.rounds; round++) {
        for (const client of rotate(clients, round)) {
          const before = process.cpuUsage()
          const sample = await load(client.request[operation], perRound, concurrency)
          const cpu = process.cpuUsage(before)
          results.get(client)!.push({
            rps: (perRound / sample.millis) * 1000,
            cpu: (cpu.user + cpu.system) / perRound,
            latencies: sample.latencies
          })
        }
      }
      const mine = results.get(ours)!
      const row: Row = {
        operation,
        concurrency,
        clients: clients.map((client) => {
          const runs = results.get(client)!
          const all = Float64Array.from(runs.flatMap((r) => Array.from(r.latencies)))
          return {
            name: client.name,
            rps: summarize(runs.map((r) => r.rps)),
            cpu: summarize(runs.map((r) => r.cpu)),
            p50: quantile(all, 0.5)
          }
        }),
        ratios: clients
          .filter((c) => c !== ours)
          .map((c) => ({
            name: c.name,
            cpu: summarize(results.get(c)!.map((theirs, i) => mine[i]!.cpu / theirs.cpu)),
            rps: summarize(results.get(c)!.map((theirs, i) => mine[i]!.rps / theirs.rps))
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

const opName = (operation: Operation) => (operation === "signIn" ? "sign-in" : "`getTokenDetails`")

const report = (rows: ReadonlyArray<Row>, clients: ReadonlyArray<Client>) => {
  const lines: Array<string> = []
  lines.push(
    `Measured on ${new Date().toISOString().slice(0, 16).replace("T", " at ")} UTC (the end of the run) on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.versions.node}, load average ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")} at the end.`
  )
  lines.push("")
  lines.push(
    `${config.requests.toLocaleString("en-US")} requests per client, operation and concurrency, in ${config.rounds} interleaved rounds; ` +
      "medians over the rounds, and for the ratios the middle half of the rounds (25th–75th percentile)."
  )
  lines.push("")
  lines.push(`| Operation | Concurrency | ${clients.map((c) => c.name).join(" | ")} |`)
  lines.push(`| --- | ---: | ${clients.map(() => "---:").join(" | ")} |`)
  for (const row of rows) {
    lines.push(
      `| ${opName(row.operation)} | ${row.concurrency} | ${row.clients.map((c) => `${fmt(c.rps.median)} req/s, ${fmt(c.cpu.median)} µs CPU`).join(" | ")} |`
    )
  }
  lines.push("")
  lines.push(
    "effect4-plex-auth against each, round by round (CPU per request: ours over theirs, lower is better; requests per second: ours over theirs, higher is better):"
  )
  lines.push("")
  lines.push(
    `| Operation | Concurrency | ${rows[0]!.ratios.map((r) => `CPU vs ${r.name}`).join(" | ")} | ${rows[0]!.ratios.map((r) => `req/s vs ${r.name}`).join(" | ")} |`
  )
  lines.push(
    `| --- | ---: | ${rows[0]!.ratios.map(() => "---:").join(" | ")} | ${rows[0]!.ratios.map(() => "---:").join(" | ")} |`
  )
  for (const row of rows) {
    lines.push(
      `| ${opName(row.operation)} | ${row.concurrency} | ${row.ratios.map((r) => ratio(r.cpu)).join(" | ")} | ${row.ratios.map((r) => ratio(r.rps)).join(" | ")} |`
    )
  }
  lines.push("")
  lines.push(...targets(rows))
  return lines.join("\n")
}

/**
 * Issue 18's targets for the Effect 4 edition, row by row, from the medians of the round-by-round ratios:
 * CPU per request within 15% of the bare `effect/http` client and at most 0.9× plexjs', requests per
 * second at least 1.1× plexjs'.
 */
const targets = (rows: ReadonlyArray<Row>): Array<string> => {
  const find = (row: Row, prefix: string) => row.ratios.find((r) => r.name.startsWith(prefix))
  const check = (value: number | undefined, ok: (x: number) => boolean) =>
    value === undefined ? "not measured" : `${fmt(value, 2)}× ${ok(value) ? "(met)" : "(not met)"}`
  return [
    "Issue 18's targets (medians of the round-by-round ratios):",
    "",
    "| Operation | Concurrency | CPU vs bare `effect/http` ≤ 1.15× | CPU vs plexjs ≤ 0.9× | req/s vs plexjs ≥ 1.1× |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows.map((row) => {
      const bare = find(row, "effect/http")
      const plexjs = find(row, "plexjs")
      return `| ${opName(row.operation)} | ${row.concurrency} | ${check(bare?.cpu.median, (x) => x <= 1.15)} | ${check(plexjs?.cpu.median, (x) => x <= 0.9)} | ${check(plexjs?.rps.median, (x) => x >= 1.1)} |`
    })
  ]
}

const begin = "<!-- effect4 bench: begin (written by effect4/bench/index.ts) -->"
const end = "<!-- effect4 bench: end -->"

const main = async () => {
  const { served, stop } = await startServer()
  const ours = effect4PlexAuth(served)
  const clients = [rawFetch(served), plexjs(served), effectHttp(served), ours]
  try {
    const rows = await throughput(clients, ours)
    const section = report(rows, clients)
    process.stdout.write(`${section}\n`)
    if (write) {
      const docs = fs.readFileSync(docsPath, "utf8")
      const from = docs.indexOf(begin)
      const to = docs.indexOf(end)
      if (from === -1 || to === -1) throw new Error(`docs/benchmarks.md has no ${begin} … ${end} markers`)
      const next = `${docs.slice(0, from + begin.length)}\n\n${section}\n\n${docs.slice(to)}`
      fs.writeFileSync(docsPath, withSummaryOrWarn(next, log))
      log("docs/benchmarks.md: the Effect 4 edition's section and the summary rewritten")
    }
  } finally {
    for (const client of clients) await client.dispose()
    stop()
  }
}

await main()
