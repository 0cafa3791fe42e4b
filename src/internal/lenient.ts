/**
 * Lenient decoding of Plex payloads: require only what a caller needs, treat
 * an optional field with an unexpected shape as absent, keep unknown fields
 * as they came, and never fail because Plex added, dropped or nulled a field.
 *
 * The rules are the protocol core's (`src/core/decode.ts`), shared with the
 * Effect 4 edition. Every block here is a `Schema` (so the public schemas decode, encode and
 * compose as usual) whose decoding is one plain function: no `ParseResult`
 * machinery per field. The request engine calls that function directly
 * ({@link decodePlain}), which is what makes decoding an answer cost a few
 * microseconds; the block's `Schema` wraps the same function, so
 * `Schema.decodeUnknown` of a public schema gives exactly what an operation
 * gives.
 *
 * Each block also carries what the rest of the Schema ecosystem needs of a
 * declaration: a JSON Schema of the payloads it accepts (`JSONSchema.make`)
 * and a generator of decoded values (`Arbitrary.make`), both composed from
 * the blocks' own, so a struct describes and generates its fields.
 *
 * Unknown properties are kept, but never in a shape that breaks rendering or
 * leaks a secret (see {@link struct}).
 *
 * @internal
 */
import type { LazyArbitrary } from "effect/Arbitrary"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Core from "../core/decode.js"

// ---------------------------------------------------------------------------
// Plain decoding
// ---------------------------------------------------------------------------

/** Why a value did not decode: the path to the culprit and whether it was missing. */
export const Failure = Core.Failure

/** Why a value did not decode: the path to the culprit and whether it was missing. */
export type Failure = Core.Failure

const CodecId: typeof Core.CodecId = Core.CodecId

/** A schema from any JSON value, decoded by one plain function (its codec). */
export interface LenientSchema<A> extends Schema.Schema<A, unknown>, Core.HasCodec<A> {}

/**
 * What an answer is decoded with ({@link decodePlain}): a codec, or a
 * {@link LenientSchema} of one. The operations hand the request engine the
 * codecs of `./payloads.ts`, not the public schemas that wrap them, so that a
 * bundle that only calls an operation keeps none of the wrappers (their
 * `Schema.declare`, JSON Schema and Arbitrary annotations).
 */
export type Lenient<A> = Core.CodecLike<A>

/** Decodes `input` with the plain decoder of a codec or schema: the value, or where it failed. */
export const decodePlain = <A>(schema: Lenient<A>, input: unknown): A | Failure =>
  Core.codecOf(schema).decode(input)

/** A generator of the canonical payloads a {@link Core.Sample} describes. */
type FastCheck = Parameters<LazyArbitrary<unknown>>[0]
type Arbitrary<A> = ReturnType<LazyArbitrary<A>>

const sampleArbitrary = (fc: FastCheck, sample: Core.Sample): Arbitrary<unknown> => {
  switch (sample._tag) {
    case "Json":
      return fc.jsonValue()
    case "String":
      return sample.pattern === undefined
        ? fc.string({ minLength: sample.minLength ?? 0 })
        : fc.stringMatching(sample.pattern).filter((s) => s.length >= (sample.minLength ?? 0))
    case "Number":
      return fc.double({ noNaN: true, noDefaultInfinity: true })
    case "Integer":
      return fc.integer()
    case "Boolean":
      return fc.boolean()
    case "Array":
      return fc.array(sampleArbitrary(fc, sample.item))
    case "OneOf":
      return fc.oneof(...sample.members.map((member) => sampleArbitrary(fc, member)))
    case "Struct": {
      const model: Record<string, Arbitrary<unknown>> = {}
      for (const field of sample.fields) model[field.key] = sampleArbitrary(fc, field.sample)
      return fc.record(model, {
        requiredKeys: sample.fields.filter((field) => field.required).map((field) => field.key)
      })
    }
  }
}

/** Decoded values: canonical payloads, decoded by the codec. */
const arbitrary =
  <A>(codec: Core.Codec<A>): LazyArbitrary<A> =>
  (fc) =>
    sampleArbitrary(fc, Core.sampleOf(codec))
      .map(codec.decode)
      .filter((value): value is A => !(value instanceof Core.Failure))

/**
 * Whether `u` is a value `codec` decodes to (what `Schema.is` tells, the
 * schema's type side), by its shape: the kind of each leaf (a token is a
 * `Redacted`), an array for a list, a record for a struct. Not the codec run
 * again: a decoded value is no payload (its tokens are `Redacted`). As the
 * Effect 4 edition's `is`.
 */
