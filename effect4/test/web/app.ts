/**
 * The Effect 4 twin of examples/web-sign-in/app.ts: a tiny `HttpApi` app
 * (effect/http-api) with "Sign in with Plex".
 *
 * - `GET /`: the page. Signed out, a "Sign in with Plex" link; signed in,
 *   the user's name and access level and a "Sign out" button.
 * - `GET /api/me`: the signed-in user as JSON, behind `WebSignIn.Authentication`
 *   (401 without a session, 403 without access).
 * - `GET /api/router-me`: the same through `WebSignIn.requireUser` (an
 *   `HttpRouter` route, no `HttpApi`).
 * - `/auth/plex/start`, `/auth/plex/callback`, `POST /auth/plex/sign-out`:
 *   `WebSignIn`'s routes (`WebSignIn.layerHttpApiRoutes`).
 */
import { Effect, Layer, Result, Schema } from "effect"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { WebSignIn } from "effect4-plex-auth"

/** The signed-in user, as `/api/me` answers: what the app picks from `PlexUser` (never its token); `access` is its `_tag`. */
export const Me = Schema.Struct({
  id: Schema.Number,
  uuid: Schema.String,
  username: Schema.String,
  title: Schema.String,
  thumb: Schema.optional(Schema.String),
  access: Schema.Literals(["Owner", "HomeMember", "Shared"])
})

export class UserApi extends HttpApiGroup.make("user")
  .add(HttpApiEndpoint.get("me", "/api/me", { success: Me }))
  .middleware(WebSignIn.Authentication) {}

export class Api extends HttpApi.make("web-sign-in-example").add(UserApi) {}

/** `PlexUser` as `/api/me` answers it. */
const me = (user: WebSignIn.PlexUserService): typeof Me.Type => ({
  id: user.id,
  uuid: user.uuid,
  username: user.username,
  title: user.title,
  thumb: user.thumb,
  access: user._tag
})

const UserLive = HttpApiBuilder.group(Api, "user", (handlers) =>
  handlers.handle("me", () => Effect.map(Effect.service(WebSignIn.PlexUser), me))
)

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="referrer" content="no-referrer"></head><body>${body}</body></html>`

const html = (body: string, status = 200) =>
  HttpServerResponse.text(body, { status, contentType: "text/html; charset=utf-8" }).pipe(
    HttpServerResponse.setHeader("cache-control", "no-store")
  )

/** `GET /`: who is signed in, if anyone. */
const home = Effect.gen(function* () {
  const signIn = yield* WebSignIn.WebSignIn
  const request = yield* HttpServerRequest.HttpServerRequest
  const result = yield* Effect.result(signIn.authenticate(request.headers["cookie"]))
  const { signOutPath, startPath } = signIn.settings
  if (Result.isSuccess(result)) {
    const { user } = result.success
    const body = page(
      "Signed in",
      `<h1>Welcome, <span id="name">${escape(user.title)}</span></h1>
<p>Signed in with Plex as <span id="username">${escape(user.username)}</span>.</p>
<p>Access to the server: <strong id="access">${escape(user._tag)}</strong></p>
<form method="post" action="${escape(signOutPath)}"><button id="sign-out" type="submit">Sign out</button></form>`
    )
    // A renewed session's cookie goes out with the page.
    return WebSignIn.withCookies(html(body), result.success.cookies)
  }
  switch (result.failure._tag) {
    case "AccessDenied":
      return html(
        page("No access", `<h1 id="refused">No access</h1><p>${escape(result.failure.message)}</p>`),
        403
      )
    case "PlexUnavailable":
    case "SessionStoreError":
      return html(page("Try again", `<h1 id="unavailable">Please try again in a moment</h1>`), 503)
    case "Unauthenticated":
      return html(
        page(
          "Sign in",
          `<h1>Web sign-in example</h1>
<p><a id="sign-in" href="${escape(startPath)}">Sign in with Plex</a></p>`
        )
      )
  }
})

/** The page and the `requireUser` route, on the router the API is served on. */
const PagesLive = Layer.mergeAll(
  HttpRouter.add("GET", "/", home),
  HttpRouter.add(
    "GET",
    "/api/router-me",
    WebSignIn.requireUser(
      Effect.flatMap(Effect.service(WebSignIn.PlexUser), (user) =>
        HttpServerResponse.json({ username: user.username, access: user._tag })
      )
    )
  )
)

/** The API, the page and the sign-in routes, to serve with `HttpRouter.serve` or `HttpRouter.toWebHandler`; needs a `WebSignIn`. */
export const AppLive = Layer.mergeAll(
  HttpApiBuilder.layer(Api).pipe(Layer.provide(UserLive), Layer.provide(WebSignIn.layerAuthentication)),
  PagesLive,
  WebSignIn.layerHttpApiRoutes
).pipe(Layer.provide(HttpServer.layerServices))
