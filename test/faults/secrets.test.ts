/**
 * Secrets under faults, property-based: random tokens, passwords and
 * two-factor codes are driven through every error path of every operation
 * (each scripted fault, plus the fake's own refusals), in memory. None may
 * appear in the error (`String`, `JSON.stringify`, `util.inspect`, ...),
 * `Cause.pretty` of the failure, any log line (all levels, the library's and
 * a caller's who logs the failure) or any span attribute or event.
 *
 * Generated secrets are at least 12 characters with at least 6 distinct ones
 * (tokens: printable ASCII without whitespace; passwords: any text), so that
 * they cannot occur by chance in normal output the way "a" or "    " would.
 * Codes are 6 digits: they are searched for as a number not adjacent to
 * other digits. Each secret is also searched for as JSON-escaped and as
 * URL-encoded text.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, FastCheck as fc, Fiber, Redacted, Schedule, TestClock } from "effect"
import { PlexAuth, RetryPolicy } from "effect-plex-auth"
import type { PlexError } from "effect-plex-auth"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { renderings, withCapturedLogs, withRecordedSpans } from "../support/observe.js"
import type { Operation, Target } from "./support.js"
import { failureOf, inMemory, operations, targetOf } from "./support.js"

const meaningful = (s: string) => new Set(s).size >= 6 && s.trim().length >= 12

const printableAscii = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c))
const tokenArb = fc.string({ unit: printableAscii, minLength: 12, maxLength: 40 }).filter(meaningful)
const passwordArb = fc
  .oneof(
    fc.string({ unit: "grapheme", minLength: 12, maxLength: 32 }),
    fc.string({ unit: "binary", minLength: 12, maxLength: 32 }),
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

const leaks = (text: string, secrets: ReadonlyArray<string>, code: string | undefined) =>
  secrets.some((secret) => forms(secret).some((form) => text.includes(form))) ||
  (code !== undefined && new RegExp(`(?<!\\d)${code}(?!\\d)`).test(text))

interface ErrorPath {
  readonly name: string
  /** Whether it applies to the operation. */
  readonly applies?: (op: Operation) => boolean
  /** Prepares the fake and the call. */
  readonly prepare: (
    fake: FakePlex.FakePlexService,
    target: Target,
    op: Operation
  ) => Effect.Effect<{ readonly target: Target }>
}

const fault = (name: string, f: Fault.Fault): ErrorPath => ({
  name,
  // Every attempt meets the fault (retries too).
  prepare: (fake, target, op) => Effect.as(fake.fault(op.name, f), { target })
})

/** A server that echoes what it received in its error page: the engine must mask it. */
const echo = Fault.respond((request) =>
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
  fault("an echoing error page", echo),
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
const observe = (op: Operation, path: ErrorPath) =>
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
    // Past every wait: timeouts (1 s per attempt), Retry-After (1 s), delays.
    yield* TestClock.adjust("5 seconds")
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

for (const op of operations) {
  describe(`${op.name}: no secret in errors, causes, logs or spans under any fault`, () => {
    const paths = errorPaths.filter((path) => path.applies?.(op) ?? true)
    const pathArb = fc.constantFrom(...paths)
    // Every error path once with fixed secrets (fast-check runs examples first), then random draws.
    const examples = paths.map((path, i) => [
      {
        token: `tok-example-${i}-Zq8xW3`,
        password: `pw example ${i} ✓ Zq8x`,
        code: String(100_000 + i * 7919).slice(0, 6),
        path
      }
    ]) as Array<[{ token: string; password: string; code: string; path: ErrorPath }]>
    it.effect.prop(
      `random secrets through ${paths.length} error paths`,
      [fc.record({ token: tokenArb, password: passwordArb, code: codeArb, path: pathArb })],
      ([{ code, password, path, token }]) =>
        Effect.gen(function* () {
          const texts = yield* observe(op, path).pipe(
            Effect.provide(inMemory({ accounts: [{ token, password, twoFactorCode: code }] }))
          )
          for (const [where, text] of Object.entries(texts)) {
            assert.isFalse(
              leaks(text, [token, password], op.name === "postUsersSignInData" ? code : undefined),
              `${op.name} under ${path.name}: a secret leaks in ${where}:\n${text}`
            )
          }
        }),
      { fastCheck: { numRuns: 60, examples }, timeout: 60_000 }
    )
  })
}
