/**
 * The Effect 4 edition of test/testing/FakePlex.handler.test.ts. `FakePlex.makeHandler`: the fake as a plain web handler from the public
 * testing entry, used the way a test without Effect would (promises and web
 * `Request`s only).
 */
import { assert, describe, it } from "vitest"
import { FakePlex } from "effect4-plex-auth/testing"

const headers = (token?: string): Record<string, string> => ({
  "X-Plex-Client-Identifier": "handler-test-client",
  Accept: "application/json",
  ...(token === undefined ? {} : { "X-Plex-Token": token })
})

describe("FakePlex.makeHandler", () => {
  it("answers the seeded account's token with its account, as the Effect kit's fake does", async () => {
    const fake = FakePlex.makeHandler({ accounts: [{ username: "carol", token: "carolToken0000000001" }] })
    assert.strictEqual(fake.token, "carolToken0000000001")
    const response = await fake.handler(
      new Request(`${FakePlex.defaults.plexTvUrl}/api/v2/user`, { headers: headers(fake.token) })
    )
    assert.strictEqual(response.status, 200)
    assert.strictEqual(((await response.json()) as { username: string }).username, "carol")
  })

  it("scripted faults are plain data; a refusal rejects with a TypeError as fetch does", async () => {
    const fake = FakePlex.makeHandler()
    fake.fault("ping", FakePlex.handlerFaults.refuse, { times: 1 })
    const request = () => new Request(`${fake.plexTvUrl}/api/v2/ping`, { headers: headers(fake.token) })
    const error = await fake.handler(request()).then(
      () => undefined,
      (e: unknown) => e
    )
    assert.instanceOf(error, TypeError)
    assert.instanceOf(error, FakePlex.HandlerConnectionFailure)
    assert.strictEqual(((error as Error).cause as { code?: string }).code, "ECONNREFUSED")
    assert.strictEqual((await fake.handler(request())).status, 200)
    assert.deepStrictEqual(
      fake.requests().map((r) => [r.route, r.outcome]),
      [
        ["ping", "Refused"],
        ["ping", "Responded"]
      ]
    )
  })

  it("records hide the token: it prints as <redacted>, reveal() gives it", async () => {
    const fake = FakePlex.makeHandler()
    await fake.handler(new Request(`${fake.plexTvUrl}/api/v2/user`, { headers: headers(fake.token) }))
    const recorded = fake.requests()[0]?.headers["x-plex-token"]
    assert.notInclude(JSON.stringify(fake.requests()), fake.token)
    assert.strictEqual(String(recorded), "<redacted>")
    const secret: FakePlex.HandlerSecret | undefined = typeof recorded === "object" ? recorded : undefined
    assert.strictEqual(secret?.reveal(), fake.token)
  })
})
