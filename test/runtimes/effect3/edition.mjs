// The Effect 3 edition as the shared checks (checks.mjs) use it (copied into the scratch app as edition.mjs).
// FetchHttpClient from its subpath: the @effect/platform barrel loads msgpackr, which reads an environment
// variable as it loads (on Deno without --allow-env, NotCapable: see scripts/runtimes.mjs).
export * as FetchHttpClient from "@effect/platform/FetchHttpClient"
export { Effect, Exit, Layer, Redacted } from "effect"
export { ClientIdentity, Credentials, PinLogin, PlexAuth, PlexTv } from "effect-plex-auth"
export const edition = 3
export const loadFakeNode = () => import("effect-plex-auth/fake/node")
export const loadNode = () => import("effect-plex-auth/node")
