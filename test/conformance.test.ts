/**
 * Conformance: what a user of either edition sees through the public API alone (the package's own entry
 * points, the test kit, the fake), with exact values. The same file runs on both editions:
 * effect4/test/conformance.test.ts is this file with only the renames test/api-parity.test.ts lists
 * (`conformanceRenames`: the package name, Effect 4's `TestClock` import and `Effect.forkChild`), and that
 * test fails if the two files differ otherwise. So a behaviour one edition has and the other lacks fails
 * one of the two runs.
 */
import { assert, describe } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Redacted } from "effect"
import { TestClock } from "effect"
import {
  ClientIdentity,
  Credentials,
  Devices,
  Home,
  Jwt,
  Link,
  PinLogin,
  PlexAuth,
  PlexTv,
  PlexError,
  Resources,
  RetryPolicy,
  ServerAccess,
  ServerClient,
  WebSignIn
} from "effect-plex-auth"
import { makeHandler } from "effect-plex-auth/fake"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { it } from "./support/it.js"
import { layerPendingSleeps, whenPending, whenWaiting } from "./Jwt/support.js"
import { withCapturedLogs, withRecordedSpans } from "./support/observe.js"

const bob = { username: "bob", password: "bob-password", twoFactorCode: "123456" }
const signedIn = FakePlex.layerSignedIn({ accounts: [{ username: "alice" }, bob] })

describe("conformance: the README's quick start against the fake", () => {
  it.effect("PIN login, then the account, as the quick start writes it", () =>
    Effect.gen(function* () {
      const urls: Array<string> = []
      const token = yield* PinLogin.login({ onPin: ({ url }) => Effect.sync(() => urls.push(url)) })
      const account = yield* PlexAuth.account().pipe(Credentials.withToken(token))
      assert.strictEqual(account.username, FakePlex.defaults.username)
      assert.isTrue(Redacted.isRedacted(token))
      assert.strictEqual(urls.length, 1)
      assert.isTrue(urls[0]!.startsWith(`${FakePlex.defaults.authAppUrl}#?`), urls[0])
      assert.include(urls[0], "clientID=")
      assert.include(urls[0], "code=")
    }).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: true })))
  )

  it.effect("PlexTv.layerConfig() defaults to https://plex.tv", () =>
    Effect.gen(function* () {
      const plexTv = yield* PlexTv.PlexTv
      assert.strictEqual(plexTv.url, PlexTv.defaultUrl)
      assert.strictEqual(PlexTv.defaultUrl, "https://plex.tv")
    }).pipe(Effect.provide(PlexTv.layerConfig()))
  )
})

describe("conformance: errors and their fields", () => {
  it.effect("getTokenDetails with a token plex.tv refuses: Unauthorized with Plex's code, no secret", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(Credentials.withToken("not-a-token")))
      assert.strictEqual(error._tag, "Unauthorized")
      if (error._tag !== "Unauthorized") return
      assert.strictEqual(error.status, 401)
      assert.strictEqual(error.operation, "PlexAuth.getTokenDetails")
      assert.strictEqual(error.method, "GET")
      assert.strictEqual(error.url, "https://plex.tv/api/v2/user")
      assert.deepStrictEqual(
        error.errors.map((e) => [e.code, e.message, e.status]),
        [[1001, "User could not be authenticated", 401]]
      )
      assert.strictEqual(
        error.message,
        "PlexAuth.getTokenDetails: not authorized (HTTP 401) (1001 User could not be authenticated); sign in again"
      )
      assert.isUndefined(error.reauthentication)
      assert.notInclude(JSON.stringify(error), "not-a-token")
      assert.deepStrictEqual(Object.keys(JSON.parse(JSON.stringify(error))).sort(), [
        "_tag",
        "errors",
        "method",
        "operation",
        "status",
        "url"
      ])
    }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "a token plex.tv revoked (422, Invalid token): Unauthorized, its message says to sign in again",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const token = yield* fake.mintToken("alice")
        assert.isTrue(yield* fake.revokeToken(token))
        const error = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(Credentials.withToken(token)))
        assert.strictEqual(error._tag, "Unauthorized")
        assert.strictEqual(
          error.message,
          "PlexAuth.getTokenDetails: not authorized (HTTP 422) (Invalid token); sign in again"
        )
      }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "a wrong password at sign-in: Unauthorized, its message says to check the login and password, not to sign in again",
    () =>
      Effect.gen(function* () {
        for (const signIn of [PlexAuth.signIn, PlexAuth.postUsersSignInData]) {
          const error = yield* Effect.flip(signIn({ login: "bob", password: "not-bob-password" }))
          assert.strictEqual(error._tag, "Unauthorized")
          if (error._tag !== "Unauthorized") return
          assert.strictEqual(error.url, "https://plex.tv/api/v2/users/signin")
          assert.match(
            error.message,
            /: not authorized \(HTTP 401\) \(1001 [^)]*\); check the login and password$/
          )
          assert.notInclude(error.message, "not-bob-password")
        }
      }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "a sign-in with two-factor: VerificationCodeRequired, then InvalidVerificationCode, then signed in",
    () =>
      Effect.gen(function* () {
        const required = yield* Effect.flip(PlexAuth.signIn({ login: "bob", password: bob.password }))
        assert.strictEqual(required._tag, "VerificationCodeRequired")
        if (required._tag !== "VerificationCodeRequired") return
        assert.strictEqual(required.status, 401)
        assert.strictEqual(required.operation, "PlexAuth.signIn")
        assert.strictEqual(required.method, "POST")
        assert.strictEqual(required.url, "https://plex.tv/api/v2/users/signin")
        assert.deepStrictEqual(
          required.errors.map((e) => e.code),
          [1029]
        )
        const wrong = yield* Effect.flip(
          PlexAuth.signIn({ login: "bob", password: bob.password, verificationCode: "000000" })
        )
        assert.strictEqual(wrong._tag, "InvalidVerificationCode")
        if (wrong._tag !== "InvalidVerificationCode") return
        assert.deepStrictEqual(
          wrong.errors.map((e) => e.code),
          [1028]
        )
        assert.notInclude(JSON.stringify(wrong), "000000")
        assert.notInclude(JSON.stringify(wrong), bob.password)
        const account = yield* PlexAuth.signIn({
          login: "bob",
          password: Redacted.make(bob.password),
          verificationCode: Redacted.make(bob.twoFactorCode)
        })
        assert.strictEqual(account.username, "bob")
        assert.isTrue(Redacted.isRedacted(account.authToken))
      }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "Credentials.layerSignIn asks for a long-lived session; PlexAuth.signIn sends what it is given",
    () =>
      Effect.gen(function* () {
        const session = Credentials.layerSignIn({ login: "alice", password: FakePlex.defaults.password })
        const account = yield* PlexAuth.account().pipe(Effect.provide(session))
        assert.strictEqual(account.username, "alice")
        yield* PlexAuth.signIn({ login: "alice", password: FakePlex.defaults.password })
        const signIns = (yield* FakePlex.requests).filter((r) => r.route === "postUsersSignInData")
        assert.deepStrictEqual(
          signIns.map((r) => r.form?.["rememberMe"]),
          ["true", "false"]
        )
      }).pipe(Effect.provide(signedIn))
  )

  it.effect("bad input fails with InvalidInput before any request", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(PlexAuth.signIn({ login: "", password: "x" }))
      assert.strictEqual(error._tag, "InvalidInput")
      if (error._tag !== "InvalidInput") return
      assert.strictEqual(error.operation, "PlexAuth.signIn")
      assert.strictEqual(error.field, "login")
      assert.strictEqual(error.reason, "must not be empty")
      assert.strictEqual(error.message, "PlexAuth.signIn: invalid login: must not be empty")
      assert.deepStrictEqual(yield* FakePlex.requests, [])
    }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "a 429 with Retry-After: RateLimited carries the wait, and the default policy does not retry",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.rateLimited("2 seconds"), { times: 1 })
        const error = yield* Effect.flip(PlexAuth.getTokenDetails())
        assert.strictEqual(error._tag, "RateLimited")
        if (error._tag !== "RateLimited") return
        assert.strictEqual(error.status, 429)
        assert.strictEqual(error.retryAfterMillis, 2000)
        assert.strictEqual(Duration.toMillis(RetryPolicy.retryAfter(error)!), 2000)
        assert.strictEqual((yield* FakePlex.requests).length, 1)
      }).pipe(Effect.provide(signedIn))
  )
})

