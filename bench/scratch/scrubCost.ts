/**
 * CPU time of core/redact `scrub` on an 8 MB body that echoes secrets that repeat themselves (the case where
 * searching on from each match's next character cost the secret's length at every character), and on common
 * cases, min of 3 runs each (process.cpuUsage, user+sys):
 *   node scripts/node22.mjs --import tsx bench/scratch/scrubCost.ts
 */
import { scrub } from "../../src/core/redact.js"

const body = (unit: string) => unit.repeat(Math.ceil(8_000_000 / unit.length)).slice(0, 8_000_000)
const cases: Array<[string, string, ReadonlyArray<string>, number]> = [
  ["'a'x64 in 'a'x8M", body("a"), ["a".repeat(64)], 1],
  ["'ab'x32 in 'ab'x4M", body("ab"), ["ab".repeat(32)], 1],
  ["'a'x256 in 'a'x8M", body("a"), ["a".repeat(256)], 1],
  ["'a'x255+'b' in itself repeated", body("a".repeat(255) + "b"), ["a".repeat(255) + "b"], 1],
  ["'a'x64 in ('a'x100+'b') repeated", body("a".repeat(100) + "b"), ["a".repeat(64)], 1],
  ["20-char token in itself repeated", body("Xy7Kq2Lm9Pz4Rt6Vw8Nb"), ["Xy7Kq2Lm9Pz4Rt6Vw8Nb"], 1],
  [
    "token twice in 8 MB of text",
    body("lorem ipsum dolor sit amet ").slice(0, 4_000_000) +
      "Xy7Kq2Lm9Pz4Rt6Vw8Nb" +
      body("lorem ipsum ").slice(0, 4_000_000) +
      "Xy7Kq2Lm9Pz4Rt6Vw8Nb",
    ["Xy7Kq2Lm9Pz4Rt6Vw8Nb", "pw"],
    1
  ],
  [
    "100k short messages",
    "sign-in failed for user bob: password s3cret! was refused (code 1029)",
    ["s3cret!", "Xy7Kq2Lm9Pz4Rt6Vw8Nb"],
    100_000
  ]
]
for (const [name, text, secrets, times] of cases) {
  const runs: Array<number> = []
  for (let r = 0; r < 3; r++) {
    const start = process.cpuUsage()
    for (let i = 0; i < times; i++) scrub(text, secrets)
    const used = process.cpuUsage(start)
    runs.push(Math.round((used.user + used.system) / 1000))
  }
  console.log(name.padEnd(40), `${Math.min(...runs)} ms (runs ${runs.join(", ")})`)
}
