/**
 * The text of the `plex-auth` bin of both editions, dist/bin/plex-auth.js, which imports the CLI's bundle
 * beside it (internal/cli.js): written by scripts/build-cli.ts (Effect 3, re-exported by cli-bundle.ts) and by
 * effect4/scripts/build-cli.ts (Effect 4). Nothing else here: the Effect 4 build (and the copy of the project
 * test/support/build.ts builds it in) needs only this file of scripts/.
 */

/**
 * The `bin`. On Node >= 22.1 it first
 * turns on Node's compile cache (`module.enableCompileCache`, as TypeScript's tsc does), so that a run after the
 * first starts from the bundle's cached compiled code: `plex-auth --help` on Node 22.23 took about 0.1 s (15%) less
 * CPU and 0.1 to 0.3 s less time (4 × 10 runs, interleaved with the bin without it, 2026-12-06); the Effect 4
 * edition's about 0.05 s (17%) less CPU (4 × 10 runs, the same day). The cache is Node's
 * default folder, `<os.tmpdir()>/node-compile-cache`; NODE_COMPILE_CACHE
 * and NODE_DISABLE_COMPILE_CACHE keep their meaning (Node reads them first). The bundle is imported afterwards
 * (`await import`: a static import would run first). The cache never stands in the way: on Node 20 there is no
 * such function; a folder that cannot be made or written is skipped without a word (Node reports it in the value
 * it returns, which is not read); and the folder is made here first, alone (not with its parents), because Node's
 * own recursive creation never returns for a path under /proc (TMPDIR=/proc/self: seen on Node 22.23). The
 * folder is made private (0700), and one that is not (a link, another user's, or writable by group or others, as
 * anyone can make it first in a shared /tmp) is not used: Node runs the code cached there, which whoever can
 * write the folder could replace (not checked on Windows, whose temporary folder is the user's own).
 */
export const binSource = `#!/usr/bin/env node
import * as fs from "node:fs"
import * as Module from "node:module"
import * as os from "node:os"
import * as path from "node:path"
if (typeof Module.enableCompileCache === "function") {
  try {
    const dir = path.join(os.tmpdir(), "node-compile-cache")
    try {
      fs.mkdirSync(dir, { mode: 0o700 })
    } catch (error) {
      if (error?.code !== "EEXIST") throw error
    }
    // Compiled code is run from there: only a folder of this user's that no one else can write (not a link).
    const stat = fs.lstatSync(dir)
    if (
      stat.isDirectory() &&
      (process.platform === "win32" || (stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0))
    ) {
      Module.enableCompileCache(dir)
    }
  } catch {}
}
await import("./internal/cli.js")
`
