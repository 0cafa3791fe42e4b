/**
 * Runtime import cycles among a package's source files (used by test/internal/cycles.test.ts of both
 * editions).
 *
 * A cycle of modules that import one another at run time leaves some of their bindings undefined while
 * the cycle is being evaluated, and which ones depends on which module of the cycle was imported first:
 * under vitest's module runner (files sharing a worker's modules, `isolate: false`) a test file then
 * failed or passed depending on the files run before it in the same worker ("yield*
 * PlexAuth.TracePropagation is not iterable" in effect4/test/settings.test.ts after
 * test/bin/wizard.test.ts, through `Credentials ↔ PlexAuth` and `Credentials → PinLogin →
 * internal/request → Credentials`).
 *
 * An import is a run-time one unless the whole declaration is type-only (`import type ...`,
 * `export type ... from`): with `verbatimModuleSyntax` (tsconfig.base.json), `import { type A } from
 * "./a.js"` is kept as `import {} from "./a.js"`, which still evaluates `./a.js`. Dynamic `import()`
 * evaluates its module later, when called, and is not counted.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { createRequire } from "node:module"
import type * as Ts from "typescript"

// TypeScript by `require`: an ESM import of its 9 MB CommonJS file first has Node scan it for its
// export names (about 0.6 CPU-s more, once per vitest worker; see scripts/check-docs.ts).
const ts = createRequire(import.meta.url)("typescript") as typeof Ts

/** The `.ts` files (not `.d.ts`) under `dir`, recursively, sorted. */
export const sourceFiles = (dir: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full)
    }
  }
  walk(dir)
  return out.sort()
}

/**
 * The relative modules `file` imports or re-exports at run time, resolved to `.ts` files (`./a.js` is
 * `./a.ts`), whether or not they exist.
 */
export const runtimeImports = (
  file: string,
  text: string = fs.readFileSync(file, "utf8")
): ReadonlyArray<string> => {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false)
  const out: Array<string> = []
  for (const statement of source.statements) {
    let specifier: Ts.Expression | undefined
    if (ts.isImportDeclaration(statement)) {
      if (statement.importClause?.isTypeOnly === true) continue
      specifier = statement.moduleSpecifier
    } else if (ts.isExportDeclaration(statement)) {
      if (statement.isTypeOnly) continue
      specifier = statement.moduleSpecifier
    } else if (ts.isImportEqualsDeclaration(statement)) {
      if (statement.isTypeOnly || !ts.isExternalModuleReference(statement.moduleReference)) continue
      specifier = statement.moduleReference.expression
    }
    if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith(".")) continue
    out.push(path.resolve(path.dirname(file), specifier.text).replace(/\.js$/, ".ts"))
  }
  return out
}

/**
 * Every run-time import cycle among `files` (imports of files not in `files` are ignored): one cycle
 * per strongly connected component of the import graph (Tarjan), each the shortest cycle through the
 * component's first file, as paths relative to `base`, the first file repeated at the end (`a.ts →
 * b.ts → a.ts`). Empty when there is none.
 */
export const runtimeCycles = (
  files: ReadonlyArray<string>,
  base: string,
  read: (file: string) => string = (file) => fs.readFileSync(file, "utf8")
): ReadonlyArray<string> => {
  const known = new Set(files)
  const edges = new Map(
    files.map((file) => [file, runtimeImports(file, read(file)).filter((to) => known.has(to))])
  )
  const next = (file: string): ReadonlyArray<string> => edges.get(file) ?? []

  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const components: Array<ReadonlyArray<string>> = []
  const visit = (file: string) => {
    index.set(file, index.size)
    low.set(file, index.get(file)!)
    stack.push(file)
    onStack.add(file)
    for (const to of next(file)) {
      if (!index.has(to)) {
        visit(to)
        low.set(file, Math.min(low.get(file)!, low.get(to)!))
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!))
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: Array<string> = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== file)
      if (component.length > 1 || next(file).includes(file)) components.push(component.sort())
    }
  }
  for (const file of files) if (!index.has(file)) visit(file)

  // The shortest cycle through the component's first file (breadth first, inside the component).
  const shortestCycle = (component: ReadonlyArray<string>): ReadonlyArray<string> => {
    const inside = new Set(component)
    const start = component[0]!
    const from = new Map<string, string>()
    const queue = [start]
    for (let at = 0; at < queue.length; at++) {
      const file = queue[at]!
      for (const to of next(file)) {
        if (!inside.has(to)) continue
        if (to === start) {
          const cycle = [file]
          while (cycle[0] !== start) cycle.unshift(from.get(cycle[0]!)!)
          return [...cycle, start]
        }
        if (!from.has(to)) {
          from.set(to, file)
          queue.push(to)
        }
      }
    }
    return component
  }
  const relative = (file: string) => path.relative(base, file).split(path.sep).join("/")
  return components
    .map((component) => shortestCycle(component).map(relative).join(" → "))
    .map((cycle, i) => `${cycle} (component: ${components[i]!.map(relative).join(", ")})`)
    .sort()
}
