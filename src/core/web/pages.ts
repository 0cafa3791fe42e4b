/**
 * The pages a "Sign in with Plex" flow shows when it cannot sign the user
 * in: plain HTML, every value escaped, never a token, PIN or key.
 *
 * @internal
 */
import * as Flow from "./flow.js"
import * as S from "./signIn.js"

/** Escapes text for HTML content and attribute values. */
export const escapeHtml = (text: string): string =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;")

/** A minimal HTML document; `body` is HTML (escape what goes in it). */
export const page = (title: string, body: string): string =>
  `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
a.button,button{display:inline-block;padding:.5rem 1rem;border-radius:.4rem;border:0;background:#e5a00d;color:#000;text-decoration:none;font:inherit;cursor:pointer}</style>
</head>
<body>
${body}
</body>
</html>
`

/** Why a sign-in was refused, as the refusal page tells it. */
export type Refusal =
  | {
      readonly _tag: "NotStarted"
      /** The browser holds another sign-in of this app, started since (Flow.keepsPinCookie kept its cookie). */
      readonly anotherPending?: true
      /**
       * The return's URL carries no `state` (Flow.hasState): not one app.plex.tv sent back, but a bookmarked or typed
       * address of the callback. Its text says so, whatever the cookie (`anotherPending` too).
       */
      readonly noState?: true
      /**
       * The browser is signed in to this app as this user (Flow.signedInAs), and this return did not go on to
       * `homePath` (Flow.returnLeadsHome: another sign-in's, perhaps one whose PIN cookie lapsed): its text says they
       * are still signed in as before.
       */
      readonly signedInAs?: string
    }
  | { readonly _tag: "NotApproved" }
  | { readonly _tag: "PinExpired" }
  | { readonly _tag: "NoAccess"; readonly username: string }
  | {
      readonly _tag: "Unavailable"
      /**
       * At a return, plex.tv unavailable for now (Flow.keepsPinCookieAfter kept the PIN cookie): this return's path,
       * where "Try again" leads (the sign-in finishes there once plex.tv answers, while the PIN lives).
       */
      readonly retryPath?: string
      /** At the start: plex.tv could not be asked for a PIN (`createPin`), so the sign-in was not started. */
      readonly atStart?: true
      /**
       * At the start: plex.tv answered the PIN request with a refusal that trying again does not change
       * ({@link refusedForGood}: a 400, a 401, a 404 from a host that is not plex.tv's, none with a `Retry-After`): the
       * visitor cannot fix it, the app's owner can (the start's Warning in the log names the failure).
       */
      readonly refused?: true
      /**
       * plex.tv answered, in a way trying again may change (at the start, the PIN request, not `refused`): `"busy"`
       * when it asked to be asked later (a 429, or any answer with a `Retry-After`), `"failed"` for another (a 5xx, a
       * 408, 421 or 425). At a return too (the PIN check, the user, the access check), its page then saying so instead
       * of "Plex did not answer". Absent when it did not answer (or not in full, or not in time): "Plex did not answer".
       */
      readonly answered?: "busy" | "failed"
      /** With `answered: "busy"`: the `Retry-After` asked for more than a minute ("try again later", not "in a minute"). */
      readonly later?: true
    }
  | {
      /** At a return, the app's session store failed to save the new session: `retryPath` as `Unavailable`'s. */
      readonly _tag: "NotSaved"
      readonly retryPath?: string
    }
  /** At the start, the service's `startLimit` reached (`TooManySignIns`): no PIN created, try again shortly. */
  | { readonly _tag: "TooMany" }

