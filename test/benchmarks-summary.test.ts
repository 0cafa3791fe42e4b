/**
 * The summary tables at the top of docs/benchmarks.md, which every benchmark script that rewrites the page
 * writes from the page's own tables (scripts/benchmarks-summary.ts): the page shows what they write, and a
 * page they cannot read is kept as it is.
 */
import { assert, describe } from "@effect/vitest"
import * as fs from "node:fs"
import { Effect } from "effect"
import { it } from "./support/it.js"
import {
  summary,
  summaryBegin,
  summaryEnd,
  withSummary,
  withSummaryOrWarn
} from "../scripts/benchmarks-summary.js"

const page = () => fs.readFileSync(new URL("../docs/benchmarks.md", import.meta.url), "utf8")

/** Markdown with the padding oxfmt adds to tables taken out. */
const unpadded = (markdown: string) =>
  markdown
    .split("\n")
    .map((line) =>
      line.startsWith("|")
        ? line
            .split("|")
            .map((cell) => cell.trim().replace(/^-+:$/, "---:").replace(/^-+$/, "---"))
            .join("|")
        : line
    )
    .join("\n")

describe("scripts/benchmarks-summary.ts", () => {
  it.effect("docs/benchmarks.md's summary is what the scripts write from the page's tables", () =>
    Effect.sync(() => {
      const doc = page()
      const from = doc.indexOf(summaryBegin)
      const to = doc.indexOf(summaryEnd)
      assert.isAbove(from, -1)
      assert.isAbove(to, from)
      assert.strictEqual(
        unpadded(doc.slice(from + summaryBegin.length, to)).trim(),
        unpadded(summary(doc)).trim()
      )
      assert.strictEqual(unpadded(withSummary(doc)), unpadded(doc))
    })
  )

  it.effect("follows the tables below it", () =>
    Effect.sync(() => {
      // The Effect 4 sign-in one at a time made as cheap as the bare client: that row's CPU ratio changes.
      const doc = page()
      const bench = doc.indexOf("<!-- effect4 bench: begin")
      const row = /\n\| sign-in +\| +1 \|([^\n]*)/.exec(
        doc.slice(doc.indexOf("effect4-plex-auth against each", bench))
      )!
      const cells = row[1]!.split("|")
      cells[2] = " 1.00× (0.90–1.10) "
      const changed = doc.replace(row[0], row[0].replace(row[1]!, cells.join("|")))
      assert.notStrictEqual(changed, doc)
      // The other rows' ratios as the page has them now (each `npm run bench` writes new ones).
      const ratio = (operation: string, concurrency: number) => {
        const found = new RegExp(`\\n\\| ${operation} +\\| +${concurrency} \\|([^\\n]*)`).exec(
          doc.slice(doc.indexOf("effect4-plex-auth against each", bench))
        )!
        return /^\s*([\d.]+×)/.exec(found[1]!.split("|")[2]!)![1]!
      }
      const [tokenOne, tokenMany, signInMany] = [
        ratio("`getTokenDetails`", 1),
        ratio("`getTokenDetails`", 16),
        ratio("sign-in", 16)
      ]
      assert.include(summary(changed), `| 1.00× / ${signInMany} |`)
      assert.include(
        summary(changed),
        `| met for the sign-in one at a time (1.00×), not for \`getTokenDetails\` (${tokenOne}, ${tokenMany}), the sign-in 16 at a time (${signInMany}) |`
      )
      assert.notInclude(summary(doc), `| 1.00× / ${signInMany} |`)
    })
  )

  it.effect("keeps a page it cannot read, and one without the markers", () =>
    Effect.sync(() => {
      const warnings: Array<string> = []
      const broken = `# B\n\n${summaryBegin}\n\nold\n\n${summaryEnd}\n`
      assert.strictEqual(
        withSummaryOrWarn(broken, (message) => warnings.push(message)),
        broken
      )
      assert.strictEqual(warnings.length, 1)
      assert.match(warnings[0]!, /^docs\/benchmarks.md: summary not rewritten: /)
      assert.strictEqual(withSummary("# B\n\nno markers\n"), "# B\n\nno markers\n")
    })
  )
})
