/**
 * The esbuild plugin both editions' CLI builds use (scripts/cli-bundle.ts, effect4/scripts/build-cli.ts): the
 * bundle loads the Node built-ins it imports with `require` (the `require` its banner makes), not with an ES
 * `import`. Its own file, as scripts/cli-bin.ts, so that the Effect 4 build reads only what it needs of scripts/.
 *
 * Why: for an ES `import` of a built-in, Node 22 builds the module's ES facade, which reads every one of its
 * exports, lazy getters included; `node:http`'s `WebSocket`, `CloseEvent` and `MessageEvent` getters load undici,
 * Node's fetch, whether or not anything uses it. `import * as http from "node:http"` alone took 46 ms more CPU than
 * `require("node:http")` on Node 22.23 (74 against 32 ms, `node -e` 15 runs each, interleaved; on Node 20 the
 * same); the other built-ins the CLI imports, all eight together, 4 ms more (within the spread). The CLI imports
 * `node:http` for its loopback servers (src/core/node/loopback.ts), so every start paid it, `--version` and
 * `--help` too; a command that fetches loads undici anyway, and there nothing changes. A `require` gives the same
 * objects: esbuild's CommonJS interop reads an export when the code reads it.
 */
import { isBuiltin } from "node:module"
import type { Metafile, Plugin } from "esbuild"

const namespace = "plex-auth-builtin"

/** Turns each `import ... from "<built-in>"` of the bundled code into a `require` of it. */
export const builtinsRequired: Plugin = {
  name: "plex-auth-builtins-required",
  setup(build) {
    build.onResolve({ filter: /^[a-z0-9:_/]+$/ }, (args) =>
      args.kind === "import-statement" && isBuiltin(args.path) ? { path: args.path, namespace } : undefined
    )
    build.onLoad({ filter: /.*/, namespace }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)})`,
      loader: "js"
    }))
  }
}

/**
 * The modules a bundle still imports with an ES `import` (its banner's aside, which esbuild does not see): with
 * {@link builtinsRequired}, none. Both builds fail when there is one.
 */
export const esImported = (metafile: Metafile): ReadonlyArray<string> => [
  ...new Set(
    Object.values(metafile.outputs).flatMap((output) =>
      output.imports.filter((i) => i.external && i.kind === "import-statement").map((i) => i.path)
    )
  )
]
