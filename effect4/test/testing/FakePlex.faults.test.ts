import { assert, describe, it } from "@effect/vitest"
import { HttpClient, HttpClientRequest } from "effect/http"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexError from "effect4-plex-auth/PlexError"
import * as PlexServer from "effect4-plex-auth/PlexServer"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import * as RetryPolicy from "effect4-plex-auth/RetryPolicy"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { fakeReceived } from "../support/assertions.js"
import { exchange, failsWith, raw, send } from "./support.js"

const layer = FakePlex.layerSignedIn()

describe("FakePlex faults: statuses", () => {
  it.effect("429 with Retry-After: plex.tv's JSON body, code 1003", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(429, { retryAfter: "2 seconds" }), { times: 1 })
      const error = yield* failsWith(PlexAuth.getTokenDetails(), "RateLimited")
      assert.strictEqual(error.status, 429)
      assert.strictEqual(error.retryAfterMillis, 2000)
      assert.deepStrictEqual(PlexError.codes(error), [1003])
      const fake = yield* FakePlex.FakePlex
      yield* fake.fault("/api/v2/user", Fault.rateLimited("30 seconds"), { times: 1 })
      const answer = yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token })
      assert.strictEqual(answer.headers.get("retry-after"), "30")
      assert.deepStrictEqual(answer.json(), {
        errors: [{ code: 1003, message: "API rate limit exceeded", status: 429 }]
      })
      assert.strictEqual((yield* PlexAuth.getTokenDetails()).username, "alice")
    }).pipe(Effect.provide(layer))
  )

  for (const status of [500, 502, 503, 504]) {
    it.effect(`${status}: Unexpected with the status; gateways answer HTML`, () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.status(status), { times: 1 })
        const error = yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
        assert.strictEqual(error.reason, "Status")
        assert.strictEqual(error.status, status)
        if (status === 500) {
          assert.match(error.contentType ?? "", /^application\/json/)
        } else {
          assert.match(error.contentType ?? "", /^text\/html/)
          assert.include(error.bodyExcerpt ?? "", `${status}`)
        }
      }).pipe(Effect.provide(layer))
    )
  }

  it.effect("a server answers error statuses as HTML; 503 may carry Retry-After", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTransientToken", Fault.status(503, { retryAfter: "5 seconds" }), { times: 1 })
      const error = yield* failsWith(PlexAuth.getTransientToken(), "Unexpected")
      assert.strictEqual(error.status, 503)
      assert.strictEqual(error.retryAfterMillis, 5000)
      assert.match(error.contentType ?? "", /^text\/html/)
    }).pipe(Effect.provide(layer))
  )

  it.effect("retryAfter with a Retry-After in headers: retryAfter is the one sent, not both joined", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault(
        "getTransientToken",
        Fault.status(503, { retryAfter: "5 seconds", headers: { "Retry-After": "60" } }),
        { times: 1 }
      )
      const error = yield* failsWith(PlexAuth.getTransientToken(), "Unexpected")
      assert.strictEqual(error.retryAfterMillis, 5000)
    }).pipe(Effect.provide(layer))
  )

  it("Fault.status accepts error statuses only", () => {
    assert.throws(() => Fault.status(200), RangeError)
  })
})

