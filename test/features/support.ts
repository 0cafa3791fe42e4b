/**
 * The loopback fake every feature test runs against: real sockets,
 * `FetchHttpClient`, and a seed with a Plex Home, friends, devices and an
 * unclaimed server.
 */
import { FetchHttpClient } from "@effect/platform"
import { Effect, Layer } from "effect"
import { ClientIdentity, Credentials, PlexTv } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import type { FakePlex } from "effect-plex-auth/testing"

export const KIDS_PIN = "4321"

/** alice (admin) with kids (managed, PIN) and bob in her home; carol a friend; dave a stranger. */
export const seed: FakePlex.Options = {
  accounts: [
    {
      username: "alice",
      devices: [{ name: "Living Room TV" }, { name: "Old Phone", product: "Plex for iOS" }]
    },
    { username: "kids", title: "Kids", managed: true, homePin: KIDS_PIN },
    { username: "bob" },
    { username: "carol" },
    { username: "dave" }
  ],
  homes: [{ members: ["kids", "bob"] }],
  servers: [
    { name: "Den", sharedWith: ["carol"] },
    {
      name: "Fresh",
      owner: "dave",
      claimed: false,
      connections: [{ uri: "http://192.0.2.50:32400", local: true }]
    }
  ]
}

export const TestLive = (options: FakePlex.Options = seed) =>
  Layer.mergeAll(
    FakePlexServer.layer(options),
    FetchHttpClient.layer,
    ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
  )

/** Runs `effect` against the loopback plex.tv as the account `login` (its seeded token). */
export const as =
  (login: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const account = yield* loopback.fake.account(login)
      return yield* effect.pipe(PlexTv.withUrl(loopback.plexTvUrl), Credentials.withToken(account.token))
    })

/** Runs `effect` with plex.tv at the loopback URL (credentials as given by the effect). */
export const onLoopback = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(FakePlexServer.FakePlexServer, (loopback) => effect.pipe(PlexTv.withUrl(loopback.plexTvUrl)))
