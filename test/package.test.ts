/**
 * Both editions' packages as users get them: `npm run build` (in a copy of
 * the project), `npm pack` (both once per run, shared with the other files
 * that need them: test/support/packed.ts), and each tarball installed
 * (offline, from the npm cache, with a lockfile cut from ours) into a new
 * project beside its peer dependencies (this project's copies, linked:
 * test/support/consumer.ts `installPacked`): the Effect 3 edition beside
 * `effect` 3 and `@effect/platform`, the Effect 4 edition beside `effect` 4
 * (the copy in effect4/node_modules).
 *
 * The Effect 3 edition, from its project: a Node program against the
 * loopback fake, a type-check with `nodenext` and with `bundler` resolution
 * (by TypeScript 5.9 and by TypeScript 7), a browser bundle with no Node
 * built-in, and the `plex-auth` binary. The Effect 4 edition, from its
 * project, on Node >= 22.19 (scripts/node22.mjs): the README's quick start
 * against the in-memory fake and a sign-in over the loopback fake; the same
 * type-checks; a browser bundle with no Node built-in; the `plex-auth` binary.
 *
 * Both editions in one file so that both projects are type-checked in one
 * `tsc -b` per compiler (test/support/consumer.ts `typecheckConsumers`: the
 * lib files are read once, about 3.5 CPU-s less with TypeScript 5.9); the two
 * editions' tests run side by side.
 */
import { existsSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe } from "@effect/vitest"
import { Effect } from "effect"
import { build } from "esbuild"
import { afterAll, beforeAll } from "vitest"
import {
  self,
  type ConsumerCompiler,
  type ConsumerResolution,
  installPacked,
  typecheckConsumers
} from "./support/consumer.js"
import { bundledNode, systemNodeIsEnough } from "../scripts/node22.mjs"
import { env, ok, root, run } from "./support/build.js"
import { buildTimeout, packed, packedEffect4 } from "./support/packed.js"
import { assertLinks, type Links } from "./support/links.js"
import { it } from "./support/it.js"

const fixtures = path.join(root, "test", "package")
/** The peer dependencies the Effect 3 edition's consumer installs: the versions this project is developed against. */
const peers = ["effect", "@effect/platform"]
const fixtures4 = path.join(fixtures, "effect4")
// The Node >= 22.19 scripts/node22.mjs picks, started directly (without that script's own Node process).
const node22 = systemNodeIsEnough() ? process.execPath : bundledNode
const self4 = "effect4-plex-auth"

/** A consumer project of an edition's tarball, installed. */
interface Consumer {
  /** The folder of this file's scratch files for the edition (removed at the end). */
  readonly dir: string
  readonly project: string
  readonly tarball: string
  /** The copy of the project the build ran in. */
  readonly checkout: string
}

const timings: Array<string> = []
const timed = async <A>(what: string, f: () => Promise<A>): Promise<A> => {
  const start = performance.now()
  try {
    return await f()
  } finally {
    timings.push(`${what} ${((performance.now() - start) / 1000).toFixed(1)} s`)
  }
}

/** The scratch folders made by this file, removed at its end. */
const scratch: Array<string> = []

/** Once per file: a failed attempt is not tried again (its error is every caller's). */
const once = <A>(f: () => Promise<A>): (() => Promise<A>) => {
  let made: Promise<A> | undefined
  return () => (made ??= f())
}

/** The Effect 3 edition's consumer: started by its tests' hook, or by the first type check. */
const consumer3 = once(async (): Promise<Consumer> => {
  const shared = await packed()
  timings.push(...shared.timings)
  const dir = await fs.mkdtemp(path.join(shared.dir, "smoke-"))
  scratch.push(dir)
  const project = path.join(dir, "project")
  await fs.mkdir(project)
  for (const file of ["example.mjs", "consumer.ts", "browser.ts", "fake.mjs"]) {
    await fs.copyFile(path.join(fixtures, file), path.join(project, file))
  }
  await timed("install", () => installPacked(project, shared.tarball, peers))
  return { dir, project, tarball: shared.tarball, checkout: shared.checkout }
})

