import * as http from "node:http"
import * as net from "node:net"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexError from "effect4-plex-auth/PlexError"
import * as PlexServer from "effect4-plex-auth/PlexServer"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import { FakePlexServer } from "../../src/node/index.js"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { TestClock } from "effect/testing"
import { assertClosed, listeningSockets } from "../../../test/node/listening.js"

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

  it.live("authAppUrl is its sign-in page, <plexTvUrl>/auth (the fake's), served on loopback", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      assert.strictEqual(server.authAppUrl, `${server.plexTvUrl}/auth`)
      assert.strictEqual(server.authAppUrl, server.fake.authAppUrl)
      const page = yield* Effect.promise(() => fetch(server.authAppUrl))
      assert.strictEqual(page.status, 200)
      assert.include(yield* Effect.promise(() => page.text()), "<form")
    }).pipe(Effect.provide(layer))
  )

  it.live("tokens follow the Random of the Effect that started it: one seed, the same tokens", () =>
    Effect.gen(function* () {
      const minted = Effect.scoped(
        Effect.flatMap(FakePlexServer.make(), (server) =>
          Effect.map(Effect.orDie(server.fake.mintToken()), Redacted.value)
        )
      )
      const first = yield* minted.pipe(Random.withSeed("server-seed"))
      const again = yield* minted.pipe(Random.withSeed("server-seed"))
      const other = yield* minted.pipe(Random.withSeed("another-seed"))
      assert.strictEqual(again, first)
      assert.notStrictEqual(other, first)
    })
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

  it.live(
    "the control API (/__fake/ on plex.tv) over the wire: a fault, the log, a revocation, as curl sends them",
    () =>
      Effect.gen(function* () {
        const server = yield* FakePlexServer.FakePlexServer
        const token = Redacted.value(server.fake.token)
        const control = (method: string, name: string, body?: unknown) =>
          Effect.promise(async () => {
            const response = await fetch(`${server.plexTvUrl}/__fake/${name}`, {
              method,
              headers: { "Content-Type": "application/json" },
              ...(body === undefined ? {} : { body: JSON.stringify(body) })
            })
            return { status: response.status, text: await response.text() }
          })
        const user = Effect.promise(() =>
          fetch(`${server.plexTvUrl}/api/v2/user`, {
            headers: {
              "X-Plex-Token": token,
              "X-Plex-Client-Identifier": "node-test-client",
              Accept: "application/json"
            }
          })
        )
        const added = yield* control("POST", "faults", {
          target: "getTokenDetails",
          fault: { type: "status", status: 429, retryAfterMillis: 5000 },
          times: 1
        })
        assert.strictEqual(added.status, 204)
        const limited = yield* user
        assert.strictEqual(limited.status, 429)
        assert.strictEqual(limited.headers.get("retry-after"), "5")
        assert.strictEqual((yield* user).status, 200)
        const log = (yield* control("GET", "requests")).text
        assert.notInclude(log, token)
        assert.deepStrictEqual(
          JSON.parse(log).map((r: { readonly status: number }) => r.status),
          [429, 200]
        )
        // As a page's cross-origin text/plain fetch or form POST sends it (no preflight needed): refused.
        const unasked = yield* Effect.promise(async () => {
          const response = await fetch(`${server.plexTvUrl}/__fake/revoke`, {
            method: "POST",
            body: JSON.stringify({ token })
          })
          return { status: response.status, text: await response.text() }
        })
        assert.strictEqual(unasked.status, 415)
        assert.include(unasked.text, "Content-Type: application/json")
        assert.isTrue(yield* server.fake.isTokenValid(token))
        assert.strictEqual((yield* control("POST", "revoke", { token })).text, '{"revoked":true}')
        assert.strictEqual((yield* user).status, 422)
        assert.isFalse(yield* server.fake.isTokenValid(token))
      }).pipe(Effect.provide(layer))
  )

  // On the TestClock, over `node:http`: Node's `fetch` (undici) opens a spare idle keep-alive connection
  // after an abort right at the start of a request, which would hold "no open socket" for its 4 s
  // keep-alive timeout (see test/faults/interruption.test.ts).
  it.effect("a request the client gives up on leaves no open socket and no running handler", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      const received = yield* Deferred.make<void>()
      yield* server.fake.fault(
        "getTokenDetails",
        Fault.respond(() => Effect.andThen(Deferred.succeed(received, undefined), Effect.never)),
        { times: 1 }
      )
      const fiber = yield* Effect.forkChild(
        failure(onServer(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout("200 millis"))))
      )
      yield* Deferred.await(received)
      yield* TestClock.adjust("200 millis")
      const error = yield* Fiber.join(fiber)
      assert.isTrue(error._tag === "NetworkError" && error.reason === "Timeout")
      yield* server.awaitOpenSockets(0)
      // The handler is interrupted in the background once its socket closes.
      yield* server.awaitActiveRequests(0)
      assert.strictEqual(yield* server.openSockets, 0)
      assert.strictEqual(yield* server.activeRequests, 0)
      assert.strictEqual((yield* server.fake.requests)[0]?.outcome, "Interrupted")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          FakePlexServer.layer(),
          NodeHttpClient.layerNodeHttp,
          ClientIdentity.layer({ clientIdentifier: "node-test-client", product: "FakePlexServer tests" })
        )
      )
    )
  )

  it.live("closing the scope ends requests in flight, destroys open sockets and closes the ports", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const server = yield* FakePlexServer.make().pipe(Scope.provide(scope))
      yield* onServer(PlexAuth.getTokenDetails()).pipe(
        Effect.provideService(FakePlexServer.FakePlexServer, server)
      )
      yield* server.fake.fault("getTransientToken", Fault.hang)
      const pending = yield* onServer(PlexAuth.getTransientToken()).pipe(
        Effect.provideService(FakePlexServer.FakePlexServer, server),
        Effect.result,
        Effect.forkChild
      )
      yield* server.awaitActiveRequests(1)
      const listening = listeningSockets(server.urls)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(yield* server.openSockets, 0)
      assert.strictEqual(yield* server.activeRequests, 0)
      const result = yield* Fiber.await(pending)
      assert.isTrue(
        Exit.isSuccess(result) &&
          result.value._tag === "Failure" &&
          result.value.failure._tag === "NetworkError"
      )
      // Every port closed: its listening sockets are gone (test/node/listening.ts), not merely refusing now.
      yield* Effect.promise(() => assertClosed(listening))
    }).pipe(Effect.provide(Client))
  )
})