describe("FakePlex faults: scripting", () => {
  it.effect(
    "a fault naming no route of the fake (a typo) is refused loudly: a defect, not a silent no-op",
    () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(FakePlex.fault("getTokenDetail", Fault.hang))
        assert.strictEqual(exit._tag, "Failure")
        assert.include(String(exit), "no route named")
        yield* PlexAuth.getTokenDetails()
      }).pipe(Effect.provide(layer))
  )

  it.effect("times: N applies to the next N matching requests only", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(500), { times: 2 })
      yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
      yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
      yield* PlexAuth.getTokenDetails()
      const requests = yield* FakePlex.requests
      assert.deepStrictEqual(
        requests.map((r) => [r.fault, r.status]),
        [
          ["Status", 500],
          ["Status", 500],
          [undefined, 200]
        ]
      )
    }).pipe(Effect.provide(layer))
  )

  it.effect("without times a fault stays until cleared; other routes are untouched", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(502))
      for (let i = 0; i < 3; i++) yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
      yield* PlexAuth.getTransientToken()
      yield* FakePlex.clearFaults
      yield* PlexAuth.getTokenDetails()
    }).pipe(Effect.provide(layer))
  )

  it.effect("targets by path, origin and method; faults queue in order", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const remote = fake.servers[0]!.urls[1]!
      yield* fake.fault({ origin: remote }, Fault.reset)
      yield* failsWith(PlexAuth.getTransientToken().pipe(PlexServer.withUrl(remote)), "NetworkError")
      yield* PlexAuth.getTransientToken()
      yield* fake.fault({ path: "/security/token", method: "GET" }, Fault.status(500))
      yield* PlexAuth.getTransientToken()
      assert.strictEqual(
        (yield* exchange(`${fake.serverUrl}/security/token?type=delegation&scope=all`, { token: fake.token }))
          .status,
        500
      )
      yield* fake.clearFaults
      yield* fake.fault("getTokenDetails", Fault.status(502), { times: 1 })
      yield* fake.fault("getTokenDetails", Fault.status(504), { times: 1 })
      assert.strictEqual((yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")).status, 502)
      assert.strictEqual((yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")).status, 504)
      yield* PlexAuth.getTokenDetails()
    }).pipe(Effect.provide(layer))
  )

  it.effect("a retry policy rides out scripted failures, honouring Retry-After", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(429, { retryAfter: "5 seconds" }), { times: 1 })
      yield* FakePlex.fault("getTokenDetails", Fault.status(503), { times: 1 })
      const fiber = yield* PlexAuth.getTokenDetails().pipe(
        RetryPolicy.withPolicy(RetryPolicy.backoff({ initialInterval: "100 millis" })),
        Effect.forkChild
      )
      yield* TestClock.adjust("4 seconds")
      assert.strictEqual((yield* FakePlex.requests).length, 1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* FakePlex.requests).length, 2)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(fiber)).username, "alice")
      const requests = yield* FakePlex.requests
      assert.deepStrictEqual(
        requests.map((r) => [r.receivedAt, r.status]),
        [
          [0, 429],
          [5000, 503],
          [5150, 200]
        ]
      )
    }).pipe(Effect.provide(layer))
  )

  it.effect("respond: any answer of your own", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault(
        "getTokenDetails",
        Fault.respond((request) =>
          Effect.succeed(
            new Response(JSON.stringify({ errors: [{ code: 1001, message: request.method, status: 422 }] }), {
              status: 422,
              headers: { "content-type": "application/json" }
            })
          )
        )
      )
      const error = yield* failsWith(PlexAuth.getTokenDetails(), "BadRequest")
      assert.strictEqual(error.errors[0]?.message, "GET")
    }).pipe(Effect.provide(layer))
  )
})

