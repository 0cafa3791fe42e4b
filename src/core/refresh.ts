/**
 * The decisions of the one token-refresh mechanism (single flight, cooldown,
 * sign-out aware, optionally ahead of expiry), as plain functions over its
 * state: each edition's `internal/refresh.ts` holds the state in its own
 * `SynchronizedRef` and runs `obtain` as its Effect line does. Tokens are
 * compared by their text here, which never leaves the edition's state.
 *
 * @internal
 */
import { fieldOf } from "./decode.js"
import { plexErrorTags } from "./errors.js"
import * as V from "./validate.js"

/**
 * Why a refresh gave no new token: `obtain` failed (`Failed`, then
 * `CoolingDown`), handed back the refused token (`SameToken`), or a token
 * obtained moments ago was refused too (`FreshTokenRefused`), each holding
 * off another refresh of that token for the cooldown; or the token was
 * signed out (`SignedOut`, for good); or the credentials' scope (their
 * layer's) has closed (`Closed`: no refresh starts any more).
 */
export type Reason = "Failed" | "SameToken" | "CoolingDown" | "SignedOut" | "FreshTokenRefused" | "Closed"

/** The token no new one may replace (for now), why, and since when (epoch ms). */
export interface Spent {
  readonly token: string
  readonly reason: Reason
  readonly at: number
  /** `Failed`: what `obtain` failed with ({@link errorWord}), said again by the refusals of its cooldown. */
  readonly error?: string | undefined
}

/** What the decisions read of the state. */
export interface State {
  /**
   * When the current token was obtained by a refresh: not the initial one, nor one a refresh reused (taken from a
   * store, which another process may have left there revoked); their refusal is not a fresh token's.
   */
  readonly refreshedAt?: number | undefined
  /** The token whose refresh obtained the current one. */
  readonly renewedFrom?: string | undefined
  /** When the current token expires (epoch ms), when known. */
  readonly expires?: number | undefined
  /** When a refresh ahead of expiry last failed. */
  readonly aheadFailedAt?: number | undefined
  readonly spent?: Spent | undefined
  /** The credentials' scope (their layer's) has closed: no refresh starts any more ({@link blocked}). */
  readonly closed?: boolean | undefined
}

/**
 * Whether less than `cooldown` has passed since `since`. A clock moved back
 * before `since` (a correction) ends the wait instead of stretching it by
 * however far the clock went back: one refresh may then run, and what it
 * records holds off the next from the new time.
 */
const within = (since: number, now: number, cooldown: number): boolean =>
  now >= since && now - since < cooldown

/**
 * Whether a sign-out of `signedOut` drops `current`, the token a refresh of
 * it obtained: the sign-out read its token before the refresh replaced it,
 * so it was on its way during the refresh, and a sign-out during a refresh
 * wins (the credentials go back to the signed-out token, never replaced).
 */
export const signOutDrops = (state: State, current: string, signedOut: string): boolean =>
  current !== signedOut && state.renewedFrom === signedOut

/**
 * Why `token` may not be replaced now, if it may not: signed out (for good),
 * the credentials closed (their scope, where a refresh would run, is gone: a
 * refresh started now would be interrupted at once, or in the Effect 4
 * edition never run at all, and stay recorded as in flight), or a failure, a
 * refresh that handed it back unchanged, or a refused fresh token less than
 * `cooldown` ago. Handed back unchanged is not final: an `obtain` that reads
 * a store another process updates may find a new token later, so after the
 * cooldown a refusal may try again, as after a failure.
 */
export const blocked = (state: State, token: string, now: number, cooldown: number): Reason | undefined => {
  const spent = state.spent?.token === token ? state.spent : undefined
  if (spent?.reason === "SignedOut") return spent.reason
  if (state.closed === true) return "Closed"
  if (spent !== undefined && within(spent.at, now, cooldown)) {
    return spent.reason === "Failed" ? "CoolingDown" : spent.reason
  }
  return undefined
}

