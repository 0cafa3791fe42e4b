/**
 * The Effect-free facts behind both editions' identity, input checks, seed
 * operations, answers, secret scrubbing, guarded fetch and token refresh
 * (src/core/{identity,validate,auth,errorCodes,answer,redact,fetchGuard,refresh,request}.ts).
 */
import { FastCheck as fc } from "effect"
import { assert, describe, it } from "vitest"
import * as Answer from "../../src/core/answer.js"
import * as Auth from "../../src/core/auth.js"
import { Failure } from "../../src/core/decode.js"
import { errorEntries } from "../../src/core/errorCodes.js"
import { CrossOrigin, guardFetch } from "../../src/core/fetchGuard.js"
import * as Identity from "../../src/core/identity.js"
import * as Devices from "../../src/core/devices.js"
import * as Policy from "../../src/core/policy.js"
import * as ServerClientFacts from "../../src/core/serverClient.js"
import {
  excerpt,
  minLengthAnywhere,
  revealWith,
  scrub,
  withSecretHeaderNames
} from "../../src/core/redact.js"
import * as Refresh from "../../src/core/refresh.js"
import * as Request from "../../src/core/request.js"
import * as SignOut from "../../src/core/signOut.js"
import * as V from "../../src/core/validate.js"

describe("core/identity", () => {
  it("builds the X-Plex-* headers; defaults fill what is unset, a given field wins, bad defaults are dropped", () => {
    const built = Identity.buildIdentity(
      { clientIdentifier: "id", product: "P", deviceName: "Mine" },
      () => ({
        provides: "controller",
        version: "0.1.0",
        deviceName: "host",
        platform: "bad\nvalue"
      })
    )
    assert.strictEqual(built._tag, "Built")
    if (built._tag !== "Built") return
    assert.deepStrictEqual(built.headers, {
      "X-Plex-Client-Identifier": "id",
      "X-Plex-Product": "P",
      "X-Plex-Version": "0.1.0",
      "X-Plex-Device-Name": "Mine",
      "X-Plex-Provides": "controller"
    })
  })

  it("names the field at fault; runtimeDefaults: false sends only what is given", () => {
    assert.deepStrictEqual(Identity.buildIdentity({ clientIdentifier: " ", product: "P" }), {
      _tag: "Invalid",
      field: "clientIdentifier",
      problem: "must not be empty"
    })
    const bare = Identity.buildIdentity({ clientIdentifier: "id", product: "P", runtimeDefaults: false })
    assert.deepStrictEqual(bare._tag === "Built" && Object.keys(bare.headers), [
      "X-Plex-Client-Identifier",
      "X-Plex-Product"
    ])
    assert.strictEqual(Identity.utf8HeaderValue("ü"), "\u00c3\u00bc")
  })
})

