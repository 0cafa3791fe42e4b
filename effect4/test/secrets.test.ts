/**
 * Secrets on Effect 4 (tokens, passwords, two-factor codes) never reach an
 * error, a log line, a URL or `JSON.stringify`, whatever the server echoes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { anonymous, noSecretIn } from "./support.js"

const password = "pa55-w0rd-never-shown"
const code = "654321"

describe("no secret in errors", () => {
  it.effect(
    "a server echoing the sign-in form: BadRequest keeps Plex's message with the secrets masked",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault(
          "postUsersSignInData",
          Fault.respond((request) =>
            Effect.promise(async () => {
              const form = await request.text()
              return Response.json(
                {
                  errors: [
                    { code: 1000, message: `bad form: ${form} / ${decodeURIComponent(form)}`, status: 400 }
                  ]
                },
                { status: 400 }
              )
            })
          )
        )
        const error = yield* Effect.flip(
          PlexAuth.postUsersSignInData({ login: FakePlex.defaults.login, password, verificationCode: code })
        )
        assert.strictEqual(error._tag, "BadRequest")
        if (error._tag === "BadRequest") assert.include(error.errors[0]?.message ?? "", "<redacted>")
        noSecretIn(error, password, code)
      }).pipe(Effect.provide(anonymous()))
  )
})

describe("no secret in logs", () => {
  // The Effect 3 edition logs a refused token and a failed re-authentication at Debug level (tags and reasons
  // only); the Effect 4 edition writes no log line (a log call bundles Effect's default logger with every
  // operation, docs/effect4.md): the error says why no new token came, and holds no secret.
  it.effect("refused token, failed re-authentication: no log line; a secret-free error says why", () => {
    const lines: Array<string> = []
    const capture = Logger.make(({ message }) => {
      lines.push(JSON.stringify(message))
    })
    return Effect.gen(function* () {
      const fake = yield* Effect.service(FakePlex.FakePlex)
      const credentials = yield* Credentials.makeRefreshing({
        initial: fake.token,
        obtain: PlexAuth.postUsersSignInData({ login: FakePlex.defaults.login, password }).pipe(
          Effect.map((account) => account.authToken)
        )
      })
      yield* fake.revokeToken(fake.token)
      const error = yield* Effect.flip(PlexAuth.getTokenDetails()).pipe(
        Effect.provideService(Credentials.Credentials, credentials)
      )
      assert.strictEqual(error._tag === "Unauthorized" && error.reauthentication, "Failed")
      noSecretIn(error, Redacted.value(fake.token), password)
      assert.deepStrictEqual(lines, [])
    }).pipe(
      Effect.provide(Layer.merge(anonymous(), Logger.layer([capture]))),
      Effect.provideService(References.MinimumLogLevel, "All")
    )
  })
})
