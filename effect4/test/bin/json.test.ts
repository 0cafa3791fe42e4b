/**
 * `--json` of the Effect 4 CLI, as the Effect 3 edition's test/bin/json.test.ts
 * tests it (same names): every command that produces data prints one JSON
 * document on stdout whose shape is the one docs/cli.md documents (checked
 * here with a schema that refuses unknown fields, so a change to the output
 * fails this test until the docs and the schema follow); errors are JSON on
 * stderr with the exit code unchanged. The CLI runs in this process
 * (inProcess.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { FakePlex } from "effect4-plex-auth/testing"
import { CliFailure } from "../../src/bin/internal/session.js"
import { assertExit, cli, configDir } from "./inProcess.js"

// The documented shapes (docs/cli.md, "Output for scripts").
const Account = Schema.Struct({
  username: Schema.String,
  email: Schema.NullOr(Schema.String),
  id: Schema.Number,
  uuid: Schema.String
})
const Login = Schema.Struct({
  account: Schema.NullOr(Account),
  file: Schema.String,
  previous: Schema.Literals(["none", "invalid", "kept", "revoked", "revoke-failed", "same"])
})
const Attempt = Schema.Struct({
  uri: Schema.String,
  location: Schema.Literals(["local", "remote", "relay"]),
  protocol: Schema.Literals(["http", "https"]),
  outcome: Schema.Literals(["Reachable", "Failed", "WrongServer", "Cancelled"]),
  millis: Schema.Number,
  reason: Schema.NullOr(Schema.String)
})
const ErrorBody = Schema.Struct({ kind: Schema.String, exitCode: Schema.Number, message: Schema.String })
const Servers = Schema.Struct({
  servers: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      clientIdentifier: Schema.String,
      owned: Schema.Boolean,
      connection: Schema.NullOr(
        Schema.Struct({
          uri: Schema.String,
          location: Schema.Literals(["local", "remote", "relay"]),
          protocol: Schema.Literals(["http", "https"]),
          elapsedMillis: Schema.Number
        })
      ),
      attempts: Schema.Array(Attempt),
      error: Schema.NullOr(ErrorBody)
    })
  )
})
const Transient = Schema.Struct({ token: Schema.String })
const Logout = Schema.Struct({ revoked: Schema.Boolean, forgotten: Schema.Boolean })
const HomeUser = Schema.Struct({
  id: Schema.Number,
  uuid: Schema.String,
  title: Schema.String,
  username: Schema.NullOr(Schema.String),
  email: Schema.NullOr(Schema.String),
  admin: Schema.Boolean,
  restricted: Schema.Boolean,
  protected: Schema.Boolean,
  guest: Schema.Boolean
})
const Home = Schema.Struct({ users: Schema.Array(HomeUser) })
const HomeSwitch = Schema.Struct({ user: HomeUser, file: Schema.String })
const ClaimToken = Schema.Struct({ token: Schema.String })
const Claimed = Schema.Struct({
  machineIdentifier: Schema.String,
  origin: Schema.String,
  alreadyClaimed: Schema.Boolean
})
const Device = Schema.Struct({
  id: Schema.Number,
  name: Schema.String,
  product: Schema.NullOr(Schema.String),
  productVersion: Schema.NullOr(Schema.String),
  platform: Schema.NullOr(Schema.String),
  platformVersion: Schema.NullOr(Schema.String),
  device: Schema.NullOr(Schema.String),
  clientIdentifier: Schema.NullOr(Schema.String),
  provides: Schema.NullOr(Schema.String),
  createdAt: Schema.NullOr(Schema.Number),
  lastSeenAt: Schema.NullOr(Schema.Number)
})
const DevicesList = Schema.Struct({ devices: Schema.Array(Device) })
const Revoked = Schema.Struct({ id: Schema.Number, revoked: Schema.Literal(true), forgotten: Schema.Boolean })
const Failure = Schema.Struct({
  error: Schema.Struct({
    kind: Schema.Literals([
      "Generic",
      "Usage",
      "Unauthorized",
      "PinExpired",
      "Network",
      "RateLimited",
      "Cancelled"
    ]),
    exitCode: Schema.Number,
    message: Schema.String
  })
})

/** Decodes `text` as one JSON document of `schema`, refusing unknown fields; the test fails otherwise. */
const decode = <S extends Schema.Codec<unknown, unknown>>(schema: S, text: string): S["Type"] => {
  const result = Schema.decodeUnknownResult(Schema.fromJsonString(schema))(text, {
    onExcessProperty: "error"
  })
  return Result.getOrElse(result, (error) => assert.fail(`${error.message}\n${text}`))
}

