/**
 * The identity the `plex-auth` CLI presents to Plex on Node before 20.16 (no `process.getBuiltinModule`,
 * simulated): its host name is `os.hostname()`, as it was before the CLI took its platform from
 * `runtimeDefaults`, not the environment's `HOSTNAME` or `COMPUTERNAME` (on Windows the NetBIOS name, upper
 * case and cut to 15 characters), which `runtimeDefaults` falls back to there. As
 * test/bin/identity.node.test.ts for the Effect 3 edition.
 */
import type * as os from "node:os"
import { afterAll, assert, describe, it, vi } from "vitest"

vi.mock("node:os", async (importOriginal) => {
  const original = await importOriginal<typeof os>()
  const hostname = (): string => "os-host"
  return { ...original, default: { ...original, hostname }, hostname }
})

// The modules this file loaded under its node:os mock stay in the worker's registry (isolate: false): dropped, so the
// files after it load their own (else they would read the refused host name).
afterAll(() => {
  vi.resetModules()
})

describe("plex-auth's identity on Node before 20.16", () => {
  it("names the host by os.hostname(), not by the environment", async () => {
    const saved = { getBuiltinModule: process.getBuiltinModule, HOSTNAME: process.env["HOSTNAME"] }
    Object.defineProperty(process, "getBuiltinModule", {
      value: undefined,
      configurable: true,
      writable: true
    })
    process.env["HOSTNAME"] = "env-host"
    try {
      // Loaded anew: the worker's files share their modules (isolate: false), and this one reads the runtime as it loads.
      vi.resetModules()
      const { identity } = await import("../../src/bin/internal/session.js")
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
