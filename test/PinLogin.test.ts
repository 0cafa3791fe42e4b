/**
 * PIN login: create, the app.plex.tv URL, polling (spacing, slow-down on
 * 429, expiry, 404 code 1020, interruption) and the Credentials layer.
 */
import { assert, describe } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer, Redacted, Ref, Schedule, TestClock } from "effect"
import { ClientIdentity, Credentials, Jwt, PinLogin, PlexAuth } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { it } from "./support/it.js"
import { afterAdjusting, expectRequests, failsWith, onlyRequest } from "./support/assertions.js"
import { CLIENT_ID, env, IdentityLive, identityInput, TOKEN } from "./support/env.js"
import { layerPendingSleeps, whenSleeping, whenWaiting } from "./Jwt/support.js"
import * as MockHttp from "./support/MockHttp.js"
import * as CliFailure from "../src/core/cli/failure.js"

const APPROVED = "pin-approved-Tq93xLw"

const pinBody = (overrides: Record<string, unknown> = {}) => ({
  id: 4242,
  code: "Zx7Qk2mNp9r4vB8c",
  product: "Plex Test Tool",
  trusted: false,
  qr: "https://plex.tv/api/v2/pins/qr/Zx7Qk2mNp9r4vB8c",
  clientIdentifier: CLIENT_ID,
  location: { code: "NL", country: "The Netherlands" },
  expiresIn: 1800,
  createdAt: "2026-11-23T19:00:00Z",
  expiresAt: "2026-11-23T19:30:00Z",
  authToken: null,
  newRegistration: null,
  ...overrides
})

/** One turn of the event loop (no time passes on any clock): the mock's promises move on. */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

const pending = () => MockHttp.json(200, pinBody())
const approved = () => MockHttp.json(200, pinBody({ authToken: APPROVED }))
const created = () => MockHttp.json(201, pinBody())

describe("create", () => {
  it.effect("POSTs /api/v2/pins?strong=true with the identity and no token", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      assert.strictEqual(pin.id, 4242)
      assert.strictEqual(pin.code, "Zx7Qk2mNp9r4vB8c")
      assert.isUndefined(pin.authToken)
      const request = yield* onlyRequest
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.url.toString(), "https://plex.tv/api/v2/pins?strong=true")
      assert.strictEqual(request.headers["x-plex-client-identifier"], CLIENT_ID)
      assert.strictEqual(request.headers["accept"], "application/json")
      assert.isUndefined(request.headers["x-plex-token"])
    }).pipe(Effect.provide(env(MockHttp.always(created))))
  )

  it.effect("strong: false asks for the short plex.tv/link code", () =>
    Effect.gen(function* () {
      yield* PinLogin.create({ strong: false })
      assert.strictEqual((yield* onlyRequest).url.searchParams.get("strong"), "false")
    }).pipe(Effect.provide(env(MockHttp.always(created))))
  )
})

describe("authUrl", () => {
  it.effect("carries clientID, code, the identity as context[device][...] and forwardUrl", () =>
    Effect.gen(function* () {
      const url = yield* PinLogin.authUrl({ code: "ABCD" }, { forwardUrl: "https://app.example/done?x=1" })
      assert.isTrue(url.startsWith("https://app.plex.tv/auth#?"))
      const params = new URLSearchParams(url.slice(url.indexOf("#?") + 2))
      assert.strictEqual(params.get("clientID"), CLIENT_ID)
      assert.strictEqual(params.get("code"), "ABCD")
      assert.strictEqual(params.get("context[device][product]"), identityInput.product)
      assert.strictEqual(params.get("context[device][version]"), identityInput.version)
      assert.strictEqual(params.get("context[device][platform]"), identityInput.platform)
      assert.strictEqual(params.get("context[device][deviceName]"), identityInput.deviceName)
      assert.strictEqual(params.get("forwardUrl"), "https://app.example/done?x=1")
      // brackets are percent-encoded in the URL itself
      assert.include(url, "context%5Bdevice%5D%5Bproduct%5D=")
      assert.notInclude(url, "context[device]")
    }).pipe(Effect.provide(IdentityLive), Effect.orDie)
  )

  it.effect("a forwardUrl that is not http(s) is InvalidInput", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        PinLogin.authUrl({ code: "ABCD" }, { forwardUrl: "javascript:alert(1)" })
      )
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(error.field, "forwardUrl")
    }).pipe(Effect.provide(IdentityLive), Effect.orDie)
  )
})

