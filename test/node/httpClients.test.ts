/**
 * The operations over `@effect/platform-node`'s own `HttpClient`s (undici
 * and `node:http`), not only over `fetch`, against the loopback fake: a form
 * body (the sign-in), a GET with the token, and a redirect to another host,
 * followed without the token (neither client follows redirects itself, so
 * the engine's redirect policy applies). The same file runs on both editions:
 * effect4/test/node/httpClients.test.ts is this file with only the renames
 * test/api-parity.test.ts lists (`httpClientsRenames`: the package name and
 * Effect 4's name for the `node:http` layer), and that test fails if the two
 * files differ otherwise.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { ClientIdentity, Credentials, PlexAuth, PlexTv } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { FakePlex, Fault } from "effect-plex-auth/testing"

const clients = [
  ["undici", NodeHttpClient.layerUndici],
  ["node:http", NodeHttpClient.layer]
] as const

for (const [name, client] of clients) {
  describe(`the operations over NodeHttpClient (${name})`, () => {
    const layer = Layer.mergeAll(
      FakePlexServer.layer(),
      client,
      ClientIdentity.layer({ clientIdentifier: "node-http-clients", product: "Test" })
    )

    it.live("sign-in: the form body reaches plex.tv and the account comes back", () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        const account = yield* PlexAuth.postUsersSignInData({
          login: FakePlex.defaults.login,
          password: FakePlex.defaults.password
        }).pipe(PlexTv.withUrl(server.plexTvUrl))
        assert.strictEqual(account.username, FakePlex.defaults.username)
      }).pipe(Effect.provide(layer))
    )

    it.live("getTokenDetails with the token", () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        const account = yield* PlexAuth.getTokenDetails().pipe(
          PlexTv.withUrl(server.plexTvUrl),
          Credentials.withToken(server.fake.token)
        )
        assert.strictEqual(account.username, FakePlex.defaults.username)
      }).pipe(Effect.provide(layer))
    )

    it.live("a redirect to another host is followed without the token", () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        yield* FakePlex.fault("getTokenDetails", Fault.redirect(), { times: 1 })
        const error = yield* Effect.flip(
          PlexAuth.getTokenDetails().pipe(
            PlexTv.withUrl(server.plexTvUrl),
            Credentials.withToken(server.fake.token)
          )
        )
        assert.strictEqual(error._tag, "Unexpected")
        const [first, second] = yield* FakePlex.requests
        assert.strictEqual(first?.status, 302)
        assert.isTrue(Redacted.isRedacted(first?.headers["x-plex-token"]))
        assert.strictEqual(second?.origin, server.fake.elsewhereUrl)
        assert.strictEqual(second?.path, "/api/v2/user")
        assert.notProperty(second?.headers, "x-plex-token")
      }).pipe(Effect.provide(layer))
    )
  })
}
