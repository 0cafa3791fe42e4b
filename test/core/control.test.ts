/**
 * The fake's control API over HTTP (src/core/fake/control.ts), driven with plain web `Request`s as a program
 * run against `plex-auth fake-server` (curl, python) drives it: faults for the next N requests, clearing them,
 * revoking a token or a device, the request log without secrets.
 */
import { assert, describe, it } from "vitest"
import * as Jose from "../../src/core/jose.js"
import { makeFakePlex } from "../../src/core/fake/index.js"

const CLIENT = "control-test-client"

const plexHeaders = (token: string): Record<string, string> => ({
  "X-Plex-Client-Identifier": CLIENT,
  Accept: "application/json",
  "X-Plex-Token": token
})

const setup = () => {
  const fake = makeFakePlex()
  const user = (token = fake.token) =>
    fake.handler(new Request(`${fake.plexTvUrl}/api/v2/user`, { headers: plexHeaders(token) }))
  const control = (method: string, name: string, body?: unknown) =>
    fake.handler(
      new Request(`${fake.plexTvUrl}/__fake/${name}`, {
        method,
        // As a program sends it (curl -H, python's requests json=): what a page cannot send unasked.
        ...(method === "GET" ? {} : { headers: { "Content-Type": "application/json" } }),
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
      })
    )
  return { fake, user, control }
}

