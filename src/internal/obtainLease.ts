/**
 * `obtain`, one process at a time among those sharing a `KeyValueStore` (the decisions in `core/refresh.ts`,
 * `obtainLease`): while another process holds the lease (its user approving a PIN), this one waits for what that
 * process stores instead of asking for a second approval. The one lease mechanism of the stored layers
 * (`Credentials.layerStored`, and `Jwt.layerStored`: when it starts with no key, and when plex.tv refuses its key,
 * at the start or at a refresh, its `refusedKeyObtain`); the Effect 4 edition's twin is
 * `effect4/src/internal/obtainLease.ts`.
 *
 * @internal
 */
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as RefreshFacts from "../core/refresh.js"

/** What {@link make}'s `obtainShared` answers: a value another process stored (`taken`), else one `obtain` gave. */
export interface Obtained<A> {
  readonly value: A
  readonly taken: boolean
}

/**
 * The lease of one layer (one holder id) over `key`'s entry in `store` (the lease under
 * `RefreshFacts.obtainingKey(key)`): `obtainShared(obtain)` answers what `lookup` finds (another process stored it),
 * else runs `obtain` under the lease, else, while another process holds it, waits for what that process stores.
 * The lease is claimed, then read back: of two processes that claimed it at once, the one whose claim was
 * overwritten waits. A store that does not keep it leaves `obtain` to run, as without.
 */
export const make = <A>(options: {
  readonly store: KeyValueStore.KeyValueStore
  readonly key: string
  readonly lookup: Effect.Effect<Option.Option<A>>
}) => {
  const { lookup, store } = options
  const leaseKey = RefreshFacts.obtainingKey(options.key)
  const me = RefreshFacts.newLeaseHolder()
  const { leaseMillis, pollMillis, renewMillis } = RefreshFacts.obtainLease
  const otherHolder = Effect.flatMap(Effect.option(store.get(leaseKey)), (text) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const holder = RefreshFacts.liveLeaseHolder(Option.getOrUndefined(Option.flatten(text)), now)
      return holder !== undefined && holder !== me
    })
  )
  const claim = Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.ignore(store.set(leaseKey, RefreshFacts.encodeLease(me, now + leaseMillis)))
  )
  const release = Effect.ignore(
    Effect.flatMap(store.get(leaseKey), (text) =>
      RefreshFacts.leaseHolder(Option.getOrUndefined(text)) === me ? store.remove(leaseKey) : Effect.void
    )
  )
  // Renewed while `obtain` runs (a PIN login lasts minutes), unless another process holds it now: this one's lapsed
  // (the process stalled past `leaseMillis`) and the other claimed it, and overwriting that claim would let this
  // process's release remove it while the other's `obtain` runs.
  const renew = Effect.flatMap(otherHolder, (other) => (other ? Effect.void : claim))
  // A page that goes away mid `obtain` (reloaded or closed while the PIN window is open) runs no finalizer: its
  // lease is released as it goes (`pagehide`), at once (a browser's store answers synchronously), so that the next
  // page's sign-in does not wait out `leaseMillis` for a holder that is gone. Nothing to listen to outside a page.
  // Brought back from the back/forward cache, its `obtain` going on: claimed again at once (unless another process
  // claimed it meanwhile), not at the next renewal, up to `renewMillis` later. Both run with this fiber's services (its Clock).
  const releasedOnPageHide = Effect.flatMap(Effect.runtime<never>(), (runtime) =>
    Effect.acquireRelease(
      Effect.sync(() =>
        RefreshFacts.onPageHide(
          () => Runtime.runFork(runtime)(release),
          () => Runtime.runFork(runtime)(renew)
        )
      ),
      (stop) => Effect.sync(stop)
    )
  )
  const leased = <B, E, R>(effect: Effect.Effect<B, E, R>) =>
    Effect.scoped(
      Effect.zipRight(
        releasedOnPageHide,
        Effect.zipRight(
          Effect.forkScoped(Effect.forever(Effect.delay(renew, Duration.millis(renewMillis)))),
          effect
        )
      )
    )
  // Claimed, then read back: `obtain` runs when the claim held (undefined when another's overwrote it). Removed
  // once it ends, however it ends: interrupted between the claim and the read-back too (a layer's scope closed
  // then), which left the lease to hold the others off for `leaseMillis`.
  const attempt = <E, R>(obtain: Effect.Effect<A, E, R>): Effect.Effect<Obtained<A> | undefined, E, R> =>
    Effect.ensuring(
      Effect.zipRight(
        claim,
        Effect.flatMap(otherHolder, (overwritten) =>
          overwritten
            ? Effect.succeed(undefined)
            : Effect.map(leased(obtain), (value) => ({ value, taken: false }))
        )
      ),
      release
    )
  // `sawLease`: the last look found another process's lease. Once it is gone, one more look for what that process
  // stores, a poll later, before claiming: it releases the lease as `obtain` ends, and stores the value just after.
  // `looked`: the caller has just looked and found nothing (the first look is not made twice).
  const loop = <E, R>(
    obtain: Effect.Effect<A, E, R>,
    sawLease: boolean,
    looked = false
  ): Effect.Effect<Obtained<A>, E, R> =>
    Effect.flatMap(looked ? Effect.succeedNone : lookup, (stored) => {
      if (Option.isSome(stored)) return Effect.succeed({ value: stored.value, taken: true })
      const again = (sawLease: boolean) =>
        Effect.zipRight(Effect.sleep(Duration.millis(pollMillis)), loop(obtain, sawLease))
      // Another process holds the lease: said once per wait, at Info (a second run of the app
      // otherwise waits in silence while the first one's user approves its PIN; no holder id, key or value logged).
      const wait = sawLease
        ? again(true)
        : Effect.zipRight(Effect.logInfo(RefreshFacts.leaseWaitMessage), again(true))
      return Effect.flatMap(otherHolder, (waiting) =>
        waiting
          ? wait
          : sawLease
            ? again(false)
            : Effect.flatMap(attempt(obtain), (obtained) =>
                obtained === undefined ? wait : Effect.succeed(obtained)
              )
      )
    })
  return {
    /** With `looked`, the caller has just looked up what `lookup` reads and found nothing: no second look first. */
    obtainShared: <E, R>(
      obtain: Effect.Effect<A, E, R>,
      options?: { readonly looked?: boolean | undefined }
    ): Effect.Effect<Obtained<A>, E, R> => loop(obtain, false, options?.looked === true)
  }
}
