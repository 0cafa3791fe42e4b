/**
 * Secrets on their way out: revealed only where a request is built, and
 * masked in every text that leaves the library (error details, body
 * excerpts, transport messages): `scrub` and `excerpt` are the core's (core/redact.ts).
 *
 * @internal
 */
import * as Redacted from "effect/Redacted"

export { excerpt, mask, minLengthAnywhere, scrub } from "../core/redact.js"

/**
 * A value with every `Redacted` in it revealed (strings, arrays, plain
 * objects: form values, query values, JSON bodies); each revealed secret is
 * pushed onto `found`, so errors can mask it.
 */
export const reveal = (value: unknown, found: Array<string>): unknown => {
  if (Redacted.isRedacted(value)) {
    const revealed = Redacted.value(value)
    if (typeof revealed === "string") found.push(revealed)
    return revealed
  }
  if (Array.isArray(value)) return value.map((item) => reveal(item, found))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, reveal(item, found)]))
  }
  return value
}
