/**
 * "Sign in with Plex" on Effect 4, end to end over loopback, no browser: the
 * test HttpApi app (app.ts) served by Node through
 * `HttpRouter.toWebHandler`, the fake Plex on its own loopback ports
 * (`FakePlexServer`, which also serves the app.plex.tv stand-in at its
 * `authAppUrl`), and a plain `fetch` client that follows redirects and keeps
 * cookies by hand, as a browser would (the Effect 3 edition's Chromium
 * journeys are test/web/browser.test.ts at the root).
 */
import { createServer } from "node:http"
import type { Server } from "node:http"
import { inspect } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { Config, Effect, Layer, Logger, Redacted, References, Tracer } from "effect"
import { FetchHttpClient, HttpMiddleware, HttpRouter } from "effect/http"
import { KeyValueStore } from "effect/persistence"
import { ClientIdentity, PlexTv, WebSignIn } from "effect4-plex-auth"
import { FakePlexServer } from "effect4-plex-auth/node"
import { authUrlParams } from "../../../src/core/authUrl.js"
import * as CoreCookies from "../../../src/core/web/cookies.js"
import * as Core from "../../../src/core/web/signIn.js"
import * as Signed from "../../../src/core/web/signed.js"
import { AppLive } from "./app.js"
import { seed } from "./seed.js"

const SESSION_KEY = "journey-test-session-key-0123456789abcdef"

