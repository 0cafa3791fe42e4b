/**
 * The tokens of a server's shares (a shared server's `accessToken`: python-plexapi `MyPlexResource.accessToken` and
 * `MyPlexUser.get_token`, which `PlexServer.switchUser` connects with; @ctrl/plex `MyPlexResource.accessToken`, which
 * `connect()` and `delete()` send): the fake's `isTokenValid` and `revokeToken` know them as they know account tokens,
 * and a server released (unclaimed) and claimed again hands its shares new tokens, the old ones refused.
 */
import { assert, describe, it } from "vitest"
import { makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"

const CLIENT = "share-tokens-test"

const send = (fake: FakePlex, url: string, token: string, method = "GET") =>
  fake.handler(
    new Request(url, {
      method,
      headers: { Accept: "application/json", "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": token }
    })
  )

/** Alice owns Den; Carol is a friend it is shared with, Bob a member of Alice's Home, Dave accepts an invite. */
const fakeWithShares = async () => {
  const fake = makeFakePlex({
    accounts: [{ username: "alice" }, { username: "bob" }, { username: "carol" }, { username: "dave" }],
    homes: [{ members: ["bob"] }],
    servers: [{ name: "Den", sharedWith: ["carol"] }]
  })
  const alice = fake.account("alice").token
  const invited = await fake.handler(
    new Request(`${fake.plexTvUrl}/api/servers/${fake.serverId}/shared_servers`, {
      method: "POST",
      headers: {
        "X-Plex-Client-Identifier": CLIENT,
        "X-Plex-Token": alice,
        "Content-Type": "application/json"
      },
      body: JSON.stringify({ shared_server: { invited_email: "dave" } })
    })
  )
  assert.strictEqual(invited.status, 204)
  const accepted = await send(
    fake,
    `${fake.plexTvUrl}/api/invites/requests/${fake.account("alice").id}`,
    fake.account("dave").token,
    "PUT"
  )
  assert.strictEqual(accepted.status, 204)
  return fake
}

/** The `accessToken` of Den in `login`'s resources, or undefined when Den is not among them. */
const shareToken = async (fake: FakePlex, login: string): Promise<string | undefined> => {
  const response = await send(fake, `${fake.plexTvUrl}/api/v2/resources`, fake.account(login).token)
  assert.strictEqual(response.status, 200)
  const list = (await response.json()) as Array<{ clientIdentifier: string; accessToken: string }>
  return list.find((r) => r.clientIdentifier === fake.serverId)?.accessToken
}

const tokens = async (fake: FakePlex) => ({
  bob: (await shareToken(fake, "bob"))!,
  carol: (await shareToken(fake, "carol"))!,
  dave: (await shareToken(fake, "dave"))!
})

/** Den's `GET /` with a token: 200 while it takes the token, 401 otherwise. */
const onServer = async (fake: FakePlex, token: string) =>
  (await fake.handler(new Request(`${fake.serverUrl}/`, { headers: { "X-Plex-Token": token } }))).status

/** @ctrl/plex `MyPlexResource.delete()`: the resource's `accessToken` in the query, no header. */
const deleteResource = (fake: FakePlex, token: string) =>
  fake.handler(
    new Request(
      `${fake.plexTvUrl}/api/servers/${fake.serverId}?${new URLSearchParams({ "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": token })}`,
      { method: "DELETE" }
    )
  )

/** Unclaims Den with its admin token (python-plexapi `PlexServer.unclaim`), then claims it again for Alice. */
const releaseAndClaimAgain = async (fake: FakePlex) => {
  const unclaimed = await fake.handler(
    new Request(`${fake.serverUrl}/myplex/account`, {
      method: "DELETE",
      headers: { "X-Plex-Token": fake.serverToken }
    })
  )
  assert.strictEqual(unclaimed.status, 200)
  const claim = await send(fake, `${fake.plexTvUrl}/api/claim/token.json`, fake.account("alice").token)
  const { token } = (await claim.json()) as { token: string }
  const claimed = await fake.handler(
    new Request(`${fake.serverUrl}/myplex/claim?token=${token}`, { method: "POST" })
  )
  assert.strictEqual(claimed.status, 200)
}

describe("core fake: the tokens of shares", () => {
  it("isTokenValid: a friend's, an accepted invite's and a Home share's token are valid while the share lasts", async () => {
    const fake = await fakeWithShares()
    const shared = await tokens(fake)
    for (const [user, token] of Object.entries(shared)) {
      assert.isTrue(fake.isTokenValid(token), user)
      assert.strictEqual(await onServer(fake, token), 200, user)
    }
    // Carol leaves the friend's share (python-plexapi and @ctrl/plex removeFriend): her token is valid no more.
    const removed = await send(
      fake,
      `${fake.plexTvUrl}/api/v2/sharings/${fake.account("carol").id}`,
      fake.account("alice").token,
      "DELETE"
    )
    assert.strictEqual(removed.status, 204)
    assert.isFalse(fake.isTokenValid(shared.carol))
    assert.isFalse(fake.revokeToken(shared.carol), "an ended share's token is revoked already")
    assert.isTrue(fake.isTokenValid(shared.bob))
    assert.isFalse(fake.isTokenValid("no-such-share-token"))
  })

  it("revokeToken of a share's token: the server refuses it, plex.tv answers it 422, the share goes on with a new token", async () => {
    const fake = await fakeWithShares()
    const shared = await tokens(fake)
    for (const [user, token] of Object.entries(shared)) {
      assert.isTrue(fake.revokeToken(token), user)
      assert.isFalse(fake.revokeToken(token), `${user}: revoked already`)
      assert.isFalse(fake.isTokenValid(token), user)
      assert.strictEqual(await onServer(fake, token), 401, user)
      // As plex.tv answers a revoked token (python-plexapi reads the 422 "Invalid token" as Unauthorized).
      const refused = await deleteResource(fake, token)
      assert.strictEqual(refused.status, 422, user)
      assert.include(await refused.text(), "Invalid token", user)
    }
    const renewed = await tokens(fake)
    for (const user of ["bob", "carol", "dave"] as const) {
      assert.notStrictEqual(renewed[user], shared[user], user)
      assert.match(renewed[user], /^[A-Za-z0-9]{20}$/, user)
      assert.isTrue(fake.isTokenValid(renewed[user]), user)
      assert.strictEqual(await onServer(fake, renewed[user]), 200, user)
    }
    // The other tokens are untouched: the owner's account token and the server's own.
    assert.isTrue(fake.isTokenValid(fake.account("alice").token))
    assert.strictEqual(await onServer(fake, fake.serverToken), 200)
  })

  it("a server released and claimed again hands its shares new tokens: the old ones are refused", async () => {
    const fake = await fakeWithShares()
    const before = await tokens(fake)
    await releaseAndClaimAgain(fake)
    const after = await tokens(fake)
    for (const user of ["bob", "carol", "dave"] as const) {
      assert.notStrictEqual(after[user], before[user], user)
      assert.strictEqual(await onServer(fake, before[user]), 401, user)
      assert.isFalse(fake.isTokenValid(before[user]), user)
      assert.strictEqual((await deleteResource(fake, before[user])).status, 422, user)
      assert.strictEqual(await onServer(fake, after[user]), 200, user)
      assert.isTrue(fake.isTokenValid(after[user]), user)
    }
    // Each claim mints anew: the tokens of the second claim are not those of the first either.
    await releaseAndClaimAgain(fake)
    const third = await tokens(fake)
    for (const user of ["bob", "carol", "dave"] as const) {
      assert.notInclude([before[user], after[user]], third[user], user)
      assert.strictEqual(await onServer(fake, after[user]), 401, user)
    }
  })

  it("POST /__fake/revoke takes a share's token as revokeToken does: the server refuses it, the token is never echoed", async () => {
    const fake = await fakeWithShares()
    const carol = (await shareToken(fake, "carol"))!
    const control = () =>
      fake.handler(
        new Request(`${fake.plexTvUrl}/__fake/revoke`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token: carol })
        })
      )
    const revoked = await control()
    const text = await revoked.text()
    assert.deepStrictEqual(JSON.parse(text), { revoked: true })
    assert.notInclude(text, carol)
    assert.strictEqual(await onServer(fake, carol), 401)
    assert.deepStrictEqual(await (await control()).json(), { revoked: false })
  })

  it("a share its user left stays ended when its server is released and claimed again", async () => {
    const fake = await fakeWithShares()
    const dave = (await shareToken(fake, "dave"))!
    // Dave leaves the share (@ctrl/plex MyPlexResource.delete with the share's token).
    assert.strictEqual((await deleteResource(fake, dave)).status, 204)
    await releaseAndClaimAgain(fake)
    assert.isUndefined(await shareToken(fake, "dave"))
    assert.isDefined(await shareToken(fake, "carol"))
  })
})

