/**
 * Issue 16's target for the Effect 3 edition, as `npm run bench` (bench/index.ts) writes it into the
 * "Speed and memory" section of docs/benchmarks.md: CPU per request within 15% of the bare
 * `@effect/platform` `HttpClient`. The Effect 4 edition's targets (issue 18) are written by
 * effect4/bench/index.ts.
 *
 * The ratio is the one the section's CPU table already shows, the bare client's CPU per request over
 * effect-plex-auth's, round by round (above 1: effect-plex-auth costs less), so the target reads as that
 * ratio at least 1 / 1.15 (about 0.87×).
 */

/** The name bench/clients.ts gives the bare `@effect/platform` `HttpClient`. */
export const bareClient = "@effect/platform HttpClient"

/** The least bare-client-CPU-over-ours that keeps effect-plex-auth within 15% of the bare client. */
export const issue16Least = 1 / 1.15

export interface TargetRow {
  /** As the section's tables name it (`getTokenDetails` or sign-in (`postUsersSignInData`)). */
  readonly operation: string
  readonly concurrency: number
  /** Per client: the median, over the rounds, of its CPU per request over effect-plex-auth's. */
  readonly ratios: ReadonlyArray<{ readonly name: string; readonly cpu: { readonly median: number } }>
}

const fmt = (n: number) => n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** The paragraph and table of issue 16's target, row by row (unformatted Markdown, no trailing newline). */
export const issue16Targets = (rows: ReadonlyArray<TargetRow>): string => {
  const check = (row: TargetRow) => {
    const bare = row.ratios.find((r) => r.name === bareClient)
    if (bare === undefined) return "not measured"
    return `${fmt(bare.cpu.median)}× ${bare.cpu.median >= issue16Least ? "(met)" : "(not met)"}`
  }
  return [
    "Issue 16's target, CPU per request within 15% of the bare `@effect/platform` `HttpClient` (medians of the round-by-round ratios of the table above; ours is within 15% when the bare client spends at least 1 / 1.15 ≈ 0.87× of our CPU):",
    "",
    "| Operation | Concurrency | bare `HttpClient`'s CPU over ours ≥ 0.87× |",
    "| --- | ---: | ---: |",
    ...rows.map((row) => `| ${row.operation} | ${row.concurrency} | ${check(row)} |`)
  ].join("\n")
}
