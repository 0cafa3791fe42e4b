import { assert, describe } from "@effect/vitest"
import { Clock, Effect, Redacted, TestClock } from "effect"
import {
  Claim,
  ClientIdentity,
  Credentials,
  Devices,
  Link,
  PinLogin,
  PlexAuth,
  Resources,
  ServerClient
} from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { it } from "../support/it.js"
import { as, onLoopback, TestLive } from "./support.js"

describe("Devices over loopback", () => {
  it.scoped("lists the account's devices (tokens Redacted); revoking one signs it out", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const devices = yield* as("alice")(Devices.list())
      // The account's server is among them (see the next test).
      assert.deepStrictEqual(
        devices.map((d) => d.name),
        ["Living Room TV", "Old Phone", "Den"]
      )
      const phone = devices[1]!
      assert.isTrue(Redacted.isRedacted(phone.token))
      assert.isTrue(yield* loopback.fake.isTokenValid(phone.token!))
      assert.notInclude(JSON.stringify(devices), "fakeDeviceToken")

      yield* as("alice")(Devices.revoke(phone.id))
      assert.isFalse(yield* loopback.fake.isTokenValid(phone.token!))
      assert.deepStrictEqual(
        (yield* as("alice")(Devices.list())).map((d) => d.name),
        ["Living Room TV", "Den"]
      )
      // Gone, another account's, or not an id.
      assert.strictEqual((yield* Effect.flip(as("alice")(Devices.revoke(phone.id))))._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(as("bob")(Devices.revoke(devices[0]!.id))))._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(as("alice")(Devices.revoke(0))))._tag, "InvalidInput")
      assert.deepStrictEqual(yield* as("bob")(Devices.list()), [])
    }).pipe(Effect.provide(TestLive()))
  )
})

describe("Devices: a client's sign-in (over loopback)", () => {
  it.scoped(
    "a sign-in lists its client as a device with the identity it sent; revoking it signs that client out only",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const phone = ClientIdentity.layer({
          clientIdentifier: "alices-phone",
          product: "Sign-in Test",
          version: "2.5.1",
          platform: "iOS",
          platformVersion: "17.4",
          device: "iPhone",
          deviceName: "Alice's iPhone",
          model: "iPhone15,2",
          deviceVendor: "Apple",
          provides: "client,player",
          runtimeDefaults: false
        })
        const laptop = ClientIdentity.layer({
          clientIdentifier: "alices-laptop",
          product: "Sign-in Test",
          deviceName: "Alice's Laptop",
          runtimeDefaults: false
        })
        const signIn = onLoopback(
          PlexAuth.postUsersSignInData({ login: "alice", password: loopback.fake.password })
        )
        const first = yield* signIn.pipe(Effect.provide(phone))
        yield* TestClock.adjust("1 hour")
        // The same client again: the same device, seen later, with the token handed out last.
        const second = yield* signIn.pipe(Effect.provide(phone))
        const other = yield* signIn.pipe(Effect.provide(laptop))

        const devices = yield* as("alice")(Devices.list())
        assert.deepStrictEqual(
          devices.map((d) => d.name),
          ["Living Room TV", "Old Phone", "Alice's iPhone", "Alice's Laptop", "Den"]
        )
        const device = devices.find((d) => d.clientIdentifier === "alices-phone")!
        const { name, product, productVersion, platform, platformVersion, provides, createdAt, lastSeenAt } =
          device
        assert.deepStrictEqual(
          { name, product, productVersion, platform, platformVersion, provides, createdAt, lastSeenAt },
          {
            name: "Alice's iPhone",
            product: "Sign-in Test",
            productVersion: "2.5.1",
            platform: "iOS",
            platformVersion: "17.4",
            provides: "client,player",
            createdAt: 0,
            lastSeenAt: 3600
          }
        )
        assert.strictEqual(device.device, "iPhone")
        // Typed as python-plexapi's MyPlexDevice reads them (X-Plex-Model, X-Plex-Device-Vendor).
        assert.strictEqual(device.model, "iPhone15,2")
        assert.strictEqual(device.vendor, "Apple")
        assert.isTrue(Redacted.isRedacted(device.token))
        assert.strictEqual(Redacted.value(device.token!), Redacted.value(second.authToken))

        yield* as("alice")(Devices.revoke(device.id))
        // Every token handed to that client is refused as plex.tv refuses a signed-out one: 422 "Invalid token".
        for (const token of [first.authToken, second.authToken]) {
          const refused = yield* Effect.flip(
            onLoopback(PlexAuth.getTokenDetails().pipe(Credentials.withToken(token)))
          )
          assert.strictEqual(refused._tag, "Unauthorized")
          if (refused._tag === "Unauthorized") assert.strictEqual(refused.status, 422)
          assert.isFalse(yield* loopback.fake.isTokenValid(token))
        }
        // The other client's session, the account's token and the other devices' tokens still work.
        const details = yield* onLoopback(
          PlexAuth.getTokenDetails().pipe(Credentials.withToken(other.authToken))
        )
        assert.strictEqual(details.username, "alice")
        assert.deepStrictEqual(
          (yield* as("alice")(Devices.list())).map((d) => d.name),
          ["Living Room TV", "Old Phone", "Alice's Laptop", "Den"]
        )
        const alice = yield* loopback.fake.account("alice")
        assert.isTrue(yield* loopback.fake.isTokenValid(alice.token))
        // (A server's token is the server's, not plex.tv's: the clients' only.)
        for (const d of devices.filter((d) => d.id !== device.id && d.provides !== "server")) {
          assert.isTrue(yield* loopback.fake.isTokenValid(d.token!), d.name)
        }
      }).pipe(Effect.provide(TestLive()))
  )
})