const isDecoded = (codec: Core.Codec<any>): ((u: unknown) => boolean) => {
  const shape = codec.shape
  switch (shape._tag) {
    case "Leaf":
      return isLeaf(shape.kind)
    case "Array":
      return Array.isArray
    case "Union": {
      const members = shape.members.map(isDecoded)
      return (u) => members.some((is) => is(u))
    }
    case "FirstOf":
      return isDecoded(shape.codec)
    case "Struct":
      // `Core.isRecord`, written out: a reference to it renames the minified operation bundles (+5 B gzipped).
      return (u) => u !== null && typeof u === "object" && !Array.isArray(u)
  }
}

/** Whether `u` is a value of the leaf codec `kind` ({@link isDecoded}). */
const isLeaf = (kind: Core.LeafKind): ((u: unknown) => boolean) => {
  switch (kind) {
    case "unknown":
      return () => true
    case "string":
    case "str":
      return (u) => typeof u === "string"
    case "number":
    case "num":
      return (u) => typeof u === "number"
    case "bool":
      return (u) => typeof u === "boolean"
    case "strings":
      return (u) => Array.isArray(u) && u.every((s) => typeof s === "string")
    case "secret":
    case "opaqueSecret":
      return Redacted.isRedacted
  }
}

/**
 * The schema for a codec: from any value (the payloads, which its JSON Schema
 * describes) to its decoded values (which `Schema.is` tells and its
 * Arbitrary generates). Its decoding failures become parse issues that point
 * at the culprit. Only a named schema gets an `identifier` (which
 * `JSONSchema.make` turns into a definition): anonymous blocks would share one.
 */
