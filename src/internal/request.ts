/**
 * The one place every operation goes through: build the request (identity
 * headers, token, `Accept: application/json`), send it (redirects handled
 * here, the token never crossing origins), read the body under a size limit,
 * map the status to a tagged error, decode leniently, retry by policy, and
 * trace it all in a span that carries no secret.
 *
 * @internal
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import { constTrue } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import { ClientIdentity } from "../ClientIdentity.js"
import {
  BadRequest,
  InvalidVerificationCode,
  NetworkError,
  NotFound,
  type PlexError,
  PlexErrorDetail,
  type ResponseError,
  RateLimited,
  Unauthorized,
  Unexpected,
  VerificationCodeRequired
} from "../PlexError.js"
import { CurrentRetryPolicy, maxRetryAfter, none, type RetryPolicy, retryAfter } from "./retry.js"
import * as L from "./lenient.js"
import { Credentials, PlexServer, PlexTv } from "./tags.js"
import { twoFactorOutcome } from "./twoFactor.js"

/** The longest a single attempt (send and read the body) may take. */
export class RequestTimeout extends Context.Reference<RequestTimeout>()("effect-plex-auth/RequestTimeout", {
  defaultValue: (): Duration.Duration => Duration.seconds(30)
}) {}

/** The largest body an operation reads before failing with `Unexpected`. */
export class MaxBodyBytes extends Context.Reference<MaxBodyBytes>()("effect-plex-auth/MaxBodyBytes", {
  defaultValue: (): number => 8 * 1024 * 1024
}) {}

/**
 * Whether requests carry the caller's trace context (`traceparent`, `b3`).
 * Off by default: Plex does not take part in the caller's traces, so the
 * headers would only tell a third party the caller's trace ids (and cost
 * work on every request).
 */
export class TracePropagation extends Context.Reference<TracePropagation>()(
  "effect-plex-auth/TracePropagation",
  { defaultValue: (): boolean => false }
) {}

/** How many redirects one attempt follows. */
const maxRedirects = 5

/** A value of the form body: a secret is unwrapped only when the body is encoded. */
export type FormValue = string | Redacted.Redacted<string>

/** What an operation declares; the rest is shared. */
export interface Spec<A> {
  readonly operation: string
  readonly method: "GET" | "POST" | "PUT" | "DELETE"
  readonly path: string
  /**
   * Query parameters. A `Redacted` value is a secret (a device JWT): it is
   * revealed only on the wire, masked in errors, and the platform
   * `HttpClient` span (whose `url.full` and `url.query` would carry it) is
   * not recorded for that request.
   */
  readonly urlParams?: ReadonlyArray<readonly [string, FormValue]> | undefined
  /** The body, built with {@link form} or {@link json} when the request is. */
  readonly body?: Body | undefined
  readonly schema: L.Lenient<A>
  /**
   * The path as spans show it, when the real one holds something that must
   * not be exported (a PIN id: with the client identifier it fetches the
   * approved token), e.g. `/api/v2/pins/{id}`. When set, the platform
   * `HttpClient` span (whose `url.full` would carry the real path) is not
   * recorded for that request.
   */
  readonly spanPath?: string | undefined
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
 * an operation that maps a 404 to it. {@link execute} guarantees it: the
 * engine makes no other error.
 */
export type ErrorOf<S> =
  | ResponseError
  | (S extends { readonly signIn: true } ? VerificationCodeRequired | InvalidVerificationCode : never)
  | (S extends { readonly notFound: true } ? NotFound : never)

/** The value an operation declared by `S` decodes. */
export type ValueOf<S> = S extends Spec<infer A> ? A : never

/** A decoded success with the response's status and headers. */
export interface Success<A> {
  readonly value: A
  readonly status: number
  readonly headers: Headers.Headers
  readonly contentType: string | undefined
}

interface Context {
  readonly operation: string
  readonly method: string
  readonly url: string
  readonly secrets: ReadonlyArray<string>
}

const redirectStatuses = new Set([301, 302, 303, 307, 308])

const contentTypeOf = (headers: Headers.Headers): string | undefined => headers["content-type"]

const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^(application\/([\w.+-]*\+)?json|text\/json)\b/i.test(contentType.trim())

/** Masks every known secret in a text that leaves the library (excerpts, transport messages). */
/** The ways a secret can be echoed back: as sent in a form or query, URI-encoded, JSON-escaped, or as is. */
const echoedForms = (secret: string): ReadonlyArray<string> => {
  const forms = new Set([
    new URLSearchParams([["", secret]]).toString().slice(1),
    JSON.stringify(secret).slice(1, -1)
  ])
  try {
    forms.add(encodeURIComponent(secret))
  } catch {
    // A lone surrogate has no URI encoding.
  }
  forms.add(secret)
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length)
}

