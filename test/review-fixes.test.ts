/**
 * Regressions found in review: lenient error bodies, a cap on Retry-After,
 * PIN polling through transient failures, header-safe tokens from payloads.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Redacted, Schedule } from "effect"
import { PinLogin, PlexAuth, RetryPolicy } from "effect-plex-auth"
import { afterAdjusting, expectRequests, failsWith } from "./support/assertions.js"
import { env, PASSWORD } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"

const signIn = PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD })

describe("error bodies are read leniently", () => {
  it.effect('a code sent as "1029" with a null message still asks for the two-factor code', () =>
    Effect.gen(function* () {
      const error = yield* failsWith(signIn, "VerificationCodeRequired")
      assert.deepStrictEqual(
        error.errors.map((e) => e.code),
        [1029]
      )
    }).pipe(
      Effect.provide(
        env(MockHttp.always(() => MockHttp.json(401, { errors: [{ code: "1029", message: null }] })))
      )
    )
  )
})

describe("Retry-After is capped", () => {
  const policy = RetryPolicy.make(Schedule.recurs(1))
  const parked = () => MockHttp.text(503, "busy", "text/plain", { "retry-after": "999999" })

  it.effect("a wait longer than MaxRetryAfter is not waited out: the error goes to the caller", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(
        PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(policy)),
        "Unexpected"
      )
      assert.strictEqual(error.retryAfterMillis, 999_999_000)
      yield* expectRequests(1)
    }).pipe(Effect.provide(env(MockHttp.always(parked))))
  )

  it.effect("a wait within the cap is waited out in full", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.getTokenDetails().pipe(
        RetryPolicy.withPolicy(policy),
        afterAdjusting("2 minutes")
      )
      assert.strictEqual(account.username, "tester")
      const [first, second] = yield* expectRequests(2)
      assert.strictEqual(second!.at - first!.at, Duration.toMillis(RetryPolicy.maxRetryAfter))
    }).pipe(
      Effect.provide(
        env(
          MockHttp.sequence(
            () => MockHttp.text(503, "busy", "text/plain", { "retry-after": "60" }),
            () => MockHttp.json(200, { id: 1, uuid: "u", username: "tester", title: "T" })
          )
        )
      )
    )
  )
})

describe("PIN polling rides out transient failures", () => {
  const pin = { id: 7, code: "ABCD", expiresIn: 900 } as unknown as PinLogin.Pin
  const pending = () => MockHttp.json(200, { id: 7, code: "ABCD", authToken: null })
  it.effect("a 502 and a dropped connection while polling do not end the login", () =>
    Effect.gen(function* () {
      const token = yield* PinLogin.poll(pin).pipe(afterAdjusting("1 minute"))
      assert.strictEqual(Redacted.value(token), "approved-token")
    }).pipe(
      Effect.provide(
        env(
          MockHttp.sequence(
            pending,
            () => MockHttp.text(502, "bad gateway", "text/html"),
            () => MockHttp.transportFailure("other side closed", "ECONNRESET"),
            () => MockHttp.json(200, { id: 7, code: "ABCD", authToken: "approved-token" })
          )
        )
      )
    )
  )
})

describe("tokens from payloads must be sendable as headers", () => {
  it.effect(
    "a sign-in answer whose authToken holds CR/LF is Unexpected (Decode), and nothing echoes it",
    () =>
      Effect.gen(function* () {
        const error = yield* failsWith(signIn, "Unexpected")
        assert.strictEqual(error.reason, "Decode")
        assert.notInclude(JSON.stringify(error), "evil")
      }).pipe(
        Effect.provide(
          env(
            MockHttp.always(() =>
              MockHttp.json(201, {
                id: 1,
                uuid: "u",
                username: "t",
                title: "T",
                authToken: "tok\r\nX-Evil: 1"
              })
            )
          )
        )
      )
  )
})
