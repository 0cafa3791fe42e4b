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
 * @internal
 */
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

/** The plain decoder and encoder behind a lenient schema. */
interface Codec<A> {
  readonly decode: (input: unknown) => A | Failure
  readonly encode: (value: A) => unknown
}

const CodecId: unique symbol = Symbol.for("effect-plex-auth/lenient/Codec")

/** A schema from any JSON value, decoded by one plain function. */
export interface Lenient<A> extends Schema.Schema<A, unknown> {
  readonly [CodecId]: Codec<A>
}

/** Decodes `input` with the schema's plain decoder: the value, or where it failed. */
export const decodePlain = <A>(schema: Lenient<A>, input: unknown): A | Failure =>
  schema[CodecId].decode(input)

/** The schema for a codec: its decoding failures become parse issues that point at the culprit. */
const lenient = <A>(codec: Codec<A>, identifier: string): Lenient<A> =>
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
      { identifier }
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
  identifier: string,
  decode: (u: unknown) => A | Failure,
  encode: (a: A) => unknown = identity
) => lenient<A>({ decode, encode }, identifier)

/** Any value, as it came. */
export const Unknown = /*#__PURE__*/ leaf<unknown>("Unknown", (u) => u)

/** A string. */
export const String = /*#__PURE__*/ leaf("String", (u) => (typeof u === "string" ? u : invalid))

/** A number. */
export const Number = /*#__PURE__*/ leaf("Number", (u) =>
  typeof u === "number" && globalThis.Number.isFinite(u) ? u : invalid
)

/** An array of strings (any other element makes it invalid). */
export const Strings = /*#__PURE__*/ leaf("Strings", (u) =>
  Array.isArray(u) && u.every((s) => typeof s === "string") ? (u.slice() as ReadonlyArray<string>) : invalid
)

/** A number, also accepted as a numeric string (`"12"`) or a boolean (`true` is 1). */
export const Num = /*#__PURE__*/ leaf("Num", (u) => {
  const n = typeof u === "boolean" ? +u : typeof u === "string" && u.trim() !== "" ? globalThis.Number(u) : u
  return typeof n === "number" && globalThis.Number.isFinite(n) ? n : invalid
})

/** A boolean, also accepted as `0`/`1`, `"0"`/`"1"` or `"true"`/`"false"`. */
export const Bool = /*#__PURE__*/ leaf("Bool", (u) =>
  typeof u === "boolean"
    ? u
    : u === 1 || u === "1" || u === "true"
      ? true
      : u === 0 || u === "0" || u === "false"
        ? false
        : invalid
)

/** A string, also accepted as a number (`12` becomes `"12"`). */
export const Str = /*#__PURE__*/ leaf("Str", (u) =>
  typeof u === "string" ? u : typeof u === "number" && globalThis.Number.isFinite(u) ? `${u}` : invalid
)

const headerSafe = /^[\x21-\x7e]+$/

const reveal = (secret: Redacted.Redacted<string>): unknown => Redacted.value(secret)

/**
 * A token, wrapped in `Redacted` as it is decoded. Tokens travel as HTTP
 * headers, so only visible ASCII is accepted: anything else could not be sent
 * (and a CR/LF could split a header). Encoding reveals it.
 */
export const Secret = /*#__PURE__*/ leaf(
  "Secret",
  (u) => (typeof u === "string" && headerSafe.test(u) ? Redacted.make(u) : invalid),
  reveal
)

/** A non-empty secret that is never sent as a header (a service's secret), wrapped in `Redacted`. */
export const OpaqueSecret = /*#__PURE__*/ leaf(
  "OpaqueSecret",
  (u) => (typeof u === "string" && u.length > 0 ? Redacted.make(u) : invalid),
  reveal
)

/** The first of `members` that decodes the value. */
export const union = <Members extends ReadonlyArray<Lenient<any>>>(
  ...members: Members
): Lenient<Schema.Schema.Type<Members[number]>> =>
  lenient(
    {
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
      }
    },
    "Union"
  )

/** A value `schema` decodes, also accepted as the first element of an array (XML-to-JSON habit). */
export const firstOf = <A>(schema: Lenient<A>): Lenient<A> =>
  lenient(
    { decode: (u) => schema[CodecId].decode(Array.isArray(u) ? u[0] : u), encode: schema[CodecId].encode },
    "FirstOf"
  )

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
  lenient<ReadonlyArray<A>>(
    {
      decode: (u) => keepValid(item[CodecId], Array.isArray(u) ? u : isRecord(u) ? [u] : []),
      encode: (list) => list.map(item[CodecId].encode)
    },
    "LenientArray"
  )

/** An array of items whose invalid ones are dropped (a non-array input is invalid). */
export const items = <A>(item: Lenient<A>): Lenient<ReadonlyArray<A>> =>
  lenient<ReadonlyArray<A>>(
    {
      decode: (u) => (Array.isArray(u) ? keepValid(item[CodecId], u) : invalid),
      encode: (list) => list.map(item[CodecId].encode)
    },
    "Items"
  )

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

/**
 * A struct: each property a required schema, or a field built with
 * {@link optional}, {@link withDefault} or {@link array}. Unknown properties
 * are kept as they came. A required property that is missing or invalid
 * fails the whole struct (the failure points at it).
 */
export const struct = <F extends Fields>(fields: F, identifier = "Struct"): Lenient<StructType<F>> => {
  const list: ReadonlyArray<Compiled> = Object.entries(fields).map(([key, value]) =>
    isField(value)
      ? { key, from: value.from ?? key, codec: value.codec, required: false, fallback: value.fallback }
      : { key, from: key, codec: value[CodecId], required: true, fallback: undefined }
  )
  return lenient<StructType<F>>(
    {
      decode: (u) => {
        if (!isRecord(u)) return invalid
        // A copy keeps the unknown properties as they came (a `__proto__` from `JSON.parse` as an own
        // property): much cheaper than one property at a time. Known ones are then replaced where
        // decoding changed them, renamed, or dropped when an optional one is unusable.
        const out: Record<PropertyKey, unknown> = { ...u }
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
          if (!Object.prototype.hasOwnProperty.call(fields, key)) put(out, key, record[key])
        for (const field of list) {
          if (Object.prototype.hasOwnProperty.call(record, field.key)) {
            put(out, field.from, field.codec.encode(record[field.key]))
          }
        }
        return out
      }
    },
    identifier
  )
}
