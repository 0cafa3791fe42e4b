/**
 * A consumer project of the packed package, installed offline: its
 * package.json names what an install line names, and its lockfile is cut
 * from this project's (the same versions and integrities `npm ci` put in the
 * cache). With a lockfile, `npm ci --offline` takes each package from the
 * cache by its integrity. An `npm install` would first want each package's
 * registry document, which a fresh machine's cache does not hold (`npm ci`
 * never fetches them).
 */
import { createHash } from "node:crypto"
import { existsSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { findNode22 } from "../../scripts/node22.mjs"
import { npm, ok, root, run, tsc7Binary } from "./build.js"

type LockEntry = Record<string, unknown> & {
  readonly version: string
  readonly dependencies?: Record<string, string>
  readonly optionalDependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>
}

/** One package a consumer installs: its name, the range asked for (absent: ours), dev or not. */
export interface Wanted {
  readonly name: string
  readonly range?: string | undefined
  readonly dev?: boolean | undefined
}

/** What a consumer's lockfile takes from a packed tarball: its package.json and its integrity. */
interface TarballFacts {
  readonly packed: Record<string, unknown> & { readonly peerDependencies?: Record<string, string> }
  readonly integrity: string
}

const tarballs = new Map<string, Promise<TarballFacts>>()

/**
 * The package.json inside `tarball` (an absolute path; read by `tar`) and the tarball's integrity, read once
 * per tarball and worker: a run's tarball does not change once packed (test/support/build.ts), and the
 * packaging and install-line tests write ten consumers of the same two tarballs, which started `tar` (a
 * process forked from the vitest process) once each. A failed read is not kept.
 */
const tarballFacts = (tarball: string): Promise<TarballFacts> => {
  let facts = tarballs.get(tarball)
  if (facts === undefined) {
    facts = (async () => ({
      packed: JSON.parse(
        ok(await run("tar", ["-xzOf", tarball, "package/package.json"], path.dirname(tarball)), "tar").stdout
      ) as TarballFacts["packed"],
      integrity: `sha512-${createHash("sha512")
        .update(await fs.readFile(tarball))
        .digest("base64")}`
    }))()
    facts.catch(() => tarballs.delete(tarball))
    tarballs.set(tarball, facts)
  }
  return facts
}

/** The package this project builds; it is installed from the tarball. */
export const self = "effect-plex-auth"

/** Why a package cannot be installed offline here: it is not in our lockfile. */
export class NotInLockfile extends Error {
  constructor(readonly names: ReadonlyArray<string>) {
    super(
      `${names.join(", ")} ${names.length === 1 ? "is" : "are"} not in package-lock.json: ` +
        "an install line in the docs may only name packages this project is developed against " +
        "(add it to devDependencies, or fix the line)"
    )
  }
}

/**
 * Writes package.json and package-lock.json for a consumer installing
 * `wanted` (the package itself from `tarball`), with its peers and what
 * everything needs. Throws {@link NotInLockfile} for a package ours lacks.
 */
export const writeConsumer = async (
  project: string,
  tarball: string,
  wanted: ReadonlyArray<Wanted>,
  /**
   * For the Effect 4 edition: its package name, and its workspace folder, whose own copies
   * (`effect4/node_modules/effect`, Effect 4) win over the root's, as Node finds them from there.
   */
  edition: { readonly self: string; readonly workspace: string } = { self, workspace: "" },
  /**
   * false: the package's peer dependencies (and what they need) are left out, as `npm install
   * --legacy-peer-deps` leaves them out ({@link installPacked} links this project's copies instead).
   */
  withPeers = true
) => {
  const me = edition.self
  const start = edition.workspace
  const ours = JSON.parse(await fs.readFile(path.join(root, "package-lock.json"), "utf8")) as {
    readonly packages: Record<string, LockEntry>
  }
  const topLevel = (name: string) =>
    start !== "" && ours.packages[`${start}/node_modules/${name}`] !== undefined
      ? ours.packages[`${start}/node_modules/${name}`]
      : ours.packages[`node_modules/${name}`]
  const missing = wanted.filter((w) => w.name !== me && topLevel(w.name) === undefined).map((w) => w.name)
  if (missing.length > 0) throw new NotInLockfile(missing)
  const { packed, integrity } = await tarballFacts(path.resolve(project, tarball))
  const spec = `file:${path.relative(project, tarball)}`
  const dependencies: Record<string, string> = {}
  const devDependencies: Record<string, string> = {}
  for (const w of wanted) {
    ;(w.dev === true ? devDependencies : dependencies)[w.name] =
      w.name === me ? spec : (w.range ?? topLevel(w.name)!.version)
  }
  const root_: Record<string, unknown> = { name: "consumer", version: "0.0.0", dependencies, devDependencies }
  const packages: Record<string, unknown> = { "": root_ }
  const queue: Array<string> = []
  const optionalPeers = new Set<string>()
  if (wanted.some((w) => w.name === me)) {
    packages[`node_modules/${me}`] = {
      version: packed.version,
      resolved: spec,
      integrity,
      ...Object.fromEntries(
        // Its own dependencies too (it has none): one the lockfile lacks then fails `checkTrees`, as it
        // would fail `npm ls` after an install.
        [
          "license",
          "bin",
          "engines",
          "dependencies",
          "optionalDependencies",
          "peerDependencies",
          "peerDependenciesMeta"
        ]
          .filter((key) => packed[key] !== undefined)
          .map((key) => [key, packed[key]])
      )
    }
    // npm installs peers a package names (npm 7 and later).
    if (withPeers) queue.push(...Object.keys(packed.peerDependencies ?? {}))
  }
  queue.push(...wanted.filter((w) => w.name !== me).map((w) => w.name))
  // What they need, as this project's lockfile has it, nested copies included: each dependency is
  // found as Node finds it, in the nearest node_modules above the package that needs it.
  const resolve = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
      const key = `${dir === "" ? "" : `${dir}/`}node_modules/${name}`
      if (ours.packages[key] !== undefined) return key
      if (dir === "") return undefined
    }
  }
  const pending: Array<readonly [string, string]> = queue.map((name) => [start, name] as const)
  // Our lockfile's key, as the consumer's: the workspace's own copies sit at the consumer's top level.
  const theirs = (key: string) =>
    start !== "" && key.startsWith(`${start}/`) ? key.slice(start.length + 1) : key
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
    const [from, name] = next
    const key = resolve(from, name)
    // An optional peer (ws's `bufferutil`, vitest's `@edge-runtime/vm`) npm installs only when asked for.
    if (key === undefined && optionalPeers.has(name)) continue
    if (key === undefined) throw new NotInLockfile([name])
    const entry = ours.packages[key]!
    const existing = packages[theirs(key)] as { readonly version?: string } | undefined
    if (existing !== undefined) {
      if (existing.version !== entry.version) {
        throw new Error(`${theirs(key)}: ${existing.version} and ${entry.version} would share one place`)
      }
      continue
    }
    // They are development dependencies here and the consumer's own there; an optional one stays optional.
    const { dev: _dev, devOptional, peer: _peer, ...rest } = entry
    packages[theirs(key)] = devOptional === true ? { ...rest, optional: true } : rest
    for (const [peer, meta] of Object.entries(entry.peerDependenciesMeta ?? {})) {
      if (meta.optional === true) optionalPeers.add(peer)
    }
    // An optional peer is not followed: npm installs it only when something else asks for it (vite's
    // `@types/node`, which reached two versions of it through vitest 5 in the Effect 4 workspace).
    const peers = Object.keys(entry.peerDependencies ?? {}).filter(
      (peer) => entry.peerDependenciesMeta?.[peer]?.optional !== true
    )
    for (const dependency of [
      ...Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }),
      ...peers
    ]) {
      pending.push([key, dependency])
    }
  }
  await fs.writeFile(
    path.join(project, "package.json"),
    JSON.stringify(
      { name: "consumer", version: "0.0.0", private: true, type: "module", dependencies, devDependencies },
      null,
      2
    )
  )
  await fs.writeFile(
    path.join(project, "package-lock.json"),
    JSON.stringify(
      { name: "consumer", version: "0.0.0", lockfileVersion: 3, requires: true, packages },
      null,
      2
    )
  )
}

