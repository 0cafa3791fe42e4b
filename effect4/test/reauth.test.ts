/**
 * Re-authentication: on a 401, credentials that can obtain a new token do so
 * once — concurrent callers share that single refresh — and the call is
 * retried once. Credentials that cannot just report Unauthorized.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import { TestClock } from "effect/testing"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Home from "effect4-plex-auth/Home"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import { expectRequests, failsWith } from "./support/assertions.js"
import { env, IdentityLive, PASSWORD, ServerLive, TOKEN } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"

const account = { id: 7, uuid: "u-7", username: "tester", title: "Tester" }
const refused = () => MockHttp.plexErrors(401, [{ code: 1001, message: "User could not be authenticated" }])

/** A 401 whose body breaks off after its status and headers: Plex's code never arrives. */
const cutRefusal = () =>
  MockHttp.cutBody(401, { errors: [{ code: 1001, message: "User could not be authenticated", status: 401 }] })

/** plex.tv where each sign-in mints `token-N` and only the newest token is accepted (`refuse` refuses the others). */
const rotatingPlexTv = (refuse: () => Response = refused): MockHttp.Handler => {
  let issued = 0
  return (request) => {
    if (request.url.pathname === "/api/v2/users/signin") {
      issued++
      return MockHttp.json(201, { ...account, authToken: `token-${issued}` })
    }
    return request.headers["x-plex-token"] === `token-${issued}` && issued > 1
      ? MockHttp.json(200, account)
      : refuse()
  }
}

const signInLayer = (handler: MockHttp.Handler, verificationCode?: string) => {
  const http = MockHttp.layer(handler)
  const credentials = Credentials.layerSignIn({ login: "tester", password: PASSWORD, verificationCode }).pipe(
    Layer.provide(Layer.merge(http, IdentityLive))
  )
  return Layer.mergeAll(http, IdentityLive, credentials).pipe(Layer.orDie)
}

/** A server whose `/security/token` answers `status` (an HTML page) to every token but the second sign-in's. */
const serverRefusing = (status: number): MockHttp.Handler => {
  let issued = 0
  return (request) => {
    if (request.url.pathname === "/api/v2/users/signin") {
      issued++
      return MockHttp.json(201, { ...account, authToken: `token-${issued}` })
    }
    return request.headers["x-plex-token"] === "token-2"
      ? MockHttp.json(200, { MediaContainer: { token: "transient-1" } })
      : MockHttp.html(status, `<html><body>${status}</body></html>`)
  }
}

const paths = (requests: ReadonlyArray<MockHttp.RecordedRequest>) => requests.map((r) => r.url.pathname)