/** The Effect 4 edition's consumer, as {@link consumer3}. */
const consumer4 = once(async (): Promise<Consumer> => {
  if (!existsSync(node22)) throw new Error(`no Node >= 22.19: ${node22} is missing (npm ci installs it)`)
  // The run's one build and tarball of the edition (test/support/build.ts), started beside the others.
  const shared = await packedEffect4()
  const dir = await fs.mkdtemp(path.join(shared.dir, "smoke-"))
  scratch.push(dir)
  const project = path.join(dir, "project")
  await fs.mkdir(project)
  for (const file of ["example.mjs", "consumer.ts", "browser.ts"]) {
    await fs.copyFile(path.join(fixtures4, file), path.join(project, file))
  }
  await fs.copyFile(path.join(fixtures, "fake.mjs"), path.join(project, "fake.mjs"))
  await timed("effect4 install", () =>
    installPacked(project, shared.tarball, ["effect"], { self: self4, workspace: "effect4" })
  )
  return { dir, project, tarball: shared.tarball, checkout: shared.checkout }
})

afterAll(async () => {
  console.log(`package test: ${timings.join(", ")}`)
  for (const dir of scratch) await fs.rm(dir, { recursive: true, force: true })
})

/**
 * Both resolutions of both editions' consumers in one tsc run per compiler (test/support/consumer.ts
 * `typecheckConsumers`), started by the first test that needs it, once both consumers are installed (an
 * edition whose install failed is left out: its own tests fail on that): TypeScript 5.9, which many
 * users still have, and TypeScript 7, which builds the package and which users of `npm install
 * typescript` get. Resolves with the errors of `consumer`'s project for `resolution`.
 */
const typechecked: Partial<
  Record<
    ConsumerCompiler,
    Promise<ReadonlyMap<string, Partial<Record<ConsumerResolution, ReadonlyArray<string>>>>>
  >
> = {}
const typecheck = async (compiler: ConsumerCompiler, consumer: Consumer, resolution: ConsumerResolution) => {
  const all = await (typechecked[compiler] ??= timed(
    `${compiler === "typescript" ? "tsc" : "tsc 7"} (both editions)`,
    async () => {
      const installed = await Promise.allSettled([consumer3(), consumer4()])
      const projects = installed.flatMap((result, index) =>
        result.status === "fulfilled" ? [{ project: result.value.project, name: `effect${index + 3}` }] : []
      )
      const errors = await typecheckConsumers(projects, ["nodenext", "bundler"], compiler)
      return new Map(projects.map(({ project }, index) => [project, errors[index]!]))
    }
  ))
  return all.get(consumer.project)?.[resolution]
}

/** The type-check tests of an edition's consumer: both resolutions, both compilers. */
const typeChecks = (edition: () => Promise<Consumer>, name: string) => {
  for (const compiler of ["typescript", "typescript-7"] as const) {
    for (const moduleResolution of ["nodenext", "bundler"] as const) {
      it.live(
        `type-checks with moduleResolution ${moduleResolution}${compiler === "typescript" ? "" : " on TypeScript 7"}`,
        () =>
          Effect.promise(async () => {
            const errors = await typecheck(compiler, await edition(), moduleResolution)
            assert.deepStrictEqual(errors, [], `${name}: ${compiler} (${moduleResolution})`)
          })
      )
    }
  }
}

/**
 * The fields an installed edition's package.json may carry: what npm and its users read (resolution, types, the
 * bin, the peers, the engines, the registry page's links), none of this repository's own (its scripts, naming files
 * not shipped; its devDependencies; workspaces, overrides, allowScripts: read only where npm runs, never in a
 * dependency). A new field in either package.json fails here until it is added, or stripped by scripts/pack-manifest.mjs.
 */