describe.concurrent("plex-auth (Effect 4) --json", { timeout: 60_000 }, () => {
  it.live("login, whoami, servers, token transient and logout print their documented JSON", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        // Its two PIN sign-ins approved at their first check: the JSON is what this tests, not the wait
        // (login.test.ts "progress is printed once" keeps the CLI's own second).
        const fake = (args: ReadonlyArray<string>) =>
          cli(["--fake", "--config-dir", dir, ...args], { fakeApprovesAfter: Duration.zero })

        const login = yield* fake(["login", "--json"])
        assertExit(login, 0)
        const logged = decode(Login, login.stdout)
        assert.strictEqual(logged.account?.username, FakePlex.defaults.username)
        assert.strictEqual(logged.previous, "none")
        // The PIN's address goes to stderr: stdout is the document alone.
        assert.match(login.stderr, /\n {2}http:\/\/127\.0\.0\.1:\d+\/auth#\?clientID=/)

        const whoami = yield* fake(["--json", "whoami"])
        assertExit(whoami, 0)
        assert.deepStrictEqual(decode(Account, whoami.stdout), logged.account)

        const servers = yield* fake(["servers", "--json"])
        assertExit(servers, 0)
        const [server] = decode(Servers, servers.stdout).servers
        assert.strictEqual(server?.name, FakePlex.defaults.serverName)
        assert.strictEqual(server?.clientIdentifier, FakePlex.defaults.serverId)
        assert.isTrue(server?.owned)
        assert.match(server?.connection?.uri ?? "", /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.isNull(server?.error)

        const transient = yield* fake(["token", "transient", "--json"])
        assertExit(transient, 0)
        assert.match(decode(Transient, transient.stdout).token, /^transient-/)

        const again = yield* fake(["login", "--json", "--old-token", "keep"])
        assertExit(again, 0)
        assert.strictEqual(decode(Login, again.stdout).previous, "kept")

        const logout = yield* fake(["logout", "--json"])
        assertExit(logout, 0)
        assert.deepStrictEqual(decode(Logout, logout.stdout), { revoked: true, forgotten: true })
        const nothing = yield* fake(["logout", "--json"])
        assertExit(nothing, 0)
        assert.deepStrictEqual(decode(Logout, nothing.stdout), { revoked: false, forgotten: false })
      })
    )
  )

  it.live(
    "home, home switch, claim-token, claim, devices and devices revoke print their documented JSON",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          const fake = (args: ReadonlyArray<string>, options?: Parameters<typeof cli>[1]) =>
            cli(["--fake", "--config-dir", dir, ...args], options)
          assertExit(
            yield* fake(["login", "--password", "--login", "alice"], {
              env: { PLEX_PASSWORD: "alice-secret-password" }
            }),
            0
          )

          const home = yield* fake(["home", "--json"])
          assertExit(home, 0)
          const users = decode(Home, home.stdout).users
          assert.deepStrictEqual(
            users.map((user) => [user.title, user.username, user.admin, user.restricted, user.protected]),
            [
              ["alice", "alice", true, false, false],
              ["Kids", null, false, true, true],
              ["Bob", "bob", false, false, false]
            ]
          )

          const claimToken = yield* fake(["--json", "claim-token"])
          assertExit(claimToken, 0)
          assert.match(decode(ClaimToken, claimToken.stdout).token, /^claim-[A-Za-z0-9]{20}$/)

          const claim = yield* fake(["claim", "http://192.0.2.77:32400", "--json"])
          assertExit(claim, 0)
          const claimed = decode(Claimed, claim.stdout)
          assert.strictEqual(claimed.machineIdentifier, "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c")
          assert.match(claimed.origin, /^http:\/\/127\.0\.0\.1:\d+$/)
          assert.strictEqual(claimed.alreadyClaimed, false)

          const devices = yield* fake(["devices", "--json"])
          assertExit(devices, 0)
          const list = decode(DevicesList, devices.stdout).devices
          const tv = list.find((device) => device.name === "Living Room TV")
          assert.strictEqual(tv?.product, "Plex for Android (TV)")
          assert.strictEqual(tv?.platform, "Android")
          const phone = list.find((device) => device.name === "Old Phone")
          assert.isDefined(phone)
          assert.strictEqual(tv?.provides, "client,player")
          // The account's own server is listed too, told apart by `provides`.
          const server = list.find((device) => device.provides === "server")
          assert.strictEqual(server?.name, "Fake Media Server")
          assert.strictEqual(server?.product, "Plex Media Server")
          assert.strictEqual(server?.clientIdentifier, "5d7e1c0f9b2a4c8e9f3a6b1d2c4e8f0a7b9c1d3e")
          // A device's token is never printed.
          assert.notInclude(devices.stdout, "token")

          const revoke = yield* fake(["devices", "revoke", String(phone!.id), "--json"])
          assertExit(revoke, 0)
          assert.deepStrictEqual(decode(Revoked, revoke.stdout), {
            id: phone!.id,
            revoked: true,
            forgotten: false
          })

          // The feature commands' failures are JSON on stderr too, with their exit codes.
          const unknownDevice = yield* fake(["devices", "revoke", "42", "--json"])
          assertExit(unknownDevice, 1)
          assert.strictEqual(unknownDevice.stdout, "")
          assert.deepInclude(decode(Failure, unknownDevice.stderr.trim()).error, {
            kind: "Generic",
            exitCode: 1
          })
          const wrongPin = yield* fake(["home", "switch", "Kids", "--json"], {
            env: { PLEX_HOME_PIN: "9999" }
          })
          assertExit(wrongPin, 3)
          assert.strictEqual(wrongPin.stdout, "")
          const refused = decode(Failure, wrongPin.stderr.trim()).error
          assert.deepInclude(refused, { kind: "Unauthorized", exitCode: 3 })
          assert.include(
            refused.message,
            `The PIN for "Kids" was not accepted: run \`plex-auth home switch\` again with the right one (or correct PLEX_HOME_PIN, if set).`
          )

          // Last: the switch replaces the saved token with the home user's.
          const switched = yield* fake(["home", "switch", "Bob", "--json"])
          assertExit(switched, 0)
          const result = decode(HomeSwitch, switched.stdout)
          assert.deepStrictEqual(result.user, users[2])
          assert.match(result.file, /store\.json$/)
          const whoami = yield* fake(["whoami", "--json"])
          assertExit(whoami, 0)
          assert.strictEqual(decode(Account, whoami.stdout).username, "bob")
        })
      )
  )

  it.live("errors are JSON on stderr, stdout stays empty, the exit code is the documented one", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        const notLoggedIn = yield* cli(["--fake", "--config-dir", dir, "whoami", "--json"])
        assertExit(notLoggedIn, 3)
        assert.strictEqual(notLoggedIn.stdout, "")
        const failure = decode(Failure, notLoggedIn.stderr.trim())
        assert.deepInclude(failure.error, { kind: "Unauthorized", exitCode: 3 })
        assert.include(failure.error.message, "Not logged in")

        // A command line @effect/cli rejects: still JSON, still exit 2.
        const unknown = yield* cli(["whoami", "--json", "--frobnicate"])
        assertExit(unknown, 2)
        assert.strictEqual(unknown.stdout, "")
        assert.deepInclude(decode(Failure, unknown.stderr.trim()).error, { kind: "Usage", exitCode: 2 })

        const withdrawn = yield* cli(["login", "--json", "--code-2fa", "123456"])
        assertExit(withdrawn, 2)
        assert.include(decode(Failure, withdrawn.stderr.trim()).error.message, "PLEX_2FA_CODE")

        // Without --json the same failure is one line for a human.
        const human = yield* cli(["--fake", "--config-dir", dir, "whoami"])
        assertExit(human, 3)
        assert.strictEqual(human.stderr, "plex-auth: Not logged in. Run `plex-auth login` first.\n")
      })
    )
  )
})

describe("the CLI's failure", () => {
  it("is a Schema.TaggedError like every error of the package: it encodes, decodes, and prints its tag and message", () => {
    const failure = new CliFailure({ message: "Not logged in.", exitCode: 3 })
    const encoded = Schema.encodeSync(CliFailure)(failure)
    assert.deepStrictEqual(encoded, { _tag: "CliFailure", message: "Not logged in.", exitCode: 3 })
    const decoded = Schema.decodeUnknownSync(CliFailure)(encoded)
    assert.instanceOf(decoded, CliFailure)
    assert.strictEqual(decoded.message, "Not logged in.")
    assert.strictEqual(decoded.exitCode, 3)
    assert.strictEqual(failure.name, "CliFailure")
    assert.strictEqual(String(failure), "CliFailure: Not logged in.")
    assert.throws(() => Schema.decodeUnknownSync(CliFailure)({ _tag: "CliFailure", message: "x" }))
  })
})
