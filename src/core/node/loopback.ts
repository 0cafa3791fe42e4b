/**
 * Serving a web handler (`Request` → `Promise<Response>`) over real HTTP on
 * loopback, once for everyone: Node's `http` server, one `127.0.0.1` port
 * per origin, in plain TypeScript with no Effect in it. The fake Plex's
 * loopback servers are thin layers over it: `FakePlexServer` of both
 * editions (their errors, their `Scope`, the handler run as an Effect) and
 * the Effect-free `effect-plex-auth/fake/node`.
 *
 * What it does on the wire:
 * - A request is turned into a web `Request` of its origin (the loopback
 *   port's origin before the fake rebased it), its body read up to
 *   `maxRequestBodyBytes`; a larger body (declared or streamed) is answered
 *   `413` as soon as it is known, and never buffered.
 * - The handler's `Response` is written as it streams; a body stream that
 *   fails destroys the socket after what was sent (a truncated body). A
 *   handler that rejects destroys the socket (a reset).
 * - A client that goes away aborts the handler's `signal`.
 * - An idle keep-alive connection is the client's to close: the server has
 *   no keep-alive timeout of its own (see {@link keepAliveTimeout}).
 * - {@link Loopback.close} aborts every request in flight, waits for their
 *   handlers, destroys every socket (idle keep-alive ones, and ones that
 *   never sent a request, included) and closes the ports: it never waits for
 *   a timeout.
 *
 * @internal
 */
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from "node:http"
import { createServer } from "node:http"
import type { Socket } from "node:net"
import { FakePlexError, payloadTooLargeText } from "../fake/index.js"

/**
 * Answers one request of `origin` (the loopback URL it came to); rejecting destroys the socket. `signal`
 * aborts when the client goes away or the server closes.
 */
export type Handler = (
  request: Request,
  context: { readonly origin: string; readonly signal: AbortSignal }
) => Promise<Response>

/** Loopback ports serving one handler. */
export interface Loopback {
  /** The loopback URL (`http://127.0.0.1:<port>`) of each origin. */
  readonly urls: ReadonlyMap<string, string>
  /** Serves `handler` from now on (until then every request's socket is destroyed). */
  readonly serve: (handler: Handler) => void
  /** How many client sockets are open right now. */
  readonly openSockets: () => number
  /** How many requests are being handled right now. */
  readonly activeRequests: () => number
  /**
   * Destroys the client sockets without a request being handled (idle keep-alive ones, and ones that never
   * sent a request, which Node's `server.closeIdleConnections()` leaves open); a socket whose request is
   * being handled stays open. For tests that count sockets without waiting out a client's or the server's
   * keep-alive timeout (a request still arriving, its headers not all read, is cut off).
   */
  readonly closeIdleSockets: () => void
  /** Calls `listener` on every change of {@link openSockets} and {@link activeRequests}; returns its removal. */
  readonly onChange: (listener: () => void) => () => void
  /** Aborts the requests in flight, destroys every socket and closes the ports. */
  readonly close: () => Promise<void>
}

const toWebRequest = (origin: string, req: IncomingMessage, body: Buffer): Request => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  const method = req.method ?? "GET"
  const hasBody = method !== "GET" && method !== "HEAD" && body.length > 0
  // A request target is a path on this origin: one that starts with `//` (`GET //identity`) too, which
  // `new URL(target, origin)` would read as another host's.
  const target = req.url ?? "/"
  return new Request(target.startsWith("/") ? new URL(`${origin}${target}`) : new URL(target, origin), {
    method,
    headers,
    body: hasBody ? new Uint8Array(body) : null
  })
}

/** A body past the limit: its bytes were not kept. */
const tooLarge = Symbol("tooLarge")

/** Reads the body, up to `limit` bytes; past it, stops keeping bytes and answers {@link tooLarge}. */
const readBody = (req: IncomingMessage, limit: number): Promise<Buffer | typeof tooLarge> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"])
    if (Number.isFinite(declared) && declared > limit) return resolve(tooLarge)
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.off("data", onData)
        chunks.length = 0
        resolve(tooLarge)
        return
      }
      chunks.push(chunk)
    }
    req.on("data", onData)
    req.once("end", () => resolve(Buffer.concat(chunks)))
    req.once("error", reject)
    req.once("close", () => {
      if (!req.complete) reject(new Error("the client closed the connection"))
    })
  })

/**
 * Answers 413 and closes the connection. The answer (headers and its whole
 * body) is written at once, but the response is ended only once the client
 * has sent what it wanted to: what it still sends is read and dropped, never
 * kept. Node destroys a `Connection: close` socket as soon as its response
 * ends, and a socket destroyed with unread bytes sends a reset, which can
 * reach the client before it has read the answer (it then sees `EPIPE` or
 * `ECONNRESET` instead of the 413). A client that keeps sending past 16 ×
 * `limit` more is cut off. Resolves once the connection is closed.
 */
