/**
 * The harness of the browser-only app tests, shared by both editions (test/web/browserApp.test.ts,
 * effect4/test/web/browserApp.test.ts): the app of docs/pin-login.md's "A browser app" (each edition's
 * fixtures/browserApp.ts) bundled for the browser with esbuild, served from its own loopback origin with the page
 * that carries the fake's URLs, headless Chromium (Debian's `chromium-headless-shell`, see ./chromium.ts, driven by
 * `playwright-core`), and the steps a user takes. Effect-free: each edition's test runs its own `FakePlexServer`.
 * No sleeps: every wait is on a page event or a selector.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as esbuild from "esbuild"
import type { BrowserContext, ConsoleMessage, Page, Request } from "playwright-core"
import { chromium } from "playwright-core"
import { CHROMIUM } from "./chromium.js"

export { available, missingUnderCi, warnIfMissing } from "./chromium.js"

/**
 * The app at `entry` bundled as a browser app is (ESM, for the browser), the library `packageName` (and its
 * subpaths, `packageName/PinLogin`) from its sources in `src` (a directory, ending in `/`).
 */
export const bundleApp = async (entry: string, packageName: string, src: string): Promise<string> => {
  const subpath = new RegExp(`^${packageName.replace(/[-/\\^$*+?.()|[\]{}]/g, "\\$&")}/[A-Z]\\w*$`)
  const bundle = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    logLevel: "silent",
    alias: { [packageName]: `${src}index.ts` },
    plugins: [
      {
        name: "subpaths",
        setup: (build) =>
          build.onResolve({ filter: subpath }, (args) => ({
            path: `${src}${args.path.slice(packageName.length + 1)}.ts`
          }))
      }
    ]
  })
  return bundle.outputFiles[0]!.text
}

/** The app's origin: its page (set once the fake runs, whose origin allows this one), its script and `forwardUrl`. */
export interface AppServer {
  readonly appUrl: string
  readonly setPage: (plexTvUrl: string) => void
  readonly close: () => Promise<void>
}

/** Serves `script` and its page from a loopback port the system picks (bound once, and kept). */
export const serveApp = async (script: string): Promise<AppServer> => {
  let page = ""
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://app").pathname
    if (path === "/app.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(script)
    } else if (path === "/clear-storage") {
      res
        .writeHead(200, { "content-type": "text/html" })
        .end("<script>localStorage.clear(); sessionStorage.clear()</script>")
    } else if (path === "/plex-signed-in.html") {
      res.writeHead(200, { "content-type": "text/html" }).end("<script>window.close()</script>")
    } else if (path === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end(page)
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    appUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setPage: (plexTvUrl) => {
      page = [
        `<!doctype html><html data-plex-tv="${plexTvUrl}" data-auth-app="${plexTvUrl}/auth"><body>`,
        '<button id="sign-in">Sign in with Plex</button><a id="plex-link">Open Plex</a>',
        '<button id="sign-out">Sign out</button><p id="user"></p><ul id="servers"></ul><p id="status"></p>',
        '<script type="module" src="/app.js"></script></body></html>'
      ].join("")
    },
    close: () => new Promise((resolve) => server.close(() => resolve()))
  }
}

/** Chromium, started once per file: its one browser context (the profile's), shared by the tests one after another. */
export interface Launched {
  readonly context: BrowserContext
  /** Ends the session `open` began last (if any), closes the browser and removes its profile. */
  readonly close: () => Promise<void>
  /** @internal the session `open` began last: ended by the next `open`, or by `close`. */
  end: () => Promise<void>
}