describe("the sign-in page from PLEX_AUTH_APP_URL", () => {
  const withVariable = (value: string) =>
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["PLEX_AUTH_APP_URL", value]])))

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
      }).pipe(Effect.provide(IdentityLive), Effect.orDie)
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
  const pin = { ...pinBody(), authToken: undefined } as unknown as PinLogin.Pin

  it.effect("asks once a second until the PIN carries a token, and returns it Redacted", () =>
    Effect.gen(function* () {
      const token = yield* PinLogin.poll(pin).pipe(afterAdjusting("10 seconds"))
      assert.isTrue(Redacted.isRedacted(token))
      assert.strictEqual(Redacted.value(token), APPROVED)
      const requests = yield* expectRequests(3)
      assert.deepStrictEqual(
        requests.map((r) => r.at),
        [0, 1000, 2000]
      )
      for (const request of requests) {
        assert.strictEqual(request.method, "GET")
        assert.strictEqual(request.url.toString(), "https://plex.tv/api/v2/pins/4242")
      }
    }).pipe(Effect.provide(env(MockHttp.sequence(pending, pending, approved))))
  )

  it.effect("404 code 1020 is PinExpired (NotFound) at once", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(PinLogin.poll(pin), "PinExpired")
      assert.strictEqual(error.reason, "NotFound")
      assert.strictEqual(error.pinId, 4242)
      assert.deepStrictEqual(
        error.errors.map((e) => e.code),
        [1020]
      )
      yield* expectRequests(1)
      // plex-auth's words (exit 4): plex.tv no longer knows it, not "expired before it was approved" (it may have been).
      assert.strictEqual(
        CliFailure.failureOf(error).message,
        "plex.tv no longer knows the PIN (it expired there or was removed). Run `plex-auth login` again."
      )
      assert.strictEqual(CliFailure.failureOf(error).exitCode, 4)
    }).pipe(
      Effect.provide(
        env(
          MockHttp.always(() =>
            MockHttp.plexErrors(404, [{ code: 1020, message: "Code not found or expired" }])
          )
        )
      )
    )
  )

  it.effect("gives up with PinExpired (Expired) when the PIN's lifetime has passed", () =>
    Effect.gen(function* () {
      const short = { ...pin, expiresIn: 5 }
      const fiber = yield* Effect.fork(Effect.flip(PinLogin.poll(short)))
      // The first check answered and the poll pausing: then the clock moves.
      yield* whenWaiting(fiber, "1 second")
      yield* TestClock.adjust("4999 millis")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "PinExpired")
      assert.strictEqual(error._tag === "PinExpired" && error.reason, "Expired")
      const count = (yield* MockHttp.requests).length
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* MockHttp.requests).length, count, "no request after giving up")
    }).pipe(Effect.provide(Layer.merge(env(MockHttp.always(pending)), layerPendingSleeps)))
  )

  it.effect(
    "a PIN that expires while every check failed on the network is PinExpired (Unreachable), with the last error",
    () =>
      Effect.gen(function* () {
        const short = { ...pin, expiresIn: 60 }
        const fiber = yield* Effect.fork(Effect.flip(PinLogin.poll(short)))
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
        assert.match(
          error.message,
          /last check: .*could not reach GET https:\/\/plex\.tv\/api\/v2\/pins\/\{id\}/
        )
        assert.isAtLeast((yield* MockHttp.requests).length, 3, "it kept asking, more slowly")
      }).pipe(Effect.provide(env(MockHttp.always(() => MockHttp.transportFailure()))))
  )

  it.effect(
    "a PIN that expires while every check's answer was cut off is PinExpired (Unreachable), not said unreachable",
    () =>
      Effect.gen(function* () {
        const short = { ...pin, expiresIn: 60 }
        const fiber = yield* Effect.fork(Effect.flip(PinLogin.poll(short)))
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
        assert.isAtLeast((yield* MockHttp.requests).length, 3, "it kept asking, more slowly")
      }).pipe(
        Effect.provide(
          env(
            MockHttp.always(
              () =>
                new Response(
                  new ReadableStream<Uint8Array>({
                    pull: (controller) => controller.error(new Error("connection reset"))
                  }),
                  { status: 200, headers: { "content-type": "application/json" } }
                )
            )
          )
        )
      )
  )

  it.effect(
    "a PIN that expires while every check timed out, its answer's body arriving, is PinExpired (Unreachable), not said unreachable",
    () =>
      Effect.gen(function* () {
        const short = { ...pin, expiresIn: 60 }
        const fiber = yield* Effect.fork(Effect.flip(PinLogin.poll(short)))
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
      }).pipe(Effect.provide(env(MockHttp.always(() => MockHttp.stalledBody()))))
  )

  it.effect("a PIN that expires after an answer, then 5xx, is Expired and carries the last failure", () =>
    Effect.gen(function* () {
      const short = { ...pin, expiresIn: 30 }
      const fiber = yield* Effect.fork(Effect.flip(PinLogin.poll(short)))
      yield* whenWaiting(fiber, "1 second")
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
    }).pipe(
      Effect.provide(
        Layer.merge(env(MockHttp.sequence(pending, () => MockHttp.json(503, {}))), layerPendingSleeps)
      )
    )
  )

  it.effect("a PIN that expires after a 5xx whose own words say 'try again later' keeps those words", () =>
    Effect.gen(function* () {
      const short = { ...pin, expiresIn: 30 }
      const fiber = yield* Effect.fork(Effect.flip(PinLogin.poll(short)))
      yield* whenWaiting(fiber, "1 second")
      yield* TestClock.adjust("31 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag === "PinExpired" && error.lastError?._tag, "Unexpected")
      // The server's text is quoted as it came; only the last check's own advice, at its end, is left out.
      assert.match(
        error.message,
        /\(HTTP 503\)[^)]*\(1001 Maintenance; try again later\)\); create a new PIN to try again$/
      )
    }).pipe(
      Effect.provide(
        Layer.merge(
          env(
            MockHttp.sequence(pending, () =>
              MockHttp.json(503, { errors: [{ code: 1001, message: "Maintenance; try again later" }] })
            )
          ),
          layerPendingSleeps
        )
      )
    )
  )

  it.effect("slows down when rate limited (429 code 1003), honouring Retry-After", () =>
    Effect.gen(function* () {
      yield* PinLogin.poll(pin).pipe(afterAdjusting("1 minute"))
      const requests = yield* expectRequests(4)
      assert.deepStrictEqual(
        requests.map((r) => r.at),
        // 0: pending; 1 s: 429 (Retry-After 10 s); 11 s: 429 without Retry-After (backoff 4 s); 15 s: approved
        [0, 1000, 11_000, 15_000]
      )
    }).pipe(
      Effect.provide(
        env(
          MockHttp.sequence(
            pending,
            () =>
              MockHttp.plexErrors(429, [{ code: 1003, message: "API rate limit exceeded" }], {
                "retry-after": "10"
              }),
            () => MockHttp.plexErrors(429, [{ code: 1003, message: "API rate limit exceeded" }]),
            approved
          )
        )
      )
    )
  )

  it.effect("interrupting stops polling with no request in flight", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(PinLogin.poll(pin))
      yield* whenWaiting(fiber, "1 second")
      yield* TestClock.adjust("1 second")
      // the second check hangs; interrupt while it is in flight (once the mock has it)
      while ((yield* MockHttp.requests).length < 2) yield* turn
      yield* Fiber.interrupt(fiber)
      const count = (yield* MockHttp.requests).length
      assert.strictEqual(count, 2)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* MockHttp.requests).length, count)
    }).pipe(
      Effect.provide(Layer.merge(env(MockHttp.sequence(pending, () => MockHttp.hang)), layerPendingSleeps))
    )
  )

  it.effect("a PIN that already carries a token needs no request", () =>
    Effect.gen(function* () {
      const token = yield* PinLogin.poll({ ...pin, authToken: Redacted.make(APPROVED) })
      assert.strictEqual(Redacted.value(token), APPROVED)
      yield* expectRequests(0)
    }).pipe(Effect.provide(env(MockHttp.always(pending))))
  )

  it.effect(
    "a PIN as plex.tv answers it (authToken: null, not approved) is polled, not taken as approved with null",
    () =>
      Effect.gen(function* () {
        // From untyped JavaScript: plex.tv's own answer, read without this library (or restored from storage).
        const token = yield* PinLogin.poll(pinBody() as unknown as PinLogin.Pin).pipe(
          afterAdjusting("10 seconds")
        )
        assert.strictEqual(Redacted.value(token), APPROVED)
        yield* expectRequests(2)
      }).pipe(Effect.provide(env(MockHttp.sequence(pending, approved))))
  )
})

