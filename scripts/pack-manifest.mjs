#!/usr/bin/env node
// The `prepack` and `postpack` of both editions' package.json (the root's, and effect4/'s with `strip .`): the
// published manifest carries only what means something to npm and to the package's users, not the fields that
// are this repository's own. `scripts`: the root `prepare` (scripts/prepare.mjs: a Node 22 for the Effect 4
// edition's tests, on `npm ci` of a clone), left in the tarball, makes npm 11 warn every user who installs it
// ("install-scripts … not yet covered by allowScripts: effect-plex-auth@0.1.0 (prepare: …)"), though it never runs
// there; the others (build, test, bench, the editions' demos) name files and tools the package does not ship.
// `devDependencies` (this repository's tools, exact versions: npm installs none of a dependency's), `workspaces`,
// `overrides` and `allowScripts` (read only in the project npm runs in, never in an installed package) mean
// nothing in a user's node_modules and only mislead (a reader of the installed package.json, a tool that audits
// it). The same as pinst does for husky's postinstall, or clean-package: `strip` (prepack) removes those fields
// from package.json and keeps the file as it was in .tmp/; `restore` (postpack, which npm runs from the manifest
// it read before `prepack`) puts it back byte for byte. A pack that failed between the two (npm runs no postpack
// then) is put right by the next `strip` or `restore`, and `node scripts/pack-manifest.mjs restore` does it by
// hand, unless package.json was changed since (then it is left as it is, and the fields it no longer has, if any,
// are named on stderr). Each file is written whole or not at all (written aside, then renamed over), so a pack stopped
// at any point (Ctrl-C, a killed CI job) leaves package.json either as it was or stripped, never cut short; and the
// next run puts right whatever such a stop left: the copy kept but package.json not stripped yet (the copy is
// dropped), or, from a run before writes were whole, a copy or a package.json cut short (the whole one is kept, the
// other set aside in .tmp/ and named on stderr). `npm pack --ignore-scripts` runs neither, and packs the manifest
// as it is.
//
// To publish, publish the tarball `npm pack` wrote (`npm publish effect-plex-auth-0.1.0.tgz`): `npm publish` of a
// folder sends the registry the manifest it reads again after the pack, when `postpack` has put it back whole.
//
//   node scripts/pack-manifest.mjs strip|restore [PACKAGE-FOLDER]
//
// PACKAGE-FOLDER (resolved against the working directory) defaults to this repository's root.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

/** The fields of this repository's manifests that mean nothing, or mislead, in a package as npm installs it. */
const repositoryFields = ["scripts", "devDependencies", "workspaces", "overrides", "allowScripts"]

/** The manifest `text` without {@link repositoryFields}, as `strip` writes it. */
const stripped = (text) => {
  const json = JSON.parse(text)
  for (const name of repositoryFields) delete json[name]
  return `${JSON.stringify(json, null, 2)}\n`
}

/**
 * Writes `file` whole or not at all: aside in `dir` first, then renamed over it (a rename is atomic). The file
 * written has the permissions `mode` (package.json's own: a rename puts the new file, with the mode it was
 * created with, in place of the old one, and the copy is renamed back over package.json at `restore`).
 */
const writeWhole = (dir, file, text, mode) => {
  const part = join(dir, "pack-manifest.part")
  // One left by a run stopped before its rename may be read-only, as package.json may be.
  rmSync(part, { force: true })
  writeFileSync(part, text)
  chmodSync(part, mode)
  renameSync(part, file)
}

/** The permissions of `file` (what `writeWhole` gives the file it writes). */
const modeOf = (file) => statSync(file).mode & 0o7777

/** Whether `text` is JSON. */
const isJson = (text) => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/**
 * Puts the kept manifest back, but only over the one `strip` made from it: when package.json has been
 * changed since (put back by hand or by git after a failed pack, then edited: a version bump), the copy
 * from before that pack is stale and is dropped, not written over the change. A copy that is package.json
 * itself (a pack stopped after keeping it, before stripping; or put back by git) is dropped without a word.
 * A file cut short by a run stopped while it wrote it (before writes were whole) is set aside, not read.
 */
