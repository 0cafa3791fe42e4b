/**
 * The public names each edition exports, read from its sources with the
 * TypeScript compiler's parser alone (no type checking, no program): each
 * module's top-level `export` declarations and re-exports, with a kind.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { createRequire } from "node:module"
import type * as Ts from "typescript"

// TypeScript by `require`: an ESM import of its 9 MB CommonJS file first has Node scan it for its
// export names (about 0.6 CPU-s more, once per vitest worker; see scripts/check-docs.ts).
const ts = createRequire(import.meta.url)("typescript") as typeof Ts

/** What an exported name is, as far as the syntax tells. */
export type ExportKind = "function" | "class" | "const" | "type" | "namespace" | "enum" | "module"

/**
 * An exported name: its kind, and, where the syntax shows them, the names of
 * its members: an interface's or object type's properties and methods (a
 * service's operations, an options object's options), a class's members plus
 * the fields given to its base class call (a `Schema` error's fields).
 */
export interface Exported {
  readonly kind: ExportKind
  readonly members: ReadonlyArray<string>
  /** A constant's literal value (a default URL, a store key, a number), as written. */
  readonly literal?: string | undefined
}

const literalOf = (initializer: Ts.Expression | undefined): string | undefined =>
  initializer !== undefined &&
  (ts.isStringLiteral(initializer) ||
    ts.isNumericLiteral(initializer) ||
    ts.isNoSubstitutionTemplateLiteral(initializer))
    ? initializer.text
    : undefined

/** The options of a function: the members of its parameters' object types written in place, as `options.name`. */
const parameterMembers = (parameters: Ts.NodeArray<Ts.ParameterDeclaration>): Array<string> =>
  parameters.flatMap((parameter) =>
    parameter.type !== undefined && ts.isTypeLiteralNode(parameter.type) && ts.isIdentifier(parameter.name)
      ? typeMembers(parameter.type.members).map(
          (member) => `(${(parameter.name as Ts.Identifier).text}).${member}`
        )
      : []
  )

const functionOf = (initializer: Ts.Expression | undefined): Ts.SignatureDeclaration | undefined => {
  let expression = initializer
  while (
    expression !== undefined &&
    (ts.isParenthesizedExpression(expression) ||
      ts.isAsExpression(expression) ||
      ts.isSatisfiesExpression(expression))
  ) {
    expression = expression.expression
  }
  return expression !== undefined && (ts.isArrowFunction(expression) || ts.isFunctionExpression(expression))
    ? expression
    : undefined
}

const memberName = (name: Ts.PropertyName | undefined): string | undefined =>
  name === undefined
    ? undefined
    : ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name)
      ? name.text
      : undefined

const typeMembers = (members: Ts.NodeArray<Ts.TypeElement>): Array<string> =>
  members.flatMap((m) => {
    const name = memberName(m.name)
    return name === undefined ? [] : [name]
  })

/** The property names of an object literal, a spread of a literal of the same file included (`...ResponseContext`). */
const objectMembers = (
  literal: Ts.ObjectLiteralExpression,
  locals: ReadonlyMap<string, Ts.ObjectLiteralExpression | Ts.CallExpression>,
  seen: ReadonlySet<string> = new Set()
): Array<string> =>
  literal.properties.flatMap((property) => {
    if (ts.isSpreadAssignment(property)) {
      const name = ts.isIdentifier(property.expression) ? property.expression.text : undefined
      const spread = name === undefined || seen.has(name) ? undefined : locals.get(name)
      return spread === undefined ? [] : fieldsMembers(spread, locals, new Set([...seen, name!]))
    }
    const name = memberName(property.name)
    return name === undefined ? [] : [name]
  })

/** `fields(ResponseContext, { ... })`: PlexError.ts's pure stand-in for `{ ...ResponseContext, ... }`. */
const isFieldsCall = (node: Ts.Node): node is Ts.CallExpression =>
  ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "fields"

