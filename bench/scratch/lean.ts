/**
 * Exact esbuild gzipped bytes over the floor of both editions' bundle entries in a few seconds (Effect 4:
 * effect4/bench/bundle.ts measureEsbuild; Effect 3: scripts/bundle-budget.ts), for A/B of a change;
 * --detail also lists the library's modules' minified bytes per entry.
 *   node scripts/node22.mjs --import tsx bench/scratch/lean.ts [out.json] [--detail]
 */
import { measurePrograms, programs } from "../../scripts/bundle-budget.js"
import { measureEsbuild } from "../../effect4/bench/bundle.js"
import * as fs from "node:fs"
const detail = process.argv.includes("--detail")
const e4 = await measureEsbuild()
const out: Record<string, number> = {}
for (const [name, m] of Object.entries(e4)) {
  if (name === "baseline" || name.endsWith("Barrel")) continue
  out[`e4 ${name}`] = m.gzipped - e4.baseline.gzipped
  if (detail) {
    const ours = Object.entries(m.inputs)
      .filter(([k, v]) => v > 0 && !k.includes("node_modules"))
      .sort((a, b) => b[1] - a[1])
    console.log(`--- e4 ${name}`)
    for (const [k, v] of ours) console.log(v, k)
  }
}
const e3 = await measurePrograms(programs.filter((p) => p.kind === "baseline" || p.kind === "operation"))
const base = e3.find((m) => m.program.kind === "baseline")!.gzipped
for (const m of e3) {
  if (m.program.kind === "baseline") continue
  out[`e3 ${m.program.name}`] = m.gzipped - base
  if (detail) {
    console.log(`--- e3 ${m.program.name}`)
    for (const c of m.modules) if (!c.module.includes("node_modules")) console.log(c.bytes, c.module)
  }
}
for (const [k, v] of Object.entries(out)) console.log(k.padEnd(40), v)
if (process.argv[2] && !process.argv[2].startsWith("--"))
  fs.writeFileSync(process.argv[2], JSON.stringify(out))
