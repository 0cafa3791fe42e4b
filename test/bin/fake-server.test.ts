/**
 * `plex-auth fake-server`: the fake Plex on loopback for any program, which
 * prints its URLs and approves PINs by itself; a program pointed at it by
 * PLEX_TV_URL alone (PlexTv.layerConfig, or the CLI itself) works unchanged.
 * In this process (inProcess.ts `whileRunning`: the server runs until the
 * check is done, then is stopped as Ctrl-C stops it), as
 * effect4/test/bin/fake-server.test.ts runs it: what is tested is what it
 * serves and prints, not the process (a Node start of the CLI costs more CPU
 * than the command). The built binary's own runs of it: cancel.test.ts
 * (Ctrl-C: exit 130, said as a line, or as JSON under --json, after its
 * URLs) and docs.test.ts (docs/cli.md's two `fake-server --json &`
 * examples: its JSON read by a shell script, the built CLI run against it,
 * then `kill %1`).
 */
import { FetchHttpClient } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { it } from "../support/it.js"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { ClientIdentity, Credentials, Jwt, PinLogin, PlexAuth, PlexTv } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import * as FakeSeed from "../../src/core/cli/fakeSeed.js"
import { type Listening, assertClosed, listeningSockets } from "../node/listening.js"
import * as InProcess from "./inProcess.js"
import { type Run, assertExit, configDir } from "./run.js"

/** The `NAME=value` lines fake-server prints. */
const envLines = (stdout: string) =>
  Object.fromEntries(
    stdout
      .split("\n")
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)])
  )