const refuseBody = (req: IncomingMessage, res: ServerResponse, limit: number): Promise<void> =>
  new Promise((resolve) => {
    if (req.socket.destroyed) return resolve()
    req.socket.once("close", () => resolve())
    let discarded = 0
    let cutting = false
    req.on("data", (chunk: Buffer) => {
      discarded += chunk.length
      // From the next turn of the event loop, not from inside the parser's callback: destroyed there, the
      // socket was seen to stay open and read on (5 runs in 30, Node 20 and 22; none in 180 this way).
      if (discarded > 16 * limit && !cutting) {
        cutting = true
        setImmediate(() => req.socket.destroy())
      }
    })
    const text = payloadTooLargeText(limit)
    res.writeHead(413, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(text),
      connection: "close"
    })
    res.write(text)
    // The request is read to its end: then nothing is left unread, and Node closes the connection cleanly.
    if (req.complete) res.end()
    else req.once("end", () => res.end())
    req.resume()
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
const writeResponse = async (res: ServerResponse, response: Response, signal: AbortSignal): Promise<void> => {
  const headers: OutgoingHttpHeaders = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  res.writeHead(response.status, headers)
  const body = response.body
  if (body === null) {
    await new Promise<void>((resolve) => res.end(resolve))
    return
  }
  const reader = body.getReader()
  const cancel = () => {
    reader.cancel().catch(() => undefined)
    res.destroy()
  }
  signal.addEventListener("abort", cancel, { once: true })
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      await writeChunk(res, value)
    }
    res.end()
  } catch {
    res.destroy()
  } finally {
    signal.removeEventListener("abort", cancel)
  }
}

/**
 * The listen backlog: how many connections the kernel completes and queues before the server accepts them.
 * Node's default, 511, is less than a load test's burst (test/faults/load.test.ts opens 1,000 connections
 * at once, in the thread that also accepts them): past it Linux drops the SYN or the handshake's last ACK
 * (`ListenOverflows` in /proc/net/netstat, about 800 per run of that test at 511, none at 4096), and the
 * client waits for a retransmission (1 s, then 3 s, ...); a connection whose last ACK was dropped, its
 * request sent, may be reset if the queue stays full through the server's SYN-ACK retries. The kernel caps
 * the backlog at `net.core.somaxconn` (4096 by default since Linux 5.4).
 */
const backlog = 4096

/**
 * The server's keep-alive timeout: none (`0`), so that the server never closes an idle keep-alive connection
 * and the client, which closes it on its own timer, never sends a request on one the server is closing.
 * With Node's default (5 s) the server closes an idle connection 5 s after its last answer was written, and
 * says so in every answer (`Keep-Alive: timeout=5`); a client reusing the connection at that moment sees
 * its request fail (`ECONNRESET`, or undici's "other side closed"). Node 20's `fetch` (undici 6) closes an
 * idle connection `keepAliveTimeoutThreshold` (2 s) before the hint, counted from when it has read the answer,
 * on a timer of the same event loop as the fake's in our tests: an answer read more than 2 s after it was
 * written (a loop busy with a thousand requests, on a loaded machine: test/faults/load.test.ts) leaves the
 * client's timer later than the server's, and the race open. Node 22 lengthens the server's real timeout by
 * `keepAliveTimeoutBuffer` (1 s) past the hint; Node 20 has no such buffer. With no timeout, Node sends no
 * hint and undici closes an idle connection after its own `keepAliveTimeout` (4 s); a client that never
 * closes one (Node's `http.Agent` with `keepAlive` and no `timeout`) keeps it until {@link Loopback.close}
 * or {@link Loopback.closeIdleSockets}. Requests still arriving stay bounded by Node's `headersTimeout` and
 * `requestTimeout`.
 */
const keepAliveTimeout = 0

/** Node's timeouts for a request still arriving (its defaults when not given). */
export interface RequestTimeouts {
  /** How long a connection may take to send a request's headers, from its first byte (or from when it opened). */
  readonly headersTimeout?: number | undefined
  /** How long a connection may take to send a whole request. */
  readonly requestTimeout?: number | undefined
}

/**
 * What is wrong with `port` (plex.tv's port on `127.0.0.1`, as the fake's loopback servers take it), in the
 * fake's words for an option of the wrong kind or range; `undefined` when it is absent or a whole number
 * from 0 to 65535. Checked before any port is bound: each kit turns it into its own `FakePlexError`.
 */
export const portProblem = (port: unknown): string | undefined => {
  if (port === undefined || (Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65_535)) {
    return undefined
  }
  const shown =
    typeof port === "string"
      ? JSON.stringify(port)
      : port === null
        ? "null"
        : typeof port === "object"
          ? "an object"
          : String(port)
  return `FakePlex: port must be a whole number from 0 to 65535, got ${shown}`
}

/** Why `127.0.0.1:port` could not be bound, in words (the port named when one was asked for). */
const listenFailure = (port: number, cause: NodeJS.ErrnoException): string => {
  const address = port === 0 ? "127.0.0.1" : `127.0.0.1:${port}`
  return cause.code === "EADDRINUSE" && port !== 0
    ? `${address} is already in use`
    : `could not listen on ${address}: ${cause.message}`
}