/**
 * The refusal a failed start or callback shows, by its error's tag (`SignInNotStarted`, `SignInNotApproved`,
 * `SignInExpired`, `AccessDenied` with the `username`; `SessionStoreError`, the session store failing, is `NotSaved`;
 * `TooManySignIns`, the start's `startLimit` reached, is `TooMany`; anything else, a failure to ask, is `Unavailable`,
 * `atStart` when its `operation` is the start's `createPin`; at the start and at a return alike, `answered` says what
 * plex.tv answered, "busy" or "failed", so the page never says "Plex did not answer" when it did). A
 * `SignInNotStarted` whose `reason` leaves the PIN cookie
 * (`StateMismatch`: another sign-in of this browser is pending) says so, and one whose return carried no `state`
 * (`noState`, given by the callback: Flow.hasState) says that instead. `retryPath`, given by a callback whose PIN
 * cookie was kept for a failure that can be tried again (Flow.retriesAtReturn, Flow.retryPath), is where an
 * `Unavailable` or `NotSaved` page's "Try again" leads. `signedInAs`, given by a callback whose browser is signed in
 * but whose return does not go on to `homePath` (Flow.signedInAs), is added to a `SignInNotStarted`'s.
 */
export const refusalFor = (
  error: {
    readonly _tag: string
    readonly username?: string
    readonly reason?: string
    readonly operation?: string
    readonly failure?: string
    readonly status?: number | undefined
    readonly retryAfterMillis?: number | undefined
  },
  retryPath?: string,
  noState?: boolean,
  signedInAs?: string
): Refusal => {
  switch (error._tag) {
    case "SignInNotStarted": {
      const pending = error.reason !== undefined && Flow.keepsPinCookie(error.reason)
      return {
        _tag: "NotStarted",
        ...(pending ? { anotherPending: true } : {}),
        ...(noState === true ? { noState: true } : {}),
        ...(signedInAs !== undefined ? { signedInAs } : {})
      }
    }
    case "SignInNotApproved":
      return { _tag: "NotApproved" }
    case "SignInExpired":
      return { _tag: "PinExpired" }
    case "AccessDenied":
      return { _tag: "NoAccess", username: error.username ?? "" }
    case "SessionStoreError":
      return retryPath === undefined ? { _tag: "NotSaved" } : { _tag: "NotSaved", retryPath }
    case "TooManySignIns":
      return { _tag: "TooMany" }
    default:
      return retryPath !== undefined
        ? { _tag: "Unavailable", retryPath, ...answeredWith(error) }
        : error.operation === "createPin"
          ? refusedForGood(error)
            ? { _tag: "Unavailable", atStart: true, refused: true }
            : { _tag: "Unavailable", atStart: true, ...answeredWith(error) }
          : { _tag: "Unavailable", ...answeredWith(error) }
  }
}

/**
 * What plex.tv answered a request of a start or a return that failed (at the start, not for good:
 * {@link refusedForGood}): busy (a `RateLimited` 429, or any answer with a `Retry-After`, `later` when it asked for
 * more than a minute), failed (another status: a 5xx, a 408, 421 or 425; at a return, any other answer), or nothing
 * (`NetworkError`: no answer, none in time, or one cut off).
 */
const answeredWith = (error: {
  readonly failure?: string
  readonly status?: number | undefined
  readonly retryAfterMillis?: number | undefined
}): { readonly answered?: "busy" | "failed"; readonly later?: true } =>
  S.askedToWait(error)
    ? error.retryAfterMillis !== undefined && error.retryAfterMillis > 60_000
      ? { answered: "busy", later: true }
      : { answered: "busy" }
    : error.status !== undefined && error.failure !== "NetworkError"
      ? { answered: "failed" }
      : {}

/**
 * Whether a `PlexUnavailable`'s `failure` (and the `status` plex.tv answered with) is one that trying again in a
 * moment does not change: plex.tv refused the request (`BadRequest`, `Unauthorized`), or answered what a request to
 * it never gets (`Unexpected` with a status below 500 but 408, 421 and 425: a 404 from a host that is not plex.tv's, a page
 * where JSON was due). Not a 5xx, a 408, 421 or 425, `RateLimited` or `NetworkError` (no answer, or none in time): those
 * pass. Nor an answer that carried a `Retry-After` (`retryAfterMillis`), whatever its status: a 403 with one is a CDN's
 * or a rate limiter's in front of plex.tv asking the client to come back later, not a refusal for good.
 */
