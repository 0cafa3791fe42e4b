import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigError, Effect, Layer } from "effect"
import { ClientIdentity, PlexAuth } from "effect-plex-auth"
import { failsWith, onlyRequest } from "./support/assertions.js"
import { CLIENT_ID, CredentialsLive, fromHeaderBytes, withEnv } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"
import { accountBody } from "./support/operations.js"

/** Builds the identity layer and returns what it provides (or its error). */
const build = <E>(layer: Layer.Layer<ClientIdentity.ClientIdentity, E>) =>
  Effect.provide(ClientIdentity.ClientIdentity, layer)

describe("ClientIdentity.make / layer", () => {
  it.effect("maps each field to its X-Plex-* header, leaving unset ones out", () =>
    Effect.gen(function* () {
      const identity = yield* build(
        ClientIdentity.layer({
          clientIdentifier: CLIENT_ID,
          product: "My Tool",
          version: "2.0",
          language: "en"
        })
      )
      assert.deepStrictEqual(identity.headers, {
        "X-Plex-Client-Identifier": CLIENT_ID,
        "X-Plex-Product": "My Tool",
        "X-Plex-Version": "2.0",
        "X-Plex-Language": "en"
      })
      assert.strictEqual(identity.clientIdentifier, CLIENT_ID)
      assert.strictEqual(identity.version, "2.0")
      assert.isUndefined(identity.platform)
    })
  )

  it.effect("non-ASCII values travel as their UTF-8 bytes; the input keeps the text", () =>
    Effect.gen(function* () {
      const name = "Wohnzimmer – Ünïcödé 📺"
      const identity = yield* ClientIdentity.make({
        clientIdentifier: CLIENT_ID,
        product: "Prödukt",
        deviceName: name
      })
      const header = identity.headers["X-Plex-Device-Name"]!
      assert.notStrictEqual(header, name)
      assert.isTrue(
        [...header].every((c) => c.charCodeAt(0) <= 0xff),
        "a byte string"
      )
      assert.strictEqual(fromHeaderBytes(header), name)
      assert.strictEqual(fromHeaderBytes(identity.headers["X-Plex-Product"]!), "Prödukt")
      assert.strictEqual(identity.deviceName, name)
      // fetch accepts it.
      assert.doesNotThrow(() => new globalThis.Headers(identity.headers))
    })
  )

  it.effect("the operations send the identity the layer was built with", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      const request = yield* onlyRequest
      assert.strictEqual(request.headers["x-plex-client-identifier"], "layer-id")
      assert.strictEqual(request.headers["x-plex-product"], "layer-product")
      assert.strictEqual(request.headers["x-plex-platform"], "Deno")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          MockHttp.layer(() => MockHttp.json(200, accountBody)),
          ClientIdentity.layer({ clientIdentifier: "layer-id", product: "layer-product", platform: "Deno" }),
          CredentialsLive
        ).pipe(Layer.orDie)
      )
    )
  )

  const invalid: ReadonlyArray<readonly [string, ClientIdentity.ClientIdentityInput, string]> = [
    ["an empty clientIdentifier", { clientIdentifier: "", product: "p" }, "clientIdentifier"],
    ["a whitespace clientIdentifier", { clientIdentifier: "  \t", product: "p" }, "clientIdentifier"],
    [
      "a clientIdentifier with a newline",
      { clientIdentifier: "abc\r\nX-Evil: 1", product: "p" },
      "clientIdentifier"
    ],
    ["a clientIdentifier with NUL", { clientIdentifier: "abc\u0000", product: "p" }, "clientIdentifier"],
    ["a clientIdentifier with DEL", { clientIdentifier: "abc\u007f", product: "p" }, "clientIdentifier"],
    ["a non-string clientIdentifier", { clientIdentifier: 42 as never, product: "p" }, "clientIdentifier"],
    ["a missing clientIdentifier", { product: "p" } as never, "clientIdentifier"],
    ["an empty product", { clientIdentifier: "id", product: "" }, "product"],
    [
      "a control character in an optional field",
      { clientIdentifier: "id", product: "p", deviceName: "a\tb" },
      "deviceName"
    ],
    [
      "an optional field set to an empty string",
      { clientIdentifier: "id", product: "p", version: "" },
      "version"
    ]
  ]
  for (const [name, input, field] of invalid) {
    it.effect(`${name} fails with InvalidInput`, () =>
      Effect.gen(function* () {
        const error = yield* failsWith(build(ClientIdentity.layer(input)), "InvalidInput")
        assert.strictEqual(error.field, field)
        assert.strictEqual(error.operation, "ClientIdentity")
      })
    )
  }

  it.effect("an invalid identity fails the program before any request is sent", () =>
    Effect.gen(function* () {
      const mock = MockHttp.layer(() => MockHttp.json(200, accountBody))
      const { error, requests } = yield* Effect.gen(function* () {
        const error = yield* Effect.flip(
          PlexAuth.getTokenDetails().pipe(
            Effect.provide(ClientIdentity.layer({ clientIdentifier: "", product: "p" })),
            Effect.provide(CredentialsLive)
          )
        )
        return { error, requests: yield* MockHttp.requests }
      }).pipe(Effect.provide(mock))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(requests.length, 0)
    })
  )
})

