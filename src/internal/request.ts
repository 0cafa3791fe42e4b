/**
 * The one place every operation goes through: build the request (identity
 * headers, token, `Accept`), send it (`send.ts`), read and interpret the
 * answer (`read.ts`) within the per-attempt timeout, retry by policy, all in a
 * span that carries no secret. When the token is refused, credentials that
 * can re-authenticate are asked for a new one, once.
 *
 * Every entry point takes the `operation` first: the public function's name
 * (`PlexAuth.getTokenDetails`), which names its span and starts its errors.
 * A `Spec` describes the Plex endpoint alone, so aliases share it.
 *
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { constTrue, identity } from "effect/Function"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Tracer from "effect/Tracer"
import { ClientIdentity } from "../ClientIdentity.js"
import { Credentials } from "./credentials.js"
import * as Errors from "../PlexError.js"
import { PlexServer } from "../PlexServer.js"
import { PlexTv } from "../PlexTv.js"
import type * as L from "./lenient.js"
import type { Endpoint } from "../core/endpoint.js"
import * as Identity from "../core/identity.js"
import * as Facts from "../core/answer.js"
import { mayRetry, neverReachedServer, outcomeUnknown } from "../core/policy.js"
import { scrubbedError } from "../core/fetchGuard.js"
import { revealWith, sealedBody, withSecretHeaderNames } from "../core/redact.js"
import { outgoing } from "../core/request.js"
import type { TwoFactorReader } from "../core/twoFactor.js"
import {
  networkError,
  notFoundRefusals,
  read,
  type Refusals,
  signInRefusals,
  type Success,
  withResponse
} from "./read.js"
import { afterRefusal } from "./refresh.js"
import * as V from "./validate.js"
import { follow, guard } from "./send.js"
import * as Settings from "./settings.js"

export { notFoundRefusals, signInRefusals, type Success, withResponse }

/** What an operation declares: its Plex endpoint (`core/endpoint.ts`), its schema and its body; the rest is shared. */
export interface Spec<A> extends Endpoint<Redacted.Redacted<string>> {
  readonly schema: L.Lenient<A>
  /** Built with {@link form} or {@link json}. */
  readonly body?: Body | undefined
  /**
   * The error classes of its refusals, when it meets more than any operation may: {@link notFoundRefusals} for
   * an endpoint whose 404 means "not there" (`notFound`), {@link signInRefusals} for a sign-in (`twoFactor`).
   * Such a spec must carry them ({@link Carrying}); the others do not bundle those classes.
   */
  readonly refusals?: Refusals | undefined
  /** What a `goneOnRetry` removal reads its attempts with ({@link goneOnRetry}); it must carry it ({@link Carrying}). */
  readonly gone?: GoneOnRetry | undefined
}

/** What a spec `S` must carry besides: the error classes of the refusals its endpoint adds (see {@link Spec}). */
export type Carrying<S> = (S extends { readonly notFound: true }
  ? { readonly refusals: Pick<typeof notFoundRefusals, "NotFound"> }
  : unknown) &
  (S extends { readonly twoFactor: TwoFactorReader }
    ? {
        readonly refusals: Pick<typeof signInRefusals, "VerificationCodeRequired" | "InvalidVerificationCode">
      }
    : unknown) &
  (S extends { readonly goneOnRetry: true } ? { readonly gone: GoneOnRetry } : unknown)

/** The errors of an operation declared by `S`: two-factor ones only for a sign-in, `NotFound` where expected. */
export type ErrorOf<S> =
  | Errors.ResponseError
  // A `ClientIdentity` service built by hand whose headers cannot be sent (`core/identity.ts`'s `unsendableHeader`).
  | Errors.InvalidInput
  | (S extends { readonly twoFactor: TwoFactorReader }
      ? Errors.VerificationCodeRequired | Errors.InvalidVerificationCode
      : never)
  | (S extends { readonly notFound: true } ? Errors.NotFound : never)