describe("conformance: defaults", () => {
  it.effect("request timeout 30 s, body limit 8 MiB, no trace propagation, no retries", () =>
    Effect.gen(function* () {
      assert.strictEqual(Duration.toMillis(yield* PlexAuth.RequestTimeout), 30_000)
      assert.strictEqual(yield* PlexAuth.MaxBodyBytes, 8 * 1024 * 1024)
      assert.strictEqual(yield* PlexAuth.TracePropagation, false)
      assert.strictEqual(yield* RetryPolicy.CurrentRetryPolicy, RetryPolicy.none)
      assert.deepStrictEqual(RetryPolicy.defaultStatusCodes, [429, 500, 502, 503, 504])
      assert.strictEqual(Duration.toMillis(RetryPolicy.maxRetryAfter), 60_000)
    })
  )

  it.effect("JWT defaults: refresh a day before expiry, host, scope, clock skew", () =>
    Effect.sync(() => {
      assert.strictEqual(Duration.toMillis(Jwt.defaultRefreshMargin), 24 * 60 * 60 * 1000)
      assert.strictEqual(Jwt.defaultHost, "https://clients.plex.tv")
      assert.strictEqual(Jwt.defaultStoreKey, "effect-plex-auth/jwt")
      assert.strictEqual(Duration.toMillis(Jwt.defaultClockSkew), 60_000)
    })
  )

  it.effect(
    "store keys: the token's and the client identifier's, the same in both editions (core/refresh.ts, core/identity.ts)",
    () =>
      Effect.sync(() => {
        assert.strictEqual(Credentials.defaultStoreKey, "effect-plex-auth/token")
        assert.strictEqual(ClientIdentity.defaultStoreKey, "effect-plex-auth/client-identifier")
      })
  )

  it.effect("a request that never answers fails with NetworkError Timeout after 30 s", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.hang, { times: 1 })
      const fiber = yield* Effect.fork(Effect.flip(PlexAuth.getTokenDetails()))
      // The clock moves once the request is sent, its 30-second timeout running.
      yield* whenWaiting(fiber, "30 seconds")
      yield* TestClock.adjust("30 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "NetworkError")
      if (error._tag !== "NetworkError") return
      assert.strictEqual(error.reason, "Timeout")
      assert.strictEqual(error.operation, "PlexAuth.getTokenDetails")
    }).pipe(Effect.provide(Layer.merge(signedIn, layerPendingSleeps)))
  )

  it.effect(
    "RetryPolicy.transient retries a 503 after 250 ms, and a sign-in that timed out is not sent again",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.status(503), { times: 1 })
        const fiber = yield* Effect.fork(
          PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(RetryPolicy.transient))
        )
        // Once the 503 is read and the retry's 250 ms pause runs (not the request's 30-second timeout).
        yield* whenWaiting(fiber, "1 second")
        yield* TestClock.adjust("1 second")
        const account = yield* Fiber.join(fiber)
        assert.strictEqual(account.username, FakePlex.defaults.username)
        assert.strictEqual((yield* FakePlex.requests).length, 2)

        yield* (yield* FakePlex.FakePlex).clearRequests
        yield* FakePlex.fault("postUsersSignInData", Fault.hang, { times: 1 })
        const signIn = yield* Effect.fork(
          Effect.flip(
            PlexAuth.signIn({ login: "bob", password: bob.password }).pipe(
              RetryPolicy.withPolicy(RetryPolicy.transient)
            )
          )
        )
        // Once the sign-in is sent, its 30-second timeout running.
        yield* whenWaiting(signIn, "30 seconds")
        yield* TestClock.adjust("2 minutes")
        const error = yield* Fiber.join(signIn)
        assert.strictEqual(error._tag, "NetworkError")
        assert.strictEqual((yield* FakePlex.requests).length, 1)
      }).pipe(Effect.provide(Layer.merge(signedIn, layerPendingSleeps)))
  )
})

