// An environment variable of the library's set to the empty string (`PLEX_TOKEN=` in a .env file or
// docker-compose) counts as unset in both editions: Effect 4's ConfigProvider reads it so, and the Effect 3
// edition reads its own variables so. A required one fails the layerConfig with Effect's missing-data
// ConfigError naming it, an optional one takes its default. A blank one (spaces, tabs alone) is unset too when the
// variable is optional (core/validate.ts `optionalValue`), and refused as empty, naming it, when it is required.
// test/config-empty.test.ts asserts the same outcomes.
import { assert, describe, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Jwt from "effect4-plex-auth/Jwt"
import * as PlexError from "effect4-plex-auth/PlexError"
import * as PlexServer from "effect4-plex-auth/PlexServer"
import * as PlexTv from "effect4-plex-auth/PlexTv"

const withEnv = (env: Record<string, string>) =>
  Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))

/** What building `layer` fails with, under `env`. */
const failure = <A, E>(layer: Layer.Layer<A, E>, env: Record<string, string>) =>
  Layer.build(layer).pipe(Effect.scoped, Effect.flip, withEnv(env))

const identity = (env: Record<string, string>) =>
  Effect.provide(Effect.service(ClientIdentity.ClientIdentity), ClientIdentity.layerConfig()).pipe(
    withEnv(env)
  )

describe("an empty variable of the library is unset", () => {
  const required: ReadonlyArray<readonly [string, Layer.Layer<never, unknown>]> = [
    ["PLEX_SERVER_URL", PlexServer.layerConfig()],
    ["PLEX_TOKEN", Credentials.layerConfig()],
    ["PLEX_CLIENT_IDENTIFIER", ClientIdentity.layerConfig()]
  ]
  for (const [variable, layer] of required) {
    it.effect(`an empty ${variable} fails as a missing one: ConfigError naming it`, () =>
      Effect.gen(function* () {
        const missing = yield* failure(layer, {})
        const empty = yield* failure(layer, { [variable]: "" })
        for (const error of [missing, empty]) {
          assert.instanceOf(error, Config.ConfigError)
          assert.include(String(error), variable)
        }
        assert.strictEqual(String(empty), String(missing))
      })
    )
  }

  // Effect's own says only `Expected string` at PLEX_TOKEN: the error says what to set, as PLEX_SESSION_KEY's does,
  // unset or empty alike, in its message too.
  it.effect("a missing or empty PLEX_TOKEN's error says what to set, in its message too", () =>
    Effect.gen(function* () {
      for (const env of [{}, { PLEX_TOKEN: "" }]) {
        const error = yield* failure(Credentials.layerConfig(), env)
        assert.instanceOf(error, Config.ConfigError)
        assert.include(String(error), 'at ["PLEX_TOKEN"]')
        assert.include(
          String(error),
          "Expected PLEX_TOKEN to be set: the Plex token of the account to act as"
        )
        assert.include((error as Config.ConfigError).message, "Expected PLEX_TOKEN to be set")
      }
    })
  )

  for (const variable of [
    "PLEX_PRODUCT",
    "PLEX_VERSION",
    "PLEX_PLATFORM",
    "PLEX_PLATFORM_VERSION",
    "PLEX_DEVICE",
    "PLEX_DEVICE_NAME"
  ]) {
    it.effect(`an empty or blank ${variable} takes its default, as an unset one`, () =>
      Effect.gen(function* () {
        const unset = yield* identity({ PLEX_CLIENT_IDENTIFIER: "id" })
        const unsetRead = yield* ClientIdentity.config.pipe(withEnv({ PLEX_CLIENT_IDENTIFIER: "id" }))
        for (const value of ["", " ", " \t "]) {
          const env = { PLEX_CLIENT_IDENTIFIER: "id", [variable]: value }
          assert.deepStrictEqual(yield* identity(env), unset, JSON.stringify(value))
          assert.deepStrictEqual(yield* ClientIdentity.config.pipe(withEnv(env)), unsetRead)
        }
        // Set, it is used: the blank ones above were not read as some other value.
        const set = yield* identity({ PLEX_CLIENT_IDENTIFIER: "id", [variable]: " 7 " })
        assert.notDeepEqual(set, unset)
      })
    )
  }

  it.effect("an empty or blank PLEX_TV_URL or PLEX_CLIENTS_URL takes its default", () =>
    Effect.gen(function* () {
      for (const variable of ["PLEX_TV_URL", "PLEX_CLIENTS_URL"]) {
        for (const value of [" ", " \t "]) {
          const env = { [variable]: value }
          assert.strictEqual(yield* PlexTv.config.pipe(withEnv(env)), "https://plex.tv")
          assert.strictEqual(yield* Jwt.hostConfig.pipe(withEnv(env)), "https://clients.plex.tv")
        }
        const env = { [variable]: "" }
        assert.strictEqual(yield* PlexTv.config.pipe(withEnv(env)), "https://plex.tv")
        assert.strictEqual(yield* Jwt.hostConfig.pipe(withEnv(env)), "https://clients.plex.tv")
      }
    })
  )

  // A blank value of a required variable stays a value, refused by the checks naming it, with the one reason that it
  // is empty (core/validate.ts decides: a URL's, a token's, a header value's check); not three kinds of reason (a
  // blank PLEX_SERVER_URL was "not an absolute URL", a blank PLEX_TOKEN "must contain only visible ASCII
  // characters"). The whole error (its class, operation and reason too): a check that named the variable with the
  // wrong reason, or another layer's operation, fails. (A blank optional one counts as unset: its default, as above.)
  const blank: ReadonlyArray<readonly [string, Layer.Layer<never, unknown>, string]> = [
    ["PLEX_SERVER_URL", PlexServer.layerConfig(), "PlexServer.layerConfig"],
    ["PLEX_TOKEN", Credentials.layerConfig(), "Credentials.layerConfig"],
    ["PLEX_CLIENT_IDENTIFIER", ClientIdentity.layerConfig(), "ClientIdentity.layerConfig"]
  ]
  for (const [variable, layer, operation] of blank) {
    it.effect(`a blank ${variable} is InvalidInput naming it: must not be empty`, () =>
      Effect.gen(function* () {
        for (const value of [" ", " \t "]) {
          const error = yield* failure(layer, { PLEX_CLIENT_IDENTIFIER: "id", [variable]: value })
          assert.deepStrictEqual(
            error,
            new PlexError.InvalidInput({ operation, field: variable, reason: "must not be empty" })
          )
        }
      })
    )
  }
})
