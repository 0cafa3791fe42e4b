/**
 * Bad input, property-based, in memory: generated arguments for each
 * operation (logins, passwords, codes, tokens, sources, transient token
 * options, plex.tv and server URLs) either fail with `InvalidInput` before
 * anything is sent (the fake recorded nothing), or are sent (the fake
 * recorded exactly one request) and the outcome is not `InvalidInput`.
 * Where the contract names what is invalid (an empty login, a code that is
 * not six digits, a URL with a query), the outcome must match it; a sent
 * sign-in carries exactly the given values.
 *
 * The Effect 4 edition of test/faults/input.test.ts. Effect 4 has no
 * `FastCheck`: the generators are Effect 4's own `Arbitrary` (from schemas:
 * `Schema.String` yields controls, lone surrogates and emoji as fast-check's
 * `fc.string()` does), combined by the small `pick`/`oneOf` helpers below.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import type * as PlexError from "effect4-plex-auth/PlexError"
import * as PlexServer from "effect4-plex-auth/PlexServer"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import { FakePlex } from "effect4-plex-auth/testing"
import { inMemory } from "./support.js"

// ---------------------------------------------------------------------------
// Generators (fast-check's constantFrom, oneof, integer, string, option)
// ---------------------------------------------------------------------------

const int = (minimum: number, maximum: number) =>
  Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum, maximum })))
/** One of `values` (fast-check's `constantFrom`). */
const pick = <const A>(...values: ReadonlyArray<A>): Arbitrary.Arbitrary<A> =>
  Arbitrary.map(int(0, values.length - 1), (i) => values[i]!)
/** A value of one of `arbitraries` (fast-check's `oneof`). */
const oneOf = <A>(...arbitraries: ReadonlyArray<Arbitrary.Arbitrary<A>>): Arbitrary.Arbitrary<A> =>
  Arbitrary.flatMap(int(0, arbitraries.length - 1), (i) => arbitraries[i]!)
/** Any string: controls, lone surrogates, emoji, `__proto__`, ... */
const anyString = Arbitrary.schema(Schema.String)
const optional = <A>(arbitrary: Arbitrary.Arbitrary<A>) =>
  oneOf<A | undefined>(Arbitrary.Constant(undefined), arbitrary)
const runs = { arbitrary: { runs: 100 } }

// ---------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------

const controls = /[\u0000-\u001f\u007f]/

/** What UTF-8 encoding makes of a string: lone surrogates become U+FFFD. */
const wellFormed = (s: string) =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")

/** The outcome: InvalidInput with nothing sent, or sent once and not InvalidInput. */
const classify = (exit: Exit.Exit<unknown, unknown>, requests: ReadonlyArray<unknown>) => {
  const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
  if ((error as PlexError.PlexError | undefined)?._tag === "InvalidInput") {
    assert.strictEqual(requests.length, 0, "InvalidInput, yet a request was sent")
    return "invalid" as const
  }
  assert.isFalse(Exit.isFailure(exit) && error === undefined, `not a typed outcome: ${String(exit)}`)
  assert.strictEqual(requests.length, 1, `sent ${requests.length} requests`)
  return "sent" as const
}

/** A URL made from the fake's `base` with a known validity. */
const urlArb = (base: string): Arbitrary.Arbitrary<readonly [string, boolean]> =>
  oneOf<readonly [string, boolean]>(
    pick<readonly [string, boolean]>(
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
    Arbitrary.map(
      Arbitrary.filter(anyString, (s) => !/^\s*https?:/i.test(s)),
      (s) => [s, false] as const
    )
  )

type TokenCase = readonly [string | Redacted.Redacted<string>, boolean | undefined]
const tokenArb: Arbitrary.Arbitrary<TokenCase> = oneOf<TokenCase>(
  Arbitrary.Constant<TokenCase>([FakePlex.defaults.token, true]),
  pick<TokenCase>(["", false], ["  ", false], ["tok en", false], ["tok\u0000en", false], ["tok\ten", false]),
  // Visible ASCII only: always a valid token.
  Arbitrary.map(
    Arbitrary.schema(Schema.String.check(Schema.isPattern(/^[\x21-\x7e]{1,64}$/))),
    (s): TokenCase => [s, true]
  ),
  Arbitrary.map(anyString, (s): TokenCase => [
    s,
    s.length > 0 && !/\s/.test(s) && !controls.test(s) ? undefined : false
  ])
)

const run = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    const requests = yield* FakePlex.requests
    return { exit, requests, outcome: classify(exit, requests) }
  })

describe("bad input never reaches the wire, good input always does", () => {
  it.effect.prop(
    "postUsersSignInData",
    {
      login: oneOf(
        pick(FakePlex.defaults.login, " alice ", "ALICE", "", "   ", "al\u0000ice", "al\nice"),
        anyString
      ),
      password: oneOf(pick(Redacted.value(FakePlex.defaults.password), ""), anyString),
      code: oneOf<string | undefined>(
        Arbitrary.Constant(undefined),
        Arbitrary.map(int(0, 999_999), (n) => String(n).padStart(6, "0")),
        pick(" 123456 ", "12345", "1234567", "12a456", "abcd-efgh-2345", "123", "12$456", "", "１２３４５６"),
        anyString
      ),
      rememberMe: optional(Arbitrary.schema(Schema.Boolean))
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
          // What was sent is what was given (the login and code trimmed), as UTF-8 carries it: unlike
          // fast-check's default strings, Schema.String's include lone surrogates, in logins too.
          const form = requests[0]!.form ?? {}
          const reveal = (v: string | Redacted.Redacted<string> | undefined) =>
            v === undefined || typeof v === "string" ? v : Redacted.value(v)
          assert.strictEqual(reveal(form["login"]), wellFormed(login.trim()))
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
    runs
  )

  it.effect.prop(
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
    runs
  )

  it.effect.prop(
    "getTransientToken (type, scope, token, server URL)",
    {
      type: oneOf<string | undefined>(pick(undefined, "delegation"), anyString),
      scope: oneOf<string | undefined>(pick(undefined, "all"), anyString),
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
    runs
  )

  const schemeArb = pick<readonly [string, boolean]>(
    ["server", true],
    ["provider", true],
    ["a+b.c-d", true],
    ["1abc", false],
    ["", false]
  )
  const idArb = oneOf<readonly [string, boolean]>(
    pick<readonly [string, boolean]>(
      [FakePlex.defaults.serverId, true],
      ["tv.plex.provider.vod", true],
      ["", false]
    ),
    Arbitrary.map(pick("a/b", "a?b", "a#b", "a b"), (id) => [id, false] as const),
    Arbitrary.map(
      Arbitrary.schema(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9._~-]{1,40}$/))),
      (id) => [id, true] as const
    )
  )
  it.effect.prop(
    "getSourceConnectionInformation (source, refresh)",
    {
      structured: Arbitrary.all([schemeArb, idArb, pick("", " ")]),
      random: optional(anyString),
      refresh: optional(Arbitrary.schema(Schema.Boolean))
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
    runs
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
