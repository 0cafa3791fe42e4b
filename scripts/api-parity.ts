/**
 * The two editions' public APIs, as the TypeScript checker sees them, side by
 * side (issue 18 item 3: a program written against the Effect 3 edition ports
 * to the Effect 4 edition by changing only what Effect 4 changed).
 *
 * test/api-parity.test.ts compares the editions' export lists from the syntax
 * alone (fast, run by `npm test`). This script goes further, with the checker:
 * for every export of every public module (src/*.ts, src/testing, src/node and
 * the same under effect4/src), the parameter names and option names of each
 * function, what each operation returns (its `Effect`'s success, error union
 * and requirements; a layer's outputs, errors and inputs), each error class's
 * fields, each schema's decoded fields, each service's operations. Effect's own
 * types are named, not expanded (they differ between the lines by design);
 * this library's types are expanded one level.
 *
 * The descriptions are the same read from the sources or from the built
 * declaration files (`dist/*.d.ts`, checked: `--json` of both, equal to the
 * character). test/api-parity.test.ts reads the run's shared package builds
 * (test/support/build.ts): a declaration file has no function body whose type
 * must be inferred, about a third less CPU than the sources (6.3–7.1 against
 * 9.4–9.7 CPU-s, loaded 2-core machine, 2026-12-06).
 *
 * Usage: `tsx scripts/api-parity.ts` prints every export whose description
 * differs between the editions (exit code 1 if any differs that
 * `allowed` below does not list); `--all` prints every export;
 * `--json FILE` writes both editions' descriptions to FILE; `--dist DIR`
 * reads the declaration files of the builds `tsx test/support/build.ts DIR`
 * made instead of the sources.
 * It takes some seconds (one program holding both editions is type-checked).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { createRequire } from "node:module"
import type * as Ts from "typescript"

// TypeScript by `require`: an ESM import of its 9 MB CommonJS file first has Node scan it for its
// export names (about 0.6 CPU-s more, once per vitest worker; see scripts/check-docs.ts).
const ts = createRequire(import.meta.url)("typescript") as typeof Ts

const root = fileURLToPath(new URL("..", import.meta.url))

/** The public module files of an edition rooted at `src`: its top-level modules, `testing/` and `node/`. */
export const publicModuleFiles = (src: string): Array<string> =>
  ["", "testing", "node"].flatMap((dir) =>
    fs
      .readdirSync(path.join(src, dir), { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts"))
      .map((entry) => path.posix.join(dir, entry.name.replace(/\.ts$/, "")))
  )

const ours = new Map<string, boolean>()

/** Whether a file is this library's (not a package's): asked of every declaration met, so remembered by name. */
const isOurs = (file: string): boolean => {
  let is = ours.get(file)
  if (is === undefined) {
    is = !file.split(path.sep).join("/").includes("/node_modules/")
    ours.set(file, is)
  }
  return is
}

const declaredInOurs = (symbol: Ts.Symbol | undefined): boolean =>
  (symbol?.declarations ?? []).some((d) => isOurs(d.getSourceFile().fileName))

/** Names Effect 4 gave the same thing under another name: one spelling, so that only real differences show. */
const sameThing: ReadonlyArray<readonly [RegExp, string]> = [
  // `Duration.DurationInput` is `Duration.Input` in Effect 4, which also takes "Infinity" and a `DurationObject`.
  [/\bInput\b/g, "DurationInput"],
  [/"-Infinity" \| "Infinity" \| /g, ""],
  [/ \| DurationObject/g, ""],
  // `Schema.String` is `typeof String$` in Effect 3.
  [/\bString\$/g, "String"],
  [/\bHttpClientError\.HttpClientError\b/g, "HttpClientError"],
  [/\bRequestError\b|\bResponseError\b/g, "HttpClientError"]
]

/**
 * Effect 4's `Schedule<Output, Input, Error, Env>` has an error parameter Effect 3's `Schedule<Out, In, R>` has
 * not: with no error (`never`), the Effect 3 spelling.
 */
const scheduleAsEffect3 = (text: string): string => {
  let out = ""
  let at = 0
  for (;;) {
    const start = text.indexOf("Schedule<", at)
    if (start < 0) return out + text.slice(at)
    let depth = 0
    let end = start + "Schedule".length
    const commas: Array<number> = []
    for (; end < text.length; end++) {
      const c = text[end]
      if (c === "<" || c === "(" || c === "{") depth++
      else if (c === ">" || c === ")" || c === "}") {
        if (text[end - 1] === "=" && c === ">") continue
        depth--
        if (depth === 0) break
      } else if (c === "," && depth === 1) commas.push(end)
    }
    const args = [start + "Schedule<".length, ...commas.map((c) => c + 1)].map((from, i) =>
      text.slice(from, i < commas.length ? commas[i] : end).trim()
    )
    out += text.slice(at, start)
    out +=
      args.length === 4 && args[2] === "never"
        ? `Schedule<${args[0]}, ${args[1]}, ${args[3]}>`
        : text.slice(start, end + 1)
    at = end + 1
  }
}

const normalize = (text: string): string =>
  sameThing.reduce(
    (acc, [pattern, replacement]) => acc.replace(pattern, replacement),
    // A unique symbol's checker id (`__@DeviceKeyTypeId@5008`) differs between programs.
    scheduleAsEffect3(text.replace(/(__@\w+)@\d+/g, "$1"))
  )

/** The compiler options of a tsconfig file (for this script: nothing is emitted). */
const compilerOptions = (tsconfig: string): Ts.CompilerOptions => {
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"))
      }
    }
  )!
  return { ...config.options, noEmit: true }
}

