/**
 * The observation helpers themselves: a test that searches captured logs or
 * spans for something must be able to find it.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { withCapturedLogs, withRecordedSpans } from "./observe.js"

describe("observe helpers", () => {
  it.effect("withCapturedLogs captures every level; withRecordedSpans records spans", () =>
    Effect.gen(function* () {
      const { lines } = yield* withCapturedLogs(
        Effect.andThen(Effect.logDebug("quiet line"), Effect.logError("unhandled error: seen"))
      )
      assert.isTrue(lines.some((line) => line.includes("quiet line")))
      assert.isTrue(lines.some((line) => line.includes("unhandled error")))
      const { spans } = yield* withRecordedSpans(Effect.withSpan(Effect.void, "outer"))
      assert.deepStrictEqual(
        spans.map((span) => span.name),
        ["outer"]
      )
    })
  )
})
