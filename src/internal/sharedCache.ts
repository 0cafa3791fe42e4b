/**
 * The cache of `ServerAccess`'s checkers (Effect 3 edition; Effect 4's `Cache` does the same).
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Tracer from "effect/Tracer"

/**
 * One lookup in flight (or done): the fiber it runs on until it ends (then only its exit is kept, so a finished
 * entry holds no fiber), how many callers wait for it, and when its result expires once it has one.
 */
interface Flight<A, E> {
  fiber: Fiber.RuntimeFiber<Exit.Exit<A, E>> | undefined
  exit: Exit.Exit<A, E> | undefined
  waiters: number
  abandoned: boolean
  expires: number | undefined
}

/**
 * A cache whose lookups run on a fiber of their own that callers wait for, as in Effect 4's `Cache`: a caller
 * that is interrupted only stops waiting, and the lookup is interrupted once its last waiter leaves (the entry
 * dropped, so the next caller starts a fresh one). Each result is kept for `timeToLive` of its exit from when it
 * came (zero: dropped at once), at most `capacity` entries, the least recently asked going first. Awaited, not
 * joined: the caller keeps its own `FiberRef`s.
 *
 * Not Effect 3's `Cache`: its lookup runs on the fiber of the caller who asked first (interrupting everyone waiting
 * when that caller is interrupted), and its list of recently used keys keeps one node per lookup that only leaves
 * when the cache is over capacity, so a key asked again after it expired, or invalidated (a sign-out), grew that
 * list for good in a cache never full (the memory soak, bench/soak.ts: a long-running app checking a few users).
 * Here one `Map` per cache, by `keyOf` (the token's text), in order of last use: an entry leaves when it expires
 * (found so, or older than the newest entry made), is invalidated or evicted.
 */
export const sharedCache = <K, A, E, R>(options: {
  readonly capacity: number
  readonly keyOf: (key: K) => unknown
  readonly lookup: (key: K) => Effect.Effect<A, E, R>
  readonly timeToLive: (exit: Exit.Exit<A, E>) => Duration.Duration
}) =>
  Effect.map(Effect.context<R>(), (context) => {
    const flights = new Map<unknown, Flight<A, E>>()
    const drop = (k: unknown, flight: Flight<A, E>) => {
      if (flights.get(k) === flight) flights.delete(k)
    }
    const stale = (flight: Flight<A, E>, now: number) =>
      flight.abandoned || (flight.expires !== undefined && now >= flight.expires)
    // The entries that expired, from the least recently used while they have (each use moves one to the end).
    const dropExpired = (now: number) => {
      for (const [k, flight] of flights) {
        if (!stale(flight, now)) return
        flights.delete(k)
      }
    }
    // The lookup, on a fiber of its own: its exit kept with its expiry, its fiber let go.
    const start = (key: K, k: unknown, flight: Flight<A, E>) =>
      Effect.flatMap(
        Effect.exit(
          Effect.mapInputContext(options.lookup(key), (caller: Context.Context<never>) => {
            // The cache's context, but the span of the caller who started the lookup (as Effect 4's `Cache`, which
            // merges the caller's context over its own): else the lookup's spans (`ServerAccess.check` and its
            // `Resources.list`) start traces of their own, apart from the request that asked (a web sign-in's).
            const parent = Context.getOption(caller, Tracer.ParentSpan)
            return parent._tag === "Some" ? Context.add(context, Tracer.ParentSpan, parent.value) : context
          })
        ),
        (exit) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            const ttl = Duration.toMillis(options.timeToLive(exit))
            flight.exit = exit
            flight.fiber = undefined
            flight.expires = now + ttl
            if (ttl <= 0) drop(k, flight)
            return exit
          })
      )
    // The entry for `key` joined (its waiters counted) in the one step that finds it fresh, else a new one made and
    // its lookup forked: uninterruptible (acquireUseRelease), so no entry is left without its count or its fiber.
    const join = (key: K, now: number): Effect.Effect<Flight<A, E>> =>
      Effect.suspend(() => {
        const k = options.keyOf(key)
        const found = flights.get(k)
        if (found !== undefined && !stale(found, now)) {
          flights.delete(k)
          flights.set(k, found)
          found.waiters++
          return Effect.succeed(found)
        }
        const flight: Flight<A, E> = {
          fiber: undefined,
          exit: undefined,
          waiters: 1,
          abandoned: false,
          expires: undefined
        }
        flights.delete(k)
        dropExpired(now)
        flights.set(k, flight)
        for (const oldest of flights.keys()) {
          if (flights.size <= options.capacity) break
          flights.delete(oldest)
        }
        return Effect.map(Effect.forkDaemon(Effect.interruptible(start(key, k, flight))), (fiber) => {
          // A lookup that ended at once (synchronously) has let go of its fiber already.
          if (flight.exit === undefined) flight.fiber = fiber
          return flight
        })
      })
    const get = (key: K): Effect.Effect<A, E> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.acquireUseRelease(
          join(key, now),
          (flight) =>
            flight.exit !== undefined
              ? flight.exit
              : Effect.flatten(Effect.flatten(Fiber.await(flight.fiber!))),
          (flight) =>
            Effect.suspend(() => {
              flight.waiters--
              if (flight.waiters > 0 || flight.exit !== undefined || flight.fiber === undefined)
                return Effect.void
              // The last waiter left before the lookup ended: stop it, and let the next caller start afresh.
              flight.abandoned = true
              drop(options.keyOf(key), flight)
              return Fiber.interrupt(flight.fiber)
            })
        )
      )
    return {
      get,
      invalidate: (key: K) => Effect.sync(() => void flights.delete(options.keyOf(key))),
      invalidateAll: Effect.sync(() => flights.clear())
    }
  })
