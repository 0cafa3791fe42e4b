/**
 * The example app: a tiny `HttpApi` server with "Sign in with Plex".
 *
 * - `GET /`: the page. Signed out, a "Sign in with Plex" button; signed in,
 *   the user's name and access level and a "Sign out" button.
 * - `GET /api/me`: the signed-in user as JSON, behind `WebSignIn.Authentication`
 *   (401 without a session, 403 without access).
 * - `/auth/plex/start`, `/auth/plex/callback`, `POST /auth/plex/sign-out`:
 *   `WebSignIn`'s routes.
 */
import {
  HttpApi,
  HttpApiBuilder,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { Effect, Layer, Schema } from "effect"
import { WebSignIn } from "effect-plex-auth"

/** The signed-in user, as `/api/me` answers: what the app picks from `PlexUser` (never its token); `access` is its `_tag`. */
export const Me = Schema.Struct({
  id: Schema.Number,
  uuid: Schema.String,
  username: Schema.String,
  title: Schema.String,
  thumb: Schema.optional(Schema.String),
  access: Schema.Literal("Owner", "HomeMember", "Shared")
})

export class UserApi extends HttpApiGroup.make("user")
  .add(HttpApiEndpoint.get("me", "/api/me").addSuccess(Me))
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
  handlers.handle("me", () => Effect.map(WebSignIn.PlexUser, me))
)

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="referrer" content="no-referrer">
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}
.button,button{padding:.5rem 1rem;border-radius:.4rem;border:0;background:#e5a00d;color:#000;text-decoration:none;font:inherit;cursor:pointer}</style>
</head><body>${body}</body></html>`

const html = (body: string, status = 200) =>
  HttpServerResponse.text(body, { status, contentType: "text/html; charset=utf-8" }).pipe(
    HttpServerResponse.setHeader("cache-control", "no-store")
  )

/** `GET /`: who is signed in, if anyone. */
const home = Effect.gen(function* () {
  const signIn = yield* WebSignIn.WebSignIn
  const request = yield* HttpServerRequest.HttpServerRequest
  const result = yield* Effect.either(signIn.authenticate(request.headers["cookie"]))
  const { signOutPath, startPath } = signIn.settings
  if (result._tag === "Right") {
    const { user } = result.right
    const body = page(
      "Signed in",
      `<h1>Welcome, <span id="name">${escape(user.title)}</span></h1>
<p>Signed in with Plex as <span id="username">${escape(user.username)}</span>.</p>
<p>Access to the server: <strong id="access">${escape(user._tag)}</strong></p>
<form method="post" action="${escape(signOutPath)}"><button id="sign-out" type="submit">Sign out</button></form>`
    )
    // A renewed session's cookie goes out with the page.
    return WebSignIn.withCookies(html(body), result.right.cookies)
  }
  switch (result.left._tag) {
    case "AccessDenied":
      return html(
        page("No access", `<h1 id="refused">No access</h1><p>${escape(result.left.message)}</p>`),
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
<p><a id="sign-in" class="button" href="${escape(startPath)}">Sign in with Plex</a></p>`
        )
      )
  }
})

/** The page and the sign-in routes, on the `HttpApi` app's router. */
const PagesLive = HttpApiBuilder.Router.use((router) =>
  Effect.flatMap(WebSignIn.WebSignIn, (signIn) =>
    router.get("/", Effect.provideService(home, WebSignIn.WebSignIn, signIn))
  )
)

/** The API, the page and the sign-in routes; needs a `WebSignIn`. */
export const AppLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide(UserLive),
  Layer.provide(WebSignIn.layerAuthentication),
  Layer.provideMerge(Layer.mergeAll(PagesLive, WebSignIn.layerHttpApiRoutes))
)
