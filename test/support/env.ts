/**
 * Shared test values and the environment the four operations run in: an
 * identity, a token, a server and a mock HttpClient.
 */
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { ClientIdentity, Credentials, PlexServer } from "effect-plex-auth"
import * as MockHttp from "./MockHttp.js"

/** The account token the tests sign requests with. Distinctive, so a leak is easy to find. */
export const TOKEN = "tok-SeCrEt-4f9a2c7e1b"
/** The password the sign-in tests send. */
export const PASSWORD = "pw-hunter2-Zq8x!"
/** A six-digit two-factor code; distinctive enough to search for. */
export const CODE = "739214"
/** A token the server hands out (sign-in authToken, transient token, source accessToken). */
export const ISSUED_TOKEN = "issued-7Hq2LmX9pR"

export const CLIENT_ID = "3381b62b-9ab7-4e37-827b-203e9809eb58"
export const SERVER_URL = "http://127.0.0.1:32400"
export const PLEX_TV = "https://plex.tv"

/** Every identity field set, so the headers test can check them all. */
export const identityInput = {
  clientIdentifier: CLIENT_ID,
  product: "effect-plex-auth tests",
  version: "1.2.3",
  platform: "Node.js",
  platformVersion: "20.19",
  device: "Linux",
  deviceName: "Stübchen-PC ✓",
  model: "vitest",
  deviceVendor: "Acme",
  provides: "controller",
  language: "de",
  marketplace: "none",
  features: "external-media",
  syncVersion: "2"
} as const satisfies ClientIdentity.ClientIdentityInput

/** The `X-Plex-*` header each identity field travels as. */
export const identityHeaders: Record<keyof typeof identityInput, string> = {
  clientIdentifier: "x-plex-client-identifier",
  product: "x-plex-product",
  version: "x-plex-version",
  platform: "x-plex-platform",
  platformVersion: "x-plex-platform-version",
  device: "x-plex-device",
  deviceName: "x-plex-device-name",
  model: "x-plex-model",
  deviceVendor: "x-plex-device-vendor",
  provides: "x-plex-provides",
  language: "x-plex-language",
  marketplace: "x-plex-marketplace",
  features: "x-plex-features",
  syncVersion: "x-plex-sync-version"
}

export const IdentityLive = ClientIdentity.layer(identityInput)
export const CredentialsLive = Credentials.layer(Redacted.make(TOKEN))
export const ServerLive = PlexServer.layer(SERVER_URL)

/**
 * Everything an operation needs, answering with `handler`. Layer errors
 * (InvalidInput from a bad identity) are turned into defects: the values
 * here are valid.
 */
export const env = (handler: MockHttp.Handler) =>
  Layer.mergeAll(MockHttp.layer(handler), IdentityLive, CredentialsLive, ServerLive).pipe(Layer.orDie)

/** Decodes a header value sent as UTF-8 bytes (one char per byte) back to text. */
export const fromHeaderBytes = (value: string): string =>
  new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(value, (c) => c.charCodeAt(0)))

/** Runs an effect with a Config provider reading `entries` (no real environment). */
export const withEnv = (entries: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))
