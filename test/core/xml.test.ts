/**
 * The XML reader of src/core (xml.ts), the XML error bodies (errorCodes.ts)
 * and reading a legacy route's answer (answer.ts): plain functions, tested
 * without Effect, with properties over generated documents.
 */
import { FastCheck as fc } from "effect"
import { assert, describe, it } from "vitest"
import { errorEntries as jsonErrorEntries } from "../../src/core/errorCodes.js"
import * as FakeXml from "../../src/core/fake/xml.js"
import {
  answers,
  isXml,
  maxDepth,
  parse,
  parseToJson,
  toJson,
  type XmlElement,
  XmlError
} from "../../src/core/xml.js"

const ok = (text: string): XmlElement => {
  const root = parse(text)
  if (root instanceof XmlError) throw new Error(`expected XML, got: ${root.message}`)
  return root
}

const fails = (text: string): XmlError => {
  const root = parse(text)
  if (!(root instanceof XmlError)) throw new Error(`expected an XmlError for ${JSON.stringify(text)}`)
  return root
}

/** What plex.tv answers at /devices.xml (python-plexapi `MyPlexDevice`, @ctrl/plex `MyPlexDevice`). */
const devicesXml = `<?xml version="1.0" encoding="UTF-8"?>
<MediaContainer publicAddress="198.51.100.200">
  <Device name="Living Room &amp; Den" publicAddress="198.51.100.200" product="Plex for LG" productVersion="1.0"
          platform="webOS" platformVersion="6" device="OLED" model="" vendor="LG" provides="client,player"
          clientIdentifier="abc123" version="1.0" id="700101" token="tok&#x2D;en" createdAt="1704067200"
          lastSeenAt="1735689600" screenResolution="1920x1080" screenDensity="">
    <Connection uri="http://192.168.1.20:32500"/>
    <SyncList itemsCompleteCount="0" totalSize="0" version="2"/>
  </Device>
  <Device name='Old "Phone"' id="700102" token="t2"/>
</MediaContainer>
`

