/**
 * The Effect 4 engine's CPU per request at another git revision beside this
 * tree's and Effect 4's bare `HttpClient`, in one interleaved run without the
 * network (see bench/engineCompare.ts): a before/after check, as
 * bench/engineVs.ts is for the Effect 3 edition. Both revisions are compiled
 * alike (bench/library.ts). On a busy machine single runs disagree by ±25%:
 * compare the two ratios of one run, not runs.
 *
 *   ENGINE_REV=<revision> node scripts/node22.mjs --import tsx effect4/bench/engineVs.ts [requests per round = 5000] [rounds = 10]
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as esbuild from "esbuild"
import type * as Library from "effect4-plex-auth"
import { compare } from "../../bench/engineCompare.js"
import { effect4PlexAuth, effectHttp } from "./clients.js"

const rev = process.env["ENGINE_REV"] ?? "HEAD"
const here = fileURLToPath(new URL(".", import.meta.url))
const root = path.join(here, "..", "..")
const cache = path.join(here, "..", "node_modules", ".cache", "effect4-plex-auth-bench")
const sources = path.join(cache, "rev")
fs.rmSync(sources, { recursive: true, force: true })
fs.mkdirSync(sources, { recursive: true })
// The revision's effect4/src and the shared src/ (its core), unpacked beside the cache's bundle (so that its
// imports resolve from effect4/node_modules).
execFileSync("sh", ["-c", `git archive ${rev} effect4/src src | tar -x -C ${JSON.stringify(sources)}`], {
  cwd: root
})
const outfile = path.join(cache, "rev.js")
await esbuild.build({
  entryPoints: [path.join(sources, "effect4", "src", "index.ts")],
  bundle: true,
  packages: "external",
  format: "esm",
  platform: "neutral",
  target: "es2022",
  outfile,
  logLevel: "warning"
})
const old: typeof Library = await import(pathToFileURL(outfile).href)

await compare((served) => [
  effectHttp(served),
  { ...effect4PlexAuth(served, old), name: `effect4-plex-auth@${rev}` },
  effect4PlexAuth(served)
])
