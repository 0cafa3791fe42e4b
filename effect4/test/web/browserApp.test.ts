/**
 * A browser-only "Sign in with Plex" app on the Effect 4 edition, in a real browser: the app of
 * docs/pin-login.md's "A browser app" (fixtures/browserApp.ts, bundled for the browser with esbuild), served
 * from its own loopback origin, against the fake Plex on its loopback ports, which allows that origin
 * (`allowOrigins`): headless Chromium (Debian's `chromium`, driven by `playwright-core`, as the Effect 3
 * edition's test/web/browser.test.ts), CORS enforced. No sleeps: every wait is on a page event or a selector.
 *
 * Without /usr/bin/chromium the tests are skipped with a plain message; under `CI=true` they fail instead.
 */
import { existsSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import * as esbuild from "esbuild"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Credentials from "effect4-plex-auth/Credentials"
import { FakePlexServer } from "effect4-plex-auth/node"
import { FakePlex } from "effect4-plex-auth/testing"
import type { Browser, Page } from "playwright-core"
import { chromium } from "playwright-core"
import { afterAll, beforeAll } from "vitest"
import * as RefreshFacts from "../../../src/core/refresh.js"

const CHROMIUM = "/usr/bin/chromium"
const available = existsSync(CHROMIUM)
const ci = process.env["CI"] === "true"

if (!available) {
  console.warn(
    `effect4/test/web/browserApp.test.ts: ${CHROMIUM} is missing, so the browser tests are SKIPPED. ` +
      "Install Debian's chromium package: `node scripts/chromium.mjs` as root (npm ci runs it)."
  )
}

describe.runIf(!available && ci)("browser tests under CI=true", () => {
  it("never skip: Chromium must be installed", () => {
    assert.fail(
      `${CHROMIUM} is missing under CI=true: scripts/chromium.mjs (run by npm ci) should install it`
    )
  })
})

const here = fileURLToPath(new URL(".", import.meta.url))
const src = fileURLToPath(new URL("../../src/", import.meta.url))
const leaseKey = RefreshFacts.obtainingKey(Credentials.defaultStoreKey)

describe.runIf(available)("a browser-only app in Chromium (docs/pin-login.md)", { timeout: 90_000 }, () => {
  let browser: Browser
  let appUrl = ""
  let closeApp = () => Promise.resolve()
  let runtime: ManagedRuntime.ManagedRuntime<FakePlexServer.FakePlexServer, unknown> | undefined
  let fake: FakePlexServer.FakePlexServerService

  beforeAll(async () => {
    // The app, bundled as a browser app is: ESM, for the browser, the library from its sources.
    const bundle = await esbuild.build({
      entryPoints: [`${here}fixtures/browserApp.ts`],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      logLevel: "silent",
      alias: { "effect4-plex-auth": `${src}index.ts` },
      plugins: [
        {
          name: "subpaths",
          setup: (build) =>
            build.onResolve({ filter: /^effect4-plex-auth\/[A-Z]\w*$/ }, (args) => ({
              path: `${src}${args.path.slice("effect4-plex-auth/".length)}.ts`
            }))
        }
      ]
    })
    const script = bundle.outputFiles[0]!.text
    let page = ""
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://app").pathname
      if (path === "/app.js") {
        res.writeHead(200, { "content-type": "text/javascript" }).end(script)
      } else if (path === "/plex-signed-in.html") {
        res.writeHead(200, { "content-type": "text/html" }).end("<script>window.close()</script>")
      } else if (path === "/") {
        res.writeHead(200, { "content-type": "text/html" }).end(page)
      } else {
        res.writeHead(404).end()
      }
    })
    // Bound once, on a port the system picks, and kept: its origin is the one the fake allows.
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    closeApp = () => new Promise((resolve) => server.close(() => resolve()))
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    runtime = ManagedRuntime.make(FakePlexServer.layer({ allowOrigins: [appUrl] }))
    fake = await runtime.runPromise(Effect.service(FakePlexServer.FakePlexServer))
    page = [
      `<!doctype html><html data-plex-tv="${fake.plexTvUrl}" data-auth-app="${fake.plexTvUrl}/auth"><body>`,
      '<button id="sign-in">Sign in with Plex</button><a id="plex-link">Open Plex</a>',
      '<button id="sign-out">Sign out</button><p id="user"></p><ul id="servers"></ul><p id="status"></p>',
      '<script type="module" src="/app.js"></script></body></html>'
    ].join("")
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    })
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

  /** A fresh page (its own context: its own localStorage) and everything it logs and requests. */
  const open = async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const consoleLines: Array<string> = []
    const requested: Array<string> = []
    context.on("console", (message) => consoleLines.push(message.text()))
    context.on("request", (request) => requested.push(request.url()))
    await page.goto(appUrl)
    return { context, page, consoleLines, requested }
  }

  /** Clicks "Sign in with Plex" and approves the PIN in the window the click opened, as the user would. */
  const signIn = async (page: Page) => {
    const [popup] = await Promise.all([page.waitForEvent("popup"), page.click("#sign-in")])
    await popup.waitForSelector("#approve[data-ready='true']")
    return popup
  }

  /** Clicks "Allow" in the PIN window, which then closes (the app's `forwardUrl` page, and the login's end). */
  const approve = async (popup: Page) => {
    const closed = popup.waitForEvent("close")
    // The window may close before the click's own wait is over: that is the outcome waited for below.
    await popup.click("#allow").catch((error: unknown) => {
      if (!popup.isClosed()) throw error
    })
    await closed
  }

  const statusOf = async (page: Page, expected: RegExp) => {
    await page.waitForFunction(
      (source) => new RegExp(source).test(document.getElementById("status")?.textContent ?? ""),
      `${expected.source}|failed`
    )
    return (await page.textContent("#status")) ?? ""
  }

  it("signs in through the PIN window, lists and connects the servers, signs out: CORS enforced", async () => {
    const { context, page, consoleLines, requested } = await open()
    const popup = await signIn(page)
    await approve(popup)
    assert.strictEqual(await statusOf(page, /signed in/), "signed in")
    assert.strictEqual(await page.textContent("#user"), FakePlex.defaults.username)
    // Connected from the page: the server's /identity probes and its token check, each a CORS request.
    assert.include(await page.textContent("#servers"), `: ${fake.serverUrl}`)
    const token = await page.evaluate((key) => localStorage.getItem(key), Credentials.defaultStoreKey)
    assert.isString(token)
    assert.isNull(await page.evaluate((key) => localStorage.getItem(key), leaseKey))
    await page.click("#sign-out")
    assert.strictEqual(await statusOf(page, /signed out/), "signed out")
    assert.isNull(await page.evaluate((key) => localStorage.getItem(key), Credentials.defaultStoreKey))
    const requests = await runtime!.runPromise(fake.fake.requests)
    assert.isTrue(requests.some((request) => request.route === "signOut"))
    // The account token and the PIN's code reach no URL the browser requested, nor its console.
    const pins = await runtime!.runPromise(fake.fake.pins)
    const secrets = [
      token!,
      ...pins.map((pin) => pin.code),
      ...pins.flatMap((pin) => (pin.authToken ? [Redacted.value(pin.authToken)] : []))
    ]
    for (const secret of secrets) {
      for (const line of [...requested, ...consoleLines]) assert.notInclude(line, secret)
    }
    await context.close()
  })

  it("a PIN window closed by the user, then Sign in again: the first sign-in ends, the second starts at once", async () => {
    const { context, page, consoleLines } = await open()
    // The fake is shared by the tests of this file: the PINs this one creates are those after these.
    const before = (await runtime!.runPromise(fake.fake.pins)).length
    const first = await signIn(page)
    await first.close()
    // The first login polls on (it cannot tell a closed window from a slow user) and holds the lease: the click
    // ends it first (pin-login.md), or the second waited for it until its PIN expired ("Another process ...").
    const second = await signIn(page)
    await approve(second)
    assert.strictEqual(await statusOf(page, /signed in/), "signed in")
    assert.isFalse(consoleLines.some((line) => line.includes(RefreshFacts.leaseWaitMessage)))
    // Two PINs, the first sign-in's and the second's (at least 2 in all held whatever this test did, after the first
    // test's).
    assert.strictEqual((await runtime!.runPromise(fake.fake.pins)).length - before, 2)
    await context.close()
  })

  it("a page reloaded while its PIN window is open leaves no lease: the next sign-in starts at once", async () => {
    const { context, page, consoleLines } = await open()
    const first = await signIn(page)
    // The PIN window is open: this page holds the lease that keeps other pages from a second approval.
    assert.isString(await page.evaluate((key) => localStorage.getItem(key), leaseKey))
    await first.close()
    // The user gives up and reloads. The page ran no finalizer, but its lease went with it (pagehide): left, it held
    // the reloaded page's sign-in off for 30 seconds, the PIN window blank ("Another process ... is signing in").
    await page.reload()
    assert.isNull(await page.evaluate((key) => localStorage.getItem(key), leaseKey))
    const second = await signIn(page)
    await approve(second)
    assert.strictEqual(await statusOf(page, /signed in/), "signed in")
    assert.isFalse(consoleLines.some((line) => line.includes(RefreshFacts.leaseWaitMessage)))
    await context.close()
  })
})
