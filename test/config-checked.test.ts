// Every `Config` the library exports checks what it reads as the layer reading it checks it (config36): a malformed
// value fails the `Config` with a `ConfigError` at its variable, whose message is the layer's `InvalidInput` reason,
// never the value (a URL may carry credentials or a token in its query), as `Jwt.hostConfig` does
// (test/Jwt/host.test.ts). And `ClientIdentity.makePersisted` refuses an empty or blank store key, as the credential
// stores do, and names the store's key when the identifier stored there cannot be sent. effect4/test/config-checked.test.ts asserts the same in the Effect 4 edition.
import { KeyValueStore } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option } from "effect"
import { ClientIdentity, PlexError, PlexTv } from "effect-plex-auth"
import { it } from "./support/it.js"

const withEnv = (entries: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))

/** What building `layer` fails with, under `entries`. */
const layerFailure = <A, E>(layer: Layer.Layer<A, E>, entries: Record<string, string>) =>
  Layer.build(layer).pipe(Effect.scoped, Effect.flip, withEnv(entries))

describe("PlexTv.config checks PLEX_TV_URL as PlexTv.layerConfig() does", () => {
  const malformed: ReadonlyArray<readonly [string, string]> = [
    ["ftp://plex.example", "must use http or https, not ftp"],
    ["https://plex.example/?X-Plex-Token=secret-token", "must not have a query string or fragment"],
    ["https://me:hunter2@plex.example", "must not embed credentials; use Credentials for the token"],
    ["plex.example", "is not an absolute URL (expected http(s)://host[:port])"]
  ]
  for (const [value, reason] of malformed) {
    it.effect(`${reason}: a ConfigError at PLEX_TV_URL with the layer's reason, never the value`, () =>
      Effect.gen(function* () {
        const entries = { PLEX_TV_URL: value }
        const layer = yield* layerFailure(PlexTv.layerConfig(), entries)
        assert.deepStrictEqual(
          layer,
          new PlexError.InvalidInput({ operation: "PlexTv.layerConfig", field: "PLEX_TV_URL", reason })
        )
        const config = yield* Effect.flip(PlexTv.config.pipe(withEnv(entries)))
        assert.strictEqual(config._tag, "ConfigError")
        assert.include(String(config), "PLEX_TV_URL")
        assert.include(String(config), reason)
        assert.notInclude(String(config), value)
        assert.notInclude(String(config), "secret-token")
        assert.notInclude(String(config), "hunter2")
        // Given PlexTv.config itself (as its JSDoc says), the layer fails with that Config's ConfigError.
        const given = yield* layerFailure(PlexTv.layerConfig(PlexTv.config), entries)
        assert.strictEqual(given._tag, "ConfigError")
        assert.include(String(given), reason)
      })
    )
  }

  it.effect(
    "reads the URL the layer uses: without /api/v2 or a trailing slash; unset or empty, plex.tv",
    () =>
      Effect.gen(function* () {
        const read = (entries: Record<string, string>) => PlexTv.config.pipe(withEnv(entries))
        assert.strictEqual(
          yield* read({ PLEX_TV_URL: " http://127.0.0.1:32401/api/v2/ " }),
          "http://127.0.0.1:32401"
        )
        assert.strictEqual(yield* read({}), "https://plex.tv")
        assert.strictEqual(yield* read({ PLEX_TV_URL: "" }), "https://plex.tv")
      })
  )
})

