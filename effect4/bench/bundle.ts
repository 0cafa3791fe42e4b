/**
 * The Effect 4 edition's bundle sizes and budgets: the entries of
 * effect4/bench/bundles/ (imported as the README does: each module from its
 * subpath), bundled for the browser with esbuild and with Rollup
 * (bench/bundlers.ts), gzipped. The budget (issue 18): one operation at most
 * 55 kB gzipped in all and at most 10 kB over the Effect 4 floor
 * (`baseline.ts`), with either bundler. `getTokenDetailsBarrel` (the same
 * program imported from the barrels) is reported, without a budget.
 *
 *   node scripts/node22.mjs --import tsx effect4/bench/bundle.ts           print; exit 1 if a budget is broken
 *   node scripts/node22.mjs --import tsx effect4/bench/bundle.ts --write   also rewrite the "Effect 4 edition:
 *                                                                         bundle size" part of docs/benchmarks.md
 *
 * Not part of `npm test` (Rollup is slow); the Effect 3 edition's budget is
 * test/bundle.test.ts.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { measure, type Sizes } from "../../bench/bundlers.js"

const here = fileURLToPath(new URL(".", import.meta.url))
const src = path.join(here, "..", "src")
const root = path.join(here, "..", "..")

/** Gzipped bytes: one operation in all, and over the floor. */
export const budgets = { total: 55_000, overBaseline: 10_000 }
export const entries = ["getTokenDetails", "signIn"] as const
/** Reported, no budget. */
export const informational = ["getTokenDetailsBarrel"] as const

type Name = "baseline" | (typeof entries)[number] | (typeof informational)[number]

const alias = {
  "effect4-plex-auth": path.join(src, "index.ts"),
  "effect4-plex-auth/*": path.join(src, "*.ts")
}

/** The package's files: its sources and the shared core (dist/src/core in the tarball), all side-effect free. */
const sideEffectFree = [src, path.join(root, "src", "core")]

/** Every entry's sizes, the floor first. */
export const measureAll = async (): Promise<Record<Name, Sizes>> => {
  const out: Partial<Record<Name, Sizes>> = {}
  for (const entry of ["baseline", ...entries, ...informational] as const) {
    out[entry] = await measure(path.join(here, "bundles", `${entry}.ts`), alias, sideEffectFree)
  }
  return out as Record<Name, Sizes>
}

/** What breaks a budget, as sentences; empty when all hold. */
export const broken = (sizes: Awaited<ReturnType<typeof measureAll>>): ReadonlyArray<string> =>
  entries.flatMap((entry) =>
    (["esbuild", "rollup"] as const).flatMap((bundler) => {
      const size = sizes[entry][bundler]
      const over = size - sizes.baseline[bundler]
      return [
        ...(size > budgets.total
          ? [`${entry} (${bundler}): ${size} B gzipped, over ${budgets.total} B`]
          : []),
        ...(over > budgets.overBaseline
          ? [`${entry} (${bundler}): ${over} B over the floor, more than ${budgets.overBaseline} B`]
          : [])
      ]
    })
  )

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`

const labels: Record<Exclude<Name, "baseline">, string> = {
  getTokenDetails: "`getTokenDetails`",
  signIn: "sign-in (`postUsersSignInData`)",
  getTokenDetailsBarrel: "`getTokenDetails` from the barrels (`effect`, `effect4-plex-auth`), no budget"
}

export const table = (sizes: Awaited<ReturnType<typeof measureAll>>) =>
  [
    "| Entry (gzipped) | esbuild | over the floor | Rollup | over the floor |",
    "| --- | ---: | ---: | ---: | ---: |",
    `| Effect 4 floor: \`HttpClient\` GET + \`Schema\` decode | ${kB(sizes.baseline.esbuild)} | | ${kB(sizes.baseline.rollup)} | |`,
    ...[...entries, ...informational].map(
      (entry) =>
        `| ${labels[entry]} | ${kB(sizes[entry].esbuild)} | ${kB(sizes[entry].esbuild - sizes.baseline.esbuild)} | ${kB(sizes[entry].rollup)} | ${kB(sizes[entry].rollup - sizes.baseline.rollup)} |`
    )
  ].join("\n")

const begin = "<!-- effect4 bundle: begin (written by effect4/bench/bundle.ts --write) -->"
const end = "<!-- effect4 bundle: end -->"

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await measureAll()
  const section = table(sizes)
  process.stdout.write(`${section}\n`)
  const problems = broken(sizes)
  for (const problem of problems) process.stderr.write(`budget broken: ${problem}\n`)
  if (process.argv.includes("--write")) {
    const docsPath = path.join(root, "docs", "benchmarks.md")
    const docs = fs.readFileSync(docsPath, "utf8")
    const from = docs.indexOf(begin)
    const to = docs.indexOf(end)
    if (from === -1 || to === -1) throw new Error(`docs/benchmarks.md has no ${begin} … ${end} markers`)
    fs.writeFileSync(docsPath, `${docs.slice(0, from + begin.length)}\n\n${section}\n\n${docs.slice(to)}`)
  }
  process.exitCode = problems.length === 0 ? 0 : 1
}
