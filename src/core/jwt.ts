/**
 * Facts about Plex's JWT device authentication, as plain functions with no
 * Effect in them (both editions' `Jwt` use them): the clients.plex.tv paths,
 * the device JWT's header and claims, how plex.tv's refusals of an exchange
 * read, and the verification of a Plex JWT (signature, issuer, audience,
 * expiry, binding), on Web Crypto through `jose.ts`.
 *
 * python-plexapi (`MyPlexJWTLogin`) and @ctrl/plex (`src/jwt.ts`) send the
 * same requests and claims, but for two choices made here: the key's `kid`
 * is its RFC 7638 thumbprint (both make it the hex SHA-256 of the private
 * and public key bytes, and compare the Plex JWT's `thumbprint` claim with
 * it, as {@link verifyPlexJwt} does with this one; a key brought from them
 * keeps theirs, {@link plexapiKeyId}), and the default scope is
 * {@link defaultScope}, after Plex's developer guide (both ask for all six
 * scopes they know).
 *
 * @internal
 */
import * as D from "./decode.js"
import type { Endpoint } from "./endpoint.js"
import * as Jose from "./jose.js"
import { notSchedule, pinsPath } from "./pin.js"
import { describeFailure } from "./refresh.js"
import { withoutApiV2 } from "./urls.js"
import {
  type FieldProblem as Problem,
  firstProblem,
  functionProblem,
  member,
  must,
  notEffect,
  objectProblem,
  optionalBooleanProblem,
  optionalStoreKeyProblem,
  optionalStringProblem,
  optionalValue,
  whenGiven,
  wiped,
  wipedProblem
} from "./validate.js"

/** Registers a device key's public JWK for the account of the token: `POST`. */
export const jwkPath = "/api/v2/auth/jwk"

/** A nonce for one device JWT: `GET`. */
export const noncePath = "/api/v2/auth/nonce"

/** Trades a device JWT for a Plex JWT: `POST` `{ jwt }`. */
export const tokenPath = "/api/v2/auth/token"

/** The keys plex.tv signs Plex JWTs with: `GET`. */
export const keysPath = "/api/v2/auth/keys"

/** The scope a device JWT asks for. */
export const defaultScope = "username,email,friendly_name"

/** How long a nonce of plex.tv's is good for: 5 minutes (and once). */
export const nonceLifetimeMillis = 5 * 60 * 1000

/** How long a device JWT is valid by default: 5 minutes (a nonce lives as long). */
export const defaultDeviceJwtLifetimeMillis = nonceLifetimeMillis

/** How far clocks may disagree when checking `exp` and `nbf`, by default: 1 minute. */
export const defaultClockSkewMillis = 60 * 1000

/** How long before expiry a Plex JWT is refreshed, by default: 1 day. */
export const defaultRefreshMarginMillis = 24 * 60 * 60 * 1000

/** How long to wait after a failed refresh before trying again: 1 minute. */
export const refreshCooldownMillis = 60 * 1000

/**
 * A device JWT's header and claims: EdDSA, `kid` the key's thumbprint;
 * `{nonce, scope, aud: "plex.tv", iss: <client identifier>, iat, exp}` with
 * `iat` now (seconds) and `exp` at least one second later.
 */
export const deviceJwtParts = (input: {
  readonly thumbprint: string
  readonly clientIdentifier: string
  readonly nonce: string
  readonly scope?: string | undefined
  readonly nowMillis: number
  readonly lifetimeMillis?: number | undefined
}): {
  readonly header: Readonly<Record<string, unknown>>
  readonly payload: Readonly<Record<string, unknown>>
} => {
  const iat = Math.floor(input.nowMillis / 1000)
  const lifetime = input.lifetimeMillis ?? defaultDeviceJwtLifetimeMillis
  const exp = iat + Math.max(1, Math.floor(lifetime / 1000))
  return {
    header: { alg: "EdDSA", typ: "JWT", kid: input.thumbprint },
    payload: {
      nonce: input.nonce,
      scope: input.scope ?? defaultScope,
      aud: "plex.tv",
      iss: input.clientIdentifier,
      iat,
      exp
    }
  }
}

/** Signs a device JWT (see {@link deviceJwtParts}) with the device's private key. */
export const signDeviceJwt = (
  privateKey: CryptoKey,
  input: Parameters<typeof deviceJwtParts>[0]
): Promise<string> => {
  const { header, payload } = deviceJwtParts(input)
  return Jose.sign(privateKey, header, payload)
}