/** A Node server on 127.0.0.1 handing every request to `handle` (a web handler); closed with the scope. */
const serveNode = (handle: (request: Request) => Promise<Response>) =>
  Effect.acquireRelease(
    Effect.callback<Server>((resume) => {
      const server = createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const headers = new Headers()
          for (const [name, value] of Object.entries(req.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
              headers.append(name, v)
          }
          const body = req.method === "GET" || req.method === "HEAD" ? null : Buffer.concat(chunks)
          const url = `http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`
          handle(new Request(url, { method: req.method ?? "GET", headers, body }))
            .then(async (response) => {
              const out: Record<string, string | Array<string>> = {}
              response.headers.forEach((value, name) => {
                if (name !== "set-cookie") out[name] = value
              })
              const cookies = response.headers.getSetCookie()
              if (cookies.length > 0) out["set-cookie"] = cookies
              res.writeHead(response.status, out)
              res.end(Buffer.from(await response.arrayBuffer()))
            })
            .catch(() => {
              res.writeHead(500)
              res.end()
            })
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const portOf = (server: Server) => {
  const address = server.address()
  return typeof address === "object" && address !== null ? address.port : 0
}

/** A browser's bare minimum: a cookie jar (name, path, expiry by Max-Age=0) and manual redirects. */
class Client {
  readonly jar = new Map<string, CoreCookies.SetCookie>()
  readonly requested: Array<string> = []
  readonly pages: Array<string> = []
  readonly setCookies: Array<string> = []

  cookieHeader(url: URL): string | undefined {
    const pairs = [...this.jar.values()]
      .filter((c) => url.pathname.startsWith(c.attributes.path ?? "/"))
      .map((c) => `${c.name}=${c.value}`)
    return pairs.length === 0 ? undefined : pairs.join("; ")
  }

  /** One request, no redirect followed; cookies kept. */
  async send(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url)
    this.requested.push(target.href)
    const headers = new Headers(init.headers)
    const cookie = this.cookieHeader(target)
    if (cookie !== undefined) headers.set("cookie", cookie)
    const response = await fetch(target, { ...init, headers, redirect: "manual" })
    for (const raw of response.headers.getSetCookie()) {
      this.setCookies.push(raw)
      const set = CoreCookies.parseSetCookie(raw)
      if (set === undefined) continue
      if (set.attributes.maxAge === 0 || set.value === "") this.jar.delete(set.name)
      else this.jar.set(set.name, set)
    }
    return response
  }

  /** A request, then every redirect (303 turns into GET); answers the last response and its text. */
  async follow(
    url: string,
    init: RequestInit = {}
  ): Promise<{ response: Response; text: string; url: string }> {
    let current = url
    let response = await this.send(current, init)
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      current = new URL(response.headers.get("location") ?? "", current).href
      // The fragment is the page's own business: a browser never sends it.
      response = await this.send(current.split("#")[0] ?? current)
    }
    const text = await response.text()
    if ((response.headers.get("content-type") ?? "").includes("html")) this.pages.push(text)
    return { response, text, url: current }
  }
}

describe("Sign in with Plex on Effect 4, over loopback", () => {
  it.live(
    "owner, home member, friend and stranger sign in through the app.plex.tv stand-in; sign-out; a forged callback; no secret anywhere",
    () =>
      Effect.gen(function* () {
        const plex = yield* FakePlexServer.make(seed)
        // The app's port first: WebSignIn needs the app's URL.
        let handle: (request: Request) => Promise<Response> = () =>
          Promise.resolve(new Response("starting", { status: 503 }))
        const server = yield* serveNode((request) => handle(request))
        const appUrl = `http://127.0.0.1:${portOf(server)}`

        const spans: Array<Tracer.NativeSpan> = []
        const lines: Array<string> = []
        const tracer = Tracer.make({
          span: (options) => {
            const span = new Tracer.NativeSpan(options)
            spans.push(span)
            return span
          }
        })
        const SignInLive = WebSignIn.layer({
          appUrl,
          machineIdentifier: plex.fake.serverId,
          authAppUrl: plex.fake.authAppUrl,
          sessionKey: Config.succeed(Redacted.make(SESSION_KEY))
        }).pipe(
          Layer.provide(
            Layer.mergeAll(
              FetchHttpClient.layer,
              ClientIdentity.layer({ clientIdentifier: "web-sign-in-e4", product: "Web Sign-In E4" }),
              PlexTv.layer(plex.plexTvUrl),
              KeyValueStore.layerMemory
            )
          )
        )
        const app = HttpRouter.toWebHandler(
          AppLive.pipe(
            Layer.provideMerge(SignInLive),
            // Server spans with every header, as an app that opts in records them: `Location` stays redacted.
            Layer.provideMerge(
              Layer.mergeAll(
                Layer.succeed(Tracer.Tracer)(tracer),
                Layer.succeed(HttpMiddleware.TracerHeaderFilter)(() => true),
                Logger.layer([Logger.map(Logger.formatJson, (line) => void lines.push(line))]),
                Layer.succeed(References.MinimumLogLevel)("All")
              )
            )
          )
        )
        yield* Effect.addFinalizer(() => Effect.promise(() => app.dispose()))
        handle = (request) => app.handler(request)

        const client = new Client()

        // The return link (app.plex.tv's forwardUrl) of the last sign-in.
        let lastReturn = ""
        /** Home → start → the fake's approval page → Allow as `username` → callback → home. */
        const signIn = async (username: string) => {
          const home = await client.follow(`${appUrl}/`)
          assert.include(home.text, 'id="sign-in"')
          const started = await client.send(`${appUrl}/auth/plex/start`)
          assert.strictEqual(started.status, 303)
          const location = started.headers.get("location") ?? ""
          assert.isTrue(location.startsWith(`${plex.fake.authAppUrl}#?`))
          const form = await client.follow(location.split("#")[0] ?? location)
          assert.include(form.text, 'id="approve"')
          // What the page's script does: the fields come from the fragment.
          const params = authUrlParams(location)
          lastReturn = params.get("forwardUrl") ?? ""
          return client.follow(plex.fake.authAppUrl, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({
              clientID: params.get("clientID") ?? "",
              code: params.get("code") ?? "",
              forwardUrl: params.get("forwardUrl") ?? "",
              account: username
            }).toString()
          })
        }
        const me = () => client.send(`${appUrl}/api/me`)
        const signOut = () =>
          client.follow(`${appUrl}/auth/plex/sign-out`, { method: "POST", headers: { origin: appUrl } })

        yield* Effect.promise(async () => {
          for (const [username, title, access] of [
            ["alice", "Alice Owner", "Owner"],
            ["bob", "Bob Home", "HomeMember"],
            ["carol", "Carol Friend", "Shared"]
          ] as const) {
            const landed = await signIn(username)
            assert.strictEqual(landed.url, `${appUrl}/`)
            assert.strictEqual(landed.response.status, 200)
            assert.include(landed.text, `<span id="name">${title}</span>`)
            assert.include(landed.text, `<strong id="access">${access}</strong>`)
            const session = client.jar.get("plex_session")
            assert.isDefined(session)
            assert.deepStrictEqual(
              [session?.attributes.httpOnly, session?.attributes.sameSite, session?.attributes.path],
              [true, "Lax", "/"]
            )
            assert.isUndefined(client.jar.get("plex_session_pin"))
            const api = await me()
            assert.strictEqual(api.status, 200)
            assert.include(await api.json(), { username, access })
            const routed = await client.send(`${appUrl}/api/router-me`)
            assert.deepStrictEqual(await routed.json(), { username, access })
            // The return link opened again (a second tab, a bookmark): home, signed in, the same session cookie.
            for (const url of [lastReturn, `${appUrl}/auth/plex/callback`]) {
              const again = await client.follow(url)
              assert.strictEqual(again.url, `${appUrl}/`, url)
              assert.strictEqual(again.response.status, 200, url)
              assert.include(again.text, `<span id="name">${title}</span>`, url)
            }
            assert.strictEqual(client.jar.get("plex_session")?.value, session?.value)
            const out = await signOut()
            assert.strictEqual(out.url, `${appUrl}/`)
            assert.isUndefined(client.jar.get("plex_session"))
            assert.strictEqual((await me()).status, 401)
            // The old cookie, replayed, opens nothing: the session is gone from the store.
            if (session !== undefined) client.jar.set(session.name, session)
            assert.strictEqual((await me()).status, 401)
            // Nor does the return link: the page it was.
            const stale = await client.follow(lastReturn)
            assert.strictEqual(stale.response.status, 400)
            assert.include(stale.text, 'data-reason="NotStarted"')
            client.jar.clear()
          }

          // A stranger: a clear 403 page, and no session.
          const refused = await signIn("dave")
          assert.strictEqual(refused.response.status, 403)
          assert.include(refused.text, 'data-reason="NoAccess"')
          assert.include(refused.text, "You signed in with Plex as dave")
          // Not "Try again": that account would be refused again.
          assert.include(refused.text, 'href="/auth/plex/start">Sign in with another Plex account</a>')
          assert.notInclude(refused.text, "Try again")
          assert.isUndefined(client.jar.get("plex_session"))
          assert.strictEqual((await me()).status, 401)

          // A callback this browser never started, and another browser's return (login CSRF).
          const forged = await client.follow(`${appUrl}/auth/plex/callback?state=forged`)
          assert.strictEqual(forged.response.status, 400)
          assert.include(forged.text, 'data-reason="NotStarted"')
          const attacker = new Client()
          const theirs = await attacker.send(`${appUrl}/auth/plex/start`)
          const params = authUrlParams(theirs.headers.get("location") ?? "")
          await attacker.follow(plex.fake.authAppUrl, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({
              clientID: params.get("clientID") ?? "",
              code: params.get("code") ?? "",
              account: "dave"
            }).toString()
          })
          const csrf = await client.follow(params.get("forwardUrl") ?? "")
          assert.strictEqual(csrf.response.status, 400)
          assert.isUndefined(client.jar.get("plex_session"))
        })

        // No token, PIN code or session cookie value in a URL, a page, a log line or a span.
        const pins = yield* plex.fake.pins
        assert.isAtLeast(pins.length, 5)
        const sessions = client.setCookies
          .map(CoreCookies.parseSetCookie)
          .flatMap((c) => (c?.name === "plex_session" && c.value !== "" ? [c.value] : []))
        assert.isAtLeast(sessions.length, 3)
        // The session id each cookie signs, a secret of its own: a log line naming it would not name the cookie.
        const key = yield* Effect.promise(() => Signed.importKey(SESSION_KEY))
        const sessionIds: Array<string> = []
        for (const value of sessions) {
          const verified = yield* Effect.promise(() =>
            Signed.verify([key], Core.sessionPurpose, value, Date.now())
          )
          const id = verified._tag === "Valid" ? Core.readSessionData(verified.data) : undefined
          assert.isDefined(id, "a session cookie the app signed")
          sessionIds.push(id ?? "")
        }
        const secrets = [
          SESSION_KEY,
          ...pins.map((p) => p.code),
          ...pins.flatMap((p) => (p.authToken ? [Redacted.value(p.authToken)] : [])),
          ...sessions,
          ...sessionIds
        ]
        const appUrls = client.requested.filter((url) => url.startsWith(appUrl))
        assert.isAbove(appUrls.length, 20)
        assert.isAbove(client.pages.length, 10)
        assert.isAbove(lines.length, 5)
        assert.isTrue(spans.some((s) => s.name === "WebSignIn.callback"))
        const starts = spans.filter((s) => s.attributes.get("http.response.status_code") === 303)
        assert.isTrue(
          starts.some((s) => s.attributes.get("http.response.header.location") === "<redacted>"),
          "the start redirect's Location is redacted in the server span"
        )
        const shown = [
          ...client.requested,
          ...client.pages,
          ...lines,
          ...spans.map((span) => inspect({ name: span.name, attributes: span.attributes }, { depth: 10 }))
        ]
        for (const text of shown) for (const secret of secrets) assert.notInclude(text, secret)
      })
  )
})
