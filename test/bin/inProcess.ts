/**
 * Runs the `plex-auth` command line inside the test's process: the CLI's
 * own `run` (src/bin/internal/main.ts), with stdout captured from the
 * console, stderr from the CLI's `Io`, a scripted terminal that types
 * answers when a prompt shows, and an environment of the test's own (and no
 * other). No Node starts, so a run costs milliseconds instead of a
 * process's start-up; what needs the real binary (the bundle, stdin,
 * signals, the Node terminal) is tested by spawning it (run.ts,
 * plex-auth.test.ts, cancel.test.ts, docs.test.ts).
 *
 * It runs on the live clock, as the binary does (the `--fake` fake approves
 * a PIN after a second), whatever clock the test has.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as Terminal from "@effect/platform/Terminal"
import * as Clock from "effect/Clock"
import * as ConfigProvider from "effect/ConfigProvider"
import type * as Console from "effect/Console"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import { run } from "../../src/bin/internal/main.js"
import * as Session from "../../src/bin/internal/session.js"
import * as CliTerminal from "../../src/bin/internal/terminal.js"
import type { Answer, Run } from "./run.js"

export interface Options {
  /** The environment variables the CLI sees (and no others). */
  readonly env?: Readonly<Record<string, string>> | undefined
  /**
   * Called with each text written to stderr, as it is written (synchronously, in the writing fiber): a test that
   * interrupts the run there (Ctrl-C while a note is written). As effect4/test/bin/inProcess.ts has it.
   */
  readonly onStderr?: ((text: string) => void) | undefined
  /**
   * The caller's Clock kept (a test's TestClock), not the live one the CLI otherwise runs on: a test of a wait the
   * TestClock drives. Effect 4's in-process CLI keeps the caller's Clock always.
   */
  readonly callerClock?: boolean | undefined
  /** Answers typed (with Enter) once stderr shows `when` after the previous answer. */
  readonly answers?: ReadonlyArray<Answer> | undefined
  /** stdin has ended: a prompt fails at once. */
  readonly closeStdin?: boolean | undefined
  /**
   * With `--fake`: how long after its creation the fake approves a PIN. Default: the CLI's own (a second,
   * `Session.FakeApprovalDelay`), which a test whose subject is not the wait need not spend.
   */
  readonly fakeApprovesAfter?: Duration.DurationInput | undefined
  /**
   * With `--fake` and `PLEX_AUTH_FAKE=expire-pin`: how long the fake's PINs live. Default: the CLI's own (2 seconds,
   * `Session.FakePinLifetime`, which says why not under 1 s); a test whose subject is not the wait need not spend it.
   */
  readonly fakePinsExpireAfter?: Duration.DurationInput | undefined
  /**
   * For a command that runs until stopped (`fake-server`): once its stdout matches `until`, `andThen`
   * runs with that stdout, then the command is interrupted (its scope closes) and the run reports 130, the
   * code Ctrl-C gives; the real signal is tested on the built binary (cancel.test.ts).
   * As effect4/test/bin/inProcess.ts has it.
   */
  readonly whileRunning?:
    | {
        readonly until: RegExp
        readonly andThen: (stdout: string) => Effect.Effect<void>
        /**
         * `until` is looked for on stderr too: logs of `--log-level` (the Effect 3 CLI logs to stderr, the Effect 4
         * CLI's default logger to stdout).
         */
        readonly orStderr?: boolean | undefined
      }
    | undefined
}

/** A key as Node's readline reports it. */
const key = (char: string): Terminal.UserInput => ({
  input: Option.some(char),
  key: {
    name: /^[a-z]$/i.test(char) ? char.toLowerCase() : "",
    ctrl: false,
    meta: false,
    shift: /^[A-Z]$/.test(char)
  }
})

const enter: Terminal.UserInput = {
  input: Option.none(),
  key: { name: "return", ctrl: false, meta: false, shift: false }
}

const ctrlC: Terminal.UserInput = {
  input: Option.some("\x03"),
  key: { name: "c", ctrl: true, meta: false, shift: false }
}