/** What to do when `refused` was refused while the state holds `current`. */
export type OnRefusal =
  | { readonly _tag: "UseCurrent" }
  | {
      readonly _tag: "Blocked"
      readonly reason: Reason
      /** `CoolingDown`: what the attempt that started the cooldown failed with. */
      readonly error?: string | undefined
    }
  | { readonly _tag: "FreshTokenRefused"; readonly spent: Spent }
  | { readonly _tag: "Renew" }

/**
 * Someone else already replaced the refused token: use theirs. Otherwise,
 * unless it is blocked, a token obtained by a refresh less than `cooldown`
 * ago that is refused too means the server refuses fresh tokens: none is
 * obtained for `cooldown`. Else obtain a new one.
 */
export const onRefusal = (
  state: State,
  current: string,
  refused: string,
  now: number,
  cooldown: number
): OnRefusal => {
  if (current !== refused) return { _tag: "UseCurrent" }
  const reason = blocked(state, refused, now, cooldown)
  const error = reason === "CoolingDown" ? state.spent?.error : undefined
  if (reason !== undefined)
    return error === undefined ? { _tag: "Blocked", reason } : { _tag: "Blocked", reason, error }
  if (state.refreshedAt !== undefined && within(state.refreshedAt, now, cooldown)) {
    return { _tag: "FreshTokenRefused", spent: { token: refused, reason: "FreshTokenRefused", at: now } }
  }
  return { _tag: "Renew" }
}

/**
 * What `obtain` gave for `current`: a fresh token, or why not (it failed:
 * `fresh` undefined, with what it failed with as `error`; or it handed back the same token), as the spent record.
 */
export const renewed = (
  current: string,
  fresh: string | undefined,
  now: number,
  error?: string
): Spent | undefined =>
  fresh === undefined
    ? error === undefined
      ? { token: current, reason: "Failed", at: now }
      : { token: current, reason: "Failed", at: now, error }
    : fresh === current
      ? { token: current, reason: "SameToken", at: now }
      : undefined

/**
 * Whether `current` should be refreshed ahead of its expiry: it expires
 * within `margin`, it was not itself obtained by a refresh less than
 * `cooldown` ago (a margin longer than the tokens' lifetime would otherwise
 * refresh on every read), no ahead refresh failed less than `cooldown` ago,
 * and it is not blocked.
 */
export const dueAhead = (
  state: State,
  current: string,
  now: number,
  margin: number,
  cooldown: number
): boolean =>
  state.expires !== undefined &&
  state.expires - now <= margin &&
  (state.refreshedAt === undefined || !within(state.refreshedAt, now, cooldown)) &&
  (state.aheadFailedAt === undefined || !within(state.aheadFailedAt, now, cooldown)) &&
  blocked(state, current, now, cooldown) === undefined

/**
 * Whether the current token has expired (its expiry known and passed): it is
 * not served without a refresh tried first, whatever the cooldown of a failed
 * refresh ahead of expiry says. That refresh is bounded as one after a
 * refusal is (the server would refuse the token): {@link onRefusal} decides it.
 */
export const expired = (state: State, now: number): boolean =>
  state.expires !== undefined && state.expires <= now

const reasons: ReadonlyArray<unknown> = [
  "Failed",
  "SameToken",
  "CoolingDown",
  "SignedOut",
  "FreshTokenRefused",
  "Closed"
]

/** Why a refresh gave no new token, when the failure says (a `RefreshFailed`): put on the refused call's error. */
export const reasonOf = (failure: unknown): Reason | undefined => {
  const reason = fieldOf(failure, "reason")
  return reasons.includes(reason) ? (reason as Reason) : undefined
}

/**
 * What `obtain` failed with, when a refresh failed there (`Failed`, its error kept as the `cause`): the error's
 * `_tag` when it is one of this library's errors (`NetworkError`, `Unexpected` such as a 503 at PIN creation,
 * `Unauthorized` when plex.tv refused the device's key or password, `PinExpired`, `InvalidInput` for a token that is
 * none), else `"Other"`: a caller's `obtain` may fail with anything, and nothing of that is kept (not its message,
 * nor a tag of its own, which could hold anything). With `CoolingDown`, what the attempt that started the cooldown
 * failed with (its `error`). Undefined for any other reason (no `obtain` failed).
 */
