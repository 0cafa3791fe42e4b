/**
 * JWT device authentication (Plex, since 2025): tokens that expire after
 * seven days, bound to a device key.
 *
 * The device holds an Ed25519 key ({@link generateKey}, made with Web Crypto
 * and safe to keep with {@link exportKey} / {@link importKey}). Its public
 * half is registered with plex.tv ({@link registerKey}, or bound at once by a
 * {@link pinLogin}); from then on the device trades a short-lived device JWT
 * signed with the key for a Plex JWT ({@link exchange}), the token sent as
 * `X-Plex-Token`. {@link layer} serves that token as `Credentials` and
 * refreshes it before it expires; {@link verify} checks a Plex JWT against the
 * keys plex.tv publishes.
 *
 * Everything runs on `globalThis.crypto.subtle` (Node 20+, current browsers).
 * The private key, device JWTs and Plex JWTs are `Redacted` throughout.
 *
 * @since 0.1.0
 */
import type { PlatformError } from "@effect/platform/Error"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { ClientIdentity } from "./ClientIdentity.js"
import * as PinLogin from "./PinLogin.js"
import {
  type BadRequest,
  InvalidJwt,
  type InvalidInput,
  type ResponseError,
  Unexpected
} from "./PlexError.js"
import * as Jose from "./core/jose.js"
import * as JwtFacts from "./core/jwt.js"
import { obtainedTokenProblem, tokenRefusedBy } from "./core/refreshRun.js"
import * as PinFacts from "./core/pin.js"
import * as SignOutFacts from "./core/signOut.js"
import * as L from "./internal/lenient.js"
import * as Request from "./internal/request.js"
import { CurrentRetryPolicy, none as noRetry } from "./internal/settings.js"
import { JwtHost, type JwtHostService } from "./internal/jwtHost.js"
import { keyRefusedUnauthorized } from "./internal/keyRefused.js"
import * as ObtainLease from "./internal/obtainLease.js"
import * as Refresh from "./internal/refresh.js"
import * as StoredSignOut from "./internal/storedSignOut.js"
import { PinReadAt } from "./internal/pinReadAt.js"
import { RenewDeviceJwt } from "./internal/renewDeviceJwt.js"
import { Credentials, type CredentialsService } from "./Credentials.js"
import * as V from "./internal/validate.js"
import * as Configured from "./core/configured.js"
import * as AuthAppUrl from "./internal/authAppUrl.js"

// ---------------------------------------------------------------------------
// Device keys
// ---------------------------------------------------------------------------

/**
 * The public JWK of a device key, as sent to plex.tv: Ed25519 (`OKP`), for
 * signatures, `kid` its RFC 7638 thumbprint (or, for a key brought from
 * python-plexapi, the key ID python-plexapi registered it under: see
 * {@link importKey}).
 *
 * @since 0.1.0
 * @category schemas
 */
export const DeviceJwk = /*#__PURE__*/ Schema.Struct({
  kty: /*#__PURE__*/ Schema.Literal("OKP"),
  crv: /*#__PURE__*/ Schema.Literal("Ed25519"),
  x: Schema.String,
  use: /*#__PURE__*/ Schema.Literal("sig"),
  alg: /*#__PURE__*/ Schema.Literal("EdDSA"),
  kid: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export interface DeviceJwk extends Schema.Schema.Type<typeof DeviceJwk> {}

/**
 * Brands a {@link DeviceKey}.
 *
 * @since 0.1.0
 * @category symbols
 */
export const DeviceKeyTypeId: unique symbol = /*#__PURE__*/ Symbol.for("effect-plex-auth/Jwt/DeviceKey")

/**
 * @since 0.1.0
 * @category symbols
 */
export type DeviceKeyTypeId = typeof DeviceKeyTypeId

/**
 * A device key: an Ed25519 key pair. The public JWK and its thumbprint are
 * plain; the private key is a non-extractable `CryptoKey` for signing, and
 * its JWK member `d` is `Redacted` (for {@link exportKey}). Printing a
 * `DeviceKey` shows only the public part.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeviceKey extends Inspectable.Inspectable {
  readonly [DeviceKeyTypeId]: typeof DeviceKeyTypeId
  /** The public JWK, sent to plex.tv. */
  readonly jwk: DeviceJwk
  /**
   * The `kid`: the RFC 7638 SHA-256 thumbprint (base64url), or for a key brought from python-plexapi
   * ({@link importKey}) the key ID python-plexapi registered it under (hex). Plex JWTs name it in `thumbprint`.
   */
  readonly thumbprint: string
  /** The signing key (not extractable). */
  readonly privateKey: CryptoKey
  /** The private key's `d` member, base64url. */
  readonly d: Redacted.Redacted<string>
}

// Made by an annotated call: a class with computed keys at the top level stays in every bundle that
// imports this module, used or not.
const DeviceKeyImpl = /*#__PURE__*/ (() =>
  class DeviceKeyImpl implements DeviceKey {
    readonly [DeviceKeyTypeId]: typeof DeviceKeyTypeId = DeviceKeyTypeId
    constructor(
      readonly jwk: DeviceJwk,
      readonly privateKey: CryptoKey,
      readonly d: Redacted.Redacted<string>
    ) {}
    get thumbprint(): string {
      return this.jwk.kid
    }
    toJSON(): unknown {
      return { _id: "DeviceKey", jwk: this.jwk }
    }
    toString(): string {
      return Inspectable.format(this.toJSON())
    }
    [Inspectable.NodeInspectSymbol](): unknown {
      return this.toJSON()
    }
  })()

/**
 * Whether a value is a {@link DeviceKey}.
 *
 * @since 0.1.0
 * @category guards
 */
export const isDeviceKey = (u: unknown): u is DeviceKey => Predicate.hasProperty(u, DeviceKeyTypeId)

const fromMembers = (x: string, d: string): Effect.Effect<DeviceKey> =>
  Effect.map(
    Effect.promise(() => JwtFacts.deviceKeyOf(x, d)),
    (key) => new DeviceKeyImpl(key.jwk, key.privateKey, Redacted.make(d))
  )

/**
 * Generates a new device key with Web Crypto. Dies if the platform's Web
 * Crypto has no Ed25519 (Node 20+ and current browsers have it).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Jwt } from "effect-plex-auth"
 *
 * const kid = Effect.map(Jwt.generateKey, (key) => key.thumbprint)
 * ```
 *
 * @since 0.1.0
 * @category device keys
 */
export const generateKey: Effect.Effect<DeviceKey> = /*#__PURE__*/ Effect.flatMap(
  /*#__PURE__*/ Effect.promise(() => Jose.generate()),
  ({ d, x }) => fromMembers(x, d)
)

/**
 * The RFC 7638 SHA-256 thumbprint of an Ed25519 public JWK, base64url. A
 * JWK that is not an object with a string `x` fails with `InvalidInput`.
 *
 * @since 0.1.0
 * @category device keys
 */
export const thumbprint = (jwk: {
  readonly kty: "OKP"
  readonly crv: "Ed25519"
  readonly x: string
}): Effect.Effect<string, InvalidInput> =>
  // A JWK of the wrong kind (untyped JavaScript) is InvalidInput, not a defect.
  Effect.suspend(() =>
    Effect.andThen(
      V.checkField("Jwt.thumbprint", JwtFacts.jwkProblem(jwk)),
      Effect.promise(() => Jose.thumbprint(jwk))
    )
  )

/**
 * A device key as one JSON string (its private JWK), to keep in a
 * `KeyValueStore` or a secret store; `Redacted`, as it holds the private key.
 * A plain function: a key that is not a `DeviceKey`, or one whose `d` was
 * wiped, throws `InvalidInput`.
 *
 * @since 0.1.0
 * @category device keys
 */
export const exportKey = (key: DeviceKey): Redacted.Redacted<string> => {
  // Its `d` read as a secret given as input is (`V.reveal`): once wiped, InvalidInput saying so, not Effect's own error.
  const isKey = isDeviceKey(key)
  const d = isKey ? V.reveal(key.d) : undefined
  V.refuseSync("Jwt.exportKey", "key", JwtFacts.exportKeyProblem(isKey, d))
  return Redacted.make(JSON.stringify({ ...key.jwk, d }))
}

/**
 * python-plexapi's key pair for JWT authentication, as `MyPlexJWTLogin.generateKeypair(keyfiles=...)` writes it: two
 * files of raw key bytes. Read them as bytes (in Node, `fs.readFile` without an encoding) and pass them to
 * {@link importKey}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RawKeyPair {
  /** The raw 32-byte Ed25519 private key (python-plexapi's private key file); `Redacted` or not. */
  readonly privateKey: Uint8Array | Redacted.Redacted<Uint8Array>
  /** The raw 32-byte public key (its public key file), checked against the private key; derived from it when absent. */
  readonly publicKey?: Uint8Array | undefined
}

