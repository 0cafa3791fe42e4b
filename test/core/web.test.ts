import { assert, describe, it } from "vitest"
import * as AuthUrl from "../../src/core/authUrl.js"
import * as Policy from "../../src/core/policy.js"
import * as B64 from "../../src/core/web/base64url.js"
import * as Cookies from "../../src/core/web/cookies.js"
import * as Flow from "../../src/core/web/flow.js"
import * as Pages from "../../src/core/web/pages.js"
import * as SignIn from "../../src/core/web/signIn.js"
import * as Signed from "../../src/core/web/signed.js"

const KEY = "k".repeat(32)
const OTHER = "o".repeat(32)

describe("core/web: signed values", () => {
  it("round-trips data with its expiry", async () => {
    const key = await Signed.importKey(KEY)
    const value = await Signed.sign(key, "p", { a: 1, b: "é" }, 2_000)
    const verified = await Signed.verify([key], "p", value, 1_999)
    assert.deepStrictEqual(verified, { _tag: "Valid", data: { a: 1, b: "é" }, expiresAt: 2_000 })
    assert.match(value, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
  })

  it("refuses an expired value: the expiry is inside the signature", async () => {
    const key = await Signed.importKey(KEY)
    const value = await Signed.sign(key, "p", 1, 2_000)
    assert.deepStrictEqual(await Signed.verify([key], "p", value, 2_000), {
      _tag: "Invalid",
      reason: "Expired"
    })
    // Stretching the expiry breaks the signature.
    const [v, payload, mac] = value.split(".")
    const stretched = B64.encodeText(JSON.stringify({ e: 9_999_999, d: 1 }))
    assert.notStrictEqual(stretched, payload)
    assert.deepStrictEqual(await Signed.verify([key], "p", `${v}.${stretched}.${mac}`, 2_000), {
      _tag: "Invalid",
      reason: "Signature"
    })
  })

  it("refuses another key, another purpose, a tampered or malformed value", async () => {
    const key = await Signed.importKey(KEY)
    const other = await Signed.importKey(OTHER)
    const value = await Signed.sign(key, "pin", { s: "x" }, 10_000)
    assert.deepStrictEqual(await Signed.verify([other], "pin", value, 0), {
      _tag: "Invalid",
      reason: "Signature"
    })
    assert.deepStrictEqual(await Signed.verify([key], "session", value, 0), {
      _tag: "Invalid",
      reason: "Signature"
    })
    const flipped = value.slice(0, -2) + (value.endsWith("AA") ? "BA" : "AA")
    assert.strictEqual((await Signed.verify([key], "pin", flipped, 0))._tag, "Invalid")
    for (const bad of [
      "",
      "v1",
      "v1.a",
      "v2.a.b",
      "v1.a.b.c",
      "v1.!!.AAAA",
      `v1.${B64.encodeText("[]")}.AAAA`
    ]) {
      assert.strictEqual((await Signed.verify([key], "pin", bad, 0))._tag, "Invalid", bad)
    }
  })

  it("accepts a retired key during a rotation", async () => {
    const current = await Signed.importKey(KEY)
    const retired = await Signed.importKey(OTHER)
    const old = await Signed.sign(retired, "p", "x", 10)
    assert.strictEqual((await Signed.verify([current, retired], "p", old, 0))._tag, "Valid")
  })

  it("refuses a key shorter than 32 bytes, without echoing it", async () => {
    assert.isDefined(Signed.keyProblem("short-secret"))
    assert.isUndefined(Signed.keyProblem(KEY))
    // A blank key (spaces alone), however long, is empty, not a key.
    assert.strictEqual(Signed.keyProblem(" ".repeat(40)), "must not be empty")
    const error = await Signed.importKey("short-secret").then(
      () => undefined,
      (e: Error) => e
    )
    assert.isDefined(error)
    assert.notInclude(String(error?.message), "short-secret")
  })

  it("compares in constant time: equal only for equal bytes of equal length", () => {
    const a = new Uint8Array([1, 2, 3])
    assert.isTrue(Signed.constantTimeEqual(a, new Uint8Array([1, 2, 3])))
    assert.isFalse(Signed.constantTimeEqual(a, new Uint8Array([1, 2, 4])))
    assert.isFalse(Signed.constantTimeEqual(a, new Uint8Array([1, 2])))
    assert.isFalse(Signed.constantTimeEqual(a, new Uint8Array([1, 2, 3, 0])))
    assert.isFalse(Signed.constantTimeEqual(new Uint8Array([]), new Uint8Array([0])))
    assert.isTrue(Signed.constantTimeEqualText("nonce", "nonce"))
    assert.isFalse(Signed.constantTimeEqualText("nonce", "nonc"))
  })

  it("base64url round-trips bytes and refuses other text", () => {
    const bytes = new Uint8Array([0, 255, 62, 63, 128])
    assert.deepStrictEqual(B64.decodeBytes(B64.encodeBytes(bytes)), bytes)
    assert.isUndefined(B64.decodeBytes("a+b/"))
    assert.isUndefined(B64.decodeText(B64.encodeBytes(new Uint8Array([0xff]))))
    assert.match(B64.randomToken(32), /^[A-Za-z0-9_-]{43}$/)
  })
})

describe("core/web: cookies", () => {
  it("builds a Set-Cookie header and reads it back", () => {
    const header = Cookies.serialize({
      name: "plex_session",
      value: "v1.abc.def",
      attributes: { path: "/", maxAge: 60.7, httpOnly: true, secure: true, sameSite: "Lax" }
    })
    assert.strictEqual(header, "plex_session=v1.abc.def; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax")
    assert.deepStrictEqual(Cookies.parseSetCookie(header), {
      name: "plex_session",
      value: "v1.abc.def",
      attributes: { path: "/", maxAge: 60, httpOnly: true, secure: true, sameSite: "Lax" }
    })
    const deleted = Cookies.parseSetCookie(
      Cookies.serialize({ name: "a", value: "", attributes: { maxAge: 0, expires: new Date(0) } })
    )
    assert.strictEqual(deleted?.attributes.maxAge, 0)
    assert.strictEqual(deleted?.attributes.expires?.getTime(), 0)
  })

  it("refuses names, values and paths a browser would misread", () => {
    assert.throws(() => Cookies.serialize({ name: "a b", value: "x", attributes: {} }))
    assert.throws(() => Cookies.serialize({ name: "a", value: "x;y", attributes: {} }))
    assert.throws(() => Cookies.serialize({ name: "a", value: "x", attributes: { path: "/a;Domain=evil" } }))
    assert.throws(() => Cookies.serialize({ name: "a", value: "x", attributes: { path: "relative" } }))
  })

  it("reads a Cookie header: first value wins, quotes dropped, junk ignored", () => {
    const cookies = Cookies.parseCookieHeader(' a=1; b="2"; a=3; junk; =x; c = 4 ')
    assert.deepStrictEqual(
      [...cookies],
      [
        ["a", "1"],
        ["b", "2"],
        ["c", "4"]
      ]
    )
    assert.strictEqual(Cookies.parseCookieHeader(undefined).size, 0)
    assert.isUndefined(Cookies.parseSetCookie("novalue"))
  })
})

describe("core/web: the sign-in flow's facts", () => {
  const ok = (input: SignIn.SettingsInput) => {
    const result = SignIn.settings(input)
    if (result._tag !== "Ok") throw new Error(result.message)
    return result.settings
  }

  it("plain http off this machine is warned of (not refused); loopback hosts and https are not", () => {
    const warned = (appUrl: string) => SignIn.plainHttpWarning(ok({ appUrl }))
    for (const appUrl of [
      "http://192.168.1.20:8080",
      "http://media.lan",
      "http://[fd00::20]",
      "http://[::ffff:192.168.1.20]",
      "http://[::ffff:128.0.0.1]",
      "http://128.0.0.1"
    ]) {
      assert.include(warned(appUrl), "cookies are not Secure", appUrl)
    }
    for (const appUrl of [
      "http://localhost:3000",
      "http://LOCALHOST.",
      "http://app.localhost",
      "http://127.0.0.1:3000",
      "http://127.255.0.9",
      "http://127.1",
      "http://0x7f000001",
      "http://[::1]:8080",
      "http://[0:0:0:0:0:0:0:1]",
      // 127.0.0.0/8 mapped into IPv6: the URL parser writes it [::ffff:7f00:1].
      "http://[::ffff:127.0.0.1]:8080",
      "http://[::ffff:127.8.9.10]",
      "https://192.168.1.20"
    ]) {
      assert.isUndefined(warned(appUrl), appUrl)
    }
    assert.isFalse(SignIn.isLoopbackHost("localhost.example.com"))
    assert.isFalse(SignIn.isLoopbackHost("127.0.0.1.nip.io"))
  })

  it("derives Secure and a __Host- session cookie from an https app URL", () => {
    const https = ok({ appUrl: "https://media.example.com/" })
    assert.deepStrictEqual(https, {
      origin: "https://media.example.com",
      callbackPath: "/auth/plex/callback",
      secure: true,
      sessionCookie: "__Host-plex_session",
      pinCookie: "__Host-plex_session_pin"
    })
    const http = ok({ appUrl: "http://127.0.0.1:8080", cookieName: "app" })
    assert.isFalse(http.secure)
    assert.strictEqual(http.sessionCookie, "app")
    assert.strictEqual(http.pinCookie, "app_pin")
    for (const bad of [
      { appUrl: "ftp://x" },
      { appUrl: "not a url" },
      { appUrl: "https://u:p@x" },
      { appUrl: "https://x", callbackPath: "relative" },
      { appUrl: "https://x", callbackPath: "//evil.example/cb" },
      { appUrl: "https://x", cookieName: "a;b" },
      // A cookie prefix: over http such a cookie is refused by the browser; over https it would be doubled.
      { appUrl: "http://127.0.0.1:8080", cookieName: "__Host-app" },
      { appUrl: "http://127.0.0.1:8080", cookieName: "__secure-app" },
      { appUrl: "https://x", cookieName: "__HOST-app" }
    ]) {
      assert.strictEqual(SignIn.settings(bad)._tag, "Invalid", JSON.stringify(bad))
    }
  })

  it("a start asked at another loopback name than appUrl's, on its port, is warned of; a proxy's Host, https or the same name never", () => {
    const local = ok({ appUrl: "http://localhost:3000" })
    const warning = SignIn.hostMismatchWarning(local, "127.0.0.1:3000")
    assert.strictEqual(
      warning,
      'WebSignIn: a sign-in was started at http://127.0.0.1:3000 while appUrl is http://localhost:3000: the browser keeps the PIN cookie for 127.0.0.1 and comes back from Plex to localhost, where it has none, so the return is refused ("Sign-in not started here"). Open the app at http://localhost:3000, or give the address you open as appUrl'
    )
    assert.include(SignIn.hostMismatchWarning(local, "[::1]:3000"), "started at http://[::1]:3000")
    assert.include(
      SignIn.hostMismatchWarning(ok({ appUrl: "http://127.0.0.1" }), "localhost"),
      "appUrl is http://127.0.0.1:"
    )
    for (const host of [
      undefined,
      "localhost:3000",
      "LOCALHOST:3000",
      "127.0.0.1:5173",
      "media.lan:3000",
      "a b",
      ""
    ]) {
      assert.isUndefined(SignIn.hostMismatchWarning(local, host), String(host))
    }
    assert.isUndefined(SignIn.hostMismatchWarning(ok({ appUrl: "https://localhost:3000" }), "127.0.0.1:3000"))
    assert.isUndefined(SignIn.hostMismatchWarning(ok({ appUrl: "http://media.lan:3000" }), "127.0.0.1:3000"))
  })

  it("appUrl is the origin alone: a path, query or fragment is refused (the routes are from the root), saying what to give", () => {
    for (const appUrl of [
      "https://media.example.com",
      "https://media.example.com/",
      "http://127.0.0.1:8080/"
    ]) {
      assert.strictEqual(SignIn.settings({ appUrl })._tag, "Ok", appUrl)
    }
    for (const appUrl of [
      "https://media.example.com/myapp",
      "https://media.example.com/myapp/",
      "https://media.example.com/some/page",
      "https://media.example.com/?x=1",
      "https://media.example.com?x=1",
      "https://media.example.com/#top"
    ]) {
      const checked = SignIn.settings({ appUrl })
      assert.deepStrictEqual(
        checked,
        { _tag: "Invalid", field: "appUrl", message: SignIn.appUrlPathProblem("https://media.example.com") },
        appUrl
      )
    }
    assert.include(SignIn.appUrlPathProblem("https://media.example.com"), "(https://media.example.com)")
    assert.include(
      SignIn.appUrlPathProblem("https://media.example.com"),
      'callbackPath "/myapp/auth/plex/callback"'
    )
  })

  it("the PIN cookie is HttpOnly, SameSite=Lax, Path=/, __Host- and Secure over https (as the session's)", () => {
    const s = ok({ appUrl: "https://media.example.com" })
    const header = Cookies.serialize(SignIn.pinCookie(s, "v", 600))
    assert.strictEqual(
      header,
      "__Host-plex_session_pin=v; Path=/; Max-Age=600; HttpOnly; Secure; SameSite=Lax"
    )
    const http = ok({ appUrl: "http://127.0.0.1:1" })
    assert.strictEqual(
      Cookies.serialize(SignIn.pinCookie(http, "v", 600)),
      "plex_session_pin=v; Path=/; Max-Age=600; HttpOnly; SameSite=Lax"
    )
    assert.notInclude(Cookies.serialize(SignIn.sessionCookie(http, "v", 1)), "Secure")
    assert.include(Cookies.serialize(SignIn.expired(SignIn.sessionCookie(http, "v", 1))), "Max-Age=0")
  })

  it("the callback URL carries the nonce only, never the PIN", () => {
    const s = ok({ appUrl: "https://media.example.com" })
    const pin: SignIn.PinState = { id: 4242, code: "abcdefghij0123456789", nonce: SignIn.newNonce() }
    const url = SignIn.callbackUrl(s, pin.nonce)
    assert.strictEqual(url, `https://media.example.com/auth/plex/callback?state=${pin.nonce}`)
    assert.notInclude(url, "4242")
    assert.notInclude(url, pin.code)
    assert.deepStrictEqual(SignIn.readPinData(SignIn.pinData(pin)), pin)
    assert.isUndefined(SignIn.readPinData({ i: "1", c: "x", n: "y" }))
    // A start that ends while waiting out the Retry-After of plex.tv's last answer: that answer's failure and status,
    // the wait left; none left is 0. No answer to wait out (none yet, or none with a Retry-After): no answer in time.
    const limited = Flow.startAnswered(429, "20", 1000)
    assert.deepStrictEqual(Flow.startTimedOut(limited, 11_000), {
      failure: "RateLimited",
      status: 429,
      retryAfterMillis: 10_000
    })
    assert.deepStrictEqual(Flow.startTimedOut(Flow.startAnswered(503, "5", 0), 10_000), {
      failure: "Unexpected",
      status: 503,
      retryAfterMillis: 0
    })
    assert.deepStrictEqual(Flow.startTimedOut(Flow.startAnswered(503, undefined, 0), 10_000), {
      failure: "NetworkError"
    })
    assert.deepStrictEqual(Flow.startTimedOut(undefined, 10_000), { failure: "NetworkError" })
    // A success (its body not in by then) asks for no wait, whatever Retry-After it carries: no answer in time.
    for (const status of [200, 201, 299]) {
      assert.isUndefined(Flow.startAnswered(status, "30", 0).retryAfterMillis, String(status))
      assert.deepStrictEqual(Flow.startTimedOut(Flow.startAnswered(status, "30", 0), 10_000), {
        failure: "NetworkError"
      })
    }
    assert.strictEqual(Flow.startAnswered(300, "30", 0).retryAfterMillis, 30_000)
    // A return's request that callbackWait ends is told the same way, with its own failure for "no answer in time".
    assert.deepStrictEqual(Flow.startTimedOut(limited, 16_000, "Timeout"), {
      failure: "RateLimited",
      status: 429,
      retryAfterMillis: 5_000
    })
    assert.deepStrictEqual(Flow.startTimedOut(undefined, 16_000, "Timeout"), { failure: "Timeout" })
    // An id plex.tv cannot have given (PinLogin.check's own check, pinIdProblem) is no PIN this flow started: the
    // cookie reads as none (a bad cookie), so nothing is asked of plex.tv for it, at the return or a sign-out.
    for (const i of [0, -0, -1, -7, 1.5, Number.MAX_SAFE_INTEGER + 1, 1e21, Infinity, NaN]) {
      assert.isUndefined(SignIn.readPinData({ i, c: "x", n: "y" }), String(i))
    }
    assert.deepStrictEqual(SignIn.readPinData({ i: Number.MAX_SAFE_INTEGER, c: "x", n: "y" }), {
      id: Number.MAX_SAFE_INTEGER,
      code: "x",
      nonce: "y"
    })
  })

  it("session records round-trip; anything malformed is no session", async () => {
    const record: SignIn.SessionRecord = {
      token: "tok",
      user: { id: 1, uuid: "u", username: "alice", title: "Alice", thumb: undefined },
      access: "Owner",
      accessCheckedAt: 5,
      createdAt: 1,
      expiresAt: 10
    }
    assert.deepStrictEqual(SignIn.decodeSession(SignIn.encodeSession(record)), record)
    const denied = { ...record, deniedAt: 7 }
    assert.deepStrictEqual(SignIn.decodeSession(SignIn.encodeSession(denied)), denied)
    const opened = { ...record, returnState: "the-nonce" }
    assert.deepStrictEqual(SignIn.decodeSession(SignIn.encodeSession(opened)), opened)
    assert.isUndefined(SignIn.decodeSession("{"))
    assert.isUndefined(SignIn.decodeSession(JSON.stringify({ ...record, v: 1, access: "NoAccess" })))
    // As a request reads it: nothing under the key is Missing; a value that is no record is Unreadable, not Missing.
    assert.deepStrictEqual(SignIn.storedSession(undefined), { _tag: "Missing" })
    assert.deepStrictEqual(SignIn.storedSession(SignIn.encodeSession(record)), { _tag: "Found", record })
    for (const damaged of ["", "{", "[]", "null", '{"v":2}', JSON.stringify({ ...record, v: 1, token: 5 })]) {
      assert.deepStrictEqual(SignIn.storedSession(damaged), { _tag: "Unreadable" }, damaged)
    }
    const id = SignIn.newSessionId()
    assert.strictEqual(SignIn.readSessionData(SignIn.sessionData(id)), id)
    assert.isUndefined(SignIn.readSessionData({ s: "short" }))
    const key = await SignIn.storageKey("s:", id)
    assert.notInclude(key, id)
    assert.strictEqual(key, await SignIn.storageKey("s:", id))
  })

  it("slides the expiry once half of the idle time is used, never past the absolute limit", () => {
    const idle = 100
    const absolute = 250
    assert.deepStrictEqual(SignIn.renewal(10, { createdAt: 0, expiresAt: 100 }, idle, absolute), {
      _tag: "Valid"
    })
    assert.deepStrictEqual(SignIn.renewal(60, { createdAt: 0, expiresAt: 100 }, idle, absolute), {
      _tag: "Renew",
      expiresAt: 160
    })
    assert.deepStrictEqual(SignIn.renewal(100, { createdAt: 0, expiresAt: 100 }, idle, absolute), {
      _tag: "Expired"
    })
    assert.deepStrictEqual(SignIn.renewal(200, { createdAt: 0, expiresAt: 240 }, idle, absolute), {
      _tag: "Renew",
      expiresAt: 250
    })
    assert.deepStrictEqual(SignIn.renewal(250, { createdAt: 0, expiresAt: 260 }, idle, absolute), {
      _tag: "Expired"
    })
    assert.isTrue(SignIn.withinGrace(10, 5, 10))
    assert.isFalse(SignIn.withinGrace(15, 5, 10))
  })
})

describe("core/web: what the bindings decide the same way", () => {
  it("a Retry-After (the start's, every operation's): its wait, at most 2^31 s (never Infinity, never 1e+21 written back)", () => {
    const now = Date.parse("2026-01-01T00:00:00Z")
    assert.strictEqual(Policy.parseRetryAfter("30", now), 30_000)
    assert.strictEqual(Policy.parseRetryAfter(" 10 , 30 ", now), 30_000)
    assert.strictEqual(Policy.parseRetryAfter(undefined, now), undefined)
    assert.strictEqual(Policy.parseRetryAfter("soon", now), undefined)
    // Not seconds (delta-seconds are digits alone), not a date: no wait, as "1.5" and "-1".
    assert.strictEqual(Policy.parseRetryAfter("1e400", now), undefined)
    // A date past asks for no wait; one ahead for the time until it.
    assert.strictEqual(Policy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now), 0)
    assert.strictEqual(Policy.parseRetryAfter("Thu, 01 Jan 2026 00:01:00 GMT", now), 60_000)
    for (const absurd of [
      "9".repeat(400),
      `1${"0".repeat(400)}`,
      `1${"0".repeat(21)}`,
      String(2 ** 31 + 1),
      "5, 1000000000000",
      "Fri, 31 Dec 9999 23:59:59 GMT"
    ]) {
      assert.strictEqual(
        Policy.parseRetryAfter(absurd, now),
        Policy.longestRetryAfterMillis,
        absurd.slice(0, 24)
      )
    }
    assert.strictEqual(Policy.parseRetryAfter(String(2 ** 31), now), 2 ** 31 * 1000)
    assert.strictEqual(Policy.longestRetryAfterMillis, 2 ** 31 * 1000)
    assert.strictEqual(Flow.retryAfterSeconds(Policy.longestRetryAfterMillis), 2 ** 31)
  })

  it("access outcomes: a grant refreshed past its TTL, a refusal, a revoked token, a failure never a refusal", () => {
    const record = { access: "Shared", accessCheckedAt: 1_000 } as const
    assert.deepStrictEqual(SignIn.accessOutcome(1_500, record, "Shared", 1_000, 10_000), {
      _tag: "Granted",
      level: "Shared",
      refreshed: false
    })
    assert.deepStrictEqual(SignIn.accessOutcome(2_000, record, "Shared", 1_000, 10_000), {
      _tag: "Granted",
      level: "Shared",
      refreshed: true
    })
    // A changed level is written back at once.
    assert.deepStrictEqual(SignIn.accessOutcome(1_100, record, "HomeMember", 1_000, 10_000), {
      _tag: "Granted",
      level: "HomeMember",
      refreshed: true
    })
    assert.deepStrictEqual(SignIn.accessOutcome(1_100, record, "NoAccess", 1_000, 10_000), { _tag: "Denied" })
    assert.deepStrictEqual(SignIn.accessOutcome(1_100, record, "InvalidToken", 1_000, 10_000), {
      _tag: "Revoked"
    })
    assert.deepStrictEqual(SignIn.accessOutcome(10_999, record, "Unknown", 1_000, 10_000), {
      _tag: "Granted",
      level: "Shared",
      refreshed: false
    })
    assert.deepStrictEqual(SignIn.accessOutcome(11_000, record, "Unknown", 1_000, 10_000), {
      _tag: "Unavailable"
    })
    // After plex.tv said "no access", a failure to ask grants nothing, and a new grant is written back.
    const denied = { ...record, deniedAt: 1_200 }
    assert.deepStrictEqual(SignIn.accessOutcome(1_300, denied, "Unknown", 1_000, 10_000), {
      _tag: "Unavailable"
    })
    assert.deepStrictEqual(SignIn.accessOutcome(1_300, denied, "Shared", 1_000, 10_000), {
      _tag: "Granted",
      level: "Shared",
      refreshed: true
    })
  })

  it("statuses, refusals, the callback's state and the sign-out origin check", () => {
    assert.deepStrictEqual(
      ["Unauthenticated", "AccessDenied", "PlexUnavailable", "SessionStoreError"].map(
        SignIn.authenticateStatus
      ),
      [401, 403, 503, 500]
    )
    assert.deepStrictEqual(Pages.refusalFor({ _tag: "AccessDenied", username: "dave" }), {
      _tag: "NoAccess",
      username: "dave"
    })
    assert.deepStrictEqual(
      ["SignInNotStarted", "SignInNotApproved", "SignInExpired", "PlexUnavailable", "SessionStoreError"].map(
        (_tag) => Pages.refusalFor({ _tag })._tag
      ),
      ["NotStarted", "NotApproved", "PinExpired", "Unavailable", "NotSaved"]
    )
    // A return with another state than the PIN cookie's: another sign-in of this browser is pending.
    assert.deepStrictEqual(
      (["NoCookie", "Invalid", "Expired", "StateMismatch"] as const).map((reason) =>
        Pages.refusalFor({ _tag: "SignInNotStarted", reason })
      ),
      [
        { _tag: "NotStarted" },
        { _tag: "NotStarted" },
        { _tag: "NotStarted" },
        { _tag: "NotStarted", anotherPending: true }
      ]
    )
    assert.include(
      Pages.refusalPage({ _tag: "NotStarted", anotherPending: true }, "/auth/plex/start"),
      "Another sign-in was started in this browser since this one (in another tab?). Finish that one, or start again."
    )
    assert.include(
      Pages.refusalPage({ _tag: "NotStarted" }, "/auth/plex/start"),
      "This sign-in was not started in this browser, or it took too long. Please start again."
    )
    // A return with no state (a bookmarked or typed callback address): its own text, whatever the cookie.
    assert.deepStrictEqual(
      Pages.refusalFor({ _tag: "SignInNotStarted", reason: "StateMismatch" }, undefined, true),
      {
        _tag: "NotStarted",
        anotherPending: true,
        noState: true
      }
    )
    assert.deepStrictEqual(
      Pages.refusalFor({ _tag: "SignInNotStarted", reason: "NoCookie" }, undefined, true),
      {
        _tag: "NotStarted",
        noState: true
      }
    )
    assert.deepStrictEqual(Pages.refusalFor({ _tag: "SignInNotApproved" }, undefined, true), {
      _tag: "NotApproved"
    })
    const bookmarked = Pages.refusalPage(
      { _tag: "NotStarted", anotherPending: true, noState: true },
      "/start"
    )
    assert.include(bookmarked, "it was opened without the details of a sign-in (from a bookmark, or typed?)")
    assert.notInclude(bookmarked, "Another sign-in")
    // Which callback failures keep the PIN cookie: another return's, plex.tv unavailable for now (no answer,
    // rate limited, no readable answer) or the session store failing; a refusal of plex.tv (400, 401) and every
    // other refusal is final.
    assert.deepStrictEqual(
      [
        { _tag: "SignInNotStarted", reason: "StateMismatch" },
        { _tag: "SignInNotStarted", reason: "Expired" },
        { _tag: "PlexUnavailable", operation: "checkPin", failure: "NetworkError" },
        { _tag: "PlexUnavailable", operation: "checkPin", failure: "RateLimited" },
        { _tag: "PlexUnavailable", operation: "checkAccess", failure: "Unexpected" },
        { _tag: "PlexUnavailable", operation: "checkPin", failure: "BadRequest" },
        { _tag: "PlexUnavailable", operation: "checkPin", failure: "Unauthorized" },
        // An answer that asked to be tried later (a 403 or 400 with a Retry-After: a CDN, a rate limiter), as the start.
        { _tag: "PlexUnavailable", operation: "checkPin", failure: "Unauthorized", retryAfterMillis: 30_000 },
        { _tag: "PlexUnavailable", operation: "checkPin", failure: "BadRequest", retryAfterMillis: 0 },
        { _tag: "SignInNotApproved" },
        { _tag: "SignInExpired" },
        { _tag: "AccessDenied", username: "dave" },
        { _tag: "SessionStoreError" }
      ].map(Flow.keepsPinCookieAfter),
      [true, false, true, true, true, false, false, true, true, false, false, false, true]
    )
    // Which can be tried again as they are ("Try again" is the same return): not another return's.
    assert.deepStrictEqual(
      [
        { _tag: "SignInNotStarted", reason: "StateMismatch" },
        { _tag: "PlexUnavailable", failure: "NetworkError" },
        { _tag: "PlexUnavailable", failure: "BadRequest" },
        { _tag: "PlexUnavailable", failure: "Unauthorized", retryAfterMillis: 1000 },
        { _tag: "SessionStoreError" }
      ].map(Flow.retriesAtReturn),
      [false, true, false, true, true]
    )
    const checked = SignIn.settings({ appUrl: "https://app.example", callbackPath: "/cb" })
    assert.strictEqual(checked._tag, "Ok")
    if (checked._tag !== "Ok") return
    const at = checked.settings
    assert.strictEqual(Flow.retryPath(at, "/cb?state=a%20b&x=1"), "/cb?state=a%20b")
    assert.strictEqual(Flow.retryPath(at, "https://app.example/cb"), undefined)
    assert.deepStrictEqual(Pages.refusalFor({ _tag: "PlexUnavailable" }, "/cb?state=s"), {
      _tag: "Unavailable",
      retryPath: "/cb?state=s"
    })
    const retryPage = Pages.refusalPage({ _tag: "Unavailable", retryPath: '/cb?state="><x' }, "/start")
    assert.include(retryPage, "Please try again in a moment: your sign-in is kept for a few minutes")
    assert.include(retryPage, '<a class="button" href="/cb?state=&quot;&gt;&lt;x">Try again</a>')
    assert.include(retryPage, '<a href="/start">Start again</a>')
    // Without a retryPath, one button: the start ("Start again", as the text asks), no second link.
    const once = Pages.refusalPage({ _tag: "Unavailable" }, "/start")
    assert.include(once, '<p><a class="button" href="/start">Start again</a> <a href="/">Home</a></p>')
    // At the start (no PIN could be created) the page says the sign-in was not started; no access was checked.
    const atStart = Pages.refusalFor({ _tag: "PlexUnavailable", operation: "createPin" })
    assert.deepStrictEqual(atStart, { _tag: "Unavailable", atStart: true })
    const startPage = Pages.refusalPage(atStart, "/start")
    assert.include(startPage, "Plex did not answer, so your sign-in could not be started.")
    assert.notInclude(startPage, "access")
    // plex.tv answered the start with what trying again does not change (a 400, a 401, a 404 from a host that is not
    // plex.tv's, a page where JSON was due): no "Plex did not answer", no button to start again; a 5xx, a 408, a 429 or
    // no answer stay "try again", each in words true of it (below).
    const refused = (failure: string, status?: number) =>
      Pages.refusalFor({ _tag: "PlexUnavailable", operation: "createPin", failure, status })
    for (const [failure, status] of [
      ["BadRequest", 400],
      ["Unauthorized", 401],
      ["Unauthorized", 403],
      ["Unexpected", 404],
      ["Unexpected", 200]
    ] as const) {
      assert.deepStrictEqual(
        refused(failure, status),
        { _tag: "Unavailable", atStart: true, refused: true },
        failure
      )
    }
    for (const [failure, status, answered] of [
      ["Unexpected", 503, "failed"],
      ["Unexpected", 500, "failed"],
      ["Unexpected", 408, "failed"],
      ["Unexpected", 421, "failed"],
      ["Unexpected", 425, "failed"],
      ["Unexpected", undefined, undefined],
      ["RateLimited", 429, "busy"],
      ["NetworkError", undefined, undefined],
      ["NetworkError", 200, undefined]
    ] as const) {
      assert.deepStrictEqual(
        refused(failure, status),
        answered === undefined
          ? { _tag: "Unavailable", atStart: true }
          : { _tag: "Unavailable", atStart: true, answered },
        `${failure} ${status}`
      )
    }
    // The words: plex.tv answered a 429 (or with a Retry-After) or a 5xx, so not "Plex did not answer" (nor "could not
    // be reached"); no status code, no "try again will not help"; the button the start again ("Try again").
    const busyPage = Pages.refusalPage(refused("RateLimited", 429), "/start")
    assert.include(busyPage, ">Plex is busy</h1>")
    assert.include(
      busyPage,
      "Plex is busy, so your sign-in could not be started. Please try again in a minute."
    )
    const failedPage = Pages.refusalPage(refused("Unexpected", 503), "/start")
    assert.include(failedPage, ">Sign-in could not start</h1>")
    assert.include(failedPage, "Plex could not start your sign-in just now. Please try again in a moment.")
    for (const told of [busyPage, failedPage]) {
      assert.notInclude(told, "did not answer")
      assert.notInclude(told, "could not be reached")
      assert.notMatch(told, /\b(429|503)\b/)
      assert.include(told, '<a class="button" href="/start">Try again</a>')
    }
    // An answer with a Retry-After asks to be tried later, whatever its status: a 403 from a CDN or a rate limiter in
    // front of plex.tv (read as Unauthorized), a 404, a 400 too. "Try again in a moment", not "will not help".
    for (const [failure, status] of [
      ["Unauthorized", 403],
      ["Unauthorized", 401],
      ["Unexpected", 404],
      ["BadRequest", 400]
    ] as const) {
      assert.deepStrictEqual(
        Pages.refusalFor({
          _tag: "PlexUnavailable",
          operation: "createPin",
          failure,
          status,
          retryAfterMillis: 30_000
        }),
        { _tag: "Unavailable", atStart: true, answered: "busy" },
        `${failure} ${status} with Retry-After`
      )
    }
    // A Retry-After of more than a minute: "later", not "in a minute".
    const later = Pages.refusalFor({
      _tag: "PlexUnavailable",
      operation: "createPin",
      failure: "RateLimited",
      status: 429,
      retryAfterMillis: 120_000
    })
    assert.deepStrictEqual(later, { _tag: "Unavailable", atStart: true, answered: "busy", later: true })
    assert.include(
      Pages.refusalPage(later, "/start"),
      "Plex is busy, so your sign-in could not be started. Please try again later."
    )
    // At a return whose PIN cookie is kept, a wait of more than a minute may outlast the PIN (15 minutes at plex.tv):
    // the page does not say the sign-in is kept meanwhile, but to start again past that.
    const laterAtReturn = Pages.refusalPage(
      Pages.refusalFor(
        {
          _tag: "PlexUnavailable",
          operation: "checkPin",
          failure: "RateLimited",
          status: 429,
          retryAfterMillis: 120_000
        },
        "/cb?state=s"
      ),
      "/start"
    )
    assert.include(
      laterAtReturn,
      "Plex is busy, so your sign-in could not be finished. Please try again later. Your sign-in is kept only for a few minutes (at Plex, 15 at most): past that, start again."
    )
    assert.notInclude(laterAtReturn, "kept for a few minutes")
    assert.include(
      laterAtReturn,
      '<a class="button" href="/cb?state=s">Try again</a> <a href="/start">Start again</a>'
    )
    // The routes' Retry-After (Flow.refusalRetryAfter): past startLimit, or plex.tv asked to wait, at the start or at
    // a return; whole seconds, rounded up, at least 1; none for another refusal.
    assert.strictEqual(Flow.refusalRetryAfter({ _tag: "PlexUnavailable", retryAfterMillis: 120_000 }), "120")
    assert.strictEqual(Flow.refusalRetryAfter({ _tag: "PlexUnavailable", retryAfterMillis: 1500 }), "2")
    assert.strictEqual(Flow.refusalRetryAfter({ _tag: "PlexUnavailable", retryAfterMillis: 0 }), "1")
    assert.strictEqual(Flow.refusalRetryAfter({ _tag: "TooManySignIns", retryAfterMillis: 30_000 }), "30")
    assert.strictEqual(Flow.refusalRetryAfter({ _tag: "PlexUnavailable" }), undefined)
    assert.strictEqual(Flow.refusalRetryAfter({ _tag: "SessionStoreError" }), undefined)
    assert.isFalse(Pages.refusedForGood({ failure: "Unauthorized", status: 403, retryAfterMillis: 0 }))
    assert.isTrue(Pages.refusedForGood({ failure: "Unauthorized", status: 403, retryAfterMillis: undefined }))
    // "Refused for good" only at the start: a return's failure keeps its own page (its PIN cookie decides,
    // Flow.retriesAtReturn), in words true of what plex.tv answered, as the start's.
    assert.deepStrictEqual(
      Pages.refusalFor({
        _tag: "PlexUnavailable",
        operation: "checkPin",
        failure: "Unexpected",
        status: 404
      }),
      { _tag: "Unavailable", answered: "failed" }
    )
    const atReturn = (failure: string, status?: number, retryPath?: string) =>
      Pages.refusalFor({ _tag: "PlexUnavailable", operation: "checkAccess", failure, status }, retryPath)
    assert.deepStrictEqual(atReturn("RateLimited", 429, "/cb?state=s"), {
      _tag: "Unavailable",
      retryPath: "/cb?state=s",
      answered: "busy"
    })
    assert.deepStrictEqual(atReturn("NetworkError", undefined, "/cb?state=s"), {
      _tag: "Unavailable",
      retryPath: "/cb?state=s"
    })
    const returnPages = [
      [
        atReturn("RateLimited", 429, "/cb?state=s"),
        ">Plex is busy</h1>",
        "Plex is busy, so your sign-in could not be finished. Please try again in a minute: your sign-in is kept for a few minutes"
      ],
      [
        atReturn("Unexpected", 502, "/cb?state=s"),
        ">Sign-in could not finish</h1>",
        "Plex could not finish your sign-in just now. Please try again in a moment: your sign-in is kept for a few minutes"
      ],
      [
        atReturn("RateLimited", 429),
        ">Plex is busy</h1>",
        "Plex is busy, so your sign-in could not be finished. Please start again in a minute."
      ],
      [
        atReturn("Unexpected", 503),
        ">Sign-in could not finish</h1>",
        "Plex could not finish your sign-in just now. Please start again in a moment."
      ]
    ] as const
    for (const [refusal, title, text] of returnPages) {
      const told = Pages.refusalPage(refusal, "/start")
      assert.include(told, title)
      assert.include(told, text)
      assert.notInclude(told, "did not answer")
      assert.notInclude(told, "could not be reached")
      assert.notMatch(told, /\b(429|50[23])\b/)
    }
    const returnPage = (failure: string, status?: number, retryPath?: string) =>
      Pages.refusalPage(
        Pages.refusalFor({ _tag: "PlexUnavailable", operation: "checkPin", failure, status }, retryPath),
        "/start"
      )
    const returnBusy = returnPage("RateLimited", 429, "/cb?state=s")
    assert.include(returnBusy, ">Plex is busy</h1>")
    assert.include(
      returnBusy,
      "Plex is busy, so your sign-in could not be finished. Please try again in a minute: your sign-in is kept"
    )
    const returnFailed = returnPage("Unexpected", 503, "/cb?state=s")
    assert.include(returnFailed, ">Sign-in could not finish</h1>")
    assert.include(
      returnFailed,
      "Plex could not finish your sign-in just now. Please try again in a moment: your sign-in is kept"
    )
    const returnRefused = returnPage("BadRequest", 400)
    assert.include(returnRefused, ">Sign-in could not finish</h1>")
    assert.include(
      returnRefused,
      "Plex could not finish your sign-in just now. Please start again in a moment."
    )
    for (const told of [returnBusy, returnFailed, returnRefused]) {
      assert.notInclude(told, "did not answer")
      assert.notInclude(told, "could not be reached")
      assert.notMatch(told, /\b(400|429|503)\b/)
    }
    for (const told of [returnBusy, returnFailed])
      assert.include(
        told,
        '<a class="button" href="/cb?state=s">Try again</a> <a href="/start">Start again</a>'
      )
    assert.include(returnRefused, '<a class="button" href="/start">Start again</a>')
    // No answer (none in time, or one cut off): "Plex did not answer", as before.
    for (const status of [undefined, 200])
      assert.include(
        returnPage("NetworkError", status, "/cb?state=s"),
        "Plex did not answer, so your sign-in could not be finished. Please try again in a moment"
      )
    const refusedPage = Pages.refusalPage(refused("Unexpected", 404), "/start", "/home")
    assert.include(refusedPage, '<h1 id="refused" data-reason="Unavailable">Sign-in not available</h1>')
    assert.include(refusedPage, "Plex refused to start a sign-in for this app")
    assert.include(refusedPage, "Trying again will not help: please tell the app&#39;s owner.")
    assert.notInclude(refusedPage, "did not answer")
    assert.include(refusedPage, '<p><a class="button" href="/home">Home</a></p>')
    assert.notInclude(refusedPage, 'href="/start"')
    // A return failed for good (the PIN cookie gone): not finished, to start again.
    const finalPage = Pages.refusalPage(
      Pages.refusalFor({ _tag: "PlexUnavailable", operation: "checkPin" }),
      "/start"
    )
    assert.include(finalPage, "your sign-in could not be finished. Please start again in a moment.")
    assert.notInclude(finalPage, "access")
    // The session store failing at the return: its own page (not "Plex could not be reached"), 503, retried the same.
    assert.deepStrictEqual(Pages.refusalFor({ _tag: "SessionStoreError" }, "/cb?state=s"), {
      _tag: "NotSaved",
      retryPath: "/cb?state=s"
    })
    assert.strictEqual(Pages.refusalStatus({ _tag: "NotSaved" }), 503)
    const notSaved = Pages.refusalPage({ _tag: "NotSaved", retryPath: "/cb?state=s" }, "/start")
    assert.include(notSaved, "this app could not save your sign-in. Please try again in a moment")
    assert.include(
      notSaved,
      '<a class="button" href="/cb?state=s">Try again</a> <a href="/start">Start again</a>'
    )
    assert.notInclude(notSaved, "Plex could not be reached")
    assert.strictEqual(SignIn.stateOf("/cb?state=abc", "https://app.example"), "abc")
    assert.deepStrictEqual(
      ["/cb?state=abc", "/cb", "/cb?state=", "/cb?x=1"].map((url) => Flow.hasState(at, url)),
      [true, false, false, false]
    )
    assert.strictEqual(SignIn.stateOf("https://app.example/cb", "https://app.example"), null)
    assert.strictEqual(SignIn.stateOf("http://[bad", "not a url"), null)
    assert.isTrue(SignIn.sameOrigin(undefined, "https://app.example"))
    assert.isTrue(SignIn.sameOrigin("null", "https://app.example"))
    assert.isTrue(SignIn.sameOrigin("https://app.example", "https://app.example"))
    assert.isFalse(SignIn.sameOrigin("https://evil.example", "https://app.example"))
    // Origin: null is also what a sibling host's page (same site) sends under no-referrer, with the SameSite=Lax
    // session cookie: Sec-Fetch-Site tells them apart where the browser sends it.
    for (const site of ["same-origin", "none", undefined]) {
      assert.isTrue(SignIn.sameOrigin("null", "https://app.example", site), String(site))
      assert.isTrue(SignIn.sameOrigin("https://app.example", "https://app.example", site), String(site))
    }
    for (const site of ["same-site", "cross-site", "other"]) {
      assert.isFalse(SignIn.sameOrigin("null", "https://app.example", site), site)
      assert.isFalse(SignIn.sameOrigin(undefined, "https://app.example", site), site)
    }
  })

  it("signOutDeletes: a sign-out deletes the session and PIN cookies its request sent, and only those", () => {
    const settings = (appUrl: string) => {
      const made = SignIn.settings({ appUrl })
      if (made._tag !== "Ok") throw new Error(made.message)
      return made.settings
    }
    const https = settings("https://app.example")
    assert.deepStrictEqual(Flow.signOutDeletes(https, "__Host-plex_session=s; __Host-plex_session_pin=p"), {
      session: true,
      pin: true
    })
    assert.deepStrictEqual(Flow.signOutDeletes(https, "__Host-plex_session=s"), { session: true, pin: false })
    // Another site's POST (Origin: null under no-referrer) carries no cookie: nothing to delete, nor under other names.
    for (const cookie of [undefined, "", "plex_session=s; plex_session_pin=p", "other=1"]) {
      assert.deepStrictEqual(
        Flow.signOutDeletes(https, cookie),
        { session: false, pin: false },
        String(cookie)
      )
    }
    assert.deepStrictEqual(Flow.signOutDeletes(settings("http://localhost:3000"), "plex_session_pin=p"), {
      session: false,
      pin: true
    })
  })

  it("homeWhenSignedIn: a return that is no pending sign-in of this browser, and only that, may go on to homePath", () => {
    assert.deepStrictEqual(
      [
        { _tag: "SignInNotStarted", reason: "NoCookie" },
        { _tag: "SignInNotStarted", reason: "Invalid" },
        { _tag: "SignInNotStarted", reason: "Expired" },
        // Another sign-in of this browser pending (its PIN cookie kept): its page, as before.
        { _tag: "SignInNotStarted", reason: "StateMismatch" },
        { _tag: "SignInNotStarted" },
        { _tag: "SignInNotApproved" },
        { _tag: "SignInExpired" },
        { _tag: "AccessDenied", username: "dave" },
        { _tag: "PlexUnavailable", operation: "checkPin", failure: "NetworkError" },
        { _tag: "SessionStoreError" }
      ].map(Flow.homeWhenSignedIn),
      [true, true, true, false, false, false, false, false, false, false]
    )
  })

  it("Unauthenticated's message: SessionNotFound says what it means; the other reasons as before", () => {
    assert.strictEqual(SignIn.messages.unauthenticated("Expired"), "WebSignIn: not signed in (Expired)")
    assert.include(
      SignIn.messages.unauthenticated("SessionNotFound"),
      "the session cookie verifies, but the session store does not hold its session"
    )
  })
})

