/**
 * PIN login on Effect 4, against the shared fake Plex: create, the
 * app.plex.tv URL, polling (spacing, slow-down on 429, expiry, 404 code
 * 1020, interruption, transient failures) under the TestClock, and login.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { TestClock } from "effect/testing"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Jwt from "effect4-plex-auth/Jwt"
import * as PinLogin from "effect4-plex-auth/PinLogin"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { layerPendingSleeps, whenSleeping, whenWaiting } from "./Jwt/support.js"
import * as CliFailure from "../../src/core/cli/failure.js"

const identity = {
  clientIdentifier: "pin-test-client",
  product: "Plex Test Tool",
  version: "1.2.3",
  platform: "Node.js",
  deviceName: "Test Rig"
} as const

const env = (options: FakePlex.Options = {}) =>
  Layer.mergeAll(
    FakePlex.layer(options),
    ClientIdentity.layer(identity).pipe(Layer.orDie),
    layerPendingSleeps
  )

/** A PIN as create returned it, made on the fake. */
const created = (options: PinLogin.CreateOptions = {}) => PinLogin.create(options)

/** One turn of the event loop (no time passes on any clock): the fake's promises move on. */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** The fake's checks of PIN `id`, with their arrival times. */
const checks = (id: number) =>
  Effect.map(FakePlex.requests, (all) =>
    all.filter((r) => r.route === "checkPin" && r.path === `/api/v2/pins/${id}`)
  )

describe("create", () => {
  it.effect("POSTs /api/v2/pins?strong=true with the identity and no token", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      assert.isNumber(pin.id)
      assert.match(pin.code, /^[a-z0-9]{25}$/)
      assert.isUndefined(pin.authToken)
      assert.strictEqual(pin.expiresIn, 1800)
      const [request, ...rest] = yield* FakePlex.requests
      assert.strictEqual(rest.length, 0)
      assert.strictEqual(request?.method, "POST")
      assert.strictEqual(request?.path, "/api/v2/pins")
      assert.deepStrictEqual(request?.query, { strong: "true" })
      assert.strictEqual(request?.headers["x-plex-client-identifier"], identity.clientIdentifier)
      assert.strictEqual(request?.headers["accept"], "application/json")
      assert.isUndefined(request?.headers["x-plex-token"])
    }).pipe(Effect.provide(env()))
  )

  it.effect("strong: false asks for the short plex.tv/link code", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create({ strong: false })
      assert.match(pin.code, /^[A-Z0-9]{4}$/)
      const [request] = yield* FakePlex.requests
      assert.strictEqual(request?.query["strong"], "false")
    }).pipe(Effect.provide(env()))
  )
})

describe("authUrl", () => {
  it.effect("carries clientID, code, the identity as context[device][...] and forwardUrl", () =>
    Effect.gen(function* () {
      const url = yield* PinLogin.authUrl({ code: "ABCD" }, { forwardUrl: "https://app.example/done?x=1" })
      // The fake's sign-in page: FakePlex.layer makes it the default of a link given no authAppUrl.
      assert.isTrue(url.startsWith(`${FakePlex.defaults.authAppUrl}#?`), url)
      const params = new URLSearchParams(url.slice(url.indexOf("#?") + 2))
      assert.strictEqual(params.get("clientID"), identity.clientIdentifier)
      assert.strictEqual(params.get("code"), "ABCD")
      assert.strictEqual(params.get("context[device][product]"), identity.product)
      assert.strictEqual(params.get("context[device][version]"), identity.version)
      assert.strictEqual(params.get("context[device][platform]"), identity.platform)
      assert.strictEqual(params.get("context[device][deviceName]"), identity.deviceName)
      assert.strictEqual(params.get("forwardUrl"), "https://app.example/done?x=1")
      // brackets are percent-encoded in the URL itself
      assert.include(url, "context%5Bdevice%5D%5Bproduct%5D=")
      assert.notInclude(url, "context[device]")
    }).pipe(Effect.provide(env()))
  )

  it.effect("a forwardUrl that is not http(s) is InvalidInput", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        PinLogin.authUrl({ code: "ABCD" }, { forwardUrl: "javascript:alert(1)" })
      )
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(error.field, "forwardUrl")
    }).pipe(Effect.provide(env()))
  )
})

