/**
 * What the Effect 4 tests of the seed operations share: an identity, the
 * fake Plex with credentials and a server, and checks that no secret shows.
 */
import { assert } from "@effect/vitest"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexServer from "effect4-plex-auth/PlexServer"
import { FakePlex } from "effect4-plex-auth/testing"

export const identity = {
  clientIdentifier: "e4-test-client",
  product: "Plex Test Tool",
  version: "1.2.3",
  runtimeDefaults: false
} as const

export const identityLayer = ClientIdentity.layer(identity).pipe(Layer.orDie)

/** The fake, an identity, the fake's default token and server. */
export const env = (options: FakePlex.Options = {}) =>
  Layer.mergeAll(
    identityLayer,
    Credentials.layer(FakePlex.defaults.token).pipe(Layer.orDie),
    PlexServer.layer(FakePlex.defaults.serverUrl).pipe(Layer.orDie)
  ).pipe(Layer.provideMerge(FakePlex.layer(options)))

/** The fake and an identity, no credentials. */
export const anonymous = (options: FakePlex.Options = {}) =>
  Layer.merge(identityLayer, FakePlex.layer(options))

/** Fails the test when a secret (or its text) shows in `value`'s message, string or JSON. */
export const noSecretIn = (value: unknown, ...secrets: ReadonlyArray<string | Redacted.Redacted<string>>) => {
  const texts = [String(value), JSON.stringify(value)]
  if (value instanceof Error) texts.push(value.message, value.stack ?? "")
  for (const secret of secrets) {
    const text = Redacted.isRedacted(secret) ? Redacted.value(secret) : secret
    for (const shown of texts) assert.notInclude(shown, text)
  }
}
