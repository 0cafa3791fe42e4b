/**
 * One `send` effect (built once: the engine's `guarded` transport around `follow`) run several times at once: each run
 * follows its own redirects, its guarded `fetch` checks its own hop, and
 * it sends through the `fetch` of its own context. The state of a run (the
 * hop the guard allows, the client's context) belongs to the run, not to
 * the call that built the effect.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { Effect } from "effect"
import { it } from "../support/it.js"
import type { RequestContext } from "../../src/core/answer.js"
import { follow, guarded } from "../../src/internal/send.js"

const token = "tok-SeCrEt-send-runs"
const start = "https://plex.tv/api/v2/start"
const ctx: RequestContext = { operation: "send.test", method: "GET", url: start, secrets: [token] }
const request = HttpClientRequest.get(start, { headers: { "X-Plex-Token": token } })

/** What the engine runs: the guard made per run (`guard`, here through `guarded`), then `follow`. */
const send = (
  client: HttpClient.HttpClient,
  context: RequestContext,
  sent: typeof request,
  secretBody: boolean
) =>
  guarded(client, sent, context.secrets, (allow) => follow(client, context, sent, secretBody, false, allow))

/** A web `Response` that says it came from `url` (a `Response` made by hand has an empty `url`). */
const answerFrom = (url: string, body: string | null, init: ResponseInit): Response =>
  Object.defineProperty(new Response(body, init), "url", { value: url })

/**
 * A fake `fetch`: the n-th request to `start` is redirected to `targets[n]`; a request to a target waits
 * until every run has sent its own (or one has ended), so that every run has moved to its second hop before
 * any answer of a second hop is checked, then is answered with its own URL. Records the token each request
 * carried.
 */
const redirecting = (targets: ReadonlyArray<string>) => {
  const sent: Array<{ readonly url: string; readonly token: string | null }> = []
  let starts = 0
  let arrived = 0
  let release!: () => void
  const together = new Promise<void>((resolve) => (release = resolve))
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    sent.push({ url, token: new Headers(init?.headers).get("x-plex-token") })
    if (url === start) {
      return answerFrom(url, null, { status: 302, headers: { location: targets[starts++]! } })
    }
    if (++arrived === targets.length) release()
    await together
    return answerFrom(url, url, { status: 200, headers: { "content-type": "text/plain" } })
  }
  return { fetch, sent, release: Effect.sync(() => release()) }
}

describe("send: one effect, run concurrently", () => {
  it.effect("each run follows its own redirects; the guard refuses none of them", () =>
    Effect.gen(function* () {
      // One run goes to another origin (the token dropped), the other stays on plex.tv (the token kept).
      const targets = ["https://cdn.example.com/a", "https://plex.tv/api/v2/b"]
      const fake = redirecting(targets)
      const client = yield* HttpClient.HttpClient
      const once = send(client, ctx, request, false)
      const run = once.pipe(
        Effect.flatMap((response) =>
          Effect.map(response.text, (text) => ({ url: response.request.url, text }))
        ),
        Effect.either,
        // A run that fails before its second hop must not keep the other waiting.
        Effect.ensuring(fake.release)
      )
      const results = yield* Effect.all([run, run], { concurrency: "unbounded" }).pipe(
        Effect.provideService(FetchHttpClient.Fetch, fake.fetch)
      )
      const answered = results.map((result) => {
        assert.strictEqual(result._tag, "Right", result._tag === "Left" ? result.left.message : "")
        return result._tag === "Right" ? result.right : undefined
      })
      // Each answer is the one its own last hop asked for.
      for (const answer of answered) assert.strictEqual(answer?.text, answer?.url)
      assert.sameMembers(
        answered.map((answer) => answer?.url),
        targets
      )
      // The token went to plex.tv only.
      assert.sameDeepMembers(fake.sent, [
        { url: start, token },
        { url: start, token },
        { url: targets[0], token: null },
        { url: targets[1], token }
      ])
    }).pipe(Effect.provide(FetchHttpClient.layer))
  )

  it.effect("each run sends through the fetch of its own context", () =>
    Effect.gen(function* () {
      const tagged =
        (tag: string): typeof globalThis.fetch =>
        async (input) =>
          answerFrom(String(input instanceof Request ? input.url : input), tag, { status: 200 })
      // A client with a step of its own after the request (a caller's `transformResponse`), which lets
      // another fiber run between the engine learning the client's context and using it.
      const client = HttpClient.transformResponse(yield* HttpClient.HttpClient, (response) =>
        Effect.ensuring(response, Effect.yieldNow())
      )
      const once = send(client, ctx, request, false)
      const through = (tag: string) =>
        once.pipe(
          Effect.flatMap((response) => response.text),
          Effect.provideService(FetchHttpClient.Fetch, tagged(tag))
        )
      const texts = yield* Effect.all([through("A"), through("B"), through("C")], {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(texts, ["A", "B", "C"])
    }).pipe(Effect.provide(FetchHttpClient.layer))
  )
})
