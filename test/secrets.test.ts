/**
 * Secrets never show up anywhere a user (or an exporter) can see: not in an
 * error however it is printed, not in the Cause, not in a log line, not in
 * any span attribute, event or exit.
 *
 * 1. Scripted error paths (MockHttp): tokens, passwords and two-factor codes
 *    on every error path of every operation, including servers that echo the
 *    secrets back and a `fetch` (under `FetchHttpClient`) whose error quotes
 *    the request; the success values; InvalidInput.
 * 2. Under faults, property-based: random tokens, passwords and two-factor
 *    codes driven through every error path of every operation (each scripted
 *    fault, plus the fake's own refusals), in memory. Generated secrets are
 *    at least 12 characters with at least 6 distinct ones (tokens: printable
 *    ASCII without whitespace; passwords: any text), so that they cannot
 *    occur by chance in normal output the way "a" or "    " would. Codes are
 *    6 digits: they are searched for as a number not adjacent to other
 *    digits. Each secret is also searched for as JSON-escaped and as
 *    URL-encoded text.
 * 3. Jwt: the device key's private part, device JWTs and Plex JWTs, the
 *    device JWT that travels in a PIN check's query included.
 * 4. The requests as sent, as a caller's client sees them (`tapRequest`):
 *    `JSON.stringify`, `util.inspect` and `String` of the sign-in (password
 *    and code) and of `Jwt.exchange` (the device JWT) show no secret.
 */
import { inspect } from "node:util"
import { FetchHttpClient, HttpClient, type HttpClientRequest } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import {
  Cause,
  Clock,
  Duration,
  Effect,
  Exit,
  FastCheck as fc,
  Fiber,
  Inspectable,
  Layer,
  Redacted,
  Schedule,
  TestClock
} from "effect"
import { Credentials, Jwt, PinLogin, PlexAuth, PlexServer, RetryPolicy } from "effect-plex-auth"
import type { ClientIdentity, PlexError } from "effect-plex-auth"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { it } from "./support/it.js"
import type { Operation as FaultOperation, Target } from "./faults/support.js"
import { failureOf, inMemory, operations as faultOperations, targetOf } from "./faults/support.js"
import { signedIn, step, stepToEnd } from "./Jwt/support.js"
import { afterAdjusting } from "./support/assertions.js"
import {
  CODE,
  CredentialsLive,
  env,
  IdentityLive,
  ISSUED_TOKEN,
  PASSWORD,
  ServerLive,
  TOKEN
} from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"
import { assertNoSecrets, renderings, withCapturedLogs, withRecordedSpans } from "./support/observe.js"
import { operations, success } from "./support/operations.js"

// ---------------------------------------------------------------------------
// 1. Scripted error paths (MockHttp)
// ---------------------------------------------------------------------------

const SECRETS = [TOKEN, PASSWORD, CODE]

