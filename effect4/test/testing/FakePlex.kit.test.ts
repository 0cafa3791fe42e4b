/**
 * The Effect 4 test kit over the shared fake: the in-memory `HttpClient`,
 * the calling fiber's `Clock` (TestClock drives the fake), interruption
 * aborting a request in flight, recorded secrets as `Redacted`, faults.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { fakeReceived } from "../support/assertions.js"

const CLIENT_ID = "kit-test-client"

const get = (url: string, headers: Record<string, string> = {}) =>
  Effect.flatMap(Effect.service(HttpClient.HttpClient), (client) =>
    client.execute(
      HttpClientRequest.get(url, {
        headers: { accept: "application/json", "x-plex-client-identifier": CLIENT_ID, ...headers }
      })
    )
  )

const post = (url: string, headers: Record<string, string> = {}) =>
  Effect.flatMap(Effect.service(HttpClient.HttpClient), (client) =>
    client.execute(
      HttpClientRequest.post(url, {
        headers: {
          accept: "application/json",
          "x-plex-client-identifier": CLIENT_ID,
          "x-plex-product": "Kit Test",
          ...headers
        }
      })
    )
  )

describe("FakePlex (Effect 4 kit)", () => {
  it.effect("answers plex.tv in memory and records the token as Redacted", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const response = yield* get(`${fake.plexTvUrl}/api/v2/user`, {
        "x-plex-token": Redacted.value(fake.token)
      })
      assert.strictEqual(response.status, 200)
      const user = (yield* response.json) as { username: string }
      assert.strictEqual(user.username, FakePlex.defaults.username)
      const [recorded] = yield* FakePlex.requests
      assert.strictEqual(recorded?.route, "getTokenDetails")
      const token = recorded?.headers["x-plex-token"]
      assert.isTrue(Redacted.isRedacted(token))
      assert.strictEqual(Redacted.isRedacted(token) && Redacted.value(token), Redacted.value(fake.token))
      assert.notInclude(JSON.stringify(recorded), Redacted.value(fake.token))
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("PIN lifetime follows the TestClock of the calling fiber", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const pin = (yield* Effect.flatMap(
        post(`${fake.plexTvUrl}/api/v2/pins?strong=true`),
        (r) => r.json
      )) as {
        id: number
        expiresIn: number
      }
      assert.strictEqual(pin.expiresIn, 1800)
      yield* TestClock.adjust("29 minutes")
      assert.strictEqual((yield* get(`${fake.plexTvUrl}/api/v2/pins/${pin.id}`)).status, 200)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* get(`${fake.plexTvUrl}/api/v2/pins/${pin.id}`)).status, 404)
      const [created] = yield* fake.pins
      assert.isTrue(created?.expired)
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("approvePin gives the PIN a Redacted token the next check returns", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const pin = (yield* Effect.flatMap(post(`${fake.plexTvUrl}/api/v2/pins`), (r) => r.json)) as {
        id: number
      }
      const token = yield* FakePlex.approvePin(pin.id)
      assert.isTrue(Redacted.isRedacted(token))
      const checked = (yield* Effect.flatMap(
        get(`${fake.plexTvUrl}/api/v2/pins/${pin.id}`),
        (r) => r.json
      )) as {
        authToken: string
      }
      assert.strictEqual(checked.authToken, Redacted.value(token))
      const error = yield* Effect.flip(FakePlex.approvePin(999_999))
      assert.instanceOf(error, FakePlex.FakePlexError)
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("a delay fault waits on the TestClock", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* FakePlex.fault("getServerIdentity", Fault.delay("2 seconds"))
      const fiber = yield* Effect.forkChild(get(`${fake.serverUrl}/identity`))
      yield* fakeReceived(1) // the request reached the fake: its delay or timeout runs from 0
      yield* TestClock.adjust("1999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const response = yield* Fiber.join(fiber)
      assert.strictEqual(response.status, 200)
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("interrupting a request to a hanging route aborts it: the record says Interrupted", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* FakePlex.fault("getServerIdentity", Fault.hang)
      const fiber = yield* Effect.forkChild(get(`${fake.serverUrl}/identity`))
      yield* fakeReceived(1) // the request reached the fake: its delay or timeout runs from 0
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      const [recorded] = yield* FakePlex.requests
      assert.strictEqual(recorded?.outcome, "Interrupted")
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("a refused connection and an unknown origin are transport errors; a 429 fault answers 429", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* FakePlex.fault("getServerIdentity", Fault.refuse, { times: 1 })
      const refused = yield* Effect.flip(get(`${fake.serverUrl}/identity`))
      assert.strictEqual(refused.reason._tag, "TransportError")
      // The cause is what `fetch` gives: a TypeError whose cause carries the code.
      assert.instanceOf(refused.reason.cause, TypeError)
      assert.strictEqual((refused.reason.cause as { cause: { code: string } }).cause.code, "ECONNREFUSED")
      const unknown = yield* Effect.flip(get("http://198.51.100.7:32400/identity"))
      assert.strictEqual(unknown.reason._tag, "TransportError")
      // The unknown origin is not the fake's: only the refused request is recorded.
      assert.deepStrictEqual(
        (yield* FakePlex.requests).map((r) => r.outcome),
        ["Refused"]
      )
      yield* FakePlex.fault("getTokenDetails", Fault.rateLimited("3 seconds"), { times: 1 })
      const limited = yield* get(`${fake.plexTvUrl}/api/v2/user`, {
        "x-plex-token": Redacted.value(fake.token)
      })
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers["retry-after"], "3")
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("a Respond fault runs its Effect and answers with its Response", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* FakePlex.fault(
        "getServerIdentity",
        Fault.respond((request) =>
          Effect.succeed(new Response(`{"seen":"${new URL(request.url).pathname}"}`, { status: 418 }))
        )
      )
      const response = yield* get(`${fake.serverUrl}/identity`)
      assert.strictEqual(response.status, 418)
      assert.deepStrictEqual(yield* response.json, { seen: "/identity" })
    }).pipe(Effect.provide(FakePlex.layer()))
  )
})
