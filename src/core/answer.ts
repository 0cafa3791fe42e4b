/**
 * Reading an answer, the parts that are facts and not Effect: what a
 * transport failure says, how an unexpected status is described, and whether
 * a success's body is JSON at all. Plain functions, shared by both editions'
 * `read.ts`.
 *
 * @internal
 */
import { isJson, isRedirect } from "./policy.js"

const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined

/**
 * What a failed `fetch` said: its message, the system error code under it
 * (`ECONNREFUSED`, ...) and that error's message, joined (empty when it said
 * nothing); and the code alone, to tell a connection never made.
 */
export const transportFailure = (cause: unknown): { readonly text: string; readonly code: unknown } => {
  const code = field(field(cause, "cause"), "code")
  const parts = [field(cause, "message"), code, field(field(cause, "cause"), "message")]
  const text = parts.filter((p): p is string => typeof p === "string" && p.length > 0).join(": ")
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

/** Why a body did not decode: a path and a kind, never a value. */
export const decodeFailureDetail = (path: ReadonlyArray<PropertyKey>, missing: boolean): string =>
  `the body does not have the expected shape: ${missing ? "missing" : "invalid"} ${
    path.length > 0 ? path.map(String).join(".") : "body"
  }`
