/**
 * The Effect-free fake Plex (src/core/fake) driven with plain web `Request`s
 * and promises, as a plexjs or `fetch` user would: no Effect anywhere, time
 * from an injected clock.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import {
  ConnectionFailure,
  Fault,
  FakePlexError,
  makeFakePlex,
  type FakeClock
} from "../../src/core/fake/index.js"

const CLIENT = "core-fake-test-client"

const plexHeaders = (token?: string): Record<string, string> => ({
  "X-Plex-Client-Identifier": CLIENT,
  "X-Plex-Product": "Core fake test",
  Accept: "application/json",
  ...(token === undefined ? {} : { "X-Plex-Token": token })
})

const json = async (response: Response): Promise<any> => JSON.parse(await response.text())

/** A clock the test moves by hand; `sleep` resolves once the clock has moved past it (or rejects on abort). */
const manualClock = (start = Date.UTC(2026, 1, 1)) => {
  let now = start
  const sleepers = new Set<{ readonly at: number; readonly wake: () => void }>()
  const clock: FakeClock = {
    now: () => now,
    sleep: (millis, signal) =>
      new Promise<void>((resolve, reject) => {
        const sleeper = { at: now + millis, wake: resolve }
        sleepers.add(sleeper)
        signal.addEventListener(
          "abort",
          () => {
            sleepers.delete(sleeper)
            reject(signal.reason)
          },
          { once: true }
        )
      })
  }
  return {
    clock,
    sleeping: () => sleepers.size,
    advance: (millis: number) => {
      now += millis
      for (const sleeper of sleepers) {
        if (sleeper.at <= now) {
          sleepers.delete(sleeper)
          sleeper.wake()
        }
      }
    }
  }
}

