/**
 * The fake's JWT device authentication: reading device keys, checking
 * device JWTs (real EdDSA verification with Web Crypto), minting Plex JWTs
 * signed with the fake's own rotating Ed25519 keys.
 *
 * @internal
 */
import * as Jose from "../jose.js"
import { nonceLifetimeMillis as plexTvNonceLifetimeMillis } from "../jwt.js"
import { joinedAt } from "./payloads.js"
import type { Store } from "./store.js"

/** How long a Plex JWT lives. */
export const plexJwtLifetimeMillis = 7 * 24 * 60 * 60 * 1000

/** How long a nonce stays usable: as on plex.tv (core/jwt.ts). */
export const nonceLifetimeMillis = plexTvNonceLifetimeMillis

/** A device's public key, as registered or attached to a PIN. */
export interface DeviceKeyEntry {
  readonly kid: string
  readonly thumbprint: string
  readonly x: string
  readonly jwk: Readonly<Record<string, unknown>>
  readonly publicKey: CryptoKey
}

/** A key the fake's plex.tv signs Plex JWTs with. */
export interface SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicJwk: Readonly<Record<string, string>>
}

/** What the fake remembers of a Plex JWT it minted. */
export interface PlexJwtEntry {
  readonly accountId: number
  readonly expiresAt: number
  /** The `thumbprint` claim: the device key's `kid`. */
  readonly thumbprint: string
  /** The granted `scope` claim. */
  readonly scope: string
}

const isObject = (u: unknown): u is Record<string, unknown> =>
  u !== null && typeof u === "object" && !Array.isArray(u)

/** The JSON body of a request, when it has one. */
export const jsonBody = (contentType: string | null, body: string): Record<string, unknown> | undefined => {
  if (!/json/i.test(contentType ?? "")) return undefined
  try {
    const value: unknown = JSON.parse(body)
    return isObject(value) ? value : undefined
  } catch {
    return undefined
  }
}

/** A device key from a JWK, or undefined when it is not a usable Ed25519 public key. */
export const readJwk = async (u: unknown): Promise<DeviceKeyEntry | undefined> => {
  if (!Jose.isEd25519Public(u)) return undefined
  if ("d" in u) return undefined // never accept a private key
  if (u["kid"] !== undefined && (typeof u["kid"] !== "string" || u["kid"] === "")) return undefined
  try {
    const thumbprint = await Jose.thumbprint(u)
    const publicKey = await Jose.importPublic(u)
    const kid = typeof u["kid"] === "string" ? u["kid"] : thumbprint
    return { kid, thumbprint, x: u.x, jwk: { ...u }, publicKey }
  } catch {
    return undefined
  }
}

/**
 * Checks a device JWT: EdDSA signature by `key`, `iss` the client, `aud`
 * plex.tv, `exp` ahead, a nonce the fake issued that is neither used nor
 * expired. Returns why it fails (a Plex-style message), or undefined.
 */
export const checkDeviceJwt = async (
  store: Store,
  parsed: Jose.Parsed,
  key: DeviceKeyEntry,
  clientIdentifier: string,
  now: number
): Promise<string | undefined> => {
  if (parsed.header["kid"] !== undefined && parsed.header["kid"] !== key.kid) {
    return "Signature verification failed"
  }
  if (!(await Jose.verify(key.publicKey, parsed))) return "Signature verification failed"
  const claims = parsed.payload
  if (claims["iss"] !== clientIdentifier) return "Issuer does not match the client identifier"
  if (!Jose.audienceIncludes(claims["aud"], ["plex.tv"])) return "Audience must include plex.tv"
  const exp = claims["exp"]
  if (typeof exp !== "number" || exp * 1000 <= now) return "The device JWT has expired"
  const nonce = claims["nonce"]
  const nonceExpiresAt = typeof nonce === "string" ? store.nonces.get(nonce) : undefined
  if (nonceExpiresAt === undefined || nonceExpiresAt <= now) return "The nonce is unknown, used or expired"
  return undefined
}

/** The key Plex JWTs are signed with now, made on first use. */
export const currentSigningKey = (store: Store): Promise<SigningKey> => {
  const newest = store.signingKeys[store.signingKeys.length - 1]
  return newest === undefined ? rotate(store, true) : Promise.resolve(newest)
}