describe("core/validate and core/auth", () => {
  it("checks tokens, hosts, URLs and ports", () => {
    assert.isUndefined(V.tokenProblem("abc-DEF_123"))
    assert.strictEqual(V.tokenProblem(""), "must not be empty")
    assert.include(V.tokenProblem("a b") ?? "", "visible ASCII")
    assert.strictEqual(V.hostForUrl("::1"), "[::1]")
    assert.isDefined(V.hostProblem("a/b"))
    assert.deepStrictEqual(V.httpUrl("http://h:1/p/"), { url: "http://h:1/p" })
    assert.deepStrictEqual(V.httpUrl("ftp://h"), { problem: "must use http or https, not ftp" })
    // A host and port without a scheme parses with the host as the scheme, or (an IP address, `[::1]`) not at all:
    // the problem says what is missing and what to write, never repeating the value (a password stays out).
    for (const hostAndPort of [
      "localhost:32400",
      "plex.local:32400",
      "alice:secret@plex.local",
      "192.168.1.5:32400",
      " 192.168.1.5:32400/plex ",
      "[::1]:32400"
    ]) {
      assert.deepStrictEqual(
        V.httpUrl(hostAndPort),
        {
          problem:
            "must start with http:// or https:// (a host and port alone is not a URL): put http:// before it"
        },
        hostAndPort
      )
      assert.deepStrictEqual(V.serverUrl(hostAndPort), V.httpUrl(hostAndPort))
    }
    // In quotes (an env file's `PLEX_SERVER_URL="http://h:32400"`): said so, not to put http:// before it.
    // Typographic quotes too (a URL pasted from a chat or a document): any quotation mark (Unicode's QMark).
    for (const quoted of [
      '"http://h:32400"',
      "'https://plex.local'",
      ' "plex.local:32400" ',
      '"http://h',
      "\u201chttp://h:32400\u201d",
      "\u2018http://h:32400\u2019",
      "\u201ehttp://h:32400\u201c",
      "\u00abhttp://h\u00bb",
      "\u300chttp://h\u300d"
    ]) {
      assert.deepStrictEqual(V.httpUrl(quoted), { problem: "must not be in quotes" }, quoted)
      assert.deepStrictEqual(V.serverUrl(quoted), V.httpUrl(quoted), quoted)
    }
    // With no colon, nothing says it is a host and port: no absolute URL, with the form expected.
    for (const other of ["plex.tv", "192.168.1.5"]) {
      assert.deepStrictEqual(
        V.httpUrl(other),
        { problem: "is not an absolute URL (expected http(s)://host[:port])" },
        other
      )
    }
    // Empty or blank (`PLEX_SERVER_URL=" "`): empty, as a blank token or header value is (config-empty.test.ts).
    for (const blank of ["", " ", " \t "]) {
      assert.deepStrictEqual(V.httpUrl(blank), { problem: "must not be empty" }, blank)
      assert.deepStrictEqual(V.serverUrl(blank), { problem: "must not be empty" }, blank)
      assert.strictEqual(V.tokenProblem(blank), "must not be empty", blank)
      assert.strictEqual(V.headerProblem(blank), "must not be empty", blank)
    }
    assert.strictEqual(V.portNumber("32400"), 32400)
    assert.isUndefined(V.portNumber(70000))
  })

  it("httpUrl: a near miss of http(s):// says what is wrong, not to put http:// before it", () => {
    // The colon left out: the URL parser reads no URL (the colon of the port made it "a host and port" before).
    for (const [url, scheme] of [
      ["http//plex.local:32400", "http"],
      [" https//alice:secret@plex.local ", "https"],
      ["http\\\\192.168.1.5:32400", "http"],
      ["HTTP//plex.local", "HTTP"]
    ] as const) {
      assert.deepStrictEqual(V.httpUrl(url), { problem: `the colon after ${scheme} is missing` }, url)
      assert.deepStrictEqual(V.serverUrl(url), V.httpUrl(url))
    }
    // A slash or both left out (or backslashes): the URL parser mends these into http(s)://host; refused instead,
    // saying so (the value is not repeated: a password stays out).
    for (const [url, scheme] of [
      ["https:/plex.local", "https"],
      ["http:plex.local:32400", "http"],
      ["http:/alice:secret@plex.local", "http"],
      ["https:\\\\plex.local", "https"],
      ["HTTPS:/plex.local", "https"],
      // One slash too many (or a backslash after two): mended into http(s)://host as well.
      ["http:///plex.local:32400", "http"],
      ["https:////plex.local", "https"],
      ["http://\\plex.local", "http"],
      ["http:/\\plex.local", "http"],
      ["HTTP:///alice:secret@plex.local", "http"]
    ] as const) {
      assert.deepStrictEqual(V.httpUrl(url), { problem: `two slashes must follow ${scheme}:` }, url)
      assert.deepStrictEqual(V.serverUrl(url), V.httpUrl(url))
      assert.deepStrictEqual(V.httpUrl(url, { query: true }), V.httpUrl(url))
    }
    // http(s):// with no URL after it (a host left empty, as `http://${HOST}:32400` with HOST unset): not absolute,
    // with the form expected, not "put http:// before it".
    for (const url of ["http://", "https://:32400", "http:/", "http:", "http://plex local"]) {
      assert.deepStrictEqual(
        V.httpUrl(url),
        { problem: "is not an absolute URL (expected http(s)://host[:port])" },
        url
      )
    }
    // Not near misses: http(s):// in any case; a host whose name starts with http; another scheme's slashes.
    assert.deepStrictEqual(V.httpUrl("HTTPS://plex.local:32400/"), { url: "https://plex.local:32400" })
    assert.deepStrictEqual(V.httpUrl("http://[::1]:32400//"), { url: "http://[::1]:32400" })
    assert.deepStrictEqual(V.httpUrl("https://plex.local/plex//"), { url: "https://plex.local/plex" })
    assert.deepStrictEqual(V.httpUrl("file:///etc/hosts"), { problem: "must use http or https, not file" })
    assert.deepStrictEqual(V.httpUrl("httpbin.local:80"), V.httpUrl("plex.local:32400"))
    assert.deepStrictEqual(V.httpUrl("ftp:/h"), V.httpUrl("plex.local:32400"))
  })

  it("serverUrl: a server's address, not Plex Web's (as a browser's address bar shows it), saying which to give", () => {
    const web = (address: string) => ({ problem: `is Plex Web's address, not the server's: give ${address}` })
    assert.deepStrictEqual(
      V.serverUrl("http://192.168.1.20:32400/web/index.html"),
      web("http://192.168.1.20:32400")
    )
    assert.deepStrictEqual(
      V.serverUrl(" http://h:32400/web/index.html#!/settings/web/general "),
      web("http://h:32400")
    )
    assert.deepStrictEqual(V.serverUrl("http://h:32400/WEB/"), web("http://h:32400"))
    assert.deepStrictEqual(V.serverUrl("https://proxy.example/plex/web"), web("https://proxy.example/plex"))
    // The other refusals come first, as httpUrl's (a user name or password in it is never repeated).
    assert.deepStrictEqual(V.serverUrl("http://u:p@h:32400/web/index.html"), V.httpUrl("http://u:p@h:32400"))
    assert.deepStrictEqual(V.serverUrl("ftp://h/web"), V.httpUrl("ftp://h/web"))
    // Any other address is httpUrl's: a path prefix that is not Plex Web's is kept; a query or fragment refused.
    for (const url of [
      "http://h:32400",
      "https://proxy.example/web/plex/",
      "http://h/website",
      "http://h:1/#top"
    ]) {
      assert.deepStrictEqual(V.serverUrl(url), V.httpUrl(url), url)
    }
    assert.deepStrictEqual(V.serverUrl("https://proxy.example/web/plex/"), {
      url: "https://proxy.example/web/plex"
    })
  })

  it("builds the sign-in form, placing secrets as given and trimming the code", () => {
    const secret = (text: string) => ({ text })
    const checked = Auth.signInForm(
      { login: " me " },
      secret("pw"),
      secret(" 123456 "),
      (s) => s?.text,
      secret
    )
    assert.isTrue("form" in checked)
    if (!("form" in checked)) return
    assert.deepStrictEqual(checked.form, [
      ["login", "me"],
      ["password", { text: "pw" }],
      ["rememberMe", "false"],
      ["verificationCode", { text: "123456" }]
    ])
    assert.deepStrictEqual(
      Auth.signInForm({ login: "me" }, secret(""), undefined, (s) => s?.text, secret),
      { field: "password", problem: "must not be empty" }
    )
    // Not an object (untyped JavaScript): the input is at fault, not a missing login.
    for (const input of [null, undefined, "me", 42]) {
      assert.deepStrictEqual(
        Auth.signInForm(input, secret("pw"), undefined, (s) => s?.text, secret),
        {
          field: "input",
          problem: "must be { login, password }"
        }
      )
    }
    assert.deepStrictEqual(Auth.transientTokenQuery({}), {
      query: [
        ["type", "delegation"],
        ["scope", "all"]
      ]
    })
    assert.deepStrictEqual(Auth.sourceQuery({ source: "server://x", refresh: true }), {
      query: [
        ["source", "server://x"],
        ["refresh", "1"]
      ]
    })
    assert.strictEqual(Auth.sourceQuery({ source: "x" }).hasOwnProperty("problem"), true)
  })
})

describe("core/errorCodes and core/answer", () => {
  it("reads Plex's error entries leniently", () => {
    const text = JSON.stringify({ errors: [{ code: "1029", message: null, status: 401 }, "junk"] })
    assert.deepStrictEqual(errorEntries("application/json", text), [{ code: 1029, status: 401 }])
    assert.deepStrictEqual(errorEntries("text/html", text), [])
    assert.deepStrictEqual(errorEntries("application/json", "{"), [])
  })

  it("describes statuses, JSON bodies and decode failures", () => {
    assert.strictEqual(Answer.unexpectedStatusDetail(302), "a redirect that could not be followed")
    assert.deepStrictEqual(Answer.jsonBody("text/html", "<p>"), {
      reason: "ContentType",
      detail: "expected a JSON body, got text/html"
    })
    assert.deepStrictEqual(Answer.jsonBody("application/json", "[1]"), { json: [1] })
    assert.strictEqual(
      Answer.decodeFailureDetail(["a", 0], true),
      "the body does not have the expected shape: missing a.0"
    )
    const failure = { message: "fetch failed", cause: { code: "ECONNREFUSED", message: "connect refused" } }
    assert.deepStrictEqual(Answer.transportFailure(failure), {
      text: "fetch failed: ECONNREFUSED: connect refused",
      code: "ECONNREFUSED"
    })
  })

  it("decodes a success's body, or says why it cannot be used", () => {
    const decode = (json: unknown) =>
      typeof json === "number" ? json : new Failure(["id"], json === undefined || json === null)
    assert.deepStrictEqual(Answer.decodedBody("application/json", "12", undefined, decode), { value: 12 })
    assert.deepStrictEqual(Answer.decodedBody("application/json", "null", undefined, decode), {
      reason: "Decode",
      detail: "the body does not have the expected shape: missing id"
    })
    assert.deepStrictEqual(Answer.decodedBody("application/json", "{", undefined, decode), {
      reason: "Decode",
      detail: "the body is not valid JSON (1 characters)"
    })
    assert.deepStrictEqual(Answer.decodedBody("text/html", "12", undefined, decode), {
      reason: "ContentType",
      detail: "expected a JSON body, got text/html"
    })
  })
})

