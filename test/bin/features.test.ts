/**
 * The feature commands (`home`, `home switch`, `claim-token`, `claim`,
 * `devices`, `devices revoke`), the CLI run in this process (inProcess.ts)
 * against its embedded loopback fake (`--fake`).
 */
import { assert, describe } from "@effect/vitest"
import { it } from "../support/it.js"
import { Effect } from "effect"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault } from "effect-plex-auth/testing"
import { type Run, assertExit, configDir, fakeTokenKey, noSecretIn, readStore } from "./run.js"
import { cli, fake } from "./inProcess.js"

/** Logs in with a password (the fake's account), so the commands have a saved token. */
const login = (dir: string) =>
  Effect.map(
    fake(dir, ["login", "--password", "--login", "alice"], {
      env: { PLEX_PASSWORD: "alice-secret-password" }
    }),
    (run) => {
      assertExit(run, 0)
      return run
    }
  )

describe.concurrent("plex-auth feature commands", { timeout: 60_000 }, () => {
  it.scoped("home lists the users; home switch asks for the PIN and saves the user's token", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      yield* login(dir)
      const before = (yield* readStore(dir))!.entries[fakeTokenKey]!

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
      noSecretIn(wrong, "9999")
      assert.strictEqual((yield* readStore(dir))!.entries[fakeTokenKey], before)

      const switched = yield* fake(dir, ["home", "switch", "kids"], {
        answers: [{ when: /PIN for Kids/, answer: "1234" }]
      })
      assertExit(switched, 0)
      assert.include(switched.stdout, "Switched to Kids.")
      noSecretIn(switched, "1234")
      const after = (yield* readStore(dir))!.entries[fakeTokenKey]!
      assert.notStrictEqual(after, before)
      noSecretIn(switched, after)

      // The next run acts as the home user.
      const whoami = yield* fake(dir, ["whoami"])
      assertExit(whoami, 0)
      assert.match(whoami.stdout, /^username\s+kids$/m)

      // logout ends the session, and with it the record of the user it was switched to (else a later login by
      // a client that does not reset it, an older version, had its token seeded on Kids).
      assertExit(yield* fake(dir, ["logout"]), 0)
      const left = (yield* readStore(dir))!.entries
      assert.notProperty(left, fakeTokenKey)
      assert.notProperty(left, "effect-plex-auth/fake/home-user")
    })
  )

  it.scoped(
    "home switch: an unknown user exits 1; a blank one and no PIN on a closed stdin exit 2; PLEX_HOME_PIN is used",
    () =>
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
        assert.include(noInput.stderr, "stdin ended before the prompt was answered")

        const fromEnv = yield* fake(dir, ["home", "switch", "Kids"], { env: { PLEX_HOME_PIN: "1234" } })
        assertExit(fromEnv, 0)
        assert.notInclude(fromEnv.stderr, "PIN for")

        // By email, as the help says (Home.findUser matches it): Bob, who has no PIN.
        const byEmail = yield* fake(dir, ["home", "switch", "bob@example.com", "--json"])
        assertExit(byEmail, 0)
        assert.strictEqual((JSON.parse(byEmail.stdout) as { user: { title: string } }).user.title, "Bob")
      })
  )

  // plex.tv decides whether a switch needs the PIN (Home.switchUser sends none unless given one), and may ask
  // for it for a user its listing does not mark protected: the CLI then reads PLEX_HOME_PIN or asks, once.
  it.scoped(
    "home switch: plex.tv asks for the PIN of a user not marked protected: asked for, or PLEX_HOME_PIN, retried once",
    () =>
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
        // Not marked protected: no PIN mark, `protected: false`.
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

  it.scoped("home without a saved token: exit 3", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      const run = yield* fake(dir, ["home"])
      assertExit(run, 3)
      assert.include(run.stderr, "Not logged in")
    })
  )

  it.scoped(
    "the global options between a command's name and its subcommand's are the subcommand's (home, token, devices)",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        yield* login(dir)
        const before = (yield* readStore(dir))!.entries[fakeTokenKey]!
        // Were they dropped, the subcommand would run on plex.tv (here an unreachable loopback port) with the
        // default directory (here an empty one): exit 3 or 5, nothing switched.
        const elsewhere = yield* configDir
        const env = { PLEX_TV_URL: "http://127.0.0.1:9", XDG_CONFIG_HOME: elsewhere, HOME: elsewhere }

        const switched = yield* cli(["home", "--fake", "--config-dir", dir, "--json", "switch", "Bob"], {
          env
        })
        assertExit(switched, 0)
        assert.strictEqual((JSON.parse(switched.stdout) as { user: { title: string } }).user.title, "Bob")
        assert.notStrictEqual((yield* readStore(dir))!.entries[fakeTokenKey], before)
        assert.match((yield* fake(dir, ["whoami"])).stdout, /^username\s+bob$/m)

        const transient = yield* cli(["token", "--fake", "--config-dir=" + dir, "--json", "transient"], {
          env
        })
        assertExit(transient, 0)
        assert.match((JSON.parse(transient.stdout) as { token: string }).token, /^transient-/)

        // A server's name given with spaces around it names that server (core/cli/render.ts serverArg).
        const named = yield* cli(
          ["token", "--fake", "--config-dir", dir, "--json", "transient", "--server", " Fake Media Server "],
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

  // A --server (or PLEX_SERVER_URL) that is an address, mistyped (no http(s)://, another scheme, in quotes as an env
  // file keeps them), is read as the URL it was meant to be and refused saying what to write (core/validate.ts
  // httpUrl), exit 2 before any request (offline: a name looked up at plex.tv would exit 5), never repeated: it is
  // not looked up as a server's name, whose "no server" error printed it, a password or token in it too.
  it.scoped(
    "token transient refuses a --server or PLEX_SERVER_URL address without http(s):// before any request",
    () =>
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

  // plex.tv failing (a 5xx): the CLI says what to do, try again later, as the library's message does (core/errors.ts
  // unexpectedMessage), not only "unexpected status 503." The token is kept (exit 1, not 3).
  it.scoped("a 5xx from plex.tv says to try again later (whoami, devices, home), the token kept", () =>
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
      const saved = (yield* readStore(dir))!.entries["effect-plex-auth/token"]
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
      assert.strictEqual((yield* readStore(dir))!.entries["effect-plex-auth/token"], saved)
    })
  )

  // The server refusing the token token transient asked it with is not plex.tv refusing the saved token (whoami
  // still works): "Run `plex-auth login`" would change nothing. By URL, the saved account token was sent (a server
  // shared with the account lets it in only by its own token, which its name gets); by name, the token plex.tv lists
  // for the server.
  it.scoped("token transient: a server refusing its token is said so, not the saved token refused", () =>
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

  it.scoped("claim-token prints a claim token alone; claim claims the fake's unclaimed server, once", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      yield* login(dir)
      const token = yield* fake(dir, ["claim-token"])
      assertExit(token, 0)
      assert.match(token.stdout, /^claim-[A-Za-z0-9]{20}\n$/)

      const claimed = yield* fake(dir, ["claim", "http://192.0.2.77:32400"])
      assertExit(claimed, 0)
      assert.match(
        claimed.stdout,
        /^Claimed the server 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c at http:\/\/127\.0\.0\.1:\d+\.\n$/
      )

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
      for (const saved of [dir, carolDir, daveDir])
        tokens.push((yield* readStore(saved))!.entries[fakeTokenKey]!)
      assert.lengthOf(new Set(tokens), 3)
      for (const run of [again, againJson, others, othersJson, stranger, unread, noClaimToken]) {
        noSecretIn(run, ...tokens, "carol-secret-password", "dave-secret-password")
      }

      const bad = yield* fake(dir, ["claim", "ftp://nowhere"])
      assertExit(bad, 2)
    })
  )

  it.scoped(
    "as a managed Home user, claim-token and claim exit 3: Plex does not allow it to the account",
    () =>
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

  it.scoped("devices lists the account's devices; devices revoke signs one out; an unknown id exits 1", () =>
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
      assert.include(revoked.stdout, `Revoked device ${id}`)

      const unknown = yield* fake(dir, ["devices", "revoke", "42"])
      assertExit(unknown, 1)
      assert.include(unknown.stderr, "The account has no device 42")
    })
  )
  it.scoped(
    "devices revoke of the CLI's own device says so and forgets the saved token, as logout does; another's keeps it",
    () =>
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
        const own = (yield* readStore(dir))!.entries["effect-plex-auth/client-identifier"]
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
        assert.property((yield* readStore(dir))!.entries, tokenKey)

        // Its own: said plainly, and the token (which no longer works) forgotten, with no question asked.
        const ours = yield* at("devices", "revoke", String(mine!.id))
        assertExit(ours, 0)
        assert.strictEqual(ours.stdout, `Revoked device ${mine!.id}: it is signed out.\n`)
        assert.strictEqual(
          ours.stderr,
          `Device ${mine!.id} was this CLI's own (its client identifier): the saved token no longer works, so it is forgotten. Run \`plex-auth login\` to sign in again.\n`
        )
        assert.notProperty((yield* readStore(dir))!.entries, tokenKey)
        const after = yield* at("whoami")
        assertExit(after, 3)
        assert.include(after.stderr, "Not logged in.")
      })
  )

  it.scoped("server-provided names are printed with their control characters neutralised", () =>
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
        yield* real(["login", "--password", "--login", "alice"], { PLEX_PASSWORD: "alice-secret-password" }),
        0
      )
      const noControl = (run: Run) => {
        assert.notMatch(run.stdout, /[\x00-\x09\x0b-\x1f\u202e]/)
        assert.notMatch(run.stderr, /[\x00-\x09\x0b-\x1f\u202e]/)
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
      assertExit(json, 0)
      assert.include(json.stdout, '"title": "Eve\\u001b[2J"')

      const switched = yield* real(["home", "switch", "eve"])
      assertExit(switched, 0)
      noControl(switched)
      assert.include(switched.stdout, "Switched to Eve\\x1b[2J.")
    })
  )

  it.scoped(
    "devices: a name in CJK characters, with an emoji or a combining accent keeps the columns aligned (padded by display width)",
    () =>
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
          const at = line!.indexOf(`  ${device.product}`, line!.indexOf(device.name) + device.name.length - 1)
          return columns(line!.slice(0, at))
        })
        assert.includeMembers(
          listed.map((device) => device.name),
          ["東京サーバー", "東京の居間", "🎬 Cinema", "Cafe\u0301 TV"]
        )
        assert.lengthOf(new Set(starts), 1, text.stdout)
      })
  )
})
