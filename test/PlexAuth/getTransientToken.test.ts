import { assert, describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { PlexAuth } from "effect-plex-auth"
import { it } from "../support/it.js"
import tokenFixture from "../fixtures/security-token-2026-02.json" with { type: "json" }
import { expectRequests, failsWith, onlyRequest } from "../support/assertions.js"
import { env, ISSUED_TOKEN, TOKEN } from "../support/env.js"
import * as MockHttp from "../support/MockHttp.js"

const provide =
  (handler: MockHttp.Handler = () => MockHttp.json(200, { MediaContainer: { token: ISSUED_TOKEN } })) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.provide(self, env(handler))

describe("getTransientToken", () => {
  it.effect("returns the token Redacted", () =>
    Effect.gen(function* () {
      const result = yield* PlexAuth.getTransientToken({ type: "delegation", scope: "all" })
      assert.isTrue(Redacted.isRedacted(result.token))
      assert.strictEqual(Redacted.value(result.token), ISSUED_TOKEN)
    }).pipe(provide())
  )

  it.effect("sends POST /security/token?type=delegation&scope=all to the server with the token", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTransientToken({ type: "delegation", scope: "all" })
      const request = yield* onlyRequest
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.url.origin, "http://127.0.0.1:32400")
      assert.strictEqual(request.url.pathname, "/security/token")
      assert.strictEqual(request.url.search, "?type=delegation&scope=all")
      assert.strictEqual(request.headers["x-plex-token"], TOKEN)
      assert.strictEqual(request.headers["accept"], "application/json")
    }).pipe(provide())
  )

  it.effect("the arguments default to delegation/all", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTransientToken()
      yield* PlexAuth.getTransientToken({})
      const requests = yield* expectRequests(2)
      for (const request of requests) assert.strictEqual(request.url.search, "?type=delegation&scope=all")
    }).pipe(provide())
  )

  it.effect("decodes the 2026-02 body (MediaContainer with size), extra fields ignored", () =>
    Effect.gen(function* () {
      const result = yield* PlexAuth.getTransientToken()
      assert.strictEqual(Redacted.value(result.token), tokenFixture.MediaContainer.token)
    }).pipe(provide(() => MockHttp.json(200, tokenFixture)))
  )

  it.effect("getTransientTokenWithResponse returns status, headers and content type", () =>
    Effect.gen(function* () {
      const result = yield* PlexAuth.getTransientTokenWithResponse()
      assert.strictEqual(result.status, 200)
      assert.strictEqual(result.contentType, "application/json; charset=utf-8")
      assert.strictEqual(result.headers["x-plex-protocol"], "1.0")
      assert.strictEqual(Redacted.value(result.value.token), ISSUED_TOKEN)
    }).pipe(
      provide(() =>
        MockHttp.json(200, { MediaContainer: { token: ISSUED_TOKEN } }, { "x-plex-protocol": "1.0" })
      )
    )
  )

  for (const [name, input, field] of [
    ["a type other than delegation", { type: "shared" }, "type"],
    ["a scope other than all", { scope: "library" }, "scope"]
  ] as const) {
    it.effect(`${name} fails with InvalidInput and sends nothing`, () =>
      Effect.gen(function* () {
        const error = yield* failsWith(PlexAuth.getTransientToken(input as never), "InvalidInput")
        assert.strictEqual(error.field, field)
        assert.strictEqual(error.operation, "PlexAuth.getTransientToken")
        yield* expectRequests(0)
      }).pipe(provide())
    )
  }
})
