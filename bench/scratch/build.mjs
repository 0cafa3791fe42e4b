// Bundles bench/scratch/drive.ts for each edition (see there), packages left as imports: the library's sources
// of this tree ("new") and of git revision REV (default HEAD, "old"), with the edition's bench clients.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.join(here, "..", "..")
const revDir = path.join(root, "node_modules", ".cache", "scratch", "rev")
fs.rmSync(revDir, { recursive: true, force: true })
fs.mkdirSync(revDir, { recursive: true })
const rev = process.env["REV"] ?? "HEAD"
execFileSync("sh", ["-c", `git archive ${rev} src effect4/src | tar -x -C ${JSON.stringify(revDir)}`], {
  cwd: root
})
// The bench clients' library: this tree's sources, bundled (bench/library.ts would build a copy of its own).
const shims = path.join(root, "node_modules", ".cache", "scratch", "library")
fs.mkdirSync(shims, { recursive: true })
fs.writeFileSync(
  path.join(shims, "3.ts"),
  `export * as lib from ${JSON.stringify(path.join(root, "src", "index.ts"))}\n`
)
fs.writeFileSync(
  path.join(shims, "4.ts"),
  `export * as lib from ${JSON.stringify(path.join(root, "effect4", "src", "index.ts"))}\n`
)
for (const edition of ["3", "4"]) {
  const base = edition === "3" ? "" : "effect4"
  await esbuild.build({
    entryPoints: [path.join(here, process.env.ENTRY ?? "drive.ts")],
    bundle: true,
    packages: "external",
    format: "esm",
    platform: "node",
    target: "es2022",
    // Under the edition's node_modules, so its `effect` is the one imported.
    outfile: path.join(
      root,
      base,
      "node_modules",
      ".cache",
      "scratch",
      `${process.env.OUT ?? "drive"}${edition}.mjs`
    ),
    logLevel: "warning",
    define: { EDITION: JSON.stringify(edition), ANSWERS_DIR: JSON.stringify(here) },
    plugins: [
      {
        name: "editions",
        setup(build) {
          build.onResolve({ filter: /^bench:clients$/ }, () => ({
            path: path.join(root, base, "bench", "clients.ts")
          }))
          build.onResolve({ filter: /^bench:old$/ }, () => ({
            path: path.join(revDir, base, "src", "index.ts")
          }))
          build.onResolve({ filter: /\/library\.js$/ }, () => ({ path: path.join(shims, `${edition}.ts`) }))
        }
      }
    ]
  })
}
