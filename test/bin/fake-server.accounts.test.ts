/**
 * `plex-auth fake-server` seeds, beside its own account, a user its server is shared with and a stranger to it,
 * and lists both (notes and `--json`): a web sign-in approved as them is `Shared`, or refused (`AccessDenied`).
 * The CLI runs in this process (inProcess.ts `whileRunning`); effect4/test/bin/fake-server.accounts.test.ts tests
 * the Effect 4 CLI alike.
 */
import { FetchHttpClient, KeyValueStore } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, Redacted } from "effect"
import { ClientIdentity, Credentials, PlexAuth, PlexTv, ServerAccess, WebSignIn } from "effect-plex-auth"
import { authUrlParams } from "../../src/core/authUrl.js"
import * as Render from "../../src/core/cli/render.js"
import { cli } from "./inProcess.js"
import { assertExit, configDir } from "./run.js"
import { it } from "../support/it.js"

interface Account {
  readonly username: string
  readonly login: string
  readonly password: string
}

/** Signs in as `account` at the fake's plex.tv and asks for its access to the server `serverId`. */
const accessOf = (plexTvUrl: string, serverId: string, account: Account) =>
  Effect.gen(function* () {
    const signedIn = yield* PlexAuth.signIn({
      login: account.login,
      password: Redacted.make(account.password)
    })
    const access = yield* ServerAccess.check(serverId).pipe(Credentials.withToken(signedIn.authToken))
    return { username: signedIn.username, access: access._tag }
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        FetchHttpClient.layer,
        ClientIdentity.layer({ clientIdentifier: "fake-server-accounts-test", product: "tests" }),
        PlexTv.layerConfig()
      )
    ),
    Effect.withConfigProvider(ConfigProvider.fromJson({ PLEX_TV_URL: plexTvUrl }))
  )

/**
 * A web sign-in against the fake at `plexTvUrl` for its server `serverId`, approved as `account` at the fake's
 * sign-in page (`POST <plexTvUrl>/auth`, the form a user submits there): the access level, or the refusal's tag.
 */
const webSignInAs = (plexTvUrl: string, serverId: string, account: string) =>
  Effect.gen(function* () {
    const service = yield* WebSignIn.WebSignIn
    const started = yield* service.start
    const params = authUrlParams(Redacted.value(started.url))
    const approved = yield* Effect.promise(() =>
      fetch(`${plexTvUrl}/auth`, {
        method: "POST",
        redirect: "manual",
        body: new URLSearchParams({
          clientID: params.get("clientID") ?? "",
          code: params.get("code") ?? "",
          forwardUrl: params.get("forwardUrl") ?? "",
          account
        })
      })
    )
    assert.strictEqual(approved.status, 303, account)
    return yield* Effect.match(
      service.callback({
        cookie: `${started.cookie.name}=${started.cookie.value}`,
        url: approved.headers.get("location") ?? ""
      }),
      { onFailure: (error) => error._tag, onSuccess: ({ user }) => user._tag }
    )
  }).pipe(
    Effect.provide(
      WebSignIn.layer({
        appUrl: "http://localhost:3000",
        machineIdentifier: serverId,
        authAppUrl: `${plexTvUrl}/auth`,
        sessionKey: Config.succeed(Redacted.make("fake-server-accounts-session-key-0123456789"))
      }).pipe(
        Layer.provideMerge(
          Layer.mergeAll(
            FetchHttpClient.layer,
            ClientIdentity.layer({ clientIdentifier: "fake-server-accounts-test", product: "tests" }),
            PlexTv.layerConfig(),
            KeyValueStore.layerMemory
          )
        )
      )
    ),
    Effect.withConfigProvider(ConfigProvider.fromJson({ PLEX_TV_URL: plexTvUrl }))
  )

