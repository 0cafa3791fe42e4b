/**
 * Both editions' `plex-auth` CLIs, given the same command lines, answer the
 * same: exit codes, stdout and stderr, with only what Effect 4 itself
 * changes allowed to differ (docs/cli.md, "The Effect 4 edition's CLI"):
 * the help's layout, the completion scripts, the wizard's screens, and the
 * parsers' own wording of a command line they cannot parse (which both
 * CLIs still say in one `plex-auth: ` line, or as JSON, with exit 2).
 *
 * Each edition runs the whole list in one Node process (test/bin/batch.ts,
 * effect4/test/bin/batch.ts: the binaries' own `run`, terminal and streams,
 * without a process start per command line, which costs a third of a
 * CPU-second), stdin closed, against the embedded fake (`--fake`). The
 * command lines that need the real binary (its exit, signals, a terminal)
 * are tested in plex-auth.test.ts of both editions.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { build } from "esbuild"
import { help } from "../../src/core/cli/help.js"
import * as Render from "../../src/core/cli/render.js"
import { bundledNode, systemNodeIsEnough } from "../../scripts/node22.mjs"
import { packageVersion } from "../../scripts/cli-bundle.js"
import { root } from "../support/build.js"
import type { Case, Result } from "./batchCases.js"

/** How the two outputs of a command line are compared. */
type Kind =
  /** Exactly the same (after the state directory and the version are named alike). */
  | "same"
  /** A command line the parser refuses: exit 2, one `plex-auth: ` line (JSON under --json), in the parser's words. */
  | "parser"
  /** Help: exit 0, the same options (those Effect 4 adds aside), the same description. */
  | "help"
  /** A completion script: exit 0, for `plex-auth`. */
  | "completions"
  /** The wizard, stdin closed: its screens differ, its end (exit 2, stdin ended) does not. */
  | "wizard"
  /** Refused by both with exit 2 and one line of stderr holding `says` (the rest of the line may differ). */
  | "refused"

interface Check {
  readonly args: ReadonlyArray<string>
  readonly kind: Kind
  readonly env?: Readonly<Record<string, string>>
  /** For "help": the command's description (help.ts), which both show. */
  readonly description?: string
  /** For "help": the descriptions of the command's arguments (help.ts), which both show. */
  readonly argumentDescriptions?: ReadonlyArray<string>
  /** For "help": whether the command has subcommands (the Effect 3 help then lists theirs too). */
  readonly parent?: boolean
  /**
   * For "help": the global options the Effect 4 help lists and the Effect 3 one does not (effect/cli's
   * shared flags go to every command; both CLIs take them, and `fake-server` has no use for them).
   */
  readonly shared?: ReadonlyArray<string>
  /** The exit code both must give (docs/cli.md), for a "same" check. */
  readonly exit?: number
  /** Never printed, by either edition. */
  readonly secrets?: ReadonlyArray<string>
  /** For a "same" check: what both print on stderr (a part of it). */
  readonly says?: string
  /** For a "same" check: what both print on stdout (all of it). */
  readonly prints?: string
  /** For a "parser" check: the word both refusals name (the unknown option). */
  readonly names?: string
}

const password = "alice-secret-password"
const withPassword = { PLEX_PASSWORD: password }
/** A --plex-tv URL with a password and a token in it: neither is ever printed back. */
const secretUrl = "http://user:url-password@127.0.0.1:1/?X-Plex-Token=url-token"
const urlSecrets = ["url-password", "url-token"]

// `$D` is a configuration directory of the edition's own, kept from one command line to the next; `$X`
// another; `$F` a file; `$B` one whose saved token is spoilt.
const fake = (...args: ReadonlyArray<string>) => ["--fake", "--config-dir", "$D", ...args]

/** How both refuse `--no-help`, `--no-version`, `--no-wizard`. */
const noForm = (option: string) =>
  `Unknown option --no-${option.slice(2)}: --help, --version, --wizard, --completions and --log-level have no --no- form (leave ${option} out).`

const helpOf = (args: ReadonlyArray<string>, description: string, parent = false): Check => ({
  args: [...args, "--help"],
  kind: "help",
  description,
  parent
})

