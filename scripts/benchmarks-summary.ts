/**
 * The summary tables at the top of docs/benchmarks.md (between its summary markers), read from the tables
 * the benchmark scripts write further down the page: the Effect 3 "Bundle size" and "Speed and memory"
 * sections (scripts/bundle-budget.ts, bench/index.ts) and the Effect 4 marker blocks
 * (effect4/bench/bundle.ts, effect4/bench/index.ts). Each of those scripts calls {@link withSummary} when it
 * rewrites the page, so the summary always shows the numbers below it. String work only (no I/O, no Effect):
 * the Effect 4 scripts import it too, on Node 22.
 */

export const summaryBegin =
  "<!-- summary: begin (written by scripts/benchmarks-summary.ts from the tables below) -->"
export const summaryEnd = "<!-- summary: end -->"

type Table = ReadonlyArray<ReadonlyArray<string>>

/** The first Markdown table after `anchor` in `doc` (from `from` on), without its header rule, cells trimmed. */
const tableAfter = (doc: string, anchor: string, from = 0): Table => {
  const at = doc.indexOf(anchor, from)
  if (at === -1) throw new Error(`docs/benchmarks.md: no "${anchor}"`)
  const lines = doc.slice(at).split("\n")
  const start = lines.findIndex((line) => line.startsWith("|"))
  const rows: Array<Array<string>> = []
  for (const line of lines.slice(start)) {
    if (!line.startsWith("|")) break
    rows.push(
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim())
    )
  }
  return rows.filter((row) => !row.every((cell) => /^:?-+:?$/.test(cell)))
}

/** The cell of `column` (a header, or a test on it) in the first row that passes `where`. */
const cell = (table: Table, where: (row: ReadonlyArray<string>) => boolean, column: string): string => {
  const index = table[0]!.indexOf(column)
  const row = table.slice(1).find(where)
  if (index === -1 || row === undefined) throw new Error(`docs/benchmarks.md: no "${column}" cell`)
  return row[index]!
}

