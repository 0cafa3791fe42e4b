/**
 * The package as users get it: `npm run build` (in a copy of the project),
 * `npm pack`, and the tarball
 * installed (offline, from the npm cache) into a new project beside the
 * peer dependencies. Then, from that project: a Node program against the
 * loopback fake, a type-check with `nodenext` and with `bundler` resolution,
 * a browser bundle with no Node built-in, and the `plex-auth` binary.
 */
import { execFile } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { build } from "esbuild"
import { afterAll, beforeAll } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const fixtures = path.join(root, "test", "package")
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc")
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
/** The peer dependencies the consumer installs: the versions this project is developed against. */
const peers = ["effect", "@effect/platform"]

type LockEntry = Record<string, unknown> & {
  readonly version: string
  readonly dependencies?: Record<string, string>
  readonly optionalDependencies?: Record<string, string>
}

/**
 * The consumer's package.json and lockfile: the packed tarball and the peers,
 * with everything the peers need, cut from this project's lockfile (the same
 * versions and integrities `npm ci` put in the cache). With a lockfile,
 * `npm ci --offline` takes each package from the cache by its integrity. An
 * `npm install` would first want each package's registry document, which a
 * fresh machine's cache does not hold (`npm ci` never fetches them).
 */
const writeConsumerLock = async (project: string, tarball: string) => {
  const ours = JSON.parse(await fs.readFile(path.join(root, "package-lock.json"), "utf8")) as {
    readonly packages: Record<string, LockEntry>
  }
  const packed = JSON.parse(
    ok(await run("tar", ["-xzOf", tarball, "package/package.json"], project), "tar").stdout
  ) as Record<string, unknown>
  const integrity = `sha512-${createHash("sha512")
    .update(await fs.readFile(tarball))
    .digest("base64")}`
  const spec = `file:../${path.basename(tarball)}`
  const dependencies: Record<string, string> = { "effect-plex-auth": spec }
  for (const name of peers) dependencies[name] = ours.packages[`node_modules/${name}`]!.version
  const packages: Record<string, unknown> = {
    "": { name: "consumer", version: "0.0.0", dependencies },
    "node_modules/effect-plex-auth": {
      version: packed.version,
      resolved: spec,
      integrity,
      ...Object.fromEntries(
        ["license", "bin", "engines", "peerDependencies", "peerDependenciesMeta"]
          .filter((key) => packed[key] !== undefined)
          .map((key) => [key, packed[key]])
      )
    }
  }
  // The peers and what they need, as this project's lockfile has them (hoisted: no nested copies here).
  const queue = [...peers]
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const key = `node_modules/${name}`
    if (packages[key] !== undefined) continue
    const entry = ours.packages[key]
    if (entry === undefined) throw new Error(`${key} is not in package-lock.json`)
    // They are development dependencies here and the consumer's own there; an optional one stays optional.
    const { dev: _dev, devOptional, peer: _peer, ...rest } = entry
    packages[key] = devOptional === true ? { ...rest, optional: true } : rest
    queue.push(...Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }))
  }
  await fs.writeFile(
    path.join(project, "package.json"),
    JSON.stringify(
      { name: "consumer", version: "0.0.0", private: true, type: "module", dependencies },
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

// What `npm test` puts in the environment points npm at this project (its
// prefix, its package.json): the project's npm must not see it.
const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) =>
      !/^(npm_config_local_prefix|npm_config_call|npm_package_|npm_lifecycle_|npm_command$|INIT_CWD$)/i.test(
        name
      )
  )
)

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const run = (command: string, args: ReadonlyArray<string>, cwd: string, timeout = 60_000) =>
  new Promise<Run>((resolve) => {
    execFile(command, args, { cwd, env, timeout, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) =>
      resolve({
        code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
        stdout,
        stderr
      })
    )
  })

