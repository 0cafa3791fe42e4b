/**
 * Lenient decoding of Plex payloads, as plain functions both editions share:
 * require only what a caller needs, treat an optional field with an
 * unexpected shape as absent, keep unknown fields as they came, and never
 * fail because Plex added, dropped or nulled a field.
 *
 * A {@link Codec} decodes a JSON value in one plain pass (no Schema machinery
 * per field). Its {@link Shape} says how it is built, from which
 * {@link encode} writes a decoded value back as a payload, and
 * {@link jsonSchemaOf} and {@link sampleOf} derive what the rest of a Schema
 * ecosystem needs: the JSON Schema of the payloads it accepts (the lenient
 * forms too) and the canonical payloads it decodes (for generating values).
 * Those three live apart from the codecs, so that a program that only
 * decodes (an operation) does not bundle them. Each edition wraps codecs in its own `Schema`
 * (`src/internal/lenient.ts`, `effect4/src/internal/lenient.ts`); the rules
 * live here once.
 *
 * Secrets are wrapped by the edition's `Redacted` ({@link Secrets}): a token
 * is decoded straight into it, and a value under a secret-like key the
 * schemas do not model ({@link isSecretKey}) is wrapped too.
 *
 * @internal
 */

// ---------------------------------------------------------------------------
// Codecs
// ---------------------------------------------------------------------------

/** Why a value did not decode: the path to the culprit and whether it was missing. */
export class Failure {
  constructor(
    readonly path: ReadonlyArray<PropertyKey>,
    readonly missing: boolean
  ) {}
}

/** A value of the wrong shape (leaves return this one instance: no allocation). */
export const invalid: Failure = /*#__PURE__*/ new Failure([], false)

/** A JSON Schema fragment (plain data). */
export type JsonSchema = { readonly [keyword: string]: unknown }

/**
 * A canonical payload: what a generator should produce so that the codec
 * decodes it (each edition turns it into its own generator). Strings match
 * `pattern` and are at least `minLength` long; numbers are finite; a struct's
 * required fields are always present.
 */
export type Sample =
  | { readonly _tag: "Json" }
  | { readonly _tag: "String"; readonly pattern?: RegExp; readonly minLength?: number }
  | { readonly _tag: "Number" }
  | { readonly _tag: "Integer" }
  | { readonly _tag: "Boolean" }
  | { readonly _tag: "Array"; readonly item: Sample }
  | { readonly _tag: "OneOf"; readonly members: ReadonlyArray<Sample> }
  | {
      readonly _tag: "Struct"
      readonly fields: ReadonlyArray<{
        readonly key: string
        readonly sample: Sample
        readonly required: boolean
      }>
    }

/** The plain decoder of a lenient payload block (its encoder is {@link encode}). */
export interface Codec<A> {
  readonly decode: (input: unknown) => A | Failure
  /** How it is built: what {@link encode}, {@link jsonSchemaOf} and {@link sampleOf} read. */
  readonly shape: Shape
}

/** The value codecs of this module, by name (see {@link leaves}). */
export type LeafKind =
  | "unknown"
  | "string"
  | "number"
  | "strings"
  | "num"
  | "bool"
  | "str"
  | "secret"
  | "opaqueSecret"

/** A struct's property as the struct reads it: from which input key, with which codec, required or not. */
export interface StructField {
  readonly key: string
  readonly from: string
  readonly codec: Codec<any>
  /** Absent for a {@link Field}. */
  readonly required?: true
  readonly fallback?: (() => unknown) | undefined
}

/** How a codec is built: what {@link encode}, {@link jsonSchemaOf} and {@link sampleOf} read. */
export type Shape =
  | {
      readonly _tag: "Leaf"
      readonly kind: LeafKind
      /** How a decoded value is written back, when not as it is (a secret is revealed). */
      readonly encode: ((value: any) => unknown) | undefined
    }
  | {
      readonly _tag: "Array"
      readonly item: Codec<any>
      /** Only an array is a list ({@link items}); otherwise a single object is one too ({@link lenientArray}). */
      readonly strict?: true
    }
  | { readonly _tag: "Union"; readonly members: ReadonlyArray<Codec<any>> }
  | { readonly _tag: "FirstOf"; readonly codec: Codec<any> }
  | { readonly _tag: "Struct"; readonly fields: ReadonlyArray<StructField>; readonly secrets: Secrets }

