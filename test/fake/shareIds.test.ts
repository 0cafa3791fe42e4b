/**
 * The ids of shares, as python-plexapi reads them: `getSharedServers` (`https://plex.tv/api/servers/{machineId}/
 * shared_servers`, `<SharedServer id>`), `/api/users/` (`MyPlexServerShare.id`, which `updateFriend` and
 * `MyPlexServerShare.sections` address FRIENDSERVERS `shared_servers/{serverId}` by) and a pending invite's
 * `<Server id>`. A client that stores an id and uses it later must find the same share.
 */
import { assert, describe, it } from "vitest"
import { makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"
import { parse, type XmlElement, XmlError } from "../../src/core/xml.js"

const CLIENT = "share-ids-test"

const fakeWithShares = () =>
  makeFakePlex({
    accounts: [{ username: "alice" }, { username: "carol" }, { username: "dave" }],
    servers: [
      { name: "Den", sharedWith: ["carol"] },
      { name: "Attic", sharedWith: ["carol", "dave"] }
    ]
  })

const send = (fake: FakePlex, method: string, path: string, token: string, body?: unknown) =>
  fake.handler(
    new Request(`${fake.plexTvUrl}${path}`, {
      method,
      headers: {
        "X-Plex-Client-Identifier": CLIENT,
        "X-Plex-Token": token,
        ...(body === undefined ? {} : { "Content-Type": "application/json" })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
  )

const xml = async (response: Response): Promise<XmlElement> => {
  assert.strictEqual(response.status, 200)
  const root = parse(await response.text())
  if (root instanceof XmlError) throw new Error(root.message)
  return root
}

const serverId = (fake: FakePlex, name: string) => fake.servers.find((s) => s.name === name)!.clientIdentifier

/** `getSharedServers`: `{username: SharedServer id}` of a server. */
const sharedServerIds = async (fake: FakePlex, name: string) => {
  const root = await xml(
    await send(
      fake,
      "GET",
      `/api/servers/${serverId(fake, name)}/shared_servers`,
      fake.account("alice").token
    )
  )
  return Object.fromEntries(root.children.map((s) => [s.attributes["username"], s.attributes["id"]]))
}

/** `/api/users/`: `{"username server": Server id}`. */
const userServerIds = async (fake: FakePlex) => {
  const root = await xml(await send(fake, "GET", "/api/users/", fake.account("alice").token))
  return Object.fromEntries(
    root.children.flatMap((u) =>
      u.children.map((s) => [`${u.attributes["username"]} ${s.attributes["name"]}`, s.attributes["id"]])
    )
  )
}

/** A user leaves a share (`DELETE /api/servers/{id}` with its account token). */
const leave = async (fake: FakePlex, login: string, name: string) =>
  assert.strictEqual(
    (await send(fake, "DELETE", `/api/servers/${serverId(fake, name)}`, fake.account(login).token)).status,
    204
  )

describe("core fake: share ids stay with their share", () => {
  it("getSharedServers and /api/users/ give a share one id, which stays while other shares end", async () => {
    const fake = fakeWithShares()
    const users = await userServerIds(fake)
    const attic = await sharedServerIds(fake, "Attic")
    const den = await sharedServerIds(fake, "Den")
    assert.strictEqual(users["carol Attic"], attic["carol"])
    assert.strictEqual(users["dave Attic"], attic["dave"])
    assert.strictEqual(users["carol Den"], den["carol"])
    assert.strictEqual(new Set(Object.values(users)).size, 3)

    await leave(fake, "carol", "Den")
    assert.deepStrictEqual(await userServerIds(fake), {
      "carol Attic": users["carol Attic"],
      "dave Attic": users["dave Attic"]
    })
    await leave(fake, "carol", "Attic")
    assert.deepStrictEqual(await sharedServerIds(fake, "Attic"), { dave: attic["dave"] })
    assert.deepStrictEqual(await userServerIds(fake), { "dave Attic": users["dave Attic"] })
  })

  it("a pending invite's Server id is not another share's, and is the id of the share it becomes", async () => {
    const fake = makeFakePlex({
      accounts: [{ username: "alice" }, { username: "carol" }],
      servers: [{ name: "Den", sharedWith: ["carol"] }, { name: "Attic" }]
    })
    const alice = fake.account("alice").token
    const invited = await send(
      fake,
      "POST",
      `/api/servers/${serverId(fake, "Attic")}/shared_servers`,
      alice,
      {
        server_id: serverId(fake, "Attic"),
        shared_server: { library_section_ids: [], invited_email: "carol" }
      }
    )
    assert.strictEqual(invited.status, 204)
    const denShare = (await userServerIds(fake))["carol Den"]
    const pendingIds = async (login: string, direction: "requested" | "requests") =>
      (
        await xml(await send(fake, "GET", `/api/invites/${direction}`, fake.account(login).token))
      ).children.flatMap((i) => i.children.map((s) => s.attributes["id"]))
    const sent = await pendingIds("alice", "requested")
    assert.strictEqual(sent.length, 1)
    assert.notStrictEqual(sent[0], denShare)
    assert.deepStrictEqual(await pendingIds("carol", "requests"), sent)

    const accepted = await send(
      fake,
      "PUT",
      `/api/invites/requests/${fake.account("alice").id}`,
      fake.account("carol").token
    )
    assert.strictEqual(accepted.status, 204)
    assert.deepStrictEqual(await userServerIds(fake), { "carol Den": denShare, "carol Attic": sent[0] })
    assert.deepStrictEqual(await sharedServerIds(fake, "Attic"), { carol: sent[0] })
  })
})
