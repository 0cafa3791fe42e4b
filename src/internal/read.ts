/**
 * Reading an answer: its body under a size limit, then its status and
 * payload turned into a decoded value or the one tagged error that says what
 * happened. Transport failures are mapped here too.
 *
 * @internal
 */
import type * as Headers from "@effect/platform/Headers"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import {
  BadRequest,
  InvalidVerificationCode,
  NetworkError,
  NotFound,
  type PlexError,
  PlexErrorDetail,
  RateLimited,
  Unauthorized,
  Unexpected,
  VerificationCodeRequired
} from "../PlexError.js"
import * as L from "./lenient.js"
import { classify, isJson, isRedirect, neverSent, parseRetryAfter } from "./policy.js"
import { excerpt, scrub } from "./redact.js"

/** Where a request was going, for its errors: never its secrets (kept only to mask them). */
export interface Context {
  readonly operation: string
  readonly method: string
  /** Origin and path, no query. */
  readonly url: string
  readonly secrets: ReadonlyArray<string>
}

/** The fields of `ctx` an error carries (never `secrets`). */
export const fieldsOf = (ctx: Context) => ({ operation: ctx.operation, method: ctx.method, url: ctx.url })

/** A decoded success with the response's status and headers. */
export interface Success<A> {
  readonly value: A
  readonly status: number
  readonly headers: Headers.Headers
  readonly contentType: string | undefined
}

/** What {@link interpret} needs of an operation's spec. */
export interface Expecting<A> {
  readonly schema: L.Lenient<A>
  readonly notFound?: boolean | undefined
  readonly signIn?: boolean | undefined
  readonly noContent?: boolean | undefined
}

/**
 * Marks a network error that happened before anything was sent: safe to
 * retry whatever the request. A symbol property, so that it survives the
 * proxy Effect may wrap an error in to attach its span.
 */
export const neverReachedServer: unique symbol = Symbol.for(
  "effect-plex-auth/NetworkError/neverReachedServer"
)

/** Thrown by the engine's `fetch` when a request would carry secrets to another origin. */
export class CrossOrigin extends Error {
  constructor(readonly detail: string) {
    super(detail)
  }
}

const causeOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "cause" in error ? error.cause : undefined

/** The error for a failed exchange with the transport: no answer, a broken body, a refused hop. */
export const networkError = (
  ctx: Context,
  error: HttpClientError.HttpClientError
): NetworkError | Unexpected => {
  const fields = fieldsOf(ctx)
  if (error._tag === "RequestError" && error.reason === "InvalidUrl") {
    return new Unexpected({ ...fields, reason: "Redirect", detail: "the request URL is invalid" })
  }
  const cause = causeOf(error)
  if (cause instanceof CrossOrigin)
    return new Unexpected({ ...fields, reason: "Redirect", detail: cause.detail })
  const inner = causeOf(cause)
  const code = typeof inner === "object" && inner !== null && "code" in inner ? inner.code : undefined
  const parts = [
    typeof cause === "object" && cause !== null && "message" in cause ? cause.message : undefined,
    code,
    typeof inner === "object" && inner !== null && "message" in inner ? inner.message : undefined
  ].filter((p): p is string => typeof p === "string" && p.length > 0)
  const detail = parts.length > 0 ? parts.join(": ") : error.reason
  const failure = new NetworkError({ ...fields, reason: "Transport", detail: scrub(detail, ctx.secrets) })
  if (error._tag === "RequestError" && neverSent(code)) {
    Object.defineProperty(failure, neverReachedServer, { value: true, enumerable: false })
  }
  return failure
}

/**
 * Drops a body nobody will read: the stream is started and, at its first
 * chunk, ended (which cancels it). Not starting it at all would leave the
 * connection open with the whole body still to come.
 */