describe("Devices: the account's servers (over loopback)", () => {
  it.scoped(
    "a server is listed with provides=server and its machine identifier; revoking it removes it from the account",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const den = loopback.fake.servers[0]!
        const devices = yield* as("alice")(Devices.list())
        const isServer = (d: Devices.AuthorizedDevice) => d.provides?.split(",").includes("server") === true
        const servers = devices.filter(isServer)
        assert.deepStrictEqual(
          servers.map((d) => [d.name, d.product, d.clientIdentifier, d.productVersion]),
          [["Den", "Plex Media Server", den.clientIdentifier, den.version]]
        )
        // What docs/tokens.md's prune skips: the clients are the rest.
        assert.deepStrictEqual(
          devices.filter((d) => !isServer(d)).map((d) => d.name),
          ["Living Room TV", "Old Phone"]
        )
        const server = servers[0]!
        // Its own token, Redacted.
        assert.isTrue(Redacted.isRedacted(server.token))
        assert.strictEqual(Redacted.value(server.token!), Redacted.value(den.accessToken))
        const onDen = (token: Redacted.Redacted<string>) =>
          Effect.flatMap(ServerClient.make({ uri: den.url, token }), (client) => client.get("/"))
        assert.strictEqual((yield* onDen(server.token!)).status, 200)
        // Only its owner's: a friend it is shared with cannot revoke it.
        assert.strictEqual((yield* Effect.flip(as("carol")(Devices.revoke(server.id))))._tag, "NotFound")
        assert.include(
          (yield* as("carol")(Resources.list())).map((r) => r.clientIdentifier),
          den.clientIdentifier
        )

        yield* as("alice")(Devices.revoke(server.id))
        assert.deepStrictEqual(
          (yield* as("alice")(Devices.list())).map((d) => d.name),
          ["Living Room TV", "Old Phone"]
        )
        // Gone from the account's resources (and from its friend's and its home's); its token refused.
        for (const who of ["alice", "carol", "bob"]) {
          assert.notInclude(
            (yield* as(who)(Resources.list())).map((r) => r.clientIdentifier),
            den.clientIdentifier,
            who
          )
        }
        assert.strictEqual((yield* onDen(server.token!)).status, 401)
        assert.strictEqual((yield* Effect.flip(as("alice")(Devices.revoke(server.id))))._tag, "NotFound")
        // The kit shows it unclaimed: no owner.
        assert.isUndefined(loopback.fake.servers[0]!.ownerId)
        assert.isUndefined((yield* loopback.fake.server(den.clientIdentifier)).ownerId)

        // Claimed by another account (carol): the kit and the server's GET / name carol, not the seeded owner.
        yield* as("carol")(Claim.claimServer(den.url))
        const carol = yield* loopback.fake.account("carol")
        assert.strictEqual(loopback.fake.servers[0]!.ownerId, carol.id)
        assert.strictEqual((yield* loopback.fake.server(den.clientIdentifier)).ownerId, carol.id)
        // Its own token is a new one (a claim signs it in anew); the one it had is refused.
        const renewed = (yield* loopback.fake.server(den.clientIdentifier)).accessToken
        assert.notStrictEqual(Redacted.value(renewed), Redacted.value(den.accessToken))
        assert.strictEqual((yield* onDen(den.accessToken)).status, 401)
        const root = (yield* Effect.flatMap(onDen(renewed), (response) => response.json)) as {
          readonly MediaContainer: Record<string, unknown>
        }
        const { claimed, myPlexSigninState, myPlexUsername } = root.MediaContainer
        assert.deepStrictEqual(
          { claimed, myPlexSigninState, myPlexUsername },
          { claimed: true, myPlexSigninState: "ok", myPlexUsername: carol.email }
        )
      }).pipe(Effect.provide(TestLive()))
  )
})

