/**
 * The Effect 4 edition's package as users get it: `npm run build` of effect4/
 * in a copy of the project, `npm pack` (both once per run, started beside the
 * other builds: test/support/packed.ts), and the tarball installed (offline,
 * from the npm cache, with a lockfile cut from ours) into a new project beside
 * `effect` 4 (the copy in effect4/node_modules, linked: test/support/consumer.ts
 * `installPacked`). Then, from that
 * project, on Node >= 22.19 (scripts/node22.mjs): the README's quick start
 * against the in-memory fake and a sign-in over the loopback fake; a
 * type-check with `nodenext` and with `bundler` resolution (by TypeScript 5.9
 * and by TypeScript 7); a browser bundle
 * with no Node built-in; the `plex-auth` binary.
 */
import { existsSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { build } from "esbuild"
import { afterAll, beforeAll } from "vitest"
import { type ConsumerCompiler, installPacked, typecheckConsumer } from "./support/consumer.js"
import { bundledNode, systemNodeIsEnough } from "../scripts/node22.mjs"
import { ok, root, run } from "./support/build.js"
import { buildTimeout, packedEffect4 } from "./support/packed.js"
import { assertLinks, type Links } from "./support/links.js"

const fixtures = path.join(root, "test", "package", "effect4")
// The Node >= 22.19 scripts/node22.mjs picks, started directly (without that script's own Node process).
const node22 = systemNodeIsEnough() ? process.execPath : bundledNode
const self = "effect4-plex-auth"

let dir: string
let project: string
let tarball: string

beforeAll(async () => {
  if (!existsSync(node22)) throw new Error(`no Node >= 22.19: ${node22} is missing (npm ci installs it)`)
  // The run's one build and tarball of the edition (test/support/build.ts), started beside the others.
  const shared = await packedEffect4()
  tarball = shared.tarball
  dir = await fs.mkdtemp(path.join(shared.dir, "smoke-"))
  project = path.join(dir, "project")
  await fs.mkdir(project)
  for (const file of ["example.mjs", "consumer.ts", "browser.ts"]) {
    await fs.copyFile(path.join(fixtures, file), path.join(project, file))
  }
  await fs.copyFile(path.join(root, "test", "package", "fake.mjs"), path.join(project, "fake.mjs"))
  await installPacked(project, tarball, ["effect"], { self, workspace: "effect4" })
}, buildTimeout + 240_000)

afterAll(async () => {
  if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true })
})

describe.concurrent("the packed Effect 4 edition", { timeout: 180_000 }, () => {
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
        await fs.readFile(path.join(project, "node_modules", self, "package.json"), "utf8")
      ) as Links
      assertLinks(pkg, "effect4")
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
      const result = ok(await run(node22, ["fake.mjs", self], project), "node22 fake.mjs")
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
          Effect.promise(async () => {
            const errors = (
              await (typechecked[compiler] ??= typecheckConsumer(project, ["nodenext", "bundler"], compiler))
            )[moduleResolution]
            assert.deepStrictEqual(errors, [], `${compiler} (${moduleResolution})`)
          })
      )
    }
  }

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
      assert.isTrue(inputs.some((input) => input.startsWith(`node_modules/${self}/dist/`)))
      assert.isFalse(inputs.some((input) => input.includes(`${self}/dist/effect4/src/node/`)))
    })
  )

  it.live("the plex-auth binary starts from the installed package", () =>
    Effect.promise(async () => {
      const bin = path.join(project, "node_modules", self, "dist", "bin", "plex-auth.js")
      const help = ok(await run(node22, [bin, "--help"], project), "plex-auth --help")
      for (const command of ["login", "whoami", "logout"]) assert.include(help.stdout, command)
      const version = ok(await run(node22, [bin, "--version"], project), "plex-auth --version")
      assert.include(version.stdout, "0.1.0")
    })
  )
})
