/**
 * ServerClient's transport, as the engine's (`internal/send.ts`): the
 * caller's `FetchHttpClient.Fetch` and `RequestInit`, given to the
 * `FetchHttpClient` layer or to the fiber, are used for every hop, the
 * options kept with `redirect: "manual"` over them, under the core's fetch
 * guard (`core/fetchGuard.ts`): no token to another origin, no answer taken
 * from one, the token masked in what a failed `fetch` says. The Effect 4
 * edition of test/features/ServerClient.transport.test.ts: failures are
 * Effect 4's `HttpClientError`, told apart by their `reason`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as ServerClient from "effect4-plex-auth/ServerClient"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import { withCapturedLogs, withRecordedSpans } from "../support/observe.js"
import { assertNoSecrets, renderings, renderSpan } from "../support/secrets.js"

interface Seen {
  readonly url: string
  readonly redirect: string | undefined
  readonly credentials: string | undefined
}

/**
 * A `fetch` over the fake's web handler, recording what it was asked. It
 * follows redirects itself, with every header, unless told `redirect:
 * "manual"` (as a browser's or Node's does) or made to ignore it (`follow`);
 * its answer has the URL it came from, as a real fetch's.
 */
const fetchOver =
  (plex: FakePlex.FakePlexService, seen: Array<Seen>, follow: "asked" | "always" = "asked") =>
  async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    let request = new Request(input, init)
    seen.push({ url: request.url, redirect: init?.redirect, credentials: init?.credentials })
    let response = await Effect.runPromise(plex.handle(request))
    for (
      let hops = 0;
      (follow === "always" || init?.redirect !== "manual") &&
      response.status >= 300 &&
      response.status < 400 &&
      hops < 10;
      hops++
    ) {
      request = new Request(new URL(response.headers.get("location")!, request.url), {
        method: request.method,
        headers: request.headers
      })
      response = await Effect.runPromise(plex.handle(request))
    }
    Object.defineProperty(response, "url", { value: request.url })
    return response
  }

const identity = ClientIdentity.layer({ clientIdentifier: "transport-test", product: "Transport Test" })

/** `FetchHttpClient.layer` given `fetch` (and `init`) as its own services, not the fiber's. */
const fetchLayer = (fetch: typeof globalThis.fetch, init?: RequestInit) =>
  FetchHttpClient.layer.pipe(
    Layer.provide(
      Layer.mergeAll(
        Layer.succeed(FetchHttpClient.Fetch, fetch),
        init === undefined ? Layer.empty : Layer.succeed(FetchHttpClient.RequestInit, init)
      )
    )
  )

/** The caller's client wrapped in `HttpClient.followRedirects`. */
const followingRedirects = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) => HttpClient.followRedirects(client))
)

const serverClient = (plex: FakePlex.FakePlexService) =>
  ServerClient.make({ uri: plex.serverUrl, token: plex.token })

/** What the elsewhere host received. */
const atElsewhere = (plex: FakePlex.FakePlexService) =>
  Effect.map(plex.requests, (requests) => requests.filter((r) => r.host === "elsewhere"))

/** Runs `body` against a fresh fake, with the `HttpClient` `transport` makes over it. */
const over = <A, E>(
  transport: (plex: FakePlex.FakePlexService) => Layer.Layer<HttpClient.HttpClient>,
  body: (
    plex: FakePlex.FakePlexService
  ) => Effect.Effect<A, E, HttpClient.HttpClient | ClientIdentity.ClientIdentity>
) =>
  Effect.gen(function* () {
    const plex = yield* FakePlex.FakePlex
    return yield* Effect.provide(body(plex), transport(plex))
  }).pipe(Effect.provide(Layer.merge(FakePlex.layer(), identity)))

const messageOf = (error: HttpClientError.HttpClientError) =>
  `${error.message} ${error.reason.cause instanceof Error ? error.reason.cause.message : ""}`