/** Where an edition's schema keeps its codec. */
export const CodecId: unique symbol = /*#__PURE__*/ Symbol.for("effect-plex-auth/lenient/Codec")

/** An edition's schema of a codec (it keeps the codec under {@link CodecId}). */
export interface HasCodec<A> {
  readonly [CodecId]: Codec<A>
}

/** A codec, or an edition's schema of one: what the combinators here take. */
export type CodecLike<A> = Codec<A> | HasCodec<A>

/** The codec of a {@link CodecLike}. */
export const codecOf = <A>(codec: CodecLike<A>): Codec<A> => (CodecId in codec ? codec[CodecId] : codec)

/** How an edition hides a secret (`S`, its `Redacted`). */
export interface Secrets<S = any> {
  readonly make: (value: unknown) => S
  readonly isSecret: (u: unknown) => u is S
  /** Only ever given what {@link isSecret} accepts. */
  readonly reveal: (secret: S) => unknown
}

/** `value[key]` when `value` is an object (an array included), else undefined: a field of whatever was caught. */
export const fieldOf = (value: unknown, key: string): unknown =>
  value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined

/** Whether `u` is a plain record (not `null`, not an array). */
export const isRecord = (u: unknown): u is Readonly<Record<PropertyKey, unknown>> =>
  u !== null && typeof u === "object" && !Array.isArray(u)

/**
 * Sets a property, also one named `__proto__` (which `JSON.parse` creates as
 * an own property): as an own property, where an assignment would replace
 * the new object's prototype.
 */
const put = (out: Record<PropertyKey, unknown>, key: PropertyKey, value: unknown): void => {
  if (key === "__proto__")
    Object.defineProperty(out, key, { value, writable: true, configurable: true, enumerable: true })
  else out[key] = value
}

const leaf = <A>(
  decode: (u: unknown) => A | Failure,
  kind: LeafKind,
  encode?: (a: A) => unknown
): Codec<A> => ({ decode, shape: { _tag: "Leaf", kind, encode } })

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/** Any value, as it came. */
export const unknown: Codec<unknown> = /*#__PURE__*/ leaf((u) => u, "unknown")

/** A string. */
export const string: Codec<string> = /*#__PURE__*/ leaf(
  (u) => (typeof u === "string" ? u : invalid),
  "string"
)

/** A finite number. */
export const number: Codec<number> = /*#__PURE__*/ leaf(
  (u) => (typeof u === "number" && isFinite(u) ? u : invalid),
  "number"
)

/** An array of strings (any other element makes it invalid). */
export const strings: Codec<ReadonlyArray<string>> = /*#__PURE__*/ leaf(
  (u) =>
    Array.isArray(u) && u.every((s) => typeof s === "string")
      ? (u.slice() as ReadonlyArray<string>)
      : invalid,
  "strings"
)

/**
 * A number, also accepted as a numeric string (`"12"`, what XML attributes
 * carry) or a boolean (`true` is 1). An empty or blank string is not a number.
 */
export const decodeNum = (u: unknown): number | Failure => {
  const n = typeof u === "boolean" ? +u : typeof u === "string" && u.trim() !== "" ? Number(u) : u
  return typeof n === "number" && isFinite(n) ? n : invalid
}

/** A number, also accepted as a numeric string or a boolean ({@link decodeNum}). */
export const num: Codec<number> = /*#__PURE__*/ leaf(decodeNum, "num")

/** A boolean, also accepted as `0`/`1`, `"0"`/`"1"` or `"true"`/`"false"` (Plex has sent all). */
export const decodeBool = (u: unknown): boolean | Failure =>
  typeof u === "boolean"
    ? u
    : u === 1 || u === "1" || u === "true"
      ? true
      : u === 0 || u === "0" || u === "false"
        ? false
        : invalid

/** A boolean, also accepted as Plex's other spellings ({@link decodeBool}). */
export const bool: Codec<boolean> = /*#__PURE__*/ leaf(decodeBool, "bool")

