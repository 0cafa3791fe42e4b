/**
 * The identity the `plex-auth` CLI presents to Plex, on a runtime that is not Node (Bun, simulated by
 * its global `Bun`) where `os.hostname()` is refused (as Deno refuses it without `--allow-sys`): it
 * names the runtime and its own version, and loading the CLI does not throw. Before, it said `Node.js`
 * and `process.versions.node` (on Bun 1.4.5 and Deno 2.9.6, `26.3.0`: scripts/runtimes.mjs), and read
 * the host name as the module loaded. As test/bin/identity.test.ts for the Effect 3 edition.
 */
import type * as os from "node:os"
import { afterAll, assert, describe, it, vi } from "vitest"

const { refused } = vi.hoisted(() => {
  ;(globalThis as { Bun?: unknown }).Bun = { version: "1.4.5" }
  class NotCapable extends Error {
    override readonly name = "NotCapable"
  }
  return {
    refused: () => new NotCapable('Requires sys access to "hostname", run again with the --allow-sys flag')
  }
})

vi.mock("node:os", async (importOriginal) => {
  const original = await importOriginal<typeof os>()
  const hostname = (): string => {
    throw refused()
  }
  return { ...original, default: { ...original, hostname }, hostname }
})

// The modules this file loaded under its node:os mock stay in the worker's registry (isolate: false): dropped, so the
// files after it load their own (else they would read the refused host name).
afterAll(() => {
  vi.resetModules()
})

afterAll(() => {
  delete (globalThis as { Bun?: unknown }).Bun
})

describe("plex-auth's identity", () => {
  it("names the runtime (Bun 1.4.5), and loads where os.hostname() is refused", async () => {
    // Loaded anew: the worker's files share their modules (isolate: false), and this one reads the runtime as it loads.
    vi.resetModules()
    const { identity } = await import("../../src/bin/internal/session.js")
    assert.strictEqual(identity.platform, "Bun")
    assert.strictEqual(identity.platformVersion, "1.4.5")
    assert.strictEqual(identity.product, "plex-auth")
  })
})
