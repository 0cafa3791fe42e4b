/**
 * Builds the `plex-auth` CLI into one self-contained ES module, so that an
 * installed package can start it: @effect/cli, @effect/platform-node and
 * their dependencies (devDependencies of this package) are bundled in, with
 * the library code the CLI uses. `effect` and `@effect/platform` stay
 * imports: they are peer dependencies, which the user has installed, and the
 * CLI then shares them with the library.
 *
 * Writes dist/bin/internal/cli.js (the bundle) and dist/bin/plex-auth.js
 * (the `bin`, which imports it). The bundle sits where src/bin/internal sits
 * in the sources, so the CLI finds the package's package.json (its version)
 * at the same relative path.
 *
 *   tsx scripts/build-cli.ts   (part of npm run build)
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const root = fileURLToPath(new URL("..", import.meta.url))
const outDir = path.join(root, "dist", "bin")

/** Peer dependencies: left as imports of the user's copies. */
const external = ["effect", "effect/*", "@effect/platform", "@effect/platform/*"]

const main = async () => {
  await fs.rm(outDir, { recursive: true, force: true })
  const result = await build({
    entryPoints: [path.join(root, "src", "bin", "plex-auth.ts")],
    outfile: path.join(outDir, "internal", "cli.js"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external,
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
    // Bundled CommonJS dependencies call require() (of Node built-ins): give the ES module one.
    banner: {
      js: "import { createRequire as __plexAuthCreateRequire } from 'node:module'; const require = __plexAuthCreateRequire(import.meta.url);"
    }
  })
  // The source's shebang stays on its first line; esbuild moves it above the banner. The bin needs its own.
  const bin = path.join(outDir, "plex-auth.js")
  await fs.writeFile(bin, '#!/usr/bin/env node\nimport "./internal/cli.js"\n')
  await fs.chmod(bin, 0o755)
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0)
  const imports = new Set(
    Object.values(result.metafile.outputs).flatMap((output) =>
      output.imports.filter((i) => i.external).map((i) => i.path)
    )
  )
  const unexpected = [...imports].filter(
    (specifier) =>
      !specifier.startsWith("node:") &&
      !/^(effect|@effect\/platform)(\/|$)/.test(specifier) &&
      !/^[a-z_]+$/.test(specifier) // a bare Node built-in such as "fs"
  )
  if (unexpected.length > 0) throw new Error(`the CLI bundle imports ${unexpected.join(", ")}`)
  console.log(
    `built ${path.relative(root, bin)} (${(bytes / 1000).toFixed(0)} kB bundle; imports ${[...imports]
      .filter((s) => !s.startsWith("node:") && !/^[a-z_]+$/.test(s))
      .map((s) =>
        s
          .split("/")
          .slice(0, s.startsWith("@") ? 2 : 1)
          .join("/")
      )
      .filter((s, i, all) => all.indexOf(s) === i)
      .join(", ")})`
  )
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
