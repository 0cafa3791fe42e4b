/**
 * The token lifecycle and persistence: validity (valid / invalid / unknown),
 * ping, sign-out, a token kept in a KeyValueStore, and a client identifier
 * generated once and kept.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as HttpClient from "effect/http/HttpClient"
import * as KeyValueStore from "effect/persistence/KeyValueStore"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import { TestClock } from "effect/testing"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import { expectRequests, onlyRequest } from "./support/assertions.js"
import { env, IdentityLive, PASSWORD, TOKEN } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"

const account = { id: 7, uuid: "u-7", username: "tester", title: "Tester" }
const refused = () => MockHttp.plexErrors(401, [{ code: 1001, message: "User could not be authenticated" }])

describe("Credentials.validate", () => {
  it.effect("200 is Valid, with the account", () =>
    Effect.gen(function* () {
      const validity = yield* Credentials.validate
      assert.strictEqual(validity._tag, "Valid")
      assert.strictEqual(validity._tag === "Valid" && validity.account.username, "tester")
    }).pipe(Effect.provide(env(MockHttp.always(() => MockHttp.json(200, account)))))
  )

  for (const [name, reply] of [
    ["401", refused],
    ["422 Invalid token", () => MockHttp.plexErrors(422, [{ code: 1001, message: "Invalid token" }])],
    ["498 (an expired Plex JWT)", () => MockHttp.plexErrors(498, [{ code: 498, message: "Token expired" }])]
  ] as const) {
    it.effect(`${name} is Invalid`, () =>
      Effect.gen(function* () {
        const validity = yield* Credentials.validate
        assert.strictEqual(validity._tag, "Invalid")
      }).pipe(Effect.provide(env(MockHttp.always(reply))))
    )
  }

  for (const [name, reply] of [
    ["a 503", () => MockHttp.text(503, "down", "text/plain")],
    ["a refused connection", () => MockHttp.transportFailure()],
    [
      "a 400",
      () => MockHttp.plexErrors(400, [{ code: 1000, message: "X-Plex-Client-Identifier is missing" }])
    ]
  ] as const) {
    it.effect(`${name} is Unknown: it says nothing about the token`, () =>
      Effect.gen(function* () {
        const validity = yield* Credentials.validate
        assert.strictEqual(validity._tag, "Unknown")
      }).pipe(Effect.provide(env(MockHttp.always(reply))))
    )
  }

  // plex.tv answers GET /api/v2/user with 200 for every token it accepts (a managed Home user's too) and 401 for
  // one it does not: a 403 refuses the account something (or is a proxy's), not the token there. Called Invalid,
  // a valid token would be thrown away and its user asked to sign in again.
  for (const [name, reply] of [
    ["a 403 from plex.tv", () => MockHttp.plexErrors(403, [{ code: 1000, message: "Forbidden" }])],
    ["a 403 page (a proxy)", () => MockHttp.text(403, "<html><body>Forbidden</body></html>", "text/html")]
  ] as const) {
    it.effect(`${name} is Unknown, its error the Unauthorized of status 403: the token is kept`, () =>
      Effect.gen(function* () {
        const validity = yield* Credentials.validate
        assert.strictEqual(validity._tag, "Unknown")
        const error = validity._tag === "Unknown" ? validity.error : undefined
        assert.strictEqual(error?._tag, "Unauthorized")
        assert.strictEqual(error?._tag === "Unauthorized" && error.status, 403)
      }).pipe(Effect.provide(env(MockHttp.always(reply))))
    )
  }

  it.effect("never re-authenticates: a refused token is reported Invalid, not replaced", () =>
    Effect.gen(function* () {
      const obtained = yield* Ref.make(0)
      const credentials = yield* Credentials.makeRefreshing({
        initial: Redacted.make(TOKEN),
        obtain: Effect.as(
          Ref.update(obtained, (n) => n + 1),
          Redacted.make("fresh")
        )
      })
      const validity = yield* Credentials.validate.pipe(
        Effect.provideService(Credentials.Credentials, credentials)
      )
      assert.strictEqual(validity._tag, "Invalid")
      assert.strictEqual(yield* Ref.get(obtained), 0)
      yield* expectRequests(1)
    }).pipe(Effect.provide(env(MockHttp.always(refused))))
  )
})

describe("ping and sign-out", () => {
  it.effect("ping GETs /api/v2/ping with the token and returns pong", () =>
    Effect.gen(function* () {
      assert.isTrue(yield* PlexAuth.ping())
      const request = yield* onlyRequest
      assert.strictEqual(request.method, "GET")
      assert.strictEqual(request.url.toString(), "https://plex.tv/api/v2/ping")
      assert.strictEqual(request.headers["x-plex-token"], TOKEN)
    }).pipe(Effect.provide(env(MockHttp.always(() => MockHttp.json(200, { pong: true })))))
  )

  it.effect("signOut DELETEs /api/v2/users/signout and accepts a 204 without a body", () =>
    Effect.gen(function* () {
      yield* PlexAuth.signOut()
      const request = yield* onlyRequest
      assert.strictEqual(request.method, "DELETE")
      assert.strictEqual(request.url.toString(), "https://plex.tv/api/v2/users/signout")
      assert.strictEqual(request.headers["x-plex-token"], TOKEN)
    }).pipe(Effect.provide(env(MockHttp.always(() => new Response(null, { status: 204 })))))
  )

  it.effect(
    "signOut whose signedOut (the caller's own CredentialsService) does not end: the caller's timeout ends the wait, signedOut still runs to its end",
    () =>
      Effect.gen(function* () {
        const told = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const finished = yield* Ref.make(false)
        // A signedOut that waits (a slow store of the caller's, or one that hangs) until released.
        const credentials: Credentials.CredentialsService = {
          token: Effect.succeed(Redacted.make(TOKEN)),
          signedOut: () =>
            Deferred.succeed(told, undefined).pipe(
              Effect.andThen(Deferred.await(release)),
              Effect.andThen(Ref.set(finished, true))
            )
        }
        const signingOut = yield* Effect.forkChild(
          PlexAuth.signOut().pipe(
            Effect.provideService(Credentials.Credentials, credentials),
            Effect.timeoutOption("5 seconds")
          )
        )
        yield* Deferred.await(told)
        yield* TestClock.adjust("5 seconds")
        // Held by the signedOut, the caller's timeout could not end the wait: the call never ended.
        for (let turn = 0; turn < 20 && signingOut.pollUnsafe() === undefined; turn++) yield* Effect.yieldNow
        assert.isTrue(signingOut.pollUnsafe() !== undefined, "the caller's timeout ended the wait")
        assert.isTrue(Option.isNone(yield* Fiber.join(signingOut)), "timed out")
        // plex.tv revoked the token (one request); the signedOut, released, runs to its end.
        yield* expectRequests(1)
        assert.isFalse(yield* Ref.get(finished))
        yield* Deferred.succeed(release, undefined)
        for (let turn = 0; turn < 20 && !(yield* Ref.get(finished)); turn++) yield* Effect.yieldNow
        assert.isTrue(yield* Ref.get(finished), "signedOut ran to its end")
      }).pipe(Effect.provide(env(MockHttp.always(() => new Response(null, { status: 204 })))))
  )

  it.effect(
    "signOut whose signedOut never ends: the caller's timeout ends the call, signedOut's own fiber runs on alone, none left waiting on it",
    () =>
      Effect.gen(function* () {
        // The fibers the call starts, counted by a FiberRuntimeMetrics service given to it alone.
        let running = 0
        const counting: Metric.FiberRuntimeMetricsService = {
          recordFiberStart: () => {
            running++
          },
          recordFiberEnd: () => {
            running--
          }
        }
        const told = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        // A signedOut that hangs (until released), its wait not made interruptible: it runs to its end
        // (docs/tokens.md), however long that takes; the caller's going away interrupts it without waiting for it.
        const credentials: Credentials.CredentialsService = {
          token: Effect.succeed(Redacted.make(TOKEN)),
          signedOut: () => Effect.andThen(Deferred.succeed(told, undefined), Deferred.await(release))
        }
        const signingOut = yield* Effect.forkChild(
          PlexAuth.signOut().pipe(
            Effect.provideService(Credentials.Credentials, credentials),
            Effect.timeoutOption("5 seconds"),
            Effect.provideService(Metric.FiberRuntimeMetrics, counting)
          )
        )
        yield* Deferred.await(told)
        yield* TestClock.adjust("5 seconds")
        assert.isTrue(Option.isNone(yield* Fiber.join(signingOut)), "timed out")
        for (let turn = 0; turn < 20; turn++) yield* Effect.yieldNow
        // Before, the caller's going away was a Fiber.interrupt in a fiber of its own, which waited with signedOut.
        assert.strictEqual(running, 1, "signedOut's own fiber, and no other")
        yield* Deferred.succeed(release, undefined)
        for (let turn = 0; turn < 20 && running > 0; turn++) yield* Effect.yieldNow
        assert.strictEqual(running, 0, "signedOut ran to its end")
      }).pipe(Effect.provide(env(MockHttp.always(() => new Response(null, { status: 204 })))))
  )

  it.effect(
    "signOut whose caller goes away as a step of signedOut that it made interruptible ends: its next step does not start",
    () =>
      Effect.gen(function* () {
        const told = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        let next = 0
        // A signedOut whose work is interruptible (a store call of the caller's, then another): the caller's going
        // away stops it (docs/tokens.md). The first call answers (released) as the caller goes away.
        const credentials: Credentials.CredentialsService = {
          token: Effect.succeed(Redacted.make(TOKEN)),
          signedOut: () =>
            Effect.interruptible(
              Deferred.succeed(told, undefined).pipe(
                Effect.andThen(Deferred.await(release)),
                Effect.andThen(
                  Effect.sync(() => {
                    next++
                  })
                )
              )
            )
        }
        const signingOut = yield* Effect.forkChild(
          PlexAuth.signOut().pipe(Effect.provideService(Credentials.Credentials, credentials))
        )
        yield* Deferred.await(told)
        // The caller goes away, and the step's answer comes in just after.
        yield* Effect.forkChild(Fiber.interrupt(signingOut), { startImmediately: true })
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.await(signingOut)
        // Before, the caller gone, its interruption of signedOut's fiber was signalled a turn later (a fiber forked to
        // do it, not started at once): the next step started in between.
        for (let turn = 0; turn < 20; turn++) yield* Effect.yieldNow
        assert.strictEqual(next, 0)
      }).pipe(Effect.provide(env(MockHttp.always(() => new Response(null, { status: 204 })))))
  )

  it.effect(
    "signOut of credentials with `settled` but no `current`: a refresh that never settles holds it 5 seconds, then `token` is revoked",
    () =>
      Effect.gen(function* () {
        const told = yield* Ref.make<ReadonlyArray<string>>([])
        // A caller's own credentials whose refresh in flight never settles (a PIN login no one approves): `settled`
        // waits for it, `token` serves the token held, and there is no `current`.
        const credentials: Credentials.CredentialsService = {
          token: Effect.succeed(Redacted.make(TOKEN)),
          settled: Effect.never,
          signedOut: (token) => Ref.update(told, (all) => [...all, Redacted.value(token)])
        }
        const signingOut = yield* Effect.forkChild(
          PlexAuth.signOut().pipe(Effect.provideService(Credentials.Credentials, credentials))
        )
        // It waits for the refresh first, as with `current` (nothing is sent before 5 seconds)...
        yield* TestClock.adjust("4999 millis")
        for (let turn = 0; turn < 20; turn++) yield* Effect.yieldNow
        assert.isTrue(signingOut.pollUnsafe() === undefined, "still waiting for the refresh")
        yield* expectRequests(0)
        // ...and no longer: it revokes `token`. Before, it waited for `settled` for good.
        yield* TestClock.adjust("1 millis")
        for (let turn = 0; turn < 20 && signingOut.pollUnsafe() === undefined; turn++) yield* Effect.yieldNow
        assert.isTrue(signingOut.pollUnsafe() !== undefined, "the wait ended at 5 seconds")
        yield* Fiber.join(signingOut)
        assert.strictEqual((yield* onlyRequest).headers["x-plex-token"], TOKEN)
        assert.deepStrictEqual(yield* Ref.get(told), [TOKEN])
      }).pipe(Effect.provide(env(MockHttp.always(() => new Response(null, { status: 204 })))))
  )

  it.effect(
    "signOut whose signedOut dies: the call dies with that defect, not a success (plex.tv revoked the token)",
    () =>
      Effect.gen(function* () {
        const credentials: Credentials.CredentialsService = {
          token: Effect.succeed(Redacted.make(TOKEN)),
          signedOut: () => Effect.die("the caller's store broke")
        }
        const exit = yield* Effect.exit(
          PlexAuth.signOut().pipe(Effect.provideService(Credentials.Credentials, credentials))
        )
        // Told in a fiber of its own and waited for, as `Effect.onExit` would: its defect is the caller's.
        assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause), "died")
        yield* expectRequests(1)
      }).pipe(Effect.provide(env(MockHttp.always(() => new Response(null, { status: 204 })))))
  )

  it.effect("signOut of a refused token is Unauthorized and never signs in again to sign out", () =>
    Effect.gen(function* () {
      const credentials = yield* Credentials.makeRefreshing({
        initial: Redacted.make(TOKEN),
        obtain: Effect.die("must not re-authenticate")
      })
      const error = yield* Effect.flip(
        PlexAuth.signOut().pipe(Effect.provideService(Credentials.Credentials, credentials))
      )
      assert.strictEqual(error._tag, "Unauthorized")
      yield* expectRequests(1)
    }).pipe(Effect.provide(env(MockHttp.always(refused))))
  )

  it.effect(
    "credentials used after their scope closed: a refusal is the server's Unauthorized, nothing tried",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const signIns = yield* Ref.make(0)
        const credentials = yield* Credentials.makeRefreshing({
          initial: Redacted.make(TOKEN),
          obtain: Effect.as(
            Ref.update(signIns, (n) => n + 1),
            Redacted.make("fresh")
          )
        }).pipe(Scope.provide(scope))
        yield* Scope.close(scope, Exit.void)
        const error = yield* Effect.flip(
          PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, credentials))
        )
        assert.strictEqual(error._tag, "Unauthorized")
        assert.isUndefined(error._tag === "Unauthorized" ? error.reauthentication : "other")
        assert.strictEqual(yield* Ref.get(signIns), 0)
        yield* expectRequests(1)
      }).pipe(Effect.provide(env(MockHttp.always(refused))))
  )
})

describe("after a sign-out", () => {
  // Sign-out answers 204; the signed-out token is refused afterwards; a sign-in would hand out a new one.
  const afterSignOut =
    (signIns: Ref.Ref<number>): MockHttp.Handler =>
    (request) => {
      if (request.url.pathname === "/api/v2/users/signout") return new Response(null, { status: 204 })
      if (request.url.pathname === "/api/v2/users/signin") {
        Effect.runSync(Ref.update(signIns, (n) => n + 1))
        return MockHttp.json(201, { ...account, authToken: "signed-in-again" })
      }
      return request.headers["x-plex-token"] === TOKEN ? refused() : MockHttp.json(200, account)
    }

  /** Refreshing credentials that sign in with a password, over the mock, and a way to run operations with them. */
  const refreshing = Effect.gen(function* () {
    const signIns = yield* Ref.make(0)
    const layer = Layer.mergeAll(MockHttp.layer(afterSignOut(signIns)), IdentityLive)
    const obtain = Effect.map(
      PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD }),
      (signedIn) => signedIn.authToken
    ).pipe(Effect.provide(layer))
    const credentials = yield* Credentials.makeRefreshing({ initial: Redacted.make(TOKEN), obtain })
    const run = <A, E>(
      effect: Effect.Effect<
        A,
        E,
        Credentials.Credentials | ClientIdentity.ClientIdentity | HttpClient.HttpClient
      >
    ) => effect.pipe(Effect.provideService(Credentials.Credentials, credentials), Effect.provide(layer))
    return { signIns, credentials, run }
  })

  it.effect("refreshing credentials do not sign in again when the signed-out token is refused", () =>
    Effect.gen(function* () {
      const { credentials, run, signIns } = yield* refreshing
      yield* run(PlexAuth.signOut())
      const error = yield* Effect.flip(run(PlexAuth.getTokenDetails()))
      assert.strictEqual(error._tag, "Unauthorized")
      assert.strictEqual(yield* Ref.get(signIns), 0, "no sign-in after the sign-out")
      // The credentials themselves say why, to the engine's Debug log.
      const refresh = credentials.refresh
      assert.isDefined(refresh)
      const failure = yield* Effect.flip(refresh!(Redacted.make(TOKEN)))
      assert.deepStrictEqual(failure, { _tag: "RefreshFailed", reason: "SignedOut" })
    })
  )

  it.effect("without a sign-out, the same refusal does sign in again (the control)", () =>
    Effect.gen(function* () {
      const { run, signIns } = yield* refreshing
      const account = yield* run(PlexAuth.getTokenDetails())
      assert.strictEqual(account.username, "tester")
      assert.strictEqual(yield* Ref.get(signIns), 1)
    })
  )
})

