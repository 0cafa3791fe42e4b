import { constants as bufferConstants } from "node:buffer"
import { execFile, execFileSync } from "node:child_process"
import * as fs from "node:fs/promises"
import fsPromises from "node:fs/promises"
import { syncBuiltinESMExports } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { assert, describe } from "@effect/vitest"
import { it } from "../support/it.js"
import { build } from "esbuild"
import { Cause, ConfigProvider, Effect, Exit, Fiber, Layer, Option, Redacted, TestClock } from "effect"
import { ClientIdentity, Credentials, PinLogin, PlexAuth } from "effect-plex-auth"
import { Error as PlatformError, KeyValueStore as PlatformKeyValueStore } from "@effect/platform"
import { KeyValueStore } from "effect-plex-auth/node"
import { FakePlex } from "effect-plex-auth/testing"
import * as Store from "../../src/core/node/store.js"
import { withCapturedLogs } from "../support/observe.js"

const posix = process.platform !== "win32"

/** The longest string V8 makes, in UTF-16 code units. */
const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH

/**
 * Compares two Options by what they hold: chai's `assert.deepStrictEqual`
 * (as `@effect/vitest` 0.30 exports it) passes `Option.none()` against any
 * `Some`, so it cannot check an Option.
 */
const assertOption = <A>(actual: Option.Option<A>, expected: Option.Option<A>): void => {
  assert.strictEqual(Option.isSome(actual), Option.isSome(expected))
  assert.deepStrictEqual(Option.getOrUndefined(actual), Option.getOrUndefined(expected))
}

/** A fresh directory, removed with everything in it when the scope closes. */
const tempDirectory = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "plex-kvs-"))),
  (directory) => Effect.promise(() => fs.rm(directory, { recursive: true, force: true }))
)

const storeIn = (directory: string) =>
  Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerFile({ directory }))

const readFile = (file: string) => Effect.promise(() => fs.readFile(file, "utf8"))
const listDirectory = (directory: string) => Effect.promise(() => fs.readdir(directory))
const modeOf = (file: string) => Effect.promise(() => fs.stat(file).then((stat) => stat.mode & 0o777))

describe("core/node/store firstReads (the CLI's one reading a command)", () => {
  it("answers each key's first read from the reading, not a second one nor one of a key changed; peek takes nothing", () => {
    const reading = Store.firstReads(
      new Map<string, Store.Stored>([
        ["a", "1"],
        ["b", { base64: "Mg==" }]
      ])
    )
    assert.strictEqual(reading.peek("a"), "1")
    assert.deepStrictEqual(reading.take("a"), { value: "1" })
    assert.isUndefined(reading.take("a"))
    assert.strictEqual(reading.peek("a"), "1")
    assert.deepStrictEqual(reading.take("missing"), { value: undefined })
    assert.isUndefined(reading.take("missing"))
    reading.forget("b")
    assert.isUndefined(reading.take("b"))
    const cleared = Store.firstReads(new Map([["a", "1"]]))
    cleared.forget()
    assert.isUndefined(cleared.take("a"))
  })
})

describe("core/node/store swap (the CLI's login saving its token)", () => {
  it.scoped(
    "sets the key and answers what it replaced; swaps at once each replace another value, none lost",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const store = Store.open(directory)
        assert.isUndefined(yield* Effect.promise(() => store.swap("token", "t0")))
        assert.strictEqual(yield* Effect.promise(() => store.swap("token", "t1")), "t0")
        // Eight at once (one process: the lock file alone orders them): the values replaced are t1 and seven of the
        // eight new ones, each once, and the one left is the eighth.
        const values = Array.from({ length: 8 }, (_, i) => `n${i}`)
        const replaced = yield* Effect.promise(() =>
          Promise.all(values.map((value) => store.swap("token", value)))
        )
        const left = yield* Effect.promise(() => store.get("token"))
        assert.sameMembers([...replaced, left], ["t1", ...values])
        assert.lengthOf(new Set(replaced), 8)
      })
  )
})

/**
 * `fs.rename` onto `file` refused with `refusals.code` while `refusals.left` is above 0 (each refusal counting one
 * down), as Windows refuses it while another program holds the file open; every other rename as it is. Every
 * module's import synced to it (syncBuiltinESMExports, as test/bin/login.test.ts counts renames), put back after.
 */
const refusingRename = (file: string, refusals: { left: number; code: string }) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const original = fsPromises.rename
      fsPromises.rename = (from, to) => {
        if (String(to) !== file || refusals.left <= 0) return original(from, to)
        refusals.left--
        const error = Object.assign(new Error(`${refusals.code}: operation not permitted, rename`), {
          code: refusals.code,
          syscall: "rename"
        })
        return Promise.reject(error)
      }
      syncBuiltinESMExports()
      return original
    }),
    (original) =>
      Effect.sync(() => {
        fsPromises.rename = original
        syncBuiltinESMExports()
      })
  )

/**
 * `fs.link` onto `lockFile` refused with `code`, as a file system without hard links refuses it (Windows answers
 * `EISDIR` on exFAT and FAT32: nodejs/node#65817); every other link as it is. Every module's import synced to it
 * (syncBuiltinESMExports, as {@link refusingRename}), put back after.
 */
const refusingLink = (lockFile: string, code: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const original = fsPromises.link
      fsPromises.link = (from, to) =>
        String(to) !== lockFile
          ? original(from, to)
          : Promise.reject(Object.assign(new Error(`${code}: link refused`), { code, syscall: "link" }))
      syncBuiltinESMExports()
      return original
    }),
    (original) =>
      Effect.sync(() => {
        fsPromises.link = original
        syncBuiltinESMExports()
      })
  )

describe("core/node/store: where hard links are not supported, the lock file is created exclusively", () => {
  // EISDIR: Windows on exFAT and FAT32 (a USB drive, an SD card as --config-dir), where every change failed with
  // BadResource ("EISDIR: illegal operation on a directory, link"). EPERM, ENOTSUP: the codes known before.
  for (const code of ["EISDIR", "EPERM", "ENOTSUP"]) {
    it.scoped(`link refused with ${code}: a change is made, waits for a lock held, and leaves nothing`, () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const lockFile = path.join(directory, "store.json.lock")
        const store = Store.open(directory)
        yield* refusingLink(lockFile, code)
        yield* Effect.promise(() => store.set("token", "t1"))
        assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t1")
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
        // The exclusive creation still excludes: a lock held is waited for (released here at the first pause).
        yield* Effect.promise(() =>
          fs.writeFile(lockFile, JSON.stringify({ pid: process.pid, host: "another-host", nonce: "held" }))
        )
        const pauses: Array<number> = []
        const sleep = async (millis: number) => {
          pauses.push(millis)
          await fs.rm(lockFile)
        }
        yield* Effect.promise(() => store.set("token", "t2", { sleep }))
        assert.deepStrictEqual(pauses, [1])
        assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t2")
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
      })
    )
  }

  it.scoped(
    "a live lock moved aside by a takeover it raced is put back, created exclusively: the change waits for it",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const lockFile = path.join(directory, "store.json.lock")
        const store = Store.open(directory)
        yield* refusingLink(lockFile, "EISDIR")
        // A dead writer's lock (this host; a pid above Linux's largest, so no process has it).
        yield* Effect.promise(() =>
          fs.writeFile(lockFile, JSON.stringify({ pid: 4_194_305, host: Store.hostTag(), nonce: "dead" }))
        )
        // Between the store's reading of that lock and its moving it aside, another process takes it over: the
        // lock moved aside is that live one (fs.rename of the lock, patched for once and synced as above).
        const live = JSON.stringify({ pid: process.pid, host: "another-host", nonce: "live" })
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            const original = fsPromises.rename
            let raced = false
            fsPromises.rename = async (from, to) => {
              if (String(from) === lockFile && !raced) {
                raced = true
                await original(lockFile, `${lockFile}.dead`)
                await fs.writeFile(lockFile, live)
              }
              return original(from, to)
            }
            syncBuiltinESMExports()
            return original
          }),
          (original) =>
            Effect.sync(() => {
              fsPromises.rename = original
              syncBuiltinESMExports()
            })
        )
        // At its first pause the change finds the live lock back in place; its holder then releases it.
        const found: Array<string | undefined> = []
        const sleep = async () => {
          found.push(await fs.readFile(lockFile, "utf8").catch(() => undefined))
          await fs.rm(lockFile)
        }
        yield* Effect.promise(() => store.set("token", "t1", { sleep }))
        assert.deepStrictEqual(found, [live])
        assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t1")
        yield* Effect.promise(() => fs.rm(`${lockFile}.dead`))
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
      })
  )

  it.scoped(
    "a live lock moved aside before its taker wrote its record is put back whole, not as an empty copy that no one releases",
    () =>
      // Without hard links a lock is created exclusively, then its record written through the open file. Moved aside
      // in between, the lock was empty: copied back so, it named no holder, its taker's record went to the file moved
      // aside (then removed), the taker's release left it (not its nonce), and every change after waited for "an
      // unknown writer", then failed Busy, until the lock was deleted by hand.
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const lockFile = path.join(directory, "store.json.lock")
        const store = Store.open(directory)
        yield* refusingLink(lockFile, "EISDIR")
        yield* Effect.promise(() =>
          fs.writeFile(lockFile, JSON.stringify({ pid: 4_194_305, host: Store.hostTag(), nonce: "dead" }))
        )
        // Between the store's reading of the dead lock and its moving it aside, another process takes it over: it
        // creates the lock exclusively (its handle kept), and has not written its record yet.
        const taker: { handle?: fs.FileHandle } = {}
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            const original = fsPromises.rename
            fsPromises.rename = async (from, to) => {
              if (String(from) === lockFile && taker.handle === undefined) {
                await original(lockFile, `${lockFile}.dead`)
                taker.handle = await fs.open(lockFile, "wx", 0o600)
              }
              return original(from, to)
            }
            syncBuiltinESMExports()
            return original
          }),
          (original) =>
            Effect.gen(function* () {
              fsPromises.rename = original
              syncBuiltinESMExports()
              yield* Effect.promise(() => taker.handle?.close() ?? Promise.resolve())
            })
        )
        // At the store's first pause the taker writes its record through its handle, changes the store, and releases
        // the lock as the store does: removed if it holds its record.
        const record = JSON.stringify({ pid: process.pid, host: "another-host", nonce: "live" })
        const released: Array<boolean> = []
        const sleep = async () => {
          if (taker.handle === undefined || released.length > 0) return
          await taker.handle.writeFile(record)
          const held = (await fs.readFile(lockFile, "utf8").catch(() => undefined)) === record
          if (held) await fs.rm(lockFile)
          released.push(held)
        }
        yield* Effect.promise(() => store.set("token", "t1", { sleep }))
        assert.deepStrictEqual(released, [true])
        assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t1")
        yield* Effect.promise(() => fs.rm(`${lockFile}.dead`))
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
      })
  )
})

