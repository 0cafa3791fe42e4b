/**
 * effect4-plex-auth/node: companions of the library on Node's built-ins (`node:fs`,
 * `node:http`, `node:os`): for Node, and Bun and Deno through their Node
 * compatibility. Never imported by the browser-safe entry points.
 *
 * @since 0.1.0
 */

/**
 * The fake Plex of `effect4-plex-auth/testing`, served on loopback.
 *
 * @since 0.1.0
 */
export * as FakePlexServer from "./FakePlexServer.js"

/**
 * A `KeyValueStore` in one JSON file (0600, atomic, multi-process safe).
 *
 * @since 0.1.0
 */
export * as KeyValueStore from "./KeyValueStore.js"