const listenOne = (
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
  timeouts: RequestTimeouts,
  port: number
): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer(
      { headersTimeout: timeouts.headersTimeout, requestTimeout: timeouts.requestTimeout },
      onRequest
    )
    server.keepAliveTimeout = keepAliveTimeout
    server.once("error", (cause: NodeJS.ErrnoException) =>
      reject(new Error(listenFailure(port, cause), { cause }))
    )
    server.listen({ port, host: "127.0.0.1", backlog }, () => resolve(server))
  })

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })

/**
 * Binds one `127.0.0.1` port per origin (rejecting with an `Error` when a
 * port cannot be bound, the others closed again). `maxRequestBodyBytes`:
 * the largest request body read (the fake's default, 1 MiB); `port`: the
 * first origin's port (plex.tv's, for the fake), 0 or absent for a free one
 * as for the others (a port in use rejects: `127.0.0.1:<port> is already in
 * use`; one that is not a whole number from 0 to 65535 rejects with a
 * `FakePlexError` before any port is bound, see {@link portProblem}); the {@link RequestTimeouts}: Node's defaults unless given (a test
 * that shows {@link Loopback.close} waits for none of them gives long ones).
 */
export const listen = async (
  origins: ReadonlyArray<string>,
  options: { readonly maxRequestBodyBytes: number; readonly port?: number | undefined } & RequestTimeouts
): Promise<Loopback> => {
  // Before any port is bound: a port Node would refuse in words of its own, or take ("80", a string).
  const problem = portProblem(options.port)
  if (problem !== undefined) throw new FakePlexError(problem)
  const limit = options.maxRequestBodyBytes
  const sockets = new Set<Socket>()
  const inFlight = new Map<AbortController, Promise<void>>()
  /** The request being handled on each socket (HTTP/1.1: one at a time). */
  const handling = new WeakMap<Socket, Promise<void>>()
  /** The sockets whose request is being handled. */
  const busy = new Set<Socket>()
  const listeners = new Set<() => void>()
  const changed = () => {
    // A copy: a listener may add or remove listeners, and one added now waits for the next change.
    // oxlint-disable-next-line unicorn/no-useless-spread -- the copy is the point (see above)
    for (const listener of [...listeners]) listener()
  }
  let closing = false
  let handler: Handler | undefined

  const onSocket = (socket: Socket) => {
    if (closing) {
      socket.destroy()
      return
    }
    sockets.add(socket)
    changed()
    socket.once("close", () => {
      // A socket counts as open until the handler of its request has ended, so that no open socket also
      // means no running handler.
      void Promise.resolve(handling.get(socket)).then(() => {
        sockets.delete(socket)
        changed()
      })
    })
  }

  const handleOne = async (
    origin: string,
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal
  ): Promise<void> => {
    if (handler === undefined || closing) {
      req.socket.destroy()
      return
    }
    const body = await readBody(req, limit)
    if (body === tooLarge) return refuseBody(req, res, limit)
    const response = await handler(toWebRequest(origin, req, body), { origin, signal })
    await writeResponse(res, response, signal)
  }

  const onRequest = (origin: string) => (req: IncomingMessage, res: ServerResponse) => {
    const controller = new AbortController()
    // An aborted request (the client went away, the server closes) loses its connection at once.
    controller.signal.addEventListener("abort", () => req.socket.destroy(), { once: true })
    res.once("close", () => {
      // The client went away before the answer was out: stop the handler.
      if (!res.writableFinished) controller.abort(new Error("the client closed the connection"))
    })
    const done = handleOne(urls.get(origin) ?? origin, req, res, controller.signal)
      .catch(() => {
        req.socket.destroy()
      })
      .finally(() => {
        inFlight.delete(controller)
        busy.delete(req.socket)
        changed()
      })
    inFlight.set(controller, done)
    handling.set(req.socket, done)
    busy.add(req.socket)
    changed()
  }

  const servers: Array<Server> = []
  const urls = new Map<string, string>()
  try {
    for (const [i, origin] of origins.entries()) {
      const server = await listenOne(onRequest(origin), options, i === 0 ? (options.port ?? 0) : 0)
      server.on("connection", onSocket)
      servers.push(server)
      const address = server.address()
      if (address === null || typeof address === "string") throw new Error("a loopback server has no port")
      urls.set(origin, `http://127.0.0.1:${address.port}`)
    }
  } catch (error) {
    closing = true
    await Promise.all(servers.map(closeServer))
    throw error
  }

  const close = async (): Promise<void> => {
    closing = true
    // End the requests in flight, then destroy every socket and wait until each has closed.
    const pending = [...inFlight]
    for (const [controller] of pending) controller.abort(new Error("the loopback server is closing"))
    await Promise.all(pending.map(([, done]) => done))
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => {
      const check = () => {
        if (sockets.size > 0) return
        listeners.delete(check)
        resolve()
      }
      listeners.add(check)
      check()
    })
    await Promise.all(servers.map(closeServer))
  }

  return {
    urls,
    serve: (next) => {
      handler = next
    },
    openSockets: () => sockets.size,
    closeIdleSockets: () => {
      for (const socket of sockets) if (!busy.has(socket)) socket.destroy()
    },
    activeRequests: () => inFlight.size,
    onChange: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close
  }
}
