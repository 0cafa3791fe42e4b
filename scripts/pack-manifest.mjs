#!/usr/bin/env node
// The root package.json's `prepack` and `postpack`: the published manifest carries no lifecycle script
// that npm runs on install. The root `prepare` (scripts/prepare.mjs: a Node 22 for the Effect 4 edition's
// tests, on `npm ci` of a clone) is this repository's, not the package's; left in the tarball, npm 11
// warns every user who installs it ("install-scripts … not yet covered by allowScripts:
// effect-plex-auth@0.1.0 (prepare: …)"), though it never runs there. The same as pinst does for husky's
// postinstall: `strip` (prepack) removes those scripts from package.json and keeps the file as it was
// in .tmp/; `restore` (postpack) puts it back byte for byte. A pack that failed between the two (npm
// runs no postpack then) is put right by the next `strip` or `restore`, and `node scripts/pack-manifest.mjs
// restore` does it by hand. `npm pack --ignore-scripts` runs neither, and packs the manifest as it is.
//
//   node scripts/pack-manifest.mjs strip|restore
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const manifest = fileURLToPath(new URL("../package.json", import.meta.url))
const kept = fileURLToPath(new URL("../.tmp/package.json.before-pack", import.meta.url))

/** The scripts npm runs when a package is installed (from a registry, a tarball, a folder or git). */
const installScripts = ["preinstall", "install", "postinstall", "preprepare", "prepare", "postprepare"]

const restore = () => {
  if (existsSync(kept)) renameSync(kept, manifest)
}

const command = process.argv[2]
if (command === "strip") {
  restore()
  const text = readFileSync(manifest, "utf8")
  const json = JSON.parse(text)
  const scripts = { ...json.scripts }
  for (const name of installScripts) delete scripts[name]
  mkdirSync(fileURLToPath(new URL("../.tmp", import.meta.url)), { recursive: true })
  writeFileSync(kept, text)
  writeFileSync(manifest, `${JSON.stringify({ ...json, scripts }, null, 2)}\n`)
} else if (command === "restore") {
  restore()
} else {
  console.error("usage: node scripts/pack-manifest.mjs strip|restore")
  process.exit(2)
}
