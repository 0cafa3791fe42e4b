/**
 * What the `plex-auth` CLI of both editions says about a failure, and with
 * which exit code: plain functions over the library's error fields (the
 * same in both editions), with no Effect and no Node built-in.
 *
 * @internal
 */
import { credentialsInUrlProblem, httpUrl, tokenProblem } from "../validate.js"

/** The CLI's exit codes (docs/cli.md). */
export const ExitCode = {
  Ok: 0,
  Generic: 1,
  Usage: 2,
  Unauthorized: 3,
  PinExpired: 4,
  Network: 5,
  RateLimited: 6,
  Cancelled: 130
} as const

/** A message and the exit code it ends the CLI with. */
export interface Failure {
  readonly message: string
  readonly exitCode: number
}

/** The run cancelled (Ctrl-C, SIGTERM, a prompt quit): exit 130. */
export const cancelled: Failure = { message: "Cancelled.", exitCode: ExitCode.Cancelled }

/**
 * A prompt left unanswered: stdin ended before the answer (a usage error, exit 2, naming what was asked when
 * `missing` is known), else the user quit it ({@link cancelled}).
 */
export const promptUnanswered = (stdinEnded: boolean, missing?: string): Failure =>
  stdinEnded
    ? {
        message: `stdin ended before the prompt was answered${missing === undefined ? "" : `: ${missing}`}.`,
        exitCode: ExitCode.Usage
      }
    : cancelled

/** What `whoami` and friends say when no token is saved. */
export const notLoggedInMessage = "Not logged in. Run `plex-auth login` first."

/**
 * "Not logged in", saying so when `PLEX_TOKEN` is set (not blank): the CLI does not read it (the library's
 * `Credentials.layerConfig` does, and `plex-auth fake-server` prints it as a line of its environment), so a script
 * that exported it would otherwise be told to log in with no word on why its token went unused.
 */
export const notLoggedIn = (plexTokenSet: boolean): string =>
  plexTokenSet
    ? `${notLoggedInMessage} PLEX_TOKEN is set, but plex-auth does not read it: it uses the token \`plex-auth login\` saves in its configuration directory (--config-dir).`
    : notLoggedInMessage

/**
 * The saved token a command signs in with, read from the credentials file (`stored`: the entry, if any); undefined
 * when there is none, or one no token can be (spoilt by hand): both "not logged in". Both CLIs read it once and use
 * it as it is (`Credentials.withToken`): they have nothing to obtain, so no `Credentials.layerStored`, whose lease of
 * an obtain (claimed, read back, removed) was written for a sign-in that runs (docs/tokens.md).
 */
export const usableSavedToken = (stored: string | undefined): string | undefined =>
  stored !== undefined && tokenProblem(stored) === undefined ? stored : undefined

/**
 * `--config-dir` given empty (or blank): refused, as the library's file store refuses an empty directory, rather
 * than resolved to the current directory, where the token file would land and whose permissions would be tightened.
 */
export const emptyConfigDirMessage =
  "Invalid --config-dir: must not be empty (leave it out for the default directory)."

/**
 * How both CLIs say the credentials file could not be used: the file (when known), the store's reason
 * (`InvalidData`, `PermissionDenied`, `Busy`, ...) and what it said.
 */
export const storeFailureMessage = (failure: {
  readonly reason: string
  readonly path?: unknown
  readonly description?: string | undefined
}): string =>
  `Could not use the credentials file${failure.path !== undefined ? ` ${String(failure.path)}` : ""} (${failure.reason}${failure.description !== undefined ? `: ${failure.description}` : ""}).`

/** The scheme, host and port of a URL, or "the server": never a path or a query that could carry a secret. */
export const originOf = (url: string): string => {
  try {
    return new URL(url).origin
  } catch {
    return "the server"
  }
}

interface Detail {
  readonly code?: number | undefined
  readonly message?: string | undefined
}

const codesOf = (errors: ReadonlyArray<Detail> | undefined): string => {
  const parts = (errors ?? []).flatMap((e) => (e.code === undefined ? [] : [String(e.code)]))
  return parts.length > 0 ? `, Plex code ${parts.join(", ")}` : ""
}

