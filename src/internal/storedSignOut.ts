/**
 * The one sign-out of the stored layers (`Credentials.layerStored`, `Jwt.layerStored`; the decisions in
 * `core/signOut.ts`): a sign-out through the layer's credentials forgets, in its store, every token the layer knew of
 * (and, with `Jwt.layerStored`, its device key), and the layer's own writes of a token go one at a time with it, so
 * that a write of a token the sign-out dropped, on its way when the sign-out began, never lands after it. The Effect 4
 * edition's twin is `effect4/src/internal/storedSignOut.ts`.
 *
 * @internal
 */
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import { scrub } from "../core/redact.js"
import * as RefreshFacts from "../core/refresh.js"
import * as Facts from "../core/signOut.js"
import type { CredentialsService } from "../Credentials.js"

/**
 * `effect`, best effort: its failure (a defect too) is not passed on but logged at Debug level with `message`
 * (`core/signOut.ts`'s `storeFailed`) and the failure's text, `secrets` masked in it (`core/redact.ts`'s `scrub`: a
 * store's error may quote the value it could not write, a token or a device key), as the Effect 4 edition's twin
 * logs it. `secrets` is read once the effect failed (an array the effect fills as it reads what the store holds).
 */
export const logged = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  message: string,
  secrets: ReadonlyArray<string>
): Effect.Effect<void, never, R> =>
  Effect.catchAllCause(Effect.asVoid(effect), (cause) =>
    Effect.logDebug(message, scrub(Cause.pretty(cause), secrets))
  )

/** The sign-out of one stored layer, and the writes of its tokens. */
export interface StoredSignOut {
  /** Records a token the layer holds (the one it started with, each it stored or took): a sign-out forgets it. */
  readonly hold: (token: Redacted.Redacted<string>) => Effect.Effect<void>
  /** The tokens the layer held, oldest first (the last `RefreshFacts.heldLimit`). */
  readonly held: Effect.Effect<ReadonlyArray<Redacted.Redacted<string>>>
  /** The tokens its sign-outs forgot, oldest first (the last `Facts.forgottenLimit`): never written again. */
  readonly forgotten: Effect.Effect<ReadonlyArray<Redacted.Redacted<string>>>
  /**
   * Stores `token` (best effort: a failure is logged at Debug), one write at a time with the sign-out, unless a
   * sign-out forgot it already, or left the layer signed out (`core/signOut.ts` `endsWrites`).
   */
  readonly keep: (token: Redacted.Redacted<string>) => Effect.Effect<void>
  /**
   * `service`, its `signedOut` also forgetting what the store holds of the layer (best effort). `isThisKey`
   * (`Jwt.layerStored`): whether the device key's stored text is the layer's key.
   */
  readonly signingOut: (
    service: CredentialsService,
    isThisKey?: (text: string) => Effect.Effect<boolean>
  ) => CredentialsService
}

