/**
 * Tokens, passwords and two-factor codes never show up anywhere a user (or an
 * exporter) can see: not in an error however it is printed, not in the Cause,
 * not in a log line, not in any span attribute or span exit — on every error
 * path of every operation, including servers that echo the secrets back.
 */
import { inspect } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import type { Duration } from "effect"
import { Cause, Effect, Exit, Inspectable, Redacted, Schedule } from "effect"
import { Credentials, PlexAuth, PlexServer, RetryPolicy } from "effect-plex-auth"
import { afterAdjusting } from "./support/assertions.js"
import { CODE, env, ISSUED_TOKEN, PASSWORD, TOKEN } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"
import { assertNoSecrets, renderings, withCapturedLogs, withRecordedSpans } from "./support/observe.js"
import { operations, success } from "./support/operations.js"

const SECRETS = [TOKEN, PASSWORD, CODE]

interface Scenario {
  readonly name: string
  readonly handler: (echo: string) => MockHttp.Handler
  readonly timeout?: Duration.DurationInput
  readonly maxBodyBytes?: number
  readonly retries?: number
}

/** Error paths; `echo` is the secrets the operation sent, for servers that echo them back. */
const scenarios: ReadonlyArray<Scenario> = [
  {
    name: "400 with Plex's errors[] echoing the secrets",
    handler: (echo) => () => MockHttp.plexErrors(400, [{ code: 1000, message: `rejected: ${echo}` }])
  },
  {
    name: "401 (1001) echoing the secrets",
    handler: (echo) => () =>
      MockHttp.plexErrors(401, [{ code: 1001, message: `User ${echo} could not be authenticated` }])
  },
  {
    name: '422 "Invalid token"',
    handler: () => () => MockHttp.plexErrors(422, [{ code: 1001, message: "Invalid token" }])
  },
  {
    name: "403 text/html echoing the secrets",
    handler: (echo) => () => MockHttp.html(403, `<h1>403</h1><p>${echo}</p>`)
  },
  { name: "404 echoing the secrets", handler: (echo) => () => MockHttp.html(404, `<p>no ${echo} here</p>`) },
  {
    name: "429 with Retry-After",
    handler: (echo) => () => MockHttp.plexErrors(429, [{ code: 1003, message: echo }], { "retry-after": "1" })
  },
  {
    name: "500 text/html echoing the form and headers",
    handler: (echo) => () => MockHttp.html(500, `<pre>request was: ${echo}\n\n${echo}</pre>`)
  },
  {
    name: "503 JSON with errors[] echoing the secrets, retried twice",
    handler: (echo) => () => MockHttp.plexErrors(503, [{ code: 1500, message: echo }]),
    retries: 2
  },
  {
    name: "1029 verification code required",
    handler: () => () => MockHttp.plexErrors(401, [{ code: 1029, message: "code" }])
  },
  {
    name: "1028 wrong verification code",
    handler: (echo) => () => MockHttp.plexErrors(401, [{ code: 1028, message: echo }])
  },
  {
    name: "a success body that does not decode",
    handler: (echo) => () => MockHttp.json(200, echo.split(" "))
  },
  {
    name: "a success body that decodes badly at depth",
    handler: (echo) => () =>
      MockHttp.json(200, { MediaContainer: { token: { echo }, Device: echo }, id: echo, uuid: [echo] })
  },
  { name: "malformed JSON", handler: (echo) => () => MockHttp.json(200, `{"echo": "${echo}`) },
  {
    name: "a success with a wrong content type",
    handler: (echo) => () => MockHttp.text(200, echo, "text/plain")
  },
  { name: "XML on success", handler: (echo) => () => MockHttp.xml(200, `<MediaContainer token="${echo}"/>`) },
  {
    name: "a body over the size limit",
    handler: (echo) => () => MockHttp.json(200, echo.repeat(10)),
    maxBodyBytes: 16
  },
  {
    name: "a connection failure whose message echoes the secrets",
    handler: (echo) => () => MockHttp.transportFailure(`proxy refused ${echo}`, "ECONNRESET")
  },
  { name: "a hang (timeout)", handler: () => () => MockHttp.hang, timeout: "1 second" },
  { name: "a stalled body (timeout)", handler: () => () => MockHttp.stalledBody(), timeout: "1 second" },
  {
    name: "a redirect loop",
    handler: () => (request) => MockHttp.redirect(302, `${request.url.pathname}?hop=${request.index}`)
  },
  {
    name: "a redirect to another origin that then fails",
    handler: (echo) => (request) =>
      request.url.origin === "http://127.0.0.1:9999"
        ? MockHttp.html(500, echo)
        : MockHttp.redirect(307, "http://127.0.0.1:9999/elsewhere")
  }
]