/**
 * Reads a device key: one written by {@link exportKey} (its private JWK, as
 * a string), or python-plexapi's key pair ({@link RawKeyPair}), which keeps
 * the `kid` python-plexapi registered it under (the hex SHA-256 of the
 * private and public key bytes), so plex.tv still knows it and its Plex JWTs
 * stay bound to it. Fails with `InvalidInput` (never quoting the input) when
 * it is not an Ed25519 private JWK or a pair of raw 32-byte keys, when its
 * halves do not belong together, or when its `kid` is neither its thumbprint
 * nor its python-plexapi key ID.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { Jwt } from "effect-plex-auth"
 *
 * // The bytes of the files python-plexapi's MyPlexJWTLogin.generateKeypair(keyfiles=...) wrote (in Node,
 * // fs.readFile without an encoding).
 * const fromPlexapi = (privateKey: Uint8Array, publicKey: Uint8Array) =>
 *   Jwt.importKey({ privateKey: Redacted.make(privateKey), publicKey })
 * ```
 *
 * @since 0.1.0
 * @category device keys
 */
export const importKey = (
  input: string | Redacted.Redacted<string> | RawKeyPair
): Effect.Effect<DeviceKey, InvalidInput> =>
  Effect.flatMap(
    Effect.promise(() => JwtFacts.importKeyInput(input, V.reveal)),
    (imported): Effect.Effect<DeviceKey, InvalidInput> =>
      "problem" in imported
        ? Effect.fail(V.invalid("Jwt.importKey", "key", imported.problem))
        : Effect.succeed(new DeviceKeyImpl(imported.jwk, imported.privateKey, Redacted.make(imported.d)))
  )

// ---------------------------------------------------------------------------
// Tokens and claims
// ---------------------------------------------------------------------------

/**
 * The claims of a Plex JWT that matter here; the others are kept as they
 * came. Decoded leniently: a claim of an unexpected shape is absent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Claims = /*#__PURE__*/ L.struct(/*#__PURE__*/ JwtFacts.claimsFields())

/**
 * @since 0.1.0
 * @category models
 */
export interface Claims extends Schema.Schema.Type<typeof Claims> {}

/**
 * A Plex JWT: the token (`Redacted`), its claims as read (not verified: see
 * {@link verify}) and when it expires, in epoch milliseconds (undefined when
 * it carries no `exp`, or is not a JWT at all).
 *
 * @since 0.1.0
 * @category models
 */
export interface PlexJwt {
  readonly token: Redacted.Redacted<string>
  readonly claims: Claims
  readonly expiresAt: number | undefined
}

const decodeClaims = /*#__PURE__*/ Schema.decodeUnknownOption(Claims, { onExcessProperty: "preserve" })

const readClaims = (token: string): Option.Option<Claims> =>
  Option.flatMap(Option.fromNullable(Jose.parse(token)), (parsed) => decodeClaims(parsed.payload))

const toPlexJwt = (token: Redacted.Redacted<string>): PlexJwt => {
  const claims = Option.getOrElse(readClaims(Redacted.value(token)), (): Claims => ({}))
  return { token, claims, expiresAt: JwtFacts.expiresAt(claims) }
}

/**
 * Reads a Plex JWT's claims without verifying it (to know when it expires).
 * Fails with `InvalidJwt` (`Malformed`) when it is not a JWT, and with
 * `InvalidInput` when it is not even a string (from untyped JavaScript).
 *
 * @since 0.1.0
 * @category tokens
 */
export const decode = (
  token: string | Redacted.Redacted<string>
): Effect.Effect<PlexJwt, InvalidJwt | InvalidInput> =>
  Effect.flatMap(V.stringOrRedacted("Jwt.decode", "token", token), (redacted) =>
    Option.match(readClaims(Redacted.value(redacted)), {
      onNone: () =>
        Effect.fail(
          new InvalidJwt({
            operation: "Jwt.decode",
            reason: "Malformed",
            detail: JwtFacts.malformedDetail
          })
        ),
      onSome: () => Effect.succeed(toPlexJwt(redacted))
    })
  )

// ---------------------------------------------------------------------------
// The JWT host
// ---------------------------------------------------------------------------

export {
  /**
   * Where JWT device authentication lives: every `/api/v2/auth/*` call
   * ({@link registerKey}, {@link getNonce}, {@link exchange}, {@link getKeys})
   * and the JWT PIN flow ({@link createPin}, {@link pinLogin}). Defaults to
   * {@link defaultHost}, `https://clients.plex.tv`, whatever `PlexTv` says:
   * python-plexapi (`MyPlexJWTLogin`), @ctrl/plex (`src/jwt.ts`) and Plex's
   * developer guide all send these calls there.
   *
   * @since 0.1.0
   * @category host
   */
  JwtHost,
  /**
   * @since 0.1.0
   * @category host
   */
  type JwtHostService
}

/**
 * The default JWT host, `https://clients.plex.tv`.
 *
 * @since 0.1.0
 * @category host
 */
export const defaultHost = JwtFacts.defaultHost

/**
 * Validates a JWT host base URL (without `/api/v2`).
 *
 * @since 0.1.0
 * @category host
 */
export const makeHost = (url: string): Effect.Effect<JwtHostService, InvalidInput> =>
  hostAt("Jwt", "host", url)

/** `url` validated as a JWT host; `InvalidInput` names `operation` and `field`. */
const hostAt = (operation: string, field: string, url: string): Effect.Effect<JwtHostService, InvalidInput> =>
  Effect.map(V.httpUrl(operation, field, url), (valid) => ({ url: JwtFacts.hostUrl(valid) }))

/**
 * A layer that points every JWT device authentication call at `url` (a
 * proxy, a fake).
 *
 * @example
 * ```ts
 * import { Jwt } from "effect-plex-auth"
 *
 * const HostLive = Jwt.layerHost("https://plex-proxy.example")
 * ```
 *
 * @since 0.1.0
 * @category host
 */
export const layerHost = (url: string): Layer.Layer<never, InvalidInput> =>
  Layer.effect(JwtHost, makeHost(url)) as Layer.Layer<never, InvalidInput>

/**
 * The JWT host from `Config` (the environment by default): `PLEX_CLIENTS_URL`
 * when it is set; else `PLEX_TV_URL` when it names somewhere other than
 * plex.tv (a fake, such as `plex-auth fake-server`, which answers the JWT
 * flow on its plex.tv origin, or a proxy), so that JWT sign-in goes where
 * `PlexTv.layerConfig()` sends the account API; else {@link defaultHost}
 * (`https://clients.plex.tv`, for plex.tv itself too). Empty or blank values count as
 * unset. The URL is checked as {@link layerHostConfig} checks it, and is the
 * one it uses (without `/api/v2`): a malformed one (not http or https, a
 * query string) fails with a `ConfigError` (invalid data) at the variable it
 * came from, whose message is the layer's `InvalidInput` reason.
 *
 * @since 0.1.0
 * @category host
 */
export const hostConfig: Config.Config<string> = /*#__PURE__*/ Config.suspend(() =>
  V.checkedConfig(hostFromEnvironment, Configured.jwtHost)
)

/** {@link hostConfig} with the variable the host came from (`JwtFacts.configuredHost`). */
const hostFromEnvironment = /*#__PURE__*/ Config.suspend(() =>
  Config.all({
    clientsUrl: Config.option(Config.string(JwtFacts.hostVariable)),
    plexTvUrl: Config.option(Config.string(JwtFacts.plexTvVariable))
  }).pipe(
    Config.map(({ clientsUrl, plexTvUrl }) =>
      JwtFacts.configuredHost({
        clientsUrl: Option.getOrUndefined(clientsUrl),
        plexTvUrl: Option.getOrUndefined(plexTvUrl)
      })
    )
  )
)

/**
 * A layer that points every JWT device authentication call at the host
 * from `Config` (by default {@link hostConfig}: `PLEX_CLIENTS_URL`, else a
 * `PLEX_TV_URL` other than plex.tv, else `https://clients.plex.tv`). A
 * malformed URL fails with `InvalidInput` when the layer is built; without
 * `url`, its `field` is the variable the host came from (`PLEX_CLIENTS_URL`
 * or `PLEX_TV_URL`).
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 * import { ClientIdentity, Jwt, PlexTv } from "effect-plex-auth"
 *
 * // PLEX_TV_URL=http://127.0.0.1:32401 node app.js   the account API and JWT sign-in both talk to the fake
 * const MainLive = Layer.mergeAll(
 *   FetchHttpClient.layer,
 *   ClientIdentity.layerConfig(),
 *   PlexTv.layerConfig(),
 *   Jwt.layerHostConfig()
 * )
 * ```
 *
 * @since 0.1.0
 * @category host
 */
export const layerHostConfig = (
  url?: Config.Config<string>
): Layer.Layer<never, ConfigError.ConfigError | InvalidInput> =>
  Layer.effect(
    JwtHost,
    url === undefined
      ? Effect.flatMap(hostFromEnvironment, (host) => {
          const checked = Configured.jwtHost(host)
          return "value" in checked
            ? Effect.succeed({ url: checked.value })
            : Effect.fail(V.invalid("Jwt.layerHostConfig", checked.field, checked.problem))
        })
      : Effect.flatMap(V.config("Jwt.layerHostConfig", url), makeHost)
  ) as Layer.Layer<never, ConfigError.ConfigError | InvalidInput>

/**
 * Points one effect's JWT device authentication calls at another host, as
 * `PlexTv.withUrl` does for plex.tv.
 *
 * @since 0.1.0
 * @category host
 */
export const withHost: {
  (url: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInput, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, url: string): Effect.Effect<A, E | InvalidInput, R>
} = /*#__PURE__*/ dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, url: string): Effect.Effect<A, E | InvalidInput, R> =>
    Effect.flatMap(makeHost(url), (host) => Effect.provideService(self, JwtHost, host))
)