describe("conformance: an answer at exactly the per-attempt timeout", () => {
  it.effect("an answer due at the same moment as the timeout is the answer (docs/testing.md)", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.delay("100 millis"), { times: 1 })
      const fiber = yield* Effect.fork(
        Effect.exit(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("100 millis")))
      )
      yield* whenPending(2, "100 millis") // the attempt's timer and the fake's delay
      yield* TestClock.adjust("100 millis")
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome._tag, "Success", String(outcome))
      assert.deepStrictEqual(
        (yield* FakePlex.requests).map((r) => [r.route, r.outcome]),
        [["getTokenDetails", "Responded"]]
      )
    }).pipe(Effect.provide(Layer.merge(Layer.fresh(signedIn), layerPendingSleeps)))
  )

  it.effect("Resources.connect: a probe answering at exactly its timeout reaches the server", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getServerIdentity", Fault.delay("100 millis"))
      const fiber = yield* Effect.fork(
        Effect.exit(Resources.connectByName(FakePlex.defaults.serverName, { timeout: "100 millis" }))
      )
      yield* whenPending(4, "100 millis") // the two probes' timers and the fake's delays
      yield* TestClock.adjust("100 millis")
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome._tag, "Success", String(outcome))
      if (outcome._tag !== "Success") return
      // The best-ranked connection, answered at its timeout (what became of the others at that moment is no
      // concern here: once it answers, the rest are no longer needed).
      assert.strictEqual(outcome.value.candidate.location, "local")
      assert.deepStrictEqual(
        [
          outcome.value.attempts[0]?.uri,
          outcome.value.attempts[0]?.outcome,
          outcome.value.attempts[0]?.millis
        ],
        [outcome.value.uri, "Reachable", 100]
      )
    }).pipe(Effect.provide(Layer.merge(Layer.fresh(signedIn), layerPendingSleeps)))
  )
})

describe("conformance: retry timing by the TestClock", () => {
  /** One turn of the event loop (no time passes on any clock): the in-memory fake's promises move on. */
  const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

  /** Runs `effect` in a fiber, moving the TestClock a second at a time (a few turns first) until it ends. */
  const stepping = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      let done = false
      const fiber = yield* Effect.fork(
        Effect.ensuring(
          effect,
          Effect.sync(() => (done = true))
        )
      )
      for (let i = 0; i < 60 && !done; i++) {
        for (let j = 0; j < 20 && !done; j++) yield* turn
        if (!done) yield* TestClock.adjust("1 second")
      }
      return yield* Fiber.join(fiber)
    })

  it.effect(
    "backoff without jitter retries after 500, 750, 1125, 1688, 2531 ms; by layer or combinator; the innermost wins",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const policy = RetryPolicy.backoff({ jitter: false })
        /** The outcome and when each request arrived (TestClock milliseconds after the first), five 503s first. */
        const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          Effect.gen(function* () {
            yield* fake.clearRequests
            yield* FakePlex.clearFaults
            yield* FakePlex.fault("getTokenDetails", Fault.status(503), { times: 5 })
            const exit = yield* stepping(Effect.exit(effect))
            const records = yield* FakePlex.requests
            return [exit._tag, records.map((r) => r.receivedAt - records[0]!.receivedAt)]
          })
        // docs/retries.md: the waits are 500 ms, 750 ms, 1125 ms, 1688 ms, ... (rounded to the millisecond).
        const expected = ["Success", [0, 500, 1250, 2375, 4063, 6594]]
        const operation = PlexAuth.getTokenDetails()
        assert.deepStrictEqual(
          yield* timed(operation.pipe(Effect.provide(RetryPolicy.layer(policy)))),
          expected
        )
        assert.deepStrictEqual(yield* timed(operation.pipe(PlexAuth.withRetryPolicy(policy))), expected)
        assert.deepStrictEqual(yield* timed(operation.pipe(RetryPolicy.withPolicy(policy))), expected)
        assert.deepStrictEqual(
          yield* timed(
            operation.pipe(RetryPolicy.withPolicy(RetryPolicy.none), RetryPolicy.withPolicy(policy))
          ),
          ["Failure", [0]]
        )
        assert.deepStrictEqual(yield* timed(operation), ["Failure", [0]])
      }).pipe(Effect.provide(signedIn))
  )
})

describe("conformance: resources", () => {
  it.effect("Resources.list: the fake's server and client, with their connections", () =>
    Effect.gen(function* () {
      const devices = yield* Resources.list()
      assert.deepStrictEqual(
        devices.map((d) => [d.name, d.provides, d.owned, d.connections.length]),
        [
          [FakePlex.defaults.serverName, "server", true, 2],
          ["Chrome", "client,player,pubsub-player", true, 0]
        ]
      )
      const server = devices[0]!
      assert.strictEqual(server.clientIdentifier, FakePlex.defaults.serverId)
      assert.isTrue(Redacted.isRedacted(server.accessToken))
      assert.isTrue(Resources.isServer(server))
      assert.isFalse(Resources.isServer(devices[1]!))
    }).pipe(Effect.provide(signedIn))
  )

  it.effect("Resources.connect reaches the fake server and provides it", () =>
    Effect.gen(function* () {
      const connected = yield* Resources.connectByName(FakePlex.defaults.serverName)
      assert.strictEqual(connected.server.clientIdentifier, FakePlex.defaults.serverId)
      assert.strictEqual(connected.identity.machineIdentifier, FakePlex.defaults.serverId)
      const transient = yield* PlexAuth.getTransientToken().pipe(Effect.provide(connected.layer))
      assert.isTrue(Redacted.isRedacted(transient.token))
    }).pipe(Effect.provide(Layer.fresh(signedIn)))
  )

  // As docs/servers.md's test writes it: the whole step forked, its listing included, and the clock moved at once.
  // Effect 4's TestClock.adjust lets the forked fiber run one scheduler turn only, where Effect 3's waits until it
  // is suspended: probes forked to start a turn later were sent after the clock had moved, and the local one's
  // delay then waited for an adjust that never came.
  it.effect(
    "Resources.connectByName forked, the TestClock moved at once: the probes are sent before it moves",
    () =>
      Effect.gen(function* () {
        const local = "http://192.0.2.10:32400"
        const remote = "http://198.51.100.10:32400"
        yield* FakePlex.fault({ origin: local, path: "/identity" }, Fault.delay("5 millis"))
        yield* FakePlex.fault({ origin: remote }, Fault.hang)
        const fiber = yield* Effect.fork(Resources.connectByName("Den"))
        yield* TestClock.adjust("5 millis")
        assert.deepStrictEqual(
          (yield* FakePlex.requests)
            .filter((r) => r.route === "getServerIdentity")
            .map((r) => [r.origin, r.receivedAt])
            .sort(),
          [
            [local, 0],
            [remote, 0]
          ]
        )
        const connected = yield* Fiber.join(fiber)
        assert.strictEqual(connected.uri, local)
        assert.strictEqual(connected.elapsedMillis, 5)
      }).pipe(
        Effect.provide(
          FakePlex.layerSignedIn({
            servers: [
              {
                name: "Den",
                connections: [
                  { uri: "http://192.0.2.10:32400", local: true },
                  { uri: "http://198.51.100.10:32400" }
                ]
              }
            ]
          })
        )
      )
  )
})

