/**
 * A Home member reaches its admin's servers through the Home (resources `home: true`, the server takes its tokens):
 * every server the admin owns, one claimed since (python-plexapi `claimToken` and `PlexServer.claim`) too, and
 * whatever else is shared with the member (a friend's share, ended by python-plexapi's and @ctrl/plex's
 * `removeFriend`) is another share.
 */
import { assert, describe, it } from "vitest"
import { makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"

const CLIENT = "home-shares-test"

const send = (fake: FakePlex, url: string, token: string, method = "GET") =>
  fake.handler(
    new Request(url, {
      method,
      headers: { Accept: "application/json", "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": token }
    })
  )

/** `/api/v2/resources`: `{name: home}` of the servers `login` reaches. */
const servers = async (fake: FakePlex, login: string) => {
  const response = await send(fake, `${fake.plexTvUrl}/api/v2/resources`, fake.account(login).token)
  assert.strictEqual(response.status, 200)
  const list = (await response.json()) as Array<{ name: string; provides: string; home?: boolean }>
  return Object.fromEntries(list.filter((r) => r.provides.includes("server")).map((r) => [r.name, r.home]))
}

/** The status of a server's `GET /` with `login`'s account token. */
const reach = async (fake: FakePlex, name: string, login: string) =>
  (await send(fake, `${fake.servers.find((s) => s.name === name)!.url}/`, fake.account(login).token)).status

describe("core fake: Home shares follow the admin's servers", () => {
  it("a server the admin claims after seeding is the Home's too", async () => {
    const fake = makeFakePlex({
      accounts: [{ username: "alice" }, { username: "bob" }, { username: "kids", managed: true }],
      homes: [{ members: ["bob", "kids"] }],
      servers: [{ name: "Den" }, { name: "Attic", claimed: false }]
    })
    assert.deepStrictEqual(await servers(fake, "bob"), { Den: true })
    assert.strictEqual(await reach(fake, "Attic", "bob"), 401)
    const claim = await send(fake, `${fake.plexTvUrl}/api/claim/token.json`, fake.account("alice").token)
    const { token } = (await claim.json()) as { token: string }
    const attic = fake.servers.find((s) => s.name === "Attic")!
    const claimed = await fake.handler(
      new Request(`${attic.url}/myplex/claim?token=${token}`, { method: "POST" })
    )
    assert.strictEqual(claimed.status, 200)
    for (const login of ["bob", "kids"]) {
      assert.deepStrictEqual(await servers(fake, login), { Den: true, Attic: true })
      assert.strictEqual(await reach(fake, "Attic", login), 200)
    }
  })

  for (const client of ["python-plexapi", "@ctrl/plex"] as const) {
    it(`${client} removeFriend of a Home member who is a friend too ends the friend's share, not the Home's`, async () => {
      const fake = makeFakePlex({
        accounts: [{ username: "alice" }, { username: "bob" }],
        homes: [{ members: ["bob"] }],
        servers: [{ name: "Den", sharedWith: ["bob"] }]
      })
      const friendToken = (
        (await (
          await send(fake, `${fake.plexTvUrl}/api/v2/resources`, fake.account("bob").token)
        ).json()) as Array<{
          name: string
          accessToken: string
        }>
      ).find((r) => r.name === "Den")!.accessToken
      const removed = await fake.handler(
        new Request(`${fake.plexTvUrl}/api/v2/sharings/${fake.account("bob").id}`, {
          method: "DELETE",
          headers: {
            "X-Plex-Client-Identifier": CLIENT,
            "X-Plex-Token": fake.account("alice").token,
            ...(client === "@ctrl/plex"
              ? { Accept: "application/json", "Content-Type": "application/json" }
              : {})
          }
        })
      )
      assert.strictEqual(removed.status, 204)
      assert.strictEqual(
        (await fake.handler(new Request(`${fake.serverUrl}/`, { headers: { "X-Plex-Token": friendToken } })))
          .status,
        401
      )
      assert.deepStrictEqual(await servers(fake, "bob"), { Den: true })
      assert.strictEqual(await reach(fake, "Den", "bob"), 200)
    })
  }

  it("a Home share's token is minted as an invite's is: no two fakes, servers or users share one, and it ends with the share", async () => {
    const seed = {
      accounts: [{ username: "alice" }, { username: "bob" }, { username: "carol" }],
      homes: [{ members: ["bob", "carol"] }],
      servers: [{ name: "Den" }, { name: "Attic" }]
    }
    const [fake, other] = [makeFakePlex(seed), makeFakePlex(seed)]
    /** The `accessToken` of each server `login` reaches, by name. */
    const tokens = async (fake: FakePlex, login: string) => {
      const response = await send(fake, `${fake.plexTvUrl}/api/v2/resources`, fake.account(login).token)
      const list = (await response.json()) as Array<{ name: string; provides: string; accessToken: string }>
      return Object.fromEntries(
        list.filter((r) => r.provides.includes("server")).map((r) => [r.name, r.accessToken])
      )
    }
    const onServer = async (name: string, token: string) =>
      (await send(fake, `${fake.servers.find((s) => s.name === name)!.url}/`, token)).status
    const bob = await tokens(fake, "bob")
    const carol = await tokens(fake, "carol")
    const elsewhere = await tokens(other, "bob")
    const all = [bob["Den"], bob["Attic"], carol["Den"], carol["Attic"], elsewhere["Den"], elsewhere["Attic"]]
    assert.strictEqual(new Set(all).size, 6, all.join(" "))
    for (const token of all) assert.match(token!, /^[A-Za-z0-9]{20}$/)
    // The same share keeps its token; each server takes its own share's.
    assert.deepStrictEqual(await tokens(fake, "bob"), bob)
    assert.strictEqual(await onServer("Den", bob["Den"]!), 200)
    assert.strictEqual(await onServer("Attic", bob["Den"]!), 401)
    const removed = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/home/users/${fake.account("bob").id}`, {
        method: "DELETE",
        headers: { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": fake.account("alice").token }
      })
    )
    assert.strictEqual(removed.status, 204)
    assert.strictEqual(await onServer("Den", bob["Den"]!), 401)
    assert.strictEqual(await onServer("Den", carol["Den"]!), 200)
  })
})
