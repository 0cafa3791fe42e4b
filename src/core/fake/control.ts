/**
 * The fake's control API over HTTP, for a program that runs apart from it
 * (`plex-auth fake-server`, a loopback `serve()`, a test in any language):
 * JSON endpoints on plex.tv's origin under `/__fake/`, a prefix Plex never
 * uses. Each is a thin reading of a control call the in-process kits have
 * (`fault`, `clearFaults`, `revokeToken`, `revokeDevice`, `unregisterDeviceKey`, `requests`,
 * `clearRequests`): no logic of its own. Control requests are neither
 * recorded nor faulted (a fault on every plex.tv request still lets the test
 * clear it), and a token sent to revoke is never echoed.
 *
 * - `POST /__fake/faults` `{"target": ..., "fault": {"type": ..., ...}, "times": n}`: `target` as `fault`'s
 *   (a route name, a `/path`, or `{"route", "path", "method", "origin"}`), `fault.type` the name of a
 *   `handlerFaults` constructor with its options as the other fields (`{"type": "status", "status": 429,
 *   "retryAfterMillis": 30000}`, `{"type": "delay", "millis": 2000, "then": {...}}`, `{"type": "hang"}`,
 *   `{"type": "reset"}`, ...), `times` default every request. 204; 400 `{"error"}` for a fault the fake refuses.
 * - `DELETE /__fake/faults`: clears every fault. 204.
 * - `POST /__fake/revoke` `{"token": "..."}`, `{"device": "<client identifier>"}` or `{"deviceKey": "<kid>"}`:
 *   plex.tv then refuses the token (every token handed to the device, and its device keys), or a device JWT signed
 *   with the key (`unregisterDeviceKey`). 200 `{"revoked": true|false}` (false: unknown or already revoked).
 * - `GET /__fake/requests`: the request log as JSON, every secret `"<redacted>"`. `DELETE` forgets it. 204.
 *
 * A request that changes the fake (every `POST` and `DELETE`, with a body or without) must carry `Content-Type:
 * application/json`, or it is refused (415) and changes nothing: a web page open on the developer's machine can
 * send a cross-origin "simple" request to the loopback fake without asking (a form's POST, a `text/plain`
 * fetch), but not one of that type, which needs a CORS preflight; the control API never answers one (no CORS
 * headers under `/__fake/`, even for the fake's `allowOrigins`: it is for programs, not pages).
 *
 * A control request whose `Host` header names another host than the fake's own address (the host and port
 * of the URL it was served on; for a loopback one, `localhost` with that port too) is refused (403) and
 * changes nothing: a page whose own name a DNS rebinding points at the loopback fake (`evil.example:41231`
 * resolved to 127.0.0.1) would be of the same origin as the fake, and read the request log or script it. A
 * request with no `Host` (one handed to the handler in memory) is answered.
 *
 * @internal
 */
import { FakePlexError } from "./errors.js"
import * as Fault from "./fault.js"
import * as Http from "./http.js"
import type { FakePlex } from "./fake.js"
import type { Store } from "./store.js"
import type { FaultTarget } from "./types.js"

/** The path prefix of the control API, on plex.tv's origins. */
export const prefix = "/__fake/"

/** A JSON answer, with its `Content-Length` as the fake's every answer. */
const json = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Response =>
  Http.bytes(status, "application/json; charset=utf-8", JSON.stringify(body), {
    "cache-control": "no-store",
    ...headers
  })

const noContent = (): Response => Http.empty(204)

const refused = (message: string): Response => json(400, { error: message })

/** A body's JSON object, or a message saying why it is not one (never showing the body: it may hold a token). */
const objectOf = (body: string): Record<string, unknown> | string => {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return "the body must be a JSON object"
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : "the body must be a JSON object"
}

/** The fields each fault type takes besides `type` (its constructor's options). */
const faultFields: Readonly<Record<string, ReadonlyArray<string>>> = {
  status: ["status", "retryAfterMillis", "code", "message", "headers"],
  delay: ["millis", "then"],
  hang: [],
  reset: [],
  refuse: [],
  truncate: ["keepBytes"],
  malformedJson: [],
  html: ["status"],
  redirect: ["status", "to"],
  contentType: ["contentType"],
  oversized: ["bytes", "declareLength"]
}

/** A fault from its JSON form, through `Fault`'s constructors (which check it); throws a `FakePlexError`. */
export const faultOf = (value: unknown): Fault.Fault => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FakePlexError('the fault must be an object with a "type"')
  }
  const { type, ...fields } = value as Record<string, unknown>
  const known = typeof type === "string" && Object.hasOwn(faultFields, type) ? faultFields[type] : undefined
  if (known === undefined) {
    throw new FakePlexError(
      `the fault's type must be one of ${Object.keys(faultFields).join(", ")}, got ${typeof type === "string" ? JSON.stringify(type) : typeof type}`
    )
  }
  const unknown = Object.keys(fields).filter((name) => !known.includes(name))
  if (unknown.length > 0) {
    throw new FakePlexError(
      `a ${type} fault takes ${known.length === 0 ? "no fields" : known.join(", ")}, not ${unknown.join(", ")}`
    )
  }
  // Untyped JSON, checked by the constructors (as a call from untyped JavaScript is).
  const f = fields as Record<string, never>
  const field = (name: string) => f[name] as never
  switch (type) {
    case "status": {
      const { status: _, ...options } = f
      return Fault.status(field("status"), options)
    }
    case "delay":
      return Fault.delay(field("millis"), f["then"] === undefined ? undefined : faultOf(f["then"]))
    case "hang":
      return Fault.hang
    case "reset":
      return Fault.reset
    case "refuse":
      return Fault.refuse
    case "truncate":
      return Fault.truncate(f)
    case "malformedJson":
      return Fault.malformedJson
    case "html":
      return Fault.html(f)
    case "redirect":
      return Fault.redirect(f)
    case "contentType":
      return Fault.contentType(field("contentType"))
    default:
      return Fault.oversized(f)
  }
}

