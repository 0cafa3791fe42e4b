/**
 * Secrets on their way out: revealed only where a request is built
 * (`core/redact.ts`'s `revealWith`; the same module masks them in every text
 * that leaves the library, `scrub` and `excerpt`).
 *
 * @internal
 */
import * as Redacted from "effect/Redacted"
import { revealWith } from "../core/redact.js"

const open = (value: unknown) => (Redacted.isRedacted(value) ? { value: Redacted.value(value) } : undefined)

/** A value with every `Redacted` in it revealed; each revealed secret is pushed onto `found`. */
export const reveal = (value: unknown, found: Array<string>): unknown => revealWith(value, open, found)
