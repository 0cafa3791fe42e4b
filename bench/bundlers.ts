/**
 * Bundle sizes as users' bundlers produce them, for both editions: esbuild
 * (minified, tree-shaken, ESM, browser) and Rollup (what Vite builds with:
 * node-resolve with the `browser`/`import` conditions, tree-shaking that
 * honours `"sideEffects": false`, then minified by esbuild as Vite does),
 * each gzipped at level 9. The entry imports the library as its README
 * does; `alias` maps those imports to the sources.
 */
import { nodeResolve } from "@rollup/plugin-node-resolve"
import * as esbuild from "esbuild"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { rollup } from "rollup"

/** Gzipped sizes of one entry, in bytes. */
export interface Sizes {
  readonly esbuild: number
  readonly rollup: number
}

const gzip = (code: string) => zlib.gzipSync(code, { level: 9 }).length

/** Bundles `entry` with esbuild and with Rollup; `alias` maps package names to source files. */
export const measure = async (entry: string, alias: Readonly<Record<string, string>>): Promise<Sizes> => {
  const built = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    treeShaking: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    alias,
    logLevel: "silent"
  })
  const ours = new Set(Object.values(alias).map((file) => path.dirname(file)))
  const bundle = await rollup({
    input: entry,
    logLevel: "silent",
    treeshake: {
      // Our sources are side-effect free as their package.json says; node-resolve reads it for packages.
      moduleSideEffects: (id) => ![...ours].some((dir) => id.startsWith(dir)) && !id.endsWith(entry)
    },
    plugins: [
      {
        name: "alias-and-typescript",
        resolveId(source, importer) {
          if (source in alias) return alias[source]!
          // The sources import siblings as ./X.js; the file on disk is X.ts.
          if (importer?.endsWith(".ts") && source.startsWith(".") && source.endsWith(".js")) {
            return path.resolve(path.dirname(importer), source.replace(/\.js$/, ".ts"))
          }
          return null
        },
        async transform(code, id) {
          if (!id.endsWith(".ts")) return null
          const out = await esbuild.transform(code, { loader: "ts", format: "esm", target: "es2022" })
          return { code: out.code, map: null }
        }
      },
      nodeResolve({ browser: true, exportConditions: ["browser", "import", "default"] })
    ]
  })
  const { output } = await bundle.generate({ format: "es" })
  await bundle.close()
  const minified = await esbuild.transform(output[0].code, { minify: true, format: "esm", target: "es2022" })
  return { esbuild: gzip(built.outputFiles[0]!.text), rollup: gzip(minified.code) }
}
