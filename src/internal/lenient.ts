/**
 * Lenient decoding of Plex payloads: require only what a caller needs, treat
 * an optional field with an unexpected shape as absent, keep unknown fields
 * as they came, and never fail because Plex added, dropped or nulled a field.
 *
 * Every block here is a `Schema` (so the public schemas decode, encode and
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
 * leaks a secret (see {@link unknownData}).
 *
 * @internal
 */
import type { LazyArbitrary } from "effect/Arbitrary"
import type { JsonSchema7 } from "effect/JSONSchema"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

// ---------------------------------------------------------------------------
// Plain decoding
// ---------------------------------------------------------------------------

/** Why a value did not decode: the path to the culprit and whether it was missing. */
export class Failure {
  constructor(
    readonly path: ReadonlyArray<PropertyKey>,
    readonly missing: boolean
  ) {}
}

/** A value of the wrong shape (leaves return this one instance: no allocation). */
const invalid = /*#__PURE__*/ new Failure([], false)

/** The plain decoder and encoder behind a lenient schema, with what `JSONSchema` and `Arbitrary` need. */
interface Codec<A> {
  readonly decode: (input: unknown) => A | Failure
  readonly encode: (value: A) => unknown
  /** The payloads that decode (the lenient forms too); unknown properties are allowed. */
  readonly jsonSchema: JsonSchema7
  /** Decoded values: each encodes to a payload that decodes back to it. */
  readonly arbitrary: LazyArbitrary<A>
}

const CodecId: unique symbol = Symbol.for("effect-plex-auth/lenient/Codec")

/** A schema from any JSON value, decoded by one plain function. */
export interface Lenient<A> extends Schema.Schema<A, unknown> {
  readonly [CodecId]: Codec<A>
}

/** Decodes `input` with the schema's plain decoder: the value, or where it failed. */
export const decodePlain = <A>(schema: Lenient<A>, input: unknown): A | Failure =>
  schema[CodecId].decode(input)

/**
 * The schema for a codec: its decoding failures become parse issues that point
 * at the culprit. Only a named schema gets an `identifier` (which
 * `JSONSchema.make` turns into a definition): anonymous blocks would share one.
 */
