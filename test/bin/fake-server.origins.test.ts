/**
 * `plex-auth fake-server --allow-origin <origin>`: the fake answers browser pages of those origins with CORS
 * headers (the fake's `allowOrigins`), so a web app can be tried against it without a harness of its own; a
 * value that is no origin is refused (exit 2). The CLI runs in this process (inProcess.ts `whileRunning`);
 * effect4/test/bin/fake-server.origins.test.ts tests the Effect 4 CLI alike.
 */
import { assert, describe } from "@effect/vitest"
import { Effect } from "effect"
import * as Render from "../../src/core/cli/render.js"
import { cli } from "./inProcess.js"
import { assertExit } from "./run.js"
import { it } from "../support/it.js"

const app = "http://localhost:5173"

/** A browser's preflight of a PIN creation from `origin`: its status and `Access-Control-Allow-Origin`. */
const preflight = async (url: string, origin: string) => {
  const response = await fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "accept,x-plex-client-identifier,x-plex-product"
    }
  })
  return { status: response.status, allowed: response.headers.get("access-control-allow-origin") }
}

describe.concurrent("plex-auth fake-server --allow-origin", { timeout: 60_000 }, () => {
  it.live(
    "answers those origins' pages with CORS headers (not the control API's), lists them in --json",
    () =>
      Effect.gen(function* () {
        let details: { plexTvUrl: string; serverUrl: string; allowOrigins: ReadonlyArray<string> } | undefined
        const seen: Record<string, { status: number; allowed: string | null }> = {}
        const run = yield* cli(
          // Repeated, its value the next word or inline; written with a trailing slash or in capitals, it is
          // the origin a browser sends.
          ["fake-server", "--allow-origin", app, "--allow-origin=HTTPS://App.Example:8443/", "--json"],
          {
            whileRunning: {
              until: /\n}\n/,
              andThen: (stdout) =>
                Effect.promise(async () => {
                  details = JSON.parse(stdout)
                  const plexTv = details!.plexTvUrl
                  seen["app"] = await preflight(`${plexTv}/api/v2/pins?strong=true`, app)
                  seen["second"] = await preflight(`${plexTv}/api/v2/pins`, "https://app.example:8443")
                  seen["other"] = await preflight(`${plexTv}/api/v2/pins`, "http://evil.example")
                  seen["control"] = await preflight(`${plexTv}/__fake/faults`, app)
                  const identity = await fetch(`${details!.serverUrl}/identity`, { headers: { origin: app } })
                  seen["server"] = {
                    status: identity.status,
                    allowed: identity.headers.get("access-control-allow-origin")
                  }
                })
            }
          }
        )
        assertExit(run, 130)
        assert.deepStrictEqual(details?.allowOrigins, [app, "https://app.example:8443"])
        assert.deepStrictEqual(seen["app"], { status: 204, allowed: app })
        assert.deepStrictEqual(seen["second"], { status: 204, allowed: "https://app.example:8443" })
        assert.deepStrictEqual(seen["server"], { status: 200, allowed: app })
        assert.deepStrictEqual(seen["other"], { status: 404, allowed: null })
        assert.deepStrictEqual(seen["control"], { status: 405, allowed: null })
      })
  )

  it.live("without it, none: allowOrigins is [] and a page's preflight gets a 404", () =>
    Effect.gen(function* () {
      let origins: unknown
      let seen: { status: number; allowed: string | null } | undefined
      const run = yield* cli(["fake-server", "--json"], {
        whileRunning: {
          until: /\n}\n/,
          andThen: (stdout) =>
            Effect.promise(async () => {
              const details = JSON.parse(stdout) as { plexTvUrl: string; allowOrigins: unknown }
              origins = details.allowOrigins
              seen = await preflight(`${details.plexTvUrl}/api/v2/pins`, app)
            })
        }
      })
      assertExit(run, 130)
      assert.deepStrictEqual(origins, [])
      assert.deepStrictEqual(seen, { status: 404, allowed: null })
    })
  )

  it.live("a value that is no origin is refused: exit 2, said without repeating it, nothing started", () =>
    Effect.gen(function* () {
      for (const value of [
        "localhost:5173",
        "http://localhost:5173/app",
        "http://localhost:5173?x=1",
        "http://localhost:5173#top",
        "http://user:s3cret@localhost:5173",
        "ftp://localhost",
        "*",
        "null",
        "http://",
        ""
      ]) {
        const run = yield* cli(["fake-server", "--allow-origin", value], {
          whileRunning: { until: /PLEX_TV_URL/, andThen: () => Effect.void }
        })
        assertExit(run, 2)
        assert.strictEqual(run.stdout, "", value)
        assert.strictEqual(run.stderr, `plex-auth: ${Render.allowOriginMessage}\n`, value)
      }
      // Inline, empty too.
      for (const arg of ["--allow-origin=", "--allow-origin=http://localhost:5173/app"]) {
        const run = yield* cli(["fake-server", arg], {
          whileRunning: { until: /PLEX_TV_URL/, andThen: () => Effect.void }
        })
        assertExit(run, 2)
        assert.strictEqual(run.stderr, `plex-auth: ${Render.allowOriginMessage}\n`, arg)
      }
      // Under --json, as JSON.
      const json = yield* cli(["fake-server", "--json", "--allow-origin", "localhost:5173"])
      assertExit(json, 2)
      assert.strictEqual(JSON.parse(json.stderr).error.message, Render.allowOriginMessage)
    })
  )

  it.live("its help names it", () =>
    Effect.gen(function* () {
      const run = yield* cli(["fake-server", "--help"])
      assertExit(run, 0)
      assert.include(run.stdout, "--allow-origin")
    })
  )

  // The text run's stderr, rendered from the details --json prints (a run in process is stopped once stdout shows).
  it("its note names the origins, and that the control API is not open to pages", () => {
    const note = Render.fakeServerAllowOriginsNote([app, "https://app.example"])
    assert.strictEqual(
      note,
      "Browser pages at http://localhost:5173, https://app.example may call it (it answers them with CORS headers); its control API under /__fake/ is not open to pages."
    )
  })
})
