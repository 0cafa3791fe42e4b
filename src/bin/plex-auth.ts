#!/usr/bin/env node
/**
 * `plex-auth`: sign in to Plex from a terminal, keep the token, and get
 * tokens for servers. See docs/cli.md.
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import { command, commandNames } from "./internal/commands.js"
import { CliFailure, ExitCode, usage } from "./internal/failure.js"
import * as Output from "./internal/output.js"
import * as CliTerminal from "./internal/terminal.js"
import { version } from "./internal/version.js"

const cli = Command.run(command, {
  name: "plex-auth",
  version,
  // @effect/cli's own options are left out of the help (showBuiltIns below); these two are worth knowing.
  footer: HelpDoc.p(
    "Also: --help (-h) for help on any command, --version. Exit codes and --json output: docs/cli.md."
  )
})

/**
 * How @effect/cli shows help: without its built-in options (--wizard,
 * --completions, --log-level still work, and are listed in docs/cli.md).
 * The filler lines it adds to each option are taken out by
 * `Output.makeConsole`.
 */
const cliConfig = CliConfig.layer({ showBuiltIns: false })

/** Options renamed or withdrawn: a message that says what to use instead. */
const withdrawn = (argv: ReadonlyArray<string>): CliFailure | undefined => {
  for (const arg of argv) {
    if (arg === "--") return undefined
    if (arg === "--code-2fa" || arg.startsWith("--code-2fa=")) {
      return usage(
        "--code-2fa is not accepted (a code on the command line shows in the process list): set PLEX_2FA_CODE, or answer the prompt."
      )
    }
    if (arg === "--code")
      return usage("--code is now --link-code (show a short code to type at plex.tv/link).")
  }
  return undefined
}

/** Runs the command line; succeeds with the exit code, having said on stderr what went wrong. */
const main = (argv: ReadonlyArray<string>): Effect.Effect<number> => {
  const args = argv.slice(2)
  const json = Output.jsonRequested(args)
  const report = (failure: CliFailure) => CliTerminal.say(Output.failureText(failure, { json }))
  const renamed = withdrawn(args)
  const checked = renamed !== undefined ? Effect.fail(renamed) : Effect.void
  return Effect.zipRight(checked, cli(argv)).pipe(
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
    (effect) =>
      Effect.flatMap(Effect.console, (current) =>
        Effect.withConsole(
          effect,
          Output.makeConsole(current, {
            json,
            commandPath: args.filter((arg) => commandNames.includes(arg))
          })
        )
      ),
    Effect.provide(cliConfig),
    Effect.provide(CliTerminal.layer),
    Effect.provide(NodeContext.layer),
    // Logs (none are expected) go to stderr: stdout carries results only.
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)))
  )
}

NodeRuntime.runMain(main(process.argv), {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => {
    const code = Exit.isSuccess(exit)
      ? Number(exit.value)
      : Cause.isInterruptedOnly(exit.cause)
        ? ExitCode.Cancelled
        : ExitCode.Generic
    // Let stdout drain, then exit even if stdin is still open.
    process.stdout.write("", () => {
      onExit(code)
      process.exit(code)
    })
  }
})