const ok = (result: Run, what: string) => {
  if (result.code !== 0) {
    throw new Error(`${what} exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  }
  return result
}

let dir: string
let project: string
let tarball: string
const timings: Array<string> = []
const timed = async <A>(what: string, f: () => Promise<A>): Promise<A> => {
  const start = performance.now()
  try {
    return await f()
  } finally {
    timings.push(`${what} ${((performance.now() - start) / 1000).toFixed(1)} s`)
  }
}

// The build runs in a copy of the project (its node_modules linked), so it
// never touches this checkout's dist/ while something else uses it.
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

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "effect-plex-auth-package-"))
  const checkout = path.join(dir, "checkout")
  project = path.join(dir, "project")
  await fs.mkdir(project)
  await fs.mkdir(checkout)
  for (const entry of copied) {
    await fs.cp(path.join(root, entry), path.join(checkout, entry), { recursive: true })
  }
  await fs.symlink(path.join(root, "node_modules"), path.join(checkout, "node_modules"), "dir")
  await timed("build", async () => ok(await run(npm, ["run", "build"], checkout, 120_000), "npm run build"))
  const packed = await timed("pack", async () =>
    ok(await run(npm, ["pack", "--json", "--pack-destination", dir], checkout), "npm pack")
  )
  const [info] = JSON.parse(packed.stdout) as ReadonlyArray<{ readonly filename: string }>
  tarball = path.join(dir, info!.filename)
  for (const file of ["example.mjs", "consumer.ts", "browser.ts"]) {
    await fs.copyFile(path.join(fixtures, file), path.join(project, file))
  }
  await writeConsumerLock(project, tarball)
  await timed("install", async () =>
    ok(await run(npm, ["ci", "--offline", "--no-audit", "--no-fund"], project, 120_000), "npm ci --offline")
  )
}, 240_000)

afterAll(async () => {
  console.log(`package test: ${timings.join(", ")}`)
  if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true })
})

const step = <A>(what: string, f: () => Promise<A>) => Effect.promise(() => timed(what, f))

describe("the packed package", { timeout: 60_000 }, () => {
  it.live("holds what users need and nothing more", () =>
    step("contents", async () => {
      const listed = ok(await run("tar", ["-tzf", tarball], dir), "tar")
      const files = listed.stdout.split("\n").filter((line) => line !== "")
      for (const file of [
        "package/package.json",
        "package/README.md",
        "package/LICENSE",
        "package/dist/index.js",
        "package/dist/index.d.ts",
        "package/dist/testing/index.js",
        "package/dist/node/index.js",
        "package/dist/bin/plex-auth.js",
        "package/dist/bin/internal/cli.js"
      ]) {
        assert.include(files, file)
      }
      for (const file of files) {
        assert.match(file, /^package\/(package\.json|README\.md|LICENSE|dist\/|src\/)/)
        assert.notMatch(file, /^package\/(src\/bin|test|bench|scripts|docs|examples)\//)
      }
      const pkg = JSON.parse(
        await fs.readFile(path.join(project, "node_modules", "effect-plex-auth", "package.json"), "utf8")
      ) as { sideEffects: unknown; type: unknown; dependencies?: object }
      assert.strictEqual(pkg.sideEffects, false)
      assert.strictEqual(pkg.type, "module")
      assert.deepStrictEqual(Object.keys(pkg.dependencies ?? {}), [])
    })
  )

  it.live("a Node program signs in against the loopback fake", () =>
    step("example", async () => {
      const result = ok(await run(process.execPath, ["example.mjs"], project), "node example.mjs")
      assert.strictEqual(result.stdout.trim(), "signed in as alice (alice@example.com)")
    })
  )

  for (const moduleResolution of ["nodenext", "bundler"] as const) {
    it.live(`type-checks with moduleResolution ${moduleResolution}`, () =>
      step(`tsc ${moduleResolution}`, async () => {
        const config = `tsconfig.${moduleResolution}.json`
        await fs.writeFile(
          path.join(project, config),
          JSON.stringify({
            compilerOptions: {
              target: "ES2022",
              lib: ["ES2022", "DOM"],
              module: moduleResolution === "nodenext" ? "NodeNext" : "ESNext",
              moduleResolution,
              strict: true,
              exactOptionalPropertyTypes: true,
              noEmit: true,
              skipLibCheck: true,
              types: []
            },
            files: ["consumer.ts"]
          })
        )
        ok(await run(process.execPath, [tsc, "-p", config], project), `tsc (${moduleResolution})`)
      })
    )
  }

  it.live("bundles for the browser without a Node built-in", () =>
    step("esbuild", async () => {
      const result = await build({
        absWorkingDir: project,
        entryPoints: ["browser.ts"],
        bundle: true,
        platform: "browser",
        format: "esm",
        write: false,
        metafile: true,
        logLevel: "silent"
      })
      const output = result.outputFiles[0]!.text
      assert.isAbove(output.length, 0)
      assert.notMatch(output, /["']node:/)
      const inputs = Object.keys(result.metafile.inputs)
      assert.isTrue(inputs.some((input) => input.startsWith("node_modules/effect-plex-auth/dist/")))
      assert.isFalse(inputs.some((input) => input.includes("effect-plex-auth/dist/node/")))
    })
  )

  it.live("the plex-auth binary starts from the installed package", () =>
    step("plex-auth", async () => {
      const help = ok(
        await run(npm, ["exec", "--offline", "--", "plex-auth", "--help"], project),
        "plex-auth --help"
      )
      for (const command of ["login", "whoami", "servers", "logout"]) assert.include(help.stdout, command)
      const { version: expected } = JSON.parse(
        await fs.readFile(path.join(root, "package.json"), "utf8")
      ) as {
        version: string
      }
      const version = ok(
        await run(path.join(project, "node_modules", ".bin", "plex-auth"), ["--version"], project),
        "plex-auth --version"
      )
      assert.strictEqual(version.stdout.trim(), expected)
    })
  )

  it.live("the plex-auth bundle needs nothing beside it: no effect, no package.json", () =>
    step("plex-auth alone", async () => {
      // A copy of dist/bin where no node_modules and no package.json can be found.
      const alone = path.join(dir, "alone")
      await fs.cp(path.join(project, "node_modules", "effect-plex-auth", "dist", "bin"), alone, {
        recursive: true
      })
      const bin = path.join(alone, "plex-auth.js")
      const { version: expected } = JSON.parse(
        await fs.readFile(path.join(root, "package.json"), "utf8")
      ) as {
        version: string
      }
      assert.strictEqual(
        ok(await run(bin, ["--version"], alone), "plex-auth --version").stdout.trim(),
        expected
      )
      // The embedded fake starts, with the global options after the command.
      const whoami = await run(bin, ["whoami", "--fake", "--config-dir", path.join(dir, "config")], alone)
      assert.strictEqual(whoami.code, 3, whoami.stderr)
      assert.include(whoami.stderr, "Not logged in")
    })
  )
})