/** A new signing key; the previous ones stay published unless `retainPrevious` is false. */
export const rotate = async (store: Store, retainPrevious: boolean): Promise<SigningKey> => {
  const { d, x } = await Jose.generate()
  const kid = await Jose.thumbprint({ kty: "OKP", crv: "Ed25519", x })
  const privateKey = await Jose.importPrivate(x, d)
  const key: SigningKey = {
    kid,
    privateKey,
    publicJwk: { kty: "OKP", crv: "Ed25519", x, kid, use: "sig", alg: "EdDSA" }
  }
  store.signingKeys = retainPrevious ? [...store.signingKeys, key] : [key]
  return key
}

/** The scopes a device JWT may ask for (python-plexapi `MyPlexJWTLogin.SCOPES`, @ctrl/plex `PLEX_JWT_SCOPES`). */
export const knownScopes = ["username", "email", "friendly_name", "restricted", "anonymous", "joinedAt"]

/** What a device JWT asked for when it named no scope (the clients' default). */
export const defaultScope = "username,email,friendly_name"

/** The known scopes of a requested `scope` claim, in the order asked, once each, comma-joined. */
export const grantedScope = (requested: unknown): string => {
  const asked = typeof requested === "string" ? requested : defaultScope
  const out: Array<string> = []
  for (const raw of asked.split(",")) {
    const scope = raw.trim()
    if (knownScopes.includes(scope) && !out.includes(scope)) out.push(scope)
  }
  return out.join(",")
}

/**
 * Mints a Plex JWT for an account, bound to a device key, and makes it a
 * token plex.tv and the account's servers accept until it expires.
 *
 * Its `thumbprint` claim echoes the device key's `kid` as the client sent
 * it, as plex.tv does: python-plexapi (`verifyJWT`) and @ctrl/plex
 * (`verifyPlexJwt`) compare the claim with their own `kid`, which is not an
 * RFC 7638 thumbprint. Its `scope` is the (known) scope the device JWT asked
 * for, and its `user` claim carries the account's id and uuid plus one
 * member per granted scope. Plex does not document the `user` claim's
 * members; they are named here after the scopes. A token traded for a
 * device JWT carries that JWT's `nonce` (@ctrl/plex's `verifyPlexJwt`
 * requires the claims `exp`, `iat`, `nonce`, `thumbprint` and `user`).
 */
export const mint = async (
  store: Store,
  accountId: number,
  kid: string,
  clientIdentifier: string,
  now: number,
  scope: string = defaultScope,
  nonce?: string | undefined
): Promise<string> => {
  const key = await currentSigningKey(store)
  const account = store.accounts.get(accountId)
  const granted = grantedScope(scope)
  const user: Record<string, unknown> = { id: accountId, uuid: account?.uuid }
  for (const name of granted === "" ? [] : granted.split(",")) {
    if (name === "username") user["username"] = account?.username
    // A managed Home user has no email and is restricted, as its account (GET /api/v2/user, payloads.ts) shows it.
    if (name === "email") user["email"] = account?.managed === true ? null : account?.email
    if (name === "friendly_name") user["friendly_name"] = account?.friendlyName
    if (name === "restricted") user["restricted"] = account?.managed === true
    if (name === "anonymous") user["anonymous"] = false
    if (name === "joinedAt") user["joinedAt"] = account === undefined ? undefined : joinedAt(account)
  }
  const iat = Math.floor(now / 1000)
  const exp = Math.floor((now + plexJwtLifetimeMillis) / 1000)
  const jti = store.randomString(16)
  const token = await Jose.sign(
    key.privateKey,
    { alg: "EdDSA", typ: "JWT", kid: key.kid },
    {
      iss: "plex.tv",
      aud: ["plex.tv", clientIdentifier],
      sub: account?.uuid ?? String(accountId),
      user,
      scope: granted,
      thumbprint: kid,
      ...(nonce === undefined ? {} : { nonce }),
      jti,
      iat,
      exp
    }
  )
  store.issue(token, accountId, now, "jwt")
  store.plexJwts.set(token, { accountId, expiresAt: exp * 1000, thumbprint: kid, scope: granted })
  return token
}

/** Whether `token` is a Plex JWT the fake minted that has expired (plex.tv answers 498). */
export const isExpired = (store: Store, token: string | undefined, now: number): boolean => {
  if (token === undefined) return false
  const entry = store.plexJwts.get(token)
  return entry !== undefined && entry.expiresAt <= now
}

/** Issues a nonce valid for five minutes. */
export const issueNonce = (store: Store, now: number): string => {
  const nonce = store.randomString(32)
  for (const [old, expiresAt] of store.nonces) if (expiresAt <= now) store.nonces.delete(old)
  store.nonces.set(nonce, now + nonceLifetimeMillis)
  return nonce
}
