/**
 * Formats files in place as `npm run format` does: oxfmt with the project's .oxfmtrc.jsonc (for the
 * benchmark scripts, which rewrite sections of docs/benchmarks.md).
 */
import { execFileSync } from "node:child_process"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const oxfmt = path.join(
  path.dirname(createRequire(import.meta.url).resolve("oxfmt/package.json")),
  "bin",
  "oxfmt"
)

export const formatInPlace = (...files: ReadonlyArray<string>): void => {
  execFileSync(process.execPath, [oxfmt, "--write", ...files], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"]
  })
}
