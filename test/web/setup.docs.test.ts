/**
 * docs/web-sign-in.md "Setup" (Effect 3), as written there, served as a web handler against the in-memory
 * fake (in place of `FetchHttpClient`): the middleware answers 401 without a session, and the start route
 * redirects to app.plex.tv. The example once merged the middleware's layer beside the group's instead of
 * providing it to them, and every request died with "Service not found: .../WebSignIn/Authentication".
 */
import {
  HttpApi,
  HttpApiBuilder,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpServer,
  KeyValueStore
} from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Config, Layer, Redacted, Schema } from "effect"
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

const MeLive = HttpApiBuilder.group(Api, "me", (h) => h.handle("me", () => WebSignIn.PlexUser))

// As in the docs, but the fake for FetchHttpClient and the session key given here.
const AppLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide(MeLive),
  Layer.provide(Layer.mergeAll(WebSignIn.layerAuthentication, WebSignIn.layerHttpApiRoutes)),
  Layer.provide(
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
      ClientIdentity.layer({ clientIdentifier: "my-app-install-id", product: "My App" })
    )
  )
)

describe("docs/web-sign-in.md Setup (Effect 3)", () => {
  it("serves: 401 without a session, the start route redirects to app.plex.tv", async () => {
    const { dispose, handler } = HttpApiBuilder.toWebHandler(Layer.mergeAll(AppLive, HttpServer.layerContext))
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
