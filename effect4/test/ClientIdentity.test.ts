/**
 * The Effect 4 edition of test/ClientIdentity.test.ts: the X-Plex-* headers
 * from values, config, the runtime and a KeyValueStore, as the operations
 * send them. The header building itself is shared (src/core/identity.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as KeyValueStore from "effect/persistence/KeyValueStore"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import { FakePlex } from "effect4-plex-auth/testing"

const CLIENT_ID = "3381b62b-9ab7-4e37-827b-203e9809eb58"

/** Builds the identity layer and returns what it provides (or its error). */
const build = <E>(layer: Layer.Layer<ClientIdentity.ClientIdentity, E>) =>
  Effect.provide(Effect.service(ClientIdentity.ClientIdentity), layer)

const withEnv = (env: Record<string, string>) =>
  Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))

/** A header's byte string read back as UTF-8. */
const fromHeaderBytes = (header: string) =>
  new TextDecoder().decode(Uint8Array.from([...header], (c) => c.charCodeAt(0)))

describe("ClientIdentity.make / layer", () => {
  it.effect("maps each field to its X-Plex-* header, leaving unset ones out (runtimeDefaults: false)", () =>
    Effect.gen(function* () {
      const identity = yield* build(
        ClientIdentity.layer({
          clientIdentifier: CLIENT_ID,
          product: "My Tool",
          version: "2.0",
          language: "en",
          runtimeDefaults: false
        })
      )
      assert.deepStrictEqual(identity.headers, {
        "X-Plex-Client-Identifier": CLIENT_ID,
        "X-Plex-Product": "My Tool",
        "X-Plex-Version": "2.0",
        "X-Plex-Language": "en"
      })
      assert.strictEqual(identity.clientIdentifier, CLIENT_ID)
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
      assert.strictEqual(fromHeaderBytes(header), name)
      assert.strictEqual(identity.deviceName, name)
      assert.doesNotThrow(() => new globalThis.Headers(identity.headers))
    })
  )

  it.effect("the operations send the identity the layer was built with", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      const [request] = yield* FakePlex.requests
      assert.strictEqual(request?.headers["x-plex-client-identifier"], CLIENT_ID)
      assert.strictEqual(request?.headers["x-plex-product"], "Sender")
      assert.strictEqual(request?.headers["x-plex-device-name"], "Den")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          ClientIdentity.layer({ clientIdentifier: CLIENT_ID, product: "Sender", deviceName: "Den" }),
          Credentials.layer(FakePlex.defaults.token),
          FakePlex.layer()
        ).pipe(Layer.orDie)
      )
    )
  )

  it.effect("an invalid identity is InvalidInput naming the field; untyped input never throws", () =>
    Effect.gen(function* () {
      const cases = [
        [{ clientIdentifier: "", product: "p" }, "clientIdentifier"],
        [{ clientIdentifier: "id", product: "  " }, "product"],
        [{ clientIdentifier: "id", product: "p", deviceName: "a\r\nX-Evil: 1" }, "deviceName"],
        [{ clientIdentifier: "id", product: "p", version: "x".repeat(1025) }, "version"],
        [null as unknown as ClientIdentity.ClientIdentityInput, "input"]
      ] as const
      for (const [input, field] of cases) {
        const error = yield* Effect.flip(ClientIdentity.make(input))
        assert.strictEqual(error._tag, "InvalidInput")
        assert.strictEqual(error.field, field)
      }
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
      assert.strictEqual(identity.deviceName, "Büro")
    }).pipe(withEnv({ PLEX_CLIENT_IDENTIFIER: "from-env", PLEX_VERSION: "9.9", PLEX_DEVICE_NAME: "Büro" }))
  )

  it.effect(
    "a missing PLEX_CLIENT_IDENTIFIER is a ConfigError; an empty one kept by the provider is InvalidInput",
    () =>
      Effect.gen(function* () {
        const missing = yield* Effect.flip(build(ClientIdentity.layerConfig()).pipe(withEnv({})))
        assert.instanceOf(missing, Config.ConfigError)
        // Effect 4's environment provider reads an empty variable as unset unless told to keep it.
        const empty = yield* Effect.flip(
          build(ClientIdentity.layerConfig()).pipe(
            Effect.provide(
              ConfigProvider.layer(
                ConfigProvider.fromEnv({ env: { PLEX_CLIENT_IDENTIFIER: "" }, preserveEmptyStrings: true })
              )
            )
          )
        )
        assert.strictEqual((empty as { _tag?: string })._tag, "InvalidInput")
      })
  )
})

describe("ClientIdentity.generateIdentifier / layerPersisted", () => {
  it.effect("gives a fresh UUID each time", () =>
    Effect.gen(function* () {
      const a = yield* ClientIdentity.generateIdentifier
      const b = yield* ClientIdentity.generateIdentifier
      assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.notStrictEqual(a, b)
    })
  )

  it.effect("layerPersisted generates the identifier once and keeps it in the store", () =>
    Effect.gen(function* () {
      const first = yield* ClientIdentity.makePersisted({ product: "p" })
      const second = yield* ClientIdentity.makePersisted({ product: "p" })
      assert.strictEqual(first.clientIdentifier, second.clientIdentifier)
      const store = yield* Effect.service(KeyValueStore.KeyValueStore)
      assert.strictEqual(yield* store.get(ClientIdentity.defaultStoreKey), first.clientIdentifier)
    }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )
})

describe("ClientIdentity runtime defaults", () => {
  it("on Node: the OS as platform and device, the runtime as model", () => {
    const here = ClientIdentity.runtimeDefaults({
      process: { versions: { node: "22.1.0" }, platform: "linux", env: { HOSTNAME: "box" } }
    })
    assert.strictEqual(here.platform, "Linux")
    assert.strictEqual(here.device, "Linux")
    assert.strictEqual(here.deviceName, "box")
    assert.strictEqual(here.model, "Node.js 22.1.0")
    assert.strictEqual(here.provides, "controller")
    assert.strictEqual(here.version, ClientIdentity.libraryVersion)
  })

  it("in a browser: the browser as platform and the OS as device", () => {
    const ua =
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
    const here = ClientIdentity.runtimeDefaults({ navigator: { userAgent: ua } })
    assert.strictEqual(here.platform, "Chrome")
    assert.strictEqual(here.platformVersion, "120.0.0.0")
    assert.strictEqual(here.device, "Windows")
  })

  it.effect("make fills what is unset from this runtime; what is set wins", () =>
    Effect.gen(function* () {
      const identity = yield* ClientIdentity.make({
        clientIdentifier: CLIENT_ID,
        product: "p",
        deviceName: "Mine"
      })
      assert.strictEqual(identity.deviceName, "Mine")
      assert.match(identity.model ?? "", /^Node\.js /)
      assert.strictEqual(identity.headers["X-Plex-Provides"], "controller")
    })
  )
})