/** What a refused answer carries that the decisions below read. */
export interface Refusal {
  readonly _tag: string
  readonly status?: number | undefined
  readonly errors?: ReadonlyArray<{ readonly message?: string | undefined }> | undefined
}

const refused422 = (error: Refusal, pattern: RegExp): boolean =>
  error._tag === "BadRequest" &&
  error.status === 422 &&
  (error.errors ?? []).some((e) => e.message !== undefined && pattern.test(e.message))

/** plex.tv answered a key registration 422 "already registered": registering is idempotent. */
export const alreadyRegistered = (error: Refusal): boolean => refused422(error, /already registered/i)

/** plex.tv refused the device JWT's nonce (unknown, already used, expired): a fresh one may do. */
export const nonceRefused = (error: Refusal): boolean => refused422(error, /nonce/i)

/** The span attribute of an exchange retried once with a new nonce after plex.tv refused one ({@link nonceRefused}): true. */
export const nonceRefusedAttribute = "plex.nonce_refused"

/** plex.tv refused the device JWT's signature or its key (unknown, not registered, revoked). */
export const keyRefused = (error: Refusal): boolean =>
  !nonceRefused(error) && refused422(error, /signature|\bkey\b|\bjwk\b|\bkid\b|thumbprint/i)

/** The claims verification reads (an edition decodes them leniently from the payload). */
export interface ClaimFacts {
  readonly iss?: string | undefined
  readonly aud?: string | ReadonlyArray<string> | undefined
  readonly exp?: number | undefined
  readonly nbf?: number | undefined
  readonly thumbprint?: string | undefined
}

/** Why a Plex JWT failed verification. */
export type VerifyFailure = {
  readonly reason:
    | "Malformed"
    | "Signature"
    | "Issuer"
    | "Audience"
    | "Expired"
    | "NotYetValid"
    | "Thumbprint"
  readonly detail: string
}

/** Why `Jwt.decode` refuses a token as `Malformed`: its claims could not be read. */
export const malformedDetail = "not a compact JWS with JSON claims"

/** When a Plex JWT expires (epoch milliseconds), from its `exp` claim. */
export const expiresAt = (claims: ClaimFacts): number | undefined =>
  claims.exp === undefined ? undefined : claims.exp * 1000

/**
 * Verifies a Plex JWT: an EdDSA signature by one of `keys` (the one named by
 * the header's `kid` first, then the others; keys that are not Ed25519 are
 * skipped), `iss` plex.tv, `aud` naming plex.tv or this client, `exp` not
 * passed and `nbf` (when present) reached, give or take `clockSkewMillis`,
 * and the `thumbprint` claim the expected one. Resolves to the claims, or
 * to why it failed.
 */
export const verifyPlexJwt = async <C extends ClaimFacts>(
  token: string,
  options: {
    readonly keys: ReadonlyArray<unknown>
    readonly claimsOf: (payload: Readonly<Record<string, unknown>>) => C
    readonly clientIdentifier: string
    readonly nowMillis: number
    readonly clockSkewMillis?: number | undefined
    readonly thumbprint: string
  }
): Promise<{ readonly claims: C } | VerifyFailure> => {
  const parsed = Jose.parse(token)
  if (parsed === undefined)
    return { reason: "Malformed", detail: "not a compact JWS with JSON header and claims" }
  if (parsed.header["alg"] !== "EdDSA") return { reason: "Malformed", detail: "the algorithm is not EdDSA" }
  const kid = parsed.header["kid"]
  const candidates = options.keys
    .filter(Jose.isEd25519Public)
    .sort((a, b) => Number(b["kid"] === kid) - Number(a["kid"] === kid))
  let verified = false
  for (const candidate of candidates) {
    try {
      if (await Jose.verify(await Jose.importPublic(candidate), parsed)) {
        verified = true
        break
      }
    } catch {
      // A key Web Crypto refuses verifies nothing; try the next one.
    }
  }
  if (!verified) {
    return {
      reason: "Signature",
      detail: `no key of the ${candidates.length} Ed25519 keys given verifies its signature`
    }
  }
  const claims = options.claimsOf(parsed.payload)
  if (claims.iss !== "plex.tv") return { reason: "Issuer", detail: "the issuer is not plex.tv" }
  if (!Jose.audienceIncludes(claims.aud, ["plex.tv", options.clientIdentifier])) {
    return { reason: "Audience", detail: "the audience names neither plex.tv nor this client" }
  }
  const skew = options.clockSkewMillis ?? defaultClockSkewMillis
  if (claims.exp === undefined) return { reason: "Expired", detail: "it has no expiry" }
  if (claims.exp * 1000 + skew <= options.nowMillis) return { reason: "Expired", detail: "it has expired" }
  if (claims.nbf !== undefined && claims.nbf * 1000 - skew > options.nowMillis) {
    return { reason: "NotYetValid", detail: "it is not valid yet (nbf)" }
  }
  if (claims.thumbprint !== options.thumbprint) {
    return { reason: "Thumbprint", detail: "it is bound to another device key" }
  }
  return { claims }
}

