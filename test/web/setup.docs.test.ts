/**
 * docs/web-sign-in.md "Setup" (Effect 3), as written there, served as a web handler against the in-memory
 * fake (in place of `FetchHttpClient`): the middleware answers 401 without a session, and the start route
 * redirects to the sign-in page (the fake's stand-in for app.plex.tv, FakePlex.layer's default). The example once merged the middleware's layer beside the group's instead of
 * providing it to them, and every request died with "Service not found: .../WebSignIn/Authentication".
 */
import {
  HttpApi,
  HttpApiBuilder,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpServer,
  HttpServerRequest,
  HttpServerResponse,
  KeyValueStore
} from "@effect/platform"
import { assert, describe, it } from "vitest"
import { Config, Effect, Layer, Redacted, Schema } from "effect"
import { ClientIdentity, WebSignIn } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"

class Me extends HttpApiGroup.make("me")
  .add(
    HttpApiEndpoint.get("me", "/api/me").addSuccess(
      Schema.Struct({ username: Schema.String, access: Schema.String })
    )
  )
  .middleware(WebSignIn.Authentication) {}
class Api extends HttpApi.make("app").add(Me) {}

// What the browser may see of the user, never its token; `_tag` says how they reach the server.
const MeLive = HttpApiBuilder.group(Api, "me", (h) =>
  h.handle("me", () =>
    Effect.map(WebSignIn.PlexUser, (user) => ({ username: user.username, access: user._tag }))
  )
)

// "The home page", as in the docs.
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const html = (body: string, status = 200) =>
  HttpServerResponse.html(`<!doctype html><title>My App</title>${body}`).pipe(
    HttpServerResponse.setStatus(status),
    // Who is signed in is this visitor's: stored by no cache.
    HttpServerResponse.setHeader("cache-control", "no-store")
  )

const home = Effect.gen(function* () {
  const signIn = yield* WebSignIn.WebSignIn
  const request = yield* HttpServerRequest.HttpServerRequest
  // The paths as a URL writes them (non-ASCII percent-encoded), escaped for HTML as any text: a path may hold `&`
  // (`/a&not-b` unescaped in an attribute is read as `/a¬-b`).
  const { signOutPath, startPath } = signIn.settings
  const result = yield* Effect.either(signIn.authenticate(request.headers["cookie"]))
  if (result._tag === "Right") {
    const { cookies, user } = result.right
    const page = html(`<p>${escapeHtml(user.title)} (${escapeHtml(user._tag)})</p>
<form method="post" action="${escapeHtml(signOutPath)}"><button>Sign out</button></form>`)
    // A renewed session's cookie goes out with the page.
    return WebSignIn.withCookies(page, cookies)
  }
  switch (result.left._tag) {
    case "Unauthenticated": // no session, or it ended: offer a sign-in
      return html(`<a href="${escapeHtml(startPath)}">Sign in with Plex</a>`)
    case "AccessDenied": // the owner removed this user's access since the sign-in
      return html(`<p>${escapeHtml(result.left.username)}, the server is no longer shared with you.</p>`, 403)
    case "PlexUnavailable": // plex.tv could not be asked past accessGrace: not a refusal
    case "SessionStoreError":
      return html(`<p>Please try again in a moment.</p>`, 503)
  }
})

const HomeLive = HttpApiBuilder.Router.use((router) =>
  Effect.flatMap(WebSignIn.WebSignIn, (signIn) =>
    router.get("/", Effect.provideService(home, WebSignIn.WebSignIn, signIn))
  )
)

// As in the docs, but the fake (approving PINs by itself) for FetchHttpClient and the session key given here.
const appLive = (paths: Pick<WebSignIn.Options, "startPath" | "signOutPath"> = {}) =>
  HttpApiBuilder.api(Api).pipe(
    Layer.provide(MeLive),
    Layer.provide(Layer.mergeAll(WebSignIn.layerAuthentication, WebSignIn.layerHttpApiRoutes, HomeLive)),
    Layer.provide(
      WebSignIn.layer({
        appUrl: "https://media.example.com",
        machineIdentifier: FakePlex.defaults.serverId,
        sessionKey: Config.succeed(Redacted.make("docs-setup-test-session-key-0123456789abcdef")),
        ...paths
      })
    ),
    Layer.provide(
      Layer.mergeAll(
        FakePlex.layer({ autoApprovePins: true }),
        KeyValueStore.layerMemory,
        ClientIdentity.layer({ clientIdentifier: "my-app-install-id", product: "My App" })
      )
    )
  )

const AppLive = appLive()