describe("re-authentication", () => {
  // A two-factor code is for one sign-in (an authenticator's code lasts 30 s, a backup code is used up): sent again by
  // each re-authentication, a stale code failed as a wrong one (1028), once per cooldown, toward Plex's lockout
  // (1031). The layer's first sign-in sends it; a re-authentication signs in without it.
  it.effect(
    "a sign-in layer given a two-factor code sends it only once: its re-authentication sends none",
    () =>
      Effect.gen(function* () {
        const result = yield* PlexAuth.getTokenDetails()
        assert.strictEqual(result.username, "tester")
        const signIns = (yield* expectRequests(4)).filter((r) => r.url.pathname === "/api/v2/users/signin")
        assert.strictEqual(signIns.length, 2)
        assert.include(signIns[0]!.body, "verificationCode=123456")
        assert.notInclude(signIns[1]!.body, "verificationCode")
        assert.notInclude(signIns[1]!.body, "123456")
      }).pipe(Effect.provide(signInLayer(rotatingPlexTv(), "123456")))
  )

  it.effect("a refused token makes a sign-in layer sign in again, and the call is retried once", () =>
    Effect.gen(function* () {
      const result = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(result.username, "tester")
      const requests = yield* expectRequests(4)
      assert.deepStrictEqual(paths(requests), [
        "/api/v2/users/signin",
        "/api/v2/user",
        "/api/v2/users/signin",
        "/api/v2/user"
      ])
      assert.strictEqual(requests[1]!.headers["x-plex-token"], "token-1")
      assert.strictEqual(requests[3]!.headers["x-plex-token"], "token-2")
    }).pipe(Effect.provide(signInLayer(rotatingPlexTv())))
  )

  it.effect("concurrent callers refused with the same token share one refresh", () =>
    Effect.gen(function* () {
      const results = yield* Effect.all(
        Array.from({ length: 20 }, () => PlexAuth.getTokenDetails()),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.length, 20)
      const requests = yield* MockHttp.requests
      const signIns = requests.filter((r) => r.url.pathname === "/api/v2/users/signin")
      assert.strictEqual(signIns.length, 2, "the initial sign-in and exactly one refresh")
      const retried = requests.filter((r) => r.headers["x-plex-token"] === "token-2")
      assert.strictEqual(retried.length, 20)
    }).pipe(Effect.provide(signInLayer(rotatingPlexTv())))
  )

  it.effect("retried once only: a new token that is refused too ends in Unauthorized", () =>
    Effect.gen(function* () {
      yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
      assert.deepStrictEqual(paths(yield* expectRequests(4)), [
        "/api/v2/users/signin",
        "/api/v2/user",
        "/api/v2/users/signin",
        "/api/v2/user"
      ])
    }).pipe(
      Effect.provide(
        signInLayer((request) =>
          request.url.pathname === "/api/v2/users/signin"
            ? MockHttp.json(201, { ...account, authToken: `t-${request.index}` })
            : refused()
        )
      )
    )
  )

  it.effect("a 401 whose body is cut off re-authenticates all the same: one new sign-in, one retry", () =>
    Effect.gen(function* () {
      const result = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(result.username, "tester")
      const requests = yield* expectRequests(4)
      assert.deepStrictEqual(paths(requests), [
        "/api/v2/users/signin",
        "/api/v2/user",
        "/api/v2/users/signin",
        "/api/v2/user"
      ])
      assert.strictEqual(requests[3]!.headers["x-plex-token"], "token-2")
    }).pipe(Effect.provide(signInLayer(rotatingPlexTv(cutRefusal))))
  )

  it.effect(
    "a new token refused too, each answer cut off: Unauthorized after one new sign-in, not a second",
    () =>
      Effect.gen(function* () {
        const error = yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
        assert.strictEqual(error.status, 401)
        assert.deepStrictEqual(paths(yield* expectRequests(4)), [
          "/api/v2/users/signin",
          "/api/v2/user",
          "/api/v2/users/signin",
          "/api/v2/user"
        ])
      }).pipe(
        Effect.provide(
          signInLayer((request) =>
            request.url.pathname === "/api/v2/users/signin"
              ? MockHttp.json(201, { ...account, authToken: `t-${request.index}` })
              : cutRefusal()
          )
        )
      )
  )

  it.effect("a refresh that fails leaves the call's Unauthorized", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
      assert.strictEqual(error.operation, "PlexAuth.getTokenDetails")
      assert.deepStrictEqual(paths(yield* expectRequests(3)), [
        "/api/v2/users/signin",
        "/api/v2/user",
        "/api/v2/users/signin"
      ])
    }).pipe(
      Effect.provide(
        signInLayer((request) =>
          request.url.pathname === "/api/v2/users/signin"
            ? request.index === 0
              ? MockHttp.json(201, { ...account, authToken: "first" })
              : MockHttp.text(503, "down", "text/plain")
            : refused()
        )
      )
    )
  )

  it.effect(
    "a caller's refresh failing with a reason of its own leaves the call's Unauthorized as it was",
    () =>
      Effect.gen(function* () {
        // Not one of `RefreshFailed`'s reasons: the error keeps no `reauthentication` (and is not a defect).
        const error = yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
        assert.strictEqual(error.operation, "PlexAuth.getTokenDetails")
        assert.isUndefined(error.reauthentication)
        assert.strictEqual((yield* expectRequests(1)).length, 1)
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            env(MockHttp.always(refused)),
            Layer.succeed(Credentials.Credentials, {
              token: Effect.succeed(Redacted.make(TOKEN)),
              refresh: () => Effect.fail({ _tag: "VaultLocked", reason: "Locked" })
            })
          )
        )
      )
  )

  it.effect("credentials from a plain token cannot re-authenticate: one request, Unauthorized", () =>
    Effect.gen(function* () {
      yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
      const [request] = yield* expectRequests(1)
      assert.strictEqual(request!.headers["x-plex-token"], TOKEN)
    }).pipe(Effect.provide(env(MockHttp.always(refused))))
  )

  it.effect("only Unauthorized triggers a refresh (a 500 does not)", () =>
    Effect.gen(function* () {
      const obtained = yield* Ref.make(0)
      const credentials = yield* Credentials.makeRefreshing({
        initial: Redacted.make("start"),
        obtain: Ref.updateAndGet(obtained, (n) => n + 1).pipe(Effect.map((n) => Redacted.make(`fresh-${n}`)))
      })
      const error = yield* Effect.flip(
        PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, credentials))
      )
      assert.strictEqual(error._tag, "Unexpected")
      assert.strictEqual(yield* Ref.get(obtained), 0)
    }).pipe(Effect.provide(env(MockHttp.always(() => MockHttp.text(500, "oops", "text/plain")))))
  )

  it.effect("makeRefreshing without an initial token obtains one when made", () =>
    Effect.gen(function* () {
      const credentials = yield* Credentials.makeRefreshing({ obtain: Effect.succeed(Redacted.make("made")) })
      assert.strictEqual(Redacted.value(yield* credentials.token), "made")
    })
  )
})

