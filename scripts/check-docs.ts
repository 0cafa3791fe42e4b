/**
 * The project's type check, documentation examples included, in one
 * TypeScript program (`npm run typecheck`).
 *
 * The program holds every file of tsconfig.json (src/, test/, scripts/, ...,
 * with its settings: what `tsc -p tsconfig.json --noEmit` checks, and its
 * errors reported the same way) and every TypeScript example of the
 * documentation: each ```ts / ```typescript block of README.md and
 * docs/**\/*.md (docs/api/ excluded: it is generated), and each such block
 * inside an `@example` JSDoc tag in src/**\/*.ts, written as its own module
 * to .tmp/doc-examples/. One program instead of two: the library, Effect and
 * the lib files are parsed and checked once. The package imports users write
 * (`effect-plex-auth`, `/testing`, `/node`, `/PlexAuth`, ...) resolve to src/
 * (tsconfig.json `paths`).
 *
 * The checker is TypeScript 7 (the native compiler, devDependency
 * `typescript-7`), run once over a tsconfig that extends the project's with
 * the examples added (.tmp/doc-examples/tsconfig.check.json), its errors read
 * from `tsc --pretty false`: a third of TypeScript 5.9's CPU time. TypeScript
 * 5.9's API (`typescript`) only parses here: the
 * project's tsconfig.json, and the examples that have an "unused" error (to
 * tell a top-level declaration from the rest).
 *
 * Errors in an example are reported at their place in the original file. A
 * block that is deliberately partial can opt out with a ```ts no-check fence.
 *
 * Top-level declarations an example never reads (`const program = ...`) are
 * allowed; unused imports and unused names inside functions are errors.
 *
 * Two editions: by default the Effect 3 edition (tsconfig.json, src/, and
 * the Markdown blocks that are not marked); with `--edition 4` the Effect 4
 * edition (effect4/tsconfig.json, effect4/src/'s JSDoc examples, and the
 * Markdown blocks fenced ```ts effect4), whose examples are written to
 * effect4/.tmp/doc-examples/ so that `effect` resolves to Effect 4 and
 * `effect4-plex-auth` to effect4/src/.
 *
 * Usage: `tsx scripts/check-docs.ts [--edition 4]` (`npm run typecheck`);
 * `--docs-only` checks the examples alone (their own program); `--no-run-examples`
 * type-checks the JSDoc examples without running them (`npm test` runs them in
 * vitest: test/jsdoc.test.ts); `--root <dir>`
 * checks another project laid out like this one (test/check-docs.test.ts's
 * fixtures). The same check without a process of its own: `checkDocs` (the
 * tests call it on their fixtures). After a run, `node node_modules/typescript-7/bin/tsc -p
 * .tmp/doc-examples/tsconfig.check.json` repeats the check, and `-p
 * .tmp/doc-examples` checks the generated modules alone. With a syntax error
 * anywhere, tsc reports only the syntax errors (as `tsc -p` does).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { createRequire } from "node:module"
import { fileURLToPath, pathToFileURL } from "node:url"
import type * as Ts from "typescript"

// TypeScript 5.9's API (parsing only), by `require`: an ESM import of its 9 MB CommonJS file first has
// Node scan it for export names, which doubled the CPU time of loading it (about 1.8 s more under tsx).
const ts = createRequire(import.meta.url)("typescript") as typeof Ts

/** This project: where its node_modules (TypeScript 7) are. */
const thisProject = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

/** What {@link checkDocs} checks. */
export interface CheckOptions {
  /** The project checked: by default this one; else another laid out the same way (the tests' fixtures). */
  readonly root?: string
  /** Which edition's program: 3 (the root package, the default) or 4 (effect4/). */
  readonly edition?: 3 | 4
  /** The examples alone, in their own program (`--docs-only`). */
  readonly docsOnly?: boolean
  /** Whether to run the JSDoc examples after a clean check: by default for the Effect 3 edition's full check. */
  readonly runExamples?: boolean
  /** Where the node_modules with TypeScript 7 are: by default this project (the script's parent folder). */
  readonly tools?: string
  /** Print as it goes, on this process's stdout and stderr (the command), instead of into the result. */
  readonly print?: boolean
}

/** How a check ended: the exit code of the command, and what it printed. */
export interface CheckResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