/** Lets pending promise reactions run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

describe("core fake: plain Request → Response", () => {
  // A typo in a route name made a fault that never happened, silently; a bad origin threw a TypeError.
  it("a fault whose target selects nothing, or whose times is no count, is refused with FakePlexError", () => {
    const fake = makeFakePlex()
    const refused = (thunk: () => void) => {
      try {
        thunk()
      } catch (error) {
        return error
      }
      return undefined
    }
    for (const thunk of [
      () => fake.fault("getTokenDetail", Fault.hang),
      () => fake.fault({ route: "nope" }, Fault.hang),
      () => fake.fault({ origin: "not a url" }, Fault.hang),
      () => fake.fault({ path: "no-slash" }, Fault.hang),
      () => fake.fault(42 as never, Fault.hang),
      () => fake.fault("getTokenDetails", Fault.hang, { times: -1 }),
      () => fake.fault("getTokenDetails", Fault.hang, { times: Number.NaN }),
      // A fault applied to no request never happens.
      () => fake.fault("/api/v2/user", Fault.hang, { times: 0 }),
      // A route with a method, path or origin it never has selects no request.
      () => fake.fault({ route: "getTokenDetails", method: "POST" }, Fault.hang),
      () => fake.fault({ route: "getTokenDetails", path: "/api/v2/pins" }, Fault.hang),
      () => fake.fault({ route: "getTokenDetails", origin: fake.serverUrl }, Fault.hang),
      () => fake.fault({ route: "getServerIdentity", origin: fake.elsewhereUrl }, Fault.hang)
    ]) {
      assert.instanceOf(refused(thunk), FakePlexError)
    }
    for (const thunk of [
      () => fake.fault("getTokenDetails", Fault.hang, { times: 1 }),
      () => fake.fault("/api/v2/user", Fault.hang, { times: Number.POSITIVE_INFINITY }),
      () => fake.fault({ route: "getServerIdentity", origin: fake.serverUrl, method: "get" }, Fault.reset)
    ]) {
      assert.isUndefined(refused(thunk))
    }
  })

  // A parameter that is not well percent-encoded (`new URL` keeps `%ZZ` as written) made decodeURIComponent throw:
  // the handler rejected with a URIError, and fault() threw one for such a target rather than taking it.
  it("a path parameter not well percent-encoded names nothing: answered as unknown, and a fault can target it", async () => {
    const fake = makeFakePlex()
    const unknownPin = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins/%ZZ`, { headers: plexHeaders() })
    )
    assert.deepStrictEqual([unknownPin.status, fake.requests().at(-1)?.route], [404, "checkPin"])
    fake.fault({ route: "checkPin", path: "/api/v2/pins/%ZZ" }, Fault.status(503), { times: 1 })
    const faulted = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins/%ZZ`, { headers: plexHeaders() })
    )
    assert.strictEqual(faulted.status, 503)
  })

  it("signs in with a form, then the minted token reads the account", async () => {
    const fake = makeFakePlex()
    const signIn = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/users/signin`, {
        method: "POST",
        headers: { ...plexHeaders(), "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ login: fake.login, password: fake.password }).toString()
      })
    )
    assert.strictEqual(signIn.status, 201)
    const account = await json(signIn)
    assert.strictEqual(account.username, "alice")
    assert.isString(account.authToken)
    assert.notStrictEqual(account.authToken, fake.token)

    const user = await fake.handler(
      new Request("https://plex.tv/api/v2/user", { headers: plexHeaders(account.authToken) })
    )
    assert.strictEqual(user.status, 200)
    assert.strictEqual((await json(user)).email, fake.login)

    const wrong = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/users/signin`, {
        method: "POST",
        headers: { ...plexHeaders(), "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ login: fake.login, password: "not-it" }).toString()
      })
    )
    assert.strictEqual(wrong.status, 401)
    assert.strictEqual((await json(wrong)).errors[0].code, 1001)
  })

  it("answers XML when JSON is not asked for", async () => {
    const fake = makeFakePlex()
    const response = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/user`, {
        headers: { "X-Plex-Client-Identifier": CLIENT, "X-Plex-Token": fake.token }
      })
    )
    assert.strictEqual(response.status, 200)
    assert.match(response.headers.get("content-type") ?? "", /xml/)
    assert.match(await response.text(), /<user [^>]*username="alice"/)
  })

  it("PIN: create, check (no token), approve, check (the token)", async () => {
    const fake = makeFakePlex()
    const created = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins?strong=true`, { method: "POST", headers: plexHeaders() })
    )
    assert.strictEqual(created.status, 201)
    const pin = await json(created)
    assert.strictEqual(pin.code.length, 25)
    assert.strictEqual(pin.expiresIn, 1800)

    const check = () =>
      fake.handler(new Request(`${fake.plexTvUrl}/api/v2/pins/${pin.id}`, { headers: plexHeaders() }))
    assert.isNull((await json(await check())).authToken)

    const token = await fake.approvePin(pin.id)
    const approved = await json(await check())
    assert.strictEqual(approved.authToken, token)
    assert.isTrue(fake.isTokenValid(token))
    assert.deepStrictEqual(
      fake.pins().map((p) => [p.id, p.accountId, p.authToken]),
      [[pin.id, fake.accounts[0]?.id, token]]
    )
  })

  it("resources list the default server with its access token and connections", async () => {
    const fake = makeFakePlex()
    const response = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/resources?includeHttps=1&includeRelay=1`, {
        headers: plexHeaders(fake.token)
      })
    )
    assert.strictEqual(response.status, 200)
    const devices: Array<any> = await json(response)
    const server = devices.find((d) => d.clientIdentifier === fake.serverId)
    assert.strictEqual(server?.accessToken, fake.serverToken)
    assert.deepStrictEqual(
      server?.connections.map((c: any) => c.uri),
      fake.servers[0]?.urls
    )
    const identity = await fake.handler(
      new Request(`${fake.serverUrl}/identity`, { headers: { Accept: "application/json" } })
    )
    assert.strictEqual((await json(identity)).MediaContainer.machineIdentifier, fake.serverId)
  })

  it("an injected clock makes a PIN expire: 404 code 1020, and it can no longer be approved", async () => {
    const time = manualClock()
    const fake = makeFakePlex({ clock: time.clock, pinLifetimeMillis: { short: 60_000 } })
    const pin = await json(
      await fake.handler(
        new Request(`${fake.plexTvUrl}/api/v2/pins`, { method: "POST", headers: plexHeaders() })
      )
    )
    assert.strictEqual(pin.expiresIn, 60)
    assert.strictEqual(pin.createdAt, new Date(time.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z"))

    time.advance(59_000)
    const early = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins/${pin.id}`, { headers: plexHeaders() })
    )
    assert.strictEqual((await json(early)).expiresIn, 1)

    time.advance(1_000)
    const late = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/pins/${pin.id}`, { headers: plexHeaders() })
    )
    assert.strictEqual(late.status, 404)
    assert.strictEqual((await json(late)).errors[0].code, 1020)
    const refused = await fake.approvePin(pin.id).then(
      () => undefined,
      (error: unknown) => error
    )
    assert.instanceOf(refused, FakePlexError)
    assert.isTrue(fake.pins()[0]?.expired)
  })

  it("auto-approval follows the injected clock", async () => {
    const time = manualClock()
    const fake = makeFakePlex({ clock: time.clock, autoApprovePins: { afterMillis: 5_000 } })
    const pin = await json(
      await fake.handler(
        new Request(`${fake.plexTvUrl}/api/v2/pins`, { method: "POST", headers: plexHeaders() })
      )
    )
    const check = async () =>
      json(
        await fake.handler(new Request(`${fake.plexTvUrl}/api/v2/pins/${pin.id}`, { headers: plexHeaders() }))
      )
    assert.isNull((await check()).authToken)
    time.advance(5_000)
    assert.isString((await check()).authToken)
  })
})

describe("core fake: faults as data", () => {
  it("a scripted 429 with Retry-After, once; then the normal answer", async () => {
    const fake = makeFakePlex()
    fake.fault("getTokenDetails", Fault.status(429, { retryAfterMillis: 1_500 }), { times: 1 })
    const request = () => new Request(`${fake.plexTvUrl}/api/v2/user`, { headers: plexHeaders(fake.token) })
    const limited = await fake.handler(request())
    assert.strictEqual(limited.status, 429)
    assert.strictEqual(limited.headers.get("retry-after"), "2")
    assert.strictEqual((await json(limited)).errors[0].code, 1003)
    assert.strictEqual((await fake.handler(request())).status, 200)
    assert.deepStrictEqual(
      fake.requests().map((r) => [r.route, r.fault, r.status, r.outcome]),
      [
        ["getTokenDetails", "Status", 429, "Responded"],
        ["getTokenDetails", undefined, 200, "Responded"]
      ]
    )
  })

  it("a reset rejects like fetch (a TypeError whose cause has ECONNRESET); an unknown origin is refused", async () => {
    const fake = makeFakePlex()
    fake.fault({ origin: fake.serverUrl }, Fault.reset)
    const reset = await fake.handler(new Request(`${fake.serverUrl}/identity`)).then(
      () => undefined,
      (error: unknown) => error
    )
    assert.instanceOf(reset, TypeError)
    assert.instanceOf(reset, ConnectionFailure)
    assert.strictEqual(((reset as Error).cause as { code?: string }).code, "ECONNRESET")
    assert.strictEqual(fake.requests()[0]?.outcome, "Reset")

    const refused = await fake.handler(new Request("https://nowhere.example/")).then(
      () => undefined,
      (error: unknown) => error
    )
    assert.strictEqual((refused as ConnectionFailure).reason, "Refused")
  })

  it("a delay waits on the injected clock; aborting a hang ends it and records Interrupted", async () => {
    const time = manualClock()
    const fake = makeFakePlex({ clock: time.clock })
    fake.fault("ping", Fault.delay(10_000), { times: 1 })
    const answered: { response?: Response } = {}
    const pending = fake
      .handler(new Request(`${fake.plexTvUrl}/api/v2/ping`, { headers: plexHeaders(fake.token) }))
      .then((response) => {
        answered.response = response
      })
    await settle()
    assert.strictEqual(time.sleeping(), 1)
    time.advance(9_999)
    await settle()
    assert.strictEqual(answered.response, undefined, "answered before the delay was over")
    time.advance(1)
    await pending
    assert.strictEqual(answered.response?.status, 200)

    fake.fault("ping", Fault.hang)
    const controller = new AbortController()
    const hanging = fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/ping`, { headers: plexHeaders(fake.token) }),
      { signal: controller.signal }
    )
    await settle()
    assert.strictEqual(fake.requests()[1]?.outcome, "Pending")
    controller.abort(new Error("given up"))
    assert.strictEqual(fake.requests()[1]?.outcome, "Interrupted")
    const error = await hanging.then(
      () => undefined,
      (e: unknown) => e
    )
    assert.strictEqual((error as Error).message, "given up")
  })

  it("a Respond fault answers with the caller's own Response", async () => {
    const fake = makeFakePlex()
    fake.fault(
      "/api/v2/user",
      Fault.respond(() => new Response("teapot", { status: 418 }))
    )
    const response = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/user`, { headers: plexHeaders() })
    )
    assert.strictEqual(response.status, 418)
  })
})

describe("core fake: records, secrets and limits", () => {
  it("records secrets as Secrets: printing or serialising a record never shows them", async () => {
    const fake = makeFakePlex()
    await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/users/signin?X-Plex-Token=${fake.token}`, {
        method: "POST",
        headers: { ...plexHeaders(fake.token), "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ login: fake.login, password: fake.password }).toString()
      })
    )
    const [record] = fake.requests()
    const shown = `${JSON.stringify(fake.requests())} ${String(record?.headers["x-plex-token"])}`
    assert.notInclude(shown, fake.token)
    assert.notInclude(shown, fake.password)
    assert.include(shown, "<redacted>")
    const password = record?.form?.["password"]
    assert.strictEqual(typeof password === "object" ? password.reveal() : undefined, fake.password)
  })

  it("a body past the cap is answered 413 without being kept", async () => {
    const fake = makeFakePlex({ maxRequestBodyBytes: 1024 })
    const response = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/users/signin`, {
        method: "POST",
        headers: { ...plexHeaders(), "Content-Type": "application/x-www-form-urlencoded" },
        body: "x".repeat(4096)
      })
    )
    assert.strictEqual(response.status, 413)
    assert.isUndefined(fake.requests()[0]?.form)
  })

  it("imports nothing but itself and src/core: no Effect, no Node built-in", () => {
    const dir = path.resolve(import.meta.dirname, "../../src/core/fake")
    const imports = fs
      .readdirSync(dir)
      .flatMap((file) =>
        [...fs.readFileSync(path.join(dir, file), "utf8").matchAll(/\bfrom\s+"([^"]+)"/g)].map(
          (m) => m[1] ?? ""
        )
      )
    assert.isNotEmpty(imports)
    assert.deepStrictEqual(
      imports.filter(
        (specifier) => !/^\.\.?\/[\w./]+\.js$/.test(specifier) || specifier.startsWith("../../")
      ),
      []
    )
  })
})