/** The property names of an object literal, or of a `fields(...)` call's arguments (locals looked up by name). */
const fieldsMembers = (
  node: Ts.Expression,
  locals: ReadonlyMap<string, Ts.ObjectLiteralExpression | Ts.CallExpression>,
  seen: ReadonlySet<string> = new Set()
): Array<string> => {
  if (ts.isObjectLiteralExpression(node)) return objectMembers(node, locals, seen)
  if (ts.isIdentifier(node)) {
    const local = seen.has(node.text) ? undefined : locals.get(node.text)
    return local === undefined ? [] : fieldsMembers(local, locals, new Set([...seen, node.text]))
  }
  if (isFieldsCall(node)) return node.arguments.flatMap((argument) => fieldsMembers(argument, locals, seen))
  return []
}

/** `tagNamed(Base)`: an Effect 4 error class's base with the `name` getter of effect4/src/internal/errorName.ts. */
const isTagNamedCall = (node: Ts.Node): node is Ts.CallExpression =>
  ts.isCallExpression(node) &&
  ts.isIdentifier(node.expression) &&
  node.expression.text === "tagNamed" &&
  node.arguments.length === 1

const classMembers = (
  node: Ts.ClassLikeDeclaration,
  locals: ReadonlyMap<string, Ts.ObjectLiteralExpression | Ts.CallExpression>
): Array<string> => {
  const names: Array<string> = []
  for (const clause of node.heritageClauses ?? []) {
    for (const type of clause.types) {
      // `Base<...>()("Tag", { fields })` or `Base("Tag")<...>()`: the last object literal argument anywhere in the call chain.
      let expression: Ts.Expression = type.expression
      // `tagNamed(Schema.TaggedError<...>()("Tag", { fields }))` (effect4/src/internal/errorName.ts): the base's
      // fields. (Its `name` getter is not listed: an error's `name` is its `_tag` in both editions, the Effect 3
      // edition's by Effect 3's own `Schema.TaggedError`.)
      if (isTagNamedCall(expression)) expression = expression.arguments[0]!
      while (ts.isCallExpression(expression)) {
        const last = expression.arguments[expression.arguments.length - 1]
        if (last !== undefined && ts.isObjectLiteralExpression(last)) {
          names.push(...objectMembers(last, locals))
          break
        }
        if (last !== undefined && isFieldsCall(last)) {
          names.push(...fieldsMembers(last, locals))
          break
        }
        expression = expression.expression
      }
    }
  }
  for (const member of node.members) {
    const isPrivate = ((ts.canHaveModifiers(member) ? ts.getModifiers(member) : undefined) ?? []).some(
      (m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword
    )
    const name = memberName(member.name)
    if (name !== undefined && !isPrivate && !name.startsWith("#")) names.push(name)
  }
  return names
}

const hasExport = (node: Ts.Node): boolean =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)

const kindOfInitializer = (initializer: Ts.Expression | undefined): ExportKind => {
  let expression = initializer
  while (
    expression !== undefined &&
    (ts.isParenthesizedExpression(expression) ||
      ts.isAsExpression(expression) ||
      ts.isSatisfiesExpression(expression))
  ) {
    expression = expression.expression
  }
  if (expression !== undefined && (ts.isArrowFunction(expression) || ts.isFunctionExpression(expression))) {
    return "function"
  }
  if (expression !== undefined && ts.isClassExpression(expression)) return "class"
  return "const"
}

const parsed = new Map<string, ReadonlyMap<string, Exported>>()

/**
 * The exported names of the module at `file`, their kinds and members. A
 * name both a value and a type (a schema and its type, a service class and
 * its interface) keeps the value's kind and both's members. `export * from` is followed;
 * `export * as X from` is a `module`.
 */
