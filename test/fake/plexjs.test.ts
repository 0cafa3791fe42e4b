/**
 * plexjs 0.39 (`@lukehagar/plexjs`), driven for real against the fake in memory (its `HTTPClient` with the fake's
 * handler as fetcher): the account calls it makes to plex.tv besides the sign-in, PIN, account and resources ones
 * the docs' example covers: `plex.getUserFriends()` (GET /api/v2/friends), `plex.getHomeData()` (GET
 * /api/v2/home: plexjs 0.39 sends it to its server URL, a Plex Media Server's by default, not to plex.tv, so a caller
 * gives it `{ serverURL: "https://plex.tv/api/v2" }`) and `users.getUsers()` (GET /api/users, XML), each read through plexjs's own response schemas.
 */
import { PlexAPI } from "@lukehagar/plexjs"
import { HTTPClient } from "@lukehagar/plexjs/lib/http.js"
import {
  GetHomeDataUnauthorized,
  GetUserFriendsUnauthorized
} from "@lukehagar/plexjs/sdk/models/errors/index.js"
import { assert, describe, it } from "vitest"
import { makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"
import { parse, XmlError } from "../../src/core/xml.js"

const CLIENT = "plexjs-test"

/** Where plex.tv's v2 API is, for the plexjs calls that do not know it (getHomeData). */
const plexTv = { serverURL: "https://plex.tv/api/v2" }

const fakeWithHome = () =>
  makeFakePlex({
    accounts: [
      { username: "alice" },
      { username: "kids", title: "Kids", managed: true, homePin: "4321" },
      { username: "bob" },
      { username: "carol" },
      { username: "dave" }
    ],
    homes: [{ members: ["kids", "bob"] }],
    servers: [{ name: "Den", sharedWith: ["carol"] }]
  })

/**
 * plexjs on the fake. plexjs sends no `X-Plex-Client-Identifier` with these calls (nor with getTokenDetails, as
 * docs/testing.md says): plex.tv, and the fake, answer 400 (code 1000) without one, so the hook adds it, as the docs'
 * example does. Every request plexjs sends is kept, to check what it asked for.
 */
const plexjs = (fake: FakePlex, token: string | undefined) => {
  const sent: Array<Request> = []
  const httpClient = new HTTPClient({
    fetcher: (input, init) => {
      const request = new Request(input, init)
      sent.push(request.clone())
      return fake.handler(request)
    }
  })
  httpClient.addHook("beforeRequest", (request) => {
    const headers = new Headers(request.headers)
    headers.set("X-Plex-Client-Identifier", CLIENT)
    return new Request(request, { headers })
  })
  return { sdk: new PlexAPI({ httpClient, ...(token === undefined ? {} : { accessToken: token }) }), sent }
}

describe("core fake: plexjs 0.39's plex.tv account calls, with plexjs itself", () => {
  it("getUserFriends: GET /api/v2/friends lists the account's users (Home users, friends it shares with)", async () => {
    const fake = fakeWithHome()
    const { sdk, sent } = plexjs(fake, fake.account("alice").token)
    const { friends } = await sdk.plex.getUserFriends()
    assert.strictEqual(sent[0]?.url, "https://plex.tv/api/v2/friends")
    assert.strictEqual(sent[0]?.headers.get("accept"), "application/json")
    assert.deepStrictEqual(
      friends?.map((f) => [f.title, f.username, f.home, f.restricted, f.status, f.sharedServers.length]),
      [
        // A server of a Home's admin is shared with its Home's users too (the fake's seed, as Plex Home does).
        ["Kids", "", true, true, "accepted", 1],
        ["bob", "bob", true, false, "accepted", 1],
        ["carol", "carol", false, false, "accepted", 1]
      ]
    )
    // The same users, ids and shares as the legacy GET /api/users/ (python-plexapi users()), which plexjs's
    // users.getUsers() fetches as XML bytes. plexjs's schema keeps no field of a shared server (`z.object({})`):
    // the shares are compared as the fake sends them.
    const { body } = await sdk.users.getUsers({ clientID: CLIENT, xPlexToken: fake.account("alice").token })
    const root = parse(typeof body === "string" ? body : new TextDecoder().decode(body))
    if (root instanceof XmlError) throw new Error(root.message)
    const sentFriends = (await (
      await fake.handler(
        new Request(`${fake.plexTvUrl}/api/v2/friends`, {
          headers: {
            Accept: "application/json",
            "X-Plex-Client-Identifier": CLIENT,
            "X-Plex-Token": fake.account("alice").token
          }
        })
      )
    ).json()) as Array<{ id: number; sharedServers: Array<{ machineIdentifier: string }> }>
    assert.deepStrictEqual(
      root.children.map((u) => [
        u.attributes["id"],
        u.children.map((s) => s.attributes["machineIdentifier"])
      ]),
      sentFriends.map((f) => [String(f.id), f.sharedServers.map((s) => s.machineIdentifier)])
    )
    assert.deepStrictEqual(
      sentFriends.map((f) => f.id),
      friends?.map((f) => f.id)
    )
    // A Home's member that is not its admin, and an account sharing nothing: no users.
    assert.deepStrictEqual(
      (await plexjs(fake, fake.account("bob").token).sdk.plex.getUserFriends()).friends,
      []
    )
    assert.deepStrictEqual(
      (await plexjs(fake, fake.account("dave").token).sdk.plex.getUserFriends()).friends,
      []
    )
  })

  it("a share that ends (alice removes the server's device) ends the friendship too", async () => {
    const fake = fakeWithHome()
    const alice = { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": fake.account("alice").token }
    const before = await plexjs(fake, fake.account("alice").token).sdk.plex.getUserFriends()
    assert.strictEqual(before.friends?.find((f) => f.username === "carol")?.sharedServers.length, 1)
    const devices = parse(
      await (await fake.handler(new Request(`${fake.plexTvUrl}/devices.xml`, { headers: alice }))).text()
    )
    if (devices instanceof XmlError) throw new Error(devices.message)
    const server = devices.children.find((d) => d.attributes["clientIdentifier"] === fake.serverId)!
    const removed = await fake.handler(
      new Request(`${fake.plexTvUrl}/devices/${server.attributes["id"]}.xml`, {
        method: "DELETE",
        headers: alice
      })
    )
    assert.strictEqual(removed.status, 204)
    const after = await plexjs(fake, fake.account("alice").token).sdk.plex.getUserFriends()
    assert.isUndefined(after.friends?.find((f) => f.username === "carol"))
  })

  it("getHomeData: GET /api/v2/home is the home of /api/v2/home/users, without its users", async () => {
    const fake = fakeWithHome()
    for (const login of ["alice", "bob", "dave"]) {
      const token = fake.account(login).token
      const { object } = await plexjs(fake, token).sdk.plex.getHomeData(plexTv)
      const users = await fake.handler(
        new Request(`${fake.plexTvUrl}/api/v2/home/users`, {
          headers: { Accept: "application/json", "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": token }
        })
      )
      const { users: _, ...home } = (await users.json()) as Record<string, unknown>
      assert.deepStrictEqual(object, home)
      assert.isNumber(object?.guestUserID)
      assert.match(object?.guestUserUUID ?? "", /^[0-9a-f]{16}$/)
    }
    const alice = (await plexjs(fake, fake.account("alice").token).sdk.plex.getHomeData(plexTv)).object
    const bob = (await plexjs(fake, fake.account("bob").token).sdk.plex.getHomeData(plexTv)).object
    const dave = (await plexjs(fake, fake.account("dave").token).sdk.plex.getHomeData(plexTv)).object
    assert.deepStrictEqual(bob, alice)
    assert.notStrictEqual(dave?.id, alice?.id)
    assert.notStrictEqual(dave?.guestUserID, alice?.guestUserID)
  })

  it("a bad token: plexjs's typed 401 (plex.tv's code 1001); XML when JSON is not asked for", async () => {
    const fake = fakeWithHome()
    const friends = await plexjs(fake, "not-a-token")
      .sdk.plex.getUserFriends()
      .then(
        () => undefined,
        (error: unknown) => error
      )
    assert.instanceOf(friends, GetUserFriendsUnauthorized)
    assert.strictEqual((friends as GetUserFriendsUnauthorized).errors?.[0]?.code, 1001)
    const home = await plexjs(fake, undefined)
      .sdk.plex.getHomeData(plexTv)
      .then(
        () => undefined,
        (error: unknown) => error
      )
    assert.instanceOf(home, GetHomeDataUnauthorized)

    const xml = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/friends`, {
        headers: { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": fake.account("alice").token }
      })
    )
    assert.strictEqual(xml.headers.get("content-type"), "application/xml; charset=utf-8")
    const root = parse(await xml.text())
    if (root instanceof XmlError) throw new Error(root.message)
    assert.deepStrictEqual(
      [root.name, root.attributes["size"], root.children.map((c) => [c.name, c.attributes["title"]])],
      [
        "friends",
        "3",
        [
          ["friend", "Kids"],
          ["friend", "bob"],
          ["friend", "carol"]
        ]
      ]
    )
  })
})
