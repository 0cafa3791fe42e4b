/**
 * The one refresh mechanism when callers go away: the refresh runs in the
 * credentials' scope, not on the fiber of the caller who started it. A
 * caller interrupted mid-refresh stops waiting; the refresh goes on for the
 * others (and for the next call): a sign-in is never sent twice because the
 * caller who started it was cancelled. Closing the scope interrupts it, and a
 * sign-out during it wins. The sign-in is held on a latch (`Deferred`): no
 * sleeps. Last, the stored layers' sign-out: a token it forgot is never
 * written after it.
 */
import { KeyValueStore } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import {
  Cause,
  Context,
  Deferred,
  Effect,
  Either,
  Exit,
  Fiber,
  Layer,
  Option,
  Redacted,
  Ref,
  Scope,
  TestClock
} from "effect"
import { Credentials } from "effect-plex-auth"
import { it } from "../support/it.js"
import * as Refresh from "../../src/internal/refresh.js"
import * as StoredSignOut from "../../src/internal/storedSignOut.js"
import { withCapturedLogs } from "../support/observe.js"
import { makeHoldingClock } from "../support/holdingClock.js"

const OLD = Redacted.make("old-token")

/** Why a refresh gave no token (its `RefreshFailed` reason). */
const reasonOf = (failure: unknown): unknown =>
  typeof failure === "object" && failure !== null && "reason" in failure ? failure.reason : undefined

/** Credentials in `scope` whose sign-in (counted) waits for `release`, then hands back `new-token-N`. */
const held = (scope: Scope.Scope, expiry?: "ahead" | "expired") =>
  Effect.gen(function* () {
    const signIns = yield* Ref.make(0)
    const started = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    const interrupted = yield* Ref.make(false)
    const obtain = Effect.gen(function* () {
      const n = yield* Ref.updateAndGet(signIns, (k) => k + 1)
      yield* Deferred.succeed(started, undefined)
      yield* Deferred.await(release)
      return Redacted.make(`new-token-${n}`)
    }).pipe(Effect.onInterrupt(() => Ref.set(interrupted, true)))
    const credentials = yield* (
      expiry !== undefined
        ? // As the Jwt credentials: the old token expires within the margin (in a second), or has expired (at 0),
          // so reading it refreshes it first.
          Refresh.make({
            initial: OLD,
            obtain,
            expiresAt: (token) => (token !== OLD ? Number.MAX_SAFE_INTEGER : expiry === "ahead" ? 1000 : 0),
            margin: "1 second"
          })
        : Credentials.makeRefreshing({ initial: OLD, obtain })
    ).pipe(Scope.extend(scope))
    const refresh = credentials.refresh!
    return { credentials, refresh, signIns, started, release, interrupted }
  })

