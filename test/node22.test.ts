/**
 * scripts/node22.mjs's `findNode22`: the Node >= 22.19 that the Effect 4 suite, npm test's static checks
 * (scripts/test.mjs), the docs' CLI blocks (test/bin/docs.test.ts) and the consumers' type check
 * (test/support/consumer.ts) start, or undefined where there is none, so that each of them but the Effect 4
 * suite falls back to this Node rather than starting a binary that is not there (prepare.mjs installs it only
 * on linux-x64, after `npm ci`).
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it, onTestFinished } from "vitest"
import { bundledNode, findNode22, systemNodeIsEnough } from "../scripts/node22.mjs"

describe("scripts/node22.mjs findNode22", () => {
  it("is undefined when the system Node is older and the bundled Node is missing", () => {
    const missing = path.join(os.tmpdir(), "effect-plex-auth-no-such-dir", "bin", "node")
    assert.strictEqual(findNode22(missing), systemNodeIsEnough() ? process.execPath : undefined)
  })

  it("is the bundled Node when the system Node is older and the bundled one is there", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "effect-plex-auth node22 "))
    try {
      const node = path.join(dir, "node")
      await fs.writeFile(node, "")
      assert.strictEqual(findNode22(node), systemNodeIsEnough() ? process.execPath : node)
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  })

  it("defaults to the binary scripts/prepare.mjs installs", () => {
    assert.strictEqual(findNode22(), findNode22(bundledNode))
  })
})

describe("scripts/node22.mjs as a starter", () => {
  const script = path.join(import.meta.dirname, "..", "scripts", "node22.mjs")
  const isAlive = (pid: number) => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }

  /**
   * Starts node22.mjs on a child script that prints its pid and waits (handling SIGTERM by exiting with
   * `onTerm`'s code, or not at all), sends SIGTERM to node22.mjs alone once the child is up, and returns the
   * child's pid, whether it is still running once node22.mjs has exited, and node22.mjs's exit status.
   */
  const terminate = async (onTerm: number | undefined) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "effect-plex-auth node22 "))
    let childPid: number | undefined
    try {
      const child = path.join(dir, "child.mjs")
      await fs.writeFile(
        child,
        [
          onTerm === undefined ? "" : `process.on("SIGTERM", () => process.exit(${onTerm}))`,
          "setInterval(() => {}, 1000)",
          "process.stdout.write(`${process.pid}\\n`)"
        ].join("\n")
      )
      const starter = spawn(process.execPath, [script, child], { stdio: ["ignore", "pipe", "inherit"] })
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        starter.on("exit", (code, signal) => resolve({ code, signal }))
      )
      childPid = await new Promise<number>((resolve, reject) => {
        let text = ""
        starter.stdout.on("data", (chunk: Buffer) => {
          text += chunk.toString()
          if (text.includes("\n")) resolve(Number(text.trim()))
        })
        starter.on("exit", () => reject(new Error(`node22.mjs exited before its child started: ${text}`)))
      })
      starter.kill("SIGTERM")
      const status = await exited
      return { alive: isAlive(childPid), status }
    } finally {
      if (childPid !== undefined && isAlive(childPid)) process.kill(childPid, "SIGKILL")
      await fs.rm(dir, { recursive: true, force: true })
    }
  }

  it("passes SIGTERM on to its child and ends by that signal when the child does", async () => {
    const { alive, status } = await terminate(undefined)
    assert.isFalse(alive)
    assert.deepStrictEqual(status, { code: null, signal: "SIGTERM" })
  })

  it("passes SIGINT on when it has no terminal (a supervisor, `kill -INT`), so the child stops once", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "effect-plex-auth node22 "))
    const child = path.join(dir, "child.mjs")
    // The child says when it gets a SIGINT, and how many it had when SIGTERM ends it.
    await fs.writeFile(
      child,
      [
        "let got = 0",
        'process.on("SIGINT", () => { got++; process.stdout.write("SIGINT\\n") })',
        'process.on("SIGTERM", () => { process.stdout.write(`got ${got}.\\n`, () => process.exit(0)) })',
        "setInterval(() => {}, 1000)",
        "process.stdout.write(`${process.pid}\\n`)"
      ].join("\n")
    )
    // `detached`: a session of its own, with no terminal, whatever runs this test.
    const starter = spawn(process.execPath, [script, child], {
      stdio: ["ignore", "pipe", "inherit"],
      detached: true
    })
    const pids = [starter.pid]
    // Also when the test fails (a SIGINT never passed on: the wait below ends by the test's timeout).
    onTestFinished(async () => {
      for (const pid of pids) if (pid !== undefined && isAlive(pid)) process.kill(pid, "SIGKILL")
      await fs.rm(dir, { recursive: true, force: true })
    })
    let text = ""
    const checks: Array<() => void> = []
    starter.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString()
      for (const check of checks) check()
    })
    const exited = new Promise<number | null>((resolve) => starter.on("exit", (code) => resolve(code)))
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => pattern.test(text) && resolve()
        checks.push(check)
        check()
      })
    await seen(/^\d+\n/)
    pids.push(Number(text.slice(0, text.indexOf("\n"))))
    starter.kill("SIGINT")
    await seen(/SIGINT\n/)
    // Then SIGTERM, passed on: the child has had the one SIGINT.
    starter.kill("SIGTERM")
    assert.strictEqual(await exited, 0)
    assert.include(text, "got 1.")
  })

  /** What `inTerminalForeground()` says in a process `command` and `args` start (in a session of its own). */
  const foreground = (command: string, args: (probe: Array<string>) => Array<string>) =>
    new Promise<string>((resolve, reject) => {
      const probe = [
        process.execPath,
        "--input-type=module",
        "-e",
        `import { inTerminalForeground } from ${JSON.stringify(script)}; console.log(String(inTerminalForeground()))`
      ]
      const run = spawn(command, args(probe), { stdio: ["ignore", "pipe", "inherit"], detached: true })
      let text = ""
      run.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()))
      run.on("exit", () => resolve(text.trim()))
      run.on("error", reject)
    })

  it("knows it is not in a terminal's foreground group in a session with no terminal", async () => {
    assert.strictEqual(await foreground(process.execPath, (probe) => probe.slice(1)), "false")
  })

  // util-linux's `script` (Debian's essential bsdutils) runs the probe on a terminal of its own, in its foreground.
  it.runIf(existsSync("/usr/bin/script"))("knows it is in the foreground group of a terminal", async () => {
    const quoted = (probe: Array<string>) => probe.map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(" ")
    const out = await foreground("/usr/bin/script", (probe) => ["-qec", quoted(probe), "/dev/null"])
    assert.strictEqual(out, "true")
  })

  it("exits with its child's code when the child handles the signal", async () => {
    const { alive, status } = await terminate(130)
    assert.isFalse(alive)
    assert.deepStrictEqual(status, { code: 130, signal: null })
  })
})
