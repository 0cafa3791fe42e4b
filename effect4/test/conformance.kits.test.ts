/**
 * Conformance of the test kits: `effect-plex-auth/testing` (FakePlex, Fault) and `effect-plex-auth/node`
 * (FakePlexServer), written as a user would from docs/testing.md and the JSDoc. The same file runs on both
 * editions: effect4/test/conformance.kits.test.ts is this file with only the renames test/api-parity.test.ts
 * lists (`conformanceRenames`), and that test fails if the two files differ otherwise.
 */
import { FetchHttpClient } from "effect/http"
import { HttpClient } from "effect/http"
import { assert, describe } from "@effect/vitest"
import { Cause, Clock, Duration, Effect, Exit, Fiber, Layer, Redacted, Schema } from "effect"
import { TestClock } from "effect/testing"
import {
  Claim,
  ClientIdentity,
  Credentials,
  Devices,
  Home,
  Jwt,
  PinLogin,
  PlexAuth,
  PlexServer,
  PlexTv,
  Resources,
  RetryPolicy,
  ServerAccess
} from "effect4-plex-auth"
import { type HandlerOptions, handlerFaults, makeHandler } from "effect4-plex-auth/fake"
import { serve } from "effect4-plex-auth/fake/node"
import { FakePlexServer } from "effect4-plex-auth/node"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { it } from "./support/it.js"
import { layerPendingSleeps, whenWaiting } from "./Jwt/support.js"
import { withRecordedSpans } from "./support/observe.js"

const signedIn = FakePlex.layerSignedIn()

/** The defect an Effect died with (the test fails when it did not die). */
const defectOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    assert.isTrue(Exit.isFailure(exit), "expected a failure")
    if (!Exit.isFailure(exit)) return undefined
    return Cause.squash(exit.cause)
  })

/** One turn of the event loop (no time passes on any clock): the fake's promises and Web Crypto move on. */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/**
 * Waits, a turn of the event loop at a time, until `condition` holds, then a few turns more, so that the client
 * has read the answer and waits on the clock again before the test moves it.
 */
const until = (condition: Effect.Effect<boolean, never, FakePlex.FakePlex>) =>
  Effect.gen(function* () {
    for (let i = 0; i < 1000; i++) {
      if (yield* condition) {
        for (let j = 0; j < 20; j++) yield* turn
        return
      }
      yield* turn
    }
    assert.fail("the condition never held")
  })

/**
 * Runs `effect` in a fiber and moves the TestClock by `step` until it ends, at most `steps` times, then joins it:
 * for flows whose waits the test need not time exactly. Each step waits (no time passing) until the fiber waits on
 * a timer due within 29 seconds that was shorter than that when it began (a poll's pause, a backoff, a
 * Retry-After), never while it only has a request's 30-second timeout pending (nor once a step has moved the clock
 * while that request was in flight, which brought its timeout within 29 seconds: each step after would then run
 * at once, until the request timed out, as seen on a loaded machine): while a request is in flight or the client signs or verifies a JWT (Web Crypto runs
 * on threads of its own, slower on a loaded machine), a step would count for no pause of the flow (60 steps
 * passed in a few of its pauses: "still running") or run a request out of time. Checking for the fake's answers
 * after a bounded number of event-loop turns missed the client's own Web Crypto (seen with it made slower).
 */
const stepping = <A, E, R>(effect: Effect.Effect<A, E, R>, step: "1 second" | "5 seconds", steps: number) =>
  Effect.gen(function* () {
    let done = false
    const fiber = yield* Effect.forkChild(
      Effect.ensuring(
        effect,
        Effect.sync(() => (done = true))
      )
    )
    for (let i = 0; i < steps && !done; i++) {
      yield* whenWaiting(fiber, "29 seconds", "29 seconds")
      if (!done) yield* TestClock.adjust(step)
    }
    if (!done) {
      yield* Fiber.interrupt(fiber)
      assert.fail(`still running after ${steps} steps of ${step}`)
    }
    return yield* Fiber.join(fiber)
  }).pipe(Effect.provide(layerPendingSleeps))

/** Waits until the fake has recorded `count` requests. */
const received = (count: number) => until(Effect.map(FakePlex.requests, (all) => all.length >= count))

describe("conformance: faults as docs/testing.md lists them", () => {
  it.effect("Fault.status(429, { retryAfter }) is 429, code 1003, Retry-After in seconds: RateLimited", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(429, { retryAfter: "5 seconds" }), { times: 1 })
      const error = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(error._tag, "RateLimited")
      if (error._tag !== "RateLimited") return
      assert.strictEqual(error.status, 429)
      assert.strictEqual(error.retryAfterMillis, 5000)
      assert.deepStrictEqual(
        error.errors.map((e) => e.code),
        [1003]
      )
      const [record] = yield* FakePlex.requests
      assert.strictEqual(record?.fault, "Status")
      assert.strictEqual(record?.status, 429)
      assert.strictEqual(record?.outcome, "Responded")
    }).pipe(Effect.provide(signedIn))
  )

  it.effect("Fault.status(401) on plex.tv is plex.tv's refusal, code 1001: Unauthorized", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(401), { times: 1 })
      const error = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(error._tag, "Unauthorized")
      if (error._tag !== "Unauthorized") return
      assert.strictEqual(error.status, 401)
      // As the fake answers a token it never issued (and plex.tv does).
      assert.deepStrictEqual(
        error.errors.map((e) => [e.code, e.message]),
        [[1001, "User could not be authenticated"]]
      )
    }).pipe(Effect.provide(signedIn))
  )

  it.effect("Fault.rateLimited(retryAfter) is Fault.status(429, { retryAfter })", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.rateLimited("3 seconds"), { times: 1 })
      const error = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(error._tag, "RateLimited")
      if (error._tag !== "RateLimited") return
      assert.strictEqual(error.retryAfterMillis, 3000)
      yield* FakePlex.fault("getTokenDetails", Fault.rateLimited(), { times: 1 })
      const bare = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(bare._tag, "RateLimited")
    }).pipe(Effect.provide(signedIn))
  )

  it.effect("Fault.status(500) is Unexpected (Status) from plex.tv and from a server", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(500), { times: 1 })
      const tv = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(tv._tag, "Unexpected")
      if (tv._tag === "Unexpected") {
        assert.strictEqual(tv.reason, "Status")
        assert.strictEqual(tv.status, 500)
      }
      yield* FakePlex.fault("getTransientToken", Fault.status(500), { times: 1 })
      const pms = yield* Effect.flip(PlexAuth.getTransientToken())
      assert.strictEqual(pms._tag, "Unexpected")
      if (pms._tag === "Unexpected") assert.strictEqual(pms.reason, "Status")
    }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "Fault.status(503, { retryAfter }) is Unexpected (Status); a retry policy waits the Retry-After",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.status(503, { retryAfter: "7 seconds" }), { times: 1 })
        const error = yield* Effect.flip(PlexAuth.getTokenDetails())
        assert.strictEqual(error._tag, "Unexpected")
        if (error._tag === "Unexpected") {
          assert.strictEqual(error.reason, "Status")
          assert.strictEqual(error.status, 503)
        }
      }).pipe(Effect.provide(signedIn))
  )

  it.effect("Fault.delay(duration) answers normally after the duration, by the TestClock", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.delay("2 seconds"), { times: 1 })
      let answered = false
      const fiber = yield* Effect.forkChild(
        Effect.map(PlexAuth.getTokenDetails(), (account) => {
          answered = true
          return account
        })
      )
      yield* received(1)
      yield* TestClock.adjust("1 second")
      assert.isFalse(answered)
      yield* TestClock.adjust("1 second")
      const account = yield* Fiber.join(fiber)
      assert.strictEqual(account.username, "alice")
      const [record] = yield* FakePlex.requests
      assert.strictEqual(record?.fault, "Delay")
      assert.strictEqual(record?.receivedAt, 0)
      assert.strictEqual(record?.status, 200)
    }).pipe(Effect.provide(signedIn))
  )

  it.effect("Fault.delay(duration, then) answers with then after the duration", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.delay(1000, Fault.status(500)), { times: 1 })
      const fiber = yield* Effect.forkChild(Effect.flip(PlexAuth.getTokenDetails()))
      yield* received(1)
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "Unexpected")
      const [record] = yield* FakePlex.requests
      assert.strictEqual(record?.status, 500)
    }).pipe(Effect.provide(signedIn))
  )

  it("a duration written negative, NaN or infinite is refused with the same FakePlexError in both editions", () => {
    // Effect 3 reads -1, NaN and "-1 second" as zero, Effect 4 keeps the sign: the fault is refused as written.
    const refusals: ReadonlyArray<readonly [unknown, string]> = [
      [-1, "-1"],
      [Number.NaN, "NaN"],
      [Number.POSITIVE_INFINITY, "Infinity"],
      [Number.NEGATIVE_INFINITY, "-Infinity"],
      ["-1 second", '"-1 second"'],
      [BigInt(-1), "-1"],
      [[-1, 0], "[-1, 0]"],
      [[0, Number.NaN], "[0, NaN]"],
      // An object of parts (Effect 4's; Effect 3 decodes none): Effect 4 showed it by its milliseconds (-1000, or 0
      // for NaN, which it read as zero), Effect 3 as an object.
      [{ seconds: -1 }, "an object"],
      [{ millis: Number.NaN }, "an object"]
    ]
    for (const [duration, shown] of refusals) {
      const faults: ReadonlyArray<readonly [string, () => unknown]> = [
        ["Fault.delay: the duration", () => Fault.delay(duration as never)],
        ["Fault.status: retryAfter", () => Fault.status(503, { retryAfter: duration as never })],
        ["Fault.status: retryAfter", () => Fault.rateLimited(duration as never)]
      ]
      for (const [name, make] of faults) {
        const thrown = (() => {
          try {
            return make()
          } catch (error) {
            return error
          }
        })()
        // The constructors' FakePlexError is an Error named so (the kits' service calls fail with their own class).
        assert.instanceOf(thrown, Error, `${name} ${shown}`)
        assert.strictEqual((thrown as Error).name, "FakePlexError", `${name} ${shown}`)
        assert.strictEqual((thrown as Error).message, `${name} must be finite, zero or more, got ${shown}`)
      }
    }
    assert.strictEqual(Duration.toMillis(Fault.delay(0).duration), 0)
    assert.strictEqual(Duration.toMillis(Fault.rateLimited("1.5 seconds").retryAfter!), 1500)
  })

  it.effect(
    "Fault.hang ends in NetworkError (Timeout) at the request timeout; the record says Interrupted",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.hang, { times: 1 })
        const fiber = yield* Effect.forkChild(
          Effect.flip(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("3 seconds")))
        )
        yield* received(1)
        yield* TestClock.adjust("3 seconds")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "NetworkError")
        if (error._tag === "NetworkError") assert.strictEqual(error.reason, "Timeout")
        const [record] = yield* FakePlex.requests
        assert.strictEqual(record?.fault, "Hang")
        assert.strictEqual(record?.outcome, "Interrupted")
        assert.isUndefined(record?.status)
      }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "Fault.reset and Fault.refuse are NetworkError (Transport); the records say Reset and Refused",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.reset, { times: 1 })
        yield* FakePlex.fault("getTokenDetails", Fault.refuse, { times: 1 })
        const reset = yield* Effect.flip(PlexAuth.getTokenDetails())
        const refused = yield* Effect.flip(PlexAuth.getTokenDetails())
        assert.strictEqual(reset._tag, "NetworkError")
        assert.strictEqual(refused._tag, "NetworkError")
        if (reset._tag === "NetworkError") assert.strictEqual(reset.reason, "Transport")
        if (refused._tag === "NetworkError") assert.strictEqual(refused.reason, "Transport")
        const records = yield* FakePlex.requests
        assert.deepStrictEqual(
          records.map((r) => [r.fault, r.outcome]),
          [
            ["Reset", "Reset"],
            ["Refuse", "Refused"]
          ]
        )
      }).pipe(Effect.provide(signedIn))
  )

  it.effect("Fault.truncate, malformedJson, html, contentType, oversized: the errors the table gives", () =>
    Effect.gen(function* () {
      const seen: Array<[string, string | undefined]> = []
      const faults = [
        Fault.truncate({ keepBytes: 5 }),
        Fault.malformedJson,
        Fault.html(),
        Fault.contentType("text/plain"),
        Fault.oversized(),
        Fault.oversized({ declareLength: false })
      ]
      for (const fault of faults) {
        yield* FakePlex.fault("getTokenDetails", fault, { times: 1 })
        const error = yield* Effect.flip(PlexAuth.getTokenDetails())
        seen.push([error._tag, "reason" in error ? error.reason : undefined])
      }
      assert.deepStrictEqual(seen, [
        ["NetworkError", "Transport"],
        ["Unexpected", "Decode"],
        ["Unexpected", "ContentType"],
        ["Unexpected", "ContentType"],
        ["Unexpected", "BodyTooLarge"],
        ["Unexpected", "BodyTooLarge"]
      ])
    }).pipe(Effect.provide(signedIn))
  )

  it.effect("Fault.html({ status }) answers that status", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.html({ status: 503 }), { times: 1 })
      const error = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(error._tag, "Unexpected")
      const [record] = yield* FakePlex.requests
      assert.strictEqual(record?.status, 503)
    }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "Fault.html({ status: 204 | 304 }) and the fake's own 204s send no Content-Length (RFC 9110 8.6), in memory and over loopback",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const server = yield* Effect.acquireRelease(
          Effect.promise(() => serve()),
          (started) => Effect.promise(() => started.close())
        )
        for (const status of [204, 304, 205, 200] as const) {
          yield* FakePlex.fault("getServerIdentity", Fault.html({ status }), { times: 1 })
          const inMemory = yield* fake.handle(new Request(`${fake.serverUrl}/identity`))
          server.fake.fault("getServerIdentity", handlerFaults.html({ status }), { times: 1 })
          const overLoopback = yield* Effect.promise(() => fetch(`${server.serverUrl}/identity`))
          for (const response of [inMemory, overLoopback]) {
            assert.strictEqual(response.status, status)
            const body = yield* Effect.promise(() => response.text())
            // No body in a 204, 205 or 304; a 205 says so with Content-Length 0 (RFC 9110 15.3.6), a 200 has its page's.
            assert.deepStrictEqual(
              [response.headers.get("content-length"), body.length > 0],
              status === 200 ? [String(body.length), true] : [status === 205 ? "0" : null, false],
              String(status)
            )
          }
        }
        // The fake's own 204s (signOut's here, Http.empty) send none either: they sent Content-Length 0.
        const signOut = (url: string, token: string) =>
          new Request(`${url}/api/v2/users/signout`, {
            method: "DELETE",
            headers: { "X-Plex-Token": token, "X-Plex-Client-Identifier": "conformance-kits" }
          })
        const signedOut = [
          yield* fake.handle(signOut(fake.plexTvUrl, Redacted.value(fake.token))),
          yield* Effect.promise(() => fetch(signOut(server.plexTvUrl, server.fake.token)))
        ]
        for (const response of signedOut) {
          assert.deepStrictEqual([response.status, response.headers.get("content-length")], [204, null])
        }
      }).pipe(Effect.scoped, Effect.provide(FakePlex.layer()))
  )

  it.effect("Fault.redirect({ to, status }): the token does not follow to the other host", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* FakePlex.fault(
        "getTokenDetails",
        Fault.redirect({ to: `${fake.elsewhereUrl}/moved`, status: 307 }),
        {
          times: 1
        }
      )
      yield* Effect.exit(PlexAuth.getTokenDetails())
      const records = yield* FakePlex.requests
      assert.deepStrictEqual(
        records.map((r) => [r.host, r.path, r.status]),
        [
          ["plex.tv", "/api/v2/user", 307],
          ["elsewhere", "/moved", 404]
        ]
      )
      assert.notProperty(records[1]?.headers, "x-plex-token")
    }).pipe(Effect.provide(signedIn))
  )

  it.effect("Fault.respond: the Response built is what the client reads", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault(
        "getTokenDetails",
        Fault.respond(() =>
          Effect.succeed(
            new Response(JSON.stringify({ errors: [{ code: 1001, message: "nope", status: 401 }] }), {
              status: 401,
              headers: { "content-type": "application/json" }
            })
          )
        ),
        { times: 1 }
      )
      const error = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(error._tag, "Unauthorized")
      const [record] = yield* FakePlex.requests
      assert.strictEqual(record?.fault, "Respond")
      assert.strictEqual(record?.status, 401)
    }).pipe(Effect.provide(signedIn))
  )

  it.effect("Fault.respond: a defect of its Effect is the request's defect", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault(
        "getTokenDetails",
        Fault.respond(() => Effect.die(new Error("respond blew up"))),
        {
          times: 1
        }
      )
      const defect = yield* defectOf(PlexAuth.getTokenDetails())
      assert.instanceOf(defect, Error)
      assert.strictEqual((defect as Error).message, "respond blew up")
      const [record] = yield* FakePlex.requests
      assert.deepStrictEqual(
        [record?.fault, record?.status, record?.outcome],
        ["Respond", undefined, "Failed"]
      )
    }).pipe(Effect.provide(signedIn))
  )

  it.effect("Fault.respond: an interruption of its Effect is the request's interruption", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault(
        "getTokenDetails",
        Fault.respond(() => Effect.interrupt),
        { times: 1 }
      )
      const exit = yield* Effect.exit(PlexAuth.getTokenDetails())
      assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause), String(exit))
    }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "Fault.respond without times: a respond that hands its request to the fake gets the answer beneath it, not itself again",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        let calls = 0
        yield* FakePlex.fault(
          "getTokenDetails",
          Fault.respond((request) =>
            // Bounded, so that the test fails (not runs out of memory) when the fault answers its own request again.
            ++calls > 2
              ? Effect.die(new Error("the respond got its own request again"))
              : Effect.map(Effect.orDie(fake.handle(request)), (response) => {
                  const headers = new Headers(response.headers)
                  headers.set("x-wrapped", "yes")
                  return new Response(response.body, { status: response.status, headers })
                })
          )
        )
        const first = yield* PlexAuth.getTokenDetailsWithResponse()
        const second = yield* PlexAuth.getTokenDetailsWithResponse()
        assert.strictEqual(first.value.username, FakePlex.defaults.username)
        assert.deepStrictEqual(
          [first.headers["x-wrapped"], second.headers["x-wrapped"], calls],
          ["yes", "yes", 2]
        )
        assert.deepStrictEqual(
          (yield* FakePlex.requests).map((r) => [r.route, r.fault, r.outcome]),
          [
            ["getTokenDetails", "Respond", "Responded"],
            ["getTokenDetails", undefined, "Responded"],
            ["getTokenDetails", "Respond", "Responded"],
            ["getTokenDetails", undefined, "Responded"]
          ]
        )
      }).pipe(Effect.provide(signedIn))
  )
})