describe("ClientIdentity.layerConfig", () => {
  it.effect("reads PLEX_CLIENT_IDENTIFIER and friends; PLEX_PRODUCT defaults to effect-plex-auth", () =>
    Effect.gen(function* () {
      const identity = yield* build(ClientIdentity.layerConfig())
      assert.strictEqual(identity.clientIdentifier, "from-env")
      assert.strictEqual(identity.product, "effect-plex-auth")
      assert.strictEqual(identity.version, "9.9")
      assert.strictEqual(identity.platform, "Linux")
      assert.strictEqual(identity.platformVersion, "6.1")
      assert.strictEqual(identity.device, "PC")
      assert.strictEqual(identity.deviceName, "Büro")
      assert.strictEqual(fromHeaderBytes(identity.headers["X-Plex-Device-Name"]!), "Büro")
    }).pipe(
      withEnv({
        PLEX_CLIENT_IDENTIFIER: "from-env",
        PLEX_VERSION: "9.9",
        PLEX_PLATFORM: "Linux",
        PLEX_PLATFORM_VERSION: "6.1",
        PLEX_DEVICE: "PC",
        PLEX_DEVICE_NAME: "Büro"
      })
    )
  )

  it.effect("PLEX_PRODUCT overrides the default", () =>
    Effect.gen(function* () {
      const identity = yield* build(ClientIdentity.layerConfig())
      assert.strictEqual(identity.product, "Custom")
      assert.isUndefined(identity.version)
    }).pipe(withEnv({ PLEX_CLIENT_IDENTIFIER: "id", PLEX_PRODUCT: "Custom" }))
  )

  it.effect("a missing PLEX_CLIENT_IDENTIFIER is a ConfigError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(build(ClientIdentity.layerConfig()))
      assert.isTrue(ConfigError.isConfigError(error) && ConfigError.isMissingDataOnly(error))
      assert.include(String(error), "PLEX_CLIENT_IDENTIFIER")
    }).pipe(withEnv({}))
  )

  it.effect("an empty PLEX_CLIENT_IDENTIFIER is InvalidInput", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(build(ClientIdentity.layerConfig()))
      assert.strictEqual(error._tag, "InvalidInput")
    }).pipe(withEnv({ PLEX_CLIENT_IDENTIFIER: "" }))
  )

  it.effect("takes any Config of the identity", () =>
    Effect.gen(function* () {
      const identity = yield* build(
        ClientIdentity.layerConfig(
          Config.all({ clientIdentifier: Config.string("APP_ID"), product: Config.succeed("Fixed") })
        )
      )
      assert.deepStrictEqual(identity.headers, {
        "X-Plex-Client-Identifier": "app-7",
        "X-Plex-Product": "Fixed"
      })
    }).pipe(withEnv({ APP_ID: "app-7" }))
  )
})

describe("ClientIdentity.generateIdentifier", () => {
  it.effect("gives a fresh UUID each time", () =>
    Effect.gen(function* () {
      const a = yield* ClientIdentity.generateIdentifier
      const b = yield* ClientIdentity.generateIdentifier
      assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.notStrictEqual(a, b)
      const identity = yield* ClientIdentity.make({ clientIdentifier: a, product: "p" })
      assert.strictEqual(identity.headers["X-Plex-Client-Identifier"], a)
    })
  )
})
