/**
 * The example, wired for loopback: the fake Plex (effect-plex-auth/node),
 * which also serves a stand-in for app.plex.tv's approval page (its
 * `authAppUrl`, on the fake plex.tv's port), and the app (app.ts) served by
 * Node on another port, `WebSignIn` pointed at both. Nothing leaves
 * 127.0.0.1. Used by main.ts and by the browser tests.
 */
import { createServer } from "node:http"
import { FetchHttpClient, HttpApiBuilder, HttpMiddleware, HttpServer, KeyValueStore } from "@effect/platform"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Config, Context, Effect, Layer, Redacted } from "effect"
import { ClientIdentity, PlexTv, WebSignIn } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import type { FakePlex } from "effect-plex-auth/testing"
import { AppLive } from "./app.js"
import { seed } from "./seed.js"

/** Where everything runs, for whoever drives the example. */
export class Example extends Context.Tag("examples/web-sign-in/Example")<
  Example,
  {
    /** The app, e.g. `http://127.0.0.1:41234`. */
    readonly appUrl: string
    /** The fake's stand-in for app.plex.tv's sign-in page, e.g. `http://127.0.0.1:41233/auth`. */
    readonly authAppUrl: string
    /** The fake Plex, to inspect and script faults. */
    readonly fake: FakePlex.FakePlexService
  }
>() {}

const portOf = (address: HttpServer.Address) => (address._tag === "TcpAddress" ? address.port : 0)

const randomKey = () => {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, (c) =>
    c === "+" ? "-" : c === "/" ? "_" : ""
  )
}

export interface ExampleOptions {
  /** The app's port; default 0 (any free one). */
  readonly port?: number | undefined
  /** Log each request (method, URL, status). Default true. */
  readonly logRequests?: boolean | undefined
  /** More `WebSignIn` options (access TTL, revocation on sign-out, ...). */
  readonly webSignIn?: Partial<WebSignIn.Options> | undefined
}

/** The whole example as a layer: serving while the layer lives. */
export const layer = (options: ExampleOptions = {}): Layer.Layer<Example, unknown> =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const plex = yield* FakePlexServer.make(seed)
      return Layer.unwrapEffect(
        Effect.gen(function* () {
          const server = yield* HttpServer.HttpServer
          const appUrl = `http://127.0.0.1:${portOf(server.address)}`
          const SignInLive = WebSignIn.layer({
            appUrl,
            machineIdentifier: plex.fake.serverId,
            authAppUrl: plex.fake.authAppUrl,
            sessionKey: Config.redacted("PLEX_SESSION_KEY").pipe(
              Config.orElse(() => Config.succeed(Redacted.make(randomKey())))
            ),
            ...options.webSignIn
          }).pipe(
            Layer.provide(
              Layer.mergeAll(
                FetchHttpClient.layer,
                ClientIdentity.layer({
                  clientIdentifier: "web-sign-in-example",
                  product: "Web Sign-In Example"
                }),
                PlexTv.layer(plex.plexTvUrl),
                KeyValueStore.layerMemory
              )
            )
          )
          return Layer.mergeAll(
            HttpApiBuilder.serve(options.logRequests === false ? undefined : HttpMiddleware.logger),
            Layer.succeed(Example, { appUrl, authAppUrl: plex.fake.authAppUrl, fake: plex.fake })
          ).pipe(Layer.provide(AppLive), Layer.provide(SignInLive))
        })
      ).pipe(
        Layer.provide(
          NodeHttpServer.layer(() => createServer(), { port: options.port ?? 0, host: "127.0.0.1" })
        )
      )
    })
  )
