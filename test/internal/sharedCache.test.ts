/**
 * ServerAccess's cache (src/internal/sharedCache.ts): what it keeps. A long-running app checks a few users' tokens
 * again and again (each answer kept for `ttl`, asked again after it) and forgets a user's at sign-out
 * (`invalidate`); the cache must then hold nothing of the keys it let go. Effect 3's `Cache`, which it was built
 * on, kept a node per lookup in its list of recently used keys until the cache was over capacity: in a cache never
 * full, every expired or invalidated key stayed reachable for good (bench/soak.ts found it). Checked by
 * reachability: a `WeakRef` to each key, a full garbage collection, and the key must be gone.
 */
import { assert, describe } from "@effect/vitest"
import { Duration, Effect, TestClock } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { it } from "../support/it.js"
import { sharedCache } from "../../src/internal/sharedCache.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

interface Key {
  readonly id: string
}

/** After the current job (a `WeakRef` keeps its target through the job that made or read it), a full collection. */
const collect = Effect.promise(
  () =>
    new Promise<void>((resolve) =>
      setImmediate(() => {
        gc()
        resolve()
      })
    )
)

const makeCache = (lookups: Array<string>) =>
  sharedCache({
    capacity: 100,
    keyOf: (key: Key) => key.id,
    lookup: (key: Key) => Effect.sync(() => (lookups.push(key.id), key.id.length)),
    timeToLive: () => Duration.minutes(1)
  })

describe("ServerAccess's cache", () => {
  it.effect("keeps answers for their time to live, then asks again; invalidate forgets one", () =>
    Effect.gen(function* () {
      const lookups: Array<string> = []
      const cache = yield* makeCache(lookups)
      assert.strictEqual(yield* cache.get({ id: "abc" }), 3)
      assert.strictEqual(yield* cache.get({ id: "abc" }), 3)
      assert.deepStrictEqual(lookups, ["abc"])
      yield* TestClock.adjust("1 minute")
      yield* cache.get({ id: "abc" })
      assert.deepStrictEqual(lookups, ["abc", "abc"])
      yield* cache.invalidate({ id: "abc" })
      yield* cache.get({ id: "abc" })
      assert.deepStrictEqual(lookups, ["abc", "abc", "abc"])
    })
  )

  it.effect("holds no key it let go: expired and asked again, or invalidated", () =>
    Effect.gen(function* () {
      const cache = yield* makeCache([])
      const refs: Array<WeakRef<Key>> = []
      // One user's token asked every minute for an hour (a new key object each time, as each request brings its
      // own), then forgotten at sign-out.
      for (let minute = 0; minute < 60; minute++) {
        yield* Effect.suspend(() => {
          const key = { id: "the-same-user" }
          refs.push(new WeakRef(key))
          return cache.get(key)
        })
        yield* TestClock.adjust("1 minute")
      }
      yield* Effect.suspend(() => cache.invalidate({ id: "the-same-user" }))
      yield* collect
      const kept = refs.filter((ref) => ref.deref() !== undefined).length
      assert.strictEqual(kept, 0, `${kept} of 60 keys still reachable`)
    })
  )
})
