// Runs as the root `prepare` script, so `npm ci` on a fresh clone gets everything `npm test` needs:
// a Node >= 22.19 for the Effect 4 edition (Effect 4's floor), from the npm registry, into
// tools/node22/node_modules (never the root's node_modules/.bin, so every other script keeps the
// system Node, the Effect 3 edition's floor). Skipped for `npm pack`/`npm publish`, where `prepare`
// also runs, and where the system Node is new enough or the platform has no such package.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { systemNodeIsEnough, bundledNode } from "./node22.mjs"

const command = process.env.npm_command
if (command === "pack" || command === "publish") process.exit(0)

const dir = fileURLToPath(new URL("../tools/node22", import.meta.url))
if (systemNodeIsEnough()) {
  console.log(`prepare: Node ${process.versions.node} runs the Effect 4 edition as it is`)
} else if (process.platform !== "linux" || process.arch !== "x64") {
  console.warn(
    `prepare: Node ${process.versions.node} is older than 22.19 and no Node 22 package is set up for ` +
      `${process.platform}-${process.arch}; install Node >= 22.19 to run the Effect 4 edition's tests`
  )
} else if (!existsSync(bundledNode)) {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm"
  const result = spawnSync(npm, ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], {
    cwd: dir,
    stdio: "inherit"
  })
  if (result.status !== 0) process.exit(result.status ?? 1)
  console.log("prepare: Node 22 for the Effect 4 edition installed in tools/node22")
}
;(await import("./chromium.mjs")).ensureChromium() // Debian's chromium-headless-shell for test/web/*.test.ts, when it can be installed
