/**
 * Input checks shared by the public constructors, failing with `InvalidInput`
 * before anything is sent.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { InvalidInput } from "../PlexError.js"
import * as Core from "../core/validate.js"
import type { RetryPolicy } from "./settings.js"

export {
  booleanProblem,
  functionProblem,
  headerProblem,
  hostProblem,
  limits,
  maxBodyBytesProblem,
  objectProblem,
  optionalBooleanProblem,
  optionalStoreKeyProblem,
  optionalStringProblem,
  recordsProblem,
  returnsNoEffect
} from "../core/validate.js"

/** A string or a `Redacted` string, as accepted at the edge of the library. */
export type SecretInput = string | Redacted.Redacted<string>

/** Wraps a plain string in `Redacted` at once; a `Redacted` passes through. */
export const toRedacted = (input: SecretInput): Redacted.Redacted<string> =>
  Redacted.isRedacted(input) ? input : Redacted.make(input)

export const invalid = (operation: string, field: string, reason: string) =>
  new InvalidInput({ operation, field, reason })

/**
 * The `InvalidInput` of a value a `layerConfig` read from its default variables, reported by `operation` under the
 * variable its field came from (`variables[field]`; a field no variable gave keeps its name), as Effect's
 * `ConfigError` names a missing one. The reason is the check's: it never repeats the value.
 */
export const fromVariables =
  (operation: string, variables: Readonly<Record<string, string | undefined>>) =>
  (error: InvalidInput): InvalidInput =>
    invalid(
      operation,
      (Object.hasOwn(variables, error.field) ? variables[error.field] : undefined) ?? error.field,
      error.reason
    )

/** A header-safe, non-empty string. */
export const headerValue = (
  operation: string,
  field: string,
  value: unknown
): Effect.Effect<string, InvalidInput> => {
  const problem = Core.headerProblem(value)
  return problem === undefined
    ? Effect.succeed(value as string)
    : Effect.fail(invalid(operation, field, problem))
}

/** Fails with `InvalidInput` unless `value` is an object (or `undefined`, when `optional`). */
export const object = (
  operation: string,
  field: string,
  value: unknown,
  optional = false
): Effect.Effect<void, InvalidInput> => {
  const problem = Core.objectProblem(value, optional)
  return problem === undefined ? Effect.void : Effect.fail(invalid(operation, field, problem))
}

/** What Effect decoded a value to (see `core/validate.ts`'s `durationProblem`), or undefined: none. */
const durationFacts = (decoded: Option.Option<Duration.Duration>): Core.DecodedDuration | undefined =>
  Option.isSome(decoded)
    ? { finite: Duration.isFinite(decoded.value), millis: Duration.toMillis(decoded.value) }
    : undefined

/**
 * Why a value cannot be a positive duration, or undefined: it must decode as
 * a `Duration` and be more than zero, finite unless `infinite` says why an
 * infinite one is refused (the rules: `core/validate.ts`'s `durationProblem`).
 */
export const durationProblem = (value: unknown, infinite?: string): string | undefined =>
  Core.durationProblem(value, durationFacts(Duration.decodeUnknown(value)), { infinite })

/** Why a value cannot be a per-attempt timeout, or undefined: see `core/validate.ts`'s `timeoutProblem`. */
export const timeoutProblem = (value: unknown): string | undefined =>
  Core.timeoutProblem(value, durationFacts(Duration.decodeUnknown(value)))

/** A per-attempt timeout: see {@link timeoutProblem}. */
export const timeout = (
  operation: string,
  field: string,
  value: unknown
): Effect.Effect<Duration.Duration, InvalidInput> => {
  const problem = timeoutProblem(value)
  return problem === undefined
    ? Effect.succeed(Duration.decode(value as Duration.DurationInput))
    : Effect.fail(invalid(operation, field, problem))
}

/** {@link hostProblem}, returning the host as it goes in a URL. */
export const host = (
  operation: string,
  field: string,
  value: unknown
): Effect.Effect<string, InvalidInput> => {
  const problem = Core.hostProblem(value)
  if (problem !== undefined) return Effect.fail(invalid(operation, field, problem))
  return Effect.succeed(Core.hostForUrl(value as string))
}

