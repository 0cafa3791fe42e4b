/**
 * Sending a request and following its redirects, with the secret policy of
 * `policy.ts`: the token and secret query values go only to the origin they
 * were meant for, a secret body is never resent to another origin, at most
 * five hops, only http(s).
 *
 * For a client sending through `fetch` (`FetchHttpClient`), each request is
 * given, through the platform's public `FetchHttpClient.Fetch` and
 * `FetchHttpClient.RequestInit` services:
 *
 * - `redirect: "manual"` beside the caller's other `RequestInit` options, so
 *   that redirects come back here;
 * - a `fetch` wrapping the caller's (or the global one) that refuses to send
 *   a request carrying a secret to any origin but the one this hop was meant
 *   for (a caller's `HttpClient.followRedirects` would otherwise resend the
 *   token), and refuses an answer that came from another origin (a caller's
 *   `fetch` that follows redirects itself: the secrets are gone by then, but
 *   the other origin's data is never taken for Plex's).
 *
 * For any other client, an answer whose request is not the one sent (a
 * caller's redirect-following step) is refused the same way.
 *
 * @internal
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { type NetworkError, Unexpected } from "../PlexError.js"
import { isRedirect, mayCarrySecrets, nextHop, redirectQuery } from "./policy.js"
import { type Context as Ctx, CrossOrigin, discardBody, fieldsOf, networkError } from "./read.js"

/** A response and its headers, read once (each read of `headers` builds them anew). */
export interface Answer {
  readonly response: HttpClientResponse.HttpClientResponse
  readonly headers: Headers.Headers
}

/** What a request carries that must not reach another origin. */
export interface Secrets {
  /** Every revealed secret (token, query values, body values). */
  readonly all: ReadonlyArray<string>
  /** Whether the body carries one (a password, a code). */
  readonly body: boolean
}

/** Found by {@link fetchServices}: what the client's own context holds, layer included. */
class Found {
  constructor(readonly context: Context.Context<never>) {}
}

/**
 * The `FetchHttpClient.Fetch` and `RequestInit` the client would send with:
 * the caller's, or those given to the client's layer (visible only inside
 * the client). Learned by running the client with a first request step that
 * stops it, with what it sees, before anything is sent.
 */
const fetchServices = (client: HttpClient.HttpClient, request: HttpClientRequest.HttpClientRequest) =>
  HttpClient.mapRequestInputEffect(client, () =>
    Effect.flatMap(Effect.context<never>(), (context) => Effect.die(new Found(context)))
  )
    .execute(request)
    .pipe(
      Effect.exit,
      Effect.map((exit) => {
        const found = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.dieOption(exit.cause)) : undefined
        const context = found instanceof Found ? found.context : Context.empty()
        return {
          fetch: Context.getOption(context, FetchHttpClient.Fetch),
          init: Context.getOption(context, FetchHttpClient.RequestInit)
        }
      })
    )

/** Whether `text` carries one of `secrets`. */
const carries = (text: string, secrets: ReadonlyArray<string>) =>
  secrets.some((secret) => secret.length > 0 && text.includes(secret))

/**
 * A `fetch` that sends through `inner` only what may go: a request to an
 * origin other than `intended()` carrying a secret (in a header, the URL or
 * the body) is refused, as is an answer from another origin.
 */
const guard =
  (
    inner: Option.Option<typeof globalThis.fetch>,
    intended: () => string,
    secrets: ReadonlyArray<string>
  ): typeof globalThis.fetch =>
  async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    if (!mayCarrySecrets(intended(), url)) {
      const headers = new globalThis.Headers(init?.headers)
      const body = typeof init?.body === "string" ? init.body : ""
      let secretHeader = false
      headers.forEach((value) => {
        if (carries(value, secrets)) secretHeader = true
      })
      if (secretHeader || carries(url, secrets) || carries(body, secrets)) {
        throw new CrossOrigin(`refused to send credentials to another origin (${new URL(url).origin})`)
      }
    }
    // Read at each call: the global `fetch` may be replaced (a test, a polyfill).
    const response = await Option.getOrElse(inner, () => globalThis.fetch)(input, init)
    if (response.url !== "" && !mayCarrySecrets(intended(), response.url)) {
      throw new CrossOrigin(`the answer came from another origin (${new URL(response.url).origin})`)
    }
    return response
  }

/**
 * Sends `request` through `client`, following redirects by the policy; each
 * hop's answer is checked to come from where it was sent.
 */
export const send = (
  client: HttpClient.HttpClient,
  ctx: Ctx,
  request: HttpClientRequest.HttpClientRequest,
  secrets: Secrets
): Effect.Effect<Answer, NetworkError | Unexpected> => {
  let intended = request.url
  const loop = (
    current: HttpClientRequest.HttpClientRequest,
    hops: number,
    secretBody: boolean
  ): Effect.Effect<Answer, NetworkError | Unexpected> =>
    Effect.suspend(() => {
      intended = current.url
      return client.execute(current)
    }).pipe(
      Effect.mapError((error) => networkError(ctx, error)),
      Effect.flatMap((response): Effect.Effect<Answer, NetworkError | Unexpected> => {
        const refuse = (detail: string) =>
          Effect.zipRight(
            discardBody(response),
            Effect.fail(
              new Unexpected({ ...fieldsOf(ctx), status: response.status, reason: "Redirect", detail })
            )
          )
        if (!mayCarrySecrets(current.url, response.request.url)) {
          return refuse(`the answer came from another origin (${new URL(response.request.url).origin})`)
        }
        if (response.status === 0) return refuse("the platform hid a redirect; it was not followed")
        const headers = response.headers
        const location = headers["location"]
        if (!isRedirect(response.status) || location === undefined)
          return Effect.succeed({ response, headers })
        const hop = nextHop({
          from: current.url,
          method: current.method,
          status: response.status,
          location,
          hops,
          secretBody
        })
        if (hop._tag === "Refuse") return refuse(hop.detail)
        // The next request is built afresh: `setHeaders` would merge, not replace.
        const dropped = [
          ...(hop.crossOrigin ? ["x-plex-token"] : []),
          ...(hop.toGet ? ["content-type", "content-length"] : [])
        ]
        const next = HttpClientRequest.make(hop.toGet ? "GET" : current.method)(
          `${hop.url.origin}${hop.url.pathname}`,
          {
            headers: Headers.remove(current.headers, dropped),
            urlParams: redirectQuery(hop.url, hop.crossOrigin, (value) => secrets.all.includes(value)),
            hash: hop.url.hash.slice(1) || undefined,
            body: hop.toGet ? undefined : current.body
          }
        )
        return Effect.zipRight(discardBody(response), loop(next, hops + 1, secretBody && !hop.toGet))
      })
    )
  return Effect.flatMap(fetchServices(client, request), (found) =>
    loop(request, 0, secrets.body).pipe(
      Effect.provideService(
        FetchHttpClient.Fetch,
        guard(found.fetch, () => intended, secrets.all)
      ),
      Effect.provideService(FetchHttpClient.RequestInit, {
        ...Option.getOrUndefined(found.init),
        redirect: "manual"
      })
    )
  )
}