/** An anonymous request to the JWT host, for the public function `operation`. */
const atJwtHost = <S extends Request.Spec<any>>(operation: string, spec: S & Request.Carrying<S>) =>
  Effect.flatMap(JwtHost, (host) => Request.execute(operation, spec, host.url))

// ---------------------------------------------------------------------------
// plex.tv operations
// ---------------------------------------------------------------------------

/**
 * What {@link registerKey} found: the key is now registered, or it already
 * was (plex.tv answers 422 "already registered", taken as success so that
 * registering is idempotent).
 *
 * @since 0.1.0
 * @category models
 */
export type Registration = "Registered" | "AlreadyRegistered"

/**
 * Registers a device key's public JWK for the account of the current token:
 * plex.tv `POST /api/v2/auth/jwk`. Registering a key again succeeds with
 * `AlreadyRegistered`; a malformed key, or one registered to another
 * account, fails with `BadRequest` (422). A `key` that is not a
 * {@link DeviceKey} fails with `InvalidInput` before any request.
 *
 * @since 0.1.0
 * @category operations
 */
export const registerKey = (
  key: DeviceKey
): Effect.Effect<
  Registration,
  ResponseError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.flatMap(
    V.check("Jwt.registerKey", "key", isDeviceKey(key) ? undefined : JwtFacts.notDeviceKey),
    () => registerChecked(key)
  )

/** {@link registerKey} of a checked key (also the first step of {@link upgrade}). */
const registerChecked = (key: DeviceKey) =>
  Effect.flatMap(JwtHost, (host) =>
    Request.withToken(
      "Jwt.registerKey",
      {
        ...JwtFacts.registerJwk,
        body: Request.json(JwtFacts.registerJwkBody(key.jwk)),
        schema: L.Unknown
      },
      host.url
    )
  ).pipe(
    Effect.as<Registration>("Registered"),
    Effect.catchIf(
      (error): error is BadRequest => JwtFacts.alreadyRegistered(error),
      () => Effect.succeed<Registration>("AlreadyRegistered")
    )
  )

const Nonce = /*#__PURE__*/ L.struct(/*#__PURE__*/ JwtFacts.nonceFields())

/**
 * Asks plex.tv for a nonce to put in a device JWT: `GET /api/v2/auth/nonce`.
 * A nonce is good for one exchange, within five minutes; plex.tv rate limits
 * this call.
 *
 * @since 0.1.0
 * @category operations
 */
export const getNonce = (): Effect.Effect<
  string,
  ResponseError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity
> => nonceAs("Jwt.getNonce")

/** `GET /api/v2/auth/nonce` for the public function `operation` (its span and errors are named after it). */
const nonceAs = (operation: string) =>
  Effect.map(
    atJwtHost(operation, {
      ...JwtFacts.getNonce,
      schema: Nonce
    }),
    (success) => success.value.nonce
  )

/**
 * The scope a device JWT asks for.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultScope = JwtFacts.defaultScope

/**
 * Options of {@link signDeviceJwt} and {@link deviceJwt}.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeviceJwtOptions {
  /**
   * How long the device JWT is valid. Default 5 minutes (a nonce lives as
   * long). Not positive and finite: `InvalidInput`, before any request.
   */
  readonly lifetime?: Duration.DurationInput | undefined
  /** Default {@link defaultScope}. */
  readonly scope?: string | undefined
}

const defaultDeviceJwtLifetime = /*#__PURE__*/ Duration.millis(JwtFacts.defaultDeviceJwtLifetimeMillis)

// A device JWT's `lifetime`: positive and finite (default 5 minutes), checked before any request.
const checkLifetime = (operation: string, lifetime: unknown) =>
  V.durationOption(operation, "lifetime", lifetime, defaultDeviceJwtLifetime)

// A device JWT's key and options (an object, `required` or not; `scope` a string; the lifetime), checked
// for the public function `operation` before any request: the lifetime, decoded.
const checkDeviceJwtOptions = (
  operation: string,
  key: DeviceKey,
  options: DeviceJwtOptions | undefined,
  required = false
): Effect.Effect<Duration.Duration, InvalidInput> =>
  Effect.gen(function* () {
    yield* V.checkField(operation, JwtFacts.deviceJwtProblem(key, options, required, isDeviceKey))
    return yield* checkLifetime(operation, options?.lifetime)
  })

/** Signs a device JWT with a checked lifetime (see {@link signDeviceJwt}). */
const sign = (
  key: DeviceKey,
  claims: { readonly nonce: string; readonly scope: string | undefined; readonly lifetime: Duration.Duration }
): Effect.Effect<Redacted.Redacted<string>, never, ClientIdentity> =>
  Effect.gen(function* () {
    const identity = yield* ClientIdentity
    const now = yield* Clock.currentTimeMillis
    const jwt = yield* Effect.promise(() =>
      JwtFacts.signDeviceJwt(key.privateKey, {
        thumbprint: key.thumbprint,
        clientIdentifier: identity.clientIdentifier,
        nonce: claims.nonce,
        scope: claims.scope,
        nowMillis: now,
        lifetimeMillis: Duration.toMillis(claims.lifetime)
      })
    )
    return Redacted.make(jwt)
  })

/**
 * Signs a device JWT (EdDSA, header `kid` the key's thumbprint) with payload
 * `{nonce, scope, aud: "plex.tv", iss: <client identifier>, iat, exp}`;
 * `iat` is now by `Clock`. A `lifetime` that is not positive and finite, a
 * `nonce` that is not a non-empty string, a key that is not a
 * {@link DeviceKey} or options of the wrong kind fail with `InvalidInput`.
 *
 * @since 0.1.0
 * @category tokens
 */
export const signDeviceJwt = (
  key: DeviceKey,
  options: DeviceJwtOptions & { readonly nonce: string }
): Effect.Effect<Redacted.Redacted<string>, InvalidInput, ClientIdentity> =>
  Effect.gen(function* () {
    const lifetime = yield* checkDeviceJwtOptions("Jwt.signDeviceJwt", key, options, true)
    yield* V.headerValue("Jwt.signDeviceJwt", "nonce", options.nonce)
    return yield* sign(key, { nonce: options.nonce, scope: options.scope, lifetime })
  })

/** A fresh device JWT with a checked lifetime (see {@link deviceJwt}); the nonce is asked as `Jwt.deviceJwt`. */
const freshDeviceJwt = (key: DeviceKey, scope: string | undefined, lifetime: Duration.Duration) =>
  Effect.flatMap(nonceAs("Jwt.deviceJwt"), (nonce) => sign(key, { nonce, scope, lifetime }))

/**
 * A fresh device JWT: a nonce from plex.tv ({@link getNonce}), signed with
 * the key ({@link signDeviceJwt}). A `lifetime` that is not positive and
 * finite, a key that is not a {@link DeviceKey} or options of the wrong kind
 * fail with `InvalidInput` before any request.
 *
 * @since 0.1.0
 * @category operations
 */
export const deviceJwt = (
  key: DeviceKey,
  options: DeviceJwtOptions = {}
): Effect.Effect<
  Redacted.Redacted<string>,
  ResponseError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity
> =>
  Effect.flatMap(checkDeviceJwtOptions("Jwt.deviceJwt", key, options), (lifetime) =>
    freshDeviceJwt(key, options.scope, lifetime)
  )

/** plex.tv refused the device JWT's nonce (unknown, already used, expired): a fresh one may do. */
const nonceRefused = (error: ResponseError | InvalidInput): error is BadRequest =>
  JwtFacts.nonceRefused(error)

const retryingExchange = <A, R>(
  run: Effect.Effect<A, ResponseError | InvalidInput, R>
): Effect.Effect<A, ResponseError | InvalidInput, R> =>
  Effect.flatMap(CurrentRetryPolicy, (policy) =>
    // The POST inside is never repeated on its own; the policy repeats the whole attempt.
    Request.retrying(Effect.provideService(run, CurrentRetryPolicy, noRetry), policy, true)
  )

const Exchanged = /*#__PURE__*/ L.struct(/*#__PURE__*/ JwtFacts.exchangedFields(L.Secret))

