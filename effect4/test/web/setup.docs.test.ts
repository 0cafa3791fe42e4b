/**
 * docs/web-sign-in.md "Setup" (Effect 4), as written there, served with `HttpRouter.toWebHandler` against the
 * in-memory fake (in place of `FetchHttpClient`): the middleware answers 401 without a session, and the start
 * route redirects to app.plex.tv. The example once merged the middleware's layer beside the group's instead of
 * providing it to them, and every request died with "Service not found: .../WebSignIn/Authentication".
 */
import { assert, describe, it } from "@effect/vitest"
import { Config, Effect, Layer, Redacted, Schema } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { KeyValueStore } from "effect/persistence"
import { ClientIdentity, WebSignIn } from "effect4-plex-auth"
import { FakePlex } from "effect4-plex-auth/testing"

class Me extends HttpApiGroup.make("me")
  .add(
    HttpApiEndpoint.get("me", "/api/me", {
      success: Schema.Struct({ username: Schema.String, access: Schema.String })
    })
  )
  .middleware(WebSignIn.Authentication) {}
class Api extends HttpApi.make("app").add(Me) {}

const MeLive = HttpApiBuilder.group(Api, "me", (h) =>
  h.handle("me", () => Effect.service(WebSignIn.PlexUser))
)

// As in the docs, but the fake for FetchHttpClient and the session key given here.
const AppLive = Layer.mergeAll(
  HttpApiBuilder.layer(Api).pipe(Layer.provide(MeLive), Layer.provide(WebSignIn.layerAuthentication)),
  WebSignIn.layerHttpApiRoutes
).pipe(
  Layer.provideMerge(
    WebSignIn.layer({
      appUrl: "https://media.example.com",
      machineIdentifier: FakePlex.defaults.serverId,
      sessionKey: Config.succeed(Redacted.make("docs-setup-test-session-key-0123456789abcdef"))
    })
  ),
  Layer.provide(
    Layer.mergeAll(
      FakePlex.layer(),
      KeyValueStore.layerMemory,
      ClientIdentity.layer({ clientIdentifier: "my-app-install-id", product: "My App" }),
      HttpServer.layerServices
    )
  )
)

describe("docs/web-sign-in.md Setup (Effect 4)", () => {
  it("serves: 401 without a session, the start route redirects to app.plex.tv", async () => {
    const { dispose, handler } = HttpRouter.toWebHandler(AppLive, { disableLogger: true })
    try {
      const me = await handler(new Request("https://media.example.com/api/me"))
      assert.strictEqual(me.status, 401)
      const start = await handler(new Request("https://media.example.com/auth/plex/start"))
      assert.strictEqual(start.status, 303)
      assert.isTrue((start.headers.get("location") ?? "").startsWith("https://app.plex.tv/auth#?"))
    } finally {
      await dispose()
    }
  })
})