describe("conformance: re-authentication", () => {
  // As an app's test writes it: the flow forked and the clock moved at once. The re-authentication signs in again
  // in a fiber of its own; on Effect 4 that fiber started a scheduler turn late, its sign-in was sent after the
  // clock had moved, and the sign-in's delay then waited for an adjust that never came.
  it.effect(
    "a forked call refused (401): the sign-in again is sent before the TestClock moves, and the call goes on",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* FakePlex.fault("postUsersSignInData", Fault.delay("1 second"), { times: 1 })
        const fiber = yield* Effect.fork(PlexAuth.getTokenDetails())
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(
          (yield* FakePlex.requests)
            .filter((r) => r.route === "postUsersSignInData")
            .map((r) => r.receivedAt),
          [0, 0]
        )
        const details = yield* Fiber.join(fiber)
        assert.strictEqual(details.username, "alice")
        assert.deepStrictEqual(
          (yield* FakePlex.requests).map((r) => `${r.route} ${r.status} ${r.receivedAt}`),
          [
            "postUsersSignInData 201 0",
            "getTokenDetails 401 0",
            "postUsersSignInData 201 0",
            "getTokenDetails 200 1000"
          ]
        )
      }).pipe(
        Effect.provide(Credentials.layerSignIn({ login: "alice", password: FakePlex.defaults.password })),
        Effect.provide(signedIn)
      )
  )
})

/** An error's fields, as JSON (no secret can be in it), in a stable key order. */
const fieldsOf = (error: object): Record<string, unknown> => {
  const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>
  return Object.fromEntries(
    Object.keys(json)
      .sort()
      .map((key) => [key, json[key]])
  )
}

const user = { operation: "PlexAuth.getTokenDetails", method: "GET", url: "https://plex.tv/api/v2/user" }

describe("conformance: what a bad answer fails with", () => {
  it.effect("an HTML page, malformed JSON, a 500, a reset, an oversized body: each its exact error", () =>
    Effect.gen(function* () {
      const next = (fault: Fault.Fault) =>
        Effect.flatMap(FakePlex.fault("getTokenDetails", fault, { times: 1 }), () =>
          Effect.flip(PlexAuth.getTokenDetails())
        )
      const html = yield* next(Fault.html())
      assert.deepStrictEqual(fieldsOf(html), {
        ...user,
        _tag: "Unexpected",
        contentType: "text/html; charset=utf-8",
        detail: "expected a JSON body, got text/html; charset=utf-8",
        errors: [],
        reason: "ContentType",
        status: 200
      })
      const malformed = yield* next(Fault.malformedJson)
      assert.strictEqual(malformed._tag, "Unexpected")
      if (malformed._tag !== "Unexpected") return
      assert.strictEqual(malformed.reason, "Decode")
      assert.match(malformed.detail, /^the body is not valid JSON \(\d+ characters\)$/)
      const failed = yield* next(Fault.status(500, { code: 1, message: "boom" }))
      assert.strictEqual(failed._tag, "Unexpected")
      if (failed._tag !== "Unexpected") return
      assert.strictEqual(failed.reason, "Status")
      assert.strictEqual(failed.status, 500)
      assert.deepStrictEqual(
        failed.errors.map((e) => [e.code, e.message]),
        [[1, "boom"]]
      )
      const reset = yield* next(Fault.reset)
      assert.strictEqual(reset._tag, "NetworkError")
      if (reset._tag !== "NetworkError") return
      assert.strictEqual(reset.reason, "Transport")
      const oversized = yield* next(Fault.oversized({ bytes: 9_000_000 }))
      assert.strictEqual(oversized._tag, "Unexpected")
      if (oversized._tag !== "Unexpected") return
      assert.strictEqual(oversized.reason, "BodyTooLarge")
      assert.strictEqual(
        oversized.detail,
        "the body is larger than the 8388608-byte limit (9000000 bytes declared)"
      )
    }).pipe(Effect.provide(signedIn))
  )
})

