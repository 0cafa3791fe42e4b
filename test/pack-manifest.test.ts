/**
 * scripts/pack-manifest.mjs (the root `prepack` / `postpack`), run on a copy beside a manifest of its own in
 * a scratch directory under .tmp/: `strip` removes the install scripts and keeps the file, `restore` puts it
 * back byte for byte; a pack that failed between the two is put right by the next run, but a manifest changed
 * since (put back, then edited) is never overwritten with the stale copy. test/package.test.ts covers `npm pack`.
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
const project = (name: string, manifest: string, options: { readonly process?: boolean } = {}) => {
  const dir = path.join(base, name)
  fs.mkdirSync(path.join(dir, "scripts"), { recursive: true })
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
  return { run, read, write }
}

// Not JSON.stringify's layout (two keys on a line), so that a rewrite would show.
const original = `{
  "name": "x", "version": "1.0.0",
  "scripts": { "prepare": "node scripts/prepare.mjs", "postinstall": "p", "test": "vitest" }
}
`

describe("scripts/pack-manifest.mjs", () => {
  it("strip removes the install scripts only; restore puts the file back byte for byte", () => {
    const p = project("round-trip", original)
    p.run("strip")
    assert.deepStrictEqual(JSON.parse(p.read()).scripts, { test: "vitest" })
    p.run("restore")
    assert.strictEqual(p.read(), original)
  })

  it("a pack that failed between strip and restore is put right by the next strip", () => {
    const p = project("failed-pack", original)
    p.run("strip")
    p.run("strip")
    assert.deepStrictEqual(JSON.parse(p.read()).scripts, { test: "vitest" })
    p.run("restore")
    assert.strictEqual(p.read(), original)
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

  it("a stripped manifest edited after a failed pack is kept, and the install scripts it lost are named", () => {
    const p = project("edited-stripped", original, { process: true })
    p.run("strip")
    // The pack failed (no restore); the developer edits the stripped package.json (npm version, npm install <dep>).
    const edited = p.read().replace('"1.0.0"', '"1.1.0"')
    p.write(edited)
    const said = p.run("strip")
    p.run("restore")
    assert.strictEqual(p.read(), edited)
    assert.include(said, '"prepare": "node scripts/prepare.mjs"')
    assert.include(said, '"postinstall": "p"')
    // A manifest put back (with its install scripts) and edited names none.
    const q = project("edited-put-back", original)
    q.run("strip")
    q.write(original.replace('"1.0.0"', '"1.1.0"'))
    assert.notInclude(q.run("strip"), "has no")
  })
})