/**
 * One program holding both editions' public modules: TypeScript's lib files, the shared core and fake and
 * undici's types are read, bound and resolved once, not once per edition (a program each took a fifth more
 * CPU, 12.4 against 9.6 s, with the same descriptions to the character). Each file finds its packages as
 * Node does, from its folder up (effect4/src: Effect 4 in effect4/node_modules; src: Effect 3), so each
 * edition's modules are typed against its own Effect. Both editions' tsconfig.json extend
 * tsconfig.base.json and differ only in `paths` (the package names their tests import, which no src file
 * does) and in the `@types/node` that `types` finds (20 here, 22 in effect4/): the Effect 3 edition's
 * options serve both, as the descriptions name the Node and DOM types, never expand them.
 */
const programOf = (
  editions: ReadonlyArray<{ readonly src: string; readonly tsconfig: string; readonly at?: ModuleFiles }>
) => {
  const declarations = editions.every(({ at }) => at?.ext === ".d.ts")
  // Declaration files name the Node types they use (`/// <reference types="node" />`, which loads them whatever
  // `types` says); the sources do not. Without `types: ["node"]` @types/node (2.3 MB of 16) is not read when
  // nothing needs it (the same descriptions to the character; about 0.4 CPU-s less, 4.1 against 4.5 for the
  // program and its checker, two runs each).
  const options = { ...compilerOptions(editions[0]!.tsconfig), ...(declarations && { types: [] }) }
  const rootNames = editions.flatMap(({ src, at }) =>
    publicModuleFiles(src).map((m) => moduleFile(at ?? { dir: src, ext: ".ts" }, m))
  )
  // JSDoc is not parsed: in TypeScript files (this library's and the packages' .d.ts) it has no part in any
  // type (tsc skips most of it too), and the packages' .d.ts are mostly JSDoc (a quarter of the CPU parsing them).
  const host = ts.createCompilerHost(options)
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseNone
  return ts.createProgram({ rootNames, options, host })
}

/** Where an edition's public modules are read: its sources (`.ts`) or its built declarations (`.d.ts`). */
export interface ModuleFiles {
  readonly dir: string
  readonly ext: ".ts" | ".d.ts"
}

const moduleFile = (at: ModuleFiles, module: string) => path.join(at.dir, `${module}${at.ext}`)

