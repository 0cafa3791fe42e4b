/**
 * Issue 15.1: no secret reaches another origin whatever HttpClient the caller
 * brings. Two loopback servers stand for two origins: "plex" redirects to
 * "elsewhere", which records what it received and answers 200 with an
 * account of its own.
 *
 * - `HttpClient.followRedirects` around `FetchHttpClient`: the engine's own
 *   `fetch` refuses to send the token, password or code to the other origin;
 *   the operation fails with `Unexpected` (`Redirect`).
 * - A `FetchHttpClient.Fetch` of the caller's forcing `redirect: "follow"`:
 *   it sends before anyone can see the redirect, but the answer from the
 *   other origin is refused: `Unexpected` (`Redirect`), never its data.
 * - `HttpClient.followRedirects` around a client that is not fetch-based (a
 *   mock): the answer from the other origin is refused the same way.
 *
 * The Effect 4 edition of test/redirects.callers-client.test.ts
 * (`Effect.callback` for Effect 3's `Effect.async`; `effect/http`).
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Claim from "effect4-plex-auth/Claim"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import { failsWith } from "./support/assertions.js"
import { CODE, CLIENT_ID, PASSWORD, TOKEN } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"

interface Received {
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

/** A loopback server answering every request with `reply`, recording what it received. */
const serve = (reply: (request: Http.IncomingMessage, response: Http.ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.callback<{
      readonly origin: string
      readonly received: Array<Received>
      readonly server: Http.Server
    }>((resume) => {
      const received: Array<Received> = []
      const server = Http.createServer((request, response) => {
        let body = ""
        request.on("data", (chunk) => (body += chunk))
        request.on("end", () => {
          received.push({ url: request.url ?? "", headers: request.headers, body })
          response.setHeader("connection", "close")
          reply(request, response)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ origin: `http://127.0.0.1:${port}`, received, server }))
      })
    }),
    (served) =>
      Effect.callback<void>((resume) => {
        served.server.close(() => resume(Effect.void))
        served.server.closeAllConnections()
      })
  )

const elsewhereAccount = {
  id: 666,
  uuid: "evil",
  username: "someone-else",
  title: "Elsewhere",
  authToken: "x"
}

/** "plex", redirecting every request with `status` to "elsewhere", which answers with its own account. */
const twoOrigins = (status: 302 | 307) =>
  Effect.gen(function* () {
    const elsewhere = yield* serve((_, response) => {
      response.writeHead(200, { "content-type": "application/json" })
      response.end(JSON.stringify(elsewhereAccount))
    })
    const plex = yield* serve((request, response) => {
      response.writeHead(status, { location: `${elsewhere.origin}${request.url}` })
      response.end()
    })
    return { plex, elsewhere }
  })

const identity = ClientIdentity.layer({ clientIdentifier: CLIENT_ID, product: "redirect tests" })
const credentials = Credentials.layer(Redacted.make(TOKEN))

/** `FetchHttpClient`, wrapped by the caller in `HttpClient.followRedirects`. */
const followingFetchClient = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) => HttpClient.followRedirects(client, 5))
).pipe(Layer.provide(FetchHttpClient.layer))

/** `FetchHttpClient` with a caller's `fetch` that forces `redirect: "follow"`. */
const forcedFollowFetch = Layer.merge(
  FetchHttpClient.layer,
  Layer.succeed(FetchHttpClient.Fetch, (input, init) =>
    globalThis.fetch(input, { ...init, redirect: "follow" })
  )
)

const signIn = PlexAuth.postUsersSignInData({ login: "me", password: PASSWORD, verificationCode: CODE })

const assertNothingSecretArrived = (received: ReadonlyArray<Received>) => {
  const seen = JSON.stringify(received)
  for (const secret of [TOKEN, PASSWORD, CODE]) assert.notInclude(seen, secret)
}