/**
 * `value`, or what it holds when it is a `Redacted`: how a secret given as input is read. A `Redacted` wiped with
 * `Redacted.unsafeWipe` reads as `core/validate.ts`'s `wiped` (where `Redacted.value` throws: a defect), which every
 * check of a secret refuses, so that it is `InvalidInput` naming the input ("was wiped") before any request.
 */
export const reveal = (value: unknown): unknown =>
  Redacted.isRedacted(value) ? Core.opened(() => Redacted.value(value)) : value

/**
 * The library's own `Redacted` of a secret given as one, once checked, for what reads it again later by itself: the
 * caller's may be wiped after it was taken (`Redacted.unsafeWipe`), and `Jwt.makeCredentials` reads its token's expiry
 * at each token read, where `Redacted.value` would throw, a defect. (`Credentials.make` keeps a `Redacted` as given:
 * wiped, the next operation's check of the token refuses it, `InvalidInput`.)
 */
export const own = (secret: Redacted.Redacted<string>): Redacted.Redacted<string> =>
  Redacted.make(Redacted.value(secret))

/** A non-empty secret without control characters or whitespace, wrapped in `Redacted`. */
export const token = (
  operation: string,
  field: string,
  value: unknown
): Effect.Effect<Redacted.Redacted<string>, InvalidInput> => {
  const raw = reveal(value)
  const problem = Core.tokenProblem(raw)
  if (problem) return Effect.fail(invalid(operation, field, problem))
  return Effect.succeed(
    Redacted.isRedacted(value) ? (value as Redacted.Redacted<string>) : Redacted.make(raw as string)
  )
}

/**
 * An absolute http(s) URL without credentials, query or fragment, returned
 * without a trailing slash (a path prefix, for a reverse proxy, is kept).
 * With `query: true`, a query and fragment are allowed and the URL is
 * returned whole (a `forwardUrl`).
 */
export const httpUrl = (
  operation: string,
  field: string,
  value: unknown,
  options: { readonly query?: boolean } = {}
): Effect.Effect<string, InvalidInput> => {
  const checked = Core.httpUrl(value, options)
  return "url" in checked
    ? Effect.succeed(checked.url)
    : Effect.fail(invalid(operation, field, checked.problem))
}

/**
 * A Plex Media Server's address: {@link httpUrl}'s, and not Plex Web's (`http://host:32400/web/index.html#!/`),
 * refused saying which to give (core/validate.ts `serverUrl`).
 */
export const serverUrl = (
  operation: string,
  field: string,
  value: unknown
): Effect.Effect<string, InvalidInput> => {
  const checked = Core.serverUrl(value)
  return "url" in checked
    ? Effect.succeed(checked.url)
    : Effect.fail(invalid(operation, field, checked.problem))
}

/** {@link token}, synchronously, as an `Either`. */
export const tokenSync = (value: unknown) =>
  Effect.runSync(Effect.either(token("Credentials", "token", value)))

/** Where a policy `RetryPolicy.backoff` refused to build keeps its `InvalidInput`. */
const refusedKey = /*#__PURE__*/ Symbol.for("effect-plex-auth/RetryPolicy/refused")

/**
 * The policy `RetryPolicy.backoff` returns for options it refuses: it never
 * retries, and installing it (`RetryPolicy.layer`, `withPolicy`,
 * `PlexAuth.withRetryPolicy`) fails with `error` before any request. A
 * `Schedule` cannot fail with a typed error, hence the check at installation,
 * as `withRequestTimeout` checks its duration there.
 */
export const refused = (error: InvalidInput): RetryPolicy =>
  Object.defineProperty(Schedule.recurs(0), refusedKey, { value: error })

/**
 * The `InvalidInput` a policy made of refused options carries (see {@link refused}), if any; a
 * policy that is not a `Schedule` at all (`null`, from untyped JavaScript) is refused too.
 */
