/**
 * Bad input, property-based, in memory: generated arguments for each
 * operation (logins, passwords, codes, tokens, sources, transient token
 * options, plex.tv and server URLs) either fail with `InvalidInput` before
 * anything is sent (the fake recorded nothing), or are sent (the fake
 * recorded exactly one request) and the outcome is not `InvalidInput`.
 * Where the contract names what is invalid (an empty login, a code that is
 * not six digits, a URL with a query), the outcome must match it; a sent
 * sign-in carries exactly the given values.
 */
import { assert, describe } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc, Redacted, Runtime } from "effect"
import { Credentials, PlexAuth, PlexServer, PlexTv } from "effect-plex-auth"
import type { PlexError } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { it } from "../support/it.js"
import { inMemory } from "./support.js"

const controls = /[\u0000-\u001f\u007f]/

/** What UTF-8 encoding makes of a string: lone surrogates become U+FFFD. */
const wellFormed = (s: string) =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")

/** The outcome: InvalidInput with nothing sent, or sent once and not InvalidInput. */
const classify = (exit: Exit.Exit<unknown, unknown>, requests: ReadonlyArray<unknown>) => {
  const invalid =
    Exit.isFailure(exit) &&
    exit.cause._tag === "Fail" &&
    (exit.cause.error as PlexError.PlexError | undefined)?._tag === "InvalidInput"
  if (invalid) {
    assert.strictEqual(requests.length, 0, "InvalidInput, yet a request was sent")
    return "invalid" as const
  }
  assert.isFalse(Exit.isFailure(exit) && exit.cause._tag !== "Fail", `not a typed outcome: ${String(exit)}`)
  assert.strictEqual(requests.length, 1, `sent ${requests.length} requests`)
  return "sent" as const
}

/** A URL made from the fake's `base` with a known validity. */
const urlArb = (base: string): fc.Arbitrary<readonly [string, boolean]> =>
  fc.oneof(
    fc.constantFrom<readonly [string, boolean]>(
      [base, true],
      [`${base}/`, true],
      [`  ${base}  `, true],
      [base.toUpperCase(), true],
      [`${base}/prefix`, true],
      [`${base}?q=1`, false],
      [`${base}#frag`, false],
      [base.replace("://", "://user:secret@"), false],
      [base.replace(/^https?/, "ftp"), false],
      [base.replace(/^https?:\/\//, ""), false],
      ["", false],
      ["   ", false]
    ),
    // Text that does not start with http(s): never a valid base URL.
    fc
      .string()
      .filter((s) => !/^\s*https?:/i.test(s))
      .map((s) => [s, false] as const)
  )

const tokenArb: fc.Arbitrary<readonly [string | Redacted.Redacted<string>, boolean | undefined]> = fc.oneof(
  fc.constant([FakePlex.defaults.token, true] as const),
  fc.constantFrom<readonly [string, boolean]>(
    ["", false],
    ["  ", false],
    ["tok en", false],
    ["tok\u0000en", false],
    ["tok\ten", false]
  ),
  fc
    .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1 })
    .map((s) => [s, true] as const),
  fc.string().map((s) => [s, s.length > 0 && !/\s/.test(s) && !controls.test(s) ? undefined : false] as const)
)

/**
 * `it.effect.prop`, its runs in the test's own environment: each run still provides a fake of its own
 * (inMemory), but not a test environment of its own (a TestClock and the other test services: about 5 ms
 * of CPU to build in Effect 3, for 400 runs here). Nothing here moves the clock: the per-attempt timeout
 * of each call is interrupted when the fake answers at once. A failing run fails the test with
 * fast-check's counterexample and the assertion's message, as `it.effect.prop` does.
 */
const prop = <T>(
  name: string,
  arbitraries: { [K in keyof T]: fc.Arbitrary<T[K]> },
  body: (value: T) => Effect.Effect<void, unknown>,
  params: fc.Parameters<[T]>
) =>
  it.effect(name, () =>
    Effect.flatMap(Effect.runtime<never>(), (runtime) =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.record(arbitraries) as fc.Arbitrary<T>, (value) =>
            Runtime.runPromise(runtime, body(value))
          ),
          params
        )
      )
    )
  )

const run = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    const requests = yield* FakePlex.requests
    return { exit, requests, outcome: classify(exit, requests) }
  })