describe("poll on a schedule that ends before the PIN is approved", () => {
  // The fake Plex: its PINs live 30 minutes (`expiresIn` counting down as plex.tv's does) and are approved after
  // `approvedAfter`.
  const onFake = (approvedAfter: "5 seconds" | "1 hour") =>
    Layer.mergeAll(
      FakePlex.layer({ autoApprovePins: { after: approvedAfter } }),
      ClientIdentity.layer(FakePlex.testIdentity),
      layerPendingSleeps
    )
  const checks = (id: number) =>
    Effect.map(FakePlex.requests, (all) => all.filter((r) => r.path === `/api/v2/pins/${id}`))

  it.effect(
    "is PinExpired (Pending), not Expired: the PIN lives on, and polled again it gives the token",
    () =>
      Effect.gen(function* () {
        const pin = yield* PinLogin.create()
        const error = yield* failsWith(PinLogin.poll(pin, { schedule: Schedule.recurs(2) }), "PinExpired")
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
        const token = yield* PinLogin.poll(fresh).pipe(afterAdjusting("10 seconds"))
        assert.isTrue(Redacted.isRedacted(token))
      }).pipe(Effect.provide(onFake("5 seconds")))
  )

  it.effect("login passes its schedule on: Pending while the PIN has time left, which check reads", () =>
    Effect.gen(function* () {
      const shown = yield* Ref.make<ReadonlyArray<PinLogin.Pin>>([])
      const fiber = yield* Effect.fork(
        Effect.flip(
          PinLogin.login({
            schedule: Schedule.spaced("1 second").pipe(Schedule.upTo("5 seconds")),
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
      // Checks once a second until the schedule ended, then none: Effect 3's `Schedule.upTo` ends at the step that
      // finds 5 seconds elapsed (Effect 4's goes on once more: docs/effect4.md).
      assert.deepStrictEqual(
        seen.map((r) => r.receivedAt),
        [0, 1000, 2000, 3000, 4000, 5000]
      )
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* checks(pin!.id)).length, seen.length, "no check after the poll ended")
      // The PIN has not expired: plex.tv still knows it, with its time left counting down from 30 minutes.
      const fresh = yield* PinLogin.check(pin!)
      assert.strictEqual(fresh.expiresIn, 1800 - 70)
      assert.isUndefined(fresh.authToken)
    }).pipe(Effect.provide(onFake("1 hour")))
  )

  it.effect(
    "Jwt.pinLogin passes its schedule on: Pending; its PIN shows the token only to a check with a device JWT",
    () =>
      Effect.gen(function* () {
        const key = yield* Jwt.generateKey
        const error = yield* failsWith(
          Jwt.pinLogin({ key, onPin: () => Effect.void, schedule: Schedule.recurs(1) }),
          "PinExpired"
        )
        assert.strictEqual(error.reason, "Pending")
        assert.strictEqual((yield* checks(error.pinId)).length, 2)
        // The user approves it since: checked by its id alone (as for a PIN of PinLogin's), it never shows the
        // token (a poll of it would run until the PIN expires); with a device JWT of the key it does.
        yield* FakePlex.approvePin(error.pinId)
        assert.isUndefined((yield* PinLogin.check({ id: error.pinId })).authToken)
        const deviceJwt = yield* Jwt.deviceJwt(key)
        const approved = yield* PinLogin.check({ id: error.pinId }, { deviceJwt })
        assert.isTrue(Redacted.isRedacted(approved.authToken))
      }).pipe(Effect.provide(onFake("1 hour")))
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
      }).pipe(Effect.provide(env(MockHttp.sequence(created, pending, approved))))
  )

  it.effect("shows the PIN and URL once, then returns the token", () =>
    Effect.gen(function* () {
      const shown = yield* Ref.make<ReadonlyArray<string>>([])
      const token = yield* PinLogin.login({
        onPin: ({ pin, url }) => Ref.update(shown, (all) => [...all, `${pin.code} ${url}`])
      }).pipe(afterAdjusting("5 seconds"))
      assert.strictEqual(Redacted.value(token), APPROVED)
      const lines = yield* Ref.get(shown)
      assert.strictEqual(lines.length, 1)
      assert.include(lines[0]!, "Zx7Qk2mNp9r4vB8c https://app.plex.tv/auth#?")
    }).pipe(Effect.provide(env(MockHttp.sequence(created, pending, approved))))
  )

  it.effect(
    "the PIN's lifetime counts from its creation: a slow onPin does not stretch it (Expired, not NotFound)",
    () =>
      Effect.gen(function* () {
        // plex.tv (the fake) drops the PIN 1 minute after creating it; the user's onPin takes 50 seconds.
        const fiber = yield* Effect.fork(
          Effect.flip(PinLogin.login({ onPin: () => Effect.sleep("50 seconds") }))
        )
        // The PIN created (its minute running) and onPin taking its 50 seconds.
        yield* whenSleeping(fiber, ({ millis }) => millis === 50_000)
        yield* TestClock.adjust("59999 millis")
        assert.isNull(fiber.unsafePoll(), "still polling within the PIN's minute")
        yield* TestClock.adjust("1 minute")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "PinExpired")
        // Given up at the PIN's end, before plex.tv could answer 404 for the PIN it dropped.
        assert.strictEqual(error._tag === "PinExpired" && error.reason, "Expired")
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer({ pinLifetime: { strong: "1 minute" } }),
            ClientIdentity.layer(FakePlex.testIdentity),
            layerPendingSleeps
          )
        )
      )
  )

  it.effect("the layer's token is what later operations send", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(
        PlexAuth.getTokenDetails().pipe(
          Effect.provide(Credentials.layerPinLogin({ onPin: () => Effect.void }).pipe(Layer.orDie))
        )
      )
      yield* TestClock.adjust("5 seconds")
      const account = yield* Fiber.join(fiber)
      assert.strictEqual(account.username, "tester")
      const requests = yield* MockHttp.requests
      const user = requests.find((r) => r.url.pathname === "/api/v2/user")
      assert.strictEqual(user?.headers["x-plex-token"], APPROVED)
      assert.notStrictEqual(user?.headers["x-plex-token"], TOKEN)
    }).pipe(
      Effect.provide(
        env((request) =>
          request.url.pathname === "/api/v2/user"
            ? MockHttp.json(200, { id: 1, uuid: "u", username: "tester", title: "Tester" })
            : request.method === "POST"
              ? created()
              : request.index < 2
                ? pending()
                : approved()
        )
      )
    )
  )
})

describe("PIN polling rides out transient failures", () => {
  const pin = { id: 7, code: "ABCD", expiresIn: 900 } as unknown as PinLogin.Pin
  const pending = () => MockHttp.json(200, { id: 7, code: "ABCD", authToken: null })
  it.effect("a 502 and a dropped connection while polling do not end the login", () =>
    Effect.gen(function* () {
      const token = yield* PinLogin.poll(pin).pipe(afterAdjusting("1 minute"))
      assert.strictEqual(Redacted.value(token), "approved-token")
    }).pipe(
      Effect.provide(
        env(
          MockHttp.sequence(
            pending,
            () => MockHttp.text(502, "bad gateway", "text/html"),
            () => MockHttp.transportFailure("other side closed", "ECONNRESET"),
            () => MockHttp.json(200, { id: 7, code: "ABCD", authToken: "approved-token" })
          )
        )
      )
    )
  )
})
