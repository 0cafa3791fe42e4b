/**
 * Every shell example of docs/cli.md, run as written (each ```sh block in
 * bash) against the built CLI: the `--fake` examples with their embedded
 * fake, the others against a loopback fake started here (PLEX_TV_URL), whose
 * server is named as in the docs. The blocks that build on each other (the
 * same configuration directory, a sign-in then its use) are one chain, run in
 * the page's order in one home directory; the chains, each in a home of its
 * own, run side by side (`chains` below: every block is in exactly one).
 * A block must succeed, and some must print what the docs say they do.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { FakePlexServer } from "effect-plex-auth/node"
import { beforeAll } from "vitest"
import { findNode22 } from "../../scripts/node22.mjs"
import { buildTimeout, packed } from "../support/packed.js"
import { it } from "../support/it.js"

const root = fileURLToPath(new URL("../..", import.meta.url))

// The CLI of the run's one build (test/support/packed.ts).
let bundled: string | undefined
beforeAll(async () => {
  const { checkout } = await packed()
  bundled = path.join(checkout, "dist", "bin", "plex-auth.js")
}, buildTimeout)

/** The ```sh blocks of a Markdown file, in order. */
const shellBlocks = (markdown: string): ReadonlyArray<string> =>
  [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!)

/** What a block must print (stdout and stderr together), found by a piece of its text. */
const expected: ReadonlyArray<readonly [string, RegExp]> = [
  ["pass show plex", /Logged in as alice \(alice@example\.com\)/],
  ["case $status", /logged in/],
  ["effect-plex-auth/token", /^the account token is in PLEX_TOKEN$/m],
  ["JSON.parse(text).username", /^alice$/m],
  ["JSON.parse(text).devices", /^\d+ Living Room TV$/m],
  ["JSON.parse(text).error.kind", /^Generic$/m],
  ["expire-pin", /exit 4/],
  ["whoami --config-dir ./with-fake-server", /^username\s+alice$/m],
  // The control API (/__fake/): the 429 with its Retry-After, the revocation, the log without the token.
  ["/__fake/revoke", /^429 30$/m],
  ["/__fake/revoke", /^\{"revoked":true\}$/m],
  ["/__fake/revoke", /^503 <redacted>\n422 <redacted>$/m]
]

/**
 * The blocks that share state (a configuration directory, the default one included, or a file), each
 * chain named by pieces of its blocks' text: a block is in the chain one of whose pieces it holds, and
 * runs after the chain's blocks above it, in their home; chains share nothing, and run side by side. A
 * block added to docs/cli.md goes into the chain of the blocks it follows on (or a new one): the test
 * fails until it is in exactly one.
 */
const chains: ReadonlyArray<ReadonlyArray<string>> = [
  ["npx plex-auth --help"],
  // --fake sign-ins in ./plex-auth-demo, then their use.
  ["./plex-auth-demo"],
  // The loopback fake: a PIN sign-in kept in ~/.plex-work.
  ["~/.plex-work"],
  // The loopback fake, the default directory: a password sign-in, then what uses its token.
  ["pass show plex", "plex-auth token transient", "case $status", "effect-plex-auth/token"],
  ["./demo"],
  // `plex-auth fake-server`, each its own (the CLI picks a free port), and its own file.
  ["fake.json"],
  ["control.json"]
]

/**
 * How long one block may run before it is killed (it fails then, saying so): a block starts the CLI up
 * to eight times, each a Node start, and a PIN sign-in with `--fake` waits a second for the CLI's fake to
 * approve it; seconds on an idle machine, many times that on a loaded 2-core one. The test's own limit
 * (`describe` below) covers every block.
 */
const blockTimeout = 120_000

