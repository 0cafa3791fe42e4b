/**
 * Runs the `plex-auth` command line: the commands (commands.ts) with
 * @effect/cli's built-in options, failures said once on stderr (as JSON
 * under `--json`), and the exit code. Needs the terminal, the file system
 * and the process's streams ({@link CliTerminal.Io}): the process's own in
 * the binary (src/bin/plex-auth.ts), a test's own in
 * test/bin/inProcess.ts.
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Terminal from "@effect/platform/Terminal"
import type * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as CoreFailure from "../../core/cli/failure.js"
import { help as Help } from "../../core/cli/help.js"
import * as Render from "../../core/cli/render.js"
import { command, commandNames } from "./commands.js"
import { CliFailure, ExitCode, usage } from "./failure.js"
import * as Output from "./output.js"
import * as CliTerminal from "./terminal.js"
import { version } from "./version.js"

const cli = Command.run(command, {
  name: "plex-auth",
  version,
  // @effect/cli's own options are left out of the help (showBuiltIns below); these two are worth knowing.
  footer: HelpDoc.p(`Also: --help (-h) for help on any command, --version (-v). ${Help.footer}`)
})

/**
 * How @effect/cli shows help: without its built-in options (--wizard,
 * --completions, --log-level still work, and are listed in docs/cli.md).
 * The filler lines it adds to each option are taken out by
 * `Output.makeConsole`.
 */
const cliConfig = CliConfig.layer({ showBuiltIns: false })

/**
 * `--log-level warn` as `--log-level warning`: @effect/cli knows the level
 * by its name only (`warning`), effect/cli (the Effect 4 CLI) by both.
 */
const warnAsWarning = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const end = args.indexOf("--")
  return args.map((arg, i) =>
    (end === -1 || i < end) && arg === "warn" && args[i - 1] === "--log-level"
      ? "warning"
      : arg === "--log-level=warn" && (end === -1 || i < end)
        ? "--log-level=warning"
        : arg
  )
}

/**
 * `-v` as `--version`, before any `--`: effect/cli (the Effect 4 CLI) knows
 * both, @effect/cli only the long one.
 */
const shortVersion = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const end = args.indexOf("--")
  return args.map((arg, i) => (arg === "-v" && (end === -1 || i < end) ? "--version" : arg))
}

/**
 * `--allow-origin=<origin>` as `--allow-origin <origin>`, before any `--`: @effect/cli takes a repeated option's
 * value only as the next word ("Received unknown argument" otherwise), effect/cli (the Effect 4 CLI) both forms.
 */
const repeatedInline = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const end = args.indexOf("--")
  return args.flatMap((arg, i) =>
    arg.startsWith("--allow-origin=") && (end === -1 || i < end)
      ? ["--allow-origin", arg.slice("--allow-origin=".length)]
      : [arg]
  )
}

/**
 * An unknown option after the name of `home`, `devices` or `token` (render.ts unknownOptionOfParent), in the
 * words @effect/cli uses for one after any other command's name, or undefined.
 */
const unknownOptionOfParent = (args: ReadonlyArray<string>): string | undefined => {
  const word = Render.unknownOptionOfParent(args)
  return word === undefined ? undefined : `Received unknown argument: '${word}'`
}

/**
 * `--wizard`: @effect/cli's wizard catches the quit of its prompts (Ctrl-C,
 * or stdin ending), prints "Quitting wizard mode..." on stdout and succeeds,
 * as if the command had run. A prompt that quit during a run that then
 * succeeds fails it here as a command's own prompt fails (commands.ts
 * `ask`): 2 when stdin ended, else 130 "Cancelled.", said once on stderr;
 * the wizard's own line, the only thing it prints after the quit, is left
 * out (as the Effect 4 CLI leaves out its "Wizard cancelled."), so the
 * user reads one message. (A command's own prompt that quits fails the run
 * itself, saying which answer was missing.)
 */
const failIfQuit = <E, R>(
  self: Effect.Effect<void, E, R>
): Effect.Effect<void, E | CliFailure, R | Terminal.Terminal | CliTerminal.Io> =>
  Effect.gen(function* () {
    let quit = false
    const current = yield* Effect.console
    const quiet: Console.Console = {
      ...current,
      log: (...args) => (quit ? Effect.void : current.log(...args))
    }
    yield* Effect.updateService(self, Terminal.Terminal, (terminal) =>
      CliTerminal.onPromptQuit(
        terminal,
        Effect.sync(() => {
          quit = true
        })
      )
    ).pipe(Effect.withConsole(quiet))
    if (!quit) return
    const io = yield* CliTerminal.Io
    return yield* Effect.fail(new CliFailure(CoreFailure.promptUnanswered(yield* io.stdinEnded)))
  })