describe("Credentials.layerStored", () => {
  const signInReplies: MockHttp.Handler = (request) =>
    request.url.pathname === "/api/v2/users/signin"
      ? MockHttp.json(201, { ...account, authToken: `signed-in-${request.index}` })
      : request.headers["x-plex-token"] === "stale"
        ? refused()
        : MockHttp.json(200, account)

  const layers = (handler: MockHttp.Handler) => {
    const http = MockHttp.layer(handler)
    const credentials = Credentials.layerStored({
      obtain: Effect.map(
        PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD }),
        (signedIn) => signedIn.authToken
      )
    })
    return credentials.pipe(
      Layer.provideMerge(Layer.mergeAll(http, IdentityLive, KeyValueStore.layerMemory)),
      Layer.orDie
    )
  }

  /** The requests sent, one line each: the path and the token (`-` for none). */
  const sent = Effect.map(MockHttp.requests, (requests) =>
    requests.map((r) => `${r.url.pathname} ${r.headers["x-plex-token"] ?? "-"}`)
  )

  /** The layers over a store that starts with the token "stale", refusing every token in `revoked` (sign-ins answered). */
  const storedRefusing = (revoked: ReadonlySet<string>) =>
    Layer.unwrap(
      Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        yield* store.set(Credentials.defaultStoreKey, "stale")
        return layers((request) =>
          request.url.pathname !== "/api/v2/users/signin" &&
          revoked.has(String(request.headers["x-plex-token"]))
            ? refused()
            : signInReplies(request)
        )
      })
    ).pipe(Layer.provideMerge(KeyValueStore.layerMemory))

  it.effect("a sign-out forgets the stored token", () =>
    Effect.gen(function* () {
      const store = yield* KeyValueStore.KeyValueStore
      yield* PlexAuth.getTokenDetails()
      assert.isDefined(yield* store.get(Credentials.defaultStoreKey))
      yield* PlexAuth.signOut()
      assert.isUndefined(yield* store.get(Credentials.defaultStoreKey))
    }).pipe(
      Effect.provide(
        layers((request) =>
          request.url.pathname === "/api/v2/users/signout"
            ? new Response(null, { status: 204 })
            : signInReplies(request)
        )
      )
    )
  )

  it.effect("with nothing stored, obtains a token and stores it", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      const store = yield* KeyValueStore.KeyValueStore
      const stored = yield* store.get(Credentials.defaultStoreKey)
      assert.strictEqual(stored, "signed-in-0")
      const requests = yield* expectRequests(2)
      assert.strictEqual(requests[1]!.headers["x-plex-token"], "signed-in-0")
    }).pipe(Effect.provide(layers(signInReplies)))
  )

  it.effect("a stored token is used without signing in; a refused one is replaced and stored", () =>
    Effect.gen(function* () {
      const store = yield* KeyValueStore.KeyValueStore
      yield* PlexAuth.getTokenDetails()
      const paths = yield* sent
      assert.deepStrictEqual(paths, [
        "/api/v2/user stale",
        "/api/v2/users/signin -",
        "/api/v2/user signed-in-1"
      ])
      const stored = yield* store.get(Credentials.defaultStoreKey)
      assert.strictEqual(stored, "signed-in-1")
    }).pipe(
      Effect.provide(
        Layer.unwrap(
          Effect.gen(function* () {
            const store = yield* KeyValueStore.KeyValueStore
            yield* store.set(Credentials.defaultStoreKey, "stale")
            return layers(signInReplies)
          })
        ).pipe(Layer.provide(KeyValueStore.layerMemory))
      )
    )
  )
  it.effect(
    "a refused token another process has replaced in the store since is replaced by that one: no sign-in",
    () =>
      Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        // Another process (`plex-auth login`, another run) stores a new token after this layer read "stale".
        yield* store.set(Credentials.defaultStoreKey, "fresh")
        yield* PlexAuth.getTokenDetails()
        const paths = yield* sent
        assert.deepStrictEqual(paths, ["/api/v2/user stale", "/api/v2/user fresh"])
      }).pipe(
        Effect.provide(
          Layer.unwrap(
            Effect.gen(function* () {
              const store = yield* KeyValueStore.KeyValueStore
              yield* store.set(Credentials.defaultStoreKey, "stale")
              return layers(signInReplies)
            })
          ).pipe(Layer.provideMerge(KeyValueStore.layerMemory))
        )
      )
  )
  it.effect(
    "after its sign-out, a token another process stores since is not taken: Unauthorized, SignedOut",
    () => {
      const revoked = new Set<string>()
      return Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        yield* PlexAuth.getTokenDetails()
        yield* PlexAuth.signOut()
        revoked.add("good")
        // Another process (`plex-auth login`) stores a token of its own after this layer signed out.
        yield* store.set(Credentials.defaultStoreKey, "other")
        // Long after: a sign-out holds for good, not for a cooldown.
        yield* TestClock.adjust("1 hour")
        const error = yield* Effect.flip(PlexAuth.getTokenDetails())
        assert.strictEqual(error._tag === "Unauthorized" && error.reauthentication, "SignedOut")
        const paths = yield* sent
        assert.deepStrictEqual(paths, [
          "/api/v2/user good",
          "/api/v2/users/signout good",
          "/api/v2/user good"
        ])
      }).pipe(
        Effect.provide(
          Layer.unwrap(
            Effect.gen(function* () {
              const store = yield* KeyValueStore.KeyValueStore
              yield* store.set(Credentials.defaultStoreKey, "good")
              return layers((request) =>
                request.url.pathname === "/api/v2/users/signout"
                  ? new Response(null, { status: 204 })
                  : revoked.has(String(request.headers["x-plex-token"]))
                    ? refused()
                    : signInReplies(request)
              )
            })
          ).pipe(Layer.provideMerge(KeyValueStore.layerMemory))
        )
      )
    }
  )
  it.effect("a token taken from the store and refused in turn is not taken again: obtain runs", () => {
    const revoked = new Set(["stale"])
    return Effect.gen(function* () {
      const store = yield* KeyValueStore.KeyValueStore
      yield* store.set(Credentials.defaultStoreKey, "fresh")
      yield* PlexAuth.getTokenDetails()
      // "fresh" is refused in turn, after the cooldown, and the store still holds it.
      revoked.add("fresh")
      yield* TestClock.adjust("2 minutes")
      yield* PlexAuth.getTokenDetails()
      const paths = yield* sent
      assert.deepStrictEqual(paths, [
        "/api/v2/user stale",
        "/api/v2/user fresh",
        "/api/v2/user fresh",
        "/api/v2/users/signin -",
        "/api/v2/user signed-in-3"
      ])
      assert.strictEqual(yield* store.get(Credentials.defaultStoreKey), "signed-in-3")
    }).pipe(Effect.provide(storedRefusing(revoked)))
  })
  it.effect(
    "a revoked token another process left in the store, taken and refused, is dropped: the next refresh signs in at once",
    () => {
      // "left": the other process's token, revoked since; its write of the next one failed, so the store keeps it.
      const revoked = new Set(["stale", "left"])
      return Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        yield* store.set(Credentials.defaultStoreKey, "left")
        // "stale" is refused, "left" taken from the store and refused too: the call's retry is refused, with no
        // reason of a refresh (the refresh did give a token).
        const error = yield* Effect.flip(PlexAuth.getTokenDetails())
        assert.strictEqual(error._tag, "Unauthorized")
        assert.isUndefined(error._tag === "Unauthorized" ? error.reauthentication : "not Unauthorized")
        // At once (no cooldown): "left" was not a fresh token, it is not taken again, the refresh signs in.
        yield* PlexAuth.getTokenDetails()
        const paths = yield* sent
        assert.deepStrictEqual(paths, [
          "/api/v2/user stale",
          "/api/v2/user left",
          "/api/v2/user left",
          "/api/v2/users/signin -",
          "/api/v2/user signed-in-3"
        ])
        assert.strictEqual(yield* store.get(Credentials.defaultStoreKey), "signed-in-3")
      }).pipe(Effect.provide(storedRefusing(revoked)))
    }
  )
  it.effect(
    "a token a refresh signed in for after a taken one was refused, refused in turn, is a fresh token refused: no sign-in for the cooldown",
    () =>
      Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        yield* store.set(Credentials.defaultStoreKey, "left")
        // "stale" refused, "left" taken from the store and refused: no reason (the refresh gave a token).
        const first = yield* Effect.flip(PlexAuth.getTokenDetails())
        assert.isUndefined(first._tag === "Unauthorized" ? first.reauthentication : "not Unauthorized")
        // "left" refused: it was taken, not obtained, so the refresh signs in at once; its token is refused too.
        const second = yield* Effect.flip(PlexAuth.getTokenDetails())
        assert.isUndefined(second._tag === "Unauthorized" ? second.reauthentication : "not Unauthorized")
        // That token was obtained (signed in for), not taken: its refusal is a fresh token's, and nothing is
        // obtained for the cooldown (only `reused` tokens skip it).
        const third = yield* Effect.flip(PlexAuth.getTokenDetails())
        assert.strictEqual(
          third._tag === "Unauthorized" ? third.reauthentication : "not Unauthorized",
          "FreshTokenRefused"
        )
        const fourth = yield* Effect.flip(PlexAuth.getTokenDetails())
        assert.strictEqual(
          fourth._tag === "Unauthorized" ? fourth.reauthentication : "not Unauthorized",
          "FreshTokenRefused"
        )
        const paths = yield* sent
        assert.deepStrictEqual(paths, [
          "/api/v2/user stale",
          "/api/v2/user left",
          "/api/v2/user left",
          "/api/v2/users/signin -",
          "/api/v2/user signed-in-3",
          "/api/v2/user signed-in-3",
          "/api/v2/user signed-in-3"
        ])
        assert.strictEqual(yield* store.get(Credentials.defaultStoreKey), "signed-in-3")
      }).pipe(
        Effect.provide(
          Layer.unwrap(
            Effect.gen(function* () {
              const store = yield* KeyValueStore.KeyValueStore
              yield* store.set(Credentials.defaultStoreKey, "stale")
              // A server that refuses every token (fresh ones too): only the sign-in answers.
              return layers((request) =>
                request.url.pathname !== "/api/v2/users/signin" ? refused() : signInReplies(request)
              )
            })
          ).pipe(Layer.provideMerge(KeyValueStore.layerMemory))
        )
      )
  )
  it.effect(
    "a token taken from the store is not written back over the one another process stored after it was read",
    () =>
      Effect.gen(function* () {
        yield* PlexAuth.getTokenDetails()
        const paths = yield* sent
        assert.deepStrictEqual(paths, ["/api/v2/user stale", "/api/v2/user fresh"])
        const store = yield* KeyValueStore.KeyValueStore
        assert.strictEqual(yield* store.get(Credentials.defaultStoreKey), "newer")
      }).pipe(
        Effect.provide(
          Layer.provideMerge(
            Layer.mergeAll(
              MockHttp.layer(signInReplies),
              IdentityLive,
              Credentials.layerStored({ obtain: Effect.fail("no sign-in here" as const) })
            ),
            // The store shared with another process: after this layer's first read ("stale") that process
            // stores "fresh", and right after the next read (the refused token's replacement) "newer".
            Layer.effect(
              KeyValueStore.KeyValueStore,
              Effect.map(Ref.make(["stale", "fresh", "newer"]), (values) =>
                KeyValueStore.makeStringOnly({
                  get: (key) =>
                    Ref.modify(values, (v) => [
                      key === Credentials.defaultStoreKey ? v[0] : undefined,
                      v.length > 1 ? v.slice(1) : v
                    ]),
                  set: (_key, value) => Ref.set(values, [value]),
                  remove: () => Ref.set(values, []),
                  clear: Ref.set(values, []),
                  size: Effect.map(Ref.get(values), (v) => Math.min(v.length, 1)),
                  keys: Effect.map(Ref.get(values), (v) =>
                    v.length === 0 ? [] : [Credentials.defaultStoreKey]
                  )
                })
              )
            )
          ).pipe(Layer.orDie)
        )
      )
  )
  it.effect(
    "the tokens it held are remembered up to a bound: with every store write failing, the first is taken again once 32 later ones were held",
    () => {
      // Every token but the last one signed in is refused: a refusal is needed for each refresh.
      let valid: string | undefined
      return Effect.gen(function* () {
        for (let round = 0; round < 32; round++) {
          valid = undefined
          // Past the cooldown: the token signed in the round before is not a fresh token refused.
          yield* TestClock.adjust("2 minutes")
          const before = (yield* sent).length
          yield* PlexAuth.getTokenDetails()
          // "first" is still in the store (no write went through), never taken: it is held.
          assert.deepStrictEqual((yield* sent).slice(before).slice(1, 2), ["/api/v2/users/signin -"])
        }
        valid = undefined
        yield* TestClock.adjust("2 minutes")
        const before = (yield* sent).length
        const error = yield* Effect.flip(PlexAuth.getTokenDetails())
        assert.strictEqual(error._tag, "Unauthorized")
        // 33 tokens held since "first" (itself and 32 signed in): it is no longer remembered, and taken again.
        assert.deepStrictEqual((yield* sent).slice(before).slice(1), ["/api/v2/user first"])
      }).pipe(
        Effect.provide(
          Credentials.layerStored({
            obtain: Effect.map(
              PlexAuth.postUsersSignInData({ login: "tester", password: PASSWORD }),
              (signedIn) => signedIn.authToken
            )
          }).pipe(
            Layer.provideMerge(
              Layer.mergeAll(
                MockHttp.layer((request) =>
                  request.url.pathname === "/api/v2/users/signin"
                    ? ((valid = `signed-in-${request.index}`),
                      MockHttp.json(201, { ...account, authToken: valid }))
                    : request.headers["x-plex-token"] === valid
                      ? MockHttp.json(200, account)
                      : refused()
                ),
                IdentityLive,
                // A store that holds "first" and can keep nothing else (a read-only file).
                Layer.succeed(
                  KeyValueStore.KeyValueStore,
                  KeyValueStore.makeStringOnly({
                    get: (key) => Effect.succeed(key === Credentials.defaultStoreKey ? "first" : undefined),
                    set: (key) =>
                      Effect.fail(
                        new KeyValueStore.KeyValueStoreError({
                          message: "permission denied",
                          method: "set",
                          key
                        })
                      ),
                    remove: () => Effect.void,
                    clear: Effect.void,
                    size: Effect.succeed(1),
                    keys: Effect.succeed([Credentials.defaultStoreKey])
                  })
                )
              )
            ),
            Layer.orDie
          )
        )
      )
    }
  )

  /**
   * `Credentials.layerStored` over `inner` (which starts with the token "good"), its `obtain` giving "fresh", its store
   * writing "fresh" through `set` (to hold a write back, or fail it). No request is sent: the credentials are used
   * directly, as `PlexAuth.signOut` uses them.
   */
  const storedOver = (
    set: (key: string, value: string) => Effect.Effect<void, KeyValueStore.KeyValueStoreError>,
    remove?: (key: string) => Effect.Effect<void, KeyValueStore.KeyValueStoreError>
  ) =>
    Effect.gen(function* () {
      const inner = yield* KeyValueStore.KeyValueStore
      yield* inner.set(Credentials.defaultStoreKey, "good")
      const store = KeyValueStore.make({
        ...inner,
        set: (key, value) => (value === "fresh" ? set(key, value) : inner.set(key, value)),
        remove: remove ?? inner.remove
      })
      const context = yield* Layer.build(
        Credentials.layerStored({ obtain: Effect.succeed(Redacted.make("fresh")) }).pipe(
          Layer.provide(Layer.succeed(KeyValueStore.KeyValueStore, store))
        )
      )
      return Context.get(context, Credentials.Credentials)
    })

  it.effect(
    "a sign-out during the write of the token a refresh obtained leaves no token: the write lands first, or never",
    () =>
      Effect.gen(function* () {
        const inner = yield* KeyValueStore.KeyValueStore
        const writing = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const credentials = yield* storedOver((key, value) =>
          Deferred.succeed(writing, undefined).pipe(
            Effect.andThen(Deferred.await(release)),
            Effect.andThen(inner.set(key, value))
          )
        )
        const refreshing = yield* Effect.forkChild(credentials.refresh!(Redacted.make("good")))
        // The refresh has "fresh" (the credentials hold it), and its write is on its way when "good" is signed out:
        // the sign-out drops "fresh" and must not leave it in the store for the next run, signed in again.
        yield* Deferred.await(writing)
        const signingOut = yield* Effect.forkChild(credentials.signedOut!(Redacted.make("good")))
        // Whatever the sign-out can do before the write lands, it does (every step answers at once).
        for (let turn = 0; turn < 50; turn++) yield* Effect.yieldNow
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(signingOut)
        yield* Fiber.await(refreshing)
        assert.isUndefined(yield* inner.get(Credentials.defaultStoreKey))
        assert.strictEqual(Redacted.value(yield* credentials.token), "good")
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )

  it.effect("a sign-out forgets a token it held before, left in the store by a write that failed", () =>
    Effect.gen(function* () {
      const inner = yield* KeyValueStore.KeyValueStore
      const credentials = yield* storedOver(() =>
        Effect.fail(new KeyValueStore.KeyValueStoreError({ message: "the disk is full", method: "set" }))
      )
      // "good" refused and replaced by "fresh", whose write failed: the store still holds "good".
      assert.strictEqual(Redacted.value(yield* credentials.refresh!(Redacted.make("good"))), "fresh")
      assert.strictEqual(yield* inner.get(Credentials.defaultStoreKey), "good")
      // Signing out "fresh": "good" is this layer's too, and the next run would send it.
      yield* credentials.signedOut!(Redacted.make("fresh"))
      assert.isUndefined(yield* inner.get(Credentials.defaultStoreKey))
    }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )
  it.effect(
    "a sign-out whose caller is interrupted while the store removes the token still forgets it (the caller only stops waiting)",
    () =>
      Effect.gen(function* () {
        const inner = yield* KeyValueStore.KeyValueStore
        const removing = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const credentials = yield* storedOver(inner.set, (key) =>
          Deferred.succeed(removing, undefined).pipe(
            Effect.andThen(Deferred.await(release)),
            Effect.andThen(inner.remove(key))
          )
        )
        // plex.tv revoked "good" (PlexAuth.signOut then tells the credentials); the caller goes away (a timeout, a
        // closed request) while the store is removing it: kept, the next run would start with a revoked token (and,
        // through Jwt.layerStored, exchange the key left beside it for a new one, signed in again without the user).
        const signingOut = yield* Effect.forkChild(credentials.signedOut!(Redacted.make("good")))
        yield* Deferred.await(removing)
        yield* Fiber.interrupt(signingOut)
        yield* Deferred.succeed(release, undefined)
        for (let turn = 0; turn < 50; turn++) yield* Effect.yieldNow
        assert.isUndefined(yield* inner.get(Credentials.defaultStoreKey))
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )

  it.effect(
    "PlexAuth.signOut whose caller is interrupted once plex.tv accepted the revoke (its answer still being read) still signs the layer out",
    () =>
      Effect.gen(function* () {
        const inner = yield* KeyValueStore.KeyValueStore
        const removing = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const credentials = yield* storedOver(inner.set, (key) =>
          Deferred.succeed(removing, undefined).pipe(
            Effect.andThen(Deferred.await(release)),
            Effect.andThen(inner.remove(key))
          )
        )
        const reading = yield* Deferred.make<void>()
        // plex.tv accepts the revoke (a 200): the engine reads the answer's body, which signals and never ends.
        const accepting: MockHttp.Handler = () =>
          new Response(
            new ReadableStream<Uint8Array>(
              {
                pull: () => {
                  Effect.runSync(Deferred.succeed(reading, undefined))
                  return new Promise<void>(() => {})
                }
              },
              { highWaterMark: 0 }
            ),
            { status: 200 }
          )
        const signingOut = yield* Effect.forkChild(
          PlexAuth.signOut().pipe(
            Effect.provideService(Credentials.Credentials, credentials),
            Effect.provide(env(accepting))
          )
        )
        // The caller goes away (a timeout, a closed request) after plex.tv revoked the token, before the layer was
        // told: the store would keep the revoked token (the next run meets a 401, not "signed out").
        yield* Deferred.await(reading)
        const interrupting = yield* Effect.forkChild(Fiber.interrupt(signingOut))
        yield* Deferred.await(removing)
        // The caller only stops waiting: it is gone (within a few scheduler turns) while the store still removes.
        for (let turn = 0; turn < 20 && interrupting.pollUnsafe() === undefined; turn++)
          yield* Effect.yieldNow
        assert.isDefined(interrupting.pollUnsafe(), "the caller stopped waiting")
        yield* Deferred.succeed(release, undefined)
        for (let turn = 0; turn < 50; turn++) yield* Effect.yieldNow
        assert.isUndefined(yield* inner.get(Credentials.defaultStoreKey))
        // And the layer is signed out: the revoked token's refusal signs in no more.
        const again = yield* Effect.result(credentials.refresh!(Redacted.make("good")))
        assert.propertyVal(Result.isFailure(again) ? again.failure : undefined, "reason", "SignedOut")
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )
  it.effect("closing the layer interrupts the store work of a sign-out told after plex.tv accepted it", () =>
    Effect.gen(function* () {
      const inner = yield* KeyValueStore.KeyValueStore
      const removing = yield* Deferred.make<void>()
      const layerScope = yield* Scope.make()
      // A store that hangs while it removes the token.
      const credentials = yield* storedOver(inner.set, () =>
        Effect.andThen(Deferred.succeed(removing, undefined), Effect.never)
      ).pipe(Scope.provide(layerScope))
      // Told once plex.tv accepted (in a fiber started uninterruptible), the store work still runs interruptible:
      // the app shutting down is not held up by it.
      const signingOut = yield* Effect.forkChild(
        PlexAuth.signOut().pipe(
          Effect.provideService(Credentials.Credentials, credentials),
          Effect.provide(env(MockHttp.always(() => new Response(null, { status: 204 }))))
        )
      )
      yield* Deferred.await(removing)
      const closing = yield* Effect.forkChild(Scope.close(layerScope, Exit.void))
      for (let turn = 0; turn < 20 && closing.pollUnsafe() === undefined; turn++) yield* Effect.yieldNow
      assert.isDefined(closing.pollUnsafe(), "the layer closed")
      // plex.tv revoked the token: the call succeeds, not interrupted by the layer's closing (docs/tokens.md).
      assert.deepStrictEqual(yield* Fiber.await(signingOut), Exit.void)
    }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )
  it.effect(
    "PlexAuth.signOut that plex.tv accepted succeeds though the answer's body is cut off: the token is revoked",
    () =>
      Effect.gen(function* () {
        const inner = yield* KeyValueStore.KeyValueStore
        const credentials = yield* storedOver(inner.set)
        // A 200 whose body breaks off: plex.tv revoked the token; a failure would have the caller (plex-auth logout)
        // keep it, and a second try meet a 401.
        const cutOff: MockHttp.Handler = () =>
          new Response(
            new ReadableStream<Uint8Array>({
              pull: (controller) => controller.error(new Error("connection reset"))
            }),
            { status: 200 }
          )
        yield* PlexAuth.signOut().pipe(
          Effect.provideService(Credentials.Credentials, credentials),
          Effect.provide(env(cutOff))
        )
        assert.isUndefined(yield* inner.get(Credentials.defaultStoreKey))
        const again = yield* Effect.result(credentials.refresh!(Redacted.make("good")))
        assert.propertyVal(Result.isFailure(again) ? again.failure : undefined, "reason", "SignedOut")
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )
  it.effect(
    "PlexAuth.signOut through stored credentials whose layer closed: it succeeds, and the store forgets the token",
    () =>
      Effect.gen(function* () {
        const inner = yield* KeyValueStore.KeyValueStore
        const layerScope = yield* Scope.make()
        const credentials = yield* storedOver(inner.set).pipe(Scope.provide(layerScope))
        yield* Scope.close(layerScope, Exit.void)
        // plex.tv revoked the token: with no scope left to run the layer's sign-out in, the caller runs it (it
        // ended interrupted, the revoked token left in the store for the next run).
        yield* PlexAuth.signOut().pipe(
          Effect.provideService(Credentials.Credentials, credentials),
          Effect.provide(env(MockHttp.always(() => new Response(null, { status: 204 }))))
        )
        assert.isUndefined(yield* inner.get(Credentials.defaultStoreKey))
        const again = yield* Effect.result(credentials.refresh!(Redacted.make("good")))
        assert.propertyVal(Result.isFailure(again) ? again.failure : undefined, "reason", "SignedOut")
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )
  it.effect(
    "PlexAuth.signOut through stored credentials whose layer closed: a caller that goes away stops its store work",
    () =>
      Effect.gen(function* () {
        const inner = yield* KeyValueStore.KeyValueStore
        const removing = yield* Deferred.make<void>()
        const stopped = yield* Deferred.make<void>()
        const layerScope = yield* Scope.make()
        const credentials = yield* storedOver(inner.set, () =>
          Effect.andThen(
            Deferred.succeed(removing, undefined),
            Effect.onInterrupt(Effect.never, () => Deferred.succeed(stopped, undefined))
          )
        ).pipe(Scope.provide(layerScope))
        yield* Scope.close(layerScope, Exit.void)
        const signingOut = yield* Effect.forkChild(
          PlexAuth.signOut().pipe(
            Effect.provideService(Credentials.Credentials, credentials),
            Effect.provide(env(MockHttp.always(() => new Response(null, { status: 204 }))))
          )
        )
        // Run in the sign-out's own fiber (told once plex.tv accepted, waited for interruptibly), the store work
        // still stops when the caller goes away: a store that hangs does not hold it, nor is it left running.
        yield* Deferred.await(removing)
        const interrupting = yield* Effect.forkChild(Fiber.interrupt(signingOut))
        for (let turn = 0; turn < 20 && interrupting.pollUnsafe() === undefined; turn++)
          yield* Effect.yieldNow
        assert.isDefined(interrupting.pollUnsafe(), "the caller went away")
        for (let turn = 0; turn < 20 && !(yield* Deferred.isDone(stopped)); turn++) yield* Effect.yieldNow
        assert.isTrue(yield* Deferred.isDone(stopped), "the store work stopped")
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )
  it.effect(
    "PlexAuth.signOut whose caller gives up before plex.tv answered stops the request: nothing is told",
    () =>
      Effect.gen(function* () {
        const inner = yield* KeyValueStore.KeyValueStore
        const credentials = yield* storedOver(inner.set)
        const sent = yield* Deferred.make<void>()
        const signingOut = yield* Effect.forkChild(
          PlexAuth.signOut().pipe(
            Effect.provideService(Credentials.Credentials, credentials),
            Effect.provide(env(() => Effect.andThen(Deferred.succeed(sent, undefined), MockHttp.hang)))
          )
        )
        yield* Deferred.await(sent)
        yield* Fiber.interrupt(signingOut)
        for (let turn = 0; turn < 50; turn++) yield* Effect.yieldNow
        // Not revoked as far as anyone knows: the token stays, and its refusal still signs in again.
        assert.strictEqual(yield* inner.get(Credentials.defaultStoreKey), "good")
        assert.strictEqual(Redacted.value(yield* credentials.refresh!(Redacted.make("good"))), "fresh")
      }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )
})

describe("ClientIdentity.layerPersisted", () => {
  it.effect("generates the identifier once and reuses it on every later build", () =>
    Effect.gen(function* () {
      const build = ClientIdentity.makePersisted({ product: "Tool" })
      const first = yield* build
      const second = yield* build
      assert.match(first.clientIdentifier, /^[0-9a-f-]{36}$/)
      assert.strictEqual(second.clientIdentifier, first.clientIdentifier)
      const store = yield* KeyValueStore.KeyValueStore
      const stored = yield* store.get(ClientIdentity.defaultStoreKey)
      assert.strictEqual(stored, first.clientIdentifier)
      assert.strictEqual(first.headers["X-Plex-Client-Identifier"], first.clientIdentifier)
    }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )

  it.effect("an identifier already stored is used as is", () =>
    Effect.gen(function* () {
      const store = yield* KeyValueStore.KeyValueStore
      yield* store.set("my-key", "kept-id-123")
      const identity = yield* ClientIdentity.makePersisted({ product: "Tool" }, { key: "my-key" })
      assert.strictEqual(identity.clientIdentifier, "kept-id-123")
    }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )

  it.effect("two first runs at once over one store end with the same identifier, the one stored", () =>
    Effect.gen(function* () {
      // One stores the identifier it generated before the other reads the store: both use it.
      const [first, second] = yield* Effect.all(
        [
          ClientIdentity.makePersisted({ product: "Tool" }),
          ClientIdentity.makePersisted({ product: "Tool" })
        ],
        { concurrency: 2 }
      )
      const store = yield* KeyValueStore.KeyValueStore
      const stored = yield* store.get(ClientIdentity.defaultStoreKey)
      assert.strictEqual(first.clientIdentifier, second.clientIdentifier)
      assert.strictEqual(stored, first.clientIdentifier)
    }).pipe(
      Effect.provide(
        // A store whose every step lets another fiber run first (a file, a remote store): the two runs interleave.
        Layer.effect(
          KeyValueStore.KeyValueStore,
          Effect.map(KeyValueStore.KeyValueStore, (memory) =>
            KeyValueStore.make({
              get: (key) => Effect.andThen(Effect.yieldNow, memory.get(key)),
              getUint8Array: memory.getUint8Array,
              remove: memory.remove,
              clear: memory.clear,
              size: memory.size,
              keys: memory.keys,
              set: (key, value) => Effect.andThen(Effect.yieldNow, memory.set(key, value))
            })
          )
        ).pipe(Layer.provide(KeyValueStore.layerMemory))
      )
    )
  )

  it.effect("a first run whose write another process's overtook uses the identifier the store keeps", () =>
    Effect.gen(function* () {
      const identity = yield* ClientIdentity.makePersisted({ product: "Tool" })
      const store = yield* KeyValueStore.KeyValueStore
      const stored = yield* store.get(ClientIdentity.defaultStoreKey)
      assert.strictEqual(identity.clientIdentifier, "written-by-another-process")
      assert.strictEqual(stored, "written-by-another-process")
    }).pipe(
      Effect.provide(
        // Another process's first run writes its own identifier just after this one's write.
        Layer.effect(
          KeyValueStore.KeyValueStore,
          Effect.map(KeyValueStore.KeyValueStore, (memory) =>
            KeyValueStore.make({
              get: memory.get,
              getUint8Array: memory.getUint8Array,
              remove: memory.remove,
              clear: memory.clear,
              size: memory.size,
              keys: memory.keys,
              set: (key, value) =>
                Effect.andThen(memory.set(key, value), memory.set(key, "written-by-another-process"))
            })
          )
        ).pipe(Layer.provide(KeyValueStore.layerMemory))
      )
    )
  )

  it.effect("a store that cannot keep the identifier fails instead of using a throwaway one", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(ClientIdentity.makePersisted({ product: "Tool" }))
      assert.strictEqual(error._tag, "KeyValueStoreError")
    }).pipe(
      Effect.provide(
        Layer.effect(
          KeyValueStore.KeyValueStore,
          Effect.map(KeyValueStore.KeyValueStore, (memory) =>
            KeyValueStore.make({
              get: memory.get,
              getUint8Array: memory.getUint8Array,
              remove: memory.remove,
              clear: memory.clear,
              size: memory.size,
              keys: memory.keys,
              set: (key) =>
                Effect.fail(
                  new KeyValueStore.KeyValueStoreError({ message: "permission denied", method: "set", key })
                )
            })
          )
        ).pipe(Layer.provide(KeyValueStore.layerMemory))
      )
    )
  )
})
