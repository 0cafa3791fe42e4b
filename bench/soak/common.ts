/**
 * What both editions' soaks share (bench/soak.ts, effect4/bench/soak.ts): the loopback fake in its child process
 * (bench/soak/server.ts) and its commands, the heap reading, and the scenario driver that samples the heap after
 * garbage collection at fixed fractions of a scenario's operations. No Effect here: each edition's soak runs its
 * operations with its own runtime and hands them in as promises.
 */
import { type ChildProcess, fork } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as v8 from "node:v8"
import type { Command, Served } from "./server.js"

export type { Served } from "./server.js"

const here = path.dirname(fileURLToPath(import.meta.url))

export interface Fake {
  readonly served: Served
  readonly send: (command: Command) => Promise<unknown>
  readonly close: () => void
}

/** Starts the fake in a child process (the same Node, with tsx) and waits until it listens. */
export const startFake = (): Promise<Fake> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = fork(path.join(here, "server.ts"), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    let next = 0
    const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
    child.on("message", (message: { ready?: Served; id?: number; result?: unknown; error?: string }) => {
      if (message.ready !== undefined) {
        const served = message.ready
        resolve({
          served,
          send: (command) =>
            new Promise((resolveCommand, rejectCommand) => {
              const id = next++
              pending.set(id, { resolve: resolveCommand, reject: rejectCommand })
              child.send({ ...command, id })
            }),
          close: () => child.disconnect()
        })
        return
      }
      const waiting = message.id === undefined ? undefined : pending.get(message.id)
      if (waiting === undefined) return
      pending.delete(message.id as number)
      if (message.error !== undefined) waiting.reject(new Error(message.error))
      else waiting.resolve(message.result)
    })
    child.once("exit", (code) => reject(new Error(`the fake exited (${code})`)))
  })

/**
 * The heap after a collection. What a `FinalizationRegistry` holds (undici keeps an entry per request) is
 * released only by its clean-up callbacks, in a later task: each collection is followed by a turn of the event
 * loop, three times, before the reading (as bench/index.ts reads it).
 */
export const heapAfterGc = async (): Promise<number> => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run with node --expose-gc")
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  gc()
  return process.memoryUsage().heapUsed
}

export interface Sample {
  readonly operations: number
  readonly heapUsed: number
}

export interface ScenarioResult {
  readonly name: string
  readonly operations: number
  readonly failures: number
  readonly seconds: number
  /** After the warm-up (operations 0), then at 25%, 50%, 75% and 100%. */
  readonly samples: ReadonlyArray<Sample>
  /** heapUsed at 100% less at 25%, over the operations between: bytes per operation. */
  readonly bytesPerOperation: number
}

export interface Scenario {
  readonly name: string
  readonly operations: number
  readonly concurrency: number
  /** One operation; resolves false when it did not end as the scenario expects (counted). */
  readonly run: (index: number) => Promise<boolean>
  /** Before the warm-up (a fault to script, say), and after the last reading. */
  readonly setup?: (() => Promise<void>) | undefined
  readonly teardown?: (() => Promise<void>) | undefined
}

const fractions = [0.25, 0.5, 0.75, 1]

/**
 * Runs a scenario: a warm-up of a tenth of its operations (caches, JIT, pools fill), a first reading, then the
 * operations, `concurrency` at a time, with a reading at each fraction. `--snapshot` writes a heap snapshot at 25%
 * and at 100% (compare them in Chrome's DevTools to see what grew).
 */
export const runScenario = async (
  scenario: Scenario,
  options: { readonly scale: number }
): Promise<ScenarioResult> => {
  const total = Math.max(40, Math.round(scenario.operations * options.scale))
  let failures = 0
  const batch = async (from: number, to: number) => {
    let index = from
    const worker = async () => {
      while (index < to) {
        const mine = index++
        if (!(await scenario.run(mine))) failures++
      }
    }
    await Promise.all(Array.from({ length: Math.min(scenario.concurrency, to - from) }, worker))
  }
  await scenario.setup?.()
  await batch(0, Math.round(total / 10))
  failures = 0
  const samples: Array<Sample> = [{ operations: 0, heapUsed: await heapAfterGc() }]
  const started = performance.now()
  let done = 0
  for (const fraction of fractions) {
    const to = Math.round(total * fraction)
    await batch(done, to)
    done = to
    samples.push({ operations: done, heapUsed: await heapAfterGc() })
    if (process.argv.includes("--snapshot") && (fraction === 0.25 || fraction === 1)) {
      const file = v8.writeHeapSnapshot(`soak-${scenario.name}-${Math.round(fraction * 100)}.heapsnapshot`)
      console.error(`  heap snapshot: ${file}`)
    }
  }
  const seconds = (performance.now() - started) / 1000
  await scenario.teardown?.()
  const quarter = samples[1] as Sample
  const last = samples[samples.length - 1] as Sample
  return {
    name: scenario.name,
    operations: total,
    failures,
    seconds,
    samples,
    bytesPerOperation: (last.heapUsed - quarter.heapUsed) / (last.operations - quarter.operations)
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(2)

/** One line per scenario: the heap (MB) at each reading, and the growth from 25% to 100% per operation. */
export const formatResult = (result: ScenarioResult): string =>
  `| ${result.name} | ${result.operations.toLocaleString("en")} | ${result.samples.map((s) => mb(s.heapUsed)).join(" / ")} | ${result.bytesPerOperation.toFixed(1)} | ${result.failures.toLocaleString("en")} | ${result.seconds.toFixed(1)} |`

export const tableHeader = [
  "| Scenario | Operations | Heap used after GC, MB: after warm-up / 25% / 50% / 75% / 100% | Growth 25%→100%, bytes per operation | Unexpected outcomes | Seconds |",
  "| --- | ---: | ---: | ---: | ---: | ---: |"
].join("\n")

/** `--scale=0.1` runs a tenth of each scenario's operations; `--only=a,b` runs the scenarios named. */
export const parseArgs = (argv: ReadonlyArray<string>) => {
  const scale = Number(argv.find((a) => a.startsWith("--scale="))?.slice("--scale=".length) ?? "1")
  const only = argv
    .find((a) => a.startsWith("--only="))
    ?.slice("--only=".length)
    .split(",")
  return { scale, only }
}

/** Runs the scenarios one after the other, printing a table row as each ends. */
export const soak = async (
  edition: string,
  scenarios: ReadonlyArray<Scenario>,
  argv: ReadonlyArray<string>
): Promise<ReadonlyArray<ScenarioResult>> => {
  const { scale, only } = parseArgs(argv)
  console.log(`${edition}, Node ${process.version}`)
  console.log(tableHeader)
  const results: Array<ScenarioResult> = []
  for (const scenario of scenarios) {
    if (only !== undefined && !only.includes(scenario.name)) continue
    const result = await runScenario(scenario, { scale })
    results.push(result)
    console.log(formatResult(result))
  }
  return results
}
