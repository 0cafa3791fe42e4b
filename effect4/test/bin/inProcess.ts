/**
 * Runs the Effect 4 edition's `plex-auth` command line inside the test's
 * process: the CLI's own `run` (effect4/src/bin/internal/cli.ts), with its
 * stdout and stderr captured from `Console`, a scripted terminal that types
 * answers when a prompt shows, and an environment of the test's own. No
 * Node starts, so a run costs milliseconds instead of a process's start-up;
 * what needs the real binary (the bundle, stdin, signals) is tested by
 * spawning it in plex-auth.test.ts.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert } from "@effect/vitest"
import type * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Console from "effect/Console"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Path from "effect/Path"
import * as ChildProcessSpawner from "effect/process/ChildProcessSpawner"
import * as Queue from "effect/Queue"
import * as Stdio from "effect/Stdio"
import * as Terminal from "effect/Terminal"
import { run } from "../../src/bin/internal/cli.js"
import * as Platform from "../../src/bin/internal/platform.js"
import * as Session from "../../src/bin/internal/session.js"

/** An answer typed (with Enter) once the terminal shows `when` after the previous answer. */
export interface Answer {
  readonly when: RegExp
  readonly answer: string
  /** Keys pressed by name (`"down"`, `"0"`, ...) after the answer's text, before Enter. */
  readonly keys?: ReadonlyArray<string> | undefined
  /** Instead of the answer, Ctrl-C: the prompt's input ends, as the CLI's terminal ends it (stdin does not). */
  readonly quit?: boolean | undefined
}

export interface Options {
  /**
   * Called with each line written to stderr, as it is written (synchronously, in the writing fiber): a test that
   * interrupts the run there (Ctrl-C while a note is written). As test/bin/inProcess.ts has it.
   */
  readonly onStderr?: ((text: string) => void) | undefined
  /** The environment variables the CLI sees (and no others). */
  readonly env?: Readonly<Record<string, string>> | undefined
  readonly answers?: ReadonlyArray<Answer> | undefined
  /** stdin has ended: a prompt fails at once. */
  readonly closeStdin?: boolean | undefined
  /**
   * With `--fake`: how long after its creation the fake approves a PIN. Default: the CLI's own (a second,
   * `Session.FakeApprovalDelay`), which a test whose subject is not the wait need not spend.
   */
  readonly fakeApprovesAfter?: Duration.Duration | undefined
  /**
   * With `--fake` and `PLEX_AUTH_FAKE=expire-pin`: how long the fake's PINs live. Default: the CLI's own (2 seconds,
   * `Session.FakePinLifetime`, which says why not under 1 s); a test whose subject is not the wait need not spend it.
   */
  readonly fakePinsExpireAfter?: Duration.Duration | undefined
  /**
   * For a command that runs until stopped (`fake-server`): once its stdout matches `until`, `andThen`
   * runs with that stdout, then the command is interrupted (its scope closes) and the run reports 130, the
   * code Ctrl-C gives; the real signal is tested on the built binary (plex-auth.test.ts).
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

/** What a run printed and how it ended. */
export interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  /** What the prompts drew on the terminal (stderr in the real CLI). */
  readonly terminal: string
}

