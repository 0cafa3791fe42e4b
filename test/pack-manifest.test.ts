/**
 * scripts/pack-manifest.mjs (both editions' `prepack` / `postpack`), run on a copy beside a manifest of its own in
 * a scratch directory under .tmp/: `strip` removes this repository's fields (scripts, devDependencies, workspaces,
 * overrides, allowScripts) and keeps the file, `restore` puts it
 * back byte for byte; a pack that failed between the two is put right by the next run, but a manifest changed
 * since (put back, then edited) is never overwritten with the stale copy; a pack stopped at any point (the states it
 * may leave are written here as it leaves them) is put right too. test/package.test.ts covers `npm pack`.
 * One project (the last test's first, whose `strip` says something on stderr) runs the script as `npm pack`
 * does, a Node process per command; the others call what it runs, `packManifest`, in this process (a Node
 * process per command was most of this file's time).
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "vitest"
import { packManifest } from "../scripts/pack-manifest.mjs"

const root = fileURLToPath(new URL("..", import.meta.url))
fs.mkdirSync(path.join(root, ".tmp"), { recursive: true })
const base = fs.mkdtempSync(path.join(root, ".tmp", "pack-manifest-"))
afterAll(() => fs.rmSync(base, { recursive: true, force: true }))

/**
 * A project with the script in its scripts/ and `manifest` as its package.json. `run` runs the script in a
 * Node process of its own when `process` is true, otherwise calls `packManifest` on the project's directory;
 * either way it answers what was said on stderr.
 */
const project = (
  name: string,
  manifest: string,
  options: { readonly process?: boolean; readonly built?: boolean } = {}
) => {
  const dir = path.join(base, name)
  fs.mkdirSync(path.join(dir, "scripts"), { recursive: true })
  if (options.built !== false) build(dir)
  fs.copyFileSync(
    path.join(root, "scripts", "pack-manifest.mjs"),
    path.join(dir, "scripts", "pack-manifest.mjs")
  )
  fs.writeFileSync(path.join(dir, "package.json"), manifest)
  const run = (command: "strip" | "restore"): string => {
    if (options.process === true) {
      const ran = spawnSync(process.execPath, [path.join(dir, "scripts", "pack-manifest.mjs"), command], {
        stdio: "pipe"
      })
      assert.strictEqual(ran.status, 0, ran.stderr.toString())
      return ran.stderr.toString()
    }
    const said: Array<string> = []
    assert.isTrue(packManifest(command, dir, (message) => said.push(message)))
    return said.map((line) => `${line}\n`).join("")
  }
  const read = () => fs.readFileSync(path.join(dir, "package.json"), "utf8")
  const write = (text: string) => fs.writeFileSync(path.join(dir, "package.json"), text)
  /** The copy `strip` keeps (.tmp/package.json.before-pack), written as a stopped pack left it. */
  const keep = (text: string) => {
    fs.mkdirSync(path.join(dir, ".tmp"), { recursive: true })
    fs.writeFileSync(path.join(dir, ".tmp", "package.json.before-pack"), text)
  }
  /** The files in the project's .tmp/. */
  const aside = () => fs.readdirSync(path.join(dir, ".tmp")).sort()
  return { run, read, write, keep, aside }
}

/** The files {@link original}'s exports and bin name, as a build writes them in `dir`. */
const build = (dir: string) => {
  fs.mkdirSync(path.join(dir, "dist", "bin"), { recursive: true })
  fs.writeFileSync(path.join(dir, "dist", "index.js"), "")
  fs.writeFileSync(path.join(dir, "dist", "bin", "x.js"), "")
}

// Not JSON.stringify's layout (two keys on a line), so that a rewrite would show. What a user's install reads
// (name, version, exports, bin, dependencies, peerDependencies, engines, files…) and this repository's own fields.
const original = `{
  "name": "x", "version": "1.0.0",
  "type": "module", "sideEffects": false, "engines": { "node": ">=20" },
  "exports": { ".": "./dist/index.js", "./package.json": "./package.json" }, "bin": { "x": "./dist/bin/x.js" },
  "files": ["dist"], "license": "MIT", "repository": { "type": "git", "url": "git+https://example.invalid/x.git" },
  "dependencies": { "a": "^1.0.0" }, "peerDependencies": { "effect": "^3.22.0" },
  "workspaces": ["effect4"],
  "scripts": { "prepare": "node scripts/prepare.mjs", "postinstall": "p", "test": "vitest" },
  "devDependencies": { "vitest": "3.2.7" },
  "overrides": { "rollup": "4.67.4" }, "allowScripts": { "esbuild": false }
}
`

/** What `strip` keeps of {@link original}: everything but the repository's own fields, in its order. */
const kept = [
  "name",
  "version",
  "type",
  "sideEffects",
  "engines",
  "exports",
  "bin",
  "files",
  "license",
  "repository",
  "dependencies",
  "peerDependencies"
]

