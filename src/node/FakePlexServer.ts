/**
 * The fake Plex of `effect-plex-auth/testing`, served over real HTTP on
 * loopback (Node only).
 *
 * Every origin the fake answers on gets its own `127.0.0.1` port: plex.tv,
 * clients.plex.tv (the JWT host), the unrelated redirect host, and each
 * connection of each fake server. The fake is seeded with those loopback
 * URLs, so the URLs it hands out (resources, source connections, redirects)
 * are all reachable, and a redirect from plex.tv to another host really
 * crosses origins. Point the client at it with `PlexTv.layer(fake.plexTvUrl)`,
 * `Jwt.layerHost(fake.clientsUrl)` and `PlexServer.layer(fake.serverUrl)` and
 * use `FetchHttpClient.layer`.
 *
 * Faults behave as on the wire: a reset destroys the socket, a truncated
 * body is cut short under a larger `Content-Length`. Delays follow the
 * `Clock` of the Effect that built the server.
 *
 * @since 0.1.0
 */
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from "node:http"
import { createServer } from "node:http"
import type { Socket } from "node:net"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import * as Core from "../core/fake/index.js"
import * as FakePlex from "../testing/FakePlex.js"
import { fromCore, randomIntOf, toCoreOptions } from "../testing/internal/binding.js"

/**
 * The loopback server could not start (a port could not be bound).
 *
 * @since 0.1.0
 * @category errors
 */
export class ServeError extends Data.TaggedError("ServeError")<{
  readonly message: string
  readonly cause: unknown
}> {}

/**
 * A running loopback server: the fake it serves (whose URLs are the
 * loopback ones) and its socket accounting.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakePlexServerService {
  /** The fake, as `FakePlex.FakePlex` provides it. */
  readonly fake: FakePlex.FakePlexService
  /** plex.tv on loopback, e.g. `http://127.0.0.1:41231`. */
  readonly plexTvUrl: string
  /** clients.plex.tv (the JWT host) on loopback, for `Jwt.layerHost`. */
  readonly clientsUrl: string
  /** The default server's first connection on loopback. */
  readonly serverUrl: string
  /** Every loopback origin served. */
  readonly urls: ReadonlyArray<string>
  /** How many client sockets are open right now. */
  readonly openSockets: Effect.Effect<number>
  /** How many requests are being handled right now. */
  readonly activeRequests: Effect.Effect<number>
  /** Completes once exactly `count` sockets are open (at once if they already are). */
  readonly awaitOpenSockets: (count: number) => Effect.Effect<void>
  /** Completes once exactly `count` requests are being handled (at once if they already are). */
  readonly awaitActiveRequests: (count: number) => Effect.Effect<void>
}

/**
 * The loopback server service.
 *
 * @since 0.1.0
 * @category tags
 */
export class FakePlexServer extends Context.Tag("effect-plex-auth/node/FakePlexServer")<
  FakePlexServer,
  FakePlexServerService
>() {}

const toWebRequest = (origin: string, req: IncomingMessage, body: Buffer): Request => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  const method = req.method ?? "GET"
  const hasBody = method !== "GET" && method !== "HEAD" && body.length > 0
  return new Request(new URL(req.url ?? "/", origin), {
    method,
    headers,
    body: hasBody ? new Uint8Array(body) : null
  })
}

/**
 * The largest request body the loopback server reads: 1 MiB. Plex's requests
 * are small forms and JSON documents; a larger body (declared by
 * `Content-Length` or streamed) is answered `413 Payload Too Large` as soon
 * as it is known to be too large, and is never buffered.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxRequestBodyBytes: number = Core.maxRequestBodyBytes

/** A body past {@link maxRequestBodyBytes}: its bytes were not kept. */
const tooLarge = Symbol("tooLarge")

/** Reads the body, up to `limit` bytes; past it, stops keeping bytes and answers {@link tooLarge}. */
const readBody = (req: IncomingMessage, limit: number): Effect.Effect<Buffer | typeof tooLarge, Error> =>
  Effect.async<Buffer | typeof tooLarge, Error>((resume) => {
    const declared = Number(req.headers["content-length"])
    if (Number.isFinite(declared) && declared > limit) {
      resume(Effect.succeed(tooLarge))
      return
    }
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.off("data", onData)
        chunks.length = 0
        resume(Effect.succeed(tooLarge))
        return
      }
      chunks.push(chunk)
    }
    req.on("data", onData)
    req.once("end", () => resume(Effect.succeed(Buffer.concat(chunks))))
    req.once("error", (error) => resume(Effect.fail(error)))
  })