describe("ServerClient: the caller's fetch and its options", () => {
  for (const where of ["the FetchHttpClient layer", "the fiber"] as const) {
    it.effect(`a Fetch and RequestInit given to ${where}: used for every hop, redirect: "manual" added`, () =>
      Effect.gen(function* () {
        const plex = yield* FakePlex.FakePlex
        const seen: Array<Seen> = []
        const fetch = fetchOver(plex, seen)
        const init: RequestInit = { redirect: "follow", credentials: "omit" }
        yield* Effect.gen(function* () {
          const client = yield* serverClient(plex)
          yield* plex.fault({ path: "/" }, Fault.redirect({ status: 302, to: "/identity" }), { times: 1 })
          yield* plex.clearRequests
          assert.strictEqual((yield* client.get("/")).status, 200)
          assert.deepStrictEqual(
            (yield* plex.requests).map((r) => [r.path, Redacted.isRedacted(r.headers["x-plex-token"])]),
            [
              ["/", true],
              ["/identity", true]
            ]
          )
          yield* plex.fault({ path: "/" }, Fault.redirect({ status: 307 }), { times: 1 })
          yield* plex.clearRequests
          assert.strictEqual((yield* client.get("/")).status, 404)
          const [elsewhere] = yield* atElsewhere(plex)
          assert.strictEqual(elsewhere?.path, "/")
          assert.notProperty(elsewhere?.headers, "x-plex-token")
        }).pipe(
          where === "the fiber"
            ? (effect) =>
                effect.pipe(
                  Effect.provide(FetchHttpClient.layer),
                  Effect.provideService(FetchHttpClient.Fetch, fetch),
                  Effect.provideService(FetchHttpClient.RequestInit, init)
                )
            : Effect.provide(fetchLayer(fetch, init))
        )
        assert.deepStrictEqual(
          seen.map((s) => new URL(s.url).pathname),
          ["/", "/identity", "/", "/"]
        )
        assert.isTrue(
          seen.every((s) => s.redirect === "manual" && s.credentials === "omit"),
          JSON.stringify(seen)
        )
      }).pipe(Effect.provide(Layer.merge(FakePlex.layer(), identity)))
    )
  }

  it.effect("a caller's fetch that follows redirects itself: an answer from another origin is refused", () =>
    over(
      (plex) => fetchLayer(fetchOver(plex, [], "always")),
      (plex) =>
        Effect.gen(function* () {
          const client = yield* serverClient(plex)
          // Within the origin, its answer is taken.
          yield* plex.fault({ path: "/" }, Fault.redirect({ status: 302, to: "/identity" }), { times: 1 })
          assert.strictEqual((yield* client.get("/")).status, 200)
          // From another origin, never: the fetch sent the token there before anyone could see the redirect,
          // but what came back is not taken for the server's.
          yield* plex.fault({ path: "/" }, Fault.redirect({ status: 307 }), { times: 1 })
          const error = yield* Effect.flip(client.get("/"))
          assert.strictEqual(error.reason._tag, "TransportError")
          assert.include(messageOf(error), "the answer came from another origin")
          assertNoSecrets(renderings(error), [Redacted.value(plex.token)])
        })
    )
  )

  it.effect("a caller's fetch failing with an error that quotes the request: the token is masked in it", () =>
    over(
      () =>
        fetchLayer(async (input, init) => {
          // As a proxy, or a caller's fetch, may: the request's URL and headers in the error under Node's.
          const headers = JSON.stringify(Object.fromEntries(new globalThis.Headers(init?.headers)))
          const quoted = new Error(`proxy refused ${String(input)} ${headers}`)
          throw new TypeError("fetch failed", { cause: Object.assign(quoted, { code: "ECONNRESET" }) })
        }),
      (plex) =>
        Effect.gen(function* () {
          const client = yield* serverClient(plex)
          const error = yield* Effect.flip(client.get("/"))
          assert.strictEqual(error.reason._tag, "TransportError")
          assertNoSecrets(renderings(error), [Redacted.value(plex.token)])
          // Masked, not dropped; the system error's code kept.
          const transport = error.cause as TypeError & { readonly cause: Error & { readonly code: string } }
          assert.include(transport.cause.message, `proxy refused ${plex.serverUrl}/`)
          assert.include(transport.cause.message, '"x-plex-token":"<redacted>"')
          assert.strictEqual(transport.cause.code, "ECONNRESET")
        })
    )
  )

  it.effect(
    "a caller's HttpClient.followRedirects around FetchHttpClient: the token never reaches the other origin",
    () => {
      const seenByLayer: Array<Seen> = []
      return (
        // The caller's Fetch given to the layer (Effect 3's test gives it to the fiber: there, `followRedirects`
        // runs a client's request steps outside the context its layer merged in).
        over(
          (plex) => followingRedirects.pipe(Layer.provide(fetchLayer(fetchOver(plex, seenByLayer)))),
          (plex) =>
            Effect.gen(function* () {
              const client = yield* serverClient(plex)
              yield* plex.fault({ path: "/" }, Fault.redirect({ status: 307 }), { times: 1 })
              const error = yield* Effect.flip(client.get("/"))
              assert.strictEqual(error.reason._tag, "TransportError")
              assert.include(messageOf(error), "refused to send credentials to another origin")
              assert.deepStrictEqual(
                seenByLayer.map((s) => s.url),
                [`${plex.serverUrl}/`]
              )
              assert.deepStrictEqual(yield* atElsewhere(plex), [])
              assertNoSecrets(renderings(error), [Redacted.value(plex.token)])
            })
        )
      )
    }
  )

  it.effect(
    "a caller's HttpClient.followRedirects around a client that is not fetch-based: the answer is refused",
    () =>
      over(
        (plex) =>
          followingRedirects.pipe(
            Layer.provide(Layer.succeed(HttpClient.HttpClient, FakePlex.httpClient(plex)))
          ),
        (plex) =>
          Effect.gen(function* () {
            const client = yield* serverClient(plex)
            yield* plex.fault({ path: "/" }, Fault.redirect({ status: 307 }), { times: 1 })
            const error = yield* Effect.flip(client.get("/"))
            assert.strictEqual(error.reason._tag, "StatusCodeError")
            assert.include(messageOf(error), "the answer came from another origin")
            assertNoSecrets(renderings(error), [Redacted.value(plex.token)])
          })
      )
  )
})