const checks: ReadonlyArray<Check> = [
  // Usage errors the parsers find (after the command's name: in their own words).
  { args: ["--frob"], kind: "same", exit: 2 },
  { args: ["--fake", "--frob", "whoami"], kind: "same", exit: 2 },
  { args: ["--plex-tv", secretUrl, "--frob=1", "whoami"], kind: "same", exit: 2, secrets: urlSecrets },
  { args: ["whoami", "--frob"], kind: "parser" },
  // After a command that has a subcommand: Effect 3's parser said "Invalid subcommand for plex-auth - use one of
  // 'login', ..., 'home', ...", naming neither the option nor the command's own subcommand (main.ts).
  { args: ["home", "--frob"], kind: "parser", names: "--frob" },
  { args: ["devices", "--fake", "--frob", "revoke", "2"], kind: "parser", names: "--frob" },
  { args: ["token", "--jsn", "transient", "--json"], kind: "parser", names: "--jsn" },
  // Named without its inline value, which is not repeated.
  { args: ["home", "--token=s3cret", "switch", "x"], kind: "parser", names: "--token", secrets: ["s3cret"] },
  { args: ["whoami", "--token=s3cret"], kind: "parser", names: "--token", secrets: ["s3cret"] },
  {
    args: ["--fake", "--config-dir", "$D", "servers", "--json", "--pass=s3cret"],
    kind: "parser",
    names: "--pass",
    secrets: ["s3cret"]
  },
  { args: ["frob"], kind: "same", exit: 2 },
  { args: [secretUrl, "whoami"], kind: "same", exit: 2, secrets: urlSecrets },
  { args: ["--config-dir"], kind: "same", exit: 2 },
  { args: ["whoami", "--config-dir"], kind: "same", exit: 2 },
  { args: ["--password", "login"], kind: "same", exit: 2 },
  // Values the commands' options and arguments cannot take: the CLIs' own words (render.ts valueProblem).
  { args: ["login", "--old-token", "maybe"], kind: "same", exit: 2 },
  { args: ["login", "--old-token=maybe", "--json"], kind: "same", exit: 2 },
  { args: ["login", "--old-token"], kind: "same", exit: 2 },
  { args: ["login", "--login"], kind: "same", exit: 2 },
  { args: ["token", "transient", "--server"], kind: "same", exit: 2 },
  { args: ["fake-server", "--approve-pins-after", "x"], kind: "same", exit: 2 },
  // Past the safe integers: not each parser's own words (render.ts valueProblem), the same sentence.
  { args: ["fake-server", "--approve-pins-after", "99999999999999999999"], kind: "same", exit: 2 },
  // --port: a whole number from 0 to 65535 (render.ts usageProblem for no whole number or one past 65535, the command
  // for a negative one).
  { args: ["fake-server", "--port", "x"], kind: "same", exit: 2, says: `plex-auth: ${Render.portMessage}` },
  {
    args: ["fake-server", "--port", "65536"],
    kind: "same",
    exit: 2,
    says: `plex-auth: ${Render.portMessage}`
  },
  { args: ["fake-server", "--port=-1", "--json"], kind: "same", exit: 2, says: Render.portMessage },
  // --allow-origin: an origin, else the same sentence (render.ts usageProblem: an empty one reaches neither command).
  {
    args: ["fake-server", "--allow-origin", "localhost:5173"],
    kind: "same",
    exit: 2,
    says: `plex-auth: ${Render.allowOriginMessage}`
  },
  {
    args: ["fake-server", "--allow-origin="],
    kind: "same",
    exit: 2,
    says: `plex-auth: ${Render.allowOriginMessage}`
  },
  {
    args: [
      "fake-server",
      "--allow-origin",
      "http://localhost:5173",
      "--allow-origin=http://a.example/x",
      "--json"
    ],
    kind: "same",
    exit: 2,
    says: Render.allowOriginMessage
  },
  // fake-server serves its own sign-in page: --auth-app-url, before or after its name, is refused alike.
  {
    args: ["fake-server", "--auth-app-url", "http://127.0.0.1:1/auth"],
    kind: "same",
    exit: 2,
    says: `plex-auth: ${Render.fakeServerAuthAppUrlMessage}`
  },
  { args: ["--auth-app-url=http://127.0.0.1:1/auth", "fake-server", "--json"], kind: "same", exit: 2 },
  // Nor --plex-tv, --config-dir or --fake: the fake is a plex.tv of its own, in memory.
  {
    args: ["fake-server", "--plex-tv", "http://127.0.0.1:1"],
    kind: "same",
    exit: 2,
    says: `plex-auth: ${Render.fakeServerOptionMessage("--plex-tv")}`
  },
  { args: ["--config-dir", "unused-dir", "fake-server"], kind: "same", exit: 2 },
  { args: ["--fake", "fake-server", "--json"], kind: "same", exit: 2 },
  { args: ["login", "--password", "--password"], kind: "same", exit: 2 },
  { args: ["devices", "revoke", "abc"], kind: "same", exit: 2 },
  { args: fake("devices", "revoke", "--json", "abc"), kind: "same", exit: 2 },
  { args: fake("devices", "revoke", "--", "abc"), kind: "same", exit: 2 },
  { args: ["home", "switch"], kind: "same", exit: 2 },
  { args: ["claim", "--json"], kind: "same", exit: 2 },
  { args: fake("devices", "revoke", "--"), kind: "same", exit: 2 },
  { args: ["home", "Kids"], kind: "same", exit: 2 },
  { args: ["token", "foo", "--json"], kind: "same", exit: 2 },
  { args: ["devices", "5"], kind: "same", exit: 2 },
  { args: ["claim", "http://x", secretUrl], kind: "same", exit: 2, secrets: urlSecrets },
  { args: fake("home", "switch", "a", "b"), kind: "same", exit: 2 },
  { args: ["whoami", "extra"], kind: "same", exit: 2 },
  { args: ["--", "whoami"], kind: "same", exit: 2 },
  { args: fake("whoami", "--", "--json"), kind: "same", exit: 2 },
  { args: ["--"], kind: "same", exit: 2 },
  { args: ["--json", "--frob"], kind: "same", exit: 2 },
  { args: ["whoami", "--json", "--frob"], kind: "parser" },
  { args: ["--log-level", "bogus", "whoami"], kind: "same", exit: 2 },
  { args: ["whoami", "--log-level=bogus"], kind: "same", exit: 2 },
  { args: ["--log-level", "WARNING", "whoami"], kind: "same", exit: 2 },
  { args: ["--log-level"], kind: "same", exit: 2 },
  {
    args: ["whoami", "--log-level="],
    kind: "same",
    exit: 2,
    says: "plex-auth: Invalid --log-level: expected one of all,"
  },
  // A shell neither has a script for: the CLIs' own words (render.ts usageProblem), each naming the shells it has.
  {
    args: ["--completions", "bogus"],
    kind: "refused",
    says: "plex-auth: Invalid --completions bogus: expected one of bash, zsh, fish, sh"
  },
  { args: ["--json", "--completions=bogus"], kind: "refused", says: "Invalid --completions bogus" },
  { args: ["--plex-tv", secretUrl, "whoami", "--frob"], kind: "parser", secrets: urlSecrets },
  // Usage errors the CLIs find, in their own words.
  { args: [], kind: "same", exit: 2 },
  // A value option followed by an option (the version, help) or given one inline: its value is missing, in both
  // (render.ts optionAsValue; the Effect 3 parser took it as the value, the Effect 4 one printed the version).
  { args: ["--config-dir", "-v", "whoami"], kind: "same", exit: 2 },
  { args: ["--config-dir", "--version", "whoami"], kind: "same", exit: 2 },
  { args: ["whoami", "--config-dir", "-h"], kind: "same", exit: 2 },
  { args: ["login", "--login", "-v", "--password"], kind: "same", exit: 2 },
  { args: ["--log-level", "-v", "whoami"], kind: "same", exit: 2 },
  { args: ["--fake", "--config-dir=-v", "whoami"], kind: "same", exit: 2 },
  { args: ["--plex-tv", "--version"], kind: "same", exit: 2 },
  // Followed by -- itself: "Missing value" in both (Effect 3's parser said "Received unknown argument", Effect 4's
  // its own "Missing value for flag").
  {
    args: ["whoami", "--config-dir", "--"],
    kind: "same",
    exit: 2,
    says: "plex-auth: Missing value for --config-dir."
  },
  { args: ["login", "--login", "--"], kind: "same", exit: 2, says: "plex-auth: Missing value for --login." },
  {
    args: ["--plex-tv", "--", "whoami"],
    kind: "same",
    exit: 2,
    says: "plex-auth: Missing value for --plex-tv."
  },
  // A switch given a value inline no boolean takes: one message in both (Effect 3's parser said "Received unknown
  // argument", Effect 4's "Invalid value for flag"); the boolean words both take alike.
  {
    args: fake("whoami", "--json=-x"),
    kind: "same",
    exit: 2,
    says: "plex-auth: --json takes no value: give it alone"
  },
  {
    args: ["--json=bogus", "whoami"],
    kind: "same",
    exit: 2,
    says: "plex-auth: --json takes no value: give it alone"
  },
  { args: ["login", "--password=x"], kind: "same", exit: 2, says: "plex-auth: --password takes no value" },
  { args: ["whoami", "--help=false"], kind: "same", exit: 2, says: "plex-auth: --help takes no value." },
  { args: ["--version=yes"], kind: "same", exit: 2, says: "plex-auth: --version takes no value." },
  {
    args: fake("whoami", "--wizard=false"),
    kind: "same",
    exit: 2,
    says: "plex-auth: --wizard takes no value."
  },
  // --no-help, --no-version, --no-wizard: refused in one message by both (render.ts negatedBuiltIn; Effect 4's parser
  // answered each as the option itself, the help, the version, the wizard; Effect 3's refused it in its words).
  { args: ["--no-help", "whoami"], kind: "same", exit: 2, says: `plex-auth: ${noForm("--help")}` },
  { args: fake("whoami", "--no-version"), kind: "same", exit: 2, says: `plex-auth: ${noForm("--version")}` },
  { args: fake("login", "--no-wizard"), kind: "same", exit: 2, says: `plex-auth: ${noForm("--wizard")}` },
  { args: fake("whoami", "--json", "--no-help=true"), kind: "same", exit: 2, says: noForm("--help") },
  // --no-completions, --no-log-level likewise (Effect 4 said "Unrecognized flag: --no-log-level in command plex-auth
  // whoami", Effect 3 "Received unknown argument: '--no-log-level'").
  {
    args: fake("whoami", "--no-completions"),
    kind: "same",
    exit: 2,
    says: `plex-auth: ${noForm("--completions")}`
  },
  {
    args: fake("whoami", "--no-log-level"),
    kind: "same",
    exit: 2,
    says: `plex-auth: ${noForm("--log-level")}`
  },
  {
    args: fake("whoami", "--json", "--no-log-level=debug"),
    kind: "same",
    exit: 2,
    says: noForm("--log-level")
  },
  { args: fake("whoami", "--json=yes"), kind: "same", exit: 3 },
  { args: ["token"], kind: "same", exit: 2 },
  // Global options between a command's name and its subcommand's are the subcommand's (render.ts
  // globalsAfterSubcommand): with --fake, PLEX_TV_URL is not read.
  { args: ["token", "--json"], kind: "same", exit: 2 },
  { args: ["token", "--json", "--"], kind: "same", exit: 2 },
  { args: ["token", "--json", "--log-level", "debug"], kind: "same", exit: 2 },
  // A device id past the safe integers: the CLIs' words, not the parsers' (which repeated it).
  ...["99999999999999999999", "-99999999999999999999"].map((id): Check => ({
    args: fake("devices", "revoke", id),
    kind: "same",
    exit: 2,
    says: "plex-auth: Invalid device id: must be a positive integer."
  })),
  {
    args: ["home", "--fake", "--config-dir", "$D", "switch", "Nobody"],
    kind: "same",
    env: { PLEX_TV_URL: "x" }
  },
  {
    args: ["token", "--fake", "--config-dir", "$D", "--json", "transient"],
    kind: "same",
    env: { PLEX_TV_URL: "x" }
  },
  { args: ["--code-2fa", "123456"], kind: "same", secrets: ["123456"] },
  { args: ["login", "--code"], kind: "same" },
  { args: ["login", "--link-code", "--password"], kind: "same" },
  { args: ["login", "--login", "alice"], kind: "same" },
  { args: ["fake-server", "--approve-pins-after", "-1"], kind: "same" },
  // A negative decimal is a value too (render.ts optionAsValue), refused by the option's own check.
  {
    args: ["fake-server", "--approve-pins-after", "-1.5"],
    kind: "same",
    exit: 2,
    says: "plex-auth: --approve-pins-after must be a whole number of seconds, 0 or more."
  },
  { args: ["--plex-tv", secretUrl, "whoami"], kind: "same", secrets: urlSecrets },
  { args: ["--json", "--plex-tv", secretUrl, "whoami"], kind: "same", secrets: urlSecrets },
  { args: ["--config-dir", "$D", "whoami", "--config-dir", "$X"], kind: "same" },
  {
    args: ["--plex-tv", secretUrl, "whoami", "--plex-tv", "http://127.0.0.1:1"],
    kind: "same",
    secrets: urlSecrets
  },
  { args: ["--log-level", "debug", "--log-level", "info", "whoami"], kind: "same", exit: 2 },
  { args: ["--log-level", "debug", "whoami", "--log-level=info"], kind: "same" },
  { args: fake("--wizard"), kind: "same" },
  { args: ["--json", "--wizard"], kind: "same" },
  { args: ["--plex-tv", secretUrl, "--log-level", "info", "--wizard"], kind: "same", secrets: urlSecrets },
  { args: fake("login", "--password"), kind: "same" },
  // An invalid value of an option-or-variable pair names the one it came from: the option when given.
  {
    args: ["--plex-tv", "notaurl", "whoami"],
    kind: "same",
    exit: 2,
    says: "plex-auth: Invalid --plex-tv URL: is not"
  },
  {
    args: ["whoami"],
    kind: "same",
    env: { PLEX_TV_URL: "notaurl" },
    exit: 2,
    says: "plex-auth: Invalid PLEX_TV_URL: is not"
  },
  {
    args: ["whoami", "--plex-tv", "ftp://x"],
    kind: "same",
    env: { PLEX_TV_URL: "notaurl" },
    exit: 2,
    says: "plex-auth: Invalid --plex-tv URL: must use http"
  },
  // --auth-app-url, else PLEX_AUTH_APP_URL (the PIN link's page): refused in the library's words, before any request.
  {
    args: ["--auth-app-url", "notaurl", "login", "--config-dir", "$X"],
    kind: "same",
    exit: 2,
    says: "plex-auth: Invalid --auth-app-url URL: is not"
  },
  {
    args: ["login", "--config-dir", "$X"],
    kind: "same",
    env: { PLEX_AUTH_APP_URL: "http://127.0.0.1:1/auth#x" },
    exit: 2,
    says: "plex-auth: Invalid PLEX_AUTH_APP_URL: must not have a query string or fragment."
  },
  // Given empty (the = form) or with no value: refused alike, exit 2.
  {
    args: ["--auth-app-url=", "login", "--config-dir", "$X"],
    kind: "same",
    exit: 2,
    says: "plex-auth: Invalid --auth-app-url URL: must not be empty"
  },
  {
    args: ["login", "--config-dir", "$X", "--auth-app-url"],
    kind: "same",
    exit: 2,
    says: "plex-auth: Missing value for --auth-app-url"
  },
  // PLEX_AUTH_APP_URL is read by login only (as PLEX_SERVER_URL by the commands that use it): a bad one breaks no
  // other command (--auth-app-url typed on one is still checked, as --plex-tv is).
  {
    args: ["whoami", "--config-dir", "$X"],
    kind: "same",
    env: { PLEX_AUTH_APP_URL: "notaurl" },
    exit: 3,
    says: "plex-auth: Not logged in."
  },
  {
    args: ["logout", "--config-dir", "$X"],
    kind: "same",
    env: { PLEX_AUTH_APP_URL: secretUrl },
    exit: 0,
    secrets: urlSecrets
  },
  // Nor by login --password, which prints no sign-in link: it signs in as without the variable (here plex.tv is
  // unreachable: exit 5, not 2).
  {
    args: [
      "login",
      "--password",
      "--login",
      "alice",
      "--plex-tv",
      "http://127.0.0.1:1",
      "--config-dir",
      "$X"
    ],
    kind: "same",
    env: { PLEX_AUTH_APP_URL: secretUrl, PLEX_PASSWORD: "pw-secret" },
    exit: 5,
    secrets: [...urlSecrets, "pw-secret"]
  },
  // A user name or password in it: said plainly, not cliReason's "sign in with `plex-auth login` instead" (this is login).
  {
    args: ["--auth-app-url", secretUrl, "login", "--config-dir", "$X"],
    kind: "same",
    exit: 2,
    secrets: urlSecrets,
    says: "plex-auth: Invalid --auth-app-url URL: must not carry a user name or password (it is the page the sign-in link opens in a browser)."
  },
  {
    args: ["login", "--config-dir", "$X"],
    kind: "same",
    env: { PLEX_AUTH_APP_URL: secretUrl },
    exit: 2,
    secrets: urlSecrets,
    says: "plex-auth: Invalid PLEX_AUTH_APP_URL: must not carry a user name or password (it is the page the sign-in link opens in a browser)."
  },
  {
    args: [
      "--auth-app-url",
      "http://127.0.0.1:1/auth",
      "whoami",
      "--auth-app-url",
      "http://127.0.0.1:2/auth"
    ],
    kind: "same",
    exit: 2,
    says: "plex-auth: --auth-app-url was given twice, with different values."
  },
  {
    args: fake("--auth-app-url", "http://127.0.0.1:1/auth", "login"),
    kind: "same",
    exit: 2,
    says: "plex-auth: --auth-app-url cannot be combined with --fake."
  },
  // A URL with a user name or password: what to do in the CLI's terms, not the library's (failure.ts cliReason).
  {
    args: ["--plex-tv", "http://u:p@127.0.0.1:1", "whoami"],
    kind: "same",
    exit: 2,
    says: "must not carry a user name or password: sign in with `plex-auth login` instead"
  },
  { args: ["--config-dir", "$F", "--fake", "whoami"], kind: "same", exit: 1 },
  // A saved token no token can be: not logged in, in both (the Effect 4 CLI said "internal error: Credentials: ...").
  { args: ["--config-dir", "$B", "whoami"], kind: "same", exit: 3, says: "Not logged in." },
  { args: ["--config-dir", "$F/sub", "--fake", "whoami", "--json"], kind: "same" },
  // Environment variables empty or blank: unset in both (render.ts envSet).
  { args: ["whoami", "--config-dir", "$X"], kind: "same", env: { PLEX_TV_URL: " " }, exit: 3 },
  { args: ["whoami", "--config-dir", "$X"], kind: "same", env: { PLEX_TV_URL: "" }, exit: 3 },
  // PLEX_TOKEN (the library's Credentials.layerConfig reads it, fake-server prints it) is not read by the CLI: when
  // it is set and nothing is saved, "not logged in" says so, without its value (core/cli/failure.ts notLoggedIn).
  {
    args: ["whoami", "--config-dir", "$X"],
    kind: "same",
    env: { PLEX_TOKEN: "env-token-unread" },
    exit: 3,
    says: "plex-auth: Not logged in. Run `plex-auth login` first. PLEX_TOKEN is set, but plex-auth does not read it",
    secrets: ["env-token-unread"]
  },
  {
    args: ["servers", "--config-dir", "$X", "--json"],
    kind: "same",
    env: { PLEX_TOKEN: "env-token-unread" },
    exit: 3,
    says: "PLEX_TOKEN is set, but plex-auth does not read it",
    secrets: ["env-token-unread"]
  },
  {
    args: ["whoami", "--config-dir", "$X"],
    kind: "same",
    env: { PLEX_TOKEN: " " },
    exit: 3,
    says: "plex-auth: Not logged in. Run `plex-auth login` first.\n"
  },
  {
    args: fake("login", "--password", "--login", "alice"),
    kind: "same",
    env: { PLEX_PASSWORD: " " },
    exit: 2
  },
  // A sign-in input the library refuses, named after where it came from.
  {
    args: fake("login", "--password", "--login", "alice"),
    kind: "same",
    env: { PLEX_PASSWORD: password, PLEX_2FA_CODE: "12\u0007" },
    secrets: [password],
    exit: 2,
    says: "plex-auth: Invalid PLEX_2FA_CODE: "
  },
  // Global options (and --log-level) before the command, after it, twice; not logged in yet.
  { args: fake("whoami"), kind: "same" },
  { args: ["whoami", "--fake", "--config-dir", "$D"], kind: "same" },
  {
    args: ["--fake", "--fake", "--config-dir", "$D", "--config-dir", "$D", "whoami", "--json"],
    kind: "same"
  },
  { args: ["--log-level", "debug", ...fake("whoami", "--log-level", "debug")], kind: "same" },
  { args: ["--log-level", "warn", ...fake("whoami")], kind: "same", exit: 3 },
  { args: ["--log-level=all", ...fake("whoami")], kind: "same" },
  // The command line @effect/cli's wizard shows (booleans with their value), and other forms of them.
  { args: fake("whoami", "--fake", "true", "--json", "true"), kind: "same", exit: 3 },
  { args: fake("whoami", "--fake=true", "--json=false"), kind: "same", exit: 3 },
  { args: fake("whoami", "--fake", "false"), kind: "same", exit: 2 },
  { args: fake("--log-level", "none", "whoami"), kind: "same" },
  // The built-in options.
  { args: ["--version"], kind: "same", exit: 0 },
  { args: ["whoami", "--version"], kind: "same" },
  // The version as text, --json or not (docs/cli.md, "Output for scripts"), as the help is.
  { args: ["--fake", "--json", "--version"], kind: "same", exit: 0, prints: "<version>\n" },
  { args: ["--version", "--json"], kind: "same", exit: 0, prints: "<version>\n" },
  // -v: effect/cli's short form of --version, which the Effect 3 CLI takes too.
  { args: ["-v"], kind: "same", exit: 0 },
  { args: ["whoami", "-v"], kind: "same", exit: 0 },
  { args: fake("--json", "home", "switch", "-v"), kind: "same", exit: 0 },
  { args: ["--fake", "--frob", "-v"], kind: "same", exit: 2 },
  // A word starting with - where an argument goes (Effect 3 took it as the argument, Effect 4 read -Kevin as -v,
  // the version), and short options run together (Effect 4 read -vx as the version): refused alike (render.ts).
  { args: fake("home", "switch", "-Kevin"), kind: "same", exit: 2 },
  { args: fake("claim", "--frob"), kind: "same", exit: 2 },
  { args: ["whoami", "-vx"], kind: "same", exit: 2 },
  { args: ["-hv"], kind: "same", exit: 2 },
  { args: fake("-v", "--wizard"), kind: "same", exit: 0 },
  { args: ["-v", "--help"], kind: "help", description: "Sign in to Plex, hold the token", parent: true },
  { args: ["--completions", "bash"], kind: "completions" },
  { args: ["--completions", "zsh"], kind: "completions" },
  { args: ["--completions", "fish"], kind: "completions" },
  { args: fake("login", "--wizard"), kind: "wizard" },
  { args: ["--wizard"], kind: "wizard" },
  { args: ["--wizard", "--wizard"], kind: "wizard" },
  helpOf([], "Sign in to Plex, hold the token, and get tokens for servers", true),
  { args: ["frob", "--help"], kind: "help", description: "Sign in to Plex, hold the token", parent: true },
  { args: ["-h"], kind: "help", description: "Sign in to Plex, hold the token", parent: true },
  { args: ["--fake", "--help"], kind: "help", description: "Sign in to Plex, hold the token", parent: true },
  helpOf(["login"], help.loginCommand),
  helpOf(["whoami"], help.whoamiCommand),
  helpOf(["servers"], help.serversCommand),
  helpOf(["token"], help.tokenCommand, true),
  helpOf(["token", "transient"], help.transientCommand),
  helpOf(["logout"], help.logoutCommand),
  {
    ...helpOf(["fake-server"], help.fakeServerCommand),
    shared: ["--config-dir", "--fake", "--plex-tv", "--auth-app-url"]
  },
  helpOf(["home"], help.homeCommand, true),
  { ...helpOf(["home", "switch"], help.switchCommand), argumentDescriptions: [help.user] },
  helpOf(["claim-token"], help.claimTokenCommand),
  { ...helpOf(["claim"], help.claimCommand), argumentDescriptions: [help.serverUrl] },
  helpOf(["devices"], help.devicesCommand, true),
  { ...helpOf(["devices", "revoke"], help.revokeCommand), argumentDescriptions: [help.id] },
  { args: ["whoami", "-h"], kind: "help", description: help.whoamiCommand },
  // --help, -h between a command's name and its subcommand's: the subcommand's help (render.ts globalsAfterSubcommand).
  {
    args: ["home", "--help", "switch"],
    kind: "help",
    description: help.switchCommand,
    argumentDescriptions: [help.user]
  },
  { args: ["token", "--fake", "-h", "transient"], kind: "help", description: help.transientCommand },
  // --help, -h, --version, -v, --wizard after a command's options, as after its name.
  helpOf(["login", "--password"], help.loginCommand),
  { args: ["whoami", "--json", "-h"], kind: "help", description: help.whoamiCommand },
  {
    ...helpOf(["home", "switch", "Kids", "--json"], help.switchCommand),
    argumentDescriptions: [help.user]
  },
  helpOf(["token", "transient", "--server", "x"], help.transientCommand),
  { args: ["login", "--password", "--version"], kind: "same", exit: 0 },
  { args: ["whoami", "--json", "-v"], kind: "same", exit: 0 },
  { args: fake("login", "--password", "--wizard"), kind: "wizard" },
  // Commands that succeed (and fail) against the fake, in order, in $D.
  {
    args: fake("login", "--password", "--login", "alice"),
    kind: "same",
    env: withPassword,
    secrets: [password],
    exit: 0
  },
  { args: fake("whoami"), kind: "same", exit: 0 },
  // An empty --config-dir is refused, not taken for the current directory (where the token file would land).
  {
    args: ["whoami", "--fake", "--config-dir", ""],
    kind: "same",
    exit: 2,
    says: "plex-auth: Invalid --config-dir: must not be empty (leave it out for the default directory)."
  },
  // A PIN sign-in (the fake approves it after a second), with a code for plex.tv/link; the old token kept.
  { args: fake("login", "--link-code", "--old-token", "keep"), kind: "same", exit: 0 },
  { args: fake("whoami", "--json"), kind: "same", exit: 0 },
  { args: ["whoami", "--json", "--fake", "--config-dir", "$D"], kind: "same" },
  { args: fake("home"), kind: "same" },
  { args: fake("home", "--json"), kind: "same" },
  { args: fake("home", "switch", "Nobody"), kind: "same" },
  { args: fake("home", "switch", "--", "-Nobody"), kind: "same", exit: 1 },
  { args: fake("home", "switch", "Kids"), kind: "same", exit: 2 },
  // A blank PLEX_HOME_PIN counts as none, and no PIN can be asked for (stdin closed): said so, not "set it".
  {
    args: fake("home", "switch", "Kids"),
    kind: "same",
    env: { PLEX_HOME_PIN: " " },
    exit: 2,
    says: `plex-auth: stdin ended before the prompt was answered: ${Render.homePinMissing(true)}.`
  },
  // A Home PIN the library refuses, named after the variable it came from (not the library's field, `pin`).
  {
    args: fake("home", "switch", "Kids"),
    kind: "same",
    env: { PLEX_HOME_PIN: "12a4" },
    exit: 2,
    says: "plex-auth: Invalid PLEX_HOME_PIN: must be four digits."
  },
  // (plex.tv offline: the account's own server is looked for, and cannot be.)
  {
    args: fake("token", "transient", "--json"),
    kind: "same",
    env: { PLEX_SERVER_URL: " ", PLEX_AUTH_FAKE: "offline" },
    exit: 5
  },
  {
    args: fake("token", "transient", "--json"),
    kind: "same",
    env: { PLEX_SERVER_URL: "", PLEX_AUTH_FAKE: "offline" },
    exit: 5
  },
  {
    args: fake("token", "transient", "--server", " "),
    kind: "same",
    exit: 2,
    says: "plex-auth: Invalid --server: "
  },
  // A blank value inline (`--server=`, `--login= `) is the blank value it is, refused before anything runs (no
  // "Finding the server...", signed in or not): @effect/cli (Effect 3) took none, "Received unknown argument".
  {
    args: fake("token", "transient", "--server="),
    kind: "same",
    exit: 2,
    says: "plex-auth: Invalid --server: must not be empty."
  },
  {
    args: fake("login", "--password", "--login= ", "--old-token", "keep"),
    kind: "same",
    env: withPassword,
    exit: 2,
    says: "plex-auth: Invalid --login: must not be empty."
  },
  { args: fake("servers", "--json"), kind: "same", exit: 0 },
  { args: fake("devices"), kind: "same", exit: 0 },
  { args: fake("devices", "--json"), kind: "same" },
  { args: fake("devices", "revoke", "-5"), kind: "same" },
  { args: fake("devices", "revoke", "-1.5"), kind: "same", exit: 2, says: "Invalid device id" },
  { args: fake("claim", "notaurl"), kind: "same" },
  // The fake's default server (seeded at http://192.0.2.10:32400) is claimed, by the account signed in (its own, in
  // plex.tv's list): nothing to do (its text: test/bin/features.test.ts, with carol's exit 1 for another account's).
  {
    args: fake("claim", "http://192.0.2.10:32400"),
    kind: "same",
    exit: 0
  },
  // The saved token revoked: plex.tv refuses it for the list read to say whose the claimed server is: exit 3, as
  // every command's refused token (not "by this account or another", exit 1).
  {
    args: fake("claim", "http://192.0.2.10:32400"),
    kind: "same",
    env: { PLEX_AUTH_FAKE: "revoke-token" },
    exit: 3,
    says: "plex-auth: Plex refused the saved token (HTTP 422). Run `plex-auth login` to sign in again."
  },
  // http(s):// near misses say what is wrong (core/validate.ts httpUrl), not to put http:// before it.
  {
    args: fake("claim", "http//192.0.2.77:32400"),
    kind: "same",
    exit: 2,
    says: "plex-auth: Invalid server URL: the colon after http is missing."
  },
  {
    args: fake("claim", "http://u:p@127.0.0.1:1"),
    kind: "same",
    exit: 2,
    says: "plex-auth: Invalid server URL: must not carry a user name or password: sign in with `plex-auth login`"
  },
  {
    args: fake("token", "transient", "--server", "http://u:p@127.0.0.1:1"),
    kind: "same",
    exit: 2,
    says: "plex-auth: Invalid --server URL: must not carry a user name or password"
  },
  {
    args: fake("token", "transient"),
    kind: "same",
    env: { PLEX_SERVER_URL: "http://u:p@127.0.0.1:1" },
    exit: 2,
    says: "plex-auth: Invalid PLEX_SERVER_URL: must not carry a user name or password"
  },
  { args: fake("token", "transient", "--server", "Nope"), kind: "same" },
  { args: fake("whoami"), kind: "same", env: { PLEX_AUTH_FAKE: "offline" }, exit: 5 },
  // --json in its other forms: errors as JSON too, as the result is.
  {
    args: fake("whoami", "--json=true"),
    kind: "same",
    env: { PLEX_AUTH_FAKE: "offline" },
    exit: 5,
    says: '{"error":{"kind":"Network","exitCode":5,'
  },
  { args: fake("whoami", "--json", "yes", "extra"), kind: "same", exit: 2, says: '{"error":{"kind":"Usage"' },
  { args: fake("whoami", "--json"), kind: "same", env: { PLEX_AUTH_FAKE: "offline,bogus" } },
  { args: fake("servers", "--json"), kind: "same", env: { PLEX_AUTH_FAKE: "offline" } },
  { args: fake("devices", "revoke", "999999"), kind: "same" },
  // A switch followed by a boolean word other than true/false is alone, the word the argument (render.ts
  // switchesAlone): both parsers took 1 as --json's value and said "Missing argument <id>".
  {
    args: fake("devices", "revoke", "--json", "1"),
    kind: "same",
    exit: 1,
    says: '"message":"The account has no device 1'
  },
  {
    args: fake("devices", "revoke", "--json", "0"),
    kind: "same",
    exit: 2,
    says: '"message":"Invalid device id'
  },
  {
    args: fake("devices", "--json", "revoke", "1"),
    kind: "same",
    exit: 1,
    says: '"message":"The account has no device 1'
  },
  {
    args: fake("devices", "revoke", "--json", "--json", "1"),
    kind: "same",
    exit: 1,
    says: '"message":"The account has no device 1'
  },
  {
    args: fake("home", "switch", "--json", "yes"),
    kind: "same",
    exit: 1,
    says: '{"error":{"kind":"Generic"'
  },
  // Only true and false, exactly, after a space: TRUE is the next argument (one too many for whoami), which
  // each parser had refused in its own words (render.ts switchesAlone).
  {
    args: fake("whoami", "--json", "TRUE"),
    kind: "same",
    exit: 2,
    says: '"message":"Unexpected argument: `plex-auth whoami` takes none."'
  },
  {
    args: fake("whoami", "--fake", "False"),
    kind: "same",
    exit: 2,
    says: "plex-auth: Unexpected argument: `plex-auth whoami` takes none."
  },
  // --no-json is --json=false in both (the Effect 3 parser knew no --no-json; the Effect 4 one took the word
  // after it as a value it refused: "Invalid value for flag --json").
  {
    args: fake("whoami", "--no-json", "1"),
    kind: "same",
    exit: 2,
    says: "plex-auth: Unexpected argument: `plex-auth whoami` takes none."
  },
  {
    args: fake("devices", "revoke", "--no-json", "1"),
    kind: "same",
    exit: 1,
    says: "plex-auth: The account has no device 1"
  },
  { args: fake("whoami", "--json", "--no-json"), kind: "same", exit: 2, says: "--json was given twice" },
  {
    args: fake("whoami", "--no-json=false"),
    kind: "same",
    exit: 2,
    says: "plex-auth: --no-json takes no value."
  },
  // true and false after a space are still the value (as @effect/cli's wizard writes them).
  {
    args: fake("devices", "revoke", "--json", "false", "1"),
    kind: "same",
    exit: 1,
    says: "plex-auth: The account has no device 1"
  },
  { args: fake("token", "transient", "--server", "http://127.0.0.1:1", "--json"), kind: "same" },
  {
    args: fake("login", "--password", "--login", "alice"),
    kind: "same",
    env: withPassword,
    secrets: [password],
    exit: 2
  },
  {
    args: fake("login", "--password", "--login", "alice", "--old-token", "keep", "--json"),
    kind: "same",
    env: { PLEX_PASSWORD: "not-the-password" },
    secrets: ["not-the-password"]
  },
  { args: fake("whoami"), kind: "same", env: { PLEX_AUTH_FAKE: "revoke-token" }, exit: 3 },
  { args: fake("logout", "--json"), kind: "same", exit: 0 },
  { args: fake("logout"), kind: "same" },
  { args: fake("whoami", "--json"), kind: "same" }
]

