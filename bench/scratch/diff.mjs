// Self time per request (µs) by function (or by file), profile B minus profile A, from two .cpuprofile files
// written by drive.ts (PROF=...) over the same number of requests:
//   node bench/scratch/diff.mjs a.cpuprofile b.cpuprofile <requests> [top = 40] [fn|file]
import * as fs from "node:fs"

const [a, b, requests = "20000", top = "40", by = "fn"] = process.argv.slice(2)
const selfTimes = (file) => {
  const profile = JSON.parse(fs.readFileSync(file, "utf8"))
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const out = new Map()
  let total = 0
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id).callFrame
    const where = frame.url.replace(/^.*node_modules\//, "")
    const key =
      by === "file" ? where : `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`
    const micros = profile.timeDeltas[i] ?? 0
    out.set(key, (out.get(key) ?? 0) + micros)
    total += micros
  })
  return { out, total }
}
const A = selfTimes(a)
const B = selfTimes(b)
const n = Number(requests)
const fixed = (x) => x.toFixed(2).padStart(7)
console.log(`per request: A ${(A.total / n).toFixed(1)} µs, B ${(B.total / n).toFixed(1)} µs`)
const rows = [...new Set([...A.out.keys(), ...B.out.keys()])]
  .map((key) => [key, (A.out.get(key) ?? 0) / n, (B.out.get(key) ?? 0) / n])
  .sort((x, y) => y[2] - y[1] - (x[2] - x[1]))
for (const [key, x, y] of rows.slice(0, Number(top)))
  console.log(`${fixed(y - x)} (A ${fixed(x)}, B ${fixed(y)})  ${key}`)
