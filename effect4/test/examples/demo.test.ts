/**
 * The Effect 4 demo (effect4/examples/demo.ts, `npm run demo:effect4`) cannot
 * rot: its journey runs here in process against the fake on loopback, as the
 * command runs it, with its transcript captured by `TestConsole`. It is live
 * (real sockets), so its one rate-limit step waits the fake's real
 * `Retry-After` of one second: idle time, not CPU.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { TestConsole } from "effect/testing"
import { failureReason, main } from "../../examples/demo.js"

describe("examples/demo.ts (Effect 4 edition)", () => {
  it.live("the journey against the fake on loopback goes as expected, and says which edition it is", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(main([]))
      const lines = (yield* TestConsole.logLines).map(String)
      assert.isTrue(Exit.isSuccess(exit), Exit.isFailure(exit) ? failureReason(exit.cause) : "")
      assert.include(lines[0], "Effect 4 edition")
      const transcript = lines.join("\n")
      for (const expected of [
        "VerificationCodeRequired",
        "signed in as alice",
        "Unauthorized",
        "attempt 1: HTTP 429",
        "attempt 2: HTTP 200",
        "retried by RetryPolicy.backoff after the Retry-After"
      ]) {
        assert.include(transcript, expected)
      }
      // Every token it shows is redacted.
      assert.include(transcript, "token <redacted>")
      assert.notInclude(transcript, "correct horse battery staple")
    }).pipe(Effect.provide(TestConsole.layer))
  )

  it.effect("--server without a URL fails with a clear message, before any request", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(main(["--server"]))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(failureReason(exit.cause), "--server needs a URL")
      assert.include(failureReason(Cause.die("boom")), "boom")
    })
  )
})
