/**
 * Issue 16's target table, which `npm run bench` (bench/index.ts) writes into the "Speed and memory"
 * section of docs/benchmarks.md from the bare client's CPU per request over ours (bench/targets.ts);
 * and the table on the page is the one that function writes from the page's own CPU table.
 */
import { assert, describe } from "@effect/vitest"
import * as fs from "node:fs"
import { Effect } from "effect"
import { it } from "./support/it.js"
import { bareClient, issue16Least, issue16Targets, type TargetRow } from "../bench/targets.js"

const row = (operation: string, concurrency: number, bare: number | undefined): TargetRow => ({
  operation,
  concurrency,
  ratios: [
    { name: "fetch + JSON.parse", cpu: { median: 0.3 } },
    ...(bare === undefined ? [] : [{ name: bareClient, cpu: { median: bare } }]),
    { name: "plexjs 0.39.0", cpu: { median: 2 } }
  ]
})

/** A Markdown table's lines with the padding oxfmt adds taken out. */
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

describe("bench/targets.ts: issue 16's target", () => {
  it.effect("is met from 1 / 1.15 of our CPU up, and says when the bare client was not measured", () =>
    Effect.sync(() => {
      const table = issue16Targets([
        row("`getTokenDetails`", 1, 0.59),
        row("`getTokenDetails`", 16, issue16Least),
        row("sign-in (`postUsersSignInData`)", 1, 1.2),
        row("sign-in (`postUsersSignInData`)", 16, undefined)
      ])
      const lines = table.split("\n")
      assert.match(lines[0]!, /^Issue 16's target, CPU per request within 15% of the bare/)
      assert.deepStrictEqual(lines.slice(1), [
        "",
        "| Operation | Concurrency | bare `HttpClient`'s CPU over ours ≥ 0.87× |",
        "| --- | ---: | ---: |",
        "| `getTokenDetails` | 1 | 0.59× (not met) |",
        "| `getTokenDetails` | 16 | 0.87× (met) |",
        "| sign-in (`postUsersSignInData`) | 1 | 1.20× (met) |",
        "| sign-in (`postUsersSignInData`) | 16 | not measured |"
      ])
      // Just under the bound is not met, though it rounds to the same 0.87×.
      assert.include(issue16Targets([row("x", 1, issue16Least - 1e-9)]), "| x | 1 | 0.87× (not met) |")
    })
  )

  it.effect("docs/benchmarks.md shows the table bench/index.ts writes from the page's CPU table", () =>
    Effect.sync(() => {
      const page = fs.readFileSync(new URL("../docs/benchmarks.md", import.meta.url), "utf8")
      const speed = page.slice(page.indexOf("\n## Speed and memory\n"))
      const cpuIntro = "The other clients' CPU per request over effect-plex-auth's, per run"
      const at = speed.indexOf(cpuIntro)
      assert.isAbove(at, -1, "the section's CPU table")
      const tableLines = speed
        .slice(at)
        .split("\n")
        .slice(2)
        .filter((_, i, all) => all.slice(0, i + 1).every((line) => line.startsWith("|")))
      const header = tableLines[0]!.split("|").map((cell) => cell.trim())
      const rows: Array<TargetRow> = tableLines.slice(2).map((line) => {
        const cells = line.split("|").map((cell) => cell.trim())
        return {
          operation: cells[1]!,
          concurrency: Number(cells[2]),
          ratios: header.slice(3, -1).map((name, i) => ({
            name,
            cpu: { median: Number(cells[3 + i]!.split("×")[0]) }
          }))
        }
      })
      assert.strictEqual(rows.length, 4)
      assert.include(unpadded(speed), unpadded(issue16Targets(rows)))
    })
  )
})