describe("conformance: fault targets and times", () => {
  it.effect("times: n applies to the next n matching requests; without times until clearFaults", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(500), { times: 2 })
      const statuses: Array<string> = []
      for (let i = 0; i < 3; i++) {
        const exit = yield* Effect.exit(PlexAuth.getTokenDetails())
        statuses.push(exit._tag)
      }
      assert.deepStrictEqual(statuses, ["Failure", "Failure", "Success"])
      yield* FakePlex.fault("getTokenDetails", Fault.status(500))
      for (let i = 0; i < 3; i++)
        assert.isTrue(Exit.isFailure(yield* Effect.exit(PlexAuth.getTokenDetails())))
      yield* FakePlex.clearFaults
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(PlexAuth.getTokenDetails())))
    }).pipe(Effect.provide(signedIn))
  )

  it.effect("a target object selects by route, path, origin and method; faults apply in order", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* FakePlex.fault({ origin: `${fake.serverUrl}/`, method: "post" }, Fault.status(500), { times: 1 })
      yield* FakePlex.fault({ path: "/api/v2/user", method: "POST" }, Fault.status(500), { times: 1 })
      yield* FakePlex.fault("/api/v2/user", Fault.status(502), { times: 1 })
      yield* FakePlex.fault({ route: "getTokenDetails" }, Fault.status(504), { times: 1 })
      const first = yield* Effect.flip(PlexAuth.getTokenDetails())
      const second = yield* Effect.flip(PlexAuth.getTokenDetails())
      const pms = yield* Effect.flip(PlexAuth.getTransientToken())
      assert.deepStrictEqual(
        [first, second, pms].map((e) => (e._tag === "Unexpected" ? e.status : e._tag)),
        [502, 504, 500]
      )
    }).pipe(Effect.provide(signedIn))
  )

  it.effect("a target that can select nothing, or times that is not a count, dies with FakePlexError", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const refused = [
        FakePlex.fault("getTokenDetail" as never, Fault.hang),
        FakePlex.fault("api/v2/user", Fault.hang),
        FakePlex.fault({ origin: "not a url" }, Fault.hang),
        // A request's path holds no query or fragment: a target path with one never matched.
        FakePlex.fault("/api/v2/user?includeSubscriptions=1", Fault.hang),
        FakePlex.fault({ path: "/api/v2/user#top" }, Fault.hang),
        // Nor a space, a non-ASCII character, a . or .. segment (a request's path has them encoded or resolved).
        FakePlex.fault("/api/v2/home/users/Kids Room", Fault.hang),
        FakePlex.fault({ path: "/api/v2/caf\u00e9" }, Fault.hang),
        FakePlex.fault({ path: "/api/v2/../v2/user" }, Fault.hang),
        // An origin the fake does not serve: its requests are refused before any fault is looked at.
        FakePlex.fault({ origin: "https://plex.example" }, Fault.hang),
        // A URL with more than an origin: the rest was dropped, and the fault selected every request to the origin.
        FakePlex.fault({ origin: `${fake.plexTvUrl}/api/v2/user` }, Fault.hang),
        FakePlex.fault({ origin: `${fake.serverUrl}/?X-Plex-Token=x` }, Fault.hang),
        FakePlex.fault("getTokenDetails", Fault.hang, { times: -1 }),
        FakePlex.fault("getTokenDetails", Fault.hang, { times: 1.5 }),
        // A fault applied to no request never happens.
        FakePlex.fault("getTokenDetails", Fault.hang, { times: 0 }),
        FakePlex.fault("getTokenDetails", Fault.hang, { times: Number.NaN }),
        FakePlex.fault("getTokenDetails", Fault.hang, { times: "2" as never }),
        // A route with a method, path or origin it never has: each request has one route, so none is selected.
        FakePlex.fault({ route: "getTokenDetails", method: "POST" }, Fault.hang),
        FakePlex.fault({ route: "getTokenDetails", path: "/api/v2/pins" }, Fault.hang),
        FakePlex.fault({ route: "getTokenDetails", origin: fake.serverUrl }, Fault.hang),
        FakePlex.fault({ route: "getTransientToken", origin: fake.plexTvUrl }, Fault.hang)
      ]
      for (const attempt of refused) {
        const defect = yield* defectOf(attempt)
        assert.instanceOf(defect, FakePlex.FakePlexError, String(defect))
        assert.strictEqual((defect as { _tag?: string })._tag, "FakePlexError")
      }
      assert.include(
        String(yield* defectOf(FakePlex.fault({ route: "getTokenDetails", method: "POST" }, Fault.hang))),
        "the route getTokenDetails answers GET only, not POST"
      )
      assert.strictEqual(
        String(yield* defectOf(FakePlex.fault({ origin: `${fake.plexTvUrl}/api/v2/user` }, Fault.hang))),
        `FakePlexError: fault: the target's origin ${fake.plexTvUrl}/api/v2/user is more than an origin (scheme://host[:port], here ${fake.plexTvUrl}): a fault matches the request's origin only, so it would select every request to ${fake.plexTvUrl}; give the path as the target's path`
      )
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(PlexAuth.getTokenDetails())))
      // An origin written with its trailing slash is an origin.
      yield* FakePlex.fault({ origin: `${fake.plexTvUrl}/`, path: "/api/v2/ping" }, Fault.status(503), {
        times: 1
      })
      assert.isTrue(Exit.isFailure(yield* Effect.exit(PlexAuth.ping())))
      // A route with its own method, path and origin (any of its hosts) is scripted.
      yield* FakePlex.fault(
        { route: "getTokenDetails", method: "get", path: "/api/v2/user", origin: fake.plexTvUrl },
        Fault.status(500),
        { times: 1 }
      )
      yield* FakePlex.fault({ route: "checkPin", path: "/api/v2/pins/42" }, Fault.hang, { times: 1 })
      yield* FakePlex.fault(
        { route: "getTransientToken", method: "POST", origin: fake.serverUrl },
        Fault.hang,
        {
          times: 1
        }
      )
      assert.isTrue(Exit.isFailure(yield* Effect.exit(PlexAuth.getTokenDetails())))
      // A path parameter not well percent-encoded (`new URL` keeps `%ZZ`): a target the fault takes and fires on,
      // and without the fault an unknown PIN's answer (it died with a URIError, in fault() and in the handler).
      yield* FakePlex.fault({ route: "checkPin", path: "/api/v2/pins/%ZZ" }, Fault.status(503), { times: 1 })
      const malformed = () =>
        new Request(`${fake.plexTvUrl}/api/v2/pins/%ZZ`, {
          headers: { "X-Plex-Client-Identifier": "conformance-kits" }
        })
      const faulted = yield* fake.handle(malformed())
      const unknown = yield* fake.handle(malformed())
      assert.deepStrictEqual([faulted.status, unknown.status], [503, 404])
    }).pipe(Effect.provide(signedIn))
  )
})

const kids = { username: "kids", title: "Kids", managed: true, homePin: "1234" }
const home = FakePlex.layerSignedIn({
  accounts: [{}, { username: "bob", password: "bob-password" }, kids],
  servers: [{ name: "Living Room", sharedWith: ["bob"] }],
  homes: [{ members: ["kids"] }]
})