describe("core/node/store: a lock naming this very process", () => {
  it.scoped(
    "not released in time, the change fails with Busy saying the lock names this process, not 'another program'",
    () =>
      // A process before it with the same id left it: killed while it changed the store, then a restarted
      // container's process 1 (the same host name, the same id), or an id used again after a reboot. The message
      // said "another program (process <this one>) ... if none is running", sending the user after this process.
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const lockFile = path.join(directory, "store.json.lock")
        const store = Store.open(directory)
        yield* Effect.promise(() =>
          fs.writeFile(lockFile, JSON.stringify({ pid: process.pid, host: Store.hostTag(), nonce: "left" }))
        )
        // The pauses taken at once: the wait is counted, not slept.
        const waits: Array<string> = []
        const failed = yield* Effect.promise(() =>
          store
            .set("token", "t1", {
              sleep: () => Promise.resolve(),
              onWait: (_method, holder) => waits.push(holder)
            })
            .then(
              () => undefined,
              (error: unknown) => error
            )
        )
        assert.instanceOf(failed, Store.StoreError)
        const error = failed as Store.StoreError
        assert.strictEqual(error.reason, "Busy")
        assert.deepStrictEqual(waits, [`process ${process.pid}`])
        assert.include(error.message, `the store's lock names this process (id ${process.pid})`)
        assert.include(error.message, "a process with the same id before it")
        assert.include(error.message, `delete ${lockFile}`)
        assert.notInclude(error.message, "another program")
        // Left alone, the store unchanged.
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json.lock"])
      })
  )
})

describe("core/node/store: a lock moved aside by a raced takeover while its holder changed the store", () => {
  /**
   * While the change writes (its rename onto the store), a takeover of a dead lock that raced this change's taking
   * of it moves this change's lock aside (to `aside`); it will find it live and put it back. fs.rename patched for
   * that `moves.left` times, synced as {@link refusingRename} does.
   */
  const movingLockAside = (directory: string, aside: string, moves = { left: 1 }) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        const original = fsPromises.rename
        fsPromises.rename = async (from, to) => {
          if (String(to) === path.join(directory, "store.json") && moves.left > 0) {
            moves.left--
            await original(path.join(directory, "store.json.lock"), aside)
          }
          return original(from, to)
        }
        syncBuiltinESMExports()
        return original
      }),
      (original) =>
        Effect.sync(() => {
          fsPromises.rename = original
          syncBuiltinESMExports()
        })
    )

  it.scoped(
    "put back after the holder's release found it gone, it is removed by that release, not left naming it",
    () =>
      // Put back after the release, it named a live process that no longer held it: every other process waited 10 s
      // for it, then failed Busy, and so did this one ("the store's lock names this process").
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const lockFile = path.join(directory, "store.json.lock")
        const aside = `${lockFile}.aside`
        const store = Store.open(directory)
        yield* movingLockAside(directory, aside)
        // The takeover puts the lock back at the change's first pause, or once the change is over if it took none.
        const pauses: Array<number> = []
        const sleep = async (millis: number) => {
          pauses.push(millis)
          if (pauses.length === 1) await fs.rename(aside, lockFile)
        }
        yield* Effect.promise(() => store.set("token", "t1", { sleep }))
        if (pauses.length === 0) yield* Effect.promise(() => fs.rename(aside, lockFile))
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
        assert.deepStrictEqual(pauses, [1])
        // The next change takes the lock at once.
        yield* Effect.promise(() =>
          store.set("token", "t2", { sleep: () => Promise.reject(new Error("waited for the lock")) })
        )
        assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t2")
      })
  )

  it.scoped(
    "gone for good, it is looked for in pauses of 100 ms in all; back with another's record, it is left",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const lockFile = path.join(directory, "store.json.lock")
        const aside = `${lockFile}.aside`
        const store = Store.open(directory)
        yield* movingLockAside(directory, aside, { left: 2 })
        const pauses: Array<number> = []
        yield* Effect.promise(() =>
          store.set("token", "t1", {
            sleep: async (millis) => {
              pauses.push(millis)
            }
          })
        )
        assert.deepStrictEqual(pauses, [1, 2, 4, 8, 16, 32, 37])
        assert.strictEqual(Store.releaseRecheckMillis, 100)
        yield* Effect.promise(() => fs.rm(aside))
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
        // Another process takes the lock while this change's lock is gone: its lock is left as it is, at once.
        const other = JSON.stringify({ pid: process.pid, host: "another-host", nonce: "other" })
        pauses.length = 0
        yield* Effect.promise(() =>
          store.set("token", "t2", {
            sleep: async (millis) => {
              pauses.push(millis)
              await fs.writeFile(lockFile, other)
            }
          })
        )
        assert.deepStrictEqual(pauses, [1])
        assert.strictEqual(yield* readFile(lockFile), other)
      })
  )

  it.scoped(
    "put back after its release stopped looking, it is taken over by this process's next change, not waited for",
    () =>
      // Put back later than the release looks for it, it named this live process, which no longer held it: this
      // process's next change waited 10 s for it, then failed Busy ("the store's lock names this process").
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const lockFile = path.join(directory, "store.json.lock")
        const aside = `${lockFile}.aside`
        const store = Store.open(directory)
        yield* movingLockAside(directory, aside)
        const pauses: Array<number> = []
        yield* Effect.promise(() =>
          store.set("token", "t1", {
            sleep: async (millis) => {
              pauses.push(millis)
            }
          })
        )
        assert.deepStrictEqual(pauses, [1, 2, 4, 8, 16, 32, 37])
        yield* Effect.promise(() => fs.rename(aside, lockFile))
        yield* Effect.promise(() =>
          store.set("token", "t2", { sleep: () => Promise.reject(new Error("waited for the lock")) })
        )
        assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t2")
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
      })
  )
})

