import { rejects } from "node:assert/strict"
import { type Server, createServer } from "node:net"
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { assert, describe, it } from "vitest"
import { assertClosed, listeningSockets } from "./listening.js"
import { refusingPort } from "./refusingPort.js"

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => resolve(server))
  })

const portOf = (server: Server): number => {
  const address = server.address()
  return typeof address === "object" && address !== null ? address.port : 0
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()))

const hasProc = existsSync("/proc/net/tcp") && existsSync("/proc/self/fd")

describe("test/node/listening.ts", () => {
  it("a running server's ports are not closed; once it has closed, they are", async () => {
    const servers = await Promise.all([listen(0), listen(0)])
    const urls = servers.map((server) => `http://127.0.0.1:${portOf(server)}`)
    const listening = listeningSockets(urls)
    assert.deepStrictEqual(listening.ports, servers.map(portOf))
    if (hasProc) assert.lengthOf(listening.inodes ?? [], 2)
    await close(servers[0]!)
    await rejects(assertClosed(listening), new RegExp(`still \\w+ on port ${portOf(servers[1]!)}`))
    await close(servers[1]!)
    await assertClosed(listening)
    // Found through /proc, then /proc unreadable: not a pass by default (no socket read is none found listening).
    if (hasProc)
      await rejects(
        assertClosed(listening, () => undefined),
        /could not be read/
      )
  })

  it("a port no socket of this process listens on is refused", async () => {
    const port = await refusingPort()
    if (hasProc) assert.throws(() => listeningSockets([`http://127.0.0.1:${port}`]), `port ${port}`)
  })

  it.runIf(hasProc)(
    "a socket the server has closed that a child process still holds is closed: only this process's sockets count",
    async () => {
      // A child process being started holds a copy of every descriptor until its exec closes them; here a child
      // that keeps one for good (sent to it over IPC: the same socket, the same inode, listening in the child).
      const server = await listen(0)
      const listening = listeningSockets([`http://127.0.0.1:${portOf(server)}`])
      const child = spawn(
        process.execPath,
        ["-e", `process.on("message", (_, handle) => { globalThis.held = handle; process.send("held") })`],
        { stdio: ["ignore", "ignore", "ignore", "ipc"] }
      )
      try {
        const held = new Promise((resolve) => child.once("message", resolve))
        child.send("hold", server)
        await held
        await close(server)
        // Still listening in the machine's table (the child's copy), but not this process's: closed.
        const listeningNow = readFileSync("/proc/net/tcp", "utf8")
        assert.include(listeningNow, ` ${listening.inodes![0]} `)
        await assertClosed(listening)
      } finally {
        child.kill()
      }
    }
  )

  it.runIf(hasProc)(
    "a closed server's port another listener took at once is closed: the server's own socket is checked, not whoever has the port",
    async () => {
      // The port freed is taken again at once by another server, as another process or worker could take it.
      // Another one may take it first (a parallel test): then the case is tried again with a new port.
      for (let attempt = 0; ; attempt++) {
        const server = await listen(0)
        const port = portOf(server)
        const listening = listeningSockets([`http://127.0.0.1:${port}`])
        await close(server)
        const other = await listen(port).catch((error: NodeJS.ErrnoException) => {
          if (error.code === "EADDRINUSE" && attempt < 10) return undefined
          throw error
        })
        if (other === undefined) continue
        try {
          await assertClosed(listening)
          // Connecting to the port, as the tests did before (and still do without /proc), is answered by the
          // other server: it would say the closed server still listens.
          await rejects(assertClosed({ ports: listening.ports, inodes: undefined }), /still accepts/)
        } finally {
          await close(other)
        }
        return
      }
    }
  )
})