describe("the fake's control API (/__fake/ on plex.tv)", () => {
  it("POST /__fake/faults: a 429 with Retry-After for the next 2 requests of a route, then normal answers", async () => {
    const { control, user } = setup()
    const added = await control("POST", "faults", {
      target: "getTokenDetails",
      fault: { type: "status", status: 429, retryAfterMillis: 30_000 },
      times: 2
    })
    assert.strictEqual(added.status, 204)
    for (const _ of [1, 2]) {
      const limited = await user()
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers.get("retry-after"), "30")
    }
    assert.strictEqual((await user()).status, 200)
  })

  it("a delay then a 503 by path; a reset; DELETE /__fake/faults clears them", async () => {
    const { control, fake, user } = setup()
    assert.strictEqual(
      (
        await control("POST", "faults", {
          target: { path: "/api/v2/user", method: "GET" },
          // oxlint-disable-next-line unicorn/no-thenable -- the JSON a client sends: the fault after the wait
          fault: { type: "delay", millis: 0, then: { type: "status", status: 503 } }
        })
      ).status,
      204
    )
    assert.strictEqual((await user()).status, 503)
    assert.strictEqual((await user()).status, 503)
    assert.strictEqual((await control("DELETE", "faults")).status, 204)
    assert.strictEqual((await user()).status, 200)
    await control("POST", "faults", {
      target: { origin: fake.plexTvUrl },
      fault: { type: "reset" },
      times: 1
    })
    const reset = await user().then(
      () => undefined,
      (error: unknown) => error
    )
    assert.instanceOf(reset, TypeError)
    assert.strictEqual((await user()).status, 200)
  })

  it("control requests are neither faulted nor recorded: a fault on every plex.tv request can be cleared", async () => {
    const { control, fake, user } = setup()
    await control("POST", "faults", { target: { origin: fake.plexTvUrl }, fault: { type: "refuse" } })
    assert.strictEqual((await control("DELETE", "faults")).status, 204)
    assert.strictEqual((await user()).status, 200)
    assert.deepStrictEqual(
      fake.requests().map((r) => r.path),
      ["/api/v2/user"]
    )
  })

  it("a fault the fake refuses is a 400 naming what is wrong, and nothing is scripted", async () => {
    const { control, user } = setup()
    const cases: ReadonlyArray<readonly [unknown, RegExp]> = [
      [{ target: "getUsr", fault: { type: "hang" } }, /no route named "getUsr"/],
      [{ target: "getTokenDetails", fault: { type: "status", status: 200 } }, /error status \(400-599\)/],
      [{ target: "getTokenDetails", fault: { type: "respond" } }, /type must be one of/],
      [{ target: "getTokenDetails", fault: { type: "delay", millis: -1 } }, /finite, zero or more/],
      [{ target: "getTokenDetails", fault: { type: "hang", millis: 5 } }, /takes no fields, not millis/],
      [{ target: "getTokenDetails", fault: { type: "hang" }, times: 0 }, /times must be a count/],
      [{ fault: { type: "hang" } }, /needs a target/],
      // A key the target does not take (python's `{"name": ...}`, a typo) narrowed nothing: every request was faulted.
      [
        { target: { name: "getTokenDetails" }, fault: { type: "status", status: 503 } },
        /the target takes route, path, origin and method, not name/
      ],
      ["not json", /JSON object/]
    ]
    for (const [body, message] of cases) {
      const response = await control("POST", "faults", body)
      assert.strictEqual(response.status, 400, JSON.stringify(body))
      assert.match((await response.json()).error, message)
    }
    assert.strictEqual((await user()).status, 200)
  })

  it("POST /__fake/revoke a token: plex.tv refuses it after; the token is never echoed", async () => {
    const { control, fake, user } = setup()
    const response = await control("POST", "revoke", { token: fake.token })
    const text = await response.text()
    assert.strictEqual(response.status, 200)
    assert.deepStrictEqual(JSON.parse(text), { revoked: true })
    assert.strictEqual(response.headers.get("content-length"), String(text.length))
    assert.notInclude(text, fake.token)
    assert.strictEqual((await user()).status, 422)
    assert.deepStrictEqual(await (await control("POST", "revoke", { token: fake.token })).json(), {
      revoked: false
    })
    const bad = await (await control("POST", "revoke", { token: fake.token, extra: 1 })).text()
    assert.notInclude(bad, fake.token)
  })

  it("POST /__fake/revoke a device (by client identifier): every token handed to it is refused", async () => {
    const { control, fake, user } = setup()
    const signIn = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/users/signin`, {
        method: "POST",
        headers: {
          "X-Plex-Client-Identifier": CLIENT,
          Accept: "application/json",
          "Content-Type": "application/x-www-form-urlencoded"
        },
        body: new URLSearchParams({ login: fake.login, password: fake.password })
      })
    )
    assert.strictEqual(signIn.status, 201)
    const token: string = (await signIn.json()).authToken
    assert.strictEqual((await user(token)).status, 200)
    assert.deepStrictEqual(await (await control("POST", "revoke", { device: CLIENT })).json(), {
      revoked: true
    })
    assert.strictEqual((await user(token)).status, 422)
    // The seeded token was handed to no device of this client: still accepted.
    assert.strictEqual((await user()).status, 200)
    assert.deepStrictEqual(await (await control("POST", "revoke", { device: "nobody" })).json(), {
      revoked: false
    })
  })

  it("POST /__fake/revoke a device key (by kid): it is unregistered, as unregisterDeviceKey does", async () => {
    const { control, fake } = setup()
    const { x } = await Jose.generate()
    const jwk = { kty: "OKP", crv: "Ed25519", x, kid: "control-test-key", use: "sig", alg: "EdDSA" }
    const registered = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/auth/jwk`, {
        method: "POST",
        headers: { ...plexHeaders(fake.token), "Content-Type": "application/json" },
        body: JSON.stringify({ jwk })
      })
    )
    assert.strictEqual(registered.status, 204)
    assert.deepStrictEqual(
      fake.deviceKeys().map((k) => k.kid),
      ["control-test-key"]
    )
    assert.deepStrictEqual(
      await (await control("POST", "revoke", { deviceKey: "control-test-key" })).json(),
      {
        revoked: true
      }
    )
    assert.deepStrictEqual(fake.deviceKeys(), [])
    assert.deepStrictEqual(
      await (await control("POST", "revoke", { deviceKey: "control-test-key" })).json(),
      {
        revoked: false
      }
    )
    const both = await control("POST", "revoke", { deviceKey: "control-test-key", device: CLIENT })
    assert.strictEqual(both.status, 400)
  })

  it("GET /__fake/requests: the log as JSON with every secret redacted; DELETE forgets it", async () => {
    const { control, fake, user } = setup()
    await control("POST", "faults", {
      target: "getTokenDetails",
      fault: { type: "status", status: 500 },
      times: 1
    })
    await user()
    const response = await control("GET", "requests")
    const text = await response.text()
    assert.strictEqual(response.status, 200)
    assert.notInclude(text, fake.token)
    const log = JSON.parse(text)
    assert.strictEqual(log.length, 1)
    assert.deepInclude(log[0], { route: "getTokenDetails", method: "GET", fault: "Status", status: 500 })
    assert.strictEqual(log[0].headers["x-plex-token"], "<redacted>")
    assert.strictEqual((await control("DELETE", "requests")).status, 204)
    assert.deepStrictEqual(await (await control("GET", "requests")).json(), [])
  })

  it("a request that changes the fake without Content-Type: application/json (a page's form POST, text/plain fetch) is refused (415) and changes nothing", async () => {
    const { control, fake, user } = setup()
    const body = JSON.stringify({ target: "getTokenDetails", fault: { type: "status", status: 500 } })
    const send = (method: string, name: string, headers: Record<string, string>, text?: string) =>
      fake.handler(
        new Request(`${fake.plexTvUrl}/__fake/${name}`, {
          method,
          headers,
          ...(text === undefined ? {} : { body: text })
        })
      )
    // What a cross-origin page may send without a preflight: a form's POST (urlencoded, multipart), text/plain.
    for (const headers of [
      {},
      { "Content-Type": "text/plain;charset=UTF-8" },
      { "Content-Type": "application/x-www-form-urlencoded" },
      { "Content-Type": "multipart/form-data; boundary=x" },
      { "Content-Type": "application/jsonx" }
    ]) {
      const refused = await send("POST", "faults", headers, body)
      assert.strictEqual(refused.status, 415, JSON.stringify(headers))
      assert.include(((await refused.json()) as { error: string }).error, "Content-Type: application/json")
    }
    assert.strictEqual((await user()).status, 200)
    const revoked = await send(
      "POST",
      "revoke",
      { "Content-Type": "text/plain" },
      JSON.stringify({ token: fake.token })
    )
    assert.strictEqual(revoked.status, 415)
    assert.strictEqual((await user()).status, 200)
    // A DELETE without a body needs the type too: without it, neither the faults nor the log is cleared.
    assert.strictEqual(
      (await control("POST", "faults", { target: "getTokenDetails", fault: { type: "status", status: 503 } }))
        .status,
      204
    )
    assert.strictEqual((await send("DELETE", "faults", {})).status, 415)
    assert.strictEqual((await send("DELETE", "requests", { "Content-Type": "text/plain" })).status, 415)
    assert.strictEqual((await user()).status, 503)
    assert.lengthOf((await (await control("GET", "requests")).json()) as ReadonlyArray<unknown>, 3)
    // With it (parameters allowed, any case), as a program sends it.
    assert.strictEqual(
      (await send("DELETE", "faults", { "Content-Type": "Application/JSON; charset=utf-8" })).status,
      204
    )
    assert.strictEqual((await user()).status, 200)
    // Reading the log changes nothing: a GET needs no type.
    assert.strictEqual((await send("GET", "requests", {})).status, 200)
  })

  it("a Host that is not the fake's own address (a DNS-rebound page's) is refused (403) before anything else; none or its own is answered", async () => {
    const { fake, user } = setup()
    const send = (method: string, name: string, host: string | undefined) =>
      fake.handler(
        new Request(`${fake.plexTvUrl}/__fake/${name}`, {
          method,
          headers: {
            ...(host === undefined ? {} : { host }),
            ...(method === "GET" ? {} : { "Content-Type": "application/json" })
          },
          ...(method === "POST" ? { body: JSON.stringify({ token: fake.token }) } : {})
        })
      )
    const own = new URL(fake.plexTvUrl).host
    for (const host of [
      "evil.example",
      `evil.example:${new URL(fake.plexTvUrl).port || 443}`,
      "localhost",
      `${own}.evil.example`,
      `user@${own}`,
      `${own}/x`,
      "[bad"
    ]) {
      const log = await send("GET", "requests", host)
      assert.strictEqual(log.status, 403, host)
      assert.include(((await log.json()) as { error: string }).error, `Host header (${own})`)
      assert.strictEqual((await send("POST", "revoke", host)).status, 403, host)
      // Even for an endpoint that does not exist: nothing about the API is told.
      assert.strictEqual((await send("GET", "nothing", host)).status, 403, host)
    }
    assert.strictEqual((await user()).status, 200)
    // Its own host (any case, the scheme's default port spelled out), or no Host (a request in memory): answered.
    for (const host of [own, own.toUpperCase(), `${own}:443`, undefined]) {
      assert.strictEqual((await send("GET", "requests", host)).status, 200, host)
    }
    assert.strictEqual((await send("POST", "revoke", own)).status, 200)
    assert.strictEqual((await user()).status, 422) // plex.tv's refusal of a revoked token
  })

  it("an unknown endpoint is a 404, a wrong method a 405; on clients.plex.tv too, not on a server's origin", async () => {
    const { control, fake } = setup()
    assert.strictEqual((await control("GET", "nothing")).status, 404)
    const wrong = await control("PUT", "faults")
    assert.strictEqual(wrong.status, 405)
    assert.strictEqual(wrong.headers.get("allow"), "POST, DELETE")
    // A server's origin is the server's: the path is an unknown one there, answered and recorded as such.
    const onServer = await fake.handler(new Request(`${fake.serverUrl}/__fake/requests`))
    assert.strictEqual(onServer.status, 404)
    assert.deepStrictEqual(
      fake.requests().map((r) => [r.host, r.path]),
      [["server", "/__fake/requests"]]
    )
    // clients.plex.tv is plex.tv's API on another origin: it answers there too.
    assert.strictEqual((await fake.handler(new Request(`${fake.clientsUrl}/__fake/requests`))).status, 200)
  })
})
