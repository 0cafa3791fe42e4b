/**
 * Every install line of the docs (README.md and docs/*.md: an `npm install`
 * or `npm i` in a ```sh block), run against the packed package, offline: the
 * packages the line names (the package itself from the run's tarball,
 * test/support/packed.ts; a line in a ```sh effect4 block against the Effect 4
 * edition's tarball and the Effect 4 copies in effect4/node_modules), with the versions it asks for, in a lockfile cut
 * from ours, which `npm ls --all --package-lock-only` must find a valid tree
 * (no missing or mismatched dependency or peer: see `checkTrees` in
 * test/support/consumer.ts for why nothing is extracted, and how one run
 * checks every line's tree apart). A line naming a
 * package this project's lockfile lacks fails with a message saying so.
 * That the tarball itself installs and runs is test/package.test.ts's part.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe } from "@effect/vitest"
import { Effect } from "effect"
import { checkTrees, NotInLockfile, self, type Wanted, writeConsumer } from "./support/consumer.js"
import { root } from "./support/build.js"
import { buildTimeout, packed, packedEffect4 } from "./support/packed.js"
import { it } from "./support/it.js"

/** An install line: where it is written and what it installs. */
export interface InstallLine {
  readonly file: string
  /** 4 for a line in a ```sh effect4 block (the Effect 4 edition's), else 3. */
  readonly edition: 3 | 4
  readonly line: number
  readonly text: string
  readonly wanted: ReadonlyArray<Wanted>
}

/** A consumer's lockfile's packages, as the tests below edit them. */
type LockPackages = Record<string, { version?: string; peerDependencies?: Record<string, string> }>

/** A shell block: ```sh, or ```sh effect4 for the Effect 4 edition's lines. */
/** The Effect 4 edition's package name. */
const effect4Self = "effect4-plex-auth"

const shellFence = /^```(?:sh|shell|bash|console)(\s+effect4)?\s*$/

/** `name@range` (scoped or not), or a path or URL to a tarball of this package. */
export const parseSpec = (spec: string, dev: boolean, me: string = self): Wanted => {
  const unquoted = spec.replace(/^["']|["']$/g, "")
  if (unquoted.endsWith(".tgz") || /^(file:|\.{0,2}\/)/.test(unquoted)) {
    if (!path.basename(unquoted).startsWith(`${me}-`) && !unquoted.endsWith(me)) {
      throw new Error(`${spec} is a path to something other than a tarball of ${me}`)
    }
    return { name: me, dev }
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
  let edition: 3 | 4 = 3
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    if (raw.trim().startsWith("```")) {
      const fence: RegExpExecArray | null = inShell ? null : shellFence.exec(raw.trim())
      inShell = fence !== null
      edition = fence?.[1] === undefined ? 3 : 4
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
        edition,
        line: start + 1,
        text: text.trim(),
        wanted: specs.map((spec) => parseSpec(spec, dev, edition === 4 ? effect4Self : self))
      })
    }
  }
  return out
}

const documents = async (): Promise<ReadonlyArray<string>> => {
  const docs = (await fs.readdir(path.join(root, "docs"))).filter((name) => name.endsWith(".md"))
  return ["README.md", ...docs.map((name) => path.join("docs", name))]
}

/** Every install line of the README and the guides. */
const allLines = async (): Promise<ReadonlyArray<InstallLine>> => {
  const all: Array<InstallLine> = []
  for (const file of await documents()) {
    all.push(...installLines(file, await fs.readFile(path.join(root, file), "utf8")))
  }
  return all
}

/** What the tree check found: each failure case's problems, and each docs line's. */
interface Trees {
  /** The problems of the consumers `valid`, `range`, `peer` and `missing`, in that order. */
  readonly failures: ReadonlyArray<ReadonlyArray<string>>
  /** The problems of an app on the first `effect` 4.1 (4.1.0) that installs the Effect 4 edition. */
  readonly effect4Floor: ReadonlyArray<string>
  /** The docs' lines, each written once, and each one's problems (a consumer that could not be written: why). */
  readonly lines: ReadonlyArray<{ readonly line: InstallLine; readonly problems: ReadonlyArray<string> }>
}