export const obtainFailureOf = (failure: unknown): string | undefined => {
  const reason = fieldOf(failure, "reason")
  const cause = fieldOf(failure, "cause")
  if (reason === "Failed") return cause === undefined ? undefined : errorWord(cause)
  // A cooldown's refusal: what the attempt that started it failed with (a word this module gave, nothing else).
  const error = fieldOf(failure, "error")
  // A tag of the list or "Other" (`includes` matches no value that is not a string).
  return reason === "CoolingDown" &&
    (error === "Other" || (plexErrorTags as ReadonlyArray<unknown>).includes(error))
    ? (error as string)
    : undefined
}

/** What an error `obtain` failed with is called ({@link obtainFailureOf}): this library's tag, else `"Other"`. */
export const errorWord = (error: unknown): string => {
  const tag = fieldOf(error, "_tag")
  return (plexErrorTags as ReadonlyArray<unknown>).includes(tag) ? (tag as string) : "Other"
}

/**
 * What a refused call's `Unauthorized` says of the refresh that gave no new token (both editions' request engine):
 * why (`reauthentication`), and what `obtain` failed with (`reauthenticationError`, {@link obtainFailureOf}) when
 * it did; undefined when the failure is not a refresh's (a caller's own `refresh`), which leaves the error as it was,
 * and for `Closed`: no re-authentication was tried (the credentials' scope is gone), and the refusal is what the
 * server said, as from credentials that cannot re-authenticate.
 */
export const reauthenticationOf = (
  failure: unknown
):
  | { readonly reauthentication: Exclude<Reason, "Closed">; readonly reauthenticationError?: string }
  | undefined => {
  const reauthentication = reasonOf(failure)
  const reauthenticationError = obtainFailureOf(failure)
  return !reauthentication || reauthentication === "Closed"
    ? undefined
    : reauthenticationError
      ? { reauthentication, reauthenticationError }
      : { reauthentication }
}

/**
 * The Debug line both editions' refresh logs for each caller refused with a token that got no new one:
 * `re-authentication gave no new token: Failed (NetworkError)`. A reason and a tag, never a value.
 */
export const noNewTokenMessage = (failure: unknown): string => {
  const why = reauthenticationOf(failure)
  return `re-authentication gave no new token: ${why?.reauthentication ?? reasonOf(failure) ?? "error"}${why?.reauthenticationError === undefined ? "" : ` (${why.reauthenticationError})`}`
}

/** `RefreshFailed Failed`, `Unauthorized`, ...: a failure's tag and reason for a log, never a value. */
export const describeFailure = (failure: unknown): string =>
  `${String(fieldOf(failure, "_tag") ?? "error")} ${String(fieldOf(failure, "reason") ?? "")}`.trim()

/**
 * `Credentials.makeRefreshing`'s option at fault: the options (an object), `obtain` (an `Effect`), an `initial` that
 * is not a `Redacted` token (`redactedProblem`), a `cooldown` that is not a positive, finite duration (zero would let
 * a storm of 401s become a storm of sign-ins; `durationProblem`, given the reason an infinite one is refused). What
 * it says of an `Effect`, a `Redacted` token and a duration is the edition's.
 */
export const refreshingProblem = (
  options: unknown,
  is: {
    readonly effect: (u: unknown) => boolean
    readonly redactedProblem: (u: unknown) => string | undefined
    readonly durationProblem: (u: unknown, infinite: string) => string | undefined
  }
): V.FieldProblem | undefined =>
  V.firstProblem([
    ["options", () => V.objectProblem(options, false)],
    ["obtain", () => V.must(is.effect, V.notEffect)(V.member(options, "obtain"))],
    ["initial", () => V.whenGiven(V.member(options, "initial"), is.redactedProblem)],
    [
      "cooldown",
      () => V.whenGiven(V.member(options, "cooldown"), (u) => is.durationProblem(u, "must be finite"))
    ]
  ])

