/**
 * The Node file store on Deno without the permissions it needs: Deno's `node:os` and `process` throw
 * `NotCapable` (no `code`) for `os.hostname()` without `--allow-sys=hostname` and `process.getuid()`
 * without `--allow-sys=uid`. Simulated here with the same error, as scripts/runtimes.mjs met it on
 * Deno 2.9 (test/runtimes/checks.mjs `store:<dir>` with `--allow-read`/`--allow-write` only).
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { afterAll, afterEach, beforeAll, vi } from "vitest"

const { denied, refuseHostname } = vi.hoisted(() => {
  class NotCapable extends Error {
    override readonly name = "NotCapable"
  }
  return {
    denied: (what: string) =>
      new NotCapable(`Requires sys access to "${what}", run again with the --allow-sys flag`),
    refuseHostname: { on: true }
  }
})

// Deno's os.hostname() without --allow-sys; refused from the moment the store module loads.
vi.mock("node:os", async (importOriginal) => {
  const original = await importOriginal<typeof os>()
  const hostname = () => {
    if (refuseHostname.on) throw denied("hostname")
    return original.hostname()
  }
  return { ...original, default: { ...original, hostname }, hostname }
})

// The modules this file loaded under its node:os mock stay in the worker's registry (isolate: false): dropped, so the
// files after it load their own (else they would read the refused host name).
afterAll(() => {
  vi.resetModules()
})

afterEach(() => {
  vi.restoreAllMocks()
})

const tempDirectory = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "plex-kvs-deno-"))),
  (directory) => Effect.promise(() => fs.rm(directory, { recursive: true, force: true }))
)

// Imported in the tests, afresh (vi.resetModules): before the fix, loading the module threw (its host tag was read
// at load). Afresh, because test files share their worker's modules (isolate: false): a store module another file
// loaded (and wrote with, its host tag read) would otherwise be reused, with the real node:os.
const storeIn = (directory: string) =>
  Effect.flatMap(
    Effect.promise(() => {
      vi.resetModules()
      return import("effect-plex-auth/node")
    }),
    ({ KeyValueStore }) => Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerFile({ directory }))
  )

describe("KeyValueStore.layerFile on Deno without --allow-sys", () => {
  // As another test file in this worker may have done: the store module loaded, and a change made with the
  // host name allowed (its host tag read and kept). The tests below must not see that module.
  beforeAll(async () => {
    refuseHostname.on = false
    const directory = await fs.mkdtemp(path.join(os.tmpdir(), "plex-kvs-deno-warm-"))
    try {
      await Effect.runPromise(
        Effect.scoped(Effect.flatMap(storeIn(directory), (store) => store.set("warm", "up")))
      )
    } finally {
      refuseHostname.on = true
      await fs.rm(directory, { recursive: true, force: true })
    }
  })

  it.scoped(
    "loads and reads without the host name; a change fails with PermissionDenied, writing nothing",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
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
        assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(directory)), [])
      })
  )

  it.scoped("process.getuid() refused: every operation fails with PermissionDenied, not a defect", () =>
    Effect.gen(function* () {
      refuseHostname.on = false
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