/** The value an operation declared by `S` decodes. */
export type ValueOf<S> = S extends Spec<infer A> ? A : never

/** A body, made when the request is built: each secret revealed then is pushed onto `found`, to be masked. */
export type Body = (found: Array<string>) => HttpBody.HttpBody

/** Opens an Effect 3 `Redacted`, for `core/redact.ts`'s `revealWith`: secrets are revealed only on their way out. */
const open = (value: unknown) => (Redacted.isRedacted(value) ? { value: Redacted.value(value) } : undefined)

/**
 * A raw body of `text` (`fetch` sends a string as it is, as in the Effect 4 edition); one that carries a secret
 * (revealed while `text` was made: `found` grew past `before`) as `core/redact.ts`'s `sealedBody` bytes, which
 * render as `<redacted>` wherever the request is logged or carried by an error (a string, or `HttpBody.text` for
 * JSON, shows as it is); the bytes on the wire are the same.
 */
const textBody = (
  text: string,
  contentType: string,
  found: Array<string>,
  before: number
): HttpBody.HttpBody => {
  if (found.length === before) return HttpBody.raw(text, { contentType })
  const bytes = sealedBody(text)
  return HttpBody.raw(bytes, { contentType, contentLength: bytes.length })
}

/** A form body (`application/x-www-form-urlencoded`); a `Redacted` value is a secret, revealed only on the wire. */
export const form =
  (pairs: ReadonlyArray<readonly [string, string | Redacted.Redacted<string>]>): Body =>
  (found) => {
    const before = found.length
    const text = new URLSearchParams(revealWith(pairs, open, found) as Array<[string, string]>).toString()
    return textBody(text, "application/x-www-form-urlencoded", found, before)
  }

/** A JSON body. */
export const json =
  (value: unknown): Body =>
  (found) => {
    const before = found.length
    return textBody(JSON.stringify(revealWith(value, open, found)), "application/json", found, before)
  }

/** What a `goneOnRetry` removal reads its attempts with: one reader per request (it keeps what they said). */
export type GoneOnRetry = () => <A, E extends Errors.PlexError, R>(
  attempt: Effect.Effect<Success<A>, E, R>,
  span: () => Tracer.Span | undefined
) => Effect.Effect<Success<A>, E, R>

/**
 * A removal retried after an attempt whose outcome is unknown (`policy.ts`'s `outcomeUnknown`: a timeout, a
 * reset, a 5xx but a 503): a 404 says that attempt removed it, and the request answers no content, the 404's status.
 * Handed in by the operation (`Carrying`), so that the others do not bundle it.
 */
export const goneOnRetry: GoneOnRetry = () => {
  // Set once an attempt failed with its outcome unknown.
  let unknownOutcome = false
  return (attempt, span) =>
    Effect.catchAll(attempt, (error) => {
      if (unknownOutcome && error._tag === "NotFound") {
        span()?.attribute("plex.gone_on_retry", true)
        return Effect.succeed({
          value: undefined as never,
          status: error.status,
          contentType: undefined,
          answered: () => Headers.empty
        })
      }
      if (outcomeUnknown(error, neverReachedServer in error)) unknownOutcome = true
      return Effect.fail(error)
    })
}

/** Retries `attempt` by `policy`, only errors that may be retried at all (`core/policy.ts`'s `mayRetry`). */
export const retrying = <A, E extends Errors.PlexError, R>(
  attempt: Effect.Effect<A, E, R>,
  policy: Settings.RetryPolicy,
  idempotent: boolean,
  // Whether a server acted on the request before redirecting it (`send.ts`'s `onActed`).
  acted?: () => boolean
): Effect.Effect<A, E, R> =>
  policy === Settings.none
    ? attempt
    : // `Retry-After` is honoured by the policy itself (`retry.ts`'s `honourRetryAfter`). What `Effect.retry({
      // schedule, while })` does, through the combinators under it (its options form bundles ~0.1 kB more);
      // `Schedule.check` on the input is `whileInput`, which is made of it (`check` is in the Effect floor).
      Effect.retryOrElse(
        attempt,
        Schedule.check(policy, (error: E) =>
          mayRetry(error, idempotent, neverReachedServer in error, acted?.())
        ),
        Effect.fail
      )

