import { nodeResolve } from "@rollup/plugin-node-resolve"
import * as esbuild from "esbuild"
import * as path from "node:path"
import * as fs from "node:fs"
import { rollup } from "rollup"
const here = "/work/wt/e4bundle/effect4/bench"
const src = "/work/wt/e4bundle/effect4/src"
const name = process.argv[2]
const entry = path.join(here, "bundles", `${name}.ts`)
const sideEffectFree = [src, "/work/wt/e4bundle/src/core"]
const bundle = await rollup({
  input: entry, logLevel: "silent",
  treeshake: { moduleSideEffects: (id) => !sideEffectFree.some((dir) => id.startsWith(dir)) && !id.endsWith(entry) },
  plugins: [{
    name: "a",
    resolveId(source, importer) {
      if (source === "effect4-plex-auth") return path.join(src, "index.ts")
      if (source.startsWith("effect4-plex-auth/")) return path.join(src, source.slice(18) + ".ts")
      if (importer?.endsWith(".ts") && source.startsWith(".") && source.endsWith(".js")) return path.resolve(path.dirname(importer), source.replace(/\.js$/, ".ts"))
      return null
    },
    async transform(code, id) { if (!id.endsWith(".ts")) return null; const out = await esbuild.transform(code, { loader: "ts", format: "esm", target: "es2022" }); return { code: out.code, map: null } }
  }, nodeResolve({ browser: true, exportConditions: ["browser", "import", "default"] })]
})
const { output } = await bundle.generate({ format: "es" })
fs.writeFileSync(`/tmp/e4b/${name}.rollup.js`, output[0].code)