export const exportsOf = (file: string): ReadonlyMap<string, Exported> => {
  const cached = parsed.get(file)
  if (cached !== undefined) return cached
  const result = new Map<string, Exported>()
  const set = (name: string, kind: ExportKind, members: ReadonlyArray<string> = [], literal?: string) => {
    const existing = result.get(name)
    if (existing === undefined) return result.set(name, { kind, members: [...members].sort(), literal })
    const valueFirst = existing.kind === "type" || existing.kind === "namespace" ? kind : existing.kind
    result.set(name, {
      kind: valueFirst,
      members: [...new Set([...existing.members, ...members])].sort(),
      literal: existing.literal ?? literal
    })
  }
  // JSDoc is not parsed: nothing here reads it (the same exports, kinds and members for every public module of
  // both editions, compared as JSON).
  const source = ts.createSourceFile(
    file,
    fs.readFileSync(file, "utf8"),
    { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone },
    false
  )
  const locals = new Map<string, Ts.ObjectLiteralExpression | Ts.CallExpression>()
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue
    for (const declaration of statement.declarationList.declarations) {
      let initializer = declaration.initializer
      while (
        initializer !== undefined &&
        (ts.isAsExpression(initializer) || ts.isSatisfiesExpression(initializer))
      ) {
        initializer = initializer.expression
      }
      if (
        ts.isIdentifier(declaration.name) &&
        initializer !== undefined &&
        (ts.isObjectLiteralExpression(initializer) || isFieldsCall(initializer))
      ) {
        locals.set(declaration.name.text, initializer)
      }
    }
  }
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const from =
        statement.moduleSpecifier !== undefined && ts.isStringLiteral(statement.moduleSpecifier)
          ? statement.moduleSpecifier.text
          : undefined
      const clause = statement.exportClause
      if (clause === undefined) {
        if (from !== undefined && from.startsWith(".")) {
          const target = path.resolve(path.dirname(file), from.replace(/\.js$/, ".ts"))
          for (const [name, exported] of exportsOf(target)) {
            set(name, exported.kind, exported.members, exported.literal)
          }
        }
      } else if (ts.isNamespaceExport(clause)) {
        set(clause.name.text, "module")
      } else {
        for (const element of clause.elements) {
          set(element.name.text, statement.isTypeOnly || element.isTypeOnly ? "type" : "const")
        }
      }
      continue
    }
    if (!hasExport(statement)) continue
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name)) continue
        const fn = functionOf(declaration.initializer)
        set(
          declaration.name.text,
          kindOfInitializer(declaration.initializer),
          fn === undefined ? [] : parameterMembers(fn.parameters),
          literalOf(declaration.initializer)
        )
      }
    } else if (ts.isFunctionDeclaration(statement) && statement.name !== undefined) {
      set(statement.name.text, "function", parameterMembers(statement.parameters))
    } else if (ts.isClassDeclaration(statement) && statement.name !== undefined) {
      set(statement.name.text, "class", classMembers(statement, locals))
    } else if (ts.isInterfaceDeclaration(statement)) {
      set(statement.name.text, "type", typeMembers(statement.members))
    } else if (ts.isTypeAliasDeclaration(statement)) {
      set(
        statement.name.text,
        "type",
        ts.isTypeLiteralNode(statement.type) ? typeMembers(statement.type.members) : []
      )
    } else if (ts.isModuleDeclaration(statement) && ts.isIdentifier(statement.name)) {
      set(statement.name.text, "namespace")
    } else if (ts.isEnumDeclaration(statement) && statement.name !== undefined) {
      set(statement.name.text, "enum")
    }
  }
  parsed.set(file, result)
  return result
}

/** The public modules of an edition rooted at `src`: its top-level modules, `testing/` and `node/`. */
export const publicModules = (src: string): Array<string> => {
  const modules: Array<string> = []
  for (const dir of ["", "testing", "node"]) {
    for (const entry of fs.readdirSync(path.join(src, dir), { withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        modules.push(path.posix.join(dir, entry.name.replace(/\.ts$/, "")))
      }
    }
  }
  return modules.sort()
}
