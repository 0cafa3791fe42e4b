import { assert, describe } from "@effect/vitest"
import { Effect, Redacted, TestClock } from "effect"
import { Credentials, PlexAuth, PlexServer } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { it } from "../support/it.js"
import { exchange, failsWith } from "./support.js"

const source = `server://${FakePlex.defaults.serverId}`

describe("FakePlex server: transient tokens", () => {
  it.effect("POST /security/token gives a transient token of the caller's access", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const response = yield* PlexAuth.getTransientTokenWithResponse()
      assert.strictEqual(response.status, 200)
      assert.match(Redacted.value(response.value.token), /^transient-[0-9a-f-]{36}$/)
      const [issued] = yield* fake.transientTokens
      assert.strictEqual(Redacted.value(issued!.token), Redacted.value(response.value.token))
      assert.isTrue(issued!.admin)
      assert.strictEqual(issued!.serverId, fake.serverId)
      assert.strictEqual(issued!.expiresAt, 48 * 3600 * 1000)
      const [request] = yield* fake.requests
      assert.strictEqual(request?.method, "POST")
      assert.strictEqual(request?.route, "getTransientToken")
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("any verb is answered, with exactly the documented body", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      for (const method of ["GET", "PUT", "POST"]) {
        const answer = yield* exchange(`${fake.serverUrl}/security/token?type=delegation&scope=all`, {
          method,
          token: fake.token
        })
        assert.strictEqual(answer.status, 200)
        assert.strictEqual(answer.contentType, "application/json")
        assert.deepStrictEqual(Object.keys(answer.json().MediaContainer), ["token"])
      }
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("wrong or missing parameters are 400, a missing or invalid token 403, both as HTML", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      for (const query of ["", "?type=delegation", "?type=other&scope=all", "?type=delegation&scope=some"]) {
        const answer = yield* exchange(`${fake.serverUrl}/security/token${query}`, { token: fake.token })
        assert.strictEqual(answer.status, 400, query)
        assert.match(answer.contentType, /^text\/html/)
      }
      for (const token of [undefined, "notARealToken1234567"]) {
        const answer = yield* exchange(`${fake.serverUrl}/security/token?type=delegation&scope=all`, {
          token
        })
        assert.strictEqual(answer.status, 403)
        assert.match(answer.contentType, /^text\/html/)
      }
      const error = yield* failsWith(
        PlexAuth.getTransientToken().pipe(Credentials.withToken("notARealToken1234567")),
        "Unauthorized"
      )
      assert.strictEqual(error.status, 403)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("answers XML unless JSON is asked for", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const answer = yield* exchange(`${fake.serverUrl}/security/token?type=delegation&scope=all`, {
        token: fake.token,
        accept: null
      })
      assert.match(answer.contentType, /^text\/xml/)
      assert.match(answer.text, /<MediaContainer token="transient-[0-9a-f-]{36}"\/>/)
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("transient tokens expire after 48 hours and are gone when the server restarts", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const first = yield* PlexAuth.getTransientToken()
      yield* TestClock.adjust("47 hours")
      const withFirst = Credentials.withToken(first.token)
      yield* PlexAuth.getSourceConnectionInformation({ source }).pipe(withFirst)
      yield* TestClock.adjust("1 hour")
      yield* failsWith(PlexAuth.getSourceConnectionInformation({ source }).pipe(withFirst), "Unauthorized")
      assert.isTrue((yield* fake.transientTokens)[0]?.expired)
      const second = yield* PlexAuth.getTransientToken()
      yield* fake.restartServer()
      yield* failsWith(PlexAuth.getTransientToken().pipe(Credentials.withToken(second.token)), "Unauthorized")
      assert.strictEqual((yield* fake.transientTokens).length, 0)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )
})

describe("FakePlex server: source connection information", () => {
  const seeded = FakePlex.layerSignedIn({
    accounts: [{}, { username: "bob" }],
    servers: [
      {
        sharedWith: ["bob"],
        sources: [
          {
            source: "provider://tv.plex.provider.vod",
            name: "Movies & Shows",
            connections: [{ uri: "https://vod.provider.plex.tv" }]
          }
        ]
      },
      { name: "Second Server" }
    ]
  })

  it.effect("a server source: its access token, identifier, name and connections", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const info = yield* PlexAuth.getSourceConnectionInformation({ source })
      assert.strictEqual(info.clientIdentifier, fake.serverId)
      assert.strictEqual(info.name, "Fake Media Server")
      assert.strictEqual(Redacted.value(info.accessToken!), Redacted.value(fake.serverToken))
      assert.deepStrictEqual(
        info.connections.map((c) => c.uri),
        fake.servers[0]!.urls
      )
      const second = fake.servers[1]!
      const other = yield* PlexAuth.getSourceConnectionInformation({
        source: `server://${second.clientIdentifier}`,
        refresh: true
      })
      assert.strictEqual(other.name, "Second Server")
      assert.strictEqual(other.connections[0]?.uri, "http://192.0.2.11:32400")
      const [, request] = yield* fake.requests
      assert.strictEqual(request?.query["refresh"], "1")
    }).pipe(Effect.provide(seeded))
  )

  it.effect("a seeded provider source, and the raw body as documented", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const info = yield* PlexAuth.getSourceConnectionInformation({
        source: "provider://tv.plex.provider.vod"
      })
      assert.strictEqual(info.name, "Movies & Shows")
      assert.strictEqual(info.clientIdentifier, "tv.plex.provider.vod")
      const answer = yield* exchange(
        `${fake.serverUrl}/security/resources?source=${encodeURIComponent(source)}`,
        {
          token: fake.token
        }
      )
      const device = answer.json().MediaContainer.Device
      assert.deepStrictEqual(Object.keys(device), ["accessToken", "clientIdentifier", "name", "Connection"])
      assert.deepStrictEqual(Object.keys(device.Connection[0]), [
        "address",
        "local",
        "port",
        "protocol",
        "relay",
        "uri"
      ])
    }).pipe(Effect.provide(seeded))
  )

  it.effect("an unknown source is 404; a missing source 400", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const error = yield* failsWith(
        PlexAuth.getSourceConnectionInformation({ source: "server://0000" }),
        "NotFound"
      )
      assert.strictEqual(error.status, 404)
      const missing = yield* exchange(`${fake.serverUrl}/security/resources`, { token: fake.token })
      assert.strictEqual(missing.status, 400)
      assert.match(missing.contentType, /^text\/html/)
    }).pipe(Effect.provide(seeded))
  )

  it.effect(
    "needs an admin token: the server's own token and the owner's transient tokens work, a shared user's do not",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        yield* PlexAuth.getSourceConnectionInformation({ source }).pipe(
          Credentials.withToken(fake.serverToken)
        )
        const bob = fake.accounts[1]!.token
        const bobTransient = yield* PlexAuth.getTransientToken().pipe(Credentials.withToken(bob))
        assert.isFalse((yield* fake.transientTokens)[0]?.admin)
        for (const token of [bob, bobTransient.token]) {
          const error = yield* failsWith(
            PlexAuth.getSourceConnectionInformation({ source }).pipe(Credentials.withToken(token)),
            "Unauthorized"
          )
          assert.strictEqual(error.status, 403)
        }
        const noToken = yield* exchange(`${fake.serverUrl}/security/resources?source=${source}`)
        assert.strictEqual(noToken.status, 403)
      }).pipe(Effect.provide(seeded))
  )
})