// ---------------------------------------------------------------------------
// Payloads: each edition builds its schemas from these tables with its `lenient.ts`
// ---------------------------------------------------------------------------

/** The claims of a Plex JWT that matter here (`Jwt.Claims`); the others are kept as they came. */
export const claimsFields = () => ({
  iss: D.optional(D.string),
  aud: D.optional(D.union<string | ReadonlyArray<string>>([D.string, D.strings])),
  /** Expiry, in seconds since the epoch. */
  exp: D.optional(D.number),
  /** Issued at, in seconds since the epoch. */
  iat: D.optional(D.number),
  /** Not before, in seconds since the epoch: the token is not valid until then. */
  nbf: D.optional(D.number),
  /** The thumbprint of the device key the token is bound to. */
  thumbprint: D.optional(D.string)
})

/** A key plex.tv signs Plex JWTs with, as {@link getJwks} lists it (`Jwt.PublicKey`): only `kty` is required. */
export const publicKeyFields = () => ({
  kty: D.string,
  crv: D.optional(D.string),
  x: D.optional(D.string),
  kid: D.optional(D.string),
  alg: D.optional(D.string),
  use: D.optional(D.string)
})

/** The answer to {@link getNonce}. */
export const nonceFields = () => ({ nonce: D.str })

/** The answer to {@link exchangeJwt}: the Plex JWT, in the edition's `secret`. */
export const exchangedFields = <S>(secret: D.CodecLike<S>) => ({ auth_token: secret })

/** The answer to {@link getJwks}: the keys, those of another shape dropped. */
export const keysFields = <K>(key: D.CodecLike<K>) => ({ keys: D.array(key) })

/** clients.plex.tv `POST /api/v2/auth/jwk` `{ jwk }` (a 204): registers a device key for the token's account. */
export const registerJwk = {
  endpoint: "registerJwk",
  method: "POST",
  path: jwkPath,
  noContent: true
} as const satisfies Endpoint

/** The body of {@link registerJwk}. */
export const registerJwkBody = <K>(jwk: K): { readonly jwk: K } => ({ jwk })

/** clients.plex.tv `GET /api/v2/auth/nonce`: `{ nonce }`. */
export const getNonce = { endpoint: "getNonce", method: "GET", path: noncePath } as const satisfies Endpoint

/** clients.plex.tv `POST /api/v2/auth/token` `{ jwt }`: `{ auth_token }`. The nonce is single-use: never sent twice. */
export const exchangeJwt = {
  endpoint: "exchangeJwt",
  method: "POST",
  path: tokenPath,
  idempotent: false
} as const satisfies Endpoint

/**
 * Why the `auth_token` plex.tv answered an exchange with cannot serve as a Plex JWT: it is not a compact JWS
 * (three base64url parts, a JSON header and a JSON payload), or its claims carry no expiry (`exp`, a number of
 * seconds). Either way it would never be refreshed ahead and, with stored credentials, be stored in place of a
 * good token; `verify` refuses one without `exp` too (`Expired`, "it has no expiry"). plex.tv's JWTs expire
 * (7 days). (@ctrl/plex's `verifyPlexJwt`, which `registerPlexJwt`/`refreshPlexJwt` run,
 * compares `exp` but lets a token without one through: `undefined <= n` is false; this check is stricter.)
 * Undefined when it can serve. The detail never carries the token, only the `field` that held it (`auth_token`;
 * a JWT PIN's `authToken`). (A JWT that is not plex.tv's is left to `verify`.)
 */
export const exchangedTokenProblem = (token: string, field = "auth_token"): string | undefined => {
  const parsed = Jose.parse(token)
  if (parsed === undefined)
    return `the ${field} is not a JWT (three base64url parts with a JSON header and payload)`
  const exp = parsed.payload["exp"]
  return typeof exp === "number" && Number.isFinite(exp)
    ? undefined
    : `the ${field} is a JWT with no expiry (exp): it could never be refreshed ahead`
}

/**
 * The URL an error names for a request to `endpoint` at `baseUrl`: origin and path (its `spanPath` when it has
 * one), as the request engine (`request.ts`'s `outgoing`) names it.
 */
