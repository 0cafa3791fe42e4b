/**
 * How `PlexAuth.signOut` tells the credentials that plex.tv revoked their
 * token (`CredentialsService.signedOut`). A module of its own, called as
 * `SignedOut.onExit` where `Effect.onExit` was: esbuild's minified names in
 * every operation's bundle shift with the text of `PlexAuth.ts`, though none
 * of them holds `signOut`. Written there, or called by another name, this put
 * the sign-in program over its budget of 10,000 B gzipped over the Effect
 * baseline (10,004 on Effect 3 with `scripts/bundle-budget.ts` measureAll,
 * 10,011 on Effect 4 with `effect4/bench/bundle.ts` measureEsbuild); as it
 * is, 10,000 in both.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/**
 * Runs `self`, then `finalizer()` (`PlexAuth.signOut`'s: tell the credentials when plex.tv accepted the revoke,
 * else nothing), as `Effect.onExit` does, even when the caller is interrupted while `self` runs or just after; but
 * in a fiber of its own, started uninterruptible (it runs to its end, but for the regions it makes interruptible),
 * and waited for interruptibly. A caller that goes away (a timeout of its own) stops waiting, rather than being held
 * by a `signedOut` that takes long or never ends; the regions the finalizer makes interruptible (a stored layer's
 * store work) stop with it. The result is `self`'s.
 */
export const onExit = <E, R>(
  self: Effect.Effect<void, E, R>,
  finalizer: () => Effect.Effect<void>
): Effect.Effect<void, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.exit(restore(self)), (exit) =>
      Effect.flatMap(Effect.forkDaemon(finalizer()), (fiber) =>
        Effect.zipRight(
          restore(Fiber.join(fiber)).pipe(Effect.onInterrupt(() => Fiber.interruptFork(fiber))),
          exit
        )
      )
    )
  )
