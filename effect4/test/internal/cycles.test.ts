/**
 * No run-time import cycle among the modules of src/ and of the shared ../src/core and ../src/fake (see
 * ../test/support/cycles.ts): in a cycle, which bindings are still undefined while it is evaluated
 * depends on which of its modules a program (or a test file sharing vitest's worker) imported first.
 *
 * The shared modules' own cycles are the Effect 3 edition's test's to find (test/internal/cycles.test.ts
 * scans the root package's src/, ../src/core and ../src/fake included, with the same scan): scanned here
 * too, they took about 0.4 CPU-s more of each `npm test` (TypeScript parses twice the code). What this
 * edition adds is its src/: a cycle through it and the shared modules would need a shared module that
 * imports one of src/, which the first test refuses.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { runtimeCycles, sourceFiles } from "../../../test/support/cycles.js"

const root = path.resolve(import.meta.dirname, "../..")

/** The module specifiers in `text` (of `from`, `import`, `import()`, `require()`) that name this edition. */
const namesOfThisEdition = (text: string): ReadonlyArray<string> =>
  [...text.matchAll(/(?:\bfrom|\bimport|\brequire)\s*\(?\s*["'`]([^"'`]*)["'`]/g)]
    .map((match) => match[1]!)
    .filter((specifier) => specifier.includes("effect4"))

describe("import cycles", () => {
  it("no module of src/ imports itself back at run time, through the shared ../src/core, ../src/fake or not", () => {
    const files = sourceFiles(path.join(root, "src"))
    assert.isAbove(files.length, 40)
    assert.deepStrictEqual(runtimeCycles(files, root), [])
    // No shared module names a module of this edition (by path or by package name), in an import, an export
    // ... from, an import() or a require(): a cycle through src/ cannot pass through them. Read as text, not
    // parsed (the point of leaving them to the Effect 3 edition's scan); a comment that looks like one of
    // these counts too, so the check errs on the side of failing.
    const shared = [
      ...sourceFiles(path.join(root, "../src/core")),
      ...sourceFiles(path.join(root, "../src/fake"))
    ]
    assert.isAbove(shared.length, 50)
    const intoThisEdition = shared.flatMap((file) =>
      namesOfThisEdition(fs.readFileSync(file, "utf8")).map((to) => `${path.relative(root, file)} → ${to}`)
    )
    assert.deepStrictEqual(intoThisEdition, [])
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

  it("the check of the shared modules sees every way a module can name this edition", () => {
    const forms = [
      `import * as A from "../../effect4/src/A.js"`,
      `import {\n  a,\n  type B\n} from\n  '../effect4/src/internal/a.js'`,
      `import "../../effect4/src/side.js"`,
      `export * from "effect4-plex-auth/PlexAuth"`,
      `export { a } from "effect4-plex-auth"`,
      "const a = await import(`../../effect4/src/A.js`)",
      `const a = require( "effect4-plex-auth/node" )`
    ]
    for (const form of forms) assert.strictEqual(namesOfThisEdition(form).length, 1, form)
    assert.deepStrictEqual(namesOfThisEdition(`import * as Http from "./http.js"\n// effect4/src/a.ts`), [])
  })
})