describe("conformance: the other modules' errors", () => {
  const home = FakePlex.layerSignedIn({
    accounts: [{ username: "alice" }, { username: "kid", managed: true }],
    homes: [{ members: ["alice", "kid"] }]
  })

  it.effect("Devices, Home, Link, PinLogin, Resources: NotFound, InvalidInput and their own errors", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(fieldsOf(yield* Effect.flip(Devices.revoke(-1))), {
        _tag: "InvalidInput",
        field: "id",
        operation: "Devices.revoke",
        reason: "must be a positive integer"
      })
      // A command line's argument, passed from plain JavaScript: the message says a number is wanted.
      assert.deepStrictEqual(fieldsOf(yield* Effect.flip(Devices.revoke(JSON.parse(`"700001"`)))), {
        _tag: "InvalidInput",
        field: "id",
        operation: "Devices.revoke",
        reason: "must be a positive integer (a number, not a string: convert it with Number(id))"
      })
      const missing = yield* Effect.flip(Devices.revoke(99999))
      assert.strictEqual(missing._tag, "NotFound")
      if (missing._tag !== "NotFound") return
      assert.strictEqual(missing.url, "https://plex.tv/devices/99999.xml")
      assert.strictEqual(missing.method, "DELETE")
      assert.strictEqual(
        missing.message,
        "Devices.revoke: DELETE https://plex.tv/devices/99999.xml was not found (HTTP 404) (Device not found); the account has no device with that id (revoked already?): list the devices again (Devices.list)"
      )
      assert.deepStrictEqual(fieldsOf(yield* Effect.flip(Home.switchUser("nobody"))), {
        _tag: "HomeUserNotFound",
        available: ["alice", "kid"],
        operation: "Home.switchUser",
        user: "nobody"
      })
      const link = yield* Effect.flip(Link.link("ABCD"))
      assert.strictEqual(link._tag, "NotFound")
      assert.strictEqual(
        link.message,
        "Link.link: PUT https://plex.tv/api/v2/pins/link was not found (HTTP 404) (1020 Code not found or expired); no device is showing that code (mistyped, or expired): have the device show a new code and link that"
      )
      // A code already used (the fake answers as plex.tv: 422): BadRequest.
      const shown = yield* PinLogin.create({ strong: false })
      yield* Link.link(shown.code)
      const used = yield* Effect.flip(Link.link(shown.code))
      assert.strictEqual(used._tag, "BadRequest")
      // Still the library's classes (catchTag, instanceof): only their messages say more.
      assert.instanceOf(link, PlexError.NotFound)
      assert.instanceOf(used, PlexError.BadRequest)
      assert.instanceOf(missing, PlexError.NotFound)
      assert.strictEqual(
        used.message,
        "Link.link: PUT https://plex.tv/api/v2/pins/link was rejected as a bad request (HTTP 422) (Code already used); the code was used already (an earlier link whose answer was lost may have gone through): if the device is still not signed in, have it show a new code and link that"
      )
      const pin = yield* Effect.flip(PinLogin.check({ id: 424242 }))
      assert.strictEqual(pin._tag, "PinExpired")
      if (pin._tag !== "PinExpired") return
      assert.strictEqual(pin.pinId, 424242)
      assert.strictEqual(pin.reason, "NotFound")
      assert.deepStrictEqual(fieldsOf(yield* Effect.flip(Resources.connectByName("No Such Server"))), {
        _tag: "ServerNotFound",
        available: [FakePlex.defaults.serverName],
        operation: "Resources.connectByName",
        server: "No Such Server"
      })
    }).pipe(Effect.provide(home))
  )

  it.effect("Link.link: the code is a secret, as the Home PIN is: masked where plex.tv echoes it", () =>
    Effect.gen(function* () {
      // Whoever holds a live code can link the device to an account of theirs; the fake records it as a secret.
      const echo = (status: number) =>
        Fault.respond((request) =>
          Effect.promise(async () => {
            const sent = new URLSearchParams(await request.text()).get("code") ?? ""
            assert.strictEqual(sent, "WXYZ")
            return new Response(
              JSON.stringify({ errors: [{ code: 1020, message: `Code ${sent} is unknown`, status }] }),
              {
                status,
                headers: { "content-type": "application/json" }
              }
            )
          })
        )
      for (const status of [404, 400, 502]) {
        yield* FakePlex.fault("linkPin", echo(status), { times: 1 })
        // Given as a plain string, or as a `Redacted` (kept one from where the app took it).
        const error = yield* Effect.flip(Link.link(status === 400 ? Redacted.make(" wxyz ") : "wxyz"))
        assert.strictEqual(
          error._tag,
          status === 404 ? "NotFound" : status === 400 ? "BadRequest" : "Unexpected"
        )
        assert.include(error.message, "Code <redacted> is unknown")
        for (const text of [error.message, String(error), JSON.stringify(error)])
          assert.notInclude(text, "WXYZ")
      }
      // Nor in a span (its attributes, its name) or a log line, with a caller logging the error.
      yield* FakePlex.fault("linkPin", echo(404), { times: 1 })
      const observed = yield* withCapturedLogs(
        withRecordedSpans(Link.link("WXYZ").pipe(Effect.tapError((error) => Effect.logError(error))))
      )
      assert.isAbove(observed.lines.length, 0)
      for (const line of observed.lines) assert.notInclude(line, "WXYZ")
      assert.strictEqual(observed.exit._tag, "Success")
      const spans = observed.exit._tag === "Success" ? observed.exit.value.spans : []
      assert.isTrue(spans.some((span) => span.name === "Link.link"))
      for (const span of spans) {
        for (const [key, value] of span.attributes)
          assert.notInclude(`${span.name} ${key}=${String(value)}`, "WXYZ")
      }
      // A redirect to another origin does not take the code there (a 307 would resend the form).
      yield* FakePlex.clearRequests
      yield* FakePlex.fault(
        "linkPin",
        Fault.redirect({ status: 307, to: "http://192.0.2.99/api/v2/pins/link" }),
        {
          times: 1
        }
      )
      const redirected = yield* Effect.flip(Link.link("WXYZ"))
      assert.strictEqual(redirected._tag === "Unexpected" ? redirected.reason : redirected._tag, "Redirect")
      assert.deepStrictEqual(
        (yield* FakePlex.requests).map((r) => r.origin),
        ["https://plex.tv"]
      )
    }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "Home.switchUser: a blank PIN is none; each refusal says what to do; a user gone since its listing",
    () =>
      Effect.gen(function* () {
        // A PIN box left empty: a user without a PIN switches (python-plexapi's `if pin:`), not InvalidInput.
        assert.strictEqual((yield* Home.switchUser("bob", { pin: "" })).user.title, "bob")
        assert.strictEqual((yield* Home.switchUser("bob", { pin: Redacted.make("  ") })).user.title, "bob")
        // For a user with a PIN, plex.tv asks for it: HomePinRequired, sent without a `pin`.
        yield* FakePlex.clearRequests
        const required = yield* Effect.flip(Home.switchUser("Kids", { pin: "" }))
        assert.strictEqual(
          required.message,
          'Home.switchUser: Plex Home user "Kids" is protected by a PIN; none was given (1041 A valid PIN is required to perform this action); ask for the user\'s PIN and switch with it'
        )
        const switches = (yield* FakePlex.requests).filter((r) => r.route === "switchHomeUser")
        assert.deepStrictEqual(
          switches.map((r) => r.query),
          [{}]
        )
        const wrong = yield* Effect.flip(Home.switchUser("Kids", { pin: "0000" }))
        assert.strictEqual(
          wrong.message,
          'Home.switchUser: the PIN for Plex Home user "Kids" was not accepted (HTTP 403) (1041 A valid PIN is required to perform this action); ask for the PIN again'
        )
        // A listed user plex.tv no longer knows (404): not "the home has: none".
        const kids = (yield* Home.users()).find((u) => u.title === "Kids")!
        const gone = yield* Effect.flip(
          Home.switchUser({ ...kids, uuid: "0000000000000000" }, { pin: "1234" })
        )
        assert.deepStrictEqual(fieldsOf(gone), {
          _tag: "HomeUserNotFound",
          available: [],
          operation: "Home.switchUser",
          user: "Kids"
        })
        assert.strictEqual(
          gone.message,
          `Home.switchUser: plex.tv knows no Plex Home user "Kids" (any more); list the home's users again (Home.users)`
        )
      }).pipe(
        Effect.provide(
          FakePlex.layerSignedIn({
            accounts: [
              {},
              { username: "kids", title: "Kids", managed: true, homePin: "1234" },
              { username: "bob" }
            ],
            homes: [{ members: ["kids", "bob"] }]
          })
        )
      )
  )

  it.effect("ServerAccess.check: the owner, and no access to an unknown server", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* ServerAccess.check(FakePlex.defaults.serverId))._tag, "Owner")
      assert.strictEqual((yield* ServerAccess.check("not-a-server"))._tag, "NoAccess")
      const users = yield* Home.users()
      assert.deepStrictEqual(
        users.map((u) => u.title),
        ["alice", "kid"]
      )
    }).pipe(Effect.provide(home))
  )

  it.effect("every request carries the client identity headers, and the token only in a header", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      const [request] = yield* FakePlex.requests
      assert.deepStrictEqual(Object.keys(request!.headers).sort(), [
        "accept",
        "x-plex-client-identifier",
        "x-plex-device",
        "x-plex-device-name",
        "x-plex-model",
        "x-plex-platform",
        "x-plex-platform-version",
        "x-plex-product",
        "x-plex-provides",
        "x-plex-token",
        "x-plex-version"
      ])
      assert.deepStrictEqual(request!.query, {})
    }).pipe(Effect.provide(signedIn))
  )
})