describe("conformance: the FakePlex service's control calls", () => {
  it.effect("an unknown account, server or PIN fails with FakePlexError", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const failures = [
        yield* Effect.flip(fake.account("nobody")),
        yield* Effect.flip(fake.server("no-such-server")),
        yield* Effect.flip(fake.mintToken("nobody")),
        yield* Effect.flip(fake.patchAccount("nobody", { title: "x" })),
        yield* Effect.flip(fake.approvePin(424242)),
        yield* Effect.flip(FakePlex.approvePin("NOPE")),
        yield* Effect.flip(fake.restartServer("no-such-server"))
      ]
      for (const failure of failures) {
        assert.instanceOf(failure, FakePlex.FakePlexError)
        assert.strictEqual(failure._tag, "FakePlexError")
        assert.isString(failure.message)
      }
    }).pipe(Effect.provide(home))
  )

  it.effect("account, server, mintToken, revokeToken, isTokenValid", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const alice = yield* fake.account()
      assert.strictEqual(alice.username, "alice")
      assert.strictEqual(alice.email, fake.login)
      assert.strictEqual(Redacted.value(alice.token), Redacted.value(fake.token))
      const byEmail = yield* fake.account("bob@example.com")
      assert.strictEqual(byEmail.username, "bob")
      const server = yield* fake.server()
      assert.strictEqual(server.clientIdentifier, fake.serverId)
      assert.strictEqual(server.name, "Living Room")
      assert.strictEqual(server.url, fake.serverUrl)
      const minted = yield* fake.mintToken("bob")
      assert.isTrue(yield* fake.isTokenValid(minted))
      const account = yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(minted))
      assert.strictEqual(account.username, "bob")
      assert.isTrue(yield* fake.revokeToken(Redacted.value(minted)))
      assert.isFalse(yield* fake.revokeToken(minted))
      assert.isFalse(yield* fake.isTokenValid(minted))
      const refused = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(Credentials.withToken(minted)))
      assert.strictEqual(refused._tag, "Unauthorized")
    }).pipe(Effect.provide(home))
  )

  it.effect("restartServer forgets the server's transient tokens", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const transient = yield* PlexAuth.getTransientToken()
      const [issued] = yield* fake.transientTokens
      assert.strictEqual(issued?.serverId, fake.serverId)
      assert.isTrue(issued?.admin)
      assert.strictEqual(issued?.expiresAt, (issued?.issuedAt ?? 0) + 48 * 3600 * 1000)
      assert.isTrue(Redacted.isRedacted(issued?.token))
      yield* PlexAuth.getTransientToken().pipe(Credentials.withToken(transient.token))
      yield* fake.restartServer()
      assert.deepStrictEqual(yield* fake.transientTokens, [])
      const refused = yield* Effect.flip(
        PlexAuth.getTransientToken().pipe(Credentials.withToken(transient.token))
      )
      assert.strictEqual(refused._tag, "Unauthorized")
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("the seeded lifetimes: pinLifetime, transientTokenLifetime", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* TestClock.adjust("1 second")
      yield* PinLogin.create()
      yield* PinLogin.create({ strong: false })
      const pins = yield* fake.pins
      assert.deepStrictEqual(
        pins.map((pin) => [pin.strong, pin.createdAt, pin.expiresAt - pin.createdAt, pin.expired]),
        [
          [true, 1000, 30 * 60 * 1000, false],
          [false, 1000, 5 * 60 * 1000, false]
        ]
      )
      yield* TestClock.adjust("5 minutes")
      assert.deepStrictEqual(
        (yield* fake.pins).map((pin) => pin.expired),
        [false, true]
      )
      const [short] = (yield* fake.pins).filter((pin) => !pin.strong)
      const expired = yield* Effect.flip(fake.approvePin(short!.id))
      assert.strictEqual(expired._tag, "FakePlexError")
      yield* PlexAuth.getTransientToken()
      const [transient] = yield* fake.transientTokens
      assert.strictEqual((transient?.expiresAt ?? 0) - (transient?.issuedAt ?? 0), 3_600_000)
    }).pipe(
      Effect.provide(
        FakePlex.layerSignedIn({ pinLifetime: { short: "5 minutes" }, transientTokenLifetime: "1 hour" })
      )
    )
  )

  it.effect("approvePin(id, { account }) approves for that account; the next check returns the token", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      const token = yield* FakePlex.approvePin(pin.id, { account: "bob" })
      const [created] = yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.pins)
      assert.isDefined(created?.accountId)
      const checked = yield* PinLogin.check(pin)
      assert.isTrue(Redacted.isRedacted(checked.authToken))
      assert.strictEqual(Redacted.value(checked.authToken!), Redacted.value(token))
      const account = yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(token))
      assert.strictEqual(account.username, "bob")
    }).pipe(Effect.provide(home))
  )

  it.effect("autoApprovePins { after, account } approves for that account once the PIN is that old", () =>
    Effect.gen(function* () {
      const token = yield* stepping(PinLogin.login({ onPin: () => Effect.void }), "1 second", 60)
      const account = yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(token))
      assert.strictEqual(account.username, "bob")
      const checks = (yield* FakePlex.requests).filter((r) => r.route === "checkPin")
      assert.isTrue(checks.length >= 2, String(checks.length))
      assert.isTrue(checks.every((r) => r.status === 200))
    }).pipe(
      Effect.provide(
        FakePlex.layerSignedIn({
          accounts: [{}, { username: "bob" }],
          autoApprovePins: { after: "5 seconds", account: "bob" }
        })
      )
    )
  )

  it.effect("layerSignedIn({ identity }) sends that identity", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      const [record] = yield* FakePlex.requests
      assert.strictEqual(record?.headers["x-plex-client-identifier"], "my-own-client")
      assert.strictEqual(record?.headers["x-plex-product"], "My Own App")
    }).pipe(
      Effect.provide(
        FakePlex.layerSignedIn({ identity: { clientIdentifier: "my-own-client", product: "My Own App" } })
      )
    )
  )

  it.effect(
    "without identity, layerSignedIn sends FakePlex.testIdentity: the same in both editions and on every machine",
    () =>
      Effect.gen(function* () {
        // The Effect 4 kit's product was "effect4-plex-auth tests": a test reading it back failed on one edition.
        // The runtime filled the rest (the host name, the OS release, `Node.js 20.x` or `22.x`): a test reading
        // a header or a PIN's link back passed on one machine, one edition, only.
        assert.deepStrictEqual(FakePlex.testIdentity, {
          clientIdentifier: "fake-plex-test-client",
          product: "effect-plex-auth tests",
          version: "0.1.0",
          platform: "Node.js",
          platformVersion: "20",
          device: "Test Device",
          deviceName: "fake-plex-test-device",
          model: "tests",
          provides: "controller",
          runtimeDefaults: false
        })
        const pin = yield* PinLogin.create()
        const link = yield* PinLogin.authUrl(pin)
        assert.strictEqual(pin.product, "effect-plex-auth tests")
        const [record] = yield* FakePlex.requests
        assert.deepStrictEqual(
          Object.fromEntries(
            Object.entries(record?.headers ?? {}).filter(([name]) => name.startsWith("x-plex-"))
          ),
          {
            "x-plex-client-identifier": "fake-plex-test-client",
            "x-plex-product": "effect-plex-auth tests",
            "x-plex-version": "0.1.0",
            "x-plex-platform": "Node.js",
            "x-plex-platform-version": "20",
            "x-plex-device": "Test Device",
            "x-plex-device-name": "fake-plex-test-device",
            "x-plex-model": "tests",
            "x-plex-provides": "controller"
          }
        )
        assert.strictEqual(
          new URL(link).hash,
          `#?clientID=fake-plex-test-client&code=${pin.code}&context%5Bdevice%5D%5Bproduct%5D=effect-plex-auth+tests` +
            "&context%5Bdevice%5D%5Bversion%5D=0.1.0&context%5Bdevice%5D%5Bplatform%5D=Node.js" +
            "&context%5Bdevice%5D%5BplatformVersion%5D=20&context%5Bdevice%5D%5Bdevice%5D=Test+Device" +
            "&context%5Bdevice%5D%5BdeviceName%5D=fake-plex-test-device"
        )
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "revokeDevice: the tokens handed to that client are refused, and its credentials sign in again",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const minted = yield* fake.mintToken()
        assert.strictEqual((yield* PlexAuth.account()).username, "alice")
        const [signIn] = yield* fake.requests
        assert.isFalse(yield* fake.revokeDevice("not-a-client"))
        assert.isTrue(yield* fake.revokeDevice(FakePlex.testIdentity.clientIdentifier))
        // Nothing left to revoke; the account's tokens not handed to that client keep working.
        assert.isFalse(yield* fake.revokeDevice(FakePlex.testIdentity.clientIdentifier))
        assert.isTrue(yield* fake.isTokenValid(minted))
        assert.isTrue(yield* fake.isTokenValid(fake.token))
        // The token the sign-in handed out is refused with plex.tv's 422: the credentials sign in again.
        assert.strictEqual((yield* PlexAuth.account()).username, "alice")
        const requests = yield* fake.requests
        assert.deepStrictEqual(
          requests.map((request) => `${request.route} ${request.status}`),
          [
            "postUsersSignInData 201",
            "getTokenDetails 200",
            "getTokenDetails 422",
            "postUsersSignInData 201",
            "getTokenDetails 200"
          ]
        )
        assert.strictEqual(
          signIn?.headers["x-plex-client-identifier"],
          FakePlex.testIdentity.clientIdentifier
        )
        // The token the first call sent (typed Redacted: the secret headers are) is the one revoked.
        const sent = requests[1]?.headers["x-plex-token"]
        assert.isDefined(sent)
        assert.isFalse(yield* fake.isTokenValid(Redacted.value(sent!)))
        assert.isTrue(yield* fake.isTokenValid(Redacted.value(requests[4]!.headers["x-plex-token"]!)))
      }).pipe(
        Effect.provide(
          Credentials.layerSignIn({
            login: FakePlex.defaults.login,
            password: FakePlex.defaults.password
          }).pipe(
            Layer.provideMerge(Layer.mergeAll(FakePlex.layer(), ClientIdentity.layer(FakePlex.testIdentity)))
          )
        )
      )
  )

  it.effect(
    "FakePlex.clearRequests forgets what the fake in context received; the next request is recorded",
    () =>
      Effect.gen(function* () {
        yield* PlexAuth.account()
        assert.strictEqual((yield* FakePlex.requests).length, 1)
        yield* FakePlex.clearRequests
        assert.deepStrictEqual(yield* FakePlex.requests, [])
        yield* PlexAuth.getTransientToken()
        assert.deepStrictEqual(
          (yield* FakePlex.requests).map((request) => request.route),
          ["getTransientToken"]
        )
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "records: fields, lower-case header names, secrets Redacted in headers, query, form and JSON",
    () =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 seconds")
        yield* PlexAuth.signIn({ login: "alice", password: FakePlex.defaults.password })
        const fake = yield* FakePlex.FakePlex
        yield* PlexAuth.getTransientToken()
        const [signIn, transient] = yield* FakePlex.requests
        assert.strictEqual(signIn?.sequence, 1)
        assert.strictEqual(signIn?.receivedAt, 2000)
        assert.strictEqual(signIn?.origin, fake.plexTvUrl)
        assert.strictEqual(signIn?.host, "plex.tv")
        assert.isUndefined(signIn?.serverId)
        assert.strictEqual(signIn?.route, "postUsersSignInData")
        assert.strictEqual(signIn?.method, "POST")
        assert.strictEqual(signIn?.path, "/api/v2/users/signin")
        assert.strictEqual(signIn?.form?.["login"], "alice")
        assert.isTrue(Redacted.isRedacted(signIn?.form?.["password"]))
        assert.isUndefined(signIn?.fault)
        assert.strictEqual(signIn?.status, 201)
        assert.strictEqual(signIn?.outcome, "Responded")
        for (const name of Object.keys(signIn?.headers ?? {})) assert.strictEqual(name, name.toLowerCase())
        assert.strictEqual(transient?.sequence, 2)
        assert.strictEqual(transient?.host, "server")
        assert.strictEqual(transient?.serverId, fake.serverId)
        assert.strictEqual(transient?.route, "getTransientToken")
        assert.deepStrictEqual(
          { type: transient?.query["type"], scope: transient?.query["scope"] },
          { type: "delegation", scope: "all" }
        )
        assert.isTrue(Redacted.isRedacted(transient?.headers["x-plex-token"]))
        const printed = JSON.stringify(yield* FakePlex.requests) + String(yield* FakePlex.requests)
        assert.notInclude(printed, Redacted.value(FakePlex.defaults.password))
        assert.notInclude(printed, Redacted.value(fake.token))
        const fakeAgain = yield* FakePlex.FakePlex
        yield* fakeAgain.clearRequests
        assert.deepStrictEqual(yield* FakePlex.requests, [])
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("a request the client gives up on is recorded as Interrupted", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.hang, { times: 1 })
      const fiber = yield* Effect.forkChild(PlexAuth.getTokenDetails())
      // Interrupted once the fake has the request (before, there would be no record to look at).
      yield* received(1)
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      const [record] = yield* FakePlex.requests
      assert.strictEqual(record?.outcome, "Interrupted")
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("twoFactorCode: the password is checked first, then the code", () =>
    Effect.gen(function* () {
      const wrongPassword = yield* Effect.flip(PlexAuth.signIn({ login: "bob", password: "nope" }))
      assert.strictEqual(wrongPassword._tag, "Unauthorized")
      const noCode = yield* Effect.flip(PlexAuth.signIn({ login: "bob@example.org", password: "bob-pw" }))
      assert.strictEqual(noCode._tag, "VerificationCodeRequired")
    }).pipe(
      Effect.provide(
        FakePlex.layerSignedIn({
          accounts: [
            {},
            { username: "bob", email: "bob@example.org", password: "bob-pw", twoFactorCode: "123456" }
          ]
        })
      )
    )
  )
})

describe("conformance: Home against the seeded fake", () => {
  it.effect("users lists the home; findUser matches id, uuid, title, username, title ignoring case", () =>
    Effect.gen(function* () {
      const users = yield* Home.users()
      assert.deepStrictEqual(
        users.map((u) => [u.title, u.admin, u.restricted, u.protected]),
        [
          ["alice", true, false, false],
          ["Kids", false, true, true]
        ]
      )
      const kidsUser = users[1]!
      assert.strictEqual(Home.findUser(users, kidsUser.id)?.uuid, kidsUser.uuid)
      assert.strictEqual(Home.findUser(users, kidsUser.uuid)?.uuid, kidsUser.uuid)
      assert.strictEqual(Home.findUser(users, "kids")?.uuid, kidsUser.uuid)
      assert.strictEqual(Home.findUser(users, "KIDS")?.uuid, kidsUser.uuid)
      assert.isUndefined(Home.findUser(users, "nobody"))
    }).pipe(Effect.provide(home))
  )

  it.effect(
    "switchUser: HomePinRequired from plex.tv's answer, InvalidHomePin, InvalidInput, HomeUserNotFound",
    () =>
      Effect.gen(function* () {
        // plex.tv decides that the PIN is needed (core/home.ts pinRefusal): the switch is sent without it.
        const required = yield* Effect.flip(Home.switchUser("Kids"))
        assert.strictEqual(required._tag, "HomePinRequired")
        assert.deepStrictEqual(
          (yield* FakePlex.requests).map((r) => r.route),
          ["getHomeUsers", "switchHomeUser"]
        )
        const wrong = yield* Effect.flip(Home.switchUser("Kids", { pin: "0000" }))
        assert.strictEqual(wrong._tag, "InvalidHomePin")
        if (wrong._tag === "InvalidHomePin") assert.strictEqual(wrong.status, 403)
        assert.notInclude(JSON.stringify(wrong) + String(wrong), "0000")
        yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.clearRequests)
        const malformed = yield* Effect.flip(Home.switchUser("Kids", { pin: "12a4" }))
        assert.strictEqual(malformed._tag, "InvalidInput")
        assert.deepStrictEqual(yield* FakePlex.requests, [])
        const missing = yield* Effect.flip(Home.switchUser("nobody"))
        assert.strictEqual(missing._tag, "HomeUserNotFound")
        if (missing._tag === "HomeUserNotFound") assert.deepStrictEqual(missing.available, ["alice", "Kids"])
      }).pipe(Effect.provide(home))
  )

  it.effect(
    "switchUser with the PIN: the user's token, a layer of it, the PIN recorded only as a secret",
    () =>
      Effect.gen(function* () {
        const switched = yield* Home.switchUser("Kids", { pin: Redacted.make("1234") })
        assert.strictEqual(switched.user.title, "Kids")
        assert.isTrue(Redacted.isRedacted(switched.token))
        const account = yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        assert.strictEqual(account.username, "kids")
        const viaLayer = yield* PlexAuth.getTokenDetails().pipe(
          Effect.provide(Home.layer("kids", { pin: "1234" }))
        )
        assert.strictEqual(viaLayer.username, "kids")
        const switches = (yield* FakePlex.requests).filter((r) => r.route === "switchHomeUser")
        assert.strictEqual(switches.length, 2)
        assert.isTrue(switches.every((r) => Redacted.isRedacted(r.query["pin"])))
      }).pipe(Effect.provide(home))
  )

  it.effect(
    "a switch is never sent again after plex.tv may have seen it (reset, 500); a 503 is retried",
    () =>
      Effect.gen(function* () {
        const policy = RetryPolicy.backoff({ initialInterval: "1 second", retryConnectionErrors: true })
        const attempt = (fault: Fault.Fault) =>
          Effect.gen(function* () {
            yield* FakePlex.fault("switchHomeUser", fault, { times: 1 })
            const exit = yield* stepping(
              Effect.exit(Home.switchUser("Kids", { pin: "1234" }).pipe(RetryPolicy.withPolicy(policy))),
              "1 second",
              60
            )
            const switches = (yield* FakePlex.requests).filter((r) => r.route === "switchHomeUser").length
            yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.clearRequests)
            return [
              Exit.isSuccess(exit) ? "Success" : String((Cause.squash(exit.cause) as { _tag?: string })._tag),
              switches
            ]
          })
        assert.deepStrictEqual(yield* attempt(Fault.reset), ["NetworkError", 1])
        assert.deepStrictEqual(yield* attempt(Fault.status(500)), ["Unexpected", 1])
        assert.deepStrictEqual(yield* attempt(Fault.status(503)), ["Success", 2])
      }).pipe(Effect.provide(home))
  )
})

describe("conformance: ServerAccess against the seeded fake", () => {
  it.effect("check answers Owner, Shared, HomeMember, NoAccess, InvalidToken and Unknown", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const bobToken = yield* fake.mintToken("bob")
      const kidsToken = (yield* Home.switchUser("Kids", { pin: "1234" })).token
      const tags = [
        (yield* ServerAccess.check(fake.serverId))._tag,
        (yield* ServerAccess.check(fake.serverId).pipe(Credentials.withToken(bobToken)))._tag,
        (yield* ServerAccess.check(fake.serverId).pipe(Credentials.withToken(kidsToken)))._tag,
        (yield* ServerAccess.check("0123456789abcdef0123456789abcdef01234567"))._tag,
        (yield* ServerAccess.check(fake.serverId).pipe(Credentials.withToken("not-a-token")))._tag
      ]
      yield* FakePlex.fault("getServerResources", Fault.status(500), { times: 1 })
      tags.push((yield* ServerAccess.check(fake.serverId))._tag)
      assert.deepStrictEqual(tags, ["Owner", "Shared", "HomeMember", "NoAccess", "InvalidToken", "Unknown"])
      const malformed = yield* Effect.flip(ServerAccess.check("not an id"))
      assert.strictEqual(malformed._tag, "InvalidInput")
    }).pipe(Effect.provide(home))
  )

  it.effect("makeChecker keeps answers for ttl, Unknown not at all by default; options are checked", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const checker = yield* ServerAccess.makeChecker(fake.serverId, { ttl: "1 minute" })
      yield* FakePlex.fault("getServerResources", Fault.status(500), { times: 1 })
      assert.strictEqual((yield* checker.check(fake.token))._tag, "Unknown")
      assert.strictEqual((yield* checker.check(fake.token))._tag, "Owner")
      assert.strictEqual((yield* checker.check(Redacted.value(fake.token)))._tag, "Owner")
      const listings = () =>
        Effect.map(FakePlex.requests, (all) => all.filter((r) => r.route === "getServerResources").length)
      assert.strictEqual(yield* listings(), 2)
      yield* TestClock.adjust("61 seconds")
      yield* checker.check(fake.token)
      assert.strictEqual(yield* listings(), 3)
      yield* checker.invalidate(fake.token)
      yield* checker.check(fake.token)
      assert.strictEqual(yield* listings(), 4)
      for (const options of [
        { ttl: "-1 seconds" },
        { ttl: "1 minute", capacity: 0 },
        { ttl: "1 minute", unknownTtl: -5 }
      ] as ReadonlyArray<ServerAccess.CacheOptions>) {
        const refused = yield* Effect.flip(ServerAccess.makeChecker(fake.serverId, options))
        assert.strictEqual(refused._tag, "InvalidInput")
      }
      const noTtl = yield* Effect.flip(ServerAccess.makeChecker(fake.serverId, {} as never))
      assert.strictEqual(noTtl._tag, "InvalidInput")
    }).pipe(Effect.provide(home))
  )

  it.effect("a shared lookup goes on for the others when the caller that started it is interrupted", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const checker = yield* ServerAccess.makeChecker(fake.serverId, { ttl: "1 minute" })
      const owner = yield* ServerAccess.makeOwnerChecker(fake.serverId, { ttl: "1 minute" })
      const alice = yield* fake.account()
      // The owner checker asks the owner's resources too (does the account own the server?): two listings.
      yield* FakePlex.fault("getServerResources", Fault.delay("1 second"), { times: 2 })
      yield* FakePlex.fault("getUsers", Fault.delay("1 second"), { times: 1 })
      // The first caller of each starts the lookup, the second waits for it; then the first is interrupted.
      const first = yield* Effect.forkChild(
        Effect.all([checker.check(fake.token), owner.check(alice.id)], { concurrency: 2 })
      )
      const of = (route: string) =>
        Effect.map(FakePlex.requests, (all) => all.filter((request) => request.route === route).length)
      // The first caller's lookups reached the fake (each answered a second later) before the second caller comes.
      yield* until(
        Effect.map(Effect.all([of("getServerResources"), of("getUsers")]), ([a, b]) => a === 2 && b === 1)
      )
      yield* TestClock.adjust("100 millis")
      const second = yield* Effect.forkChild(
        Effect.all([checker.check(fake.token), owner.check(alice.id)], { concurrency: 2 })
      )
      yield* TestClock.adjust("100 millis")
      yield* Fiber.interrupt(first)
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.await(second)
      assert.isTrue(Exit.isSuccess(exit), String(exit))
      if (Exit.isSuccess(exit))
        assert.deepStrictEqual(
          exit.value.map((access) => access._tag),
          ["Owner", "Owner"]
        )
      // The second caller had the lookups the first started: none started afresh (which would also succeed).
      assert.deepStrictEqual(yield* Effect.all([of("getServerResources"), of("getUsers")]), [2, 1])
    }).pipe(Effect.provide(home))
  )

  it.effect(
    "a shared lookup is interrupted once every caller waiting for it is; the next call starts afresh",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const checker = yield* ServerAccess.makeChecker(fake.serverId, { ttl: "1 minute" })
        const owner = yield* ServerAccess.makeOwnerChecker(fake.serverId, { ttl: "1 minute" })
        const alice = yield* fake.account()
        // The owner checker asks the owner's resources too (does the account own the server?): two listings.
        yield* FakePlex.fault("getServerResources", Fault.hang, { times: 2 })
        yield* FakePlex.fault("getUsers", Fault.hang, { times: 1 })
        const of = (route: string) =>
          Effect.map(FakePlex.requests, (all) => all.filter((request) => request.route === route))
        const both = Effect.all([checker.check(fake.token), owner.check(alice.id)], { concurrency: 2 })
        const callers = yield* Effect.all([1, 2].map(() => Effect.forkChild(both)))
        yield* until(
          Effect.map(
            Effect.all([of("getServerResources"), of("getUsers")]),
            ([resources, users]) => resources.length === 2 && users.length === 1
          )
        )
        yield* TestClock.adjust("100 millis")
        // Both callers leave, with no time passing: the hanging requests are aborted now, not at their timeout.
        yield* Fiber.interrupt(callers[0]!)
        yield* Fiber.interrupt(callers[1]!)
        yield* until(
          Effect.map(
            Effect.all([of("getServerResources"), of("getUsers")]),
            ([resources, users]) =>
              resources.length === 2 &&
              resources.every((r) => r.outcome === "Interrupted") &&
              users[0]?.outcome === "Interrupted"
          )
        )
        // Nothing interrupted was kept: the next calls ask again, once each.
        const access = yield* Effect.all([checker.check(fake.token), owner.check(alice.id)], {
          concurrency: 2
        })
        assert.deepStrictEqual(
          access.map((a) => a._tag),
          ["Owner", "Owner"]
        )
        assert.strictEqual((yield* of("getServerResources")).length, 4)
        assert.strictEqual((yield* of("getUsers")).length, 2)
      }).pipe(Effect.provide(home))
  )

  it.effect(
    "owner calls: users, friends, sharedTokens (NotFound unless the owner asks), makeOwnerChecker",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const users = yield* ServerAccess.users(fake.serverId)
        assert.deepStrictEqual(users.map((u) => [u.user.title, u._tag]).sort(), [
          ["Kids", "HomeMember"],
          ["bob", "Shared"]
        ])
        const shares = yield* ServerAccess.sharedTokens(fake.serverId)
        assert.isTrue(shares.length >= 1)
        assert.isTrue(shares.every((share) => Redacted.isRedacted(share.accessToken)))
        const bobToken = yield* fake.mintToken("bob")
        const notOwner = yield* Effect.flip(
          ServerAccess.sharedTokens(fake.serverId).pipe(Credentials.withToken(bobToken))
        )
        assert.strictEqual(notOwner._tag, "NotFound")
        const owner = yield* ServerAccess.makeOwnerChecker(fake.serverId, { ttl: "5 minutes" })
        const alice = yield* fake.account()
        const bob = yield* fake.account("bob")
        assert.strictEqual((yield* owner.check(alice.id))._tag, "Owner")
        assert.strictEqual((yield* owner.check(bob.id))._tag, "Shared")
        assert.strictEqual((yield* owner.check(987654))._tag, "NoAccess")
      }).pipe(Effect.provide(home))
  )
})

