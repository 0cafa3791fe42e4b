/**
 * How each scripted fault turns the normal answer into another one (or into
 * no answer at all).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { Fault, Status } from "../Fault.js"
import { ConnectionFailure } from "./errors.js"
import * as Http from "./http.js"
import type { Context } from "./routes.js"

const encoder = new TextEncoder()

const defaultMessages: Record<number, string> = {
  429: "API rate limit exceeded",
  500: "Internal Server Error"
}

const status = (ctx: Context, fault: Status): Response => {
  const headers: Record<string, string> = { ...fault.headers }
  if (fault.retryAfter !== undefined) {
    headers["retry-after"] = String(Math.ceil(Duration.toMillis(fault.retryAfter) / 1000))
  }
  const gateway = fault.status === 502 || fault.status === 503 || fault.status === 504
  if (ctx.host.kind === "plexTv" && (!gateway || fault.code !== undefined || fault.message !== undefined)) {
    return Http.plexTvError(
      ctx.json,
      fault.status,
      fault.code ?? (fault.status === 429 ? 1003 : undefined),
      fault.message ?? defaultMessages[fault.status] ?? Http.reason(fault.status),
      headers
    )
  }
  return Http.htmlPage(fault.status, headers, gateway ? "<hr><center>nginx</center>" : "")
}

const bodyOf = (response: Response) =>
  Effect.promise(() => response.arrayBuffer()).pipe(Effect.map((b) => new Uint8Array(b)))

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

/** Applies `fault` to a request whose normal answer is `normal`. */
export const apply = (
  fault: Fault,
  ctx: Context,
  normal: Effect.Effect<Response>
): Effect.Effect<Response, ConnectionFailure> => {
  switch (fault._tag) {
    case "Status":
      return Effect.succeed(status(ctx, fault))
    case "Delay":
      return Effect.zipRight(
        Effect.sleep(fault.duration),
        fault.then === undefined ? normal : apply(fault.then, ctx, normal)
      )
    case "Hang":
      return Effect.never
    case "Reset":
      return Effect.fail(new ConnectionFailure({ reason: "Reset", origin: ctx.origin }))
    case "Refuse":
      return Effect.fail(new ConnectionFailure({ reason: "Refused", origin: ctx.origin }))
    case "Truncate":
      return Effect.flatMap(normal, (response) =>
        Effect.map(bodyOf(response), (data) => truncated(response, data, fault.keepBytes))
      )
    case "MalformedJson":
      return Effect.flatMap(normal, (response) =>
        Effect.map(bodyOf(response), (data) => {
          const text = new TextDecoder().decode(data)
          const broken =
            text.trim().length > 2 ? text.slice(0, Math.ceil(text.length / 2)) : '{"MediaContainer":'
          return Http.bytes(
            response.status >= 200 && response.status < 300 ? response.status : 200,
            Http.plexTvJson,
            broken
          )
        })
      )
    case "Html":
      return Effect.succeed(captivePortal(fault.status))
    case "Redirect": {
      const location =
        fault.to === undefined
          ? `${ctx.store.seed.elsewhereUrl}${ctx.url.pathname}${ctx.url.search}`
          : new URL(fault.to, ctx.url).toString()
      return Effect.succeed(
        Http.bytes(
          fault.status,
          Http.htmlType,
          `<html><body>You are being <a href="${location.replace(/"/g, "&quot;")}">redirected</a>.</body></html>`,
          { location }
        )
      )
    }
    case "ContentType":
      return Effect.map(normal, (response) => {
        const headers = new Headers(response.headers)
        headers.set("content-type", fault.contentType)
        return new Response(response.body, { status: response.status, headers })
      })
    case "Oversized":
      return Effect.succeed(oversized(fault.bytes, fault.declareLength))
    case "Respond":
      return fault.respond(ctx.request)
  }
}