describe("core/web: the start route's guards (prefetches, startLimit)", () => {
  const headers =
    (record: Record<string, string>) =>
    (name: string): string | undefined =>
      record[name]

  it("a prefetch or prerender is told by Sec-Purpose, Purpose, X-Purpose or X-Moz (any case, with parameters); a navigation is not", () => {
    for (const record of [
      { "sec-purpose": "prefetch" },
      { "sec-purpose": "prefetch;prerender" },
      { "sec-purpose": "Prefetch; anonymous-client-ip" },
      { "sec-purpose": "other, prefetch" },
      { purpose: "prefetch" },
      { purpose: "preview" },
      { "x-purpose": "preview" },
      { "x-purpose": "prefetch" },
      { "x-moz": "PREFETCH" }
    ]) {
      assert.isTrue(Flow.isSpeculative(headers(record)), JSON.stringify(record))
    }
    for (const record of [
      {},
      { "sec-purpose": "" },
      { "sec-purpose": "prerender" },
      { "sec-purpose": "prefetch-later" },
      { "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" },
      { purpose: "navigate" },
      { "x-moz": "preview" },
      { "x-purpose": "" },
      // Named as a value of another header: not a purpose.
      { referer: "prefetch" }
    ]) {
      assert.isFalse(Flow.isSpeculative(headers(record)), JSON.stringify(record))
    }
    assert.deepStrictEqual(Flow.speculativeRefused, { status: 503 })
  })

  it("startAllowance: at most limit starts per fixed window; refused, until when, and a warning once a window", () => {
    const limits = { limit: 2, windowMillis: 60_000, perKey: 5 }
    let window: Flow.StartWindow | undefined
    const at = (now: number) => {
      const allowance = Flow.startAllowance(window, now, limits)
      window = allowance.window
      return allowance._tag === "Allowed"
        ? "Allowed"
        : `Refused ${allowance.retryAfterMillis}${allowance.warn ? " warn" : ""}`
    }
    assert.deepStrictEqual(
      [at(1000), at(2000), at(3000), at(30_000), at(60_999), at(61_000), at(61_001), at(70_000)],
      [
        "Allowed",
        "Allowed",
        "Refused 58000 warn",
        "Refused 31000",
        "Refused 1",
        "Allowed",
        "Allowed",
        "Refused 51000 warn"
      ]
    )
    // The clock set back before the window's opening: a new window, not a refusal until the clock catches up.
    assert.strictEqual(at(10), "Allowed")
    assert.deepStrictEqual(window, { opened: 10, count: 1, warned: false, keys: new Map(), keyWarned: false })
    // A limit of one: the second start of a window is refused.
    const one = { ...limits, limit: 1 }
    const first = Flow.startAllowance(undefined, 0, one)
    assert.strictEqual(first._tag, "Allowed")
    assert.strictEqual(Flow.startAllowance(first.window, 0, one)._tag, "Refused")
  })

  it("startAllowance with a visitor's key: perKey of the window's starts per key, the others still allowed up to limit; keys dropped with their window; a warning once a window for each bound", () => {
    const limits = { limit: 4, windowMillis: 60_000, perKey: 2 }
    let window: Flow.StartWindow | undefined
    const at = (now: number, key?: string) => {
      const allowance = Flow.startAllowance(window, now, limits, key)
      window = allowance.window
      return allowance._tag === "Allowed"
        ? "Allowed"
        : `Refused ${allowance.bound} ${allowance.retryAfterMillis}${allowance.warn ? " warn" : ""}`
    }
    assert.deepStrictEqual(
      [at(0, "bot"), at(1000, "bot"), at(2000, "bot"), at(3000, "bot"), at(4000, "alice"), at(5000, "bob")],
      [
        "Allowed",
        "Allowed",
        "Refused startLimitPerKey 58000 warn",
        "Refused startLimitPerKey 57000",
        "Allowed",
        "Allowed"
      ]
    )
    // The bot's refusals counted nowhere: alice and bob had their PINs; now the service's ceiling (4) is reached,
    // for a new key and for no key alike.
    assert.deepStrictEqual(
      [at(6000, "carol"), at(7000), at(8000, "bob"), at(9000, "bot")],
      [
        "Refused startLimit 54000 warn",
        "Refused startLimit 53000",
        "Refused startLimit 52000",
        "Refused startLimitPerKey 51000"
      ]
    )
    assert.deepStrictEqual(
      [...(window?.keys ?? [])],
      [
        ["bot", 2],
        ["alice", 1],
        ["bob", 1]
      ]
    )
    // The next window: the keys of the ended one dropped, each key's share again, each bound's warning again.
    assert.deepStrictEqual(
      [at(60_000, "bot"), at(60_001, "bot"), at(60_002, "bot")],
      ["Allowed", "Allowed", "Refused startLimitPerKey 59998 warn"]
    )
    assert.deepStrictEqual([...(window?.keys ?? [])], [["bot", 2]])
    // Starts without a key count only against limit.
    assert.deepStrictEqual(
      [at(61_000), at(62_000), at(63_000)],
      ["Allowed", "Allowed", "Refused startLimit 57000 warn"]
    )
  })

  it("startAllowance: at most maxStartKeys keys a window; past it a new key is bounded by limit alone", () => {
    const limits = { limit: Flow.maxStartKeys + 10, windowMillis: 60_000, perKey: 1 }
    let window: Flow.StartWindow | undefined
    for (let i = 0; i < Flow.maxStartKeys; i++) {
      const allowance = Flow.startAllowance(window, 0, limits, `visitor-${i}`)
      assert.strictEqual(allowance._tag, "Allowed")
      window = allowance.window
    }
    assert.strictEqual(window?.keys.size, Flow.maxStartKeys)
    // Untracked past the cap: not refused by its key (its share cannot be counted), still counted against limit.
    for (const _ of [1, 2]) {
      const allowance = Flow.startAllowance(window, 0, limits, "one-more")
      assert.strictEqual(allowance._tag, "Allowed")
      window = allowance.window
    }
    assert.strictEqual(window?.keys.size, Flow.maxStartKeys)
    assert.strictEqual(window?.count, Flow.maxStartKeys + 2)
    // A tracked key keeps its share.
    assert.strictEqual(Flow.startAllowance(window, 0, limits, "visitor-0")._tag, "Refused")
  })

  it("startKey: a string, not empty, cut at maxStartKeyLength; anything else is no key", () => {
    assert.strictEqual(Flow.startKey("203.0.113.7"), "203.0.113.7")
    assert.strictEqual(Flow.startKey("x".repeat(1000)), "x".repeat(Flow.maxStartKeyLength))
    for (const none of [undefined, "", 7, null, {}]) assert.isUndefined(Flow.startKey(none), String(none))
    for (const good of [undefined, () => undefined]) assert.isUndefined(Flow.startLimitKeyProblem(good))
    for (const bad of [null, "x-forwarded-for", 1, {}]) assert.isString(Flow.startLimitKeyProblem(bad))
    const warning = Flow.startLimitPerKeyWarning(5, 60_000, 42_100)
    assert.include(warning, "a visitor started 5 sign-ins within 60 s (startLimitPerKey)")
    assert.include(warning, "for the next 43 s")
  })

  it("isPrefetch: a web Headers, a record of lower-case names, or of any case (a list joined)", () => {
    assert.isTrue(Flow.isPrefetch(new Headers({ "Sec-Purpose": "prefetch;prerender" })))
    assert.isFalse(Flow.isPrefetch(new Headers({ "Sec-Fetch-Mode": "navigate" })))
    assert.isTrue(Flow.isPrefetch({ "sec-purpose": "prefetch" }))
    assert.isTrue(Flow.isPrefetch({ "X-Moz": "prefetch" }))
    assert.isTrue(Flow.isPrefetch({ purpose: ["navigate", "prefetch"] }))
    assert.isFalse(Flow.isPrefetch({ "sec-purpose": undefined, referer: "prefetch" }))
    assert.isFalse(Flow.isPrefetch({ "sec-purpose": 1 as never }))
    for (const bad of [undefined, null, "prefetch", 1]) assert.isString(Flow.headersProblem(bad))
    assert.isUndefined(Flow.headersProblem({}))
  })

  it("startLimit: a whole number of PINs, 1 or more; Retry-After whole seconds, rounded up, at least 1", () => {
    for (const good of [undefined, 1, 30, 1_000_000]) assert.isUndefined(Flow.startLimitProblem(good))
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "30", null, 2 ** 53]) {
      assert.strictEqual(
        Flow.startLimitProblem(bad),
        "must be a whole number of PINs, 1 or more",
        String(bad)
      )
    }
    assert.deepStrictEqual(
      [1, 999, 1000, 1001, 59_500, 60_000].map(Flow.retryAfterSeconds),
      [1, 1, 1, 2, 60, 60]
    )
    const warning = Flow.startLimitWarning(30, 60_000, 42_100)
    assert.include(warning, "30 sign-ins were started within 60 s (startLimit)")
    assert.include(warning, "for the next 43 s")
  })

  it("the refusal past startLimit: TooMany, 429, a page saying to try again shortly", () => {
    const refusal = Pages.refusalFor({ _tag: "TooManySignIns" })
    assert.deepStrictEqual(refusal, { _tag: "TooMany" })
    assert.strictEqual(Pages.refusalStatus(refusal), 429)
    const page = Pages.refusalPage(refusal, "/start", "/home")
    assert.include(page, "<title>Too many sign-ins</title>")
    assert.include(page, "Please try again shortly.")
    assert.include(page, '<a class="button" href="/start">Try again</a>')
    // The message names the bound that refused (the option), never the visitor's key.
    assert.strictEqual(
      SignIn.messages.tooManySignIns("startLimit", 1500),
      "WebSignIn.start: too many sign-ins were started (startLimit): no PIN created; try again in 2 s"
    )
    assert.strictEqual(
      SignIn.messages.tooManySignIns("startLimitPerKey", 1500),
      "WebSignIn.start: this visitor started too many sign-ins (startLimitPerKey): no PIN created; try again in 2 s"
    )
  })
})

