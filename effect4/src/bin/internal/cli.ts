/**
 * Runs the `plex-auth` command line on Effect 4 (`effect/cli`): the
 * commands (commands.ts) with `effect/cli`'s built-in options (`--help`,
 * `--version`, `--wizard`, `--completions`, `--log-level`), failures said
 * once on stderr (as JSON under `--json`), and the exit code.
 */
import * as Cause from "effect/Cause"
import * as CliConfig from "effect/cli/CliConfig"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import * as Command from "effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Terminal from "effect/Terminal"
import * as Core from "../../../../src/core/cli/failure.js"
import { help as Help } from "../../../../src/core/cli/help.js"
import * as Render from "../../../../src/core/cli/render.js"
import { command } from "./commands.js"
import * as Platform from "./platform.js"
import { CliFailure, ExitCode, usage } from "./session.js"
import { onPromptQuit } from "./terminal.js"
import { version } from "./version.js"

/**
 * What `effect/cli` shows: help as it writes it (and the footer both
 * editions end it with); the version alone (as the
 * Effect 3 CLI prints it); a command line it cannot parse as one failure
 * line on stderr (`plex-auth: ...`, or JSON under `--json`), without the
 * help after it.
 */
const presenter = (json: boolean): CliOutput.Presenter => ({
  present: (event) => {
    switch (event._tag) {
      case "Version":
        return Console.log(event.version)
      case "InvalidInvocation":
        return Console.error(
          Core.failureText(
            { message: event.errors.map((error) => error.message).join(" "), exitCode: ExitCode.Usage },
            { json }
          )
        )
      case "Help":
        // Help as effect/cli lays it out, and the line the Effect 3 CLI ends its help with (help.ts).
        return Effect.andThen(CliOutput.defaultPresenter.present(event), Console.log(`\n${Help.footer}`))
    }
  }
})

/**
 * `--wizard`: `effect/cli`'s wizard catches the quit of its prompts (Ctrl-C,
 * or stdin ending), prints "Wizard cancelled." on stdout and succeeds, as if
 * the command had run. A prompt that quit during a run that then succeeds
 * fails it here as a command's own prompt fails (terminal.ts `ask`): 2 when
 * stdin ended, else 130 "Cancelled.", said once on stderr; the wizard's own
 * line, the only thing it prints after the quit, is left out (as the
 * Effect 3 CLI leaves out its "Quitting wizard mode..."), so the user reads
 * one message. (A command's own prompt that quits fails the run itself,
 * saying which answer was missing.)
 */
const failIfQuit = <E, R>(self: Effect.Effect<void, E, R>) =>
  Effect.gen(function* () {
    let quit = false
    const current = yield* Console.Console
    const quiet: Console.Console = Object.assign(Object.create(current), {
      log: (...args: ReadonlyArray<unknown>) => {
        if (!quit) current.log(...args)
      }
    })
    yield* Effect.updateService(self, Terminal.Terminal, (terminal) =>
      onPromptQuit(
        terminal,
        Effect.sync(() => {
          quit = true
        })
      )
    ).pipe(Effect.provideService(Console.Console, quiet))
    if (!quit) return
    const io = yield* Platform.Io
    return yield* Effect.fail(new CliFailure(Core.promptUnanswered(yield* io.stdinEnded)))
  })

/**
 * Runs the command line (without the node and script arguments) and
 * succeeds with the exit code, having said on stderr what went wrong. Needs
 * `effect/cli`'s environment: the process's (`Platform.layer`, see
 * {@link main}), or a test's.
 */
export const run = (typed: ReadonlyArray<string>): Effect.Effect<number, never, Command.Environment> => {
  // A switch followed by a boolean word other than true/false is alone (render.ts switchesAlone): `devices
  // revoke --json 1` revokes device 1.
  const args = Render.switchesAlone(typed)
  const asJson = Core.jsonRequested(args)
  const report = (failure: Core.Failure) => Console.error(Core.failureText(failure, { json: asJson }))
  const cancelled = new CliFailure(Core.cancelled)
  // An option renamed or withdrawn, a value option followed by an option, `--wizard` after options without
  // a command, or options before the command's name that cannot be read: said how to write it, in the words
  // the Effect 3 CLI uses (src/core/cli/render.ts).
  const refused =
    Core.withdrawnOption(args) ??
    Render.optionAsValue(args) ??
    Render.wizardWithoutCommand(args) ??
    Render.usageProblem(args, Render.effect4CompletionShells)
  const once = Render.onceEachGlobal(args)
  return (
    refused !== undefined
      ? Effect.fail(usage(refused))
      : "error" in once
        ? Effect.fail(usage(once.error))
        : Render.wizardRequested(args)
          ? failIfQuit(Command.runWith(command, { version })(Render.switchesAlone(once.args)))
          : Command.runWith(command, { version })(Render.switchesAlone(once.args))
  ).pipe(
    // A prompt that quits leaves its line unfinished: what is said next starts on a line of its own.
    Effect.updateService(Terminal.Terminal, (terminal) =>
      onPromptQuit(terminal, Effect.ignore(terminal.display("\n")))
    ),
    Effect.as(ExitCode.Ok as number),
    Effect.catchCause((cause) => {
      const failure = Option.getOrUndefined(Cause.findErrorOption(cause))
      // effect/cli has already shown what was wrong with the command line.
      if (CliError.isCliError(failure)) return Effect.succeed(ExitCode.Usage as number)
      if (failure instanceof CliFailure) return Effect.as(report(failure), failure.exitCode)
      if (Cause.hasInterruptsOnly(cause)) return Effect.as(report(cancelled), ExitCode.Cancelled as number)
      const defect = Cause.squash(cause)
      return Effect.as(
        report({
          message: `internal error: ${defect instanceof Error ? defect.message : String(defect)}`,
          exitCode: ExitCode.Generic
        }),
        ExitCode.Generic as number
      )
    }),
    // Ctrl-C (SIGINT) or SIGTERM interrupts the run (plex-auth.ts): the documented outcome is said, as text or
    // JSON; the exit code is 130.
    Effect.onInterrupt(() => report(cancelled)),
    // All of effect/cli's built-in options: --help, --version, --wizard, --completions, --log-level.
    Effect.provide(CliConfig.layer(CliConfig.defaults)),
    // Logs (--log-level debug: the store's lock waits) go to stderr, as the Effect 3 CLI's: stdout carries results only.
    Effect.provideService(Logger.LogToStderr, true),
    Effect.provide(CliOutput.layerPresenter(presenter(asJson)))
  )
}

/** {@link run} in this process: arguments, streams and terminal are the process's own. */
export const main = (args: ReadonlyArray<string>): Effect.Effect<number> =>
  Effect.provide(run(args), Platform.layer)