/** Den's `/myplex/account` with a token (python-plexapi `PlexServer.account()`): its `authToken`, or the status. */
const signedInWith = async (fake: FakePlex, token: string) => {
  const response = await fake.handler(
    new Request(`${fake.serverUrl}/myplex/account`, {
      headers: { Accept: "application/json", "X-Plex-Token": token }
    })
  )
  if (response.status !== 200) return response.status
  return ((await response.json()) as { MyPlex: { authToken: string } }).MyPlex.authToken
}

describe("core fake: a server's own token", () => {
  it("a server claimed again has a new token, which its owner's resources list; the old one is refused; isTokenValid knows both", async () => {
    const fake = await fakeWithShares()
    const first = fake.serverToken
    assert.strictEqual(await shareToken(fake, "alice"), first)
    assert.isTrue(fake.isTokenValid(first))
    assert.strictEqual(await signedInWith(fake, first), first)

    await releaseAndClaimAgain(fake)
    const second = fake.serverToken
    assert.notStrictEqual(second, first)
    assert.match(second, /^[A-Za-z0-9]{20}$/)
    assert.strictEqual(await shareToken(fake, "alice"), second)
    assert.strictEqual(fake.server().accessToken, second)
    assert.strictEqual(await onServer(fake, first), 401)
    assert.strictEqual(await onServer(fake, second), 200)
    assert.strictEqual(await signedInWith(fake, second), second)
    assert.isFalse(fake.isTokenValid(first))
    assert.isTrue(fake.isTokenValid(second))
    assert.isFalse(fake.revokeToken(first), "a token superseded is revoked already")
    // plex.tv refuses it as a revoked token (@ctrl/plex MyPlexResource.delete sends an owned resource's accessToken).
    const refused = await deleteResource(fake, first)
    assert.strictEqual(refused.status, 422)
    assert.include(await refused.text(), "Invalid token")

    // While the server is unclaimed, plex.tv knows no token of it.
    const unclaimed = await fake.handler(
      new Request(`${fake.serverUrl}/myplex/account`, {
        method: "DELETE",
        headers: { "X-Plex-Token": second }
      })
    )
    assert.strictEqual(unclaimed.status, 200)
    assert.isFalse(fake.isTokenValid(second))
    assert.isFalse(fake.isTokenValid(fake.serverToken))
  })

  it("revokeToken of a server's own token: the server and plex.tv refuse it, the server stays its owner's with a new one", async () => {
    const fake = await fakeWithShares()
    const shared = await tokens(fake)
    const first = fake.serverToken
    assert.isTrue(fake.revokeToken(first))
    assert.isFalse(fake.revokeToken(first), "revoked already")
    assert.isFalse(fake.isTokenValid(first))
    assert.strictEqual(await onServer(fake, first), 401)
    assert.strictEqual((await deleteResource(fake, first)).status, 422)
    const second = fake.serverToken
    assert.notStrictEqual(second, first)
    assert.strictEqual(await shareToken(fake, "alice"), second)
    assert.strictEqual(fake.server().ownerId, fake.account("alice").id)
    assert.isTrue(fake.isTokenValid(second))
    assert.strictEqual(await onServer(fake, second), 200)
    // The shares keep their tokens.
    assert.deepStrictEqual(await tokens(fake), shared)
  })
})