describe("core/redact and core/fetchGuard", () => {
  it("masks secrets in every echoed form; short ones only where they stand alone", () => {
    assert.strictEqual(scrub("t=abc%2Fdef123 and abc/def123", ["abc/def123"]), "t=<redacted> and <redacted>")
    assert.strictEqual(scrub("plex.tv x", ["x"]), "plex.tv <redacted>")
    assert.strictEqual(excerpt("  a\n\nb  ", []), "a b")
  })

  it("masks a secret within another with the longer one, whatever their order: neither is shown in part", () => {
    // A short password standing alone within a backup code; a 4-digit PIN within a token (hyphens around it).
    for (const [text, secrets] of [
      ["code pw12-xyzzy-plugh", ["pw12", "pw12-xyzzy-plugh"]],
      ["token AbCd-1234-EfGhIjKl", ["1234", "AbCd-1234-EfGhIjKl"]]
    ] as const) {
      const masked = text.slice(0, text.indexOf(" ")) + " <redacted>"
      assert.strictEqual(scrub(text, secrets), masked)
      assert.strictEqual(scrub(text, [...secrets].reverse()), masked)
    }
    // Two that overlap (neither within the other) are masked as one, whatever their order: masked one after the
    // other, the first left the rest of the second to be seen (`<redacted>-xyzzy-plugh`, `s3cret-<redacted>`).
    for (const secrets of [
      ["s3cret-pw12", "pw12-xyzzy-plugh"],
      ["pw12-xyzzy-plugh", "s3cret-pw12"]
    ]) {
      assert.strictEqual(scrub("echo s3cret-pw12-xyzzy-plugh!", secrets), "echo <redacted>!")
    }
    // The same secret twice, and two occurrences of one that overlap each other (`abab` in `ababab`).
    assert.strictEqual(scrub("x 739214 y", ["739214", "739214"]), "x <redacted> y")
    assert.strictEqual(scrub("t=ab12ab12ab12.", ["ab12ab12"]), "t=<redacted>.")
    // A URL-encoded form overlapping another secret's plain one; a short password run into a code (glued only to
    // it) is masked with it, in either order.
    assert.strictEqual(scrub("q=a%26b%3Dc+dXYZ123", ["a&b=c d", "+dXYZ123"]), "q=<redacted>")
    for (const secrets of [
      ["pw12", "739214"],
      ["739214", "pw12"]
    ]) {
      assert.notInclude(scrub("p=pw12739214&x", secrets), "pw12")
      assert.notInclude(scrub("p=739214pw12&x", secrets), "pw12")
    }
    // Still masked on its own where it stands alone, and an empty secret masks nothing.
    assert.strictEqual(
      scrub("pin 1234 of AbCd-1234-EfGhIjKl", ["1234", "AbCd-1234-EfGhIjKl", ""]),
      "pin <redacted> of <redacted>"
    )
  })

  it("property: scrub masks what a search from every character would (overlapping, repeating, short secrets)", () => {
    // The reference: every occurrence of every form, each found by searching on from the character after the last
    // (what scrub did before it followed runs of a secret that repeats itself), the same standalone rule.
    const isWordChar = (char: string | undefined) => char !== undefined && /[\p{L}\p{N}_]/u.test(char)
    const reference = (text: string, secrets: ReadonlyArray<string>): string => {
      const masked = new Uint8Array(text.length + 1)
      const forms = secrets.flatMap((secret) => [
        new URLSearchParams([["", secret]]).toString().slice(1),
        JSON.stringify(secret).slice(1, -1),
        secret,
        encodeURIComponent(secret)
      ])
      for (const form of forms.sort((a, b) => b.length - a.length)) {
        for (let at = form ? text.indexOf(form) : -1; at > -1; at = text.indexOf(form, at + 1)) {
          const end = at + form.length
          const glued =
            (!masked[at - 1] && isWordChar(text[at - 1]) && isWordChar(form[0])) ||
            (!masked[end] && isWordChar(text[end]) && isWordChar(form[end - at - 1]))
          if (form.length >= minLengthAnywhere || !glued) masked.fill(1, at, end)
        }
      }
      let out = ""
      let from = 0
      for (let at; (at = masked.indexOf(1, from)) > -1; from = masked.indexOf(0, at))
        out += text.slice(from, at) + "<redacted>"
      return out + text.slice(from)
    }
    // Few letters, so that secrets overlap each other and themselves and repeat in the text.
    const letters = fc.constantFrom("a", "b", "c", " ", "&", "-")
    const word = (max: number) => fc.array(letters, { maxLength: max }).map((chars) => chars.join(""))
    // A part that repeats itself ('aba' x n cut anywhere): secrets and texts with runs of one secret in them.
    const periodic = fc
      .tuple(word(3), fc.integer({ min: 1, max: 40 }))
      .map(([unit, length]) => unit.repeat(40).slice(0, length))
    fc.assert(
      fc.property(
        fc.array(fc.oneof(word(9), periodic), { maxLength: 3 }),
        fc.array(fc.oneof(word(12), periodic), { maxLength: 8 }),
        (secrets, parts) => {
          // The text: pieces of the secrets and runs of them, in any order.
          const pieces = parts.flatMap((part, i) => [
            part,
            (secrets[i % Math.max(1, secrets.length)] ?? "").repeat(i % 4)
          ])
          const text = pieces.join("")
          assert.strictEqual(scrub(text, secrets), reference(text, secrets))
        }
      ),
      { numRuns: 2000 }
    )
  })

  it("scrub looks at each character of a text a bounded number of times, however a secret repeats itself", () => {
    // Characters compared on the text by String indexOf and startsWith, and masked by Uint8Array fill, counted
    // while scrub runs. Searching on from the character after each match cost the secret's length at each of its
    // occurrences: 'a' x 64 echoed in 'a' x 20,000 took 64 per character (no time measured: the work itself).
    const work = (text: string, secrets: ReadonlyArray<string>): number => {
      const strings = String.prototype
      const { indexOf, startsWith } = strings
      const { fill } = Uint8Array.prototype
      let count = 0
      strings.indexOf = function (this: string, search: string, from = 0) {
        const at = indexOf.call(this, search, from)
        if (this === text) count += (at < 0 ? this.length : at + search.length) - Math.max(0, from)
        return at
      }
      strings.startsWith = function (this: string, search: string, from?: number) {
        if (this === text) count += search.length
        return startsWith.call(this, search, from)
      }
      Uint8Array.prototype.fill = function (this: Uint8Array, value: number, start?: number, end?: number) {
        count += (end ?? this.length) - (start ?? 0)
        return fill.call(this, value, start, end)
      }
      try {
        scrub(text, secrets)
      } finally {
        strings.indexOf = indexOf
        strings.startsWith = startsWith
        Uint8Array.prototype.fill = fill
      }
      return count
    }
    for (const [text, secret] of [
      ["a".repeat(20_000), "a".repeat(64)],
      ["ab".repeat(10_000), "ab".repeat(32)],
      ["ab".repeat(10_000), "ab".repeat(32) + "a"],
      [("a".repeat(255) + "b").repeat(80), "a".repeat(255) + "b"],
      [("a".repeat(100) + "b").repeat(200), "a".repeat(64)],
      [("a".repeat(511) + "b").repeat(40), "a".repeat(256)],
      ["Xy7Kq2Lm9Pz4".repeat(2_000), "Xy7Kq2Lm9Pz4Xy7Kq2Lm"]
    ] as const) {
      // Four forms of the secret (here all the same), each at most a few looks per character.
      const perCharacter = work(text, [secret]) / text.length
      assert.isAtMost(perCharacter, 12, `${secret.slice(0, 8)}... (${secret.length}): ${perCharacter}`)
      assert.strictEqual(scrub(text, [secret]).replaceAll("<redacted>", "").includes(secret), false)
    }
  })

  it("the redacted header names: the token's and Location added once, the caller's kept", () => {
    const names = ["authorization", /^x-secret-/]
    assert.deepStrictEqual(withSecretHeaderNames(names), [
      "authorization",
      /^x-secret-/,
      "x-plex-token",
      "location"
    ])
    assert.deepStrictEqual(withSecretHeaderNames(["location"]), ["location", "x-plex-token"])
    const complete = ["x-plex-token", "location"]
    assert.strictEqual(withSecretHeaderNames(complete), complete)
  })

  it("the guarded fetch refuses to send a secret to another origin, and an answer from one", async () => {
    const sent: Array<string> = []
    const inner = (async (input: RequestInfo | URL) => {
      sent.push(String(input))
      return new Response("{}")
    }) as typeof globalThis.fetch
    const guarded = guardFetch(inner, () => "https://plex.tv/api", ["s3cret-token"])
    await guarded("https://plex.tv/api", { headers: { "x-plex-token": "s3cret-token" } })
    let refused: unknown
    try {
      await guarded("https://evil.example/", { headers: { "x-plex-token": "s3cret-token" } })
    } catch (error) {
      refused = error
    }
    assert.instanceOf(refused, CrossOrigin)
    assert.deepStrictEqual(sent, ["https://plex.tv/api"])
  })

  it("the guarded fetch refuses a secret in another origin's URL written percent-encoded, as a query writes it", async () => {
    // A claim token goes in the query (core claim.ts claimQuery) and may be any visible ASCII (validate.ts
    // tokenProblem): a caller's HttpClient.followRedirects resends it, encoded, to where a redirect points.
    const claim = "claim-a+b/c=d&e!f%g"
    const sent: Array<string> = []
    const inner = (async (input: RequestInfo | URL) => {
      sent.push(String(input))
      return new Response("{}")
    }) as typeof globalThis.fetch
    const guarded = guardFetch(inner, () => "http://127.0.0.1:32400/myplex/claim", [claim])
    const elsewhere = new URL("https://evil.example/myplex/claim")
    elsewhere.searchParams.set("token", claim)
    const forms = [elsewhere.href, `https://evil.example/myplex/claim?token=${encodeURIComponent(claim)}`]
    for (const url of forms) {
      assert.notInclude(url, claim)
      let refused: unknown
      try {
        await guarded(url, { method: "POST" })
      } catch (error) {
        refused = error
      }
      assert.instanceOf(refused, CrossOrigin, url)
    }
    assert.deepStrictEqual(sent, [])
  })

  it("the guarded fetch finds a secret within one part of what goes to another origin, never across two", async () => {
    // A password may have a space; the identity's headers are words and numbers: "Node" and "20" side by side, or a
    // header's value and its own percent-decoded copy, are not a password "Node 20" or "20 20" sent.
    const sent: Array<string> = []
    const inner = (async (input: RequestInfo | URL) => {
      sent.push(String(input))
      return new Response("{}")
    }) as typeof globalThis.fetch
    const headers = { "x-plex-platform": "Node", "x-plex-platform-version": "20" }
    for (const password of ["Node 20", "20 20", "https://cdn.example/a Node"]) {
      const guarded = guardFetch(inner, () => "https://plex.tv/api/v2/users/signin", [password])
      await guarded("https://cdn.example/a", { headers })
    }
    assert.deepStrictEqual(sent, ["https://cdn.example/a", "https://cdn.example/a", "https://cdn.example/a"])
    // Within one part it is still found, as it is and percent-encoded.
    const guarded = guardFetch(inner, () => "https://plex.tv/api/v2/users/signin", ["Node 20"])
    for (const note of ["p=Node 20", "p=Node%2020"]) {
      let refused: unknown
      try {
        await guarded("https://cdn.example/a", { headers: { "x-note": note } })
      } catch (error) {
        refused = error
      }
      assert.instanceOf(refused, CrossOrigin, note)
    }
    assert.strictEqual(sent.length, 3)
  })

  it("the guarded fetch finds a short secret where it stands alone, not inside a word or a number", async () => {
    // A 4-character secret (a PIN's code, a Home PIN, a short password) is other text inside "AB12cd" or "2026AB12":
    // those are sent. Standing alone, as a value of its own (a path segment, a query's or a form's value, a JSON
    // string, a header's value, after "Bearer "), it is the secret: refused. One of 6 characters or more (a token, a
    // 2FA code) is found anywhere, as before.
    const sent: Array<string> = []
    const inner = (async (input: RequestInfo | URL) => {
      sent.push(String(input))
      return new Response("{}")
    }) as typeof globalThis.fetch
    const guarded = guardFetch(inner, () => "https://plex.tv/api/v2/pins/1", ["AB12"])
    const refused = async (url: string, init?: RequestInit) => {
      try {
        await guarded(url, init)
      } catch (error) {
        return error instanceof CrossOrigin
      }
      return false
    }
    const unrelated: ReadonlyArray<[string, RequestInit?]> = [
      ["https://cdn.example/assets/AB12cd.png"],
      ["https://cdn.example/v/2026AB12?x=XAB12Y"],
      ["https://cdn.example/a", { headers: { "user-agent": "Agent/AB123 (AB12_x)" } }],
      ["https://cdn.example/a", { method: "POST", body: '{"note":"AB12345"}' }]
    ]
    for (const [url, init] of unrelated) assert.isFalse(await refused(url, init), url)
    assert.strictEqual(sent.length, unrelated.length)
    const alone: ReadonlyArray<[string, RequestInit?]> = [
      ["https://cdn.example/pin/AB12/x"],
      ["https://cdn.example/a?code=AB12&b=1"],
      ["https://cdn.example/a?code=%41B12"],
      ["https://cdn.example/a", { headers: { authorization: "Bearer AB12" } }],
      ["https://cdn.example/a", { method: "POST", body: '{"code":"AB12"}' }],
      ["https://cdn.example/a", { method: "POST", body: "code=AB12" }],
      ["https://cdn.example/a", { method: "POST", body: new Uint8Array(1) }]
    ]
    for (const [url, init] of alone) assert.isTrue(await refused(url, init), `${url} ${String(init?.body)}`)
    assert.strictEqual(sent.length, unrelated.length)
    // A secret of 6 characters or more is found inside other text too: "x739214y" carries the code 739214.
    const code = guardFetch(inner, () => "https://plex.tv/api/v2/users/signin", ["739214"])
    let refusedCode: unknown
    try {
      await code("https://cdn.example/a?x739214y")
    } catch (error) {
      refusedCode = error
    }
    assert.instanceOf(refusedCode, CrossOrigin)
    assert.strictEqual(sent.length, unrelated.length)
  })

  it("the guarded fetch finds a short secret in each form and place a request carries it in", async () => {
    // What a redirect to another origin resends: the secret as the library writes it, standing alone, in any casing of
    // percent-encoding, next to "-" or ".", in a header however given, in a body it does not read as text.
    const sent: Array<string> = []
    const inner = (async (input: RequestInfo | URL) => {
      sent.push(String(input))
      return new Response("{}")
    }) as typeof globalThis.fetch
    const refused = async (secret: string, url: string, init?: RequestInit) => {
      const guarded = guardFetch(inner, () => "https://plex.tv/api/v2/pins/1", [secret])
      try {
        await guarded(url, init)
      } catch (error) {
        return error instanceof CrossOrigin
      }
      return false
    }
    const cases: ReadonlyArray<[string, string, RequestInit?]> = [
      ["AB12", "https://cdn.example/a?code=%41%42%31%32"],
      ["JK12", "https://cdn.example/a?code=%4a%4B12"],
      ["AB12", "https://cdn.example/a/AB12-x.png"],
      ["AB12", "https://cdn.example/a/x.AB12"],
      ["1234", "https://cdn.example/api/home/users/1/switch?pin=1234"],
      ["p w", "https://cdn.example/a?p=p+w"],
      ["p w", "https://cdn.example/a?p=p%20w"],
      ["é1", "https://cdn.example/a?p=%C3%A91"],
      ["AB12", "https://cdn.example/a", { headers: [["x-plex-token", "AB12"]] }],
      ["AB12", "https://cdn.example/a", { headers: new Headers({ "x-plex-token": "AB12" }) }],
      ["AB12", "https://cdn.example/a", { headers: { cookie: "t=AB12; u=1" } }],
      ["AB12", "https://cdn.example/a", { method: "POST", body: new URLSearchParams({ code: "AB12" }) }],
      ["AB12", "https://cdn.example/a", { method: "POST", body: new Blob(["AB12"]) }],
      ["AB12", "https://cdn.example/a", { method: "POST", body: new FormData() }],
      [
        "AB12",
        "https://cdn.example/a",
        { method: "POST", body: new ReadableStream(), duplex: "half" } as RequestInit
      ],
      ["AB12", "https://cdn.example/a", { method: "POST", body: new TextEncoder().encode("AB12") }]
    ]
    for (const [secret, url, init] of cases)
      assert.isTrue(await refused(secret, url, init), `${secret} ${url}`)
    assert.deepStrictEqual(sent, [])
  })
})