describe("core/node/store: a lock taken from its holder by a raced takeover and another writer", () => {
  it.scoped("the holder makes its change again under the lock taken anew, not written over the other's", () =>
    // A takeover of a dead lock that raced this change's taking of it moved this change's lock aside; another
    // process took the free lock and changed the store; the takeover's put-back failed (the lock was there again)
    // and was dropped. This change then replaced the file with what it had read before: the other's change lost.
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const file = path.join(directory, "store.json")
      const lockFile = path.join(directory, "store.json.lock")
      const store = Store.open(directory)
      yield* Effect.promise(() => store.set("kept", "1"))
      const other = JSON.stringify({ pid: process.pid, host: "another-host", nonce: "other" })
      // As the change opens its temporary file (it has read the store): the lock moved aside, the other process's
      // lock taken and its change written. fs.open patched for that once, synced as refusingRename does.
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          const original = fsPromises.open
          let raced = false
          fsPromises.open = (async (name: string, ...rest: Array<never>) => {
            if (!raced && path.basename(String(name)).startsWith(".store.json.")) {
              raced = true
              await fsPromises.rename(lockFile, `${lockFile}.aside`)
              await fs.writeFile(lockFile, other)
              await fs.writeFile(file, JSON.stringify({ kept: "1", other: "2" }))
            }
            return original(name, ...rest)
          }) as typeof fsPromises.open
          syncBuiltinESMExports()
          return original
        }),
        (original) =>
          Effect.sync(() => {
            fsPromises.open = original
            syncBuiltinESMExports()
          })
      )
      // The other process releases its lock at the change's first pause.
      const pauses: Array<number> = []
      const sleep = async (millis: number) => {
        pauses.push(millis)
        await fs.rm(lockFile, { force: true })
      }
      yield* Effect.promise(() => store.set("token", "t1", { sleep }))
      assert.deepStrictEqual(JSON.parse(yield* readFile(file)), { kept: "1", other: "2", token: "t1" })
      assert.deepStrictEqual(pauses, [1])
      yield* Effect.promise(() => fs.rm(`${lockFile}.aside`))
      assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
    })
  )

  it.scoped(
    "taken from it at each of 3 tries, the change fails Busy, the file as the other writer left it",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const file = path.join(directory, "store.json")
        const lockFile = path.join(directory, "store.json.lock")
        const store = Store.open(directory)
        yield* Effect.promise(() => store.set("kept", "1"))
        const other = JSON.stringify({ pid: process.pid, host: "another-host", nonce: "other" })
        const races = { count: 0 }
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            const original = fsPromises.open
            fsPromises.open = (async (name: string, ...rest: Array<never>) => {
              if (path.basename(String(name)).startsWith(".store.json.")) {
                races.count++
                await fs.rm(lockFile)
                await fs.writeFile(lockFile, other)
              }
              return original(name, ...rest)
            }) as typeof fsPromises.open
            syncBuiltinESMExports()
            return original
          }),
          (original) =>
            Effect.sync(() => {
              fsPromises.open = original
              syncBuiltinESMExports()
            })
        )
        const failed = yield* Effect.promise(() =>
          store.set("token", "t1", { sleep: () => fs.rm(lockFile, { force: true }) }).then(
            () => undefined,
            (error: unknown) => error
          )
        )
        assert.instanceOf(failed, Store.StoreError)
        assert.strictEqual((failed as Store.StoreError).reason, "Busy")
        assert.include((failed as Store.StoreError).message, "taken from this change 3 times")
        assert.strictEqual(races.count, 3)
        assert.deepStrictEqual(JSON.parse(yield* readFile(file)), { kept: "1" })
        // The other writer's lock is left to it; no temporary file is left.
        assert.deepStrictEqual([...(yield* listDirectory(directory))].sort(), [
          "store.json",
          "store.json.lock"
        ])
      })
  )

  it.scoped("a lock it cannot read as it is about to write tells nothing: the change writes, once", () =>
    // Windows may refuse to open the lock a moment while another program (an antivirus) has it open: as before the
    // change looked, it writes, rather than make its change again for nothing.
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const lockFile = path.join(directory, "store.json.lock")
      const store = Store.open(directory)
      const opens = { temporary: 0, refused: 0 }
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          const original = fsPromises.open
          fsPromises.open = (async (name: string, ...rest: Array<never>) => {
            if (path.basename(String(name)).startsWith(".store.json.")) opens.temporary++
            else if (String(name) === lockFile && opens.temporary === 1 && opens.refused === 0) {
              opens.refused++
              throw Object.assign(new Error("EBUSY: resource busy or locked, open"), { code: "EBUSY" })
            }
            return original(name, ...rest)
          }) as typeof fsPromises.open
          syncBuiltinESMExports()
          return original
        }),
        (original) =>
          Effect.sync(() => {
            fsPromises.open = original
            syncBuiltinESMExports()
          })
      )
      yield* Effect.promise(() =>
        store.set("token", "t1", { sleep: () => Promise.reject(new Error("paused")) })
      )
      assert.deepStrictEqual(opens, { temporary: 1, refused: 1 })
      assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t1")
      assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
    })
  )

  it.scoped(
    "a lock its release cannot read a moment (Windows: EBUSY) is read again, as its removal is, not left naming it",
    () =>
      // Left, the lock named this live process, which no longer held it: every other process waited 10 s for it,
      // then failed Busy, and so did this one's next change ("the store's lock names this process").
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const lockFile = path.join(directory, "store.json.lock")
        const store = Store.open(directory)
        // The lock's first open is the look before the rename, its second the release's: refused once.
        const opens = { lock: 0, refused: 0 }
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            const original = fsPromises.open
            fsPromises.open = (async (name: string, ...rest: Array<never>) => {
              if (String(name) === lockFile && ++opens.lock === 2) {
                opens.refused++
                throw Object.assign(new Error("EBUSY: resource busy or locked, open"), { code: "EBUSY" })
              }
              return original(name, ...rest)
            }) as typeof fsPromises.open
            syncBuiltinESMExports()
            return original
          }),
          (original) =>
            Effect.sync(() => {
              fsPromises.open = original
              syncBuiltinESMExports()
            })
        )
        const pauses: Array<number> = []
        yield* Effect.promise(() =>
          store.set("token", "t1", {
            sleep: async (millis) => {
              pauses.push(millis)
            }
          })
        )
        assert.deepStrictEqual(opens, { lock: 3, refused: 1 })
        assert.deepStrictEqual(pauses, [10])
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
        // The next change takes the lock at once.
        yield* Effect.promise(() =>
          store.set("token", "t2", { sleep: () => Promise.reject(new Error("waited for the lock")) })
        )
        assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t2")
      })
  )

  it.scoped(
    "its lock put back by the takeover after another writer's whole change: the change is made again, not written over it",
    () =>
      // The takeover moved this change's lock aside; another process took the free lock, changed the store and
      // released it; then the takeover put this change's lock back. The lock was this change's again as it looked
      // before its rename, and it replaced the file with what it had read before: the other's change lost. The file
      // the change read is no longer there: it is made again.
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const file = path.join(directory, "store.json")
        const lockFile = path.join(directory, "store.json.lock")
        const store = Store.open(directory)
        yield* Effect.promise(() => store.set("kept", "1"))
        const other = JSON.stringify({ pid: process.pid, host: "another-host", nonce: "other" })
        const races = { count: 0 }
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            const original = fsPromises.open
            fsPromises.open = (async (name: string, ...rest: Array<never>) => {
              if (races.count === 0 && path.basename(String(name)).startsWith(".store.json.")) {
                races.count++
                await fsPromises.rename(lockFile, `${lockFile}.aside`)
                await fs.writeFile(lockFile, other)
                await fs.writeFile(`${file}.other`, JSON.stringify({ kept: "1", other: "2" }), {
                  mode: 0o600
                })
                await fsPromises.rename(`${file}.other`, file)
                await fs.rm(lockFile)
                await fsPromises.rename(`${lockFile}.aside`, lockFile)
              }
              return original(name, ...rest)
            }) as typeof fsPromises.open
            syncBuiltinESMExports()
            return original
          }),
          (original) =>
            Effect.sync(() => {
              fsPromises.open = original
              syncBuiltinESMExports()
            })
        )
        yield* Effect.promise(() =>
          store.set("token", "t1", { sleep: () => Promise.reject(new Error("paused")) })
        )
        assert.strictEqual(races.count, 1)
        assert.deepStrictEqual(JSON.parse(yield* readFile(file)), { kept: "1", other: "2", token: "t1" })
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
      })
  )

  it.scoped("made again, a modify applies its function again, to the value the other writer left", () =>
    // What the module docs and docs/tokens.md say: the change reads the file again and applies the change to that,
    // so modify's function is called once per try.
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const file = path.join(directory, "store.json")
      const lockFile = path.join(directory, "store.json.lock")
      const store = Store.open(directory)
      yield* Effect.promise(() => store.set("count", "1"))
      const other = JSON.stringify({ pid: process.pid, host: "another-host", nonce: "other" })
      const races = { count: 0 }
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          const original = fsPromises.open
          fsPromises.open = (async (name: string, ...rest: Array<never>) => {
            if (races.count === 0 && path.basename(String(name)).startsWith(".store.json.")) {
              races.count++
              await fsPromises.rename(lockFile, `${lockFile}.aside`)
              await fs.writeFile(lockFile, other)
              await fs.writeFile(`${file}.other`, JSON.stringify({ count: "5" }), { mode: 0o600 })
              await fsPromises.rename(`${file}.other`, file)
              await fs.rm(lockFile)
              await fsPromises.rename(`${lockFile}.aside`, lockFile)
            }
            return original(name, ...rest)
          }) as typeof fsPromises.open
          syncBuiltinESMExports()
          return original
        }),
        (original) =>
          Effect.sync(() => {
            fsPromises.open = original
            syncBuiltinESMExports()
          })
      )
      const calls: Array<string> = []
      const result = yield* Effect.promise(() =>
        store.modify("count", (value) => {
          calls.push(value)
          return `${Number(value) + 1}`
        })
      )
      assert.deepStrictEqual(calls, ["1", "5"])
      assert.strictEqual(result, "6")
      assert.deepStrictEqual(JSON.parse(yield* readFile(file)), { count: "6" })
      assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
    })
  )
})

describe("core/node/store: a rename Windows refuses for a moment is tried again", () => {
  it("EBUSY anywhere, EPERM and EACCES on Windows; no other failure, and not EPERM or EACCES on POSIX", () => {
    for (const platform of ["win32", "linux", "darwin"] as const) {
      assert.isTrue(Store.renameRetryable("EBUSY", platform), platform)
      assert.strictEqual(Store.renameRetryable("EPERM", platform), platform === "win32", platform)
      assert.strictEqual(Store.renameRetryable("EACCES", platform), platform === "win32", platform)
      for (const code of ["ENOENT", "EXDEV", "ENOSPC", "EISDIR", undefined]) {
        assert.isFalse(Store.renameRetryable(code, platform), `${code} ${platform}`)
      }
    }
  })

  it.scoped(
    "refused twice, the change is made after two short pauses; refused for good, it fails after about a second, the store as it was and no temporary file left",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const file = path.join(directory, "store.json")
        const store = Store.open(directory)
        const retried = process.platform === "win32" ? "EPERM" : "EBUSY"
        const refusals = { left: 0, code: retried }
        yield* refusingRename(file, refusals)
        // The pauses the store asks for, taken at once (the Effect bindings take them on their Clock).
        const pauses: Array<number> = []
        const sleep = (millis: number) => {
          pauses.push(millis)
          return Promise.resolve()
        }
        const temporaries = Effect.map(
          Effect.promise(() => fs.readdir(directory)),
          (names) => names.filter((name) => name.endsWith(".tmp"))
        )
        refusals.left = 2
        yield* Effect.promise(() => store.set("token", "t1", { sleep }))
        assert.deepStrictEqual(pauses, [10, 20])
        assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t1")

        pauses.length = 0
        refusals.left = Number.POSITIVE_INFINITY
        const failed = yield* Effect.promise(() =>
          store.set("token", "t2", { sleep }).then(
            () => undefined,
            (error: unknown) => error
          )
        )
        assert.instanceOf(failed, Store.StoreError)
        assert.strictEqual((failed as Store.StoreError).syscall, "rename")
        assert.strictEqual(
          (failed as Store.StoreError).reason,
          retried === "EBUSY" ? "Busy" : "PermissionDenied"
        )
        // Pauses from 10 ms doubling up to 100 ms, until a second has been waited: bounded.
        const waited = pauses.reduce((sum, pause) => sum + pause, 0)
        assert.isAtLeast(waited, Store.renameRetryLimitMillis)
        assert.isBelow(waited - pauses.at(-1)!, Store.renameRetryLimitMillis)
        assert.deepStrictEqual(pauses.slice(0, 5), [10, 20, 40, 80, 100])
        assert.isTrue(pauses.every((pause) => pause <= 100))
        assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t1")
        assert.deepStrictEqual(yield* temporaries, [])

        // On POSIX, EPERM is the directory's permissions: no retry changes them, it fails at once.
        if (process.platform !== "win32") {
          pauses.length = 0
          refusals.code = "EPERM"
          refusals.left = 1
          const refused = yield* Effect.promise(() =>
            store.set("token", "t3", { sleep }).then(
              () => undefined,
              (error: unknown) => error
            )
          )
          assert.strictEqual((refused as Store.StoreError).reason, "PermissionDenied")
          assert.deepStrictEqual(pauses, [])
          assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t1")
          assert.deepStrictEqual(yield* temporaries, [])
        }
      })
  )
})