/** Describes the public API of one edition rooted at `src`, as `program` (which holds its modules) types it. */
export const describeEdition = (
  src: string,
  program: Ts.Program,
  at: ModuleFiles = { dir: src, ext: ".ts" }
): Map<string, string> => {
  const modules = publicModuleFiles(src)
  const checker = program.getTypeChecker()
  const result = new Map<string, string>()

  const typeArguments = (type: Ts.Type): ReadonlyArray<Ts.Type> =>
    type.aliasTypeArguments ??
    ((type as Ts.ObjectType).objectFlags & ts.ObjectFlags.Reference
      ? checker.getTypeArguments(type as Ts.TypeReference)
      : [])

  const signature = (s: Ts.Signature, depth: number): string => {
    const parameters = s.getParameters().map((p) => {
      const declaration = p.valueDeclaration as Ts.ParameterDeclaration | undefined
      const optional = declaration?.questionToken !== undefined || declaration?.initializer !== undefined
      const rest = declaration?.dotDotDotToken !== undefined ? "..." : ""
      const type = checker.getTypeOfSymbol(p)
      // An optional parameter takes `undefined` whether or not its type says so (`?` says it): its `undefined`
      // is left out, as a declaration file spells it out where the source may not (`options?: X | undefined`).
      const described =
        optional && type.aliasSymbol === undefined && type.isUnion()
          ? union(
              type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined)),
              depth + 1
            )
          : describe(type, depth + 1)
      return `${rest}${p.name}${optional ? "?" : ""}: ${described}`
    })
    const generics = s.getTypeParameters()?.length ?? 0
    return `${generics > 0 ? `<${generics}>` : ""}(${parameters.join(", ")}) => ${describe(s.getReturnType(), depth + 1)}`
  }

  const properties = (type: Ts.Type, depth: number, filter: (p: Ts.Symbol) => boolean): string => {
    const list = checker
      .getPropertiesOfType(type)
      // A private member (`#value`) is no part of the API (a declaration file has only `#private`).
      .filter((p) => !p.name.startsWith("#") && filter(p))
      .map((p) => {
        const optional = (p.flags & ts.SymbolFlags.Optional) !== 0 ? "?" : ""
        return `${p.name}${optional}: ${describe(checker.getTypeOfSymbol(p), depth + 1)}`
      })
      .sort()
    return `{ ${list.join("; ")} }`
  }

  /** A property this library declares, or one a mapped type made (a schema's fields): not one of Effect's own members. */
  const notEffects = (p: Ts.Symbol): boolean =>
    !isSchemaTag(p) &&
    ((p.declarations ?? []).length === 0 ||
      declaredInOurs(p) ||
      ((p.flags & ts.SymbolFlags.Transient) !== 0 &&
        !(p.declarations ?? []).every((d) => !isOurs(d.getSourceFile().fileName))))
  /**
   * A tagged error's `_tag`, which its schema adds (not one of its fields): declared in Effect's files when read
   * from the sources, but spelled out in the error's own declaration file (`readonly _tag: Schema.tag<"X">`).
   */
  const isSchemaTag = (p: Ts.Symbol): boolean =>
    p.name === "_tag" &&
    (p.declarations ?? []).some(
      (d) =>
        ts.isPropertySignature(d) &&
        d.type !== undefined &&
        ts.isTypeReferenceNode(d.type) &&
        (ts.isQualifiedName(d.type.typeName) ? d.type.typeName.right : d.type.typeName).text === "tag"
    )

  const union = (types: ReadonlyArray<Ts.Type>, depth: number): string => {
    const members = new Set(types.map((t) => describe(t, depth)))
    // Effect 3's `ConfigError` is a union of its cases; Effect 4's is one class.
    const configErrors = ["And", "Or", "InvalidData", "MissingData", "SourceUnavailable", "Unsupported"]
    if (configErrors.every((name) => members.has(name))) {
      for (const name of configErrors) members.delete(name)
      members.add("ConfigError")
    }
    return [...members].sort().join(" | ")
  }

  /**
   * A type's description depends on the type and the depth alone: each is made once (the same types, an error
   * class, `string`, an Effect, recur across the exports; `typeToString` runs TypeScript's printer each time).
   */
  const described = new Map<Ts.Type, Map<number, string>>()
  const describe = (type: Ts.Type, depth: number): string => {
    let byDepth = described.get(type)
    if (byDepth === undefined) {
      byDepth = new Map()
      described.set(type, byDepth)
    }
    let text = byDepth.get(depth)
    if (text === undefined) {
      text = describeOnce(type, depth)
      byDepth.set(depth, text)
    }
    return text
  }

  const describeOnce = (type: Ts.Type, depth: number): string => {
    // Effect's aliases (`Duration.DurationInput`, `Config.Error`, ...) by their name.
    if (type.aliasSymbol !== undefined && !declaredInOurs(type.aliasSymbol)) {
      const args = type.aliasTypeArguments ?? []
      return args.length === 0
        ? type.aliasSymbol.name
        : `${type.aliasSymbol.name}<${args.map((a) => describe(a, depth + 1)).join(", ")}>`
    }
    if (type.isUnion()) return union(type.types, depth)
    if (type.isIntersection()) {
      return [...new Set(type.types.map((t) => describe(t, depth)))].sort().join(" & ")
    }
    const symbol = type.aliasSymbol ?? type.getSymbol()
    // Effect's (and the platform's, the DOM's) types: named, with their arguments.
    if (
      symbol !== undefined &&
      !declaredInOurs(symbol) &&
      symbol.name !== "__type" &&
      symbol.name !== "__object"
    ) {
      const args = typeArguments(type)
      if (symbol.name === "Array" || symbol.name === "ReadonlyArray") {
        return `Array<${args.map((a) => describe(a, depth)).join(", ")}>`
      }
      return args.length === 0 || depth > 6
        ? symbol.name
        : `${symbol.name}<${args.map((a) => describe(a, depth + 1)).join(", ")}>`
    }
    if (!(type.flags & ts.TypeFlags.Object)) return checker.typeToString(type)
    // This library's named types below the top level: by name (their own entry describes them).
    if (
      depth > 0 &&
      symbol !== undefined &&
      declaredInOurs(symbol) &&
      !["__type", "__object"].includes(symbol.name)
    ) {
      const named = type.aliasSymbol?.name ?? symbol.name
      if (named !== "__function" && named !== "__type") return named
    }
    if (depth > 3) return "{…}"
    const calls = type.getCallSignatures()
    if (calls.length > 0) return calls.map((s) => signature(s, depth)).join(" & ")
    return properties(type, depth, notEffects)
  }

  for (const module of modules) {
    const file = program.getSourceFile(moduleFile(at, module))!
    const moduleSymbol = checker.getSymbolAtLocation(file)
    if (moduleSymbol === undefined) continue
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      const key = `${module}.${exported.name}`
      const parts: Array<string> = []
      if (
        symbol.flags & ts.SymbolFlags.ValueModule &&
        symbol.flags & ts.SymbolFlags.Value &&
        !(symbol.flags & (ts.SymbolFlags.Variable | ts.SymbolFlags.Function | ts.SymbolFlags.Class))
      ) {
        parts.push(`module`)
      } else if (symbol.flags & ts.SymbolFlags.Class) {
        const statics = checker.getTypeOfSymbolAtLocation(symbol, file)
        const instance = checker.getDeclaredTypeOfSymbol(symbol)
        parts.push(`class instance ${properties(instance, 0, (p) => declaredInOurs(p) || p.name === "_tag")}`)
        const service = checker.getPropertyOfType(statics, "Service")
        if (service !== undefined) {
          parts.push(`service ${properties(checker.getTypeOfSymbol(service), 0, () => true)}`)
        }
        const fields = checker.getPropertyOfType(statics, "fields")
        if (fields !== undefined) {
          parts.push(
            `fields ${checker
              .getPropertiesOfType(checker.getTypeOfSymbol(fields))
              .map((p) => p.name)
              .sort()
              .join(", ")}`
          )
        }
        const ownStatics = checker
          .getPropertiesOfType(statics)
          .filter(
            (p) =>
              p.name !== "prototype" &&
              declaredInOurs(p) &&
              p.valueDeclaration !== undefined &&
              ts.isClassElement(p.valueDeclaration)
          )
        if (ownStatics.length > 0)
          parts.push(
            `statics ${ownStatics
              .map((p) => p.name)
              .sort()
              .join(", ")}`
          )
      } else if (symbol.flags & (ts.SymbolFlags.Variable | ts.SymbolFlags.Function)) {
        const type = checker.getTypeOfSymbolAtLocation(symbol, file)
        const schemaType = checker.getPropertyOfType(type, "Type")
        if (schemaType !== undefined && checker.getPropertyOfType(type, "Encoded") !== undefined) {
          // The decoded type: every field (a mapped type's properties are declared in Effect's files).
          const decoded = checker.getTypeOfSymbol(schemaType)
          parts.push(
            `schema ${decoded.isUnion() || decoded.getCallSignatures().length > 0 || !(decoded.flags & ts.TypeFlags.Object) ? describe(decoded, 0) : properties(decoded, 0, () => true)}`
          )
        } else if (
          checker.getPropertyOfType(type, "Service") !== undefined &&
          checker.getPropertyOfType(type, "key") !== undefined
        ) {
          // A service key: `Context.Tag`/`Context.Reference` in Effect 3, `Context.Service`/`Context.Reference` in Effect 4.
          const service = describe(checker.getTypeOfSymbol(checker.getPropertyOfType(type, "Service")!), 1)
          const isReference = checker.getPropertyOfType(type, "defaultValue") !== undefined
          parts.push(`${isReference ? "reference" : "service key"} of ${service}`)
        } else {
          parts.push(`value ${describe(type, 0)}`)
        }
      }
      if (
        symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias) &&
        !(symbol.flags & ts.SymbolFlags.Class)
      ) {
        parts.push(`type ${describe(checker.getDeclaredTypeOfSymbol(symbol), 0)}`)
      }
      if (symbol.flags & ts.SymbolFlags.Namespace && !(symbol.flags & ts.SymbolFlags.ValueModule))
        parts.push("namespace")
      result.set(key, normalize(parts.join("\n    ")))
    }
  }
  return result
}

