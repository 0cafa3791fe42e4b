/**
 * What the `plex-auth` CLI of both editions prints on success, and the
 * checks it makes of its command line: plain functions over the library's
 * data (the same fields in both editions), with no Effect and no Node
 * built-in. The Effect 3 CLI (src/bin) and the Effect 4 one
 * (effect4/src/bin) only run the commands and hand the results here, so
 * their text, `--json` documents and messages cannot drift apart.
 *
 * @internal
 */
import * as ApprovalPage from "../fake/approvalPage.js"
import * as FakeSeed from "./fakeSeed.js"
import { runtimeDefaults } from "../identity.js"
import { mayRetry } from "../policy.js"
import * as SignOutFacts from "../signOut.js"
import { loginProblem, optionalValue } from "../validate.js"
import {
  type AttemptLike,
  attemptJson,
  attemptLine,
  booleanWords,
  invalidMessage,
  neutralise,
  originOf,
  type PlexErrorLike,
  plexSaid,
  signOutForbiddenMessage,
  trueWords
} from "./failure.js"

// ---------------------------------------------------------------------------
// The CLI's identity
// ---------------------------------------------------------------------------

/**
 * The platform fields the CLI presents to Plex, from what the runtime tells of itself (`runtimeDefaults`,
 * which never throws): the runtime and its version as `platform` and `platformVersion` (`Node.js` and
 * `20.11.1`, `Bun` and `1.4.5`, `Deno` and `2.9.6`: on Bun and Deno `process.versions.node` is the Node
 * version they emulate, not theirs), the OS as `device`, the host name as `deviceName` when the runtime
 * tells it (Deno without `--allow-sys` does not: it is left out, and reading it does not fail).
 */
export const cliPlatform = (
  runtime: unknown = globalThis
): {
  readonly platform: string | undefined
  readonly platformVersion: string | undefined
  readonly device: string | undefined
  readonly deviceName: string | undefined
} => {
  const defaults = runtimeDefaults(runtime)
  const model = defaults.model ?? ""
  const space = model.indexOf(" ")
  return {
    platform: space < 0 ? (model === "" ? undefined : model) : model.slice(0, space),
    platformVersion: space < 0 ? undefined : model.slice(space + 1),
    device: defaults.device,
    deviceName: defaults.deviceName
  }
}

// ---------------------------------------------------------------------------
// Terminal text
// ---------------------------------------------------------------------------

/** Whether text for `stream` may carry colour: a terminal, and `NO_COLOR` unset or empty (https://no-color.org). */
export const colourAllowed = (
  stream: { readonly isTTY?: boolean | undefined },
  env: Readonly<Record<string, string | undefined>>
): boolean => Boolean(stream.isTTY) && (env["NO_COLOR"] === undefined || env["NO_COLOR"] === "")

const sgr = /\x1b\[[0-9;]*m/g
const csi = /\x1b\[[0-9;?]*[ -/]*[@-~]/g

/** `text` without colour codes (SGR); without any terminal control sequence when `stream` is not a terminal. */
export const plain = (text: string, stream: { readonly isTTY?: boolean | undefined }): string =>
  stream.isTTY ? text.replace(sgr, "") : text.replace(csi, "")

const leadingControls = /^(?:\x1b\[[0-9;?]*[ -/]*[@-~])*/

/**
 * The answer of a password prompt as its last frame shows it (`✔ Password … ****`, colour codes between, one `*` a
 * character, with @effect/cli and effect/cli alike; on Windows their figures are `√` and `...`): the answer's length,
 * which stays on the screen and reaches a log. {@link promptDisplay} shows {@link hiddenAnswerText} in its place. An
 * answer of `*` alone to a prompt that shows what is typed would be shown so too: no harm.
 */
const hiddenAnswer =
  /([\u2714\u221a][^\n]*?(?:\u2026|\.\.\.)(?:\x1b\[[0-9;]*m| )*)\*+(?=(?:\x1b\[[0-9;]*m)*(?:\r?\n|$))/g

/** What a password prompt's last frame shows instead of one `*` a character: the same whatever the answer. */
export const hiddenAnswerText = "(hidden)"

/**
 * How a prompt is drawn on a stream: on a terminal as it is, or as {@link plain} draws it (`colour` false); off one
 * (a log, a pipe), as a log should show it. A prompt redraws itself at every key it reads (a hidden answer's `*`
 * too): it erases its line (a display of control sequences only), then draws the line anew. Off a terminal the
 * sequences are taken out, so each redraw would be appended to the line before it, once per key read from a piped
 * stdin (`? Password › ? Password › *? Password › **...`, the answer's length with it). Off a terminal, then, a
 * redraw of the prompt's one line is left out; a redraw that ends the prompt (its last frame, ending in a newline)
 * or says more (a line under it: why an answer was refused) is shown on a line of its own. One function a stream:
 * it remembers whether the last frame shown ended its line. A password prompt's last frame, on a terminal or off it,
 * shows {@link hiddenAnswerText} for the answer, not one `*` a character.
 */
export const promptDisplay = (stream: { readonly isTTY?: boolean | undefined }) => {
  let redraw = false
  let atLineStart = true
  return (drawn: string, colour: boolean): string => {
    const text = drawn.replace(hiddenAnswer, `$1${hiddenAnswerText}`)
    if (stream.isTTY) return colour ? text : plain(text, stream)
    // The control sequences before its first character: a redraw erases there (in the same display or alone).
    if (/\x1b\[[0-9;]*[JK]/.test(leadingControls.exec(text)?.[0] ?? "")) redraw = true
    const shown = text.replace(csi, "")
    if (shown === "") return ""
    if (redraw && !shown.includes("\n")) return ""
    const out = redraw && !atLineStart ? `\n${shown}` : shown
    redraw = false
    atLineStart = out.endsWith("\n")
    return out
  }
}

/** The spinner's frames while the CLI waits (on a terminal). */
export const spinnerFrames: ReadonlyArray<string> = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

/** What the CLI shows while it waits: a spinner frame on a terminal, else the label once on its own line. */
export const progressText = (label: string, frame: number | undefined, seconds: number): string =>
  frame === undefined
    ? `${label}...\n`
    : `\r\x1b[K${spinnerFrames[frame % spinnerFrames.length]} ${label} ${seconds}s`

/** Combining marks (nonspacing, enclosing) and invisible format characters: no column of their own. */
const zeroWidth = /^[\p{Mn}\p{Me}\p{Cf}]$/u

/** Emoji shown as emoji by default (U+1F600, U+231A, ...): two columns, as East Asian Wide. */
const emojiWide = /^\p{Emoji_Presentation}$/u

/** East Asian Wide (W) and Fullwidth (F) code points of Unicode's EastAsianWidth.txt, by block, besides emoji. */
const wideRanges: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], // Hangul Jamo (initial consonants)
  [0x2329, 0x232a], // angle brackets
  [0x2e80, 0x303e], // CJK radicals, Kangxi radicals, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes, enclosed CJK
  [0x3400, 0x4dbf], // CJK Unified Ideographs Extension A
  [0x4e00, 0x9fff], // CJK Unified Ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo Extended-A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x16fe0, 0x18cff], // Tangut, Khitan
  [0x1b000, 0x1b2ff], // Kana supplement and extensions, Nushu
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x3fffd] // CJK extensions B and later (planes 2 and 3)
]

/** The columns one code point takes on a terminal: 0, 1 or 2. */
const codePointWidth = (char: string): number => {
  if (zeroWidth.test(char)) return 0
  const code = char.codePointAt(0) ?? 0
  if (emojiWide.test(char)) return 2
  return wideRanges.some(([from, to]) => code >= from && code <= to) ? 2 : 1
}

/**
 * The grapheme segmenter, made on the first text that needs it ({@link displayWidth}), not when the CLI starts:
 * `new Intl.Segmenter` loads ICU's break rules, about 10 ms of CPU (and 50 to 110 ms of time on a loaded machine)
 * on Node 20 and 22, which every start of either edition's CLI paid, and most never need (printable ASCII needs
 * none). Undefined where there is no `Intl.Segmenter`.
 */
let graphemes: Intl.Segmenter | undefined | null = null
const segmenter = (): Intl.Segmenter | undefined =>
  graphemes === null
    ? (graphemes =
        typeof Intl === "object" && typeof Intl.Segmenter === "function"
          ? new Intl.Segmenter(undefined, { granularity: "grapheme" })
          : undefined)
    : graphemes

/** Printable ASCII only: each character is a cluster of its own, one column wide. */
const printableAscii = /^[\x20-\x7e]*$/

/**
 * The columns `text` takes on a terminal, for padding a table: East Asian wide and fullwidth characters and emoji
 * take 2, combining marks and invisible format characters 0, others 1 (as wcwidth counts them). A grapheme cluster
 * (a letter with its accents, an emoji sequence joined with U+200D, a flag, an emoji with U+FE0F) is as wide as its
 * widest code point, at most 2, or 2 when U+FE0F asks for an emoji's picture. Terminals differ on a few (an
 * ambiguous-width symbol, a rare sequence); these are the columns most draw.
 */
export const displayWidth = (text: string): number => {
  if (printableAscii.test(text)) return text.length
  let width = 0
  const graphemes = segmenter()
  const clusters =
    graphemes === undefined ? Array.from(text) : Array.from(graphemes.segment(text), (s) => s.segment)
  for (const cluster of clusters) {
    let widest = 0
    for (const char of cluster) widest = Math.max(widest, codePointWidth(char))
    width +=
      widest === 1 && cluster.includes("\ufe0f") && /\p{Extended_Pictographic}/u.test(cluster) ? 2 : widest
  }
  return width
}

/** `text` followed by spaces up to `width` columns on a terminal ({@link displayWidth}, not its length). */
export const padToWidth = (text: string, width: number): string =>
  text + " ".repeat(Math.max(0, width - displayWidth(text)))

/**
 * Rows of columns for a human: each cell neutralised (it comes from plex.tv), then padded to its column's width on
 * a terminal ({@link displayWidth}): a name in CJK characters or with an emoji does not push the next column.
 */
export const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const cells = rows.map((row) => row.map(neutralise))
  const widths: Array<number> = []
  for (const row of cells)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))))
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : padToWidth(cell, widths[i] ?? 0)))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}

// ---------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------

/** What `plex-auth` alone says. */
export const missingCommandMessage = "Missing command: run `plex-auth --help` to see them."

/** What a command made of subcommands only (`plex-auth token`) says alone. */
export const missingSubcommandMessage = (command: string): string =>
  `Missing command: run \`plex-auth ${command} --help\` to see them.`

/** Why `login`'s options do not go together, or undefined. */
export const loginOptionsProblem = (options: {
  readonly password: boolean
  readonly login: boolean
  readonly linkCode: boolean
  readonly noRememberMe: boolean
}): string | undefined => {
  if (!options.password && options.login) return "--login goes with --password."
  if (!options.password && options.noRememberMe) {
    return "--no-remember-me goes with --password (a PIN login has no such choice)."
  }
  if (options.password && options.linkCode) return "--link-code goes with a PIN login, not --password."
  return undefined
}

/**
 * Why `login --password`'s `--login` value cannot be a login (blank, a control character: the library's
 * `PlexAuth.signIn` check, in its words), or undefined: said before anything else is asked or sent (before
 * the saved token is checked with plex.tv, the question about it, the password prompt).
 */
export const loginValueProblem = (login: string | undefined): string | undefined => {
  if (login === undefined) return undefined
  const problem = loginProblem(login)
  return problem === undefined ? undefined : invalidMessage("--login", problem)
}

/**
 * Whether an environment variable of the CLI's (`PLEX_TV_URL`,
 * `PLEX_SERVER_URL`, `PLEX_PASSWORD`, `PLEX_2FA_CODE`, `PLEX_HOME_PIN`) is
 * set: an empty or blank value counts as unset, in both editions, as for
 * every optional variable of the library's (`validate.ts` `optionalValue`).
 */
export const envSet = (value: string): boolean => optionalValue(value) !== undefined

/**
 * A server given as a URL (`token transient --server`, `PLEX_SERVER_URL`), rather than by name: one with http(s)://,
 * and an address mistyped, which is read as the URL it was meant to be and refused saying what to write
 * (core/validate.ts httpUrl), before any request: http(s) with its colon or slashes wrong (`http//host`), another
 * scheme (`ftp://host`), in quotes (as an env file keeps them), or a host and port without a scheme
 * (`192.168.1.10:32400`, `user:password@plex.local:32400`). Looked up as a name, its "no server" error printed it,
 * a password or token in it too. A server's name has no scheme, nor a port after a colon.
 */
