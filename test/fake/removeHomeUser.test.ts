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
})
