/**
 * Builds the Effect 4 edition's `plex-auth` CLI into one self-contained ES
 * module, `dist/bin/plex-auth.js` (the package's `bin`): everything is
 * inlined, `effect` 4 included, so an installed package starts it whatever
 * else is installed beside it. Fails when the bundle imports anything but
 * Node built-ins.
 *
 *   tsx scripts/build-cli.ts [outfile]   (part of effect4's npm run build)
 */
import * as fs from "node:fs/promises"
import { isBuiltin } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const root = fileURLToPath(new URL("..", import.meta.url))

/** Builds the CLI to `outfile`; resolves with the bundle's size in bytes. */
export const buildCli = async (outfile: string): Promise<number> => {
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
    // Bundled CommonJS code may call require() (of Node built-ins): give the ES module one.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __plexAuthCreateRequire } from 'node:module'; const require = __plexAuthCreateRequire(import.meta.url);"
    }
  })
  const outputs = Object.values(result.metafile.outputs)
  const unexpected = [
    ...new Set(outputs.flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path)))
  ].filter((specifier) => !isBuiltin(specifier))
  if (unexpected.length > 0) throw new Error(`the CLI bundle imports ${unexpected.join(", ")}`)
  await fs.chmod(outfile, 0o755)
  return outputs.reduce((sum, output) => sum + output.bytes, 0)
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outfile = path.resolve(process.argv[2] ?? path.join(root, "dist", "bin", "plex-auth.js"))
  buildCli(outfile).then(
    (bytes) =>
      console.log(
        `built ${path.relative(root, outfile)} (${(bytes / 1000).toFixed(0)} kB, only Node built-ins imported)`
      ),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    }
  )
}