describe("refresh: callers interrupted mid-refresh", () => {
  it.scoped("the first caller interrupted: one sign-in, and the second caller gets its token", () =>
    Effect.gen(function* () {
      const { refresh, release, signIns, started } = yield* held(yield* Effect.scope)
      const first = yield* Effect.fork(refresh(OLD))
      yield* Deferred.await(started)
      const second = yield* Effect.fork(refresh(OLD))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(first)
      yield* Deferred.succeed(release, undefined)
      const token = yield* Fiber.join(second)
      assert.strictEqual(Redacted.value(token), "new-token-1")
      assert.strictEqual(yield* Ref.get(signIns), 1)
    })
  )

  it.scoped("the only caller interrupted: the refresh completes and the next call uses its token", () =>
    Effect.gen(function* () {
      const { credentials, refresh, release, signIns, started } = yield* held(yield* Effect.scope)
      const only = yield* Effect.fork(refresh(OLD))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(only)
      yield* Deferred.succeed(release, undefined)
      // The next caller refused with the old token gets the refreshed one, without a second sign-in.
      const next = yield* refresh(OLD)
      assert.strictEqual(Redacted.value(next), "new-token-1")
      assert.strictEqual(Redacted.value(yield* credentials.token), "new-token-1")
      assert.strictEqual(yield* Ref.get(signIns), 1)
    })
  )

  it.effect("closing the scope interrupts the refresh in flight; its waiters are interrupted too", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const { interrupted, refresh, signIns, started } = yield* held(scope)
      const waiter = yield* Effect.fork(refresh(OLD))
      yield* Deferred.await(started)
      yield* Scope.close(scope, Exit.void)
      // The sign-in was interrupted (and awaited) by the close: nothing of the refresh runs on.
      assert.isTrue(yield* Ref.get(interrupted))
      const exit = yield* Fiber.await(waiter)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.strictEqual(yield* Ref.get(signIns), 1)
    })
  )

  it.effect(
    "a refresh after the scope closed is not started: a refusal fails at once (Closed), a read serves the token; and so does the next",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const refused = yield* held(scope)
        const expired = yield* held(scope, "expired")
        yield* Scope.close(scope, Exit.void)
        // Each call settles within a few scheduler turns (none waits for ever on a refresh that never ran): a
        // refusal's refresh, and the expired token's on a read, each twice (the second finds what the first left:
        // nothing recorded as in flight).
        const settled = (call: Effect.Effect<unknown, unknown>) =>
          Effect.gen(function* () {
            const fiber = yield* Effect.fork(call)
            for (let turn = 0; turn < 20 && Option.isNone(yield* Fiber.poll(fiber)); turn++)
              yield* Effect.yieldNow()
            return yield* Fiber.poll(fiber)
          })
        for (const call of [refused.refresh(OLD), refused.refresh(OLD)]) {
          const exit = yield* settled(call)
          assert.isTrue(Option.isSome(exit), "ended")
          const failure = Option.isSome(exit)
            ? Exit.causeOption(exit.value).pipe(Option.flatMap(Cause.failureOption))
            : Option.none()
          assert.strictEqual(reasonOf(Option.getOrUndefined(failure)), "Closed")
        }
        for (const call of [expired.credentials.token, expired.credentials.token]) {
          const exit = yield* settled(call)
          assert.isTrue(
            Option.isSome(exit) && Exit.isSuccess(exit.value) && exit.value.value === OLD,
            "served"
          )
        }
        assert.strictEqual(yield* Ref.get(refused.signIns), 0)
        assert.strictEqual(yield* Ref.get(expired.signIns), 0)
      })
  )

  it.scoped("a sign-out during the refresh wins: the refreshed token is not kept", () =>
    Effect.gen(function* () {
      const { credentials, refresh, release, signIns, started } = yield* held(yield* Effect.scope)
      const waiter = yield* Effect.fork(refresh(OLD))
      yield* Deferred.await(started)
      // Does not wait for the refresh.
      yield* credentials.signedOut!(OLD)
      yield* Deferred.succeed(release, undefined)
      const result = yield* Effect.either(Fiber.join(waiter))
      assert.isTrue(Either.isLeft(result) && reasonOf(result.left) === "SignedOut")
      assert.strictEqual(Redacted.value(yield* credentials.token), "old-token")
      // And the signed-out token is never replaced afterwards.
      const again = yield* Effect.either(refresh(OLD))
      assert.isTrue(Either.isLeft(again) && reasonOf(again.left) === "SignedOut")
      assert.strictEqual(yield* Ref.get(signIns), 1)
    })
  )

  it.scoped(
    "a sign-out sent before a refresh replaced its token wins too: the refreshed token is dropped",
    () =>
      Effect.gen(function* () {
        // `PlexAuth.signOut` read the old token and sent its DELETE; a refusal elsewhere refreshed meanwhile, and the
        // refresh settled before the sign-out came back. The new token was kept: the app stayed signed in.
        const { credentials, refresh, release, signIns } = yield* held(yield* Effect.scope)
        const signingOut = yield* credentials.token
        const waiter = yield* Effect.fork(refresh(OLD))
        yield* Deferred.succeed(release, undefined)
        assert.strictEqual(Redacted.value(yield* Fiber.join(waiter)), "new-token-1")
        yield* credentials.signedOut!(signingOut)
        assert.strictEqual(Redacted.value(yield* credentials.token), "old-token")
        // And the signed-out token is never replaced afterwards.
        const again = yield* Effect.either(refresh(OLD))
        assert.isTrue(Either.isLeft(again) && reasonOf(again.left) === "SignedOut")
        assert.strictEqual(yield* Ref.get(signIns), 1)
      })
  )

  it.scoped(
    "a sign-out during the refresh abandons it: obtain is interrupted and its waiters fail at once, nothing to revoke",
    () =>
      Effect.gen(function* () {
        const { credentials, interrupted, refresh, signIns, started } = yield* held(yield* Effect.scope)
        const revoked = yield* Ref.make<ReadonlyArray<string>>([])
        const revoke = (token: Redacted.Redacted<string>) =>
          Ref.update(revoked, (all) => [...all, Redacted.value(token)])
        const waiter = yield* Effect.fork(refresh(OLD))
        yield* Deferred.await(started)
        // Never released (a PIN no one approves): the sign-out does not wait for it, and ends it.
        yield* credentials.signedOut!(OLD, revoke)
        const result = yield* Effect.either(Fiber.join(waiter))
        assert.isTrue(Either.isLeft(result) && reasonOf(result.left) === "SignedOut")
        assert.isTrue(yield* Ref.get(interrupted), "obtain interrupted")
        assert.deepStrictEqual(yield* Ref.get(revoked), [])
        assert.strictEqual(Redacted.value(yield* credentials.token), "old-token")
        assert.strictEqual(yield* Ref.get(signIns), 1)
      })
  )

  it.scoped(
    "a sign-out sent before a refresh replaced its token revokes the refreshed token with the sign-out's revoke",
    () =>
      Effect.gen(function* () {
        const { credentials, refresh, release } = yield* held(yield* Effect.scope)
        const revoked = yield* Ref.make<ReadonlyArray<string>>([])
        const revoke = (token: Redacted.Redacted<string>) =>
          Ref.update(revoked, (all) => [...all, Redacted.value(token)])
        const signingOut = yield* credentials.token
        const waiter = yield* Effect.fork(refresh(OLD))
        yield* Deferred.succeed(release, undefined)
        assert.strictEqual(Redacted.value(yield* Fiber.join(waiter)), "new-token-1")
        yield* credentials.signedOut!(signingOut, revoke)
        // Dropped, and revoked before the sign-out returns: not left valid at plex.tv.
        assert.deepStrictEqual(yield* Ref.get(revoked), ["new-token-1"])
        assert.strictEqual(Redacted.value(yield* credentials.token), "old-token")
      })
  )

  it.effect(
    "a token a refresh gives after a sign-out abandoned it is revoked to its end, even when the scope closes during the revoke",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const obtained = yield* Deferred.make<void>()
        const gate = yield* Deferred.make<void>()
        const revoking = yield* Deferred.make<void>()
        const answer = yield* Deferred.make<void>()
        const revoked = yield* Ref.make<ReadonlyArray<string>>([])
        // `obtain` gives its token; the refresh is held just after (in `reused`, where `layerStored` reads its
        // store), before it settles: the sign-out comes then, too late to interrupt `obtain`, and drops the token.
        const credentials = yield* Refresh.make({
          initial: OLD,
          obtain: Effect.succeed(Redacted.make("new-token")),
          reused: () =>
            Effect.as(Effect.zipRight(Deferred.succeed(obtained, undefined), Deferred.await(gate)), false)
        }).pipe(Scope.extend(scope))
        // The revoke's request is on its way (held until `answer`) when the scope closes.
        const revoke = (token: Redacted.Redacted<string>) =>
          Deferred.succeed(revoking, undefined).pipe(
            Effect.zipRight(Deferred.await(answer)),
            Effect.zipRight(Ref.update(revoked, (all) => [...all, Redacted.value(token)]))
          )
        yield* Effect.fork(credentials.refresh!(OLD))
        yield* Deferred.await(obtained)
        yield* credentials.signedOut!(OLD, revoke)
        yield* Deferred.succeed(gate, undefined)
        yield* Deferred.await(revoking)
        const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
        for (let turn = 0; turn < 20; turn++) yield* Effect.yieldNow()
        // Cut short, the revoke would leave the token valid at plex.tv: the close waits for it.
        assert.isTrue(Option.isNone(yield* Fiber.poll(closing)), "the close waits for the revoke")
        yield* Deferred.succeed(answer, undefined)
        yield* Fiber.join(closing)
        assert.deepStrictEqual(yield* Ref.get(revoked), ["new-token"])
      })
  )

  it.scoped(
    "`current` never waits for a refresh in flight; `settled` waits for a refusal's, which `token` does not",
    () =>
      Effect.gen(function* () {
        const { credentials, refresh, release, started } = yield* held(yield* Effect.scope)
        const waiter = yield* Effect.fork(refresh(OLD))
        yield* Deferred.await(started)
        assert.strictEqual(Redacted.value(yield* credentials.current!), "old-token")
        assert.strictEqual(Redacted.value(yield* credentials.token), "old-token")
        const settled = yield* Effect.fork(credentials.settled!)
        yield* Deferred.succeed(release, undefined)
        assert.strictEqual(Redacted.value(yield* Fiber.join(settled)), "new-token-1")
        assert.strictEqual(Redacted.value(yield* Fiber.join(waiter)), "new-token-1")
      })
  )

  for (const [expiry, label] of [
    ["ahead", "ahead of expiry"],
    ["expired", "expired"]
  ] as const) {
    it.scoped(`${label}: the first reader interrupted, the second gets the token of the one refresh`, () =>
      Effect.gen(function* () {
        const { credentials, release, signIns, started } = yield* held(yield* Effect.scope, expiry)
        const first = yield* Effect.fork(credentials.token)
        yield* Deferred.await(started)
        const second = yield* Effect.fork(credentials.token)
        yield* Effect.yieldNow()
        yield* Fiber.interrupt(first)
        yield* Deferred.succeed(release, undefined)
        assert.strictEqual(Redacted.value(yield* Fiber.join(second)), "new-token-1")
        assert.strictEqual(yield* Ref.get(signIns), 1)
      })
    )

    it.scoped(`${label}: the only reader interrupted, the next read uses the refreshed token`, () =>
      Effect.gen(function* () {
        const { credentials, release, signIns, started } = yield* held(yield* Effect.scope, expiry)
        const only = yield* Effect.fork(credentials.token)
        yield* Deferred.await(started)
        yield* Fiber.interrupt(only)
        yield* Deferred.succeed(release, undefined)
        assert.strictEqual(Redacted.value(yield* credentials.token), "new-token-1")
        assert.strictEqual(yield* Ref.get(signIns), 1)
      })
    )
  }

  it.scoped("an expired token read by many at once is refreshed once", () =>
    Effect.gen(function* () {
      const { credentials, release, signIns, started } = yield* held(yield* Effect.scope, "expired")
      const readers = yield* Effect.fork(
        Effect.all(
          Array.from({ length: 10 }, () => credentials.token),
          { concurrency: "unbounded" }
        )
      )
      yield* Deferred.await(started)
      yield* Deferred.succeed(release, undefined)
      const tokens = yield* Fiber.join(readers)
      assert.deepStrictEqual(new Set(tokens.map(Redacted.value)), new Set(["new-token-1"]))
      assert.strictEqual(yield* Ref.get(signIns), 1)
    })
  )

  it.scoped("an expired token that was signed out is served, never refreshed", () =>
    Effect.gen(function* () {
      const { credentials, release, signIns } = yield* held(yield* Effect.scope, "expired")
      yield* Deferred.succeed(release, undefined) // a sign-in, were one started, would not hold the read
      yield* credentials.signedOut!(OLD)
      assert.strictEqual(Redacted.value(yield* credentials.token), "old-token")
      assert.strictEqual(yield* Ref.get(signIns), 0)
    })
  )

  it.scoped("Credentials.layerStored: a sign-out during the refresh wins, and its token is not stored", () =>
    Effect.gen(function* () {
      const store = yield* KeyValueStore.KeyValueStore
      yield* store.set(Credentials.defaultStoreKey, "old-token")
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const obtain = Effect.zipRight(
        Deferred.succeed(started, undefined),
        Effect.as(Deferred.await(release), Redacted.make("new-token-1"))
      )
      // Built in the test's scope, which the refresh runs in.
      const context = yield* Layer.build(Credentials.layerStored({ obtain }))
      const credentials = Context.get(context, Credentials.Credentials)
      const stale = yield* credentials.token
      const waiter = yield* Effect.fork(credentials.refresh!(stale))
      yield* Deferred.await(started)
      yield* credentials.signedOut!(stale)
      yield* Deferred.succeed(release, undefined)
      const result = yield* Effect.either(Fiber.join(waiter))
      assert.isTrue(Either.isLeft(result) && reasonOf(result.left) === "SignedOut")
      assert.isTrue(Option.isNone(yield* store.get(Credentials.defaultStoreKey)))
    }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )

  it.scoped(
    "Credentials.layerStored: a sign-out sent before a refresh replaced its token forgets the refreshed one",
    () =>
      Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        yield* store.set(Credentials.defaultStoreKey, "old-token")
        const obtain = Effect.succeed(Redacted.make("new-token-1"))
        // Built in the test's scope, which the refresh runs in.
        const context = yield* Layer.build(Credentials.layerStored({ obtain }))
        const credentials = Context.get(context, Credentials.Credentials)
        const signingOut = yield* credentials.token
        assert.strictEqual(Redacted.value(yield* credentials.refresh!(signingOut)), "new-token-1")
        yield* credentials.signedOut!(signingOut)
        assert.strictEqual(Redacted.value(yield* credentials.token), "old-token")
        assert.isTrue(Option.isNone(yield* store.get(Credentials.defaultStoreKey)))
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )

  it.scoped(
    "a refresh whose sign-in dies hands the defect to its caller; the next refusal refreshes again",
    () =>
      Effect.gen(function* () {
        const signIns = yield* Ref.make(0)
        const obtain = Effect.flatMap(
          Ref.updateAndGet(signIns, (k) => k + 1),
          (n) => (n === 1 ? Effect.die("sign-in crashed") : Effect.succeed(Redacted.make(`new-token-${n}`)))
        )
        const credentials = yield* Credentials.makeRefreshing({ initial: OLD, obtain })
        const exit = yield* Effect.exit(credentials.refresh!(OLD))
        assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
        assert.strictEqual(Redacted.value(yield* credentials.refresh!(OLD)), "new-token-2")
        assert.strictEqual(yield* Ref.get(signIns), 2)
      })
  )
})

