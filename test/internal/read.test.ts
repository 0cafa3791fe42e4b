/**
 * Reading a body without a declared length (counted chunk by chunk against
 * the limit): the count and the text belong to each run of the effect `readText`
 * returns, not to the call that built it.
 */
import { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { Effect } from "effect"
import { it } from "../support/it.js"
import type { RequestContext } from "../../src/core/answer.js"
import { readText } from "../../src/internal/read.js"

const ctx: RequestContext = { operation: "read.test", method: "GET", url: "https://plex.tv/x", secrets: [] }

/** A response whose body can be read again and again (each read gets a stream of its own), of no declared length. */
const replayable = (chunks: ReadonlyArray<string>) => {
  const source = new Response(null, { status: 200 })
  Object.defineProperty(source, "body", {
    get: () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
          controller.close()
        }
      })
  })
  return HttpClientResponse.fromWeb(HttpClientRequest.get(ctx.url), source)
}

describe("readText: one effect, run again", () => {
  it.effect("each run counts and keeps only its own bytes", () =>
    Effect.gen(function* () {
      const response = replayable(["hel", "lo"])
      assert.isUndefined(response.headers["content-length"])
      // 5 bytes under an 8-byte limit: twice 5 would be over it.
      const once = readText(ctx, response, response.headers, 8)
      assert.deepStrictEqual(yield* Effect.all([once, once]), ["hello", "hello"])
    })
  )
})