/**
 * Differences Effect 4 forces, by `Module.name` (docs/effect4.md, "Where the two differ beyond Effect's own
 * changes" and "Exported names that differ"): printed, but not a failure.
 */
export const allowed: Record<string, string> = {
  "PlexTv.PlexTv": "Effect 4's Context.Reference is a value, not a class to extend",
  "Jwt.JwtHost": "Effect 4's Context.Reference is a value, not a class to extend",
  "PlexTv.layer": "a Context.Reference is never a requirement in Effect 4: Layer<never, ...>",
  "PlexTv.layerConfig": "a Context.Reference is never a requirement in Effect 4: Layer<never, ...>",
  "ClientIdentity.layerPersisted":
    "a KeyValueStore fails with Effect 4's KeyValueStoreError (Effect 3: PlatformError)",
  "ClientIdentity.makePersisted":
    "a KeyValueStore fails with Effect 4's KeyValueStoreError (Effect 3: PlatformError)",
  "Credentials.forgetStored":
    "a KeyValueStore fails with Effect 4's KeyValueStoreError (Effect 3: PlatformError)",
  "Credentials.layerStored":
    "a KeyValueStore fails with Effect 4's KeyValueStoreError (Effect 3: PlatformError)",
  "Jwt.forgetStored": "a KeyValueStore fails with Effect 4's KeyValueStoreError (Effect 3: PlatformError)",
  "Jwt.layerStored": "a KeyValueStore fails with Effect 4's KeyValueStoreError (Effect 3: PlatformError)",
  "node/KeyValueStore.defaultDirectory":
    "Effect 4's FileSystem fails with its PlatformError (Effect 3: the SystemError case of its PlatformError)",
  "WebSignIn.Authentication":
    "Effect 4's HttpApiMiddleware.Service takes `error` and names what it provides in a type",
  "WebSignIn.WebSignIn": "Effect 4 has no HttpRouter value: `routes` is a list of HttpRouter.Route",
  "WebSignIn.WebSignInService": "Effect 4 has no HttpRouter value: `routes` is a list of HttpRouter.Route",
  "WebSignIn.layerHttpApiRoutes": "Effect 4's HttpApi routes are added to the HttpRouter they are served on",
  "WebSignIn.requireUser": "Effect 4 has no HttpApp: it wraps an Effect of an HttpServerResponse"
}

