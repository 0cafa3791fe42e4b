/**
 * Reading an answer, the parts that are facts and not Effect: what a
 * transport failure says, how an unexpected status is described, and whether
 * a success's body is JSON at all. Plain functions, shared by both editions'
 * `read.ts`.
 *
 * @internal
 */
import { isJson, isRedirect } from "./policy.js"
import { isXml, parseToJson, XmlError } from "./xml.js"

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

/**
 * What an operation's answer is read as: `"json"` (plex.tv's v2 API and a
 * PMS asked for JSON), or `"xml"` for plex.tv's legacy routes, which answer
 * XML whatever the request asks for (python-plexapi `MyPlexAccount.query`
 * reads them with `ElementTree`; @ctrl/plex `MyPlexAccount.query` sends
 * `Accept: application/json` to `/api/users/` and still reads the XML
 * attributes, `data.$`, xml2js gives back).
 */
export type BodyFormat = "json" | "xml"

export { isXml }

/** The `Accept` header a request whose answer is read as `format` sends. */
export const acceptFor = (format: BodyFormat | undefined): string =>
  format === "xml" ? "application/xml" : "application/json"

/**
 * A success's body as the JSON value it decodes from, or why it cannot be
 * read: JSON by its content type whatever `format` says; with `format`
 * `"xml"`, XML (by its content type, or a body starting with `<` when none
 * was sent) read to its JSON shape (`xml.ts`'s `toJson`:
 * `{"MediaContainer": {"Device": [...]}}`, attributes as strings).
 */
export const payloadBody = (
  contentType: string | undefined,
  text: string,
  format: BodyFormat | undefined
): { readonly json: unknown } | { readonly reason: "ContentType" | "Decode"; readonly detail: string } => {
  if (format !== "xml" || isJson(contentType)) return jsonBody(contentType, text)
  if (!isXml(contentType) && !(contentType === undefined && text.trimStart().startsWith("<"))) {
    return { reason: "ContentType", detail: `expected an XML body, got ${contentType ?? "no content type"}` }
  }
  const json = parseToJson(text)
  return json instanceof XmlError
    ? { reason: "Decode", detail: `the body is not valid XML: ${json.message}` }
    : { json }
}

/** Why a body did not decode: a path and a kind, never a value. */
export const decodeFailureDetail = (path: ReadonlyArray<PropertyKey>, missing: boolean): string =>
  `the body does not have the expected shape: ${missing ? "missing" : "invalid"} ${
    path.length > 0 ? path.map(String).join(".") : "body"
  }`
