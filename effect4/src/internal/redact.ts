/**
 * Secrets on their way out: revealed only where a request is built
 * (`core/redact.ts`'s `revealWith`), and masked in every text that leaves the
 * library: `scrub` and `excerpt` are the core's (core/redact.ts).
 *
 * @internal
 */
import * as Redacted from "effect/Redacted"
import { revealWith } from "../../../src/core/redact.js"

export { excerpt, mask, minLengthAnywhere, scrub } from "../../../src/core/redact.js"

const open = (value: unknown) => (Redacted.isRedacted(value) ? { value: Redacted.value(value) } : undefined)

/**
 * A value with every `Redacted` in it revealed (strings, arrays, plain
 * objects: form values, query values, JSON bodies); each revealed secret is
 * pushed onto `found`, so errors can mask it.
 */
export const reveal = (value: unknown, found: Array<string>): unknown => revealWith(value, open, found)
