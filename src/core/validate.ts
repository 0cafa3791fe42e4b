/**
 * Input checks as plain functions: each returns why a value is refused (a
 * phrase that never repeats a secret value), or `undefined` when it is
 * fine. Both editions turn a problem into their `InvalidInput` before any
 * request is sent.
 *
 * @internal
 */
import { isRecord } from "./decode.js"

/**
 * What the error of the account token's variable (`PLEX_TOKEN`) not configured says, unset or empty: what to set,
 * as for `PLEX_SESSION_KEY` (`web/signed.ts` `keyMissing`). Effect's own says only `<redacted>` (Effect 3's
 * `Config.redacted`) or that a string was expected (Effect 4). Never a value: there is none.
 */
export const tokenMissing = (variable: string): string =>
  `Expected ${variable} to be set: the Plex token of the account to act as (X-Plex-Token; \`plex-auth fake-server\` prints one for its fake)`

/** Control characters, which no header value, login or identity field may contain. */
export const controlChars = /[\x00-\x1f\x7f]/

/**
 * The size limits on what the library sends to Plex, in UTF-16 code units
 * (`string.length`). Each is far above any real value and far below what
 * would make a request a burden (Plex answers oversized headers with 431 or
 * by closing the connection):
 * - `header`: an identity field sent as an `X-Plex-*` header (product,
 *   version, device name, client identifier...), and a sign-in login (a user
 *   name or e-mail address, checked as one: {@link loginProblem}): 1,024.
 * - `token`: a token (a classic token is 20 characters, a Plex JWT about
 *   1,000): 8,192.
 * - `password`: 1,024.
 * A longer value fails with `InvalidInput` before any request.
 */
export const limits = {
  header: 1024,
  token: 8192,
  password: 1024
} as const

/** Why a value cannot be a header value (a non-empty string without control characters, at most {@link limits}.header long), or undefined. */
export const headerProblem = (value: unknown): string | undefined =>
  typeof value !== "string"
    ? "must be a string"
    : value.trim() === ""
      ? "must not be empty"
      : value.length > limits.header
        ? `must be at most ${limits.header} characters long`
        : controlChars.test(value)
          ? "must not contain control characters"
          : undefined

/** Why `value` cannot be an options object (`undefined` is fine where `optional`), or undefined. */
export const objectProblem = (value: unknown, optional: boolean): string | undefined =>
  value === undefined
    ? optional
      ? undefined
      : "is required (an object)"
    : !isRecord(value)
      ? `must be an object, not ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`
      : undefined

/** A refused argument: which one (an option's name), and why. */
export interface FieldProblem {
  readonly field: string
  readonly problem: string
}

/**
 * The first of `checks` (a field and its check, run in order, each only once those before it passed) to refuse:
 * how the editions check a function's arguments and options, in one order, before any request.
 */
export const firstProblem = (
  checks: ReadonlyArray<readonly [field: string, check: () => string | undefined]>
): FieldProblem | undefined => {
  for (const [field, check] of checks) {
    const problem = check()
    if (problem !== undefined) return { field, problem }
  }
  return undefined
}

/** The member `name` of options already found to be an object or undefined ({@link objectProblem}). */
export const member = (options: unknown, name: string): unknown =>
  options === undefined ? undefined : (options as Readonly<Record<string, unknown>>)[name]

/** `problemOf(value)`, unless `value` is undefined (an option not given). */
export const whenGiven = (
  value: unknown,
  problemOf: (u: unknown) => string | undefined
): string | undefined => (value === undefined ? undefined : problemOf(value))

/** Why a value that must be an `Effect` (the edition's: `obtain`, `deviceJwt`) is refused. */
export const notEffect = "must be an Effect"

/** The check that refuses, saying `problem`, what is not `is` (an edition's guard: a `Schedule`, an `Effect`). */
export const must =
  (is: (u: unknown) => boolean, problem: string) =>
  (u: unknown): string | undefined =>
    is(u) ? undefined : problem

/** Why `value` cannot be a boolean, or undefined (from untyped JavaScript, `"false"` would read as true). */
export const booleanProblem = (value: unknown): string | undefined =>
  typeof value === "boolean" ? undefined : "must be a boolean"

/** Why `value` cannot be an optional boolean option (`undefined` is fine), or undefined. */
export const optionalBooleanProblem = (value: unknown): string | undefined =>
  value === undefined || typeof value === "boolean" ? undefined : "must be a boolean"

/** Why `value` cannot be an optional string option (`undefined` is fine), or undefined. */
export const optionalStringProblem = (value: unknown): string | undefined =>
  value === undefined || typeof value === "string" ? undefined : "must be a string"