export const isUrl = (text: string): boolean =>
  /^\p{QMark}?(?:https?[:/\\]|[a-z][\w+.-]*:\/\/|[^\s/?#]*:\d{1,5}(?:[/?#\\]|\p{QMark}?$))/iu.test(
    text.trim()
  )

/**
 * `token transient`'s failure when the server refused the token it was asked with (a refused token's status: 401,
 * 422, 498), at `origin`: not plex.tv refusing the saved token, which `Run plex-auth login` (every command's words
 * for that) would not change. By URL (`byUrl`), the saved account token was sent, which a server lets in only when
 * the account owns it (one shared with the account is asked with its own token: by its name), or when it is still
 * valid; by name, the token plex.tv lists for that server was sent, plex.tv having just accepted the saved one.
 */
export const transientRefusedMessage = (origin: string, status: number, byUrl: boolean): string =>
  byUrl
    ? `The server at ${origin} refused the saved token (HTTP ${status}): a server shared with the account takes its own token, which giving its name asks for (\`plex-auth token transient --server <name>\`, the names \`plex-auth servers\` lists); if \`plex-auth whoami\` refuses the token too, run \`plex-auth login\`.`
    : `The server at ${origin} refused the token plex.tv lists for it (HTTP ${status}); the saved token is not in question. Check that the account still has the server (\`plex-auth servers\`), and try again.`

/** A `--server` (or `PLEX_SERVER_URL`) as given, without the spaces around it: `" Living Room "` names `Living Room`. */
export const serverArg = (text: string): string => text.trim()

/**
 * How `home switch` says to give a Home PIN when it cannot ask for one (stdin closed or ended): set
 * `PLEX_HOME_PIN`; or, when it is set but blank (`blankSet`), that a blank one counts as none ({@link envSet}),
 * not "set PLEX_HOME_PIN" as if it were not.
 */
export const homePinMissing = (blankSet: boolean): string =>
  blankSet
    ? "PLEX_HOME_PIN is blank, and a blank one counts as none: set it to the user's PIN"
    : "set PLEX_HOME_PIN"

/** A Plex Home PIN as typed: four digits (spaces around them ignored). */
export const homePinValid = (value: string): boolean => /^\s*\d{4}\s*$/.test(value)

/**
 * Behaviours of the embedded fake for trying out and testing failures, from
 * the `PLEX_AUTH_FAKE` environment variable (comma-separated), honoured only
 * with `--fake`.
 */
export type FakeScenario = "expire-pin" | "two-factor" | "revoke-token" | "offline"

/** The known scenarios. */
export const scenarioNames: ReadonlyArray<FakeScenario> = [
  "expire-pin",
  "two-factor",
  "revoke-token",
  "offline"
]

/** `PLEX_AUTH_FAKE` read: the scenarios, or the usage message naming the unknown ones. */
export const parseScenarios = (
  raw: string
): { readonly scenarios: ReadonlySet<FakeScenario> } | { readonly error: string } => {
  const names = raw
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0)
  const unknown = names.filter((name) => !(scenarioNames as ReadonlyArray<string>).includes(name))
  return unknown.length > 0
    ? {
        error: `Unknown PLEX_AUTH_FAKE scenario ${unknown.join(", ")} (known: ${scenarioNames.join(", ")}).`
      }
    : { scenarios: new Set(names as ReadonlyArray<FakeScenario>) }
}

// ---------------------------------------------------------------------------
// login, logout
// ---------------------------------------------------------------------------

/**
 * What a PIN `login` prints with its sign-in link (`url`, made with {@link pinLinkPage}'s page under `--fake`).
 * Against the embedded fake (`--fake`) the link is not app.plex.tv's, which knows nothing of the fake's PINs: the
 * fake approves the PIN itself (unless `PLEX_AUTH_FAKE=expire-pin`), and its own sign-in page, served on loopback
 * while the command runs, is the one place a user could approve it (as c68399a did for `--link-code`).
 */
export const pinLinkText = (
  url: string,
  fake?: {
    readonly approves: boolean
    /** How long the fake's PINs live (milliseconds): what it was started with, the CLI's 2 seconds unless a test set less. */
    readonly pinLifetimeMillis: number
  }
): string =>
  fake === undefined
    ? `To sign in, open this address in a browser and approve the request:\n\n  ${url}\n`
    : fake.approves
      ? `The fake approves this PIN by itself in a moment: no browser needed. Its own sign-in page, where a PIN is approved by hand while this command runs, is:\n\n  ${url}\n`
      : `The fake does not approve this PIN by itself (PLEX_AUTH_FAKE=expire-pin: it expires after ${secondsText(fake.pinLifetimeMillis)}). Its own sign-in page, where a PIN is approved by hand while this command runs, is:\n\n  ${url}\n`

/** A duration in words, in seconds: `2 seconds`, `1.5 seconds`, `1 second` (how long the fake's PINs live). */
export const secondsText = (millis: number): string => {
  const seconds = millis / 1000
  return `${seconds} ${seconds === 1 ? "second" : "seconds"}`
}

/** The sign-in page a PIN `login` links to under `--fake`: the embedded fake's own (not app.plex.tv's). */
export const pinLinkPage = (fakePlexTvUrl: string): string => ApprovalPage.urlOf(fakePlexTvUrl)

/**
 * The line `login --link-code` prints with the short code: where it is typed. Only the real plex.tv
 * (`https://plex.tv`) has the plex.tv/link page; neither the fake (`--fake`, `plex-auth fake-server`) nor another
 * plex.tv (`--plex-tv`, `PLEX_TV_URL`) is known to have one. The fake takes a link code only through the API a
 * signed-in client calls (`PUT /api/v2/pins/link`, src/core/fake/features.ts `linkPin`), which the library's
 * `Link.link` sends (python-plexapi `MyPlexAccount.link`, @ctrl/plex `linkPin`).
 */
export const linkCodeText = (
  code: string,
  where: { readonly fake: boolean; readonly plexTvUrl: string }
): string => {
  const shown = neutralise(code)
  if (!where.fake && originOf(where.plexTvUrl) === "https://plex.tv") {
    return `Or go to https://plex.tv/link and enter the code ${shown}`
  }
  const api = "a client signed in there links it with PUT /api/v2/pins/link, as the library's Link.link does"
  return where.fake
    ? `The short code is ${shown}. The fake has no page to type it at (plex.tv/link is the real plex.tv's): ${api}.`
    : `The short code is ${shown}, made at ${originOf(where.plexTvUrl)}, not plex.tv (plex.tv/link takes the codes plex.tv makes): ${api}; the fake (plex-auth fake-server) has no page to type it at.`
}

/** What `login` did with the token that was saved before it (`previous` in its JSON). */
export type Previous = "none" | "invalid" | "kept" | "revoked" | "revoke-failed" | "same"

/** What `login` prints once signed in. */
export const loggedInText = (
  account: string | undefined,
  file: string,
  previous: Previous
): ReadonlyArray<string> => [
  `Logged in${account !== undefined ? ` as ${account}` : ""}. The token is saved in ${file}.`,
  ...(previous === "revoked" ? ["The old token is revoked."] : []),
  ...(previous === "kept" ? ["The old token is still valid (it is no longer saved)."] : [])
]

/** The label `login` shows while it waits for a PIN to be approved. */
export const pinWaitLabel = "Waiting for the sign-in to be approved"

/** `login`'s questions for a password sign-in: the login, and a two-factor code when plex.tv asks for one. */
export const loginQuestion = "Plex login (email or username)"
export const twoFactorQuestion = "Two-factor code (or a backup code)"

/**
 * Why a password sign-in failed with `Unauthorized` (HTTP `status`, Plex's `errors`): plex.tv refused the login or the
 * password (401, code 1001), except for a 403, which refuses what an account may not do, or is a proxy's, whatever the
 * password (docs/errors.md "A 403 is not signed out"; python-plexapi's `MyPlexAccount.query` reads a 403 as
 * `BadRequest`, not `Unauthorized`): said so, with Plex's words, and with the PIN sign-in as the way on.
 */
export const signInRefusedMessage = (failed: Pick<PlexErrorLike, "status" | "errors">): string =>
  failed.status === 403
    ? `Sign-in failed: plex.tv refused it (HTTP 403${plexSaid(failed.errors)}). A 403 refuses what an account may not do, or is a proxy's: it does not say the login or password is wrong. Try again later, or sign in with a PIN (\`plex-auth login\` without --password).`
    : "Sign-in failed: wrong login or password."

/** Why an answer to a question is refused when it is blank (`what`: `The login`, ...). */
export const emptyAnswerMessage = (what: string): string => `${what} must not be empty`

/** What `login` says when plex.tv refused the saved token. */
export const savedTokenRefusedText =
  "The saved token is no longer valid (plex.tv refused it): signing in again."

/**
 * What `login` says when a token is saved already: of whom (`account`, as {@link loggedInText} takes it), or, when
 * plex.tv could not be asked, that it is not known whether it is still valid.
 */
export const alreadyLoggedInText = (account: string | undefined): string =>
  account !== undefined
    ? `Already logged in as ${account}.`
    : "Already logged in (plex.tv could not be asked whether the saved token is still valid)."

/** `login`'s question about the saved token, and what to pass instead where it cannot ask. */
export const revokeOldQuestion = "Sign in again and revoke the old token? (no: keep it valid)"
export const oldTokenChoice = "pass --old-token revoke or --old-token keep"

/**
 * What `login` does with the token its save replaced, `replaced`: read from the file under the store's lock as the
 * new `token` was written there (its `swap`), not the one the command read as it started (`before`, which plex.tv
 * refused when `beforeInvalid`), so that of logins run at once on one store each learns the token it really
 * replaced and none is lost unrevoked. `decision` is what was answered for `before` (the question, or
 * `--old-token`), `oldToken` the option as given. A token another login saved meanwhile (a script's, another
 * account's) is revoked only by `--old-token revoke`, which is about whichever token the login replaces; the
 * question's answer was about `before` alone, so without the option that token is kept, and `note` says so (and,
 * after a "revoke" answer, that the answer was not applied to it). "revoke", answered or passed, is honoured for
 * `before` itself (`revokeAsked`): replaced meanwhile by another login (`--old-token keep`), it is still valid and
 * saved nowhere, and it is the user's to revoke (revoked by that login already, plex.tv refuses it: no harm). Nothing
 * replaced (another program removed the token meanwhile): nothing to do.
 */
export const replacedTokenOutcome = (input: {
  readonly before: string | undefined
  readonly beforeInvalid: boolean
  readonly decision: "revoke" | "keep" | undefined
  readonly oldToken: "revoke" | "keep" | undefined
  readonly replaced: string | undefined
  readonly token: string
}): {
  readonly previous: Previous
  readonly revoke: boolean
  readonly note?: string
  readonly revokeAsked?: true
} => {
  const { before, replaced } = input
  if (replaced === undefined || replaced === "") return { previous: "none", revoke: false }
  if (replaced === input.token) return { previous: "same", revoke: false }
  if (replaced === before) {
    if (input.beforeInvalid) return { previous: "invalid", revoke: false }
    return input.decision === "revoke"
      ? { previous: "revoked", revoke: true }
      : { previous: "kept", revoke: false }
  }
  const choice = input.oldToken
  // "revoke", answered or passed (the option wins), is about `before` either way.
  const revokeAsked = (choice ?? input.decision) === "revoke" && before !== undefined && !input.beforeInvalid
  return {
    previous: choice === "revoke" ? "revoked" : "kept",
    revoke: choice === "revoke",
    note: concurrentLoginText(choice, choice === undefined && revokeAsked),
    ...(revokeAsked ? { revokeAsked: true as const } : {})
  }
}

/**
 * What `login` says of the token it asked about, answered "revoke" (or `--old-token revoke`), that another login replaced meanwhile
 * ({@link replacedTokenOutcome}'s `revokeAsked`): `"revoked"` now, `"refused"` (plex.tv refused it as invalid, 401 or
 * 422: revoked or signed out meanwhile by someone else, that other login or the account's page at plex.tv; said no
 * longer valid, as {@link oldTokenInvalidText} says of the old token, not said revoked), or why it could not be (as the
 * CLI words an error).
 */
