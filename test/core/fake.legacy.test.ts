/**
 * The fake's plex.tv legacy routes, driven with plain web `Request`s as
 * python-plexapi and @ctrl/plex send them: `/api/users/`,
 * `/api/servers/{machineId}/shared_servers`, `/devices.xml`,
 * `DELETE /devices/{id}.xml`, `/api/home/users` and
 * `/api/home/users/{id}/switch?pin=…`. They answer XML whatever the request
 * asks (their refusals too), as plex.tv does; a Home PIN is a secret in the
 * fake's records.
 */
import { assert, describe, it } from "vitest"
import { Fault, makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"
import { legacySignInRefusal } from "../../src/core/fake/routes.js"
import { parse, type XmlElement, XmlError } from "../../src/core/xml.js"

const PIN = "4321"

const fakeWithHome = () =>
  makeFakePlex({
    accounts: [
      { username: "alice", devices: [{ name: "Living Room TV" }, { name: "Old Phone" }] },
      { username: "kids", title: "Kids", managed: true, homePin: PIN },
      { username: "bob" },
      { username: "carol" }
    ],
    homes: [{ members: ["kids", "bob"] }],
    servers: [{ name: "Den", sharedWith: ["carol"] }]
  })

/** The headers python-plexapi sends (no Accept of its own), or @ctrl/plex's (`Accept: application/json`). */
const headers = (token: string | undefined, accept?: string): Record<string, string> => ({
  "X-Plex-Client-Identifier": "legacy-test",
  "X-Plex-Product": "PlexAPI",
  ...(accept === undefined ? {} : { Accept: accept }),
  ...(token === undefined ? {} : { "X-Plex-Token": token })
})

const send = (
  fake: FakePlex,
  path: string,
  init: { method?: string; token?: string; accept?: string | undefined } = {}
) =>
  fake.handler(
    new Request(`${fake.plexTvUrl}${path}`, {
      method: init.method ?? "GET",
      headers: headers(init.token, init.accept)
    })
  )

const xml = async (response: Response): Promise<XmlElement> => {
  assert.strictEqual(response.headers.get("content-type"), "application/xml; charset=utf-8")
  const root = parse(await response.text())
  if (root instanceof XmlError) throw new Error(root.message)
  return root
}

describe("core fake: plex.tv's legacy routes answer XML, whatever is asked", () => {
  it("GET /api/users/ (python-plexapi users(), @ctrl/plex users()): User elements with their Server shares", async () => {
    const fake = fakeWithHome()
    const alice = fake.account("alice")
    for (const accept of [undefined, "application/json"]) {
      const response = await send(fake, "/api/users/", { token: alice.token, accept })
      assert.strictEqual(response.status, 200)
      const root = await xml(response)
      assert.strictEqual(root.name, "MediaContainer")
      const users = root.children.filter((c) => c.name === "User")
      assert.deepStrictEqual(
        users.map((u) => [u.attributes["title"], u.attributes["home"]]),
        [
          ["Kids", "1"],
          ["bob", "1"],
          ["carol", "0"]
        ]
      )
      const carol = users[2]!
      assert.deepStrictEqual(
        carol.children.map((s) => [s.name, s.attributes["machineIdentifier"], s.attributes["pending"]]),
        [["Server", fake.serverId, "0"]]
      )
    }
  })

  it("a refused token, a missing client identifier: the refusal in XML too", async () => {
    const fake = fakeWithHome()
    const refused = await send(fake, "/api/users/", { token: "nope", accept: "application/json" })
    assert.strictEqual(refused.status, 401)
    const root = await xml(refused)
    assert.deepStrictEqual(
      root.children.map((e) => e.attributes),
      [{ code: "1001", message: "User could not be authenticated", status: "401" }]
    )
    const anonymous = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/users/`, { headers: { Accept: "application/json" } })
    )
    assert.strictEqual(anonymous.status, 400)
    assert.strictEqual((await xml(anonymous)).children[0]?.attributes["code"], "1000")
  })

  it("GET /api/servers/{id}/shared_servers (python-plexapi get_token): SharedServer elements with accessToken", async () => {
    const fake = fakeWithHome()
    const alice = fake.account("alice")
    const carol = fake.account("carol")
    const response = await send(fake, `/api/servers/${fake.serverId}/shared_servers`, {
      token: alice.token,
      accept: "application/json"
    })
    const root = await xml(response)
    const shared = root.children.filter((c) => c.name === "SharedServer")
    // The friend the server is shared with and the home's members, each with a token of their own.
    assert.deepStrictEqual(
      shared.map((s) => s.attributes["userID"]),
      [carol.id, fake.account("kids").id, fake.account("bob").id].map(String)
    )
    for (const s of shared) assert.match(s.attributes["accessToken"] ?? "", /^\S+$/)
    // Not the owner's server, or no such server: 404 in XML.
    const notOwner = await send(fake, `/api/servers/${fake.serverId}/shared_servers`, { token: carol.token })
    assert.strictEqual(notOwner.status, 404)
    assert.strictEqual((await xml(notOwner)).name, "errors")
  })

  it("GET /devices.xml and DELETE /devices/{id}.xml (python-plexapi and @ctrl/plex MyPlexDevice); no /devices.json", async () => {
    const fake = fakeWithHome()
    const alice = fake.account("alice")
    const devices = (
      await xml(await send(fake, "/devices.xml", { token: alice.token, accept: "application/json" }))
    ).children
    assert.deepStrictEqual(
      devices.map((d) => [d.name, d.attributes["name"]]),
      [
        ["Device", "Living Room TV"],
        ["Device", "Old Phone"],
        ["Device", "Den"]
      ]
    )
    const phone = devices[1]!.attributes
    assert.isTrue(fake.isTokenValid(phone["token"]!))
    const deleted = await send(fake, `/devices/${phone["id"]}.xml`, { method: "DELETE", token: alice.token })
    assert.strictEqual(deleted.status, 204)
    assert.isFalse(fake.isTokenValid(phone["token"]!))
    const again = await send(fake, `/devices/${phone["id"]}.xml`, {
      method: "DELETE",
      token: alice.token,
      accept: "application/json"
    })
    assert.strictEqual(again.status, 404)
    assert.strictEqual((await xml(again)).name, "errors")
    // No reference calls a JSON form: the fake does not pretend plex.tv serves one.
    assert.strictEqual((await send(fake, "/devices.json", { token: alice.token })).status, 404)
  })

  // A switch hands the asking client a token of the target account, as a sign-in does: the client is then among
  // that account's devices, and revoking it signs the switched session out. Before, the switched token was tied to
  // no device: `plex-auth devices revoke` of the CLI's own device left a token it had got by `home switch` working.
  it("a Home switch (v2 and legacy) signs the client in to the target: its device, whose revocation ends the token", async () => {
    const fake = fakeWithHome()
    const alice = fake.account("alice")
    const kids = fake.account("kids")
    const switchTo = async (path: string, token: string) => {
      const response = await fake.handler(
        new Request(`${fake.plexTvUrl}${path}`, {
          method: "POST",
          headers: { ...headers(token, "application/json"), "X-Plex-Device-Name": "switcher" }
        })
      )
      assert.strictEqual(response.status, 201)
      const text = await response.text()
      return (
        /authenticationToken="([^"]+)"/.exec(text)?.[1] ??
        (JSON.parse(text) as { authToken: string }).authToken
      )
    }
    const devicesOf = async (token: string) =>
      (await xml(await send(fake, "/devices.xml", { token }))).children.map((d) => d.attributes)
    for (const [path, target] of [
      [`/api/v2/home/users/${kids.uuid}/switch?pin=${PIN}`, kids],
      [`/api/home/users/${kids.id}/switch?pin=${PIN}`, kids],
      [`/api/v2/home/users/${alice.uuid}/switch`, alice]
    ] as const) {
      const switched = await switchTo(path, alice.token)
      const user = await fake.handler(
        new Request(`${fake.plexTvUrl}/api/v2/user`, { headers: headers(switched, "application/json") })
      )
      assert.strictEqual(((await user.json()) as { id: number }).id, target.id)
      const device = (await devicesOf(switched)).find((d) => d["clientIdentifier"] === "legacy-test")
      assert.strictEqual(device?.["name"], "switcher", path)
      const revoked = await send(fake, `/devices/${device?.["id"]}.xml`, {
        method: "DELETE",
        token: target.token
      })
      assert.strictEqual(revoked.status, 204)
      assert.isFalse(fake.isTokenValid(switched), path)
    }
  })

  it("accounts whose ids end alike (1001, 2001) keep their own devices: one's are not the other's", async () => {
    const fake = makeFakePlex({
      accounts: [
        { username: "alice", id: 1001, devices: [{ name: "Alice TV" }] },
        { username: "bob", id: 2001, devices: [{ name: "Bob TV" }] }
      ]
    })
    const listed = async (login: string) =>
      (await xml(await send(fake, "/devices.xml", { token: fake.account(login).token }))).children.map(
        (d) => d.attributes
      )
    const [alice] = await listed("alice")
    const [bob] = await listed("bob")
    assert.strictEqual(alice?.["name"], "Alice TV")
    assert.strictEqual(bob?.["name"], "Bob TV")
    assert.notStrictEqual(alice?.["id"], bob?.["id"])
    // Removing alice's device leaves bob's, and its token, alone.
    const deleted = await send(fake, `/devices/${alice?.["id"]}.xml`, {
      method: "DELETE",
      token: fake.account("alice").token
    })
    assert.strictEqual(deleted.status, 204)
    assert.deepStrictEqual(
      (await listed("bob")).map((d) => d["name"]),
      ["Bob TV"]
    )
    assert.isTrue(fake.isTokenValid(bob!["token"]!))
    // Each account's seeded devices have a block of 100 ids: more is refused, not spilled into the next block.
    assert.throws(
      () => makeFakePlex({ accounts: [{ devices: Array.from({ length: 101 }, () => ({})) }] }),
      /accounts\[0\]\.devices: an account seeds at most 100 devices/
    )
  })

  // plex.tv lists the account's own servers among its devices: python-plexapi `MyPlexDevice` (`provides`,
  // `clientIdentifier`, `token`, `Connection` uris; its test finds the server with `account.device(name)`).
  // Revoking one removes the server from the account (hassio-addons/app-plex issue 221).
  it("/devices.xml lists the account's server (provides=server); revoking it removes the server from the account", async () => {
    const fake = fakeWithHome()
    const [alice, bob, carol] = [fake.account("alice"), fake.account("bob"), fake.account("carol")]
    const den = fake.server()
    const devicesOf = async (token: string) =>
      (await xml(await send(fake, "/devices.xml", { token }))).children.map((d) => d.attributes)
    const resourcesOf = async (token: string) => {
      const response = await send(fake, "/api/v2/resources?includeHttps=1&includeRelay=1", {
        token,
        accept: "application/json"
      })
      return ((await response.json()) as ReadonlyArray<{ clientIdentifier: string }>).map(
        (r) => r.clientIdentifier
      )
    }
    const onServer = (token: string, path = "/") =>
      fake.handler(
        new Request(`${den.url}${path}`, { headers: { ...headers(token), Accept: "application/json" } })
      )

    const server = (await devicesOf(alice.token)).find((d) => d["provides"] === "server")!
    assert.strictEqual(server["name"], "Den")
    assert.strictEqual(server["product"], "Plex Media Server")
    assert.strictEqual(server["productVersion"], den.version)
    assert.strictEqual(server["clientIdentifier"], den.clientIdentifier)
    assert.strictEqual(server["token"], den.accessToken)
    assert.match(server["id"] ?? "", /^[1-9][0-9]*$/)
    assert.match(server["createdAt"] ?? "", /^[0-9]+$/)
    const entry = (await xml(await send(fake, "/devices.xml", { token: alice.token }))).children.find(
      (d) => d.attributes["provides"] === "server"
    )!
    assert.deepStrictEqual(
      entry.children.map((c) => [c.name, c.attributes["uri"]]),
      den.urls.map((uri) => ["Connection", uri])
    )
    // Only its owner lists it: not a friend it is shared with, nor a member of the owner's home.
    assert.isUndefined((await devicesOf(carol.token)).find((d) => d["provides"] === "server"))
    assert.deepStrictEqual(await devicesOf(bob.token), [])
    for (const token of [alice.token, carol.token, bob.token])
      assert.include(await resourcesOf(token), den.clientIdentifier)
    assert.strictEqual((await onServer(den.accessToken)).status, 200)

    // Another account's server is not its device.
    const foreign = await send(fake, `/devices/${server["id"]}.xml`, { method: "DELETE", token: carol.token })
    assert.strictEqual(foreign.status, 404)
    assert.include(await resourcesOf(alice.token), den.clientIdentifier)

    const deleted = await send(fake, `/devices/${server["id"]}.xml`, { method: "DELETE", token: alice.token })
    assert.strictEqual(deleted.status, 204)
    assert.isUndefined((await devicesOf(alice.token)).find((d) => d["provides"] === "server"))
    // Gone from the owner's resources, its friend's and its home's; the server answers no token, its own included.
    for (const token of [alice.token, carol.token, bob.token])
      assert.notInclude(await resourcesOf(token), den.clientIdentifier)
    assert.strictEqual((await onServer(den.accessToken)).status, 401)
    assert.strictEqual((await onServer(alice.token)).status, 401)
    const identity = (await (await onServer(den.accessToken, "/identity")).json()) as {
      MediaContainer: { claimed: boolean }
    }
    assert.isFalse(identity.MediaContainer.claimed)
    const users = await xml(await send(fake, "/api/users/", { token: alice.token }))
    assert.deepStrictEqual(
      users.children.flatMap((u) => u.children.map((c) => c.attributes["machineIdentifier"])),
      []
    )
    // The client devices stay; the server's device is gone.
    assert.deepStrictEqual(
      (await devicesOf(alice.token)).map((d) => d["name"]),
      ["Living Room TV", "Old Phone"]
    )
    const again = await send(fake, `/devices/${server["id"]}.xml`, { method: "DELETE", token: alice.token })
    assert.strictEqual(again.status, 404)

    // Claimed again (as after hassio-addons/app-plex issue 221), it is back on the account.
    const claim = (await (await send(fake, "/api/claim/token.json", { token: alice.token })).json()) as {
      token: string
    }
    const claimed = await fake.handler(
      new Request(`${den.url}/myplex/claim?token=${claim.token}`, {
        method: "POST",
        headers: headers(undefined)
      })
    )
    assert.strictEqual(claimed.status, 200)
    assert.include(await resourcesOf(alice.token), den.clientIdentifier)
    assert.include(
      (await devicesOf(alice.token)).map((d) => d["clientIdentifier"]),
      den.clientIdentifier
    )
    // With a new token of its own (a claim signs it in anew): the one it had before is refused.
    const renewed = fake.server().accessToken
    assert.notStrictEqual(renewed, den.accessToken)
    assert.strictEqual(
      (await devicesOf(alice.token)).find((d) => d["provides"] === "server")!["token"],
      renewed
    )
    assert.strictEqual((await onServer(renewed)).status, 200)
    assert.strictEqual((await onServer(den.accessToken)).status, 401)
  })

  it("GET /api/v2/user in XML (python-plexapi MyPlexAccount): a home's users home=1, its admin homeAdmin=1, homeSize", async () => {
    const fake = fakeWithHome()
    const attributesOf = async (username: string) =>
      (await xml(await send(fake, "/api/v2/user", { token: fake.account(username).token }))).attributes
    const home = (a: Record<string, string>) => [a["home"], a["homeAdmin"], a["homeSize"]]
    assert.deepStrictEqual(home(await attributesOf("alice")), ["1", "1", "3"])
    assert.deepStrictEqual(home(await attributesOf("bob")), ["1", "0", "3"])
    assert.deepStrictEqual(home(await attributesOf("carol")), ["0", "0", "1"])
  })

  it("GET /api/resources (python-plexapi 4.3 to 4.14's resources()): Device elements with their Connections, in seconds", async () => {
    const fake = fakeWithHome()
    for (const accept of [undefined, "application/json"]) {
      const root = await xml(
        await send(fake, "/api/resources?includeHttps=1&includeRelay=1", {
          token: fake.account("alice").token,
          accept
        })
      )
      assert.strictEqual(root.name, "MediaContainer")
      const [den, player] = root.children
      assert.deepStrictEqual(
        [den?.name, den?.attributes["name"], den?.attributes["provides"], den?.attributes["owned"]],
        ["Device", "Den", "server", "1"]
      )
      assert.strictEqual(root.attributes["size"], String(root.children.length))
      assert.match(den?.attributes["createdAt"] ?? "", /^\d+$/)
      assert.isAbove(den?.children.length ?? 0, 0)
      for (const connection of den?.children ?? []) {
        assert.strictEqual(connection.name, "Connection")
        assert.match(connection.attributes["uri"] ?? "", /^https?:\/\//)
      }
      assert.strictEqual(player?.attributes["provides"], "client,player,pubsub-player")
    }
    // Carol's share: the server's own token for her, not owned; the same devices as /api/v2/resources lists.
    const carol = await xml(await send(fake, "/api/resources", { token: fake.account("carol").token }))
    const shared = carol.children.find((d) => d.attributes["name"] === "Den")
    assert.strictEqual(shared?.attributes["owned"], "0")
    // A share names its owner; a device of one's own has no ownerId or sourceTitle at all (python-plexapi 4.3 to
    // 4.14: "only available if its not your device", read as `cast(int, attrib.get('ownerId', 0))`, which an empty
    // ownerId="" turns into NaN, not 0).
    assert.deepStrictEqual(
      [shared?.attributes["ownerId"], shared?.attributes["sourceTitle"]],
      [String(fake.account("alice").id), "alice"]
    )
    const own = await xml(await send(fake, "/api/resources", { token: fake.account("alice").token }))
    assert.deepStrictEqual(
      own.children.map((d) => ["ownerId", "sourceTitle"].filter((name) => name in d.attributes)),
      [[], []]
    )
    for (const device of [...own.children, ...carol.children]) {
      assert.deepStrictEqual(
        Object.entries(device.attributes).filter(([, value]) => value === ""),
        [],
        device.attributes["name"]
      )
    }
    const v2 = (await (
      await send(fake, "/api/v2/resources", {
        token: fake.account("carol").token,
        accept: "application/json"
      })
    ).json()) as Array<{ name: string; accessToken: string }>
    assert.strictEqual(shared?.attributes["accessToken"], v2.find((d) => d.name === "Den")?.accessToken)
    assert.strictEqual((await send(fake, "/api/resources", { token: "not-a-token" })).status, 401)
  })

  it("scripted faults apply to the legacy routes by their names", async () => {
    const fake = fakeWithHome()
    fake.fault("getUsers", Fault.status(503), { times: 1 })
    fake.fault("getDevices", Fault.truncate({ keepBytes: 40 }), { times: 1 })
    const alice = fake.account("alice")
    assert.strictEqual((await send(fake, "/api/users/", { token: alice.token })).status, 503)
    const cut = await (await send(fake, "/devices.xml", { token: alice.token })).text().catch(() => "")
    assert.instanceOf(parse(cut), XmlError)
    assert.strictEqual((await send(fake, "/api/users/", { token: alice.token })).status, 200)
  })
})

describe("core fake: Plex Home switch, the PIN in the query, a secret in the records", () => {
  it("the legacy /api/home/users and /switch?pin= (python-plexapi, @ctrl/plex): XML, <user authenticationToken>", async () => {
    const fake = fakeWithHome()
    const alice = fake.account("alice")
    const kids = fake.account("kids")
    const home = await xml(await send(fake, "/api/home/users", { token: alice.token }))
    assert.deepStrictEqual(
      home.children.map((u) => [u.attributes["title"], u.attributes["protected"], u.attributes["admin"]]),
      [
        ["alice", "0", "1"],
        ["Kids", "1", "0"],
        ["bob", "0", "0"]
      ]
    )
    const switched = await send(fake, `/api/home/users/${kids.id}/switch?pin=${PIN}`, {
      method: "POST",
      token: alice.token,
      accept: "application/json"
    })
    assert.strictEqual(switched.status, 201)
    const user = await xml(switched)
    assert.strictEqual(user.name, "user")
    const token = user.attributes["authenticationToken"]!
    assert.isTrue(fake.isTokenValid(token))
    assert.strictEqual(user.attributes["authToken"], token)

    const wrong = await send(fake, `/api/home/users/${kids.id}/switch?pin=0000`, {
      method: "POST",
      token: alice.token
    })
    assert.strictEqual(wrong.status, 403)
    assert.deepStrictEqual((await xml(wrong)).children[0]?.attributes, {
      code: "1041",
      message: "A valid PIN is required to perform this action",
      status: "403"
    })
  })

  it("an account in no home lists itself and switches to itself (legacy, as PlexKodiConnect calls it, and v2)", async () => {
    const fake = fakeWithHome()
    const carol = fake.account("carol")
    const alice = fake.account("alice")
    const listed = await xml(await send(fake, "/api/home/users/", { token: carol.token }))
    assert.deepStrictEqual(
      listed.children.map((u) => [u.attributes["id"], u.attributes["admin"]]),
      [[String(carol.id), "1"]]
    )
    for (const path of [`/api/home/users/${carol.id}/switch`, `/api/v2/home/users/${carol.uuid}/switch`]) {
      const switched = await send(fake, path, { method: "POST", token: carol.token })
      assert.strictEqual(switched.status, 201, path)
      const user = await xml(switched)
      assert.strictEqual(user.attributes["id"], String(carol.id), path)
      assert.strictEqual(user.attributes["home"], "0", path)
      assert.isTrue(fake.isTokenValid(user.attributes["authToken"]!), path)
    }
    // Anyone else is no user of carol's (a home of one): 404, as before.
    const other = await send(fake, `/api/home/users/${alice.id}/switch`, {
      method: "POST",
      token: carol.token
    })
    assert.strictEqual(other.status, 404)
  })

  it("homePinListed: false lists a user with a PIN as not protected (v2 and legacy); its switch still asks for the PIN", async () => {
    const fake = makeFakePlex({
      accounts: [
        { username: "alice" },
        { username: "teen", title: "Teen", homePin: PIN, homePinListed: false }
      ],
      homes: [{ members: ["teen"] }]
    })
    const alice = fake.account("alice")
    const teen = fake.account("teen")
    const v2 = await send(fake, "/api/v2/home/users", { token: alice.token, accept: "application/json" })
    const users = ((await v2.json()) as { users: ReadonlyArray<{ title: string; protected: boolean }> }).users
    assert.deepStrictEqual(
      users.map((u) => [u.title, u.protected]),
      [
        ["alice", false],
        ["Teen", false]
      ]
    )
    const legacy = await xml(await send(fake, "/api/home/users", { token: alice.token }))
    assert.deepStrictEqual(
      legacy.children.map((u) => u.attributes["protected"]),
      ["0", "0"]
    )
    const switchTo = (query: string) =>
      send(fake, `/api/v2/home/users/${teen.uuid}/switch${query}`, {
        method: "POST",
        token: alice.token,
        accept: "application/json"
      })
    const missing = await switchTo("")
    assert.strictEqual(missing.status, 403)
    assert.strictEqual(
      ((await missing.json()) as { errors: ReadonlyArray<{ code: number }> }).errors[0]?.code,
      1041
    )
    assert.strictEqual((await switchTo(`?pin=${PIN}`)).status, 201)
    // The default: a user with a PIN is listed protected.
    const withHome = fakeWithHome()
    const kids = await xml(
      await send(withHome, "/api/home/users", { token: withHome.account("alice").token })
    )
    assert.include(
      kids.children.map((u) => `${u.attributes["title"]}:${u.attributes["protected"]}`),
      "Kids:1"
    )
  })

  it("the v2 switch reads the PIN from the query (a form field too); the records keep every PIN a Secret", async () => {
    const fake = fakeWithHome()
    const alice = fake.account("alice")
    const kids = fake.account("kids")
    const v2 = (pin: string, asForm = false) =>
      fake.handler(
        new Request(`${fake.plexTvUrl}/api/v2/home/users/${kids.uuid}/switch${asForm ? "" : `?pin=${pin}`}`, {
          method: "POST",
          headers: {
            ...headers(alice.token, "application/json"),
            ...(asForm ? { "Content-Type": "application/x-www-form-urlencoded" } : {})
          },
          ...(asForm ? { body: new URLSearchParams({ pin }).toString() } : {})
        })
      )
    const right = await v2(PIN)
    assert.strictEqual(right.status, 201)
    assert.match(String(((await right.json()) as { authToken?: unknown }).authToken), /^\S{20}$/)
    // Plex Web's switch, as captured: a wrong PIN is 403 with code 1041 and this message (a missing one too).
    const wrong = await v2("0000")
    assert.strictEqual(wrong.status, 403)
    assert.deepStrictEqual(await wrong.json(), {
      errors: [{ code: 1041, message: "A valid PIN is required to perform this action", status: 403 }]
    })
    assert.strictEqual((await v2("9876", true)).status, 403)

    const records = fake.requests().filter((r) => r.route === "switchHomeUser")
    assert.strictEqual(records.length, 3)
    const shown = JSON.stringify(records) + records.map((r) => `${String(r.query["pin"])}`).join(" ")
    for (const pin of [PIN, "0000", "9876"]) assert.notInclude(shown, `"${pin}"`)
    const revealed = records.map((r) => {
      const value = r.query["pin"] ?? r.form?.["pin"]
      return typeof value === "object" ? value.reveal() : `plain ${value}`
    })
    assert.deepStrictEqual(revealed, [PIN, "0000", "9876"])
  })
})

describe("core fake: a server's claim route, as python-plexapi PlexServer.claim and ClaimIt send it", () => {
  // A claimed server refuses a claim as it refuses any request without its owner's say: 401 (ukdtom/ClaimIt issue
  // 1, "If we try and claim an already claimed server, PMS returns 401"). The fake answered 400, the answer to a
  // bad claim token, so a client telling the two apart was tested against an answer Plex does not give.
  it("POST /myplex/claim on a claimed server: 401, with or without a token, a valid claim token or not", async () => {
    const fake = fakeWithHome()
    const alice = fake.account("alice")
    const claimToken = await fake
      .handler(new Request(`${fake.plexTvUrl}/api/claim/token.json`, { headers: headers(alice.token) }))
      .then((r) => r.json() as Promise<{ token: string }>)
    for (const token of [undefined, alice.token]) {
      for (const claim of [claimToken.token, "claim-notARealToken000"]) {
        const response = await fake.handler(
          new Request(`${fake.serverUrl}/myplex/claim?token=${claim}`, {
            method: "POST",
            headers: headers(token)
          })
        )
        assert.strictEqual(response.status, 401)
        assert.match(response.headers.get("content-type") ?? "", /^text\/html/)
      }
    }
  })
})

describe("core fake: the owner a server shows follows releases and claims", () => {
  // A server removed from its account (its device revoked) is unclaimed: the fake's views show no owner, and a
  // server claimed since by another account shows that account, in the views, its `GET /` (python-plexapi
  // `PlexServer.myPlexUsername`, `myPlexSigninState`) and a friend's resources (`ownerId`).
  it("servers, server(), GET / and a share's resources: the seeded owner, none once released, then the claimer", async () => {
    const fake = fakeWithHome()
    const [alice, bob, carol] = [fake.account("alice"), fake.account("bob"), fake.account("carol")]
    const den = fake.server()
    const root = async (token: string) => {
      const response = await fake.handler(
        new Request(`${den.url}/`, { headers: { ...headers(token), Accept: "application/json" } })
      )
      assert.strictEqual(response.status, 200)
      const body = (await response.json()) as { MediaContainer: Record<string, unknown> }
      const { claimed, myPlexSigninState, myPlexUsername } = body.MediaContainer
      return { claimed, myPlexSigninState, myPlexUsername }
    }
    const ownerIdSeenBy = async (token: string) => {
      const response = await send(fake, "/api/v2/resources", { token, accept: "application/json" })
      const list = (await response.json()) as ReadonlyArray<{ clientIdentifier: string; ownerId: unknown }>
      return list.find((r) => r.clientIdentifier === den.clientIdentifier)?.ownerId
    }
    const claimFor = async (token: string) => {
      const claim = (await (await send(fake, "/api/claim/token.json", { token })).json()) as { token: string }
      const response = await fake.handler(
        new Request(`${den.url}/myplex/claim?token=${claim.token}`, {
          method: "POST",
          headers: headers(undefined)
        })
      )
      assert.strictEqual(response.status, 200)
    }

    assert.strictEqual(den.ownerId, alice.id)
    assert.strictEqual(fake.servers[0]!.ownerId, alice.id)
    assert.deepStrictEqual(await root(den.accessToken), {
      claimed: true,
      myPlexSigninState: "ok",
      myPlexUsername: alice.email
    })
    assert.strictEqual(await ownerIdSeenBy(carol.token), alice.id)

    const serverDevice = (await xml(await send(fake, "/devices.xml", { token: alice.token }))).children.find(
      (d) => d.attributes["provides"] === "server"
    )!
    const deleted = await send(fake, `/devices/${serverDevice.attributes["id"]}.xml`, {
      method: "DELETE",
      token: alice.token
    })
    assert.strictEqual(deleted.status, 204)
    assert.isUndefined(fake.server().ownerId)
    assert.isUndefined(fake.servers[0]!.ownerId)
    assert.isUndefined(fake.server(den.clientIdentifier).ownerId)

    // Claimed by another account (carol, alice's friend): carol owns it now.
    await claimFor(carol.token)
    assert.strictEqual(fake.server().ownerId, carol.id)
    assert.strictEqual(fake.servers[0]!.ownerId, carol.id)
    assert.deepStrictEqual(await root(fake.server().accessToken), {
      claimed: true,
      myPlexSigninState: "ok",
      myPlexUsername: carol.email
    })
    assert.deepStrictEqual(await root(carol.token), {
      claimed: true,
      myPlexSigninState: "ok",
      myPlexUsername: carol.email
    })
    assert.strictEqual(
      (await fake.handler(new Request(`${den.url}/`, { headers: headers(alice.token) }))).status,
      401
    )
    // The seeded owner's shares ended with the claim: alice's home member bob no longer has it, nor does carol's
    // server list its users; a share's token is refused.
    const listed = async (token: string) => {
      const response = await send(fake, "/api/v2/resources", { token, accept: "application/json" })
      return ((await response.json()) as ReadonlyArray<{ clientIdentifier: string }>).map(
        (r) => r.clientIdentifier
      )
    }
    assert.notInclude(await listed(bob.token), den.clientIdentifier)
    assert.include(await listed(carol.token), den.clientIdentifier)
    const sharedXml = await xml(
      await send(fake, `/api/servers/${den.clientIdentifier}/shared_servers`, { token: carol.token })
    )
    assert.deepStrictEqual(sharedXml.children, [])
    assert.strictEqual(
      (await fake.handler(new Request(`${den.url}/`, { headers: headers(bob.token) }))).status,
      401
    )
  })

  it("a server seeded unclaimed shows no owner until claimed; its claim answers the claimer's sign-in", async () => {
    const fake = makeFakePlex({
      accounts: [{ username: "alice" }, { username: "bob" }],
      servers: [{ name: "New", claimed: false }]
    })
    const bob = fake.account("bob")
    assert.isUndefined(fake.server().ownerId)
    assert.isUndefined(fake.servers[0]!.ownerId)
    const claim = (await (await send(fake, "/api/claim/token.json", { token: bob.token })).json()) as {
      token: string
    }
    const response = await fake.handler(
      new Request(`${fake.serverUrl}/myplex/claim?token=${claim.token}`, {
        method: "POST",
        headers: { ...headers(undefined), Accept: "application/json" }
      })
    )
    // The server's /myplex/account document, signed in as bob (python-plexapi PlexServer.claim reads signInState).
    const body = (await response.json()) as { MyPlex: Record<string, unknown> }
    assert.strictEqual(body.MyPlex["signInState"], "ok")
    assert.strictEqual(body.MyPlex["username"], bob.email)
    assert.strictEqual(fake.server().ownerId, bob.id)
  })
})

describe("core fake: the legacy sign-in, POST /users/sign_in.json and .xml (@ctrl/plex MyPlexAccount.connect())", () => {
  const fakeWithTwoFactor = () =>
    makeFakePlex({
      accounts: [{}, { username: "bob", password: "bob-pass", twoFactorCode: "123456" }],
      homes: [{ members: ["bob"] }]
    })

  /** The request @ctrl/plex sends: Basic credentials, its `X-Plex-*` headers, `Accept: application/json`. */
  const signIn = (
    fake: FakePlex,
    format: string,
    credentials: string | undefined,
    accept = "application/json"
  ) =>
    fake.handler(
      new Request(`${fake.plexTvUrl}/users/sign_in.${format}`, {
        method: "POST",
        headers: {
          ...headers(undefined, accept),
          "X-Plex-Device-Name": "ctrl-plex-test",
          ...(credentials === undefined ? {} : { Authorization: `Basic ${btoa(credentials)}` })
        }
      })
    )

  it(".json: 201 and {user} with a newly issued authToken (authentication_token too), a token plex.tv accepts", async () => {
    const fake = fakeWithTwoFactor()
    for (const accept of ["application/json", "*/*"]) {
      const response = await signIn(fake, "json", `${fake.login}:${fake.password}`, accept)
      assert.strictEqual(response.status, 201)
      assert.strictEqual(response.headers.get("content-type"), "application/json; charset=utf-8")
      const { user } = (await response.json()) as { user: Record<string, unknown> }
      assert.strictEqual(user["username"], "alice")
      assert.strictEqual(user["authentication_token"], user["authToken"])
      const minted = String(user["authToken"])
      assert.notStrictEqual(minted, fake.token)
      assert.isTrue(fake.isTokenValid(minted))
      // The admin of a home: the Home fields @ctrl/plex's MyPlexAccount reads.
      assert.deepStrictEqual([user["home"], user["homeAdmin"], user["homeSize"]], [true, true, 2])
      // The signing-in client is now one of the account's devices, under its name.
      const devices = (await xml(await send(fake, "/devices.xml", { token: minted }))).children
      assert.strictEqual(
        devices.find((d) => d.attributes["clientIdentifier"] === "legacy-test")?.attributes["name"],
        "ctrl-plex-test"
      )
    }
  })

  it(".xml: 201 and <user authenticationToken>, as python-plexapi before 4.15 read it, whatever is asked", async () => {
    const fake = fakeWithTwoFactor()
    const root = await xml(await signIn(fake, "xml", `alice:${fake.password}`))
    assert.strictEqual(root.name, "user")
    assert.strictEqual(root.attributes["username"], "alice")
    assert.isTrue(fake.isTokenValid(root.attributes["authenticationToken"] ?? ""))
    assert.strictEqual(root.attributes["authToken"], root.attributes["authenticationToken"])
  })

  it("a wrong or missing password, an unknown login, no credentials: 401 in the legacy error form, no token", async () => {
    const fake = fakeWithTwoFactor()
    for (const credentials of [
      `${fake.login}:wrong`,
      `${fake.login}:`,
      "nobody@example.com:x",
      undefined,
      "no-colon"
    ]) {
      const json = await signIn(fake, "json", credentials)
      assert.strictEqual(json.status, 401, credentials)
      assert.deepStrictEqual(await json.json(), { error: legacySignInRefusal })
      const refused = await signIn(fake, "xml", credentials)
      assert.strictEqual(refused.status, 401)
      assert.strictEqual((await xml(refused)).children[0]?.text, legacySignInRefusal)
    }
    // plex.tv's status and form; no reference records its words for a wrong password, so the fake's say they are its own.
    assert.include(legacySignInRefusal, "the fake's own words")
    // A second factor follows the password (python-plexapi's `password += code`); the password alone is refused.
    assert.strictEqual((await signIn(fake, "json", "bob:bob-pass")).status, 401)
    const bob = (await (await signIn(fake, "json", "bob:bob-pass123456")).json()) as {
      user: Record<string, unknown>
    }
    assert.deepStrictEqual([bob.user["username"], bob.user["homeAdmin"]], ["bob", false])
    // Without X-Plex-Client-Identifier: 400, code 1000, as every plex.tv route, in the format the path names.
    for (const format of ["json", "xml"]) {
      const anonymous = await fake.handler(
        new Request(`${fake.plexTvUrl}/users/sign_in.${format}`, {
          method: "POST",
          headers: { Accept: "application/json" }
        })
      )
      assert.strictEqual(anonymous.status, 400)
      assert.include(anonymous.headers.get("content-type"), format)
    }
  })

  it("GET /users/account (python-plexapi 4.3 to 4.14's MyPlexAccount(token=…)): <user authenticationToken>; .json {user}", async () => {
    const fake = fakeWithTwoFactor()
    for (const accept of [undefined, "application/json"]) {
      for (const path of ["/users/account", "/users/account.xml"]) {
        const root = await xml(await send(fake, path, { token: fake.token, accept }))
        assert.deepStrictEqual(
          [
            root.name,
            root.attributes["username"],
            root.attributes["authenticationToken"],
            root.attributes["home"],
            root.attributes["homeSize"]
          ],
          ["user", "alice", fake.token, "1", "2"]
        )
      }
      const json = await send(fake, "/users/account.json", { token: fake.token, accept })
      assert.strictEqual(json.headers.get("content-type"), "application/json; charset=utf-8")
      const { user } = (await json.json()) as { user: Record<string, unknown> }
      assert.deepStrictEqual([user["username"], user["authentication_token"]], ["alice", fake.token])
    }
    // A token plex.tv never issued: 401, code 1001, in the path's format; a revoked one: 422.
    const refused = await send(fake, "/users/account", { token: "not-a-token", accept: "application/json" })
    assert.strictEqual(refused.status, 401)
    assert.strictEqual((await xml(refused)).children[0]?.attributes["code"], "1001")
    fake.revokeToken(fake.token)
    assert.strictEqual((await send(fake, "/users/account.json", { token: fake.token })).status, 422)
  })

  // The legacy XML account in the shape of python-plexapi's own fixture of it (tests/payloads.py ACCOUNT_XML before
  // 4.15): its MyPlexAccount._loadData read `listAttrs(subscription, 'id', etag='feature')`, the subscription's own
  // children (the v2 form's `<features>` wrapper left it no features), and scripts read `<authentication-token>`.
  it("GET /users/account and POST /users/sign_in.xml: the legacy <user>, <feature> in <subscription>, <authentication-token>", async () => {
    const fake = makeFakePlex({
      accounts: [{}, { username: "bob", plexPass: false }, { username: "kid", managed: true }],
      homes: [{ members: ["kid"] }]
    })
    const signedIn = await xml(
      await fake.handler(
        new Request(`${fake.plexTvUrl}/users/sign_in.xml`, {
          method: "POST",
          headers: { ...headers(undefined), Authorization: `Basic ${btoa(`${fake.login}:${fake.password}`)}` }
        })
      )
    )
    for (const [username, root] of [
      ["alice", signedIn],
      ["alice", await xml(await send(fake, "/users/account", { token: fake.token }))],
      ["bob", await xml(await send(fake, "/users/account.xml", { token: fake.account("bob").token }))],
      ["kid", await xml(await send(fake, "/users/account", { token: fake.account("kid").token }))]
    ] as const) {
      const account = fake.account(username)
      const token = root.attributes["authenticationToken"] ?? ""
      assert.strictEqual(root.attributes["authToken"], token)
      assert.strictEqual(root.attributes["username"], username)
      assert.notProperty(root.attributes, "authentication_token")
      const child = (name: string) => root.children.filter((c) => c.name === name)
      assert.deepStrictEqual(
        ["username", "authentication-token"].map((name) => child(name).map((c) => c.text)),
        [[username], [token]]
      )
      const [joined] = child("joined-at")
      assert.strictEqual(joined?.attributes["type"], "datetime")
      assert.match(joined?.text ?? "", /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/)
      const [subscription] = child("subscription")
      const features = (subscription?.children ?? [])
        .filter((c) => c.name === "feature")
        .map((c) => c.attributes["id"] ?? "")
      if (username === "bob") {
        assert.deepStrictEqual([subscription?.attributes["active"], features], ["0", []])
        assert.strictEqual(child("entitlements")[0]?.attributes["all"], "0")
      } else {
        assert.strictEqual(subscription?.attributes["active"], "1")
        assert.include(features, "pass")
        assert.strictEqual(child("entitlements")[0]?.attributes["all"], "1")
        assert.deepStrictEqual(
          child("roles")[0]?.children.map((c) => c.attributes["id"]),
          ["plexpass"]
        )
      }
      // Home fields as on every account payload; the legacy names python-plexapi 4.3 to 4.14 read.
      const inHome = username !== "bob"
      assert.deepStrictEqual(
        [root.attributes["home"], root.attributes["homeSize"], root.attributes["restricted"]],
        [inHome ? "1" : "0", inHome ? "2" : "1", username === "kid" ? "1" : "0"]
      )
      assert.strictEqual(root.attributes["mailing_list_status"], "active")
      assert.strictEqual(root.attributes["email"], username === "kid" ? "" : account.email)
    }
  })

  it("the form's user[login] and user[password] sign in too; the records keep the password and the Basic header secret", async () => {
    const fake = fakeWithTwoFactor()
    const response = await fake.handler(
      new Request(`${fake.plexTvUrl}/users/sign_in.json`, {
        method: "POST",
        headers: {
          ...headers(undefined, "application/json"),
          "Content-Type": "application/x-www-form-urlencoded"
        },
        body: new URLSearchParams({ "user[login]": "alice", "user[password]": fake.password })
      })
    )
    assert.strictEqual(response.status, 201)
    await signIn(fake, "json", `alice:${fake.password}`)
    const records = fake.requests()
    assert.deepStrictEqual(
      records.map((r) => [r.route, r.status]),
      [
        ["postUsersSignInData", 201],
        ["postUsersSignInData", 201]
      ]
    )
    assert.notInclude(JSON.stringify(records), fake.password)
    assert.notInclude(JSON.stringify(records), btoa(`alice:${fake.password}`))
  })
})
