#!/usr/bin/env node
/**
 * `plex-auth`: sign in to Plex from a terminal, keep the token, and get
 * tokens for servers. See docs/cli.md.
 */
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import { command } from "./internal/commands.js"
import { ExitCode } from "./internal/failure.js"
import * as CliTerminal from "./internal/terminal.js"
import { version } from "./internal/version.js"

const cli = Command.run(command, { name: "plex-auth", version })

/** Runs the command line; succeeds with the exit code, having said on stderr what went wrong. */
const main = (argv: ReadonlyArray<string>): Effect.Effect<number> =>
  cli(argv).pipe(
    Effect.as(ExitCode.Ok as number),
    Effect.catchAll((error) =>
      ValidationError.isValidationError(error)
        ? // @effect/cli has already shown what was wrong with the command line.
          Effect.succeed(ExitCode.Usage)
        : Effect.as(CliTerminal.say(`plex-auth: ${error.message}`), error.exitCode)
    ),
    Effect.catchAllDefect((defect) =>
      Effect.as(
        CliTerminal.say(
          `plex-auth: internal error: ${defect instanceof Error ? defect.message : String(defect)}`
        ),
        ExitCode.Generic
      )
    ),
    Effect.provide(CliTerminal.layer),
    Effect.provide(NodeContext.layer),
    // Logs (none are expected) go to stderr: stdout carries results only.
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)))
  )

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
