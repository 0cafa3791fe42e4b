import { assert, describe } from "@effect/vitest"
import { KeyValueStore } from "@effect/platform"
import { Effect, Layer, Redacted, TestClock } from "effect"
import { Credentials, Devices, Jwt, PinLogin, PlexAuth, PlexError } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { it } from "../support/it.js"
import { exchange, failsWith } from "./support.js"

const twoFactor = FakePlex.layerSignedIn({
  accounts: [{}, { username: "bob", password: "bob-pass", twoFactorCode: "123456" }]
})

describe("FakePlex plex.tv: sign-in", () => {
  it.effect("signs in with login and password: 201 and a freshly minted token", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const signedIn = yield* PlexAuth.postUsersSignInDataWithResponse({
        login: fake.login,
        password: fake.password
      })
      assert.strictEqual(signedIn.status, 201)
      assert.strictEqual(signedIn.value.username, "alice")
      assert.strictEqual(signedIn.value.email, FakePlex.defaults.login)
      const minted = Redacted.value(signedIn.value.authToken)
      assert.match(minted, /^[A-Za-z0-9]{20}$/)
      assert.notStrictEqual(minted, Redacted.value(fake.token))
      assert.isTrue(yield* fake.isTokenValid(minted))
      const again = yield* PlexAuth.postUsersSignInData({ login: "alice", password: fake.password })
      assert.notStrictEqual(Redacted.value(again.authToken), minted)
      const details = yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(signedIn.value.authToken))
      assert.strictEqual(details.id, signedIn.value.id)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("a wrong password or an unknown login is 401, code 1001", () =>
    Effect.gen(function* () {
      const wrong = yield* failsWith(
        PlexAuth.postUsersSignInData({ login: FakePlex.defaults.login, password: "nope" }),
        "Unauthorized"
      )
      assert.strictEqual(wrong.status, 401)
      assert.deepStrictEqual(PlexError.codes(wrong), [1001])
      const unknown = yield* failsWith(
        PlexAuth.postUsersSignInData({ login: "nobody@example.com", password: FakePlex.defaults.password }),
        "Unauthorized"
      )
      assert.deepStrictEqual(PlexError.codes(unknown), [1001])
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("two-factor: 1029 without the code, 1028 with a wrong one, 201 with the right one", () =>
    Effect.gen(function* () {
      const required = yield* failsWith(
        PlexAuth.postUsersSignInData({ login: "bob", password: "bob-pass" }),
        "VerificationCodeRequired"
      )
      assert.strictEqual(required.status, 401)
      assert.deepStrictEqual(PlexError.codes(required), [1029])
      const invalid = yield* failsWith(
        PlexAuth.postUsersSignInData({ login: "bob", password: "bob-pass", verificationCode: "654321" }),
        "InvalidVerificationCode"
      )
      assert.deepStrictEqual(PlexError.codes(invalid), [1028])
      // The password is checked before the code.
      yield* failsWith(
        PlexAuth.postUsersSignInData({ login: "bob", password: "wrong", verificationCode: "123456" }),
        "Unauthorized"
      )
      const account = yield* PlexAuth.postUsersSignInData({
        login: "bob@example.com",
        password: "bob-pass",
        verificationCode: "123456"
      })
      assert.strictEqual(account.username, "bob")
      assert.isTrue(account.twoFactorEnabled)
    }).pipe(Effect.provide(twoFactor))
  )

  it.effect("rememberMe lengthens rememberExpiresAt", () =>
    Effect.gen(function* () {
      const short = yield* PlexAuth.postUsersSignInData({
        login: "alice",
        password: FakePlex.defaults.password
      })
      const long = yield* PlexAuth.postUsersSignInData({
        login: "alice",
        password: FakePlex.defaults.password,
        rememberMe: true
      })
      assert.isAbove(long.rememberExpiresAt ?? 0, short.rememberExpiresAt ?? 0)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )
})

describe("FakePlex plex.tv: tokens", () => {
  it.effect("GET /api/v2/user answers the token's account; an unknown token is 401, code 1001", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(account.username, "alice")
      assert.strictEqual(Redacted.value(account.authToken!), Redacted.value(FakePlex.defaults.token))
      assert.isTrue(account.subscription?.active)
      const error = yield* failsWith(
        PlexAuth.getTokenDetails().pipe(Credentials.withToken("notARealToken1234567")),
        "Unauthorized"
      )
      assert.deepStrictEqual(PlexError.codes(error), [1001])
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "the legacy sign-in and account (@ctrl/plex, python-plexapi 4.3 to 4.14) mint and read the same tokens",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const basic = `Basic ${btoa(`${fake.login}:${Redacted.value(fake.password)}`)}`
        const signIn = yield* exchange(`${fake.plexTvUrl}/users/sign_in.json`, {
          method: "POST",
          headers: { Authorization: basic }
        })
        assert.strictEqual(signIn.status, 201)
        const minted: string = signIn.json().user.authToken
        assert.isTrue(yield* fake.isTokenValid(minted))
        const account = yield* exchange(`${fake.plexTvUrl}/users/account`, { token: minted })
        assert.strictEqual(account.contentType, "application/xml; charset=utf-8")
        assert.include(account.text, `authenticationToken="${minted}"`)
        // The legacy form (python-plexapi's fixture of it): the token in its own element too, features in <subscription>.
        assert.include(account.text, `<authentication-token>${minted}</authentication-token>`)
        assert.match(account.text, /<subscription active="1" status="Active" plan="lifetime"><feature id="/)
        // The token the legacy sign-in minted is one the library's operations accept.
        assert.strictEqual(
          (yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(minted))).username,
          "alice"
        )
        const refused = yield* exchange(`${fake.plexTvUrl}/users/sign_in.json`, {
          method: "POST",
          headers: { Authorization: `Basic ${btoa(`${fake.login}:wrong`)}` }
        })
        assert.strictEqual(refused.status, 401)
        const records = yield* FakePlex.requests
        assert.deepStrictEqual(
          records.map((r) => r.route),
          ["postUsersSignInData", "getTokenDetails", "getTokenDetails", "postUsersSignInData"]
        )
        assert.notInclude(JSON.stringify(records), Redacted.value(fake.password))
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("sign-out revokes only the token it is sent with", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const minted = yield* fake.mintToken()
      const out = yield* exchange(`${fake.plexTvUrl}/api/v2/users/signout`, {
        method: "DELETE",
        token: minted
      })
      assert.strictEqual(out.status, 204)
      assert.strictEqual(out.text, "")
      yield* failsWith(PlexAuth.getTokenDetails().pipe(Credentials.withToken(minted)), "Unauthorized")
      assert.isFalse(yield* fake.isTokenValid(minted))
      assert.strictEqual((yield* PlexAuth.getTokenDetails()).username, "alice")
      const again = yield* exchange(`${fake.plexTvUrl}/api/v2/users/signout`, {
        method: "DELETE",
        token: minted
      })
      // A token plex.tv signed out is refused 422 "Invalid token", not 401 (python-plexapi pull request 1138).
      assert.strictEqual(again.status, 422)
      assert.deepStrictEqual(again.json(), { errors: [{ message: "Invalid token", status: 422 }] })
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("revokeToken (control) makes plex.tv refuse the token", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      assert.isTrue(yield* fake.revokeToken(fake.token))
      assert.isFalse(yield* fake.revokeToken(fake.token))
      yield* failsWith(PlexAuth.getTokenDetails(), "Unauthorized")
      // plex.tv answers a token it revoked (deauthorized) 422 "Invalid token", in JSON or XML (python-plexapi
      // plexapi/myplex.py MyPlexAccount.query: a 422 whose text says "Invalid token" is Unauthorized); a token it
      // never issued 401, code 1001.
      const revoked = yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token })
      assert.strictEqual(revoked.status, 422)
      assert.deepStrictEqual(revoked.json(), { errors: [{ message: "Invalid token", status: 422 }] })
      const asXml = yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token, accept: null })
      assert.strictEqual(asXml.status, 422)
      assert.include(asXml.text, "<error>Invalid token</error>")
      // The legacy routes answer it in XML whatever is asked; the library reads both as Unauthorized.
      const legacy = yield* failsWith(Devices.list(), "Unauthorized")
      assert.strictEqual(legacy.status, 422)
      assert.deepStrictEqual(
        legacy.errors.map((e) => e.message),
        ["Invalid token"]
      )
      const unknown = yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { token: "never-issued-token" })
      assert.strictEqual(unknown.status, 401)
      assert.strictEqual(unknown.json().errors[0].code, 1001)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect('GET /api/v2/ping answers {"pong":true} with a valid token, 401 without', () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const pong = yield* exchange(`${fake.plexTvUrl}/api/v2/ping`, { token: fake.token })
      assert.strictEqual(pong.status, 200)
      assert.deepStrictEqual(pong.json(), { pong: true })
      const refused = yield* exchange(`${fake.plexTvUrl}/api/v2/ping`)
      assert.strictEqual(refused.status, 401)
      assert.deepStrictEqual(refused.json(), {
        errors: [{ code: 1001, message: "User could not be authenticated", status: 401 }]
      })
    }).pipe(Effect.provide(FakePlex.layer()))
  )
})

describe("FakePlex plex.tv: protocol details", () => {
  const routes: ReadonlyArray<readonly [string, string]> = [
    ["POST", "/api/v2/users/signin"],
    ["GET", "/api/v2/user"],
    ["POST", "/api/v2/pins"],
    ["GET", "/api/v2/pins/1"],
    ["GET", "/api/v2/resources"],
    ["GET", "/api/v2/ping"],
    ["DELETE", "/api/v2/users/signout"]
  ]
  it.effect("every plex.tv route answers 400, code 1000, without X-Plex-Client-Identifier", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      for (const [method, path] of routes) {
        const answer = yield* exchange(`${fake.plexTvUrl}${path}`, {
          method,
          clientId: null,
          token: fake.token
        })
        assert.strictEqual(answer.status, 400, `${method} ${path}`)
        assert.match(answer.contentType, /^application\/json/)
        assert.deepStrictEqual(answer.json(), {
          errors: [{ code: 1000, message: "X-Plex-Client-Identifier is missing", status: 400 }]
        })
      }
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("the client identifier may travel as a query parameter", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const answer = yield* exchange(`${fake.plexTvUrl}/api/v2/user?X-Plex-Client-Identifier=abc`, {
        clientId: null,
        token: fake.token
      })
      assert.strictEqual(answer.status, 200)
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("answers XML when the request does not ask for JSON", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const user = yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { accept: null, token: fake.token })
      assert.strictEqual(user.status, 200)
      assert.match(user.contentType, /^application\/xml/)
      assert.match(
        user.text,
        /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<user id="24318101" uuid="[0-9a-f]{16}" username="alice"/
      )
      assert.include(user.text, "<profile ")
      const error = yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { accept: "application/xml" })
      assert.strictEqual(error.status, 401)
      assert.include(
        error.text,
        '<errors><error code="1001" message="User could not be authenticated" status="401"/></errors>'
      )
      const missing = yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { accept: null, clientId: null })
      assert.include(missing.text, '<error code="1000"')
    }).pipe(Effect.provide(FakePlex.layer()))
  )

  it.effect("the client always asks for JSON", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails()
      yield* PlexAuth.postUsersSignInData({ login: "alice", password: FakePlex.defaults.password })
      yield* PlexAuth.getTransientToken()
      const requests = yield* FakePlex.requests
      assert.strictEqual(requests.length, 3)
      for (const request of requests) assert.strictEqual(request.headers["accept"], "application/json")
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("answers on clients.plex.tv, its own origin, too; an unknown path is 404", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      assert.strictEqual(fake.clientsUrl, "https://clients.plex.tv")
      assert.deepStrictEqual(fake.plexTvAliases, [])
      const user = yield* exchange("https://clients.plex.tv/api/v2/user", { token: fake.token })
      assert.strictEqual(user.json().username, "alice")
      const missing = yield* exchange(`${fake.plexTvUrl}/api/v2/nothing-here`, { token: fake.token })
      assert.strictEqual(missing.status, 404)
    }).pipe(Effect.provide(FakePlex.layer()))
  )
})

