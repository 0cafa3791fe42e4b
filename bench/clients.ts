/**
 * The clients the Effect 3 benchmarks compare, behind one interface: raw
 * `fetch` + `JSON.parse` (the floor) and plexjs 0.39.0's standalone functions
 * (bench/common.ts, shared with the Effect 4 edition's benchmarks),
 * `@effect/platform`'s bare `HttpClient`, and effect-plex-auth over
 * `FetchHttpClient`. Each request checks its answer, so a client that fails
 * cannot look fast.
 */
import type { HttpClientResponse } from "@effect/platform"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { type Client, clientIdentifier, product } from "./common.js"
import { lib } from "./library.js"
import type { Served } from "./shared.js"

export {
  type Client,
  clientIdentifier,
  load,
  type Operation,
  plexjs,
  rawFetch,
  type Sample
} from "./common.js"

/**
 * The Effect floor: `@effect/platform`'s `HttpClient` over `FetchHttpClient`, the same status check and
 * `JSON.parse`, run from a `ManagedRuntime` as effect-plex-auth is, with trace headers off as it has them.
 * What any Effect client built on `HttpClient` pays before doing anything of its own.
 */
export const effectPlatform = (served: Served): Client => {
  const runtime = ManagedRuntime.make(FetchHttpClient.layer)
  const headers = { "x-plex-client-identifier": clientIdentifier, "x-plex-product": product }
  const check = (status: number) => (response: HttpClientResponse.HttpClientResponse) =>
    Effect.flatMap(response.text, (text) => {
      const body = JSON.parse(text) as { readonly username?: unknown }
      return response.status === status && typeof body.username === "string"
        ? Effect.void
        : Effect.dieMessage(`@effect/platform: status ${response.status}`)
    })
  const run = (request: HttpClientRequest.HttpClientRequest, status: number) =>
    Effect.flatMap(HttpClient.HttpClient, (client) =>
      Effect.flatMap(client.execute(request), check(status))
    ).pipe(Effect.locally(HttpClient.currentTracerPropagation, false))
  const getTokenDetails = run(
    HttpClientRequest.get(`${served.plexTvUrl}/api/v2/user`, {
      headers: { ...headers, accept: "application/json", "x-plex-token": served.token }
    }),
    200
  )
  const signIn = run(
    HttpClientRequest.post(`${served.plexTvUrl}/api/v2/users/signin`, {
      headers: { ...headers, accept: "application/json" }
    }).pipe(HttpClientRequest.bodyUrlParams({ login: served.login, password: served.password })),
    201
  )
  return {
    name: "@effect/platform HttpClient",
    request: {
      getTokenDetails: () => runtime.runPromise(getTokenDetails),
      signIn: () => runtime.runPromise(signIn)
    },
    dispose: () => runtime.dispose()
  }
}

/**
 * effect-plex-auth with `FetchHttpClient`, run from a `ManagedRuntime` as a Promise-based caller would,
 * with the plex.tv URL (the fake's) given once by a layer, as an application sets it.
 */
export const effectPlexAuth = (served: Served, library: typeof lib = lib): Client => {
  const { ClientIdentity, Credentials, PlexAuth, PlexTv } = library
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      FetchHttpClient.layer,
      ClientIdentity.layer({ clientIdentifier, product }),
      Credentials.layer(Redacted.make(served.token)),
      PlexTv.layer(served.plexTvUrl)
    )
  )
  const password = Redacted.make(served.password)
  const getTokenDetails = PlexAuth.getTokenDetails()
  const signIn = PlexAuth.postUsersSignInData({ login: served.login, password })
  return {
    name: "effect-plex-auth",
    request: {
      getTokenDetails: () => runtime.runPromise(Effect.asVoid(getTokenDetails)),
      signIn: () => runtime.runPromise(Effect.asVoid(signIn))
    },
    dispose: () => runtime.dispose()
  }
}