/** The sign-out of the layer keeping its token under `tokenEntry` (and, `Jwt.layerStored`, its key under `keyEntry`). */
export const make = (options: {
  readonly store: KeyValueStore.KeyValueStore
  readonly tokenEntry: string
  readonly keyEntry?: string | undefined
}): Effect.Effect<StoredSignOut, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { keyEntry, store, tokenEntry } = options
    // The layer's scope: a sign-out runs in a fiber of its own there (`signingOut`).
    const scope = yield* Effect.scope
    // Set as that scope closes (a finalizer added before any sign-out forks there, so it runs after those were
    // interrupted): a sign-out told since (credentials kept past their layer) has no scope to run in. One told while
    // the scope closes, before this runs, is interrupted as the layer is.
    const closed = yield* Ref.make(false)
    yield* Effect.addFinalizer(() => Ref.set(closed, true))
    const held = yield* Ref.make<ReadonlyArray<Redacted.Redacted<string>>>([])
    // The tokens a sign-out forgot: never stored again (a write on its way when the sign-out began). Redacted, as
    // every token; each once, the last `Facts.forgottenLimit` (`core/signOut.ts` says why that is enough).
    const forgotten = yield* Ref.make<ReadonlyArray<Redacted.Redacted<string>>>([])
    // Set by a sign-out that left the credentials signed out for good (`Facts.endsWrites`): no token is stored after
    // it, not even one it never saw (a refresh that settled between its two reads of the token, its write to come).
    const ended = yield* Ref.make(false)

    // The layer's writes of a token and its sign-outs, one at a time.
    const lock = yield* Effect.makeSemaphore(1)
    const hold = (token: Redacted.Redacted<string>) =>
      Ref.update(held, (tokens) => RefreshFacts.heldNext(tokens, token))
    const keep = (token: Redacted.Redacted<string>) =>
      lock.withPermits(1)(
        Effect.flatMap(Effect.all([Ref.get(ended), Ref.get(forgotten)]), ([isEnded, gone]) =>
          isEnded || gone.some((forgot) => Redacted.value(forgot) === Redacted.value(token))
            ? Effect.void
            : logged(store.set(tokenEntry, Redacted.value(token)), Facts.storeFailed.token, [
                Redacted.value(token)
              ])
        )
      )
    const storedKeyIsThis = (
      isThisKey: ((text: string) => Effect.Effect<boolean>) | undefined,
      secrets: Array<string>
    ) =>
      keyEntry === undefined || isThisKey === undefined
        ? Effect.succeed(false)
        : Effect.flatMap(store.get(keyEntry), (text) => {
            if (Option.isNone(text)) return Effect.succeed(false)
            secrets.push(text.value)
            return isThisKey(text.value)
          })
    const forget = (
      tokens: ReadonlyArray<Redacted.Redacted<string>>,
      isThisKey: ((text: string) => Effect.Effect<boolean>) | undefined,
      ends: boolean
    ) =>
      lock.withPermits(1)(
        Effect.zipRight(
          Effect.zipRight(
            Ref.update(forgotten, (gone) => Facts.forgottenNext(gone, tokens, Redacted.value)),
            ends ? Ref.set(ended, true) : Effect.void
          ),
          Effect.suspend(() => {
            // What a failure's text may quote: each token the layer knew of, and what the store was read to hold.
            const secrets: Array<string> = []
            return logged(
              Effect.gen(function* () {
                const mine = [...tokens, ...(yield* Ref.get(held))].map((token) => Redacted.value(token))
                secrets.push(...mine)
                const keyIsThis = yield* storedKeyIsThis(isThisKey, secrets)
                // The token entry read last, just before its removal: the window in which another process's write
                // would be removed as well is as short as the store allows.
                const stored = Option.getOrUndefined(yield* store.get(tokenEntry))
                if (stored !== undefined) secrets.push(stored)
                const removal = Facts.removal({ token: stored, keyIsThis }, (token) => mine.includes(token))
                // The key first: a token left without it (its removal failed) is not used, a key left alone would be
                // exchanged for a new token.
                if (removal.key && keyEntry !== undefined) yield* store.remove(keyEntry)
                if (removal.token) yield* store.remove(tokenEntry)
              }),
              Facts.storeFailed.forget,
              secrets
            )
          })
        )
      )
    const signingOut = (
      service: CredentialsService,
      isThisKey?: (text: string) => Effect.Effect<boolean>
    ): CredentialsService => ({
      ...service,
      // The token a refresh obtained while the sign-out was on its way is dropped (`refresh.ts`): forgotten too. Told once
      // plex.tv revoked the token (`PlexAuth.signOut` tells it in a fiber started uninterruptible), the sign-out runs to
      // its end in a fiber of the layer's scope, as a refresh does: a caller interrupted (a timeout, a closed request)
      // only stops waiting (the wait is interruptible, whatever region it is told from), and the layer is still signed out
      // and its store forgets the token (and the key beside it, which the next run would otherwise exchange for a new
      // token, signed in again without the user). Closing the layer interrupts it (interruptible too, not the teller's
      // region). Told after the layer closed (a fiber forked into a closed scope is interrupted at once, and its caller
      // with it, the revoked token left in the store), it runs in the teller's fiber, its store work interruptible: the
      // caller stops it by going away (`PlexAuth.signOut` then interrupts that fiber).
      signedOut: (token, revoke) => {
        // The token held, read without waiting for a refresh in flight (`current`): the sign-out abandons that one.
        const held = service.current ?? service.token
        const signOut = (storing: (work: Effect.Effect<void>) => Effect.Effect<void>) =>
          Effect.flatMap(held, (before) =>
            Effect.zipRight(
              service.signedOut?.(token, revoke) ?? Effect.void,
              Effect.flatMap(held, (after) =>
                storing(
                  forget(
                    Facts.forgottenTokens(
                      Redacted.value(token),
                      Redacted.value(before),
                      Redacted.value(after)
                    ).map((text) => Redacted.make(text)),
                    isThisKey,
                    Facts.endsWrites(Redacted.value(token), Redacted.value(after))
                  )
                )
              )
            )
          )
        return Effect.flatMap(Ref.get(closed), (isClosed) =>
          isClosed
            ? signOut(Effect.interruptible)
            : Effect.flatMap(
                signOut((work) => work).pipe(Effect.interruptible, Effect.forkIn(scope)),
                // Interrupted, it was the layer's closing while the sign-out ran in its scope: plex.tv revoked the
                // token all the same, and nothing uses the layer any more. The call succeeds (docs/tokens.md), rather
                // than end interrupted as if nothing was revoked; a failure of the work is the caller's.
                (fiber) =>
                  Effect.flatMap(Effect.interruptible(Fiber.await(fiber)), (exit) =>
                    Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)
                      ? Effect.void
                      : Effect.failCause(exit.cause)
                  )
              )
        )
      }
    })
    return { hold, held: Ref.get(held), forgotten: Ref.get(forgotten), keep, signingOut }
  })