export const discardBody = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.ignore(Stream.runFoldEffect(response.stream, undefined, () => Effect.fail("enough")))

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
export const readText = (
  ctx: Context,
  response: HttpClientResponse.HttpClientResponse,
  headers: Headers.Headers,
  limit: number
): Effect.Effect<string, Unexpected | NetworkError> => {
  const tooLarge = (size: string) =>
    new Unexpected({
      ...fieldsOf(ctx),
      reason: "BodyTooLarge",
      status: response.status,
      contentType: headers["content-type"],
      detail: `the body is larger than the ${limit}-byte limit (${size})`
    })
  const declared = Number(headers["content-length"] ?? NaN)
  if (Number.isFinite(declared) && declared > limit) {
    return Effect.zipRight(discardBody(response), Effect.fail(tooLarge(`${declared} bytes declared`)))
  }
  // A declared length of an uncompressed body is enforced by the transport (a longer body is an error), so
  // the body can be read whole. A compressed body may inflate past its declared length, and a body without
  // one may be of any length: those are streamed and counted.
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

// Error entries are read as leniently as payloads: a code sent as "1029" or a null message must not
// hide the code (and with it the two-factor prompt).
const PlexErrorBody = L.struct({
  errors: L.array(
    L.struct({ code: L.optional(L.Num), message: L.optional(L.Str), status: L.optional(L.Num) })
  )
})

/** Plex's error entries in a body, their messages masked (a server may echo what it was sent). */
const errorEntries = (
  contentType: string | undefined,
  text: string,
  secrets: ReadonlyArray<string>
): ReadonlyArray<PlexErrorDetail> => {
  if (!isJson(contentType)) return []
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return []
  }
  const decoded = L.decodePlain(PlexErrorBody, body)
  if (decoded instanceof L.Failure) return []
  return decoded.errors.map(
    (e) => new PlexErrorDetail(e.message === undefined ? e : { ...e, message: scrub(e.message, secrets) })
  )
}

/** The error for an answer that is not a success; `now` dates a `Retry-After`. */
export const refused = (
  spec: { readonly signIn?: boolean | undefined; readonly notFound?: boolean | undefined },
  ctx: Context,
  status: number,
  headers: Headers.Headers,
  text: string,
  now: number
): PlexError => {
  const contentType = headers["content-type"]
  const errors = errorEntries(contentType, text, ctx.secrets)
  const fields = { ...fieldsOf(ctx), status, errors }
  const retryAfterMillis = parseRetryAfter(headers["retry-after"], now)
  const kind = classify({
    status,
    codes: new Set(errors.flatMap((e) => (e.code === undefined ? [] : [e.code]))),
    messages: errors.map((e) => e.message ?? "").join(" "),
    signIn: spec.signIn === true,
    notFound: spec.notFound === true
  })
  switch (kind) {
    case "VerificationCodeRequired":
      return new VerificationCodeRequired(fields)
    case "InvalidVerificationCode":
      return new InvalidVerificationCode(fields)
    case "RateLimited":
      return new RateLimited({ ...fields, retryAfterMillis })
    case "BadRequest":
      return new BadRequest(fields)
    case "Unauthorized":
      return new Unauthorized(fields)
    case "NotFound":
      return new NotFound(fields)
    case "Unexpected":
      return new Unexpected({
        ...fields,
        contentType,
        retryAfterMillis,
        bodyExcerpt: excerpt(text, ctx.secrets),
        reason: "Status",
        detail:
          status === 404
            ? "not found"
            : isRedirect(status)
              ? "a redirect that could not be followed"
              : `unexpected status ${status}`
      })
  }
}

/** The decoded success of a 2xx answer, or why it cannot be used. */
export const decoded = <A>(
  spec: Expecting<A>,
  ctx: Context,
  status: number,
  headers: Headers.Headers,
  text: string
): Success<A> | Unexpected => {
  const contentType = headers["content-type"]
  if (spec.noContent) return { value: undefined as A, status, headers, contentType }
  const unusable = (reason: "ContentType" | "Decode", detail: string) =>
    new Unexpected({ ...fieldsOf(ctx), status, contentType, reason, detail })
  if (!isJson(contentType)) {
    return unusable("ContentType", `expected a JSON body, got ${contentType ?? "no content type"}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return unusable("Decode", `the body is not valid JSON (${text.length} characters)`)
  }
  const value = L.decodePlain(spec.schema, json)
  return value instanceof L.Failure
    ? unusable("Decode", describeFailure(value))
    : { value, status, headers, contentType }
}
