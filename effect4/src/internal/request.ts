/**
 * The one place every operation goes through: build the request (identity
 * headers, token, `Accept: application/json`), send it (`send.ts`), read and
 * interpret the answer (`read.ts`) within a per-attempt timeout, retry by
 * policy, all in a span that carries no secret. When the token is refused,
 * credentials that can re-authenticate are asked for a new one, once.
 *
 * Every entry point takes the `operation` first: the name of the public
 * function that makes the request (`PlexAuth.getTokenDetails`,
 * `PinLogin.check`, `Resources.list`), which names its span and starts its
 * errors. The `Spec` describes the Plex endpoint alone, so that two public
 * functions (an alias, a `...WithResponse` variant) share one `Spec` and each
 * is named for itself.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { constTrue } from "effect/Function"
import * as Headers from "effect/http/Headers"
import * as HttpBody from "effect/http/HttpBody"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as UrlParams from "effect/http/UrlParams"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as Schedule from "effect/Schedule"
import * as Tracer from "effect/Tracer"
import type { Endpoint } from "../../../src/core/endpoint.js"
import { unsendableHeader, unsendableProblem } from "../../../src/core/identity.js"
import { mayRetry, outcomeUnknown } from "../../../src/core/policy.js"
import { readByStatus, timeoutDetail } from "../../../src/core/answer.js"
import { scrubbedError } from "../../../src/core/fetchGuard.js"
import { revealWith, sealedBody, withSecretHeaderNames } from "../../../src/core/redact.js"
import { reauthenticationOf } from "../../../src/core/refresh.js"
import type { TwoFactorReader } from "../../../src/core/twoFactor.js"
import { outgoing } from "../../../src/core/request.js"
import { ClientIdentity } from "../ClientIdentity.js"
import { Credentials } from "./credentials.js"
import * as Errors from "../PlexError.js"
import { PlexServer } from "../PlexServer.js"
import { PlexTv } from "../PlexTv.js"
import type * as L from "./lenient.js"
import {
  decoded,
  fieldsOf,
  networkError,
  neverReachedServer,
  notFoundRefusals,
  readText,
  type Refusals,
  refused,
  signInRefusals,
  type Success,
  withResponse
} from "./read.js"
import { CurrentRetryPolicy, none, type RetryPolicy } from "./retry.js"
import { follow, guard } from "./send.js"
import * as V from "./validate.js"
import { MaxBodyBytes, RequestTimeout, TracePropagation } from "./settings.js"

export {
  MaxBodyBytes,
  notFoundRefusals,
  RequestTimeout,
  signInRefusals,
  type Success,
  TracePropagation,
  withResponse
}

/** A value of the form body or query: a `Redacted` one is a secret, revealed only on the wire. */
export type FormValue = string | Redacted.Redacted<string>

/**
 * What an operation declares: its Plex endpoint (`core/endpoint.ts`: the
 * `endpoint` name is the seed SDKs', the span's `plex.operation` attribute;
 * never the span's name nor the errors' `operation`, which are the public
 * function's), its schema and its body; the rest is shared.
 */