describe("core/web: the flow's steps", () => {
  it("app settings: default paths, and a path a browser could misread is refused by field", () => {
    const ok = Flow.appSettings({ appUrl: "https://app.example" })
    assert.strictEqual(ok._tag, "Ok")
    if (ok._tag === "Ok") {
      assert.deepStrictEqual(
        [ok.settings.startPath, ok.settings.signOutPath, ok.settings.homePath, ok.settings.callbackPath],
        ["/auth/plex/start", "/auth/plex/sign-out", "/", "/auth/plex/callback"]
      )
    }
    for (const field of ["startPath", "signOutPath", "homePath", "callbackPath"]) {
      const bad = Flow.appSettings({ appUrl: "https://app.example", [field]: "//evil.example/x" })
      assert.deepStrictEqual(bad._tag === "Invalid" ? bad.field : "", field)
    }
  })

  it("app settings: a homePath the routers take for callbackPath is refused (a signed-in return would loop)", () => {
    // The routers match in any case, with or without a trailing slash, %-escapes decoded, and end a path at its first
    // ; (a browser sent to /auth/plex/callback;home reaches the callback: every sign-in would loop there).
    for (const [callbackPath, homePath] of [
      [undefined, "/auth/plex/callback"],
      [undefined, "/Auth/Plex/Callback/"],
      [undefined, "/auth/plex/%63allback"],
      [undefined, "/auth/plex/callback;home"],
      [undefined, "/Auth/Plex/Callback/;v=1;w=2"],
      ["/", "/"],
      ["/", "/;home"],
      ["/back/", "/back"]
    ] as const) {
      const bad = Flow.appSettings({ appUrl: "https://app.example", callbackPath, homePath })
      assert.deepStrictEqual(
        bad._tag === "Invalid" ? [bad.field, bad.message] : bad._tag,
        ["homePath", "must not be callbackPath (a signed-in browser would be sent back to it without end)"],
        `${callbackPath} ${homePath}`
      )
    }
    // A path under the callback's, or beside it, is another route.
    // An escaped separator stays escaped in both routers (decodeURI): /auth/plex%2Fcallback is no path of the callback.
    for (const homePath of [
      "/auth/plex/callback/home",
      "/auth/plex/callbacks",
      "/auth/plex",
      "/",
      "/auth/plex%2Fcallback",
      // An escaped ; ends no path (the routers leave %3B escaped), nor does one under the callback's path.
      "/auth/plex/callback%3Bhome",
      "/auth/plex/callback/home;v=1"
    ]) {
      assert.strictEqual(Flow.appSettings({ appUrl: "https://app.example", homePath })._tag, "Ok", homePath)
    }
    // A browser following the redirect resolves dot segments (`%2e` too) before asking: these are the callback
    // (make refuses such a path before, as one the browser never asks for).
    for (const homePath of [
      "/auth/plex/home/../callback",
      "/auth/./plex/callback",
      "/auth/plex/%2e%2E/plex/callback",
      "/auth/plex/callback/.",
      "/auth/plex/callback/home/.."
    ]) {
      assert.isTrue(Flow.routedAlike(homePath, "/auth/plex/callback"), homePath)
    }
    assert.isFalse(Flow.routedAlike("/auth/plex/callback/home/x/..", "/auth/plex/callback"))
  })

  it("app settings: a homePath the routers take for startPath is refused (each sign-in or sign-out would start another)", () => {
    for (const [startPath, homePath] of [
      [undefined, "/auth/plex/start"],
      [undefined, "/Auth/Plex/Start/"],
      [undefined, "/auth/plex/%73tart"],
      [undefined, "/auth/plex/start;home"],
      ["/", "/"],
      ["/login/", "/login"],
      ["/login", "/LOGIN"],
      ["/login", "/login/;v=1"]
    ] as const) {
      const bad = Flow.appSettings({ appUrl: "https://app.example", startPath, homePath })
      assert.deepStrictEqual(
        bad._tag === "Invalid" ? [bad.field, bad.message] : bad._tag,
        [
          "homePath",
          "must not be startPath (a browser signed in or out would be sent to start a new sign-in each time)"
        ],
        `${startPath} ${homePath}`
      )
    }
    // Under it, beside it, or an escaped separator: another route.
    for (const homePath of [
      "/auth/plex/start/home",
      "/auth/plex/starts",
      "/auth/plex",
      "/auth/plex%2Fstart"
    ]) {
      assert.strictEqual(Flow.appSettings({ appUrl: "https://app.example", homePath })._tag, "Ok", homePath)
    }
    // The default homePath `/` with a startPath of its own is fine.
    assert.strictEqual(Flow.appSettings({ appUrl: "https://app.example", startPath: "/login" })._tag, "Ok")
  })

  it("app settings: a startPath the routers take for callbackPath is refused (two GET routes at one path: the router refuses the second)", () => {
    for (const [callbackPath, startPath] of [
      [undefined, "/auth/plex/callback"],
      [undefined, "/Auth/Plex/Callback/"],
      ["/back", "/BACK/"],
      ["/", "/"]
    ] as const) {
      const bad = Flow.appSettings({ appUrl: "https://app.example", callbackPath, startPath })
      assert.deepStrictEqual(
        bad._tag === "Invalid" ? [bad.field, bad.message] : bad._tag,
        [
          "startPath",
          "must not be callbackPath (both are GET routes: the router refuses the second at the same path)"
        ],
        `${callbackPath} ${startPath}`
      )
    }
    // Under it or beside it: another route. The sign-out is a POST route: at the callback's or the start's path, the
    // router tells them apart by method.
    for (const options of [
      { startPath: "/auth/plex/callback/start" },
      { startPath: "/auth/plex" },
      { signOutPath: "/auth/plex/callback" },
      { signOutPath: "/auth/plex/start" }
    ]) {
      assert.strictEqual(
        Flow.appSettings({ appUrl: "https://app.example", homePath: "/app", ...options })._tag,
        "Ok",
        JSON.stringify(options)
      )
    }
  })

  it("app settings: a path with a . or .. segment (%2e too) is refused by field: a browser never asks for it", () => {
    for (const field of ["startPath", "signOutPath", "homePath", "callbackPath"]) {
      for (const path of [
        "/auth/plex/x/../start",
        "/auth/./plex/start",
        "/auth/plex/%2e%2E/y",
        "/auth/plex/%2E/y",
        "/auth/plex/.%2e/y",
        "/auth/plex/start/.",
        "/auth/plex/start/..",
        "/.",
        "/.."
      ]) {
        const bad = Flow.appSettings({ appUrl: "https://app.example", [field]: path })
        assert.deepStrictEqual(
          bad._tag === "Invalid" ? [bad.field, bad.message] : bad._tag,
          [
            field,
            "must have no . or .. segment (a browser resolves them before asking: the route would never be reached)"
          ],
          `${field} ${path}`
        )
      }
    }
    // Dots within a segment are no dot segment: such paths are taken as written (an escaped one as homePath, the
    // only path that may have escapes).
    for (const [field, path] of [
      ["startPath", "/auth/plex/.well-known"],
      ["startPath", "/auth/plex/v1.2/start"],
      ["startPath", "/auth/plex/..."],
      ["homePath", "/auth/plex/%2e%2e%2e"]
    ] as const) {
      assert.strictEqual(
        Flow.appSettings({ appUrl: "https://app.example", [field]: path })._tag,
        "Ok",
        `${field} ${path}`
      )
    }
  })

  it("app settings: a route's path (callbackPath, startPath, signOutPath) with a %-escape is refused by field: the router never matches what a browser asks for", () => {
    for (const field of ["startPath", "signOutPath", "callbackPath"]) {
      for (const path of [
        "/auth/plex/%63allback",
        "/caf%C3%A9/start",
        "/auth/plex%2Fstart",
        "/a%25b",
        "/a%zz",
        "/a%"
      ]) {
        const bad = Flow.appSettings({ appUrl: "https://app.example", [field]: path })
        assert.deepStrictEqual(
          bad._tag === "Invalid" ? [bad.field, bad.message] : bad._tag,
          [
            field,
            "must have no %-escape (the router matches a route's path as written, % as a literal %: a browser asking for the path would never reach the route)"
          ],
          `${field} ${path}`
        )
      }
    }
    // homePath is no route of the service: an escaped one is the app's own (routedAlike still compares it decoded).
    for (const homePath of ["/caf%C3%A9/", "/a%25b", "/auth/plex%2Fcallback"]) {
      assert.strictEqual(Flow.appSettings({ appUrl: "https://app.example", homePath })._tag, "Ok", homePath)
    }
    // A dot segment written with %2e is told as a dot segment, whichever field.
    const dotted = Flow.appSettings({ appUrl: "https://app.example", startPath: "/auth/%2e/start" })
    assert.include(dotted._tag === "Invalid" ? dotted.message : "", "must have no . or .. segment")
  })

  it("app settings: a path of any character a URL's path holds (sub-delims, : and @, raw non-ASCII) is taken; a route's path with ; or * is refused by field, as the routers read them otherwise", () => {
    // RFC 3986 pchar and raw non-ASCII: both routers reach a route at such a path by the path a browser asks for
    // (test/web/WebSignIn.test.ts "any character a URL's path holds", both editions).
    for (const field of ["startPath", "signOutPath", "homePath", "callbackPath"]) {
      for (const path of [
        "/auth/plex/a+b",
        "/auth/plex/a@b",
        "/auth/plex/a!b",
        "/auth/plex/a$b",
        "/auth/plex/a&b",
        "/auth/plex/a,b",
        "/auth/plex/a=b",
        "/auth/plex/it's",
        "/auth/plex/(v1)",
        "/auth/plex/zurück",
        "/auth/plex/日本",
        "/auth/plex/😀"
      ]) {
        assert.strictEqual(
          Flow.appSettings({ appUrl: "https://app.example", [field]: path })._tag,
          "Ok",
          `${field} ${path}`
        )
      }
    }
    // What a URL's path cannot hold raw (a query, a fragment, a space, a backslash), and a lone surrogate (the URL
    // parser writes it as U+FFFD: no browser asks for it): still refused, as what is no path.
    for (const field of ["startPath", "signOutPath", "homePath", "callbackPath"]) {
      for (const path of ["/a?b", "/a#b", "/a b", "/a\\b", '/a"b', "/a<b>", "/a\ud800b", "/a\udc00", "a/b"]) {
        const bad = Flow.appSettings({ appUrl: "https://app.example", [field]: path })
        assert.deepStrictEqual(bad._tag === "Invalid" ? bad.field : bad._tag, field, `${field} ${path}`)
      }
    }
    // In a route's path, ; ends the path the routers match and * is a wildcard.
    for (const field of ["startPath", "signOutPath", "callbackPath"]) {
      for (const [path, message] of [
        [
          "/auth/plex/a;b",
          "must have no ; (the router ends a request's path at ;: a browser asking for the path would never reach the route)"
        ],
        [
          "/auth/plex/*",
          "must have no * (the router reads * as a wildcard: the route would answer other paths too)"
        ],
        [
          "/auth/plex/a*b",
          "must have no * (the router reads * as a wildcard: the route would answer other paths too)"
        ]
      ] as const) {
        const bad = Flow.appSettings({ appUrl: "https://app.example", [field]: path })
        assert.deepStrictEqual(
          bad._tag === "Invalid" ? [bad.field, bad.message] : bad._tag,
          [field, message],
          `${field} ${path}`
        )
      }
    }
    // homePath is no route of the service: the app's router reads it.
    for (const homePath of ["/app;v=1", "/app:home", "/app/*"]) {
      assert.strictEqual(Flow.appSettings({ appUrl: "https://app.example", homePath })._tag, "Ok", homePath)
    }
    // A : in a route's path is taken: the route is registered with it written ::, a literal : to both routers.
    for (const field of ["startPath", "signOutPath", "callbackPath"]) {
      const ok = Flow.appSettings({ appUrl: "https://app.example", [field]: "/auth/plex/v1:start" })
      assert.strictEqual(ok._tag, "Ok", field)
    }
    assert.strictEqual(SignIn.routePattern("/auth/plex/a:b:c"), "/auth/plex/a::b::c")
    assert.strictEqual(SignIn.routePattern("/auth/plex/callback"), "/auth/plex/callback")
  })

  it("app settings: a path with raw non-ASCII goes into the settings, URLs, Location and a cookie's Path percent-encoded; the routes are registered at it decoded", async () => {
    const checked = Flow.appSettings({
      appUrl: "https://app.example",
      callbackPath: "/zurück/(plex)+1",
      startPath: "/anmelden/日本",
      signOutPath: "/abmelden/ü:1",
      homePath: "/heim/ü'!"
    })
    if (checked._tag !== "Ok") return assert.fail(JSON.stringify(checked))
    const { settings } = checked
    // Each path as a URL writes it: what an app puts in a Location (a header holds no raw non-ASCII), an href or a
    // form's action.
    assert.deepStrictEqual(
      [settings.callbackPath, settings.startPath, settings.signOutPath, settings.homePath],
      ["/zur%C3%BCck/(plex)+1", "/anmelden/%E6%97%A5%E6%9C%AC", "/abmelden/%C3%BC:1", "/heim/%C3%BC'!"]
    )
    // The routes' paths decoded: both routers decode what a browser asks for before they match (its : a literal :).
    assert.deepStrictEqual(
      [settings.callbackPath, settings.startPath, settings.signOutPath].map(SignIn.routePattern),
      ["/zurück/(plex)+1", "/anmelden/日本", "/abmelden/ü::1"]
    )
    // A path as given (no %: routePathProblem) is registered as it is.
    assert.strictEqual(SignIn.routePattern("/anmelden/日本"), "/anmelden/日本")
    assert.strictEqual(SignIn.callbackUrl(settings, "n"), "https://app.example/zur%C3%BCck/(plex)+1?state=n")
    assert.strictEqual(
      Flow.retryPath(settings, "https://app.example/zur%C3%BCck/(plex)+1?state=n"),
      "/zur%C3%BCck/(plex)+1?state=n"
    )
    // The old PIN cookie's deletion: the browser compares its Path with the path it asks for, encoded.
    assert.strictEqual(SignIn.legacyPinCookieDeletion(settings)?.attributes.path, "/zur%C3%BCck/(plex)+1")
    // A path already plain is unchanged, and homePath's %-escapes are kept as written.
    for (const path of ["/auth/plex/callback", "/caf%C3%A9/", "/a%2Fb", "/a%zz", "/a+b@c"]) {
      assert.strictEqual(SignIn.urlPath(path), path)
    }
  })

  it("start, then readPin: the cookie and the URL's state must belong together", async () => {
    const key = await Signed.importKey(KEY)
    const checked = Flow.appSettings({ appUrl: "https://app.example" })
    if (checked._tag !== "Ok") return assert.fail("settings")
    const { settings } = checked
    const started = await Flow.start({
      key,
      settings,
      identity: { clientIdentifier: "cid", product: "App" },
      pin: { id: 7, code: "the-code" },
      now: 1_000,
      pinMillis: 60_000,
      authAppUrl: "https://plex.example/auth"
    })
    const forwardUrl = AuthUrl.authUrlParams(started.url).get("forwardUrl") ?? ""
    const cookie = `${started.cookie.name}=${started.cookie.value}`
    assert.notInclude(started.cookie.value, "the-code")
    assert.deepStrictEqual(await Flow.readPin(key, settings, { cookie, url: forwardUrl }, 2_000), {
      _tag: "Ok",
      pin: { id: 7, code: "the-code", nonce: new URL(forwardUrl).searchParams.get("state") ?? "" }
    })
    const reason = async (request: { cookie: string | undefined; url: string }, now = 2_000) => {
      const read = await Flow.readPin(key, settings, request, now)
      return read._tag === "NotStarted" ? read.reason : "Ok"
    }
    assert.strictEqual(await reason({ cookie: undefined, url: forwardUrl }), "NoCookie")
    assert.strictEqual(
      await reason({ cookie, url: "https://app.example/auth/plex/callback?state=x" }),
      "StateMismatch"
    )
    assert.strictEqual(await reason({ cookie: `${cookie}x`, url: forwardUrl }), "Invalid")
    assert.strictEqual(await reason({ cookie, url: forwardUrl }, 61_000), "Expired")
    // Several values, none this return's: a verified one (a sign-in pending) answers StateMismatch, wherever it is.
    const other = "https://app.example/auth/plex/callback?state=x"
    const name = started.cookie.name
    assert.strictEqual(
      await reason({ cookie: `${name}=v1.not-signed; ${cookie}`, url: other }),
      "StateMismatch"
    )
    assert.strictEqual(await reason({ cookie: `${name}=v1.not-signed; ${cookie}x`, url: other }), "Invalid")
    assert.isTrue(Flow.samePin({ id: 7, code: "the-code", nonce: "n" }, "the-code"))
    assert.isTrue(Flow.samePin({ id: 7, code: "the-code", nonce: "n" }, ""))
    assert.isFalse(Flow.samePin({ id: 7, code: "the-code", nonce: "n" }, "another"))
  })

  it("a new record expires after the idle time, never past the absolute limit", () => {
    const user = { id: 1, uuid: "u", username: "alice", title: "Alice" }
    const record = (idleMillis: number, maxMillis: number) =>
      Flow.newRecord({ token: "t", user, access: "Owner", now: 100, idleMillis, maxMillis, returnState: "n" })
    assert.strictEqual(record(50, 1_000).expiresAt, 150)
    assert.strictEqual(record(5_000, 1_000).expiresAt, 1_100)
    assert.deepStrictEqual(record(50, 1_000).user, { ...user, thumb: undefined })
    assert.strictEqual(record(50, 1_000).returnState, "n")
  })

  it("returnLeadsHome: the return that opened the signed-in session, or one without state, goes home; another sign-in's return does not", () => {
    const checked = SignIn.settings({ appUrl: "https://app.example" })
    if (checked._tag !== "Ok") return assert.fail(checked.message)
    const settings = checked.settings
    const user = { id: 1, uuid: "u", username: "alice", title: "Alice" }
    const record = Flow.newRecord({
      token: "t",
      user,
      access: "Owner",
      now: 0,
      idleMillis: 1_000,
      maxMillis: 5_000,
      returnState: "nonce-a"
    })
    const home = (url: string, r: SignIn.SessionRecord | undefined, now = 10) =>
      Flow.returnLeadsHome({ settings, url, record: r, now, idleMillis: 1_000, maxMillis: 5_000 })
    const callback = "https://app.example/auth/plex/callback"
    // The return link that opened the session, opened again; the callback's address without state (a bookmark).
    assert.isTrue(home(`${callback}?state=nonce-a`, record))
    assert.isTrue(home(callback, record))
    assert.isTrue(home(`${callback}?state=`, record))
    // Another sign-in's return (its PIN cookie lapsed at app.plex.tv: signed in as alice, started as bob), a forged
    // one: not home, whose page says the sign-in was not started here or took too long.
    assert.isFalse(home(`${callback}?state=nonce-b`, record))
    assert.isFalse(home(`${callback}?state=nonce-a%20`, record))
    // A session opened before returnState was kept: only the return without state goes home.
    const { returnState: _, ...older } = record
    assert.isFalse(home(`${callback}?state=nonce-a`, older))
    assert.isTrue(home(callback, older))
    // No session, or one ended (idle).
    assert.isFalse(home(callback, undefined))
    assert.isFalse(home(`${callback}?state=nonce-a`, record, 1_000))
    // One whose access plex.tv refused since (deniedAt: authenticate's AccessDenied): not signed in here either.
    assert.isFalse(home(`${callback}?state=nonce-a`, { ...record, deniedAt: 5 }))
    assert.isFalse(home(callback, { ...record, deniedAt: 5 }))
    // Who the browser is still signed in as, for the page of a return that does not go home: the live session's
    // user; no one for none, one ended or one refused since.
    const as = (r: SignIn.SessionRecord | undefined, now = 10) =>
      Flow.signedInAs({ record: r, now, idleMillis: 1_000, maxMillis: 5_000 })
    assert.strictEqual(as(record), "alice")
    assert.isUndefined(as(undefined))
    assert.isUndefined(as(record, 1_000))
    assert.isUndefined(as({ ...record, deniedAt: 5 }))
  })
})

