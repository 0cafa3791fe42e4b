/**
 * The JWT tests' own stepping helper: it must wait for real asynchronous work
 * (Web Crypto, run on libuv's thread pool) however long that takes, and move
 * the TestClock only once the fiber waits on a timer. A bound counted in
 * event-loop turns made `a long wait re-signs the device JWT before it
 * expires` fail on a loaded machine, where the thread pool was busy longer.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe } from "@effect/vitest"
import { Deferred, Effect, Fiber, Option, TestClock } from "effect"
import { Jwt } from "effect-plex-auth"
import { it } from "../support/it.js"
import { layerPendingSleeps, PendingSleeps, whenWaiting } from "./support.js"

const posix = process.platform !== "win32"

/** One event-loop turn, no time. */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/**
 * Occupies every thread of libuv's pool, without using any CPU: each thread
 * blocks opening a FIFO for reading until `release` opens its write end.
 */
const blockThreadPool = Effect.acquireRelease(
  Effect.sync(() => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "plex-pool-"))
    const size = Number(process.env["UV_THREADPOOL_SIZE"] ?? 4)
    const fifos = Array.from({ length: size }, (_, i) => path.join(directory, `fifo-${i}`))
    for (const fifo of fifos) execFileSync("mkfifo", [fifo])
    const readers = fifos.map((fifo) => fs.promises.open(fifo, "r"))
    let released = false
    const release = Effect.promise(async () => {
      if (released) return
      released = true
      // Synchronous, on the main thread: the pool is full. A reader waits on each FIFO, so this returns at once.
      const writers = fifos.map((fifo) => fs.openSync(fifo, "w"))
      for (const handle of await Promise.all(readers)) await handle.close()
      for (const fd of writers) fs.closeSync(fd)
      fs.rmSync(directory, { recursive: true, force: true })
    })
    return release
  }),
  (release) => release
)

describe("whenWaiting", () => {
  it.scoped.skipIf(!posix)("waits for Web Crypto however long the thread pool is busy", () =>
    Effect.gen(function* () {
      const release = yield* blockThreadPool
      const fiber = yield* Effect.fork(Effect.zipRight(Jwt.generateKey, Effect.sleep("1 second")))
      // The pool stays busy for more event-loop turns than the helper used to allow (10,000): 12,000 (a helper
      // bounded at 10,000 turns fails this, checked), not 30,000, which only spent more CPU with the pool blocked.
      let releasing = false
      yield* Effect.fork(
        Effect.repeatN(turn, 12_000).pipe(
          Effect.tap(() => (releasing = true)),
          Effect.zipRight(release)
        )
      )
      yield* whenWaiting(fiber, "1 second")
      assert.isTrue(releasing, "the fiber could only wait on its timer once the pool was released")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "the fiber waits on its timer")
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(layerPendingSleeps))
  )

  it.effect("a finished request's timeout is not a timer the fiber waits on", () =>
    Effect.gen(function* () {
      const sleeps = yield* PendingSleeps
      const done = yield* Deferred.make<void>()
      // A request answered at once (its 2-second timeout interrupted), then real asynchronous work, then a 1-second pause.
      const fiber = yield* Effect.fork(
        Effect.timeout(Effect.void, "2 seconds").pipe(
          Effect.zipRight(Deferred.await(done)),
          Effect.zipRight(Effect.sleep("1 second"))
        )
      )
      yield* TestClock.adjust("1 second")
      // Effect 3's TestClock still listed the interrupted timeout, due within the step; the tests' TestClock
      // (test/support/testClock.ts) forgets it, as PendingSleeps does.
      assert.deepStrictEqual([...(yield* TestClock.sleeps())], [])
      assert.deepStrictEqual(sleeps.dueTimes(), [], "nothing is pending while the work runs")
      let released = false
      yield* Effect.fork(
        Effect.repeatN(turn, 100).pipe(
          Effect.tap(() => (released = true)),
          Effect.zipRight(Deferred.succeed(done, undefined))
        )
      )
      yield* whenWaiting(fiber, "1 second")
      assert.isTrue(released, "the clock may move only once the work is done")
      assert.deepStrictEqual(sleeps.dueTimes(), [2000])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(sleeps.dueTimes(), [], "a woken sleep is no longer pending")
    }).pipe(Effect.provide(layerPendingSleeps))
  )
})
