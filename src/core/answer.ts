/**
 * Reading an answer, the parts that are facts and not Effect: where a
 * request was going (for its errors), what a transport failure says, how a
 * refusal and an unexpected status are read, and what a success's body
 * decodes to. Plain functions, shared by both editions' `read.ts`.
 *
 * @internal
 */
import { Failure, fieldOf } from "./decode.js"
import { type ErrorEntry, errorEntries } from "./errorCodes.js"
import { classify, isJson, isRedirect, parseRetryAfter, type Refusal } from "./policy.js"
import { excerpt, scrub } from "./redact.js"
import type { TwoFactorReader } from "./twoFactor.js"
import type { XmlAnswers } from "./xml.js"

/** Where a request was going, for its errors, and the secrets to mask in them. */
export interface RequestContext {
  readonly operation: string
  readonly method: string
  /** Origin and path, no query (the endpoint's `spanPath` when it has one). */
  readonly url: string
  readonly secrets: ReadonlyArray<string>
}

/** The fields of `ctx` an error carries (never `secrets`). */
export const fieldsOf = (ctx: RequestContext) => ({
  operation: ctx.operation,
  method: ctx.method,
  url: ctx.url
})

/**
 * What a failed `fetch` said: its message, the system error code under it
 * (`ECONNREFUSED`, ...) and that error's message, joined (empty when it said
 * nothing); and the code alone, to tell a connection never made.
 */
export const transportFailure = (cause: unknown): { readonly text: string; readonly code: unknown } => {
  const inner = fieldOf(cause, "cause")
  const code = fieldOf(inner, "code")
  const parts = [fieldOf(cause, "message"), code, fieldOf(inner, "message")]
  const text = parts.filter((p) => typeof p === "string" && p).join(": ")
  return { text, code }
}

/** How an answer with a status nobody expected is described. */
export const unexpectedStatusDetail = (status: number): string =>
  status === 404
    ? "not found"
    : isRedirect(status)
      ? "a redirect that could not be followed"
      : `unexpected status ${status}`

/** A success's body as JSON, or why it cannot be read as such (a content type that is not JSON, bad JSON). */
export const jsonBody = (
  contentType: string | undefined,
  text: string
): { readonly json: unknown } | { readonly reason: "ContentType" | "Decode"; readonly detail: string } => {
  if (!isJson(contentType)) {
    return { reason: "ContentType", detail: `expected a JSON body, got ${contentType ?? "no content type"}` }
  }
  try {
    return { json: JSON.parse(text) }
  } catch {
    return { reason: "Decode", detail: `the body is not valid JSON (${text.length} characters)` }
  }
}

/**
 * Why an attempt timed out: `no complete answer within 30s` (in whole
 * seconds when the limit is, else in milliseconds: `1500ms`), so that an
 * operation does not bundle a duration formatter for one message.
 */
export const timeoutDetail = (millis: number): string =>
  `no complete answer within ${millis % 1000 === 0 ? `${millis / 1000}s` : `${millis}ms`}`

/**
 * What a success's body decodes to (JSON, or XML on the legacy routes that
 * answer it: `xml.ts`'s reader), or why it cannot be used: its content type,
 * a body that does not parse, a shape `decode` refuses.
 */
export const decodedBody = <A>(
  contentType: string | undefined,
  text: string,
  xml: XmlAnswers | undefined,
  decode: (json: unknown) => A | Failure
): { readonly value: A } | { readonly reason: "ContentType" | "Decode"; readonly detail: string } => {
  const body = xml ? xml.body(contentType, text) : jsonBody(contentType, text)
  if (!("json" in body)) return body
  const value = decode(body.json)
  return value instanceof Failure
    ? { reason: "Decode", detail: decodeFailureDetail(value.path, value.missing) }
    : { value }
}

/** Why a body did not decode: a path and a kind, never a value. */
export const decodeFailureDetail = (path: ReadonlyArray<PropertyKey>, missing: boolean): string =>
  `the body does not have the expected shape: ${missing ? "missing" : "invalid"} ${
    // Field names, never empty: no path is the body itself.
    path.join(".") || "body"
  }`

