/**
 * plex.tv's legacy routes answer XML (python-plexapi reads them with
 * `ElementTree`, @ctrl/plex with xml2js): `Devices`, `ServerAccess.friends`
 * and `ServerAccess.sharedTokens` ask for XML and read it into the same
 * values as before, over loopback with `FetchHttpClient`; a broken XML
 * answer is a typed `Unexpected`, an XML refusal keeps Plex's codes. `Link`
 * sends `X-Plex-Product: Plex SSO` as both references do.
 */
import { assert, describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Credentials, Devices, Link, PinLogin, ServerAccess } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault } from "effect-plex-auth/testing"
import { it } from "../support/it.js"
import { as, onLoopback, TestLive } from "./support.js"

const xmlAnswer = (body: string, status = 200) =>
  Fault.respond(() =>
    Effect.succeed(
      new Response(body, { status, headers: { "content-type": "application/xml; charset=utf-8" } })
    )
  )

describe("plex.tv's legacy routes, read as XML (over loopback)", () => {
  it.scoped("Devices.list asks GET /devices.xml for XML and reads the XML into AuthorizedDevice values", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const devices = yield* as("alice")(Devices.list())
      const sent = (yield* loopback.fake.requests).find((r) => r.route === "getDevices")!
      assert.strictEqual(sent.path, "/devices.xml")
      assert.strictEqual(sent.headers["accept"], "application/xml")
      assert.deepStrictEqual(
        devices.map((d) => [typeof d.id, d.name, typeof d.createdAt]),
        [
          ["number", "Living Room TV", "number"],
          ["number", "Old Phone", "number"],
          ["number", "Den", "number"]
        ]
      )
      assert.isTrue(Redacted.isRedacted(devices[0]!.token))
      // Unknown attributes kept (strings, as XML carries them), child elements as lists.
      const tv = devices[0] as unknown as Record<string, unknown>
      assert.strictEqual(tv["screenResolution"], "1920x1080")
      assert.strictEqual(tv["vendor"], "")
    }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "entities, single quotes, a JSON answer on the XML route; revoke is DELETE /devices/{id}.xml",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        yield* loopback.fake.fault(
          "getDevices",
          xmlAnswer(
            `<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="2">\n` +
              `  <Device id="41" name="Tom &amp; Jerry&#x2019;s TV" token='abc&quot;def' lastSeenAt="1735689600">\n` +
              `    <Connection uri="http://192.168.1.20:32500"/>\n  </Device>\n` +
              `  <Device name="no id: dropped"/>\n</MediaContainer>\n`
          ),
          { times: 1 }
        )
        const devices = yield* as("alice")(Devices.list())
        assert.deepStrictEqual(
          devices.map((d) => [d.id, d.name, d.lastSeenAt]),
          [[41, "Tom & Jerry\u2019s TV", 1735689600]]
        )
        assert.strictEqual(Redacted.value(devices[0]!.token!), 'abc"def')
        assert.deepStrictEqual((devices[0] as unknown as Record<string, unknown>)["Connection"], [
          { uri: "http://192.168.1.20:32500" }
        ])

        yield* loopback.fake.fault(
          "getDevices",
          Fault.respond(() =>
            Effect.succeed(Response.json({ MediaContainer: { Device: [{ id: 7, name: "JSON" }] } }))
          ),
          { times: 1 }
        )
        assert.deepStrictEqual(
          (yield* as("alice")(Devices.list())).map((d) => d.name),
          ["JSON"]
        )

        const [first] = yield* as("alice")(Devices.list())
        yield* as("alice")(Devices.revoke(first!.id))
        const revoke = (yield* loopback.fake.requests).find((r) => r.route === "deleteDevice")!
        assert.strictEqual(revoke.method, "DELETE")
        assert.strictEqual(revoke.path, `/devices/${first!.id}.xml`)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a broken XML answer is Unexpected Decode, an HTML one ContentType; an XML 404 is NotFound with its entries",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        yield* loopback.fake.fault(
          "getDevices",
          xmlAnswer(`<?xml version="1.0"?><MediaContainer><Device id="1" token="secret-tok`),
          { times: 1 }
        )
        const cut = yield* Effect.flip(as("alice")(Devices.list()))
        assert.strictEqual(cut._tag, "Unexpected")
        if (cut._tag === "Unexpected") {
          assert.strictEqual(cut.reason, "Decode")
          assert.match(cut.detail ?? "", /^the body is not valid XML: .* \(at character \d+\)$/)
          assert.notInclude(JSON.stringify(cut), "secret-tok")
        }
        yield* loopback.fake.fault("getUsers", Fault.html({ status: 200 }), { times: 1 })
        const html = yield* Effect.flip(as("alice")(ServerAccess.friends()))
        assert.strictEqual(html._tag, "Unexpected")
        if (html._tag === "Unexpected") assert.strictEqual(html.reason, "ContentType")

        // A legacy route plex.tv removed answers `<Response code="410" status="..."/>` (Yoruio/Membarr issue 53):
        // its text is the error's, where the error said nothing.
        yield* loopback.fake.fault(
          "getUsers",
          xmlAnswer(
            `<?xml version="1.0" encoding="UTF-8"?>\n<Response code="410" status="This endpoint was deprecated and removed"/>\n`,
            410
          ),
          { times: 1 }
        )
        const removed = yield* Effect.flip(as("alice")(ServerAccess.friends()))
        assert.strictEqual(removed._tag, "Unexpected")
        if (removed._tag === "Unexpected") {
          assert.strictEqual(removed.status, 410)
          assert.deepStrictEqual(
            removed.errors.map((e) => [e.code, e.message]),
            [[410, "This endpoint was deprecated and removed"]]
          )
          assert.include(removed.message, "This endpoint was deprecated and removed")
        }

        const gone = yield* Effect.flip(as("alice")(Devices.revoke(999999)))
        assert.strictEqual(gone._tag, "NotFound")
        if (gone._tag === "NotFound") {
          assert.deepStrictEqual(
            gone.errors.map((e) => [e.code, e.message]),
            [[undefined, "Device not found"]]
          )
        }
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "on loopback the fake answers the legacy routes in XML with plex.tv's content type, even to Accept: JSON",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const alice = yield* loopback.fake.account("alice")
        const headers = {
          Accept: "application/json",
          "X-Plex-Client-Identifier": "raw-fetch",
          "X-Plex-Token": Redacted.isRedacted(alice.token) ? Redacted.value(alice.token) : alice.token
        }
        for (const path of [
          "/api/users/",
          "/devices.xml",
          `/api/servers/${loopback.fake.serverId}/shared_servers`
        ]) {
          const response = yield* Effect.promise(() => fetch(`${loopback.plexTvUrl}${path}`, { headers }))
          assert.strictEqual(response.status, 200, path)
          assert.strictEqual(response.headers.get("content-type"), "application/xml; charset=utf-8", path)
          const text = yield* Effect.promise(() => response.text())
          assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<MediaContainer /, path)
        }
        const refused = yield* Effect.promise(() =>
          fetch(`${loopback.plexTvUrl}/devices.xml`, { headers: { ...headers, "X-Plex-Token": "nope" } })
        )
        assert.strictEqual(refused.status, 401)
        assert.match(yield* Effect.promise(() => refused.text()), /<errors><error code="1001"/)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped("ServerAccess.friends and sharedTokens ask the legacy routes for XML; values as before", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const friends = yield* as("alice")(ServerAccess.friends())
      const carol = yield* loopback.fake.account("carol")
      const friend = friends.find((f) => f.id === carol.id)!
      assert.isFalse(friend.home)
      assert.deepStrictEqual(
        friend.servers.map((s) => [s.machineIdentifier, s.pending, s.allLibraries, s.numLibraries]),
        [[loopback.fake.servers[0]!.clientIdentifier, false, true, 3]]
      )
      const shares = yield* as("alice")(ServerAccess.sharedTokens(loopback.fake.servers[0]!.clientIdentifier))
      assert.isTrue(shares.some((s) => s.userID === carol.id && Redacted.isRedacted(s.accessToken)))
      const sent = (yield* loopback.fake.requests).filter(
        (r) => r.route === "getUsers" || r.route === "getSharedServers"
      )
      assert.deepStrictEqual(
        sent.map((r) => [r.path, r.headers["accept"]]),
        [
          ["/api/users/", "application/xml"],
          [`/api/servers/${loopback.fake.servers[0]!.clientIdentifier}/shared_servers`, "application/xml"]
        ]
      )
      // A refused token on a legacy route: Unauthorized, Plex's code read from the XML.
      const refused = yield* Effect.flip(
        onLoopback(ServerAccess.friends()).pipe(Credentials.withToken("nope"))
      )
      assert.strictEqual(refused._tag, "Unauthorized")
      if (refused._tag === "Unauthorized")
        assert.deepStrictEqual(
          refused.errors.map((e) => e.code),
          [1001]
        )
    }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "Link.link sends X-Plex-Product: Plex SSO (python-plexapi link, @ctrl/plex linkPin), the rest of the identity kept",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const pin = yield* onLoopback(PinLogin.create({ strong: false }))
        yield* as("alice")(Link.link(pin.code))
        const [create, link] = (yield* loopback.fake.requests).filter(
          (r) => r.route === "createPin" || r.route === "linkPin"
        )
        assert.strictEqual(create!.headers["x-plex-product"], "Features Test")
        assert.strictEqual(link!.headers["x-plex-product"], "Plex SSO")
        assert.strictEqual(link!.headers["x-plex-client-identifier"], "features-test")
        assert.strictEqual(link!.headers["content-type"], "application/x-www-form-urlencoded")
      }).pipe(Effect.provide(TestLive()))
  )
})
