/**
 * The per-attempt timeout over `FetchHttpClient`: the
 * timeout interrupts the attempt, and the platform then aborts the request's
 * `fetch` (its signal is the platform's own, never replaced). A
 * `FetchHttpClient.Fetch` of the caller's, given beside the layer or to it,
 * is the one used, with `redirect: "manual"`; one that ignores the abort
 * still times out, since the interruption does not wait for it.
 *
 * `fetch` here is a stub (no network): it answers at once, or never (until its
 * signal aborts, unless it ignores the signal), and records what it was given.
 * The global one is replaced for the tests that need it, and put back. Time
 * is the TestClock's: a call to a hanging stub is forked, and once the stub
 * has been called the clock is moved past the 30 ms timeout, so no test waits
 * on the real clock.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, Redacted, TestClock } from "effect"
import { ClientIdentity, Credentials, PlexAuth, PlexTv } from "effect-plex-auth"
import { it } from "../support/it.js"

const account = { id: 1, uuid: "u-1", username: "one", title: "One" }

interface Stub {
  readonly signals: Array<AbortSignal>
  /** The `redirect` mode of each request: the engine follows redirects itself, so always "manual". */
  readonly redirects: Array<RequestRedirect | undefined>
  /** When true the stub never answers; it rejects once its signal aborts, as `fetch` does. */
  hang: boolean
  /** When true a hanging stub ignores its signal too: only an interruption gets the caller out. */
  deaf?: boolean
  /** Called on each call of the stub (see {@link calledTimes}). */
  onCall?: (() => void) | undefined
}

const stubFetch = (stub: Stub): typeof globalThis.fetch =>
  ((_input: unknown, init?: RequestInit) => {
    const signal = init?.signal ?? undefined
    if (signal) stub.signals.push(signal)
    stub.redirects.push(init?.redirect)
    stub.onCall?.()
    if (!stub.hang) {
      const body = JSON.stringify(account)
      return Promise.resolve(
        new Response(body, {
          status: 200,
          headers: { "content-type": "application/json", "content-length": String(body.length) }
        })
      )
    }
    return new Promise<Response>((_, reject) => {
      if (stub.deaf) return
      signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), {
        once: true
      })
    })
  }) as typeof globalThis.fetch

const identity = Layer.mergeAll(
  ClientIdentity.layer({ clientIdentifier: "timeout-fetch-test", product: "Test" }),
  Credentials.layer(Redacted.make("token"))
)

/** A fresh `FetchHttpClient` (a client the engine has not seen) over the global `fetch`, the stub meanwhile. */
const overGlobalFetch = <A, E>(stub: Stub, self: Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const original = globalThis.fetch
      globalThis.fetch = stubFetch(stub)
      return original
    }),
    () => self,
    (original) =>
      Effect.sync(() => {
        globalThis.fetch = original
      })
  )

/** A fresh `FetchHttpClient` with the stub as its `Fetch`, beside it (in the caller's context). */
const besideTheLayer = (stub: Stub) =>
  Layer.mergeAll(FetchHttpClient.layer, Layer.succeed(FetchHttpClient.Fetch, stubFetch(stub)), identity)

/**
 * The stub given to the `FetchHttpClient` layer itself, as the platform's README
 * customizes it, not beside it: the engine's own wrapper must not hide it.
 */
const providedToTheLayer = (stub: Stub) =>
  Layer.mergeAll(
    FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, stubFetch(stub)))),
    identity
  )

const call = PlexAuth.getTokenDetails().pipe(
  PlexTv.withUrl("http://127.0.0.1:9"),
  PlexAuth.withRequestTimeout("30 millis"),
  Effect.either
)

/** Completes once the stub has been called `count` times in all (it records each call's redirect mode). */
const calledTimes = (stub: Stub, count: number) =>
  Effect.async<void>((resume) => {
    const check = () => {
      if (stub.redirects.length < count) return
      stub.onCall = undefined
      resume(Effect.void)
    }
    stub.onCall = check
    check()
  })

