/** Resources.list and servers on Effect 4, against the shared fake Plex. */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Resources from "effect4-plex-auth/Resources"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { failsWith } from "./support.js"

const Identity = ClientIdentity.layer({
  clientIdentifier: "resources-test-client",
  product: "Resources Test"
}).pipe(Layer.orDie)

const withFake = (
  options: FakePlex.Options = {},
  token: string | Redacted.Redacted<string> = FakePlex.defaults.token
) => Layer.mergeAll(FakePlex.layer(options), Identity, Credentials.layer(token).pipe(Layer.orDie))

/** The fake seeded with `options`, signed in as one of its accounts with the token the fake gave it. */
const withFakeAs = (options: FakePlex.Options, login: string) =>
  Layer.mergeAll(
    Identity,
    Layer.unwrap(
      Effect.map(
        Effect.flatMap(FakePlex.FakePlex, (fake) => fake.account(login)),
        (account) => Credentials.layer(account.token).pipe(Layer.orDie)
      )
    )
  ).pipe(Layer.provideMerge(FakePlex.layer(options)))

/**
 * The token of the share of a server with a user, as its owner reads it from plex.tv
 * (`GET /api/servers/{machineId}/shared_servers`, python-plexapi `MyPlexUser.get_token`).
 */
const shareToken = (serverName: string, owner: string, user: string) =>
  Effect.gen(function* () {
    const fake = yield* FakePlex.FakePlex
    const server = fake.servers.find((s) => s.name === serverName)!
    const response = yield* fake.handle(
      new Request(`${fake.plexTvUrl}/api/servers/${server.clientIdentifier}/shared_servers`, {
        headers: {
          "X-Plex-Client-Identifier": "resources-test-client",
          "X-Plex-Token": Redacted.value((yield* fake.account(owner)).token)
        }
      })
    )
    const xml = yield* Effect.promise(() => response.text())
    const share = new RegExp(`<SharedServer\\b[^>]*\\busername="${user}"[^>]*\\baccessToken="([^"]+)"`).exec(
      xml
    )
    assert.isNotNull(share, xml.replace(/accessToken="[^"]*"/g, 'accessToken="<redacted>"'))
    return share![1]!
  })

const json = (body: unknown) =>
  Fault.respond(() =>
    Effect.succeed(
      new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } })
    )
  )