describe("core/refresh", () => {
  const cooldown = 60_000
  it("uses a token someone else already got; renews once; a fresh token refused too waits the cooldown", () => {
    assert.deepStrictEqual(Refresh.onRefusal({}, "new", "old", 0, cooldown), { _tag: "UseCurrent" })
    assert.deepStrictEqual(Refresh.onRefusal({}, "t", "t", 0, cooldown), { _tag: "Renew" })
    assert.strictEqual(
      Refresh.onRefusal({ refreshedAt: 0 }, "t", "t", 1000, cooldown)._tag,
      "FreshTokenRefused"
    )
    assert.deepStrictEqual(Refresh.renewed("t", undefined, 5), { token: "t", reason: "Failed", at: 5 })
    assert.deepStrictEqual(Refresh.renewed("t", "t", 5), { token: "t", reason: "SameToken", at: 5 })
    assert.isUndefined(Refresh.renewed("t", "u", 5))
  })

  it("closed credentials start no refresh: a refusal is blocked (Closed), none ahead of expiry, a replacement used", () => {
    const closed = { closed: true, expires: 0 }
    assert.deepStrictEqual(Refresh.onRefusal(closed, "t", "t", 0, cooldown), {
      _tag: "Blocked",
      reason: "Closed"
    })
    assert.deepStrictEqual(Refresh.onRefusal(closed, "new", "old", 0, cooldown), { _tag: "UseCurrent" })
    assert.isFalse(Refresh.dueAhead(closed, "t", 0, 1000, cooldown))
    // Signed out says more: it stays the reason.
    const signedOut = { ...closed, spent: { token: "t", reason: "SignedOut" as const, at: 0 } }
    assert.strictEqual(Refresh.blocked(signedOut, "t", 0, cooldown), "SignedOut")
    // Nothing was tried: the refusal stays the server's (no reauthentication), the Debug line says why.
    assert.isUndefined(Refresh.reauthenticationOf({ _tag: "RefreshFailed", reason: "Closed" }))
    assert.strictEqual(
      Refresh.noNewTokenMessage({ _tag: "RefreshFailed", reason: "Closed" }),
      "re-authentication gave no new token: Closed"
    )
  })

  it("a signed-out token is blocked for good, a failure or the same token handed back for the cooldown", () => {
    const signedOut = { spent: { token: "t", reason: "SignedOut" as const, at: 0 } }
    assert.deepStrictEqual(Refresh.onRefusal(signedOut, "t", "t", 10 * cooldown, cooldown), {
      _tag: "Blocked",
      reason: "SignedOut"
    })
    const failed = { spent: { token: "t", reason: "Failed" as const, at: 0 } }
    assert.strictEqual(Refresh.blocked(failed, "t", cooldown - 1, cooldown), "CoolingDown")
    assert.isUndefined(Refresh.blocked(failed, "t", cooldown, cooldown))
    // A failure's cooldown says what the attempt failed with (a word `renewed` kept).
    const failedWith = Refresh.renewed("t", undefined, 0, "NetworkError")
    assert.deepStrictEqual(failedWith, { token: "t", reason: "Failed", at: 0, error: "NetworkError" })
    assert.deepStrictEqual(Refresh.onRefusal({ spent: failedWith }, "t", "t", cooldown - 1, cooldown), {
      _tag: "Blocked",
      reason: "CoolingDown",
      error: "NetworkError"
    })
    // Handed back unchanged: for the cooldown too, not for good (a later obtain may find a new token).
    const same = { spent: { token: "t", reason: "SameToken" as const, at: 0 } }
    assert.strictEqual(Refresh.blocked(same, "t", cooldown - 1, cooldown), "SameToken")
    assert.deepStrictEqual(Refresh.onRefusal(same, "t", "t", cooldown - 1, cooldown), {
      _tag: "Blocked",
      reason: "SameToken"
    })
    assert.isUndefined(Refresh.blocked(same, "t", cooldown, cooldown))
    assert.deepStrictEqual(Refresh.onRefusal(same, "t", "t", cooldown, cooldown), { _tag: "Renew" })
    assert.isTrue(Refresh.dueAhead({ expires: 100 }, "t", 50, 60, cooldown))
    assert.isFalse(Refresh.dueAhead({ expires: 100, ...signedOut }, "t", 50, 60, cooldown))
  })
})