/**
 * Answers 413 and closes the connection. What the client still sends is read
 * and dropped (never kept) until the answer is out, so the client sees the
 * answer rather than a reset; a client that keeps sending past
 * 16 × {@link maxRequestBodyBytes} more is cut off.
 */
const refuseBody = (req: IncomingMessage, res: ServerResponse): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    let discarded = 0
    let finished = false
    const finish = () => {
      if (finished) return
      finished = true
      req.socket.destroy()
      resume(Effect.void)
    }
    req.on("data", (chunk: Buffer) => {
      discarded += chunk.length
      if (discarded > 16 * maxRequestBodyBytes) finish()
    })
    req.resume()
    const text = Core.payloadTooLargeText(maxRequestBodyBytes)
    res.writeHead(413, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(text),
      connection: "close"
    })
    res.end(text, () => {
      // Stop reading: the answer is out. Half-close, then drop the connection once the client is done.
      req.socket.end()
      if (req.complete) finish()
      else {
        req.once("end", finish)
        req.socket.once("close", finish)
      }
    })
    return Effect.sync(() => req.socket.destroy())
  })

/** Writes one chunk and waits until it is handed to the socket (or the socket is gone). */
const writeChunk = (res: ServerResponse, chunk: Uint8Array): Promise<void> =>
  new Promise((resolve) => {
    if (res.destroyed) return resolve()
    const onClose = () => resolve()
    res.once("close", onClose)
    res.write(chunk, () => {
      res.off("close", onClose)
      resolve()
    })
  })

/** Sends a web `Response`; a body stream that fails destroys the socket after what was sent. */
const writeResponse = (res: ServerResponse, response: Response): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const headers: OutgoingHttpHeaders = {}
    response.headers.forEach((value, name) => {
      headers[name] = value
    })
    res.writeHead(response.status, headers)
    const body = response.body
    if (body === null) {
      res.end(() => resume(Effect.void))
      return
    }
    const reader = body.getReader()
    const pump = async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          await writeChunk(res, value)
        }
        res.end()
      } catch {
        res.destroy()
      }
    }
    void pump().then(() => resume(Effect.void))
    return Effect.sync(() => {
      reader.cancel().catch(() => undefined)
      res.destroy()
    })
  })

