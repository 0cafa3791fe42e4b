/**
 * The sessions' index in the app's `KeyValueStore`: what lets a `WebSignIn` remove the sessions an earlier run of the
 * app (a deploy, a restart) or another app process opened, once their `sessionMax` has passed. A `KeyValueStore`
 * cannot list its keys, so the service keeps, beside the sessions, where to find them by the time they end. No
 * Effect here: the editions' `WebSignIn` run these decisions against the store, in a fiber of their own.
 *
 * The layout (every key under the service's `storePrefix`, none of them a session's: a session's key is the prefix
 * and 43 base64url characters, an index key has a `.` in that place):
 * - `<prefix>index`, the marker: the buckets' width (`w`, in ms), the newest bucket swept (`s`: every bucket up to
 *   it is done), the newest bucket written (`n`) and how many pages that bucket has (`p`, a hint for a writer that
 *   has just started).
 * - `<prefix>index.<bucket>.<page>`, the pages: the sessions whose `sessionMax` ends within the bucket (bucket `b`
 *   holds the ends from `b × w` to `(b + 1) × w`), by their storage key's digest (never a token, a session id or
 *   anything else: a digest that is already a key of the store), at most {@link pageSize} a page, at most
 *   {@link maxPages} pages a bucket.
 *
 * Why so: a sign-in adds its session to the page it writes to (one read and one write of a value of at most
 * {@link pageSize} entries, whatever the number of sessions), and touches the marker only when it starts a bucket or
 * a page; a sweep reads the marker and only the buckets between the last one swept and the newest one written, all
 * past (`w` is `sessionMax` / {@link divisions}: the live sessions span at most {@link divisions} + 1 buckets, and
 * one sweep reads at most about {@link maxSweepReads} keys, the rest left to the next sign-in), however long
 * the app was down: a sweep runs before the sign-in's session is written to the index, so the newest bucket it knows
 * is the last sign-in's. A session is in a bucket by the hard end of its `sessionMax` (its creation plus `sessionMax`,
 * which no renewal passes) as the process that indexed it counts it. The bucket only says where to look: a sweep
 * reads each session's record and removes it only when the sweeping process would take it as ended were it presented
 * ({@link sweepDecision}); one still live (indexed by a process with a shorter `sessionMax`, renewed by one with a
 * longer; found through a marker of another width) is indexed again, by the sweeper's `sessionMax`.
 *
 * Several processes over one store: `KeyValueStore` has no compare-and-swap, so two processes writing one page (or
 * the marker) at once may lose one of the writes (each read the value, then wrote its own). A lost page entry leaves
 * its session to the process that opened it (its in-memory list, while it runs); a lost marker update makes a sweep
 * read a bucket again, or wait for the next sign-in's marker update to reach a bucket. No loss removes a session
 * early: removals are decided by the session's record, not by the index.
 *
 * @internal
 */
import { decodeSession, renewal, type SessionRecord } from "./signIn.js"

/** How many buckets one `sessionMax` spans: the index's granularity (a session leaves at most `sessionMax / 16` late). */
export const divisions = 16

/** The most sessions one index page holds: the most a sign-in's index write rewrites. */
export const pageSize = 64

/**
 * The most pages one bucket has (so at most {@link pageSize} × 64 = 4096 sessions ending within one bucket are
 * indexed; those past it are removed by the process that opened them only, while it runs, but for those of another
 * process a sweep keeps, which go on to the next bucket: {@link spill}).
 */
export const maxPages = 64

/**
 * The most index keys (pages, an empty bucket one read) a sweep reads before it starts no further bucket: with the
 * last bucket's pages and the marker, a sweep reads at most 2 × 64 + 1 keys, whatever the time since the last one. The
 * rest waits for the next sign-in.
 */
export const maxSweepReads = 64

/** The most buckets one sweep looks at (an empty one costs one read of {@link maxSweepReads}). */
export const maxSweepBuckets = maxSweepReads

/**
 * How many buckets back a sweep looks when the marker is damaged (the buckets swept unknown): two `sessionMax`
 * spans. Sessions in older buckets are left in the store.
 */
export const damagedLookback = 2 * divisions

/** The most sessions a service keeps waiting to be written to the index (a store that hangs); past it, not indexed. */
export const maxPending = 1024

