/**
 * Conformance of the sign-in and token half (PlexAuth, PinLogin, Jwt, Credentials, ClientIdentity,
 * RetryPolicy, PlexError) through the public API alone, as the guides promise it. The same file runs on
 * both editions: effect4/test/conformance.auth.test.ts is this file with only the renames
 * test/api-parity.test.ts lists for test/conformance.test.ts, and that test fails if the two differ
 * otherwise.
 */
import { assert, describe } from "@effect/vitest"
import { KeyValueStore } from "@effect/platform"
import { Clock, Duration, Effect, Fiber, Layer, Redacted, Schedule } from "effect"
import { TestClock } from "effect"
import {
  Claim,
  ClientIdentity,
  Credentials,
  Jwt,
  PinLogin,
  PlexAuth,
  PlexError,
  PlexServer,
  PlexTv,
  Resources,
  RetryPolicy
} from "effect-plex-auth"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { it } from "./support/it.js"
import { layerPendingSleeps, PendingSleeps, whenSleeping } from "./Jwt/support.js"

const signedIn = FakePlex.layerSignedIn()

/** Fails unless `effect` fails with `InvalidInput` naming `operation` and `field`. */
const refused = <E, R>(operation: string, field: string, effect: Effect.Effect<unknown, E, R>) =>
  Effect.map(Effect.flip(Effect.asVoid(effect)), (error) => {
    assert.deepStrictEqual(error instanceof PlexError.InvalidInput ? [error.operation, error.field] : error, [
      operation,
      field
    ])
  })

