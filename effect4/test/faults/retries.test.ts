/**
 * Retry policies under faults, for every operation, on the in-memory fake
 * with the `TestClock` (no real waits): what may be retried is, what must
 * not be is not (whatever the policy says), `Retry-After` sets the next
 * wait, and `maxElapsedTime` ends the retries. Attempts are counted by what
 * the fake received, and their spacing by when (`receivedAt`, `Clock` time).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import { TestClock } from "effect/testing"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as RetryPolicy from "effect4-plex-auth/RetryPolicy"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import type { Operation } from "./support.js"
import { cutOff, failureOf, inMemory, operations, targetOf } from "./support.js"

/** The fake's requests for the operation: [receivedAt, status]. */
const attempts = (op: Operation) =>
  Effect.map(FakePlex.requests, (requests) =>
    requests.filter((r) => r.route === op.name).map((r) => [r.receivedAt, r.status ?? r.outcome] as const)
  )

/** Starts the operation under `policy` (and a 1 s per-attempt timeout) in a fiber. */
const start = (op: Operation, policy: RetryPolicy.RetryPolicy) =>
  Effect.flatMap(FakePlex.FakePlex, (fake) =>
    op
      .run(targetOf(fake))
      .pipe(
        RetryPolicy.withPolicy(policy),
        PlexAuth.withRequestTimeout("1 second"),
        Effect.exit,
        Effect.forkChild
      )
  )

/** A policy that would retry anything once, a second later: only the engine's own rules can stop it. */
const retryAnythingOnce = RetryPolicy.make(Schedule.max([Schedule.spaced("1 second"), Schedule.recurs(1)]), {
  while: () => true
})

interface RetryCase {
  readonly name: string
  readonly fault: Fault.Fault
  /** Whether a failed attempt is sent again, per operation. */
  readonly retried: (op: Operation) => boolean
}

const always = () => true
const never = () => false
const onlyIdempotent = (op: Operation) => op.idempotent

const retryCases: ReadonlyArray<RetryCase> = [
  { name: "429", fault: Fault.status(429), retried: always },
  // 503 says the server did not act: even the sign-in may be sent again.
  { name: "503", fault: Fault.status(503), retried: always },
  { name: "500", fault: Fault.status(500), retried: onlyIdempotent },
  { name: "502", fault: Fault.status(502), retried: onlyIdempotent },
  { name: "504", fault: Fault.status(504), retried: onlyIdempotent },
  // A timeout is ambiguous: the server may have acted.
  { name: "a timeout (hang)", fault: Fault.hang, retried: onlyIdempotent },
  // A reset may come after the server acted: retried only where sending twice is harmless.
  { name: "a connection reset", fault: Fault.reset, retried: onlyIdempotent },
  // A refused connection proves nothing was sent: retried for every operation, sign-in included.
  { name: "a refused connection", fault: Fault.refuse, retried: always },
  // A body that breaks after a 2xx: the server acted.
  { name: "a truncated body", fault: Fault.truncate(), retried: onlyIdempotent },
  // An answer whose body breaks off after its status is what its status says (the body would not change that): a
  // 429 and a 503 are retried, even a sign-in's; a 401 (a token refused; a sign-in's is no answer it can use) and a
  // 404 are not.
  { name: "a 429 whose body is cut off", fault: cutOff(429), retried: always },
  { name: "a 503 whose body is cut off", fault: cutOff(503), retried: always },
  { name: "a 401 whose body is cut off", fault: cutOff(401), retried: never },
  { name: "a 404 whose body is cut off", fault: cutOff(404), retried: never },
  { name: "501", fault: Fault.status(501), retried: never },
  { name: "505", fault: Fault.status(505), retried: never },
  { name: "400", fault: Fault.status(400), retried: never },
  { name: "401", fault: Fault.status(401), retried: never },
  { name: "403", fault: Fault.status(403), retried: never },
  { name: "404", fault: Fault.status(404), retried: never },
  { name: "malformed JSON", fault: Fault.malformedJson, retried: never },
  { name: "an HTML page", fault: Fault.html(), retried: never },
  { name: "a wrong content type", fault: Fault.contentType(), retried: never }
]