/**
 * Both editions' public APIs, described: from their sources, or from the declaration files of their builds
 * (`built`: the folders holding each edition's public modules as `.d.ts`, e.g. the Effect 3 build's `dist`).
 */
export const describeEditions = (built?: {
  readonly effect3: string
  readonly effect4: string
}): {
  readonly effect3: Map<string, string>
  readonly effect4: Map<string, string>
} => {
  const effect3 = {
    src: path.join(root, "src"),
    tsconfig: path.join(root, "tsconfig.json"),
    ...(built && { at: { dir: built.effect3, ext: ".d.ts" } as const })
  }
  const effect4 = {
    src: path.join(root, "effect4", "src"),
    tsconfig: path.join(root, "effect4", "tsconfig.json"),
    ...(built && { at: { dir: built.effect4, ext: ".d.ts" } as const })
  }
  const program = programOf([effect3, effect4])
  return {
    effect3: describeEdition(effect3.src, program, effect3.at),
    effect4: describeEdition(effect4.src, program, effect4.at)
  }
}

/**
 * Where the builds' public modules' declaration files are, from each edition's built package folder
 * (test/support/build.ts `Packed.checkout`): the Effect 4 edition's `dist` mirrors the repository from its
 * root (it builds the shared core above effect4/ too).
 */
