/**
 * The identity the `plex-auth` CLI presents to Plex, read when a session starts: on a runtime that is not Node
 * (Bun, simulated by its global `Bun`) where `os.hostname()` is refused (as Deno refuses it without
 * `--allow-sys`), it names the runtime and its own version and does not throw; on Node before 20.16 (no
 * `process.getBuiltinModule`, simulated) the host name is `os.hostname()`, not the environment's `HOSTNAME` or
 * `COMPUTERNAME` (on Windows the NetBIOS name, upper case and cut to 15 characters), which `runtimeDefaults`
 * falls back to there. Before, it said `Node.js` and `process.versions.node` (on Bun 1.4.5 and Deno 2.9.6,
 * `26.3.0`: scripts/runtimes.mjs), and read the host name as the module loaded. No module mock and no reload: the
 * worker's files share their modules (isolate: false); node:os's `hostname` is replaced for the test and every
 * module's `import * as os` synced to it (syncBuiltinESMExports), then put back. As
 * effect4/test/bin/identity.test.ts for the Effect 4 edition.
 */
import { syncBuiltinESMExports } from "node:module"
import nodeOs from "node:os"
import { assert, describe, it } from "vitest"
import { cliIdentity } from "../../src/bin/internal/session.js"

/** Runs `body` with node:os's `hostname` replaced by `hostname`, then puts it back. */
const withHostname = <A>(hostname: () => string, body: () => A): A => {
  const original = nodeOs.hostname
  nodeOs.hostname = hostname
  syncBuiltinESMExports()
  try {
    return body()
  } finally {
    nodeOs.hostname = original
    syncBuiltinESMExports()
  }
}

class NotCapable extends Error {
  override readonly name = "NotCapable"
}

describe("plex-auth's identity", () => {
  it("names the runtime (Bun 1.4.5), where os.hostname() is refused", () => {
    ;(globalThis as { Bun?: unknown }).Bun = { version: "1.4.5" }
    try {
      const identity = withHostname(
        () => {
          throw new NotCapable('Requires sys access to "hostname", run again with the --allow-sys flag')
        },
        () => cliIdentity()
      )
      assert.strictEqual(identity.platform, "Bun")
      assert.strictEqual(identity.platformVersion, "1.4.5")
      assert.strictEqual(identity.product, "plex-auth")
    } finally {
      delete (globalThis as { Bun?: unknown }).Bun
    }
  })

  it("on Node before 20.16: names the host by os.hostname(), not by the environment", () => {
    const saved = { getBuiltinModule: process.getBuiltinModule, HOSTNAME: process.env["HOSTNAME"] }
    Object.defineProperty(process, "getBuiltinModule", {
      value: undefined,
      configurable: true,
      writable: true
    })
    process.env["HOSTNAME"] = "env-host"
    try {
      const identity = withHostname(
        () => "os-host",
        () => cliIdentity()
      )
      assert.strictEqual(identity.platform, "Node.js")
      assert.strictEqual(identity.platformVersion, process.versions.node)
      assert.strictEqual(identity.deviceName, "os-host")
    } finally {
      Object.defineProperty(process, "getBuiltinModule", {
        value: saved.getBuiltinModule,
        configurable: true,
        writable: true
      })
      if (saved.HOSTNAME === undefined) delete process.env["HOSTNAME"]
      else process.env["HOSTNAME"] = saved.HOSTNAME
    }
  })
})