describe("core/refresh: the obtain lease", () => {
  const { leaseMillis, skewMillis } = Refresh.obtainLease
  it("a lease written by a clock a little ahead (or before this one was set back) is still good; far ahead it is not", () => {
    const now = 1_000_000
    // Just renewed by a clock a second ahead: without the allowance it read as over, and a second process signed in.
    assert.strictEqual(
      Refresh.liveLeaseHolder(Refresh.encodeLease("other", now + leaseMillis + 1_000), now),
      "other"
    )
    assert.strictEqual(
      Refresh.liveLeaseHolder(Refresh.encodeLease("other", now + leaseMillis + skewMillis), now),
      "other"
    )
    assert.isUndefined(
      Refresh.liveLeaseHolder(Refresh.encodeLease("other", now + leaseMillis + skewMillis + 1), now)
    )
    assert.isUndefined(Refresh.liveLeaseHolder(Refresh.encodeLease("other", now), now))
    assert.strictEqual(Refresh.liveLeaseHolder(Refresh.encodeLease("other", now + 1), now), "other")
  })
})

describe("core/signOut: what the stored layers' sign-out forgets", () => {
  it("the signed-out token, and the token a refresh obtained that the sign-out dropped", () => {
    assert.deepStrictEqual(SignOut.forgottenTokens("a", "a", "a"), ["a"])
    assert.deepStrictEqual(SignOut.forgottenTokens("a", "b", "a"), ["a", "b"])
    // Not dropped (a later token the sign-out leaves the credentials with): only the signed-out one.
    assert.deepStrictEqual(SignOut.forgottenTokens("a", "c", "c"), ["a"])
  })

  it("ends the layer's writes when the credentials are left holding the signed-out token, not when they hold another", () => {
    assert.isTrue(SignOut.endsWrites("a", "a"))
    assert.isFalse(SignOut.endsWrites("a", "c"))
  })

  it("the forgotten tokens are each kept once, the last forgottenLimit: they never grow with the process", () => {
    let forgotten: ReadonlyArray<string> = []
    for (let n = 0; n < 100; n++) forgotten = SignOut.forgottenNext(forgotten, [`t${n}`, "again"], (t) => t)
    assert.strictEqual(forgotten.length, SignOut.forgottenLimit)
    // The newest, "again" once (forgotten anew by each sign-out: the newest of all), the oldest trimmed.
    assert.deepStrictEqual(forgotten.slice(-3), ["t98", "t99", "again"])
    assert.strictEqual(forgotten.filter((t) => t === "again").length, 1)
    assert.notInclude(forgotten, "t0")
    assert.deepStrictEqual(
      SignOut.forgottenNext(["a", "b"], ["a"], (t) => t),
      ["b", "a"]
    )
  })

  it("removes a token the layer knew of, and its own key with it or with none; another process's, never", () => {
    const known = (token: string) => token === "mine"
    assert.deepStrictEqual(SignOut.removal({ token: "mine" }, known), { token: true, key: false })
    assert.deepStrictEqual(SignOut.removal({ token: "mine", keyIsThis: true }, known), {
      token: true,
      key: true
    })
    assert.deepStrictEqual(SignOut.removal({ token: "mine", keyIsThis: false }, known), {
      token: true,
      key: false
    })
    assert.deepStrictEqual(SignOut.removal({ token: undefined, keyIsThis: true }, known), {
      token: false,
      key: true
    })
    assert.deepStrictEqual(SignOut.removal({ token: "other", keyIsThis: true }, known), {
      token: false,
      key: false
    })
    assert.deepStrictEqual(SignOut.removal({ token: undefined }, known), { token: false, key: false })
  })
  it("the warning for a token it could not revoke says what is true of it: a session token does not expire", () => {
    const warning = SignOut.lateRevokeFailed("NetworkError")
    assert.include(warning, "could not be revoked (NetworkError)")
    // A password sign-in's or a PIN login's token never expires: "until it expires" said it would end by itself.
    assert.notMatch(warning, /may still accept it until it expires/)
    assert.include(warning, "a Plex JWT until it expires")
    assert.include(warning, "a session token (which does not expire) until it is revoked")
    assert.include(warning, "Devices.revoke")
  })
})

