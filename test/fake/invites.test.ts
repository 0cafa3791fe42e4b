/**
 * Sharing a server by invitation, sent as python-plexapi (plexapi/myplex.py: `inviteFriend` POSTs FRIENDINVITE with
 * `json=`, `pendingInvites` GETs REQUESTED and REQUESTS, `acceptInvite` PUTs and `cancelInvite` DELETEs
 * `{REQUESTS|REQUESTED}/{invite.id}?friend=&home=&server=`, no Accept) and @ctrl/plex (src/myplex.ts: the same
 * routes, `Accept: application/json`, a JSON body) send it. An accepted invite is a share like a seeded one.
 */
import { assert, describe, it } from "vitest"
import { makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"
import { parse, type XmlElement, XmlError } from "../../src/core/xml.js"

const CLIENT = "invites-test"

type Client = "python-plexapi" | "@ctrl/plex"

const fakeWithShare = () =>
  makeFakePlex({
    accounts: [{ username: "alice" }, { username: "bob" }, { username: "carol" }, { username: "dave" }],
    servers: [{ name: "Den", sharedWith: ["carol"] }]
  })

const send = (fake: FakePlex, method: string, path: string, login: string, client: Client, body?: unknown) =>
  fake.handler(
    new Request(`${fake.plexTvUrl}${path}`, {
      method,
      headers: {
        "X-Plex-Client-Identifier": CLIENT,
        "X-Plex-Token": fake.account(login).token,
        ...(client === "@ctrl/plex" ? { Accept: "application/json" } : {}),
        ...(body === undefined ? {} : { "Content-Type": "application/json" })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
  )

/** python-plexapi's `inviteFriend` body (no sections), or @ctrl/plex's shape of it. */
const inviteBody = (fake: FakePlex, invited: string) => ({
  server_id: fake.serverId,
  shared_server: { library_section_ids: [], invited_email: invited },
  sharing_settings: { allowSync: "0", allowCameraUpload: "0", allowChannels: "0" }
})

const invite = (fake: FakePlex, login: string, invited: string, client: Client, serverId = fake.serverId) =>
  send(fake, "POST", `/api/servers/${serverId}/shared_servers`, login, client, inviteBody(fake, invited))

const xml = async (response: Response): Promise<XmlElement> => {
  assert.strictEqual(response.headers.get("content-type"), "application/xml; charset=utf-8")
  const root = parse(await response.text())
  if (root instanceof XmlError) throw new Error(root.message)
  return root
}

/** The pending invites as `[id, username, servers]` (python-plexapi `pendingInvites(includeSent, includeReceived)`). */
const pending = async (
  fake: FakePlex,
  login: string,
  direction: "requested" | "requests",
  client: Client
) => {
  const root = await xml(await send(fake, "GET", `/api/invites/${direction}`, login, client))
  return root.children.map((i) => [
    Number(i.attributes["id"]),
    i.attributes["username"],
    i.attributes["server"],
    i.children.map((s) => [s.attributes["name"], s.attributes["machineIdentifier"], s.attributes["pending"]])
  ])
}

const resources = async (fake: FakePlex, login: string) => {
  const response = await send(fake, "GET", "/api/v2/resources", login, "@ctrl/plex")
  return ((await response.json()) as Array<{ name: string; accessToken: string; owned: boolean }>).filter(
    (r) => r.name === "Den"
  )
}

const serverStatus = async (fake: FakePlex, token: string) =>
  (await fake.handler(new Request(`${fake.serverUrl}/`, { headers: { "X-Plex-Token": token } }))).status

describe("core fake: server invites (python-plexapi and @ctrl/plex inviteFriend, pendingInvites, acceptInvite, cancelInvite)", () => {
  for (const client of ["python-plexapi", "@ctrl/plex"] as const) {
    it(`${client}: invited, pending on both sides, accepted: a share like a seeded one`, async () => {
      const fake = fakeWithShare()
      const alice = fake.account("alice")
      const dave = fake.account("dave")
      assert.strictEqual((await invite(fake, "alice", "dave@example.com", client)).status, 204)

      assert.deepStrictEqual(await pending(fake, "alice", "requested", client), [
        [dave.id, "dave", "1", [["Den", fake.serverId, "1"]]]
      ])
      assert.deepStrictEqual(await pending(fake, "dave", "requests", client), [
        [alice.id, "alice", "1", [["Den", fake.serverId, "1"]]]
      ])
      assert.deepStrictEqual(await pending(fake, "alice", "requests", client), [])
      // Not shared until accepted.
      assert.deepStrictEqual(await resources(fake, "dave"), [])
      assert.strictEqual(await serverStatus(fake, dave.token), 401)

      const accepted = await send(
        fake,
        "PUT",
        `/api/invites/requests/${alice.id}?friend=1&home=0&server=1`,
        "dave",
        client
      )
      assert.strictEqual(accepted.status, 204)
      assert.deepStrictEqual(await pending(fake, "alice", "requested", client), [])
      assert.deepStrictEqual(await pending(fake, "dave", "requests", client), [])
      const [shared] = await resources(fake, "dave")
      assert.isFalse(shared?.owned)
      assert.strictEqual(await serverStatus(fake, shared!.accessToken), 200)
      assert.strictEqual(await serverStatus(fake, dave.token), 200)
      // alice's users and the server's shared_servers (python-plexapi MyPlexUser.get_token) have dave, with that token.
      const users = await xml(await send(fake, "GET", "/api/users/", "alice", client))
      assert.deepStrictEqual(
        users.children.map((u) => u.attributes["title"]),
        ["carol", "dave"]
      )
      const sharedServers = await xml(
        await send(fake, "GET", `/api/servers/${fake.serverId}/shared_servers`, "alice", client)
      )
      const daves = sharedServers.children.find((s) => s.attributes["userID"] === String(dave.id))
      assert.strictEqual(daves?.attributes["accessToken"], shared!.accessToken)

      // Ended as a seeded share ends: removeFriend.
      assert.strictEqual(
        (await send(fake, "DELETE", `/api/v2/sharings/${dave.id}`, "alice", client)).status,
        204
      )
      assert.deepStrictEqual(await resources(fake, "dave"), [])
      assert.strictEqual(await serverStatus(fake, shared!.accessToken), 401)
    })
  }

  it("cancelled: the invite is gone on both sides, and accepting it finds nothing", async () => {
    const fake = fakeWithShare()
    const alice = fake.account("alice")
    const dave = fake.account("dave")
    assert.strictEqual((await invite(fake, "alice", "dave", "python-plexapi")).status, 204)
    const cancelled = await send(
      fake,
      "DELETE",
      `/api/invites/requested/${dave.id}?friend=1&home=0&server=1`,
      "alice",
      "@ctrl/plex"
    )
    assert.strictEqual(cancelled.status, 204)
    assert.deepStrictEqual(await pending(fake, "alice", "requested", "python-plexapi"), [])
    assert.deepStrictEqual(await pending(fake, "dave", "requests", "python-plexapi"), [])
    const accepted = await send(fake, "PUT", `/api/invites/requests/${alice.id}`, "dave", "python-plexapi")
    assert.strictEqual(accepted.status, 404)
    assert.strictEqual((await xml(accepted)).name, "errors")
    assert.strictEqual(
      (await send(fake, "DELETE", `/api/invites/requested/${dave.id}`, "alice", "@ctrl/plex")).status,
      404
    )
    assert.deepStrictEqual(await resources(fake, "dave"), [])
  })

  it("an invite lapses when its server leaves the inviter (removed from the account): no longer pending, nothing to accept", async () => {
    const fake = fakeWithShare()
    const alice = fake.account("alice")
    assert.strictEqual((await invite(fake, "alice", "dave", "python-plexapi")).status, 204)
    assert.strictEqual((await pending(fake, "dave", "requests", "python-plexapi")).length, 1)
    assert.strictEqual(
      (await send(fake, "DELETE", `/api/servers/${fake.serverId}`, "alice", "python-plexapi")).status,
      204
    )
    assert.deepStrictEqual(await pending(fake, "dave", "requests", "python-plexapi"), [])
    assert.deepStrictEqual(await pending(fake, "alice", "requested", "@ctrl/plex"), [])
    const accepted = await send(fake, "PUT", `/api/invites/requests/${alice.id}`, "dave", "@ctrl/plex")
    assert.strictEqual(accepted.status, 404)
    assert.deepStrictEqual(await resources(fake, "dave"), [])
  })

  it("refusals (XML): 404 for a server not the account's or an unknown user, 422 for a user shared with or invited already, or oneself", async () => {
    const fake = fakeWithShare()
    const refused = async (response: Response, status: number) => {
      assert.strictEqual(response.status, status)
      assert.strictEqual((await xml(response)).name, "errors")
    }
    await refused(await invite(fake, "bob", "dave", "python-plexapi"), 404)
    await refused(await invite(fake, "alice", "dave", "@ctrl/plex", "0123456789abcdef"), 404)
    await refused(await invite(fake, "alice", "nobody@example.com", "python-plexapi"), 404)
    await refused(await invite(fake, "alice", "carol", "@ctrl/plex"), 422)
    await refused(await invite(fake, "alice", "alice", "python-plexapi"), 422)
    assert.strictEqual((await invite(fake, "alice", "dave", "python-plexapi")).status, 204)
    await refused(await invite(fake, "alice", "dave@example.com", "@ctrl/plex"), 422)
    assert.strictEqual((await pending(fake, "dave", "requests", "python-plexapi")).length, 1)
  })
})