/**
 * How to read a body of at most `limit` bytes: refused at once when its
 * declared length is over it; read whole when the transport enforces the
 * declared length (an uncompressed body); otherwise counted as it comes (a
 * compressed one may inflate past its length, one without a length may be
 * of any).
 */
export const bodyPlan = (
  contentLength: string | undefined,
  contentEncoding: string | undefined,
  limit: number
): { readonly tooLarge: number } | "whole" | "counted" => {
  // Number(undefined) is NaN: no declared length, never too large, not whole.
  const declared = Number(contentLength)
  if (declared > limit) return { tooLarge: declared }
  const encoding = contentEncoding?.trim().toLowerCase()
  return isFinite(declared) && (encoding === undefined || encoding === "identity") ? "whole" : "counted"
}

/**
 * Whether an answer of `status` whose body broke off (after its status and headers came) is read by its status
 * alone, as a refusal whose body was empty (each edition's `readText` then reads the body as ""), rather than as
 * a `NetworkError` with the status: when the body would not change what the status means. A 429 is `RateLimited`
 * with its `Retry-After` (a header, which came), a 5xx a server's failure (`Unexpected`), whatever the endpoint.
 * The other refusals are read so too (a 401 `Unauthorized`, a 404 `NotFound` where expected), but a 422 (its body
 * tells a revoked token from a bad request) and those of an endpoint whose own codes may come with any status: a
 * sign-in's (Plex's two-factor codes: a 401 may be a wrong password or a prompt for the code) and one with a
 * `refusedInput` code (a Home PIN's 1041). A success never is: its body is the value. A body past the size limit is
 * read by its status alike (it is not needed).
 */
export const readByStatus = (
  status: number,
  expects: { readonly twoFactor?: TwoFactorReader | undefined; readonly refusedInput?: number | undefined }
): boolean =>
  status === 429 ||
  status > 499 ||
  (status > 299 && status !== 422 && !expects.twoFactor && !expects.refusedInput)

/** What a refused answer says, as plain data; every text from the wire is scrubbed of the request's secrets. */
export interface RefusalFacts {
  readonly kind: Refusal
  readonly errors: ReadonlyArray<ErrorEntry>
  readonly retryAfterMillis: number | undefined
  readonly contentType: string | undefined
  /** For an `Unexpected` answer: how its status is described and an excerpt of its body. */
  readonly detail: string
  readonly bodyExcerpt: string | undefined
}

/**
 * Reads a refused answer: Plex's error entries (from a JSON body, or an XML
 * one on the routes that answer it: `expects.xml`), their messages scrubbed
 * (a server may echo what it was sent), what they and the status mean
 * (`classify`), the wait a `Retry-After` asks for (dated from `now`).
 */
export const refusal = (
  status: number,
  headers: { readonly [name: string]: string | undefined },
  text: string,
  secrets: ReadonlyArray<string>,
  now: number,
  expects: {
    readonly twoFactor?: TwoFactorReader | undefined
    readonly notFound?: boolean | undefined
    readonly refusedInput?: number | undefined
    readonly xml?: XmlAnswers | undefined
  }
): RefusalFacts => {
  const contentType = headers["content-type"]
  const entries = expects.xml ? expects.xml.errors(contentType, text) : errorEntries(contentType, text)
  const errors = entries.map((e) =>
    e.message === undefined ? e : { ...e, message: scrub(e.message, secrets) }
  )
  const codes = errors.flatMap((e) => (e.code === undefined ? [] : [e.code]))
  // A 422's "Invalid token" is read anywhere in its body, as python-plexapi does (`MyPlexAccount.query`, its PR
  // 1138): plex.tv answered it as XML, `<errors><error>Invalid token</error></errors>`, which a JSON route does not
  // parse. Only a 401 reads messages otherwise (the two-factor fallback), so the text goes in for a 422 alone.
  const kind = classify(
    status,
    codes,
    status === 422 ? text : errors.map((e) => e.message ?? "").join(" "),
    expects
  )
  return {
    kind,
    errors,
    retryAfterMillis: parseRetryAfter(headers["retry-after"], now),
    contentType,
    detail: unexpectedStatusDetail(status),
    bodyExcerpt: kind === "Unexpected" ? excerpt(text, secrets) : undefined
  }
}
