/**
 * The Effect 4 CLI's commands run in this process (inProcess.ts), against
 * the embedded loopback fake (`--fake`): the feature commands of issue 17
 * (`home`, `home switch`, `claim-token`, `claim`, `devices`, `devices
 * revoke`), mirroring the Effect 3 CLI's test/bin/features.test.ts, and
 * what else must match the Effect 3 CLI (JSON documents, usage errors,
 * completions).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { FakePlexServer } from "effect4-plex-auth/node"
import { Fault } from "effect4-plex-auth/testing"
import { help as Help } from "../../../src/core/cli/help.js"
import {
  type Ran,
  assertExit,
  cli,
  configDir,
  fake,
  fakeTokenKey,
  login,
  noSecretIn,
  readStore
} from "./inProcess.js"

describe("plex-auth (Effect 4) feature commands, in process", { timeout: 60_000 }, () => {
  it.live("home lists the users; home switch asks for the PIN and saves the user's token", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        yield* login(dir)
        const before = (yield* readStore(dir))![fakeTokenKey]!

        const list = yield* fake(dir, ["home"])
        assertExit(list, 0)
        assert.match(list.stdout, /^alice\s+\d+\s+admin$/m)
        assert.match(list.stdout, /^Kids\s+\d+\s+managed, PIN$/m)
        assert.match(list.stdout, /^Bob\s+\d+$/m)

        const wrong = yield* fake(dir, ["home", "switch", "Kids"], {
          answers: [{ when: /PIN for Kids/, answer: "9999" }]
        })
        assertExit(wrong, 3)
        assert.include(
          wrong.stderr,
          `plex-auth: The PIN for "Kids" was not accepted: run \`plex-auth home switch\` again with the right one (or correct PLEX_HOME_PIN, if set).`
        )
        // The PIN is typed hidden: the terminal shows stars, never the digits.
        assert.include(wrong.terminal, "****")
        noSecretIn(wrong, "9999")
        assert.strictEqual((yield* readStore(dir))![fakeTokenKey], before)

        const switched = yield* fake(dir, ["home", "switch", "kids"], {
          answers: [{ when: /PIN for Kids/, answer: "1234" }]
        })
        assertExit(switched, 0)
        assert.include(switched.stdout, "Switched to Kids.")
        noSecretIn(switched, "1234")
        const after = (yield* readStore(dir))![fakeTokenKey]!
        assert.notStrictEqual(after, before)
        noSecretIn(switched, after)

        // The next run acts as the home user. (The global options may stand before and after the command.)
        const whoami = yield* fake(dir, ["whoami", "--fake", "--config-dir", dir])
        assertExit(whoami, 0)
        assert.match(whoami.stdout, /^username\s+kids$/m)

        // logout ends the session, and with it the record of the user it was switched to (else a later login by
        // a client that does not reset it, an older version, had its token seeded on Kids).
        assertExit(yield* fake(dir, ["logout"]), 0)
        const left = (yield* readStore(dir))!
        assert.notProperty(left, fakeTokenKey)
        assert.notProperty(left, "effect-plex-auth/fake/home-user")
      })
    )
  )

  it.live(
    "home switch: an unknown user exits 1; a blank one and no PIN on a closed stdin exit 2; PLEX_HOME_PIN is used",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          yield* login(dir)
          const unknown = yield* fake(dir, ["home", "switch", "Nobody"])
          assertExit(unknown, 1)
          assert.include(
            unknown.stderr,
            'plex-auth: The Plex Home has no user "Nobody" (it has: "alice", "Kids", "Bob").'
          )

          const blank = yield* fake(dir, ["home", "switch", ""])
          assertExit(blank, 2)
          assert.include(blank.stderr, "plex-auth: Invalid user: must not be empty.")

          const noInput = yield* fake(dir, ["home", "switch", "Kids"], { closeStdin: true })
          assertExit(noInput, 2)
          assert.include(noInput.stderr, "stdin ended before the prompt was answered: set PLEX_HOME_PIN.")

          const fromEnv = yield* fake(dir, ["home", "switch", "Kids"], { env: { PLEX_HOME_PIN: "1234" } })
          assertExit(fromEnv, 0)
          assert.notInclude(fromEnv.terminal, "PIN for")

          // By email, as the help says (Home.findUser matches it): Bob, who has no PIN.
          const byEmail = yield* fake(dir, ["home", "switch", "bob@example.com", "--json"])
          assertExit(byEmail, 0)
          assert.strictEqual((JSON.parse(byEmail.stdout) as { user: { title: string } }).user.title, "Bob")

          const json = yield* fake(dir, ["home", "switch", "Bob", "--json"])
          assertExit(json, 0)
          const document = JSON.parse(json.stdout) as { user: Record<string, unknown>; file: string }
          assert.deepStrictEqual(Object.keys(document), ["user", "file"])
          assert.strictEqual(document.user["title"], "Bob")
        })
      )
  )

  // plex.tv decides whether a switch needs the PIN (Home.switchUser sends none unless given one), and may ask
  // for it for a user its listing does not mark protected: the CLI then reads PLEX_HOME_PIN or asks, once.
  it.live(
    "home switch: plex.tv asks for the PIN of a user not marked protected: asked for, or PLEX_HOME_PIN, retried once",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const server = yield* FakePlexServer.make({
            accounts: [
              { username: "alice", password: "alice-secret-password" },
              { username: "teen", title: "Teen", homePin: "2468", homePinListed: false }
            ],
            homes: [{ members: ["teen"] }]
          })
          const dir = yield* configDir
          const real = (args: ReadonlyArray<string>, options?: Parameters<typeof cli>[1]) =>
            cli(["--plex-tv", server.plexTvUrl, "--config-dir", dir, ...args], options)
          const signIn = Effect.gen(function* () {
            const env = { PLEX_PASSWORD: "alice-secret-password" }
            assertExit(
              yield* real(["login", "--password", "--login", "alice", "--old-token", "keep"], { env }),
              0
            )
          })
          const switches = Effect.map(
            server.fake.requests,
            (all) => all.filter((r) => r.route === "switchHomeUser").length
          )
          yield* signIn
          // Not marked protected: no PIN mark.
          assert.match((yield* real(["home"])).stdout, /^Teen\s+\d+$/m)

          // No PIN to be had (stdin closed): the prompt's failure says how to give one.
          const noInput = yield* real(["home", "switch", "Teen"], { closeStdin: true })
          assertExit(noInput, 2)
          assert.include(noInput.stderr, "set PLEX_HOME_PIN")

          // A wrong PIN typed: sent once more, then refused; not sent a third time.
          const before = yield* switches
          const wrong = yield* real(["home", "switch", "Teen"], {
            answers: [{ when: /PIN for Teen/, answer: "1111" }]
          })
          assertExit(wrong, 3)
          assert.include(
            wrong.stderr,
            `The PIN for "Teen" was not accepted: run \`plex-auth home switch\` again with the right one (or correct PLEX_HOME_PIN, if set).`
          )
          noSecretIn(wrong, "1111")
          assert.strictEqual((yield* switches) - before, 2)

          // The PIN typed when asked: switched.
          const typed = yield* real(["home", "switch", "Teen"], {
            answers: [{ when: /PIN for Teen/, answer: "2468" }]
          })
          assertExit(typed, 0)
          assert.include(typed.stdout, "Switched to Teen.")
          noSecretIn(typed, "2468")
          assert.match((yield* real(["whoami"])).stdout, /^username\s+teen$/m)

          // PLEX_HOME_PIN, set for a user not marked protected, is sent with the first switch: no prompt, one request.
          yield* signIn
          const sent = yield* switches
          const fromEnv = yield* real(["home", "switch", "Teen"], { env: { PLEX_HOME_PIN: "2468" } })
          assertExit(fromEnv, 0)
          assert.notInclude(fromEnv.stderr, "PIN for")
          noSecretIn(fromEnv, "2468")
          assert.strictEqual((yield* switches) - sent, 1)
        })
      )
  )

  it.live(
    "the global options between a command's name and its subcommand's are the subcommand's (home, token, devices)",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          yield* login(dir)
          const before = (yield* readStore(dir))![fakeTokenKey]!
          // Were they dropped, the subcommand would run on plex.tv (here an unreachable loopback port) with the
          // default directory (here an empty one): exit 3 or 5, nothing switched.
          const elsewhere = yield* configDir
          const env = { PLEX_TV_URL: "http://127.0.0.1:9", XDG_CONFIG_HOME: elsewhere, HOME: elsewhere }

          const switched = yield* cli(["home", "--fake", "--config-dir", dir, "--json", "switch", "Bob"], {
            env
          })
          assertExit(switched, 0)
          assert.strictEqual((JSON.parse(switched.stdout) as { user: { title: string } }).user.title, "Bob")
          assert.notStrictEqual((yield* readStore(dir))![fakeTokenKey], before)
          assert.match((yield* fake(dir, ["whoami"])).stdout, /^username\s+bob$/m)

          const transient = yield* cli(["token", "--fake", "--config-dir=" + dir, "--json", "transient"], {
            env
          })
          assertExit(transient, 0)
          assert.match((JSON.parse(transient.stdout) as { token: string }).token, /^transient-/)

          // A server's name given with spaces around it names that server (core/cli/render.ts serverArg).
          const named = yield* cli(
            [
              "token",
              "--fake",
              "--config-dir",
              dir,
              "--json",
              "transient",
              "--server",
              " Fake Media Server "
            ],
            { env }
          )
          assertExit(named, 0)
          assert.match((JSON.parse(named.stdout) as { token: string }).token, /^transient-/)

          const devices = yield* cli(["devices", "--config-dir", dir, "--fake", "revoke", "2", "--json"], {
            env
          })
          assertExit(devices, 1)
          assert.include(devices.stderr, '"message":"The account has no device 2')

          // `token` alone with a global option is the usage error `token` alone is, not "Invalid subcommand".
          const alone = yield* cli(["token", "--json"], { env })
          assertExit(alone, 2)
          assert.strictEqual(
            alone.stderr.trim(),
            '{"error":{"kind":"Usage","exitCode":2,"message":"Missing command: run `plex-auth token --help` to see them."}}'
          )
        })
      )
  )

  it.live("home without a saved token: exit 3; home --json lists the users' documented fields", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        const ran = yield* fake(dir, ["home"])
        assertExit(ran, 3)
        assert.include(ran.stderr, "plex-auth: Not logged in. Run `plex-auth login` first.")
        yield* login(dir)
        const json = yield* fake(dir, ["home", "--json"])
        assertExit(json, 0)
        const users = (JSON.parse(json.stdout) as { users: Array<Record<string, unknown>> }).users
        assert.deepStrictEqual(Object.keys(users[1] ?? {}), [
          "id",
          "uuid",
          "title",
          "username",
          "email",
          "admin",
          "restricted",
          "protected",
          "guest"
        ])
        assert.deepStrictEqual(
          users.map((user) => [user["title"], user["username"], user["protected"]]),
          [
            ["alice", "alice", false],
            ["Kids", null, true],
            ["Bob", "bob", false]
          ]
        )
      })
    )
  )

  // As in the Effect 3 CLI (test/bin/features.test.ts): a --server (or PLEX_SERVER_URL) that is an address, mistyped (no http(s)://, another scheme, in quotes as an env
  // file keeps them), is read as the URL it was meant to be and refused saying what to write (core/validate.ts
  // httpUrl), exit 2 before any request (offline: a name looked up at plex.tv would exit 5), never repeated: it is
  // not looked up as a server's name, whose "no server" error printed it, a password or token in it too.
  it.live(
    "token transient refuses a --server or PLEX_SERVER_URL address without http(s):// before any request",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          yield* login(dir)
          const offline = { PLEX_AUTH_FAKE: "offline" }
          const cases: ReadonlyArray<readonly [ReadonlyArray<string>, Record<string, string>, string]> = [
            [
              ["--server", "192.168.1.10:32400"],
              {},
              "Invalid --server URL: must start with http:// or https:// (a host and port alone is not a URL): put http:// before it."
            ],
            [
              ["--server", "alice:url-password@plex.local:32400"],
              {},
              "Invalid --server URL: must start with http:// or https:// (a host and port alone is not a URL): put http:// before it."
            ],
            [
              ["--server", "ftp://plex.local:32400"],
              {},
              "Invalid --server URL: must use http or https, not ftp."
            ],
            [
              ["--server", "http//plex.local:32400"],
              {},
              "Invalid --server URL: the colon after http is missing."
            ],
            [
              [],
              { PLEX_SERVER_URL: "plex.local:32400/?X-Plex-Token=url-token" },
              "Invalid PLEX_SERVER_URL: must start with http:// or https:// (a host and port alone is not a URL): put http:// before it."
            ],
            [
              [],
              { PLEX_SERVER_URL: '"http://192.168.1.10:32400"' },
              "Invalid PLEX_SERVER_URL: must not be in quotes."
            ]
          ]
          for (const [args, env, says] of cases) {
            const run = yield* fake(dir, ["token", "transient", ...args], { env: { ...offline, ...env } })
            assertExit(run, 2)
            assert.strictEqual(run.stderr, `plex-auth: ${says}\n`)
            assert.strictEqual(run.stdout, "")
            noSecretIn(run, "url-password")
            noSecretIn(run, "url-token")
          }
          // A name is still a name (a server's name has no scheme, nor a port after a colon).
          const named = yield* fake(dir, ["token", "transient", "--server", "Nowhere: the attic"])
          assertExit(named, 1)
          assert.include(named.stderr, 'plex-auth: The account has no server "Nowhere: the attic"')
        })
      )
  )

  // A blank --server, inline too (`--server=`), is refused before the session: exit 2 without a saved token (not
  // "Not logged in", exit 3), and with one before any request ("Finding the server..." not said), as in the Effect 3
  // CLI (test/bin/editions.test.ts).
  it.live("token transient --server= (blank) exits 2 before anything, signed in or not", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        for (const server of ["--server=", "--server= "]) {
          const run = yield* fake(dir, ["token", "transient", server])
          assertExit(run, 2)
          assert.strictEqual(run.stderr, "plex-auth: Invalid --server: must not be empty.\n")
        }
        yield* login(dir)
        const run = yield* fake(dir, ["token", "transient", "--server", " "], {
          env: { PLEX_AUTH_FAKE: "offline" }
        })
        assertExit(run, 2)
        assert.strictEqual(run.stderr, "plex-auth: Invalid --server: must not be empty.\n")
      })
    )
  )

  // plex.tv failing (a 5xx): the CLI says what to do, try again later, as the library's message does (core/errors.ts
  // unexpectedMessage), not only "unexpected status 503." The token is kept (exit 1, not 3).
  it.live("a 5xx from plex.tv says to try again later (whoami, devices, home), the token kept", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const args = ["--config-dir", dir, "--plex-tv", server.plexTvUrl]
        assertExit(
          yield* cli([...args, "login", "--password", "--login", "alice"], {
            env: { PLEX_PASSWORD: "alice-secret-password" }
          }),
          0
        )
        const saved = (yield* readStore(dir))!["effect-plex-auth/token"]
        yield* server.fake.fault({ origin: server.plexTvUrl }, Fault.status(503))
        for (const command of [["whoami"], ["devices"], ["home"]]) {
          const run = yield* cli([...args, ...command])
          assertExit(run, 1)
          assert.strictEqual(
            run.stderr,
            `plex-auth: Unexpected answer from ${server.plexTvUrl} (HTTP 503): unexpected status 503; try again later.\n`
          )
        }
        const json = yield* cli([...args, "whoami", "--json"])
        assertExit(json, 1)
        assert.include(json.stderr, 'unexpected status 503; try again later."}}')
        assert.strictEqual((yield* readStore(dir))!["effect-plex-auth/token"], saved)
      })
    )
  )

  // The server refusing the token token transient asked it with is not plex.tv refusing the saved token (whoami
  // still works): "Run `plex-auth login`" would change nothing. By URL, the saved account token was sent (a server
  // shared with the account lets it in only by its own token, which its name gets); by name, the token plex.tv lists
  // for the server.
  it.live("token transient: a server refusing its token is said so, not the saved token refused", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const dir = yield* configDir
        const args = ["--config-dir", dir, "--plex-tv", server.plexTvUrl]
        assertExit(
          yield* cli([...args, "login", "--password", "--login", "alice"], {
            env: { PLEX_PASSWORD: "alice-secret-password" }
          }),
          0
        )
        yield* server.fake.fault({ origin: server.serverUrl, path: "/security/token" }, Fault.status(401))
        const byName = yield* cli([...args, "token", "transient"])
        assertExit(byName, 3)
        assert.include(
          byName.stderr,
          `plex-auth: The server at ${server.serverUrl} refused the token plex.tv lists for it (HTTP 401)`
        )
        assert.notInclude(byName.stderr, "Plex refused the saved token")
        const byUrl = yield* cli([...args, "token", "transient", "--server", server.serverUrl])
        assertExit(byUrl, 3)
        assert.include(
          byUrl.stderr,
          `plex-auth: The server at ${server.serverUrl} refused the saved token (HTTP 401)`
        )
        assert.include(byUrl.stderr, "--server <name>")
        assertExit(yield* cli([...args, "whoami"]), 0)
      })
    )
  )

  it.live("claim-token prints a claim token alone; claim claims the fake's unclaimed server, once", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        yield* login(dir)
        const token = yield* fake(dir, ["claim-token"])
        assertExit(token, 0)
        assert.match(token.stdout, /^claim-[A-Za-z0-9]{20}\n$/)

        const claimed = yield* fake(dir, ["claim", "http://192.0.2.77:32400", "--json"])
        assertExit(claimed, 0)
        const document = JSON.parse(claimed.stdout) as Record<string, string>
        assert.deepStrictEqual(Object.keys(document), ["machineIdentifier", "origin", "alreadyClaimed"])
        assert.strictEqual(document["machineIdentifier"], "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c")
        assert.match(document["origin"]!, /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.strictEqual((document as Record<string, unknown>)["alreadyClaimed"], false)

        // The default server (seeded at http://192.0.2.10:32400) is claimed already, by this account (alice's own,
        // in plex.tv's list): nothing to do, exit 0, so that a setup script may run `claim` twice.
        const again = yield* fake(dir, ["claim", "http://192.0.2.10:32400"])
        assertExit(again, 0)
        assert.match(
          again.stdout,
          /^The server 5d7e1c0f9b2a4c8e9f3a6b1d2c4e8f0a7b9c1d3e at http:\/\/127\.0\.0\.1:\d+ is already claimed by this account: nothing to do\.\n$/
        )
        // Its URL as the library reads it too (spaces around, capitals: core/cli/fakeSeed.ts fakeSeededServer), the
        // fake's server, not 192.0.2.10 off the machine (which a run that did go there could not reach: exit 5).
        const spelled = yield* fake(dir, ["claim", " HTTP://192.0.2.10:32400/ "])
        assertExit(spelled, 0)
        assert.include(spelled.stdout, "is already claimed by this account: nothing to do.")
        const againJson = yield* fake(dir, ["claim", "http://192.0.2.10:32400", "--json"])
        assertExit(againJson, 0)
        assert.include(againJson.stdout, '"alreadyClaimed": true')
        // Signed in as carol, with whom it is shared (listed, not owned): another account's server, exit 1.
        const carolDir = yield* configDir
        const carol = yield* fake(carolDir, ["login", "--password", "--login", "carol@example.com"], {
          env: { PLEX_PASSWORD: "carol-secret-password" }
        })
        assertExit(carol, 0)
        const others = yield* fake(carolDir, ["claim", "http://192.0.2.10:32400"])
        assertExit(others, 1)
        assert.include(
          others.stderr,
          "is already claimed by another account (plex.tv lists it for this account, but not as its own): sign in as its owner"
        )
        // Signed in as dave, whose list does not have it: not known whose (a server claimed moments ago may not be
        // listed yet), exit 1, saying how to find out.
        const daveDir = yield* configDir
        const dave = yield* fake(daveDir, ["login", "--password", "--login", "dave@example.com"], {
          env: { PLEX_PASSWORD: "dave-secret-password" }
        })
        assertExit(dave, 0)
        const stranger = yield* fake(daveDir, ["claim", "http://192.0.2.10:32400"])
        assertExit(stranger, 1)
        assert.include(
          stranger.stderr,
          "is already claimed, by this account or another (plex.tv's list of this account's servers could not be read, or does not have it: a server claimed moments ago may not be listed yet; `plex-auth servers` lists it, owned, once it is this account's). If another's, sign in as its owner"
        )
        // alice's token revoked: plex.tv refuses it, whether for the list (the server claimed: /identity needs no
        // token, the list does) or for a claim token (the server unclaimed). Exit 3, saying to sign in again, as every
        // command says it (core/cli/failure.ts failureOf), not "by this account or another".
        const unread = yield* fake(dir, ["claim", "http://192.0.2.10:32400"], {
          env: { PLEX_AUTH_FAKE: "revoke-token" }
        })
        const noClaimToken = yield* fake(dir, ["claim", "http://192.0.2.77:32400"], {
          env: { PLEX_AUTH_FAKE: "revoke-token" }
        })
        for (const refused of [unread, noClaimToken]) {
          assertExit(refused, 3)
          assert.strictEqual(
            refused.stderr,
            "plex-auth: Plex refused the saved token (HTTP 422). Run `plex-auth login` to sign in again.\n"
          )
        }

        // plex.tv's list is read with the saved account's token: no token and no password reaches any claim's output,
        // the --json error document of another account's server included.
        const othersJson = yield* fake(carolDir, ["claim", "http://192.0.2.10:32400", "--json"])
        assertExit(othersJson, 1)
        assert.include(othersJson.stderr, "is already claimed by another account")
        const tokens: Array<string> = []
        for (const saved of [dir, carolDir, daveDir]) tokens.push((yield* readStore(saved))![fakeTokenKey]!)
        assert.lengthOf(new Set(tokens), 3)
        for (const run of [again, againJson, others, othersJson, stranger, unread, noClaimToken]) {
          noSecretIn(run, ...tokens, "carol-secret-password", "dave-secret-password")
        }

        const bad = yield* fake(dir, ["claim", "ftp://nowhere"])
        assertExit(bad, 2)
        assert.include(bad.stderr, "plex-auth: Invalid server URL: must use http or https, not ftp.")
      })
    )
  )

  it.live("as a managed Home user, claim-token and claim exit 3: Plex does not allow it to the account", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        yield* login(dir)
        const switched = yield* fake(dir, ["home", "switch", "Kids"], { env: { PLEX_HOME_PIN: "1234" } })
        assertExit(switched, 0)
        // A managed Home user owns no server: plex.tv gives it no claim token (403). Its token is good, so the
        // failure does not say to sign in again as it (core/cli/failure.ts failureOf).
        const refused =
          "plex-auth: Plex does not allow this to the saved account (HTTP 403: A managed user cannot own a server). Sign in as an account that may do it (`plex-auth login`).\n"
        for (const args of [["claim-token"], ["claim", "http://192.0.2.77:32400"]]) {
          const run = yield* fake(dir, args)
          assertExit(run, 3)
          assert.strictEqual(run.stderr, refused, args.join(" "))
        }
      })
    )
  )

  it.live("devices lists the account's devices; devices revoke signs one out; an unknown id exits 1", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        yield* login(dir)
        const list = yield* fake(dir, ["devices"])
        assertExit(list, 0)
        assert.match(
          list.stdout,
          /^\d+\s+Living Room TV\s+Plex for Android \(TV\)\s+last seen \d{4}-\d{2}-\d{2}$/m
        )
        // The account's own server is among its devices.
        assert.match(
          list.stdout,
          /^\d+\s+Fake Media Server\s+Plex Media Server\s+last seen \d{4}-\d{2}-\d{2}$/m
        )
        const id = /^(\d+)\s+Old Phone/m.exec(list.stdout)?.[1]
        assert.isDefined(id)
        assert.notInclude(list.stdout, "fakeDeviceToken")

        const revoked = yield* fake(dir, ["devices", "revoke", id!])
        assertExit(revoked, 0)
        assert.strictEqual(revoked.stdout, `Revoked device ${id}: it is signed out.\n`)
        const unknown = yield* fake(dir, ["devices", "revoke", "42"])
        assertExit(unknown, 1)
        assert.include(unknown.stderr, "The account has no device 42")
        const notANumber = yield* fake(dir, ["devices", "revoke", "abc", "--json"])
        assertExit(notANumber, 2)
        assert.strictEqual(JSON.parse(notANumber.stderr).error.kind, "Usage")
      })
    )
  )

  it.live(
    "devices revoke of the CLI's own device says so and forgets the saved token, as logout does; another's keeps it",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          // A plex.tv that outlives the runs (--fake starts afresh on each): the CLI's sign-in adds its own device.
          const server = yield* FakePlexServer.make({
            accounts: [
              { username: "alice", password: "alice-secret-password", devices: [{ name: "Living Room TV" }] }
            ]
          })
          const dir = yield* configDir
          const at = (...args: ReadonlyArray<string>) =>
            cli(["--config-dir", dir, "--plex-tv", server.plexTvUrl, ...args])
          const tokenKey = "effect-plex-auth/token"
          assertExit(
            yield* cli(
              ["--config-dir", dir, "--plex-tv", server.plexTvUrl, "login", "--password", "--login", "alice"],
              {
                env: { PLEX_PASSWORD: "alice-secret-password" }
              }
            ),
            0
          )
          const own = (yield* readStore(dir))!["effect-plex-auth/client-identifier"]
          const listed = JSON.parse((yield* at("devices", "--json")).stdout).devices as ReadonlyArray<{
            readonly id: number
            readonly name: string
            readonly clientIdentifier: string | null
          }>
          const mine = listed.find((device) => device.clientIdentifier === own)
          const tv = listed.find((device) => device.name === "Living Room TV")
          assert.isDefined(mine)
          assert.isDefined(tv)

          // Another device: revoked, nothing more said, the saved token kept.
          const theirs = yield* at("devices", "revoke", String(tv!.id), "--json")
          assertExit(theirs, 0)
          assert.deepStrictEqual(JSON.parse(theirs.stdout), { id: tv!.id, revoked: true, forgotten: false })
          assert.strictEqual(theirs.stderr, "")
          assert.property(yield* readStore(dir), tokenKey)

          // Its own: said plainly, and the token (which no longer works) forgotten, with no question asked.
          const ours = yield* at("devices", "revoke", String(mine!.id))
          assertExit(ours, 0)
          assert.strictEqual(ours.stdout, `Revoked device ${mine!.id}: it is signed out.\n`)
          assert.strictEqual(
            ours.stderr,
            `Device ${mine!.id} was this CLI's own (its client identifier): the saved token no longer works, so it is forgotten. Run \`plex-auth login\` to sign in again.\n`
          )
          assert.notProperty(yield* readStore(dir), tokenKey)
          const after = yield* at("whoami")
          assertExit(after, 3)
          assert.include(after.stderr, "Not logged in.")
        })
      )
  )

  it.live("server-provided names are printed with their control characters neutralised", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make({
          accounts: [
            {
              username: "alice",
              password: "alice-secret-password",
              devices: [{ name: "TV\x1b]0;pwned\x07", product: "\u202eevil" }]
            },
            { username: "eve", title: "Eve\x1b[2J" }
          ],
          homes: [{ members: ["eve"] }]
        })
        const dir = yield* configDir
        const real = (args: ReadonlyArray<string>, env?: Record<string, string>) =>
          cli(["--plex-tv", server.plexTvUrl, "--config-dir", dir, ...args], { env })
        assertExit(
          yield* real(["login", "--password", "--login", "alice"], {
            PLEX_PASSWORD: "alice-secret-password"
          }),
          0
        )
        const noControl = (ran: Ran) => {
          assert.notMatch(ran.stdout, /[\x00-\x09\x0b-\x1f\u202e]/)
          assert.notMatch(ran.stderr, /[\x00-\x09\x0b-\x1f\u202e]/)
        }
        const devices = yield* real(["devices"])
        assertExit(devices, 0)
        noControl(devices)
        assert.include(devices.stdout, "TV\\x1b]0;pwned\\x07")
        assert.include(devices.stdout, "\\u202eevil")

        const home = yield* real(["home"])
        assertExit(home, 0)
        noControl(home)
        assert.match(home.stdout, /^Eve\\x1b\[2J\s+\d+$/m)

        // --json gives the text exactly, JSON-escaped.
        const json = yield* real(["home", "--json"])
        assert.include(json.stdout, '"title": "Eve\\u001b[2J"')

        const switched = yield* real(["home", "switch", "eve"])
        assertExit(switched, 0)
        noControl(switched)
        assert.include(switched.stdout, "Switched to Eve\\x1b[2J.")
      })
    )
  )
})

describe("plex-auth (Effect 4) command line, in process", { timeout: 60_000 }, () => {
  it.live(
    "login when already logged in asks what to do with the old token: a closed stdin exits 2 first",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          yield* login(dir)
          const before = (yield* readStore(dir))![fakeTokenKey]
          const asked = yield* fake(dir, ["login", "--password", "--login", "alice"], {
            env: { PLEX_PASSWORD: "alice-secret-password" },
            closeStdin: true
          })
          assertExit(asked, 2)
          assert.include(asked.stderr, "Already logged in as alice (alice@example.com).")
          assert.include(asked.stderr, "pass --old-token revoke or --old-token keep")
          assert.strictEqual((yield* readStore(dir))![fakeTokenKey], before)

          const answered = yield* fake(dir, ["login", "--password", "--login", "alice", "--json"], {
            env: { PLEX_PASSWORD: "alice-secret-password" },
            answers: [{ when: /revoke the old token/, answer: "y" }]
          })
          assertExit(answered, 0)
          assert.strictEqual(JSON.parse(answered.stdout).previous, "revoked")
          noSecretIn(answered, "alice-secret-password")
        })
      )
  )

  it.live("login --password asks for the login and a hidden password when not given", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        const ran = yield* fake(dir, ["login", "--password"], {
          answers: [
            { when: /Plex login/, answer: "alice@example.com" },
            { when: /Password/, answer: "alice-secret-password" }
          ]
        })
        assertExit(ran, 0)
        assert.include(ran.stdout, "Logged in as alice (alice@example.com).")
        noSecretIn(ran, "alice-secret-password")
      })
    )
  )

  it.live(
    "usage errors: no command, an unknown one (JSON under --json), options that do not go together",
    () =>
      Effect.gen(function* () {
        const none = yield* cli([])
        assertExit(none, 2)
        assert.strictEqual(none.stderr, "plex-auth: Missing command: run `plex-auth --help` to see them.\n")
        const unknown = yield* cli(["frobnicate", "--json"])
        assertExit(unknown, 2)
        assert.strictEqual(unknown.stdout, "")
        const error = JSON.parse(unknown.stderr) as {
          error: { kind: string; exitCode: number; message: string }
        }
        assert.deepStrictEqual([error.error.kind, error.error.exitCode], ["Usage", 2])
        // The commands listed, the word typed not repeated (it may be a URL with a password), as by the Effect 3 CLI.
        assert.strictEqual(
          error.error.message,
          "Unknown command: the commands are login, whoami, servers, token, logout, fake-server, home, claim-token, claim, devices (see `plex-auth --help`)."
        )
        const mixed = yield* cli(["login", "--login", "alice"])
        assertExit(mixed, 2)
        assert.include(mixed.stderr, "plex-auth: --login goes with --password.")
        const twice = yield* cli(["--config-dir", "/tmp/a", "whoami", "--config-dir", "/tmp/b"])
        assertExit(twice, 2)
        assert.include(twice.stderr, "plex-auth: --config-dir was given twice, with different values.")
        const withdrawn = yield* cli(["login", "--code", "X"])
        assertExit(withdrawn, 2)
        assert.include(withdrawn.stderr, "--link-code")
      })
  )

  it.live(
    "--completions prints a bash, zsh or fish script naming every command; --version the version alone",
    () =>
      Effect.gen(function* () {
        for (const shell of ["bash", "zsh", "fish"]) {
          const ran = yield* cli(["--completions", shell])
          assertExit(ran, 0)
          for (const name of [
            "login",
            "whoami",
            "home",
            "switch",
            "claim-token",
            "claim",
            "devices",
            "revoke",
            "--fake"
          ])
            assert.include(ran.stdout, name, `${shell} completions name ${name}`)
        }
        // A shell it has no script for: said in the CLI's words, with the shells it has (as the Effect 3 CLI).
        const unknown = yield* cli(["--completions", "bogus"])
        assertExit(unknown, 2)
        assert.strictEqual(
          unknown.stderr,
          "plex-auth: Invalid --completions bogus: expected one of bash, zsh, fish, sh, powershell, pwsh.\n"
        )
        const version = yield* cli(["--version"])
        assertExit(version, 0)
        assert.match(version.stdout, /^\d+\.\d+\.\d+\S*\n$/)
      })
  )

  it.live("--help lists every command of the Effect 3 CLI and the global options", () =>
    Effect.gen(function* () {
      const help = yield* cli(["--help"])
      assertExit(help, 0)
      for (const name of [
        "login",
        "whoami",
        "servers",
        "token",
        "logout",
        "fake-server",
        "home",
        "claim-token",
        "claim",
        "devices",
        "--fake",
        "--config-dir",
        "--plex-tv",
        "--json",
        "--wizard",
        "--completions"
      ])
        assert.include(help.stdout, name)
      const devices = yield* cli(["devices", "--help"])
      assert.include(devices.stdout, "revoke")
      // The line the Effect 3 help ends with too (src/core/cli/help.ts), and the arguments' descriptions.
      for (const run of [help, devices]) assert.isTrue(run.stdout.trimEnd().endsWith(Help.footer))
      const switchHelp = yield* cli(["home", "switch", "--json", "--help"])
      assertExit(switchHelp, 0)
      assert.include(switchHelp.stdout, Help.user)
    })
  )

  it.live(
    "devices: a name in CJK characters, with an emoji or a combining accent keeps the columns aligned (padded by display width)",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          // The account's server and devices named as a user may name them: 東京サーバー is 6 characters, 12 columns.
          const server = yield* FakePlexServer.make({
            accounts: [
              {
                username: "alice",
                password: "alice-secret-password",
                devices: [
                  { name: "東京の居間", product: "Plex for LG" },
                  { name: "🎬 Cinema", product: "Plex Web" },
                  { name: "Cafe\u0301 TV", product: "Plex for iOS" }
                ]
              }
            ],
            servers: [{ name: "東京サーバー" }]
          })
          const dir = yield* configDir
          const at = (args: ReadonlyArray<string>, options?: Parameters<typeof cli>[1]) =>
            cli(["--config-dir", dir, "--plex-tv", server.plexTvUrl, ...args], options)
          assertExit(
            yield* at(["login", "--password", "--login", "alice"], {
              env: { PLEX_PASSWORD: "alice-secret-password" }
            }),
            0
          )
          const json = yield* at(["devices", "--json"])
          assertExit(json, 0)
          const listed = JSON.parse(json.stdout).devices as ReadonlyArray<{
            readonly name: string
            readonly product: string | null
          }>
          const text = yield* at(["devices"])
          assertExit(text, 0)
          // Columns as a terminal draws them, counted here on their own: CJK and emoji 2, a combining mark 0.
          const columns = (s: string) =>
            Array.from(s).reduce(
              (width, char) =>
                width +
                (/\p{Mn}/u.test(char)
                  ? 0
                  : /[\u3000-\u9fff\uff00-\uff60\u{1f300}-\u{1faff}]/u.test(char)
                    ? 2
                    : 1),
              0
            )
          const lines = text.stdout.trimEnd().split("\n")
          assert.lengthOf(lines, listed.length)
          // Where each row's product column starts, on screen: the same column in every row.
          const starts = listed.map((device) => {
            assert.isNotNull(device.product, device.name)
            const line = lines.find((l) => l.includes(`${device.name}  `))
            assert.isDefined(line, device.name)
            const at = line!.indexOf(
              `  ${device.product}`,
              line!.indexOf(device.name) + device.name.length - 1
            )
            return columns(line!.slice(0, at))
          })
          assert.includeMembers(
            listed.map((device) => device.name),
            ["東京サーバー", "東京の居間", "🎬 Cinema", "Cafe\u0301 TV"]
          )
          assert.lengthOf(new Set(starts), 1, text.stdout)
        })
      )
  )
})
