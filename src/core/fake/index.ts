/**
 * The fake Plex, once, for everyone: a faithful, stateful Plex (plex.tv's
 * account API, clients.plex.tv's JWT device authentication, Plex Media
 * Servers) as a standard web handler, `(request: Request) =>
 * Promise<Response>`, in plain TypeScript with no Effect in it. Any HTTP
 * client that can be pointed at a `fetch`-like function (plexjs, a
 * hand-written `fetch` wrapper, python-plexapi through a loopback server)
 * can be tested against it; the Effect 3 and Effect 4 test kits are thin
 * bindings over it.
 *
 * ```ts
 * const fake = makeFakePlex()
 * const res = await fake.handler(
 *   new Request("https://plex.tv/api/v2/user", {
 *     headers: { "X-Plex-Token": fake.token, "X-Plex-Client-Identifier": "my-app", Accept: "application/json" }
 *   })
 * )
 * ```
 *
 * ## Writing a binding (an Effect test kit, a loopback server)
 *
 * - **Build**: `makeFakePlex(options)` with durations in milliseconds and
 *   secrets as plain strings (turn `Duration`/`Redacted` into these). A bad
 *   seed throws a `FakePlexError` naming what is wrong (a defect for the
 *   binding, as its own tagged `FakePlexError`). `origins(options)`
 *   lists every origin the seed answers on (validated) before the fake is
 *   built; a loopback server binds one port per origin and builds the fake
 *   with `rebase: (origin) => loopbackUrl`, so every URL the fake hands
 *   out is reachable.
 * - **Serve**: `fake.handler(request, { clock, signal })`. Pass, per request,
 *   the clock of the caller (`now()` reads the Effect `Clock`, `sleep(ms,
 *   signal)` runs `Clock.sleep`/`Effect.sleep` and rejects once `signal`
 *   aborts): `TestClock` then drives PIN expiry, fault delays and
 *   auto-approval. Pass the interruption signal of the calling fiber as
 *   `signal`: aborting it ends whatever the request waits for (a hanging or
 *   delayed fault, a `respond` fault's promise, a body still arriving, which
 *   is cancelled), marks the record `Interrupted` at once (a request given
 *   up while its body still arrives has no record: one is made once the
 *   body is read), and rejects the handler with the signal's reason.
 *   Without a clock the fake's `clock` option (default `Date.now` and
 *   `setTimeout`) is used. The request's own signal (`request.signal`) is
 *   followed too, whether or not a signal is given: aborting either gives
 *   the request up.
 * - **Failures**: the handler rejects with `ConnectionFailure` (a
 *   `TypeError`, `reason` `"Reset"`/`"Refused"`, `cause.code`
 *   `ECONNRESET`/`ECONNREFUSED`) for a scripted reset or refusal and for an
 *   origin it does not serve: an in-memory `HttpClient` makes it a transport
 *   error, a socket server destroys the socket. A `Respond` fault's
 *   rejection is passed through unchanged (a binding can carry an Effect
 *   `Cause` in its own error class and re-raise it). Any other rejection is a
 *   bug of the fake (a defect).
 * - **A truncated body** is a `Response` whose body stream errors after
 *   `keepBytes` under a larger `Content-Length`: a socket server writes what
 *   it gets, then destroys the socket.
 * - **Body cap**: the handler answers `413` (see {@link payloadTooLarge})
 *   to a body past `maxRequestBodyBytes` (default 1 MiB), declared or
 *   streamed, without keeping it. A socket server can refuse earlier with
 *   the same limit and answer.
 * - **Control calls** are plain synchronous functions (`approvePin` and
 *   `rotateJwtKey` return promises: they sign with Web Crypto). Those that
 *   depend on time take `{ now }` (milliseconds): pass the caller's clock.
 *   Unknown accounts, servers and PINs throw (or reject with)
 *   `FakePlexError`.
 * - **Records**: `requests()` returns snapshots whose secrets (tokens,
 *   passwords, codes, secret JSON fields) are {@link Secret}s: map them to
 *   the binding's `Redacted` with `reveal()`.
 * - **Faults** are plain data (`Fault.status(429, { retryAfterMillis })`,
 *   ...). `Respond` takes `(request, { signal }) => Response |
 *   Promise<Response>`.
 * - **Randomness** comes from Web Crypto unless `randomInt` is given.
 * - **Control over HTTP**: the handler answers JSON control requests on
 *   plex.tv's origins under `/__fake/` (faults, revocation, the request
 *   log; see control.ts), for a program run apart from the fake. A binding
 *   has nothing to do for it; they are neither recorded nor faulted.
 *
 * The shape of this module (names, parameters, the handler's context) is
 * kept stable for the bindings; additions only.
 *
 * @internal
 */
