/**
 * One build and one packed tarball of the package for every test that needs
 * them (the package smoke test, the bundle and browser checks, the CLI spawns,
 * the install lines of the docs): `npm run build` in a copy of the project
 * (its node_modules linked, so this checkout's dist/ is never touched), then
 * `npm pack`.
 *
 * The vitest global setup (test/globalSetup.ts) starts it once per run
 * ({@link start}) and hands its directory to the test files, which wait for
 * it ({@link finished}, through test/support/packed.ts) while the files that
 * do not need it run; a file run on its own without it (a filter the setup
 * did not foresee) makes its own.
 */
import { execFile } from "node:child_process"
import { existsSync, watch } from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

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
 * installed package can take on a 2-core machine that runs every other check of `npm test` beside it).
 */
export const run = (command: string, args: ReadonlyArray<string>, cwd: string, timeout = 150_000) =>
  new Promise<Run>((resolve) => {
    execFile(command, args, { cwd, env, timeout, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) =>
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

/** What the build reads. */
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

/** Builds and packs a copy of the project, in `dir` (default: a new temporary directory). */
export const build = async (into?: string): Promise<Packed> => {
  const timings: Array<string> = []
  const timed = async <A>(what: string, f: () => Promise<A>): Promise<A> => {
    const start = performance.now()
    try {
      return await f()
    } finally {
      timings.push(`${what} ${((performance.now() - start) / 1000).toFixed(1)} s`)
    }
  }
  const dir = into ?? (await temporaryDirectory())
  const checkout = path.join(dir, "checkout")
  await fs.mkdir(checkout)
  for (const entry of copied) {
    await fs.cp(path.join(root, entry), path.join(checkout, entry), { recursive: true })
  }
  await fs.symlink(path.join(root, "node_modules"), path.join(checkout, "node_modules"), "dir")
  await timed("build", async () => ok(await run(npm, ["run", "build"], checkout, 600_000), "npm run build"))
  const packed = await timed("pack", async () =>
    ok(await run(npm, ["pack", "--json", "--pack-destination", dir], checkout, 300_000), "npm pack")
  )
  const [info] = JSON.parse(packed.stdout) as ReadonlyArray<{ readonly filename: string }>
  return { dir, checkout, tarball: path.join(dir, info!.filename), timings }
}

const temporaryDirectory = () => fs.mkdtemp(path.join(os.tmpdir(), "effect-plex-auth-package-"))

/** Removes what {@link build} made. */
export const remove = (packed: Pick<Packed, "dir">) => fs.rm(packed.dir, { recursive: true, force: true })

/** The file a build started by {@link start} writes when it ends: `{ packed }` or `{ error }`. */
const resultFile = (dir: string) => path.join(dir, "build-result.json")

/** Whether the build started in `dir` has ended (now, without waiting). */
export const hasEnded = (dir: string): boolean => existsSync(resultFile(dir))

/**
 * Starts {@link build} in a new temporary directory: the directory at once,
 * and the build's end (it never rejects: a failure is written for
 * {@link finished} to throw).
 */
export const start = async (): Promise<{
  readonly dir: string
  readonly done: Promise<Packed | undefined>
}> => {
  const dir = await temporaryDirectory()
  return { dir, done: buildInto(dir) }
}

/**
 * {@link build} in `dir`, an empty directory, its result written for
 * {@link finished}: the build's end (it never rejects: a failure is written
 * for {@link finished} to throw).
 */
export const buildInto = (dir: string): Promise<Packed | undefined> => {
  const write = async (result: object) => {
    // Written whole, then renamed: a reader never sees half of it.
    await fs.writeFile(`${resultFile(dir)}.partial`, JSON.stringify(result))
    await fs.rename(`${resultFile(dir)}.partial`, resultFile(dir))
  }
  return build(dir).then(
    async (packed) => {
      await write({ packed })
      return packed
    },
    async (error: unknown) => {
      await write({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
      return undefined
    }
  )
}

/**
 * The environment variable that hands vitest a build already started (by
 * scripts/test.mjs, beside the static checks of `npm test`): the directory
 * of `tsx test/support/build.ts <dir>`. The global setup then waits for that
 * one instead of starting its own, and leaves its removal to its starter.
 */
export const startedDirVariable = "EFFECT_PLEX_AUTH_PACKED_DIR"

/** The build {@link start} started in `dir`, once it has ended (told by the file system, not by polling). */
export const finished = (dir: string): Promise<Packed> =>
  new Promise<Packed>((resolve, reject) => {
    let settled = false
    const check = () => {
      if (settled) return
      fs.readFile(resultFile(dir), "utf8").then(
        (text) => {
          if (settled) return
          settled = true
          watcher.close()
          const result = JSON.parse(text) as { readonly packed?: Packed; readonly error?: string }
          if (result.packed !== undefined) resolve(result.packed)
          else reject(new Error(`the shared package build failed:\n${result.error}`))
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

/** The test files that use the build: the global setup starts it when a run includes one. */
export const users: ReadonlyArray<string> = [
  "test/package.test.ts",
  "test/bundle.test.ts",
  "test/install-lines.test.ts",
  "test/bin/plex-auth.test.ts",
  "test/bin/docs.test.ts",
  "test/bin/fake-server.test.ts"
]

// `tsx test/support/build.ts <dir>`: builds and packs into `dir` (an empty directory), as the global
// setup would, writing the result for the test files (scripts/test.mjs starts it beside the static checks).
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dir = process.argv[2]
  if (dir === undefined) throw new Error("usage: tsx test/support/build.ts <empty directory>")
  void buildInto(dir).then((made) => {
    if (made === undefined) {
      console.error("the shared package build failed: see build-result.json")
      process.exitCode = 1
    } else console.log(`shared package build: ${made.timings.join(", ")}`)
  })
}
