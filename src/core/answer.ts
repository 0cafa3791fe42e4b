/**
 * Reading an answer, the parts that are facts and not Effect: what a
 * transport failure says, how an unexpected status is described, and whether
 * a success's body is JSON at all. Plain functions, shared by both editions'
 * `read.ts`.
 *
 * @internal
 */
import { isJson, isRedirect } from "./policy.js"
import type { XmlAnswers } from "./xml.js"

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

/** Whether a content type is XML (`application/xml`, `text/xml`, `application/…+xml`). */
export const isXml = (contentType: string | null | undefined): boolean =>
  typeof contentType === "string" && /^(application|text)\/([\w.+-]*\+)?xml\b/i.test(contentType.trim())

/**
 * The `Accept` header of a request: `application/xml` for an operation that
 * reads XML (it hands over `xml.ts`'s `answers`: plex.tv's legacy routes,
 * which answer XML whatever is asked; python-plexapi `MyPlexAccount.query`
 * reads them with `ElementTree`, and @ctrl/plex `MyPlexAccount.query`, though
 * it sends `Accept: application/json` to `/api/users/`, reads the XML
 * attributes, `data.$`, xml2js gives back), `application/json` otherwise.
 */
export const acceptFor = (xml: XmlAnswers | undefined): string =>
  xml === undefined ? "application/json" : "application/xml"

/**
 * A success's body as the JSON value it decodes from, or why it cannot be
 * read: JSON by its content type; with `xml` (an operation reading XML),
 * XML too (by its content type, or a body starting with `<` when none was
 * sent), read to its JSON shape (`{"MediaContainer": {"Device": [...]}}`,
 * attributes as strings).
 */
export const payloadBody = (
  contentType: string | undefined,
  text: string,
  xml: XmlAnswers | undefined
): { readonly json: unknown } | { readonly reason: "ContentType" | "Decode"; readonly detail: string } => {
  if (xml === undefined || isJson(contentType)) return jsonBody(contentType, text)
  if (!isXml(contentType) && !(contentType === undefined && text.trimStart().startsWith("<"))) {
    return { reason: "ContentType", detail: `expected an XML body, got ${contentType ?? "no content type"}` }
  }
  const read = xml.body(text)
  return "json" in read
    ? read
    : { reason: "Decode", detail: `the body is not valid XML: ${read.error.message}` }
}

/** Why a body did not decode: a path and a kind, never a value. */
export const decodeFailureDetail = (path: ReadonlyArray<PropertyKey>, missing: boolean): string =>
  `the body does not have the expected shape: ${missing ? "missing" : "invalid"} ${
    path.length > 0 ? path.map(String).join(".") : "body"
  }`