describe("conformance (sign-in): bad input fails before any request", () => {
  it.effect(
    "PinLogin.login and Jwt.pinLogin refuse a forwardUrl that is not http(s) before creating a PIN",
    () =>
      Effect.gen(function* () {
        const login = yield* Effect.flip(
          PinLogin.login({ onPin: () => Effect.void, forwardUrl: "ftp://x.example/" })
        )
        assert.strictEqual(login._tag, "InvalidInput")
        if (login._tag !== "InvalidInput") return
        assert.strictEqual(login.operation, "PinLogin.login")
        assert.strictEqual(login.field, "forwardUrl")
        const key = yield* Jwt.generateKey
        const jwt = yield* Effect.flip(
          Jwt.pinLogin({ key, onPin: () => Effect.void, forwardUrl: "javascript:alert(1)" })
        )
        assert.strictEqual(jwt._tag, "InvalidInput")
        if (jwt._tag !== "InvalidInput") return
        assert.strictEqual(jwt.operation, "Jwt.pinLogin")
        assert.strictEqual(jwt.field, "forwardUrl")
        assert.deepStrictEqual(yield* FakePlex.requests, [])
      }).pipe(Effect.provide(signedIn))
  )
  it.effect(
    "PinLogin.authUrl's authAppUrl: the link is that page with the same #? fragment; without it, app.plex.tv's",
    () =>
      Effect.gen(function* () {
        const pin = { code: "ABCD" }
        const fragment =
          "#?clientID=my-test-client&code=ABCD&context%5Bdevice%5D%5Bproduct%5D=My+App" +
          "&context%5Bdevice%5D%5Bversion%5D=1.0&context%5Bdevice%5D%5Bplatform%5D=Node.js" +
          "&context%5Bdevice%5D%5BplatformVersion%5D=22&context%5Bdevice%5D%5Bdevice%5D=Linux" +
          "&context%5Bdevice%5D%5BdeviceName%5D=My+PC&forwardUrl=http%3A%2F%2Flocalhost%3A3000%2Fdone"
        const forwardUrl = "http://localhost:3000/done"
        assert.strictEqual(
          yield* PinLogin.authUrl(pin, { forwardUrl, authAppUrl: "http://127.0.0.1:8080/auth" }),
          `http://127.0.0.1:8080/auth${fragment}`
        )
        // A trailing slash is dropped, as WebSignIn's authAppUrl.
        assert.strictEqual(
          yield* PinLogin.authUrl(pin, { forwardUrl, authAppUrl: "http://127.0.0.1:8080/auth/" }),
          `http://127.0.0.1:8080/auth${fragment}`
        )
        assert.strictEqual(
          yield* PinLogin.authUrl(pin, { forwardUrl }),
          `https://app.plex.tv/auth${fragment}`
        )
      }).pipe(
        Effect.provide(
          ClientIdentity.layer({
            clientIdentifier: "my-test-client",
            product: "My App",
            version: "1.0",
            platform: "Node.js",
            platformVersion: "22",
            device: "Linux",
            deviceName: "My PC"
          })
        )
      )
  )
  it.effect(
    "PinLogin.authUrl, PinLogin.login and Jwt.pinLogin refuse an authAppUrl with a query, or not http(s), before creating a PIN",
    () =>
      Effect.gen(function* () {
        const reasons = (error: unknown) =>
          error instanceof PlexError.InvalidInput ? [error.operation, error.field, error.reason] : error
        const key = yield* Jwt.generateKey
        const withQuery = "http://127.0.0.1:8080/auth?x=1"
        const errors = [
          yield* Effect.flip(PinLogin.authUrl({ code: "ABCD" }, { authAppUrl: withQuery })),
          yield* Effect.flip(PinLogin.login({ onPin: () => Effect.void, authAppUrl: withQuery })),
          yield* Effect.flip(
            Jwt.pinLogin({ key, onPin: () => Effect.void, authAppUrl: "ftp://x.example/auth" })
          )
        ]
        assert.deepStrictEqual(errors.map(reasons), [
          ["PinLogin.authUrl", "authAppUrl", "must not have a query string or fragment"],
          ["PinLogin.login", "authAppUrl", "must not have a query string or fragment"],
          ["Jwt.pinLogin", "authAppUrl", "must use http or https, not ftp"]
        ])
        assert.deepStrictEqual(yield* FakePlex.requests, [])
      }).pipe(Effect.provide(signedIn))
  )
  it.effect(
    "a sign-in from untyped JavaScript: a login or password that is not a string is said to be one",
    () =>
      Effect.gen(function* () {
        const untyped = (input: unknown) => input as PlexAuth.SignInInput
        const login = yield* Effect.flip(PlexAuth.signIn(untyped({ login: 42, password: "p" })))
        const password = yield* Effect.flip(PlexAuth.signIn(untyped({ login: "alice", password: 42 })))
        const missing = yield* Effect.flip(PlexAuth.signIn(untyped({ password: "p" })))
        assert.deepStrictEqual(
          [login, password, missing].map((e) => (e._tag === "InvalidInput" ? [e.field, e.reason] : e._tag)),
          [
            ["login", "must be a string"],
            ["password", "must be a string"],
            ["login", "must not be empty"]
          ]
        )
        assert.deepStrictEqual(yield* FakePlex.requests, [])
      }).pipe(Effect.provide(signedIn))
  )
  it.effect(
    "a sign-in from untyped JavaScript whose input is no object (null, a string, a number) is said to need { login, password }, not a login (PlexAuth.signIn and Credentials.layerSignIn alike)",
    () =>
      Effect.gen(function* () {
        const untyped = (input: unknown) => input as PlexAuth.SignInInput
        for (const input of [null, undefined, "alice", 42, true]) {
          const error = yield* Effect.flip(PlexAuth.signIn(untyped(input)))
          assert.deepStrictEqual(
            error._tag === "InvalidInput" ? [error.field, error.message] : error._tag,
            ["input", "PlexAuth.signIn: invalid input: must be { login, password }"],
            String(input)
          )
          const layer = yield* Effect.flip(
            Effect.scoped(Layer.build(Credentials.layerSignIn(untyped(input))))
          )
          assert.deepStrictEqual(
            layer._tag === "InvalidInput" ? [layer.field, layer.message] : layer._tag,
            ["input", "Credentials.layerSignIn: invalid input: must be { login, password }"],
            String(input)
          )
        }
        assert.deepStrictEqual(yield* FakePlex.requests, [])
      }).pipe(Effect.provide(signedIn))
  )
  it.effect(
    "a negative or infinite duration option of PinLogin and Jwt is InvalidInput before any request",
    () =>
      Effect.gen(function* () {
        const key = yield* Jwt.generateKey
        const pin = yield* PinLogin.create()
        yield* (yield* FakePlex.FakePlex).clearRequests
        const onPin = () => Effect.void
        yield* refused("PinLogin.poll", "fallbackLifetime", PinLogin.poll(pin, { fallbackLifetime: -1 }))
        yield* refused(
          "PinLogin.login",
          "fallbackLifetime",
          PinLogin.login({ onPin, fallbackLifetime: "-5 minutes" })
        )
        yield* refused(
          "Jwt.pinLogin",
          "deviceJwtLifetime",
          Jwt.pinLogin({ key, onPin, deviceJwtLifetime: -1000 })
        )
        yield* refused(
          "Jwt.pinLogin",
          "fallbackLifetime",
          Jwt.pinLogin({ key, onPin, fallbackLifetime: Infinity })
        )
        yield* refused(
          "Jwt.makeCredentials",
          "refreshMargin",
          Jwt.makeCredentials({ key, refreshMargin: "-1 days" })
        )
        yield* refused(
          "Jwt.makeCredentials",
          "refreshMargin",
          Layer.build(Jwt.layer({ key, refreshMargin: -1 })).pipe(Effect.scoped)
        )
        yield* refused(
          "Jwt.layerStored",
          "refreshMargin",
          Layer.build(
            Jwt.layerStored({ obtain: () => Effect.never, refreshMargin: -1 }).pipe(
              Layer.provide(KeyValueStore.layerMemory)
            )
          ).pipe(Effect.scoped)
        )
        assert.deepStrictEqual(yield* FakePlex.requests, [])
        // Zero is a margin (refresh only once expired), and the defaults stay.
        yield* Effect.asVoid(Jwt.makeCredentials({ key, token: FakePlex.defaults.token, refreshMargin: 0 }))
      }).pipe(Effect.provide(signedIn), Effect.scoped)
  )
  it.effect("a Jwt lifetime or clockSkew option that cannot be used is InvalidInput before any request", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const token = FakePlex.defaults.token
      const verifyWith = (clockSkew: unknown) =>
        Jwt.verifyWith(token, { keys: [], binding: key, clockSkew: clockSkew as never })
      yield* refused("Jwt.signDeviceJwt", "lifetime", Jwt.signDeviceJwt(key, { nonce: "n", lifetime: -1 }))
      yield* refused(
        "Jwt.signDeviceJwt",
        "lifetime",
        Jwt.signDeviceJwt(key, { nonce: "n", lifetime: "soon" as never })
      )
      yield* refused("Jwt.deviceJwt", "lifetime", Jwt.deviceJwt(key, { lifetime: 0 }))
      yield* refused("Jwt.exchange", "lifetime", Jwt.exchange(key, { lifetime: "-5 minutes" }))
      yield* refused("Jwt.upgrade", "lifetime", Jwt.upgrade(key, { lifetime: Infinity }))
      yield* refused("Jwt.verify", "clockSkew", Jwt.verify(token, key, { clockSkew: -1 }))
      yield* refused("Jwt.verify", "clockSkew", Jwt.verify(token, key, { clockSkew: "soon" as never }))
      yield* refused("Jwt.verifyWith", "clockSkew", verifyWith(NaN))
      yield* refused("Jwt.verifyWith", "clockSkew", verifyWith("-1 seconds"))
      // Negative as nanoseconds or as [seconds, nanoseconds]: Effect 3 reads them as zero (a skew of none),
      // Effect 4 keeps the sign; both refuse them as written.
      yield* refused("Jwt.verifyWith", "clockSkew", verifyWith(-1n))
      yield* refused("Jwt.verifyWith", "clockSkew", verifyWith([-1, 0]))
      // An object of parts with a NaN one: Effect 4 read it as zero (a skew of none); Effect 3 decodes no object.
      yield* refused("Jwt.verifyWith", "clockSkew", verifyWith({ millis: Number.NaN }))
      yield* refused("Jwt.verifyWith", "clockSkew", verifyWith({ seconds: -1 }))
      assert.deepStrictEqual(yield* FakePlex.requests, [])
      // A clock skew of zero is none (the token is then checked as it stands), and a lifetime is a duration.
      assert.strictEqual((yield* Effect.flip(verifyWith(0)))._tag, "InvalidJwt")
      // [seconds, nanoseconds] is its sum: [1, -5] is a little under a second in both editions, not negative.
      assert.strictEqual((yield* Effect.flip(verifyWith([1, -5])))._tag, "InvalidJwt")
      yield* Jwt.signDeviceJwt(key, { nonce: "n", lifetime: "1 minute" })
    }).pipe(Effect.provide(signedIn))
  )
  it.effect("PinLogin.check and poll refuse a PIN id that is not a positive integer before any request", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      yield* (yield* FakePlex.FakePlex).clearRequests
      for (const id of [NaN, 1.5, -3, 0, Infinity, "12", undefined]) {
        yield* refused("PinLogin.check", "id", PinLogin.check({ id: id as never }))
        yield* refused("PinLogin.poll", "id", PinLogin.poll({ ...pin, id: id as never }))
      }
      assert.deepStrictEqual(yield* FakePlex.requests, [])
      assert.strictEqual((yield* PinLogin.check(pin)).id, pin.id)
    }).pipe(Effect.provide(signedIn))
  )
  it.effect(
    "Credentials.makeRefreshing refuses a cooldown that cannot be used before obtaining a token",
    () =>
      Effect.gen(function* () {
        let obtained = 0
        const obtain = Effect.sync(() => {
          obtained++
          return Redacted.make("fresh-token")
        })
        for (const cooldown of [-1, 0, Infinity, NaN, "-1 minutes", "soon"]) {
          yield* refused(
            "Credentials.makeRefreshing",
            "cooldown",
            Credentials.makeRefreshing({ obtain, cooldown: cooldown as never })
          )
        }
        assert.strictEqual(obtained, 0)
        const credentials = yield* Credentials.makeRefreshing({ obtain, cooldown: "30 seconds" })
        assert.strictEqual(Redacted.value(yield* credentials.token), "fresh-token")
        assert.strictEqual(obtained, 1)
      }).pipe(Effect.scoped)
  )
  it.effect(
    "null or missing options and arguments from untyped JavaScript are InvalidInput before any request",
    () =>
      Effect.gen(function* () {
        const key = yield* Jwt.generateKey
        const pin = yield* PinLogin.create()
        const token = FakePlex.defaults.token
        yield* (yield* FakePlex.FakePlex).clearRequests
        const untyped = <A>(value: unknown): A => value as A
        const onPin = () => Effect.void
        // Each built lazily: before the fix, some threw a TypeError while being built.
        const cases: ReadonlyArray<readonly [string, string, () => Effect.Effect<unknown, unknown, any>]> = [
          ["Claim.claimServer", "options", () => Claim.claimServer("http://127.0.0.1:32400", untyped(null))],
          [
            "PlexAuth.sourceConnectionInformation",
            "refresh",
            () => PlexAuth.sourceConnectionInformation(untyped({ source: "server://abc", refresh: "true" }))
          ],
          ["PinLogin.create", "options", () => PinLogin.create(untyped(null))],
          ["PinLogin.create", "strong", () => PinLogin.create(untyped({ strong: "false" }))],
          ["PinLogin.check", "pin", () => PinLogin.check(untyped(null))],
          ["PinLogin.check", "options", () => PinLogin.check(pin, untyped(null))],
          ["PinLogin.check", "deviceJwt", () => PinLogin.check(pin, untyped({ deviceJwt: "jwt" }))],
          ["PinLogin.poll", "pin", () => PinLogin.poll(untyped(null))],
          ["PinLogin.poll", "options", () => PinLogin.poll(pin, untyped(null))],
          ["PinLogin.poll", "schedule", () => PinLogin.poll(pin, untyped({ schedule: 1000 }))],
          ["PinLogin.poll", "deviceJwt", () => PinLogin.poll(pin, untyped({ deviceJwt: "jwt" }))],
          // A token that is not Redacted (a plain string: an encoded PIN's, or one built by hand) is not returned as it is.
          ["PinLogin.poll", "authToken", () => PinLogin.poll(untyped({ ...pin, authToken: "plain-token" }))],
          ["PinLogin.login", "options", () => PinLogin.login(untyped(null))],
          ["PinLogin.login", "onPin", () => PinLogin.login(untyped({}))],
          ["PinLogin.login", "schedule", () => PinLogin.login(untyped({ onPin, schedule: "1 second" }))],
          ["Jwt.pinLogin", "options", () => Jwt.pinLogin(untyped(null))],
          ["Jwt.pinLogin", "key", () => Jwt.pinLogin(untyped({ onPin }))],
          ["Jwt.pinLogin", "schedule", () => Jwt.pinLogin(untyped({ key, onPin, schedule: 1000 }))],
          ["Jwt.registerKey", "key", () => Jwt.registerKey(untyped(null))],
          ["Jwt.signDeviceJwt", "options", () => Jwt.signDeviceJwt(key, untyped(null))],
          ["Jwt.signDeviceJwt", "nonce", () => Jwt.signDeviceJwt(key, untyped({ nonce: 42 }))],
          ["Jwt.deviceJwt", "key", () => Jwt.deviceJwt(untyped(undefined))],
          ["Jwt.exchange", "key", () => Jwt.exchange(untyped({ thumbprint: "x" }))],
          ["Jwt.exchange", "options", () => Jwt.exchange(key, untyped(null))],
          ["Jwt.exchange", "scope", () => Jwt.exchange(key, untyped({ scope: 42 }))],
          ["Jwt.upgrade", "options", () => Jwt.upgrade(key, untyped("fast"))],
          ["Jwt.decode", "token", () => Jwt.decode(untyped(null))],
          ["Jwt.decode", "token", () => Jwt.decode(untyped(42))],
          ["Jwt.verify", "token", () => Jwt.verify(untyped(null), key)],
          ["Jwt.verify", "binding", () => Jwt.verify(token, untyped(null))],
          ["Jwt.verify", "options", () => Jwt.verify(token, key, untyped(null))],
          ["Jwt.verifyWith", "options", () => Jwt.verifyWith(token, untyped(null))],
          ["Jwt.verifyWith", "keys", () => Jwt.verifyWith(token, untyped({ binding: key }))],
          ["Credentials.makeRefreshing", "options", () => Credentials.makeRefreshing(untyped(null))],
          ["Credentials.makeRefreshing", "obtain", () => Credentials.makeRefreshing(untyped({}))],
          [
            "Credentials.makeRefreshing",
            "initial",
            () => Credentials.makeRefreshing({ initial: untyped("token"), obtain: Effect.never })
          ],
          [
            "Credentials.forgetStored",
            "key",
            () => Effect.provide(Credentials.forgetStored(untyped(42)), KeyValueStore.layerMemory)
          ],
          [
            "Jwt.forgetStored",
            "key",
            () => Effect.provide(Jwt.forgetStored(untyped(null)), KeyValueStore.layerMemory)
          ],
          ["Jwt.thumbprint", "jwk", () => Jwt.thumbprint(untyped(null))],
          ["Jwt.thumbprint", "x", () => Jwt.thumbprint(untyped({ kty: "OKP", crv: "Ed25519" }))],
          ["Jwt.createPin", "key", () => Jwt.createPin(untyped(null))],
          ["Jwt.createPin", "options", () => Jwt.createPin(key, untyped(null))],
          ["Jwt.createPin", "strong", () => Jwt.createPin(key, untyped({ strong: 1 }))],
          ["Jwt.makeCredentials", "options", () => Effect.scoped(Jwt.makeCredentials(untyped(null)))],
          ["Jwt.makeCredentials", "key", () => Effect.scoped(Jwt.makeCredentials(untyped({})))],
          [
            "Jwt.makeCredentials",
            "token",
            () => Effect.scoped(Jwt.makeCredentials({ key, token: untyped("jwt") }))
          ],
          [
            "Jwt.makeCredentials",
            "obtain",
            () => Effect.scoped(Jwt.makeCredentials({ key, obtain: untyped(() => Effect.never) }))
          ],
          ["Jwt.makeCredentials", "options", () => Effect.scoped(Layer.build(Jwt.layer(untyped(null))))],
          [
            "Jwt.layerStored",
            "options",
            () =>
              Effect.scoped(
                Layer.build(
                  Jwt.layerStored(untyped<Jwt.StoredOptions<never, never>>(null)).pipe(
                    Layer.provide(KeyValueStore.layerMemory)
                  )
                )
              )
          ],
          [
            "Jwt.layerStored",
            "obtain",
            () =>
              Effect.scoped(
                Layer.build(
                  Jwt.layerStored(untyped<Jwt.StoredOptions<never, never>>({})).pipe(
                    Layer.provide(KeyValueStore.layerMemory)
                  )
                )
              )
          ],
          ["PinLogin.authUrl", "pin", () => PinLogin.authUrl(untyped(null))],
          ["PinLogin.authUrl", "code", () => PinLogin.authUrl(untyped({}))],
          ["PinLogin.authUrl", "options", () => PinLogin.authUrl(pin, untyped(null))],
          [
            "Credentials.layerSignIn",
            "input",
            () => Effect.scoped(Layer.build(Credentials.layerSignIn(untyped(null))))
          ],
          [
            "Credentials.layerStored",
            "options",
            () =>
              Effect.scoped(
                Layer.build(
                  Credentials.layerStored<never, never>(untyped(null)).pipe(
                    Layer.provide(KeyValueStore.layerMemory)
                  )
                )
              )
          ],
          [
            "Credentials.layerStored",
            "obtain",
            () =>
              Effect.scoped(
                Layer.build(
                  Credentials.layerStored<never, never>(untyped({})).pipe(
                    Layer.provide(KeyValueStore.layerMemory)
                  )
                )
              )
          ],
          [
            "Credentials.layerConfig",
            "config",
            () => Effect.scoped(Layer.build(Credentials.layerConfig(untyped(null))))
          ],
          [
            "ClientIdentity.layerConfig",
            "config",
            () => Effect.scoped(Layer.build(ClientIdentity.layerConfig(untyped(42))))
          ],
          [
            "PlexServer.layerConfig",
            "config",
            () => Effect.scoped(Layer.build(PlexServer.layerConfig(untyped({}))))
          ],
          [
            "PlexTv.layerConfig",
            "config",
            () => Effect.scoped(Layer.build(PlexTv.layerConfig(untyped(null))))
          ],
          [
            "ClientIdentity.makePersisted",
            "input",
            () => Effect.provide(ClientIdentity.makePersisted(untyped(null)), KeyValueStore.layerMemory)
          ],
          [
            "ClientIdentity",
            "runtimeDefaults",
            () =>
              ClientIdentity.make(untyped({ clientIdentifier: "id", product: "p", runtimeDefaults: "false" }))
          ],
          [
            "ClientIdentity.makePersisted",
            "options",
            () =>
              Effect.provide(
                ClientIdentity.makePersisted({ product: "p" }, untyped(null)),
                KeyValueStore.layerMemory
              )
          ],
          [
            "RetryPolicy.make",
            "schedule",
            () =>
              PlexAuth.getTokenDetails().pipe(
                PlexAuth.withRetryPolicy(RetryPolicy.make<unknown>(untyped(null)))
              )
          ],
          [
            "RetryPolicy.make",
            "while",
            () =>
              Effect.scoped(
                Layer.build(RetryPolicy.layer(RetryPolicy.make(Schedule.recurs(1), untyped({ while: true }))))
              )
          ],
          ["RetryPolicy", "policy", () => Effect.scoped(Layer.build(RetryPolicy.layer(untyped(null))))],
          [
            "RetryPolicy",
            "policy",
            () => RetryPolicy.withPolicy(PlexAuth.getTokenDetails(), untyped(undefined))
          ],
          [
            "RetryPolicy",
            "policy",
            () => PlexAuth.getTokenDetails().pipe(PlexAuth.withRetryPolicy(untyped(42)))
          ]
        ]
        for (const [operation, field, build] of cases) {
          yield* refused(operation, field, Effect.suspend(build))
        }
        assert.deepStrictEqual(yield* FakePlex.requests, [])
      }).pipe(Effect.provide(signedIn))
  )
})

