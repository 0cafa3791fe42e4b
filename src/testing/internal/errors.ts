/**
 * The Effect 3 test kit's errors for the fake, kept apart so that the
 * binding and the public modules can share them without an import cycle.
 * `Schema.TaggedError` classes, as every error of the package (the Effect 4
 * kit's, named alike).
 *
 * @internal
 */
import * as Schema from "effect/Schema"

/** The connection failed instead of answering: reset mid-request, or refused. */
export class ConnectionFailure
  extends /*#__PURE__*/ Schema.TaggedError<ConnectionFailure>("effect-plex-auth/testing/ConnectionFailure")(
    "ConnectionFailure",
    {
      reason: /*#__PURE__*/ Schema.Literal("Reset", "Refused"),
      origin: Schema.String
    }
  )
{
  override get message(): string {
    return this.reason === "Reset"
      ? `the connection to ${this.origin} was reset`
      : `the connection to ${this.origin} was refused`
  }
}

/** A control call named something the fake does not have (an unknown PIN, account or server); see `FakePlex.FakePlexError`. */
export class FakePlexError
  extends /*#__PURE__*/ Schema.TaggedError<FakePlexError>("effect-plex-auth/testing/FakePlexError")(
    "FakePlexError",
    { message: Schema.String }
  ) {}