/** {@link exchange} with a checked lifetime. */
const exchangeFor = (
  key: DeviceKey,
  scope: string | undefined,
  lifetime: Duration.Duration
): Effect.Effect<PlexJwt, ResponseError | InvalidInput, HttpClient.HttpClient | ClientIdentity> => {
  const attempt = Effect.gen(function* () {
    const jwt = yield* freshDeviceJwt(key, scope, lifetime)
    // Its client span, named `Jwt.exchange` too, sits inside this one (`plex.operation`: exchangeJwt).
    const success = yield* atJwtHost("Jwt.exchange", {
      ...JwtFacts.exchangeJwt,
      body: Request.json(JwtFacts.exchangeJwtBody(jwt)),
      schema: Exchanged
    })
    // A token that is no JWT, or one without exp, would never be refreshed ahead and be stored in place of a good
    // one (Jwt.verify refuses a JWT without exp too).
    const unusable = JwtFacts.unusableTokenError(Redacted.value(success.value.auth_token), {
      operation: "Jwt.exchange",
      endpoint: JwtFacts.exchangeJwt,
      hostUrl: (yield* JwtHost).url,
      answer: { status: success.status, contentType: success.contentType }
    })
    if (unusable !== undefined) return yield* Effect.fail(new Unexpected(unusable))
    return toPlexJwt(success.value.auth_token)
  })
  return retryingExchange(
    attempt.pipe(
      Effect.catchIf(nonceRefused, () =>
        // On the span, with no log line, as in the Effect 4 edition and as an operation's retries (docs/tracing.md).
        Effect.zipRight(Effect.annotateCurrentSpan(JwtFacts.nonceRefusedAttribute, true), attempt)
      )
    )
  ).pipe(keyRefusedUnauthorized, Effect.withSpan("Jwt.exchange", { captureStackTrace: false }))
}
/**
 * Trades a device JWT for a Plex JWT: a nonce, a signed device JWT, then
 * plex.tv `POST /api/v2/auth/token`. The key must be registered
 * ({@link registerKey}) or bound by a {@link pinLogin}.
 *
 * A nonce is good for one exchange, so the POST itself is never repeated:
 * the retry policy in context (`RetryPolicy.layer` / `withPolicy`) applies
 * to the whole sequence instead, and each attempt fetches a fresh nonce and
 * signs a fresh device JWT. When plex.tv refuses the nonce (422: unknown,
 * already used, expired — say an earlier answer was lost after plex.tv had
 * used it), the sequence runs once more with a fresh one; if that is refused
 * too, the 422 stays a `BadRequest`. Only plex.tv refusing the signature or
 * the key (422: signature verification failed, an unknown key) fails with
 * `Unauthorized`: the device's credentials were refused. Any other 422
 * stays a `BadRequest`. A 401 or 498 is `Unauthorized` too, and so is a
 * 403 (`status` 403), which refuses what the key may not do, not the key
 * ({@link layerStored} starts no new login on it). A 200 whose `auth_token` is not a JWT (three
 * base64url parts with a JSON header and payload), or is one without a
 * numeric `exp`, fails with `Unexpected` (`Decode`; the detail says so,
 * never the token): it would never be refreshed ahead, and {@link verify}
 * refuses a JWT without `exp` (plex.tv's always carry one). A `lifetime` that is not positive and finite, a key
 * that is not a {@link DeviceKey} or options of the wrong kind fail with
 * `InvalidInput` before any request.
 *
 * @since 0.1.0
 * @category operations
 */
export const exchange = (
  key: DeviceKey,
  options: DeviceJwtOptions = {}
): Effect.Effect<PlexJwt, ResponseError | InvalidInput, HttpClient.HttpClient | ClientIdentity> =>
  Effect.flatMap(checkDeviceJwtOptions("Jwt.exchange", key, options), (lifetime) =>
    exchangeFor(key, options.scope, lifetime)
  )

/**
 * Trades the current token (a classic one, from a sign-in or a PIN) for a
 * Plex JWT bound to `key`: registers the key ({@link registerKey}), then
 * {@link exchange}s. A `lifetime` that is not positive and finite, a key
 * that is not a {@link DeviceKey} or options of the wrong kind fail with
 * `InvalidInput` before any request.
 *
 * @since 0.1.0
 * @category operations
 */
export const upgrade = (
  key: DeviceKey,
  options: DeviceJwtOptions = {}
): Effect.Effect<
  PlexJwt,
  ResponseError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.flatMap(checkDeviceJwtOptions("Jwt.upgrade", key, options), (lifetime) =>
    Effect.zipRight(registerChecked(key), exchangeFor(key, options.scope, lifetime))
  ).pipe(Effect.withSpan("Jwt.upgrade", { captureStackTrace: false }))

/**
 * A public key plex.tv signs Plex JWTs with, as `GET /api/v2/auth/keys`
 * lists it (lenient: only `kty` is required; keys that are not Ed25519 are
 * skipped when verifying).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PublicKey = /*#__PURE__*/ L.struct(/*#__PURE__*/ JwtFacts.publicKeyFields())

/**
 * @since 0.1.0
 * @category models
 */
export interface PublicKey extends Schema.Schema.Type<typeof PublicKey> {}

const Keys = /*#__PURE__*/ L.struct(/*#__PURE__*/ JwtFacts.keysFields(PublicKey))

/**
 * The keys plex.tv signs Plex JWTs with: `GET /api/v2/auth/keys`. They
 * rotate: verify against all of them.
 *
 * @since 0.1.0
 * @category operations
 */
export const getKeys = (): Effect.Effect<
  ReadonlyArray<PublicKey>,
  ResponseError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity
> =>
  Effect.map(
    atJwtHost("Jwt.getKeys", {
      ...JwtFacts.getJwks,
      schema: Keys
    }),
    (success) => success.value.keys
  )

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

/**
 * What a Plex JWT must be bound to: a device key, or its thumbprint.
 *
 * @since 0.1.0
 * @category models
 */
export type Binding = DeviceKey | string

/**
 * How far the clocks of plex.tv and this machine may disagree when
 * {@link verifyWith} checks `exp` and `nbf`: 1 minute, unless its
 * `clockSkew` option says otherwise.
 *
 * @since 0.1.0
 * @category verification
 */
export const defaultClockSkew: Duration.Duration = /*#__PURE__*/ Duration.millis(
  JwtFacts.defaultClockSkewMillis
)

/**
 * Verifies a Plex JWT against given keys: an EdDSA signature by one of them
 * (the one named by the header's `kid` is tried first, then the others),
 * `iss` plex.tv, `aud` naming plex.tv or this client's identifier, `exp` not
 * passed and `nbf` (when present) reached, by `Clock` and give or take
 * `clockSkew` ({@link defaultClockSkew}), and the `thumbprint` claim that of
 * `binding`. Returns the claims; fails with `InvalidJwt` saying which check
 * failed (`Expired`, `NotYetValid`, ...). A `clockSkew` that is negative,
 * infinite or not a duration fails with `InvalidInput`, as do a token, keys,
 * binding or options of the wrong kind (from untyped JavaScript).
 *
 * @since 0.1.0
 * @category verification
 */
export const verifyWith = (
  token: string | Redacted.Redacted<string>,
  options: {
    readonly keys: ReadonlyArray<PublicKey>
    readonly binding: Binding
    readonly clockSkew?: Duration.DurationInput | undefined
  }
): Effect.Effect<Claims, InvalidJwt | InvalidInput, ClientIdentity> =>
  Effect.gen(function* () {
    yield* V.object("Jwt.verifyWith", "options", options)
    const clockSkew = yield* checkClockSkew("Jwt.verifyWith", options.clockSkew)
    const jwt = yield* V.stringOrRedacted("Jwt.verifyWith", "token", token)
    yield* V.check("Jwt.verifyWith", "keys", JwtFacts.publicKeysProblem(options.keys))
    yield* V.check("Jwt.verifyWith", "binding", JwtFacts.bindingProblem(options.binding, isDeviceKey))
    return yield* verifyAgainst("Jwt.verifyWith", jwt, options.keys, options.binding, clockSkew)
  })

// A `clockSkew`: zero or more and finite (default a minute), checked before any request.
const checkClockSkew = (operation: string, clockSkew: unknown) =>
  V.durationOption(operation, "clockSkew", clockSkew, defaultClockSkew, { least: 0 })

/** {@link verifyWith} with a checked clock skew; its `InvalidJwt` is named after `operation`, the one called. */
const verifyAgainst = (
  operation: string,
  token: string | Redacted.Redacted<string>,
  keys: ReadonlyArray<PublicKey>,
  binding: Binding,
  clockSkew: Duration.Duration
): Effect.Effect<Claims, InvalidJwt, ClientIdentity> =>
  Effect.gen(function* () {
    const identity = yield* ClientIdentity
    const now = yield* Clock.currentTimeMillis
    const result = yield* Effect.promise(() =>
      JwtFacts.verifyPlexJwt(Redacted.value(V.toRedacted(token)), {
        keys,
        claimsOf: (payload) => Option.getOrElse(decodeClaims(payload), (): Claims => ({})),
        clientIdentifier: identity.clientIdentifier,
        nowMillis: now,
        clockSkewMillis: Duration.toMillis(clockSkew),
        thumbprint: isDeviceKey(binding) ? binding.thumbprint : binding
      })
    )
    if ("reason" in result) {
      return yield* Effect.fail(new InvalidJwt({ operation, reason: result.reason, detail: result.detail }))
    }
    return result.claims
  })

/**
 * Verifies a Plex JWT against the keys plex.tv publishes now
 * ({@link getKeys}, then {@link verifyWith}). A `clockSkew` that is
 * negative, infinite or not a duration fails with `InvalidInput` before any
 * request, as do a token, binding or options of the wrong kind.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Jwt } from "effect-plex-auth"
 *
 * const check = (key: Jwt.DeviceKey, plexJwt: Jwt.PlexJwt) =>
 *   Jwt.verify(plexJwt.token, key).pipe(Effect.map((claims) => claims.exp))
 * ```
 *
 * @since 0.1.0
 * @category verification
 */
