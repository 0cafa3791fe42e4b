/**
 * The example, wired for loopback: the fake Plex (effect-plex-auth/node), a
 * stand-in for app.plex.tv's approval page on a loopback port of its own,
 * and the app (app.ts) served by Node on another, `WebSignIn` pointed at
 * both. Nothing leaves 127.0.0.1. Used by main.ts and by the browser tests.
 */
import { createServer } from "node:http"
import {
  FetchHttpClient,
  HttpApiBuilder,
  HttpApp,
  HttpMiddleware,
  HttpServer,
  KeyValueStore
} from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Config, Context, Effect, Layer, Redacted, Runtime } from "effect"
import { ClientIdentity, PlexTv, WebSignIn } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import type { FakePlex } from "effect-plex-auth/testing"
import * as ApprovalPage from "../../src/testing/internal/approvalPage.js"
import { AppLive } from "./app.js"
import { seed } from "./seed.js"

/** Where everything runs, for whoever drives the example. */
export class Example extends Context.Tag("examples/web-sign-in/Example")<
  Example,
  {
    /** The app, e.g. `http://127.0.0.1:41234`. */
    readonly appUrl: string
    /** The stand-in for app.plex.tv. */
    readonly approvalUrl: string
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

/** The approval page on its own loopback port: answers its URL. */
const serveApprovalPage = (fake: FakePlex.FakePlexService) =>
  Effect.gen(function* () {
    const server = yield* NodeHttpServer.make(() => createServer(), { port: 0, host: "127.0.0.1" })
    const runtime = yield* Effect.runtime<never>()
    const handler = ApprovalPage.handler(fake)
    yield* server.serve(
      HttpApp.fromWebHandler((request) =>
        Runtime.runPromise(runtime)(
          Effect.map(handler(request), (response) => response ?? new Response("Not found", { status: 404 }))
        )
      )
    )
    return `http://127.0.0.1:${portOf(server.address)}`
  })

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
      const approvalUrl = yield* serveApprovalPage(plex.fake)
      return Layer.unwrapEffect(
        Effect.gen(function* () {
          const server = yield* HttpServer.HttpServer
          const appUrl = `http://127.0.0.1:${portOf(server.address)}`
          const SignInLive = WebSignIn.layer({
            appUrl,
            machineIdentifier: plex.fake.serverId,
            authAppUrl: `${approvalUrl}${ApprovalPage.path}`,
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
            Layer.succeed(Example, { appUrl, approvalUrl, fake: plex.fake })
          ).pipe(Layer.provide(AppLive), Layer.provide(SignInLive))
        })
      ).pipe(
        Layer.provide(
          NodeHttpServer.layer(() => createServer(), { port: options.port ?? 0, host: "127.0.0.1" })
        )
      )
    })
  )
