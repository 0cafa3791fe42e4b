/**
 * How the CLI talks to its user: results on stdout (`Console.log`), progress
 * and prompts on stderr, prompts that fail instead of waiting forever once
 * stdin has ended, and a spinner on stderr while the CLI waits.
 */
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Prompt from "effect/cli/Prompt"
import * as Terminal from "effect/Terminal"
import * as Core from "../../../../src/core/cli/failure.js"
import * as Render from "../../../../src/core/cli/render.js"
import * as Platform from "./platform.js"
import { CliFailure } from "./session.js"

/** A line of text for the user, on stderr: progress and prompts, never results. */
export const say = (text: string) => Console.error(text)

/** A line of the result, on stdout. */
export const line = (text: string) => Console.log(text)

/** The result as one JSON document on stdout. */
export const json = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

/** A prompt; a closed stdin or Ctrl-C becomes a failure that says so. */
export const ask = <A>(prompt: Prompt.Prompt<A>, missing: string) =>
  Prompt.run(prompt).pipe(
    Effect.catch(() =>
      Effect.flatMap(Platform.Io, (io) => io.stdinEnded).pipe(
        Effect.flatMap((ended) => Effect.fail(new CliFailure(Core.promptUnanswered(ended, missing))))
      )
    )
  )

/**
 * `terminal`, running `onQuit` when a prompt ends without an answer: its
 * input ended (Ctrl-C, Ctrl-D, the end of stdin). A prompt reads its input
 * in a scope of its own, closed with the prompt's outcome: a failure is a
 * quit (`Prompt.run` fails with nothing else). For `--wizard`, whose quit
 * `effect/cli` catches (cli.ts).
 */
export const onPromptQuit = (terminal: Terminal.Terminal, onQuit: Effect.Effect<void>): Terminal.Terminal =>
  Terminal.make({
    columns: terminal.columns,
    rows: terminal.rows,
    size: terminal.size,
    readLine: terminal.readLine,
    display: terminal.display,
    readInput: Effect.tap(terminal.readInput, () =>
      Effect.addFinalizer((exit) => (Exit.isFailure(exit) ? onQuit : Effect.void))
    )
  })

/** Validation of a prompt's answer: not empty. */
export const nonEmpty = (what: string) => (value: string) =>
  value.trim().length > 0 ? Effect.succeed(value) : Effect.fail(Render.emptyAnswerMessage(what))

/**
 * Runs `self` while showing `label` on stderr: on a terminal a spinner with
 * the seconds elapsed, redrawn in place and erased at the end; otherwise (a
 * log, a pipe) the label once, on its own line, and nothing more.
 */
export const withProgress =
  (label: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Platform.Io, (io) => {
      if (!io.stderrIsTerminal) return Effect.andThen(Console.error(`${label}...`), self)
      const started = Date.now()
      let frame = 0
      const tick = Effect.suspend(() =>
        Platform.writeStderr(Render.progressText(label, frame++, Math.floor((Date.now() - started) / 1000)))
      )
      const show = Effect.andThen(
        tick,
        Effect.forever(Effect.andThen(Effect.sleep(Duration.millis(100)), tick))
      )
      return Effect.flatMap(Effect.forkChild(show), (fiber) =>
        Effect.ensuring(self, Effect.andThen(Fiber.interrupt(fiber), Platform.writeStderr("\r\x1b[K")))
      )
    })