export const lenient = <A>(codec: Core.Codec<A>, identifier?: string): LenientSchema<A> => {
  const named = identifier === undefined ? {} : { identifier }
  return Object.assign(
    Schema.transformOrFail(
      Schema.declare((_: unknown): _ is unknown => true, { jsonSchema: Core.jsonSchemaOf(codec) }),
      Schema.declare(isDecoded(codec) as (u: unknown) => u is A, {
        ...named,
        arbitrary: () => arbitrary(codec)
      }),
      {
        strict: true,
        decode: (input, _, ast) => {
          const value = codec.decode(input)
          if (!(value instanceof Core.Failure)) return ParseResult.succeed(value)
          // No value in the issue: a rejected field may be a secret.
          const issue = new ParseResult.Type(
            ast,
            undefined,
            value.missing ? "is missing" : "has an unexpected shape"
          )
          const [head, ...tail] = value.path
          return ParseResult.fail(
            head === undefined ? issue : new ParseResult.Pointer([head, ...tail], input, issue)
          )
        },
        encode: (value) => ParseResult.succeed(Core.encode(codec, value))
      }
    ).annotations(named),
    { [CodecId]: codec }
  )
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/** Any value, as it came. */
export const Unknown: LenientSchema<unknown> = /*#__PURE__*/ lenient(Core.unknown)

/** A string. */
export const String: LenientSchema<string> = /*#__PURE__*/ lenient(Core.string)

/** A number. */
export const Number: LenientSchema<number> = /*#__PURE__*/ lenient(Core.number)

/** An array of strings (any other element makes it invalid). */
export const Strings: LenientSchema<ReadonlyArray<string>> = /*#__PURE__*/ lenient(Core.strings)

/** A number, also accepted as a numeric string (`"12"`) or a boolean (`true` is 1). */
export const Num: LenientSchema<number> = /*#__PURE__*/ lenient(Core.num)

/** A boolean, also accepted as `0`/`1`, `"0"`/`"1"` or `"true"`/`"false"`. */
export const Bool: LenientSchema<boolean> = /*#__PURE__*/ lenient(Core.bool)

/** A string, also accepted as a number (`12` becomes `"12"`). */
export const Str: LenientSchema<string> = /*#__PURE__*/ lenient(Core.str)

/** The codec of {@link Secret}, for the codecs of `./payloads.ts`. */
export const secretCodec: Core.Codec<Redacted.Redacted<string>> = /*#__PURE__*/ Core.secret(
  Redacted.make,
  Redacted.value
)

/**
 * A token, wrapped in `Redacted` as it is decoded. Tokens travel as HTTP
 * headers, so only visible ASCII is accepted: anything else could not be sent
 * (and a CR/LF could split a header). Encoding reveals it.
 */
export const Secret: LenientSchema<Redacted.Redacted<string>> = /*#__PURE__*/ lenient(secretCodec)

/** The codec of {@link OpaqueSecret}, for the codecs of `./payloads.ts`. */
export const opaqueSecretCodec: Core.Codec<Redacted.Redacted<string>> = /*#__PURE__*/ Core.opaqueSecret(
  Redacted.make,
  Redacted.value
)

/** A non-empty secret that is never sent as a header (a service's secret), wrapped in `Redacted`. */
export const OpaqueSecret: LenientSchema<Redacted.Redacted<string>> = /*#__PURE__*/ lenient(opaqueSecretCodec)

/** The first of `members` that decodes the value. */
export const union = <Members extends ReadonlyArray<LenientSchema<any>>>(
  ...members: Members
): LenientSchema<Schema.Schema.Type<Members[number]>> =>
  lenient(Core.union<Schema.Schema.Type<Members[number]>>(members))

/** A value `schema` decodes, also accepted as the first element of an array (XML-to-JSON habit). */
export const firstOf = <A>(schema: LenientSchema<A>): LenientSchema<A> => lenient(Core.firstOf(schema))

/**
 * An array whose invalid elements are dropped; a single object is read as a
 * one-element array (XML-to-JSON habit), anything else as empty.
 */
export const lenientArray = <A>(item: LenientSchema<A>): LenientSchema<ReadonlyArray<A>> =>
  lenient(Core.lenientArray(item))

/** An array of items whose invalid ones are dropped (a non-array input is invalid). */
export const items = <A>(item: LenientSchema<A>): LenientSchema<ReadonlyArray<A>> => lenient(Core.items(item))

// ---------------------------------------------------------------------------
// Structs
// ---------------------------------------------------------------------------

/** A property of a {@link struct} that may be absent or has a fallback, as opposed to a required schema. */
export type Field<A, Optional extends boolean> = Core.Field<A, Optional>

/**
 * An optional property that decodes to absent when it is missing, `null`, or
 * of a shape the schema does not accept.
 */
export const optional = Core.optional

/**
 * A required property that decodes to `fallback` when it is missing, `null`
 * or of a shape the schema does not accept.
 */
export const withDefault = Core.withDefault

/**
 * An array property that is absent-tolerant: missing, null or malformed
 * becomes `[]`, invalid elements are dropped. With `fromKey`, it is read from
 * that key of the input and named as the struct names it.
 */
export const array = Core.array

/** What {@link struct} takes: required schemas (or core codecs), or fields. */
export type Fields = Core.Fields

/** The decoded type of a struct of `F`: optional fields may be absent, the others are present. */
export type StructType<F extends Fields> = Core.StructType<F>

/**
 * How deep unknown data may nest. Plex's payloads nest a handful of levels;
 * deeper data is dropped, because `JSON.stringify`, `util.inspect` and
 * Effect's loggers recurse once per level and throw past a few thousand.
 */
export const maxUnknownDepth = Core.maxUnknownDepth

/**
 * Names under which a payload may carry a secret the schemas do not model
 * (the 2025-08 account's `pin` hash, an `authentication_token`, a
 * `client_secret`, a `password`).
 */
export const isSecretKey = Core.isSecretKey

/** How unknown data under a secret-like key is hidden: in `Redacted`. */
const secrets: Core.Secrets<Redacted.Redacted<unknown>> = {
  make: Redacted.make,
  isSecret: Redacted.isRedacted,
  reveal: Redacted.value
}

/** The codec of a {@link struct}, for the codecs of `./payloads.ts`. */
export const structCodec = <F extends Fields>(fields: F): Core.Codec<StructType<F>> =>
  Core.struct(fields, secrets)

/**
 * A struct: each property a required schema, or a field built with
 * {@link optional}, {@link withDefault} or {@link array}. Unknown properties
 * are kept, except what cannot be rendered: a key that would shadow an
 * `Object.prototype` member (`toString`, `valueOf`, ...) is dropped, as is a
 * property nesting deeper than {@link maxUnknownDepth}; a value under a
 * secret-like key ({@link isSecretKey}), at any depth, is wrapped in
 * `Redacted` (encoding reveals it). A required property that is missing or
 * invalid fails the whole struct (the failure points at it).
 */
export const struct = <F extends Fields>(fields: F, identifier?: string): LenientSchema<StructType<F>> =>
  lenient(structCodec(fields), identifier)
