import { KeyValueStore } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { Config, ConfigError, Effect, Layer } from "effect"
import { vi } from "vitest"
import { ClientIdentity, PinLogin, PlexAuth } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { it } from "./support/it.js"
import { failsWith, onlyRequest } from "./support/assertions.js"
import { CLIENT_ID, CredentialsLive, fromHeaderBytes, withEnv } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"
import { accountBody } from "./support/operations.js"

/** Builds the identity layer and returns what it provides (or its error). */
const build = <E>(layer: Layer.Layer<ClientIdentity.ClientIdentity, E>) =>
  Effect.provide(ClientIdentity.ClientIdentity, layer)

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

  it.effect(
    "spaces around a value are dropped, as HTTP drops them: the app.plex.tv link names the client plex.tv saw",
    () => {
      const IdentityLive = ClientIdentity.layer({
        clientIdentifier: "  my-device ",
        product: "My Tool ",
        deviceName: " Living Room",
        runtimeDefaults: false
      })
      return Effect.gen(function* () {
        const identity = yield* build(IdentityLive)
        assert.deepStrictEqual(
          [identity.clientIdentifier, identity.product, identity.deviceName],
          ["my-device", "My Tool", "Living Room"]
        )
        const pin = yield* PinLogin.create()
        const link = new URL(yield* PinLogin.authUrl(pin))
        const params = new URLSearchParams(link.hash.replace(/^#\?/, ""))
        const [created] = yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.pins)
        // plex.tv's PIN belongs to the identifier its header carried, without the spaces.
        assert.strictEqual(created?.clientIdentifier, "my-device")
        assert.strictEqual(params.get("clientID"), created?.clientIdentifier)
        assert.strictEqual(params.get("context[device][product]"), "My Tool")
        assert.strictEqual(params.get("context[device][deviceName]"), "Living Room")
      }).pipe(Effect.provide(Layer.merge(IdentityLive, FakePlex.layer())))
    }
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
      assert.strictEqual(identity.version, ClientIdentity.libraryVersion, "the runtime default")
    }).pipe(withEnv({ PLEX_CLIENT_IDENTIFIER: "id", PLEX_PRODUCT: "Custom" }))
  )

  it.effect("a missing PLEX_CLIENT_IDENTIFIER is a ConfigError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(build(ClientIdentity.layerConfig()))
      assert.isTrue(ConfigError.isConfigError(error) && ConfigError.isMissingDataOnly(error))
      assert.include(String(error), "PLEX_CLIENT_IDENTIFIER")
    }).pipe(withEnv({}))
  )

  // Unset, as on Effect 4 (config-empty.test.ts); a blank one is a value, refused naming the variable.
  it.effect(
    "an empty PLEX_CLIENT_IDENTIFIER is a ConfigError, as a missing one; a blank one is InvalidInput",
    () =>
      Effect.gen(function* () {
        const empty = yield* Effect.flip(build(ClientIdentity.layerConfig())).pipe(
          withEnv({ PLEX_CLIENT_IDENTIFIER: "" })
        )
        assert.isTrue(ConfigError.isConfigError(empty) && ConfigError.isMissingDataOnly(empty), String(empty))
        assert.include(String(empty), "PLEX_CLIENT_IDENTIFIER")
        const blank = yield* Effect.flip(build(ClientIdentity.layerConfig())).pipe(
          withEnv({ PLEX_CLIENT_IDENTIFIER: "  " })
        )
        assert.strictEqual(blank._tag, "InvalidInput")
        assert.strictEqual(
          blank.message,
          "ClientIdentity.layerConfig: invalid PLEX_CLIENT_IDENTIFIER: must not be empty"
        )
      })
  )

  it.effect("a malformed variable is InvalidInput naming it; from a Config of the caller's, the field", () =>
    Effect.gen(function* () {
      const invalid = (layer: ReturnType<typeof ClientIdentity.layerConfig>, env: Record<string, string>) =>
        Effect.flip(build(layer)).pipe(
          withEnv(env),
          Effect.map((error) => (error._tag === "InvalidInput" ? error : assert.fail(String(error))))
        )
      for (const variable of [
        "PLEX_CLIENT_IDENTIFIER",
        "PLEX_PRODUCT",
        "PLEX_VERSION",
        "PLEX_PLATFORM",
        "PLEX_PLATFORM_VERSION",
        "PLEX_DEVICE",
        "PLEX_DEVICE_NAME"
      ]) {
        const error = yield* invalid(ClientIdentity.layerConfig(), {
          PLEX_CLIENT_IDENTIFIER: "id",
          [variable]: "bad\u0007value"
        })
        assert.deepInclude(error, { operation: "ClientIdentity.layerConfig", field: variable })
        assert.strictEqual(
          error.message,
          `ClientIdentity.layerConfig: invalid ${variable}: must not contain control characters`
        )
      }
      const given = yield* invalid(
        ClientIdentity.layerConfig(
          Config.all({ clientIdentifier: Config.string("APP_ID"), product: Config.succeed("p") })
        ),
        { APP_ID: "bad\u0007value" }
      )
      assert.strictEqual(
        given.message,
        "ClientIdentity: invalid clientIdentifier: must not contain control characters"
      )
    })
  )

  it.effect("takes any Config of the identity", () =>
    Effect.gen(function* () {
      const identity = yield* build(
        ClientIdentity.layerConfig(
          Config.all({ clientIdentifier: Config.string("APP_ID"), product: Config.succeed("Fixed") })
        )
      )
      assert.strictEqual(identity.headers["X-Plex-Client-Identifier"], "app-7")
      assert.strictEqual(identity.headers["X-Plex-Product"], "Fixed")
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

  it.effect(
    "works where crypto.randomUUID is missing (a page served over plain http): layerPersisted's first run too",
    () =>
      Effect.gen(function* () {
        // A page over http (a LAN app at http://192.168.1.10:8080) is no secure context: its `crypto` has
        // `getRandomValues` but no `randomUUID`.
        const webCrypto = globalThis.crypto
        vi.stubGlobal("crypto", {
          getRandomValues: (array: Uint8Array<ArrayBuffer>) => webCrypto.getRandomValues(array)
        })
        const a = yield* ClientIdentity.generateIdentifier
        const b = yield* ClientIdentity.generateIdentifier
        assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
        assert.notStrictEqual(a, b)
        const first = yield* ClientIdentity.makePersisted({ product: "p" })
        assert.match(
          first.clientIdentifier,
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
        )
        const again = yield* ClientIdentity.makePersisted({ product: "p" })
        assert.strictEqual(again.clientIdentifier, first.clientIdentifier)
      }).pipe(
        Effect.provide(KeyValueStore.layerMemory),
        Effect.ensuring(Effect.sync(() => vi.unstubAllGlobals()))
      )
  )
})

describe("ClientIdentity runtime defaults (issue 14 item 2)", () => {
  const node = {
    process: {
      versions: { node: "20.11.1" },
      platform: "linux",
      env: {},
      getBuiltinModule: (name: string) =>
        name === "os" ? { release: () => "6.8.0-45-generic", hostname: () => "media-box" } : undefined
    }
  }

  it("on Node: the OS as platform and device, its release, the host name, the runtime as model", () => {
    assert.deepStrictEqual(ClientIdentity.runtimeDefaults(node), {
      provides: "controller",
      version: ClientIdentity.libraryVersion,
      platform: "Linux",
      platformVersion: "6.8.0-45-generic",
      device: "Linux",
      deviceName: "media-box",
      model: "Node.js 20.11.1"
    })
    // Without process.getBuiltinModule (Node before 20.16), the host name comes from the environment.
    const older = {
      process: { versions: { node: "20.10.0" }, platform: "win32", env: { COMPUTERNAME: "DESK" } }
    }
    const defaults = ClientIdentity.runtimeDefaults(older)
    assert.strictEqual(defaults.platform, "Windows")
    assert.strictEqual(defaults.deviceName, "DESK")
    assert.isUndefined(defaults.platformVersion)
  })

  it("on Bun and Deno; a Deno without permission for hostname leaves it out", () => {
    const bun = ClientIdentity.runtimeDefaults({
      Bun: { version: "1.1.30" },
      process: { versions: { node: "22.6.0", bun: "1.1.30" }, platform: "darwin", env: { HOSTNAME: "mac" } }
    })
    assert.strictEqual(bun.model, "Bun 1.1.30")
    assert.strictEqual(bun.platform, "Darwin")
    assert.strictEqual(bun.deviceName, "mac")
    const deno = ClientIdentity.runtimeDefaults({
      Deno: {
        version: { deno: "2.0.0" },
        build: { os: "linux" },
        osRelease: () => "6.1.0",
        hostname: () => {
          throw new Error("Requires sys access")
        }
      }
    })
    assert.deepStrictEqual(deno, {
      provides: "controller",
      version: ClientIdentity.libraryVersion,
      platform: "Linux",
      platformVersion: "6.1.0",
      device: "Linux",
      deviceName: undefined,
      model: "Deno 2.0.0"
    })
  })

  it("in a browser: the browser as platform (as Plex Web sends it) and the OS as device", () => {
    const chrome = ClientIdentity.runtimeDefaults({
      navigator: {
        userAgent:
          "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36"
      }
    })
    assert.deepStrictEqual(chrome, {
      provides: "controller",
      version: ClientIdentity.libraryVersion,
      platform: "Chrome",
      platformVersion: "133.0.0.0",
      device: "Linux",
      deviceName: "Chrome"
    })
    const safari = ClientIdentity.runtimeDefaults({
      navigator: {
        userAgent:
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
      }
    })
    assert.strictEqual(safari.platform, "Safari")
    assert.strictEqual(safari.device, "iOS")
    assert.deepStrictEqual(ClientIdentity.runtimeDefaults({}), {
      provides: "controller",
      version: ClientIdentity.libraryVersion
    })
  })

  it.effect(
    "make fills what is unset from this runtime; what is set wins; X-Plex-Features and X-Plex-Sync-Version when asked",
    () =>
      Effect.gen(function* () {
        const here = ClientIdentity.runtimeDefaults()
        assert.strictEqual(here.model, `Node.js ${process.versions.node}`)
        const identity = yield* ClientIdentity.make({
          clientIdentifier: CLIENT_ID,
          product: "My Tool",
          deviceName: "Living room",
          features: "external-media",
          syncVersion: "2"
        })
        assert.strictEqual(identity.headers["X-Plex-Device-Name"], "Living room")
        assert.strictEqual(identity.headers["X-Plex-Platform"], here.platform)
        assert.strictEqual(identity.headers["X-Plex-Device"], here.device)
        assert.strictEqual(identity.headers["X-Plex-Model"], here.model)
        assert.strictEqual(identity.headers["X-Plex-Provides"], "controller")
        assert.strictEqual(identity.headers["X-Plex-Version"], ClientIdentity.libraryVersion)
        assert.strictEqual(identity.headers["X-Plex-Features"], "external-media")
        assert.strictEqual(identity.headers["X-Plex-Sync-Version"], "2")
        if (here.platformVersion !== undefined) {
          assert.strictEqual(identity.headers["X-Plex-Platform-Version"], here.platformVersion)
        }
        const bare = yield* ClientIdentity.make({ clientIdentifier: CLIENT_ID, product: "p" })
        assert.notProperty(bare.headers, "X-Plex-Features")
        assert.notProperty(bare.headers, "X-Plex-Sync-Version")
      })
  )

  it.effect("the operations send the defaults, so the device list can name the device", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      const request = yield* onlyRequest
      for (const header of ["platform", "device", "model", "provides", "version"]) {
        assert.isString(request.headers[`x-plex-${header}`], header)
      }
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          MockHttp.layer(() => MockHttp.json(200, accountBody)),
          ClientIdentity.layer({ clientIdentifier: "layer-id", product: "layer-product" }),
          CredentialsLive
        ).pipe(Layer.orDie)
      )
    )
  )

  it("libraryVersion is the package's version", async () => {
    const { readFile } = await import("node:fs/promises")
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"))
    assert.strictEqual(ClientIdentity.libraryVersion, pkg.version)
  })
})