describe("FakePlex faults: time", () => {
  it.effect("delay answers after the TestClock moves", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.delay("10 seconds"), { times: 1 })
      const fiber = yield* Effect.forkChild(PlexAuth.getTokenDetails())
      yield* fakeReceived(1) // the request reached the fake: its delay or timeout runs from 0
      yield* TestClock.adjust("9 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(fiber)).username, "alice")
    }).pipe(Effect.provide(layer))
  )

  it.effect("delay, then another fault", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.delay("3 seconds", Fault.status(504)), { times: 1 })
      const fiber = yield* Effect.forkChild(Effect.result(PlexAuth.getTokenDetails()))
      yield* fakeReceived(1) // the request reached the fake: its delay or timeout runs from 0
      yield* TestClock.adjust("3 seconds")
      const result = yield* Fiber.join(fiber)
      assert.isTrue(
        result._tag === "Failure" && result.failure._tag === "Unexpected" && result.failure.status === 504
      )
    }).pipe(Effect.provide(layer))
  )

  it.effect("in memory, interrupting a request held by a hang ends it: recorded Interrupted at once", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* FakePlex.fault("getTokenDetails", Fault.hang, { times: 1 })
      const fiber = yield* Effect.forkChild(send(raw(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token })))
      // The handler reads the request (real asynchronous work) before it reaches the hang: wait for its record.
      while (!(yield* FakePlex.requests).some((r) => r.outcome === "Pending")) {
        yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      }
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(
        (yield* FakePlex.requests).map((r) => [r.route, r.fault, r.outcome]),
        [["getTokenDetails", "Hang", "Interrupted"]]
      )
      assert.strictEqual((yield* PlexAuth.getTokenDetails()).username, "alice")
    }).pipe(Effect.provide(layer))
  )

  it.effect(
    "in memory, an abort of the signal a Request was made with ends fake.handle of it: recorded Interrupted",
    () =>
      Effect.gen(function* () {
        // The web handler served from another HTTP stack (docs/testing.md, "Other HTTP stacks"): a client that gave up
        // aborts the Request's signal. Before, the Effect's own interruption signal replaced it, and a hang never ended.
        const fake = yield* FakePlex.FakePlex
        yield* FakePlex.fault("getTokenDetails", Fault.hang, { times: 1 })
        const controller = new AbortController()
        const given = raw(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token })
        const fiber = yield* Effect.forkChild(send(new Request(given, { signal: controller.signal })))
        while (!(yield* FakePlex.requests).some((r) => r.outcome === "Pending")) {
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        }
        const reason = new Error("the client gave up")
        controller.abort(reason)
        for (let turn = 0; turn < 5 && fiber.pollUnsafe() === undefined; turn++) {
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        }
        const exit = fiber.pollUnsafe()
        // As the Effect-free handler rejects with the signal's reason: here a defect carrying it.
        assert.isTrue(exit !== undefined && Exit.isFailure(exit))
        if (exit !== undefined && Exit.isFailure(exit)) assert.strictEqual(Cause.squash(exit.cause), reason)
        assert.deepStrictEqual(
          (yield* FakePlex.requests).map((r) => [r.route, r.fault, r.outcome]),
          [["getTokenDetails", "Hang", "Interrupted"]]
        )
      }).pipe(Effect.provide(layer))
  )

  it.effect("hang: the client's timeout ends it, and the record says it was interrupted", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.hang, { times: 1 })
      const fiber = yield* Effect.forkChild(
        Effect.result(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("5 seconds")))
      )
      yield* fakeReceived(1) // the request reached the fake: its delay or timeout runs from 0
      yield* TestClock.adjust("5 seconds")
      const result = yield* Fiber.join(fiber)
      assert.isTrue(
        result._tag === "Failure" &&
          result.failure._tag === "NetworkError" &&
          result.failure.reason === "Timeout"
      )
      const [request] = yield* FakePlex.requests
      assert.strictEqual(request?.outcome, "Interrupted")
      assert.strictEqual(request?.fault, "Hang")
    }).pipe(Effect.provide(layer))
  )
})

