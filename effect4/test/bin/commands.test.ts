/**
 * The Effect 4 CLI's commands, in process (inProcess.ts), against the
 * embedded loopback fake (`--fake`): their documents, messages and exit
 * codes. These runs went through the built bundle in plex-auth.test.ts,
 * each a Node start; that file keeps one run of each kind that needs the
 * real binary (the bundle, the process's environment and stdin, a real
 * exit code, signals).
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { assertExit, configDir, fake, login, noSecretIn } from "./inProcess.js"

describe.concurrent("plex-auth (Effect 4) commands, in process", { timeout: 60_000 }, () => {
  it.live('whoami --json when not logged in: exit 3, "Not logged in" as a JSON error on stderr', () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        const json = yield* fake(dir, ["whoami", "--json"])
        assertExit(json, 3)
        assert.strictEqual(json.stdout, "")
        assert.deepStrictEqual(JSON.parse(json.stderr), {
          error: { kind: "Unauthorized", exitCode: 3, message: "Not logged in. Run `plex-auth login` first." }
        })
      })
    )
  )

  it.live(
    "--log-level given twice: the same level is taken once, two levels are refused naming the option (exit 2), as --config-dir is",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          // effect/cli refused any second --log-level ("2 occurrences"); the Effect 3 CLI took it.
          const same = yield* fake(dir, ["--log-level", "debug", "whoami", "--log-level=debug"])
          assertExit(same, 3)
          assert.include(same.stderr, "Not logged in")
          for (const args of [
            ["--log-level", "debug", "--log-level", "info", "whoami"],
            ["--log-level", "debug", "whoami", "--log-level", "info"]
          ]) {
            const twice = yield* fake(dir, args)
            assertExit(twice, 2)
            assert.strictEqual(
              twice.stderr,
              "plex-auth: --log-level was given twice, with different values.\n"
            )
            assert.strictEqual(twice.stdout, "")
          }
        })
      )
  )

  it.live(
    "login --fake, then whoami, servers, token transient and logout print their documented JSON; offline exits 5",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          // Approved at its first check: the JSON is what this tests, not the fake's wait (waited in login.test.ts's
          // "progress is printed once" and by plex-auth.test.ts's built binary).
          const login = yield* fake(dir, ["login", "--json"], { fakeApprovesAfter: Duration.zero })
          assertExit(login, 0)
          const file = path.join(dir, "store.json")
          const document = JSON.parse(login.stdout) as { account: Record<string, unknown> } & Record<
            string,
            unknown
          >
          assert.deepStrictEqual(document, {
            account: {
              username: "alice",
              email: "alice@example.com",
              id: document.account.id,
              uuid: document.account.uuid
            },
            file,
            previous: "none"
          })
          // The PIN's address went to stderr: stdout is the one document.
          assert.match(login.stderr, /\n {2}http:\/\/127\.0\.0\.1:\d+\/auth#\?/)
          assert.strictEqual((yield* Effect.promise(() => fs.stat(file))).mode & 0o777, 0o600)

          const whoami = yield* fake(dir, ["whoami", "--json"])
          assertExit(whoami, 0)
          const account = JSON.parse(whoami.stdout) as Record<string, unknown>
          assert.deepStrictEqual(Object.keys(account), ["username", "email", "id", "uuid"])
          assert.strictEqual(account["username"], "alice")
          assert.strictEqual(account["email"], "alice@example.com")
          assert.isNumber(account["id"])

          const offline = yield* fake(dir, ["whoami"], { env: { PLEX_AUTH_FAKE: "offline" } })
          assertExit(offline, 5)
          // Not the fake's loopback port, gone once the run has ended: what it was, and what to do (core/cli/failure.ts
          // inFakeTerms).
          assert.match(
            offline.stderr,
            /^plex-auth: Could not reach the fake plex\.tv: .+\. PLEX_AUTH_FAKE=offline has the fake close every connection unanswered: run without offline in PLEX_AUTH_FAKE to reach it\.\n$/
          )
          assert.notInclude(offline.stderr, "127.0.0.1")

          const servers = yield* fake(dir, ["servers", "--json"])
          assertExit(servers, 0)
          const [server] = (JSON.parse(servers.stdout) as { servers: Array<Record<string, unknown>> }).servers
          assert.deepStrictEqual(Object.keys(server ?? {}), [
            "name",
            "clientIdentifier",
            "owned",
            "connection",
            "attempts",
            "error"
          ])
          assert.strictEqual(server?.["owned"], true)
          assert.strictEqual(server?.["error"], null)

          const transient = yield* fake(dir, ["token", "transient", "--json"])
          assertExit(transient, 0)
          assert.deepStrictEqual(Object.keys(JSON.parse(transient.stdout)), ["token"])

          const logout = yield* fake(dir, ["logout", "--json"])
          assertExit(logout, 0)
          assert.deepStrictEqual(JSON.parse(logout.stdout), { revoked: true, forgotten: true })
          const after = yield* fake(dir, ["whoami"])
          assertExit(after, 3)
          const again = yield* fake(dir, ["logout", "--json"])
          assert.deepStrictEqual(JSON.parse(again.stdout), { revoked: false, forgotten: false })
        })
      )
  )

  it.live(
    "login --password with PLEX_2FA_CODE: a wrong code exits 3; logged in, a wrong password exits 3",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          const args = ["login", "--password", "--login", "alice@example.com", "--json"]
          const env = { PLEX_PASSWORD: "alice-secret-password", PLEX_AUTH_FAKE: "two-factor" }
          const wrongCode = yield* fake(dir, args, { env: { ...env, PLEX_2FA_CODE: "000000" } })
          assertExit(wrongCode, 3)
          assert.include(wrongCode.stderr, "two-factor code was not accepted")
          const signedIn = yield* fake(dir, args, { env: { ...env, PLEX_2FA_CODE: "123456" } })
          assertExit(signedIn, 0)
          // Neither the password nor a code is printed, accepted or not.
          noSecretIn(wrongCode, "alice-secret-password", "000000")
          noSecretIn(signedIn, "alice-secret-password", "123456")
          // Logged in now: --old-token answers the question login would ask (as in the Effect 3 CLI).
          const wrongPassword = yield* fake(dir, [...args, "--old-token", "keep"], {
            env: { PLEX_PASSWORD: "nope" }
          })
          assertExit(wrongPassword, 3)
          assert.include(wrongPassword.stderr, "wrong login or password")
        })
      )
  )

  it.live("a code on the command line is refused: exit 2, pointing at PLEX_2FA_CODE", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        const withdrawn = yield* fake(dir, ["login", "--code-2fa", "123456"])
        assertExit(withdrawn, 2)
        assert.include(withdrawn.stderr, "PLEX_2FA_CODE")
      })
    )
  )

  it.live(
    "claim-token prints a claim token alone; devices --json; devices revoke --json; an unknown id exits 1",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          yield* login(dir)
          const claim = yield* fake(dir, ["claim-token"])
          assertExit(claim, 0)
          assert.match(claim.stdout, /^claim-\S+\n$/)
          const devices = yield* fake(dir, ["devices", "--json"])
          assertExit(devices, 0)
          const list = (
            JSON.parse(devices.stdout) as {
              devices: Array<{ id: number; name: string; provides: string | null }>
            }
          ).devices
          // The account's own server is listed too, told apart by `provides`.
          assert.deepStrictEqual(
            list.map((device) => [device.name, device.provides]),
            [
              ["Living Room TV", "client,player"],
              ["Old Phone", "client,player"],
              ["Fake Media Server", "server"]
            ]
          )
          assert.notInclude(devices.stdout, "token")
          const revoked = yield* fake(dir, ["devices", "revoke", String(list[1]?.id), "--json"])
          assertExit(revoked, 0)
          assert.deepStrictEqual(JSON.parse(revoked.stdout), {
            id: list[1]?.id,
            revoked: true,
            forgotten: false
          })
          const unknown = yield* fake(dir, ["devices", "revoke", "999999"])
          assertExit(unknown, 1)
          assert.include(unknown.stderr, "no device 999999")
        })
      )
  )
})