/** The options each help names, but those Effect 4's help lists and the Effect 3 one leaves out (docs/cli.md). */
const builtIns = ["--help", "--version", "--wizard", "--completions", "--log-level"]
const optionsIn = (text: string): ReadonlyArray<string> =>
  [...new Set(text.match(/--[a-z][a-z0-9-]*/g) ?? [])].filter((name) => !builtIns.includes(name)).sort()

const words = (text: string) => text.replace(/\s+/g, " ")

let work = ""
let results: { readonly 3: ReadonlyArray<Result>; readonly 4: ReadonlyArray<Result> } | undefined
const versions = { 3: "", 4: "" }

/** Each edition's batch runner, bundled (esbuild: a fraction of what tsx takes to start), with its version. */
const bundle = async (edition: 3 | 4): Promise<string> => {
  const outfile = path.join(work, `batch${edition}.mjs`)
  await build({
    entryPoints: [path.join(root, edition === 3 ? "test/bin/batch.ts" : "effect4/test/bin/batch.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: edition === 3 ? "node20" : "node22",
    define: { __PLEX_AUTH_VERSION__: JSON.stringify(versions[edition]) },
    logLevel: "warning",
    banner: {
      js: "import { createRequire as __batchCreateRequire } from 'node:module'; const require = __batchCreateRequire(import.meta.url);"
    }
  })
  return outfile
}

/** Runs the checks through an edition's batch runner, `$D` and `$X` directories of its own. */
const runAll = async (edition: 3 | 4): Promise<ReadonlyArray<Result>> => {
  const home = path.join(work, `e${edition}`)
  await fs.mkdir(home)
  await fs.writeFile(path.join(home, "file"), "not a directory")
  // A configuration directory whose saved token was spoilt by hand (a control character in it).
  await fs.mkdir(path.join(home, "spoilt"))
  await fs.writeFile(
    path.join(home, "spoilt", "store.json"),
    JSON.stringify({ "effect-plex-auth/token": "spoilt\u0007token" })
  )
  const cases: ReadonlyArray<Case> = checks.map((check) => ({
    args: check.args.map((arg) =>
      arg
        .replace("$D", path.join(home, "d"))
        .replace("$X", path.join(home, "x"))
        .replace("$F", path.join(home, "file"))
        .replace("$B", path.join(home, "spoilt"))
    ),
    env: check.env
  }))
  const file = path.join(home, "cases.json")
  await fs.writeFile(file, JSON.stringify(cases))
  const script = await bundle(edition)
  const node = edition === 3 ? process.execPath : systemNodeIsEnough() ? process.execPath : bundledNode
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      node,
      [script, file],
      {
        cwd: home,
        timeout: 120_000,
        maxBuffer: 64 * 2 ** 20,
        env: { PATH: process.env["PATH"] ?? "", HOME: home, XDG_CONFIG_HOME: path.join(home, "xdg") }
      },
      (error, out, err) =>
        error === null ? resolve(out) : reject(new Error(`edition ${edition}: ${error.message}\n${err}`))
    )
    child.stdin?.end()
  })
  // What either edition prints of its own: its directories and its version; and what differs from run
  // to run: the fake's ports, the time a probe took.
  const own = (text: string) =>
    text
      .split(home)
      .join("<home>")
      .split(versions[edition])
      .join("<version>")
      .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
      // A PIN's address and code; the Node version (each edition runs on its own).
      .replace(/(clientID|code)=[^&\s]+/g, "$1=<$1>")
      .replace(/enter the code \S+/g, "enter the code <code>")
      .replace(/The short code is [0-9A-Z]{4}\b/g, "The short code is <code>")
      .replace(/platformVersion%5D=[^&\s]+/g, "platformVersion%5D=<node>")
      .replace(/"(elapsedMillis|millis)": \d+/g, '"$1": 0')
  return (JSON.parse(stdout) as ReadonlyArray<Result>).map((result) => ({
    code: result.code,
    stdout: own(result.stdout),
    stderr: own(result.stderr)
  }))
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "plex-auth-editions-"))
  versions[3] = await packageVersion()
  versions[4] = (
    JSON.parse(await fs.readFile(path.join(root, "effect4", "package.json"), "utf8")) as { version: string }
  ).version
  const [three, four] = await Promise.all([runAll(3), runAll(4)])
  results = { 3: three, 4: four }
}, 300_000)

