import { rejects } from "node:assert/strict"
import { type Server, createServer } from "node:net"
import { existsSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
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