describe("core/answer: the engine's reading decisions", () => {
  it("reads a body whole, counted or not at all by its declared length and encoding", () => {
    assert.deepStrictEqual(Answer.bodyPlan("11", undefined, 10), { tooLarge: 11 })
    assert.strictEqual(Answer.bodyPlan("10", " Identity ", 10), "whole")
    assert.strictEqual(Answer.bodyPlan("10", "gzip", 10), "counted")
    assert.strictEqual(Answer.bodyPlan(undefined, undefined, 10), "counted")
  })
  it("says how long an attempt waited before it timed out: whole seconds, else milliseconds", () => {
    assert.strictEqual(Answer.timeoutDetail(30_000), "no complete answer within 30s")
    assert.strictEqual(Answer.timeoutDetail(90_000), "no complete answer within 90s")
    assert.strictEqual(Answer.timeoutDetail(1500), "no complete answer within 1500ms")
    assert.strictEqual(Answer.timeoutDetail(250), "no complete answer within 250ms")
  })
  it("refuses an answer from another origin or a hidden redirect", () => {
    assert.strictEqual(
      Policy.foreignAnswer("https://plex.tv/a", "https://evil.example/b", 200),
      "the answer came from another origin (https://evil.example)"
    )
    assert.strictEqual(
      Policy.foreignAnswer("https://plex.tv/a", "https://plex.tv/b", 0),
      "the platform hid a redirect; it was not followed"
    )
    assert.isUndefined(Policy.foreignAnswer("https://plex.tv/a", "https://plex.tv/b", 200))
  })
  it("reads a refusal: kind, scrubbed entries, Retry-After and, for an unexpected one, a scrubbed excerpt", () => {
    const secret = "s3cr3t-token"
    const limited = Answer.refusal(
      429,
      { "retry-after": "2", "content-type": "application/json" },
      JSON.stringify({ errors: [{ code: 1003, message: `slow down ${secret}` }] }),
      [secret],
      0,
      {}
    )
    assert.strictEqual(limited.kind, "RateLimited")
    assert.strictEqual(limited.retryAfterMillis, 2000)
    assert.deepStrictEqual(limited.errors, [{ code: 1003, message: "slow down <redacted>" }])
    assert.isUndefined(limited.bodyExcerpt)
    const odd = Answer.refusal(500, { "content-type": "text/plain" }, `oops ${secret}`, [secret], 0, {})
    assert.deepStrictEqual(
      [odd.kind, odd.detail, odd.bodyExcerpt],
      ["Unexpected", "unexpected status 500", "oops <redacted>"]
    )
    assert.strictEqual(Answer.refusal(404, {}, "", [], 0, { notFound: true }).kind, "NotFound")
  })
  it("reveals the secrets in a value and lists them; the refresh failure's reason and description", () => {
    const open = (v: unknown) => (v instanceof Box ? { value: v.value } : undefined)
    const found: Array<string> = []
    assert.deepStrictEqual(revealWith({ a: [new Box("x"), "y"], b: new Box("z") }, open, found), {
      a: ["x", "y"],
      b: "z"
    })
    assert.deepStrictEqual(found, ["x", "z"])
    assert.strictEqual(Refresh.reasonOf({ _tag: "RefreshFailed", reason: "CoolingDown" }), "CoolingDown")
    assert.isUndefined(Refresh.reasonOf({ _tag: "NetworkError", reason: "Transport" }))
    assert.strictEqual(
      Refresh.describeFailure({ _tag: "RefreshFailed", reason: "Failed" }),
      "RefreshFailed Failed"
    )
    assert.strictEqual(Refresh.describeFailure("boom"), "error")
    // What `obtain` failed with: this library's tag, else "Other" (never a caller's own tag or words), only when it
    // failed (`Failed` with its error).
    const failed = (cause: unknown) => ({ _tag: "RefreshFailed", reason: "Failed", cause })
    assert.deepStrictEqual(
      Refresh.reauthenticationOf(failed({ _tag: "NetworkError", reason: "Transport" })),
      {
        reauthentication: "Failed",
        reauthenticationError: "NetworkError"
      }
    )
    for (const cause of [{ _tag: "VaultLocked s3cr3t" }, { _tag: 42 }, new Error("s3cr3t"), "s3cr3t", null]) {
      assert.deepStrictEqual(Refresh.reauthenticationOf(failed(cause)), {
        reauthentication: "Failed",
        reauthenticationError: "Other"
      })
    }
    assert.deepStrictEqual(Refresh.reauthenticationOf({ _tag: "RefreshFailed", reason: "Failed" }), {
      reauthentication: "Failed"
    })
    assert.deepStrictEqual(
      Refresh.reauthenticationOf({
        _tag: "RefreshFailed",
        reason: "SameToken",
        cause: { _tag: "Unexpected" }
      }),
      { reauthentication: "SameToken" }
    )
    assert.isUndefined(Refresh.reauthenticationOf({ _tag: "VaultLocked", reason: "Locked" }))
    // A cooldown's refusal: the word of the attempt that started it, only a word this module gives.
    assert.deepStrictEqual(
      Refresh.reauthenticationOf({ _tag: "RefreshFailed", reason: "CoolingDown", error: "Unexpected" }),
      { reauthentication: "CoolingDown", reauthenticationError: "Unexpected" }
    )
    for (const error of ["s3cr3t", 42, undefined]) {
      assert.deepStrictEqual(
        Refresh.reauthenticationOf({ _tag: "RefreshFailed", reason: "CoolingDown", error }),
        { reauthentication: "CoolingDown" }
      )
    }
    assert.strictEqual(Refresh.errorWord({ _tag: "PinExpired" }), "PinExpired")
    assert.strictEqual(Refresh.errorWord(new Error("s3cr3t")), "Other")
    assert.strictEqual(
      Refresh.noNewTokenMessage(failed({ _tag: "Unexpected" })),
      "re-authentication gave no new token: Failed (Unexpected)"
    )
    assert.strictEqual(
      Refresh.noNewTokenMessage({ _tag: "RefreshFailed", reason: "CoolingDown" }),
      "re-authentication gave no new token: CoolingDown"
    )
    assert.strictEqual(Refresh.noNewTokenMessage("s3cr3t"), "re-authentication gave no new token: error")
  })

  it("refreshing and stored credentials' options: the first at fault, in the order checked", () => {
    const is = {
      effect: (u: unknown) => u === "effect",
      redactedProblem: (u: unknown) => (u === "redacted" ? undefined : "must be a Redacted string"),
      durationProblem: (u: unknown, infinite: string) =>
        u === "forever" ? infinite : u === "1 minute" ? undefined : "must be positive"
    }
    assert.isUndefined(Refresh.refreshingProblem({ obtain: "effect" }, is))
    assert.isUndefined(
      Refresh.refreshingProblem({ obtain: "effect", initial: "redacted", cooldown: "1 minute" }, is)
    )
    const fault = (options: unknown) => Refresh.refreshingProblem(options, is)
    assert.deepStrictEqual(fault(null), { field: "options", problem: "must be an object, not null" })
    assert.deepStrictEqual(fault({ initial: "plain" }), { field: "obtain", problem: "must be an Effect" })
    assert.deepStrictEqual(fault({ obtain: "effect", initial: "plain", cooldown: 0 }), {
      field: "initial",
      problem: "must be a Redacted string"
    })
    assert.deepStrictEqual(fault({ obtain: "effect", cooldown: 0 }), {
      field: "cooldown",
      problem: "must be positive"
    })
    assert.deepStrictEqual(fault({ obtain: "effect", cooldown: "forever" }), {
      field: "cooldown",
      problem: "must be finite"
    })

    assert.isUndefined(Refresh.storedProblem({ obtain: "effect", key: "prefix" }, is.effect))
    assert.deepStrictEqual(Refresh.storedProblem(undefined, is.effect), {
      field: "options",
      problem: "is required (an object)"
    })
    assert.deepStrictEqual(Refresh.storedProblem({ obtain: () => "effect", key: 1 }, is.effect), {
      field: "obtain",
      problem: "must be an Effect"
    })
    assert.deepStrictEqual(Refresh.storedProblem({ obtain: "effect", key: 1 }, is.effect), {
      field: "key",
      problem: "must be a string"
    })
  })
})

