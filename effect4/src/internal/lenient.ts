/**
 * Lenient decoding of Plex payloads on Effect 4's `Schema`: require only what
 * a caller needs, treat an optional field with an unexpected shape as absent,
 * keep unknown fields as they came, and never fail because Plex added,
 * dropped or nulled a field.
 *
 * The rules are the protocol core's (`src/core/decode.ts`), shared with the
 * Effect 3 edition: each block here is one of its plain codecs wrapped in a
 * `Schema`, so the public schemas decode, encode and compose as usual. The
 * request engine calls the plain decoder directly ({@link decodePlain}); the
 * `Schema` wraps the same function, so `Schema.decodeUnknownEffect` of a
 * public schema gives exactly what an operation gives.
 *
 * Each block is an opaque payload (a declaration that accepts any value,
 * whose `toCodecJson` link describes the payloads the codec accepts) decoded
 * by the codec to a declaration of its value (whose `toCodecArbitrary` link
 * generates the canonical payloads the core describes and decodes them). So
 * `Schema.toJsonSchemaDocument` describes what a block accepts and
 * `Arbitrary.schema` generates decoded values.
 *
 * Unknown properties are kept, but never in a shape that breaks rendering or
 * leaks a secret (see the core's `struct`).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SchemaGetter from "effect/SchemaGetter"
import * as SchemaIssue from "effect/SchemaIssue"
import * as Core from "../../../src/core/decode.js"

// ---------------------------------------------------------------------------
// Plain decoding
// ---------------------------------------------------------------------------

/** Why a value did not decode: the path to the culprit and whether it was missing. */
export const Failure = Core.Failure

/** Why a value did not decode: the path to the culprit and whether it was missing. */
export type Failure = Core.Failure

const CodecId: typeof Core.CodecId = Core.CodecId

/** A schema from any JSON value, decoded by one plain function. */
export interface Lenient<A> extends Schema.Codec<A, unknown>, Core.HasCodec<A> {}

/**
 * What an operation decodes with: a public schema, or the plain codec of one
 * (what the engine runs either way). An operation given the plain codec does
 * not bundle the `Schema` wrapping (the public schemas' annotations, JSON
 * Schema and Arbitrary links) that only a caller using the schema needs.
 */
export type Decoder<A> = Lenient<A> | Core.Codec<A>

/** Decodes `input` with the schema's plain decoder: the value, or where it failed. */
export const decodePlain = <A>(schema: Decoder<A>, input: unknown): A | Failure =>
  Core.codecOf(schema).decode(input)

/** What kind of value `u` is, for a message: never the value itself (it may be a secret). */
const kindOf = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "an array" : typeof u === "object" ? "an object" : `a ${typeof u}`

/**
 * The issue for a failure: it points at the culprit and never repeats a value
 * (it may be a secret). `expected` names the schema, for a whole value of the
 * wrong kind.
 */
const toIssue = (failure: Failure, input: unknown, expected: string): SchemaIssue.Issue => {
  if (failure.path.length === 0)
    return new SchemaIssue.InvalidValue({ message: `Expected ${expected}, got ${kindOf(input)}` })
  const issue = failure.missing
    ? new SchemaIssue.MissingKey(undefined)
    : new SchemaIssue.InvalidValue({ message: "has an unexpected shape" })
  return new SchemaIssue.Pointer(failure.path, issue)
}

/** Decodes with `codec`, as an `Effect` a `SchemaGetter` can run. */
const decodeWith =
  <A>(codec: Core.Codec<A>, expected: string) =>
  (input: unknown): Effect.Effect<A, SchemaIssue.Issue> => {
    const value = codec.decode(input)
    return value instanceof Core.Failure
      ? Effect.fail(toIssue(value, input, expected))
      : Effect.succeed(value)
  }

