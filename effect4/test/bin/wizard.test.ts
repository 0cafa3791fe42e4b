/**
 * `--wizard` of the Effect 4 CLI (`effect/cli`'s wizard), in process
 * (inProcess.ts) against the embedded loopback fake (`--fake`): it asks for
 * each flag and argument of the chosen command, shows the command line it
 * built, asks whether to run it, and runs it. Driven here to a signed-in
 * state (a password sign-in, a home user switch), and through its failure
 * paths: a command line not run, a wrong password, stdin ending mid-wizard
 * (exit 2) and Ctrl-C (exit 130).
 * No secret typed at a prompt shows in what the run printed or drew.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import {
  type Answer,
  assertExit,
  cli,
  configDir,
  fake,
  fakeTokenKey,
  login,
  noSecretIn,
  type Ran,
  readStore
} from "./inProcess.js"

const PASSWORD = "alice-secret-password"

/** The answers that build `login --password --login alice` flag by flag, then run it. */
const passwordLoginAnswers: ReadonlyArray<Answer> = [
  { when: /Set Password \(--password\)\?/, answer: "y" },
  { when: /Password \(--password\) ›/, answer: "t" },
  { when: /Set Login \(--login\)\?/, answer: "y" },
  { when: /Login \(--login\) ›/, answer: "alice" },
  { when: /Set Link code \(--link-code\)\?/, answer: "n" },
  { when: /Set No remember me \(--no-remember-me\)\?/, answer: "n" },
  { when: /Set Old token \(--old-token\)\?/, answer: "n" }
]
const runIt: Answer = { when: /Run this command\?/, answer: "" }

/**
 * The command line the wizard shows (effect/cli's wizard wraps it at 88 columns: ` \` at a line's end, the next
 * argument four spaces in), as a pattern: `words` one after another, each string taken as written and each
 * RegExp as a pattern (`/\S+/` for the config directory, whose length, and so where the line wraps, depends on
 * the machine's temporary directory: a long one, macOS's, wraps before or after it).
 */
const commandLine = (...words: ReadonlyArray<string | RegExp>): RegExp =>
  new RegExp(
    words
      .map((word) => (typeof word === "string" ? word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : word.source))
      .join(String.raw`(?: | \\\n {4})`)
  )

/**
 * The run says once that it was cancelled: the CLI's `plex-auth: Cancelled.`
 * on stderr, and neither wizard's own line (effect/cli's "Wizard cancelled.",
 * @effect/cli's "Quitting wizard mode..."). The same check as the Effect 3
 * CLI's (test/bin/wizard.test.ts).
 */
const assertOneCancelMessage = (ran: Ran) => {
  const output = `${ran.stdout}\n${ran.stderr}`
  assert.notMatch(output, /Quitting wizard mode|Wizard cancelled/i, output)
  assert.deepStrictEqual(
    ran.stderr.split("\n").filter((line) => /cancel/i.test(line)),
    ["plex-auth: Cancelled."],
    ran.stderr
  )
}