describe("ServerClient: refused redirects, and the token in no URL, error, log or span", () => {
  const inMemory = (plex: FakePlex.FakePlexService) =>
    Layer.succeed(HttpClient.HttpClient, FakePlex.httpClient(plex))

  for (const to of [
    "ftp://files.example/",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "data:text/plain,x"
  ]) {
    it.effect(`a redirect to ${to.split(":")[0]}: is refused, nothing sent there`, () =>
      over(inMemory, (plex) =>
        Effect.gen(function* () {
          const client = yield* serverClient(plex)
          yield* plex.fault({ path: "/" }, Fault.redirect({ status: 302, to }), { times: 1 })
          yield* plex.clearRequests
          const error = yield* Effect.flip(client.get("/"))
          assert.strictEqual(error.reason._tag, "StatusCodeError")
          assert.strictEqual((yield* plex.requests).length, 1)
          assertNoSecrets(renderings(error), [Redacted.value(plex.token)])
        })
      )
    )
  }

  it.effect(
    "a loop past five hops is refused after six requests; logs, spans, errors and URLs carry no token",
    () =>
      over(inMemory, (plex) =>
        Effect.gen(function* () {
          const secret = Redacted.value(plex.token)
          const client = yield* serverClient(plex)
          yield* plex.fault({ path: "/" }, Fault.redirect({ status: 302, to: "/" }))
          yield* plex.clearRequests
          const { exit, lines } = yield* withCapturedLogs(
            Effect.gen(function* () {
              const { exit, spans } = yield* withRecordedSpans(client.get("/"))
              if (Exit.isFailure(exit)) yield* Effect.logError("the answer", exit.cause)
              return { exit, spans }
            })
          )
          assert.isTrue(Exit.isSuccess(exit))
          if (!Exit.isSuccess(exit)) return
          const { exit: sent, spans } = exit.value
          assert.isTrue(Exit.isFailure(sent))
          if (!Exit.isFailure(sent)) return
          const error = Cause.squash(sent.cause) as HttpClientError.HttpClientError
          assert.include(error.message, "more than 5 redirects")
          const requests = yield* plex.requests
          assert.strictEqual(requests.length, 6)
          assert.isTrue(requests.every((r) => Redacted.isRedacted(r.headers["x-plex-token"])))
          assert.isTrue(requests.every((r) => Object.keys(r.query).length === 0))
          assert.isAbove(spans.length, 0)
          assertNoSecrets(renderings(error), [secret])
          assertNoSecrets([...lines, ...spans.map((span) => renderSpan(span))], [secret])
          assertNoSecrets([error.request.url, error.response?.request.url ?? ""], [secret])
        })
      )
  )
})