describe("FakePlex server: origins and identity", () => {
  it.effect("GET /identity answers without a token; GET / needs one", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const identity = yield* exchange(`${fake.serverUrl}/identity`)
      assert.deepStrictEqual(identity.json(), {
        MediaContainer: {
          size: 0,
          claimed: true,
          machineIdentifier: fake.serverId,
          version: "1.41.3.9314-a0bfb8370"
        }
      })
      const xml = yield* exchange(`${fake.serverUrl}/identity`, { accept: null })
      assert.include(xml.text, `machineIdentifier="${fake.serverId}"`)
      assert.strictEqual((yield* exchange(`${fake.serverUrl}/`)).status, 401)
      const root = yield* exchange(`${fake.serverUrl}/`, { token: fake.token })
      assert.strictEqual(root.json().MediaContainer.friendlyName, "Fake Media Server")
      // What python-plexapi's and @ctrl/plex's PlexServer._loadData read of a signed-in server; @ctrl/plex
      // (src/server.ts) calls ownerFeatures.split(','), so a root without it fails its connect().
      const { myPlexMappingState, myPlexSubscription, ownerFeatures } = root.json().MediaContainer
      assert.deepStrictEqual(
        { myPlexMappingState, myPlexSubscription, ownerFeatures },
        {
          myPlexMappingState: "mapped",
          myPlexSubscription: true,
          ownerFeatures: "hardware_transcoding,home,pass,sync,webhooks"
        }
      )
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect(
    "a server answers on every connection's origin; an origin the fake does not serve is refused",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const remote = fake.servers[0]!.urls[1]!
        assert.match(remote, /^https:\/\/198-51-100-10\.[0-9a-f]{40}\.plex\.direct:32400$/)
        const token = yield* PlexAuth.getTransientToken().pipe(PlexServer.withUrl(remote))
        assert.match(Redacted.value(token.token), /^transient-/)
        const error = yield* failsWith(
          PlexAuth.getTransientToken().pipe(PlexServer.withUrl("http://192.0.2.99:32400")),
          "NetworkError"
        )
        assert.strictEqual(error.reason, "Transport")
        assert.include(error.detail, "ECONNREFUSED")
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("the owner's revoked token is refused by the server too", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* fake.revokeToken(fake.token)
      yield* failsWith(PlexAuth.getTransientToken(), "Unauthorized")
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("an inconsistent seed is a defect", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(FakePlex.make({ servers: [{ owner: "nobody" }] }))
      assert.isTrue(exit._tag === "Failure" && exit.cause._tag === "Die")
      const clash = yield* Effect.exit(
        FakePlex.make({ servers: [{}, { connections: [{ uri: FakePlex.defaults.serverUrl }] }] })
      )
      assert.strictEqual(clash._tag, "Failure")
    })
  )
})

describe("FakePlex server: its plex.tv sign-in (/myplex)", () => {
  it.effect(
    "POST /myplex/claim answers the server's /myplex/account document, as python-plexapi PlexServer.claim reads it",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        // Unclaimed: signed in to no account, and no token asked for.
        const before = yield* exchange(`${fake.serverUrl}/myplex/account`)
        assert.strictEqual(before.status, 200)
        assert.strictEqual(before.json().MyPlex.signInState, "none")
        assert.strictEqual(before.json().MyPlex.username, "")
        const claimToken = (yield* exchange(`${fake.plexTvUrl}/api/claim/token.json`, {
          token: fake.token
        })).json().token as string
        const claimed = yield* exchange(`${fake.serverUrl}/myplex/claim?token=${claimToken}`, {
          method: "POST"
        })
        assert.strictEqual(claimed.status, 200)
        // plexapi/server.py PlexServer.claim: `Account(self, data)` of this answer; tests/test_server.py
        // test_server_claim_unclaim: `result.signInState == 'ok'`.
        const account = claimed.json().MyPlex
        assert.strictEqual(account.signInState, "ok")
        assert.strictEqual(account.username, (yield* fake.account()).email)
        assert.strictEqual(account.mappingState, "mapped")
        // The same document at GET /myplex/account, for the owner's token only; XML unless JSON is asked for.
        const again = yield* exchange(`${fake.serverUrl}/myplex/account`, {
          token: fake.serverToken,
          accept: null
        })
        assert.match(again.text, /<MyPlex [^>]*signInState="ok"/)
        assert.strictEqual((yield* exchange(`${fake.serverUrl}/myplex/account`)).status, 401)
        // python-plexapi PlexServer.unclaim (DELETE /myplex/account): signed out of plex.tv, unclaimed again.
        assert.strictEqual(
          (yield* exchange(`${fake.serverUrl}/myplex/account`, { method: "DELETE" })).status,
          401
        )
        const unclaimed = yield* exchange(`${fake.serverUrl}/myplex/account`, {
          method: "DELETE",
          token: fake.serverToken
        })
        assert.strictEqual(unclaimed.json().MyPlex.signInState, "none")
        assert.isFalse((yield* exchange(`${fake.serverUrl}/identity`)).json().MediaContainer.claimed)
      }).pipe(
        Effect.provide(
          FakePlex.layer({ accounts: [{ username: "alice" }], servers: [{ name: "New", claimed: false }] })
        )
      )
  )
})