describe("plex-auth (Effect 4) --wizard, in process", { timeout: 60_000 }, () => {
  it.live("login --wizard: flag by flag to the command line, run, the password typed hidden: signed in", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        const ran = yield* fake(dir, ["login", "--wizard"], {
          answers: [...passwordLoginAnswers, runIt, { when: /Password/, answer: PASSWORD }]
        })
        assertExit(ran, 0)
        assert.include(ran.stdout, "Command wizard")
        // The command line it built, shown before it runs (the config directory is long: it may wrap).
        assert.match(
          ran.stdout,
          commandLine(
            /Command ready\n {2}\$ plex-auth/,
            "--fake",
            "--config-dir",
            /\S+/,
            "login",
            "--password",
            "true",
            "--login",
            /alice\n/
          )
        )
        assert.include(ran.stdout, "Logged in as alice (alice@example.com).")
        // The password prompt of the command itself, typed hidden.
        assert.include(ran.terminal, "*".repeat(PASSWORD.length))
        noSecretIn(ran, PASSWORD)
        const saved = (yield* readStore(dir))?.[fakeTokenKey]
        assert.isDefined(saved)
        noSecretIn(ran, saved!)

        const whoami = yield* fake(dir, ["whoami"])
        assertExit(whoami, 0)
        assert.match(whoami.stdout, /^username\s+alice$/m)
      })
    )
  )

  it.live("--wizard at the root: the command is picked from a list, then its flags; run, signed in", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        const ran = yield* cli(["--wizard"], {
          env: { PLEX_PASSWORD: PASSWORD },
          answers: [
            // At the root it asks for the global flags first.
            { when: /Set .*\(--fake\)\?/, answer: "y" },
            { when: /\(--fake\) ›/, answer: "t" },
            { when: /Set .*\(--config-dir\)\?/, answer: "y" },
            { when: /\(--config-dir\) ›/, answer: dir },
            { when: /Set .*\(--plex-tv\)\?/, answer: "n" },
            { when: /Set .*\(--auth-app-url\)\?/, answer: "n" },
            { when: /Set .*\(--json\)\?/, answer: "n" },
            // login is the first command of the list: Enter picks it.
            { when: /Command ›/, answer: "" },
            ...passwordLoginAnswers,
            runIt
          ]
        })
        assertExit(ran, 0)
        assert.match(ran.terminal, /Command ›[\s\S]*login/)
        assert.match(
          ran.stdout,
          commandLine(/\$ plex-auth/, "--fake", "true", "--config-dir", /\S+/, "login", "--password", "true")
        )
        assert.include(ran.stdout, "Logged in as alice (alice@example.com).")
        assert.isDefined((yield* readStore(dir))?.[fakeTokenKey])
      })
    )
  )

  it.live(
    "home switch --wizard: the argument is asked for, then the user's PIN; the user's token is saved",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          yield* login(dir)
          const before = (yield* readStore(dir))![fakeTokenKey]!
          const ran = yield* fake(dir, ["home", "switch", "--wizard"], {
            answers: [{ when: /User ›/, answer: "Kids" }, runIt, { when: /PIN for Kids/, answer: "1234" }]
          })
          assertExit(ran, 0)
          assert.match(
            ran.stdout,
            commandLine(/\$ plex-auth/, "--fake", "--config-dir", /\S+/, "home", "switch", "--", /Kids\n/)
          )
          assert.include(ran.stdout, "Switched to Kids.")
          noSecretIn(ran, "1234")
          const after = (yield* readStore(dir))![fakeTokenKey]!
          assert.notStrictEqual(after, before)
          const whoami = yield* fake(dir, ["whoami"])
          assert.match(whoami.stdout, /^username\s+kids$/m)
        })
      )
  )

  it.live("answering no to Run this command?: the command line is shown, nothing is run or saved", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        const ran = yield* fake(dir, ["login", "--wizard"], {
          env: { PLEX_PASSWORD: PASSWORD },
          answers: [...passwordLoginAnswers, { when: /Run this command\?/, answer: "", keys: ["0"] }]
        })
        assertExit(ran, 0)
        assert.include(ran.stdout, "Command ready")
        assert.notInclude(ran.stdout, "Logged in")
        assert.isUndefined((yield* readStore(dir))?.[fakeTokenKey])
      })
    )
  )

  it.live(
    "a wrong password after the wizard: exit 3, said once on stderr, nothing saved, no secret shown",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          const wrong = "not-alices-password"
          const ran = yield* fake(dir, ["login", "--wizard"], {
            answers: [...passwordLoginAnswers, runIt, { when: /Password/, answer: wrong }]
          })
          assertExit(ran, 3)
          assert.strictEqual(
            ran.stderr.split("\n").filter((line) => line.startsWith("plex-auth: ")).length,
            1
          )
          assert.notInclude(ran.stdout, "Logged in")
          noSecretIn(ran, wrong)
          assert.isUndefined((yield* readStore(dir))?.[fakeTokenKey])
        })
      )
  )

  it.live("stdin ending mid-wizard: exit 2, said so, nothing run or saved", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        // Two answers, then stdin has nothing more: the wizard stops at its third question.
        const ran = yield* fake(dir, ["login", "--wizard"], {
          env: { PLEX_PASSWORD: PASSWORD },
          answers: passwordLoginAnswers.slice(0, 2)
        })
        // As a command's own prompt ends on a closed stdin (2), not the 0 of a command that ran.
        assertExit(ran, 2)
        assert.include(ran.stderr, "plex-auth: stdin ended before the prompt was answered.")
        // Not cancelled: effect/cli's own "Wizard cancelled." is left out.
        assert.notMatch(`${ran.stdout}\n${ran.stderr}`, /Quitting wizard mode|cancelled/i)
        assert.notInclude(ran.stdout, "Command ready")
        assert.notInclude(ran.stdout, "Logged in")
        assert.isUndefined((yield* readStore(dir))?.[fakeTokenKey])
      })
    )
  )

  it.live("Ctrl-C at a wizard's prompt: exit 130, Cancelled. said once, nothing run or saved", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        const ran = yield* fake(dir, ["login", "--wizard"], {
          env: { PLEX_PASSWORD: PASSWORD },
          answers: [...passwordLoginAnswers.slice(0, 2), { when: /Set Login/, answer: "", quit: true }]
        })
        assertExit(ran, 130)
        assertOneCancelMessage(ran)
        // The prompt left unanswered ends its line: what follows on stderr starts a line of its own.
        assert.match(ran.terminal, /\n$/)
        assert.notInclude(ran.stdout, "Command ready")
        assert.notInclude(ran.stdout, "Logged in")
        assert.isUndefined((yield* readStore(dir))?.[fakeTokenKey])
      })
    )
  )

  it.live("Ctrl-C at Run this command?: exit 130, nothing run or saved", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        const ran = yield* fake(dir, ["login", "--wizard"], {
          env: { PLEX_PASSWORD: PASSWORD },
          answers: [...passwordLoginAnswers, { when: /Run this command\?/, answer: "", quit: true }]
        })
        assertExit(ran, 130)
        assertOneCancelMessage(ran)
        assert.include(ran.stdout, "Command ready")
        assert.notInclude(ran.stdout, "Logged in")
        assert.isUndefined((yield* readStore(dir))?.[fakeTokenKey])
      })
    )
  )
})

