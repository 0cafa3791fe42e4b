/**
 * Issue 18 item 3: the two editions have the same public API. Both editions'
 * sources are read with the TypeScript parser (no type checking: it takes well
 * under a second), and every public module must export the same names, of
 * the same kinds, with the same members (a service's operations, an error's
 * fields, an options object's options) and the same default constants, except
 * the differences Effect 4 forces, listed below and in docs/effect4.md
 * ("Exported names that differ"), which must agree.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, beforeAll, describe, it } from "vitest"
import { allowed, builtDeclarations, describeEditions, differing } from "../scripts/api-parity.js"
import { type Exported, exportsOf, publicModules } from "./support/exports.js"
import { buildTimeout, packed, packedEffect4 } from "./support/packed.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const effect3 = path.join(root, "src")
const effect4 = path.join(root, "effect4", "src")

/**
 * The differences Effect 4 forces, by `Module.name`, each with the exact
 * differences the comparison reports for it. docs/effect4.md's table lists
 * the same names.
 */
const forced: Record<string, ReadonlyArray<string>> = {
  // Effect 4's Context.Reference is a function, not a class to extend (the class's base call carried its default).
  "PlexTv.PlexTv": ["kind: class (Effect 3), const (Effect 4)", "members only in Effect 3: defaultValue"],
  // Effect 4's HttpApiMiddleware.Service takes `error` where Effect 3's HttpApiMiddleware.Tag takes `failure`, and
  // names the service it provides in a type parameter (`{ provides: PlexUser }`), not in the options.
  "WebSignIn.Authentication": [
    "members only in Effect 3: failure, provides",
    "members only in Effect 4: error"
  ]
}

/**
 * The renames that make the Effect 3 edition's test/conformance.test.ts the Effect 4 edition's
 * effect4/test/conformance.test.ts: only what Effect 4 itself changed.
 */
