/**
 * Plex Home PINs, set as python-plexapi and @ctrl/plex set them: `setPin`/`removePin` (PUT
 * https://plex.tv/api/home/users/{own id}?pin=…&currentPin=…, python-plexapi with no Accept, @ctrl/plex with
 * `Accept: application/json`) and `setManagedUserPin`/`removeManagedUserPin` (POST
 * https://plex.tv/api/v2/home/users/restricted/{id}?pin=… or ?removePin=1). A switch (`switchHomeUser`, the legacy
 * POST /api/home/users/{id}/switch?pin=… both clients send) then asks for the new PIN.
 */
import { assert, describe, it } from "vitest"
import { makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"

const CLIENT = "home-pins-test"

type Client = "python-plexapi" | "@ctrl/plex"

const fakeWithHome = () =>
  makeFakePlex({
    accounts: [
      { username: "alice" },
      { username: "kids", title: "Kids", managed: true, homePin: "4321" },
      { username: "bob" },
      { username: "carol" }
    ],
    homes: [{ members: ["kids", "bob"] }]
  })

const headers = (token: string, client: Client): Record<string, string> => ({
  "X-Plex-Client-Identifier": CLIENT,
  "X-Plex-Token": token,
  ...(client === "@ctrl/plex" ? { Accept: "application/json", "Content-Type": "application/json" } : {})
})

const send = (fake: FakePlex, method: string, path: string, login: string, client: Client) =>
  fake.handler(
    new Request(`${fake.plexTvUrl}${path}`, { method, headers: headers(fake.account(login).token, client) })
  )

const setPin = (
  fake: FakePlex,
  login: string,
  query: Record<string, string>,
  client: Client = "python-plexapi"
) =>
  send(fake, "PUT", `/api/home/users/${fake.account(login).id}?${new URLSearchParams(query)}`, login, client)

const setManagedPin = (
  fake: FakePlex,
  login: string,
  target: string,
  query: string,
  client: Client = "@ctrl/plex"
) => send(fake, "POST", `/api/v2/home/users/restricted/${fake.account(target).id}?${query}`, login, client)

/** The status of `login`'s switch to `target` (python-plexapi `switchHomeUser`), with `pin` if given. */
const switchTo = async (fake: FakePlex, login: string, target: string, pin?: string) => {
  const query = pin === undefined ? "" : `?pin=${pin}`
  const response = await send(
    fake,
    "POST",
    `/api/home/users/${fake.account(target).id}/switch${query}`,
    login,
    "python-plexapi"
  )
  return response.status
}

/** Whether `/api/v2/home/users` marks `target` protected, as `login` sees it. */
const isProtected = async (fake: FakePlex, login: string, target: string) => {
  const response = await send(fake, "GET", "/api/v2/home/users", login, "@ctrl/plex")
  const home = (await response.json()) as { users: Array<{ id: number; protected: boolean }> }
  return home.users.find((u) => u.id === fake.account(target).id)?.protected
}

describe("core fake: Plex Home PINs (python-plexapi and @ctrl/plex setPin, setManagedUserPin)", () => {
  for (const client of ["python-plexapi", "@ctrl/plex"] as const) {
    it(`${client} setPin/removePin: the account's own PIN, which a switch to it then asks for`, async () => {
      const fake = fakeWithHome()
      assert.strictEqual(await switchTo(fake, "bob", "alice"), 201)
      assert.strictEqual((await setPin(fake, "alice", { pin: "1234" }, client)).status, 204)
      assert.isTrue(await isProtected(fake, "bob", "alice"))
      assert.strictEqual(await switchTo(fake, "bob", "alice"), 403)
      assert.strictEqual(await switchTo(fake, "bob", "alice", "1234"), 201)

      // Changing it takes the current one.
      const refused = await setPin(fake, "alice", { pin: "5678" }, client)
      assert.strictEqual(refused.status, 403)
      assert.match(await refused.text(), /code="1041"/)
      assert.strictEqual(
        (await setPin(fake, "alice", { pin: "5678", currentPin: "0000" }, client)).status,
        403
      )
      assert.strictEqual(
        (await setPin(fake, "alice", { pin: "5678", currentPin: "1234" }, client)).status,
        204
      )
      assert.strictEqual(await switchTo(fake, "bob", "alice", "1234"), 403)
      assert.strictEqual(await switchTo(fake, "bob", "alice", "5678"), 201)

      // removePin: `pin` empty, with the current one.
      assert.strictEqual((await setPin(fake, "alice", { pin: "", currentPin: "5678" }, client)).status, 204)
      assert.isFalse(await isProtected(fake, "bob", "alice"))
      assert.strictEqual(await switchTo(fake, "bob", "alice"), 201)
    })
  }

  it("setPin refusals (XML): 400 for a PIN not four digits, 403 for another Home user's id, 404 for an unknown one", async () => {
    const fake = fakeWithHome()
    const malformed = await setPin(fake, "alice", { pin: "12ab" })
    assert.strictEqual(malformed.status, 400)
    assert.strictEqual(malformed.headers.get("content-type"), "application/xml; charset=utf-8")
    assert.strictEqual((await setPin(fake, "alice", { pin: "12345" }, "@ctrl/plex")).status, 400)
    const other = await send(
      fake,
      "PUT",
      `/api/home/users/${fake.account("bob").id}?pin=1111`,
      "alice",
      "@ctrl/plex"
    )
    assert.strictEqual(other.status, 403)
    assert.strictEqual(other.headers.get("content-type"), "application/xml; charset=utf-8")
    assert.strictEqual(
      (await send(fake, "PUT", "/api/home/users/1?pin=1111", "alice", "python-plexapi")).status,
      404
    )
    // Nothing changed: alice has no PIN, bob has none either.
    assert.strictEqual(await switchTo(fake, "bob", "alice"), 201)
    assert.strictEqual(await switchTo(fake, "alice", "bob"), 201)
  })

  for (const client of ["python-plexapi", "@ctrl/plex"] as const) {
    it(`${client} setPin/removePin by a managed user, for itself: 403 (XML), its PIN unchanged; the admin sets it`, async () => {
      const fake = fakeWithHome()
      for (const query of [
        { pin: "1111", currentPin: "4321" },
        { pin: "", currentPin: "4321" },
        { pin: "1111" }
      ]) {
        const refused = await setPin(fake, "kids", query, client)
        assert.strictEqual(refused.status, 403)
        assert.strictEqual(refused.headers.get("content-type"), "application/xml; charset=utf-8")
      }
      assert.isTrue(await isProtected(fake, "alice", "kids"))
      assert.strictEqual(await switchTo(fake, "alice", "kids", "1111"), 403)
      assert.strictEqual(await switchTo(fake, "alice", "kids", "4321"), 201)
      assert.strictEqual((await setManagedPin(fake, "alice", "kids", "pin=1111", client)).status, 204)
      assert.strictEqual(await switchTo(fake, "alice", "kids", "1111"), 201)
    })
  }

  it("setManagedUserPin/removeManagedUserPin: the admin sets a managed user's PIN, no current PIN asked", async () => {
    const fake = fakeWithHome()
    assert.strictEqual(await switchTo(fake, "alice", "kids", "4321"), 201)
    assert.strictEqual((await setManagedPin(fake, "alice", "kids", "pin=2468")).status, 204)
    assert.strictEqual(await switchTo(fake, "alice", "kids", "4321"), 403)
    assert.strictEqual(await switchTo(fake, "alice", "kids", "2468"), 201)

    assert.strictEqual(
      (await setManagedPin(fake, "alice", "kids", "removePin=1", "python-plexapi")).status,
      204
    )
    assert.isFalse(await isProtected(fake, "alice", "kids"))
    assert.strictEqual(await switchTo(fake, "alice", "kids"), 201)
  })

  it("setManagedUserPin refusals: 403 for a Home user not its admin, 404 for one not managed or not of the Home, 400 for a bad PIN", async () => {
    const fake = fakeWithHome()
    assert.strictEqual((await setManagedPin(fake, "bob", "kids", "pin=1111")).status, 403)
    assert.strictEqual((await setManagedPin(fake, "alice", "bob", "pin=1111")).status, 404)
    assert.strictEqual((await setManagedPin(fake, "carol", "kids", "pin=1111")).status, 404)
    assert.strictEqual((await setManagedPin(fake, "alice", "kids", "pin=12")).status, 400)
    assert.strictEqual((await setManagedPin(fake, "alice", "kids", "")).status, 400)
    // Nothing changed: the seeded PIN still opens the switch.
    assert.strictEqual(await switchTo(fake, "alice", "kids", "4321"), 201)
  })
})

describe("core fake: the Home PIN routes' secrets in the request log", () => {
  it("pin and currentPin (setPin, setManagedUserPin) are recorded as secrets, never in a request's JSON", async () => {
    const fake = fakeWithHome()
    assert.strictEqual((await setPin(fake, "alice", { pin: "2468" })).status, 204)
    assert.strictEqual((await setPin(fake, "alice", { pin: "1357", currentPin: "2468" })).status, 204)
    assert.strictEqual((await setManagedPin(fake, "alice", "kids", "pin=9753")).status, 204)
    const recorded = fake
      .requests()
      .filter((r) => r.route === "setHomePin" || r.route === "setManagedUserPin")
    assert.strictEqual(recorded.length, 3)
    for (const request of recorded) {
      assert.strictEqual(String(request.query["pin"]), "<redacted>")
      assert.notInclude(JSON.stringify(request), "2468")
      assert.notInclude(JSON.stringify(request), "1357")
      assert.notInclude(JSON.stringify(request), "9753")
    }
    assert.strictEqual(String(recorded[1]!.query["currentPin"]), "<redacted>")
  })
})
