/**
 * Giving up on an operation mid-request, over real sockets: an outer
 * `Effect.timeout`, a `Fiber.interrupt`, and closing the scope of a
 * `forkScoped` fiber each end the request on the wire (the fake's socket
 * closes, its handler ends, the request is recorded `Interrupted`). The
 * sockets are real; time is the TestClock's: each test waits for the fake to
 * have received the request (a `Deferred` its handler completes), then moves
 * the clock past the timeout, so no test waits on the real clock. A test that
 * hangs is ended by vitest's test timeout.
 *
 * The client is `@effect/platform-node`'s `node:http` one, not `fetch`: after
 * an abort right at the start of a request, Node's `fetch` (undici) opens a
 * spare keep-alive connection that stays idle for its 4 s keep-alive timeout,
 * so "no socket left open" would wait 4 s for something the library does not
 * control. That the engine's interruption aborts a `fetch` is
 * test/PlexAuth/timeout-fetch.test.ts's.
 *
 * The Effect 4 edition of test/faults/interruption.test.ts. Effect 4 has no
 * `Supervisor`, so "no fiber of the operation is left running" is not
 * counted fiber by fiber here: what such a fiber would hold (an open socket,
 * a request the server is still handling) is what the server-side checks
 * below find gone.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { TestClock } from "effect/testing"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import type { FakePlexServer } from "effect4-plex-auth/node"
import { FakePlexServer as Server } from "effect4-plex-auth/node"
import { Fault } from "effect4-plex-auth/testing"
import type { Operation } from "./support.js"
import { failureOf, identity, operations, targetOf } from "./support.js"

/** The fake on loopback ports, the `node:http` client, and an identity. */
const onLoopback = () =>
  Layer.mergeAll(Server.layer(), NodeHttpClient.layerNodeHttp, identity).pipe(Layer.orDie)

/** The server ended the request because the client went away, and closed every socket. */
const nothingLeftOnTheServer = (server: FakePlexServer.FakePlexServerService, op: Operation) =>
  Effect.gen(function* () {
    yield* server.awaitActiveRequests(0)
    yield* server.awaitOpenSockets(0)
    assert.strictEqual(yield* server.openSockets, 0)
    assert.strictEqual(yield* server.activeRequests, 0)
    const requests = yield* server.fake.requests
    assert.deepStrictEqual(
      requests.map((r) => [r.route, r.outcome]),
      [[op.name, "Interrupted"]]
    )
  })

/**
 * Makes `op` hang on the server: its handler completes the returned `Deferred` (the fake is handling the
 * request, recorded `Pending`) and never answers; aborting the request interrupts it.
 */
const hangOn = (server: FakePlexServer.FakePlexServerService, op: Operation) =>
  Effect.gen(function* () {
    const received = yield* Deferred.make<void>()
    yield* server.fake.fault(
      op.name,
      Fault.respond(() => Effect.andThen(Deferred.succeed(received, undefined), Effect.never))
    )
    return Deferred.await(received)
  })

/** Forks the operation against a hang and waits until the server is handling it. */
const forkAgainstHang = (server: FakePlexServer.FakePlexServerService, op: Operation) =>
  Effect.gen(function* () {
    const received = yield* hangOn(server, op)
    const fiber = yield* Effect.forkChild(op.run(targetOf(server.fake)))
    yield* received
    assert.strictEqual(yield* server.openSockets, 1)
    return fiber
  })

for (const op of operations) {
  describe(`${op.name}: interrupted mid-request`, () => {
    it.effect("by an Effect.timeout shorter than a hang", () =>
      Effect.gen(function* () {
        const server = yield* Server.FakePlexServer
        const received = yield* hangOn(server, op)
        const fiber = yield* op
          .run(targetOf(server.fake))
          .pipe(Effect.timeout("250 millis"), Effect.exit, Effect.forkChild)
        yield* received
        yield* TestClock.adjust("249 millis")
        assert.isUndefined(fiber.pollUnsafe(), "not given up before its timeout")
        yield* TestClock.adjust("1 millis")
        const exit = yield* Fiber.join(fiber)
        assert.isTrue(
          Exit.isFailure(exit) && Cause.isTimeoutError(Cause.squash(exit.cause)),
          `expected a TimeoutError, got ${String(exit)}`
        )
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.effect("by Fiber.interrupt", () =>
      Effect.gen(function* () {
        const server = yield* Server.FakePlexServer
        const fiber = yield* forkAgainstHang(server, op)
        yield* Fiber.interrupt(fiber)
        const exit = yield* Fiber.await(fiber)
        assert.isTrue(Exit.hasInterrupts(exit), String(exit))
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.effect("by closing the scope of a forkScoped fiber", () =>
      Effect.gen(function* () {
        const server = yield* Server.FakePlexServer
        const received = yield* hangOn(server, op)
        const scope = yield* Scope.make()
        const fiber = yield* op.run(targetOf(server.fake)).pipe(Effect.forkScoped, Scope.provide(scope))
        yield* received
        yield* Scope.close(scope, Exit.void)
        const exit = yield* Fiber.await(fiber)
        assert.isTrue(Exit.hasInterrupts(exit), String(exit))
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.effect(
      "by its own per-attempt timeout (withRequestTimeout): NetworkError Timeout, socket closed",
      () =>
        Effect.gen(function* () {
          const server = yield* Server.FakePlexServer
          const received = yield* hangOn(server, op)
          const fiber = yield* op
            .run(targetOf(server.fake))
            .pipe(PlexAuth.withRequestTimeout("250 millis"), Effect.exit, Effect.forkChild)
          yield* received
          yield* TestClock.adjust("249 millis")
          assert.isUndefined(fiber.pollUnsafe(), "not timed out before its timeout")
          yield* TestClock.adjust("1 millis")
          const error = failureOf(yield* Fiber.join(fiber), op.name)
          assert.isTrue(error._tag === "NetworkError" && error.reason === "Timeout", error.message)
          yield* nothingLeftOnTheServer(server, op)
        }).pipe(Effect.provide(onLoopback()))
    )
  })
}

describe("interruption does not poison the client", () => {
  it.effect("after an interrupted request the next one on the same server succeeds", () =>
    Effect.gen(function* () {
      const server = yield* Server.FakePlexServer
      const op = operations[1]!
      const fiber = yield* forkAgainstHang(server, op)
      yield* Fiber.interrupt(fiber)
      yield* server.fake.clearFaults
      op.checkSuccess(yield* op.run(targetOf(server.fake)), targetOf(server.fake))
    }).pipe(Effect.provide(onLoopback()))
  )
})