/** The answer to a POST of `chunks` (streamed, one after the other, each once the last is sent), and how much was sent before it. */
const postStreaming = (
  url: string,
  chunk: Buffer,
  maxChunks: number,
  headers: Record<string, string> = {}
): Promise<{ readonly status: number; readonly sentBeforeAnswer: number }> =>
  new Promise((resolve, reject) => {
    let sent = 0
    let answered = false
    const request = http.request(url, {
      method: "POST",
      headers: { "X-Plex-Client-Identifier": "raw", "Content-Type": "application/octet-stream", ...headers }
    })
    request.once("response", (response) => {
      answered = true
      const sentBeforeAnswer = sent
      response.resume()
      response.once("end", () => {
        request.destroy()
        resolve({ status: response.statusCode ?? 0, sentBeforeAnswer })
      })
      response.once("error", reject)
    })
    // Writing may fail once the server closes a connection it no longer reads: the answer is what counts.
    request.on("error", (error) => {
      if (!answered) reject(error)
    })
    const next = () => {
      if (answered || request.destroyed) return
      if (sent >= maxChunks * chunk.length) {
        request.end()
        return
      }
      sent += chunk.length
      request.write(chunk, next)
    }
    next()
  })

describe("FakePlexServer request bodies", () => {
  const bodyLayer = Layer.mergeAll(FakePlexServer.layer(), Client)

  it.live("a body past the cap is answered 413 while it streams, without being buffered", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      // Up to 128 MiB, chunked: the answer must come long before the end, the server reading only its cap.
      const result = yield* Effect.promise(() =>
        postStreaming(`${server.plexTvUrl}/api/v2/users/signin`, chunk, 2048)
      )
      assert.strictEqual(result.status, 413)
      // The cap, plus what the loopback socket buffers hold: far below what was on offer.
      assert.isBelow(result.sentBeforeAnswer, 48 * 1024 * 1024)
      assert.isAtLeast(result.sentBeforeAnswer, FakePlexServer.maxRequestBodyBytes)
      yield* server.awaitActiveRequests(0)
      // The server still answers.
      assert.strictEqual((yield* onServer(PlexAuth.getTokenDetails())).username, "alice")
    }).pipe(Effect.provide(bodyLayer))
  )

  it.live("a Content-Length past the cap is answered 413 before the body is read", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      // 300 MiB declared, one chunk sent: the answer comes at once.
      const result = yield* Effect.promise(() =>
        postStreaming(`${server.plexTvUrl}/api/v2/users/signin`, chunk, 1, {
          "Content-Length": String(300 * 1024 * 1024)
        }).catch(() => ({ status: -1, sentBeforeAnswer: -1 }))
      )
      assert.strictEqual(result.status, 413)
    }).pipe(Effect.provide(bodyLayer))
  )

  it.live("a body at the cap is read and handled as usual", () =>
    Effect.gen(function* () {
      const server = yield* FakePlexServer.FakePlexServer
      const body = `login=alice&password=x&pad=${"a".repeat(FakePlexServer.maxRequestBodyBytes - 30)}`
      const response = yield* Effect.promise(() =>
        fetch(`${server.plexTvUrl}/api/v2/users/signin`, {
          method: "POST",
          headers: { "X-Plex-Client-Identifier": "raw", "Content-Type": "application/x-www-form-urlencoded" },
          body
        })
      )
      yield* Effect.promise(() => response.text())
      assert.isAtMost(body.length, FakePlexServer.maxRequestBodyBytes)
      assert.notStrictEqual(response.status, 413)
    }).pipe(Effect.provide(bodyLayer))
  )
})