/** The first number of a cell ("1,183 req/s, 608 µs CPU" → 1183, "0.59× (0.53–0.69)" → 0.59). */
const num = (text: string, nth = 0): number => {
  const found = [...text.matchAll(/\d[\d,]*(?:\.\d+)?/g)][nth]
  if (found === undefined) throw new Error(`docs/benchmarks.md: no number in "${text}"`)
  return Number(found[0].replace(/,/g, ""))
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
const x2 = (n: number) => `${fmt(n, 2)}×`

type Op = "getTokenDetails" | "signIn"
const ops: ReadonlyArray<Op> = ["getTokenDetails", "signIn"]
const opLabel = (op: Op) => (op === "getTokenDetails" ? "`getTokenDetails`" : "the sign-in")

/** Per operation, the values one and 16 at a time. */
type PerOp = Record<Op, readonly [number, number]>

interface Edition {
  readonly gzipped: Record<Op, number>
  readonly over: Record<Op, number>
  readonly rps: PerOp
  readonly cpu: PerOp
  /** Our CPU per request over the bare client's, as measured (Effect 4), or the bare client's over ours (Effect 3). */
  readonly cpuVsBare: PerOp
  readonly cpuVsPlexjs: PerOp
  readonly rpsVsPlexjs: PerOp
  /** Effect 4 only: the Rollup sizes. */
  readonly rollup?: { readonly gzipped: Record<Op, number>; readonly over: Record<Op, number> }
}

const perOp = (value: (op: Op, concurrency: 1 | 16) => number): PerOp => ({
  getTokenDetails: [value("getTokenDetails", 1), value("getTokenDetails", 16)],
  signIn: [value("signIn", 1), value("signIn", 16)]
})

const byOp = (read: (op: Op) => number): Record<Op, number> => ({
  getTokenDetails: read("getTokenDetails"),
  signIn: read("signIn")
})

const effect3 = (doc: string): Edition => {
  const speed = doc.indexOf("\n## Speed and memory\n")
  const sizes = tableAfter(doc, "\n## Bundle size\n")
  const program = (op: Op) => (row: ReadonlyArray<string>) =>
    row[0] === (op === "getTokenDetails" ? "`PlexAuth.getTokenDetails`" : "`PlexAuth.postUsersSignInData`")
  const operation = (op: Op) =>
    op === "getTokenDetails" ? "`getTokenDetails`" : "sign-in (`postUsersSignInData`)"
  const at = (op: Op, concurrency: number) => (row: ReadonlyArray<string>) =>
    row[0] === operation(op) && row[1] === String(concurrency)
  const clients = tableAfter(doc, "### Throughput and latency", speed)
  const mine = (op: Op, concurrency: number) => (row: ReadonlyArray<string>) =>
    at(op, concurrency)(row) && row[2] === "effect-plex-auth"
  const rpsRatios = tableAfter(doc, "effect-plex-auth's requests per second over the other clients'", speed)
  const cpuRatios = tableAfter(doc, "The other clients' CPU per request over effect-plex-auth's", speed)
  return {
    gzipped: byOp((op) => num(cell(sizes, program(op), "Gzipped"))),
    over: byOp((op) => num(cell(sizes, program(op), "Over baseline (gzipped)"))),
    rps: perOp((op, c) => num(cell(clients, mine(op, c), "Requests/s"))),
    cpu: perOp((op, c) => num(cell(clients, mine(op, c), "CPU per request (µs)"))),
    cpuVsBare: perOp((op, c) => num(cell(cpuRatios, at(op, c), "@effect/platform HttpClient"))),
    cpuVsPlexjs: perOp((op, c) => num(cell(cpuRatios, at(op, c), "plexjs 0.39.0"))),
    rpsVsPlexjs: perOp((op, c) => num(cell(rpsRatios, at(op, c), "over plexjs 0.39.0")))
  }
}

const effect4 = (doc: string): Edition => {
  const bundle = doc.indexOf("<!-- effect4 bundle: begin")
  const bench = doc.indexOf("<!-- effect4 bench: begin")
  if (bundle === -1 || bench === -1) throw new Error("docs/benchmarks.md: no Effect 4 marker blocks")
  const sizes = tableAfter(doc, "| Entry (gzipped)", bundle)
  const entry = (op: Op) => (row: ReadonlyArray<string>) =>
    row[0] === (op === "getTokenDetails" ? "`getTokenDetails`" : "sign-in (`postUsersSignInData`)")
  const row = (op: Op) => sizes.slice(1).find(entry(op))!
  const at = (op: Op, concurrency: number) => (r: ReadonlyArray<string>) =>
    r[0] === (op === "getTokenDetails" ? "`getTokenDetails`" : "sign-in") && r[1] === String(concurrency)
  const clients = tableAfter(doc, "| Operation", bench)
  const ratios = tableAfter(doc, "effect4-plex-auth against each, round by round", bench)
  return {
    gzipped: byOp((op) => num(row(op)[1]!)),
    over: byOp((op) => num(row(op)[2]!)),
    rollup: { gzipped: byOp((op) => num(row(op)[3]!)), over: byOp((op) => num(row(op)[4]!)) },
    rps: perOp((op, c) => num(cell(clients, at(op, c), "effect4-plex-auth"))),
    cpu: perOp((op, c) => num(cell(clients, at(op, c), "effect4-plex-auth"), 1)),
    cpuVsBare: perOp((op, c) => num(cell(ratios, at(op, c), "CPU vs effect/http HttpClient"))),
    cpuVsPlexjs: perOp((op, c) => num(cell(ratios, at(op, c), "CPU vs plexjs 0.39.0"))),
    rpsVsPlexjs: perOp((op, c) => num(cell(ratios, at(op, c), "req/s vs plexjs 0.39.0")))
  }
}

const pair = (values: readonly [number, number], show: (n: number) => string) =>
  `${show(values[0])} / ${show(values[1])}`
/** Effect 3's tables give the other client's CPU over ours: inverted here, to one decimal. */
const inverted = (n: number) => `≈ ${fmt(1 / n, 1)}×`

/** "met (…)", "not met (…)", or per operation where they differ. */
const verdict = (values: PerOp, ok: (n: number) => boolean): string => {
  const all = ops.flatMap((op) => values[op])
  if (all.every(ok)) return `met (${all.map(x2).join(", ")})`
  if (!all.some(ok)) return `not met (${x2(Math.min(...all))}–${x2(Math.max(...all))})`
  // Per operation where both concurrencies agree, per concurrency where they do not.
  const met: Array<string> = []
  const not: Array<string> = []
  for (const op of ops) {
    const [one, sixteen] = values[op]
    if (ok(one) === ok(sixteen)) (ok(one) ? met : not).push(`${opLabel(op)} (${x2(one)}, ${x2(sixteen)})`)
    else {
      ;(ok(one) ? met : not).push(`${opLabel(op)} one at a time (${x2(one)})`)
      ;(ok(sixteen) ? met : not).push(`${opLabel(op)} 16 at a time (${x2(sixteen)})`)
    }
  }
  return `met for ${met.join(", ")}, not for ${not.join(", ")}`
}

const kB = (n: number) => `${fmt(n, 1)} kB`

/** The summary's two tables, from the page's generated tables (unformatted Markdown). */
export const summary = (doc: string): string => {
  const e3 = effect3(doc)
  const e4 = effect4(doc)
  const line = (name: string, e: Edition, op: Op, three: boolean) =>
    `| ${name} | ${kB(e.gzipped[op])} (${kB(e.over[op])}) | ${pair(e.rps[op], (n) => fmt(n))} | ${pair(e.cpu[op], (n) => fmt(n))} | ${pair(e.cpuVsBare[op], three ? inverted : x2)}${three ? "¹" : ""} | ${pair(e.cpuVsPlexjs[op], three ? inverted : x2)}${three ? "¹" : ""} | ${pair(e.rpsVsPlexjs[op], x2)} |`
  const sizes4 = [...ops.map((op) => e4.gzipped[op]), ...ops.map((op) => e4.rollup!.gzipped[op])]
  const over4 = [...ops.map((op) => e4.over[op]), ...ops.map((op) => e4.rollup!.over[op])]
  const bundle4 = Math.max(...sizes4) <= 55 && Math.max(...over4) <= 10
  const bundle3 =
    Math.max(...ops.map((op) => e3.gzipped[op])) <= 93 && Math.max(...ops.map((op) => e3.over[op])) <= 10
  const within = 1 / 1.15
  const target = (name: string, result: string, met: boolean, why: string) =>
    `| ${name} | ${result} | ${met ? "" : why} |`
  const all = (values: PerOp, ok: (n: number) => boolean) => ops.every((op) => values[op].every(ok))
  return [
    "| Edition, operation | Gzipped (over the floor), esbuild | Requests/s, 1 / 16 | CPU per request (µs), 1 / 16 | Our CPU over the bare `HttpClient`'s | Our CPU over plexjs's | Our requests/s over plexjs's |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    line("Effect 3 `getTokenDetails`", e3, "getTokenDetails", true),
    line("Effect 3 sign-in", e3, "signIn", true),
    line("Effect 4 `getTokenDetails`", e4, "getTokenDetails", false),
    line("Effect 4 sign-in", e4, "signIn", false),
    "",
    "¹ The Effect 3 tables give the other client's CPU over ours; shown here inverted, to one decimal.",
    "",
    "| Target | Result | Why not met |",
    "| --- | --- | --- |",
    target(
      "Issue 16: Effect 3 CPU per request within 15% of the bare `@effect/platform` `HttpClient` (its CPU over ours ≥ 0.87×)",
      verdict(e3.cpuVsBare, (n) => n >= within),
      all(e3.cpuVsBare, (n) => n >= within),
      "The per-attempt timeout, which stays on by default, forks two fibers, as every Effect 3 timeout does: about 0.7× of the bare client's own CPU by itself ([below](#where-the-cpu-goes))."
    ),
    target(
      "Issue 18: Effect 4 CPU per request ≤ 0.9× plexjs's",
      verdict(e4.cpuVsPlexjs, (n) => n <= 0.9),
      all(e4.cpuVsPlexjs, (n) => n <= 0.9),
      "Our own work over the bare client (next row): on `getTokenDetails` plexjs costs about as much over it as ours, on the sign-in more (the Effect 4 table below)."
    ),
    target(
      "Issue 18: Effect 4 CPU per request within 15% of the bare `effect/http` `HttpClient`",
      verdict(e4.cpuVsBare, (n) => n <= 1.15),
      all(e4.cpuVsBare, (n) => n <= 1.15),
      "The required per-request features already take the 15%: the bare client with our timeout race alone costs 1.15–1.30× itself, with the lenient decode ~1.57× ([below](#where-the-cpu-goes))."
    ),
    target(
      "Issue 18: Effect 4 requests/s ≥ 1.1× plexjs's",
      verdict(e4.rpsVsPlexjs, (n) => n >= 1.1),
      all(e4.rpsVsPlexjs, (n) => n >= 1.1),
      "As for CPU against plexjs."
    ),
    target(
      "Issue 18: Effect 4 bundle ≤ 55 kB gzipped and ≤ 10 kB over the floor, one operation, esbuild and Rollup",
      `${bundle4 ? "met" : "not met"} (at most ${kB(Math.max(...sizes4))} and ${kB(Math.max(...over4))} over the floor)`,
      bundle4,
      "See the Effect 4 bundle section."
    ),
    target(
      "Effect 3 bundle budget (test/bundle.test.ts): ≤ 93 kB gzipped and ≤ 10 kB over the floor, one operation, esbuild",
      `${bundle3 ? "met" : "not met"} (at most ${kB(Math.max(...ops.map((op) => e3.gzipped[op])))} and ${kB(Math.max(...ops.map((op) => e3.over[op])))} over the floor)`,
      bundle3,
      "See the bundle section."
    )
  ].join("\n")
}

/** The page with its summary rewritten from its tables; unchanged when it has no summary markers. */
export const withSummary = (doc: string): string => {
  const from = doc.indexOf(summaryBegin)
  const to = doc.indexOf(summaryEnd)
  if (from === -1 || to === -1) return doc
  return `${doc.slice(0, from + summaryBegin.length)}\n\n${summary(doc)}\n\n${doc.slice(to)}`
}

/**
 * {@link withSummary}, for the scripts that rewrite the page: when the page's tables cannot be read, the
 * page is kept as it is (the script's own part still written) and `warn` says why.
 */
export const withSummaryOrWarn = (doc: string, warn: (message: string) => void): string => {
  try {
    return withSummary(doc)
  } catch (error) {
    warn(
      `docs/benchmarks.md: summary not rewritten: ${error instanceof Error ? error.message : String(error)}`
    )
    return doc
  }
}
