// Installs the browser the web sign-in tests drive (test/web/browser.test.ts, test/web/browserApp.test.ts,
// effect4/test/web/browserApp.test.ts): Debian's `chromium-headless-shell` package at
// /usr/bin/chromium-headless-shell, the headless-only build of Chromium (the one Playwright itself runs headless
// tests on), driven by `playwright-core` (which never downloads a browser of its own). Run by scripts/prepare.mjs,
// so `npm ci` on a fresh clone sets it up; run it alone with `node scripts/chromium.mjs`.
//
// - /usr/bin/chromium-headless-shell is there: nothing to do.
// - Missing, on Linux as root with apt-get: `apt-get update && apt-get install -y chromium-headless-shell`.
// - Otherwise: says plainly what the browser tests will do: drive Debian's full `chromium` (/usr/bin/chromium)
//   when that is installed (a developer's machine; the same tests, at more CPU), else be skipped (under CI=true
//   they fail instead). Exits 0 so that `npm ci` still succeeds.
// An install that fails is reported and exits 0 too (the tests then say what they drive, why they skip, or fail
// under CI).
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"

/** Debian's chromium-headless-shell: the browser the tests drive, and the one this script installs. */
export const headlessShellPath = "/usr/bin/chromium-headless-shell"

/** Debian's full chromium: driven by the tests when the headless shell is missing. */
export const fullChromiumPath = "/usr/bin/chromium"

/** The browser the tests drive: the headless shell, else the full chromium, else undefined (the tests skip). */
export const findChromium = () => [headlessShellPath, fullChromiumPath].find((path) => existsSync(path))

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

/** Says why the shell is not installed, and what the browser tests do instead; answers whether they can run. */
const notInstalled = (why) => {
  const fallback = findChromium()
  if (fallback !== undefined) {
    console.warn(
      `chromium: ${why}; the browser tests (test/web/*.test.ts) will drive ${fallback} instead ` +
        `(the same tests, at more CPU). Install Debian's chromium-headless-shell package (${headlessShellPath}).`
    )
    return true
  }
  console.warn(
    `chromium: ${why}; the browser tests (test/web/*.test.ts) will be SKIPPED (under CI=true they fail ` +
      `instead). Install Debian's chromium-headless-shell package (${headlessShellPath}) to run them.`
  )
  return false
}

export const ensureChromium = () => {
  if (existsSync(headlessShellPath)) {
    console.log(`chromium: ${headlessShellPath} is installed`)
    return true
  }
  if (process.platform !== "linux")
    return notInstalled(`${headlessShellPath} is missing and this is not Linux`)
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    return notInstalled(`${headlessShellPath} is missing and installing it needs root (apt-get)`)
  }
  if (spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) {
    return notInstalled(`${headlessShellPath} is missing and apt-get is not available`)
  }
  if (!run(["apt-get", "update"]) || !run(["apt-get", "install", "-y", "chromium-headless-shell"])) {
    return notInstalled("apt-get could not install chromium-headless-shell")
  }
  if (!existsSync(headlessShellPath))
    return notInstalled(`the chromium-headless-shell package did not provide ${headlessShellPath}`)
  console.log(`chromium: installed ${headlessShellPath}`)
  return true
}

if (isMain && command !== "pack" && command !== "publish") ensureChromium()