export const askedTokenRevokedText = (result: "revoked" | "refused" | { readonly failure: string }): string =>
  result === "revoked"
    ? "The token you chose to revoke, replaced meanwhile by another login, is revoked."
    : result === "refused"
      ? "The token you chose to revoke, replaced meanwhile by another login, was no longer valid (plex.tv refused it): there was nothing to revoke."
      : `Could not revoke the token you chose to revoke (replaced meanwhile by another login): ${result.failure}`

/**
 * What `login` says when another login saved a token while it signed in (`choice`: `--old-token`). `answeredRevoke`:
 * the question about the token saved before was answered "revoke", which is not applied to this other token.
 */
export const concurrentLoginText = (choice: "revoke" | "keep" | undefined, answeredRevoke = false): string =>
  `Another login saved a token while this one signed in: this login's token replaces it${
    choice === "revoke"
      ? ", and revokes it."
      : choice === "keep"
        ? "; it is still valid (--old-token keep), no longer saved."
        : answeredRevoke
          ? "; it is still valid, no longer saved: it is not the token you chose to revoke, so it is kept (--old-token revoke revokes whichever token a login replaces)."
          : "; it is still valid, no longer saved (--old-token revoke revokes a token a login replaces)."
  }`

/**
 * How long `login` waits for plex.tv to revoke the new token it could not save (the store failed, or Ctrl-C came while
 * the save waited for the store's lock): a plex.tv that does not answer must not hold the exit (Ctrl-C waits for this
 * revocation) for the per-attempt timeout (30 s) and its retries.
 */
export const unsavedRevokeWaitMillis = 5_000

/** Why that revocation was given up, as {@link unsavedTokenText}'s `revokeFailure`. */
export const unsavedRevokeTimeoutText = `plex.tv did not answer within ${unsavedRevokeWaitMillis / 1000} s`

/**
 * What `login` says when the token it signed in with could not be saved (the store's failure follows, exit 1), or
 * was not because the save was interrupted (`interrupted`: Ctrl-C, exit 130): that token is revoked at once, as
 * nothing holds it (it was never shown), or, when plex.tv could not revoke it (`revokeFailure`: why, as the CLI
 * words an error), that it stays valid; or, when that failure does not prove plex.tv did not revoke it
 * (`mayBeRevoked`: no answer within {@link unsavedRevokeWaitMillis}, or core/policy.ts's `outcomeUnknown`, a broken
 * connection, a 5xx but a 503, which a proxy may answer after plex.tv acted), that it may still be valid; or, when
 * plex.tv refused the token as invalid as it was asked to revoke it (`mayBeRevoked` `"invalid"`: 401, 422 "Invalid
 * token", 498, core/refreshRun.ts's `tokenRefusedBy`; `revokeFailure` unused), that it is not valid either: no valid
 * token is left behind.
 */
export const unsavedTokenText = (
  revokeFailure: string | undefined,
  interrupted = false,
  mayBeRevoked: boolean | "invalid" = false
): string => {
  const why = interrupted ? "The new token was not saved (interrupted)" : "The new token could not be saved"
  return mayBeRevoked === "invalid"
    ? `${why}, and plex.tv refused it as invalid when asked to revoke it (signed out or revoked already): no valid token is left behind.`
    : revokeFailure === undefined
      ? `${why}, so it is revoked: no valid token is left behind.`
      : mayBeRevoked
        ? `${why}, and its revocation failed (${revokeFailure}), perhaps after plex.tv revoked it: it may still be valid, listed among the account's authorized devices at plex.tv.`
        : `${why}, nor revoked (${revokeFailure}): it stays valid, listed among the account's authorized devices at plex.tv.`
}

/**
 * What `login` says when plex.tv refused the old token as invalid (401, 422, 498) as it was asked to revoke it: revoked
 * or signed out meanwhile by someone else (another login, the account's page at plex.tv) since `login` checked it. Not
 * "revoked": this login did not revoke it (`previous` `invalid` in its JSON, as for a token refused as it started).
 */
export const oldTokenInvalidText =
  "The old token was no longer valid (plex.tv refused it): there was nothing to revoke."

/**
 * Why `login` gave up the revocation of the token asked about ({@link askedTokenRevokedText}'s `failure`) when Ctrl-C
 * came: the {@link unsavedRevokeWaitMillis} it waits after Ctrl-C are shared by the revocations that follow the save
 * (the token it replaced, then the token asked about), so the second may have had less of them: said as the wait that
 * ran out, not as how long plex.tv had.
 */
export const revokeCutShortText = `plex.tv had not answered when the ${unsavedRevokeWaitMillis / 1000} s login waits after Ctrl-C ran out`

/**
 * Why `login` never revoked the token asked about ({@link askedTokenRevokedText}'s `failure`): the wait after Ctrl-C ran
 * out during the revocation made before it (the token it replaced, {@link revokeAbandonedText}), so it was never asked.
 */
export const revokeNotSentText = `its revocation was never sent, the ${unsavedRevokeWaitMillis / 1000} s login waits after Ctrl-C having run out during the one before it`

/**
 * What `login` says when Ctrl-C came while it revoked the token it replaced (and the token asked about) and plex.tv
 * did not answer within {@link unsavedRevokeWaitMillis}: that revocation was given up, the token perhaps still valid.
 */
export const revokeAbandonedText = `Interrupted: plex.tv did not answer the old token's revocation within ${unsavedRevokeWaitMillis / 1000} s; it may still be valid, no longer saved, listed among the account's authorized devices at plex.tv.`

/**
 * What `login` says when Ctrl-C came while plex.tv answered the password sign-in and it did not answer within
 * {@link unsavedRevokeWaitMillis}: the request was given up, and a token plex.tv may have issued for it is unknown to
 * `login`, neither saved nor revoked.
 */
export const signInAbandonedText = `Interrupted: plex.tv did not answer the sign-in within ${unsavedRevokeWaitMillis / 1000} s; a token it may have issued is saved nowhere and may be valid, listed among the account's authorized devices at plex.tv.`

/**
 * What `login --password` says when plex.tv answered the sign-in with a 2xx (`status`: it issued a token) and the
 * rest of that answer, the token in it, then did not come or could not be read: after Ctrl-C (`interrupted`), given
 * up when the {@link unsavedRevokeWaitMillis} ran out, not {@link signInAbandonedText}'s "plex.tv did not answer";
 * without Ctrl-C (on stderr, before its error), in place of {@link signInFailedText}'s "may have issued".
 */
export const signInAnswerUnreadText = (status: number, interrupted: boolean): string =>
  `${interrupted ? "Interrupted: " : ""}plex.tv answered the sign-in (HTTP ${status}), but the rest of its answer, with the token, ${
    interrupted
      ? `had not come within ${unsavedRevokeWaitMillis / 1000} s;`
      : "did not come or could not be read:"
  } the token it issued is saved nowhere and may be valid, listed among the account's authorized devices at plex.tv${
    interrupted ? "" : " (plex-auth devices)"
  }.`

/**
 * What `login` says when Ctrl-C came while the password sign-in was under way, plex.tv having redirected it (a 303, or
 * a 301/302 that made it a GET: {@link signInFailureProvesNoToken}'s `redirected`), and the page it went on to did not
 * answer within {@link unsavedRevokeWaitMillis}: not {@link signInAbandonedText}'s "plex.tv did not answer" (it did,
 * with the redirect, perhaps after it issued a token, unknown to `login`).
 */
export const signInRedirectUnansweredText = `Interrupted: plex.tv redirected the sign-in, and the page it went on to did not answer within ${unsavedRevokeWaitMillis / 1000} s; a token plex.tv may have issued is saved nowhere and may be valid, listed among the account's authorized devices at plex.tv.`

/**
 * What `login` says when Ctrl-C came while plex.tv answered the password sign-in and the request then failed
 * (`failure`: why, as the CLI words an error) in a way that does not prove plex.tv issued no token (a broken
 * connection, a 5xx but a 503: plex.tv may have issued it before; see {@link signInFailureProvesNoToken}).
 */
export const signInFailedAfterInterruptText = (failure: string): string =>
  `Interrupted: the sign-in then failed (${failure}); a token plex.tv may have issued before is saved nowhere and may be valid, listed among the account's authorized devices at plex.tv.`

/**
 * What `login --password` says (on stderr, before its error) when the sign-in failed without Ctrl-C in a way that does
 * not prove plex.tv issued no token ({@link signInFailureProvesNoToken}: a broken connection, a 5xx but a 503, an answer once
 * redirected): as {@link signInFailedAfterInterruptText} says it after Ctrl-C, the failure itself said by the error.
 */
export const signInFailedText =
  "A token plex.tv may have issued before the sign-in failed is saved nowhere and may be valid, listed among the account's authorized devices at plex.tv (plex-auth devices)."

/**
 * What `login` says when Ctrl-C ended the wait for the PIN's approval and the one check of the PIN that follows found
 * it not approved: it can still be approved until it expires (`expiresIn`: the seconds plex.tv said it has left, when
 * it did), and a token it is approved for then is `login`'s no more, saved nowhere: the user should not approve it.
 */
export const pinPendingText = (expiresIn: number | undefined): string =>
  `Interrupted: the PIN was not approved, but it can be until it expires${
    expiresIn !== undefined && expiresIn > 0
      ? ` (in ${expiresIn < 120 ? secondsText(Math.ceil(expiresIn) * 1000) : `about ${Math.round(expiresIn / 60)} minutes`})`
      : ""
  }: ${pinApprovableAdvice}`

/** What `login` says of a PIN that can still be approved, its token then saved nowhere. */
const pinApprovableAdvice =
  "do not approve it, its token would be saved nowhere; run `plex-auth login` again instead."

/**
 * What `login` says (on stderr, before its error) when the wait for the PIN's approval failed without Ctrl-C
 * (`error`: PinLogin.poll's failure) while the PIN may live on at plex.tv: a check refused or misread, which the poll
 * does not ride out (a 401, a 400, another 4xx, an answer that did not decode), or the poll's schedule ended
 * (`PinExpired` `Pending`): the PIN can still be approved until it expires, as {@link pinPendingText} says after
 * Ctrl-C. Nothing (`undefined`) once the PIN expired (`PinExpired` `Expired`, `Unreachable`: its lifetime passed,
 * what the poll rides no-answer and 5xx checks out until; `NotFound`: plex.tv no longer knows it). A 2xx that did
 * not read may have carried the token: said too.
 */
export const pinWaitFailedText = (error: {
  readonly _tag: string
  readonly reason?: string | undefined
  readonly status?: number | undefined
}): string | undefined =>
  error._tag === "PinExpired" && error.reason !== "Pending"
    ? undefined
    : `${
        error.status !== undefined && error.status >= 200 && error.status < 300
          ? "If the PIN was approved, its token is saved nowhere and may be valid, listed among the account's authorized devices at plex.tv. If not, it"
          : "The PIN"
      } can still be approved until it expires: ${pinApprovableAdvice}`

/**
 * Whether a password sign-in's failure proves plex.tv issued no token: an input refused before any request, a
 * failure core/policy.ts's `mayRetry` resends a sign-in after, as proving plex.tv did not act (a connection never
 * made, `neverReachedServer`; a rate limit; a 503, the sign-in not handled), an answer with a 4xx status (401 wrong
 * password, 2FA asked, ...), or a 307/308 the engine refused to follow (reason `Redirect`: the password not resent to
 * another origin, more than 5 hops): a redirect that keeps the POST is one no server acted on (policy.ts: not
 * `acted`). A reset or a timeout, another 5xx (perhaps a proxy's after plex.tv answered: policy.ts's
 * `outcomeUnknown`) or a 2xx that did not decode do not: plex.tv may have issued the token first. Only plex.tv's own answer to the sign-in
 * counts: once the sign-in was `redirected` (a 303, or a 301/302 that turned the POST into a GET: core/policy.ts
 * nextHop's `toGet`, the engine's `acted`), what the page it went on to answered, a 4xx, a connection refused or a
 * redirect refused, proves nothing of what became of the sign-in. (The CLI's transport is `fetch` with `redirect:
 * "manual"`: an answer from another origin, send.ts's `foreignAnswer`, is one it never gets.)
 */
