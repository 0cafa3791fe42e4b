/**
 * Jwt.exchange and retries: the nonce is single use, so the retry policy
 * covers the whole nonce + sign + exchange sequence (a fresh nonce each
 * time), never the token POST alone; a refused nonce gets one fresh attempt;
 * only a refused signature or key is `Unauthorized`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as KeyValueStore from "effect/persistence/KeyValueStore"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import { TestClock } from "effect/testing"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Jwt from "effect4-plex-auth/Jwt"
import * as RetryPolicy from "effect4-plex-auth/RetryPolicy"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { failsWith } from "../testing/support.js"
import { withCapturedLogs, withRecordedSpans } from "../support/observe.js"
import { registeredKey, segments, signedIn, stepToEnd, whenWaiting } from "./support.js"

const policy = RetryPolicy.backoff({ initialInterval: "1 second", maxInterval: "1 second" })

const usedNonce = Fault.status(422, { message: "The nonce is unknown, used or expired" })

/** The route of each request to the JWT endpoints, in order. */
const jwtRoutes = Effect.map(FakePlex.requests, (all) =>
  all.flatMap((r) => (r.route === "getNonce" || r.route === "exchangeJwt" ? [`${r.route} ${r.status}`] : []))
)

/**
 * plex.tv acts on the exchange (the nonce is used, a token minted), but the
 * answer is lost: a proxy answers 503 instead.
 */
const actedThen503 = Effect.map(FakePlex.FakePlex, (fake) =>
  Fault.respond((request) =>
    Effect.orDie(fake.handle(request)).pipe(
      Effect.as(
        new Response("Service Unavailable", { status: 503, headers: { "content-type": "text/plain" } })
      )
    )
  )
)

const reset = Effect.flatMap(FakePlex.FakePlex, (fake) => fake.clearRequests)