const lenient = <A>(codec: Codec<A>, identifier?: string): Lenient<A> =>
  Object.assign(
    Schema.declare<A, unknown, readonly []>(
      [],
      {
        decode: () => (input, _, ast) => {
          const value = codec.decode(input)
          if (!(value instanceof Failure)) return ParseResult.succeed(value)
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
        encode: () => (value) => ParseResult.succeed(codec.encode(value as A))
      },
      {
        ...(identifier === undefined ? {} : { identifier }),
        jsonSchema: codec.jsonSchema,
        arbitrary: () => codec.arbitrary
      }
    ),
    { [CodecId]: codec }
  )

const isRecord = (u: unknown): u is Readonly<Record<PropertyKey, unknown>> =>
  u !== null && typeof u === "object" && !Array.isArray(u)

/**
 * Sets a property, also one named `__proto__` (which `JSON.parse` creates as
 * an own property): as an own property, where an assignment would replace
 * the new object's prototype.
 */
const put = (out: Record<PropertyKey, unknown>, key: PropertyKey, value: unknown): void => {
  if (key === "__proto__")
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

const identity = <A>(a: A): unknown => a

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

const leaf = <A>(
  decode: (u: unknown) => A | Failure,
  jsonSchema: JsonSchema7,
  arbitrary: LazyArbitrary<A>,
  encode: (a: A) => unknown = identity
) => lenient<A>({ decode, encode, jsonSchema, arbitrary })

const string: JsonSchema7 = { type: "string" }
const number: JsonSchema7 = { type: "number" }
const finite = { noNaN: true, noDefaultInfinity: true } as const

/** Any value, as it came. */
export const Unknown = /*#__PURE__*/ leaf<unknown>(
  (u) => u,
  {
    anyOf: [
      { $id: "/schemas/object", anyOf: [{ type: "object" }, { type: "array" }] },
      { type: "string" },
      { type: "number" },
      { type: "boolean" },
      { type: "null" }
    ]
  },
  (fc) => fc.jsonValue()
)

/** A string. */
export const String = /*#__PURE__*/ leaf(
  (u) => (typeof u === "string" ? u : invalid),
  string,
  (fc) => fc.string()
)

/** A number. */
export const Number = /*#__PURE__*/ leaf(
  (u) => (typeof u === "number" && globalThis.Number.isFinite(u) ? u : invalid),
  number,
  (fc) => fc.double(finite)
)

/** An array of strings (any other element makes it invalid). */
export const Strings = /*#__PURE__*/ leaf(
  (u) =>
    Array.isArray(u) && u.every((s) => typeof s === "string")
      ? (u.slice() as ReadonlyArray<string>)
      : invalid,
  { type: "array", items: string },
  (fc) => fc.array(fc.string())
)

/** A number, also accepted as a numeric string (`"12"`) or a boolean (`true` is 1). */
export const Num = /*#__PURE__*/ leaf(
  (u) => {
    const n =
      typeof u === "boolean" ? +u : typeof u === "string" && u.trim() !== "" ? globalThis.Number(u) : u
    return typeof n === "number" && globalThis.Number.isFinite(n) ? n : invalid
  },
  { anyOf: [number, string, { type: "boolean" }] },
  (fc) => fc.oneof(fc.integer(), fc.double(finite))
)

/** A boolean, also accepted as `0`/`1`, `"0"`/`"1"` or `"true"`/`"false"`. */
export const Bool = /*#__PURE__*/ leaf(
  (u) =>
    typeof u === "boolean"
      ? u
      : u === 1 || u === "1" || u === "true"
        ? true
        : u === 0 || u === "0" || u === "false"
          ? false
          : invalid,
  { anyOf: [{ type: "boolean" }, { enum: [0, 1, "0", "1", "true", "false"] }] },
  (fc) => fc.boolean()
)

/** A string, also accepted as a number (`12` becomes `"12"`). */
export const Str = /*#__PURE__*/ leaf(
  (u) =>
    typeof u === "string" ? u : typeof u === "number" && globalThis.Number.isFinite(u) ? `${u}` : invalid,
  { anyOf: [string, number] },
  (fc) => fc.string()
)

const headerSafe = /^[\x21-\x7e]+$/

const reveal = (secret: Redacted.Redacted<string>): unknown => Redacted.value(secret)

/**
 * A token, wrapped in `Redacted` as it is decoded. Tokens travel as HTTP
 * headers, so only visible ASCII is accepted: anything else could not be sent
 * (and a CR/LF could split a header). Encoding reveals it.
 */
export const Secret = /*#__PURE__*/ leaf(
  (u) => (typeof u === "string" && headerSafe.test(u) ? Redacted.make(u) : invalid),
  { type: "string", pattern: headerSafe.source },
  (fc) => fc.stringMatching(headerSafe).map((s) => Redacted.make(s)),
  reveal
)

/** A non-empty secret that is never sent as a header (a service's secret), wrapped in `Redacted`. */
export const OpaqueSecret = /*#__PURE__*/ leaf(
  (u) => (typeof u === "string" && u.length > 0 ? Redacted.make(u) : invalid),
  { type: "string", minLength: 1 },
  (fc) => fc.string({ minLength: 1 }).map((s) => Redacted.make(s)),
  reveal
)

/** The first of `members` that decodes the value. */
export const union = <Members extends ReadonlyArray<Lenient<any>>>(
  ...members: Members
): Lenient<Schema.Schema.Type<Members[number]>> =>
  lenient({
    decode: (u) => {
      for (const member of members) {
        const value = member[CodecId].decode(u)
        if (!(value instanceof Failure)) return value
      }
      return invalid
    },
    // Each member decodes its own encoding: the first that takes the value back encodes it.
    encode: (value) => {
      for (const member of members) {
        const encoded = member[CodecId].encode(value)
        if (!(member[CodecId].decode(encoded) instanceof Failure)) return encoded
      }
      return value
    },
    jsonSchema: { anyOf: members.map((member) => member[CodecId].jsonSchema) },
    arbitrary: (fc) => fc.oneof(...members.map((member) => member[CodecId].arbitrary(fc)))
  })

/** A value `schema` decodes, also accepted as the first element of an array (XML-to-JSON habit). */
export const firstOf = <A>(schema: Lenient<A>): Lenient<A> =>
  lenient({
    decode: (u) => schema[CodecId].decode(Array.isArray(u) ? u[0] : u),
    encode: schema[CodecId].encode,
    jsonSchema: {
      anyOf: [schema[CodecId].jsonSchema, { type: "array", items: schema[CodecId].jsonSchema, minItems: 1 }]
    },
    arbitrary: schema[CodecId].arbitrary
  })

/** Decodes the elements of a list and drops the invalid ones. */
const keepValid = <A>(item: Codec<A>, list: ReadonlyArray<unknown>): Array<A> => {
  const out: Array<A> = []
  for (const element of list) {
    const decoded = item.decode(element)
    if (!(decoded instanceof Failure)) out.push(decoded)
  }
  return out
}

/**
 * An array whose invalid elements are dropped; a single object is read as a
 * one-element array (XML-to-JSON habit), anything else as empty.
 */
export const lenientArray = <A>(item: Lenient<A>): Lenient<ReadonlyArray<A>> =>
  lenient<ReadonlyArray<A>>({
    decode: (u) => keepValid(item[CodecId], Array.isArray(u) ? u : isRecord(u) ? [u] : []),
    encode: (list) => list.map(item[CodecId].encode),
    jsonSchema: { type: "array", items: item[CodecId].jsonSchema },
    arbitrary: (fc) => fc.array(item[CodecId].arbitrary(fc))
  })

/** An array of items whose invalid ones are dropped (a non-array input is invalid). */
export const items = <A>(item: Lenient<A>): Lenient<ReadonlyArray<A>> =>
  lenient<ReadonlyArray<A>>({
    decode: (u) => (Array.isArray(u) ? keepValid(item[CodecId], u) : invalid),
    encode: (list) => list.map(item[CodecId].encode),
    jsonSchema: { type: "array", items: item[CodecId].jsonSchema },
    arbitrary: (fc) => fc.array(item[CodecId].arbitrary(fc))
  })

// ---------------------------------------------------------------------------
// Structs
// ---------------------------------------------------------------------------

/** A property of a {@link struct} that may be absent or has a fallback, as opposed to a required schema. */
export interface Field<A, Optional extends boolean> {
  readonly codec: Codec<A>
  readonly optional: Optional
  /** Used when the property is missing or invalid; absent: the property is dropped. */
  readonly fallback: (() => A) | undefined
  /** The key in the input, when it differs (Plex's capitalised `Connection`, say). */
  readonly from: string | undefined
}

/**
 * An optional property that decodes to absent when it is missing, `null`, or
 * of a shape `schema` does not accept.
 */
export const optional = <A>(schema: Lenient<A>): Field<A, true> => ({
  codec: schema[CodecId],
  optional: true,
  fallback: undefined,
  from: undefined
})

/**
 * A required property that decodes to `fallback` when it is missing, `null`
 * or of a shape `schema` does not accept.
 */
export const withDefault = <A>(schema: Lenient<A>, fallback: A): Field<A, false> => ({
  codec: schema[CodecId],
  optional: false,
  fallback: () => fallback,
  from: undefined
})

/**
 * An array property that is absent-tolerant: missing, null or malformed
 * becomes `[]`, invalid elements are dropped. With `fromKey`, it is read from
 * that key of the input and named as the struct names it.
 */
export const array = <A>(
  item: Lenient<A>,
  options?: { readonly fromKey?: string }
): Field<ReadonlyArray<A>, false> => ({
  codec: lenientArray(item)[CodecId],
  optional: false,
  fallback: () => [],
  from: options?.fromKey
})

/** What {@link struct} takes: required schemas, or fields built here. */
export type Fields = Readonly<Record<string, Lenient<any> | Field<any, boolean>>>

type TypeOf<F> = F extends Field<infer A, boolean> ? A : F extends Lenient<infer A> ? A : never

type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends Field<any, true> ? K : never }[keyof F]

/** The decoded type of a struct of `F`: optional fields may be absent, the others are present. */
export type StructType<F extends Fields> = {
  readonly [K in Exclude<keyof F, OptionalKeys<F>>]: TypeOf<F[K]>
} & { readonly [K in OptionalKeys<F>]?: TypeOf<F[K]> }

interface Compiled {
  readonly key: string
  readonly from: string
  readonly codec: Codec<unknown>
  /** Required: a missing or invalid value fails the struct. */
  readonly required: boolean
  readonly fallback: (() => unknown) | undefined
}

const isField = (value: Lenient<any> | Field<any, boolean>): value is Field<any, boolean> =>
  !(CodecId in value)

// ---------------------------------------------------------------------------
// Unknown properties
// ---------------------------------------------------------------------------

/**
 * How deep unknown data may nest. Plex's payloads nest a handful of levels;
 * deeper data is dropped, because `JSON.stringify`, `util.inspect` and
 * Effect's loggers recurse once per level and throw past a few thousand.
 */
export const maxUnknownDepth = 32

/**
 * Whether a key names a member of `Object.prototype`: as an own property of a
 * decoded value it would shadow it (a `toString` of `1` makes
 * `String(value)` throw), so it is dropped. (`__proto__` is kept as an own
 * property, see {@link put}: it shadows nothing.)
 */
const shadows = (key: string): boolean => key !== "__proto__" && key in Object.prototype

/**
 * Names under which a payload may carry a secret the schemas do not model
 * (the 2025-08 account's `pin` hash, an `authentication_token`, a
 * `client_secret`, a `password`).
 */
export const isSecretKey = (key: string): boolean => /^pin$|token|secret|passw(?:or)?d/i.test(key)

/** What {@link unknownData} returns for a value nesting too deep. */
const tooDeep = {}

/**
 * Unknown data, decoded (`reveal` false): in a shape that renders, keys that
 * would shadow an `Object.prototype` member dropped, values under a
 * secret-like key wrapped in `Redacted` (all but `null` and booleans, which
 * hide nothing), and {@link tooDeep} when it nests deeper than
 * {@link maxUnknownDepth}. Encoded (`reveal` true): every `Redacted` in it
 * revealed. What needs no change is returned as it came (no copy).
 */
const unknownData = (key: PropertyKey, u: unknown, depth: number, reveal: boolean): unknown => {
  let value = reveal && Redacted.isRedacted(u) ? Redacted.value(u) : u
  if (
    value !== null &&
    typeof value === "object" &&
    (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)
  ) {
    if (depth > maxUnknownDepth) return reveal ? value : tooDeep
    const record = value as Record<string, unknown>
    let copy: Record<string, unknown> | undefined
    for (const inner of Object.keys(record)) {
      const element =
        !reveal && shadows(inner) ? undefined : unknownData(inner, record[inner], depth + 1, reveal)
      if (element === tooDeep) return tooDeep
      if (element !== record[inner]) {
        copy ??= Array.isArray(record) ? (record.slice() as never) : { ...record }
        if (element === undefined) delete copy[inner]
        else put(copy, inner, element)
      }
    }
    value = copy ?? value
  }
  return reveal ||
    value === null ||
    typeof value === "boolean" ||
    typeof key !== "string" ||
    !isSecretKey(key) ||
    Redacted.isRedacted(value)
    ? value
    : Redacted.make(value)
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
export const struct = <F extends Fields>(fields: F, identifier?: string): Lenient<StructType<F>> => {
  const list: ReadonlyArray<Compiled> = Object.entries(fields).map(([key, value]) =>
    isField(value)
      ? { key, from: value.from ?? key, codec: value.codec, required: false, fallback: value.fallback }
      : { key, from: key, codec: value[CodecId], required: true, fallback: undefined }
  )
  const known: ReadonlySet<string> = new Set(list.map((field) => field.from))
  const properties: Record<string, JsonSchema7> = {}
  for (const field of list) properties[field.from] = field.codec.jsonSchema
  return lenient<StructType<F>>(
    {
      decode: (u) => {
        if (!isRecord(u)) return invalid
        // A copy keeps the unknown properties as they came (a `__proto__` from `JSON.parse` as an own
        // property): much cheaper than one property at a time. Unknown ones are then made safe to render
        // (see unknownData), known ones replaced where decoding changed them, renamed, or dropped when an
        // optional one is unusable.
        const out: Record<PropertyKey, unknown> = { ...u }
        for (const key of Object.keys(u)) {
          if (known.has(key)) continue
          const value = u[key]
          const kept = shadows(key) ? tooDeep : unknownData(key, value, 1, false)
          if (kept === tooDeep) delete out[key]
          else if (kept !== value) put(out, key, kept)
        }
        for (const field of list) {
          const present = Object.prototype.hasOwnProperty.call(u, field.from)
          const value = present ? u[field.from] : undefined
          const decoded = present ? field.codec.decode(value) : invalid
          if (decoded instanceof Failure) {
            if (field.required) return new Failure([field.from, ...decoded.path], decoded.missing || !present)
            if (present) delete out[field.from]
            if (field.fallback !== undefined) put(out, field.key, field.fallback())
          } else if (field.from !== field.key) {
            delete out[field.from]
            put(out, field.key, decoded)
          } else if (decoded !== value) put(out, field.key, decoded)
        }
        return out as StructType<F>
      },
      encode: (value) => {
        const record = value as Readonly<Record<PropertyKey, unknown>>
        const out: Record<PropertyKey, unknown> = {}
        for (const key of Reflect.ownKeys(record))
          if (!Object.prototype.hasOwnProperty.call(fields, key))
            put(out, key, unknownData(key, record[key], 1, true))
        for (const field of list) {
          if (Object.prototype.hasOwnProperty.call(record, field.key)) {
            put(out, field.from, field.codec.encode(record[field.key]))
          }
        }
        return out
      },
      jsonSchema: {
        type: "object",
        required: list.filter((field) => field.required).map((field) => field.from),
        properties,
        additionalProperties: true
      },
      arbitrary: (fc) => {
        const model: Record<string, ReturnType<LazyArbitrary<unknown>>> = {}
        for (const field of list) model[field.key] = field.codec.arbitrary(fc)
        return fc.record(model, {
          requiredKeys: list
            .filter((field) => field.fallback !== undefined || field.required)
            .map((f) => f.key)
        }) as ReturnType<LazyArbitrary<StructType<F>>>
      }
    },
    identifier
  )
}