describe("core/web: pages and the app.plex.tv URL", () => {
  it("a refusal page's button says what its text asks: Start again after a refusal that ends the sign-in, Try again where the start or this return is tried again", () => {
    const refusals: ReadonlyArray<Pages.Refusal> = [
      { _tag: "NotStarted" },
      { _tag: "NotStarted", anotherPending: true },
      { _tag: "NotStarted", noState: true },
      { _tag: "NotApproved" },
      { _tag: "PinExpired" },
      { _tag: "Unavailable" },
      { _tag: "Unavailable", atStart: true },
      { _tag: "Unavailable", retryPath: "/cb?state=s" },
      { _tag: "NotSaved" },
      { _tag: "NotSaved", retryPath: "/cb?state=s" },
      { _tag: "TooMany" }
    ]
    const labels = refusals.map((refusal) => {
      const page = Pages.refusalPage(refusal, "/start", "/home")
      const button = /<a class="button" href="[^"]*">([^<]*)<\/a>/.exec(page)?.[1] ?? "(none)"
      const text = /<p id="reason">([^<]*)<\/p>/.exec(page)?.[1] ?? ""
      assert.include(text.toLowerCase(), button.toLowerCase(), JSON.stringify(refusal))
      return button
    })
    assert.deepStrictEqual(labels, [
      "Start again",
      "Start again",
      "Start again",
      "Start again",
      "Start again",
      "Start again",
      "Try again",
      "Try again",
      "Start again",
      "Try again",
      "Try again"
    ])
  })

  it("a not-started page of a signed-in browser says who it is still signed in as, escaped", () => {
    const refusal = Pages.refusalFor(
      { _tag: "SignInNotStarted", reason: "NoCookie" },
      undefined,
      false,
      "<b>alice</b>"
    )
    assert.deepStrictEqual(refusal, { _tag: "NotStarted", signedInAs: "<b>alice</b>" })
    const page = Pages.refusalPage(refusal, "/start", "/home")
    assert.include(
      page,
      "This sign-in was not started in this browser, or it took too long. Please start again. " +
        "You are still signed in as &lt;b&gt;alice&lt;/b&gt;."
    )
    assert.notInclude(Pages.refusalPage({ _tag: "NotStarted" }, "/start"), "still signed in")
    // Only for a return not started here: no other refusal takes it.
    assert.deepStrictEqual(Pages.refusalFor({ _tag: "SignInExpired" }, undefined, false, "alice"), {
      _tag: "PinExpired"
    })
  })

  it("escapes what it shows", () => {
    const html = Pages.refusalPage({ _tag: "NoAccess", username: '<script>alert("x")</script>' }, "/start")
    // Refused for the account: not "Try again" (the same account is refused again), another account.
    assert.include(html, '<a class="button" href="/start">Sign in with another Plex account</a>')
    assert.notInclude(html, "Try again")
    assert.notInclude(html, "<script>")
    assert.include(html, "&lt;script&gt;")
    assert.strictEqual(Pages.refusalStatus({ _tag: "NoAccess", username: "x" }), 403)
    assert.strictEqual(Pages.refusalStatus({ _tag: "Unavailable" }), 503)
  })

  it("builds the app.plex.tv URL with forwardUrl and context[device][product] in the fragment", () => {
    const url = AuthUrl.authUrl({
      clientIdentifier: "cid",
      code: "the-code",
      product: "My App",
      platform: "Web",
      forwardUrl: "https://app.example/cb?state=n"
    })
    assert.isTrue(url.startsWith("https://app.plex.tv/auth#?"))
    const params = AuthUrl.authUrlParams(url)
    assert.strictEqual(params.get("clientID"), "cid")
    assert.strictEqual(params.get("code"), "the-code")
    assert.strictEqual(params.get("context[device][product]"), "My App")
    assert.strictEqual(params.get("context[device][platform]"), "Web")
    assert.strictEqual(params.get("forwardUrl"), "https://app.example/cb?state=n")
    // Only the fragment carries the code: it never reaches a server or a Referer.
    assert.notInclude(new URL(url).origin + new URL(url).pathname + new URL(url).search, "the-code")
    assert.isTrue(
      AuthUrl.authUrl({
        clientIdentifier: "c",
        code: "x",
        product: "p",
        appUrl: "http://127.0.0.1:9/auth"
      }).startsWith("http://127.0.0.1:9/auth#?")
    )
  })
})