/**
 * What the queue of sessions waiting to be written to the index does with one more when `waiting` are queued:
 * `Queue` it, or past {@link maxPending} `Drop` it (not indexed: only the process that opened it removes it, while it
 * runs), `warn` at the first drop of a burst (`dropping`: a drop was warned of since the queue was last written out
 * whole) with {@link queueFullWarning}: one warning per burst, not one per session.
 */
export const admit = (
  waiting: number,
  dropping: boolean
): { readonly _tag: "Queue" } | { readonly _tag: "Drop"; readonly warn: boolean } =>
  waiting < maxPending ? { _tag: "Queue" } : { _tag: "Drop", warn: !dropping }

/**
 * A session waiting to be written to the index: its storage key's digest, when its `sessionMax` ends (its bucket's
 * time), and whether the process opened it (`own`; the others, found by a sweep still live, are indexed again).
 */
export interface Entry {
  readonly digest: string
  readonly endsAt: number
  readonly own: boolean
}

/**
 * A process's sessions waiting to be written to the index, in the order they came: at most {@link maxPending}
 * ({@link admit}), a burst of drops warned of once (`add` and `failed` answer whether to warn), till the queue has been
 * written out whole. A writer `take`s a batch (at most {@link pageSize}), then says it was `written`, or that it
 * `failed` (a store failure, a timeout, the work stopped): the batch is queued again, first, as far as there is room
 * (an entry written twice is removed twice: nothing more).
 */
export interface Queue {
  readonly size: () => number
  /** Whether one more would be dropped ({@link admit}): a sweep writes the queue out first (it drops none it keeps). */
  readonly full: () => boolean
  readonly add: (entry: Entry) => boolean
  readonly take: () => ReadonlyArray<Entry> | undefined
  readonly written: () => void
  readonly failed: () => boolean
}

/** An empty {@link Queue}. */
export const makeQueue = (): Queue => {
  let waiting: Array<Entry> = []
  let inFlight: ReadonlyArray<Entry> = []
  let dropping = false
  const add = (entry: Entry): boolean => {
    const admitted = admit(waiting.length, dropping)
    if (admitted._tag === "Queue") {
      waiting.push(entry)
      return false
    }
    if (admitted.warn) dropping = true
    return admitted.warn
  }
  return {
    size: () => waiting.length,
    full: () => admit(waiting.length, dropping)._tag === "Drop",
    add,
    take: () => {
      if (waiting.length === 0) return undefined
      inFlight = waiting.splice(0, pageSize)
      return inFlight
    },
    written: () => {
      inFlight = []
      if (waiting.length === 0) dropping = false
    },
    failed: () => {
      const all = [...inFlight, ...waiting]
      inFlight = []
      waiting = []
      let warn = false
      for (const entry of all) warn = add(entry) || warn
      return warn
    }
  }
}

/** The warning of a burst of drops ({@link admit}): no key, session or user in it. */
export const queueFullWarning = (): string =>
  `WebSignIn: ${maxPending} sessions are waiting to be written to the sessions' index (the store failing or not answering): sessions past them are not indexed, removed at sessionMax by this process only while it runs (a restart leaves them in the store); said once until the queue is written`

/** How long one index call (a read, a write, a removal) may take before the index work is given up till the next sign-in. */
export const callTimeoutMillis = 30_000

/** The width of a bucket for a `sessionMax` of `maxMillis`. */
export const width = (maxMillis: number): number => Math.max(1, Math.ceil(maxMillis / divisions))

/** The bucket of a session whose `sessionMax` ends at `endsAt`. */
export const bucketOf = (endsAt: number, w: number): number => Math.floor(endsAt / w)

/** When a session's `sessionMax` ends (no renewal passes it): what its bucket is chosen by. */
export const endOf = (record: Pick<SessionRecord, "createdAt">, maxMillis: number): number =>
  record.createdAt + maxMillis

/** The marker's key. */
export const markerKey = (prefix: string): string => `${prefix}index`

/** A page's key. */
export const pageKey = (prefix: string, bucket: number, page: number): string =>
  `${prefix}index.${bucket}.${page}`

const digestPattern = /^[A-Za-z0-9_-]{43}$/

/** Whether `key` is a session's storage key (the prefix and a SHA-256 digest in base64url), not an index key. */
export const isSessionKey = (prefix: string, key: string): boolean =>
  key.startsWith(prefix) && digestPattern.test(key.slice(prefix.length))