/**
 * Installs the packed package (`tarball`) into `project` with `npm ci --offline`, as a user's install
 * does (its files, its `bin` link), beside its peer dependencies `peers`: this project's own copies of
 * them (the workspace's own copy first, as {@link writeConsumer} finds them), linked into the project's
 * node_modules rather than extracted again from the npm cache. They are the same versions, by the same
 * lockfile, as an install would extract, and each package is still one copy (a link's target finds what
 * it needs from where it is, as here). Extracting them (effect alone is over 4,000 files) was most of the
 * install: 6.7 against 1.4 CPU-s for the Effect 3 edition. That npm accepts the peers an install line
 * names (their ranges, what they need) is test/install-lines.test.ts's part (`checkTrees`).
 */
export const installPacked = async (
  project: string,
  tarball: string,
  peers: ReadonlyArray<string>,
  edition: { readonly self: string; readonly workspace: string } = { self, workspace: "" }
) => {
  await writeConsumer(project, tarball, [{ name: edition.self }], edition, false)
  ok(
    await run(npm, ["ci", "--offline", "--no-audit", "--no-fund", "--legacy-peer-deps"], project, 120_000),
    "npm ci --offline"
  )
  for (const name of peers) {
    const target = [
      path.join(root, edition.workspace, "node_modules", name),
      path.join(root, "node_modules", name)
    ].find((candidate) => existsSync(path.join(candidate, "package.json")))
    if (target === undefined) throw new NotInLockfile([name])
    const link = path.join(project, "node_modules", name)
    await fs.mkdir(path.dirname(link), { recursive: true })
    await fs.symlink(target, link, "junction")
  }
}