describe("FakePlex faults: broken connections and bodies", () => {
  it.effect(
    "an identity header with a line break (a service of the caller's own making): InvalidInput, nothing sent",
    () =>
      Effect.gen(function* () {
        // As a token with a line break (test/inputs.test.ts): the engine checks the identity's headers before any
        // request, where fetch's refusal read as a NetworkError (Transport) a policy would retry. A request fetch
        // refuses still fails on the fake as FetchHttpClient fails it: the next test sends one by the HttpClient.
        const identity = yield* ClientIdentity.ClientIdentity
        const headers = { ...identity.headers, "X-Plex-Device-Name": "box\r\nX-Evil: 1" }
        const error = yield* failsWith(
          PlexAuth.getTokenDetails().pipe(
            Effect.provideService(ClientIdentity.ClientIdentity, { ...identity, headers })
          ),
          "InvalidInput"
        )
        assert.strictEqual(error.field, "ClientIdentity x-plex-device-name")
        assert.notInclude(String(error), "X-Evil")
        assert.notInclude(
          `${String(error)} ${JSON.stringify(error)}`,
          Redacted.value(FakePlex.defaults.token)
        )
        assert.deepStrictEqual(yield* FakePlex.requests, [])
      }).pipe(Effect.provide(layer))
  )

  it.effect("reset: a transport failure (ECONNRESET)", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.reset, { times: 1 })
      const error = yield* failsWith(PlexAuth.getTokenDetails(), "NetworkError")
      assert.strictEqual(error.reason, "Transport")
      assert.include(error.detail, "ECONNRESET")
      assert.strictEqual((yield* FakePlex.requests)[0]?.outcome, "Reset")
    }).pipe(Effect.provide(layer))
  )

  it.effect("refuse: a transport failure (ECONNREFUSED)", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTransientToken", Fault.refuse, { times: 1 })
      const error = yield* failsWith(PlexAuth.getTransientToken(), "NetworkError")
      assert.include(error.detail, "ECONNREFUSED")
    }).pipe(Effect.provide(layer))
  )

  it.effect(
    "a request the web cannot carry fails as FetchHttpClient fails it: a TransportError, no defect",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const client = yield* HttpClient.HttpClient
        const error = yield* Effect.flip(
          client.execute(
            HttpClientRequest.get(`${fake.plexTvUrl}/api/v2/ping`).pipe(
              HttpClientRequest.setHeader("x-note", "a\nb")
            )
          )
        )
        assert.strictEqual(error.reason._tag, "TransportError")
        assert.deepStrictEqual(yield* FakePlex.requests, [])
      }).pipe(Effect.provide(layer))
  )

  it.effect("truncate: the full Content-Length, part of the body, then a failing stream", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* fake.fault("getTokenDetails", Fault.truncate({ keepBytes: 10 }), { times: 1 })
      const response = yield* send(raw(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token }))
      assert.strictEqual(response.status, 200)
      assert.isAbove(Number(response.headers.get("content-length")), 10)
      const reader = response.body!.getReader()
      const first = yield* Effect.promise(() => reader.read())
      assert.strictEqual(first.value?.length, 10)
      const second = yield* Effect.promise(() =>
        reader.read().then(
          () => "read",
          () => "failed"
        )
      )
      assert.strictEqual(second, "failed")
      yield* fake.fault("getTokenDetails", Fault.truncate(), { times: 1 })
      const error = yield* failsWith(PlexAuth.getTokenDetails(), "NetworkError")
      assert.strictEqual(error.reason, "Transport")
    }).pipe(Effect.provide(layer))
  )

  it.effect("truncate of an answer with no body (signOut's 204): a transport failure, as a cut body is", () =>
    Effect.gen(function* () {
      // A 204 has no body to cut: the fake itself failed (a Response with a body and status 204), a defect.
      yield* FakePlex.fault("signOut", Fault.truncate(), { times: 1 })
      const error = yield* failsWith(PlexAuth.signOut(), "NetworkError")
      assert.strictEqual(error.reason, "Transport")
      assert.strictEqual((yield* FakePlex.requests)[0]?.outcome, "Reset")
    }).pipe(Effect.provide(layer))
  )

  it.effect("html with a status that has no body (205): answered, with no body and Content-Length 0", () =>
    Effect.gen(function* () {
      // The captive page's body with status 205 made a Response that throws: the fake failed (a defect), and over
      // loopback its Content-Length with no body cut the connection.
      const fake = yield* FakePlex.FakePlex
      yield* FakePlex.fault("getTokenDetails", Fault.html({ status: 205 }), { times: 1 })
      const answer = yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token })
      assert.strictEqual(answer.status, 205)
      assert.strictEqual(answer.text, "")
      assert.strictEqual(answer.headers.get("content-length"), "0")
      assert.strictEqual((yield* FakePlex.requests)[0]?.outcome, "Responded")
    }).pipe(Effect.provide(layer))
  )

  it.effect("malformed JSON: Unexpected Decode", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTransientToken", Fault.malformedJson, { times: 1 })
      const error = yield* failsWith(PlexAuth.getTransientToken(), "Unexpected")
      assert.strictEqual(error.reason, "Decode")
    }).pipe(Effect.provide(layer))
  )

  it.effect("an HTML page, or a wrong content type: Unexpected ContentType", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.html(), { times: 1 })
      const html = yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
      assert.strictEqual(html.reason, "ContentType")
      assert.match(html.contentType ?? "", /^text\/html/)
      yield* FakePlex.fault("getTokenDetails", Fault.contentType(), { times: 1 })
      const plain = yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
      assert.strictEqual(plain.reason, "ContentType")
      assert.match(plain.contentType ?? "", /^text\/plain/)
    }).pipe(Effect.provide(layer))
  )

  it.effect("oversized: BodyTooLarge, with or without a declared length", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.oversized(), { times: 1 })
      const declared = yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
      assert.strictEqual(declared.reason, "BodyTooLarge")
      yield* FakePlex.fault("getTokenDetails", Fault.oversized({ bytes: 2048, declareLength: false }), {
        times: 1
      })
      const streamed = yield* failsWith(
        PlexAuth.getTokenDetails().pipe(Effect.provideService(PlexAuth.MaxBodyBytes, 1024)),
        "Unexpected"
      )
      assert.strictEqual(streamed.reason, "BodyTooLarge")
      const fake = yield* FakePlex.FakePlex
      yield* fake.fault("getTokenDetails", Fault.oversized({ bytes: 100_000 }), { times: 1 })
      const answer = yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token })
      assert.strictEqual(answer.text.length, 100_000)
      assert.strictEqual(answer.json().padding.length, 100_000 - '{"padding":""}'.length)
    }).pipe(Effect.provide(layer))
  )
})

