/**
 * The per-attempt timeout over `FetchHttpClient` on the live clock. Once the
 * engine has seen that a client sends through `fetch`, a timeout aborts the
 * request's `fetch` instead of running the attempt in a fiber of its own.
 * `fetch` here is a stub (no network): it answers at once, or never until its
 * signal aborts, and records the signals it was given.
 *
 * This path only runs with the live clock (under a `TestClock` the engine
 * takes the fiber path, tested in timeout.test.ts), so the timeouts below are
 * real but short, and the tests assert what happens, never how long it took.
 */
import { FetchHttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, Redacted } from "effect"
import { ClientIdentity, Credentials, PlexAuth, PlexTv } from "effect-plex-auth"

const account = { id: 1, uuid: "u-1", username: "one", title: "One" }

interface Stub {
  readonly signals: Array<AbortSignal>
  /** The `redirect` mode of each request: the engine follows redirects itself, so always "manual". */
  readonly redirects: Array<RequestRedirect | undefined>
  /** When true the stub never answers; it rejects once its signal aborts, as `fetch` does. */
  hang: boolean
}

const stubFetch = (stub: Stub): typeof globalThis.fetch =>
  ((_input: unknown, init?: RequestInit) => {
    const signal = init?.signal ?? undefined
    if (signal) stub.signals.push(signal)
    stub.redirects.push(init?.redirect)
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
      signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), {
        once: true
      })
    })
  }) as typeof globalThis.fetch

/**
 * The stub given to the `FetchHttpClient` layer itself, as the platform's README
 * customizes it, not beside it: the engine's own wrapper must not hide it.
 */
const providedToTheLayer = (stub: Stub) =>
  Layer.mergeAll(
    FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, stubFetch(stub)))),
    ClientIdentity.layer({ clientIdentifier: "timeout-fetch-test", product: "Test" }),
    Credentials.layer(Redacted.make("token"))
  )

/** A fresh `FetchHttpClient` (a client the engine has not seen) over the stub. */
const layer = (stub: Stub) =>
  Layer.mergeAll(
    FetchHttpClient.layer,
    Layer.succeed(FetchHttpClient.Fetch, stubFetch(stub)),
    ClientIdentity.layer({ clientIdentifier: "timeout-fetch-test", product: "Test" }),
    Credentials.layer(Redacted.make("token"))
  )

const call = PlexAuth.getTokenDetails().pipe(
  PlexTv.withUrl("http://127.0.0.1:9"),
  PlexAuth.withRequestTimeout("30 millis"),
  Effect.either
)

describe("the timeout over fetch, on the live clock", () => {
  it.live("a hanging fetch times out, on the first call (learning) and on the next (abort only)", () => {
    const stub: Stub = { signals: [], redirects: [], hang: true }
    return Effect.gen(function* () {
      for (const round of ["first", "second"]) {
        const result = yield* call
        assert.isTrue(Either.isLeft(result), `${round}: failed`)
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left._tag, "NetworkError", round)
          assert.strictEqual((result.left as { reason?: string }).reason, "Timeout", round)
        }
        assert.isTrue(stub.signals.at(-1)?.aborted, `${round}: the request's fetch was aborted`)
      }
      assert.strictEqual(stub.signals.length, 2)
    }).pipe(Effect.provide(layer(stub)))
  })

  it.live("an answer in time succeeds, and its signal is left alone", () => {
    const stub: Stub = { signals: [], redirects: [], hang: false }
    return Effect.gen(function* () {
      for (let i = 0; i < 3; i++) {
        const result = yield* call
        assert.isTrue(Either.isRight(result))
        if (Either.isRight(result)) assert.strictEqual(result.right.username, "one")
      }
      // Past the timeout: a timer left running would have aborted a signal by now.
      yield* Effect.sleep("60 millis")
      assert.strictEqual(stub.signals.length, 3)
      assert.isTrue(stub.signals.every((signal) => !signal.aborted))
      // The first call (the client not yet known to use fetch) and the next ones alike.
      assert.deepStrictEqual(stub.redirects, ["manual", "manual", "manual"])
    }).pipe(Effect.provide(layer(stub)))
  })

  it.live(
    "a Fetch provided to the FetchHttpClient layer is the one used, with the timeout and manual redirects",
    () => {
      const stub: Stub = { signals: [], redirects: [], hang: false }
      return Effect.gen(function* () {
        for (let i = 0; i < 2; i++) assert.isTrue(Either.isRight(yield* call), `call ${i}`)
        stub.hang = true
        const result = yield* call
        assert.isTrue(Either.isLeft(result) && result.left._tag === "NetworkError")
        assert.strictEqual(stub.signals.length, 3, "every request went through the layer's fetch")
        assert.isTrue(stub.signals[2]?.aborted, "the timeout aborted it")
        assert.deepStrictEqual(stub.redirects, ["manual", "manual", "manual"])
      }).pipe(Effect.provide(providedToTheLayer(stub)))
    }
  )

  it.live("interrupting the caller aborts the request's fetch", () => {
    const stub: Stub = { signals: [], redirects: [], hang: false }
    return Effect.gen(function* () {
      // One answered call teaches the engine that this client sends through fetch.
      assert.isTrue(Either.isRight(yield* call))
      stub.hang = true
      const fiber = yield* Effect.fork(
        PlexAuth.getTokenDetails().pipe(
          PlexTv.withUrl("http://127.0.0.1:9"),
          PlexAuth.withRequestTimeout("1 minute")
        )
      )
      while (stub.signals.length < 2) yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      assert.isTrue(stub.signals[1]?.aborted)
    }).pipe(Effect.provide(layer(stub)))
  })
})
