/**
 * Request settings, spans and where requests go, on Effect 4: trace
 * propagation off by default, the operation's span (named after it, no
 * secret in any span), the token's header redacted in the platform's span,
 * `PlexTv` and `PlexServer` URLs.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Tracer from "effect/Tracer"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexServer from "effect4-plex-auth/PlexServer"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import { FakePlex } from "effect4-plex-auth/testing"
import { env } from "./support.js"

const isTraceHeader = (name: string) => /^(traceparent|tracestate|b3|x-b3-.*)$/i.test(name)

/** A tracer that keeps every span it makes. */
const recording = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

describe("trace propagation", () => {
  it.effect(
    "off by default: no trace headers even inside the caller's span; withTracePropagation(true) sends them",
    () =>
      Effect.gen(function* () {
        assert.isFalse(yield* PlexAuth.TracePropagation)
        yield* PlexAuth.getTokenDetails().pipe(Effect.withSpan("caller"))
        yield* PlexAuth.getTokenDetails().pipe(PlexAuth.withTracePropagation(true), Effect.withSpan("caller"))
        const [quiet, traced] = yield* FakePlex.requests
        assert.deepStrictEqual(Object.keys(quiet!.headers).filter(isTraceHeader), [])
        assert.include(Object.keys(traced!.headers), "traceparent")
      }).pipe(Effect.provide(env()))
  )
})

describe("spans", () => {
  it.effect(
    "the operation's span is PlexAuth.<operation>, the platform's span its child; no token in any",
    () => {
      const { spans, tracer } = recording()
      return Effect.gen(function* () {
        yield* PlexAuth.getTokenDetails().pipe(Effect.withSpan("caller"))
        const operation = spans.find((s) => s.name === "PlexAuth.getTokenDetails")
        assert.isDefined(operation)
        assert.strictEqual(operation!.attributes.get("plex.operation"), "getTokenDetails")
        assert.strictEqual(operation!.attributes.get("url.path"), "/api/v2/user")
        assert.strictEqual(operation!.attributes.get("http.response.status_code"), 200)
        assert.strictEqual(operation!.attributes.get("plex.retry_count"), 0)
        const http = spans.find(
          (s) => s !== operation && s.parent._tag === "Some" && s.parent.value === operation
        )
        assert.isDefined(http, spans.map((s) => s.name).join(", "))
        const token = Redacted.value(FakePlex.defaults.token)
        for (const span of spans) {
          assert.notInclude(JSON.stringify([...span.attributes.entries()]), token, span.name)
        }
      }).pipe(Effect.provide(env()), Effect.withTracer(tracer))
    }
  )
})

describe("PlexTv and PlexServer", () => {
  it.effect(
    "PlexTv.withUrl points one call elsewhere; a trailing /api/v2 is dropped; an invalid one is InvalidInput",
    () =>
      Effect.gen(function* () {
        yield* PlexAuth.getTokenDetails().pipe(PlexTv.withUrl("https://clients.plex.tv/api/v2"))
        yield* PlexAuth.getTokenDetails()
        const [moved, back] = yield* FakePlex.requests
        assert.strictEqual(moved?.origin, "https://clients.plex.tv")
        assert.strictEqual(back?.origin, "https://plex.tv")
        const error = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(PlexTv.withUrl("plex.tv")))
        assert.strictEqual(error._tag, "InvalidInput")
      }).pipe(Effect.provide(env()))
  )

  it.effect("PlexTv.layer points every plex.tv operation elsewhere", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      assert.strictEqual((yield* FakePlex.requests)[0]?.origin, "https://clients.plex.tv")
    }).pipe(Effect.provide(Layer.merge(env(), PlexTv.layer("https://clients.plex.tv").pipe(Layer.orDie))))
  )

  it.effect("PlexServer.make and fromParts check the URL; a path prefix is kept", () =>
    Effect.gen(function* () {
      assert.strictEqual(
        (yield* PlexServer.make("http://10.0.0.2:32400/plex/")).url,
        "http://10.0.0.2:32400/plex"
      )
      assert.strictEqual(
        (yield* PlexServer.fromParts({ ip: "::1", port: "32401" })).url,
        "http://[::1]:32401"
      )
      for (const bad of ["ftp://x", "http://u:p@host", "http://host/?q=1", "nope"]) {
        assert.strictEqual((yield* Effect.flip(PlexServer.make(bad)))._tag, "InvalidInput", bad)
      }
      for (const parts of [{ port: 0 }, { port: "99999" }, { ip: "a/b" }, { protocol: "ftp" as "http" }]) {
        assert.strictEqual((yield* Effect.flip(PlexServer.fromParts(parts)))._tag, "InvalidInput")
      }
    })
  )
})
