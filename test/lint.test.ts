/**
 * The lint (`oxlint`, configured by .oxlintrc.json; part of `npm test` and `npm run lint`): each guard
 * it holds fires, and oxlint's `correctness` category is on. Small fixture files, laid out like this project (src/, src/core/, src/core/node/,
 * src/fake/, src/node/, src/bin/, effect4/src/, test/, scripts/), are linted in a temporary directory
 * with a copy of the project's configuration at its root (its globs are relative to its own
 * directory). Each fixture line states what it must raise, if anything: a rule, and for
 * no-restricted-imports and no-restricted-properties the project's message. A file's findings must be exactly those, so a rule
 * dropped from the configuration (or its file group changed) fails the test of the files it guards, and
 * a guard that spreads to files it should spare (src/node/, src/bin/, test/) fails too. Every rule and
 * every message the configuration holds must be raised by some fixture. The correctness category
 * must be on for every rule of it oxlint has (of the plugins the configuration enables), save those the
 * configuration turns off and names in its header; a fixture file shows it applies. And the project
 * itself lints clean. One run of the linter for all fixtures (about a tenth of a second), one for the
 * project, two that only print (the configuration as read, oxlint's rules).
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { root, run } from "./support/build.js"
import { it } from "./support/it.js"

/** oxlint's launcher (it starts the native linter of this platform, an optional dependency). */
const oxlint = path.join(root, "node_modules", "oxlint", "bin", "oxlint")

/** A finding: `file:line rule`, and for no-restricted-imports and no-restricted-properties ` | message`. */
type Finding = string

/** A fixture line: its code, then what it must raise (a rule, or a restricted import's message). */
type Line = readonly [code: string, ...raises: ReadonlyArray<string>]

/** no-restricted-imports with this message (the project's own words, from .oxlintrc.json). */
const restricted = (message: string) => `no-restricted-imports | ${message}`
const unusedDirective = "unused disable directive"

const browser = {
  effect: restricted("Import from subpaths (effect/Effect, ...) inside src/ so bundlers drop the rest."),
  platform: restricted("Import from subpaths (@effect/platform/HttpClient, ...) inside src/."),
  node: restricted("Browser-safe entry points must not import Node built-ins."),
  coreNode: restricted("src/core/node is Node-only: only Node entry points use it."),
  cli: restricted("Only the CLI and the Node entry may use these.")
}
const core = {
  effectOrNode: restricted(
    "src/core is the Effect-free protocol core both editions share: no Effect, no Node built-ins."
  ),
  coreNode: restricted("src/core/node is Node-only: the browser-safe core never uses it.")
}
const effectFree = restricted(
  "src/core/node and src/fake are Effect-free (shared by both editions and by users without Effect)."
)
const fake = {
  effect: restricted("effect-plex-auth/fake is Effect-free."),
  browser: restricted("effect-plex-auth/fake is browser-safe.")
}
const effect4 = {
  effect: restricted("Import from subpaths (effect/Effect, effect/http/HttpClient, ...)."),
  scoped: restricted("The Effect 4 edition uses only `effect` (HTTP at effect/http).")
}

const vitestLayer = restricted(
  "@effect/vitest's layer() changes the shared `it` of every later file in the worker (isolate: false): provide the layer per test."
)
/** no-restricted-properties with this message: `it.layer` is the same function as the import. */
const vitestItLayer = `no-restricted-properties | @effect/vitest's it.layer() is its layer(), which changes the shared \`it\` of every later file in the worker (isolate: false): provide the layer per test.`
/** The same two in effect4/test/, with @effect/vitest 4's reason (its layer() changes no shared `it`). */
const vitest4Layer = restricted(
  "@effect/vitest 4's layer() builds its layer once for the block (unless buildPerTest): its tests share one TestClock. Provide the layer per test, as the Effect 3 tests must."
)
const vitest4ItLayer = `no-restricted-properties | @effect/vitest 4's it.layer() is its layer(), which builds its layer once for the block (unless buildPerTest): its tests share one TestClock. Provide the layer per test, as the Effect 3 tests must.`

