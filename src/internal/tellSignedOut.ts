/**
 * How `PlexAuth.signOut` tells the credentials that plex.tv revoked their
 * token (`CredentialsService.signedOut`): {@link onExit}, with the rules of
 * that telling under interruption (a fiber of its own, started
 * uninterruptible, waited for interruptibly, interrupted when the caller goes
 * away) in one place.
 *
 * Kept out of `PlexAuth.ts`, though only `signOut` calls it: written there,
 * it put the sign-in program, which holds no `signOut`, over its bundle
 * budget (esbuild's minified names in every operation's bundle shift with
 * the text of `PlexAuth.ts`; measured when it was written, cfbc0e3: 10,004 B
 * gzipped over the Effect baseline on Effect 3, `scripts/bundle-budget.ts`
 * measureAll, and 10,011 on Effect 4, `effect4/bench/bundle.ts`, budget
 * 10,000). The sign-in path is not this module's concern.
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
 * by a `signedOut` that takes long or never ends, and the finalizer's fiber is interrupted: the regions it makes
 * interruptible stop (the store work of a stored layer already closed, run in this fiber; an open layer's runs in
 * the layer's scope and goes on, only its wait stops). That interruption is signalled as the caller goes away
 * (`Fiber.interruptAsFork`, as Effect.disconnect does), not a scheduler turn later by a fiber forked to do it
 * (`Fiber.interruptFork`): a region whose wait answers just after does not start the next one in between. The
 * result is `self`'s; a finalizer that dies makes the call die, as with `Effect.onExit`.
 */
export const onExit = <E, R>(
  self: Effect.Effect<void, E, R>,
  finalizer: () => Effect.Effect<void>
): Effect.Effect<void, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.exit(restore(self)), (exit) =>
      Effect.flatMap(Effect.forkDaemon(finalizer()), (fiber) =>
        Effect.zipRight(
          restore(Fiber.join(fiber)).pipe(
            Effect.onInterrupt(() => Effect.fiberIdWith((id) => Fiber.interruptAsFork(fiber, id)))
          ),
          exit
        )
      )
    )
  )