/** A port on 127.0.0.1 held open by another server until the scope closes. */
const heldPort = Effect.acquireRelease(
  Effect.promise(
    () =>
      new Promise<net.Server>((resolve, reject) => {
        const server = net.createServer()
        server.once("error", reject)
        server.listen({ port: 0, host: "127.0.0.1" }, () => resolve(server))
      })
  ),
  (server) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
).pipe(Effect.map((server) => (server.address() as net.AddressInfo).port))

/** A port that was free a moment ago (held, then let go). */
const freePort = Effect.scoped(heldPort)

/**
 * `f` on a port that was free a moment ago. The kernel hands the same ports to every process, so another one
 * (a parallel test's connection) may take it in between: a port taken meanwhile is tried again with a new
 * one, up to 5 ports; any other failure, or a fifth taken port, fails the test.
 */
const onFreePort = <A, E extends { readonly message: string }, R>(
  f: (port: number) => Effect.Effect<A, E, R>
) =>
  Effect.flatMap(freePort, (port) => f(port)).pipe(
    Effect.retry({ times: 4, while: (error) => error.message.endsWith(" is already in use") })
  )

describe("FakePlexServer port", () => {
  it.live("plex.tv answers on the port asked for, every other origin on a free one", () =>
    Effect.gen(function* () {
      const { port, server } = yield* onFreePort((port) =>
        Effect.map(FakePlexServer.make({ port }), (server) => ({ port, server }))
      )
      assert.strictEqual(server.plexTvUrl, `http://127.0.0.1:${port}`)
      assert.strictEqual(server.fake.plexTvUrl, server.plexTvUrl)
      assert.strictEqual(new Set(server.urls).size, server.urls.length)
      const response = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/api/v2/user`, {
          headers: { "X-Plex-Token": Redacted.value(server.fake.token), "X-Plex-Client-Identifier": "port" }
        })
      )
      yield* Effect.promise(() => response.text())
      assert.strictEqual(response.status, 200)
    }).pipe(Effect.scoped)
  )

  it.live("a port in use fails with ServeError naming it", () =>
    Effect.gen(function* () {
      const port = yield* heldPort
      const error = yield* Effect.flip(FakePlexServer.make({ port }))
      assert.strictEqual(error._tag, "ServeError")
      assert.strictEqual(error.message, `127.0.0.1:${port} is already in use`)
    }).pipe(Effect.scoped)
  )

  it.live(
    "a port that is not a whole number from 0 to 65535 dies with FakePlexError before any port is bound",
    () =>
      Effect.gen(function* () {
        // "0" and null too: Node would listen on a free port for them, as it would on "8080" for that string.
        const cases: ReadonlyArray<readonly [unknown, string]> = [
          [-1, "-1"],
          [1.5, "1.5"],
          [Number.NaN, "NaN"],
          [Number.POSITIVE_INFINITY, "Infinity"],
          [65_536, "65536"],
          [70_000, "70000"],
          ["8080", '"8080"'],
          ["0", '"0"'],
          [null, "null"]
        ]
        for (const [port, shown] of cases) {
          const exit = yield* Effect.exit(Effect.scoped(FakePlexServer.make({ port: port as number })))
          assert.isTrue(
            Exit.isFailure(exit) && Cause.hasDies(exit.cause) && !Cause.hasFails(exit.cause),
            shown
          )
          const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
          assert.instanceOf(defect, FakePlex.FakePlexError, shown)
          assert.strictEqual(
            (defect as FakePlex.FakePlexError).message,
            `FakePlex: port must be a whole number from 0 to 65535, got ${shown}`
          )
        }
      })
  )
})