export const verify = (
  token: string | Redacted.Redacted<string>,
  binding: Binding,
  options?: { readonly clockSkew?: Duration.DurationInput | undefined }
): Effect.Effect<Claims, InvalidJwt | ResponseError | InvalidInput, HttpClient.HttpClient | ClientIdentity> =>
  // One span for all of it, as the other operations have: input refused before any request fails in it too.
  Effect.gen(function* () {
    yield* V.object("Jwt.verify", "options", options, true)
    const clockSkew = yield* checkClockSkew("Jwt.verify", options?.clockSkew)
    // Its own copy (`V.own`): the token is read once plex.tv's keys came, after the caller may have wiped its `Redacted`.
    const jwt = V.own(yield* V.stringOrRedacted("Jwt.verify", "token", token))
    yield* V.check("Jwt.verify", "binding", JwtFacts.bindingProblem(binding, isDeviceKey))
    const keys = yield* getKeys()
    return yield* verifyAgainst("Jwt.verify", jwt, keys, binding, clockSkew)
  }).pipe(Effect.withSpan("Jwt.verify", { captureStackTrace: false }))

// ---------------------------------------------------------------------------
// PIN login bound to a device key
// ---------------------------------------------------------------------------

/**
 * Creates a PIN bound to a device key: plex.tv `POST /api/v2/pins` with JSON
 * `{"jwk": ..., "strong": true}`. Once approved, its token is a Plex JWT for
 * that key, handed out only with a device JWT (see {@link pinLogin}). A key
 * that is not a `DeviceKey`, options that are not an object, or a `strong`
 * that is not a boolean fail with `InvalidInput` before any request.
 *
 * @since 0.1.0
 * @category pin login
 */
export const createPin = (
  key: DeviceKey,
  options: PinLogin.CreateOptions = {}
): Effect.Effect<PinLogin.Pin, PinLogin.CreateError | InvalidInput, HttpClient.HttpClient | ClientIdentity> =>
  Effect.gen(function* () {
    // Bad input fails before any request: a DeviceKey, options an object, `strong` a boolean.
    yield* V.checkField("Jwt.createPin", JwtFacts.createPinProblem(key, options, isDeviceKey))
    return yield* createCheckedPin(key, options)
  })

/** {@link createPin}, its input checked. */
const createCheckedPin = (
  key: DeviceKey,
  options: PinLogin.CreateOptions
): Effect.Effect<PinLogin.Pin, PinLogin.CreateError | InvalidInput, HttpClient.HttpClient | ClientIdentity> =>
  Effect.map(
    atJwtHost("Jwt.createPin", {
      ...JwtFacts.createJwtPin,
      body: Request.json(JwtFacts.createJwtPinBody(key.jwk, options.strong)),
      schema: PinLogin.Pin
    }),
    (success) => success.value
  )

/**
 * Options of {@link pinLogin}.
 *
 * @since 0.1.0
 * @category models
 */
export interface PinLoginOptions extends Omit<PinLogin.LoginOptions, "deviceJwt"> {
  readonly key: DeviceKey
  /**
   * How long each device JWT presented while polling is valid. Default 5
   * minutes. Each is re-signed a minute before it, or its nonce (5 minutes),
   * runs out. Not positive and finite: `InvalidInput`, before any request.
   */
  readonly deviceJwtLifetime?: Duration.DurationInput | undefined
}

/**
 * PIN login that binds the device key at once: {@link createPin}, hand the
 * PIN and its app.plex.tv URL to `onPin`, then poll (as `PinLogin.poll`
 * does) presenting a device JWT as `?deviceJWT=`; the approved PIN's token
 * is a Plex JWT. One device JWT (one nonce) serves the checks until it is a
 * minute from expiry, and a new one is signed when plex.tv refuses its
 * nonce (422), the check made once more. The PIN's lifetime counts from its creation (the time
 * `onPin` takes is part of it). The device JWT never appears in errors or
 * spans. An approved PIN whose `authToken` is not a JWT, or has no `exp`,
 * fails with `Unexpected` (`Decode`; the detail says so, never the token),
 * as {@link exchange} does: it would never be refreshed ahead. A key
 * plex.tv refuses at a check (422 "Signature verification failed": its
 * device revoked while the poll waits) fails with `Unauthorized`, as at
 * {@link exchange}. A `schedule` that ends before the user approves the PIN
 * fails with `PinExpired` of reason `Pending`: the PIN lives on, but only a
 * check with a device JWT of the key sees its token, so run `pinLogin` again
 * rather than `PinLogin.check` it by its id.
 *
 * @since 0.1.0
 * @category pin login
 */
export const pinLogin = (
  options: PinLoginOptions
): Effect.Effect<
  PlexJwt,
  PinLogin.CreateError | PinLogin.CheckError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity
> =>
  Effect.gen(function* () {
    // Bad input fails before any request: the options are checked before the PIN is created.
    yield* V.checkField(
      "Jwt.pinLogin",
      JwtFacts.pinLoginProblem(options, { deviceKey: isDeviceKey, schedule: Schedule.isSchedule })
    )
    const forwardUrl =
      options.forwardUrl === undefined
        ? undefined
        : yield* V.httpUrl("Jwt.pinLogin", "forwardUrl", options.forwardUrl, { query: true })
    const authAppUrl = yield* AuthAppUrl.resolve("Jwt.pinLogin", options.authAppUrl)
    const lifetime = yield* V.durationOption(
      "Jwt.pinLogin",
      "deviceJwtLifetime",
      options.deviceJwtLifetime,
      defaultDeviceJwtLifetime
    )
    yield* V.durationOption(
      "Jwt.pinLogin",
      "fallbackLifetime",
      options.fallbackLifetime,
      Duration.millis(PinFacts.fallbackLifetimeMillis)
    )
    const pin = yield* createCheckedPin(options.key, options)
    const createdAt = yield* Clock.currentTimeMillis
    const url = yield* PinLogin.authUrl(pin, { forwardUrl, authAppUrl })
    // An `onPin` that gives no Effect (untyped JavaScript: an `async` function) is InvalidInput, not a defect.
    const shown = options.onPin({ pin, url })
    if (!Effect.isEffect(shown)) {
      return yield* Effect.fail(V.invalid("Jwt.pinLogin", "onPin", V.returnsNoEffect))
    }
    yield* shown
    const ttl = Duration.millis(JwtFacts.deviceJwtReuseMillis(Duration.toMillis(lifetime)))
    const context = yield* Effect.context<HttpClient.HttpClient | ClientIdentity>()
    // One device JWT for as long as it may be presented, and a new one after a check that got no answer
    // (PinLogin.poll renews it then: the lost answer may have used its nonce).
    const [cached, renew] = yield* Effect.cachedInvalidateWithTTL(
      Effect.provide(freshDeviceJwt(options.key, undefined, lifetime), context),
      ttl
    )
    // A failed signing (no nonce: a 503, a 429) is not kept for the JWT's reuse period: the next check tries again.
    const presented = Effect.tapError(cached, () => renew)
    const token = yield* PinLogin.poll(pin, { ...options, deviceJwt: presented }).pipe(
      Effect.provideService(RenewDeviceJwt, renew),
      // The PIN's lifetime counts from its creation: a slow `onPin` does not stretch it.
      Effect.provideService(PinReadAt, createdAt)
    )
    // As an exchange's: a token that is no JWT, or has no exp, would never be refreshed ahead, and be stored as the
    // device's Plex JWT.
    const unusable = JwtFacts.unusableTokenError(Redacted.value(token), {
      operation: "Jwt.pinLogin",
      endpoint: PinFacts.checkPin(pin.id, undefined),
      hostUrl: (yield* JwtHost).url,
      field: "authToken"
    })
    if (unusable !== undefined) return yield* Effect.fail(new Unexpected(unusable))
    return toPlexJwt(token)
  }).pipe(Effect.withSpan("Jwt.pinLogin", { captureStackTrace: false }))

// ---------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------

/**
 * The default `refreshMargin`: a Plex JWT with less than a day left is
 * refreshed when it is next read.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultRefreshMargin: Duration.Duration = /*#__PURE__*/ Duration.millis(
  JwtFacts.defaultRefreshMarginMillis
)

// A `refreshMargin`: zero or more, finite (default a day), checked before any request.
const checkRefreshMargin = (operation: string, refreshMargin: unknown) =>
  V.durationOption(operation, "refreshMargin", refreshMargin, defaultRefreshMargin, { least: 0 })

/** After a failed refresh on read, the current token is served this long before trying again. */
const retryAfterFailure = /*#__PURE__*/ Duration.millis(JwtFacts.refreshCooldownMillis)

/**
 * Options of {@link makeCredentials} and {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface CredentialsOptions<E, R> {
  /** The device key, registered with plex.tv or bound by a {@link pinLogin}. */
  readonly key: DeviceKey
  /** A Plex JWT obtained earlier (kept from a previous run). */
  readonly token?: Redacted.Redacted<string> | undefined
  /**
   * How to get the first Plex JWT when there is no `token` (e.g.
   * `Jwt.pinLogin({ key, onPin })` or `Jwt.upgrade(key)`). Default:
   * {@link exchange}, for a key that is already registered.
   */
  readonly obtain?: Effect.Effect<PlexJwt | Redacted.Redacted<string>, E, R> | undefined
  /**
   * Refresh once less than this is left. Default {@link defaultRefreshMargin}
   * (1 day). Negative, infinite or not a duration: `InvalidInput`, before any
   * request.
   */
  readonly refreshMargin?: Duration.DurationInput | undefined
  /** Verify each new Plex JWT against plex.tv's keys ({@link verify}) before using it. Default false. */
  readonly verify?: boolean | undefined
  /**
   * Called with every new Plex JWT the credentials keep (to store it, say); not with one a sign-out dropped. It must
   * return an Effect: one that gives anything else (untyped JavaScript, an `async` function) fails building the
   * credentials with `InvalidInput` naming `onToken` as the first token comes (given `token`, the read that waited
   * for the first renewal dies with it).
   */
  readonly onToken?: ((jwt: PlexJwt) => Effect.Effect<void>) | undefined
}

