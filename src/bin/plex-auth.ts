#!/usr/bin/env node
/**
 * `plex-auth`: sign in to Plex from a terminal, keep the token, and get
 * tokens for servers. See docs/cli.md.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { ExitCode } from "./internal/failure.js"
import { run } from "./internal/main.js"
import * as CliTerminal from "./internal/terminal.js"

/** The process's own terminal (drawn on stderr), streams, file system. */
const environment = Layer.provideMerge(CliTerminal.layer, CliTerminal.nodeIo)

NodeRuntime.runMain(run(process.argv).pipe(Effect.provide(environment), Effect.provide(NodeContext.layer)), {
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
