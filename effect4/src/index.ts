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

/**
 * Lenient schemas of Plex payloads.
 *
 * @since 0.1.0
 */
export * as Schemas from "./Schemas.js"

/**
 * Plex Home: its users, and switching to one of them.
 *
 * @since 0.1.0
 */
export * as Home from "./Home.js"

/**
 * Does a Plex user have access to a server: with the user's token or the owner's, cached.
 *
 * @since 0.1.0
 */
export * as ServerAccess from "./ServerAccess.js"

/**
 * A ready `HttpClient` for a server, and media URLs.
 *
 * @since 0.1.0
 */
export * as ServerClient from "./ServerClient.js"

/**
 * Claiming a server: a claim token, and claiming an unclaimed server with it.
 *
 * @since 0.1.0
 */
export * as Claim from "./Claim.js"

/**
 * The devices authorized on an account, and revoking one.
 *
 * @since 0.1.0
 */
export * as Devices from "./Devices.js"

/**
 * Linking another device's code to the signed-in account.
 *
 * @since 0.1.0
 */
export * as Link from "./Link.js"

/**
 * JWT device authentication: a device key, Plex JWTs, their refresh and verification.
 *
 * @since 0.1.0
 */
export * as Jwt from "./Jwt.js"

/**
 * PIN login, the sign-in flow Plex recommends for apps.
 *
 * @since 0.1.0
 */
export * as PinLogin from "./PinLogin.js"

/**
 * Server discovery: the account's servers, and the fastest best connection
 * to one of them.
 *
 * @since 0.1.0
 */
export * as Resources from "./Resources.js"

/**
 * "Sign in with Plex" for web apps: the PIN flow, sessions, and `HttpApi`/`HttpRouter` middleware.
 *
 * @since 0.1.0
 */
export * as WebSignIn from "./WebSignIn.js"