interface Scenario {
  readonly name: string
  readonly handler: (echo: string) => MockHttp.Handler
  /** The transport instead of MockHttp: `FetchHttpClient` over this `fetch`. */
  readonly fetch?: (echo: string) => typeof globalThis.fetch
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
  {
    name: "a fetch failing with an error that echoes the request",
    handler: () => () => MockHttp.hang, // unused: the transport is the `fetch`
    fetch: (echo) => echoingFetch(echo)
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

/**
 * A `fetch` that fails as Node's does (`TypeError: fetch failed` over the
 * system error, with its code), the system error's message quoting the
 * request it was given (URL, headers, body) and `echo`: a proxy, or a
 * caller's `fetch`, echoing the request into its error. No network.
 */
const echoingFetch =
  (echo: string): typeof globalThis.fetch =>
  async (input, init) => {
    const body = init?.body
    const text =
      typeof body === "string" ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : ""
    const headers = JSON.stringify(Object.fromEntries(new globalThis.Headers(init?.headers)))
    const quoted = `proxy refused ${String(input)} ${headers} ${text} (${echo})`
    throw new TypeError("fetch failed", { cause: Object.assign(new Error(quoted), { code: "ECONNRESET" }) })
  }

/** Everything an operation needs, over `FetchHttpClient` with `fetch`. */
const fetchEnv = (fetch: typeof globalThis.fetch) =>
  Layer.mergeAll(
    FetchHttpClient.layer,
    Layer.succeed(FetchHttpClient.Fetch, fetch),
    IdentityLive,
    CredentialsLive,
    ServerLive
  ).pipe(Layer.orDie)

/** The environment a scenario runs in: MockHttp answering with its handler, or its `fetch`. */
const scenarioEnv = (
  scenario: Scenario,
  echo: string
): Layer.Layer<
  HttpClient.HttpClient | ClientIdentity.ClientIdentity | Credentials.Credentials | PlexServer.PlexServer
> => (scenario.fetch !== undefined ? fetchEnv(scenario.fetch(echo)) : env(scenario.handler(echo)))

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
          // The transport's error under the platform's span (its exit's HttpClientError's cause): the
          // engine's `fetch` masks what a failed `fetch` quotes, down the cause chain (Effect 3's
          // Cause.pretty, above, does not render it; an exporter serialising the error would).
          if (scenario.fetch !== undefined) {
            for (const span of http) {
              const exit = span.exit
              assert.isTrue(exit !== undefined && Exit.isFailure(exit), "the HTTP span failed")
              const failure =
                exit !== undefined && Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
              const transport = inspect((failure as { cause?: unknown }).cause, { depth: 10 })
              assertNoSecrets({ [`${span.name}'s cause`]: transport }, SECRETS)
              // Masked, not dropped.
              assert.include(transport, "proxy refused")
              assert.include(transport, "<redacted>")
            }
          }
        }).pipe(Effect.provide(scenarioEnv(scenario, echo)))
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

describe("a secret within another", () => {
  it.effect("a backup code holding the password is masked whole: neither is shown in part", () =>
    Effect.gen(function* () {
      // The password also stands alone within the code (a hyphen after it): masked first, it left the rest of the
      // code in the error, `<redacted>-xyzzy-plugh`. Overlapping occurrences are masked as one.
      const code = "pw12-xyzzy-plugh"
      const error = yield* Effect.flip(
        PlexAuth.postUsersSignInData({ login: "tester", password: "pw12", verificationCode: code })
      )
      assert.strictEqual(error._tag, "InvalidVerificationCode")
      assertNoSecrets(renderings(error), [code, "xyzzy", "plugh"])
    }).pipe(
      Effect.provide(
        env(() => MockHttp.plexErrors(401, [{ code: 1028, message: "Invalid code pw12-xyzzy-plugh" }]))
      )
    )
  )

  it.effect(
    "a password and a backup code that overlap where echoed are masked as one: neither is shown in part",
    () =>
      Effect.gen(function* () {
        // The answer echoes the password run into the code, sharing "pw12": masked one after the other (longest
        // first), the code went and the password's head stayed, `s3cret-<redacted>`.
        const password = "s3cret-pw12"
        const code = "pw12-xyzzy-plugh"
        const error = yield* Effect.flip(
          PlexAuth.postUsersSignInData({ login: "tester", password, verificationCode: code })
        )
        assert.strictEqual(error._tag, "InvalidVerificationCode")
        assertNoSecrets(renderings(error), [password, code, "s3cret", "xyzzy", "plugh"])
      }).pipe(
        Effect.provide(
          env(() =>
            MockHttp.plexErrors(401, [{ code: 1028, message: "Invalid code s3cret-pw12-xyzzy-plugh" }])
          )
        )
      )
  )
})