describe("core/xml: parse", () => {
  it("reads Plex's XML: the declaration, whitespace, nesting, self-closing tags, entities, unknown attributes", () => {
    const root = ok(devicesXml)
    assert.strictEqual(root.name, "MediaContainer")
    assert.deepStrictEqual(root.attributes, { publicAddress: "198.51.100.200" })
    assert.deepStrictEqual(
      root.children.map((c) => c.name),
      ["Device", "Device"]
    )
    const [tv, phone] = root.children
    assert.strictEqual(tv!.attributes["name"], "Living Room & Den")
    assert.strictEqual(tv!.attributes["token"], "tok-en")
    assert.strictEqual(tv!.attributes["model"], "")
    assert.strictEqual(tv!.attributes["vendor"], "LG")
    assert.deepStrictEqual(
      tv!.children.map((c) => [c.name, c.children.length]),
      [
        ["Connection", 0],
        ["SyncList", 0]
      ]
    )
    assert.strictEqual(phone!.attributes["name"], 'Old "Phone"')
  })

  it("toJson: attributes as strings, each child name a list, the root the one key", () => {
    assert.deepStrictEqual(parseToJson(devicesXml), {
      MediaContainer: {
        publicAddress: "198.51.100.200",
        Device: [
          {
            name: "Living Room & Den",
            publicAddress: "198.51.100.200",
            product: "Plex for LG",
            productVersion: "1.0",
            platform: "webOS",
            platformVersion: "6",
            device: "OLED",
            model: "",
            vendor: "LG",
            provides: "client,player",
            clientIdentifier: "abc123",
            version: "1.0",
            id: "700101",
            token: "tok-en",
            createdAt: "1704067200",
            lastSeenAt: "1735689600",
            screenResolution: "1920x1080",
            screenDensity: "",
            Connection: [{ uri: "http://192.168.1.20:32500" }],
            SyncList: [{ itemsCompleteCount: "0", totalSize: "0", version: "2" }]
          },
          { name: 'Old "Phone"', id: "700102", token: "t2" }
        ]
      }
    })
    assert.deepStrictEqual(parseToJson("<pong>true</pong>"), { pong: {} })
  })

  it("entities: the five predefined, decimal and hex references (astral too); unknown ones and a bare & kept", () => {
    const root = ok(
      `<a v="&amp;&lt;&gt;&quot;&apos;|&#38;&#x26;&#X41;|&#128512;|&nbsp;|a & b|&amp;amp;">x &lt; y &#x263A;</a>`
    )
    assert.strictEqual(root.attributes["v"], `&<>"'|&&A|\u{1F600}|&nbsp;|a & b|&amp;`)
    assert.strictEqual(root.text, "x < y \u263A")
  })

  it("attribute values: single or double quotes, tab/CR/LF normalised to spaces, > allowed, first of a repeat kept", () => {
    const root = ok(`<a one='it"s' two="l1\n\tl2&#10;" three="a>b" one="again"   />`)
    assert.deepStrictEqual(root.attributes, { one: 'it"s', two: "l1  l2\n", three: "a>b" })
  })

  it("a line break is one, CR LF or a lone CR as LF: one space in an attribute, LF in text (as XML, and ElementTree, read it)", () => {
    // A server writing Windows line ends: `title="a\r\nb"` is "a b" to python-plexapi's ElementTree, not "a  b".
    const root = ok(`<a v="a\r\nb\rc\r\n\td">x\r\ny\rz<![CDATA[\r\n]]></a>`)
    assert.strictEqual(root.attributes["v"], "a b c  d")
    assert.strictEqual(root.text, "x\ny\nz\n")
    // A reference is no line break to normalise: it stays the character it names.
    assert.strictEqual(ok(`<a v="&#13;&#10;">&#13;</a>`).attributes["v"], "\r\n")
  })

  it("comments, processing instructions, a DOCTYPE, CDATA and a byte order mark", () => {
    const root = ok(
      `\uFEFF<?xml version="1.0"?>\n<!DOCTYPE MediaContainer [<!ENTITY x "y">]>\n<!-- c -->` +
        `<MediaContainer><!-- inside --><?pi data?><User id="1"><![CDATA[<raw & text>]]></User></MediaContainer>\n<!-- after -->\n`
    )
    assert.strictEqual(root.name, "MediaContainer")
    assert.strictEqual(root.children[0]!.text, "<raw & text>")
    assert.strictEqual(ok("<!DOCTYPE html><a/>").name, "a")
  })

  it("an attribute named __proto__ is an own property; nothing is polluted", () => {
    const json = parseToJson(`<a __proto__="x" constructor="y"><__proto__ b="1"/></a>`)
    assert.notInstanceOf(json, XmlError)
    const a = (json as Record<string, Record<string, unknown>>)["a"]!
    assert.isTrue(Object.prototype.hasOwnProperty.call(a, "__proto__"))
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(a, "__proto__")?.value, [{ b: "1" }])
    assert.strictEqual(a["constructor"], "y")
    assert.isUndefined(({} as Record<string, unknown>)["b"])
  })

  it("rejects garbage with a reason and an offset, never a value from the body", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["", "no root element"],
      ["   \n", "no root element"],
      ['{"MediaContainer":{}}', "text before the root element"],
      ["secret-token-123", "text before the root element"],
      ["<a>", "an element that is not closed"],
      ["<a><b></a>", "a closing tag that does not match the open element"],
      ["</a>", "a closing tag without an open element"],
      ["<a/><b/>", "a second root element"],
      ["<a/>tail", "text after the root element"],
      ["<a x=1/>", "an attribute value without quotes"],
      ["<a x/>", "an attribute without a value"],
      ['<a x="1', "an attribute value that is not closed"],
      ['<a x="<"/>', "a '<' in an attribute value"],
      ['<a x="1"', "a tag that is not closed"],
      ["<1a/>", "a tag without a name"],
      ["< a/>", "a tag without a name"],
      ['<a ="1"/>', "a malformed attribute"],
      ["<a>&#0;</a>", "a character reference to no character"],
      ['<a v="&#xD800;"/>', "a character reference to no character"],
      ["<a>&#x110000;</a>", "a character reference to no character"],
      ["<a><!-- open</a>", "a comment that is not closed"],
      ["<a><![CDATA[x</a>", "a CDATA section that is not closed"],
      ["<![CDATA[x]]><a/>", "a CDATA section outside the root element"],
      ["<?xml version='1.0'", "a processing instruction that is not closed"],
      ["<a><!DOCTYPE a></a>", "a declaration inside the document"],
      ["<a></ a>", "a closing tag without a name"],
      ["<a></a", "a closing tag that is not closed"],
      ["<html><body>502 Bad Gateway</body>", "an element that is not closed"]
    ]
    for (const [text, reason] of cases) {
      const error = fails(text)
      assert.strictEqual(error.reason, reason, text)
      assert.match(error.message, /\(at character \d+\)$/)
    }
    // The offset points at the culprit.
    assert.strictEqual(fails("<a><b></a>").offset, 6)
    assert.notInclude(fails("secret-token-123").message, "secret")
  })

  it(`nesting deeper than ${maxDepth} is refused; ${maxDepth} levels are read (no recursion limit hit)`, () => {
    const nested = (depth: number) => "<a>".repeat(depth) + "</a>".repeat(depth)
    assert.strictEqual(ok(nested(maxDepth)).name, "a")
    assert.strictEqual(fails(nested(maxDepth + 1)).reason, `elements nested deeper than ${maxDepth}`)
    assert.strictEqual(fails(nested(100_000)).reason, `elements nested deeper than ${maxDepth}`)
  })
})

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