/**
 * Runs `spec` for the public function `operation` against `baseUrl`, with
 * `token` when there is one. With `probe`, no span of its own ({@link probe}).
 */
export const execute = <S extends Spec<any>>(
  operation: string,
  spec: S & Carrying<S>,
  baseUrl: string,
  token?: Redacted.Redacted<string>,
  probe?: boolean,
  // Told when a server acted on the request and redirected it (`send.ts`'s `onActed`).
  onActed?: () => void
): Effect.Effect<Success<ValueOf<S>>, ErrorOf<S>, HttpClient.HttpClient | ClientIdentity> =>
  Effect.contextWithEffect((context: Context.Context<HttpClient.HttpClient | ClientIdentity>) => {
    const timeout = Context.get(context, Settings.RequestTimeout)
    const limit = Context.get(context, Settings.MaxBodyBytes)
    const policy = Context.get(context, Settings.CurrentRetryPolicy)
    const propagate = Context.get(context, Settings.TracePropagation)
    const out = outgoing(operation, spec, baseUrl, Context.get(context, ClientIdentity).headers, token, open)
    const { ctx } = out
    const request = HttpClientRequest.make(spec.method)(out.url, {
      headers: out.headers,
      urlParams: out.query,
      body: out.body
    })
    // The identity's headers (with the library's own, the token checked already), checked as `ClientIdentity.make`
    // makes them, names in lower case as `Headers` holds them: a service of the caller's own making (`Context.make`,
    // `Layer.succeed`) with a line break, non-byte text or no identifier fails before any request, not as a
    // `NetworkError` from `fetch` that the policy would retry, nor as plex.tv's 400.
    const unsendable = Identity.unsendableHeader(request.headers)
    if (unsendable) {
      return Effect.fail(V.invalid(operation, unsendable, Identity.unsendableProblem))
    }
    const client = Context.get(context, HttpClient.HttpClient)
    // The operation's span (none for a probe), annotated directly rather than through the fiber.
    let span: Tracer.Span | undefined
    let attempts = 0
    const idempotent = spec.idempotent ?? true
    // Set once a server acted on the request and redirected it: one that is not idempotent is not sent again.
    let acted = false
    const gone = spec.gone?.()
    // The run under the transport's guard (`send.ts`), probed once (inside the span, before the attempts).
    const guardedRun = guard(client, request, ctx.secrets, (allow, provide) => {
      // An attempt sends, reads the body under the limit and interprets the answer, within the timeout, which
      // interrupts it (the platform then aborts the request).
      const attempt = Effect.suspend(() => {
        const sent = follow(client, ctx, request, out.secretBody, propagate, allow, () => {
          acted = true
          onActed?.()
        })
        const retries = attempts++
        if (!retries) return sent
        span?.attribute("plex.retry_count", retries)
        // One `plex.retry` event per retry, and no log line, as the Effect 4 edition records it (docs/tracing.md):
        // a Debug line was a second event of the span (Effect 3's tracer logger records each line logged in a span).
        return Effect.flatMap(Clock.currentTimeMillis, (now) => {
          span?.event("plex.retry", BigInt(now) * 1_000_000n, { "plex.retry_count": retries })
          return sent
        })
      }).pipe(
        Effect.flatMap((response) => {
          span?.attribute("http.response.status_code", response.status)
          return read(spec, ctx, response, limit)
        }),
        // The attempt within the timeout, as the Effect 4 engine has it in any region: the timer interrupts a
        // hung attempt even in an uninterruptible region (an acquire, a finalizer), an answer in time ends the
        // timer at once, and only the caller's own interruptibility decides whether an interruption from outside
        // stops the attempt. Both run on fibers of their own (not the caller's children, which an interruption
        // of an uninterruptible caller still reaches: a race of the two would abort the request and drop its
        // answer there); the attempt's fiber ends with its `Exit` (a failure is no unhandled error). Forked and
        // watched in one step: an interruption in between would leave the attempt running without its timer.
        (attempt) =>
          Effect.uninterruptibleMask((restore) =>
            Effect.flatMap(Effect.forkDaemon(Effect.interruptible(Effect.exit(attempt))), (running) => {
              let expired = false
              const timer = Effect.interruptible(
                Effect.zipRight(
                  Effect.sleep(timeout),
                  Effect.suspend(() => {
                    expired = true
                    return Fiber.interrupt(running)
                  })
                )
              )
              return Effect.flatMap(Effect.forkDaemon(timer), (timing) =>
                Effect.ensuring(
                  Effect.onInterrupt(restore(Fiber.await(running)), () => Fiber.interrupt(running)),
                  Fiber.interrupt(timing)
                ).pipe(
                  // Timed out only when the timer ended it: an answer in at the same moment is the answer. The
                  // error is made here, when it happens (`Effect.failSync` would bundle ~20 B gzipped more).
                  Effect.flatMap((outcome) =>
                    expired && outcome._tag === "Failure"
                      ? Effect.fail(
                          new Errors.NetworkError({
                            ...Facts.fieldsOf(ctx),
                            reason: "Timeout",
                            detail: Facts.timeoutDetail(Duration.toMillis(timeout))
                          })
                        )
                      : Effect.flatten(outcome)
                  )
                )
              )
            })
          ),
        // A removal retried after an attempt whose outcome is unknown: a 404 says that attempt removed it.
        (timed) => (gone ? gone(timed, () => span) : timed)
      )
      // The token's header and a redirect's `Location` (which may carry the token) are redacted wherever the
      // platform logs or traces a request; trace headers only when asked for; no platform span when the query
      // carries a secret.
      const run = retrying(attempt, policy, idempotent, () => acted).pipe(
        // A defect (a caller's `HttpClient` dying with an error that quotes the token) masked as errors are.
        Effect.mapErrorCause((cause) => {
          const defect = Cause.dieOption(cause)
          return defect._tag === "Some"
            ? Cause.die(
                scrubbedError(
                  // An `HttpClientError` (a client ending its failures as defects) holds the request, its token
                  // header shown by `JSON.stringify` and `inspect` away from this fiber's redacted names.
                  HttpClientError.isHttpClientError(defect.value)
                    ? networkError(ctx, defect.value)
                    : defect.value,
                  ctx.secrets
                )
              )
            : cause
        }),
        Effect.locallyWith(Headers.currentRedactedNames, withSecretHeaderNames),
        out.secretQuery ? Effect.locally(HttpClient.currentTracerDisabledWhen, constTrue) : identity
      )
      // The guarded transport and the operation's span as the parent of what the attempts record (the
      // platform's request span): one context update for the three (each `provideService`, as
      // `Effect.withParentSpan`, is a locally of the fiber's context of its own, ~25 steps of the run loop).
      const parent = span
      return Effect.mapInputContext(run, (current: Context.Context<HttpClient.HttpClient | ClientIdentity>) =>
        parent ? Context.add(provide(current), Tracer.ParentSpan, parent) : provide(current)
      )
    })
    if (probe) return guardedRun
    // Named after the public function the caller called; the endpoint's seed name is an attribute.
    const attributes = { ...out.attributes, "plex.retry_count": 0 }
    return Effect.useSpan(operation, { kind: "client", captureStackTrace: false, attributes }, (opened) => {
      span = opened
      return guardedRun
    })
    // The one place the engine's errors are narrowed to the operation's: `read` makes the two-factor errors
    // only for `twoFactor` specs and `NotFound` only for `notFound` ones.
  }) as Effect.Effect<Success<ValueOf<S>>, ErrorOf<S>, HttpClient.HttpClient | ClientIdentity>

