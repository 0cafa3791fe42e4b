/**
 * Giving up on an operation mid-request, over real sockets: an outer
 * `Effect.timeout`, a `Fiber.interrupt`, and closing the scope of a
 * `forkScoped` fiber each end the request on the wire (the fake's socket
 * closes, its handler ends, the request is recorded `Interrupted`) and leave
 * no fiber of the operation running. The sockets are real; time is the
 * TestClock's: each test waits for the fake to have received the request (a
 * `Deferred` its handler completes), then moves the clock past the timeout,
 * so no test waits on the real clock. A test that hangs is ended by vitest's
 * test timeout.
 *
 * The client is `@effect/platform-node`'s `node:http` one, not `fetch`: after
 * an abort right at the start of a request, Node's `fetch` (undici) opens a
 * spare keep-alive connection that stays idle for its 4 s keep-alive timeout,
 * so "no socket left open" would wait 4 s for something the library does not
 * control. That the engine's interruption aborts a `fetch` is
 * test/PlexAuth/timeout-fetch.test.ts's.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Scope, Supervisor, TestClock } from "effect"
import { PlexAuth } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault } from "effect-plex-auth/testing"
import { it } from "../support/it.js"
import type { Operation } from "./support.js"
import { failureOf, identity, operations, targetOf } from "./support.js"

/** The fake on loopback ports, the `node:http` client, and an identity. */
const onLoopback = () =>
  Layer.mergeAll(FakePlexServer.layer(), NodeHttpClient.layer, identity).pipe(Layer.orDie)

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
      Fault.respond(() => Effect.zipRight(Deferred.succeed(received, undefined), Effect.never))
    )
    return Deferred.await(received)
  })

/** Forks the operation against a hang, supervised, and waits until the server is handling it. */
const forkAgainstHang = (server: FakePlexServer.FakePlexServerService, op: Operation) =>
  Effect.gen(function* () {
    const received = yield* hangOn(server, op)
    const supervisor = yield* Supervisor.track
    const fiber = yield* op.run(targetOf(server.fake)).pipe(Effect.fork, Effect.supervised(supervisor))
    yield* received
    assert.strictEqual(yield* server.openSockets, 1)
    assert.isAbove((yield* supervisor.value).length, 0, "the supervisor sees the operation's fibers")
    return { fiber, supervisor }
  })

for (const op of operations) {
  describe(`${op.name}: interrupted mid-request`, () => {
    it.effect("by an Effect.timeout shorter than a hang", () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        const received = yield* hangOn(server, op)
        const supervisor = yield* Supervisor.track
        const fiber = yield* op
          .run(targetOf(server.fake))
          .pipe(Effect.timeout("250 millis"), Effect.supervised(supervisor), Effect.exit, Effect.fork)
        yield* received
        yield* TestClock.adjust("249 millis")
        assert.isNull(fiber.unsafePoll(), "not given up before its timeout")
        yield* TestClock.adjust("1 millis")
        const exit = yield* Fiber.join(fiber)
        assert.isTrue(
          Exit.isFailure(exit) && Cause.isTimeoutException(Cause.squash(exit.cause)),
          `expected a TimeoutException, got ${String(exit)}`
        )
        assert.deepStrictEqual(yield* supervisor.value, [])
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.effect("by Fiber.interrupt", () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        const { fiber, supervisor } = yield* forkAgainstHang(server, op)
        const exit = yield* Fiber.interrupt(fiber)
        assert.isTrue(Exit.isInterrupted(exit), String(exit))
        assert.deepStrictEqual(yield* supervisor.value, [], "no fiber of the operation is left running")
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.effect("by closing the scope of a forkScoped fiber", () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        const received = yield* hangOn(server, op)
        const scope = yield* Scope.make()
        const supervisor = yield* Supervisor.track
        const fiber = yield* op
          .run(targetOf(server.fake))
          .pipe(Effect.forkScoped, Effect.supervised(supervisor), Scope.extend(scope))
        yield* received
        yield* Scope.close(scope, Exit.void)
        const exit = yield* Fiber.await(fiber)
        assert.isTrue(Exit.isInterrupted(exit), String(exit))
        assert.deepStrictEqual(yield* supervisor.value, [])
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.effect(
      "by its own per-attempt timeout (withRequestTimeout): NetworkError Timeout, socket closed",
      () =>
        Effect.gen(function* () {
          const server = yield* FakePlexServer.FakePlexServer
          const received = yield* hangOn(server, op)
          const fiber = yield* op
            .run(targetOf(server.fake))
            .pipe(PlexAuth.withRequestTimeout("250 millis"), Effect.exit, Effect.fork)
          yield* received
          yield* TestClock.adjust("249 millis")
          assert.isNull(fiber.unsafePoll(), "not timed out before its timeout")
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
      const server = yield* FakePlexServer.FakePlexServer
      const op = operations[1]!
      const { fiber } = yield* forkAgainstHang(server, op)
      yield* Fiber.interrupt(fiber)
      yield* server.fake.clearFaults
      op.checkSuccess(yield* op.run(targetOf(server.fake)), targetOf(server.fake))
    }).pipe(Effect.provide(onLoopback()))
  )
})
