/**
 * `plex-auth login` and the text the CLI prints: what changed for issue 19
 * (flag names, a second login, progress off a terminal, help) and issues 14
 * and 15 (rememberMe, two-factor codes never on the command line, control
 * characters from servers neutralised). Runs the CLI in this process
 * (inProcess.ts) against `--fake`, or against a loopback fake started here
 * (`--plex-tv`), whose requests the test reads.
 */
import * as fs from "node:fs/promises"
import fsPromises from "node:fs/promises"
import { syncBuiltinESMExports } from "node:module"
import * as http from "node:http"
import * as path from "node:path"
import { assert, describe } from "@effect/vitest"
import { it } from "../support/it.js"
import { Cause, Clock, Deferred, Effect, Exit, Fiber, Option, Redacted, TestClock } from "effect"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault, FakePlex } from "effect-plex-auth/testing"
import { Credentials, PinLogin, PlexAuth, PlexError } from "effect-plex-auth"
import { cli, fake } from "./inProcess.js"
import { assertExit, configDir, fakeTokenKey, noSecretIn, readStore, writeStore } from "./run.js"
import {
  letFinish,
  type Lost,
  lostTokenText,
  oldTokenRevocations,
  revokeUnsaved,
  signInThenSave
} from "../../src/bin/internal/commands.js"
import { neverReachedServer } from "../../src/core/policy.js"
import * as Render from "../../src/core/cli/render.js"
import * as Output from "../../src/bin/internal/output.js"
import { hostTag } from "../../src/core/node/store.js"

const password = Redacted.value(FakePlex.defaults.password)

/**
 * `run`, how often it opened `dir`'s store.json (read the credentials file) and how often it replaced it (wrote
 * it): node:fs/promises's `open` and `readFile`, and `rename` onto it, are counted for it, every module's import synced to them (syncBuiltinESMExports, as identity.test.ts
 * replaces os.hostname), then put back.
 */
const storeReads = <A, E, R>(dir: string, run: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const file = path.join(path.resolve(dir), "store.json")
      const original = { open: fsPromises.open, readFile: fsPromises.readFile, rename: fsPromises.rename }
      const counter = { reads: 0, writes: 0 }
      const counted = <F extends (...args: Array<never>) => unknown>(
        f: F,
        at: 0 | 1,
        what: "reads" | "writes"
      ): F =>
        new Proxy(f, {
          apply: (target, self, args: Array<unknown>) => {
            if (String(args[at]) === file) counter[what]++
            return Reflect.apply(target, self, args)
          }
        })
      fsPromises.open = counted(original.open, 0, "reads")
      fsPromises.readFile = counted(original.readFile, 0, "reads")
      // A write replaces the file in one rename (core/node/store.ts).
      fsPromises.rename = counted(original.rename, 1, "writes")
      syncBuiltinESMExports()
      return { original, counter }
    }),
    ({ counter }) => Effect.map(run, (result) => [result, counter.reads, counter.writes] as const),
    ({ original }) =>
      Effect.sync(() => {
        fsPromises.open = original.open
        fsPromises.readFile = original.readFile
        fsPromises.rename = original.rename
        syncBuiltinESMExports()
      })
  )
const tokenKey = "effect-plex-auth/token"

/** A plex.tv stand-in on loopback answering with `handle`; its URL. Closed with the test's scope. */
const loopbackPlexTv = (
  handle: (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void>
) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.promise(
        () =>
          new Promise<http.Server>((resolve) => {
            const server = http.createServer((request, response) => void handle(request, response))
            server.listen(0, "127.0.0.1", () => resolve(server))
          })
      ),
      (server) =>
        Effect.promise(
          () =>
            new Promise<void>((resolve) => {
              server.close(() => resolve())
              server.closeAllConnections()
            })
        )
    ),
    (server) => `http://127.0.0.1:${(server.address() as { readonly port: number }).port}`
  )

/** The sign-in form fields the loopback fake received. */
const signInForms = (server: FakePlexServer.FakePlexServerService) =>
  Effect.map(server.fake.requests, (all) =>
    all.filter((r) => r.route === "postUsersSignInData").map((r) => r.form)
  )

/**
 * plex.tv (the in-memory fake) revokes the token of the next sign-out and answers 200 (its status sent), then not one
 * byte of its body. `reading()`: the client asked for the body (a `pull`, with no read-ahead), which it does once it
 * has the answer's status (as WebSignIn.test.ts's revocation test).
 */
const acceptedWithoutBody = Effect.gen(function* () {
  const fake = yield* FakePlex.FakePlex
  let reading = false
  const body = new ReadableStream<Uint8Array>(
    {
      pull: () => {
        reading = true
        return new Promise<void>(() => {})
      }
    },
    { highWaterMark: 0 }
  )
  yield* FakePlex.fault(
    "signOut",
    Fault.respond((request) =>
      Effect.as(
        fake.revokeToken(request.headers.get("x-plex-token") ?? ""),
        new Response(body, { status: 200, headers: { "content-type": "application/json" } })
      )
    ),
    { times: 1 }
  )
  return { reading: () => reading }
})