/** Plex's messages in an error's entries, after a colon (`: A managed user cannot own a server`), or "". */
const messagesOf = (errors: ReadonlyArray<Detail> | undefined): string => {
  const messages = (errors ?? []).flatMap((e) =>
    e.message === undefined || e.message === "" ? [] : [e.message]
  )
  return messages.length > 0 ? `: ${messages.join("; ")}` : ""
}

/** What Plex said in a refusal's entries, to follow its `HTTP 403`: `, Plex code 1000: Forbidden here`, or "". */
export const plexSaid = (errors: ReadonlyArray<Detail> | undefined): string =>
  `${codesOf(errors)}${messagesOf(errors)}`

/**
 * `logout`'s words for a sign-out plex.tv answers 403, whose token it keeps: not `failureOf`'s "sign in as an account
 * that may do it" (a login would replace the token the user asked to revoke), but what the 403 says of the token.
 */
export const signOutForbiddenMessage = (errors: ReadonlyArray<Detail> | undefined): string =>
  `plex.tv refused to revoke the saved token (HTTP 403${codesOf(errors)}${messagesOf(errors)}): a 403 refuses what an account may not do, or is a proxy's, and does not say the token is invalid: it may still be valid.`

const inputNames: Record<string, string> = {
  login: "--login",
  password: "password (PLEX_PASSWORD or the prompt)",
  verificationCode: "two-factor code (PLEX_2FA_CODE or the prompt)",
  serverUrl: "--server URL (or PLEX_SERVER_URL)",
  nameOrId: "--server (or PLEX_SERVER_URL)",
  url: "--plex-tv URL (or PLEX_TV_URL)",
  authAppUrl: "--auth-app-url URL (or PLEX_AUTH_APP_URL)",
  token: "saved token",
  // Home.switchUser's PIN: only PLEX_HOME_PIN reaches the library unchecked (the prompt takes four digits only).
  pin: "PLEX_HOME_PIN",
  // The client identifier kept in the credentials file (edited by hand): the library names its field, and its reason
  // (ClientIdentity.makePersisted, core/configured.ts storedIdentifierProblem) says to correct or remove it.
  clientIdentifier: "client identifier kept in store.json"
}

/**
 * Where a value the CLI reads from an option or, without it, from an
 * environment variable came from (`--plex-tv` or `PLEX_TV_URL`, `--server`
 * or `PLEX_SERVER_URL`): its messages name that one.
 */
export type GivenBy = "option" | "variable"

/** The name of a value's source ({@link GivenBy}): the option's when it was given, else the variable's. */
export const givenBy = (from: GivenBy | undefined, option: string, variable: string): string =>
  from === "variable" ? variable : option

/**
 * `--auth-app-url` (or `PLEX_AUTH_APP_URL`): the page the PIN login's link
 * points at, checked as the library checks a PIN login's `authAppUrl` (the
 * same rule and reason), so a bad value is a usage error before any
 * request. Either the URL or the CLI's message, naming where it came from.
 */
export const authAppUrlOf = (
  value: string,
  from: GivenBy | undefined
): { readonly url: string } | { readonly message: string } => {
  const checked = httpUrl(value)
  if ("url" in checked) return checked
  const what = givenBy(from, "--auth-app-url URL", "PLEX_AUTH_APP_URL")
  // A user name or password in it: said plainly. cliReason's advice (sign in with `plex-auth login`, which
  // sends the token itself) is for a URL the CLI sends requests to; this one is only printed, during that login.
  return checked.problem === credentialsInUrlProblem
    ? { message: `Invalid ${what}: ${authAppCredentialsReason}.` }
    : { message: invalidMessage(what, checked.problem) }
}

/** Why `--auth-app-url` (or `PLEX_AUTH_APP_URL`) with a user name or password is refused. */
export const authAppCredentialsReason =
  "must not carry a user name or password (it is the page the sign-in link opens in a browser)"

/** Where `login --password` took each of its inputs. */
export interface SignInSources {
  readonly login: "option" | "prompt"
  readonly password: "variable" | "prompt"
  readonly code: "variable" | "prompt"
}