describe("conformance (sign-in): PIN polling", () => {
  it.effect("a PIN nobody approves ends with PinExpired of reason Expired when its lifetime has passed", () =>
    Effect.gen(function* () {
      // A short code lives 15 minutes on the fake, as on plex.tv; checked every minute, the last check falls
      // due at the very moment the lifetime ends: the poll's deadline decides, not which of the two runs first.
      const pin = yield* PinLogin.create({ strong: false })
      assert.strictEqual(pin.expiresIn, 900)
      const fiber = yield* Effect.fork(
        Effect.flip(PinLogin.poll(pin, { schedule: Schedule.spaced("1 minute") }))
      )
      // A minute at a time, each once the check is answered and the poll pauses (not while a check, its
      // 30-second timeout running, is in flight): the checks fall at whole minutes however slow the machine.
      for (let minute = 0; minute < 15; minute++) {
        yield* whenSleeping(fiber, ({ millis }) => millis === 60_000)
        yield* TestClock.adjust("1 minute")
      }
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "PinExpired")
      if (error._tag !== "PinExpired") return
      assert.strictEqual(error.reason, "Expired")
      assert.strictEqual(error.operation, "PinLogin.poll")
      assert.strictEqual(error.pinId, pin.id)
      assert.isUndefined(error.lastError)
      const checks = (yield* FakePlex.requests).filter((r) => r.route === "checkPin")
      assert.deepStrictEqual(
        checks.map((r) => [r.receivedAt, r.status]),
        Array.from({ length: 15 }, (_, i) => [i * 60_000, 200])
      )
    }).pipe(Effect.provide(Layer.merge(signedIn, layerPendingSleeps)))
  )
})

