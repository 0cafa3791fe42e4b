/**
 * Builds the Effect 4 edition's `plex-auth` CLI into one self-contained ES
 * module, `dist/bin/internal/cli.js`: everything is inlined, `effect` 4
 * included, so an installed package starts it whatever else is installed
 * beside it. Fails when the bundle imports anything but Node built-ins.
 * Beside it, the package's `bin`, `dist/bin/plex-auth.js`: the Effect 3
 * edition's (scripts/cli-bin.ts binSource), which turns on Node's compile
 * cache and then imports the bundle.
 *
 *   tsx scripts/build-cli.ts [bin]   (part of effect4's npm run build; the bundle goes to internal/cli.js beside it)
 */
import * as fs from "node:fs/promises"
import { isBuiltin } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { binSource } from "../../scripts/cli-bin.js"
import { builtinsRequired, esImported } from "../../scripts/cli-builtins.js"

const root = fileURLToPath(new URL("..", import.meta.url))

/**
 * Builds the CLI: the `bin` file, and the bundle it imports, `internal/cli.js` beside it; resolves with the
 * bundle's size in bytes.
 */
export const buildCli = async (bin: string): Promise<number> => {
  const outfile = path.join(path.dirname(bin), "internal", "cli.js")
  const pkg = JSON.parse(await fs.readFile(path.join(root, "package.json"), "utf8")) as { version?: unknown }
  if (typeof pkg.version !== "string") throw new Error("effect4/package.json has no version")
  const result = await build({
    entryPoints: [path.join(root, "src", "bin", "plex-auth.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    define: { __PLEX_AUTH_VERSION__: JSON.stringify(pkg.version) },
    minify: true,
    keepNames: true,
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
    // The Node built-ins the code imports are required (scripts/cli-builtins.ts: Node 22's ES facade of
    // node:http loads undici at every start).
    plugins: [builtinsRequired],
    // Bundled CommonJS code may call require() (of Node built-ins): give the ES module one.
    banner: {
      js: "import { createRequire as __plexAuthCreateRequire } from 'node:module'; const require = __plexAuthCreateRequire(import.meta.url);"
    }
  })
  const outputs = Object.values(result.metafile.outputs)
  const unexpected = [
    ...new Set(outputs.flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path)))
  ].filter((specifier) => !isBuiltin(specifier))
  if (unexpected.length > 0) throw new Error(`the CLI bundle imports ${unexpected.join(", ")}`)
  const imported = esImported(result.metafile)
  if (imported.length > 0)
    throw new Error(
      `the CLI bundle imports ${imported.join(", ")} with an ES import (scripts/cli-builtins.ts: built-ins are required)`
    )
  // The bin turns on Node's compile cache before it imports the bundle (its text is the Effect 3 edition's).
  await fs.writeFile(bin, binSource)
  await fs.chmod(bin, 0o755)
  return outputs.reduce((sum, output) => sum + output.bytes, 0)
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const bin = path.resolve(process.argv[2] ?? path.join(root, "dist", "bin", "plex-auth.js"))
  buildCli(bin).then(
    (bytes) =>
      console.log(
        `built ${path.relative(root, bin)} (${(bytes / 1000).toFixed(0)} kB bundle in internal/cli.js, only Node built-ins imported)`
      ),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    }
  )
}