describe("the sign-in page from PLEX_AUTH_APP_URL", () => {
  const withVariable = (value: string) =>
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { PLEX_AUTH_APP_URL: value } })))

  it.effect(
    "authUrl: the variable's page when no authAppUrl is given; the option first; blank is unset",
    () =>
      Effect.gen(function* () {
        const page = "http://127.0.0.1:32401/auth"
        const url = yield* PinLogin.authUrl({ code: "ABCD" }).pipe(withVariable(page))
        assert.isTrue(url.startsWith(`${page}#?clientID=`), url)
        const given = yield* PinLogin.authUrl(
          { code: "ABCD" },
          { authAppUrl: "http://localhost:9/auth" }
        ).pipe(withVariable(page))
        assert.isTrue(given.startsWith("http://localhost:9/auth#?"), given)
        const blank = yield* PinLogin.authUrl({ code: "ABCD" }).pipe(withVariable("  "))
        assert.isTrue(blank.startsWith("https://app.plex.tv/auth#?"), blank)
        const malformed = yield* Effect.flip(
          PinLogin.authUrl({ code: "ABCD" }).pipe(withVariable("ftp://x/auth"))
        )
        assert.strictEqual(malformed._tag, "InvalidInput")
        assert.strictEqual(malformed.field, "PLEX_AUTH_APP_URL")
      }).pipe(Effect.provide(env()))
  )

  it.effect(
    "login and Jwt.pinLogin against the fake: onPin's link is its page; a malformed one fails before any request",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const urls: Array<string> = []
        const onPin = ({ url }: { readonly url: string }) => Effect.sync(() => void urls.push(url))
        yield* PinLogin.login({ onPin }).pipe(withVariable(fake.authAppUrl))
        const key = yield* Jwt.generateKey
        yield* Jwt.pinLogin({ key, onPin }).pipe(withVariable(fake.authAppUrl))
        assert.strictEqual(urls.length, 2)
        for (const url of urls) assert.isTrue(url.startsWith(`${fake.authAppUrl}#?clientID=`), url)
        yield* FakePlex.clearRequests
        const malformed = withVariable("http://127.0.0.1:32401/auth?x=1")
        const refusals = [
          yield* Effect.flip(PinLogin.login({ onPin }).pipe(malformed)),
          yield* Effect.flip(Jwt.pinLogin({ key, onPin }).pipe(malformed))
        ]
        for (const error of refusals) {
          assert.strictEqual(error._tag, "InvalidInput")
          if (error._tag === "InvalidInput") assert.strictEqual(error.field, "PLEX_AUTH_APP_URL")
        }
        assert.deepStrictEqual(yield* FakePlex.requests, [])
      }).pipe(Effect.provide(FakePlex.layerSignedIn({ autoApprovePins: true })))
  )
})

