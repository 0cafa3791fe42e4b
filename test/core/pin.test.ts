/**
 * The PIN facts both editions share (src/core/pin.ts), as plain functions.
 */
import { assert, describe, it } from "vitest"
import * as D from "../../src/core/decode.js"
import * as Pin from "../../src/core/pin.js"
import { Box, secret, secrets } from "./box.js"

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

describe("core/pin: the PIN payload and the editions' input checks", () => {
  it("a PIN: id and code required, the rest when well-formed, its authToken a secret", () => {
    const pin = D.struct(Pin.pinFields(secret), secrets)
    assert.deepStrictEqual<unknown>(pin.decode({ id: "42", code: "ABCD", expiresIn: "x", trusted: true }), {
      id: 42,
      code: "ABCD",
      trusted: true
    })
    assert.instanceOf(
      (pin.decode({ id: 1, code: "C", authToken: "token" }) as { authToken: unknown }).authToken,
      Box
    )
    assert.isTrue(pin.decode({ code: "ABCD" }) instanceof D.Failure)
  })

  it("create, check, authUrl and poll options: the first argument at fault, in the order checked", () => {
    assert.isUndefined(Pin.createOptionsProblem(undefined))
    assert.isUndefined(Pin.createOptionsProblem({ strong: false }))
    assert.deepStrictEqual(Pin.createOptionsProblem(null), {
      field: "options",
      problem: "must be an object, not null"
    })
    assert.deepStrictEqual(Pin.createOptionsProblem({ strong: "false" }), {
      field: "strong",
      problem: "must be a boolean"
    })

    const redactedProblem = (u: unknown) => (u instanceof Box ? undefined : "must be a Redacted string")
    const checkFault = (pin: unknown, options: unknown) => Pin.checkProblem(pin, options, redactedProblem)
    assert.isUndefined(checkFault({ id: 1 }, undefined))
    assert.isUndefined(checkFault({ id: 1 }, { deviceJwt: new Box("jwt") }))
    assert.deepStrictEqual(checkFault(null, null), { field: "pin", problem: "must be an object, not null" })
    assert.deepStrictEqual(checkFault({ id: 0 }, []), {
      field: "options",
      problem: "must be an object, not an array"
    })
    assert.deepStrictEqual(checkFault({ id: "1" }, { deviceJwt: "jwt" }), {
      field: "id",
      problem: "must be a positive integer"
    })
    assert.deepStrictEqual(checkFault({ id: 1 }, { deviceJwt: "jwt" }), {
      field: "deviceJwt",
      problem: "must be a Redacted string"
    })

    assert.isUndefined(Pin.authUrlProblem({ code: "ABCD" }, undefined))
    assert.deepStrictEqual(Pin.authUrlProblem(undefined, {}), {
      field: "pin",
      problem: "is required (an object)"
    })
    assert.deepStrictEqual(Pin.authUrlProblem({ code: "" }, null), {
      field: "code",
      problem: "must be a non-empty string"
    })
    assert.deepStrictEqual(Pin.authUrlProblem({ code: "ABCD" }, "x"), {
      field: "options",
      problem: "must be an object, not string"
    })

    const is = { schedule: (u: unknown) => u === "schedule", effect: (u: unknown) => u === "effect" }
    assert.isUndefined(Pin.pollOptionsProblem({}, is))
    assert.isUndefined(Pin.pollOptionsProblem(undefined, is))
    assert.isUndefined(Pin.pollOptionsProblem({ schedule: "schedule", deviceJwt: "effect" }, is))
    assert.deepStrictEqual(Pin.pollOptionsProblem({ schedule: 1000, deviceJwt: 1 }, is), {
      field: "schedule",
      problem: Pin.notSchedule
    })
    assert.deepStrictEqual(Pin.pollOptionsProblem({ deviceJwt: "jwt" }, is), {
      field: "deviceJwt",
      problem: "must be an Effect"
    })
  })
})