/**
 * `Credentials.layerStored`'s option at fault: the options (an object), `obtain` (an `Effect`), `key` (a string, not
 * empty nor blank).
 */
export const storedProblem = (
  options: unknown,
  isEffect: (u: unknown) => boolean
): V.FieldProblem | undefined =>
  V.firstProblem([
    ["options", () => V.objectProblem(options, false)],
    ["obtain", () => V.must(isEffect, V.notEffect)(V.member(options, "obtain"))],
    ["key", () => V.optionalStoreKeyProblem(V.member(options, "key"))]
  ])

/**
 * How many of the tokens it has held `Credentials.layerStored` remembers ({@link heldNext}): the last few dozen
 * are enough. A token of its own is found in the store again only when the writes after it failed (the store
 * holds the one it last kept, or another process's); that one is among the last it held unless dozens of
 * refreshes in a row (each after a refusal, sign-ins bounded by the cooldown) could not write either. Then the
 * oldest is taken once more: one request refused, and it is held again. Unbounded, a long run would keep every
 * token it ever had.
 */
export const heldLimit = 32

/** The tokens held (oldest first) once `token` is held too: the last {@link heldLimit}. */
export const heldNext = <T>(held: ReadonlyArray<T>, token: T): ReadonlyArray<T> =>
  [...held, token].slice(-heldLimit)

/**
 * The `KeyValueStore` key under which `Credentials.layerStored` keeps the token by default (each edition's
 * `Credentials.defaultStoreKey`; the CLI's saved login): the same in both editions, so that a store written by one is
 * read by the other.
 */
export const tokenStoreKey = "effect-plex-auth/token"

/**
 * What `Credentials.layerStored` re-authenticates with before it runs `obtain`: the token now in its store when
 * another process put it there (a `plex-auth login`, another run's re-authentication, both keeping the same
 * file), that is, when it is a token and not one this layer has held (`isHeld`: the one it started with and
 * each it stored, the last {@link heldLimit}; a store write that failed leaves one of those behind, which must
 * not be taken again). Undefined when there is none such: then `obtain` runs.
 */
export const storedReplacement = (
  stored: string | undefined,
  isHeld: (token: string) => boolean
): string | undefined =>
  stored === undefined || V.tokenProblem(stored) !== undefined || isHeld(stored) ? undefined : stored

/**
 * While one process runs `obtain` for `Credentials.layerStored` (a PIN login the user approves, a sign-in), or for
 * `Jwt.layerStored` (the lease under its token's entry) when it starts with no key (the waiting processes take the key
 * and token it stores) or when plex.tv refuses its key, at the start or at a refresh (its `refusedKeyObtain`: the
 * waiting processes take the token it stores, bound to their key), it keeps a lease in the store under
 * {@link obtainingKey}, renewed every `renewMillis` and good for `leaseMillis`: another process sharing the store that
 * needs a token too (refused at the same moment, or started with none) waits for the token the first stores, looking
 * every `pollMillis`, instead of running `obtain` as well (a second PIN for the user to approve). A lease not renewed
 * (its process died) ends after `leaseMillis`; a poll later (one more look for the token, which a holder stores just
 * after it releases the lease) the next waiting process takes it. Best effort, as the store allows: a store that cannot
 * keep the lease leaves each process to run `obtain`. A lease whose end is up to `skewMillis` further than a lease
 * lasts is still good ({@link liveLeaseHolder}): written by a clock a little ahead (another machine over a shared
 * store) or just before this one was set back.
 */
export const obtainLease = {
  leaseMillis: 30_000,
  renewMillis: 10_000,
  pollMillis: 1_000,
  skewMillis: 5_000
} as const

/** The store key of the lease held while `obtain` runs for the token under `key`. */
export const obtainingKey = (key: string): string => `${key}:obtaining`