export const errorUrl = (
  baseUrl: string,
  endpoint: { readonly path: string; readonly spanPath?: string | undefined }
): string => {
  const url = new URL(baseUrl + endpoint.path)
  return url.origin + (endpoint.spanPath ?? url.pathname)
}

/** The body of {@link exchangeJwt}: the device JWT (the edition's secret). */
export const exchangeJwtBody = <S>(jwt: S): { readonly jwt: S } => ({ jwt })

/** clients.plex.tv `GET /api/v2/auth/keys`: `{ keys }`. */
export const getJwks = { endpoint: "getJwks", method: "GET", path: keysPath } as const satisfies Endpoint

/** clients.plex.tv `POST /api/v2/pins` `{ jwk, strong }`: a PIN whose token is bound to a device key. */
export const createJwtPin = {
  endpoint: "createPin",
  method: "POST",
  path: pinsPath
} as const satisfies Endpoint

/** The body of {@link createJwtPin}: strong unless `strong` is `false`. */
export const createJwtPinBody = <K>(
  jwk: K,
  strong: boolean | undefined
): { readonly jwk: K; readonly strong: boolean } => ({
  jwk,
  strong: strong !== false
})

// ---------------------------------------------------------------------------
// Device keys
// ---------------------------------------------------------------------------

/** A device key's public JWK as plex.tv registers it: Ed25519 for EdDSA signatures, `kid` its RFC 7638 thumbprint. */
export interface DeviceJwk {
  readonly kty: "OKP"
  readonly crv: "Ed25519"
  readonly x: string
  readonly use: "sig"
  readonly alg: "EdDSA"
  readonly kid: string
}

/**
 * The device key of the members `x` (public) and `d` (private): its JWK and its Web Crypto private key. Its `kid` is
 * `kid` when given (python-plexapi's key ID, {@link plexapiKeyId}, for a key brought from there), else its RFC 7638
 * thumbprint.
 */
export const deviceKeyOf = async (
  x: string,
  d: string,
  kid?: string
): Promise<{ readonly jwk: DeviceJwk; readonly privateKey: CryptoKey }> => {
  const id = kid ?? (await Jose.thumbprint({ kty: "OKP", crv: "Ed25519", x }))
  const privateKey = await Jose.importPrivate(x, d)
  return { jwk: { kty: "OKP", crv: "Ed25519", x, use: "sig", alg: "EdDSA", kid: id }, privateKey }
}

/**
 * The `kid` python-plexapi (`MyPlexJWTLogin._keyID`) and @ctrl/plex (`keyId`) give a device key, and register it
 * under: the hex SHA-256 of the raw private key bytes followed by the raw public key bytes. plex.tv names the key by
 * it (the device JWT's `kid`, the Plex JWT's `thumbprint` claim), so a key brought from there keeps it. Undefined when
 * `x` or `d` is not base64url.
 */
export const plexapiKeyId = async (x: string, d: string): Promise<string | undefined> => {
  const publicBytes = Jose.base64UrlDecode(x)
  const privateBytes = Jose.base64UrlDecode(d)
  if (publicBytes === undefined || privateBytes === undefined) return undefined
  const material = new Uint8Array(privateBytes.length + publicBytes.length)
  material.set(privateBytes)
  material.set(publicBytes, privateBytes.length)
  try {
    return await Jose.sha256Hex(material)
  } finally {
    material.fill(0)
    privateBytes.fill(0)
  }
}

/** Whether `publicJwk` is the public half of `privateKey`: a probe is signed, then verified with it. */
export const keyMatches = async (privateKey: CryptoKey, publicJwk: Jose.OkpPublic): Promise<boolean> => {
  const probe = Jose.parse(await Jose.sign(privateKey, { alg: "EdDSA" }, { probe: true }))
  return probe !== undefined && Jose.verify(await Jose.importPublic(publicJwk), probe)
}

/**
 * A device key exported as a private JWK (`{...jwk, d}`), read back: the key,
 * or why the text is not one (not JSON, not an Ed25519 JWK, no 32-byte `d`,
 * refused by Web Crypto, a `kid` that is not the thumbprint, an `x` that is
 * not the public half of `d`).
 */
export const importDeviceKey = async (
  text: string
): Promise<
  | { readonly jwk: DeviceJwk; readonly privateKey: CryptoKey; readonly d: string }
  | { readonly problem: string }
> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { problem: "is not JSON" }
  }
  if (!Jose.isEd25519Public(parsed)) return { problem: "is not an Ed25519 JWK" }
  const d = parsed["d"]
  if (typeof d !== "string" || Jose.base64UrlDecode(d)?.length !== 32) {
    return { problem: "has no valid private member d" }
  }
  let key: Awaited<ReturnType<typeof deviceKeyOf>>
  try {
    key = await deviceKeyOf(parsed.x, d)
  } catch {
    return { problem: "was refused by Web Crypto" }
  }
  const kid = parsed["kid"]
  if (kid !== undefined && kid !== key.jwk.kid) {
    // The key ID python-plexapi and @ctrl/plex register a key under (what exportKey writes for a key brought from
    // there) is its kid too: derived from x and d, checked as the thumbprint is.
    if (typeof kid !== "string" || kid !== (await plexapiKeyId(parsed.x, d))) {
      return { problem: "has a kid that is neither its thumbprint nor its python-plexapi key ID" }
    }
    key = { ...key, jwk: { ...key.jwk, kid } }
  }
  if (!(await keyMatches(key.privateKey, key.jwk))) {
    return { problem: "has a public member x that does not match d" }
  }
  return { ...key, d }
}

/** A raw Ed25519 key (python-plexapi's key files): 32 bytes, as a `Uint8Array` (a Node `Buffer` is one). */
const isRawKey = (u: unknown): u is Uint8Array => u instanceof Uint8Array && u.length === 32

/**
 * A device key from python-plexapi's key pair (`MyPlexJWTLogin.generateKeypair(keyfiles=...)` writes them): the raw
 * 32-byte Ed25519 private key and, optionally, the raw 32-byte public key (derived from the private one when absent,
 * checked against it when given). Its `kid` is the one python-plexapi registered it under ({@link plexapiKeyId}).
 * The key, or why the input is not one (never quoting it).
 */
export const importRawKeyPair = async (
  privateKey: unknown,
  publicKey: unknown
): Promise<
  | { readonly jwk: DeviceJwk; readonly privateKey: CryptoKey; readonly d: string }
  | { readonly problem: string }
> => {
  if (!isRawKey(privateKey))
    return { problem: "has a privateKey that is not 32 bytes (a raw Ed25519 private key)" }
  if (publicKey !== undefined && !isRawKey(publicKey)) {
    return { problem: "has a publicKey that is not 32 bytes (a raw Ed25519 public key)" }
  }
  let members: { readonly x: string; readonly d: string }
  try {
    members = await Jose.membersOfPrivate(privateKey)
  } catch {
    return { problem: "was refused by Web Crypto" }
  }
  if (publicKey !== undefined && Jose.base64UrlEncode(publicKey) !== members.x) {
    return { problem: "has a publicKey that is not the public half of its privateKey" }
  }
  const kid = await plexapiKeyId(members.x, members.d)
  if (kid === undefined) return { problem: "was refused by Web Crypto" }
  let key: Awaited<ReturnType<typeof deviceKeyOf>>
  try {
    key = await deviceKeyOf(members.x, members.d, kid)
  } catch {
    return { problem: "was refused by Web Crypto" }
  }
  return { ...key, d: members.d }
}

/** Why `Jwt.importKey` refuses bytes given as the key ({@link importKeyInput}), and what to give instead. */
export const bytesGiven =
  'is bytes, not text: give the JSON text Jwt.exportKey wrote (read its file as text: readFile(path, "utf8")), or ' +
  "python-plexapi's key pair as { privateKey, publicKey }"

/**
 * Why `Jwt.exportKey` refuses `key` (`isKey`: the edition's `isDeviceKey`; `d`: its private member as the edition's
 * `reveal` read it), or undefined: no `DeviceKey`, or one whose `d` the caller wiped (`Redacted.unsafeWipe`, Effect
 * 4's `wipeUnsafe`), where Effect's `Redacted.value` threw its own "Unable to get redacted value".
 */
export const exportKeyProblem = (isKey: boolean, d: unknown): string | undefined =>
  !isKey
    ? notDeviceKey
    : typeof d === "string"
      ? undefined
      : `its private member d ${wipedProblem}: export a key before wiping it`

/**
 * The device key of what a caller gave `Jwt.importKey` (both editions), or why it is not one (never quoting it): a
 * string is a private JWK as `exportKey` writes it ({@link importDeviceKey}); an object, python-plexapi's key pair of
 * raw bytes ({@link importRawKeyPair}). Untyped JavaScript may pass anything: what is neither is read as text, and
 * refused. `reveal` reads the edition's `Redacted` (the input, or the pair's `privateKey`), and gives any other value
 * back as it is.
 */
