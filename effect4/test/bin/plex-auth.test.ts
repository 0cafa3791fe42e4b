/**
 * The Effect 4 CLI as it is shipped: the bin and the bundle `npm run build`
 * makes (scripts/build-cli.ts; built.ts), run by Node from a directory with no
 * node_modules. Only what needs that process is run here, each run a Node
 * start (about a third of a CPU-second): the bundle itself (its version:
 * compile-cache.test.ts), a PIN sign-in, signals (fake-server stopped by
 * SIGTERM), and a real stdin (a PIN typed, the wizard, a password piped in
 * off a terminal). What the commands print and how they fail (help, usage
 * errors, not logged in, password and two-factor
 * sign-in, no secret shown) is tested in process (inProcess.ts):
 * commands.test.ts, features.test.ts, wizard.test.ts.
 */
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { FetchHttpClient } from "effect/http"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Jwt from "effect4-plex-auth/Jwt"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import { FakePlex } from "effect4-plex-auth/testing"
import { builtCli, builtCliTimeout } from "./built.js"
import * as InProcess from "./inProcess.js"

/** Spawning under load is slow: each run gets 45 seconds. */
const spawnTimeout = 45_000

let work = ""
let bin = ""

// The built CLI (built.ts: under `npm test`, the shared build's), its bin and the bundle beside it, copied
// where no node_modules is above it.
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "plex-auth4-"))
  bin = path.join(work, "bin", "plex-auth.js")
  await fs.cp(path.dirname(await builtCli(work)), path.dirname(bin), { recursive: true })
}, builtCliTimeout)

afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true })
})

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs the built CLI on this Node (>= 22.19), with a clean environment of its own. */
const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        timeout: spawnTimeout,
        env: { PATH: process.env["PATH"] ?? "", HOME: work, XDG_CONFIG_HOME: path.join(work, "xdg"), ...env }
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
        resolve({ code, stdout, stderr })
      }
    )
  })

const freshDirectory = () => fs.mkdtemp(path.join(work, "config-"))