describe("poll", () => {
  it.effect("asks once a second until the PIN carries a token, and returns it Redacted", () =>
    Effect.gen(function* () {
      const pin = yield* created()
      const fiber = yield* Effect.forkChild(PinLogin.poll(pin))
      // The first check answered at 0 and the poll pausing: then the clock moves.
      yield* whenWaiting(fiber, "1 second")
      yield* TestClock.adjust("10 seconds")
      const token = yield* Fiber.join(fiber)
      assert.isTrue(Redacted.isRedacted(token))
      const [approved] = yield* Effect.flatMap(Effect.service(FakePlex.FakePlex), (fake) => fake.pins)
      assert.strictEqual(Redacted.value(token), approved?.authToken && Redacted.value(approved.authToken))
      const seen = yield* checks(pin.id)
      assert.deepStrictEqual(
        seen.map((r) => r.receivedAt),
        [0, 1000, 2000]
      )
      for (const request of seen) assert.strictEqual(request.method, "GET")
    }).pipe(Effect.provide(env({ autoApprovePins: { after: "2 seconds" } })))
  )

  it.effect("404 code 1020 is PinExpired (NotFound) at once", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(PinLogin.poll({ id: 4242, code: "gone" }))
      assert.strictEqual(error._tag, "PinExpired")
      if (error._tag !== "PinExpired") return
      assert.strictEqual(error.reason, "NotFound")
      assert.strictEqual(error.pinId, 4242)
      assert.deepStrictEqual(
        error.errors.map((e) => e.code),
        [1020]
      )
      assert.strictEqual((yield* checks(4242)).length, 1)
      // plex-auth's words (exit 4): plex.tv no longer knows it, not "expired before it was approved" (it may have been).
      assert.strictEqual(
        CliFailure.failureOf(error).message,
        "plex.tv no longer knows the PIN (it expired there or was removed). Run `plex-auth login` again."
      )
      assert.strictEqual(CliFailure.failureOf(error).exitCode, 4)
    }).pipe(Effect.provide(env()))
  )

  it.effect("gives up with PinExpired (Expired) when the PIN's lifetime has passed", () =>
    Effect.gen(function* () {
      const pin = yield* created()
      const fiber = yield* Effect.forkChild(Effect.flip(PinLogin.poll({ ...pin, expiresIn: 5 })))
      yield* whenWaiting(fiber, "1 second")
      yield* TestClock.adjust("4999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag === "PinExpired" && error.reason, "Expired")
      const count = (yield* checks(pin.id)).length
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* checks(pin.id)).length, count, "no request after giving up")
    }).pipe(Effect.provide(env()))
  )

  it.effect(
    "a PIN that expires while every check failed on the network is PinExpired (Unreachable), with the last error",
    () =>
      Effect.gen(function* () {
        const pin = yield* created()
        yield* FakePlex.fault("checkPin", Fault.reset)
        const fiber = yield* Effect.forkChild(Effect.flip(PinLogin.poll({ ...pin, expiresIn: 60 })))
        yield* TestClock.adjust("61 seconds")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "PinExpired")
        if (error._tag !== "PinExpired") return
        assert.strictEqual(error.reason, "Unreachable")
        assert.strictEqual(error.lastError?._tag, "NetworkError")
        assert.match(error.message, /could not be reached/)
        assert.strictEqual(
          CliFailure.failureOf(error).message,
          "The PIN expired while plex.tv could not be reached to check it. Run `plex-auth login` again."
        )
        assert.isAtLeast((yield* checks(pin.id)).length, 3, "it kept asking, more slowly")
      }).pipe(Effect.provide(env()))
  )

  it.effect(
    "a PIN that expires while every check's answer was cut off is PinExpired (Unreachable), not said unreachable",
    () =>
      Effect.gen(function* () {
        const pin = yield* created()
        yield* FakePlex.fault("checkPin", Fault.truncate())
        const fiber = yield* Effect.forkChild(Effect.flip(PinLogin.poll({ ...pin, expiresIn: 60 })))
        yield* TestClock.adjust("61 seconds")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "PinExpired")
        if (error._tag !== "PinExpired") return
        // No usable answer (the reason stays), but plex.tv answered each check: its words do not send the user
        // looking for a network problem.
        assert.strictEqual(error.reason, "Unreachable")
        assert.strictEqual(error.lastError?._tag === "NetworkError" && error.lastError.status, 200)
        assert.notMatch(error.message, /could not be reached/)
        assert.match(error.message, /PIN \d+ expired while no check got a usable answer from plex\.tv/)
        assert.match(error.message, /last check: .*the body was cut off in an answer \(HTTP 200\)/)
        // plex-auth's words (exit 4) likewise.
        assert.strictEqual(
          CliFailure.failureOf(error).message,
          "The PIN expired while no check got a usable answer from plex.tv. Run `plex-auth login` again."
        )
        assert.isAtLeast((yield* checks(pin.id)).length, 3, "it kept asking, more slowly")
      }).pipe(Effect.provide(env()))
  )

  it.effect(
    "a PIN that expires while every check timed out, its answer's body arriving, is PinExpired (Unreachable), not said unreachable",
    () =>
      Effect.gen(function* () {
        const pin = yield* created()
        // A 200 whose body never ends: each check's per-attempt timeout hits while it arrives.
        yield* FakePlex.fault(
          "checkPin",
          Fault.respond(() =>
            Effect.succeed(
              new Response(
                new ReadableStream<Uint8Array>({
                  start: (controller) => controller.enqueue(new TextEncoder().encode('{"partial":'))
                }),
                { status: 200, headers: { "content-type": "application/json" } }
              )
            )
          )
        )
        const fiber = yield* Effect.forkChild(Effect.flip(PinLogin.poll({ ...pin, expiresIn: 60 })))
        yield* TestClock.adjust("61 seconds")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "PinExpired")
        if (error._tag !== "PinExpired") return
        // plex.tv answered (a 200's body still arriving) when the per-attempt timeout hit: its NetworkError has no
        // status, as a timeout with no answer at all. The words are true of both: not "could not be reached".
        assert.strictEqual(error.reason, "Unreachable")
        assert.strictEqual(error.lastError?._tag === "NetworkError" && error.lastError.reason, "Timeout")
        assert.strictEqual(error.lastError?.status, undefined)
        assert.notMatch(error.message, /could not be reached/)
        assert.match(
          error.message,
          /PIN \d+ expired while no check got a usable answer from plex\.tv \(last check: .*timed out/
        )
        assert.strictEqual(
          CliFailure.failureOf(error).message,
          "The PIN expired while no check got a usable answer from plex.tv. Run `plex-auth login` again."
        )
      }).pipe(Effect.provide(env()))
  )

  it.effect("a PIN that expires after an answer, then 5xx, is Expired and carries the last failure", () =>
    Effect.gen(function* () {
      const pin = yield* created()
      const fiber = yield* Effect.forkChild(Effect.flip(PinLogin.poll({ ...pin, expiresIn: 30 })))
      // The first check answered and the poll pausing: the faults are for the checks after it.
      yield* whenWaiting(fiber, "1 second")
      yield* TestClock.adjust("500 millis")
      yield* FakePlex.fault("checkPin", Fault.status(503))
      yield* TestClock.adjust("31 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag === "PinExpired" && error.reason, "Expired")
      assert.strictEqual(error._tag === "PinExpired" && error.lastError?._tag, "Unexpected")
      // The library's words likewise: not "expired before it was approved" (an approval since the first answer
      // would not have been seen), and what the last check met.
      assert.match(
        error.message,
        /^PinLogin\.poll: PIN \d+ expired while its last check got no usable answer from plex\.tv \(last check: .*HTTP 503/
      )
      // And what to do, as every refusal says it: once. Not also the last check's own "try again later" (its
      // request, for a PIN that has expired since), which said two things to do, the one not true.
      assert.match(error.message, /\(HTTP 503\)[^;]*\); create a new PIN to try again$/)
      assert.notInclude(error.message, "try again later")
      // plex-auth's words (exit 4): the last check got a 503, so an approval after the first answer was not seen.
      assert.strictEqual(
        error._tag === "PinExpired" && CliFailure.failureOf(error).message,
        "The PIN expired while its last check got no usable answer from plex.tv. Run `plex-auth login` again."
      )
    }).pipe(Effect.provide(env()))
  )

  it.effect("a PIN that expires after a 5xx whose own words say 'try again later' keeps those words", () =>
    Effect.gen(function* () {
      const pin = yield* created()
      const fiber = yield* Effect.forkChild(Effect.flip(PinLogin.poll({ ...pin, expiresIn: 30 })))
      yield* whenWaiting(fiber, "1 second")
      yield* TestClock.adjust("500 millis")
      yield* FakePlex.fault(
        "checkPin",
        Fault.status(503, { code: 1001, message: "Maintenance; try again later" })
      )
      yield* TestClock.adjust("31 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag === "PinExpired" && error.lastError?._tag, "Unexpected")
      // The server's text is quoted as it came; only the last check's own advice, at its end, is left out.
      assert.match(
        error.message,
        /\(HTTP 503\)[^)]*\(1001 Maintenance; try again later\)\); create a new PIN to try again$/
      )
    }).pipe(Effect.provide(env()))
  )

  it.effect("slows down when rate limited (429 code 1003), honouring Retry-After", () =>
    Effect.gen(function* () {
      const pin = yield* created()
      const fiber = yield* Effect.forkChild(PinLogin.poll(pin))
      // The first check answered and the poll pausing: the faults are for the checks after it.
      yield* whenWaiting(fiber, "1 second")
      yield* TestClock.adjust("500 millis")
      // 1 s: 429 with Retry-After 10 s; 11 s: 429 without (backoff 4 s); 15 s: approved
      yield* FakePlex.fault("checkPin", Fault.rateLimited("10 seconds"), { times: 1 })
      yield* FakePlex.fault("checkPin", Fault.status(429), { times: 1 })
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(
        (yield* checks(pin.id)).map((r) => [r.receivedAt, r.status]),
        [
          [0, 200],
          [1000, 429],
          [11_000, 429],
          [15_000, 200]
        ]
      )
    }).pipe(Effect.provide(env({ autoApprovePins: { after: "12 seconds" } })))
  )

  it.effect("interrupting stops polling with no request in flight", () =>
    Effect.gen(function* () {
      const pin = yield* created()
      const fiber = yield* Effect.forkChild(PinLogin.poll(pin))
      // The first check answered and the poll pausing: the faults are for the checks after it.
      yield* whenWaiting(fiber, "1 second")
      yield* TestClock.adjust("500 millis")
      yield* FakePlex.fault("checkPin", Fault.hang)
      yield* TestClock.adjust("500 millis")
      // the second check hangs; interrupt while it is in flight (once the fake has it)
      while ((yield* checks(pin.id)).length < 2) yield* turn
      yield* Fiber.interrupt(fiber)
      const seen = yield* checks(pin.id)
      assert.deepStrictEqual(
        seen.map((r) => r.outcome),
        ["Responded", "Interrupted"]
      )
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* checks(pin.id)).length, 2)
    }).pipe(Effect.provide(env()))
  )

  it.effect("a PIN that already carries a token needs no request", () =>
    Effect.gen(function* () {
      const token = yield* PinLogin.poll({ id: 1, code: "x", authToken: Redacted.make("already") })
      assert.strictEqual(Redacted.value(token), "already")
      assert.strictEqual((yield* FakePlex.requests).length, 0)
    }).pipe(Effect.provide(env()))
  )

  it.effect(
    "a PIN as plex.tv answers it (authToken: null, not approved) is polled, not taken as approved with null",
    () =>
      Effect.gen(function* () {
        const pin = yield* created()
        // From untyped JavaScript: plex.tv's own answer, read without this library (or restored from storage).
        const fiber = yield* Effect.forkChild(
          PinLogin.poll({ ...pin, authToken: null } as unknown as PinLogin.Pin)
        )
        yield* whenWaiting(fiber, "1 second")
        yield* TestClock.adjust("10 seconds")
        const token = yield* Fiber.join(fiber)
        const [approved] = yield* Effect.flatMap(Effect.service(FakePlex.FakePlex), (fake) => fake.pins)
        assert.strictEqual(Redacted.value(token), approved?.authToken && Redacted.value(approved.authToken))
        assert.deepStrictEqual(
          (yield* checks(pin.id)).map((r) => r.receivedAt),
          [0, 1000, 2000]
        )
      }).pipe(Effect.provide(env({ autoApprovePins: { after: "2 seconds" } })))
  )

  it.effect("a 502 and a dropped connection while polling do not end the login", () =>
    Effect.gen(function* () {
      const pin = yield* created()
      const fiber = yield* Effect.forkChild(PinLogin.poll(pin))
      // The first check answered and the poll pausing: the faults are for the checks after it.
      yield* whenWaiting(fiber, "1 second")
      yield* TestClock.adjust("500 millis")
      yield* FakePlex.fault("checkPin", Fault.status(502), { times: 1 })
      yield* FakePlex.fault("checkPin", Fault.reset, { times: 1 })
      yield* TestClock.adjust("1 minute")
      const token = yield* Fiber.join(fiber)
      const fake = yield* Effect.service(FakePlex.FakePlex)
      assert.isTrue(yield* fake.isTokenValid(token))
      assert.deepStrictEqual(
        (yield* checks(pin.id)).map((r) => r.outcome),
        ["Responded", "Responded", "Reset", "Responded"]
      )
    }).pipe(Effect.provide(env({ autoApprovePins: { after: "1 second" } })))
  )
})