/**
 * How `login --password` names the input an `InvalidInput` is about: after
 * where it came from (`--login` or the prompt, `PLEX_PASSWORD` or the prompt,
 * `PLEX_2FA_CODE` or the prompt).
 */
export const signInInputName = (field: string, from: SignInSources): string => {
  switch (field) {
    case "login":
      return from.login === "option" ? "--login" : "login (typed at the prompt)"
    case "password":
      return from.password === "variable" ? "PLEX_PASSWORD" : "password (typed at the prompt)"
    case "verificationCode":
      return from.code === "variable" ? "PLEX_2FA_CODE" : "two-factor code (typed at the prompt)"
    default:
      return inputName(field)
  }
}

/** How the CLI names the input an `InvalidInput` is about. */
export const inputName = (field: string): string => inputNames[field] ?? field

/**
 * The library's reason an input is refused, in the CLI's terms: where the
 * library's words name a library module (a URL with a user name or password
 * in it: "use Credentials for the token"), what a CLI user does instead.
 */
export const cliReason = (reason: string): string =>
  reason === credentialsInUrlProblem
    ? "must not carry a user name or password: sign in with `plex-auth login` instead (the CLI saves the token and sends it itself)"
    : reason

/** `Invalid <what>: <reason>.`, with the library's reason in the CLI's terms ({@link cliReason}). */
export const invalidMessage = (what: string, reason: string): string =>
  `Invalid ${what}: ${cliReason(reason)}.`

/** The fields of the library's errors the CLI reads (both editions' `PlexError` have them). */
export interface PlexErrorLike {
  readonly _tag: string
  readonly message: string
  /** The library function that failed (`PinLogin.poll`, `PlexAuth.signIn`, ...). */
  readonly operation?: string | undefined
  readonly status?: number | undefined
  readonly errors?: ReadonlyArray<Detail> | undefined
  readonly field?: string | undefined
  readonly reason?: string | undefined
  readonly url?: string | undefined
  readonly detail?: string | undefined
  readonly retryAfterMillis?: number | undefined
  readonly server?: string | undefined
  readonly available?: ReadonlyArray<string> | undefined
  readonly user?: string | undefined
  readonly machineIdentifier?: string | undefined
  readonly claimedBy?: string | undefined
  readonly attempts?:
    | ReadonlyArray<{ readonly uri: string; readonly reason?: string | undefined; readonly outcome: string }>
    | undefined
  readonly lastError?:
    | { readonly status?: number | undefined; readonly reason?: string | undefined }
    | undefined
}

/** The Plex Home has no such user: which users it has. */
export const homeUserNotFoundMessage = (user: string, available: ReadonlyArray<string>): string =>
  `The Plex Home has no user "${user}"${
    available.length === 0 ? "" : ` (it has: ${available.map((name) => `"${name}"`).join(", ")})`
  }.`

/**
 * Why a `home switch` argument names no one, before any request: a blank name (`home switch ""`), a usage error as
 * the library's own `InvalidInput` for it is; `undefined` otherwise.
 */
export const homeUserArgumentProblem = (user: string): string | undefined =>
  user.trim() === "" ? invalidMessage("user", "must not be empty") : undefined

/** The CLI's message and exit code for one of the library's errors. */
/**
 * The connection attempts of a `NoReachableConnection`, each reason once with the origins that met it, in the
 * order tried (`http://a:32400, http://b:32400: Transport; https://relay:8443: Status`): as the library's own
 * message says each cause once (core/resources.ts), not the same reason once per address.
 */
const byReason = (attempts: NonNullable<PlexErrorLike["attempts"]>): string => {
  const origins = new Map<string, Array<string>>()
  for (const attempt of attempts) {
    const reason = attempt.reason ?? attempt.outcome
    const seen = origins.get(reason)
    if (seen === undefined) origins.set(reason, [originOf(attempt.uri)])
    else seen.push(originOf(attempt.uri))
  }
  return [...origins].map(([reason, from]) => `${from.join(", ")}: ${reason}`).join("; ")
}

