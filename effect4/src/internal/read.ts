/**
 * Reading an answer: the body under a size limit, then the status and payload
 * turned into a decoded value or the tagged error that says what happened
 * (the facts are `core/answer.ts`'s); transport failures too. Every text taken
 * from the wire into an error is scrubbed of the request's secrets first; a
 * success's headers are scrubbed when handed to a caller ({@link withResponse}).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { constVoid } from "effect/Function"
import * as Headers from "effect/http/Headers"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Stream from "effect/Stream"
import {
  bodyPlan,
  decodedBody,
  fieldsOf,
  refusal,
  type RequestContext,
  transportFailure
} from "../../../src/core/answer.js"
import type { Endpoint } from "../../../src/core/endpoint.js"
import { CrossOrigin } from "../../../src/core/fetchGuard.js"
import { neverReachedServer, neverSent } from "../../../src/core/policy.js"
import { scrub, scrubbedAnswerHeaders } from "../../../src/core/redact.js"
import * as Errors from "../PlexError.js"
import type { WithResponse } from "../PlexAuth.js"
import * as L from "./lenient.js"

export { fieldsOf, neverReachedServer, type RequestContext as Context }

/**
 * A decoded success with the response's status and content type, and its headers as they came with the secrets
 * of the request (`answered`): a caller is handed the headers scrubbed, by {@link withResponse} (the
 * `...WithResponse` variants), so that an operation that returns the value alone does not bundle the scrubbing.
 */
export interface Success<A> {
  readonly value: A
  readonly status: number
  readonly contentType: string | undefined
  /**
   * The headers as they came, handed to `scrub` with the request's secrets: a function, not the secrets
   * themselves, so that the result, which the operation's span ends with, renders no secret under
   * `JSON.stringify` or `util.inspect` (a tracer may render a span's exit).
   */
  readonly answered: (
    scrub: (headers: Headers.Headers, secrets: ReadonlyArray<string>) => Headers.Headers
  ) => Headers.Headers
}

/**
 * The error for a failed exchange with the transport; with `answered`'s `status` when the server had answered with it
 * and its body then broke off (the message says so, not "could not reach"). Without an answer the error has no
 * `status` key at all (not one set to undefined): `answered` is spread (gzipped, the sign-in bundles took 0 B more in
 * Effect 4 and 1 B in Effect 3; `...(status && { status })` took 4 B and 5 B).
 */
export const networkError = (
  ctx: RequestContext,
  error: HttpClientError.HttpClientError,
  answered?: { readonly status: number }
): Errors.NetworkError | Errors.Unexpected => {
  const reason = error.reason
  const cause = reason.cause
  if (cause instanceof CrossOrigin || reason._tag === "InvalidUrlError") {
    const detail = cause instanceof CrossOrigin ? cause.message : "the request URL is invalid"
    return new Errors.Unexpected({ ...fieldsOf(ctx), reason: "Redirect", detail })
  }
  const { code, text } = transportFailure(cause)
  const detail = scrub(text || reason._tag, ctx.secrets)
  const failure = new Errors.NetworkError({ ...fieldsOf(ctx), reason: "Transport", detail, ...answered })
  if (reason._tag === "TransportError" && neverSent(code)) {
    Object.defineProperty(failure, neverReachedServer, { value: true })
  }
  return failure
}

/** Drops a body nobody will read: started and, at its first chunk, cancelled (so the connection is freed). */
export const discardBody = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<void> =>
  // The fold `readText` uses, stopped by its first chunk (`Stream.runHead` would bundle another runner with every
  // operation). Not `Effect.ignore`, whose optional logging bundles the default logger with every operation.
  Effect.catch(
    Stream.runFoldEffect(response.stream, constVoid, () => Effect.fail("discarded")),
    () => Effect.void
  )

/**
 * Reads a body as text, failing once it grows past `limit` bytes (`core/answer.ts`'s `bodyPlan`); empty is "", and so
 * is one that broke off, or grew past `limit`, when `byStatus` says its status alone tells what the answer means
 * (`core/answer.ts`'s `readByStatus`: the body is not needed), else that is a `NetworkError` with the status (an
 * `Unexpected` `BodyTooLarge` past the limit).
 */
export const readText = (
  ctx: RequestContext,
  response: HttpClientResponse.HttpClientResponse,
  headers: Headers.Headers,
  limit: number,
  byStatus?: boolean
): Effect.Effect<string, Errors.Unexpected | Errors.NetworkError> => {
  const tooLarge = (size: string) =>
    new Errors.Unexpected({
      ...fieldsOf(ctx),
      reason: "BodyTooLarge",
      status: response.status,
      contentType: headers["content-type"],
      detail: `the body is larger than the ${limit}-byte limit (${size})`
    })
  const failed = (error: HttpClientError.HttpClientError | Errors.Unexpected) =>
    byStatus
      ? Effect.succeed("")
      : error._tag !== "HttpClientError"
        ? Effect.fail(error)
        : error.reason._tag === "EmptyBodyError"
          ? Effect.succeed("")
          : Effect.fail(networkError(ctx, error, { status: response.status }))
  const plan = bodyPlan(headers["content-length"], headers["content-encoding"], limit)
  if (plan === "whole") return Effect.catch(response.text, failed)
  if (plan !== "counted") {
    return Effect.andThen(discardBody(response), failed(tooLarge(`${plan.tooLarge} bytes declared`)))
  }
  // The decoder and the text are each run's (the count is the fold's own).
  return Effect.suspend(() => {
    const decoder = new TextDecoder()
    let text = ""
    return Stream.runFoldEffect(
      response.stream,
      () => 0,
      (size: number, chunk: Uint8Array) => {
        if (size + chunk.length > limit) return Effect.fail(tooLarge("more than that received"))
        text += decoder.decode(chunk, { stream: true })
        return Effect.succeed(size + chunk.length)
      }
    ).pipe(Effect.map(() => text + decoder.decode()))
  }).pipe(Effect.catch(failed))
}

