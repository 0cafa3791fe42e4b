/**
 * The package as users get it: `npm run build` (in a copy of the project),
 * `npm pack` (both once per run, shared with the other files that need them:
 * test/support/packed.ts), and the tarball
 * installed (offline, from the npm cache) into a new project beside the
 * peer dependencies (this project's copies, linked: test/support/consumer.ts
 * `installPacked`). Then, from that project: a Node program against the
 * loopback fake, a type-check with `nodenext` and with `bundler` resolution
 * (by TypeScript 5.9 and by TypeScript 7),
 * a browser bundle with no Node built-in, and the `plex-auth` binary.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { build } from "esbuild"
import { afterAll, beforeAll } from "vitest"
import { self, type ConsumerCompiler, installPacked, typecheckConsumer } from "./support/consumer.js"
import { ok, root, run } from "./support/build.js"
import { buildTimeout, packed } from "./support/packed.js"
import { assertLinks, type Links } from "./support/links.js"

const fixtures = path.join(root, "test", "package")
/** The peer dependencies the consumer installs: the versions this project is developed against. */
const peers = ["effect", "@effect/platform"]

let dir: string
let project: string
let tarball: string
let checkout: string
const timings: Array<string> = []
const timed = async <A>(what: string, f: () => Promise<A>): Promise<A> => {
  const start = performance.now()
  try {
    return await f()
  } finally {
    timings.push(`${what} ${((performance.now() - start) / 1000).toFixed(1)} s`)
  }
}

beforeAll(async () => {
  const shared = await packed()
  timings.push(...shared.timings)
  tarball = shared.tarball
  checkout = shared.checkout
  dir = await fs.mkdtemp(path.join(shared.dir, "smoke-"))
  project = path.join(dir, "project")
  await fs.mkdir(project)
  for (const file of ["example.mjs", "consumer.ts", "browser.ts", "fake.mjs"]) {
    await fs.copyFile(path.join(fixtures, file), path.join(project, file))
  }
  await timed("install", () => installPacked(project, tarball, peers))
}, buildTimeout + 240_000)

afterAll(async () => {
  console.log(`package test: ${timings.join(", ")}`)
  if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true })
})

const step = <A>(what: string, f: () => Promise<A>) => Effect.promise(() => timed(what, f))

// The steps are child processes: side by side, they use the cores the test worker leaves.
describe.concurrent("the packed package", { timeout: 180_000 }, () => {
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
      // `prepare`, which is this repository's own); `prepack` removed them, and `postpack` put the
      // packed copy's package.json back as it was (scripts/pack-manifest.mjs).
      for (const name of ["preinstall", "install", "postinstall", "preprepare", "prepare", "postprepare"])
        assert.notProperty(pkg.scripts ?? {}, name)
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

  // Both resolutions in one tsc run per compiler (test/support/consumer.ts), started by the first test
  // that needs it: TypeScript 5.9, which many users still have, and TypeScript 7, which builds the
  // package and which users of `npm install typescript` get.
  const typechecked: Partial<Record<ConsumerCompiler, ReturnType<typeof typecheckConsumer>>> = {}
  for (const compiler of ["typescript", "typescript-7"] as const) {
    for (const moduleResolution of ["nodenext", "bundler"] as const) {
      it.live(
        `type-checks with moduleResolution ${moduleResolution}${compiler === "typescript" ? "" : " on TypeScript 7"}`,
        () =>
          step(`${compiler === "typescript" ? "tsc" : "tsc 7"} ${moduleResolution}`, async () => {
            const errors = (
              await (typechecked[compiler] ??= typecheckConsumer(project, ["nodenext", "bundler"], compiler))
            )[moduleResolution]
            assert.deepStrictEqual(errors, [], `${compiler} (${moduleResolution})`)
          })
      )
    }
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