const twoWays = FakePlex.layerSignedIn({
  servers: [
    {
      name: "Living Room",
      connections: [
        { uri: "http://192.0.2.10:32400", local: true },
        { uri: "https://203-0-113-7.0123456789abcdef.plex.direct:8443" }
      ]
    }
  ]
})

describe("conformance: Resources.connect and its options", () => {
  it.effect("the best-ranked answering candidate; the token only to it; attempts best first", () =>
    Effect.gen(function* () {
      const [server] = yield* Resources.servers()
      const connected = yield* Resources.connect(server!)
      assert.strictEqual(connected.uri, "http://192.0.2.10:32400")
      assert.strictEqual(connected.identity.machineIdentifier, server!.clientIdentifier)
      assert.isTrue(Redacted.isRedacted(connected.token))
      assert.strictEqual(connected.attempts.length, Resources.candidates(server!).length)
      const transient = yield* PlexAuth.getTransientToken().pipe(Effect.provide(connected.layer))
      assert.isTrue(Redacted.isRedacted(transient.token))
      const onServer = (yield* FakePlex.requests).filter((r) => r.host === "server")
      for (const r of onServer) {
        if (r.headers["x-plex-token"] !== undefined) assert.strictEqual(r.origin, connected.uri)
      }
    }).pipe(Effect.provide(twoWays))
  )

  it.effect("a hanging local candidate: timeout ends its probe, the remote one is chosen", () =>
    Effect.gen(function* () {
      const [server] = yield* Resources.servers()
      yield* FakePlex.fault({ origin: "http://192.0.2.10:32400", route: "getServerIdentity" }, Fault.hang)
      const fiber = yield* Effect.forkChild(
        Resources.connect(server!, { timeout: "2 seconds", includeLocal: true })
      )
      // The remote probe has its answer before the clock moves (Effect 4's TestClock.adjust moves it at once).
      yield* until(
        Effect.map(FakePlex.requests, (all) =>
          all.some(
            (r) => r.route === "getServerIdentity" && r.origin.startsWith("https:") && r.status === 200
          )
        )
      )
      yield* TestClock.adjust("250 millis")
      const connected = yield* Fiber.join(fiber)
      assert.strictEqual(connected.uri, "https://203-0-113-7.0123456789abcdef.plex.direct:8443")
      // Settled `grace` (250 ms by default) after the lower-ranked one answered, not at the timeout.
      assert.strictEqual(connected.elapsedMillis, 250)
    }).pipe(Effect.provide(twoWays))
  )

  it.effect("every candidate hanging: NoReachableConnection listing each, after the timeout", () =>
    Effect.gen(function* () {
      const [server] = yield* Resources.servers()
      yield* FakePlex.fault("getServerIdentity", Fault.hang)
      const fiber = yield* Effect.forkChild(Effect.flip(Resources.connect(server!, { timeout: "3 seconds" })))
      // The probes of the two candidates, both origins the fake serves (the remote connection gets no made-up
      // http://address:port).
      yield* until(
        Effect.map(
          FakePlex.requests,
          (all) => all.filter((r) => r.route === "getServerIdentity").length === 2
        )
      )
      yield* TestClock.adjust("3 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "NoReachableConnection")
      if (error._tag === "NoReachableConnection") {
        assert.strictEqual(error.attempts.length, Resources.candidates(server!).length)
        assert.strictEqual(error.server, "Living Room")
      }
    }).pipe(Effect.provide(twoWays))
  )

  it.effect("includeLocal: false and httpsOnly: true leave out those candidates", () =>
    Effect.gen(function* () {
      const [server] = yield* Resources.servers()
      // The candidates themselves (an empty list passed the checks of each one's location and protocol).
      const uris = (candidates: ReadonlyArray<{ readonly uri: string }>) => candidates.map((c) => c.uri)
      assert.deepStrictEqual(uris(Resources.candidates(server!)), [
        "http://192.0.2.10:32400",
        "https://203-0-113-7.0123456789abcdef.plex.direct:8443"
      ])
      assert.deepStrictEqual(uris(Resources.candidates(server!, { includeLocal: false })), [
        "https://203-0-113-7.0123456789abcdef.plex.direct:8443"
      ])
      // The remote connection's made-up plain-HTTP URL only when asked for.
      assert.deepStrictEqual(uris(Resources.candidates(server!, { includeLocal: false, httpsOnly: false })), [
        "https://203-0-113-7.0123456789abcdef.plex.direct:8443",
        "http://203.0.113.7:8443"
      ])
      assert.deepStrictEqual(uris(Resources.candidates(server!, { httpsOnly: true })), [
        "https://203-0-113-7.0123456789abcdef.plex.direct:8443"
      ])
      const connected = yield* Resources.connect(server!, { httpsOnly: true })
      assert.isTrue(connected.uri.startsWith("https://"))
    }).pipe(Effect.provide(twoWays))
  )

  it.effect("verifyToken: false sends the token to no server", () =>
    Effect.gen(function* () {
      const [server] = yield* Resources.servers()
      yield* Resources.connect(server!, { verifyToken: false })
      const onServer = (yield* FakePlex.requests).filter((r) => r.host === "server")
      assert.isTrue(onServer.length > 0)
      assert.isTrue(
        onServer.every((r) => r.headers["x-plex-token"] === undefined && r.route === "getServerIdentity")
      )
    }).pipe(Effect.provide(twoWays))
  )

  it.effect("options out of range are InvalidInput before any request; an unknown field is tolerated", () =>
    Effect.gen(function* () {
      const [server] = yield* Resources.servers()
      yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.clearRequests)
      const refused: Array<Resources.ConnectOptions> = [
        { timeout: 0 },
        { timeout: "-1 seconds" },
        { timeout: Duration.infinity },
        { grace: -1 },
        { includeLocal: "yes" as never },
        { verifyToken: 1 as never }
      ]
      for (const options of refused) {
        const error = yield* Effect.flip(Resources.connect(server!, options))
        assert.strictEqual(error._tag, "InvalidInput", JSON.stringify(options))
        const byName = yield* Effect.flip(Resources.connectByName("Living Room", options))
        assert.strictEqual(byName._tag, "InvalidInput")
      }
      assert.deepStrictEqual(yield* FakePlex.requests, [])
      const connected = yield* Resources.connect(server!, {
        grace: 0,
        somethingElse: true
      } as Resources.ConnectOptions)
      assert.strictEqual(connected.uri, "http://192.0.2.10:32400")
    }).pipe(Effect.provide(twoWays))
  )

  it.effect("connectByName: by name, id or name ignoring case; ServerNotFound lists the servers", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      assert.strictEqual(
        (yield* Resources.connectByName("living room")).server.clientIdentifier,
        fake.serverId
      )
      assert.strictEqual((yield* Resources.connectByName(fake.serverId)).server.name, "Living Room")
      const missing = yield* Effect.flip(Resources.connectByName("Attic"))
      assert.strictEqual(missing._tag, "ServerNotFound")
      if (missing._tag === "ServerNotFound") assert.deepStrictEqual(missing.available, ["Living Room"])
    }).pipe(Effect.provide(twoWays))
  )
})

const LoopbackLive = Layer.mergeAll(
  FakePlexServer.layer({
    accounts: [{}, { username: "bob" }],
    servers: [{ name: "Living Room", sharedWith: ["bob"] }]
  }),
  FetchHttpClient.layer,
  ClientIdentity.layer({ clientIdentifier: "my-test-client", product: "My App" })
)

/** Runs `effect` against the loopback server's plex.tv, server and default account. */
const onLoopback = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(FakePlexServer.FakePlexServer, (server) =>
    effect.pipe(
      PlexServer.withUrl(server.serverUrl),
      PlexTv.withUrl(server.plexTvUrl),
      Credentials.withToken(server.fake.token)
    )
  )

/** A fake with a managed Home user, and PINs approved by hand only (no `autoApprovePins`). */
const ByHandLive = Layer.mergeAll(
  FakePlexServer.layer({ accounts: [{}, { username: "kids", title: "Kids", managed: true }] }),
  FetchHttpClient.layer,
  ClientIdentity.layer({ clientIdentifier: "my-test-client", product: "My App" })
)

/**
 * What a browser does with a PIN sign-in link: loads the page (the `#?` fragment stays in the browser), then
 * submits its form, which the page's script fills from the fragment, signed in as `account`.
 */
const approveAt = (link: string, account: string) =>
  Effect.promise(async () => {
    const page = await fetch(link)
    const html = await page.text()
    const action = /<form id="approve" method="post" action="([^"]+)">/.exec(html)?.[1] ?? ""
    const fragment = new URLSearchParams(link.slice(link.indexOf("#?") + 2))
    const body = new URLSearchParams({ account })
    for (const name of ["clientID", "code", "forwardUrl"]) body.set(name, fragment.get(name) ?? "")
    const answer = await fetch(new URL(action, link), { method: "POST", body, redirect: "manual" })
    return {
      page: page.status,
      status: answer.status,
      location: answer.headers.get("location"),
      text: await answer.text()
    }
  })

describe("conformance: a PIN approved by hand at the fake's approval page", () => {
  it.live(
    "PinLogin.login with the fake's authAppUrl: the link opens its page, which offers only accounts that can approve",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        const form = yield* Effect.promise(() => fetch(server.fake.authAppUrl).then((page) => page.text()))
        assert.include(form, '<option value="alice" selected>')
        // The managed Home user has no sign-in of its own: not offered.
        assert.notInclude(form, "kids")
        const answers: Array<{
          readonly status: number
          readonly location: string | null
          readonly text: string
        }> = []
        const token = yield* PinLogin.login({
          authAppUrl: server.fake.authAppUrl,
          forwardUrl: "http://localhost:3000/done",
          onPin: ({ url }) =>
            Effect.gen(function* () {
              assert.isTrue(url.startsWith(`${server.fake.authAppUrl}#?clientID=my-test-client&code=`))
              for (const account of ["kids", "nobody", "alice"]) {
                const answer = yield* approveAt(url, account)
                assert.strictEqual(answer.page, 200)
                answers.push(answer)
              }
            })
        }).pipe(PlexTv.withUrl(server.plexTvUrl))
        assert.deepStrictEqual(
          answers.map((a) => [a.status, a.location]),
          [
            [400, null],
            [400, null],
            [303, "http://localhost:3000/done"]
          ]
        )
        assert.include(answers[0]!.text, "This account cannot approve sign-ins.")
        assert.include(answers[1]!.text, "There is no account with this name.")
        const account = yield* PlexAuth.getTokenDetails().pipe(
          PlexTv.withUrl(server.plexTvUrl),
          Credentials.withToken(token)
        )
        assert.strictEqual(account.username, "alice")
      }).pipe(Effect.provide(ByHandLive))
  )
})

describe("conformance: the loopback server (effect-plex-auth/node)", () => {
  it.live(
    "serves every origin on 127.0.0.1; the fake it provides as FakePlex.FakePlex is the service's",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        assert.strictEqual(server.urls.length, 5)
        for (const url of server.urls) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.include(server.urls, server.plexTvUrl)
        assert.include(server.urls, server.serverUrl)
        assert.include(server.urls, server.clientsUrl)
        assert.strictEqual(server.fake.plexTvUrl, server.plexTvUrl)
        const account = yield* onLoopback(PlexAuth.getTokenDetails())
        assert.strictEqual(account.username, "alice")
        const fake = yield* FakePlex.FakePlex
        const records = yield* fake.requests
        assert.deepStrictEqual(
          records.map((r) => [r.route, r.origin, r.status]),
          [["getTokenDetails", server.plexTvUrl, 200]]
        )
        assert.strictEqual(fake.serverUrl, server.serverUrl)
      }).pipe(Effect.provide(LoopbackLive))
  )

  it.live(
    "resources list loopback connections; connect chooses one and the server operations work there",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        const [device] = yield* onLoopback(Resources.servers())
        assert.isTrue(device!.connections.every((c) => server.urls.includes(c.uri ?? "")))
        const connected = yield* onLoopback(Resources.connect(device!))
        assert.include(server.urls, connected.uri)
        const transient = yield* PlexAuth.getTransientToken().pipe(Effect.provide(connected.layer))
        assert.isTrue(Redacted.isRedacted(transient.token))
        const bob = yield* server.fake.mintToken("bob")
        const access = yield* ServerAccess.check(server.fake.serverId).pipe(
          PlexTv.withUrl(server.plexTvUrl),
          Credentials.withToken(bob)
        )
        assert.strictEqual(access._tag, "Shared")
      }).pipe(Effect.provide(LoopbackLive))
  )

  it.live(
    "faults on the wire: reset and truncate are NetworkError (Transport), truncate with the status that came; a dying, failing or interrupted respond is a 500",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        yield* server.fake.fault("getTokenDetails", Fault.reset, { times: 1 })
        yield* server.fake.fault("getTokenDetails", Fault.truncate({ keepBytes: 10 }), { times: 1 })
        yield* server.fake.fault(
          "getTokenDetails",
          Fault.respond(() => Effect.die(new Error("boom"))),
          { times: 1 }
        )
        // A respond Effect that fails (from untyped code) or is interrupted is answered 500 too, as docs/testing.md
        // says: it dropped the connection (a reset), as only a scripted reset or refusal does.
        yield* server.fake.fault(
          "getTokenDetails",
          Fault.respond(() => Effect.fail(new Error("refused")) as never),
          { times: 1 }
        )
        yield* server.fake.fault(
          "getTokenDetails",
          Fault.respond(() => Effect.interrupt),
          { times: 1 }
        )
        const reset = yield* Effect.flip(onLoopback(PlexAuth.getTokenDetails()))
        const truncated = yield* Effect.flip(onLoopback(PlexAuth.getTokenDetails()))
        const died = yield* Effect.flip(onLoopback(PlexAuth.getTokenDetails()))
        const failed = yield* Effect.flip(onLoopback(PlexAuth.getTokenDetails()))
        const interrupted = yield* Effect.flip(onLoopback(PlexAuth.getTokenDetails()))
        assert.deepStrictEqual(
          [reset, truncated, died, failed, interrupted].map((e) => [
            e._tag,
            "reason" in e ? e.reason : undefined,
            "status" in e ? e.status : undefined
          ]),
          [
            ["NetworkError", "Transport", undefined],
            // The status came, then the body broke off: the error says the server answered.
            ["NetworkError", "Transport", 200],
            ["Unexpected", "Status", 500],
            ["Unexpected", "Status", 500],
            ["Unexpected", "Status", 500]
          ]
        )
        assert.deepStrictEqual(
          (yield* server.fake.requests).map((r) => r.outcome),
          ["Reset", "Responded", "Failed", "Failed", "Failed"]
        )
        yield* server.closeIdleSockets
        yield* server.awaitOpenSockets(0)
      }).pipe(Effect.provide(LoopbackLive))
  )

  it.live("a redirect to the unrelated host crosses origins; the token does not follow", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      yield* server.fake.fault("getTokenDetails", Fault.redirect(), { times: 1 })
      yield* Effect.exit(onLoopback(PlexAuth.getTokenDetails()))
      const records = yield* server.fake.requests
      const elsewhere = records.find((r) => r.host === "elsewhere")
      assert.isDefined(elsewhere)
      assert.notStrictEqual(elsewhere?.origin, server.plexTvUrl)
      assert.include(server.urls, elsewhere?.origin)
      assert.notProperty(elsewhere?.headers, "x-plex-token")
    }).pipe(Effect.provide(LoopbackLive))
  )

  it.live("a PIN login with autoApprovePins completes over real HTTP", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      const token = yield* PinLogin.login({ onPin: () => Effect.void }).pipe(PlexTv.withUrl(server.plexTvUrl))
      assert.isTrue(yield* server.fake.isTokenValid(token))
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          FakePlexServer.layer({ autoApprovePins: true }),
          FetchHttpClient.layer,
          ClientIdentity.layer({ clientIdentifier: "my-test-client", product: "My App" })
        )
      )
    )
  )
})