/**
 * Why `value` cannot be an optional store key (`Credentials.layerStored`'s, `Jwt.layerStored`'s, their
 * `forgetStored`'s and `ClientIdentity.makePersisted`'s `key`; `undefined` is fine: the default key), or undefined.
 * An empty or blank key is a mistake (a variable not set), not an entry's name: it would read and write an entry no
 * other run looks for.
 */
export const optionalStoreKeyProblem = (value: unknown): string | undefined =>
  optionalStringProblem(value) ??
  ((value as string | undefined)?.trim() === "" ? "must not be empty" : undefined)

/**
 * Why `value` cannot be a body cap (`PlexAuth.withMaxBodyBytes`), or undefined: a whole number of bytes, 0 or
 * more. NaN or an infinite cap would turn the cap off, a negative one refuse every body, an empty one included.
 */
export const maxBodyBytesProblem = (value: unknown): string | undefined =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0
    ? undefined
    : "must be a whole number of bytes, 0 or more (finite: the body cap stays on)"

/**
 * Why `value` cannot be a list of `of` (Home users, devices, friends), or undefined: an array of objects.
 * The plain functions that take one (`Home.findUser`, `ServerAccess.accessIn`) then read its entries' fields
 * with care: from untyped JavaScript, one of another shape matches nothing, never a `TypeError`.
 */
export const recordsProblem = (value: unknown, of: string): string | undefined =>
  !Array.isArray(value)
    ? "must be an array"
    : value.every((item) => typeof item === "object" && item !== null)
      ? undefined
      : `must be an array of ${of} (objects)`

/** Why `value` cannot be a callback, or undefined. */
export const functionProblem = (value: unknown): string | undefined =>
  typeof value === "function" ? undefined : "must be a function"

/**
 * Why a function option is refused when what it gave is no `Effect` (untyped JavaScript: an `async` function's
 * Promise): `Jwt.layerStored`'s `obtain` (found once the layer obtains for a new key or a refused one),
 * `Jwt.pinLogin`'s and `PinLogin.login`'s `onPin` (once the PIN is created), and `Jwt.makeCredentials`'s (and
 * `Jwt.layer`'s) `onToken` (once it is handed a token: the first, or the first renewed one when `token` was given).
 */
export const returnsNoEffect = "must return an Effect"

/**
 * What a secret given as a `Redacted` reads as once wiped (`Redacted.unsafeWipe`, Effect 4's `wipeUnsafe`), where
 * Effect's `Redacted.value` throws ("Unable to get redacted value"), a defect: each edition reads a secret given as
 * input through its `internal/validate.ts`'s `reveal`, which gives this instead, and every check of a secret
 * refuses it ({@link notString}), so that a wiped one is `InvalidInput` naming the input before any request.
 */
export const wiped: object = {}

/** `read()`, or {@link wiped} when it throws: how each edition's `reveal` reads a `Redacted` given as input. */
export const opened = (read: () => unknown): unknown => {
  try {
    return read()
  } catch {
    return wiped
  }
}

/**
 * Why a secret read as `raw`, no string, is refused: `was wiped` for a wiped `Redacted`'s ({@link wiped}; the input
 * is named, never a value), else `must be a string`.
 */
export const notString = (raw: unknown): string => (raw === wiped ? "was wiped" : "must be a string")

/**
 * The value of an optional variable of the library's, or `undefined` when it counts as unset: not there, empty or
 * blank (spaces, tabs alone), so that its default applies. `KEY=` in a `.env` template and docker-compose's
 * `KEY=${KEY}` for a variable the host lacks give an empty one. The one rule for every optional variable, in both
 * editions: `ClientIdentity.layerConfig`'s `PLEX_PRODUCT`, `PLEX_VERSION`, `PLEX_PLATFORM`, `PLEX_PLATFORM_VERSION`,
 * `PLEX_DEVICE`, `PLEX_DEVICE_NAME`; `PLEX_TV_URL`, `PLEX_CLIENTS_URL`, `PLEX_AUTH_APP_URL`; the CLI's
 * `PLEX_SERVER_URL`, `PLEX_PASSWORD`, `PLEX_2FA_CODE`, `PLEX_HOME_PIN` (`cli/render.ts` `envSet`). A required
 * variable's blank value (`PLEX_TOKEN`, `PLEX_CLIENT_IDENTIFIER`, `PLEX_SERVER_URL` of `PlexServer.layerConfig`) stays
 * a value, refused by its check ("must not be empty"), naming it.
 */
export const optionalValue = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value

