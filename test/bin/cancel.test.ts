/**
 * Ctrl-C: the CLI, built as it ships (built.ts), in a child process, is sent
 * SIGINT while it runs (`fake-server`, once it has printed where it
 * listens), and says the documented outcome (docs/cli.md: `Cancelled`, exit
 * code 130), as text or as JSON under `--json`. The built bundle rather than
 * the source run through tsx: the same process, for a fraction of the CPU
 * (a start through tsx compiled the source's modules: about 2.8 CPU-s against
 * 0.6). The same file runs on both editions:
 * effect4/test/bin/cancel.test.ts is this file with only the renames
 * test/api-parity.test.ts lists (`cancelRenames`: the CLI its comment names
 * and where the repository's root is), and that test fails if the two files
 * differ otherwise.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { afterAll, beforeAll } from "vitest"
import { builtCli, builtCliTimeout } from "./built.js"

const root = fileURLToPath(new URL("../..", import.meta.url))

// The built CLI, and a directory of this file's where it may be built (see built.ts).
let work = ""
let bin = ""
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "plex-auth-cancel-bin-"))
  bin = await builtCli(work)
}, builtCliTimeout)
afterAll(async () => {
  if (work !== "") await fs.rm(work, { recursive: true, force: true })
})

/** Runs `plex-auth ...args` until stdout matches `ready`, then sends SIGINT, as Ctrl-C would. */
const interrupted = (args: ReadonlyArray<string>, ready: RegExp) =>
  new Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>(
    (resolve, reject) => {
      void fs.mkdtemp(path.join(os.tmpdir(), "plex-auth-cancel-")).then((home) => {
        const child = spawn(process.execPath, [bin, ...args], {
          cwd: root,
          env: { PATH: process.env["PATH"] ?? "", HOME: home },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let stdout = ""
        let stderr = ""
        let sent = false
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          stdout += chunk
          if (!sent && ready.test(stdout)) {
            sent = true
            child.kill("SIGINT")
          }
        })
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
        // A loaded machine starts Node slowly; a run that never ends is killed, and the test fails on its code.
        const timer = setTimeout(() => child.kill("SIGKILL"), 45_000)
        child.once("error", reject)
        child.once("close", (code) => {
          clearTimeout(timer)
          void fs.rm(home, { recursive: true, force: true }).then(() => resolve({ code, stdout, stderr }))
        })
      }, reject)
    }
  )

describe("plex-auth, Ctrl-C", { timeout: 60_000 }, () => {
  it("says Cancelled (exit 130): as JSON under --json, as a line otherwise", async () => {
    const json = await interrupted(["fake-server", "--json"], /\n}\n/)
    assert.strictEqual(json.code, 130, json.stderr)
    assert.deepStrictEqual(JSON.parse(json.stderr), {
      error: { kind: "Cancelled", exitCode: 130, message: "Cancelled." }
    })
    const text = await interrupted(["fake-server"], /PLEX_PASSWORD=.*\n/)
    assert.strictEqual(text.code, 130, text.stderr)
    // After what fake-server says of itself on stderr, the last line.
    assert.isTrue(text.stderr.endsWith("\nplex-auth: Cancelled.\n"), text.stderr)
  })
})
