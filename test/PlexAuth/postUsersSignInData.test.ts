import { assert, describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { PlexAuth } from "effect-plex-auth"
import { it } from "../support/it.js"
import account2025 from "../fixtures/account-2025-08.json" with { type: "json" }
import account2026 from "../fixtures/account-2026-02.json" with { type: "json" }
import { expectRequests, failsWith, onlyRequest } from "../support/assertions.js"
import { CODE, env, ISSUED_TOKEN, PASSWORD } from "../support/env.js"
import * as MockHttp from "../support/MockHttp.js"
import { accountBody } from "../support/operations.js"

const signedIn = () => MockHttp.json(201, { ...accountBody, authToken: ISSUED_TOKEN })
const provide =
  (handler: MockHttp.Handler = signedIn) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.provide(self, env(handler))

describe("postUsersSignInData", () => {
  it.effect("decodes the 201 account with its authToken Redacted", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.postUsersSignInData({ login: "tester@example.org", password: PASSWORD })
      assert.strictEqual(account.id, 1234)
      assert.strictEqual(account.uuid, "a1b2c3d4e5f60718")
      assert.strictEqual(account.username, "tester")
      assert.strictEqual(account.email, "tester@example.org")
      assert.isTrue(Redacted.isRedacted(account.authToken))
      assert.strictEqual(Redacted.value(account.authToken), ISSUED_TOKEN)
      assert.deepStrictEqual(account.services, [])
      assert.deepStrictEqual(account.roles, [])
    }).pipe(provide())
  )

  it.effect("sends POST /api/v2/users/signin to plex.tv, form-urlencoded, with no token", () =>
    Effect.gen(function* () {
      yield* PlexAuth.postUsersSignInData({
        login: "tester@example.org",
        password: PASSWORD,
        rememberMe: true,
        verificationCode: CODE
      })
      const request = yield* onlyRequest
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.url.toString(), "https://plex.tv/api/v2/users/signin")
      assert.strictEqual(request.contentType, "application/x-www-form-urlencoded")
      assert.strictEqual(request.headers["accept"], "application/json")
      assert.isUndefined(request.headers["x-plex-token"])
      const form = new URLSearchParams(request.body)
      assert.deepStrictEqual(
        [...form],
        [
          ["login", "tester@example.org"],
          ["password", PASSWORD],
          ["rememberMe", "true"],
          ["verificationCode", CODE]
        ]
      )
      assert.notInclude(request.url.toString(), PASSWORD)
      assert.notInclude(request.url.toString(), CODE)
    }).pipe(provide())
  )

  it.effect("rememberMe defaults to false and verificationCode is left out when absent", () =>
    Effect.gen(function* () {
      yield* PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD })
      const request = yield* onlyRequest
      const form = new URLSearchParams(request.body)
      assert.strictEqual(form.get("rememberMe"), "false")
      assert.isFalse(form.has("verificationCode"))
    }).pipe(provide())
  )

  it.effect(
    "the login is trimmed and the code's surrounding spaces dropped; Redacted inputs are sent as their value",
    () =>
      Effect.gen(function* () {
        yield* PlexAuth.postUsersSignInData({
          login: "  tester@example.org ",
          password: Redacted.make(PASSWORD),
          verificationCode: Redacted.make(` ${CODE} `)
        })
        const form = new URLSearchParams((yield* onlyRequest).body)
        assert.strictEqual(form.get("login"), "tester@example.org")
        assert.strictEqual(form.get("password"), PASSWORD)
        assert.strictEqual(form.get("verificationCode"), CODE)
      }).pipe(provide())
  )

  it.effect("a backup (recovery) code is sent: any code of sane length and charset, still Redacted", () =>
    Effect.gen(function* () {
      for (const code of ["abcd-efgh-2345", "12345678", "A1B2C3D4", "1234 5678"]) {
        yield* PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD, verificationCode: code })
      }
      const sent = (yield* MockHttp.requests).map((r) => new URLSearchParams(r.body).get("verificationCode"))
      assert.deepStrictEqual(sent, ["abcd-efgh-2345", "12345678", "A1B2C3D4", "1234 5678"])
    }).pipe(provide())
  )

  it.effect(
    "six digits typed in groups, as authenticator apps show them, are sent as the six digits; other codes as typed",
    () =>
      Effect.gen(function* () {
        // CODE is 739214. Before, "739 214" and "739-214" went to plex.tv as typed (refused as a wrong code).
        const typed = ["739 214", "739-214", " 73 92 14 ", "739 - 214", "123 4567", "12-345", "73921a 4"]
        for (const code of typed) {
          yield* PlexAuth.postUsersSignInData({
            login: "tester",
            password: PASSWORD,
            verificationCode: Redacted.make(code)
          })
        }
        const sent = (yield* MockHttp.requests).map((r) =>
          new URLSearchParams(r.body).get("verificationCode")
        )
        assert.deepStrictEqual(sent, [CODE, CODE, CODE, CODE, "123 4567", "12-345", "73921a 4"])
      }).pipe(provide())
  )

  it.effect(
    "a grouped code plex.tv refuses is InvalidVerificationCode, the code in none of the error's text",
    () =>
      Effect.gen(function* () {
        const error = yield* failsWith(
          PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD, verificationCode: "739 214" }),
          "InvalidVerificationCode"
        )
        for (const text of [String(error), JSON.stringify(error), error.message]) {
          assert.notInclude(text, "739")
        }
        assert.strictEqual(new URLSearchParams((yield* onlyRequest).body).get("verificationCode"), CODE)
      }).pipe(
        provide(() =>
          MockHttp.json(401, { errors: [{ code: 1028, message: "Invalid verification code", status: 401 }] })
        )
      )
  )

  it.effect(
    "a 401 without code 1029 whose message asks for the verification code is VerificationCodeRequired",
    () =>
      Effect.gen(function* () {
        const error = yield* failsWith(
          PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD }),
          "VerificationCodeRequired"
        )
        assert.strictEqual(error.status, 401)
      }).pipe(
        provide(() =>
          MockHttp.json(401, { errors: [{ message: "Please enter the verification code", status: 401 }] })
        )
      )
  )

  it.effect("a 401 without code 1028 whose message calls the code invalid is InvalidVerificationCode", () =>
    Effect.gen(function* () {
      yield* failsWith(
        PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD, verificationCode: CODE }),
        "InvalidVerificationCode"
      )
    }).pipe(provide(() => MockHttp.json(401, { errors: [{ message: "Invalid verification code" }] })))
  )

  it.effect("a 401 that does not mention the verification code stays Unauthorized", () =>
    Effect.gen(function* () {
      yield* failsWith(PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD }), "Unauthorized")
    }).pipe(provide(() => MockHttp.json(401, { errors: [{ message: "User could not be authenticated" }] })))
  )

  it.effect("a password with spaces and symbols is sent verbatim (not trimmed)", () =>
    Effect.gen(function* () {
      const password = "  spaced & = + %  "
      yield* PlexAuth.postUsersSignInData({ login: "tester", password })
      assert.strictEqual(new URLSearchParams((yield* onlyRequest).body).get("password"), password)
    }).pipe(provide())
  )

  it.effect("a 201 without authToken is Unexpected (Decode): a sign-in must yield a token", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(
        PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD }),
        "Unexpected"
      )
      assert.strictEqual(error.reason, "Decode")
      assert.include(error.detail, "authToken")
    }).pipe(provide(() => MockHttp.json(201, accountBody)))
  )

  it.effect("an empty authToken is Unexpected (Decode)", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(
        PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD }),
        "Unexpected"
      )
      assert.strictEqual(error.reason, "Decode")
    }).pipe(provide(() => MockHttp.json(201, { ...accountBody, authToken: "" })))
  )

  it.effect("decodes the 2025-08 sign-in payload (pastSubscriptions, trials kept)", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.postUsersSignInData({ login: "ada", password: PASSWORD })
      assert.strictEqual(Redacted.value(account.authToken), account2025.authToken)
      assert.strictEqual(account.username, "ada_watches")
      const kept = account as unknown as Record<string, unknown>
      assert.deepStrictEqual(kept["pastSubscriptions"], account2025.pastSubscriptions)
      assert.deepStrictEqual(kept["trials"], [])
    }).pipe(provide(() => MockHttp.json(201, account2025)))
  )

  it.effect("decodes the 2026-02 sign-in payload (a subtitle preference of 2)", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.postUsersSignInData({ login: "ada", password: PASSWORD })
      assert.strictEqual(Redacted.value(account.authToken), account2026.authToken)
      assert.strictEqual(account.profile?.autoSelectSubtitle, 2)
    }).pipe(provide(() => MockHttp.json(201, account2026)))
  )

  it.effect("postUsersSignInDataWithResponse returns status 201, headers and content type", () =>
    Effect.gen(function* () {
      const result = yield* PlexAuth.postUsersSignInDataWithResponse({ login: "tester", password: PASSWORD })
      assert.strictEqual(result.status, 201)
      assert.strictEqual(result.contentType, "application/json; charset=utf-8")
      assert.strictEqual(result.headers["x-request-id"], "req-42")
      assert.strictEqual(Redacted.value(result.value.authToken), ISSUED_TOKEN)
    }).pipe(
      provide(() =>
        MockHttp.json(201, { ...accountBody, authToken: ISSUED_TOKEN }, { "x-request-id": "req-42" })
      )
    )
  )

  describe("invalid input fails with InvalidInput and sends nothing", () => {
    const cases: ReadonlyArray<readonly [string, PlexAuth.SignInInput, string]> = [
      ["an empty login", { login: "", password: PASSWORD }, "login"],
      ["a whitespace login", { login: " \t\n ", password: PASSWORD }, "login"],
      ["a login with control characters", { login: "te\u0000ster", password: PASSWORD }, "login"],
      ["an empty password", { login: "tester", password: "" }, "password"],
      ["an empty Redacted password", { login: "tester", password: Redacted.make("") }, "password"],
      [
        "a three-character code",
        { login: "tester", password: PASSWORD, verificationCode: "123" },
        "verificationCode"
      ],
      [
        "a 65-character code",
        { login: "tester", password: PASSWORD, verificationCode: "1".repeat(65) },
        "verificationCode"
      ],
      [
        "a code with punctuation",
        { login: "tester", password: PASSWORD, verificationCode: "12$456" },
        "verificationCode"
      ],
      [
        "a code with a line break",
        { login: "tester", password: PASSWORD, verificationCode: "1234\n5678" },
        "verificationCode"
      ],
      [
        "a code of whitespace",
        { login: "tester", password: PASSWORD, verificationCode: "   " },
        "verificationCode"
      ],
      ["an empty code", { login: "tester", password: PASSWORD, verificationCode: "" }, "verificationCode"],
      [
        "a non-boolean rememberMe",
        { login: "tester", password: PASSWORD, rememberMe: "yes" as never },
        "rememberMe"
      ],
      ["a non-string login", { login: 42 as never, password: PASSWORD }, "login"],
      ["a non-string password", { login: "tester", password: 42 as never }, "password"]
    ]
    for (const [name, input, field] of cases) {
      it.effect(name, () =>
        Effect.gen(function* () {
          const error = yield* failsWith(PlexAuth.postUsersSignInData(input), "InvalidInput")
          assert.strictEqual(error.field, field)
          assert.strictEqual(error.operation, "PlexAuth.postUsersSignInData")
          yield* expectRequests(0)
        }).pipe(provide())
      )
    }
  })
})

const reviewSignIn = PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD })

describe("error bodies are read leniently", () => {
  it.effect('a code sent as "1029" with a null message still asks for the two-factor code', () =>
    Effect.gen(function* () {
      const error = yield* failsWith(reviewSignIn, "VerificationCodeRequired")
      assert.deepStrictEqual(
        error.errors.map((e) => e.code),
        [1029]
      )
    }).pipe(
      Effect.provide(
        env(MockHttp.always(() => MockHttp.json(401, { errors: [{ code: "1029", message: null }] })))
      )
    )
  )
})

describe("tokens from payloads must be sendable as headers", () => {
  it.effect(
    "a sign-in answer whose authToken holds CR/LF is Unexpected (Decode), and nothing echoes it",
    () =>
      Effect.gen(function* () {
        const error = yield* failsWith(reviewSignIn, "Unexpected")
        assert.strictEqual(error.reason, "Decode")
        assert.notInclude(JSON.stringify(error), "evil")
      }).pipe(
        Effect.provide(
          env(
            MockHttp.always(() =>
              MockHttp.json(201, {
                id: 1,
                uuid: "u",
                username: "t",
                title: "T",
                authToken: "tok\r\nX-Evil: 1"
              })
            )
          )
        )
      )
  )
})
