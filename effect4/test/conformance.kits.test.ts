/**
 * Conformance of the test kits: `effect-plex-auth/testing` (FakePlex, Fault) and `effect-plex-auth/node`
 * (FakePlexServer), written as a user would from docs/testing.md and the JSDoc. The same file runs on both
 * editions: effect4/test/conformance.kits.test.ts is this file with only the renames test/api-parity.test.ts
 * lists (`conformanceRenames`), and that test fails if the two files differ otherwise.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { PlexAuth } from "effect4-plex-auth"
import { FakePlex, Fault } from "effect4-plex-auth/testing"

const signedIn = FakePlex.layerSignedIn()

/** The defect an Effect died with (the test fails when it did not die). */
const defectOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    assert.isTrue(Exit.isFailure(exit), "expected a failure")
    if (!Exit.isFailure(exit)) return undefined
    return Cause.squash(exit.cause)
  })

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
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "Unexpected")
      const [record] = yield* FakePlex.requests
      assert.strictEqual(record?.status, 500)
    }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "Fault.hang ends in NetworkError (Timeout) at the request timeout; the record says Interrupted",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.hang, { times: 1 })
        const fiber = yield* Effect.forkChild(
          Effect.flip(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("3 seconds")))
        )
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
      const refused = [
        FakePlex.fault("getTokenDetail" as never, Fault.hang),
        FakePlex.fault("api/v2/user", Fault.hang),
        FakePlex.fault({ origin: "not a url" }, Fault.hang),
        FakePlex.fault("getTokenDetails", Fault.hang, { times: -1 }),
        FakePlex.fault("getTokenDetails", Fault.hang, { times: 1.5 })
      ]
      for (const attempt of refused) {
        const defect = yield* defectOf(attempt)
        assert.instanceOf(defect, FakePlex.FakePlexError, String(defect))
        assert.strictEqual((defect as { _tag?: string })._tag, "FakePlexError")
      }
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(PlexAuth.getTokenDetails())))
    }).pipe(Effect.provide(signedIn))
  )
})
