/**
 * plex.tv's legacy PIN API (`POST /pins.xml`, `GET /pins/{id}.xml`), driven as python-plexapi 3.5 to 4.2's
 * `MyPlexPinLogin` sends it (plexapi/myplex.py before commit 9adf29f: `PINS`, `CHECKPINS`, `_query` with
 * `BASE_HEADERS` and requests' own `Accept: *\/*`, a POST without a body; as released its constructor fails before
 * sending, see routes.ts) and read as it and PlexKodiConnect's `PinLogin` read it (`<id>`, `<code>`, `<auth_token>`
 * elements). The PINs are the fake's one kind of PIN: approved at plex.tv/link, seen through v2.
 */
import { assert, describe, it } from "vitest"
import { makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"
import { parse, type XmlElement, XmlError } from "../../src/core/xml.js"

const CLIENT = "python-plexapi-4-2"

/** A clock the test moves (no sleeping). */
const manualClock = (start = Date.UTC(2026, 0, 1)) => {
  let now = start
  return {
    clock: { now: () => now, sleep: () => Promise.resolve() },
    now: () => now,
    advance: (millis: number) => {
      now += millis
    }
  }
}

/** python-plexapi 4.2's `BASE_HEADERS` (plexapi/config.py `reset_base_headers`), with requests' defaults. */
const baseHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
  "X-Plex-Platform": "Linux",
  "X-Plex-Platform-Version": "6.8.0",
  "X-Plex-Provides": "controller",
  "X-Plex-Product": "PlexAPI",
  "X-Plex-Version": "4.2.0",
  "X-Plex-Device": "Linux",
  "X-Plex-Device-Name": "test-box",
  "X-Plex-Client-Identifier": CLIENT,
  "X-Plex-Sync-Version": "2",
  Accept: "*/*",
  ...extra
})

const createPin = (fake: FakePlex, query = "", headers = baseHeaders()) =>
  fake.handler(new Request(`${fake.plexTvUrl}/pins.xml${query}`, { method: "POST", headers }))

const checkPin = (fake: FakePlex, id: string, headers = baseHeaders()) =>
  fake.handler(new Request(`${fake.plexTvUrl}/pins/${id}.xml`, { headers }))

const xml = async (response: Response): Promise<XmlElement> => {
  assert.strictEqual(response.headers.get("content-type"), "application/xml; charset=utf-8")
  const root = parse(await response.text())
  if (root instanceof XmlError) throw new Error(root.message)
  return root
}

/** What `ElementTree`'s `find(name).text` gives: the child's text, or None (here undefined) when it is empty. */
const find = (root: XmlElement, name: string): string | undefined => {
  const text = root.children.find((c) => c.name === name)?.text
  return text === undefined || text === "" ? undefined : text
}

