/**
 * A redirect to another origin gets nothing of the engine's that says who asks, as ServerClient's (core
 * serverClient.ts's `droppedOnRedirect`): not the identity's `X-Plex-*` headers, the endpoint's, the token, nor,
 * with `PlexAuth.TracePropagation` on, the platform's trace headers (`traceparent`, `b3`), which it adds as it
 * sends; only `Accept`. A hop back to the first origin has them again. Two origins of the fake on loopback ports
 * (plex.tv's and the unrelated host's), through the real `FetchHttpClient`. Mirrored in
 * effect4/test/redirects.identity.test.ts.
 */
import { assert, describe } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { PlexAuth } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault, type FakePlex } from "effect-plex-auth/testing"
import { it } from "./support/it.js"
import { onLoopback, operations, targetOf } from "./faults/support.js"
import { withRecordedSpans } from "./support/observe.js"

/** Headers that say who asks, or tie the request to the caller's trace. */
const saysWhoAsks = (name: string) => /^(x-plex-|traceparent$|tracestate$|b3$|x-b3-|baggage$)/.test(name)

const namesOf = (request: FakePlex.RecordedRequest) =>
  Object.keys(request.headers).map((n) => n.toLowerCase())

/** Runs `op` with trace propagation on, inside a caller's span, recording spans. */
const traced = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  withRecordedSpans(
    effect.pipe(Effect.withSpan("caller"), Effect.provideService(PlexAuth.TracePropagation, true))
  )

describe("a redirect to another origin: nothing that says who asks", () => {
  for (const op of operations) {
    it.effect(
      `${op.name}: the other origin gets Accept alone, the first had the identity and trace headers`,
      () =>
        Effect.gen(function* () {
          const { fake } = yield* FakePlexServer.FakePlexServer
          yield* fake.fault(op.name, Fault.redirect({ status: 302, to: `${fake.elsewhereUrl}/x` }), {
            times: 1
          })
          const { exit } = yield* traced(Effect.exit(op.run(targetOf(fake))))
          assert.isTrue(Exit.isSuccess(exit) && Exit.isFailure(exit.value), "the other origin answers 404")
          const requests = yield* fake.requests
          const first = requests.find((r) => r.host === op.host)!
          const elsewhere = requests.filter((r) => r.host === "elsewhere")
          assert.lengthOf(elsewhere, 1)
          // What the first origin got: the identity and, asked for, the trace headers (so their absence below means something).
          for (const name of ["x-plex-client-identifier", "x-plex-product", "traceparent", "b3"]) {
            assert.include(namesOf(first), name)
          }
          assert.deepStrictEqual(namesOf(elsewhere[0]!).filter(saysWhoAsks), [])
          assert.include(namesOf(elsewhere[0]!), "accept")
        }).pipe(Effect.provide(onLoopback()))
    )
  }

  it.effect("a hop back to plex.tv has the identity, the token and the trace headers again", () =>
    Effect.gen(function* () {
      const { fake } = yield* FakePlexServer.FakePlexServer
      yield* fake.fault("getTokenDetails", Fault.redirect({ status: 302, to: `${fake.elsewhereUrl}/back` }), {
        times: 1
      })
      yield* fake.fault(
        { origin: fake.elsewhereUrl, path: "/back" },
        Fault.redirect({ status: 302, to: `${fake.plexTvUrl}/api/v2/user` }),
        { times: 1 }
      )
      const op = operations.find((candidate) => candidate.name === "getTokenDetails")!
      const { exit } = yield* traced(Effect.exit(op.run(targetOf(fake))))
      assert.isTrue(Exit.isSuccess(exit) && Exit.isSuccess(exit.value), "the hop back is answered")
      const requests = yield* fake.requests
      assert.deepStrictEqual(
        requests.map((r) => r.host),
        ["plex.tv", "elsewhere", "plex.tv"]
      )
      const [first, away, back] = requests
      assert.deepStrictEqual(namesOf(away!).filter(saysWhoAsks), [])
      assert.deepStrictEqual(
        namesOf(back!).filter(saysWhoAsks).sort(),
        namesOf(first!).filter(saysWhoAsks).sort()
      )
      assert.strictEqual(Redacted.value(back!.headers["x-plex-token"]!), Redacted.value(fake.token))
    }).pipe(Effect.provide(onLoopback()))
  )
})