describe("each form a server may echo a secret in is masked", () => {
  // One test per form scrub (src/core/redact.ts) masks, each echoing that form alone: dropping one form, or
  // encoding it as it is not sent, fails its test every run (the sweeps under faults below echo the secrets in
  // few forms, and a lone surrogate only when a random draw holds one). The password holds what the forms encode
  // differently: a space (`+` in a form, `%20` in a URI), `!'()` (encoded in a form only), a quote, a backslash,
  // a tab and a control character (JSON-escaped), non-ASCII and an astral code point. "Zq8x" is the same in
  // every form: it is searched for, as whitespace is collapsed in an excerpt.
  const password = `pw "q\\ &=+% !'() ✓\t\u0001 \u{1F600} Zq8x`
  const echoedForms: Record<string, (secret: string) => string> = {
    "as it is": (secret) => secret,
    "URI-encoded": encodeURIComponent,
    "form-encoded": (secret) => new URLSearchParams([["", secret]]).toString().slice(1),
    "JSON-escaped": (secret) => JSON.stringify(secret).slice(1, -1)
  }
  const signIn = (secret: string, echoed: string) =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        PlexAuth.postUsersSignInData({ login: "tester", password: secret, verificationCode: CODE })
      )
      const texts = renderings(error)
      // The echo reached the error, masked.
      assert.include(texts["JSON.stringify"], "echo: <redacted>")
      assertNoSecrets(texts, ["Zq8x"])
    }).pipe(Effect.provide(env(() => MockHttp.html(500, `<pre>echo: ${echoed}</pre>`))))

  for (const [name, encode] of Object.entries(echoedForms)) {
    it.effect(name, () => {
      const echoed = encode(password)
      // No other form within this one: only this form's masking can pass the test.
      for (const [other, otherEncode] of Object.entries(echoedForms))
        if (other !== name) assert.notInclude(echoed, otherEncode(password), other)
      return signIn(password, echoed)
    })
  }

  it.effect("a lone surrogate (no URI encoding) does not stop the other forms being masked", () => {
    const lone = `pw "q\\ \uD83D ✓ Zq8x`
    // JSON escapes a lone surrogate (`\ud83d`); a form sends U+FFFD in its place.
    const echoed = [echoedForms["JSON-escaped"]!(lone), echoedForms["form-encoded"]!(lone)].join(" ")
    return signIn(lone, echoed)
  })
})

// ---------------------------------------------------------------------------
// 2. Random secrets under faults (the in-memory fake, property-based)
// ---------------------------------------------------------------------------

const meaningful = (s: string) => new Set(s).size >= 6 && s.trim().length >= 12

const printableAscii = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c))
const tokenArb = fc.string({ unit: printableAscii, minLength: 12, maxLength: 40 }).filter(meaningful)
/**
 * Any code point, astral ones and lone surrogates included, in place of fast-check's `unit: "binary"`
 * (which draws astral code points but, sampled, no lone surrogate), whose first use builds a table of every
 * code point: 1.8 s of CPU.
 */
const anyCodePoint = fc.oneof(fc.fullUnicode(), fc.char16bits())
const passwordArb = fc
  .oneof(
    fc.string({ unit: "grapheme", minLength: 12, maxLength: 32 }),
    fc.string({ unit: anyCodePoint, minLength: 12, maxLength: 32 }),
    fc.string({ minLength: 12, maxLength: 32 })
  )
  .filter(meaningful)
const codeArb = fc.integer({ min: 0, max: 999_999 }).map((n) => String(n).padStart(6, "0"))

/** The texts a leak of `secret` could take. */
const forms = (secret: string): ReadonlyArray<string> => {
  const out = new Set([secret, JSON.stringify(secret).slice(1, -1)])
  out.add(new URLSearchParams([["x", secret]]).toString().slice(2))
  try {
    out.add(encodeURIComponent(secret))
  } catch {
    // A lone surrogate cannot be URI-encoded; the form encoding above covers it.
  }
  return [...out]
}

/**
 * Whether `text` holds a secret, or `code` standing alone (not part of a longer number, nor a fiber's id: a log
 * line names its fiber, `fiber=#123456`, and a worker that has run many tests has fibers numbered in six digits,
 * one of which a random code then was, about once in ten thousand runs).
 */
const leaks = (text: string, secrets: ReadonlyArray<string>, code: string | undefined) =>
  secrets.some((secret) => forms(secret).some((form) => text.includes(form))) ||
  (code !== undefined && new RegExp(`(?<![\\d#])${code}(?!\\d)`).test(text))

describe("the leak check of the random secrets", () => {
  it("finds a code standing alone, not one within a longer number or a fiber's id", () => {
    assert.isTrue(leaks("verificationCode=123456&x=1", [], "123456"))
    assert.isTrue(leaks('{"code":"123456"}', [], "123456"))
    assert.isFalse(leaks("took 9123456 ms", [], "123456"))
    assert.isFalse(
      leaks("timestamp=1970-01-01T00:00:01.000Z level=WARN fiber=#123456 message=x", [], "123456")
    )
    assert.isFalse(leaks("interrupted at fiber (#123456)", [], "123456"))
  })
})