/** A node of `npm ls --json`'s tree: its dependencies, and what npm found wrong with it. */
interface LsNode {
  readonly dependencies?: Record<string, LsNode>
  readonly problems?: ReadonlyArray<string>
}

/** Every problem `npm ls --json` reports in a node's subtree. */
const problemsUnder = (node: LsNode): Array<string> => [
  ...(node.problems ?? []),
  ...Object.values(node.dependencies ?? {}).flatMap(problemsUnder)
]

/**
 * Checks the trees of several consumers (see {@link writeConsumer}), each written in its own folder
 * of `workspace`, in one `npm ls --all --package-lock-only` run, and resolves with each one's
 * problems (none: its tree is valid), in the order of `projects`. npm reads a tree from a lockfile
 * (the versions, and each package's dependencies and peers as npm records them from its package.json)
 * and reports a missing dependency or peer, or a version a range does not allow (the consumer's own
 * or a package's peer range): what an install followed by `npm ls --all` found (the same failures,
 * checked by test/install-lines.test.ts), for a tenth of the CPU, as nothing is extracted. That the
 * tarball installs and runs is test/package.test.ts's part (one `npm ci --offline`).
 *
 * One run for all (npm's start-up is most of a run's CPU): the consumers become the workspaces of a
 * project in `workspace`, each with every package it installs in its own folder's node_modules (its
 * lockfile's entries, moved there), and nothing in the workspace's own node_modules but the links to
 * them, so each consumer's packages are found exactly as in a project of its own. npm's JSON output
 * nests each consumer's tree under its workspace: a problem there is that consumer's. A problem npm
 * reports outside every consumer's tree, a consumer missing from the tree, or a failed run with no
 * problem counts against every consumer: a broken run never passes.
 */