describe("core/node/store: the lock's removal Windows refuses for a moment is tried again", () => {
  // Left behind with this process's id, the lock held every later change of this process (a service's store): each
  // waited for itself for 10 s, then failed Busy.
  it.scoped(
    "refused twice, the lock is removed after two short pauses: the next change takes it at once",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const lockFile = path.join(directory, "store.json.lock")
        const store = Store.open(directory)
        const refusals = { left: 2 }
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            const original = fsPromises.rm
            fsPromises.rm = (target, options) => {
              if (String(target) !== lockFile || refusals.left <= 0) return original(target, options)
              refusals.left--
              return Promise.reject(
                Object.assign(new Error("EBUSY: resource busy or locked, unlink"), {
                  code: "EBUSY",
                  syscall: "unlink"
                })
              )
            }
            syncBuiltinESMExports()
            return original
          }),
          (original) =>
            Effect.sync(() => {
              fsPromises.rm = original
              syncBuiltinESMExports()
            })
        )
        const pauses: Array<number> = []
        const sleep = (millis: number) => {
          pauses.push(millis)
          return Promise.resolve()
        }
        yield* Effect.promise(() => store.set("token", "t1", { sleep }))
        assert.strictEqual(refusals.left, 0)
        // The pauses of the removal tried again, on the caller's sleep (the Effect bindings': their Clock).
        assert.deepStrictEqual(pauses, [10, 20])
        assert.isFalse(
          yield* Effect.promise(() =>
            fs.access(lockFile).then(
              () => true,
              () => false
            )
          ),
          "the lock is removed"
        )
        pauses.length = 0
        yield* Effect.promise(() => store.set("token", "t2", { sleep }))
        assert.deepStrictEqual(pauses, [], "the next change waited for no lock")
        assert.strictEqual(yield* Effect.promise(() => store.get("token")), "t2")
      })
  )
})

