/**
 * Runs the `plex-auth` CLI from source in a child process, as a user would:
 * arguments, environment, and answers typed on stdin when a prompt shows.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { entry } from "../../scripts/cli-bundle.js"
// The variables the CLI reads (the batch runners' list, one for every runner): a run sees only those a test sets.
import { scrubbed } from "./batchCases.js"

const root = fileURLToPath(new URL("../..", import.meta.url))

/**
 * How the CLI is started: from source through tsx, as `npm run cli` does
 * (about a second of start-up each time), or from one esbuild bundle of the
 * same source (a fifth of that): the run's one build, see {@link useBundle}.
 */
export type Runner = "tsx" | "bundle"

let bundled: string | undefined

/** `plex-auth --fake --config-dir <dir> ...args`. */
export const fake = (dir: string, args: ReadonlyArray<string>, options?: RunOptions) =>
  plexAuth(["--fake", "--config-dir", dir, ...args], options)

/** Asserts a run's exit code, showing what it printed when it differs. */
export const assertExit = (run: Run, code: number) =>
  assert.strictEqual(run.code, code, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`)

/** Asserts that no secret appears in what a run printed. */
export const noSecretIn = (run: Run, ...secrets: ReadonlyArray<string>) => {
  for (const secret of secrets) {
    assert.notInclude(run.stdout, secret)
    assert.notInclude(run.stderr, secret)
  }
}

/**
 * Sets the bundle the `bundle` runner starts (call from beforeAll): the run's one build's
 * (test/support/packed.ts: `npm run build`'s `dist/bin/plex-auth.js`), as plex-auth.test.ts does.
 */
export const useBundle = (file: string | undefined) => {
  bundled = file
}

/** What a run printed and how it ended. */
export interface Run {
  /** The exit code; `null` when the run was killed (it overran its time). */
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** An answer typed (with Enter) once stderr shows `when` after the previous answer. */
export interface Answer {
  readonly when: RegExp
  readonly answer: string
  /** Instead of the answer, Ctrl-C: the prompt's input ends (stdin does not). */
  readonly quit?: boolean | undefined
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string>> | undefined
  readonly answers?: ReadonlyArray<Answer> | undefined
  /** Close stdin at once (no terminal, no input). */
  readonly closeStdin?: boolean | undefined
  /** Killed after this long. Default 45 s (a loaded machine starts Node slowly). */
  readonly timeoutMillis?: number | undefined
  /** Default: the bundle when one is set, else tsx. */
  readonly runner?: Runner | undefined
}

/** Runs `plex-auth ...args`; interrupting the Effect kills the process. */
export const plexAuth = (args: ReadonlyArray<string>, options: RunOptions = {}): Effect.Effect<Run> =>
  Effect.async<Run>((resume) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env }
    for (const name of scrubbed) if (options.env?.[name] === undefined) delete env[name]
    const runner = options.runner ?? (bundled !== undefined ? "bundle" : "tsx")
    const command =
      runner === "bundle" && bundled !== undefined ? [bundled, ...args] : ["--import", "tsx", entry, ...args]
    const child = spawn(process.execPath, command, {
      cwd: root,
      env,
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    let seen = 0
    const pending = [...(options.answers ?? [])]
    if (options.closeStdin) child.stdin.end()
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
      const next = pending[0]
      if (next !== undefined && next.when.test(stderr.slice(seen))) {
        pending.shift()
        seen = stderr.length
        child.stdin.write(next.quit === true ? "\x03" : `${next.answer}\n`)
      }
    })
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMillis ?? 45_000)
    child.once("close", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, stdout, stderr }))
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      child.kill("SIGKILL")
    })
  })

/** A fresh configuration directory, removed when the scope closes. */
export const configDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "plex-auth-cli-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

/** The store file of a configuration directory. */
export const storeFile = (dir: string) => path.join(dir, "store.json")

/** The store's entries, or undefined when the file does not exist. */
export const readStore = (dir: string) =>
  Effect.promise(() =>
    fs
      .readFile(storeFile(dir), "utf8")
      .then((text) => ({ text, entries: JSON.parse(text) as Record<string, string> }))
      .catch(() => undefined)
  )

/** Writes a store file (mode 0600) as a previous run would have left it. */
export const writeStore = (dir: string, entries: Record<string, string>) =>
  Effect.promise(() => fs.writeFile(storeFile(dir), JSON.stringify(entries), { mode: 0o600 }))

/** The permission bits of the store file. */
export const storeMode = (dir: string) =>
  Effect.promise(() => fs.stat(storeFile(dir)).then((stat) => stat.mode & 0o777))

export const fakeTokenKey = "effect-plex-auth/fake/token"
export const clientIdKey = "effect-plex-auth/client-identifier"