describe("docs/web-sign-in.md Setup (Effect 3)", () => {
  it("serves: 401 without a session, the start route redirects to the sign-in page (the fake's stand-in for app.plex.tv)", async () => {
    const { dispose, handler } = HttpApiBuilder.toWebHandler(Layer.mergeAll(AppLive, HttpServer.layerContext))
    try {
      const me = await handler(new Request("https://media.example.com/api/me"))
      assert.strictEqual(me.status, 401)
      const start = await handler(new Request("https://media.example.com/auth/plex/start"))
      assert.strictEqual(start.status, 303)
      // The fake's stand-in for app.plex.tv's page: FakePlex.layer makes it the default sign-in page.
      assert.isTrue((start.headers.get("location") ?? "").startsWith(`${FakePlex.defaults.authAppUrl}#?`))
    } finally {
      await dispose()
    }
  })

  it("the home page: a sign-in link without a session; signed in, the user's access and a sign-out form", async () => {
    const { dispose, handler } = HttpApiBuilder.toWebHandler(Layer.mergeAll(AppLive, HttpServer.layerContext))
    try {
      const signedOut = await handler(new Request("https://media.example.com/"))
      assert.strictEqual(signedOut.status, 200)
      assert.strictEqual(signedOut.headers.get("cache-control"), "no-store")
      assert.include(await signedOut.text(), '<a href="/auth/plex/start">Sign in with Plex</a>')
      // The round trip through app.plex.tv: the fake approves the PIN (as alice) at the first check.
      const start = await handler(new Request("https://media.example.com/auth/plex/start"))
      const pin = (start.headers.getSetCookie()[0] ?? "").split(";")[0] ?? ""
      const fragment = new URLSearchParams(new URL(start.headers.get("location") ?? "").hash.slice(2))
      const back = await handler(new Request(fragment.get("forwardUrl") ?? "", { headers: { cookie: pin } }))
      assert.strictEqual(back.status, 303)
      const session = back.headers
        .getSetCookie()
        .map((cookie) => cookie.split(";")[0] ?? "")
        .find((cookie) => cookie.startsWith("__Host-plex_session="))
      assert.isDefined(session)
      const signedIn = await handler(
        new Request("https://media.example.com/", { headers: { cookie: session ?? "" } })
      )
      assert.strictEqual(signedIn.status, 200)
      const page = await signedIn.text()
      assert.include(page, "(Owner)</p>")
      assert.include(page, '<form method="post" action="/auth/plex/sign-out">')
      // The setup's endpoint: the user as it picks them, `access` their `_tag`, no token.
      const me = await handler(
        new Request("https://media.example.com/api/me", { headers: { cookie: session ?? "" } })
      )
      assert.strictEqual(me.status, 200)
      assert.deepStrictEqual(await me.json(), { username: "alice", access: "Owner" })
    } finally {
      await dispose()
    }
  })

  it("the home page, paths with & and non-ASCII: its link and its form's action are the settings' paths escaped for HTML, and reach the routes", async () => {
    const paths = { startPath: "/anmelden/日本&not", signOutPath: "/abmelden&not-out" }
    const { dispose, handler } = HttpApiBuilder.toWebHandler(
      Layer.mergeAll(appLive(paths), HttpServer.layerContext)
    )
    // What a browser reads from the attribute (&#38; is &; an unescaped "&not" would be read as "¬").
    const attribute = (page: string, name: string) =>
      (new RegExp(`${name}="([^"]*)"`).exec(page)?.[1] ?? "").replaceAll("&#38;", "&")
    try {
      const signedOut = await (await handler(new Request("https://media.example.com/"))).text()
      assert.include(signedOut, '<a href="/anmelden/%E6%97%A5%E6%9C%AC&#38;not">Sign in with Plex</a>')
      const start = await handler(new Request(`https://media.example.com${attribute(signedOut, "href")}`))
      assert.strictEqual(start.status, 303)
      const pin = (start.headers.getSetCookie()[0] ?? "").split(";")[0] ?? ""
      const fragment = new URLSearchParams(new URL(start.headers.get("location") ?? "").hash.slice(2))
      const back = await handler(new Request(fragment.get("forwardUrl") ?? "", { headers: { cookie: pin } }))
      const session =
        back.headers
          .getSetCookie()
          .map((cookie) => cookie.split(";")[0] ?? "")
          .find((cookie) => cookie.startsWith("__Host-plex_session=")) ?? ""
      const signedIn = await (
        await handler(new Request("https://media.example.com/", { headers: { cookie: session } }))
      ).text()
      assert.include(signedIn, '<form method="post" action="/abmelden&#38;not-out">')
      const out = await handler(
        new Request(`https://media.example.com${attribute(signedIn, "action")}`, {
          method: "POST",
          headers: { origin: "https://media.example.com", cookie: session }
        })
      )
      assert.strictEqual(out.status, 303)
      assert.include(out.headers.getSetCookie().join("\n"), "__Host-plex_session=;")
    } finally {
      await dispose()
    }
  })
})