describe("poll on a schedule that ends before the PIN is approved", () => {
  // The fake Plex's PINs live 30 minutes (`expiresIn` counting down as plex.tv's does).
  it.effect(
    "is PinExpired (Pending), not Expired: the PIN lives on, and polled again it gives the token",
    () =>
      Effect.gen(function* () {
        const pin = yield* created()
        const error = yield* Effect.flip(PinLogin.poll(pin, { schedule: Schedule.recurs(2) }))
        assert.strictEqual(error._tag, "PinExpired")
        if (error._tag !== "PinExpired") return
        assert.strictEqual(error.reason, "Pending")
        assert.strictEqual(error.pinId, pin.id)
        assert.isUndefined(error.lastError)
        assert.strictEqual(
          error.message,
          `PinLogin.poll: the PIN is still pending: the poll's schedule ended before it was approved; ` +
            "poll it again before it expires, or create a new PIN to try again"
        )
        // The PIN is live: its id (which fetches its token once approved) is in the field, not in the message that a
        // tracer exports with the failed span.
        assert.notInclude(error.message, String(pin.id))
        // plex-auth's words (exit 4) say the same: not expired.
        assert.strictEqual(
          CliFailure.failureOf(error).message,
          "The PIN was not approved before polling stopped (it has not expired). Run `plex-auth login` again."
        )
        assert.strictEqual(CliFailure.failureOf(error).exitCode, 4)
        // The schedule's three checks, then none: the poll ended.
        assert.strictEqual((yield* checks(pin.id)).length, 3)
        // Polled again by its id (the check reads its time left): the user approves, and the token comes.
        const fresh = yield* PinLogin.check({ id: error.pinId })
        const fiber = yield* Effect.forkChild(PinLogin.poll(fresh))
        yield* whenWaiting(fiber, "1 second")
        yield* TestClock.adjust("10 seconds")
        const token = yield* Fiber.join(fiber)
        assert.isTrue(Redacted.isRedacted(token))
      }).pipe(Effect.provide(env({ autoApprovePins: { after: "5 seconds" } })))
  )

  it.effect("login passes its schedule on: Pending while the PIN has time left, which check reads", () =>
    Effect.gen(function* () {
      const shown = yield* Ref.make<ReadonlyArray<PinLogin.Pin>>([])
      const fiber = yield* Effect.forkChild(
        Effect.flip(
          PinLogin.login({
            schedule: Schedule.spaced("1 second").pipe(Schedule.upTo({ duration: "5 seconds" })),
            onPin: ({ pin }) => Ref.update(shown, (all) => [...all, pin])
          })
        )
      )
      yield* whenWaiting(fiber, "1 second")
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag === "PinExpired" && error.reason, "Pending")
      const [pin] = yield* Ref.get(shown)
      const seen = yield* checks(pin!.id)
      // Checks once a second until the schedule ended, then none: Effect 4's `Schedule.upTo({ duration })` goes on at
      // exactly 5 seconds elapsed and ends at the step past it, a check later than Effect 3's (docs/effect4.md).
      assert.deepStrictEqual(
        seen.map((r) => r.receivedAt),
        [0, 1000, 2000, 3000, 4000, 5000, 6000]
      )
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* checks(pin!.id)).length, seen.length, "no check after the poll ended")
      // The PIN has not expired: plex.tv still knows it, with its time left counting down from 30 minutes.
      const fresh = yield* PinLogin.check(pin!)
      assert.strictEqual(fresh.expiresIn, 1800 - 70)
      assert.isUndefined(fresh.authToken)
    }).pipe(Effect.provide(env({ autoApprovePins: { after: "1 hour" } })))
  )

  it.effect(
    "Jwt.pinLogin passes its schedule on: Pending; its PIN shows the token only to a check with a device JWT",
    () =>
      Effect.gen(function* () {
        const key = yield* Jwt.generateKey
        const error = yield* Effect.flip(
          Jwt.pinLogin({ key, onPin: () => Effect.void, schedule: Schedule.recurs(1) })
        )
        assert.strictEqual(error._tag, "PinExpired")
        if (error._tag !== "PinExpired") return
        assert.strictEqual(error.reason, "Pending")
        assert.strictEqual((yield* checks(error.pinId)).length, 2)
        // The user approves it since: checked by its id alone (as for a PIN of PinLogin's), it never shows the
        // token (a poll of it would run until the PIN expires); with a device JWT of the key it does.
        yield* FakePlex.approvePin(error.pinId)
        assert.isUndefined((yield* PinLogin.check({ id: error.pinId })).authToken)
        const deviceJwt = yield* Jwt.deviceJwt(key)
        const approved = yield* PinLogin.check({ id: error.pinId }, { deviceJwt })
        assert.isTrue(Redacted.isRedacted(approved.authToken))
      }).pipe(Effect.provide(env({ autoApprovePins: { after: "1 hour" } })))
  )
})

