/**
 * The project's own lint rules, an oxlint JS plugin (.oxlintrc.json `jsPlugins`, rules `project/...`);
 * test/lint.test.ts proves each fires.
 *
 * `project/no-renamed-it-layer`: @effect/vitest's `it.layer` reached through `it` imported under another
 * name (`import { it as effectIt } from "@effect/vitest"; effectIt.layer(...)`) or through the namespace
 * (`import * as Vitest from "@effect/vitest"; Vitest.it.layer`). It is the package's `layer()`, refused in
 * the tests (.oxlintrc.json says why); eslint's no-restricted-properties knows objects by name only, so it
 * catches `it.layer` and misses these. `it` under its own name is left to that rule (one finding, not two).
 */

const vitest = "@effect/vitest"

/** The name a property or an import specifier gives: `a.b`, `a["b"]`, `{ "b" as c }`. */
const nameOf = (node) =>
  node === null || node === undefined
    ? undefined
    : node.type === "Identifier"
      ? node.name
      : node.type === "Literal" && typeof node.value === "string"
        ? node.value
        : undefined

const noRenamedItLayer = {
  meta: {
    type: "problem",
    docs: { description: "Refuse @effect/vitest's it.layer reached through a renamed `it` or the namespace." }
  },
  create(context) {
    // Local names bound to @effect/vitest's `it` (other than `it`), and to the module's namespace.
    const its = new Set()
    const namespaces = new Set()
    const isLayer = (node) =>
      nameOf(node.property) === "layer" && (node.computed ? node.property.type === "Literal" : true)
    return {
      ImportDeclaration(node) {
        if (node.source.value !== vitest) return
        for (const specifier of node.specifiers) {
          if (specifier.type === "ImportNamespaceSpecifier") namespaces.add(specifier.local.name)
          else if (
            specifier.type === "ImportSpecifier" &&
            nameOf(specifier.imported) === "it" &&
            specifier.local.name !== "it"
          ) {
            its.add(specifier.local.name)
          }
        }
      },
      MemberExpression(node) {
        if (!isLayer(node)) return
        const object = node.object
        const renamed = object.type === "Identifier" && its.has(object.name)
        const throughNamespace =
          object.type === "MemberExpression" &&
          object.object.type === "Identifier" &&
          namespaces.has(object.object.name) &&
          nameOf(object.property) === "it"
        if (renamed || throughNamespace) {
          context.report({
            node,
            message:
              "@effect/vitest's it.layer() under another name is still its layer() (refused in the tests, see .oxlintrc.json): provide the layer per test."
          })
        }
      }
    }
  }
}

export default {
  meta: { name: "project" },
  rules: { "no-renamed-it-layer": noRenamedItLayer }
}
