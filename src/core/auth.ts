/**
 * The seed operations of `PlexAuth` as Plex defines them: where each goes,
 * with which method, and the query or form it sends, built from plain values
 * (a secret stays whatever the edition wraps it in: it is placed, never read).
 * Shared by both editions.
 *
 * @internal
 */
import type { Endpoint } from "./endpoint.js"
import { mayCarrySecrets } from "./policy.js"
import { twoFactorOutcome, verificationCodeProblem, verificationCodeToSend } from "./twoFactor.js"
import { loginProblem, notString, passwordProblem, sourceProblem } from "./validate.js"

/** An endpoint: its name, method, path below the base URL and behaviour (see `endpoint.ts`). */
export type { Endpoint } from "./endpoint.js"

/** plex.tv `POST /api/v2/users/signin` (form: login, password, rememberMe, verificationCode): never sent twice. */
export const signIn = {
  endpoint: "postUsersSignInData",
  method: "POST",
  path: "/api/v2/users/signin",
  twoFactor: twoFactorOutcome,
  idempotent: false
} as const satisfies Endpoint
/**
 * A sign-in made to hold a session (`Credentials.layerSignIn`) asks for a
 * long-lived token (`rememberMe: true`, as python-plexapi and plex-rs do)
 * unless the caller says otherwise; `PlexAuth.signIn` itself sends what it is given.
 */
export const sessionSignIn = <I extends { readonly rememberMe?: boolean | undefined }>(
  input: I
): I & { readonly rememberMe: boolean } => ({ ...input, rememberMe: input.rememberMe ?? true })

/** plex.tv `GET /api/v2/user`: the account a token belongs to. */
export const tokenDetails = {
  endpoint: "getTokenDetails",
  method: "GET",
  path: "/api/v2/user"
} as const satisfies Endpoint
/** plex.tv `GET /api/v2/ping`: keeps a token alive. */
export const ping = { endpoint: "ping", method: "GET", path: "/api/v2/ping" } as const satisfies Endpoint
/** plex.tv `DELETE /api/v2/users/signout`: revokes a token (a 204); never sent twice. */
export const signOut = {
  endpoint: "signOut",
  method: "DELETE",
  path: "/api/v2/users/signout",
  noContent: true,
  idempotent: false
} as const satisfies Endpoint

/**
 * Whether plex.tv accepted a revocation ({@link signOut}, core/devices.ts `deleteDevice`), from its answers as they
 * come, each hop of its redirects (`answered`: the status, and the URL that answered): a 2xx from a server the token
 * was sent to (the first request's origin, core/policy.ts `mayCarrySecrets`), or after such a server's 303 (it acted,
 * then sent the caller to the result). A redirect within that origin (to another plex.tv path) is followed with the
 * token, so its 2xx is plex.tv's own answer and counts: python-plexapi and @ctrl/plex, which follow redirects, take it
 * so too. Not an answer from another origin a 301, 302, 307 or 308 led to: the DELETE went on there without the token
 * (the engine sends no secret to another origin), and what that page answers is no verdict of plex.tv's; the server
 * that had the token only redirected it. Its 2xx revoked nothing (the token stays valid), its 401 refused no token
 * (it was sent none: not "already invalid"), its 404 is no "no such device". `elsewhere`: the last answer when it came
 * from such an origin (the URL the token was sent to, the status, and what happened), for the `Unexpected` that says
 * so; none once plex.tv accepted.
 */
export const revocationAnswers = () => {
  let first: string | undefined
  let acted = false
  let accepted = false
  let elsewhere: { readonly url: string; readonly status: number; readonly detail: string } | undefined
  return {
    answered: (status: number, url: string): void => {
      first ??= url
      const home = mayCarrySecrets(first, url) || acted
      acted ||= home && status === 303
      accepted ||= home && status > 199 && status < 300
      elsewhere = home ? undefined : { url: first, status, detail: revokedElsewhere(new URL(url).origin) }
    },
    accepted: (): boolean => accepted,
    elsewhere: () => (accepted ? undefined : elsewhere)
  }
}

/** The detail of a revocation's `Unexpected` when a 2xx came from an origin the token was not sent to. */
export const revokedElsewhere = (origin: string): string =>
  `answered by ${origin}, where a redirect led without the token: not revoked (the token may still be valid)`

