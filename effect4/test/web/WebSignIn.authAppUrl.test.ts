/**
 * Where WebSignIn sends the browser to sign in: `authAppUrl`, else `PLEX_AUTH_APP_URL` from `Config` (as the PIN
 * logins read it: `plex-auth fake-server` prints it as its sign-in page), else app.plex.tv's; a malformed one is
 * `InvalidInput` of `WebSignIn.make` naming the option or the variable, before any request. The variable is given by a
 * `ConfigProvider` of the test's (the vitest config blanks the environment's). Twin of test/web/'s (Effect 3).
 */
import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, Redacted } from "effect"
import { KeyValueStore } from "effect/persistence"
import { ClientIdentity, WebSignIn } from "effect4-plex-auth"
import { FakePlex } from "effect4-plex-auth/testing"
import { authUrlParams } from "../../../src/core/authUrl.js"
import { seed } from "./seed.js"

const Base = Layer.mergeAll(
  FakePlex.layer(seed),
  ClientIdentity.layer(FakePlex.testIdentity).pipe(Layer.orDie),
  KeyValueStore.layerMemory
)

const options = {
  appUrl: "https://media.example.com",
  machineIdentifier: FakePlex.defaults.serverId,
  sessionKey: Config.succeed(Redacted.make("unit-test-session-key-0123456789abcdefgh"))
} satisfies WebSignIn.Options

/** `PLEX_AUTH_APP_URL` as the only variable `Config` reads (none: `undefined`). */
const withVariable = (value: string | undefined) =>
  Effect.provide(
    ConfigProvider.layer(
      ConfigProvider.fromEnv({ env: value === undefined ? {} : { PLEX_AUTH_APP_URL: value } })
    )
  )

/** The page the start of a service made with `given` sends the browser to (the URL before its fragment). */
const startPage = (given: Partial<WebSignIn.Options>, variable: string | undefined) =>
  Effect.gen(function* () {
    const service = yield* WebSignIn.make({ ...options, ...given }).pipe(withVariable(variable))
    const url = Redacted.value((yield* service.start).url)
    return url.slice(0, url.indexOf("#?"))
  })

describe("WebSignIn's sign-in page from PLEX_AUTH_APP_URL", () => {
  it.effect(
    "without authAppUrl, the start sends the browser to the variable's page: the fake's, and signs in there",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        assert.notStrictEqual(fake.authAppUrl, "https://app.plex.tv/auth")
        // Read once, as the service is made: the start below runs without the variable.
        const service = yield* WebSignIn.make(options).pipe(withVariable(fake.authAppUrl))
        const started = yield* service.start
        const url = Redacted.value(started.url)
        assert.isTrue(url.startsWith(`${fake.authAppUrl}#?clientID=`), url)
        // What a browser does there: GET the fake's approval page, then POST its form (as bob, in alice's Home).
        const page = yield* Effect.orDie(fake.handle(new Request(url.slice(0, url.indexOf("#")))))
        assert.include(yield* Effect.promise(() => page.text()), 'id="approve"')
        const params = authUrlParams(url)
        const approved = yield* Effect.orDie(
          fake.handle(
            new Request(fake.authAppUrl, {
              method: "POST",
              body: new URLSearchParams({
                clientID: params.get("clientID") ?? "",
                code: params.get("code") ?? "",
                forwardUrl: params.get("forwardUrl") ?? "",
                account: "bob"
              })
            })
          )
        )
        assert.strictEqual(approved.status, 303)
        const { user } = yield* service.callback({
          cookie: `${started.cookie.name}=${started.cookie.value}`,
          url: approved.headers.get("location") ?? ""
        })
        assert.strictEqual(user.username, "bob")
        assert.strictEqual(user._tag, "HomeMember")
      }).pipe(Effect.provide(Base))
  )

  it.effect("the option wins over the variable; blank or unset is app.plex.tv's page", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      assert.strictEqual(
        yield* startPage({ authAppUrl: "http://localhost:9/auth" }, fake.authAppUrl),
        "http://localhost:9/auth"
      )
      assert.strictEqual(yield* startPage({}, " "), "https://app.plex.tv/auth")
      assert.strictEqual(yield* startPage({}, ""), "https://app.plex.tv/auth")
      assert.strictEqual(yield* startPage({}, undefined), "https://app.plex.tv/auth")
    }).pipe(Effect.provide(Base))
  )

  it.effect("a malformed variable is InvalidInput naming it, of make and layer, before any request", () =>
    Effect.gen(function* () {
      yield* FakePlex.clearRequests
      for (const value of ["ftp://plex.example/auth", "http://127.0.0.1:32401/auth?x=1", "not a URL"]) {
        const made = yield* Effect.flip(WebSignIn.make(options).pipe(withVariable(value)))
        assert.strictEqual(made._tag, "InvalidInput")
        if (made._tag === "InvalidInput") {
          assert.strictEqual(made.operation, "WebSignIn.make")
          assert.strictEqual(made.field, "PLEX_AUTH_APP_URL")
          assert.include(made.message, "PLEX_AUTH_APP_URL")
        }
        const layered = yield* Effect.flip(
          Effect.scoped(Layer.build(WebSignIn.layer(options))).pipe(withVariable(value))
        )
        assert.strictEqual(layered._tag, "InvalidInput")
        if (layered._tag === "InvalidInput") assert.strictEqual(layered.field, "PLEX_AUTH_APP_URL")
      }
      // A malformed option is the option's, whatever the variable.
      const option = yield* Effect.flip(
        WebSignIn.make({ ...options, authAppUrl: "ftp://plex.example/auth" }).pipe(
          withVariable("http://127.0.0.1:32401/auth")
        )
      )
      assert.strictEqual(option._tag, "InvalidInput")
      if (option._tag === "InvalidInput") assert.strictEqual(option.field, "authAppUrl")
      assert.deepStrictEqual(yield* FakePlex.requests, [])
    }).pipe(Effect.provide(Base))
  )
})