describe("core/web: the sign-in's defaults, shared by both editions", () => {
  it("durations: sessions idle 7 days, at most 30; PIN cookie 15 minutes; approval wait 3 s; access 5 minutes, grace 1 hour, wait 3 s; the whole callback 15 s; 30 starts a minute", () => {
    const day = 24 * 60 * 60 * 1000
    assert.deepStrictEqual(
      Object.fromEntries(Object.entries(SignIn.durations).map(([k, v]) => [k, v.defaultMillis])),
      {
        sessionIdle: 7 * day,
        sessionMax: 30 * day,
        pinLifetime: 15 * 60_000,
        approvalWait: 3000,
        accessTtl: 5 * 60_000,
        accessGrace: 60 * 60_000,
        accessWait: 3000,
        callbackWait: 15_000,
        startLimitWindow: 60_000
      }
    )
    // At most 30 PINs a minute from the start, by default; a window of less than a second is refused.
    assert.strictEqual(Flow.defaultStartLimit, 30)
    assert.strictEqual(SignIn.durations.startLimitWindow.minimumMillis, 1000)
    // A session or PIN cookie of less than a second could not be set; waiting and caching may be off.
    assert.strictEqual(SignIn.durations.sessionIdle.minimumMillis, 1000)
    assert.strictEqual(SignIn.durations.approvalWait.minimumMillis, 0)
    // An access check is always waited for a little: a zero wait would never take plex.tv's answer.
    assert.strictEqual(SignIn.durations.accessWait.minimumMillis, 1)
    assert.strictEqual(SignIn.defaultStorePrefix, "plex-session:")
    // callbackWait leaves at least 1 s after approvalWait for the rest of the return; the defaults do (15 s, 3 s).
    assert.strictEqual(SignIn.callbackRoomMillis, 1000)
    assert.isUndefined(
      SignIn.callbackWaitProblem(
        SignIn.durations.approvalWait.defaultMillis,
        SignIn.durations.callbackWait.defaultMillis
      )
    )
    assert.isUndefined(SignIn.callbackWaitProblem(3000, 4000))
    assert.isUndefined(SignIn.callbackWaitProblem(0, 1000))
    assert.strictEqual(
      SignIn.callbackWaitProblem(3000, 3999),
      "must be at least approvalWait (3000 ms) plus 1000 ms for the user, the access check and the save"
    )
    assert.isDefined(SignIn.callbackWaitProblem(0, 999))
    assert.deepStrictEqual(Pages.privateHeaders, {
      "cache-control": "no-store",
      "referrer-policy": "no-referrer"
    })
  })
})

