/**
 * effect4-plex-auth as its users run it: compiled JavaScript, as
 * bench/library.ts does for the Effect 3 edition (tsx's `keepNames` would
 * add a cost the published package does not have). The sources are bundled
 * once with every package left as an import, and that file is loaded.
 */
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as esbuild from "esbuild"
import type * as Library from "effect4-plex-auth"

const root = fileURLToPath(new URL("..", import.meta.url))
const outfile = path.join(root, "node_modules", ".cache", "effect4-plex-auth-bench", "index.js")

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

/** The Effect 4 edition's barrel, compiled. */
export const lib: typeof Library = await import(pathToFileURL(outfile).href)
