/**
 * The Node file store shared by several processes, written once for both
 * editions: real child processes (fixtures/store-child.ts, bundled with
 * esbuild and run with plain Node: no tsx, no Effect, so each starts in
 * milliseconds) write the same store while the edition's own
 * `KeyValueStore.layerFile` (the `store` an edition's runner passes) reads
 * and writes it in the test's process. Every wait is for an event (a
 * message, an exit), never for a time.
 */
import assert from "node:assert/strict"
import { type ChildProcess, fork } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

/** The edition's file store in `directory`, as promises. */
export interface EditionStore {
  readonly get: (key: string) => Promise<string | undefined>
  readonly size: () => Promise<number>
  readonly set: (key: string, value: string) => Promise<void>
}

interface Child {
  readonly process: ChildProcess
  /** The next message of the child (they arrive in order; none is lost). */
  readonly next: () => Promise<string>
  readonly send: (message: unknown) => void
  readonly exited: Promise<string>
}

export const processCases = (
  test: (name: string, f: () => Promise<void>) => void,
  hooks: {
    readonly beforeAll: (f: () => Promise<void>) => void
    readonly afterAll: (f: () => Promise<void>) => void
  },
  storeIn: (directory: string) => Promise<EditionStore>,
  /** The edition's store keys of the client identifier and the token (`defaultStoreKey`). */
  keys: { readonly identifier: string; readonly token: string }
): void => {
  const { identifier: identifierKey, token: tokenKey } = keys
  let work: string
  let child: string
  const children: Array<ChildProcess> = []

  hooks.beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), "plex-kvs-proc-"))
    child = path.join(work, "store-child.mjs")
    await build({
      entryPoints: [fileURLToPath(new URL("./fixtures/store-child.ts", import.meta.url))],
      outfile: child,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      logLevel: "warning"
    })
  })

  hooks.afterAll(async () => {
    for (const process of children)
      if (process.exitCode === null && process.signalCode === null) process.kill()
    await fs.rm(work, { recursive: true, force: true })
  })

  /** A child process running the store child; killed after the tests. Waits for its "ready". */
  const spawn = async (): Promise<Child> => {
    const process = fork(child, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
    children.push(process)
    const queue: Array<string> = []
    const waiting: Array<(message: string) => void> = []
    process.on("message", (message) => {
      const text = String(message)
      const resume = waiting.shift()
      if (resume) resume(text)
      else queue.push(text)
    })
    const result: Child = {
      process,
      next: () =>
        new Promise((resolve) => {
          const queued = queue.shift()
          if (queued !== undefined) resolve(queued)
          else waiting.push(resolve)
        }),
      send: (message) => void process.send(typeof message === "string" ? message : JSON.stringify(message)),
      exited: new Promise((resolve) =>
        process.once("exit", (code, signal) => resolve(signal ?? String(code)))
      )
    }
    assert.equal(await result.next(), "ready")
    return result
  }

  const directoryFor = async (name: string) => path.join(work, name)

  test("two processes writing 40 keys each at once keep all 80", async () => {
    const directory = await directoryFor("keys")
    const [a, b] = await Promise.all([spawn(), spawn()])
    a.send({ keys: { directory, prefix: "a", count: 40 } })
    b.send({ keys: { directory, prefix: "b", count: 40 } })
    assert.deepEqual(await Promise.all([a.next(), b.next()]), ["done", "done"])
    const store = await storeIn(directory)
    assert.equal(await store.size(), 80)
    for (let i = 0; i < 40; i++) {
      assert.equal(await store.get(`a-${i}`), `a ${i}`)
      assert.equal(await store.get(`b-${i}`), `b ${i}`)
    }
    assert.deepEqual(await fs.readdir(directory), ["store.json"])
  })

  test("one process saving the client identifier while another saves the token keeps both, trial after trial", async () => {
    const [identity, token] = await Promise.all([spawn(), spawn()])
    for (let trial = 0; trial < 5; trial++) {
      const directory = await directoryFor(`trial-${trial}`)
      // The identifier's write stops between reading the store and replacing it; the token's starts there.
      identity.send({ set: { directory, key: identifierKey, value: `id-${trial}`, pause: true } })
      assert.equal(await identity.next(), "in-write")
      token.send({ set: { directory, key: tokenKey, value: `token-${trial}` } })
      // Either the token's write waits for the lock the identifier's write holds, or (without a lock) it
      // is done before the identifier's write goes on, to replace the store it read.
      const first = await token.next()
      identity.send("continue")
      const [saved, done] = await Promise.all([
        identity.next(),
        first === "waiting" ? token.next() : Promise.resolve(first)
      ])
      assert.deepEqual([saved, done], ["done", "done"], `trial ${trial}`)
      const store = await storeIn(directory)
      assert.equal(await store.get(identifierKey), `id-${trial}`, `trial ${trial}: the client identifier`)
      assert.equal(await store.get(tokenKey), `token-${trial}`, `trial ${trial}: the token`)
    }
  })

  test("a writer killed in the middle of a write: its lock is taken over and its temporary file removed", async () => {
    const directory = await directoryFor("killed")
    const store = await storeIn(directory)
    await store.set("kept", "before")
    const writer = await spawn()
    writer.send({ hang: { directory, key: "token", value: "killed-writer-token" } })
    assert.equal(await writer.next(), "in-write")
    const left = await fs.readdir(directory)
    assert.ok(
      left.some((name) => name.endsWith(".tmp")),
      `a temporary file: ${left}`
    )
    assert.ok(left.includes("store.json.lock"), `the lock: ${left}`)
    writer.process.kill("SIGKILL")
    assert.equal(await writer.exited, "SIGKILL")
    // The dead writer's lock is taken over at once; its temporary file holds its token, and goes.
    await store.set("after", "the kill")
    assert.deepEqual(await fs.readdir(directory), ["store.json"])
    assert.equal(await store.get("kept"), "before")
    assert.equal(await store.get("after"), "the kill")
    assert.equal(await store.get("token"), undefined)
  })
}
