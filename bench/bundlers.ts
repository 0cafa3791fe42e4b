/**
 * Bundle sizes as users' bundlers produce them, for both editions: esbuild
 * (minified, tree-shaken, ESM, browser) and Rollup (what Vite builds with:
 * node-resolve with the `browser`/`import` conditions, tree-shaking that
 * honours `"sideEffects": false`, then minified by esbuild as Vite does),
 * each gzipped at level 9. The entry imports the library as its README
 * does; `alias` maps those imports to the sources: a key ending in `/*`
 * maps every subpath (`effect4-plex-auth/*` to `effect4/src/*.ts`).
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

/** Where `alias` sends an import, if anywhere: exact names first, then `name/*` patterns. */
const aliased = (alias: Readonly<Record<string, string>>, source: string): string | undefined => {
  if (source in alias) return alias[source]
  for (const [key, target] of Object.entries(alias)) {
    if (key.endsWith("/*") && source.startsWith(key.slice(0, -1))) {
      return target.replace("*", source.slice(key.length - 1))
    }
  }
  return undefined
}

/**
 * Bundles `entry` with esbuild and with Rollup; `alias` maps package names to
 * source files. The files under `sideEffectFree` (the sources, which their
 * package.json declares `"sideEffects": false`) may be dropped when unused.
 */
export const measure = async (
  entry: string,
  alias: Readonly<Record<string, string>>,
  sideEffectFree: ReadonlyArray<string> = Object.values(alias).map((file) => path.dirname(file))
): Promise<Sizes> => {
  const built = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    treeShaking: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "alias",
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            const target = aliased(alias, args.path)
            return target === undefined ? undefined : { path: target }
          })
        }
      }
    ]
  })
  const bundle = await rollup({
    input: entry,
    logLevel: "silent",
    treeshake: {
      // Our sources are side-effect free as their package.json says; node-resolve reads it for packages.
      moduleSideEffects: (id) => !sideEffectFree.some((dir) => id.startsWith(dir)) && !id.endsWith(entry)
    },
    plugins: [
      {
        name: "alias-and-typescript",
        resolveId(source, importer) {
          const target = aliased(alias, source)
          if (target !== undefined) return target
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