export const checkTrees = async (
  workspace: string,
  projects: ReadonlyArray<string>
): Promise<ReadonlyArray<ReadonlyArray<string>>> => {
  const names = projects.map((_, index) => `consumer-${index + 1}`)
  const folders = projects.map((project) => {
    const folder = path.relative(workspace, project)
    if (folder.startsWith("..") || folder.includes(path.sep) || folder === "") {
      throw new Error(`${project} is not a folder of ${workspace}`)
    }
    return folder
  })
  const packages: Record<string, unknown> = {
    "": { name: "consumers", version: "0.0.0", workspaces: folders }
  }
  for (const [index, project] of projects.entries()) {
    const folder = folders[index]!
    const name = names[index]!
    const manifest = path.join(project, "package.json")
    await fs.writeFile(
      manifest,
      JSON.stringify({ ...JSON.parse(await fs.readFile(manifest, "utf8")), name }, null, 2)
    )
    const lockfile = path.join(project, "package-lock.json")
    const lock = JSON.parse(await fs.readFile(lockfile, "utf8")) as {
      readonly packages: Record<string, Record<string, unknown>>
    }
    // The workspace's lockfile is the one npm reads.
    await fs.rm(lockfile)
    for (const [key, entry] of Object.entries(lock.packages)) {
      if (key === "") {
        packages[folder] = { ...entry, name }
        continue
      }
      // A tarball's `file:` path, from the workspace rather than from the consumer.
      const resolved = typeof entry.resolved === "string" ? entry.resolved : ""
      packages[`${folder}/${key}`] = resolved.startsWith("file:")
        ? { ...entry, resolved: `file:${path.relative(workspace, path.resolve(project, resolved.slice(5)))}` }
        : entry
    }
    packages[`node_modules/${name}`] = { resolved: folder, link: true }
  }
  await fs.writeFile(
    path.join(workspace, "package.json"),
    JSON.stringify({ name: "consumers", version: "0.0.0", private: true, workspaces: folders }, null, 2)
  )
  await fs.writeFile(
    path.join(workspace, "package-lock.json"),
    JSON.stringify(
      { name: "consumers", version: "0.0.0", lockfileVersion: 3, requires: true, packages },
      null,
      2
    )
  )
  const result = await run(npm, ["ls", "--all", "--offline", "--package-lock-only", "--json"], workspace)
  let tree: LsNode & { readonly error?: unknown }
  try {
    tree = JSON.parse(result.stdout) as typeof tree
  } catch {
    tree = {}
  }
  const trees = names.map((name) => tree.dependencies?.[name])
  const found = trees.map((node) => (node === undefined ? [] : [...new Set(problemsUnder(node))]))
  const seen = new Set(found.flat())
  const elsewhere = [
    ...(tree.problems ?? []).filter((problem) => !seen.has(problem)),
    ...(result.code !== 0 && seen.size === 0 && (tree.problems ?? []).length === 0
      ? [
          `npm ls exited with ${result.code}
stdout: ${result.stdout}
stderr: ${result.stderr}`
        ]
      : [])
  ]
  return found.map((problems, index) => [
    ...(trees[index] === undefined ? [`${names[index]} is not in npm ls's tree`] : []),
    ...problems,
    ...elsewhere
  ])
}

/**
 * The Node that runs TypeScript 5.9 (a JavaScript program) for {@link typecheckConsumers}: a Node >=
 * 22.19 when there is one (the system Node, or the one scripts/prepare.mjs installs for the Effect 4
 * edition, whose tests need it anyway), else this one. The same compiler gives the same errors on any
 * Node; a newer V8 runs it for less CPU: both editions' type check (the four programs) 7.1-9.5 CPU-s
 * (median 8.3) on Node 22 against 8.0-10.4 (median 9.3) on Node 20, ten interleaved runs each, every
 * child process counted, loaded 2-core machine, 2026-12-06. (TypeScript 7's `bin/tsc` only starts its
 * native binary.)
 */
const newestNode = (): string => findNode22() ?? process.execPath

/** The module resolutions a consumer's `consumer.ts` is type-checked with. */
export type ConsumerResolution = "nodenext" | "bundler"

/**
 * The compilers a consumer is type-checked with, by package: `typescript` (TypeScript 5.9, which many
 * users still have) and `typescript-7` (TypeScript 7, the native compiler, which builds the package:
 * what `npm install typescript` gives since 7.0).
 */
export type ConsumerCompiler = "typescript" | "typescript-7"

/** A consumer project to type-check: its folder (holding `consumer.ts`), and a name for its copies. */
export interface ConsumerToCheck {
  readonly project: string
  /** Names its copies (`consumer.<name>.<resolution>.ts`): a word, distinct among the projects checked together. */
  readonly name: string
}

