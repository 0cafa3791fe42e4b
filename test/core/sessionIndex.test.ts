/**
 * The sessions' index decisions (src/core/web/sessionIndex.ts), as plain functions: its keys, its values read back
 * leniently (a damaged value never names a key to remove), the marker's merge and the buckets a sweep reads. The
 * editions' WebSignIn tests run them against a store (test/web/WebSignIn.test.ts and its Effect 4 twin).
 */
import { assert, describe, it } from "vitest"
import * as Index from "../../src/core/web/sessionIndex.js"

const prefix = "plex-session:"
const digest = "JsdvHl-T7nefbwBx9py43_SKBkL4lHGPETnwDX9bAGM"

describe("core/web/sessionIndex", () => {
  it("a session's key and the index's keys never pass for one another", () => {
    assert.isTrue(Index.isSessionKey(prefix, `${prefix}${digest}`))
    for (const key of [Index.markerKey(prefix), Index.pageKey(prefix, 16, 0), Index.pageKey(prefix, -3, 2)]) {
      assert.isFalse(Index.isSessionKey(prefix, key), key)
      assert.isTrue(Index.isIndexKey(prefix, key), key)
    }
    assert.isFalse(Index.isIndexKey(prefix, `${prefix}${digest}`))
    assert.isFalse(Index.isIndexKey(prefix, `${prefix}indexed`))
    assert.isUndefined(Index.digestOf(prefix, `${prefix}keep`))
  })

  it("a damaged page is no page; entries that are no digest are dropped, never keys to remove", () => {
    assert.deepStrictEqual(Index.decodePage(Index.encodePage([digest])), [digest])
    for (const text of ["{not json", "null", "[]", '{"v":2,"k":[]}', '{"v":1,"k":"x"}']) {
      assert.isUndefined(Index.decodePage(text), text)
    }
    assert.deepStrictEqual(
      Index.decodePage(JSON.stringify({ v: 1, k: ["keep", "../keep", 42, null, `${digest}x`, digest] })),
      [digest]
    )
  })

  it("a page takes at most 64 entries; a full or damaged one is skipped", () => {
    const full = Index.encodePage(Array.from({ length: Index.pageSize }, () => digest))
    assert.deepStrictEqual(Index.appendToPage(full, [digest]), { _tag: "Full" })
    assert.deepStrictEqual(Index.appendToPage("{damaged", [digest]), { _tag: "Full" })
    const almost = Index.encodePage(Array.from({ length: Index.pageSize - 1 }, () => digest))
    const step = Index.appendToPage(almost, [digest, digest])
    assert.strictEqual(step._tag, "Write")
    if (step._tag === "Write") {
      assert.strictEqual(Index.decodePage(step.text)?.length, Index.pageSize)
      assert.deepStrictEqual(step.rest, [digest])
    }
  })

  it("the marker: none is a new one, a damaged one is replaced looking two sessionMax back, a stored one merged forward", () => {
    const max = 3 * 3600_000
    const w = Index.width(max)
    const now = 100 * w
    assert.deepStrictEqual(Index.markerFrom(undefined, now, max), {
      marker: { width: w, swept: 99, newest: 99, pages: 0 },
      write: true
    })
    assert.strictEqual(Index.markerFrom('{"v":1,"w":0,"s":1,"n":2,"p":1}', now, max).marker.swept, 99 - 32)
    const stored = { width: 7, swept: 10, newest: 20, pages: 3 }
    assert.deepStrictEqual(Index.markerFrom(Index.encodeMarker(stored), now, max), {
      marker: stored,
      write: false
    })
    // The stored width stands; each value only moves forward.
    assert.deepStrictEqual(
      Index.mergeMarker(Index.encodeMarker(stored), { width: w, swept: 12, newest: 19, pages: 9 }),
      {
        width: 7,
        swept: 12,
        newest: 20,
        pages: 3
      }
    )
  })

  it("a sweep reads only buckets wholly past, up to the newest written, at most maxLag behind it", () => {
    const marker = { width: 10, swept: 4, newest: 30, pages: 1 }
    // At 100 the bucket now is 10: 5 to 9 are wholly past.
    assert.deepStrictEqual(Index.sweepBuckets(marker, 100), [5, 6, 7, 8, 9])
    assert.deepStrictEqual(
      Index.sweepBuckets(marker, 10_000),
      Array.from({ length: 26 }, (_, i) => i + 5)
    )
    assert.isFalse(Index.sweepDue({ ...marker, swept: 9 }, 100))
    const behind = Index.sweepBuckets({ ...marker, swept: -1_000_000, newest: 1000 }, 1_000_000)
    assert.strictEqual(behind[0], 1000 - Index.maxLag + 1)
    assert.isAtMost(behind.length, Index.maxSweepBuckets)
    // A newest bucket far ahead of now (a much longer sessionMax, a clock run ahead): the lag counted from the last
    // bucket wholly past, not from it (before: nothing swept till the clock came within maxLag of it).
    assert.deepStrictEqual(
      Index.sweepBuckets({ ...marker, swept: 60, newest: 1000 }, 700),
      [61, 62, 63, 64, 65, 66, 67, 68, 69]
    )
    assert.strictEqual(
      Index.sweepBuckets({ ...marker, swept: -5, newest: 1000 }, 1000)[0],
      99 - Index.maxLag + 1
    )
  })

  it("a sweep removes a session only once it has ended by the sweeper's own rules, else indexes it again", () => {
    const hour = 3600_000
    // Opened at 0 by a run whose sessionMax was 1 hour, renewed by one whose sessionMax is 3 (idle 3 hours).
    const renewed = { createdAt: 0, expiresAt: 3 * hour }
    assert.deepStrictEqual(Index.sweepDecision(renewed, 1.5 * hour, 3 * hour, 3 * hour), {
      _tag: "Keep",
      endsAt: 3 * hour
    })
    // Ended by this process's rules: its idle expiry, or its sessionMax (this process's, 1 hour), passed.
    assert.deepStrictEqual(Index.sweepDecision(renewed, 3 * hour, 3 * hour, 3 * hour), { _tag: "Remove" })
    assert.deepStrictEqual(Index.sweepDecision(renewed, 1.5 * hour, 3 * hour, hour), { _tag: "Remove" })
    // None in the store, or a damaged one (no sign-in accepts it).
    assert.deepStrictEqual(Index.sweepDecision(undefined, 0, hour, hour), { _tag: "Remove" })
    // By the value the store holds: none (removed already) skipped, no removal asked; a damaged one removed.
    assert.deepStrictEqual(Index.sweepDecisionOf(undefined, 0, hour, hour), { _tag: "Skip" })
    assert.deepStrictEqual(Index.sweepDecisionOf("{not json", 0, hour, hour), { _tag: "Remove" })
  })

  it("a session the sweeper opened is left to it, but indexed again while it still lists it", () => {
    const hour = 3600_000
    assert.deepStrictEqual(Index.ownSweepDecision(undefined, 4 * hour), { _tag: "Skip" })
    // Ended, its removal not done yet: indexed again in the bucket of now, which a later sweep reads.
    assert.deepStrictEqual(Index.ownSweepDecision(3 * hour, 4 * hour), { _tag: "Keep", endsAt: 4 * hour })
    assert.deepStrictEqual(Index.ownSweepDecision(5 * hour, 4 * hour), { _tag: "Keep", endsAt: 5 * hour })
  })

  it("past a full bucket, another process's sessions go on to the next bucket (at most maxSpill on), its own are not", () => {
    const theirs = { digest: "a".repeat(43), endsAt: 0, own: false }
    const ours = { digest: "b".repeat(43), endsAt: 0, own: true }
    assert.deepStrictEqual(Index.spill([ours, theirs], 0), [theirs])
    assert.deepStrictEqual(Index.spill([theirs], Index.maxSpill - 1), [theirs])
    assert.deepStrictEqual(Index.spill([theirs], Index.maxSpill), [])
  })

  it("a page a run found full is not read again in that run: startPage is past it (past the last for a full bucket)", () => {
    const marker = { width: 1000, swept: 3, newest: 9, pages: 5 }
    const full = Index.makeFullPages()
    // None found full: the writer's page, or the marker's last page of the newest bucket, or the first.
    assert.strictEqual(Index.startPage(full, marker, 7, { bucket: 7, page: 2 }), 2)
    assert.strictEqual(Index.startPage(full, marker, 9, undefined), 4)
    assert.strictEqual(Index.startPage(full, marker, 8, undefined), 0)
    // Found full: pages 0 to 2 of bucket 8; every page of bucket 7; a page of 9 before the marker's hint.
    for (let page = 0; page < 3; page++) full.full(1000, 8, page)
    for (let page = 0; page < Index.maxPages; page++) full.full(1000, 7, page)
    full.full(1000, 9, 1)
    assert.strictEqual(Index.startPage(full, marker, 8, undefined), 3)
    assert.strictEqual(Index.startPage(full, marker, 7, { bucket: 7, page: 2 }), Index.maxPages)
    assert.strictEqual(Index.startPage(full, marker, 9, undefined), 4)
    // Found in any order, the first page not found full is past the highest.
    full.full(1000, 8, 1)
    assert.strictEqual(Index.startPage(full, marker, 8, undefined), 3)
    // Buckets of another width are other buckets; a new run starts with none found full.
    assert.strictEqual(Index.startPage(full, { ...marker, width: 2000 }, 7, undefined), 0)
    assert.strictEqual(Index.startPage(Index.makeFullPages(), marker, 7, undefined), 0)
    // Forgotten (pages gone: resumesAfterGap), a bucket is read from its first page again; the others stay.
    full.forget(1000, 8)
    assert.strictEqual(Index.startPage(full, marker, 8, undefined), 0)
    assert.strictEqual(Index.startPage(full, marker, 7, undefined), Index.maxPages)
  })

  it("resumesAfterGap: a start page past the first that is missing, the one before it missing too", () => {
    const page = Index.encodePage([])
    assert.isTrue(Index.resumesAfterGap(3, undefined))
    assert.isFalse(Index.resumesAfterGap(3, page))
    // Page 0 has no page before it: a missing first page is where the bucket starts.
    assert.isFalse(Index.resumesAfterGap(0, undefined))
  })

  it("a full queue drops, and warns once a burst", () => {
    assert.deepStrictEqual(Index.admit(Index.maxPending - 1, false), { _tag: "Queue" })
    assert.deepStrictEqual(Index.admit(Index.maxPending, false), { _tag: "Drop", warn: true })
    assert.deepStrictEqual(Index.admit(Index.maxPending, true), { _tag: "Drop", warn: false })
  })

  it("the queue: batches of a page, at most maxPending waiting, a failed batch first again, one warning a burst", () => {
    const queue = Index.makeQueue()
    const entry = (i: number): Index.Entry => ({ digest: `d${i}`.padEnd(43, "A"), endsAt: i, own: true })
    for (let i = 0; i < Index.maxPending; i++) {
      assert.isFalse(queue.full())
      assert.isFalse(queue.add(entry(i)))
    }
    // Full (what a sweep writes out before it queues a session it keeps): the first drop warned of, not the next.
    assert.isTrue(queue.full())
    assert.isTrue(queue.add(entry(-1)))
    assert.isFalse(queue.add(entry(-2)))
    assert.strictEqual(queue.size(), Index.maxPending)
    const batch = queue.take()
    assert.strictEqual(batch?.length, Index.pageSize)
    assert.strictEqual(queue.size(), Index.maxPending - Index.pageSize)
    assert.isFalse(queue.full())
    // Not written: queued again, first; the queue was not written out, so the burst goes on (no second warning).
    assert.isFalse(queue.add(entry(Index.maxPending)))
    assert.isFalse(queue.failed())
    assert.strictEqual(queue.size(), Index.maxPending)
    assert.deepStrictEqual(queue.take()?.[0], entry(0))
    queue.written()
    // Written out whole: a drop after this is another burst's.
    for (let b = queue.take(); b !== undefined; b = queue.take()) queue.written()
    assert.strictEqual(queue.size(), 0)
    for (let i = 0; i < Index.maxPending; i++) queue.add(entry(i))
    assert.isTrue(queue.add(entry(-1)))
  })

  it("a sweep's marker: none without one stored or seen, the one seen when none is stored, a damaged one replaced", () => {
    const max = 3 * 3600_000
    const w = Index.width(max)
    const seen: Index.Marker = { width: w, swept: 3, newest: 20, pages: 1 }
    assert.deepStrictEqual(Index.sweepMarker(undefined, undefined, 10 * w, max), { _tag: "None" })
    assert.deepStrictEqual(Index.sweepMarker(undefined, seen, 10 * w, max), {
      _tag: "Marker",
      marker: seen,
      write: false
    })
    assert.deepStrictEqual(Index.sweepMarker(Index.encodeMarker(seen), undefined, 10 * w, max), {
      _tag: "Marker",
      marker: seen,
      write: false
    })
    const damaged = Index.sweepMarker("{not json", seen, 10 * w, max)
    assert.isTrue(
      damaged._tag === "Marker" && damaged.write && damaged.marker.swept === 9 - Index.damagedLookback
    )
  })

  it("a process keeps which sessions of a bucket it opened until the bucket is a sessionMax past", () => {
    const w = 100
    assert.isTrue(Index.keepsOwn(10, (10 + Index.divisions) * w, w))
    assert.isFalse(Index.keepsOwn(10, (11 + Index.divisions) * w, w))
  })

  it("a marker that says a bucket about to be written is swept (the clock set back) is rebased on now", () => {
    const w = Index.width(3 * 3600_000)
    const marker: Index.Marker = { width: w, swept: 100, newest: 120, pages: 2 }
    assert.isUndefined(Index.rebase(marker, 101, 90 * w))
    const rebased = Index.rebase(marker, 60, 45 * w)
    assert.deepStrictEqual(rebased, { width: w, swept: 44, newest: 44, pages: 0 })
    // The buckets written from now on are read by sweeps again.
    assert.deepStrictEqual(
      Index.sweepBuckets({ ...(rebased ?? marker), newest: 60 }, 62 * w),
      [45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60]
    )
  })
})
