/**
 * The services `effect/cli` runs on (`Command.Environment`), for Node, from
 * Effect 4's own service definitions: this repository has no Effect 4 Node
 * platform package, and the CLI needs little of them. Arguments come from
 * `process.argv`; the terminal reads keys from stdin (for prompts and
 * `--wizard`) and draws on stderr, so stdout carries results only; no file
 * system or child process is used by any command, so those two fail loudly
 * if ever called.
 */
import * as readline from "node:readline"
import type * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Path from "effect/Path"
import * as PlatformError from "effect/PlatformError"
import * as ChildProcessSpawner from "effect/process/ChildProcessSpawner"
import * as Queue from "effect/Queue"
import * as Sink from "effect/Sink"
import * as Stdio from "effect/Stdio"
import * as Stream from "effect/Stream"
import * as Terminal from "effect/Terminal"
import * as Render from "../../../../src/core/cli/render.js"

const write = (stream: NodeJS.WriteStream) => () =>
  Sink.forEach((chunk: string | Uint8Array) => Effect.sync(() => void stream.write(chunk)))

const stdio = Stdio.make({
  args: Effect.sync(() => process.argv.slice(2)),
  stdinIsTerminal: Effect.sync(() => process.stdin.isTTY === true),
  stdoutIsTerminal: Effect.sync(() => process.stdout.isTTY === true),
  stderrIsTerminal: Effect.sync(() => process.stderr.isTTY === true),
  stdout: write(process.stdout),
  stderr: write(process.stderr),
  stdin: Stream.empty
})

/** Writes to stderr, resuming once the text is handed to the OS. */
export const writeStderr = (text: string) =>
  Effect.callback<void>((resume) => {
    process.stderr.write(text, () => resume(Effect.void))
  })

/**
 * Keys typed on stdin, as `effect/cli`'s prompts read them: on a terminal in
 * raw mode (nothing echoed: a password's characters never show), else from
 * the lines piped in. stdin is decoded into keys once for the whole run and
 * read only while a prompt waits (paused in between, so the process can
 * end); keys that arrive between two prompts (answers piped in one go) are
 * kept for the next one. The input ends with stdin, or with Ctrl-C or Ctrl-D.
 */
const keys = {
  started: false,
  ended: false,
  backlog: [] as Array<Terminal.UserInput>,
  reader: undefined as Queue.Queue<Terminal.UserInput, Cause.Done> | undefined
}

const onKey = (
  text: string | undefined,
  key: { name?: string; ctrl?: boolean; meta?: boolean; shift?: boolean } | undefined
) => {
  const event: Terminal.UserInput = {
    input: Option.fromNullishOr(text),
    key: {
      name: key?.name ?? "",
      ctrl: key?.ctrl === true,
      meta: key?.meta === true,
      shift: key?.shift === true
    }
  }
  if (keys.reader === undefined) keys.backlog.push(event)
  else Queue.offerUnsafe(keys.reader, event)
  if (event.key.ctrl && (event.key.name === "c" || event.key.name === "d")) {
    keys.ended = true
    if (keys.reader !== undefined) Queue.endUnsafe(keys.reader)
  }
}

const onEnd = () => {
  keys.ended = true
  if (keys.reader !== undefined) Queue.endUnsafe(keys.reader)
}

const readInput = Effect.gen(function* () {
  const stdin = process.stdin
  if (!keys.started) {
    keys.started = true
    readline.emitKeypressEvents(stdin)
    stdin.on("keypress", onKey)
    stdin.once("end", onEnd)
    if (stdin.readableEnded) keys.ended = true
  }
  const input = yield* Queue.unbounded<Terminal.UserInput, Cause.Done>()
  Queue.offerAllUnsafe(input, keys.backlog.splice(0))
  if (keys.ended) Queue.endUnsafe(input)
  keys.reader = input
  if (stdin.isTTY) stdin.setRawMode(true)
  stdin.resume()
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      keys.reader = undefined
      // Keys decoded after the prompt's answer (the next answers, piped in one go) are the next prompt's.
      const unread: Array<Terminal.UserInput> = []
      for (
        let next = Queue.takeUnsafe(input);
        next !== undefined && next._tag === "Success";
        next = Queue.takeUnsafe(input)
      )
        unread.push(next.value)
      keys.backlog.unshift(...unread)
      if (stdin.isTTY) stdin.setRawMode(false)
      stdin.pause()
    })
  )
  return input as Queue.Dequeue<Terminal.UserInput, Cause.Done>
})

const drawPrompt = Render.promptDisplay(process.stderr)

const terminal = Terminal.make({
  columns: Effect.sync(() => process.stderr.columns ?? 80),
  rows: Effect.sync(() => process.stderr.rows ?? 24),
  size: Effect.die("plex-auth: terminal size events are not used"),
  readInput,
  readLine: Effect.callback<string, Terminal.QuitError>((resume) => {
    const rl = readline.createInterface({ input: process.stdin, terminal: false })
    rl.once("line", (line) => {
      rl.close()
      resume(Effect.succeed(line))
    })
    rl.once("close", () => resume(Effect.fail(new Terminal.QuitError())))
    return Effect.sync(() => rl.close())
  }),
  // Prompts are drawn with colours and cursor moves: no colour without a terminal or with NO_COLOR; off a
  // terminal, one line a prompt (Render.promptDisplay).
  display: (text) =>
    Effect.try({
      try: () =>
        void process.stderr.write(drawPrompt(text, Render.colourAllowed(process.stderr, process.env))),
      catch: (cause) =>
        PlatformError.systemError({ _tag: "Unknown", module: "Terminal", method: "display", cause })
    })
})

/**
 * How the CLI shows what it is doing while it waits, and whether stdin has
 * ended (a prompt that fails then says so rather than "Cancelled"). A
 * reference, so that the in-process tests replace it.
 */
export interface Io {
  /** Whether stderr is a terminal (a spinner) or not (the label once). */
  readonly stderrIsTerminal: boolean
  /** Whether stdin has ended. */
  readonly stdinEnded: Effect.Effect<boolean>
}

/** The process's {@link Io}. */
export const Io = Context.Reference<Io>("effect4-plex-auth/bin/Io", {
  defaultValue: () => ({
    stderrIsTerminal: process.stderr.isTTY === true,
    stdinEnded: Effect.sync(() => process.stdin.readableEnded)
  })
})

/** `Command.Environment` for the `plex-auth` process. */
export const layer = Layer.mergeAll(
  FileSystem.layerNoop({}),
  Path.layer,
  Layer.succeed(Stdio.Stdio, stdio),
  Layer.succeed(Terminal.Terminal, terminal),
  Layer.succeed(
    ChildProcessSpawner.ChildProcessSpawner,
    ChildProcessSpawner.make(() => Effect.die("plex-auth starts no child process"))
  )
)