/** Why a wiped `Redacted` ({@link wiped}) is refused, for the checks whose other reasons are not {@link notString}'s. */
export const wipedProblem: string = /*#__PURE__*/ notString(wiped)

/**
 * Why a revealed token cannot be one, or undefined: a non-empty visible-ASCII string within {@link limits}. A blank
 * one (spaces alone: `PLEX_TOKEN=" "`) is empty, as a blank value of any of the library's settings is (a header
 * value's, {@link headerProblem}; a URL's, {@link httpUrl}): the one reason, naming the variable it came from.
 */
export const tokenProblem = (raw: unknown): string | undefined => {
  if (typeof raw !== "string") return notString(raw)
  if (raw.length > limits.token) return `must be at most ${limits.token} characters long`
  // A token travels as an HTTP header: visible ASCII only (no spaces, no control or non-ASCII characters); an empty
  // or blank one is said to be empty.
  return /^[\x21-\x7e]+$/.test(raw)
    ? undefined
    : !raw.trim()
      ? "must not be empty"
      : "must contain only visible ASCII characters (no whitespace, control or non-ASCII)"
}

/** Why a sign-in login cannot be one, or undefined. */
export const loginProblem = (login: unknown): string | undefined =>
  // Checked as a header value ({@link headerProblem}): the same rules, the same limit.
  login === undefined ? "must not be empty" : headerProblem(login)

/** Why a revealed sign-in password cannot be one, or undefined. */
export const passwordProblem = (password: unknown): string | undefined =>
  typeof password !== "string"
    ? password === undefined
      ? "must not be empty"
      : notString(password)
    : password === ""
      ? "must not be empty"
      : password.length > limits.password
        ? `must be at most ${limits.password} characters long`
        : undefined