export const scrub = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text
  for (const secret of secrets) {
    if (secret.length === 0) continue
    for (const form of echoedForms(secret)) out = out.split(form).join("<redacted>")
  }
  return out
}

const excerpt = (text: string, secrets: ReadonlyArray<string>): string | undefined => {
  // Mask first: collapsing whitespace or cutting could otherwise leave part of a secret unrecognised.
  const collapsed = scrub(text, secrets).replace(/\s+/g, " ").trim()
  if (collapsed.length === 0) return undefined
  return collapsed.length > 200 ? `${collapsed.slice(0, 200)}…` : collapsed
}

const where = (url: URL): string => `${url.origin}${url.pathname}`

/**
 * A value with every `Redacted` in it revealed (strings, arrays, plain
 * objects: form values, query values, JSON bodies); each revealed secret is
 * pushed onto `found`, so errors can mask it.
 */
const reveal = (value: unknown, found: Array<string>): unknown => {
  if (Redacted.isRedacted(value)) {
    const revealed = Redacted.value(value)
    if (typeof revealed === "string") found.push(revealed)
    return revealed
  }
  if (Array.isArray(value)) return value.map((item) => reveal(item, found))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, reveal(item, found)]))
  }
  return value
}

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

/** Pairs (query or form values) with their secrets revealed. */
type Pairs = ReadonlyArray<readonly [string, string]>

// Error entries are read as leniently as payloads: a code sent as "1029" or a null message must not
// hide the code (and with it the two-factor prompt).
const PlexErrorBody = L.struct({
  errors: L.array(
    L.struct({ code: L.optional(L.Num), message: L.optional(L.Str), status: L.optional(L.Num) })
  )
})

const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const networkError = (ctx: Context, error: HttpClientError.HttpClientError): NetworkError | Unexpected => {
  if (error._tag === "RequestError" && error.reason === "InvalidUrl") {
    return new Unexpected({ ...ctx, reason: "Redirect", detail: "the request URL is invalid" })
  }
  const cause = error.cause as
    { message?: unknown; cause?: { message?: unknown; code?: unknown } } | undefined
  const parts = [cause?.message, cause?.cause?.code, cause?.cause?.message].filter(
    (p): p is string => typeof p === "string" && p.length > 0
  )
  const detail = parts.length > 0 ? parts.join(": ") : error.reason
  // Like every error made from `ctx`, it keeps only its own fields: never `secrets`.
  const failure = new NetworkError({ ...ctx, reason: "Transport", detail: scrub(detail, ctx.secrets) })
  const code = cause?.cause?.code
  if (error._tag === "RequestError" && typeof code === "string" && unreachable.test(code)) {
    Object.defineProperty(failure, neverReachedServer, { value: true, enumerable: false })
  }
  return failure
}

/** Connection failures that prove the request never reached the server (refused, unresolved, unroutable). */
const unreachable = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/

/**
 * Marks a network error that happened before anything was sent: safe to retry
 * whatever the request. A symbol property, not a WeakSet: Effect may hand the
 * error on wrapped in a proxy (to attach its span), which keeps properties but
 * not identity.
 */
const neverReachedServer: unique symbol = Symbol.for("effect-plex-auth/NetworkError/neverReachedServer")

/** A response without a body (204, 304, a bare 409 or redirect) is an answer, not a transport failure. */
const readFailure =
  (ctx: Context) =>
  (error: HttpClientError.ResponseError | Unexpected): Effect.Effect<string, Unexpected | NetworkError> =>
    error._tag !== "ResponseError"
      ? Effect.fail(error)
      : error.reason === "EmptyBody"
        ? Effect.succeed("")
        : Effect.fail(networkError(ctx, error))

/** Reads a body as text, failing once it grows past `limit` bytes. */
const readText = (
  ctx: Context,
  response: HttpClientResponse.HttpClientResponse,
  headers: Headers.Headers,
  limit: number
): Effect.Effect<string, Unexpected | NetworkError> => {
  const tooLarge = (size: string) =>
    new Unexpected({
      ...ctx,
      reason: "BodyTooLarge",
      status: response.status,
      contentType: contentTypeOf(headers),
      detail: `the body is larger than the ${limit}-byte limit (${size})`
    })
  const declared = Number(headers["content-length"] ?? NaN)
  if (Number.isFinite(declared) && declared > limit) {
    return Effect.zipRight(discardBody(response), Effect.fail(tooLarge(`${declared} bytes declared`)))
  }
  // A declared length of an uncompressed body is enforced by the transport (a longer body is an error), so
  // the body can be read whole: much cheaper than streaming it. A compressed body may inflate past its
  // declared length, and a body without one may be of any length: those are streamed and counted.
  const encoding = headers["content-encoding"]
  if (Number.isFinite(declared) && (encoding === undefined || encoding.trim().toLowerCase() === "identity")) {
    return Effect.catchAll(response.text, readFailure(ctx))
  }
  // Decoded as it comes (a character split across chunks is kept for the next one), counted as it grows.
  const decoder = new TextDecoder()
  let text = ""
  return Stream.runFoldEffect(response.stream, 0, (size, chunk): Effect.Effect<number, Unexpected> => {
    if (size + chunk.length > limit) return Effect.fail(tooLarge("more than that received"))
    text += decoder.decode(chunk, { stream: true })
    return Effect.succeed(size + chunk.length)
  }).pipe(
    Effect.map(() => text + decoder.decode()),
    Effect.catchAll(readFailure(ctx))
  )
}

