/**
 * `npx tsx examples/web-sign-in/main.ts`: the example app on loopback,
 * signing in against the fake Plex and a stand-in for app.plex.tv's approval
 * page, with no network. Prints the app's URL: open it, press "Sign in with
 * Plex", pick a user (Alice owns the server, Bob is in her Plex Home, Carol
 * is a friend, Dave a stranger) and Allow.
 *
 * `PLEX_SESSION_KEY` (at least 32 bytes) signs the cookies; without it a
 * random key is made for this run. `PORT` picks the app's port.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer } from "effect"
import { Example, layer } from "./server.js"

const announce = Layer.effectDiscard(
  Effect.flatMap(Example, ({ appUrl }) => Effect.log(`Web sign-in example: open ${appUrl}`))
)

NodeRuntime.runMain(
  Layer.launch(announce.pipe(Layer.provide(layer({ port: Number(process.env["PORT"] ?? 0) }))))
)
