/**
 * docs/web-sign-in.md "On Bun" (Effect 4): `WebSignIn.layerRedactLocation` merged into the app's layer reaches the
 * requests `HttpRouter.toWebHandler` runs (a route reads `Headers.CurrentRedactedNames`: `location` is there);
 * provided to that layer it does not, as the docs say. The Effect 3 edition's twin is
 * test/web/redactLocation.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Headers, HttpRouter, HttpServerResponse } from "effect/http"
import { WebSignIn } from "effect4-plex-auth"

/** A route answering the redacted header names its request runs with. */
const NamesRoute = HttpRouter.add(
  "GET",
  "/names",
  Effect.map(Effect.service(Headers.CurrentRedactedNames), (names) =>
    HttpServerResponse.jsonUnsafe(names.map(String))
  )
)

/** What the route answers, served by `HttpRouter.toWebHandler(app)`. */
const namesUnder = (app: Layer.Layer<never, never, HttpRouter.HttpRouter>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => HttpRouter.toWebHandler(app, { disableLogger: true })),
    ({ handler }) =>
      Effect.promise(async (): Promise<ReadonlyArray<string>> =>
        (await handler(new Request("http://localhost/names"))).json()
      ),
    ({ dispose }) => Effect.promise(() => dispose())
  )

describe("WebSignIn.layerRedactLocation under HttpRouter.toWebHandler (Effect 4)", () => {
  it.effect("merged into the app's layer, location is redacted in its requests; provided to it, not", () =>
    Effect.gen(function* () {
      assert.include(yield* namesUnder(Layer.mergeAll(NamesRoute, WebSignIn.layerRedactLocation)), "location")
      // What the docs warn of: Layer.provide leaves it out of what toWebHandler's requests run with.
      assert.notInclude(
        yield* namesUnder(NamesRoute.pipe(Layer.provide(WebSignIn.layerRedactLocation))),
        "location"
      )
      assert.notInclude(yield* namesUnder(NamesRoute), "location")
    })
  )
})
