/**
 * Shared pieces of the JWT tests: the fake with an identity, a JWS signer
 * independent of the library's own, and readers of a compact JWS.
 */
import { Clock, Context, Duration, Effect, Fiber, Layer, Option, Redacted, TestClock } from "effect"
import { Jwt } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"

export const CLIENT_ID = "jwt-test-client-5c1d"

export const identity = { clientIdentifier: CLIENT_ID, product: "JWT tests", version: "1.0.0" }

/**
 * The times at which the timers pending on the test's clock are due.
 *
 * Effect 3's `TestClock.sleeps()` cannot tell this: an interrupted sleep
 * stays listed until the clock passes it. Each request's 30-second timeout
 * is such a sleep once the request is answered, so, with checks 10 seconds
 * apart, the timeout of the check sent 20 seconds earlier looked like a
 * timer due within the step while a check was still in flight (its Web
 * Crypto verification on a busy thread pool): the clock moved under it,
 * the check timed out, and `a long wait re-signs the device JWT before it
 * expires` saw it unanswered. {@link layerPendingSleeps} provides a `Clock`
 * that delegates everything to the test's `TestClock` and records each
 * `sleep` only while it is pending (as the Effect 4 edition's does).
 * The tests' `TestClock` (test/support/testClock.ts) now forgets an
 * interrupted sleep too; this one also tells each sleep's length.
 */
export class PendingSleeps extends Context.Tag("effect-plex-auth/test/Jwt/PendingSleeps")<
  PendingSleeps,
  {
    /** When each pending sleep is due (epoch ms). */
    readonly dueTimes: () => ReadonlyArray<number>
    /** Each pending sleep: when it is due and how long it was when it began (ms). */
    readonly pending: () => ReadonlyArray<{ readonly at: number; readonly millis: number }>
  }
>() {}

/**
 * The test's `TestClock`, wrapped to record its pending sleeps (see
 * {@link PendingSleeps}). The wrapper is a `TestClock` too: Effect 3's
 * `TestClock.adjust` and friends use the clock the fiber runs with.
 */
export const layerPendingSleeps: Layer.Layer<PendingSleeps> = Layer.unwrapEffect(
  TestClock.testClockWith((testClock) =>
    Effect.sync(() => {
      const pending = new Set<{ readonly at: number; readonly millis: number }>()
      const clock: TestClock.TestClock = {
        [Clock.ClockTypeId]: Clock.ClockTypeId,
        unsafeCurrentTimeMillis: () => testClock.unsafeCurrentTimeMillis(),
        unsafeCurrentTimeNanos: () => testClock.unsafeCurrentTimeNanos(),
        currentTimeMillis: testClock.currentTimeMillis,
        currentTimeNanos: testClock.currentTimeNanos,
        sleep: (duration) =>
          Effect.acquireUseRelease(
            Effect.sync(() => {
              const entry = {
                millis: Duration.toMillis(duration),
                at: testClock.unsafeCurrentTimeMillis() + Duration.toMillis(duration)
              }
              pending.add(entry)
              return entry
            }),
            () => testClock.sleep(duration),
            (entry) => Effect.sync(() => pending.delete(entry))
          ),
        adjust: (duration) => testClock.adjust(duration),
        adjustWith: (duration) => testClock.adjustWith(duration),
        save: testClock.save,
        setTime: (time) => testClock.setTime(time),
        sleeps: testClock.sleeps
      }
      return Layer.merge(
        Layer.setClock(clock),
        Layer.succeed(PendingSleeps, {
          dueTimes: () => [...pending].map((entry) => entry.at),
          pending: () => [...pending]
        })
      )
    })
  )
)

/** The fake, signed in with the default account's classic token (and the test's clock's sleeps recorded). */
export const signedIn = (options: FakePlex.Options = {}) =>
  Layer.merge(
    FakePlex.layerSignedIn({ identity, accounts: [{}, { username: "bob" }], ...options }),
    layerPendingSleeps
  )

const b64u = (bytes: string | Uint8Array) => Buffer.from(bytes).toString("base64url")

/** A compact JWS signed with `key`, built here without the library's helpers. */
export const signWith = (
  key: Jwt.DeviceKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown>
): Effect.Effect<string> =>
  Effect.promise(async () => {
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`
    const signature = await globalThis.crypto.subtle.sign(
      "Ed25519",
      key.privateKey,
      new TextEncoder().encode(input)
    )
    return `${input}.${b64u(new Uint8Array(signature))}`
  })

/** The header and payload of a compact JWS. */
export const segments = (
  token: string | Redacted.Redacted<string>
): { readonly header: Record<string, unknown>; readonly payload: Record<string, unknown> } => {
  const [h, p] = (Redacted.isRedacted(token) ? Redacted.value(token) : token).split(".")
  return {
    header: JSON.parse(Buffer.from(h!, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(p!, "base64url").toString("utf8"))
  }
}

/** Whether `token`'s EdDSA signature verifies with the public JWK `jwk`, checked with Web Crypto directly. */
export const signatureVerifies = (
  token: string | Redacted.Redacted<string>,
  jwk: object
): Effect.Effect<boolean> =>
  Effect.promise(async () => {
    const [h, p, s] = (Redacted.isRedacted(token) ? Redacted.value(token) : token).split(".")
    const publicKey = await globalThis.crypto.subtle.importKey("jwk", jwk as JsonWebKey, "Ed25519", false, [
      "verify"
    ])
    return globalThis.crypto.subtle.verify(
      "Ed25519",
      publicKey,
      Buffer.from(s!, "base64url"),
      new TextEncoder().encode(`${h}.${p}`)
    )
  })

/** A fresh device key registered for the default account and exchanged for a Plex JWT. */
export const registeredKey = Effect.gen(function* () {
  const key = yield* Jwt.generateKey
  yield* Jwt.registerKey(key)
  const plexJwt = yield* Jwt.exchange(key)
  return { key, plexJwt }
})

/** Sends a hand-built JSON request to the fake (for what the client never sends), returning status and JSON body. */
export const rawJson = (
  path: string,
  init: {
    readonly method?: string
    readonly body?: unknown
    readonly token?: Redacted.Redacted<string> | string
  } = {}
): Effect.Effect<{ readonly status: number; readonly json: any }, never, FakePlex.FakePlex> =>
  Effect.gen(function* () {
    const fake = yield* FakePlex.FakePlex
    const headers = new Headers({ "X-Plex-Client-Identifier": CLIENT_ID, Accept: "application/json" })
    if (init.token !== undefined) {
      headers.set("X-Plex-Token", Redacted.isRedacted(init.token) ? Redacted.value(init.token) : init.token)
    }
    if (init.body !== undefined) headers.set("Content-Type", "application/json")
    const request = new Request(`${fake.plexTvUrl}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      body: init.body === undefined ? null : JSON.stringify(init.body)
    })
    const response = yield* Effect.orDie(fake.handle(request))
    const text = yield* Effect.promise(() => response.text())
    return { status: response.status, json: text === "" ? undefined : JSON.parse(text) }
  })

