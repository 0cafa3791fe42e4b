import { assert, describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { PlexAuth } from "effect-plex-auth"
import { it } from "../support/it.js"
import resources from "../fixtures/security-resources-2026-02.json" with { type: "json" }
import { expectRequests, failsWith, onlyRequest } from "../support/assertions.js"
import { env, TOKEN } from "../support/env.js"
import * as MockHttp from "../support/MockHttp.js"
import { SOURCE } from "../support/operations.js"

const provide =
  (handler: MockHttp.Handler = () => MockHttp.json(200, resources)) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.provide(self, env(handler))

const device = (extra: Record<string, unknown>) => ({
  MediaContainer: { Device: { clientIdentifier: "abc", ...extra } }
})

describe("getSourceConnectionInformation", () => {
  it.effect("decodes the 2026-02 body: device, Redacted access token, connections", () =>
    Effect.gen(function* () {
      const info = yield* PlexAuth.getSourceConnectionInformation({ source: SOURCE })
      assert.strictEqual(info.clientIdentifier, "0123456789abcdef0123456789abcdef")
      assert.strictEqual(info.name, "Living Room Server")
      assert.isTrue(info.accessToken !== undefined && Redacted.isRedacted(info.accessToken))
      assert.strictEqual(info.accessToken && Redacted.value(info.accessToken), "srcTok-9Kd3mN7pQ2")
      assert.deepStrictEqual(
        info.connections.map((c) => [c.uri, c.local, c.relay, c.port]),
        resources.MediaContainer.Device.Connection.map((c) => [c.uri, c.local, c.relay, c.port])
      )
    }).pipe(provide())
  )

  it.effect("sends GET /security/resources?source=... with the token", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getSourceConnectionInformation({ source: SOURCE })
      const request = yield* onlyRequest
      assert.strictEqual(request.method, "GET")
      assert.strictEqual(request.url.origin, "http://127.0.0.1:32400")
      assert.strictEqual(request.url.pathname, "/security/resources")
      assert.deepStrictEqual([...request.url.searchParams], [["source", SOURCE]])
      assert.strictEqual(request.headers["x-plex-token"], TOKEN)
    }).pipe(provide())
  )

  it.effect("refresh: true adds refresh=1; false leaves it out; provider:// sources are accepted", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getSourceConnectionInformation({ source: SOURCE, refresh: true })
      yield* PlexAuth.getSourceConnectionInformation({
        source: "provider://tv.plex.provider.epg",
        refresh: false
      })
      const [first, second] = yield* expectRequests(2)
      assert.deepStrictEqual(
        [...first!.url.searchParams],
        [
          ["source", SOURCE],
          ["refresh", "1"]
        ]
      )
      assert.deepStrictEqual([...second!.url.searchParams], [["source", "provider://tv.plex.provider.epg"]])
    }).pipe(provide())
  )

  it.effect("a Device sent as a one-element array is accepted", () =>
    Effect.gen(function* () {
      const info = yield* PlexAuth.getSourceConnectionInformation({ source: SOURCE })
      assert.strictEqual(info.clientIdentifier, "from-array")
    }).pipe(
      provide(() => MockHttp.json(200, { MediaContainer: { Device: [{ clientIdentifier: "from-array" }] } }))
    )
  )

  it.effect("a Connection sent as a single object is read as a list of one", () =>
    Effect.gen(function* () {
      const info = yield* PlexAuth.getSourceConnectionInformation({ source: SOURCE })
      assert.deepStrictEqual(
        info.connections.map((c) => c.uri),
        ["http://10.0.0.2:32400"]
      )
    }).pipe(
      provide(() => MockHttp.json(200, device({ Connection: { uri: "http://10.0.0.2:32400", local: "1" } })))
    )
  )

  it.effect("invalid connection entries are dropped, valid ones kept", () =>
    Effect.gen(function* () {
      const info = yield* PlexAuth.getSourceConnectionInformation({ source: SOURCE })
      assert.deepStrictEqual(
        info.connections.map((c) => c.uri),
        ["http://10.0.0.2:32400", "https://relay.example:8443"]
      )
    }).pipe(
      provide(() =>
        MockHttp.json(
          200,
          device({
            Connection: [
              { uri: "http://10.0.0.2:32400" },
              null,
              { address: "10.0.0.3" },
              "http://not-an-object",
              { uri: 42 },
              { uri: "https://relay.example:8443", relay: 1 }
            ]
          })
        )
      )
    )
  )

  it.effect("a missing or null Connection decodes as no connections; no accessToken is absent", () =>
    Effect.gen(function* () {
      const missing = yield* PlexAuth.getSourceConnectionInformation({ source: SOURCE })
      const nulled = yield* PlexAuth.getSourceConnectionInformation({ source: SOURCE })
      assert.deepStrictEqual(missing.connections, [])
      assert.deepStrictEqual(nulled.connections, [])
      assert.isUndefined(missing.accessToken)
    }).pipe(
      provide(
        MockHttp.sequence(
          () => MockHttp.json(200, device({})),
          () => MockHttp.json(200, device({ Connection: null, accessToken: null }))
        )
      )
    )
  )

  it.effect("getSourceConnectionInformationWithResponse returns status, headers and content type", () =>
    Effect.gen(function* () {
      const result = yield* PlexAuth.getSourceConnectionInformationWithResponse({ source: SOURCE })
      assert.strictEqual(result.status, 200)
      assert.strictEqual(result.contentType, "application/json; charset=utf-8")
      assert.strictEqual(result.value.clientIdentifier, resources.MediaContainer.Device.clientIdentifier)
      assert.strictEqual(result.headers["content-type"], "application/json; charset=utf-8")
    }).pipe(provide())
  )

  for (const source of [
    "0123456789abcdef",
    "server:/abc",
    "://abc",
    "server://",
    "server://a b",
    "server://abc/extra",
    ""
  ]) {
    it.effect(`source ${JSON.stringify(source)} fails with InvalidInput and sends nothing`, () =>
      Effect.gen(function* () {
        const error = yield* failsWith(PlexAuth.getSourceConnectionInformation({ source }), "InvalidInput")
        assert.strictEqual(error.field, "source")
        yield* expectRequests(0)
      }).pipe(provide())
    )
  }
})
