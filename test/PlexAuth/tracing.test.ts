/**
 * Trace context and Plex: by default no request carries the caller's trace
 * context (`traceparent`, `b3`), even from inside the caller's span, although
 * the platform's `HttpClient` would add it; with `PlexAuth.TracePropagation`
 * set to `true`, every request carries the context of its own HTTP span, in
 * the caller's trace. The operation's span is recorded either way.
 */
import { Headers, HttpClient, HttpClientResponse } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, FiberRef, Layer, Option, Redacted, Tracer } from "effect"
import { ClientIdentity, Credentials, PinLogin, PlexAuth } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { inMemory, type Operation, operations, targetOf } from "../faults/support.js"
import { type RecordedSpan, withRecordedSpans } from "../support/observe.js"

/** Header names that carry trace context, in any of the common formats. */
const isTraceHeader = (name: string) => /^(traceparent|tracestate|b3|x-b3-.*)$/i.test(name)

/** Runs `op` against the fake inside a span of the caller's, under a recording tracer. */
const runTraced = (op: Operation) =>
  Effect.gen(function* () {
    const fake = yield* FakePlex.FakePlex
    const { exit, spans } = yield* withRecordedSpans(op.run(targetOf(fake)).pipe(Effect.withSpan("caller")))
    assert.isTrue(Exit.isSuccess(exit), `${op.name}: ${String(exit)}`)
    const requests = (yield* FakePlex.requests).filter((request) => request.route === op.name)
    assert.strictEqual(requests.length, 1, `${op.name}: one request`)
    return { request: requests[0]!, spans }
  })

/** The caller's span, the operation's span under it, and the platform's HTTP span under that. */
const spanChain = (spans: ReadonlyArray<RecordedSpan>, op: Operation) => {
  const only = (name: string, matches: (span: RecordedSpan) => boolean) => {
    const found = spans.filter(matches)
    assert.strictEqual(found.length, 1, `one ${name} span in ${spans.map((s) => s.name).join(", ")}`)
    return found[0]!
  }
  const caller = only("caller", (span) => span.name === "caller")
  const operation = only(`PlexAuth.${op.name}`, (span) => span.name === `PlexAuth.${op.name}`)
  const http = only("http.client", (span) => span.name.startsWith("http.client"))
  const parentId = (span: RecordedSpan) =>
    span.parent._tag === "Some" ? span.parent.value.spanId : undefined
  assert.strictEqual(parentId(operation), caller.spanId, "the operation's span is the caller's child")
  assert.strictEqual(parentId(http), operation.spanId, "the HTTP span is the operation's child")
  assert.strictEqual(operation.traceId, caller.traceId)
  assert.strictEqual(http.traceId, caller.traceId)
  for (const span of [operation, http]) {
    assert.isTrue(span.exit !== undefined && Exit.isSuccess(span.exit), `${span.name} ended with success`)
  }
  assert.strictEqual(operation.attributes.get("plex.operation"), op.name)
  return { caller, operation, http }
}

describe("PlexAuth.TracePropagation", () => {
  it.effect("is false by default", () =>
    Effect.gen(function* () {
      assert.isFalse(yield* PlexAuth.TracePropagation)
    })
  )

  for (const op of operations) {
    describe(op.name, () => {
      it.effect("by default: no trace headers, even inside the caller's span; the spans are recorded", () =>
        Effect.gen(function* () {
          const { request, spans } = yield* runTraced(op)
          assert.deepStrictEqual(Object.keys(request.headers).filter(isTraceHeader), [])
          spanChain(spans, op)
        }).pipe(Effect.provide(inMemory()))
      )

      it.effect("set to true: traceparent and b3 name the request's HTTP span, in the caller's trace", () =>
        Effect.gen(function* () {
          const { request, spans } = yield* runTraced(op).pipe(
            Effect.provideService(PlexAuth.TracePropagation, true)
          )
          const { http, operation } = spanChain(spans, op)
          assert.strictEqual(request.headers["traceparent"], `00-${http.traceId}-${http.spanId}-01`)
          assert.strictEqual(request.headers["b3"], `${http.traceId}-${http.spanId}-1-${operation.spanId}`)
        }).pipe(Effect.provide(inMemory()))
      )
    })
  }

  it.effect("set by a layer, it applies to every operation run with it", () =>
    Effect.gen(function* () {
      for (const op of operations) {
        const { request, spans } = yield* runTraced(op)
        const { http } = spanChain(spans, op)
        assert.strictEqual(request.headers["traceparent"], `00-${http.traceId}-${http.spanId}-01`)
      }
    }).pipe(Effect.provide(Layer.merge(inMemory(), Layer.succeed(PlexAuth.TracePropagation, true))))
  )

  it.effect("set to true only around one call, the next call sends none again", () =>
    Effect.gen(function* () {
      const op = operations.find((candidate) => candidate.name === "getTokenDetails")!
      const fake = yield* FakePlex.FakePlex
      const run = op.run(targetOf(fake)).pipe(Effect.withSpan("caller"))
      yield* withRecordedSpans(run.pipe(Effect.provideService(PlexAuth.TracePropagation, true)))
      yield* withRecordedSpans(run)
      const [traced, untraced] = yield* FakePlex.requests
      assert.isDefined(traced?.headers["traceparent"])
      assert.deepStrictEqual(Object.keys(untraced?.headers ?? {}).filter(isTraceHeader), [])
      assert.isDefined(untraced?.headers["x-plex-client-identifier"], "the header record is the real one")
    }).pipe(Effect.provide(inMemory()))
  )
})

