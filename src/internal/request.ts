/**
 * The one place every operation goes through: build the request (identity
 * headers, token, `Accept: application/json`), send it (`send.ts`: redirects
 * and the secret policy), read and interpret the answer (`read.ts`), within a
 * per-attempt timeout, retried by policy, in a span named after the
 * operation that carries no secret. When the token is refused, credentials
 * that can re-authenticate are asked for a new one, once.
 *
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { constTrue } from "effect/Function"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { ClientIdentity } from "../ClientIdentity.js"
import {
  type InvalidVerificationCode,
  NetworkError,
  type NotFound,
  type PlexError,
  type ResponseError,
  type Unauthorized,
  type VerificationCodeRequired
} from "../PlexError.js"
import type * as L from "./lenient.js"
import { mayRetry } from "./policy.js"
import { type Context, decoded, neverReachedServer, readText, refused, type Success } from "./read.js"
import { reveal } from "./redact.js"
import { CurrentRetryPolicy, honourRetryAfter, none, type RetryPolicy } from "./retry.js"
import { send } from "./send.js"
import { MaxBodyBytes, RequestTimeout, TracePropagation } from "./settings.js"
import { Credentials, PlexServer, PlexTv } from "./tags.js"

export { MaxBodyBytes, RequestTimeout, type Success, TracePropagation }

/** A value of the form body: a secret is unwrapped only when the body is encoded. */
export type FormValue = string | Redacted.Redacted<string>

/** What an operation declares; the rest is shared. */
export interface Spec<A> {
  /** The public function a caller called (`PlexAuth.getTokenDetails`, `Resources.list`): names the span and prefixes errors. */
  readonly operation: string
  readonly method: "GET" | "POST" | "PUT" | "DELETE"
  readonly path: string
  /**
   * Query parameters. A `Redacted` value is a secret (a device JWT): it is
   * revealed only on the wire, masked in errors, dropped from a redirect to
   * another origin, and the platform `HttpClient` span (whose `url.full`
   * would carry it) is not recorded for that request.
   */
  readonly urlParams?: ReadonlyArray<readonly [string, FormValue]> | undefined
  /** The body, built with {@link form} or {@link json} when the request is. */
  readonly body?: Body | undefined
  readonly schema: L.Lenient<A>
  /** Map a 404 to `NotFound` (otherwise `Unexpected`). */
  readonly notFound?: boolean | undefined
  /** Map Plex's two-factor codes 1028 and 1029 to their own errors. */
  readonly signIn?: boolean | undefined
  /**
   * Whether sending the request twice is harmless. When false, only answers
   * that prove the server did not act (429, 503, a refused connection) are
   * retried.
   */
  readonly idempotent?: boolean | undefined
  /** A success carries no body worth decoding (e.g. 204 for a sign-out): any 2xx succeeds with `undefined`. */
  readonly noContent?: boolean | undefined
}

/**
 * The errors an operation declared by `S` fails with: those of any answer or
 * transport, the two-factor ones only for a sign-in, and `NotFound` only for
 * an operation that maps a 404 to it.
 */
export type ErrorOf<S> =
  | ResponseError
  | (S extends { readonly signIn: true } ? VerificationCodeRequired | InvalidVerificationCode : never)
  | (S extends { readonly notFound: true } ? NotFound : never)

/** The value an operation declared by `S` decodes. */
export type ValueOf<S> = S extends Spec<infer A> ? A : never

/**
 * A request body, made when the request is built: its secrets are revealed
 * only then, each pushed onto `found` so errors can mask it. A function, so
 * that operations without a body do not bundle the code that encodes one.
 */
export type Body = (found: Array<string>) => HttpBody.HttpBody

/** A form body (`application/x-www-form-urlencoded`); a `Redacted` value is revealed only on the wire. */
export const form =
  (pairs: ReadonlyArray<readonly [string, FormValue]>): Body =>
  (found) =>
    HttpBody.text(
      new URLSearchParams(reveal(pairs, found) as Array<[string, string]>).toString(),
      "application/x-www-form-urlencoded"
    )

/** A JSON body; a `Redacted` anywhere in it is revealed only on the wire. */
export const json =
  (value: unknown): Body =>
  (found) =>
    HttpBody.text(JSON.stringify(reveal(value, found)), "application/json")

/**
 * Retries `attempt` by `policy` (a `Retry-After` honoured), only for errors
 * that may be retried at all; each retry is logged at Debug level.
 */