interface ErrorPath {
  readonly name: string
  /** Whether it applies to the operation. */
  readonly applies?: (op: FaultOperation) => boolean
  /** Prepares the fake and the call. */
  readonly prepare: (
    fake: FakePlex.FakePlexService,
    target: Target,
    op: FaultOperation
  ) => Effect.Effect<{ readonly target: Target }>
}

const fault = (name: string, f: Fault.Fault): ErrorPath => ({
  name,
  // Every attempt meets the fault (retries too).
  prepare: (fake, target, op) => Effect.as(fake.fault(op.name, f), { target })
})

/** A server that echoes what it received in its error page: the engine must mask it. */
const echoPage = Fault.respond((request) =>
  Effect.promise(async () => {
    const body = await request.text()
    const headers = [...request.headers].map(([k, v]) => `${k}: ${v}`).join("\n")
    const decoded = [...new URLSearchParams(body)].map(([k, v]) => `${k}=${v}`).join("\n")
    // What it got first: the excerpt an error keeps is the first 200 characters.
    const token = request.headers.get("x-plex-token") ?? ""
    return new Response(`<pre>${token} ${decoded} ${body}</pre><pre>${headers}</pre>`, {
      status: 500,
      headers: { "content-type": "text/html" }
    })
  })
)

/** A plex.tv-style JSON error whose message repeats the submitted values. */
const echoJson = Fault.respond((request) =>
  Effect.promise(async () => {
    const body = new URLSearchParams(await request.text())
    const token = request.headers.get("x-plex-token") ?? ""
    const message = `Invalid login ${body.get("password") ?? ""} ${body.get("verificationCode") ?? ""} ${token}`
    return new Response(JSON.stringify({ errors: [{ code: 1001, message, status: 401 }] }), {
      status: 401,
      headers: { "content-type": "application/json" }
    })
  })
)

const errorPaths: ReadonlyArray<ErrorPath> = [
  fault("429", Fault.status(429, { retryAfter: "1 second" })),
  fault("500", Fault.status(500)),
  fault("502", Fault.status(502)),
  fault("503", Fault.status(503)),
  fault("504", Fault.status(504)),
  fault("400", Fault.status(400)),
  fault("401", Fault.status(401)),
  fault("delay past the timeout", Fault.delay("5 seconds")),
  fault("hang", Fault.hang),
  fault("reset", Fault.reset),
  fault("refuse", Fault.refuse),
  fault("truncate", Fault.truncate()),
  fault("malformed JSON", Fault.malformedJson),
  fault("HTML 200", Fault.html()),
  fault("HTML 502", Fault.html({ status: 502 })),
  fault("content type", Fault.contentType()),
  fault("oversized", Fault.oversized({ bytes: 4096 })),
  fault("oversized, no length", Fault.oversized({ bytes: 4096, declareLength: false })),
  fault("redirect 302", Fault.redirect()),
  fault("redirect 307", Fault.redirect({ status: 307 })),
  fault("an echoing error page", echoPage),
  fault("an echoing JSON error", echoJson),
  {
    name: "wrong password",
    applies: (op) => op.name === "postUsersSignInData",
    prepare: (_fake, target) =>
      Effect.succeed({
        target: { ...target, password: Redacted.make(`${Redacted.value(target.password)}x`) }
      })
  },
  {
    name: "verification code required",
    applies: (op) => op.name === "postUsersSignInData",
    prepare: (_fake, target) => Effect.succeed({ target: { ...target, verificationCode: undefined } })
  },
  {
    name: "wrong verification code",
    applies: (op) => op.name === "postUsersSignInData",
    prepare: (_fake, target) => {
      const code = Redacted.value(target.verificationCode!)
      const wrong = code === "000000" ? "000001" : "000000"
      return Effect.succeed({ target: { ...target, verificationCode: Redacted.make(wrong) } })
    }
  },
  {
    name: "revoked token",
    applies: (op) => op.sendsToken,
    prepare: (fake, target) => Effect.as(fake.revokeToken(target.token), { target })
  },
  {
    name: "unknown source",
    applies: (op) => op.notFound,
    prepare: (_fake, target) =>
      Effect.succeed({ target: { ...target, source: "server://no-such-server-here" } })
  }
]