/** Whether `key` is one of the index's keys (the marker or a page). */
export const isIndexKey = (prefix: string, key: string): boolean =>
  key === markerKey(prefix) ||
  (key.startsWith(`${markerKey(prefix)}.`) && /^-?\d+\.\d+$/.test(key.slice(markerKey(prefix).length + 1)))

/** The marker: the buckets' width, the newest bucket swept (`swept`), the newest written (`newest`), its pages. */
export interface Marker {
  readonly width: number
  readonly swept: number
  readonly newest: number
  readonly pages: number
}

export const encodeMarker = (m: Marker): string =>
  JSON.stringify({ v: 1, w: m.width, s: m.swept, n: m.newest, p: m.pages })

/** The marker read back; `undefined` for anything malformed (a damaged value). */
export const decodeMarker = (text: string): Marker | undefined => {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof raw !== "object" || raw === null) return undefined
  const r = raw as Record<string, unknown>
  const int = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v)
  if (r["v"] !== 1 || !int(r["w"]) || r["w"] < 1 || !int(r["s"]) || !int(r["n"]) || !int(r["p"]))
    return undefined
  return { width: r["w"], swept: r["s"], newest: r["n"], pages: Math.min(Math.max(r["p"], 0), maxPages) }
}

/**
 * The marker to work with, from what the store holds (`text`, `undefined` when there is none): the one read; with
 * none, a new one whose every bucket before now's counts as swept (nothing was written before it); a damaged one
 * replaced by one that looks {@link damagedLookback} buckets back. `write`: whether the store should get it.
 */
export const markerFrom = (
  text: string | undefined,
  now: number,
  maxMillis: number
): { readonly marker: Marker; readonly write: boolean } => {
  const read = text === undefined ? undefined : decodeMarker(text)
  if (read !== undefined) return { marker: read, write: false }
  const w = width(maxMillis)
  const current = bucketOf(now, w)
  const swept = current - 1 - (text === undefined ? 0 : damagedLookback)
  return { marker: { width: w, swept, newest: current - 1, pages: 0 }, write: true }
}

/**
 * The marker a sweep works with, from what the store holds (`text`, `undefined` when there is none) and the one this
 * process last saw or wrote (`seen`): `None` when there is neither (nothing was indexed yet: no sweep); the one seen
 * when the store holds none (not written back: a write that moves it on does); else {@link markerFrom}'s.
 */
export const sweepMarker = (
  text: string | undefined,
  seen: Marker | undefined,
  now: number,
  maxMillis: number
):
  | { readonly _tag: "None" }
  | { readonly _tag: "Marker"; readonly marker: Marker; readonly write: boolean } =>
  text === undefined && seen === undefined
    ? { _tag: "None" }
    : text === undefined && seen !== undefined
      ? { _tag: "Marker", marker: seen, write: false }
      : { _tag: "Marker", ...markerFrom(text, now, maxMillis) }

/**
 * Whether a process still keeps, at `now`, which of the sessions indexed in `bucket` it opened (their sweep leaves them
 * to the process): until the bucket is a `sessionMax` ({@link divisions} buckets) past; then a sweep takes those the
 * process no longer lists as another's (decided by their record: one removed already is skipped).
 */
export const keepsOwn = (bucket: number, now: number, w: number): boolean =>
  bucket >= bucketOf(now, w) - divisions

/**
 * `ours` written over what the store holds now (`text`): the width kept from a valid stored marker, the newer of
 * the swept buckets, the newer of the newest buckets (with its pages, the more when both are the same bucket).
 * Merging narrows what a concurrent writer's update loses (no compare-and-swap): a value only moves forward.
 */
export const mergeMarker = (text: string | undefined, ours: Marker): Marker => {
  const theirs = text === undefined ? undefined : decodeMarker(text)
  if (theirs === undefined) return ours
  return {
    width: theirs.width,
    swept: Math.max(theirs.swept, ours.swept),
    newest: Math.max(theirs.newest, ours.newest),
    pages:
      theirs.newest === ours.newest
        ? Math.max(theirs.pages, ours.pages)
        : theirs.newest > ours.newest
          ? theirs.pages
          : ours.pages
  }
}