describe("docs/tokens.md's device pruning (over loopback)", () => {
  // The example's code, as docs/tokens.md has it.
  const prune = Effect.gen(function* () {
    const { clientIdentifier } = yield* ClientIdentity.ClientIdentity
    const yearAgo = (yield* Clock.currentTimeMillis) / 1000 - 365 * 86400
    for (const device of yield* Devices.list()) {
      if (device.clientIdentifier === clientIdentifier) continue
      if (device.provides?.split(",").includes("server")) continue
      if (device.lastSeenAt !== undefined && device.lastSeenAt < yearAgo) yield* Devices.revoke(device.id)
    }
  })

  it.scoped("signs out the devices not seen for a year by the Clock, never this app nor a server", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      // This app signs in: its device (the ClientIdentity's "features-test") last seen at the TestClock's 0, 1970.
      const { authToken } = yield* onLoopback(
        PlexAuth.postUsersSignInData({ login: "alice", password: loopback.fake.password })
      )
      const asThisApp = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        onLoopback(effect).pipe(Credentials.withToken(authToken))
      const names = Effect.map(asThisApp(Devices.list()), (devices) =>
        devices.map((d) => (d.clientIdentifier === "features-test" ? "this app" : d.name))
      )
      // The seeded devices were last seen 2025-01-01: on 2025-06-01, less than a year ago.
      yield* TestClock.setTime(Date.UTC(2025, 5, 1))
      yield* asThisApp(prune)
      assert.deepStrictEqual(yield* names, ["Living Room TV", "Old Phone", "this app", "Den"])
      // On 2026-01-02, over a year: signed out; this app (last seen in 1970) and the server kept.
      yield* TestClock.setTime(Date.UTC(2026, 0, 2))
      yield* asThisApp(prune)
      assert.deepStrictEqual(yield* names, ["this app", "Den"])
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
      // Recorded as a secret (whoever holds a PIN's code can approve it).
      assert.isTrue(Redacted.isRedacted(sent.form?.["code"]))
      assert.strictEqual(Redacted.value(sent.form?.["code"] as Redacted.Redacted<string>), pin.code)

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
