/**
 * Building blocks for decoding Plex payloads leniently: require only what a
 * caller needs, treat an optional field with an unexpected shape as absent,
 * and never fail because Plex added, dropped or nulled a field.
 *
 * @internal
 */
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/**
 * Inner decodes keep unknown nested fields; whether they survive is then up
 * to the caller's `onExcessProperty` (the engine decodes with "preserve").
 */
const preserve = { onExcessProperty: "preserve" } as const

/**
 * An optional property that decodes to absent when it is missing, `null`, or
 * of a shape `schema` does not accept.
 */
export const optional = <A, I>(schema: Schema.Schema<A, I, never>) => {
  // Built once per field, not once per decode: this runs for every field of every payload.
  const decode = Schema.decodeUnknownOption(schema, preserve)
  const encode = Schema.encodeSync(schema)
  return Schema.optionalToOptional(Schema.Unknown, Schema.typeSchema(schema), {
    decode: (input) => Option.flatMap(input, decode),
    encode: (output) => Option.map(output, encode)
  })
}

/**
 * An array property whose invalid elements are dropped; a single object is
 * read as a one-element array (XML-to-JSON habit), anything else as empty.
 */
export const lenientArray = <A, I>(item: Schema.Schema<A, I, never>) => {
  const decodeItem = Schema.decodeUnknownOption(item, preserve)
  return Schema.transform(Schema.Unknown, Schema.Array(Schema.typeSchema(item)), {
    strict: true,
    decode: (input) => {
      const list = Array.isArray(input) ? input : input !== null && typeof input === "object" ? [input] : []
      const out: Array<A> = []
      for (const element of list) {
        const decoded = decodeItem(element)
        if (Option.isSome(decoded)) out.push(decoded.value)
      }
      return out
    },
    encode: (output) => output.map((a) => Schema.encodeSync(item)(a))
  })
}

/** An array property that is absent-tolerant: missing, null or malformed becomes `[]`. */
export const array = <A, I>(item: Schema.Schema<A, I, never>) =>
  Schema.optionalWith(lenientArray(item), { default: () => [] })

/** A number, also accepted as a numeric string (`"12"`) or a boolean (`true` is 1). */
export const Num: Schema.Schema<number, unknown> = Schema.transformOrFail(Schema.Unknown, Schema.Number, {
  strict: true,
  decode: (u, _, ast) => {
    if (typeof u === "number" && Number.isFinite(u)) return ParseResult.succeed(u)
    if (typeof u === "boolean") return ParseResult.succeed(u ? 1 : 0)
    if (typeof u === "string" && u.trim() !== "" && Number.isFinite(Number(u))) {
      return ParseResult.succeed(Number(u))
    }
    return ParseResult.fail(new ParseResult.Type(ast, u, "Expected a number"))
  },
  encode: ParseResult.succeed
})

/** A boolean, also accepted as `0`/`1`, `"0"`/`"1"` or `"true"`/`"false"`. */
export const Bool: Schema.Schema<boolean, unknown> = Schema.transformOrFail(Schema.Unknown, Schema.Boolean, {
  strict: true,
  decode: (u, _, ast) => {
    if (typeof u === "boolean") return ParseResult.succeed(u)
    if (u === 1 || u === "1" || u === "true") return ParseResult.succeed(true)
    if (u === 0 || u === "0" || u === "false") return ParseResult.succeed(false)
    return ParseResult.fail(new ParseResult.Type(ast, u, "Expected a boolean"))
  },
  encode: ParseResult.succeed
})

/** A string, also accepted as a number (`12` becomes `"12"`). */
export const Str: Schema.Schema<string, unknown> = Schema.transformOrFail(Schema.Unknown, Schema.String, {
  strict: true,
  decode: (u, _, ast) => {
    if (typeof u === "string") return ParseResult.succeed(u)
    if (typeof u === "number" && Number.isFinite(u)) return ParseResult.succeed(String(u))
    return ParseResult.fail(new ParseResult.Type(ast, u, "Expected a string"))
  },
  encode: ParseResult.succeed
})

/**
 * A token, wrapped in `Redacted` as it is decoded. Tokens travel as HTTP
 * headers, so only visible ASCII is accepted: anything else could not be sent
 * (and a CR/LF could split a header).
 */
export const Secret = Schema.Redacted(Schema.String.pipe(Schema.pattern(/^[\x21-\x7e]+$/)))

/** A non-empty secret that is never sent as a header (a service's secret), wrapped in `Redacted`. */
export const OpaqueSecret = Schema.Redacted(Schema.String.pipe(Schema.minLength(1)))