/** Runs `plex-auth ...args` in this process (stdout and stderr not terminals). */
export const cli = (args: ReadonlyArray<string>, options: Options = {}): Effect.Effect<Run> =>
  Effect.gen(function* () {
    const stdout: Array<string> = []
    let stderr = ""
    let seen = 0
    const pending = [...(options.answers ?? [])]
    let input: Mailbox.Mailbox<Terminal.UserInput> | undefined
    // Ctrl-C typed: the input ends as NodeTerminal ends it, and stdin has not ended.
    let quit = false
    // No answer left to type: stdin has nothing more, as when it ends.
    const ended = () => !quit && (options.closeStdin === true || pending.length === 0)
    const typeIfAsked = () => {
      const next = pending[0]
      if (input === undefined || next === undefined || !next.when.test(stderr.slice(seen))) return
      pending.shift()
      seen = stderr.length
      if (next.quit === true) {
        quit = true
        input.unsafeOffer(ctrlC)
        input.unsafeDone(Exit.void)
        return
      }
      for (const char of next.answer) input.unsafeOffer(key(char))
      input.unsafeOffer(enter)
    }
    const io = CliTerminal.Io.of({
      stdout: { isTTY: false },
      stderr: { isTTY: false },
      env: { ...options.env },
      writeStderr: (text) =>
        Effect.sync(() => {
          stderr += text
          typeIfAsked()
          options.onStderr?.(text)
        }),
      stdinEnded: Effect.sync(ended)
    })
    const base: Terminal.Terminal = {
      columns: Effect.succeed(0),
      rows: Effect.succeed(0),
      isTTY: Effect.succeed(false),
      readInput: Effect.acquireRelease(
        Effect.map(Mailbox.make<Terminal.UserInput>(), (mailbox) => {
          input = mailbox
          if (ended()) mailbox.unsafeDone(Exit.void)
          return mailbox as Mailbox.ReadonlyMailbox<Terminal.UserInput>
        }),
        () => Effect.sync(() => (input = undefined))
      ),
      readLine: Effect.die("unused"),
      display: () => Effect.die("unused: onStderr draws")
    }
    const terminal = Layer.effect(Terminal.Terminal, CliTerminal.onStderr(base))
    const environment = Layer.mergeAll(terminal, NodeFileSystem.layer, NodePath.layer).pipe(
      Layer.provideMerge(Layer.succeed(CliTerminal.Io, io))
    )
    const current = yield* Effect.console
    const console: Console.Console = {
      ...current,
      unsafe: Object.assign(Object.create(globalThis.console) as Console.UnsafeConsole, {
        log: (...parts: ReadonlyArray<unknown>) => void stdout.push(`${parts.map(String).join(" ")}\n`),
        info: (...parts: ReadonlyArray<unknown>) => void stdout.push(`${parts.map(String).join(" ")}\n`),
        error: (...parts: ReadonlyArray<unknown>) => void (stderr += `${parts.map(String).join(" ")}\n`)
      })
    }
    const command = run(["node", "plex-auth", ...args]).pipe(
      Effect.provide(environment),
      Effect.withConsole(console),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(options.env ?? {})))),
      (effect) => (options.callerClock === true ? effect : Effect.withClock(effect, Clock.make())),
      (effect) =>
        options.fakeApprovesAfter === undefined
          ? effect
          : Effect.provideService(effect, Session.FakeApprovalDelay, options.fakeApprovesAfter),
      (effect) =>
        options.fakePinsExpireAfter === undefined
          ? effect
          : Effect.provideService(effect, Session.FakePinLifetime, options.fakePinsExpireAfter)
    )
    const whileRunning = options.whileRunning
    const code =
      whileRunning === undefined
        ? yield* command
        : yield* Effect.raceFirst(
            command,
            Effect.gen(function* () {
              // Turns of the event loop (the server answers on real sockets), not time: no clock involved.
              while (
                !whileRunning.until.test(stdout.join("") + (whileRunning.orStderr === true ? stderr : ""))
              ) {
                yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
              }
              yield* whileRunning.andThen(stdout.join(""))
              return 130
            })
          )
    return { code, stdout: stdout.join(""), stderr }
  })

/** `plex-auth --fake --config-dir <dir> ...args`. */
export const fake = (dir: string, args: ReadonlyArray<string>, options?: Options) =>
  cli(["--fake", "--config-dir", dir, ...args], options)