const bash = (script: string, cwd: string, env: Record<string, string>) =>
  Effect.async<{ code: number | null; output: string }>((resume) => {
    const child = spawn("bash", ["-eo", "pipefail", "-c", script], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
    let killed = false
    const timer = setTimeout(() => {
      killed = true
      child.kill("SIGKILL")
    }, blockTimeout)
    child.once("close", (code) => {
      clearTimeout(timer)
      resume(
        Effect.succeed({
          code,
          output: killed ? `${output}\n(killed after ${blockTimeout / 1000} s: still running)` : output
        })
      )
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      child.kill("SIGKILL")
    })
  })

describe("docs/cli.md", { timeout: 600_000 }, () => {
  it.scopedLive("every shell example runs as written", () =>
    Effect.gen(function* () {
      const blocks = shellBlocks(
        yield* Effect.promise(() => fs.readFile(path.join(root, "docs", "cli.md"), "utf8"))
      )
      assert.isAtLeast(blocks.length, 8)
      // PINs approved at their first check: the examples against it stand for plex.tv, where the user
      // approves in the browser; how long that takes is not what they show (the `--fake` and `fake-server`
      // examples keep the CLI's own fake, which approves a second after, as this page says).
      const server = yield* FakePlexServer.make({
        servers: [{ name: "Living Room" }],
        autoApprovePins: true
      })
      const work = yield* Effect.acquireRelease(
        Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "plex-auth-docs-"))),
        (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
      )
      const bin = path.join(work, "bin")
      // The installed `plex-auth` on a Node >= 22.19 (tools/node22 where the system Node is older), where the
      // bin turns on Node's compile cache (scripts/cli-bin.ts): the example blocks start the CLI 21 times, and
      // each start after the first reads the bundle's compiled code instead of compiling 670 kB again (this
      // file: 14.5-14.9 CPU-s against 19.3-19.4 on Node 20, 2 runs each, 2026-12-06). The built bundle on
      // Node 20 (the system Node, the edition's floor) is run by plex-auth.test.ts (PIN and password sign-in,
      // not logged in, stdin closed, the wizard cancelled), cancel.test.ts (fake-server, Ctrl-C) and the
      // package tests (the installed bin); the commands the blocks run are tested in process on Node 20
      // (login, json, features, fake-server*.test.ts). The blocks' own `node -e`/`node -p` run on PATH's Node.
      // Without a Node >= 22.19 (none installed on this platform, or before `npm ci`), this Node: the blocks'
      // output is the same, only the compile cache is off.
      const node = findNode22() ?? process.execPath
      yield* Effect.promise(async () => {
        await fs.mkdir(bin)
        await fs.writeFile(
          path.join(bin, "plex-auth"),
          `#!/bin/sh\nexec ${JSON.stringify(node)} ${JSON.stringify(bundled!)} "$@"\n`,
          { mode: 0o755 }
        )
      })
      const env = (home: string): Record<string, string> => ({
        PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, ".config"),
        PLEX_TV_URL: server.plexTvUrl,
        PLEX_SERVER_URL: server.serverUrl
      })
      // What the examples take for granted: `npx` finds the installed CLI, a password manager, a consumer.
      const prelude = [
        'npx() { "$@"; }',
        "pass() { echo alice-secret-password; }",
        "some-tool() { cat >/dev/null; }",
        ""
      ].join("\n")
      // Each block in exactly one chain.
      const chainOf = blocks.map((block) =>
        chains.filter((pieces) => pieces.some((piece) => block.includes(piece)))
      )
      blocks.forEach((block, i) =>
        assert.strictEqual(
          chainOf[i]!.length,
          1,
          `this block of docs/cli.md is in ${chainOf[i]!.length} chains (test/bin/docs.test.ts \`chains\`), not one:\n${block}`
        )
      )
      const inOrder = (blocksOfChain: ReadonlyArray<string>, home: string) =>
        Effect.gen(function* () {
          yield* Effect.promise(() => fs.mkdir(home))
          for (const block of blocksOfChain) {
            const run = yield* bash(prelude + block, home, env(home))
            assert.strictEqual(run.code, 0, `this block of docs/cli.md failed:\n${block}\n---\n${run.output}`)
            assert.notInclude(run.output, "command not found", block)
            for (const [piece, pattern] of expected) {
              if (block.includes(piece)) assert.match(run.output, pattern, `${block}\n---\n${run.output}`)
            }
          }
        })
      const runs = chains.map((pieces, i) =>
        inOrder(
          blocks.filter((_, j) => chainOf[j]![0] === pieces),
          path.join(work, `home${i}`)
        )
      )
      // The exit-code example again, not logged in: its `3)` branch signs in. In a home of its own, as
      // every chain is (a new PIN and token at the fake, as a second user's would be).
      const branching = blocks.find((block) => block.includes("case $status"))!
      const fresh = path.join(work, "fresh")
      const notLoggedIn = Effect.gen(function* () {
        yield* Effect.promise(() => fs.mkdir(fresh))
        const run = yield* bash(prelude + branching, fresh, env(fresh))
        assert.strictEqual(
          run.code,
          0,
          `this block of docs/cli.md failed, not logged in:\n${branching}\n---\n${run.output}`
        )
        assert.include(run.output, "Logged in as alice", branching)
      })
      // Every chain to its end (or its first failing block): each failure said, not only the first.
      const exits = yield* Effect.all([...runs, notLoggedIn].map(Effect.exit), { concurrency: "unbounded" })
      const failures = exits.flatMap((exit) => (Exit.isFailure(exit) ? [Cause.squash(exit.cause)] : []))
      if (failures.length === 1) throw failures[0]
      if (failures.length > 1) {
        assert.fail(
          failures
            .map((failure) => (failure instanceof Error ? failure.message : String(failure)))
            .join("\n\n")
        )
      }
    })
  )
})
