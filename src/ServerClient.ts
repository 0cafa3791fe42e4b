/**
 * A ready `HttpClient` for a Plex Media Server: the connection
 * `Resources.connect` chose (or any server URL and token), with the base
 * URL, the identity headers, `Accept: application/json` and the server's
 * token already attached, so any PMS endpoint is one `client.get(path)`
 * away.
 *
 * It keeps the library's redirect and secret rules: redirects are followed
 * here (at most 5, http(s) only), the token goes only to the server's own
 * origin (never across origins, never in a URL), a request to another
 * origin is refused, a redirect to another origin carries nothing that says
 * who asks (no token, no `X-Plex-*` identity, no `Authorization` or
 * `Cookie`, no trace headers), and the `X-Plex-Token` header and a redirect's
 * `Location` (which a server may point at a URL carrying the token) are
 * redacted in what the platform logs and traces. Responses and errors handed
 * back carry their request without the token, and the token scrubbed out of
 * their headers (a `Location`, a `Content-Location`, a `Link`: any header a
 * server may echo it in).
 *
 * {@link mediaUrl} builds a URL for a player; {@link mediaUrlWithToken} puts
 * the token in its query, the only way most players accept one, and
 * returns it `Redacted`: anyone who sees that URL can use the server as
 * you.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { ClientIdentity } from "./ClientIdentity.js"
import type { InvalidInput } from "./PlexError.js"
import { scrubbedError } from "./core/fetchGuard.js"
import { unsendableHeader, unsendableProblem } from "./core/identity.js"
import * as Policy from "./core/policy.js"
import { withSecretHeaderNames } from "./core/redact.js"
import * as Facts from "./core/serverClient.js"
import { discardBody, scrubAnswerHeaders } from "./internal/read.js"
import { guarded } from "./internal/send.js"
import { TracePropagation } from "./internal/settings.js"
import * as V from "./internal/validate.js"

/**
 * A server to talk to: its base URL and the token it accepts. A
 * `Resources.Connected` is one.
 *
 * @since 0.1.0
 * @category models
 */
export interface Connection {
  /** The base URL, `http(s)://host:port[/prefix]`. */
  readonly uri: string
  /** The server's token, `Redacted`. */
  readonly token: Redacted.Redacted<string>
}

const tokenHeader = Facts.tokenHeader