export const refusal = (policy: RetryPolicy): InvalidInput | undefined =>
  !Schedule.isSchedule(policy)
    ? invalid("RetryPolicy", "policy", "must be a RetryPolicy (a Schedule)")
    : refusedKey in policy
      ? (policy[refusedKey] as InvalidInput)
      : undefined

/**
 * An optional duration option, decoded: `fallback` when it is undefined;
 * otherwise it must decode as a `Duration` (not NaN), be finite (or, with
 * `infinite`, may be infinite), and be positive (or, with `least`, that many
 * milliseconds or more). A negative number, text or `Duration` (`-5`, `"-1 seconds"`, which
 * Effect may read as zero) is refused. The one check and its wording:
 * `core/validate.ts`'s `durationProblem`.
 */
export const durationOption = (
  operation: string,
  field: string,
  value: unknown,
  fallback: Duration.Duration,
  options: { readonly least?: number; readonly infinite?: boolean } = {}
): Effect.Effect<Duration.Duration, InvalidInput> => {
  if (value === undefined) return Effect.succeed(fallback)
  const decoded = Duration.decodeUnknown(value)
  const problem = Core.durationProblem(value, durationFacts(decoded), {
    infinite: options.infinite ? undefined : "must be finite",
    least: options.least
  })
  // Decoded: a value that decodes as none is refused as no duration.
  return problem === undefined
    ? Effect.succeed(Option.getOrThrow(decoded))
    : Effect.fail(invalid(operation, field, problem))
}

/** Fails with `InvalidInput` for `field` when `problem` says why (see the `*Problem` checks). */
export const check = (
  operation: string,
  field: string,
  problem: string | undefined
): Effect.Effect<void, InvalidInput> =>
  problem === undefined ? Effect.void : Effect.fail(invalid(operation, field, problem))

/** Fails with `InvalidInput` for the argument a core check found at fault (`{ field, problem }`), if any. */
export const checkField = (
  operation: string,
  found: { readonly field: string; readonly problem: string } | undefined
): Effect.Effect<void, InvalidInput> =>
  found === undefined ? Effect.void : Effect.fail(invalid(operation, found.field, found.problem))

/**
 * A JWT or token given as a string or a `Redacted` string, wrapped in
 * `Redacted`; anything else (null, a number) is refused. Its content is
 * not checked here (a malformed JWT is the caller's `InvalidJwt`).
 */
export const stringOrRedacted = (
  operation: string,
  field: string,
  value: unknown
): Effect.Effect<Redacted.Redacted<string>, InvalidInput> => {
  if (Redacted.isRedacted(value)) {
    const raw = reveal(value)
    return typeof raw === "string"
      ? Effect.succeed(value as Redacted.Redacted<string>)
      : Effect.fail(
          invalid(
            operation,
            field,
            raw === Core.wiped ? Core.wipedProblem : "must be a string or a Redacted string"
          )
        )
  }
  return typeof value === "string"
    ? Effect.succeed(Redacted.make(value))
    : Effect.fail(invalid(operation, field, "must be a string or a Redacted string"))
}

/** Why `value` cannot be a secret the types say is `Redacted` (a token, a device JWT), or undefined. */
export const redactedProblem = (value: unknown): string | undefined =>
  Redacted.isRedacted(value) ? Core.tokenProblem(reveal(value)) : "must be a Redacted string"

/**
 * A `Config` to read, or `InvalidInput` when `value` is not one (from untyped JavaScript), so a
 * `layerConfig` fails when built instead of dying.
 */
export const config = <A>(
  operation: string,
  value: Config.Config<A>
): Effect.Effect<A, InvalidInput | ConfigError.ConfigError> =>
  Config.isConfig(value) ? value : Effect.fail(invalid(operation, "config", "must be a Config"))

/**
 * `Config.string(key)`, for one of the library's own variables, with the empty string read as unset: Effect's
 * `ConfigError`, missing data at `key` as for a variable that is not there (`(Missing data at PLEX_SERVER_URL:
 * "Expected PLEX_SERVER_URL to be set, not empty")`), so `Config.withDefault` and `Config.option` apply. Effect 4's
 * `ConfigProvider` reads an empty variable so, and `KEY=` in a `.env` file or docker-compose means "not set";
 * Effect 3's hands `""` on. A blank but non-empty value stays a value, as on Effect 4, for the checks to refuse.
 */