for (const op of operations) {
  const echo = (op.sendsToken ? [TOKEN] : [PASSWORD, CODE]).join(" ")

  describe(`${op.name}: no secret on any error path`, () => {
    for (const scenario of scenarios) {
      it.effect(scenario.name, () =>
        Effect.gen(function* () {
          let program = op.run.pipe(
            Effect.tapErrorCause((cause) => Effect.logError(`${op.name} failed`, cause))
          )
          if (scenario.timeout !== undefined) program = PlexAuth.withRequestTimeout(program, scenario.timeout)
          if (scenario.maxBodyBytes !== undefined) {
            program = Effect.provideService(program, PlexAuth.MaxBodyBytes, scenario.maxBodyBytes)
          }
          if (scenario.retries !== undefined) {
            program = RetryPolicy.withPolicy(program, RetryPolicy.make(Schedule.recurs(scenario.retries)))
          }
          const { exit: logged, lines } = yield* withCapturedLogs(withRecordedSpans(program)).pipe(
            afterAdjusting("1 minute")
          )
          assert.isTrue(Exit.isSuccess(logged))
          const { exit, spans } = Exit.isSuccess(logged) ? logged.value : assert.fail("unreachable")

          // The error, however it is printed.
          assert.isTrue(Exit.isFailure(exit), "the scenario must fail")
          const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
          assertNoSecrets(renderings(error), SECRETS)
          assertNoSecrets(
            { "Cause.pretty(exit)": Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "" },
            SECRETS
          )

          // A body excerpt, when there is one, is scrubbed rather than dropped.
          const excerpt = (error as { bodyExcerpt?: string }).bodyExcerpt
          if (excerpt !== undefined && scenario.name.includes("echo")) assert.include(excerpt, "<redacted>")

          // Every log line, including the user's own log of the failure.
          assert.isTrue(
            lines.some((l) => l.includes(`${op.name} failed`)),
            "the failure must have been logged"
          )
          assertNoSecrets(lines, SECRETS)

          // Every span: names, attributes, events, exits.
          const own = spans.find((s) => s.name === `PlexAuth.${op.name}`)
          assert.isDefined(own)
          assertNoSecrets(
            spans.map((s) => s.render()),
            SECRETS
          )
          const http = spans.filter((s) => s.name.startsWith("http.client"))
          assert.isAbove(http.length, 0, "the HTTP client's spans were recorded")
          for (const span of http) {
            const header = span.attributes.get("http.request.header.x-plex-token")
            if (op.sendsToken && span.attributes.get("server.address") === op.origin) {
              assert.strictEqual(header, "<redacted>")
            } else if (!op.sendsToken) {
              assert.isUndefined(header)
            }
          }
        }).pipe(Effect.provide(env(scenario.handler(echo))))
      )
    }
  })
}

describe("no secret on success", () => {
  for (const op of operations) {
    it.effect(`${op.name}: the value, logs and spans show no token`, () =>
      Effect.gen(function* () {
        const { exit: logged, lines } = yield* withCapturedLogs(
          withRecordedSpans(op.run.pipe(Effect.tap((value) => Effect.logInfo("got", value))))
        )
        const { exit, spans } = Exit.isSuccess(logged) ? logged.value : assert.fail("logging failed")
        assert.isTrue(Exit.isSuccess(exit))
        const value = Exit.isSuccess(exit) ? exit.value : undefined
        const all = [...SECRETS, ISSUED_TOKEN]
        assertNoSecrets(
          {
            "JSON.stringify": JSON.stringify(value),
            String: String(value),
            "util.inspect": inspect(value, { depth: 10 }),
            "Inspectable.format": Inspectable.format(value)
          },
          all
        )
        assert.isTrue(lines.some((l) => l.includes("got")))
        assertNoSecrets(lines, all)
        assertNoSecrets(
          spans.map((s) => s.render()),
          all
        )
      }).pipe(Effect.provide(env(() => success(op))))
    )
  }

  it.effect("the signed-in account: JSON.stringify and String(authToken) show no token", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.postUsersSignInData({
        login: "tester",
        password: PASSWORD,
        verificationCode: CODE
      })
      assert.notInclude(JSON.stringify(account), ISSUED_TOKEN)
      assert.strictEqual(String(account.authToken), "<redacted>")
      assert.strictEqual(`${account.authToken}`, "<redacted>")
      assert.notInclude(inspect(account), ISSUED_TOKEN)
      assert.strictEqual(Redacted.value(account.authToken), ISSUED_TOKEN)
    }).pipe(Effect.provide(env(() => success(operations[0]!))))
  )

  it.effect("a token in a response header is recorded redacted", () =>
    Effect.gen(function* () {
      const { spans } = yield* withRecordedSpans(PlexAuth.getTokenDetails())
      const http = spans.find((s) => s.name.startsWith("http.client"))!
      assert.strictEqual(http.attributes.get("http.response.header.x-plex-token"), "<redacted>")
      assertNoSecrets(
        spans.map((s) => s.render()),
        [TOKEN]
      )
    }).pipe(
      Effect.provide(env(() => MockHttp.json(200, operations[1]!.successBody, { "X-Plex-Token": TOKEN })))
    )
  )
})

describe("no secret in InvalidInput", () => {
  it.effect("a malformed verification code is not repeated", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD, verificationCode: "73921Z!" })
      )
      assert.strictEqual(error._tag, "InvalidInput")
      assertNoSecrets(renderings(error), ["73921Z", PASSWORD])
    }).pipe(Effect.provide(env(() => MockHttp.json(500, {}))))
  )

  it.effect("a malformed token is not repeated", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(Credentials.Credentials, Credentials.layer("tok-en SeCrEt"))
      )
      assertNoSecrets(renderings(error), ["tok-en", "SeCrEt"])
    })
  )

  it.effect("a server URL with credentials is not repeated", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(PlexServer.PlexServer, PlexServer.layer("http://admin:Pa55-w0rd@10.0.0.1:32400"))
      )
      assertNoSecrets(renderings(error), ["Pa55-w0rd"])
    })
  )
})
