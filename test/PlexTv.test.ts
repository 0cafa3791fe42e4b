import { assert, describe } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer } from "effect"
import { PlexAuth, PlexTv } from "effect-plex-auth"
import type { InvalidInput } from "effect-plex-auth/PlexError"
import { it } from "./support/it.js"
import { expectRequests, failsWith, onlyRequest } from "./support/assertions.js"
import { env, ISSUED_TOKEN, PASSWORD } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"
import { accountBody } from "./support/operations.js"

const account = () => MockHttp.json(200, accountBody)
const signedIn = () => MockHttp.json(201, { ...accountBody, authToken: ISSUED_TOKEN })

describe("PlexTv", () => {
  it("defaults to https://plex.tv", () => {
    assert.strictEqual(PlexTv.defaultUrl, "https://plex.tv")
  })

  it.effect("the plex.tv operations go to https://plex.tv by default", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      yield* PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD })
      const requests = yield* expectRequests(2)
      for (const request of requests) assert.strictEqual(request.url.origin, "https://plex.tv")
    }).pipe(Effect.provide(env((r) => (r.method === "POST" ? signedIn() : account()))))
  )

  it.effect("PlexTv.layer points every plex.tv operation elsewhere (loopback fake)", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      yield* PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD })
      const requests = yield* expectRequests(2)
      assert.deepStrictEqual(
        requests.map((r) => r.url.toString()),
        ["http://127.0.0.1:8765/api/v2/user", "http://127.0.0.1:8765/api/v2/users/signin"]
      )
    }).pipe(
      Effect.provide(
        Layer.merge(
          env((r) => (r.method === "POST" ? signedIn() : account())),
          PlexTv.layer("http://127.0.0.1:8765/")
        )
      )
    )
  )

  it.effect("a trailing /api/v2 is dropped (the operations add it)", () =>
    Effect.gen(function* () {
      const tv = yield* PlexTv.make("https://clients.plex.tv/api/v2/")
      assert.strictEqual(tv.url, "https://clients.plex.tv")
      yield* PlexAuth.getTokenDetails().pipe(PlexTv.withUrl("https://clients.plex.tv/api/v2"))
      assert.strictEqual((yield* onlyRequest).url.toString(), "https://clients.plex.tv/api/v2/user")
    }).pipe(Effect.provide(env(account)))
  )

  it.effect("PlexTv.withUrl points one call elsewhere; the next goes to plex.tv again", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails().pipe(PlexTv.withUrl("http://127.0.0.1:9000"))
      yield* PlexTv.withUrl(PlexAuth.getTokenDetails(), "http://127.0.0.1:9001")
      yield* PlexAuth.getTokenDetails()
      const requests = yield* expectRequests(3)
      assert.deepStrictEqual(
        requests.map((r) => r.url.origin),
        ["http://127.0.0.1:9000", "http://127.0.0.1:9001", "https://plex.tv"]
      )
    }).pipe(Effect.provide(env(account)))
  )

  it.effect("withUrl beats the layer", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails().pipe(PlexTv.withUrl("http://127.0.0.1:9002"))
      assert.strictEqual((yield* onlyRequest).url.origin, "http://127.0.0.1:9002")
    }).pipe(Effect.provide(Layer.merge(env(account), PlexTv.layer("http://127.0.0.1:8765"))))
  )

  for (const url of ["plex.tv", "ftp://plex.tv", "https://me:pw@plex.tv", "https://plex.tv/?a=1", ""]) {
    it.effect(`withUrl(${JSON.stringify(url)}) fails with InvalidInput and sends nothing`, () =>
      Effect.gen(function* () {
        const error = yield* failsWith(PlexAuth.getTokenDetails().pipe(PlexTv.withUrl(url)), "InvalidInput")
        assert.strictEqual(error.operation, "PlexTv")
        yield* expectRequests(0)
      }).pipe(Effect.provide(env(account)))
    )
  }

  it.effect("an invalid PlexTv.layer fails when built", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Effect.provide(Effect.void, PlexTv.layer("nope")))
      assert.strictEqual(error._tag, "InvalidInput")
    })
  )

  it("PlexTv.layer says what it provides: Layer<PlexTv, InvalidInput>, not Layer<never>", () => {
    // Fails to compile when layer is typed Layer<never, ...> (a layer's output is contravariant).
    const provides: Layer.Layer<PlexTv.PlexTv, InvalidInput> = PlexTv.layer("http://127.0.0.1:8765")
    assert.isTrue(Layer.isLayer(provides))
  })

  const fromEnv = (entries: ReadonlyArray<readonly [string, string]>) =>
    Layer.setConfigProvider(ConfigProvider.fromMap(new Map(entries)))

  it.effect("PlexTv.layerConfig reads PLEX_TV_URL: an unchanged program talks to another plex.tv", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      assert.strictEqual((yield* onlyRequest).url.toString(), "http://127.0.0.1:8766/api/v2/user")
    }).pipe(
      Effect.provide(
        Layer.merge(
          env(account),
          PlexTv.layerConfig().pipe(Layer.provide(fromEnv([["PLEX_TV_URL", "http://127.0.0.1:8766/"]])))
        )
      )
    )
  )

  for (const entries of [[], [["PLEX_TV_URL", ""]]] as const) {
    it.effect(
      `PlexTv.layerConfig with ${entries.length === 0 ? "no" : "an empty"} PLEX_TV_URL keeps https://plex.tv`,
      () =>
        Effect.gen(function* () {
          yield* PlexAuth.getTokenDetails()
          assert.strictEqual((yield* onlyRequest).url.origin, "https://plex.tv")
        }).pipe(
          Effect.provide(
            Layer.merge(env(account), PlexTv.layerConfig().pipe(Layer.provide(fromEnv(entries))))
          )
        )
    )
  }

  it.effect(
    "PlexTv.layerConfig with a malformed PLEX_TV_URL fails with InvalidInput naming it when built",
    () =>
      Effect.gen(function* () {
        const built = (layer: ReturnType<typeof PlexTv.layerConfig>) =>
          Effect.flip(
            Effect.provide(Effect.void, layer.pipe(Layer.provide(fromEnv([["PLEX_TV_URL", "plex.tv"]]))))
          ).pipe(Effect.map((error) => (error._tag === "InvalidInput" ? error : assert.fail(String(error)))))
        const error = yield* built(PlexTv.layerConfig())
        assert.strictEqual(error._tag, "InvalidInput")
        assert.deepInclude(error, { operation: "PlexTv.layerConfig", field: "PLEX_TV_URL" })
        assert.strictEqual(
          error.message,
          "PlexTv.layerConfig: invalid PLEX_TV_URL: is not an absolute URL (expected http(s)://host[:port])"
        )
        // A Config of the caller's: its key is not known, so the URL is reported as PlexTv.make does.
        const given = yield* built(PlexTv.layerConfig(Config.string("PLEX_TV_URL")))
        assert.strictEqual(
          given.message,
          "PlexTv: invalid url: is not an absolute URL (expected http(s)://host[:port])"
        )
      })
  )
})
