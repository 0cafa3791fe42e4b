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
import { builtinsRequired } from "./cli-builtins.js"

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
  // Start-up on Node 20 (no compile cache there) goes mostly to compiling this one module (a third of
  // `plex-auth --version`'s profile) and to running the modules' top level (effect's, @effect/cli's, the
  // library's Schema classes): measured 2026-12-06 against this bundle (673 kB), unminified (1.55 MB) and
  // whitespace/syntax-only minified (1.09 MB) start slower; without keepNames (60 kB less) and as CommonJS
  // the difference is within the noise (20 × `--version` each, interleaved, loaded 2-core machine).
  minify: true,
  keepNames: true,
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
  // The Node built-ins the code imports are required (scripts/cli-builtins.ts: Node 22's ES facade of node:http
  // loads undici at every start).
  plugins: [builtinsRequired],
  // Bundled CommonJS dependencies call require() (of Node built-ins): give the ES module one.
  banner: {
    js: "import { createRequire as __plexAuthCreateRequire } from 'node:module'; const require = __plexAuthCreateRequire(import.meta.url);"
  }
})

/** The `bin` beside the bundle (scripts/cli-bin.ts, its own file so that the Effect 4 build reads only it). */
export { binSource } from "./cli-bin.js"

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