/** The fixtures, by path in the fixture project. */
const fixtures: Record<string, ReadonlyArray<Line>> = {
  // typescript-eslint's `recommended` (its eslint-recommended part in TypeScript files only), with the
  // project's options: `^_` names unused on purpose (not a caught error's), type-only imports say so.
  "test/rules.ts": [
    ['/// <reference path="./globals.d.ts" />', "typescript/triple-slash-reference"],
    ['import { Options } from "./options.js"', "typescript/consistent-type-imports"],
    ['import type { Settings } from "./settings.js"'],
    ["export type Uses = Options | Settings"],
    ["// @ts-ignore", "typescript/ban-ts-comment"],
    ["// @ts-expect-error", "typescript/ban-ts-comment"],
    ["// @ts-expect-error: a description makes it allowed"],
    ["export const list = new Array(1, 2)", "no-array-constructor"],
    ["export enum Level { Low = 1, High = 1 }", "typescript/no-duplicate-enum-values"],
    ["export const twice = (x?: { y: number }) => x!!.y", "typescript/no-extra-non-null-assertion"],
    ["export interface Made { new (): Made }", "typescript/no-misused-new"],
    ["export namespace Space { export const one = 1 }", "typescript/no-namespace"],
    [
      "export module Legacy { export const two = 2 }",
      "typescript/no-namespace",
      "typescript/prefer-namespace-keyword"
    ],
    ["export const chained = (x?: { y: number }) => x?.y!", "typescript/no-non-null-asserted-optional-chain"],
    ['export const fs = require("node:fs")', "typescript/no-require-imports"],
    ["export function alias(this: object) { const self = this; return self }", "typescript/no-this-alias"],
    ["export const id = <T extends unknown>(t: T) => t", "typescript/no-unnecessary-type-constraint"],
    ["export interface Merged { a: number }", "typescript/no-unsafe-declaration-merging"],
    ["export class Merged {}", "typescript/no-unsafe-declaration-merging"],
    ["export type Callback = Function", "typescript/no-unsafe-function-type"],
    ["export const guarded = (a: boolean, b: () => void) => { a && b() }", "no-unused-expressions"],
    ["const unused = 1", "no-unused-vars"],
    ["const _unused = 2"],
    ["export const args = (_first: number, second: number) => second"],
    ["export const lastArg = (first: number, last: number) => first", "no-unused-vars"],
    ["export const lastArgIgnored = (first: number, _last: number) => first"],
    ['try { JSON.parse("") } catch (error) {}', "no-unused-vars"],
    ['try { JSON.parse("") } catch (_error) {}', "no-unused-vars"],
    ["export type Box = String", "typescript/no-wrapper-object-types"],
    ['export const kind = { kind: "a" as "a" }', "typescript/prefer-as-const"],
    ["var legacy = 1", "no-var"],
    ["let never = 2", "prefer-const"],
    ["export const both = [legacy, never]"],
    ["export function old() { return arguments }", "prefer-rest-params"],
    [
      "export const apply = (f: (...a: number[]) => number, xs: number[]) => f.apply(null, xs)",
      "prefer-spread"
    ]
  ],
  // JavaScript: the eslint-recommended part does not apply, the rest does.
  "scripts/rules.mjs": [
    ["var legacy = 1"],
    ["let never = 2"],
    ["export const both = [legacy, never]"],
    ["const unused = 1", "no-unused-vars"],
    ["export const nan = (x) => x === NaN", "use-isnan"]
  ],
  // oxlint's correctness category, a rule of each plugin, and the rule it has turned off.
  "test/correctness.ts": [
    ["export const nan = (x: number) => x === NaN", "use-isnan"],
    ["export const never = (x: number) => x > 2 && x < 1", "oxc/const-comparisons"],
    ["export const fresh = [...[1, 2]]", "unicorn/no-useless-spread"],
    ["export const thenable = { then: 1 }", "unicorn/no-thenable"],
    ["export const reset = /\\x1b\\[0m/g"]
  ],
  // A disable comment that disables nothing is an error (ESLint's reportUnusedDisableDirectives).
  "test/directives.ts": [["// eslint-disable-next-line no-var", unusedDirective], ["export const fine = 1"]],
  // Browser-safe src/: effect and @effect/platform by subpath, no Node built-ins, no Node-only core,
  // no CLI or Node platform packages. Every form of import and re-export is checked.
  "src/Browser.ts": [
    ['import "effect"', browser.effect],
    ['import "effect/Effect"'],
    ['export type { Effect } from "effect"', browser.effect],
    ['import "@effect/platform"', browser.platform],
    ['import "@effect/platform/HttpClient"'],
    ['import "node:fs"', browser.node],
    ['export * from "node:fs/promises"', browser.node],
    ['import "./core/node/store.js"', browser.coreNode],
    ['import "./core/pin.js"'],
    ['import "@effect/platform-node"', browser.cli],
    ['import "@effect/platform-node/NodeHttpClient"', browser.cli],
    ['import "@effect/cli"', browser.cli],
    ['import "@effect/cli/Command"', browser.cli]
  ],
  "src/testing/Kit.ts": [
    ['import "node:http"', browser.node],
    ['import "../core/node/loopback.js"', browser.coreNode]
  ],
  // Node-only src/ and the CLI: anything goes.
  "src/node/Store.ts": [
    ['import "node:fs"'],
    ['import "effect"'],
    ['import "@effect/platform-node/NodeHttpClient"'],
    ['import "../core/node/store.js"']
  ],
  "src/bin/cli.ts": [['import "@effect/cli/Command"'], ['import "node:process"'], ['import "effect"']],
  // The protocol core: no Effect, no Node built-ins, not the Node-only core.
  "src/core/pin.ts": [
    ['import "effect"', core.effectOrNode],
    ['import "effect/Effect"', core.effectOrNode],
    ['import "@effect/platform/HttpClient"', core.effectOrNode],
    ['import "node:crypto"', core.effectOrNode],
    ['import "node:fs/promises"', core.effectOrNode],
    ['import "./node/store.js"', core.coreNode],
    ['import "./answer.js"']
  ],
  "src/core/web/page.ts": [
    ['import "effect/Schema"', core.effectOrNode],
    ['import "../node/loopback.js"', core.coreNode]
  ],
  // The Node-only core and the fake's Node entry: Node built-ins, no Effect.
  "src/core/node/store.ts": [
    ['import "node:fs"'],
    ['import "effect"', effectFree],
    ['import "effect/Effect"', effectFree],
    ['import "effect/unstable/http/HttpClient"', effectFree],
    ['import "@effect/platform"', effectFree],
    ['import "../pin.js"']
  ],
  "src/fake/node.ts": [
    ['import "node:http"'],
    ['import "effect"', effectFree],
    ['import "../core/node/loopback.js"']
  ],
  // The fake's browser entry: no Effect, no Node built-ins, not its Node entry nor the Node-only core.
  "src/fake/index.ts": [
    ['import "effect"', fake.effect],
    ['import "effect/Effect"', fake.effect],
    ['import "effect/unstable/http/HttpClient"', fake.effect],
    ['import "@effect/platform"', fake.effect],
    ['import "node:fs"', fake.browser],
    ['import "node:fs/promises"', fake.browser],
    ['import "./node.js"', fake.browser],
    ['import "../core/node/store.js"', fake.browser],
    ['import "../core/fake/index.js"']
  ],
  // The Effect 4 edition: `effect` by subpath and nothing of @effect/*, no Node in browser-safe files.
  "effect4/src/Browser.ts": [
    ['import "effect"', effect4.effect],
    ['import "effect/Effect"'],
    ['import "effect/unstable/http/HttpClient"'],
    ['import "@effect/platform/HttpClient"', effect4.scoped],
    ['import "node:fs"', browser.node],
    ['import "node:fs/promises"', browser.node],
    ['import "../../src/core/node/store.js"', browser.coreNode],
    ['import "../../src/core/pin.js"']
  ],
  "effect4/src/node/Store.ts": [['import "node:fs"'], ['import "effect"']],
  "effect4/src/bin/cli.ts": [['import "node:process"']],
  // Tests: no import restriction but @effect/vitest 0.30's `layer` (it changes the `it` of every later file in the worker).
  "test/Any.test.ts": [
    ['import "node:fs"'],
    ['import "effect"'],
    ['import "@effect/platform-node"'],
    ['export { it } from "@effect/vitest"'],
    ['export { layer } from "@effect/vitest"', vitestLayer],
    ['import { layer as sharedLayer } from "@effect/vitest"', vitestLayer],
    ["export { sharedLayer }"],
    ['import * as Vitest from "@effect/vitest"', vitestLayer],
    ["export const viaNamespace = Vitest.it"],
    ["export const viaIt = Vitest.it.effect"],
    // `it.layer` is `layer` (0.30's `it` carries it), however `it` was imported.
    ['import { it as effectIt } from "@effect/vitest"'],
    ["export const nested = effectIt.effect"],
    ["export const block = (it: typeof effectIt) => it.layer", vitestItLayer]
  ],
  // @effect/vitest 4.1.5's layer() shares one build (one TestClock) across its block; refused as in test/.
  "effect4/test/Any.test.ts": [
    ['export { layer } from "@effect/vitest"', vitest4Layer],
    ['import { it } from "@effect/vitest"'],
    ["export const block = it.layer", vitest4ItLayer]
  ]
}