/** A string, also accepted as a finite number (an id: `12` becomes `"12"`). */
export const decodeStr = (u: unknown): string | Failure =>
  typeof u === "string" ? u : typeof u === "number" && isFinite(u) ? `${u}` : invalid

/** A string, also accepted as a number ({@link decodeStr}). */
export const str: Codec<string> = /*#__PURE__*/ leaf(decodeStr, "str")

/**
 * What a token may be: tokens travel as HTTP headers, so only visible ASCII
 * is accepted (anything else could not be sent, and a CR/LF could split a
 * header).
 */
export const headerSafe = /^[\x21-\x7e]+$/

/**
 * A token, wrapped by `hide` as it is decoded ({@link headerSafe} text only).
 * Encoding reveals it.
 */
export const secret = <S>(hide: (token: string) => S, reveal: (secret: S) => string): Codec<S> =>
  leaf((u) => (typeof u === "string" && headerSafe.test(u) ? hide(u) : invalid), "secret", reveal)

/** A non-empty secret that is never sent as a header (a service's secret), wrapped by `hide`. */
export const opaqueSecret = <S>(hide: (secret: string) => S, reveal: (secret: S) => string): Codec<S> =>
  leaf((u) => (typeof u === "string" && u.length > 0 ? hide(u) : invalid), "opaqueSecret", reveal)

/** The first of `members` that decodes the value. */
export const union = <A>(memberCodecs: ReadonlyArray<CodecLike<A>>): Codec<A> => {
  const members = memberCodecs.map(codecOf)
  return {
    decode: (u) => {
      for (const member of members) {
        const value = member.decode(u)
        if (!(value instanceof Failure)) return value
      }
      return invalid
    },
    shape: { _tag: "Union", members }
  }
}

/** A value `codec` decodes, also accepted as the first element of an array (XML-to-JSON habit). */
export const firstOf = <A>(of: CodecLike<A>): Codec<A> => {
  const codec = codecOf(of)
  return {
    decode: (u) => codec.decode(Array.isArray(u) ? u[0] : u),
    shape: { _tag: "FirstOf", codec }
  }
}

/** Decodes the elements of a list and drops the invalid ones. */
const keepValid = <A>(item: Codec<A>, list: ReadonlyArray<unknown>): Array<A> => {
  const out: Array<A> = []
  for (const element of list) {
    const decoded = item.decode(element)
    if (!(decoded instanceof Failure)) out.push(decoded)
  }
  return out
}

/** `u` as a list: an array as it is, a single object as a one-element array (XML-to-JSON habit), else empty. */
export const listOf = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : isRecord(u) ? [u] : [])

/**
 * An array whose invalid elements are dropped; a single object is read as a
 * one-element array (XML-to-JSON habit), anything else as empty.
 */
export const lenientArray = <A>(of: CodecLike<A>): Codec<ReadonlyArray<A>> => {
  const item = codecOf(of)
  return {
    decode: (u) => keepValid(item, listOf(u)),
    shape: { _tag: "Array", item }
  }
}

/** An array of items whose invalid ones are dropped (a non-array input is invalid). */
export const items = <A>(of: CodecLike<A>): Codec<ReadonlyArray<A>> => {
  const item = codecOf(of)
  return {
    decode: (u) => (Array.isArray(u) ? keepValid(item, u) : invalid),
    shape: { _tag: "Array", item, strict: true }
  }
}

// ---------------------------------------------------------------------------
// Unknown properties
// ---------------------------------------------------------------------------

/**
 * How deep unknown data may nest. Plex's payloads nest a handful of levels;
 * deeper data is dropped, because `JSON.stringify`, `util.inspect` and
 * loggers recurse once per level and throw past a few thousand.
 */
export const maxUnknownDepth = 32

/**
 * Whether a key names a member of `Object.prototype`: as an own property of a
 * decoded value it would shadow it (a `toString` of `1` makes
 * `String(value)` throw), so it is dropped. (`__proto__` is kept as an own
 * property, see {@link put}: it shadows nothing.)
 */
export const shadowsPrototype = (key: string): boolean => key !== "__proto__" && key in Object.prototype

/**
 * Names under which a payload may carry a secret the schemas do not model
 * (the 2025-08 account's `pin` hash, an `authentication_token`, a
 * `client_secret`, a `password`).
 */