/** A short, secret-free description of why a payload failed to decode: a path and a kind, never a value. */
const describeFailure = (failure: L.Failure): string =>
  `the body does not have the expected shape: ${failure.missing ? "missing" : "invalid"} ${
    failure.path.length > 0 ? failure.path.map(String).join(".") : "body"
  }`

const interpret = <A>(
  spec: Spec<A>,
  ctx: Context,
  response: HttpClientResponse.HttpClientResponse,
  headers: Headers.Headers,
  text: string
): Effect.Effect<Success<A>, PlexError> => {
  const status = response.status
  if (status < 200 || status >= 300) {
    // The clock is read only for an error: a `Retry-After` date is relative to it.
    return Effect.flatMap(Clock.currentTimeMillis, (now) => refused(spec, ctx, status, headers, text, now))
  }
  const contentType = contentTypeOf(headers)
  if (spec.noContent) {
    return Effect.succeed({ value: undefined as A, status, headers, contentType })
  }
  const unusable = (reason: "ContentType" | "Decode", detail: string) =>
    Effect.fail(new Unexpected({ ...ctx, status, contentType, reason, detail }))
  if (!isJson(contentType)) {
    return unusable("ContentType", `expected a JSON body, got ${contentType ?? "no content type"}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return unusable("Decode", `the body is not valid JSON (${text.length} characters)`)
  }
  const decoded = L.decodePlain(spec.schema, json)
  return decoded instanceof L.Failure
    ? unusable("Decode", describeFailure(decoded))
    : Effect.succeed({ value: decoded, status, headers, contentType })
}

/** The error for an answer that is not a success. */
const refused = (
  spec: { readonly signIn?: boolean | undefined; readonly notFound?: boolean | undefined },
  ctx: Context,
  status: number,
  headers: Headers.Headers,
  text: string,
  now: number
): Effect.Effect<never, PlexError> => {
  const contentType = contentTypeOf(headers)
  const base = { ...ctx, status }
  let errors: ReadonlyArray<PlexErrorDetail> = []
  if (isJson(contentType)) {
    try {
      const body = L.decodePlain(PlexErrorBody, JSON.parse(text))
      errors = body instanceof L.Failure ? [] : body.errors.map((e) => new PlexErrorDetail(e))
    } catch {
      errors = []
    }
    // A server may echo what it was sent (a password, the token) in its error messages.
    errors = errors.map((e) =>
      e.message === undefined ? e : new PlexErrorDetail({ ...e, message: scrub(e.message, ctx.secrets) })
    )
  }
  const codes = new Set(errors.flatMap((e) => (e.code === undefined ? [] : [e.code])))
  const withErrors = { ...base, errors }
  const messages = errors.map((e) => e.message ?? "").join(" ")
  const retryAfterMillis = parseRetryAfter(headers["retry-after"], now)
  const unexpected = (detail: string) =>
    new Unexpected({
      ...withErrors,
      contentType: contentType,
      retryAfterMillis,
      bodyExcerpt: excerpt(text, ctx.secrets),
      reason: "Status",
      detail
    })

  const twoFactor = spec.signIn
    ? twoFactorOutcome(
        status,
        codes,
        errors.map((e) => e.message ?? "")
      )
    : undefined
  if (twoFactor === "Required") return Effect.fail(new VerificationCodeRequired(withErrors))
  if (twoFactor === "Invalid") return Effect.fail(new InvalidVerificationCode(withErrors))
  if (status === 429 || codes.has(1003) || codes.has(1031)) {
    return Effect.fail(new RateLimited({ ...withErrors, retryAfterMillis }))
  }
  switch (status) {
    case 400:
      return Effect.fail(new BadRequest(withErrors))
    case 401:
    case 403:
    case 498:
      return Effect.fail(new Unauthorized(withErrors))
    case 422:
      return /invalid token/i.test(messages)
        ? Effect.fail(new Unauthorized(withErrors))
        : Effect.fail(new BadRequest(withErrors))
    case 404:
      return spec.notFound ? Effect.fail(new NotFound(withErrors)) : Effect.fail(unexpected("not found"))
  }
  if (redirectStatuses.has(status)) return Effect.fail(unexpected("a redirect that could not be followed"))
  return Effect.fail(unexpected(`unexpected status ${status}`))
}

/** Whether an error may be retried at all, whatever the policy says. */
const mayRetry = (error: PlexError, idempotent: boolean): boolean => {
  switch (error._tag) {
    case "RateLimited":
      return true
    case "NetworkError":
      // A reset or a broken body may come after the server acted; only a refused connection proves it did not.
      return idempotent || neverReachedServer in error
    case "Unexpected":
      if (error.reason !== "Status" || error.status === undefined) return false
      if (!idempotent) return error.status === 503
      // 501 and 505 say the server cannot do this at all: a retry would get the same answer.
      return (
        error.status === 408 ||
        error.status === 425 ||
        (error.status >= 500 && error.status !== 501 && error.status !== 505)
      )
    default:
      return false
  }
}

/**
 * Retries `attempt` by `policy`, only for errors that may be retried at all,
 * and never sooner than a `Retry-After` asked: when the policy's own wait was
 * shorter, the rest of the asked wait is slept before the next attempt.
 */
export const retrying = <A, E extends PlexError, R>(
  attempt: Effect.Effect<A, E, R>,
  policy: RetryPolicy,
  idempotent: boolean
): Effect.Effect<A, E, R> =>
  // No policy, no retry: nothing to set up on the path every call takes.
  policy === none
    ? attempt
    : Effect.suspend(() => {
        // The schedule's state is made on the first failure, and is this run's own.
        let driver: Schedule.ScheduleDriver<unknown, PlexError> | undefined
        const loop: Effect.Effect<A, E, R> = Effect.catchAll(attempt, (error) =>
          mayRetry(error, idempotent)
            ? Effect.gen(function* () {
                const asked = retryAfter(error)
                // A server must not be able to park a call for hours: past the cap, the caller decides.
                if (asked !== undefined && Duration.greaterThan(asked, maxRetryAfter))
                  return yield* Effect.fail(error)
                const before = yield* Clock.currentTimeMillis
                driver ??= yield* Schedule.driver(policy)
                if (!(yield* Effect.isSuccess(driver.next(error)))) return yield* Effect.fail(error)
                if (asked !== undefined) {
                  const rest = Duration.toMillis(asked) - ((yield* Clock.currentTimeMillis) - before)
                  if (rest > 0) yield* Effect.sleep(rest)
                }
                return yield* Effect.suspend(() => loop)
              })
            : Effect.fail(error)
        )
        return loop
      })

/**
 * Drops a body nobody will read: the stream is started and, at its first
 * chunk, ended (which cancels it). Not starting it at all would leave the
 * connection open with the whole body still to come.
 */
const discardBody = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.ignore(Stream.runFoldEffect(response.stream, undefined, () => Effect.fail("enough")))

/** A response and its headers, read once. */
interface Answer {
  readonly response: HttpClientResponse.HttpClientResponse
  readonly headers: Headers.Headers
}

/**
 * Sends `request`, following same-origin redirects with the token and
 * cross-origin ones without it (and refusing to resend a secret body to
 * another origin).
 */
const send = (
  client: HttpClient.HttpClient,
  ctx: Context,
  request: HttpClientRequest.HttpClientRequest,
  hasSecretBody: boolean,
  claim: (request: HttpClientRequest.HttpClientRequest) => void
): Effect.Effect<Answer, NetworkError | Unexpected> => {
  const loop = (
    current: HttpClientRequest.HttpClientRequest,
    hops: number,
    secretBody: boolean
  ): Effect.Effect<Answer, NetworkError | Unexpected> =>
    Effect.suspend(() => {
      claim(current)
      return client.execute(current)
    }).pipe(
      Effect.mapError((error) => networkError(ctx, error)),
      Effect.flatMap((response) => {
        if (response.status === 0) {
          return Effect.fail(
            new Unexpected({
              ...ctx,
              reason: "Redirect",
              detail: "the platform hid a redirect; it was not followed"
            })
          )
        }
        // Read once: each read of a response's `headers` builds them anew from the platform's.
        const headers = response.headers
        const location = headers["location"]
        if (!redirectStatuses.has(response.status) || location === undefined) {
          return Effect.succeed({ response, headers })
        }
        const refuse = (detail: string) =>
          Effect.zipRight(
            discardBody(response),
            Effect.fail(new Unexpected({ ...ctx, status: response.status, reason: "Redirect", detail }))
          )
        if (hops >= maxRedirects) return refuse(`more than ${maxRedirects} redirects`)
        let target: URL
        try {
          target = new URL(location, current.url)
        } catch {
          return refuse("the redirect location is not a valid URL")
        }
        if (target.protocol !== "http:" && target.protocol !== "https:") {
          return refuse(`refused a redirect to a ${target.protocol.slice(0, -1)} URL`)
        }
        const from = new URL(current.url)
        const crossOrigin = target.origin !== from.origin
        const toGet =
          response.status === 303 ||
          ((response.status === 301 || response.status === 302) && current.method === "POST")
        if (crossOrigin && secretBody && !toGet) {
          return refuse(`refused to resend credentials to another origin (${target.origin})`)
        }
        // The next request is built afresh: `setHeaders` would merge, not replace.
        const dropped = [
          ...(crossOrigin ? ["x-plex-token"] : []),
          ...(toGet ? ["content-type", "content-length"] : [])
        ]
        const next = HttpClientRequest.make(toGet ? "GET" : current.method)(
          `${target.origin}${target.pathname}`,
          {
            headers: Headers.remove(current.headers, dropped),
            // The token travels only as a header: never keep one a server put in the query.
            urlParams: [...target.searchParams].filter(([key]) => key.toLowerCase() !== "x-plex-token"),
            hash: target.hash.slice(1) || undefined,
            body: toGet ? undefined : current.body
          }
        )
        return Effect.zipRight(discardBody(response), loop(next, hops + 1, secretBody && !toGet))
      })
    )
  return loop(request, 0, hasSecretBody)
}

/** Schedules `task` after `millis`; the returned function cancels it. */
export type Timer = (task: () => void, millis: number) => () => void

/** The longest delay a JS timer takes; a longer one never fires (as the live `Clock` treats it). */
const maxTimerMillis = 2 ** 31 - 1

/** What the live `Clock` does for a sleep, without a fiber to run it. */
const liveSchedule: Timer = (task, millis) => {
  if (millis > maxTimerMillis) return () => {}
  const handle = setTimeout(task, millis)
  return () => clearTimeout(handle)
}

/**
 * Runs `self` in a child fiber and waits for its exit or for `schedule` to
 * fire, whichever comes first; on timeout the child is interrupted (which
 * aborts its request) before the failure. One fiber and one timer, where
 * `Effect.timeoutFail` races two fibers.
 */
export const timeoutWith = <A, E, R, E2>(
  self: Effect.Effect<A, E, R>,
  millis: number,
  onTimeout: () => E2,
  schedule: Timer
): Effect.Effect<A, E | E2, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      // The attempt's failure is handed to the caller, not lost: no "unhandled error" line for it.
      Effect.locally(Effect.fork(restore(self)), FiberRef.unhandledErrorLogLevel, Option.none()),
      (attempt) =>
        restore(
          Effect.async<A, E | E2>((resume) => {
            let settled = false
            const cancel = schedule(() => {
              if (settled) return
              settled = true
              resume(Effect.zipRight(Fiber.interrupt(attempt), Effect.failSync(onTimeout)))
            }, millis)
            attempt.addObserver((exit) => {
              if (settled) return
              settled = true
              cancel()
              resume(exit)
            })
            // The caller was interrupted: stop the timer and the attempt.
            return Effect.suspend(() => {
              settled = true
              cancel()
              return Fiber.interrupt(attempt)
            })
          })
          // An interruption already pending never enters the wait above: stop the attempt here too.
        ).pipe(Effect.onInterrupt(() => Fiber.interrupt(attempt)))
    )
  )

/** The live clock, which a `TestClock` can stand in for. */
const liveClock = /*#__PURE__*/ Context.get(DefaultServices.liveServices, Clock.Clock)

/** The default tracer, which exports nothing: a span only it records is one nobody can read. */
const nativeTracer = /*#__PURE__*/ Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** The clients seen sending through `FetchHttpClient`'s `fetch`. */
const viaFetch = new WeakSet<HttpClient.HttpClient>()

/**
 * Per client, the `FetchHttpClient.Fetch` its own layer provides beneath the
 * caller's (`undefined`: none), learned from a request step on its first
 * request (see {@link wireFetch}); later requests put the wire's `fetch` in
 * the caller's context directly, without that step.
 */
const layerFetch = new WeakMap<HttpClient.HttpClient, typeof globalThis.fetch | undefined>()

/** Given the `fetch` a client would send with (its `FetchHttpClient.Fetch`, or none: the global one), the one to use instead. */
type Swap = (found: typeof globalThis.fetch | undefined) => typeof globalThis.fetch

class WireTag extends Context.Tag("effect-plex-auth/internal/Wire")<WireTag, Swap>() {}

/**
 * The first of a client's request steps: it runs inside whatever context the
 * client's layer merged in (a `FetchHttpClient.Fetch` given to the
 * `FetchHttpClient` layer is visible only there) and puts the execution's
 * `fetch` in place of the one found, which it then calls. The context is
 * restored when the execution ends.
 */
const wireFetch = (request: HttpClientRequest.HttpClientRequest) =>
  FiberRef.modify(FiberRef.currentContext, (context) => {
    const swap = context.unsafeMap.get(WireTag.key) as Swap | undefined
    const found = context.unsafeMap.get(FetchHttpClient.Fetch.key) as typeof globalThis.fetch | undefined
    const fetch = swap?.(found) ?? found
    return [request, fetch === found ? context : Context.add(context, FetchHttpClient.Fetch, fetch!)]
  })

const wiredClients = new WeakMap<HttpClient.HttpClient, HttpClient.HttpClient>()

/** `client` with {@link wireFetch} as its first request step (made once per client). */
const wired = (client: HttpClient.HttpClient): HttpClient.HttpClient => {
  let found = wiredClients.get(client)
  if (found === undefined) {
    found = HttpClient.mapRequestInputEffect(client, wireFetch)
    wiredClients.set(client, found)
  }
  return found
}

const noop = () => {}

/**
 * `@effect/platform`'s table of requests whose `AbortController` the caller
 * supplies (what `HttpClient.withScope` fills). A request found there is
 * sent with that controller's signal, and the platform adds nothing of its
 * own: no controller, no `FinalizationRegistry` entry to abort a response
 * whose body is never read, no abort on interruption. The wire needs none of
 * them: it supplies the controller, reads or discards every body, and aborts
 * when an attempt is interrupted or an execution fails. A request the
 * client's own steps rewrite (a new object) is not found there and takes the
 * platform's usual path. Not part of the platform's API: if a version names
 * it otherwise, this table is one nobody reads and each request pays for the
 * platform's controller again, as before; a test counts the controllers.
 */
const platformControllers = /*#__PURE__*/ globalValue(
  "@effect/platform/HttpClient/scopedRequests",
  () => new WeakMap<HttpClientRequest.HttpClientRequest, AbortController>()
)

/**
 * One execution's hold on its attempts through `client`: the `fetch` they
 * send with (`swap`), each attempt's timeout (`timed`), and the clean-up
 * when the execution ends (`done`).
 *
 * Each attempt's `fetch` gets the signal of the attempt's own
 * `AbortController`, which a timer or an interruption aborts, and
 * `redirect: "manual"`: redirects come back to the engine, which follows
 * them without the token crossing origins. Each `fetch` also tells the
 * engine that `client` sends through one.
 *
 * `timed` fails with `onTimeout()` when an attempt takes longer than
 * `timeout`. With the live clock and a client known to send through the
 * global `fetch`, a timer aborts the attempt's `fetch` (its answer or its
 * body): the attempt fails where it stands and the failure becomes the
 * timeout, with no fiber of its own. With any other client (one with a
 * `FetchHttpClient.Fetch` of its own, which may ignore the abort, one not
 * seen calling `fetch` yet, or one that does not use it), the attempt runs
 * in a fiber that the timer interrupts ({@link timeoutWith}), which cuts it
 * whatever it waits on. With any clock but the live one (a `TestClock`), the
 * timer is that clock's `sleep`, in a fiber of its own, so virtual time
 * drives it.
 *
 * `done` stops the timer and aborts a request still out when the execution
 * failed (an interruption, a defect).
 */
const makeWire = <E2>(
  client: HttpClient.HttpClient,
  callerFetch: typeof globalThis.fetch | undefined,
  clock: Clock.Clock,
  timeout: Duration.Duration,
  onTimeout: () => E2
) => {
  let controller: AbortController | undefined
  let cancel = noop
  let inner: typeof globalThis.fetch | undefined
  const fetch: typeof globalThis.fetch = (input, init) => {
    viaFetch.add(client)
    controller ??= new AbortController()
    return (inner ?? globalThis.fetch)(input, { ...init, redirect: "manual", signal: controller.signal })
  }
  const swap: Swap = (found) => {
    if (found !== fetch) {
      inner = found
      // What the client sends with, unless it is the caller's own (which hides the layer's, if any).
      if (callerFetch === undefined || found !== callerFetch) layerFetch.set(client, found)
    }
    return fetch
  }
  const timed = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R> =>
    Effect.suspend((): Effect.Effect<A, E | E2, R> => {
      controller = undefined
      cancel = noop
      const inFiber = Effect.onInterrupt(self, () => Effect.sync(() => controller?.abort()))
      if (clock !== liveClock) {
        return Effect.flatMap(Effect.fork(clock.sleep(timeout)), (sleeper) =>
          timeoutWith(inFiber, 0, onTimeout, (task) => {
            sleeper.addObserver((exit) => {
              if (exit._tag === "Success") task()
            })
            return () => sleeper.unsafeInterruptAsFork(FiberId.none)
          })
        )
      }
      const millis = Duration.toMillis(timeout)
      // Only the global `fetch` is trusted to honour the abort: a `FetchHttpClient.Fetch` of the caller's or
      // the layer's may ignore it, and only an interruption cuts an attempt whatever it waits on.
      const globalFetch =
        viaFetch.has(client) && callerFetch === undefined && layerFetch.has(client) && !layerFetch.get(client)
      if (!globalFetch) return timeoutWith(inFiber, millis, onTimeout, liveSchedule)
      const current = (controller = new AbortController())
      let fired = false
      const stop = (cancel = liveSchedule(() => {
        fired = true
        current.abort()
      }, millis))
      return Effect.matchEffect(self, {
        onFailure: (error): Effect.Effect<never, E | E2> => {
          stop()
          return fired ? Effect.failSync(onTimeout) : Effect.fail(error)
        },
        onSuccess: (value) => {
          stop()
          return Effect.succeed(value)
        }
      })
    })
  const claim = (request: HttpClientRequest.HttpClientRequest) => {
    platformControllers.set(request, (controller ??= new AbortController()))
  }
  const done = (exit: Exit.Exit<unknown, unknown>) => {
    cancel()
    if (exit._tag === "Failure") controller?.abort()
  }
  return { swap, timed, claim, done }
}

/** A fiber ref and the value to run with. */
type Setting = readonly [FiberRef.FiberRef<any>, unknown]

/** Sets them all in one step, copying the fiber's refs once (a `FiberRef.set` each would copy them each). */
const setAll = (settings: ReadonlyArray<Setting>) =>
  Effect.updateFiberRefs((fiberId, refs) =>
    FiberRefs.updateManyAs(refs, {
      // Never empty: the context is always among them.
      entries: settings.map(
        ([fiberRef, value]) => [fiberRef, [[fiberId, value]]] as const
      ) as unknown as Parameters<typeof FiberRefs.updateManyAs>[1]["entries"]
    })
  )

/**
 * Runs `self` with every setting in force, then restores them and runs
 * `done` (whatever the exit): one acquire and release for them all, where
 * `Effect.locally` and `Effect.provideService` take one each.
 */
const runWith = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  settings: ReadonlyArray<Setting>,
  done: (exit: Exit.Exit<A, E>) => void
): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.withFiberRuntime<ReadonlyArray<Setting>>((fiber) => {
      const previous = settings.map(([fiberRef]): Setting => [fiberRef, fiber.getFiberRef(fiberRef)])
      return Effect.as(setAll(settings), previous)
    }),
    () => self,
    (previous, exit) => {
      done(exit)
      return setAll(previous)
    }
  )

/**
 * The settings every run through the engine has: the wire in the context
 * (with `span` as the parent of what runs inside, when there is one), the
 * token's header redacted wherever a request is logged or traced, and the
 * platform's own HTTP span recorded only when someone can read it: under a
 * tracer that exports (or, under the default one, when trace headers are
 * asked for, since they name that span), and never when the query carries a
 * secret (its `url.full` would). Trace headers are sent only when
 * `propagate` says so.
 */
const settingsFor = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  context: Context.Context<never>,
  span: Tracer.Span | undefined,
  options: { readonly propagate: boolean; readonly exporting: boolean; readonly secretQuery: boolean }
): Array<Setting> => {
  const redacted = fiber.getFiberRef(Headers.currentRedactedNames)
  return [
    [FiberRef.currentContext, span ? Context.add(context, Tracer.ParentSpan, span) : context],
    [
      Headers.currentRedactedNames,
      redacted.includes("x-plex-token") ? redacted : [...redacted, "x-plex-token"]
    ],
    [
      HttpClient.currentTracerDisabledWhen,
      options.secretQuery || !(options.exporting || options.propagate)
        ? constTrue
        : fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)
    ],
    [HttpClient.currentTracerPropagation, options.propagate]
  ]
}

/**
 * Runs an operation against `baseUrl`, with `token` when there is one, in a
 * span named after it (made only under a tracer that exports: under the
 * default one nobody could read it).
 *
 * With `probeTimeout`, it is a probe: one attempt of an anonymous request
 * within that time, without the trimmings a probe does not need: no retry,
 * no span of its own (the platform's HTTP span is recorded under a tracer
 * that exports), no trace headers. Redirects, the body limit, status mapping
 * and decoding are the same.
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
  probeTimeout?: Duration.Duration
): Effect.Effect<Success<A>, PlexError, HttpClient.HttpClient | ClientIdentity> =>
  // Everything the run needs from its fiber is read in one step (each `yield*` of a service is a step).
  Effect.withFiberRuntime((fiber) => {
    const services = fiber.currentContext as Context.Context<HttpClient.HttpClient | ClientIdentity>
    const client = Context.get(services, HttpClient.HttpClient)
    const policy = probeTimeout === undefined ? Context.get(services, CurrentRetryPolicy) : none
    const timeout = probeTimeout ?? Context.get(services, RequestTimeout)
    const propagate = probeTimeout === undefined && Context.get(services, TracePropagation)
    const url = new URL(`${baseUrl}${spec.path}`)
    // Secrets are revealed only here, on their way to the wire; `secrets` lists them for masking.
    const secrets: Array<string> = []
    const headerToken = Option.isSome(token) ? (reveal(token.value, secrets) as string) : undefined
    const query = reveal(spec.urlParams, secrets) as Pairs | undefined
    const secretQuery = secrets.length > (headerToken === undefined ? 0 : 1) || spec.spanPath !== undefined
    const bodySecrets = secrets.length
    const body = spec.body?.(secrets)
    const hasSecretBody = secrets.length > bodySecrets
    const ctx: Context = { operation: spec.operation, method: spec.method, url: where(url), secrets }
    // Built in one step: each `set...` combinator would copy the request and its headers again.
    const requestHeaders: Record<string, string> = {
      ...Context.get(services, ClientIdentity).headers,
      accept: "application/json"
    }
    if (headerToken !== undefined) requestHeaders["x-plex-token"] = headerToken
    let request = HttpClientRequest.make(spec.method)(url.toString(), {
      headers: requestHeaders,
      ...(query === undefined ? {} : { urlParams: query })
    })
    if (body !== undefined) request = HttpClientRequest.setBody(request, body)

    const callerFetch = services.unsafeMap.get(FetchHttpClient.Fetch.key) as
      typeof globalThis.fetch | undefined
    const wire = makeWire(
      client,
      callerFetch,
      Context.get(fiber.getFiberRef(DefaultServices.currentServices), Clock.Clock),
      timeout,
      () =>
        new NetworkError({
          ...ctx,
          reason: "Timeout",
          detail: `no complete answer within ${Duration.format(timeout)}`
        })
    )
    const limit = Context.get(services, MaxBodyBytes)
    let attempts = 0
    /** The status of the last answer, for the span. */
    let status: number | undefined
    // One attempt: sent, its body read under the limit, then its status and payload interpreted.
    // A client whose layer's `Fetch` is known gets the wire's in the context; another, a step that finds it.
    const learned = layerFetch.has(client)
    const context = learned
      ? Context.add(services, FetchHttpClient.Fetch, wire.swap(callerFetch ?? layerFetch.get(client)))
      : Context.add(services, WireTag, wire.swap)
    const sender = learned ? client : wired(client)
    const once = Effect.flatMap(
      send(sender, ctx, request, hasSecretBody, wire.claim),
      ({ headers, response }) => {
        status = response.status
        return Effect.flatMap(readText(ctx, response, headers, limit), (text) =>
          interpret(spec, ctx, response, headers, text)
        )
      }
    )
    const attempt = Effect.suspend(() => {
      attempts++
      status = undefined
      const run =
        attempts > 1
          ? Effect.zipRight(Effect.logDebug(`${spec.operation}: retry ${attempts - 1}`), once)
          : once
      return wire.timed(run)
    })
    const retried = retrying(attempt, policy, spec.idempotent ?? true)
    const tracer = Context.get(fiber.getFiberRef(DefaultServices.currentServices), Tracer.Tracer)
    // The default tracer exports nothing: a span only it records is one nobody can read.
    const exporting = tracer !== nativeTracer
    const run = (span: Tracer.Span | undefined) =>
      runWith(retried, settingsFor(fiber, context, span, { propagate, exporting, secretQuery }), (exit) => {
        wire.done(exit)
        if (span === undefined) return
        if (status !== undefined) span.attribute("http.response.status_code", status)
        span.attribute("plex.retry_count", attempts - 1)
      })
    if (probeTimeout !== undefined || !exporting) return run(undefined)
    return Effect.useSpan(
      `PlexAuth.${spec.operation}`,
      {
        kind: "client",
        // The span's place in the caller's code is the operation's name; a stack trace per call costs an Error.
        captureStackTrace: false,
        attributes: {
          "plex.operation": spec.operation,
          "http.request.method": spec.method,
          "server.address": url.host,
          "url.path": spec.spanPath ?? url.pathname
        }
      },
      run
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
export const withToken = <S extends Spec<any>>(
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
        (refused) =>
          Effect.logDebug(`${spec.operation}: token refused, re-authenticating`).pipe(
            Effect.zipRight(refresh(token)),
            Effect.matchEffect({
              // Why no new token came is worth a line (no secret in it: tags and reasons only).
              onFailure: (failure) =>
                Effect.zipRight(
                  Effect.logDebug(
                    `${spec.operation}: re-authentication gave no new token: ${describeRefreshFailure(failure)}`
                  ),
                  Effect.fail(refused)
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
