/**
 * The `name` of every error class of this package, written once. (The Effect
 * 3 edition needs none: Effect 3's `Schema.TaggedError` names each class's
 * prototype after its tag; Effect 4's names it after the schema identifier.)
 *
 * @internal
 */

/**
 * `base` (a `Schema.TaggedError` class) with a `name` getter answering the
 * error's `_tag`: what `String(error)`, a stack trace and `Cause.pretty` print
 * before the message, the same in both editions (Effect 4 would print the schema
 * identifier). Every error class extends
 * `tagNamed(Schema.TaggedError<Self>(identifier)(tag, fields))`, and has the
 * type of its `Schema.TaggedError` class: the schema (decoding, `JSONSchema`,
 * `Arbitrary`), constructor, `_tag` and `instanceof` are that class's (its
 * statics read `this`, the error class itself).
 */
export const tagNamed = <Base extends new (...args: Array<any>) => Error & { readonly _tag: string }>(
  base: Base
): Base =>
  class extends base {
    override get name(): string {
      return this._tag
    }
  }
