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
 *   which is what trips Plex's 1031 lock); a token a refresh reused rather
 *   than obtained (`reused`: one another process stored) is not a fresh
 *   one: refused, it is refreshed at once, as the initial token is;
 * - sign-out aware: a token signed out with `PlexAuth.signOut` is never
 *   replaced, on a refusal or ahead of its expiry;
 * - optionally ahead of expiry: with `expiresAt`, reading a token that
 *   expires within `margin` refreshes it first (a failure keeps serving the
 *   current token and is retried after `cooldown`);
 * - never an expired token unrefreshed: reading a token that has expired
 *   refreshes it first even within the cooldown of a failed refresh ahead of
 *   expiry (the server would refuse it), bounded as after a refusal: a
 *   failure serves it, and holds off another refresh of it for `cooldown`;
 * - independent of its callers: the refresh (`obtain`) runs once, in its own
 *   fiber forked into the scope the credentials are made in (a layer's), not
 *   on the fiber of the caller who started it. Callers only wait for it, and
 *   interruptibly: a caller interrupted (a timeout, a lost race, a cancelled
 *   request) stops waiting, while the refresh goes on for the others; when
 *   every caller is gone it still completes and its token is kept for the
 *   next call (a sign-in Plex may have processed is never sent twice because
 *   its caller went away);
 * - a sign-out during a refresh wins: `signedOut` does not wait for it, and
 *   abandons it: `obtain` is interrupted (a PIN login no one will approve is
 *   not polled on), and its waiters fail with `SignedOut`; a token it gives
 *   all the same (it settled first) is dropped, never used nor stored, and
 *   revoked with the `revoke` the sign-out gave (`PlexAuth.signOut`'s), as is
 *   the token a refresh installed while the sign-out was on its way;
 * - scoped: closing that scope (the app shutting down) interrupts a refresh
 *   in flight and waits for it to stop; its waiters are interrupted too. The
 *   revoke of a token a sign-out dropped is not cut short: the close waits
 *   for it (bounded by the sign-out's per-attempt timeout).
 *   After that no refresh starts (`Closed`): a refusal fails at once, a read
 *   serves the current token. A refresh whose `obtain` dies hands the defect
 *   to its waiters and the next refusal starts a new one.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as Core from "../core/refresh.js"
import * as Run from "../core/refreshRun.js"
import type { CredentialsService } from "../Credentials.js"
import { Unauthorized } from "../PlexError.js"

/** Why a refresh gave no new token (`core/refreshRun.ts`, made there by `failed`). */
export type RefreshFailed = Run.RefreshFailed

/** What {@link make} needs. */
export interface Options<E> {
  /** The token to start with. */
  readonly initial: Redacted.Redacted<string>
  /** Obtains a new token (a sign-in, a PIN login, a JWT exchange). */
  readonly obtain: Effect.Effect<Redacted.Redacted<string>, E>
  /**
   * How long nothing is obtained after a failure, the refused token handed back (`SameToken`) or a refused
   * fresh token. Default 1 minute.
   */
  readonly cooldown?: Duration.DurationInput | undefined
  /** When a token expires (epoch ms), to refresh it `margin` ahead; `undefined`: never ahead. */
  readonly expiresAt?: ((token: Redacted.Redacted<string>) => number | undefined) | undefined
  readonly margin?: Duration.DurationInput | undefined
  /**
   * When a refresh ahead of the expiry of `initial` failed just before (epoch ms): the first one ahead waits for
   * the cooldown from then (`Jwt.layerStored` starting with a stored token it could not renew).
   */
  readonly aheadFailedAt?: number | undefined
  /** What the token is called in the warning a failed refresh ahead of expiry logs. */
  readonly name?: string | undefined
  /**
   * Whether a token `obtain` gave was not obtained anew but reused: one another process had stored
   * (`Credentials.layerStored`). Refused, it is not a fresh token the server refuses: a refresh runs at once, as
   * for the initial token.
   */
  readonly reused?: ((token: Redacted.Redacted<string>) => Effect.Effect<boolean>) | undefined
  /** Runs with each token a refresh obtained and kept (not one a sign-out dropped), before its waiters get it: to store it. */
  readonly onRenewed?: ((token: Redacted.Redacted<string>) => Effect.Effect<void>) | undefined
}

/** A refresh in flight: the fiber running `obtain` for `stale`, and who waits for it (`Run.Waiters`). */
interface Pending extends Run.Waiters {
  /** This refresh (a fiber that settles checks it is still the one in flight). */
  readonly id: object
  readonly stale: Redacted.Redacted<string>
  readonly fiber: Fiber.Fiber<Outcome>
  /** Completed by a sign-out of `stale` (or of the token it replaced): `obtain` is interrupted. */
  readonly abandon: Deferred.Deferred<void>
  /** A sign-out abandoned it: whatever it gives is dropped (and revoked). */
  readonly dropped?: boolean | undefined
}

/** Which warning a failed refresh logs (`Run.warningOf`). */
type Warn = ReturnType<typeof Run.warningOf>

type Outcome = Either.Either<Redacted.Redacted<string>, RefreshFailed>

interface State {
  readonly token: Redacted.Redacted<string>
  /** When `token` expires (epoch ms), read once from it. */
  readonly expires?: number | undefined
  /** When `token` was obtained by a refresh (not the initial one). */
  readonly refreshedAt?: number | undefined
  /** The token whose refresh obtained `token` (a sign-out of it sent before the refresh settled drops `token`). */
  readonly renewedFrom?: string | undefined
  /** When a refresh ahead of expiry last failed (the next waits for the cooldown). */
  readonly aheadFailedAt?: number | undefined
  /** The token no new one may replace (for now), why, and since when. */
  readonly spent?: Core.Spent | undefined
  /** The refresh of `token` in flight, if any. */
  readonly pending?: Pending | undefined
  /** The credentials' scope has closed: no refresh starts any more (`Core.blocked`). */
  readonly closed?: boolean | undefined
}

/** What a caller does: take this outcome now, or wait for the refresh in flight. */
type Step =
  | { readonly _tag: "Done"; readonly outcome: Outcome }
  | { readonly _tag: "Wait"; readonly fiber: Fiber.Fiber<Outcome> }

const done = (outcome: Outcome): Step => ({ _tag: "Done", outcome })

/**
 * Credentials whose token is refreshed by the rules above. The refresh runs
 * in its own fiber in the scope the credentials are made in (a layer's), not
 * on the fiber of the caller who started it; callers only wait for it.
 */
export const make = <E>(options: Options<E>): Effect.Effect<CredentialsService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const cooldown = Duration.toMillis(options.cooldown ?? Duration.minutes(1))
    const margin = Duration.toMillis(options.margin ?? Duration.zero)
    const expiring = (token: Redacted.Redacted<string>) => ({ token, expires: options.expiresAt?.(token) })
    const state = yield* SynchronizedRef.make<State>({
      ...expiring(options.initial),
      aheadFailedAt: options.aheadFailedAt
    })
    // Once the scope closes, no refresh starts (a fork into a closed scope is interrupted at once, or in the Effect
    // 4 edition never runs, and would stay recorded as in flight): a refusal fails with `Closed`, a read serves the
    // current token. Added first, this runs last when the scope closes, after the refreshes in flight were
    // interrupted (each forgets itself); one recorded while the scope was closing is dropped.
    yield* Effect.addFinalizer(() =>
      SynchronizedRef.update(state, (s) => ({ ...s, closed: true, pending: undefined }))
    )

    /**
     * Records what `obtain` gave for the refresh `id` (unless a sign-out came first) and hands it to its waiters.
     * A token it `reused` gets no `refreshedAt`: its refusal is not a fresh token's.
     */
    const settle = (
      id: object,
      fresh: Either.Either<Redacted.Redacted<string>, E | undefined>,
      reused: boolean
    ) =>
      // The time read under the lock, as {@link step} reads it.
      Clock.clockWith((clock) =>
        SynchronizedRef.modify(state, (s): readonly [readonly [Outcome, Warn], State] => {
          const now = clock.unsafeCurrentTimeMillis()
          const pending = s.pending
          if (pending === undefined || pending.id !== id)
            return [[Either.left(Run.failed("Failed")), undefined], s]
          const rest: State = { ...s, pending: undefined }
          const stale = Redacted.value(pending.stale)
          // Signed out while the refresh ran: the sign-out wins, the new token is dropped (and revoked, below).
          if (pending.dropped === true || (s.spent?.token === stale && s.spent.reason === "SignedOut")) {
            return [[Either.left(Run.failed("SignedOut")), undefined], rest]
          }
          const spent = Core.renewed(
            stale,
            Either.isLeft(fresh) ? undefined : Redacted.value(fresh.right),
            now,
            // What it failed with, for the refusals of its cooldown to say (a word, never the error).
            Either.isLeft(fresh) && fresh.left !== undefined ? Core.errorWord(fresh.left) : undefined
          )
          if (spent !== undefined || Either.isLeft(fresh)) {
            const cause = Either.isLeft(fresh) ? fresh.left : undefined
            const next: State = {
              ...rest,
              ...Run.afterFailure(pending, spent, now)
            }
            const warn = Run.warningOf(pending)
            return [[Either.left(Run.failed(spent?.reason ?? "Failed", cause)), warn], next]
          }
          return [
            [Either.right(fresh.right), undefined],
            { ...expiring(fresh.right), refreshedAt: reused ? undefined : now, renewedFrom: stale }
          ]
        })
      ).pipe(
        Effect.flatMap(([outcome, warn]) =>
          warn !== undefined && Either.isLeft(outcome)
            ? Effect.as(
                Effect.logWarning(Run.failedWarning(warn === "expired", options.name, outcome.left.cause)),
                outcome
              )
            : // A token obtained but dropped by a sign-out: revoked before the waiters hear of it, so none is left
              // valid and unheld (best effort: `revoke` logs its failure).
              Either.isLeft(outcome) && outcome.left.reason === "SignedOut" && Either.isRight(fresh)
              ? Effect.as(revokeDropped(fresh.right), outcome)
              : Effect.succeed(outcome)
        )
      )

    // The revoke the last sign-out gave (`PlexAuth.signOut`'s): revokes the tokens the sign-out dropped. It runs to
    // its end, uninterruptible: the scope closing while the refresh that obtained the token revokes it (in its fiber)
    // waits for the revoke rather than cutting it short, silently, the token left valid. `PlexAuth.signOut`'s is
    // bounded all the same, by its per-attempt timeout (`internal/request.ts`: its timer ends a hung attempt even in
    // an uninterruptible region), and logs its failure.
    let revoke: ((token: Redacted.Redacted<string>) => Effect.Effect<void>) | undefined
    const revokeDropped = (token: Redacted.Redacted<string>) =>
      Effect.uninterruptible(Effect.suspend(() => revoke?.(token) ?? Effect.void))

    /**
     * `obtain`, unless a sign-out abandons the refresh first (`abandon`): `obtain` is then interrupted (a PIN login
     * stops polling), and the refresh settles with no token (`undefined`), dropped by the sign-out.
     * An `obtain` that makes itself uninterruptible (`Effect.uninterruptible`) is not stopped: it runs to its end, and
     * its token is lost, not revoked. Not for want of trying: an interrupted fiber's uninterruptible region ends with
     * the interruption, not with what it gave (Effect 3: `fiberRuntime.ts`, `OP_REVERT_FLAGS`; Effect 4: `effect.ts`,
     * `setInterruptible`), so no code after `obtain` (an `Effect.exit`, `onExit`, a tap) sees that token: checked in
     * both editions with an `Effect.exit(restore(obtain))` under `uninterruptibleMask`. Not interrupting an abandoned
     * `obtain` would keep every PIN login no one approves polling after the sign-out; so it is interrupted, and
     * docs/tokens.md (Re-authentication) tells an `obtain` what to do instead (hand its token on with `restore`, and
     * revoke it itself `onInterrupt`).
     */
    const obtainUnlessAbandoned = (abandon: Deferred.Deferred<void>) =>
      Effect.raceFirst(
        Effect.either(options.obtain),
        Effect.as(Deferred.await(abandon), Either.left<E | undefined>(undefined))
      )

    /** Forgets the refresh `id` when its fiber ends without settling (interrupted, or `obtain` died). */
    const forget = (id: object) =>
      SynchronizedRef.update(state, (s) => (s.pending?.id === id ? { ...s, pending: undefined } : s))

    /**
     * Starts the refresh of `s.token` in the credentials' scope, or joins the
     * one in flight. Runs inside `SynchronizedRef.modifyEffect`, uninterruptible
     * (see `step`): the fiber is forked and recorded as one step.
     */
    const startOrJoin = (s: State, as: Run.Want) =>
      Effect.gen(function* () {
        if (s.pending !== undefined) {
          const pending = { ...s.pending, ...Run.waiting(as, s.pending) }
          return [{ _tag: "Wait", fiber: s.pending.fiber } as Step, { ...s, pending }] as const
        }
        const id = {}
        const abandon = yield* Deferred.make<void>()
        // Forked from an uninterruptible region, the fiber starts uninterruptible: `onExit` is in place
        // before anything runs; only `obtain` and the bookkeeping after it are interruptible (by the scope).
        const fiber = yield* obtainUnlessAbandoned(abandon).pipe(
          Effect.flatMap((fresh) =>
            Effect.flatMap(
              Either.isRight(fresh) && options.reused !== undefined
                ? options.reused(fresh.right)
                : Effect.succeed(false),
              (reused) => settle(id, fresh, reused)
            )
          ),
          Effect.tap((outcome) =>
            Either.isRight(outcome) && options.onRenewed !== undefined
              ? options.onRenewed(outcome.right)
              : Effect.void
          ),
          Effect.interruptible,
          Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : forget(id))),
          Effect.forkIn(scope)
        )
        const pending: Pending = {
          id,
          stale: s.token,
          fiber,
          abandon,
          ...Run.waiting(as)
        }
        return [{ _tag: "Wait", fiber } as Step, { ...s, pending }] as const
      })

    /**
     * Decides under the lock (no waiting in it), then waits for the refresh,
     * if any, interruptibly: a caller interrupted stops waiting, the refresh
     * goes on for the others (and for the next call). Awaited, not joined: a
     * join would give the caller the refresh fiber's `FiberRef`s, those of the
     * caller that started it (its span as the parent of what follows, its
     * services), as Effect 4's join does not.
     */
    const step = (decide: (s: State, now: number) => Effect.Effect<readonly [Step, State]>) =>
      Effect.uninterruptible(
        // The time read under the lock: read before it, a caller suspended there while another's failed refresh
        // started its cooldown would take its earlier time for a clock set back, and refresh again within it.
        Clock.clockWith((clock) =>
          SynchronizedRef.modifyEffect(state, (s) => decide(s, clock.unsafeCurrentTimeMillis()))
        )
      ).pipe(
        Effect.flatMap((next) =>
          next._tag === "Done" ? Effect.succeed(next.outcome) : Effect.flatten(Fiber.await(next.fiber))
        )
      )

    const refresh = (
      stale: Redacted.Redacted<string>
    ): Effect.Effect<Redacted.Redacted<string>, RefreshFailed> =>
      step((s, now) => {
        const decision = Core.onRefusal(s, Redacted.value(s.token), Redacted.value(stale), now, cooldown)
        // Someone else already replaced the refused token: use theirs.
        if (decision._tag === "UseCurrent") return Effect.succeed([done(Either.right(s.token)), s] as const)
        if (decision._tag === "Blocked")
          return Effect.succeed([
            done(Either.left(Run.failed(decision.reason, undefined, decision.error))),
            s
          ] as const)
        if (decision._tag === "FreshTokenRefused") {
          return Effect.succeed([
            done(Either.left(Run.failed("FreshTokenRefused"))),
            { ...s, spent: decision.spent }
          ] as const)
        }
        return startOrJoin(s, "refused")
      }).pipe(
        Effect.flatten,
        // Each caller refused with a token that got no new one: why, at Debug (a reason and a tag, never a value).
        Effect.tapError((failure) => Effect.logDebug(Core.noNewTokenMessage(failure)))
      )

    const expiresAt = options.expiresAt
    const due = (s: State, now: number) => Core.dueAhead(s, Redacted.value(s.token), now, margin, cooldown)
    const current = Effect.map(SynchronizedRef.get(state), (s) => s.token)
    /**
     * The expired token is refreshed before it is served, even within the cooldown of a failed refresh ahead of
     * expiry, and bounded as a refusal's refresh is (the server would refuse it); when none comes it is served.
     */
    const renewExpired: Effect.Effect<Redacted.Redacted<string>> = step((s, now) => {
      // Replaced while this reader waited for the lock.
      if (!Core.expired(s, now)) return Effect.succeed([done(Either.right(s.token)), s] as const)
      if (s.pending !== undefined) return startOrJoin(s, "expired")
      const decision = Core.onRefusal(s, Redacted.value(s.token), Redacted.value(s.token), now, cooldown)
      if (decision._tag === "Blocked")
        return Effect.succeed([
          done(Either.left(Run.failed(decision.reason, undefined, decision.error))),
          s
        ] as const)
      if (decision._tag === "FreshTokenRefused") {
        return Effect.succeed([
          done(Either.left(Run.failed("FreshTokenRefused"))),
          { ...s, spent: decision.spent }
        ] as const)
      }
      return startOrJoin(s, "expired")
    }).pipe(Effect.flatMap((outcome) => (Either.isRight(outcome) ? Effect.succeed(outcome.right) : current)))
    const token: Effect.Effect<Redacted.Redacted<string>> =
      expiresAt === undefined
        ? current
        : Effect.flatMap(Effect.all([SynchronizedRef.get(state), Clock.currentTimeMillis]), ([s, now]) =>
            Core.expired(s, now)
              ? renewExpired
              : !due(s, now)
                ? Effect.succeed(s.token)
                : step((s, now) =>
                    // Another reader refreshed while this one waited, or a refresh just failed.
                    s.pending === undefined && !due(s, now)
                      ? Effect.succeed([done(Either.right(s.token)), s] as const)
                      : startOrJoin(s, "ahead")
                  ).pipe(
                    // A failed refresh ahead of expiry keeps serving the current token (its warning is logged once).
                    Effect.flatMap((outcome) =>
                      Either.isRight(outcome) ? Effect.succeed(outcome.right) : current
                    )
                  )
          )

    /**
     * The sign-out of `token` wins over a refresh: one of it in flight is abandoned (`obtain` interrupted, its token,
     * if it still gives one, dropped and revoked), and a token a refresh of it installed while the sign-out was on
     * its way is dropped and revoked (`revoke`, when the sign-out gives one), the credentials going back to `token`.
     */
    const signedOut = (
      token: Redacted.Redacted<string>,
      revokeWith?: (token: Redacted.Redacted<string>) => Effect.Effect<void>
    ): Effect.Effect<void> =>
      Effect.flatMap(Clock.currentTimeMillis, (at) =>
        SynchronizedRef.modify(
          state,
          (s): readonly [readonly [Redacted.Redacted<string> | undefined, Pending | undefined], State] => {
            if (revokeWith !== undefined) revoke = revokeWith
            const spent = { token: Redacted.value(token), reason: "SignedOut" as const, at }
            // Sent before a refresh replaced its token: the sign-out wins, the refreshed token is dropped.
            const drops = Core.signOutDrops(s, Redacted.value(s.token), spent.token)
            // The refresh in flight of the signed-out token, or of the token it drops: abandoned.
            const abandoned =
              s.pending !== undefined && (drops || Redacted.value(s.pending.stale) === spent.token)
                ? { ...s.pending, dropped: true }
                : undefined
            const pending = abandoned ?? s.pending
            return [
              [drops ? s.token : undefined, abandoned],
              drops ? { ...expiring(token), spent, pending } : { ...s, spent, pending }
            ]
          }
        ).pipe(
          Effect.flatMap(([dropped, abandoned]) =>
            Effect.zipRight(
              abandoned === undefined ? Effect.void : Deferred.succeed(abandoned.abandon, undefined),
              dropped === undefined ? Effect.void : revokeDropped(dropped)
            )
          )
        )
      )

    // The token held once the refresh in flight, if any, has settled: a sign-out revokes the new token of a quick
    // one. Never `token`, which refreshes one due ahead of (or past) its expiry: a sign-out would first exchange it
    // (a JWT's nonce, device JWT and exchange at plex.tv) just to revoke the new one, and fail when that failed.
    const settled: Effect.Effect<Redacted.Redacted<string>> = Effect.flatMap(
      SynchronizedRef.get(state),
      (s) =>
        s.pending === undefined
          ? Effect.succeed(s.token)
          : Effect.zipRight(Fiber.await(s.pending.fiber), current)
    )

    return { token, current, settled, refresh, signedOut }
  })