describe("FakePlex plex.tv: resources", () => {
  const seeded = FakePlex.layer({
    accounts: [{}, { username: "bob" }],
    servers: [
      {},
      {
        name: "Bob's Server",
        owner: "bob",
        sharedWith: ["alice"],
        connections: [
          { uri: "http://192.0.2.50:32400", local: true },
          { uri: "https://203-0-113-9.0123456789abcdef.plex.direct:8443", relay: true },
          { uri: "http://[2001:db8::5]:32400" }
        ]
      }
    ]
  })

  it.effect("lists owned and shared servers with their own access tokens, and the account's player", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const answer = yield* exchange(
        `${fake.plexTvUrl}/api/v2/resources?includeHttps=1&includeRelay=1&includeIPv6=1`,
        { token: fake.token }
      )
      assert.strictEqual(answer.status, 200)
      const devices = answer.json() as Array<Record<string, any>>
      assert.deepStrictEqual(
        devices.map((d) => [d["name"], d["provides"], d["owned"]]),
        [
          ["Fake Media Server", "server", true],
          ["Bob's Server", "server", false],
          ["Chrome", "client,player,pubsub-player", true]
        ]
      )
      const [own, shared] = devices
      assert.strictEqual(own!["accessToken"], Redacted.value(fake.serverToken))
      assert.strictEqual(own!["ownerId"], null)
      assert.notStrictEqual(shared!["accessToken"], Redacted.value(fake.servers[1]!.accessToken))
      assert.strictEqual(shared!["ownerId"], fake.accounts[1]!.id)
      assert.deepStrictEqual(
        (shared!["connections"] as Array<any>).map((c) => [
          c.protocol,
          c.address,
          c.port,
          c.local,
          c.relay,
          c.IPv6
        ]),
        [
          ["http", "192.0.2.50", 32400, true, false, false],
          ["https", "203.0.113.9", 8443, false, true, false],
          ["http", "2001:db8::5", 32400, false, false, true]
        ]
      )
    }).pipe(Effect.provide(seeded))
  )

  it.effect("includeHttps, includeRelay and includeIPv6 select connections; no token is 401", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const plain = yield* exchange(`${fake.plexTvUrl}/api/v2/resources`, { token: fake.token })
      const devices = plain.json() as Array<Record<string, any>>
      assert.deepStrictEqual(
        devices.map((d) => (d["connections"] as Array<any>).map((c) => c.uri)),
        [["http://192.0.2.10:32400"], ["http://192.0.2.50:32400"], []]
      )
      const bob = yield* exchange(`${fake.plexTvUrl}/api/v2/resources`, { token: fake.accounts[1]!.token })
      assert.deepStrictEqual(
        (bob.json() as Array<any>).map((d) => d.name),
        ["Bob's Server", "Chrome"]
      )
      const refused = yield* exchange(`${fake.plexTvUrl}/api/v2/resources`)
      assert.strictEqual(refused.status, 401)
      const xml = yield* exchange(`${fake.plexTvUrl}/api/v2/resources`, { token: fake.token, accept: null })
      assert.match(xml.text, /<resources size="3"><resource name="Fake Media Server"/)
      assert.include(xml.text, '<connections><connection protocol="http" address="192.0.2.10"')
    }).pipe(Effect.provide(seeded))
  )
})