describe("conformance: PIN flows against the fake, with their nested options", () => {
  it.effect("poll asks every second by default and returns the token once approved", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      const fiber = yield* Effect.forkChild(PinLogin.poll(pin))
      yield* until(Effect.map(FakePlex.requests, (all) => all.some((r) => r.route === "checkPin")))
      yield* TestClock.adjust("1 second")
      yield* until(
        Effect.map(FakePlex.requests, (all) => all.filter((r) => r.route === "checkPin").length === 2)
      )
      yield* FakePlex.approvePin(pin.id)
      yield* TestClock.adjust("1 second")
      const token = yield* Fiber.join(fiber)
      assert.isTrue(Redacted.isRedacted(token))
      assert.deepStrictEqual(
        (yield* FakePlex.requests).filter((r) => r.route === "checkPin").map((r) => r.receivedAt),
        [0, 1000, 2000]
      )
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("poll rides out 503 and 429 answers and fails with PinExpired at the PIN's lifetime", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create({ strong: false })
      yield* FakePlex.fault("checkPin", Fault.status(503), { times: 1 })
      yield* FakePlex.fault("checkPin", Fault.rateLimited("2 seconds"), { times: 1 })
      const error = yield* stepping(Effect.flip(PinLogin.poll(pin)), "5 seconds", 100)
      assert.strictEqual(error._tag, "PinExpired")
      const statuses = (yield* FakePlex.requests).filter((r) => r.route === "checkPin").map((r) => r.status)
      assert.deepStrictEqual(statuses.slice(0, 3), [503, 429, 200])
    }).pipe(Effect.provide(FakePlex.layerSignedIn({ pinLifetime: { short: "30 seconds" } })))
  )

  it.effect(
    "login({ strong: false, forwardUrl }): a short code, the forward URL in the app.plex.tv link",
    () =>
      Effect.gen(function* () {
        const prompts: Array<{ readonly strong: boolean; readonly url: string }> = []
        const token = yield* PinLogin.login({
          strong: false,
          forwardUrl: "https://my.app/done",
          onPin: ({ pin, url }) => Effect.sync(() => prompts.push({ strong: pin.code.length > 4, url }))
        })
        assert.isTrue(Redacted.isRedacted(token))
        assert.strictEqual(prompts.length, 1)
        assert.isFalse(prompts[0]!.strong)
        assert.include(prompts[0]!.url, `forwardUrl=${encodeURIComponent("https://my.app/done")}`)
        const [pin] = yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.pins)
        assert.isFalse(pin?.strong)
      }).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: true })))
  )

  it.effect("nested options out of range are InvalidInput before any request", () =>
    Effect.gen(function* () {
      const refusals = [
        yield* Effect.flip(PinLogin.login({ onPin: () => Effect.void, fallbackLifetime: 0 })),
        yield* Effect.flip(PinLogin.login({ onPin: () => Effect.void, fallbackLifetime: Duration.infinity })),
        yield* Effect.flip(PinLogin.login({ onPin: () => Effect.void, forwardUrl: "ftp://x.example/" })),
        yield* Effect.flip(PinLogin.login({ onPin: () => Effect.void, strong: "no" as never })),
        yield* Effect.flip(PinLogin.login({ onPin: "no" as never })),
        yield* Effect.flip(PinLogin.poll({ id: 0, code: "ABCD" } as PinLogin.Pin)),
        yield* Effect.flip(PinLogin.authUrl({ code: "" }))
      ]
      assert.deepStrictEqual(
        refusals.map((e) => e._tag),
        refusals.map(() => "InvalidInput")
      )
      assert.deepStrictEqual(yield* FakePlex.requests, [])
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )
})

describe("conformance: the fake without a layer, and its web handler", () => {
  it.effect("FakePlex.make and FakePlex.httpClient: the in-memory client of layer, without the layer", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.make({ accounts: [{ username: "carol" }] })
      const account = yield* PlexAuth.getTokenDetails().pipe(
        Effect.provideService(HttpClient.HttpClient, FakePlex.httpClient(fake)),
        Effect.provide(ClientIdentity.layer(FakePlex.testIdentity)),
        Credentials.withToken(fake.token)
      )
      assert.strictEqual(account.username, "carol")
      assert.strictEqual((yield* fake.requests).length, 1)
    })
  )

  it.effect("fake.handle follows the caller's Clock; interrupting it aborts the request (Interrupted)", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* fake.fault("getServerIdentity", Fault.delay("3 seconds"), { times: 1 })
      yield* fake.fault("getServerIdentity", Fault.hang, { times: 1 })
      const request = () =>
        new Request(`${fake.serverUrl}/identity`, { headers: { Accept: "application/json" } })
      const delayed = yield* Effect.forkChild(fake.handle(request()))
      yield* until(Effect.map(fake.requests, (all) => all.length === 1))
      yield* TestClock.adjust("3 seconds")
      const response = yield* Fiber.join(delayed)
      assert.strictEqual(response.status, 200)
      const hanging = yield* Effect.forkChild(fake.handle(request()))
      yield* until(Effect.map(fake.requests, (all) => all.length === 2))
      yield* Fiber.interrupt(hanging)
      assert.deepStrictEqual(
        (yield* fake.requests).map((r) => [r.receivedAt, r.outcome]),
        [
          [0, "Responded"],
          [3000, "Interrupted"]
        ]
      )
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("Fault.respond runs on the TestClock of the test", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault(
        "getServerIdentity",
        Fault.respond(() =>
          Effect.map(Clock.currentTimeMillis, (now) => new Response(`${now}`, { status: 418 }))
        ),
        { times: 1 }
      )
      yield* TestClock.adjust("5 seconds")
      const fake = yield* FakePlex.FakePlex
      const response = yield* fake.handle(new Request(`${fake.serverUrl}/identity`))
      assert.strictEqual(response.status, 418)
      assert.strictEqual(yield* Effect.promise(() => response.text()), "5000")
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect(
    "FakePlex.makeHandler is the fake entry point's makeHandler; handlerFaults script its faults",
    () =>
      Effect.gen(function* () {
        assert.strictEqual(FakePlex.makeHandler, makeHandler)
        const fake = FakePlex.makeHandler()
        fake.fault("getTokenDetails", FakePlex.handlerFaults.status(429, { retryAfterMillis: 2000 }), {
          times: 1
        })
        const headers = {
          "X-Plex-Client-Identifier": "my-app",
          Accept: "application/json",
          "X-Plex-Token": fake.token
        }
        const limited = yield* Effect.promise(() =>
          fake.handler(new Request(`${fake.plexTvUrl}/api/v2/user`, { headers }))
        )
        assert.strictEqual(limited.status, 429)
        assert.strictEqual(limited.headers.get("retry-after"), "2")
        const ok = yield* Effect.promise(() =>
          fake.handler(new Request(`${fake.plexTvUrl}/api/v2/user`, { headers }))
        )
        assert.strictEqual(ok.status, 200)
        const records = fake.requests()
        assert.notInclude(JSON.stringify(records) + String(records[0]?.headers["x-plex-token"]), fake.token)
        assert.throws(() => fake.fault("nope" as never, FakePlex.handlerFaults.hang), /no route named/)
      })
  )
})

describe("conformance: ServerAccess checkers' cache options", () => {
  it.effect("ttl: 0 keeps no answer, even within one millisecond (makeChecker and makeOwnerChecker)", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const checker = yield* ServerAccess.makeChecker(fake.serverId, { ttl: 0 })
      assert.strictEqual((yield* checker.check(fake.token))._tag, "Owner")
      assert.strictEqual((yield* checker.check(fake.token))._tag, "Owner")
      const owner = yield* ServerAccess.makeOwnerChecker(fake.serverId, { ttl: "0 millis" })
      const alice = yield* fake.account()
      assert.strictEqual((yield* owner.check(alice.id))._tag, "Owner")
      assert.strictEqual((yield* owner.check(alice.id))._tag, "Owner")
      const routes = (yield* FakePlex.requests).map((r) => r.route)
      // Each checker's two lookups list the resources (the owner checker's, to confirm the account owns the server).
      assert.strictEqual(routes.filter((route) => route === "getServerResources").length, 4)
      assert.strictEqual(routes.filter((route) => route === "getUsers").length, 2)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "makeOwnerChecker: a resources listing that fails or hangs is Unknown with its error, kept for unknownTtl; ServerNotFound is kept for ttl",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const alice = yield* fake.account()
        const bob = yield* fake.account("bob")
        const count = (route: string) =>
          Effect.map(FakePlex.requests, (all) => all.filter((r) => r.route === route).length)
        const resources = count("getServerResources")
        const owner = yield* ServerAccess.makeOwnerChecker(fake.serverId, {
          ttl: "5 minutes",
          unknownTtl: "10 seconds"
        })
        // A refused listing: the owner's answer is Unknown with that error (no ServerNotFound), kept 10 seconds.
        yield* FakePlex.fault("getServerResources", Fault.refuse, { times: 1 })
        const refused = yield* owner.check(alice.id)
        assert.strictEqual(refused._tag === "Unknown" ? refused.error._tag : refused._tag, "NetworkError")
        assert.strictEqual((yield* Effect.flip(owner.users))._tag, "NetworkError")
        assert.strictEqual(yield* resources, 1)
        yield* TestClock.adjust("10 seconds")
        assert.strictEqual((yield* owner.check(alice.id))._tag, "Owner")
        assert.strictEqual(yield* resources, 2)

        // A listing that never answers: Unknown with NetworkError (Timeout) at the request timeout, kept likewise.
        yield* owner.invalidate
        yield* FakePlex.fault("getServerResources", Fault.hang, { times: 1 })
        const fiber = yield* Effect.forkChild(owner.check(bob.id))
        yield* until(Effect.map(resources, (n) => n === 3))
        yield* TestClock.adjust("30 seconds")
        const hung = yield* Fiber.join(fiber)
        assert.strictEqual(hung._tag, "Unknown")
        if (hung._tag === "Unknown" && hung.error._tag === "NetworkError") {
          assert.strictEqual(hung.error.reason, "Timeout")
        } else assert.fail(`not a NetworkError: ${JSON.stringify(hung)}`)
        assert.strictEqual((yield* owner.check(bob.id))._tag, "Unknown")
        assert.strictEqual(yield* resources, 3)
        yield* TestClock.adjust("10 seconds")
        assert.strictEqual((yield* owner.check(bob.id))._tag, "Shared")
        assert.strictEqual(yield* resources, 4)

        // Not the account's server (a typo; a server only shared with bob): ServerNotFound naming the servers the
        // account owns, kept for ttl (5 minutes) as any answer, not only for unknownTtl (10 seconds): a typo does
        // not send three requests at every check.
        const typo = `${fake.serverId}x`
        const bobToken = yield* fake.mintToken("bob")
        for (const [checker, available] of [
          [
            yield* ServerAccess.makeOwnerChecker(typo, { ttl: "5 minutes", unknownTtl: "10 seconds" }),
            ["Living Room"]
          ],
          [
            yield* ServerAccess.makeOwnerChecker(fake.serverId, {
              ttl: "5 minutes",
              unknownTtl: "10 seconds"
            }).pipe(Credentials.withToken(bobToken)),
            []
          ]
        ] as const) {
          const asked = yield* resources
          const answer = yield* checker.check(alice.id)
          if (answer._tag !== "Unknown" || answer.error._tag !== "ServerNotFound") {
            return assert.fail(`not ServerNotFound: ${JSON.stringify(answer)}`)
          }
          assert.deepStrictEqual(answer.error.available, available)
          assert.strictEqual(
            answer.error.message,
            `ServerAccess.makeOwnerChecker: the account has no server "${checker.machineIdentifier}" (it has: ${
              available.length === 0 ? "none" : available.map((n) => `"${n}"`).join(", ")
            })`
          )
          assert.strictEqual((yield* Effect.flip(checker.users))._tag, "ServerNotFound")
          assert.strictEqual(yield* resources, asked + 1)
          yield* TestClock.adjust("10 seconds")
          assert.strictEqual((yield* checker.check(alice.id))._tag, "Unknown")
          assert.strictEqual(yield* resources, asked + 1)
          yield* TestClock.adjust("5 minutes")
          assert.strictEqual((yield* checker.check(alice.id))._tag, "Unknown")
          assert.strictEqual(yield* resources, asked + 2)
        }
      }).pipe(Effect.provide(home))
  )

  it.effect(
    "a checker's requests run with the request timeout of where it was made, not the caller's (makeChecker and makeOwnerChecker)",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const alice = yield* fake.account()
        const resources = Effect.map(
          FakePlex.requests,
          (all) => all.filter((r) => r.route === "getServerResources").length
        )
        // Made with the default (30 seconds); each caller asks for 3 seconds, which the checker does not take.
        const checker = yield* ServerAccess.makeChecker(fake.serverId, { ttl: "1 minute" })
        const owner = yield* ServerAccess.makeOwnerChecker(fake.serverId, { ttl: "1 minute" })
        const checks: ReadonlyArray<
          readonly [number, Effect.Effect<ServerAccess.Access | ServerAccess.OwnerAccess, unknown>]
        > = [
          [1, checker.check(fake.token)],
          [2, owner.check(alice.id)]
        ]
        for (const [n, check] of checks) {
          yield* FakePlex.fault("getServerResources", Fault.hang, { times: 1 })
          const answered: Array<string> = []
          const fiber = yield* Effect.forkChild(
            Effect.tap(check.pipe(PlexAuth.withRequestTimeout("3 seconds")), (a) =>
              Effect.sync(() => answered.push(a._tag))
            )
          )
          yield* until(Effect.map(resources, (count) => count === n))
          yield* TestClock.adjust("3 seconds")
          yield* until(Effect.succeed(true))
          assert.deepStrictEqual(answered, [], "the caller's timeout reached the shared lookup")
          yield* TestClock.adjust("27 seconds")
          const answer = yield* Fiber.join(fiber)
          assert.strictEqual(answer._tag === "Unknown" ? answer.error._tag : answer._tag, "NetworkError")
        }
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("a checker asks with the ClientIdentity and plex.tv of where it was made", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const checker = yield* ServerAccess.makeChecker(fake.serverId, { ttl: "1 minute" }).pipe(
        Effect.provide(ClientIdentity.layer({ clientIdentifier: "maker", product: "Maker" }))
      )
      const access = yield* checker
        .check(fake.token)
        .pipe(
          PlexTv.withUrl(fake.elsewhereUrl),
          Effect.provide(ClientIdentity.layer({ clientIdentifier: "caller", product: "Caller" }))
        )
      assert.strictEqual(access._tag, "Owner")
      const [request] = yield* FakePlex.requests
      assert.strictEqual(request?.host, "plex.tv")
      assert.strictEqual(request?.headers["x-plex-client-identifier"], "maker")
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )
})