/**
 * A probe: one attempt of an anonymous request within `timeout`, no retry, no span of its own, no trace
 * headers. Its settings are provided here, so that the other operations do not bundle them.
 */
export const probe = <S extends Spec<any>>(
  operation: string,
  spec: S & Carrying<S>,
  baseUrl: string,
  timeout: Duration.Duration
) =>
  execute(operation, spec, baseUrl, undefined, true).pipe(
    Effect.provideService(Settings.RequestTimeout, timeout),
    Effect.provideService(Settings.CurrentRetryPolicy, Settings.none),
    Effect.provideService(Settings.TracePropagation, false)
  )

/** An operation on plex.tv, anonymous (sign-in, PIN creation). */
export const plexTvAnonymous = <S extends Spec<any>>(operation: string, spec: S & Carrying<S>) =>
  Effect.flatMap(PlexTv, (tv) => execute(operation, spec, tv.url))

/**
 * `run` with `token`, or `InvalidInput` naming the token (never its value) when it cannot be sent: one the
 * `Credentials` gave is checked as `Credentials.make` checks one (`core/validate.ts`'s `tokenProblem`), so that a
 * service of the caller's own making (or its `refresh`) whose token has a line break, a space or a non-ASCII
 * character fails before any request, not as a `NetworkError` from `fetch` that the policy would retry.
 */