describe("conformance: the fake as a web handler", () => {
  it.effect("answers a plain Request with a plain Response, no Effect needed", () =>
    Effect.promise(async () => {
      const fake = makeHandler()
      const headers = {
        "X-Plex-Token": fake.mintToken(),
        "X-Plex-Client-Identifier": "conformance",
        Accept: "application/json"
      }
      const response = await fake.handler(new Request(`${fake.plexTvUrl}/api/v2/user`, { headers }))
      assert.strictEqual(response.status, 200)
      const account = (await response.json()) as { username: string }
      assert.strictEqual(account.username, FakePlex.defaults.username)
    })
  )
})

describe("conformance: duration options", () => {
  it.effect("a negative duration, as a number or a string, is InvalidInput before any request", () =>
    Effect.gen(function* () {
      const [server] = yield* Resources.servers()
      yield* (yield* FakePlex.FakePlex).clearRequests
      for (const negative of [-1, "-1 seconds", "-5 millis"] as const) {
        // Made void: should one succeed, the test fails on a plain value (a checker does not serialise).
        const grace = yield* Effect.flip(Effect.asVoid(Resources.connect(server!, { grace: negative })))
        assert.strictEqual(grace._tag, "InvalidInput", String(negative))
        const ttl = yield* Effect.flip(
          Effect.asVoid(ServerAccess.makeChecker(FakePlex.defaults.serverId, { ttl: negative }))
        )
        assert.deepStrictEqual(fieldsOf(ttl), {
          _tag: "InvalidInput",
          field: "ttl",
          operation: "ServerAccess.makeChecker",
          reason: "must be a duration of zero or more"
        })
      }
      assert.deepStrictEqual(yield* FakePlex.requests, [])
    }).pipe(Effect.provide(signedIn))
  )
})