describe("conformance: the fake's seed", () => {
  it.effect(
    "a negative or NaN duration, or an unknown autoApprovePins account, in the seed is a defect",
    () =>
      Effect.gen(function* () {
        // Refused by the kit's own option names and as written, not the core's milliseconds.
        const seeds: ReadonlyArray<readonly [FakePlex.Options, string]> = [
          [
            { pinLifetime: { short: -1 } },
            "pinLifetime.short must be a duration that is not negative, got -1"
          ],
          [
            { pinLifetime: { strong: "-5 minutes" } },
            'pinLifetime.strong must be a duration that is not negative, got "-5 minutes"'
          ],
          [
            { transientTokenLifetime: Number.NaN },
            "transientTokenLifetime must be a duration that is not negative, got NaN"
          ],
          [
            { claimTokenLifetime: -1000 },
            "claimTokenLifetime must be a duration that is not negative, got -1000"
          ],
          [
            { autoApprovePins: { after: "-1 seconds" } },
            'autoApprovePins.after must be a duration that is not negative, got "-1 seconds"'
          ],
          // Negative as nanoseconds or as [seconds, nanoseconds]: Effect 3's Duration read them as zero (taken: a
          // token that expires at once), Effect 4 keeps the sign.
          [
            { transientTokenLifetime: BigInt(-1) as never },
            "transientTokenLifetime must be a duration that is not negative, got -1"
          ],
          [
            { claimTokenLifetime: [-1, 0] as never },
            "claimTokenLifetime must be a duration that is not negative, got -1,0"
          ],
          // Not a duration: each edition's Duration threw an Error of its own words ("Invalid DurationInput" in
          // Effect 3, "Invalid Input: soon" in Effect 4), naming no option.
          [
            { transientTokenLifetime: "soon" as never },
            'transientTokenLifetime must be a duration that is not negative, got "soon"'
          ]
        ]
        for (const [seed, message] of seeds) {
          const defect = yield* defectOf(FakePlex.make(seed))
          assert.instanceOf(defect, FakePlex.FakePlexError, String(defect))
          assert.strictEqual((defect as FakePlex.FakePlexError).message, `FakePlex: ${message}`)
        }
        const unknown = yield* defectOf(FakePlex.make({ autoApprovePins: { account: "nobody" } }))
        assert.match(String(unknown), /unknown account: nobody/)
        const fine = yield* FakePlex.make({ pinLifetime: { short: 0, strong: "1 minute" } })
        assert.strictEqual(fine.plexTvUrl, FakePlex.defaults.plexTvUrl)
      })
  )

  it.effect(
    "every seed the fake refuses dies with the kit's FakePlexError, the same from FakePlex, FakePlexServer and serve",
    () =>
      Effect.gen(function* () {
        // Seeds that are the same in the kits' terms and the Effect-free fake's (no durations, no Redacted).
        const untyped = (seed: unknown) => seed as FakePlex.Options & HandlerOptions
        const seeds: ReadonlyArray<readonly [FakePlex.Options & HandlerOptions, string]> = [
          [
            { autoApprovePins: { account: "nobody" } },
            "FakePlex: autoApprovePins.account names an unknown account: nobody"
          ],
          [
            { servers: [{ clientIdentifier: "den", owner: "nobody" }] },
            "FakePlex: server den owner names an unknown account: nobody"
          ],
          [
            { servers: [{ clientIdentifier: "den", sharedWith: ["nobody"] }] },
            "FakePlex: server den sharedWith names an unknown account: nobody"
          ],
          [
            { servers: [{ clientIdentifier: "den", connections: [] }] },
            "FakePlex: server den has no connections"
          ],
          [
            { servers: [{ connections: [{ uri: "ws://192.0.2.1:32400" }] }] },
            "FakePlex: a connection uri must be http or https: ws://192.0.2.1:32400"
          ],
          [
            { servers: [{ sources: [{ source: "no scheme" }] }] },
            "FakePlex: a source must look like scheme://id: no scheme"
          ],
          [{ plexTvUrl: "plex.test" }, "FakePlex: plexTvUrl is not an absolute URL: plex.test"],
          [
            { clientsUrl: "ftp://clients.test" },
            "FakePlex: clientsUrl must be http or https: ftp://clients.test"
          ],
          [
            { accounts: [{ username: "dora" }, { username: "Dora", email: "other@example.com" }] },
            "FakePlex: two accounts share the login dora"
          ],
          // One id, uuid or token is one account (its lookups took the last seeded: eve signed in with dora's
          // token), one clientIdentifier one server. The token is named by where it is seeded, not shown.
          [
            {
              accounts: [
                { username: "dora", id: 7 },
                { username: "eve", id: 7 }
              ]
            },
            "FakePlex: accounts[0] and accounts[1] share the id 7"
          ],
          [
            {
              accounts: [
                { username: "dora", uuid: "d0ra" },
                { username: "eve", uuid: "d0ra" }
              ]
            },
            "FakePlex: accounts[0] and accounts[1] share the uuid d0ra"
          ],
          [
            {
              accounts: [
                { username: "dora", token: "dora-token" },
                { username: "eve", token: "dora-token" }
              ]
            },
            "FakePlex: accounts[0].token and accounts[1].token are the same token"
          ],
          [
            { accounts: [{ username: "dora", token: "dora-token" }, { devices: [{ token: "dora-token" }] }] },
            "FakePlex: accounts[0].token and accounts[1].devices[0].token are the same token"
          ],
          [
            {
              servers: [
                { clientIdentifier: "den" },
                { clientIdentifier: "den", connections: [{ uri: "http://192.0.2.9:1" }] }
              ]
            },
            "FakePlex: servers[0] and servers[1] share the clientIdentifier den"
          ],
          [
            { homes: [{ admin: "nobody", members: [] }] },
            "FakePlex: a home admin names an unknown account: nobody"
          ],
          [{ homes: [{ members: ["nobody"] }] }, "FakePlex: a home member names an unknown account: nobody"],
          // A managed user named by its title, as its seed gave no username: the message says which name to use.
          [
            { accounts: [{}, { title: "Kids", managed: true }], homes: [{ members: ["kids"] }] },
            'FakePlex: a home member names an unknown account: kids (accounts are named by username or email: the one titled "Kids" is "user2")'
          ],
          [
            {
              accounts: [{ username: "dora", id: 1 }, { username: "eve" }],
              homes: [
                { admin: "dora", members: [] },
                { admin: "eve", members: ["dora"] }
              ]
            },
            "FakePlex: account 1 is in two homes"
          ],
          [
            { plexTvUrl: "http://same.test", clientsUrl: "http://same.test/" },
            "FakePlex: http://same.test is claimed by both plex.tv and clients.plex.tv"
          ],
          // From untyped JavaScript: lists and entries of the wrong kind are refused naming the entry, not a TypeError.
          [untyped({ accounts: [null] }), "FakePlex: accounts[0] must be an object, not null"],
          [untyped({ accounts: {} }), "FakePlex: accounts must be an array, not an object"],
          [
            untyped({ accounts: [{}, { username: 7 }] }),
            "FakePlex: accounts[1].username must be a string, not number"
          ],
          [
            untyped({ accounts: [{ devices: [null] }] }),
            "FakePlex: accounts[0].devices[0] must be an object, not null"
          ],
          [untyped({ homes: [{}] }), "FakePlex: homes[0].members must be an array, not undefined"],
          [untyped({ homes: [null] }), "FakePlex: homes[0] must be an object, not null"],
          [
            untyped({ homes: [{ members: [1] }] }),
            "FakePlex: homes[0].members[0] must be a string, not number"
          ],
          [
            untyped({ homes: [{ admin: null, members: [] }] }),
            "FakePlex: homes[0].admin must be a string, not null"
          ],
          [untyped({ servers: [null] }), "FakePlex: servers[0] must be an object, not null"],
          [untyped({ servers: [{}, 1] }), "FakePlex: servers[1] must be an object, not number"],
          [untyped({ servers: [{ owner: null }] }), "FakePlex: servers[0].owner must be a string, not null"],
          [
            untyped({ servers: [{ sharedWith: "alice" }] }),
            "FakePlex: servers[0].sharedWith must be an array, not string"
          ],
          [
            untyped({ servers: [{ connections: [null] }] }),
            "FakePlex: servers[0].connections[0] must be an object, not null"
          ],
          [
            untyped({ servers: [{ sources: [{ source: "x://y", connections: [[]] }] }] }),
            "FakePlex: servers[0].sources[0].connections[0] must be an object, not an array"
          ],
          [
            untyped({ plexTvAliases: "http://plex.test" }),
            "FakePlex: plexTvAliases must be an array, not string"
          ],
          [
            untyped({ autoApprovePins: null }),
            "FakePlex: autoApprovePins must be a boolean or an object, not null"
          ],
          // Scalar fields of the wrong kind: refused naming the field and what it must be, not accepted to answer
          // nonsense later. Absent is fine; present (null included) it must be of its kind.
          [untyped({ plexTvUrl: 5 }), "FakePlex: plexTvUrl must be a string, not number"],
          [untyped({ plexTvAliases: [5] }), "FakePlex: plexTvAliases[0] must be a string, not number"],
          [untyped({ shape: "2024-01" }), 'FakePlex: shape must be "2025-08" or "2026-02", not "2024-01"'],
          [
            untyped({ accounts: [{ id: "x" }] }),
            "FakePlex: accounts[0].id must be a positive whole number, not string"
          ],
          [
            untyped({ accounts: [{ id: 1.5 }] }),
            "FakePlex: accounts[0].id must be a positive whole number, got 1.5"
          ],
          [
            untyped({ accounts: [{}, { email: 5 }] }),
            "FakePlex: accounts[1].email must be a string, not number"
          ],
          [untyped({ accounts: [{ uuid: 7 }] }), "FakePlex: accounts[0].uuid must be a string, not number"],
          [
            untyped({ accounts: [{ title: null }] }),
            "FakePlex: accounts[0].title must be a string, not null"
          ],
          [
            untyped({ accounts: [{ friendlyName: [] }] }),
            "FakePlex: accounts[0].friendlyName must be a string, not an array"
          ],
          [
            untyped({ accounts: [{ plexPass: "yes" }] }),
            "FakePlex: accounts[0].plexPass must be a boolean, not string"
          ],
          [
            untyped({ accounts: [{ managed: 1 }] }),
            "FakePlex: accounts[0].managed must be a boolean, not number"
          ],
          [
            untyped({ accounts: [{ homePinListed: "no" }] }),
            "FakePlex: accounts[0].homePinListed must be a boolean, not string"
          ],
          [
            untyped({ accounts: [{ shape: 2025 }] }),
            'FakePlex: accounts[0].shape must be "2025-08" or "2026-02", not number'
          ],
          [
            untyped({ accounts: [{ payload: "x" }] }),
            "FakePlex: accounts[0].payload must be an object or a function, not string"
          ],
          [
            untyped({ accounts: [{ devices: [{ name: 1 }] }] }),
            "FakePlex: accounts[0].devices[0].name must be a string, not number"
          ],
          [
            untyped({ accounts: [{ devices: [{ clientIdentifier: {} }] }] }),
            "FakePlex: accounts[0].devices[0].clientIdentifier must be a string, not an object"
          ],
          [
            untyped({ homes: [{ members: [], name: 1 }] }),
            "FakePlex: homes[0].name must be a string, not number"
          ],
          [
            untyped({ servers: [{ clientIdentifier: 1 }] }),
            "FakePlex: servers[0].clientIdentifier must be a string, not number"
          ],
          [untyped({ servers: [{ name: 1 }] }), "FakePlex: servers[0].name must be a string, not number"],
          [
            untyped({ servers: [{ version: 1.41 }] }),
            "FakePlex: servers[0].version must be a string, not number"
          ],
          [
            untyped({ servers: [{ claimed: "no" }] }),
            "FakePlex: servers[0].claimed must be a boolean, not string"
          ],
          [
            untyped({ servers: [{ connections: [{ uri: 32400 }] }] }),
            "FakePlex: servers[0].connections[0].uri must be a string, not number"
          ],
          [
            untyped({ servers: [{ connections: [{ uri: "http://192.0.2.1:32400", local: "true" }] }] }),
            "FakePlex: servers[0].connections[0].local must be a boolean, not string"
          ],
          [
            untyped({ servers: [{ sources: [{ source: 5 }] }] }),
            "FakePlex: servers[0].sources[0].source must be a string, not number"
          ],
          [
            untyped({ servers: [{ sources: [{ source: "x://y", name: 5 }] }] }),
            "FakePlex: servers[0].sources[0].name must be a string, not number"
          ],
          [
            untyped({
              servers: [
                { sources: [{ source: "x://y", connections: [{ uri: "http://192.0.2.1:1", relay: 1 }] }] }
              ]
            }),
            "FakePlex: servers[0].sources[0].connections[0].relay must be a boolean, not number"
          ]
        ]
        /** The kit's own tagged FakePlexError (the one FakePlex exports), with the fake's message. */
        const assertRefused = (defect: unknown, message: string) => {
          assert.instanceOf(defect, FakePlex.FakePlexError, `${message}: ${String(defect)}`)
          assert.strictEqual((defect as FakePlex.FakePlexError)._tag, "FakePlexError", message)
          assert.strictEqual((defect as FakePlex.FakePlexError).message, message)
        }
        for (const [seed, message] of seeds) {
          assertRefused(yield* defectOf(FakePlex.make(seed)), message)
          assertRefused(yield* defectOf(Effect.scoped(Layer.build(FakePlex.layer(seed)))), message)
          assertRefused(yield* defectOf(Effect.scoped(FakePlexServer.make(seed))), message)
          // The Effect-free fake (no tagged errors): an Error named FakePlexError, the same message.
          const thrown = (() => {
            try {
              makeHandler(seed)
            } catch (error) {
              return error
            }
          })()
          assert.instanceOf(thrown, Error, message)
          assert.deepStrictEqual(
            [(thrown as Error).name, (thrown as Error).message],
            ["FakePlexError", message]
          )
          const rejected = yield* Effect.promise(() =>
            serve(seed).then(
              (server) => server.close().then(() => undefined),
              (error: unknown) => error
            )
          )
          assert.instanceOf(rejected, Error, message)
          assert.deepStrictEqual(
            [(rejected as Error).name, (rejected as Error).message],
            ["FakePlexError", message]
          )
        }
        // A secret of the wrong kind: the kits take a string or a Redacted and say so; the Effect-free fake a string.
        const secrets: ReadonlyArray<readonly [FakePlex.Options & HandlerOptions, string]> = [
          [untyped({ accounts: [{ token: 5 }] }), "accounts[0].token"],
          [untyped({ accounts: [{ password: null }] }), "accounts[0].password"],
          [untyped({ accounts: [{ twoFactorCode: 123456 }] }), "accounts[0].twoFactorCode"],
          [untyped({ accounts: [{ homePin: 1234 }] }), "accounts[0].homePin"],
          [untyped({ accounts: [{ devices: [{ token: 5 }] }] }), "accounts[0].devices[0].token"],
          [untyped({ servers: [{ accessToken: 5 }] }), "servers[0].accessToken"],
          [
            untyped({ servers: [{ sources: [{ source: "x://y", accessToken: 5 }] }] }),
            "servers[0].sources[0].accessToken"
          ]
        ]
        for (const [seed, path] of secrets) {
          const kind = path.endsWith("password") ? "null" : "number"
          const kits = `FakePlex: ${path} must be a string or a Redacted, not ${kind}`
          assertRefused(yield* defectOf(FakePlex.make(seed)), kits)
          assertRefused(yield* defectOf(Effect.scoped(Layer.build(FakePlex.layer(seed)))), kits)
          assertRefused(yield* defectOf(Effect.scoped(FakePlexServer.make(seed))), kits)
          const thrown = (() => {
            try {
              makeHandler(seed)
            } catch (error) {
              return error
            }
          })()
          assert.instanceOf(thrown, Error, path)
          assert.strictEqual((thrown as Error).message, `FakePlex: ${path} must be a string, not ${kind}`)
        }
        // The Effect-free fake's durations are numbers of milliseconds: a string is refused, not compared as one.
        const thrownDuration = (() => {
          try {
            makeHandler(untyped({ transientTokenLifetimeMillis: "5" }))
          } catch (error) {
            return error
          }
        })()
        assert.strictEqual(
          (thrownDuration as Error).message,
          "FakePlex: transientTokenLifetimeMillis must be a duration in milliseconds, not string"
        )
        // The body cap (makeHandler's and serve's maxRequestBodyBytes): a whole number of bytes, 0 or more. A
        // string or NaN made no cap at all, a negative one refused every body; serve refuses it before binding.
        for (const [cap, shown] of [
          ["1024", "string"],
          [-1, "-1"],
          [Number.NaN, "NaN"],
          [1.5, "1.5"],
          [Number.POSITIVE_INFINITY, "Infinity"]
        ] as const) {
          const message = `FakePlex: maxRequestBodyBytes must be a whole number of bytes, 0 or more (finite: the body cap stays on), got ${shown}`
          const thrownCap = (() => {
            try {
              makeHandler(untyped({ maxRequestBodyBytes: cap }))
            } catch (error) {
              return error
            }
          })()
          assert.instanceOf(thrownCap, Error, shown)
          assert.deepStrictEqual(
            [(thrownCap as Error).name, (thrownCap as Error).message],
            ["FakePlexError", message]
          )
          const rejectedCap = yield* Effect.promise(() =>
            serve(untyped({ maxRequestBodyBytes: cap })).then(
              (server) => server.close().then(() => undefined),
              (error: unknown) => error
            )
          )
          assert.instanceOf(rejectedCap, Error, shown)
          assert.deepStrictEqual(
            [(rejectedCap as Error).name, (rejectedCap as Error).message],
            ["FakePlexError", message]
          )
        }
        const capped = makeHandler({ maxRequestBodyBytes: 0 })
        const tooLarge = yield* Effect.promise(() =>
          capped.handler(new Request(`${capped.plexTvUrl}/api/v2/pins`, { method: "POST", body: "x" }))
        )
        assert.strictEqual(tooLarge.status, 413)
        // Secrets as Redacted and every optional field absent are fine.
        const fine = yield* FakePlex.make({
          accounts: [
            { token: Redacted.make("seededToken"), devices: [{ token: Redacted.make("deviceToken") }] }
          ],
          servers: [{ accessToken: Redacted.make("serverToken"), sources: [{ source: "x://y" }] }]
        })
        assert.strictEqual(Redacted.value(fine.token), "seededToken")
        // The kits' own pinLifetime (the Effect-free fake's is pinLifetimeMillis), from untyped JavaScript.
        const lifetime = "FakePlex: pinLifetime must be an object, not null"
        assertRefused(yield* defectOf(FakePlex.make(untyped({ pinLifetime: null }))), lifetime)
        assertRefused(
          yield* defectOf(Effect.scoped(FakePlexServer.make(untyped({ pinLifetime: null })))),
          lifetime
        )
      })
  )
})

describe("conformance: the kits' errors", () => {
  it("FakePlexError, ConnectionFailure and ServeError are Schema.TaggedError classes: decoded from and encoded to their fields", () => {
    const refused = Schema.decodeUnknownSync(FakePlex.FakePlexError)({
      _tag: "FakePlexError",
      message: "FakePlex: no PIN 1"
    })
    assert.instanceOf(refused, FakePlex.FakePlexError)
    assert.instanceOf(refused, Error)
    assert.strictEqual(String(refused), "FakePlexError: FakePlex: no PIN 1")
    assert.deepStrictEqual(Schema.encodeSync(FakePlex.FakePlexError)(refused), {
      _tag: "FakePlexError",
      message: "FakePlex: no PIN 1"
    })
    const reset = Schema.decodeUnknownSync(FakePlex.ConnectionFailure)({
      _tag: "ConnectionFailure",
      reason: "Reset",
      origin: "http://a.test"
    })
    assert.instanceOf(reset, FakePlex.ConnectionFailure)
    assert.strictEqual(String(reset), "ConnectionFailure: the connection to http://a.test was reset")
    assert.deepStrictEqual(Schema.encodeSync(FakePlex.ConnectionFailure)(reset), {
      _tag: "ConnectionFailure",
      reason: "Reset",
      origin: "http://a.test"
    })
    assert.isTrue(
      Schema.is(FakePlex.ConnectionFailure)(
        new FakePlex.ConnectionFailure({ reason: "Refused", origin: "x" })
      )
    )
    assert.isFalse(Schema.is(FakePlex.ConnectionFailure)(refused))
    const inUse = Schema.decodeUnknownSync(FakePlexServer.ServeError)({
      _tag: "ServeError",
      message: "127.0.0.1:1 is already in use",
      cause: "EADDRINUSE"
    })
    assert.instanceOf(inUse, FakePlexServer.ServeError)
    assert.strictEqual(String(inUse), "ServeError: 127.0.0.1:1 is already in use")
    assert.strictEqual(inUse.cause, "EADDRINUSE")
  })
})

