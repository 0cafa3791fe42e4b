// The Effect 4 edition as the shared checks (checks.mjs) use it (copied into the scratch app as edition.mjs).
export { FetchHttpClient } from "effect/http"
export { Effect, Exit, Layer, Redacted } from "effect"
export { ClientIdentity, Credentials, PinLogin, PlexAuth, PlexTv } from "effect4-plex-auth"
export const edition = 4
export const loadFakeNode = () => import("effect4-plex-auth/fake/node")
export const loadNode = () => import("effect4-plex-auth/node")