/**
 * Errors of building JWT credentials: the first token could not be obtained,
 * or an option was refused (`InvalidInput`, before any request).
 *
 * @since 0.1.0
 * @category models
 */
export type CredentialsError<E> = E | ResponseError | InvalidJwt | InvalidInput

/**
 * The first token `obtain` gave (a `PlexJwt` or a `Redacted` token), checked as the `token` option is, as
 * `Credentials.makeRefreshing` checks its `obtain`'s: one that is no token (empty, with whitespace, not a string:
 * from untyped JavaScript, a plain string is wrapped) is `InvalidInput` naming `obtain`, never sent nor handed to
 * `onToken` (stored, by {@link layerStored}).
 */
const obtainedJwt = (
  operation: string,
  value: PlexJwt | Redacted.Redacted<string>
): Effect.Effect<PlexJwt, InvalidInput> => {
  const jwt = !Redacted.isRedacted(value) && Predicate.hasProperty(value, "token") ? value : undefined
  return V.token(operation, "obtain", jwt === undefined ? value : jwt.token).pipe(
    Effect.mapError((error) => V.invalid(operation, "obtain", obtainedTokenProblem(error.reason))),
    // Its own copy (`V.own`): the refresh reads the token's expiry at each read, after the caller may have wiped it.
    Effect.map(V.own),
    Effect.map((token) => (jwt === undefined ? toPlexJwt(token) : { ...jwt, token }))
  )
}

/**
 * Credentials holding a Plex JWT, on the same refresh as
 * `Credentials.makeRefreshing`. Reading the token refreshes it first when
 * less than `refreshMargin` is left (nonce, device JWT, exchange) — one
 * refresh shared by concurrent readers; if that refresh fails, the current
 * token is served (and the refresh retried on a read a minute later). Once
 * the token has expired, though, a read refreshes it first even within that
 * minute: an expired token is not sent without a refresh tried just before
 * (at most one a minute while they fail; the warning logged then says it
 * expired, and its calls fail with plex.tv's `Unauthorized`, whose
 * `reauthentication` is `"CoolingDown"`). When
 * plex.tv refuses the token (401, 498 expired), the refused call refreshes
 * once — one exchange for all concurrent callers, none for a minute after
 * one failed — and is retried once. After `PlexAuth.signOut`, the token is
 * never replaced: the calls that use it fail with `Unauthorized`. The first
 * token `obtain` gives is checked as the `token` option is: one that is no
 * token (empty, with whitespace) fails with `InvalidInput` naming `obtain`,
 * never sent nor handed to `onToken`.
 * Like `makeRefreshing`, it needs a `Scope`: the refresh runs in it, not on
 * the fiber of the caller who started it, and closing it interrupts a
 * refresh in flight.
 *
 * @since 0.1.0
 * @category credentials
 */
export const makeCredentials = <E = never, R = never>(
  options: CredentialsOptions<E, R>
): Effect.Effect<
  CredentialsService,
  CredentialsError<E>,
  R | HttpClient.HttpClient | ClientIdentity | Scope.Scope
> => credentialsWith(options, undefined)

/**
 * A stored Plex JWT that has not expired but is due for a refresh ({@link layerStored}), and whether plex.tv
 * refused the key it is bound to while the first token was asked for (then it never serves).
 */
interface Standby {
  readonly token: Redacted.Redacted<string>
  readonly keyRefused: Effect.Effect<boolean>
}

/**
 * {@link makeCredentials}, with `standby` ({@link Standby}). When no first token can be obtained (plex.tv
 * unreachable, say) and plex.tv did not refuse the key, it serves, and the refresh ahead of its expiry is
 * retried after the cooldown. With `renewal` ({@link layerStored}: the key exchanged, else, once plex.tv refuses
 * the key, `obtain` when `mayObtain` says so), a refresh runs it instead of the exchange alone: `obtain` only for a
 * token plex.tv refused or one that has expired, never ahead of the expiry of a token still good (a PIN login may
 * wait minutes for the user, and every caller waits for a refresh ahead of expiry): there the refused key fails the
 * refresh, the token is served, and the refresh is retried after the cooldown, as with the exchange alone.
 */
const credentialsWith = <E, R>(
  options: CredentialsOptions<E, R>,
  standby: Standby | undefined,
  operation = "Jwt.makeCredentials",
  renewal?:
    | ((
        mayObtain: Effect.Effect<boolean>
      ) => Effect.Effect<
        PlexJwt | Redacted.Redacted<string>,
        CredentialsError<E>,
        R | HttpClient.HttpClient | ClientIdentity
      >)
    | undefined
): Effect.Effect<
  CredentialsService,
  CredentialsError<E>,
  R | HttpClient.HttpClient | ClientIdentity | Scope.Scope
> =>
  Effect.gen(function* () {
    // Bad input fails before any request: options an object, `key` a DeviceKey, `token` a Redacted token,
    // `obtain` an Effect, `verify` a boolean, `onToken` a function, each when given.
    yield* V.checkField(
      "Jwt.makeCredentials",
      JwtFacts.credentialsProblem(options, {
        deviceKey: isDeviceKey,
        effect: Effect.isEffect,
        redactedProblem: V.redactedProblem
      })
    )
    const margin = yield* checkRefreshMargin("Jwt.makeCredentials", options.refreshMargin)
    const context = yield* Effect.context<R | HttpClient.HttpClient | ClientIdentity>()
    // What `onToken` gives for a token, checked as it runs: one that is no Effect (untyped JavaScript, an `async`
    // function's Promise) is InvalidInput naming `onToken` (not a defect, nor a Promise awaited by one edition alone):
    // for the first token, the failure of building the credentials; for a renewed one (the first call when `token`
    // was given), the defect of the read that waited for it, which has no error channel (the renewed token is kept).
    const onToken = (jwt: PlexJwt): Effect.Effect<void, InvalidInput> =>
      Effect.suspend(() => {
        const given = options.onToken === undefined ? Effect.void : options.onToken(jwt)
        return Effect.isEffect(given)
          ? given
          : Effect.fail(V.invalid("Jwt.makeCredentials", "onToken", V.returnsNoEffect))
      })
    // The token in use and the last one a caller's refusal named (`refresh`): `renewal` may obtain for the one in use
    // only once it was refused or has expired.
    const inUse = yield* Ref.make<Redacted.Redacted<string> | undefined>(undefined)
    const refusedToken = yield* Ref.make<string | undefined>(undefined)
    const mayObtain = Effect.flatMap(
      Effect.all([Ref.get(inUse), Ref.get(refusedToken), Clock.currentTimeMillis]),
      ([token, refused, now]) => {
        const expiresAt = token === undefined ? undefined : toPlexJwt(token).expiresAt
        return Effect.succeed(
          token === undefined ||
            refused === Redacted.value(token) ||
            (expiresAt !== undefined && expiresAt <= now)
        )
      }
    )
    const checked = (jwt: PlexJwt): Effect.Effect<PlexJwt, InvalidJwt | ResponseError | InvalidInput> =>
      options.verify
        ? Effect.as(Effect.provide(verify(jwt.token, options.key), context), jwt)
        : Effect.succeed(jwt)
    const renewed: Effect.Effect<
      PlexJwt,
      CredentialsError<E>,
      R | HttpClient.HttpClient | ClientIdentity
    > = renewal === undefined
      ? exchangeFor(options.key, undefined, defaultDeviceJwtLifetime)
      : Effect.flatMap(renewal(mayObtain), (value) => obtainedJwt(operation, value))
    const renew: Effect.Effect<PlexJwt, CredentialsError<E>> = Effect.provide(renewed, context).pipe(
      Effect.flatMap(checked),
      Effect.withSpan("Jwt.refresh", { captureStackTrace: false })
    )
    const obtainFirst =
      options.obtain === undefined
        ? Effect.tap(renew, (jwt) => onToken(jwt))
        : options.obtain.pipe(
            Effect.flatMap((value) => obtainedJwt(operation, value)),
            Effect.flatMap(checked),
            Effect.tap((jwt) => onToken(jwt))
          )
    const first: { readonly jwt: PlexJwt; readonly aheadFailedAt?: number | undefined } =
      options.token !== undefined
        ? { jwt: toPlexJwt(V.own(options.token)) }
        : standby === undefined
          ? { jwt: yield* obtainFirst }
          : yield* obtainFirst.pipe(
              Effect.map((jwt) => ({ jwt })),
              // No new token now: the stored one serves while it is valid, its refresh retried after the cooldown.
              // Not when plex.tv refused its key (no outage): obtain's failure is the layer's, as before; nor once
              // it has expired, asking for a new one having taken that long.
              Effect.catchAll((error) =>
                Effect.flatMap(
                  Effect.all([standby.keyRefused, Clock.currentTimeMillis]),
                  ([keyRefused, at]) => {
                    const jwt = toPlexJwt(standby.token)
                    const warning = JwtFacts.standbyWarning(error, {
                      keyRefused,
                      token: jwt,
                      keyThumbprint: options.key.thumbprint,
                      nowMillis: at
                    })
                    return warning === undefined
                      ? Effect.fail(error)
                      : Effect.zipRight(
                          Effect.logWarning(warning),
                          Effect.succeed({ jwt, aheadFailedAt: at })
                        )
                  }
                )
              )
            )

    yield* Ref.set(inUse, first.jwt.token)
    // The one refresh mechanism (single flight, cooldown, sign-out aware), ahead of expiry too.
    const service = yield* Refresh.make({
      initial: first.jwt.token,
      aheadFailedAt: first.aheadFailedAt,
      obtain: Effect.map(renew, (jwt) => jwt.token),
      expiresAt: (token) => toPlexJwt(token).expiresAt,
      margin,
      cooldown: retryAfterFailure,
      name: "Plex JWT",
      // Only a token the credentials keep: not one a sign-out during its refresh dropped.
      onRenewed: (token) => Effect.zipRight(Ref.set(inUse, token), Effect.orDie(onToken(toPlexJwt(token))))
    })
    const refresh = service.refresh
    return renewal === undefined || refresh === undefined
      ? service
      : {
          ...service,
          refresh: (stale: Redacted.Redacted<string>) =>
            Effect.zipRight(Ref.set(refusedToken, Redacted.value(stale)), refresh(stale))
        }
  })

