/**
 * test/support/assertions.ts's `failsWith`, as a failing test reports it: an unexpected success is shown (its fields,
 * a `Redacted` as such), not `[object Object]`. Mirrored in effect4/test/support/assertions.test.ts.
 */
import { assert, describe } from "@effect/vitest"
import { Cause, Effect, Exit, Redacted } from "effect"
import { failsWith } from "./assertions.js"
import { it } from "./it.js"

describe("test/support/assertions failsWith", () => {
  it.effect("an unexpected success is shown by its fields, a Redacted one masked", () =>
    Effect.gen(function* () {
      const success = { username: "alice", token: Redacted.make("secret-token-value") }
      const exit = yield* Effect.exit(failsWith(Effect.succeed(success), "Unauthorized"))
      assert.isTrue(Exit.isFailure(exit))
      const shown = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
      assert.include(shown, "expected Unauthorized, got a success: { username: 'alice'")
      assert.notInclude(shown, "[object Object]")
      assert.notInclude(shown, "secret-token-value")
    })
  )
})
