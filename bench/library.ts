/**
 * effect-plex-auth as its users run it: compiled JavaScript. The benchmarks
 * run under tsx, which would otherwise load the TypeScript sources through
 * esbuild with `keepNames`, which adds a call naming each named function the
 * library makes, some of them on every request: a cost the published
 * package does not have. The sources are bundled once, with every package left as an
 * import, into a file under node_modules/.cache, and that file is loaded.
 */
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as esbuild from "esbuild"
import type * as Library from "effect-plex-auth"

const root = fileURLToPath(new URL("..", import.meta.url))
const outfile = path.join(root, "node_modules", ".cache", "effect-plex-auth-bench", "index.js")

await esbuild.build({
  entryPoints: [path.join(root, "src", "index.ts")],
  bundle: true,
  packages: "external",
  format: "esm",
  platform: "neutral",
  target: "es2022",
  outfile,
  logLevel: "warning"
})

/** The library's barrel, compiled. */
export const lib: typeof Library = await import(pathToFileURL(outfile).href)
