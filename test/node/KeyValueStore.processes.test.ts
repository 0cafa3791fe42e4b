/**
 * The Node file store shared by several processes: real child processes
 * (run with tsx) write the same store while this one watches. Every wait is
 * for an event (a message, an exit), never for a time.
 */
import { type ChildProcess, fork } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { ClientIdentity, Credentials } from "effect-plex-auth"
import { KeyValueStore } from "effect-plex-auth/node"

const writer = fileURLToPath(new URL("./fixtures/store-writer.ts", import.meta.url))

const tempDirectory = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "plex-kvs-proc-"))),
  (directory) => Effect.promise(() => fs.rm(directory, { recursive: true, force: true }))
)

const storeIn = (directory: string) =>
  Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerFile({ directory }))

const listDirectory = (directory: string) =>
  Effect.promise(() => fs.readdir(directory).then((names) => names.sort()))

interface Child {
  readonly process: ChildProcess
  /** The next message of the child (they arrive in order; none is lost). */
  readonly next: Effect.Effect<string>
  readonly send: (message: string) => Effect.Effect<void>
  /** Completes once the child has exited, with its signal or code. */
  readonly exited: Effect.Effect<string>
}

/** A child process running the store writer; killed when the scope closes. Waits for its "ready". */
const spawnWriter = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        fork(writer, [...args], {
          execArgv: ["--import", "tsx"],
          stdio: ["ignore", "inherit", "inherit", "ipc"]
        })
      ),
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
    const exit = new Promise<string>((resolve) =>
      child.once("exit", (code, signal) => resolve(signal ?? String(code)))
    )
    const result: Child = {
      process: child,
      next: Effect.async<string>((resume) => {
        const queued = queue.shift()
        if (queued !== undefined) resume(Effect.succeed(queued))
        else waiting.push((message) => resume(Effect.succeed(message)))
      }),
      send: (message) => Effect.sync(() => void child.send(message)),
      exited: Effect.promise(() => exit)
    }
    assert.strictEqual(yield* result.next, "ready")
    return result
  })

describe("KeyValueStore.layerFile shared by several processes", () => {
  it.scopedLive(
    "two processes writing 100 keys each keep all 200",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const [a, b] = yield* Effect.all(
          [spawnWriter([directory, "keys", "a", "100"]), spawnWriter([directory, "keys", "b", "100"])],
          { concurrency: 2 }
        )
        yield* a.send("go")
        yield* b.send("go")
        assert.deepStrictEqual(yield* Effect.all([a.next, b.next], { concurrency: 2 }), ["done", "done"])
        const store = yield* storeIn(directory)
        assert.strictEqual(yield* store.size, 200)
        for (let i = 0; i < 100; i++) {
          assert.strictEqual(Option.getOrUndefined(yield* store.get(`a-${i}`)), `a ${i}`)
          assert.strictEqual(Option.getOrUndefined(yield* store.get(`b-${i}`)), `b ${i}`)
        }
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
      }),
    60_000
  )

  it.scopedLive(
    "one process saving a token while another saves the client identifier keeps both, trial after trial",
    () =>
      Effect.gen(function* () {
        const parent = yield* tempDirectory
        const [identity, token] = yield* Effect.all(
          [spawnWriter([parent, "identity", "pause"]), spawnWriter([parent, "token"])],
          { concurrency: 2 }
        )
        for (let trial = 0; trial < 10; trial++) {
          const directory = path.join(parent, `trial-${trial}`)
          // The identifier's write stops between reading the store and replacing it; the token's starts there.
          yield* identity.send(`go ${directory}`)
          assert.strictEqual(yield* identity.next, "in-write")
          yield* token.send(`go ${directory}`)
          // Either the token's write waits for the lock the identifier's write holds, or (without a
          // lock) it is done before the identifier's write goes on, to replace the store it read.
          const first = yield* token.next
          yield* identity.send("continue")
          const [saved, done] = yield* Effect.all(
            [identity.next, first === "waiting" ? token.next : Effect.succeed(first)],
            {
              concurrency: 2
            }
          )
          assert.strictEqual(done, "done")
          const store = yield* storeIn(directory)
          assert.strictEqual(
            Option.getOrUndefined(yield* store.get(ClientIdentity.defaultStoreKey)),
            saved.slice("done ".length),
            `trial ${trial}: the client identifier`
          )
          assert.strictEqual(
            Option.getOrUndefined(yield* store.get(Credentials.defaultStoreKey)),
            "a-token",
            `trial ${trial}: the token`
          )
        }
      }),
    60_000
  )

  it.scopedLive(
    "a writer killed in the middle of a write: its lock is taken over and its temporary file removed",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const store = yield* storeIn(directory)
        yield* store.set("kept", "before")
        const child = yield* spawnWriter([directory, "hang"])
        yield* child.send("go")
        assert.strictEqual(yield* child.next, "in-write")
        const left = yield* listDirectory(directory)
        assert.isTrue(
          left.some((name) => name.endsWith(".tmp")),
          `a temporary file: ${left}`
        )
        child.process.kill("SIGKILL")
        assert.strictEqual(yield* child.exited, "SIGKILL")
        // The dead writer's temporary file holds its token; the next write removes it.
        yield* store.set("after", "the kill")
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
        assert.strictEqual(Option.getOrUndefined(yield* store.get("kept")), "before")
        assert.strictEqual(Option.getOrUndefined(yield* store.get("after")), "the kill")
        assert.strictEqual(Option.getOrUndefined(yield* store.get("token")), undefined)
      }),
    60_000
  )
})
