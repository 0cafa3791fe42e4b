/**
 * Checks that docs/api, the API reference TypeDoc writes (`npm run docs`), is
 * current: TypeDoc writes the reference again, with the same configuration
 * (typedoc.json), into a temporary directory, and the two trees must hold the
 * same files with the same text. When they do not, it names the files that
 * differ (and the first line that does) and says to run `npm run docs`.
 *
 * The output is deterministic for given sources and TypeScript and TypeDoc
 * versions: TypeDoc run twice writes the same bytes. It depends on the
 * options, though (with `skipErrorChecking` TypeScript orders the members of
 * some unions differently), so this runs TypeDoc exactly as `npm run docs`
 * does, changing only the output directory. Line endings are compared
 * normalised, for checkouts that turn them into CRLF.
 *
 *   tsx scripts/check-api-docs.ts   (part of npm test; about 7 s, almost all of it TypeDoc)
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const committed = path.join(root, "docs", "api")
const typedoc = path.join(root, "node_modules", "typedoc", "bin", "typedoc")

/** The files under a directory, as sorted paths relative to it (with `/`); none when it does not exist. */
const files = async (dir: string, prefix = ""): Promise<ReadonlyArray<string>> => {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return []
    throw error
  })
  const nested = await Promise.all(
    entries.map((entry) =>
      entry.isDirectory()
        ? files(path.join(dir, entry.name), `${prefix}${entry.name}/`)
        : entry.isFile()
          ? [`${prefix}${entry.name}`]
          : []
    )
  )
  return nested.flat().sort()
}

const lines = (text: string) => text.replace(/\r\n/g, "\n").split("\n")

/** Where two texts first differ, as `line N`, or undefined when they are the same. */
const firstDifference = (expected: string, actual: string): string | undefined => {
  const a = lines(expected)
  const b = lines(actual)
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}`
  }
  return undefined
}

/** Runs TypeDoc as `npm run docs` does, writing to `out`. */
const generate = (out: string) =>
  new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [typedoc, "--out", out],
      { cwd: root, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        // TypeDoc's warnings (logLevel Warn) are shown as `npm run docs` shows them.
        process.stdout.write(stdout)
        process.stderr.write(stderr)
        if (error === null) resolve()
        else reject(new Error(`typedoc failed (${error.code ?? error.signal ?? "?"})`))
      }
    )
  })

const main = async () => {
  const start = performance.now()
  const temp = await fs.mkdtemp(path.join(os.tmpdir(), "effect-plex-auth-api-docs-"))
  try {
    const fresh = path.join(temp, "api")
    await generate(fresh)
    const [want, have] = await Promise.all([files(fresh), files(committed)])
    const problems: Array<string> = []
    for (const file of want) {
      if (!have.includes(file)) {
        problems.push(`  missing:   docs/api/${file}`)
        continue
      }
      const [expected, actual] = await Promise.all([
        fs.readFile(path.join(fresh, file), "utf8"),
        fs.readFile(path.join(committed, file), "utf8")
      ])
      const where = firstDifference(expected, actual)
      if (where !== undefined) problems.push(`  outdated:  docs/api/${file} (from ${where})`)
    }
    for (const file of have) {
      if (!want.includes(file)) problems.push(`  stale:     docs/api/${file} (TypeDoc no longer writes it)`)
    }
    const seconds = ((performance.now() - start) / 1000).toFixed(1)
    if (problems.length > 0) {
      console.error(
        [
          `docs/api does not match the sources (${problems.length} file${problems.length === 1 ? "" : "s"}):`,
          ...problems,
          "Run `npm run docs` to regenerate it, and commit the result."
        ].join("\n")
      )
      process.exitCode = 1
      return
    }
    console.log(`docs/api is current (${want.length} files, ${seconds} s)`)
  } finally {
    await fs.rm(temp, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
