/**
 * Every export of a public module carries a JSDoc comment with `@since`
 * (and a `@category`, except the namespace re-exports of the barrels), as in
 * the Effect packages. Internal modules (src/internal, src/testing/internal,
 * src/bin) and the Effect-free protocol core (src/core, internal to both
 * editions) are exempt.
 *
 * And the JSDoc examples of the modules docgen documents run: `npm test`'s typecheck type-checks
 * them (scripts/check-docs.ts --no-run-examples) and leaves running them to this file, in a vitest
 * worker where Effect and the library are loaded already (`npm run typecheck` alone still runs them).
 */
import { afterAll, assert, describe, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { createRequire } from "node:module"
import type * as Ts from "typescript"
import { documentedExamples, exampleModuleName } from "../scripts/check-docs.js"

// TypeScript by `require`: an ESM import of its 9 MB CommonJS file first has Node scan it for its
// export names (about 0.6 CPU-s more, once per vitest worker; see scripts/check-docs.ts).
const ts = createRequire(import.meta.url)("typescript") as typeof Ts

const root = path.resolve(import.meta.dirname, "..")

const publicModules = (): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== "internal" && entry.name !== "bin" && full !== path.join(root, "src", "core"))
          walk(full)
      } else if (entry.name.endsWith(".ts")) {
        out.push(full)
      }
    }
  }
  walk(path.join(root, "src"))
  return out.sort()
}

const tagsOf = (node: Ts.Node): ReadonlyArray<string> =>
  ts.getJSDocTags(node).map((tag) => tag.tagName.getText())

const hasDoc = (node: Ts.Node): boolean => ts.getJSDocCommentsAndTags(node).length > 0

/** Undocumented exports of one file, as `file:line name`. */
const undocumented = (file: string): ReadonlyArray<string> => {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true)
  const problems: Array<string> = []
  const where = (node: Ts.Node, name: string, what: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart())
    problems.push(`${path.relative(root, file)}:${line + 1} ${name}: ${what}`)
  }
  const isBarrel = path.basename(file) === "index.ts"
  const check = (node: Ts.Node, name: string) => {
    if (!hasDoc(node)) return where(node, name, "no JSDoc")
    const tags = tagsOf(node)
    if (!tags.includes("since")) where(node, name, "no @since")
    if (!isBarrel && !tags.includes("category")) where(node, name, "no @category")
  }
  for (const statement of source.statements) {
    const exported = ts.canHaveModifiers(statement)
      ? (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : false
    if (ts.isExportDeclaration(statement)) {
      if (statement.exportClause === undefined) {
        where(statement, "export *", "re-export everything: list the names instead")
      } else if (ts.isNamespaceExport(statement.exportClause)) {
        check(statement, statement.exportClause.name.text)
      } else {
        for (const element of statement.exportClause.elements) check(element, element.name.text)
      }
      continue
    }
    if (!exported) continue
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        check(statement, declaration.name.getText())
      }
    } else if (
      ts.isFunctionDeclaration(statement) ||
      ts.isClassDeclaration(statement) ||
      ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement)
    ) {
      check(statement, statement.name?.text ?? "(anonymous)")
    }
  }
  return problems
}

describe("JSDoc on the public API", () => {
  it("every public module starts with a @since module comment", () => {
    const missing = publicModules().filter((file) => {
      const text = fs.readFileSync(file, "utf8").trimStart()
      return !(text.startsWith("/**") && text.slice(0, text.indexOf("*/")).includes("@since"))
    })
    assert.deepStrictEqual(
      missing.map((file) => path.relative(root, file)),
      []
    )
  })

  it("every export has a JSDoc comment with @since and @category", () => {
    const problems = publicModules().flatMap(undocumented)
    assert.deepStrictEqual(problems, [])
  })

  it("the check itself notices an undocumented export", () => {
    const file = path.join(root, ".tmp", "jsdoc-check-sample.ts")
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(
      file,
      "/** @since 0.1.0\n * @category x */\nexport const documented = 1\nexport const bare = 2\n"
    )
    try {
      assert.deepStrictEqual(undocumented(file), [".tmp/jsdoc-check-sample.ts:4 bare: no JSDoc"])
    } finally {
      fs.rmSync(file)
    }
  })
})

describe("the JSDoc examples of the modules docgen documents", () => {
  // Written as scripts/check-docs.ts writes them (one module each, `export {}` last), to a folder of
  // this file's own; `effect-plex-auth` resolves to src/ (vitest.config.ts's aliases), as the check's
  // tsconfig `paths` have it.
  const dir = path.join(root, ".tmp", "jsdoc-examples-run")
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
  const examples = documentedExamples(root)

  it("are found: those of the documented modules, not of the barrels, internals or guides", () => {
    const sources = new Set(examples.map((block) => block.source))
    assert.isAbove(examples.length, 50)
    for (const source of ["src/ClientIdentity.ts", "src/testing/FakePlex.ts", "src/node/KeyValueStore.ts"])
      assert.isTrue(sources.has(source), source)
    for (const source of sources) assert.match(source, /^src\/(?!index\.ts$|internal\/|core\/|bin\/)/)
  })

  for (const block of examples) {
    it(`${block.source}:${block.line} runs`, async () => {
      const file = path.join(dir, exampleModuleName(block))
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(file, `${block.code}\nexport {}\n`)
      await import(/* @vite-ignore */ file)
    })
  }
})
