/**
 * The links npm shows on a package's page (`homepage`, `repository`, `bugs`), as the packed package.json
 * of each edition holds them: one repository, the Effect 4 edition in its `effect4` directory.
 */
import { assert } from "@effect/vitest"

/** The project's home: the address the CLI's help (src/core/cli/help.ts) also links to. */
export const home = "https://github.com/effect-plex-auth/effect-plex-auth"

/** The package.json fields checked. */
export interface Links {
  readonly homepage?: unknown
  readonly repository?: unknown
  readonly bugs?: unknown
}

/** The package.json links point at the project's repository (`directory` set for an edition in a subfolder). */
export const assertLinks = (pkg: Links, directory?: string): void => {
  assert.deepStrictEqual(pkg.repository, {
    type: "git",
    url: `git+${home}.git`,
    ...(directory === undefined ? {} : { directory })
  })
  assert.deepStrictEqual(pkg.bugs, { url: `${home}/issues` })
  assert.strictEqual(
    pkg.homepage,
    directory === undefined ? `${home}#readme` : `${home}/tree/main/${directory}#readme`
  )
}
