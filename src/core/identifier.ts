/**
 * A new client identifier, once for both editions' `ClientIdentity.generateIdentifier`. In a module of its own: the
 * request path's bundles import `identity.ts`, and a new export there renames their minified symbols (a byte more on
 * one of them, measured).
 *
 * @internal
 */

/**
 * A fresh random client identifier: a version 4 UUID made with `crypto.getRandomValues`, which every runtime has, a
 * web page served over plain http too (a LAN app at `http://192.168.1.10:8080`), where `crypto.randomUUID` is
 * missing: it is for secure contexts only (https, localhost).
 */
export const newIdentifier = (): string => {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40 // the version, 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80 // the variant, RFC 9562's
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