describe("conformance (sign-in): Retry-After", () => {
  it.effect(
    "a Retry-After past RetryPolicy.maxRetryAfter is not waited out: the RateLimited comes back at once",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("getTokenDetails", Fault.rateLimited("2 minutes"), { times: 1 })
        const fiber = yield* Effect.fork(
          Effect.flip(PlexAuth.getTokenDetails().pipe(RetryPolicy.withPolicy(RetryPolicy.backoff())))
        )
        yield* TestClock.adjust("1 millis")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "RateLimited")
        if (error._tag !== "RateLimited") return
        assert.strictEqual(error.retryAfterMillis, 120_000)

        const pin = yield* PinLogin.create()
        yield* FakePlex.fault("checkPin", Fault.rateLimited("2 minutes"), { times: 1 })
        const polled = yield* Effect.fork(Effect.flip(PinLogin.poll(pin)))
        yield* TestClock.adjust("1 millis")
        const refused = yield* Fiber.join(polled)
        assert.strictEqual(refused._tag, "RateLimited")
        const routes = (yield* FakePlex.requests).map((r) => r.route)
        assert.deepStrictEqual(routes, ["getTokenDetails", "createPin", "checkPin"])
      }).pipe(Effect.provide(signedIn))
  )

  it.effect(
    "RetryPolicy.backoff retries at the same times in both editions: its backoff, a Retry-After, maxElapsedTime and times",
    () =>
      Effect.gen(function* () {
        // Each request's own timeout is 17 minutes, a wait no retry here makes: the clock is moved to the next
        // retry's wait only, once the policy waits on it (never to a request's timeout while it is in flight).
        const timeoutMillis = 17 * 60_000
        const retried = (options: RetryPolicy.BackoffOptions, fault: Parameters<typeof FakePlex.fault>[1]) =>
          Effect.gen(function* () {
            yield* FakePlex.clearRequests
            yield* FakePlex.fault("getTokenDetails", fault, { times: 50 })
            const start = yield* Clock.currentTimeMillis
            const fiber = yield* Effect.fork(
              Effect.flip(
                PlexAuth.getTokenDetails().pipe(
                  PlexAuth.withRequestTimeout(timeoutMillis),
                  RetryPolicy.withPolicy(RetryPolicy.backoff(options))
                )
              )
            )
            const sleeps = yield* PendingSleeps
            while (true) {
              yield* whenSleeping(fiber, ({ millis }) => millis !== timeoutMillis)
              const now = yield* Clock.currentTimeMillis
              const next = sleeps
                .pending()
                .filter((sleep) => sleep.millis !== timeoutMillis && sleep.at > now)
              if (next.length === 0) break
              yield* TestClock.adjust(Math.min(...next.map((sleep) => sleep.at)) - now)
            }
            const error = yield* Fiber.join(fiber)
            yield* FakePlex.clearFaults
            const requests = yield* FakePlex.requests
            return [error._tag, ...requests.map((request) => request.receivedAt - start)]
          })
        const unavailable = Fault.status(503)
        // Waits of 1, 2 and 4 s, then one capped at 5 s: that retry starts at 12 s, when maxElapsedTime ends.
        assert.deepStrictEqual(
          yield* retried(
            {
              initialInterval: "1 second",
              exponent: 2,
              maxInterval: "5 seconds",
              maxElapsedTime: "12 seconds"
            },
            unavailable
          ),
          ["Unexpected", 0, 1_000, 3_000, 7_000, 12_000]
        )
        assert.deepStrictEqual(
          yield* retried(
            { initialInterval: "1 second", exponent: 1, maxElapsedTime: "3 seconds" },
            unavailable
          ),
          ["Unexpected", 0, 1_000, 2_000, 3_000]
        )
        assert.deepStrictEqual(yield* retried({ initialInterval: "1 second", times: 2 }, unavailable), [
          "Unexpected",
          0,
          1_000,
          2_500
        ])
        assert.deepStrictEqual(
          yield* retried({ initialInterval: "1 second", statusCodes: [500] }, unavailable),
          ["Unexpected", 0]
        )
        // A Retry-After longer than the backoff is waited out; the backoff still grows under it (1.5 times).
        assert.deepStrictEqual(
          yield* retried(
            { initialInterval: "1 second", maxElapsedTime: "20 seconds" },
            Fault.rateLimited("3 seconds")
          ),
          ["RateLimited", 0, 3_000, 6_000, 9_000, 12_375, 17_438]
        )
        assert.deepStrictEqual(
          yield* retried({ initialInterval: "1 second", times: 2 }, Fault.rateLimited("3 seconds")),
          ["RateLimited", 0, 3_000, 6_000]
        )
        // A Retry-After that ends after maxElapsedTime ends the retries; one that ends on it does not.
        assert.deepStrictEqual(
          yield* retried(
            { initialInterval: "1 second", maxElapsedTime: "12 seconds" },
            Fault.rateLimited("20 seconds")
          ),
          ["RateLimited", 0]
        )
        assert.deepStrictEqual(
          yield* retried(
            { initialInterval: "1 second", maxElapsedTime: "12 seconds" },
            Fault.rateLimited("12 seconds")
          ),
          ["RateLimited", 0, 12_000]
        )
        assert.deepStrictEqual(
          yield* retried(
            { initialInterval: "2 seconds", maxElapsedTime: "10 seconds" },
            Fault.rateLimited("0 seconds")
          ),
          ["RateLimited", 0, 2_000, 5_000, 9_500]
        )
      }).pipe(Effect.provide(Layer.merge(signedIn, layerPendingSleeps)))
  )
})

