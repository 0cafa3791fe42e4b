import { FetchHttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import { ClientIdentity, Credentials, PlexAuth, PlexError, PlexServer, PlexTv } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault } from "effect-plex-auth/testing"

const Client = Layer.mergeAll(
  FetchHttpClient.layer,
  ClientIdentity.layer({ clientIdentifier: "node-test-client", product: "FakePlexServer tests" })
)

const layer = Layer.mergeAll(
  FakePlexServer.layer({
    accounts: [{}, { username: "bob", password: "bob-pass", twoFactorCode: "111222" }]
  }),
  Client
)

/** Runs `effect` against the loopback server in context: its plex.tv and default server, with `token` (default: the default account's). */
const onServer = <A, E, R>(effect: Effect.Effect<A, E, R>, token?: Redacted.Redacted<string>) =>
  Effect.flatMap(FakePlexServer.FakePlexServer, (server) =>
    effect.pipe(
      PlexTv.withUrl(server.plexTvUrl),
      PlexServer.withUrl(server.serverUrl),
      Credentials.withToken(token ?? server.fake.token)
    )
  )

const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flip(effect)

describe("FakePlexServer", () => {
  it.live("serves every origin on its own loopback port", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      assert.strictEqual(server.urls.length, 5)
      for (const url of server.urls) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.strictEqual(new Set(server.urls).size, 5)
      assert.strictEqual(server.fake.plexTvUrl, server.plexTvUrl)
      assert.deepStrictEqual(server.fake.servers[0]?.urls, [server.serverUrl, server.urls[4]!])
    }).pipe(Effect.provide(layer))
  )

  it.live("a real journey over HTTP with FetchHttpClient", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      const required = yield* failure(
        onServer(PlexAuth.postUsersSignInData({ login: "bob", password: "bob-pass" }))
      )
      assert.strictEqual(required._tag, "VerificationCodeRequired")
      const bob = yield* onServer(
        PlexAuth.postUsersSignInData({ login: "bob", password: "bob-pass", verificationCode: "111222" })
      )
      const details = yield* onServer(PlexAuth.getTokenDetails(), bob.authToken)
      assert.strictEqual(details.username, "bob")
      const transient = yield* onServer(PlexAuth.getTransientToken())
      const info = yield* onServer(
        PlexAuth.getSourceConnectionInformation({ source: `server://${server.fake.serverId}` }),
        transient.token
      )
      assert.deepStrictEqual(
        info.connections.map((c) => c.uri),
        server.fake.servers[0]!.urls
      )
      // The connections it hands out are reachable: the second one answers as the same server.
      const viaRemote = yield* PlexAuth.getTransientToken().pipe(
        PlexServer.withUrl(info.connections[1]!.uri),
        Credentials.withToken(server.fake.token)
      )
      assert.match(Redacted.value(viaRemote.token), /^transient-/)
      const wrong = yield* failure(
        onServer(PlexAuth.postUsersSignInData({ login: "alice", password: "nope" }))
      )
      assert.strictEqual(wrong._tag, "Unauthorized")
      assert.deepStrictEqual(PlexError.codes(wrong as PlexError.PlexError), [1001])
      const [first] = yield* server.fake.requests
      assert.strictEqual(first?.headers["host"], new URL(server.plexTvUrl).host)
      assert.strictEqual(first?.headers["x-plex-client-identifier"], "node-test-client")
    }).pipe(Effect.provide(layer))
  )

  it.live("a reset destroys the socket; a truncated body is cut short under its Content-Length", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      yield* server.fake.fault("getTokenDetails", Fault.reset, { times: 1 })
      const reset = yield* failure(onServer(PlexAuth.getTokenDetails()))
      assert.isTrue(reset._tag === "NetworkError" && reset.reason === "Transport")
      yield* server.fake.fault("getTokenDetails", Fault.truncate({ keepBytes: 16 }), { times: 2 })
      const truncated = yield* failure(onServer(PlexAuth.getTokenDetails()))
      assert.isTrue(truncated._tag === "NetworkError" && truncated.reason === "Transport")
      const raw = yield* Effect.promise(async () => {
        const response = await fetch(`${server.plexTvUrl}/api/v2/user`, {
          headers: {
            "X-Plex-Client-Identifier": "raw",
            "X-Plex-Token": Redacted.value(server.fake.token),
            Accept: "application/json"
          }
        })
        const declared = Number(response.headers.get("content-length"))
        const reader = response.body!.getReader()
        let received = 0
        let failed = false
        try {
          for (;;) {
            const { done, value } = await reader.read()
            if (done) break
            received += value.length
          }
        } catch {
          failed = true
        }
        return { declared, received, failed }
      })
      assert.strictEqual(raw.received, 16)
      assert.isAbove(raw.declared, 16)
      assert.isTrue(raw.failed)
      assert.strictEqual((yield* onServer(PlexAuth.getTokenDetails())).username, "alice")
    }).pipe(Effect.provide(layer))
  )

  it.live("a redirect to another origin really crosses origins, and the other host records what it got", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      yield* server.fake.fault("getTokenDetails", Fault.redirect(), { times: 1 })
      const error = yield* failure(onServer(PlexAuth.getTokenDetails()))
      assert.strictEqual(error._tag, "Unexpected")
      const [, elsewhere] = yield* server.fake.requests
      assert.strictEqual(elsewhere?.origin, server.fake.elsewhereUrl)
      assert.notStrictEqual(elsewhere?.origin, server.plexTvUrl)
      assert.notProperty(elsewhere?.headers, "x-plex-token")
    }).pipe(Effect.provide(layer))
  )

  it.live("delays are served on the wire", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      yield* server.fake.fault("getTokenDetails", Fault.delay("50 millis"), { times: 1 })
      assert.strictEqual((yield* onServer(PlexAuth.getTokenDetails())).username, "alice")
      assert.strictEqual((yield* server.fake.requests)[0]?.fault, "Delay")
    }).pipe(Effect.provide(layer))
  )

  it.live("a request the client gives up on leaves no open socket and no running handler", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      yield* server.fake.fault("getTokenDetails", Fault.hang, { times: 1 })
      const error = yield* failure(
        onServer(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("200 millis")))
      )
      assert.isTrue(error._tag === "NetworkError" && error.reason === "Timeout")
      yield* server
        .awaitOpenSockets(0)
        .pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "sockets stayed open" }))
      assert.strictEqual(yield* server.openSockets, 0)
      assert.strictEqual(yield* server.activeRequests, 0)
      assert.strictEqual((yield* server.fake.requests)[0]?.outcome, "Interrupted")
    }).pipe(Effect.provide(Layer.mergeAll(FakePlexServer.layer(), Client)))
  )

  it.live("closing the scope ends requests in flight, destroys open sockets and closes the ports", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const server = yield* FakePlexServer.make().pipe(Scope.extend(scope))
      yield* onServer(PlexAuth.getTokenDetails()).pipe(
        Effect.provideService(FakePlexServer.FakePlexServer, server)
      )
      yield* server.fake.fault("getTransientToken", Fault.hang)
      const pending = yield* onServer(PlexAuth.getTransientToken()).pipe(
        Effect.provideService(FakePlexServer.FakePlexServer, server),
        Effect.either,
        Effect.fork
      )
      yield* server.awaitActiveRequests(1)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(yield* server.openSockets, 0)
      assert.strictEqual(yield* server.activeRequests, 0)
      const result = yield* pending.await
      assert.isTrue(
        Exit.isSuccess(result) && result.value._tag === "Left" && result.value.left._tag === "NetworkError"
      )
      const refused = yield* failure(
        onServer(PlexAuth.getTokenDetails()).pipe(
          Effect.provideService(FakePlexServer.FakePlexServer, server)
        )
      )
      assert.isTrue(refused._tag === "NetworkError" && refused.reason === "Transport")
    }).pipe(Effect.provide(Client))
  )
})
