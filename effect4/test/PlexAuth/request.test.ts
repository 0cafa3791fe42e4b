/**
 * What every operation puts on the wire (identity headers, Accept, token
 * only when there is one, the exact method and URL) and the span it runs in.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexServer from "effect4-plex-auth/PlexServer"
import * as RetryPolicy from "effect4-plex-auth/RetryPolicy"
import { afterAdjusting, onlyRequest } from "../support/assertions.js"
import {
  CLIENT_ID,
  CredentialsLive,
  env,
  fromHeaderBytes,
  identityHeaders,
  identityInput,
  ServerLive,
  TOKEN
} from "../support/env.js"
import * as MockHttp from "../support/MockHttp.js"
import { withRecordedSpans } from "../support/observe.js"
import { operations, success } from "../support/operations.js"

for (const op of operations) {
  describe(op.name, () => {
    it.effect(`sends ${op.method} ${op.origin}${op.path}${op.query ? `?${op.query}` : ""}`, () =>
      Effect.gen(function* () {
        yield* op.run
        const request = yield* onlyRequest
        assert.strictEqual(request.method, op.method)
        assert.strictEqual(request.url.origin, op.origin)
        assert.strictEqual(request.url.pathname, op.path)
        assert.strictEqual(request.url.searchParams.toString(), op.query)
        assert.strictEqual(request.url.hash, "")
      }).pipe(Effect.provide(env(() => success(op))))
    )

    it.effect("sends every X-Plex-* identity header that was set, non-ASCII as UTF-8 bytes", () =>
      Effect.gen(function* () {
        yield* op.run
        const request = yield* onlyRequest
        for (const [field, header] of Object.entries(identityHeaders)) {
          const sent = request.headers[header]
          assert.isDefined(sent, `${header} missing`)
          assert.strictEqual(fromHeaderBytes(sent!), identityInput[field as keyof typeof identityInput])
        }
        // A byte string: every char fits in one byte, so fetch accepts it as is.
        assert.isTrue([...request.headers["x-plex-device-name"]!].every((c) => c.charCodeAt(0) <= 0xff))
        assert.doesNotThrow(() => new globalThis.Headers(request.headers as Record<string, string>))
      }).pipe(Effect.provide(env(() => success(op))))
    )

    it.effect("sends only the identity headers that were set, with runtimeDefaults: false", () =>
      Effect.gen(function* () {
        yield* op.run
        const request = yield* onlyRequest
        const plex = Object.keys(request.headers).filter((h) => h.startsWith("x-plex-"))
        assert.sameMembers(plex, [
          "x-plex-client-identifier",
          "x-plex-product",
          ...(op.sendsToken ? ["x-plex-token"] : [])
        ])
        assert.strictEqual(request.headers["x-plex-client-identifier"], CLIENT_ID)
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            MockHttp.layer(() => success(op)),
            ClientIdentity.layer({ clientIdentifier: CLIENT_ID, product: "minimal", runtimeDefaults: false }),
            CredentialsLive,
            ServerLive
          ).pipe(Layer.orDie)
        )
      )
    )

    it.effect(
      op.sendsToken ? "sends X-Plex-Token in a header, never in the URL" : "never sends X-Plex-Token",
      () =>
        Effect.gen(function* () {
          yield* op.run
          const request = yield* onlyRequest
          assert.strictEqual(request.headers["accept"], "application/json")
          assert.strictEqual(request.headers["x-plex-token"], op.sendsToken ? TOKEN : undefined)
          assert.notInclude(request.url.toString(), TOKEN)
          assert.isFalse(request.url.searchParams.has("X-Plex-Token"))
          if (request.body !== undefined) assert.notInclude(request.body, TOKEN)
        }).pipe(Effect.provide(env(() => success(op))))
    )

    it.effect(`runs in a span named PlexAuth.${op.name} with method, host, status and retry count`, () =>
      Effect.gen(function* () {
        const { exit, spans } = yield* withRecordedSpans(
          op.run.pipe(RetryPolicy.withPolicy(RetryPolicy.backoff()))
        ).pipe(afterAdjusting("1 second"))
        assert.isTrue(Exit.isSuccess(exit))
        const span = spans.find((s) => s.name === `PlexAuth.${op.name}`)
        assert.isDefined(span)
        assert.strictEqual(span!.kind, "client")
        assert.strictEqual(span!.attributes.get("http.request.method"), op.method)
        assert.strictEqual(span!.attributes.get("server.address"), new URL(op.origin).host)
        assert.strictEqual(span!.attributes.get("url.path"), op.path)
        assert.strictEqual(span!.attributes.get("plex.operation"), op.name)
        assert.strictEqual(span!.attributes.get("http.response.status_code"), op.successStatus)
        assert.strictEqual(span!.attributes.get("plex.retry_count"), 1)
        assert.strictEqual(span!.status._tag, "Ended")
        // The HTTP client's own spans are children of the operation's span.
        // Effect 4 names the HTTP client's spans after the method.
        const http = spans.filter((s) => s.kind === "client" && s !== span)
        assert.strictEqual(http.length, 2)
        for (const child of http) {
          assert.isTrue(child.parent._tag === "Some" && child.parent.value.spanId === span!.spanId)
        }
      }).pipe(
        Effect.provide(
          env(
            MockHttp.sequence(
              () => MockHttp.text(op.idempotent ? 500 : 503, "down", "text/plain"),
              () => success(op)
            )
          )
        )
      )
    )

    it.effect("a failed operation's span records the error status and zero retries", () =>
      Effect.gen(function* () {
        const { exit, spans } = yield* withRecordedSpans(op.run)
        assert.isTrue(Exit.isFailure(exit))
        const span = spans.find((s) => s.name === `PlexAuth.${op.name}`)!
        assert.strictEqual(span.attributes.get("http.response.status_code"), 401)
        assert.strictEqual(span.attributes.get("plex.retry_count"), 0)
        assert.isTrue(span.status._tag === "Ended" && Exit.isFailure(span.status.exit))
      }).pipe(
        Effect.provide(
          env(() => MockHttp.plexErrors(401, [{ code: 1001, message: "User could not be authenticated" }]))
        )
      )
    )
  })
}

describe("per-call URL overrides", () => {
  const pmsOps = operations.filter((op) => op.origin !== "https://plex.tv")

  for (const op of pmsOps) {
    it.effect(`PlexServer.withUrl sends ${op.name} to the other server, keeping path prefixes`, () =>
      Effect.gen(function* () {
        yield* op.run.pipe(PlexServer.withUrl("https://10-0-0-5.abcdef.plex.direct:8443/plex/"))
        const request = yield* onlyRequest
        assert.strictEqual(request.url.origin, "https://10-0-0-5.abcdef.plex.direct:8443")
        assert.strictEqual(request.url.pathname, `/plex${op.path}`)
      }).pipe(Effect.provide(env(() => success(op))))
    )
  }
})

describe("the server operations need a PlexServer; the plex.tv ones do not", () => {
  it.effect("getTokenDetails runs without a PlexServer layer", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(account.username, "tester")
      assert.strictEqual((yield* onlyRequest).url.origin, "https://plex.tv")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          MockHttp.layer(() => success(operations[1]!)),
          ClientIdentity.layer(identityInput),
          Credentials.layer(TOKEN)
        ).pipe(Layer.orDie)
      )
    )
  )

  it.effect("the PMS host may also come from layerFromParts", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTransientToken()
      assert.strictEqual((yield* onlyRequest).url.origin, "https://192.168.1.20:32443")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          MockHttp.layer(() => success(operations[2]!)),
          ClientIdentity.layer(identityInput),
          Credentials.layer(TOKEN),
          PlexServer.layerFromParts({ protocol: "https", ip: "192.168.1.20", port: 32443 })
        ).pipe(Layer.orDie)
      )
    )
  )
})
