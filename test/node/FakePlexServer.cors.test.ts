/**
 * The fake answering a browser page of another origin (CORS), as a page-only app needs it: off by default (no
 * CORS headers, a preflight gets a 404, as before), on for the origins `allowOrigins` names. Plain `fetch`
 * over loopback sends what a browser sends (`Origin`, the preflight) and reads the headers a browser checks.
 */
import { assert, describe } from "@effect/vitest"
import * as http from "node:http"
import { Effect } from "effect"
import { FakePlexServer } from "effect-plex-auth/node"
import { it } from "../support/it.js"

const app = "http://localhost:5173"

/** A GET naming `host` in its `Host` header, as a page a DNS rebinding points at loopback sends it (fetch cannot). */
const getAs = (host: string, url: string) =>
  Effect.promise(
    () =>
      new Promise<number>((resolve, reject) => {
        const request = http.get(url, { agent: false, headers: { host } }, (response) => {
          response.resume()
          response.once("end", () => resolve(response.statusCode ?? 0))
        })
        request.once("error", reject)
      })
  )

const preflight = (url: string, origin: string) =>
  Effect.promise(() =>
    fetch(url, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "accept,x-plex-client-identifier,x-plex-product"
      }
    })
  )

const createPin = (plexTvUrl: string, origin: string) =>
  Effect.promise(() =>
    fetch(`${plexTvUrl}/api/v2/pins?strong=true`, {
      method: "POST",
      headers: {
        origin,
        accept: "application/json",
        "x-plex-client-identifier": "cors-test",
        "x-plex-product": "t"
      }
    })
  )

describe("FakePlexServer: allowOrigins (CORS)", () => {
  it.live(
    "answers a named origin's preflight (not recorded) and its requests with Access-Control-Allow-Origin",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const server = yield* FakePlexServer.make({ allowOrigins: [`${app}/some/page`] })
          const allowed = yield* preflight(`${server.plexTvUrl}/api/v2/pins?strong=true`, app)
          assert.strictEqual(allowed.status, 204)
          assert.strictEqual(allowed.headers.get("access-control-allow-origin"), app)
          assert.match(allowed.headers.get("access-control-allow-methods") ?? "", /\bPOST\b/)
          assert.strictEqual(
            allowed.headers.get("access-control-allow-headers"),
            "accept,x-plex-client-identifier,x-plex-product"
          )
          assert.deepStrictEqual(yield* server.fake.requests, [])
          const created = yield* createPin(server.plexTvUrl, app)
          assert.strictEqual(created.status, 201)
          assert.strictEqual(created.headers.get("access-control-allow-origin"), app)
          assert.strictEqual(created.headers.get("access-control-expose-headers"), "*")
          assert.match(created.headers.get("vary") ?? "", /Origin/)
          assert.isNumber(((yield* Effect.promise(() => created.json())) as { id: number }).id)
          // A server's origin too, not only plex.tv's.
          const onServer = yield* Effect.promise(() =>
            fetch(`${server.serverUrl}/identity`, { headers: { origin: app } })
          )
          assert.strictEqual(onServer.headers.get("access-control-allow-origin"), app)
          // Another origin gets no CORS headers, and its preflight the 404 of a path nobody serves.
          const other = yield* preflight(`${server.plexTvUrl}/api/v2/pins`, "http://evil.example")
          assert.strictEqual(other.status, 404)
          assert.isNull(other.headers.get("access-control-allow-origin"))
          const otherPin = yield* createPin(server.plexTvUrl, "http://evil.example")
          assert.isNull(otherPin.headers.get("access-control-allow-origin"))
        })
      )
  )

  it.live(
    "the control API (/__fake/) is never open to pages, even an allowed one: no CORS headers, its preflight refused",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const server = yield* FakePlexServer.make({ allowOrigins: [app] })
          for (const base of [server.plexTvUrl, server.clientsUrl]) {
            // The preflight of a JSON POST a page would send: not allowed (405, no CORS headers), so never sent.
            const asked = yield* preflight(`${base}/__fake/faults`, app)
            assert.strictEqual(asked.status, 405, base)
            assert.isNull(asked.headers.get("access-control-allow-origin"), base)
            // A GET a page may send without asking: answered (a program's), but not readable by the page.
            const log = yield* Effect.promise(() =>
              fetch(`${base}/__fake/requests`, { headers: { origin: app } })
            )
            assert.strictEqual(log.status, 200, base)
            assert.isNull(log.headers.get("access-control-allow-origin"), base)
            assert.isNull(log.headers.get("access-control-expose-headers"), base)
          }
          // The fake's other answers to that page still carry them.
          const created = yield* createPin(server.plexTvUrl, app)
          assert.strictEqual(created.headers.get("access-control-allow-origin"), app)
        })
      )
  )

  it.live(
    "the control API answers no request naming another host (a DNS-rebound page, then of the fake's origin): 403",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const server = yield* FakePlexServer.make()
          for (const base of [server.plexTvUrl, server.clientsUrl]) {
            const { port } = new URL(base)
            assert.strictEqual(yield* getAs(`evil.example:${port}`, `${base}/__fake/requests`), 403, base)
            assert.strictEqual(yield* getAs(`127.0.0.1:${port}`, `${base}/__fake/requests`), 200, base)
            assert.strictEqual(yield* getAs(`localhost:${port}`, `${base}/__fake/requests`), 200, base)
          }
        })
      )
  )

  it.live("by default sends no CORS headers: a page of another origin cannot read the fake", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* FakePlexServer.make()
        const refused = yield* preflight(`${server.plexTvUrl}/api/v2/pins?strong=true`, app)
        assert.strictEqual(refused.status, 404)
        assert.isNull(refused.headers.get("access-control-allow-origin"))
        const created = yield* createPin(server.plexTvUrl, app)
        assert.strictEqual(created.status, 201)
        assert.isNull(created.headers.get("access-control-allow-origin"))
      })
    )
  )

  it.live("refuses an entry that is not an http(s) URL", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.scoped(FakePlexServer.make({ allowOrigins: ["localhost:5173"] }))
      )
      assert.isTrue(exit._tag === "Failure")
      assert.include(String(exit._tag === "Failure" ? exit.cause : ""), "allowOrigins")
    })
  )
})
