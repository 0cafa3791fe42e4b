/**
 * What a newcomer who reads only the README and docs/ relies on, checked in the guides' text (the examples
 * themselves are type-checked by scripts/check-docs.ts, and run by test/package*.test.ts for the README).
 *
 * - "Try it without an account" (docs/getting-started.md) promises that an unchanged program reaches the
 *   fake once `PLEX_TV_URL` is set: so every whole Node program of the guides that talks to plex.tv reads
 *   `PLEX_TV_URL`, through `PlexTv.layerConfig()` (or sets `PlexTv` itself). Without it the program goes to
 *   https://plex.tv whatever the variable says, and fails offline with `NetworkError`.
 * - No guide says the Effect 4 edition does not exist.
 * - Every package an Effect 4 example imports (besides `effect` and the package itself) has an install line
 *   of the Effect 4 edition (```sh effect4) in the docs: the Effect 3 lines name versions of the Effect 3 line
 *   (`@effect/platform-node@0.108`, `@effect/vitest@0.30`), which npm refuses beside Effect 4.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"

const root = path.resolve(import.meta.dirname, "..")

const guides = [
  "README.md",
  ...fs
    .readdirSync(path.join(root, "docs"))
    .filter((file) => file.endsWith(".md"))
    .map((file) => `docs/${file}`)
]

interface Example {
  readonly where: string
  readonly code: string
}

const examples = (file: string): ReadonlyArray<Example> => {
  const lines = fs.readFileSync(path.join(root, file), "utf8").split("\n")
  const found: Array<Example> = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)\b(.*)$/.exec(lines[i] ?? "")
    if (open === null) continue
    const body: Array<string> = []
    let j = i + 1
    for (; j < lines.length && !/^```\s*$/.test(lines[j] ?? ""); j++) body.push(lines[j] ?? "")
    found.push({ where: `${file}:${i + 1}${open[2] ?? ""}`, code: body.join("\n") })
    i = j
  }
  return found
}

/**
 * A whole program or app layer (it builds its HTTP client, whether or not it runs it), for Node (not a browser
 * page), that asks plex.tv.
 */
const isNodeProgramAskingPlexTv = (code: string): boolean =>
  /FetchHttpClient\.layer\b/.test(code) &&
  !/\blocalStorage\b/.test(code) &&
  /\b(signIn|postUsersSignInData|account|getTokenDetails|ping|signOut|layerSignIn|layerStored|layerPinLogin)\(|\b(PinLogin|Resources|Home|Claim|Devices|Link)\./.test(
    code
  )

describe("the guides, as a newcomer reads them", () => {
  it("every whole Node program that asks plex.tv reads PLEX_TV_URL, so it runs against the fake unchanged", () => {
    const programs = guides.flatMap(examples).filter((example) => isNodeProgramAskingPlexTv(example.code))
    // The check sees the programs it must: the README's quick start, the sign-in examples, the CLI tool.
    assert.isAtLeast(programs.length, 8, programs.map((p) => p.where).join("\n"))
    const deaf = programs.filter((example) => !/\bPlexTv\.(layerConfig|layer|withUrl)\(/.test(example.code))
    assert.deepStrictEqual(
      deaf.map((example) => example.where),
      [],
      "these programs ignore PLEX_TV_URL: add PlexTv.layerConfig() to their layer"
    )
  })

  it("every package an Effect 4 example imports has an Effect 4 install line", () => {
    const installed = new Set<string>()
    const imported = new Map<string, string>()
    for (const file of guides) {
      const lines = fs.readFileSync(path.join(root, file), "utf8").split("\n")
      for (let i = 0; i < lines.length; i++) {
        if (!/^```(sh|shell|bash|console)\s+effect4\s*$/.test(lines[i] ?? "")) continue
        for (let j = i + 1; j < lines.length && !/^```\s*$/.test(lines[j] ?? ""); j++) {
          for (const [, name] of (lines[j] ?? "").matchAll(/(?:^|\s)((?:@[\w.-]+\/)?[\w.-]+)@[\w.^~-]+/g)) {
            installed.add(name!)
          }
        }
      }
      for (const example of examples(file).filter(
        (e) => /^docs\/|^README/.test(e.where) && / effect4\b/.test(e.where)
      )) {
        for (const [, spec] of example.code.matchAll(/from\s+"([^"]+)"/g)) {
          const name = spec!.startsWith("@") ? spec!.split("/").slice(0, 2).join("/") : spec!.split("/")[0]!
          if (
            name === "effect" ||
            name === "effect4-plex-auth" ||
            name.startsWith("node:") ||
            name.startsWith(".")
          )
            continue
          if (!imported.has(name)) imported.set(name, example.where)
        }
      }
    }
    assert.isAbove(imported.size, 0)
    const missing = [...imported]
      .filter(([name]) => !installed.has(name))
      .map(([name, where]) => `${name} (${where})`)
    assert.deepStrictEqual(missing, [], "imported by an Effect 4 example, with no ```sh effect4 install line")
  })

  it("no guide says the Effect 4 edition does not exist", () => {
    for (const file of guides) {
      const text = fs.readFileSync(path.join(root, file), "utf8")
      assert.notMatch(text, /Effect 4 is not supported/i, file)
    }
  })
})
