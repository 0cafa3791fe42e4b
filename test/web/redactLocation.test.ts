/**
 * docs/web-sign-in.md "On Bun" and `WebSignIn.layerRedactLocation`'s JSDoc (Effect 3): the layer given to a web
 * handler's layer reaches the requests it runs, merged or provided (a route reads `Headers.currentRedactedNames`:
 * `location` is there), under `HttpApp.toWebHandlerLayer` and `HttpLayerRouter.toWebHandler` alike. Effect 4's
 * `HttpRouter.toWebHandler` takes it merged only: effect4/test/web/redactLocation.test.ts.
 */
import { Headers, HttpApp, HttpLayerRouter, HttpRouter, HttpServerResponse } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { Effect, FiberRef, Layer } from "effect"
import { WebSignIn } from "effect-plex-auth"
import { it } from "../support/it.js"

/** Answers the redacted header names its request runs with. */
const names = Effect.map(FiberRef.get(Headers.currentRedactedNames), (names) =>
  HttpServerResponse.unsafeJson(names.map(String))
)

type WebHandler = {
  readonly handler: (request: Request) => Promise<Response>
  readonly dispose: () => Promise<void>
}

/** What the route answers, served by a web handler. */
const namesUnder = (make: () => WebHandler) =>
  Effect.acquireUseRelease(
    Effect.sync(make),
    ({ handler }) =>
      Effect.promise(async (): Promise<ReadonlyArray<string>> =>
        (await handler(new Request("http://localhost/names"))).json()
      ),
    ({ dispose }) => Effect.promise(() => dispose())
  )

/** A layer of the app's own (its services), which layerRedactLocation is merged beside or provided to. */
const ServicesLive = Layer.empty

describe("WebSignIn.layerRedactLocation under a web handler (Effect 3)", () => {
  it.effect("HttpApp.toWebHandlerLayer: merged into or provided to its layer, location is redacted", () =>
    Effect.gen(function* () {
      const app = HttpRouter.empty.pipe(HttpRouter.get("/names", names))
      const under = (layer: Layer.Layer<never>) => namesUnder(() => HttpApp.toWebHandlerLayer(app, layer))
      assert.include(yield* under(Layer.merge(ServicesLive, WebSignIn.layerRedactLocation)), "location")
      assert.include(
        yield* under(ServicesLive.pipe(Layer.provide(WebSignIn.layerRedactLocation))),
        "location"
      )
      // Without it, not: what the layer adds.
      assert.notInclude(yield* under(ServicesLive), "location")
    })
  )

  it.effect(
    "HttpLayerRouter.toWebHandler: merged into or provided to the app's layer, location is redacted",
    () =>
      Effect.gen(function* () {
        const route = HttpLayerRouter.add("GET", "/names", names)
        const under = (layer: Layer.Layer<never, never, HttpLayerRouter.HttpRouter>) =>
          namesUnder(() => HttpLayerRouter.toWebHandler(layer, { disableLogger: true }))
        assert.include(yield* under(Layer.merge(route, WebSignIn.layerRedactLocation)), "location")
        assert.include(yield* under(route.pipe(Layer.provide(WebSignIn.layerRedactLocation))), "location")
        assert.notInclude(yield* under(route), "location")
      })
  )
})
