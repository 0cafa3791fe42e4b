import * as path from "node:path"
import { assert, describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { FakePlex } from "effect-plex-auth/testing"
import { afterAll, beforeAll } from "vitest"
import { buildTimeout, packed } from "../support/packed.js"
import {
  assertExit,
  clientIdKey,
  configDir,
  fake,
  fakeTokenKey,
  noSecretIn,
  plexAuth,
  readStore,
  storeMode,
  useBundle
} from "./run.js"
import { packageVersion } from "../../scripts/cli-bundle.js"
import * as InProcess from "./inProcess.js"
import { it } from "../support/it.js"

// The run's one build (test/support/packed.ts) holds the CLI bundle `npm run build` makes: every test but
// the first (which runs the source with tsx, as `npm run cli` does) starts it.
beforeAll(async () => {
  const { checkout } = await packed()
  useBundle(path.join(checkout, "dist", "bin", "plex-auth.js"))
}, buildTimeout)
afterAll(() => {
  useBundle(undefined)
})

const password = Redacted.value(FakePlex.defaults.password)

/** The version in package.json, which `--version` must print. */
let version: string
beforeAll(async () => {
  version = await packageVersion()
})

// Each run starts a Node process (about a second with tsx): the runs of a
// test are sequential, the tests run side by side. What tests a command
// rather than the binary runs in process (InProcess, as in login.test.ts,
// json.test.ts, features.test.ts): a Node start costs more CPU than the
// command itself.
describe.concurrent("plex-auth", { timeout: 120_000 }, () => {
  it.live("--help, run from source with tsx, lists the commands and the global options", () =>
    Effect.gen(function* () {
      // tsx compiles the CLI on start: seconds on an idle machine, a minute or more under load.
      const run = yield* plexAuth(["--help"], { runner: "tsx", timeoutMillis: 100_000 })
      assertExit(run, 0)
      // From source, the version comes from package.json.
      assert.include(run.stdout, `plex-auth ${version}\n`)
      for (const text of [
        "login",
        "whoami",
        "servers",
        "token transient",
        "logout",
        "--fake",
        "--config-dir",
        "--plex-tv",
        "--auth-app-url"
      ]) {
        assert.include(run.stdout, text)
      }
    })
  )

  // That `--version` of the bundle prints package.json's version, written in by the build: test/package.test.ts
  // ("the plex-auth bundle needs nothing beside it"), which runs the same file where no package.json is.

  // The global options work before the command's name and after it: the
  // session mixes both places (and both at once), with no extra run. The
  // binary signs in (exit 0, the store file written) and, at the end, reads the
  // store it left (exit 3, not logged in); the rest of the session, what the
  // commands print, runs in process.
  it.scoped("a session: PIN login, whoami, servers, a transient token, logout", () =>
    Effect.gen(function* () {
      const dir = yield* configDir

      const login = yield* plexAuth(["login", "--fake", "--config-dir", dir])
      assertExit(login, 0)
      assert.match(login.stderr, /\n {2}http:\/\/127\.0\.0\.1:\d+\/auth#\?clientID=/)
      assert.include(login.stdout, "Logged in as alice (alice@example.com)")
      assert.include(login.stderr, "Waiting for the sign-in to be approved")

      const stored = yield* readStore(dir)
      assert.isDefined(stored)
      const token = stored!.entries[fakeTokenKey]!
      const clientId = stored!.entries[clientIdKey]!
      assert.match(token, /^\S{20}$/)
      assert.match(clientId, /^[0-9a-f-]{36}$/)
      assert.include(login.stderr, `clientID=${clientId}`)
      assert.strictEqual(yield* storeMode(dir), 0o600)
      assert.notInclude(stored!.text, password)
      noSecretIn(login, token)

      const whoami = yield* InProcess.cli(["--config-dir", dir, "whoami", "--fake"])
      assertExit(whoami, 0)
      assert.match(whoami.stdout, /^username\s+alice$/m)
      assert.match(whoami.stdout, /^email\s+alice@example\.com$/m)
      assert.match(whoami.stdout, /^id\s+\d+$/m)
      noSecretIn(whoami, token)

      const servers = yield* InProcess.cli(["--fake", "servers", "--config-dir", dir])
      assertExit(servers, 0)
      assert.include(servers.stdout, FakePlex.defaults.serverName)
      assert.include(servers.stdout, FakePlex.defaults.serverId)
      assert.match(servers.stdout, /connection: http:\/\/127\.0\.0\.1:\d+ \(local, http\), chosen in \d+ ms/)
      assert.match(servers.stdout, /^ {2}\* http:\/\/127\.0\.0\.1:\d+ +local +\d+ ms {2}ok$/m)
      assert.include(servers.stderr, "Probing the connections of 1 server")
      noSecretIn(servers, token)

      const transient = yield* InProcess.cli(["token", "transient", "--config-dir", dir, "--fake"])
      assertExit(transient, 0)
      // The token and nothing else on stdout, so it can be piped.
      assert.match(transient.stdout, /^transient-[0-9a-f-]+\n$/)
      assert.notInclude(transient.stderr, transient.stdout.trim())
      noSecretIn(transient, token)

      const logout = yield* InProcess.fake(dir, ["logout", "--fake", "--config-dir", dir])
      assertExit(logout, 0)
      assert.include(logout.stdout, "Signed out")
      const after = yield* readStore(dir)
      assert.notProperty(after!.entries, fakeTokenKey)
      // Same device to Plex across runs: the client identifier is kept.
      assert.strictEqual(after!.entries[clientIdKey], clientId)

      // The binary again, for the exit code 3 of a real process.
      const loggedOut = yield* fake(dir, ["whoami"])
      assertExit(loggedOut, 3)
      assert.include(loggedOut.stderr, "Not logged in")
      assert.strictEqual(loggedOut.stdout, "")
    })
  )

  it.scoped("login --password asks for the login and, hidden, the password", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const run = yield* fake(dir, ["login", "--password"], {
        answers: [
          { when: /Plex login/, answer: FakePlex.defaults.login },
          { when: /Password/, answer: password }
        ]
      })
      assertExit(run, 0)
      assert.include(run.stdout, "Logged in as alice")
      noSecretIn(run, password)
      const stored = yield* readStore(dir)
      assert.match(stored!.entries[fakeTokenKey]!, /^\S{20}$/)
      assert.notInclude(stored!.text, password)
      assert.strictEqual(yield* storeMode(dir), 0o600)
    })
  )

  it.scoped("usage errors: exit 2", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      // An unknown command, in process: the exit code 2 of a real process is the closed stdin's below.
      const unknown = yield* InProcess.fake(dir, ["frobnicate"])
      assertExit(unknown, 2)

      // A value option given before and after the command must be the same.
      const twice = yield* InProcess.cli([
        "--config-dir",
        `${dir}-other`,
        "whoami",
        "--fake",
        "--config-dir",
        dir
      ])
      assertExit(twice, 2)
      assert.include(twice.stderr, "plex-auth: --config-dir was given twice, with different values.")

      const noInput = yield* fake(dir, ["login", "--password"], { closeStdin: true })
      assertExit(noInput, 2)
      assert.include(noInput.stderr, "stdin ended before the prompt was answered")
    })
  )

  it.scoped(
    "--wizard cancelled with Ctrl-C on a real stdin: exit 130, nothing run (test/bin/wizard.test.ts)",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        const run = yield* fake(dir, ["login", "--wizard"], {
          answers: [{ when: /--password/, answer: "", quit: true }]
        })
        assertExit(run, 130)
        assert.include(run.stderr, "plex-auth: Cancelled.")
        assert.notInclude(run.stdout, "Logged in")
        assert.isUndefined(yield* readStore(dir))
      })
  )
})