describe("conformance: plain functions given what untyped JavaScript passes", () => {
  const untyped = <A>(value: unknown): A => value as A
  /** What `f` threw: an `InvalidInput`'s operation and field, anything else as it is. */
  const thrown = (f: () => unknown): unknown => {
    try {
      f()
    } catch (error) {
      return error instanceof PlexError.InvalidInput ? [error.operation, error.field] : error
    }
    return "nothing thrown"
  }

  it("Resources.candidates and preferring throw InvalidInput, never a TypeError", () => {
    const device = untyped<Resources.Device>({ connections: [] })
    const cases: ReadonlyArray<readonly [string, string, () => unknown]> = [
      ["Resources.candidates", "device", () => Resources.candidates(untyped(null))],
      ["Resources.candidates", "connections", () => Resources.candidates(untyped({}))],
      ["Resources.candidates", "connections", () => Resources.candidates(untyped({ connections: [null] }))],
      ["Resources.candidates", "options", () => Resources.candidates(device, untyped(null))],
      ["Resources.candidates", "rank", () => Resources.candidates(device, untyped({ rank: "local" }))],
      // As Resources.connect refuses them: "no" was read as true (HTTPS only; local connections tried).
      ["Resources.candidates", "httpsOnly", () => Resources.candidates(device, untyped({ httpsOnly: "no" }))],
      [
        "Resources.candidates",
        "includeLocal",
        () => Resources.candidates(device, untyped({ includeLocal: "no" }))
      ],
      ["Resources.preferring", "options", () => Resources.preferring(untyped(null))],
      ["Resources.preferring", "locations", () => Resources.preferring(untyped({ locations: "local" }))],
      ["Resources.preferring", "protocols", () => Resources.preferring(untyped({ protocols: 42 }))]
    ]
    for (const [operation, field, f] of cases) assert.deepStrictEqual(thrown(f), [operation, field])
    assert.deepStrictEqual(Resources.candidates(device), [])
  })

  it("Jwt.exportKey, Home.findUser, ServerAccess.accessIn and usersOf throw InvalidInput, never a TypeError", () => {
    const cases: ReadonlyArray<readonly [string, string, () => unknown]> = [
      ["Jwt.exportKey", "key", () => Jwt.exportKey(untyped(null))],
      ["Jwt.exportKey", "key", () => Jwt.exportKey(untyped({ jwk: {} }))],
      ["Home.findUser", "list", () => Home.findUser(untyped(null), "alice")],
      ["ServerAccess.accessIn", "devices", () => ServerAccess.accessIn(untyped(undefined), "machine")],
      ["ServerAccess.usersOf", "list", () => ServerAccess.usersOf(untyped({}), "machine")],
      // Arrays holding what is not a user, a device or a friend died with a TypeError.
      ["Home.findUser", "list", () => Home.findUser(untyped([null]), "alice")],
      ["ServerAccess.accessIn", "devices", () => ServerAccess.accessIn(untyped([null]), "machine")],
      ["ServerAccess.usersOf", "list", () => ServerAccess.usersOf(untyped([null]), "machine")]
    ]
    for (const [operation, field, f] of cases) assert.deepStrictEqual(thrown(f), [operation, field])
    assert.strictEqual(Home.findUser([], "alice"), undefined)
    assert.deepStrictEqual(ServerAccess.usersOf([], "machine"), [])
    // Entries of another shape match nothing: no TypeError.
    assert.deepStrictEqual(ServerAccess.usersOf(untyped([{ id: 1, servers: null }]), "machine"), [])
    assert.strictEqual(
      ServerAccess.accessIn(untyped([{ clientIdentifier: "machine" }]), "machine")._tag,
      "NoAccess"
    )
    assert.strictEqual(Home.findUser(untyped([{ id: 1, uuid: "u", title: 5 }]), "alice"), undefined)
  })

  it("ServerAccess.accessIn reads a device's owned and home as Plex spells a boolean, not by truthiness", () => {
    const device = (fields: Record<string, unknown>) =>
      untyped<ReadonlyArray<Resources.Device>>([
        { clientIdentifier: "machine", provides: "server", ...fields }
      ])
    const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
      // A device made by hand (or kept from untyped JavaScript) whose owned says no is not the user's own server.
      [{ owned: "no" }, "Shared"],
      [{ owned: "0" }, "Shared"],
      [{ owned: "false" }, "Shared"],
      [{ owned: 0 }, "Shared"],
      [{ owned: "no", home: "1" }, "HomeMember"],
      [{ owned: "0", home: "no" }, "Shared"],
      // What a decoded device gives (XML "1"/"0", JSON booleans) reads the same.
      [{ owned: "1" }, "Owner"],
      [{ owned: 1 }, "Owner"],
      [{ owned: "true" }, "Owner"],
      [{ owned: true, home: true }, "Owner"],
      [{ owned: false, home: true }, "HomeMember"],
      [{ owned: false, home: 1 }, "HomeMember"],
      [{ owned: false, home: false }, "Shared"]
    ]
    for (const [fields, tag] of cases) {
      assert.strictEqual(ServerAccess.accessIn(device(fields), "machine")._tag, tag, JSON.stringify(fields))
    }
  })

  it("ServerClient.mediaUrl and mediaUrlWithToken throw InvalidInput, never a TypeError", () => {
    const connection = { uri: "http://192.168.1.10:32400", token: Redacted.make("server-token") }
    const cases: ReadonlyArray<readonly [string, string, () => unknown]> = [
      ["ServerClient.mediaUrl", "connection", () => ServerClient.mediaUrl(untyped(null), "/a")],
      ["ServerClient.mediaUrl", "uri", () => ServerClient.mediaUrl(untyped({}), "/a")],
      ["ServerClient.mediaUrl", "uri", () => ServerClient.mediaUrl({ uri: "not a url" }, "/a")],
      ["ServerClient.mediaUrl", "path", () => ServerClient.mediaUrl(connection, untyped(42))],
      // The URL parser would drop the line feed: another path.
      ["ServerClient.mediaUrl", "path", () => ServerClient.mediaUrl(connection, "/library\n/parts/1")],
      ["ServerClient.mediaUrl", "params", () => ServerClient.mediaUrl(connection, "/a", untyped(null))],
      [
        "ServerClient.mediaUrlWithToken",
        "connection",
        () => ServerClient.mediaUrlWithToken(untyped(null), "/a")
      ],
      [
        "ServerClient.mediaUrlWithToken",
        "token",
        () => ServerClient.mediaUrlWithToken(untyped({ uri: connection.uri, token: "t" }), "/a")
      ]
    ]
    for (const [operation, field, f] of cases) assert.deepStrictEqual(thrown(f), [operation, field])
    assert.strictEqual(ServerClient.mediaUrl(connection, "a", { x: "1" }), "http://192.168.1.10:32400/a?x=1")
  })

  it("ServerClient.mediaUrl and mediaUrlWithToken refuse a uri ServerClient.make refuses", () => {
    // They built a URL on any absolute uri: another scheme (`javascript:`, `file:`), credentials, or a query or
    // fragment the path was then glued into (`http://h/?a=1` + `/p` is a query `a=1/p`; with a fragment the
    // token went to the server's root).
    const token = Redacted.make("server-token")
    for (const uri of [
      "javascript:alert(1)//",
      "file:///srv/media",
      "ftp://192.168.1.10",
      "http://user:pw@192.168.1.10:32400",
      "http://192.168.1.10:32400/?a=1",
      "http://192.168.1.10:32400#top",
      // Plex Web's address, as a browser shows it: refused, saying the server's (ServerClient.make's too, below).
      "http://192.168.1.10:32400/web/index.html"
    ]) {
      assert.deepStrictEqual(
        thrown(() => ServerClient.mediaUrl({ uri }, "/p")),
        ["ServerClient.mediaUrl", "uri"],
        uri
      )
      assert.deepStrictEqual(
        thrown(() => ServerClient.mediaUrlWithToken({ uri, token }, "/p")),
        ["ServerClient.mediaUrlWithToken", "uri"],
        uri
      )
    }
    // A path prefix (a reverse proxy) and a trailing slash stay fine.
    assert.strictEqual(
      ServerClient.mediaUrl({ uri: "https://example.org/plex/" }, "/p"),
      "https://example.org/plex/p"
    )
  })

  it.effect("ServerClient.make refuses Plex Web's address (copied from a browser), saying the server's", () =>
    Effect.gen(function* () {
      const refused = yield* Effect.flip(
        ServerClient.make({
          uri: "http://192.168.1.10:32400/web/index.html#!/",
          token: Redacted.make("server-token")
        })
      )
      assert.deepStrictEqual(
        [refused.operation, refused.field, refused.reason],
        [
          "ServerClient.make",
          "uri",
          "is Plex Web's address, not the server's: give http://192.168.1.10:32400"
        ]
      )
    }).pipe(Effect.provide(signedIn))
  )
})

describe("conformance: error messages", () => {
  it("the connection errors' and the web sign-in errors' messages", () => {
    const attempt = new Resources.ConnectionAttempt({
      uri: "http://192.0.2.10:32400",
      location: "local",
      protocol: "http",
      outcome: "Failed",
      millis: 12,
      reason: "NetworkError/Timeout"
    })
    const unreachable = new Resources.NoReachableConnection({
      operation: "Resources.connect",
      server: "Den",
      clientIdentifier: "abc",
      attempts: [attempt]
    })
    assert.strictEqual(
      unreachable.message,
      'Resources.connect: no connection to "Den" (abc) answered: http://192.0.2.10:32400 (local): NetworkError/Timeout'
    )
    assert.strictEqual(
      new Resources.ServerNotFound({ operation: "Resources.connectByName", server: "Den", available: [] })
        .message,
      'Resources.connectByName: the account has no server "Den" (it has: none)'
    )
    assert.strictEqual(
      new WebSignIn.AccessDenied({ username: "bob" }).message,
      "WebSignIn: bob has no access to the server"
    )
    assert.strictEqual(
      new WebSignIn.SignInNotStarted({ reason: "NoCookie" }).message,
      "WebSignIn.callback: no sign-in was started in this browser (NoCookie)"
    )
    assert.strictEqual(
      new WebSignIn.PlexUnavailable({ operation: "checkPin", failure: "NetworkError" }).message,
      "WebSignIn: plex.tv could not be asked (checkPin: NetworkError)"
    )
  })
})