describe("ServerClient: a path's query", () => {
  it.effect(
    "goes in form encoding, as python-plexapi and @ctrl/plex send theirs: the server gets the same values",
    () =>
      // The platform writes the query anew (`URLSearchParams`): `%20` as `+`, `/` and `:` encoded. PMS reads a query
      // as a form (python-plexapi's `/hubs/search?{urlencode(params)}` and edits, @ctrl/plex's search, send `+` for a
      // space). Mirrors test/features/ServerClient.test.ts.
      Effect.gen(function* () {
        const plex = yield* FakePlex.FakePlex
        const seen: Array<Seen> = []
        yield* Effect.gen(function* () {
          const client = yield* serverClient(plex)
          yield* plex.clearRequests
          const response = yield* client.get(
            "/identity?title=a%20b&url=%2Fphoto%3Ax&plus=C%2B%2B&sort=titleSort:desc&flag"
          )
          assert.strictEqual(response.status, 200)
          const [sent] = yield* plex.requests
          assert.deepStrictEqual(sent?.query, {
            title: "a b",
            url: "/photo:x",
            plus: "C++",
            sort: "titleSort:desc",
            flag: ""
          })
        }).pipe(Effect.provide(fetchLayer(fetchOver(plex, seen))))
        assert.deepStrictEqual(
          seen.map((s) => new URL(s.url).search),
          ["?title=a+b&url=%2Fphoto%3Ax&plus=C%2B%2B&sort=titleSort%3Adesc&flag="]
        )
      }).pipe(Effect.provide(Layer.merge(FakePlex.layer(), identity)))
  )
})

describe("ServerClient: what the caller's client adds, on a redirect to another origin", () => {
  it.effect(
    "credentials and forced trace headers (mapRequest, TracerPropagationEnabled) stay on the server's origin",
    () =>
      // What the caller's client adds as it sends each hop, after ServerClient made the hop's request: only the
      // transport sees it (core serverClient.ts's `withoutCredentialsElsewhere`, under the guard), as `fetch` drops
      // `Authorization`, `Proxy-Authorization` and `Cookie` on a cross-origin redirect; a header that is neither stays.
      // Through `fetch` only: a client that does not send through it adds them past the library's reach (README).
      // Mirrors test/features/ServerClient.test.ts.
      over(
        (plex) =>
          Layer.effect(
            HttpClient.HttpClient,
            Effect.map(HttpClient.HttpClient, (caller) =>
              caller.pipe(
                HttpClient.mapRequest(
                  HttpClientRequest.setHeaders({
                    authorization: "Bearer gateway-secret",
                    "proxy-authorization": "Basic cDpx",
                    cookie: "session=1",
                    "x-gateway-tenant": "acme"
                  })
                ),
                // Propagation forced on by the caller's client, over the library's setting.
                HttpClient.transformResponse(Effect.provideService(HttpClient.TracerPropagationEnabled, true))
              )
            )
          ).pipe(Layer.provide(fetchLayer(fetchOver(plex, [])))),
        (plex) =>
          Effect.gen(function* () {
            const client = yield* serverClient(plex)
            yield* plex.fault(
              { path: "/" },
              Fault.redirect({ status: 307, to: `${plex.elsewhereUrl}/back` }),
              {
                times: 1
              }
            )
            yield* plex.fault(
              { origin: plex.elsewhereUrl, path: "/back" },
              Fault.redirect({ status: 307, to: `${plex.serverUrl}/identity` }),
              { times: 1 }
            )
            yield* plex.clearRequests
            assert.strictEqual((yield* client.get("/")).status, 200)
            const [first, elsewhere, back] = yield* plex.requests
            assert.deepStrictEqual(
              [first, elsewhere, back].map((r) => r?.host),
              ["server", "elsewhere", "server"]
            )
            const names = ["authorization", "proxy-authorization", "cookie", "traceparent", "b3"]
            for (const sent of [first, back]) assert.includeMembers(Object.keys(sent?.headers ?? {}), names)
            for (const name of names) assert.notProperty(elsewhere?.headers, name)
            assert.strictEqual(elsewhere?.headers["x-gateway-tenant"], "acme")
          }).pipe(Effect.withSpan("caller"))
      )
  )
})
