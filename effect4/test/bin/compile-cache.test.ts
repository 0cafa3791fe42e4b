/**
 * The Effect 4 edition's built CLI (scripts/build-cli.ts; built.ts) turns on Node's compile cache before it
 * loads its bundle: its bin is the Effect 3 edition's (scripts/cli-bin.ts binSource, whose cases
 * test/bin/compile-cache.test.ts tests with a stand-in bundle), the bundle beside it in internal/cli.js. Here
 * the real build runs on this Node (>= 22.19, which has the cache): the bundle's compiled code is written to
 * `<tmpdir>/node-compile-cache` and read back by the next run; where the folder cannot be made, or the cache
 * is turned off, the CLI runs as before, silent about it; a folder others can write, or a link, is not used.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { builtCli, builtCliTimeout } from "./built.js"

/** Spawning under load is slow: each run gets 45 seconds. */
const spawnTimeout = 45_000

let work = ""
let bin = ""
let version = ""

// The built CLI (built.ts: under `npm test`, the shared build's), its bin and the bundle beside it.
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "plex-auth4-compile-cache-"))
  bin = path.join(work, "bin", "plex-auth.js")
  await fs.cp(path.dirname(await builtCli(work)), path.dirname(bin), { recursive: true })
  await fs.writeFile(path.join(work, "a-file"), "")
  version = (
    JSON.parse(await fs.readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string
    }
  ).version
}, builtCliTimeout)

afterAll(() => (work === "" ? undefined : fs.rm(work, { recursive: true, force: true })))

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `plex-auth --version` on this Node with TMPDIR set, and no compile cache settings of the caller's. */
const start = (tmpdir: string, env: Readonly<Record<string, string>> = {}) =>
  new Promise<Ran>((resolve) => {
    execFile(
      process.execPath,
      [bin, "--version"],
      {
        timeout: spawnTimeout,
        env: {
          PATH: process.env["PATH"] ?? "",
          HOME: work,
          XDG_CONFIG_HOME: path.join(work, "xdg"),
          TMPDIR: tmpdir,
          ...env
        }
      },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : null,
          stdout,
          stderr
        })
    )
  })

/** The run printed the version and exited 0 (with nothing on stderr, unless `quiet` is false). */
const assertRan = (ran: Ran, what: string, quiet = true) => {
  assert.strictEqual(ran.code, 0, `${what}: exit ${ran.code}\n${ran.stderr}`)
  assert.strictEqual(ran.stdout.trim(), version, what)
  if (quiet) assert.strictEqual(ran.stderr, "", what)
}

/** The files in the folders of Node's cache under `tmpdir` (none when there is no cache). */
const cached = async (tmpdir: string): Promise<ReadonlyArray<string>> => {
  const top = path.join(tmpdir, "node-compile-cache")
  const folders = await fs.readdir(top).catch(() => [])
  const files = await Promise.all(folders.map((folder) => fs.readdir(path.join(top, folder))))
  return files.flat()
}

describe("plex-auth (Effect 4 edition, built) and Node's compile cache", { timeout: 120_000 }, () => {
  it("on, in <tmpdir>/node-compile-cache: the bundle's code is written, and the next run reads it", async () => {
    const tmp = path.join(work, "tmp")
    await fs.mkdir(tmp)
    assertRan(await start(tmp), "first run")
    assert.isAbove((await cached(tmp)).length, 0)
    // Node says what it did with the cache (to stderr) when asked: the bundle's cached code was used.
    const second = await start(tmp, { NODE_DEBUG_NATIVE: "COMPILE_CACHE" })
    assertRan(second, "second run", false)
    assert.match(second.stderr, /cache for file:\/\/\S*\/bin\/internal\/cli\.js was accepted/)
  })

  it("a cache folder that cannot be made, or the cache turned off: the CLI runs, silent about it", async () => {
    assertRan(await start(path.join(work, "a-file")), "TMPDIR a file")
    if (process.platform === "linux") assertRan(await start("/proc/self"), "TMPDIR /proc/self")
    const off = path.join(work, "off")
    await fs.mkdir(off)
    assertRan(await start(off, { NODE_DISABLE_COMPILE_CACHE: "1" }), "NODE_DISABLE_COMPILE_CACHE")
    assert.deepStrictEqual(await cached(off), [])
  })

  it("a cache folder others can write, or a link, is not used (Node runs the code cached there)", async () => {
    // As another user could make it first in a shared /tmp: world-writable.
    const open = path.join(work, "tmp-open")
    await fs.mkdir(path.join(open, "node-compile-cache"), { recursive: true })
    await fs.chmod(path.join(open, "node-compile-cache"), 0o777)
    assertRan(await start(open), "a world-writable folder")
    assert.deepStrictEqual(await cached(open), [])
    // A link to a folder elsewhere.
    const linked = path.join(work, "tmp-linked")
    await fs.mkdir(path.join(linked, "elsewhere"), { recursive: true })
    await fs.symlink(path.join(linked, "elsewhere"), path.join(linked, "node-compile-cache"))
    assertRan(await start(linked), "a link")
    assert.deepStrictEqual(await fs.readdir(path.join(linked, "elsewhere")), [])
  })
})