const ansi = /\x1b\[[0-9;?]*[ -/]*[@-~]/g

const key = (name: string, input?: string): Terminal.UserInput => ({
  input: Option.fromNullishOr(input),
  key: { name, ctrl: false, meta: false, shift: false }
})

/** Runs `plex-auth ...args` in this process. */
export const cli = (args: ReadonlyArray<string>, options: Options = {}): Effect.Effect<Ran> =>
  Effect.gen(function* () {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    let drawn = ""
    let seen = 0
    const pending = [...(options.answers ?? [])]
    let input: Queue.Queue<Terminal.UserInput, Cause.Done> | undefined
    // Ctrl-C typed: the input ends, and stdin has not ended.
    let quit = false
    // No answer left to type: stdin has nothing more, as when it ends.
    const ended = () => !quit && (options.closeStdin === true || pending.length === 0)
    const typeIfAsked = () => {
      const next = pending[0]
      if (input === undefined || next === undefined) return
      if (!next.when.test(drawn.slice(seen).replace(ansi, ""))) return
      pending.shift()
      seen = drawn.length
      if (next.quit === true) {
        quit = true
        Queue.offerUnsafe(input, {
          ...key("c", "\x03"),
          key: { name: "c", ctrl: true, meta: false, shift: false }
        })
        Queue.endUnsafe(input)
        return
      }
      for (const char of next.answer) Queue.offerUnsafe(input, key("", char))
      for (const name of next.keys ?? []) Queue.offerUnsafe(input, key(name))
      Queue.offerUnsafe(input, key("return"))
    }
    const terminal = Terminal.make({
      columns: Effect.succeed(80),
      rows: Effect.succeed(24),
      size: Effect.die("unused"),
      readInput: Effect.gen(function* () {
        const queue = yield* Queue.unbounded<Terminal.UserInput, Cause.Done>()
        input = queue
        if (ended()) Queue.endUnsafe(queue)
        return queue as Queue.Dequeue<Terminal.UserInput, Cause.Done>
      }),
      readLine: Effect.die("unused"),
      display: (text) =>
        Effect.sync(() => {
          drawn += text
          typeIfAsked()
        })
    })
    const console: Console.Console = Object.assign(Object.create(globalThis.console) as Console.Console, {
      log: (...parts: ReadonlyArray<unknown>) => void stdout.push(`${parts.map(String).join(" ")}\n`),
      error: (...parts: ReadonlyArray<unknown>) => {
        const text = `${parts.map(String).join(" ")}\n`
        stderr.push(text)
        options.onStderr?.(text)
      }
    })
    const environment = Layer.mergeAll(
      FileSystem.layerNoop({}),
      Path.layer,
      Stdio.layerTest({}),
      Layer.succeed(Terminal.Terminal, terminal),
      Layer.succeed(
        ChildProcessSpawner.ChildProcessSpawner,
        ChildProcessSpawner.make(() => Effect.die("unused"))
      )
    )
    const command = run(args).pipe(
      Effect.provide(environment),
      Effect.provideService(Console.Console, console),
      Effect.provideService(
        ConfigProvider.ConfigProvider,
        ConfigProvider.fromEnv({ env: { ...options.env } })
      ),
      Effect.provideService(Platform.Io, {
        stderrIsTerminal: false,
        stdinEnded: Effect.sync(ended)
      }),
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
                !whileRunning.until.test(
                  stdout.join("") + (whileRunning.orStderr === true ? stderr.join("") : "")
                )
              ) {
                yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
              }
              yield* whileRunning.andThen(stdout.join(""))
              return 130
            })
          )
    return { code, stdout: stdout.join(""), stderr: stderr.join(""), terminal: drawn.replace(ansi, "") }
  })

/** `plex-auth --fake --config-dir <dir> ...args`. */
export const fake = (dir: string, args: ReadonlyArray<string>, options?: Options) =>
  cli(["--fake", "--config-dir", dir, ...args], options)

/** Asserts a run's exit code, showing what it printed when it differs. */
export const assertExit = (ran: Ran, code: number) =>
  assert.strictEqual(ran.code, code, `exit ${ran.code}\nstdout: ${ran.stdout}\nstderr: ${ran.stderr}`)

/** Asserts that no secret appears in what a run printed or drew. */
export const noSecretIn = (ran: Ran, ...secrets: ReadonlyArray<string>) => {
  for (const secret of secrets) {
    assert.notInclude(ran.stdout, secret)
    assert.notInclude(ran.stderr, secret)
    assert.notInclude(ran.terminal, secret)
  }
}

/** A fresh configuration directory, removed when the scope closes. */
export const configDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "plex-auth4-cli-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

/** The store's entries, or undefined when the file does not exist. */
export const readStore = (dir: string) =>
  Effect.promise(() =>
    fs
      .readFile(path.join(dir, "store.json"), "utf8")
      .then((text) => JSON.parse(text) as Record<string, string>)
      .catch(() => undefined)
  )

export const fakeTokenKey = "effect-plex-auth/fake/token"

/** Logs in with a password (the fake's account), so the commands have a saved token. */
export const login = (dir: string) =>
  Effect.map(
    fake(dir, ["login", "--password", "--login", "alice"], {
      env: { PLEX_PASSWORD: "alice-secret-password" }
    }),
    (ran) => {
      assertExit(ran, 0)
      return ran
    }
  )
