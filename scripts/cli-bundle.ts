/**
 * How the `plex-auth` CLI is bundled: the esbuild options shared by the build
 * (scripts/build-cli.ts) and by the CLI's tests (test/bin/run.ts), so that the
 * tests run what ships.
 *
 * Everything the CLI runs is bundled: the library code it uses, @effect/cli,
 * @effect/platform-node and their dependencies (devDependencies of this
 * package), and `effect` and `@effect/platform` too. Those two are the
 * library's peer dependencies, with ranges (^3.22.0, ^0.97.0) wider than what
 * @effect/cli 0.77 and @effect/platform-node 0.108 declare (^3.22.2,
 * ^0.97.2): left as imports, the CLI would run on whatever copies the user
 * has, versions it was never tested with (older patches, or later 3.x
 * minors). Bundled, it runs on exactly the versions this repository pins and
 * tests, and the peer ranges stay those of the library. The bundle imports
 * nothing but Node built-ins (the build checks it).
 *
 * The package's version is written into the bundle (esbuild `define`, read by
 * src/bin/internal/version.ts): the bundle reads no file to know it.
 */
import * as fs from "node:fs/promises"
import { isBuiltin } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { BuildOptions, Metafile } from "esbuild"

const root = fileURLToPath(new URL("..", import.meta.url))

/** The CLI's entry point. */
export const entry = path.join(root, "src", "bin", "plex-auth.ts")

/** The version in this repository's package.json. */
export const packageVersion = async (): Promise<string> => {
  const pkg = JSON.parse(await fs.readFile(path.join(root, "package.json"), "utf8")) as { version?: unknown }
  if (typeof pkg.version !== "string") throw new Error("package.json has no version")
  return pkg.version
}

/** The esbuild options of the CLI bundle written to `outfile`, with `version` written in. */
export const bundleOptions = (outfile: string, version: string): BuildOptions => ({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  define: { __PLEX_AUTH_VERSION__: JSON.stringify(version) },
  // Minified, the bundle with effect in it (about 565 kB) stays near the size of the unminified one
  // without effect (about 465 kB); keepNames keeps the names of functions and classes that errors show.
  minify: true,
  keepNames: true,
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
  // Bundled CommonJS dependencies call require() (of Node built-ins): give the ES module one.
  banner: {
    js: "import { createRequire as __plexAuthCreateRequire } from 'node:module'; const require = __plexAuthCreateRequire(import.meta.url);"
  }
})

/**
 * The `bin` (dist/bin/plex-auth.js) of both editions (this build's and effect4/scripts/build-cli.ts's), beside the
 * bundle it imports (internal/cli.js). On Node >= 22.1 it first
 * turns on Node's compile cache (`module.enableCompileCache`, as TypeScript's tsc does), so that a run after the
 * first starts from the bundle's cached compiled code: `plex-auth --help` on Node 22.23 took about 0.1 s (15%) less
 * CPU and 0.1 to 0.3 s less time (4 × 10 runs, interleaved with the bin without it, 2026-12-06); the Effect 4
 * edition's about 0.05 s (17%) less CPU (4 × 10 runs, the same day). The cache is Node's
 * default folder, `<os.tmpdir()>/node-compile-cache`; NODE_COMPILE_CACHE
 * and NODE_DISABLE_COMPILE_CACHE keep their meaning (Node reads them first). The bundle is imported afterwards
 * (`await import`: a static import would run first). The cache never stands in the way: on Node 20 there is no
 * such function; a folder that cannot be made or written is skipped without a word (Node reports it in the value
 * it returns, which is not read); and the folder is made here first, alone (not with its parents), because Node's
 * own recursive creation never returns for a path under /proc (TMPDIR=/proc/self: seen on Node 22.23).
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
      fs.mkdirSync(dir)
    } catch (error) {
      if (error?.code !== "EEXIST") throw error
    }
    Module.enableCompileCache(dir)
  } catch {}
}
await import("./internal/cli.js")
`

/** The imports a bundle kept (esbuild leaves Node built-ins as imports on `platform: "node"`). */
export const externalImports = (metafile: Metafile): ReadonlyArray<string> => [
  ...new Set(
    Object.values(metafile.outputs).flatMap((output) =>
      output.imports.filter((i) => i.external).map((i) => i.path)
    )
  )
]

/** The imports that are not Node built-ins (`node:fs`, or bare `fs`). */
export const nonBuiltIn = (imports: ReadonlyArray<string>): ReadonlyArray<string> =>
  imports.filter((specifier) => !isBuiltin(specifier))
