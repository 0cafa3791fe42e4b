import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, TestClock } from "effect"
import { Devices, Link, PinLogin } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { as, onLoopback, TestLive } from "./support.js"

describe("Devices over loopback", () => {
  it.scoped("lists the account's devices (tokens Redacted); revoking one signs it out", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const devices = yield* as("alice")(Devices.list())
      assert.deepStrictEqual(
        devices.map((d) => d.name),
        ["Living Room TV", "Old Phone"]
      )
      const phone = devices[1]!
      assert.isTrue(Redacted.isRedacted(phone.token))
      assert.isTrue(yield* loopback.fake.isTokenValid(phone.token!))
      assert.notInclude(JSON.stringify(devices), "fakeDeviceToken")

      yield* as("alice")(Devices.revoke(phone.id))
      assert.isFalse(yield* loopback.fake.isTokenValid(phone.token!))
      assert.deepStrictEqual(
        (yield* as("alice")(Devices.list())).map((d) => d.name),
        ["Living Room TV"]
      )
      // Gone, another account's, or not an id.
      assert.strictEqual((yield* Effect.flip(as("alice")(Devices.revoke(phone.id))))._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(as("bob")(Devices.revoke(devices[0]!.id))))._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(as("alice")(Devices.revoke(0))))._tag, "InvalidInput")
      assert.deepStrictEqual(yield* as("bob")(Devices.list()), [])
    }).pipe(Effect.provide(TestLive()))
  )
})

describe("Link over loopback", () => {
  it.scoped("a TV's four-character code, linked over HTTP by a signed-in tool: the TV gets a token", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const alice = yield* loopback.fake.account("alice")
      const pin = yield* onLoopback(PinLogin.create({ strong: false }))
      assert.match(pin.code, /^[A-Z0-9]{4}$/)
      yield* as("alice")(Link.link(pin.code.toLowerCase()))
      const checked = yield* onLoopback(PinLogin.check(pin))
      assert.isDefined(checked.authToken)
      assert.isTrue(yield* loopback.fake.isTokenValid(checked.authToken!))
      const [approved] = (yield* loopback.fake.pins).filter((p) => p.id === pin.id)
      assert.strictEqual(approved?.accountId, alice.id)
      const sent = (yield* loopback.fake.requests).find((r) => r.route === "linkPin")!
      assert.strictEqual(sent.method, "PUT")
      // Sent in capitals, as the device shows it (typed in lower case here).
      assert.strictEqual(sent.form?.["code"], pin.code)

      // Used already, unknown, expired, malformed.
      assert.strictEqual((yield* Effect.flip(as("alice")(Link.link(pin.code))))._tag, "BadRequest")
      assert.strictEqual((yield* Effect.flip(as("alice")(Link.link("ZZZZ"))))._tag, "NotFound")
      const late = yield* onLoopback(PinLogin.create({ strong: false }))
      yield* TestClock.adjust("16 minutes")
      assert.strictEqual((yield* Effect.flip(as("alice")(Link.link(late.code))))._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(as("alice")(Link.link("a b"))))._tag, "InvalidInput")

      // A strong PIN's code: plex.tv/link takes the four-character code only, so it is refused before any
      // request (it was sent, and the fake linked it where plex.tv does not).
      const strong = yield* onLoopback(PinLogin.create({ strong: true }))
      const before = (yield* loopback.fake.requests).filter((r) => r.route === "linkPin").length
      const refused = yield* Effect.flip(as("alice")(Link.link(strong.code)))
      assert.strictEqual(refused._tag, "InvalidInput")
      if (refused._tag === "InvalidInput") assert.strictEqual(refused.field, "code")
      assert.strictEqual((yield* loopback.fake.requests).filter((r) => r.route === "linkPin").length, before)
    }).pipe(Effect.provide(TestLive()))
  )
})