/**
 * A `Credentials` layer holding a Plex JWT, refreshed before it expires and
 * when plex.tv refuses it (see {@link makeCredentials}).
 *
 * @example
 * ```ts
 * import { Console, Effect, Layer } from "effect"
 * import { Jwt } from "effect-plex-auth"
 *
 * const CredentialsLive = Layer.unwrapEffect(
 *   Effect.map(Jwt.generateKey, (key) =>
 *     Jwt.layer({ key, obtain: Jwt.pinLogin({ key, onPin: ({ url }) => Console.log(`Open ${url}`) }) })
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category credentials
 */
export const layer = <E = never, R = never>(
  options: CredentialsOptions<E, R>
): Layer.Layer<Credentials, CredentialsError<E>, R | HttpClient.HttpClient | ClientIdentity> =>
  Layer.scoped(Credentials, makeCredentials(options))

/**
 * The `KeyValueStore` key prefix under which {@link layerStored} keeps the
 * device key (`<prefix>/device-key`) and the Plex JWT (`<prefix>/token`).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultStoreKey = JwtFacts.defaultStoreKey

/**
 * Options of {@link layerStored}.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredOptions<E, R> {
  /**
   * How to get a Plex JWT for the key when the stored one cannot be used and
   * the key cannot be exchanged (a new key, or one plex.tv no longer
   * accepts, at the start or at a refresh): e.g. `(key) => Jwt.pinLogin({ key, onPin })`.
   */
  readonly obtain: (key: DeviceKey) => Effect.Effect<PlexJwt | Redacted.Redacted<string>, E, R>
  /**
   * The key prefix; default {@link defaultStoreKey}. An empty or blank one fails the layer with `InvalidInput`.
   */
  readonly key?: string | undefined
  readonly refreshMargin?: Duration.DurationInput | undefined
  readonly verify?: boolean | undefined
}

/**
 * JWT credentials kept in a `KeyValueStore`, so a restart reuses the
 * registered key: the stored device key (a new one when there is none, or it
 * is unreadable) and the stored Plex JWT while it is fresh. Otherwise a
 * stored key is exchanged for a new token, and if that is refused (or the
 * key is new) `obtain` runs. Every new token is stored (best effort). When
 * the exchange gives no new token for any reason but a refused key (plex.tv
 * out of reach: `NetworkError`; `RateLimited`; a server error or an answer
 * that cannot be read, an `auth_token` that is no JWT too: `Unexpected`; a
 * `BadRequest`; an `Unauthorized` with status 403, what a valid key may
 * not do, not a refused one; with `verify`, a new
 * token that does not verify: `InvalidJwt`, or its keys not fetched), none
 * of which says the stored token or its key is bad, and the stored token,
 * though within `refreshMargin` of expiring, has not expired by then, the
 * layer starts with it (logging a warning that names the failure) and its
 * refresh ahead of expiry is retried on a read a minute later (or as soon
 * as it expires); only with no stored token, or an expired one, does that
 * failure fail the layer. When plex.tv refused the key (the exchange failed
 * with `Unauthorized`: 422 "Signature verification failed", 401 or 498,
 * never a 403), the stored token, bound to that key, never serves:
 * `obtain` runs, and its failure fails the layer. So does a refresh during
 * the run for a token plex.tv refused (a revoked device) or one that has
 * expired, whose exchange plex.tv refuses: `obtain` runs, under the same
 * lease, and its failure fails that call with `Unauthorized`
 * (`reauthentication`: `"Failed"`); the next run, whose stored token is that
 * refused one, comes to `obtain` again at its first call. A refresh ahead of
 * the expiry of a token still good does not run `obtain` (a PIN login would
 * hold every caller until it ends): the refused exchange fails it, the token
 * serves, and it is retried a minute later. Processes sharing the
 * store that start together with no key run `obtain` one at a time (the
 * lease of `Credentials.layerStored`, under `<prefix>/token:obtaining`): the
 * others wait for the key and token it stores and use them, so a PIN login
 * asks for one approval. A new key is stored once `obtain` has given its
 * token, after it. `PlexAuth.signOut` through it forgets the stored token
 * and key (while the stored token is one this layer held, or none; a token
 * another process stored is left, with the key): the next run makes a new
 * key and runs `obtain`, rather than exchanging the kept key for a new token
 * without the user.
 *
 * @example
 * ```ts
 * import { KeyValueStore } from "@effect/platform"
 * import { Console, Layer } from "effect"
 * import { Jwt } from "effect-plex-auth"
 *
 * const CredentialsLive = Jwt.layerStored({
 *   obtain: (key) => Jwt.pinLogin({ key, onPin: ({ url }) => Console.log(`Open ${url}`) })
 * }).pipe(Layer.provide(KeyValueStore.layerMemory))
 * ```
 *
 * @since 0.1.0
 * @category credentials
 */
export const layerStored = <E, R>(
  options: StoredOptions<E, R>
): Layer.Layer<
  Credentials,
  CredentialsError<E> | PlatformError,
  R | HttpClient.HttpClient | ClientIdentity | KeyValueStore.KeyValueStore
