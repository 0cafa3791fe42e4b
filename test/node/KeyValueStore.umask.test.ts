/**
 * The one test that changes the process's umask (a process-wide setting a worker thread may not change):
 * it runs in a child process of its own (vitest.config.ts, project "forks"), which loads only what it
 * needs; test/node/KeyValueStore.test.ts holds the store's other tests, in the worker threads that have
 * Effect and the library loaded already.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { KeyValueStore } from "effect-plex-auth/node"

const posix = process.platform !== "win32"

const modeOf = (file: string) => Effect.promise(() => fs.stat(file).then((stat) => stat.mode & 0o777))

describe("KeyValueStore.layerFile", () => {
  it.scoped.skipIf(!posix)("the file is mode 0600 and a created directory 0700, whatever the umask", () =>
    Effect.gen(function* () {
      const parent = yield* Effect.acquireRelease(
        Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "plex-kvs-"))),
        (directory) => Effect.promise(() => fs.rm(directory, { recursive: true, force: true }))
      )
      const directory = path.join(parent, "store")
      const previous = process.umask(0o000)
      yield* Effect.addFinalizer(() => Effect.sync(() => process.umask(previous)))
      const store = yield* Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerFile({ directory }))
      yield* store.set("token", "secret")
      assert.strictEqual(yield* modeOf(path.join(directory, "store.json")), 0o600)
      assert.strictEqual(yield* modeOf(directory), 0o700)
      // A file left readable by others (say, restored from a backup) is replaced by a 0600 one on the next write.
      yield* Effect.promise(() => fs.chmod(path.join(directory, "store.json"), 0o644))
      yield* store.set("token", "secret-2")
      assert.strictEqual(yield* modeOf(path.join(directory, "store.json")), 0o600)
    })
  )
})
