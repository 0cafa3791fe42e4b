/**
 * A small JSON-to-XML writer for the answers Plex gives when a request does
 * not ask for JSON. Plex's XML puts scalars in attributes (booleans as
 * `1`/`0`, null as an empty attribute), nested objects in child elements, and lists either as repeated
 * elements (PMS style, capitalised keys such as `Connection`) or inside a
 * wrapper element whose children take the singular name (`<roles><role/>`).
 *
 * @internal
 */

/** Escaped for an attribute value or text; tab, CR and LF as character references (a reader turns them into spaces). */
export const escape = (text: string): string =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`)

const scalar = (value: unknown): string | undefined => {
  if (typeof value === "boolean") return value ? "1" : "0"
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  if (typeof value === "string") return value
  return undefined
}

const singular = (name: string): string =>
  name.endsWith("ies") ? `${name.slice(0, -3)}y` : name.endsWith("s") ? name.slice(0, -1) : `${name}Item`

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

/** One element: scalars become attributes, objects and lists child elements. */
export const element = (name: string, value: unknown): string => {
  if (!isObject(value)) {
    const text = scalar(value)
    return text === undefined ? `<${name}/>` : `<${name}>${escape(text)}</${name}>`
  }
  const attributes: Array<string> = []
  const children: Array<string> = []
  for (const [key, child] of Object.entries(value)) {
    // plex.tv's XML keeps a null field as an empty attribute (`locale=""`); it does not drop it.
    const text = child === null ? "" : scalar(child)
    if (text !== undefined) {
      attributes.push(` ${key}="${escape(text)}"`)
    } else if (Array.isArray(child)) {
      const items = child.map((item) =>
        isObject(item)
          ? element(/^[A-Z]/.test(key) ? key : singular(key), item)
          : `<${singular(key)} id="${escape(scalar(item) ?? "")}"/>`
      )
      children.push(/^[A-Z]/.test(key) ? items.join("") : `<${key}>${items.join("")}</${key}>`)
    } else if (isObject(child)) {
      children.push(element(key, child))
    }
  }
  const open = `<${name}${attributes.join("")}`
  return children.length === 0 ? `${open}/>` : `${open}>${children.join("")}</${name}>`
}

/** An XML document with `value` as its root element `root`. */
export const document = (root: string, value: unknown): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n${element(root, value)}\n`

/** An XML document whose root element `root` has one `child` element per item. */
export const list = (
  root: string,
  child: string,
  items: ReadonlyArray<unknown>,
  attributes: Record<string, unknown> = {}
): string => {
  const open = element(root, attributes).replace(/\/>$/, ">")
  return `<?xml version="1.0" encoding="UTF-8"?>\n${open}${items.map((item) => element(child, item)).join("")}</${root}>\n`
}
