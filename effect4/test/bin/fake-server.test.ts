/**
 * `plex-auth fake-server` of the Effect 4 CLI, as the Effect 3 edition's
 * test/bin/fake-server.test.ts tests it (same names), in this process
 * (inProcess.ts `whileRunning`: the server runs until the check is done, then
 * is stopped as Ctrl-C stops it): it prints its URLs and approves PINs by
 * itself; a program pointed at it by PLEX_TV_URL alone (PlexTv.layerConfig,
 * or the CLI itself) works unchanged. The built binary's own run of it (its
 * JSON, SIGTERM) is in plex-auth.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PinLogin from "effect4-plex-auth/PinLogin"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import { FakePlex } from "effect4-plex-auth/testing"
import * as FakeSeed from "../../../src/core/cli/fakeSeed.js"
import { type Listening, assertClosed, listeningSockets } from "../../../test/node/listening.js"
import { type Ran, assertExit, cli, configDir } from "./inProcess.js"

/** The `NAME=value` lines fake-server prints. */
const envLines = (stdout: string) =>
  Object.fromEntries(
    stdout
      .split("\n")
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)])
  )

describe.concurrent("plex-auth (Effect 4) fake-server", { timeout: 60_000 }, () => {
  it.live(
    "prints its URLs; an unchanged program (PlexTv.layerConfig) signs in with a PIN approved by the fake; stopped, it closes its ports",
    () =>
      Effect.gen(function* () {
        let seen: Record<string, string> = {}
        let username = ""
        let link = ""
        let listening: Listening | undefined
        const run = yield* cli(["fake-server"], {
          whileRunning: {
            until: /PLEX_PASSWORD=.*\n/,
            andThen: (stdout) => {
              seen = envLines(stdout)
              // Its listening sockets while it runs (test/node/listening.ts), to check they are gone once stopped.
              listening = listeningSockets(
                ["PLEX_TV_URL", "PLEX_CLIENTS_URL", "PLEX_SERVER_URL"].map((name) => seen[name] ?? "")
              )
              // A program that reads PLEX_TV_URL from its environment, as a newcomer's would.
              // With the printed PLEX_AUTH_APP_URL, the PIN's link is the fake's sign-in page, not app.plex.tv's.
              const env = {
                PLEX_TV_URL: seen["PLEX_TV_URL"] ?? "",
                PLEX_AUTH_APP_URL: seen["PLEX_AUTH_APP_URL"] ?? ""
              }
              return Effect.gen(function* () {
                const token = yield* PinLogin.login({
                  onPin: ({ url }) => Effect.sync(() => void (link = url))
                })
                username = (yield* PlexAuth.account().pipe(Credentials.withToken(token))).username
              }).pipe(
                Effect.provide(
                  Layer.mergeAll(
                    FetchHttpClient.layer,
                    ClientIdentity.layer({ clientIdentifier: "fake-server-test", product: "tests" }),
                    PlexTv.layerConfig()
                  )
                ),
                Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))),
                Effect.orDie
              )
            }
          }
        })
        assert.match(seen["PLEX_TV_URL"] ?? "", /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.match(seen["PLEX_SERVER_URL"] ?? "", /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.strictEqual(seen["PLEX_LOGIN"], FakePlex.defaults.login)
        assert.strictEqual(seen["PLEX_TOKEN"], Redacted.value(FakePlex.defaults.token))
        assert.strictEqual(seen["PLEX_AUTH_APP_URL"], `${seen["PLEX_TV_URL"]}/auth`)
        assert.isTrue(link.startsWith(`${seen["PLEX_TV_URL"]}/auth#?clientID=fake-server-test&`), link)
        assert.strictEqual(username, FakePlex.defaults.username)
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
        // Stopped (interrupted, as Ctrl-C interrupts it; the signal itself is tested on the built binary in
        // plex-auth.test.ts): its ports are closed.
        yield* Effect.promise(() => assertClosed(listening!))
      })
  )

  it.live("--json prints one document; the CLI itself talks to it through PLEX_TV_URL", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* configDir
        let details: Record<string, unknown> = {}
        let listening: Listening | undefined
        const runs: Array<Ran> = []
        yield* cli(["fake-server", "--json", "--approve-pins-after", "0"], {
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
                  runs.push(yield* cli(["--config-dir", dir, ...args], { env }))
                }
              })
          }
        })
        assert.deepInclude(details, { login: FakePlex.defaults.login, approvePinsAfterSeconds: 0 })
        assert.isArray(details["urls"])
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
  )

  it.live(
    "while it runs, a program changes it over HTTP (/__fake/): the log names the CLI's device, revoking it signs the CLI out, a fault fails whoami until cleared",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* configDir
          const runs: Array<Ran> = []
          let log = ""
          let revoked = ""
          yield* cli(["fake-server", "--json", "--approve-pins-after", "0"], {
            whileRunning: {
              until: /\n}\n/,
              andThen: (stdout) =>
                Effect.gen(function* () {
                  const details = JSON.parse(stdout)
                  const plexTv = String(details["plexTvUrl"])
                  const env = { PLEX_TV_URL: plexTv }
                  const control = (method: string, name: string, body?: unknown) =>
                    Effect.promise(async () => {
                      const response = await fetch(`${plexTv}/__fake/${name}`, {
                        method,
                        headers: { "Content-Type": "application/json" },
                        ...(body === undefined ? {} : { body: JSON.stringify(body) })
                      })
                      return { status: response.status, text: await response.text() }
                    })
                  const whoami = cli(["--config-dir", dir, "whoami"], { env })
                  runs.push(yield* cli(["--config-dir", dir, "login"], { env }))
                  log = (yield* control("GET", "requests")).text
                  const device = (JSON.parse(log) as ReadonlyArray<{ headers: Record<string, string> }>).find(
                    (r) => r.headers["x-plex-client-identifier"] !== undefined
                  )?.headers["x-plex-client-identifier"]
                  const fault = yield* control("POST", "faults", {
                    target: "getTokenDetails",
                    fault: { type: "status", status: 400, message: "scripted" }
                  })
                  assert.strictEqual(fault.status, 204)
                  runs.push(yield* whoami)
                  assert.strictEqual((yield* control("DELETE", "faults")).status, 204)
                  runs.push(yield* whoami)
                  revoked = (yield* control("POST", "revoke", { device })).text
                  runs.push(yield* whoami)
                })
            }
          })
          const [login, faulted, cleared, signedOut] = runs
          assertExit(login!, 0)
          // The login's token went in X-Plex-Token: logged redacted.
          assert.include(log, '"x-plex-token":"<redacted>"')
          assertExit(faulted!, 1)
          assert.include(faulted!.stderr, "(HTTP 400)")
          assertExit(cleared!, 0)
          assert.match(cleared!.stdout, /^username\s+alice$/m)
          assert.strictEqual(revoked, '{"revoked":true}')
          assertExit(signedOut!, 3)
          assert.include(signedOut!.stderr, "Plex refused the saved token (HTTP 422)")
        })
      )
  )
})