/** Why a `source` of `/security/resources` cannot be one (it needs `scheme://`), or undefined. */
export const sourceProblem = (source: unknown): string | undefined =>
  typeof source !== "string" || !/^[a-z][a-z0-9+.-]*:\/\/[^\s/?#]+$/i.test(source.trim())
    ? "must look like server://<clientIdentifier> or provider://<id>"
    : undefined

/**
 * A DNS name: dot-separated labels of letters, digits and hyphens, at most
 * 253 characters. Built in a function: bundlers keep a top-level template
 * with substitutions (its parts could run code), and with it this pattern in
 * every program that imports this module, also those that never check a host.
 */
const hostNamePattern = (): RegExp => {
  const label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
  return new RegExp(`^(?=.{1,253}\\.?$)${label}(?:\\.${label})*\\.?$`)
}
const hostName = /*#__PURE__*/ hostNamePattern()
const ipv6 = /^[0-9A-Fa-f:.]+$/

/**
 * A server's host for a URL: a DNS name (letters, digits and hyphens in
 * dot-separated labels, as `192-168-1-10.<hash>.plex.direct`), an IPv4
 * address, or an IPv6 address (bare or in brackets). Anything else (a
 * backslash, a slash, `@`, a port, spaces, percent signs) is refused: it
 * would change what the URL points to.
 */
export const hostProblem = (value: unknown): string | undefined => {
  if (typeof value !== "string") return "must be a string"
  if (value.length === 0) return "must not be empty"
  if (value.length > 253 + 2) return "must be at most 253 characters long"
  const bare = value.startsWith("[") && value.endsWith("]") ? value.slice(1, -1) : value
  if (bare.includes(":")) {
    if (!ipv6.test(bare) || (bare.match(/:/g) ?? []).length < 2) return "is not a valid IPv6 address"
    try {
      return new URL(`http://[${bare}]/`).hostname.length > 2 ? undefined : "is not a valid IPv6 address"
    } catch {
      return "is not a valid IPv6 address"
    }
  }
  if (bare !== value) return "must be a host name or an IP address"
  return hostName.test(value) ? undefined : "must be a host name or an IP address"
}

/** A host {@link hostProblem} accepts, as it goes in a URL (an IPv6 address in brackets). */
export const hostForUrl = (host: string): string => {
  const bare = host.startsWith("[") ? host.slice(1, -1) : host
  return bare.includes(":") ? `[${bare}]` : host
}

/** Why {@link httpUrl} refuses a URL with a user name or password in it (the CLI says it in its own terms). */
export const credentialsInUrlProblem = "must not embed credentials; use Credentials for the token"

/**
 * Why a value with no scheme is refused, and what to write instead: a host and port, `plex.local:32400`, parses with
 * the host as its scheme, and `192.168.1.5:32400` not at all. The value is not repeated (without a scheme,
 * `user:password@host` reads the same way).
 */
const noScheme =
  "must start with http:// or https:// (a host and port alone is not a URL): put http:// before it"

const notAbsolute = "is not an absolute URL (expected http(s)://host[:port])"

/**
 * An absolute http(s) URL without credentials, control characters, query or fragment, returned
 * without a trailing slash (a path prefix, for a reverse proxy, is kept).
 * With `query: true`, a query and fragment are allowed and the URL is
 * returned whole (a `forwardUrl`). Either the URL or why it is refused.
 * A near miss of http(s):// is refused saying what is wrong: `http//host`
 * (the colon), `https:/host` or `http:host` (the slashes, where the URL
 * parser would mend it), and a URL in quotes (`"http://host:32400"`, as an
 * env file's line keeps them, or typographic ones) that it is in quotes.
 */
export const httpUrl = (
  value: unknown,
  options: { readonly query?: boolean | undefined } = {}
): { readonly url: string } | { readonly problem: string } => {
  const text = String(value).trim()
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // http(s) without its colon (`http//host:32400`): said so; with it, but no URL (`http://`, `http://:32400`, a
    // host left empty): not absolute. Neither is told to put http:// before it. The value is not repeated.
    const scheme = /^(https?)(:|[/\\])/i.exec(text)
    // With a colon, a host and port the URL parser cannot read as a scheme (`192.168.1.5:32400`, `[::1]:32400`): its
    // scheme is missing too (a regex of host and port cost 8 B more gzipped on the server operations' bundles).
    // In quotes (`PLEX_SERVER_URL="http://h:32400"`, from an env file that keeps them: docker's `--env-file`), no
    // URL parses either: said so, not to put http:// before a URL that has it. Any quotation mark (Unicode's QMark:
    // typographic ones too, “…” or „…“ as a URL pasted from a chat or a document brings; 4 B, `["']` and two of them 19).
    return {
      problem: /^\p{QMark}/u.test(text)
        ? "must not be in quotes"
        : scheme
          ? scheme[2] === ":"
            ? notAbsolute
            : `the colon after ${scheme[1]} is missing`
          : /:/.test(text)
            ? noScheme
            : // Blank (`PLEX_SERVER_URL=" "`): empty, as a blank token or header value is (`/:/.test`, not
              // `includes(":")`: 1 B less gzipped on getSourceConnectionInformation, what this reason cost).
              text
              ? notAbsolute
              : "must not be empty"
    }
  }
  if (typeof value !== "string") return { problem: "must be a URL string" }
  // The URL parser drops a tab or line break inside a URL (`http://plex.lo\ncal` reads as `http://plex.local`) and
  // percent-encodes other control characters: such a URL is refused, not silently made another (spaces and line
  // breaks around it are dropped, as from a `.env` line).
  if (controlChars.test(text)) return { problem: "must not contain control characters" }
  // What follows the scheme's colon: the URL parser mends `https:/host`, `http:host` and `http:///host` (any number of
  // slashes or backslashes) into http(s)://host; they are refused, saying what is wrong, as `plex.local:32400` (no
  // http(s) scheme) is.
  const rest = text.slice(url.protocol.length)
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    // `localhost:32400` or `plex.local:32400` parses with the host as its scheme: say what is missing.
    return rest.startsWith("//")
      ? { problem: `must use http or https, not ${url.protocol.slice(0, -1)}` }
      : { problem: noScheme }
  }
  // Exactly two slashes, then the host (which no slash or backslash starts).
  if (!/^\/\/[^/\\]/.test(rest)) return { problem: `two slashes must follow ${url.protocol}` }
  if (url.username || url.password) {
    return { problem: credentialsInUrlProblem }
  }
  if (options.query) return { url: url.toString() }
  if (url.search || url.hash) return { problem: "must not have a query string or fragment" }
  return { url: `${url.origin}${url.pathname.replace(/\/+$/, "")}` }
}

/**
 * A Plex Media Server's address (`Claim.claimServer`'s `serverUrl`, `ServerClient`'s `uri`, `PlexServer`'s):
 * {@link httpUrl}'s, and not Plex Web's, as a browser's address bar shows it (`http://host:32400/web/index.html#!/...`,
 * or ending `/web` or `/web/`). Taken as a path prefix, that put every request under it (a 404 on
 * `.../web/index.html/identity`, an `Unexpected`). Refused, saying which address to give (what comes before
 * `/web`), rather than cut off: the address given was mistaken, and a rewritten one would hide it. Checked before
 * the fragment Plex Web's address comes with is refused, after everything else.
 */
