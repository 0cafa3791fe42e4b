/**
 * Giving up on an operation mid-request, over real sockets: an outer
 * `Effect.timeout`, a `Fiber.interrupt`, and closing the scope of a
 * `forkScoped` fiber each end the request on the wire (the fake's socket
 * closes, its handler ends, the request is recorded `Interrupted`) and leave
 * no fiber of the operation running. Real waits are tens of milliseconds and
 * nothing is asserted about elapsed time; every wait is bounded.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Schedule, Scope, Supervisor } from "effect"
import { PlexAuth } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault } from "effect-plex-auth/testing"
import type { Operation } from "./support.js"
import { failureOf, onLoopback, operations, targetOf, within } from "./support.js"

const bounded = within("5 seconds", "the loopback server")

/** The server ended the request because the client went away, and closed every socket. */
const nothingLeftOnTheServer = (server: FakePlexServer.FakePlexServerService, op: Operation) =>
  Effect.gen(function* () {
    yield* bounded(server.awaitActiveRequests(0))
    yield* bounded(server.awaitOpenSockets(0))
    assert.strictEqual(yield* server.openSockets, 0)
    assert.strictEqual(yield* server.activeRequests, 0)
    const requests = yield* server.fake.requests
    assert.deepStrictEqual(
      requests.map((r) => [r.route, r.outcome]),
      [[op.name, "Interrupted"]]
    )
  })

/**
 * Waits until the fake itself is handling the request (recorded, `Pending` at its hang), so the
 * interruption happens mid-request rather than while the server is still reading it.
 */
const awaitPending = (server: FakePlexServer.FakePlexServerService, op: Operation) =>
  bounded(
    Effect.repeat(server.fake.requests, {
      schedule: Schedule.spaced("5 millis"),
      until: (requests) => requests.some((r) => r.route === op.name && r.outcome === "Pending")
    })
  )

/** Forks the operation against a hang, supervised, and waits until the server is handling it. */
const forkAgainstHang = (server: FakePlexServer.FakePlexServerService, op: Operation) =>
  Effect.gen(function* () {
    yield* server.fake.fault(op.name, Fault.hang)
    const supervisor = yield* Supervisor.track
    const fiber = yield* op.run(targetOf(server.fake)).pipe(Effect.fork, Effect.supervised(supervisor))
    yield* awaitPending(server, op)
    assert.strictEqual(yield* server.openSockets, 1)
    assert.isAbove((yield* supervisor.value).length, 0, "the supervisor sees the operation's fibers")
    return { fiber, supervisor }
  })

for (const op of operations) {
  describe(`${op.name}: interrupted mid-request`, () => {
    it.live("by an Effect.timeout shorter than a hang", () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        yield* server.fake.fault(op.name, Fault.hang)
        const supervisor = yield* Supervisor.track
        const exit = yield* op
          .run(targetOf(server.fake))
          .pipe(Effect.timeout("250 millis"), Effect.supervised(supervisor), Effect.exit)
        assert.isTrue(
          Exit.isFailure(exit) && Cause.isTimeoutException(Cause.squash(exit.cause)),
          `expected a TimeoutException, got ${String(exit)}`
        )
        assert.deepStrictEqual(yield* supervisor.value, [])
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.live("by Fiber.interrupt", () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        const { fiber, supervisor } = yield* forkAgainstHang(server, op)
        const exit = yield* bounded(Fiber.interrupt(fiber))
        assert.isTrue(Exit.isInterrupted(exit), String(exit))
        assert.deepStrictEqual(yield* supervisor.value, [], "no fiber of the operation is left running")
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.live("by closing the scope of a forkScoped fiber", () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        yield* server.fake.fault(op.name, Fault.hang)
        const scope = yield* Scope.make()
        const supervisor = yield* Supervisor.track
        const fiber = yield* op
          .run(targetOf(server.fake))
          .pipe(Effect.forkScoped, Effect.supervised(supervisor), Scope.extend(scope))
        yield* awaitPending(server, op)
        yield* bounded(Scope.close(scope, Exit.void))
        const exit = yield* bounded(Fiber.await(fiber))
        assert.isTrue(Exit.isInterrupted(exit), String(exit))
        assert.deepStrictEqual(yield* supervisor.value, [])
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.live("by its own per-attempt timeout (withRequestTimeout): NetworkError Timeout, socket closed", () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        yield* server.fake.fault(op.name, Fault.hang)
        const exit = yield* op
          .run(targetOf(server.fake))
          .pipe(PlexAuth.withRequestTimeout("250 millis"), Effect.exit)
        const error = failureOf(exit, op.name)
        assert.isTrue(error._tag === "NetworkError" && error.reason === "Timeout", error.message)
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )
  })
}

describe("interruption does not poison the client", () => {
  it.live("after an interrupted request the next one on the same server succeeds", () =>
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