export interface Spec<A> extends Endpoint<Redacted.Redacted<string>> {
  /** A public schema, or its plain codec (`lenient.ts`'s `Decoder`): the engine runs the codec. */
  readonly schema: L.Decoder<A>
  /** The body, built with {@link form} or {@link json}. */
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

/**
 * The errors an operation declared by `S` fails with: those of any answer or
 * transport, the two-factor ones only for a sign-in, `NotFound` only where a
 * 404 is expected.
 */
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

/** Opens an Effect 4 `Redacted`, for `core/redact.ts`'s `revealWith`: secrets are revealed only on their way out. */
const open = (value: unknown) => (Redacted.isRedacted(value) ? { value: Redacted.value(value) } : undefined)

/**
 * A form body (`application/x-www-form-urlencoded`). Bodies are `HttpBody.raw` strings, which `fetch` sends as
 * they are: `HttpBody.text` would encode them to bytes first and bundle its `Uint8Array` body (0.13 kB gzipped).
 * A body that carries a secret is raw bytes instead ({@link textBody}).
 */
export const form =
  (pairs: ReadonlyArray<readonly [string, FormValue]>): Body =>
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

/**
 * A raw body of `text`: one that carries a secret (revealed while `text` was made, `found` grew past `before`) as
 * `core/redact.ts`'s `sealedBody` bytes, which render as `<redacted>` wherever the request is logged or carried by
 * an error (a raw string body shows as it is); the bytes on the wire are the same.
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

/** Retries `attempt` by `policy`, only errors that may be retried at all. */
export const retrying = <A, E extends Errors.PlexError, R>(
  attempt: Effect.Effect<A, E, R>,
  policy: RetryPolicy,
  idempotent: boolean,
  // Whether a server acted on the request before redirecting it (`send.ts`'s `onActed`).
  acted?: () => boolean
): Effect.Effect<A, E, R> => {
  if (policy === none) return attempt
  // No log line per retry: the operation's span counts them (`plex.retry_count`, a `plex.retry` event each),
  // and a log call would bundle Effect's default logger with every operation (docs/effect4.md).
  // `Effect.retry(attempt, { schedule, while })` as `retryOrElse` with the `while` on the schedule: the options
  // form bundles its builder (`while`, `until`, `times`) with every operation. `Retry-After` is honoured by the
  // policy itself (`RetryPolicy.make` and `backoff` apply `honourRetryAfter`).
  return Effect.retryOrElse(
    attempt,
    Schedule.while(policy, ({ input }) =>
      mayRetry(input, idempotent, neverReachedServer in input, acted?.())
    ),
    Effect.fail
  )
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
    Effect.catch(attempt, (error) => {
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

/**
 * Runs `spec` for the public function `operation` against `baseUrl`, with
 * `token` when there is one. With `probeTimeout`, a probe: one attempt within
 * that time, no retry, no span of its own, no trace headers.
 */
export const execute = <S extends Spec<any>>(
  operation: string,
  spec: S & Carrying<S>,
  baseUrl: string,
  token: Option.Option<Redacted.Redacted<string>>,
  probeTimeout?: Duration.Duration,
  // Told when a server acted on the request and redirected it (`send.ts`'s `onActed`).
  onActed?: () => void
): Effect.Effect<Success<ValueOf<S>>, ErrorOf<S>, HttpClient.HttpClient | ClientIdentity> =>
  // One step reads every service and setting the request needs (a generator would take one per lookup).
  Effect.contextWith((context: Context.Context<HttpClient.HttpClient | ClientIdentity>) => {
    const client = Context.get(context, HttpClient.HttpClient)
    const probe = probeTimeout !== undefined
    const timeout = probeTimeout ?? Context.get(context, RequestTimeout)
    const out = outgoing(
      operation,
      spec,
      baseUrl,
      Context.get(context, ClientIdentity).headers,
      Option.getOrUndefined(token),
      open
    )
    const { ctx } = out
    // The identity's headers (with the library's own, the token checked already), checked as `ClientIdentity.make`
    // makes them, names in lower case as `Headers` holds them: a service of the caller's own making (`Context.make`,
    // `Layer.succeed`) with a line break, non-byte text or no identifier fails before any request, not as a
    // `NetworkError` from `fetch` that the policy would retry, nor as plex.tv's 400 (as the Effect 3 engine).
    const headers = Headers.fromInput(out.headers)
    const unsendable = unsendableHeader(headers)
    if (unsendable) {
      return Effect.fail(V.invalid(operation, unsendable, unsendableProblem))
    }
    // What `HttpClientRequest.make(method)(url, { headers, urlParams, body })` builds, made at once: `make` makes a
    // request per option and copies the headers three times (`setHeaders` merges them into the empty request's).
    // This takes 0.7x the time and 1.4 kB less per request (an interleaved A/B). A body is set as `make` sets it.
    const built = HttpClientRequest.makeWith(
      spec.method,
      out.url,
      out.query ? UrlParams.fromInput(out.query) : UrlParams.empty,
      Option.none(),
      headers,
      HttpBody.empty
    )
    const request = out.body ? HttpClientRequest.setBody(built, out.body) : built
    const onTimeout = () =>
      Effect.fail(
        new Errors.NetworkError({
          ...fieldsOf(ctx),
          reason: "Timeout",
          detail: timeoutDetail(Duration.toMillis(timeout))
        })
      )
    // The timer: the timeout less its last millisecond, then that millisecond. An answer due at the same moment as
    // the timeout is the answer, as in the Effect 3 edition: the `TestClock` wakes sleeps due at the same moment in
    // the order they began, so the answer's (begun before the timer's last millisecond) comes in first and the race
    // is over when the timer would end (one sleep of the whole timeout began first, and won). The second sleep
    // begins only when an attempt has taken all but a millisecond of its timeout.
    const millis = Duration.toMillis(timeout)
    const timer =
      millis > 1
        ? Effect.andThen(Effect.sleep(millis - 1), Effect.andThen(Effect.sleep(1), onTimeout))
        : Effect.andThen(Effect.sleep(timeout), onTimeout)
    // The operation's span (none for a probe), annotated directly rather than through the fiber.
    let span: Tracer.Span | undefined
    let attempts = 0
    // Set once a server acted on the request and redirected it: one that is not idempotent is not sent again.
    let acted = false
    const gone = spec.gone?.()
    // An attempt sends, reads the body under the limit and interprets the answer, within the timeout, which
    // interrupts it (the platform then aborts the request through the signal it passed to `fetch`).
    const attempt = (allow: (url: string) => void) =>
      Effect.suspend(() => {
        if (span) {
          span.attribute("plex.retry_count", attempts)
          if (attempts) {
            span.event("plex.retry", Context.get(context, Clock.Clock).currentTimeNanosUnsafe(), {
              "plex.retry_count": attempts
            })
          }
        }
        attempts++
        return follow(client, ctx, request, out.secretBody, allow, () => {
          acted = true
          onActed?.()
        })
      }).pipe(
        Effect.flatMap(({ headers, response }) => {
          // Recorded once the answer is in, before its body is read (as the Effect 3 edition does): a 200 whose body
          // is too large or cut short still shows the status it came with.
          const status = response.status
          span?.attribute("http.response.status_code", status)
          return Effect.flatMap(
            readText(ctx, response, headers, Context.get(context, MaxBodyBytes), readByStatus(status, spec)),
            (text) => {
              if (status < 200 || status > 299) {
                return Effect.fail(
                  refused(
                    spec,
                    ctx,
                    status,
                    headers,
                    text,
                    Context.get(context, Clock.Clock).currentTimeMillisUnsafe()
                  )
                )
              }
              const result = decoded(spec, ctx, status, headers, text)
              return "value" in result ? Effect.succeed(result) : Effect.fail(result)
            }
          )
        }),
        // What `Effect.timeoutOrElse` does, without wrapping the attempt's value in an `Option` and back.
        (attempt) => Effect.raceFirst(attempt, timer),
        // A removal retried after an attempt whose outcome is unknown: a 404 says that attempt removed it.
        (timed) => (gone ? gone(timed, () => span) : timed)
      )
    const redacted = Context.get(context, Headers.CurrentRedactedNames)
    const redactedAll = withSecretHeaderNames(redacted)
    // The run under the transport's guard (`send.ts`), probed once (inside the span, before the attempts).
    const run = guard(client, request, ctx.secrets, (allow, provide) =>
      Effect.updateContext(
        // A defect (a caller's `HttpClient` dying with an error that quotes the token) masked as errors are.
        retrying(
          attempt(allow),
          probe ? none : Context.get(context, CurrentRetryPolicy),
          spec.idempotent ?? true,
          () => acted
        ).pipe(
          // What `Effect.catchDefect` does (the first defect's reason, the cause kept as it is without one),
          // through `catchCause`, which the floor has: `catchDefect` bundled 14-26 B gzipped more.
          Effect.catchCause((cause) => {
            // An `HttpClientError` (a client ending its failures as defects) holds the request, its token header
            // in `reason.request.headers`: it becomes the operation's `NetworkError` (what the failure would have
            // been, as in the Effect 3 edition), which holds no request.
            const died = cause.reasons.find(Cause.isDieReason)
            return died
              ? Effect.die(
                  scrubbedError(
                    HttpClientError.isHttpClientError(died.defect)
                      ? networkError(ctx, died.defect)
                      : died.defect,
                    ctx.secrets
                  )
                )
              : Effect.failCause(cause)
          })
        ),
        // The guarded transport; the token's header and a redirect's `Location` (which may carry the token) are
        // redacted wherever the platform logs or traces a request; trace headers only when asked for; no platform
        // span when the query carries a secret; the operation's span as the parent. One context for them all.
        (current: Context.Context<never>) => {
          let next = Context.add(
            provide(current),
            HttpClient.TracerPropagationEnabled,
            !probe && Context.get(context, TracePropagation)
          )
          if (redactedAll !== redacted) next = Context.add(next, Headers.CurrentRedactedNames, redactedAll)
          // The parent of what the attempts record (the platform's request span): `Tracer.ParentSpan` set here with
          // the rest, not `Effect.withParentSpan`, which also pushes a stack frame for the span (a context entry
          // that renews the fiber's context cache and annotates every interruption, as the timeout's): about 10 kB
          // allocated per request, more than the span itself (an A/B of the two in one process).
          if (span) next = Context.add(next, Tracer.ParentSpan, span)
          return out.secretQuery ? Context.add(next, HttpClient.TracerDisabledWhen, constTrue) : next
        }
      )
    )
    // No span of the engine's own for a probe, nor when tracing is off (the platform then records none either).
    if (probe || !Context.get(context, References.TracerEnabled)) return run
    // Named after the public function the caller called; the endpoint's seed name is an attribute. No stack
    // frame for it (see above): errors' stack traces point into the engine, not to the caller, either way.
    return Effect.useSpan(
      operation,
      {
        kind: "client",
        attributes: out.attributes
      },
      (opened) => {
        span = opened
        return run
      }
    )
    // The one place the engine's errors are narrowed to the operation's: `refused` makes the two-factor errors
    // only for `twoFactor` specs and `NotFound` only for `notFound` ones.
  }) as Effect.Effect<Success<ValueOf<S>>, ErrorOf<S>, HttpClient.HttpClient | ClientIdentity>

/** One attempt of an anonymous request within `timeout`: see {@link execute}. */
export const probe = <S extends Spec<any>>(
  operation: string,
  spec: S & Carrying<S>,
  baseUrl: string,
  timeout: Duration.Duration
) => execute(operation, spec, baseUrl, Option.none(), timeout)

/** An operation on plex.tv, anonymous (sign-in, PIN creation). */
export const plexTvAnonymous = <S extends Spec<any>>(
  operation: string,
  spec: S & Carrying<S>
): Effect.Effect<Success<ValueOf<S>>, ErrorOf<S>, HttpClient.HttpClient | ClientIdentity> =>
  Effect.contextWith((context: Context.Context<never>) =>
    execute(operation, spec, Context.get(context, PlexTv).url, Option.none())
  )

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
 * re-authenticate, obtains a new token (shared with concurrent callers) and
 * runs the operation once more with it. Not one that is not idempotent which a
 * server acted on and redirected (a 303): it is never sent again. A token that
 * cannot be sent ({@link sendable}) is `InvalidInput`, the new one too.
 */
export const withToken = <S extends Spec<any>>(
  operation: string,
  spec: S & Carrying<S>,
  baseUrl: string
): Effect.Effect<
  Success<ValueOf<S>>,
  ErrorOf<S> | Errors.InvalidInput,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.flatMap(Effect.service(Credentials), (credentials) =>
    withCredentials(operation, spec, baseUrl, credentials)
  )

/** {@link withToken} with the credentials at hand. */
const withCredentials = <S extends Spec<any>>(
  operation: string,
  spec: S & Carrying<S>,
  baseUrl: string,
  credentials: Credentials["Service"]
): Effect.Effect<
  Success<ValueOf<S>>,
  ErrorOf<S> | Errors.InvalidInput,
  HttpClient.HttpClient | ClientIdentity
> =>
  Effect.flatMap(credentials.token, (current) =>
    sendable(operation, current, (token) => {
      // Set when a server acted on a request that is not idempotent and redirected it: it is never sent again.
      let acted = false
      return Effect.catch(
        execute(
          operation,
          spec,
          baseUrl,
          Option.some(token),
          undefined,
          () => (acted = spec.idempotent === false)
        ),
        (refusedError) =>
          acted ||
          credentials.refresh === undefined ||
          refusedError._tag !== "Unauthorized" ||
          refusedError.status === 403
            ? Effect.fail(refusedError)
            : // No log lines (a log call bundles Effect's default logger with every operation): the repeated
              // request's span says `plex.reauthenticated`, and a refused error says why no new token came.
              credentials.refresh!(token).pipe(
                // Why no new token came, and what `obtain` failed with: a reason and a tag only, never a value
                // (`core/refresh.ts`'s `reauthenticationOf`).
                Effect.mapError((failure) => {
                  const why = reauthenticationOf(failure)
                  return refusedError instanceof Errors.Unauthorized && why !== undefined
                    ? new Errors.Unauthorized({ ...refusedError, ...why })
                    : refusedError
                }),
                Effect.flatMap((fresh) =>
                  sendable(operation, fresh, (fresh) =>
                    execute(operation, spec, baseUrl, Option.some(fresh)).pipe(
                      // What `Effect.annotateSpans(key, value)` does, through `updateService`, which the floor has:
                      // `annotateSpans` bundled ~25 B gzipped more into every operation with a token.
                      Effect.updateService(References.TracerSpanAnnotations, (annotations) => ({
                        ...annotations,
                        "plex.reauthenticated": true
                      }))
                    )
                  )
                )
              )
      )
    })
  )

/** An operation on plex.tv with the account token. */
export const plexTv = <S extends Spec<any>>(
  operation: string,
  spec: S & Carrying<S>
): Effect.Effect<
  Success<ValueOf<S>>,
  ErrorOf<S> | Errors.InvalidInput,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.contextWith((context: Context.Context<Credentials>) =>
    withCredentials(operation, spec, Context.get(context, PlexTv).url, Context.get(context, Credentials))
  )

/** An operation on a Plex Media Server with the token. */
export const pms = <S extends Spec<any>>(
  operation: string,
  spec: S & Carrying<S>
): Effect.Effect<
  Success<ValueOf<S>>,
  ErrorOf<S> | Errors.InvalidInput,
  HttpClient.HttpClient | ClientIdentity | Credentials | PlexServer
> =>
  Effect.contextWith((context: Context.Context<Credentials | PlexServer>) =>
    withCredentials(operation, spec, Context.get(context, PlexServer).url, Context.get(context, Credentials))
  )