describe("Resources.list / servers", () => {
  it.effect("lists the account's devices; servers() keeps those that provide server", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const devices = yield* Resources.list()
      assert.deepStrictEqual(
        devices.map((d) => [d.name, d.provides]),
        [
          ["Fake Media Server", "server"],
          ["Chrome", "client,player,pubsub-player"]
        ]
      )
      const [server, ...rest] = yield* Resources.servers()
      assert.strictEqual(rest.length, 0)
      assert.isDefined(server)
      if (server === undefined) return
      assert.strictEqual(server.clientIdentifier, fake.serverId)
      assert.strictEqual(server.product, "Plex Media Server")
      assert.isTrue(server.owned)
      assert.strictEqual(server.presence, true)
      assert.strictEqual(server.httpsRequired, false)
      assert.isTrue(Redacted.isRedacted(server.accessToken))
      assert.strictEqual(Redacted.value(server.accessToken!), Redacted.value(fake.serverToken))
      assert.deepStrictEqual(
        server.connections.map((c) => [c.protocol, c.uri, c.local, c.relay, c.IPv6]),
        [
          ["http", "http://192.0.2.10:32400", true, false, false],
          ["https", `https://198-51-100-10.${fake.serverId}.plex.direct:32400`, false, false, false]
        ]
      )
      // Fields the schema does not name are kept.
      assert.strictEqual((server as unknown as Record<string, unknown>)["synced"], false)
      assert.notInclude(JSON.stringify(devices), Redacted.value(fake.serverToken))
    }).pipe(Effect.provide(withFake()))
  )

  it.effect("asks for https, relay and IPv6 connections, with the account token as a header only", () =>
    Effect.gen(function* () {
      yield* Resources.list()
      const [request] = yield* FakePlex.requests
      assert.strictEqual(request?.route, "getServerResources")
      assert.deepStrictEqual(request?.query, { includeHttps: "1", includeRelay: "1", includeIPv6: "1" })
      const token = request?.headers["x-plex-token"]
      assert.isTrue(Redacted.isRedacted(token))
      assert.strictEqual(
        Redacted.value(token as Redacted.Redacted<string>),
        Redacted.value(FakePlex.defaults.token)
      )
      assert.strictEqual(request?.headers["x-plex-client-identifier"], "resources-test-client")
      assert.match(String(request?.headers["accept"]), /application\/json/)
    }).pipe(Effect.provide(withFake()))
  )

  it.effect("a relay, IPv6 or shared server comes with what the account may use", () =>
    Effect.gen(function* () {
      const servers = yield* Resources.servers()
      assert.deepStrictEqual(
        servers.map((s) => [s.name, s.owned]),
        [["Alice's NAS", false]]
      )
      const nas = servers[0]!
      assert.strictEqual(Redacted.value(nas.accessToken!), yield* shareToken("Alice's NAS", "alice", "bob"))
      assert.deepStrictEqual(
        nas.connections.map((c) => [c.address, c.relay, c.IPv6]),
        [
          ["192.0.2.40", false, false],
          ["2001:db8::40", false, true],
          ["203.0.113.7", true, false]
        ]
      )
    }).pipe(
      Effect.provide(
        withFakeAs(
          {
            accounts: [{ username: "alice" }, { username: "bob" }],
            servers: [
              { name: "Alice's Server" },
              {
                name: "Alice's NAS",
                owner: "alice",
                sharedWith: ["bob"],
                connections: [
                  { uri: "http://192.0.2.40:32400", local: true },
                  { uri: "http://[2001:db8::40]:32400" },
                  { uri: "https://203-0-113-7.0123456789abcdef.plex.direct:8443", relay: true }
                ]
              }
            ]
          },
          "bob"
        )
      )
    )
  )

  it.effect("tolerates drift: strings for numbers and booleans, nulls, new fields, broken entries", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault(
        "getServerResources",
        json([
          {
            name: 4242,
            product: "Plex Media Server",
            productVersion: null,
            platform: { unexpected: "shape" },
            clientIdentifier: "abc",
            provides: "server,sync-target",
            owned: "1",
            home: 0,
            presence: "true",
            accessToken: "drifted-token",
            httpsRequired: null,
            ownerId: "17",
            brandNewField: { nested: [1, 2] },
            connections: [
              {
                protocol: "https",
                address: "192.0.2.9",
                port: "32400",
                uri: "https://x.plex.direct:32400",
                local: 1
              },
              { uri: 12, local: "maybe" },
              "not an object"
            ]
          },
          { name: "No identifier", provides: "server" },
          null,
          { clientIdentifier: "player", provides: "player", accessToken: "" }
        ])
      )
      const devices = yield* Resources.list()
      assert.strictEqual(devices.length, 2)
      const [server, player] = devices
      assert.strictEqual(server?.name, "4242")
      assert.strictEqual(server?.productVersion, undefined)
      assert.strictEqual(server?.platform, undefined)
      assert.isTrue(server?.owned)
      assert.isFalse(server?.home)
      assert.isTrue(server?.presence)
      assert.strictEqual(server?.httpsRequired, undefined)
      assert.strictEqual(server?.ownerId, 17)
      assert.deepStrictEqual((server as unknown as Record<string, unknown>)["brandNewField"], {
        nested: [1, 2]
      })
      assert.deepStrictEqual(
        server?.connections.map((c) => [c.uri, c.port, c.local, c.relay]),
        [
          ["https://x.plex.direct:32400", 32400, true, false],
          [undefined, undefined, false, false]
        ]
      )
      // An empty token is no token.
      assert.strictEqual(player?.accessToken, undefined)
      assert.strictEqual(player?.name, "")
      assert.deepStrictEqual(
        (yield* Resources.servers()).map((s) => s.clientIdentifier),
        ["abc"]
      )
    }).pipe(Effect.provide(withFake()))
  )

  it.effect("a body that is not an array is Unexpected (Decode); a refused token Unauthorized", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getServerResources", json({ MediaContainer: {} }), { times: 1 })
      const decode = yield* failsWith(Resources.list(), "Unexpected")
      assert.strictEqual(decode.reason, "Decode")
      assert.strictEqual(decode.operation, "Resources.list")
      // A token plex.tv never issued: 401, code 1001 (one it revoked is a 422, FakePlex.plexTv.test.ts).
      const refused = yield* failsWith(
        Resources.servers().pipe(Credentials.withToken("never-issued-token")),
        "Unauthorized"
      )
      assert.strictEqual(refused.status, 401)
      assert.strictEqual(refused.operation, "Resources.servers")
      assert.deepStrictEqual(
        refused.errors.map((e) => e.code),
        [1001]
      )
    }).pipe(Effect.provide(withFake()))
  )
})