describe("scripts/pack-manifest.mjs", () => {
  it("strip removes this repository's fields (scripts, devDependencies, workspaces, overrides, allowScripts) only; restore puts the file back byte for byte", () => {
    const p = project("round-trip", original)
    p.run("strip")
    const packed = JSON.parse(p.read())
    assert.deepStrictEqual(Object.keys(packed), kept)
    for (const name of kept) assert.deepStrictEqual(packed[name], JSON.parse(original)[name], name)
    p.run("restore")
    assert.strictEqual(p.read(), original)
  })

  // POSIX permissions (Windows keeps only a read-only flag).
  it.skipIf(process.platform === "win32")(
    "package.json keeps its permissions through strip and restore (each write is a new file renamed over it)",
    () => {
      const p = project("mode", original)
      const manifest = path.join(base, "mode", "package.json")
      // Neither 0644 nor 0664, what a new file gets under the usual umasks (022, 002).
      fs.chmodSync(manifest, 0o640)
      p.run("strip")
      assert.strictEqual(fs.statSync(manifest).mode & 0o777, 0o640, "stripped")
      p.run("restore")
      assert.strictEqual(fs.statSync(manifest).mode & 0o777, 0o640, "restored")
      assert.strictEqual(p.read(), original)
    }
  )

  it("runs on the package folder it is given, resolved against the working directory (effect4/'s `strip .`)", () => {
    const p = project("folder-given", original)
    const edition = path.join(base, "folder-given", "effect4")
    fs.mkdirSync(edition)
    build(edition)
    const manifest = original.replace('"x"', '"x4"')
    fs.writeFileSync(path.join(edition, "package.json"), manifest)
    const script = path.join(base, "folder-given", "scripts", "pack-manifest.mjs")
    const strip = spawnSync(process.execPath, [script, "strip", "."], { cwd: edition, stdio: "pipe" })
    assert.strictEqual(strip.status, 0, strip.stderr.toString())
    assert.deepStrictEqual(
      Object.keys(JSON.parse(fs.readFileSync(path.join(edition, "package.json"), "utf8"))),
      kept
    )
    assert.strictEqual(p.read(), original, "the root's manifest is not the one given")
    // (restore in this process: one Node process per command was most of this file's time)
    assert.isTrue(packManifest("restore", edition, assert.fail))
    assert.strictEqual(fs.readFileSync(path.join(edition, "package.json"), "utf8"), manifest)
    // A third argument is not a folder to guess about: usage, exit 2, nothing changed.
    const extra = spawnSync(process.execPath, [script, "strip", ".", "more"], { cwd: edition, stdio: "pipe" })
    assert.strictEqual(extra.status, 2)
    assert.include(
      extra.stderr.toString(),
      "usage: node scripts/pack-manifest.mjs strip|restore [PACKAGE-FOLDER]"
    )
    assert.strictEqual(fs.readFileSync(path.join(edition, "package.json"), "utf8"), manifest)
  })

  it("a pack that failed between strip and restore is put right by the next strip", () => {
    const p = project("failed-pack", original)
    p.run("strip")
    p.run("strip")
    assert.deepStrictEqual(Object.keys(JSON.parse(p.read())), kept)
    p.run("restore")
    assert.strictEqual(p.read(), original)
  })

  it("a pack stopped after strip kept its copy, before it wrote the stripped manifest: the next run drops the copy without a word", () => {
    const p = project("stopped-before-stripping", original)
    p.keep(original)
    assert.strictEqual(p.run("strip"), "")
    assert.deepStrictEqual(Object.keys(JSON.parse(p.read())), kept)
    assert.strictEqual(p.run("restore"), "")
    assert.strictEqual(p.read(), original)
    // The same copy found by restore (run by hand, or postpack): dropped, package.json untouched.
    p.keep(original)
    assert.strictEqual(p.run("restore"), "")
    assert.strictEqual(p.read(), original)
    assert.deepStrictEqual(p.aside(), [])
  })

  it("a package.json cut short as a pack wrote it (a run before writes were whole) is put back from the copy, and set aside", () => {
    const p = project("stopped-while-stripping", original)
    p.keep(original)
    p.write(original.slice(0, 60))
    const said = p.run("strip")
    assert.include(said, "package.json was not whole")
    assert.include(said, "package.json.before-pack.not-whole")
    p.run("restore")
    assert.strictEqual(p.read(), original)
    assert.deepStrictEqual(p.aside(), ["package.json.before-pack.not-whole"])
  })

  it("a copy cut short as a pack wrote it is set aside, not read: package.json is left as it was and packs", () => {
    const p = project("stopped-while-keeping", original)
    p.keep(original.slice(0, 60))
    const said = p.run("strip")
    assert.include(said, "is not whole")
    assert.deepStrictEqual(Object.keys(JSON.parse(p.read())), kept)
    assert.strictEqual(p.run("restore"), "")
    assert.strictEqual(p.read(), original)
    assert.deepStrictEqual(p.aside(), ["package.json.before-pack.not-whole"])
  })

  it("a manifest put back and edited after a failed pack is not overwritten with the copy from before it", () => {
    const p = project("edited", original)
    p.run("strip")
    // The pack failed (no restore); the developer puts package.json back, then bumps the version.
    const bumped = original.replace('"1.0.0"', '"1.1.0"')
    p.write(bumped)
    p.run("strip")
    assert.strictEqual(JSON.parse(p.read()).version, "1.1.0")
    p.run("restore")
    assert.strictEqual(p.read(), bumped)
  })

  it("package.json put back after a failed pack (git checkout) is kept without a word: the copy, or the committed one", () => {
    // The copy byte for byte: git gives the file as it was packed.
    const p = project("checked-out", original)
    p.run("strip")
    p.write(original)
    assert.strictEqual(p.run("strip"), "")
    assert.strictEqual(p.run("restore"), "")
    assert.strictEqual(p.read(), original)
    // The committed one, when the packed file held an edit not committed (a version bump): git gives the original,
    // unstripped, not the copy; nothing the strip took is lost, and it is what the developer asked for.
    const bumped = original.replace('"1.0.0"', '"1.0.1"')
    const q = project("checked-out-committed", bumped)
    q.run("strip")
    q.write(original)
    assert.strictEqual(q.run("strip"), "")
    assert.deepStrictEqual(Object.keys(JSON.parse(q.read())), kept)
    assert.strictEqual(q.run("restore"), "")
    assert.strictEqual(q.read(), original)
    // The same, formatted another way (an editor's, a formatter's): its fields all there, nothing said.
    const r = project("checked-out-formatted", original)
    r.run("strip")
    const formatted = `${JSON.stringify(JSON.parse(original), null, 4)}\n`
    r.write(formatted)
    assert.strictEqual(r.run("restore"), "")
    assert.strictEqual(r.read(), formatted)
    assert.deepStrictEqual(r.aside(), [])
  })

  it("a stripped manifest edited after a failed pack is kept, and the fields it lost are named", () => {
    const p = project("edited-stripped", original, { process: true })
    p.run("strip")
    // The pack failed (no restore); the developer edits the stripped package.json (npm version, npm install <dep>).
    const edited = p.read().replace('"1.0.0"', '"1.1.0"')
    p.write(edited)
    const said = p.run("strip")
    p.run("restore")
    assert.strictEqual(p.read(), edited)
    assert.include(
      said,
      '"scripts": {"prepare":"node scripts/prepare.mjs","postinstall":"p","test":"vitest"}'
    )
    assert.include(said, '"devDependencies": {"vitest":"3.2.7"}')
    assert.include(said, '"workspaces": ["effect4"]')
    // A manifest put back (with its install scripts) and edited names none.
    const q = project("edited-put-back", original)
    q.run("strip")
    q.write(original.replace('"1.0.0"', '"1.1.0"'))
    assert.notInclude(q.run("strip"), "has no")
  })

  it("strip refuses a package that is not built (a file its exports or bin name is missing): nothing is changed, npm packs nothing", () => {
    // `npm pack` of a clone without `npm run build` packed no dist/: a tarball that installs, then fails at
    // the first import (ERR_MODULE_NOT_FOUND). Now its `prepack` fails, saying what to run, and npm stops.
    const p = project("not-built", original, { built: false })
    const dir = path.join(base, "not-built")
    assert.throws(
      () => packManifest("strip", dir, assert.fail),
      `pack-manifest: x is not built (./dist/index.js, ./dist/bin/x.js, named in its package.json's exports or bin, missing): run \`npm run build\` in ${dir} first, then pack again`
    )
    assert.strictEqual(p.read(), original)
    assert.isFalse(fs.existsSync(path.join(dir, ".tmp", "package.json.before-pack")))
    // As npm runs it: exit 1, the message on stderr, the manifest whole.
    const ran = spawnSync(process.execPath, [path.join(dir, "scripts", "pack-manifest.mjs"), "strip"], {
      stdio: "pipe"
    })
    assert.strictEqual(ran.status, 1)
    assert.include(ran.stderr.toString(), "pack-manifest: x is not built (./dist/index.js, ./dist/bin/x.js,")
    assert.strictEqual(p.read(), original)
    // One file missing (a build stopped half-way) is enough; built, it strips.
    build(dir)
    fs.rmSync(path.join(dir, "dist", "bin", "x.js"))
    assert.throws(() => packManifest("strip", dir, assert.fail), "(./dist/bin/x.js, named in")
    build(dir)
    p.run("strip")
    assert.deepStrictEqual(Object.keys(JSON.parse(p.read())), kept)
  })
})
