/**
 * How the CLI talks to its user: results on stdout (`Console.log`), progress
 * and prompts on stderr, prompts that fail instead of waiting forever once
 * stdin has ended, and a spinner on stderr while the CLI waits.
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Prompt from "effect/cli/Prompt"
import * as Queue from "effect/Queue"
import * as Terminal from "effect/Terminal"
import * as Render from "../../../../src/core/cli/render.js"
import * as Platform from "./platform.js"
import { CliFailure, ExitCode, usage } from "./session.js"

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
        Effect.flatMap((ended) =>
          Effect.fail(
            ended
              ? usage(`stdin ended before the prompt was answered: ${missing}.`)
              : new CliFailure({ message: "Cancelled.", exitCode: ExitCode.Cancelled })
          )
        )
      )
    )
  )

/** The keys a queue holds now, taken out of it, and whether it has ended after them. */
const drain = (queue: Queue.Dequeue<Terminal.UserInput, Cause.Done>) => {
  const keys: Array<Terminal.UserInput> = []
  for (let next = Queue.takeUnsafe(queue); next !== undefined; next = Queue.takeUnsafe(queue)) {
    if (next._tag === "Failure") return { keys, ended: true }
    keys.push(next.value)
  }
  return { keys, ended: false }
}

/**
 * `terminal` whose prompts are interrupted, rather than failed, when their
 * input ends (Ctrl-C, Ctrl-D, the end of stdin). For `--wizard`:
 * `effect/cli`'s wizard takes a failed prompt for "quit", says "Wizard
 * cancelled." and succeeds, so a cancelled wizard would exit 0; an
 * interruption goes past it to `run` (cli.ts), which exits as a command's own
 * prompt does then (130, or 2 when stdin ended).
 *
 * Each prompt reads its keys from a queue of its own, filled from the
 * terminal's. Keys it did not read go back to the terminal's queue, which
 * keeps them for the next prompt (answers piped in one go, platform.ts); once
 * that queue has ended, they are kept here for the next prompt, with the end
 * after them.
 */
export const interruptWhenInputEnds = (terminal: Terminal.Terminal): Terminal.Terminal => {
  const left = { keys: [] as Array<Terminal.UserInput>, ended: false }
  return Terminal.make({
    columns: terminal.columns,
    rows: terminal.rows,
    size: terminal.size,
    readLine: terminal.readLine,
    display: terminal.display,
    readInput: Effect.gen(function* () {
      const input = yield* Queue.unbounded<Terminal.UserInput, Cause.Done>()
      const end = () => {
        left.ended = true
        Queue.failCauseUnsafe(input, Cause.interrupt())
      }
      Queue.offerAllUnsafe(input, left.keys.splice(0))
      if (left.ended) {
        // What the previous prompts left unread is all there is: what this one leaves is the next one's.
        end()
        yield* Effect.addFinalizer(() => Effect.sync(() => void left.keys.push(...drain(input).keys)))
      } else {
        const inner = yield* terminal.readInput
        // Moves every key the terminal's queue holds at once (none is ever held in between); false once
        // it has ended.
        const move = Effect.sync(() => {
          for (let next = Queue.takeUnsafe(inner); next !== undefined; next = Queue.takeUnsafe(inner)) {
            if (next._tag === "Failure") {
              end()
              return false
            }
            Queue.offerUnsafe(input, next.value)
          }
          return true
        })
        const forwarding = yield* Effect.forkScoped(
          Effect.gen(function* () {
            // peek waits for a key (or the end) without taking it.
            while (yield* move) yield* Effect.ignore(Queue.peek(inner))
          })
        )
        yield* Effect.addFinalizer(() =>
          Effect.andThen(
            Fiber.interrupt(forwarding),
            Effect.sync(() => {
              const rest = drain(inner)
              const unread = [...drain(input).keys, ...rest.keys]
              // The terminal's queue is a whole Queue (platform.ts, and the tests'), typed as a Dequeue;
              // it refuses keys once it has ended.
              const refused = rest.ended
                ? unread
                : Queue.isEnqueue(inner)
                  ? Queue.offerAllUnsafe(inner, unread)
                  : unread
              left.keys.push(...refused)
              if (rest.ended || refused.length > 0) left.ended = true
            })
          )
        )
      }
      return input as Queue.Dequeue<Terminal.UserInput, Cause.Done>
    })
  })
}

/** Validation of a prompt's answer: not empty. */
export const nonEmpty = (what: string) => (value: string) =>
  value.trim().length > 0 ? Effect.succeed(value) : Effect.fail(`${what} must not be empty`)

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