describe("FakePlex plex.tv: account payloads", () => {
  it.effect("the 2025-08 shape has the deprecated pin hash and the older profile", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const user = (yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token })).json()
      assert.match(user.pin, /^[0-9a-f]{40}$/)
      assert.notProperty(user.profile, "defaultAudioAccessibility")
      assert.strictEqual(user.adsConsent, null)
      const decoded = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(decoded.profile?.autoSelectSubtitle, 1)
    }).pipe(Effect.provide(FakePlex.layerSignedIn({ shape: "2025-08" })))
  )

  it.effect(
    "the 2026-02 shape has the newer profile fields, and sign-in adds pastSubscriptions and trials",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const user = (yield* exchange(`${fake.plexTvUrl}/api/v2/user`, { token: fake.token })).json()
        assert.notProperty(user, "pin")
        assert.strictEqual(user.profile.autoSelectSubtitle, 2)
        assert.property(user.profile, "mediaReviewsLanguages")
        assert.notProperty(user, "pastSubscriptions")
        const signIn = (yield* exchange(`${fake.plexTvUrl}/api/v2/users/signin`, {
          method: "POST",
          form: { login: fake.login, password: Redacted.value(fake.password) }
        })).json()
        assert.deepStrictEqual(signIn.trials, [])
        assert.isArray(signIn.pastSubscriptions)
        const decoded = yield* PlexAuth.postUsersSignInData({ login: fake.login, password: fake.password })
        assert.strictEqual(decoded.profile?.autoSelectSubtitle, 2)
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "a Plex Home's users are Home users: home, homeAdmin for its admin, homeSize counting the home",
    () =>
      Effect.gen(function* () {
        const admin = yield* PlexAuth.getTokenDetails()
        assert.deepStrictEqual([admin.home, admin.homeAdmin, admin.homeSize], [true, true, 3])
        const member = yield* PlexAuth.postUsersSignInData({
          login: "bob",
          password: Redacted.make("bob-pass")
        })
        assert.deepStrictEqual([member.home, member.homeAdmin, member.homeSize], [true, false, 3])
        // An account in no home is a home of one, as before.
        const alone = yield* PlexAuth.postUsersSignInData({
          login: "carol",
          password: Redacted.make("carol-pass")
        })
        assert.deepStrictEqual([alone.home, alone.homeAdmin, alone.homeSize], [false, false, 1])
      }).pipe(
        Effect.provide(
          FakePlex.layerSignedIn({
            accounts: [
              {},
              { username: "kids", managed: true },
              { username: "bob", password: "bob-pass" },
              { username: "carol", password: "carol-pass" }
            ],
            homes: [{ members: ["kids", "bob"] }]
          })
        )
      )
  )

  it.effect("drift from the seed reaches the client: numbers, nulls and strings where other types were", () =>
    Effect.gen(function* () {
      const account = yield* PlexAuth.getTokenDetails()
      assert.strictEqual(account.profile?.autoSelectSubtitle, 1)
      assert.isFalse(account.profile?.autoSelectAudio)
      assert.isUndefined(account.profile?.defaultSubtitleLanguage)
      assert.strictEqual(account.twoFactorEnabled, false)
      assert.isUndefined(account.subscription)
      assert.deepStrictEqual((account as Record<string, unknown>)["brandNewField"], { nested: [1, 2] })
    }).pipe(
      Effect.provide(
        FakePlex.layerSignedIn({
          accounts: [
            {
              payload: {
                profile: { autoSelectSubtitle: "1", autoSelectAudio: 0, defaultSubtitleLanguage: null },
                twoFactorEnabled: "0",
                subscription: null,
                brandNewField: { nested: [1, 2] }
              }
            }
          ]
        })
      )
    )
  )

  it.effect("patchAccount applies drift at run time; a function override can drop required fields", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* fake.patchAccount(undefined, { title: "Alice A." })
      assert.strictEqual((yield* PlexAuth.getTokenDetails()).title, "Alice A.")
      yield* fake.patchAccount("alice", (payload) => {
        delete payload["uuid"]
        return payload
      })
      const error = yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
      assert.strictEqual(error.reason, "Decode")
      assert.include(error.detail, "uuid")
      const missing = yield* Effect.flip(fake.patchAccount("nobody", {}))
      assert.strictEqual(missing._tag, "FakePlexError")
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )
})

