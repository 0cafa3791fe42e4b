/**
 * A secret wrapper of the tests' own, for decoding with the core's payload tables: the core knows no `Redacted`,
 * each edition passes its own (`lenient.ts`).
 */
import * as D from "../../src/core/decode.js"

/** A stand-in for an edition's `Redacted`. */
export class Box {
  constructor(readonly value: unknown) {}
  toJSON() {
    return "<hidden>"
  }
}

/** How unknown data under a secret-like key is hidden: in a {@link Box}. */
export const secrets: D.Secrets = {
  make: (value) => new Box(value),
  isSecret: (u) => u instanceof Box,
  reveal: (secret) => (secret instanceof Box ? secret.value : secret)
}

/** A header-safe secret (a token), in a {@link Box}. */
export const secret = D.secret(
  (token) => new Box(token),
  (box) => box.value as string
)

/** An opaque secret, in a {@link Box}. */
export const opaqueSecret = D.opaqueSecret(
  (token) => new Box(token),
  (box) => box.value as string
)
