/**
 * The fake every Effect 4 feature test runs against: the shared fake Plex
 * through the Effect 4 kit's in-memory `HttpClient`, and a seed with a Plex
 * Home, friends, devices and an unclaimed server (the seed of the Effect 3
 * feature tests, test/features/support.ts).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import { FakePlex } from "effect4-plex-auth/testing"

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
    FakePlex.layer(options),
    ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
  )

/** Runs `effect` against the fake plex.tv as the account `login` (its seeded token). */
export const as =
  (login: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const account = yield* Effect.orDie(fake.account(login))
      return yield* effect.pipe(Credentials.withToken(account.token))
    })

/** The fake's control service. */
export const fake = FakePlex.FakePlex