/**
 * What the engine does when `token` was refused (`refused`, a 401) by a call:
 * asks `refresh` for a new token (shared with concurrent callers) and runs the
 * call once more with it (`retry`), in a span marked `plex.reauthenticated`,
 * with no log line of its own, as the Effect 4 edition (docs/tokens.md); when
 * none comes, `refused` says why (its `reauthentication`: a reason, and
 * `reauthenticationError`: what `obtain` failed with, a tag; never a value).
 * The refresh of {@link make} logs that at Debug, as the Effect 4 edition's does.
 */
export const afterRefusal = <A, E, R>(
  refresh: NonNullable<CredentialsService["refresh"]>,
  token: Redacted.Redacted<string>,
  refused: Unauthorized,
  retry: (fresh: Redacted.Redacted<string>) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | Unauthorized, R> =>
  refresh(token).pipe(
    Effect.matchEffect({
      // The repeated request's spans (the engine's and the platform's) say `plex.reauthenticated`. What
      // `Effect.annotateSpans(self, key, value)` does, through the combinator under it: `annotateSpans`'s dual
      // form (with its object of annotations) bundles ~80 B gzipped more into every operation with a token.
      onSuccess: (fresh) =>
        Effect.locallyWith(
          retry(fresh),
          FiberRef.currentTracerSpanAnnotations,
          HashMap.set<string, unknown>("plex.reauthenticated", true)
        ),
      onFailure: (failure) => {
        const why = Core.reauthenticationOf(failure)
        return Effect.fail(why ? new Unauthorized({ ...refused, ...why }) : refused)
      }
    })
  )
