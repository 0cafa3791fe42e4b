/**
 * The Effect 3 test kit's errors for the fake, kept apart so that the
 * binding and the public modules can share them without an import cycle.
 *
 * @internal
 */
import * as Data from "effect/Data"

/** The connection failed instead of answering: reset mid-request, or refused. */
export class ConnectionFailure extends Data.TaggedError("ConnectionFailure")<{
  readonly reason: "Reset" | "Refused"
  readonly origin: string
}> {
  override get message(): string {
    return this.reason === "Reset"
      ? `the connection to ${this.origin} was reset`
      : `the connection to ${this.origin} was refused`
  }
}

/** A control call named something the fake does not have (an unknown PIN, account or server). */
export class FakePlexError extends Data.TaggedError("FakePlexError")<{
  readonly message: string
}> {}
