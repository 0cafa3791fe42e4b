/**
 * The fake approves a PIN in one place (src/core/fake/approve.ts) for its
 * three ways in: the `approvePin` control call, the `linkPin` route
 * (plex.tv/link) and the approval page (app.plex.tv). The three agree: a JWT
 * PIN's key joins the account and its token is a Plex JWT whose `thumbprint`
 * claim is the key's `kid` as the client sent it, and a key of another
 * account is refused.
 */
import { assert, describe, it } from "vitest"
import * as Jose from "../../src/core/jose.js"
import { makeFakePlex, type FakePlex } from "../../src/core/fake/index.js"

const CLIENT = "core-approve-test-client"

const plexHeaders = (token?: string): Record<string, string> => ({
  "X-Plex-Client-Identifier": CLIENT,
  "X-Plex-Product": "Core approve test",
  Accept: "application/json",
  ...(token === undefined ? {} : { "X-Plex-Token": token })
})

/**
 * A JWT PIN whose key's `kid` is not its RFC 7638 thumbprint (plex.tv echoes the `kid` the client chose); short
 * (`strong: false`) for plex.tv/link, which takes a four-character code only.
 */
const jwtPin = async (fake: FakePlex, kid: string, strong = true) => {
  const { x } = await Jose.generate()
  const jwk = { kty: "OKP", crv: "Ed25519", x, use: "sig", alg: "EdDSA", kid }
  const response = await fake.handler(
    new Request(`${fake.plexTvUrl}/api/v2/pins`, {
      method: "POST",
      headers: { ...plexHeaders(), "Content-Type": "application/json" },
      body: JSON.stringify({ jwk, strong })
    })
  )
  assert.strictEqual(response.status, 201)
  const pin = (await response.json()) as { id: number; code: string }
  return { pin, thumbprint: await Jose.thumbprint({ kty: "OKP", crv: "Ed25519", x }) }
}

const tokenOf = (fake: FakePlex, id: number): string => {
  const token = fake.pins().find((p) => p.id === id)?.authToken
  assert.isDefined(token)
  return token!
}

const thumbprintClaim = (token: string): unknown => Jose.parse(token)?.payload["thumbprint"]

const ways: ReadonlyArray<readonly [string, (fake: FakePlex, code: string) => Promise<void>]> = [
  [
    "the approvePin control call",
    async (fake, code) => {
      await fake.approvePin(code)
    }
  ],
  [
    "the linkPin route",
    async (fake, code) => {
      const response = await fake.handler(
        new Request(`${fake.plexTvUrl}/api/v2/pins/link`, {
          method: "PUT",
          headers: { ...plexHeaders(fake.token), "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ code }).toString()
        })
      )
      assert.strictEqual(response.status, 204)
    }
  ],
  [
    "the approval page",
    async (fake, code) => {
      const response = await fake.handler(
        new Request(fake.authAppUrl, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ code, clientID: CLIENT }).toString()
        })
      )
      assert.strictEqual(response.status, 200)
    }
  ]
]

describe("core fake: approving a PIN", () => {
  for (const [name, approve] of ways) {
    it(`${name}: a JWT PIN's token is bound to the key's kid, and the key joins the account`, async () => {
      const fake = makeFakePlex()
      const { pin, thumbprint } = await jwtPin(fake, "client-chosen-kid", name !== "the linkPin route")
      assert.notStrictEqual(thumbprint, "client-chosen-kid")
      await approve(fake, pin.code.toUpperCase())
      assert.strictEqual(thumbprintClaim(tokenOf(fake, pin.id)), "client-chosen-kid")
      const account = fake.pins().find((p) => p.id === pin.id)?.accountId
      assert.deepStrictEqual(fake.deviceKeys(), [
        { kid: "client-chosen-kid", thumbprint, accountId: account! }
      ])
    })
  }

  it("a key that belongs to another account is refused by all three", async () => {
    const fake = makeFakePlex({ accounts: [{ username: "alice" }, { username: "bob" }] })
    const first = await jwtPin(fake, "shared-kid")
    await fake.approvePin(first.pin.id, { account: "bob" })
    const { pin } = await jwtPin(fake, "shared-kid", false)
    let thrown: unknown
    await fake.approvePin(pin.id, { account: "alice" }).catch((error: unknown) => (thrown = error))
    assert.match(String(thrown), /belongs to another account/)
    const linked = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins/link`, {
        method: "PUT",
        headers: { ...plexHeaders(fake.token), "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ code: pin.code }).toString()
      })
    )
    assert.strictEqual(linked.status, 422)
    const page = await fake.handler(
      new Request(fake.authAppUrl, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ code: pin.code, clientID: CLIENT, account: "alice" }).toString()
      })
    )
    assert.include(await page.text(), "This device belongs to another account.")
    assert.isUndefined(fake.pins().find((p) => p.id === pin.id)?.authToken)
  })

  // plex.tv/link takes a short PIN's four-character code only (VortXTV/VortX issue 220, nzbfast issue 91); the
  // fake linked a strong PIN's code too, so a client sending one was tested against an answer Plex does not give.
  it("the linkPin route: a strong PIN's code is unknown there (404, code 1020); the PIN stays unapproved", async () => {
    const fake = makeFakePlex()
    const created = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins?strong=true`, { method: "POST", headers: plexHeaders() })
    )
    const pin = (await created.json()) as { id: number; code: string }
    const linked = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins/link`, {
        method: "PUT",
        headers: { ...plexHeaders(fake.token), "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ code: pin.code }).toString()
      })
    )
    assert.strictEqual(linked.status, 404)
    assert.deepStrictEqual(
      ((await linked.json()) as { errors: Array<{ code: number }> }).errors[0]?.code,
      1020
    )
    assert.isUndefined(fake.pins().find((p) => p.id === pin.id)?.authToken)
  })

  // The fake drew each code at random with no regard to the others: two short PINs of one fake shared a code about
  // once in a million pairs (32^4 codes), and approving the newer one by its code approved the older one.
  it("a PIN's code is no other PIN's: a code drawn again is drawn anew, and each PIN is found by its own", async () => {
    // The random source draws the first PIN's code ("AAAA") twice, then other characters.
    let calls = 0
    const fake = makeFakePlex({ randomInt: (bound) => (calls++ < 8 ? 0 : calls % bound) })
    const create = async () => {
      const created = await fake.handler(
        new Request(`${fake.plexTvUrl}/api/v2/pins?strong=false`, { method: "POST", headers: plexHeaders() })
      )
      assert.strictEqual(created.status, 201)
      return (await created.json()) as { id: number; code: string }
    }
    const first = await create()
    const second = await create()
    assert.strictEqual(first.code, "AAAA")
    assert.match(second.code, /^[A-Z2-9]{4}$/)
    assert.notStrictEqual(second.code, first.code)
    await fake.approvePin(second.code)
    assert.isDefined(fake.pins().find((p) => p.id === second.id)?.authToken)
    assert.isUndefined(fake.pins().find((p) => p.id === first.id)?.authToken)
  })
})
