/**
 * A small, lenient XML reader for Plex's XML answers, as plain functions
 * with no Effect and no platform parser in them (no `DOMParser`: it runs in
 * browsers and Node alike). plex.tv's legacy routes answer XML only
 * (`/api/users/`, `/api/servers/{machineId}/shared_servers`, `/devices.xml`:
 * python-plexapi `MyPlexAccount.query` parses them with `ElementTree`,
 * @ctrl/plex `MyPlexAccount.query` with xml2js), and Plex's XML is elements
 * with attributes: this reads exactly that.
 *
 * Read: the XML declaration and other processing instructions, comments, a
 * DOCTYPE before the root, elements nested or self-closing, attributes in
 * single or double quotes (whitespace in them normalised to spaces, as XML
 * does: a line break, CR LF or a lone CR, is one; in text it is LF), the
 * five predefined entities and character references (`&#38;`, `&#x26;`),
 * CDATA sections, a byte order mark. Lenient where Plex has been
 * sloppy: an unknown entity (`&nbsp;`) or a bare `&` is kept as written, a
 * repeated attribute keeps its first value. Rejected, with an
 * {@link XmlError} that says what and where (never a value from the body):
 * no root element, two roots, text outside the root, a tag that is not
 * closed or closed by another name, an attribute without a quoted value, a
 * `<` inside an attribute value, a character reference to no character, and
 * nesting deeper than {@link maxDepth}.
 *
 * {@link toJson} gives the JSON shape the rest of the library decodes: an
 * element is an object of its attributes (strings, unknown ones kept) and,
 * under each child element's name, the list of those children; the root
 * element is the one key of the result (`{"MediaContainer": {...}}`).
 *
 * {@link answers} is what an operation reading such a route hands to the
 * request engine (its `Spec`'s `xml`): the engine itself does not import
 * this reader, so only the operations that read XML bundle it.
 *
 * @internal
 */
import { jsonBody } from "./answer.js"
import { type ErrorEntry, errorEntries as jsonErrorEntries } from "./errorCodes.js"
import { isJson } from "./policy.js"

/** Whether a content type is XML (`application/xml`, `text/xml`, `application/…+xml`). */
export const isXml = (contentType: string | null | undefined): boolean =>
  typeof contentType === "string" && /^(application|text)\/([\w.+-]*\+)?xml\b/i.test(contentType.trim())

/** An element: its name, its attributes (values decoded), its child elements and its text. */
export interface XmlElement {
  readonly name: string
  readonly attributes: Readonly<Record<string, string>>
  readonly children: ReadonlyArray<XmlElement>
  /** The text directly inside the element (entities decoded, CDATA included), untrimmed. */
  readonly text: string
}

/** Why a text is not XML this reader takes: a reason (never a value from the text) and where. */
export class XmlError {
  constructor(
    readonly reason: string,
    /** The offset (in UTF-16 code units) where the problem was found. */
    readonly offset: number
  ) {}
  get message(): string {
    return `${this.reason} (at character ${this.offset})`
  }
}

/** How deeply elements may nest (Plex's answers nest three or four levels). */
export const maxDepth = 256

/**
 * Sets a property, also one named `__proto__`, as an own property (an
 * assignment would replace the object's prototype).
 */
const put = (out: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__")
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

const has = (record: Record<string, unknown>, key: string): boolean => Object.hasOwn(record, key)

const predefined: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }

/**
 * The text with its references decoded and each line break (LF, CR LF, or a lone CR: XML reads each as one
 * before parsing) made `lineBreak`, or an error for a character reference to no character. A reference is
 * decoded as it is: `&#13;` stays a CR.
 */
const decodeEntities = (raw: string, offset: number, lineBreak: string): string | XmlError => {
  if (!/[&\r\n]/.test(raw)) return raw
  let failure: XmlError | undefined
  const out = raw.replace(
    /&(#[xX][0-9A-Fa-f]+|#[0-9]+|[A-Za-z][\w.-]*);|\r\n?|\n/g,
    (whole, body: string | undefined, at: number) => {
      if (body === undefined) return lineBreak
      if (body[0] !== "#") return predefined[body] ?? whole
      const code =
        body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10)
      const valid =
        Number.isSafeInteger(code) && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
      if (!valid) {
        failure ??= new XmlError("a character reference to no character", offset + at)
        return whole
      }
      return String.fromCodePoint(code)
    }
  )
  return failure ?? out
}

const nameStart = /[\p{L}_:]/u
const nameRest = /[\p{L}\p{N}_.:\-\u00B7]/u
const space = /[ \t\r\n]/

interface Open {
  readonly name: string
  readonly attributes: Record<string, string>
  readonly children: Array<XmlElement>
  text: string
}