export const failureOf = (error: PlexErrorLike): Failure => {
  const url = error.url ?? ""
  switch (error._tag) {
    case "InvalidInput":
      return {
        message: invalidMessage(inputName(error.field ?? "input"), error.reason ?? "not valid"),
        exitCode: ExitCode.Usage
      }
    case "Unauthorized":
      return {
        // A 403 refuses the account, not its token (a managed Home user asking for a claim token): signing in
        // again as that account changes nothing. Plex's own words say what it may not do.
        // A PIN's creation or check carries no saved token: its refusal ends that sign-in, not a saved one.
        message: error.operation?.startsWith("PinLogin.")
          ? `plex.tv refused ${error.operation === "PinLogin.create" ? "to create the PIN" : "the PIN check"} (HTTP ${error.status}${codesOf(error.errors)}${messagesOf(error.errors)}), so this sign-in cannot go on. Run \`plex-auth login\` again.`
          : error.status === 403
            ? `Plex does not allow this to the saved account (HTTP 403${codesOf(error.errors)}${messagesOf(error.errors)}). Sign in as an account that may do it (\`plex-auth login\`).`
            : `Plex refused the saved token (HTTP ${error.status}${codesOf(error.errors)}). Run \`plex-auth login\` to sign in again.`,
        exitCode: ExitCode.Unauthorized
      }
    case "VerificationCodeRequired":
      return {
        message:
          "This account needs a two-factor code: set PLEX_2FA_CODE, or run `plex-auth login --password` where it can ask.",
        exitCode: ExitCode.Unauthorized
      }
    case "InvalidVerificationCode":
      return {
        message:
          "The two-factor code was not accepted: run `plex-auth login --password` again with the current code (or a backup code), at the prompt or in PLEX_2FA_CODE.",
        exitCode: ExitCode.Unauthorized
      }
    case "PinExpired":
      return {
        // Unreachable: the user may well have approved it, but plex.tv could not be asked (core/errors.ts's words: no
        // answer at all to the last check, or answers none of which could be used, a body cut off, a 5xx, a 429).
        // NotFound: plex.tv answered 404 (code 1020, "Code not found or expired"): it no longer knows the PIN, whether
        // or not it was approved (its clock ended the PIN first, or an approval came after the last pending check).
        // Expired: "before it was approved" only when the last check answered (not approved); when it failed (its
        // lastError: no answer, or one it could not use), an approval since the last answer would not have been seen.
        // "Could not reach" only with no answer and no timeout (one may hit as an answer's body arrives).
        // Pending: a poll's `schedule` ended first (plex-auth's own login gives none; a program's may): not expired.
        message: `${
          error.reason === "NotFound"
            ? "plex.tv no longer knows the PIN (it expired there or was removed)"
            : error.reason === "Pending"
              ? "The PIN was not approved before polling stopped (it has not expired)"
              : `The PIN expired ${
                  error.reason === "Unreachable"
                    ? error.lastError?.status === undefined && error.lastError?.reason !== "Timeout"
                      ? "while plex.tv could not be reached to check it"
                      : "while no check got a usable answer from plex.tv"
                    : error.lastError === undefined
                      ? "before it was approved"
                      : error.lastError.status === undefined && error.lastError.reason !== "Timeout"
                        ? "while its last check could not reach plex.tv"
                        : "while its last check got no usable answer from plex.tv"
                }`
        }. Run \`plex-auth login\` again.`,
        exitCode: ExitCode.PinExpired
      }
    case "NetworkError":
      return {
        message:
          // A timeout's error does not say whether the answer's status came before it (the engine's bundles would carry
          // that): the words fit both, as its `detail` ("no complete answer within 30s") does.
          error.reason === "Timeout"
            ? `${originOf(url)} did not answer in time, or its answer's body did not all arrive in time (${error.detail}); try again later.`
            : // An answer came (its status), then its body broke off: reached, so not "Could not reach". A timeout or a
              // cut-off answer says what to do, as the library's own message does ("; try again later").
              error.status === undefined
              ? `Could not reach ${originOf(url)}: ${error.detail}.`
              : `${originOf(url)} answered (HTTP ${error.status}), but the body was cut off: ${error.detail}; try again later.`,
        exitCode: ExitCode.Network
      }
    case "RateLimited":
      return {
        message: `Plex is limiting requests${
          error.retryAfterMillis !== undefined
            ? `; try again in ${Math.ceil(error.retryAfterMillis / 1000)} s`
            : "; try again later"
        }.`,
        exitCode: ExitCode.RateLimited
      }
    case "BadRequest":
      return {
        message: `${originOf(url)} rejected the request as malformed (HTTP ${error.status}${codesOf(error.errors)}).`,
        exitCode: ExitCode.Generic
      }
    case "NotFound":
      return {
        message: `${originOf(url)} does not know what was asked for (HTTP ${error.status}${codesOf(error.errors)}).`,
        exitCode: ExitCode.Generic
      }
    case "Unexpected":
      return {
        // A 5xx: Plex failing, nothing wrong with the input or the token; what to do, as the library's message says
        // it (core/errors.ts unexpectedMessage).
        message: `Unexpected answer from ${originOf(url)}${
          error.status !== undefined ? ` (HTTP ${error.status})` : ""
        }: ${error.detail}${(error.status ?? 0) > 499 ? "; try again later" : ""}.`,
        exitCode: ExitCode.Generic
      }
    case "InvalidJwt":
      return {
        message: `The token is not valid (${error.reason}): ${error.detail}. Run \`plex-auth login\` again.`,
        exitCode: ExitCode.Unauthorized
      }
    case "NoReachableConnection": {
      const attempts = error.attempts ?? []
      return {
        message:
          attempts.length === 0
            ? `The server "${error.server}" offers no usable connection.`
            : `No connection to the server "${error.server}" answered (${byReason(attempts)}).`,
        exitCode: ExitCode.Network
      }
    }
    case "ServerNotFound": {
      const available = error.available ?? []
      return {
        message: `The account has no server "${error.server}" (it has: ${
          available.length === 0 ? "none" : available.map((name) => `"${name}"`).join(", ")
        }).`,
        exitCode: ExitCode.Generic
      }
    }
    case "HomeUserNotFound":
      return {
        message: homeUserNotFoundMessage(error.user ?? "", error.available ?? []),
        exitCode: ExitCode.Generic
      }
    case "HomePinRequired":
      return {
        message: `"${error.user}" is protected by a PIN: enter it when asked, or set PLEX_HOME_PIN.`,
        exitCode: ExitCode.Unauthorized
      }
    case "InvalidHomePin":
      return {
        message: `The PIN for "${error.user}" was not accepted: run \`plex-auth home switch\` again with the right one (or correct PLEX_HOME_PIN, if set).`,
        exitCode: ExitCode.Unauthorized
      }
    // Claim's errors: the library's messages start with its operation (`Claim.claimServer: ...`).
    // This account's own server (claimedBy ThisAccount) is no failure: the claim command answers it (alreadyOwnedText).
    // Another's (AnotherAccount: listed, not owned) is said so; not known whose (Unknown: the list could not be read,
    // or does not have it yet), how to find out.
    case "ServerAlreadyClaimed": {
      const other =
        "sign in as its owner (`plex-auth login`), or have the owner remove it from their account (their authorized devices), then run `plex-auth claim` again."
      return {
        message:
          error.claimedBy === "AnotherAccount"
            ? `The server ${error.machineIdentifier} at ${originOf(url)} is already claimed by another account (plex.tv lists it for this account, but not as its own): ${other}`
            : `The server ${error.machineIdentifier} at ${originOf(url)} is already claimed, by this account or another (plex.tv's list of this account's servers could not be read, or does not have it: a server claimed moments ago may not be listed yet; \`plex-auth servers\` lists it, owned, once it is this account's). If another's, ${other}`,
        exitCode: ExitCode.Generic
      }
    }
    case "ClaimRejected":
      return {
        message: `${originOf(url)} refused the claim (HTTP ${error.status}${codesOf(error.errors)}). Run \`plex-auth claim\` again, from the server's own network: it gets a fresh claim token.`,
        exitCode: ExitCode.Generic
      }
    default:
      // An error added to the library after this CLI: its message, which never carries a secret.
      return { message: error.message, exitCode: ExitCode.Generic }
  }
}

