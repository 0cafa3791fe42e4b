// Installs the browser the web sign-in tests drive (test/web/*.test.ts): Debian's `chromium` package at
// /usr/bin/chromium, driven by `playwright-core` (which never downloads a browser of its own). Run by
// scripts/prepare.mjs, so `npm ci` on a fresh clone sets it up; run it alone with `node scripts/chromium.mjs`.
//
// - /usr/bin/chromium is there: nothing to do.
// - Missing, on Linux as root with apt-get: `apt-get update && apt-get install -y chromium`.
// - Otherwise: says plainly that the browser tests will be skipped (under CI=true they fail instead),
//   and exits 0 so that `npm ci` still succeeds.
// An install that fails is reported and exits 0 too (the tests then say why they skip, or fail under CI).
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"

/** Where the tests look for Chromium. */
export const chromiumPath = "/usr/bin/chromium"

const command = process.env.npm_command
const isMain = import.meta.url === `file://${process.argv[1]}`

const run = (args) => {
  console.log(`chromium: ${args.join(" ")}`)
  const result = spawnSync(args[0], args.slice(1), {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  })
  return result.status === 0
}

const skipped = (why) =>
  console.warn(
    `chromium: ${why}; the browser tests (test/web/*.test.ts) will be SKIPPED ` +
      `(under CI=true they fail instead). Install Debian's chromium package (${chromiumPath}) to run them.`
  )

export const ensureChromium = () => {
  if (existsSync(chromiumPath)) {
    console.log(`chromium: ${chromiumPath} is installed`)
    return true
  }
  if (process.platform !== "linux")
    return (skipped(`${chromiumPath} is missing and this is not Linux`), false)
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    return (skipped(`${chromiumPath} is missing and installing it needs root (apt-get)`), false)
  }
  if (spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) {
    return (skipped(`${chromiumPath} is missing and apt-get is not available`), false)
  }
  if (!run(["apt-get", "update"]) || !run(["apt-get", "install", "-y", "chromium"])) {
    return (skipped("apt-get could not install chromium"), false)
  }
  if (!existsSync(chromiumPath))
    return (skipped(`the chromium package did not provide ${chromiumPath}`), false)
  console.log(`chromium: installed ${chromiumPath}`)
  return true
}

if (isMain && command !== "pack" && command !== "publish") ensureChromium()