/** Runs one error path and returns everything it left behind as text. */
const observeFault = (op: FaultOperation, path: ErrorPath) =>
  Effect.gen(function* () {
    const fake = yield* FakePlex.FakePlex
    const prepared = yield* path.prepare(fake, targetOf(fake), op)
    const call = op.run(prepared.target).pipe(
      // Retries add the engine's retry log lines and span attributes; each runs at once.
      RetryPolicy.withPolicy(RetryPolicy.make(Schedule.recurs(1), { while: () => true })),
      PlexAuth.withRequestTimeout("1 second"),
      Effect.provideService(PlexAuth.MaxBodyBytes, 2048),
      // A caller that logs what went wrong, as callers do.
      Effect.tapErrorCause((cause) => Effect.logError("sign-in or request failed", cause)),
      Effect.tapError((error) => Effect.logWarning(error)),
      withRecordedSpans,
      withCapturedLogs
    )
    const fiber = yield* Effect.fork(call)
    // Past every wait: timeouts (1 s per attempt), Retry-After (1 s), delays, up to 5 s of the clock. A call that waits
    // on none ends in a few turns of the event loop (no time passing); one still running then has the clock moved to
    // each wait in turn, as one `TestClock.adjust("5 seconds")` would (each of Effect 3's steps waits real timer turns,
    // also for the timeouts a call that ended left behind: about 25 ms per run).
    const end = (yield* Clock.currentTimeMillis) + 5000
    const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    for (let turns = 0; turns < 20 && fiber.unsafePoll() === null; turns++) yield* turn
    while (fiber.unsafePoll() === null && (yield* Clock.currentTimeMillis) < end) {
      const now = yield* Clock.currentTimeMillis
      const next = Math.min(end, ...Array.from(yield* TestClock.sleeps()).filter((at) => at > now))
      yield* TestClock.adjust(`${next - now} millis`)
    }
    const { exit: outer, lines } = yield* Fiber.join(fiber)
    if (outer._tag === "Failure") return assert.fail(`observing failed: ${Cause.pretty(outer.cause)}`)
    const { exit, spans } = outer.value
    const error: PlexError.PlexError = failureOf(exit, `${op.name} under ${path.name}`)
    const texts: Record<string, string> = {
      ...renderings(error),
      "Cause.pretty(exit)": exit._tag === "Failure" ? Cause.pretty(exit.cause) : "",
      logs: lines.join("\n"),
      spans: spans.map((span) => span.render()).join("\n---\n"),
      "span attributes": spans
        .flatMap((span) => [...span.attributes].map(([k, v]) => `${k}=${JSON.stringify(v) ?? String(v)}`))
        .join("\n")
    }
    assert.isAbove(spans.length, 0, "the spans were recorded")
    assert.isAbove(lines.length, 0, "the log lines were captured")
    return texts
  })

for (const op of faultOperations) {
  describe(`${op.name}: no secret in errors, causes, logs or spans under any fault`, () => {
    const paths = errorPaths.filter((path) => path.applies?.(op) ?? true)
    const pathArb = fc.constantFrom(...paths)
    // Every error path once with fixed secrets (fast-check runs examples first), then 10 random draws
    // with new secrets every run (fast-check draws a new seed, printed with a failure), as in the Effect 4
    // edition. fast-check counts the examples among `numRuns`, hence the sum.
    // The fixed secrets hold what each leak form encodes differently (space, quote, backslash, &, =, +, %,
    // <, ', a tab and a control character that JSON escapes, non-ASCII, an astral code point that URI-encodes
    // to four bytes), so that every path sees those once whatever the draws; the draws (10, not 30: issue 16)
    // add the shapes no fixed secret has (a lone surrogate, graphemes, lengths).
    // Few paths echo a secret in any one form: "each form a server may echo a secret in is masked" above
    // pins every form scrub masks, and a lone surrogate, every run.
    const examples = paths.map((path, i) => [
      {
        token: `tok-example-${i}-Zq8xW3"\\&=+%<'`,
        password: `pw example ${i} ✓ "q\\&=+%x Zq8x <'\t\u0001 \u{1F600}`,
        code: String(100_000 + i * 7919).slice(0, 6),
        path
      }
    ]) as Array<[{ token: string; password: string; code: string; path: ErrorPath }]>
    it.effect.prop(
      `random secrets through ${paths.length} error paths`,
      [fc.record({ token: tokenArb, password: passwordArb, code: codeArb, path: pathArb })],
      ([{ code, password, path, token }]) =>
        Effect.gen(function* () {
          const texts = yield* observeFault(op, path).pipe(
            Effect.provide(inMemory({ accounts: [{ token, password, twoFactorCode: code }] }))
          )
          for (const [where, text] of Object.entries(texts)) {
            assert.isFalse(
              leaks(text, [token, password], op.name === "postUsersSignInData" ? code : undefined),
              `${op.name} under ${path.name}: a secret leaks in ${where}:\n${text}`
            )
          }
        }),
      { fastCheck: { numRuns: examples.length + 10, examples }, timeout: 60_000 }
    )
  })
}