export const isSecretKey = (key: string): boolean => /^pin$|token|secret|passw(or)?d/i.test(key)

/** What {@link unknownData} returns for a value nesting too deep. */
const tooDeep = {}

/** Whether `value` is data a payload nests: an array or a plain object (`fetchGuard.ts` copies errors down such data). */
export const isPlainData = (value: unknown): value is Record<string, unknown> =>
  value !== null &&
  typeof value === "object" &&
  (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)

/**
 * Unknown data, decoded: in a shape that renders, keys that would shadow an
 * `Object.prototype` member dropped, values under a secret-like key hidden by
 * `secrets` (all but `null` and booleans, which hide nothing), and
 * {@link tooDeep} when it nests deeper than {@link maxUnknownDepth}. What
 * needs no change is returned as it came (no copy).
 */
const unknownData = (secrets: Secrets, key: PropertyKey, u: unknown, depth: number): unknown => {
  let value = u
  if (isPlainData(value)) {
    if (depth > maxUnknownDepth) return tooDeep
    const record = value
    let copy: Record<string, unknown> | undefined
    for (const inner of Object.keys(record)) {
      const element = shadowsPrototype(inner)
        ? undefined
        : unknownData(secrets, inner, record[inner], depth + 1)
      if (element === tooDeep) return tooDeep
      if (element !== record[inner]) {
        copy ??= Array.isArray(record) ? (record.slice() as never) : { ...record }
        if (element === undefined) delete copy[inner]
        else put(copy, inner, element)
      }
    }
    value = copy ?? value
  }
  return value === null ||
    typeof value === "boolean" ||
    typeof key !== "string" ||
    !isSecretKey(key) ||
    secrets.isSecret(value)
    ? value
    : secrets.make(value)
}

/**
 * Unknown data, encoded: every value {@link unknownData} hid in it revealed
 * (deeper than {@link maxUnknownDepth}, as it is). What needs no change is
 * returned as it came (no copy).
 */
const revealUnknown = (secrets: Secrets, u: unknown, depth: number): unknown => {
  const value = secrets.isSecret(u) ? secrets.reveal(u) : u
  if (!isPlainData(value) || depth > maxUnknownDepth) return value
  let copy: Record<string, unknown> | undefined
  for (const inner of Object.keys(value)) {
    const element = revealUnknown(secrets, value[inner], depth + 1)
    if (element !== value[inner]) {
      copy ??= Array.isArray(value) ? (value.slice() as never) : { ...value }
      put(copy, inner, element)
    }
  }
  return copy ?? value
}

// ---------------------------------------------------------------------------
// Structs
// ---------------------------------------------------------------------------

/** A property of a {@link struct} that may be absent or has a fallback, as opposed to a required codec. */
export interface Field<A, Optional extends boolean> {
  readonly _tag: "Field"
  readonly codec: Codec<A>
  /** Whether the property may be absent: in the type only (nothing reads it at run time, so no value carries it). */
  readonly optional?: Optional
  /** Used when the property is missing or invalid; absent: the property is dropped. */
  readonly fallback?: (() => A) | undefined
  /** The key in the input, when it differs (Plex's capitalised `Connection`, say). */
  readonly from?: string | undefined
}

/**
 * An optional property that decodes to absent when it is missing, `null`, or
 * of a shape `codec` does not accept.
 */
export const optional = <A>(codec: CodecLike<A>): Field<A, true> => ({
  _tag: "Field",
  codec: codecOf(codec)
})

/**
 * A required property that decodes to `fallback` when it is missing, `null`
 * or of a shape `codec` does not accept.
 */
export const withDefault = <A>(codec: CodecLike<A>, fallback: A): Field<A, false> => ({
  _tag: "Field",
  codec: codecOf(codec),
  fallback: () => fallback
})

/**
 * An array property that is absent-tolerant: missing, null or malformed
 * becomes `[]`, invalid elements are dropped. With `fromKey`, it is read from
 * that key of the input and named as the struct names it.
 */
export const array = <A>(
  item: CodecLike<A>,
  options?: { readonly fromKey?: string }
): Field<ReadonlyArray<A>, false> => ({
  _tag: "Field",
  codec: lenientArray(item),
  fallback: () => [],
  from: options?.fromKey
})