describe("refresh: a clock moved back", () => {
  it.scoped(
    "a failed refresh's cooldown ends when the clock is set back before it, not an hour and a minute later; bounded again from there",
    () =>
      Effect.gen(function* () {
        const attempts = yield* Ref.make(0)
        const credentials = yield* Credentials.makeRefreshing({
          initial: OLD,
          obtain: Effect.flatMap(
            Ref.updateAndGet(attempts, (n) => n + 1),
            () => Effect.fail("plex.tv is down" as const)
          )
        })
        const refusedAgain = Effect.map(Effect.flip(credentials.refresh!(OLD)), reasonOf)
        yield* TestClock.setTime(2 * 60 * 60 * 1000)
        assert.strictEqual(yield* refusedAgain, "Failed")
        assert.strictEqual(yield* refusedAgain, "CoolingDown")
        // The clock is set back an hour (a correction): the cooldown of a minute does not last an hour more.
        yield* TestClock.setTime(60 * 60 * 1000)
        assert.strictEqual(yield* refusedAgain, "Failed")
        assert.strictEqual(yield* Ref.get(attempts), 2)
        // Held off again, from the new time.
        assert.strictEqual(yield* refusedAgain, "CoolingDown")
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(yield* refusedAgain, "Failed")
        assert.strictEqual(yield* Ref.get(attempts), 3)
      })
  )

  it.scoped(
    "a refusal that read the clock before a failed refresh started its cooldown is held off by it, not taken for a clock set back",
    () =>
      Effect.gen(function* () {
        // A clock whose read of the time can hold its reader once, after the read: as the scheduler may suspend a
        // fiber there, letting another caller run. The decision must read the time under the lock: the held
        // caller, its time from before the cooldown another's failed refresh started, is no clock set back.
        const { arm, clock: holding, held, release } = yield* makeHoldingClock
        const attempts = yield* Ref.make(0)
        const credentials = yield* Credentials.makeRefreshing({
          initial: OLD,
          obtain: Effect.flatMap(
            Ref.updateAndGet(attempts, (n) => n + 1),
            () => Effect.fail("plex.tv is down" as const)
          )
        })
        const refused = Effect.map(
          Effect.flip(Effect.withClock(credentials.refresh!(OLD), holding)),
          reasonOf
        )
        yield* arm(true)
        const first = yield* Effect.fork(refused)
        // Held after reading the time (0), or already decided.
        yield* Effect.race(held, Effect.asVoid(Fiber.await(first)))
        yield* arm(false)
        yield* TestClock.adjust("1 millis")
        const second = yield* refused
        yield* release
        assert.deepStrictEqual([yield* Fiber.join(first), second].sort(), ["CoolingDown", "Failed"])
        assert.strictEqual(yield* Ref.get(attempts), 1)
      })
  )
})

