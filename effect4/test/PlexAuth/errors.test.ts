/**
 * Every status and failure mode, for each of the four operations: which
 * tagged error it becomes and what context that error carries.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import { expectRequests, failsWith, mockReceived } from "../support/assertions.js"
import { env } from "../support/env.js"
import * as MockHttp from "../support/MockHttp.js"
import * as CliFailure from "../../../src/core/cli/failure.js"
import { accountBody, operations } from "../support/operations.js"

for (const op of operations) {
  const run =
    (handler: MockHttp.Handler) =>
    <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.provide(self, env(handler))
  const url = `${op.origin}${op.path}`

  describe(op.name, () => {
    it.effect("400 with Plex's errors[] is BadRequest carrying codes and messages", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "BadRequest")
        assert.strictEqual(error.status, 400)
        assert.strictEqual(error.operation, `PlexAuth.${op.name}`)
        assert.strictEqual(error.method, op.method)
        assert.strictEqual(error.url, url)
        assert.deepStrictEqual(
          error.errors.map((e) => [e.code, e.message, e.status]),
          [[1000, "X-Plex-Client-Identifier is missing", 400]]
        )
        assert.include(error.message, "1000 X-Plex-Client-Identifier is missing")
        yield* expectRequests(1)
      }).pipe(
        run(() => MockHttp.plexErrors(400, [{ code: 1000, message: "X-Plex-Client-Identifier is missing" }]))
      )
    )

    it.effect("400 as an HTML page is BadRequest without codes", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "BadRequest")
        assert.deepStrictEqual(error.errors, [])
      }).pipe(run(() => MockHttp.html(400, "<html><body>Bad Request</body></html>")))
    )

    it.effect("401 is Unauthorized with code 1001", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unauthorized")
        assert.strictEqual(error.status, 401)
        assert.deepStrictEqual(
          error.errors.map((e) => e.code),
          [1001]
        )
      }).pipe(
        run(() => MockHttp.plexErrors(401, [{ code: 1001, message: "User could not be authenticated" }]))
      )
    )

    it.effect('plex.tv 422 "Invalid token" is Unauthorized', () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unauthorized")
        assert.strictEqual(error.status, 422)
      }).pipe(run(() => MockHttp.plexErrors(422, [{ code: 1001, message: "Invalid token" }])))
    )

    // What plex.tv answered a revoked token in python-plexapi's PR 1138 (a client asking for XML), which reads
    // "Invalid token" anywhere in a 422's body (MyPlexAccount.query): as XML, or as text, it was a BadRequest, and
    // credentials that can re-authenticate did not.
    for (const [what, answer] of [
      [
        "XML",
        () =>
          MockHttp.xml(
            422,
            '<?xml version="1.0" encoding="UTF-8"?> <errors> <error>Invalid token</error> </errors>'
          )
      ],
      ["text", () => MockHttp.text(422, "Invalid token", "text/plain")]
    ] as const) {
      it.effect(`plex.tv 422 "Invalid token" as ${what} is Unauthorized`, () =>
        Effect.gen(function* () {
          const error = yield* failsWith(op.run, "Unauthorized")
          assert.strictEqual(error.status, 422)
        }).pipe(run(answer))
      )
    }

    it.effect("another 422 is BadRequest", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "BadRequest")
        assert.strictEqual(error.status, 422)
      }).pipe(run(() => MockHttp.plexErrors(422, [{ code: 1099, message: "Key already registered" }])))
    )

    it.effect("a PMS 403 text/html is Unauthorized", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unauthorized")
        assert.strictEqual(error.status, 403)
        assert.deepStrictEqual(error.errors, [])
      }).pipe(run(() => MockHttp.html(403, "<html><head><title>Unauthorized</title></head></html>")))
    )

    it.effect("498 (expired JWT) is Unauthorized", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unauthorized")
        assert.strictEqual(error.status, 498)
      }).pipe(run(() => MockHttp.plexErrors(498, [{ code: 1097, message: "Token expired" }])))
    )

    if (op.notFound) {
      it.effect("404 is NotFound", () =>
        Effect.gen(function* () {
          const error = yield* failsWith(op.run, "NotFound")
          assert.strictEqual(error.status, 404)
          assert.strictEqual(error.url, url)
        }).pipe(run(() => MockHttp.html(404, "<html>Not Found</html>")))
      )
    } else {
      it.effect("404 is Unexpected (Status)", () =>
        Effect.gen(function* () {
          const error = yield* failsWith(op.run, "Unexpected")
          assert.strictEqual(error.reason, "Status")
          assert.strictEqual(error.status, 404)
        }).pipe(run(() => MockHttp.html(404, "<html>Not Found</html>")))
      )
    }

    it.effect("429 with Retry-After in seconds is RateLimited with retryAfterMillis", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "RateLimited")
        assert.strictEqual(error.status, 429)
        assert.strictEqual(error.retryAfterMillis, 120_000)
        assert.deepStrictEqual(
          error.errors.map((e) => e.code),
          [1003]
        )
      }).pipe(
        run(() =>
          MockHttp.plexErrors(429, [{ code: 1003, message: "Rate limit exceeded" }], { "retry-after": "120" })
        )
      )
    )

    it.effect("429 with Retry-After as an HTTP date is RateLimited, measured from the Clock", () =>
      Effect.gen(function* () {
        const now = Date.parse("2026-02-01T12:00:00Z")
        yield* TestClock.setTime(now)
        const error = yield* failsWith(op.run, "RateLimited")
        assert.strictEqual(error.retryAfterMillis, 45_000)
      }).pipe(
        run(() =>
          MockHttp.text(429, "slow down", "text/plain", {
            "retry-after": new Date(Date.parse("2026-02-01T12:00:45Z")).toUTCString()
          })
        )
      )
    )

    // A Retry-After sent twice (a proxy adding its own) comes joined with ", ": "10, 10" was read as a date of
    // 2001, a wait of 0, and a value that is neither seconds nor a date ("1.5") as one too.
    for (const [value, expected] of [
      ["10, 10", 10_000],
      ["5, 30", 30_000],
      ["1.5", undefined],
      ["-1", undefined]
    ] as const) {
      it.effect(`429 with Retry-After "${value}" waits ${expected ?? "nothing"}`, () =>
        Effect.gen(function* () {
          yield* TestClock.setTime(Date.parse("2026-02-01T12:00:00Z"))
          const error = yield* failsWith(op.run, "RateLimited")
          assert.strictEqual(error.retryAfterMillis, expected)
        }).pipe(run(() => MockHttp.text(429, "slow down", "text/plain", { "retry-after": value })))
      )
    }

    it.effect("429 with a Retry-After date in the past waits 0, without one waits nothing", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.parse("2026-02-01T12:00:00Z"))
        const past = yield* failsWith(op.run, "RateLimited")
        assert.strictEqual(past.retryAfterMillis, 0)
        const absent = yield* failsWith(op.run, "RateLimited")
        assert.isUndefined(absent.retryAfterMillis)
        const garbage = yield* failsWith(op.run, "RateLimited")
        assert.isUndefined(garbage.retryAfterMillis)
      }).pipe(
        run(
          MockHttp.sequence(
            () => MockHttp.text(429, "", "text/plain", { "retry-after": "Sat, 31 Jan 2026 12:00:00 GMT" }),
            () => MockHttp.text(429, "", "text/plain"),
            () => MockHttp.text(429, "", "text/plain", { "retry-after": "soon-ish" })
          )
        )
      )
    )

    it.effect("Plex codes 1003 and 1031 are RateLimited whatever the status", () =>
      Effect.gen(function* () {
        const first = yield* failsWith(op.run, "RateLimited")
        assert.strictEqual(first.status, 400)
        const second = yield* failsWith(op.run, "RateLimited")
        assert.strictEqual(second.status, 403)
      }).pipe(
        run(
          MockHttp.sequence(
            () => MockHttp.plexErrors(400, [{ code: 1003, message: "API rate limit exceeded" }]),
            () => MockHttp.plexErrors(403, [{ code: 1031, message: "Too many failed sign-ins" }])
          )
        )
      )
    )

    for (const status of [500, 502, 503, 504]) {
      it.effect(`${status} is Unexpected (Status) with status, content type and a short excerpt`, () =>
        Effect.gen(function* () {
          const error = yield* failsWith(op.run, "Unexpected")
          assert.strictEqual(error.reason, "Status")
          assert.strictEqual(error.status, status)
          assert.strictEqual(error.contentType, "text/html; charset=utf-8")
          assert.strictEqual(
            error.bodyExcerpt,
            `<html><body><h1>${status} Server Error</h1> <p>upstream down</p></body></html>`
          )
          assert.include(error.message, `HTTP ${status}`)
          // A server's failure: the message says what to do (docs/errors.md, "When plex.tv is down").
          assert.isTrue(
            error.message.endsWith(`(HTTP ${status}): unexpected status ${status}; try again later`),
            error.message
          )
        }).pipe(
          run(() =>
            MockHttp.html(
              status,
              `<html><body><h1>${status} Server Error</h1>\n\n   <p>upstream down</p></body></html>`
            )
          )
        )
      )
    }

    describe("an answer whose body is cut off after its status and headers", () => {
      // The body would have said more (Plex's code 1001): what arrived is its first 8 bytes, then a failure.
      const cut = (status: number, headers?: Record<string, string>) =>
        run(() =>
          MockHttp.cutBody(
            status,
            { errors: [{ code: 1001, message: "not authenticated", status }] },
            headers
          )
        )
      // A sign-in's answer may carry Plex's two-factor codes whatever its status: only its body tells.
      const signIn = op.name === "postUsersSignInData"

      it.effect("429 is RateLimited with the Retry-After it sent (the retry waits that long)", () =>
        Effect.gen(function* () {
          const error = yield* failsWith(op.run, "RateLimited")
          assert.strictEqual(error.status, 429)
          assert.strictEqual(error.retryAfterMillis, 7000)
          assert.deepStrictEqual(error.errors, [])
        }).pipe(cut(429, { "retry-after": "7" }))
      )

      it.effect(
        signIn
          ? "401 at sign-in stays NetworkError with its status (wrong password or a two-factor prompt?)"
          : "401 is Unauthorized, without Plex's codes",
        () =>
          Effect.gen(function* () {
            if (signIn) {
              const error = yield* failsWith(op.run, "NetworkError")
              assert.strictEqual(error.status, 401)
              assert.include(error.message, "the body was cut off in an answer (HTTP 401)")
            } else {
              const error = yield* failsWith(op.run, "Unauthorized")
              assert.strictEqual(error.status, 401)
              assert.deepStrictEqual(error.errors, [])
            }
          }).pipe(cut(401))
      )

      it.effect(
        `404 ${signIn ? "at sign-in stays NetworkError" : op.notFound ? "is NotFound" : "is Unexpected (Status)"}`,
        () =>
          Effect.gen(function* () {
            if (signIn) {
              const error = yield* failsWith(op.run, "NetworkError")
              assert.strictEqual(error.status, 404)
            } else if (op.notFound) {
              assert.strictEqual((yield* failsWith(op.run, "NotFound")).status, 404)
            } else {
              const error = yield* failsWith(op.run, "Unexpected")
              assert.strictEqual(error.reason, "Status")
              assert.strictEqual(error.status, 404)
            }
          }).pipe(cut(404))
      )

      // A server's failure whatever the endpoint: a sign-in's 503 too, which a retry policy may send again.
      it.effect("503 is Unexpected (Status), without an excerpt", () =>
        Effect.gen(function* () {
          const error = yield* failsWith(op.run, "Unexpected")
          assert.strictEqual(error.reason, "Status")
          assert.strictEqual(error.status, 503)
          assert.isUndefined(error.bodyExcerpt)
        }).pipe(cut(503))
      )

      it.effect(
        "422 stays NetworkError with its status: only its body tells a revoked token from a bad request",
        () =>
          Effect.gen(function* () {
            const error = yield* failsWith(op.run, "NetworkError")
            assert.strictEqual(error.reason, "Transport")
            assert.strictEqual(error.status, 422)
          }).pipe(cut(422))
      )
    })

    it.effect("a long error body is cut to 200 characters in the excerpt", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unexpected")
        assert.strictEqual(error.bodyExcerpt, `${"x".repeat(200)}…`)
      }).pipe(run(() => MockHttp.text(500, "x".repeat(5000), "text/plain")))
    )

    it.effect("a 503 with Retry-After carries retryAfterMillis; JSON errors are kept", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unexpected")
        assert.strictEqual(error.retryAfterMillis, 7_000)
        assert.deepStrictEqual(
          error.errors.map((e) => e.code),
          [1500]
        )
      }).pipe(
        run(() => MockHttp.plexErrors(503, [{ code: 1500, message: "Maintenance" }], { "retry-after": "7" }))
      )
    )

    it.effect("an unknown status (409) is Unexpected (Status)", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unexpected")
        assert.strictEqual(error.reason, "Status")
        assert.strictEqual(error.status, 409)
        assert.isUndefined(error.bodyExcerpt)
        // Not a server's failure (below 500): no "try again later".
        assert.isTrue(error.message.endsWith("(HTTP 409): unexpected status 409"), error.message)
      }).pipe(run(() => new Response(null, { status: 409 })))
    )

    it.effect("a body that does not decode is Unexpected (Decode) naming the path, never a value", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unexpected")
        assert.strictEqual(error.reason, "Decode")
        assert.strictEqual(error.status, op.successStatus)
        assert.isUndefined(error.bodyExcerpt)
        const body = JSON.stringify(op.undecodableBody)
        for (const value of body.match(/"[^"]{4,}"/g) ?? []) {
          const raw = value.slice(1, -1)
          // Field names may appear (they are paths); values must not.
          if (!/^[A-Za-z]+$/.test(raw)) assert.notInclude(error.detail, raw)
        }
        assert.notInclude(error.detail, "12345")
        assert.match(error.detail, /does not have the expected shape/)
      }).pipe(run(() => MockHttp.json(op.successStatus, op.undecodableBody)))
    )

    it.effect("malformed JSON is Unexpected (Decode)", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unexpected")
        assert.strictEqual(error.reason, "Decode")
        assert.match(error.detail, /not valid JSON/)
        assert.notInclude(error.detail, "truncated")
      }).pipe(run(() => MockHttp.json(op.successStatus, '{"truncated": ')))
    )

    it.effect("an empty JSON success is Unexpected (Decode)", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unexpected")
        assert.strictEqual(error.reason, "Decode")
      }).pipe(run(() => MockHttp.json(op.successStatus, "")))
    )

    it.effect("a success with a wrong content type is Unexpected (ContentType)", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unexpected")
        assert.strictEqual(error.reason, "ContentType")
        assert.strictEqual(error.contentType, "text/plain")
        assert.strictEqual(error.status, op.successStatus)
      }).pipe(run(() => MockHttp.text(op.successStatus, JSON.stringify(op.successBody), "text/plain")))
    )

    it.effect("XML on success is Unexpected (ContentType)", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unexpected")
        assert.strictEqual(error.reason, "ContentType")
        assert.strictEqual(error.contentType, "text/xml;charset=utf-8")
      }).pipe(
        run(() =>
          MockHttp.xml(op.successStatus, '<?xml version="1.0"?><MediaContainer size="0"></MediaContainer>')
        )
      )
    )

    it.effect("a success without a content type is Unexpected (ContentType)", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "Unexpected")
        assert.strictEqual(error.reason, "ContentType")
        assert.isUndefined(error.contentType)
      }).pipe(
        run(() => {
          const response = new Response(new TextEncoder().encode(JSON.stringify(op.successBody)), {
            status: op.successStatus
          })
          response.headers.delete("content-type")
          return response
        })
      )
    )

    it.effect("a JSON media type with parameters or a +json suffix is accepted", () =>
      Effect.gen(function* () {
        yield* op.run
        yield* op.run
        yield* expectRequests(2)
      }).pipe(
        run(
          MockHttp.sequence(
            () =>
              MockHttp.text(
                op.successStatus,
                JSON.stringify(op.successBody),
                "Application/JSON;charset=UTF-8"
              ),
            () => MockHttp.text(op.successStatus, JSON.stringify(op.successBody), "application/vnd.plex+json")
          )
        )
      )
    )

    it.effect("a connection failure is NetworkError (Transport) with the transport's reason", () =>
      Effect.gen(function* () {
        const error = yield* failsWith(op.run, "NetworkError")
        assert.strictEqual(error.reason, "Transport")
        assert.strictEqual(error.url, url)
        assert.include(error.detail, "ECONNREFUSED")
        // No answer, no status: the key is absent, not set to undefined (as Object.keys and `in` see it).
        assert.notInclude(Object.keys(error), "status")
        assert.isFalse("status" in error)
      }).pipe(run(() => MockHttp.transportFailure()))
    )

    it.effect("a hang is NetworkError (Timeout) after withRequestTimeout, under TestClock", () =>
      Effect.gen(function* () {
        const fiber = yield* op.run.pipe(
          PlexAuth.withRequestTimeout("5 seconds"),
          Effect.flip,
          Effect.forkChild
        )
        yield* mockReceived(1) // the request reached the mock: its timeout runs
        yield* TestClock.adjust("4999 millis")
        assert.isUndefined(fiber.pollUnsafe(), "must not time out early")
        yield* TestClock.adjust("1 millis")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "NetworkError")
        assert.strictEqual(error._tag === "NetworkError" && error.reason, "Timeout")
        assert.include(error.message, "timed out")
        assert.isTrue(error.message.endsWith("; try again later"), error.message)
        yield* expectRequests(1)
      }).pipe(run(() => MockHttp.hang))
    )

    it.effect("the default per-attempt timeout is 30 seconds", () =>
      Effect.gen(function* () {
        const fiber = yield* op.run.pipe(Effect.flip, Effect.forkChild)
        yield* mockReceived(1) // the request reached the mock: its timeout runs
        yield* TestClock.adjust("29 seconds")
        assert.isUndefined(fiber.pollUnsafe())
        yield* TestClock.adjust("1 second")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag === "NetworkError" && error.reason, "Timeout")
      }).pipe(run(() => MockHttp.hang))
    )

    it.effect("a body that stalls after the headers times out too", () =>
      Effect.gen(function* () {
        const fiber = yield* op.run.pipe(
          PlexAuth.withRequestTimeout("2 seconds"),
          Effect.flip,
          Effect.forkChild
        )
        yield* mockReceived(1) // the request reached the mock: its timeout runs
        yield* TestClock.adjust("2 seconds")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag === "NetworkError" && error.reason, "Timeout")
        // The status came: the CLI does not say the server did not answer, only that the answer was not complete.
        assert.match(
          CliFailure.failureOf(error).message,
          /did not answer in time, or its answer's body did not all arrive in time \(no complete answer within 2s\); try again later\.$/
        )
      }).pipe(run(() => MockHttp.stalledBody(op.successStatus)))
    )

    // As a body cut off by the server (readByStatus): a 429's or a 5xx's body would not change what it means.
    it.effect(
      "an answer read by its status is so over MaxBodyBytes too: a 429 with its Retry-After, a 503; a 422 is BodyTooLarge",
      () =>
        Effect.gen(function* () {
          const declared = yield* failsWith(op.run, "RateLimited")
          assert.strictEqual(declared.status, 429)
          assert.strictEqual(declared.retryAfterMillis, 7000)
          const streamed = yield* failsWith(op.run, "Unexpected")
          assert.strictEqual(streamed.reason, "Status")
          assert.strictEqual(streamed.status, 503)
          assert.isUndefined(streamed.bodyExcerpt)
          // Only its body tells a revoked token from a bad request.
          assert.strictEqual((yield* failsWith(op.run, "Unexpected")).reason, "BodyTooLarge")
        }).pipe(
          Effect.provideService(PlexAuth.MaxBodyBytes, 64),
          run(
            MockHttp.sequence(
              () => MockHttp.json(429, "x".repeat(100), { "content-length": "100", "retry-after": "7" }),
              () =>
                new Response(
                  new ReadableStream({
                    start(controller) {
                      for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("0123456789"))
                      controller.close()
                    }
                  }),
                  { status: 503, headers: { "content-type": "text/html" } }
                ),
              () => MockHttp.json(422, "x".repeat(100), { "content-length": "100" })
            )
          )
        )
    )

    it.effect("a body over MaxBodyBytes is Unexpected (BodyTooLarge), declared or streamed", () =>
      Effect.gen(function* () {
        const declared = yield* failsWith(op.run, "Unexpected")
        assert.strictEqual(declared.reason, "BodyTooLarge")
        const streamed = yield* failsWith(op.run, "Unexpected")
        assert.strictEqual(streamed.reason, "BodyTooLarge")
      }).pipe(
        Effect.provideService(PlexAuth.MaxBodyBytes, 64),
        run(
          MockHttp.sequence(
            () => MockHttp.json(op.successStatus, "x".repeat(100), { "content-length": "100" }),
            () =>
              new Response(
                new ReadableStream({
                  start(controller) {
                    for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("0123456789"))
                    controller.close()
                  }
                }),
                { status: op.successStatus, headers: { "content-type": "application/json" } }
              )
          )
        )
      )
    )

    if (op.name !== "postUsersSignInData") {
      it.effect("sign-in codes 1029/1028 are plain Unauthorized outside sign-in", () =>
        Effect.gen(function* () {
          yield* failsWith(op.run, "Unauthorized")
          yield* failsWith(op.run, "Unauthorized")
        }).pipe(
          run(
            MockHttp.sequence(
              () => MockHttp.plexErrors(401, [{ code: 1029, message: "Please enter the verification code" }]),
              () => MockHttp.plexErrors(401, [{ code: 1028, message: "Invalid verification code" }])
            )
          )
        )
      )
    }
  })
}

describe("a body nobody reads", () => {
  /** A long body, one chunk per pull, that records how far it was read and whether it was cancelled. */
  const endless = () => {
    const seen = { pulls: 0, cancelled: false }
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        seen.pulls++
        if (seen.pulls > 1000) controller.close()
        else controller.enqueue(new TextEncoder().encode("0123456789"))
      },
      cancel() {
        seen.cancelled = true
      }
    })
    return { seen, body }
  }

  it.effect("is cancelled at its first chunk when declared over MaxBodyBytes, or on a redirect", () =>
    Effect.gen(function* () {
      const tooLarge = endless()
      const error = yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected").pipe(
        Effect.provide(
          env(() => new Response(tooLarge.body, { status: 200, headers: { "content-length": "10000" } }))
        ),
        Effect.provideService(PlexAuth.MaxBodyBytes, 64)
      )
      assert.strictEqual(error.reason, "BodyTooLarge")
      assert.isTrue(tooLarge.seen.cancelled)
      assert.isBelow(tooLarge.seen.pulls, 5)

      const redirected = endless()
      yield* PlexAuth.getTokenDetails().pipe(
        Effect.provide(
          env(
            MockHttp.sequence(
              () =>
                new Response(redirected.body, { status: 302, headers: { location: "/api/v2/user?moved" } }),
              () => MockHttp.json(200, { id: 1, uuid: "u", username: "tester", title: "tester" })
            )
          )
        )
      )
      assert.isTrue(redirected.seen.cancelled)
      assert.isBelow(redirected.seen.pulls, 5)
    })
  )
})

