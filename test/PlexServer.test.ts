import { assert, describe } from "@effect/vitest"
import { Config, ConfigError, Effect, Layer } from "effect"
import { PlexAuth, PlexServer } from "effect-plex-auth"
import { it } from "./support/it.js"
import { expectRequests, failsWith, onlyRequest } from "./support/assertions.js"
import { CredentialsLive, env, IdentityLive, withEnv } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"

const urlOf = <E>(layer: Layer.Layer<PlexServer.PlexServer, E>) =>
  Effect.map(Effect.provide(PlexServer.PlexServer, layer), (server) => server.url)

const transient = () => MockHttp.json(200, { MediaContainer: { token: "t" } })

describe("PlexServer.layer", () => {
  for (const [input, expected] of [
    ["http://127.0.0.1:32400", "http://127.0.0.1:32400"],
    ["http://127.0.0.1:32400/", "http://127.0.0.1:32400"],
    ["  https://plex.example.com  ", "https://plex.example.com"],
    ["https://plex.example.com:443/", "https://plex.example.com"],
    ["https://proxy.example/plex//", "https://proxy.example/plex"],
    ["http://[::1]:32400", "http://[::1]:32400"],
    ["HTTP://Server.LAN:32400", "http://server.lan:32400"]
  ] as const) {
    it.effect(`${JSON.stringify(input)} → ${expected}`, () =>
      Effect.gen(function* () {
        assert.strictEqual(yield* urlOf(PlexServer.layer(input)), expected)
      })
    )
  }

  for (const input of [
    "",
    "   ",
    "garbage",
    "127.0.0.1:32400",
    "//127.0.0.1:32400",
    "ftp://127.0.0.1",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "ws://127.0.0.1:32400",
    "http://user:pa55word@127.0.0.1:32400",
    "http://token@127.0.0.1:32400",
    "http://127.0.0.1:32400/?X-Plex-Token=abc",
    "http://127.0.0.1:32400/#frag",
    "http://127.0.0.1:99999"
  ]) {
    it.effect(`${JSON.stringify(input)} fails with InvalidInput`, () =>
      Effect.gen(function* () {
        const error = yield* failsWith(urlOf(PlexServer.layer(input)), "InvalidInput")
        assert.strictEqual(error.field, "serverUrl")
        assert.notInclude(error.message, "pa55word")
      })
    )
  }
})

describe("PlexServer.layerFromParts", () => {
  for (const [parts, expected] of [
    [{}, "http://127.0.0.1:32400"],
    [{ protocol: "https" }, "https://127.0.0.1:32400"],
    [{ ip: "192.168.1.10", port: 32401 }, "http://192.168.1.10:32401"],
    [{ ip: "nas.local", port: "8080" }, "http://nas.local:8080"],
    [{ ip: "::1" }, "http://[::1]:32400"],
    [{ ip: "fe80::1ff:fe23:4567:890a" }, "http://[fe80::1ff:fe23:4567:890a]:32400"],
    [{ ip: "[2001:db8::1]", protocol: "https", port: 443 }, "https://[2001:db8::1]"]
  ] as const) {
    it.effect(`${JSON.stringify(parts)} → ${expected}`, () =>
      Effect.gen(function* () {
        assert.strictEqual(yield* urlOf(PlexServer.layerFromParts(parts)), expected)
      })
    )
  }

  for (const [parts, field] of [
    [{ port: 0 }, "port"],
    [{ port: 65536 }, "port"],
    [{ port: 1.5 }, "port"],
    [{ port: "abc" }, "port"],
    [{ ip: "" }, "ip"],
    [{ ip: "a b" }, "ip"],
    [{ ip: "evil.com/path" }, "ip"],
    [{ ip: "user@host" }, "ip"],
    [{ ip: "host?x" }, "ip"],
    [{ ip: "evil.com\\x" }, "ip"],
    [{ ip: "evil.com:80" }, "ip"],
    [{ protocol: "ftp" as never }, "protocol"]
  ] as const) {
    it.effect(`${JSON.stringify(parts)} fails with InvalidInput on ${field}`, () =>
      Effect.gen(function* () {
        const error = yield* failsWith(urlOf(PlexServer.layerFromParts(parts)), "InvalidInput")
        assert.strictEqual(error.field, field)
      })
    )
  }

  it.effect("the operations go to the server built from parts (IPv6)", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTransientToken()
      const request = yield* onlyRequest
      assert.strictEqual(request.url.origin, "http://[::1]:32400")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          MockHttp.layer(transient),
          IdentityLive,
          CredentialsLive,
          PlexServer.layerFromParts({ ip: "::1" })
        ).pipe(Layer.orDie)
      )
    )
  )
})

