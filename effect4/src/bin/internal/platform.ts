/**
 * The services `effect/cli` runs on (`Command.Environment`), for Node, from
 * Effect 4's own service definitions: this repository has no Effect 4 Node
 * platform package, and the CLI needs little of them. Arguments come from
 * `process.argv`, output goes to the process's streams, the terminal reads
 * lines from stdin; no file system or child process is used by any command,
 * so those two fail loudly if ever called.
 */
import * as readline from "node:readline"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Path from "effect/Path"
import * as PlatformError from "effect/PlatformError"
import * as ChildProcessSpawner from "effect/process/ChildProcessSpawner"
import * as Sink from "effect/Sink"
import * as Stdio from "effect/Stdio"
import * as Stream from "effect/Stream"
import * as Terminal from "effect/Terminal"

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

const terminal = Terminal.make({
  columns: Effect.sync(() => process.stdout.columns ?? 80),
  rows: Effect.sync(() => process.stdout.rows ?? 24),
  size: Effect.die("plex-auth: terminal size events are not used"),
  readInput: Effect.die("plex-auth: key-by-key terminal input is not used"),
  readLine: Effect.callback<string, Terminal.QuitError>((resume) => {
    const rl = readline.createInterface({ input: process.stdin, terminal: false })
    rl.once("line", (line) => {
      rl.close()
      resume(Effect.succeed(line))
    })
    rl.once("close", () => resume(Effect.fail(new Terminal.QuitError())))
    return Effect.sync(() => rl.close())
  }),
  display: (text) =>
    Effect.try({
      try: () => void process.stderr.write(text),
      catch: (cause) =>
        PlatformError.systemError({ _tag: "Unknown", module: "Terminal", method: "display", cause })
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

/**
 * Asks on stderr and reads one line of stdin; with `hidden`, what is typed
 * is not echoed (a password, a two-factor code). Fails with "ended" when
 * stdin ends first, "cancelled" on Ctrl-C.
 */
export const ask = (question: string, options: { readonly hidden?: boolean } = {}) =>
  Effect.callback<string, "ended" | "cancelled">((resume) => {
    const input = process.stdin
    if (options.hidden === true && input.isTTY === true) {
      // Raw mode: the characters typed are read one by one and never echoed.
      process.stderr.write(`${question}: `)
      let answer = ""
      const done = () => {
        input.off("data", onData)
        input.setRawMode(false)
        input.pause()
        process.stderr.write("\n")
      }
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString("utf8")) {
          if (char === "\r" || char === "\n") {
            done()
            return resume(Effect.succeed(answer))
          }
          if (char === "\u0003" || char === "\u0004") {
            done()
            return resume(Effect.fail(char === "\u0003" ? "cancelled" : "ended"))
          }
          answer = char === "\u007f" || char === "\b" ? answer.slice(0, -1) : answer + char
        }
      }
      input.setRawMode(true)
      input.resume()
      input.on("data", onData)
      return Effect.sync(done)
    }
    const rl = readline.createInterface({ input, output: process.stderr, terminal: input.isTTY === true })
    let answered = false
    rl.question(`${question}: `, (answer) => {
      answered = true
      rl.close()
      resume(Effect.succeed(answer))
    })
    rl.once("close", () => {
      if (!answered) resume(Effect.fail("ended" as const))
    })
    return Effect.sync(() => rl.close())
  })