/** `call` to a hanging stub on the TestClock: forked, and once the stub has it, the clock moved past the timeout. */
const hangingCall = (stub: Stub) =>
  Effect.gen(function* () {
    const count = stub.redirects.length + 1
    const fiber = yield* Effect.fork(call)
    yield* calledTimes(stub, count)
    yield* TestClock.adjust("30 millis")
    return yield* Fiber.join(fiber)
  })

/** Fails the test unless `result` is the timeout's `NetworkError`. */
const assertTimedOut = (result: Either.Either<unknown, { readonly _tag: string }>, round: string) => {
  assert.isTrue(Either.isLeft(result), `${round}: failed`)
  if (Either.isLeft(result)) {
    assert.strictEqual(result.left._tag, "NetworkError", round)
    assert.strictEqual((result.left as { reason?: string }).reason, "Timeout", round)
  }
}

describe("the timeout over the global fetch", () => {
  it.effect("a hanging fetch times out, on the first call (learning) and on the next (abort only)", () => {
    const stub: Stub = { signals: [], redirects: [], hang: true }
    const run = Effect.gen(function* () {
      for (const round of ["first", "second", "third"]) {
        assertTimedOut(yield* hangingCall(stub), round)
        assert.isTrue(stub.signals.at(-1)?.aborted, `${round}: the request's fetch was aborted`)
      }
      assert.strictEqual(stub.signals.length, 3)
    }).pipe(Effect.provide(Layer.merge(FetchHttpClient.layer, identity)))
    return overGlobalFetch(stub, run)
  })

  it.effect("an answer in time succeeds, and its signal is left alone", () => {
    const stub: Stub = { signals: [], redirects: [], hang: false }
    const run = Effect.gen(function* () {
      for (let i = 0; i < 3; i++) {
        const result = yield* call
        assert.isTrue(Either.isRight(result))
        if (Either.isRight(result)) assert.strictEqual(result.right.username, "one")
      }
      // Past the timeout: a timer left running would abort a signal now.
      yield* TestClock.adjust("60 millis")
      assert.strictEqual(stub.signals.length, 3)
      assert.isTrue(stub.signals.every((signal) => !signal.aborted))
      // The first call (the client not yet known to use fetch) and the next ones alike.
      assert.deepStrictEqual(stub.redirects, ["manual", "manual", "manual"])
    }).pipe(Effect.provide(Layer.merge(FetchHttpClient.layer, identity)))
    return overGlobalFetch(stub, run)
  })

  it.effect("interrupting the caller aborts the request's fetch", () => {
    const stub: Stub = { signals: [], redirects: [], hang: false }
    const run = Effect.gen(function* () {
      // Two answered calls teach the engine that this client sends through the global fetch.
      for (let i = 0; i < 2; i++) assert.isTrue(Either.isRight(yield* call))
      stub.hang = true
      const fiber = yield* Effect.fork(
        PlexAuth.getTokenDetails().pipe(
          PlexTv.withUrl("http://127.0.0.1:9"),
          PlexAuth.withRequestTimeout("1 minute")
        )
      )
      yield* calledTimes(stub, 3)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(stub.signals[2]?.aborted)
    }).pipe(Effect.provide(Layer.merge(FetchHttpClient.layer, identity)))
    return overGlobalFetch(stub, run)
  })
})

