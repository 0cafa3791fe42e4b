// `npm test`'s docs:check (scripts/test.mjs): @effect/docgen as `npm run docs:check` runs it (docgen.json,
// the same sources, the same checks: every module parsed, every export's @since), with two differences
// that leave what it checks as it was:
//
// - The Markdown pages it writes are not formatted by Prettier: `prettier` is replaced, for docgen alone,
//   by a `format` that returns the page as printed. Prettier only reflows what docgen has already made
//   (blank lines, list markers, long signatures), and took a third of the check's CPU time (docgen:
//   13.0 against 8.5 CPU-s, same machine, 2026-12-05).
// - So that those unformatted pages do not replace the reference `npm run docs` wrote, docgen runs in a
//   temporary folder that holds links to what it reads (package.json, docgen.json, the tsconfig files,
//   src/, node_modules/) and writes its apidocs/ there; the folder is removed when it ends.
//
//   node scripts/docs-check.mjs    (with DOCGEN_RUN_EXAMPLES=false, as scripts/test.mjs runs it)
import * as fs from "node:fs"
import Module, { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

const load = Module._load
Module._load = function (request, ...rest) {
  if (request === "prettier") return { format: async (text) => text }
  return load.call(this, request, ...rest)
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-plex-auth-docs-check-"))
process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }))
for (const entry of [
  "package.json",
  "docgen.json",
  "tsconfig.json",
  "tsconfig.base.json",
  "src",
  "node_modules"
]) {
  fs.symlinkSync(path.join(root, entry), path.join(dir, entry))
}
process.chdir(dir)
// docgen is CommonJS: it requires `prettier` through Module._load, replaced above.
createRequire(import.meta.url)(path.join(root, "node_modules", "@effect", "docgen", "bin.cjs"))
