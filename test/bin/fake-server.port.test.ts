/**
 * `plex-auth fake-server --port <n>`: plex.tv at a fixed URL, for a program
 * started apart from the fake; a port in use is said (exit 1, the CLI's
 * "anything else"), as is one out of range (exit 2). The CLI runs in this
 * process (inProcess.ts `whileRunning`: stopped as Ctrl-C stops it once the
 * check is done); effect4/test/bin/fake-server.port.test.ts tests the Effect 4
 * CLI alike.
 */
import * as net from "node:net"
import { assert, describe } from "@effect/vitest"
import { Effect } from "effect"
import * as Render from "../../src/core/cli/render.js"
import { cli } from "./inProcess.js"
import { assertExit } from "./run.js"
import { it } from "../support/it.js"

/** A port on 127.0.0.1 held open by another server until the scope closes. */
const heldPort = Effect.acquireRelease(
  Effect.promise(
    () =>
      new Promise<net.Server>((resolve, reject) => {
        const server = net.createServer()
        server.once("error", reject)
        server.listen({ port: 0, host: "127.0.0.1" }, () => resolve(server))
      })
  ),
  (server) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
).pipe(Effect.map((server) => (server.address() as net.AddressInfo).port))

/** A port that was free a moment ago (held, then let go). */
const freePort = Effect.scoped(heldPort)

/**
 * The CLI's run of `f` on a port that was free a moment ago. The kernel hands the same ports to every
 * process, so another one (a parallel test's connection) may take it in between: a run that says its port
 * is in use is tried again with a new port, up to 5 ports (the fifth run is returned, whatever it says).
 */
const onFreePort = <A extends { readonly code: number | null; readonly stderr: string }>(
  f: (port: number) => Effect.Effect<A>
): Effect.Effect<{ readonly port: number; readonly run: A }> =>
  Effect.flatMap(freePort, (port) => Effect.map(f(port), (run) => ({ port, run }))).pipe(
    Effect.repeat({
      times: 4,
      while: ({ port, run }) => run.code === 1 && run.stderr.includes(`127.0.0.1:${port} is already in use`)
    })
  )