const sendable = <A, E, R>(
  operation: string,
  token: Redacted.Redacted<string>,
  run: (token: Redacted.Redacted<string>) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | Errors.InvalidInput, R> => {
  const problem = V.redactedProblem(token)
  return problem ? Effect.fail(V.invalid(operation, "token", problem)) : run(token)
}

/**
 * Runs an operation with the current token; when it is refused (401, not a
 * 403: a new token would not change "forbidden") and the credentials can
 * re-authenticate, runs it once more with a new one (`refresh.ts`'s `afterRefusal`).
 * Not one that is not idempotent which a server acted on and redirected (a 303): it is never sent again.
 * A token that cannot be sent ({@link sendable}) is `InvalidInput`, the new one too.
 */
export const withToken = <S extends Spec<any>>(operation: string, spec: S & Carrying<S>, baseUrl: string) =>
  Effect.flatMap(Credentials, (credentials) =>
    Effect.flatMap(credentials.token, (current) =>
      sendable(operation, current, (token) => {
        let acted = false
        // What `Effect.catchIf` does (the cause's first failure, the cause kept whole when it is not caught),
        // through `catchAllCause` and `Cause.failures`, which the floor has: `catchIf` (and the
        // `Cause.failureOrCause` under it) bundled 22-32 B gzipped more into each operation with a token.
        return Effect.catchAllCause(
          execute(operation, spec, baseUrl, token, undefined, () => (acted = spec.idempotent === false)),
          (cause) => {
            const [refused] = Cause.failures(cause)
            return credentials.refresh !== undefined &&
              refused?._tag === "Unauthorized" &&
              refused.status !== 403 &&
              !acted
              ? afterRefusal(credentials.refresh, token, refused, (fresh) =>
                  sendable(operation, fresh, (fresh) => execute(operation, spec, baseUrl, fresh))
                )
              : Effect.failCause(cause)
          }
        )
      })
    )
  )

/** An operation on plex.tv with the account token. */
export const plexTv = <S extends Spec<any>>(operation: string, spec: S & Carrying<S>) =>
  Effect.flatMap(PlexTv, (tv) => withToken(operation, spec, tv.url))

/** An operation on a Plex Media Server with the token. */
export const pms = <S extends Spec<any>>(operation: string, spec: S & Carrying<S>) =>
  Effect.flatMap(PlexServer, (server) => withToken(operation, spec, server.url))
