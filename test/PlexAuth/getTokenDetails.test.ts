import { assert, describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Credentials, PlexAuth } from "effect-plex-auth"
import { it } from "../support/it.js"
import account2026 from "../fixtures/account-2026-02.json" with { type: "json" }
import { expectRequests, failsWith, onlyRequest } from "../support/assertions.js"
import { env, TOKEN } from "../support/env.js"
import * as MockHttp from "../support/MockHttp.js"
import { accountBody } from "../support/operations.js"

const provide =
  (handler: MockHttp.Handler = () => MockHttp.json(200, accountBody)) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.provide(self, env(handler))

describe("getTokenDetails", () => {
  it.effect("decodes the account", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(account.id, 1234)
      assert.strictEqual(account.title, "Tester")
      assert.isUndefined(account.authToken)
    }).pipe(provide())
  )

  it.effect("sends GET https://plex.tv/api/v2/user with X-Plex-Token in a header, never in the URL", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      const request = yield* onlyRequest
      assert.strictEqual(request.method, "GET")
      assert.strictEqual(request.url.toString(), "https://plex.tv/api/v2/user")
      assert.strictEqual(request.headers["x-plex-token"], TOKEN)
      assert.strictEqual(request.headers["accept"], "application/json")
      assert.isUndefined(request.body)
      assert.notInclude(request.url.toString(), TOKEN)
    }).pipe(provide())
  )

  it.effect("the account's own authToken, when present, is Redacted", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.getTokenDetails()
      assert.isTrue(account.authToken !== undefined && Redacted.isRedacted(account.authToken))
      assert.strictEqual(account.authToken && Redacted.value(account.authToken), account2026.authToken)
      assert.strictEqual(account.locale, "en-GB")
      assert.strictEqual(account.mailingListStatus, "removed")
    }).pipe(provide(() => MockHttp.json(200, account2026)))
  )

  it.effect("Credentials.withToken sends another token for one call", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken("other-token-123"))
      yield* PlexAuth.getTokenDetails()
      const [first, second] = yield* expectRequests(2)
      assert.strictEqual(first!.headers["x-plex-token"], "other-token-123")
      assert.strictEqual(second!.headers["x-plex-token"], TOKEN)
    }).pipe(provide())
  )

  it.effect("Credentials.withToken with an invalid token fails with InvalidInput and sends nothing", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(
        PlexAuth.getTokenDetails().pipe(Credentials.withToken("has space")),
        "InvalidInput"
      )
      assert.strictEqual(error.field, "token")
      yield* expectRequests(0)
    }).pipe(provide())
  )

  it.effect("getTokenDetailsWithResponse returns status, headers and content type", () =>
    Effect.gen(function* () {
      const result = yield* PlexAuth.getTokenDetailsWithResponse()
      assert.strictEqual(result.status, 200)
      assert.strictEqual(result.contentType, "application/json")
      assert.strictEqual(result.headers["x-plex-protocol"], "1.0")
      assert.strictEqual(result.value.username, "tester")
    }).pipe(
      provide(() =>
        MockHttp.text(200, JSON.stringify(accountBody), "application/json", { "x-plex-protocol": "1.0" })
      )
    )
  )
})