afterAll(async () => {
  if (work !== "") await fs.rm(work, { recursive: true, force: true })
})

const shown = (result: Result) => `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`

/** A parser's refusal: exit 2, nothing on stdout, one line on stderr (a JSON error under --json). */
const assertParserRefusal = (result: Result, json: boolean, what: string) => {
  assert.strictEqual(result.code, 2, `${what}\n${shown(result)}`)
  assert.strictEqual(result.stdout, "", what)
  const lines = result.stderr.split("\n")
  assert.deepStrictEqual(lines.length, 2, `${what}: one line\n${result.stderr}`)
  assert.strictEqual(lines[1], "", what)
  if (json) {
    const document = JSON.parse(lines[0]!) as { error: { kind: string; exitCode: number; message: string } }
    assert.strictEqual(document.error.kind, "Usage", what)
    assert.strictEqual(document.error.exitCode, 2, what)
  } else {
    assert.match(lines[0]!, /^plex-auth: \S/, what)
  }
}

describe("plex-auth of both editions, the same command lines", { timeout: 60_000 }, () => {
  it("answer alike: exit codes and output (what Effect 4 changes aside), and no secret printed back", () => {
    assert.isDefined(results)
    const problems: Array<string> = []
    checks.forEach((check, i) => {
      const three = results![3][i]!
      const four = results![4][i]!
      const what = `plex-auth ${check.args.join(" ")}`
      try {
        for (const secret of check.secrets ?? []) {
          for (const result of [three, four]) {
            assert.notInclude(`${result.stdout}${result.stderr}`, secret, `${what}: a secret printed`)
          }
        }
        switch (check.kind) {
          case "same":
            assert.deepStrictEqual(four, three, what)
            if (check.exit !== undefined) assert.strictEqual(three.code, check.exit, what)
            if (check.says !== undefined) assert.include(three.stderr, check.says, what)
            if (check.prints !== undefined) assert.strictEqual(three.stdout, check.prints, what)
            break
          case "parser":
            assertParserRefusal(three, check.args.includes("--json"), `${what} (Effect 3)`)
            assertParserRefusal(four, check.args.includes("--json"), `${what} (Effect 4)`)
            if (check.names !== undefined) {
              assert.include(three.stderr, check.names, `${what} (Effect 3)`)
              assert.include(four.stderr, check.names, `${what} (Effect 4)`)
            }
            break
          case "help":
            for (const result of [three, four]) {
              assert.strictEqual(result.code, 0, `${what}\n${shown(result)}`)
              assert.strictEqual(result.stderr, "", what)
              assert.include(words(result.stdout), words(check.description!), what)
              for (const description of check.argumentDescriptions ?? [])
                assert.include(words(result.stdout), words(description), `${what}: an argument's description`)
              // Where the exit codes and the --json documents are described: the last line of both helps.
              assert.strictEqual(
                result.stdout.trimEnd().split("\n").at(-1)?.includes(help.footer),
                true,
                what
              )
            }
            if (check.args[0] === "--help") {
              for (const name of Render.commands) {
                for (const result of [three, four])
                  assert.match(result.stdout, new RegExp(`\\b${name}\\b`), what)
              }
            }
            // The Effect 3 help of a command with subcommands also lists their options.
            if (check.parent === true) {
              const all = optionsIn(three.stdout)
              for (const option of optionsIn(four.stdout)) assert.include(all, option, what)
            } else {
              assert.deepStrictEqual(
                optionsIn(four.stdout),
                [...optionsIn(three.stdout), ...(check.shared ?? [])].sort(),
                what
              )
            }
            break
          case "completions":
            for (const result of [three, four]) {
              assert.strictEqual(result.code, 0, `${what}\n${shown(result)}`)
              assert.strictEqual(result.stderr, "", what)
              assert.include(result.stdout, "plex-auth", what)
            }
            break
          case "refused":
            for (const result of [three, four]) {
              assert.strictEqual(result.code, 2, `${what}\n${shown(result)}`)
              assert.strictEqual(result.stdout, "", what)
              assert.strictEqual(result.stderr.trimEnd().split("\n").length, 1, what)
              assert.include(result.stderr, check.says!, what)
            }
            break
          case "wizard": {
            const last = (result: Result) => result.stderr.trimEnd().split("\n").at(-1)
            assert.strictEqual(four.code, three.code, `${what}\n${shown(three)}\n${shown(four)}`)
            assert.strictEqual(last(four), last(three), what)
            assert.strictEqual(last(three), "plex-auth: stdin ended before the prompt was answered.", what)
            break
          }
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        problems.push(`${message}\n--- Effect 3: ${shown(three)}\n--- Effect 4: ${shown(four)}`)
      }
    })
    assert.strictEqual(problems.join("\n\n"), "")
  })
})