describe.concurrent("plex-auth fake-server: bob, carol, dave", { timeout: 60_000 }, () => {
  it.live(
    "--json lists them (the other fields unchanged); signed in, one is HomeMember, one Shared, the other NoAccess",
    () =>
      Effect.gen(function* () {
        let details: Record<string, unknown> = {}
        let seen: ReadonlyArray<{ readonly username: string; readonly access: string }> = []
        let page = ""
        const run = yield* cli(["fake-server", "--json"], {
          whileRunning: {
            until: /\n}\n/,
            andThen: (stdout) =>
              Effect.gen(function* () {
                details = JSON.parse(stdout)
                const at = (account: unknown) =>
                  accessOf(String(details["plexTvUrl"]), String(details["serverId"]), account as Account)
                seen = [
                  yield* at(details["homeMember"]),
                  yield* at(details["sharedUser"]),
                  yield* at(details["stranger"])
                ]
                page = yield* Effect.promise(() => fetch(String(details["authAppUrl"])).then((r) => r.text()))
              }).pipe(Effect.orDie)
          }
        })
        assertExit(run, 130)
        // The fields scripts read before, then the two accounts and the sign-in page.
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
        // Its sign-in page, the authAppUrl of a WebSignIn (or a PIN login) against the fake, is served there.
        assert.strictEqual(details["authAppUrl"], `${String(details["plexTvUrl"])}/auth`)
        assert.include(page, '<form id="approve"')
        // The Home member docs name (cli.md, web-sign-in.md), whom the sign-in page lists: not left out.
        assert.deepStrictEqual(details["homeMember"], {
          username: "bob",
          login: "bob@example.com",
          password: "bob-secret-password"
        })
        assert.deepStrictEqual(details["sharedUser"], {
          username: "carol",
          login: "carol@example.com",
          password: "carol-secret-password"
        })
        assert.deepStrictEqual(details["stranger"], {
          username: "dave",
          login: "dave@example.com",
          password: "dave-secret-password"
        })
        assert.deepStrictEqual(seen, [
          { username: "bob", access: "HomeMember" },
          { username: "carol", access: "Shared" },
          { username: "dave", access: "NoAccess" }
        ])
      })
  )

  // As docs/web-sign-in.md says: with a long --approve-pins-after, a web sign-in approved at the fake's sign-in page
  // as alice is Owner, bob HomeMember, carol Shared, and dave is refused.
  it.live(
    "a web sign-in approved at its sign-in page as alice, bob, carol, dave: Owner, HomeMember, Shared, AccessDenied",
    () =>
      Effect.gen(function* () {
        const seen: Array<string> = []
        const run = yield* cli(["fake-server", "--json", "--approve-pins-after", "3600"], {
          whileRunning: {
            until: /\n}\n/,
            andThen: (stdout) =>
              Effect.gen(function* () {
                const details = JSON.parse(stdout)
                for (const account of ["alice", "bob", "carol", "dave"]) {
                  seen.push(
                    yield* webSignInAs(String(details["plexTvUrl"]), String(details["serverId"]), account)
                  )
                }
              }).pipe(Effect.orDie)
          }
        })
        assertExit(run, 130)
        assert.deepStrictEqual(seen, ["Owner", "HomeMember", "Shared", "AccessDenied"])
      })
  )

  // Under --fake (a fake that starts afresh each run, seeded with the saved token), a login as carol stays carol's
  // in the next run, and a login as alice after it alice's (the token is seeded on the account that logged in).
  it.live("under --fake, the next run's whoami is the account that logged in: carol, then alice again", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const as = (login: string, password: string) =>
        cli(["--fake", "--config-dir", dir, "login", "--password", "--login", login, "--old-token", "keep"], {
          env: { PLEX_PASSWORD: password }
        })
      const whoami = cli(["--fake", "--config-dir", dir, "whoami"])
      const carol = yield* as("carol@example.com", "carol-secret-password")
      assertExit(carol, 0)
      const first = yield* whoami
      assertExit(first, 0)
      assert.match(first.stdout, /^username\s+carol$/m)
      assertExit(yield* as("alice@example.com", "alice-secret-password"), 0)
      const second = yield* whoami
      assertExit(second, 0)
      assert.match(second.stdout, /^username\s+alice$/m)
    }).pipe(Effect.scoped)
  )

  // What the text run prints is rendered from the details --json prints (checked above): the notes, rendered here
  // (a run in process is stopped once stdout shows, and stderr may then be unwritten yet).
  it("its notes name them, with their logins and passwords", () => {
    const account = (name: string) => ({
      username: name,
      login: `${name}@example.com`,
      password: `${name}-secret-password`
    })
    const { stderr } = Render.fakeServerText(
      {
        plexTvUrl: "http://127.0.0.1:1",
        clientsUrl: "http://127.0.0.1:2",
        serverUrl: "http://127.0.0.1:3",
        urls: [],
        login: "alice@example.com",
        password: "alice-secret-password",
        token: "fakeAccountToken0001",
        serverId: "id",
        serverName: "Fake Media Server",
        approvePinsAfterSeconds: 1,
        unclaimedServerUrl: "http://127.0.0.1:4",
        homeMember: account("bob"),
        sharedUser: account("carol"),
        stranger: account("dave"),
        authAppUrl: "http://127.0.0.1:1/auth",
        allowOrigins: []
      },
      2000
    )
    assert.include(
      stderr,
      "Its Home member bob (login bob@example.com, password bob-secret-password) signs in too: approved as them, " +
        "a web sign-in is HomeMember.\n" +
        "Its server is shared with carol (login carol@example.com, password carol-secret-password); " +
        "dave (login dave@example.com, password dave-secret-password) has no access to it: approved as them, " +
        "a web sign-in is Shared, or refused (AccessDenied)."
    )
    // The Home and the devices, for a newcomer trying Home.switchUser and Devices.revoke against it.
    assert.include(
      stderr,
      "Its account is the admin of a Plex Home with Kids (a managed user, Home PIN 1234) and Bob (no PIN), " +
        "for Home and plex-auth home switch; its devices besides its server and the clients that sign in are " +
        "Living Room TV and Old Phone, for Devices and plex-auth devices revoke."
    )
  })
})
