/**
 * The CLI's terminal: prompts are drawn on stderr (stdout carries results
 * only, so `plex-auth token transient | ...` stays clean), a prompt fails
 * instead of waiting forever once stdin has ended, and progress is shown on
 * stderr while the CLI waits.
 */
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Terminal from "@effect/platform/Terminal"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Mailbox from "effect/Mailbox"
import * as Stream from "effect/Stream"
import * as Render from "../../core/cli/render.js"
import { colourAllowed, plain } from "./output.js"

const writeStderr = (text: string) =>
  Effect.async<void>((resume) => {
    process.stderr.write(text, () => resume(Effect.void))
  })

/** NodeTerminal, drawing on stderr and ending its input when stdin ends. */
export const layer: Layer.Layer<Terminal.Terminal> = Layer.scoped(
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
    return Terminal.Terminal.of({
      ...base,
      columns: Effect.sync(() => process.stderr.columns ?? 0),
      rows: Effect.sync(() => process.stderr.rows ?? 0),
      isTTY: Effect.sync(() => Boolean(process.stderr.isTTY)),
      readInput,
      // Prompts are drawn with colours and cursor moves: no colour without a terminal or with NO_COLOR.
      display: (text) => writeStderr(colourAllowed(process.stderr) ? text : plain(text, process.stderr))
    })
  })
)

/** A line of text for the user, on stderr. */
export const say = (text: string) => writeStderr(`${text}\n`)

/**
 * Runs `self` while showing `label` on stderr: on a terminal a spinner with
 * the seconds elapsed, redrawn in place and erased at the end; otherwise (a
 * log, a pipe) the label once, on its own line, and nothing more.
 */
export const withProgress =
  (label: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      const tty = Boolean(process.stderr.isTTY)
      if (!tty) return Effect.zipRight(writeStderr(Render.progressText(label, undefined, 0)), self)
      const started = Date.now()
      let frame = 0
      const tick = Effect.suspend(() =>
        writeStderr(Render.progressText(label, frame++, Math.floor((Date.now() - started) / 1000)))
      )
      const show = Effect.zipRight(
        tick,
        Effect.forever(Effect.zipRight(Effect.sleep(Duration.millis(100)), tick))
      )
      const finish = writeStderr("\r\x1b[K")
      return Effect.flatMap(Effect.fork(show), (fiber) =>
        Effect.ensuring(self, Effect.zipRight(Fiber.interrupt(fiber), finish))
      )
    })