export const refusedForGood = (error: {
  readonly failure?: string
  readonly status?: number | undefined
  readonly retryAfterMillis?: number | undefined
}): boolean =>
  error.retryAfterMillis === undefined &&
  (error.failure === "BadRequest" ||
    error.failure === "Unauthorized" ||
    (error.failure === "Unexpected" &&
      error.status !== undefined &&
      error.status < 500 &&
      // A timeout (408), a request sent on a connection that cannot serve it (421), one too early (425): a retry cures them.
      ![408, 421, 425].includes(error.status)))

/** The HTTP status each refusal is answered with. */
export const refusalStatus = (refusal: Refusal): number => {
  switch (refusal._tag) {
    case "NotStarted":
      return 400
    case "NotApproved":
    case "PinExpired":
      return 401
    case "NoAccess":
      return 403
    case "Unavailable":
    case "NotSaved":
      return 503
    case "TooMany":
      return 429
  }
}

const texts = (refusal: Refusal): { readonly title: string; readonly text: string } => {
  const told = textOf(refusal)
  return refusal._tag === "NotStarted" && refusal.signedInAs !== undefined
    ? { ...told, text: `${told.text} You are still signed in as ${refusal.signedInAs}.` }
    : told
}

const textOf = (refusal: Refusal): { readonly title: string; readonly text: string } => {
  switch (refusal._tag) {
    case "NotStarted":
      return refusal.noState === true
        ? {
            title: "Sign-in not started here",
            text:
              "This address is where Plex sends you back after you sign in, but it was opened without the details " +
              "of a sign-in (from a bookmark, or typed?). Please start again."
          }
        : refusal.anotherPending === true
          ? {
              title: "Sign-in not started here",
              text:
                "Another sign-in was started in this browser since this one (in another tab?). " +
                "Finish that one, or start again."
            }
          : {
              title: "Sign-in not started here",
              text: "This sign-in was not started in this browser, or it took too long. Please start again."
            }
    case "NotApproved":
      return {
        title: "Sign-in not confirmed",
        text: "Plex has not confirmed your sign-in. Please start again and approve it on the Plex page."
      }
    case "PinExpired":
      return { title: "Sign-in expired", text: "The sign-in took too long. Please start again." }
    case "NoAccess":
      return {
        title: "No access",
        text:
          `You signed in with Plex as ${refusal.username}, but this app is only for people who can use its ` +
          "owner's Plex Media Server. Ask the owner to share the server with you."
      }
    case "Unavailable":
      return refusal.refused === true
        ? {
            title: "Sign-in not available",
            text:
              "Plex refused to start a sign-in for this app, so you cannot sign in here for now. Trying again will " +
              "not help: please tell the app's owner."
          }
        : unavailableText(refusal)
    case "NotSaved":
      return refusal.retryPath !== undefined
        ? {
            title: "Sign-in not saved",
            text:
              "You signed in with Plex, but this app could not save your sign-in. Please try again in a moment: " +
              "your sign-in is kept for a few minutes, and finishes once the app can save it."
          }
        : {
            title: "Sign-in not saved",
            text: "This app could not save your sign-in. Please start again in a moment."
          }
    case "TooMany":
      return {
        title: "Too many sign-ins",
        text:
          "Many sign-ins were started on this app just now, so it is not asking Plex for more for a moment. " +
          "Please try again shortly."
      }
  }
}

/**
 * The words of an `Unavailable` page plex.tv did not refuse for good, one choice for the start and the return: what
 * plex.tv did (`answered`: busy, failed, or no answer), what could not be done (the sign-in started, or finished), and
 * what to do: try the start again; at a return whose PIN cookie was kept (`retryPath`), try the same return again, the
 * sign-in kept meanwhile; at another return, start again. A kept return asked to wait more than a minute (`later`)
 * does not say the sign-in is kept meanwhile, as that wait may outlast it: its PIN lives 15 minutes at plex.tv, its
 * PIN cookie `pinLifetime` (15 minutes by default, maybe less), so it says how short that is and to start again past
 * it.
 */