/** PMS `POST /security/token?type=delegation&scope=all`: a transient token. */
export const transientToken = {
  endpoint: "getTransientToken",
  method: "POST",
  path: "/security/token"
} as const satisfies Endpoint
/** PMS `GET /security/resources?source=...`: connection details of a source (PMS 1.15.4+); 404 for an unknown source. */
export const sourceConnectionInformation = {
  endpoint: "getSourceConnectionInformation",
  method: "GET",
  path: "/security/resources",
  notFound: true
} as const satisfies Endpoint

/** A refused argument: which one and why. */
export interface Problem {
  readonly field: string
  readonly problem: string
}

/**
 * Why `input` cannot be sign-in input, or undefined: what is not an object (from untyped JavaScript) is refused as
 * {@link signInForm} refuses it, for `Credentials.layerSignIn` to say so when its layer is built. (`signInForm` keeps
 * its own check inline: calling this, or sharing the text as a constant, cost 7 to 12 gzipped bytes on the sign-in
 * bundles; the tests hold both to one message.)
 */
export const signInInputProblem = (input: unknown): string | undefined =>
  typeof input === "object" && input !== null ? undefined : "must be { login, password }"

/**
 * The sign-in form, or the argument at fault. `input` is the caller's: untyped JavaScript may pass anything, and
 * what is not an object is the `input` at fault (as `Credentials.layerSignIn` says: {@link signInInputProblem}), not a
 * missing `login`.
 * `password` and `code` are its secrets in whatever the edition holds them in (`Redacted`: anything given is
 * wrapped at once, so the check can say what it is, unseen): `reveal` gives their text
 * for the checks (the edition's `internal/validate.ts` `reveal`: a wiped one
 * reads as `wiped`, which the checks refuse; no password, `undefined`, as itself), and they are placed in the form as they are (the code
 * trimmed, a six-digit code typed in groups without its separators:
 * {@link verificationCodeToSend}, through `wrap`).
 */
export const signInForm = <S>(
  input: unknown,
  password: S | undefined,
  code: S | undefined,
  reveal: (secret: S | undefined) => unknown,
  wrap: (text: string) => S
): { readonly form: ReadonlyArray<readonly [string, string | S]> } | Problem => {
  if (typeof input !== "object" || input === null) {
    return { field: "input", problem: "must be { login, password }" }
  }
  const { login, rememberMe } = input as { readonly login?: unknown; readonly rememberMe?: unknown }
  const loginRefused = loginProblem(login)
  if (loginRefused) return { field: "login", problem: loginRefused }
  const passwordRefused = passwordProblem(reveal(password))
  if (passwordRefused) return { field: "password", problem: passwordRefused }
  if (rememberMe !== undefined && typeof rememberMe !== "boolean") {
    return { field: "rememberMe", problem: "must be a boolean" }
  }
  const form: Array<readonly [string, string | S]> = [
    ["login", (login as string).trim()],
    ["password", password as S],
    ["rememberMe", rememberMe ? "true" : "false"]
  ]
  if (code !== undefined) {
    const raw = reveal(code)
    const problem = typeof raw === "string" ? verificationCodeProblem(raw) : notString(raw)
    if (problem) return { field: "verificationCode", problem }
    form.push(["verificationCode", wrap(verificationCodeToSend(raw as string))])
  }
  return { form }
}

/** The query of {@link transientToken}, or the argument at fault: `delegation` and `all` are all Plex supports. */
export const transientTokenQuery = (input: {
  readonly type?: unknown
  readonly scope?: unknown
}): { readonly query: ReadonlyArray<readonly [string, string]> } | Problem => {
  const type = input.type ?? "delegation"
  const scope = input.scope ?? "all"
  if (type !== "delegation") return { field: "type", problem: 'must be "delegation"' }
  if (scope !== "all") return { field: "scope", problem: 'must be "all"' }
  return {
    query: [
      ["type", type],
      ["scope", scope]
    ]
  }
}

/** The query of {@link sourceConnectionInformation}, or the argument at fault. */
export const sourceQuery = (input: {
  readonly source?: unknown
  readonly refresh?: unknown
}): { readonly query: ReadonlyArray<readonly [string, string]> } | Problem => {
  const problem = sourceProblem(input.source)
  if (problem) return { field: "source", problem }
  // From untyped JavaScript, `"true"` or `"false"`: refused as every boolean option is, not ignored.
  if (input.refresh !== undefined && typeof input.refresh !== "boolean") {
    return { field: "refresh", problem: "must be a boolean" }
  }
  const query: Array<readonly [string, string]> = [["source", (input.source as string).trim()]]
  if (input.refresh) query.push(["refresh", "1"])
  return { query }
}
