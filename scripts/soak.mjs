// `npm run bench:soak`: the memory soak of the Effect 3 edition (bench/soak.ts, on this Node), then the Effect 4
// edition's (effect4/bench/soak.ts, on a Node >= 22.19 found by scripts/node22.mjs). Arguments go to both
// (--scale=0.5, --only=getTokenDetails,webSignIn, --snapshot). Not part of `npm test`.
import { spawnSync } from "node:child_process"

const args = process.argv.slice(2)
const run = (command, argv) => {
  const result = spawnSync(command, argv, { stdio: "inherit" })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
run(process.execPath, ["--expose-gc", "--import", "tsx", "bench/soak.ts", ...args])
run(process.execPath, [
  "scripts/node22.mjs",
  "--expose-gc",
  "--import",
  "tsx",
  "effect4/bench/soak.ts",
  ...args
])
