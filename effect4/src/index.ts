/**
 * effect4-plex-auth: the Effect-native client for Plex authentication, on Effect 4.
 *
 * @since 0.1.0
 */

/**
 * The identity headers (`X-Plex-Client-Identifier`, `-Product`, ...).
 *
 * @since 0.1.0
 */
export * as ClientIdentity from "./ClientIdentity.js"

/**
 * The account token as `Redacted`, and its layers.
 *
 * @since 0.1.0
 */
export * as Credentials from "./Credentials.js"

/**
 * The four authentication operations.
 *
 * @since 0.1.0
 */
export * as PlexAuth from "./PlexAuth.js"

/**
 * The typed errors.
 *
 * @since 0.1.0
 */
export * as PlexError from "./PlexError.js"

/**
 * The Plex Media Server the server operations talk to.
 *
 * @since 0.1.0
 */
export * as PlexServer from "./PlexServer.js"

/**
 * Where the plex.tv account API lives.
 *
 * @since 0.1.0
 */
export * as PlexTv from "./PlexTv.js"

/**
 * Retry policies as values.
 *
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"
