/**
 * No run-time import cycle among the modules of src/ (see test/support/cycles.ts): in a cycle, which
 * bindings are still undefined while it is evaluated depends on which of its modules a program (or a
 * test file sharing vitest's worker) imported first.
 */
import { assert, describe, it } from "vitest"
import * as path from "node:path"
import { runtimeCycles, sourceFiles } from "../support/cycles.js"

const root = path.resolve(import.meta.dirname, "../..")

describe("import cycles", () => {
  it("no module of src/ imports itself back at run time", () => {
    const files = sourceFiles(path.join(root, "src"))
    assert.isAbove(files.length, 50)
    assert.deepStrictEqual(runtimeCycles(files, root), [])
  })

  it("the scan finds a cycle, through re-exports and `import { type … }`, and skips `import type`", () => {
    const at = (name: string) => path.join(root, "virtual", name)
    const sources: Record<string, string> = {
      [at("a.ts")]: `import * as B from "./b.js"\nimport type { D } from "./d.js"\nexport const a = B.b`,
      [at("b.ts")]: `export { c as b } from "./c.js"`,
      [at("c.ts")]: `import { type A } from "./a.js"\nexport const c = 1`,
      [at("d.ts")]: `import type * as A from "./a.js"\nexport type { A } from "./a.js"\nexport type D = A.A`,
      [at("e.ts")]: `import "./e.js"`
    }
    const files = Object.keys(sources)
    assert.deepStrictEqual(
      runtimeCycles(files, root, (file) => sources[file]!),
      [
        "virtual/a.ts → virtual/b.ts → virtual/c.ts → virtual/a.ts (component: virtual/a.ts, virtual/b.ts, virtual/c.ts)",
        "virtual/e.ts → virtual/e.ts (component: virtual/e.ts)"
      ]
    )
    assert.deepStrictEqual(
      runtimeCycles([at("a.ts"), at("d.ts")], root, (file) => sources[file]!),
      []
    )
  })
})
