/**
 * Giving up on an operation mid-request, over real sockets: an outer
 * `Effect.timeout`, a `Fiber.interrupt`, and closing the scope of a
 * `forkScoped` fiber each end the request on the wire (the fake's socket
 * closes, its handler ends, the request is recorded `Interrupted`). Real
 * waits are tens of milliseconds and nothing is asserted about elapsed
 * time; every wait is bounded.
 *
 * The Effect 4 edition of test/faults/interruption.test.ts. Effect 4 has no
 * `Supervisor`, so "no fiber of the operation is left running" is not
 * counted fiber by fiber here: what such a fiber would hold (an open socket,
 * a request the server is still handling) is what the server-side checks
 * below find gone.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import type { FakePlexServer } from "effect4-plex-auth/node"
import { FakePlexServer as Server } from "effect4-plex-auth/node"
import { Fault } from "effect4-plex-auth/testing"
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

/** Forks the operation against a hang and waits until the server is handling it. */
const forkAgainstHang = (server: FakePlexServer.FakePlexServerService, op: Operation) =>
  Effect.gen(function* () {
    yield* server.fake.fault(op.name, Fault.hang)
    const fiber = yield* Effect.forkChild(op.run(targetOf(server.fake)))
    yield* awaitPending(server, op)
    assert.strictEqual(yield* server.openSockets, 1)
    return fiber
  })

for (const op of operations) {
  describe(`${op.name}: interrupted mid-request`, () => {
    it.live("by an Effect.timeout shorter than a hang", () =>
      Effect.gen(function* () {
        const server = yield* Server.FakePlexServer
        yield* server.fake.fault(op.name, Fault.hang)
        const exit = yield* op.run(targetOf(server.fake)).pipe(Effect.timeout("250 millis"), Effect.exit)
        assert.isTrue(
          Exit.isFailure(exit) && Cause.isTimeoutError(Cause.squash(exit.cause)),
          `expected a TimeoutError, got ${String(exit)}`
        )
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.live("by Fiber.interrupt", () =>
      Effect.gen(function* () {
        const server = yield* Server.FakePlexServer
        const fiber = yield* forkAgainstHang(server, op)
        yield* bounded(Fiber.interrupt(fiber))
        const exit = yield* bounded(Fiber.await(fiber))
        assert.isTrue(Exit.hasInterrupts(exit), String(exit))
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.live("by closing the scope of a forkScoped fiber", () =>
      Effect.gen(function* () {
        const server = yield* Server.FakePlexServer
        yield* server.fake.fault(op.name, Fault.hang)
        const scope = yield* Scope.make()
        const fiber = yield* op.run(targetOf(server.fake)).pipe(Effect.forkScoped, Scope.provide(scope))
        yield* awaitPending(server, op)
        yield* bounded(Scope.close(scope, Exit.void))
        const exit = yield* bounded(Fiber.await(fiber))
        assert.isTrue(Exit.hasInterrupts(exit), String(exit))
        yield* nothingLeftOnTheServer(server, op)
      }).pipe(Effect.provide(onLoopback()))
    )

    it.live("by its own per-attempt timeout (withRequestTimeout): NetworkError Timeout, socket closed", () =>
      Effect.gen(function* () {
        const server = yield* Server.FakePlexServer
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
      const server = yield* Server.FakePlexServer
      const op = operations[1]!
      const fiber = yield* forkAgainstHang(server, op)
      yield* Fiber.interrupt(fiber)
      yield* server.fake.clearFaults
      op.checkSuccess(yield* op.run(targetOf(server.fake)), targetOf(server.fake))
    }).pipe(Effect.provide(onLoopback()))
  )
})