const conformanceRenames: ReadonlyArray<readonly [RegExp, string]> = [
  // The package name.
  [/from "effect-plex-auth/g, 'from "effect4-plex-auth'],
  // Effect 4's TestClock is in effect/testing.
  [/^import \{ TestClock \} from "effect"$/m, 'import { TestClock } from "effect/testing"'],
  // Effect 4's Effect.fork is Effect.forkChild.
  [/Effect\.fork\(/g, "Effect.forkChild("],
  // Effect 4's Cause.isInterruptedOnly is Cause.hasInterruptsOnly.
  [/Cause\.isInterruptedOnly\(/g, "Cause.hasInterruptsOnly("],
  // Effect 4's KeyValueStore is in effect/persistence.
  [
    /^import \{ KeyValueStore \} from "@effect\/platform"$/m,
    'import { KeyValueStore } from "effect/persistence"'
  ]
]

/**
 * The renames that make the Effect 3 edition's test/node/httpClients.test.ts the Effect 4 edition's
 * effect4/test/node/httpClients.test.ts: the package name, and Effect 4's name for `@effect/platform-node`'s
 * `node:http` client layer (Effect 3's `NodeHttpClient.layer` is Effect 4's `NodeHttpClient.layerNodeHttp`;
 * `layerUndici` is the same in both).
 */
const httpClientsRenames: ReadonlyArray<readonly [RegExp, string]> = [
  [/from "effect-plex-auth/g, 'from "effect4-plex-auth'],
  [/NodeHttpClient\.layer\b/g, "NodeHttpClient.layerNodeHttp"]
]

/**
 * The renames that make the Effect 3 edition's test/conformance.kits.test.ts the Effect 4 edition's: those of
 * `conformanceRenames`, and Effect 4's `FetchHttpClient` and `HttpClient` in effect/http.
 */
const kitsRenames: ReadonlyArray<readonly [RegExp, string]> = [
  ...conformanceRenames,
  [
    /^import \{ FetchHttpClient \} from "@effect\/platform"$/m,
    'import { FetchHttpClient } from "effect/http"'
  ],
  [/^import \{ HttpClient \} from "@effect\/platform"$/m, 'import { HttpClient } from "effect/http"']
]

/**
 * The renames that make the Effect 3 edition's test/bin/cancel.test.ts the Effect 4 edition's: the CLI its comment
 * names and the repository's root (one folder further up). Each edition's built CLI comes from its own
 * test/bin/built.ts.
 */
const cancelRenames: ReadonlyArray<readonly [RegExp, string]> = [
  [/^ \* Ctrl-C: the CLI,/m, " * Ctrl-C: the Effect 4 CLI,"],
  [/new URL\("\.\.\/\.\.", import\.meta\.url\)/, 'new URL("../../..", import.meta.url)']
]

/** The test files both editions share, each the Effect 3 file with only its renames in the Effect 4 edition. */
const sharedTestFiles: ReadonlyArray<readonly [string, ReadonlyArray<readonly [RegExp, string]>]> = [
  ["conformance.test.ts", conformanceRenames],
  ["conformance.auth.test.ts", conformanceRenames],
  ["conformance.kits.test.ts", kitsRenames],
  ["node/httpClients.test.ts", httpClientsRenames],
  ["bin/cancel.test.ts", cancelRenames]
]

/** Every difference between two modules' exports, by `Module.name`. */
const compare = (
  module: string,
  a: ReadonlyMap<string, Exported>,
  b: ReadonlyMap<string, Exported>
): Map<string, Array<string>> => {
  const found = new Map<string, Array<string>>()
  const add = (name: string, difference: string) => {
    const key = `${module}.${name}`
    found.set(key, [...(found.get(key) ?? []), difference])
  }
  for (const [name, three] of a) {
    const four = b.get(name)
    if (four === undefined) {
      add(name, "only in Effect 3")
      continue
    }
    if (three.kind !== four.kind) add(name, `kind: ${three.kind} (Effect 3), ${four.kind} (Effect 4)`)
    const onlyThree = three.members.filter((m) => !four.members.includes(m))
    const onlyFour = four.members.filter((m) => !three.members.includes(m))
    if (onlyThree.length > 0) add(name, `members only in Effect 3: ${onlyThree.join(", ")}`)
    if (onlyFour.length > 0) add(name, `members only in Effect 4: ${onlyFour.join(", ")}`)
    if (three.literal !== four.literal) {
      add(
        name,
        `value: ${JSON.stringify(three.literal)} (Effect 3), ${JSON.stringify(four.literal)} (Effect 4)`
      )
    }
  }
  for (const name of b.keys()) if (!a.has(name)) add(name, "only in Effect 4")
  return found
}

/** Every difference between the two editions' public APIs. */
const differences = (): Map<string, Array<string>> => {
  const modules3 = publicModules(effect3)
  const modules4 = publicModules(effect4)
  const found = new Map<string, Array<string>>()
  for (const module of modules3)
    if (!modules4.includes(module)) found.set(module, ["module only in Effect 3"])
  for (const module of modules4)
    if (!modules3.includes(module)) found.set(module, ["module only in Effect 4"])
  for (const module of modules3.filter((m) => modules4.includes(m))) {
    const file = `${module}.ts`
    for (const [key, list] of compare(
      module,
      exportsOf(path.join(effect3, file)),
      exportsOf(path.join(effect4, file))
    )) {
      found.set(key, list)
    }
  }
  return found
}

/** The `Module.name` keys of docs/effect4.md's table of differences. */
const documented = (): Array<string> => {
  const doc = fs.readFileSync(path.join(root, "docs", "effect4.md"), "utf8")
  const start = doc.indexOf("<!-- api-parity:start -->")
  const end = doc.indexOf("<!-- api-parity:end -->")
  assert.isTrue(start >= 0 && end > start, "docs/effect4.md has its api-parity table")
  return doc
    .slice(start, end)
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const [module, name] = line
        .split("|")
        .slice(1, 3)
        .map((cell) => cell.trim().replace(/^`|`$/g, ""))
      return `${module}.${name}`
    })
}

describe("the two editions' public APIs", () => {
  it("have the same modules, names, kinds, members and default constants, but for the listed differences", () => {
    const found = Object.fromEntries([...differences()].sort(([a], [b]) => a.localeCompare(b)))
    const expected = Object.fromEntries(Object.entries(forced).sort(([a], [b]) => a.localeCompare(b)))
    assert.deepStrictEqual(found, expected)
  })

  it("the forced differences are among the ones docs/effect4.md lists", () => {
    for (const key of Object.keys(forced)) assert.include(documented(), key)
  })

  it("the comparison sees what it must: the public modules, and their exports with their members", () => {
    const modules = publicModules(effect3)
    for (const module of [
      "PlexAuth",
      "Jwt",
      "testing/FakePlex",
      "testing/Fault",
      "node/FakePlexServer",
      "index"
    ]) {
      assert.include(modules, module)
    }
    const errors = exportsOf(path.join(effect3, "PlexError.ts"))
    assert.deepStrictEqual(errors.get("RateLimited"), {
      kind: "class",
      members: ["errors", "message", "method", "operation", "retryAfterMillis", "status", "url"],
      literal: undefined
    })
    // The Effect 4 edition's error classes extend `tagNamed(Schema.TaggedError<...>(...))`: their fields are read too.
    assert.deepStrictEqual(
      exportsOf(path.join(effect4, "PlexError.ts")).get("RateLimited"),
      errors.get("RateLimited")
    )
    assert.strictEqual(
      exportsOf(path.join(effect3, "PlexTv.ts")).get("defaultUrl")?.literal,
      "https://plex.tv"
    )
    assert.strictEqual(exportsOf(path.join(effect3, "index.ts")).get("PlexAuth")?.kind, "module")
    // A name, a kind, a member or a value in one edition only is a difference.
    const one = new Map<string, Exported>([["layer", { kind: "function", members: ["(options).url"] }]])
    assert.deepStrictEqual(Object.fromEntries(compare("M", one, new Map())), {
      "M.layer": ["only in Effect 3"]
    })
    assert.deepStrictEqual(
      Object.fromEntries(
        compare("M", one, new Map([["layer", { kind: "const", members: [], literal: "x" }]]))
      ),
      {
        "M.layer": [
          "kind: function (Effect 3), const (Effect 4)",
          "members only in Effect 3: (options).url",
          'value: undefined (Effect 3), "x" (Effect 4)'
        ]
      }
    )
  })

  it("the two packages have the same entry points", () => {
    const entries = (file: string) =>
      Object.keys(
        (JSON.parse(fs.readFileSync(file, "utf8")) as { exports: Record<string, unknown> }).exports
      ).sort()
    assert.deepStrictEqual(
      entries(path.join(root, "effect4", "package.json")),
      entries(path.join(root, "package.json"))
    )
  })
})

/**
 * The same comparison with the type checker (scripts/api-parity.ts): every export's parameters and option
 * names, what each operation returns (success, error union, requirements), each error's fields, each
 * schema's decoded fields, each service's operations.
 */
describe("the two editions' public APIs, as the type checker sees them", () => {
  let editions: ReturnType<typeof describeEditions>
  // One program holding both editions' declaration files, from the run's shared package builds (the same
  // descriptions as from the sources, about a third less CPU: scripts/api-parity.ts): about 6 s of CPU, more
  // wall time on a loaded machine.
  beforeAll(async () => {
    const [three, four] = await Promise.all([packed(), packedEffect4()])
    editions = describeEditions(builtDeclarations(three.checkout, four.checkout))
  }, buildTimeout)

  it("differ only where scripts/api-parity.ts `allowed` says, each listed in docs/effect4.md", () => {
    assert.deepStrictEqual(differing(editions), Object.keys(allowed).sort())
    assert.deepStrictEqual(
      documented().sort(),
      [...new Set([...Object.keys(allowed), ...Object.keys(forced)])].sort()
    )
  })

  it("the descriptions see what they must: error fields, error unions, requirements, options, schema fields", () => {
    const three = editions.effect3
    assert.include(three.get("PlexError.Unauthorized"), "reauthentication?:")
    assert.include(three.get("PlexError.RateLimited"), "retryAfterMillis?: number")
    assert.include(
      three.get("PlexAuth.signIn"),
      "(input: SignInInput) => Effect<SignedInAccount, BadRequest | InvalidInput | InvalidVerificationCode | NetworkError | RateLimited | Unauthorized | Unexpected | VerificationCodeRequired, ClientIdentity | HttpClient>"
    )
    assert.include(
      three.get("PlexAuth.SignInInput"),
      "verificationCode?: Redacted<string> | string | undefined"
    )
    assert.include(three.get("Schemas.Account"), "authToken?: Redacted<string> | undefined")
    assert.include(three.get("testing/FakePlex.FakePlex"), "approvePin: (pin: number | string")
    // Effect 4's spellings of the same thing read as Effect 3's; a real difference still shows.
    assert.strictEqual(three.get("testing/Fault.delay"), editions.effect4.get("testing/Fault.delay"))
    assert.notStrictEqual(three.get("PlexTv.layer"), editions.effect4.get("PlexTv.layer"))
  })
}, 300_000)

describe("the test files both editions share", () => {
  for (const [file, renames] of sharedTestFiles) {
    it(`are one file for both editions: effect4/test/${file} is test/${file} renamed`, () => {
      const three = fs.readFileSync(path.join(root, "test", file), "utf8")
      const four = fs.readFileSync(path.join(root, "effect4", "test", file), "utf8")
      const renamed = renames.reduce(
        (text, [pattern, replacement]) => text.replace(pattern, replacement),
        three
      )
      assert.notStrictEqual(renamed, three)
      assert.strictEqual(four, renamed)
    })
  }
})
