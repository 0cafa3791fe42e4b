import { createServer } from "node:net"
import { assert, describe, it } from "vitest"
import { ephemeralLow, refusingPort } from "./refusingPort.js"

describe("test/node/refusingPort.ts", () => {
  it("a port below the ephemeral range, refused, and never one listen(0) was given", async () => {
    const port = await refusingPort()
    assert.isAbove(port, 0)
    assert.isBelow(port, ephemeralLow())
    // The ports the kernel hands out, as a parallel test's server gets them: none is below the range.
    const servers = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
            const server = createServer()
            server.once("error", reject)
            server.listen(0, "127.0.0.1", () => resolve(server))
          })
      )
    )
    try {
      for (const server of servers) {
        const address = server.address()
        assert.isAtLeast(typeof address === "object" && address !== null ? address.port : 0, ephemeralLow())
      }
    } finally {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
    }
    const error = await fetch(`http://127.0.0.1:${port}/`).then(
      () => undefined,
      (error: unknown) => error as { readonly cause?: { readonly code?: string } }
    )
    // Refused by the kernel (fetch connected), not by fetch's list of ports it never connects to.
    assert.strictEqual(error?.cause?.code, "ECONNREFUSED")
  })
})
