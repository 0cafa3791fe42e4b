/**
 * Every install line of the docs (README.md and docs/*.md: an `npm install`
 * or `npm i` in a ```sh block), run against the packed package, offline: the
 * packages the line names (the package itself from the run's tarball,
 * test/support/packed.ts), with the versions it asks for, installed with
 * `npm ci --offline` from a lockfile cut from ours, then `npm ls --all` to
 * prove the tree valid (no missing or mismatched peer). A line naming a
 * package this project's lockfile lacks fails with a message saying so.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { NotInLockfile, self, type Wanted, writeConsumer } from "./support/consumer.js"
import { npm, ok, root, run } from "./support/build.js"
import { buildTimeout, packed } from "./support/packed.js"

/** An install line: where it is written and what it installs. */
export interface InstallLine {
  readonly file: string
  readonly line: number
  readonly text: string
  readonly wanted: ReadonlyArray<Wanted>
}

const shellFence = /^```(?:sh|shell|bash|console)\s*$/

/** `name@range` (scoped or not), or a path or URL to a tarball of this package. */
export const parseSpec = (spec: string, dev: boolean): Wanted => {
  const unquoted = spec.replace(/^["']|["']$/g, "")
  if (/\.tgz$/.test(unquoted) || /^(file:|\.{0,2}\/)/.test(unquoted)) {
    if (!path.basename(unquoted).startsWith(`${self}-`) && !unquoted.endsWith(self)) {
      throw new Error(`${spec} is a path to something other than a tarball of ${self}`)
    }
    return { name: self, dev }
  }
  const at = unquoted.indexOf("@", 1)
  return at === -1
    ? { name: unquoted, dev }
    : { name: unquoted.slice(0, at), range: unquoted.slice(at + 1) || undefined, dev }
}

/** The npm install commands in a shell line (`a && npm i b # note` gives `npm i b`), as their arguments. */
export const installCommands = (text: string): ReadonlyArray<ReadonlyArray<string>> =>
  text
    .replace(/(^|\s)#.*$/, "")
    .split(/&&|\|\||;/)
    .map((part) =>
      part
        .trim()
        .replace(/^\$\s+/, "")
        .split(/\s+/)
    )
    .filter(([command, sub]) => command === "npm" && (sub === "install" || sub === "i" || sub === "add"))
    .map((words) => words.slice(2))

/** The install lines of a Markdown document. */
export const installLines = (file: string, markdown: string): ReadonlyArray<InstallLine> => {
  const out: Array<InstallLine> = []
  const lines = markdown.split("\n")
  let inShell = false
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    if (raw.trim().startsWith("```")) {
      inShell = !inShell && shellFence.test(raw.trim())
      continue
    }
    if (!inShell) continue
    // A line continued with a backslash.
    let text = raw
    const start = i
    while (text.endsWith("\\") && i + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++i]!.trim()}`
    for (const args of installCommands(text)) {
      const dev = args.some((arg) => arg === "-D" || arg === "--save-dev")
      const specs = args.filter((arg) => !arg.startsWith("-"))
      out.push({
        file,
        line: start + 1,
        text: text.trim(),
        wanted: specs.map((spec) => parseSpec(spec, dev))
      })
    }
  }
  return out
}

const documents = async (): Promise<ReadonlyArray<string>> => {
  const docs = (await fs.readdir(path.join(root, "docs"))).filter((name) => name.endsWith(".md"))
  return ["README.md", ...docs.map((name) => path.join("docs", name))]
}

describe("the install lines of the docs", () => {
  it.effect("are found, in the README and the guides", () =>
    Effect.gen(function* () {
      const found: Array<InstallLine> = []
      for (const file of yield* Effect.promise(documents)) {
        found.push(
          ...installLines(file, yield* Effect.promise(() => fs.readFile(path.join(root, file), "utf8")))
        )
      }
      assert.isTrue(found.some((line) => line.file === "README.md"))
      assert.isTrue(found.every((line) => line.wanted.length > 0))
    })
  )

  it.effect("the parser reads names, ranges, tarballs, dev flags, chains and continuations", () =>
    Effect.sync(() => {
      const lines = installLines(
        "x.md",
        [
          "```ts",
          "npm install not-shell",
          "```",
          "```sh",
          "npm pack && npm install ./effect-plex-auth-0.1.0.tgz effect@^3.22.0 \\",
          "  @effect/platform@0.97 # the peers",
          "$ npm i -D @effect/vitest@0.30.0",
          "npx tsx main.ts",
          "```"
        ].join("\n")
      )
      assert.deepStrictEqual(
        lines.map(({ line, wanted }) => ({ line, wanted })),
        [
          {
            line: 5,
            wanted: [
              { name: self, dev: false },
              { name: "effect", range: "^3.22.0", dev: false },
              { name: "@effect/platform", range: "0.97", dev: false }
            ]
          },
          { line: 7, wanted: [{ name: "@effect/vitest", range: "0.30.0", dev: true }] }
        ]
      )
    })
  )

  it.effect(
    "a package missing from our lockfile fails with a message that names it",
    () =>
      Effect.gen(function* () {
        const { dir, tarball } = yield* Effect.promise(packed)
        const project = yield* Effect.promise(() => fs.mkdtemp(path.join(dir, "install-missing-")))
        const error = yield* Effect.promise(() =>
          writeConsumer(project, tarball, [{ name: self }, { name: "left-pad", range: "1.3.0" }]).then(
            () => undefined,
            (e: unknown) => e
          )
        )
        assert.instanceOf(error, NotInLockfile)
        assert.include((error as Error).message, "left-pad is not in package-lock.json")
      }),
    { timeout: buildTimeout }
  )

  it.effect(
    "each installs offline against the packed package, into a valid tree",
    () =>
      Effect.gen(function* () {
        const { dir, tarball } = yield* Effect.promise(packed)
        const all: Array<InstallLine> = []
        for (const file of yield* Effect.promise(documents)) {
          all.push(
            ...installLines(file, yield* Effect.promise(() => fs.readFile(path.join(root, file), "utf8")))
          )
        }
        // The same line written twice is installed once; the others side by side.
        const unique = [...new Map(all.map((line) => [JSON.stringify(line.wanted), line])).values()]
        const failures = yield* Effect.forEach(
          unique,
          (line) =>
            Effect.promise(async () => {
              const where = `${line.file}:${line.line}: ${line.text}`
              try {
                const project = await fs.mkdtemp(path.join(dir, "install-"))
                await writeConsumer(project, tarball, line.wanted)
                ok(
                  await run(npm, ["ci", "--offline", "--no-audit", "--no-fund"], project, 120_000),
                  "npm ci --offline"
                )
                ok(await run(npm, ["ls", "--all", "--offline"], project), "npm ls --all")
                return []
              } catch (error) {
                return [`${where}\n${error instanceof Error ? error.message : String(error)}`]
              }
            }),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(failures.flat(), [])
      }),
    { timeout: buildTimeout + 180_000 }
  )
})
