/**
 * The fake's stand-in for app.plex.tv's sign-in page (src/core/fake/approvalPage.ts),
 * driven with plain web `Request`s: the form, the approval, and what it refuses.
 */
import { assert, describe, it } from "vitest"
import { authUrl, authUrlParams } from "../../src/core/authUrl.js"
import { makeFakePlex } from "../../src/core/fake/index.js"

const CLIENT = "approval-page-test-client"

const seed = {
  accounts: [
    { username: "alice", title: "Alice Owner" },
    { username: "carol", title: "Carol <Friend>" },
    { username: "kids", managed: true }
  ]
}

const createPin = async (fake: ReturnType<typeof makeFakePlex>, client = CLIENT) => {
  const created = await fake.handler(
    new Request(`${fake.plexTvUrl}/api/v2/pins?strong=true`, {
      method: "POST",
      headers: {
        "X-Plex-Client-Identifier": client,
        "X-Plex-Product": "Test App",
        Accept: "application/json"
      }
    })
  )
  return (await created.json()) as { readonly id: number; readonly code: string }
}

const approve = (fake: ReturnType<typeof makeFakePlex>, fields: Record<string, string>) =>
  fake.handler(
    new Request(fake.authAppUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString()
    })
  )

describe("core fake: the app.plex.tv approval page", () => {
  it("is served on the fake's plex.tv origin at /auth: a form listing the seeded accounts, escaped", async () => {
    const fake = makeFakePlex(seed)
    assert.strictEqual(fake.authAppUrl, `${fake.plexTvUrl}/auth`)
    const page = await fake.handler(new Request(fake.authAppUrl))
    assert.strictEqual(page.status, 200)
    assert.include(page.headers.get("content-type") ?? "", "text/html")
    assert.strictEqual(page.headers.get("cache-control"), "no-store")
    const html = await page.text()
    assert.include(html, '<form id="approve" method="post" action="/auth">')
    assert.include(html, '<option value="alice" selected>Alice Owner (alice)</option>')
    assert.include(html, "Carol &lt;Friend&gt;")
    assert.notInclude(html, "<Friend>")
    assert.strictEqual(fake.requests()[0]?.route, "approvalPage")
  })

  it("approves the PIN as the chosen account and follows forwardUrl (303); the token stays out of the redirect", async () => {
    const fake = makeFakePlex(seed)
    const pin = await createPin(fake)
    // What an app sends the browser to: the page reads these from the fragment.
    const url = authUrl({
      clientIdentifier: CLIENT,
      code: pin.code,
      product: "Test App",
      forwardUrl: "http://127.0.0.1:1/callback?state=n",
      appUrl: fake.authAppUrl
    })
    const params = authUrlParams(url)
    const answer = await approve(fake, {
      clientID: params.get("clientID") ?? "",
      code: params.get("code") ?? "",
      forwardUrl: params.get("forwardUrl") ?? "",
      account: "carol"
    })
    assert.strictEqual(answer.status, 303)
    assert.strictEqual(answer.headers.get("location"), "http://127.0.0.1:1/callback?state=n")
    const approved = fake.pins().find((p) => p.id === pin.id)
    assert.strictEqual(approved?.accountId, fake.account("carol").id)
    assert.isTrue(fake.isTokenValid(approved?.authToken ?? ""))
    assert.notInclude(answer.headers.get("location") ?? "", approved?.authToken ?? "-")
    // Used once: a second approval is refused.
    const again = await approve(fake, { clientID: CLIENT, code: pin.code, account: "alice" })
    assert.strictEqual(again.status, 400)
    assert.strictEqual(fake.pins().find((p) => p.id === pin.id)?.accountId, fake.account("carol").id)
  })

  it("without a forwardUrl (or with a non-http one) it shows 'Approved' and redirects nowhere", async () => {
    const fake = makeFakePlex(seed)
    const pin = await createPin(fake)
    const answer = await approve(fake, {
      clientID: CLIENT,
      code: pin.code,
      forwardUrl: "javascript:alert(1)"
    })
    assert.strictEqual(answer.status, 200)
    assert.include(await answer.text(), 'id="approved"')
    assert.strictEqual(fake.pins()[0]?.accountId, fake.account("alice").id)
  })

  it("offers only accounts that can approve: not a managed Home user, which is refused when named", async () => {
    const fake = makeFakePlex({
      accounts: [{ username: "kids", managed: true }, ...seed.accounts.slice(0, 2)]
    })
    const html = await (await fake.handler(new Request(fake.authAppUrl))).text()
    // The first account that can approve is the one selected (the managed one is seeded first).
    assert.include(html, '<option value="alice" selected>')
    assert.notInclude(html, 'value="kids"')
    const pin = await createPin(fake)
    const kids = await approve(fake, { clientID: CLIENT, code: pin.code, account: "kids" })
    assert.strictEqual(kids.status, 400)
    assert.include(await kids.text(), "This account cannot approve sign-ins.")
    const nobody = await approve(fake, { clientID: CLIENT, code: pin.code, account: "nobody" })
    assert.strictEqual(nobody.status, 400)
    assert.include(await nobody.text(), "There is no account with this name.")
    // No account named: the first that can approve, as the form selects it.
    assert.strictEqual((await approve(fake, { clientID: CLIENT, code: pin.code })).status, 200)
    assert.strictEqual(fake.pins()[0]?.accountId, fake.account("alice").id)
  })

  it("with no account that can approve, offers none, and a form sent without one says so (not 'no account with this name')", async () => {
    const fake = makeFakePlex({ accounts: [{ username: "kids", managed: true }] })
    const html = await (await fake.handler(new Request(fake.authAppUrl))).text()
    assert.notInclude(html, "<option")
    const pin = await createPin(fake)
    const answer = await approve(fake, { clientID: CLIENT, code: pin.code, account: "" })
    assert.strictEqual(answer.status, 400)
    const text = await answer.text()
    assert.include(text, "No account here can approve sign-ins.")
    assert.notInclude(text, "There is no account with this name.")
    assert.isUndefined(fake.pins()[0]?.accountId)
  })

  it("refuses an unknown code, another client's PIN, an expired PIN, an unknown or managed account", async () => {
    let now = Date.UTC(2026, 1, 1)
    const fake = makeFakePlex({ ...seed, clock: { now: () => now, sleep: () => Promise.resolve() } })
    const pin = await createPin(fake)
    for (const fields of [
      { clientID: CLIENT, code: "no-such-code" },
      { clientID: "another-client", code: pin.code },
      { clientID: CLIENT, code: pin.code, account: "nobody" },
      { clientID: CLIENT, code: pin.code, account: "kids" }
    ]) {
      const answer = await approve(fake, fields)
      assert.strictEqual(answer.status, 400, JSON.stringify(fields))
      assert.include(await answer.text(), 'id="refused"')
    }
    now += 31 * 60_000
    assert.strictEqual((await approve(fake, { clientID: CLIENT, code: pin.code })).status, 400)
    assert.isUndefined(fake.pins()[0]?.authToken)
  })
})