describe("KeyValueStore.layerFile", () => {
  it.scoped("stores, reads, modifies and removes values", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const store = yield* storeIn(directory)
      assertOption(yield* store.get("missing"), Option.none())
      assert.strictEqual(yield* store.size, 0)
      assert.isTrue(yield* store.isEmpty)

      yield* store.set("a", "one")
      yield* store.set("b", 'two ✓ with "quotes"\nand a newline')
      assertOption(yield* store.get("a"), Option.some("one"))
      assertOption(yield* store.get("b"), Option.some('two ✓ with "quotes"\nand a newline'))
      assert.isTrue(yield* store.has("a"))
      assert.strictEqual(yield* store.size, 2)

      yield* store.set("a", "uno")
      assertOption(yield* store.get("a"), Option.some("uno"))
      assertOption(yield* store.modify("a", (value) => `${value}!`), Option.some("uno!"))
      assertOption(yield* store.modify("missing", (value) => `${value}!`), Option.none())
      assert.isFalse(yield* store.has("missing"))

      yield* store.remove("a")
      assertOption(yield* store.get("a"), Option.none())
      assert.strictEqual(yield* store.size, 1)
      yield* store.remove("never-there")

      yield* store.clear
      assert.strictEqual(yield* store.size, 0)
      assertOption(yield* store.get("b"), Option.none())
    })
  )

  it.scoped("keeps bytes as bytes and text as text", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const store = yield* storeIn(directory)
      const bytes = new Uint8Array([0, 1, 2, 250, 255])
      yield* store.set("bytes", bytes)
      yield* store.set("text", "aGVsbG8=") // valid base64, but text
      assert.deepStrictEqual(Option.getOrThrow(yield* store.getUint8Array("bytes")), bytes)
      assertOption(yield* store.get("bytes"), Option.some("AAEC+v8="))
      assertOption(yield* store.get("text"), Option.some("aGVsbG8="))
      assert.deepStrictEqual(
        Option.getOrThrow(yield* store.getUint8Array("text")),
        new TextEncoder().encode("aGVsbG8=")
      )
      const doubled = yield* store.modifyUint8Array("bytes", (value) => value.map((b) => b ^ 0xff))
      assert.deepStrictEqual(Option.getOrThrow(doubled), new Uint8Array([255, 254, 253, 5, 0]))
    })
  )

  it.scoped("keeps any key as data, __proto__ included", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const keys = ["__proto__", "constructor", "", "a/b\\c", "ключ ✓"]
      const first = yield* storeIn(directory)
      for (const [i, key] of keys.entries()) yield* first.set(key, `value-${i}`)
      const second = yield* storeIn(directory)
      assert.strictEqual(yield* second.size, keys.length)
      for (const [i, key] of keys.entries()) {
        assertOption(yield* second.get(key), Option.some(`value-${i}`))
      }
      assert.isFalse(yield* second.has("toString"))
    })
  )

  it.scoped("what one build wrote, the next build reads", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      yield* Effect.flatMap(KeyValueStore.KeyValueStore, (store) => store.set("kept", "across runs")).pipe(
        Effect.provide(KeyValueStore.layerFile({ directory }))
      )
      const value = yield* Effect.flatMap(KeyValueStore.KeyValueStore, (store) => store.get("kept")).pipe(
        Effect.provide(KeyValueStore.layerFile({ directory }))
      )
      assertOption(value, Option.some("across runs"))
      assert.deepStrictEqual(JSON.parse(yield* readFile(path.join(directory, "store.json"))), {
        kept: "across runs"
      })
    })
  )

  it.scoped(
    "a store saved with a byte order mark (an editor's UTF-8 with BOM) is read, and written without it",
    () =>
      Effect.gen(function* () {
        // It was InvalidData ("not valid JSON") for every operation, the client identifier in it lost to the app.
        const directory = yield* tempDirectory
        const file = path.join(directory, "store.json")
        yield* Effect.promise(() =>
          fs.writeFile(file, '\uFEFF{ "effect-plex-auth/client-identifier": "kept-id" }\n')
        )
        const store = yield* storeIn(directory)
        assertOption(yield* store.get("effect-plex-auth/client-identifier"), Option.some("kept-id"))
        yield* store.set("b", "c")
        const text = yield* readFile(file)
        assert.isFalse(text.startsWith("\uFEFF"))
        assert.deepStrictEqual(JSON.parse(text), { "effect-plex-auth/client-identifier": "kept-id", b: "c" })
      })
  )

  it.scoped("creates nothing until the first write, then the directory and the file", () =>
    Effect.gen(function* () {
      const parent = yield* tempDirectory
      const directory = path.join(parent, "nested", "effect-plex-auth")
      const store = yield* storeIn(directory)
      assertOption(yield* store.get("x"), Option.none())
      yield* store.remove("x")
      yield* store.clear
      assert.deepStrictEqual(yield* listDirectory(parent), [])
      yield* store.set("x", "1")
      assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
    })
  )

  it.scoped.skipIf(!posix)("the file is mode 0600 and a created directory 0700, whatever the umask", () =>
    Effect.gen(function* () {
      // Under umask 000, in a process of its own (the umask is process-wide; a worker thread may not change
      // it): fixtures/umask-child.ts, bundled, run with plain Node.
      const parent = yield* tempDirectory
      const child = path.join(parent, "umask-child.mjs")
      yield* Effect.promise(() =>
        build({
          entryPoints: [fileURLToPath(new URL("./fixtures/umask-child.ts", import.meta.url))],
          outfile: child,
          bundle: true,
          platform: "node",
          format: "esm",
          target: "node20",
          logLevel: "warning"
        })
      )
      const output = yield* Effect.promise(() =>
        promisify(execFile)(process.execPath, [child, path.join(parent, "store")])
      )
      // The file's mode after the first write, the created directory's, and the file's after a write that
      // found it readable by others (say, restored from a backup): replaced by a 0600 one.
      assert.deepStrictEqual(JSON.parse(output.stdout), { file: 0o600, directory: 0o700, rewritten: 0o600 })
    })
  )

  it.scoped.skipIf(!posix)("leaves the mode of a directory it did not create alone", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      yield* Effect.promise(() => fs.chmod(directory, 0o755))
      const store = yield* storeIn(directory)
      yield* store.set("a", "b")
      assert.strictEqual(yield* modeOf(directory), 0o755)
    })
  )

  describe("a store file it cannot trust", () => {
    it.scoped.skipIf(!posix)(
      "a symbolic link fails every operation with PermissionDenied, and is not followed",
      () =>
        Effect.gen(function* () {
          const directory = yield* tempDirectory
          const elsewhere = path.join(directory, "planted.json")
          yield* Effect.promise(() =>
            fs.writeFile(elsewhere, `{"effect-plex-auth/token":"planted"}`, { mode: 0o600 })
          )
          yield* Effect.promise(() => fs.symlink(elsewhere, path.join(directory, "store.json")))
          const error = yield* Effect.flip(storeIn(directory))
          assert.strictEqual(error._tag, "SystemError")
          assert.isTrue(error._tag === "SystemError" && error.reason === "PermissionDenied")
          assert.include(error.message, "symbolic link")
          assert.notInclude(error.message, 'planted"')
          assert.strictEqual(yield* readFile(elsewhere), `{"effect-plex-auth/token":"planted"}`)
        })
    )

    it.scoped.skipIf(!posix)(
      "a named pipe fails with PermissionDenied at once: it is not opened as a file to wait on",
      () =>
        Effect.gen(function* () {
          const directory = yield* tempDirectory
          const fifo = path.join(directory, "store.json")
          yield* Effect.sync(() => execFileSync("mkfifo", [fifo]))
          const error = yield* Effect.flip(storeIn(directory))
          assert.isTrue(error._tag === "SystemError" && error.reason === "PermissionDenied")
          assert.include(error.message, "not a regular file")
        })
    )

    it.scoped.skipIf(!posix)(
      "a named pipe as the lock file fails a change with PermissionDenied at once: it is not read as a lock to wait on",
      () =>
        Effect.gen(function* () {
          const directory = yield* tempDirectory
          const fifo = path.join(directory, "store.json.lock")
          yield* Effect.sync(() => execFileSync("mkfifo", [fifo]))
          const store = yield* storeIn(directory)
          const error = yield* Effect.flip(store.set("a", "one"))
          assert.isTrue(error._tag === "SystemError" && error.reason === "PermissionDenied")
          assert.include(error.message, "lock file is not a regular file")
          // Left alone: no writer made it, and the store is unchanged.
          assert.isTrue((yield* Effect.promise(() => fs.lstat(fifo))).isFIFO())
          assert.deepStrictEqual(yield* listDirectory(directory), ["store.json.lock"])
        })
    )

    for (const mode of [0o666, 0o620]) {
      it.scoped.skipIf(!posix)(
        `a file of mode ${mode.toString(8)} fails with PermissionDenied, and is left alone`,
        () =>
          Effect.gen(function* () {
            const directory = yield* tempDirectory
            const file = path.join(directory, "store.json")
            yield* Effect.promise(() => fs.writeFile(file, `{"a":"b"}`))
            yield* Effect.promise(() => fs.chmod(file, mode))
            const error = yield* Effect.flip(storeIn(directory))
            assert.isTrue(error._tag === "SystemError" && error.reason === "PermissionDenied")
            assert.include(error.message, "writable by")
            // Built before the file was spoiled: reads and writes fail too.
            yield* Effect.promise(() => fs.chmod(file, 0o600))
            const store = yield* storeIn(directory)
            yield* Effect.promise(() => fs.chmod(file, mode))
            const read = yield* Effect.flip(store.get("a"))
            assert.isTrue(read._tag === "SystemError" && read.reason === "PermissionDenied")
            const written = yield* Effect.flip(store.set("a", "c"))
            assert.isTrue(written._tag === "SystemError" && written.reason === "PermissionDenied")
            assert.strictEqual(yield* readFile(file), `{"a":"b"}`)
            assert.strictEqual(yield* modeOf(file), mode)
          })
      )
    }

    it.scoped.skipIf(!posix)(
      "a file of the user's that others can read is made 0600 when read, and read",
      () =>
        Effect.gen(function* () {
          for (const mode of [0o644, 0o640, 0o604, 0o744]) {
            const directory = yield* tempDirectory
            const file = path.join(directory, "store.json")
            yield* Effect.promise(() => fs.writeFile(file, `{"a":"b"}`))
            yield* Effect.promise(() => fs.chmod(file, mode))
            // Building the store reads it.
            const store = yield* storeIn(directory)
            assert.strictEqual(yield* modeOf(file), mode & 0o700, mode.toString(8))
            // And so does a read of a store built before the file was copied in with its mode.
            yield* Effect.promise(() => fs.chmod(file, mode))
            assertOption(yield* store.get("a"), Option.some("b"))
            assert.strictEqual(yield* modeOf(file), mode & 0o700, mode.toString(8))
            assert.strictEqual(yield* readFile(file), `{"a":"b"}`)
          }
        })
    )

    it.scoped.skipIf(!posix)("a directory writable by others loses that permission on the first write", () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        yield* Effect.promise(() => fs.chmod(directory, 0o777))
        const store = yield* storeIn(directory)
        yield* store.set("a", "b")
        assert.strictEqual(yield* modeOf(directory), 0o755)
      })
    )

    it.scoped.skipIf(!posix)("an existing default directory is made 0700 on the first write", () =>
      Effect.gen(function* () {
        const config = yield* tempDirectory
        const directory = path.join(config, "effect-plex-auth")
        yield* Effect.promise(() => fs.mkdir(directory, { mode: 0o755 }))
        yield* Effect.promise(() => fs.chmod(directory, 0o755))
        yield* Effect.gen(function* () {
          const store = yield* Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerFile())
          yield* store.set("here", "yes")
        }).pipe(
          Effect.withConfigProvider(
            ConfigProvider.fromMap(
              new Map([
                ["XDG_CONFIG_HOME", config],
                ["HOME", "/nonexistent"]
              ])
            )
          )
        )
        assert.strictEqual(yield* modeOf(directory), 0o700)
      })
    )
  })

  describe("the lock file", () => {
    /** Moves the TestClock in 50 ms steps, each once `fiber` waits on a timer, until it ends; `onWait` runs at each. */
    const stepUntilDone = <A, E>(
      fiber: Fiber.RuntimeFiber<A, E>,
      onWait: (step: number) => Effect.Effect<void>
    ) =>
      Effect.gen(function* () {
        for (let step = 0; ; step++) {
          // Real file system work is in flight between timers: yield to the event loop until a timer is set. By a
          // 1 ms timer, not setImmediate: turns of setImmediate spun the test's thread (its CPU) for as long as the
          // file system calls ran on libuv's pool (about 200 times in the Busy test below).
          while (fiber.unsafePoll() === null && (yield* TestClock.sleeps()).length === 0) {
            yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1)))
          }
          if (fiber.unsafePoll() !== null) return yield* Fiber.await(fiber)
          yield* onWait(step)
          yield* TestClock.adjust("50 millis")
        }
      })

    const holdLock = (directory: string) =>
      Effect.promise(() =>
        fs.writeFile(
          path.join(directory, "store.json.lock"),
          JSON.stringify({ pid: process.pid, host: "another-host", nonce: "held" })
        )
      )

    it.scoped("a live writer's lock is waited for, and the change goes on once it is released", () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const store = yield* storeIn(directory)
        yield* store.set("kept", "1")
        yield* holdLock(directory)
        const fiber = yield* Effect.fork(store.set("a", "b"))
        const exit = yield* stepUntilDone(fiber, (step) =>
          step === 3 ? Effect.promise(() => fs.rm(path.join(directory, "store.json.lock"))) : Effect.void
        )
        assert.isTrue(Exit.isSuccess(exit))
        assert.deepStrictEqual(JSON.parse(yield* readFile(path.join(directory, "store.json"))), {
          kept: "1",
          a: "b"
        })
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
      })
    )

    it.scoped(
      "a change that waits for the lock logs it once at Debug, naming the holder, never the value",
      () =>
        Effect.gen(function* () {
          const directory = yield* tempDirectory
          const store = yield* storeIn(directory)
          yield* holdLock(directory)
          const secret = "a-plex-token-that-must-not-be-logged"
          const { exit, lines } = yield* withCapturedLogs(
            Effect.flatMap(Effect.fork(store.set("token", secret)), (fiber) =>
              stepUntilDone(fiber, (step) =>
                step === 3
                  ? Effect.promise(() => fs.rm(path.join(directory, "store.json.lock")))
                  : Effect.void
              )
            )
          )
          assert.isTrue(Exit.isSuccess(exit) && Exit.isSuccess(exit.value))
          const waits = lines.filter((line) => line.includes("waits for the lock"))
          assert.strictEqual(waits.length, 1, "once per change, not once per pause")
          assert.include(waits[0], "level=DEBUG")
          assert.include(
            waits[0],
            `message="KeyValueStore: set waits for the lock held by process ${process.pid} of another host"`
          )
          for (const line of lines) assert.notInclude(line, secret)
          assert.deepStrictEqual(JSON.parse(yield* readFile(path.join(directory, "store.json"))), {
            token: secret
          })
        })
    )

    it.scoped(
      "a lock held past the wait limit fails the change with Busy, and is left alone",
      () =>
        Effect.gen(function* () {
          const directory = yield* tempDirectory
          const store = yield* storeIn(directory)
          yield* store.set("kept", "1")
          yield* holdLock(directory)
          const fiber = yield* Effect.fork(store.set("a", "b"))
          const exit = yield* stepUntilDone(fiber, () => Effect.void)
          assert.isTrue(Exit.isFailure(exit))
          const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
          assert.isTrue(
            Option.isSome(error) && error.value._tag === "SystemError" && error.value.reason === "Busy"
          )
          assert.include(Option.isSome(error) ? error.value.message : "", "store.json.lock")
          assert.isTrue((yield* TestClock.currentTimeMillis) >= 10_000, "waited 10 seconds of the clock")
          assert.deepStrictEqual(JSON.parse(yield* readFile(path.join(directory, "store.json"))), {
            kept: "1"
          })
          assert.deepStrictEqual([...(yield* listDirectory(directory))].sort(), [
            "store.json",
            "store.json.lock"
          ])
        }),
      // The store counts the pauses it asked for (src/core/node/store.ts \`acquire\`, at most 50 ms each): it
      // gives up after about 200 of them, each a TestClock step and a real lock attempt on disk. About a
      // second on an idle machine; over 20 s (the default limit) seen under a load average of 20 on 2 cores.
      { timeout: 120_000 }
    )

    it.scoped(
      "a lock moved aside while the change held it, put back after its release found it gone, is removed",
      () =>
        // A takeover of a dead lock that raced this change's taking of it moves this change's lock aside while it
        // writes, finds it live, and puts it back after the release found none: left so, it named a live process that
        // no longer held it, and every change after waited 10 s, then failed Busy. The release looks again on the
        // Clock (core test: test/node/KeyValueStore.test.ts).
        Effect.gen(function* () {
          const directory = yield* tempDirectory
          const lockFile = path.join(directory, "store.json.lock")
          const aside = `${lockFile}.aside`
          yield* Effect.acquireRelease(
            Effect.sync(() => {
              const original = fsPromises.rename
              let moved = false
              fsPromises.rename = async (from, to) => {
                if (String(to) === path.join(directory, "store.json") && !moved) {
                  moved = true
                  await original(lockFile, aside)
                }
                return original(from, to)
              }
              syncBuiltinESMExports()
              return original
            }),
            (original) =>
              Effect.sync(() => {
                fsPromises.rename = original
                syncBuiltinESMExports()
              })
          )
          const store = yield* storeIn(directory)
          const fiber = yield* Effect.fork(store.set("a", "b"))
          // The takeover puts the lock back at the change's first pause, or once the change is over if it took none.
          const steps: Array<number> = []
          const exit = yield* stepUntilDone(fiber, (step) =>
            Effect.promise(async () => {
              steps.push(step)
              if (step === 0) await fs.rename(aside, lockFile)
            })
          )
          if (steps.length === 0) yield* Effect.promise(() => fs.rename(aside, lockFile))
          assert.isTrue(Exit.isSuccess(exit))
          assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
          assert.deepStrictEqual(steps, [0])
          assert.deepStrictEqual(JSON.parse(yield* readFile(path.join(directory, "store.json"))), { a: "b" })
        })
    )

    it.scoped(
      "a lock taken from the change by a raced takeover and another writer: the change is made again after that one's",
      () =>
        // A takeover of a dead lock moved this change's lock aside, another process took the free lock and changed the
        // store, and the put-back failed: the change replaced the file with what it had read, the other's change lost
        // (core tests: test/node/KeyValueStore.test.ts).
        Effect.gen(function* () {
          const directory = yield* tempDirectory
          const file = path.join(directory, "store.json")
          const lockFile = path.join(directory, "store.json.lock")
          const other = JSON.stringify({ pid: process.pid, host: "another-host", nonce: "other" })
          const store = yield* storeIn(directory)
          yield* store.set("kept", "1")
          yield* Effect.acquireRelease(
            Effect.sync(() => {
              const original = fsPromises.open
              let raced = false
              fsPromises.open = (async (name: string, ...rest: Array<never>) => {
                if (!raced && path.basename(String(name)).startsWith(".store.json.")) {
                  raced = true
                  await fs.rm(lockFile)
                  await fs.writeFile(lockFile, other)
                  await fs.writeFile(file, JSON.stringify({ kept: "1", other: "2" }))
                }
                return original(name, ...rest)
              }) as typeof fsPromises.open
              syncBuiltinESMExports()
              return original
            }),
            (original) =>
              Effect.sync(() => {
                fsPromises.open = original
                syncBuiltinESMExports()
              })
          )
          const fiber = yield* Effect.fork(store.set("a", "b"))
          // The other process releases its lock once it holds it.
          const exit = yield* stepUntilDone(fiber, () =>
            Effect.promise(async () => {
              if ((await fs.readFile(lockFile, "utf8").catch(() => undefined)) === other)
                await fs.rm(lockFile)
            })
          )
          assert.isTrue(Exit.isSuccess(exit))
          assert.deepStrictEqual(JSON.parse(yield* readFile(file)), { kept: "1", other: "2", a: "b" })
          assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
        })
    )

    it.scoped(
      "a lock put back by a raced takeover after another writer's whole change: the change is made again after that one's",
      () =>
        // A takeover of a dead lock moved this change's lock aside, another process took the free lock, changed the
        // store and released it, and the takeover put this change's lock back: the lock was the change's again, and it
        // replaced the file with what it had read, the other's change lost (core test: test/node/KeyValueStore.test.ts).
        Effect.gen(function* () {
          const directory = yield* tempDirectory
          const file = path.join(directory, "store.json")
          const lockFile = path.join(directory, "store.json.lock")
          const other = JSON.stringify({ pid: process.pid, host: "another-host", nonce: "other" })
          const store = yield* storeIn(directory)
          yield* store.set("kept", "1")
          const races = { count: 0 }
          yield* Effect.acquireRelease(
            Effect.sync(() => {
              const original = fsPromises.open
              fsPromises.open = (async (name: string, ...rest: Array<never>) => {
                if (races.count === 0 && path.basename(String(name)).startsWith(".store.json.")) {
                  races.count++
                  await fsPromises.rename(lockFile, `${lockFile}.aside`)
                  await fs.writeFile(lockFile, other)
                  await fs.writeFile(`${file}.other`, JSON.stringify({ kept: "1", other: "2" }), {
                    mode: 0o600
                  })
                  await fsPromises.rename(`${file}.other`, file)
                  await fs.rm(lockFile)
                  await fsPromises.rename(`${lockFile}.aside`, lockFile)
                }
                return original(name, ...rest)
              }) as typeof fsPromises.open
              syncBuiltinESMExports()
              return original
            }),
            (original) =>
              Effect.sync(() => {
                fsPromises.open = original
                syncBuiltinESMExports()
              })
          )
          // The lock is there at every look: the change takes no pause, on the Clock or off it.
          yield* store.set("a", "b")
          assert.strictEqual(races.count, 1)
          assert.deepStrictEqual(JSON.parse(yield* readFile(file)), { kept: "1", other: "2", a: "b" })
          assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
        })
    )
  })

  it.scoped(
    "a reader never sees a partly written file",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const file = path.join(directory, "store.json")
        const store = yield* storeIn(directory)
        const bigs = { a: "a".repeat(512 * 1024), b: "b".repeat(512 * 1024) }
        const big = (c: "a" | "b") => bigs[c]
        yield* store.set("value", big("a"))
        // The two whole files the writer below leaves (its value `a` or `b`), made once: the reader compares every
        // read's bytes with them, as fast as it can read. Comparing bytes (no UTF-8 decoding, no JSON.parse of
        // 512 KiB at each read: about 5 ms of the one thread per read, which the writer shares) lets it read many
        // times more often while the writer runs, and refuses more than parsing did (a file with anything else in
        // it, or around the JSON).
        const textA = yield* readFile(file)
        assert.deepStrictEqual(JSON.parse(textA), { value: big("a") })
        const wholes = [Buffer.from(textA), Buffer.from(textA.replace(big("a"), big("b")))]
        const writer = yield* Effect.fork(
          Effect.forEach(
            Array.from({ length: 20 }, (_, i) => big(i % 2 === 0 ? "b" : "a")),
            (value) => store.set("value", value)
          )
        )
        let reads = 0
        while (writer.unsafePoll() === null) {
          const bytes = yield* Effect.promise(() => fs.readFile(file))
          if (!wholes.some((whole) => bytes.equals(whole))) {
            assert.fail(
              `read ${bytes.length} bytes that are neither whole file: ${bytes.toString("utf8", 0, 40)}...`
            )
          }
          reads++
        }
        yield* Fiber.join(writer)
        assert.isAbove(reads, 0)
        assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
      }),
    // It waits on real file system work (20 writes of 512 KiB, each with its lock, and the reads beside
    // them), not on a clock: seconds on an idle machine, past the default 20 s on a loaded 2-core one.
    { timeout: 120_000 }
  )

  it.scoped("concurrent writes through one store are all kept", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const store = yield* storeIn(directory)
      yield* Effect.forEach(
        Array.from({ length: 25 }, (_, i) => i),
        (i) => store.set(`key-${i}`, `${i}`),
        {
          concurrency: "unbounded"
        }
      )
      assert.strictEqual(yield* (yield* storeIn(directory)).size, 25)
    })
  )

  it.scoped.skipIf(process.platform !== "linux")(
    "a directory under /proc (mkdir answers ENOENT under a parent that exists) fails a write with NotFound at once",
    // Node 20's and 22's recursive mkdir retries such a directory for ever at full CPU (plex-auth --config-dir
    // /proc/x hung, deaf to SIGTERM): the store makes each missing parent once (store.ts makeDirectories).
    () =>
      Effect.gen(function* () {
        const store = yield* storeIn("/proc/effect-plex-auth-test/config")
        const error = yield* Effect.flip(store.set("a", "b"))
        assert.isTrue(error._tag === "SystemError" && error.reason === "NotFound")
      })
  )

  it.scoped(
    "missing parents are made, each 0700 on POSIX; a file where the directory should be fails the write",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const nested = path.join(directory, "a", "b", "c")
        const store = yield* storeIn(nested)
        yield* store.set("value", "1")
        assert.include(yield* readFile(path.join(nested, "store.json")), '"value": "1"')
        if (process.platform !== "win32") {
          for (const made of [path.join(directory, "a"), path.join(directory, "a", "b"), nested]) {
            assert.strictEqual(yield* modeOf(made), 0o700)
          }
        }
        const file = path.join(directory, "file")
        yield* Effect.promise(() => fs.writeFile(file, ""))
        const error = yield* Effect.flip(Effect.flatMap(storeIn(file), (onFile) => onFile.set("a", "b")))
        assert.strictEqual(error._tag, "SystemError")
      })
  )

  it.scoped(
    "an interrupted write leaves the old file or the new one, and no temporary file",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const store = yield* storeIn(directory)
        yield* store.set("value", "old")
        const nextTick = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        // Interrupt after more and more event-loop turns, so some interruptions land in the middle of a write.
        for (let turns = 0; turns < 40; turns++) {
          const fiber = yield* Effect.fork(store.set("value", `new-${turns}`.repeat(50_000)))
          yield* Effect.repeatN(nextTick, turns)
          yield* Fiber.interrupt(fiber)
          const value = Option.getOrThrow(yield* store.get("value"))
          assert.isTrue(/^(old|(new-\d+)+)$/.test(value))
          assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
        }
      }),
    // 40 writes of 250 kB, each interrupted: about a second alone; 20 s (the default limit) was seen too short
    // under a load average of 11 on 2 cores. Wall time is not what this tests.
    { timeout: 120_000 }
  )

  it.scoped("a failed write fails with a SystemError and leaves no temporary file", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const store = yield* storeIn(directory)
      // The rename cannot replace a directory.
      yield* Effect.promise(() => fs.mkdir(path.join(directory, "store.json")))
      const error = yield* Effect.flip(store.set("a", "b"))
      assert.strictEqual(error._tag, "SystemError")
      assert.strictEqual(error.module, "KeyValueStore")
      assert.strictEqual(error.method, "set")
      assert.deepStrictEqual(yield* listDirectory(directory), ["store.json"])
    })
  )

  describe("a file that is not a store", () => {
    const corrupt: ReadonlyArray<readonly [string, string]> = [
      ["truncated JSON", '{"effect-plex-auth/token": "tok-SeCrEt-Zz9'],
      ["an empty file", ""],
      ["an array", '["tok-SeCrEt-Zz9"]'],
      ["a number", "42"],
      ["a value of another type", '{"effect-plex-auth/token": 42, "x": "tok-SeCrEt-Zz9"}'],
      ["bytes that are not base64", '{"x": "tok-SeCrEt-Zz9", "b": { "base64": "not base64!" }}']
    ]
    for (const [name, content] of corrupt) {
      it.scoped(`${name}: building fails with InvalidData, and the file is left alone`, () =>
        Effect.gen(function* () {
          const directory = yield* tempDirectory
          const file = path.join(directory, "store.json")
          yield* Effect.promise(() => fs.writeFile(file, content))
          const error = yield* Effect.flip(storeIn(directory))
          assert.strictEqual(error._tag, "SystemError")
          assert.isTrue(error._tag === "SystemError" && error.reason === "InvalidData")
          assert.include(error.message, file)
          // What to do, and what deleting it costs: a web app's sessions too, not only the CLI's identifier.
          assert.include(error.message, "web sign-in sessions")
          // The error describes the file, never what it holds.
          assert.notInclude(error.message, "tok-SeCrEt")
          assert.notInclude(JSON.stringify(error), "tok-SeCrEt")
          assert.strictEqual(yield* readFile(file), content)
        })
      )
    }

    it.scoped("a file spoiled after the store was built fails reads and writes, and is not overwritten", () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const file = path.join(directory, "store.json")
        const store = yield* storeIn(directory)
        yield* store.set("a", "b")
        yield* Effect.promise(() => fs.writeFile(file, "not json"))
        const read = yield* Effect.flip(store.get("a"))
        assert.isTrue(read._tag === "SystemError" && read.reason === "InvalidData" && read.method === "get")
        const write = yield* Effect.flip(store.set("c", "d"))
        assert.isTrue(
          write._tag === "SystemError" && write.reason === "InvalidData" && write.method === "set"
        )
        assert.strictEqual(yield* readFile(file), "not json")
      })
    )

    it.scoped("bytes that are not UTF-8: building fails with InvalidData, and the file is left alone", () =>
      // Read leniently, each bad byte became U+FFFD: a client identifier that is not the one Plex knows (a new
      // device, silently), a token that is not the saved one, and the next change wrote them so, the bytes lost.
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        const file = path.join(directory, "store.json")
        const content = Buffer.concat([
          Buffer.from('{"effect-plex-auth/clientIdentifier": "id-'),
          Buffer.from([0xff, 0xc3]),
          Buffer.from('", "x": "tok-SeCrEt-Zz9"}')
        ])
        yield* Effect.promise(() => fs.writeFile(file, content, { mode: 0o600 }))
        const error = yield* Effect.flip(storeIn(directory))
        assert.isTrue(error._tag === "SystemError" && error.reason === "InvalidData")
        assert.include(error.message, "not UTF-8")
        assert.include(error.message, file)
        assert.notInclude(JSON.stringify(error), "tok-SeCrEt")
        assert.isTrue((yield* Effect.promise(() => fs.readFile(file))).equals(content))
      })
    )

    it.scoped.skipIf(!posix)(
      "a file longer than any text Node can hold fails with InvalidData at once, unread, and is left alone",
      () =>
        // A sparse file (no disk, no time to make): read whole, it cost seconds and its size in memory, then failed
        // with reason Unknown ("Invalid string length").
        Effect.gen(function* () {
          const directory = yield* tempDirectory
          const file = path.join(directory, "store.json")
          const size = MAX_STRING_LENGTH + 1
          yield* Effect.promise(async () => {
            const handle = await fs.open(file, "wx", 0o600)
            await handle.truncate(size)
            await handle.close()
          })
          const error = yield* Effect.flip(storeIn(directory))
          assert.isTrue(error._tag === "SystemError" && error.reason === "InvalidData")
          assert.include(error.message, `${size} bytes`)
          assert.include(error.message, "web sign-in sessions")
          assert.strictEqual((yield* Effect.promise(() => fs.stat(file))).size, size)
        })
    )

    it.scoped("ClientIdentity.layerPersisted fails rather than invent a new client identifier", () =>
      Effect.gen(function* () {
        const directory = yield* tempDirectory
        yield* Effect.promise(() => fs.writeFile(path.join(directory, "store.json"), "{oops"))
        const exit = yield* Effect.exit(
          Effect.provide(
            ClientIdentity.ClientIdentity,
            ClientIdentity.layerPersisted({ product: "Test" }).pipe(
              Layer.provide(KeyValueStore.layerFile({ directory }))
            )
          )
        )
        assert.isTrue(Exit.isFailure(exit))
        assert.strictEqual(yield* readFile(path.join(directory, "store.json")), "{oops")
      })
    )
  })

  describe("the default directory", () => {
    const withEnv = (entries: Record<string, string>) =>
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))

    it.effect.skipIf(!posix)("is $XDG_CONFIG_HOME/effect-plex-auth", () =>
      Effect.gen(function* () {
        assert.strictEqual(yield* KeyValueStore.defaultDirectory, "/xdg/config/effect-plex-auth")
      }).pipe(withEnv({ XDG_CONFIG_HOME: "/xdg/config", HOME: "/home/me" }))
    )

    it.effect.skipIf(!posix)("is ~/.config/effect-plex-auth without XDG_CONFIG_HOME", () =>
      Effect.gen(function* () {
        assert.strictEqual(yield* KeyValueStore.defaultDirectory, "/home/me/.config/effect-plex-auth")
      }).pipe(withEnv({ HOME: "/home/me" }))
    )

    it.effect.skipIf(!posix)(
      "ignores an empty or relative XDG_CONFIG_HOME, as the XDG specification says",
      () =>
        Effect.gen(function* () {
          for (const xdg of ["", "  ", "relative/config"]) {
            const directory = yield* KeyValueStore.defaultDirectory.pipe(
              withEnv({ XDG_CONFIG_HOME: xdg, HOME: "/h" })
            )
            assert.strictEqual(directory, "/h/.config/effect-plex-auth")
          }
        })
    )

    it.scoped.skipIf(!posix)("is where layerFile() keeps the store", () =>
      Effect.gen(function* () {
        const config = yield* tempDirectory
        yield* Effect.gen(function* () {
          const store = yield* Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerFile())
          yield* store.set("here", "yes")
        }).pipe(withEnv({ XDG_CONFIG_HOME: config, HOME: "/nonexistent" }))
        assert.deepStrictEqual(
          JSON.parse(yield* readFile(path.join(config, "effect-plex-auth", "store.json"))),
          {
            here: "yes"
          }
        )
      })
    )
  })
})

