/**
 * One build and one packed tarball of each edition's package for every test
 * that needs them (the package smoke tests, the bundle and browser checks,
 * the CLI spawns, the install lines of the docs): the package's
 * `npm run build` in a copy of the project (its node_modules linked, so this
 * checkout's dist/ is never touched; the Node part's type check, which the
 * static checks do, skipped: see `runBuildScript`), then `npm pack` (one npm
 * for both editions when both are built: see `pack`).
 *
 * The vitest global setup (test/globalSetup.ts) starts them once per run
 * ({@link start}) and hands their directory to the test files, which wait
 * for them ({@link finished}, through test/support/packed.ts) while the files
 * that do not need them run; a file run on its own without them (a filter
 * the setup did not foresee) makes its own. Under `npm test` both are
 * started before vitest, beside the static checks (scripts/test.mjs).
 */
import { execFile } from "node:child_process"
import { existsSync, readFileSync, watch } from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

export const root = fileURLToPath(new URL("../..", import.meta.url))
export const npm = process.platform === "win32" ? "npm.cmd" : "npm"

/** What {@link build} made. */
export interface Packed {
  /** A temporary directory holding everything below; removed at the end of the run. */
  readonly dir: string
  /** The copy of the project the build ran in: its dist/ is the build. */
  readonly checkout: string
  /** The tarball `npm pack` wrote. */
  readonly tarball: string
  /** How long each step took, for the report. */
  readonly timings: ReadonlyArray<string>
}

// What `npm test` puts in the environment points npm at this project (its
// prefix, its package.json): the copy's npm must not see it.
export const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) =>
      !/^(npm_config_local_prefix|npm_config_call|npm_package_|npm_lifecycle_|npm_command$|INIT_CWD$)/i.test(
        name
      )
  )
)

/** What a child process printed and how it ended. */
export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs a command to its end (killed after `timeout`: by default 150 s, which a type check of the
 * installed package can take on a 2-core machine that runs every other check of `npm test` beside it),
 * in {@link env} or the `environment` given.
 */
export const run = (
  command: string,
  args: ReadonlyArray<string>,
  cwd: string,
  timeout = 150_000,
  environment: NodeJS.ProcessEnv = env
) =>
  new Promise<Run>((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: environment, timeout, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          stdout,
          stderr
        })
    )
  })