describe("ClientIdentity.config checks its variables as ClientIdentity.layerConfig() does", () => {
  const malformed: ReadonlyArray<readonly [string, string, string]> = [
    ["PLEX_CLIENT_IDENTIFIER", "   ", "must not be empty"],
    ["PLEX_PRODUCT", "my\u0001tool", "must not contain control characters"],
    ["PLEX_DEVICE_NAME", "living\u0007room", "must not contain control characters"],
    ["PLEX_PLATFORM_VERSION", "20\n.1", "must not contain control characters"]
  ]
  for (const [variable, value, reason] of malformed) {
    it.effect(`a malformed ${variable}: a ConfigError at it with the layer's reason, never the value`, () =>
      Effect.gen(function* () {
        const entries = { PLEX_CLIENT_IDENTIFIER: "client-id", [variable]: value }
        const layer = yield* layerFailure(ClientIdentity.layerConfig(), entries)
        // The whole error: its reason is the table's, not one that merely contains it.
        assert.deepStrictEqual(
          layer,
          new PlexError.InvalidInput({ operation: "ClientIdentity.layerConfig", field: variable, reason })
        )
        const config = yield* Effect.flip(ClientIdentity.config.pipe(withEnv(entries)))
        assert.strictEqual(config._tag, "ConfigError")
        assert.include(String(config), variable)
        assert.include(String(config), (layer as { reason: string }).reason)
        // (A blank value has nothing of its own to leak.)
        if (value.trim() !== "") assert.notInclude(String(config), value)
        // Given ClientIdentity.config itself (as its JSDoc says), the layer fails with that Config's ConfigError.
        const given = yield* layerFailure(ClientIdentity.layerConfig(ClientIdentity.config), entries)
        assert.strictEqual(given._tag, "ConfigError")
      })
    )
  }

  it.effect("reads the values the layer uses (spaces around them dropped), not the runtime's defaults", () =>
    Effect.gen(function* () {
      const read = yield* ClientIdentity.config.pipe(
        withEnv({ PLEX_CLIENT_IDENTIFIER: " client-id ", PLEX_DEVICE_NAME: " Living Room " })
      )
      assert.deepStrictEqual(read, {
        clientIdentifier: "client-id",
        product: "effect-plex-auth",
        deviceName: "Living Room"
      })
      // What the layer builds from that Config is what layerConfig() builds from the variables.
      const entries = { PLEX_CLIENT_IDENTIFIER: " client-id ", PLEX_DEVICE_NAME: " Living Room " }
      const viaConfig = yield* Effect.provide(
        ClientIdentity.ClientIdentity,
        ClientIdentity.layerConfig(ClientIdentity.config)
      ).pipe(withEnv(entries))
      const direct = yield* Effect.provide(ClientIdentity.ClientIdentity, ClientIdentity.layerConfig()).pipe(
        withEnv(entries)
      )
      assert.deepStrictEqual(viaConfig, direct)
    })
  )
})

describe("ClientIdentity.makePersisted refuses an empty or blank key", () => {
  for (const key of ["", "  "]) {
    it.effect(`key ${JSON.stringify(key)}: InvalidInput before the store is read or written`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(ClientIdentity.makePersisted({ product: "p" }, { key }))
        assert.deepStrictEqual(
          error,
          new PlexError.InvalidInput({
            operation: "ClientIdentity.makePersisted",
            field: "key",
            reason: "must not be empty"
          })
        )
        const store = yield* KeyValueStore.KeyValueStore
        assert.strictEqual(yield* store.size, 0)
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
    )
  }
})

describe("ClientIdentity.makePersisted given a stored identifier it cannot send", () => {
  // Made by hand or by another program: the store's identifier is the one Plex knows the app by, so it is not replaced
  // (a new device, silently); the error says where it came from, as the caller gave none.
  for (const [stored, reason] of [
    ["id-\u0007-bell", "must not contain control characters"],
    ["x".repeat(1025), "must be at most 1024 characters long"]
  ] as const) {
    it.effect(`${reason}: InvalidInput of makePersisted naming the key, and the store left as it is`, () =>
      Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        yield* store.set(ClientIdentity.defaultStoreKey, stored)
        const error = yield* Effect.flip(ClientIdentity.makePersisted({ product: "p" }))
        assert.deepStrictEqual(
          error,
          new PlexError.InvalidInput({
            operation: "ClientIdentity.makePersisted",
            field: "clientIdentifier",
            reason: `${reason} (the one kept under the store's key "${ClientIdentity.defaultStoreKey}": correct it there, or remove it to have a new one made, which Plex takes for a new device)`
          })
        )
        assert.notInclude(error.message, stored)
        assert.strictEqual(Option.getOrUndefined(yield* store.get(ClientIdentity.defaultStoreKey)), stored)
        assert.strictEqual(yield* store.size, 1)
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
    )
  }

  it.effect("an identity field of the caller's keeps the error of ClientIdentity.make", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(ClientIdentity.makePersisted({ product: "p\u0007" }))
      assert.deepStrictEqual(
        error,
        new PlexError.InvalidInput({
          operation: "ClientIdentity",
          field: "product",
          reason: "must not contain control characters"
        })
      )
    }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )
})