describe("plex-auth (Effect 4) --wizard after options, without a command", { timeout: 60_000 }, () => {
  /** The options as the usage error shows them: placeholders for the values of --config-dir and --plex-tv. */
  const shown = (form: ReadonlyArray<string>) =>
    form
      .join(" ")
      .replace(/--config-dir[= ]\S+/, "--config-dir <dir>")
      .replace(/--plex-tv[= ]\S+/, "--plex-tv <url>")

  const hint = (options: string) =>
    `plex-auth: --wizard with options needs a command: \`plex-auth ${options} <command> --wizard\` (for example login), or \`plex-auth --wizard\` alone to choose the command and set the options in the wizard.`

  it.live(
    "--fake --config-dir d --wizard: exit 2, says how to write it, nothing asked, the options not dropped",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          // No answers: a prompt would fail with stdin ended (a different message).
          const ran = yield* fake(dir, ["--wizard"])
          assertExit(ran, 2)
          assert.strictEqual(ran.stderr, `${hint("--fake --config-dir <dir>")}\n`)
          assert.strictEqual(ran.stdout, "")
          assert.strictEqual(ran.terminal, "")
        })
      )
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
            const ran = yield* cli(args)
            assert.strictEqual(ran.code, 2, args.join(" "))
            assert.strictEqual(ran.stderr, `${hint(shown(form))}\n`, args.join(" "))
            assert.strictEqual(ran.stdout, "", args.join(" "))
            assert.strictEqual(ran.terminal, "", args.join(" "))
          }
        }
      })
  )

  it.live(
    "--help, -h, --version among the options, with or without --wizard: answered first, as by @effect/cli (Effect 3)",
    () =>
      Effect.gen(function* () {
        for (const args of [
          ["--fake", "--help"],
          ["--config-dir", "d", "-h", "--wizard"],
          ["--fake", "--log-level", "debug", "--help", "--wizard"]
        ]) {
          const ran = yield* cli(args)
          assert.strictEqual(ran.code, 0, args.join(" "))
          assert.include(ran.stdout, "USAGE", args.join(" "))
          assert.strictEqual(ran.stderr, "", args.join(" "))
        }
        const version = yield* cli(["--fake", "--json", "--version"])
        assertExit(version, 0)
        assert.match(version.stdout, /^\d+\.\d+\.\d+/)
      })
  )

  it.live(
    "the command line the usage error gives works: --log-level among the options, then the command",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          const wizard = yield* cli(
            ["--fake", "--log-level", "debug", "--config-dir", dir, "login", "--wizard"],
            {
              closeStdin: true
            }
          )
          assertExit(wizard, 2)
          assert.match(
            wizard.stdout,
            commandLine(/\$ plex-auth/, "--fake", "--log-level", "debug", "--config-dir", /\S+/, /login\n/)
          )
          assert.include(wizard.stdout, "LOGIN · FLAGS")
        })
      )
  )
})