describe("conformance: JWT device authentication against the fake", () => {
  it.effect(
    "upgrade: the key registered for the account, a Plex JWT accepted on plex.tv and the server",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const key = yield* Jwt.generateKey
        const jwt = yield* Jwt.upgrade(key)
        const [registered] = yield* fake.deviceKeys
        const alice = yield* fake.account()
        assert.deepStrictEqual(registered, {
          kid: key.thumbprint,
          thumbprint: key.thumbprint,
          accountId: alice.id
        })
        const account = yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(jwt.token))
        assert.strictEqual(account.username, "alice")
        const transient = yield* PlexAuth.getTransientToken().pipe(Credentials.withToken(jwt.token))
        assert.isTrue(Redacted.isRedacted(transient.token))
        const claims = yield* Jwt.verify(jwt.token, key)
        assert.strictEqual(claims.thumbprint, key.thumbprint)
        const records = yield* FakePlex.requests
        assert.deepStrictEqual(
          records.slice(0, 3).map((r) => [r.route, r.origin]),
          [
            ["registerJwk", fake.clientsUrl],
            ["getNonce", fake.clientsUrl],
            ["exchangeJwt", fake.clientsUrl]
          ]
        )
        assert.isTrue(Redacted.isRedacted((records[2]?.json as { jwt?: unknown } | undefined)?.jwt))
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("a Plex JWT expires after seven days of TestClock time: refused on plex.tv and the server", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const jwt = yield* Jwt.upgrade(key)
      yield* TestClock.adjust(Duration.sum(Duration.days(7), Duration.seconds(1)))
      const tv = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(Credentials.withToken(jwt.token)))
      const pms = yield* Effect.flip(PlexAuth.getTransientToken().pipe(Credentials.withToken(jwt.token)))
      assert.deepStrictEqual(
        [tv, pms].map((e) => [e._tag, "status" in e ? e.status : undefined]),
        [
          ["Unauthorized", 498],
          ["Unauthorized", 498]
        ]
      )
      assert.notInclude(JSON.stringify([tv, pms]), Redacted.value(jwt.token))
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "rotateJwtKey({ retainPrevious: false }) withdraws the old key: a token it signed no longer verifies",
    () =>
      Effect.gen(function* () {
        const key = yield* Jwt.generateKey
        const jwt = yield* Jwt.upgrade(key)
        const kept = yield* FakePlex.rotateJwtKey()
        assert.isString(kept)
        yield* Jwt.verify(jwt.token, key)
        const withdrawn = yield* FakePlex.rotateJwtKey({ retainPrevious: false })
        assert.notStrictEqual(withdrawn, kept)
        const error = yield* Effect.flip(Jwt.verify(jwt.token, key))
        assert.strictEqual(error._tag, "InvalidJwt")
        const keys = yield* Jwt.getKeys()
        assert.strictEqual(keys.length, 1)
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("Jwt.pinLogin: the PIN's token only with a device JWT; approved by autoApprovePins", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const jwt = yield* stepping(Jwt.pinLogin({ key, onPin: () => Effect.void }), "1 second", 60)
      const claims = yield* Jwt.verify(jwt.token, key)
      assert.strictEqual(claims.thumbprint, key.thumbprint)
      const [pin] = yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.pins)
      assert.isDefined(pin?.authToken)
      const checks = (yield* FakePlex.requests).filter((r) => r.route === "checkPin")
      assert.isTrue(checks.length > 0 && checks.every((r) => Redacted.isRedacted(r.query["deviceJWT"])))
      // Without a device JWT, plex.tv does not hand out the approved PIN's token.
      const bare = yield* PinLogin.check(pin!)
      assert.isUndefined(bare.authToken)
    }).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: { after: "2 seconds" } })))
  )

  it.effect(
    "Jwt.pinLogin and Credentials.layerPinLogin pass authAppUrl on: onPin's link is that page with app.plex.tv's #? fragment",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const urls: Array<string> = []
        const onPin = ({ url }: { readonly url: string }) => Effect.sync(() => void urls.push(url))
        const key = yield* Jwt.generateKey
        yield* stepping(Jwt.pinLogin({ key, onPin, authAppUrl: `${fake.authAppUrl}/` }), "1 second", 60)
        const credentials = Credentials.layerPinLogin({ onPin, authAppUrl: fake.authAppUrl })
        yield* stepping(PlexAuth.getTokenDetails().pipe(Effect.provide(credentials)), "1 second", 60)
        assert.strictEqual(urls.length, 2)
        // The link's start only: the rest carries the PIN code.
        const page = `${fake.authAppUrl}#?clientID=`
        assert.deepStrictEqual(
          urls.map((url) => url.slice(0, page.length)),
          [page, page]
        )
      }).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: true })))
  )

  it.effect(
    "Jwt.pinLogin: a check whose answer is lost once it used the nonce is asked again with a new device JWT",
    () =>
      Effect.gen(function* () {
        const key = yield* Jwt.generateKey
        // The check that hands out the token (using its device JWT's nonce) loses its answer: a body cut short.
        yield* FakePlex.fault("checkPin", Fault.truncate(), { times: 1 })
        const jwt = yield* stepping(Jwt.pinLogin({ key, onPin: () => Effect.void }), "1 second", 60)
        assert.strictEqual((yield* Jwt.verify(jwt.token, key)).thumbprint, key.thumbprint)
        const requests = yield* FakePlex.requests
        assert.deepStrictEqual(
          requests.filter((r) => r.route === "checkPin" || r.route === "getNonce").map((r) => r.route),
          ["getNonce", "checkPin", "getNonce", "checkPin"]
        )
      }).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: true })))
  )

  it.effect(
    "Jwt.pinLogin: a device JWT that could not be signed (no nonce: a 503) is not kept, the next check tries again",
    () =>
      Effect.gen(function* () {
        const key = yield* Jwt.generateKey
        yield* FakePlex.fault("getNonce", Fault.status(503), { times: 1 })
        const jwt = yield* stepping(Jwt.pinLogin({ key, onPin: () => Effect.void }), "5 seconds", 30)
        assert.strictEqual((yield* Jwt.verify(jwt.token, key)).thumbprint, key.thumbprint)
        const requests = yield* FakePlex.requests
        assert.deepStrictEqual(
          requests
            .filter((r) => r.route === "checkPin" || r.route === "getNonce")
            .map((r) => [r.route, r.status]),
          [
            ["getNonce", 503],
            ["getNonce", 200],
            ["checkPin", 200]
          ]
        )
      }).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: true })))
  )
})

describe("conformance: Retry-After from the fake's faults", () => {
  it.effect(
    "a 503 with Retry-After is retried no sooner than it asks, with the attempts' times recorded",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.status(503, { retryAfter: "7 seconds" }), { times: 1 })
        const fiber = yield* Effect.forkChild(
          PlexAuth.getTokenDetails().pipe(
            RetryPolicy.withPolicy(RetryPolicy.backoff({ initialInterval: "1 second" }))
          )
        )
        yield* until(Effect.map(FakePlex.requests, (all) => all.length === 1 && all[0]?.status === 503))
        yield* TestClock.adjust("6 seconds")
        assert.strictEqual((yield* FakePlex.requests).length, 1)
        yield* TestClock.adjust("1 second")
        const account = yield* Fiber.join(fiber)
        assert.strictEqual(account.username, "alice")
        assert.deepStrictEqual(
          (yield* FakePlex.requests).map((r) => [r.receivedAt, r.status]),
          [
            [0, 503],
            [7000, 200]
          ]
        )
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("a Retry-After past RetryPolicy.maxRetryAfter is not waited: RateLimited at once", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.rateLimited("2 minutes"), { times: 1 })
      const error = yield* Effect.flip(
        PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(RetryPolicy.transient))
      )
      assert.strictEqual(error._tag, "RateLimited")
      if (error._tag === "RateLimited") assert.strictEqual(error.retryAfterMillis, 120_000)
      assert.strictEqual((yield* FakePlex.requests).length, 1)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )
})

describe("conformance: unknown but harmless option fields are tolerated", () => {
  it.effect("in Home.switchUser, ServerAccess.makeChecker, PinLogin.login and the fake's seed", () =>
    Effect.gen(function* () {
      const extra = { somethingNew: true } as object
      const switched = yield* Home.switchUser("Kids", { pin: "1234", ...extra })
      assert.strictEqual(switched.user.title, "Kids")
      const fake = yield* FakePlex.FakePlex
      const checker = yield* ServerAccess.makeChecker(fake.serverId, { ttl: "1 minute", ...extra })
      assert.strictEqual((yield* checker.check(fake.token))._tag, "Owner")
      const token = yield* PinLogin.login({ onPin: () => Effect.void, ...extra })
      assert.isTrue(yield* fake.isTokenValid(token))
      const seeded = yield* FakePlex.make({
        ...extra,
        accounts: [{ username: "dora", ...extra }],
        servers: [{ name: "Den", connections: [{ uri: "http://192.0.2.50:32400", ...extra }], ...extra }],
        autoApprovePins: { after: "1 second", ...extra },
        pinLifetime: { short: "1 minute", ...extra }
      } as FakePlex.Options)
      assert.strictEqual((yield* seeded.server()).name, "Den")
      assert.strictEqual((yield* seeded.account()).username, "dora")
    }).pipe(
      Effect.provide(
        FakePlex.layerSignedIn({
          accounts: [{}, kids],
          homes: [{ members: ["kids"] }],
          autoApprovePins: true
        })
      )
    )
  )
})

describe("conformance: the fake's addresses as seeded", () => {
  it.effect(
    "plexTvUrl, clientsUrl, plexTvAliases and elsewhereUrl: layerSignedIn points the client at them",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        assert.strictEqual(fake.plexTvUrl, "https://tv.example.test")
        assert.strictEqual(fake.clientsUrl, "https://clients.example.test")
        assert.deepStrictEqual(fake.plexTvAliases, ["https://alias.example.test"])
        assert.strictEqual(fake.elsewhereUrl, "https://other.example.test")
        for (const url of [fake.plexTvUrl, fake.clientsUrl, fake.elsewhereUrl, ...fake.plexTvAliases]) {
          assert.include(fake.urls, url)
        }
        yield* PlexAuth.getTokenDetails()
        yield* Jwt.upgrade(yield* Jwt.generateKey)
        const viaAlias = yield* PlexAuth.getTokenDetails().pipe(PlexTv.withUrl("https://alias.example.test"))
        assert.strictEqual(viaAlias.username, "alice")
        yield* FakePlex.fault("getTokenDetails", Fault.redirect(), { times: 1 })
        yield* Effect.exit(PlexAuth.getTokenDetails())
        assert.deepStrictEqual(
          (yield* FakePlex.requests).map((r) => [r.route ?? r.host, r.origin]),
          [
            ["getTokenDetails", "https://tv.example.test"],
            ["registerJwk", "https://clients.example.test"],
            ["getNonce", "https://clients.example.test"],
            ["exchangeJwt", "https://clients.example.test"],
            ["getTokenDetails", "https://alias.example.test"],
            ["getTokenDetails", "https://tv.example.test"],
            ["elsewhere", "https://other.example.test"]
          ]
        )
      }).pipe(
        Effect.provide(
          FakePlex.layerSignedIn({
            plexTvUrl: "https://tv.example.test",
            clientsUrl: "https://clients.example.test",
            plexTvAliases: ["https://alias.example.test"],
            elsewhereUrl: "https://other.example.test"
          })
        )
      )
  )

  it.effect("servers: [] has no server: layerSignedIn's PlexServer answers nowhere (NetworkError)", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      assert.strictEqual(fake.serverUrl, "")
      assert.deepStrictEqual(fake.servers, [])
      assert.deepStrictEqual(yield* Resources.servers(), [])
      const error = yield* Effect.flip(PlexAuth.getTransientToken())
      assert.strictEqual(error._tag, "NetworkError")
      if (error._tag === "NetworkError") assert.strictEqual(error.reason, "Transport")
    }).pipe(Effect.provide(FakePlex.layerSignedIn({ servers: [] })))
  )
})

describe("conformance: the fake's stand-in for app.plex.tv's approval page", () => {
  it.effect(
    "authAppUrl is <plexTvUrl>/auth; a POST approves the PIN for the chosen account and follows forwardUrl",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        assert.strictEqual(fake.authAppUrl, `${fake.plexTvUrl}/auth`)
        assert.strictEqual(FakePlex.defaults.authAppUrl, `${FakePlex.defaults.plexTvUrl}/auth`)
        const page = yield* fake.handle(new Request(fake.authAppUrl))
        assert.strictEqual(page.status, 200)
        assert.include(page.headers.get("content-type") ?? "", "text/html")
        const pin = yield* PinLogin.create()
        const url = new URL(yield* PinLogin.authUrl(pin))
        const fragment = new URLSearchParams(url.hash.replace(/^#\??/, ""))
        const approved = yield* fake.handle(
          new Request(fake.authAppUrl, {
            method: "POST",
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({
              clientID: fragment.get("clientID") ?? "",
              code: fragment.get("code") ?? "",
              forwardUrl: "https://my.app/back",
              account: "bob"
            })
          })
        )
        assert.strictEqual(approved.status, 303)
        assert.strictEqual(approved.headers.get("location"), "https://my.app/back")
        const checked = yield* PinLogin.check(pin)
        assert.isDefined(checked.authToken)
        const account = yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(checked.authToken!))
        assert.strictEqual(account.username, "bob")
        assert.deepStrictEqual(
          (yield* FakePlex.requests)
            .filter((r) => r.route === "approvalPage")
            .map((r) => [r.method, r.status]),
          [
            ["GET", 200],
            ["POST", 303]
          ]
        )
      }).pipe(Effect.provide(FakePlex.layerSignedIn({ accounts: [{}, { username: "bob" }] })))
  )
})

describe("conformance: raw requests to the fake's plex.tv", () => {
  it.effect(
    "the identifier and token as query parameters; the token recorded Redacted; 400 (1000) without an identifier; XML unless JSON is asked for",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const token = Redacted.value(fake.token)
        const viaQuery = yield* fake.handle(
          new Request(`${fake.plexTvUrl}/api/v2/user?X-Plex-Client-Identifier=raw&X-Plex-Token=${token}`, {
            headers: { Accept: "application/json" }
          })
        )
        assert.strictEqual(viaQuery.status, 200)
        assert.include(viaQuery.headers.get("content-type") ?? "", "json")
        const noId = yield* fake.handle(
          new Request(`${fake.plexTvUrl}/api/v2/user`, {
            headers: { Accept: "application/json", "X-Plex-Token": token }
          })
        )
        assert.strictEqual(noId.status, 400)
        const body = (yield* Effect.promise(() => noId.json())) as { errors: ReadonlyArray<{ code: number }> }
        assert.strictEqual(body.errors[0]?.code, 1000)
        const xml = yield* fake.handle(
          new Request(`${fake.plexTvUrl}/api/v2/user`, {
            headers: { "X-Plex-Client-Identifier": "raw", "X-Plex-Token": token }
          })
        )
        assert.strictEqual(xml.status, 200)
        assert.include(xml.headers.get("content-type") ?? "", "xml")
        const [first] = yield* fake.requests
        assert.isTrue(Redacted.isRedacted(first?.query["X-Plex-Token"]))
        assert.strictEqual(first?.query["X-Plex-Client-Identifier"], "raw")
        assert.notInclude(JSON.stringify(yield* fake.requests), token)
      }).pipe(Effect.provide(FakePlex.layer()))
  )
})

describe("conformance: a managed Home user's own account", () => {
  it.effect(
    "has no email, no password and is restricted (GET /api/v2/user, the switch's answer), as the Home listing shows it",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const listed = (yield* Home.users()).find((u) => u.title === "Kids")
        assert.isUndefined(listed?.email)
        assert.isTrue(listed?.restricted)
        assert.isFalse(listed?.hasPassword)
        const switched = yield* Home.switchUser("Kids", { pin: "1234" })
        assert.isUndefined(switched.account.email)
        assert.isTrue(switched.account.restricted)
        const account = yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        assert.isUndefined(account.email)
        assert.isTrue(account.restricted)
        assert.isFalse(account.hasPassword)
        // The admin, a full account, keeps its email and password.
        const admin = yield* PlexAuth.getTokenDetails()
        assert.strictEqual(admin.email, (yield* fake.account("alice")).email)
        assert.isFalse(admin.restricted)
        assert.isTrue(admin.hasPassword)
      }).pipe(Effect.provide(home))
  )

  it.effect(
    "its Plex JWT's user claim agrees: no email, restricted (scopes email and restricted), as the admin's keeps hers",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const scope = "username,email,restricted"
        /** The `user` claim of a Plex JWT (the payload, base64url JSON, read as any client reads it). */
        const userClaim = (jwt: Jwt.PlexJwt): Record<string, unknown> =>
          JSON.parse(Buffer.from(Redacted.value(jwt.token).split(".")[1]!, "base64url").toString("utf8")).user
        const switched = yield* Home.switchUser("Kids", { pin: "1234" })
        const kids = userClaim(
          yield* Effect.flatMap(Jwt.generateKey, (key) => Jwt.upgrade(key, { scope })).pipe(
            Effect.provide(switched.layer)
          )
        )
        assert.strictEqual(kids["username"], switched.account.username)
        assert.isNull(kids["email"])
        assert.isTrue(kids["restricted"])
        const admin = userClaim(yield* Effect.flatMap(Jwt.generateKey, (key) => Jwt.upgrade(key, { scope })))
        assert.strictEqual(admin["email"], (yield* fake.account("alice")).email)
        assert.isFalse(admin["restricted"])
      }).pipe(Effect.provide(home))
  )
})

