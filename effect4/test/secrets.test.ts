/**
 * Secrets on Effect 4 (tokens, passwords, two-factor codes) never reach an
 * error, a log line, a URL or `JSON.stringify`, whatever the server echoes;
 * nor the requests as sent, however a caller's client renders them.
 */
import { inspect } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Formatter from "effect/Formatter"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Jwt from "effect4-plex-auth/Jwt"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { signedIn } from "./Jwt/support.js"
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
  // A failed re-authentication is logged at Debug level by the refresh, in both editions (a reason and a tag only);
  // the Effect 4 request engine writes no line of its own (a log call there bundles Effect's default logger with
  // every operation, docs/effect4.md). The error says why no new token came, and holds no secret.
  it.effect(
    "refused token, failed re-authentication: one secret-free line, a secret-free error says why",
    () => {
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
        assert.deepStrictEqual(
          error._tag === "Unauthorized" ? [error.reauthentication, error.reauthenticationError] : error._tag,
          ["Failed", "Unauthorized"]
        )
        noSecretIn(error, Redacted.value(fake.token), password)
        assert.deepStrictEqual(lines, [
          JSON.stringify(["re-authentication gave no new token: Failed (Unauthorized)"])
        ])
        for (const line of lines) noSecretIn(line, Redacted.value(fake.token), password)
      }).pipe(
        Effect.provide(Layer.merge(anonymous(), Logger.layer([capture]))),
        Effect.provideService(References.MinimumLogLevel, "All")
      )
    }
  )
})

/** The text a request's body puts on the wire. */
const wireText = (request: HttpClientRequest.HttpClientRequest): string => {
  const body = request.body
  if (body._tag === "Uint8Array") return new TextDecoder().decode(body.body)
  if (body._tag !== "Raw") return ""
  return typeof body.body === "string" ? body.body : new TextDecoder().decode(body.body as Uint8Array)
}

/** Runs `effect` with every request the engine sends pushed onto `sent` (as a caller's logging middleware sees it). */
const capturing = <A, E, R>(
  sent: Array<HttpClientRequest.HttpClientRequest>,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<Exit.Exit<A, E>, never, R | HttpClient.HttpClient> =>
  Effect.exit(effect).pipe(
    Effect.updateService(
      HttpClient.HttpClient,
      HttpClient.tapRequest((request) => Effect.sync(() => sent.push(request)))
    )
  )

/** Each rendering of `request`: none may show a secret, while the wire carries them. */
const assertSealed = (request: HttpClientRequest.HttpClientRequest, secrets: ReadonlyArray<string>) => {
  const forms = (secret: string) => [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2)
  ]
  const wire = wireText(request)
  for (const secret of secrets)
    assert.isTrue(
      forms(secret).some((form) => wire.includes(form)),
      "the wire carries it"
    )
  const shown = {
    "JSON.stringify(request)": JSON.stringify(request),
    "util.inspect(request)": inspect(request, { depth: 10 }),
    "String(request)": String(request),
    "Formatter.format(request)": Formatter.format(request)
  }
  for (const [where, text] of Object.entries(shown)) {
    for (const secret of secrets) {
      for (const form of forms(secret)) assert.notInclude(text, form, `${where} shows a secret`)
    }
  }
}

describe("no secret in a request body as rendered", () => {
  it.effect("sign-in with a password and a two-factor code", () =>
    Effect.gen(function* () {
      const sent: Array<HttpClientRequest.HttpClientRequest> = []
      yield* capturing(
        sent,
        PlexAuth.postUsersSignInData({ login: FakePlex.defaults.login, password, verificationCode: code })
      )
      assert.strictEqual(sent.length, 1)
      assertSealed(sent[0]!, [password, code])
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("Jwt.exchange: the device JWT", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      yield* Jwt.registerKey(key)
      const sent: Array<HttpClientRequest.HttpClientRequest> = []
      const exit = yield* capturing(sent, Jwt.exchange(key))
      assert.isTrue(Exit.isSuccess(exit))
      const exchange = sent.find((request) => request.method === "POST")
      assert.isDefined(exchange)
      const { jwt } = JSON.parse(wireText(exchange!)) as { jwt: string }
      assert.match(jwt, /^[\w-]+\.[\w-]+\.[\w-]+$/)
      assertSealed(exchange!, [jwt, jwt.split(".")[2]!])
    }).pipe(Effect.provide(signedIn()))
  )
})
