/**
 * A stand-in for app.plex.tv's sign-in page, for "Sign in with Plex" apps
 * tested against the fake: `GET /auth` shows a small form (its script reads
 * the `#?clientID=...&code=...&forwardUrl=...` fragment, as app.plex.tv
 * does), whose `POST /auth` approves the PIN for the chosen seeded account
 * (`FakePlexService.approvePin`) and follows `forwardUrl` (303).
 *
 * A web handler over the fake's public service, separate from the fake's
 * route table: an app composes it in front of (or beside) the fake, e.g. on
 * a loopback port of its own standing for app.plex.tv
 * (examples/web-sign-in does). Answers `undefined` for any other path.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { escapeHtml, page } from "../../core/web/pages.js"
import type { FakePlexService } from "../FakePlex.js"

/** The path the page answers on: point `WebSignIn`'s `authAppUrl` at `<origin>/auth`. */
export const path = "/auth"

const html = (status: number, body: string) =>
  new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer"
    }
  })

const form = (fake: FakePlexService) => {
  const options = fake.accounts
    .map(
      (a, i) =>
        `<option value="${escapeHtml(a.username)}"${i === 0 ? " selected" : ""}>${escapeHtml(a.title)} (${escapeHtml(a.username)})</option>`
    )
    .join("")
  return page(
    "Plex (fake): sign in",
    `<h1>Plex (fake)</h1>
<p id="product">An app asks to sign you in with Plex.</p>
<form id="approve" method="post" action="${path}">
<input type="hidden" name="clientID" id="clientID">
<input type="hidden" name="code" id="code">
<input type="hidden" name="forwardUrl" id="forwardUrl">
<label>Sign in as <select name="account" id="account">${options}</select></label>
<p><button type="submit" id="allow">Allow</button></p>
</form>
<script>
(function () {
  var hash = location.hash.replace(/^#!?\\??/, "");
  var params = new URLSearchParams(hash);
  ["clientID", "code", "forwardUrl"].forEach(function (name) {
    document.getElementById(name).value = params.get(name) || "";
  });
  var product = params.get("context[device][product]");
  if (product) document.getElementById("product").textContent = product + " asks to sign you in with Plex.";
  document.getElementById("approve").setAttribute("data-ready", "true");
})();
</script>`
  )
}

const refused = (message: string) =>
  html(400, page("Plex (fake): refused", `<h1 id="refused">Refused</h1><p>${escapeHtml(message)}</p>`))

const approve = (fake: FakePlexService, request: Request) =>
  Effect.gen(function* () {
    const body = new URLSearchParams(yield* Effect.promise(() => request.text()))
    const code = body.get("code") ?? ""
    const clientID = body.get("clientID") ?? ""
    const forwardUrl = body.get("forwardUrl") ?? ""
    const account = body.get("account") ?? undefined
    const pins = yield* fake.pins
    const pin = pins.find((p) => p.code.toLowerCase() === code.toLowerCase() && code !== "")
    // As app.plex.tv: the PIN must exist, be alive, and belong to the client that asks.
    if (pin === undefined || pin.expired || pin.clientIdentifier !== clientID) {
      return refused("This sign-in request is unknown or has expired.")
    }
    let target: URL | undefined
    try {
      target = forwardUrl === "" ? undefined : new URL(forwardUrl)
    } catch {
      target = undefined
    }
    if (target !== undefined && target.protocol !== "http:" && target.protocol !== "https:")
      target = undefined
    const approved = yield* Effect.either(fake.approvePin(pin.id, { account }))
    if (approved._tag === "Left") return refused("The account could not approve this sign-in.")
    // The token is the app's to fetch; nothing of it goes into the page or the redirect.
    if (target === undefined) {
      return html(
        200,
        page("Plex (fake): approved", `<h1 id="approved">Approved</h1><p>Return to the app.</p>`)
      )
    }
    return new Response(null, {
      status: 303,
      headers: { location: target.href, "cache-control": "no-store", "referrer-policy": "no-referrer" }
    })
  })

/** The page as a web handler; `undefined` for a request it does not serve. */
export const handler =
  (fake: FakePlexService) =>
  (request: Request): Effect.Effect<Response | undefined> => {
    const url = new URL(request.url)
    if (url.pathname !== path) return Effect.succeed(undefined)
    if (request.method === "GET") return Effect.succeed(html(200, form(fake)))
    if (request.method === "POST") return approve(fake, request)
    return Effect.succeed(new Response(null, { status: 405, headers: { allow: "GET, POST" } }))
  }