describe.concurrent("plex-auth login and output", { timeout: 60_000 }, () => {
  // Revoking the old token (--old-token revoke): a 401 says it is invalid already (as good as revoked); a 403 refuses
  // the account, not the token, which may be valid still: said not revoked, never "revoked".
  it.scoped(
    "login --old-token revoke: a 403 to the old token's sign-out is said, not taken for revoked",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const env = { PLEX_PASSWORD: password }
        const args = [
          "--config-dir",
          dir,
          "--plex-tv",
          server.plexTvUrl,
          "login",
          "--password",
          "--login",
          "alice"
        ]
        assertExit(yield* cli(args, { env }), 0)
        yield* server.fake.fault("signOut", Fault.status(403, { code: 1000, message: "Forbidden here" }))
        const again = yield* cli([...args, "--old-token", "revoke"], { env })
        assertExit(again, 0)
        assert.notInclude(again.stdout, "The old token is revoked.")
        assert.include(again.stdout + again.stderr, "Could not revoke the old token")
        assert.include(again.stdout + again.stderr, "HTTP 403")
      })
  )

  // Someone else revoked the old token (another login, a sign-out on plex.tv's site) after login checked it: plex.tv
  // refuses it as invalid (401, or 422 as plex.tv answers a signed-out token) when asked to revoke it. login says what
  // is true, that it was no longer valid, not that it revoked it; its JSON says `invalid`, as for a token refused before.
  it.scoped(
    "login --old-token revoke: an old token plex.tv refuses as invalid is said no longer valid, not revoked",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const env = { PLEX_PASSWORD: password }
        const args = [
          "--config-dir",
          dir,
          "--plex-tv",
          server.plexTvUrl,
          "login",
          "--password",
          "--login",
          "alice"
        ]
        assertExit(yield* cli(args, { env }), 0)
        yield* server.fake.fault(
          "signOut",
          Fault.status(401, { code: 1001, message: "User could not be authenticated" })
        )
        const again = yield* cli([...args, "--old-token", "revoke"], { env })
        assertExit(again, 0)
        assert.notInclude(again.stdout + again.stderr, "The old token is revoked.")
        assert.notInclude(again.stdout + again.stderr, "Could not revoke")
        assert.include(
          again.stderr,
          "The old token was no longer valid (plex.tv refused it): there was nothing to revoke."
        )
        yield* server.fake.fault("signOut", Fault.status(422, { code: 1001, message: "Invalid token" }))
        const json = yield* cli([...args, "--old-token", "revoke", "--json"], { env })
        assertExit(json, 0)
        assert.strictEqual(JSON.parse(json.stdout).previous, "invalid")
        assert.include(
          json.stderr,
          "The old token was no longer valid (plex.tv refused it): there was nothing to revoke."
        )
      })
  )

  it.scoped(
    "login --password: a 403 at the sign-in is said as plex.tv refusing it, not as a wrong password",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const env = { PLEX_PASSWORD: password }
        yield* server.fake.fault(
          "postUsersSignInData",
          Fault.status(403, { code: 1000, message: "Not allowed from here" }),
          { times: 1 }
        )
        const run = yield* cli(
          ["--config-dir", dir, "--plex-tv", server.plexTvUrl, "login", "--password", "--login", "alice"],
          { env }
        )
        assertExit(run, 3)
        assert.include(
          run.stderr,
          "plex-auth: Sign-in failed: plex.tv refused it (HTTP 403, Plex code 1000: Not allowed from here). A 403 refuses what an account may not do, or is a proxy's: it does not say the login or password is wrong."
        )
        assert.notInclude(run.stderr, "wrong login or password")
        noSecretIn(run, password)
        assert.notProperty((yield* readStore(dir))?.entries ?? {}, fakeTokenKey)
      })
  )

  it.scoped(
    "login --password asks for a long-lived session (rememberMe=true); --no-remember-me does not",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const env = { PLEX_PASSWORD: password }
        const args = [
          "--config-dir",
          dir,
          "--plex-tv",
          server.plexTvUrl,
          "login",
          "--password",
          "--login",
          "alice"
        ]
        assertExit(yield* cli(args, { env }), 0)
        assertExit(yield* cli([...args, "--no-remember-me", "--old-token", "keep"], { env }), 0)
        const forms = yield* signInForms(server)
        assert.deepStrictEqual(
          forms.map((form) => form?.["rememberMe"]),
          ["true", "false"]
        )
        const pin = yield* cli(["--config-dir", dir, "--fake", "login", "--no-remember-me"])
        assertExit(pin, 2)
        assert.include(pin.stderr, "--no-remember-me goes with --password")
      })
  )

  it.scoped("the two-factor code comes from PLEX_2FA_CODE or the prompt, never the command line", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.make({ accounts: [{ twoFactorCode: "424242" }] })
      const dir = yield* configDir
      const args = [
        "--config-dir",
        dir,
        "--plex-tv",
        server.plexTvUrl,
        "login",
        "--password",
        "--login",
        "alice"
      ]
      const fromEnv = yield* cli(args, { env: { PLEX_PASSWORD: password, PLEX_2FA_CODE: "424242" } })
      assertExit(fromEnv, 0)
      assert.notInclude(fromEnv.stderr, "Two-factor code")
      const [form] = yield* signInForms(server)
      assert.strictEqual(Redacted.value(form?.["verificationCode"] as Redacted.Redacted<string>), "424242")

      const onCommandLine = yield* cli([...args, "--code-2fa", "424242"], {
        env: { PLEX_PASSWORD: password }
      })
      assertExit(onCommandLine, 2)
      assert.include(onCommandLine.stderr, "--code-2fa is not accepted")
      assert.include(onCommandLine.stderr, "PLEX_2FA_CODE")
      assert.lengthOf(yield* signInForms(server), 1, "nothing sent")
    })
  )

  it.scoped(
    "a two-factor code in groups, as authenticator apps show it, signs in: sent as its six digits",
    () =>
      Effect.gen(function* () {
        // Before, "424 242" went to plex.tv as typed and the fake refused it (exit 3, a wrong code).
        const server = yield* FakePlexServer.make({ accounts: [{ twoFactorCode: "424242" }] })
        const args = ["--plex-tv", server.plexTvUrl, "login", "--password", "--login", "alice"]
        for (const typed of ["424 242", "424-242"]) {
          const run = yield* cli(["--config-dir", yield* configDir, ...args], {
            env: { PLEX_PASSWORD: password, PLEX_2FA_CODE: typed }
          })
          assertExit(run, 0)
        }
        const sent = (yield* signInForms(server)).map((form) =>
          Redacted.value(form?.["verificationCode"] as Redacted.Redacted<string>)
        )
        assert.deepStrictEqual(sent, ["424242", "424242"])
      })
  )

  it.scoped(
    "--fake: the PIN link is the fake's own sign-in page, not app.plex.tv's, and says the fake approves it",
    () =>
      Effect.gen(function* () {
        // Approved at its first check: the link and the line above it are what this tests, not the wait (the CLI's
        // own second is waited in "progress is printed once" below and by plex-auth.test.ts's built binary).
        const run = yield* cli(["--fake", "--config-dir", yield* configDir, "login"], {
          fakeApprovesAfter: 0
        })
        assertExit(run, 0)
        // app.plex.tv knows nothing of the fake's PINs: the link is the fake's own sign-in page; the fake approves it.
        assert.notInclude(run.stderr, "app.plex.tv")
        assert.match(run.stderr, /^The fake approves this PIN by itself in a moment: no browser needed\./m)
        assert.match(run.stderr, /\n {2}http:\/\/127\.0\.0\.1:\d+\/auth#\?clientID=[^\n]*code=/)
        // The link and what to do are instructions, on stderr: stdout is the result alone, for a script capturing it.
        assert.match(
          run.stdout,
          /^Logged in as alice \(alice@example\.com\)\. The token is saved in [^\n]*\.\n$/
        )
        // PLEX_AUTH_FAKE=expire-pin: the fake does not approve it, and says so. Its PIN lives 1.5 s, not the CLI's
        // 2 (the line and link are what this tests; the built binary waits the 2 s out in docs.test.ts's expire-pin).
        const expiring = yield* cli(["--fake", "--config-dir", yield* configDir, "login"], {
          env: { PLEX_AUTH_FAKE: "expire-pin" },
          fakePinsExpireAfter: "1500 millis"
        })
        assertExit(expiring, 4)
        assert.notInclude(expiring.stderr, "app.plex.tv")
        // The lifetime said is the fake's own (1.5 s here), not the CLI's default 2 s as fixed text.
        assert.include(
          expiring.stderr,
          "The fake does not approve this PIN by itself (PLEX_AUTH_FAKE=expire-pin: it expires after 1.5 seconds)."
        )
        assert.match(expiring.stderr, /\n {2}http:\/\/127\.0\.0\.1:\d+\/auth#\?clientID=/)
      })
  )

  it.scoped("--link-code shows the short code; the old --code says what it became", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const run = yield* cli(["--fake", "--config-dir", dir, "login", "--link-code"], {
        fakeApprovesAfter: 0
      })
      assertExit(run, 0)
      // plex.tv/link is named for the real plex.tv only: the fake has no page for the code, only the API.
      assert.match(run.stderr, /^The short code is [0-9A-Z]{4}\. The fake has no page to type it at /m)
      assert.include(run.stderr, "PUT /api/v2/pins/link")
      assert.notInclude(run.stderr, "go to https://plex.tv/link")
      // Another plex.tv (--plex-tv, here a fake started apart, as `plex-auth fake-server` runs): named by its origin.
      const server = yield* FakePlexServer.make({ autoApprovePins: true })
      const other = yield* cli([
        "--config-dir",
        yield* configDir,
        "--plex-tv",
        server.plexTvUrl,
        "login",
        "--link-code"
      ])
      assertExit(other, 0)
      assert.match(
        other.stderr,
        new RegExp(`^The short code is [0-9A-Z]{4}, made at ${server.plexTvUrl}, not plex\\.tv `, "m")
      )
      assert.notInclude(other.stderr, "go to https://plex.tv/link")
      const old = yield* cli(["--fake", "--config-dir", dir, "login", "--code"])
      assertExit(old, 2)
      assert.include(old.stderr, "--code is now --link-code")
    })
  )

  it.scoped(
    "login: the PIN link points at --auth-app-url (else PLEX_AUTH_APP_URL); a bad one is a usage error before any request",
    () =>
      Effect.gen(function* () {
        // The fake approves each PIN at once; its approval page is at <plexTvUrl>/auth.
        const server = yield* FakePlexServer.make({ autoApprovePins: true })
        const page = `${server.plexTvUrl}/auth`
        const dir = yield* configDir
        const byOption = yield* cli([
          "--config-dir",
          dir,
          "--plex-tv",
          server.plexTvUrl,
          "--auth-app-url",
          `${page}/`,
          "login"
        ])
        assertExit(byOption, 0)
        assert.include(byOption.stderr, `\n  ${page}#?clientID=`)
        assert.notInclude(byOption.stderr, "app.plex.tv")
        // The variable, with the other global options after the command's name.
        const byVariable = yield* cli(
          ["login", "--config-dir", yield* configDir, "--plex-tv", server.plexTvUrl],
          {
            env: { PLEX_AUTH_APP_URL: page }
          }
        )
        assertExit(byVariable, 0)
        assert.include(byVariable.stderr, `\n  ${page}#?clientID=`)
        assert.notInclude(byVariable.stderr, "app.plex.tv")
        // A bad value: a usage error in the library's words, naming the option or the variable, before any request.
        const sent = (yield* server.fake.requests).length
        const query = yield* cli([
          "--config-dir",
          yield* configDir,
          "--plex-tv",
          server.plexTvUrl,
          "login",
          "--auth-app-url",
          `${page}?x=1`
        ])
        assertExit(query, 2)
        assert.include(
          query.stderr,
          "plex-auth: Invalid --auth-app-url URL: must not have a query string or fragment."
        )
        const scheme = yield* cli(
          ["--config-dir", yield* configDir, "--plex-tv", server.plexTvUrl, "login"],
          {
            env: { PLEX_AUTH_APP_URL: "ftp://plex.example/auth" }
          }
        )
        assertExit(scheme, 2)
        assert.include(
          scheme.stderr,
          "plex-auth: Invalid PLEX_AUTH_APP_URL: must use http or https, not ftp."
        )
        assert.strictEqual((yield* server.fake.requests).length, sent)
        // --fake has its own fake (and ignores the variable, as PLEX_TV_URL).
        const withFake = yield* cli([
          "--fake",
          "--config-dir",
          yield* configDir,
          "--auth-app-url",
          page,
          "login"
        ])
        assertExit(withFake, 2)
        assert.include(withFake.stderr, "--auth-app-url cannot be combined with --fake.")
        const fakeVariable = yield* cli(["--fake", "--config-dir", yield* configDir, "login"], {
          env: { PLEX_AUTH_APP_URL: "ftp://plex.example/auth" },
          // The link is what this tests, not the fake's wait: approved at its first check.
          fakeApprovesAfter: 0
        })
        assertExit(fakeVariable, 0)
        assert.match(fakeVariable.stderr, /\n {2}http:\/\/127\.0\.0\.1:\d+\/auth#\?clientID=/)
        // Set empty or blank, the variable counts as unset (as PLEX_TV_URL): app.plex.tv's link, not a usage error.
        for (const blank of ["", " "]) {
          const unset = yield* cli(
            ["--config-dir", yield* configDir, "--plex-tv", server.plexTvUrl, "login"],
            {
              env: { PLEX_AUTH_APP_URL: blank }
            }
          )
          assertExit(unset, 0)
          assert.include(unset.stderr, "\n  https://app.plex.tv/auth#?clientID=")
        }
      })
  )

  it.scoped("an invalid input names the flag or variable, not the API field", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const run = yield* cli(["--config-dir", dir, "--plex-tv", "ftp://plex.example", "whoami"])
      assertExit(run, 2)
      assert.include(run.stderr, "Invalid --plex-tv URL")
      const code = yield* cli(["--fake", "--config-dir", dir, "login", "--password", "--login", "alice"], {
        env: { PLEX_PASSWORD: password, PLEX_2FA_CODE: "12\u0007" }
      })
      assertExit(code, 2)
      assert.include(code.stderr, "plex-auth: Invalid PLEX_2FA_CODE:")
      assert.notInclude(code.stderr, "verificationCode")
    })
  )

  it.scoped("an invalid --login is refused first: no request, no question, no password prompt", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const server = yield* FakePlexServer.make()
      const args = ["--config-dir", dir, "--plex-tv", server.plexTvUrl, "login", "--password"]
      assertExit(yield* cli([...args, "--login", "alice"], { env: { PLEX_PASSWORD: password } }), 0)
      const sent = (yield* server.fake.requests).length
      for (const [login, reason] of [
        [" ", "must not be empty"],
        ["al\u0007ice", "must not contain control characters"]
      ] as const) {
        // Not the saved token checked with plex.tv, "Already logged in", the question about it, then the password.
        const refused = yield* cli([...args, "--login", login], { closeStdin: true })
        assertExit(refused, 2)
        assert.strictEqual(refused.stderr.trim(), `plex-auth: Invalid --login: ${reason}.`)
        assert.strictEqual((yield* server.fake.requests).length, sent)
      }
    })
  )

  it.scoped("login when already logged in says so; --old-token revoke revokes, keep keeps", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      // Four PIN sign-ins: the fake approves each at its first check (the wait is not what this tests; the
      // CLI's own second is, in "progress is printed once" below and in plex-auth.test.ts's built binary).
      const fake = (args: ReadonlyArray<string>, options?: Parameters<typeof cli>[1]) =>
        cli(["--fake", "--config-dir", dir, ...args], { fakeApprovesAfter: 0, ...options })
      assertExit(yield* fake(["login"]), 0)
      const first = (yield* readStore(dir))!.entries[fakeTokenKey]!

      // No choice and no one to ask: it stops before signing in, naming the flag.
      const unattended = yield* fake(["login"], { closeStdin: true })
      assertExit(unattended, 2)
      assert.include(unattended.stderr, "Already logged in as alice (alice@example.com).")
      assert.include(unattended.stderr, "--old-token revoke or --old-token keep")
      assert.strictEqual((yield* readStore(dir))!.entries[fakeTokenKey], first)

      // Asked: yes revokes it.
      const asked = yield* fake(["login"], { answers: [{ when: /revoke the old token/, answer: "y" }] })
      assertExit(asked, 0)
      assert.include(asked.stdout, "The old token is revoked.")
      const second = (yield* readStore(dir))!.entries[fakeTokenKey]!
      assert.notStrictEqual(second, first)

      const kept = yield* fake(["login", "--old-token", "keep"])
      assertExit(kept, 0)
      assert.include(kept.stdout, "The old token is still valid")
      const third = (yield* readStore(dir))!.entries[fakeTokenKey]!
      assert.notStrictEqual(third, second)

      // A saved token plex.tv refuses is not a login: no question.
      yield* writeStore(dir, { [fakeTokenKey]: "cliTestRevokedToken1" })
      const stale = yield* fake(["login"], { env: { PLEX_AUTH_FAKE: "revoke-token" }, closeStdin: true })
      assertExit(stale, 0)
      assert.include(stale.stderr, "The saved token is no longer valid")
    })
  )

  it.scoped("progress is printed once when stderr is not a terminal", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const run = yield* cli(["--fake", "--config-dir", dir, "login"])
      assertExit(run, 0)
      const waiting = run.stderr.split("\n").filter((line) => line.includes("Waiting for the sign-in"))
      assert.deepStrictEqual(waiting, ["Waiting for the sign-in to be approved..."])
      assert.notInclude(run.stderr, "\r")
      assert.notInclude(run.stderr, "\x1b")
    })
  )

  it.live("help: no built-ins, no filler, usage as typed, no colour off a terminal", () =>
    Effect.gen(function* () {
      const root = yield* cli(["--help"])
      assertExit(root, 0)
      for (const text of [
        "--wizard",
        "--completions",
        "--log-level",
        "A true or false value.",
        "A user-defined piece of text.",
        "This setting is optional."
      ]) {
        assert.notInclude(root.stdout, text)
      }
      assert.include(root.stdout, "fake-server")
      assert.include(root.stdout, "--json")
      assert.notInclude(root.stdout, "\x1b")
      assert.match(root.stdout, /^plex-auth \[--fake\]/m)

      const login = yield* cli(["login", "--help"])
      assert.match(login.stdout, /^plex-auth login \[--password\]/m)
      assert.notMatch(login.stdout, /^\$ /m)
      const transient = yield* cli(["token", "transient", "--help"])
      assert.match(transient.stdout, /^plex-auth token transient \[--server url-or-name\]/m)
      assert.notInclude(transient.stdout, "This option can be set from environment variables.")
      // --allow-origin may be left out (repeated zero or more times): bracketed, as every optional option.
      const fakeServer = yield* cli(["fake-server", "--help"])
      assert.match(
        fakeServer.stdout,
        /^plex-auth fake-server \[--approve-pins-after seconds\] \[--port n\] \[--allow-origin origin\]\.\.\. \[--json\]$/m
      )
      // In the root's table of commands too, the descriptions still aligned.
      const rows = root.stdout.split("\n").filter((line) => /^ {2}- (fake-server|logout) /.test(line))
      assert.strictEqual(rows.length, 2)
      assert.include(rows[1], "[--allow-origin origin]...")
      assert.strictEqual(rows[0]!.indexOf("Sign out"), rows[1]!.indexOf("Run the fake Plex"))

      // The built-ins still work when asked for.
      const completions = yield* cli(["--completions", "bash"])
      assertExit(completions, 0)
      assert.include(completions.stdout, "plex-auth")
      // A shell it has no script for: said in the CLI's words, with the shells it has (as the Effect 4 CLI).
      for (const shell of ["bogus", "powershell"]) {
        const unknown = yield* cli(["--completions", shell])
        assertExit(unknown, 2)
        assert.strictEqual(
          unknown.stderr,
          `plex-auth: Invalid --completions ${shell}: expected one of bash, zsh, fish, sh.\n`
        )
      }
    })
  )

  it("colour only on a terminal without NO_COLOR; colour codes and control sequences taken out otherwise", () => {
    assert.isTrue(Output.colourAllowed({ isTTY: true }, {}))
    assert.isTrue(Output.colourAllowed({ isTTY: true }, { NO_COLOR: "" }))
    assert.isFalse(Output.colourAllowed({ isTTY: true }, { NO_COLOR: "1" }))
    assert.isFalse(Output.colourAllowed({ isTTY: false }, {}))
    assert.strictEqual(Output.plain("\x1b[0;1mUSAGE\x1b[0m\x1b[1G", { isTTY: true }), "USAGE\x1b[1G")
    assert.strictEqual(Output.plain("\x1b[0;1mUSAGE\x1b[0m\x1b[1G", { isTTY: false }), "USAGE")
  })

  it("neutralise shows control characters instead of letting them act; printable text is unchanged", () => {
    assert.strictEqual(Output.neutralise("ali\x1b[31mce"), "ali\\x1b[31mce")
    assert.strictEqual(Output.neutralise("a\rb\nc\x07\x9b"), "a\\x0db\\x0ac\\x07\\x9b")
    assert.strictEqual(Output.neutralise("evil\u202egnp.exe"), "evil\\u202egnp.exe")
    assert.strictEqual(Output.neutralise("Élodie's 🎬 Plex — Salon"), "Élodie's 🎬 Plex — Salon")
  })

  it.scoped(
    "control characters in a user name or a server name are printed harmless (whoami, servers, login)",
    () =>
      Effect.gen(function* () {
        const hostileUser = "ali\x1b[2J\x1b]0;pwned\x07ce"
        const hostileServer = "Living\x1b[31m Room\rFAKE"
        const server = yield* FakePlexServer.make({
          accounts: [{ username: hostileUser, token: "cliTestHostileToken1" }],
          servers: [{ name: hostileServer }]
        })
        const dir = yield* configDir
        yield* writeStore(dir, { [tokenKey]: "cliTestHostileToken1" })
        const run = (args: ReadonlyArray<string>) =>
          cli(["--config-dir", dir, "--plex-tv", server.plexTvUrl, ...args])
        const whoami = yield* run(["whoami"])
        assertExit(whoami, 0)
        const servers = yield* run(["servers"])
        assertExit(servers, 0)
        for (const output of [whoami, servers]) {
          assert.notMatch(output.stdout + output.stderr, /[\x07\x1b\r]/)
        }
        assert.include(whoami.stdout, "ali\\x1b[2J\\x1b]0;pwned\\x07ce")
        assert.include(servers.stdout, "Living\\x1b[31m Room\\x0dFAKE")
        // --json keeps the data exact (JSON escapes it).
        const json = yield* run(["whoami", "--json"])
        assert.strictEqual(JSON.parse(json.stdout).username, hostileUser)
        assert.notInclude(json.stdout, "\x1b")
      })
  )

  // plex.tv refuses a token with 401 (422 "Invalid token", 498): invalid already, forgotten. A 403 refuses the account
  // what it may not do (or is a proxy's), not the token: forgetting it unrevoked would leave it valid, held by no one.
  it.scoped(
    "logout: a token plex.tv refuses (401) is forgotten as invalid; a 403 keeps it, exit 3, said",
    () =>
      Effect.gen(function* () {
        for (const status of [401, 403]) {
          const dir = yield* configDir
          yield* writeStore(dir, { [tokenKey]: "saved-token" })
          const url = yield* loopbackPlexTv(async (request, response) => {
            const signOut = request.method === "DELETE" && request.url?.startsWith("/api/v2/users/signout")
            response
              .writeHead(signOut ? status : 404, { "content-type": "application/json" })
              .end(JSON.stringify({ errors: [{ code: 1000, message: "Forbidden here" }] }))
          })
          const logout = yield* cli(["--config-dir", dir, "--plex-tv", url, "logout"])
          const saved = (yield* readStore(dir))?.entries[tokenKey]
          if (status === 401) {
            assertExit(logout, 0)
            assert.include(logout.stdout, "already invalid")
            assert.isUndefined(saved)
          } else {
            assertExit(logout, 3)
            assert.include(logout.stderr, "plex.tv refused to revoke the saved token (HTTP 403")
            assert.include(logout.stderr, "The token is still saved")
            // Not failureOf's advice for a 403: a login would replace the token the user asked to revoke.
            assert.notInclude(logout.stderr, "Sign in as")
            assert.strictEqual(saved, "saved-token")
          }
        }
      })
  )

  // Ctrl-C once plex.tv accepted the revocation (a 2xx, its body not in yet): the token is revoked (as PlexAuth.signOut
  // counts it), yet logout ended before it forgot it, leaving the store holding a revoked token, and said nothing of it.
  it.scoped(
    "logout: Ctrl-C once plex.tv accepted the revocation (2xx, its body not in): the revoked token is forgotten all the same, and said so",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        yield* writeStore(dir, { [tokenKey]: "saved-token" })
        let revoked = false
        const url = yield* loopbackPlexTv(async (request, response) => {
          if (request.method === "DELETE" && request.url?.startsWith("/api/v2/users/signout")) {
            revoked = true
            response.writeHead(200, { "content-type": "application/json" }).end("{}")
          } else response.writeHead(404).end()
        })
        // The CLI's fetch (FetchHttpClient's Fetch), for this plex.tv's sign-out: the answer's status and headers
        // handed on, its body never (`reading`: the client asked for it, its status in).
        const reading = yield* Deferred.make<void>()
        const fetching: typeof globalThis.fetch = async (input, init) => {
          const response = await globalThis.fetch(input, init)
          const target = input instanceof Request ? input.url : String(input)
          if (!target.startsWith(`${url}/api/v2/users/signout`)) return response
          const body = new ReadableStream<Uint8Array>(
            {
              pull: () => {
                Effect.runSync(Deferred.succeed(reading, undefined))
                return new Promise<void>(() => {})
              }
            },
            { highWaterMark: 0 }
          )
          return new Response(body, { status: response.status, headers: response.headers })
        }
        let stderr = ""
        const logout = yield* Effect.fork(
          Effect.provideService(
            cli(["--config-dir", dir, "--plex-tv", url, "logout"], {
              onStderr: (text) => void (stderr += text)
            }),
            FetchHttpClient.Fetch,
            fetching
          )
        )
        yield* Deferred.await(reading)
        assert.isTrue(revoked, "plex.tv revoked the token")
        logout.unsafeInterruptAsFork(logout.id())
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(logout)))
        assert.isUndefined((yield* readStore(dir))?.entries[tokenKey], "the revoked token is forgotten")
        assert.include(stderr, Render.logoutInterruptedText(undefined))
      })
  )

  // Ctrl-C once another origin a redirect led to (without the token) answered 2xx, its body not in: that 2xx revoked
  // nothing (PlexAuth.signOut fails it Unexpected, Redirect), so the token stays saved, not said revoked.
  it.scoped(
    "logout: Ctrl-C once another origin a redirect led to answered 2xx: not revoked, the token stays saved",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        yield* writeStore(dir, { [tokenKey]: "saved-token" })
        // Another origin, where plex.tv's 307 sends the revocation (without the token): its 2xx revokes nothing.
        const elsewhere = yield* loopbackPlexTv(async (_request, response) => {
          response.writeHead(200, { "content-type": "application/json" }).end("{}")
        })
        const url = yield* loopbackPlexTv(async (request, response) => {
          if (request.method === "DELETE" && request.url?.startsWith("/api/v2/users/signout")) {
            response.writeHead(307, { location: `${elsewhere}/signout` }).end()
          } else response.writeHead(404).end()
        })
        // The CLI's fetch: the other origin's answer handed on without its body (`reading`: its status in).
        const reading = yield* Deferred.make<void>()
        const fetching: typeof globalThis.fetch = async (input, init) => {
          const response = await globalThis.fetch(input, init)
          const target = input instanceof Request ? input.url : String(input)
          if (!target.startsWith(elsewhere)) return response
          const body = new ReadableStream<Uint8Array>(
            {
              pull: () => {
                Effect.runSync(Deferred.succeed(reading, undefined))
                return new Promise<void>(() => {})
              }
            },
            { highWaterMark: 0 }
          )
          return new Response(body, { status: response.status, headers: response.headers })
        }
        let stderr = ""
        const logout = yield* Effect.fork(
          Effect.provideService(
            cli(["--config-dir", dir, "--plex-tv", url, "logout"], {
              onStderr: (text) => void (stderr += text)
            }),
            FetchHttpClient.Fetch,
            fetching
          )
        )
        yield* Deferred.await(reading)
        logout.unsafeInterruptAsFork(logout.id())
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(logout)))
        assert.strictEqual((yield* readStore(dir))?.entries[tokenKey], "saved-token")
        assert.notInclude(stderr, "revoked and forgotten")
      })
  )

  // Ctrl-C before plex.tv answered the revocation: nothing says it revoked the token, which stays saved.
  it.scoped("logout: Ctrl-C before plex.tv answers the revocation keeps the token saved", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      yield* writeStore(dir, { [tokenKey]: "saved-token" })
      const reached = yield* Deferred.make<void>()
      const url = yield* loopbackPlexTv(async (request, response) => {
        if (request.method === "DELETE" && request.url?.startsWith("/api/v2/users/signout")) {
          Effect.runSync(Deferred.succeed(reached, undefined))
        } else response.writeHead(404).end()
      })
      let stderr = ""
      const logout = yield* Effect.fork(
        cli(["--config-dir", dir, "--plex-tv", url, "logout"], { onStderr: (text) => void (stderr += text) })
      )
      yield* Deferred.await(reached)
      logout.unsafeInterruptAsFork(logout.id())
      assert.isTrue(Exit.isInterrupted(yield* Fiber.await(logout)))
      assert.strictEqual((yield* readStore(dir))?.entries[tokenKey], "saved-token")
      assert.notInclude(stderr, "revoked")
    })
  )

  it.scoped(
    "logout leaves a token another process saved while plex.tv was asked to sign out: only the token it signed out is forgotten",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        yield* writeStore(dir, { [tokenKey]: "saved-token" })
        // plex.tv on loopback: while it answers the sign-out, another process sharing the store (an app that signed
        // in again) saves a token of its own.
        const url = yield* loopbackPlexTv(async (request, response) => {
          if (request.method === "DELETE" && request.url?.startsWith("/api/v2/users/signout")) {
            const entries = JSON.parse(await fs.readFile(path.join(dir, "store.json"), "utf8"))
            await fs.writeFile(
              path.join(dir, "store.json"),
              JSON.stringify({ ...entries, [tokenKey]: "app-token" }),
              { mode: 0o600 }
            )
            response.writeHead(204).end()
          } else response.writeHead(404).end()
        })
        const logout = yield* cli(["--config-dir", dir, "--plex-tv", url, "logout"])
        assertExit(logout, 0)
        assert.strictEqual((yield* readStore(dir))!.entries[tokenKey], "app-token")
      })
  )
})