export const builtDeclarations = (
  effect3Package: string,
  effect4Package: string
): { readonly effect3: string; readonly effect4: string } => ({
  effect3: path.join(effect3Package, "dist"),
  effect4: path.join(effect4Package, "dist", "effect4", "src")
})

/** The exports whose descriptions differ between the editions. */
export const differing = (editions: ReturnType<typeof describeEditions>): Array<string> =>
  [...new Set([...editions.effect3.keys(), ...editions.effect4.keys()])]
    .filter((key) => editions.effect3.get(key) !== editions.effect4.get(key))
    .sort()

const main = () => {
  const args = process.argv.slice(2)
  const dist = args.indexOf("--dist")
  const { effect3: three, effect4: four } = describeEditions(
    dist >= 0
      ? builtDeclarations(
          path.join(args[dist + 1]!, "checkout"),
          path.join(args[dist + 1]!, "effect4", "checkout", "effect4")
        )
      : undefined
  )
  const json = args.indexOf("--json")
  if (json >= 0) {
    fs.writeFileSync(
      args[json + 1]!,
      JSON.stringify({ effect3: Object.fromEntries(three), effect4: Object.fromEntries(four) }, null, 2)
    )
  }
  const keys = [...new Set([...three.keys(), ...four.keys()])].sort()
  let failures = 0
  for (const key of keys) {
    const a = three.get(key)
    const b = four.get(key)
    const same = a === b
    if (same && !args.includes("--all")) continue
    const isAllowed = key in allowed
    if (!same && !isAllowed) failures++
    console.log(
      `${same ? "=" : isAllowed ? "~" : "≠"} ${key}${isAllowed ? ` (allowed: ${allowed[key]})` : ""}`
    )
    console.log(`  E3: ${a ?? "(missing)"}`)
    if (!same) console.log(`  E4: ${b ?? "(missing)"}`)
  }
  console.log(`${keys.length} exports compared, ${failures} differ`)
  process.exitCode = failures > 0 ? 1 : 0
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main()