describe("conformance: Home.switchUser given a HomeUser", () => {
  it.effect(
    "a listed user switches without listing again; one plex.tv does not know is HomeUserNotFound",
    () =>
      Effect.gen(function* () {
        const [, kidsUser] = yield* Home.users()
        yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.clearRequests)
        const switched = yield* Home.switchUser(kidsUser!, { pin: "1234" })
        assert.strictEqual(switched.account.username, "kids")
        assert.deepStrictEqual(
          (yield* FakePlex.requests).map((r) => r.route),
          ["switchHomeUser"]
        )
        const stranger = yield* Effect.flip(
          Home.switchUser({ ...kidsUser!, uuid: "0123456789abcdef", protected: false })
        )
        assert.strictEqual(stranger._tag, "HomeUserNotFound")
        const malformed = yield* Effect.flip(Home.switchUser({ ...kidsUser!, uuid: 42 } as never))
        assert.strictEqual(malformed._tag, "InvalidInput")
      }).pipe(Effect.provide(home))
  )
})

const fresh = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
const unclaimed = FakePlex.layerSignedIn({
  accounts: [{}, { username: "bob" }],
  servers: [
    { sharedWith: ["bob"] },
    {
      clientIdentifier: fresh,
      claimed: false,
      connections: [{ uri: "http://192.0.2.77:32400", local: true }]
    }
  ],
  claimTokenLifetime: "1 minute"
})

describe("conformance: claiming a server, and a shared user's tokens on a server", () => {
  it.effect("claimServer claims an unclaimed server for the account; again: ServerAlreadyClaimed", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const server = yield* fake.server(fresh)
      const identity = yield* Claim.claimServer(server.url)
      assert.strictEqual(identity.machineIdentifier, fresh)
      const claim = (yield* FakePlex.requests).find((r) => r.route === "claimServer")
      assert.isUndefined(claim?.headers["x-plex-token"])
      assert.isTrue(Redacted.isRedacted(claim?.query["token"]))
      const again = yield* Effect.flip(Claim.claimServer(server.url))
      assert.strictEqual(again._tag, "ServerAlreadyClaimed")
      // The account's own now (plex.tv lists it, owned): the error says whose.
      assert.strictEqual(again._tag === "ServerAlreadyClaimed" ? again.claimedBy : undefined, "ThisAccount")
      // Another account's only when listed, not owned: bob's list has the seeded server (shared with him), not this
      // one. Not listed is not known whose (a server claimed moments ago may not be listed yet), as is a list that
      // cannot be read.
      const bob = yield* fake.mintToken("bob")
      const seeded = yield* fake.server(fake.serverId)
      const whose = (serverUrl: string) =>
        Effect.map(Effect.flip(Claim.claimServer(serverUrl)), (error) =>
          error._tag === "ServerAlreadyClaimed" ? error.claimedBy : error._tag
        )
      const shared = yield* whose(seeded.url).pipe(Credentials.withToken(bob))
      const notListed = yield* whose(server.url).pipe(Credentials.withToken(bob))
      yield* FakePlex.fault("getServerResources", Fault.status(500))
      const notRead = yield* whose(server.url)
      yield* FakePlex.clearFaults
      assert.deepStrictEqual([shared, notListed, notRead], ["AnotherAccount", "Unknown", "Unknown"])
      const listed = yield* Resources.servers()
      assert.include(
        listed.map((s) => s.clientIdentifier),
        fresh
      )
    }).pipe(Effect.provide(unclaimed))
  )

  it.effect(
    "claimServer: Plex Web's address, copied from a browser, is refused before any request, saying the server's",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const server = yield* fake.server(fresh)
        yield* FakePlex.clearRequests
        for (const [given, address] of [
          [`${server.url}/web/index.html`, server.url],
          [`${server.url}/web/index.html#!/`, server.url],
          [`${server.url}/web`, server.url],
          ["https://proxy.example/plex/web/", "https://proxy.example/plex"]
        ] as const) {
          const refused = yield* Effect.flip(Claim.claimServer(given))
          assert.strictEqual(refused._tag, "InvalidInput", given)
          if (refused._tag !== "InvalidInput") return
          assert.deepStrictEqual(
            [refused.operation, refused.field, refused.reason],
            ["Claim.claimServer", "serverUrl", `is Plex Web's address, not the server's: give ${address}`]
          )
        }
        assert.deepStrictEqual(yield* FakePlex.requests, [])
        // The address it said: claimed.
        assert.strictEqual((yield* Claim.claimServer(server.url)).machineIdentifier, fresh)
      }).pipe(Effect.provide(unclaimed))
  )

  it.effect("a claim token past claimTokenLifetime, or one never issued, is ClaimRejected", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const server = yield* fake.server(fresh)
      const claimToken = yield* Claim.token()
      yield* TestClock.adjust("61 seconds")
      const expired = yield* Effect.flip(Claim.claimServer(server.url, { claimToken }))
      assert.strictEqual(expired._tag, "ClaimRejected")
      const bogus = yield* Effect.flip(Claim.claimServer(server.url, { claimToken: "claim-bogus" }))
      assert.strictEqual(bogus._tag, "ClaimRejected")
      // The message says what to do (docs/claim.md), never the token.
      assert.strictEqual(
        bogus.message,
        `Claim.claimServer: the server at ${server.url} refused the claim (HTTP 400); claim it again with a fresh claim token, from the server's own network`
      )
      assert.notInclude(JSON.stringify([expired, bogus]), Redacted.value(claimToken))
      assert.notInclude(JSON.stringify(bogus), "claim-bogus")
    }).pipe(Effect.provide(unclaimed))
  )

  it.effect(
    "a managed Home user gets no claim token (403, not 401: its token is good): Unauthorized, nothing sent to the server",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const server = yield* fake.server(fresh)
        const kids = yield* fake.mintToken("kids")
        yield* FakePlex.clearRequests
        const token = yield* Effect.flip(Claim.token().pipe(Credentials.withToken(kids)))
        const claim = yield* Effect.flip(Claim.claimServer(server.url).pipe(Credentials.withToken(kids)))
        for (const refused of [token, claim]) {
          assert.strictEqual(refused._tag, "Unauthorized")
          if (refused._tag !== "Unauthorized") return
          assert.deepStrictEqual(
            [refused.status, refused.errors.map((e) => e.message)],
            [403, ["A managed user cannot own a server"]]
          )
        }
        // Asked of plex.tv twice, refused; the server was only read (its /identity), never sent a claim.
        assert.deepStrictEqual(
          (yield* FakePlex.requests).map((r) => [r.route, r.status]),
          [
            ["getClaimToken", 403],
            ["getServerIdentity", 200],
            ["getClaimToken", 403]
          ]
        )
        // Still unclaimed: the Home's admin claims it.
        assert.strictEqual((yield* Claim.claimServer(server.url)).machineIdentifier, fresh)
      }).pipe(
        Effect.provide(
          FakePlex.layerSignedIn({
            accounts: [{}, { username: "kids", title: "Kids", managed: true }],
            servers: [{}, { clientIdentifier: fresh, claimed: false }],
            homes: [{ members: ["kids"] }]
          })
        )
      )
  )

  it.effect(
    "a shared user's token gets a transient token (not admin) but /security/resources refuses it (403)",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const bob = yield* fake.mintToken("bob")
        const transient = yield* PlexAuth.getTransientToken().pipe(Credentials.withToken(bob))
        const [issued] = yield* fake.transientTokens
        assert.isFalse(issued?.admin)
        const source = `server://${fake.serverId}`
        for (const token of [bob, transient.token]) {
          const refused = yield* Effect.flip(
            PlexAuth.getSourceConnectionInformation({ source }).pipe(Credentials.withToken(token))
          )
          assert.strictEqual("status" in refused ? refused.status : undefined, 403)
        }
        const admin = yield* PlexAuth.getSourceConnectionInformation({ source })
        assert.strictEqual(admin.clientIdentifier, fake.serverId)
      }).pipe(Effect.provide(unclaimed))
  )
})

describe("conformance: seeded devices", () => {
  it.effect(
    "Devices.list shows the seeded devices, tokens Redacted; revoke ends a device's token; NotFound, InvalidInput",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const devices = yield* Devices.list()
        const tv = devices.find((d) => d.name === "Living Room TV")
        assert.isDefined(tv)
        assert.strictEqual(tv?.product, "Plex for LG")
        assert.isTrue(yield* fake.isTokenValid("device-token-0001"))
        yield* Devices.revoke(tv!.id)
        assert.isFalse(yield* fake.isTokenValid("device-token-0001"))
        assert.notInclude(JSON.stringify(devices), "device-token-0001")
        const missing = yield* Effect.flip(Devices.revoke(tv!.id))
        assert.strictEqual(missing._tag, "NotFound")
        const invalid = yield* Effect.flip(Devices.revoke(-1))
        assert.strictEqual(invalid._tag, "InvalidInput")
      }).pipe(
        Effect.provide(
          FakePlex.layerSignedIn({
            accounts: [
              {
                devices: [
                  {
                    name: "Living Room TV",
                    product: "Plex for LG",
                    token: Redacted.make("device-token-0001")
                  }
                ]
              }
            ]
          })
        )
      )
  )
})

describe("conformance: Devices.revoke under a retry policy", () => {
  // python-plexapi (MyPlexDevice.delete) and @ctrl/plex (MyPlexDevice.delete, ofetch retry: 0) never retry the
  // DELETE, so a 404 is always NotFound there; with a policy, a retry may find the device the lost answer revoked.
  const seeded = FakePlex.layerSignedIn({
    accounts: [
      {
        devices: [
          { name: "Old Phone", token: Redacted.make("device-token-0001") },
          { name: "Old Tablet", token: Redacted.make("device-token-0002") }
        ]
      }
    ]
  })
  /** plex.tv revokes the device, but its answer is lost: `instead` comes (a proxy's 503, a connection that hangs). */
  const actedThen = (instead: Effect.Effect<Response>) =>
    Effect.map(FakePlex.FakePlex, (fake) =>
      Fault.respond((request) => Effect.andThen(Effect.orDie(fake.handle(request)), instead))
    )
  // A proxy whose upstream's answer was lost (a 503 would say the request was not handled: core/policy.ts).
  const proxy502 = Effect.sync(
    () => new Response("Bad Gateway", { status: 502, headers: { "content-type": "text/plain" } })
  )
  /** The deleteDevice records: the fake's own answer to a DELETE a fault passed on is recorded too. */
  const deletes = Effect.map(FakePlex.requests, (all) =>
    all.filter((r) => r.route === "deleteDevice").map((r) => r.status ?? r.outcome)
  )
  const revoking = (id: number) =>
    Effect.forkChild(Devices.revoke(id).pipe(RetryPolicy.withPolicy(RetryPolicy.transient)))

  it.effect(
    "a retry that finds the device gone after an attempt whose outcome is unknown (a 502, a timeout) succeeds; a 404 on the first attempt, or after a failure proving nothing was done (a refused connection, a 503), stays NotFound",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const [phone, tablet] = yield* Devices.list()
        assert.isDefined(tablet)

        // A 502 after plex.tv revoked the phone: the retry's 404 says it is gone.
        yield* FakePlex.fault("deleteDevice", yield* actedThen(proxy502), { times: 1 })
        const first = yield* revoking(phone!.id)
        // Once the 503 is read and the retry's pause runs.
        yield* whenWaiting(first, "1 second")
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(first)
        assert.isFalse(yield* fake.isTokenValid("device-token-0001"))
        assert.deepStrictEqual(yield* deletes, [502, 204, 404])

        // The tablet revoked, then the answer never comes: the attempt times out, the retry finds it gone.
        yield* FakePlex.fault("deleteDevice", yield* actedThen(Effect.never), { times: 1 })
        const second = yield* revoking(tablet!.id)
        // Once plex.tv has revoked it (the fake's own answer recorded) and the DELETE's 30-second timeout runs.
        while ((yield* deletes).filter((status) => status === 204).length < 2) yield* turn
        yield* whenWaiting(second, "30 seconds")
        yield* TestClock.adjust("30 seconds")
        yield* whenWaiting(second, "1 second")
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(second)
        assert.isFalse(yield* fake.isTokenValid("device-token-0002"))
        assert.deepStrictEqual((yield* deletes).slice(3), ["Interrupted", 204, 404])

        // A 404 on the first attempt: NotFound, not retried.
        const missing = yield* Effect.flip(
          Devices.revoke(phone!.id).pipe(RetryPolicy.withPolicy(RetryPolicy.transient))
        )
        assert.strictEqual(missing._tag, "NotFound")
        assert.deepStrictEqual((yield* deletes).slice(6), [404])

        // A connection refused (the request never reached plex.tv), then a 404: NotFound.
        yield* FakePlex.fault("deleteDevice", Fault.refuse, { times: 1 })
        const refused = yield* revoking(phone!.id)
        yield* whenWaiting(refused, "1 second")
        yield* TestClock.adjust("1 second")
        const afterRefused = yield* Effect.flip(Fiber.join(refused))
        assert.strictEqual(afterRefused._tag, "NotFound")
        assert.deepStrictEqual((yield* deletes).slice(7), ["Refused", 404])

        // A 503 (plex.tv did not handle the DELETE, as RetryPolicy resends a sign-in after one), then a 404: NotFound.
        yield* FakePlex.fault("deleteDevice", Fault.status(503), { times: 1 })
        const unavailable = yield* revoking(phone!.id)
        yield* whenWaiting(unavailable, "1 second")
        yield* TestClock.adjust("1 second")
        const afterUnavailable = yield* Effect.flip(Fiber.join(unavailable))
        assert.strictEqual(afterUnavailable._tag, "NotFound")
        assert.deepStrictEqual((yield* deletes).slice(9), [503, 404])
      }).pipe(Effect.provide(Layer.merge(seeded, layerPendingSleeps)))
  )

  it.effect(
    "its span says plex.gone_on_retry when a retry found the device gone, and only then (docs/tracing.md)",
    () =>
      Effect.gen(function* () {
        const [phone] = yield* Devices.list()
        yield* FakePlex.fault("deleteDevice", yield* actedThen(proxy502), { times: 1 })
        const fiber = yield* Effect.forkChild(
          withRecordedSpans(Devices.revoke(phone!.id).pipe(RetryPolicy.withPolicy(RetryPolicy.transient)))
        )
        yield* whenWaiting(fiber, "1 second")
        yield* TestClock.adjust("1 second")
        const gone = yield* Fiber.join(fiber)
        assert.isTrue(Exit.isSuccess(gone.exit))
        const flagged = gone.spans.filter((span) => span.attributes.get("plex.gone_on_retry") === true)
        assert.deepStrictEqual(
          flagged.map((span) => span.name),
          ["Devices.revoke"]
        )
        // A 404 on the first attempt: NotFound, and no such attribute.
        const missing = yield* withRecordedSpans(
          Devices.revoke(phone!.id).pipe(RetryPolicy.withPolicy(RetryPolicy.transient))
        )
        assert.isTrue(Exit.isFailure(missing.exit))
        assert.isTrue(missing.spans.some((span) => span.name === "Devices.revoke"))
        assert.isFalse(missing.spans.some((span) => span.attributes.has("plex.gone_on_retry")))
      }).pipe(Effect.provide(Layer.merge(seeded, layerPendingSleeps)))
  )
})

describe("conformance: the fake answers the JWT flow on its plex.tv origin", () => {
  // docs/tokens.md: to try JWT device authentication against `plex-auth fake-server`, which prints only
  // PLEX_TV_URL, give Jwt.layerHost that URL.
  it.effect(
    "Jwt.registerKey and Jwt.exchange with Jwt.withHost(plexTvUrl): a Plex JWT, no call to clients.plex.tv",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const key = yield* Jwt.generateKey
        const token = yield* Effect.andThen(Jwt.registerKey(key), Jwt.exchange(key)).pipe(
          Jwt.withHost(fake.plexTvUrl)
        )
        const account = yield* PlexAuth.account().pipe(Credentials.withToken(token.token))
        assert.strictEqual(account.username, FakePlex.defaults.username)
        const origins = new Set((yield* FakePlex.requests).map((request) => request.origin))
        assert.deepStrictEqual([...origins], [fake.plexTvUrl])
      }).pipe(Effect.provide(signedIn))
  )
})
