import * as path from "node:path"
import { assert, describe } from "@effect/vitest"
import { Effect } from "effect"
import {
  budgets,
  impureTopLevels,
  type Measurement,
  measureAll,
  nodeImports,
  overBaselineModules,
  programs,
  readDist,
  type Report,
  table,
  violations,
  withSection
} from "../scripts/bundle-budget.js"
import { buildTimeout, packed } from "./support/packed.js"
import { it } from "./support/it.js"

// esbuild and the in-memory tsc emit take a few seconds each on 2 cores.
const slow = { timeout: 120_000 }

let measured: Promise<Report> | undefined
const report = Effect.promise(() => (measured ??= measureAll()))

const byName = (r: Report, name: string): Measurement => {
  const found = r.measurements.find((m) => m.program.name === name)
  assert.isDefined(found, `no measurement for ${name}`)
  return found!
}

describe("bundle size", () => {
  it.effect(
    "every operation stays within its gzipped budgets",
    () =>
      Effect.gen(function* () {
        const r = yield* report
        const broken = violations(r)
        const details = r.measurements
          .filter((m) => broken.some((v) => v.startsWith(`${m.program.name}:`)))
          .slice(0, 1)
          .map(
            (m) =>
              `What ${m.program.name} adds over the baseline (minified bytes):\n${overBaselineModules(r, m)}`
          )
        assert.deepStrictEqual(broken, [], `\n${table(r)}\n\n${broken.join("\n")}\n\n${details.join("\n\n")}`)
      }),
    slow
  )

  it.effect(
    "measures real programs: each operation bundles the request engine and costs more than the baseline",
    () =>
      Effect.gen(function* () {
        const r = yield* report
        assert.deepStrictEqual(
          r.measurements.map((m) => m.program.name),
          programs.map((p) => p.name)
        )
        const baseline = byName(r, "baseline")
        assert.isFalse(baseline.modules.some((m) => m.module.startsWith("src/")))
        for (const m of r.measurements.filter(
          (m) => m.program.kind === "operation" || m.program.kind === "all"
        )) {
          assert.isTrue(
            m.modules.some((module) => module.module === "src/internal/request.ts"),
            `${m.program.name} does not contain the request engine`
          )
          assert.isAbove(m.gzipped, baseline.gzipped, m.program.name)
        }
        const plexjs = byName(r, "plexjsGetTokenDetails")
        assert.isTrue(plexjs.packages.some((p) => p.module === "@lukehagar/plexjs"))
        assert.isTrue(plexjs.packages.some((p) => p.module === "zod"))
      }),
    slow
  )

  it.effect("the budget check fails on a program over either budget", () =>
    Effect.sync(() => {
      const program = (name: string, kind: Measurement["program"]["kind"]) => ({ name, kind, label: name })
      const at = (name: string, kind: Measurement["program"]["kind"], gzipped: number): Measurement => ({
        program: program(name, kind),
        minified: gzipped * 3,
        gzipped,
        packages: [],
        modules: []
      })
      const fake = (baseline: number, op: number): Report => ({
        measurements: [
          at("baseline", "baseline", baseline),
          at("op", "operation", op),
          at("all", "all", 10 ** 7)
        ],
        esbuildVersion: "0",
        nodeVersion: "v0"
      })
      assert.deepStrictEqual(violations(fake(70_000, 70_000 + budgets.ownBytesOneOperation)), [])
      assert.strictEqual(violations(fake(70_000, 70_001 + budgets.ownBytesOneOperation)).length, 1)
      assert.strictEqual(violations(fake(85_000, budgets.oneOperation + 1)).length, 1)
      assert.strictEqual(violations(fake(50_000, budgets.oneOperation + 1)).length, 2)
    })
  )

  it.effect(
    "importing either edition's barrel and using nothing bundles a few constants, not its modules",
    () =>
      Effect.gen(function* () {
        const kept = yield* Effect.promise(() => impureTopLevels((file) => file === "index.ts"))
        assert.strictEqual(kept.length, 2, "both barrels measured")
        for (const barrel of kept) {
          assert.isAtMost(barrel.bytes, budgets.barrelUnused, `${barrel.module} keeps ${barrel.bytes} bytes`)
          // A real measurement: the barrel does keep its few constants.
          assert.isAbove(barrel.bytes, 0, barrel.module)
        }
      }),
    slow
  )
})

describe("browser-safe output", () => {
  it.effect(
    "no emitted file outside the Node-only parts (node/, bin/, core/node/, fake/node) imports a Node built-in",
    () =>
      Effect.gen(function* () {
        // The run's one build (test/support/packed.ts): `npm run build` compiles the browser-safe entries
        // with no Node types, so a Node type there already failed it.
        const { checkout } = yield* Effect.promise(packed)
        const files = readDist(path.join(checkout, "dist"))
        assert.isTrue(files.has("index.js") && files.has("index.d.ts") && files.has("PlexAuth.js.map"))
        assert.deepStrictEqual(nodeImports(files), [])
      }),
    { timeout: buildTimeout }
  )

  it.effect(
    "the Node check flags node: and bare built-ins in .js and .d.ts, except under node/ and bin/",
    () =>
      Effect.sync(() => {
        const files = new Map([
          ["PlexAuth.js", 'import * as fs from "node:fs"\nconst p = await import("path")'],
          ["internal/x.d.ts", '/// <reference types="node" />\nimport type { Server } from "node:http"'],
          ["testing/y.js", 'export { randomUUID } from "crypto"'],
          ["node/FakePlexServer.js", 'import * as http from "node:http"'],
          ["bin/cli.js", 'import "node:process"'],
          ["Schemas.js", 'import * as Schema from "effect/Schema"\nconst note = "node: not an import"'],
          ["PlexAuth.js.map", '{"sources":["node:fs"]}']
        ])
        assert.deepStrictEqual(nodeImports(files), [
          "PlexAuth.js: node:fs",
          "PlexAuth.js: path",
          "internal/x.d.ts: node:http",
          'internal/x.d.ts: /// <reference types="node" />',
          "testing/y.js: crypto"
        ])
      })
  )
})

describe("docs/benchmarks.md", () => {
  it.effect("rewrites only the Bundle size section", () =>
    Effect.sync(() => {
      const doc = "# Benchmarks\n\nIntro.\n\n## Bundle size\n\nold\n\n## Latency\n\nkept\n"
      assert.strictEqual(
        withSection(doc, "## Bundle size\n\nnew\n"),
        "# Benchmarks\n\nIntro.\n\n## Bundle size\n\nnew\n\n## Latency\n\nkept\n"
      )
      assert.strictEqual(
        withSection("# Benchmarks\n", "## Bundle size\n\nnew\n"),
        "# Benchmarks\n\n## Bundle size\n\nnew\n"
      )
      assert.strictEqual(
        withSection("# B\n\n## Bundle size\n\nold\n", "## Bundle size\n\nnew\n"),
        "# B\n\n## Bundle size\n\nnew\n"
      )
    })
  )
})
