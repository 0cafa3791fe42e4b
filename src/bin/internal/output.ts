/**
 * What the CLI writes, and how: text for a human (server data neutralised,
 * colour only on a terminal without `NO_COLOR`), or with `--json` one JSON
 * document on stdout, and errors as JSON on stderr. The shapes of the JSON
 * documents are listed in docs/cli.md ("Output for scripts") and checked by
 * test/bin/json.test.ts: fields may be added, never renamed or removed.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as CoreFailure from "../../core/cli/failure.js"
import * as Render from "../../core/cli/render.js"
import { CliFailure, ExitCode } from "./failure.js"

// ---------------------------------------------------------------------------
// Text from servers
// ---------------------------------------------------------------------------

/**
 * A value from plex.tv or a server (a user or server name, a URL, an error
 * message), made safe to print on a terminal: every control character is
 * shown as a visible escape (`\x1b`, `\u202e`) instead of acting (moving the
 * cursor, recolouring, retitling the window, faking a line). Printable text,
 * accents and emoji included, is unchanged.
 */
export const neutralise = CoreFailure.neutralise

// ---------------------------------------------------------------------------
// Colour
// ---------------------------------------------------------------------------

/** Whether text for `stream` may carry colour: a terminal, and `NO_COLOR` unset or empty (https://no-color.org). */
export const colourAllowed = (
  stream: { readonly isTTY?: boolean | undefined },
  env: Readonly<Record<string, string | undefined>> = process.env
): boolean => Render.colourAllowed(stream, env)

/** `text` without colour codes (SGR); without any terminal control sequence when `stream` is not a terminal. */
export const plain = Render.plain

const forStream =
  (stream: { readonly isTTY?: boolean | undefined }, env: Readonly<Record<string, string | undefined>>) =>
  (text: string) =>
    colourAllowed(stream, env) ? text : plain(text, stream)

// ---------------------------------------------------------------------------
// --json
// ---------------------------------------------------------------------------

/**
 * Whether the command line asks for JSON (`--json` anywhere before a `--`).
 * Read from the arguments themselves, so that even a command line
 * @effect/cli rejects gets its error as JSON.
 */
export const jsonRequested = CoreFailure.jsonRequested

/**
 * The help's usage lines as a user types them: @effect/cli writes a
 * subcommand's usage as `$ login [...]`; this makes it `plex-auth login
 * [...]` (`plex-auth token transient [...]` for a nested one), `path` being
 * the command names on the command line.
 */
