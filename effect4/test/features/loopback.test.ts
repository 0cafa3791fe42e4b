/**
 * The issue-17 features on Effect 4 end to end over real sockets: the shared
 * fake served on loopback (`FakePlexServer`), `FetchHttpClient`, the feature
 * seed of support.ts. One journey per feature, its failure paths included;
 * the in-memory files beside this one test each feature in depth.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Claim from "effect4-plex-auth/Claim"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Devices from "effect4-plex-auth/Devices"
import * as Home from "effect4-plex-auth/Home"
import * as Link from "effect4-plex-auth/Link"
import * as PinLogin from "effect4-plex-auth/PinLogin"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import * as Resources from "effect4-plex-auth/Resources"
import * as ServerAccess from "effect4-plex-auth/ServerAccess"
import * as ServerClient from "effect4-plex-auth/ServerClient"
import { Fault } from "effect4-plex-auth/testing"
import { FakePlexServer } from "../../src/node/index.js"
import { KIDS_PIN, seed } from "./support.js"

const Live = Layer.mergeAll(
  FakePlexServer.layer(seed),
  FetchHttpClient.layer,
  ClientIdentity.layer({ clientIdentifier: "features-loopback", product: "Features Test" })
)

/** Runs `effect` against the loopback plex.tv (anonymous). */
const anon = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(FakePlexServer.FakePlexServer, (loopback) => effect.pipe(PlexTv.withUrl(loopback.plexTvUrl)))

/** Runs `effect` against the loopback plex.tv as `login`. */
const on =
  (login: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const account = yield* Effect.orDie(loopback.fake.account(login))
      return yield* anon(effect).pipe(Credentials.withToken(account.token))
    })

describe("features over loopback (Effect 4, FetchHttpClient)", () => {
  it.live("Home: list, switch with the PIN (its token works), a wrong PIN is InvalidHomePin", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const users = yield* on("alice")(Home.users())
      assert.deepStrictEqual(
        users.map((u) => u.title),
        ["alice", "Kids", "bob"]
      )
      const switched = yield* on("alice")(Home.switchUser("Kids", { pin: KIDS_PIN }))
      assert.isTrue(yield* loopback.fake.isTokenValid(switched.token))
      const wrong = yield* Effect.flip(on("alice")(Home.switchUser("Kids", { pin: "0000" })))
      assert.strictEqual(wrong._tag, "InvalidHomePin")
      assert.notInclude(JSON.stringify(wrong), "0000")
    }).pipe(Effect.provide(Live))
  )

  it.live("ServerAccess: Owner, HomeMember, Shared, NoAccess; a refused connection is Unknown", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const id = loopback.fake.servers[0]!.clientIdentifier
      const answers: Array<string> = []
      for (const login of ["alice", "bob", "carol", "dave"]) {
        answers.push((yield* on(login)(ServerAccess.check(id)))._tag)
      }
      assert.deepStrictEqual(answers, ["Owner", "HomeMember", "Shared", "NoAccess"])
      yield* loopback.fake.fault("getServerResources", Fault.refuse, { times: 1 })
      assert.strictEqual((yield* on("carol")(ServerAccess.check(id)))._tag, "Unknown")
      const checker = yield* anon(ServerAccess.makeChecker(id, { ttl: "1 minute" }))
      const carol = yield* Effect.orDie(loopback.fake.account("carol"))
      assert.strictEqual((yield* checker.check(carol.token))._tag, "Shared")
    }).pipe(Effect.provide(Live))
  )

  it.live("Claim: a claim token, then the unclaimed server is the account's", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const fresh = loopback.fake.servers[1]!
      const identity = yield* on("alice")(Claim.claimServer(fresh.url))
      assert.isTrue(identity.claimed)
      assert.strictEqual((yield* on("alice")(ServerAccess.check(fresh.clientIdentifier)))._tag, "Owner")
      const again = yield* Effect.flip(on("alice")(Claim.claimServer(fresh.url)))
      assert.strictEqual(again._tag, "ServerAlreadyClaimed")
    }).pipe(Effect.provide(Live))
  )

  it.live("Devices and Link: revoke signs a device out; a TV's code is linked over HTTP", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const devices = yield* on("alice")(Devices.list())
      const phone = devices.find((d) => d.name === "Old Phone")!
      yield* on("alice")(Devices.revoke(phone.id))
      assert.isFalse(yield* loopback.fake.isTokenValid(phone.token!))
      assert.strictEqual((yield* Effect.flip(on("alice")(Devices.revoke(phone.id))))._tag, "NotFound")

      const pin = yield* anon(PinLogin.create({ strong: false }))
      yield* on("alice")(Link.link(pin.code))
      const checked = yield* anon(PinLogin.check(pin))
      assert.isTrue(yield* loopback.fake.isTokenValid(checked.authToken!))
    }).pipe(Effect.provide(Live))
  )

  it.live(
    "on loopback the fake answers the legacy routes in XML with plex.tv's content type, even to Accept: JSON",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const alice = yield* Effect.orDie(loopback.fake.account("alice"))
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
      }).pipe(Effect.provide(Live))
  )

  it.live("ServerClient: the chosen connection over fetch; a cross-origin redirect gets no token", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const connected = yield* on("alice")(Resources.connectByName("Den"))
      const client = yield* ServerClient.make(connected)
      assert.strictEqual((yield* client.get("/")).status, 200)
      yield* loopback.fake.fault({ path: "/" }, Fault.redirect({ status: 307 }), { times: 1 })
      yield* loopback.fake.clearRequests
      const away = yield* client.get("/")
      assert.strictEqual(away.status, 404)
      const [first, elsewhere] = yield* loopback.fake.requests
      assert.isTrue(Redacted.isRedacted(first?.headers["x-plex-token"]))
      assert.strictEqual(elsewhere?.host, "elsewhere")
      assert.notProperty(elsewhere?.headers, "x-plex-token")
    }).pipe(Effect.provide(Live))
  )
})
