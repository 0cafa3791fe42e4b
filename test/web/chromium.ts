/**
 * The browser the Chromium tests drive (test/web/browser.test.ts, test/web/browserApp.test.ts,
 * effect4/test/web/browserApp.test.ts), as scripts/chromium.mjs (run by `npm ci`) picks it: Debian's
 * chromium-headless-shell, the headless-only build (Playwright's own for headless runs: no window, address bar or
 * other browser UI to run beside the pages); else Debian's full chromium (a developer's machine without the shell),
 * the same tests at more CPU; else none, and the tests are skipped with a plain message (under `CI=true` they fail
 * instead). Each test file says which it drives or why it skips, once.
 */
import { findChromium, fullChromiumPath, headlessShellPath } from "../../scripts/chromium.mjs"

const found = findChromium()

/** Whether there is a browser to drive. */
export const available = found !== undefined

/** The browser's executable (when neither is installed, the shell's path, never launched: the tests are skipped). */
export const CHROMIUM = found ?? headlessShellPath

const install =
  "Install Debian's chromium-headless-shell package: `node scripts/chromium.mjs` as root (npm ci runs it)."

/** Says once, for `file`, when its tests drive the full chromium (the shell is missing) or are skipped. */
export const warnIfMissing = (file: string) => {
  if (!available) {
    console.warn(
      `${file}: ${headlessShellPath} and ${fullChromiumPath} are missing, so the browser tests are SKIPPED. ${install}`
    )
  } else if (CHROMIUM !== headlessShellPath) {
    console.warn(
      `${file}: ${headlessShellPath} is missing, so the browser tests drive ${CHROMIUM} (more CPU). ${install}`
    )
  }
}

/** The failure under `CI=true` when there is no browser: the tests never skip there. */
export const missingUnderCi =
  `${headlessShellPath} (or ${fullChromiumPath}) is missing under CI=true: ` +
  "scripts/chromium.mjs (run by npm ci) should install it"
