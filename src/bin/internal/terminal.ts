/**
 * The CLI's terminal: prompts are drawn on stderr (stdout carries results
 * only, so `plex-auth token transient | ...` stays clean), a prompt fails
 * instead of waiting forever once stdin has ended, and progress is shown on
 * stderr while the CLI waits.
 *
 * What the CLI reads of its process (whether stdout and stderr are
 * terminals, `NO_COLOR`, whether stdin has ended) and how it writes to
 * stderr go through {@link Io}: the process's own in the binary
 * ({@link nodeIo}), a test's own when the tests run the command line in
 * their process (test/bin/inProcess.ts).
 */
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Terminal from "@effect/platform/Terminal"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Mailbox from "effect/Mailbox"
import * as Stream from "effect/Stream"
import * as Render from "../../core/cli/render.js"
import { colourAllowed } from "./output.js"

/** What the CLI needs to know of an output stream. */
export interface StreamInfo {
  readonly isTTY?: boolean | undefined
  readonly columns?: number | undefined
  readonly rows?: number | undefined
}

/** The CLI's process: its streams, its environment (for `NO_COLOR`), its stdin's end. */
export class Io extends Context.Tag("plex-auth/Io")<
  Io,
  {
    readonly stdout: StreamInfo
    readonly stderr: StreamInfo
    /** The environment colour decisions read (`NO_COLOR`); the commands read theirs through `Config`. */
    readonly env: Readonly<Record<string, string | undefined>>
    /** Writes to stderr, resuming once the text is handed on. */
    readonly writeStderr: (text: string) => Effect.Effect<void>
    /** Whether stdin has ended (a prompt that failed then was not cancelled: it had no input). */
    readonly stdinEnded: Effect.Effect<boolean>
  }
>() {}

/** The process's own streams and environment. */
export const nodeIo: Layer.Layer<Io> = Layer.sync(Io, () =>
  Io.of({
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    writeStderr: (text) =>
      Effect.async<void>((resume) => {
        process.stderr.write(text, () => resume(Effect.void))
      }),
    stdinEnded: Effect.sync(() => process.stdin.readableEnded)
  })
)

const writeStderr = (text: string) => Effect.flatMap(Io, (io) => io.writeStderr(text))

/**
 * `base` drawing on stderr ({@link Io}): its size and whether it is a
 * terminal are stderr's; prompts are drawn with colours and cursor moves,
 * taken out without a terminal or with `NO_COLOR`.
 */
export const onStderr = (base: Terminal.Terminal): Effect.Effect<Terminal.Terminal, never, Io> =>
  Effect.map(Io, (io) => {
    const draw = Render.promptDisplay(io.stderr)
    return Terminal.Terminal.of({
      ...base,
      columns: Effect.sync(() => io.stderr.columns ?? 0),
      rows: Effect.sync(() => io.stderr.rows ?? 0),
      isTTY: Effect.sync(() => Boolean(io.stderr.isTTY)),
      display: (text) => io.writeStderr(draw(text, colourAllowed(io.stderr, io.env)))
    })
  })

/** NodeTerminal, drawing on stderr and ending its input when stdin ends. */
export const layer: Layer.Layer<Terminal.Terminal, never, Io> = Layer.scoped(
  Terminal.Terminal,
  Effect.gen(function* () {
    const base = yield* NodeTerminal.make()
    const readInput = Effect.gen(function* () {
      const inner = yield* base.readInput
      const input = yield* Mailbox.make<Terminal.UserInput>()
      yield* Mailbox.toStream(inner).pipe(
        Stream.runForEach((event) => input.offer(event)),
        Effect.ensuring(input.end),
        Effect.forkScoped
      )
      const onEnd = () => input.unsafeDone(Exit.void)
      if (process.stdin.readableEnded) onEnd()
      process.stdin.once("end", onEnd)
      yield* Effect.addFinalizer(() => Effect.sync(() => process.stdin.off("end", onEnd)))
      return input as Mailbox.ReadonlyMailbox<Terminal.UserInput>
    })
    return yield* onStderr({ ...base, readInput })
  })
)

/**
 * `terminal`, running `onQuit` when a prompt ends without an answer: its
 * input ended (Ctrl-C, Ctrl-D, the end of stdin). A prompt reads its input
 * in a scope of its own, closed with the prompt's outcome: a failure is a
 * quit (`Prompt.run` fails with nothing else). For `--wizard`, whose quit
 * @effect/cli catches (main.ts).
 */
export const onPromptQuit = (terminal: Terminal.Terminal, onQuit: Effect.Effect<void>): Terminal.Terminal =>
  Terminal.Terminal.of({
    ...terminal,
    readInput: Effect.tap(terminal.readInput, () =>
      Effect.addFinalizer((exit) => (Exit.isFailure(exit) ? onQuit : Effect.void))
    )
  })

/** A line of text for the user, on stderr. */
export const say = (text: string) => writeStderr(`${text}\n`)

/**
 * Runs `self` while showing `label` on stderr: on a terminal a spinner with
 * the seconds elapsed, redrawn in place and erased at the end; otherwise (a
 * log, a pipe) the label once, on its own line, and nothing more.
 */
export const withProgress =
  (label: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Io> =>
    Effect.flatMap(Io, (io) => {
      const tty = Boolean(io.stderr.isTTY)
      if (!tty) return Effect.zipRight(io.writeStderr(Render.progressText(label, undefined, 0)), self)
      const started = Date.now()
      let frame = 0
      const tick = Effect.suspend(() =>
        io.writeStderr(Render.progressText(label, frame++, Math.floor((Date.now() - started) / 1000)))
      )
      const show = Effect.zipRight(
        tick,
        Effect.forever(Effect.zipRight(Effect.sleep(Duration.millis(100)), tick))
      )
      const finish = io.writeStderr("\r\x1b[K")
      return Effect.flatMap(Effect.fork(show), (fiber) =>
        Effect.ensuring(self, Effect.zipRight(Fiber.interrupt(fiber), finish))
      )
    })