/** A generatable schema of the canonical payloads a {@link Core.Sample} describes. */
const sampleSchema = (sample: Core.Sample): Schema.Top => {
  switch (sample._tag) {
    case "Json":
      return Schema.Json
    case "String": {
      const checks = [
        ...(sample.pattern === undefined ? [] : [Schema.isPattern(sample.pattern)]),
        ...(sample.minLength === undefined ? [] : [Schema.isMinLength(sample.minLength)])
      ]
      const [first, ...rest] = checks
      return first === undefined ? Schema.String : Schema.String.check(first, ...rest)
    }
    case "Number":
      return Schema.Finite
    case "Integer":
      return Schema.Int
    case "Boolean":
      return Schema.Boolean
    case "Array":
      return Schema.Array(sampleSchema(sample.item))
    case "OneOf":
      return Schema.Union(sample.members.map(sampleSchema))
    case "Struct": {
      const fields: Record<string, Schema.Top> = {}
      for (const field of sample.fields) {
        const schema = sampleSchema(field.sample)
        fields[field.key] = field.required ? schema : Schema.optionalKey(schema)
      }
      return Schema.Struct(fields)
    }
  }
}

/** Accepts every value: a payload's shape is for the codec to judge. */
const anything = (_: unknown): _ is unknown => true

/**
 * The schema for a codec. `is` tells a decoded value (`Schema.is`). Only a
 * named schema gets an `identifier` (which `Schema.toJsonSchemaDocument` turns
 * into a definition): anonymous blocks would share one.
 */
