#!/usr/bin/env node
/**
 * `plex-auth`: sign in to Plex from a terminal, keep the token, and get
 * tokens for servers. See docs/cli.md.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { ExitCode } from "./internal/failure.js"
import { run } from "./internal/main.js"
import * as CliTerminal from "./internal/terminal.js"

/**
 * The process's own terminal (drawn on stderr), streams, file system and paths: what @effect/cli needs
 * (`CliApp.Environment`), and no more. Not `NodeContext.layer`, which adds a command executor and a worker
 * manager that no command uses (and its terminal, which `CliTerminal.layer` replaces): without them the
 * bundle is 19 kB smaller (673 kB against 692) and `plex-auth --version` starts in about 0.03 to 0.06 CPU-s
 * less on Node 20 (0.37 to 0.39 against 0.39 to 0.45 CPU-s, 2 × 20 interleaved runs, loaded machine, 2026-12-06).
 */
const environment = Layer.mergeAll(CliTerminal.layer, NodeFileSystem.layer, NodePath.layer).pipe(
  Layer.provideMerge(CliTerminal.nodeIo)
)

NodeRuntime.runMain(run(process.argv).pipe(Effect.provide(environment)), {
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