export const ok = (result: Run, what: string) => {
  if (result.code !== 0) {
    throw new Error(`${what} exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  }
  return result
}

/** The two editions: 3, the root package `effect-plex-auth`; 4, `effect4-plex-auth` (effect4/). */
export type Edition = 3 | 4

/** What the Effect 3 edition's build reads. */
const copied = [
  "src",
  "scripts",
  "package.json",
  "README.md",
  "LICENSE",
  "tsconfig.base.json",
  "tsconfig.build.json",
  "tsconfig.build.node.json"
]

/**
 * What the Effect 4 edition's build reads in effect4/ (and, above it, the shared core and fake, and the CLI's bin
 * and bundling plugin: see `checkoutEffect4`).
 */
const copiedEffect4 = [
  "src",
  "scripts",
  "package.json",
  "README.md",
  "LICENSE",
  "tsconfig.build.json",
  "tsconfig.build.node.json"
]

/** A copy made by {@link checkoutEffect3} or {@link checkoutEffect4}. */
interface Checkout {
  /** The package's folder. */
  readonly pkg: string
  /** Its packages, linked: each link and its target. */
  readonly links: ReadonlyArray<readonly [link: string, target: string]>
}

/** Makes the links of a {@link Checkout}. */
const link = async (links: Checkout["links"]) => {
  for (const [link, target] of links) await fs.symlink(target, link, "dir")
}

/** A copy of the Effect 3 edition in `checkout`, its packages linked. */
const checkoutEffect3 = async (checkout: string): Promise<Checkout> => {
  await fs.mkdir(checkout)
  for (const entry of copied) {
    await fs.cp(path.join(root, entry), path.join(checkout, entry), { recursive: true })
  }
  const links = [[path.join(checkout, "node_modules"), path.join(root, "node_modules")] as const]
  await link(links)
  return { pkg: checkout, links }
}

/** A copy of what the Effect 4 edition's build reads in `checkout`, packages linked. */
const checkoutEffect4 = async (checkout: string): Promise<Checkout> => {
  const edition = path.join(checkout, "effect4")
  await fs.mkdir(edition, { recursive: true })
  for (const entry of copiedEffect4) {
    await fs.cp(path.join(root, "effect4", entry), path.join(edition, entry), { recursive: true })
  }
  // The shared core, and the Effect-free fake entries (effect4-plex-auth/fake, /fake/node) it shares
  // with the Effect 3 edition; the base settings.
  await fs.cp(path.join(root, "src", "core"), path.join(checkout, "src", "core"), { recursive: true })
  await fs.cp(path.join(root, "src", "fake"), path.join(checkout, "src", "fake"), { recursive: true })
  await fs.copyFile(path.join(root, "tsconfig.base.json"), path.join(checkout, "tsconfig.base.json"))
  // The CLI's bin, the same text as the Effect 3 edition's (effect4/scripts/build-cli.ts writes it), and the
  // esbuild plugin both editions' CLI builds use.
  await fs.mkdir(path.join(checkout, "scripts"))
  // The edition's CLI build helpers, and its `prepack` / `postpack` (`node ../scripts/pack-manifest.mjs strip .`,
  // then `restore .`).
  for (const file of ["cli-bin.ts", "cli-builtins.ts", "pack-manifest.mjs"]) {
    await fs.copyFile(path.join(root, "scripts", file), path.join(checkout, "scripts", file))
  }
  // The core is ES modules as the root package.json says (its other fields are the Effect 3 edition's).
  await fs.writeFile(path.join(checkout, "package.json"), JSON.stringify({ private: true, type: "module" }))
  const links = [
    [path.join(checkout, "node_modules"), path.join(root, "node_modules")] as const,
    [path.join(edition, "node_modules"), path.join(root, "effect4", "node_modules")] as const
  ]
  await link(links)
  return { pkg: edition, links }
}

/**
 * `npm pack` of {@link Checkout}s, in one npm process, each tarball written in `into`: their names, in
 * the order of `copies`. npm packs each folder it is given as it packs its own (`npm pack <folder>`: the
 * folder's `prepack` and `postpack` run there, its files as its package.json and .npmignore say); the
 * first is packed from its own folder, as `npm pack` there. One npm for both editions where one each
 * started npm twice: about 1.3 CPU-s less (npm loads its 2,000-odd modules once: 2.8-3.6 against
 * 4.2-4.8 CPU-s for both tarballs, three interleaved runs each, with every child process counted,
 * 2026-12-06), and the tarballs are the same byte for byte (sha1 of each, packed both ways).
 *
 * Without the links to their packages: npm reads the whole installed tree of a package's folder before
 * it packs (npm-packlist asks Arborist for it, to find bundled dependencies, which neither edition has):
 * the 400-odd packages behind the links, and the tarball is the same byte for byte without them
 * (checked: both editions' tarballs, sha1, with and without). About 0.8 CPU-s less for the Effect 3
 * edition (2.7 against 3.5 CPU-s, four interleaved runs each, loaded 2-core machine), 0.3 for the
 * Effect 4 edition. The links are back once it ends. Nothing reads the copies meanwhile: the builds'
 * users wait for their results, written after.
 */
const pack = async (copies: ReadonlyArray<Checkout>, into: string): Promise<ReadonlyArray<string>> => {
  const [first, ...others] = copies
  if (first === undefined) return []
  for (const { links } of copies) for (const [link] of links) await fs.unlink(link)
  try {
    const packed = ok(
      await run(
        npm,
        ["pack", "--json", "--pack-destination", into, ".", ...others.map(({ pkg }) => pkg)],
        first.pkg,
        300_000
      ),
      "npm pack"
    )
    const infos = JSON.parse(packed.stdout) as ReadonlyArray<{ readonly filename: string }>
    if (infos.length !== copies.length) {
      throw new Error(`npm pack of ${copies.length} folders made ${infos.length} tarballs: ${packed.stdout}`)
    }
    return infos.map((info) => info.filename)
  } finally {
    for (const { links } of copies) await link(links)
  }
}

/**
 * TypeScript 7's native compiler: the platform's binary that its `bin/tsc` (a Node launcher that does
 * nothing else) starts, found as the launcher finds it (typescript-7's lib/getExePath.js), as
 * scripts/check-docs.ts does; undefined for a typescript-7 without that file (then run its `bin/tsc`).
 * Started directly, about 0.2 CPU-s less a run (`tsc --version`: 0.39-0.41 against 0.58-0.65 CPU-s
 * through the launcher on Node 20, three interleaved runs each, 2026-12-06).
 */
export const tsc7Binary = async (): Promise<string | undefined> => {
  const getExePath = path.join(root, "node_modules", "typescript-7", "lib", "getExePath.js")
  if (!existsSync(getExePath)) return undefined
  return ((await import(pathToFileURL(getExePath).href)) as { readonly default: () => string }).default()
}

/**
 * The package's `npm run build` in `pkg` (a copy), its commands run as npm runs them (through the
 * shell, each package folder's node_modules/.bin from `pkg` up on PATH), without npm itself (a second
 * of CPU less). Its `tsc -b` is TypeScript 7's (devDependency `typescript-7`): the whole build, type
 * check included, takes a few CPU-seconds per edition (TypeScript 5.9 took about 15). That `tsc` runs
 * with `--singleThreaded` added, which changes nothing it writes: both editions build side by side,
 * beside the rest of `npm test`, so tsc's own threads only share the same cores (a quarter less CPU:
 * 4.1 against 3.0 CPU-s for one edition, median of three, same machine; as scripts/check-docs.ts does),
 * and as the native binary its launcher starts ({@link tsc7Binary}): the package's typescript-7 is the
 * root's (the copy links the root's node_modules). Its `tsx scripts/build-cli.ts` runs as
 * `node --import tsx scripts/build-cli.ts`, as scripts/test.mjs runs its scripts: one Node process,
 * where the tsx command starts two (the second with the same `--import`); the same script with the same
 * loader, about 0.2 CPU-s less per edition (Node CPU of the step 1.12 against 0.92 CPU-s, mean of four
 * interleaved runs each, 2026-12-06).
 */
const runBuildScript = async (pkg: string): Promise<void> => {
  const { scripts } = JSON.parse(await fs.readFile(path.join(pkg, "package.json"), "utf8")) as {
    readonly scripts: { readonly build: string }
  }
  const tsc7 = /^node (\.\.\/)?node_modules\/typescript-7\/bin\/tsc /
  const binary = await tsc7Binary()
  const commands = scripts.build
    .split(" && ")
    .map((command) => command.trim())
    .map((command) =>
      tsc7.test(command)
        ? `${binary === undefined ? command : command.replace(tsc7, `${JSON.stringify(binary)} `)} --singleThreaded`
        : command.startsWith("tsx ")
          ? `node --import tsx ${command.slice("tsx ".length)}`
          : command
    )
  const bins: Array<string> = []
  for (let dir = pkg; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    bins.push(path.join(dir, "node_modules", ".bin"))
  }
  // GOGC=off up to GOMEMLIMIT=2GiB for TypeScript 7 (a Go program), as scripts/check-docs.ts starts it: a
  // type check keeps nearly all it allocates, so Go's collections freed little (one edition's browser
  // project, `tsc -p tsconfig.build.json --singleThreaded` into a fresh folder: 1.91-2.08 against 2.13-2.31
  // CPU-s, three interleaved runs, 2026-12-06). A GOGC or GOMEMLIMIT of the caller's is kept.
  const shellEnv = {
    ...env,
    GOGC: env["GOGC"] ?? "off",
    GOMEMLIMIT: env["GOMEMLIMIT"] ?? "2GiB",
    PATH: [...bins, env.PATH].filter(Boolean).join(path.delimiter)
  }
  for (const command of commands) {
    const result = await new Promise<Run>((resolve) =>
      execFile(
        "sh",
        ["-c", command],
        { cwd: pkg, env: shellEnv, timeout: 600_000, maxBuffer: 16 * 2 ** 20 },
        (error, stdout, stderr) =>
          resolve({
            code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
            stdout,
            stderr
          })
      )
    )
    ok(result, `${command} (npm run build, in ${pkg})`)
  }
}

/** An edition's copy, built by {@link buildCopy}: what {@link pack} packs. */
interface Built {
  /** The edition's folder: `top`, or `top`/effect4. */
  readonly dir: string
  readonly copy: Checkout
  readonly timings: Array<string>
}

/** Times `f`, its time added to `timings` as `what <seconds> s`. */
const timed = async <A>(timings: Array<string>, what: string, f: () => Promise<A>): Promise<A> => {
  const start = performance.now()
  try {
    return await f()
  } finally {
    timings.push(`${what} ${((performance.now() - start) / 1000).toFixed(1)} s`)
  }
}

/** Builds a copy of an edition's package in `top` (the Effect 4 edition in `top`/effect4), unpacked. */
const buildCopy = async (top: string, edition: Edition): Promise<Built> => {
  const timings: Array<string> = []
  const dir = edition === 3 ? top : path.join(top, "effect4")
  if (edition === 4) await fs.mkdir(dir)
  const copy = await (edition === 3 ? checkoutEffect3 : checkoutEffect4)(path.join(dir, "checkout"))
  await timed(timings, edition === 3 ? "build" : "effect4 build", () => runBuildScript(copy.pkg))
  return { dir, copy, timings }
}

/**
 * {@link pack} of built copies, each tarball then moved into its edition's folder (where one `npm pack`
 * of its own wrote it): what each one made, in the order of `built`. The pack's time goes to the first.
 */
const packBuilt = async (top: string, built: ReadonlyArray<Built>): Promise<ReadonlyArray<Packed>> => {
  const what = built.length > 1 ? "pack (both editions)" : built[0]?.dir === top ? "pack" : "effect4 pack"
  const filenames = await timed(built[0]?.timings ?? [], what, () =>
    pack(
      built.map(({ copy }) => copy),
      top
    )
  )
  return Promise.all(
    built.map(async ({ dir, copy, timings }, index) => {
      const tarball = path.join(dir, filenames[index]!)
      if (dir !== top) await fs.rename(path.join(top, filenames[index]!), tarball)
      return { dir, checkout: copy.pkg, tarball, timings }
    })
  )
}

/**
 * Builds and packs a copy of an edition's package in `dir` (default: a new temporary directory); the
 * Effect 4 edition in `dir`/effect4.
 */
export const build = async (into?: string, edition: Edition = 3): Promise<Packed> => {
  const top = into ?? (await temporaryDirectory())
  const [packed] = await packBuilt(top, [await buildCopy(top, edition)])
  return packed!
}

const temporaryDirectory = () => fs.mkdtemp(path.join(os.tmpdir(), "effect-plex-auth-package-"))

/** Removes what {@link build} made. */
export const remove = (packed: Pick<Packed, "dir">) => fs.rm(packed.dir, { recursive: true, force: true })

/** The file an edition's build started by {@link start} writes when it ends: `{ packed }` or `{ error }`. */
const resultFile = (dir: string, edition: Edition) =>
  path.join(dir, edition === 3 ? "build-result.json" : "build-result.effect4.json")

/** Whether the edition's build started in `dir` has ended (now, without waiting). */
export const hasEnded = (dir: string, edition: Edition = 3): boolean => existsSync(resultFile(dir, edition))

/**
 * Starts {@link build} of each edition (side by side) in a new temporary
 * directory: the directory at once, and the builds' end (it never rejects:
 * a failure is written for {@link finished} to throw).
 */
export const start = async (
  editions: ReadonlyArray<Edition>
): Promise<{
  readonly dir: string
  readonly done: Promise<ReadonlyArray<Packed | undefined>>
}> => {
  const dir = await temporaryDirectory()
  return { dir, done: buildInto(dir, editions) }
}

/**
 * {@link build} of each edition in `dir`, an empty directory: the builds side by side, then one
 * {@link pack} of those that built (one npm for both), each result written for {@link finished}: the
 * builds' end (it never rejects: a failure is written for {@link finished} to throw). Both results are
 * written once both editions are packed.
 */
export const buildInto = async (
  dir: string,
  editions: ReadonlyArray<Edition> = [3, 4]
): Promise<ReadonlyArray<Packed | undefined>> => {
  const message = (error: unknown) =>
    error instanceof Error ? (error.stack ?? error.message) : String(error)
  const write = async (edition: Edition, result: object) => {
    const file = resultFile(dir, edition)
    // Written whole, then renamed: a reader never sees half of it.
    await fs.writeFile(`${file}.partial`, JSON.stringify(result))
    await fs.rename(`${file}.partial`, file)
  }
  const built = await Promise.all(
    editions.map((edition) =>
      buildCopy(dir, edition).then(
        (copy) => ({ copy }),
        (error: unknown) => ({ error: message(error) })
      )
    )
  )
  const toPack = built.flatMap((result) => ("copy" in result ? [result.copy] : []))
  const packed = await packBuilt(dir, toPack).then(
    (made) => ({ made }),
    (error: unknown) => ({ error: message(error) })
  )
  return Promise.all(
    editions.map(async (edition, index) => {
      const result = built[index]!
      if ("error" in result) {
        await write(edition, { error: result.error })
        return undefined
      }
      if ("error" in packed) {
        await write(edition, { error: packed.error })
        return undefined
      }
      const made = packed.made[toPack.indexOf(result.copy)]!
      await write(edition, { packed: made })
      return made
    })
  )
}

/**
 * The environment variable that hands vitest the builds already started (by
 * scripts/test.mjs, beside the static checks of `npm test`): the directory
 * of `tsx test/support/build.ts <dir>`, both editions. The global setup then
 * waits for those instead of starting its own, and leaves their removal to
 * their starter.
 */
export const startedDirVariable = "EFFECT_PLEX_AUTH_PACKED_DIR"

/**
 * The edition's build {@link start} started in `dir`, once it has ended (told by the file system, not
 * by polling).
 */
export const finished = (dir: string, edition: Edition = 3): Promise<Packed> =>
  new Promise<Packed>((resolve, reject) => {
    let settled = false
    const check = () => {
      if (settled) return
      fs.readFile(resultFile(dir, edition), "utf8").then(
        (text) => {
          if (settled) return
          settled = true
          watcher.close()
          const result = JSON.parse(text) as { readonly packed?: Packed; readonly error?: string }
          if (result.packed !== undefined) resolve(result.packed)
          else reject(new Error(`the shared package build (edition ${edition}) failed:\n${result.error}`))
        },
        (error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") return
          settled = true
          watcher.close()
          reject(error)
        }
      )
    }
    // Watch first, then look: a result written in between is seen either way.
    const watcher = watch(dir, check)
    check()
  })

/** The test files that use the Effect 3 edition's build: the global setup starts it when a run includes one. */
export const users: ReadonlyArray<string> = [
  "test/package.test.ts",
  "test/bundle.test.ts",
  "test/install-lines.test.ts",
  "test/bin/plex-auth.test.ts",
  "test/bin/docs.test.ts",
  "test/bin/cancel.test.ts",
  "test/api-parity.test.ts"
]

/** The test files that use the Effect 4 edition's build: the global setup starts it when a run includes one. */
export const effect4Users: ReadonlyArray<string> = [
  "test/package.test.ts",
  "test/install-lines.test.ts",
  "test/api-parity.test.ts"
]

// `tsx test/support/build.ts <dir>`: builds and packs both editions into `dir` (an empty directory), as
// the global setup would, writing the results for the test files (scripts/test.mjs starts it beside the
// static checks).
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dir = process.argv[2]
  if (dir === undefined) throw new Error("usage: tsx test/support/build.ts <empty directory>")
  void buildInto(dir).then((made) => {
    for (const edition of [3, 4] as const) {
      if (made[edition === 3 ? 0 : 1] !== undefined) continue
      const { error } = JSON.parse(readFileSync(resultFile(dir, edition), "utf8")) as {
        readonly error: string
      }
      console.error(`the shared package build of edition ${edition} failed:\n${error}`)
      process.exitCode = 1
    }
    const timings = made.flatMap((packed) => packed?.timings ?? [])
    console.log(`shared package builds: ${timings.join(", ")}`)
  })
}
