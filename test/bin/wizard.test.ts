/**
 * `--wizard` (@effect/cli's) cancelled, in process (inProcess.ts) against
 * the embedded fake (`--fake`): Ctrl-C at one of its prompts, or stdin
 * ending before it is answered, ends the run as a command's own prompt ends
 * it (130 "Cancelled.", or 2), never with the 0 of a command that ran.
 * test/bin/plex-auth.test.ts sends Ctrl-C to the built binary's wizard.
 */
import { assert, describe } from "@effect/vitest"
import { it } from "../support/it.js"
import { Effect } from "effect"
import { cli, fake } from "./inProcess.js"
import { assertExit, configDir, fakeTokenKey, readStore, type Run } from "./run.js"

/**
 * The run says once that it was cancelled: the CLI's `plex-auth: Cancelled.`
 * on stderr, and neither wizard's own line (@effect/cli's "Quitting wizard
 * mode...", effect/cli's "Wizard cancelled."). The same check as the Effect
 * 4 CLI's (effect4/test/bin/wizard.test.ts).
 */
const assertOneCancelMessage = (run: Run) => {
  const output = `${run.stdout}\n${run.stderr}`
  assert.notMatch(output, /Quitting wizard mode|Wizard cancelled/i, output)
  assert.deepStrictEqual(
    run.stderr.split("\n").filter((line) => /cancel/i.test(line)),
    ["plex-auth: Cancelled."],
    run.stderr
  )
}

describe.concurrent("plex-auth --wizard, cancelled", { timeout: 60_000 }, () => {
  it.scoped("Ctrl-C at a wizard's prompt: exit 130, Cancelled. said once, nothing run or saved", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const run = yield* fake(dir, ["login", "--wizard"], {
        answers: [{ when: /--password/, answer: "", quit: true }]
      })
      assertExit(run, 130)
      assert.include(run.stdout, "Options Wizard - login")
      assert.strictEqual(run.stderr.split("plex-auth: Cancelled.").length, 2, run.stderr)
      // One message says so: @effect/cli's own "Quitting wizard mode..." is left out.
      assertOneCancelMessage(run)
      assert.notInclude(run.stdout, "Logged in")
      assert.isUndefined((yield* readStore(dir))?.entries[fakeTokenKey])
    })
  )

  it.live("Ctrl-C at the root wizard's first prompt: exit 130", () =>
    Effect.gen(function* () {
      const run = yield* cli(["--wizard"], { answers: [{ when: /\?/, answer: "", quit: true }] })
      assertExit(run, 130)
      assert.include(run.stderr, "plex-auth: Cancelled.")
      assertOneCancelMessage(run)
    })
  )

  it.scoped("stdin ending before the wizard is answered: exit 2, said so, nothing run or saved", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const run = yield* fake(dir, ["login", "--wizard"], { closeStdin: true })
      assertExit(run, 2)
      // On a line of its own, not after the prompt the wizard left unanswered.
      assert.include(run.stderr.split("\n"), "plex-auth: stdin ended before the prompt was answered.")
      assert.notMatch(`${run.stdout}\n${run.stderr}`, /Quitting wizard mode|cancelled/i)
      assert.notInclude(run.stdout, "Logged in")
      assert.isUndefined((yield* readStore(dir))?.entries[fakeTokenKey])
    })
  )
})