interface Diagnostic {
  readonly code?: string
  readonly message: string
  readonly help?: string
  readonly filename: string
  readonly labels: ReadonlyArray<{ readonly span: { readonly line: number } }>
}
interface Report {
  readonly diagnostics: ReadonlyArray<Diagnostic>
  readonly number_of_files: number
}

/** `eslint(no-var)` → `no-var`, `typescript(ban-ts-comment)` → `typescript/ban-ts-comment`. */
const ruleOf = (diagnostic: Diagnostic) =>
  diagnostic.code === undefined
    ? diagnostic.message.startsWith("Unused eslint-disable directive")
      ? unusedDirective
      : diagnostic.message
    : diagnostic.code.replace(/^eslint\((.*)\)$/, "$1").replace(/^(\w+)\((.*)\)$/, "$1/$2")

const findingOf = (diagnostic: Diagnostic): Finding => {
  const rule = ruleOf(diagnostic)
  const where = `${diagnostic.filename.split(path.sep).join("/")}:${diagnostic.labels[0]?.span.line}`
  return rule === "no-restricted-imports" || rule === "no-restricted-properties"
    ? `${where} ${rule} | ${diagnostic.help ?? ""}`
    : `${where} ${rule}`
}

/** Runs oxlint in `cwd` (its .oxlintrc.json applies); `args` are added. */
const lint = (cwd: string, args: ReadonlyArray<string> = []) =>
  Effect.promise(() => run(process.execPath, [oxlint, ...args], cwd, 60_000))