let trees: Promise<Trees> | undefined

/**
 * The tree check of the last two tests below, in one `npm ls` run (test/support/consumer.ts `checkTrees`;
 * npm's start-up is most of a run's CPU): the consumers of the failure cases and those of the docs' lines,
 * each in a folder of its own in one workspace; each test reads its own consumers' problems. That each
 * consumer's problems stay its own in a shared run is what the failure test checks (a valid line beside
 * three broken ones finds none, and each broken one finds its own problem only). Started by the first
 * test that needs it; a failure is both tests'.
 */
const checkedTrees = (): Promise<Trees> =>
  (trees ??= (async () => {
    const editions = {
      3: { packed: await packed(), names: { self, workspace: "" } },
      4: { packed: await packedEffect4(), names: { self: effect4Self, workspace: "effect4" } }
    }
    const { dir, tarball } = editions[3].packed
    const workspace = await fs.mkdtemp(path.join(dir, "install-"))

    // The failure cases (see their test): four consumers of the Effect 3 edition's tarball.
    const [valid, range, peer, missing] = ["valid", "range", "peer", "missing"].map((name) =>
      path.join(workspace, name)
    )
    const lines = (text: string) => installLines("x.md", ["```sh", text, "```"].join("\n"))[0]!.wanted
    for (const project of [valid, range, peer, missing]) await fs.mkdir(project!)
    await writeConsumer(valid!, tarball, lines(`npm install ${self} effect@3.22 @effect/platform@0.97`))
    await writeConsumer(range!, tarball, lines(`npm install ${self} effect@3.21 @effect/platform@0.97`))
    await writeConsumer(peer!, tarball, [{ name: self }, { name: "effect" }])
    await writeConsumer(missing!, tarball, [{ name: self }, { name: "effect" }])
    const editLock = async (project: string, edit: (packages: LockPackages) => void) => {
      const file = path.join(project, "package-lock.json")
      const lock = JSON.parse(await fs.readFile(file, "utf8")) as { packages: LockPackages }
      edit(lock.packages)
      await fs.writeFile(file, JSON.stringify(lock))
    }
    // As a tarball asking for an `effect` newer than the lockfile's would be written.
    await editLock(peer!, (packages) => {
      packages[`node_modules/${self}`]!.peerDependencies!.effect = "^3.99.0"
    })
    // A dependency of effect the lockfile lacks.
    await editLock(missing!, (packages) => {
      assert.isDefined(packages["node_modules/fast-check"])
      delete packages["node_modules/fast-check"]
    })
    const failures = [valid!, range!, peer!, missing!]

    // An app on `effect` 4.1.0, the first of the 4.1.x the README's table names, installing the Effect 4 edition:
    // its lockfile holds that `effect` (our lockfile has 4.1.5; the tree check reads versions, not the files).
    const effect4Floor = path.join(workspace, "effect4-floor")
    await fs.mkdir(effect4Floor)
    await writeConsumer(
      effect4Floor,
      editions[4].packed.tarball,
      installLines("x.md", ["```sh effect4", `npm install ${effect4Self} effect@4.1.0`, "```"].join("\n"))[0]!
        .wanted,
      editions[4].names
    )
    await editLock(effect4Floor, (packages) => {
      assert.match(packages["node_modules/effect"]!.version ?? "", /^4\.1\.\d+$/)
      packages["node_modules/effect"]!.version = "4.1.0"
    })

    // The docs' lines. The same line written twice is installed once; the others beside each other, each
    // edition's lines against its own tarball and its own Effect line (Effect 4: the copies in
    // effect4/node_modules).
    const all = await allLines()
    const unique = [
      ...new Map(all.map((line) => [JSON.stringify([line.edition, line.wanted]), line])).values()
    ]
    const projects = unique.map((_, index) => path.join(workspace, `line-${index + 1}`))
    const written: Array<ReadonlyArray<string>> = []
    for (const [index, line] of unique.entries()) {
      const { names, packed } = editions[line.edition]
      await fs.mkdir(projects[index]!)
      written.push(
        await writeConsumer(projects[index]!, packed.tarball, line.wanted, names).then(
          () => [],
          (error: unknown) => [error instanceof Error ? error.message : String(error)]
        )
      )
    }
    // A line whose consumer could not be written (a package our lockfile lacks) has no tree to check.
    const toCheck = [
      ...failures,
      effect4Floor,
      ...projects.filter((_, index) => written[index]!.length === 0)
    ]
    const checked = await checkTrees(workspace, toCheck)
    const problemsOf = (project: string) => checked[toCheck.indexOf(project)]!
    return {
      failures: failures.map(problemsOf),
      effect4Floor: problemsOf(effect4Floor),
      lines: unique.map((line, index) => ({
        line,
        problems: written[index]!.length > 0 ? written[index]! : problemsOf(projects[index]!)
      }))
    }
  })())

