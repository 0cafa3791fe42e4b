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
import * as Option from "effect/Option"
import * as Terminal from "effect/Terminal"
import * as Core from "../../../../src/core/cli/failure.js"
import * as Render from "../../../../src/core/cli/render.js"
import { command } from "./commands.js"
import * as Platform from "./platform.js"
import { CliFailure, ExitCode, usage } from "./session.js"
import { interruptWhenInputEnds } from "./terminal.js"
import { version } from "./version.js"

/**
 * What `effect/cli` shows: help as it writes it; the version alone (as the
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
        return CliOutput.defaultPresenter.present(event)
    }
  }
})

/** Whether the command line asks for `effect/cli`'s `--wizard` (before any `--`). */
const wizardRequested = (args: ReadonlyArray<string>): boolean => {
  for (const arg of args) {
    if (arg === "--") return false
    if (arg === "--wizard") return true
  }
  return false
}

/**
 * Runs the command line (without the node and script arguments) and
 * succeeds with the exit code, having said on stderr what went wrong. Needs
 * `effect/cli`'s environment: the process's (`Platform.layer`, see
 * {@link main}), or a test's.
 */
export const run = (args: ReadonlyArray<string>): Effect.Effect<number, never, Command.Environment> => {
  const asJson = Core.jsonRequested(args)
  const report = (failure: Core.Failure) => Console.error(Core.failureText(failure, { json: asJson }))
  const withdrawn = Core.withdrawnOption(args)
  const once = Render.onceEachGlobal(args)
  // A wizard cancelled (Ctrl-C, or stdin ending) must not exit 0 as if the command had run: its prompts
  // are interrupted when their input ends (see `interruptWhenInputEnds`), and the interruption is said
  // and exits below.
  const wizard = (effect: Effect.Effect<void, unknown, Command.Environment>) =>
    wizardRequested(args) ? Effect.updateService(effect, Terminal.Terminal, interruptWhenInputEnds) : effect
  // As a command's own prompt ends (terminal.ts `ask`): 2 when stdin ended, else 130 (Ctrl-C, Ctrl-D).
  const cancelled = Effect.flatMap(Platform.Io, (io) => io.stdinEnded).pipe(
    Effect.map((ended) =>
      ended
        ? usage("stdin ended before the prompt was answered.")
        : new CliFailure({ message: "Cancelled.", exitCode: ExitCode.Cancelled })
    ),
    Effect.flatMap((failure) => Effect.as(report(failure), failure.exitCode))
  )
  return (
    withdrawn !== undefined
      ? Effect.fail(usage(withdrawn))
      : "error" in once
        ? Effect.fail(usage(once.error))
        : wizard(Command.runWith(command, { version })(once.args))
  ).pipe(
    Effect.as(ExitCode.Ok as number),
    Effect.catchCause((cause) => {
      const failure = Option.getOrUndefined(Cause.findErrorOption(cause))
      // effect/cli has already shown what was wrong with the command line.
      if (CliError.isCliError(failure)) return Effect.succeed(ExitCode.Usage as number)
      if (failure instanceof CliFailure) return Effect.as(report(failure), failure.exitCode)
      if (Cause.hasInterruptsOnly(cause)) return cancelled
      const defect = Cause.squash(cause)
      return Effect.as(
        report({
          message: `internal error: ${defect instanceof Error ? defect.message : String(defect)}`,
          exitCode: ExitCode.Generic
        }),
        ExitCode.Generic as number
      )
    }),
    // All of effect/cli's built-in options: --help, --version, --wizard, --completions, --log-level.
    Effect.provide(CliConfig.layer(CliConfig.defaults)),
    Effect.provide(CliOutput.layerPresenter(presenter(asJson)))
  )
}

/** {@link run} in this process: arguments, streams and terminal are the process's own. */
export const main = (args: ReadonlyArray<string>): Effect.Effect<number> =>
  Effect.provide(run(args), Platform.layer)