describe("conformance (sign-in): PlexError", () => {
  it("an error made by hand takes Plex's entries as plain objects, and codes() reads them", () => {
    const error = new PlexError.Unauthorized({
      operation: "PlexAuth.getTokenDetails",
      method: "GET",
      url: "https://plex.tv/api/v2/user",
      status: 401,
      errors: [{ code: 1001, message: "User could not be authenticated", status: 401 }]
    })
    assert.deepStrictEqual(PlexError.codes(error), [1001])
    assert.isTrue(PlexError.isUnauthorized(error))
    assert.strictEqual(
      error.message,
      "PlexAuth.getTokenDetails: not authorized (HTTP 401) (1001 User could not be authenticated); sign in again"
    )
    const limited = new PlexError.RateLimited({
      operation: "PinLogin.check",
      method: "GET",
      url: "https://plex.tv/api/v2/pins/1",
      status: 429,
      errors: [{ code: 1003 }],
      retryAfterMillis: 2000
    })
    assert.deepStrictEqual(PlexError.codes(limited), [1003])
    assert.strictEqual(Duration.toMillis(RetryPolicy.retryAfter(limited)!), 2000)
    const expired = new PlexError.PinExpired({
      operation: "PinLogin.check",
      pinId: 1,
      reason: "NotFound",
      errors: [{ code: 1020, message: "Code not found or expired", status: 404 }]
    })
    assert.deepStrictEqual(PlexError.codes(expired), [1020])
  })

  it("readers and guards never throw: codes, retryAfter, matches and isServer read what is not theirs as none", () => {
    const untyped = <A>(value: unknown): A => value as A
    const notErrors: ReadonlyArray<unknown> = [
      null,
      undefined,
      42,
      "RateLimited",
      {},
      { errors: null },
      { errors: [null, { code: "1001" }] },
      { _tag: "RateLimited", retryAfterMillis: "soon" },
      new Error("boom")
    ]
    for (const value of notErrors) {
      assert.deepStrictEqual(PlexError.codes(untyped(value)), [])
      assert.isUndefined(RetryPolicy.retryAfter(untyped(value)))
      assert.isFalse(RetryPolicy.matches(untyped(value)))
      assert.isFalse(Resources.isServer(untyped(value)))
    }
    assert.isTrue(Resources.isServer(untyped({ provides: "client,server" })))
    assert.isFalse(Resources.isServer(untyped({ provides: ["server"] })))
    // The options are the caller's own settings: of the wrong kind they are InvalidInput, never a TypeError.
    const limited = new PlexError.RateLimited({
      operation: "PlexAuth.getTokenDetails",
      method: "GET",
      url: "https://plex.tv/api/v2/user",
      status: 429,
      errors: []
    })
    assert.isTrue(RetryPolicy.matches(limited))
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [null, "options"],
      [42, "options"],
      [{ statusCodes: "429" }, "statusCodes"],
      [{ retryConnectionErrors: "no" }, "retryConnectionErrors"]
    ]
    for (const [options, field] of cases) {
      let thrown: unknown = "nothing thrown"
      try {
        RetryPolicy.matches(limited, untyped(options))
      } catch (error) {
        thrown = error instanceof PlexError.InvalidInput ? [error.operation, error.field] : error
      }
      assert.deepStrictEqual(thrown, ["RetryPolicy.matches", field])
    }
  })
})