describe.concurrent("plex-auth --wizard after options, without a command", { timeout: 60_000 }, () => {
  /** The options as the usage error shows them: placeholders for the values of --config-dir and --plex-tv. */
  const shown = (form: ReadonlyArray<string>) =>
    form
      .join(" ")
      .replace(/--config-dir[= ]\S+/, "--config-dir <dir>")
      .replace(/--plex-tv[= ]\S+/, "--plex-tv <url>")

  const hint = (options: string) =>
    `plex-auth: --wizard with options needs a command: \`plex-auth ${options} <command> --wizard\` (for example login), or \`plex-auth --wizard\` alone to choose the command and set the options in the wizard.`

  it.scoped(
    "--fake --config-dir d --wizard: exit 2, says how to write it (not Invalid subcommand), nothing asked",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        // No answers: a prompt would fail with stdin ended (a different message).
        const run = yield* fake(dir, ["--wizard"])
        assertExit(run, 2)
        assert.strictEqual(run.stderr, `${hint("--fake --config-dir <dir>")}\n`)
        assert.strictEqual(run.stdout, "")
      })
  )

  it.live("--wizard before the options, and under --json: the same usage error", () =>
    Effect.gen(function* () {
      const before = yield* cli(["--wizard", "--fake", "--plex-tv=http://127.0.0.1:1"])
      assertExit(before, 2)
      assert.strictEqual(before.stderr, `${hint("--fake --plex-tv <url>")}\n`)
      const json = yield* cli(["--json", "--wizard"])
      assertExit(json, 2)
      assert.deepStrictEqual(JSON.parse(json.stderr), {
        error: { kind: "Usage", exitCode: 2, message: hint("--json").slice("plex-auth: ".length) }
      })
    })
  )

  it.live(
    "every global option, in each of its forms, and --log-level, before or after --wizard: the same usage error",
    () =>
      Effect.gen(function* () {
        const forms: ReadonlyArray<ReadonlyArray<string>> = [
          ["--fake"],
          ["--fake=true"],
          ["--fake", "false"],
          ["--config-dir", "d"],
          ["--config-dir=d"],
          ["--plex-tv", "http://127.0.0.1:1"],
          ["--plex-tv=http://127.0.0.1:1"],
          ["--log-level", "debug"],
          ["--log-level=debug"],
          ["--fake", "--log-level", "debug", "--config-dir", "d"]
        ]
        for (const form of forms) {
          for (const args of [
            [...form, "--wizard"],
            ["--wizard", ...form]
          ]) {
            // No answers: a prompt would fail with stdin ended (a different message).
            const run = yield* cli(args)
            assert.strictEqual(run.code, 2, args.join(" "))
            assert.strictEqual(run.stderr, `${hint(shown(form))}\n`, args.join(" "))
            assert.strictEqual(run.stdout, "", args.join(" "))
          }
        }
      })
  )

  it.live(
    "--help, -h, --version among the options, with or without --wizard: answered first, as by effect/cli",
    () =>
      Effect.gen(function* () {
        for (const args of [
          ["--fake", "--help"],
          ["--config-dir", "d", "-h", "--wizard"],
          ["--fake", "--log-level", "debug", "--help", "--wizard"]
        ]) {
          // @effect/cli said "Invalid subcommand" to built-in options after the global ones.
          const run = yield* cli(args)
          assert.strictEqual(run.code, 0, args.join(" "))
          assert.include(run.stdout, "USAGE", args.join(" "))
          assert.strictEqual(run.stderr, "", args.join(" "))
        }
        const version = yield* cli(["--fake", "--json", "--version"])
        assertExit(version, 0)
        assert.match(version.stdout, /^\d+\.\d+\.\d+/)
      })
  )

  it.scoped(
    "the command line the usage error gives works: --log-level among the options, then the command",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        // @effect/cli takes --log-level first only; the CLI moves it there (it said "Invalid subcommand").
        const wizard = yield* cli(
          ["--fake", "--log-level", "debug", "--config-dir", dir, "login", "--wizard"],
          {
            closeStdin: true
          }
        )
        assertExit(wizard, 2)
        // --log-level shown in the command line the wizard builds (@effect/cli took it out: it was not).
        assert.include(wizard.stdout, `COMMAND: plex-auth --log-level debug --fake --config-dir ${dir} login`)
        assert.include(wizard.stdout, "Options Wizard - login")
        const whoami = yield* fake(dir, ["--log-level=debug", "whoami"])
        assertExit(whoami, 3)
        assert.include(whoami.stderr, "Not logged in")
      })
  )

  it.scoped(
    "with the command's name before --wizard, the options typed are kept: the command's wizard runs",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        const run = yield* fake(dir, ["login", "--wizard"], { closeStdin: true })
        assertExit(run, 2)
        assert.include(run.stdout, `COMMAND: plex-auth --fake --config-dir ${dir} login`)
      })
  )

  it.scoped(
    "--log-level (either form, before or after the command's name) stays in the command lines the wizard shows, and the command runs",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        // Each prompt of whoami's wizard (--fake, --config-dir, --plex-tv, --auth-app-url, --json), then "run it?": the
        // defaults.
        const answers = Array.from({ length: 6 }, () => ({ when: /›/, answer: "" }))
        for (const args of [
          ["--fake", "--log-level=debug", "--config-dir", dir, "whoami", "--wizard"],
          ["--fake", "--config-dir", dir, "whoami", "--log-level", "debug", "--wizard"]
        ]) {
          const run = yield* cli(args, { answers })
          const shown = run.stdout.split("\n").filter((line) => /^(COMMAND: | +)plex-auth /.test(line))
          // The command line as the wizard starts it, with whoami's options added, and the one it built.
          assert.deepStrictEqual(
            shown.map((line) => line.trim()),
            [
              `COMMAND: plex-auth --log-level debug --fake --config-dir ${dir} whoami`,
              `COMMAND: plex-auth --log-level debug --fake --config-dir ${dir} whoami --fake true --json true`,
              `plex-auth --log-level debug --fake --config-dir ${dir} whoami --fake true --json true`
            ],
            run.stdout
          )
          assert.include(run.stdout, "Wizard Mode Complete!")
          // It ran: not logged in.
          assertExit(run, 3)
          assert.include(run.stderr, "Not logged in")
          // The command line it built, typed: it runs the same (`--fake true` after `--fake` is taken once).
          const typed = yield* cli(shown[2]!.trim().split(" ").slice(1))
          assertExit(typed, 3)
          assert.include(typed.stderr, '"message":"Not logged in.')
        }
      })
  )
})
