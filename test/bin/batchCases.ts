/**
 * What the batch runners of both editions' CLIs share (test/bin/batch.ts,
 * effect4/test/bin/batch.ts): a run's case, the variables scrubbed from the
 * environment, and the capture of what a run writes on stdout and stderr.
 * Plain Node: the Effect 4 runner imports it too.
 */

/** A command line and the environment variables it runs with. */
export interface Case {
  readonly args: ReadonlyArray<string>
  readonly env?: Readonly<Record<string, string>> | undefined
}

/** What a run printed and how it ended. */
export interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** The variables the CLI reads: a run sees only those its case sets. */
export const scrubbed: ReadonlyArray<string> = [
  "PLEX_PASSWORD",
  "PLEX_2FA_CODE",
  "PLEX_SERVER_URL",
  "PLEX_AUTH_FAKE",
  "PLEX_HOME_PIN",
  "PLEX_TOKEN",
  "PLEX_TV_URL",
  "PLEX_AUTH_APP_URL",
  "NO_COLOR"
]

const realStdout = process.stdout.write.bind(process.stdout)

/**
 * Runs `self` (a run of the CLI, resolving with its exit code) with what
 * the process writes on stdout and stderr captured.
 */
export const capture = Object.assign(
  async (self: () => Promise<number>): Promise<Result> => {
    let stdout = ""
    let stderr = ""
    const write =
      (append: (text: string) => void) =>
      (chunk: string | Uint8Array, ...rest: Array<unknown>): boolean => {
        append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"))
        const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined
        if (callback !== undefined) queueMicrotask(callback)
        return true
      }
    const out = process.stdout.write
    const err = process.stderr.write
    process.stdout.write = write((text) => (stdout += text)) as typeof process.stdout.write
    process.stderr.write = write((text) => (stderr += text)) as typeof process.stderr.write
    try {
      const code = await self()
      return { code, stdout, stderr }
    } finally {
      process.stdout.write = out
      process.stderr.write = err
    }
  },
  {
    /** Prints the results, as one JSON array, on the real stdout. */
    print: (results: ReadonlyArray<Result>) => {
      realStdout(`${JSON.stringify(results)}\n`)
    }
  }
)
