/**
 * The words of the errors both editions define (src/core/errors.ts): their
 * messages, tags and codes, written once.
 */
import { assert, describe, it } from "vitest"
import * as Errors from "../../src/core/errors.js"

describe("core/errors", () => {
  it("the tags are those of PlexError, each once", () => {
    assert.strictEqual(new Set(Errors.plexErrorTags).size, Errors.plexErrorTags.length)
    assert.include(Errors.plexErrorTags, "InvalidJwt")
  })

  it("messages name the operation, the request and Plex's codes, never more", () => {
    const sent = { operation: "PlexAuth.getTokenDetails", method: "GET", url: "https://plex.tv/api/v2/user" }
    const errors = [{ code: 1001, message: "User could not be authenticated" }]
    assert.strictEqual(
      Errors.badRequestMessage({ ...sent, status: 400, errors }),
      "PlexAuth.getTokenDetails: GET https://plex.tv/api/v2/user was rejected as a bad request (HTTP 400) (1001 User could not be authenticated)"
    )
    assert.strictEqual(
      Errors.unauthorizedMessage({ ...sent, status: 401, errors: [], reauthentication: "FreshTokenRefused" }),
      "PlexAuth.getTokenDetails: not authorized (HTTP 401); the server refuses fresh tokens too"
    )
    assert.strictEqual(
      Errors.rateLimitedMessage({ ...sent, status: 429, errors: [], retryAfterMillis: 2000 }),
      "PlexAuth.getTokenDetails: rate limited (HTTP 429), retry after 2000 ms"
    )
    assert.strictEqual(
      Errors.networkErrorMessage({ ...sent, reason: "Timeout", detail: "after 10 s" }),
      "PlexAuth.getTokenDetails: timed out GET https://plex.tv/api/v2/user: after 10 s"
    )
    assert.strictEqual(
      Errors.pinExpiredMessage({
        operation: "PinLogin.poll",
        pinId: 7,
        reason: "Unreachable",
        errors: [],
        lastError: { message: "offline" }
      }),
      "PinLogin.poll: PIN 7 expired while plex.tv could not be reached to check it (last check: offline)"
    )
    // The last check got an answer (its status), none it could use: plex.tv was reached.
    for (const [status, last] of [
      [200, "the body was cut off in an answer (HTTP 200)"],
      [503, "unexpected response (HTTP 503)"],
      [429, "rate limited (HTTP 429)"]
    ] as const) {
      assert.strictEqual(
        Errors.pinExpiredMessage({
          operation: "PinLogin.poll",
          pinId: 7,
          reason: "Unreachable",
          errors: [],
          lastError: { message: last, status }
        }),
        `PinLogin.poll: PIN 7 expired while no check got a usable answer from plex.tv (last check: ${last})`
      )
    }
    // A timeout (no status, perhaps as the answer's body arrived): not said unreachable, as plex.tv may have answered.
    const timedOut = { message: "timed out GET https://plex.tv/api/v2/pins/7: after 30 s", reason: "Timeout" }
    assert.strictEqual(
      Errors.pinExpiredMessage({
        operation: "PinLogin.poll",
        pinId: 7,
        reason: "Unreachable",
        errors: [],
        lastError: timedOut
      }),
      `PinLogin.poll: PIN 7 expired while no check got a usable answer from plex.tv (last check: ${timedOut.message})`
    )
    assert.strictEqual(
      Errors.pinExpiredMessage({
        operation: "PinLogin.poll",
        pinId: 7,
        reason: "Expired",
        errors: [],
        lastError: timedOut
      }),
      `PinLogin.poll: PIN 7 expired while its last check got no usable answer from plex.tv (last check: ${timedOut.message})`
    )
    // Expired: "before it was approved" only when the last check answered (pending); after a last check that failed,
    // an approval since the last answer would not have been seen.
    const expired = { operation: "PinLogin.poll", pinId: 7, reason: "Expired", errors: [] }
    assert.strictEqual(
      Errors.pinExpiredMessage(expired),
      "PinLogin.poll: PIN 7 expired before it was approved"
    )
    assert.strictEqual(
      Errors.pinExpiredMessage({ ...expired, lastError: { message: "offline" } }),
      "PinLogin.poll: PIN 7 expired while its last check could not reach plex.tv (last check: offline)"
    )
    assert.strictEqual(
      Errors.pinExpiredMessage({
        ...expired,
        lastError: { message: "unexpected response (HTTP 503)", status: 503 }
      }),
      "PinLogin.poll: PIN 7 expired while its last check got no usable answer from plex.tv (last check: unexpected response (HTTP 503))"
    )
    assert.deepStrictEqual(Errors.codesOf([{ code: 1 }, { message: "m" }, { code: 2 }]), [1, 2])
  })
})