interface Tree {
  readonly name: string
  readonly attributes: ReadonlyArray<readonly [string, string]>
  readonly children: ReadonlyArray<Tree>
}

const xmlName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/)
/** Any text without lone surrogates (XML cannot carry those). */
const value = fc.string({ unit: "grapheme", maxLength: 12 })

const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.record({
    name: xmlName,
    attributes: fc.uniqueArray(fc.tuple(xmlName, value), { maxLength: 4, selector: ([k]) => k }),
    children: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constant([]),
      fc.array(tie("tree"), { maxLength: 3 })
    )
  })
})).tree

const escapeValue = (text: string, quote: '"' | "'", refs: boolean) =>
  text.replace(/[&<>"'\t\n\r]/g, (c) => {
    if (c === "&") return refs ? "&#38;" : "&amp;"
    if (c === "<") return "&lt;"
    if (c === ">") return refs ? "&#x3E;" : ">"
    if (c === quote) return quote === '"' ? "&quot;" : "&apos;"
    if (c === '"' || c === "'") return c
    return `&#${c.charCodeAt(0)};`
  })

/** A writer with its own choices of quotes, spacing and references, to check the reader against. */
const write = (t: Tree, style: { quote: '"' | "'"; space: string; refs: boolean }): string => {
  const attrs = t.attributes
    .map(
      ([k, v]) =>
        `${style.space || " "}${k}=${style.quote}${escapeValue(v, style.quote, style.refs)}${style.quote}`
    )
    .join("")
  if (t.children.length === 0) return `<${t.name}${attrs}${style.space}/>`
  const inner = t.children.map((c) => style.space + write(c, style)).join("")
  return `<${t.name}${attrs}>${inner}${style.space}</${t.name}${style.space}>`
}

const expected = (t: Tree): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  const put = (k: string, v: unknown) =>
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
  for (const [k, v] of t.attributes) put(k, v)
  const groups = new Map<string, Array<unknown>>()
  for (const c of t.children) groups.set(c.name, [...(groups.get(c.name) ?? []), expected(c)])
  for (const [k, v] of groups) put(k, v)
  return out
}

describe("core/xml: properties", () => {
  it("whatever the quotes, spacing and references, a written tree reads back to its shape", () => {
    fc.assert(
      fc.property(
        tree,
        fc.constantFrom('"' as const, "'" as const),
        fc.constantFrom("", " ", "\n  ", "\t"),
        fc.boolean(),
        fc.boolean(),
        (t, quote, space, refs, declaration) => {
          const text =
            (declaration ? '<?xml version="1.0" encoding="UTF-8"?>\n' : "") + write(t, { quote, space, refs })
          const root = parse(text)
          assert.notInstanceOf(root, XmlError)
          assert.deepStrictEqual(toJson(root as XmlElement), { [t.name]: expected(t) })
        }
      ),
      { numRuns: 300 }
    )
  })

  it("the fake's XML writer and this reader agree: any attribute text survives the round trip", () => {
    fc.assert(
      fc.property(fc.dictionary(xmlName, value, { maxKeys: 6 }), (attributes) => {
        const json = parseToJson(FakeXml.document("MediaContainer", { ...attributes, Device: [attributes] }))
        assert.deepStrictEqual(json, {
          MediaContainer: { ...attributes, Device: [{ ...attributes }] }
        })
      }),
      { numRuns: 200 }
    )
  })

  it("never throws: any text is an element or an XmlError", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.stringMatching(/^[<>/="'a-c &#;x0-9!?[\]-]{0,40}$/),
          tree
            .map((t) => write(t, { quote: '"', space: " ", refs: false }))
            .chain((text) => fc.nat(text.length).map((cut) => text.slice(0, cut)))
        ),
        (text) => {
          const result = parse(text)
          assert.isTrue(result instanceof XmlError || typeof result.name === "string")
        }
      ),
      { numRuns: 500 }
    )
  })
})

