/**
 * scripts/node22.mjs's `findNode22`: the Node >= 22.19 that the Effect 4 suite, npm test's static checks
 * (scripts/test.mjs), the docs' CLI blocks (test/bin/docs.test.ts) and the consumers' type check
 * (test/support/consumer.ts) start, or undefined where there is none, so that each of them but the Effect 4
 * suite falls back to this Node rather than starting a binary that is not there (prepare.mjs installs it only
 * on linux-x64, after `npm ci`).
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { bundledNode, findNode22, systemNodeIsEnough } from "../scripts/node22.mjs"

describe("scripts/node22.mjs findNode22", () => {
  it("is undefined when the system Node is older and the bundled Node is missing", () => {
    const missing = path.join(os.tmpdir(), "effect-plex-auth-no-such-dir", "bin", "node")
    assert.strictEqual(findNode22(missing), systemNodeIsEnough() ? process.execPath : undefined)
  })

  it("is the bundled Node when the system Node is older and the bundled one is there", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "effect-plex-auth node22 "))
    try {
      const node = path.join(dir, "node")
      await fs.writeFile(node, "")
      assert.strictEqual(findNode22(node), systemNodeIsEnough() ? process.execPath : node)
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  })

  it("defaults to the binary scripts/prepare.mjs installs", () => {
    assert.strictEqual(findNode22(), findNode22(bundledNode))
  })
})