describe("a caller's HttpClient.followRedirects around FetchHttpClient", () => {
  for (const status of [302, 307] as const) {
    it.live(`a ${status} to another origin: the token never arrives there, and the call fails`, () =>
      Effect.gen(function* () {
        const { elsewhere, plex } = yield* twoOrigins(status)
        const error = yield* failsWith(
          PlexAuth.getTokenDetails().pipe(PlexTv.withUrl(plex.origin)),
          "Unexpected"
        )
        assert.strictEqual(error.reason, "Redirect")
        assert.include(error.message, "another origin")
        assertNothingSecretArrived(elsewhere.received)
        assert.strictEqual(plex.received.length, 1)
      }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(followingFetchClient, identity, credentials)))
    )
  }

  it.live("a 307 on sign-in: the password and code never arrive at the other origin", () =>
    Effect.gen(function* () {
      const { elsewhere, plex } = yield* twoOrigins(307)
      const error = yield* failsWith(signIn.pipe(PlexTv.withUrl(plex.origin)), "Unexpected")
      assert.strictEqual(error.reason, "Redirect")
      assertNothingSecretArrived(elsewhere.received)
      assert.strictEqual(elsewhere.received.length, 0)
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(followingFetchClient, identity)))
  )
  it.live("a 307 on a claim: a claim token a query percent-encodes never arrives at the other origin", () =>
    Effect.gen(function* () {
      // Any visible ASCII is a claim token (validate.ts tokenProblem); the query writes this one "claim-a%2Bb%2Fc%3Dd%21".
      const claimToken = "claim-a+b/c=d!"
      const elsewhere = yield* serve((_, response) => {
        response.writeHead(200, { "content-type": "application/json" })
        response.end("{}")
      })
      const server = yield* serve((request, response) => {
        if (request.method === "GET") {
          response.writeHead(200, { "content-type": "application/json" })
          const identity = { size: 0, claimed: false, machineIdentifier: "pms-1", version: "1.41.0" }
          response.end(JSON.stringify({ MediaContainer: identity }))
        } else {
          response.writeHead(307, { location: `${elsewhere.origin}${request.url}` })
          response.end()
        }
      })
      const error = yield* failsWith(Claim.claimServer(server.origin, { claimToken }), "Unexpected")
      assert.strictEqual(error.reason, "Redirect")
      // The claim reached the server (its query as the server read it), and nothing reached the other origin.
      const claim = server.received.find(({ url }) => url.startsWith("/myplex/claim"))
      assert.strictEqual(new URL(claim?.url ?? "", server.origin).searchParams.get("token"), claimToken)
      assert.strictEqual(elsewhere.received.length, 0)
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(followingFetchClient, identity, credentials)))
  )
})

describe("a caller's Fetch forcing redirect: follow", () => {
  it.live("the other origin's answer is refused: a typed error, never its account", () =>
    Effect.gen(function* () {
      const { plex } = yield* twoOrigins(302)
      const error = yield* failsWith(
        PlexAuth.getTokenDetails().pipe(PlexTv.withUrl(plex.origin)),
        "Unexpected"
      )
      assert.strictEqual(error.reason, "Redirect")
      assert.include(error.message, "another origin")
      assert.notInclude(error.message, TOKEN)
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(forcedFollowFetch, identity, credentials)))
  )
})

describe("a caller's HttpClient.followRedirects around a client that is not fetch-based", () => {
  const mock = MockHttp.layer((request) =>
    request.url.origin === "https://plex.tv"
      ? MockHttp.redirect(302, "https://elsewhere.example/api/v2/user")
      : MockHttp.json(200, elsewhereAccount)
  )
  const following = Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) => HttpClient.followRedirects(client, 5))
  ).pipe(Layer.provide(mock))

  it.effect("the answer from another origin is refused: a typed error, never its account", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(PlexAuth.getTokenDetails(), "Unexpected")
      assert.strictEqual(error.reason, "Redirect")
      assert.include(error.message, "https://elsewhere.example")
    }).pipe(Effect.provide(Layer.mergeAll(mock, identity, credentials, following)))
  )
})
