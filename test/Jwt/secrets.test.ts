/**
 * The device key's private part, device JWTs and Plex JWTs never show up in
 * errors (however printed), log lines or spans — the device JWT that travels
 * in a PIN check's query included.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Layer, Redacted, TestClock } from "effect"
import { Credentials, Jwt, PinLogin, PlexAuth } from "effect-plex-auth"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { assertNoSecrets, renderings, withCapturedLogs, withRecordedSpans } from "../support/observe.js"
import { signedIn, stepToEnd, step } from "./support.js"

/** The secrets of a key: its private member and its whole export. */
const keySecrets = (key: Jwt.DeviceKey) => [Redacted.value(key.d), Redacted.value(Jwt.exportKey(key))]

/** The device JWTs the fake received in PIN checks' queries. */
const presentedDeviceJwts = Effect.map(FakePlex.requests, (all) =>
  all.flatMap((r) => {
    const jwt = r.query["deviceJWT"]
    return jwt === undefined ? [] : [Redacted.isRedacted(jwt) ? Redacted.value(jwt) : jwt]
  })
)

/** Answers with a body that echoes what the request carried (URL and body), as a careless server might. */
const echo = (status: number, seen: Array<string>) =>
  Fault.respond((request) =>
    Effect.promise(async () => {
      const body = await request.text()
      seen.push(body, request.url)
      return new Response(JSON.stringify({ errors: [{ message: `got ${request.url} ${body}`, status }] }), {
        status,
        headers: { "content-type": "application/json" }
      })
    })
  )

describe("Jwt secrets", () => {
  it.effect("a whole PIN login, exchange, refresh and verification leaves no secret in spans or logs", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const scenario = Effect.gen(function* () {
        const fiber = yield* Effect.fork(Jwt.pinLogin({ key, onPin: () => Effect.void }))
        yield* step(fiber, 2)
        const [pin] = yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.pins)
        yield* FakePlex.approvePin(pin!.id)
        const first = yield* stepToEnd(fiber)
        const credentials = yield* Jwt.makeCredentials({ key, token: first.token, verify: true })
        yield* TestClock.adjust(Duration.hours(6 * 24 + 12))
        // A failed refresh on read is logged; the next call's 498 refreshes.
        yield* FakePlex.fault("getNonce", Fault.status(500), { times: 1 })
        yield* credentials.token
        yield* FakePlex.fault("getTokenDetails", Fault.status(498), { times: 1 })
        yield* PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, credentials))
        const second = yield* credentials.token
        yield* Jwt.verify(second, key)
        return [first.token, second] as const
      })
      const { exit, lines } = yield* withCapturedLogs(withRecordedSpans(scenario))
      assert.isTrue(Exit.isSuccess(exit))
      if (!Exit.isSuccess(exit)) return
      const { exit: inner, spans } = exit.value
      assert.isTrue(Exit.isSuccess(inner), Exit.isFailure(inner) ? Cause.pretty(inner.cause) : "")
      if (!Exit.isSuccess(inner)) return
      const deviceJwts = yield* presentedDeviceJwts
      assert.isAbove(deviceJwts.length, 0)
      const secrets = [
        ...keySecrets(key),
        ...deviceJwts,
        ...inner.value.map(Redacted.value),
        // The signature alone is as good as the token.
        ...inner.value.map((t) => Redacted.value(t).split(".")[2]!)
      ]
      assert.isAbove(spans.length, 10)
      assertNoSecrets(
        spans.map((s) => s.render()),
        secrets
      )
      assert.isTrue(
        lines.some((l) => /refreshing the Plex JWT failed/.test(l)),
        "the failed refresh was logged"
      )
      assertNoSecrets(lines, secrets)
      // The PIN checks are traced by the library's span, without the query; the platform's
      // span (whose url.full would carry the device JWT) is not recorded for them.
      const checks = spans.filter((s) => s.name === "PinLogin.check")
      assert.isAbove(checks.length, 0)
      for (const span of spans) {
        const full = span.attributes.get("url.full")
        if (typeof full === "string") assert.notInclude(full, "deviceJWT")
      }
      assert.isTrue(
        spans.some((s) => typeof s.attributes.get("url.full") === "string"),
        "other requests keep theirs"
      )
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("errors of a PIN check with a device JWT never carry it, even when the server echoes it", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const pin = yield* Jwt.createPin(key)
      const deviceJwt = yield* Jwt.deviceJwt(key)
      const seen: Array<string> = []
      yield* FakePlex.fault("checkPin", echo(500, seen), { times: 1 })
      const error = yield* Effect.flip(PinLogin.check(pin, { deviceJwt }))
      assert.strictEqual(error._tag, "Unexpected")
      assert.isTrue(
        seen.some((s) => s.includes(Redacted.value(deviceJwt))),
        "the server did see it"
      )
      assert.include(String(error), "<redacted>", "the echo was masked")
      assertNoSecrets(renderings(error), [Redacted.value(deviceJwt), ...keySecrets(key)])
      if (error._tag === "Unexpected") assert.notInclude(error.url, "?", "the URL is kept without its query")
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("errors of an exchange never carry the device JWT, even when the server echoes it", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      yield* Jwt.registerKey(key)
      const seen: Array<string> = []
      yield* FakePlex.fault("exchangeJwt", echo(500, seen), { times: 1 })
      const error = yield* Effect.flip(Jwt.exchange(key))
      assert.strictEqual(error._tag, "Unexpected")
      const sent = JSON.parse(seen[0]!) as { jwt: string }
      assert.isString(sent.jwt)
      assertNoSecrets(renderings(error), [sent.jwt, sent.jwt.split(".")[2]!, ...keySecrets(key)])
      const refused = yield* Effect.flip(Jwt.exchange(yield* Jwt.generateKey))
      assert.strictEqual(refused._tag, "Unauthorized")
      assertNoSecrets(renderings(refused), keySecrets(key))
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("a Plex JWT refused by a server (498) is not in the error", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const plexJwt = yield* Jwt.upgrade(key)
      yield* TestClock.adjust("8 days")
      const error = yield* Effect.flip(Credentials.withToken(PlexAuth.getTransientToken(), plexJwt.token))
      assert.strictEqual(error._tag, "Unauthorized")
      assertNoSecrets(renderings(error), [Redacted.value(plexJwt.token)])
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("a layer that cannot obtain its first token fails without secrets", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(Jwt.layer({ key }))))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit))
        assertNoSecrets([String(exit.cause), JSON.stringify(exit.cause)], keySecrets(key))
      const pending = yield* Effect.fork(Jwt.pinLogin({ key, onPin: () => Effect.void }))
      yield* Fiber.interrupt(pending)
    }).pipe(Effect.provide(signedIn()))
  )
})