/** Reads one XML document: its root element, or why it cannot be read. */
export const parse = (source: string): XmlElement | XmlError => {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source
  const n = text.length
  const stack: Array<Open> = []
  let root: XmlElement | undefined
  let i = 0

  const skipSpace = () => {
    while (i < n && space.test(text[i]!)) i++
  }
  const readName = (): string | undefined => {
    const start = i
    if (i >= n || !nameStart.test(text[i]!)) return undefined
    i++
    while (i < n && nameRest.test(text[i]!)) i++
    return text.slice(start, i)
  }
  /** Skips to after `end`, or fails with `reason` when it never comes. */
  const skipPast = (end: string, reason: string): XmlError | undefined => {
    const at = text.indexOf(end, i)
    if (at === -1) return new XmlError(reason, i)
    i = at + end.length
    return undefined
  }

  while (i < n) {
    const lt = text.indexOf("<", i)
    const chunkEnd = lt === -1 ? n : lt
    if (chunkEnd > i) {
      const chunk = text.slice(i, chunkEnd)
      const top = stack[stack.length - 1]
      if (top === undefined) {
        if (!/^[ \t\r\n]*$/.test(chunk)) {
          return new XmlError(
            root === undefined ? "text before the root element" : "text after the root element",
            i
          )
        }
      } else {
        const decoded = decodeEntities(chunk, i, "\n")
        if (decoded instanceof XmlError) return decoded
        top.text += decoded
      }
      i = chunkEnd
      continue
    }
    // At a `<`.
    if (text.startsWith("<?", i)) {
      i += 2
      const failed = skipPast("?>", "a processing instruction that is not closed")
      if (failed) return failed
      continue
    }
    if (text.startsWith("<!--", i)) {
      i += 4
      const failed = skipPast("-->", "a comment that is not closed")
      if (failed) return failed
      continue
    }
    if (text.startsWith("<![CDATA[", i)) {
      const top = stack[stack.length - 1]
      if (top === undefined) return new XmlError("a CDATA section outside the root element", i)
      const start = i + 9
      i = start
      const failed = skipPast("]]>", "a CDATA section that is not closed")
      if (failed) return failed
      top.text += text.slice(start, i - 3).replace(/\r\n?/g, "\n")
      continue
    }
    if (text.startsWith("<!", i)) {
      // A DOCTYPE (its internal subset in brackets, if any), before the root only.
      if (stack.length > 0 || root !== undefined) return new XmlError("a declaration inside the document", i)
      const bracket = text.indexOf("[", i)
      const close = text.indexOf(">", i)
      if (close === -1) return new XmlError("a declaration that is not closed", i)
      i = bracket !== -1 && bracket < close ? i : close + 1
      if (bracket !== -1 && bracket < close) {
        const failed = skipPast("]", "a declaration that is not closed")
        if (failed) return failed
        const end = text.indexOf(">", i)
        if (end === -1) return new XmlError("a declaration that is not closed", i)
        i = end + 1
      }
      continue
    }
    if (text.startsWith("</", i)) {
      const at = i
      i += 2
      const name = readName()
      if (name === undefined) return new XmlError("a closing tag without a name", at)
      skipSpace()
      if (text[i] !== ">") return new XmlError("a closing tag that is not closed", at)
      i++
      const top = stack.pop()
      if (top === undefined) return new XmlError("a closing tag without an open element", at)
      if (top.name !== name) return new XmlError("a closing tag that does not match the open element", at)
      const element: XmlElement = top
      const parent = stack[stack.length - 1]
      if (parent === undefined) root = element
      else parent.children.push(element)
      continue
    }
    // An opening tag.
    const at = i
    i++
    const name = readName()
    if (name === undefined) return new XmlError("a tag without a name", at)
    if (stack.length === 0 && root !== undefined) return new XmlError("a second root element", at)
    if (stack.length >= maxDepth) return new XmlError(`elements nested deeper than ${maxDepth}`, at)
    const attributes: Record<string, string> = {}
    let selfClosing = false
    for (;;) {
      skipSpace()
      if (i >= n) return new XmlError("a tag that is not closed", at)
      if (text[i] === ">") {
        i++
        break
      }
      if (text.startsWith("/>", i)) {
        i += 2
        selfClosing = true
        break
      }
      const attributeAt = i
      const key = readName()
      if (key === undefined) return new XmlError("a malformed attribute", attributeAt)
      skipSpace()
      if (text[i] !== "=") return new XmlError("an attribute without a value", attributeAt)
      i++
      skipSpace()
      const quote = text[i]
      if (quote !== '"' && quote !== "'")
        return new XmlError("an attribute value without quotes", attributeAt)
      const end = text.indexOf(quote, i + 1)
      if (end === -1) return new XmlError("an attribute value that is not closed", attributeAt)
      const raw = text.slice(i + 1, end)
      if (raw.includes("<")) return new XmlError("a '<' in an attribute value", attributeAt)
      // Whitespace made spaces, as XML normalises an attribute's value (a line break is one: CR LF one space).
      const value = decodeEntities(raw.replace(/\t/g, " "), i + 1, " ")
      if (value instanceof XmlError) return value
      if (!has(attributes, key)) put(attributes, key, value)
      i = end + 1
    }
    const open: Open = { name, attributes, children: [], text: "" }
    if (!selfClosing) {
      stack.push(open)
      continue
    }
    const parent = stack[stack.length - 1]
    if (parent === undefined) root = open
    else parent.children.push(open)
  }
  if (stack.length > 0) return new XmlError("an element that is not closed", n)
  if (root === undefined) return new XmlError("no root element", n)
  return root
}