describe.concurrent("plex-auth fake-server --port", { timeout: 60_000 }, () => {
  it.live("serves plex.tv on that port: PLEX_TV_URL is http://127.0.0.1:<n>, and answers there", () =>
    Effect.gen(function* () {
      let plexTvUrl = ""
      let username = ""
      const { port, run } = yield* onFreePort((port) =>
        cli(["fake-server", "--port", String(port), "--json"], {
          whileRunning: {
            until: /\n}\n/,
            andThen: (stdout) =>
              Effect.promise(async () => {
                const details = JSON.parse(stdout) as { plexTvUrl: string; token: string }
                plexTvUrl = details.plexTvUrl
                const response = await fetch(`http://127.0.0.1:${port}/api/v2/user`, {
                  headers: {
                    "X-Plex-Token": details.token,
                    "X-Plex-Client-Identifier": "port-test",
                    Accept: "application/json"
                  }
                })
                username = ((await response.json()) as { username: string }).username
              })
          }
        })
      )
      assertExit(run, 130)
      assert.strictEqual(plexTvUrl, `http://127.0.0.1:${port}`)
      assert.strictEqual(username, "alice")
    })
  )

  it.live("a port in use: exit 1, said on stderr (as JSON under --json)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const port = yield* heldPort
        const said = `Could not start the fake: 127.0.0.1:${port} is already in use. ${Render.portHint}`
        const text = yield* cli(["fake-server", "--port", String(port)])
        assertExit(text, 1)
        assert.strictEqual(text.stdout, "")
        assert.strictEqual(text.stderr, `plex-auth: ${said}\n`)
        const json = yield* cli(["fake-server", "--port", String(port), "--json"])
        assertExit(json, 1)
        assert.deepStrictEqual(JSON.parse(json.stderr), {
          error: { kind: "Generic", exitCode: 1, message: said }
        })
      })
    )
  )

  it.live("a port out of range, or no whole number: exit 2", () =>
    Effect.gen(function* () {
      // One past the safe integers too: no parser's own message (they differ between the editions), the same sentence.
      for (const value of ["65536", "-1", "x", "1.5", "99999999999999999999"]) {
        const run = yield* cli(["fake-server", "--port", value])
        assertExit(run, 2)
        assert.strictEqual(run.stderr, `plex-auth: ${Render.portMessage}\n`, value)
      }
    })
  )

  it.live(
    "--auth-app-url is refused (exit 2: the fake has its own sign-in page); PLEX_AUTH_APP_URL set is said to be unused",
    () =>
      Effect.gen(function* () {
        // Typed before the command's name or after it, as the other global options may be.
        for (const args of [
          ["fake-server", "--auth-app-url", "http://127.0.0.1:1/auth"],
          ["--auth-app-url=http://127.0.0.1:1/auth", "fake-server", "--json"]
        ]) {
          const refused = yield* cli(args)
          assertExit(refused, 2)
          assert.strictEqual(refused.stdout, "", args.join(" "))
          assert.include(refused.stderr, Render.fakeServerAuthAppUrlMessage, args.join(" "))
        }
        // The variable (exported for plex-auth login against an earlier fake, say): the fake starts, and says on
        // stderr that it does not use it, and where its own page is; the value (it may carry a password) is not repeated.
        let plexTvUrl = ""
        const started = yield* cli(["fake-server", "--json"], {
          env: { PLEX_AUTH_APP_URL: "http://user:s3cret@127.0.0.1:1/auth" },
          whileRunning: {
            until: /\n}\n/,
            andThen: (stdout) =>
              Effect.sync(() => {
                plexTvUrl = (JSON.parse(stdout) as { plexTvUrl: string }).plexTvUrl
              })
          }
        })
        assertExit(started, 130)
        assert.include(started.stderr, Render.fakeServerAuthAppVariableNote(plexTvUrl))
        assert.include(started.stderr, `${plexTvUrl}/auth`)
        assert.notInclude(started.stderr, "s3cret")
        // Unset (or blank, as for login): nothing said.
        const quiet = yield* cli(["fake-server", "--json"], {
          env: { PLEX_AUTH_APP_URL: " " },
          whileRunning: { until: /\n}\n/, andThen: () => Effect.void }
        })
        assertExit(quiet, 130)
        assert.notInclude(quiet.stderr, "PLEX_AUTH_APP_URL")
      })
  )

  it.live(
    "--plex-tv, --config-dir and --fake are refused (exit 2: the fake is plex.tv, in memory); PLEX_TV_URL set is said to be unused",
    () =>
      Effect.gen(function* () {
        // Typed before the command's name or after it, as the other global options may be.
        const cases = [
          { args: ["fake-server", "--plex-tv", "http://127.0.0.1:1"], option: "--plex-tv" },
          { args: ["--plex-tv=http://127.0.0.1:1", "fake-server", "--json"], option: "--plex-tv" },
          { args: ["fake-server", "--config-dir", "unused-dir"], option: "--config-dir" },
          { args: ["--config-dir", "unused-dir", "fake-server"], option: "--config-dir" },
          { args: ["fake-server", "--fake"], option: "--fake" },
          { args: ["--fake", "fake-server", "--json"], option: "--fake" }
        ] as const
        for (const { args, option } of cases) {
          const refused = yield* cli(args, {
            whileRunning: { until: /PLEX_TV_URL|\n}\n/, andThen: () => Effect.void }
          })
          assertExit(refused, 2)
          assert.strictEqual(refused.stdout, "", args.join(" "))
          assert.include(refused.stderr, Render.fakeServerOptionMessage(option), args.join(" "))
        }
        // The variable (exported for the commands against an earlier fake, say): the fake starts, and says on
        // stderr that it does not use it, and where it is; the value (it may carry a password) is not repeated.
        let plexTvUrl = ""
        const started = yield* cli(["fake-server", "--json"], {
          env: { PLEX_TV_URL: "http://user:s3cret@127.0.0.1:1" },
          whileRunning: {
            until: /\n}\n/,
            andThen: (stdout) =>
              Effect.sync(() => {
                plexTvUrl = (JSON.parse(stdout) as { plexTvUrl: string }).plexTvUrl
              })
          }
        })
        assertExit(started, 130)
        assert.include(started.stderr, Render.fakeServerPlexTvVariableNote(plexTvUrl))
        assert.notInclude(started.stderr, "s3cret")
        // Unset (or blank): nothing said.
        const quiet = yield* cli(["fake-server", "--json"], {
          env: { PLEX_TV_URL: " " },
          whileRunning: { until: /\n}\n/, andThen: () => Effect.void }
        })
        assertExit(quiet, 130)
        assert.notInclude(quiet.stderr, "PLEX_TV_URL is set")
      })
  )
})