export const usageLines = (text: string, path: ReadonlyArray<string>): string =>
  text.replace(/^((?:\x1b\[[0-9;]*m)*)\$ ([^\s\x1b]+)/gm, (_, colour: string, name: string) => {
    if (name === "plex-auth") return `${colour}plex-auth`
    const at = path.lastIndexOf(name)
    return `${colour}plex-auth ${at === -1 ? name : path.slice(0, at + 1).join(" ")}`
  })

/**
 * The lines @effect/cli adds under every option, which say nothing the
 * option's own description does not ("A true or false value.", "This
 * setting is optional.").
 */
const filler =
  /^(?:\x1b\[[0-9;]*m)* *(?:A true or false value\.|A user-defined piece of text\.|An integer\.|This option can be set from environment variables\.|This setting is optional\.|This setting is optional\. Defaults to '[^']*'\.)(?:\x1b\[[0-9;]*m)*\n(?:\n)?/gm

/**
 * A repeated option in a usage line: @effect/cli writes `fake-server`'s `--allow-origin`, which may be given
 * zero or more times, as `--allow-origin origin...`, without the brackets of an optional one, as if it
 * were required; it is written `[--allow-origin origin]...` (the Effect 4 help has `[flags]`), two spaces
 * of the padding after it fewer where it stands in the table of commands, so the descriptions stay aligned.
 */
const repeatedUsage = (line: string): string => {
  const at = line.search(/(?<=\s)--allow-origin origin\.\.\.(?=\s|$)/)
  if (at <= 0 || line.slice(0, at).trim() === "") return line // the option's own heading in OPTIONS
  const after = line
    .slice(at + "--allow-origin origin...".length)
    .replace(/ {3,}/, (padding) => padding.slice(2))
  return `${line.slice(0, at)}[--allow-origin origin]...${after}`
}

/** Help as the CLI shows it: usage lines as typed (see {@link usageLines}), no filler lines. */
export const helpText = (text: string, path: ReadonlyArray<string>): string =>
  usageLines(text, path).replace(filler, "").split("\n").map(repeatedUsage).join("\n")

/**
 * An error as `--json` prints it on stderr: one line,
 * `{"error":{"kind":"Unauthorized","exitCode":3,"message":"..."}}`, where
 * `kind` is the name of the exit code in docs/cli.md.
 */
export const jsonError = CoreFailure.jsonError

/** One line of text for a human on stdout. */
export const line = (text: string): Effect.Effect<void> => Console.log(text)

/** One JSON document on stdout. */
export const json = (value: unknown): Effect.Effect<void> => Console.log(JSON.stringify(value, null, 2))

const ansi = "(?:\\x1b\\[[0-9;]*m)*"

/** The command line after "COMMAND:" (as the wizard builds it) and after "Wizard Mode Complete!" (the one it built). */
const wizardLines = new RegExp(
  `^(${ansi}COMMAND:${ansi} ${ansi}|${ansi}[ \\t]+${ansi})plex-auth(?=\\s|\\x1b|$)`,
  "gm"
)

/**
 * What @effect/cli's `--wizard` prints, with the `--log-level` typed
 * (`logLevel`, see `Render.logLevelTyped`) back in the command line it shows
 * (`COMMAND: plex-auth --log-level debug --fake login`, and the command line
 * it built). @effect/cli takes `--log-level` out before the wizard runs
 * (the command it runs keeps the level), so it showed a command line without
 * it; the Effect 4 CLI shows it as typed.
 */
export const wizardText = (text: string, logLevel: ReadonlyArray<string> | undefined): string =>
  logLevel === undefined || !(text.includes("COMMAND:") || text.includes("Wizard Mode Complete!"))
    ? text
    : text.replace(wizardLines, (_, lead: string) => `${lead}plex-auth ${logLevel.join(" ")}`)

/** An unknown option with an inline value, as @effect/cli names it: `Received unknown argument: '--token=...'`. */
const unknownInline = /(Received unknown argument: '-{1,2}[^'=\s]+)=[^']*'/g

/**
 * What @effect/cli says of a command line, without the inline value of an unknown option it names: `whoami
 * --token=s3cret` said `Received unknown argument: '--token=s3cret'`, printing back what may be a secret typed in
 * the wrong place; it is `'--token'`, as the Effect 4 CLI names it (`Unrecognized flag: --token`).
 */
export const withoutInlineValues = (text: string): string => text.replace(unknownInline, "$1'")

/**
 * The console the CLI runs with. @effect/cli prints help with `Console.log`
 * and usage errors with `Console.error`, coloured: the colour goes when the
 * stream is not a terminal or `NO_COLOR` is set (`options.io`: stdout,
 * stderr and the environment of the CLI's process). Under `--json` a usage
 * error becomes a JSON error. `unsafe` (what loggers use) is left as is.
 */
export const makeConsole = (
  current: Console.Console,
  options: {
    readonly json: boolean
    readonly commandPath: ReadonlyArray<string>
    /** The version `--version` prints. */
    readonly version?: string | undefined
    /** The `--log-level` typed, which the wizard's command lines show (see {@link wizardText}). */
    readonly logLevel?: ReadonlyArray<string> | undefined
    readonly io: {
      readonly stdout: { readonly isTTY?: boolean | undefined }
      readonly stderr: { readonly isTTY?: boolean | undefined }
      readonly env: Readonly<Record<string, string | undefined>>
    }
  }
): Console.Console => {
  const base = current.unsafe
  const out = forStream(options.io.stdout, options.io.env)
  const text = (args: ReadonlyArray<unknown>) => args.map(String).join(" ")
  const console: Console.Console = {
    ...current,
    log: (...args) =>
      Effect.sync(() => {
        // The version without the empty line @effect/cli's paragraph adds after it.
        const printed = text(args) === `${options.version}\n` ? options.version! : text(args)
        // Help (it has a USAGE section) gets its usage lines as typed.
        base.log(
          out(
            printed.includes("USAGE")
              ? helpText(printed, options.commandPath)
              : wizardText(printed, options.logLevel)
          )
        )
      }),
    info: (...args) => Effect.sync(() => base.info(out(text(args)))),
    // What @effect/cli says of a command line it cannot parse: one line, `plex-auth: ...` (JSON under
    // --json), as every other error of the CLI and as the Effect 4 CLI says it.
    error: (...args) =>
      Effect.sync(() =>
        base.error(
          CoreFailure.failureText(
            {
              message: withoutInlineValues(plain(text(args), {}))
                .split("\n")
                .map((part) => part.trim())
                .filter((part) => part.length > 0)
                .join(" "),
              exitCode: ExitCode.Usage
            },
            { json: options.json }
          )
        )
      ),
    unsafe: base
  }
  return console
}

/** A failure of a run, for a human (`plex-auth: ...`) or under `--json`. */
export const failureText = (failure: CliFailure, options: { readonly json: boolean }): string =>
  options.json ? jsonError(failure.message, failure.exitCode) : `plex-auth: ${neutralise(failure.message)}`

export { CliFailure }