// What a failed sign-in or check prints and its exit code (test/bin/plex-auth.test.ts runs the built
// CLI for the exit codes 0, 2 and 3 of a real process).
describe.concurrent("plex-auth failed sign-ins and checks", { timeout: 60_000 }, () => {
  it.scoped(
    "a global option or --log-level given twice: taken once when the same (as by the Effect 4 CLI), refused naming it when not",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        // @effect/cli said "Invalid subcommand" to a global option given twice before the command.
        for (const args of [
          ["--fake", "--fake", "--config-dir", dir, "whoami"],
          ["--fake", "--config-dir", dir, "--config-dir", dir, "whoami"],
          ["--fake", "--config-dir", dir, "--log-level", "debug", "whoami", "--log-level=debug"]
        ]) {
          const run = yield* cli(args)
          assertExit(run, 3)
          assert.include(run.stderr, "Not logged in", args.join(" "))
        }
        // @effect/cli took the first of two levels and said nothing.
        for (const args of [
          ["--log-level", "debug", "--log-level", "info", "whoami"],
          ["--log-level", "debug", "whoami", "--log-level", "info"]
        ]) {
          const run = yield* fake(dir, args)
          assertExit(run, 2)
          assert.strictEqual(run.stderr, "plex-auth: --log-level was given twice, with different values.\n")
          assert.strictEqual(run.stdout, "")
        }
        const values = yield* cli(["--config-dir", dir, "--config-dir", `${dir}-other`, "whoami"])
        assertExit(values, 2)
        assert.strictEqual(values.stderr, "plex-auth: --config-dir was given twice, with different values.\n")
      })
  )

  it.scoped("a wrong password: exit 3, said so, nothing saved", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const run = yield* fake(dir, ["login", "--password", "--login", "alice"], {
        answers: [{ when: /Password/, answer: "not-the-password" }]
      })
      assertExit(run, 3)
      assert.include(run.stderr, "plex-auth: Sign-in failed: wrong login or password.")
      noSecretIn(run, "not-the-password")
      // Off a terminal (stdin a pipe) the prompt is one line asked and one answered, not redrawn onto its line at
      // every key read (core/cli/render.ts promptDisplay).
      // The answer's last frame shows neither the password nor its length (core/cli/render.ts hiddenAnswerText), not
      // one `*` a character.
      assert.match(run.stderr, /^\? Password › \n✔ Password … \(hidden\)\n/m)
      assert.notInclude(run.stderr, "*")
      assert.lengthOf(run.stderr.match(/Password ›/g) ?? [], 1)
      const stored = yield* readStore(dir)
      assert.notProperty(stored?.entries ?? {}, fakeTokenKey)
    })
  )

  it.scoped("a two-factor account: the code is asked for, then accepted", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const run = yield* fake(dir, ["login", "--password", "--login", "alice"], {
        env: { PLEX_AUTH_FAKE: "two-factor", PLEX_PASSWORD: password },
        answers: [{ when: /Two-factor code/, answer: "123456" }]
      })
      assertExit(run, 0)
      assert.include(run.stdout, "Logged in as alice")
      assert.notInclude(run.stderr, "Password")
      noSecretIn(run, password, "123456")
      assert.isDefined((yield* readStore(dir))!.entries[fakeTokenKey])
    })
  )

  it.scoped("a wrong two-factor code: exit 3, said so", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const run = yield* fake(dir, ["login", "--password", "--login", "alice"], {
        env: { PLEX_AUTH_FAKE: "two-factor", PLEX_PASSWORD: password, PLEX_2FA_CODE: "000000" }
      })
      assertExit(run, 3)
      assert.include(
        run.stderr,
        "plex-auth: The two-factor code was not accepted: run `plex-auth login --password` again with the current code (or a backup code), at the prompt or in PLEX_2FA_CODE."
      )
      assert.notProperty((yield* readStore(dir))?.entries ?? {}, fakeTokenKey)
    })
  )

  it.scoped("a PIN that expires before it is approved: exit 4", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      // Global options between the command's own ones. The PIN lives 1.5 s, not the CLI's 2 (what login says and
      // exits with once it expired is what this tests; the built binary waits the 2 s out in docs.test.ts).
      const run = yield* cli(["login", "--fake", "--link-code", "--config-dir", dir], {
        env: { PLEX_AUTH_FAKE: "expire-pin" },
        fakePinsExpireAfter: "1500 millis"
      })
      assertExit(run, 4)
      assert.match(run.stderr, /The short code is [0-9A-Z]{4}\b/)
      // Expired (the CLI's deadline, expiresIn rounded down, comes first), or NotFound should a check sent just before it
      // reach the fake after the PIN's 1.5 s (a stalled process): each reason in its own true words.
      assert.match(
        run.stderr,
        /plex-auth: (The PIN expired before it was approved|plex\.tv no longer knows the PIN \(it expired there or was removed\))\./
      )
      // Expired: nothing said of approving it (Render.pinWaitFailedText).
      assert.notInclude(run.stderr, "can still be approved")
      assert.notProperty((yield* readStore(dir))?.entries ?? {}, fakeTokenKey)
    })
  )

  it.scoped(
    "whoami with a revoked token: exit 3, worded as devices and home word it; with plex.tv unreachable: exit 5",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        yield* writeStore(dir, { [fakeTokenKey]: "cliTestSavedToken001" })

        const revoked = yield* fake(dir, ["whoami"], { env: { PLEX_AUTH_FAKE: "revoke-token" } })
        assertExit(revoked, 3)
        // One wording for a refused saved token, whichever command met it (core/cli/failure.ts failureOf).
        assert.match(
          revoked.stderr,
          /^plex-auth: Plex refused the saved token \(HTTP \d{3}[^)]*\)\. Run `plex-auth login` to sign in again\.$/m
        )
        for (const args of [["devices"], ["home"]]) {
          const other = yield* fake(dir, args, { env: { PLEX_AUTH_FAKE: "revoke-token" } })
          assertExit(other, 3)
          assert.strictEqual(other.stderr, revoked.stderr, args.join(" "))
        }

        const offline = yield* fake(dir, ["whoami"], { env: { PLEX_AUTH_FAKE: "offline" } })
        assertExit(offline, 5)
        // Not the fake's loopback port, gone once the run has ended: what it was, and what to do (core/cli/failure.ts
        // inFakeTerms).
        assert.match(
          offline.stderr,
          /^plex-auth: Could not reach the fake plex\.tv: .+\. PLEX_AUTH_FAKE=offline has the fake close every connection unanswered: run without offline in PLEX_AUTH_FAKE to reach it\.\n$/
        )
        assert.notInclude(offline.stderr, "127.0.0.1")
        noSecretIn(offline, "cliTestSavedToken001")
        // An inconclusive check keeps the token.
        assert.strictEqual((yield* readStore(dir))!.entries[fakeTokenKey], "cliTestSavedToken001")
      })
  )

  it.scoped(
    "whoami reads the credentials file once: the client identifier, the fake's seed and the saved token come from the session's one reading",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        yield* writeStore(dir, { [fakeTokenKey]: "cliTestSavedToken001" })
        // The first run stores a client identifier (a change: the file is read again under its lock).
        assertExit(yield* fake(dir, ["whoami"]), 0)
        const [run, reads] = yield* storeReads(dir, fake(dir, ["whoami"]))
        assertExit(run, 0)
        assert.include(run.stdout, "alice")
        // Once: the store's check, the client identifier, the fake's token and Home user and the saved token all
        // come from the session's one reading.
        assert.strictEqual(reads, 1)
      })
  )
  it.scoped(
    "whoami when not logged in reads the credentials file once and writes nothing (no lease for an obtain it has not)",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        // Not even the first run stores a client identifier (a command that cannot run leaves no trace).
        assertExit(yield* fake(dir, ["whoami"]), 3)
        const before = yield* readStore(dir)
        const [run, reads, writes] = yield* storeReads(dir, fake(dir, ["whoami"]))
        assertExit(run, 3)
        assert.include(run.stderr, "Not logged in.")
        // The saved token looked for in the session's one reading, as the Effect 4 CLI does: no lease of an obtain
        // claimed, read back and removed (written twice, the file read again under its lock for each).
        assert.deepStrictEqual([reads, writes], [1, 0])
        assert.deepStrictEqual(yield* readStore(dir), before)
      })
  )

  // POSIX modes: Windows has none (the CLI says nothing there).
  it.scoped.skipIf(process.platform === "win32")(
    "a token saved: the default configuration directory is made 0700; a --config-dir the user chose keeps its mode, said open to others",
    () =>
      Effect.gen(function* () {
        const home = yield* configDir
        const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config") }
        const byDefault = path.join(home, ".config", "effect-plex-auth")
        const chosen = path.join(home, "chosen")
        const made = path.join(home, "made")
        for (const dir of [byDefault, chosen]) {
          yield* Effect.promise(() => fs.mkdir(dir, { recursive: true }))
          yield* Effect.promise(() => fs.chmod(dir, 0o755))
        }
        const modeOf = (dir: string) =>
          Effect.map(
            Effect.promise(() => fs.stat(dir)),
            (stat) => stat.mode & 0o777
          )
        const open = "is open to other users"
        const fake = (args: ReadonlyArray<string>) => cli(["--fake", ...args], { env, fakeApprovesAfter: 0 })
        // The default directory, the CLI's own by name: made 0700 as the token is saved, as the library's default store is.
        const first = yield* fake(["login"])
        assertExit(first, 0)
        assert.strictEqual(yield* modeOf(byDefault), 0o700)
        assert.notInclude(first.stderr, open)
        // A directory the user chose: its mode left as it is, and said open once a token is saved there (login, home switch).
        const said = `The configuration directory ${chosen} is open to other users (mode 755): they can list it, though not read the token (store.json is readable by you alone). plex-auth leaves the mode of a directory you chose as it is: chmod 700 closes it.`
        const given = yield* fake(["--config-dir", chosen, "login"])
        assertExit(given, 0)
        assert.strictEqual(yield* modeOf(chosen), 0o755)
        assert.include(given.stderr, said)
        const switched = yield* fake(["--config-dir", chosen, "home", "switch", "Bob"])
        assertExit(switched, 0)
        assert.include(switched.stderr, said)
        assert.strictEqual(yield* modeOf(chosen), 0o755)
        // One the CLI makes is 0700: nothing to say.
        const fresh = yield* fake(["--config-dir", made, "login"])
        assertExit(fresh, 0)
        assert.strictEqual(yield* modeOf(made), 0o700)
        assert.notInclude(fresh.stderr, open)
      })
  )

  it.scoped(
    "a command that needs the saved token, run without one, fails Not logged in having written nothing: no directory, no client identifier",
    () =>
      Effect.gen(function* () {
        const home = yield* configDir
        // The default directory ($XDG_CONFIG_HOME/effect-plex-auth) in a fresh home, or a --config-dir not made yet.
        const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config") }
        const given = path.join(home, "given")
        const commands = [
          ["whoami"],
          ["servers"],
          ["token", "transient"],
          ["token", "transient", "--server", "http://127.0.0.1:9"],
          ["home"],
          ["home", "switch", "Kids"],
          ["claim-token"],
          ["claim", "http://127.0.0.1:9"],
          ["devices"],
          ["devices", "revoke", "1"]
        ]
        for (const args of commands) {
          for (const globals of [
            [],
            ["--fake"],
            ["--config-dir", given],
            ["--fake", "--config-dir", given]
          ]) {
            const what = [...globals, ...args].join(" ")
            const run = yield* cli([...globals, ...args], { env })
            assertExit(run, 3)
            assert.strictEqual(run.stderr, "plex-auth: Not logged in. Run `plex-auth login` first.\n", what)
            assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(home)), [], what)
          }
        }
      })
  )

  it.scoped(
    "logout with no token saved does nothing and writes nothing (no directory, no client identifier); a PLEX_TOKEN set is said not read, still valid",
    () =>
      Effect.gen(function* () {
        const home = yield* configDir
        // The default directory ($XDG_CONFIG_HOME/effect-plex-auth) in a fresh home, or a --config-dir not made yet.
        const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config") }
        const given = path.join(home, "given")
        const notRead =
          "PLEX_TOKEN is set, but plex-auth does not read it: logout revokes only the token `plex-auth login` saves in its configuration directory (--config-dir), so the token in PLEX_TOKEN is still valid."
        for (const globals of [[], ["--fake"], ["--config-dir", given], ["--fake", "--config-dir", given]]) {
          for (const plexToken of [undefined, "exported-token"]) {
            for (const json of [false, true]) {
              const args = [...globals, "logout", ...(json ? ["--json"] : [])]
              const what = `${args.join(" ")}${plexToken === undefined ? "" : " (PLEX_TOKEN set)"}`
              const run = yield* cli(args, {
                env: plexToken === undefined ? env : { ...env, PLEX_TOKEN: plexToken }
              })
              assertExit(run, 0)
              if (json) {
                assert.deepStrictEqual(JSON.parse(run.stdout), { revoked: false, forgotten: false }, what)
                assert.strictEqual(run.stderr, plexToken === undefined ? "" : `${notRead}\n`, what)
              } else {
                assert.strictEqual(run.stdout, "", what)
                assert.strictEqual(
                  run.stderr,
                  `Not logged in: nothing to do.${plexToken === undefined ? "" : ` ${notRead}`}\n`,
                  what
                )
              }
              noSecretIn(run, "exported-token")
              // Nothing written: no configuration directory, no client identifier.
              assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(home)), [], what)
            }
          }
        }
      })
  )

  it.scoped(
    "login whose token cannot be saved revokes it: exit 1, the store's failure said, no valid token left behind",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        // A client identifier saved already (the session writes nothing before the sign-in) and, in place of the
        // store's lock file, a directory, which the store refuses: the save fails once plex.tv has handed the token out.
        yield* writeStore(dir, {
          "effect-plex-auth/client-identifier": "3381b62b-9ab7-4e37-827b-203e9809eb58"
        })
        yield* Effect.promise(() => fs.mkdir(path.join(dir, "store.json.lock")))
        const run = yield* cli(
          ["--config-dir", dir, "--plex-tv", server.plexTvUrl, "login", "--password", "--login", "alice"],
          { env: { PLEX_PASSWORD: password } }
        )
        assertExit(run, 1)
        assert.include(run.stderr, "Could not use the credentials file")
        assert.include(
          run.stderr,
          "The new token could not be saved, so it is revoked: no valid token is left behind."
        )
        const requests = yield* server.fake.requests
        assert.lengthOf(
          requests.filter((r) => r.route === "postUsersSignInData"),
          1
        )
        // The token the sign-in handed out, signed out: no valid token that nothing holds.
        const signOuts = requests.filter(
          (r) => r.method === "DELETE" && r.path.startsWith("/api/v2/users/signout")
        )
        assert.lengthOf(signOuts, 1)
        const revoked = String(signOuts[0]!.headers["x-plex-token"])
        assert.isFalse(yield* server.fake.isTokenValid(revoked))
        assert.notProperty((yield* readStore(dir))?.entries ?? {}, tokenKey)
        noSecretIn(run, revoked, password)
      })
  )

  it.scoped(
    "login interrupted while its save waits for the store's lock (Ctrl-C) revokes the new token: none left valid and unsaved",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        // A client identifier saved already, and the store's lock held by a live process (this one): the save
        // waits for it, and Ctrl-C comes then (logged at Debug: the store's wait, Store.lockWaitMessage).
        yield* writeStore(dir, {
          "effect-plex-auth/client-identifier": "3381b62b-9ab7-4e37-827b-203e9809eb58"
        })
        yield* Effect.promise(() =>
          fs.writeFile(
            path.join(dir, "store.json.lock"),
            JSON.stringify({ pid: process.pid, host: hostTag(), nonce: "held" })
          )
        )
        const run = yield* cli(
          [
            "--log-level",
            "debug",
            "--config-dir",
            dir,
            "--plex-tv",
            server.plexTvUrl,
            "login",
            "--password",
            "--login",
            "alice"
          ],
          {
            env: { PLEX_PASSWORD: password },
            whileRunning: {
              orStderr: true,
              until: /waits for the lock held by process/,
              andThen: () => Effect.void
            }
          }
        )
        assertExit(run, 130)
        assert.include(
          run.stderr,
          "The new token was not saved (interrupted), so it is revoked: no valid token is left behind."
        )
        // The Debug line of the wait on stderr: stdout carries results only.
        assert.match(run.stderr, /waits for the lock held by process/)
        assert.notMatch(run.stdout, /waits for the lock/)
        const requests = yield* server.fake.requests
        assert.lengthOf(
          requests.filter((r) => r.route === "postUsersSignInData"),
          1
        )
        // The token the sign-in handed out, signed out: no valid token that nothing holds.
        const signOuts = requests.filter(
          (r) => r.method === "DELETE" && r.path.startsWith("/api/v2/users/signout")
        )
        assert.lengthOf(signOuts, 1)
        const revoked = String(signOuts[0]!.headers["x-plex-token"])
        assert.isFalse(yield* server.fake.isTokenValid(revoked))
        assert.notProperty((yield* readStore(dir))?.entries ?? {}, tokenKey)
        noSecretIn(run, revoked, password)
      })
  )

  it.scoped(
    "login after one killed while saving: the dead login's lock is taken over and its temporary file removed",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        // What a login killed in the middle of its save leaves: its lock (this host, a pid above Linux's pid_max,
        // never alive) and its temporary file, which may hold a token.
        yield* writeStore(dir, {
          "effect-plex-auth/client-identifier": "3381b62b-9ab7-4e37-827b-203e9809eb58"
        })
        const deadPid = 4_194_305
        yield* Effect.promise(() =>
          fs.writeFile(
            path.join(dir, "store.json.lock"),
            JSON.stringify({ pid: deadPid, host: hostTag(), nonce: "dead" })
          )
        )
        const leftover = `.store.json.${hostTag()}.${deadPid}.0123456789abcdef.tmp`
        yield* Effect.promise(() => fs.writeFile(path.join(dir, leftover), "half-written-token"))
        const run = yield* cli(
          ["--config-dir", dir, "--plex-tv", server.plexTvUrl, "login", "--password", "--login", "alice"],
          { env: { PLEX_PASSWORD: password } }
        )
        assertExit(run, 0)
        const saved = (yield* readStore(dir))!.entries[tokenKey]
        assert.isDefined(saved)
        assert.isTrue(yield* server.fake.isTokenValid(saved!))
        // The dead login's lock taken over, its file removed: nothing but the store is left.
        assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(dir)), ["store.json"])
      })
  )

  it.scoped(
    "three logins at once on one store with --old-token revoke: every token replaced is revoked, the one saved is the one left",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const env = { PLEX_PASSWORD: password }
        const signIn = ["login", "--password", "--login", "alice", "--old-token", "revoke"]
        // The token the three find saved.
        assertExit(yield* cli(["--config-dir", dir, "--plex-tv", server.plexTvUrl, ...signIn], { env }), 0)
        const first = (yield* readStore(dir))!.entries[tokenKey]!
        // plex.tv for the three: the fake behind a loopback stand-in that answers no sign-in until all three have
        // asked (each has read the saved token by then, and checked it), and notes the tokens handed out.
        const logins = 3
        const held: Array<() => void> = []
        const issued: Array<string> = []
        const plexTv = yield* loopbackPlexTv(async (request, response) => {
          const chunks: Array<Buffer> = []
          for await (const chunk of request) chunks.push(chunk as Buffer)
          const signingIn = request.method === "POST" && request.url!.startsWith("/api/v2/users/signin")
          if (signingIn) {
            await new Promise<void>((resolve) => {
              held.push(resolve)
              if (held.length === logins) for (const release of held) release()
            })
          }
          const headers = new Headers()
          for (const [name, value] of Object.entries(request.headers)) {
            if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) {
              headers.set(name, value)
            }
          }
          const answer = await fetch(`${server.plexTvUrl}${request.url}`, {
            method: request.method!,
            headers,
            ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
          })
          const body = Buffer.from(await answer.arrayBuffer())
          if (signingIn && answer.ok)
            issued.push((JSON.parse(body.toString("utf8")) as { authToken: string }).authToken)
          response.writeHead(answer.status, {
            "content-type": answer.headers.get("content-type") ?? "text/plain"
          })
          response.end(body)
        })
        const runs = yield* Effect.all(
          Array.from({ length: logins }, () =>
            cli(["--config-dir", dir, "--plex-tv", plexTv, ...signIn], { env })
          ),
          { concurrency: "unbounded" }
        )
        for (const run of runs) assertExit(run, 0)
        assert.lengthOf(issued, logins)
        const saved = (yield* readStore(dir))!.entries[tokenKey]!
        assert.include(issued, saved)
        // Each token replaced (the first, then two of the three) is revoked by the login that replaced it; the first
        // also by the two others, as the token their --old-token revoke is about (whichever gets there first revokes
        // it, the others find it revoked already: a 401, no failure).
        for (const token of [first, ...issued]) {
          assert.strictEqual(
            yield* server.fake.isTokenValid(token),
            token === saved,
            token === first ? "first" : "new"
          )
        }
        // The two logins that replaced another's token say so.
        const said = runs.filter((run) =>
          run.stderr.includes(
            "Another login saved a token while this one signed in: this login's token replaces it, and revokes it."
          )
        )
        assert.lengthOf(said, logins - 1)
        for (const run of said) {
          assert.match(
            run.stderr,
            /The token you chose to revoke, replaced meanwhile by another login, (is revoked\.|was no longer valid \(plex\.tv refused it\): there was nothing to revoke\.)/
          )
        }
        for (const run of runs) {
          assert.notInclude(run.stderr, "Could not revoke")
          // The token it replaced is revoked: by this login, or, when another one's revocation of the token it was asked
          // about got there first, found no longer valid (said so, not said revoked by this login).
          assert.match(
            run.stdout + run.stderr,
            /The old token is revoked\.|The old token was no longer valid \(plex\.tv refused it\): there was nothing to revoke\./
          )
          noSecretIn(run, first, ...issued)
        }
      })
  )

  it.scoped(
    "a token another login saved while this one signed in is kept when the question about the old token was answered revoke",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const elsewhere = yield* configDir
        const env = { PLEX_PASSWORD: password }
        const signIn = ["login", "--password", "--login", "alice"]
        // The token this login is asked about, and one a script signs in for itself in another directory.
        assertExit(yield* cli(["--config-dir", dir, "--plex-tv", server.plexTvUrl, ...signIn], { env }), 0)
        const old = (yield* readStore(dir))!.entries[tokenKey]!
        assertExit(
          yield* cli(["--config-dir", elsewhere, "--plex-tv", server.plexTvUrl, ...signIn], { env }),
          0
        )
        const theirs = (yield* readStore(elsewhere))!.entries[tokenKey]!
        // plex.tv: the fake, behind a loopback stand-in that, as this login signs in (its question answered), has
        // the script save its token in this login's file, as another login finishing first would.
        const file = path.join(dir, "store.json")
        const plexTv = yield* loopbackPlexTv(async (request, response) => {
          const chunks: Array<Buffer> = []
          for await (const chunk of request) chunks.push(chunk as Buffer)
          if (request.method === "POST" && request.url!.startsWith("/api/v2/users/signin")) {
            const entries = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, string>
            await fs.writeFile(`${file}.script`, JSON.stringify({ ...entries, [tokenKey]: theirs }), {
              mode: 0o600
            })
            await fs.rename(`${file}.script`, file)
          }
          const headers = new Headers()
          for (const [name, value] of Object.entries(request.headers)) {
            if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) {
              headers.set(name, value)
            }
          }
          const answer = await fetch(`${server.plexTvUrl}${request.url}`, {
            method: request.method!,
            headers,
            ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
          })
          response.writeHead(answer.status, {
            "content-type": answer.headers.get("content-type") ?? "text/plain"
          })
          response.end(Buffer.from(await answer.arrayBuffer()))
        })
        const run = yield* cli(["--config-dir", dir, "--plex-tv", plexTv, ...signIn], {
          env,
          answers: [{ when: /revoke the old token/, answer: "y" }]
        })
        assertExit(run, 0)
        assert.include(run.stderr, "Already logged in as alice")
        const saved = (yield* readStore(dir))!.entries[tokenKey]!
        assert.notInclude([old, theirs], saved)
        assert.isTrue(yield* server.fake.isTokenValid(saved))
        // The answer was about the old token; the script's, which nobody was asked about, is left valid, and said so.
        assert.isTrue(yield* server.fake.isTokenValid(theirs), "the script's token")
        // The token asked about, answered "revoke", which the script's save replaced (saved nowhere, still valid): the
        // user's, revoked as answered, and said so.
        assert.isFalse(yield* server.fake.isTokenValid(old), "the token asked about")
        assert.include(
          run.stderr,
          "The token you chose to revoke, replaced meanwhile by another login, is revoked."
        )
        assert.include(
          run.stderr,
          "Another login saved a token while this one signed in: this login's token replaces it; it is still valid, no longer saved: it is not the token you chose to revoke, so it is kept (--old-token revoke revokes whichever token a login replaces)."
        )
        assert.include(run.stdout, "The old token is still valid (it is no longer saved).")
        noSecretIn(run, old, theirs, saved)
      })
  )

  it.scoped(
    "the token asked about, replaced meanwhile by another login: revoked by --old-token revoke as by the answer; revoked already by that login, said so",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const env = { PLEX_PASSWORD: password }
        const signIn = ["login", "--password", "--login", "alice"]
        const cases = [
          // --old-token revoke, about the token saved as the login started (as the answer "revoke" is), and about
          // the one it replaces: the other login kept the first, this one revokes both.
          {
            what: "--old-token revoke",
            option: ["--old-token", "revoke"],
            answer: undefined,
            revokedThere: false
          },
          // The other login revoked the token asked about: plex.tv refuses it (401), which is said, not a failure.
          { what: "revoked already", option: [], answer: "y", revokedThere: true }
        ] as const
        for (const { what, option, answer, revokedThere } of cases) {
          const dir = yield* configDir
          const elsewhere = yield* configDir
          // The token this login is asked about, and one a script signs in for itself in another directory.
          assertExit(yield* cli(["--config-dir", dir, "--plex-tv", server.plexTvUrl, ...signIn], { env }), 0)
          const old = (yield* readStore(dir))!.entries[tokenKey]!
          assertExit(
            yield* cli(["--config-dir", elsewhere, "--plex-tv", server.plexTvUrl, ...signIn], { env }),
            0
          )
          const theirs = (yield* readStore(elsewhere))!.entries[tokenKey]!
          // plex.tv: the fake, behind a loopback stand-in that, as this login signs in, has the script save its
          // token in this login's file (and revoke the one there, `revokedThere`), as another login finishing first would.
          const file = path.join(dir, "store.json")
          const plexTv = yield* loopbackPlexTv(async (request, response) => {
            const chunks: Array<Buffer> = []
            for await (const chunk of request) chunks.push(chunk as Buffer)
            if (request.method === "POST" && request.url!.startsWith("/api/v2/users/signin")) {
              const entries = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, string>
              await fs.writeFile(`${file}.script`, JSON.stringify({ ...entries, [tokenKey]: theirs }), {
                mode: 0o600
              })
              await fs.rename(`${file}.script`, file)
              if (revokedThere) await Effect.runPromise(server.fake.revokeToken(old))
            }
            const headers = new Headers()
            for (const [name, value] of Object.entries(request.headers)) {
              if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) {
                headers.set(name, value)
              }
            }
            const forwarded = await fetch(`${server.plexTvUrl}${request.url}`, {
              method: request.method!,
              headers,
              ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
            })
            response.writeHead(forwarded.status, {
              "content-type": forwarded.headers.get("content-type") ?? "text/plain"
            })
            response.end(Buffer.from(await forwarded.arrayBuffer()))
          })
          const run = yield* cli(["--config-dir", dir, "--plex-tv", plexTv, ...signIn, ...option], {
            env,
            answers: answer === undefined ? [] : [{ when: /revoke the old token/, answer }]
          })
          assertExit(run, 0)
          const saved = (yield* readStore(dir))!.entries[tokenKey]!
          assert.notInclude([old, theirs], saved, what)
          assert.isTrue(yield* server.fake.isTokenValid(saved), what)
          // The token asked about is revoked either way, by this login or by the other one.
          assert.isFalse(yield* server.fake.isTokenValid(old), what)
          assert.include(
            run.stderr,
            revokedThere
              ? "The token you chose to revoke, replaced meanwhile by another login, was no longer valid (plex.tv refused it): there was nothing to revoke."
              : "The token you chose to revoke, replaced meanwhile by another login, is revoked.",
            what
          )
          assert.notInclude(run.stderr, "Could not revoke", what)
          // The script's token: revoked by --old-token revoke (whichever token the login replaces), kept otherwise.
          assert.strictEqual(yield* server.fake.isTokenValid(theirs), revokedThere, what)
          assert.include(
            run.stdout,
            revokedThere
              ? "The old token is still valid (it is no longer saved)."
              : "The old token is revoked.",
            what
          )
          noSecretIn(run, old, theirs, saved)
        }
      })
  )

  it.live(
    "login's token is the CLI's from the sign-in's answer: Ctrl-C before the save starts hands it over to be revoked",
    () =>
      Effect.gen(function* () {
        // What runs between plex.tv's answer and the save: here, as the PIN login's progress line (withProgress) has
        // it, a finalizer after the answer, uninterruptible, held until Ctrl-C came (a pending interruption then).
        const token = Redacted.make("handed-out")
        const finalizing = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const saved: Array<string> = []
        const unsaved: Array<readonly [string, boolean]> = []
        const login = yield* Effect.fork(
          signInThenSave(
            (hold) =>
              Effect.ensuring(
                hold(Effect.succeed(token)),
                Effect.zipRight(Deferred.succeed(finalizing, undefined), Deferred.await(release))
              ),
            (token) => Effect.sync(() => void saved.push(Redacted.value(token))),
            (token, cause) =>
              Effect.sync(() => void unsaved.push([Redacted.value(token), Cause.isInterruptedOnly(cause)]))
          )
        )
        yield* Deferred.await(finalizing)
        // Ctrl-C (its interruption told at once), then what follows the answer ends.
        login.unsafeInterruptAsFork(login.id())
        yield* Deferred.succeed(release, undefined)
        const exit = yield* Fiber.await(login)
        assert.isTrue(Exit.isInterrupted(exit))
        assert.deepStrictEqual(saved, [])
        assert.deepStrictEqual(unsaved, [["handed-out", true]])
        // A sign-in that fails hands nothing over; one that is saved neither.
        const refused = yield* Effect.exit(
          signInThenSave(
            (hold) => hold(Effect.fail("refused")),
            () => Effect.void,
            () => Effect.sync(() => void unsaved.push(["refused", false]))
          )
        )
        assert.isTrue(Exit.isFailure(refused))
        yield* signInThenSave(
          (hold) => hold(Effect.succeed(token)),
          (token) => Effect.sync(() => void saved.push(Redacted.value(token))),
          () => Effect.sync(() => void unsaved.push(["saved", false]))
        )
        assert.deepStrictEqual(saved, ["handed-out"])
        assert.deepStrictEqual(unsaved, [["handed-out", true]])
      })
  )

  it.scoped(
    "login's token is the CLI's when Ctrl-C comes during plex.tv's answer: a sign-in request is let finish (5 s at most), a PIN's wait ends and the PIN is asked once more",
    () =>
      Effect.gen(function* () {
        const token = Redacted.make("issued")
        const saved: Array<string> = []
        const unsaved: Array<readonly [string, boolean]> = []
        // The sign-ins given up unanswered (a token plex.tv may have issued, said so).
        const lost: Array<Lost> = []
        const login = <E>(
          signIn: Parameters<typeof signInThenSave<void, E, never, never, never, never>>[0]
        ) =>
          signInThenSave(
            signIn,
            (token) => Effect.sync(() => void saved.push(Redacted.value(token))),
            (token, cause) =>
              Effect.sync(() => void unsaved.push([Redacted.value(token), Cause.isInterruptedOnly(cause)])),
            (why) => Effect.sync(() => void lost.push(why))
          )
        // The password sign-in: plex.tv has the request when Ctrl-C comes, and answers it after: the request is let
        // finish, and the token it answered with handed over to be revoked, as one answered before Ctrl-C.
        const sent = yield* Deferred.make<void>()
        const answers = yield* Deferred.make<Redacted.Redacted<string>>()
        const answered = yield* Effect.fork(
          login((hold) => hold(Effect.andThen(Deferred.succeed(sent, undefined), Deferred.await(answers))))
        )
        yield* Deferred.await(sent)
        answered.unsafeInterruptAsFork(answered.id())
        yield* Deferred.succeed(answers, token)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(answered)))
        assert.deepStrictEqual(unsaved, [["issued", true]])
        assert.deepStrictEqual(lost, [])
        // Not answered within 5 s: the request is ended, nothing handed over, and the token plex.tv may have issued
        // said (`unanswered`).
        const started = yield* Deferred.make<void>()
        const stopped = yield* Deferred.make<void>()
        const hanging = yield* Effect.fork(
          login((hold) =>
            hold(
              Effect.andThen(
                Deferred.succeed(started, undefined),
                Effect.onInterrupt(Effect.never, () => Deferred.succeed(stopped, undefined))
              )
            )
          )
        )
        yield* Deferred.await(started)
        hanging.unsafeInterruptAsFork(hanging.id())
        // The clock moved on in steps until the login ends (bounded: 20 s of its time), not before the 5 s.
        for (let step = 0; step < 200 && Option.isNone(yield* Fiber.poll(hanging)); step++)
          yield* TestClock.adjust("100 millis")
        assert.isAtLeast(yield* Clock.currentTimeMillis, 5_000)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(hanging)))
        yield* Deferred.await(stopped)
        assert.deepStrictEqual(unsaved, [["issued", true]])
        assert.deepStrictEqual(lost, [{ _tag: "SignInUnanswered", redirected: false }])
        // Failed after Ctrl-C (a broken connection, a 5xx): plex.tv may have issued a token first: `unanswered` is told,
        // with the failure (lostTokenText, below, judges it).
        lost.length = 0
        const sentFailing = yield* Deferred.make<void>()
        const fails = yield* Deferred.make<Redacted.Redacted<string>, string>()
        const failing = yield* Effect.fork(
          login((hold) =>
            hold(Effect.andThen(Deferred.succeed(sentFailing, undefined), Deferred.await(fails)))
          )
        )
        yield* Deferred.await(sentFailing)
        failing.unsafeInterruptAsFork(failing.id())
        yield* Deferred.fail(fails, "connection reset")
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(failing)))
        assert.deepStrictEqual(lost, [
          { _tag: "SignInFailed", error: "connection reset", redirected: false, interrupted: true }
        ])
        assert.deepStrictEqual(unsaved, [["issued", true]])
        // Failed without Ctrl-C: `unanswered` is told all the same (login says what it may mean before its error).
        lost.length = 0
        assert.isTrue(Exit.isFailure(yield* Effect.exit(login((hold) => hold(Effect.fail("bad gateway"))))))
        assert.deepStrictEqual(lost, [
          { _tag: "SignInFailed", error: "bad gateway", redirected: false, interrupted: false }
        ])
        // The PIN's wait: ended at once, and the PIN asked once more; approved, its token is handed over, else none,
        // and how long it can still be approved said (`unanswered`, PinPending). The PIN's check failed: the PIN may
        // have been approved, said (`unanswered`).
        for (const [again, handed, unchecked] of [
          [Effect.succeed({ authToken: token, expiresIn: 900 }), true, []],
          [Effect.succeed({ expiresIn: 899 }), false, [{ _tag: "PinPending", expiresIn: 899 }]],
          [Effect.succeed({}), false, [{ _tag: "PinPending", expiresIn: undefined }]],
          [Effect.fail("offline"), false, [{ _tag: "PinUnchecked", error: "offline" }]]
        ] as const) {
          unsaved.length = 0
          lost.length = 0
          const waiting = yield* Deferred.make<void>()
          const pin = yield* Effect.fork(
            login((hold) => hold(Effect.andThen(Deferred.succeed(waiting, undefined), Effect.never), again))
          )
          yield* Deferred.await(waiting)
          pin.unsafeInterruptAsFork(pin.id())
          assert.isTrue(Exit.isInterrupted(yield* Fiber.await(pin)))
          assert.deepStrictEqual(unsaved, handed ? [["issued", true]] : [])
          assert.deepStrictEqual<ReadonlyArray<Lost>>(lost, unchecked)
        }
        // The PIN's check unanswered within 5 s: given up, said (`unanswered`, no failure).
        lost.length = 0
        const checking = yield* Deferred.make<void>()
        const unanswered = yield* Effect.fork(
          login((hold) =>
            hold(Effect.andThen(Deferred.succeed(checking, undefined), Effect.never), Effect.never)
          )
        )
        yield* Deferred.await(checking)
        unanswered.unsafeInterruptAsFork(unanswered.id())
        for (let step = 0; step < 200 && Option.isNone(yield* Fiber.poll(unanswered)); step++)
          yield* TestClock.adjust("100 millis")
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(unanswered)))
        assert.deepStrictEqual(lost, [{ _tag: "PinUnchecked", error: undefined }])
        assert.deepStrictEqual(saved, [])
        // What login says of each: nothing for a failure that proves no token (a 401: wrong password, 2FA asked).
        const ctx = {
          operation: "PlexAuth.signIn",
          method: "POST",
          url: "https://plex.tv/api/v2/users/signin"
        }
        for (const refused of [
          new PlexError.Unauthorized({ ...ctx, status: 401, errors: [] }),
          new PlexError.VerificationCodeRequired({ ...ctx, status: 401, errors: [] }),
          // A connection refused: the request never reached plex.tv (core/policy.ts).
          Object.defineProperty(
            new PlexError.NetworkError({ ...ctx, reason: "Transport", detail: "connect ECONNREFUSED" }),
            neverReachedServer,
            { value: true }
          )
        ]) {
          assert.isUndefined(
            lostTokenText({ _tag: "SignInFailed", error: refused, redirected: false, interrupted: true })
          )
          // Redirected after a server acted on the sign-in (a 303): what the page it went on to answered proves nothing.
          assert.match(
            lostTokenText({ _tag: "SignInFailed", error: refused, redirected: true, interrupted: true }) ??
              "",
            /^Interrupted: the sign-in then failed \(.+\); a token plex\.tv may have issued before is saved nowhere/
          )
        }
        for (const broken of [
          new PlexError.NetworkError({ ...ctx, reason: "Transport", detail: "socket hang up" }),
          new PlexError.Unexpected({
            ...ctx,
            reason: "Status",
            status: 502,
            errors: [],
            detail: "Bad Gateway"
          }),
          "a defect"
        ])
          assert.match(
            lostTokenText({ _tag: "SignInFailed", error: broken, redirected: false, interrupted: true }) ??
              "",
            /^Interrupted: the sign-in then failed \(.+\); a token plex\.tv may have issued before is saved nowhere and may be valid/
          )
        // Failed without Ctrl-C: the error is said by login; a token plex.tv may have issued said too, unless proven none.
        for (const [error, redirected, said] of [
          [new PlexError.Unauthorized({ ...ctx, status: 401, errors: [] }), false, false],
          [new PlexError.Unauthorized({ ...ctx, status: 401, errors: [] }), true, true],
          [
            new PlexError.NetworkError({ ...ctx, reason: "Transport", detail: "socket hang up" }),
            false,
            true
          ],
          [
            new PlexError.Unexpected({
              ...ctx,
              reason: "Status",
              status: 502,
              errors: [],
              detail: "Bad Gateway"
            }),
            false,
            true
          ],
          // plex.tv's 503: the sign-in not handled, proof enough for mayRetry to send it again (core/policy.ts), and
          // so of no token; once redirected, the page's 503 proves nothing.
          ...[false, true].map(
            (redirected) =>
              [
                new PlexError.Unexpected({
                  ...ctx,
                  reason: "Status",
                  status: 503,
                  errors: [],
                  detail: "Service Unavailable"
                }),
                redirected,
                redirected
              ] as const
          ),
          // plex.tv's own 307 or 308 keeps the POST, acted on by none: refused (the password not sent to another
          // origin, more than 5 hops), it proves no token; a 303 refused (plex.tv acted on the sign-in) does not, nor a
          // 307 refused once a hop before it made the sign-in a GET.
          ...([307, 308, 303] as const).map(
            (status) =>
              [
                new PlexError.Unexpected({
                  ...ctx,
                  reason: "Redirect",
                  status,
                  errors: [],
                  detail: "refused to send credentials to another origin (https://elsewhere.example)"
                }),
                false,
                status === 303
              ] as const
          ),
          [
            new PlexError.Unexpected({
              ...ctx,
              reason: "Redirect",
              status: 307,
              errors: [],
              detail: "more than 5 redirects"
            }),
            true,
            true
          ]
        ] as const)
          assert.strictEqual(
            lostTokenText({ _tag: "SignInFailed", error, redirected, interrupted: false }),
            said ? Render.signInFailedText : undefined,
            `${error._tag} ${error.status} redirected: ${redirected}`
          )
        assert.strictEqual(
          lostTokenText({ _tag: "SignInUnanswered", redirected: false }),
          Render.signInAbandonedText
        )
        // A PIN not approved at that check can be until it expires: said, with how long plex.tv said it has left.
        const pending = "Interrupted: the PIN was not approved, but it can be until it expires"
        const advice =
          ": do not approve it, its token would be saved nowhere; run `plex-auth login` again instead."
        assert.strictEqual(
          lostTokenText({ _tag: "PinPending", expiresIn: 899 }),
          `${pending} (in about 15 minutes)${advice}`
        )
        assert.strictEqual(
          lostTokenText({ _tag: "PinPending", expiresIn: 45 }),
          `${pending} (in 45 seconds)${advice}`
        )
        assert.strictEqual(lostTokenText({ _tag: "PinPending", expiresIn: undefined }), `${pending}${advice}`)
        assert.strictEqual(
          lostTokenText({ _tag: "PinPending", expiresIn: 1 }),
          `${pending} (in 1 second)${advice}`
        )
        assert.strictEqual(
          lostTokenText({ _tag: "PinUnchecked", error: undefined }),
          Render.pinUncheckedText(undefined)
        )
        assert.match(
          lostTokenText({
            _tag: "PinUnchecked",
            error: new PlexError.NetworkError({ ...ctx, reason: "Timeout", detail: "30 s" })
          }) ?? "",
          /^Interrupted: the PIN's last check failed \(.+\); if the PIN was approved, its token is saved nowhere and may be valid/
        )
        // The PIN's wait failed without Ctrl-C: the PIN can still be approved (not to be) unless it expired.
        for (const reason of ["Expired", "Unreachable", "NotFound"] as const)
          assert.isUndefined(
            lostTokenText({
              _tag: "PinFailed",
              error: new PlexError.PinExpired({ operation: "PinLogin.poll", pinId: 1, reason, errors: [] })
            }),
            reason
          )
        const approvable = `The PIN can still be approved until it expires${advice}`
        assert.strictEqual(
          lostTokenText({
            _tag: "PinFailed",
            error: new PlexError.PinExpired({
              operation: "PinLogin.poll",
              pinId: 1,
              reason: "Pending",
              errors: []
            })
          }),
          approvable
        )
        assert.strictEqual(
          lostTokenText({
            _tag: "PinFailed",
            error: new PlexError.Unauthorized({ ...ctx, status: 401, errors: [] })
          }),
          approvable
        )
        // A 2xx that did not read may have carried the token.
        assert.strictEqual(
          lostTokenText({
            _tag: "PinFailed",
            error: new PlexError.Unexpected({
              ...ctx,
              reason: "Decode",
              status: 200,
              errors: [],
              detail: "authToken"
            })
          }),
          `If the PIN was approved, its token is saved nowhere and may be valid, listed among the account's authorized devices at plex.tv. If not, it can still be approved until it expires${advice}`
        )
      })
  )

  // Only plex.tv's own answer to the sign-in proves that it issued no token: a sign-in POST it redirected (a 303, a 302
  // that makes it a GET), whose page then answered 404, proves nothing (plex.tv may have acted on it, issued a token
  // first). Ctrl-C during the sign-in, the fake holding its answer 1 s (TestClock), then answering.
  it.scoped(
    "login --password: Ctrl-C, then a sign-in redirected (303, 302) to a page that answers 404 says a token may be valid; plex.tv's own 401 says nothing",
    () =>
      Effect.gen(function* () {
        const signIns = Effect.map(
          FakePlex.requests,
          (requests) => requests.filter((r) => r.route === "postUsersSignInData").length
        )
        for (const [answer, redirected] of [
          [Fault.redirect({ status: 303, to: "/nowhere" }), true],
          [Fault.redirect({ status: 302, to: "/nowhere" }), true],
          [Fault.status(401), false]
        ] as const) {
          yield* FakePlex.fault("postUsersSignInData", Fault.delay(1_000, answer), { times: 1 })
          const before = yield* signIns
          const lost: Array<Lost> = []
          const login = yield* Effect.fork(
            signInThenSave(
              (hold) =>
                hold(
                  Effect.map(
                    PlexAuth.signIn({ login: FakePlex.defaults.login, password: FakePlex.defaults.password }),
                    (account) => account.authToken
                  )
                ),
              () => Effect.void,
              () => Effect.void,
              (why) => Effect.sync(() => void lost.push(why))
            )
          )
          // Ctrl-C once plex.tv has the request (held by the fault's delay).
          for (let turn = 0; turn < 10_000 && (yield* signIns) === before; turn++)
            yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
          login.unsafeInterruptAsFork(login.id())
          for (let step = 0; step < 40 && Option.isNone(yield* Fiber.poll(login)); step++)
            yield* TestClock.adjust("100 millis")
          assert.isTrue(Exit.isInterrupted(yield* Fiber.await(login)), `${answer._tag}`)
          assert.lengthOf(lost, 1)
          const why = lost[0]!
          assert.strictEqual(why._tag, "SignInFailed")
          if (why._tag !== "SignInFailed") continue
          assert.strictEqual(why.redirected, redirected)
          assert.include([401, 404], (why.error as { readonly status?: number }).status)
          if (redirected) {
            assert.match(
              lostTokenText(why) ?? "",
              /^Interrupted: the sign-in then failed \(.+\); a token plex\.tv may have issued before is saved nowhere/
            )
          } else assert.isUndefined(lostTokenText(why))
        }
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  // plex.tv answers the password sign-in with a 2xx (it issued a token) whose body, the token in it, then stalls: plex.tv
  // answered, so not "plex.tv did not answer the sign-in" (Ctrl-C, given up after the 5 s), and the token it issued is
  // said saved nowhere and perhaps valid (without Ctrl-C, the per-attempt timeout's failure).
  it.scoped(
    "login --password: plex.tv answers the sign-in (2xx) and its body stalls: said answered, its token saved nowhere, after Ctrl-C and without",
    () =>
      Effect.gen(function* () {
        for (const interrupted of [true, false]) {
          let reading = false
          const body = new ReadableStream<Uint8Array>(
            {
              pull: () => {
                reading = true
                return new Promise<void>(() => {})
              }
            },
            { highWaterMark: 0 }
          )
          yield* FakePlex.fault(
            "postUsersSignInData",
            Fault.respond(() =>
              Effect.succeed(
                new Response(body, { status: 201, headers: { "content-type": "application/json" } })
              )
            ),
            { times: 1 }
          )
          const lost: Array<Lost> = []
          const login = yield* Effect.fork(
            signInThenSave(
              (hold) =>
                hold(
                  Effect.map(
                    PlexAuth.signIn({ login: FakePlex.defaults.login, password: FakePlex.defaults.password }),
                    (account) => account.authToken
                  )
                ),
              () => Effect.void,
              () => Effect.void,
              (why) => Effect.sync(() => void lost.push(why))
            )
          )
          // Ctrl-C (or not) once the client reads the 2xx's body, which never comes.
          for (let turn = 0; turn < 10_000 && !reading; turn++)
            yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
          assert.isTrue(reading, "the client reads the 2xx's body")
          if (interrupted) login.unsafeInterruptAsFork(login.id())
          for (let step = 0; step < 400 && Option.isNone(yield* Fiber.poll(login)); step++)
            yield* TestClock.adjust("100 millis")
          const exit = yield* Fiber.await(login)
          assert.isTrue(interrupted ? Exit.isInterrupted(exit) : Exit.isFailure(exit))
          assert.strictEqual(lost.length, 1)
          const text = lostTokenText(lost[0]!) ?? ""
          assert.notInclude(text, "did not answer", text)
          assert.include(text, "plex.tv answered the sign-in (HTTP 201)", text)
          assert.include(text, "saved nowhere and may be valid", text)
          assert.strictEqual(text.startsWith("Interrupted: "), interrupted, text)
        }
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  // The PIN's last check after Ctrl-C: plex.tv answers it with a 2xx whose body, the PIN's state, then stalls: plex.tv
  // answered, so not "the PIN's last check got no answer within 5 s" (as the password sign-in's, above).
  it.scoped(
    "login (PIN): Ctrl-C, plex.tv answers the PIN's last check (2xx) and its body stalls: said answered, not 'got no answer'",
    () =>
      Effect.gen(function* () {
        const pin = yield* PinLogin.create()
        let reading = false
        const body = new ReadableStream<Uint8Array>(
          {
            pull: () => {
              reading = true
              return new Promise<void>(() => {})
            }
          },
          { highWaterMark: 0 }
        )
        const lost: Array<Lost> = []
        const waiting = yield* Deferred.make<void>()
        const login = yield* Effect.fork(
          signInThenSave(
            (hold) =>
              hold(Effect.andThen(Deferred.succeed(waiting, undefined), Effect.never), PinLogin.check(pin)),
            () => Effect.void,
            () => Effect.void,
            (why) => Effect.sync(() => void lost.push(why))
          )
        )
        yield* Deferred.await(waiting)
        yield* FakePlex.fault(
          "checkPin",
          Fault.respond(() =>
            Effect.succeed(
              new Response(body, { status: 200, headers: { "content-type": "application/json" } })
            )
          ),
          { times: 1 }
        )
        login.unsafeInterruptAsFork(login.id())
        for (let turn = 0; turn < 10_000 && !reading; turn++)
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        assert.isTrue(reading, "the client reads the 2xx's body")
        for (let step = 0; step < 200 && Option.isNone(yield* Fiber.poll(login)); step++)
          yield* TestClock.adjust("100 millis")
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(login)))
        assert.strictEqual(lost.length, 1)
        const text = lostTokenText(lost[0]!) ?? ""
        assert.strictEqual(text, Render.pinUncheckedText(undefined, 200))
        assert.notInclude(text, "got no answer", text)
        assert.include(text, "plex.tv answered the PIN's last check (HTTP 200)", text)
        assert.include(text, "saved nowhere and may be valid", text)
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  // Ctrl-C while the sign-in is under way, plex.tv having redirected it (a 303) to a page that never answers: given up
  // after the 5 s, said as that page's silence, not as plex.tv not answering the sign-in (it answered, with the redirect,
  // perhaps after it issued a token).
  it.scoped(
    "login --password: Ctrl-C, the sign-in redirected (303) to a page that never answers: given up, said as the redirect's page unanswered",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("postUsersSignInData", Fault.redirect({ status: 303, to: "/api/v2/user" }), {
          times: 1
        })
        yield* FakePlex.fault("getTokenDetails", Fault.hang, { times: 1 })
        const pages = Effect.map(
          FakePlex.requests,
          (requests) => requests.filter((r) => r.route === "getTokenDetails").length
        )
        const lost: Array<Lost> = []
        const login = yield* Effect.fork(
          signInThenSave(
            (hold) =>
              hold(
                Effect.map(
                  PlexAuth.signIn({ login: FakePlex.defaults.login, password: FakePlex.defaults.password }),
                  (account) => account.authToken
                )
              ),
            () => Effect.void,
            () => Effect.void,
            (why) => Effect.sync(() => void lost.push(why))
          )
        )
        // Ctrl-C once the redirect's page has the request (it hangs).
        for (let turn = 0; turn < 10_000 && (yield* pages) === 0; turn++)
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        login.unsafeInterruptAsFork(login.id())
        for (let step = 0; step < 100 && Option.isNone(yield* Fiber.poll(login)); step++)
          yield* TestClock.adjust("100 millis")
        assert.isAtLeast(yield* Clock.currentTimeMillis, 5_000)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(login)))
        assert.deepStrictEqual(lost, [{ _tag: "SignInUnanswered", redirected: true }])
        assert.strictEqual(lostTokenText(lost[0]!), Render.signInRedirectUnansweredText)
        assert.notInclude(lostTokenText(lost[0]!) ?? "", "plex.tv did not answer")
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  // The revocation runs in a finalizer (signInThenSave's `unsaved`), uninterruptible: Effect 3's timeout waited for the
  // request it could not interrupt, a plex.tv that never answered held the exit for the 30 s per-attempt timeout.
  it.scoped(
    "login's revocation of the token it did not save waits for plex.tv at most 5 s, on a failed save and on Ctrl-C alike",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const token = yield* Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token)
        yield* FakePlex.fault("signOut", Fault.hang)
        for (const interrupted of [false, true]) {
          const said: Array<string> = []
          const signOuts = Effect.map(
            FakePlex.requests,
            (requests) => requests.filter((r) => r.route === "signOut").length
          )
          const before = yield* signOuts
          const saving = yield* Deferred.make<void>()
          // A daemon: without the bound, its finalizer hangs, and the test's end must not wait for it.
          const login = yield* Effect.forkDaemon(
            signInThenSave(
              (hold) => hold(Effect.succeed(token)),
              () =>
                Effect.zipRight(
                  Deferred.succeed(saving, undefined),
                  interrupted ? Effect.never : Effect.fail("disk full")
                ),
              (token, cause) =>
                Effect.map(
                  revokeUnsaved(token, Cause.isInterruptedOnly(cause)),
                  (text) => void said.push(text)
                )
            )
          )
          yield* Deferred.await(saving)
          if (interrupted) login.unsafeInterruptAsFork(login.id())
          for (let turn = 0; turn < 10_000 && (yield* signOuts) === before; turn++)
            yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
          yield* TestClock.adjust("4999 millis")
          assert.isTrue(Option.isNone(yield* Fiber.poll(login)), "still waiting for plex.tv at 4,999 ms")
          yield* TestClock.adjust("1 millis")
          for (let turn = 0; turn < 1_000 && Option.isNone(yield* Fiber.poll(login)); turn++)
            yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
          const exit = yield* Fiber.poll(login)
          assert.isTrue(Option.isSome(exit), "ended at 5 s")
          if (Option.isSome(exit)) {
            assert.isTrue(interrupted ? Exit.isInterrupted(exit.value) : Exit.isFailure(exit.value))
          }
          assert.deepStrictEqual(said, [
            Render.unsavedTokenText(Render.unsavedRevokeTimeoutText, interrupted, true)
          ])
          assert.strictEqual(yield* signOuts, before + 1, "one revocation, sent to plex.tv")
          assert.isTrue(yield* fake.isTokenValid(Redacted.value(token)), "plex.tv never answered")
        }
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  // A revocation that failed in a way that does not prove plex.tv did not act (core/policy.ts outcomeUnknown: a 5xx but a
  // 503, a broken connection; or no answer within the 5 s) may have revoked the token: login said it "stays valid".
  it.scoped(
    "login's revocation of the token it did not save, failed: 'may still be valid' unless the failure proves plex.tv did not revoke it (a 503, a connection refused, a 403)",
    () =>
      Effect.gen(function* () {
        const token = yield* Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token)
        const cases = [
          [Fault.status(502), false],
          [Fault.status(500), false],
          [Fault.reset, false],
          [Fault.status(503), true],
          [Fault.refuse, true],
          [Fault.status(403), true]
        ] as const
        for (const [fault, provesNotRevoked] of cases) {
          yield* FakePlex.fault("signOut", fault, { times: 1 })
          const text = yield* revokeUnsaved(token, false)
          assert.include(text, "The new token could not be saved", text)
          if (provesNotRevoked) {
            assert.include(text, "nor revoked", text)
            assert.include(text, "it stays valid", text)
          } else {
            assert.notInclude(text, "stays valid", text)
            assert.notInclude(text, "nor revoked", text)
            assert.include(text, "it may still be valid", text)
          }
        }
        // No answer within the 5 s: plex.tv may have revoked it.
        yield* FakePlex.fault("signOut", Fault.hang, { times: 1 })
        const revoking = yield* Effect.fork(revokeUnsaved(token, true))
        yield* TestClock.adjust("5 seconds")
        const unanswered = yield* Fiber.join(revoking)
        assert.strictEqual(unanswered, Render.unsavedTokenText(Render.unsavedRevokeTimeoutText, true, true))
        assert.include(unanswered, "it may still be valid")
        assert.notInclude(unanswered, "stays valid")
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  // plex.tv refusing the revocation's token as invalid (401, 422 "Invalid token", 498: refreshRun.ts tokenRefusedBy)
  // proves it is no good: login said it "stays valid".
  it.scoped(
    "login's revocation of the token it did not save, refused as invalid (401, 422 Invalid token, 498): said not valid, no valid token left behind",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const signIn = Effect.map(
          PlexAuth.signIn({ login: FakePlex.defaults.login, password: FakePlex.defaults.password }),
          (account) => account.authToken
        )
        const cases = ["401", "422", "498"] as const
        for (const refusal of cases) {
          for (const interrupted of [false, true]) {
            const token = yield* signIn
            if (refusal === "422") yield* fake.revokeToken(token)
            else yield* FakePlex.fault("signOut", Fault.status(Number(refusal)), { times: 1 })
            const text = yield* revokeUnsaved(token, interrupted)
            assert.strictEqual(text, Render.unsavedTokenText(undefined, interrupted, "invalid"), refusal)
            assert.include(
              text,
              interrupted ? "The new token was not saved (interrupted)" : "The new token could not be saved",
              refusal
            )
            assert.include(text, "no valid token is left behind", refusal)
            assert.notInclude(text, "stays valid", refusal)
            assert.notInclude(text, "may still be valid", refusal)
          }
        }
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  // A revocation plex.tv accepted (a 2xx: it revoked the token) whose body is not in when the 5 s end is revoked, as
  // PlexAuth.signOut counts it (WebSignIn's revokeToken, 71c43134): login said the token "stays valid" / "may still be
  // valid".
  it.scoped(
    "login's revocation of the token it did not save: plex.tv accepts it (2xx), its body not in when the 5 s end: said revoked, not 'stays valid'",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const token = yield* Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token)
        const answer = yield* acceptedWithoutBody
        const revoking = yield* Effect.fork(revokeUnsaved(token, true))
        while (!answer.reading()) {
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        }
        assert.isFalse(yield* fake.isTokenValid(Redacted.value(token)), "plex.tv revoked it")
        assert.isTrue(Option.isNone(yield* Fiber.poll(revoking)), "the body came")
        yield* TestClock.adjust("5 seconds")
        assert.strictEqual(yield* Fiber.join(revoking), Render.unsavedTokenText(undefined, true))
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.scoped(
    "login's revocations after the save (--old-token revoke): Ctrl-C, plex.tv accepts the one under way (2xx), its body not in when the 5 s end: that token said revoked, not 'may still be valid'",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const signIn = Effect.map(
          PlexAuth.signIn({ login: FakePlex.defaults.login, password: FakePlex.defaults.password }),
          (account) => account.authToken
        )
        // The token it replaced (the asked one's revocation to follow, never made), then the token asked about.
        for (const which of ["replaced", "asked"] as const) {
          const token = yield* signIn
          const answer = yield* acceptedWithoutBody
          const revocations = oldTokenRevocations()
          const lines: Array<string> = []
          let previous: string | undefined
          const revoking = yield* Effect.fork(
            letFinish(
              Effect.asVoid(revocations.revoke(which, token)),
              Effect.sync(() => {
                const given = revocations.abandoned(which === "replaced")
                previous = given.previous
                lines.push(...given.lines)
              })
            )
          )
          while (!answer.reading()) {
            yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
          }
          assert.isFalse(yield* fake.isTokenValid(Redacted.value(token)), "plex.tv revoked it")
          // Ctrl-C; the 5 s it is let finish run out.
          revoking.unsafeInterruptAsFork(revoking.id())
          yield* TestClock.adjust("5 seconds")
          assert.isTrue(Exit.isInterrupted(yield* Fiber.await(revoking)), which)
          assert.deepStrictEqual(
            lines,
            which === "replaced"
              ? [Render.askedTokenRevokedText({ failure: Render.revokeNotSentText })]
              : [Render.askedTokenRevokedText("revoked")],
            which
          )
          assert.strictEqual(previous, which === "replaced" ? "revoked" : undefined, which)
        }
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  // The old token, replaced in the file by the new one, is the user's to revoke: Ctrl-C while plex.tv answers the
  // revocation let it end unanswered (the request aborted), the token left valid, saved nowhere, and nothing said.
  it.scoped(
    "login --old-token revoke: Ctrl-C while plex.tv answers the old token's revocation lets it finish (5 s at most), the old token revoked",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const env = { PLEX_PASSWORD: password }
        const signIn = ["--config-dir", dir, "login", "--password", "--login", "alice"]
        assertExit(yield* cli(["--plex-tv", server.plexTvUrl, ...signIn], { env }), 0)
        const old = (yield* readStore(dir))!.entries[tokenKey]!
        // plex.tv: the fake, behind a loopback stand-in that holds the revocation until told (`go`), and forwards it
        // only if the CLI still waits for its answer (an aborted request never reaches plex.tv).
        const reached = yield* Deferred.make<void>()
        const go = yield* Deferred.make<void>()
        let aborted = false
        const plexTv = yield* loopbackPlexTv(async (request, response) => {
          const chunks: Array<Buffer> = []
          for await (const chunk of request) chunks.push(chunk as Buffer)
          if (request.method === "DELETE" && request.url!.startsWith("/api/v2/users/signout")) {
            response.on("close", () => {
              if (!response.writableFinished) aborted = true
            })
            Effect.runSync(Deferred.succeed(reached, undefined))
            await Effect.runPromise(Deferred.await(go))
            if (aborted) return
          }
          const headers = new Headers()
          for (const [name, value] of Object.entries(request.headers)) {
            if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) {
              headers.set(name, value)
            }
          }
          const forwarded = await fetch(`${server.plexTvUrl}${request.url}`, {
            method: request.method!,
            headers,
            ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
          })
          response.writeHead(forwarded.status, {
            "content-type": forwarded.headers.get("content-type") ?? "text/plain"
          })
          response.end(Buffer.from(await forwarded.arrayBuffer()))
        })
        const login = yield* Effect.fork(
          cli(["--plex-tv", plexTv, ...signIn, "--old-token", "revoke"], { env })
        )
        yield* Deferred.await(reached)
        // Ctrl-C, then time for an aborted request to close its connection, then plex.tv answers.
        login.unsafeInterruptAsFork(login.id())
        for (let turn = 0; turn < 200 && !aborted; turn++)
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        yield* Deferred.succeed(go, undefined)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(login)))
        assert.isFalse(aborted, "the revocation's request was let finish")
        assert.isFalse(yield* server.fake.isTokenValid(old), "the old token is revoked")
        const saved = (yield* readStore(dir))!.entries[tokenKey]!
        assert.notStrictEqual(saved, old)
        assert.isTrue(yield* server.fake.isTokenValid(saved), "the new token, saved, is valid")
      })
  )

  // No Ctrl-C: a sign-in that fails in a way that does not prove plex.tv issued no token (a 5xx, perhaps a proxy's after
  // plex.tv issued it; a page's 404 once plex.tv redirected the sign-in) says that a token may be valid, before its
  // error; plex.tv's own 401 (wrong password) says nothing of one.
  it.scoped(
    "login --password: a sign-in failing with a 502, or redirected to a page that answers 404, says a token may have been issued; plex.tv's 401 or 503 does not",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const args = [
          "--config-dir",
          dir,
          "--plex-tv",
          server.plexTvUrl,
          "login",
          "--password",
          "--login",
          "alice"
        ]
        for (const [fault, said] of [
          [Fault.status(502), true],
          // A 503: plex.tv did not handle the sign-in (what RetryPolicy resends a sign-in after): no token.
          [Fault.status(503), false],
          [Fault.redirect({ status: 303, to: "/nowhere" }), true],
          // plex.tv's 307 to another origin, refused (the password is not resent there): plex.tv did not act on it.
          [Fault.redirect({ status: 307 }), false],
          [Fault.status(401, { code: 1001, message: "Nope" }), false]
        ] as const) {
          yield* server.fake.fault("postUsersSignInData", fault, { times: 1 })
          const run = yield* cli(args, { env: { PLEX_PASSWORD: password } })
          assert.notStrictEqual(run.code, 0, fault._tag)
          if (said) assert.include(run.stderr, Render.signInFailedText, fault._tag)
          else assert.notInclude(run.stderr, "may be valid")
          // The refusal, plex.tv's 307 followed no further (what the line above must not be silent about wrongly).
          if (fault._tag === "Redirect" && fault.status === 307)
            assert.include(run.stderr, "refused to send credentials to another origin")
          assert.isUndefined((yield* readStore(dir))?.entries[tokenKey], "nothing saved")
        }
      })
  )

  // No Ctrl-C: a PIN's check refused (a 401, not ridden out as a 5xx or no answer is) ends the wait while the PIN lives
  // on at plex.tv: login says it can still be approved, not to be (a PIN that expired says nothing of it: "exit 4").
  it.scoped(
    "login (PIN): a check refused ends the wait, and login says the PIN can still be approved, not to be; a PIN refused at its creation says that step",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        yield* server.fake.fault("checkPin", Fault.status(401, { code: 1001, message: "Nope" }), { times: 1 })
        const run = yield* cli(["--config-dir", dir, "--plex-tv", server.plexTvUrl, "login"])
        assert.notStrictEqual(run.code, 0)
        assert.include(run.stderr, "The PIN can still be approved until it expires: do not approve it")
        // The refusal is the PIN check's: no saved token was sent or refused.
        assert.include(run.stderr, "plex.tv refused the PIN check (HTTP 401, Plex code 1001: Nope)")
        assert.notInclude(run.stderr, "saved token")
        assert.isUndefined((yield* readStore(dir))?.entries[tokenKey], "nothing saved")
        // A PIN plex.tv refused to create: that step's refusal, and no PIN to say anything of.
        yield* server.fake.fault("createPin", Fault.status(401, { code: 1001, message: "Nope" }), {
          times: 1
        })
        const refused = yield* cli(["--config-dir", dir, "--plex-tv", server.plexTvUrl, "login"])
        assert.strictEqual(refused.code, 3)
        assert.include(refused.stderr, "plex.tv refused to create the PIN (HTTP 401, Plex code 1001: Nope)")
        assert.notInclude(refused.stderr, "PIN check")
        assert.notInclude(refused.stderr, "can still be approved")
        assert.notInclude(refused.stderr, "saved token")
        assert.isUndefined((yield* readStore(dir))?.entries[tokenKey], "nothing saved")
      })
  )

  // Ctrl-C while plex.tv answers the password sign-in, which then fails: a 5xx (a proxy's, perhaps after plex.tv issued
  // the token) said nothing of a token that may be valid; a 401 (wrong password) proves there is none.
  it.scoped(
    "login --password: Ctrl-C, then the sign-in fails: a 502 says a token may have been issued, a 401 says nothing of one",
    () =>
      Effect.gen(function* () {
        for (const status of [502, 401]) {
          const dir = yield* configDir
          const reached = yield* Deferred.make<void>()
          const go = yield* Deferred.make<void>()
          // plex.tv: a stand-in that holds the sign-in until told, then fails it with `status`.
          const plexTv = yield* loopbackPlexTv(async (request, response) => {
            for await (const _chunk of request) void _chunk
            Effect.runSync(Deferred.succeed(reached, undefined))
            await Effect.runPromise(Deferred.await(go))
            response.writeHead(status, { "content-type": "application/json" })
            response.end(
              JSON.stringify({
                errors: [
                  {
                    code: status === 401 ? 1001 : 0,
                    message: status === 401 ? "Nope" : "Bad Gateway",
                    status
                  }
                ]
              })
            )
          })
          let stderr = ""
          const login = yield* Effect.fork(
            cli(["--plex-tv", plexTv, "--config-dir", dir, "login", "--password", "--login", "alice"], {
              env: { PLEX_PASSWORD: password },
              onStderr: (text) => void (stderr += text)
            })
          )
          yield* Deferred.await(reached)
          // Ctrl-C, seen before plex.tv answers (the request is let finish).
          login.unsafeInterruptAsFork(login.id())
          for (let turn = 0; turn < 50; turn++)
            yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
          yield* Deferred.succeed(go, undefined)
          assert.isTrue(Exit.isInterrupted(yield* Fiber.await(login)), `HTTP ${status}`)
          if (status === 401) assert.notInclude(stderr, "Interrupted")
          else
            assert.match(
              stderr,
              /Interrupted: the sign-in then failed \([^\n]*502[^\n]*\); a token plex\.tv may have issued before is saved nowhere and may be valid/
            )
        }
      })
  )

  // The window between the save and the old token's revocation (review40d): Ctrl-C while the open-directory note was
  // written ended the login there, the old token left valid, saved nowhere, and nothing said.
  it.scoped(
    "login --old-token revoke: Ctrl-C while the open-directory note is written, after the save: the old token is revoked all the same",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        yield* Effect.promise(() => fs.chmod(dir, 0o755))
        const env = { PLEX_PASSWORD: password }
        const signIn = [
          "--plex-tv",
          server.plexTvUrl,
          "--config-dir",
          dir,
          "login",
          "--password",
          "--login",
          "alice"
        ]
        assertExit(yield* cli(signIn, { env }), 0)
        const old = (yield* readStore(dir))!.entries[tokenKey]!
        // The login's fiber, once forked.
        const running: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
        let noted = false
        // Ctrl-C as the note is written (in the writing fiber: the interruption is seen at the write's end).
        let stderr = ""
        const onStderr = (text: string) => {
          stderr += text
          const login = running[0]
          if (!text.includes("is open to other users") || login === undefined) return
          noted = true
          login.unsafeInterruptAsFork(login.id())
        }
        const login = yield* Effect.fork(cli([...signIn, "--old-token", "revoke"], { env, onStderr }))
        running.push(login)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(login)))
        assert.isTrue(noted, "Ctrl-C came as the note was written")
        // Said: logged in all the same, the old token revoked (not only "Cancelled.", the user signing in again).
        assert.match(
          stderr,
          /\nInterrupted after the save: you are logged in, the new token is saved in [^\n]*store\.json\. The old token is revoked\.\n/
        )
        const saved = (yield* readStore(dir))!.entries[tokenKey]!
        assert.notStrictEqual(saved, old)
        assert.isTrue(yield* server.fake.isTokenValid(saved), "the new token, saved, is valid")
        assert.isFalse(yield* server.fake.isTokenValid(old), "the old token is revoked")
      })
  )

  // login's wiring of letFinish, on the TestClock: Ctrl-C while plex.tv never answers the old token's revocation ends
  // the wait after 5 s, the request aborted, and says the old token may still be valid (run where Ctrl-C is held off,
  // the revocation without letFinish's bound held the exit as long as plex.tv did not answer).
  it.scoped(
    "login --old-token revoke: Ctrl-C while plex.tv never answers the old token's revocation: given up after 5 s, said so",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const env = { PLEX_PASSWORD: password }
        const signIn = ["--config-dir", dir, "login", "--password", "--login", "alice"]
        assertExit(yield* cli(["--plex-tv", server.plexTvUrl, ...signIn], { env }), 0)
        const old = (yield* readStore(dir))!.entries[tokenKey]!
        const reached = yield* Deferred.make<void>()
        let aborted = false
        // plex.tv: the fake, but the revocation is never answered.
        const plexTv = yield* loopbackPlexTv(async (request, response) => {
          const chunks: Array<Buffer> = []
          for await (const chunk of request) chunks.push(chunk as Buffer)
          if (request.method === "DELETE" && request.url!.startsWith("/api/v2/users/signout")) {
            response.on("close", () => {
              if (!response.writableFinished) aborted = true
            })
            Effect.runSync(Deferred.succeed(reached, undefined))
            return
          }
          const headers = new Headers()
          for (const [name, value] of Object.entries(request.headers)) {
            if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) {
              headers.set(name, value)
            }
          }
          const forwarded = await fetch(`${server.plexTvUrl}${request.url}`, {
            method: request.method!,
            headers,
            ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
          })
          response.writeHead(forwarded.status, {
            "content-type": forwarded.headers.get("content-type") ?? "text/plain"
          })
          response.end(Buffer.from(await forwarded.arrayBuffer()))
        })
        let said = ""
        const login = yield* Effect.fork(
          cli(["--plex-tv", plexTv, ...signIn, "--old-token", "revoke"], {
            env,
            callerClock: true,
            onStderr: (text) => void (said += text)
          })
        )
        yield* Deferred.await(reached)
        login.unsafeInterruptAsFork(login.id())
        // A second at a time, each let run: ended once the 5 s are past, not before.
        let seconds = 0
        for (; seconds < 10 && Option.isNone(yield* Fiber.poll(login)); seconds++) {
          for (let turn = 0; turn < 50; turn++)
            yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
          if (Option.isNone(yield* Fiber.poll(login))) yield* TestClock.adjust("1 second")
        }
        for (let turn = 0; turn < 1_000 && Option.isNone(yield* Fiber.poll(login)); turn++)
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        const exit = yield* Fiber.poll(login)
        assert.isTrue(Option.isSome(exit), "ended within 10 s of the TestClock")
        assert.isTrue(Option.isSome(exit) && Exit.isInterrupted(exit.value))
        assert.isAtLeast(seconds, 5, "not before 5 s")
        assert.include(said, Render.revokeAbandonedText)
        // Saved all the same, said so; the old token not said revoked (its revocation was given up, not answered).
        assert.match(
          said,
          /\nInterrupted after the save: you are logged in, the new token is saved in [^\n]*store\.json\.\n/
        )
        assert.notInclude(said, "The old token is revoked.")
        for (let turn = 0; turn < 200 && !aborted; turn++)
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        assert.isTrue(aborted, "the revocation's request was given up")
        assert.isTrue(yield* server.fake.isTokenValid(old), "plex.tv never revoked the old token")
      })
  )

  // Two logins with --old-token revoke: as this one signs in, another saves its token in this one's file, so this one
  // revokes that token (the one it replaced), then the old one (asked about); plex.tv (the fake behind a loopback
  // proxy) never answers the revocation of `held`, and Ctrl-C comes there. What the login said, and the tokens.
  const racedLogin = (held: "replaced" | "asked") =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.make()
      const dir = yield* configDir
      const elsewhere = yield* configDir
      const env = { PLEX_PASSWORD: password }
      const signIn = ["login", "--password", "--login", "alice"]
      assertExit(yield* cli(["--config-dir", dir, "--plex-tv", server.plexTvUrl, ...signIn], { env }), 0)
      const old = (yield* readStore(dir))!.entries[tokenKey]!
      assertExit(
        yield* cli(["--config-dir", elsewhere, "--plex-tv", server.plexTvUrl, ...signIn], { env }),
        0
      )
      const theirs = (yield* readStore(elsewhere))!.entries[tokenKey]!
      const file = path.join(dir, "store.json")
      const reached = yield* Deferred.make<void>()
      // plex.tv: the fake, but as this login signs in, a script saves its token in this login's file, and the
      // revocation of `held` is never answered.
      const plexTv = yield* loopbackPlexTv(async (request, response) => {
        const chunks: Array<Buffer> = []
        for await (const chunk of request) chunks.push(chunk as Buffer)
        if (request.method === "POST" && request.url!.startsWith("/api/v2/users/signin")) {
          const entries = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, string>
          await fs.writeFile(`${file}.script`, JSON.stringify({ ...entries, [tokenKey]: theirs }), {
            mode: 0o600
          })
          await fs.rename(`${file}.script`, file)
        }
        if (
          request.method === "DELETE" &&
          request.url!.startsWith("/api/v2/users/signout") &&
          request.headers["x-plex-token"] === (held === "asked" ? old : theirs)
        ) {
          Effect.runSync(Deferred.succeed(reached, undefined))
          return
        }
        const headers = new Headers()
        for (const [name, value] of Object.entries(request.headers)) {
          if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) {
            headers.set(name, value)
          }
        }
        const forwarded = await fetch(`${server.plexTvUrl}${request.url}`, {
          method: request.method!,
          headers,
          ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
        })
        response.writeHead(forwarded.status, {
          "content-type": forwarded.headers.get("content-type") ?? "text/plain"
        })
        response.end(Buffer.from(await forwarded.arrayBuffer()))
      })
      let said = ""
      const login = yield* Effect.fork(
        cli(["--config-dir", dir, "--plex-tv", plexTv, ...signIn, "--old-token", "revoke"], {
          env,
          callerClock: true,
          onStderr: (text) => void (said += text)
        })
      )
      yield* Deferred.await(reached)
      login.unsafeInterruptAsFork(login.id())
      for (let seconds = 0; seconds < 10 && Option.isNone(yield* Fiber.poll(login)); seconds++) {
        for (let turn = 0; turn < 50; turn++)
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        if (Option.isNone(yield* Fiber.poll(login))) yield* TestClock.adjust("1 second")
      }
      for (let turn = 0; turn < 1_000 && Option.isNone(yield* Fiber.poll(login)); turn++)
        yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      const exit = yield* Fiber.poll(login)
      assert.isTrue(Option.isSome(exit) && Exit.isInterrupted(exit.value), "ended, interrupted")
      return { server, old, theirs, said }
    })

  // Ctrl-C while plex.tv never answers the revocation of the token asked about (--old-token revoke), which another
  // login replaced meanwhile, after the token that login saved was revoked: the one given up is said not revoked, the
  // other said revoked (not "plex.tv did not answer the old token's revocation", which is the replaced one's).
  it.scoped(
    "login --old-token revoke, another login's token saved meanwhile: Ctrl-C while plex.tv never answers the revocation of the token asked about: that one said not revoked, the replaced one said revoked",
    () =>
      Effect.gen(function* () {
        const { server, old, theirs, said } = yield* racedLogin("asked")
        assert.isFalse(yield* server.fake.isTokenValid(theirs), "the replaced token is revoked")
        assert.isTrue(yield* server.fake.isTokenValid(old), "plex.tv never revoked the token asked about")
        // The 5 s after Ctrl-C are shared with the revocation before it: said as the wait that ran out.
        assert.include(said, Render.askedTokenRevokedText({ failure: Render.revokeCutShortText }))
        assert.include(
          said,
          "Could not revoke the token you chose to revoke (replaced meanwhile by another login): plex.tv had not answered when the 5 s login waits after Ctrl-C ran out"
        )
        assert.notInclude(said, Render.revokeAbandonedText)
        assert.match(
          said,
          /\nInterrupted after the save: you are logged in, the new token is saved in [^\n]*store\.json\. The old token is revoked\.\n/
        )
        assert.notInclude(said, old)
        assert.notInclude(said, theirs)
      })
  )

  // Ctrl-C while plex.tv never answers the revocation of the token this login replaced (another login's, saved
  // meanwhile): given up, and the revocation of the token asked about (--old-token revoke), which was to follow, never
  // made: each said not revoked, not only the replaced one.
  it.scoped(
    "login --old-token revoke, another login's token saved meanwhile: Ctrl-C while plex.tv never answers the revocation of the token it replaced: that one and the token asked about (never revoked) both said not revoked",
    () =>
      Effect.gen(function* () {
        const { server, old, theirs, said } = yield* racedLogin("replaced")
        assert.isTrue(yield* server.fake.isTokenValid(theirs), "plex.tv never revoked the replaced token")
        assert.isTrue(yield* server.fake.isTokenValid(old), "the token asked about was never revoked")
        assert.include(said, Render.revokeAbandonedText)
        // Never asked (the wait ran out during the revocation before it): not said "plex.tv did not answer within 5 s".
        assert.include(said, Render.askedTokenRevokedText({ failure: Render.revokeNotSentText }))
        assert.include(
          said,
          "Could not revoke the token you chose to revoke (replaced meanwhile by another login): its revocation was never sent, the 5 s login waits after Ctrl-C having run out during the one before it"
        )
        assert.notInclude(said, Render.askedTokenRevokedText("revoked"))
        assert.match(
          said,
          /\nInterrupted after the save: you are logged in, the new token is saved in [^\n]*store\.json\.\n/
        )
        assert.notInclude(said, old)
        assert.notInclude(said, theirs)
      })
  )

  // Called where Ctrl-C is held off too (login, right after the save): its bound holds all the same.
  it.scoped("letFinish: Ctrl-C waits for the revocation at most 5 s, then ends it and says so", () =>
    Effect.gen(function* () {
      for (const region of ["interruptible", "uninterruptible"] as const) {
        const started = yield* Deferred.make<void>()
        const ended: Array<string> = []
        const finishing = letFinish(
          Effect.zipRight(
            Deferred.succeed(started, undefined),
            Effect.onInterrupt(Effect.never, () => Effect.sync(() => void ended.push("revocation ended")))
          ),
          Effect.sync(() => void ended.push("abandoned, said"))
        )
        const revoking = yield* Effect.fork(
          region === "interruptible" ? finishing : Effect.uninterruptible(finishing)
        )
        yield* Deferred.await(started)
        revoking.unsafeInterruptAsFork(revoking.id())
        yield* TestClock.adjust("4999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(revoking)), "still waiting at 4,999 ms")
        assert.deepStrictEqual(ended, [], region)
        yield* TestClock.adjust("1 millis")
        for (let turn = 0; turn < 1_000 && Option.isNone(yield* Fiber.poll(revoking)); turn++)
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        assert.isFalse(Option.isNone(yield* Fiber.poll(revoking)), `${region}: ended at 5 s`)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(revoking)), region)
        assert.deepStrictEqual(ended, ["revocation ended", "abandoned, said"], region)
      }
    })
  )

  // The sign-in's wiring of hold (passwordLogin): plex.tv has the request when Ctrl-C comes and issues its token all
  // the same; the request is let finish, and that token revoked, not left valid with nothing holding it.
  it.scoped(
    "login --password: Ctrl-C while plex.tv answers the sign-in: the token it issues is revoked",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const reached = yield* Deferred.make<void>()
        const go = yield* Deferred.make<void>()
        let aborted = false
        let issued: string | undefined
        const plexTv = yield* loopbackPlexTv(async (request, response) => {
          const chunks: Array<Buffer> = []
          for await (const chunk of request) chunks.push(chunk as Buffer)
          const signIn = request.method === "POST" && request.url!.startsWith("/api/v2/users/signin")
          if (signIn) {
            response.on("close", () => {
              if (!response.writableFinished) aborted = true
            })
            Effect.runSync(Deferred.succeed(reached, undefined))
            await Effect.runPromise(Deferred.await(go))
          }
          const headers = new Headers()
          for (const [name, value] of Object.entries(request.headers)) {
            if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) {
              headers.set(name, value)
            }
          }
          // Forwarded even when the CLI went away: plex.tv had the request, and issues the token.
          const forwarded = await fetch(`${server.plexTvUrl}${request.url}`, {
            method: request.method!,
            headers,
            ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
          })
          const body = Buffer.from(await forwarded.arrayBuffer())
          if (signIn) issued = (JSON.parse(body.toString("utf8")) as { readonly authToken: string }).authToken
          response.writeHead(forwarded.status, {
            "content-type": forwarded.headers.get("content-type") ?? "text/plain"
          })
          response.end(body)
        })
        const login = yield* Effect.fork(
          cli(["--config-dir", dir, "--plex-tv", plexTv, "login", "--password", "--login", "alice"], {
            env: { PLEX_PASSWORD: password }
          })
        )
        yield* Deferred.await(reached)
        login.unsafeInterruptAsFork(login.id())
        for (let turn = 0; turn < 200 && !aborted; turn++)
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        yield* Deferred.succeed(go, undefined)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(login)))
        for (let turn = 0; turn < 10_000 && issued === undefined; turn++)
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        assert.isString(issued, "plex.tv issued a token")
        assert.isFalse(aborted, "the sign-in's request was let finish")
        assert.isFalse(yield* server.fake.isTokenValid(issued!), "the token issued is revoked")
      })
  )

  // The PIN login's wiring of hold (pinLogin): the PIN approved while the CLI waits for plex.tv's answer to a check,
  // Ctrl-C then: the wait ends, the PIN is asked once more, and the token it hands out is revoked.
  it.scoped(
    "login (PIN): Ctrl-C while plex.tv answers a check of a PIN approved meanwhile: its token is revoked; of one not approved, said approvable still",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const reached = yield* Deferred.make<number>()
        const go = yield* Deferred.make<void>()
        let held = false
        const plexTv = yield* loopbackPlexTv(async (request, response) => {
          const chunks: Array<Buffer> = []
          for await (const chunk of request) chunks.push(chunk as Buffer)
          const check = request.method === "GET" ? /^\/api\/v2\/pins\/(\d+)/.exec(request.url!) : null
          if (check !== null && !held) {
            // The first check is held until told.
            held = true
            Effect.runSync(Deferred.succeed(reached, Number(check[1])))
            await Effect.runPromise(Deferred.await(go))
          }
          const headers = new Headers()
          for (const [name, value] of Object.entries(request.headers)) {
            if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) {
              headers.set(name, value)
            }
          }
          const forwarded = await fetch(`${server.plexTvUrl}${request.url}`, {
            method: request.method!,
            headers,
            ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
          })
          response.writeHead(forwarded.status, {
            "content-type": forwarded.headers.get("content-type") ?? "text/plain"
          })
          response.end(Buffer.from(await forwarded.arrayBuffer()))
        })
        const login = yield* Effect.fork(cli(["--config-dir", dir, "--plex-tv", plexTv, "login"]))
        const pin = yield* Deferred.await(reached)
        const token = yield* server.fake.approvePin(pin)
        login.unsafeInterruptAsFork(login.id())
        yield* Deferred.succeed(go, undefined)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(login)))
        assert.isFalse(yield* server.fake.isTokenValid(Redacted.value(token)), "the PIN's token is revoked")
        assert.isUndefined(
          yield* readStore(dir).pipe(Effect.map((store) => store?.entries[tokenKey])),
          "nothing saved"
        )
        // A PIN not approved at that check: said to be approvable still, until it expires (the default, strong PIN:
        // 30 minutes at the fake), and not to be approved.
        let said = ""
        const pending = yield* Effect.fork(
          cli(["--config-dir", dir, "--plex-tv", plexTv, "login"], {
            onStderr: (text) => void (said += text)
          })
        )
        for (let turn = 0; turn < 10_000 && !said.includes(Render.pinWaitLabel); turn++)
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        pending.unsafeInterruptAsFork(pending.id())
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(pending)))
        assert.include(
          said,
          "Interrupted: the PIN was not approved, but it can be until it expires (in about 30 minutes)"
        )
        assert.include(said, Render.pinPendingText(1800))
        assert.isUndefined(
          yield* readStore(dir).pipe(Effect.map((store) => store?.entries[tokenKey])),
          "nothing saved"
        )
      })
  )
})