describe("conformance (sign-in): re-authentication", () => {
  it.effect(
    "no new token: the refused call's Unauthorized says what obtain failed with (this library's tag, else Other; never its words)",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const secret = "in-the-vault-error-s3cr3t"
        // A refused token (revoked), and credentials that re-authenticate with `obtain`.
        const refusedWith = <E, R>(obtain: Effect.Effect<Redacted.Redacted<string>, E, R>) =>
          Effect.gen(function* () {
            const revoked = yield* fake.mintToken()
            yield* fake.revokeToken(revoked)
            const credentials = yield* Credentials.makeRefreshing({ initial: revoked, obtain })
            const error = yield* Effect.flip(
              PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, credentials))
            )
            assert.isTrue(PlexError.isUnauthorized(error))
            const refused = error as PlexError.Unauthorized
            for (const text of [refused.message, JSON.stringify(refused), String(refused)]) {
              assert.notInclude(text, secret)
              assert.notInclude(text, Redacted.value(revoked))
            }
            return [refused.reauthentication, refused.reauthenticationError, refused.message] as const
          }).pipe(Effect.scoped)
        const signIn = PlexAuth.postUsersSignInData({
          login: FakePlex.defaults.login,
          password: FakePlex.defaults.password
        }).pipe(Effect.map((account) => account.authToken))
        const prefix = "PlexAuth.getTokenDetails: not authorized (HTTP 422) (Invalid token); "

        // plex.tv answering the sign-in with a 503.
        yield* FakePlex.fault("postUsersSignInData", Fault.status(503), { times: 1 })
        assert.deepStrictEqual(yield* refusedWith(signIn), [
          "Failed",
          "Unexpected",
          `${prefix}re-authentication failed (Unexpected): sign in again`
        ])
        // plex.tv out of reach.
        yield* FakePlex.fault("postUsersSignInData", Fault.refuse, { times: 1 })
        assert.deepStrictEqual((yield* refusedWith(signIn)).slice(0, 2), ["Failed", "NetworkError"])
        // The password refused.
        const wrong = PlexAuth.postUsersSignInData({
          login: FakePlex.defaults.login,
          password: "not it"
        }).pipe(Effect.map((account) => account.authToken))
        assert.deepStrictEqual((yield* refusedWith(wrong)).slice(0, 2), ["Failed", "Unauthorized"])
        // A caller's own failure, whatever it holds (a tag and message of its own): only that it was another's.
        const own = Effect.fail({ _tag: `VaultLocked ${secret}`, message: secret })
        assert.deepStrictEqual(yield* refusedWith(own), [
          "Failed",
          "Other",
          `${prefix}re-authentication failed (Other): sign in again`
        ])
        // Within the cooldown that follows a failed attempt, none is made: the refusals say what that one failed with.
        const said = (credentials: Credentials.CredentialsService) =>
          Effect.map(
            Effect.flip(
              PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, credentials))
            ),
            (error) =>
              error._tag === "Unauthorized"
                ? [error.reauthentication, error.reauthenticationError, error.message]
                : [error._tag]
          )
        yield* FakePlex.fault("postUsersSignInData", Fault.status(503), { times: 1 })
        const failing = yield* Credentials.makeRefreshing({ initial: fake.token, obtain: signIn })
        yield* fake.revokeToken(fake.token)
        const because = `${prefix}re-authentication failed (Unexpected): sign in again`
        assert.deepStrictEqual(yield* said(failing), ["Failed", "Unexpected", because])
        assert.deepStrictEqual(yield* said(failing), ["CoolingDown", "Unexpected", because])
        // A refresh that hands back the refused token failed in nothing: the reason alone.
        const same = yield* Credentials.makeRefreshing({
          initial: fake.token,
          obtain: Effect.succeed(fake.token)
        })
        assert.deepStrictEqual(yield* said(same), [
          "SameToken",
          undefined,
          `${prefix}re-authentication failed: sign in again`
        ])
      }).pipe(Effect.scoped, Effect.provide(signedIn))
  )

  it.effect(
    "a Plex JWT whose device key plex.tv refuses at the refresh: Unauthorized, the exchange's own tag",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const key = yield* Jwt.generateKey
        const credentials = yield* Jwt.makeCredentials({
          key,
          obtain: Jwt.upgrade(key).pipe(Credentials.withToken(FakePlex.defaults.token))
        })
        yield* fake.revokeToken(yield* credentials.token)
        yield* FakePlex.fault("exchangeJwt", Fault.status(422, { message: "Signature verification failed" }))
        const error = yield* Effect.flip(
          PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, credentials))
        )
        assert.deepStrictEqual(
          error._tag === "Unauthorized" ? [error.reauthentication, error.reauthenticationError] : error,
          ["Failed", "Unauthorized"]
        )
      }).pipe(Effect.scoped, Effect.provide(signedIn))
  )
})

