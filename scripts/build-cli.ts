/**
 * Builds the `plex-auth` CLI into one self-contained ES module, so that an
 * installed package can start it whatever else is installed beside it: see
 * scripts/cli-bundle.ts for what goes in (everything, `effect` included) and
 * why. Fails when the bundle imports anything but Node built-ins.
 *
 * Writes dist/bin/internal/cli.js (the bundle) and dist/bin/plex-auth.js
 * (the `bin`, which imports it).
 *
 *   tsx scripts/build-cli.ts   (part of npm run build)
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { esImported } from "./cli-builtins.js"
import { binSource, bundleOptions, externalImports, nonBuiltIn, packageVersion } from "./cli-bundle.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const outDir = path.join(root, "dist", "bin")

const main = async () => {
  await fs.rm(outDir, { recursive: true, force: true })
  const version = await packageVersion()
  const result = await build(bundleOptions(path.join(outDir, "internal", "cli.js"), version))
  const metafile = result.metafile!
  const unexpected = nonBuiltIn(externalImports(metafile))
  if (unexpected.length > 0) throw new Error(`the CLI bundle imports ${unexpected.join(", ")}`)
  const imported = esImported(metafile)
  if (imported.length > 0)
    throw new Error(
      `the CLI bundle imports ${imported.join(", ")} with an ES import (scripts/cli-builtins.ts: built-ins are required)`
    )
  // The source's shebang stays on its first line; esbuild moves it above the banner. The bin needs its own
  // (and turns on Node's compile cache before it imports the bundle: cli-bin.ts binSource).
  const bin = path.join(outDir, "plex-auth.js")
  await fs.writeFile(bin, binSource)
  await fs.chmod(bin, 0o755)
  const bytes = Object.values(metafile.outputs).reduce((sum, output) => sum + output.bytes, 0)
  console.log(
    `built ${path.relative(root, bin)} (version ${version}; ${(bytes / 1000).toFixed(0)} kB bundle importing only Node built-ins)`
  )
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