export const signInFailureProvesNoToken = (
  error: {
    readonly _tag: string
    readonly status?: number | undefined
    readonly reason?: string | undefined
  },
  neverReachedServer: boolean,
  redirected = false
): boolean =>
  error._tag === "InvalidInput" ||
  // The one rule for "plex.tv did not act" (a sign-in is not idempotent); `redirected` is its `acted`.
  mayRetry(error, false, neverReachedServer, redirected) ||
  (!redirected &&
    ((error.status !== undefined && error.status >= 400 && error.status < 500) ||
      (error._tag === "Unexpected" &&
        error.reason === "Redirect" &&
        (error.status === 307 || error.status === 308))))

/**
 * What `login` says when Ctrl-C ended the wait for the PIN's approval and the one check of the PIN that follows
 * failed (`failure`: why, as the CLI words an error) or went unanswered within {@link unsavedRevokeWaitMillis}
 * (`undefined`): the PIN may have been approved, its token unknown to `login`. Unanswered, but plex.tv had answered it
 * with a 2xx (`accepted`: its status) whose body, the PIN's state, had not come: said answered, as
 * {@link signInAnswerUnreadText} says of the password sign-in, not that it got no answer.
 */
export const pinUncheckedText = (failure: string | undefined, accepted?: number): string =>
  `Interrupted: ${
    failure !== undefined
      ? `the PIN's last check failed (${failure})`
      : accepted !== undefined
        ? `plex.tv answered the PIN's last check (HTTP ${accepted}), but the rest of its answer, with the PIN's state, had not come within ${unsavedRevokeWaitMillis / 1000} s`
        : `the PIN's last check got no answer within ${unsavedRevokeWaitMillis / 1000} s`
  }; if the PIN was approved, its token is saved nowhere and may be valid, listed among the account's authorized devices at plex.tv.`

/**
 * What `login` says when Ctrl-C came once the new token was saved (exit 130 all the same): logged in, and what became
 * of the old token when that is known (`previous`; a revocation that failed or was given up is said where it happens).
 */
export const savedThenInterruptedText = (file: string, previous: Previous): string =>
  [
    `Interrupted after the save: you are logged in, the new token is saved in ${file}.`,
    ...(previous === "revoked" ? ["The old token is revoked."] : []),
    ...(previous === "kept" ? ["The old token is still valid (it is no longer saved)."] : [])
  ].join(" ")

/** What `login` says when the old token could not be revoked (`message`: why, as the CLI words an error). */
export const revokeOldFailedText = (message: string): string => `Could not revoke the old token: ${message}`

/**
 * The entries `logout` removes from the credentials file (read again, `current`: the token under `tokenKey` now) after
 * it signed out the token it read first (`saved`), or with `--local`: the token while the file still holds that one
 * (the stored layers' decision, core/signOut.ts `removal`: another process sharing the file, an app, may have stored a
 * token of its own while plex.tv was asked, and that one is not this logout's, docs/tokens.md), and under `--fake` the
 * account the token was seeded on with it ({@link FakeSeed.fakeUserKey}): no record of a session that has ended.
 */
export const logoutRemovals = (options: {
  readonly tokenKey: string
  readonly saved: string
  readonly current: string | undefined
  readonly fake: boolean
}): ReadonlyArray<string> =>
  SignOutFacts.removal({ token: options.current }, (token) => token === options.saved).token
    ? [options.tokenKey, ...(options.fake ? [FakeSeed.fakeUserKey] : [])]
    : []

/** What `logout` says, for what it did. */
export const logoutText = (result: {
  readonly revoked: boolean
  readonly forgotten: boolean
  readonly local: boolean
  /** `PLEX_TOKEN` is set (not blank): with nothing saved, said not read (its token is left valid). */
  readonly plexTokenSet?: boolean | undefined
}): string =>
  !result.forgotten
    ? `Not logged in: nothing to do.${result.plexTokenSet === true ? ` ${plexTokenNotRevokedText}` : ""}`
    : result.local
      ? "Forgot the saved token (it was not revoked)."
      : result.revoked
        ? "Signed out: the token is revoked and forgotten."
        : "The saved token was already invalid; forgot it."

/**
 * What `logout` says when Ctrl-C came once plex.tv had accepted the revocation (a 2xx, its body perhaps not in: the
 * token is revoked, as `PlexAuth.signOut` counts it): the token is forgotten all the same (`failure` undefined), or,
 * when that failed or did not end within {@link unsavedRevokeWaitMillis} ({@link logoutForgetTimeoutText}), it is
 * still saved, revoked (`failure`: why): `logout --local` forgets it (plain `logout` would be refused a 401 and forget
 * it too). Exit 130 all the same, as `login` after Ctrl-C.
 */
export const logoutInterruptedText = (failure: string | undefined): string =>
  failure === undefined
    ? "Interrupted after plex.tv revoked the token: it is revoked and forgotten."
    : `Interrupted after plex.tv revoked the token: it is revoked, but still saved (${failure}); \`plex-auth logout --local\` forgets it.`

/** Why `logout` left the token it revoked saved after Ctrl-C ({@link logoutInterruptedText}'s `failure`). */
export const logoutForgetTimeoutText = `the credentials file was not changed within ${unsavedRevokeWaitMillis / 1000} s`

/**
 * What `logout` with no token saved adds when `PLEX_TOKEN` is set (on stderr under `--json` too): the CLI does not read
 * it (as `Not logged in` says, core/cli/failure.ts notLoggedIn), so the token in it was not revoked and is still valid.
 */
export const plexTokenNotRevokedText =
  "PLEX_TOKEN is set, but plex-auth does not read it: logout revokes only the token `plex-auth login` saves in its configuration directory (--config-dir), so the token in PLEX_TOKEN is still valid."

/**
 * `logout`'s message when plex.tv could not revoke the token: try again, unless the saved token is one the library
 * refuses to send (`InvalidInput`: a file spoilt by hand), which only forgetting it mends. A 403 is said in words of
 * its own (`signOutForbiddenMessage`), not `message`'s advice to sign in as another account.
 */
export const logoutFailedMessage = (
  message: string,
  failed: Pick<PlexErrorLike, "_tag" | "status" | "errors">
): string =>
  failed._tag === "InvalidInput"
    ? `${message} The token is still saved: use \`plex-auth logout --local\` to forget it.`
    : `${failed._tag === "Unauthorized" && failed.status === 403 ? signOutForbiddenMessage(failed.errors) : message} The token is still saved: try again, or use \`plex-auth logout --local\`.`

// ---------------------------------------------------------------------------
// servers
// ---------------------------------------------------------------------------

type Attempt = AttemptLike

/** A server of the account and how connecting to it went. */
export interface ServerResult {
  readonly server: { readonly name: string; readonly clientIdentifier: string; readonly owned: boolean }
  readonly connected:
    | {
        readonly uri: string
        readonly candidate: { readonly location: string; readonly protocol: string }
        readonly elapsedMillis: number
        readonly attempts: ReadonlyArray<Attempt>
      }
    | undefined
  /** Why no connection was chosen: the error's tag, its attempts, and the CLI's failure for it. */
  readonly error:
    | {
        readonly kind: string
        readonly attempts: ReadonlyArray<Attempt>
        readonly exitCode: number
        readonly message: string
      }
    | undefined
}

/** One server as `servers --json` prints it. */
export const serverJson = ({ connected, error, server }: ServerResult) => ({
  name: server.name,
  clientIdentifier: server.clientIdentifier,
  owned: server.owned,
  connection:
    connected === undefined
      ? null
      : {
          uri: connected.uri,
          location: connected.candidate.location,
          protocol: connected.candidate.protocol,
          elapsedMillis: connected.elapsedMillis
        },
  attempts: (connected?.attempts ?? error?.attempts ?? []).map(attemptJson),
  error: error === undefined ? null : { kind: error.kind, exitCode: error.exitCode, message: error.message }
})

/** One server as `servers` prints it: its name, the connection chosen, each probe. */
export const serverText = ({ connected, error, server }: ServerResult): string => {
  const head = neutralise(
    `${server.name || "(unnamed)"}  ${server.clientIdentifier}${server.owned ? "  owned" : "  shared"}`
  )
  if (connected !== undefined) {
    return [
      head,
      neutralise(
        `  connection: ${connected.uri} (${connected.candidate.location}, ${connected.candidate.protocol}), chosen in ${connected.elapsedMillis} ms`
      ),
      ...connected.attempts.map((attempt) => attemptLine(attempt, attempt.uri === connected.uri))
    ].join("\n")
  }
  if (error === undefined) return head
  return error.kind === "NoReachableConnection"
    ? [
        head,
        error.attempts.length === 0 ? "  no usable connection" : "  no connection answered",
        ...error.attempts.map((attempt) => attemptLine(attempt, false))
      ].join("\n")
    : `${head}\n  ${neutralise(error.message)}`
}

/** What `server` and `servers` say when the account has no server. */
export const noServerText = "The account has no server."

/** `servers`' progress line. */
export const probingLabel = (count: number): string =>
  `Probing the connections of ${count} server${count === 1 ? "" : "s"}`

// ---------------------------------------------------------------------------
// home, home switch
// ---------------------------------------------------------------------------

/** The fields of a Plex Home user the CLI prints (both editions' `Home.HomeUser` have them). */
export interface HomeUserLike {
  readonly id: number
  readonly uuid: string
  readonly title: string
  readonly username?: string | undefined
  readonly email?: string | undefined
  readonly admin: boolean
  readonly restricted: boolean
  readonly protected: boolean
  readonly guest: boolean
}

/** A Plex Home user under `--json` (docs/cli.md, "Output for scripts"). */
export const homeUserJson = (user: HomeUserLike) => ({
  id: user.id,
  uuid: user.uuid,
  title: user.title,
  username: user.username ?? null,
  email: user.email ?? null,
  admin: user.admin,
  restricted: user.restricted,
  protected: user.protected,
  guest: user.guest
})

const homeFlags = (user: HomeUserLike): string =>
  [
    user.admin ? "admin" : undefined,
    user.restricted ? "managed" : undefined,
    user.protected ? "PIN" : undefined
  ]
    .filter((flag) => flag !== undefined)
    .join(", ")

/** `home`'s table: title, id, and admin / managed / PIN. */
export const homeText = (users: ReadonlyArray<HomeUserLike>): string =>
  table(users.map((user) => [user.title, String(user.id), homeFlags(user)]))

/** The question `home switch` asks for a user's PIN. */
export const homePinQuestion = (title: string): string => `PIN for ${neutralise(title)}`

/** What `home switch` prints (the token is saved, never printed). */
export const switchedText = (title: string, file: string): string =>
  `Switched to ${neutralise(title)}. Its token is saved in ${file}.`

// ---------------------------------------------------------------------------
// claim, devices
// ---------------------------------------------------------------------------

/** What `claim` prints. */
export const claimedText = (machineIdentifier: string, url: string): string =>
  `Claimed the server ${neutralise(machineIdentifier)} at ${originOf(url)}.`

/**
 * What `claim` prints for a server the saved account claimed already (one of its servers, `owned`, in plex.tv's
 * list): nothing to do, exit 0, so that a setup script that runs `claim` twice does not fail the second time.
 * A server another account's (listed, not owned) or not known whose (not listed) stays `ServerAlreadyClaimed` (exit 1).
 */
export const alreadyOwnedText = (machineIdentifier: string, url: string): string =>
  `The server ${neutralise(machineIdentifier)} at ${originOf(url)} is already claimed by this account: nothing to do.`

/** The fields of an authorized device `devices` prints. */
interface DeviceLike {
  readonly id: number
  readonly name: string
  readonly product?: string | undefined
  readonly lastSeenAt?: number | undefined
}

/** `last seen <date>` for a human; nothing when plex.tv gave no time, or one no date can hold. */
export const lastSeen = (seconds: number | undefined): string => {
  if (seconds === undefined) return ""
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? "" : `last seen ${date.toISOString().slice(0, 10)}`
}

/** `devices`' table: id, name, product, last seen. */
export const devicesText = (devices: ReadonlyArray<DeviceLike>): string =>
  devices.length === 0
    ? "No authorized devices."
    : table(devices.map((d) => [String(d.id), d.name, d.product ?? "", lastSeen(d.lastSeenAt)]))

