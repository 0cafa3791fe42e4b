/**
 * The few JOSE pieces JWT device authentication needs, on Web Crypto only
 * (`globalThis.crypto.subtle`, Ed25519): base64url, RFC 7638 thumbprints,
 * compact JWS signing, parsing and verification. Shared by `Jwt` and the
 * fake Plex.
 *
 * @internal
 */

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const subtle = (): SubtleCrypto => globalThis.crypto.subtle

/** base64url without padding (RFC 7515 §2). */
export const base64UrlEncode = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

/** The bytes of a base64url string, or undefined when it is not one. */
export const base64UrlDecode = (text: string): Uint8Array<ArrayBuffer> | undefined => {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4)
  try {
    const binary = atob(padded)
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return bytes
  } catch {
    return undefined
  }
}

const encodeSegment = (value: unknown): string => base64UrlEncode(encoder.encode(JSON.stringify(value)))

/** The members of an Ed25519 public key that identify it. */
export interface OkpPublic {
  readonly kty: "OKP"
  readonly crv: "Ed25519"
  readonly x: string
}

/** Whether `u` is an Ed25519 public JWK whose `x` is 32 base64url bytes. */
export const isEd25519Public = (u: unknown): u is OkpPublic & Readonly<Record<string, unknown>> => {
  if (u === null || typeof u !== "object" || Array.isArray(u)) return false
  const jwk = u as Record<string, unknown>
  return (
    jwk["kty"] === "OKP" &&
    jwk["crv"] === "Ed25519" &&
    typeof jwk["x"] === "string" &&
    base64UrlDecode(jwk["x"])?.length === 32
  )
}

/** The RFC 7638 SHA-256 thumbprint of an Ed25519 key, base64url. */
export const thumbprint = async (jwk: OkpPublic): Promise<string> => {
  // The required members, in lexicographic order, without whitespace.
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x })
  const digest = await subtle().digest("SHA-256", encoder.encode(canonical))
  return base64UrlEncode(new Uint8Array(digest))
}

/** A fresh Ed25519 key pair's raw members: `x` (public) and `d` (private), base64url. */
export const generate = async (): Promise<{ readonly x: string; readonly d: string }> => {
  const pair = await subtle().generateKey({ name: "Ed25519" }, true, ["sign", "verify"])
  const jwk = await subtle().exportKey("jwk", pair.privateKey)
  if (typeof jwk.x !== "string" || typeof jwk.d !== "string") {
    throw new Error("Web Crypto exported an Ed25519 key without x or d")
  }
  return { x: jwk.x, d: jwk.d }
}

/** The DER prefix of an Ed25519 private key's PKCS#8 (RFC 8410): the raw 32-byte key follows it. */
const pkcs8Ed25519Prefix = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20
]

/**
 * The raw members of the Ed25519 key whose raw 32-byte private key is `d`: `x` (public, derived from `d`) and
 * `d`, base64url. Web Crypto takes a raw Ed25519 private key only inside a PKCS#8, so it is wrapped in one.
 */
export const membersOfPrivate = async (
  d: Uint8Array
): Promise<{ readonly x: string; readonly d: string }> => {
  const pkcs8 = new Uint8Array(pkcs8Ed25519Prefix.length + d.length)
  pkcs8.set(pkcs8Ed25519Prefix)
  pkcs8.set(d, pkcs8Ed25519Prefix.length)
  let key: CryptoKey
  try {
    key = await subtle().importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"])
  } finally {
    // The copy of the private key is zeroed however Web Crypto ends (a platform without Ed25519 refuses it).
    pkcs8.fill(0)
  }
  const jwk = await subtle().exportKey("jwk", key)
  if (typeof jwk.x !== "string" || typeof jwk.d !== "string") {
    throw new Error("Web Crypto exported an Ed25519 key without x or d")
  }
  return { x: jwk.x, d: jwk.d }
}

/** The hex SHA-256 of `bytes`. */
export const sha256Hex = async (bytes: Uint8Array<ArrayBuffer>): Promise<string> =>
  Array.from(new Uint8Array(await subtle().digest("SHA-256", bytes)), (byte) =>
    byte.toString(16).padStart(2, "0")
  ).join("")

/** A non-extractable signing key from the raw members. */
export const importPrivate = (x: string, d: string): Promise<CryptoKey> =>
  subtle().importKey("jwk", { kty: "OKP", crv: "Ed25519", x, d }, { name: "Ed25519" }, false, ["sign"])

/** A verification key from an Ed25519 public JWK. */
export const importPublic = (jwk: OkpPublic): Promise<CryptoKey> =>
  subtle().importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, true, ["verify"])

/** A compact JWS (EdDSA) of `payload` with `header`. */
export const sign = async (
  privateKey: CryptoKey,
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>
): Promise<string> => {
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`
  const signature = await subtle().sign({ name: "Ed25519" }, privateKey, encoder.encode(signingInput))
  return `${signingInput}.${base64UrlEncode(new Uint8Array(signature))}`
}

/** A compact JWS taken apart (nothing verified yet). */
export interface Parsed {
  readonly header: Readonly<Record<string, unknown>>
  readonly payload: Readonly<Record<string, unknown>>
  readonly signingInput: Uint8Array<ArrayBuffer>
  readonly signature: Uint8Array<ArrayBuffer>
}

const decodeObject = (segment: string): Record<string, unknown> | undefined => {
  const bytes = base64UrlDecode(segment)
  if (bytes === undefined) return undefined
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes))
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** Takes a compact JWS apart; undefined when it is not three base64url segments with JSON objects. */
export const parse = (compact: string): Parsed | undefined => {
  const parts = compact.split(".")
  if (parts.length !== 3) return undefined
  const [h, p, s] = parts as [string, string, string]
  const header = decodeObject(h)
  const payload = decodeObject(p)
  const signature = base64UrlDecode(s)
  if (header === undefined || payload === undefined || signature === undefined) return undefined
  return { header, payload, signingInput: encoder.encode(`${h}.${p}`), signature }
}

/** Whether `parsed` carries a valid EdDSA signature by `publicKey`. */
export const verify = async (publicKey: CryptoKey, parsed: Parsed): Promise<boolean> => {
  if (parsed.header["alg"] !== "EdDSA") return false
  try {
    return await subtle().verify({ name: "Ed25519" }, publicKey, parsed.signature, parsed.signingInput)
  } catch {
    return false
  }
}

/** Whether a JWT `aud` claim (a string or an array of them) names one of `wanted`. */
export const audienceIncludes = (aud: unknown, wanted: ReadonlyArray<string>): boolean => {
  const list = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : []
  return list.some((entry) => typeof entry === "string" && wanted.includes(entry))
}