// `npm test` runs this script with Node 22's own type stripping (scripts/test.mjs): TypeScript syntax
// that only erases (no enums, namespaces or parameter properties).
/** Ends a check with an exit code (the command's `process.exit`, without ending a process that calls {@link checkDocs}). */
class Exit {
  readonly code: number
  constructor(code: number) {
    this.code = code
  }
}

/** A command's output and how it ended, as `spawnSync` reports them, without blocking the process meanwhile. */
const spawnText = (
  command: string,
  args: ReadonlyArray<string>,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env
) =>
  new Promise<{
    error?: Error
    status: number | null
    signal: NodeJS.Signals | null
    stdout: string
    stderr: string
  }>((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", (error) => resolve({ error, status: null, signal: null, stdout, stderr }))
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }))
  })

/** One code block, and where its lines came from. */
export interface Block {
  /** The file the block is in, relative to the project root. */
  readonly source: string
  /** The 1-based line, in `source`, of the block's first line of code. */
  readonly line: number
  /** Per line of code: how many characters of the source line precede it. */
  readonly columns: ReadonlyArray<number>
  readonly code: string
  readonly skip: boolean
  /** An Effect 3 Markdown example read as the Effect 4 edition's (see `asEffect4`). */
  readonly ported?: boolean
}

/** A problem found while collecting blocks (an unclosed fence). */
export interface Problem {
  readonly source: string
  readonly line: number
  readonly message: string
}

const isTypeScript = (lang: string): boolean => /^(ts|typescript)$/i.test(lang)

/**
 * The Effect 4 reading of an Effect 3 example: the imports renamed as docs/effect4.md's table says
 * (`effect-plex-auth` → `effect4-plex-auth`, `@effect/platform` → `effect/http`), nothing else. The
 * guides are written once, for the Effect 3 edition, and say so; `--edition 4` type-checks every
 * Markdown example read this way, so the claim "change the imports and it is an Effect 4 program" is
 * checked, not hoped. An example whose program differs in more than its imports is followed by its
 * Effect 4 version (a ```ts effect4 block, checked instead); one that has no Effect 4 meaning is marked
 * ```ts effect3-only.
 */