export const retrying = <A, E extends PlexError, R>(
  attempt: Effect.Effect<A, E, R>,
  policy: RetryPolicy,
  idempotent: boolean,
  operation?: string
): Effect.Effect<A, E, R> => {
  if (policy === none) return attempt
  let retries = 0
  const logged = Effect.suspend(() =>
    retries++ > 0 && operation !== undefined
      ? Effect.zipRight(Effect.logDebug(`${operation}: retry ${retries - 1}`), attempt)
      : attempt
  )
  return Effect.retry(logged, {
    schedule: honourRetryAfter(policy),
    while: (error: E) => mayRetry(error, idempotent, neverReachedServer in error)
  })
}

/** The request `spec` describes, with its secrets revealed (and listed, to mask them in errors). */
const build = <A>(
  spec: Spec<A>,
  baseUrl: string,
  token: Option.Option<Redacted.Redacted<string>>,
  identity: Record<string, string>
) => {
  const secrets: Array<string> = []
  const headers: Record<string, string> = { ...identity, accept: "application/json" }
  if (Option.isSome(token)) headers["x-plex-token"] = reveal(token.value, secrets) as string
  const tokenSecrets = secrets.length
  const query = reveal(spec.urlParams, secrets) as Array<[string, string]> | undefined
  const secretQuery = secrets.length > tokenSecrets
  const bodySecrets = secrets.length
  const body = spec.body?.(secrets)
  const url = new URL(`${baseUrl}${spec.path}`)
  let request = HttpClientRequest.make(spec.method)(url.toString(), {
    headers,
    ...(query === undefined ? {} : { urlParams: query })
  })
  if (body !== undefined) request = HttpClientRequest.setBody(request, body)
  const ctx: Context = {
    operation: spec.operation,
    method: spec.method,
    url: `${url.origin}${url.pathname}`,
    secrets
  }
  return { request, ctx, url, secretQuery, secretBody: secrets.length > bodySecrets }
}

/**
 * Runs an operation against `baseUrl`, with `token` when there is one, in a
 * span named after the operation.
 *
 * With `probeTimeout`, it is a probe: one attempt of an anonymous request
 * within that time, no retry, no span of its own, no trace headers.
 * Redirects, the body limit, status mapping and decoding are the same.
 */
export const execute = <S extends Spec<any>>(
  spec: S,
  baseUrl: string,
  token: Option.Option<Redacted.Redacted<string>>,
  probeTimeout?: Duration.Duration
): Effect.Effect<Success<ValueOf<S>>, ErrorOf<S>, HttpClient.HttpClient | ClientIdentity> =>
  // The one place the engine's errors are narrowed to the operation's: `refused` makes the two-factor errors
  // only for `signIn` specs and `NotFound` only for `notFound` ones, and nothing here makes `InvalidInput`.
  executeAny(spec, baseUrl, token, probeTimeout) as Effect.Effect<
    Success<ValueOf<S>>,
    ErrorOf<S>,
    HttpClient.HttpClient | ClientIdentity
  >

const executeAny = <A>(
  spec: Spec<A>,
  baseUrl: string,
  token: Option.Option<Redacted.Redacted<string>>,
  probeTimeout: Duration.Duration | undefined
): Effect.Effect<Success<A>, PlexError, HttpClient.HttpClient | ClientIdentity> =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const identity = yield* ClientIdentity
    const probe = probeTimeout !== undefined
    const policy = probe ? none : yield* CurrentRetryPolicy
    const timeout = probeTimeout ?? (yield* RequestTimeout)
    const propagate = !probe && (yield* TracePropagation)
    const limit = yield* MaxBodyBytes
    const { ctx, request, secretBody, secretQuery, url } = build(spec, baseUrl, token, identity.headers)
    const onTimeout = () =>
      new NetworkError({
        operation: ctx.operation,
        method: ctx.method,
        url: ctx.url,
        reason: "Timeout",
        detail: `no complete answer within ${Duration.format(timeout)}`
      })
    let attempts = 0
    // One attempt: sent, its body read under the limit, then its status and payload interpreted; all of it
    // within the timeout, which interrupts it (the platform then aborts the request).
    const attempt = Effect.suspend(() => {
      attempts++
      return send(client, ctx, request, { all: ctx.secrets, body: secretBody })
    }).pipe(
      Effect.flatMap(({ headers, response }) =>
        Effect.flatMap(readText(ctx, response, headers, limit), (text) => {
          const status = response.status
          const answered = probe
            ? Effect.void
            : Effect.annotateCurrentSpan("http.response.status_code", status)
          if (status < 200 || status >= 300) {
            // The clock is read only for an error: a `Retry-After` date is relative to it.
            return Effect.zipRight(
              answered,
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.fail(refused(spec, ctx, status, headers, text, now))
              )
            )
          }
          const result = decoded(spec, ctx, status, headers, text)
          return Effect.zipRight(answered, "value" in result ? Effect.succeed(result) : Effect.fail(result))
        })
      ),
      Effect.timeoutFail({ duration: timeout, onTimeout })
    )
    const retried = retrying(attempt, policy, spec.idempotent ?? true, spec.operation).pipe(
      // The token's header is redacted wherever the platform logs or traces a request; trace headers are sent
      // only when asked for; the platform's span is not recorded when the query carries a secret (its
      // `url.full` would).
      Effect.locallyWith(Headers.currentRedactedNames, (names) =>
        names.includes("x-plex-token") ? names : [...names, "x-plex-token"]
      ),
      Effect.locally(HttpClient.currentTracerPropagation, propagate),
      secretQuery ? Effect.locally(HttpClient.currentTracerDisabledWhen, constTrue) : (self) => self
    )
    if (probe) return yield* retried
    return yield* retried.pipe(
      Effect.onExit(() => Effect.annotateCurrentSpan("plex.retry_count", Math.max(0, attempts - 1))),
      Effect.withSpan(`PlexAuth.${spec.operation}`, {
        kind: "client",
        // The span's place in the caller's code is the operation's name; a stack trace per call costs an Error.
        captureStackTrace: false,
        attributes: {
          "plex.operation": spec.operation,
          "http.request.method": spec.method,
          "server.address": url.host,
          "url.path": url.pathname
        }
      })
    )
  })