/** A page's entries: storage keys' digests (the key without the prefix), nothing else. */
export const encodePage = (digests: ReadonlyArray<string>): string => JSON.stringify({ v: 1, k: digests })

/**
 * A page read back: its digests (entries that are not one dropped: a damaged entry never names a key to remove), or
 * `undefined` for a value that is no page.
 */
export const decodePage = (text: string): ReadonlyArray<string> | undefined => {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof raw !== "object" || raw === null) return undefined
  const r = raw as Record<string, unknown>
  const k = r["k"]
  if (r["v"] !== 1 || !Array.isArray(k)) return undefined
  return k.filter((d): d is string => typeof d === "string" && digestPattern.test(d))
}

/** The digest an index entry keeps for a session's storage key (`undefined` for a key that is no session's). */
export const digestOf = (prefix: string, storageKey: string): string | undefined =>
  isSessionKey(prefix, storageKey) ? storageKey.slice(prefix.length) : undefined

/** The session's storage key of an index entry. */
export const sessionKeyOf = (prefix: string, digest: string): string => `${prefix}${digest}`

/**
 * A page with `digests` added, from what the store holds (`text`): `Write` the new value (the digests that fit, at
 * most {@link pageSize} in all, `rest` the others), or `Full` (a full or damaged page, left as it is: the next page).
 */
export const appendToPage = (
  text: string | undefined,
  digests: ReadonlyArray<string>
):
  | { readonly _tag: "Write"; readonly text: string; readonly rest: ReadonlyArray<string> }
  | { readonly _tag: "Full" } => {
  const held = text === undefined ? [] : decodePage(text)
  if (held === undefined || held.length >= pageSize) return { _tag: "Full" }
  const room = pageSize - held.length
  return {
    _tag: "Write",
    text: encodePage([...held, ...digests.slice(0, room)]),
    rest: digests.slice(room)
  }
}

/** The most buckets past their own a sweep's kept sessions go on to when their bucket is full ({@link spill}). */
export const maxSpill = divisions

/**
 * Which of the entries a bucket had no room for (its {@link maxPages} pages full), `hops` buckets past their own, go
 * on to the next bucket: the sessions of another process a sweep keeps (their page is about to go: not written, they
 * would be on no page, never removed), while fewer than {@link maxSpill} buckets past it (a later bucket only makes a
 * sweep find them later: it removes by their record, never early). This process's own are not: it removes them at
 * `sessionMax` while it runs.
 */
export const spill = (rest: ReadonlyArray<Entry>, hops: number): ReadonlyArray<Entry> =>
  hops < maxSpill ? rest.filter((entry) => !entry.own) : []

/**
 * The pages one run of the index's work (a sweep and the writes of the sessions it keeps, then of the queue) found
 * full, by bucket: each bucket's first page not found full (`maxPages` for a bucket found full, each of its
 * {@link maxPages} pages full or damaged). Pages are only added to, and a bucket's pages go only when a sweep reads
 * it, wholly past, while a run's writes go to buckets not swept ({@link rebase}) and its sweep reads only buckets
 * wholly past at its start: a page the run found full (or filled) stays so for the run, and {@link startPage} sends
 * its later batches past it unread. The run reads each full page once, not once a batch: its writes read at most
 * {@link maxPages} full pages of each bucket they write to or spill into ({@link spill}; the buckets its sessions
 * end in, {@link divisions} + 1 from now on when the buckets' width is this process's, and up to {@link maxSpill}
 * after them), whatever the number of batches. Before, each batch of {@link pageSize} sessions read the full pages
 * of its buckets and of up to {@link maxSpill} full buckets after them again (up to 1,088 reads a batch), and a sweep
 * writes the sessions it keeps {@link pageSize} at a time. Keyed by the buckets' width too: a marker of another
 * width (a damaged one replaced) numbers other buckets. But for a {@link rebase}: the marker moved on by a clock
 * ahead of this one, whose sweep may have removed pages the run found full (a bucket past for it, not for this run);
 * written past them, a session would follow missing pages, where no sweep reads (a sweep stops at the first page
 * missing). A rebase starts the run's `FullPages` afresh, as it forgets the page it writes to.
 */