describe("FakePlex faults: redirects", () => {
  it.effect("the unrelated host records what a redirect sends it", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* fake.fault("getTokenDetails", Fault.redirect(), { times: 1 })
      const error = yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
      assert.strictEqual(error.status, 404)
      const [first, second] = yield* fake.requests
      assert.strictEqual(first?.status, 302)
      assert.strictEqual(second?.origin, fake.elsewhereUrl)
      assert.strictEqual(second?.host, "elsewhere")
      assert.strictEqual(second?.path, "/api/v2/user")
      // Nothing that says who asks goes to another origin: no token, no X-Plex-* identity (docs/hosts.md).
      assert.notProperty(second?.headers, "x-plex-client-identifier")
      assert.notProperty(second?.headers, "x-plex-token")
    }).pipe(Effect.provide(layer))
  )

  it.effect("a same-origin redirect keeps the token", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.redirect({ to: "/api/v2/user?moved=1", status: 307 }), {
        times: 1
      })
      assert.strictEqual((yield* PlexAuth.getTokenDetails()).username, "alice")
      const [, second] = yield* FakePlex.requests
      assert.strictEqual(second?.query["moved"], "1")
      assert.isTrue(Redacted.isRedacted(second?.headers["x-plex-token"]))
    }).pipe(Effect.provide(layer))
  )

  it.effect("a redirect to plex.tv's alias is answered by plex.tv's routes there", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("ping", Fault.redirect({ to: "https://clients.plex.tv/api/v2/ping" }), {
        times: 1
      })
      const fake = yield* FakePlex.FakePlex
      const answer = yield* exchange(`${fake.plexTvUrl}/api/v2/ping`, { token: fake.token })
      assert.strictEqual(answer.status, 302)
      assert.strictEqual(answer.headers.get("location"), "https://clients.plex.tv/api/v2/ping")
      const followed = yield* exchange(answer.headers.get("location")!, { token: fake.token })
      assert.deepStrictEqual(followed.json(), { pong: true })
    }).pipe(Effect.provide(layer))
  )

  it.effect(
    "the client does not carry X-Plex-Token nor its identity to another host, plex.tv's alias included",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault(
          "getTokenDetails",
          Fault.redirect({ to: "https://clients.plex.tv/api/v2/user" }),
          {
            times: 1
          }
        )
        yield* failsWith(
          PlexAuth.getTokenDetails().pipe(PlexTv.withUrl(FakePlex.defaults.plexTvUrl)),
          // The alias answers as plex.tv does a request with no identity.
          "BadRequest"
        )
        const [, second] = yield* FakePlex.requests
        assert.strictEqual(second?.origin, "https://clients.plex.tv")
        assert.notProperty(second?.headers, "x-plex-token")
        assert.notProperty(second?.headers, "x-plex-client-identifier")
      }).pipe(Effect.provide(layer))
  )

  it.effect(
    "a 307 to another host is not followed with the sign-in form: the other host receives nothing",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("postUsersSignInData", Fault.redirect({ status: 307 }), { times: 1 })
        const error = yield* failsWith(
          PlexAuth.postUsersSignInData({
            login: FakePlex.defaults.login,
            password: FakePlex.defaults.password
          }),
          "Unexpected"
        )
        assert.strictEqual(error.reason, "Redirect")
        const requests = yield* FakePlex.requests
        assert.deepStrictEqual(
          requests.map((r) => r.host),
          ["plex.tv"]
        )
      }).pipe(Effect.provide(layer))
  )
})