describe("PlexServer.layerConfig", () => {
  it.effect("reads PLEX_SERVER_URL", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* urlOf(PlexServer.layerConfig()), "http://10.0.0.9:32400")
    }).pipe(withEnv({ PLEX_SERVER_URL: "http://10.0.0.9:32400/" }))
  )

  it.effect("a missing PLEX_SERVER_URL is a ConfigError; a bad one InvalidInput", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(urlOf(PlexServer.layerConfig()).pipe(withEnv({})))
      assert.isTrue(ConfigError.isConfigError(missing))
      const bad = yield* Effect.flip(
        urlOf(PlexServer.layerConfig()).pipe(withEnv({ PLEX_SERVER_URL: "nope" }))
      )
      assert.strictEqual(bad._tag, "InvalidInput")
    })
  )

  it.effect(
    "a malformed PLEX_SERVER_URL fails with InvalidInput naming the variable, not a field never set",
    () =>
      Effect.gen(function* () {
        const invalid = (layer: ReturnType<typeof PlexServer.layerConfig>) =>
          Effect.flip(urlOf(layer)).pipe(
            Effect.map((error) => (error._tag === "InvalidInput" ? error : assert.fail(String(error))))
          )
        const bad = yield* invalid(PlexServer.layerConfig())
        assert.deepInclude(bad, { operation: "PlexServer.layerConfig", field: "PLEX_SERVER_URL" })
        assert.strictEqual(
          bad.message,
          "PlexServer.layerConfig: invalid PLEX_SERVER_URL: must use http or https, not ftp"
        )
        // A Config of the caller's: its key is not known, so the URL is reported as PlexServer.make does.
        const given = yield* invalid(PlexServer.layerConfig(Config.string("PLEX_SERVER_URL")))
        assert.strictEqual(given.message, "PlexServer: invalid serverUrl: must use http or https, not ftp")
      }).pipe(withEnv({ PLEX_SERVER_URL: "ftp://10.0.0.9:32400" }))
  )

  it.effect(
    "a PLEX_SERVER_URL without its scheme (plex.local:32400) fails saying the scheme is missing, and to put http:// before it",
    () =>
      Effect.gen(function* () {
        const bad = yield* Effect.flip(urlOf(PlexServer.layerConfig()))
        assert.strictEqual(
          bad.message,
          "PlexServer.layerConfig: invalid PLEX_SERVER_URL: must start with http:// or https:// (a host and port alone is not a URL): put http:// before it"
        )
      }).pipe(withEnv({ PLEX_SERVER_URL: "plex.local:32400" }))
  )

  it.effect(
    'a PLEX_SERVER_URL in quotes (PLEX_SERVER_URL="http://h:32400" from an env file) fails saying so, not to put http:// before it',
    () =>
      Effect.gen(function* () {
        const bad = yield* Effect.flip(urlOf(PlexServer.layerConfig()))
        assert.strictEqual(
          bad.message,
          "PlexServer.layerConfig: invalid PLEX_SERVER_URL: must not be in quotes"
        )
      }).pipe(withEnv({ PLEX_SERVER_URL: '"http://h:32400"' }))
  )

  it.effect(
    "a PLEX_SERVER_URL that misses http(s)://'s colon (http//) or a slash (https:/), or has one too many (http:///), says which, not to put http:// before it",
    () =>
      Effect.gen(function* () {
        const messages: Array<string> = []
        for (const url of ["http//plex.local:32400", "https:/plex.local", "http:///plex.local:32400"]) {
          const bad = yield* Effect.flip(
            urlOf(PlexServer.layerConfig()).pipe(withEnv({ PLEX_SERVER_URL: url }))
          )
          messages.push(bad.message)
        }
        assert.deepStrictEqual(messages, [
          "PlexServer.layerConfig: invalid PLEX_SERVER_URL: the colon after http is missing",
          "PlexServer.layerConfig: invalid PLEX_SERVER_URL: two slashes must follow https:",
          "PlexServer.layerConfig: invalid PLEX_SERVER_URL: two slashes must follow http:"
        ])
      })
  )

  it.effect(
    "a PLEX_SERVER_URL of an IP address and port without its scheme (192.168.1.5:32400, which the URL parser cannot read as a scheme) says the same, not only that it is no absolute URL",
    () =>
      Effect.gen(function* () {
        const bad = yield* Effect.flip(urlOf(PlexServer.layerConfig()))
        assert.strictEqual(
          bad.message,
          "PlexServer.layerConfig: invalid PLEX_SERVER_URL: must start with http:// or https:// (a host and port alone is not a URL): put http:// before it"
        )
      }).pipe(withEnv({ PLEX_SERVER_URL: "192.168.1.5:32400" }))
  )

  it.effect("takes any Config of a URL", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* urlOf(PlexServer.layerConfig(Config.string("PMS"))), "https://pms.example")
    }).pipe(withEnv({ PMS: "https://pms.example" }))
  )
})

