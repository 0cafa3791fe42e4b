/**
 * Issue 14 item 1: JWT device authentication goes to its own host,
 * `https://clients.plex.tv` by default, whatever `PlexTv` says.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Jwt from "effect4-plex-auth/Jwt"
import * as PinLogin from "effect4-plex-auth/PinLogin"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexError from "effect4-plex-auth/PlexError"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import { FakePlex } from "effect4-plex-auth/testing"
import { identity, layerPendingSleeps, stepToEnd, step } from "./support.js"

/** The fake with nothing but an identity and the account token: no `PlexTv`, no `JwtHost`. */
const defaults = Layer.mergeAll(
  FakePlex.layer({ accounts: [{}, { username: "bob" }] }),
  ClientIdentity.layer(identity).pipe(Layer.orDie),
  Credentials.layer(FakePlex.defaults.token),
  layerPendingSleeps
)

const origins = Effect.map(FakePlex.requests, (requests) => requests.map((r) => `${r.origin} ${r.route}`))

describe("Jwt.JwtHost", () => {
  it.effect("defaults to https://clients.plex.tv", () =>
    Effect.gen(function* () {
      assert.strictEqual(Jwt.defaultHost, "https://clients.plex.tv")
      assert.strictEqual((yield* Jwt.JwtHost).url, "https://clients.plex.tv")
      assert.strictEqual(
        (yield* Jwt.makeHost("https://clients.example/api/v2/")).url,
        "https://clients.example"
      )
    })
  )

  it.effect("a default-configured JWT flow sends nothing to plex.tv's host", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      assert.strictEqual(yield* Jwt.registerKey(key), "Registered")
      const plexJwt = yield* Jwt.exchange(key)
      yield* Jwt.verify(plexJwt.token, key)
      const bound = yield* Jwt.generateKey
      const fiber = yield* Effect.forkChild(Jwt.pinLogin({ key: bound, onPin: () => Effect.void }))
      yield* step(fiber, 2)
      const [pin] = yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.pins)
      yield* FakePlex.approvePin(pin!.id)
      yield* stepToEnd(fiber)

      const seen = yield* origins
      for (const route of ["registerJwk", "getNonce", "exchangeJwt", "getJwks", "createPin", "checkPin"]) {
        assert.include(seen, `https://clients.plex.tv ${route}`)
      }
      assert.deepStrictEqual(
        seen.filter((r) => !r.startsWith("https://clients.plex.tv ")),
        [],
        "nothing went anywhere else"
      )
    }).pipe(Effect.provide(defaults))
  )

  it.effect("PlexTv.withUrl does not move the JWT host; Jwt.withHost and Jwt.layerHost do", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      yield* Jwt.registerKey(key).pipe(PlexTv.withUrl("https://plex.tv"))
      yield* Jwt.getNonce().pipe(Jwt.withHost("https://plex.tv/api/v2"))
      yield* Jwt.getKeys().pipe(Effect.provide(Jwt.layerHost("https://plex.tv")))
      assert.deepStrictEqual(yield* origins, [
        "https://clients.plex.tv registerJwk",
        "https://plex.tv getNonce",
        "https://plex.tv getJwks"
      ])
      const invalid = yield* Effect.flip(Jwt.getNonce().pipe(Jwt.withHost("ftp://nowhere")))
      assert.strictEqual(invalid._tag, "InvalidInput")
    }).pipe(Effect.provide(defaults))
  )

  it.effect("a classic PIN is still checked on plex.tv", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      yield* PinLogin.check(pin)
      assert.deepStrictEqual(yield* origins, ["https://plex.tv createPin", "https://plex.tv checkPin"])
    }).pipe(Effect.provide(defaults))
  )
})