const unavailableText = (refusal: Extract<Refusal, { readonly _tag: "Unavailable" }>) => {
  const atStart = refusal.atStart === true
  const kept = refusal.retryPath !== undefined
  const later = refusal.answered === "busy" && refusal.later === true
  const when = refusal.answered === "busy" ? (later ? "later" : "in a minute") : "in a moment"
  const again = `Please ${atStart || kept ? "try" : "start"} again ${when}${
    !kept
      ? "."
      : later
        ? ". Your sign-in is kept only for a few minutes (at Plex, 15 at most): past that, start again."
        : ": your sign-in is kept for a few minutes, and finishes once Plex answers."
  }`
  return refusal.answered === "busy"
    ? {
        title: "Plex is busy",
        text: `Plex is busy, so your sign-in could not be ${atStart ? "started" : "finished"}. ${again}`
      }
    : refusal.answered === "failed"
      ? {
          title: atStart ? "Sign-in could not start" : "Sign-in could not finish",
          text: `Plex could not ${atStart ? "start" : "finish"} your sign-in just now. ${again}`
        }
      : {
          title: "Plex could not be reached",
          text: `Plex did not answer, so your sign-in could not be ${atStart ? "started" : "finished"}. ${again}`
        }
}

/**
 * The words of the refusal page's button to `startPath`, as its text says what to do: "Start again" after a refusal
 * that ends the sign-in ("Please start again": a new sign-in, a new PIN); "Try again" where the start itself is what
 * failed or was refused for now (`TooMany`, `Unavailable` `atStart`: "Please try again"), the button doing again what
 * the visitor did; "Sign in with another Plex account" after `NoAccess` (the same account would be refused again).
 */
export const startLabel = (refusal: Refusal): string => {
  switch (refusal._tag) {
    case "NoAccess":
      return "Sign in with another Plex account"
    case "TooMany":
      return "Try again"
    case "Unavailable":
      return refusal.atStart === true ? "Try again" : "Start again"
    default:
      return "Start again"
  }
}

/**
 * The refusal page; `startPath` is where its button leads, in {@link startLabel}'s words (an `Unavailable` or
 * `NotSaved` refusal's `retryPath` instead, "Try again", then with a "Start again" link to `startPath`; none after an
 * `Unavailable` start plex.tv `refused`, whose button is "Home"), `homePath` (the app's `homePath`) where "Home" does.
 */
export const refusalPage = (refusal: Refusal, startPath: string, homePath = "/"): string => {
  const { text, title } = texts(refusal)
  const retry = refusal._tag === "Unavailable" || refusal._tag === "NotSaved" ? refusal.retryPath : undefined
  const home = escapeHtml(homePath)
  // A start plex.tv refused for good offers no button to start again (it would be refused again): only "Home".
  const links =
    refusal._tag === "Unavailable" && refusal.refused === true
      ? `<a class="button" href="${home}">Home</a>`
      : retry === undefined
        ? `<a class="button" href="${escapeHtml(startPath)}">${startLabel(refusal)}</a> <a href="${home}">Home</a>`
        : `<a class="button" href="${escapeHtml(retry)}">Try again</a> <a href="${escapeHtml(startPath)}">Start again</a> <a href="${home}">Home</a>`
  return page(
    title,
    `<h1 id="refused" data-reason="${escapeHtml(refusal._tag)}">${escapeHtml(title)}</h1>
<p id="reason">${escapeHtml(text)}</p>
<p>${links}</p>`
  )
}

/** The content type of the pages the routes answer (a refusal). */
export const contentType = "text/html; charset=utf-8"

/** The headers of a page that holds or follows a secret: not stored, no referrer sent on. */
export const privateHeaders: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer"
}