describe("core fake: plex.tv's legacy PIN API (python-plexapi 3.5 to 4.2's MyPlexPinLogin)", () => {
  it("POST /pins.xml: 201, a <pin> with <id>, a 4-character <code> and no <auth_token> yet", async () => {
    const time = manualClock()
    const fake = makeFakePlex({ clock: time.clock })
    const created = await createPin(fake)
    assert.strictEqual(created.status, 201)
    const pin = await xml(created)
    assert.strictEqual(pin.name, "pin")
    // ElementTree's `if not response` is true for an element without children: the <pin> must have some.
    assert.isAbove(pin.children.length, 0)
    const id = find(pin, "id")!
    assert.match(id, /^\d+$/)
    assert.match(find(pin, "code")!, /^[A-Z2-9]{4}$/)
    assert.isUndefined(find(pin, "auth_token"))
    assert.strictEqual(pin.children.find((c) => c.name === "auth_token")?.attributes["nil"], "true")
    assert.strictEqual(find(pin, "client-identifier"), CLIENT)
    // The same PIN the fake lists, 15 minutes long as a short v2 PIN.
    const listed = fake.pins().find((p) => String(p.id) === id)!
    assert.strictEqual(listed.code, find(pin, "code"))
    assert.strictEqual(Date.parse(find(pin, "expires-at")!), time.now() + 15 * 60 * 1000)
  })

  it("GET /pins/{id}.xml: no token until approved at plex.tv/link, then the token, and the client is a device", async () => {
    const fake = makeFakePlex()
    const pin = await xml(await createPin(fake))
    const id = find(pin, "id")!
    const before = await checkPin(fake, id)
    assert.strictEqual(before.status, 200)
    assert.isUndefined(find(await xml(before), "auth_token"))

    // The user types the code at plex.tv/link (`PUT /api/v2/pins/link`, python-plexapi `MyPlexAccount.link`).
    const linked = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins/link`, {
        method: "PUT",
        headers: {
          "X-Plex-Client-Identifier": "plex-web",
          "X-Plex-Product": "Plex SSO",
          "X-Plex-Token": fake.token,
          "Content-Type": "application/x-www-form-urlencoded"
        },
        body: new URLSearchParams({ code: find(pin, "code")! })
      })
    )
    assert.strictEqual(linked.status, 204)

    const after = await xml(await checkPin(fake, id))
    const token = find(after, "auth_token")!
    assert.isTrue(fake.isTokenValid(token))
    assert.strictEqual(find(after, "user-id"), String(fake.accounts[0]!.id))
    // The token signs the client in, as a v2 check does: it is among the account's devices, with that token.
    const devices = await xml(
      await fake.handler(
        new Request(`${fake.plexTvUrl}/devices.xml`, { headers: baseHeaders({ "X-Plex-Token": token }) })
      )
    )
    const device = devices.children.find((d) => d.attributes["clientIdentifier"] === CLIENT)
    assert.strictEqual(device?.attributes["token"], token)
    assert.strictEqual(device?.attributes["product"], "PlexAPI")
  })

  it("one kind of PIN: a v1 PIN is seen through GET /api/v2/pins/{id}, a v2 PIN through /pins/{id}.xml", async () => {
    const fake = makeFakePlex()
    const v1 = find(await xml(await createPin(fake)), "id")!
    const token = await fake.approvePin(Number(v1))
    const v2check = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins/${v1}`, {
        headers: baseHeaders({ Accept: "application/json" })
      })
    )
    assert.strictEqual(v2check.status, 200)
    assert.strictEqual(((await v2check.json()) as { authToken: string }).authToken, token)

    const v2 = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins`, {
        method: "POST",
        headers: baseHeaders({ Accept: "application/json" })
      })
    )
    const { id, code } = (await v2.json()) as { id: number; code: string }
    const v1check = await xml(await checkPin(fake, String(id)))
    assert.strictEqual(find(v1check, "code"), code)
    assert.isUndefined(find(v1check, "auth_token"))
  })

  it("autoApprovePins (plex-auth fake-server's) approves a legacy PIN at its check, as a v2 one", async () => {
    const fake = makeFakePlex({ autoApprovePins: { afterMillis: 0 } })
    const id = find(await xml(await createPin(fake)), "id")!
    const token = find(await xml(await checkPin(fake, id)), "auth_token")!
    assert.isTrue(fake.isTokenValid(token))
    assert.deepStrictEqual(
      fake.pins().map((p) => [String(p.id), p.authToken]),
      [[id, token]]
    )
  })

  it("strong=true (query) makes a 25-character PIN lasting 30 minutes", async () => {
    const time = manualClock()
    const fake = makeFakePlex({ clock: time.clock })
    const pin = await xml(await createPin(fake, "?strong=true"))
    assert.match(find(pin, "code")!, /^[a-z0-9]{25}$/)
    assert.strictEqual(Date.parse(find(pin, "expires-at")!), time.now() + 30 * 60 * 1000)
  })

  it("refusals in XML: 404 for an unknown, expired or another client's PIN; 400 without a client identifier", async () => {
    const time = manualClock()
    const fake = makeFakePlex({ clock: time.clock, pinLifetimeMillis: { short: 1000 } })
    const refused = async (response: Response, status: number) => {
      assert.strictEqual(response.status, status)
      const root = await xml(response)
      assert.strictEqual(root.name, "errors")
      return root
    }
    const unknown = await refused(await checkPin(fake, "999999"), 404)
    assert.strictEqual(find(unknown, "error"), "Code not found or expired")

    const id = find(await xml(await createPin(fake)), "id")!
    await refused(await checkPin(fake, id, baseHeaders({ "X-Plex-Client-Identifier": "someone-else" })), 404)
    time.advance(1000)
    await refused(await checkPin(fake, id), 404)

    const { "X-Plex-Client-Identifier": _, ...anonymous } = baseHeaders()
    await refused(await createPin(fake, "", anonymous), 400)
    assert.strictEqual(fake.pins().length, 1)
  })
})

describe("core fake: plex.tv's v2 PIN API as python-plexapi 4.3 and later's MyPlexPinLogin reads it (XML)", () => {
  // plexapi/myplex.py `MyPlexPinLogin`: `PINS` https://plex.tv/api/v2/pins, POSTed with `params={'strong': True}`
  // for OAuth (requests writes `strong=True`), `CHECKPINS` polled; `_query` asks for no format and parses the answer
  // with ElementTree, reading the root's attributes `id`, `code` and `authToken`.
  it("POST /api/v2/pins?strong=True: XML <pin id code authToken=''>; the check's authToken once approved", async () => {
    const fake = makeFakePlex()
    const created = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins?strong=True`, { method: "POST", headers: baseHeaders() })
    )
    assert.strictEqual(created.status, 201)
    const pin = await xml(created)
    assert.strictEqual(pin.name, "pin")
    assert.match(pin.attributes["code"] ?? "", /^[a-z0-9]{25}$/)
    assert.strictEqual(pin.attributes["authToken"], "")
    const id = pin.attributes["id"]!

    const check = async () => {
      const response = await fake.handler(
        new Request(`${fake.plexTvUrl}/api/v2/pins/${id}`, { headers: baseHeaders() })
      )
      assert.strictEqual(response.status, 200)
      return xml(response)
    }
    assert.strictEqual((await check()).attributes["authToken"], "")
    const token = await fake.approvePin(Number(id))
    assert.strictEqual((await check()).attributes["authToken"], token)
  })
})