export const importKeyInput = (
  input: unknown,
  reveal: (value: unknown) => unknown
): Promise<
  | { readonly jwk: DeviceJwk; readonly privateKey: CryptoKey; readonly d: string }
  | { readonly problem: string }
> => {
  const value = reveal(input)
  if (value === wiped) return Promise.resolve({ problem: wipedProblem })
  // Bytes (a `Buffer`, `Uint8Array`, `ArrayBuffer`): the file of `exportKey`'s text read without an encoding. Read as
  // a key pair, they were said to have a privateKey that is not 32 bytes, of a privateKey never given.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer)
    return Promise.resolve({ problem: bytesGiven })
  if (typeof value !== "object" || value === null) {
    return importDeviceKey(typeof value === "string" ? value : String(value))
  }
  const pair = value as Partial<Record<"privateKey" | "publicKey", unknown>>
  const privateKey = reveal(pair.privateKey)
  return privateKey === wiped
    ? Promise.resolve({ problem: `privateKey ${wipedProblem}` })
    : importRawKeyPair(privateKey, pair.publicKey)
}

// ---------------------------------------------------------------------------
// Hosts, PIN login and stored credentials
// ---------------------------------------------------------------------------

/** Where the JWT endpoints are: clients.plex.tv. */
export const defaultHost = "https://clients.plex.tv"

/** A JWT host URL as the requests use it: a trailing `/api/v2` (as some references write it) is dropped. */
export const hostUrl = (url: string): string => withoutApiV2(url)

/** The variable naming the JWT host (`Jwt.hostConfig`), after the test kits' `clientsUrl`. */
export const hostVariable = "PLEX_CLIENTS_URL"

/** The variable naming plex.tv (`PlexTv.config`), which the JWT host follows when `PLEX_CLIENTS_URL` is unset. */
export const plexTvVariable = "PLEX_TV_URL"

/** Whether a URL is plex.tv's own (`https://plex.tv`, with or without `/api/v2`), whose JWT host is clients.plex.tv. */
const isPlexTv = (url: string): boolean => {
  try {
    const parsed = new URL(url)
    return parsed.origin === "https://plex.tv" && /^\/(api\/v2\/?)?$/.test(parsed.pathname)
  } catch {
    return false
  }
}

/**
 * The JWT host of a program configured from the environment (`Jwt.hostConfig`), with the variable it came from:
 * `PLEX_CLIENTS_URL` when set; else `PLEX_TV_URL` when it names somewhere other than plex.tv (a fake such as
 * `plex-auth fake-server`, which answers the JWT flow on its plex.tv origin, or a proxy), so that JWT sign-in goes
 * where the account API goes; else clients.plex.tv (for plex.tv itself too: Plex sends the JWT flow there; no
 * variable). Empty or blank values count as unset (`validate.ts` `optionalValue`). The value is validated by `configured.ts`'s `jwtHost` (naming `variable`: a
 * malformed `PLEX_TV_URL` is reported as the user's `PLEX_TV_URL`, not as a JWT host they never set).
 */
export const configuredHost = (variables: {
  readonly clientsUrl: string | undefined
  readonly plexTvUrl: string | undefined
}): { readonly url: string; readonly variable: string | undefined } => {
  const clients = optionalValue(variables.clientsUrl)?.trim()
  if (clients !== undefined) return { url: clients, variable: hostVariable }
  const plexTv = optionalValue(variables.plexTvUrl)?.trim()
  return plexTv !== undefined && !isPlexTv(plexTv)
    ? { url: plexTv, variable: plexTvVariable }
    : { url: defaultHost, variable: undefined }
}

/**
 * How long a device JWT presented while polling a JWT PIN is reused: a
 * minute short of its lifetime or of its nonce's, whichever ends first (at
 * least a second), so that a long wait re-signs it before plex.tv would
 * refuse it as expired or its nonce as spent.
 */
export const deviceJwtReuseMillis = (lifetimeMillis: number): number =>
  Math.max(1000, Math.min(lifetimeMillis, nonceLifetimeMillis) - 60_000)

/** The store key prefix of stored JWT credentials, by default. */
export const defaultStoreKey = "effect-plex-auth/jwt"

/** The store entries under `prefix`: the device key (a private JWK) and the Plex JWT. */
export const storeEntries = (prefix: string): { readonly deviceKey: string; readonly token: string } => ({
  deviceKey: `${prefix}/device-key`,
  token: `${prefix}/token`
})