// ---------------------------------------------------------------------------
// 3. Jwt: keys, device JWTs and Plex JWTs
// ---------------------------------------------------------------------------

/** The secrets of a key: its private member and its whole export. */
const keySecrets = (key: Jwt.DeviceKey) => [Redacted.value(key.d), Redacted.value(Jwt.exportKey(key))]

/** The device JWTs the fake received in PIN checks' queries. */
const presentedDeviceJwts = Effect.map(FakePlex.requests, (all) =>
  all.flatMap((r) => {
    const jwt = r.query["deviceJWT"]
    return jwt === undefined ? [] : [Redacted.isRedacted(jwt) ? Redacted.value(jwt) : jwt]
  })
)

/** Answers with a body that echoes what the request carried (URL and body), as a careless server might. */
const echoRequest = (status: number, seen: Array<string>) =>
  Fault.respond((request) =>
    Effect.promise(async () => {
      const body = await request.text()
      seen.push(body, request.url)
      return new Response(JSON.stringify({ errors: [{ message: `got ${request.url} ${body}`, status }] }), {
        status,
        headers: { "content-type": "application/json" }
      })
    })
  )

describe("Jwt secrets", () => {
  it.scoped("a whole PIN login, exchange, refresh and verification leaves no secret in spans or logs", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const scenario = Effect.gen(function* () {
        const fiber = yield* Effect.fork(Jwt.pinLogin({ key, onPin: () => Effect.void }))
        yield* step(fiber, 2)
        const [pin] = yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.pins)
        yield* FakePlex.approvePin(pin!.id)
        const first = yield* stepToEnd(fiber)
        const credentials = yield* Jwt.makeCredentials({ key, token: first.token, verify: true })
        yield* TestClock.adjust(Duration.hours(6 * 24 + 12))
        // A failed refresh on read is logged; the next call's 498 refreshes.
        yield* FakePlex.fault("getNonce", Fault.status(500), { times: 1 })
        yield* credentials.token
        yield* FakePlex.fault("getTokenDetails", Fault.status(498), { times: 1 })
        yield* PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, credentials))
        const second = yield* credentials.token
        yield* Jwt.verify(second, key)
        return [first.token, second] as const
      })
      const { exit, lines } = yield* withCapturedLogs(withRecordedSpans(scenario))
      assert.isTrue(Exit.isSuccess(exit))
      if (!Exit.isSuccess(exit)) return
      const { exit: inner, spans } = exit.value
      assert.isTrue(Exit.isSuccess(inner), Exit.isFailure(inner) ? Cause.pretty(inner.cause) : "")
      if (!Exit.isSuccess(inner)) return
      const deviceJwts = yield* presentedDeviceJwts
      assert.isAbove(deviceJwts.length, 0)
      const secrets = [
        ...keySecrets(key),
        ...deviceJwts,
        ...inner.value.map(Redacted.value),
        // The signature alone is as good as the token.
        ...inner.value.map((t) => Redacted.value(t).split(".")[2]!)
      ]
      assert.isAbove(spans.length, 10)
      assertNoSecrets(
        spans.map((s) => s.render()),
        secrets
      )
      assert.isTrue(
        lines.some((l) => /refreshing the Plex JWT failed/.test(l)),
        "the failed refresh was logged"
      )
      assertNoSecrets(lines, secrets)
      // The PIN checks are traced by the library's span, without the query; the platform's
      // span (whose url.full would carry the device JWT) is not recorded for them.
      const checks = spans.filter((s) => s.name === "PinLogin.check")
      assert.isAbove(checks.length, 0)
      for (const span of spans) {
        const full = span.attributes.get("url.full")
        if (typeof full === "string") assert.notInclude(full, "deviceJWT")
      }
      assert.isTrue(
        spans.some((s) => typeof s.attributes.get("url.full") === "string"),
        "other requests keep theirs"
      )
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("errors of a PIN check with a device JWT never carry it, even when the server echoes it", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const pin = yield* Jwt.createPin(key)
      const deviceJwt = yield* Jwt.deviceJwt(key)
      const seen: Array<string> = []
      yield* FakePlex.fault("checkPin", echoRequest(500, seen), { times: 1 })
      const error = yield* Effect.flip(PinLogin.check(pin, { deviceJwt }))
      assert.strictEqual(error._tag, "Unexpected")
      assert.isTrue(
        seen.some((s) => s.includes(Redacted.value(deviceJwt))),
        "the server did see it"
      )
      assert.include(String(error), "<redacted>", "the echo was masked")
      assertNoSecrets(renderings(error), [Redacted.value(deviceJwt), ...keySecrets(key)])
      if (error._tag === "Unexpected") assert.notInclude(error.url, "?", "the URL is kept without its query")
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("errors of a PIN check never carry the PIN id: the URL names it {id}, as the spans do", () =>
    Effect.gen(function* () {
      // With the (public) client identifier, a live PIN's id fetches the token once the user approves.
      const fake = yield* FakePlex.FakePlex
      const pin = yield* PinLogin.create()
      yield* FakePlex.fault("checkPin", Fault.status(500), { times: 1 })
      yield* FakePlex.fault("checkPin", Fault.reset, { times: 1 })
      const answered = yield* Effect.flip(PinLogin.check(pin))
      const reset = yield* Effect.flip(PinLogin.check(pin))
      assert.deepStrictEqual([answered._tag, reset._tag], ["Unexpected", "NetworkError"])
      for (const error of [answered, reset]) {
        assertNoSecrets(renderings(error), [String(pin.id)])
        assert.strictEqual("url" in error && error.url, `${fake.plexTvUrl}/api/v2/pins/{id}`)
      }
      assert.strictEqual((yield* PinLogin.check(pin)).id, pin.id, "the request itself still asks for the PIN")
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("errors of an exchange never carry the device JWT, even when the server echoes it", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      yield* Jwt.registerKey(key)
      const seen: Array<string> = []
      yield* FakePlex.fault("exchangeJwt", echoRequest(500, seen), { times: 1 })
      const error = yield* Effect.flip(Jwt.exchange(key))
      assert.strictEqual(error._tag, "Unexpected")
      const sent = JSON.parse(seen[0]!) as { jwt: string }
      assert.isString(sent.jwt)
      assertNoSecrets(renderings(error), [sent.jwt, sent.jwt.split(".")[2]!, ...keySecrets(key)])
      const refused = yield* Effect.flip(Jwt.exchange(yield* Jwt.generateKey))
      assert.strictEqual(refused._tag, "Unauthorized")
      assertNoSecrets(renderings(refused), keySecrets(key))
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("a Plex JWT refused by a server (498) is not in the error", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const plexJwt = yield* Jwt.upgrade(key)
      yield* TestClock.adjust("8 days")
      const error = yield* Effect.flip(Credentials.withToken(PlexAuth.getTransientToken(), plexJwt.token))
      assert.strictEqual(error._tag, "Unauthorized")
      assertNoSecrets(renderings(error), [Redacted.value(plexJwt.token)])
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("a layer that cannot obtain its first token fails without secrets", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(Jwt.layer({ key }))))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit))
        assertNoSecrets([String(exit.cause), JSON.stringify(exit.cause)], keySecrets(key))
      const pending = yield* Effect.fork(Jwt.pinLogin({ key, onPin: () => Effect.void }))
      yield* Fiber.interrupt(pending)
    }).pipe(Effect.provide(signedIn()))
  )
})

// ---------------------------------------------------------------------------
// 4. The requests as sent: a caller's client that logs them shows no secret

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
    "Inspectable.format(request)": Inspectable.format(request)
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
        PlexAuth.postUsersSignInData({
          login: FakePlex.defaults.login,
          password: PASSWORD,
          verificationCode: CODE
        })
      )
      assert.strictEqual(sent.length, 1)
      assertSealed(sent[0]!, [PASSWORD, CODE])
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