const packedFields = [
  "name",
  "version",
  "description",
  "license",
  "homepage",
  "repository",
  "bugs",
  "type",
  "sideEffects",
  "engines",
  "keywords",
  "exports",
  "bin",
  "files",
  "dependencies",
  "peerDependencies",
  "peerDependenciesMeta"
]

const assertPackedManifest = (pkg: object) => {
  for (const name of ["scripts", "devDependencies", "workspaces", "overrides", "allowScripts"]) {
    assert.notProperty(pkg, name)
  }
  for (const name of Object.keys(pkg))
    assert.include(packedFields, name, `the packed package.json's "${name}"`)
}

const step = <A>(what: string, f: () => Promise<A>) => Effect.promise(() => timed(what, f))

// The steps are child processes: side by side, they use the cores the test worker leaves; the two
// editions' suites run side by side too (both concurrent).
describe.concurrent("the packed package", { timeout: 180_000 }, () => {
  let dir: string
  let project: string
  let tarball: string
  let checkout: string
  beforeAll(async () => {
    ;({ dir, project, tarball, checkout } = await consumer3())
  }, buildTimeout + 240_000)

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
      ) as { sideEffects: unknown; type: unknown; dependencies?: object; scripts?: object } & Links
      // No script npm runs on install (npm 11 warns users of any, even one it would not run: the root
      // `prepare`, which is this repository's own), nor any of this repository's fields; `prepack` removed
      // them, and `postpack` put the packed copy's package.json back as it was (scripts/pack-manifest.mjs).
      assertPackedManifest(pkg)
      assert.strictEqual(
        await fs.readFile(path.join(checkout, "package.json"), "utf8"),
        await fs.readFile(path.join(root, "package.json"), "utf8")
      )
      assert.property(
        JSON.parse(await fs.readFile(path.join(root, "package.json"), "utf8")).scripts,
        "prepare"
      )
      assert.strictEqual(pkg.sideEffects, false)
      assert.strictEqual(pkg.type, "module")
      assert.deepStrictEqual(Object.keys(pkg.dependencies ?? {}), [])
      assertLinks(pkg)
    })
  )

  it.live("a Node program signs in against the loopback fake", () =>
    step("example", async () => {
      const result = ok(await run(process.execPath, ["example.mjs"], project), "node example.mjs")
      assert.strictEqual(result.stdout.trim(), "signed in as alice (alice@example.com)")
    })
  )

  it.live("the Effect-free fake (/fake, /fake/node) runs without loading effect", () =>
    step("fake", async () => {
      const result = ok(await run(process.execPath, ["fake.mjs", self], project), "node fake.mjs")
      assert.strictEqual(result.stdout.trim(), "429 2; over HTTP alice")
    })
  )

  typeChecks(consumer3, "effect-plex-auth")

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
      // The link npm made for the package's `bin` (what `npx plex-auth` starts), run as it is. Its
      // `--version` is the next test's: the same file, run where no package.json can be read.
      const bin = path.join(project, "node_modules", ".bin", "plex-auth")
      const help = ok(await run(bin, ["--help"], project), "plex-auth --help")
      for (const command of ["login", "whoami", "servers", "logout"]) assert.include(help.stdout, command)
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
      // The version the build wrote in (nothing here to read it from): package.json's.
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

