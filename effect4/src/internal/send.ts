/**
 * Sending a request and following its redirects by the secret policy of
 * `core/policy.ts`: the token and secret query values go only to the origin
 * they were meant for, a secret body is never resent to another origin, at
 * most five hops, only http(s).
 *
 * A client sending through `fetch` gets, through the platform's public
 * `FetchHttpClient.RequestInit` and `FetchHttpClient.Fetch` references,
 * `redirect: "manual"` beside the caller's other options (redirects come back
 * here; the platform still passes its own `signal`, so interrupting an attempt
 * aborts it), and a `fetch` wrapping the caller's (or the global one) that
 * refuses to send a secret to an origin other than the one this hop was meant
 * for (a caller's `HttpClient.followRedirects` would resend the token) and
 * refuses an answer from another origin (a caller's `fetch` that follows
 * redirects itself has sent the secrets by then, but the other origin's data
 * is never taken for Plex's). With any client, an answer to a request other
 * than the one sent (a redirect followed by a step of the caller's) is
 * refused.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as Headers from "effect/http/Headers"
import * as HttpBody from "effect/http/HttpBody"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import type { HttpMethod } from "effect/http/HttpMethod"
import { guardFetch } from "../../../src/core/fetchGuard.js"
import { foreignAnswer, isRedirect, mayCarrySecrets, nextHop } from "../../../src/core/policy.js"
import { type NetworkError, Unexpected } from "../PlexError.js"
import { type Context as Ctx, discardBody, fieldsOf, networkError } from "./read.js"

/** A response and its headers, read once. */
export interface Answer {
  readonly response: HttpClientResponse.HttpClientResponse
  readonly headers: Headers.Headers
}

/**
 * The context the client sends in, its layer's included (a `Fetch` or
 * `RequestInit` given to the `FetchHttpClient` layer is visible only there):
 * kept by a first request step, which then stops the client before anything
 * is sent (with an empty cause). Kept per run: the same effect may run twice
 * at once, in two contexts.
 */
const clientContext = (client: HttpClient.HttpClient) =>
  Effect.suspend(() => {
    let found = Context.empty()
    // The client's `postprocess` (what its `execute` hands the preprocessed request to) given this step in place
    // of the request: what `HttpClient.mapRequestInputEffect(client, () => stop).execute(request)` runs, as the
    // step stops it before the client's own preprocessing, without a client made for it.
    const stop = Effect.contextWith((context: Context.Context<never>) => {
      found = context
      return Effect.failCause(Cause.empty)
    })
    return Effect.map(Effect.exit(client.postprocess(stop)), () => found)
  })

/**
 * Sends `request` through `client`, following redirects by the policy, in a
 * context made by the guard `allow` belongs to ({@link guard}): each hop is
 * allowed before it is sent. A hop to another origin than `request`'s carries nothing that says who asks: of
 * its headers, Accept alone, and no trace headers (propagation off for it).
 */
export const follow = (
  client: HttpClient.HttpClient,
  ctx: Ctx,
  request: HttpClientRequest.HttpClientRequest,
  secretBody: boolean,
  allow: (url: string) => void,
  // Told when a hop's server acted on the request before redirecting it (a 303, a POST turned GET).
  onActed?: () => void
): Effect.Effect<Answer, NetworkError | Unexpected> => {
  // The secrets the request's own query carries, which a redirect on the same origin may keep in its query.
  const inQuery = ctx.secrets.filter((secret) =>
    request.urlParams.params.some(([, value]) => value === secret)
  )
  // `home`: whether `current` goes to the first request's origin.
  const loop = (
    current: HttpClientRequest.HttpClientRequest,
    hops: number,
    secretBody: boolean,
    home: boolean
  ): Effect.Effect<Answer, NetworkError | Unexpected> =>
    Effect.suspend(() => {
      allow(current.url)
      const sent = client.execute(current)
      // The platform's trace headers (added as it sends) only to the first origin, as the identity's.
      return home ? sent : Effect.provideService(sent, HttpClient.TracerPropagationEnabled, false)
    }).pipe(
      Effect.mapError((error) => networkError(ctx, error)),
      Effect.flatMap((response) => {
        const status = response.status
        const refuse = (detail: string) =>
          Effect.andThen(
            discardBody(response),
            Effect.fail(new Unexpected({ ...fieldsOf(ctx), status, reason: "Redirect", detail }))
          )
        const foreign = foreignAnswer(current.url, response.request.url, status)
        if (foreign) return refuse(foreign)
        const headers = response.headers
        const location = headers["location"]
        if (!isRedirect(status) || location === undefined) {
          return Effect.succeed({ response, headers })
        }
        const hop = nextHop(
          current.url,
          current.method,
          status,
          location,
          hops,
          secretBody,
          ctx.secrets,
          inQuery
        )
        if (hop._tag === "Refuse") return refuse(hop.detail)
        if (hop.toGet) onActed?.()
        const home = mayCarrySecrets(request.url, hop.url)
        // Built afresh from the first request's headers (a hop back to its origin has them all again). On another
        // origin, its Accept alone: every other header the engine sends says who asks (the identity's, the
        // endpoint's X-Plex-*, the token), which ServerClient's `droppedOnRedirect` (core/serverClient.ts) drops there
        // too; a body kept brings its content headers (`make` sets a body's), an empty one takes them off. Without
        // the Location's fragment: never sent, it would only put what it carries (a token a server wrote there) in
        // the span's `url.full` and the error's URL. The method is one an operation declared.
        const next = HttpClientRequest.make(hop.method as HttpMethod)(hop.target, {
          headers: home ? request.headers : { accept: request.headers["accept"]! },
          urlParams: hop.query,
          body: hop.toGet ? HttpBody.empty : current.body
        })
        return Effect.andThen(discardBody(response), loop(next, hops + 1, secretBody && !hop.toGet, home))
      })
    )
  return loop(request, 0, secretBody, true)
}

/**
 * The effect `use(allow, provide)` makes, which sends `request` (and its
 * redirects) through `client` in a context `provide` made: the caller's
 * transport as `client` sees it, its `fetch` under the core's guard (no
 * secret to, no answer from, an origin but the URL last given to `allow`, at
 * first `request`'s) and its `RequestInit` with `redirect: "manual"` over the
 * caller's options. The allowed URL is the run's own: the effect may run any
 * number of times, at once. The engine adds `provide`'s entries to its own
 * context update (one for all, around the attempts).
 */
export const guard = <A, E, R>(
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  secrets: ReadonlyArray<string>,
  use: (
    allow: (url: string) => void,
    provide: (current: Context.Context<never>) => Context.Context<never>
  ) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.flatMap(clientContext(client), (context) => {
    // This run's hop.
    let intended = request.url
    const fetch = guardFetch(Context.getOrUndefined(context, FetchHttpClient.Fetch), () => intended, secrets)
    const init: RequestInit = {
      ...Context.getOrUndefined(context, FetchHttpClient.RequestInit),
      redirect: "manual"
    }
    return use(
      (url) => {
        intended = url
      },
      (current) =>
        Context.add(Context.add(current, FetchHttpClient.Fetch, fetch), FetchHttpClient.RequestInit, init)
    )
  })

/** For `ServerClient`, which follows a server's redirects itself (with the same `guardFetch` of the core). */
export { clientContext }