/**
 * Headless Chromium (./chromium.ts) on a profile of its own: a persistent context, whose one browser context the
 * tests share (`open` gives each a fresh start in it), and whose tab opened at launch each test uses again. Where a
 * browser with a browser context and a new tab per test took 18.3-19.0 CPU-s for test/web/browserApp.test.ts and
 * 17.9-21.4 for its Effect 4 twin, this took 13.5-14.2 and 14.1-16.3 (Debian's full chromium, its address bar's
 * suggestion popup turned off in the profile's "Local State"; user + system, Chromium's processes included, three
 * runs each, loaded 2-core machine, 2026-12-07). The headless shell has no address bar, hence no popup to turn off:
 * two pages started two renderer processes with or without that "Local State" (the full chromium: three with it,
 * four without). `--single-process` saved about 1 CPU-s of 15 in test/web/browser.test.ts (three interleaved runs
 * each), none here: not worth a mode Chromium does not support.
 */
export const launch = async (): Promise<Launched> => {
  const profile = mkdtempSync(join(tmpdir(), "browser-app-chromium-"))
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    })
    const launched: Launched = {
      context,
      end: () => Promise.resolve(),
      close: async () => {
        try {
          await launched.end()
        } finally {
          try {
            await context.close()
          } finally {
            rmSync(profile, { recursive: true, force: true })
          }
        }
      }
    }
    return launched
  } catch (error) {
    rmSync(profile, { recursive: true, force: true })
    throw error
  }
}

/**
 * The app's page, fresh at `appUrl`, and everything the browser logs and requests from now on, as a browser context
 * of its own would give it: the windows of the test before are closed, and the app's origin has an empty
 * `localStorage` and `sessionStorage` (the app's only state: its token, client identifier, lease), cleared before the
 * app's page loads. The page is the tab the browser opened at launch, again for each test: a new tab each time is a
 * new window, which costs CPU of its own (as test/web/browser.test.ts found). `blockPopups` makes the page's
 * `window.open` give null from its next load on (a popup blocker), until the test ends. `close` ends the recording and
 * closes the test's windows (the next `open` does it, when a failed test left it undone).
 */
export const open = async (browser: Launched, appUrl: string) => {
  await browser.end()
  const { context } = browser
  const [first, ...others] = context.pages()
  for (const other of others) await other.close()
  const page = first ?? (await context.newPage())
  await page.goto(`${appUrl}/clear-storage`)
  const consoleLines: Array<string> = []
  const requested: Array<string> = []
  const initScripts: Array<{ readonly dispose: () => Promise<void> }> = []
  const onConsole = (message: ConsoleMessage) => consoleLines.push(message.text())
  const onRequest = (request: Request) => requested.push(request.url())
  context.on("console", onConsole)
  context.on("request", onRequest)
  const close = async () => {
    browser.end = () => Promise.resolve()
    context.off("console", onConsole)
    context.off("request", onRequest)
    for (const script of initScripts.splice(0)) await script.dispose()
    const [kept, ...opened] = context.pages()
    for (const other of opened) await other.close()
    await kept?.goto("about:blank")
  }
  browser.end = close
  const blockPopups = async () => {
    initScripts.push(
      await page.addInitScript(() => {
        window.open = () => null
      })
    )
  }
  await page.goto(appUrl)
  return { context, page, consoleLines, requested, blockPopups, close }
}

/** Clicks "Sign in with Plex": the PIN window the click opened, once its approval page is ready. */
export const signIn = async (page: Page) => {
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.click("#sign-in")])
  await popup.waitForSelector("#approve[data-ready='true']")
  return popup
}

/** Clicks "Allow" in the PIN window, which then closes (the app's `forwardUrl` page, and the login's end). */
export const approve = async (popup: Page) => {
  const closed = popup.waitForEvent("close")
  // The window may close before the click's own wait is over: that is the outcome waited for below.
  await popup.click("#allow").catch((error: unknown) => {
    if (!popup.isClosed()) throw error
  })
  await closed
}

/** The app's status once it matches `expected` (or says it failed). */
export const statusOf = async (page: Page, expected: RegExp) => {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.getElementById("status")?.textContent ?? ""),
    `${expected.source}|failed`
  )
  return (await page.textContent("#status")) ?? ""
}

/** The `localStorage` value under `key` of `page`'s origin. */
export const stored = (page: Page, key: string) => page.evaluate((name) => localStorage.getItem(name), key)