/** `devices revoke` of an id the account does not have. */
export const noSuchDeviceMessage = (id: number): string =>
  `The account has no device ${id} (see \`plex-auth devices\`).`

/** What `devices revoke` prints. */
export const revokedText = (id: number): string => `Revoked device ${id}: it is signed out.`

/**
 * Whether the device `devices revoke` is about to revoke is the CLI's own: the one plex.tv keeps for the CLI's
 * client identifier, to which the saved token is tied (revoking it revokes that token). `devices` lists the
 * devices; an id it does not list is no device of the CLI's.
 */
export const isOwnDevice = (
  id: number,
  devices: ReadonlyArray<{ readonly id: number; readonly clientIdentifier?: string | undefined }>,
  clientIdentifier: string
): boolean => devices.some((device) => device.id === id && device.clientIdentifier === clientIdentifier)

/**
 * What `devices revoke` says (on stderr) when the device was the CLI's own: its saved token no longer works, so
 * it is forgotten, as `logout` forgets it (`"forgotten": true` in the `--json` document).
 */
export const revokedOwnText = (id: number): string =>
  `Device ${id} was this CLI's own (its client identifier): the saved token no longer works, so it is forgotten. Run \`plex-auth login\` to sign in again.`

/** Why `devices revoke` refuses a device id (`reason`: the library's `InvalidInput` reason). */
export const invalidDeviceIdMessage = (reason: string): string => `Invalid device id: ${reason}.`

// ---------------------------------------------------------------------------
// fake-server
// ---------------------------------------------------------------------------

/** What `fake-server` prints about the fake it runs (its `--json` document). */
export interface FakeServerDetails {
  readonly plexTvUrl: string
  /** The fake's clients.plex.tv, where it answers the JWT flow (`Jwt.layerHostConfig()` reads `PLEX_CLIENTS_URL`). */
  readonly clientsUrl: string
  readonly serverUrl: string
  readonly urls: ReadonlyArray<string>
  readonly login: string
  readonly password: string
  readonly token: string
  readonly serverId: string
  readonly serverName: string
  /** null when PINs are never approved (`PLEX_AUTH_FAKE=expire-pin`). */
  readonly approvePinsAfterSeconds: number | null
  /** The loopback URL of the fake's unclaimed server (what `plex-auth claim` takes). */
  readonly unclaimedServerUrl: string
  /** The member of the account's Plex Home (not managed): a web sign-in as them is `HomeMember`. */
  readonly homeMember: FakeServerAccount
  /** The user the server is shared with: a web sign-in as them is `Shared`. */
  readonly sharedUser: FakeServerAccount
  /** A user with no access to the server: a web sign-in as them is refused (`AccessDenied`). */
  readonly stranger: FakeServerAccount
  /** Its sign-in page, `<plexTvUrl>/auth`: the `authAppUrl` of a PIN login or a `WebSignIn` against the fake. */
  readonly authAppUrl: string
  /** The origins of the browser pages it answers with CORS headers (`--allow-origin`), in the order given. */
  readonly allowOrigins: ReadonlyArray<string>
}

/** An account of the fake `fake-server` lists besides its own: its username, and its login and password. */
export interface FakeServerAccount {
  readonly username: string
  readonly login: string
  readonly password: string
}

/** The fields of an account `fake-server` lists (in this order in its `--json`). */
export const fakeServerAccount = (account: FakeServerAccount): FakeServerAccount => ({
  username: account.username,
  login: account.login,
  password: account.password
})

/**
 * `fake-server`'s note on its Plex Home and devices, from the seed: the users `Home.switchUser` (`plex-auth home
 * switch`) takes, with the managed user's PIN, and the devices `Devices.revoke` can sign out. Without it a newcomer
 * trying `Home` against `fake-server` had the PIN to find in docs/cli.md's `--fake` section.
 */
export const fakeServerHomeNote = `Its account is the admin of a Plex Home with ${FakeSeed.fakeHomeAccounts
  .map((user) => {
    const pin = user.homePin === undefined ? "no PIN" : `Home PIN ${user.homePin}`
    return `${user.title ?? user.username} (${user.managed === true ? `a managed user, ${pin}` : pin})`
  })
  .join(
    " and "
  )}, for Home and plex-auth home switch; its devices besides its server and the clients that sign in are ${FakeSeed.fakeDevices
  .map((device) => device.name)
  .join(" and ")}, for Devices and plex-auth devices revoke.`

/**
 * `fake-server`'s text: environment lines a program (in any language) can
 * take on stdout (the fake's own credentials, no real secret), and notes for
 * the human on stderr.
 */
export const fakeServerText = (
  details: FakeServerDetails,
  /** How long the fake's PINs live with `PLEX_AUTH_FAKE=expire-pin` (milliseconds): the CLI's 2 seconds unless a test set less. */
  pinLifetimeMillis: number
) => ({
  stdout: [
    `PLEX_TV_URL=${details.plexTvUrl}`,
    `PLEX_CLIENTS_URL=${details.clientsUrl}`,
    // Its sign-in page: a program's PIN login (PinLogin.login, Jwt.pinLogin, plex-auth login) links to it, and a
    // WebSignIn sends its visitors there, not to app.plex.tv, which knows nothing of the fake's PINs.
    `PLEX_AUTH_APP_URL=${ApprovalPage.urlOf(details.plexTvUrl)}`,
    `PLEX_SERVER_URL=${details.serverUrl}`,
    `PLEX_TOKEN=${details.token}`,
    `PLEX_LOGIN=${details.login}`,
    `PLEX_PASSWORD=${details.password}`
  ].join("\n"),
  stderr: [
    "",
    `The fake Plex is listening on 127.0.0.1 (plex.tv at ${details.plexTvUrl}, its JWT host clients.plex.tv at ${details.clientsUrl}, its server "${details.serverName}" at ${details.serverUrl}).`,
    `Its unclaimed server, for plex-auth claim, is at ${details.unclaimedServerUrl}.`,
    `Its sign-in page, to approve a PIN by hand (a PIN login's or WebSignIn's authAppUrl), is at ${ApprovalPage.urlOf(details.plexTvUrl)}: PLEX_AUTH_APP_URL above, which a PIN login (plex-auth login's too) and WebSignIn go to when given no authAppUrl.`,
    fakeServerHomeNote,
    `Its Home member ${details.homeMember.username} (login ${details.homeMember.login}, password ${details.homeMember.password}) signs in too: approved as them, a web sign-in is HomeMember.`,
    `Its server is shared with ${details.sharedUser.username} (login ${details.sharedUser.login}, password ${details.sharedUser.password}); ${details.stranger.username} (login ${details.stranger.login}, password ${details.stranger.password}) has no access to it: approved as them, a web sign-in is Shared, or refused (AccessDenied).`,
    details.approvePinsAfterSeconds === null
      ? `PINs are never approved (PLEX_AUTH_FAKE=expire-pin) and expire after ${secondsText(pinLifetimeMillis)}.`
      : `PINs are approved ${details.approvePinsAfterSeconds} s after they are created.`,
    ...(details.allowOrigins.length === 0 ? [] : [fakeServerAllowOriginsNote(details.allowOrigins)]),
    "It keeps its state in memory until it stops: press Ctrl-C to stop it."
  ].join("\n")
})

/**
 * `fake-server` with `--auth-app-url` typed (before or after its name): refused, exit 2, as `--fake` refuses it.
 * The option names the sign-in page a PIN login's link points at; the fake serves its own
 * ({@link fakeServerText} prints where), and `fake-server` prints no link.
 */
export const fakeServerAuthAppUrlMessage =
  "--auth-app-url has no use with fake-server: the fake serves its own sign-in page (it prints where: <plexTvUrl>/auth), which is what to give plex-auth login as --auth-app-url."

/**
 * What `fake-server` says on stderr when `PLEX_AUTH_APP_URL` is set (its value not repeated: a URL may carry a
 * password): not used, and why. Not refused: the variable is the environment's, often exported for `plex-auth
 * login` against an earlier run of the fake (docs/cli.md), and a fake restarted in that shell must still start.
 */
export const fakeServerAuthAppVariableNote = (plexTvUrl: string): string =>
  `PLEX_AUTH_APP_URL is set and not used by fake-server: the fake serves its own sign-in page, at ${ApprovalPage.urlOf(plexTvUrl)} (set PLEX_AUTH_APP_URL to that for plex-auth login against this fake).`

/**
 * `fake-server` with `--plex-tv`, `--config-dir` or `--fake` typed (before or after its name): refused, exit 2, as
 * {@link fakeServerAuthAppUrlMessage} refuses `--auth-app-url`. The fake is a plex.tv of its own, keeps its state in
 * memory, and is the fake `--fake` would start: each would be silently ignored.
 */
export const fakeServerOptionMessage = (option: "--plex-tv" | "--config-dir" | "--fake"): string =>
  option === "--plex-tv"
    ? "--plex-tv has no use with fake-server: the fake is a plex.tv of its own (it prints its URL as PLEX_TV_URL), which is what to give the other commands as --plex-tv or PLEX_TV_URL."
    : option === "--config-dir"
      ? "--config-dir has no use with fake-server: the fake keeps its state in memory until it stops, in no directory (the commands signed in to it keep their token in theirs)."
      : "--fake has no use with fake-server: fake-server is the fake (--fake gives another command a fake of its own; to use this one, give it the PLEX_TV_URL it prints)."

/**
 * What `fake-server` says on stderr when `PLEX_TV_URL` is set (its value not repeated: a URL may carry a password):
 * not used, and where the fake's own plex.tv is. Not refused, as with {@link fakeServerAuthAppVariableNote}: the
 * variable is the environment's, often exported for the commands against an earlier run of the fake (docs/cli.md).
 */
export const fakeServerPlexTvVariableNote = (plexTvUrl: string): string =>
  `PLEX_TV_URL is set and not used by fake-server: the fake is a plex.tv of its own, at ${plexTvUrl} (set PLEX_TV_URL to that for the other commands against this fake).`

/**
 * `fake-server`'s note on the pages given by `--allow-origin`: they may call its plex.tv, clients.plex.tv and
 * servers from a browser, but not its control API (`/__fake/`: for programs, never answered with CORS headers).
 */
export const fakeServerAllowOriginsNote = (origins: ReadonlyArray<string>): string =>
  `Browser pages at ${origins.join(", ")} may call it (it answers them with CORS headers); its control API under /__fake/ is not open to pages.`

/** `fake-server --allow-origin` given something that is not an origin (the value is not repeated: it may hold a password). */
export const allowOriginMessage =
  "--allow-origin must be the origin of a web page, scheme://host[:port] (http or https, no path, query or user), e.g. http://localhost:5173."

/**
 * A `fake-server --allow-origin` value checked: an http(s) origin as a browser sends it in `Origin`, written as
 * `scheme://host[:port]` (one trailing `/` allowed), normalised as `URL.origin` (`HTTP://LocalHost:80` is
 * `http://localhost`). Anything more (a path, a query, a fragment, a user name) is refused rather than dropped:
 * the page's URL given for its origin is a mistake worth saying, as `*` is (the fake names origins only).
 */