for (const op of operations) {
  describe(`${op.name}: retries under faults`, () => {
    for (const c of retryCases) {
      const retried = c.retried(op)
      it.effect(`${c.name}: ${retried ? "retried once, then succeeds" : "never retried"}`, () =>
        Effect.gen(function* () {
          const fake = yield* FakePlex.FakePlex
          // Once only: a retry, if sent, would succeed.
          yield* fake.fault(op.name, c.fault, { times: 1 })
          const fiber = yield* start(op, retryAnythingOnce)
          yield* TestClock.adjust("10 seconds")
          const exit = yield* Fiber.join(fiber)
          const seen = yield* attempts(op)
          if (retried) {
            assert.isTrue(Exit.isSuccess(exit), `expected a success after one retry, got ${String(exit)}`)
            if (Exit.isSuccess(exit)) op.checkSuccess(exit.value, targetOf(fake))
            assert.strictEqual(seen.length, 2)
            assert.strictEqual(seen[1]?.[1], op.successStatus)
          } else {
            failureOf(exit, `${op.name} under ${c.name}`)
            assert.deepStrictEqual(seen.length, 1, `sent ${seen.length} times`)
          }
        }).pipe(Effect.provide(inMemory()))
      )
    }

    it.effect("a 503 then a success: one retry, after initialInterval", () =>
      Effect.gen(function* () {
        yield* FakePlex.fault(op.name, Fault.status(503), { times: 1 })
        const fiber = yield* start(op, RetryPolicy.backoff({ initialInterval: "300 millis" }))
        yield* TestClock.adjust("299 millis")
        assert.strictEqual((yield* attempts(op)).length, 1)
        yield* TestClock.adjust("1 milli")
        const exit = yield* Fiber.join(fiber)
        assert.isTrue(Exit.isSuccess(exit))
        assert.deepStrictEqual(yield* attempts(op), [
          [0, 503],
          [300, op.successStatus]
        ])
      }).pipe(Effect.provide(inMemory()))
    )

    const retryAfterCases: ReadonlyArray<readonly [string, Fault.Fault, number]> = [
      ["429 with Retry-After: 5 (seconds)", Fault.status(429, { retryAfter: "5 seconds" }), 5000],
      ["429 with Retry-After: 5 (seconds), its body cut off", cutOff(429, { "retry-after": "5" }), 5000],
      ["503 with Retry-After: 5 (seconds)", Fault.status(503, { retryAfter: "5 seconds" }), 5000],
      [
        "503 with Retry-After as an HTTP date",
        // The TestClock starts at 0: the date is 4 seconds later.
        Fault.status(503, { headers: { "retry-after": new Date(4000).toUTCString() } }),
        4000
      ]
    ]
    for (const [name, fault, millis] of retryAfterCases) {
      it.effect(`${name}: the retry waits that long, not the 100 ms backoff`, () =>
        Effect.gen(function* () {
          yield* FakePlex.fault(op.name, fault, { times: 1 })
          const fiber = yield* start(op, RetryPolicy.backoff({ initialInterval: "100 millis" }))
          yield* TestClock.adjust(millis - 1)
          assert.strictEqual((yield* attempts(op)).length, 1, "retried before Retry-After")
          yield* TestClock.adjust(1)
          assert.isTrue(Exit.isSuccess(yield* Fiber.join(fiber)))
          const seen = yield* attempts(op)
          assert.deepStrictEqual(
            seen.map(([at]) => at),
            [0, millis]
          )
        }).pipe(Effect.provide(inMemory()))
      )
    }

    it.effect("a lasting 503: backoff spacing 1 s, 2 s, 4 s, then gives up at maxElapsedTime (10 s)", () =>
      Effect.gen(function* () {
        yield* FakePlex.fault(op.name, Fault.status(503))
        const fiber = yield* start(
          op,
          RetryPolicy.backoff({ initialInterval: "1 second", exponent: 2, maxElapsedTime: "10 seconds" })
        )
        yield* TestClock.adjust("1 minute")
        const error = failureOf(yield* Fiber.join(fiber), op.name)
        assert.isTrue(error._tag === "Unexpected" && error.status === 503)
        // The next wait (8 s) would start an attempt at 15 s, past 10 s since the first failure.
        assert.deepStrictEqual(yield* attempts(op), [
          [0, 503],
          [1000, 503],
          [3000, 503],
          [7000, 503]
        ])
      }).pipe(Effect.provide(inMemory()))
    )

    it.effect("a Retry-After beyond maxElapsedTime ends the retries at once", () =>
      Effect.gen(function* () {
        yield* FakePlex.fault(op.name, Fault.status(429, { retryAfter: "20 seconds" }))
        const fiber = yield* start(op, RetryPolicy.backoff({ maxElapsedTime: "10 seconds" }))
        yield* TestClock.adjust("1 minute")
        const error = failureOf(yield* Fiber.join(fiber), op.name)
        assert.strictEqual(error._tag, "RateLimited")
        assert.deepStrictEqual(yield* attempts(op), [[0, 429]])
      }).pipe(Effect.provide(inMemory()))
    )
  })
}
