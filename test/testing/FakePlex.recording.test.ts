import { assert, describe } from "@effect/vitest"
import { inspect } from "node:util"
import { Effect, Layer, Redacted, TestClock } from "effect"
import { Credentials, Home, Jwt, Link, PinLogin, PlexAuth } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { it } from "../support/it.js"
import { CLIENT_ID, exchange, raw, send } from "./support.js"

const PASSWORD = "bob-very-secret-password"
const CODE = "424242"

const layer = FakePlex.layerSignedIn({
  accounts: [{}, { username: "bob", password: PASSWORD, twoFactorCode: CODE }]
})

const HOME_PIN = "4711"

const homeLayer = FakePlex.layerSignedIn({
  accounts: [{}, { username: "carol", managed: true, homePin: HOME_PIN }],
  homes: [{ members: ["carol"] }]
})

describe("FakePlex request recording", () => {
  it.effect("records method, path, query, headers and form fields, with the route that served them", () =>
    Effect.gen(function* () {
      yield* TestClock.adjust("5 seconds")
      yield* PlexAuth.postUsersSignInData({
        login: "bob",
        password: PASSWORD,
        verificationCode: CODE,
        rememberMe: true
      })
      yield* PlexAuth.getSourceConnectionInformation({ source: `server://${FakePlex.defaults.serverId}` })
      const [signIn, resources] = yield* FakePlex.requests
      assert.strictEqual(signIn?.sequence, 1)
      assert.strictEqual(signIn?.receivedAt, 5000)
      assert.strictEqual(signIn?.route, "postUsersSignInData")
      assert.strictEqual(signIn?.method, "POST")
      assert.strictEqual(signIn?.origin, "https://plex.tv")
      assert.strictEqual(signIn?.path, "/api/v2/users/signin")
      assert.strictEqual(signIn?.headers["x-plex-product"], "effect-plex-auth tests")
      assert.strictEqual(signIn?.headers["content-type"], "application/x-www-form-urlencoded")
      assert.strictEqual(signIn?.form?.["login"], "bob")
      assert.strictEqual(signIn?.form?.["rememberMe"], "true")
      assert.isTrue(Redacted.isRedacted(signIn?.form?.["password"]))
      assert.strictEqual(Redacted.value(signIn?.form?.["password"] as Redacted.Redacted<string>), PASSWORD)
      assert.strictEqual(
        Redacted.value(signIn?.form?.["verificationCode"] as Redacted.Redacted<string>),
        CODE
      )
      assert.strictEqual(signIn?.status, 201)
      assert.strictEqual(signIn?.outcome, "Responded")
      assert.strictEqual(resources?.host, "server")
      assert.strictEqual(resources?.serverId, FakePlex.defaults.serverId)
      assert.strictEqual(resources?.query["source"], `server://${FakePlex.defaults.serverId}`)
      assert.isUndefined(resources?.form)
      assert.strictEqual(
        Redacted.value(resources?.headers["x-plex-token"] as Redacted.Redacted<string>),
        Redacted.value(FakePlex.defaults.token)
      )
    }).pipe(Effect.provide(layer))
  )

  it.effect("no secret shows when records are printed or serialised", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const bob = yield* PlexAuth.postUsersSignInData({
        login: "bob",
        password: PASSWORD,
        verificationCode: CODE
      })
      const transient = yield* PlexAuth.getTransientToken()
      yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(bob.authToken))
      yield* PlexAuth.getTokenDetails()
      yield* exchange(`${fake.plexTvUrl}/api/v2/user?X-Plex-Token=${Redacted.value(fake.token)}`)
      yield* exchange(`${fake.serverUrl}/security/token?type=delegation&scope=all`, {
        token: transient.token,
        headers: { Authorization: "Bearer some-bearer-secret" }
      })
      const records = yield* fake.requests
      assert.strictEqual(records.length, 6)
      const secrets = [
        PASSWORD,
        CODE,
        Redacted.value(bob.authToken),
        Redacted.value(transient.token),
        Redacted.value(fake.token),
        "some-bearer-secret"
      ]
      const printed = [JSON.stringify(records), inspect(records, { depth: 10 }), String(records.map(String))]
      for (const text of printed) {
        for (const secret of secrets) assert.notInclude(text, secret)
      }
      assert.include(JSON.stringify(records), "<redacted>")
      assert.isTrue(Redacted.isRedacted(records[4]?.query["X-Plex-Token"]))
    }).pipe(Effect.provide(layer))
  )

  it.effect("PINs' codes (the approval page's form, a link) and Home PINs are Redacted in every record", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      // A short PIN linked by its code (PUT /api/v2/pins/link, form `code`).
      const linked = yield* PinLogin.create({ strong: false })
      yield* Link.link(linked.code)
      // A strong PIN approved on the fake's approval page (POST /auth, form `code`).
      const approved = yield* send(
        raw(`${fake.plexTvUrl}/api/v2/pins?strong=true`, { method: "POST", clientId: CLIENT_ID })
      ).pipe(Effect.flatMap((response) => Effect.promise(() => response.json() as Promise<{ code: string }>)))
      const page = yield* send(
        raw(fake.authAppUrl, {
          method: "POST",
          clientId: null,
          accept: "text/html",
          form: { clientID: CLIENT_ID, code: approved.code, forwardUrl: "", account: "alice" }
        })
      )
      assert.strictEqual(page.status, 200)
      // A Home PIN, wrong (refused) and right, in the query of a switch.
      yield* Effect.flip(Home.switchUser("carol", { pin: "0000" }))
      yield* Home.switchUser("carol", { pin: HOME_PIN })
      const records = yield* fake.requests
      const link = records.find((r) => r.route === "linkPin")
      const form = records.find((r) => r.route === "approvalPage")
      assert.isTrue(Redacted.isRedacted(link?.form?.["code"]))
      assert.strictEqual(Redacted.value(link?.form?.["code"] as Redacted.Redacted<string>), linked.code)
      assert.isTrue(Redacted.isRedacted(form?.form?.["code"]))
      assert.strictEqual(Redacted.value(form?.form?.["code"] as Redacted.Redacted<string>), approved.code)
      assert.strictEqual(form?.form?.["account"], "alice")
      const switches = records.filter((r) => r.route === "switchHomeUser")
      assert.deepStrictEqual(
        switches.map((r) => r.status),
        [403, 201]
      )
      const secrets = [linked.code, approved.code, "0000", HOME_PIN]
      const printed = [
        JSON.stringify(records),
        inspect(records, { depth: 10 }),
        JSON.stringify(fake),
        inspect(fake, { depth: 10 })
      ]
      for (const text of printed) {
        for (const secret of secrets) assert.notInclude(text, secret)
      }
    }).pipe(Effect.provide(homeLayer))
  )

  it.effect("records JSON bodies (JWT register and exchange), secret fields Redacted at any depth", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const key = yield* Jwt.generateKey
      yield* Jwt.upgrade(key)
      yield* send(
        new Request(`${fake.plexTvUrl}/api/v2/pins`, {
          method: "POST",
          headers: {
            "X-Plex-Client-Identifier": "json-body-test",
            "Content-Type": "application/vnd.example+json",
            Accept: "application/json"
          },
          body: JSON.stringify({ strong: true, nested: [{ authToken: "nested-secret-token" }] })
        })
      )
      const records = yield* fake.requests
      /** The JSON body recorded for `route`: the test fails by name when there is none. */
      const jsonOf = (route: string) => {
        const json = records.find((r) => r.route === route)?.json
        assert.isDefined(json, `no JSON body recorded for ${route}`)
        return json
      }
      assert.deepStrictEqual((jsonOf("registerJwk") as { jwk: unknown }).jwk, key.jwk)
      const jwt = (jsonOf("exchangeJwt") as { jwt: unknown }).jwt
      assert.isTrue(Redacted.isRedacted(jwt))
      assert.strictEqual(Redacted.value(jwt as Redacted.Redacted<string>).split(".").length, 3)
      const pin = jsonOf("createPin") as { strong: unknown; nested: Array<{ authToken: unknown }> }
      const nested = pin.nested[0]?.authToken
      assert.strictEqual(Redacted.value(nested as Redacted.Redacted<string>), "nested-secret-token")
      assert.strictEqual(pin.strong, true)
      const printed = [JSON.stringify(records), inspect(records, { depth: 10 })]
      for (const text of printed) {
        assert.notInclude(text, Redacted.value(jwt as Redacted.Redacted<string>))
        assert.notInclude(text, "nested-secret-token")
      }
      // A form body and a body-less request have no JSON.
      assert.isUndefined(records.find((r) => r.route === "getNonce")?.json)
    }).pipe(Effect.provide(layer))
  )

  it.effect("a body that is not JSON, or JSON that does not parse, records no json", () =>
    Effect.gen(function* () {
      yield* PlexAuth.postUsersSignInData({ login: "bob", password: PASSWORD, verificationCode: CODE })
      const fake = yield* FakePlex.FakePlex
      yield* send(
        new Request(`${fake.plexTvUrl}/api/v2/pins`, {
          method: "POST",
          headers: { "X-Plex-Client-Identifier": "json-body-test", "Content-Type": "application/json" },
          body: "{not json"
        })
      )
      const [signIn, broken] = yield* fake.requests
      assert.isDefined(signIn?.form)
      assert.isUndefined(signIn?.json)
      assert.isUndefined(broken?.json)
    }).pipe(Effect.provide(layer))
  )

  it.effect("clearRequests forgets what was received", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      yield* PlexAuth.getTokenDetails()
      yield* fake.clearRequests
      assert.deepStrictEqual(yield* fake.requests, [])
      yield* PlexAuth.getTokenDetails()
      assert.strictEqual((yield* fake.requests)[0]?.sequence, 2)
    }).pipe(Effect.provide(layer))
  )
})

describe("a kit kept in a constant (docs/effect4.md: Effect 4 shares a layer with the provides nested in it)", () => {
  /** How many requests the fake in context has recorded. */
  const recorded = Effect.map(FakePlex.requests, (requests) => requests.length)

  it.effect("provided side by side: a new fake each time", () =>
    Effect.gen(function* () {
      yield* PlexAuth.account().pipe(Effect.provide(layer))
      assert.strictEqual(yield* recorded.pipe(Effect.provide(layer)), 0)
    })
  )

  it.effect("provided again inside its own provide: a new fake on Effect 3 (the same one on Effect 4)", () =>
    Effect.gen(function* () {
      yield* PlexAuth.account()
      assert.strictEqual(yield* recorded, 1)
      assert.strictEqual(yield* recorded.pipe(Effect.provide(layer)), 0)
    }).pipe(Effect.provide(layer))
  )

  it.effect("Layer.fresh inside its own provide: a new fake", () =>
    Effect.gen(function* () {
      yield* PlexAuth.account()
      assert.strictEqual(yield* recorded.pipe(Effect.provide(Layer.fresh(layer))), 0)
    }).pipe(Effect.provide(layer))
  )
})
