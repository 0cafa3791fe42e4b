#!/usr/bin/env node
// The root package.json's `prepack` and `postpack`: the published manifest carries no lifecycle script
// that npm runs on install. The root `prepare` (scripts/prepare.mjs: a Node 22 for the Effect 4 edition's
// tests, on `npm ci` of a clone) is this repository's, not the package's; left in the tarball, npm 11
// warns every user who installs it ("install-scripts … not yet covered by allowScripts:
// effect-plex-auth@0.1.0 (prepare: …)"), though it never runs there. The same as pinst does for husky's
// postinstall: `strip` (prepack) removes those scripts from package.json and keeps the file as it was
// in .tmp/; `restore` (postpack) puts it back byte for byte. A pack that failed between the two (npm
// runs no postpack then) is put right by the next `strip` or `restore`, and `node scripts/pack-manifest.mjs
// restore` does it by hand, unless package.json was changed since (then it is left as it is, and the install
// scripts it no longer has are named on stderr). `npm pack --ignore-scripts` runs neither, and packs the
// manifest as it is.
//
//   node scripts/pack-manifest.mjs strip|restore
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** The scripts npm runs when a package is installed (from a registry, a tarball, a folder or git). */
const installScripts = ["preinstall", "install", "postinstall", "preprepare", "prepare", "postprepare"]

/** The manifest `text` without its install scripts, as `strip` writes it. */
const stripped = (text) => {
  const json = JSON.parse(text)
  const scripts = { ...json.scripts }
  for (const name of installScripts) delete scripts[name]
  return `${JSON.stringify({ ...json, scripts }, null, 2)}\n`
}

/**
 * Puts the kept manifest back, but only over the one `strip` made from it: when package.json has been
 * changed since (put back by hand or by git after a failed pack, then edited: a version bump), the copy
 * from before that pack is stale and is dropped, not written over the change.
 */
const restore = (manifest, kept, warn) => {
  if (!existsSync(kept)) return
  if (readFileSync(manifest, "utf8") === stripped(readFileSync(kept, "utf8"))) {
    renameSync(kept, manifest)
  } else {
    // Changed since: it may be the stripped one, edited (`npm version`, `npm install <dep>` after the failed pack),
    // which has lost the install scripts; said by name, as the copy that had them is dropped.
    const before = JSON.parse(readFileSync(kept, "utf8")).scripts ?? {}
    const now = JSON.parse(readFileSync(manifest, "utf8")).scripts ?? {}
    const missing = installScripts.filter((name) => name in before && !(name in now))
    rmSync(kept)
    warn(
      "pack-manifest: package.json was changed after a pack stripped it: kept as it is (the copy from before that pack is dropped)" +
        (missing.length === 0
          ? ""
          : `; it has no ${missing.map((name) => `"${name}": ${JSON.stringify(before[name])}`).join(", ")} as before that pack: put back by hand unless removed on purpose`)
    )
  }
}

/**
 * `strip` or `restore` the package.json of the project in `root` (its copy kept in `root`/.tmp/), what is
 * said on stderr given to `warn`; answers false for another command. The command line runs it on this
 * repository; test/pack-manifest.test.ts on projects of its own, in its process.
 */
export const packManifest = (command, root, warn) => {
  const manifest = join(root, "package.json")
  const kept = join(root, ".tmp", "package.json.before-pack")
  if (command === "strip") {
    restore(manifest, kept, warn)
    const text = readFileSync(manifest, "utf8")
    mkdirSync(join(root, ".tmp"), { recursive: true })
    writeFileSync(kept, text)
    writeFileSync(manifest, stripped(text))
  } else if (command === "restore") {
    restore(manifest, kept, warn)
  } else {
    return false
  }
  return true
}

// Run as a script (not imported): Node gives the main module's URL with its symbolic links resolved.
const main = process.argv[1]
if (main !== undefined && realpathSync(main) === fileURLToPath(import.meta.url)) {
  if (!packManifest(process.argv[2], fileURLToPath(new URL("..", import.meta.url)), console.error)) {
    console.error("usage: node scripts/pack-manifest.mjs strip|restore")
    process.exit(2)
  }
}
