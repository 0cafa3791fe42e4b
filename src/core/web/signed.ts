/**
 * Signed values for cookies: HMAC-SHA256 (Web Crypto) over a purpose, an
 * expiry and a JSON payload. The expiry is inside what is signed, so a
 * client cannot stretch a cookie's life by keeping it past its `Max-Age`;
 * the purpose is too, so a value signed for one cookie (the PIN flow) is
 * refused as another (a session). Signed, not encrypted: whoever holds the
 * value can read it, nobody without the key can make or change one.
 *
 * Format: `v1.<base64url(JSON {e: expiresAtMillis, d: data})>.<base64url(mac)>`,
 * where `mac = HMAC-SHA256(key, "effect-plex-auth:" + purpose + ":" + "v1." + payload)`.
 *
 * @internal
 */
import * as B64 from "./base64url.js"

/** The shortest key accepted: 32 bytes (256 bits), HMAC-SHA256's own size. */
export const minimumKeyBytes = 32

/** The variable `WebSignIn.make` reads the key that signs cookies from, unless given `sessionKey`, in both editions. */
export const keyVariable = "PLEX_SESSION_KEY"

/**
 * What the error of a key not configured says, `variable` (`PLEX_SESSION_KEY`) unset or empty: what to set it to,
 * and how to make one (docs/web-sign-in.md says so too). Effect's own says only that a string was expected there.
 */
export const keyMissing = (variable: string): string =>
  `Expected ${variable} to be set: a secret of at least ${minimumKeyBytes} random bytes, e.g. from \`openssl rand -base64 32\``

/**
 * Why a key is refused, or `undefined` when it is good. Never echoes the key. A blank one (`PLEX_SESSION_KEY=" "`) is
 * empty, as a blank value of each of the library's variables is (`validate.ts`).
 */
export const keyProblem = (secret: string): string | undefined =>
  !secret.trim()
    ? "must not be empty"
    : new TextEncoder().encode(secret).length < minimumKeyBytes
      ? `must be at least ${minimumKeyBytes} bytes (e.g. 32 random bytes, base64url: 43 characters)`
      : undefined

/** An HMAC-SHA256 key (not extractable) from a secret of at least {@link minimumKeyBytes} bytes. */
export const importKey = (secret: string): Promise<CryptoKey> => {
  const problem = keyProblem(secret)
  if (problem !== undefined) return Promise.reject(new Error(`the signing key ${problem}`))
  return crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"]
  )
}

/**
 * Compares two byte strings in time that depends on the length of `expected`
 * only, never on where they differ.
 */
export const constantTimeEqual = (expected: Uint8Array, presented: Uint8Array): boolean => {
  let diff = expected.length ^ presented.length
  for (let i = 0; i < expected.length; i++) diff |= (expected[i] ?? 0) ^ (presented[i] ?? 0)
  return diff === 0
}

/** {@link constantTimeEqual} for text (UTF-8). */
export const constantTimeEqualText = (a: string, b: string): boolean =>
  constantTimeEqual(new TextEncoder().encode(a), new TextEncoder().encode(b))

const mac = async (key: CryptoKey, purpose: string, signed: string): Promise<Uint8Array> =>
  new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`effect-plex-auth:${purpose}:${signed}`))
  )

/** Signs `data` (any JSON value) for `purpose`, valid until `expiresAt` (epoch milliseconds). */
export const sign = async (
  key: CryptoKey,
  purpose: string,
  data: unknown,
  expiresAt: number
): Promise<string> => {
  const signed = `v1.${B64.encodeText(JSON.stringify({ e: expiresAt, d: data }))}`
  return `${signed}.${B64.encodeBytes(await mac(key, purpose, signed))}`
}

/** What {@link verify} found. */
export type Verified =
  | { readonly _tag: "Valid"; readonly data: unknown; readonly expiresAt: number }
  | { readonly _tag: "Invalid"; readonly reason: "Malformed" | "Signature" | "Expired" }

/**
 * Checks a value made by {@link sign} for `purpose` with any of `keys` (the
 * current key first, then retired ones during a rotation): the signature,
 * compared in constant time, then the expiry against `now`.
 */
export const verify = async (
  keys: ReadonlyArray<CryptoKey>,
  purpose: string,
  value: string,
  now: number
): Promise<Verified> => {
  const parts = value.split(".")
  if (parts.length !== 3 || parts[0] !== "v1" || value.length > 4096)
    return { _tag: "Invalid", reason: "Malformed" }
  const presented = B64.decodeBytes(parts[2] ?? "")
  if (presented === undefined) return { _tag: "Invalid", reason: "Malformed" }
  const signed = `v1.${parts[1] ?? ""}`
  let good = false
  for (const key of keys) {
    // Every key is tried, so the time taken does not tell which one matched.
    if (constantTimeEqual(await mac(key, purpose, signed), presented)) good = true
  }
  if (!good) return { _tag: "Invalid", reason: "Signature" }
  const json = B64.decodeText(parts[1] ?? "")
  let payload: unknown
  try {
    payload = json === undefined ? undefined : JSON.parse(json)
  } catch {
    payload = undefined
  }
  if (typeof payload !== "object" || payload === null || typeof (payload as { e?: unknown }).e !== "number") {
    return { _tag: "Invalid", reason: "Malformed" }
  }
  const { d, e } = payload as { readonly d?: unknown; readonly e: number }
  if (!(now < e)) return { _tag: "Invalid", reason: "Expired" }
  return { _tag: "Valid", data: d, expiresAt: e }
}