/**
 * Waits, without moving the TestClock, until `fiber` has ended or waits on a
 * timer due within `within` (a poll's pause; a request in flight only has its
 * 30-second timeout pending), and, given `shorterThan`, that was shorter than
 * that when it began (so that a request's timeout, once the clock has moved
 * while it was in flight, never counts as a pause). A sleep already due has
 * been woken by the TestClock and does not count: its fiber has yet to run on. Web Crypto and body reading are real
 * asynchronous work that a TestClock jump would not wait for, so this yields
 * to the event loop until they are done: the clock never moves under them.
 *
 * There is no bound on the number of turns: Web Crypto runs on libuv's
 * thread pool, which a loaded machine (or another test's file system work)
 * can keep busy for any number of turns, so a bound counted in turns is a
 * hidden real-time limit (it made `a long wait re-signs the device JWT before
 * it expires` flaky). A fiber that never comes to wait is caught by the
 * test's own timeout.
 */
export const whenWaiting = (
  fiber: Fiber.Fiber<unknown, unknown>,
  within: Duration.DurationInput = "1 second",
  shorterThan?: Duration.DurationInput
): Effect.Effect<void, never, PendingSleeps> =>
  Effect.suspend(() => {
    const limit = Duration.toMillis(within)
    const longest = shorterThan === undefined ? Infinity : Duration.toMillis(shorterThan)
    return whenSleeping(fiber, ({ at, millis }, now) => at <= now + limit && millis < longest)
  })

/**
 * Waits, without moving the TestClock, until `fiber` has ended or a pending
 * sleep not yet due satisfies `which` (given the test clock's time): the fact
 * a test needs before it moves the clock (a poll's 1-minute pause, say, and
 * not the 30-second timeout of the request it has in flight). {@link whenWaiting}
 * is this for a sleep due within a window.
 *
 * Any fiber's sleep counts, not only `fiber`'s own or its children's: a
 * caller of `Jwt` credentials waits for a refresh forked into the layer's
 * scope, whose sleeps are no descendant's. A test that runs another fiber
 * with a sleep of its own must pick `which` so that sleep does not match.
 */
export const whenSleeping = (
  fiber: Fiber.Fiber<unknown, unknown>,
  which: (sleep: { readonly at: number; readonly millis: number }, now: number) => boolean
): Effect.Effect<void, never, PendingSleeps> =>
  Effect.gen(function* () {
    const sleeps = yield* PendingSleeps
    while (true) {
      if (Option.isSome(yield* Fiber.poll(fiber))) return
      const now = yield* TestClock.currentTimeMillis
      // A sleep due now or before has been woken (its fiber has yet to run on): it is not waited on.
      if (sleeps.pending().some((sleep) => sleep.at > now && which(sleep, now))) return
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    }
  })

/**
 * Waits, without moving the TestClock, until at least `count` sleeps are pending that are due within `within`
 * (any fiber's): the timers and delays a test needs set before it moves the clock, when it needs more than one.
 */
export const whenPending = (
  count: number,
  within: Duration.DurationInput
): Effect.Effect<void, never, PendingSleeps> =>
  Effect.gen(function* () {
    const sleeps = yield* PendingSleeps
    const limit = Duration.toMillis(within)
    while (true) {
      const now = yield* TestClock.currentTimeMillis
      if (sleeps.pending().filter((sleep) => sleep.at > now && sleep.at <= now + limit).length >= count)
        return
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    }
  })

/** Moves the TestClock `times` steps of `step`, each once `fiber` waits on its timer (see {@link whenWaiting}). */
export const step = (
  fiber: Fiber.Fiber<unknown, unknown>,
  times: number,
  by: Duration.DurationInput = "1 second"
): Effect.Effect<void, never, PendingSleeps> =>
  Effect.gen(function* () {
    for (let i = 0; i < times; i++) {
      yield* whenWaiting(fiber, by)
      if (Option.isSome(yield* Fiber.poll(fiber))) return
      yield* TestClock.adjust(by)
    }
  })

/** Steps until `fiber` ends (at most `max` steps), then joins it. */
export const stepToEnd = <A, E>(
  fiber: Fiber.Fiber<A, E>,
  by: Duration.DurationInput = "1 second",
  max = 1_000
): Effect.Effect<A, E, PendingSleeps> => Effect.zipRight(step(fiber, max, by), Fiber.join(fiber))