describe("the client identifier and the token, kept in the file store", () => {
  it.scoped("two identities made at once over the file store, both first runs, agree on the identifier", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const [first, second] = yield* Effect.all(
        [
          ClientIdentity.makePersisted({ product: "Store Test" }),
          ClientIdentity.makePersisted({ product: "Store Test" })
        ],
        { concurrency: 2 }
      ).pipe(Effect.provide(KeyValueStore.layerFile({ directory })))
      assert.strictEqual(first.clientIdentifier, second.clientIdentifier)
      const stored = yield* (yield* storeIn(directory)).get(ClientIdentity.defaultStoreKey)
      assert.strictEqual(Option.getOrUndefined(stored), first.clientIdentifier)
    })
  )

  /** One run of an app: its identity and credentials kept in `directory`, signing in by PIN when it must. */
  const appLayer = (directory: string, fake: FakePlex.FakePlexService, pinsShown: Array<string>) => {
    const StoreLive = KeyValueStore.layerFile({ directory })
    const IdentityLive = ClientIdentity.layerPersisted({ product: "Store Test", version: "1.0.0" }).pipe(
      Layer.provide(StoreLive)
    )
    const CredentialsLive = Credentials.layerStored({
      obtain: PinLogin.login({
        // The user approves the PIN as soon as it is shown.
        onPin: ({ pin }) =>
          Effect.sync(() => pinsShown.push(pin.code)).pipe(
            Effect.zipRight(fake.approvePin(pin.id)),
            Effect.orDie,
            Effect.asVoid
          )
      })
    }).pipe(Layer.provide(Layer.merge(StoreLive, IdentityLive)))
    return Layer.merge(IdentityLive, CredentialsLive)
  }

  const whoAmI = Effect.gen(function* () {
    const identity = yield* ClientIdentity.ClientIdentity
    const credentials = yield* Credentials.Credentials
    const account = yield* PlexAuth.getTokenDetails()
    return {
      clientIdentifier: identity.clientIdentifier,
      token: Redacted.value(yield* credentials.token),
      username: account.username
    }
  })

  it.scoped("the second run is the same device with the same token, and signs in no more", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const fake = yield* FakePlex.FakePlex
      const pinsShown: Array<string> = []

      const first = yield* Effect.provide(whoAmI, appLayer(directory, fake, pinsShown))
      assert.strictEqual(first.username, "alice")
      assert.strictEqual(pinsShown.length, 1)

      const second = yield* Effect.provide(whoAmI, appLayer(directory, fake, pinsShown))
      assert.deepStrictEqual(second, first)
      assert.strictEqual(pinsShown.length, 1, "the stored token was used: no second PIN")
      const pins = yield* fake.pins
      assert.strictEqual(pins.length, 1)
      assert.strictEqual(pins[0]?.clientIdentifier, first.clientIdentifier)

      const stored = JSON.parse(yield* readFile(path.join(directory, "store.json"))) as Record<string, string>
      assert.deepStrictEqual(stored, {
        [ClientIdentity.defaultStoreKey]: first.clientIdentifier,
        [Credentials.defaultStoreKey]: first.token
      })
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.scoped("a revoked token is replaced by a new PIN login, and the new token is kept", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const fake = yield* FakePlex.FakePlex
      const pinsShown: Array<string> = []
      const first = yield* Effect.provide(whoAmI, appLayer(directory, fake, pinsShown))
      yield* fake.revokeToken(first.token)

      const second = yield* Effect.provide(whoAmI, appLayer(directory, fake, pinsShown))
      assert.strictEqual(second.username, "alice")
      assert.strictEqual(second.clientIdentifier, first.clientIdentifier)
      assert.notStrictEqual(second.token, first.token)
      assert.strictEqual(pinsShown.length, 2)
      const stored = JSON.parse(yield* readFile(path.join(directory, "store.json"))) as Record<string, string>
      assert.strictEqual(stored[Credentials.defaultStoreKey], second.token)

      // Signing out: revoke the token, then forget it.
      yield* Effect.provide(
        Effect.zipRight(PlexAuth.signOut(), Credentials.forgetStored()),
        Layer.merge(appLayer(directory, fake, pinsShown), KeyValueStore.layerFile({ directory }))
      )
      assert.isFalse(yield* fake.isTokenValid(second.token))
      const after = JSON.parse(yield* readFile(path.join(directory, "store.json"))) as Record<string, string>
      assert.deepStrictEqual(Object.keys(after), [ClientIdentity.defaultStoreKey])
    }).pipe(Effect.provide(FakePlex.layer()))
  )
})