describe.concurrent("the packed Effect 4 edition", { timeout: 180_000 }, () => {
  let dir: string
  let project: string
  let tarball: string
  let checkout: string
  beforeAll(async () => {
    ;({ dir, project, tarball, checkout } = await consumer4())
  }, buildTimeout + 240_000)

  it.live("installs beside effect 4, and holds what users need", () =>
    Effect.promise(async () => {
      const installed = JSON.parse(
        await fs.readFile(path.join(project, "node_modules", "effect", "package.json"), "utf8")
      ) as { version: string }
      assert.match(installed.version, /^4\.1\./)
      const listed = ok(await run("tar", ["-tzf", tarball], dir), "tar")
        .stdout.split("\n")
        .filter(Boolean)
      for (const file of [
        "package/dist/effect4/src/index.js",
        "package/dist/effect4/src/index.d.ts",
        "package/dist/effect4/src/testing/index.js",
        "package/dist/effect4/src/node/index.js",
        "package/dist/src/core/policy.js",
        "package/dist/bin/plex-auth.js",
        "package/dist/bin/internal/cli.js",
        "package/README.md",
        "package/LICENSE"
      ]) {
        assert.include(listed, file)
      }
      for (const file of listed) assert.match(file, /^package\/(package\.json|README\.md|LICENSE|dist\/)/)
      const pkg = JSON.parse(
        await fs.readFile(path.join(project, "node_modules", self4, "package.json"), "utf8")
      ) as Links
      assertLinks(pkg, "effect4")
      // As the Effect 3 edition's: effect4/'s `prepack` / `postpack` (scripts/pack-manifest.mjs `strip .`).
      assertPackedManifest(pkg)
      assert.strictEqual(
        await fs.readFile(path.join(checkout, "package.json"), "utf8"),
        await fs.readFile(path.join(root, "effect4", "package.json"), "utf8")
      )
    })
  )

  it.live("the README's quick start and a sign-in over loopback run on Node 22", () =>
    Effect.promise(async () => {
      const result = ok(await run(node22, ["example.mjs"], project), "node22 example.mjs")
      assert.include(result.stdout, "signed in as alice; over HTTP alice (alice@example.com)")
    })
  )

  it.live("the Effect-free fake (/fake, /fake/node) runs on Node 22 without loading effect", () =>
    Effect.promise(async () => {
      const result = ok(await run(node22, ["fake.mjs", self4], project), "node22 fake.mjs")
      assert.strictEqual(result.stdout.trim(), "429 2; over HTTP alice")
    })
  )

  typeChecks(consumer4, self4)

  it.live("bundles for the browser without a Node built-in", () =>
    Effect.promise(async () => {
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
      assert.isAbove(result.outputFiles[0]!.text.length, 0)
      // No module imports a Node built-in. (Effect 4 itself names "node:async_hooks" in a string it
      // asks `process.getBuiltinModule` for when there is one: not an import.)
      const imported = Object.values(result.metafile.inputs).flatMap((input) =>
        input.imports.map((i) => i.path)
      )
      assert.deepStrictEqual(
        imported.filter((specifier) => specifier.startsWith("node:")),
        []
      )
      const inputs = Object.keys(result.metafile.inputs)
      assert.isTrue(inputs.some((input) => input.startsWith(`node_modules/${self4}/dist/`)))
      assert.isFalse(inputs.some((input) => input.includes(`${self4}/dist/effect4/src/node/`)))
    })
  )

  it.live("the plex-auth binary starts from the installed package, and through npm's .bin link", () =>
    Effect.promise(async () => {
      const bin = path.join(project, "node_modules", self4, "dist", "bin", "plex-auth.js")
      // The link npm made for the package's `bin` (what `npx plex-auth` starts), run as it is, its shebang's
      // `env node` finding a Node >= 22.19 first on the PATH, as the edition's engines ask of users.
      const link = path.join(project, "node_modules", ".bin", "plex-auth")
      const onPath = { ...env, PATH: [path.dirname(node22), env["PATH"]].join(path.delimiter) }
      const [help, version, linked] = await Promise.all([
        run(node22, [bin, "--help"], project),
        run(node22, [bin, "--version"], project),
        run(link, ["--version"], project, undefined, onPath)
      ])
      for (const command of ["login", "whoami", "logout"]) {
        assert.include(ok(help, "plex-auth --help").stdout, command)
      }
      assert.include(ok(version, "plex-auth --version").stdout, "0.1.0")
      assert.strictEqual(ok(linked, "node_modules/.bin/plex-auth --version").stdout, version.stdout)
      assert.strictEqual(await fs.realpath(link), await fs.realpath(bin))
    })
  )
})