export interface FullPages {
  /** The first page of `bucket` (of buckets `width` wide) the run has not found full: 0 when none. */
  readonly from: (width: number, bucket: number) => number
  /** Says the run found `page` of `bucket` (of buckets `width` wide) full, or filled it. */
  readonly full: (width: number, bucket: number, page: number) => void
  /**
   * Forgets what the run found of `bucket`'s pages: some are gone ({@link resumesAfterGap}), read again from the first.
   */
  readonly forget: (width: number, bucket: number) => void
}

/** No page found full yet: a run's start. */
export const makeFullPages = (): FullPages => {
  const from = new Map<string, number>()
  return {
    from: (width, bucket) => from.get(`${width}.${bucket}`) ?? 0,
    full: (width, bucket, page) => {
      const key = `${width}.${bucket}`
      from.set(key, Math.max(from.get(key) ?? 0, page + 1))
    },
    forget: (width, bucket) => {
      from.delete(`${width}.${bucket}`)
    }
  }
}

/**
 * Whether a writer that found `page` of a bucket missing, the page it started at past pages it did not read
 * ({@link startPage}: the page it writes to, one after those the run found full, the marker's hint), must read the
 * bucket again from its first page: `page` is past the first and the page before it (`before`, read for this) is
 * missing too. A sweep of that bucket by another process (a clock ahead), cut short partway, removed its last pages
 * (a sweep removes them the last first) and left the marker as it was: written to `page`, a session would be after a
 * missing page, where no sweep reads (a sweep stops at a bucket's first missing page). One read, only when the page
 * is missing (a new page, once every {@link pageSize} sessions, or one such a sweep removed); a page that is there has
 * every page before it there (removed the last first).
 */
export const resumesAfterGap = (page: number, before: string | undefined): boolean =>
  page > 0 && before === undefined

/**
 * The page a writer of the run reads first in `bucket`: the page it writes to (`cursor`) when that is the bucket's,
 * else {@link firstPage}, but never one the run found full ({@link FullPages}: {@link maxPages}, past the last, for a
 * bucket found full).
 */
export const startPage = (
  full: FullPages,
  marker: Marker,
  bucket: number,
  cursor: { readonly bucket: number; readonly page: number } | undefined
): number =>
  Math.max(
    full.from(marker.width, bucket),
    cursor?.bucket === bucket ? cursor.page : firstPage(marker, bucket)
  )

/**
 * The page a writer starts a bucket at: the marker's hint when it is that bucket's (its last page, which may have
 * room), else the first.
 */
export const firstPage = (marker: Marker, bucket: number): number =>
  marker.newest === bucket ? Math.max(0, marker.pages - 1) : 0

/**
 * The marker a writer goes on with before it writes to `bucket` (a session's, whose `sessionMax` ends after now), when
 * `marker` says that bucket is swept already, so that no sweep would ever read it: the clock was set back by more than
 * about a `sessionMax` since the marker moved on (or the process that moved it had a clock that far ahead). Rebased on
 * now: the buckets before now's swept, none written after them, so sweeps reach the buckets written from now on. It
 * replaces the stored marker ({@link mergeMarker} would keep the later buckets). The pages of the buckets the old
 * marker had not swept stay, read by a sweep once the clock, and the newest bucket written, pass them again.
 * `undefined`: the bucket is ahead of the swept ones, the marker kept.
 */
export const rebase = (marker: Marker, bucket: number, now: number): Marker | undefined => {
  if (bucket > marker.swept) return undefined
  const before = bucketOf(now, marker.width) - 1
  return { width: marker.width, swept: before, newest: before, pages: 0 }
}

/** The warning of a marker rebased ({@link rebase}): the clock went back. */
export const rebaseWarning =
  "WebSignIn: the sessions' index was moved on by a clock later than this one (the clock set back by more than sessionMax?): it goes on from now; the sessions indexed before whose sessionMax ends later than now are swept once the clock passes it"

/** The marker after a write to `page` of `bucket`, or `undefined` when it already says as much. */
export const markerAfterWrite = (marker: Marker, bucket: number, page: number): Marker | undefined =>
  bucket > marker.newest
    ? { ...marker, newest: bucket, pages: page + 1 }
    : bucket === marker.newest && page + 1 > marker.pages
      ? { ...marker, pages: page + 1 }
      : undefined

