/**
 * plex.tv's `DELETE /api/v2/sharings/{userId}`, sent as python-plexapi's `MyPlexAccount.removeFriend` sends it
 * (plexapi/myplex.py: FRIENDUPDATE, `BASE_HEADERS` and the token, no Accept) and as @ctrl/plex's `removeFriend` does
 * (src/myplex.ts: `query` with `Accept: application/json` and `Content-Type: application/json`): the friendship ends,
 * and with it the shares of the account's servers with that user.
 */
import { assert, describe, it } from "vitest"
import { makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"
import { parse, XmlError } from "../../src/core/xml.js"

const CLIENT = "remove-friend-test"

const fakeWithFriends = () =>
  makeFakePlex({
    accounts: [{ username: "alice" }, { username: "bob" }, { username: "carol" }, { username: "dave" }],
    homes: [{ members: ["bob"] }],
    servers: [
      { name: "Den", sharedWith: ["carol"] },
      { name: "Attic", sharedWith: ["carol", "dave"] }
    ]
  })

const headers = (token: string, client: "python-plexapi" | "@ctrl/plex"): Record<string, string> => ({
  "X-Plex-Client-Identifier": CLIENT,
  "X-Plex-Product": client === "python-plexapi" ? "PlexAPI" : "@ctrl/plex",
  "X-Plex-Token": token,
  ...(client === "@ctrl/plex" ? { Accept: "application/json", "Content-Type": "application/json" } : {})
})

const removeFriend = (fake: FakePlex, userId: number, client: "python-plexapi" | "@ctrl/plex") =>
  fake.handler(
    new Request(`${fake.plexTvUrl}/api/v2/sharings/${userId}`, {
      method: "DELETE",
      headers: headers(fake.account("alice").token, client)
    })
  )

/** The users of alice's `/api/users/` (python-plexapi `users()`), by title, with their servers' names. */
const users = async (fake: FakePlex) => {
  const response = await fake.handler(
    new Request(`${fake.plexTvUrl}/api/users/`, {
      headers: headers(fake.account("alice").token, "python-plexapi")
    })
  )
  const root = parse(await response.text())
  if (root instanceof XmlError) throw new Error(root.message)
  return root.children.map((u) => [u.attributes["title"], u.children.map((s) => s.attributes["name"])])
}

const resourceNames = async (fake: FakePlex, login: string) => {
  const response = await fake.handler(
    new Request(`${fake.plexTvUrl}/api/v2/resources`, {
      headers: headers(fake.account(login).token, "@ctrl/plex")
    })
  )
  return ((await response.json()) as Array<{ name: string; provides: string }>)
    .filter((r) => r.provides.includes("server"))
    .map((r) => r.name)
}

describe("core fake: DELETE /api/v2/sharings/{userId} (python-plexapi and @ctrl/plex removeFriend)", () => {
  for (const client of ["python-plexapi", "@ctrl/plex"] as const) {
    it(`${client}: 204; every share of alice's servers with the friend ends, the others stay`, async () => {
      const fake = fakeWithFriends()
      assert.deepStrictEqual(await users(fake), [
        ["bob", ["Den", "Attic"]],
        ["carol", ["Den", "Attic"]],
        ["dave", ["Attic"]]
      ])
      const carol = fake.account("carol")
      assert.deepStrictEqual(await resourceNames(fake, "carol"), ["Den", "Attic"])

      const removed = await removeFriend(fake, carol.id, client)
      assert.strictEqual(removed.status, 204)
      assert.deepStrictEqual(await users(fake), [
        ["bob", ["Den", "Attic"]],
        ["dave", ["Attic"]]
      ])
      assert.deepStrictEqual(await resourceNames(fake, "carol"), [])
      const den = await fake.handler(
        new Request(`${fake.serverUrl}/`, { headers: { "X-Plex-Token": carol.token } })
      )
      assert.strictEqual(den.status, 401)
      assert.deepStrictEqual(await resourceNames(fake, "dave"), ["Attic"])
    })
  }

  it("404 for a user who is no friend (a Home user, someone unknown, a friend removed already); 401 for a bad token", async () => {
    const fake = fakeWithFriends()
    const notFound = async (response: Response, json: boolean) => {
      assert.strictEqual(response.status, 404)
      const text = await response.text()
      if (json)
        assert.deepStrictEqual(JSON.parse(text), {
          errors: [{ message: "User could not be found", status: 404 }]
        })
      else assert.match(text, /<errors><error message="User could not be found" status="404"\/><\/errors>/)
    }
    await notFound(await removeFriend(fake, fake.account("bob").id, "python-plexapi"), false)
    await notFound(await removeFriend(fake, 1, "@ctrl/plex"), true)
    assert.strictEqual((await removeFriend(fake, fake.account("dave").id, "@ctrl/plex")).status, 204)
    await notFound(await removeFriend(fake, fake.account("dave").id, "@ctrl/plex"), true)
    // bob, a Home user, keeps his Home's shares.
    assert.deepStrictEqual(await resourceNames(fake, "bob"), ["Den", "Attic"])

    const refused = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/sharings/${fake.account("carol").id}`, {
        method: "DELETE",
        headers: { ...headers("not-a-token", "@ctrl/plex") }
      })
    )
    assert.strictEqual(refused.status, 401)
    assert.deepStrictEqual(await resourceNames(fake, "carol"), ["Den", "Attic"])
  })
})
