/**
 * The Effect 4 file store shared by several processes: real child processes
 * (the writer fixture, bundled with esbuild) write the same store at once.
 * Every wait is for an event (a message, an exit), never for a time.
 */
import { type ChildProcess, fork } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { build } from "esbuild"
import { KeyValueStore } from "../../src/node/index.js"

const tempDirectory = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "plex-kvs4-proc-"))),
  (directory) => Effect.promise(() => fs.rm(directory, { recursive: true, force: true }))
)

/** The writer fixture as one ES module in `directory`. */
const bundleWriter = (directory: string) =>
  Effect.promise(async () => {
    const outfile = path.join(directory, "store-writer.mjs")
    await build({
      entryPoints: [fileURLToPath(new URL("./fixtures/store-writer.ts", import.meta.url))],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      logLevel: "warning"
    })
    return outfile
  })

interface Child {
  readonly next: Effect.Effect<string>
  readonly send: (message: string) => Effect.Effect<void>
}

/** A child process running the writer; killed when the scope closes. Waits for its "ready". */
const spawnWriter = (writer: string, args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const child: ChildProcess = yield* Effect.acquireRelease(
      Effect.sync(() => fork(writer, [...args], { stdio: ["ignore", "inherit", "inherit", "ipc"] })),
      (child) =>
        Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
    )
    const queue: Array<string> = []
    const waiting: Array<(message: string) => void> = []
    child.on("message", (message) => {
      const text = String(message)
      const resume = waiting.shift()
      if (resume) resume(text)
      else queue.push(text)
    })
    const result: Child = {
      next: Effect.callback<string>((resume) => {
        const queued = queue.shift()
        if (queued !== undefined) resume(Effect.succeed(queued))
        else waiting.push((message) => resume(Effect.succeed(message)))
      }),
      send: (message) => Effect.sync(() => void child.send(message))
    }
    assert.strictEqual(yield* result.next, "ready")
    return result
  })

describe("KeyValueStore.layerFile (Effect 4) shared by several processes", () => {
  it.live(
    "two processes writing 100 keys each keep all 200",
    () =>
      Effect.gen(function* () {
        const work = yield* tempDirectory
        const writer = yield* bundleWriter(work)
        const directory = path.join(work, "store")
        const [a, b] = yield* Effect.all(
          [spawnWriter(writer, [directory, "a", "100"]), spawnWriter(writer, [directory, "b", "100"])],
          { concurrency: 2 }
        )
        yield* a.send("go")
        yield* b.send("go")
        assert.deepStrictEqual(yield* Effect.all([a.next, b.next], { concurrency: 2 }), ["done", "done"])
        const store = yield* KeyValueStore.make({ directory })
        assert.strictEqual(yield* store.size, 200)
        for (let i = 0; i < 100; i++) {
          assert.strictEqual(yield* store.get(`a-${i}`), `a ${i}`)
          assert.strictEqual(yield* store.get(`b-${i}`), `b ${i}`)
        }
        assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(directory)), ["store.json"])
      }),
    60_000
  )
})