/**
 * Runs the command line (`argv` as `process.argv`: the node and script
 * arguments first); succeeds with the exit code, having said on stderr what
 * went wrong.
 */
export const run = (
  argv: ReadonlyArray<string>
): Effect.Effect<number, never, CliApp.CliApp.Environment | CliTerminal.Io> => {
  // Each global option (and --log-level) once, as the Effect 4 CLI hands them to its parser (render.ts
  // onceEachGlobal); the built-in options among the global options moved first, where @effect/cli takes
  // them (render.ts builtInsFirst); those between a command's name and its subcommand's moved after the
  // subcommand's, which @effect/cli gives them to, and so are --help and -h (globalsAfterSubcommand); the
  // built-in ones after the command's name moved next to it (builtInsAfterName).
  // A switch followed by a boolean word other than true/false is alone (render.ts switchesAlone): `devices
  // revoke --json 1` revokes device 1.
  const typed = Render.switchesAlone(argv.slice(2))
  const once = Render.onceEachGlobal(typed)
  // And again once the options are moved and each global option is once: `devices --json revoke 1`,
  // `--json --json 1`.
  const args = Render.switchesAlone(
    Render.builtInsAfterName(
      Render.globalsAfterSubcommand(
        Render.builtInsFirst(shortVersion(warnAsWarning(repeatedInline("args" in once ? once.args : typed))))
      )
    )
  )
  const parsed = [...argv.slice(0, 2), ...args]
  const json = Output.jsonRequested(args)
  const report = (failure: CliFailure) => CliTerminal.say(Output.failureText(failure, { json }))
  // An option renamed or withdrawn: what to use instead, in the Effect 4 CLI's words (core/cli/failure.ts).
  const withdrawn = CoreFailure.withdrawnOption(args)
  const renamed = withdrawn === undefined ? undefined : usage(withdrawn)
  // A value option followed by an option, `--wizard` after options without a command, or options before the
  // command's name that cannot be read: said how to write it, in the words the Effect 4 CLI uses (render.ts).
  const problem =
    Render.optionAsValue(typed) ??
    Render.wizardWithoutCommand(typed) ??
    Render.usageProblem(args) ??
    unknownOptionOfParent(args) ??
    (Render.tokenWithoutSubcommand(args) ? Render.missingSubcommandMessage("token") : undefined)
  const checked =
    renamed !== undefined
      ? Effect.fail(renamed)
      : problem !== undefined
        ? Effect.fail(usage(problem))
        : "error" in once
          ? Effect.fail(usage(once.error))
          : Effect.void
  return Effect.zipRight(checked, Render.wizardRequested(args) ? failIfQuit(cli(parsed)) : cli(parsed)).pipe(
    // A prompt that quits leaves its line unfinished: what is said next starts on a line of its own.
    Effect.updateService(Terminal.Terminal, (terminal) =>
      CliTerminal.onPromptQuit(terminal, Effect.ignore(terminal.display("\n")))
    ),
    Effect.as(ExitCode.Ok as number),
    Effect.catchAll((error) =>
      ValidationError.isValidationError(error)
        ? // @effect/cli has already shown what was wrong with the command line.
          Effect.succeed(ExitCode.Usage)
        : Effect.as(report(error), error.exitCode)
    ),
    Effect.catchAllDefect((defect) =>
      Effect.as(
        report(
          new CliFailure({
            message: `internal error: ${defect instanceof Error ? defect.message : String(defect)}`,
            exitCode: ExitCode.Generic
          })
        ),
        ExitCode.Generic
      )
    ),
    // Ctrl-C (SIGINT) or SIGTERM interrupts the run: the documented outcome is said, as text or JSON (the exit
    // code, 130, is the runtime's teardown's).
    Effect.onInterrupt(() => report(new CliFailure(CoreFailure.cancelled))),
    (effect) =>
      Effect.flatMap(Effect.all([Effect.console, CliTerminal.Io]), ([current, io]) =>
        Effect.withConsole(
          effect,
          Output.makeConsole(current, {
            json,
            commandPath: args.filter((arg) => commandNames.includes(arg)),
            logLevel: Render.logLevelTyped(args),
            version,
            io
          })
        )
      ),
    Effect.provide(cliConfig),
    // Logs (none are expected) go to stderr: stdout carries results only.
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)))
  )
}
