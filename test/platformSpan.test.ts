/**
 * What the platform's own `http.client` span (made by `@effect/platform`'s
 * `HttpClient`, not by this library) holds, as docs/tracing.md describes it,
 * and that the two ways docs/tracing.md gives to keep it from an exporter
 * work.
 */
import * as util from "node:util"
import { Headers, HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FiberRef, Layer, Redacted } from "effect"
import { ClientIdentity, Credentials, PlexAuth, PlexServer } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { withCapturedLogs, withRecordedSpans } from "./support/observe.js"

const Env = Layer.mergeAll(
  FakePlex.layer(),
  ClientIdentity.layer(FakePlex.testIdentity),
  PlexServer.layer(FakePlex.defaults.serverUrl)
).pipe(Layer.orDie)

const platformSpans = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(withRecordedSpans(effect), ({ spans }) =>
    spans.filter((span) => span.name.startsWith("http.client"))
  )

describe("the platform's http.client span (docs/tracing.md)", () => {
  it.effect("its exit holds the response: the request's token under inspect, and the body once read", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const token = Redacted.value(fake.token)
      const [span] = yield* platformSpans(PlexAuth.getTokenDetails().pipe(Credentials.withToken(fake.token)))
      assert.isDefined(span, "a tracer that records gets the platform's span")
      // Its attributes are clean: the header is recorded redacted.
      for (const [, value] of span!.attributes) assert.notInclude(String(value), token)
      // Its exit is not: the response, with the request whose headers render unredacted outside a fiber's logging.
      const exit = span!.exit!
      assert.isTrue(Exit.isSuccess(exit))
      const rendered = util.inspect(exit, { depth: 10 })
      assert.include(rendered, token)
      // And the body the library read (cached by the response) renders too: the account, its token included.
      assert.include(JSON.stringify(Exit.isSuccess(exit) ? exit.value : null), '"username"')
    }).pipe(Effect.provide(Env))
  )

  it.effect("HttpClient.currentTracerDisabledWhen turns it off; the library's own span stays", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const { spans } = yield* withRecordedSpans(
        PlexAuth.getTokenDetails().pipe(
          Credentials.withToken(fake.token),
          Effect.locally(HttpClient.currentTracerDisabledWhen, () => true)
        )
      )
      assert.deepStrictEqual(
        spans.map((span) => span.name),
        ["PlexAuth.getTokenDetails"]
      )
    }).pipe(Effect.provide(Env))
  )

  it.effect("HttpClient.withTracerDisabledWhen on the client turns it off too", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const Quiet = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(
          HttpClient.HttpClient,
          HttpClient.withTracerDisabledWhen(() => true)
        )
      )
      const { spans } = yield* withRecordedSpans(
        PlexAuth.getTokenDetails().pipe(Credentials.withToken(fake.token), Effect.provide(Quiet))
      )
      assert.deepStrictEqual(
        spans.map((span) => span.name),
        ["PlexAuth.getTokenDetails"]
      )
    }).pipe(Effect.provide(Env))
  )

  it.effect(
    "x-plex-token among Headers.currentRedactedNames is not enough: the cached body holds the token",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const token = Redacted.value(fake.token)
        const [span] = yield* platformSpans(
          PlexAuth.getTokenDetails().pipe(Credentials.withToken(fake.token))
        )
        const names = yield* FiberRef.get(Headers.currentRedactedNames)
        const plain = yield* withCapturedLogs(Effect.logInfo(span!.exit))
        assert.isTrue(
          plain.lines.some((line) => line.includes(token)),
          "by default, a log line shows the token"
        )
        const redacted = yield* withCapturedLogs(
          Effect.logInfo(span!.exit).pipe(
            Effect.locally(Headers.currentRedactedNames, [...names, "x-plex-token"])
          )
        )
        const line = redacted.lines.join("\n")
        // The header is redacted now...
        assert.notMatch(line, new RegExp(`x-plex-token[^,}]*${token}`, "i"))
        // ...but the body of GET /api/v2/user, read and cached, is the account with its token.
        assert.include(line, token)
      }).pipe(Effect.provide(Env))
  )
})