const listen = (
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
  onSocket: (socket: Socket) => void
): Effect.Effect<Server, ServeError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Server, ServeError>((resume) => {
      const server = createServer(onRequest)
      server.on("connection", onSocket)
      server.once("error", (cause) =>
        resume(
          Effect.fail(new ServeError({ message: `could not listen on 127.0.0.1: ${cause.message}`, cause }))
        )
      )
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  )

/**
 * Starts the fake on loopback, one port per origin, for the life of the
 * scope. Closing the scope interrupts the requests in flight, destroys every
 * open socket and closes the ports.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: FakePlex.Options = {}
): Effect.Effect<FakePlexServerService, ServeError, Scope.Scope> =>
  Effect.gen(function* () {
    const coreOptions = toCoreOptions(options)
    const origins = Core.origins(coreOptions)
    const runtime = yield* Effect.runtime<never>()
    const sockets = new Set<Socket>()
    const waiters = new Set<() => void>()
    const inFlight = new Set<Fiber.RuntimeFiber<void, never>>()
    const changed = () => {
      for (const waiter of [...waiters]) waiter()
    }
    /** Completes once `current()` equals `count`, re-checked on every socket and request change. */
    const awaitCount = (current: () => number, count: number) =>
      Effect.async<void>((resume) => {
        const check = () => {
          if (current() === count) {
            waiters.delete(check)
            resume(Effect.void)
          }
        }
        waiters.add(check)
        check()
        return Effect.sync(() => waiters.delete(check))
      })

    let closing = false
    const onSocket = (socket: Socket) => {
      if (closing) {
        socket.destroy()
        return
      }
      sockets.add(socket)
      changed()
      socket.once("close", () => {
        sockets.delete(socket)
        changed()
      })
    }

    let serve: (origin: string, req: IncomingMessage, res: ServerResponse) => void = (_origin, _req, res) => {
      res.destroy()
    }
    const servers = new Map<string, Server>()
    const loopback = new Map<string, string>()
    for (const origin of origins) {
      servers.set(origin, yield* listen((req, res) => serve(loopback.get(origin) ?? "", req, res), onSocket))
    }
    for (const [origin, server] of servers) {
      const address = server.address()
      if (address === null || typeof address === "string") {
        return yield* new ServeError({ message: "a loopback server has no port", cause: address })
      }
      loopback.set(origin, `http://127.0.0.1:${address.port}`)
    }
    // The same web handler as the in-memory fake, its URLs the loopback ones.
    const fake = fromCore(
      Core.makeFakePlex({
        ...coreOptions,
        randomInt: randomIntOf(yield* Effect.random),
        rebase: (origin) => loopback.get(origin) ?? origin
      })
    )

    const handleOne = (origin: string, req: IncomingMessage, res: ServerResponse) =>
      Effect.gen(function* () {
        const body = yield* readBody(req, maxRequestBodyBytes)
        if (body === tooLarge) return yield* refuseBody(req, res)
        const answer = yield* Effect.either(fake.handle(toWebRequest(origin, req, body)))
        if (Either.isLeft(answer)) {
          req.socket.destroy()
          return
        }
        yield* writeResponse(res, answer.right)
      }).pipe(
        Effect.catchAll(() =>
          Effect.sync(() => {
            req.socket.destroy()
          })
        ),
        Effect.catchAllDefect((defect) =>
          Effect.sync(() => {
            if (!res.headersSent) {
              res.writeHead(500, { "content-type": "text/plain; charset=utf-8" })
              res.end(`fake Plex failed: ${String(defect)}`)
            } else res.destroy()
          })
        )
      )

    serve = (origin, req, res) => {
      const fiber = Runtime.runFork(runtime)(handleOne(origin, req, res))
      inFlight.add(fiber)
      changed()
      fiber.addObserver(() => {
        inFlight.delete(fiber)
        changed()
      })
      res.once("close", () => {
        if (!res.writableFinished) {
          // The client went away: stop the handler and drop the connection with it.
          req.socket.destroy()
          Runtime.runFork(runtime)(Fiber.interrupt(fiber))
        }
      })
    }

    // Runs before the ports close: end the requests in flight, then destroy
    // every socket and wait until each has closed.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        closing = true
        yield* Effect.forEach([...inFlight], (fiber) => Fiber.interrupt(fiber), { discard: true })
        for (const socket of sockets) socket.destroy()
        yield* awaitCount(() => sockets.size, 0)
      })
    )

    return {
      fake,
      plexTvUrl: fake.plexTvUrl,
      clientsUrl: fake.clientsUrl,
      serverUrl: fake.serverUrl,
      urls: [...loopback.values()],
      openSockets: Effect.sync(() => sockets.size),
      activeRequests: Effect.sync(() => inFlight.size),
      awaitOpenSockets: (count) => awaitCount(() => sockets.size, count),
      awaitActiveRequests: (count) => awaitCount(() => inFlight.size, count)
    } satisfies FakePlexServerService
  })

/**
 * The loopback server as a layer, with the fake as `FakePlex.FakePlex` (its
 * URLs the loopback ones). Use it with `FetchHttpClient.layer`.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 * import { ClientIdentity, Credentials, PlexAuth, PlexTv } from "effect-plex-auth"
 * import { FakePlexServer } from "effect-plex-auth/node"
 *
 * const program = Effect.gen(function* () {
 *   const server = yield* FakePlexServer.FakePlexServer
 *   return yield* PlexAuth.getTokenDetails().pipe(
 *     PlexTv.withUrl(server.plexTvUrl),
 *     Credentials.withToken(server.fake.token)
 *   )
 * }).pipe(
 *   Effect.provide(
 *     Layer.mergeAll(
 *       FakePlexServer.layer(),
 *       FetchHttpClient.layer,
 *       ClientIdentity.layer({ clientIdentifier: "demo-client", product: "Demo" })
 *     )
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: FakePlex.Options = {}
): Layer.Layer<FakePlexServer | FakePlex.FakePlex, ServeError> =>
  Layer.scopedContext(
    Effect.map(make(options), (server) =>
      Context.make(FakePlexServer, server).pipe(Context.add(FakePlex.FakePlex, server.fake))
    )
  )