const lenient = <A>(codec: Core.Codec<A>, is: (u: unknown) => u is A, identifier?: string): Lenient<A> => {
  const named = identifier === undefined ? {} : { identifier }
  const expected = identifier ?? "a Plex payload"
  const decode = SchemaGetter.transformEffect(decodeWith(codec, expected))
  const wire = Schema.declare(anything, {
    // The payloads it accepts, for JSON Schema: the core's fragment, as is (built when asked for).
    toCodecJson: () =>
      Schema.link<unknown>()(
        Schema.Json.check(
          Schema.makeFilter(() => true, { toJsonSchema: () => Core.jsonSchemaOf(codec) })
        ).annotate(named),
        {
          decode: SchemaGetter.passthroughSubtype<unknown, Schema.Json>(),
          encode: SchemaGetter.passthroughSupertype<Schema.Json, unknown>()
        }
      )
  })
  const value = Schema.declare<A>(is, {
    ...named,
    expected,
    // Values for property tests: canonical payloads, decoded.
    toCodecArbitrary: () =>
      Schema.link<A>()(sampleSchema(Core.sampleOf(codec)), {
        decode,
        encode: SchemaGetter.forbiddenEncoding
      })
  })
  const schema = wire.pipe(
    Schema.decodeTo(value, {
      decode,
      encode: SchemaGetter.transform((value: A) => Core.encode(codec, value))
    })
  )
  return Object.assign(schema, { [CodecId]: codec })
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

const isString = (u: unknown): u is string => typeof u === "string"
const isNumber = (u: unknown): u is number => typeof u === "number"
const isBoolean = (u: unknown): u is boolean => typeof u === "boolean"
const isStrings = (u: unknown): u is ReadonlyArray<string> => Array.isArray(u) && u.every(isString)
const isRedactedString = (u: unknown): u is Redacted.Redacted<string> => Redacted.isRedacted(u)
const isArray = <A>(u: unknown): u is ReadonlyArray<A> => Array.isArray(u)

/** Any value, as it came. */
export const Unknown: Lenient<unknown> = /*#__PURE__*/ lenient(Core.unknown, anything)

/** A string. */
export const String: Lenient<string> = /*#__PURE__*/ lenient(Core.string, isString)

/** A number. */
export const Number: Lenient<number> = /*#__PURE__*/ lenient(Core.number, isNumber)

/** An array of strings (any other element makes it invalid). */
export const Strings: Lenient<ReadonlyArray<string>> = /*#__PURE__*/ lenient(Core.strings, isStrings)

/** A number, also accepted as a numeric string (`"12"`) or a boolean (`true` is 1). */
export const Num: Lenient<number> = /*#__PURE__*/ lenient(Core.num, isNumber)

/** A boolean, also accepted as `0`/`1`, `"0"`/`"1"` or `"true"`/`"false"`. */
export const Bool: Lenient<boolean> = /*#__PURE__*/ lenient(Core.bool, isBoolean)

/** A string, also accepted as a number (`12` becomes `"12"`). */
export const Str: Lenient<string> = /*#__PURE__*/ lenient(Core.str, isString)

/** {@link Secret}'s plain codec (see {@link Decoder}). */
export const secretCodec: Core.Codec<Redacted.Redacted<string>> = /*#__PURE__*/ Core.secret(
  Redacted.make,
  Redacted.value
)

/** {@link OpaqueSecret}'s plain codec (see {@link Decoder}). */
export const opaqueSecretCodec: Core.Codec<Redacted.Redacted<string>> = /*#__PURE__*/ Core.opaqueSecret(
  Redacted.make,
  Redacted.value
)

/**
 * A token, wrapped in `Redacted` as it is decoded. Tokens travel as HTTP
 * headers, so only visible ASCII is accepted: anything else could not be sent
 * (and a CR/LF could split a header). Encoding reveals it.
 */
export const Secret: Lenient<Redacted.Redacted<string>> = /*#__PURE__*/ lenient(secretCodec, isRedactedString)

/** A non-empty secret that is never sent as a header (a service's secret), wrapped in `Redacted`. */
export const OpaqueSecret: Lenient<Redacted.Redacted<string>> = /*#__PURE__*/ lenient(
  opaqueSecretCodec,
  isRedactedString
)

/** The first of `members` that decodes the value. */
export const union = <Members extends ReadonlyArray<Lenient<any>>>(
  ...members: Members
): Lenient<Schema.Schema.Type<Members[number]>> =>
  lenient(
    Core.union<Schema.Schema.Type<Members[number]>>(members),
    (u): u is Schema.Schema.Type<Members[number]> => members.some((member) => Schema.is(member)(u))
  )

/** A value `schema` decodes, also accepted as the first element of an array (XML-to-JSON habit). */
export const firstOf = <A>(schema: Lenient<A>): Lenient<A> =>
  lenient(Core.firstOf(schema), Schema.is(schema) as (u: unknown) => u is A)

/**
 * An array whose invalid elements are dropped; a single object is read as a
 * one-element array (XML-to-JSON habit), anything else as empty.
 */
export const lenientArray = <A>(item: Lenient<A>): Lenient<ReadonlyArray<A>> =>
  lenient<ReadonlyArray<A>>(Core.lenientArray(item), isArray)

/** An array of items whose invalid ones are dropped (a non-array input is invalid). */
export const items = <A>(item: Lenient<A>): Lenient<ReadonlyArray<A>> =>
  lenient<ReadonlyArray<A>>(Core.items(item), isArray)

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

/** How deep unknown data may nest; deeper data is dropped. */
export const maxUnknownDepth = Core.maxUnknownDepth

/** Names under which a payload may carry a secret the schemas do not model. */
export const isSecretKey = Core.isSecretKey

/** How unknown data under a secret-like key is hidden: in `Redacted`. */
const secrets: Core.Secrets<Redacted.Redacted<unknown>> = {
  make: Redacted.make,
  isSecret: Redacted.isRedacted,
  reveal: Redacted.value
}

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
export const struct = <F extends Fields>(fields: F, identifier?: string): Lenient<StructType<F>> =>
  structOf(structCodec(fields), identifier)

/**
 * The schema of a struct's codec (one {@link structCodec} built): what
 * {@link struct} gives, for a codec the operations decode with too
 * (`internal/payloads.ts`).
 */
export const structOf = <A>(codec: Core.Codec<A>, identifier?: string): Lenient<A> =>
  lenient(codec, (u): u is A => Core.isRecord(u), identifier)

/** {@link struct}'s plain codec (see {@link Decoder}): the same rules, no `Schema`. */
export const structCodec = <F extends Fields>(fields: F): Core.Codec<StructType<F>> =>
  Core.struct(fields, secrets)