/**
 * How far behind the last bucket it may read (the newest written, or, when that is not past yet, the last wholly past)
 * a sweep starts at most: four `sessionMax` spans. Sign-ins write and sweep alike, so the buckets swept stay within
 * about one span of the newest (a long downtime writes nothing); a marker further behind (sweeps failing for long, a
 * value edited by hand) has its older buckets left in the store rather than a sweep that would take a sign-in per
 * {@link maxSweepBuckets} of them to catch up. Not behind the newest written when that is ahead of now: a newest bucket
 * far ahead (written by a process whose `sessionMax` is more than four times the one the buckets' width was chosen
 * by, or by a sign-in with the clock run ahead, then set right) would leave every bucket before it unswept.
 */
export const maxLag = 4 * divisions

/**
 * The buckets a sweep at `now` reads, oldest first: after the newest swept (at most {@link maxLag} behind the last it
 * may read), up to the newest written, only buckets wholly past (every session in them has reached its `sessionMax`),
 * at most {@link maxSweepBuckets}.
 */
export const sweepBuckets = (marker: Marker, now: number): ReadonlyArray<number> => {
  const last = Math.min(marker.newest, bucketOf(now, marker.width) - 1)
  const out: Array<number> = []
  for (let b = Math.max(marker.swept, last - maxLag) + 1; b <= last && out.length < maxSweepBuckets; b++) {
    out.push(b)
  }
  return out
}

/** Whether a sweep at `now` has anything to read, by the marker as this process last saw it (none yet: it may). */
export const sweepDue = (marker: Marker | undefined, now: number): boolean =>
  marker === undefined || sweepBuckets(marker, now).length > 0

/**
 * What a sweep does with a session its index names that this process opened and indexed, by when this process has it
 * end (`endsAt`: its creation plus `sessionMax`, which no renewal passes; `undefined` when the process has removed it,
 * or seen it removed): `Skip` it (the store not asked), or, still listed (its removal by the process runs beside the
 * sweep, or failed, or was stopped), `Keep` it, indexed again at the earliest in the bucket of now (`endsAt`, the later
 * of the two): the sweep removes the page it was on, and a process stopped before its removal (a restart) would leave
 * it in the store with no page naming it. The process's own removal stays the one that removes it (no second removal);
 * the sweep of that later bucket skips it once removed, or, the process gone, removes it by its record.
 */
export const ownSweepDecision = (
  endsAt: number | undefined,
  now: number
): { readonly _tag: "Skip" } | { readonly _tag: "Keep"; readonly endsAt: number } =>
  endsAt === undefined ? { _tag: "Skip" } : { _tag: "Keep", endsAt: Math.max(endsAt, now) }

/**
 * What a sweep does with a session its index names, by the session's record as the store holds it now (`undefined`:
 * none, or a damaged one, which no sign-in accepts): `Remove` it when this process would take it as ended were it
 * presented ({@link renewal}: its idle expiry or its `sessionMax`, this process's, passed), else `Keep` it, to be
 * indexed again by the end of its `sessionMax` (`endsAt`, after `now`). The bucket only says where to look: a
 * session indexed by a process with a shorter `sessionMax` (an earlier run, another process), renewed since by one
 * with a longer, or found through a marker of another width (a damaged one replaced) is not removed while it lives.
 */
export const sweepDecision = (
  record: Pick<SessionRecord, "createdAt" | "expiresAt"> | undefined,
  now: number,
  idleMillis: number,
  maxMillis: number
): { readonly _tag: "Remove" } | { readonly _tag: "Keep"; readonly endsAt: number } =>
  record === undefined || renewal(now, record, idleMillis, maxMillis)._tag === "Expired"
    ? { _tag: "Remove" }
    : { _tag: "Keep", endsAt: endOf(record, maxMillis) }

/**
 * {@link sweepDecision} by the session's value as the store holds it now (`stored`; `undefined`: none): `Skip` a
 * session the store no longer holds (removed already, by a sign-out, its process or another: nothing to remove), else
 * as {@link sweepDecision} decides by its record (a damaged one removed).
 */
export const sweepDecisionOf = (
  stored: string | undefined,
  now: number,
  idleMillis: number,
  maxMillis: number
):
  | { readonly _tag: "Skip" }
  | { readonly _tag: "Remove" }
  | { readonly _tag: "Keep"; readonly endsAt: number } =>
  stored === undefined ? { _tag: "Skip" } : sweepDecision(decodeSession(stored), now, idleMillis, maxMillis)
