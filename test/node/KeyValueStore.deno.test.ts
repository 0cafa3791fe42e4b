/**
 * The Node file store on Deno without the permissions it needs: Deno's `node:os` and `process` throw
 * `NotCapable` (no `code`) for `os.hostname()` without `--allow-sys=hostname` and `process.getuid()`
 * without `--allow-sys=uid`. Simulated here with the same error, as scripts/runtimes.mjs met it on
 * Deno 2.9 (test/runtimes/checks.mjs `store:<dir>` with `--allow-read`/`--allow-write` only).
 */
import * as fs from "node:fs/promises"
import { syncBuiltinESMExports } from "node:module"
import * as os from "node:os"
import nodeOs from "node:os"
import * as path from "node:path"
import { assert, describe } from "@effect/vitest"
import { it } from "../support/it.js"
import { Effect, Exit, Option } from "effect"
import { KeyValueStore } from "effect-plex-auth/node"
import { afterEach, vi } from "vitest"

class NotCapable extends Error {
  override readonly name = "NotCapable"
}
const denied = (what: string) =>
  new NotCapable(`Requires sys access to "${what}", run again with the --allow-sys flag`)

afterEach(() => {
  vi.restoreAllMocks()
})

/**
 * Deno's os.hostname() without --allow-sys, for the scope: node:os's function replaced, and every module's
 * `import * as os from "node:os"` synced to it (syncBuiltinESMExports), then put back. No module mock: the
 * worker's files share their modules (isolate: false), and the store reads the host name at each change.
 */
const hostnameRefused = Effect.acquireRelease(
  Effect.sync(() => {
    const original = nodeOs.hostname
    nodeOs.hostname = () => {
      throw denied("hostname")
    }
    syncBuiltinESMExports()
    return original
  }),
  (original) =>
    Effect.sync(() => {
      nodeOs.hostname = original
      syncBuiltinESMExports()
    })
)

const tempDirectory = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "plex-kvs-deno-"))),
  (directory) => Effect.promise(() => fs.rm(directory, { recursive: true, force: true }))
)

const storeIn = (directory: string) =>
  Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerFile({ directory }))

describe("KeyValueStore.layerFile on Deno without --allow-sys", () => {
  it.scoped("reads without the host name; a change fails with PermissionDenied, writing nothing", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      // A change made first with the host name allowed (as another file in this worker may have): nothing kept.
      yield* Effect.flatMap(storeIn(directory), (store) =>
        Effect.zipRight(store.set("a", "zero"), store.remove("a"))
      )
      yield* hostnameRefused
      const store = yield* storeIn(directory)
      assert.isTrue(Option.isNone(yield* store.get("a")))
      const exit = yield* Effect.exit(store.set("a", "one"))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.strictEqual(error?._tag, "SystemError")
        assert.strictEqual(error?._tag === "SystemError" ? error.reason : undefined, "PermissionDenied")
        assert.include(String(error?.message), "--allow-sys")
      }
      assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(directory)), ["store.json"])
      assert.deepStrictEqual(
        JSON.parse(yield* Effect.promise(() => fs.readFile(path.join(directory, "store.json"), "utf8"))),
        {}
      )
    })
  )

  it.scoped("process.getuid() refused: every operation fails with PermissionDenied, not a defect", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      yield* Effect.promise(() => fs.writeFile(path.join(directory, "store.json"), "{}", { mode: 0o600 }))
      vi.spyOn(process as Required<Pick<NodeJS.Process, "getuid">>, "getuid").mockImplementation(() => {
        throw denied("uid")
      })
      const exit = yield* Effect.exit(storeIn(directory))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.strictEqual(error?._tag === "SystemError" ? error.reason : undefined, "PermissionDenied")
        assert.include(String(error?.message), "--allow-sys")
      }
    })
  )
})
