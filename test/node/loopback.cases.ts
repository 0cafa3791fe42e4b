/**
 * The Effect-free fake entries and the loopback server they share with both
 * editions' `FakePlexServer`, tested once and run by both suites: the Effect
 * 3 one on Node 20 (test/node/loopback.test.ts) and the Effect 4 one on Node
 * 22 (effect4/test/node/loopback.test.ts). Plain `node:assert`: the two
 * suites run different vitest versions, each passing its own `test`.
 */
import assert from "node:assert/strict"
import { once } from "node:events"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { createRequire } from "node:module"
import type * as Ts from "typescript"
import * as Core from "../../src/core/fake/index.js"
import * as Loopback from "../../src/core/node/loopback.js"
import { handlerFaults, makeHandler } from "../../src/fake/index.js"
import { serve } from "../../src/fake/node.js"
import { assertClosed, listeningSockets } from "./listening.js"

// TypeScript by `require`: an ESM import of its 9 MB CommonJS file first has Node scan it for its
// export names (about 0.6 CPU-s more, once per vitest worker; see scripts/check-docs.ts).
const ts = createRequire(import.meta.url)("typescript") as typeof Ts

const src = fileURLToPath(new URL("../../src/", import.meta.url))

/** Every module `entry` loads (relative imports followed), with the packages and built-ins it names. */
const moduleGraph = (entry: string) => {
  const files = new Set<string>()
  const external = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true)
    for (const { fileName: specifier } of importedFiles) {
      if (specifier.startsWith("."))
        visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, ".ts")))
      else external.add(specifier)
    }
  }
  visit(path.join(src, entry))
  return { files: [...files].map((file) => path.relative(src, file)), external: [...external] }
}

/** Resolves once `condition()` holds, checking at every turn of the event loop. */
const until = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve))
}

const get = (url: string, agent: http.Agent) =>
  new Promise<{
    readonly status: number
    readonly headers: http.IncomingHttpHeaders
    readonly body: string
    readonly socket: net.Socket
  }>((resolve, reject) => {
    const request = http.get(url, { agent, headers: { "X-Plex-Client-Identifier": "loopback-cases" } })
    request.once("response", (response) => {
      let body = ""
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => (body += chunk))
      response.once("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body,
          socket: request.socket!
        })
      )
    })
    request.once("error", reject)
  })

/** A request to `url` naming `host` in its `Host` header, as a page a DNS rebinding points at loopback sends it. */
const sendAs = (
  host: string,
  url: string,
  options: { readonly method?: string; readonly json?: unknown } = {}
) =>
  new Promise<{ readonly status: number; readonly body: string }>((resolve, reject) => {
    const body = options.json === undefined ? undefined : JSON.stringify(options.json)
    const request = http.request(url, {
      method: options.method ?? "GET",
      agent: false,
      headers: {
        host,
        "X-Plex-Client-Identifier": "loopback-cases",
        ...(options.method === undefined || options.method === "GET"
          ? {}
          : { "content-type": "application/json" })
      }
    })
    request.once("response", (response) => {
      let text = ""
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => (text += chunk))
      response.once("end", () => resolve({ status: response.statusCode ?? 0, body: text }))
    })
    request.once("error", reject)
    request.end(body)
  })

/**
 * The fake on loopback as `serve` starts it, with Node's timeouts for a request still arriving set to
 * `timeouts` (`serve` keeps Node's defaults).
 */
const serveWith = async (timeouts: Loopback.RequestTimeouts) => {
  const loopback = await Loopback.listen(Core.origins(), {
    maxRequestBodyBytes: Core.maxRequestBodyBytes,
    ...timeouts
  })
  const fake = Core.makeFakePlex({ rebase: (origin) => loopback.urls.get(origin) ?? origin })
  loopback.serve((request, { signal }) => fake.handler(request, { signal }))
  return { fake, close: loopback.close, urls: [...loopback.urls.values()] }
}

