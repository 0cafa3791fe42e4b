/**
 * The running refresh's pieces (src/core/refreshRun.ts), shared by both editions' `internal/refresh.ts` `make`: who
 * waits for a refresh, what its failure leaves in the state for them, and the warning it logs.
 */
import { assert, describe, it } from "vitest"
import * as Run from "../../src/core/refreshRun.js"

describe("core/refreshRun", () => {
  it("a refresh started for the expired token counts as a refusal's; joining adds who waits, never removes", () => {
    assert.deepStrictEqual(Run.waiting("refused"), { refused: true, ahead: false, expired: false })
    assert.deepStrictEqual(Run.waiting("ahead"), { refused: false, ahead: true, expired: false })
    assert.deepStrictEqual(Run.waiting("expired"), { refused: true, ahead: false, expired: true })
    assert.deepStrictEqual(Run.waiting("refused", Run.waiting("ahead")), {
      refused: true,
      ahead: true,
      expired: false
    })
    assert.deepStrictEqual(Run.waiting("ahead", Run.waiting("expired")), {
      refused: true,
      ahead: true,
      expired: true
    })
  })

  it("a failure holds off a refused token's refresh (spent) and delays the next one ahead (aheadFailedAt)", () => {
    const spent = { token: "t", reason: "Failed" as const, at: 5 }
    assert.deepStrictEqual(Run.afterFailure(Run.waiting("refused"), spent, 7), { spent })
    assert.deepStrictEqual(Run.afterFailure(Run.waiting("ahead"), spent, 7), { aheadFailedAt: 7 })
    assert.deepStrictEqual(Run.afterFailure(Run.waiting("ahead", Run.waiting("refused")), undefined, 7), {
      spent: undefined,
      aheadFailedAt: 7
    })
  })

  it("the warning: the expired token's first, then one ahead of expiry, none for a refusal alone", () => {
    assert.strictEqual(Run.warningOf(Run.waiting("refused")), undefined)
    assert.strictEqual(Run.warningOf(Run.waiting("ahead")), "ahead")
    assert.strictEqual(Run.warningOf(Run.waiting("ahead", Run.waiting("expired"))), "expired")
    assert.strictEqual(
      Run.failedWarning(false, "Plex JWT", { _tag: "NetworkError", message: "secret-ish" }),
      "refreshing the Plex JWT failed (NetworkError); keeping the current one"
    )
    assert.strictEqual(
      Run.failedWarning(true, undefined, new Error("anything")),
      "refreshing the expired token failed (Other); it is tried again after the cooldown, and requests with the expired one are refused until then"
    )
  })
})