describe.concurrent("plex-auth fake-server", { timeout: 60_000 }, () => {
  it.scoped(
    "prints its URLs; an unchanged program (PlexTv.layerConfig) signs in with a PIN approved by the fake; stopped, it closes its ports",
    () =>
      Effect.gen(function* () {
        let seen: Record<string, string> = {}
        let username = ""
        let link = ""
        let jwtUsername = ""
        let listening: Listening | undefined
        const run = yield* InProcess.cli(["fake-server"], {
          whileRunning: {
            until: /PLEX_PASSWORD=.*\n/,
            andThen: (stdout) =>
              Effect.promise(async () => {
                seen = envLines(stdout)
                // Its listening sockets while it runs (test/node/listening.ts), to check they are gone once stopped.
                listening = listeningSockets(
                  ["PLEX_TV_URL", "PLEX_CLIENTS_URL", "PLEX_SERVER_URL"].map((name) => seen[name] ?? "")
                )
                // A program that reads PLEX_TV_URL from its environment, as a newcomer's would.
                const program = Effect.gen(function* () {
                  const token = yield* PinLogin.login({
                    onPin: ({ url }) => Effect.sync(() => void (link = url))
                  })
                  return (yield* PlexAuth.account().pipe(Credentials.withToken(token))).username
                }).pipe(
                  Effect.provide(
                    Layer.mergeAll(
                      FetchHttpClient.layer,
                      ClientIdentity.layer({ clientIdentifier: "fake-server-test", product: "tests" }),
                      PlexTv.layerConfig()
                    )
                  ),
                  // With the printed PLEX_AUTH_APP_URL, the PIN's link is the fake's sign-in page, not app.plex.tv's.
                  Effect.withConfigProvider(
                    ConfigProvider.fromJson({
                      PLEX_TV_URL: seen["PLEX_TV_URL"],
                      PLEX_AUTH_APP_URL: seen["PLEX_AUTH_APP_URL"]
                    })
                  )
                )
                username = await Effect.runPromise(program)
                // A JWT sign-in from the environment as printed: PLEX_CLIENTS_URL is where the fake answers the
                // JWT flow (its clients.plex.tv origin).
                const jwtProgram = Effect.gen(function* () {
                  const key = yield* Jwt.generateKey
                  yield* Jwt.registerKey(key).pipe(Credentials.withToken(seen["PLEX_TOKEN"] ?? ""))
                  const plexJwt = yield* Jwt.exchange(key)
                  return (yield* PlexAuth.account().pipe(Credentials.withToken(plexJwt.token))).username
                }).pipe(
                  Effect.provide(
                    Layer.mergeAll(
                      FetchHttpClient.layer,
                      ClientIdentity.layer({ clientIdentifier: "fake-server-jwt-test", product: "tests" }),
                      PlexTv.layerConfig(),
                      Jwt.layerHostConfig()
                    )
                  ),
                  Effect.withConfigProvider(
                    ConfigProvider.fromJson({
                      PLEX_TV_URL: seen["PLEX_TV_URL"],
                      PLEX_CLIENTS_URL: seen["PLEX_CLIENTS_URL"]
                    })
                  )
                )
                jwtUsername = await Effect.runPromise(jwtProgram)
              })
          }
        })
        assert.match(seen["PLEX_TV_URL"] ?? "", /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.match(seen["PLEX_CLIENTS_URL"] ?? "", /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.notStrictEqual(seen["PLEX_CLIENTS_URL"], seen["PLEX_TV_URL"])
        assert.match(seen["PLEX_SERVER_URL"] ?? "", /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.strictEqual(seen["PLEX_LOGIN"], FakePlex.defaults.login)
        assert.strictEqual(seen["PLEX_TOKEN"], Redacted.value(FakePlex.defaults.token))
        assert.strictEqual(seen["PLEX_AUTH_APP_URL"], `${seen["PLEX_TV_URL"]}/auth`)
        assert.isTrue(link.startsWith(`${seen["PLEX_TV_URL"]}/auth#?clientID=fake-server-test&`), link)
        assert.strictEqual(username, FakePlex.defaults.username)
        assert.strictEqual(jwtUsername, FakePlex.defaults.username)
        assert.include(run.stderr, `its JWT host clients.plex.tv at ${seen["PLEX_CLIENTS_URL"]},`)
        assert.include(run.stderr, "PINs are approved 1 s after they are created")
        // The approval page, for a PIN login's or WebSignIn's authAppUrl (PINs approved by hand).
        assert.include(
          run.stderr,
          `Its sign-in page, to approve a PIN by hand (a PIN login's or WebSignIn's authAppUrl), is at ${seen["PLEX_TV_URL"]}/auth: PLEX_AUTH_APP_URL above, which a PIN login (plex-auth login's too) and WebSignIn go to when given no authAppUrl.`
        )
        // The seeded unclaimed server's loopback URL, labelled (neither plex.tv's nor the claimed server's).
        const unclaimed =
          /^Its unclaimed server, for plex-auth claim, is at (http:\/\/127\.0\.0\.1:\d+)\.$/m.exec(
            run.stderr
          )?.[1]
        assert.isDefined(unclaimed, run.stderr)
        assert.notInclude([seen["PLEX_TV_URL"], seen["PLEX_CLIENTS_URL"], seen["PLEX_SERVER_URL"]], unclaimed)
        // Stopped (interrupted, as Ctrl-C interrupts it; the signal itself, exit 130, is tested on the built
        // binary in cancel.test.ts): its ports are closed.
        yield* Effect.promise(() => assertClosed(listening!))
      })
  )

  it.scoped("--json prints one document; the CLI itself talks to it through PLEX_TV_URL", () =>
    Effect.gen(function* () {
      const dir = yield* configDir
      let details: Record<string, unknown> = {}
      let listening: Listening | undefined
      const runs: Array<Run> = []
      const server = yield* InProcess.cli(["fake-server", "--json", "--approve-pins-after", "0"], {
        whileRunning: {
          until: /\n}\n/,
          andThen: (stdout) =>
            Effect.gen(function* () {
              details = JSON.parse(stdout)
              // Every port it listens on (its urls: the unclaimed server's and clients.plex.tv's too), to check
              // they are closed once it has stopped; the first test checks three of them.
              listening = listeningSockets(details["urls"] as ReadonlyArray<string>)
              const env = { PLEX_TV_URL: String(details["plexTvUrl"]) }
              const unclaimed = String(details["unclaimedServerUrl"])
              for (const args of [["login"], ["whoami"], ["servers"], ["claim", unclaimed]]) {
                runs.push(yield* InProcess.cli(["--config-dir", dir, ...args], { env }))
              }
            })
        }
      })
      // Its stdout is the one document and nothing else.
      assert.deepStrictEqual(JSON.parse(server.stdout), details)
      assert.deepInclude(details, { login: FakePlex.defaults.login, approvePinsAfterSeconds: 0 })
      assert.isArray(details["urls"])
      assert.match(String(details["clientsUrl"]), /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.include(details["urls"] as ReadonlyArray<unknown>, details["clientsUrl"])
      // The seeded unclaimed server, by its own field: the URL `claim` takes (without --fake, nothing maps its
      // seeded address to loopback).
      assert.match(String(details["unclaimedServerUrl"]), /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.include(details["urls"] as ReadonlyArray<unknown>, details["unclaimedServerUrl"])
      const [login, whoami, servers, claim] = runs
      assertExit(claim!, 0)
      assert.include(
        claim!.stdout,
        `Claimed the server ${FakeSeed.fakeUnclaimedId} at ${String(details["unclaimedServerUrl"])}.`
      )
      assertExit(login!, 0)
      assert.include(login!.stdout, "Logged in as alice")
      assertExit(whoami!, 0)
      assert.match(whoami!.stdout, /^username\s+alice$/m)
      assertExit(servers!, 0)
      assert.include(servers!.stdout, FakePlex.defaults.serverName)
      // Stopped: every one of its ports is closed.
      yield* Effect.promise(() => assertClosed(listening!))
    })
  )

  it.scoped(
    "while it runs, a program changes it over HTTP (/__fake/): the log names the CLI's device, revoking it signs the CLI out, a fault fails whoami until cleared",
    () =>
      Effect.gen(function* () {
        const dir = yield* configDir
        const runs: Array<Run> = []
        let log = ""
        let revoked = ""
        let scripted = 0
        let cleared = 0
        yield* InProcess.cli(["fake-server", "--json", "--approve-pins-after", "0"], {
          whileRunning: {
            until: /\n}\n/,
            andThen: (stdout) =>
              Effect.promise(async () => {
                const plexTv = String(JSON.parse(stdout)["plexTvUrl"])
                const env = { PLEX_TV_URL: plexTv }
                const control = async (method: string, name: string, body?: unknown) => {
                  const response = await fetch(`${plexTv}/__fake/${name}`, {
                    method,
                    headers: { "Content-Type": "application/json" },
                    ...(body === undefined ? {} : { body: JSON.stringify(body) })
                  })
                  return { status: response.status, text: await response.text() }
                }
                const whoami = () =>
                  Effect.runPromise(InProcess.cli(["--config-dir", dir, "whoami"], { env }))
                runs.push(await Effect.runPromise(InProcess.cli(["--config-dir", dir, "login"], { env })))
                log = (await control("GET", "requests")).text
                const device = (JSON.parse(log) as ReadonlyArray<{ headers: Record<string, string> }>).find(
                  (r) => r.headers["x-plex-client-identifier"] !== undefined
                )?.headers["x-plex-client-identifier"]
                scripted = (
                  await control("POST", "faults", {
                    target: "getTokenDetails",
                    fault: { type: "status", status: 400, message: "scripted" }
                  })
                ).status
                runs.push(await whoami())
                cleared = (await control("DELETE", "faults")).status
                runs.push(await whoami())
                revoked = (await control("POST", "revoke", { device })).text
                runs.push(await whoami())
              })
          }
        })
        const [login, faulted, afterClear, signedOut] = runs
        assertExit(login!, 0)
        // The login's token went in X-Plex-Token: logged redacted.
        assert.include(log, '"x-plex-token":"<redacted>"')
        assert.strictEqual(scripted, 204)
        assertExit(faulted!, 1)
        assert.include(faulted!.stderr, "(HTTP 400)")
        assert.strictEqual(cleared, 204)
        assertExit(afterClear!, 0)
        assert.match(afterClear!.stdout, /^username\s+alice$/m)
        assert.strictEqual(revoked, '{"revoked":true}')
        assertExit(signedOut!, 3)
        assert.include(signedOut!.stderr, "Plex refused the saved token (HTTP 422)")
      })
  )
})