describe("conformance (sign-in): Credentials.layerSignIn", () => {
  it.effect("its failures are named after it, not after the PlexAuth function it signs in with", () =>
    Effect.gen(function* () {
      const build = (input: PlexAuth.SignInInput) =>
        Effect.flip(Effect.scoped(Layer.build(Credentials.layerSignIn(input))))
      const refused = yield* build({ login: FakePlex.defaults.login, password: "not the password" })
      assert.deepStrictEqual([refused._tag, refused.operation], ["Unauthorized", "Credentials.layerSignIn"])
      const invalid = yield* build({ login: "", password: "hunter2" })
      assert.deepStrictEqual([invalid._tag, invalid.operation], ["InvalidInput", "Credentials.layerSignIn"])
    }).pipe(Effect.provide(signedIn))
  )
})

describe("conformance (sign-in): on the wire", () => {
  it.effect(
    "a transient token is a POST /security/token?type=delegation&scope=all with the token in a header",
    () =>
      Effect.gen(function* () {
        const transient = yield* PlexAuth.transientToken()
        assert.isTrue(Redacted.isRedacted(transient.token))
        const [request] = yield* FakePlex.requests
        assert.strictEqual(request?.method, "POST")
        assert.strictEqual(request?.path, "/security/token")
        assert.deepStrictEqual(request?.query, { type: "delegation", scope: "all" })
        assert.isTrue(Redacted.isRedacted(request?.headers["x-plex-token"]))
      }).pipe(Effect.provide(signedIn))
  )
})
