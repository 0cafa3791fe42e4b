/**
 * Issue 14 item 1: JWT device authentication goes to its own host,
 * `https://clients.plex.tv` by default, whatever `PlexTv` says.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ClientIdentity, Credentials, Jwt, PinLogin, PlexTv } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { identity, layerPendingSleeps, stepToEnd, step } from "./support.js"

/** The fake with nothing but an identity and the account token: no `PlexTv`, no `JwtHost`. */
const defaults = Layer.mergeAll(
  FakePlex.layer({ accounts: [{}, { username: "bob" }] }),
  ClientIdentity.layer(identity).pipe(Layer.orDie),
  Credentials.layer(FakePlex.defaults.token),
  layerPendingSleeps
)

const origins = Effect.map(FakePlex.requests, (requests) => requests.map((r) => `${r.origin} ${r.route}`))

describe("Jwt.JwtHost", () => {
  it.effect("defaults to https://clients.plex.tv", () =>
    Effect.gen(function* () {
      assert.strictEqual(Jwt.defaultHost, "https://clients.plex.tv")
      assert.strictEqual((yield* Jwt.JwtHost).url, "https://clients.plex.tv")
      assert.strictEqual(
        (yield* Jwt.makeHost("https://clients.example/api/v2/")).url,
        "https://clients.example"
      )
    })
  )

  it.effect("a default-configured JWT flow sends nothing to plex.tv's host", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      assert.strictEqual(yield* Jwt.registerKey(key), "Registered")
      const plexJwt = yield* Jwt.exchange(key)
      yield* Jwt.verify(plexJwt.token, key)
      const bound = yield* Jwt.generateKey
      const fiber = yield* Effect.fork(Jwt.pinLogin({ key: bound, onPin: () => Effect.void }))
      yield* step(fiber, 2)
      const [pin] = yield* Effect.flatMap(FakePlex.FakePlex, (fake) => fake.pins)
      yield* FakePlex.approvePin(pin!.id)
      yield* stepToEnd(fiber)

      const seen = yield* origins
      for (const route of ["registerJwk", "getNonce", "exchangeJwt", "getJwks", "createPin", "checkPin"]) {
        assert.include(seen, `https://clients.plex.tv ${route}`)
      }
      assert.deepStrictEqual(
        seen.filter((r) => !r.startsWith("https://clients.plex.tv ")),
        [],
        "nothing went anywhere else"
      )
    }).pipe(Effect.provide(defaults))
  )

  it.effect("PlexTv.withUrl does not move the JWT host; Jwt.withHost and Jwt.layerHost do", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      yield* Jwt.registerKey(key).pipe(PlexTv.withUrl("https://plex.tv"))
      yield* Jwt.getNonce().pipe(Jwt.withHost("https://plex.tv/api/v2"))
      yield* Jwt.getKeys().pipe(Effect.provide(Jwt.layerHost("https://plex.tv")))
      assert.deepStrictEqual(yield* origins, [
        "https://clients.plex.tv registerJwk",
        "https://plex.tv getNonce",
        "https://plex.tv getJwks"
      ])
      const invalid = yield* Effect.flip(Jwt.getNonce().pipe(Jwt.withHost("ftp://nowhere")))
      assert.strictEqual(invalid._tag, "InvalidInput")
    }).pipe(Effect.provide(defaults))
  )

  it.effect("a classic PIN is still checked on plex.tv", () =>
    Effect.gen(function* () {
      const pin = yield* PinLogin.create()
      yield* PinLogin.check(pin)
      assert.deepStrictEqual(yield* origins, ["https://plex.tv createPin", "https://plex.tv checkPin"])
    }).pipe(Effect.provide(defaults))
  )
})