describe("conformance: NoReachableConnection's message", () => {
  const LOCAL = "http://192.0.2.10:32400"
  const REMOTE = "http://198.51.100.10:32400"
  const RELAY = "http://203.0.113.10:8443"
  const den = FakePlex.layerSignedIn({
    servers: [
      {
        name: "Den",
        connections: [{ uri: RELAY, relay: true }, { uri: REMOTE }, { uri: LOCAL, local: true }]
      }
    ]
  })

  it.effect("says a cause the addresses share once, with the addresses; attempts keep each detail", () =>
    Effect.gen(function* () {
      const [server] = yield* Resources.servers()
      yield* FakePlex.fault({ origin: LOCAL }, Fault.refuse)
      yield* FakePlex.fault({ origin: REMOTE }, Fault.refuse)
      yield* FakePlex.fault({ origin: RELAY }, Fault.status(503))
      const error = yield* Effect.flip(Resources.connect(server!))
      assert.strictEqual(error._tag, "NoReachableConnection")
      if (error._tag !== "NoReachableConnection") return
      // Once for the two refused addresses, with each address where it stood; the 503 of the third as it is.
      assert.strictEqual(
        error.message,
        `Resources.connect: no connection to "Den" (${FakePlex.defaults.serverId}) answered: ` +
          `${LOCAL} (local), ${REMOTE} (remote): NetworkError/Transport (could not reach GET <address>/identity: ` +
          "the connection to <address> was refused: ECONNREFUSED: connect ECONNREFUSED <address>); " +
          `${RELAY} (relay): Unexpected/Status (unexpected response from GET ${RELAY}/identity (HTTP 503): ` +
          "unexpected status 503; try again later)"
      )
      // Each attempt keeps its own detail, its own address in it.
      assert.deepStrictEqual(
        error.attempts.map((a) => [a.uri, a.reason, a.detail]),
        [
          [
            LOCAL,
            "NetworkError/Transport",
            `Resources.connect: could not reach GET ${LOCAL}/identity: the connection to ${LOCAL} was refused: ` +
              "ECONNREFUSED: connect ECONNREFUSED 192.0.2.10:32400"
          ],
          [
            REMOTE,
            "NetworkError/Transport",
            `Resources.connect: could not reach GET ${REMOTE}/identity: the connection to ${REMOTE} was refused: ` +
              "ECONNREFUSED: connect ECONNREFUSED 198.51.100.10:32400"
          ],
          [
            RELAY,
            "Unexpected/Status",
            `Resources.connect: unexpected response from GET ${RELAY}/identity (HTTP 503): unexpected status 503; try again later`
          ]
        ]
      )
      assert.notInclude(error.message, Redacted.value(FakePlex.defaults.token))
    }).pipe(Effect.provide(den))
  )

  it("groups addresses as Node's errors write them: an IPv6 address without brackets, a name alone", () => {
    // The details as Node 20's fetch gave them for refused loopback ports and names that do not resolve.
    const failed = (uri: string, detail: string) =>
      new Resources.ConnectionAttempt({
        uri,
        location: "local",
        protocol: uri.startsWith("https:") ? "https" : "http",
        outcome: "Failed",
        millis: 3,
        reason: "NetworkError/Transport",
        detail: `Resources.connect: could not reach GET ${uri}/identity: fetch failed: ${detail}`
      })
    const error = new Resources.NoReachableConnection({
      operation: "Resources.connect",
      server: "Den",
      clientIdentifier: "abc",
      attempts: [
        failed("http://[::1]:39991", "ECONNREFUSED: connect ECONNREFUSED ::1:39991"),
        failed("http://[::1]:39994", "ECONNREFUSED: connect ECONNREFUSED ::1:39994"),
        failed("https://a.example:32400", "ENOTFOUND: getaddrinfo ENOTFOUND a.example"),
        failed("https://b.example:32400", "ENOTFOUND: getaddrinfo ENOTFOUND b.example")
      ]
    })
    assert.strictEqual(
      error.message,
      'Resources.connect: no connection to "Den" (abc) answered: ' +
        "http://[::1]:39991 (local), http://[::1]:39994 (local): NetworkError/Transport " +
        "(could not reach GET <address>/identity: fetch failed: ECONNREFUSED: connect ECONNREFUSED <address>); " +
        "https://a.example:32400 (local), https://b.example:32400 (local): NetworkError/Transport " +
        "(could not reach GET <address>/identity: fetch failed: ENOTFOUND: getaddrinfo ENOTFOUND <address>)"
    )
  })
})

describe("conformance: errors print the same in both editions", () => {
  const home = FakePlex.layerSignedIn({
    accounts: [{ username: "alice" }, { username: "kid", managed: true }],
    homes: [{ members: ["alice", "kid"] }]
  })

  // `name` is what `String(error)`, a stack's first line, Node's report of an uncaught error and Effect's
  // `Cause.pretty` print before the message: the error's `_tag` in both editions, never the schema identifier.
  it.effect("every error class's name is its _tag, and String(error) is '<_tag>: <message>'", () =>
    Effect.gen(function* () {
      const errors: ReadonlyArray<Error & { readonly _tag: string }> = [
        yield* Effect.flip(PlexAuth.signIn({ login: "", password: "x" })),
        yield* Effect.flip(PlexAuth.account().pipe(Credentials.withToken("refused-token"))),
        yield* Effect.flip(Link.link("ABCD")),
        yield* Effect.flip(PinLogin.check({ id: 424242 })),
        yield* Effect.flip(Home.switchUser("nobody")),
        yield* Effect.flip(Resources.connectByName("No Such Server")),
        new Resources.NoReachableConnection({
          operation: "Resources.connect",
          server: "Den",
          clientIdentifier: "abc",
          attempts: []
        }),
        new WebSignIn.AccessDenied({ username: "bob" }),
        new WebSignIn.SignInNotStarted({ reason: "NoCookie" })
      ]
      assert.deepStrictEqual(
        errors.map((error) => error._tag),
        [
          "InvalidInput",
          "Unauthorized",
          "NotFound",
          "PinExpired",
          "HomeUserNotFound",
          "ServerNotFound",
          "NoReachableConnection",
          "AccessDenied",
          "SignInNotStarted"
        ]
      )
      for (const error of errors) {
        assert.strictEqual(error.name, error._tag)
        assert.strictEqual(String(error), `${error._tag}: ${error.message}`)
        assert.isTrue(error.stack?.startsWith(`${error._tag}: ${error.message}`), error.stack)
      }
    }).pipe(Effect.provide(home))
  )
})
