/**
 * A stand-in for app.plex.tv's sign-in page, served by the fake itself on
 * its plex.tv origin at `/auth` (point a "Sign in with Plex" app's
 * `authAppUrl` at the fake's `authAppUrl`, `<plexTvUrl>/auth`), so a whole
 * web sign-in journey runs against the fake with no network:
 *
 * - `GET /auth` shows a small form. Its script reads the
 *   `#?clientID=...&code=...&forwardUrl=...&context[device][product]=...`
 *   fragment, as app.plex.tv does (the fragment never reaches a server).
 * - `POST /auth` (the form: `clientID`, `code`, `forwardUrl`, `account`)
 *   approves the PIN for the chosen seeded account, as a user signing in at
 *   app.plex.tv would, and follows `forwardUrl` (303). Only accounts that
 *   can approve are offered: a managed Home user (no password, no sign-in of
 *   its own) cannot, and an unknown account name is refused as unknown. The PIN must exist,
 *   be alive, be unused, and belong to the client that asks; the token is
 *   the app's to fetch (`GET /api/v2/pins/{id}`): nothing of it goes into
 *   the page or the redirect.
 *
 * The route is named `approvalPage` in the fake's records and fault targets.
 *
 * @internal
 */
import { escapeHtml, page, privateHeaders } from "../web/pages.js"
import * as Approve from "./approve.js"
import * as Http from "./http.js"
import type { Context, Route } from "./routes.js"
import type { SeedAccount } from "./seed.js"

/** The path the page answers on, on the fake's plex.tv origin. */
export const path = "/auth"

/** Where the page is for a fake whose plex.tv is at `plexTvUrl`: an app's `authAppUrl`. */
export const urlOf = (plexTvUrl: string): string => `${plexTvUrl.replace(/\/+$/, "")}${path}`

const noStore = privateHeaders

const html = (status: number, body: string) => Http.bytes(status, Http.htmlType, body, noStore)

/** The accounts that can approve a sign-in: a managed Home user signs in only through its Home's admin. */
const approvers = (accounts: Iterable<SeedAccount>): ReadonlyArray<SeedAccount> =>
  [...accounts].filter((account) => !account.managed)

const form = (accounts: ReadonlyArray<SeedAccount>) => {
  const options = approvers(accounts)
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

/** `forwardUrl` when it is an absolute http(s) URL; anything else is not followed. */
const target = (forwardUrl: string): URL | undefined => {
  try {
    const url = new URL(forwardUrl)
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined
  } catch {
    return undefined
  }
}

const approve = async (ctx: Context): Promise<Response> => {
  const body = ctx.form ?? new URLSearchParams()
  const code = (body.get("code") ?? "").trim()
  const clientID = body.get("clientID") ?? ""
  const login = body.get("account") ?? ""
  const pin = code === "" ? undefined : Approve.pinByCode(ctx.store, code)
  // As app.plex.tv: the PIN must exist, be alive and unused, and belong to the client that asks.
  if (pin === undefined || pin.clientIdentifier !== clientID) {
    return refused("This sign-in request is unknown or has expired.")
  }
  const account = login === "" ? approvers(ctx.store.accounts.values())[0] : ctx.store.accountByLogin(login)
  if (account === undefined) {
    // No name sent and none offered (every seeded account is managed): there was no name to be unknown.
    return refused(
      login === "" ? "No account here can approve sign-ins." : "There is no account with this name."
    )
  }
  // A managed Home user has no sign-in of its own: it is not offered, and cannot approve when named.
  if (account.managed) return refused("This account cannot approve sign-ins.")
  const approved = await Approve.approve(ctx.store, pin, account, ctx.now)
  if ("refused" in approved) {
    switch (approved.refused) {
      case "Expired":
        return refused("This sign-in request is unknown or has expired.")
      case "AlreadyApproved":
        return refused("This sign-in request was already approved.")
      case "KeyOfAnotherAccount":
        return refused("This device belongs to another account.")
    }
  }
  const forward = target(body.get("forwardUrl") ?? "")
  return forward === undefined
    ? html(200, page("Plex (fake): approved", `<h1 id="approved">Approved</h1><p>Return to the app.</p>`))
    : Http.empty(303, { ...noStore, location: forward.href })
}

/** The page's route (`GET` and `POST /auth` on plex.tv), registered in the fake's route table. */
export const routes = (): ReadonlyArray<Route> => [
  {
    name: "approvalPage",
    host: "plexTv",
    methods: ["GET", "POST"],
    path,
    handle: (ctx) => (ctx.method === "GET" ? html(200, form([...ctx.store.accounts.values()])) : approve(ctx))
  }
]