export const allowOriginOf = (value: string): { readonly origin: string } | { readonly message: string } => {
  if (!/^https?:\/\/[^/?#@\\\s]+\/?$/i.test(value)) return { message: allowOriginMessage }
  try {
    const url = new URL(value)
    return url.username === "" && url.password === "" && url.hostname !== ""
      ? { origin: url.origin }
      : { message: allowOriginMessage }
  } catch {
    return { message: allowOriginMessage }
  }
}

/** `fake-server --port` out of range (or no whole number: {@link usageProblem}). */
export const portMessage = "--port must be a whole number from 0 to 65535."

/** Added to the failure of a `fake-server --port <n>` (n > 0) that could not listen, in use say. */
export const portHint = "Choose another --port, or 0 for a free one."

/** Why `fake-server` refuses a negative `--approve-pins-after`. */
export const approvePinsAfterMessage = "--approve-pins-after must be 0 or more."

/** Why a global option is refused beside `--fake`, whose fake is a plex.tv (and an approval page) of its own. */
export const withFakeMessage = (option: "--plex-tv" | "--auth-app-url"): string =>
  `${option} cannot be combined with --fake.`

/** Why `--fake` could not start its fake (`message`: the failure's). */
export const fakeStartFailedMessage = (message: string): string => `Could not start the fake: ${message}.`

// ---------------------------------------------------------------------------
// Global options given twice
// ---------------------------------------------------------------------------

const globalBooleans: ReadonlyArray<string> = ["--fake", "--json"]
const globalValues: ReadonlyArray<string> = ["--config-dir", "--plex-tv", "--auth-app-url"]

/** The options {@link onceEachGlobal} takes once: the global ones, and the parsers' `--log-level` and `--wizard`. */
const onceValues: ReadonlyArray<string> = [...globalValues, "--log-level"]
const onceBooleans: ReadonlyArray<string> = [...globalBooleans, "--wizard"]

/**
 * The command line with each global option once: the global options may
 * stand before the command's name and after it (`plex-auth --fake whoami
 * --fake`), and both CLI parsers, which accept an option once, are handed
 * them once. A value option (`--config-dir`, `--plex-tv`, and the parsers'
 * own `--log-level`) given twice with different values is an error
 * (returned as its message, which names the option): neither parser takes
 * the last one given, and which one was meant cannot be known.
 */
export const onceEachGlobal = (
  argv: ReadonlyArray<string>
): { readonly args: ReadonlyArray<string> } | { readonly error: string } => {
  const args: Array<string> = []
  const values = new Map<string, string>()
  const booleans = new Map<string, boolean>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") {
      args.push(...argv.slice(i))
      break
    }
    const [name = "", inline] = arg.startsWith("--") ? arg.split(/=(.*)/s, 2) : [arg]
    // A boolean option in each of its forms: `--fake`, `--fake=false`, `--fake false` (as @effect/cli's
    // wizard writes the command line it built: `whoami --fake true --json true`).
    if (
      onceBooleans.includes(name) &&
      (inline === undefined || booleanWords.includes(inline.toLowerCase()))
    ) {
      const next = argv[i + 1]
      const word =
        inline ??
        (name !== "--wizard" && next !== undefined && booleanWords.includes(next.toLowerCase())
          ? next
          : undefined)
      const tokens = inline === undefined && word !== undefined ? [arg, argv[++i]!] : [arg]
      const value = word === undefined || trueWords.includes(word.toLowerCase())
      const before = booleans.get(name)
      if (before === undefined) {
        booleans.set(name, value)
        args.push(...tokens)
      } else if (before !== value) return { error: `${name} was given twice, with different values.` }
      continue
    }
    if (!onceValues.includes(name)) {
      args.push(arg)
      continue
    }
    const value = inline ?? argv[i + 1]
    if (inline === undefined) i++
    if (value === undefined) {
      args.push(arg)
      continue
    }
    const before = values.get(name)
    if (before === undefined) {
      values.set(name, value)
      args.push(name, value)
    } else if (before !== value) return { error: `${name} was given twice, with different values.` }
  }
  return { args }
}

// ---------------------------------------------------------------------------
// --wizard after the global options, without a command
// ---------------------------------------------------------------------------

/** The built-in options of both CLI parsers that may stand among the global options: with a value, without. */
const builtInValues: ReadonlyArray<string> = ["--log-level", "--completions"]
const builtInFlags: ReadonlyArray<string> = ["--help", "-h", "--version", "-v"]

/**
 * The options before the command's name, each with its value: global
 * options (`--fake`, `--fake=true`, `--fake false`, `--json`, `--config-dir
 * d`, `--config-dir=d`, `--plex-tv url`), the parsers' built-in ones
 * (`--log-level level`, `--completions shell`, `--help`, `-h`, `--version`)
 * and `--wizard`; `rest` is where the command's name (or anything else)
 * starts, `argv.length` when there is none. A value option last, without its
 * value, ends them (`rest` points at it: the parser's to judge).
 */
const leadingOptions = (
  argv: ReadonlyArray<string>
): { readonly options: ReadonlyArray<ReadonlyArray<string>>; readonly rest: number } => {
  const options: Array<ReadonlyArray<string>> = []
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--wizard" || builtInFlags.includes(arg)) {
      options.push([arg])
      continue
    }
    const [name = "", inline] = arg.startsWith("--") ? arg.split(/=(.*)/s, 2) : [arg]
    if (globalBooleans.includes(name)) {
      const next = argv[i + 1]
      options.push(
        inline === undefined && next !== undefined && booleanWords.includes(next.toLowerCase())
          ? [arg, argv[++i]!]
          : [arg]
      )
      continue
    }
    if (!globalValues.includes(name) && !builtInValues.includes(name)) break
    if (inline !== undefined) options.push([arg])
    else if (i + 1 < argv.length) options.push([arg, argv[++i]!])
    else break
  }
  return { options, rest: i }
}

/** The option's name, without its inline value. */
const nameOf = (option: ReadonlyArray<string>): string => option[0]!.split("=", 1)[0]!

/** Whether the command line asks for the CLI parser's `--wizard` (before any `--`). */
export const wizardRequested = (args: ReadonlyArray<string>): boolean => {
  for (const arg of args) {
    if (arg === "--") return false
    if (arg === "--wizard") return true
  }
  return false
}

/**
 * Why `--wizard` cannot run with this command line, or undefined: options
 * with `--wizard` and no command (`plex-auth --fake --config-dir d
 * --wizard`, `plex-auth --log-level debug --json --wizard`). The CLI parsers
 * take the built-in `--wizard` alone or after a command's name: @effect/cli
 * (Effect 3) reads it after the global options as a command's name
 * ("Invalid subcommand"), effect/cli (Effect 4) starts its wizard for the
 * whole command line and drops the options typed. Both CLIs say instead how
 * to write it: the command's name before `--wizard` (its wizard keeps the
 * options typed), or `--wizard` alone; the values of `--config-dir` and
 * `--plex-tv` are not repeated (placeholders stand for them). With `--help`, `--version` or
 * `--completions` (which the parsers answer first), or a value option
 * without its value, the command line is the parser's.
 */
export const wizardWithoutCommand = (argv: ReadonlyArray<string>): string | undefined => {
  const { options, rest } = leadingOptions(argv)
  if (rest < argv.length && argv[rest] !== "--") return undefined
  if (options.some((option) => builtInFlags.includes(option[0]!) || nameOf(option) === "--completions")) {
    return undefined
  }
  const given = options.filter((option) => option[0] !== "--wizard")
  if (given.length === options.length || given.length === 0) return undefined
  const shown = given.map((option) => {
    const stand = placeholders[nameOf(option)]
    return stand === undefined ? option.join(" ") : `${nameOf(option)} ${stand}`
  })
  return `--wizard with options needs a command: \`plex-auth ${shown.join(" ")} <command> --wizard\` (for example login), or \`plex-auth --wizard\` alone to choose the command and set the options in the wizard.`
}

/**
 * What {@link wizardWithoutCommand} shows instead of the values typed: a
 * URL may carry a password or a token in its query, a path may need quoting.
 */
const placeholders: Readonly<Record<string, string>> = {
  "--config-dir": "<dir>",
  "--plex-tv": "<url>",
  "--auth-app-url": "<url>"
}

/**
 * Options of the Effect 4 parser's own that may stand before the command's
 * name and that {@link leadingOptionProblem} leaves to it: the `--no-`
 * forms of the global boolean options. (`-v`, the version, is effect/cli's too; the
 * Effect 3 CLI reads it as `--version`. `--no-help`, `--no-version` and
 * `--no-wizard` (and `--no-completions`, `--no-log-level`) are refused before: {@link negatedBuiltIn}.)
 */
const effect4Only: ReadonlyArray<string> = ["--no-fake", "--no-json"]

/** The built-in options, which are given alone, with their value, or not at all: none has a `--no-` form. */
const builtInNames = "--help, --version, --wizard, --completions and --log-level"

/**
 * `--no-help`, `--no-version`, `--no-wizard`, `--no-completions`, `--no-log-level` (alone or with a value inline):
 * the parsers disagreed. effect/cli (Effect 4) answered the first three as the option itself (`whoami --no-help`
 * showed the help, `--no-version` the version, `--no-wizard` started the wizard) and refused the last two after the
 * command's name in its words ("Unrecognized flag: --no-log-level in command plex-auth whoami"), @effect/cli
 * (Effect 3) refused each in its words ("Received unknown argument", or "Invalid subcommand" before the command's
 * name). Both CLIs refuse them in these words ({@link optionAsValue}): an option that is given alone, with its
 * value, or not at all has no `--no-` form.
 */
const negatedBuiltIn = (name: string): boolean =>
  name === "--no-help" ||
  name === "--no-version" ||
  name === "--no-wizard" ||
  name === "--no-completions" ||
  name === "--no-log-level"

/**
 * Why the options before the command's name cannot be read, or undefined:
 * an option no command line takes there (`plex-auth --frob whoami`, or a
 * command's own option before its name, `plex-auth --password login`), or
 * a value option last without its value (`plex-auth --config-dir`). Both
 * CLIs say it in these words (the parsers' were @effect/cli's "Invalid
 * subcommand for plex-auth", for both, and effect/cli's "Unrecognized
 * flag"). What follows the command's name is the parsers' to judge, and
 * so is a command line with `--help`, `-h` or `--version` among those
 * options (they answer it first).
 */
export const leadingOptionProblem = (argv: ReadonlyArray<string>): string | undefined => {
  const { options, rest } = leadingOptions(argv)
  const arg = argv[rest]
  if (arg === undefined || arg === "--" || !arg.startsWith("-") || arg === "-") return undefined
  // --help, -h, --version: the parsers answer them first, whatever else is there.
  if (options.some((option) => builtInFlags.includes(option[0]!))) return undefined
  // The name only: not a value typed inline (`--frob=...`, `-x...`).
  const name = arg.startsWith("--") ? arg.split("=", 1)[0]! : arg.slice(0, 2)
  if (
    rest === argv.length - 1 &&
    (globalValues.includes(name) || builtInValues.includes(name)) &&
    name === arg
  ) {
    return `Missing value for ${name}.`
  }
  if (
    globalBooleans.includes(name) ||
    globalValues.includes(name) ||
    builtInValues.includes(name) ||
    builtInFlags.includes(name) ||
    name === "--wizard" ||
    effect4Only.includes(name)
  ) {
    return undefined
  }
  return `Unknown option ${name} before the command's name: a command's own options follow its name (\`plex-auth login --password\`); see \`plex-auth --help\`.`
}

/** The commands, as `plex-auth --help` lists them (both editions define them; editions.test.ts checks both list these). */
export const commands: ReadonlyArray<string> = [
  "login",
  "whoami",
  "servers",
  "token",
  "logout",
  "fake-server",
  "home",
  "claim-token",
  "claim",
  "devices"
]

/** The commands that take arguments (`home switch <user>`, `claim <server-url>`, `devices revoke <id>`). */
const takesArguments: ReadonlyArray<string> = ["switch", "claim", "revoke"]

/** The levels `--log-level` takes, in both editions (the Effect 3 CLI reads `warn` as `warning`). */
const logLevels: ReadonlyArray<string> = [
  "all",
  "trace",
  "debug",
  "info",
  "warn",
  "warning",
  "error",
  "fatal",
  "none"
]

/** The shells `--completions` takes in the Effect 3 edition (@effect/cli); `sh` is bash's script. */
export const completionShells: ReadonlyArray<string> = ["bash", "zsh", "fish", "sh"]

/** The shells `--completions` takes in the Effect 4 edition (effect/cli): PowerShell's too. */
export const effect4CompletionShells: ReadonlyArray<string> = [...completionShells, "powershell", "pwsh"]

/** The command options that take no value (besides the global and built-in ones). */
const commandBooleans: ReadonlyArray<string> = [
  "--password",
  "--link-code",
  "--no-remember-me",
  "--local",
  "--wizard"
]

/** The command options that take a value (`--login alice`), besides the global and built-in ones. */
const commandValues: ReadonlyArray<string> = [
  "--login",
  "--old-token",
  "--server",
  "--approve-pins-after",
  "--port",
  "--allow-origin"
]

/** The command options that may be given more than once (`fake-server --allow-origin a --allow-origin b`). */
const repeatableValues: ReadonlyArray<string> = ["--allow-origin"]

/**
 * A negative number, whole or decimal (`-1`, `-1.5`, `-.5`): a value or an argument, never an option (the
 * option or the command it goes to judges it in its own words).
 */