/**
 * What `Jwt.layerStored` logs (a warning) when the device key it stored cannot be imported (`reason`: why, never
 * the key): it goes on without it, as with no stored key, and says what that means: a new key, registered by
 * `obtain` (a new sign-in: a PIN to approve), which replaces the unreadable one once `obtain` gave its token.
 */
export const storedKeyIgnoredMessage = (reason: string): string =>
  `Jwt: ignoring the stored device key (${reason}): making a new key, which obtain registers (a new sign-in); ` +
  "it replaces the stored one once obtain gives its token"

/** What the decisions on a stored Plex JWT read of it (an edition's `PlexJwt`): the key it is bound to, its expiry. */
export interface StoredToken {
  readonly claims: { readonly thumbprint?: string | undefined }
  readonly expiresAt: number | undefined
}

/**
 * Whether a stored Plex JWT is still worth using: bound to the stored key
 * (its `thumbprint` claim), and not within `marginMillis` of expiring (one
 * with no expiry is).
 */
export const storedTokenUsable = (
  token: StoredToken,
  keyThumbprint: string,
  nowMillis: number,
  marginMillis: number
): boolean =>
  token.claims.thumbprint === keyThumbprint &&
  (token.expiresAt === undefined || token.expiresAt - nowMillis > marginMillis)

/**
 * Whether a stored Plex JWT can still serve, though within `marginMillis` of
 * expiring: bound to the stored key and not yet expired. A new token is
 * asked for first; when none can be had (plex.tv unreachable), this one
 * serves, and its refresh ahead of expiry is retried after the cooldown.
 */
export const storedTokenStillValid = (
  token: StoredToken,
  keyThumbprint: string,
  nowMillis: number
): boolean =>
  token.claims.thumbprint === keyThumbprint && (token.expiresAt === undefined || token.expiresAt > nowMillis)

/**
 * When no new Plex JWT could be had for stored credentials whose token is due for a refresh (`failure`, as the
 * edition's refresh failed): the warning to log as the stored token serves on until it is renewed, or undefined
 * when the failure stands (plex.tv refused the key: `keyRefused`; or the token is bound to another key, or has
 * expired by `nowMillis`). The warning names the failure's `_tag` and `reason`, never a token.
 */
export const standbyWarning = (
  failure: unknown,
  input: {
    readonly keyRefused: boolean
    readonly token: StoredToken
    readonly keyThumbprint: string
    readonly nowMillis: number
  }
): string | undefined =>
  input.keyRefused || !storedTokenStillValid(input.token, input.keyThumbprint, input.nowMillis)
    ? undefined
    : `Jwt: no new Plex JWT (${describeFailure(failure)}); serving the stored one until it is renewed`

/**
 * The fields of the `Unexpected` (`Decode`) an edition fails with when plex.tv hands out a `token` that cannot
 * serve as a Plex JWT ({@link exchangedTokenProblem}: `field` names where it came from), or undefined when it can:
 * named after `operation` and the request that brought it (`endpoint` at `hostUrl`, as {@link errorUrl} names it),
 * with the answer's `status` and `contentType` when the edition has them. Never the token.
 */
export const unusableTokenError = (
  token: string,
  at: {
    readonly operation: string
    readonly endpoint: {
      readonly method: string
      readonly path: string
      readonly spanPath?: string | undefined
    }
    readonly hostUrl: string
    readonly field?: string | undefined
    readonly answer?: { readonly status: number; readonly contentType: string | undefined } | undefined
  }
) => {
  const detail = exchangedTokenProblem(token, at.field)
  return detail === undefined
    ? undefined
    : {
        operation: at.operation,
        method: at.endpoint.method,
        url: errorUrl(at.hostUrl, at.endpoint),
        ...at.answer,
        reason: "Decode" as const,
        detail
      }
}

// ---------------------------------------------------------------------------
// The editions' input checks
// ---------------------------------------------------------------------------
// Each says which argument of a public `Jwt` function is at fault and why, in the order the function checks them,
// before any request; the edition fails with its `InvalidInput`. What only the edition can tell (its `DeviceKey`,
// `Effect`, `Schedule` and `Redacted`) it passes in; durations (decoded by the edition) are checked after these.

/** Why a value given as a device key (`isDeviceKey` false) cannot be one. */
export const notDeviceKey = "must be a DeviceKey (from Jwt.generateKey or Jwt.importKey)"

/** What an edition tells of its own values. */
type Is = (u: unknown) => boolean

/** Why `key` cannot be a device key ({@link notDeviceKey}), or undefined. */
const keyProblem = (key: unknown, isDeviceKey: Is): string | undefined =>
  isDeviceKey(key) ? undefined : notDeviceKey