// Each test has its own configuration directory: they run side by side, each one's runs in order.
describe.concurrent("plex-auth (Effect 4 edition, built bundle)", () => {
  it("the bin has a shebang and imports the bundle beside it, run from a directory with no node_modules", async () => {
    const text = await fs.readFile(bin, "utf8")
    assert.isTrue(text.startsWith("#!/usr/bin/env node\n"))
    assert.include(text, 'await import("./internal/cli.js")')
    assert.deepStrictEqual((await fs.readdir(path.dirname(bin))).sort(), ["internal", "plex-auth.js"])
    assert.deepStrictEqual(await fs.readdir(path.join(path.dirname(bin), "internal")), ["cli.js"])
    // buildCli fails when the bundle imports anything else; this one runs from a temporary
    // directory with no node_modules anywhere above it (the tests below).
    assert.isFalse(
      await fs.stat(path.join(work, "node_modules")).then(
        () => true,
        () => false
      )
    )
  })

  // `--version` of the built bundle prints the package's version (set when it is built): compile-cache.test.ts,
  // whose every run is `--version` of this bundle (stdout exactly the version, exit 0, stderr empty), and
  // test/package.effect4.test.ts (the installed package's bin).
  it(
    "login --fake --json: the PIN approved, the document on stdout, the store file 0600; whoami reads it",
    async () => {
      const dir = await freshDirectory()
      const login = await run(["login", "--fake", "--json", "--config-dir", dir])
      assert.strictEqual(login.code, 0, login.stderr)
      const file = path.join(dir, "store.json")
      assert.deepStrictEqual(JSON.parse(login.stdout), {
        account: {
          username: "alice",
          email: "alice@example.com",
          id: JSON.parse(login.stdout).account.id,
          uuid: JSON.parse(login.stdout).account.uuid
        },
        file,
        previous: "none"
      })
      // The PIN's address went to stderr: stdout is the one document.
      assert.match(login.stderr, /\n {2}http:\/\/127\.0\.0\.1:\d+\/auth#\?/)
      assert.strictEqual((await fs.stat(file)).mode & 0o777, 0o600)

      const text = await run(["whoami", "--fake", "--config-dir", dir])
      assert.strictEqual(text.code, 0)
      assert.match(text.stdout, /^username alice\nemail {4}alice@example\.com\nid {7}\d+\nuuid {5}\S+\n$/)
    },
    spawnTimeout * 2
  )

  it(
    "fake-server prints its details as JSON and serves the fake until stopped",
    async () => {
      const child = spawn(process.execPath, [bin, "fake-server", "--json"], {
        env: { PATH: process.env["PATH"] ?? "", HOME: work },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const closed = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)))
      try {
        // Read stdout until it holds one whole JSON document.
        const details = await new Promise<Record<string, unknown>>((resolve, reject) => {
          let text = ""
          child.stdout.on("data", (chunk: Buffer) => {
            text += chunk.toString("utf8")
            try {
              resolve(JSON.parse(text) as Record<string, unknown>)
            } catch {
              // Not whole yet.
            }
          })
          child.once("close", () => reject(new Error(`fake-server ended early: ${text}`)))
        })
        assert.deepStrictEqual(Object.keys(details), [
          "plexTvUrl",
          "clientsUrl",
          "serverUrl",
          "urls",
          "login",
          "password",
          "token",
          "serverId",
          "serverName",
          "approvePinsAfterSeconds",
          "unclaimedServerUrl",
          "homeMember",
          "sharedUser",
          "stranger",
          "authAppUrl",
          "allowOrigins"
        ])
        const plexTvUrl = String(details["plexTvUrl"])
        assert.match(plexTvUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.match(String(details["clientsUrl"]), /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.include(details["urls"] as ReadonlyArray<unknown>, details["clientsUrl"])
        const dir = await freshDirectory()
        const signedIn = await run(
          [
            "login",
            "--password",
            "--login",
            String(details["login"]),
            "--plex-tv",
            plexTvUrl,
            "--json",
            "--config-dir",
            dir
          ],
          { PLEX_PASSWORD: String(details["password"]) }
        )
        assert.strictEqual(signedIn.code, 0, signedIn.stderr)
        assert.strictEqual(JSON.parse(signedIn.stdout).account.email, details["login"])
        // A JWT sign-in from the environment it describes: clientsUrl (PLEX_CLIENTS_URL) is where the fake
        // answers the JWT flow (its clients.plex.tv origin).
        const jwtUsername = await Effect.runPromise(
          Effect.gen(function* () {
            const key = yield* Jwt.generateKey
            yield* Jwt.registerKey(key).pipe(Credentials.withToken(String(details["token"])))
            const plexJwt = yield* Jwt.exchange(key)
            return (yield* PlexAuth.account().pipe(Credentials.withToken(plexJwt.token))).username
          }).pipe(
            Effect.provide(
              Layer.mergeAll(
                FetchHttpClient.layer,
                ClientIdentity.layer({ clientIdentifier: "fake-server-jwt-test", product: "tests" }),
                PlexTv.layerConfig(),
                Jwt.layerHostConfig()
              ).pipe(
                Layer.provide(
                  ConfigProvider.layer(
                    ConfigProvider.fromEnv({
                      env: { PLEX_TV_URL: plexTvUrl, PLEX_CLIENTS_URL: String(details["clientsUrl"]) }
                    })
                  )
                )
              )
            )
          )
        )
        assert.strictEqual(jwtUsername, FakePlex.defaults.username)
      } finally {
        child.kill("SIGTERM")
      }
      assert.strictEqual(await closed, 130)
    },
    spawnTimeout * 3
  )

  it(
    "home switch reads the PIN typed on a real stdin, as the built binary runs it",
    async () => {
      const dir = await freshDirectory()
      // Signed in beforehand in process (the built binary's own sign-ins: the tests above).
      await Effect.runPromise(InProcess.login(dir))
      const child = spawn(process.execPath, [bin, "home", "switch", "Kids", "--fake", "--config-dir", dir], {
        env: { PATH: process.env["PATH"] ?? "", HOME: work },
        stdio: ["pipe", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk
        // Typed once the prompt shows.
        if (stderr.includes("PIN for Kids") && !child.stdin.writableEnded) child.stdin.end("1234\n")
      })
      const code = await new Promise<number | null>((resolve) => child.once("close", resolve))
      assert.strictEqual(code, 0, stderr)
      assert.include(stdout, "Switched to Kids.")
      assert.notInclude(stdout + stderr, "1234")
    },
    spawnTimeout * 2
  )

  it(
    "a password piped in off a terminal: the prompt is one line asked and one answered, not redrawn per key",
    async () => {
      const dir = await freshDirectory()
      // stdin and stderr pipes, as in a script (printf '%s\n' "$PW" | plex-auth login --password ...): the Node
      // terminal of platform.ts, which the in-process tests replace with a scripted one. test/bin/login.test.ts's
      // wrong-password run is the Effect 3 twin.
      const child = spawn(
        process.execPath,
        [bin, "login", "--password", "--login", "alice", "--fake", "--config-dir", dir],
        { env: { PATH: process.env["PATH"] ?? "", HOME: work }, stdio: ["pipe", "pipe", "pipe"] }
      )
      let stdout = ""
      let stderr = ""
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
      const timer = setTimeout(() => child.kill("SIGKILL"), spawnTimeout)
      child.stdin.end("not-the-password\n")
      const code = await new Promise<number | null>((resolve) => child.once("close", resolve))
      clearTimeout(timer)
      assert.strictEqual(code, 3, stderr)
      assert.include(stderr, "plex-auth: Sign-in failed: wrong login or password.")
      assert.notInclude(stdout + stderr, "not-the-password")
      // One line asked and one answered (core/cli/render.ts promptDisplay), not the prompt drawn again onto its line
      // at every key read ('? Password › ? Password › *? Password › **...', the password's length spelled out).
      // The answer's last frame shows neither the password nor its length (core/cli/render.ts hiddenAnswerText), not
      // one `*` a character.
      assert.match(stderr, /^\? Password › \n✔ Password … \(hidden\)\n/m)
      assert.notInclude(stderr, "*")
      assert.lengthOf(stderr.match(/Password ›/g) ?? [], 1)
      assert.notMatch(stderr, /\x1b/)
      assert.isFalse(
        await fs.stat(path.join(dir, "store.json")).then(
          async () =>
            JSON.parse(await fs.readFile(path.join(dir, "store.json"), "utf8"))[
              "effect-plex-auth/fake/token"
            ] !== undefined,
          () => false
        )
      )
    },
    spawnTimeout * 2
  )

  it(
    "--wizard on a real stdin: answers piped in one go build and run the command; Ctrl-C exits 130",
    async () => {
      const dir = await freshDirectory()
      // Signed in beforehand in process (the built binary's own sign-ins: the tests above).
      await Effect.runPromise(InProcess.login(dir))
      /** Runs the bundle with `input` written to its stdin at once (ended when `end`). */
      const typed = (args: ReadonlyArray<string>, input: string, end: boolean) =>
        new Promise<Run>((resolve) => {
          const child = spawn(process.execPath, [bin, ...args], {
            env: { PATH: process.env["PATH"] ?? "", HOME: work },
            stdio: ["pipe", "pipe", "pipe"]
          })
          let stdout = ""
          let stderr = ""
          child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
          child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
          const timer = setTimeout(() => child.kill("SIGKILL"), spawnTimeout)
          child.once("close", (code) => {
            clearTimeout(timer)
            resolve({ code: code ?? -1, stdout, stderr })
          })
          if (end) child.stdin.end(input)
          else child.stdin.write(input)
        })
      // The user, Enter for "Run this command?", the user's PIN: each prompt reads its own answer.
      const switched = await typed(
        ["home", "switch", "--wizard", "--fake", "--config-dir", dir],
        "Kids\n\n1234\n",
        true
      )
      assert.strictEqual(switched.code, 0, switched.stdout + switched.stderr)
      assert.include(switched.stdout, "Switched to Kids.")
      // Ctrl-C at the wizard's first prompt (stdin stays open): cancelled, not the 0 of a command that ran.
      const cancelled = await typed(
        ["home", "switch", "--wizard", "--fake", "--config-dir", dir],
        "\x03",
        false
      )
      assert.strictEqual(cancelled.code, 130, cancelled.stdout + cancelled.stderr)
      assert.include(cancelled.stderr, "plex-auth: Cancelled.")
    },
    spawnTimeout * 3
  )
})