/** One attempt of an anonymous request within `timeout`: see {@link execute}. */
export const probe = <S extends Spec<any>>(spec: S, baseUrl: string, timeout: Duration.Duration) =>
  execute(spec, baseUrl, Option.none(), timeout)

/** An operation on plex.tv, anonymous (sign-in, PIN creation). */
export const plexTvAnonymous = <S extends Spec<any>>(spec: S) =>
  Effect.flatMap(PlexTv, (tv) => execute(spec, tv.url, Option.none()))

/** `RefreshFailed Failed`, `RefreshFailed SameToken`, ...: tags and reasons only, never a value. */
const describeRefreshFailure = (failure: unknown): string => {
  const { _tag, reason } = (typeof failure === "object" && failure !== null ? failure : {}) as {
    _tag?: unknown
    reason?: unknown
  }
  return `${String(_tag ?? "error")} ${String(reason ?? "")}`.trim()
}

/**
 * Runs an operation with the current token; when it is refused and the
 * credentials can re-authenticate, obtains a new token once (shared with
 * concurrent callers) and runs the operation once more with it.
 */
const withToken = <S extends Spec<any>>(
  spec: S,
  baseUrl: string
): Effect.Effect<Success<ValueOf<S>>, ErrorOf<S>, HttpClient.HttpClient | ClientIdentity | Credentials> =>
  Effect.flatMap(Credentials, (credentials) =>
    Effect.flatMap(credentials.token, (token) => {
      const first = execute(spec, baseUrl, Option.some(token))
      const refresh = credentials.refresh
      if (refresh === undefined) return first
      return Effect.catchIf(
        first,
        // A 403 is "forbidden", not "who are you": a new token would not change it.
        (error): error is Unauthorized => error._tag === "Unauthorized" && error.status !== 403,
        (refusedError) =>
          Effect.logDebug(`${spec.operation}: token refused, re-authenticating`).pipe(
            Effect.zipRight(refresh(token)),
            Effect.matchEffect({
              // Why no new token came is worth a line (no secret in it: tags and reasons only).
              onFailure: (failure) =>
                Effect.zipRight(
                  Effect.logDebug(
                    `${spec.operation}: re-authentication gave no new token: ${describeRefreshFailure(failure)}`
                  ),
                  Effect.fail(refusedError)
                ),
              onSuccess: (fresh) =>
                execute(spec, baseUrl, Option.some(fresh)).pipe(
                  Effect.annotateSpans("plex.reauthenticated", true)
                )
            })
          )
      )
    })
  )

/** An operation on plex.tv with the account token. */
export const plexTv = <S extends Spec<any>>(
  spec: S
): Effect.Effect<Success<ValueOf<S>>, ErrorOf<S>, HttpClient.HttpClient | ClientIdentity | Credentials> =>
  Effect.flatMap(PlexTv, (tv) => withToken(spec, tv.url))

/** An operation on a Plex Media Server with the token. */
export const pms = <S extends Spec<any>>(
  spec: S
): Effect.Effect<
  Success<ValueOf<S>>,
  ErrorOf<S>,
  HttpClient.HttpClient | ClientIdentity | Credentials | PlexServer
> => Effect.flatMap(PlexServer, (server) => withToken(spec, server.url))