describe("what does not trigger re-authentication", () => {
  it.effect(
    "a 401 from the page a 303 sent a Home switch to: plex.tv acted, the POST is not sent again",
    () =>
      Effect.gen(function* () {
        // The switch was processed (a PIN counted towards a lockout): no new sign-in, no second POST.
        const error = yield* failsWith(
          Home.switchUser({ uuid: "kids", title: "Kids" } as never),
          "Unauthorized"
        )
        assert.isUndefined(error.reauthentication)
        const requests = yield* expectRequests(3)
        assert.deepStrictEqual(
          requests.map((r) => `${r.method} ${r.url.pathname}`),
          ["POST /api/v2/users/signin", "POST /api/v2/home/users/kids/switch", "GET /api/v2/user"]
        )
      }).pipe(
        Effect.provide(
          signInLayer((request) =>
            request.url.pathname === "/api/v2/users/signin"
              ? MockHttp.json(201, { ...account, authToken: `t-${request.index}` })
              : request.method === "POST"
                ? MockHttp.redirect(303, "https://plex.tv/api/v2/user")
                : refused()
          )
        )
      )
  )

  it.effect("a 403 (forbidden) is reported as is, without a new sign-in", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
      assert.strictEqual(error.status, 403)
      assert.deepStrictEqual(paths(yield* expectRequests(2)), ["/api/v2/users/signin", "/api/v2/user"])
    }).pipe(
      Effect.provide(
        signInLayer((request) =>
          request.url.pathname === "/api/v2/users/signin"
            ? MockHttp.json(201, { ...account, authToken: "only" })
            : MockHttp.html(403, "<html><body>Forbidden</body></html>")
        )
      )
    )
  )

  // A server's 403 may refuse the token or what it may not do (docs/errors.md): never read as a refused token, as
  // plex.tv's; its 401 is one, as plex.tv's.
  it.effect("a server's 403 is reported as is, without a new sign-in", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(PlexAuth.getTransientToken(), "Unauthorized")
      assert.strictEqual(error.status, 403)
      assert.deepStrictEqual(paths(yield* expectRequests(2)), ["/api/v2/users/signin", "/security/token"])
    }).pipe(Effect.provide(Layer.merge(signInLayer(serverRefusing(403)), ServerLive)))
  )

  it.effect("a server's 401 signs in again, and the call is retried once with the new token", () =>
    Effect.gen(function* () {
      const result = yield* PlexAuth.getTransientToken()
      assert.strictEqual(Redacted.value(result.token), "transient-1")
      assert.deepStrictEqual(paths(yield* expectRequests(4)), [
        "/api/v2/users/signin",
        "/security/token",
        "/api/v2/users/signin",
        "/security/token"
      ])
    }).pipe(Effect.provide(Layer.merge(signInLayer(serverRefusing(401)), ServerLive)))
  )
})