/** The error classes of the refusals `core/policy.ts`'s `classify` names, but `RateLimited` and `Unexpected`. */
export interface Refusals {
  readonly BadRequest: typeof Errors.BadRequest
  readonly Unauthorized: typeof Errors.Unauthorized
  readonly NotFound?: typeof Errors.NotFound | undefined
  readonly VerificationCodeRequired?: typeof Errors.VerificationCodeRequired | undefined
  readonly InvalidVerificationCode?: typeof Errors.InvalidVerificationCode | undefined
}

/** Those of the refusals any operation may meet. */
const refusals: Refusals = { BadRequest: Errors.BadRequest, Unauthorized: Errors.Unauthorized }

/**
 * With `NotFound`, for an operation whose endpoint says a 404 means "not there" (`notFound`). Its spec carries
 * them (`refusals`), as it carries its schema, so that the other operations do not bundle the class.
 */
export const notFoundRefusals = {
  BadRequest: Errors.BadRequest,
  Unauthorized: Errors.Unauthorized,
  NotFound: Errors.NotFound
} satisfies Refusals

/** With the two-factor ones, for a sign-in (its endpoint reads them: `twoFactor`), carried by its spec likewise. */
export const signInRefusals = {
  BadRequest: Errors.BadRequest,
  Unauthorized: Errors.Unauthorized,
  VerificationCodeRequired: Errors.VerificationCodeRequired,
  InvalidVerificationCode: Errors.InvalidVerificationCode
} satisfies Refusals

/** What an operation declares about reading its answers (see `request.ts`'s `Spec`). */
type Reads<A> = Pick<Endpoint, "twoFactor" | "notFound" | "refusedInput" | "noContent" | "xml"> & {
  readonly schema: L.Decoder<A>
  /** The error classes of its refusals, when it meets more than {@link refusals}: see `request.ts`'s `Spec`. */
  readonly refusals?: Refusals | undefined
}

/** The error for an answer that is not a success (`core/answer.ts`'s `refusal`); `now` dates a `Retry-After`. */
export const refused = (
  spec: Omit<Reads<unknown>, "schema">,
  ctx: RequestContext,
  status: number,
  headers: Headers.Headers,
  text: string,
  now: number
): Errors.PlexError => {
  const { errors, kind, ...facts } = refusal(status, headers, text, ctx.secrets, now, spec)
  const fields = { ...fieldsOf(ctx), status, errors: errors.map((e) => new Errors.PlexErrorDetail(e)) }
  if (kind === "RateLimited")
    return new Errors.RateLimited({ ...fields, retryAfterMillis: facts.retryAfterMillis })
  return kind === "Unexpected"
    ? new Errors.Unexpected({ ...fields, ...facts, reason: "Status" })
    : // `classify` names `NotFound` or a two-factor refusal only for a spec that carries their classes (`Carrying`).
      new (spec.refusals ?? refusals)[kind]!(fields)
}

/**
 * `headers` as a caller is handed them: each scrubbed of the request's secrets (`core/redact.ts`'s
 * `scrubbedAnswerHeaders`: a `Location` or `Content-Location` with the token in its query, a token echoed); the
 * same object when there is nothing to take out.
 */
export const scrubAnswerHeaders = (
  headers: Headers.Headers,
  secrets: ReadonlyArray<string>
): Headers.Headers =>
  scrubbedAnswerHeaders(headers, secrets).reduce(
    (out, [name, value]) => Headers.set(out, name, value),
    headers
  )

/** The decoded success of a 2xx answer, or why it cannot be used. */
export const decoded = <A>(
  spec: Reads<A>,
  ctx: RequestContext,
  status: number,
  headers: Headers.Headers,
  text: string
): Success<A> | Errors.Unexpected => {
  const contentType = headers["content-type"]
  const body = spec.noContent
    ? { value: undefined as A }
    : decodedBody(contentType, text, spec.xml, (json) => L.decodePlain(spec.schema, json))
  return "value" in body
    ? { value: body.value, status, contentType, answered: (scrub) => scrub(headers, ctx.secrets) }
    : new Errors.Unexpected({ ...fieldsOf(ctx), status, contentType, ...body })
}

/**
 * `success` as a caller is handed it (`PlexAuth.WithResponse`): the headers carry no secret ({@link
 * scrubAnswerHeaders}: a server may echo the token in any of them).
 */
export const withResponse = <A>(success: Success<A>): WithResponse<A> => ({
  value: success.value,
  status: success.status,
  headers: success.answered(scrubAnswerHeaders),
  contentType: success.contentType
})