describe("Jwt.exchange: retries", () => {
  it.effect("a 503 on the exchange: the policy's retry fetches a new nonce and signs a new device JWT", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* reset
      yield* FakePlex.fault("exchangeJwt", Fault.status(503), { times: 1 })
      const fiber = yield* Effect.forkChild(RetryPolicy.withPolicy(Jwt.exchange(key), policy))
      const plexJwt = yield* stepToEnd(fiber)
      assert.strictEqual(plexJwt.claims.thumbprint, key.thumbprint)
      assert.deepStrictEqual(yield* jwtRoutes, [
        "getNonce 200",
        "exchangeJwt 503",
        "getNonce 200",
        "exchangeJwt 200"
      ])
      // The retry waited for the policy (1 second, by the TestClock).
      assert.strictEqual(yield* Clock.currentTimeMillis, 1000)
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect(
    "plex.tv used the nonce but the answer was a 503: the retry does not resend that device JWT",
    () =>
      Effect.gen(function* () {
        const { key } = yield* registeredKey
        yield* reset
        yield* FakePlex.fault("exchangeJwt", yield* actedThen503, { times: 1 })
        const fiber = yield* Effect.forkChild(RetryPolicy.withPolicy(Jwt.exchange(key), policy))
        // Resending the used device JWT would be refused (422, a used nonce): this is a fresh one's token.
        const plexJwt = yield* stepToEnd(fiber)
        assert.strictEqual(plexJwt.claims.thumbprint, key.thumbprint)
        const requests = yield* FakePlex.requests
        assert.strictEqual(requests.filter((r) => r.route === "getNonce").length, 2, "one nonce per attempt")
        assert.deepStrictEqual(
          requests.filter((r) => r.route === "exchangeJwt" && r.status !== 200).map((r) => r.status),
          [503],
          "nothing was refused"
        )
      }).pipe(Effect.provide(signedIn()))
  )

  it.effect("without a retry policy a 503 is not retried: one nonce, one exchange, the 503", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* reset
      yield* FakePlex.fault("exchangeJwt", Fault.status(503), { times: 1 })
      const error = yield* failsWith(Jwt.exchange(key), "Unexpected")
      assert.strictEqual(error.status, 503)
      assert.deepStrictEqual(yield* jwtRoutes, ["getNonce 200", "exchangeJwt 503"])
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("a 503 on the nonce is retried by the policy once, not twice over (nonce and sequence)", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* reset
      yield* FakePlex.fault("getNonce", Fault.status(503), { times: 1 })
      const fiber = yield* Effect.forkChild(RetryPolicy.withPolicy(Jwt.exchange(key), policy))
      yield* stepToEnd(fiber)
      assert.deepStrictEqual(yield* jwtRoutes, ["getNonce 503", "getNonce 200", "exchangeJwt 200"])
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("the policy gives up: the last error, after as many attempts as it allows", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* reset
      yield* FakePlex.fault("exchangeJwt", Fault.status(502))
      const twice = RetryPolicy.backoff({ initialInterval: "1 second", maxElapsedTime: "2 seconds" })
      const fiber = yield* Effect.forkChild(
        failsWith(RetryPolicy.withPolicy(Jwt.exchange(key), twice), "Unexpected")
      )
      const error = yield* stepToEnd(fiber)
      assert.strictEqual(error.status, 502)
      const routes = yield* jwtRoutes
      assert.deepStrictEqual(routes.filter((r) => r.startsWith("exchangeJwt")).length, 2)
      assert.deepStrictEqual(routes.filter((r) => r.startsWith("getNonce")).length, 2)
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("a Retry-After on the exchange is waited out before the next nonce", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* reset
      yield* FakePlex.fault("exchangeJwt", Fault.rateLimited("5 seconds"), { times: 1 })
      const fiber = yield* Effect.forkChild(RetryPolicy.withPolicy(Jwt.exchange(key), policy))
      // The policy's 1-second wait, then the rest of the 5 seconds asked: 1-second steps.
      while (fiber.pollUnsafe() === undefined) {
        yield* whenWaiting(fiber, "10 seconds")
        yield* TestClock.adjust("1 second")
      }
      yield* Fiber.join(fiber)
      const nonces = (yield* FakePlex.requests).filter((r) => r.route === "getNonce")
      assert.strictEqual(nonces.length, 2)
      assert.strictEqual(nonces[1]!.receivedAt - nonces[0]!.receivedAt, 5000)
    }).pipe(Effect.provide(signedIn()))
  )
})

describe("Jwt.exchange: refusals", () => {
  it.effect("a refused nonce gets one fresh attempt, even without a retry policy", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* reset
      yield* FakePlex.fault("exchangeJwt", usedNonce, { times: 1 })
      const plexJwt = yield* Jwt.exchange(key)
      assert.strictEqual(plexJwt.claims.thumbprint, key.thumbprint)
      assert.deepStrictEqual(yield* jwtRoutes, [
        "getNonce 200",
        "exchangeJwt 422",
        "getNonce 200",
        "exchangeJwt 200"
      ])
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect(
    "a refused nonce's fresh attempt writes no log line, as retries do not: it is on the Jwt.exchange span (plex.nonce_refused)",
    () =>
      Effect.gen(function* () {
        const { key } = yield* registeredKey
        yield* FakePlex.fault("exchangeJwt", usedNonce, { times: 1 })
        const { exit, spans } = yield* withRecordedSpans(withCapturedLogs(Jwt.exchange(key)))
        assert.isTrue(Exit.isSuccess(exit))
        const lines = Exit.isSuccess(exit) ? exit.value.lines : []
        assert.isTrue(Exit.isSuccess(exit) && Exit.isSuccess(exit.value.exit), "a Plex JWT")
        assert.deepStrictEqual(lines, [], "no log line: this edition's operations log no retry")
        const exchange = spans.filter((span) => span.name === "Jwt.exchange")
        assert.isTrue(exchange.some((span) => span.attributes.get("plex.nonce_refused") === true))
        // Nor an event, as in the Effect 3 edition.
        assert.deepStrictEqual(
          spans.flatMap((span) => span.events),
          []
        )
      }).pipe(Effect.provide(signedIn()))
  )

  it.effect("a nonce refused twice is a BadRequest (422), not Unauthorized, after exactly two attempts", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* reset
      yield* FakePlex.fault("exchangeJwt", usedNonce, { times: 3 })
      const error = yield* failsWith(RetryPolicy.withPolicy(Jwt.exchange(key), policy), "BadRequest")
      assert.strictEqual(error.status, 422)
      assert.match(error.message, /nonce/)
      assert.deepStrictEqual(yield* jwtRoutes, [
        "getNonce 200",
        "exchangeJwt 422",
        "getNonce 200",
        "exchangeJwt 422"
      ])
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("the reviewer's case: a 503 then a used-nonce 422 ends in a Plex JWT, not Unauthorized", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* reset
      yield* FakePlex.fault("exchangeJwt", Fault.status(503), { times: 1 })
      yield* FakePlex.fault("exchangeJwt", usedNonce, { times: 1 })
      const fiber = yield* Effect.forkChild(RetryPolicy.withPolicy(Jwt.exchange(key), policy))
      const plexJwt = yield* stepToEnd(fiber)
      assert.strictEqual(plexJwt.claims.thumbprint, key.thumbprint)
      assert.deepStrictEqual(yield* jwtRoutes, [
        "getNonce 200",
        "exchangeJwt 503",
        "getNonce 200",
        "exchangeJwt 422",
        "getNonce 200",
        "exchangeJwt 200"
      ])
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("a refused signature or key is Unauthorized at once: no fresh attempt, no retry", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* reset
      yield* FakePlex.fault("exchangeJwt", Fault.status(422, { message: "Signature verification failed" }), {
        times: 1
      })
      const error = yield* failsWith(RetryPolicy.withPolicy(Jwt.exchange(key), policy), "Unauthorized")
      assert.strictEqual(error.status, 422)
      assert.deepStrictEqual(yield* jwtRoutes, ["getNonce 200", "exchangeJwt 422"])
      // An unregistered key, as the fake really refuses it.
      const stranger = yield* Jwt.generateKey
      const refused = yield* failsWith(Jwt.exchange(stranger), "Unauthorized")
      assert.match(refused.message, /Signature verification failed/)
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("a 403 is Unauthorized with status 403, its status kept (not a refused key), no retry", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* reset
      yield* FakePlex.fault("exchangeJwt", Fault.status(403, { message: "Not allowed" }), { times: 1 })
      const error = yield* failsWith(RetryPolicy.withPolicy(Jwt.exchange(key), policy), "Unauthorized")
      assert.strictEqual(error.status, 403)
      assert.deepStrictEqual(yield* jwtRoutes, ["getNonce 200", "exchangeJwt 403"])
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect("another 422 (an issuer the fake does not accept) stays a BadRequest", () =>
    Effect.gen(function* () {
      const { key } = yield* registeredKey
      yield* FakePlex.fault(
        "exchangeJwt",
        Fault.status(422, { message: "Issuer does not match the client identifier" }),
        { times: 1 }
      )
      const error = yield* failsWith(Jwt.exchange(key), "BadRequest")
      assert.strictEqual(error.status, 422)
    }).pipe(Effect.provide(signedIn()))
  )

  it.effect(
    "a 200 whose auth_token is not a JWT (three base64url parts, JSON header and payload) is Unexpected (Decode), never the token",
    () =>
      Effect.gen(function* () {
        const { key } = yield* registeredKey
        // Not dotted; two parts; a payload that is not JSON; a header that is not an object.
        for (const token of ["not-a-jwt", "e30.e30", "e30.bm90LWpzb24.c2ln", "WzFd.e30.c2ln"]) {
          yield* FakePlex.fault(
            "exchangeJwt",
            Fault.respond(() => Effect.succeed(Response.json({ auth_token: token }))),
            { times: 1 }
          )
          const error = yield* failsWith(Jwt.exchange(key), "Unexpected")
          assert.strictEqual(error.reason, "Decode", token)
          assert.strictEqual(error.status, 200)
          assert.strictEqual(error.operation, "Jwt.exchange")
          assert.strictEqual(error.method, "POST")
          assert.match(error.url, /^http.*\/api\/v2\/auth\/token$/)
          assert.match(error.detail, /not a JWT/)
          for (const shown of [error.message, String(error), JSON.stringify(error)]) {
            assert.notInclude(shown, token)
          }
        }
        // The next exchange, answered by the fake, gives a Plex JWT again.
        assert.strictEqual((yield* Jwt.exchange(key)).claims.thumbprint, key.thumbprint)
      }).pipe(Effect.provide(signedIn()))
  )

  it.effect(
    "a 200 whose auth_token is a JWT with no expiry (no exp, or one that is not a number) is Unexpected (Decode), as Jwt.verify refuses it",
    () =>
      Effect.gen(function* () {
        const { key } = yield* registeredKey
        const segment = (json: object) => Buffer.from(JSON.stringify(json)).toString("base64url")
        const header = segment({ alg: "EdDSA", typ: "JWT" })
        const claims = { iss: "plex.tv", aud: ["plex.tv"], thumbprint: key.thumbprint, iat: 1 }
        for (const payload of [claims, { ...claims, exp: "1893456000" }, { ...claims, exp: null }]) {
          const token = `${header}.${segment(payload)}.c2ln`
          yield* FakePlex.fault(
            "exchangeJwt",
            Fault.respond(() => Effect.succeed(Response.json({ auth_token: token }))),
            { times: 1 }
          )
          const error = yield* failsWith(Jwt.exchange(key), "Unexpected")
          assert.strictEqual(error.reason, "Decode")
          assert.strictEqual(error.status, 200)
          assert.strictEqual(error.operation, "Jwt.exchange")
          assert.match(error.detail, /the auth_token is a JWT with no expiry \(exp\)/)
          for (const shown of [error.message, String(error), JSON.stringify(error)]) {
            assert.notInclude(shown, token)
          }
        }
        // The fake's own token carries exp: accepted, with when it expires.
        const good = yield* Jwt.exchange(key)
        assert.isNumber(good.expiresAt)
      }).pipe(Effect.provide(signedIn()))
  )
})

describe("Jwt.layerStored: a kept key that is fine never triggers obtain", () => {
  const hours = (n: number) => Duration.hours(n)

  it.effect(
    "a stale token, then a 503 and a used nonce on the exchange: the kept key is exchanged again",
    () =>
      Effect.gen(function* () {
        const obtained = yield* Ref.make(0)
        const layer = Jwt.layerStored({
          obtain: (key) =>
            Ref.update(obtained, (n) => n + 1).pipe(
              Effect.andThen(Jwt.upgrade(key).pipe(Credentials.withToken(FakePlex.defaults.token)))
            )
        })
        const tokenOf = Effect.scoped(
          Effect.flatMap(Layer.build(layer), (context) => Context.get(context, Credentials.Credentials).token)
        )
        const first = yield* tokenOf
        assert.strictEqual(yield* Ref.get(obtained), 1)

        // The kept token goes stale; the exchange of the kept key meets a 503, then a used nonce.
        yield* TestClock.adjust(hours(6 * 24 + 12))
        yield* reset
        yield* FakePlex.fault("exchangeJwt", Fault.status(503), { times: 1 })
        yield* FakePlex.fault("exchangeJwt", usedNonce, { times: 1 })
        const fiber = yield* Effect.forkChild(RetryPolicy.withPolicy(tokenOf, policy))
        const second = yield* stepToEnd(fiber)
        assert.notStrictEqual(Redacted.value(second), Redacted.value(first))
        assert.strictEqual(segments(second).payload["thumbprint"], segments(first).payload["thumbprint"])
        assert.strictEqual(yield* Ref.get(obtained), 1, "no new login")

        // A nonce refused twice is not the key's fault either: with the kept token expired (a token still valid
        // would serve, see credentials.test.ts), the layer fails, and obtain does not run.
        yield* TestClock.adjust(hours(7 * 24 + 1))
        yield* FakePlex.fault("exchangeJwt", usedNonce, { times: 2 })
        const error = yield* Effect.flip(tokenOf)
        assert.strictEqual(error._tag, "BadRequest")
        assert.strictEqual(error._tag === "BadRequest" && error.status, 422)
        assert.strictEqual(yield* Ref.get(obtained), 1, "no new login")
      }).pipe(Effect.provide(Layer.merge(signedIn(), KeyValueStore.layerMemory)))
  )
})
