/**
 * The Effect 4 clients of the Effect 4 edition's benchmarks: Effect 4's bare
 * `HttpClient` (`effect/http`) and effect4-plex-auth, beside the clients that
 * are not Effect (bench/common.ts: raw `fetch`, plexjs 0.39.0). Each request
 * checks its answer, so a client that fails cannot look fast.
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import { type Client, clientIdentifier, product } from "../../bench/common.js"
import type { Served } from "../../bench/shared.js"
import { lib } from "./library.js"

/**
 * The Effect 4 floor: `effect/http`'s `HttpClient` over `FetchHttpClient`, the same status check and
 * `JSON.parse`, from a `ManagedRuntime`, with trace propagation off as effect4-plex-auth has it.
 */
export const effectHttp = (served: Served): Client => {
  const runtime = ManagedRuntime.make(FetchHttpClient.layer)
  const headers = { "x-plex-client-identifier": clientIdentifier, "x-plex-product": product }
  const check = (status: number) => (response: HttpClientResponse.HttpClientResponse) =>
    Effect.flatMap(response.text, (text) => {
      const body = JSON.parse(text) as { readonly username?: unknown }
      return response.status === status && typeof body.username === "string"
        ? Effect.void
        : Effect.die(new Error(`effect/http: status ${response.status}`))
    })
  const run = (request: HttpClientRequest.HttpClientRequest, status: number) =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      return yield* Effect.flatMap(client.execute(request), check(status))
    }).pipe(Effect.provideService(HttpClient.TracerPropagationEnabled, false))
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
    name: "effect/http HttpClient",
    request: {
      getTokenDetails: () => runtime.runPromise(getTokenDetails),
      signIn: () => runtime.runPromise(signIn)
    },
    dispose: () => runtime.dispose()
  }
}

/** effect4-plex-auth with `FetchHttpClient`, from a `ManagedRuntime`, the plex.tv URL given once by a layer. */
export const effect4PlexAuth = (served: Served, library: typeof lib = lib): Client => {
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
    name: "effect4-plex-auth",
    request: {
      getTokenDetails: () => runtime.runPromise(Effect.asVoid(getTokenDetails)),
      signIn: () => runtime.runPromise(Effect.asVoid(signIn))
    },
    dispose: () => runtime.dispose()
  }
}