/** A lease held by `holder` until `until` (epoch ms), as stored. */
export const encodeLease = (holder: string, until: number): string => JSON.stringify({ holder, until })

/** What a stored lease says, or undefined when `text` is none or unreadable. */
const decodeLease = (
  text: string | undefined
): { readonly holder: string; readonly until: number } | undefined => {
  if (text === undefined) return undefined
  try {
    const lease: unknown = JSON.parse(text)
    if (typeof lease !== "object" || lease === null) return undefined
    const { holder, until } = lease as { readonly holder?: unknown; readonly until?: unknown }
    return typeof holder === "string" && typeof until === "number" ? { holder, until } : undefined
  } catch {
    return undefined
  }
}

/** The holder of the lease `text`, good or ended (to release only a lease of one's own). */
export const leaseHolder = (text: string | undefined): string | undefined => decodeLease(text)?.holder

/**
 * The holder of the lease `text`, when it is still good at `now`, else undefined (none, ended, unreadable, or one
 * ending further than a lease ever lasts, give or take `skewMillis`: a clock far ahead, a value not written by a
 * lease, must not hold others off for much longer than a lease; a clock a little ahead, or this one set back a
 * little, must not end a lease just renewed, or two processes sign in).
 */
export const liveLeaseHolder = (text: string | undefined, now: number): string | undefined => {
  const lease = decodeLease(text)
  return lease !== undefined &&
    lease.until > now &&
    lease.until <= now + obtainLease.leaseMillis + obtainLease.skewMillis
    ? lease.holder
    : undefined
}

/** A holder id for one layer's leases (random: two processes never share one; `getRandomValues`, which a page
 * served over plain http has too, unlike `randomUUID`). */
export const newLeaseHolder = (): string =>
  Array.from(globalThis.crypto.getRandomValues(new Uint8Array(16)), (byte) =>
    byte.toString(16).padStart(2, "0")
  ).join("")

/**
 * Calls `onHide` when the web page this code runs in goes away (`pagehide`: reloaded, closed, navigated away from,
 * or put in the back/forward cache), and `onShow` when it comes back from that cache (`pageshow`, `persisted`),
 * until the function returned is called. A page that goes away runs no finalizer: a lease (`obtainLease`) its
 * sign-in held would hold the next page's sign-in (the user reloaded while the PIN window was open) off for
 * `leaseMillis`; a page brought back goes on with its sign-in, which claims the lease again. Only a page (a window:
 * `onpagehide` is one of its own) is listened to: a global with `addEventListener` that is no page (Deno, a web or
 * service worker, Cloudflare's workerd) is left alone, as Node and Bun are (a service worker's console warns of each
 * listener added after its script first ran: one per sign-in). `onHide` must do its work at once: the page is going.
 */
export const onPageHide = (onHide: () => void, onShow: () => void): (() => void) => {
  const target = globalThis as {
    readonly addEventListener?: (type: string, listener: (event: unknown) => void) => void
    readonly removeEventListener?: (type: string, listener: (event: unknown) => void) => void
  }
  const { addEventListener: add, removeEventListener: remove } = target
  if (!("onpagehide" in target) || typeof add !== "function" || typeof remove !== "function") return () => {}
  const hidden = () => {
    try {
      onHide()
    } catch {
      // The page is going: nothing to report to.
    }
  }
  // Not a page loaded anew (its sign-in is another): one restored from the back/forward cache.
  const shown = (event: unknown) => {
    if ((event as { readonly persisted?: unknown } | undefined)?.persisted === true) onShow()
  }
  add.call(target, "pagehide", hidden)
  add.call(target, "pageshow", shown)
  return () => {
    remove.call(target, "pagehide", hidden)
    remove.call(target, "pageshow", shown)
  }
}

/**
 * What a process logs (Info) when it starts waiting for another process's lease (`obtainLease`): why it is not
 * signing in itself. No key, holder or value: nothing a log reader could use.
 */
export const leaseWaitMessage =
  "Another process sharing this store is signing in (a PIN to approve?): waiting for the token it stores instead of asking for a second sign-in"
