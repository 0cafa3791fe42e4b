/**
 * The PIN facts both editions share (src/core/pin.ts), as plain functions.
 */
import { assert, describe, it } from "vitest"
import * as Pin from "../../src/core/pin.js"

describe("core/pin", () => {
  it("builds the app.plex.tv URL: clientID, code, context[device][...] for the fields set, forwardUrl", () => {
    const url = Pin.authUrl(
      { clientIdentifier: "cid", product: "App", platform: "Web", deviceName: undefined },
      "CODE",
      "https://app.example/done?x=1"
    )
    assert.isTrue(url.startsWith("https://app.plex.tv/auth#?"))
    const params = new URLSearchParams(url.slice(url.indexOf("#?") + 2))
    assert.deepStrictEqual(
      [...params.keys()],
      ["clientID", "code", "context[device][product]", "context[device][platform]", "forwardUrl"]
    )
    assert.strictEqual(params.get("forwardUrl"), "https://app.example/done?x=1")
    assert.notInclude(url, "[")
  })

  it("paths and the creation query", () => {
    assert.strictEqual(Pin.pinPath(42), "/api/v2/pins/42")
    assert.strictEqual(Pin.pinPath("a/b"), "/api/v2/pins/a%2Fb")
    assert.deepStrictEqual(Pin.createPinParams(undefined), [["strong", "true"]])
    assert.deepStrictEqual(Pin.createPinParams(false), [["strong", "false"]])
  })

  it("the deadline: expiresIn from now, else expiresAt, else the fallback", () => {
    const now = Date.parse("2026-11-23T19:00:00Z")
    assert.strictEqual(Pin.pinDeadline({ expiresIn: 5, expiresAt: "2026-11-23T20:00:00Z" }, now), now + 5000)
    assert.strictEqual(
      Pin.pinDeadline({ expiresIn: 0, expiresAt: "2026-11-23T19:30:00Z" }, now),
      Date.parse("2026-11-23T19:30:00Z")
    )
    assert.strictEqual(Pin.pinDeadline({ expiresAt: "not a date" }, now), now + 15 * 60_000)
    assert.strictEqual(Pin.pinDeadline({}, now, 1000), now + 1000)
  })

  it("which failed checks are ridden out, and why polling ended", () => {
    assert.isTrue(Pin.isTransientCheckFailure({ _tag: "RateLimited" }))
    assert.isTrue(Pin.isTransientCheckFailure({ _tag: "NetworkError", reason: "Timeout" }))
    assert.isTrue(Pin.isTransientCheckFailure({ _tag: "Unexpected", reason: "Status", status: 502 }))
    assert.isFalse(Pin.isTransientCheckFailure({ _tag: "Unexpected", reason: "Decode", status: 200 }))
    assert.isFalse(Pin.isTransientCheckFailure({ _tag: "Unauthorized", status: 401 }))
    assert.strictEqual(Pin.expiryReason(false, true), "Unreachable")
    assert.strictEqual(Pin.expiryReason(true, true), "Expired")
    assert.strictEqual(Pin.expiryReason(false, false), "Expired")
  })
})