const kinds: Record<number, string> = Object.fromEntries(
  Object.entries(ExitCode).map(([kind, code]) => [code, kind])
)

/** A failure as `--json` prints it on stderr: `{"error":{"kind","exitCode","message"}}`. */
export const jsonError = (message: string, exitCode: number): string =>
  JSON.stringify({ error: { kind: kinds[exitCode] ?? "Generic", exitCode, message } })

const unsafe = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g

/**
 * Text from a server, made safe to print on a terminal: control characters,
 * bidirectional overrides and invisible characters are shown escaped.
 */
export const neutralise = (text: string): string =>
  text.replace(unsafe, (char) => {
    const code = char.charCodeAt(0)
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`
  })

/** The words a boolean option takes as its value (`--fake true`, `--json=false`), as both CLI parsers read them. */
export const booleanWords: ReadonlyArray<string> = [
  "true",
  "false",
  "yes",
  "no",
  "y",
  "n",
  "on",
  "off",
  "1",
  "0"
]
/** Those of {@link booleanWords} that turn it on. */
export const trueWords: ReadonlyArray<string> = ["true", "yes", "y", "on", "1"]

/**
 * Whether `--json` is on the command line (before a `--`), as the parsers
 * read it: `--json`, `--json=true`, `--json true` (a boolean word after it is
 * its value: `--json false` is off; the CLIs have made any but true and false
 * a word of its own, render.ts switchesAlone). Errors are then JSON, as the result is.
 */
export const jsonRequested = (argv: ReadonlyArray<string>): boolean => {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") return false
    if (arg.startsWith("--json=")) return trueWords.includes(arg.slice("--json=".length))
    if (arg === "--json") {
      const next = argv[i + 1]
      return next === undefined || !booleanWords.includes(next) || trueWords.includes(next)
    }
  }
  return false
}

/** The loopback fake of a `--fake` run, as {@link inFakeTerms} names it. */
export interface FakeOrigins {
  /** Its plex.tv's base URL. */
  readonly plexTvUrl: string
  /** Its server's base URL. */
  readonly serverUrl: string
  /** Every origin it answers on (its plex.tv and server among them). */
  readonly urls: ReadonlyArray<string>
  /** Whether `PLEX_AUTH_FAKE=offline` has it close every connection unanswered. */
  readonly offline: boolean
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** What a `--fake` run that met `PLEX_AUTH_FAKE=offline` adds to its "Could not reach" failure. */
export const fakeOfflineHint =
  "PLEX_AUTH_FAKE=offline has the fake close every connection unanswered: run without offline in PLEX_AUTH_FAKE to reach it."

/**
 * A `--fake` run's failure in words that still hold once the run has ended:
 * the embedded fake's loopback origins (a new port each run, nothing
 * listening there after it) named as what they are, `the fake plex.tv`,
 * `the fake server`, `the fake` (for its other hosts); and a network failure
 * (exit 5) with `PLEX_AUTH_FAKE=offline` says it was that scenario's doing,
 * and how to run without it ({@link fakeOfflineHint}). Other URLs (a
 * `--server` given) are not touched; the exit code stays.
 */
export const inFakeTerms = (failure: Failure, fake: FakeOrigins): Failure => {
  const plexTv = originOf(fake.plexTvUrl)
  const server = originOf(fake.serverUrl)
  const named: ReadonlyArray<readonly [string, string]> = [
    [plexTv, "the fake plex.tv"],
    [server, "the fake server"],
    ...fake.urls
      .map(originOf)
      .filter((origin) => origin !== plexTv && origin !== server)
      .map((origin) => [origin, "the fake"] as const)
  ]
  // Not in a longer port that starts with the same digits (`:4000` in `:40001`).
  const message = named.reduce(
    (text, [origin, name]) => text.replace(new RegExp(`${escapeRegExp(origin)}(?!\\d)`, "g"), name),
    failure.message
  )
  const offline = fake.offline && failure.exitCode === ExitCode.Network && message !== failure.message
  return { message: offline ? `${message} ${fakeOfflineHint}` : message, exitCode: failure.exitCode }
}

/** A failure as printed on stderr: `plex-auth: <message>`, or its JSON under `--json`. */
export const failureText = (failure: Failure, options: { readonly json: boolean }): string =>
  options.json ? jsonError(failure.message, failure.exitCode) : `plex-auth: ${neutralise(failure.message)}`

/** An account as `whoami --json` prints it. */
export const accountJson = (account: {
  readonly username: string
  readonly email?: string | undefined
  readonly id: number
  readonly uuid: string
}) => ({
  username: account.username,
  email: account.email ?? null,
  id: account.id,
  uuid: account.uuid
})

/**
 * An account as `login` and `whoami` name it: `alice (alice@example.com)`; a managed Home user, which has no user
 * name (`""`), by its title.
 */
export const describeAccount = (account: {
  readonly username: string
  readonly title: string
  readonly email?: string | undefined
}) => {
  const name = account.username !== "" ? account.username : account.title
  return neutralise(account.email !== undefined ? `${name} (${account.email})` : name)
}

/** The rows `whoami` prints. */
export const whoamiText = (account: {
  readonly username: string
  readonly email?: string | undefined
  readonly id: number
  readonly uuid: string
}): string =>
  (
    [
      ["username", account.username !== "" ? account.username : "-"],
      ["email", account.email ?? "-"],
      ["id", String(account.id)],
      ["uuid", account.uuid]
    ] as const
  )
    .map(([key, value]) => `${key.padEnd(9)}${neutralise(value)}`)
    .join("\n")

/** Why a withdrawn option is refused, or undefined. */
export const withdrawnOption = (argv: ReadonlyArray<string>): string | undefined => {
  for (const arg of argv) {
    if (arg === "--") return undefined
    if (arg === "--code-2fa" || arg.startsWith("--code-2fa=")) {
      return "--code-2fa is not accepted (a code on the command line shows in the process list): set PLEX_2FA_CODE, or answer the prompt."
    }
    if (arg === "--code") return "--code is now --link-code (show a short code to type at plex.tv/link)."
  }
  return undefined
}

/** A connection probe, as both editions' `Resources.ConnectionAttempt` has it. */
export interface AttemptLike {
  readonly uri: string
  readonly location: string
  readonly protocol: string
  readonly outcome: "Reachable" | "Failed" | "WrongServer" | "Cancelled"
  readonly millis: number
  readonly reason?: string | undefined
}

const mark: Record<AttemptLike["outcome"], string> = {
  Reachable: "ok",
  Failed: "failed",
  WrongServer: "wrong server",
  Cancelled: "not needed"
}

/** One probe as `servers` prints it, `*` marking the chosen connection. */
export const attemptLine = (attempt: AttemptLike, chosen: boolean): string =>
  neutralise(
    `  ${chosen ? "*" : " "} ${attempt.uri.padEnd(44)} ${attempt.location.padEnd(6)} ${`${attempt.millis} ms`.padStart(8)}  ${
      attempt.outcome === "Failed" && attempt.reason !== undefined
        ? `failed (${attempt.reason})`
        : mark[attempt.outcome]
    }`
  )

/** One probe as `servers --json` prints it. */
export const attemptJson = (attempt: AttemptLike) => ({
  uri: attempt.uri,
  location: attempt.location,
  protocol: attempt.protocol,
  outcome: attempt.outcome,
  millis: attempt.millis,
  reason: attempt.reason ?? null
})

/** An authorized device as `devices --json` prints it: never its token. */
export const deviceJson = (device: {
  readonly id: number
  readonly name: string
  readonly product?: string | undefined
  readonly productVersion?: string | undefined
  readonly platform?: string | undefined
  readonly platformVersion?: string | undefined
  readonly device?: string | undefined
  readonly clientIdentifier?: string | undefined
  readonly provides?: string | undefined
  readonly createdAt?: number | undefined
  readonly lastSeenAt?: number | undefined
}) => ({
  id: device.id,
  name: device.name,
  product: device.product ?? null,
  productVersion: device.productVersion ?? null,
  platform: device.platform ?? null,
  platformVersion: device.platformVersion ?? null,
  device: device.device ?? null,
  clientIdentifier: device.clientIdentifier ?? null,
  provides: device.provides ?? null,
  createdAt: device.createdAt ?? null,
  lastSeenAt: device.lastSeenAt ?? null
})