describe("login and Credentials.layerPinLogin", () => {
  it.effect(
    "an onPin that gives no Effect (untyped JavaScript: an async function) is InvalidInput naming onPin, never a defect",
    () =>
      Effect.gen(function* () {
        // `yield*` of its Promise threw ("... is not iterable"): a defect, once the PIN was created.
        const onPin = (async () => {}) as unknown as PinLogin.LoginOptions["onPin"]
        const refused = yield* Effect.flip(PinLogin.login({ onPin }))
        assert.strictEqual(
          `${refused._tag}: ${refused.message}`,
          "InvalidInput: PinLogin.login: invalid onPin: must return an Effect"
        )
      }).pipe(Effect.provide(env({ autoApprovePins: { after: "3 seconds" } })))
  )

  it.effect("shows the PIN and URL once, then returns the token", () =>
    Effect.gen(function* () {
      const shown = yield* Ref.make<ReadonlyArray<string>>([])
      const fiber = yield* Effect.forkChild(
        PinLogin.login({
          onPin: ({ pin, url }) => Ref.update(shown, (all) => [...all, `${pin.code} ${url}`])
        })
      )
      yield* TestClock.adjust("5 seconds")
      const token = yield* Fiber.join(fiber)
      const fake = yield* Effect.service(FakePlex.FakePlex)
      const [pin] = yield* fake.pins
      assert.strictEqual(Redacted.value(token), pin?.authToken && Redacted.value(pin.authToken))
      const lines = yield* Ref.get(shown)
      assert.strictEqual(lines.length, 1)
      assert.include(lines[0]!, `${pin?.code} ${FakePlex.defaults.authAppUrl}#?`)
    }).pipe(Effect.provide(env({ autoApprovePins: { after: "3 seconds" } })))
  )

  it.effect(
    "the PIN's lifetime counts from its creation: a slow onPin does not stretch it (Expired, not NotFound)",
    () =>
      Effect.gen(function* () {
        // plex.tv (the fake) drops the PIN 1 minute after creating it; the user's onPin takes 50 seconds.
        const fiber = yield* Effect.forkChild(
          Effect.flip(PinLogin.login({ onPin: () => Effect.sleep("50 seconds") }))
        )
        // The PIN created (its minute running) and onPin taking its 50 seconds.
        yield* whenSleeping(fiber, ({ millis }) => millis === 50_000)
        yield* TestClock.adjust("59999 millis")
        assert.isUndefined(fiber.pollUnsafe(), "still polling within the PIN's minute")
        yield* TestClock.adjust("1 minute")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "PinExpired")
        // Given up at the PIN's end, before plex.tv could answer 404 for the PIN it dropped.
        assert.strictEqual(error._tag === "PinExpired" && error.reason, "Expired")
      }).pipe(Effect.provide(env({ pinLifetime: { strong: "1 minute" } })))
  )
  it.effect("the layer's token is what later operations send", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(
        PlexAuth.getTokenDetails().pipe(
          Effect.provide(Credentials.layerPinLogin({ onPin: () => Effect.void }).pipe(Layer.orDie))
        )
      )
      yield* TestClock.adjust("5 seconds")
      const account = yield* Fiber.join(fiber)
      assert.strictEqual(account.username, FakePlex.defaults.username)
      const fake = yield* Effect.service(FakePlex.FakePlex)
      const [pin] = yield* fake.pins
      const user = (yield* FakePlex.requests).find((r) => r.route === "getTokenDetails")
      const sent = user?.headers["x-plex-token"]
      assert.isTrue(Redacted.isRedacted(sent))
      assert.strictEqual(
        Redacted.isRedacted(sent) && Redacted.value(sent),
        pin?.authToken && Redacted.value(pin.authToken)
      )
      assert.notStrictEqual(Redacted.isRedacted(sent) && Redacted.value(sent), Redacted.value(fake.token))
    }).pipe(Effect.provide(env({ autoApprovePins: { after: "2 seconds" } })))
  )
})
