/**
 * Each Plex endpoint both editions call is declared once in src/core (its
 * name, method, path and behaviour; `core/endpoint.ts`). The fake Plex serves
 * each at the route of the same name: the client's table and the fake's
 * cannot drift apart.
 */
import { assert, describe, it } from "vitest"
import * as Access from "../../src/core/access.js"
import * as Auth from "../../src/core/auth.js"
import * as Claim from "../../src/core/claim.js"
import * as Devices from "../../src/core/devices.js"
import { type Endpoint, withSchema } from "../../src/core/endpoint.js"
import * as Home from "../../src/core/home.js"
import * as Jwt from "../../src/core/jwt.js"
import * as Pin from "../../src/core/pin.js"
import * as Resources from "../../src/core/resources.js"
import { twoFactorOutcome } from "../../src/core/twoFactor.js"
import * as Routes from "../../src/core/fake/routes.js"
import type { Host } from "../../src/core/fake/store.js"

const plexTv: ReadonlyArray<Endpoint<string>> = [
  Auth.signIn,
  Auth.tokenDetails,
  Auth.ping,
  Auth.signOut,
  Pin.createPin(true),
  Pin.checkPin<string>(7, undefined),
  Pin.checkPin(7, "device-jwt"),
  Jwt.registerJwk,
  Jwt.getNonce,
  Jwt.exchangeJwt,
  Jwt.getJwks,
  Jwt.createJwtPin,
  Resources.getServerResources,
  Home.getHomeUsers,
  Home.switchHomeUser<string>("u-1", undefined),
  Access.getUsers,
  Access.getSharedServers("abc"),
  Access.getOwner,
  Claim.getClaimToken,
  Devices.getDevices,
  Devices.deleteDevice(3),
  Devices.linkPin
]

const server: ReadonlyArray<Endpoint<string>> = [
  Auth.transientToken,
  Auth.sourceConnectionInformation,
  Resources.getServerIdentity,
  Claim.claimServer("claim-token")
]

/** The one endpoint the fake serves under another name: `GET /` answers the server's capabilities. */
const fakeNames: Readonly<Record<string, string>> = { verifyServerToken: "getServerCapabilities" }

describe("core/endpoint", () => {
  it("the fake serves every endpoint at the route of its name, method and path", () => {
    const check = (host: Host, endpoint: Endpoint<string>) => {
      const matched = Routes.match(host, endpoint.method, endpoint.path)
      assert.strictEqual(
        matched?.route.name,
        endpoint.endpoint,
        `${endpoint.method} ${endpoint.path} is served by ${matched?.route.name}`
      )
    }
    for (const endpoint of plexTv) check({ kind: "plexTv" }, endpoint)
    for (const endpoint of server) check({ kind: "server" } as Host, endpoint)
    const verify = Routes.match({ kind: "server" } as Host, "GET", Resources.verifyServerToken.path)
    assert.strictEqual(matched(verify), fakeNames[Resources.verifyServerToken.endpoint])
  })

  it("what must never be sent twice says so; a 404 that means 'not there' says so", () => {
    const once = [...plexTv, ...server].filter((e) => e.idempotent === false).map((e) => e.endpoint)
    assert.deepStrictEqual(once.sort(), [
      "claimServer",
      "exchangeJwt",
      "linkPin",
      "postUsersSignInData",
      "signOut",
      "switchHomeUser"
    ])
    assert.strictEqual(Auth.signIn.twoFactor, twoFactorOutcome)
    assert.isTrue(Pin.checkPin(1, undefined).notFound)
    assert.strictEqual(Pin.checkPin(1, undefined).spanPath, "/api/v2/pins/{id}")
  })

  it("secrets go into the query as the edition holds them; none without one", () => {
    const secret = { redacted: "x" }
    assert.deepStrictEqual(Pin.checkPin(12, secret).urlParams, [["deviceJWT", secret]])
    assert.isUndefined(Pin.checkPin(12, undefined).urlParams)
    assert.deepStrictEqual(Home.switchHomeUser("u", secret).urlParams, [["pin", secret]])
    assert.deepStrictEqual(Claim.claimServer(secret).urlParams, [["token", secret]])
    assert.deepStrictEqual(Pin.createPin(undefined).urlParams, [["strong", "true"]])
    assert.deepStrictEqual(Pin.createPin(false).urlParams, [["strong", "false"]])
  })

  it("bodies: the JWT endpoints' JSON and the link form", () => {
    assert.deepStrictEqual(Jwt.registerJwkBody({ kid: "k" }), { jwk: { kid: "k" } })
    assert.deepStrictEqual(Jwt.exchangeJwtBody("jwt"), { jwt: "jwt" })
    assert.deepStrictEqual(Jwt.createJwtPinBody({ kid: "k" }, undefined), { jwk: { kid: "k" }, strong: true })
    assert.deepStrictEqual(Jwt.createJwtPinBody({ kid: "k" }, false), { jwk: { kid: "k" }, strong: false })
    assert.deepStrictEqual(Devices.linkForm("ABCD"), [["code", "ABCD"]])
  })

  it("withSchema adds the schema and keeps the rest", () => {
    const schema = { decode: true }
    assert.deepStrictEqual(withSchema(Auth.ping, schema), { ...Auth.ping, schema })
  })
})

const matched = (found: ReturnType<typeof Routes.match>) => found?.route.name