const negativeNumber = /^-(?:\d+(?:\.\d*)?|\.\d+)$/

/**
 * Why a word that starts with `-` and is no option of either CLI cannot stand after the command's name (before
 * `--`, with neither help nor the version asked: {@link usageProblem}), where the parsers disagree, or undefined
 * (the parsers' to name: both refuse it, each in its words). `positional` holds the words before it that are
 * no option (the command's name, its subcommand, its argument).
 * - In the place of the argument of `home switch`, `claim` or `devices revoke` (`plex-auth home switch -Kids`,
 *   `claim --frob`): @effect/cli (Effect 3) took it as the argument (switching to a user named `-Kids`), effect/cli
 *   (Effect 4) read it as options, and short ones letter by letter (`-Kevin`: `-v`, the version). docs/cli.md
 *   says such an argument goes after `--` (`plex-auth home switch -- -Kids`); both CLIs now say so.
 * - Short options run together (`plex-auth whoami -vx`, `-hv`): effect/cli read them one by one (the version,
 *   the help), @effect/cli refused the word. The only short options are `-h` and `-v`, each alone; both refuse.
 * `-` alone and a negative number ({@link negativeNumber}) are arguments, both parsers' (a negative id is refused by the command). The
 * word is not repeated (it may be a URL with a password, or a value typed inline).
 */
const unknownOption = (arg: string, positional: ReadonlyArray<string>): string | undefined => {
  if (arg === "-" || negativeNumber.test(arg)) return undefined
  const [command = ""] = positional
  const path =
    subcommandOf[command] !== undefined && positional[1] === subcommandOf[command]
      ? `${command} ${positional[1]}`
      : command
  const argument = argumentOf[path]
  if (argument !== undefined && positional.length === path.split(" ").length) {
    return `\`plex-auth ${path}\` takes ${argument}: one that starts with - goes after -- (\`plex-auth ${path} -- ${argument}\`), else it reads as an option.`
  }
  if (/^-[^-]./.test(arg)) {
    return "Unknown option: short options do not run together (the only ones, -h and -v, each stand alone)."
  }
  return undefined
}

/**
 * A value a command's option or argument cannot take, or undefined: an
 * `--old-token` other than `revoke` or `keep`, an `--approve-pins-after`, a
 * `--port` or a `devices revoke` id that is no whole number; a value option last without
 * its value (`plex-auth login --old-token`); a subcommand that does not
 * exist (`plex-auth home Kids`), an argument missing (`plex-auth claim`) or
 * one too many (`plex-auth whoami extra`), neither repeated (@effect/cli
 * answered `plex-auth home Kids` with the list of the top commands). The parsers said it in words
 * that named neither the option nor the argument (@effect/cli: "'x' is not a
 * integer", "Expected one of the following cases: revoke, keep"); both CLIs
 * now say it in these (as the commands themselves refuse a negative number).
 */
const valueProblem = (argv: ReadonlyArray<string>): string | undefined => {
  const end = argv.indexOf("--")
  const words = end === -1 ? argv : argv.slice(0, end)
  const positional: Array<string> = []
  for (let i = 0; i < words.length; i++) {
    const arg = words[i]!
    // A negative number is an argument (`devices revoke -1.5`: no device id, said below).
    if (!arg.startsWith("-") || negativeNumber.test(arg)) {
      positional.push(arg)
      continue
    }
    const [name = "", inline] = arg.startsWith("--") ? arg.split(/=(.*)/s, 2) : [arg]
    const takesValue = [...commandValues, ...globalValues, ...builtInValues].includes(name)
    // An option no command takes: refused here where the parsers disagree (unknownOption), else theirs to name
    // (what follows it may be its value or not).
    if (
      !takesValue &&
      ![...commandBooleans, ...globalBooleans, ...builtInFlags, ...effect4Only].includes(name)
    ) {
      return unknownOption(arg, positional)
    }
    const value = inline ?? (takesValue ? words[i + 1] : undefined)
    if (takesValue && value === undefined && end === -1) return `Missing value for ${name}.`
    if (takesValue && inline === undefined) i++
    else if (!takesValue && inline === undefined && booleanWords.includes((words[i + 1] ?? "").toLowerCase()))
      i++
    if (value === undefined) continue
    // Blank (`--server=`, `--login= `, `--server ""`): @effect/cli (Effect 3) took no blank value inline ("Received
    // unknown argument: '--server'"), and a blank --server reached the command only once signed in (else "Not logged
    // in", exit 3), saying "Finding the server..." first. Refused here, in the commands' words, before anything runs.
    if ((name === "--server" || name === "--login") && value.trim() === "")
      return `Invalid ${name}: must not be empty.`
    if (name === "--old-token" && value !== "revoke" && value !== "keep") {
      return "--old-token must be revoke or keep."
    }
    // Past the safe integers too: each edition's parser would refuse it in words of its own.
    if (name === "--approve-pins-after" && (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value)))) {
      return "--approve-pins-after must be a whole number of seconds, 0 or more."
    }
    // Past 65535 too (the range is the command's to check, but a number past the safe integers never reaches it:
    // each edition's parser refuses it in words of its own).
    if (name === "--port" && (!/^-?\d+$/.test(value) || Number(value) > 65_535)) return portMessage
    // Here too, not only in the command: an empty value (`--allow-origin ""`) never reaches it in either parser.
    if (name === "--allow-origin" && "message" in allowOriginOf(value)) return allowOriginMessage
  }
  if (end !== -1) positional.push(...argv.slice(end + 1))
  const id = positional[0] === "devices" && positional[1] === "revoke" ? positional[2] : undefined
  // Past the safe integers too (no device has such an id): each edition's parser would refuse it in words of its
  // own, repeating it (@effect/cli: "'99999999999999999999' is not a integer").
  if (id !== undefined && (!/^-?\d+$/.test(id) || !Number.isSafeInteger(Number(id)))) {
    return "Invalid device id: must be a positive integer."
  }
  // The words after the command's name: its subcommand, its argument. Not repeated (a URL may carry a password).
  const [command, second] = positional
  if (command === undefined || !commands.includes(command)) return undefined
  const sub = subcommandOf[command]
  if (sub !== undefined && second !== undefined && second !== sub) {
    return `Unknown command: \`plex-auth ${command}\` has one, ${sub} (see \`plex-auth ${command} --help\`).`
  }
  const path = (sub !== undefined && second === sub ? [command, sub] : [command]).join(" ")
  const argument = argumentOf[path]
  const given = positional.length - path.split(" ").length
  if (argument !== undefined && given === 0)
    return `Missing argument ${argument}: \`plex-auth ${path} ${argument}\`.`
  if (given > (argument === undefined ? 0 : 1)) {
    return `Unexpected argument: \`plex-auth ${path}\` takes ${argument === undefined ? "none" : `one, ${argument}`}.`
  }
  return undefined
}

/** The argument of each command that takes one. */
const argumentOf: Readonly<Record<string, string>> = {
  "home switch": "<user>",
  claim: "<server-url>",
  "devices revoke": "<id>"
}

/** The options that take no value (a boolean one may be given one inline: `--json=false`). */
const switches: ReadonlyArray<string> = [...globalBooleans, ...commandBooleans].filter(
  (name) => name !== "--wizard"
)

/**
 * The command line with each switch ({@link switches}) read alike by both
 * parsers, before anything else reads it; nothing after `--` is touched.
 * - After a space a switch takes only `true` or `false`, exactly, as
 *   @effect/cli's wizard writes it (`whoami --json true`); its other values
 *   inline only (`--json=no`), where case matters too (`--json=TRUE` is
 *   refused, {@link optionAsValue}). A switch followed by another word that
 *   reads as a boolean, in any case (`devices revoke --json 1`, `home switch
 *   --json yes`, `whoami --json TRUE`), is made a switch alone, `--json=true`,
 *   the word the next of the command line (the device id, the user; for
 *   `whoami`, an argument too many). Both parsers took `1` and `yes` as the
 *   switch's value (then "Missing argument <id>"), and each refused `TRUE` in
 *   its own words.
 * - `--no-json` (and `--no-fake`, `--no-password`, ... : `--no-` and the name
 *   of a switch) is the switch off, `--json=false`, in both editions: effect/cli
 *   (Effect 4) read it (and took the word after it as a value it then refused:
 *   `--no-json 1`), @effect/cli (Effect 3) did not know it. A word after it is
 *   the next of the command line, as after `--json=false`; a value inline
 *   (`--no-json=true`) is refused ({@link optionAsValue}).
 * Both CLIs hand the command line through this first.
 */
export const switchesAlone = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const end = argv.indexOf("--")
  const words = end === -1 ? argv : argv.slice(0, end)
  const detached = (word: string | undefined) =>
    word !== undefined && booleanWords.includes(word.toLowerCase()) && word !== "true" && word !== "false"
  const args = words.map((arg, i) =>
    negatedSwitch(arg)
      ? `${arg.replace(/^--no-/, "--")}=false`
      : switches.includes(arg) && detached(words[i + 1])
        ? `${arg}=true`
        : arg
  )
  return end === -1 ? args : [...args, ...argv.slice(end)]
}

/** `--no-` and the name of a switch ({@link switches}): `--no-json`, `--no-no-remember-me`. */
const negatedSwitch = (arg: string): boolean =>
  arg.startsWith("--no-") && switches.includes(arg.replace(/^--no-/, "--"))

/**
 * Why a switch ({@link switches}) given a value inline that is none of the
 * words a boolean takes (`--json=-x`, `--json=bogus`, `--json=`, `--json=TRUE`) is refused.
 * The parsers disagreed: @effect/cli (Effect 3) said "Received unknown
 * argument: '-x'", effect/cli (Effect 4) "Invalid value for flag --json".
 * Both take the boolean words alike (`--json=yes`, `--fake=false`). The
 * value is not repeated (it may be a secret typed in the wrong place).
 * `--help`, `--version` and `--wizard` take no value inline at all
 * (`--help=x`: the help in Effect 3, a refusal in Effect 4; `--version=no`,
 * `--wizard=false`: a refusal in Effect 3, the version or the wizard in
 * Effect 4): "--help takes no value.", in both.
 */
const switchValueMessage = (name: string): string =>
  `${name} takes no value: give it alone, or with one of ${booleanWords.join(", ")} (\`${name}=false\`).`

/**
 * A value option followed by a word that starts with `-` (`--config-dir -v`, `login --login --help`,
 * `--plex-tv --fake`), or given such a value inline (`--config-dir=-v`), before `--`. The parsers disagreed:
 * @effect/cli (Effect 3) took the word as the value (a configuration directory named `-v`, or `--version`
 * once the CLI had read `-v` as `--version`), effect/cli (Effect 4) read it as an option (`-v`: the
 * version, the rest of the command line ignored; another: its "Missing value", for the inline form too).
 * Both CLIs refuse it (exit 2), as Python's argparse and Rust's clap do for the first form: a value that
 * starts with `-` is far more often a forgotten value than a meant one, and none of these options has a
 * use for one (a directory so named is `./-v`). A negative number, whole or decimal, is a value
 * (`--approve-pins-after -1`, `-1.5`: refused by the option in its own words), and so is `-` alone. The value is not repeated (it may be a
 * URL with a password). A value option followed by `--` itself has no value either (`Missing value for
 * --config-dir.`, as when it stands last). A switch given a value inline that no boolean takes is refused
 * too ({@link switchValueMessage}), and so is the `--no-` form of a built-in option, `--no-help` ... `--no-log-level` ({@link negatedBuiltIn}). Both CLIs ask this first, of the command line as typed: before `--wizard`
 * without a command ({@link wizardWithoutCommand}) and {@link usageProblem}.
 */
