/**
 * The fake Plex with no Effect in it: a faithful, stateful plex.tv,
 * clients.plex.tv and Plex Media Servers as a standard web handler,
 * `(request: Request) => Promise<Response>`, for testing code that does not
 * use Effect (plexjs, python-plexapi through a loopback server, your own
 * `fetch` calls). It is the very fake the Effect test kits serve
 * (`FakePlex.layer`, `FakePlexServer`): the same routes, payloads, error
 * bodies, faults and records.
 *
 * This entry point imports neither `effect` nor any Node built-in: it runs in
 * browsers, Deno, Bun and Node alike. To serve the fake over real HTTP on
 * loopback from Node, see `effect-plex-auth/fake/node`.
 *
 * @since 0.1.0
 */
import * as Core from "../core/fake/index.js"

/**
 * How to seed a fake: its accounts, servers, homes and payload era, durations
 * in milliseconds (`pinLifetimeMillis`, `autoApprovePins: { afterMillis }`,
 * ...) and secrets as plain strings, plus its `clock` (`now()` and
 * `sleep(ms, signal)`; default `Date.now` and `setTimeout`), `randomInt`
 * (default Web Crypto), `rebase` and `maxRequestBodyBytes`.
 *
 * @since 0.1.0
 * @category models
 */
export type HandlerOptions = Core.Options

/**
 * A fake made by {@link makeHandler}: its `handler`, `(request: Request,
 * context?: { clock, signal }) => Promise<Response>`, its URLs and default
 * credentials, and its inspection and control calls as plain functions
 * (`approvePin` and `rotateJwtKey` return promises). Its records hold
 * secrets as {@link HandlerSecret}s.
 *
 * @since 0.1.0
 * @category models
 */
export type Handler = Core.FakePlex

/**
 * A fault, as plain data (durations in milliseconds); see {@link handlerFaults}.
 *
 * @since 0.1.0
 * @category faults
 */
export type HandlerFault = Core.Fault.Fault

/**
 * The constructors of {@link HandlerFault}s: `status(429, {
 * retryAfterMillis })`, `delay(ms)`, `hang`, `reset`, `refuse`, `truncate()`,
 * `malformedJson`, `html()`, `redirect()`, `contentType()`, `oversized()`,
 * `respond((request) => Response)`.
 *
 * @since 0.1.0
 * @category faults
 */
export const handlerFaults: typeof Core.Fault = Core.Fault

/**
 * A secret in the fake's records: it prints and serialises as `<redacted>`;
 * `reveal()` gives the value.
 *
 * @since 0.1.0
 * @category models
 */
export type HandlerSecret = Core.Secret

/**
 * A reset or refused connection: the handler rejects with it, a `TypeError`
 * whose `cause.code` is `ECONNRESET` or `ECONNREFUSED`, as `fetch` rejects
 * on a network failure.
 *
 * @since 0.1.0
 * @category errors
 */
export const HandlerConnectionFailure: typeof Core.ConnectionFailure = Core.ConnectionFailure

/**
 * What a control call throws (or rejects with) for an unknown account,
 * server or PIN, and what `makeHandler` throws (`serve` rejects with) for a
 * seed it refuses (an unknown account, two accounts sharing a login, a URL
 * that is not http(s), ...).
 *
 * @since 0.1.0
 * @category errors
 */
export const FakePlexError: typeof Core.FakePlexError = Core.FakePlexError

/**
 * The largest request body the fake reads: 1 MiB. A larger one is answered
 * `413 Payload Too Large` and not kept.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxRequestBodyBytes: number = Core.maxRequestBodyBytes

/**
 * The fake Plex as a plain web handler. Point a `fetch`-like function at
 * `fake.handler`, or serve it from any HTTP server that speaks web `Request`
 * and `Response` (from Node, `serve` of `effect-plex-auth/fake/node` does it
 * on loopback).
 *
 * @example
 * ```ts
 * import { makeHandler } from "effect-plex-auth/fake"
 *
 * const fake = makeHandler()
 * const username = fake
 *   .handler(
 *     new Request("https://plex.tv/api/v2/user", {
 *       headers: { "X-Plex-Token": fake.token, "X-Plex-Client-Identifier": "my-app", Accept: "application/json" }
 *     })
 *   )
 *   .then((response) => response.json())
 *   .then((account: { username: string }) => account.username)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeHandler = (options: HandlerOptions = {}): Handler => Core.makeFakePlex(options)
