/**
 * How the CLI fails: every error becomes one line for a human on stderr and
 * an exit code a script can branch on. Messages never carry a secret: they
 * are written here from the errors' fields, and URLs are cut to their origin.
 */
import type * as PlatformError from "@effect/platform/Error"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as PlexError from "../../PlexError.js"
import * as CoreFailure from "../../core/cli/failure.js"
import * as Render from "../../core/cli/render.js"

/** The exit codes, documented in docs/cli.md. */
export const ExitCode = CoreFailure.ExitCode

/** A failure the CLI reports: a one-line message (never a secret) and an exit code. */
export class CliFailure extends Schema.TaggedError<CliFailure>("effect-plex-auth/bin/CliFailure")(
  "CliFailure",
  {
    message: Schema.String,
    exitCode: Schema.Number
  }
) {}

export const usage = (message: string) => new CliFailure({ message, exitCode: ExitCode.Usage })

/** Whether `PLEX_TOKEN` is set (not blank): the CLI does not read it, and says so where it matters. */
export const plexTokenSet = Config.option(Config.redacted("PLEX_TOKEN")).pipe(
  Effect.map(Option.exists((token) => Render.envSet(Redacted.value(token)))),
  Effect.orElseSucceed(() => false)
)

/** "Not logged in" (exit 3), saying so when `PLEX_TOKEN` is set, which the CLI does not read (core/cli/failure.ts). */
export const notLoggedIn = plexTokenSet.pipe(
  Effect.flatMap((set) =>
    Effect.fail(
      new CliFailure({
        message: CoreFailure.notLoggedIn(set),
        exitCode: ExitCode.Unauthorized
      })
    )
  )
)

/** The origin of a URL (never its path or query), or the text as it is when it does not parse. */
export const originOf = CoreFailure.originOf

export const inputName = (error: PlexError.InvalidInput): string => CoreFailure.inputName(error.field)

export const fromPlexError = (error: PlexError.PlexError): CliFailure =>
  new CliFailure(CoreFailure.failureOf(error))

/** A failure of the file that keeps the token and the client identifier. */
export const fromStoreError = (error: PlatformError.PlatformError): CliFailure =>
  new CliFailure({
    message:
      error._tag === "SystemError"
        ? CoreFailure.storeFailureMessage({
            reason: error.reason,
            path: error.pathOrDescriptor,
            description: error.description
          })
        : `Could not use the credentials file (${error.description ?? `${error.module}.${error.method}`}).`,
    exitCode: ExitCode.Generic
  })
