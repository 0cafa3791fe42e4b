/**
 * Giving up a fiber: interrupting it without waiting for it to end, the one
 * way both of this edition's places that give a fiber up do it (WebSignIn's
 * store calls, `PlexAuth.signOut`'s telling of `signedOut`). Effect 3's
 * `Fiber.interruptAsFork` (which `Effect.disconnect` uses); Effect 4 has no
 * such function, and `Fiber.interrupt` waits.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"

/**
 * Interrupts `fiber` and goes on at once: `interruptUnsafe`, the Fiber's documented request for interruption that
 * does not wait, made by the fiber that gives it up (its id the interruptor's). Signalled as this runs, not a
 * scheduler turn later. A `Fiber.interrupt` in a fiber of its own (forked to not wait) would itself wait as long as
 * the fiber runs on in a region it cannot be interrupted in: for good, one that never ends.
 */
export const interruptWithoutWaiting = <A, E>(fiber: Fiber.Fiber<A, E>): Effect.Effect<void> =>
  Effect.withFiber((self) => Effect.sync(() => fiber.interruptUnsafe(self.id)))
