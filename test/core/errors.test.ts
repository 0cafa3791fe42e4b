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

  it("a refusal about what the caller gave (a device's code, a device's id) ends with what to do", () => {
    const link = { operation: "Link.link", method: "PUT", url: "https://plex.tv/api/v2/pins/link" }
    assert.strictEqual(
      Errors.notFoundMessage({
        ...link,
        status: 404,
        errors: [{ code: 1020, message: "Code not found or expired" }]
      }),
      "Link.link: PUT https://plex.tv/api/v2/pins/link was not found (HTTP 404) (1020 Code not found or expired); no device is showing that code (it is mistyped or expired): have the device show a new code"
    )
    assert.strictEqual(
      Errors.badRequestMessage({ ...link, status: 422, errors: [] }),
      "Link.link: PUT https://plex.tv/api/v2/pins/link was rejected as a bad request (HTTP 422); a code already used is refused so: have the device show a new code"
    )
    const revoke = { operation: "Devices.revoke", method: "DELETE", url: "https://plex.tv/devices/7.xml" }
    assert.strictEqual(
      Errors.notFoundMessage({ ...revoke, status: 404, errors: [] }),
      "Devices.revoke: DELETE https://plex.tv/devices/7.xml was not found (HTTP 404); the account has no device with that id (revoked already?): list the devices again (Devices.list)"
    )
    // Other operations' messages end with Plex's codes; an operation named like an Object member adds nothing.
    for (const operation of [
      "PlexAuth.getSourceConnectionInformation",
      "constructor",
      "toString",
      "__proto__"
    ]) {
      assert.strictEqual(
        Errors.notFoundMessage({ operation, method: "GET", url: "https://x/y", status: 404, errors: [] }),
        `${operation}: GET https://x/y was not found (HTTP 404)`
      )
    }
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
    assert.deepStrictEqual(Errors.codesOf([{ code: 1 }, { message: "m" }, { code: 2 }]), [1, 2])
  })
})