export const optionAsValue = (argv: ReadonlyArray<string>): string | undefined => {
  const end = argv.indexOf("--")
  const words = end === -1 ? argv : argv.slice(0, end)
  const valueOptions = [...commandValues, ...globalValues, ...builtInValues]
  const optionLike = (word: string) => word.startsWith("-") && word !== "-" && !negativeNumber.test(word)
  for (let i = 0; i < words.length; i++) {
    const [name = "", inline] = words[i]!.startsWith("--") ? words[i]!.split(/=(.*)/s, 2) : [words[i]!]
    if (negatedBuiltIn(name)) {
      return `Unknown option ${name}: ${builtInNames} have no --no- form (leave ${name.replace(/^--no-/, "--")} out).`
    }
    if (inline !== undefined && (builtInFlags.includes(name) || name === "--wizard"))
      return `${name} takes no value.`
    // `--no-json=true`: effect/cli refused it in its words (@effect/cli knew no `--no-json`), switchesAlone
    // having made `--no-json` alone `--json=false`.
    if (inline !== undefined && negatedSwitch(name)) return `${name} takes no value.`
    // Case matters: both parsers refuse `--json=TRUE` (each in its words).
    if (inline !== undefined && switches.includes(name) && !booleanWords.includes(inline)) {
      return switchValueMessage(name)
    }
    if (!valueOptions.includes(name)) continue
    if (inline !== undefined) {
      if (optionLike(inline)) return `${name} takes no value starting with -, which reads as an option.`
      continue
    }
    const next = words[i + 1]
    if (next !== undefined && optionLike(next)) {
      return `Missing value for ${name}: the word after it starts with -, as an option does.`
    }
    // Followed by `--` itself (`whoami --config-dir --`): no value either (@effect/cli said "Received unknown
    // argument: '--config-dir'", effect/cli "Missing value for flag --config-dir. Expected: dir").
    if (next === undefined && end !== -1) return `Missing value for ${name}.`
    i++
  }
  return undefined
}

/**
 * Why the command line cannot run, found before either parser reads it,
 * or undefined; both CLIs say it in these words:
 * {@link leadingOptionProblem}; a `--log-level` whose level is none of
 * {@link logLevels}, a `--completions` whose shell is none of `shells` (the
 * edition's: {@link completionShells}, {@link effect4CompletionShells}), anywhere before `--`; a global value option or
 * `--log-level` last without its value (`plex-auth whoami --config-dir`:
 * @effect/cli said "Received unknown argument"); and a first word after the
 * options that is no command (`plex-auth frob`), which is not repeated (it
 * may be a URL with a password, typed without `--plex-tv`); arguments after
 * `--` for a command that takes none; a command's own option given twice;
 * a value a command's option or argument cannot take ({@link valueProblem});
 * a word starting with `-` where an argument goes, or short options run
 * together ({@link unknownOption}). With `--help`,
 * `-h`, `--version`, `--completions` or `--wizard` before `--`, the parsers
 * answer first, and only {@link leadingOptionProblem} applies.
 */
export const usageProblem = (
  argv: ReadonlyArray<string>,
  shells: ReadonlyArray<string> = completionShells
): string | undefined => {
  const leading = leadingOptionProblem(argv)
  if (leading !== undefined) return leading
  const end = argv.indexOf("--")
  const words = end === -1 ? argv : argv.slice(0, end)
  for (let i = 0; i < words.length; i++) {
    for (const [option, values] of [
      ["--log-level", logLevels],
      ["--completions", shells]
    ] as const) {
      const arg = words[i]!
      const value = arg.startsWith(`${option}=`)
        ? arg.slice(option.length + 1)
        : arg === option
          ? words[i + 1]
          : undefined
      if (value !== undefined && !values.includes(value)) {
        // Blank (`--log-level=`): no value to name.
        return `Invalid ${option}${value.trim() === "" ? "" : ` ${value}`}: expected one of ${values.join(", ")}.`
      }
    }
  }
  // After `--` come arguments only: of `home switch`, `claim`, `devices revoke` (a name starting with -);
  // the Effect 3 parser dropped them elsewhere without a word (`plex-auth whoami -- --json` ran whoami),
  // the Effect 4 one refused them.
  if (end !== -1 && end < argv.length - 1 && !words.some((word) => takesArguments.includes(word))) {
    const first = argv[leadingOptions(argv).rest]
    return first === "--"
      ? "Unexpected argument after --: the command's name goes before it (`plex-auth whoami`)."
      : "Unexpected argument after --: this command takes none."
  }
  // A command's own option given twice (the global ones, --log-level and --wizard are taken once when
  // alike: onceEachGlobal): @effect/cli said "Received unknown argument", effect/cli "2 occurrences".
  const seen = new Set<string>()
  for (const word of words) {
    const name = word.split("=", 1)[0]!
    if (!/^--[a-z]/.test(name) || onceValues.includes(name) || onceBooleans.includes(name)) continue
    if (builtInFlags.includes(name) || builtInValues.includes(name) || repeatableValues.includes(name))
      continue
    if (seen.has(name)) return `${name} was given twice.`
    seen.add(name)
  }
  const last = words.at(-1)
  if (end === -1 && last !== undefined && [...globalValues, "--log-level"].includes(last)) {
    return `Missing value for ${last}.`
  }
  const answered = words.some(
    (arg) =>
      builtInFlags.includes(arg) ||
      arg === "--wizard" ||
      effect4Only.includes(arg) ||
      arg.split("=", 1)[0] === "--completions"
  )
  if (answered) return undefined
  const first = argv[leadingOptions(argv).rest]
  if (first !== undefined && !first.startsWith("-") && !commands.includes(first)) {
    return `Unknown command: the commands are ${commands.join(", ")} (see \`plex-auth --help\`).`
  }
  return valueProblem(argv)
}

/**
 * `--log-level` as typed (`["--log-level", "debug"]` or
 * `["--log-level=debug"]`), before any `--`, or undefined. @effect/cli takes
 * it out of the command line before it reads the rest: its `--wizard` shows
 * the command line it builds without it, and the Effect 3 CLI puts it back
 * (src/bin/internal/output.ts), as effect/cli (Effect 4) shows it.
 */
export const logLevelTyped = (argv: ReadonlyArray<string>): ReadonlyArray<string> | undefined => {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") return undefined
    if (arg.startsWith("--log-level=")) return [arg]
    if (arg === "--log-level") return i + 1 < argv.length ? [arg, argv[i + 1]!] : undefined
  }
  return undefined
}

/**
 * The command line with the parsers' built-in options given among the
 * global options (before the command's name: `--log-level level`,
 * `--completions shell`, `--help`, `-h`, `--version`) moved to the front,
 * in the order typed. @effect/cli (Effect 3) takes its built-in options
 * first or after a command's name only: `plex-auth --fake --log-level debug
 * whoami` or `plex-auth --fake --help` would be "Invalid subcommand"
 * (effect/cli, Effect 4, takes them anywhere).
 */
export const builtInsFirst = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const { options, rest } = leadingOptions(argv)
  const isBuiltIn = (option: ReadonlyArray<string>) =>
    builtInFlags.includes(option[0]!) || builtInValues.includes(nameOf(option))
  return [
    ...options.filter(isBuiltIn).flat(),
    ...options.filter((option) => !isBuiltIn(option)).flat(),
    ...argv.slice(rest)
  ]
}

/** The subcommand of each command that has one. */
const subcommandOf: Readonly<Record<string, string>> = {
  token: "transient",
  home: "switch",
  devices: "revoke"
}

/**
 * The command line with the global options given between a command's name
 * and its subcommand's (`plex-auth home --fake --config-dir d switch Kids`,
 * `plex-auth token --json transient`) moved to right after the subcommand's
 * name (`plex-auth home switch --fake --config-dir d Kids`), in the order
 * typed; so do `--help` and `-h` (`plex-auth token --help transient`: the
 * help of `token transient`, as on Effect 4). @effect/cli (Effect 3) gave them to the parent command, whose
 * options the subcommand does not see: `home switch` ran without them, on
 * plex.tv and the default directory instead of the fake and `d` (and `token`,
 * which takes no option, said "Invalid subcommand for plex-auth");
 * effect/cli (Effect 4) hands a command's flags down to its subcommands.
 */
export const globalsAfterSubcommand = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const at = leadingOptions(argv).rest
  const command = argv[at]
  if (command === undefined || subcommandOf[command] === undefined) return argv
  const between = leadingOptions(argv.slice(at + 1))
  // `--help` and `-h` go with them: effect/cli (Effect 4) shows the subcommand's help for `plex-auth home --help
  // switch`, @effect/cli (Effect 3) showed the parent command's.
  const moved = (option: ReadonlyArray<string>) => !isBuiltInOption(option) || helpFlags.includes(option[0]!)
  const options = between.options.filter(moved)
  const sub = at + 1 + between.rest
  if (options.length === 0 || argv[sub] !== subcommandOf[command]) return argv
  return [
    ...argv.slice(0, at + 1),
    ...between.options.filter((option) => !moved(option)).flat(),
    argv[sub]!,
    ...options.flat(),
    ...argv.slice(sub + 1)
  ]
}

/** The help flags of both CLI parsers. */
const helpFlags: ReadonlyArray<string> = ["--help", "-h"]

/**
 * The word that starts with `-` and is no global option (its name, without an inline value), right after the
 * name of a command that has a subcommand (`plex-auth home --frob`, `plex-auth token --jsn transient`), or
 * undefined. @effect/cli (Effect 3)
 * said "Invalid subcommand for plex-auth - use one of 'login', ..., 'home', ...", as if the command's name were
 * wrong; the Effect 3 CLI says what it says of an unknown option after any other command's name ("Received
 * unknown argument: '--frob'"), effect/cli (Effect 4) says "Unrecognized flag: --frob in command plex-auth home".
 */
export const unknownOptionOfParent = (argv: ReadonlyArray<string>): string | undefined => {
  const at = leadingOptions(argv).rest
  const command = argv[at]
  if (command === undefined || subcommandOf[command] === undefined) return undefined
  const word = argv[at + 1 + leadingOptions(argv.slice(at + 1)).rest]
  if (
    word === undefined ||
    !word.startsWith("-") ||
    word === "--" ||
    word === "-" ||
    negativeNumber.test(word)
  )
    return undefined
  if (builtInFlags.includes(word) || word === "--wizard") return undefined
  // Its name only, as effect/cli names it: an inline value is not repeated (`--token=<a token>`).
  return word.startsWith("--") ? word.split("=", 1)[0] : word
}

/**
 * Whether the command line is `token` with global options after its name and nothing else
 * (`plex-auth token --json`, `plex-auth token --json --`): the usage error `token` alone is. @effect/cli (Effect 3), for which `token`
 * takes no option, said "Invalid subcommand for plex-auth - use one of ..., 'token', ...".
 */
export const tokenWithoutSubcommand = (argv: ReadonlyArray<string>): boolean => {
  const at = leadingOptions(argv).rest
  if (argv[at] !== "token") return false
  const between = leadingOptions(argv.slice(at + 1))
  const end = at + 1 + between.rest
  return (
    between.options.length > 0 &&
    // A `--` with nothing after it is nothing more (`plex-auth token --json --`).
    (end === argv.length || (end === argv.length - 1 && argv[end] === "--")) &&
    // The built-in options but `--log-level` answer themselves (`token --json --help`: its help).
    !between.options.some((option) => isBuiltInOption(option) && nameOf(option) !== "--log-level")
  )
}

/** A built-in option of the parsers or `--wizard`, as {@link leadingOptions} gives it. */
const isBuiltInOption = (option: ReadonlyArray<string>): boolean =>
  option[0] === "--wizard" || builtInFlags.includes(option[0]!) || builtInValues.includes(nameOf(option))

/**
 * The command line with `--help`, `-h`, `--version`, `-v` and `--wizard`
 * given after a command's name moved to right after it (after its subcommand's:
 * `plex-auth login --password --help` as `plex-auth login --help
 * --password`), in the order typed; what follows `--` stays. @effect/cli
 * (Effect 3) reads them there only: after a command's option it said
 * "Received unknown argument: '--help'" (effect/cli, Effect 4, reads them
 * anywhere before `--`).
 */
export const builtInsAfterName = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  let at = leadingOptions(argv).rest
  const command = argv[at]
  if (command === undefined || !commands.includes(command)) return argv
  at++
  if (subcommandOf[command] !== undefined && argv[at] === subcommandOf[command]) at++
  const end = argv.indexOf("--") === -1 ? argv.length : argv.indexOf("--")
  if (end < at) return argv
  const tail = argv.slice(at, end)
  const isMoved = (arg: string) => builtInFlags.includes(arg) || arg === "--wizard"
  const moved = tail.filter(isMoved)
  if (moved.length === 0) return argv
  return [...argv.slice(0, at), ...moved, ...tail.filter((arg) => !isMoved(arg)), ...argv.slice(end)]
}
