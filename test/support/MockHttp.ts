/**
 * A hand-written mock `HttpClient` layer: every request is recorded (method,
 * full URL, headers, body, the `Clock` time it was sent) and answered by a
 * handler returning a web `Response` (or an Effect of one, to fail the
 * transport or hang). Nothing touches the network.
 */
import type * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Context, Data, Effect, Layer, Ref } from "effect"

/** One request as the mock received it. */
export interface RecordedRequest {
  readonly method: string
  /** The full URL, query string included. */
  readonly url: URL
  /** The headers, names lower-cased (as HttpClientRequest holds them). */
  readonly headers: Headers.Headers
  /** The body as text, `undefined` when the request had none. */
  readonly body: string | undefined
  /** The body's content type, when it had one. */
  readonly contentType: string | undefined
  /** `Clock.currentTimeMillis` when the request was sent (TestClock time in `it.effect`). */
  readonly at: number
  /** 0 for the first request the layer received, 1 for the second, ... */
  readonly index: number
}

/** A failure of the transport itself (refused, reset): becomes a `RequestError` of reason `Transport`. */
export class TransportFailure extends Data.TaggedError("TransportFailure")<{
  readonly message: string
  readonly code?: string | undefined
}> {}

/** What a handler answers with. */
export type Reply = Response | Effect.Effect<Response, TransportFailure>

/** Answers one request. */
export type Handler = (request: RecordedRequest) => Reply

/** The requests the mock layer received, in order. */
export class MockHttp extends Context.Tag("test/MockHttp")<
  MockHttp,
  { readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>> }
>() {}

/** The requests received so far. */
export const requests: Effect.Effect<ReadonlyArray<RecordedRequest>, never, MockHttp> = Effect.flatMap(
  MockHttp,
  (mock) => mock.requests
)

const bodyOf = (request: HttpClientRequest.HttpClientRequest): string | undefined => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return undefined
    case "Uint8Array":
      return new TextDecoder().decode(body.body)
    case "Raw":
      // A body that carries a secret is raw bytes that render as `<redacted>` (`core/redact.ts`'s `sealedBody`).
      return body.body instanceof Uint8Array ? new TextDecoder().decode(body.body) : String(body.body)
    default:
      return `<${body._tag} body>`
  }
}

const contentTypeOf = (request: HttpClientRequest.HttpClientRequest): string | undefined => {
  const body = request.body
  return body._tag === "Empty" ? undefined : body.contentType
}

/** A mock HttpClient answering with `handler`, plus the `MockHttp` recorder. */
export const layer = (handler: Handler): Layer.Layer<HttpClient.HttpClient | MockHttp> =>
  Layer.unwrapEffect(
    Effect.map(Ref.make<ReadonlyArray<RecordedRequest>>([]), (log) => {
      const client = HttpClient.make((request, url) =>
        Effect.gen(function* () {
          const at = yield* Clock.currentTimeMillis
          const recorded: RecordedRequest = {
            method: request.method,
            url: new URL(url.toString()),
            headers: request.headers,
            body: bodyOf(request),
            contentType: contentTypeOf(request),
            at,
            index: (yield* Ref.get(log)).length
          }
          yield* Ref.update(log, (all) => [...all, recorded])
          const reply = handler(recorded)
          const response = Effect.isEffect(reply) ? yield* reply : reply
          return HttpClientResponse.fromWeb(request, response)
        }).pipe(
          Effect.catchTag("TransportFailure", (failure) =>
            Effect.fail(
              new HttpClientError.RequestError({
                request,
                reason: "Transport",
                cause: new TypeError(failure.message, {
                  cause: { code: failure.code, message: failure.message }
                })
              })
            )
          )
        )
      )
      return Layer.merge(
        Layer.succeed(HttpClient.HttpClient, client),
        Layer.succeed(MockHttp, { requests: Ref.get(log) })
      )
    })
  )

// ---------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------

/** A JSON answer (`application/json; charset=utf-8`). */
export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers }
  })

/** A text answer with the given content type. */
export const text = (
  status: number,
  body: string,
  contentType: string,
  headers: Record<string, string> = {}
): Response => new Response(body, { status, headers: { "content-type": contentType, ...headers } })

/** An HTML page, as a PMS answers 400/403 and proxies answer 5xx. */
export const html = (status: number, body: string, headers: Record<string, string> = {}): Response =>
  text(status, body, "text/html; charset=utf-8", headers)

/** An XML answer, as a PMS gives without `Accept: application/json`. */
export const xml = (status: number, body: string): Response => text(status, body, "text/xml;charset=utf-8")

/** A plex.tv error body `{"errors":[...]}`. */
export const plexErrors = (
  status: number,
  errors: ReadonlyArray<{ readonly code: number; readonly message: string }>,
  headers: Record<string, string> = {}
): Response => json(status, { errors: errors.map((e) => ({ ...e, status })) }, headers)

/** A redirect to `location`. */
export const redirect = (status: 301 | 302 | 303 | 307 | 308, location: string): Response =>
  new Response(null, { status, headers: { location } })

/** The transport fails (connection refused by default). */
export const transportFailure = (
  message = "connect ECONNREFUSED 127.0.0.1:32400",
  code = "ECONNREFUSED"
): Effect.Effect<Response, TransportFailure> => Effect.fail(new TransportFailure({ message, code }))

/** No answer ever comes (the request hangs until interrupted). */
export const hang: Effect.Effect<Response, TransportFailure> = Effect.never

/** Headers arrive, but the body never finishes. */
export const stalledBody = (status = 200, contentType = "application/json"): Response =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"partial":'))
      }
    }),
    { status, headers: { "content-type": contentType } }
  )

/**
 * The status and headers arrive (with the `Content-Length` of the whole body), then the body breaks off after its
 * first 8 bytes, as when the connection is cut after the status line: reading it fails as `fetch` fails.
 */
export const cutBody = (status: number, body: unknown, headers: Record<string, string> = {}): Response => {
  const bytes = new TextEncoder().encode(JSON.stringify(body))
  let sent = false
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) controller.error(new TypeError("terminated: other side closed"))
        else {
          sent = true
          controller.enqueue(bytes.slice(0, 8))
        }
      }
    }),
    {
      status,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-length": String(bytes.length),
        ...headers
      }
    }
  )
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

/** Answers the n-th request with the n-th reply; the last one repeats. */
export const sequence =
  (...replies: ReadonlyArray<() => Reply>): Handler =>
  (request) => {
    const reply = replies[Math.min(request.index, replies.length - 1)]
    if (reply === undefined) throw new Error("sequence needs at least one reply")
    return reply()
  }

/** Always the same reply (built afresh for each request: a Response body is read once). */
export const always =
  (reply: () => Reply): Handler =>
  () =>
    reply()

/** Routes by origin (`https://plex.tv`, `http://127.0.0.1:32400`); an unknown origin gets a 599. */
export const byOrigin =
  (routes: Record<string, Handler>): Handler =>
  (request) => {
    const route = routes[request.url.origin]
    return route === undefined
      ? text(599, `no route for ${request.url.origin}`, "text/plain")
      : route(request)
  }