const restore = (manifest, kept, warn) => {
  if (!existsSync(kept)) return
  const before = readFileSync(kept, "utf8")
  const now = readFileSync(manifest, "utf8")
  if (!isJson(before)) {
    // Cut short as it was written: package.json was not stripped yet (strip keeps the copy first).
    renameSync(kept, `${kept}.not-whole`)
    warn(
      `pack-manifest: the copy of package.json an earlier pack kept is not whole (that pack was stopped as it wrote it): set aside as ${kept}.not-whole; package.json is left as it is`
    )
  } else if (now === before) {
    rmSync(kept)
  } else if (now === stripped(before)) {
    renameSync(kept, manifest)
  } else if (!isJson(now)) {
    // Cut short as strip wrote the stripped one: the copy is the manifest from before that pack.
    writeWhole(dirname(kept), `${kept}.not-whole`, now, modeOf(manifest))
    renameSync(kept, manifest)
    warn(
      `pack-manifest: package.json was not whole (a pack was stopped as it wrote it): put back from the copy that pack kept; what it held is set aside as ${kept}.not-whole`
    )
  } else {
    // Changed since, and kept as it is, the stale copy dropped. Said only when it is the stripped one, edited (`npm
    // version`, `npm install <dep>` after the failed pack), which has lost the repository's fields: named, as the copy
    // that had them is dropped. An unstripped one (put back by `git checkout package.json`, which gives the committed
    // file, not the copy when that held an edit not committed; then maybe edited, or formatted) lost nothing of what
    // the strip took: dropped without a word.
    const was = JSON.parse(before)
    const is = JSON.parse(now)
    const missing = repositoryFields.filter((name) => name in was && !(name in is))
    rmSync(kept)
    if (missing.length > 0) {
      warn(
        `pack-manifest: package.json was changed after a pack stripped it: kept as it is (the copy from before that pack is dropped); it has no ${missing.map((name) => `"${name}": ${JSON.stringify(was[name])}`).join(", ")} as before that pack: put back by hand unless removed on purpose`
      )
    }
  }
}

/**
 * The files of `root` that the manifest `json` names in `exports` and `bin` (patterns with `*` aside) and that
 * do not exist: all of dist/ when the package was not built. npm packs a package without them, and its tarball
 * installs without a word, then fails at the first import (`ERR_MODULE_NOT_FOUND ... dist/index.js`), so
 * `strip` refuses to pack it, saying what to run.
 */
const missingFiles = (json, root) => {
  const named = []
  const collect = (value) => {
    if (typeof value === "string") {
      if (!value.includes("*")) named.push(value)
    } else if (value !== null && typeof value === "object") {
      for (const inner of Object.values(value)) collect(inner)
    }
  }
  collect(json.exports)
  collect(json.bin)
  return [...new Set(named)].filter((file) => !existsSync(join(root, file)))
}

/**
 * `strip` or `restore` the package.json of the project in `root` (its copy kept in `root`/.tmp/), what is
 * said on stderr given to `warn`; answers false for another command. `strip` throws before it strips when a
 * file the manifest exports is missing (the package is not built). The command line runs it on this
 * repository or the folder it is given (effect4/); test/pack-manifest.test.ts on projects of its own, in its process.
 */
export const packManifest = (command, root, warn) => {
  const manifest = join(root, "package.json")
  const kept = join(root, ".tmp", "package.json.before-pack")
  if (command === "strip") {
    restore(manifest, kept, warn)
    const text = readFileSync(manifest, "utf8")
    const missing = missingFiles(JSON.parse(text), root)
    if (missing.length > 0) {
      const shown =
        missing.slice(0, 3).join(", ") + (missing.length > 3 ? ` and ${missing.length - 3} more` : "")
      throw new Error(
        `pack-manifest: ${JSON.parse(text).name ?? "the package"} is not built (${shown}, named in its package.json's exports or bin, missing): run \`npm run build\` in ${root} first, then pack again`
      )
    }
    const dir = join(root, ".tmp")
    mkdirSync(dir, { recursive: true })
    // The copy first, then the stripped manifest, each whole: stopped between the two, the next run drops the copy.
    const mode = modeOf(manifest)
    writeWhole(dir, kept, text, mode)
    writeWhole(dir, manifest, stripped(text), mode)
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
  const folder =
    process.argv[3] === undefined ? fileURLToPath(new URL("..", import.meta.url)) : resolve(process.argv[3])
  let known
  try {
    known = process.argv.length <= 4 && packManifest(process.argv[2], folder, console.error)
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(1)
  }
  if (!known) {
    console.error("usage: node scripts/pack-manifest.mjs strip|restore [PACKAGE-FOLDER]")
    process.exit(2)
  }
}