describe("the examples of docs/pin-login.md, against the fake", () => {
  /** `localStorage` as a browser has it, in memory. */
  const memoryStorage = (): Storage => {
    const items = new Map<string, string>()
    return {
      get length() {
        return items.size
      },
      clear: () => items.clear(),
      getItem: (key) => items.get(key) ?? null,
      key: (index) => [...items.keys()][index] ?? null,
      removeItem: (key) => void items.delete(key),
      setItem: (key, value) => void items.set(key, String(value))
    }
  }

  it.effect("the browser app: identifier and token in localStorage, the link forwards back to the app", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const localStorage = memoryStorage()
      const StoreLive = PlatformKeyValueStore.layerStorage(() => localStorage)
      const IdentityLive = ClientIdentity.layerPersisted({
        product: "My Plex Web App",
        platform: "Web"
      }).pipe(Layer.provide(StoreLive))
      const urls: Array<string> = []
      const CredentialsLive = Credentials.layerStored({
        obtain: PinLogin.login({
          forwardUrl: "https://myapp.example/plex-signed-in.html",
          onPin: ({ pin, url }) =>
            Effect.sync(() => urls.push(url)).pipe(Effect.zipRight(Effect.orDie(fake.approvePin(pin.id))))
        })
      }).pipe(Layer.provide(Layer.merge(StoreLive, IdentityLive)))
      const run = PlexAuth.getTokenDetails().pipe(Effect.provide(Layer.merge(CredentialsLive, IdentityLive)))

      assert.strictEqual((yield* run).username, "alice")
      assert.strictEqual((yield* run).username, "alice")
      assert.strictEqual(urls.length, 1, "the second run used the stored token")
      const url = new URL(urls[0]!)
      const params = new URLSearchParams(url.hash.slice(2))
      // The fake's sign-in page: FakePlex.layer makes it the default of a link given no authAppUrl.
      assert.strictEqual(url.origin + url.pathname, FakePlex.defaults.authAppUrl)
      assert.strictEqual(params.get("forwardUrl"), "https://myapp.example/plex-signed-in.html")
      assert.strictEqual(params.get("clientID"), localStorage.getItem(ClientIdentity.defaultStoreKey))
      assert.strictEqual(params.get("context[device][product]"), "My Plex Web App")
      assert.isTrue(yield* fake.isTokenValid(localStorage.getItem(Credentials.defaultStoreKey)!))
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("the browser app, whole-page redirect: one check after coming back, then the stored token", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const StoreLive = PlatformKeyValueStore.layerStorage(memoryStorage)
      yield* Effect.gen(function* () {
        // Before leaving: create the PIN and keep its id.
        const pin = yield* PinLogin.create()
        const id = pin.id
        // On app.plex.tv, the user approves it.
        yield* fake.approvePin(id)
        // Back in the app: one check, and the token goes to the store.
        const approved = yield* PinLogin.check({ id })
        assert.isDefined(approved.authToken)
        const store = yield* PlatformKeyValueStore.KeyValueStore
        yield* store.set(Credentials.defaultStoreKey, Redacted.value(approved.authToken!))
        // layerStored finds it: no new PIN.
        const account = yield* PlexAuth.getTokenDetails().pipe(
          Effect.provide(Credentials.layerStored({ obtain: Effect.dieMessage("no PIN login expected") }))
        )
        assert.strictEqual(account.username, "alice")
        assert.strictEqual((yield* fake.pins).length, 1)
      }).pipe(
        Effect.provide(
          Layer.merge(
            StoreLive,
            ClientIdentity.layerPersisted({ product: "My Plex Web App" }).pipe(Layer.provide(StoreLive))
          )
        )
      )
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.scoped("the command-line tool signs out with the stored token, without a PIN login", () =>
    Effect.gen(function* () {
      const directory = yield* tempDirectory
      const fake = yield* FakePlex.FakePlex
      const StoreLive = KeyValueStore.layerFile({ directory })
      const Base = Layer.merge(
        StoreLive,
        ClientIdentity.layerPersisted({ product: "My Plex Tool" }).pipe(Layer.provide(StoreLive))
      )
      const token = yield* fake.mintToken()
      yield* Effect.flatMap(KeyValueStore.KeyValueStore, (store) =>
        store.set(Credentials.defaultStoreKey, Redacted.value(token))
      ).pipe(Effect.provide(StoreLive))

      const signOut = Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        const stored = yield* store.get(Credentials.defaultStoreKey)
        if (Option.isSome(stored)) {
          yield* PlexAuth.signOut().pipe(
            Credentials.withToken(stored.value),
            Effect.catchTag("Unauthorized", () => Effect.void)
          )
          yield* Credentials.forgetStored()
        }
      }).pipe(Effect.provide(Base))

      yield* signOut
      assert.isFalse(yield* fake.isTokenValid(token))
      const stored = JSON.parse(yield* readFile(path.join(directory, "store.json"))) as Record<string, string>
      assert.deepStrictEqual(Object.keys(stored), [ClientIdentity.defaultStoreKey])
      // Signing out again, with nothing stored, sends nothing.
      const before = (yield* fake.requests).length
      yield* signOut
      assert.strictEqual((yield* fake.requests).length, before)
      assert.strictEqual((yield* fake.pins).length, 0)
    }).pipe(Effect.provide(FakePlex.layer()))
  )
})

