/**
 * How the CLI fails: every error becomes one line for a human on stderr and
 * an exit code a script can branch on. Messages never carry a secret: they
 * are written here from the errors' fields, and URLs are cut to their origin.
 */
import type * as PlatformError from "@effect/platform/Error"
import * as Data from "effect/Data"
import type * as PlexError from "../../PlexError.js"

/** The exit codes, documented in docs/cli.md. */
export const ExitCode = {
  Ok: 0,
  /** Anything not listed below: an unexpected answer, a storage failure, a bug. */
  Generic: 1,
  /** A command line or an input the CLI cannot use. */
  Usage: 2,
  /** Not logged in, a refused token, a wrong password or two-factor code. */
  Unauthorized: 3,
  /** The PIN expired before it was approved. */
  PinExpired: 4,
  /** plex.tv or the server could not be reached, or did not answer in time. */
  Network: 5,
  /** Plex asked us to slow down. */
  RateLimited: 6,
  /** Cancelled by the user (Ctrl-C, or stdin closed while a prompt waited). */
  Cancelled: 130
} as const

/** A failure the CLI reports: a one-line message and an exit code. */
export class CliFailure extends Data.TaggedError("CliFailure")<{
  readonly message: string
  readonly exitCode: number
}> {}

export const usage = (message: string) => new CliFailure({ message, exitCode: ExitCode.Usage })

export const notLoggedIn = () =>
  new CliFailure({
    message: "Not logged in. Run `plex-auth login` first.",
    exitCode: ExitCode.Unauthorized
  })

/** The origin of a URL (never its path or query), or the text as it is when it does not parse. */
export const originOf = (url: string): string => {
  try {
    return new URL(url).origin
  } catch {
    return "the server"
  }
}

const codesOf = (errors: ReadonlyArray<PlexError.PlexErrorDetail>): string => {
  const parts = errors.flatMap((e) => (e.code === undefined ? [] : [String(e.code)]))
  return parts.length > 0 ? `, Plex code ${parts.join(", ")}` : ""
}

/**
 * How the CLI names an input the library refused: the flag, variable or
 * prompt the user gave it through, never the API's field name
 * (`verificationCode`).
 */
const inputNames: Record<string, string> = {
  login: "--login",
  password: "password (PLEX_PASSWORD or the prompt)",
  verificationCode: "two-factor code (PLEX_2FA_CODE or the prompt)",
  serverUrl: "--server URL (or PLEX_SERVER_URL)",
  url: "--plex-tv URL (or PLEX_TV_URL)"
}

/** The user-facing name of an input the library refused. */
export const inputName = (error: PlexError.InvalidInput): string => inputNames[error.field] ?? error.field

/** One line for each error of the library. */
export const fromPlexError = (error: PlexError.PlexError): CliFailure => {
  switch (error._tag) {
    case "InvalidInput":
      return usage(`Invalid ${inputName(error)}: ${error.reason}.`)
    case "Unauthorized":
      return new CliFailure({
        message: `Plex refused the saved token (HTTP ${error.status}${codesOf(error.errors)}). Run \`plex-auth login\` to sign in again.`,
        exitCode: ExitCode.Unauthorized
      })
    case "VerificationCodeRequired":
      return new CliFailure({
        message:
          "This account needs a two-factor code: set PLEX_2FA_CODE, or run `plex-auth login --password` where it can ask.",
        exitCode: ExitCode.Unauthorized
      })
    case "InvalidVerificationCode":
      return new CliFailure({
        message: "The two-factor code was not accepted.",
        exitCode: ExitCode.Unauthorized
      })
    case "PinExpired":
      return new CliFailure({
        message: "The PIN expired before it was approved. Run `plex-auth login` again.",
        exitCode: ExitCode.PinExpired
      })
    case "NetworkError":
      return new CliFailure({
        message:
          error.reason === "Timeout"
            ? `${originOf(error.url)} did not answer in time.`
            : `Could not reach ${originOf(error.url)}: ${error.detail}.`,
        exitCode: ExitCode.Network
      })
    case "RateLimited":
      return new CliFailure({
        message: `Plex is limiting requests${
          error.retryAfterMillis !== undefined
            ? `; try again in ${Math.ceil(error.retryAfterMillis / 1000)} s`
            : "; try again later"
        }.`,
        exitCode: ExitCode.RateLimited
      })
    case "BadRequest":
      return new CliFailure({
        message: `${originOf(error.url)} rejected the request as malformed (HTTP ${error.status}${codesOf(error.errors)}).`,
        exitCode: ExitCode.Generic
      })
    case "NotFound":
      return new CliFailure({
        message: `${originOf(error.url)} does not know what was asked for (HTTP ${error.status}${codesOf(error.errors)}).`,
        exitCode: ExitCode.Generic
      })
    case "Unexpected":
      return new CliFailure({
        message: `Unexpected answer from ${originOf(error.url)}${
          error.status !== undefined ? ` (HTTP ${error.status})` : ""
        }: ${error.detail}.`,
        exitCode: ExitCode.Generic
      })
    case "InvalidJwt":
      return new CliFailure({
        message: `The token is not valid (${error.reason}): ${error.detail}. Run \`plex-auth login\` again.`,
        exitCode: ExitCode.Unauthorized
      })
    case "NoReachableConnection":
      return new CliFailure({
        message:
          error.attempts.length === 0
            ? `The server "${error.server}" offers no usable connection.`
            : `No connection to the server "${error.server}" answered (${error.attempts
                .map((attempt) => `${originOf(attempt.uri)}: ${attempt.reason ?? attempt.outcome}`)
                .join("; ")}).`,
        exitCode: ExitCode.Network
      })
    case "ServerNotFound":
      return new CliFailure({
        message: `The account has no server "${error.server}" (it has: ${
          error.available.length === 0 ? "none" : error.available.map((name) => `"${name}"`).join(", ")
        }).`,
        exitCode: ExitCode.Generic
      })
    default:
      // An error added to the library after this CLI: its message, which never carries a secret.
      return new CliFailure({ message: (error as Error).message, exitCode: ExitCode.Generic })
  }
}

/** A failure of the file that keeps the token and the client identifier. */
export const fromStoreError = (error: PlatformError.PlatformError): CliFailure =>
  new CliFailure({
    message:
      error._tag === "SystemError"
        ? `Could not use the credentials file${error.pathOrDescriptor !== undefined ? ` ${String(error.pathOrDescriptor)}` : ""} (${error.reason}${error.description !== undefined ? `: ${error.description}` : ""}).`
        : `Could not use the credentials file (${error.description ?? `${error.module}.${error.method}`}).`,
    exitCode: ExitCode.Generic
  })