describe("spans under the default tracer and under one that exports", () => {
  /**
   * A client that answers at once and records, per request, the span it runs
   * under and what the platform decides for its own.
   */
  const inspecting = () => {
    const seen: Array<{
      readonly parent: string | undefined
      readonly spanRecorded: boolean
      readonly tokenRedacted: boolean
    }> = []
    const client = HttpClient.make((request, _url, _signal, fiber) => {
      const parent = Context.getOption(fiber.currentContext, Tracer.ParentSpan)
      seen.push({
        parent: Option.isSome(parent) && parent.value._tag === "Span" ? parent.value.name : undefined,
        spanRecorded:
          fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
          !fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)(request),
        tokenRedacted: fiber.getFiberRef(Headers.currentRedactedNames).includes("x-plex-token")
      })
      const body = JSON.stringify({ id: 1, uuid: "u-1", username: "one", title: "One" })
      return Effect.succeed(
        HttpClientResponse.fromWeb(
          request,
          new Response(body, { status: 200, headers: { "content-type": "application/json" } })
        )
      )
    })
    const layer = Layer.mergeAll(
      Layer.succeed(HttpClient.HttpClient, client),
      ClientIdentity.layer({ clientIdentifier: "tracing-test", product: "Test" }),
      Credentials.layer(Redacted.make("token"))
    )
    return { seen, layer }
  }

  it.effect(
    "the operation's span is the platform's parent, under any tracer; the token's header is redacted",
    () => {
      const { layer, seen } = inspecting()
      return Effect.gen(function* () {
        const { exit } = yield* withRecordedSpans(PlexAuth.getTokenDetails())
        assert.isTrue(Exit.isSuccess(exit))
        yield* PlexAuth.getTokenDetails()
        yield* PlexAuth.getTokenDetails().pipe(Effect.provideService(PlexAuth.TracePropagation, true))
        assert.deepStrictEqual(seen, [
          { parent: "PlexAuth.getTokenDetails", spanRecorded: true, tokenRedacted: true },
          { parent: "PlexAuth.getTokenDetails", spanRecorded: true, tokenRedacted: true },
          { parent: "PlexAuth.getTokenDetails", spanRecorded: true, tokenRedacted: true }
        ])
      }).pipe(Effect.provide(layer))
    }
  )

  it.effect(
    "a request whose query carries a secret gets no platform span (its url.full would carry it)",
    () => {
      const { layer, seen } = inspecting()
      return Effect.gen(function* () {
        yield* Effect.either(PinLogin.check({ id: 1 }, { deviceJwt: Redacted.make("device.jwt.secret") }))
        assert.deepStrictEqual(seen, [{ parent: "PinLogin.check", spanRecorded: false, tokenRedacted: true }])
      }).pipe(Effect.provide(layer))
    }
  )

  it.effect("the settings end with the operation: the caller's fiber is as it was", () => {
    const { layer } = inspecting()
    return Effect.gen(function* () {
      const before = yield* Effect.all([
        FiberRef.get(HttpClient.currentTracerDisabledWhen),
        FiberRef.get(HttpClient.currentTracerPropagation),
        FiberRef.get(Headers.currentRedactedNames),
        Effect.context<never>()
      ])
      yield* PlexAuth.getTokenDetails()
      const after = yield* Effect.all([
        FiberRef.get(HttpClient.currentTracerDisabledWhen),
        FiberRef.get(HttpClient.currentTracerPropagation),
        FiberRef.get(Headers.currentRedactedNames),
        Effect.context<never>()
      ])
      assert.strictEqual(after[0], before[0])
      assert.strictEqual(after[1], before[1])
      assert.strictEqual(after[2], before[2])
      assert.strictEqual(after[3], before[3])
    }).pipe(Effect.provide(layer))
  })
})
