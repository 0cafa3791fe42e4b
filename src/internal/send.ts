/**
 * Sending a request and following its redirects by `core/policy.ts`'s
 * `nextHop`: secrets only to the origin they were meant for, at most five
 * hops, only http(s). Through the platform's public `FetchHttpClient`
 * `RequestInit` and `Fetch` services, a `fetch` client gets `redirect:
 * "manual"` beside the caller's other options (redirects come back here) and
 * `core/fetchGuard.ts`'s guard around the caller's `fetch` (or the global
 * one). With any client, an answer to a request other than the one sent is
 * refused.
 *
 * @internal
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type NetworkError, Unexpected } from "../PlexError.js"
import { fieldsOf, type RequestContext } from "../core/answer.js"
import { guardFetch } from "../core/fetchGuard.js"
import { foreignAnswer, isRedirect, mayCarrySecrets, nextHop } from "../core/policy.js"
import { discardBody, networkError } from "./read.js"

/**
 * The context the client sends in, its layer's included (a `Fetch` given to
 * the `FetchHttpClient` layer is visible only there): kept by a first request
 * step, which then stops the client before anything is sent (with an empty
 * cause: inside a span, `Effect.fail` would wrap an error in a proxy carrying
 * that span, on every request). Kept per run: the same effect may run twice
 * at once, in two contexts.
 */
const clientContext = (client: HttpClient.HttpClient, request: HttpClientRequest.HttpClientRequest) =>
  Effect.suspend(() => {
    let found = Context.empty()
    const stop = Effect.contextWithEffect((context: Context.Context<never>) => {
      found = context
      return Effect.failCause(Cause.empty)
    })
    return Effect.map(
      Effect.exit(HttpClient.mapRequestInputEffect(client, () => stop).execute(request)),
      () => found
    )
  })

/**
 * Sends `request` through `client`, following redirects by the policy, in a
 * context made by the guard `allow` belongs to ({@link guard}):
 * each hop is allowed before it is sent. A hop to another origin than `request`'s carries nothing that says who
 * asks: of its headers, Accept alone, and no trace headers (propagation off for it, whatever `propagate` says).
 */
export const follow = (
  client: HttpClient.HttpClient,
  ctx: RequestContext,
  request: HttpClientRequest.HttpClientRequest,
  secretBody: boolean,
  // Whether the platform adds its trace headers (`PlexAuth.TracePropagation`): only on the first origin.
  propagate: boolean,
  allow: (url: string) => void,
  // Told when a hop's server acted on the request before redirecting it (a 303, a POST turned GET).
  onActed?: () => void
): Effect.Effect<HttpClientResponse.HttpClientResponse, NetworkError | Unexpected> => {
  // The secrets the request's own query carries, which a redirect on the same origin may keep in its query.
  const inQuery = ctx.secrets.filter((secret) => request.urlParams.some(([, value]) => value === secret))
  // `home`: whether `current` goes to the first request's origin.
  const loop = (
    current: HttpClientRequest.HttpClientRequest,
    hops: number,
    secretBody: boolean,
    home: boolean
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, NetworkError | Unexpected> =>
    Effect.suspend(() => {
      allow(current.url)
      // The platform's trace headers (added as it sends) only to the first origin, as the identity's.
      return Effect.locally(client.execute(current), HttpClient.currentTracerPropagation, propagate && home)
    }).pipe(
      Effect.mapError((error) => networkError(ctx, error)),
      Effect.flatMap((response) => {
        const status = response.status
        const refuse = (detail: string) =>
          Effect.zipRight(
            discardBody(response),
            Effect.fail(new Unexpected({ ...fieldsOf(ctx), status, reason: "Redirect", detail }))
          )
        const foreign = foreignAnswer(current.url, response.request.url, status)
        if (foreign) return refuse(foreign)
        const location = isRedirect(status) ? response.headers["location"] : undefined
        if (location === undefined) return Effect.succeed(response)
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
        // the span's `url.full` and the error's URL.
        const next = HttpClientRequest.make(hop.method)(hop.target, {
          headers: home ? request.headers : { accept: request.headers["accept"]! },
          urlParams: hop.query,
          body: hop.toGet ? HttpBody.empty : current.body
        })
        return Effect.zipRight(discardBody(response), loop(next, hops + 1, secretBody && !hop.toGet, home))
      })
    )
  return loop(request, 0, secretBody, true)
}

/**
 * The effect `use(allow, provide)` makes, which sends `request` (and its
 * redirects) through `client` in a context `provide` made: the caller's
 * transport as `client` sees it, its `fetch` under the core's guard (no
 * secret to, no answer from, an origin but the URL last given to `allow`, at
 * first `request`'s) and its `RequestInit` with `redirect: "manual"`. The
 * allowed URL is the run's own: the effect may run any number of times, at
 * once.
 */
export const guard = <A, E, R>(
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  secrets: ReadonlyArray<string>,
  use: (
    allow: (url: string) => void,
    provide: <C>(current: Context.Context<C>) => Context.Context<C>
  ) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.flatMap(clientContext(client, request), (context) => {
    let intended = request.url
    const fetch = guardFetch(
      Option.getOrUndefined(Context.getOption(context, FetchHttpClient.Fetch)),
      () => intended,
      secrets
    )
    const init: RequestInit = {
      ...Option.getOrUndefined(Context.getOption(context, FetchHttpClient.RequestInit)),
      redirect: "manual"
    }
    return use(
      (url) => {
        intended = url
      },
      // Both in one context update (`Effect.mapInputContext`): a `provideService` each would be a locally of the
      // fiber's context each, ~25 steps of the run loop.
      (current) =>
        Context.add(Context.add(current, FetchHttpClient.Fetch, fetch), FetchHttpClient.RequestInit, init)
    )
  })

/**
 * {@link guard} for `use(allow)`, in the context it provides. Shared with `ServerClient`, which follows a
 * server's redirects itself.
 */
export const guarded = <A, E, R>(
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  secrets: ReadonlyArray<string>,
  use: (allow: (url: string) => void) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  guard(client, request, secrets, (allow, provide) => Effect.mapInputContext(use(allow), provide<R>))
