/**
 * The pieces of the one token-refresh mechanism that only its running part uses (each edition's
 * `internal/refresh.ts` `make`, and the `obtain` check of `Credentials.makeRefreshing` and the `Jwt` credentials):
 * why a refresh gave no new token (its `RefreshFailed`), who waits for a refresh in flight, what its failure leaves
 * in the state for them, what it logs when a refresh a reader waited for gave no new token, and why a token `obtain`
 * gave is refused; and whether a refusal of a validity check (`Credentials.validate`, `ServerAccess.check`) says the
 * token is no good. In a module of its own, beside `core/refresh.ts`, so that the request path's bundles, which take
 * only the refused call's pieces of that module, carry none of it (a new export there renames their minified
 * symbols: a byte or more each, measured).
 *
 * @internal
 */
import { errorWord, type Reason, type Spent } from "./refresh.js"

/**
 * Why a refresh gave no new token. Logged at Debug level by `refresh` (each
 * caller refused) and put on the operation's `Unauthorized` as its
 * `reauthentication` (and `obtain`'s error's tag as `reauthenticationError`).
 */
export interface RefreshFailed {
  readonly _tag: "RefreshFailed"
  readonly reason: Reason
  readonly cause?: unknown
  /** `CoolingDown`: what the attempt that started the cooldown failed with (a tag of this library's, or `Other`). */
  readonly error?: string
}

/** A {@link RefreshFailed} for `reason`, with what `obtain` failed with (`cause`) or, in a cooldown, its word (`error`). */
export const failed = (reason: Reason, cause?: unknown, error?: string): RefreshFailed =>
  cause !== undefined
    ? { _tag: "RefreshFailed", reason, cause }
    : error !== undefined
      ? { _tag: "RefreshFailed", reason, error }
      : { _tag: "RefreshFailed", reason }

/**
 * Why a token `obtain` gave is refused (`reason`: why the token check refused it, as for the `token` option), on
 * the `InvalidInput` naming `obtain` (`Credentials.makeRefreshing` and the `Jwt` credentials).
 */
export const obtainedTokenProblem = (reason: string): string => `its token ${reason}`

/**
 * The warning of a refresh that gave no new token when a reader of the token waited for it: of the expired token
 * (`expired`: it is tried again after the cooldown, and requests with the expired one are refused until then), else
 * of one ahead of expiry (the current token is kept). `name` is what the token is called (`"token"` when not said);
 * `cause` is what `obtain` failed with, said as a word (`core/refresh.ts` `errorWord`), never its message.
 */
export const failedWarning = (expired: boolean, name: string | undefined, cause: unknown): string =>
  expired
    ? `refreshing the expired ${name ?? "token"} failed (${errorWord(cause)}); it is tried again after the cooldown, and requests with the expired one are refused until then`
    : `refreshing the ${name ?? "token"} failed (${errorWord(cause)}); keeping the current one`

/** Why a caller waits for a refresh: its token was refused, it reads a token due ahead of expiry, or an expired one. */
export type Want = "refused" | "ahead" | "expired"

/** Who waits for a refresh in flight. */
export interface Waiters {
  /** A caller refused with the token waits for it: a failure counts for the cooldown. */
  readonly refused: boolean
  /** A reader refreshing ahead of expiry waits for it: a failure is retried on a read after the cooldown. */
  readonly ahead: boolean
  /** A reader of the expired token waits for it: a failure is logged as such. */
  readonly expired: boolean
}

/**
 * Who waits for a refresh once a caller who wants it `as` starts it (`waiters` undefined) or joins it. The expired
 * token's refresh counts as a refusal's: its failure holds off another for the cooldown.
 */
export const waiting = (as: Want, waiters?: Waiters): Waiters => ({
  refused: waiters?.refused === true || as !== "ahead",
  ahead: waiters?.ahead === true || as === "ahead",
  expired: waiters?.expired === true || as === "expired"
})

/**
 * What a refresh that gave no new token leaves in the state for who waited for it: a refused token's failure
 * (`spent`) holds off another refresh of it for the cooldown; one ahead of expiry only delays the next one ahead
 * (`aheadFailedAt`: a refusal still refreshes at once).
 */
export const afterFailure = (
  waiters: Waiters,
  spent: Spent | undefined,
  now: number
): { readonly spent?: Spent | undefined; readonly aheadFailedAt?: number } => ({
  ...(waiters.refused ? { spent } : {}),
  ...(waiters.ahead ? { aheadFailedAt: now } : {})
})

/** Which warning ({@link failedWarning}) a refresh that gave no new token logs: the expired token's, one ahead of expiry, or none (a refusal's). */
export const warningOf = (waiters: Waiters): "ahead" | "expired" | undefined =>
  waiters.expired ? "expired" : waiters.ahead ? "ahead" : undefined

/**
 * Whether plex.tv's refusal of `GET /api/v2/user` (`PlexAuth.getTokenDetails`) with HTTP `status`, an `Unauthorized`,
 * says the token is no good (`Credentials.validate`'s `Invalid`: sign in again); the same for `GET /api/v2/resources`
 * (`ServerAccess.check`'s `InvalidToken`, core `access.ts` `failure`), which plex.tv answers 200 for a managed user too. plex.tv refuses a token there with
 * 401 (code 1001, "User could not be authenticated"), 498 (a Plex JWT expired) or 422 "Invalid token" (a revoked
 * one), and answers 200 to every token it accepts, a managed Home user's too: python-plexapi's and @ctrl/plex's
 * `switchHomeUser` read the switched user's account at this endpoint with that user's token
 * (`MyPlexAccount(token=...)`, `.connect()`). A 403 is how plex.tv refuses a valid token what its account may not do
 * (a managed user's claim token, a Home switch's PIN), not a token at this endpoint (python-plexapi's
 * `MyPlexAccount.query` reads a 403 as `BadRequest`, not `Unauthorized`), or a proxy's refusal: it says nothing
 * about the token (`Unknown`: keep it).
 */
export const tokenRefusedBy = (status: number): boolean => status !== 403
