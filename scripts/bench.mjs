// `npm run bench`: the Effect 3 edition's benchmarks (bench/index.ts, on this Node), then the Effect 4
// edition's (effect4/bench/index.ts, on a Node >= 22.19 found by scripts/node22.mjs). Arguments go to both
// (--quick, --no-write); --only=... is the Effect 3 benchmarks' own and skips the Effect 4 run.
import { spawnSync } from "node:child_process"

const args = process.argv.slice(2)
const run = (command, argv) => {
  const result = spawnSync(command, argv, { stdio: "inherit" })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
run(process.execPath, ["--expose-gc", "--import", "tsx", "bench/index.ts", ...args])
if (!args.some((arg) => arg.startsWith("--only="))) {
  run(process.execPath, [
    "scripts/node22.mjs",
    "--expose-gc",
    "--import",
    "tsx",
    "effect4/bench/index.ts",
    ...args
  ])
}
