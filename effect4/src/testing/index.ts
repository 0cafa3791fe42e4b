/**
 * effect4-plex-auth/testing: a faithful fake Plex for testing programs built
 * on effect4-plex-auth. Browser-safe.
 *
 * @since 0.1.0
 */

/**
 * The fake Plex: seeding, the in-memory layer, inspection and control.
 *
 * @since 0.1.0
 */
export * as FakePlex from "./FakePlex.js"

/**
 * Faults to script on the fake.
 *
 * @since 0.1.0
 */
export * as Fault from "./Fault.js"