/** What a struct's property may be: a required codec (or an edition's schema of one), or a {@link Field}. */
export type Fields = Readonly<Record<string, CodecLike<any> | Field<any, boolean>>>

type TypeOf<F> =
  F extends Field<infer A, boolean>
    ? A
    : F extends Codec<infer A>
      ? A
      : F extends HasCodec<infer A>
        ? A
        : never

type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends Field<any, true> ? K : never }[keyof F]

/** The decoded type of a struct of `F`: optional fields may be absent, the others are present. */
export type StructType<F extends Fields> = {
  readonly [K in Exclude<keyof F, OptionalKeys<F>>]: TypeOf<F[K]>
} & { readonly [K in OptionalKeys<F>]?: TypeOf<F[K]> }

/** Whether a struct's property is a {@link Field} (as opposed to a required codec). */
export const isField = (u: unknown): u is Field<any, boolean> => isRecord(u) && u["_tag"] === "Field"

/**
 * A struct of `fields` (each a required codec or a {@link Field}). Unknown
 * properties are kept, except what cannot be rendered: a key that would
 * shadow an `Object.prototype` member (`toString`, `valueOf`, ...) is
 * dropped, as is a property nesting deeper than {@link maxUnknownDepth}; a
 * value under a secret-like key ({@link isSecretKey}), at any depth, is
 * hidden by `secrets` (encoding reveals it). A required property that is
 * missing or invalid fails the whole struct (the failure points at it).
 */
export const struct = <F extends Fields>(fields: F, secrets: Secrets): Codec<StructType<F>> => {
  // A Field's codec and fallback as it has them (its `_tag` comes along; nothing reads it here).
  const list = Object.entries(fields).map(([key, field]): StructField =>
    isField(field)
      ? { key, ...field, from: field.from ?? key }
      : { key, from: key, codec: codecOf(field), required: true }
  )
  const known: ReadonlySet<string> = new Set(list.map((field) => field.from))
  return {
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
        const kept = shadowsPrototype(key) ? tooDeep : unknownData(secrets, key, value, 1)
        if (kept === tooDeep) delete out[key]
        else if (kept !== value) put(out, key, kept)
      }
      for (const field of list) {
        const present = Object.hasOwn(u, field.from)
        const value = present ? u[field.from] : undefined
        const decoded = present ? field.codec.decode(value) : invalid
        if (decoded instanceof Failure) {
          if (field.required) return new Failure([field.from, ...decoded.path], decoded.missing || !present)
          if (present) delete out[field.from]
          if (field.fallback) put(out, field.key, field.fallback())
        } else if (field.from !== field.key) {
          delete out[field.from]
          put(out, field.key, decoded)
        } else if (decoded !== value) put(out, field.key, decoded)
      }
      return out as StructType<F>
    },
    shape: { _tag: "Struct", fields: list, secrets }
  }
}

// ---------------------------------------------------------------------------
// Encoding: for the editions' schemas only
// ---------------------------------------------------------------------------

/**
 * A value `codec` decoded, written back as a payload: secrets revealed,
 * renamed properties under their input key, unknown properties as they came
 * (what was hidden in them revealed). A union encodes with the first member
 * that decodes its own encoding back.
 */
export const encode = <A>(codec: Codec<A>, value: A): unknown => {
  const shape = codec.shape
  switch (shape._tag) {
    case "Leaf":
      return shape.encode === undefined ? value : shape.encode(value)
    case "Array":
      return (value as ReadonlyArray<unknown>).map((item) => encode(shape.item, item))
    case "Union": {
      for (const member of shape.members) {
        const encoded = encode(member, value)
        if (!(member.decode(encoded) instanceof Failure)) return encoded
      }
      return value
    }
    case "FirstOf":
      return encode(shape.codec, value)
    case "Struct": {
      const record = value as Readonly<Record<PropertyKey, unknown>>
      const decodedKeys: ReadonlySet<PropertyKey> = new Set(shape.fields.map((field) => field.key))
      const out: Record<PropertyKey, unknown> = {}
      for (const key of Reflect.ownKeys(record))
        if (!decodedKeys.has(key)) put(out, key, revealUnknown(shape.secrets, record[key], 1))
      for (const field of shape.fields) {
        if (Object.hasOwn(record, field.key)) {
          put(out, field.from, encode(field.codec, record[field.key]))
        }
      }
      return out
    }
  }
}

