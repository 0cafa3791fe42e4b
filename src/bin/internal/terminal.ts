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
      display: writeStderr
    })
  })
)

/** A line of text for the user, on stderr. */
export const say = (text: string) => writeStderr(`${text}\n`)

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

/**
 * Runs `self` while showing `label` on stderr with the seconds elapsed: a
 * spinner redrawn in place on a terminal, else the label once and a dot a
 * second (so a log shows the wait too). The line is finished either way.
 */
export const withProgress =
  (label: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      const tty = Boolean(process.stderr.isTTY)
      const started = Date.now()
      const seconds = () => Math.floor((Date.now() - started) / 1000)
      let frame = 0
      const tick = tty
        ? Effect.suspend(() =>
            writeStderr(`\r\x1b[K${frames[frame++ % frames.length]} ${label} ${seconds()}s`)
          )
        : writeStderr(".")
      const show = Effect.zipRight(
        tty ? tick : writeStderr(`${label} `),
        Effect.forever(Effect.zipRight(Effect.sleep(tty ? Duration.millis(100) : Duration.seconds(1)), tick))
      )
      const finish = Effect.suspend(() => writeStderr(tty ? "\r\x1b[K" : ` ${seconds()}s\n`))
      return Effect.flatMap(Effect.fork(show), (fiber) =>
        Effect.ensuring(self, Effect.zipRight(Fiber.interrupt(fiber), finish))
      )
    })