/**
 * Type-checks consumer projects' `consumer.ts`, each once per module resolution, all in one `tsc -b`
 * run: one process reads and parses the lib files once, and each project's installed declarations
 * once, not once per resolution and project (two `tsc -p` runs cost 1.6 times the CPU of one `tsc -b`
 * of both resolutions; both editions' projects in one `tsc -b` of TypeScript 5.9 took about 8.4
 * CPU-s against 12.0 in two runs, the two runs 6.1-6.6 and 5.3-5.8, on the same machine: the lib
 * files, ES2022 and DOM, are a quarter of what a project reads). Each project and resolution checks
 * its own copy of the file (`consumer.<name>.<resolution>.ts`, with `tsconfig.<name>.<resolution>.json`,
 * in the project, where its installed packages are found), so that every error names the project and
 * resolution it belongs to. With `typescript-7`, the copies live in each project's `typescript-7/`
 * folder (the installed packages are found from there the same way), so that neither compiler reads
 * the other's build info.
 *
 * Resolves with each project's errors by resolution (none: it type-checks), in the order of
 * `consumers`. An error that names no copy or config, or a failed run that printed none, counts
 * against every project and resolution: a broken run never passes.
 */
export const typecheckConsumers = async (
  consumers: ReadonlyArray<ConsumerToCheck>,
  resolutions: ReadonlyArray<ConsumerResolution>,
  compiler: ConsumerCompiler = "typescript"
): Promise<ReadonlyArray<Partial<Record<ConsumerResolution, ReadonlyArray<string>>>>> => {
  if (new Set(consumers.map((consumer) => consumer.name)).size !== consumers.length) {
    throw new Error(
      `the consumers' names must differ: ${consumers.map((consumer) => consumer.name).join(", ")}`
    )
  }
  for (const { name } of consumers) {
    if (!/^\w+$/.test(name)) throw new Error(`a consumer's name is a word: ${name}`)
  }
  const folder = compiler === "typescript" ? "" : compiler
  const configs: Array<string> = []
  for (const { project, name } of consumers) {
    const consumer = await fs.readFile(path.join(project, "consumer.ts"), "utf8")
    await fs.mkdir(path.join(project, folder), { recursive: true })
    for (const resolution of resolutions) {
      await fs.writeFile(path.join(project, folder, `consumer.${name}.${resolution}.ts`), consumer)
      const config = path.join(project, folder, `tsconfig.${name}.${resolution}.json`)
      await fs.writeFile(
        config,
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            lib: ["ES2022", "DOM"],
            module: resolution === "nodenext" ? "NodeNext" : "ESNext",
            moduleResolution: resolution,
            strict: true,
            exactOptionalPropertyTypes: true,
            noEmit: true,
            skipLibCheck: true,
            types: []
          },
          files: [`consumer.${name}.${resolution}.ts`]
        })
      )
      configs.push(config)
    }
  }
  const tsc = path.join(root, "node_modules", compiler, "bin", "tsc")
  // TypeScript 7's native binary started directly, not through its Node launcher (build.ts tsc7Binary).
  const binary = compiler === "typescript-7" ? await tsc7Binary() : undefined
  const result = await run(
    binary ?? (compiler === "typescript" ? newestNode() : process.execPath),
    [
      ...(binary === undefined ? [tsc] : []),
      "-b",
      "--pretty",
      "false",
      // TypeScript 7 on one thread: the packaging tests run beside the rest of the suite, so its own
      // threads only share the same cores (1.1 against 1.0 CPU-s here, same machine); nothing else changes.
      ...(compiler === "typescript-7" ? ["--singleThreaded"] : []),
      ...configs
    ],
    consumers[0]?.project ?? root
  )
  const lines = `${result.stdout}\n${result.stderr}`.split("\n").filter((line) => line.trim() !== "")
  const owns = (name: string, resolution: ConsumerResolution) => (line: string) =>
    line.includes(`consumer.${name}.${resolution}.ts`) || line.includes(`tsconfig.${name}.${resolution}.json`)
  const unowned = lines.filter((line) =>
    consumers.every(({ name }) => resolutions.every((resolution) => !owns(name, resolution)(line)))
  )
  const failed = result.code !== 0 && lines.length === 0 ? [`tsc -b exited with ${result.code}`] : []
  return consumers.map(({ name }) =>
    Object.fromEntries(
      resolutions.map((resolution) => [
        resolution,
        [...lines.filter(owns(name, resolution)), ...(result.code === 0 ? [] : unowned), ...failed]
      ])
    )
  )
}
