/**
 * plex.tv's `DELETE /api/home/users/{userId}`, sent as python-plexapi's `MyPlexAccount.removeHomeUser` (HOMEUSER, no
 * Accept) and @ctrl/plex's `removeHomeUser` (`Accept: application/json`) send it: the Home's admin removes a user,
 * who is then in no Home and loses what the Home shared with it.
 */
import { assert, describe, it } from "vitest"
import { FakePlexError, makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"

const CLIENT = "remove-home-user-test"

type Client = "python-plexapi" | "@ctrl/plex"

const fakeWithHome = () =>
  makeFakePlex({
    accounts: [
      { username: "alice" },
      { username: "kids", title: "Kids", managed: true },
      { username: "bob" },
      { username: "carol" }
    ],
    homes: [{ members: ["kids", "bob"] }],
    servers: [{ name: "Den", sharedWith: ["carol"] }]
  })

const send = (fake: FakePlex, method: string, path: string, login: string, client: Client) =>
  fake.handler(
    new Request(`${fake.plexTvUrl}${path}`, {
      method,
      headers: {
        "X-Plex-Client-Identifier": CLIENT,
        "X-Plex-Token": fake.account(login).token,
        ...(client === "@ctrl/plex" ? { Accept: "application/json" } : {})
      }
    })
  )

const removeHomeUser = (fake: FakePlex, login: string, target: string, client: Client) =>
  send(fake, "DELETE", `/api/home/users/${fake.account(target).id}`, login, client)

const homeUserIds = async (fake: FakePlex, login: string) => {
  const response = await send(fake, "GET", "/api/v2/home/users", login, "@ctrl/plex")
  return ((await response.json()) as { users: Array<{ title: string }> }).users.map((u) => u.title)
}

const account = async (fake: FakePlex, login: string) =>
  (await (await send(fake, "GET", "/api/v2/user", login, "@ctrl/plex")).json()) as {
    home: boolean
    homeSize: number
  }

const serverStatus = async (fake: FakePlex, login: string) =>
  (
    await fake.handler(
      new Request(`${fake.serverUrl}/`, { headers: { "X-Plex-Token": fake.account(login).token } })
    )
  ).status

describe("core fake: DELETE /api/home/users/{id} (python-plexapi and @ctrl/plex removeHomeUser)", () => {
  for (const client of ["python-plexapi", "@ctrl/plex"] as const) {
    it(`${client}: 204; the user leaves the Home and what the Home shared with it`, async () => {
      const fake = fakeWithHome()
      assert.deepStrictEqual(await homeUserIds(fake, "alice"), ["alice", "Kids", "bob"])
      const before = await account(fake, "bob")
      assert.isTrue(before.home)
      assert.strictEqual(before.homeSize, 3)
      assert.strictEqual(await serverStatus(fake, "bob"), 200)

      const removed = await removeHomeUser(fake, "alice", "bob", client)
      assert.strictEqual(removed.status, 204)
      assert.deepStrictEqual(await homeUserIds(fake, "alice"), ["alice", "Kids"])
      assert.strictEqual((await account(fake, "alice")).homeSize, 2)
      const bob = await account(fake, "bob")
      assert.isFalse(bob.home)
      assert.strictEqual(bob.homeSize, 1)
      assert.deepStrictEqual(await homeUserIds(fake, "bob"), ["bob"])
      assert.strictEqual(await serverStatus(fake, "bob"), 401)
      // A switch to the removed user finds no one; the other users are as they were.
      assert.strictEqual(
        (await send(fake, "POST", `/api/home/users/${fake.account("bob").id}/switch`, "alice", client))
          .status,
        404
      )
      assert.strictEqual(
        (await send(fake, "POST", `/api/home/users/${fake.account("kids").id}/switch`, "alice", client))
          .status,
        201
      )
      assert.strictEqual(await serverStatus(fake, "carol"), 200)
    })
  }

  it("a managed user removed leaves the Home's listings (/api/users/ too) and its Home share", async () => {
    const fake = fakeWithHome()
    const users = async () => {
      const text = await (await send(fake, "GET", "/api/users/", "alice", "python-plexapi")).text()
      return [...text.matchAll(/<User [^>]*title="([^"]*)"/g)].map((m) => m[1])
    }
    assert.deepStrictEqual(await users(), ["Kids", "bob", "carol"])
    const kidsToken = fake.account("kids").token
    const kidsShare = async () =>
      (await fake.handler(new Request(`${fake.serverUrl}/`, { headers: { "X-Plex-Token": kidsToken } })))
        .status
    assert.strictEqual(await kidsShare(), 200)
    assert.strictEqual((await removeHomeUser(fake, "alice", "kids", "python-plexapi")).status, 204)
    assert.deepStrictEqual(await users(), ["bob", "carol"])
    assert.strictEqual(await kidsShare(), 401)
  })

  it("a managed user removed is deleted, as plex.tv deletes it: its tokens (seeded, a switch's) are refused", async () => {
    const fake = fakeWithHome()
    const kids = fake.account("kids")
    const switched = await send(fake, "POST", `/api/home/users/${kids.id}/switch`, "alice", "python-plexapi")
    assert.strictEqual(switched.status, 201)
    const switchedToken = /authenticationToken="([^"]+)"/.exec(await switched.text())?.[1] ?? ""
    assert.notStrictEqual(switchedToken, "")
    const userStatus = async (token: string) =>
      (
        await fake.handler(
          new Request(`${fake.plexTvUrl}/api/v2/user`, {
            headers: { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": token, Accept: "application/json" }
          })
        )
      ).status
    assert.strictEqual(await userStatus(kids.token), 200)
    assert.strictEqual(await userStatus(switchedToken), 200)

    assert.strictEqual((await removeHomeUser(fake, "alice", "kids", "@ctrl/plex")).status, 204)
    // plex.tv refuses a token it knew but no longer accepts with 422 "Invalid token" (routes.ts invalidToken).
    assert.strictEqual(await userStatus(kids.token), 422)
    assert.strictEqual(await userStatus(switchedToken), 422)
    assert.isFalse(fake.isTokenValid(kids.token))
    assert.isFalse(fake.isTokenValid(switchedToken))
    // A full account removed from the Home is not deleted: its token works (bob's, in the tests above).
    assert.strictEqual((await removeHomeUser(fake, "alice", "bob", "@ctrl/plex")).status, 204)
    assert.isTrue(fake.isTokenValid(fake.account("bob").token))
  })

  it("a managed user removed is gone from the fake's controls: account, mintToken, approvePin, patchAccount say it was deleted", async () => {
    const fake = fakeWithHome()
    const kids = fake.account("kids")
    assert.strictEqual((await removeHomeUser(fake, "alice", "kids", "@ctrl/plex")).status, 204)
    const deleted = /the account kids was deleted \(a managed user removed from its Home\)/
    for (const login of ["kids", kids.email, "KIDS"]) {
      assert.throws(() => fake.account(login), FakePlexError, deleted)
      assert.throws(() => fake.mintToken(login), FakePlexError, deleted)
      assert.throws(() => fake.patchAccount(login, { title: "Kids 2" }), FakePlexError, deleted)
      const refused = await fake.approvePin(1, { account: login }).then(
        () => undefined,
        (error: unknown) => error
      )
      assert.instanceOf(refused, FakePlexError)
      assert.match((refused as Error).message, /^approvePin: the account kids was deleted/)
    }
    // The accounts are listed as they are: the deleted managed user no more; a full account removed from the Home
    // is not deleted.
    assert.notInclude(
      fake.accounts.map((a) => a.username),
      "kids"
    )
    assert.strictEqual((await removeHomeUser(fake, "alice", "bob", "@ctrl/plex")).status, 204)
    assert.include(
      fake.accounts.map((a) => a.username),
      "bob"
    )
    assert.isTrue(fake.isTokenValid(fake.mintToken("bob")))
  })

  it("refusals, in XML: 403 for a user not the admin or the admin itself, 404 for a user not of the Home", async () => {
    const fake = fakeWithHome()
    const refused = async (response: Response, status: number) => {
      assert.strictEqual(response.status, status)
      assert.strictEqual(response.headers.get("content-type"), "application/xml; charset=utf-8")
    }
    await refused(await removeHomeUser(fake, "bob", "kids", "@ctrl/plex"), 403)
    await refused(await removeHomeUser(fake, "alice", "alice", "python-plexapi"), 403)
    await refused(await removeHomeUser(fake, "alice", "carol", "@ctrl/plex"), 404)
    await refused(await removeHomeUser(fake, "carol", "bob", "python-plexapi"), 404)
    assert.deepStrictEqual(await homeUserIds(fake, "alice"), ["alice", "Kids", "bob"])
  })

  it("a full account removed: the devices its Home switches made go, both ways; a client's own sign-in stays; a friend share stays", async () => {
    const fake = makeFakePlex({
      accounts: [{ username: "alice" }, { username: "bob" }],
      homes: [{ members: ["bob"] }],
      servers: [{ name: "Den", sharedWith: ["bob"] }, { name: "Attic" }]
    })
    const request = (path: string, token: string, client: string, init: RequestInit = {}) =>
      fake.handler(
        new Request(`${fake.plexTvUrl}${path}`, {
          ...init,
          headers: { "X-Plex-Client-Identifier": client, "X-Plex-Token": token, Accept: "application/json" }
        })
      )
    const switched = async (from: string, to: string, client: string) => {
      const response = await request(
        `/api/v2/home/users/${fake.account(to).id}/switch`,
        fake.account(from).token,
        client,
        {
          method: "POST"
        }
      )
      assert.strictEqual(response.status, 201)
      return ((await response.json()) as { authToken: string }).authToken
    }
    /** The client identifiers of `login`'s devices (`/devices.xml`, python-plexapi `devices()`). */
    const devices = async (login: string) => {
      const text = await (
        await fake.handler(
          new Request(`${fake.plexTvUrl}/devices.xml`, {
            headers: { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": fake.account(login).token }
          })
        )
      ).text()
      return [...text.matchAll(/<Device [^>]*clientIdentifier="([^"]*)"/g)].map((m) => m[1]).sort()
    }
    /** The `token` of `login`'s devices with a client identifier (`/devices.xml`). */
    const deviceTokens = async (login: string, client: string) => {
      const text = await (
        await fake.handler(
          new Request(`${fake.plexTvUrl}/devices.xml`, {
            headers: { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": fake.account(login).token }
          })
        )
      ).text()
      return [...text.matchAll(/<Device [^>]*>/g)]
        .filter((m) => m[0].includes(` clientIdentifier="${client}"`))
        .map((m) => / token="([^"]*)"/.exec(m[0])?.[1])
    }
    const resources = async (login: string) => {
      const response = await request("/api/v2/resources", fake.account(login).token, CLIENT)
      const list = (await response.json()) as Array<{
        name: string
        provides: string
        home: boolean
        accessToken: string
      }>
      return Object.fromEntries(list.filter((r) => r.provides.includes("server")).map((r) => [r.name, r]))
    }
    // bob signs in on his own client, which then switches to alice and back (the same device of bob's holds both
    // tokens); alice switches to bob on a client of hers; bob to alice on another.
    const signIn = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/users/signin`, {
        method: "POST",
        headers: { "X-Plex-Client-Identifier": "bob-own", Accept: "application/json" },
        body: new URLSearchParams({
          login: fake.account("bob").email,
          password: fake.account("bob").password
        })
      })
    )
    assert.strictEqual(signIn.status, 201)
    const bobOwn = ((await signIn.json()) as { authToken: string }).authToken
    const asBob = await switched("alice", "bob", "alice-switch")
    const asAlice = await switched("bob", "alice", "bob-switch")
    await switched("alice", "bob", "bob-own")
    const seededAlice = await devices("alice")
    const seededBob = (await devices("bob")).filter((id) => !["alice-switch", "bob-own"].includes(id!))
    assert.includeMembers(await devices("bob"), ["alice-switch", "bob-own"])
    assert.include(await devices("alice"), "bob-switch")
    const before = await resources("bob")
    assert.isFalse(before["Den"]!.home)
    assert.isTrue(before["Attic"]!.home)

    assert.strictEqual((await removeHomeUser(fake, "alice", "bob", "@ctrl/plex")).status, 204)
    // The switches' devices are gone from both accounts; bob's own client keeps its device and its token.
    assert.deepStrictEqual(await devices("bob"), [...seededBob, "bob-own"].sort())
    assert.deepStrictEqual(
      await devices("alice"),
      seededAlice.filter((id) => id !== "bob-switch")
    )
    assert.isFalse(fake.isTokenValid(asBob))
    assert.isFalse(fake.isTokenValid(asAlice))
    assert.isTrue(fake.isTokenValid(bobOwn))
    // bob's own client's entry holds its own token again, not the switch's revoked one (python-plexapi's
    // MyPlexDevice.token, @ctrl/plex's MyPlexDevice.token: what a client reads to sign in as that device).
    assert.deepStrictEqual(await deviceTokens("bob", "bob-own"), [bobOwn])
    // The friend share is bob's own, not the Home's: it stays, its token taken; the Home's share of Attic ends.
    const after = await resources("bob")
    assert.deepStrictEqual(Object.keys(after), ["Den"])
    assert.strictEqual(after["Den"]!.accessToken, before["Den"]!.accessToken)
    const status = async (name: string, token: string) =>
      (
        await fake.handler(
          new Request(`${fake.servers.find((s) => s.name === name)!.url}/`, {
            headers: { "X-Plex-Token": token }
          })
        )
      ).status
    assert.strictEqual(await status("Den", after["Den"]!.accessToken), 200)
    assert.strictEqual(await status("Attic", before["Attic"]!.accessToken), 401)
  })
})
