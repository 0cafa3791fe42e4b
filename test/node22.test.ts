/**
 * scripts/node22.mjs's `findNode22`: the Node >= 22.19 that the Effect 4 suite, npm test's static checks
 * (scripts/test.mjs), the docs' CLI blocks (test/bin/docs.test.ts) and the consumers' type check
 * (test/support/consumer.ts) start, or undefined where there is none, so that each of them but the Effect 4
 * suite falls back to this Node rather than starting a binary that is not there (prepare.mjs installs it only
 * on linux-x64, after `npm ci`).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
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

  it("does not pass SIGINT on (Ctrl-C reaches the child from the terminal), and waits for the child", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "effect-plex-auth node22 "))
    let childPid: number | undefined
    try {
      const child = path.join(dir, "child.mjs")
      // The child says which signals it got when SIGTERM ends it.
      await fs.writeFile(
        child,
        [
          "const got = []",
          'process.on("SIGINT", () => got.push("SIGINT"))',
          'process.on("SIGTERM", () => { process.stdout.write(`got ${got.join(",")}.\\n`, () => process.exit(0)) })',
          "setInterval(() => {}, 1000)",
          "process.stdout.write(`${process.pid}\\n`)"
        ].join("\n")
      )
      const starter = spawn(process.execPath, [script, child], { stdio: ["ignore", "pipe", "inherit"] })
      let text = ""
      const exited = new Promise<number | null>((resolve) => starter.on("exit", (code) => resolve(code)))
      childPid = await new Promise<number>((resolve) => {
        starter.stdout.on("data", (chunk: Buffer) => {
          text += chunk.toString()
          if (/^\d+\n/.test(text)) resolve(Number(text.slice(0, text.indexOf("\n"))))
        })
      })
      // SIGINT to the starter alone, then SIGTERM: the SIGTERM passed on ends the child, which has had no SIGINT.
      starter.kill("SIGINT")
      starter.kill("SIGTERM")
      assert.strictEqual(await exited, 0)
      assert.include(text, "got .")
    } finally {
      if (childPid !== undefined && isAlive(childPid)) process.kill(childPid, "SIGKILL")
      await fs.rm(dir, { recursive: true, force: true })
    }
  })

  it("exits with its child's code when the child handles the signal", async () => {
    const { alive, status } = await terminate(130)
    assert.isFalse(alive)
    assert.deepStrictEqual(status, { code: 130, signal: null })
  })
})