describe("KeyValueStore.make and layerFile given what untyped JavaScript passes", () => {
  it.effect(
    "fail with the platform's BadArgument naming the function, never a defect, before reading anything",
    () =>
      Effect.gen(function* () {
        const untyped = <A>(value: unknown): A => value as A
        const cases: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
          ["make", KeyValueStore.make(untyped(null))],
          ["make", KeyValueStore.make(untyped(42))],
          ["make", KeyValueStore.make(untyped({ directory: 42 }))],
          ["layerFile", Effect.scoped(Layer.build(KeyValueStore.layerFile(untyped(null))))],
          ["layerFile", Effect.scoped(Layer.build(KeyValueStore.layerFile(untyped({ directory: null }))))]
        ]
        for (const [method, effect] of cases) {
          const error = yield* Effect.flip(effect)
          assert.deepStrictEqual(
            error instanceof PlatformError.BadArgument ? [error.module, error.method] : error,
            ["KeyValueStore", method]
          )
        }
      })
  )
})

describe("KeyValueStore.make and layerFile given an empty directory", () => {
  it.effect("fail with BadArgument, before reading anything: it is not the current one", () =>
    Effect.gen(function* () {
      // An empty directory (a variable passed on unset) was the current one: the token went to whatever
      // directory the program ran in (a project checkout), and the first change tightened that directory's mode.
      const cases: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
        ["make", KeyValueStore.make({ directory: "" })],
        ["make", KeyValueStore.make({ directory: " \t" })],
        ["layerFile", Effect.scoped(Layer.build(KeyValueStore.layerFile({ directory: "" })))]
      ]
      for (const [method, effect] of cases) {
        const error = yield* Effect.flip(effect)
        assert.deepStrictEqual(
          error instanceof PlatformError.BadArgument
            ? [error.module, error.method, error.description]
            : error,
          [
            "KeyValueStore",
            method,
            "invalid directory: must not be empty (leave it out for the default directory)"
          ]
        )
      }
    })
  )
})