// ---------------------------------------------------------------------------
// Answers and errors
// ---------------------------------------------------------------------------

describe("core/xml answers: reading a legacy route's body", () => {
  it("XML content types; the Accept each format sends", () => {
    for (const type of [
      "application/xml",
      "text/xml;charset=utf-8",
      "application/atom+xml",
      " Application/XML "
    ]) {
      assert.isTrue(isXml(type), type)
    }
    for (const type of ["application/json", "text/html", "text/xmlish", undefined])
      assert.isFalse(isXml(type))
    assert.strictEqual(answers.accept, "application/xml")
  })

  it("an XML route reads XML to its JSON shape, JSON as JSON; anything else is a ContentType or Decode failure", () => {
    const xml = `<MediaContainer size="1"><User id="7"/></MediaContainer>`
    const shaped = { MediaContainer: { size: "1", User: [{ id: "7" }] } }
    assert.deepStrictEqual(answers.body("application/xml; charset=utf-8", xml), { json: shaped })
    assert.deepStrictEqual(answers.body(undefined, `\n ${xml}`), { json: shaped })
    assert.deepStrictEqual(answers.body("application/json", `{"a":1}`), { json: { a: 1 } })
    assert.deepStrictEqual(answers.body("text/html", "<html></html>"), {
      reason: "ContentType",
      detail: "expected an XML body, got text/html"
    })
    assert.deepStrictEqual(answers.body("application/xml", `<MediaContainer token="abc">`), {
      reason: "Decode",
      detail: "the body is not valid XML: an element that is not closed (at character 28)"
    })
  })
})

describe("core/xml answers: error bodies", () => {
  it("an operation reading XML reads plex.tv's XML errors: attributes, the older text form, a lone <error>", () => {
    assert.deepStrictEqual(
      answers.errors(
        "application/xml; charset=utf-8",
        `<?xml version="1.0" encoding="UTF-8"?>\n<errors>\n  <error code="1041" message="Invalid PIN" status="403"/>\n</errors>\n`
      ),
      [{ code: 1041, message: "Invalid PIN", status: 403 }]
    )
    assert.deepStrictEqual(
      answers.errors("text/xml", "<errors><error>Invalid authentication token.</error><other/></errors>"),
      [{ message: "Invalid authentication token." }]
    )
    assert.deepStrictEqual(answers.errors("application/xml", `<error code="x1" status="404"/>`), [
      { status: 404 }
    ])
    assert.deepStrictEqual(answers.errors("application/xml", "<MediaContainer/>"), [])
    assert.deepStrictEqual(answers.errors("application/xml", "<errors><error"), [])
    assert.deepStrictEqual(answers.errors("text/html", "<errors><error code='1'/></errors>"), [])
    // A JSON error body is read as before; an operation that reads JSON does not read an XML one (nor bundle this).
    assert.deepStrictEqual(answers.errors("application/json", `{"errors":[{"code":1001}]}`), [{ code: 1001 }])
    assert.deepStrictEqual(jsonErrorEntries("application/xml", `<errors><error code="1001"/></errors>`), [])
  })

  // plex.tv's legacy API refuses in a third form too: `<Response code="410" status="This endpoint was deprecated
  // and removed"/>` (its answer to https://plex.tv/api/friends/{id} since 2024, Yoruio/Membarr issue 53). Read as
  // nothing, an error from a removed legacy route (the ones python-plexapi and @ctrl/plex still call) said no why.
  it("plex.tv's <Response code status> refusal: the code and the status text as the message", () => {
    assert.deepStrictEqual(
      answers.errors(
        "application/xml; charset=utf-8",
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response code="410" status="This endpoint was deprecated and removed"/>\n`
      ),
      [{ code: 410, message: "This endpoint was deprecated and removed" }]
    )
    assert.deepStrictEqual(answers.errors("application/xml", `<Response status="Gone"/>`), [
      { message: "Gone" }
    ])
    assert.deepStrictEqual(answers.errors("application/xml", `<Response/>`), [])
    // Only as the root: a MediaContainer's children are data, not a refusal.
    assert.deepStrictEqual(
      answers.errors("application/xml", `<MediaContainer><Response code="1"/></MediaContainer>`),
      []
    )
  })
})