/** The request as handed back to the caller: without the token. */
const withoutToken = (request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest =>
  tokenHeader in request.headers
    ? HttpClientRequest.make(request.method)(request.url, {
        headers: Headers.remove(request.headers, tokenHeader),
        urlParams: request.urlParams,
        hash: Option.getOrUndefined(request.hash),
        body: request.body
      })
    : request

/**
 * A response whose `request` is `request` and whose `Location` has no
 * secret in it: the same object otherwise (its body, headers and status,
 * read through it), and the same when printed, but for those.
 */
const answeringFor = (
  response: HttpClientResponse.HttpClientResponse,
  request: HttpClientRequest.HttpClientRequest,
  secrets: ReadonlyArray<string>
): HttpClientResponse.HttpClientResponse => {
  // The engine's rule for the headers a caller is handed (PlexAuth's WithResponse too): a header carrying the token
  // (a Location pointing at a URL with it, any header echoing it) keeps the rest, the token in it `<redacted>`.
  const headers = () => scrubAnswerHeaders(response.headers, secrets)
  // The platform may wrap a response in one that prints the wrapped one: its printed request and headers are
  // replaced here (the headers redacted as the platform prints them).
  const toJSON = () => {
    const printed = response.toJSON()
    return printed !== null && typeof printed === "object"
      ? {
          ...printed,
          request: request.toJSON(),
          ...("headers" in printed ? { headers: Inspectable.redact(headers()) } : {})
        }
      : printed
  }
  return Object.create(response, {
    request: { value: request, enumerable: true },
    headers: { get: headers },
    toJSON: { value: toJSON },
    toString: { value: () => Inspectable.format(toJSON()) },
    [Inspectable.NodeInspectSymbol]: { value: toJSON }
  }) as HttpClientResponse.HttpClientResponse
}

const sanitizeError = (
  error: HttpClientError.HttpClientError,
  secrets: ReadonlyArray<string>
): HttpClientError.HttpClientError =>
  error._tag === "RequestError"
    ? new HttpClientError.RequestError({
        request: withoutToken(error.request),
        reason: error.reason,
        cause: error.cause,
        ...(error.description === undefined ? {} : { description: error.description })
      })
    : new HttpClientError.ResponseError({
        request: withoutToken(error.request),
        response: answeringFor(error.response, withoutToken(error.request), secrets),
        reason: error.reason,
        cause: error.cause,
        ...(error.description === undefined ? {} : { description: error.description })
      })

const refused = (
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse,
  description: string
) => new HttpClientError.ResponseError({ request, response, reason: "StatusCode", description })

/**
 * An `HttpClient` for the server of `connection`, made from the
 * `HttpClient` and `ClientIdentity` in context. A request's URL is a path
 * on the server (`/library/sections`); an absolute URL is accepted only on
 * the server's origin, anything else fails with a `RequestError`
 * (`InvalidUrl`) before it is sent. Fails with `InvalidInput` for a URL
 * that is not http(s), or that is Plex Web's address
 * (`http://host:32400/web/index.html`: the server's is what comes before `/web`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resources, ServerClient } from "effect-plex-auth"
 *
 * const sections = Effect.gen(function* () {
 *   const connected = yield* Resources.connectByName("Living Room")
 *   const client = yield* ServerClient.make(connected)
 *   const response = yield* client.get("/library/sections")
 *   return yield* response.json
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  connection: Connection
): Effect.Effect<HttpClient.HttpClient, InvalidInput, HttpClient.HttpClient | ClientIdentity> =>
  Effect.gen(function* () {
    const base = yield* V.serverUrl("ServerClient.make", "uri", connection?.uri)
    const token = yield* V.token("ServerClient.make", "token", connection?.token)
    const origin = new URL(base).origin
    const identity = yield* ClientIdentity
    // Its headers go with every request: checked as the engine checks them (a service of the caller's own making
    // with a line break or non-byte text would fail each request in `fetch`, as a transport error a retry repeats).
    // Names in lower case, as the engine's check reads them (`Headers` holds them so); spread first, as the engine
    // spreads them, so that no object at all is an identity without headers, not a defect in `Headers.fromInput`.
    const identityHeaders = Headers.fromInput({ ...identity.headers })
    const unsendable = unsendableHeader(identityHeaders)
    if (unsendable !== undefined)
      return yield* Effect.fail(V.invalid("ServerClient.make", unsendable, unsendableProblem))
    // A redirect to another origin drops them (`Facts.droppedOnRedirect`).
    const identityNames = Object.keys(identityHeaders)
    const client = yield* HttpClient.HttpClient
    const propagate = yield* TracePropagation
    // The token is read once, here: the client sends its own copy, so a caller's `Redacted` wiped after `make`
    // (`Redacted.value` then throws) cannot make each request a defect.
    const secret = Redacted.value(token)
    const secrets = [secret]
    // Redirects come back here (a fetch would follow them with every header, the token included), and the
    // transport refuses to send the token anywhere but where this hop was meant to go (the engine's guard).
    // The caller's `Fetch` and `RequestInit` are those the client sends with, its layer's included.
    // Trace headers (when asked for) only to the server's origin: a redirect elsewhere is sent without them, and
    // without the credentials and trace headers a caller's client adds as it sends (`HttpClient.mapRequest`, a
    // forced `withTracerPropagation(true)`): the core's `withoutCredentialsElsewhere`, over the guard's `fetch`.
    const send = (request: HttpClientRequest.HttpClientRequest) => {
      const sent = guarded(client, request, secrets, () =>
        Effect.mapInputContext(client.execute(request), (current: Context.Context<never>) =>
          Context.add(
            current,
            FetchHttpClient.Fetch,
            Facts.withoutCredentialsElsewhere(Context.unsafeGet(current, FetchHttpClient.Fetch), origin)
          )
        )
      )
      return Policy.mayCarrySecrets(origin, request.url)
        ? sent
        : Effect.locally(sent, HttpClient.currentTracerPropagation, false)
    }
    // `onServer`: the headers for the server's origin (the token, the identity, the caller's), which a redirect
    // elsewhere drops and one back to the server gives again.
    const follow = (
      request: HttpClientRequest.HttpClientRequest,
      onServer: Headers.Headers,
      hops: number
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
      Effect.flatMap(send(request), (response) => {
        // As the engine's: an answer to another request than this hop (a redirect a step of the caller's
        // followed) or one hiding a redirect is not taken.
        const foreign = Policy.foreignAnswer(request.url, response.request.url, response.status)
        if (foreign !== undefined)
          return Effect.zipRight(discardBody(response), Effect.fail(refused(request, response, foreign)))
        const location = response.headers["location"]
        if (!Policy.isRedirect(response.status) || location === undefined) {
          return Effect.succeed(response)
        }
        // The engine's redirect policy: the same hop limit, schemes and method rules; the token goes only to
        // the origin it was meant for, never in a query.
        const hop = Facts.redirect(
          origin,
          request.url,
          request.method,
          response.status,
          location,
          hops,
          secret
        )
        if (hop._tag === "Refuse") {
          return Effect.zipRight(discardBody(response), Effect.fail(refused(request, response, hop.detail)))
        }
        const dropped = Facts.droppedOnRedirect(hop, Object.keys(onServer), identityNames)
        const method = hop.toGet ? "GET" : request.method
        const next = HttpClientRequest.make(method)(hop.url, {
          headers: Headers.remove(onServer, dropped),
          urlParams: hop.query,
          hash: hop.hash,
          body: hop.toGet ? undefined : request.body
        })
        const kept = hop.toGet ? Headers.remove(onServer, Facts.contentHeaders) : onServer
        return Effect.zipRight(discardBody(response), follow(next, kept, hops + 1))
      })
    const execute = (
      request: HttpClientRequest.HttpClientRequest
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
      const target = Facts.target(base, origin, request.url)
      if ("problem" in target) {
        // Handed back without the token its URL may bring.
        const shown = Facts.refusedRequest(
          request.url,
          request.urlParams,
          Option.getOrUndefined(request.hash),
          secret
        )
        return Effect.fail(
          new HttpClientError.RequestError({
            request: HttpClientRequest.make(request.method)(shown.url, {
              headers: Headers.remove(request.headers, tokenHeader),
              urlParams: shown.params,
              hash: shown.hash,
              body: request.body
            }),
            reason: "InvalidUrl",
            description: target.problem
          })
        )
      }
      const url = target.url
      let headers = Headers.merge(identityHeaders, request.headers)
      if (!("accept" in request.headers)) headers = Headers.set(headers, "accept", Facts.defaultAccept)
      const ready = HttpClientRequest.make(request.method)(`${url.origin}${url.pathname}`, {
        headers: Headers.set(headers, tokenHeader, secret),
        urlParams: Facts.query(url, request.urlParams, secret),
        hash: Facts.fragment(Option.getOrUndefined(request.hash) ?? url.hash.slice(1), secret),
        body: request.body
      })
      return follow(ready, ready.headers, 0).pipe(
        Effect.map((response) => answeringFor(response, withoutToken(response.request), secrets)),
        Effect.mapError((error) => sanitizeError(error, secrets)),
        // A defect (a caller's `HttpClient` dying with an error that quotes the token) masked as the engine masks
        // one (`internal/request.ts`): the core's `scrubbedError`, still a defect. One that is an `HttpClientError`
        // (a client's failure made a defect, `Effect.orDie`) first gets its request without the token, as a
        // failure does: the platform prints the token's header of a request redacted only within this client.
        Effect.mapErrorCause((cause) => {
          const defect = Cause.dieOption(cause)
          if (defect._tag === "None") return cause
          const value = defect.value
          return Cause.die(
            scrubbedError(
              HttpClientError.isHttpClientError(value) ? sanitizeError(value, secrets) : value,
              secrets
            )
          )
        }),
        // What the platform logs or traces of these requests shows the token's header and a redirect's
        // `Location` (which may carry the token) redacted.
        Effect.locallyWith(Headers.currentRedactedNames, withSecretHeaderNames),
        // Trace headers only when asked for, as for every operation (`PlexAuth.TracePropagation`).
        Effect.locally(HttpClient.currentTracerPropagation, propagate)
      )
    }
    // Each request goes through `client` (its own steps, spans and transport), one hop at a time.
    return HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
      (request) => Effect.flatMap(request, execute),
      Effect.succeed
    )
  })

/**
 * The URL of a path on the server, for a player or a download: `path` (with
 * `params` as its query) on the connection's base URL, without the token.
 * Pure; a path that is not absolute (`/...`) is made so, and a URL on the
 * connection's origin is taken as it is. The path's own query is kept as
 * written (only a token in it is dropped); `params` are added in form
 * encoding, each in the place of a key of the same name the query had. Being a plain
 * function, not an Effect, it throws `InvalidInput` (never a `TypeError`)
 * for input it cannot use: a connection whose `uri` {@link make} would
 * refuse (not http(s), with credentials, a query or a fragment), a path
 * that is not a string (or has a control character: the URL parser would
 * drop a line break, making it another path) or that is a URL elsewhere (as
 * {@link make}'s requests; such a URL is used as it is, without the server's
 * token), params that are not an object.
 *
 * @example
 * ```ts
 * import { ServerClient } from "effect-plex-auth"
 *
 * const url = ServerClient.mediaUrl({ uri: "http://192.168.1.10:32400" }, "/library/parts/1/file.mkv")
 * ```
 *
 * @since 0.1.0
 * @category media URLs
 */
export const mediaUrl = (
  connection: Pick<Connection, "uri">,
  path: string,
  params: Readonly<Record<string, string>> = {}
): string => {
  checkMediaUrl("ServerClient.mediaUrl", connection, path, params)
  return Facts.mediaUrl(connection.uri, path, params)
}

// A plain function cannot fail as an Effect: input it cannot use throws `InvalidInput`, never a TypeError.
const checkMediaUrl = (operation: string, connection: unknown, path: unknown, params: unknown): void => {
  const problem = Facts.mediaUrlProblem(connection, path, params)
  if (problem !== undefined) V.refuseSync(operation, problem.field, problem.reason)
}

/**
 * **This URL leaks the token if shared.** {@link mediaUrl} with the
 * server's token in its query (`X-Plex-Token`), the only way most players
 * and `<video>` elements accept one. Anyone who sees it — in a log, a
 * browser history, a shared link, a Referer header — can use the server as
 * you until the token is revoked. It is returned `Redacted`: reveal it
 * (`Redacted.value`) only where it is handed to the player, and prefer a
 * transient token (`PlexAuth.getTransientToken`) for it. Throws
 * `InvalidInput` as {@link mediaUrl} does, and for a token that is not a
 * `Redacted` token.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { ServerClient } from "effect-plex-auth"
 *
 * const connection = { uri: "http://192.168.1.10:32400", token: Redacted.make("server-token") }
 * const leaky = ServerClient.mediaUrlWithToken(connection, "/library/parts/1/file.mkv")
 * // Only here, for the player:
 * const src = Redacted.value(leaky)
 * ```
 *
 * @since 0.1.0
 * @category media URLs
 */
export const mediaUrlWithToken = (
  connection: Connection,
  path: string,
  params: Readonly<Record<string, string>> = {}
): Redacted.Redacted<string> => {
  checkMediaUrl("ServerClient.mediaUrlWithToken", connection, path, params)
  V.refuseSync("ServerClient.mediaUrlWithToken", "token", V.redactedProblem(connection.token))
  return Redacted.make(
    Facts.mediaUrlWithToken(connection.uri, path, params, Redacted.value(connection.token))
  )
}
