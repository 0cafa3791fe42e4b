/**
 * The Effect 4 request engine through the seed operations: the redirect and
 * secret policy, the per-attempt timeout under the TestClock, `Retry-After`,
 * the body cap, and the `fetch` path (`redirect: "manual"` beside the
 * caller's options, the platform's own signal, aborted on timeout).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as RetryPolicy from "effect4-plex-auth/RetryPolicy"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { layerPendingSleeps, whenWaiting } from "../Jwt/support.js"
import { anonymous, env, identityLayer, noSecretIn } from "../support.js"
import { fakeReceived } from "../support/assertions.js"

const token = Redacted.value(FakePlex.defaults.token)
const elsewhere = FakePlex.defaults.elsewhereUrl

describe("redirects", () => {
  it.effect("a same-origin redirect is followed with the token", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault(
        "getTokenDetails",
        Fault.redirect({ to: `${FakePlex.defaults.plexTvUrl}/api/v2/user`, status: 307 }),
        { times: 1 }
      )
      const account = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(account.username, FakePlex.defaults.username)
      const requests = yield* FakePlex.requests
      assert.strictEqual(requests.length, 2)
      assert.isTrue(requests.every((r) => r.headers["x-plex-token"] !== undefined))
    }).pipe(Effect.provide(env()))
  )

  it.effect("the token never crosses origins: a redirect elsewhere goes without it", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault(
        "getTokenDetails",
        Fault.redirect({ to: `${elsewhere}/api/v2/user?x=1`, status: 302 })
      )
      const error = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(error._tag, "Unexpected")
      const away = (yield* FakePlex.requests).filter((r) => r.host === "elsewhere")
      assert.strictEqual(away.length, 1)
      assert.isUndefined(away[0]?.headers["x-plex-token"])
      assert.deepStrictEqual(away[0]?.query, { x: "1" })
      noSecretIn(error, token)
    }).pipe(Effect.provide(env()))
  )

  it.effect(
    "a sign-in is never resent to another origin (307 keeps the body): refused, nothing sent there",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault(
          "postUsersSignInData",
          Fault.redirect({ to: `${elsewhere}/signin`, status: 307 })
        )
        const error = yield* Effect.flip(
          PlexAuth.postUsersSignInData({
            login: FakePlex.defaults.login,
            password: FakePlex.defaults.password
          })
        )
        assert.strictEqual(error._tag, "Unexpected")
        if (error._tag === "Unexpected") {
          assert.strictEqual(error.reason, "Redirect")
          assert.include(error.detail, "refused to send credentials to another origin")
        }
        assert.strictEqual((yield* FakePlex.requests).filter((r) => r.host === "elsewhere").length, 0)
        noSecretIn(error, FakePlex.defaults.password)
      }).pipe(Effect.provide(anonymous()))
  )

  it.effect("at most five redirects", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault(
        "getTokenDetails",
        Fault.redirect({ to: `${FakePlex.defaults.plexTvUrl}/api/v2/user` })
      )
      const error = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(error._tag, "Unexpected")
      if (error._tag === "Unexpected") assert.include(error.detail, "more than 5 redirects")
      assert.strictEqual((yield* FakePlex.requests).length, 6)
    }).pipe(Effect.provide(env()))
  )
})

describe("per-attempt timeout (TestClock)", () => {
  it.effect("a hanging answer fails with NetworkError Timeout after the default 30 seconds, not before", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.hang)
      const fiber = yield* Effect.forkChild(Effect.flip(PlexAuth.getTokenDetails()))
      yield* fakeReceived(1) // the request reached the fake: its timeout runs from 0
      // A millisecond short of the timeout it still waits (a timeout a moment early fails here).
      yield* TestClock.adjust("29999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "NetworkError")
      if (error._tag === "NetworkError") assert.strictEqual(error.reason, "Timeout")
      if (error._tag === "NetworkError") assert.strictEqual(error.detail, "no complete answer within 30s")
      const [request] = yield* FakePlex.requests
      assert.strictEqual(request?.outcome, "Interrupted")
    }).pipe(Effect.provide(env()))
  )

  it.effect("withRequestTimeout sets another; a non-positive or infinite one is InvalidInput", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.hang)
      const fiber = yield* Effect.forkChild(
        Effect.flip(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("5 seconds")))
      )
      yield* fakeReceived(1) // the request reached the fake: its timeout runs from 0
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "NetworkError")
      for (const bad of [0, -1, Number.NaN, "Infinity" as const]) {
        const refused = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout(bad)))
        assert.strictEqual(refused._tag, "InvalidInput")
      }
    }).pipe(Effect.provide(env()))
  )
})

describe("Retry-After", () => {
  it.effect("a 429's Retry-After is waited out before the retry, whatever the policy's own delay", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.rateLimited("3 seconds"), { times: 1 })
      const fiber = yield* Effect.forkChild(
        PlexAuth.getTokenDetails().pipe(
          RetryPolicy.withPolicy(RetryPolicy.backoff({ initialInterval: "10 millis" }))
        )
      )
      // The 429 read and its 3-second wait running (not the request's 30-second timeout).
      yield* whenWaiting(fiber, "3 seconds")
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual((yield* FakePlex.requests).length, 1)
      yield* TestClock.adjust("1 second")
      const account = yield* Fiber.join(fiber)
      assert.strictEqual(account.username, FakePlex.defaults.username)
      const [first, second] = yield* FakePlex.requests
      assert.strictEqual((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0), 3000)
    }).pipe(Effect.provide(Layer.merge(env(), layerPendingSleeps)))
  )

  it.effect(
    "a Retry-After longer than a minute ends the retries; the error says how long Plex asked for",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.rateLimited("2 minutes"))
        const error = yield* Effect.flip(
          PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(RetryPolicy.transient))
        )
        assert.strictEqual(error._tag, "RateLimited")
        if (error._tag === "RateLimited") assert.strictEqual(error.retryAfterMillis, 120_000)
        assert.strictEqual((yield* FakePlex.requests).length, 1)
      }).pipe(Effect.provide(env()))
  )

  it.effect("RetryPolicy.none (the default) does not retry", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(503))
      const error = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(error._tag, "Unexpected")
      assert.strictEqual((yield* FakePlex.requests).length, 1)
    }).pipe(Effect.provide(env()))
  )
})

describe("body cap and secrets", () => {
  it.effect("a body over the cap is Unexpected BodyTooLarge, declared or not", () =>
    Effect.gen(function* () {
      for (const declareLength of [true, false]) {
        yield* FakePlex.clearFaults
        yield* FakePlex.fault("getTokenDetails", Fault.oversized({ bytes: 4096, declareLength }))
        const error = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(PlexAuth.withMaxBodyBytes(1024)))
        assert.strictEqual(error._tag, "Unexpected")
        if (error._tag === "Unexpected") assert.strictEqual(error.reason, "BodyTooLarge")
      }
    }).pipe(Effect.provide(env()))
  )

  it.effect("a server echoing the token: the error's excerpt and messages mask it", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault(
        "getTokenDetails",
        Fault.respond((request) =>
          Effect.succeed(
            new Response(`oops ${request.headers.get("x-plex-token")} ${encodeURIComponent(token)}`, {
              status: 500,
              headers: { "content-type": "text/plain" }
            })
          )
        )
      )
      const error = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(error._tag, "Unexpected")
      if (error._tag === "Unexpected") assert.include(error.bodyExcerpt ?? "", "<redacted>")
      noSecretIn(error, token)
    }).pipe(Effect.provide(env()))
  )
})

/** A `fetch` that records what it was given and answers from `answer`. */
const recordingFetch = (answer: (url: string, init: RequestInit) => Promise<Response>) => {
  const calls: Array<{ readonly url: string; readonly init: RequestInit }> = []
  const fetch: typeof globalThis.fetch = (input, init = {}) => {
    const url = input instanceof Request ? input.url : String(input)
    calls.push({ url, init })
    return answer(url, init)
  }
  return { calls, fetch }
}

