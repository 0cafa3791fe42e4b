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
      "PlexAuth.getTokenDetails: timed out GET https://plex.tv/api/v2/user: after 10 s; try again later"
    )
    // A server's failure (5xx), no answer in time or one cut off: what to do is said (docs/errors.md, "When plex.tv
    // is down"). Not when no answer came: the address, the network or a browser's CORS may be at fault, and the
    // detail says which.
    assert.strictEqual(
      Errors.networkErrorMessage({ ...sent, reason: "Transport", detail: "terminated", status: 200 }),
      "PlexAuth.getTokenDetails: the body was cut off in an answer (HTTP 200) from GET https://plex.tv/api/v2/user: terminated; try again later"
    )
    assert.strictEqual(
      Errors.networkErrorMessage({ ...sent, reason: "Transport", detail: "fetch failed" }),
      "PlexAuth.getTokenDetails: could not reach GET https://plex.tv/api/v2/user: fetch failed"
    )
    const unexpected = { ...sent, errors: [] }
    assert.strictEqual(
      Errors.unexpectedMessage({ ...unexpected, status: 503, detail: "unexpected status 503", errors }),
      "PlexAuth.getTokenDetails: unexpected response from GET https://plex.tv/api/v2/user (HTTP 503): unexpected status 503 (1001 User could not be authenticated); try again later"
    )
    assert.strictEqual(
      Errors.unexpectedMessage({ ...unexpected, status: 500, detail: "unexpected status 500" }),
      "PlexAuth.getTokenDetails: unexpected response from GET https://plex.tv/api/v2/user (HTTP 500): unexpected status 500; try again later"
    )
    // Anything else is no server's failure: no advice to wait (a 4xx, a 2xx that did not decode, no status).
    for (const [status, detail] of [
      [409, "unexpected status 409"],
      [499, "unexpected status 499"],
      [200, "the body is not valid JSON (3 characters)"],
      [undefined, "the request URL is invalid"]
    ] as const) {
      assert.notInclude(Errors.unexpectedMessage({ ...unexpected, status, detail }), "try again", detail)
    }
    assert.strictEqual(
      Errors.pinExpiredMessage({
        operation: "PinLogin.poll",
        pinId: 7,
        reason: "Unreachable",
        errors: [],
        lastError: { message: "offline" }
      }),
      "PinLogin.poll: PIN 7 expired while plex.tv could not be reached to check it (last check: offline); create a new PIN to try again"
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
        `PinLogin.poll: PIN 7 expired while no check got a usable answer from plex.tv (last check: ${last}); create a new PIN to try again`
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
      `PinLogin.poll: PIN 7 expired while no check got a usable answer from plex.tv (last check: ${timedOut.message}); create a new PIN to try again`
    )
    assert.strictEqual(
      Errors.pinExpiredMessage({
        operation: "PinLogin.poll",
        pinId: 7,
        reason: "Expired",
        errors: [],
        lastError: timedOut
      }),
      `PinLogin.poll: PIN 7 expired while its last check got no usable answer from plex.tv (last check: ${timedOut.message}); create a new PIN to try again`
    )
    // Expired: "before it was approved" only when the last check answered (pending); after a last check that failed,
    // an approval since the last answer would not have been seen.
    const expired = { operation: "PinLogin.poll", pinId: 7, reason: "Expired", errors: [] }
    assert.strictEqual(
      Errors.pinExpiredMessage(expired),
      "PinLogin.poll: PIN 7 expired before it was approved; create a new PIN to try again"
    )
    assert.strictEqual(
      Errors.pinExpiredMessage({ ...expired, lastError: { message: "offline" } }),
      "PinLogin.poll: PIN 7 expired while its last check could not reach plex.tv (last check: offline); create a new PIN to try again"
    )
    assert.strictEqual(
      Errors.pinExpiredMessage({
        ...expired,
        lastError: { message: "unexpected response (HTTP 503)", status: 503 }
      }),
      "PinLogin.poll: PIN 7 expired while its last check got no usable answer from plex.tv (last check: unexpected response (HTTP 503)); create a new PIN to try again"
    )
    // The last check's own advice (a 5xx, a timeout: "; try again later") is not kept: the one thing to do is a new PIN.
    for (const lastError of [
      {
        message: Errors.unexpectedMessage({ ...unexpected, status: 503, detail: "unexpected status 503" }),
        status: 503
      },
      {
        message: Errors.networkErrorMessage({ ...sent, reason: "Timeout", detail: "after 30 s" }),
        reason: "Timeout"
      }
    ]) {
      assert.include(lastError.message, "; try again later")
      const message = Errors.pinExpiredMessage({ ...expired, lastError })
      assert.notInclude(message, "try again later")
      assert.strictEqual(
        message,
        `PinLogin.poll: PIN 7 expired while its last check got no usable answer from plex.tv (last check: ${lastError.message.slice(0, -"; try again later".length)}); create a new PIN to try again`
      )
    }
    // Only that advice, at the end: a server's own words that say the same are quoted as they came.
    const quoted = Errors.unexpectedMessage({
      ...unexpected,
      status: 503,
      detail: "unexpected status 503",
      errors: [{ code: 1001, message: "Maintenance; try again later" }]
    })
    assert.strictEqual(
      Errors.pinExpiredMessage({ ...expired, lastError: { message: quoted, status: 503 } }),
      `PinLogin.poll: PIN 7 expired while its last check got no usable answer from plex.tv (last check: ${quoted.slice(0, -"; try again later".length)}); create a new PIN to try again`
    )
    assert.include(quoted, "(1001 Maintenance; try again later); try again later")
    assert.deepStrictEqual(Errors.codesOf([{ code: 1 }, { message: "m" }, { code: 2 }]), [1, 2])
  })
})
