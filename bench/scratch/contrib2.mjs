// What each top-level declaration of the library costs in a bundle, approximately: the gzipped bytes of the
// minified bundle minus those of the same bundle without the declaration (gzip is not additive: a guide to where
// the bytes are, not a measure to quote). Run from the repository's root:
//   node bench/scratch/contrib2.mjs effect4/bench/bundles/getTokenDetails.ts [top = 15]
//   node bench/scratch/contrib2.mjs scripts/bundles/getTokenDetails.ts        (Effect 3)
import * as esbuild from "esbuild"
import * as path from "node:path"
import * as zlib from "node:zlib"
const root = process.cwd()
const src = path.join(root, "effect4/src")
const [entry, limit = "15"] = process.argv.slice(2)
const r = await esbuild.build({
  entryPoints: [entry],
  bundle: true,
  minifyIdentifiers: false,
  treeShaking: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  write: false,
  logLevel: "warning",
  tsconfig: path.join(root, "tsconfig.json"),
  plugins: [
    {
      name: "alias",
      setup(build) {
        build.onResolve({ filter: /^effect4-plex-auth(\/|$)/ }, (args) => ({
          path:
            args.path === "effect4-plex-auth"
              ? path.join(src, "index.ts")
              : path.join(src, `${args.path.slice("effect4-plex-auth/".length)}.ts`)
        }))
      }
    }
  ]
})
const text = r.outputFiles[0].text
const min = async (t) =>
  (await esbuild.transform(t, { minify: true, format: "esm", logLevel: "silent" })).code
const gz = (t) => zlib.gzipSync(t, { level: 9 }).length
const full = gz(await min(text))
const lines = text.split("\n")
// statements: start at a line at column 0 that is not a comment/closing
const starts = []
let mod = ""
for (let i = 0; i < lines.length; i++) {
  const l = lines[i]
  if (l.startsWith("// ")) {
    mod = l.slice(3)
    continue
  }
  if (/^(var|function|class|async function|let|const) /.test(l) && !mod.includes("node_modules"))
    starts.push([i, mod])
}
const rows = []
for (const [i, m] of starts) {
  let j = i + 1
  while (
    j < lines.length &&
    !/^(var|function|class|async function|let|const|\/\/ |export) /.test(lines[j]) &&
    lines[j] !== ""
  )
    j++
  const without = [...lines.slice(0, i), ...lines.slice(j)].join("\n")
  let d
  try {
    d = full - gz(await min(without))
  } catch {
    d = "?"
  }
  rows.push([d, `${m}: ${lines[i].slice(0, 70)}`])
}
rows.sort((a, b) => b[0] - a[0])
console.log("full", full)
for (const [d, n] of rows.slice(0, +limit)) console.log(d, n)