export const serverUrl = (value: unknown): { readonly url: string } | { readonly problem: string } => {
  // With `query: true`, every check but the query's and fragment's: the same refusals, first.
  const whole = httpUrl(value, { query: true })
  if ("problem" in whole) return whole
  const url = new URL(whole.url)
  // The path without Plex Web's part, when it ends with it.
  const server = url.pathname.replace(/\/web(\/(index\.html)?)?$/i, "")
  return server === url.pathname
    ? httpUrl(value)
    : { problem: `is Plex Web's address, not the server's: give ${url.origin}${server}` }
}

/** A server's port as a number (an integer from 1 to 65535, given as a number or digits), or undefined when it cannot be one. */
export const portNumber = (port: unknown): number | undefined => {
  const n =
    typeof port === "number" || (typeof port === "string" && /^\d{1,5}$/.test(port)) ? Number(port) : NaN
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined
}

/**
 * Whether `[seconds, nanoseconds]` is negative as given: a part that is not a number, NaN or -Infinity (which
 * Effect 3 reads as zero), or a sum below zero (`[0, -1]`; not `[1, -5]`, a little under a second in both editions).
 */
const negativeParts = (parts: ReadonlyArray<unknown>): boolean =>
  parts.some((part) => typeof part !== "number" || Number.isNaN(part) || part === Number.NEGATIVE_INFINITY) ||
  (parts.length === 2 && (parts[0] as number) * 1_000_000_000 + (parts[1] as number) < 0)

/**
 * Whether a duration input is negative as given: a number below zero (or
 * NaN), a string such as `"-1 seconds"`, a bigint of nanoseconds below zero,
 * `[seconds, nanoseconds]` below zero (or with a part not a number), or a
 * plain object of parts (Effect 4's `{ seconds: 1 }`) with a part below zero
 * or NaN (Effect 4 reads `{ millis: NaN }` as zero; Effect 3 decodes no such
 * object). Effect reads these as zero (or keeps the sign) depending on its
 * line; a duration option rejects them first, the same on both editions.
 */
export const isNegativeDurationInput = (input: unknown): boolean =>
  (typeof input === "number" && !(input >= 0)) ||
  (typeof input === "string" && /^\s*-/.test(input)) ||
  (typeof input === "bigint" && input < BigInt(0)) ||
  (Array.isArray(input) && negativeParts(input)) ||
  (typeof input === "object" &&
    input !== null &&
    Object.getPrototypeOf(input) === Object.prototype &&
    Object.values(input).some(
      (part) => (typeof part === "number" && !(part >= 0)) || (typeof part === "bigint" && part < BigInt(0))
    ))

/** A duration as the edition's `Duration` decoded it: whether it is finite, and its length in milliseconds. */
export interface DecodedDuration {
  readonly finite: boolean
  readonly millis: number
}

/**
 * Why a duration option cannot be one, or undefined, from the `value` given and what the edition's `Duration`
 * decoded it to (`decoded`, undefined when it is no duration): a duration (not NaN), finite unless no `infinite`
 * reason is given (a limit, where infinite means none), and positive, or with `least` that many milliseconds or more.
 * A negative input is refused whatever Effect reads it as ({@link isNegativeDurationInput}). The one check of every
 * duration option, in both editions, and its words: what is wrong (no duration, infinite, too short) and what is
 * accepted.
 */
export const durationProblem = (
  value: unknown,
  decoded: DecodedDuration | undefined,
  rules: { readonly infinite?: string | undefined; readonly least?: number | undefined } = {}
): string | undefined => {
  if (decoded === undefined || (typeof value === "number" && Number.isNaN(value)))
    return 'must be a Duration, a number of milliseconds, or a text like "5 seconds"'
  if (rules.infinite !== undefined && !decoded.finite) return rules.infinite
  const { least } = rules
  if (!isNegativeDurationInput(value) && (least === undefined ? decoded.millis > 0 : decoded.millis >= least))
    return undefined
  return least === undefined
    ? "must be positive"
    : least === 0
      ? "must be a duration of zero or more"
      : `must be at least ${least} ms`
}

/**
 * Why a value cannot be a per-attempt timeout, or undefined (`decoded` as for {@link durationProblem}): positive
 * and finite (NaN, a negative number, zero or an infinite duration would turn the timeout off or fire it at once).
 */
export const timeoutProblem = (value: unknown, decoded: DecodedDuration | undefined): string | undefined =>
  typeof value === "number" && !Number.isFinite(value)
    ? "must be a finite number of milliseconds"
    : durationProblem(value, decoded, { infinite: "must be finite: the per-attempt timeout stays on" })