export const variable = (key: string): Config.Config<string> =>
  Config.mapOrFail(Config.string(key), (value) =>
    value === ""
      ? Either.left(ConfigError.MissingData([], `Expected ${key} to be set, not empty`))
      : Either.right(value)
  )

/**
 * {@link variable} of a secret, in `Redacted`: like any error of `Config.redacted`, its missing data reads
 * `<redacted>` (`(Missing data at PLEX_TOKEN: "<redacted>")`), whether the variable is not there or empty.
 */
export const secretVariable = (key: string): Config.Config<Redacted.Redacted<string>> =>
  Config.redacted(variable(key))

/**
 * {@link secretVariable}, required: not configured (unset or empty), it is still the missing-data `ConfigError` at
 * `key`, but its message is `missing`, saying what to set (`Config.redacted`'s own reads `<redacted>`, also as the
 * `message` an app prints). A function, not a value built at load: a call at the top level stays in every bundle
 * that imports the module.
 */
export const requiredSecret = (
  key: string,
  missing: string
): Effect.Effect<Redacted.Redacted<string>, ConfigError.ConfigError> =>
  Effect.flatMap(
    Config.option(secretVariable(key)),
    Option.match({
      onNone: () => Effect.fail(ConfigError.MissingData([key], missing)),
      onSome: Effect.succeed
    })
  )

/**
 * `config`, checked as its `layerConfig` checks what it reads (`check`: the value the layer uses, or the variable at
 * fault and why, never the value). A `Config` can only fail with a `ConfigError`: invalid data at that variable,
 * whose message is the layer's `InvalidInput` reason (`(Invalid data at PLEX_TV_URL: "must use http or https, not
 * ftp")`). The one way `PlexTv.config`, `ClientIdentity.config` and `Jwt.hostConfig` check what they read
 * (`core/configured.ts`).
 */
export const checkedConfig = <A, B>(
  config: Config.Config<A>,
  check: (value: A) => { readonly value: B } | { readonly field: string; readonly problem: string }
): Config.Config<B> =>
  Config.mapOrFail(config, (value) => {
    const checked = check(value)
    return "value" in checked
      ? Either.right(checked.value)
      : Either.left(ConfigError.InvalidData([checked.field], checked.problem))
  })

/**
 * What a `layerConfig` builds from `given`, a `Config` of the caller's, else from `fallback`, its default: `make`
 * checks the value. Read from the default, an `InvalidInput` is reported by `operation` under the variable the
 * value came from ({@link fromVariables}: `PlexTv.layerConfig: invalid PLEX_TV_URL: ...`); from a `Config` of the
 * caller's, whose keys are not known here, it is `make`'s (`PlexTv: invalid url: ...`).
 */
export const configured = <A, B>(
  operation: string,
  given: Config.Config<A> | undefined,
  fallback: Effect.Effect<A, ConfigError.ConfigError>,
  variables: Readonly<Record<string, string | undefined>>,
  make: (value: A) => Effect.Effect<B, InvalidInput>
): Effect.Effect<B, InvalidInput | ConfigError.ConfigError> =>
  given === undefined
    ? Effect.flatMap(fallback, (value) => Effect.mapError(make(value), fromVariables(operation, variables)))
    : Effect.flatMap(config(operation, given), make)

/**
 * Throws `InvalidInput` for `field` when `problem` says why: for the plain functions (not Effects),
 * which cannot fail with a typed error, so input of the wrong kind is a clear error, never a TypeError.
 */
export const refuseSync = (operation: string, field: string, problem: string | undefined): void => {
  if (problem !== undefined) throw invalid(operation, field, problem)
}

/** Why `value` cannot be an array, or undefined. */
export const arrayProblem = (value: unknown): string | undefined =>
  Array.isArray(value) ? undefined : "must be an array"