class Box {
  constructor(readonly value: string) {}
}

describe("core/policy: classify", () => {
  it("an endpoint's refusedInput code is a bad request whatever the status; without one, only the status counts", () => {
    // A Home switch's wrong PIN (1041) comes as a 401 or 403: not a refused token.
    assert.strictEqual(Policy.classify(401, [1041], "", { refusedInput: 1041 }), "BadRequest")
    assert.strictEqual(Policy.classify(403, [1041], "", { refusedInput: 1041 }), "BadRequest")
    assert.strictEqual(Policy.classify(401, [1041], "", {}), "Unauthorized")
    assert.strictEqual(Policy.classify(401, [1041], "", { refusedInput: undefined }), "Unauthorized")
    assert.strictEqual(Policy.classify(404, [], "", { refusedInput: 1041 }), "Unexpected")
  })
})

describe("core/policy: outcomeUnknown", () => {
  it("a failure after the request may have reached the server leaves the outcome unknown; a refusal, a 503 or a connection never made does not", () => {
    const cases: ReadonlyArray<readonly [Parameters<typeof Policy.outcomeUnknown>[0], boolean, boolean]> = [
      [{ _tag: "NetworkError", reason: "Timeout" }, false, true],
      [{ _tag: "NetworkError", reason: "Transport" }, false, true],
      [{ _tag: "NetworkError", reason: "Transport" }, true, false],
      // A 503: the server did not handle it (what mayRetry resends a sign-in after).
      [{ _tag: "Unexpected", reason: "Status", status: 503 }, false, false],
      [{ _tag: "Unexpected", reason: "Status", status: 500 }, false, true],
      [{ _tag: "Unexpected", reason: "Status", status: 502 }, false, true],
      [{ _tag: "Unexpected", reason: "Status", status: 504 }, false, true],
      [{ _tag: "Unexpected", reason: "Status", status: 418 }, false, false],
      [{ _tag: "Unexpected", reason: "Decode", status: 200 }, false, false],
      [{ _tag: "RateLimited", status: 429 }, false, false],
      [{ _tag: "NotFound", status: 404 }, false, false]
    ]
    for (const [error, neverReached, unknown] of cases) {
      assert.strictEqual(Policy.outcomeUnknown(error, neverReached), unknown, JSON.stringify(error))
      // One rule: a failure mayRetry resends a sign-in after (proving the server did not act) is never unknown.
      if (Policy.mayRetry(error, false, neverReached)) assert.isFalse(unknown, JSON.stringify(error))
    }
  })
})

describe("core/policy: Retry-After", () => {
  it("reads the wait a RateLimited or Unexpected answer asked for; others carry none", () => {
    assert.strictEqual(Policy.retryAfterMillis({ _tag: "RateLimited", retryAfterMillis: 2000 }), 2000)
    assert.strictEqual(Policy.retryAfterMillis({ _tag: "Unexpected", retryAfterMillis: 0 }), 0)
    assert.isUndefined(Policy.retryAfterMillis({ _tag: "RateLimited" }))
    // A field of that name on another error is not a Retry-After.
    assert.isUndefined(Policy.retryAfterMillis({ _tag: "NetworkError", retryAfterMillis: 5000 }))
  })

  it("a retry waits out at most a minute; a longer ask ends the retries", () => {
    assert.strictEqual(Policy.maxRetryAfterMillis, 60_000)
    assert.isTrue(Policy.mayWaitOut({ _tag: "BadRequest" }))
    assert.isTrue(Policy.mayWaitOut({ _tag: "RateLimited", retryAfterMillis: 60_000 }))
    assert.isFalse(Policy.mayWaitOut({ _tag: "RateLimited", retryAfterMillis: 60_001 }))
    assert.isFalse(Policy.mayWaitOut({ _tag: "Unexpected", retryAfterMillis: 3_600_000 }))
  })
})

