/**
 * Building the fake's answers: JSON or XML as the request asks, plex.tv
 * error bodies, PMS and gateway HTML pages, and a `Content-Length` on every
 * body, as real servers send.
 *
 * @internal
 */
import * as Xml from "./xml.js"

const encoder = new TextEncoder()

export const plexTvJson = "application/json; charset=utf-8"
export const plexTvXml = "application/xml; charset=utf-8"
export const pmsJson = "application/json"
export const pmsXml = "text/xml;charset=utf-8"
export const htmlType = "text/html; charset=utf-8"

/** A response with an exact `Content-Length`. */
export const bytes = (
  status: number,
  contentType: string | undefined,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Readonly<Record<string, string>> = {}
): Response => {
  const data = typeof body === "string" ? encoder.encode(body) : body
  const all = new Headers(headers)
  if (contentType !== undefined) all.set("content-type", contentType)
  // A 205 has no body (a Response with one throws) and says so: Content-Length 0 (RFC 9110 15.3.6), which the
  // client's HTTP parser, reading a 205 as any other status, needs to see the answer end. A 204 or 304 has no body
  // either, and no Content-Length: RFC 9110 8.6 forbids one in a 204, and allows one in a 304 only as the length a
  // 200 would carry, which is not this body's (a `Fault.html({ status: 304 })` page stands in for the route's answer).
  if (status === 204 || status === 304) all.delete("content-length")
  else all.set("content-length", status === 205 ? "0" : String(data.length))
  return new Response(status === 204 || status === 205 || status === 304 ? null : data, {
    status,
    headers: all
  })
}

/**
 * A response without a body: Content-Length 0, but none in a 204 (RFC 9110 8.6 forbids it there, as for
 * {@link bytes}'s 204).
 */
export const empty = (status: number, headers: Readonly<Record<string, string>> = {}): Response =>
  new Response(null, { status, headers: status === 204 ? headers : { ...headers, "content-length": "0" } })

/** Whether a request asks for JSON (Plex answers XML otherwise). */
export const wantsJson = (headers: Headers): boolean =>
  /\bapplication\/(?:[\w.+-]*\+)?json\b|\*\/json\b/i.test(headers.get("accept") ?? "")

/** A plex.tv payload as JSON, or as XML under `root` when JSON was not asked for. */
export const plexTv = (
  json: boolean,
  status: number,
  root: string,
  payload: unknown,
  headers?: Record<string, string>
) =>
  json
    ? bytes(status, plexTvJson, JSON.stringify(payload), headers)
    : bytes(status, plexTvXml, Xml.document(root, payload), headers)

/** A plex.tv error body: `{"errors":[{"code","message","status"}]}` or its XML form. */
export const plexTvError = (
  json: boolean,
  status: number,
  code: number | undefined,
  message: string,
  headers?: Record<string, string>
) => {
  const error = code === undefined ? { message, status } : { code, message, status }
  return json
    ? bytes(status, plexTvJson, JSON.stringify({ errors: [error] }), headers)
    : bytes(status, plexTvXml, Xml.list("errors", "error", [error]), headers)
}

/** A PMS `MediaContainer`, as JSON or XML. */
export const pms = (json: boolean, status: number, container: Record<string, unknown>) =>
  json
    ? bytes(status, pmsJson, JSON.stringify({ MediaContainer: container }))
    : bytes(status, pmsXml, Xml.document("MediaContainer", container))

/** A PMS document whose root is not a `MediaContainer` (`/myplex/account`'s `MyPlex`), as JSON or XML. */
export const pmsDocument = (json: boolean, status: number, root: string, value: Record<string, unknown>) =>
  json
    ? bytes(status, pmsJson, JSON.stringify({ [root]: value }))
    : bytes(status, pmsXml, Xml.document(root, value))

const reasons: Record<number, string> = {
  200: "OK",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  422: "Unprocessable Entity",
  425: "Too Early",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}

/** The reason phrase of a status. */
export const reason = (status: number): string => reasons[status] ?? "Error"

/** The small HTML page a PMS (or a gateway in front of plex.tv) answers errors with. */
export const htmlPage = (status: number, headers?: Record<string, string>, footer = "") =>
  bytes(
    status,
    htmlType,
    `<html><head><title>${status} ${reason(status)}</title></head><body><h1>${status} ${reason(status)}</h1>${footer}</body></html>`,
    headers
  )
