/**
 * The one token-refresh mechanism, behind `Credentials.makeRefreshing`,
 * `Credentials.layerSignIn` / `layerPinLogin` / `layerStored` and the `Jwt`
 * credentials:
 *
 * - single flight: concurrent callers refused with the same token share one
 *   refresh, and one holding a token already replaced gets the new one;
 * - never twice for the same refused token: when `obtain` fails, or hands
 *   back the token that was refused, no new attempt is made for `cooldown`;
 * - bounded: when a token obtained by a refresh less than `cooldown` ago is
 *   refused too, the server refuses fresh tokens: none is obtained for
 *   `cooldown` (a storm of 401s never becomes a storm of password sign-ins,
 *   which is what trips Plex's 1031 lock);
 * - sign-out aware: a token signed out with `PlexAuth.signOut` is never
 *   replaced, on a refusal or ahead of its expiry;
 * - optionally ahead of expiry: with `expiresAt`, reading a token that
 *   expires within `margin` refreshes it first (a failure keeps serving the
 *   current token and is retried after `cooldown`);
 * - independent of its callers: the refresh (`obtain`) runs once, in its own
 *   fiber forked into the scope the credentials are made in (a layer's), not
 *   on the fiber of the caller who started it. Callers only wait for it, and
 *   interruptibly: a caller interrupted (a timeout, a lost race, a cancelled
 *   request) stops waiting, while the refresh goes on for the others; when
 *   every caller is gone it still completes and its token is kept for the
 *   next call (a sign-in Plex may have processed is never sent twice because
 *   its caller went away);
 * - a sign-out during a refresh wins: `signedOut` does not wait for it, and
 *   when the refresh of the signed-out token completes its token is dropped
 *   (its waiters fail with `SignedOut`);
 * - scoped: closing that scope (the app shutting down) interrupts a refresh
 *   in flight and waits for it to stop; its waiters are interrupted too. A
 *   refresh whose `obtain` dies hands the defect to its waiters and the next
 *   refusal starts a new one.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as Core from "../../../src/core/refresh.js"
import type { CredentialsService } from "../Credentials.js"

/**
 * Why a refresh gave no new token. Logged at Debug level by the engine and
 * put on the operation's `Unauthorized` as its `reauthentication`.
 */
export interface RefreshFailed {
  readonly _tag: "RefreshFailed"
  readonly reason: Core.Reason
  readonly cause?: unknown
}

const failed = (reason: RefreshFailed["reason"], cause?: unknown): RefreshFailed =>
  cause === undefined ? { _tag: "RefreshFailed", reason } : { _tag: "RefreshFailed", reason, cause }

/** What {@link make} needs. */
export interface Options<E> {
  /** The token to start with. */
  readonly initial: Redacted.Redacted<string>
  /** Obtains a new token (a sign-in, a PIN login, a JWT exchange). */
  readonly obtain: Effect.Effect<Redacted.Redacted<string>, E>
  /** How long nothing is obtained after a failure or a refused fresh token. Default 1 minute. */
  readonly cooldown?: Duration.Input | undefined
  /** When a token expires (epoch ms), to refresh it `margin` ahead; `undefined`: never ahead. */
  readonly expiresAt?: ((token: Redacted.Redacted<string>) => number | undefined) | undefined
  readonly margin?: Duration.Input | undefined
  /** What the token is called in the warning a failed refresh ahead of expiry logs. */
  readonly name?: string | undefined
}

const tagOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : "error"

interface State {
  readonly token: Redacted.Redacted<string>
  /** When `token` expires (epoch ms), read once from it. */
  readonly expires?: number | undefined
  /** When `token` was obtained by a refresh (not the initial one). */
  readonly refreshedAt?: number | undefined
  /** When a refresh ahead of expiry last failed (the next waits for the cooldown). */
  readonly aheadFailedAt?: number | undefined
  /** The token no new one may replace (for now), why, and since when. */
  readonly spent?: Core.Spent | undefined
}