describe("no re-authentication storms", () => {
  it.effect("a sign-in that hands back the same token is tried once for all concurrent callers", () =>
    Effect.gen(function* () {
      const results = yield* Effect.all(
        Array.from({ length: 5 }, () => Effect.flip(PlexAuth.getTokenDetails())),
        { concurrency: "unbounded" }
      )
      for (const error of results) assert.strictEqual(error._tag, "Unauthorized")
      const signIns = (yield* MockHttp.requests).filter((r) => r.url.pathname === "/api/v2/users/signin")
      assert.strictEqual(signIns.length, 2, "the initial sign-in and one refresh, not one per caller")
      // and a later call with the same refused token does not sign in again either
      yield* Effect.flip(PlexAuth.getTokenDetails())
      const after = (yield* MockHttp.requests).filter((r) => r.url.pathname === "/api/v2/users/signin")
      assert.strictEqual(after.length, 2)
    }).pipe(
      Effect.provide(
        signInLayer((request) =>
          request.url.pathname === "/api/v2/users/signin"
            ? MockHttp.json(201, { ...account, authToken: "always-the-same" })
            : refused()
        )
      )
    )
  )

  it.effect(
    "an obtain that handed back the refused token tries again after the cooldown: a token another process stored is then used",
    () =>
      Effect.gen(function* () {
        // The app's `obtain` reads a store another process writes; at first it holds the refused token.
        const stored = yield* Ref.make("stale-token")
        const reads = yield* Ref.make(0)
        const credentials = yield* Credentials.makeRefreshing({
          initial: Redacted.make("stale-token"),
          obtain: Effect.andThen(
            Ref.update(reads, (n) => n + 1),
            Effect.map(Ref.get(stored), Redacted.make)
          )
        })
        const call = PlexAuth.getTokenDetails().pipe(
          Effect.provideService(Credentials.Credentials, credentials)
        )
        const first = yield* failsWith(call, "Unauthorized")
        assert.strictEqual(first.reauthentication, "SameToken")
        assert.strictEqual(yield* Ref.get(reads), 1)
        // The other process stores a new token. Within the cooldown the refused token is not renewed again.
        yield* Ref.set(stored, "fresh-token")
        const cooling = yield* failsWith(call, "Unauthorized")
        assert.strictEqual(cooling.reauthentication, "SameToken")
        assert.strictEqual(yield* Ref.get(reads), 1)
        // After it, the next refusal reads the store again, and the call is retried with the new token.
        yield* TestClock.adjust("1 minute")
        const details = yield* call
        assert.strictEqual(details.username, "tester")
        assert.strictEqual(yield* Ref.get(reads), 2)
        // The token it got is kept: no more reads.
        yield* call
        assert.strictEqual(yield* Ref.get(reads), 2)
      }).pipe(
        Effect.provide(
          Layer.merge(
            MockHttp.layer((request) =>
              request.headers["x-plex-token"] === "fresh-token" ? MockHttp.json(200, account) : refused()
            ),
            IdentityLive
          )
        )
      )
  )

  it.effect(
    "a server that refuses every token: 20 calls make two sign-ins, then a cooldown (issue 15.2)",
    () =>
      Effect.gen(function* () {
        const signIns = Effect.map(
          MockHttp.requests,
          (all) => all.filter((r) => r.url.pathname === "/api/v2/users/signin").length
        )
        const first = yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
        assert.isUndefined(first.reauthentication, "the first refusal signed in again")
        for (let i = 0; i < 19; i++) {
          const error = yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
          assert.strictEqual(error.reauthentication, "FreshTokenRefused")
          assert.include(error.message, "refuses fresh tokens")
        }
        assert.strictEqual(yield* signIns, 2, "the layer's sign-in and one re-sign-in, not 21")
        yield* TestClock.adjust("61 seconds")
        yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
        assert.strictEqual(yield* signIns, 3, "after the cooldown, one new attempt")
        yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
        assert.strictEqual(yield* signIns, 3)
      }).pipe(
        Effect.provide(
          signInLayer((request) =>
            request.url.pathname === "/api/v2/users/signin"
              ? MockHttp.json(201, { ...account, authToken: `t-${request.index}` })
              : refused()
          )
        )
      )
  )

  it.effect("after a failed refresh, none is tried again for a minute", () =>
    Effect.gen(function* () {
      yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
      yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
      const signIns = () =>
        Effect.map(
          MockHttp.requests,
          (all) => all.filter((r) => r.url.pathname === "/api/v2/users/signin").length
        )
      assert.strictEqual(
        yield* signIns(),
        2,
        "initial + one failed refresh; the second 401 waits out the cooldown"
      )
      yield* TestClock.adjust("61 seconds")
      yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
      assert.strictEqual(yield* signIns(), 3, "after the cooldown, one new attempt")
    }).pipe(
      Effect.provide(
        signInLayer((request) =>
          request.url.pathname === "/api/v2/users/signin"
            ? request.index === 0
              ? MockHttp.json(201, { ...account, authToken: "first" })
              : MockHttp.text(503, "down", "text/plain")
            : refused()
        )
      )
    )
  )
})