// Not concurrent: node:fs/promises's rename is replaced while it runs (as storeReads replaces it), and a test run
// alongside that replaced it too could put back the wrong one.
describe("plex-auth login: Ctrl-C during the store's change", { timeout: 60_000 }, () => {
  // Ctrl-C once the store's lock was taken: the change runs to its end, the new token saved, and the token it replaced
  // came back to a fiber already interrupted: the old token was left valid, saved nowhere, and nothing said.
  it.scoped(
    "login --old-token revoke: Ctrl-C while the new token replaces the old one in the file: the old token is revoked all the same",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const env = { PLEX_PASSWORD: password }
        const signIn = [
          "--plex-tv",
          server.plexTvUrl,
          "--config-dir",
          dir,
          "login",
          "--password",
          "--login",
          "alice"
        ]
        assertExit(yield* cli(signIn, { env }), 0)
        const old = (yield* readStore(dir))!.entries[tokenKey]!
        const file = path.join(path.resolve(dir), "store.json")
        // The login's fiber, once forked; Ctrl-C as the store's change renames its new file onto store.json.
        const running: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
        let renaming = false
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            const original = fsPromises.rename
            fsPromises.rename = new Proxy(original, {
              apply: (target, self, args: Array<unknown>) => {
                const login = running[0]
                if (String(args[1]) === file && login !== undefined && !renaming) {
                  renaming = true
                  login.unsafeInterruptAsFork(login.id())
                }
                return Reflect.apply(target, self, args)
              }
            })
            syncBuiltinESMExports()
            return original
          }),
          (original) =>
            Effect.sync(() => {
              fsPromises.rename = original
              syncBuiltinESMExports()
            })
        )
        const login = yield* Effect.fork(cli([...signIn, "--old-token", "revoke"], { env }))
        running.push(login)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(login)))
        assert.isTrue(renaming, "Ctrl-C came as the file was replaced")
        const saved = (yield* readStore(dir))!.entries[tokenKey]!
        assert.notStrictEqual(saved, old, "the change ran to its end")
        assert.isTrue(yield* server.fake.isTokenValid(saved), "the new token, saved, is valid")
        assert.isFalse(yield* server.fake.isTokenValid(old), "the old token is revoked")
      })
  )
  // The change made, Ctrl-C: what follows the save runs from what the change answered (swapToken's `saved`), not from
  // a read of the file afterwards, which another login may have changed meanwhile: that read took the new token for
  // one not saved (revoked it, said so) and left the old one valid, saved nowhere, and nothing said.
  it.scoped(
    "login --old-token revoke: Ctrl-C during the store's change, another login saving its token right after it: the old token is revoked all the same",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const env = { PLEX_PASSWORD: password }
        const signIn = [
          "--plex-tv",
          server.plexTvUrl,
          "--config-dir",
          dir,
          "login",
          "--password",
          "--login",
          "alice"
        ]
        assertExit(yield* cli(signIn, { env }), 0)
        const old = (yield* readStore(dir))!.entries[tokenKey]!
        const file = path.join(path.resolve(dir), "store.json")
        const running: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
        let renaming = false
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            const original = fsPromises.rename
            fsPromises.rename = new Proxy(original, {
              apply: (target, self, args: Array<unknown>) => {
                const login = running[0]
                if (String(args[1]) !== file || login === undefined || renaming) {
                  return Reflect.apply(target, self, args)
                }
                renaming = true
                login.unsafeInterruptAsFork(login.id())
                // Once the new file is in place, another login's token replaces the new one (as its own change would,
                // the lock released), before the interrupted login looks at the file again.
                return (Reflect.apply(target, self, args) as Promise<void>).then(async () => {
                  const entries = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, string>
                  await fs.writeFile(file, JSON.stringify({ ...entries, [tokenKey]: "another-login-token" }))
                })
              }
            })
            syncBuiltinESMExports()
            return original
          }),
          (original) =>
            Effect.sync(() => {
              fsPromises.rename = original
              syncBuiltinESMExports()
            })
        )
        const login = yield* Effect.fork(cli([...signIn, "--old-token", "revoke"], { env }))
        running.push(login)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(login)))
        assert.isTrue(renaming, "Ctrl-C came as the file was replaced")
        assert.strictEqual((yield* readStore(dir))!.entries[tokenKey], "another-login-token")
        assert.isFalse(
          yield* server.fake.isTokenValid(old),
          "the old token, replaced by this login, is revoked"
        )
      })
  )
})
