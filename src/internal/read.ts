/**
 * Reading an answer: the body under a size limit, then the status and payload
 * turned into a decoded value or the tagged error that says what happened
 * (the facts are `core/answer.ts`'s); transport failures too. Every text taken
 * from the wire into an error is scrubbed of the request's secrets first; a
 * success's headers are scrubbed when handed to a caller ({@link withResponse}).
 *
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Errors from "../PlexError.js"
import type { WithResponse } from "../PlexAuth.js"
import * as L from "./lenient.js"
import type { Spec } from "./request.js"
import * as Facts from "../core/answer.js"
import { CrossOrigin } from "../core/fetchGuard.js"
import { neverReachedServer, neverSent } from "../core/policy.js"
import { scrub, scrubbedAnswerHeaders } from "../core/redact.js"

/**
 * The error for a failed exchange with the transport; with `answered`'s `status` when the server had answered with it
 * and its body then broke off (the message says so, not "could not reach"). Without an answer the error has no
 * `status` key at all (not one set to undefined): `answered` is spread (gzipped, the sign-in bundles took 0 B more in
 * Effect 4 and 1 B in Effect 3; `...(status && { status })` took 4 B and 5 B).
 */
export const networkError = (
  ctx: Facts.RequestContext,
  error: HttpClientError.HttpClientError,
  answered?: { readonly status: number }
): Errors.NetworkError | Errors.Unexpected => {
  const cause = error.cause
  const refused =
    cause instanceof CrossOrigin
      ? cause.message
      : error._tag === "RequestError" && error.reason === "InvalidUrl"
        ? "the request URL is invalid"
        : undefined
  if (refused) return new Errors.Unexpected({ ...Facts.fieldsOf(ctx), reason: "Redirect", detail: refused })
  const { code, text } = Facts.transportFailure(cause)
  const detail = scrub(text || error.reason, ctx.secrets)
  const failure = new Errors.NetworkError({
    ...Facts.fieldsOf(ctx),
    reason: "Transport",
    detail,
    ...answered
  })
  if (error._tag === "RequestError" && neverSent(code)) {
    Object.defineProperty(failure, neverReachedServer, { value: true })
  }
  return failure
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
 * `success` as a caller is handed it (`PlexAuth.WithResponse`): the headers carry no secret ({@link
 * scrubAnswerHeaders}: a server may echo the token in any of them).
 */
export const withResponse = <A>(success: Success<A>): WithResponse<A> => ({
  value: success.value,
  status: success.status,
  headers: success.answered(scrubAnswerHeaders),
  contentType: success.contentType
})

/**
 * A body's run, stopped by failing its callback (a body too large, one discarded), without the line Effect 3 logs
 * for it: `runForEachChunk` runs the stream in a fiber of its own, whose failure Effect 3 reports at Debug as
 * "Fiber terminated with an unhandled error" (a log line and a span event the Effect 4 edition does not write).
 * The failure itself still reaches the caller.
 */
const quietly = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.locally(self, FiberRef.unhandledErrorLogLevel, Option.none())

/**
 * Drops a body nobody will read: started and, at its first chunk, cancelled (so the connection is freed). Whatever
 * comes of it is dropped too, a defect included: the stream of a body something else has started to read (the
 * platform's response renders its body by reading it: a middleware that logs it, a tracer that renders a span's
 * exit) dies with "ReadableStream is locked".
 */
export const discardBody = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.exit(quietly(Stream.runForEachChunk(response.stream, () => Effect.fail("enough"))))

/**
 * Reads a body as text, failing once it grows past `limit` bytes (`core/answer.ts`'s `bodyPlan`); empty is "", and so
 * is one that broke off, or grew past `limit`, when `byStatus` says its status alone tells what the answer means
 * (`core/answer.ts`'s `readByStatus`: the body is not needed), else that is a `NetworkError` with the status (an
 * `Unexpected` `BodyTooLarge` past the limit).
 */
export const readText = (
  ctx: Facts.RequestContext,
  response: HttpClientResponse.HttpClientResponse,
  headers: Headers.Headers,
  limit: number,
  byStatus?: boolean
): Effect.Effect<string, Errors.Unexpected | Errors.NetworkError> => {
  const tooLarge = (size: string) =>
    new Errors.Unexpected({
      ...Facts.fieldsOf(ctx),
      reason: "BodyTooLarge",
      status: response.status,
      contentType: headers["content-type"],
      detail: `the body is larger than the ${limit}-byte limit (${size})`
    })
  const failed = (error: HttpClientError.ResponseError | Errors.Unexpected) =>
    byStatus
      ? Effect.succeed("")
      : error._tag !== "ResponseError"
        ? Effect.fail(error)
        : error.reason === "EmptyBody"
          ? Effect.succeed("")
          : Effect.fail(networkError(ctx, error, { status: response.status }))
  const plan = Facts.bodyPlan(headers["content-length"], headers["content-encoding"], limit)
  if (plan === "whole") return Effect.catchAll(response.text, failed)
  if (plan !== "counted") {
    return Effect.zipRight(discardBody(response), failed(tooLarge(`${plan.tooLarge} bytes declared`)))
  }
  // Chunk by chunk with `runForEachChunk`, which the platform's own body reading bundles already (a fold would add
  // Effect's fold sinks, ~0.2 kB gzipped, to every operation). The decoder, the text and the count are each run's.
  return Effect.suspend(() => {
    const decoder = new TextDecoder()
    let text = ""
    let size = 0
    return Stream.runForEachChunk(response.stream, (chunk) => {
      for (const bytes of chunk) {
        size += bytes.length
        if (size > limit) return Effect.fail(tooLarge("more than that received"))
        text += decoder.decode(bytes, { stream: true })
      }
      return Effect.void
    }).pipe(
      Effect.map(() => text + decoder.decode()),
      quietly,
      // A body something else has started to read (the platform's response renders its body by reading it: a
      // middleware that logs it, a tracer that renders a span's exit): its stream dies with "ReadableStream is
      // locked", and the body is the text that reading makes (read whole by then: the limit can no longer help).
      Effect.catchAllCause((cause) => (Cause.isDie(cause) ? response.text : Effect.failCause(cause)))
    )
  }).pipe(Effect.catchAll(failed))
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

/**
 * Reads `response` (its body under `limit` bytes) into the decoded success of a
 * 2xx, or the error that says why it cannot be used: for any other status,
 * `core/answer.ts`'s `refusal` (a `Retry-After` dated from the clock's now).
 */
export const read = <A>(
  spec: Spec<A>,
  ctx: Facts.RequestContext,
  response: HttpClientResponse.HttpClientResponse,
  limit: number
): Effect.Effect<Success<A>, Errors.PlexError> => {
  // Read once: each read of `headers` builds them anew.
  const headers = response.headers
  const status = response.status
  return Effect.flatMap(readText(ctx, response, headers, limit, Facts.readByStatus(status, spec)), (text) => {
    const contentType = headers["content-type"]
    if (status > 199 && status < 300) {
      // As the Effect 4 engine reads a success (its read.ts `success`).
      const body = spec.noContent
        ? { value: undefined as A }
        : Facts.decodedBody(contentType, text, spec.xml, (json) => L.decodePlain(spec.schema, json))
      return "value" in body
        ? Effect.succeed({
            value: body.value,
            status,
            contentType,
            answered: (scrub) => scrub(headers, ctx.secrets)
          })
        : Effect.fail(new Errors.Unexpected({ ...Facts.fieldsOf(ctx), status, contentType, ...body }))
    }
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const { errors, kind, ...facts } = Facts.refusal(status, headers, text, ctx.secrets, now, spec)
      const details = errors.map((e) => new Errors.PlexErrorDetail(e))
      const fields = { ...Facts.fieldsOf(ctx), status, errors: details }
      return Effect.fail(
        kind === "RateLimited"
          ? new Errors.RateLimited({ ...fields, retryAfterMillis: facts.retryAfterMillis })
          : kind === "Unexpected"
            ? new Errors.Unexpected({ ...fields, ...facts, reason: "Status" })
            : // `classify` names `NotFound` or a two-factor refusal only for a spec that carries their classes
              // (`request.ts`'s `Carrying`).
              new (spec.refusals ?? refusals)[kind]!(fields)
      )
    })
  })
}
