/**
 * The Effect 4 edition's bundle sizes and budgets: the entries of
 * effect4/bench/bundles/ (imported as the README does), bundled for the
 * browser with esbuild and with Rollup (bench/bundlers.ts), gzipped. The
 * budget (issue 18): one operation at most 55 kB gzipped in all and at most
 * 10 kB over the Effect 4 floor (`baseline.ts`), with either bundler.
 *
 *   node scripts/node22.mjs --import tsx effect4/bench/bundle.ts           print; exit 1 if a budget is broken
 *   node scripts/node22.mjs --import tsx effect4/bench/bundle.ts --write   also rewrite the "Effect 4 edition:
 *                                                                         bundle size" part of docs/benchmarks.md
 *
 * effect4/test/bundle.test.ts runs the same measurement in `npm test`.
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

const alias = { "effect4-plex-auth": path.join(src, "index.ts") }

/** Every entry's sizes, the floor first. */
export const measureAll = async (): Promise<Record<"baseline" | (typeof entries)[number], Sizes>> => {
  const baseline = await measure(path.join(here, "bundles", "baseline.ts"), alias)
  const out: Record<string, Sizes> = { baseline }
  for (const entry of entries) out[entry] = await measure(path.join(here, "bundles", `${entry}.ts`), alias)
  return out as Record<"baseline" | (typeof entries)[number], Sizes>
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

export const table = (sizes: Awaited<ReturnType<typeof measureAll>>) =>
  [
    "| Entry (gzipped) | esbuild | over the floor | Rollup | over the floor |",
    "| --- | ---: | ---: | ---: | ---: |",
    `| Effect 4 floor: \`HttpClient\` GET + \`Schema\` decode | ${kB(sizes.baseline.esbuild)} | | ${kB(sizes.baseline.rollup)} | |`,
    ...entries.map(
      (entry) =>
        `| ${entry === "signIn" ? "sign-in (`postUsersSignInData`)" : "`getTokenDetails`"} | ${kB(sizes[entry].esbuild)} | ${kB(sizes[entry].esbuild - sizes.baseline.esbuild)} | ${kB(sizes[entry].rollup)} | ${kB(sizes[entry].rollup - sizes.baseline.rollup)} |`
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
