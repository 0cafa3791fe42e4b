#!/usr/bin/env node
// `npm test`: every check of both editions. The static checks are independent of each other and each
// runs on one core, so they run side by side (as many at once as there are cores), each one's output
// printed in one piece when it ends. From when a core has no static check left to run, the two vitest
// suites run side by side: the Effect 3 edition's (its output shown as it runs) and the Effect 4
// edition's (one worker; its output printed in one piece when it ends). The Effect 3 suite leaves a core
// idle a good part of its run (its CLI, npm and tsc tests wait for child processes, its PIN logins for
// the fake to approve): the Effect 4 suite runs in that time instead of after it. Every step runs even
// when an earlier one failed (one run shows every problem); the exit code is 1 when any failed. Plain
// Node (no tsx) so that it starts at once.
//
// The package builds the Effect 3 suite's packaging and CLI tests need (both editions), and whose
// Effect 4 CLI bundle the Effect 4 suite's CLI process tests start, begin first, beside the static checks
// (see `packedDir` below).
//
//   node scripts/test.mjs            everything (npm test)
//   node scripts/test.mjs --static   only the static checks
//   node scripts/test.mjs --cpu      also the CPU time of each step (Linux: scripts/cputime.py)
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { availableParallelism, tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { bundledNode, findNode22 } from "./node22.mjs"

const root = fileURLToPath(new URL("..", import.meta.url))
/**
 * The Node >= 22.19 that scripts/node22.mjs would start (the system Node when new enough, else the one
 * scripts/prepare.mjs installed), started directly: node22.mjs is a Node process of its own (about 0.1 CPU-s)
 * that only starts it. Undefined where there is none (prepare.mjs installs one only on linux-x64, and only
 * once `npm ci` ran): then the static checks run on this Node as `npm run typecheck` and `npm run docs:check`
 * do (the same checks), and the Effect 4 suite through scripts/node22.mjs, which says why it cannot run and
 * fails; a missing Node 22 does not fail the Effect 3 edition's checks too.
 */
const node22Path = findNode22()
const node22 = node22Path === undefined ? undefined : JSON.stringify(node22Path)
if (node22 === undefined) {
  console.error(
    `node22: no Node >= 22.19 found (system Node is ${process.versions.node}, ${bundledNode} is missing); run npm ci`
  )
}
// The project's binaries, as under `npm run` (for `node scripts/test.mjs` run directly).
const env = {
  ...process.env,
  PATH: [path.join(root, "node_modules", ".bin"), process.env.PATH].filter(Boolean).join(path.delimiter)
}

/**
 * The static checks: the npm scripts of the same names (with the flags and environment said below),
 * longest first (measured CPU-s on the loaded 2-core machine, 2026-12-06: the two typechecks about 17,
 * docgen about 13, the lint and the formatting under half a second each), so that the last ones to start
 * are short.
 */
const staticChecks = [
  // Each edition's project and the documentation's examples, each in one TypeScript 7 program: tsconfig.json
  // (`npm run typecheck`), then effect4/tsconfig.json and its examples (effect4/src JSDoc, ```ts effect4
  // blocks; `--edition 4`), one after the other in one Node process (`--edition 3,4`: Node, tsx and
  // TypeScript 5.9 load once, where a step per edition loaded them twice), run by Node 22 (the Effect 4
  // edition's), which strips the script's types itself: under Node 20 and tsx (`node --import tsx`, as
  // `npm run typecheck` runs it) loading tsx took about 0.45 CPU-s more (an empty .ts file: 0.63-0.76
  // against 0.19-0.24 CPU-s). So scripts/check-docs.ts keeps to the TypeScript syntax Node can strip
  // (no enums, namespaces or parameter properties); if it did not, this step would fail.
  // --no-run-examples: the JSDoc examples are type-checked here and run by the vitest suite
  // (test/jsdoc.test.ts), where Effect and the library are loaded already: run here, under tsx, they took
  // about 4 CPU-s more (the Effect 3 step 14.2 and 17.1 against 9.2 and 10.3 CPU-s; the test file about 0.4 more).
  ["typecheck", `${node22 ?? "node --import tsx"} scripts/check-docs.ts --edition 3,4 --no-run-examples`],
  // The API reference: @effect/docgen checks every export's @since and parses every module. Its examples
  // step (a second type check of the JSDoc examples, then a run of them) is left out: the typecheck above
  // type-checks the same examples in its one program, and the vitest suite runs them (test/jsdoc.test.ts).
  // Run by Node 22 (as the typecheck above), not the system Node 20 that `npm run docs:check` uses: the same
  // API reference, byte for byte, and the same failures (a missing @since fails it), for less CPU (TypeScript
  // 5.5's program and Prettier, both inside docgen, on Node 22's V8): 11.4-14.5 against 12.2-15.3 CPU-s,
  // 0.8-1.3 less in each of four interleaved pairs on the loaded 2-core machine (less in 6 of 7 pairs in
  // all); less loaded (load average 5), 11.4-11.9 against 11.7-12.5, three pairs: -0.9, -0.5, +0.25.
  [
    "docs:check",
    node22 === undefined ? "docgen" : `${node22} node_modules/@effect/docgen/bin.cjs`,
    { DOCGEN_RUN_EXAMPLES: "false" }
  ],
  // The lint (the first half of `npm run lint`): oxlint, a native linter, with .oxlintrc.json (the rules ESLint
  // with typescript-eslint had, test/lint.test.ts); under half a CPU-second for the whole tree, hence last.
  // --deny-warnings: a warning fails it (ESLint's --max-warnings 0).
  ["oxlint", "oxlint --deny-warnings"],
  // The formatting (the second half of `npm run lint`): oxfmt, a native formatter that formats as Prettier
  // does, with .oxfmtrc.jsonc; about 0.4 CPU-s for the whole tree (Prettier took about 20).
  ["oxfmt", "oxfmt --check"]
]

/**
 * The vitest suites, run side by side: the first shows its output as it runs, the others when they end.
 * Each with the folder it runs in: the Effect 4 edition's is effect4/'s `npm test` command, run there
 * without npm (`npm test -s -w effect4` started npm first: about 0.3 CPU-s) and without
 * scripts/node22.mjs (its Node 20 process took 0.21-0.29 CPU-s to start the Node 22 that the command
 * here starts directly, 0.06-0.08).
 */
const suites = [
  ["vitest", "vitest run", "."],
  ["effect4 tests", `${node22 ?? "node ../scripts/node22.mjs"} node_modules/vitest/vitest.mjs run`, "effect4"]
]

const seconds = (start) => `${((performance.now() - start) / 1000).toFixed(1)} s`

const cpu = process.argv.includes("--cpu")
const cpuDir = cpu ? mkdtempSync(path.join(tmpdir(), "npm-test-cpu-")) : ""
/**
 * --cpu: each step run by scripts/cputime.py (Python 3, Linux), which counts the CPU time of every process
 * the step started, those it left running included (esbuild's service process: /usr/bin/time, used before,
 * counts only the processes their parents waited for, and left out, e.g., about half of test/bundle.test.ts's).
 * Without python3, /usr/bin/time as before, said once.
 */
const python = cpu && spawnSync("python3", ["--version"]).status === 0
if (cpu && !python) {
  console.error("--cpu: no python3: CPU times by /usr/bin/time, without the processes a step leaves running")
}
const cpuCommand = (file, command) =>
  python
    ? `python3 ${JSON.stringify(path.join(root, "scripts", "cputime.py"))} ${JSON.stringify(file)} ${command}`
    : `/usr/bin/time -f "%U %S" -o ${JSON.stringify(file)} ${command}`
/** What cputime.py (or /usr/bin/time) wrote: `, CPU u s user + s s system` (and what of it was left running). */
const cpuTime = (file) => {
  const [user, system, leftUser, leftSystem, left, running] = readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .at(-1)
    .split(" ")
    .map(Number)
  const leftOver =
    left > 0
      ? ` (${(leftUser + leftSystem).toFixed(1)} s of it in ${left} process(es) left running when it ended)`
      : ""
  const still = running > 0 ? ` (${running} process(es) still running 10 s after it ended, not counted)` : ""
  return `, CPU ${user.toFixed(1)} s user + ${system.toFixed(1)} s system${leftOver}${still}`
}

/**
 * Runs a command through the shell (npm put node_modules/.bin on PATH), with `extraEnv` added to its
 * environment, in the folder `cwd` (relative to the project's); `buffer`: print its output once done.
 */
const run = (name, command, buffer, extraEnv = {}, cwd = ".") =>
  new Promise((resolve) => {
    const start = performance.now()
    // --cpu: the CPU time of each step (user and system, every process it started included), by cputime.py.
    const cpuFile = cpu ? path.join(cpuDir, `${name.replace(/\W+/g, "-")}.txt`) : undefined
    const child = spawn(cpuFile === undefined ? command : cpuCommand(cpuFile, command), {
      cwd: path.join(root, cwd),
      env: { ...env, ...extraEnv },
      shell: true,
      stdio: buffer ? ["ignore", "pipe", "pipe"] : "inherit"
    })
    let output = ""
    child.stdout?.on("data", (chunk) => (output += chunk))
    child.stderr?.on("data", (chunk) => (output += chunk))
    child.on("close", (code, signal) => {
      const ok = code === 0
      const status = ok ? "ok" : `FAILED (${signal ?? `exit ${code}`})`
      if (buffer) process.stdout.write(`\n> ${name}: ${command}\n${output}`)
      const used = cpuFile === undefined ? "" : cpuTime(cpuFile)
      console.log(`> ${name}: ${status} in ${seconds(start)}${used}`)
      resolve({ name, ok })
    })
  })

/** Runs the tasks, at most `limit` at a time; `onIdle` is called when the first runner finds none left. */
const pool = async (tasks, limit, onIdle = () => {}) => {
  const results = []
  const queue = [...tasks]
  const worker = async () => {
    for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
      results.push(await run(task[0], task[1], true, task[2]))
    }
    onIdle()
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker))
  return results
}