/** Why `binding` cannot be what a Plex JWT is bound to (a device key, or its thumbprint: a non-empty string), or undefined. */
export const bindingProblem = (binding: unknown, isDeviceKey: Is): string | undefined =>
  isDeviceKey(binding) || (typeof binding === "string" && binding.length > 0)
    ? undefined
    : "must be a DeviceKey or its thumbprint (a string)"

/** Why `keys` cannot be the public keys a Plex JWT is verified against (an array of objects), or undefined. */
export const publicKeysProblem = (keys: unknown): string | undefined =>
  Array.isArray(keys) && keys.every((k) => objectProblem(k, false) === undefined)
    ? undefined
    : "must be an array of public keys"

/** `Jwt.thumbprint`'s argument at fault: the JWK not an object, or its `x` not a string. */
export const jwkProblem = (jwk: unknown): Problem | undefined =>
  firstProblem([
    ["jwk", () => objectProblem(jwk, false)],
    ["x", () => (typeof member(jwk, "x") === "string" ? undefined : "must be a string")]
  ])

/**
 * The argument at fault of an operation that signs a device JWT (`Jwt.signDeviceJwt`, `deviceJwt`, `exchange`,
 * `upgrade`): the key, then the options (an object; undefined too unless `required`), then a `scope` that is not a
 * string. The `lifetime` is checked after.
 */
export const deviceJwtProblem = (
  key: unknown,
  options: unknown,
  required: boolean,
  isDeviceKey: Is
): Problem | undefined =>
  firstProblem([
    ["key", () => keyProblem(key, isDeviceKey)],
    ["options", () => objectProblem(options, !required)],
    ["scope", () => optionalStringProblem(member(options, "scope"))]
  ])

/** `Jwt.createPin`'s argument at fault: the key, then the options (an object or undefined), then `strong` (a boolean). */
export const createPinProblem = (key: unknown, options: unknown, isDeviceKey: Is): Problem | undefined =>
  firstProblem([
    ["key", () => keyProblem(key, isDeviceKey)],
    ["options", () => objectProblem(options, true)],
    ["strong", () => optionalBooleanProblem(member(options, "strong"))]
  ])

/**
 * `Jwt.pinLogin`'s option at fault: the options (an object), `key`, `onPin` (a function), `strong` (a boolean),
 * `schedule` (a `Schedule`). The URLs and the lifetimes are checked after.
 */
export const pinLoginProblem = (
  options: unknown,
  is: { readonly deviceKey: Is; readonly schedule: Is }
): Problem | undefined =>
  firstProblem([
    ["options", () => objectProblem(options, false)],
    ["key", () => keyProblem(member(options, "key"), is.deviceKey)],
    ["onPin", () => functionProblem(member(options, "onPin"))],
    ["strong", () => optionalBooleanProblem(member(options, "strong"))],
    ["schedule", () => whenGiven(member(options, "schedule"), must(is.schedule, notSchedule))]
  ])

/**
 * The option of JWT credentials (`Jwt.makeCredentials`, `layer`) at fault: the options (an object), `key`, a
 * `token` that is not a `Redacted` token (`redactedProblem`, the edition's), an `obtain` that is not an `Effect`,
 * a `verify` that is not a boolean, an `onToken` that is not a function. The `refreshMargin` is checked after.
 */
export const credentialsProblem = (
  options: unknown,
  is: {
    readonly deviceKey: Is
    readonly effect: Is
    readonly redactedProblem: (u: unknown) => string | undefined
  }
): Problem | undefined =>
  firstProblem([
    ["options", () => objectProblem(options, false)],
    ["key", () => keyProblem(member(options, "key"), is.deviceKey)],
    ["token", () => whenGiven(member(options, "token"), is.redactedProblem)],
    ["obtain", () => whenGiven(member(options, "obtain"), must(is.effect, notEffect))],
    ["verify", () => optionalBooleanProblem(member(options, "verify"))],
    ["onToken", () => whenGiven(member(options, "onToken"), functionProblem)]
  ])

/**
 * `Jwt.layerStored`'s option at fault: the options (an object), `obtain` (a function), `key` (a string, not empty
 * nor blank) and `verify` (a boolean) when given. The `refreshMargin` is checked after.
 */
export const storedProblem = (options: unknown): Problem | undefined =>
  firstProblem([
    ["options", () => objectProblem(options, false)],
    ["obtain", () => functionProblem(member(options, "obtain"))],
    ["key", () => optionalStoreKeyProblem(member(options, "key"))],
    ["verify", () => optionalBooleanProblem(member(options, "verify"))]
  ])
