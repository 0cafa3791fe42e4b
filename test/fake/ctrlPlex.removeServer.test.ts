/**
 * plex.tv's `DELETE /api/servers/{machineIdentifier}`, sent as @ctrl/plex's `MyPlexResource.delete()` sends it
 * (src/myplex.ts: `ofetch` with no header of its own, `X-Plex-Client-Identifier` and `X-Plex-Token` in the query,
 * the token the resource's `accessToken` from `/api/v2/resources`): the owner removes the server from the account,
 * a user it is shared with leaves the share.
 */
import { assert, describe, it } from "vitest"
import { makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"
import { parse, XmlError } from "../../src/core/xml.js"

const CLIENT = "ctrl-plex-test"

const fakeWithShare = () =>
  makeFakePlex({
    accounts: [{ username: "alice" }, { username: "carol" }, { username: "dave" }],
    servers: [{ name: "Den", sharedWith: ["carol"] }]
  })

/** @ctrl/plex `MyPlexAccount.resources()`: `MyPlexResource.key`, `Accept: application/json`, the account's token. */
const resources = async (fake: FakePlex, token: string) => {
  const response = await fake.handler(
    new Request(`${fake.plexTvUrl}/api/v2/resources?includeHttps=1&includeRelay=1&includeIPv6=1`, {
      headers: { Accept: "application/json", "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": token }
    })
  )
  assert.strictEqual(response.status, 200)
  return (await response.json()) as Array<{
    clientIdentifier: string
    accessToken: string
    owned: boolean
    home: boolean
  }>
}

/** @ctrl/plex `MyPlexResource.delete()`. */
const deleteResource = (fake: FakePlex, machineId: string, query: Record<string, string>) =>
  fake.handler(
    new Request(`${fake.plexTvUrl}/api/servers/${machineId}?${new URLSearchParams(query)}`, {
      method: "DELETE"
    })
  )

/** The server's `GET /` with a token: 200 while it accepts the token. */
const serverAccepts = async (fake: FakePlex, token: string) =>
  (await fake.handler(new Request(`${fake.serverUrl}/`, { headers: { "X-Plex-Token": token } }))).status

const userIds = async (fake: FakePlex, token: string) => {
  const response = await fake.handler(
    new Request(`${fake.plexTvUrl}/api/users/`, {
      headers: { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": token }
    })
  )
  const root = parse(await response.text())
  if (root instanceof XmlError) throw new Error(root.message)
  return root.children.map((u) => u.attributes["title"])
}

describe("core fake: DELETE /api/servers/{id} (@ctrl/plex MyPlexResource.delete)", () => {
  it("the owner, with the server's accessToken: 204, the server leaves the account, unclaimed", async () => {
    const fake = fakeWithShare()
    const alice = fake.account("alice").token
    const den = (await resources(fake, alice)).find((r) => r.clientIdentifier === fake.serverId)!
    assert.isTrue(den.owned)
    assert.strictEqual(den.accessToken, fake.serverToken)

    const removed = await deleteResource(fake, den.clientIdentifier, {
      "X-Plex-Client-Identifier": CLIENT,
      "X-Plex-Token": den.accessToken
    })
    assert.strictEqual(removed.status, 204)
    assert.isUndefined((await resources(fake, alice)).find((r) => r.clientIdentifier === fake.serverId))
    assert.isUndefined(
      (await resources(fake, fake.account("carol").token)).find((r) => r.clientIdentifier === fake.serverId)
    )
    const identity = await fake.handler(
      new Request(`${fake.serverUrl}/identity`, { headers: { Accept: "application/json" } })
    )
    assert.isFalse(
      ((await identity.json()) as { MediaContainer: { claimed: boolean } }).MediaContainer.claimed
    )
    assert.strictEqual(await serverAccepts(fake, alice), 401)
  })

  it("the owner, with an account token: the same", async () => {
    const fake = fakeWithShare()
    const alice = fake.account("alice").token
    const removed = await deleteResource(fake, fake.serverId, {
      "X-Plex-Client-Identifier": CLIENT,
      "X-Plex-Token": alice
    })
    assert.strictEqual(removed.status, 204)
    assert.deepStrictEqual(
      (await resources(fake, alice)).map((r) => r.clientIdentifier).filter((id) => id === fake.serverId),
      []
    )
  })

  it("a user it is shared with, with the share's accessToken: 204, the share ends, the owner keeps the server", async () => {
    const fake = fakeWithShare()
    const alice = fake.account("alice").token
    const carol = fake.account("carol").token
    const shared = (await resources(fake, carol)).find((r) => r.clientIdentifier === fake.serverId)!
    assert.isFalse(shared.owned)
    assert.strictEqual(await serverAccepts(fake, shared.accessToken), 200)
    assert.deepStrictEqual(await userIds(fake, alice), ["carol"])

    const left = await deleteResource(fake, fake.serverId, {
      "X-Plex-Client-Identifier": CLIENT,
      "X-Plex-Token": shared.accessToken
    })
    assert.strictEqual(left.status, 204)
    assert.isUndefined((await resources(fake, carol)).find((r) => r.clientIdentifier === fake.serverId))
    assert.strictEqual(await serverAccepts(fake, shared.accessToken), 401)
    assert.strictEqual(await serverAccepts(fake, carol), 401)
    assert.deepStrictEqual(await userIds(fake, alice), [])
    // The owner's server is untouched.
    assert.isTrue((await resources(fake, alice)).some((r) => r.clientIdentifier === fake.serverId && r.owned))
    assert.strictEqual(await serverAccepts(fake, alice), 200)
    // Left once: the share's token names nothing now.
    const again = await deleteResource(fake, fake.serverId, {
      "X-Plex-Client-Identifier": CLIENT,
      "X-Plex-Token": carol
    })
    assert.strictEqual(again.status, 404)
  })

  it("a managed Home user's token, its own or a switch's, neither unclaims the owner's server nor removes a friend", async () => {
    const fake = makeFakePlex({
      accounts: [
        { username: "alice" },
        { username: "kids", title: "Kids", managed: true },
        { username: "carol" }
      ],
      homes: [{ members: ["kids"] }],
      servers: [{ name: "Den", sharedWith: ["carol"] }]
    })
    const alice = fake.account("alice")
    const carol = fake.account("carol")
    const switched = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/home/users/${fake.account("kids").id}/switch`, {
        method: "POST",
        headers: { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": alice.token }
      })
    )
    const switchedToken = /authenticationToken="([^"]+)"/.exec(await switched.text())?.[1] ?? ""
    assert.notStrictEqual(switchedToken, "")
    for (const token of [fake.account("kids").token, switchedToken]) {
      await deleteResource(fake, fake.serverId, { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": token })
      const removeFriend = await fake.handler(
        new Request(`${fake.plexTvUrl}/api/v2/sharings/${carol.id}`, {
          method: "DELETE",
          headers: { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": token }
        })
      )
      assert.strictEqual(removeFriend.status, 404)
    }
    assert.strictEqual(fake.server().ownerId, alice.id)
    assert.isTrue(
      (await resources(fake, alice.token)).some((r) => r.clientIdentifier === fake.serverId && r.owned)
    )
    assert.strictEqual(await serverAccepts(fake, fake.serverToken), 200)
    assert.strictEqual(await serverAccepts(fake, carol.token), 200)
    assert.deepStrictEqual(await userIds(fake, alice.token), ["Kids", "carol"])
  })

  it("a Home user, managed or not, with its account token or the Home share's accessToken: 403, the Home share stays (it ends with leaving the Home)", async () => {
    const fake = makeFakePlex({
      accounts: [
        { username: "alice" },
        { username: "kids", title: "Kids", managed: true },
        { username: "bob" }
      ],
      homes: [{ members: ["kids", "bob"] }],
      servers: [{ name: "Den" }]
    })
    for (const login of ["kids", "bob"]) {
      const token = fake.account(login).token
      const den = (await resources(fake, token)).find((r) => r.clientIdentifier === fake.serverId)!
      assert.isFalse(den.owned)
      for (const presented of [token, den.accessToken]) {
        const response = await deleteResource(fake, fake.serverId, {
          "X-Plex-Client-Identifier": CLIENT,
          "X-Plex-Token": presented
        })
        assert.strictEqual(response.status, 403)
        assert.strictEqual(response.headers.get("content-type"), "application/xml; charset=utf-8")
      }
      assert.strictEqual(await serverAccepts(fake, den.accessToken), 200)
      assert.strictEqual(await serverAccepts(fake, token), 200)
      assert.isTrue((await resources(fake, token)).some((r) => r.clientIdentifier === fake.serverId))
    }
    assert.deepStrictEqual(await userIds(fake, fake.account("alice").token), ["Kids", "bob"])
  })

  // No reference records what plex.tv answers a Home member who also has a friend share leaving it (python-plexapi has
  // no such call; @ctrl/plex's MyPlexResource.delete only sends it, and documents MyPlexResource.home as "Unknown").
  // The fake's choice, consistent with removeFriend and removeHomeUser each ending one share: the friend share is the
  // user's own and ends (204); the Home's stays, and every listing shows it as the Home's.
  it("a user both in the Home and a friend, with the friend share's accessToken: 204, the friend share ends, the Home access stays and is listed as the Home's", async () => {
    const fake = makeFakePlex({
      accounts: [{ username: "alice" }, { username: "bob" }],
      homes: [{ members: ["bob"] }],
      servers: [{ name: "Den", sharedWith: ["bob"] }]
    })
    const [alice, bob] = [fake.account("alice").token, fake.account("bob").token]
    const den = async () => (await resources(fake, bob)).find((r) => r.clientIdentifier === fake.serverId)
    /** The owner's `getSharedServers` (python-plexapi `MyPlexUser.get_token` reads a user's token from it). */
    const sharedTokens = async () => {
      const response = await fake.handler(
        new Request(`${fake.plexTvUrl}/api/servers/${fake.serverId}/shared_servers`, {
          headers: { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": alice }
        })
      )
      const root = parse(await response.text())
      if (root instanceof XmlError) throw new Error(root.message)
      return root.children.map((c) => c.attributes["accessToken"])
    }
    const friend = (await den())!
    assert.isFalse(friend.home)
    assert.deepStrictEqual(await sharedTokens(), [friend.accessToken])

    const left = await deleteResource(fake, fake.serverId, {
      "X-Plex-Client-Identifier": CLIENT,
      "X-Plex-Token": friend.accessToken
    })
    assert.strictEqual(left.status, 204)
    assert.strictEqual(await serverAccepts(fake, friend.accessToken), 401)
    assert.isFalse(fake.isTokenValid(friend.accessToken))
    // The Home access stays: the server is in bob's resources through the Home, with the Home share's own token, which
    // the server and isTokenValid take, and which the owner's shared_servers lists for bob.
    const home = (await den())!
    assert.isTrue(home.home)
    assert.notStrictEqual(home.accessToken, friend.accessToken)
    assert.strictEqual(await serverAccepts(fake, home.accessToken), 200)
    assert.strictEqual(await serverAccepts(fake, bob), 200)
    assert.isTrue(fake.isTokenValid(home.accessToken))
    assert.deepStrictEqual(await sharedTokens(), [home.accessToken])
    assert.deepStrictEqual(await userIds(fake, alice), ["bob"])
    // bob is a friend no more: removeFriend finds no one; the Home share is left only by leaving the Home (403).
    const removeFriend = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/sharings/${fake.account("bob").id}`, {
        method: "DELETE",
        headers: { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": alice }
      })
    )
    assert.strictEqual(removeFriend.status, 404)
    const again = await deleteResource(fake, fake.serverId, {
      "X-Plex-Client-Identifier": CLIENT,
      "X-Plex-Token": home.accessToken
    })
    assert.strictEqual(again.status, 403)
    assert.isTrue((await den())!.home)
  })

  it("refusals, in XML: 404 for an unknown server or one the account has nothing of, 401 for a bad token, 400 without a client identifier", async () => {
    const fake = fakeWithShare()
    const refused = async (response: Response, status: number) => {
      assert.strictEqual(response.status, status)
      assert.strictEqual(response.headers.get("content-type"), "application/xml; charset=utf-8")
      const root = parse(await response.text())
      if (root instanceof XmlError) throw new Error(root.message)
      assert.strictEqual(root.name, "errors")
    }
    const alice = fake.account("alice").token
    await refused(
      await deleteResource(fake, "0123456789abcdef", {
        "X-Plex-Client-Identifier": CLIENT,
        "X-Plex-Token": alice
      }),
      404
    )
    await refused(
      await deleteResource(fake, fake.serverId, {
        "X-Plex-Client-Identifier": CLIENT,
        "X-Plex-Token": fake.account("dave").token
      }),
      404
    )
    await refused(
      await deleteResource(fake, fake.serverId, {
        "X-Plex-Client-Identifier": CLIENT,
        "X-Plex-Token": "nope"
      }),
      401
    )
    await refused(await deleteResource(fake, fake.serverId, { "X-Plex-Token": fake.serverToken }), 400)
    // Nothing was removed.
    assert.isTrue((await resources(fake, alice)).some((r) => r.clientIdentifier === fake.serverId))
    assert.strictEqual(await serverAccepts(fake, fake.serverToken), 200)
  })
})