const lintJson = (cwd: string) =>
  Effect.map(lint(cwd, ["--format", "json"]), (result) => ({
    code: result.code,
    report: JSON.parse(result.stdout) as Report
  }))

let dir: string | undefined
afterAll(() => (dir === undefined ? undefined : fs.rm(dir, { recursive: true, force: true })))

/** The fixture project, written once, and what oxlint finds there. */
const fixtureRun = Effect.runSync(
  Effect.cached(
    Effect.gen(function* () {
      const made = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "effect-plex-auth-lint-")))
      dir = made
      yield* Effect.promise(() =>
        fs.copyFile(path.join(root, ".oxlintrc.json"), path.join(made, ".oxlintrc.json"))
      )
      for (const [file, lines] of Object.entries(fixtures)) {
        const target = path.join(made, ...file.split("/"))
        yield* Effect.promise(() => fs.mkdir(path.dirname(target), { recursive: true }))
        yield* Effect.promise(() => fs.writeFile(target, lines.map(([code]) => `${code}\n`).join("")))
      }
      const { code, report } = yield* lintJson(made)
      return { dir: made, code, report, found: report.diagnostics.map(findingOf) }
    })
  )
)

/** What the fixture file must raise, in the order findings are compared (sorted). */
const expected = (file: string): ReadonlyArray<Finding> =>
  fixtures[file]!.flatMap(([, ...raises], index) =>
    raises.map((raised) => `${file}:${index + 1} ${raised}`)
  ).sort()