/** A port on 127.0.0.1 held open by another server until `release` is called. */
const holdPort = async (): Promise<{ readonly port: number; readonly release: () => Promise<void> }> => {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen({ port: 0, host: "127.0.0.1" }, () => resolve())
  })
  return {
    port: (server.address() as net.AddressInfo).port,
    release: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/**
 * `f` on a port that was free a moment ago (held, then let go). The kernel hands the same ports to every
 * process, so another one (a parallel test's connection) may take it in between: a port taken meanwhile is
 * tried again with a new one, up to 5 ports; any other failure, or a fifth taken port, fails the test.
 */
const onFreePort = async <A>(f: (port: number) => Promise<A>): Promise<A> => {
  for (let attempt = 1; ; attempt++) {
    const held = await holdPort()
    await held.release()
    try {
      return await f(held.port)
    } catch (error) {
      const taken = error instanceof Error && error.message === `127.0.0.1:${held.port} is already in use`
      if (!taken || attempt === 5) throw error
    }
  }
}

const closed = (socket: net.Socket) => (socket.closed ? Promise.resolve() : once(socket, "close"))

export const loopbackCases = (test: (name: string, f: () => Promise<void>) => void): void => {
  test("effect-plex-auth/fake loads no Effect and no Node built-in; /fake/node no Effect", async () => {
    const browser = moduleGraph("fake/index.ts")
    assert.deepEqual(browser.external, [])
    assert.ok(
      browser.files.every((file) => !file.includes(`core${path.sep}node`)),
      String(browser.files)
    )
    const node = moduleGraph("fake/node.ts")
    assert.ok(node.files.includes(path.join("core", "node", "loopback.ts")))
    assert.deepEqual(
      node.external.filter((name) => !name.startsWith("node:")),
      []
    )
  })

  test("serve: the control API answers only requests naming the fake's own address (Host), not a DNS-rebound page's", async () => {
    const server = await serve()
    try {
      const { port } = new URL(server.plexTvUrl)
      const user = (host: string) =>
        sendAs(host, `${server.plexTvUrl}/api/v2/user?X-Plex-Token=${server.fake.token}`)
      const fault = { target: "getTokenDetails", fault: { type: "status", status: 503 } }
      for (const host of [
        `evil.example:${port}`,
        "evil.example",
        `127.0.0.1:${Number(port) + 1}`,
        `localhost.evil.example:${port}`
      ]) {
        // Same origin as the fake for the page, whose name now resolves to 127.0.0.1: refused, nothing changed.
        const log = await sendAs(host, `${server.plexTvUrl}/__fake/requests`)
        assert.equal(log.status, 403, host)
        assert.match(log.body, /Host/)
        assert.equal(
          (await sendAs(host, `${server.plexTvUrl}/__fake/faults`, { method: "POST", json: fault })).status,
          403
        )
        assert.equal((await sendAs(host, `${server.clientsUrl}/__fake/requests`)).status, 403, host)
      }
      assert.equal((await user(`127.0.0.1:${port}`)).status, 200)
      // The fake's own address, or localhost with its port: answered.
      assert.equal(
        (
          await sendAs(`localhost:${port}`, `${server.plexTvUrl}/__fake/faults`, {
            method: "POST",
            json: fault
          })
        ).status,
        204
      )
      assert.equal((await user(`127.0.0.1:${port}`)).status, 503)
      assert.equal(
        (await sendAs(`127.0.0.1:${port}`, `${server.plexTvUrl}/__fake/faults`, { method: "DELETE" })).status,
        204
      )
      assert.equal((await user(`127.0.0.1:${port}`)).status, 200)
      assert.equal((await sendAs(`127.0.0.1:${port}`, `${server.plexTvUrl}/__fake/requests`)).status, 200)
    } finally {
      await server.close()
    }
  })

  test("serve: the fake on loopback without Effect, faults on the wire", async () => {
    const server = await serve({ accounts: [{}, { username: "bob" }] })
    try {
      assert.equal(server.urls.length, 5)
      const agent = new http.Agent({ keepAlive: false })
      const user = await get(`${server.plexTvUrl}/api/v2/user?X-Plex-Token=${server.fake.token}`, agent)
      assert.equal(user.status, 200)
      assert.match(user.body, /alice/)
      server.fake.fault("getTokenDetails", handlerFaults.reset, { times: 1 })
      await assert.rejects(get(`${server.plexTvUrl}/api/v2/user?X-Plex-Token=${server.fake.token}`, agent))
      assert.deepEqual(
        server.fake.requests().map((r) => [r.route, r.status ?? r.outcome]),
        [
          ["getTokenDetails", 200],
          ["getTokenDetails", "Reset"]
        ]
      )
      // A respond that throws or rejects is answered 500, as FakePlexServer answers a failed Fault.respond: it
      // dropped the connection, which the client took for a scripted reset.
      server.fake.fault(
        "getTokenDetails",
        handlerFaults.respond(() => {
          throw new Error("boom")
        }),
        { times: 1 }
      )
      server.fake.fault(
        "getTokenDetails",
        handlerFaults.respond(() => Promise.reject(new Error("refused"))),
        { times: 1 }
      )
      const threw = await get(`${server.plexTvUrl}/api/v2/user?X-Plex-Token=${server.fake.token}`, agent)
      const rejected = await get(`${server.plexTvUrl}/api/v2/user?X-Plex-Token=${server.fake.token}`, agent)
      assert.deepEqual(
        [threw.status, rejected.status, threw.body, rejected.body],
        [500, 500, "fake Plex failed: Error: boom", "fake Plex failed: Error: refused"]
      )
      assert.deepEqual(
        server.fake
          .requests()
          .map((r) => r.outcome)
          .slice(2),
        ["Failed", "Failed"]
      )
      // The same fake in memory, as makeHandler gives it.
      const inMemory = makeHandler()
      const response = await inMemory.handler(
        new Request(`${inMemory.plexTvUrl}/api/v2/user`, {
          headers: {
            "X-Plex-Token": inMemory.token,
            "X-Plex-Client-Identifier": "loopback-cases",
            Accept: "application/json"
          }
        })
      )
      assert.equal(((await response.json()) as { username: string }).username, "alice")
      // Its sign-in page, named as FakePlexServer's service names it, served there.
      assert.equal(server.authAppUrl, `${server.plexTvUrl}/auth`)
      assert.equal(server.authAppUrl, server.fake.authAppUrl)
      assert.equal((await get(server.authAppUrl, agent)).status, 200)
    } finally {
      await server.close()
    }
  })

  test("a path that starts with // is a path on the port's origin, answered as in memory (no dropped connection)", async () => {
    const server = await serve()
    const inMemory = makeHandler()
    try {
      const agent = new http.Agent({ keepAlive: false })
      for (const [base, memoryBase, path] of [
        [server.serverUrl, inMemory.serverUrl, "//identity"],
        [server.plexTvUrl, inMemory.plexTvUrl, "//api/v2/pins/1"]
      ] as const) {
        const expected = await inMemory.handler(
          new Request(`${memoryBase}${path}`, { headers: { "X-Plex-Client-Identifier": "loopback-cases" } })
        )
        // http.get sends the path as it is: `GET //identity`.
        const answered = await get(`${base}${path}`, agent)
        assert.equal(answered.status, expected.status)
        assert.equal(answered.status, 404)
      }
      assert.deepEqual(
        server.fake.requests().map((r) => [r.path, r.status]),
        [
          ["//identity", 404],
          ["//api/v2/pins/1", 404]
        ]
      )
    } finally {
      await server.close()
    }
  })

  test("a body past the cap: answered 413, the rest read and dropped, then a clean close (no reset)", async () => {
    const server = await serve()
    try {
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      // 8 times the cap (1 MiB): past it, but far below the 16 times the server drops at most after its answer.
      const total = 8 * 1024 * 1024
      const outcome = await new Promise<{ status: number; sent: number; error: string | undefined }>(
        (resolve) => {
          let status = 0
          let sent = 0
          let error: string | undefined
          const request = http.request(`${server.plexTvUrl}/api/v2/users/signin`, {
            method: "POST",
            agent: new http.Agent({ keepAlive: false }),
            headers: { "Content-Type": "application/octet-stream" }
          })
          request.once("response", (response) => {
            status = response.statusCode ?? 0
            response.resume()
          })
          request.once("socket", (socket) => {
            socket.on("error", (cause: NodeJS.ErrnoException) => (error ??= cause.code ?? cause.message))
            socket.once("close", () => resolve({ status, sent, error }))
          })
          request.on("error", () => {})
          // The whole body unless the client gives up: one that sends its body before it reads the answer.
          const next = () => {
            if (request.destroyed) return
            if (sent >= total) return void request.end()
            sent += chunk.length
            request.write(chunk, next)
          }
          next()
        }
      )
      // Node's server used to destroy the socket as soon as the 413 was out, with the client's bytes unread:
      // a reset, which can reach the client before the answer does (EPIPE instead of 413). Node's client
      // stops sending once it has a `Connection: close` answer: how much it sent is its own affair.
      assert.deepEqual({ status: outcome.status, error: outcome.error }, { status: 413, error: undefined })
      assert.ok(outcome.sent > 1024 * 1024, String(outcome.sent))
    } finally {
      await server.close()
    }
  })

  test("a client that keeps sending past its 413 is cut off after 16 times the cap", async () => {
    const server = await serve()
    try {
      const { hostname, port } = new URL(server.plexTvUrl)
      const socket = net.connect(Number(port), hostname)
      await once(socket, "connect")
      let received = ""
      socket.setEncoding("latin1")
      socket.on("data", (text: string) => (received += text))
      socket.on("error", () => {})
      // Chunked, so that nothing in the request says where it ends; up to 256 times the cap (1 MiB). What
      // the client hands to its socket before it sees the cut: what the server read (17 MiB) and what the
      // socket buffers hold (here up to 32 MiB received and 4 MiB sent: net.ipv4.tcp_rmem, tcp_wmem).
      socket.write(
        "POST /api/v2/users/signin HTTP/1.1\r\nHost: plex.tv\r\nTransfer-Encoding: chunked\r\n\r\n"
      )
      const chunk = Buffer.concat([
        Buffer.from("10000\r\n"),
        Buffer.alloc(0x10000, 0x61),
        Buffer.from("\r\n")
      ])
      let sent = 0
      const cutOff = await new Promise<boolean>((resolve) => {
        socket.once("close", () => resolve(true))
        const next = () => {
          if (socket.destroyed) return
          if (sent >= 256 * 1024 * 1024) return resolve(false)
          sent += 0x10000
          socket.write(chunk, next)
        }
        next()
      })
      socket.destroy()
      assert.ok(cutOff, `the server read all ${sent} bytes`)
      assert.ok(sent > 16 * 1024 * 1024, String(sent))
      // Whatever was read before the cut: the 413 (or nothing, when the reset came first), never another answer.
      assert.ok(received === "" || received.startsWith("HTTP/1.1 413"), received.slice(0, 80))
    } finally {
      await server.close()
    }
  })

  test("an idle keep-alive connection is the client's to close: the server has no keep-alive timeout", async () => {
    const server = await serve()
    const agent = new http.Agent({ keepAlive: true })
    try {
      const url = `${server.plexTvUrl}/api/v2/user?X-Plex-Token=${server.fake.token}`
      const first = await get(url, agent)
      assert.equal(first.status, 200)
      // Kept alive, with no `Keep-Alive: timeout=` hint: Node sends one (Node's default: `timeout=5`) exactly
      // when the server has a keep-alive timeout, after which it closes the idle connection, at the moment a
      // client may be reusing it (a reset). The client closes it on its own timer instead.
      assert.equal(first.headers.connection, "keep-alive")
      assert.equal(first.headers["keep-alive"], undefined)
      // The connection is reused.
      const second = await get(url, agent)
      assert.equal(second.status, 200)
      assert.equal(second.socket, first.socket)
    } finally {
      agent.destroy()
      await server.close()
    }
  })

  test("close() is prompt: idle keep-alive sockets, one that never sent a request, and a hanging request", async () => {
    // Without timing it: every timeout of the server that would end these sockets is far longer than this
    // test's own timeout (vitest's, 20 s). There is no keep-alive timeout (the case above); the socket that
    // never sends a request would be ended by the headers timeout, the hanging request by the request
    // timeout: both 10 minutes here. A close() that waited for any of them fails by timing out.
    const server = await serveWith({ headersTimeout: 600_000, requestTimeout: 600_000 })
    const plexTvUrl = server.fake.plexTvUrl
    const agent = new http.Agent({ keepAlive: true })
    // An answered request whose socket the client keeps alive (with no timeout of its own).
    const answered = await get(`${plexTvUrl}/api/v2/user?X-Plex-Token=${server.fake.token}`, agent)
    assert.equal(answered.status, 200)
    assert.ok(!answered.socket.destroyed)
    // A socket that never sends a request (fetch's pool opens such sockets ahead of use).
    const { port } = new URL(server.fake.clientsUrl)
    const silent = net.connect(Number(port), "127.0.0.1")
    await once(silent, "connect")
    // A request the fake never answers.
    server.fake.fault("getTokenDetails", handlerFaults.hang)
    const hanging = get(`${plexTvUrl}/api/v2/user?X-Plex-Token=${server.fake.token}`, agent).then(
      () => "answered",
      () => "failed"
    )
    await until(() => server.fake.requests().some((r) => r.outcome === "Pending"))
    const listening = listeningSockets(server.urls)

    await server.close()
    await Promise.all([closed(answered.socket), closed(silent)])
    assert.equal(await hanging, "failed")
    assert.equal(server.fake.requests().at(-1)?.outcome, "Interrupted")
    // The ports are closed: every one (test/node/listening.ts).
    await assertClosed(listening)
    agent.destroy()
  })

  test("a client that goes away ends its request, even one a respond fault never answers", async () => {
    // The fake's handler follows the loopback signal the disconnect aborts: before, it awaited the respond
    // fault's promise whatever the signal, so the request stayed in flight for the server's life (and close()
    // waited for it for ever).
    const loopback = await Loopback.listen(Core.origins(), { maxRequestBodyBytes: Core.maxRequestBodyBytes })
    try {
      const fake = Core.makeFakePlex({ rebase: (origin) => loopback.urls.get(origin) ?? origin })
      loopback.serve((request, { signal }) => fake.handler(request, { signal }))
      let respondCalled = false
      fake.fault(
        "getTokenDetails",
        handlerFaults.respond(() => {
          respondCalled = true
          return new Promise<Response>(() => {})
        }),
        { times: 1 }
      )
      const request = http.get(`${fake.plexTvUrl}/api/v2/user?X-Plex-Token=${fake.token}`, {
        agent: new http.Agent({ keepAlive: false }),
        headers: { "X-Plex-Client-Identifier": "loopback-cases" }
      })
      request.once("error", () => undefined)
      await until(() => respondCalled && loopback.activeRequests() === 1)
      request.destroy()
      await until(() => loopback.activeRequests() === 0)
      assert.deepEqual(
        fake.requests().map((r) => [r.route, r.fault, r.outcome]),
        [["getTokenDetails", "Respond", "Interrupted"]]
      )
    } finally {
      await loopback.close()
    }
  })

  test("serve({ port }): plex.tv on that port, every other origin on a free one", async () => {
    const { port, server } = await onFreePort(async (port) => ({ port, server: await serve({ port }) }))
    try {
      assert.equal(server.plexTvUrl, `http://127.0.0.1:${port}`)
      assert.equal(server.fake.plexTvUrl, server.plexTvUrl)
      assert.equal(new Set(server.urls).size, server.urls.length)
      const agent = new http.Agent()
      const user = await get(`http://127.0.0.1:${port}/api/v2/user?X-Plex-Token=${server.fake.token}`, agent)
      assert.equal(user.status, 200)
      agent.destroy()
    } finally {
      await server.close()
    }
  })

  test("serve({ port }): a port in use rejects naming it", async () => {
    const held = await holdPort()
    try {
      await assert.rejects(serve({ port: held.port }), {
        name: "Error",
        message: `127.0.0.1:${held.port} is already in use`
      })
    } finally {
      await held.release()
    }
  })

  test("serve({ port }): a port that is not a whole number from 0 to 65535 rejects with FakePlexError before any port is bound", async () => {
    // "0" and null too: Node would listen on a free port for them, as it would on "8080" for that string.
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [-1, "-1"],
      [1.5, "1.5"],
      [Number.NaN, "NaN"],
      [Number.POSITIVE_INFINITY, "Infinity"],
      [65_536, "65536"],
      [70_000, "70000"],
      ["8080", '"8080"'],
      ["0", '"0"'],
      [null, "null"]
    ]
    for (const [port, shown] of cases) {
      const outcome = await serve({ port: port as number }).then(
        async (server) => {
          await server.close()
          return "served"
        },
        (error: unknown) => error
      )
      assert.ok(outcome instanceof Core.FakePlexError, `${shown}: ${String(outcome)}`)
      assert.equal(outcome.name, "FakePlexError")
      assert.equal(outcome.message, `FakePlex: port must be a whole number from 0 to 65535, got ${shown}`)
    }
  })
}