describe("core/web: a sign-out wins over a sign-in in flight (Flow.SignOuts)", () => {
  it("ends a sign-in until its PIN cookie expires; hands over the session its return opened; stays bounded", () => {
    const signOuts = new Flow.SignOuts()
    // A return that opened its session before any sign-out: kept, named to a later sign-out.
    assert.isTrue(signOuts.opened("a", "session-a", 1000, 0))
    assert.isFalse(signOuts.ended("a", 10))
    assert.isFalse(signOuts.returned("a"))
    assert.strictEqual(signOuts.end("a", 1010, 10, false), "session-a")
    assert.isTrue(signOuts.ended("a", 20))
    // Its return opened a session (a later sign-out checking its PIN revokes that session's token), kept by a later end.
    assert.isTrue(signOuts.returned("a"))
    assert.isUndefined(signOuts.end("a", 1010, 15, true))
    assert.isTrue(signOuts.returned("a"))
    // Ended, a return of it opens nothing (its session is not named again).
    assert.isFalse(signOuts.opened("a", "session-a2", 1020, 20))
    assert.isUndefined(signOuts.end("a", 1030, 30, false))
    // Once the PIN cookie has expired no return can come: forgotten.
    assert.isFalse(signOuts.ended("a", 1030))
    // A sign-out ending a sign-in nothing opened yet: nothing to remove, and its return opens nothing.
    assert.isUndefined(signOuts.end("b", 2000, 0, false))
    assert.isFalse(signOuts.opened("b", "session-b", 2000, 1))
    assert.isFalse(signOuts.returned("b"))
    assert.isFalse(signOuts.revokes("b"))
    // One that revokes: the token its return obtains is revoked.
    assert.isUndefined(signOuts.end("c", 2000, 0, true))
    assert.isFalse(signOuts.opened("c", "session-c", 2000, 1))
    assert.isTrue(signOuts.revokes("c"))
    // A later sign-out of that browser that does not revoke (a second tab's, sent with the same PIN cookie) does not
    // take back the revocation the first asked for: the token its return obtains is still revoked.
    assert.isUndefined(signOuts.end("d", 2000, 0, true))
    assert.isUndefined(signOuts.end("d", 2000, 1, false))
    assert.isFalse(signOuts.opened("d", "session-d", 2000, 2))
    assert.isTrue(signOuts.revokes("d"))
    // At most Flow.maxSignOutEntries: the oldest goes first.
    for (let i = 0; i < Flow.maxSignOutEntries; i++) signOuts.end(`n${i}`, 5000, 2, false)
    assert.isFalse(signOuts.ended("b", 3))
    assert.isTrue(signOuts.ended("n0", 3))
    assert.isTrue(signOuts.ended(`n${Flow.maxSignOutEntries - 1}`, 3))
  })

  it("a return's end drops its entry and decides in one step (returnEnded): a sign-out before it leaves the PIN to it, one after checks it", () => {
    const signOuts = new Flow.SignOuts()
    const inFlight = new Map([
      ["early", 1],
      ["late", 2]
    ])
    // A sign-out that revokes while the return is still listed: it finds it in flight (checksPendingPin false), and
    // the return, at its end, revokes.
    signOuts.end("early", 2000, 0, true)
    assert.isFalse(Flow.checksPendingPin({ revoke: true, opened: false, inFlight: inFlight.has("early") }))
    assert.isTrue(signOuts.returnEnded("early", 1, inFlight))
    assert.isFalse(inFlight.has("early"))
    // A return that ends before the sign-out: no longer listed when the sign-out comes, which checks the PIN itself.
    assert.isFalse(signOuts.returnEnded("late", 1, inFlight))
    signOuts.end("late", 2000, 2, true)
    assert.isTrue(Flow.checksPendingPin({ revoke: true, opened: false, inFlight: inFlight.has("late") }))
    // A sign-out that does not revoke leaves nothing to revoke; a return with no entry (past maxReturnsInFlight) decides
    // all the same.
    signOuts.end("kept", 2000, 0, false)
    assert.isFalse(signOuts.returnEnded("kept", 1))
    signOuts.end("unlisted", 2000, 0, true)
    assert.isTrue(signOuts.returnEnded("unlisted", 1))
  })

  it("past the bound, a session a return opened goes first: ordinary sign-ins never make a sign-out forgotten", () => {
    const signOuts = new Flow.SignOuts()
    signOuts.end("ended", 5000, 0, false)
    // More returns open sessions than the bound: each pushes out the oldest session recorded, never the ended sign-in.
    for (let i = 0; i <= Flow.maxSignOutEntries; i++)
      assert.isTrue(signOuts.opened(`o${i}`, `s${i}`, 5000, 1))
    assert.isTrue(signOuts.ended("ended", 2))
    assert.isFalse(signOuts.opened("ended", "late", 5000, 2))
    // The oldest sessions were forgotten, the newest are still handed to a sign-out.
    assert.isUndefined(signOuts.end("o0", 5000, 3, false))
    assert.strictEqual(
      signOuts.end(`o${Flow.maxSignOutEntries}`, 5000, 3, false),
      `s${Flow.maxSignOutEntries}`
    )
    // Full of ended sign-ins: a session opened is not recorded (nothing ended is pushed out for it).
    const full = new Flow.SignOuts()
    for (let i = 0; i < Flow.maxSignOutEntries; i++) full.end(`e${i}`, 5000, 0, false)
    assert.isTrue(full.opened("new", "s-new", 5000, 1))
    assert.isTrue(full.ended("e0", 2))
    assert.isUndefined(full.end("new", 5000, 2, false))
    // Ended ones make room for each other, the oldest first.
    full.end("e-last", 5000, 3, false)
    assert.isFalse(full.ended("e0", 4))
    assert.isTrue(full.ended("e-last", 4))
  })

  it("reads the nonces of the PIN cookies a Cookie header sends that verify, whatever return they are for", async () => {
    const key = await Signed.importKey("unit-test-session-key-0123456789abcdefgh")
    const checked = SignIn.settings({ appUrl: "https://media.example.com" })
    if (checked._tag !== "Ok") return assert.fail(checked.message)
    const settings = checked.settings
    const value = await Signed.sign(
      key,
      SignIn.pinPurpose,
      SignIn.pinData({ id: 7, code: "AB12", nonce: "n-7" }),
      1000
    )
    const name = settings.pinCookie
    assert.deepStrictEqual(await Flow.pendingNonces(key, settings, `${name}=${value}; other=1`, 0), ["n-7"])
    // Expired, tampered, or none at all: no sign-in to end.
    assert.deepStrictEqual(await Flow.pendingNonces(key, settings, `${name}=${value}`, 2000 * 1000), [])
    assert.deepStrictEqual(await Flow.pendingNonces(key, settings, `${name}=${value}x`, 0), [])
    assert.deepStrictEqual(await Flow.pendingNonces(key, settings, undefined, 0), [])
    // Empty values are skipped before the first Flow.maxPinCookieValues are taken, as the return (readPin) skips them:
    // a value the return takes is one the sign-out ends.
    const empties = Array.from({ length: Flow.maxPinCookieValues }, () => `${name}=`).join("; ")
    const browser = `${empties}; ${name}=${value}`
    const url = `https://media.example.com/auth/callback?state=n-7`
    assert.strictEqual((await Flow.readPin(key, settings, { cookie: browser, url }, 0))._tag, "Ok")
    assert.deepStrictEqual(await Flow.pendingNonces(key, settings, browser, 0), ["n-7"])
    // The same PINs whole, for a sign-out that revokes to check at plex.tv.
    assert.deepStrictEqual(await Flow.pendingPins(key, settings, browser, 0), [
      { id: 7, code: "AB12", nonce: "n-7" }
    ])
    // One PIN cookie sent twice (its old path's and its new one's): one sign-in, given once.
    assert.deepStrictEqual(await Flow.pendingPins(key, settings, `${name}=${value}; ${name}=${value}`, 0), [
      { id: 7, code: "AB12", nonce: "n-7" }
    ])
  })

  it("a sign-out asks plex.tv for a pending PIN only when it revokes and nothing else revokes that PIN's token", () => {
    const none = { revoke: true, opened: false, inFlight: false }
    assert.isTrue(Flow.checksPendingPin(none))
    // Not revoking; its session's token revoked instead; its return in flight revokes what it obtains.
    for (const field of ["opened", "inFlight"] as const) {
      assert.isFalse(Flow.checksPendingPin({ ...none, [field]: true }), field)
    }
    assert.isFalse(Flow.checksPendingPin({ ...none, revoke: false }))
    // One sign-out asks at a time; one that had no answer (or was interrupted) leaves it to a later one, at most
    // maxPendingPinChecks in all; one that found what settles it, to none (kept by a later `end`, too).
    const signOuts = new Flow.SignOuts()
    signOuts.end("n", 5000, 0, true)
    // Without `claim` (a check the sign-out will not send, its wait over), only whether it would be: nothing held, not
    // counted towards maxPendingPinChecks.
    for (let n = 0; n < 5; n++) assert.isTrue(signOuts.claimPinCheck("n", 1, false))
    assert.isTrue(signOuts.claimPinCheck("n", 1))
    assert.isFalse(signOuts.claimPinCheck("n", 1), "asked by another sign-out meanwhile")
    assert.isFalse(signOuts.claimPinCheck("n", 1, false), "asked by another sign-out meanwhile")
    // What the Warning of a request cut short says: the 5 s a request waits, or the sign-out's 10 s in all.
    assert.strictEqual(Flow.waitedFor(Flow.revokeWaitMillis), "within 5 s")
    for (const wait of [4_999, 1, 0]) assert.strictEqual(Flow.waitedFor(wait), "within the sign-out's 10 s")
    assert.strictEqual(Flow.signOutRequestsWaitMillis, 2 * Flow.revokeWaitMillis)
    signOuts.pinChecked("n", false)
    signOuts.end("n", 5000, 2, true)
    assert.isTrue(signOuts.claimPinCheck("n", 2))
    signOuts.pinChecked("n", false)
    assert.strictEqual(Flow.maxPendingPinChecks, 3)
    assert.isTrue(signOuts.claimPinCheck("n", 3))
    signOuts.pinChecked("n", false)
    assert.isFalse(signOuts.claimPinCheck("n", 4), "past maxPendingPinChecks")
    assert.isTrue(signOuts.claimPinCheck("n", 5000), "past its PIN cookie's expiry")
    signOuts.end("m", 5000, 0, true)
    assert.isTrue(signOuts.claimPinCheck("m", 1))
    signOuts.pinChecked("m", true)
    signOuts.end("m", 5000, 2, true)
    assert.isFalse(signOuts.claimPinCheck("m", 2), "settled")
    // A return in flight that revoked the token it obtained settles it too.
    signOuts.end("r", 5000, 0, true)
    signOuts.pinRevoked("r")
    signOuts.end("r", 5000, 2, true)
    assert.isFalse(signOuts.claimPinCheck("r", 2), "revoked by its return")
    for (const tag of ["Revoked", "NotApproved", "Expired"] as const)
      assert.isTrue(Flow.settlesPendingPin({ _tag: tag }))
    assert.isFalse(Flow.settlesPendingPin({ _tag: "NotRevoked" }))
    assert.isFalse(Flow.settlesPendingPin({ _tag: "Unchecked", failure: "NetworkError" }))
    // What it found is logged, a failure to ask as a Warning, the revocation's own failure by its own Warning.
    assert.strictEqual(Flow.pendingPinLog({ _tag: "Revoked" })?.level, "Info")
    // Revoked: its return never finished, unless one opened a session a sign-out ended (SignOuts.returned).
    assert.include(Flow.pendingPinLog({ _tag: "Revoked" })?.message, "its return never finished")
    const returned = Flow.pendingPinLog({ _tag: "Revoked" }, true)
    assert.include(returned?.message, "its return opened a session, since ended")
    assert.notInclude(returned?.message, "never finished")
    assert.strictEqual(Flow.pendingPinLog({ _tag: "NotApproved" })?.level, "Info")
    assert.strictEqual(Flow.pendingPinLog({ _tag: "Expired" })?.level, "Info")
    assert.isUndefined(Flow.pendingPinLog({ _tag: "NotRevoked" }))
    const unchecked = Flow.pendingPinLog({ _tag: "Unchecked", failure: "RateLimited" })
    assert.strictEqual(unchecked?.level, "Warning")
    assert.include(unchecked?.message, "(RateLimited)")
  })
})