describe("refresh: the warning of a failed refresh ahead of expiry", () => {
  it.scoped(
    "names this library's error tags only: a caller's own error is Other, its tag and message not logged",
    () =>
      Effect.gen(function* () {
        const cases = [
          [{ _tag: "NetworkError" }, "NetworkError"],
          [{ _tag: "secret-tag-3f9a", message: "secret-message-77c1" }, "Other"]
        ] as const
        for (const [failure, word] of cases) {
          // The token expires within the margin: reading it refreshes it ahead, which fails; the current one is kept.
          const credentials = yield* Refresh.make({
            initial: OLD,
            obtain: Effect.fail(failure),
            expiresAt: (token) => (token === OLD ? 1000 : Number.MAX_SAFE_INTEGER),
            margin: "1 second",
            name: "Plex JWT"
          })
          const logged = yield* withCapturedLogs(credentials.token)
          assert.isTrue(Exit.isSuccess(logged.exit))
          const text = logged.lines.join("\n")
          assert.include(text, `refreshing the Plex JWT failed (${word}); keeping the current one`)
          assert.notInclude(text, "secret-")
        }
      })
  )
})

describe("the stored layers' sign-out (internal/storedSignOut.ts)", () => {
  it.scoped(
    "a token a sign-out forgot is never written after it: a refresh's write that comes late is dropped",
    () =>
      Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        yield* store.set("token", "good")
        const signOut = yield* StoredSignOut.make({ store, tokenEntry: "token" })
        yield* signOut.hold(Redacted.make("good"))
        // Credentials whose refresh had obtained "fresh" when the sign-out of "good" was told, which dropped it.
        const reads = [Redacted.make("fresh"), Redacted.make("good")]
        const service = signOut.signingOut({
          token: Effect.sync(() => reads.shift()!),
          signedOut: () => Effect.void
        })
        yield* service.signedOut!(Redacted.make("good"))
        assert.isTrue(Option.isNone(yield* store.get("token")))
        // The refresh's write of "fresh", after the sign-out: it would sign the next run in again.
        yield* signOut.keep(Redacted.make("fresh"))
        assert.isTrue(Option.isNone(yield* store.get("token")))
        // Signed out for good (the credentials hold "good", never replaced): no token is written after it.
        yield* signOut.keep(Redacted.make("later"))
        assert.isTrue(Option.isNone(yield* store.get("token")))
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )

  it.scoped(
    "a sign-out of a token the credentials no longer hold forgets it, and the layer goes on storing its tokens",
    () =>
      Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        const signOut = yield* StoredSignOut.make({ store, tokenEntry: "token" })
        yield* signOut.hold(Redacted.make("old"))
        // Credentials that hold "current" (not a refresh of "old"), before and after the sign-out of "old".
        const service = signOut.signingOut({
          token: Effect.succeed(Redacted.make("current")),
          signedOut: () => Effect.void
        })
        yield* service.signedOut!(Redacted.make("old"))
        yield* signOut.keep(Redacted.make("old"))
        assert.strictEqual(Option.getOrUndefined(yield* store.get("token")), undefined)
        yield* signOut.keep(Redacted.make("later"))
        assert.strictEqual(Option.getOrUndefined(yield* store.get("token")), "later")
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )

  it.scoped(
    "a refresh that settles between the sign-out's two reads of the token: the token it obtained, dropped, is never written after the sign-out",
    () =>
      Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        yield* store.set("token", "good")
        const signOut = yield* StoredSignOut.make({ store, tokenEntry: "token" })
        yield* signOut.hold(Redacted.make("good"))
        const obtaining = yield* Deferred.make<void>()
        const obtained = yield* Deferred.make<void>()
        const settled = yield* Deferred.make<void>()
        const writing = yield* Deferred.make<void>()
        // The refresh of "good", as Credentials.layerStored's: the token it obtained held, then kept (written).
        const service = yield* Refresh.make({
          initial: Redacted.make("good"),
          obtain: Deferred.succeed(obtaining, undefined).pipe(
            Effect.zipRight(Deferred.await(obtained)),
            Effect.as(Redacted.make("fresh"))
          ),
          // Settled (the credentials hold "fresh"), the refresh's fiber comes to its write only once the sign-out has
          // ended: nothing orders the two fibers, and a scheduler may set this one aside there.
          onRenewed: (token) =>
            Deferred.succeed(settled, undefined).pipe(
              Effect.zipRight(Deferred.await(writing)),
              Effect.zipRight(signOut.hold(token)),
              Effect.zipRight(signOut.keep(token))
            )
        })
        // The sign-out's first read of the token ("good") is followed at once by the refresh settling ("fresh"): the
        // sign-out, told next, drops "fresh" and reads "good" again. It never saw "fresh". The sign-out reads `current`
        // (never waiting), else `token`: both are held so, and the test checks below that the first read was held (it
        // once held `token` alone, which the sign-out stopped reading, and passed without the fix, vacuously).
        let first = true
        const heldAtFirst = (read: Effect.Effect<Redacted.Redacted<string>>) =>
          Effect.flatMap(read, (token) => {
            if (!first) return Effect.succeed(token)
            first = false
            return Deferred.succeed(obtained, undefined).pipe(
              Effect.zipRight(Deferred.await(settled)),
              Effect.as(token)
            )
          })
        const credentials = signOut.signingOut({
          ...service,
          current: heldAtFirst(service.current!),
          token: heldAtFirst(service.token)
        })
        const refreshing = yield* Effect.fork(credentials.refresh!(Redacted.make("good")))
        yield* Deferred.await(obtaining)
        yield* credentials.signedOut!(Redacted.make("good"))
        assert.isFalse(first, "the refresh settled between the sign-out's two reads of the token")
        // Signed out: the credentials went back to "good", never replaced; the store holds none of the layer's tokens.
        assert.strictEqual(Redacted.value(yield* service.token), "good")
        assert.isTrue(Option.isNone(yield* store.get("token")))
        yield* Deferred.succeed(writing, undefined)
        yield* Fiber.await(refreshing)
        // "fresh" would sign the next run in again, without the user, after they signed out.
        assert.isTrue(
          Option.isNone(yield* store.get("token")),
          "the dropped token was written after the sign-out"
        )
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )
  it.scoped("a layer told of sign-outs over and over remembers a bounded number of forgotten tokens", () =>
    Effect.gen(function* () {
      const store = yield* KeyValueStore.KeyValueStore
      const signOut = yield* StoredSignOut.make({ store, tokenEntry: "token" })
      // Each sign-out drops the token a refresh obtained while it was on its way ("fresh-n"), as above.
      for (let n = 0; n < 100; n++) {
        const reads = [Redacted.make(`fresh-${n}`), Redacted.make("good")]
        const service = signOut.signingOut({
          token: Effect.sync(() => reads.shift()!),
          signedOut: () => Effect.void
        })
        yield* service.signedOut!(Redacted.make("good"))
      }
      const forgotten = (yield* signOut.forgotten).map((token) => Redacted.value(token))
      assert.strictEqual(forgotten.length, 32)
      assert.strictEqual(forgotten.filter((token) => token === "good").length, 1)
      // The last sign-out's tokens are still never written.
      yield* signOut.keep(Redacted.make("fresh-99"))
      yield* signOut.keep(Redacted.make("good"))
      assert.isTrue(Option.isNone(yield* store.get("token")))
    }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )
})