const start = performance.now()
const suitesToo = !process.argv.includes("--static")
// The package builds and tarballs of both editions that the Effect 3 suite's packaging, bundle and CLI
// tests use (test/support/build.ts) start at once, beside the static checks, rather than when vitest
// starts: the files that need them then find them ready, or nearly. The suites are told where (the Effect
// 3 suite's global setup waits for these builds instead of starting its own; the Effect 4 suite's CLI
// process tests start the Effect 4 build's bundle, effect4/test/bin/built.ts, instead of bundling the CLI
// again); the directory is removed at the end.
const packedDir = suitesToo ? mkdtempSync(path.join(tmpdir(), "effect-plex-auth-package-")) : undefined
const buildResult =
  packedDir === undefined
    ? Promise.resolve([])
    : // `node --import tsx`: one Node process, where the tsx command starts two.
      run(
        "shared package builds",
        `node --import tsx test/support/build.ts ${JSON.stringify(packedDir)}`,
        true
      ).then((result) => [result])
// The suites start as soon as a core has no static check left to run (the last checks still running
// beside them), rather than once every check has ended: the core would be idle meanwhile.
let coreFree = () => {}
const free = new Promise((resolve) => (coreFree = resolve))
const staticResults = pool(staticChecks, Math.max(availableParallelism(), 1), () => coreFree())
const suiteResults = suitesToo
  ? free.then(() =>
      Promise.all(
        suites.map(([name, command, cwd], index) =>
          run(name, command, index > 0, { EFFECT_PLEX_AUTH_PACKED_DIR: packedDir }, cwd)
        )
      )
    )
  : Promise.resolve([])
const results = [...(await staticResults), ...(await buildResult), ...(await suiteResults)]
if (packedDir !== undefined) rmSync(packedDir, { recursive: true, force: true })
if (cpu) rmSync(cpuDir, { recursive: true, force: true })
const failed = results.filter((result) => !result.ok).map((result) => result.name)
console.log(
  `\n${failed.length === 0 ? "All checks passed" : `FAILED: ${failed.join(", ")}`} (${seconds(start)} in all)`
)
process.exit(failed.length === 0 ? 0 : 1)