describe("the install lines of the docs", () => {
  it.effect("are found, in the README and the guides", () =>
    Effect.gen(function* () {
      const found: Array<InstallLine> = []
      for (const file of yield* Effect.promise(documents)) {
        found.push(
          ...installLines(file, yield* Effect.promise(() => fs.readFile(path.join(root, file), "utf8")))
        )
      }
      assert.isTrue(found.some((line) => line.file === "README.md" && line.edition === 3))
      assert.isTrue(found.some((line) => line.file === "README.md" && line.edition === 4))
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
          "```",
          "```sh effect4",
          "npm install effect4-plex-auth effect@4.1",
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
          { line: 7, wanted: [{ name: "@effect/vitest", range: "0.30.0", dev: true }] },
          {
            line: 11,
            wanted: [
              { name: "effect4-plex-auth", dev: false },
              { name: "effect", range: "4.1", dev: false }
            ]
          }
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

  // The tree check fails where `npm install` would fail or leave an invalid tree: a line whose version the
  // one our lockfile holds does not satisfy, a package whose peer range the version beside it misses, a
  // dependency the lockfile lacks. Each failure is the line's own: checked beside a valid line in one run
  // (as the docs' lines are), only the broken lines fail, each with what npm found in its own tree.
  it.effect(
    "a line asking for a version our lockfile does not hold, a peer range missed, a dependency missing: each fails the tree check, and only its own",
    () =>
      Effect.gen(function* () {
        // The consumers, written and checked beside the docs' lines: checkedTrees above.
        const [fromValid, fromRange, fromPeer, fromMissing] = (yield* Effect.promise(checkedTrees)).failures
        assert.deepStrictEqual(fromValid, [])
        assert.match(fromRange!.join("\n"), /invalid: effect@3\.22\.\d+ .*range\/node_modules\/effect/)
        assert.match(fromPeer!.join("\n"), /invalid: effect@3\.22\.\d+ .*peer\/node_modules\/effect/)
        assert.match(fromMissing!.join("\n"), /missing: fast-check@.*required by effect@3\.22\.\d+/)
        for (const problems of [fromRange, fromPeer, fromMissing]) assert.strictEqual(problems!.length, 1)
      }),
    { timeout: buildTimeout + 180_000 }
  )

  // The README's table and docs/effect4.md say `effect` 4.1.x, as the Effect 3 edition takes any 3.22.x
  // (`^3.22.0`): an app pinned to an earlier 4.1 than the one this repository develops on installs it too.
  it.effect(
    "the Effect 4 edition installs beside effect 4.1.0, the first 4.1.x, into a valid tree",
    () =>
      Effect.gen(function* () {
        const { effect4Floor } = yield* Effect.promise(checkedTrees)
        assert.deepStrictEqual(effect4Floor, [])
      }),
    { timeout: buildTimeout + 180_000 }
  )

  it.effect(
    "each resolves offline against the packed package, into a valid tree",
    () =>
      Effect.gen(function* () {
        // One tree check for all (checkedTrees above), each line's consumer in a folder of its own.
        const { lines } = yield* Effect.promise(checkedTrees)
        assert.isTrue(lines.some(({ line }) => line.edition === 4))
        const failures = lines.map(({ line, problems }) =>
          problems.length === 0 ? [] : [`${line.file}:${line.line}: ${line.text}\n${problems.join("\n")}`]
        )
        assert.deepStrictEqual(failures.flat(), [])
      }),
    { timeout: buildTimeout + 180_000 }
  )
})
