/**
 * Masking secrets in text that leaves the library (issue 19.7): a secret of
 * at least six characters is masked wherever it appears, in each form it may
 * be echoed in; a shorter one only where it stands alone, so a one-letter
 * password does not turn `plex.tv` into `ple<redacted>.tv`. Property tests:
 * no secret of six or more characters survives anywhere, and a short one
 * never survives standing alone.
 */
import { assert, describe } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { PlexAuth, PlexTv } from "effect-plex-auth"
import { it } from "../support/it.js"
import { minLengthAnywhere, scrub } from "../../src/core/redact.js"
import { failsWith } from "../support/assertions.js"
import { env } from "../support/env.js"
import * as MockHttp from "../support/MockHttp.js"

describe("scrub", () => {
  it("a one-letter password leaves host names alone, and is masked where it stands alone", () => {
    assert.strictEqual(scrub("getaddrinfo ENOTFOUND plex.tv", ["x"]), "getaddrinfo ENOTFOUND plex.tv")
    assert.strictEqual(scrub("password=x&login=me", ["x"]), "password=<redacted>&login=me")
    assert.strictEqual(scrub(`{"password":"x"}`, ["x"]), `{"password":"<redacted>"}`)
    assert.strictEqual(scrub("x", ["x"]), "<redacted>")
  })

  it("a six-digit code or a token is masked anywhere, even glued to other characters", () => {
    assert.strictEqual(scrub("code739214x", ["739214"]), "code<redacted>x")
    assert.strictEqual(scrub("tok-SeCrEt-4f9a2c7e1bZZ", ["tok-SeCrEt-4f9a2c7e1b"]), "<redacted>ZZ")
  })

  it("the URL-encoded and JSON-escaped forms of a secret are masked too", () => {
    assert.strictEqual(scrub("p=a%26b%3Dc+d", ["a&b=c d"]), "p=<redacted>")
    assert.strictEqual(scrub(`"q\\"uote\\\\"`, [`q"uote\\`]), `"<redacted>"`)
  })

  it.prop(
    "no secret of six or more characters survives, wherever it is put",
    [fc.string({ minLength: minLengthAnywhere, maxLength: 30 }), fc.string(), fc.string()],
    ([secret, before, after]) => {
      fc.pre(secret.trim().length > 0)
      const out = scrub(`${before}${secret}${after}`, [secret])
      assert.notInclude(out.replaceAll("<redacted>", "\u0000"), secret)
    }
  )

  it.prop(
    "a short secret never survives standing alone (between non-word characters)",
    [
      fc.string({
        unit: fc.constantFrom(..."ab1_xZ".split("")),
        minLength: 1,
        maxLength: minLengthAnywhere - 1
      }),
      fc.constantFrom(" ", "=", '"', "&", ":", "/")
    ],
    ([secret, separator]) => {
      const out = scrub(`before${separator}${secret}${separator}after`, [secret])
      assert.include(out, "<redacted>")
      assert.notInclude(out.replace("before", "").replace("after", "").replaceAll("<redacted>", ""), secret)
    }
  )
})

describe("through an operation", () => {
  it.effect("a DNS error with password x reads plex.tv, not ple<redacted>.tv", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(
        PlexAuth.postUsersSignInData({ login: "me", password: "x" }).pipe(PlexTv.withUrl("https://plex.tv")),
        "NetworkError"
      )
      assert.include(error.message, "ENOTFOUND plex.tv")
      assert.notInclude(error.message, "<redacted>")
    }).pipe(
      Effect.provide(env(() => MockHttp.transportFailure("getaddrinfo ENOTFOUND plex.tv", "ENOTFOUND")))
    )
  )
})