// ---------------------------------------------------------------------------
// Descriptions (JSON Schema, canonical payloads): for the editions' schemas only
// ---------------------------------------------------------------------------

/**
 * What each value codec accepts (JSON Schema) and its canonical payloads. A
 * function: a table at the top level reading `headerSafe.source` would be
 * kept by a bundler (a property read may run a getter) in every program.
 */
const leaves = (): Record<LeafKind, { readonly jsonSchema: JsonSchema; readonly sample: Sample }> => ({
  unknown: {
    jsonSchema: {
      anyOf: [
        { $id: "/schemas/object", anyOf: [{ type: "object" }, { type: "array" }] },
        { type: "string" },
        { type: "number" },
        { type: "boolean" },
        { type: "null" }
      ]
    },
    sample: { _tag: "Json" }
  },
  string: { jsonSchema: { type: "string" }, sample: { _tag: "String" } },
  number: { jsonSchema: { type: "number" }, sample: { _tag: "Number" } },
  strings: {
    jsonSchema: { type: "array", items: { type: "string" } },
    sample: { _tag: "Array", item: { _tag: "String" } }
  },
  num: {
    jsonSchema: { anyOf: [{ type: "number" }, { type: "string" }, { type: "boolean" }] },
    sample: { _tag: "OneOf", members: [{ _tag: "Integer" }, { _tag: "Number" }] }
  },
  bool: {
    jsonSchema: { anyOf: [{ type: "boolean" }, { enum: [0, 1, "0", "1", "true", "false"] }] },
    sample: { _tag: "Boolean" }
  },
  str: { jsonSchema: { anyOf: [{ type: "string" }, { type: "number" }] }, sample: { _tag: "String" } },
  secret: {
    jsonSchema: { type: "string", pattern: headerSafe.source },
    sample: { _tag: "String", pattern: headerSafe, minLength: 1 }
  },
  opaqueSecret: { jsonSchema: { type: "string", minLength: 1 }, sample: { _tag: "String", minLength: 1 } }
})

/** The payloads `codec` decodes (the lenient forms too), as JSON Schema; unknown properties are allowed. */
export const jsonSchemaOf = (codec: Codec<any>): JsonSchema => {
  const shape = codec.shape
  switch (shape._tag) {
    case "Leaf":
      return leaves()[shape.kind].jsonSchema
    case "Array": {
      const item = jsonSchemaOf(shape.item)
      const list = { type: "array", items: item }
      // A single object is read as a one-element list (XML-to-JSON habit): of a struct, one is a list too.
      return shape.strict || shape.item.shape._tag !== "Struct" ? list : { anyOf: [list, item] }
    }
    case "Union":
      return { anyOf: shape.members.map(jsonSchemaOf) }
    case "FirstOf": {
      const item = jsonSchemaOf(shape.codec)
      return { anyOf: [item, { type: "array", items: item, minItems: 1 }] }
    }
    case "Struct": {
      const properties: Record<string, JsonSchema> = {}
      for (const field of shape.fields) properties[field.from] = jsonSchemaOf(field.codec)
      return {
        type: "object",
        required: shape.fields.filter((field) => field.required).map((field) => field.from),
        properties,
        additionalProperties: true
      }
    }
  }
}

/** The canonical payloads `codec` decodes: each decodes, and what it decodes to encodes back to it. */
export const sampleOf = (codec: Codec<any>): Sample => {
  const shape = codec.shape
  switch (shape._tag) {
    case "Leaf":
      return leaves()[shape.kind].sample
    case "Array":
      return { _tag: "Array", item: sampleOf(shape.item) }
    case "Union":
      return { _tag: "OneOf", members: shape.members.map(sampleOf) }
    case "FirstOf":
      return sampleOf(shape.codec)
    case "Struct":
      return {
        _tag: "Struct",
        fields: shape.fields.map((field) => ({
          key: field.from,
          sample: sampleOf(field.codec),
          required: field.required || field.fallback !== undefined
        }))
      }
  }
}
