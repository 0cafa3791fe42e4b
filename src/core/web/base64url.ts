/**
 * Base64url (RFC 4648 §5, no padding) for bytes and UTF-8 text, with
 * `btoa`/`atob` only: no Node `Buffer`, so browsers and edge runtimes run it.
 *
 * @internal
 */

export const encodeBytes = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

/** The bytes of a base64url string; `undefined` for anything else. */
export const decodeBytes = (text: string): Uint8Array | undefined => {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"))
    const out = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
    return out
  } catch {
    return undefined
  }
}

export const encodeText = (text: string): string => encodeBytes(new TextEncoder().encode(text))

/** The UTF-8 text of a base64url string; `undefined` when it is not base64url or not UTF-8. */
export const decodeText = (text: string): string | undefined => {
  const bytes = decodeBytes(text)
  if (bytes === undefined) return undefined
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

/** `length` random bytes from Web Crypto, base64url: 32 bytes give 256 bits. */
export const randomToken = (length = 32): string =>
  encodeBytes(crypto.getRandomValues(new Uint8Array(length)))
