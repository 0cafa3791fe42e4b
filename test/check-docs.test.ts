/**
 * scripts/check-docs.ts (`npm run typecheck`, both editions), run on a small project laid out like
 * this one (`--root`): its src/, its docs/ Markdown and its JSDoc examples, and an effect4/ edition.
 * Each fixture exists in a clean and a broken variant (the same lines, one changed each), so that the
 * broken one proves an error is caught and reported at its place in the original file, in a src file
 * (as tsc prints it), a Markdown example and a JSDoc example, for each edition; the clean one that
 * the check passes (a top-level declaration an example never reads is allowed, a ```ts no-check block
 * is skipped) and runs the JSDoc examples. The check runs on TypeScript 7 (`typescript-7`), as the
 * build does; TypeScript 5.9 (`typescript`) is only parsed with. Most tests call the check in this
 * process (`checkDocs`); one runs the command itself (a clean project, both editions with
 * `--edition 3,4`, the Effect 3 edition's JSDoc examples run, from a copy of the script beside a linked
 * node_modules). The command from this project's scripts/ on this project is `npm run typecheck`, and
 * with `--edition 3,4` one of npm test's static checks.
 */
import { mkdirSync, mkdtempSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { type CheckOptions, checkDocs } from "../scripts/check-docs.js"
import { root, run } from "./support/build.js"
import { it } from "./support/it.js"

/**
 * The fixture projects live under this project's .tmp/ (git-ignored), so that node_modules are found; in a folder
 * of this run's own, so that two runs in one checkout (two vitest processes) do not write each other's fixtures.
 */
mkdirSync(path.join(root, ".tmp"), { recursive: true })
const base = mkdtempSync(path.join(root, ".tmp", "check-docs-test-"))
afterAll(() => fs.rm(base, { recursive: true, force: true }))

/** One of the two lines: the broken variant's or the clean one's. */
const pick = (broken: boolean, bad: string, good: string) => (broken ? bad : good)

/** A module of an edition's src/: `double`, `triple`, a JSDoc example, and a line that may be broken. */
const sourceModule = (pkg: string, broken: boolean) => `/**
 * Doubles a number.
 *
 * @example
 * \`\`\`ts
 * import { double } from "${pkg}"
 *
 * const four = double(2)
 * console.log(\`example ran: \${four}\`)
${pick(broken, " * const bad: (n: string) => number = double", " * const bad: (n: number) => number = double")}
 * \`\`\`
 *
 * @since 0.1.0
 */
export const double = (n: number): number => n * 2

export const triple = (n: number): number => n * 3

${pick(broken, 'export const broken: number = "src"', "export const broken: number = 0")}
`

const guide = (broken: boolean) => `# Guide

The Effect 4 edition's own example:

\`\`\`ts effect4
import { double } from "effect4-plex-auth"
${pick(broken, "const e4: string = double(3)", "const e4: number = double(3)")}
\`\`\`

1. A step, its example indented in the list item (the Effect 4 edition reads it with its imports renamed):

   \`\`\`ts
   ${pick(broken, 'import { double, triple } from "effect-plex-auth"', 'import { double } from "effect-plex-auth"')}
   ${pick(broken, "const wrong: string = double(2)", "const right: number = double(2)")}
   \`\`\`

\`\`\`ts no-check
const skipped: number = "never checked"
\`\`\`
`

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

/** Writes a fixture project (both editions) and returns its directory. */
const fixture = async (name: string, broken: boolean): Promise<string> => {
  const dir = path.join(base, name)
  await fs.rm(dir, { recursive: true, force: true })
  const files: Record<string, string> = {
    "package.json": json({ name: "fixture", private: true, type: "module" }),
    "docgen.json": json({ srcDir: "src", exclude: ["src/index.ts"] }),
    "tsconfig.base.json": json({
      compilerOptions: {
        target: "ES2022",
        lib: ["ES2022", "DOM"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noUnusedLocals: true,
        noUnusedParameters: true,
        verbatimModuleSyntax: true,
        skipLibCheck: true
      }
    }),
    "tsconfig.json": json({
      extends: "./tsconfig.base.json",
      compilerOptions: {
        noEmit: true,
        types: [],
        paths: { "effect-plex-auth": ["./src/index.ts"], "effect-plex-auth/*": ["./src/*.ts"] }
      },
      include: ["src"]
    }),
    "src/index.ts": 'export { double, triple } from "./Double.js"\n',
    "src/Double.ts": sourceModule("effect-plex-auth", broken),
    "docs/guide.md": guide(broken),
    "effect4/package.json": json({ name: "fixture4", private: true, type: "module" }),
    "effect4/tsconfig.json": json({
      extends: "../tsconfig.base.json",
      compilerOptions: {
        noEmit: true,
        types: [],
        paths: { "effect4-plex-auth": ["./src/index.ts"], "effect4-plex-auth/*": ["./src/*.ts"] }
      },
      include: ["src"]
    }),
    "effect4/src/index.ts": 'export { double, triple } from "./Double.js"\n',
    "effect4/src/Double.ts": sourceModule("effect4-plex-auth", broken)
  }
  for (const [file, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true })
    await fs.writeFile(path.join(dir, file), text)
  }
  return dir
}

/**
 * Runs the check on a fixture in this process (`checkDocs`, what the command runs): no Node start, tsx
 * and TypeScript 5.9 load per run (about a second of CPU each). The JSDoc examples are not run here
 * (`runExamples: false`): imported in vitest, `effect-plex-auth` would resolve to this project's src/
 * (vitest.config.ts's aliases), not the fixture's. The command itself, examples run, is `command`'s.
 */
const check = (dir: string, options: Omit<CheckOptions, "root"> = {}) =>
  Effect.promise(() => checkDocs({ root: dir, runExamples: false, ...options }))

/**
 * Runs the command on a fixture under tsx, as `npm run typecheck` does, from the fixture's directory:
 * `script` is this project's scripts/check-docs.ts or a copy of it.
 */
const command = (
  dir: string,
  script = path.join(root, "scripts", "check-docs.ts"),
  args: ReadonlyArray<string> = []
) =>
  Effect.promise(() =>
    // tsx in the same process (its command starts two): found from the fixture, inside this project.
    run(process.execPath, ["--import", "tsx", script, "--root", dir, ...args], dir, 60_000)
  )

/** `file:line:column` of the first occurrence of `needle` in a fixture file (1-based). */
const at = async (dir: string, file: string, needle: string) => {
  const lines = (await fs.readFile(path.join(dir, file), "utf8")).split("\n")
  const index = lines.findIndex((line) => line.includes(needle))
  assert.isAtLeast(index, 0, `${needle} in ${file}`)
  return { line: index + 1, column: lines[index]!.indexOf(needle) + 1 }
}
/** How the check reports an error in an example: `file:line:column - error TSn: message`. */
const reported = async (dir: string, file: string, needle: string, error: string) => {
  const { column, line } = await at(dir, file, needle)
  return `${file}:${line}:${column} - ${error}`
}
/** How tsc prints an error of the project: `file(line,column): error TSn: message`. */
const printed = async (dir: string, file: string, needle: string, error: string) => {
  const { column, line } = await at(dir, file, needle)
  return `${file}(${line},${column}): ${error}`
}
/** The lines of the output that locate an error (either form), in order. */
const errorLines = (output: string) =>
  output.split("\n").filter((line) => /^\S+(:\d+:\d+ - |\(\d+,\d+\): )error TS\d+/.test(line))

const notString = "error TS2322: Type 'number' is not assignable to type 'string'."
const notNumber = "error TS2322: Type 'string' is not assignable to type 'number'."
const unusedTriple = "error TS6133: 'triple' is declared but its value is never read."
const badFunction =
  "error TS2322: Type '(n: number) => number' is not assignable to type '(n: string) => number'.\n" +
  "  Types of parameters 'n' and 'n' are incompatible.\n" +
  "    Type 'string' is not assignable to type 'number'.\n" +
  "    const bad: (n: string) => number = double"
const portedNote = "(in this Effect 3 example read as the Effect 4 edition's, imports renamed"

describe.concurrent("scripts/check-docs.ts", { timeout: 90_000 }, () => {
  it.effect("Effect 3 edition: the errors of src, a Markdown and a JSDoc example, each at its place", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.promise(() => fixture("broken-3", true))
      const result = yield* check(dir)
      assert.strictEqual(result.code, 1, result.stdout + result.stderr)
      const expected = yield* Effect.promise(async () => [
        await printed(dir, "src/Double.ts", 'broken: number = "src"', notNumber),
        await reported(dir, "docs/guide.md", "triple }", unusedTriple),
        await reported(dir, "docs/guide.md", "wrong: string", notString),
        await reported(dir, "src/Double.ts", "bad: (n: string)", badFunction.split("\n")[0]!)
      ])
      assert.deepStrictEqual(errorLines(result.stderr), expected, result.stderr)
      // The message's chain, then the line of the example.
      assert.include(result.stderr, badFunction)
      assert.include(result.stderr, "    const wrong: string = double(2)")
      assert.include(result.stderr, "1 error(s) in the project (tsconfig.json).")
      assert.include(result.stderr, "3 error(s) in documentation examples (2 blocks from 2 files).")
      assert.notInclude(result.stdout + result.stderr, "example ran")
    })
  )

  it.effect("Effect 4 edition: the same, with the Effect 3 Markdown example read as Effect 4's", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.promise(() => fixture("broken-4", true))
      const result = yield* check(dir, { edition: 4 })
      assert.strictEqual(result.code, 1, result.stdout + result.stderr)
      const expected = yield* Effect.promise(async () => [
        await printed(dir, "effect4/src/Double.ts", 'broken: number = "src"', notNumber),
        await reported(dir, "docs/guide.md", "e4: string", notString),
        await reported(dir, "docs/guide.md", "triple }", unusedTriple),
        await reported(dir, "docs/guide.md", "wrong: string", notString),
        await reported(dir, "effect4/src/Double.ts", "bad: (n: string)", badFunction.split("\n")[0]!)
      ])
      assert.deepStrictEqual(errorLines(result.stderr), expected, result.stderr)
      assert.include(result.stderr, `    const wrong: string = double(2)\n    ${portedNote}`)
      assert.include(result.stderr, "    const e4: string = double(3)\n")
      assert.notInclude(result.stderr, `double(3)\n    ${portedNote}`)
      assert.include(result.stderr, badFunction)
      assert.include(result.stderr, "4 error(s) in documentation examples (3 blocks from 2 files).")
    })
  )

  it.effect("--docs-only: the examples' errors, and those of the src files they import", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.promise(() => fixture("broken-docs-only", true))
      const result = yield* check(dir, { docsOnly: true })
      assert.strictEqual(result.code, 1, result.stdout + result.stderr)
      const expected = yield* Effect.promise(async () => [
        await printed(dir, "src/Double.ts", 'broken: number = "src"', notNumber),
        await reported(dir, "docs/guide.md", "triple }", unusedTriple),
        await reported(dir, "docs/guide.md", "wrong: string", notString),
        await reported(dir, "src/Double.ts", "bad: (n: string)", badFunction.split("\n")[0]!)
      ])
      assert.deepStrictEqual(errorLines(result.stderr), expected, result.stderr)
    })
  )

  it.effect(
    "a clean project passes, both editions by one command (--edition 3,4, as npm test runs it): the Effect 3 edition's JSDoc examples run; node_modules reached through a link, the check finds TypeScript 7",
    () =>
      Effect.gen(function* () {
        const dir = yield* Effect.promise(() => fixture("clean", false))
        // By the command (its JSDoc examples run; and the command works), from a copy of the script beside a
        // node_modules reached through a link (a shared or symlinked install: the check finds TypeScript 7
        // there), both editions in one process as npm test's typecheck step checks them. (The command from
        // this project's own scripts/ is that static check of npm test.)
        const tools = yield* linkedTools("clean-tools", "all")
        const result = yield* command(dir, path.join(tools, "scripts", "check-docs.ts"), ["--edition", "3,4"])
        assert.strictEqual(result.code, 0, result.stdout + result.stderr)
        assert.strictEqual(result.stderr, "")
        const [three = "", four, ...more] = result.stdout.split("Effect 4 edition:\n")
        assert.strictEqual(more.length, 0, result.stdout)
        assert.isTrue(three.startsWith("Effect 3 edition:\n"), result.stdout)
        const noCheck = yield* Effect.promise(() => at(dir, "docs/guide.md", "```ts no-check"))
        for (const [edition, output] of [
          [3, three],
          [4, four ?? ""]
        ] as const) {
          assert.include(output, `skipped (no-check): docs/guide.md:${noCheck.line + 1}`)
          assert.match(
            output,
            new RegExp(
              `Type-checked the project \\(2 files\\) and ${edition === 3 ? 2 : 3} documentation examples from 2 files in `
            )
          )
        }
        assert.include(three, "example ran: 4\nRan the 1 JSDoc examples of the modules docgen documents.")
        assert.notInclude(four, "example ran")
      })
  )

  /**
   * A copy of the script in a directory of its own, beside a node_modules reached through a link: `"all"`
   * links the whole of this project's; `{ stderr }` links its typescript beside a typescript-7 whose tsc
   * prints what the real one printed, then `stderr` on stderr, and exits with `exitCode` (else the real
   * one's status), or is killed by `signal`; `"env"`: a typescript-7 whose tsc only prints the garbage
   * collector settings it was started with (GOGC, GOMEMLIMIT), as a global error, and exits with 2.
   */
  const linkedTools = (
    name: string,
    tsc7:
      | "all"
      | "env"
      | { readonly stderr: string; readonly exitCode?: number; readonly signal?: NodeJS.Signals }
  ) =>
    Effect.promise(async () => {
      const tools = path.join(base, name)
      await fs.rm(tools, { recursive: true, force: true })
      await fs.mkdir(path.join(tools, "scripts"), { recursive: true })
      await fs.copyFile(
        path.join(root, "scripts", "check-docs.ts"),
        path.join(tools, "scripts", "check-docs.ts")
      )
      const modules = path.join(tools, "node_modules")
      if (tsc7 === "all") {
        await fs.symlink(path.join(root, "node_modules"), modules, "junction")
      } else {
        await fs.mkdir(modules, { recursive: true })
        await fs.symlink(
          path.join(root, "node_modules", "typescript"),
          path.join(modules, "typescript"),
          "junction"
        )
        const real = path.join(root, "node_modules", "typescript-7", "bin", "tsc")
        await fs.mkdir(path.join(modules, "typescript-7", "bin"), { recursive: true })
        await fs.writeFile(path.join(modules, "typescript-7", "package.json"), '{ "name": "typescript-7" }\n')
        await fs.writeFile(
          path.join(modules, "typescript-7", "bin", "tsc"),
          tsc7 === "env"
            ? `process.stdout.write("error TS1: GOGC=" + process.env.GOGC + " GOMEMLIMIT=" + process.env.GOMEMLIMIT + "\\n")
process.exitCode = 2
`
            : `const { spawnSync } = require("node:child_process")
const real = spawnSync(process.execPath, [${JSON.stringify(real)}, ...process.argv.slice(2)], { encoding: "utf8" })
process.stdout.write(real.stdout)
process.stderr.write(${JSON.stringify(tsc7.stderr)})
process.exitCode = ${tsc7.exitCode ?? "real.status"}
${tsc7.signal === undefined ? "" : `process.kill(process.pid, ${JSON.stringify(tsc7.signal)})`}
`
        )
      }
      return tools
    })
  /** Runs the check on a fixture with the TypeScript 7 of `tools`' node_modules, in this process. */
  const checkWith = (tools: string, dir: string) => check(dir, { tools })

  // node_modules reached through a link (a shared or symlinked install): the Effect 3 edition's clean project
  // above, checked by the command from a copy of the script beside such a link.

  it.effect(
    "tsc printing its errors and then crashing: the crash fails the check, even after an ignored error",
    () =>
      Effect.gen(function* () {
        // The clean fixture's only errors are ignored ones (a top-level declaration an example never reads).
        const dir = yield* Effect.promise(() => fixture("crashing", false))
        const crash = { stderr: "panic: simulated crash\n\ngoroutine 1 [running]:\n", exitCode: 2 }
        const result = yield* checkWith(yield* linkedTools("crashing-tools", crash), dir)
        assert.strictEqual(result.code, 1, result.stdout + result.stderr)
        assert.include(result.stderr, "panic: simulated crash\n\ngoroutine 1 [running]:")
        assert.include(result.stderr, "1 error(s) in the project (tsconfig.json).")
      })
  )

  it.effect("tsc killed by a signal after printing only ignored errors: the check fails", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.promise(() => fixture("killed", false))
      const killed = { stderr: "", signal: "SIGKILL" as const }
      const result = yield* checkWith(yield* linkedTools("killed-tools", killed), dir)
      assert.strictEqual(result.code, 1, result.stdout + result.stderr)
      assert.include(result.stderr, "was killed by SIGKILL")
    })
  )

  it.effect(
    "a Node warning on tsc's stderr (its launcher is a Node script) is no error: the check passes",
    () =>
      Effect.gen(function* () {
        const dir = yield* Effect.promise(() => fixture("node-warning", false))
        const warning = {
          stderr:
            "(node:1234) ExperimentalWarning: process.execve is an experimental feature and might change at any time\n" +
            "(Use `node --trace-warnings ...` to show where the warning was created)\n"
        }
        const result = yield* checkWith(yield* linkedTools("node-warning-tools", warning), dir)
        assert.strictEqual(result.code, 0, result.stdout + result.stderr)
        assert.include(result.stdout, "Type-checked the project (2 files)")
      })
  )

  it.effect(
    "tsc is started with Go's garbage collector off up to a 2 GiB heap (GOGC=off, GOMEMLIMIT=2GiB), unless the caller set them",
    () =>
      Effect.gen(function* () {
        const dir = yield* Effect.promise(() => fixture("gc-settings", false))
        const result = yield* checkWith(yield* linkedTools("gc-settings-tools", "env"), dir)
        assert.strictEqual(result.code, 1, result.stdout + result.stderr)
        const expected = `GOGC=${process.env["GOGC"] ?? "off"} GOMEMLIMIT=${process.env["GOMEMLIMIT"] ?? "2GiB"}`
        assert.include(result.stderr, `error TS1: ${expected}`)
      })
  )

  it("typescript (whose API the tools parse with) is TypeScript 5.9; typescript-7 (the checks' and the build's tsc) is 7", async () => {
    const version = async (dir: string) =>
      (JSON.parse(await fs.readFile(path.join(dir, "package.json"), "utf8")) as { version: string }).version
    assert.match(await version(path.join(root, "node_modules", "typescript")), /^5\.9\./)
    assert.match(await version(path.join(root, "node_modules", "typescript-7")), /^7\./)
    for (const manifest of ["package.json", "effect4/package.json"]) {
      const { scripts } = JSON.parse(await fs.readFile(path.join(root, manifest), "utf8")) as {
        readonly scripts: { readonly build: string }
      }
      assert.match(
        scripts.build,
        /&& node (\.\.\/)?node_modules\/typescript-7\/bin\/tsc -b tsconfig\.build\.node\.json &&/
      )
    }
  })
})
