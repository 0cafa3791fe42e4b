/**
 * A browser-only "Sign in with Plex" app on the Effect 3 edition, in a real browser: the app of docs/pin-login.md's
 * "A browser app" (fixtures/browserApp.ts, bundled for the browser with esbuild), served from its own loopback
 * origin, against the fake Plex on its loopback ports, which allows that origin (`allowOrigins`): headless Chromium,
 * CORS enforced. The twin of effect4/test/web/browserApp.test.ts, through the same harness
 * (test/web/browserAppHarness.ts), in one page to keep `npm test` short: a PIN window the user closes ends its
 * sign-in, then the next one signs in, lists and connects the servers, and signs out. No sleeps: every wait is on a
 * page event or a selector.
 *
 * The browser is Debian's chromium-headless-shell, else its full chromium (test/web/chromium.ts); without either the
 * tests are skipped with a plain message; under `CI=true` they fail instead.
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { ManagedRuntime, Redacted } from "effect"
import { Credentials } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault, FakePlex } from "effect-plex-auth/testing"
import * as RefreshFacts from "../../src/core/refresh.js"
import {
  approve,
  available,
  bundleApp,
  type Launched,
  launch,
  missingUnderCi,
  open,
  serveApp,
  signIn,
  statusOf,
  stored,
  warnIfMissing
} from "./browserAppHarness.js"

const ci = process.env["CI"] === "true"
warnIfMissing("test/web/browserApp.test.ts")

describe.runIf(!available && ci)("browser app tests under CI=true", () => {
  it("never skip: Chromium must be installed", () => {
    assert.fail(missingUnderCi)
  })
})

const here = fileURLToPath(new URL(".", import.meta.url))
const src = fileURLToPath(new URL("../../src/", import.meta.url))
const leaseKey = RefreshFacts.obtainingKey(Credentials.defaultStoreKey)

describe.runIf(available)("a browser-only app in Chromium (docs/pin-login.md)", { timeout: 90_000 }, () => {
  let browser: Launched | undefined
  let appUrl = ""
  let closeApp = () => Promise.resolve()
  let runtime: ManagedRuntime.ManagedRuntime<FakePlexServer.FakePlexServer, unknown> | undefined
  let fake: FakePlexServer.FakePlexServerService

  beforeAll(async () => {
    const app = await serveApp(await bundleApp(`${here}fixtures/browserApp.ts`, "effect-plex-auth", src))
    closeApp = app.close
    appUrl = app.appUrl
    runtime = ManagedRuntime.make(FakePlexServer.layer({ allowOrigins: [appUrl] }))
    fake = await runtime.runPromise(FakePlexServer.FakePlexServer)
    app.setPage(fake.plexTvUrl)
    browser = await launch()
  }, 60_000)

  // Each closed even when one before it throws (the fake's server and the app's are not left listening).
  afterAll(async () => {
    try {
      await browser?.close()
    } finally {
      try {
        await runtime?.dispose()
      } finally {
        await closeApp()
      }
    }
  }, 60_000)

  it("a closed PIN window ends its sign-in; the next signs in, lists and connects the servers, signs out", async () => {
    const { page, consoleLines, requested, close } = await open(browser!, appUrl)
    // The user closes the first PIN window: the app ends that login (it would poll on until the PIN expired, holding
    // the lease), after one last check of its PIN.
    const first = await signIn(page)
    assert.isString(await stored(page, leaseKey))
    await first.close()
    assert.strictEqual(await statusOf(page, /cancelled/), "sign-in cancelled: the Plex window was closed")
    assert.isNull(await stored(page, leaseKey))
    // Sign in again, approved this time: at once, no wait for a lease.
    await approve(await signIn(page))
    assert.strictEqual(await statusOf(page, /signed in/), "signed in")
    assert.strictEqual(await page.textContent("#user"), FakePlex.defaults.username)
    assert.isFalse(consoleLines.some((line) => line.includes(RefreshFacts.leaseWaitMessage)))
    // Connected from the page: the server's /identity probes and its token check, each a CORS request.
    assert.include(await page.textContent("#servers"), `: ${fake.serverUrl}`)
    const token = await stored(page, Credentials.defaultStoreKey)
    assert.isString(token)
    assert.isNull(await stored(page, leaseKey))
    await page.click("#sign-out")
    assert.strictEqual(await statusOf(page, /signed out/), "signed out")
    assert.isNull(await stored(page, Credentials.defaultStoreKey))
    const requests = await runtime!.runPromise(fake.fake.requests)
    assert.isTrue(requests.some((request) => request.route === "signOut"))
    // The account token and the PINs' codes reach no URL the browser requested, nor its console.
    const pins = await runtime!.runPromise(fake.fake.pins)
    assert.strictEqual(pins.length, 2)
    const secrets = [
      token!,
      ...pins.map((pin) => pin.code),
      ...pins.flatMap((pin) => (pin.authToken ? [Redacted.value(pin.authToken)] : []))
    ]
    for (const secret of secrets) {
      for (const line of [...requested, ...consoleLines]) assert.notInclude(line, secret)
    }
    await close()
  })

  it("a page whose click finds another page signing in takes that one's token and closes the window it opened", async () => {
    const { context, page, close } = await open(browser!, appUrl)
    const first = await signIn(page)
    // A second tab of the app, clicked while the first's PIN window is open: no token is stored yet, so its click
    // opens a window too, and its sign-in waits for the first's token instead of asking for a second approval.
    const other = await context.newPage()
    await other.goto(appUrl)
    const waiting = other.waitForEvent("console", (message) =>
      message.text().includes(RefreshFacts.leaseWaitMessage)
    )
    const [unused] = await Promise.all([other.waitForEvent("popup"), other.click("#sign-in")])
    await waiting
    await approve(first)
    assert.strictEqual(await statusOf(page, /signed in/), "signed in")
    assert.strictEqual(await statusOf(other, /signed in/), "signed in")
    assert.strictEqual(await other.textContent("#user"), FakePlex.defaults.username)
    // Its window, never used (no PIN of its own), is closed with its sign-in, not left open and blank.
    if (!unused.isClosed()) await unused.waitForEvent("close")
    assert.isTrue(unused.isClosed())
    await close()
  })

  it("a PIN window the browser blocked: its link opens the sign-in in a new tab, and this page signs in", async () => {
    const { context, page, blockPopups, close } = await open(browser!, appUrl)
    // A popup blocker: window.open gives null. The app falls back to a link the user clicks (docs/pin-login.md).
    await blockPopups()
    await page.reload()
    await page.click("#sign-in")
    await page.waitForSelector("#plex-link[href]")
    // The link opens app.plex.tv in a tab of its own: this page, whose login polls for the approval, stays.
    const [tab] = await Promise.all([context.waitForEvent("page"), page.click("#plex-link")])
    await tab.waitForSelector("#approve[data-ready='true']")
    // The forwardUrl page may close the tab (or not: a tab the user opened is not the script's to close).
    await tab.click("#allow").catch((error: unknown) => {
      if (!tab.isClosed()) throw error
    })
    assert.strictEqual(await statusOf(page, /signed in/), "signed in")
    assert.strictEqual(await page.textContent("#user"), FakePlex.defaults.username)
    assert.isNull(await stored(page, leaseKey))
    await close()
  })

  it("a PIN check failing as the window closes ends nothing: the login's poll goes on, and an approval signs in", async () => {
    const { page, close } = await open(browser!, appUrl)
    const first = await signIn(page)
    // plex.tv hiccups on every PIN check from now on: the one made as the window closes, and the login's own.
    await runtime!.runPromise(fake.fake.fault("checkPin", Fault.status(503)))
    const warned = page
      .waitForEvent("console", (message) =>
        message.text().includes("The PIN check made as the Plex window closed")
      )
      .then(() => "warned")
    await first.close()
    // The check failed (logged), and the sign-in was not ended by it (no "failed", no "cancelled").
    const outcome = await Promise.race([warned, statusOf(page, /cancelled|signed in/)])
    assert.strictEqual(outcome, "warned")
    // The login polls on: plex.tv answers again, and the PIN, approved meanwhile (on another device), signs in.
    await runtime!.runPromise(fake.fake.clearFaults)
    const pins = await runtime!.runPromise(fake.fake.pins)
    await runtime!.runPromise(fake.fake.approvePin(pins.at(-1)!.id))
    assert.strictEqual(await statusOf(page, /signed in/), "signed in")
    await close()
  })
})