describe("lint (oxlint, .oxlintrc.json)", () => {
  for (const file of Object.keys(fixtures)) {
    it.effect(`${file}: raises exactly what each line states`, () =>
      Effect.gen(function* () {
        const { found } = yield* fixtureRun
        assert.deepStrictEqual(
          found.filter((finding) => finding.startsWith(`${file}:`)).sort(),
          expected(file)
        )
      })
    )
  }

  it.effect("a finding fails the run, and every finding comes from a fixture line", () =>
    Effect.gen(function* () {
      const { code, found, report } = yield* fixtureRun
      assert.strictEqual(code, 1)
      assert.strictEqual(report.number_of_files, Object.keys(fixtures).length)
      assert.deepStrictEqual(found.sort(), Object.keys(fixtures).flatMap(expected).sort())
    })
  )

  it.effect(
    "every rule and every restricted-import message of the configuration is raised by a fixture",
    () =>
      Effect.gen(function* () {
        const { found } = yield* fixtureRun
        const { own, read } = yield* configs
        const raised = new Set(found.map((finding) => finding.split(" ")[1]))
        const messages = new Set(
          found.filter((finding) => finding.includes(" | ")).map((f) => f.split(" | ")[1])
        )
        // The rules the configuration sets itself (the correctness category's are the next test's).
        const enabled = settings(own).filter(([, setting]) => isOn(setting))
        for (const [rule, setting] of enabled) {
          assert.isTrue(raised.has(rule), `no fixture raises ${rule}`)
          if (rule === "no-restricted-properties") {
            const restrictions = (setting as ReadonlyArray<unknown>).slice(1) as ReadonlyArray<{
              readonly message: string
            }>
            for (const { message } of restrictions) {
              assert.isTrue(messages.has(message), `no fixture raises no-restricted-properties' "${message}"`)
            }
          }
          if (rule !== "no-restricted-imports") continue
          const options = (setting as [unknown, RestrictedOptions])[1]
          for (const { message } of [...(options.paths ?? []), ...(options.patterns ?? [])]) {
            assert.isTrue(messages.has(message), `no fixture raises no-restricted-imports' "${message}"`)
          }
        }
        // oxlint reads each as written: by its canonical name, with the same options (`error` is `deny`).
        const asRead = new Set(settings(read).map(([rule, setting]) => `${rule} ${JSON.stringify(setting)}`))
        const severity = (level: unknown) => (level === "error" ? "deny" : level)
        for (const [rule, setting] of enabled) {
          const expected = Array.isArray(setting)
            ? [severity(setting[0]), ...setting.slice(1)]
            : severity(setting)
          assert.isTrue(asRead.has(`${rule} ${JSON.stringify(expected)}`), `oxlint reads ${rule} otherwise`)
        }
        // The rules ESLint had (typescript-eslint `recommended` and the project's): 19 everywhere, 4 in
        // TypeScript files, no-restricted-imports per file group; and no-restricted-properties in tests.
        assert.strictEqual(new Set(enabled.map(([rule]) => rule)).size, 25)
      })
  )

  it.effect(
    "oxlint's correctness category is on (all its rules of the enabled plugins), less the rules turned off in the header",
    () =>
      Effect.gen(function* () {
        const { own, read, text } = yield* configs
        assert.strictEqual(read.categories["correctness"], "deny")
        for (const [category, severity] of Object.entries(read.categories)) {
          if (category !== "correctness") assert.strictEqual(severity, "allow", category)
        }
        // oxlint's default plugins, as its documentation has them (eslint's rules need none).
        assert.includeMembers([...read.plugins], ["typescript", "unicorn", "oxc"])
        // Every correctness rule oxlint has for those plugins.
        const listed = yield* Effect.map(lint(root, ["--rules", "--format", "json"]), (result) =>
          (JSON.parse(result.stdout) as ReadonlyArray<{ scope: string; value: string; category: string }>)
            .filter((rule) => rule.category === "correctness")
            .filter((rule) => rule.scope === "eslint" || read.plugins.includes(rule.scope))
            .map((rule) => (rule.scope === "eslint" ? rule.value : `${rule.scope}/${rule.value}`))
        )
        assert.isAbove(listed.length, 100)
        const off = settings(own)
          .filter(([, setting]) => !isOn(setting))
          .map(([rule]) => rule)
        for (const rule of off) {
          assert.include(listed, rule, `${rule} is turned off, but it is no correctness rule`)
          // Each is named in the header, with its reason: `//   rule  off: why`.
          assert.match(text, new RegExp(`^//\\s+${rule}\\s+off: \\S`, "m"), `no reason given for ${rule}`)
        }
        const on = new Set(
          settings(read)
            .filter(([, setting]) => isOn(setting))
            .map(([rule]) => rule)
        )
        for (const rule of listed) {
          assert.strictEqual(on.has(rule), !off.includes(rule), rule)
        }
        // Nothing else is on: the configuration's own rules and the category's.
        const ownOn = new Set(
          settings(own)
            .filter(([, setting]) => isOn(setting))
            .map(([rule]) => rule)
        )
        for (const rule of on) assert.isTrue(ownOn.has(rule) || listed.includes(rule), rule)
      })
  )

  it.effect("the project lints clean", () =>
    Effect.gen(function* () {
      const { code, report } = yield* lintJson(root)
      assert.deepStrictEqual(report.diagnostics.map(findingOf), [])
      assert.strictEqual(code, 0)
      // It did lint the project (src/, test/, effect4/, scripts/, ...), not an empty selection.
      assert.isAbove(report.number_of_files, 300)
    })
  )
})