describe("bad input never reaches the wire, good input always does", () => {
  prop(
    "postUsersSignInData",
    {
      login: fc.oneof(
        fc.constantFrom(FakePlex.defaults.login, " alice ", "ALICE", "", "   ", "al\u0000ice", "al\nice"),
        fc.string()
      ),
      password: fc.oneof(fc.constantFrom(Redacted.value(FakePlex.defaults.password), ""), fc.string()),
      code: fc.oneof(
        fc.constant(undefined),
        fc.integer({ min: 0, max: 999_999 }).map((n) => String(n).padStart(6, "0")),
        fc.constantFrom(
          " 123456 ",
          "12345",
          "1234567",
          "12a456",
          "abcd-efgh-2345",
          "123",
          "12$456",
          "",
          "１２３４５６"
        ),
        fc.string()
      ),
      rememberMe: fc.option(fc.boolean(), { nil: undefined })
    },
    ({ code, login, password, rememberMe }) =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const { exit, outcome, requests } = yield* run(
          PlexAuth.postUsersSignInData({ login, password, rememberMe, verificationCode: code }).pipe(
            PlexTv.withUrl(fake.plexTvUrl)
          )
        )
        const expectInvalid =
          login.trim() === "" ||
          controls.test(login) ||
          password === "" ||
          (code !== undefined &&
            !(code.trim().length >= 4 && code.trim().length <= 64 && /^[A-Za-z0-9_ -]+$/.test(code.trim())))
        assert.strictEqual(outcome, expectInvalid ? "invalid" : "sent")
        if (outcome === "sent") {
          // What was sent is what was given (the login and code trimmed).
          const form = requests[0]!.form ?? {}
          const reveal = (v: string | Redacted.Redacted<string> | undefined) =>
            v === undefined || typeof v === "string" ? v : Redacted.value(v)
          assert.strictEqual(reveal(form["login"]), login.trim())
          assert.strictEqual(reveal(form["password"]), wellFormed(password))
          assert.strictEqual(reveal(form["verificationCode"]), code?.trim())
          const seeded =
            login.trim().toLowerCase() === FakePlex.defaults.login ||
            login.trim().toLowerCase() === FakePlex.defaults.username
          if (seeded && password === Redacted.value(FakePlex.defaults.password) && code === undefined) {
            assert.isTrue(Exit.isSuccess(exit), `a valid sign-in was refused: ${String(exit)}`)
          }
        }
      }).pipe(Effect.provide(inMemory())),
    { numRuns: 100 }
  )

  prop(
    "getTokenDetails (token, plex.tv URL)",
    { token: tokenArb, url: urlArb(FakePlex.defaults.plexTvUrl) },
    ({ token: [token, tokenValid], url: [url, urlValid] }) =>
      Effect.gen(function* () {
        const { outcome } = yield* run(
          PlexAuth.getTokenDetails().pipe(PlexTv.withUrl(url), Credentials.withToken(token))
        )
        if (tokenValid === false || !urlValid) assert.strictEqual(outcome, "invalid")
        else if (tokenValid === true) assert.strictEqual(outcome, "sent")
      }).pipe(Effect.provide(inMemory())),
    { numRuns: 100 }
  )

  prop(
    "getTransientToken (type, scope, token, server URL)",
    {
      type: fc.oneof(fc.constantFrom(undefined, "delegation"), fc.string()),
      scope: fc.oneof(fc.constantFrom(undefined, "all"), fc.string()),
      token: tokenArb,
      url: urlArb(FakePlex.defaults.serverUrl)
    },
    ({ scope, token: [token, tokenValid], type, url: [url, urlValid] }) =>
      Effect.gen(function* () {
        const { outcome } = yield* run(
          PlexAuth.getTransientToken({ type, scope } as PlexAuth.TransientTokenInput).pipe(
            PlexServer.withUrl(url),
            Credentials.withToken(token)
          )
        )
        const argsValid =
          (type === undefined || type === "delegation") && (scope === undefined || scope === "all")
        if (!argsValid || tokenValid === false || !urlValid) assert.strictEqual(outcome, "invalid")
        else if (tokenValid === true) assert.strictEqual(outcome, "sent")
      }).pipe(Effect.provide(inMemory())),
    { numRuns: 100 }
  )

  const schemeArb = fc.constantFrom<readonly [string, boolean]>(
    ["server", true],
    ["provider", true],
    ["a+b.c-d", true],
    ["1abc", false],
    ["", false]
  )
  const idArb = fc.oneof(
    fc.constantFrom<readonly [string, boolean]>(
      [FakePlex.defaults.serverId, true],
      ["tv.plex.provider.vod", true],
      ["", false]
    ),
    fc.constantFrom("a/b", "a?b", "a#b", "a b").map((id) => [id, false] as const),
    fc.stringMatching(/^[A-Za-z0-9._~-]{1,40}$/).map((id) => [id, true] as const)
  )
  prop(
    "getSourceConnectionInformation (source, refresh)",
    {
      structured: fc.tuple(schemeArb, idArb, fc.constantFrom("", " ")),
      random: fc.option(fc.string(), { nil: undefined }),
      refresh: fc.option(fc.boolean(), { nil: undefined })
    },
    ({ random, refresh, structured: [[scheme, schemeValid], [id, idValid], pad] }) =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const source = random ?? `${pad}${scheme}://${id}${pad}`
        const { outcome } = yield* run(
          PlexAuth.getSourceConnectionInformation({ source, refresh }).pipe(
            PlexServer.withUrl(fake.serverUrl),
            Credentials.withToken(fake.token)
          )
        )
        // Random text only has to fall on one side; structured sources have a known validity.
        if (random === undefined) assert.strictEqual(outcome, schemeValid && idValid ? "sent" : "invalid")
      }).pipe(Effect.provide(inMemory())),
    { numRuns: 100 }
  )
})

describe("a token that cannot be sent as a header", () => {
  // An HTTP header carries bytes: a token with a character outside visible ASCII is refused up front.
  it.effect("a token with a non-Latin-1 character is InvalidInput with nothing sent", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const { outcome } = yield* run(
        PlexAuth.getTokenDetails().pipe(
          PlexTv.withUrl(fake.plexTvUrl),
          Credentials.withToken("tok€n-0123456789")
        )
      )
      assert.strictEqual(outcome, "invalid")
    }).pipe(Effect.provide(inMemory()))
  )
})