const account = { id: 1, uuid: "u", username: "fetcher", email: "f@example.com", title: "F" }

/** Waits, an event-loop turn at a time and no time passing, until `fetch` has been called `count` times. */
const untilCalled = (calls: ReadonlyArray<unknown>, count: number) =>
  Effect.gen(function* () {
    while (calls.length < count)
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
  })

const throughFetch = (fetch: typeof globalThis.fetch, init: RequestInit = {}) =>
  Layer.mergeAll(identityLayer, Credentials.layer("fetch-path-token-1234").pipe(Layer.orDie)).pipe(
    Layer.provideMerge(
      FetchHttpClient.layer.pipe(
        Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch)),
        Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, init))
      )
    )
  )

describe("through FetchHttpClient", () => {
  it.effect("sends redirect: manual beside the caller's RequestInit, with the platform's signal", () => {
    const { calls, fetch } = recordingFetch(async () => Response.json(account))
    return Effect.gen(function* () {
      const got = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(got.username, "fetcher")
      assert.strictEqual(calls.length, 1)
      const init = calls[0]!.init
      assert.strictEqual(init.redirect, "manual")
      assert.strictEqual(init.cache, "no-store")
      assert.instanceOf(init.signal, AbortSignal)
    }).pipe(Effect.provide(throughFetch(fetch, { cache: "no-store" })))
  })

  it.effect("follows a cross-origin redirect itself, without the token", () => {
    const { calls, fetch } = recordingFetch(async (url) =>
      url.startsWith("https://plex.tv")
        ? new Response(null, { status: 302, headers: { location: "https://mirror.example/api/v2/user" } })
        : Response.json(account)
    )
    return Effect.gen(function* () {
      const got = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(got.username, "fetcher")
      assert.deepStrictEqual(
        calls.map((c) => c.url),
        ["https://plex.tv/api/v2/user", "https://mirror.example/api/v2/user"]
      )
      assert.strictEqual(new Headers(calls[0]!.init.headers).get("x-plex-token"), "fetch-path-token-1234")
      assert.isNull(new Headers(calls[1]!.init.headers).get("x-plex-token"))
    }).pipe(Effect.provide(throughFetch(fetch)))
  })

  it.effect(
    "a caller's fetch that follows redirects itself never gets the token sent elsewhere by us, and its answer from elsewhere is refused",
    () => {
      const { fetch } = recordingFetch(async () => {
        const response = Response.json(account)
        Object.defineProperty(response, "url", { value: "https://evil.example/api/v2/user" })
        return response
      })
      return Effect.gen(function* () {
        const error = yield* Effect.flip(PlexAuth.getTokenDetails())
        assert.strictEqual(error._tag, "Unexpected")
        if (error._tag === "Unexpected") {
          assert.strictEqual(error.reason, "Redirect")
          assert.include(error.detail, "another origin")
        }
      }).pipe(Effect.provide(throughFetch(fetch)))
    }
  )

  it.effect("the timeout fires even when the caller's fetch ignores the signal (TestClock)", () => {
    const { calls, fetch } = recordingFetch(() => new Promise<Response>(() => {}))
    return Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(
        Effect.flip(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("2 seconds")))
      )
      yield* untilCalled(calls, 1) // the request reached fetch: its timeout runs from 0
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag === "NetworkError" && error.reason, "Timeout")
      assert.strictEqual(error._tag === "NetworkError" && error.detail, "no complete answer within 2s")
    }).pipe(Effect.provide(throughFetch(fetch)))
  })

  it.effect("the timeout aborts the platform's signal (TestClock)", () => {
    const { calls, fetch } = recordingFetch(
      (_, init) =>
        new Promise((_, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason)))
    )
    return Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(Effect.flip(PlexAuth.getTokenDetails()))
      yield* untilCalled(calls, 1) // the request reached fetch: its timeout runs from 0
      yield* TestClock.adjust("30 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "NetworkError")
      if (error._tag === "NetworkError") assert.strictEqual(error.reason, "Timeout")
      assert.isTrue(calls[0]?.init.signal?.aborted)
    }).pipe(Effect.provide(throughFetch(fetch)))
  })

  it.effect(
    "every attempt and every hop of one call goes through the layer's fetch, with redirect: manual and the caller's options",
    () => {
      let answered = 0
      const { calls, fetch } = recordingFetch(async (url) => {
        answered++
        if (answered === 1) return new Response("busy", { status: 503 })
        return url.startsWith("https://plex.tv")
          ? new Response(null, { status: 302, headers: { location: "https://mirror.example/api/v2/user" } })
          : Response.json(account)
      })
      return Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(
          PlexAuth.getTokenDetails().pipe(
            RetryPolicy.withPolicy(RetryPolicy.backoff({ initialInterval: "1 second", jitter: false }))
          )
        )
        // The 503 read and the retry's pause running (not the request's 30-second timeout).
        yield* whenWaiting(fiber, "5 seconds")
        yield* TestClock.adjust("5 seconds")
        const got = yield* Fiber.join(fiber)
        assert.strictEqual(got.username, "fetcher")
        assert.deepStrictEqual(
          calls.map((c) => c.url),
          ["https://plex.tv/api/v2/user", "https://plex.tv/api/v2/user", "https://mirror.example/api/v2/user"]
        )
        for (const call of calls) {
          assert.strictEqual(call.init.redirect, "manual")
          assert.strictEqual(call.init.cache, "no-store")
        }
        // The retried attempt carries the token; the hop to the other origin does not (the guard's `hop`).
        assert.strictEqual(new Headers(calls[1]!.init.headers).get("x-plex-token"), "fetch-path-token-1234")
        assert.isNull(new Headers(calls[2]!.init.headers).get("x-plex-token"))
      }).pipe(Effect.provide(Layer.merge(throughFetch(fetch, { cache: "no-store" }), layerPendingSleeps)))
    }
  )
})
