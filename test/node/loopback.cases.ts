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
import ts from "typescript"
import { handlerFaults, makeHandler } from "../../src/fake/index.js"
import { serve } from "../../src/fake/node.js"

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
  new Promise<{ readonly status: number; readonly body: string; readonly socket: net.Socket }>(
    (resolve, reject) => {
      const request = http.get(url, { agent, headers: { "X-Plex-Client-Identifier": "loopback-cases" } })
      request.once("response", (response) => {
        let body = ""
        response.setEncoding("utf8")
        response.on("data", (chunk: string) => (body += chunk))
        response.once("end", () =>
          resolve({ status: response.statusCode ?? 0, body, socket: request.socket! })
        )
      })
      request.once("error", reject)
    }
  )

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
    } finally {
      await server.close()
    }
  })

  test("close() is prompt: idle keep-alive sockets, one that never sent a request, and a hanging request", async () => {
    const server = await serve()
    const agent = new http.Agent({ keepAlive: true })
    // An answered request whose socket the client keeps alive (Node's keep-alive timeout is 5 s).
    const answered = await get(`${server.plexTvUrl}/api/v2/user?X-Plex-Token=${server.fake.token}`, agent)
    assert.equal(answered.status, 200)
    assert.ok(!answered.socket.destroyed)
    // A socket that never sends a request (fetch's pool opens such sockets ahead of use).
    const { port } = new URL(server.clientsUrl)
    const silent = net.connect(Number(port), "127.0.0.1")
    await once(silent, "connect")
    // A request the fake never answers.
    server.fake.fault("getTokenDetails", handlerFaults.hang)
    const hanging = get(`${server.plexTvUrl}/api/v2/user?X-Plex-Token=${server.fake.token}`, agent).then(
      () => "answered",
      () => "failed"
    )
    await until(() => server.fake.requests().some((r) => r.outcome === "Pending"))

    const started = performance.now()
    await server.close()
    const elapsed = performance.now() - started
    await Promise.all([closed(answered.socket), closed(silent)])
    assert.equal(await hanging, "failed")
    assert.equal(server.fake.requests().at(-1)?.outcome, "Interrupted")
    // Far below the keep-alive timeout (5 s) and the header timeout a silent socket would otherwise wait for.
    assert.ok(elapsed < 2500, `close() took ${elapsed.toFixed(0)} ms`)
    // The ports are closed.
    await assert.rejects(get(`${server.plexTvUrl}/api/v2/user`, new http.Agent()), { code: "ECONNREFUSED" })
    agent.destroy()
  })
}
