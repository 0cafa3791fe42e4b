/**
 * The Effect 4 edition's built CLI (scripts/build-cli.ts; built.ts) turns on Node's compile cache before it
 * loads its bundle: its bin is the Effect 3 edition's, scripts/cli-bin.ts binSource, byte for byte (checked
 * here), whose every case test/bin/compile-cache.test.ts tests on Node 22 (tools/node22) with a stand-in
 * bundle: a cache folder that cannot be made (TMPDIR a file, or /proc/self) or the cache turned off
 * (NODE_DISABLE_COMPILE_CACHE): the CLI runs, silent about it; a folder others can write, or a link: not
 * used; the folder the bin makes: private. What depends on the bundle is tested here, with the real build, on
 * this Node (>= 22.19, which has the cache): the bundle's compiled code is written to
 * `<tmpdir>/node-compile-cache` and read back by the next run.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { binSource } from "../../../scripts/cli-bin.js"
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
  it("the bin is binSource, whose cases test/bin/compile-cache.test.ts tests", async () => {
    assert.strictEqual(await fs.readFile(bin, "utf8"), binSource)
  })

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
})