describe("PlexServer.withUrl", () => {
  it.effect("sends one call to another server; the next uses the layer's again", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTransientToken().pipe(PlexServer.withUrl("https://192.168.1.77:32443"))
      yield* PlexAuth.getTransientToken()
      const [first, second] = yield* expectRequests(2)
      assert.strictEqual(first!.url.origin, "https://192.168.1.77:32443")
      assert.strictEqual(second!.url.origin, "http://127.0.0.1:32400")
    }).pipe(Effect.provide(env(transient)))
  )

  it.effect("needs no PlexServer layer, and is dual (data-first)", () =>
    Effect.gen(function* () {
      yield* PlexServer.withUrl(PlexAuth.getTransientToken(), "http://10.1.1.1:32400")
      assert.strictEqual((yield* onlyRequest).url.origin, "http://10.1.1.1:32400")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(MockHttp.layer(transient), IdentityLive, CredentialsLive).pipe(Layer.orDie)
      )
    )
  )

  for (const url of ["not a url", "ftp://10.0.0.1", "http://u:p@10.0.0.1", ""]) {
    it.effect(`a malformed URL (${JSON.stringify(url)}) fails with InvalidInput and sends nothing`, () =>
      Effect.gen(function* () {
        const error = yield* failsWith(
          PlexAuth.getTransientToken().pipe(PlexServer.withUrl(url)),
          "InvalidInput"
        )
        assert.strictEqual(error.field, "serverUrl")
        yield* expectRequests(0)
      }).pipe(Effect.provide(env(transient)))
    )
  }
})

describe("PlexServer: Plex Web's address", () => {
  // What a browser's address bar shows on Plex Web, pasted as the server's address: refused at once, saying which
  // to give (as Claim.claimServer and ServerClient.make do, core/validate.ts `serverUrl`), not a 404 later.
  for (const [input, server] of [
    ["http://192.168.1.10:32400/web/index.html#!/", "http://192.168.1.10:32400"],
    ["http://192.168.1.10:32400/web/index.html", "http://192.168.1.10:32400"],
    ["http://192.168.1.10:32400/web", "http://192.168.1.10:32400"],
    ["https://proxy.example/plex/WEB/", "https://proxy.example/plex"]
  ] as const) {
    it.effect(`PlexServer.layer(${JSON.stringify(input)}) fails with InvalidInput naming ${server}`, () =>
      Effect.gen(function* () {
        const error = yield* failsWith(urlOf(PlexServer.layer(input)), "InvalidInput")
        assert.deepStrictEqual(
          [error.operation, error.field, error.reason],
          ["PlexServer", "serverUrl", `is Plex Web's address, not the server's: give ${server}`]
        )
      })
    )
  }

  it.effect("a path that only has /web in it is a server's (a reverse proxy's prefix)", () =>
    Effect.gen(function* () {
      assert.strictEqual(
        yield* urlOf(PlexServer.layer("https://proxy.example/web/plex/")),
        "https://proxy.example/web/plex"
      )
      assert.strictEqual(
        yield* urlOf(PlexServer.layer("https://proxy.example/webplex")),
        "https://proxy.example/webplex"
      )
    })
  )

  it.effect("PlexServer.withUrl refuses it and sends nothing", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(
        PlexAuth.getTransientToken().pipe(PlexServer.withUrl("http://10.0.0.1:32400/web/index.html#!/")),
        "InvalidInput"
      )
      assert.strictEqual(error.reason, "is Plex Web's address, not the server's: give http://10.0.0.1:32400")
      yield* expectRequests(0)
    }).pipe(Effect.provide(env(transient)))
  )

  it.effect("PlexServer.layerConfig refuses it from PLEX_SERVER_URL, naming the variable", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(urlOf(PlexServer.layerConfig()))
      assert.strictEqual(
        error.message,
        "PlexServer.layerConfig: invalid PLEX_SERVER_URL: is Plex Web's address, not the server's: give http://10.0.0.9:32400"
      )
    }).pipe(withEnv({ PLEX_SERVER_URL: "http://10.0.0.9:32400/web/" }))
  )
})