/** A rule's setting: a severity, or `[severity, options]`. */
const isOn = (setting: unknown) => {
  const severity = Array.isArray(setting) ? setting[0] : setting
  return severity !== "off" && severity !== "allow" && severity !== 0
}

interface Config {
  readonly plugins: ReadonlyArray<string>
  readonly categories: Record<string, unknown>
  readonly rules: Record<string, unknown>
  readonly overrides?: ReadonlyArray<{ readonly rules: Record<string, unknown> }>
}

/** The rules of a configuration and its overrides, by canonical name (`eslint/no-var` → `no-var`). */
const settings = (config: Config) =>
  [config.rules, ...(config.overrides ?? []).map((override) => override.rules)].flatMap((set) =>
    Object.entries(set).map(([rule, setting]) => [rule.replace(/^eslint\//, ""), setting] as const)
  )

/**
 * .oxlintrc.json as written (its `//` comment lines dropped: it has no other comments) and as oxlint
 * reads it (`--print-config`: canonical names, severities as `deny`/`allow`, categories resolved).
 */
const configs = Effect.runSync(
  Effect.cached(
    Effect.gen(function* () {
      const text = yield* Effect.promise(() => fs.readFile(path.join(root, ".oxlintrc.json"), "utf8"))
      const own = JSON.parse(text.replace(/^\s*\/\/.*$/gm, "")) as Config
      const printed = yield* lint(root, ["--print-config"])
      return { text, own, read: JSON.parse(printed.stdout) as Config }
    })
  )
)

interface RestrictedOptions {
  readonly paths?: ReadonlyArray<{ readonly message: string }>
  readonly patterns?: ReadonlyArray<{ readonly message: string }>
}