describe("core/request, core/policy's nextHop: the engines' shared steps", () => {
  it("builds a request: identity and endpoint headers, Accept, the token opened into its header and listed", () => {
    const out = Request.outgoing(
      "PlexAuth.getTokenDetails",
      {
        endpoint: "getTokenDetails",
        method: "GET",
        path: "/api/v2/user",
        headers: { "X-Plex-Language": "en" }
      },
      "https://plex.tv",
      { "X-Plex-Client-Identifier": "id" },
      new Box("tok-123456"),
      open
    )
    assert.deepStrictEqual(out.headers, {
      "X-Plex-Client-Identifier": "id",
      "X-Plex-Language": "en",
      accept: "application/json",
      "x-plex-token": "tok-123456"
    })
    assert.deepStrictEqual(out.ctx, {
      operation: "PlexAuth.getTokenDetails",
      method: "GET",
      url: "https://plex.tv/api/v2/user",
      secrets: ["tok-123456"]
    })
    assert.deepStrictEqual(
      [out.url, out.query, out.body, out.secretQuery, out.secretBody],
      ["https://plex.tv/api/v2/user", undefined, undefined, false, false]
    )
    assert.deepStrictEqual(out.attributes, {
      "plex.operation": "getTokenDetails",
      "http.request.method": "GET",
      "server.address": "plex.tv",
      "url.path": "/api/v2/user"
    })
  })

  it("marks a secret query (or a hidden path) and a secret body; the body is built with the list to push onto", () => {
    const query = Request.outgoing(
      "Op",
      {
        endpoint: "e",
        method: "GET",
        path: "/a",
        urlParams: [
          ["plain", "p"],
          ["deviceJWT", new Box("jwt-secret")]
        ]
      },
      "https://plex.tv",
      {},
      undefined,
      open
    )
    assert.deepStrictEqual(
      [query.query, query.secretQuery, query.secretBody],
      [
        [
          ["plain", "p"],
          ["deviceJWT", "jwt-secret"]
        ],
        true,
        false
      ]
    )
    const hidden = Request.outgoing(
      "Op",
      { endpoint: "e", method: "GET", path: "/pins/42", spanPath: "/pins/{id}" },
      "https://plex.tv",
      {},
      undefined,
      open
    )
    assert.deepStrictEqual(
      [hidden.secretQuery, hidden.attributes["url.path"], hidden.ctx.url, hidden.url],
      [true, "/pins/{id}", "https://plex.tv/pins/{id}", "https://plex.tv/pins/42"]
    )
    const body = Request.outgoing(
      "Op",
      {
        endpoint: "e",
        method: "POST",
        path: "/signin",
        body: (found: Array<string>) => String(revealWith(new Box("pw"), open, found))
      },
      "https://plex.tv",
      {},
      undefined,
      open
    )
    assert.deepStrictEqual(
      [body.body, body.secretBody, body.secretQuery, body.ctx.secrets],
      ["pw", true, false, ["pw"]]
    )
  })

  it("on another origin the engines keep Accept alone of their headers: what ServerClient's droppedOnRedirect leaves", () => {
    // Every header an engine sends (the identity's, an endpoint's own, Accept, the token) is one that says who asks
    // but Accept: the engines' rule (send.ts) and ServerClient's list (core/serverClient.ts) agree on them.
    const built = Identity.buildIdentity({
      clientIdentifier: "id",
      product: "p",
      deviceName: "d",
      platform: "x",
      language: "en",
      runtimeDefaults: false
    })
    assert.strictEqual(built._tag, "Built")
    const out = Request.outgoing(
      "Devices.link",
      { endpoint: "link", method: "PUT", path: "/api/v2/pins/link", headers: Devices.linkHeaders },
      "https://plex.tv",
      built._tag === "Built" ? built.headers : {},
      new Box("t0ken"),
      open
    )
    const names = Object.keys(out.headers).map((name) => name.toLowerCase())
    assert.isAbove(names.length, 4)
    const dropped = ServerClientFacts.droppedOnRedirect({ toGet: false, withToken: false }, names, [])
    assert.deepStrictEqual(
      names.filter((name) => !dropped.includes(name)),
      ["accept"]
    )
  })

  it("a followed redirect gives the next request: method, target, query, URL (its hash) and whether the body goes", () => {
    const hop = Policy.nextHop(
      "https://plex.tv/a",
      "POST",
      302,
      "https://other.example/b?x=1&X-Plex-Token=t&jwt=s3cret#frag",
      0,
      false,
      ["s3cret"],
      ["s3cret"]
    )
    assert.deepStrictEqual(
      hop._tag === "Follow" && [hop.method, hop.target, hop.query, hop.url.hash, hop.toGet],
      ["GET", "https://other.example/b", [["x", "1"]], "#frag", true]
    )
    const same = Policy.nextHop(
      "https://plex.tv/a",
      "PUT",
      307,
      "/c?jwt=s3cret",
      0,
      true,
      ["s3cret"],
      ["s3cret"]
    )
    assert.deepStrictEqual(same._tag === "Follow" && [same.method, same.query, same.url.hash, same.toGet], [
      "PUT",
      [["jwt", "s3cret"]],
      "",
      false
    ])
    // Each method rule on its own: a 303 makes any request but a HEAD a GET, a 301 or 302 a POST.
    const turns = (method: string, status: number, location: string) => {
      const hop = Policy.nextHop("https://plex.tv/a", method, status, location, 0, false, [], [])
      return hop._tag === "Follow" && [hop.method, hop.toGet]
    }
    assert.deepStrictEqual(turns("POST", 303, "/b"), ["GET", true])
    assert.deepStrictEqual(turns("POST", 301, "/b"), ["GET", true])
    assert.deepStrictEqual(turns("PUT", 307, "https://other.example/b"), ["PUT", false])
    assert.deepStrictEqual(turns("GET", 302, "https://other.example/b"), ["GET", false])
    assert.deepStrictEqual(turns("GET", 303, "https://other.example/b"), ["GET", true])
    // A HEAD stays one after a 303 (fetch keeps it).
    assert.deepStrictEqual(turns("HEAD", 303, "https://other.example/b"), ["HEAD", false])
    assert.deepStrictEqual(turns("HEAD", 302, "/b"), ["HEAD", false])
    // On the same origin, only the secrets the request's own query carried stay in the query: not the token.
    const token = Policy.nextHop(
      "https://plex.tv/a",
      "GET",
      302,
      "/c?jwt=s3cret&auth=t0ken&x=1",
      0,
      false,
      ["t0ken", "s3cret"],
      ["s3cret"]
    )
    assert.deepStrictEqual(token._tag === "Follow" && token.query, [
      ["jwt", "s3cret"],
      ["x", "1"]
    ])
    assert.deepStrictEqual(
      Policy.nextHop("https://plex.tv/a", "POST", 307, "https://other.example/", 0, true, [], []),
      {
        _tag: "Refuse",
        detail: "refused to send credentials to another origin (https://other.example)"
      }
    )
  })
})

const open = (value: unknown) => (value instanceof Box ? { value: value.value } : undefined)