const routes = {
  faults: {
    POST: (fake, _store, body) => {
      const request = objectOf(body)
      if (typeof request === "string") return refused(request)
      const { fault, target, times, ...rest } = request
      if (Object.keys(rest).length > 0) {
        return refused(`the body takes target, fault and times, not ${Object.keys(rest).join(", ")}`)
      }
      if (target === undefined) return refused("the body needs a target (a route name, a /path or an object)")
      fake.fault(target as FaultTarget, faultOf(fault), { times: times as number | undefined })
      return noContent()
    },
    DELETE: (fake) => {
      fake.clearFaults()
      return noContent()
    }
  },
  revoke: {
    POST: (fake, _store, body) => {
      const request = objectOf(body)
      if (typeof request === "string") return refused(request)
      const { device, deviceKey, token, ...rest } = request
      const given = [token, device, deviceKey].filter((value) => value !== undefined).length
      if (Object.keys(rest).length > 0 || given !== 1) {
        return refused(
          'the body must be {"token": "..."}, {"device": "<client identifier>"} or {"deviceKey": "<kid>"}'
        )
      }
      if (deviceKey !== undefined) {
        if (typeof deviceKey !== "string") return refused("the deviceKey must be its kid (a string)")
        return json(200, { revoked: fake.unregisterDeviceKey(deviceKey) })
      }
      if (token !== undefined) {
        if (typeof token !== "string") return refused("the token must be a string")
        return json(200, { revoked: fake.revokeToken(token) })
      }
      if (typeof device !== "string") return refused("the device must be its client identifier (a string)")
      return json(200, { revoked: fake.revokeDevice(device) })
    }
  },
  requests: {
    // A Secret serialises as "<redacted>".
    GET: (fake) => json(200, fake.requests()),
    DELETE: (fake) => {
      fake.clearRequests()
      return noContent()
    }
  }
} satisfies Record<string, Record<string, (fake: FakePlex, store: Store, body: string) => Response>>

/** Whether a `Content-Type` header names JSON (`application/json`, parameters such as `charset` allowed). */
const isJson = (contentType: string | null): boolean =>
  (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase() === "application/json"

/** Why a state-changing control request without the JSON content type is refused (see the module's docs). */
export const contentTypeMessage =
  "a control request that changes the fake (POST, DELETE) must be sent with Content-Type: application/json, even without a body (a web page cannot send that type to another origin unasked)"

/** The loopback hosts: the ones a `Host` of `localhost` (with the same port) may stand for. */
const loopbackHosts: ReadonlyArray<string> = ["127.0.0.1", "[::1]", "localhost"]

/**
 * Whether a control request's `Host` header names the fake's own address: the host (and port) of `url`, the
 * URL it was served on, or `localhost` with that port when `url` is a loopback one. No `Host` (a request in
 * memory): true.
 */
export const isOwnHost = (host: string | null, url: URL): boolean => {
  if (host === null) return true
  let named: URL
  try {
    named = new URL(`${url.protocol}//${host.trim()}`)
  } catch {
    return false
  }
  // Only a host and port: no userinfo, path, query or fragment hidden in it.
  if (
    named.username !== "" ||
    named.password !== "" ||
    named.pathname !== "/" ||
    named.search !== "" ||
    named.hash !== ""
  ) {
    return false
  }
  if (named.host === url.host) return true
  return named.hostname === "localhost" && named.port === url.port && loopbackHosts.includes(url.hostname)
}

/** Why a control request naming another host is refused (see the module's docs). */
export const hostMessage = (url: URL): string =>
  `a control request must name the fake's own address in its Host header (${url.host}): a web page that a DNS rebinding points at the fake names its own`

/**
 * Answers a control request (its URL, whose path is under {@link prefix}, its headers, its body read): a
 * `Host` that is not the fake's own address ({@link isOwnHost}) is refused first (403). A refused argument is a 400 with
 * the `FakePlexError`'s message (`Fault`'s constructors and `fault` never show a token: none of their
 * arguments is one).
 */
export const answer = (
  fake: FakePlex,
  store: Store,
  method: string,
  url: URL,
  headers: Headers,
  body: string
): Response => {
  if (!isOwnHost(headers.get("host"), url)) return json(403, { error: hostMessage(url) })
  const path = url.pathname
  const contentType = headers.get("content-type")
  const name = path.slice(prefix.length)
  const endpoint: Record<string, (fake: FakePlex, store: Store, body: string) => Response> | undefined =
    Object.hasOwn(routes, name) ? routes[name as keyof typeof routes] : undefined
  if (endpoint === undefined) {
    return json(404, {
      error: `no such control endpoint (they are ${Object.keys(routes)
        .map((r) => prefix + r)
        .join(", ")})`
    })
  }
  const call = Object.hasOwn(endpoint, method) ? endpoint[method] : undefined
  if (call === undefined) {
    return json(
      405,
      { error: `${path} answers ${Object.keys(endpoint).join(", ")}` },
      {
        allow: Object.keys(endpoint).join(", ")
      }
    )
  }
  if (method !== "GET" && !isJson(contentType)) return json(415, { error: contentTypeMessage })
  try {
    return call(fake, store, body)
  } catch (error) {
    if (error instanceof FakePlexError || error instanceof RangeError) return refused(error.message)
    throw error
  }
}
