/**
 * The built `bin` (scripts/cli-bin.ts `binSource`, what scripts/build-cli.ts writes as
 * dist/bin/plex-auth.js) turns on Node's compile cache before it imports the bundle beside it, on a Node that
 * has one (>= 22.1: the bundled Node 22 of tools/node22), and never stands in the way: not on Node 20 (the
 * system Node, which has none), not when the cache folder cannot be made (TMPDIR a file, or under /proc, where
 * Node's own recursive creation never returns), not when it is turned off (NODE_DISABLE_COMPILE_CACHE); a folder
 * others can write, or a link, is not used (Node runs the code cached there). Each
 * case starts the bin in a Node process (that is what is tested), with a stand-in for the bundle that says it ran
 * and where the cache is: no bundle is built.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { binSource } from "../../scripts/cli-bin.js"
import { bundledNode } from "../../scripts/node22.mjs"

let dir = ""
let bin = ""

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "plex-auth-compile-cache-"))
  bin = path.join(dir, "bin", "plex-auth.js")
  await fs.mkdir(path.join(dir, "bin", "internal"), { recursive: true })
  await fs.writeFile(bin, binSource)
  await fs.writeFile(
    path.join(dir, "bin", "internal", "cli.js"),
    'import * as Module from "node:module"\nconsole.log(JSON.stringify({ ran: true, cache: Module.getCompileCacheDir?.() ?? null }))\n'
  )
  await fs.writeFile(path.join(dir, "a-file"), "")
})
afterAll(() => (dir === "" ? undefined : fs.rm(dir, { recursive: true, force: true })))

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the bin with `node`, TMPDIR set, and no NODE_COMPILE_CACHE of the caller's. */
const start = (node: string, tmpdir: string, env: Readonly<Record<string, string>> = {}) =>
  new Promise<Ran>((resolve) => {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !name.startsWith("NODE_COMPILE_CACHE") && name !== "NODE_DISABLE_COMPILE_CACHE"
      )
    )
    execFile(
      node,
      [bin],
      { env: { ...inherited, TMPDIR: tmpdir, ...env }, timeout: 20_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : null,
          stdout,
          stderr
        })
    )
  })

/** The run ended well, printed nothing of its own, and the bundle ran: where its compile cache is (or null). */
const cacheOf = (ran: Ran, what: string): string | null => {
  assert.strictEqual(ran.code, 0, `${what}: exit ${ran.code}\n${ran.stderr}`)
  assert.strictEqual(ran.stderr, "", what)
  const said = JSON.parse(ran.stdout) as { ran: boolean; cache: string | null }
  assert.isTrue(said.ran, what)
  return said.cache
}

describe("plex-auth's bin and Node's compile cache", { timeout: 60_000 }, () => {
  it("Node 22: on, in <tmpdir>/node-compile-cache, before the bundle is imported; the next run uses it", async () => {
    const tmp = path.join(dir, "tmp")
    await fs.mkdir(tmp)
    const first = cacheOf(await start(bundledNode, tmp), "first run")
    // Node's folder for its version and build, inside the default one.
    assert.strictEqual(path.dirname(first ?? ""), path.join(tmp, "node-compile-cache"))
    // The bundle's compiled code was written there.
    assert.isAbove((await fs.readdir(first!)).length, 0)
    assert.strictEqual(cacheOf(await start(bundledNode, tmp), "second run"), first)
  })

  it("Node 22: a cache folder that cannot be made, or the cache turned off: the CLI runs, silent about it", async () => {
    assert.isNull(cacheOf(await start(bundledNode, path.join(dir, "a-file")), "TMPDIR a file"))
    if (process.platform === "linux") {
      assert.isNull(cacheOf(await start(bundledNode, "/proc/self"), "TMPDIR /proc/self"))
    }
    const off = path.join(dir, "off")
    await fs.mkdir(off)
    assert.isNull(
      cacheOf(
        await start(bundledNode, off, { NODE_DISABLE_COMPILE_CACHE: "1" }),
        "NODE_DISABLE_COMPILE_CACHE"
      )
    )
  })

  it("Node 22: a cache folder others can write, or a link, is not used (Node runs the code cached there)", async () => {
    // As another user could make it first in a shared /tmp: world-writable.
    const open = path.join(dir, "tmp-open")
    await fs.mkdir(path.join(open, "node-compile-cache"), { recursive: true })
    await fs.chmod(path.join(open, "node-compile-cache"), 0o777)
    assert.isNull(cacheOf(await start(bundledNode, open), "a world-writable folder"))
    assert.deepStrictEqual(await fs.readdir(path.join(open, "node-compile-cache")), [])
    // A link to a folder elsewhere.
    const linked = path.join(dir, "tmp-linked")
    await fs.mkdir(path.join(linked, "elsewhere"), { recursive: true })
    await fs.symlink(path.join(linked, "elsewhere"), path.join(linked, "node-compile-cache"))
    assert.isNull(cacheOf(await start(bundledNode, linked), "a link"))
    assert.deepStrictEqual(await fs.readdir(path.join(linked, "elsewhere")), [])
    // The folder the bin makes is private.
    const made = path.join(dir, "tmp-made")
    await fs.mkdir(made)
    assert.isNotNull(cacheOf(await start(bundledNode, made), "a folder the bin makes"))
    assert.strictEqual((await fs.stat(path.join(made, "node-compile-cache"))).mode & 0o777, 0o700)
  })

  it("the Node running the tests (20 in this repository, which has no compile cache function): the CLI runs", async () => {
    const tmp = path.join(dir, "tmp-current")
    await fs.mkdir(tmp)
    const cache = cacheOf(await start(process.execPath, tmp), `Node ${process.versions.node}`)
    if (!("enableCompileCache" in (await import("node:module")))) assert.isNull(cache)
  })
})
