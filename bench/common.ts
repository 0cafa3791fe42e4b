/**
 * What the benchmarks of both editions share, with no Effect in it: the
 * client interface, the two clients that are not Effect (raw `fetch` +
 * `JSON.parse`, plexjs 0.39.0) and the load generator. bench/clients.ts adds
 * the Effect 3 clients; effect4/bench/clients.ts the Effect 4 ones.
 */
import { PlexAPICore } from "@lukehagar/plexjs/core.js"
import { authenticationGetTokenDetails } from "@lukehagar/plexjs/funcs/authenticationGetTokenDetails.js"
import { authenticationPostUsersSignInData } from "@lukehagar/plexjs/funcs/authenticationPostUsersSignInData.js"
import { HTTPClient } from "@lukehagar/plexjs/lib/http.js"
import type { Served } from "./shared.js"

/** The two operations measured. */
export type Operation = "getTokenDetails" | "signIn"

/** One client: a request of each operation, as a Promise that rejects unless it succeeded. */
export interface Client {
  readonly name: string
  readonly request: Record<Operation, () => Promise<void>>
  readonly dispose: () => Promise<void>
}

export const clientIdentifier = "effect-plex-auth-bench"
export const product = "effect-plex-auth bench"

/** The floor: what any client must do at least, with no validation beyond a status check and a parse. */
export const rawFetch = (served: Served): Client => {
  const headers = {
    accept: "application/json",
    "x-plex-client-identifier": clientIdentifier,
    "x-plex-product": product
  }
  const form = new URLSearchParams({ login: served.login, password: served.password }).toString()
  const check = async (response: Response, status: number) => {
    const text = await response.text()
    if (response.status !== status) throw new Error(`raw fetch: status ${response.status}`)
    const body = JSON.parse(text) as { readonly username?: unknown }
    if (typeof body.username !== "string") throw new Error("raw fetch: no username")
  }
  return {
    name: "fetch + JSON.parse",
    request: {
      getTokenDetails: async () =>
        check(
          await fetch(`${served.plexTvUrl}/api/v2/user`, {
            headers: { ...headers, "x-plex-token": served.token }
          }),
          200
        ),
      signIn: async () =>
        check(
          await fetch(`${served.plexTvUrl}/api/v2/users/signin`, {
            method: "POST",
            headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
            body: form
          }),
          201
        )
    },
    dispose: async () => {}
  }
}

/**
 * plexjs 0.39.0: `PlexAPICore` and its standalone functions, the smallest
 * way it offers. Its `getTokenDetails` sends no `X-Plex-Client-Identifier`,
 * which plex.tv (and the fake) require: a `beforeRequest` hook adds it.
 */
export const plexjs = (served: Served, options: { readonly timeoutMs?: number } = {}): Client => {
  const httpClient = new HTTPClient()
  httpClient.addHook("beforeRequest", (request) => {
    const headers = new Headers(request.headers)
    headers.set("x-plex-client-identifier", clientIdentifier)
    return new Request(request, { headers })
  })
  const core = new PlexAPICore({
    accessToken: served.token,
    httpClient,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })
  })
  const serverURL = `${served.plexTvUrl}/api/v2`
  const unwrap = <A>(
    result: { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: unknown }
  ) => {
    if (!result.ok) throw result.error
  }
  return {
    name:
      options.timeoutMs === undefined
        ? "plexjs 0.39.0"
        : `plexjs 0.39.0, ${options.timeoutMs / 1000} s timeout`,
    request: {
      getTokenDetails: async () => unwrap(await authenticationGetTokenDetails(core, { serverURL })),
      signIn: async () =>
        unwrap(
          await authenticationPostUsersSignInData(
            core,
            {
              clientID: clientIdentifier,
              clientName: product,
              requestBody: { login: served.login, password: served.password }
            },
            { serverURL }
          )
        )
    },
    dispose: async () => {}
  }
}

/** Each request's latency in milliseconds, and the wall time of the whole run. */
export interface Sample {
  readonly latencies: Float64Array
  readonly millis: number
}

/** Runs `count` requests, `concurrency` at a time. */
export const load = async (
  request: () => Promise<void>,
  count: number,
  concurrency: number
): Promise<Sample> => {
  const latencies = new Float64Array(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      const start = performance.now()
      await request()
      latencies[i] = performance.now() - start
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { latencies, millis: performance.now() - start }
}
