/**
 * The Effect 4 edition's bundle budget (issue 18), as test/bundle.test.ts is
 * the Effect 3 edition's: the entries of effect4/bench/bundles/ bundled for
 * the browser with esbuild (one run, from the sources), gzipped, against the
 * ceilings of effect4/bench/bundle.ts. Rollup's sizes are the bench's
 * (`effect4/bench/bundle.ts`): too slow for `npm test`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { budgets, ceilings, entries, measureEsbuild, overCeilings } from "../bench/bundle.js"

type Sizes = Awaited<ReturnType<typeof measureEsbuild>>

let measured: Promise<Sizes> | undefined
const sizes = Effect.promise(() => (measured ??= measureEsbuild()))

/** The inputs an entry adds over the floor, largest first (minified bytes). */
const added = (all: Sizes, entry: (typeof entries)[number]) =>
  Object.entries(all[entry].inputs)
    .map(([input, bytes]) => [input, bytes - (all.baseline.inputs[input] ?? 0)] as const)
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([input, bytes]) => `${String(bytes).padStart(7)} ${input}`)
    .join("\n")

describe("Effect 4 bundle size", () => {
  it.effect(
    "one operation stays within the enforced ceilings (esbuild, gzipped)",
    () =>
      Effect.gen(function* () {
        const all = yield* sizes
        const broken = overCeilings(all)
        const table = ["baseline", ...entries]
          .map((name) => `${name}: ${all[name as keyof Sizes].gzipped} B`)
          .join(", ")
        const details = entries.map((entry) => `${entry} over the floor:\n${added(all, entry)}`).join("\n\n")
        assert.deepStrictEqual(broken, [], `${table}\n${broken.join("\n")}\n\n${details}`)
      }),
    { timeout: 60_000 }
  )

  it.effect(
    "measures real programs: each operation bundles the request engine and costs more than the floor",
    () =>
      Effect.gen(function* () {
        const all = yield* sizes
        assert.isFalse(Object.keys(all.baseline.inputs).some((input) => input.includes("effect4/src/")))
        for (const entry of entries) {
          assert.isTrue(
            Object.keys(all[entry].inputs).some((input) => input.endsWith("src/internal/request.ts")),
            `${entry} does not contain the request engine`
          )
          assert.isAbove(all[entry].gzipped, all.baseline.gzipped + 1000, entry)
        }
      }),
    { timeout: 60_000 }
  )

  it.effect(
    "the check fails on an operation over either limit; the ceilings stop at issue 18's budgets",
    () =>
      Effect.sync(() => {
        const at = (baseline: number, operation: number) =>
          ({
            baseline: { gzipped: baseline },
            getTokenDetails: { gzipped: operation },
            signIn: { gzipped: baseline },
            getTokenDetailsBarrel: { gzipped: 10 ** 7 }
          }) as const
        const limits = { total: 50_000, overBaseline: 8_000 }
        assert.deepStrictEqual(overCeilings(at(40_000, 48_000), limits), [])
        assert.strictEqual(overCeilings(at(40_000, 48_001), limits).length, 1)
        assert.strictEqual(overCeilings(at(45_000, 50_001), limits).length, 1)
        assert.strictEqual(overCeilings(at(30_000, 50_001), limits).length, 2)
        // Ceilings only ever come down to issue 18's budgets.
        assert.isAtLeast(ceilings.total, budgets.total)
        assert.isAtLeast(ceilings.overBaseline, budgets.overBaseline)
      })
  )
})