describe("postUsersSignInData: credentials errors", () => {
  const signIn = operations.find((op) => op.name === "postUsersSignInData")!.run
  const run =
    (handler: MockHttp.Handler) =>
    <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.provide(self, env(handler))

  it.effect("a wrong password is Unauthorized (1001)", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(signIn, "Unauthorized")
      assert.deepStrictEqual(
        error.errors.map((e) => e.code),
        [1001]
      )
    }).pipe(run(() => MockHttp.plexErrors(401, [{ code: 1001, message: "User could not be authenticated" }])))
  )

  it.effect("a missing two-factor code is VerificationCodeRequired (1029)", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(signIn, "VerificationCodeRequired")
      assert.strictEqual(error.status, 401)
      assert.include(error.message, "verification code is required")
    }).pipe(
      run(() => MockHttp.plexErrors(401, [{ code: 1029, message: "Please enter the verification code" }]))
    )
  )

  it.effect("a wrong two-factor code is InvalidVerificationCode (1028)", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(signIn, "InvalidVerificationCode")
      assert.deepStrictEqual(
        error.errors.map((e) => e.message),
        ["Invalid verification code"]
      )
    }).pipe(run(() => MockHttp.plexErrors(401, [{ code: 1028, message: "Invalid verification code" }])))
  )

  it.effect("1029 wins even with another status (400)", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(signIn, "VerificationCodeRequired")
      assert.strictEqual(error.status, 400)
    }).pipe(
      run(() => MockHttp.plexErrors(400, [{ code: 1029, message: "Please enter the verification code" }]))
    )
  )
})

describe("a body read as it streams (no declared length)", () => {
  // One byte per chunk, so that `ë` (two bytes in UTF-8) is split across chunks.
  const bytes = new TextEncoder().encode(JSON.stringify({ ...accountBody, username: "tëster" }))
  const streamed = () =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (const byte of bytes) controller.enqueue(Uint8Array.of(byte))
          controller.close()
        }
      }),
      { status: 200, headers: { "content-type": "application/json" } }
    )

  it.effect("decodes whole at exactly MaxBodyBytes, a character split across chunks", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(account.username, "tëster")
    }).pipe(Effect.provideService(PlexAuth.MaxBodyBytes, bytes.length), Effect.provide(env(streamed)))
  )

  it.effect("is BodyTooLarge one byte over MaxBodyBytes", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
      assert.strictEqual(error.reason, "BodyTooLarge")
    }).pipe(Effect.provideService(PlexAuth.MaxBodyBytes, bytes.length - 1), Effect.provide(env(streamed)))
  )
})
