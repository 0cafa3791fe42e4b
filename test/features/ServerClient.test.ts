import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { assert, describe } from "@effect/vitest"
import { Effect, Exit, Option, Redacted } from "effect"
import { inspect } from "node:util"
import { PlexAuth, PlexError, Resources, ServerClient } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault } from "effect-plex-auth/testing"
import { it } from "../support/it.js"
import { withRecordedSpans } from "../support/observe.js"
import { as, TestLive } from "./support.js"

/** alice's server "Den", connected as Resources.connect chooses, and a ready client for it. */
const ready = Effect.gen(function* () {
  const connected = yield* as("alice")(Resources.connectByName("Den"))
  const client = yield* ServerClient.make(connected)
  return { connected, client }
})

describe("ServerClient over loopback", () => {
  it.scoped(
    "the token given as a query parameter of a request is not sent in the URL: it goes only as a header",
    () =>
      Effect.gen(function* () {
        // The request's own URL lost its X-Plex-Token, but its urlParams went out as they came: the token in the URL
        // (and in the platform span's url.full), against "never in a URL".
        const plex = (yield* FakePlexServer.FakePlexServer).fake
        const { client, connected } = yield* ready
        yield* plex.clearRequests
        const token = Redacted.value(connected.token)
        const response = yield* client.get("/", {
          urlParams: { "X-Plex-Token": token, "x-plex-token": token, t: token, keep: "1" }
        })
        assert.strictEqual(response.status, 200)
        const [sent] = yield* plex.requests
        assert.deepStrictEqual(Object.keys(sent?.query ?? {}), ["keep"])
        assert.isTrue(Redacted.isRedacted(sent?.headers["x-plex-token"]))
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped("a path on the chosen connection, with the identity headers, JSON and the server's token", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const { client, connected } = yield* ready
      yield* loopback.fake.clearRequests
      const response = yield* client.get("/")
      assert.strictEqual(response.status, 200)
      const body = (yield* response.json) as { MediaContainer: { machineIdentifier: string } }
      assert.strictEqual(body.MediaContainer.machineIdentifier, connected.server.clientIdentifier)
      const [sent] = yield* loopback.fake.requests
      assert.strictEqual(sent?.origin, new URL(connected.uri).origin)
      assert.strictEqual(sent?.headers["x-plex-client-identifier"], "features-test")
      assert.strictEqual(sent?.headers["accept"], "application/json")
      // No trace headers unless asked for, as for every operation.
      assert.notProperty(sent?.headers, "traceparent")
      const header = sent?.headers["x-plex-token"]
      assert.isTrue(Redacted.isRedacted(header))
      assert.strictEqual(Redacted.value(header as Redacted.Redacted<string>), Redacted.value(connected.token))
      // What is handed back carries no token.
      assert.notInclude(JSON.stringify(response), Redacted.value(connected.token))
      assert.notInclude(JSON.stringify(response.request), Redacted.value(connected.token))
    }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a same-origin redirect keeps the token; a cross-origin one drops it; a token in the query is dropped",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const { client, connected } = yield* ready
        const secret = Redacted.value(connected.token)

        yield* loopback.fake.fault(
          { path: "/" },
          Fault.redirect({ status: 302, to: "/identity?X-Plex-Token=leak" }),
          {
            times: 1
          }
        )
        yield* loopback.fake.clearRequests
        const same = yield* client.get("/")
        assert.strictEqual(same.status, 200)
        const hops = yield* loopback.fake.requests
        assert.deepStrictEqual(
          hops.map((r) => r.path),
          ["/", "/identity"]
        )
        assert.isTrue(Redacted.isRedacted(hops[1]!.headers["x-plex-token"]))
        assert.deepStrictEqual(hops[1]!.query, {})

        yield* loopback.fake.fault({ path: "/" }, Fault.redirect({ status: 307 }), { times: 1 })
        yield* loopback.fake.clearRequests
        const away = yield* client.get("/")
        assert.strictEqual(away.status, 404)
        const [, elsewhere] = yield* loopback.fake.requests
        assert.strictEqual(elsewhere?.host, "elsewhere")
        assert.notProperty(elsewhere?.headers, "x-plex-token")
        assert.notInclude(JSON.stringify(elsewhere), secret)

        // A redirect loop ends after five hops, with an error that carries no token.
        yield* loopback.fake.fault({ path: "/" }, Fault.redirect({ status: 302, to: "/" }))
        const loop = yield* Effect.flip(client.get("/"))
        assert.strictEqual(loop._tag, "ResponseError")
        assert.include(loop.message, "more than 5 redirects")
        assert.notInclude(JSON.stringify(loop), secret)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "the token in a fragment (a redirect's, or the request's own) is dropped: in no span, in nothing handed back",
    () =>
      Effect.gen(function* () {
        const plex = (yield* FakePlexServer.FakePlexServer).fake
        const { client, connected } = yield* ready
        const secret = Redacted.value(connected.token)
        // A fragment is never sent, but the platform's span puts it in url.full, and the request handed back keeps it.
        yield* plex.fault(
          { path: "/" },
          Fault.redirect({ status: 302, to: `/identity#X-Plex-Token=${secret}` }),
          {
            times: 1
          }
        )
        for (const send of [client.get("/"), client.get(`/identity#t=${secret}`)]) {
          const { exit, spans } = yield* withRecordedSpans(send)
          assert.isTrue(Exit.isSuccess(exit))
          if (Exit.isSuccess(exit)) {
            assert.strictEqual(exit.value.status, 200)
            assert.notInclude(JSON.stringify(exit.value), secret)
            assert.isTrue(Option.isNone(exit.value.request.hash))
          }
          assert.isNotEmpty(spans)
          for (const span of spans) assert.notInclude(JSON.stringify([...span.attributes]), secret, span.name)
        }
        // A fragment without the token is kept.
        yield* plex.fault({ path: "/" }, Fault.redirect({ status: 302, to: "/identity#keep" }), { times: 1 })
        const kept = yield* client.get("/")
        assert.deepStrictEqual(kept.request.hash, Option.some("keep"))
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "the token percent-encoded in a fragment (a redirect's, or the request's own) is dropped too",
    () =>
      Effect.gen(function* () {
        const plex = (yield* FakePlexServer.FakePlexServer).fake
        const { client, connected } = yield* ready
        const secret = Redacted.value(connected.token)
        // Each character as %XX, as a URL that encodes the token whole carries it (the URL parser keeps it so).
        const encoded = [...secret].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join("")
        yield* plex.fault(
          { path: "/" },
          Fault.redirect({ status: 302, to: `/identity#X-Plex-Token=${encoded}` }),
          { times: 1 }
        )
        for (const send of [client.get("/"), client.get(`/identity#t=${encoded}`)]) {
          const { exit, spans } = yield* withRecordedSpans(send)
          assert.isTrue(Exit.isSuccess(exit))
          if (Exit.isSuccess(exit)) {
            assert.strictEqual(exit.value.status, 200)
            assert.notInclude(JSON.stringify(exit.value), encoded)
            assert.isTrue(Option.isNone(exit.value.request.hash))
          }
          assert.isNotEmpty(spans)
          for (const span of spans)
            assert.notInclude(JSON.stringify([...span.attributes]), encoded, span.name)
        }
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped("a 303 makes a POST a GET, but a HEAD stays a HEAD (as fetch has it)", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const plex = loopback.fake
      const { client } = yield* ready
      const methods = Effect.map(plex.requests, (requests) => requests.map((r) => [r.method, r.path]))
      for (const [send, method, next] of [
        [client.head("/"), "HEAD", "HEAD"],
        [client.post("/"), "POST", "GET"],
        [client.get("/"), "GET", "GET"]
      ] as const) {
        yield* plex.fault({ path: "/" }, Fault.redirect({ status: 303, to: "/identity" }), { times: 1 })
        yield* plex.clearRequests
        yield* send
        assert.deepStrictEqual(yield* methods, [
          [method, "/"],
          [next, "/identity"]
        ])
      }
    }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a redirect to another origin carries no trace context, identity or credentials; back on the server, all again",
    () =>
      Effect.gen(function* () {
        const plex = (yield* FakePlexServer.FakePlexServer).fake
        const connected = yield* as("alice")(Resources.connectByName("Den"))
        // Trace propagation on (`PlexAuth.TracePropagation`), the request inside a span of the caller's.
        const client = yield* ServerClient.make(connected).pipe(PlexAuth.withTracePropagation(true))
        const headers = {
          range: "bytes=0-99",
          authorization: "Basic dTpw",
          "proxy-authorization": "Basic cDpx",
          cookie: "session=1",
          tracestate: "vendor=1",
          // W3C baggage (OpenTelemetry's default propagators send it beside traceparent) may name the user.
          baggage: "user.id=alice",
          "x-plex-client-profile-extra": "add-transcode-target"
        }
        // The server sends the client elsewhere, which sends it back to the server.
        yield* plex.fault({ path: "/" }, Fault.redirect({ status: 307, to: `${plex.elsewhereUrl}/back` }), {
          times: 1
        })
        yield* plex.fault(
          { origin: plex.elsewhereUrl, path: "/back" },
          Fault.redirect({ status: 307, to: `${connected.uri}/identity` }),
          { times: 1 }
        )
        yield* plex.clearRequests
        const response = yield* client.get("/", { headers }).pipe(Effect.withSpan("caller"))
        assert.strictEqual(response.status, 200)
        const hops = yield* plex.requests
        assert.deepStrictEqual(
          hops.map((r) => [r.host, r.path]),
          [
            ["server", "/"],
            ["elsewhere", "/back"],
            ["server", "/identity"]
          ]
        )
        const [first, elsewhere, back] = hops
        const identifying = (request: typeof first) =>
          Object.keys(request?.headers ?? {}).filter((name) =>
            /^(x-plex-.*|authorization|proxy-authorization|cookie|traceparent|tracestate|baggage|b3|x-b3-.*)$/.test(
              name
            )
          )
        const all = [
          "authorization",
          "b3",
          "baggage",
          "cookie",
          "proxy-authorization",
          "traceparent",
          "tracestate",
          "x-plex-client-identifier",
          "x-plex-client-profile-extra",
          "x-plex-token"
        ]
        // On the server's origin, all of it: the token, the identity, the caller's headers, the trace context.
        for (const sent of [first, back]) {
          assert.includeMembers(identifying(sent), all, sent?.path)
          assert.strictEqual(sent?.headers["x-plex-client-identifier"], "features-test")
        }
        // Elsewhere, none of it; what the request needs stays.
        assert.deepStrictEqual(identifying(elsewhere), [])
        assert.strictEqual(elsewhere?.headers["range"], "bytes=0-99")
        assert.strictEqual(elsewhere?.headers["accept"], "application/json")
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a path's query goes in form encoding, as python-plexapi and @ctrl/plex send theirs: same values",
    () =>
      Effect.gen(function* () {
        // The platform writes the query anew (`URLSearchParams`): `%20` as `+`, `/` and `:` encoded. PMS reads a
        // query as a form (python-plexapi's `/hubs/search?{urlencode(params)}` and edits, @ctrl/plex's search, send
        // `+` for a space), so the server gets the values the path had.
        const plex = (yield* FakePlexServer.FakePlexServer).fake
        const { client } = yield* ready
        const urls: Array<string> = []
        const recording: typeof globalThis.fetch = (input, init) => {
          urls.push(String(input))
          return globalThis.fetch(input, init)
        }
        yield* plex.clearRequests
        const response = yield* client
          .get("/identity?title=a%20b&url=%2Fphoto%3Ax&plus=C%2B%2B&sort=titleSort:desc&flag")
          .pipe(Effect.provideService(FetchHttpClient.Fetch, recording))
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(
          urls.map((url) => new URL(url).search),
          ["?title=a+b&url=%2Fphoto%3Ax&plus=C%2B%2B&sort=titleSort%3Adesc&flag="]
        )
        const [sent] = yield* plex.requests
        assert.deepStrictEqual(sent?.query, {
          title: "a b",
          url: "/photo:x",
          plus: "C++",
          sort: "titleSort:desc",
          flag: ""
        })
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a caller's client's credentials and forced trace headers (mapRequest, withTracerPropagation) stay on the server's origin",
    () =>
      Effect.gen(function* () {
        // What the caller's client adds as it sends each hop, after ServerClient made the hop's request: only the
        // transport sees it (core serverClient.ts's `withoutCredentialsElsewhere`), as `fetch` drops `Authorization`,
        // `Proxy-Authorization` and `Cookie` on a cross-origin redirect.
        const plex = (yield* FakePlexServer.FakePlexServer).fake
        const connected = yield* as("alice")(Resources.connectByName("Den"))
        const client = yield* ServerClient.make(connected).pipe(
          Effect.updateService(HttpClient.HttpClient, (caller) =>
            caller.pipe(
              HttpClient.mapRequest(
                HttpClientRequest.setHeaders({
                  authorization: "Bearer gateway-secret",
                  "proxy-authorization": "Basic cDpx",
                  cookie: "session=1",
                  "x-gateway-tenant": "acme"
                })
              ),
              HttpClient.withTracerPropagation(true)
            )
          )
        )
        yield* plex.fault({ path: "/" }, Fault.redirect({ status: 307, to: `${plex.elsewhereUrl}/back` }), {
          times: 1
        })
        yield* plex.fault(
          { origin: plex.elsewhereUrl, path: "/back" },
          Fault.redirect({ status: 307, to: `${connected.uri}/identity` }),
          { times: 1 }
        )
        yield* plex.clearRequests
        const response = yield* client.get("/")
        assert.strictEqual(response.status, 200)
        const [first, elsewhere, back] = yield* plex.requests
        assert.deepStrictEqual(
          [first, elsewhere, back].map((r) => r?.host),
          ["server", "elsewhere", "server"]
        )
        const names = ["authorization", "proxy-authorization", "cookie", "traceparent", "b3"]
        for (const sent of [first, back]) assert.includeMembers(Object.keys(sent?.headers ?? {}), names)
        for (const name of names) assert.notProperty(elsewhere?.headers, name)
        assert.strictEqual(elsewhere?.headers["x-gateway-tenant"], "acme")
      }).pipe(Effect.provide(TestLive()))
  )

  // Effect 3's response renders a JSON or text body by starting to read it (`HttpIncomingMessage.inspect`): a
  // middleware that logs the response, or a tracer that renders the platform span's exit, reads it before the client
  // drops a redirect's body (the engine's twin: test/observability.test.ts).
  it.scoped("a response rendered before the client drops its body (a logging middleware): no defect", () =>
    Effect.gen(function* () {
      const plex = (yield* FakePlexServer.FakePlexServer).fake
      const connected = yield* as("alice")(Resources.connectByName("Den"))
      const rendering = yield* Effect.map(
        HttpClient.HttpClient,
        HttpClient.tap((response) => Effect.sync(() => JSON.stringify(response)))
      )
      const client = yield* ServerClient.make(connected).pipe(
        Effect.provideService(HttpClient.HttpClient, rendering)
      )
      // A redirect followed: its body dropped.
      yield* plex.fault({ path: "/" }, Fault.redirect({ status: 302, to: "/identity" }), { times: 1 })
      yield* plex.clearRequests
      const followed = yield* client.get("/")
      assert.strictEqual(followed.status, 200)
      assert.deepStrictEqual(
        (yield* plex.requests).map((r) => [r.path, r.status]),
        [
          ["/", 302],
          ["/identity", 200]
        ]
      )
      // A redirect refused (the sixth hop): its body dropped, the refusal a failure, not a defect.
      yield* plex.fault({ path: "/" }, Fault.redirect({ status: 302, to: "/" }))
      const loop = yield* Effect.flip(client.get("/"))
      assert.strictEqual(loop._tag, "ResponseError")
      assert.include(loop.message, "more than 5 redirects")
    }).pipe(Effect.provide(TestLive()))
  )

  it.scoped("a request outside the server's origin is refused before it is sent; errors carry no token", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const { client, connected } = yield* ready
      yield* loopback.fake.clearRequests
      for (const url of [`${loopback.fake.elsewhereUrl}/library`, "@evil.example/", "not a url"]) {
        const refused = yield* Effect.flip(client.get(url))
        assert.strictEqual(refused._tag, "RequestError")
        if (refused._tag === "RequestError") assert.strictEqual(refused.reason, "InvalidUrl")
      }
      // A path without its leading "/" (Effect's prependUrl would glue it to the port): the error says what to give.
      const relative = yield* Effect.flip(client.get("library/sections"))
      assert.include(
        relative.message,
        `give a path that starts with "/" ("/library/sections") or a URL on ${connected.uri}`
      )
      assert.deepStrictEqual(yield* loopback.fake.requests, [])

      yield* loopback.fake.fault({ path: "/" }, Fault.refuse, { times: 1 })
      const down = yield* Effect.flip(client.get("/"))
      assert.strictEqual(down._tag, "RequestError")
      assert.notInclude(JSON.stringify(down), Redacted.value(connected.token))
      assert.notInclude(String(down), Redacted.value(connected.token))

      const invalid = yield* Effect.flip(ServerClient.make({ uri: "ftp://x", token: connected.token }))
      assert.strictEqual(invalid._tag, "InvalidInput")
    }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a refused request that brought the token in its URL (a URL as python-plexapi writes one): the error carries none",
    () =>
      Effect.gen(function* () {
        // The error handed back carried the caller's request as given: its query (or fragment) kept the token, and so
        // did the error's message, JSON and printed form, where the token must be in no error.
        const loopback = yield* FakePlexServer.FakePlexServer
        const { client, connected } = yield* ready
        const token = Redacted.value(connected.token)
        yield* loopback.fake.clearRequests
        const elsewhere = loopback.fake.elsewhereUrl
        for (const request of [
          HttpClientRequest.get(`${elsewhere}/library/parts/1/file.mkv?X-Plex-Token=${token}&a=1`),
          HttpClientRequest.get(`${elsewhere}/library`, { urlParams: { t: token } }),
          HttpClientRequest.get(`${elsewhere}/library#X-Plex-Token=${token}`),
          HttpClientRequest.get(`library/parts/1/file.mkv?X-Plex-Token=${token}`)
        ]) {
          const refused = yield* Effect.flip(client.execute(request))
          assert.strictEqual(refused._tag, "RequestError")
          if (refused._tag === "RequestError") assert.strictEqual(refused.reason, "InvalidUrl")
          for (const rendered of [
            refused.message,
            String(refused),
            JSON.stringify(refused),
            inspect(refused, { depth: 10 })
          ]) {
            assert.notInclude(rendered, token)
          }
          assert.notInclude(JSON.stringify(refused.request.urlParams), token)
        }
        assert.deepStrictEqual(yield* loopback.fake.requests, [])
      }).pipe(Effect.provide(TestLive()))
  )

  it("media URLs: without the token by default; with it only when asked, Redacted", () => {
    const connection = { uri: "http://192.168.1.10:32400/", token: Redacted.make("serverTokenABC") }
    const plain = ServerClient.mediaUrl(connection, "/library/parts/1/file.mkv", {
      download: "1",
      "X-Plex-Token": "sneaky"
    })
    assert.strictEqual(plain, "http://192.168.1.10:32400/library/parts/1/file.mkv?download=1")
    // Nor one the path brings in its query (a URL as a server lists it, copied with its token), under any case.
    assert.strictEqual(
      ServerClient.mediaUrl(
        connection,
        "/photo/:/transcode?url=%2Fa&X-Plex-Token=listed&x-plex-token=again",
        {
          width: "100"
        }
      ),
      "http://192.168.1.10:32400/photo/:/transcode?url=%2Fa&width=100"
    )
    const leaky = ServerClient.mediaUrlWithToken(connection, "library/parts/1/file.mkv")
    assert.isTrue(Redacted.isRedacted(leaky))
    assert.notInclude(String(leaky), "serverTokenABC")
    assert.notInclude(JSON.stringify({ leaky }), "serverTokenABC")
    assert.strictEqual(
      Redacted.value(leaky),
      "http://192.168.1.10:32400/library/parts/1/file.mkv?X-Plex-Token=serverTokenABC"
    )
  })
  it("media URLs: the path goes after the address ServerClient.make takes, not into its query or fragment", () => {
    // Accepted by ServerClient.make (spaces around it, as from a .env line; an empty query or fragment; a trailing
    // backslash): the path is put after the address it reads, never after the text as given.
    for (const uri of [
      "http://192.168.1.10:32400 ",
      " http://192.168.1.10:32400/\n",
      "http://192.168.1.10:32400?",
      "http://192.168.1.10:32400/#",
      "http://192.168.1.10:32400\\"
    ]) {
      const connection = { uri, token: Redacted.make("serverTokenABC") }
      assert.strictEqual(
        ServerClient.mediaUrl(connection, "/library/parts/1/file.mkv", { download: "1" }),
        "http://192.168.1.10:32400/library/parts/1/file.mkv?download=1",
        uri
      )
      assert.strictEqual(
        Redacted.value(ServerClient.mediaUrlWithToken(connection, "library/parts/1/file.mkv")),
        "http://192.168.1.10:32400/library/parts/1/file.mkv?X-Plex-Token=serverTokenABC",
        uri
      )
    }
  })
  it("media URLs: a URL given as the path is taken on the server's origin only, never made a path there", () => {
    const connection = { uri: "http://192.168.1.10:32400/", token: Redacted.make("serverTokenABC") }
    // On the server's origin: as it is, its query kept, the params added.
    assert.strictEqual(
      ServerClient.mediaUrl(connection, "http://192.168.1.10:32400/library/parts/1/file.mkv?x=1", {
        download: "1"
      }),
      "http://192.168.1.10:32400/library/parts/1/file.mkv?x=1&download=1"
    )
    assert.strictEqual(
      Redacted.value(ServerClient.mediaUrlWithToken(connection, "http://192.168.1.10:32400/a")),
      "http://192.168.1.10:32400/a?X-Plex-Token=serverTokenABC"
    )
    // Elsewhere: refused, not put after the server's address ("http://192.168.1.10:32400/https://...").
    const elsewhereReason =
      'must be a path on the server ("/library/parts/1/file.mkv") or a URL on http://192.168.1.10:32400: a URL elsewhere is used as it is, without the server\'s token'
    const refusal = (build: () => unknown) => {
      try {
        return { built: build() }
      } catch (error) {
        return error as { readonly _tag: string; readonly field: string; readonly operation: string }
      }
    }
    for (const elsewhere of [
      "https://metadata.example/t.jpg",
      "http://192.168.1.10:32401/a",
      "http://u:p@192.168.1.10:32400/a",
      // The same server's other address (its plex.direct name): another origin, refused too.
      "https://192-168-1-10.0123456789abcdef0123456789abcdef.plex.direct:32400/a",
      "https://192.168.1.10:32400/a"
    ]) {
      const plain = refusal(() => ServerClient.mediaUrl(connection, elsewhere))
      // The whole error, its reason naming the server's origin (not the URL given, which may carry a token).
      assert.deepStrictEqual(
        plain,
        new PlexError.InvalidInput({
          operation: "ServerClient.mediaUrl",
          field: "path",
          reason: elsewhereReason
        }),
        elsewhere
      )
      const withToken = refusal(() => ServerClient.mediaUrlWithToken(connection, elsewhere))
      assert.deepStrictEqual(
        withToken,
        new PlexError.InvalidInput({
          operation: "ServerClient.mediaUrlWithToken",
          field: "path",
          reason: elsewhereReason
        }),
        elsewhere
      )
      assert.include(String((plain as { message?: string }).message), "http://192.168.1.10:32400")
      assert.notInclude(JSON.stringify(withToken), "serverTokenABC")
    }
  })

  it("media URLs: a server address in any quotes (typographic ones, pasted from a chat or a document) is refused saying so", () => {
    // Not "put http:// before it", which it has: the reason an env file's ASCII quotes get (db8d536b).
    for (const uri of [
      "\u201chttp://192.168.1.10:32400\u201d",
      "\u2018http://h:32400\u2019",
      "\u201ehttp://h:32400\u201c",
      "\u00abhttp://h\u00bb"
    ]) {
      let refused: unknown
      try {
        ServerClient.mediaUrl({ uri }, "/a")
      } catch (error) {
        refused = error
      }
      assert.deepStrictEqual(
        refused,
        new PlexError.InvalidInput({
          operation: "ServerClient.mediaUrl",
          field: "uri",
          reason: "must not be in quotes"
        }),
        uri
      )
    }
  })
})
