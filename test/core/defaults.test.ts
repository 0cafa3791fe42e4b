/**
 * Choices both editions take from the core rather than each writing them: the session sign-in's
 * `rememberMe` (src/core/auth.ts), which answers grant access (src/core/access.ts) and the web sign-in's approval checks (src/core/web/signIn.ts).
 */
import { assert, describe, it } from "vitest"
import * as Access from "../../src/core/access.js"
import * as Auth from "../../src/core/auth.js"
import * as Validate from "../../src/core/validate.js"
import * as Web from "../../src/core/web/signIn.js"

describe("core defaults both editions share", () => {
  it("a session sign-in asks for a long-lived token unless told otherwise", () => {
    const input: { readonly login: string; readonly password: string; readonly rememberMe?: boolean } = {
      login: "a",
      password: "b"
    }
    assert.deepStrictEqual<object>(Auth.sessionSignIn(input), {
      login: "a",
      password: "b",
      rememberMe: true
    })
    assert.strictEqual(Auth.sessionSignIn({ rememberMe: false }).rememberMe, false)
  })

  it("the web sign-in's callback checks a PIN at most every 500 ms, never spinning on a zero wait", () => {
    assert.strictEqual(Web.approvalRecheckDelayMillis(5_000), 500)
    assert.strictEqual(Web.approvalRecheckDelayMillis(200), 200)
    assert.strictEqual(Web.approvalCheckSpacingMillis(5_000), 500)
    assert.strictEqual(Web.approvalCheckSpacingMillis(0), 1)
    // A check plex.tv leaves unanswered at the callback is "no answer in time", as a per-attempt timeout says.
    assert.strictEqual(Web.callbackWaitFailure, "NetworkError")
  })

  it("the owner, a home member and a shared user have access; no access, an invalid token or an unknown answer do not", () => {
    for (const tag of ["Owner", "HomeMember", "Shared"]) assert.isTrue(Access.grantsAccess(tag), tag)
    for (const tag of ["NoAccess", "InvalidToken", "Unknown"]) assert.isFalse(Access.grantsAccess(tag), tag)
    assert.isTrue(Web.isAccessLevel("Shared"))
    assert.isFalse(Web.isAccessLevel(1))
  })

  it("a negative duration input, as a number, NaN, a string, nanoseconds or [seconds, nanos], is negative as given", () => {
    for (const input of [
      -1,
      Number.NaN,
      "-1 seconds",
      " -5 millis",
      -1n,
      [-1, 0],
      [0, -1],
      [Number.NaN, 0],
      [0, Number.NEGATIVE_INFINITY],
      [-1, 999_999_999],
      // Effect 4's object of parts: it reads NaN as zero and keeps the sign.
      { millis: Number.NaN },
      { seconds: -1 },
      { seconds: 1, millis: -1 }
    ]) {
      assert.isTrue(
        Validate.isNegativeDurationInput(input),
        typeof input === "object" && input !== null && !Array.isArray(input)
          ? JSON.stringify(input)
          : String(input)
      )
    }
    for (const input of [
      0,
      5,
      "1 second",
      "0 millis",
      undefined,
      0n,
      5n,
      [0, 0],
      [1, 500],
      // Its sum, as both editions read it: a little under a second, one second.
      [1, -5],
      [-1, 2_000_000_000],
      { seconds: 1 },
      {}
    ]) {
      assert.isFalse(
        Validate.isNegativeDurationInput(input),
        typeof input === "object" && input !== null && !Array.isArray(input)
          ? JSON.stringify(input)
          : String(input)
      )
    }
  })

  it("a duration option: a duration, finite where a limit must be, positive or with least that many ms or more; a timeout too", () => {
    const finite = (millis: number): Validate.DecodedDuration => ({ finite: true, millis })
    const infinite: Validate.DecodedDuration = { finite: false, millis: Number.POSITIVE_INFINITY }
    const notDuration = 'must be a Duration, a number of milliseconds, or a text like "5 seconds"'
    // What the edition's Duration could not decode, or NaN (which Effect reads as zero).
    assert.strictEqual(Validate.durationProblem("soon", undefined), notDuration)
    assert.strictEqual(Validate.durationProblem(Number.NaN, finite(0)), notDuration)
    assert.isUndefined(Validate.durationProblem("5 seconds", finite(5000)))
    assert.strictEqual(Validate.durationProblem(0, finite(0)), "must be positive")
    // Negative as given, whatever Effect made of it (Effect 3 reads "-1 seconds" as zero).
    assert.strictEqual(Validate.durationProblem("-1 seconds", finite(0)), "must be positive")
    assert.strictEqual(Validate.durationProblem(-5, finite(-5)), "must be positive")
    // Infinite: a limit (no reason given) accepts it; otherwise refused with the reason.
    assert.isUndefined(Validate.durationProblem(infinite, infinite))
    assert.strictEqual(
      Validate.durationProblem(infinite, infinite, { infinite: "must be finite" }),
      "must be finite"
    )
    // With least 0: zero accepted, a negative one refused saying so.
    assert.isUndefined(Validate.durationProblem(0, finite(0), { least: 0 }))
    assert.strictEqual(
      Validate.durationProblem("-1 seconds", finite(0), { least: 0 }),
      "must be a duration of zero or more"
    )
    assert.strictEqual(
      Validate.durationProblem(-1, finite(-1), { infinite: "must be finite", least: 0 }),
      "must be a duration of zero or more"
    )
    // With least 1000 (WebSignIn's sessionIdle): 999 ms refused saying what is accepted, a second accepted, a negative
    // one refused though Effect read it as zero.
    assert.strictEqual(
      Validate.durationProblem(999, finite(999), { least: 1000 }),
      "must be at least 1000 ms"
    )
    assert.isUndefined(Validate.durationProblem("1 second", finite(1000), { least: 1000 }))
    assert.strictEqual(
      Validate.durationProblem("-1 seconds", finite(0), { least: 1000 }),
      "must be at least 1000 ms"
    )
    // A timeout: positive and finite, an infinite number refused as such before it is decoded.
    assert.isUndefined(Validate.timeoutProblem(1000, finite(1000)))
    assert.strictEqual(
      Validate.timeoutProblem(Number.POSITIVE_INFINITY, infinite),
      "must be a finite number of milliseconds"
    )
    assert.strictEqual(
      Validate.timeoutProblem("Infinity", infinite),
      "must be finite: the per-attempt timeout stays on"
    )
    assert.strictEqual(Validate.timeoutProblem(0, finite(0)), "must be positive")
  })
})
