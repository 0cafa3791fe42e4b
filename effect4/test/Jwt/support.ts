/**
 * Shared pieces of the JWT tests: the fake with an identity, a JWS signer
 * independent of the library's own, and readers of a compact JWS.
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Jwt from "effect4-plex-auth/Jwt"
import { FakePlex } from "effect4-plex-auth/testing"

export const CLIENT_ID = "jwt-test-client-5c1d"

export const identity = { clientIdentifier: CLIENT_ID, product: "JWT tests", version: "1.0.0" }

/** The fake, signed in with the default account's classic token. */
export const signedIn = () => FakePlex.layerSignedIn({ identity, accounts: [{}, { username: "bob" }] })

const b64u = (bytes: string | Uint8Array) => Buffer.from(bytes).toString("base64url")

/** A compact JWS signed with `key`, built here without the library's helpers. */
export const signWith = (
  key: Jwt.DeviceKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown>
): Effect.Effect<string> =>
  Effect.promise(async () => {
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`
    const signature = await globalThis.crypto.subtle.sign(
      "Ed25519",
      key.privateKey,
      new TextEncoder().encode(input)
    )
    return `${input}.${b64u(new Uint8Array(signature))}`
  })

/** The header and payload of a compact JWS. */
export const segments = (
  token: string | Redacted.Redacted<string>
): { readonly header: Record<string, unknown>; readonly payload: Record<string, unknown> } => {
  const [h, p] = (Redacted.isRedacted(token) ? Redacted.value(token) : token).split(".")
  return {
    header: JSON.parse(Buffer.from(h!, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(p!, "base64url").toString("utf8"))
  }
}

/** Whether `token`'s EdDSA signature verifies with the public JWK `jwk`, checked with Web Crypto directly. */
export const signatureVerifies = (
  token: string | Redacted.Redacted<string>,
  jwk: object
): Effect.Effect<boolean> =>
  Effect.promise(async () => {
    const [h, p, s] = (Redacted.isRedacted(token) ? Redacted.value(token) : token).split(".")
    const publicKey = await globalThis.crypto.subtle.importKey("jwk", jwk as JsonWebKey, "Ed25519", false, [
      "verify"
    ])
    return globalThis.crypto.subtle.verify(
      "Ed25519",
      publicKey,
      Buffer.from(s!, "base64url"),
      new TextEncoder().encode(`${h}.${p}`)
    )
  })

/** A fresh device key registered for the default account and exchanged for a Plex JWT. */
export const registeredKey = Effect.gen(function* () {
  const key = yield* Jwt.generateKey
  yield* Jwt.registerKey(key)
  const plexJwt = yield* Jwt.exchange(key)
  return { key, plexJwt }
})

/** Sends a hand-built JSON request to the fake (for what the client never sends), returning status and JSON body. */
export const rawJson = (
  path: string,
  init: {
    readonly method?: string
    readonly body?: unknown
    readonly token?: Redacted.Redacted<string> | string
  } = {}
): Effect.Effect<{ readonly status: number; readonly json: any }, never, FakePlex.FakePlex> =>
  Effect.gen(function* () {
    const fake = yield* FakePlex.FakePlex
    const headers = new Headers({ "X-Plex-Client-Identifier": CLIENT_ID, Accept: "application/json" })
    if (init.token !== undefined) {
      headers.set("X-Plex-Token", Redacted.isRedacted(init.token) ? Redacted.value(init.token) : init.token)
    }
    if (init.body !== undefined) headers.set("Content-Type", "application/json")
    const request = new Request(`${fake.plexTvUrl}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      body: init.body === undefined ? null : JSON.stringify(init.body)
    })
    const response = yield* Effect.orDie(fake.handle(request))
    const text = yield* Effect.promise(() => response.text())
    return { status: response.status, json: text === "" ? undefined : JSON.parse(text) }
  })