import { fromSeed } from "./fake.js"
import type { FakePlex } from "./fake.js"
import * as ApprovalPage from "./approvalPage.js"
import * as Seed from "./seed.js"
import type { Options } from "./types.js"

export type {
  AccountSeed,
  At,
  ConnectionSeed,
  DeviceSeed,
  FakeAccount,
  FakeClock,
  FakeConnection,
  FakeDeviceKey,
  FakePin,
  FakeServer,
  FakeTransientToken,
  FaultOptions,
  FaultTarget,
  HandlerContext,
  HomeSeed,
  Options,
  Outcome,
  PayloadOverride,
  PayloadShape,
  RecordedRequest,
  RouteName,
  ServerSeed,
  SourceSeed
} from "./types.js"
export type { FakePlex } from "./fake.js"
export { maxRequestBodyBytes, payloadTooLarge, payloadTooLargeText, systemClock } from "./fake.js"
export { ConnectionFailure, FakePlexError } from "./errors.js"
export { isSecret, Secret } from "./secret.js"
export { checkSeedShape, kitMillis, type SecretKind } from "./seed.js"
export * as Fault from "./fault.js"

/**
 * The defaults of an unseeded fake: the default account's login, password
 * and token, the default server's identifier, URL and token.
 */
export const defaults = {
  plexTvUrl: Seed.DEFAULTS.plexTvUrl,
  authAppUrl: ApprovalPage.urlOf(Seed.DEFAULTS.plexTvUrl),
  clientsUrl: Seed.DEFAULTS.clientsUrl,
  elsewhereUrl: Seed.DEFAULTS.elsewhereUrl,
  username: Seed.DEFAULTS.username,
  login: Seed.DEFAULTS.login,
  password: Seed.DEFAULTS.password,
  token: Seed.DEFAULTS.token,
  serverId: Seed.DEFAULTS.serverId,
  serverName: Seed.DEFAULTS.serverName,
  serverUrl: Seed.DEFAULTS.serverUrl,
  serverToken: Seed.DEFAULTS.serverToken
} as const

/**
 * The identity the Effect test kits' `layerSignedIn` sends unless told otherwise (`FakePlex.testIdentity`): one
 * for both editions, so a test that reads it back (the `X-Plex-Product` header, a PIN's `product`) passes on both.
 * Every field the runtime would fill is set, and `runtimeDefaults` is off: nothing of the machine that runs the
 * test (its host name, OS release, Node version) reaches a header, a PIN's link or the fake's device list, so a
 * test that reads them back passes on every machine (a developer's, CI) and on both editions' Node lines.
 */
export const testIdentity = {
  clientIdentifier: "fake-plex-test-client",
  product: "effect-plex-auth tests",
  version: "0.1.0",
  platform: "Node.js",
  platformVersion: "20",
  device: "Test Device",
  deviceName: "fake-plex-test-device",
  model: "tests",
  provides: "controller",
  runtimeDefaults: false
} as const

/**
 * Builds a fake from its seed: by default one account (`alice`) owning one
 * server. Throws a `FakePlexError` for an inconsistent seed (an owner that
 * is not an account, two hosts on one origin).
 */
export const makeFakePlex = (options: Options = {}): FakePlex => {
  const seed = Seed.resolve(options)
  const rebase = options.rebase
  return fromSeed(rebase === undefined ? seed : Seed.rebase(seed, rebase), {
    clock: options.clock,
    randomInt: options.randomInt,
    maxRequestBodyBytes: options.maxRequestBodyBytes,
    allowOrigins: (options.allowOrigins ?? []).map((url) => Seed.origin("an allowOrigins entry", url))
  })
}

/** Every origin a seed answers on, once each (before `rebase`); throws a `FakePlexError` for an inconsistent seed. */
export const origins = (options: Options = {}): ReadonlyArray<string> => Seed.origins(Seed.resolve(options))