const asEffect4 = (code: string): string =>
  code
    .replace(/(from\s+|import\(\s*)(["'])effect-plex-auth(\/[^"']*)?\2/g, "$1$2effect4-plex-auth$3$2")
    .replace(/(from\s+|import\(\s*)(["'])@effect\/platform(\/[^"']*)?\2/g, "$1$2effect/http$3$2")

/**
 * The TypeScript code blocks of an edition's documentation, in order: each ```ts / ```typescript block of
 * README.md (and effect4/README.md for the Effect 4 edition) and docs/**\/*.md (docs/api/ excluded: it is
 * generated), and each such block inside an `@example` JSDoc tag of the edition's src/**\/*.ts; and the
 * problems found collecting them (an unclosed fence). `root` is the project (laid out like this one).
 */
export const documentationBlocks = (
  root: string,
  edition: 3 | 4
): { readonly blocks: Array<Block>; readonly problems: Array<Problem> } => {
  /** Where the edition lives: its tsconfig.json and src/. */
  const home = edition === 4 ? path.join(root, "effect4") : root
  /**
   * The fenced code blocks of some lines (Markdown, or the text of a JSDoc
   * comment). `offsets[i]` is the column where `lines[i]` starts in the source.
   */
  const fencedBlocks = (
    source: string,
    lines: ReadonlyArray<string>,
    firstLine: number,
    offsets: ReadonlyArray<number>,
    problems: Array<Problem>,
    /** Whether every block here is the Effect 4 edition's (effect4/README.md, effect4/src). */
    allEffect4 = false,
    /** Whether the lines are a Markdown file's (guides), not a JSDoc comment's. */
    markdown = false
  ): Array<Block> => {
    const blocks: Array<Block> = []
    let i = 0
    while (i < lines.length) {
      const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i] ?? "")
      const indent = open?.[1]
      const marker = open?.[2]
      const info = (open?.[3] ?? "").trim()
      if (indent === undefined || marker === undefined || (marker.startsWith("`") && info.includes("`"))) {
        i++
        continue
      }
      const [lang = "", ...flags] = info.split(/\s+/)
      const body: Array<string> = []
      const columns: Array<number> = []
      let j = i + 1
      let closed = false
      for (; j < lines.length; j++) {
        const text = lines[j] ?? ""
        const close = /^\s*(`{3,}|~{3,})\s*$/.exec(text)
        if (close?.[1] !== undefined && close[1][0] === marker[0] && close[1].length >= marker.length) {
          closed = true
          break
        }
        const strip = Math.min(indent.length, /^ */.exec(text)?.[0].length ?? 0)
        body.push(text.slice(strip))
        columns.push((offsets[j] ?? 0) + strip)
      }
      if (!closed) {
        problems.push({ source, line: firstLine + i, message: "code fence is never closed" })
      }
      // A Markdown block marked `effect4` is the Effect 4 edition's; the others the Effect 3 one's.
      const isEffect4 = allEffect4 || flags.includes("effect4")
      if (isTypeScript(lang) && isEffect4 === (edition === 4)) {
        blocks.push({
          source,
          line: firstLine + i + 1,
          columns,
          code: body.join("\n"),
          skip: flags.includes("no-check")
        })
      } else if (isTypeScript(lang) && edition === 4 && markdown && !flags.includes("effect3-only")) {
        // An Effect 3 guide example, checked as the Effect 4 edition's too (`asEffect4`), unless the next
        // block is its Effect 4 version.
        const next = lines.slice(j + 1).findIndex((line) => /^\s*(`{3,}|~{3,})/.test(line))
        const nextInfo =
          next < 0 ? [] : (/^\s*(?:`{3,}|~{3,})(.*)$/.exec(lines[j + 1 + next] ?? "")?.[1] ?? "")
        const hasCounterpart =
          typeof nextInfo === "string" && /^\s*(ts|typescript)\s.*\beffect4\b/i.test(nextInfo)
        if (!hasCounterpart) {
          blocks.push({
            source,
            line: firstLine + i + 1,
            columns,
            code: asEffect4(body.join("\n")),
            skip: flags.includes("no-check"),
            ported: true
          })
        }
      }
      i = j + 1
    }
    return blocks
  }

  const markdownBlocks = (file: string, problems: Array<Problem>): Array<Block> => {
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/)
    return fencedBlocks(
      // With "/" on every platform, as tsc prints the paths of the project's files.
      path.relative(root, file).split(path.sep).join("/"),
      lines,
      1,
      lines.map(() => 0),
      problems,
      file.startsWith(home + path.sep) && home !== root,
      true
    )
  }

  /** The fenced blocks that follow an `@example` tag in the JSDoc comments of a source file. */
  const exampleBlocks = (file: string, problems: Array<Problem>): Array<Block> => {
    const text = fs.readFileSync(file, "utf8")
    const source = path.relative(root, file).split(path.sep).join("/")
    const blocks: Array<Block> = []
    for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      const startLine = text.slice(0, comment.index).split("\n").length
      const raw = comment[0].split(/\r?\n/)
      const lines: Array<string> = []
      const offsets: Array<number> = []
      raw.forEach((line, index) => {
        const prefix =
          index === 0 ? (/^\/\*\*\s?/.exec(line)?.[0] ?? "") : (/^\s*\*(?!\/)\s?/.exec(line)?.[0] ?? "")
        const rest = line.slice(prefix.length).replace(/\s*\*\/$/, "")
        lines.push(rest)
        offsets.push(
          (index === 0 ? comment.index - text.lastIndexOf("\n", comment.index) - 1 : 0) + prefix.length
        )
      })
      // The sections of the comment that belong to an @example tag: from the tag
      // to the next tag that is not inside a code fence.
      let inExample = false
      let inFence = false
      const keep = lines.map((line) => {
        if (/^\s*(`{3,}|~{3,})/.test(line)) inFence = !inFence
        else if (!inFence && /^\s*@\w+/.test(line)) inExample = /^\s*@example\b/.test(line)
        return inExample
      })
      blocks.push(
        ...fencedBlocks(
          source,
          lines.map((line, index) => (keep[index] ? line : "")),
          startLine,
          offsets,
          problems,
          edition === 4
        )
      )
    }
    return blocks
  }

  const walk = (dir: string, accept: (file: string) => boolean): Array<string> => {
    if (!fs.existsSync(dir)) return []
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((entry) => {
        const full = path.join(dir, entry.name)
        if (entry.isDirectory()) return walk(full, accept)
        return entry.isFile() && accept(full) ? [full] : []
      })
  }

  const docsApi = path.join(root, "docs", "api") + path.sep
  const markdownFiles = [
    ...[path.join(root, "README.md"), ...(edition === 4 ? [path.join(home, "README.md")] : [])].filter(
      (file) => fs.existsSync(file)
    ),
    ...walk(path.join(root, "docs"), (file) => file.endsWith(".md") && !file.startsWith(docsApi))
  ]
  const sourceFiles = walk(path.join(home, "src"), (file) => file.endsWith(".ts"))

  const problems: Array<Problem> = []
  const blocks = [
    ...markdownFiles.flatMap((file) => markdownBlocks(file, problems)),
    ...sourceFiles.flatMap((file) => exampleBlocks(file, problems))
  ]
  return { blocks, problems }
}

/** The module an example block is written to: `docs/guide.md` line 12 is `docs_guide_md_L12.ts`. */
export const exampleModuleName = (block: Block): string =>
  `${block.source.replace(/[^A-Za-z0-9]+/g, "_")}_L${block.line}.ts`

/** A glob of docgen.json (`src/internal/**\/*.ts`) as a regular expression over paths relative to the root. */
const globPattern = (glob: string): RegExp => {
  const parts = glob.split(/(\*\*\/|\*)/).map((part) => {
    if (part === "**/") return "(?:.*/)?"
    if (part === "*") return "[^/]*"
    return part.replace(/[.+?^$()|[\]{}\\]/g, "\\$&")
  })
  return new RegExp(`^${parts.join("")}$`)
}

/**
 * Whether a file (relative to `root`) is one of the modules the API reference documents (docgen.json:
 * `srcDir`, less `exclude`).
 */
export const documentedByDocgen = (root: string): ((source: string) => boolean) => {
  const config = JSON.parse(fs.readFileSync(path.join(root, "docgen.json"), "utf8")) as {
    readonly srcDir?: string
    readonly exclude?: ReadonlyArray<string>
  }
  const excluded = (config.exclude ?? []).map(globPattern)
  const srcDir = `${config.srcDir ?? "src"}/`
  return (source) => {
    const relative = source.split(path.sep).join("/")
    return relative.startsWith(srcDir) && !excluded.some((pattern) => pattern.test(relative))
  }
}

/**
 * The JSDoc examples the check runs (the Effect 3 edition's, of the modules docgen documents, less the
 * ```ts no-check ones): what `npm test`'s typecheck, run with `--no-run-examples`, leaves to
 * test/jsdoc.test.ts, which runs them in the vitest suite (Effect and the library are loaded there already).
 */
export const documentedExamples = (root: string): Array<Block> => {
  const documented = documentedByDocgen(root)
  return documentationBlocks(root, 3).blocks.filter((block) => !block.skip && documented(block.source))
}

/**
 * The check (what the command does), in the calling process: its exit code and what it printed. Holds
 * no state between calls (test/check-docs.test.ts runs several at once, on its fixtures).
 */
export const checkDocs = async (options: CheckOptions = {}): Promise<CheckResult> => {
  const stdout: Array<string> = []
  const stderr: Array<string> = []
  // As the command: printed at once, in order with what the JSDoc examples print when run.
  const out = (text: string) =>
    void (options.print === true ? process.stdout.write(`${text}\n`) : stdout.push(`${text}\n`))
  const err = (text: string) =>
    void (options.print === true ? process.stderr.write(`${text}\n`) : stderr.push(`${text}\n`))
  const result = (code: number): CheckResult => ({ code, stdout: stdout.join(""), stderr: stderr.join("") })
  const tools = options.tools ?? thisProject
  const root = options.root === undefined ? tools : path.resolve(options.root)
  const edition = options.edition ?? 3
  const docsOnly = options.docsOnly ?? false
  /** Where the edition lives: its tsconfig.json and src/. */
  const home = edition === 4 ? path.join(root, "effect4") : root
  const packageName = edition === 4 ? "effect4-plex-auth" : "effect-plex-auth"
  const outDir = path.join(home, ".tmp", "doc-examples")

  const check = async (): Promise<number> => {
    const { blocks, problems } = documentationBlocks(root, edition)
    const checked = blocks.filter((block) => !block.skip)

    // Write one module per block, and a tsconfig that reproduces the check.
    fs.rmSync(outDir, { recursive: true, force: true })
    fs.mkdirSync(outDir, { recursive: true })
    const byFile = new Map<string, Block>()
    for (const block of checked) {
      const file = path.join(outDir, exampleModuleName(block))
      byFile.set(path.normalize(file), block)
      // `export {}` last keeps line numbers aligned and makes every block a module.
      fs.writeFileSync(file, `${block.code}\nexport {}\n`)
    }
    const relativeSrc = (entry: string) =>
      path
        .relative(outDir, path.join(home, "src", entry))
        .split(path.sep)
        .join("/")
    const tsconfig = {
      extends: path.relative(outDir, path.join(root, "tsconfig.base.json")).split(path.sep).join("/"),
      compilerOptions: {
        noEmit: true,
        types: ["node"],
        paths: {
          [packageName]: [relativeSrc("index.ts")],
          [`${packageName}/testing`]: [relativeSrc("testing/index.ts")],
          [`${packageName}/node`]: [relativeSrc("node/index.ts")],
          // The Effect-free fake entries are shared: both packages build them from the root src/fake.
          [`${packageName}/fake`]: [
            path
              .relative(outDir, path.join(root, "src", "fake", "index.ts"))
              .split(path.sep)
              .join("/")
          ],
          [`${packageName}/fake/node`]: [
            path
              .relative(outDir, path.join(root, "src", "fake", "node.ts"))
              .split(path.sep)
              .join("/")
          ],
          [`${packageName}/*`]: [relativeSrc("*.ts")]
        }
      },
      include: ["*.ts"]
    }
    const configPath = path.join(outDir, "tsconfig.json")
    fs.writeFileSync(configPath, `${JSON.stringify(tsconfig, null, 2)}\n`)

    /** The project's tsconfig.json, parsed (settings and files; parsing only, TypeScript 5.9's API). */
    const parseConfig = (file: string): Ts.ParsedCommandLine => {
      const parsed = ts.getParsedCommandLineOfConfigFile(
        file,
        {},
        {
          ...ts.sys,
          onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
            err(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"))
            throw new Exit(2)
          }
        }
      )
      if (parsed === undefined) throw new Exit(2)
      return parsed
    }

    // The project (tsconfig.json) and the examples in one program, with the project's settings: a tsconfig
    // that extends the project's, with its files and the examples' (.tmp/doc-examples/tsconfig.check.json);
    // or, with --docs-only, the examples alone with theirs (.tmp/doc-examples/tsconfig.json).
    const projectConfigPath = path.join(home, "tsconfig.json")
    const project = docsOnly ? undefined : parseConfig(projectConfigPath)
    let checkConfigPath = configPath
    if (!docsOnly) {
      const raw = (ts.readConfigFile(projectConfigPath, (file) => ts.sys.readFile(file)).config ?? {}) as {
        readonly files?: ReadonlyArray<string>
        readonly include?: ReadonlyArray<string>
        readonly exclude?: ReadonlyArray<string>
      }
      // `files`, `include` and `exclude` are relative to the config that names them: the project's, here
      // rewritten relative to .tmp/doc-examples/ (the settings, `paths` included, come with `extends`).
      const moved = (entries: ReadonlyArray<string>) =>
        entries.map((entry) => path.relative(outDir, path.resolve(home, entry)).split(path.sep).join("/"))
      const check = {
        extends: path.relative(outDir, projectConfigPath).split(path.sep).join("/"),
        ...(raw.files === undefined ? {} : { files: moved(raw.files) }),
        include: [...moved(raw.include ?? (raw.files === undefined ? ["**/*"] : [])), "*.ts"],
        ...(raw.exclude === undefined ? {} : { exclude: moved(raw.exclude) })
      }
      checkConfigPath = path.join(outDir, "tsconfig.check.json")
      fs.writeFileSync(checkConfigPath, `${JSON.stringify(check, null, 2)}\n`)
    }

    /**
     * TypeScript 7's `tsc` (the native compiler, devDependency `typescript-7`: a launcher of the platform's
     * binary), found by path: node_modules/.bin/tsc is TypeScript 5.9's.
     */
    const launcher = path.join(tools, "node_modules", "typescript-7", "bin", "tsc")
    /**
     * The platform's binary that launcher starts, started here directly: the launcher is a Node process
     * (about 0.16 CPU-s a run: measured 0.15 to 0.18 against 0.02 for `tsc --version`) that does nothing else.
     * Found as the launcher finds it (typescript-7's lib/getExePath.js); a typescript-7 without that file
     * (test/check-docs.test.ts's stand-ins, whose bin/tsc is a Node script) is run through its bin/tsc.
     */
    const getExePath = path.join(tools, "node_modules", "typescript-7", "lib", "getExePath.js")
    const tsc7 = fs.existsSync(getExePath)
      ? ((await import(pathToFileURL(getExePath).href)) as { readonly default: () => string }).default()
      : launcher
    const tscArgs = ["-p", checkConfigPath, "--pretty", "false", "--singleThreaded"]

    /** One diagnostic as `tsc --pretty false` prints it: `file(line,column): error TS1234: message`. */
    interface Diagnostic {
      /** Absolute; absent for a global diagnostic (options, a missing file of `files`). */
      readonly file?: string
      /** 1-based, as printed. */
      readonly line: number
      readonly column: number
      readonly code: number
      /** The first line, then the chain's lines (indented two spaces per level), as printed. */
      readonly message: string
      /** What tsc printed for it. */
      readonly printed: string
    }

    const started = Date.now()
    // --singleThreaded: `npm test` runs its static checks side by side, one per core, so tsc's own threads
    // only share the same cores: single-threaded, the check took a fifth to a third less CPU, and less time
    // (measured on a loaded 2-core machine: edition 3 7.0 against 11.0 CPU-s, edition 4 6.5 against 8.2).
    // GOGC=off with GOMEMLIMIT=2GiB (tsc 7 is a Go program): no garbage collection until the heap reaches
    // 2 GiB, where Go's default collects each time the heap doubles, from a few MB up to the program's
    // size. A type check keeps nearly all it allocates to the end (ASTs, symbols, types), so those
    // collections freed little: without them the check took about a tenth less CPU (measured on a loaded
    // 2-core machine, four runs each, user + sys: edition 3 6.2-6.6 against 6.8-7.4 CPU-s, edition 4
    // 5.5-5.8 against 5.9-6.8) for about 70 MB more memory (peak RSS 694 MB against 627 MB, edition 3).
    // Past 2 GiB Go collects as needed to stay under it. A GOGC or GOMEMLIMIT of the caller's is kept.
    const env = {
      ...process.env,
      GOGC: process.env["GOGC"] ?? "off",
      GOMEMLIMIT: process.env["GOMEMLIMIT"] ?? "2GiB"
    }
    const result =
      tsc7 === launcher
        ? await spawnText(process.execPath, [launcher, ...tscArgs], root, env)
        : await spawnText(tsc7, tscArgs, root, env)
    if (result.error !== undefined) {
      err(`${tsc7}: ${result.error.message}`)
      throw new Exit(2)
    }

    /** The errors tsc printed, each with the lines that continue it; `unparsed`: lines before the first. */
    const parseDiagnostics = (
      output: string
    ): { diagnostics: Array<Diagnostic>; unparsed: Array<string> } => {
      const diagnostics: Array<{ -readonly [K in keyof Diagnostic]: Diagnostic[K] }> = []
      const unparsed: Array<string> = []
      for (const line of output.split(/\r?\n/)) {
        const located = /^(.+)\((\d+),(\d+)\): error TS(\d+): (.*)$/.exec(line)
        const global = located === null ? /^error TS(\d+): (.*)$/.exec(line) : null
        if (located !== null) {
          diagnostics.push({
            file: path.resolve(root, located[1]!),
            line: Number(located[2]),
            column: Number(located[3]),
            code: Number(located[4]),
            message: located[5]!,
            printed: line
          })
        } else if (global !== null) {
          diagnostics.push({
            line: 0,
            column: 0,
            code: Number(global[1]),
            message: global[2]!,
            printed: line
          })
        } else if (line.trim() === "") {
          continue
        } else {
          const last = diagnostics.at(-1)
          if (last === undefined) unparsed.push(line)
          else {
            last.message += `\n${line}`
            last.printed += `\n${line}`
          }
        }
      }
      return { diagnostics, unparsed }
    }
    // tsc prints its diagnostics on stdout. What it printed on stderr (a crash: Go's panic and stack, Node's
    // error) is an error of its own, printed whole: read after stdout's diagnostics, it would have been taken
    // for the last one's continuation, and dropped with it when that one is ignored (an unused top-level name).
    // A Node warning of the launcher (a Node script: node_modules/typescript-7/bin/tsc) is passed on, not counted.
    const nodeWarning = /^\(node:\d+\) (\[\w+\] )?\w*Warning: |^\(Use `node --trace-\w+ \.\.\.` to show /
    const stderrLines = result.stderr.split(/\r?\n/)
    const warnings = stderrLines.filter((line) => nodeWarning.test(line))
    if (warnings.length > 0) err(warnings.join("\n"))
    const crash = stderrLines
      .filter((line) => !nodeWarning.test(line))
      .join("\n")
      .trim()
    const { diagnostics, unparsed } = parseDiagnostics(result.stdout)
    if (crash !== "") unparsed.push(crash)
    // A failed run that printed no error it can be told by (a crash, a usage error) is not a pass; nor is a
    // run cut short by a signal, whatever it printed before.
    if (result.signal !== null) unparsed.push(`${tsc7} was killed by ${result.signal}`)
    else if (result.status !== 0 && diagnostics.length === 0)
      unparsed.push(`${tsc7} exited with ${result.status}`)

    /** Codes of "declared but never used" diagnostics. */
    const unusedCodes = new Set([6133, 6196, 6198, 6199])

    /** Whether a diagnostic, at `at` in an example, is about a top-level declaration it merely never reads. */
    const isUnusedTopLevel = (sourceFile: Ts.SourceFile, code: number, at: number): boolean => {
      if (!unusedCodes.has(code)) return false
      const within = (node: Ts.Node | undefined) =>
        node !== undefined && node.getStart(sourceFile) <= at && at < node.getEnd()
      return sourceFile.statements.some((statement) => {
        if (ts.isVariableStatement(statement)) {
          return (
            within(statement.declarationList) &&
            (code === 6199 || statement.declarationList.declarations.some((d) => within(d.name)))
          )
        }
        if (
          ts.isFunctionDeclaration(statement) ||
          ts.isClassDeclaration(statement) ||
          ts.isInterfaceDeclaration(statement) ||
          ts.isTypeAliasDeclaration(statement) ||
          ts.isEnumDeclaration(statement)
        ) {
          return within(statement.name)
        }
        return false
      })
    }

    interface Report {
      readonly source: string
      readonly line: number
      readonly column?: number
      readonly text: string
    }

    const reports: Array<Report> = problems.map((p) => ({ source: p.source, line: p.line, text: p.message }))
    /** The project's own errors (not in an example), as `tsc` prints them. */
    const projectErrors: Array<string> = unparsed.length === 0 ? [] : [unparsed.join("\n")]
    /** The examples' modules, parsed (not checked) to find their top-level declarations. */
    const parsedExamples = new Map<string, Ts.SourceFile>()
    for (const diagnostic of diagnostics) {
      const block = diagnostic.file === undefined ? undefined : byFile.get(path.normalize(diagnostic.file))
      if (diagnostic.file === undefined || block === undefined) {
        projectErrors.push(diagnostic.printed)
        continue
      }
      const file = diagnostic.file
      let sourceFile = parsedExamples.get(file)
      if (sourceFile === undefined) {
        sourceFile = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true)
        parsedExamples.set(file, sourceFile)
      }
      // tsc's columns count UTF-16 code units, as TypeScript's positions do.
      const at =
        (sourceFile.getLineStarts()[diagnostic.line - 1] ?? sourceFile.text.length) + diagnostic.column - 1
      if (isUnusedTopLevel(sourceFile, diagnostic.code, at)) continue
      // Past the block's last line (the added `export {}`): report at the last line.
      const last = Math.max(0, block.columns.length - 1)
      const line = Math.min(diagnostic.line - 1, last)
      const column = (block.columns[line] ?? 0) + (diagnostic.line - 1 > last ? 0 : diagnostic.column - 1) + 1
      const code = block.code.split("\n")[line]?.trim()
      reports.push({
        source: block.source,
        line: block.line + line,
        column,
        text: `error TS${diagnostic.code}: ${diagnostic.message}${
          code !== undefined && code !== "" ? `\n    ${code}` : ""
        }${
          block.ported === true
            ? "\n    (in this Effect 3 example read as the Effect 4 edition's, imports renamed: follow it with its ```ts effect4 version, or mark it ```ts effect3-only)"
            : ""
        }`
      })
    }

    if (projectErrors.length > 0) {
      err(projectErrors.join("\n"))
      err(`${projectErrors.length} error(s) in the project (tsconfig.json).`)
    }
    const files = new Set(checked.map((block) => block.source)).size
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    for (const block of blocks.filter((b) => b.skip)) {
      out(`skipped (no-check): ${block.source}:${block.line}`)
    }
    if (reports.length > 0 || projectErrors.length > 0) {
      reports.sort(
        (a, b) => a.source.localeCompare(b.source) || a.line - b.line || (a.column ?? 0) - (b.column ?? 0)
      )
      for (const report of reports) {
        const where = `${report.source}:${report.line}${report.column === undefined ? "" : `:${report.column}`}`
        err(`${where} - ${report.text}`)
      }
      if (reports.length > 0) {
        err(
          `\n${reports.length} error(s) in documentation examples (${checked.length} blocks from ${files} files).`
        )
      }
      throw new Exit(1)
    }
    out(
      `Type-checked ${project === undefined ? "" : `the project (${project.fileNames.length} files) and `}${checked.length} documentation examples from ${files} files in ${seconds} s.`
    )

    /**
     * The JSDoc examples of the modules the API reference documents (docgen.json: `srcDir`, less `exclude`),
     * run: each module imported, once, as docgen used to run them with tsx after its own type check of the
     * same examples. `npm test` runs docgen without its examples step (DOCGEN_RUN_EXAMPLES=false): they are
     * type-checked above, with everything else, and run here; or, with `--no-run-examples` (`npm test`'s
     * typecheck), in the vitest suite (test/jsdoc.test.ts, `documentedExamples`), where Effect and the library
     * are loaded already: here under tsx they took about 4 CPU-s. An example that throws fails the check.
     */
    const runExamples = async (): Promise<void> => {
      const documented = documentedByDocgen(root)
      const run = [...byFile].filter(([, block]) => documented(block.source))
      const failures: Array<string> = []
      for (const [file, block] of run) {
        try {
          await import(pathToFileURL(file).href)
        } catch (error) {
          failures.push(
            `${block.source}:${block.line} - the example throws: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`
          )
        }
      }
      if (failures.length > 0) {
        for (const failure of failures) err(failure)
        err(`\n${failures.length} JSDoc example(s) failed when run.`)
        throw new Exit(1)
      }
      out(`Ran the ${run.length} JSDoc examples of the modules docgen documents.`)
    }

    if (options.runExamples ?? (edition === 3 && !docsOnly)) await runExamples()
    return 0
  }
  try {
    return result(await check())
  } catch (error) {
    if (error instanceof Exit) return result(error.code)
    throw error
  }
}

// The command: `tsx scripts/check-docs.ts [--edition 4 | --edition 3,4] [--docs-only] [--no-run-examples]
// [--root <dir>]`. `--edition 3,4` checks both editions, one after the other, in this one process (`npm test`:
// Node, tsx and TypeScript 5.9 load once, not once per edition), each as its own command would; it fails when
// either fails.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argument = (name: string) =>
    process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined
  const root = argument("--root")
  const editions: ReadonlyArray<3 | 4> =
    argument("--edition") === "3,4" ? [3, 4] : argument("--edition") === "4" ? [4] : [3]
  let code = 0
  for (const edition of editions) {
    if (editions.length > 1) console.log(`Effect ${edition} edition:`)
    const result = await checkDocs({
      ...(root === undefined ? {} : { root }),
      edition,
      docsOnly: process.argv.includes("--docs-only"),
      ...(process.argv.includes("--no-run-examples") ? { runExamples: false } : {}),
      print: true
    })
    code = Math.max(code, result.code)
  }
  // A failure ends the process at once, as before (a JSDoc example that threw may have left a handle open).
  if (code !== 0) process.exit(code)
}
