/**
 * The seed operations of `PlexAuth` on Effect 4, against the shared fake:
 * what each sends, what it decodes, and the errors it fails with.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexServer from "effect4-plex-auth/PlexServer"
import * as RetryPolicy from "effect4-plex-auth/RetryPolicy"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { anonymous, env, identity, noSecretIn } from "../support.js"

describe("getTokenDetails", () => {
  it.effect("GETs /api/v2/user with the token as a header, never in the URL, and decodes the account", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(account.username, FakePlex.defaults.username)
      const [request, ...rest] = yield* FakePlex.requests
      assert.strictEqual(rest.length, 0)
      assert.strictEqual(request?.route, "getTokenDetails")
      assert.strictEqual(request?.method, "GET")
      assert.strictEqual(request?.path, "/api/v2/user")
      assert.deepStrictEqual(request?.query, {})
      assert.strictEqual(request?.headers["accept"], "application/json")
      assert.strictEqual(request?.headers["x-plex-client-identifier"], identity.clientIdentifier)
      assert.strictEqual(request?.headers["x-plex-product"], identity.product)
      const token = request?.headers["x-plex-token"]
      assert.isTrue(Redacted.isRedacted(token))
      assert.strictEqual(
        Redacted.value(token as Redacted.Redacted<string>),
        Redacted.value(FakePlex.defaults.token)
      )
    }).pipe(Effect.provide(env()))
  )

  it.effect("WithResponse gives the status and headers too; account is the same request", () =>
    Effect.gen(function* () {
      const success = yield* PlexAuth.getTokenDetailsWithResponse()
      assert.strictEqual(success.status, 200)
      assert.match(success.contentType ?? "", /json/)
      // The plain name sends the same request and decodes the same account, under its own name.
      assert.strictEqual((yield* PlexAuth.account()).username, FakePlex.defaults.username)
      assert.deepStrictEqual(
        (yield* FakePlex.requests).map((r) => r.route),
        ["getTokenDetails", "getTokenDetails"]
      )
    }).pipe(Effect.provide(env()))
  )

  it.effect("a revoked token is Unauthorized, with Plex's status, and no token in it", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* fake.revokeToken(FakePlex.defaults.token)
      const error = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(error._tag, "Unauthorized")
      assert.strictEqual(error.operation, "PlexAuth.getTokenDetails")
      // plex.tv refuses a token it revoked with 422 "Invalid token"; the library reads it as Unauthorized.
      if (error._tag === "Unauthorized") {
        assert.strictEqual(error.url, "https://plex.tv/api/v2/user")
        assert.strictEqual(error.status, 422)
      }
      noSecretIn(error, FakePlex.defaults.token)
    }).pipe(Effect.provide(env()))
  )

  it.effect("Credentials.withToken sends another token for one call", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const other = yield* fake.mintToken()
      yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(other))
      const [request] = yield* FakePlex.requests
      assert.strictEqual(
        Redacted.value(request?.headers["x-plex-token"] as Redacted.Redacted<string>),
        Redacted.value(other)
      )
    }).pipe(Effect.provide(env()))
  )
})

describe("postUsersSignInData", () => {
  const login = FakePlex.defaults.login
  const password = FakePlex.defaults.password

  it.effect(
    "POSTs the form to /api/v2/users/signin without a token and decodes the account with its token Redacted",
    () =>
      Effect.gen(function* () {
        const account = yield* PlexAuth.postUsersSignInData({ login, password })
        assert.isTrue(Redacted.isRedacted(account.authToken))
        const [request] = yield* FakePlex.requests
        assert.strictEqual(request?.method, "POST")
        assert.strictEqual(request?.path, "/api/v2/users/signin")
        assert.isUndefined(request?.headers["x-plex-token"])
        assert.strictEqual(request?.form?.["login"], login)
        assert.strictEqual(request?.form?.["rememberMe"], "false")
        // The plain name sends the same request (its span and errors are named PlexAuth.signIn).
        assert.isTrue(Redacted.isRedacted((yield* PlexAuth.signIn({ login, password })).authToken))
        const [, again] = yield* FakePlex.requests
        assert.strictEqual(again?.path, "/api/v2/users/signin")
        assert.deepStrictEqual(again?.form, request?.form)
      }).pipe(Effect.provide(anonymous()))
  )

  it.effect("a wrong password is Unauthorized and never shows the password", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        PlexAuth.postUsersSignInData({ login, password: "not-the-password-42" })
      )
      assert.strictEqual(error._tag, "Unauthorized")
      noSecretIn(error, "not-the-password-42")
    }).pipe(Effect.provide(anonymous()))
  )

  it.effect(
    "two-factor: VerificationCodeRequired without a code, InvalidVerificationCode with a wrong one, the account with the right one",
    () =>
      Effect.gen(function* () {
        const input = { login: "twofa@example.com", password: "pw-2fa-secret" }
        const required = yield* Effect.flip(PlexAuth.postUsersSignInData(input))
        assert.strictEqual(required._tag, "VerificationCodeRequired")
        const wrong = yield* Effect.flip(
          PlexAuth.postUsersSignInData({ ...input, verificationCode: "000000" })
        )
        assert.strictEqual(wrong._tag, "InvalidVerificationCode")
        noSecretIn(wrong, "000000", "pw-2fa-secret")
        const account = yield* PlexAuth.postUsersSignInData({ ...input, verificationCode: "123456" })
        assert.strictEqual(account.username, "twofa")
      }).pipe(
        Effect.provide(
          anonymous({
            accounts: [
              { username: "someone" },
              {
                username: "twofa",
                email: "twofa@example.com",
                password: "pw-2fa-secret",
                twoFactorCode: "123456"
              }
            ]
          })
        )
      )
  )

  it.effect("bad input fails with InvalidInput before any request", () =>
    Effect.gen(function* () {
      const cases = [
        [{ login: "", password }, "login"],
        [{ login: "a\nb", password }, "login"],
        [{ login, password: "" }, "password"],
        [{ login, password, verificationCode: "12" }, "verificationCode"],
        [{ login, password, rememberMe: "yes" as unknown as boolean }, "rememberMe"]
      ] as const
      for (const [input, field] of cases) {
        const error = yield* Effect.flip(PlexAuth.postUsersSignInData(input))
        assert.strictEqual(error._tag, "InvalidInput")
        if (error._tag === "InvalidInput") assert.strictEqual(error.field, field)
      }
      assert.strictEqual((yield* FakePlex.requests).length, 0)
    }).pipe(Effect.provide(anonymous()))
  )

  it.effect(
    "a sign-in is never sent twice when Plex may have processed it (a 500, a reset), even with a retry policy",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("postUsersSignInData", Fault.status(500))
        const first = yield* Effect.flip(
          PlexAuth.postUsersSignInData({ login, password }).pipe(
            RetryPolicy.withPolicy(RetryPolicy.backoff({ initialInterval: "1 millis" }))
          )
        )
        assert.strictEqual(first._tag, "Unexpected")
        yield* FakePlex.clearFaults
        yield* FakePlex.fault("postUsersSignInData", Fault.reset)
        const second = yield* Effect.flip(
          PlexAuth.postUsersSignInData({ login, password }).pipe(
            RetryPolicy.withPolicy(RetryPolicy.backoff({ initialInterval: "1 millis" }))
          )
        )
        assert.strictEqual(second._tag, "NetworkError")
        assert.strictEqual((yield* FakePlex.requests).length, 2)
      }).pipe(Effect.provide(anonymous()))
  )
})

describe("server operations", () => {
  it.effect(
    "getTransientToken POSTs /security/token?type=delegation&scope=all to the server with its token",
    () =>
      Effect.gen(function* () {
        const transient = yield* PlexAuth.getTransientToken()
        assert.isTrue(Redacted.isRedacted(transient.token))
        const [request] = yield* FakePlex.requests
        assert.strictEqual(request?.host, "server")
        assert.strictEqual(request?.method, "POST")
        assert.strictEqual(request?.path, "/security/token")
        assert.deepStrictEqual(request?.query, { type: "delegation", scope: "all" })
        // The plain name sends the same request (its span and errors are named PlexAuth.transientToken).
        assert.isTrue(Redacted.isRedacted((yield* PlexAuth.transientToken()).token))
        const [, again] = yield* FakePlex.requests
        assert.strictEqual(again?.path, "/security/token")
        assert.deepStrictEqual(again?.query, request?.query)
      }).pipe(Effect.provide(env()))
  )

  it.effect("getTransientToken refuses another type or scope before any request", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(PlexAuth.getTransientToken({ scope: "some" as "all" }))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual((yield* FakePlex.requests).length, 0)
    }).pipe(Effect.provide(env()))
  )

  it.effect(
    "getSourceConnectionInformation: the source's connections, NotFound for an unknown one, InvalidInput without scheme://",
    () =>
      Effect.gen(function* () {
        const info = yield* PlexAuth.getSourceConnectionInformation({
          source: "server://abc123",
          refresh: true
        })
        assert.strictEqual(info.clientIdentifier, "abc123")
        assert.deepStrictEqual((yield* FakePlex.requests)[0]?.query, {
          source: "server://abc123",
          refresh: "1"
        })
        const missing = yield* Effect.flip(
          PlexAuth.getSourceConnectionInformation({ source: "server://nope" })
        )
        assert.strictEqual(missing._tag, "NotFound")
        const invalid = yield* Effect.flip(PlexAuth.getSourceConnectionInformation({ source: "nope" }))
        assert.strictEqual(invalid._tag, "InvalidInput")
        const request = (yield* FakePlex.requests).at(-1)
        assert.strictEqual(request?.path, "/security/resources")
        assert.deepStrictEqual(request?.query, { source: "server://nope" })
      }).pipe(Effect.provide(env({ servers: [{ sources: [{ source: "server://abc123" }] }] })))
  )

  it.effect("PlexServer.withUrl points one call at another server", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(PlexAuth.getTransientToken().pipe(PlexServer.withUrl("ftp://x")))
      assert.strictEqual(error._tag, "InvalidInput")
    }).pipe(Effect.provide(env()))
  )
})

describe("token lifecycle", () => {
  it.effect("ping answers pong with the token", () =>
    Effect.gen(function* () {
      assert.isTrue(yield* PlexAuth.ping())
      const [request] = yield* FakePlex.requests
      assert.strictEqual(request?.path, "/api/v2/ping")
    }).pipe(Effect.provide(env()))
  )

  it.effect("signOut revokes the token: the next call is Unauthorized", () =>
    Effect.gen(function* () {
      yield* PlexAuth.signOut()
      const [request] = yield* FakePlex.requests
      assert.strictEqual(request?.method, "DELETE")
      assert.strictEqual(request?.path, "/api/v2/users/signout")
      const error = yield* Effect.flip(PlexAuth.getTokenDetails())
      assert.strictEqual(error._tag, "Unauthorized")
    }).pipe(Effect.provide(env()))
  )
})