/** An element as JSON: its attributes, and under each child element's name the list of those children. */
export const shape = (element: XmlElement): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(element.attributes)) put(out, key, element.attributes[key])
  const groups = new Map<string, Array<Record<string, unknown>>>()
  for (const child of element.children) {
    const group = groups.get(child.name)
    if (group === undefined) groups.set(child.name, [shape(child)])
    else group.push(shape(child))
  }
  // A child list under the same name as an attribute replaces it (Plex has none such).
  for (const [key, list] of groups) put(out, key, list)
  return out
}

/** The document as JSON: `{ [root's name]: shape(root) }`. */
export const toJson = (root: XmlElement): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  put(out, root.name, shape(root))
  return out
}

/** Reads a document straight to its JSON shape ({@link parse}, then {@link toJson}). */
export const parseToJson = (source: string): Record<string, unknown> | XmlError => {
  const root = parse(source)
  return root instanceof XmlError ? root : toJson(root)
}

/** An attribute's value, when the element has it as its own. */
const own = (attributes: Readonly<Record<string, string>>, key: string): string | undefined =>
  Object.hasOwn(attributes, key) ? attributes[key] : undefined

/** A number, also sent as a numeric string; otherwise absent. */
const num = (u: string | undefined): number | undefined => {
  const n = u === undefined || u.trim() === "" ? Number.NaN : Number(u)
  return Number.isFinite(n) ? n : undefined
}

/**
 * The entries of plex.tv's XML error body:
 * `<errors><error code="1001" message="User could not be authenticated" status="401"/></errors>`,
 * the older `<errors><error>Invalid authentication token.</error></errors>`, a lone `<error .../>`, or
 * `<Response code="410" status="This endpoint was deprecated and removed"/>` (the legacy API's answer for a
 * removed route, Yoruio/Membarr issue 53: its `status` is the text, read as the message); none for anything
 * else.
 */
export const errorEntries = (text: string): ReadonlyArray<ErrorEntry> => {
  const root = parse(text)
  if (root instanceof XmlError) return []
  if (root.name === "Response") {
    const entry: { code?: number; message?: string } = {}
    const code = num(own(root.attributes, "code"))
    const message = own(root.attributes, "status")?.trim()
    if (code !== undefined) entry.code = code
    if (message !== undefined && message !== "") entry.message = message
    return code === undefined && entry.message === undefined ? [] : [entry]
  }
  const list: ReadonlyArray<XmlElement> =
    root.name === "errors"
      ? root.children.filter((e) => e.name === "error")
      : root.name === "error"
        ? [root]
        : []
  return list.map((e) => {
    const entry: { code?: number; message?: string; status?: number } = {}
    const attribute = (key: string) => (Object.hasOwn(e.attributes, key) ? e.attributes[key] : undefined)
    const code = num(attribute("code"))
    const message = attribute("message") ?? (e.text.trim() === "" ? undefined : e.text.trim())
    const status = num(attribute("status"))
    if (code !== undefined) entry.code = code
    if (message !== undefined) entry.message = message
    if (status !== undefined) entry.status = status
    return entry
  })
}

/**
 * How an operation reads plex.tv's legacy routes, which answer XML whatever
 * is asked (python-plexapi `MyPlexAccount.query` reads them with
 * `ElementTree`; @ctrl/plex `MyPlexAccount.query`, though it sends
 * `Accept: application/json` to `/api/users/`, reads the XML attributes,
 * `data.$`, that xml2js gives back): the `Accept` its requests send, its
 * success bodies, and its error bodies. An operation hands it to the request
 * engine (its `Spec`'s `xml`), which otherwise reads JSON only: the other
 * operations do not bundle this reader.
 */
export interface XmlAnswers {
  readonly accept: string
  /**
   * A success's body as the JSON value it decodes from, or why it cannot be
   * read: JSON by its content type; XML by its content type (or a body
   * starting with `<` when none was sent), read to its JSON shape
   * ({@link toJson}).
   */
  readonly body: (
    contentType: string | undefined,
    text: string
  ) => { readonly json: unknown } | { readonly reason: "ContentType" | "Decode"; readonly detail: string }
  /** The entries of an error body: XML ({@link errorEntries}) or JSON (`errorCodes.ts`). */
  readonly errors: (contentType: string | undefined, text: string) => ReadonlyArray<ErrorEntry>
}

/** This reader, as an operation hands it to the request engine. */
export const answers: XmlAnswers = {
  accept: "application/xml",
  body: (contentType, text) => {
    if (isJson(contentType)) return jsonBody(contentType, text)
    if (!isXml(contentType) && !(contentType === undefined && text.trimStart().startsWith("<"))) {
      return {
        reason: "ContentType",
        detail: `expected an XML body, got ${contentType ?? "no content type"}`
      }
    }
    const json = parseToJson(text)
    return json instanceof XmlError
      ? { reason: "Decode", detail: `the body is not valid XML: ${json.message}` }
      : { json }
  },
  errors: (contentType, text) =>
    isXml(contentType) ? errorEntries(text) : jsonErrorEntries(contentType, text)
}