describe("FakePlex plex.tv: the devices clients sign in from", () => {
  // plex.tv lists every client that signed in to the account among its devices (`GET /devices.xml`), with the
  // identity it sent, as python-plexapi's MyPlexDevice and @ctrl/plex's MyPlexDevice read them.
  const identity = {
    "X-Plex-Product": "Plex for Android (TV)",
    "X-Plex-Version": "10.26.0.2578",
    "X-Plex-Platform": "Android",
    "X-Plex-Platform-Version": "11",
    "X-Plex-Device": "SHIELD Android TV",
    "X-Plex-Device-Name": "Bedroom SHIELD",
    "X-Plex-Model": "mdarcy",
    "X-Plex-Device-Vendor": "NVIDIA",
    "X-Plex-Provides": "player,pubsub-player"
  }
  const listed = (text: string, clientIdentifier: string) =>
    text.split("<Device ").find((element) => element.includes(`clientIdentifier="${clientIdentifier}"`))

  it.effect(
    "an approved PIN's token handed to its client adds that device; revoking it refuses that token only (422)",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const created = yield* exchange(`${fake.plexTvUrl}/api/v2/pins?strong=true`, {
          method: "POST",
          clientId: "bedroom-shield",
          headers: identity
        })
        const pin = created.json()
        const approved = yield* fake.approvePin(pin.id)
        // Approval alone signs no client in: the token is the device's once the client has it.
        const before = yield* exchange(`${fake.plexTvUrl}/devices.xml`, { token: fake.token, accept: null })
        assert.isUndefined(listed(before.text, "bedroom-shield"))
        yield* TestClock.adjust("2 seconds")
        const checked = yield* exchange(`${fake.plexTvUrl}/api/v2/pins/${pin.id}`, {
          clientId: "bedroom-shield",
          headers: identity
        })
        assert.strictEqual(checked.json().authToken, Redacted.value(approved))

        const after = yield* exchange(`${fake.plexTvUrl}/devices.xml`, { token: fake.token, accept: null })
        const element = listed(after.text, "bedroom-shield")
        assert.isDefined(element)
        for (const attribute of [
          'name="Bedroom SHIELD"',
          'product="Plex for Android (TV)"',
          'productVersion="10.26.0.2578"',
          'platform="Android"',
          'platformVersion="11"',
          'device="SHIELD Android TV"',
          'model="mdarcy"',
          'vendor="NVIDIA"',
          'provides="player,pubsub-player"',
          `token="${Redacted.value(approved)}"`,
          'createdAt="2"',
          'lastSeenAt="2"'
        ]) {
          assert.include(element, attribute)
        }
        const device = (yield* Devices.list()).find((d) => d.clientIdentifier === "bedroom-shield")!
        assert.strictEqual(device.name, "Bedroom SHIELD")

        yield* Devices.revoke(device.id)
        const refused = yield* failsWith(
          PlexAuth.getTokenDetails().pipe(Credentials.withToken(approved)),
          "Unauthorized"
        )
        assert.strictEqual(refused.status, 422)
        // Its PIN checked again hands out the revoked token: that signs no device in again.
        yield* exchange(`${fake.plexTvUrl}/api/v2/pins/${pin.id}`, {
          clientId: "bedroom-shield",
          headers: identity
        })
        const again = yield* exchange(`${fake.plexTvUrl}/devices.xml`, { token: fake.token, accept: null })
        assert.isUndefined(listed(again.text, "bedroom-shield"))
        // The account's own token (the kit's) is another device's, and still works.
        assert.strictEqual((yield* PlexAuth.getTokenDetails()).username, "alice")
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "a device JWT traded for a Plex JWT adds its client; revoking it refuses that Plex JWT (422) and not the kit's token",
    () =>
      Effect.gen(function* () {
        const key = yield* Jwt.generateKey
        const plexJwt = yield* Jwt.upgrade(key)
        const device = (yield* Devices.list()).find((d) => d.clientIdentifier === "jwt-laptop")
        assert.isDefined(device, "the client is listed")
        assert.deepStrictEqual(
          [device.name, device.product, device.productVersion, device.platform, device.device],
          ["Work Laptop", "JWT Device Test", "3.0.0", "Linux", "PC"]
        )
        assert.strictEqual(Redacted.value(device.token!), Redacted.value(plexJwt.token))

        yield* Devices.revoke(device.id)
        const refused = yield* failsWith(
          PlexAuth.getTokenDetails().pipe(Credentials.withToken(plexJwt.token)),
          "Unauthorized"
        )
        assert.strictEqual(refused.status, 422)
        assert.strictEqual((yield* PlexAuth.getTokenDetails()).username, "alice")
        // Its device key goes with it: a device JWT signed with it is refused as one of a key never registered.
        const fake = yield* FakePlex.FakePlex
        assert.deepStrictEqual(yield* fake.deviceKeys, [])
        const keyRefused = yield* failsWith(Jwt.exchange(key), "Unauthorized")
        assert.strictEqual(keyRefused.status, 422)
        assert.match(keyRefused.message, /Signature verification failed/)
      }).pipe(
        Effect.provide(
          FakePlex.layerSignedIn({
            identity: {
              clientIdentifier: "jwt-laptop",
              product: "JWT Device Test",
              version: "3.0.0",
              platform: "Linux",
              device: "PC",
              deviceName: "Work Laptop",
              runtimeDefaults: false
            }
          })
        )
      )
  )

  it.effect(
    "Jwt.layerStored whose device is revoked: its key is refused at the exchange, and it signs in anew with a PIN",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const CredentialsLive = Jwt.layerStored({
          obtain: (key) => Jwt.pinLogin({ key, onPin: () => Effect.void })
        })
        const whoAmI = Effect.map(
          PlexAuth.getTokenDetails().pipe(Effect.provide(CredentialsLive)),
          (a) => a.username
        )
        assert.strictEqual(yield* whoAmI, "alice")
        assert.isTrue(yield* fake.revokeDevice(FakePlex.testIdentity.clientIdentifier))
        assert.strictEqual(yield* whoAmI, "alice")
        const routes = (yield* FakePlex.requests)
          .filter((r) => r.route === "createPin" || r.route === "exchangeJwt")
          .map((r) => `${r.route} ${r.status}`)
        // The stored token refused (422), the stored key too: a new PIN login, not a token minted for the old key.
        assert.deepStrictEqual(routes, ["createPin 201", "exchangeJwt 422", "createPin 201"])
      }).pipe(
        Effect.provide(
          Layer.merge(FakePlex.layerSignedIn({ autoApprovePins: true }), KeyValueStore.layerMemory)
        )
      )
  )

  it.effect(
    "an approved JWT PIN checked again after its device is revoked: its key is refused (422, Unauthorized), no token",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const key = yield* Jwt.generateKey
        const pin = yield* Jwt.createPin(key)
        yield* fake.approvePin(pin.id)
        const approved = yield* PinLogin.check(pin, { deviceJwt: yield* Jwt.deviceJwt(key) })
        assert.isDefined(approved.authToken)
        assert.isTrue(yield* fake.revokeDevice(FakePlex.testIdentity.clientIdentifier))
        // Another scope would have the fake mint the PIN's token anew: refused instead, as the exchange refuses the key.
        const deviceJwt = yield* Jwt.deviceJwt(key, { scope: "username" })
        const refused = yield* failsWith(PinLogin.check(pin, { deviceJwt }), "Unauthorized")
        assert.strictEqual(refused.status, 422)
        assert.match(refused.message, /Signature verification failed/)
        assert.isFalse(yield* fake.isTokenValid(approved.authToken!))
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "unregisterDeviceKey: a device JWT signed with the key is refused (422), the Plex JWTs it minted still work",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const key = yield* Jwt.generateKey
        const other = yield* Jwt.generateKey
        const plexJwt = yield* Jwt.upgrade(key)
        yield* Jwt.upgrade(other)
        const [registered, kept] = yield* fake.deviceKeys
        assert.isDefined(registered)
        assert.isDefined(kept)
        assert.isTrue(yield* fake.unregisterDeviceKey(registered.kid))
        assert.isFalse(yield* fake.unregisterDeviceKey(registered.kid))
        assert.deepStrictEqual(
          (yield* fake.deviceKeys).map((k) => k.kid),
          [kept.kid]
        )
        const refused = yield* failsWith(Jwt.exchange(key), "Unauthorized")
        assert.strictEqual(refused.status, 422)
        assert.match(refused.message, /Signature verification failed/)
        // The other key still trades, and the Plex JWT the unregistered key minted is still a token.
        yield* Jwt.exchange(other)
        const details = yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(plexJwt.token))
        assert.strictEqual(details.username, "alice")
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )
})