> =>
  Layer.scoped(
    Credentials,
    Effect.gen(function* () {
      // Bad input fails before any request or store access: options an object, `obtain` a function, `key`
      // a string (not empty nor blank) and `verify` a boolean when given.
      yield* V.checkField("Jwt.layerStored", JwtFacts.storedProblem(options))
      const refreshMargin = yield* checkRefreshMargin("Jwt.layerStored", options.refreshMargin)
      const store = yield* KeyValueStore.KeyValueStore
      const { deviceKey: keyEntry, token: tokenEntry } = JwtFacts.storeEntries(options.key ?? defaultStoreKey)
      const storedKey = yield* Effect.flatMap(store.get(keyEntry), (raw) =>
        Option.match(raw, {
          onNone: () => Effect.succeedNone,
          onSome: (text) =>
            importKey(Redacted.make(text)).pipe(
              Effect.asSome,
              Effect.catchAll((error) =>
                Effect.as(Effect.logWarning(JwtFacts.storedKeyIgnoredMessage(error.reason)), Option.none())
              )
            )
        })
      )
      const margin = Duration.toMillis(refreshMargin)
      // What `obtain` gives for a key, checked as it runs: one that is no Effect (untyped JavaScript, an `async`
      // function's Promise) is InvalidInput naming `obtain`, not a defect (nor `Jwt.makeCredentials`'s name).
      const obtainFor = (
        key: DeviceKey
      ): Effect.Effect<PlexJwt | Redacted.Redacted<string>, E | InvalidInput, R> =>
        Effect.suspend((): Effect.Effect<PlexJwt | Redacted.Redacted<string>, E | InvalidInput, R> => {
          const obtained = options.obtain(key)
          return Effect.isEffect(obtained)
            ? obtained
            : Effect.fail(V.invalid("Jwt.layerStored", "obtain", V.returnsNoEffect))
        })
      // The one sign-out of the stored layers (internal/storedSignOut.ts), as `Credentials.layerStored`'s: it forgets
      // the tokens this layer held, and the key with them; keeping a token (best effort) goes one write at a time
      // with it.
      const signOut = yield* StoredSignOut.make({ store, tokenEntry, keyEntry })
      // Each token this layer keeps is one it holds (stored, or taken from another process).
      const keep = (jwt: PlexJwt) => Effect.zipRight(signOut.hold(jwt.token), signOut.keep(jwt.token))
      // A signed-out token in the store is of no use to the next run, and neither is its key: with the key
      // alone, the next run would exchange it for a new token, signed in again without the user. The sign-out
      // forgets both (best effort, as keeping them) while the stored token is one this layer held, or none; the key
      // only while it is still this key (another process may have stored another).
      const forgettingOnSignOut = (key: DeviceKey, service: CredentialsService): CredentialsService =>
        signOut.signingOut(service, (text) =>
          Effect.map(
            Effect.option(importKey(Redacted.make(text))),
            (stored) => Option.isSome(stored) && stored.value.thumbprint === key.thumbprint
          )
        )
      // The key exchanged for a new token, else, once plex.tv refuses it (`Unauthorized`, not a 403), `obtain` for it: at the start
      // (no usable stored token) and at a refresh of a token refused (a revoked device) or expired (`obtainWhen`: not
      // ahead of the expiry of a token still good), so that a refused key is never a dead end while the stored token
      // it is bound to is fresh. `obtain` runs under the lease of a
      // start with no key (processes sharing the store whose key is refused together ask for one approval): a process
      // that waits takes the token the holder stores, one bound to this key, still good, and not one this layer held
      // (the token it started with, or one it stored: the one refused).
      const refusedKeyObtain = (key: DeviceKey) =>
        Effect.gen(function* () {
          // Set when plex.tv refuses the key (then `obtain` runs, and the stored token never serves).
          const keyRefused = yield* Ref.make(false)
          const storedSince = Effect.gen(function* () {
            const raw = Option.flatten(yield* Effect.option(store.get(tokenEntry)))
            const held = (yield* signOut.held).map((token) => Redacted.value(token))
            if (Option.isNone(raw) || held.includes(raw.value)) return Option.none()
            const jwt = toPlexJwt(Redacted.make(raw.value))
            return JwtFacts.storedTokenStillValid(jwt, key.thumbprint, yield* Clock.currentTimeMillis)
              ? Option.some(jwt)
              : Option.none()
          })
          const lease = ObtainLease.make<PlexJwt | Redacted.Redacted<string>>({
            store,
            key: tokenEntry,
            lookup: storedSince
          })
          // The token taken from the store, another process's (set once `obtain` took it): not written back. That
          // process stored it already, and may have stored a newer one since, or removed it (a sign-out).
          const taken = yield* Ref.make<Redacted.Redacted<string> | undefined>(undefined)
          // `obtain` only when `mayObtain` says so (a refresh: the token refused or expired), else the refusal fails.
          const obtainWhen = (mayObtain: Effect.Effect<boolean>) =>
            exchangeFor(key, undefined, defaultDeviceJwtLifetime).pipe(
              Effect.catchIf(
                // Only a refused key or token (422 "Signature verification failed", 401, 498): a 403 refuses what a
                // valid key may not do (core/refreshRun.ts tokenRefusedBy), and a new key would not change that.
                (error) => error._tag === "Unauthorized" && tokenRefusedBy(error.status),
                (error) =>
                  Effect.zipRight(
                    Effect.filterOrFail(
                      mayObtain,
                      (may) => may,
                      () => error
                    ),
                    Effect.zipRight(
                      Ref.set(keyRefused, true),
                      Effect.flatMap(lease.obtainShared(obtainFor(key)), ({ taken: fromOther, value }) =>
                        Effect.as(
                          fromOther
                            ? Ref.set(taken, Redacted.isRedacted(value) ? value : value.token)
                            : Effect.void,
                          value
                        )
                      )
                    )
                  )
              )
            )
          const obtain = obtainWhen(Effect.succeed(true))
          const keepOwn = (jwt: PlexJwt) =>
            Effect.flatMap(Ref.get(taken), (fromOther) =>
              fromOther !== undefined && Redacted.value(fromOther) === Redacted.value(jwt.token)
                ? signOut.hold(jwt.token)
                : keep(jwt)
            )
          return { obtain, obtainWhen, keepOwn, keyRefused: Ref.get(keyRefused) }
        })
      // The credentials of a stored key: its stored token while fresh, else the key exchanged, else `obtain`.
      const fromStoredKey = (key: DeviceKey) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const storedText = yield* store.get(tokenEntry)
          // A stored token is only good with the stored key it is bound to, and until it expires.
          const storedJwt = Option.filter(
            Option.map(storedText, (raw) => toPlexJwt(Redacted.make(raw))),
            (jwt) => JwtFacts.storedTokenStillValid(jwt, key.thumbprint, now)
          )
          // Used as it is while more than the margin is left; else renewed first, and served only if that fails.
          const storedToken = Option.filter(storedJwt, (jwt) =>
            JwtFacts.storedTokenUsable(jwt, key.thumbprint, now, margin)
          )
          const { keepOwn, keyRefused, obtain, obtainWhen } = yield* refusedKeyObtain(key)
          // The token stored beside this key when the layer started is one it knew of, still good or not: a sign-out
          // forgets it. An expired one is still there when the write of the token that replaced it failed, and,
          // left, it would keep the key beside it, which the next run would exchange for a new token.
          if (Option.isSome(storedText)) yield* signOut.hold(Redacted.make(storedText.value))
          const service = yield* credentialsWith(
            {
              key,
              token: Option.getOrUndefined(Option.map(storedToken, (jwt) => jwt.token)),
              obtain,
              refreshMargin,
              verify: options.verify,
              onToken: keepOwn
            },
            Option.isSome(storedToken) || Option.isNone(storedJwt)
              ? undefined
              : { token: storedJwt.value.token, keyRefused },
            "Jwt.layerStored",
            obtainWhen
          )
          return forgettingOnSignOut(key, service)
        })
      if (Option.isSome(storedKey)) return yield* fromStoredKey(storedKey.value)
      // No key to use: a new one, and `obtain` (a PIN login the user approves) for it, one process at a time among
      // those sharing the store (the lease of internal/obtainLease.ts, as Credentials.layerStored's): a process that
      // finds another obtaining waits for the key and token it stores, and uses them, instead of asking the user for
      // a second approval. The key is stored after the token, both before the lease is released: a key stored alone
      // (its login not approved yet) would send a process starting meanwhile to exchange it, refused, then to
      // `obtain` on its own.
      const scope = yield* Effect.scope
      const storedByOther = Effect.gen(function* () {
        const text = Option.flatten(yield* Effect.option(store.get(keyEntry)))
        if (Option.isNone(text)) return Option.none()
        const key = yield* Effect.option(importKey(Redacted.make(text.value)))
        if (Option.isNone(key)) return Option.none()
        const raw = Option.flatten(yield* Effect.option(store.get(tokenEntry)))
        const now = yield* Clock.currentTimeMillis
        return Option.isSome(raw) &&
          JwtFacts.storedTokenStillValid(toPlexJwt(Redacted.make(raw.value)), key.value.thumbprint, now)
          ? Option.some<StoredFirst>({ _tag: "Taken", key: key.value })
          : Option.none()
      })
      const obtainNew = Effect.gen(function* () {
        // A token stored without a key this layer can use (none, or one it could not read) is one it knew of, as the
        // one a stored key's layer starts with: a sign-out forgets it. Left by a failed write of the token `obtain`
        // gives, it would keep the new key beside it, which the next run would exchange for a new token.
        const before = Option.flatten(yield* Effect.option(store.get(tokenEntry)))
        if (Option.isSome(before)) yield* signOut.hold(Redacted.make(before.value))
        const key = yield* generateKey
        const renewal = yield* refusedKeyObtain(key)
        const service = yield* Scope.extend(
          credentialsWith(
            {
              key,
              obtain: obtainFor(key),
              refreshMargin,
              verify: options.verify,
              onToken: renewal.keepOwn
            },
            undefined,
            "Jwt.layerStored",
            renewal.obtainWhen
          ),
          scope
        )
        const keyText = Redacted.value(exportKey(key))
        yield* StoredSignOut.logged(store.set(keyEntry, keyText), SignOutFacts.storeFailed.key, [
          keyText,
          Redacted.value(key.d)
        ])
        return { _tag: "Made", service: forgettingOnSignOut(key, service) } satisfies StoredFirst
      })
      const lease = ObtainLease.make({ store, key: tokenEntry, lookup: storedByOther })
      // The store was just read and held no usable key (`storedKey`): the lease does not look a second time first.
      const { value } = yield* lease.obtainShared(obtainNew, { looked: true })
      return value._tag === "Made" ? value.service : yield* fromStoredKey(value.key)
    })
  )

/** What {@link layerStored} found with no key of its own: another process's key (and token), or its own credentials. */
type StoredFirst =
  | { readonly _tag: "Taken"; readonly key: DeviceKey }
  | { readonly _tag: "Made"; readonly service: CredentialsService }

/**
 * Forgets what {@link layerStored} kept (device key and token).
 * `PlexAuth.signOut` through {@link layerStored} already forgets them.
 *
 * A key that is not a string, or is empty or blank, fails with `InvalidInput`, removing nothing.
 *
 * @since 0.1.0
 * @category credentials
 */
export const forgetStored = (
  key: string = defaultStoreKey
): Effect.Effect<void, PlatformError | InvalidInput, KeyValueStore.KeyValueStore> =>
  // A key that is not a string (untyped JavaScript) would remove some other entry, an empty or blank one (a variable
  // not set) an entry no layer uses: refused instead.
  Effect.andThen(V.check("Jwt.forgetStored", "key", V.optionalStoreKeyProblem(key)), forgetChecked(key))

const forgetChecked = (key: string): Effect.Effect<void, PlatformError, KeyValueStore.KeyValueStore> =>
  Effect.flatMap(KeyValueStore.KeyValueStore, (store) =>
    Effect.zipRight(
      store.remove(JwtFacts.storeEntries(key).deviceKey),
      store.remove(JwtFacts.storeEntries(key).token)
    )
  )