describe("Jwt.hostConfig and Jwt.layerHostConfig: the JWT host from the environment", () => {
  const fromEnv = (entries: ReadonlyArray<readonly [string, string]>) =>
    ConfigProvider.layer(ConfigProvider.fromEnv({ env: Object.fromEntries(entries) }))
  const hostFrom = (entries: ReadonlyArray<readonly [string, string]>) =>
    Effect.map(Jwt.JwtHost, (host) => host.url).pipe(
      Effect.provide(Jwt.layerHostConfig().pipe(Layer.provide(fromEnv(entries))))
    )
  const fake = "http://127.0.0.1:32401"

  const cases: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, string]>, string]> = [
    ["nothing set: clients.plex.tv", [], "https://clients.plex.tv"],
    ["PLEX_TV_URL at a fake: the fake, where the account API goes", [["PLEX_TV_URL", fake]], fake],
    [
      "PLEX_TV_URL at plex.tv itself: clients.plex.tv",
      [["PLEX_TV_URL", "https://plex.tv"]],
      "https://clients.plex.tv"
    ],
    [
      "PLEX_TV_URL at plex.tv's /api/v2/: clients.plex.tv",
      [["PLEX_TV_URL", "https://plex.tv/api/v2/"]],
      "https://clients.plex.tv"
    ],
    ["an empty PLEX_TV_URL: clients.plex.tv", [["PLEX_TV_URL", ""]], "https://clients.plex.tv"],
    [
      "PLEX_CLIENTS_URL wins over PLEX_TV_URL",
      [
        ["PLEX_CLIENTS_URL", "https://clients.example/api/v2"],
        ["PLEX_TV_URL", fake]
      ],
      "https://clients.example"
    ],
    [
      "PLEX_CLIENTS_URL at plex.tv is taken as given",
      [["PLEX_CLIENTS_URL", "https://plex.tv"]],
      "https://plex.tv"
    ],
    [
      "a blank PLEX_CLIENTS_URL counts as unset",
      [
        ["PLEX_CLIENTS_URL", "  "],
        ["PLEX_TV_URL", fake]
      ],
      fake
    ]
  ]
  for (const [name, entries, expected] of cases) {
    it.effect(name, () =>
      Effect.gen(function* () {
        assert.strictEqual(yield* hostFrom(entries), expected)
        // Jwt.hostConfig reads the URL the layer uses (PLEX_CLIENTS_URL's /api/v2 dropped, as the layer drops it).
        assert.strictEqual(yield* Effect.provide(Jwt.hostConfig, fromEnv(entries)), expected)
      })
    )
  }

  it.effect("a malformed PLEX_CLIENTS_URL fails the layer with InvalidInput naming it when built", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(hostFrom([["PLEX_CLIENTS_URL", "clients.example"]]))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(
        error.message,
        "Jwt.layerHostConfig: invalid PLEX_CLIENTS_URL: is not an absolute URL (expected http(s)://host[:port])"
      )
    })
  )

  it.effect(
    "a malformed PLEX_TV_URL, with no PLEX_CLIENTS_URL, fails the layer with InvalidInput naming PLEX_TV_URL (not a JWT host the user never set)",
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(hostFrom([["PLEX_TV_URL", "plex.example"]]))
        assert.strictEqual(error._tag, "InvalidInput")
        assert.deepInclude(error, { operation: "Jwt.layerHostConfig", field: "PLEX_TV_URL" })
        assert.strictEqual(
          error.message,
          "Jwt.layerHostConfig: invalid PLEX_TV_URL: is not an absolute URL (expected http(s)://host[:port])"
        )
        // A Config given explicitly is not a variable: the JWT host.
        const given = yield* Effect.flip(
          Effect.provide(
            Jwt.JwtHost,
            Jwt.layerHostConfig(Jwt.hostConfig.pipe(Config.map((url) => `${url}?x`))).pipe(
              Layer.provide(fromEnv([["PLEX_TV_URL", "http://127.0.0.1:32401"]]))
            )
          )
        )
        assert.strictEqual(given.message, "Jwt: invalid host: must not have a query string or fragment")
      })
  )

  it.effect(
    "Jwt.hostConfig checks the URL as Jwt.layerHostConfig() does: a malformed one fails both, at the variable it came from, with the same reason (both editions)",
    () =>
      Effect.gen(function* () {
        const cases: ReadonlyArray<readonly [string, string, string]> = [
          ["PLEX_CLIENTS_URL", "ftp://clients.example", "must use http or https, not ftp"],
          [
            "PLEX_CLIENTS_URL",
            "https://clients.example/?region=eu",
            "must not have a query string or fragment"
          ],
          ["PLEX_CLIENTS_URL", "clients.example", "is not an absolute URL (expected http(s)://host[:port])"],
          ["PLEX_TV_URL", "http://127.0.0.1:32401/#top", "must not have a query string or fragment"]
        ]
        for (const [variable, value, reason] of cases) {
          const layer = yield* Effect.flip(hostFrom([[variable, value]]))
          // The whole error, its class too (the fields alone would pass on another error carrying them).
          assert.deepStrictEqual(
            layer,
            new PlexError.InvalidInput({ operation: "Jwt.layerHostConfig", field: variable, reason }),
            value
          )
          const config = yield* Effect.flip(Effect.provide(Jwt.hostConfig, fromEnv([[variable, value]])))
          assert.strictEqual(config._tag, "ConfigError", value)
          // Its rendering (Cause.pretty, a log) names the variable and the reason; never the value.
          assert.include(String(config), variable, value)
          assert.include(String(config), reason, value)
          assert.notInclude(String(config), value)
        }
      })
  )

  it.effect(
    "PLEX_TV_URL at a fake: PlexTv.layerConfig() and Jwt.layerHostConfig() send the whole flow there",
    () =>
      Effect.gen(function* () {
        const key = yield* Jwt.generateKey
        assert.strictEqual(yield* Jwt.registerKey(key), "Registered")
        const plexJwt = yield* Jwt.exchange(key)
        const account = yield* PlexAuth.account().pipe(Credentials.withToken(plexJwt.token))
        assert.strictEqual(account.username, FakePlex.defaults.username)
        const bound = yield* Jwt.generateKey
        const fiber = yield* Effect.forkChild(Jwt.pinLogin({ key: bound, onPin: () => Effect.void }))
        yield* step(fiber, 2)
        const [pin] = yield* Effect.flatMap(FakePlex.FakePlex, (plex) => plex.pins)
        yield* FakePlex.approvePin(pin!.id)
        yield* stepToEnd(fiber)
        const seen = yield* origins
        for (const route of [
          "registerJwk",
          "getNonce",
          "exchangeJwt",
          "getTokenDetails",
          "createPin",
          "checkPin"
        ]) {
          assert.include(seen, `${fake} ${route}`)
        }
        assert.deepStrictEqual(
          seen.filter((r) => !r.startsWith(`${fake} `)),
          [],
          "nothing went to plex.tv or clients.plex.tv"
        )
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer({ plexTvUrl: fake }),
            ClientIdentity.layer(identity).pipe(Layer.orDie),
            Credentials.layer(FakePlex.defaults.token),
            layerPendingSleeps,
            Layer.mergeAll(PlexTv.layerConfig(), Jwt.layerHostConfig()).pipe(
              Layer.provide(fromEnv([["PLEX_TV_URL", fake]]))
            )
          )
        )
      )
  )
})
