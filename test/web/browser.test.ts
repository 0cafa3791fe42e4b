/**
 * "Sign in with Plex", proven in a real browser: headless Chromium (Debian's
 * `chromium-headless-shell`, installed by scripts/chromium.mjs from `npm ci`;
 * see ./chromium.ts) driven by `playwright-core` through the example app
 * (examples/web-sign-in) against the fake Plex and the app.plex.tv stand-in,
 * all on loopback.
 *
 * Without the shell the tests drive Debian's full `chromium` when that is
 * installed; without either they are skipped with a plain message; under
 * `CI=true` they fail instead. No sleeps: every wait is on a page event or a
 * selector.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, assert, beforeAll, beforeEach, describe, it } from "vitest"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime, Redacted, Tracer } from "effect"
import type { BrowserContext, Page } from "playwright-core"
import { chromium } from "playwright-core"
import { Example, layer } from "../../examples/web-sign-in/server.js"
import { authUrlParams } from "../../src/core/authUrl.js"
import * as CoreCookies from "../../src/core/web/cookies.js"
import * as Core from "../../src/core/web/signIn.js"
import * as Signed from "../../src/core/web/signed.js"
import { RecordedSpan, assertNoSecrets } from "../support/observe.js"
import { available, CHROMIUM, missingUnderCi, warnIfMissing } from "./chromium.js"

const ci = process.env["CI"] === "true"
const SESSION_KEY = "browser-test-session-key-0123456789abcdef"
// The example reads its key from Config (PLEX_SESSION_KEY).
process.env["PLEX_SESSION_KEY"] = SESSION_KEY

warnIfMissing("test/web/browser.test.ts")

describe.runIf(!available && ci)("browser tests under CI=true", () => {
  it("never skip: Chromium must be installed", () => {
    assert.fail(missingUnderCi)
  })
})

// Everything the server side logs and traces, searched for secrets at the end.
const logLines: Array<string> = []
const spans: Array<RecordedSpan> = []
const ObserveLive = Layer.mergeAll(
  Logger.replace(
    Logger.defaultLogger,
    Logger.make((options) => {
      logLines.push(Logger.stringLogger.log(options))
    })
  ),
  Logger.minimumLogLevel(LogLevel.All),
  Layer.setTracer(
    Tracer.make({
      span: (name, parent, context, links, startTime, kind) => {
        const span = new RecordedSpan(name, parent, context, links, startTime, kind, spans.length)
        spans.push(span)
        return span
      },
      context: (f) => f()
    })
  )
)

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync"
]

describe.runIf(available)("Sign in with Plex in Chromium", { timeout: 90_000 }, () => {
  const runtime = ManagedRuntime.make(layer().pipe(Layer.provide(ObserveLive)))
  let context: BrowserContext
  let profile: string
  let appUrl = ""
  let authAppUrl = ""
  /** Every URL the browser requested, every Set-Cookie the app sent, every app page it was shown. */
  const requested: Array<string> = []
  const setCookies: Array<string> = []
  const cookieReads: Array<Promise<void>> = []
  const pages: Array<Promise<string>> = []

  const pins = () => runtime.runPromise(Effect.flatMap(Example, (e) => e.fake.pins))

  beforeAll(async () => {
    const example = await runtime.runPromise(Example)
    appUrl = example.appUrl
    authAppUrl = example.authAppUrl
    profile = mkdtempSync(join(tmpdir(), "web-sign-in-chromium-"))
    // No "Local State" turning off the address bar's suggestion popup, as this file did on Debian's full
    // chromium (which builds it as a web page of its own, in a renderer process, in every window): the
    // headless shell has no address bar (see browserAppHarness.ts `launch`).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS
    })
    context.on("request", (request) => requested.push(request.url()))
    context.on("response", (response) => {
      if (!response.url().startsWith(appUrl)) return
      cookieReads.push(
        response.headersArray().then((headers) => {
          for (const h of headers) if (h.name.toLowerCase() === "set-cookie") setCookies.push(h.value)
        })
      )
      if ((response.headers()["content-type"] ?? "").includes("html")) {
        pages.push(response.text().catch(() => ""))
      }
    })
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await runtime.dispose()
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
  }, 60_000)

  /** How much was recorded when the test started: its own journey must add to each. */
  let before = { requested: 0, pages: 0, logLines: 0, spans: 0, pins: 0 }

  beforeEach(async () => {
    await context.clearCookies()
    before = {
      requested: requested.length,
      pages: pages.length,
      logLines: logLines.length,
      spans: spans.length,
      pins: (await pins()).length
    }
  })

  /**
   * After every test, on its own (in any order, or alone): no token, PIN code, session id or the session key
   * in a URL the browser requested, an app page, a log line or a span recorded so far, and the test's own
   * journey recorded in each (a PIN started, requests, pages, log lines, spans). Checked once at the end of
   * the file before, by a test that relied on the others having run first.
   */
  afterEach(async () => {
    const all = await pins()
    assert.isAbove(all.length, before.pins, "the test started no PIN")
    const codes = all.map((p) => p.code)
    const tokens = all.flatMap((p) => (p.authToken ? [Redacted.value(p.authToken)] : []))
    // Every Set-Cookie read (each read is a promise of the response's headers): the session ids among them.
    await Promise.all(cookieReads)
    // The session cookies' values (each a signed session id) are secrets too, outside the cookie jar.
    const sessions = setCookies
      .map(CoreCookies.parseSetCookie)
      .flatMap((c) => (c?.name === "plex_session" && c.value !== "" ? [c.value] : []))
    // The test's own session (when it left one open) among them.
    for (const c of await cookiesOf()) if (c.name === "plex_session") assert.include(sessions, c.value)
    // The session id each cookie signs, a secret of its own: a log line naming it would not name the cookie.
    const key = await Signed.importKey(SESSION_KEY)
    const sessionIds = await Promise.all(
      sessions.map(async (value) => {
        const verified = await Signed.verify([key], Core.sessionPurpose, value, Date.now())
        const id = verified._tag === "Valid" ? Core.readSessionData(verified.data) : undefined
        assert.isDefined(id, "a session cookie the app signed")
        return id ?? ""
      })
    )
    const secrets = [SESSION_KEY, ...codes, ...tokens, ...sessions, ...sessionIds]
    // URLs: what the browser requested carries none (a URL's fragment is never sent).
    assert.isAbove(requested.length, before.requested)
    assertNoSecrets(requested, secrets)
    // Only the app.plex.tv URL carries the code, in its fragment, as Plex's protocol has it.
    assertNoSecrets(
      requested.filter((url) => url.startsWith(appUrl)),
      secrets
    )
    const texts = await Promise.all(pages)
    assert.isAbove(texts.length, before.pages)
    assertNoSecrets(texts, secrets)
    assert.isAbove(logLines.length, before.logLines)
    assertNoSecrets(logLines, secrets)
    assert.isAbove(spans.length, before.spans)
    assert.isTrue(
      spans.slice(before.spans).some((s) => s.name === "WebSignIn.callback"),
      [...new Set(spans.slice(before.spans).map((s) => s.name))].join(", ")
    )
    assertNoSecrets(
      spans.map((s) => s.render()),
      secrets
    )
  })

  /**
   * The one tab, blank again: every test uses the tab the browser opened at launch. A new tab for
   * each test was a new window each time, with renderer processes of its own (the file took 14.4
   * CPU-s against 11.7 with one tab, same machine). Nothing of a test stays in the tab once it has
   * left the app's pages: neither the app nor the approval page keeps state in the tab (no storage),
   * and the cookies are the browser context's, cleared before each test.
   */
  const blankPage = async (): Promise<Page> => {
    const [page, ...others] = context.pages()
    for (const open of others) await open.close()
    const tab = page ?? (await context.newPage())
    await tab.goto("about:blank")
    return tab
  }

  const cookiesOf = async () => context.cookies(appUrl)

  /** Home → "Sign in with Plex" → the approval page → Allow as `username`; answers the callback's status. */
  const signIn = async (page: Page, username: string): Promise<number> => {
    await page.goto(`${appUrl}/`)
    await Promise.all([page.waitForURL(`${authAppUrl}#?**`), page.click("#sign-in")])
    await page.waitForSelector("#approve[data-ready=true]")
    await page.selectOption("#account", username)
    const [callback] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(`${appUrl}/auth/plex/callback`)),
      page.click("#allow")
    ])
    await page.waitForLoadState("load")
    return callback.status()
  }

  const apiMe = (page: Page) => page.request.get(`${appUrl}/api/me`)

  it("signs the owner in: name and access level shown, session cookie HttpOnly, SameSite=Lax, Path=/", async () => {
    const page = await blankPage()
    assert.strictEqual(await signIn(page, "alice"), 303)
    await page.waitForSelector("#access")
    assert.strictEqual(page.url(), `${appUrl}/`)
    assert.strictEqual(await page.textContent("#name"), "Alice Owner")
    assert.strictEqual(await page.textContent("#username"), "alice")
    assert.strictEqual(await page.textContent("#access"), "Owner")

    const cookies = await cookiesOf()
    const session = cookies.find((c) => c.name === "plex_session")
    assert.isDefined(session)
    assert.isTrue(session?.httpOnly)
    assert.strictEqual(session?.sameSite, "Lax")
    assert.strictEqual(session?.path, "/")
    // Loopback is http: not Secure here (an https app URL makes it Secure and __Host-, see WebSignIn.test.ts).
    assert.isFalse(session?.secure)
    assert.isTrue((session?.expires ?? 0) > Date.now() / 1000)
    // The PIN-flow cookie was used once and deleted.
    assert.isUndefined(cookies.find((c) => c.name === "plex_session_pin"))
    // The cookie holds a signed session id only: not the Plex token.
    const tokens = (await pins()).flatMap((p) => (p.authToken ? [Redacted.value(p.authToken)] : []))
    assert.isAbove(tokens.length, 0)
    for (const token of tokens) assert.notInclude(decodeURIComponent(session?.value ?? ""), token)
    // The Set-Cookie headers themselves, as the app sent them.
    const parsed = setCookies.map(CoreCookies.parseSetCookie).filter((c) => c?.name === "plex_session_pin")
    assert.isTrue(parsed.some((c) => c?.attributes.httpOnly && c.attributes.sameSite === "Lax"))
    assert.isTrue(parsed.some((c) => c?.attributes.path === "/"))

    const me = await apiMe(page)
    assert.strictEqual(me.status(), 200)
    assert.include(await me.json(), { username: "alice", access: "Owner" })

    mkdirSync(".tmp/web-sign-in", { recursive: true })
    await page.screenshot({ path: ".tmp/web-sign-in/signed-in.png", fullPage: true })
    assert.isTrue(existsSync(".tmp/web-sign-in/signed-in.png"))
  })

  it("signs a Plex Home member in as HomeMember", async () => {
    const page = await blankPage()
    assert.strictEqual(await signIn(page, "bob"), 303)
    await page.waitForSelector("#access")
    assert.strictEqual(await page.textContent("#name"), "Bob Home")
    assert.strictEqual(await page.textContent("#access"), "HomeMember")
  })

  it("signs a friend the server is shared with in as Shared", async () => {
    const page = await blankPage()
    assert.strictEqual(await signIn(page, "carol"), 303)
    await page.waitForSelector("#access")
    assert.strictEqual(await page.textContent("#name"), "Carol Friend")
    assert.strictEqual(await page.textContent("#access"), "Shared")
  })

  it("refuses a stranger with a clear page, and opens no session", async () => {
    const page = await blankPage()
    assert.strictEqual(await signIn(page, "dave"), 403)
    await page.waitForSelector("#refused")
    assert.strictEqual(await page.getAttribute("#refused", "data-reason"), "NoAccess")
    assert.strictEqual(await page.textContent("#refused"), "No access")
    assert.include(await page.textContent("#reason"), "You signed in with Plex as dave")
    // Not "Try again": that account would be refused again.
    assert.strictEqual(await page.textContent("a.button"), "Sign in with another Plex account")
    assert.isUndefined((await cookiesOf()).find((c) => c.name === "plex_session"))
    assert.strictEqual((await apiMe(page)).status(), 401)
  })

  it("signs out: the cookie is deleted and the session ends server side", async () => {
    const page = await blankPage()
    await signIn(page, "alice")
    await page.waitForSelector("#sign-out")
    const session = (await cookiesOf()).find((c) => c.name === "plex_session")
    assert.isDefined(session)
    await Promise.all([page.waitForURL(`${appUrl}/`), page.click("#sign-out")])
    await page.waitForSelector("#sign-in")
    assert.isUndefined((await cookiesOf()).find((c) => c.name === "plex_session"))
    assert.strictEqual((await apiMe(page)).status(), 401)
    // The old cookie, replayed, opens nothing: the session is gone from the store.
    if (session !== undefined) await context.addCookies([session])
    assert.strictEqual((await apiMe(page)).status(), 401)
    await page.goto(`${appUrl}/`)
    await page.waitForSelector("#sign-in")
  })

  it("the return link opened again once signed in (a second tab, a bookmark) lands on the home page, still signed in", async () => {
    const page = await blankPage()
    await page.goto(`${appUrl}/`)
    await Promise.all([page.waitForURL(`${authAppUrl}#?**`), page.click("#sign-in")])
    await page.waitForSelector("#approve[data-ready=true]")
    await page.selectOption("#account", "alice")
    const [callback] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(`${appUrl}/auth/plex/callback`)),
      page.click("#allow")
    ])
    await page.waitForSelector("#access")
    const returnUrl = callback.url()
    const session = (await cookiesOf()).find((c) => c.name === "plex_session")
    assert.isDefined(session)
    // A second tab opens the return link (its PIN cookie used up), then the return address from a bookmark.
    const tab = await context.newPage()
    for (const url of [returnUrl, `${appUrl}/auth/plex/callback`]) {
      const again = await tab.goto(url)
      assert.strictEqual(again?.status(), 200, url)
      assert.strictEqual(tab.url(), `${appUrl}/`, url)
      assert.strictEqual(await tab.textContent("#username"), "alice", url)
    }
    // The same session: no cookie set again.
    assert.strictEqual((await cookiesOf()).find((c) => c.name === "plex_session")?.value, session?.value)
    await tab.close()
    // Signed out, the return link is the page it was.
    await Promise.all([page.waitForURL(`${appUrl}/`), page.click("#sign-out")])
    await page.waitForSelector("#sign-in")
    const signedOut = await page.goto(returnUrl)
    assert.strictEqual(signedOut?.status(), 400)
    assert.strictEqual(await page.getAttribute("#refused", "data-reason"), "NotStarted")
  })

  it("signed in as alice, a sign-in as bob whose PIN cookie lapsed at the approval page: its page, still alice", async () => {
    const page = await blankPage()
    assert.strictEqual(await signIn(page, "alice"), 303)
    await page.waitForSelector("#access")
    const session = (await cookiesOf()).find((c) => c.name === "plex_session")
    // Another sign-in (as bob, from the start address); at the approval page long enough for the PIN cookie to lapse
    // (pinLifetime, 15 min): the browser drops it (its Max-Age), as it is dropped here.
    await Promise.all([page.waitForURL(`${authAppUrl}#?**`), page.goto(`${appUrl}/auth/plex/start`)])
    await page.waitForSelector("#approve[data-ready=true]")
    await context.clearCookies({ name: "plex_session_pin" })
    await page.selectOption("#account", "bob")
    const [callback] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(`${appUrl}/auth/plex/callback`)),
      page.click("#allow")
    ])
    await page.waitForLoadState("load")
    // Not the home page, as if bob had signed in: the sign-in's page (not started here, or took too long).
    assert.strictEqual(callback.status(), 400)
    assert.strictEqual(await page.getAttribute("#refused", "data-reason"), "NotStarted")
    assert.include(await page.textContent("#reason"), "took too long")
    assert.include(await page.textContent("#reason"), "You are still signed in as alice.")
    // Still alice, with the same session.
    assert.strictEqual((await cookiesOf()).find((c) => c.name === "plex_session")?.value, session?.value)
    await page.goto(`${appUrl}/`)
    assert.strictEqual(await page.textContent("#username"), "alice")
  })

  it("refuses a forged callback: no PIN started in this browser, or another browser's return", async () => {
    const page = await blankPage()
    // 1. A callback this browser never started.
    const forged = await page.goto(`${appUrl}/auth/plex/callback?state=forged`)
    assert.strictEqual(forged?.status(), 400)
    assert.strictEqual(await page.getAttribute("#refused", "data-reason"), "NotStarted")

    // 2. Login CSRF: an attacker starts a sign-in in their own browser, approves it as themselves, and
    //    sends the victim the return link. The victim's browser holds no PIN cookie for it: refused.
    const started = await fetch(`${appUrl}/auth/plex/start`, { redirect: "manual" })
    const location = started.headers.get("location") ?? ""
    const params = authUrlParams(location)
    const forwardUrl = params.get("forwardUrl") ?? ""
    await runtime.runPromise(
      Effect.flatMap(Example, (e) => e.fake.approvePin(params.get("code") ?? "", { account: "dave" }))
    )
    const csrf = await page.goto(forwardUrl)
    assert.strictEqual(csrf?.status(), 400)
    assert.strictEqual(await page.getAttribute("#refused", "data-reason"), "NotStarted")
    assert.isUndefined((await cookiesOf()).find((c) => c.name === "plex_session"))

    // 3. The victim has a sign-in of their own under way (a PIN cookie): the attacker's return still does not match it.
    await page.goto(`${appUrl}/`)
    await Promise.all([page.waitForURL(`${authAppUrl}#?**`), page.click("#sign-in")])
    const mismatch = await page.goto(forwardUrl)
    assert.strictEqual(mismatch?.status(), 400)
    assert.isUndefined((await cookiesOf()).find((c) => c.name === "plex_session"))
    assert.strictEqual((await apiMe(page)).status(), 401)
  })
})