describe("the timeout over a Fetch of the caller's or of the layer's", () => {
  for (const [where, layer] of [
    ["beside the layer", besideTheLayer],
    ["given to the layer", providedToTheLayer]
  ] as const) {
    it.effect(
      `${where}: it is the one used, with manual redirects, and a hang times out with its fetch aborted`,
      () => {
        const stub: Stub = { signals: [], redirects: [], hang: false }
        return Effect.gen(function* () {
          for (let i = 0; i < 2; i++) assert.isTrue(Either.isRight(yield* call), `call ${i}`)
          stub.hang = true
          assertTimedOut(yield* hangingCall(stub), "hanging")
          assert.strictEqual(stub.signals.length, 3, "every request went through the stub")
          assert.isTrue(stub.signals[2]?.aborted, "the timeout aborted it")
          assert.deepStrictEqual(stub.redirects, ["manual", "manual", "manual"])
        }).pipe(Effect.provide(layer(stub)))
      }
    )

    it.effect(`${where}: one that ignores the abort still times out, on every call`, () => {
      const stub: Stub = { signals: [], redirects: [], hang: false }
      return Effect.gen(function* () {
        for (let i = 0; i < 2; i++) assert.isTrue(Either.isRight(yield* call), `call ${i}`)
        stub.hang = true
        stub.deaf = true
        for (const round of ["first", "second"]) assertTimedOut(yield* hangingCall(stub), round)
      }).pipe(Effect.provide(layer(stub)))
    })
  }
})

/**
 * `AbortController`s made while `self` runs (the global one is swapped for a
 * counting subclass meanwhile, and put back).
 */
const countingControllers = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const original = globalThis.AbortController
      const counter = { made: 0 }
      globalThis.AbortController = class extends original {
        constructor() {
          super()
          counter.made++
        }
      }
      return { original, counter }
    }),
    ({ counter }) => Effect.map(self, (a) => [a, counter.made] as const),
    ({ original }) =>
      Effect.sync(() => {
        globalThis.AbortController = original
      })
  )

describe("one abort controller per request", () => {
  for (const [where, layer] of [
    ["the global fetch", (_: Stub) => Layer.merge(FetchHttpClient.layer, identity)],
    ["a Fetch beside the layer", besideTheLayer],
    ["a Fetch given to the layer", providedToTheLayer]
  ] as const) {
    it.effect(`${where}: the platform sends with the engine's controller and makes none of its own`, () => {
      const stub: Stub = { signals: [], redirects: [], hang: false }
      const run = Effect.gen(function* () {
        // The first call teaches the engine how the client sends; the next ones take the settled path.
        for (let i = 0; i < 2; i++) assert.isTrue(Either.isRight(yield* call), `call ${i}`)
        const [result, made] = yield* countingControllers(call)
        assert.isTrue(Either.isRight(result))
        assert.strictEqual(made, 1, "one controller for the request, none made by the platform")
        assert.strictEqual(new Set(stub.signals).size, 3, "each request had a signal of its own")
        // The controller the platform was given is the one the timeout aborts.
        stub.hang = true
        assertTimedOut(yield* hangingCall(stub), "hanging")
        assert.isTrue(stub.signals[3]?.aborted, "the timeout aborted it")
      }).pipe(Effect.provide(layer(stub)))
      return where === "the global fetch" ? overGlobalFetch(stub, run) : run
    })
  }

  it.effect(
    "a client that rewrites each request still times out and aborts (with the platform's own controller)",
    () => {
      const stub: Stub = { signals: [], redirects: [], hang: false }
      // `mapRequest` makes a new request object, so the platform never finds the engine's controller for it.
      const rewriting = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, HttpClient.mapRequest(HttpClientRequest.setHeader("x-extra", "1")))
      ).pipe(Layer.provide(FetchHttpClient.layer))
      const run = Effect.gen(function* () {
        for (let i = 0; i < 2; i++) assert.isTrue(Either.isRight(yield* call), `call ${i}`)
        stub.hang = true
        assertTimedOut(yield* hangingCall(stub), "hanging")
        assert.strictEqual(stub.signals.length, 3)
        assert.isTrue(stub.signals[2]?.aborted, "the timeout aborted it")
        assert.deepStrictEqual(stub.redirects, ["manual", "manual", "manual"])
      }).pipe(Effect.provide(Layer.merge(rewriting, identity)))
      return overGlobalFetch(stub, run)
    }
  )
})
