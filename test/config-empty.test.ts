// An environment variable of the library's set to the empty string (`PLEX_TOKEN=` in a .env file or
// docker-compose) counts as unset in both editions, as Effect 4's ConfigProvider reads it: a required one fails
// the layerConfig with Effect's missing-data ConfigError naming it, an optional one takes its default. Effect 3's
// provider hands "" on, which used to fail with InvalidInput (`must not be empty`). A blank one (spaces, tabs alone)
// is unset too when the variable is optional (core/validate.ts `optionalValue`), and refused as empty, naming it,
// when it is required. effect4/test/config-empty.test.ts asserts the same outcomes.
import { assert, describe } from "@effect/vitest"
import { ConfigError, ConfigProvider, Effect, Layer } from "effect"
import { ClientIdentity, Credentials, Jwt, PlexError, PlexServer, PlexTv } from "effect-plex-auth"
import { it } from "./support/it.js"

const withEnv = (entries: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))

/** What building `layer` fails with, under `entries`. */
const failure = <A, E>(layer: Layer.Layer<A, E>, entries: Record<string, string>) =>
  Layer.build(layer).pipe(Effect.scoped, Effect.flip, withEnv(entries))

const identity = (entries: Record<string, string>) =>
  Effect.provide(ClientIdentity.ClientIdentity, ClientIdentity.layerConfig()).pipe(withEnv(entries))

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
          assert.isTrue(
            ConfigError.isConfigError(error) && ConfigError.isMissingDataOnly(error),
            String(error)
          )
          assert.include(String(error), variable)
        }
        assert.deepStrictEqual(
          (empty as ConfigError.MissingData).path,
          (missing as ConfigError.MissingData).path,
          "missing data at the variable"
        )
      })
    )
  }

  // Effect 3's Config.redacted says only `<redacted>` (`(Missing data at PLEX_TOKEN: "<redacted>")`, and as the
  // `message` an app prints): the error says what to set, as PLEX_SESSION_KEY's does, unset or empty alike.
  it.effect("a missing or empty PLEX_TOKEN's error says what to set, in its message too", () =>
    Effect.gen(function* () {
      const missing = yield* failure(Credentials.layerConfig(), {})
      const empty = yield* failure(Credentials.layerConfig(), { PLEX_TOKEN: "" })
      assert.strictEqual(String(empty), String(missing))
      for (const error of [missing, empty]) {
        assert.include(String(error), "Missing data at PLEX_TOKEN")
        assert.include(
          String(error),
          "Expected PLEX_TOKEN to be set: the Plex token of the account to act as"
        )
        assert.include((error as ConfigError.MissingData).message, "Expected PLEX_TOKEN to be set")
        assert.notInclude(String(error), "<redacted>")
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
          const entries = { PLEX_CLIENT_IDENTIFIER: "id", [variable]: value }
          assert.deepStrictEqual(yield* identity(entries), unset, JSON.stringify(value))
          assert.deepStrictEqual(yield* ClientIdentity.config.pipe(withEnv(entries)), unsetRead)
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
          const entries = { [variable]: value }
          assert.strictEqual(yield* PlexTv.config.pipe(withEnv(entries)), "https://plex.tv")
          assert.strictEqual(yield* Jwt.hostConfig.pipe(withEnv(entries)), "https://clients.plex.tv")
        }
        const entries = { [variable]: "" }
        assert.strictEqual(yield* PlexTv.config.pipe(withEnv(entries)), "https://plex.tv")
        assert.strictEqual(yield* Jwt.hostConfig.pipe(withEnv(entries)), "https://clients.plex.tv")
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