describe("FakePlex server: share tokens", () => {
  it.effect("isTokenValid and revokeToken take a shared server's accessToken (Redacted or not)", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const bob = yield* fake.account("bob")
      const resources = yield* exchange(`${fake.plexTvUrl}/api/v2/resources`, { token: bob.token })
      const shared: string = resources
        .json()
        .find((r: any) => r.clientIdentifier === fake.serverId).accessToken
      assert.isTrue(yield* fake.isTokenValid(Redacted.make(shared)))
      assert.strictEqual((yield* exchange(`${fake.serverUrl}/`, { token: shared })).status, 200)
      assert.isTrue(yield* fake.revokeToken(Redacted.make(shared)))
      assert.isFalse(yield* fake.revokeToken(shared))
      assert.isFalse(yield* fake.isTokenValid(shared))
      assert.strictEqual((yield* exchange(`${fake.serverUrl}/`, { token: shared })).status, 401)
      // The share goes on, with a new token in bob's resources.
      const again = yield* exchange(`${fake.plexTvUrl}/api/v2/resources`, { token: bob.token })
      const renewed: string = again.json().find((r: any) => r.clientIdentifier === fake.serverId).accessToken
      assert.notStrictEqual(renewed, shared)
      assert.isTrue(yield* fake.isTokenValid(renewed))
      assert.strictEqual((yield* exchange(`${fake.serverUrl}/`, { token: renewed })).status, 200)
    }).pipe(
      Effect.provide(
        FakePlex.layer({
          accounts: [{ username: "alice" }, { username: "bob" }],
          servers: [{ sharedWith: ["bob"] }]
        })
      )
    )
  )

  it.effect(
    "serverToken is the server's own token as it is now: isTokenValid and revokeToken take it, revoked it is a new one",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const first = fake.serverToken
        assert.isTrue(Redacted.isRedacted(first))
        assert.isTrue(yield* fake.isTokenValid(first))
        assert.isTrue(yield* fake.revokeToken(first))
        assert.isFalse(yield* fake.isTokenValid(first))
        assert.strictEqual((yield* exchange(`${fake.serverUrl}/`, { token: first })).status, 401)
        const second = fake.serverToken
        assert.notStrictEqual(Redacted.value(second), Redacted.value(first))
        assert.strictEqual(Redacted.value((yield* fake.server()).accessToken), Redacted.value(second))
        assert.isTrue(yield* fake.isTokenValid(second))
        assert.strictEqual((yield* exchange(`${fake.serverUrl}/`, { token: second })).status, 200)
      }).pipe(Effect.provide(FakePlex.layer()))
  )
})
