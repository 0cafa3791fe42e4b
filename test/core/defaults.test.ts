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
    // The wait's end: a check unanswered for a spacing (500 ms) is no answer; one sent just before, or none, is not.
    assert.strictEqual(Web.approvalWaitEnd({ inFlightSince: 500, now: 3_000, waitMillis: 3_000 }), "NoAnswer")
    assert.strictEqual(
      Web.approvalWaitEnd({ inFlightSince: 2_500, now: 3_000, waitMillis: 3_000 }),
      "NoAnswer"
    )
    assert.strictEqual(
      Web.approvalWaitEnd({ inFlightSince: 2_501, now: 3_000, waitMillis: 3_000 }),
      "NotApproved"
    )
    assert.strictEqual(
      Web.approvalWaitEnd({ inFlightSince: undefined, now: 3_000, waitMillis: 3_000 }),
      "NotApproved"
    )
    assert.strictEqual(Web.approvalWaitEnd({ inFlightSince: 0, now: 200, waitMillis: 200 }), "NoAnswer")
    assert.strictEqual(Web.approvalWaitEnd({ inFlightSince: 200, now: 200, waitMillis: 200 }), "NotApproved")
    assert.strictEqual(Web.approvalWaitFailure, "NetworkError")
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
})
