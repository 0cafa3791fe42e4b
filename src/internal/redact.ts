/**
 * Secrets on their way out: revealed only where a request is built
 * (`core/redact.ts`'s `revealWith`), and masked in every text that leaves the
 * library (`scrub`, `excerpt`).
 *
 * @internal
 */
import * as Redacted from "effect/Redacted"
import { revealWith } from "../core/redact.js"

export { minLengthAnywhere, scrub } from "../core/redact.js"

const open = (value: unknown) => (Redacted.isRedacted(value) ? { value: Redacted.value(value) } : undefined)

/** A value with every `Redacted` in it revealed; each revealed secret is pushed onto `found`. */
export const reveal = (value: unknown, found: Array<string>): unknown => revealWith(value, open, found)
