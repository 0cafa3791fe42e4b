/**
 * How each scripted fault turns the normal answer into another one (or into
 * no answer at all).
 *
 * @internal
 */
import { ConnectionFailure } from "./errors.js"
import type { Fault, Status } from "./fault.js"
import * as Http from "./http.js"
import type { Context } from "./routes.js"

const encoder = new TextEncoder()

/** plex.tv's own code and message for a status, where it has one: a scripted 401 reads as the fake's real refusal. */
const defaultCodes: Record<number, number> = { 401: 1001, 429: 1003 }
const defaultMessages: Record<number, string> = {
  401: "User could not be authenticated",
  429: "API rate limit exceeded",
  500: "Internal Server Error"
}

const status = (ctx: Context, fault: Status): Response => {
  const headers: Record<string, string> = { ...fault.headers }
  if (fault.retryAfterMillis !== undefined) {
    // The option is the Retry-After sent: one of `headers` in any case would be joined to it ("60, 5"), which no
    // client reads as a delay.
    for (const name of Object.keys(headers)) if (name.toLowerCase() === "retry-after") delete headers[name]
    headers["retry-after"] = String(Math.ceil(fault.retryAfterMillis / 1000))
  }
  const gateway = fault.status === 502 || fault.status === 503 || fault.status === 504
  if (ctx.host.kind === "plexTv" && (!gateway || fault.code !== undefined || fault.message !== undefined)) {
    return Http.plexTvError(
      ctx.json,
      fault.status,
      fault.code ?? defaultCodes[fault.status],
      fault.message ?? defaultMessages[fault.status] ?? Http.reason(fault.status),
      headers
    )
  }
  return Http.htmlPage(fault.status, headers, gateway ? "<hr><center>nginx</center>" : "")
}

/** The statuses whose answers have no body (a `Response` with one throws). */
const nullBodyStatuses: ReadonlySet<number> = new Set([204, 205, 304])

const bodyOf = async (response: Response) => new Uint8Array(await response.arrayBuffer())

/** The same status and headers with a body that stops after `keep` bytes and then fails. */
const truncated = (response: Response, data: Uint8Array, keepBytes: number | undefined): Response => {
  const declared = Math.max(data.length, 1)
  const keep = Math.max(0, Math.min(keepBytes ?? Math.floor(data.length / 2), declared - 1))
  let sent = false
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent && keep > 0) {
        sent = true
        controller.enqueue(data.slice(0, keep))
      } else {
        controller.error(new TypeError("terminated: the connection closed before the body was complete"))
      }
    }
  })
  const headers = new Headers(response.headers)
  headers.set("content-length", String(declared))
  return new Response(body, { status: response.status, headers })
}

/** A JSON body of exactly `bytes` bytes, produced lazily in 64 KiB chunks. */
const oversized = (bytes: number, declareLength: boolean): Response => {
  const prefix = encoder.encode('{"padding":"')
  const suffix = encoder.encode('"}')
  const total = Math.max(bytes, prefix.length + suffix.length)
  const fill = total - prefix.length - suffix.length
  const chunk = new Uint8Array(64 * 1024).fill(0x78)
  let written = -1
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (written < 0) {
        controller.enqueue(prefix)
        written = 0
      } else if (written < fill) {
        const size = Math.min(chunk.length, fill - written)
        controller.enqueue(chunk.slice(0, size))
        written += size
      } else {
        controller.enqueue(suffix)
        controller.close()
      }
    }
  })
  const headers: Record<string, string> = { "content-type": Http.plexTvJson }
  if (declareLength) headers["content-length"] = String(total)
  return new Response(body, { status: 200, headers })
}

const captivePortal = (status: number) =>
  Http.bytes(
    status,
    Http.htmlType,
    "<!DOCTYPE html><html><head><title>Sign in to the network</title></head>" +
      "<body><h1>Sign in to continue</h1><p>This network requires you to sign in before you can reach the internet.</p></body></html>"
  )

/** Never settles; rejects with the signal's reason once it aborts. */
const hang = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true })
  })

/**
 * Applies `fault` to a request whose normal answer `normal` builds (run only
 * when the fault uses it). Rejects with a {@link ConnectionFailure} for a
 * reset or refusal, with the signal's reason once `signal` aborts.
 */
export const apply = async (
  fault: Fault,
  ctx: Context,
  normal: () => Promise<Response>,
  sleep: (millis: number, signal: AbortSignal) => Promise<void>,
  signal: AbortSignal
): Promise<Response> => {
  switch (fault._tag) {
    case "Status":
      return status(ctx, fault)
    case "Delay":
      await sleep(fault.millis, signal)
      return fault.then === undefined ? normal() : apply(fault.then, ctx, normal, sleep, signal)
    case "Hang":
      return hang(signal)
    case "Reset":
      throw new ConnectionFailure("Reset", ctx.origin)
    case "Refuse":
      throw new ConnectionFailure("Refused", ctx.origin)
    case "Truncate": {
      const response = await normal()
      // An answer that has no body (204, 205, 304) has none to cut short: its connection drops before it ends,
      // which the client sees as it sees a cut body (a transport failure), not a fault that fails the fake.
      if (nullBodyStatuses.has(response.status)) throw new ConnectionFailure("Reset", ctx.origin)
      return truncated(response, await bodyOf(response), fault.keepBytes)
    }
    case "MalformedJson": {
      const response = await normal()
      const text = new TextDecoder().decode(await bodyOf(response))
      const broken = text.trim().length > 2 ? text.slice(0, Math.ceil(text.length / 2)) : '{"MediaContainer":'
      return Http.bytes(
        response.status >= 200 && response.status < 300 ? response.status : 200,
        Http.plexTvJson,
        broken
      )
    }
    case "Html":
      return captivePortal(fault.status)
    case "Redirect": {
      const location =
        fault.to === undefined
          ? `${ctx.store.seed.elsewhereUrl}${ctx.url.pathname}${ctx.url.search}`
          : new URL(fault.to, ctx.url).toString()
      return Http.bytes(
        fault.status,
        Http.htmlType,
        `<html><body>You are being <a href="${location.replace(/"/g, "&quot;")}">redirected</a>.</body></html>`,
        { location }
      )
    }
    case "ContentType": {
      const response = await normal()
      const headers = new Headers(response.headers)
      headers.set("content-type", fault.contentType)
      return new Response(response.body, { status: response.status, headers })
    }
    case "Oversized":
      return oversized(fault.bytes, fault.declareLength)
    case "Respond":
      return fault.respond(ctx.request, { signal })
  }
}