/** Credentials whose token is refreshed by the rules above. */
export const make = <E>(options: Options<E>): Effect.Effect<CredentialsService> =>
  Effect.gen(function* () {
    const cooldown = Duration.toMillis(options.cooldown ?? Duration.minutes(1))
    const margin = Duration.toMillis(options.margin ?? Duration.zero)
    const expiring = (token: Redacted.Redacted<string>) => ({ token, expires: options.expiresAt?.(token) })
    const state = yield* SynchronizedRef.make<State>(expiring(options.initial))

    /** Obtains a new token for `s.token`, recording a failure as spent. */
    const renew = (s: State, now: number) =>
      Effect.map(
        Effect.result(options.obtain),
        (fresh): readonly [Result.Result<Redacted.Redacted<string>, RefreshFailed>, State] => {
          const current = Redacted.value(s.token)
          const spent = Core.renewed(
            current,
            Result.isFailure(fresh) ? undefined : Redacted.value(fresh.success),
            now
          )
          if (spent !== undefined || Result.isFailure(fresh)) {
            const cause = Result.isFailure(fresh) ? fresh.failure : undefined
            return [Result.fail(failed(spent?.reason ?? "Failed", cause)), { ...s, spent }]
          }
          return [Result.succeed(fresh.success), { ...expiring(fresh.success), refreshedAt: now }]
        }
      )

    const refresh = (
      stale: Redacted.Redacted<string>
    ): Effect.Effect<Redacted.Redacted<string>, RefreshFailed> =>
      SynchronizedRef.modifyEffect(state, (s) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const decision = Core.onRefusal(s, Redacted.value(s.token), Redacted.value(stale), now, cooldown)
          // Someone else already replaced the refused token: use theirs.
          if (decision._tag === "UseCurrent") return [Result.succeed(s.token), s] as const
          if (decision._tag === "Blocked") return [Result.fail(failed(decision.reason)), s] as const
          if (decision._tag === "FreshTokenRefused") {
            return [Result.fail(failed("FreshTokenRefused")), { ...s, spent: decision.spent }] as const
          }
          return yield* renew(s, now)
        })
      ).pipe(Effect.flatMap(Effect.fromResult))

    const expiresAt = options.expiresAt
    const due = (s: State, now: number) => Core.dueAhead(s, Redacted.value(s.token), now, margin, cooldown)
    const current = Effect.map(SynchronizedRef.get(state), (s) => s.token)
    const token: Effect.Effect<Redacted.Redacted<string>> =
      expiresAt === undefined
        ? current
        : Effect.flatMap(Effect.all([SynchronizedRef.get(state), Clock.currentTimeMillis]), ([s, now]) =>
            !due(s, now)
              ? Effect.succeed(s.token)
              : SynchronizedRef.modifyEffect(state, (s) =>
                  Effect.flatMap(Clock.currentTimeMillis, (now) =>
                    // Another reader refreshed while this one waited, or a refresh just failed.
                    !due(s, now)
                      ? Effect.succeed([s.token, s] as const)
                      : Effect.flatMap(renew(s, now), ([result, next]) =>
                          Result.isSuccess(result)
                            ? Effect.succeed([result.success, next] as const)
                            : Effect.as(
                                Effect.logWarning(
                                  `refreshing the ${options.name ?? "token"} failed (${tagOf(result.failure.cause)}); keeping the current one`
                                ),
                                // Only ahead refreshes wait for this failure: a refusal still refreshes at once.
                                [s.token, { ...s, aheadFailedAt: now }] as const
                              )
                        )
                  )
                )
          )

    const signedOut = (token: Redacted.Redacted<string>): Effect.Effect<void> =>
      Effect.flatMap(Clock.currentTimeMillis, (at) =>
        SynchronizedRef.update(state, (s) => ({
          ...s,
          spent: { token: Redacted.value(token), reason: "SignedOut" as const, at }
        }))
      )

    return { token, refresh, signedOut }
  })
