/**
 * A secret the fake recorded (a token, a password, a code): printing it,
 * `String(...)`-ing it or `JSON.stringify`-ing it shows `<redacted>`; only
 * {@link Secret.reveal} gives the value. The Effect test kits turn it into
 * their `Redacted`.
 *
 * @internal
 */

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom")

/** A string that does not show itself. */
export class Secret {
  readonly #value: string
  constructor(value: string) {
    this.#value = value
  }
  /** The value. */
  reveal(): string {
    return this.#value
  }
  toString(): string {
    return "<redacted>"
  }
  toJSON(): string {
    return "<redacted>"
  }
  [inspectSymbol](): string {
    return "<redacted>"
  }
}

/** Whether `u` is a {@link Secret}. */
export const isSecret = (u: unknown): u is Secret => u instanceof Secret
