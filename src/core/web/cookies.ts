/**
 * `Cookie` and `Set-Cookie` headers (RFC 6265): building a `Set-Cookie`
 * value with its attributes, reading a request's `Cookie` header, and
 * reading a `Set-Cookie` value back (for tests and for frameworks that hand
 * over headers as text).
 *
 * @internal
 */

/** A cookie's attributes. */
export interface Attributes {
  readonly path?: string | undefined
  readonly domain?: string | undefined
  /** Seconds; 0 deletes the cookie. */
  readonly maxAge?: number | undefined
  readonly expires?: Date | undefined
  readonly httpOnly?: boolean | undefined
  readonly secure?: boolean | undefined
  readonly sameSite?: "Strict" | "Lax" | "None" | undefined
}

/** A cookie to set. */
export interface SetCookie {
  readonly name: string
  readonly value: string
  readonly attributes: Attributes
}

const inspectCustom: unique symbol = /*#__PURE__*/ Symbol.for("nodejs.util.inspect.custom")

/**
 * A cookie whose value works as a secret (the PIN cookie holds the PIN's id and code; a session cookie signs its
 * holder in). Its value reads as any cookie's (`value`, a copy `{ ...cookie }`, {@link serialize}), and is masked
 * (`<redacted>`, as Effect's `Redacted` prints) where the cookie is printed: `JSON.stringify`, `String`, `util.inspect`,
 * `console.log` and Effect's loggers. Made by a pure call: bundlers keep a class with a computed member key, unable
 * to tell the key is pure (esbuild kept this one, 201 bytes, in every program that imports the barrel and uses none
 * of it).
 */
const SecretCookie = /*#__PURE__*/ (() =>
  class SecretCookie implements SetCookie {
    readonly name: string
    readonly value: string
    readonly attributes: Attributes
    constructor(name: string, value: string, attributes: Attributes) {
      this.name = name
      this.value = value
      this.attributes = attributes
    }
    toJSON(): unknown {
      return { name: this.name, value: "<redacted>", attributes: this.attributes }
    }
    [inspectCustom](): unknown {
      return this.toJSON()
    }
    // Effect 4's Formatter (its loggers) prints an object by its own toString.
    toString(): string {
      return JSON.stringify(this)
    }
  })()

/** A cookie to set whose value is a secret: printed with its value masked ({@link SecretCookie}). */
export const secret = (name: string, value: string, attributes: Attributes): SetCookie =>
  new SecretCookie(name, value, attributes)

/** RFC 6265 `cookie-name` (an RFC 7230 token). */
export const isName = (name: string): boolean => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)

/** RFC 6265 `cookie-octet`s: no control characters, whitespace, `"`, `,`, `;` or `\`. */
export const isValue = (value: string): boolean => /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/.test(value)

const isAttributeValue = (value: string): boolean => /^[\x20-\x3A\x3C-\x7E]*$/.test(value)

/**
 * Why `cookies` cannot be cookies to set (an array of `{ name, value, attributes }` with a cookie name, a
 * cookie value and an attributes object), or undefined.
 */
export const setCookiesProblem = (cookies: unknown): string | undefined => {
  if (!Array.isArray(cookies)) return "must be an array of cookies"
  for (const cookie of cookies as ReadonlyArray<unknown>) {
    if (typeof cookie !== "object" || cookie === null) return "must contain only cookies (objects)"
    const { attributes, name, value } = cookie as Record<string, unknown>
    if (typeof name !== "string" || !isName(name)) return "must contain only cookies with a cookie name"
    if (typeof value !== "string" || !isValue(value)) return "must contain only cookies with a cookie value"
    if (typeof attributes !== "object" || attributes === null) {
      return "must contain only cookies with attributes (an object)"
    }
  }
  return undefined
}

/** The `Set-Cookie` header value; throws for a name, value or attribute a browser would misread. */
export const serialize = (cookie: SetCookie): string => {
  const { attributes: a, name, value } = cookie
  if (!isName(name)) throw new Error(`invalid cookie name: ${JSON.stringify(name)}`)
  if (!isValue(value)) throw new Error(`invalid value for the cookie ${name}`)
  const parts = [`${name}=${value}`]
  if (a.path !== undefined) {
    if (!isAttributeValue(a.path) || !a.path.startsWith("/"))
      throw new Error(`invalid cookie path: ${a.path}`)
    parts.push(`Path=${a.path}`)
  }
  if (a.domain !== undefined) {
    if (!/^[A-Za-z0-9.-]+$/.test(a.domain)) throw new Error(`invalid cookie domain: ${a.domain}`)
    parts.push(`Domain=${a.domain}`)
  }
  if (a.maxAge !== undefined) {
    if (!Number.isFinite(a.maxAge)) throw new Error("invalid cookie Max-Age")
    parts.push(`Max-Age=${Math.max(0, Math.floor(a.maxAge))}`)
  }
  if (a.expires !== undefined) parts.push(`Expires=${a.expires.toUTCString()}`)
  if (a.httpOnly === true) parts.push("HttpOnly")
  if (a.secure === true) parts.push("Secure")
  if (a.sameSite !== undefined) parts.push(`SameSite=${a.sameSite}`)
  return parts.join("; ")
}

/**
 * The cookies of a request's `Cookie` header, by name. A name sent twice
 * keeps its first value (browsers send the cookie with the longest path
 * first). Values are taken as sent (no percent-decoding).
 */
export const parseCookieHeader = (header: string | null | undefined): ReadonlyMap<string, string> => {
  const out = new Map<string, string>()
  // Not a string (untyped JavaScript, a framework's odd value): no cookie sent, not a TypeError.
  if (typeof header !== "string") return out
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=")
    if (eq < 0) continue
    const name = pair.slice(0, eq).trim()
    let value = pair.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    if (name !== "" && isName(name) && !out.has(name)) out.set(name, value)
  }
  return out
}

/**
 * Every value a request's `Cookie` header sends under `name`, in the order sent (the longest path first), as
 * {@link parseCookieHeader} reads each: a browser holding two cookies of one name (another path) sends both.
 */
export const cookieValues = (header: string | null | undefined, name: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  // Not a string (untyped JavaScript, a framework's odd value): no cookie sent, not a TypeError.
  if (typeof header !== "string") return out
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=")
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue
    let value = pair.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    out.push(value)
  }
  return out
}

/** A `Set-Cookie` value read back; `undefined` when it has no `name=value`. Attribute names are case-insensitive. */
export const parseSetCookie = (header: string): SetCookie | undefined => {
  const [first, ...rest] = header.split(";")
  const eq = first === undefined ? -1 : first.indexOf("=")
  if (first === undefined || eq <= 0) return undefined
  const attributes: {
    -readonly [K in keyof Attributes]: Attributes[K]
  } = {}
  for (const raw of rest) {
    const at = raw.indexOf("=")
    const key = (at < 0 ? raw : raw.slice(0, at)).trim().toLowerCase()
    const value = at < 0 ? "" : raw.slice(at + 1).trim()
    switch (key) {
      case "path":
        attributes.path = value
        break
      case "domain":
        attributes.domain = value
        break
      case "max-age":
        attributes.maxAge = Number(value)
        break
      case "expires":
        attributes.expires = new Date(value)
        break
      case "httponly":
        attributes.httpOnly = true
        break
      case "secure":
        attributes.secure = true
        break
      case "samesite": {
        const v = value.toLowerCase()
        attributes.sameSite = v === "strict" ? "Strict" : v === "none" ? "None" : "Lax"
        break
      }
    }
  }
  return { name: first.slice(0, eq).trim(), value: first.slice(eq + 1).trim(), attributes }
}
