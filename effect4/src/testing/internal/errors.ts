/**
 * The Effect 4 test kit's errors for the fake (the core fake's plain errors
 * as tagged ones), apart so that the binding and the public modules share
 * them without an import cycle. `Schema.TaggedError` classes named after
 * their tag (`tagNamed`), as every error of the package.
 *
 * @internal
 */
import * as Schema from "effect/Schema"
import { tagNamed } from "../../internal/errorName.js"

/**
 * The fake's connection failed instead of answering: a scripted reset or
 * refusal, or a request to an origin the fake does not serve. The
 * in-memory `HttpClient` turns it into a transport error
 * (`TransportError`, its cause carrying `ECONNRESET`/`ECONNREFUSED`); the
 * Node server destroys the socket.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionFailure
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<ConnectionFailure>("effect-plex-auth/testing/ConnectionFailure")(
      "ConnectionFailure",
      {
        reason: /*#__PURE__*/ Schema.Literals(["Reset", "Refused"]),
        origin: Schema.String
      }
    )
  )
{
  override get message(): string {
    return this.reason === "Reset"
      ? `the connection to ${this.origin} was reset`
      : `the connection to ${this.origin} was refused`
  }
}

/**
 * A control call named an account, server or PIN the fake does not have,
 * or a PIN that has expired; or it was given an argument of the wrong kind
 * (from untyped JavaScript: null options, a PIN that is neither an id nor
 * a code), named in the message. Misuse of a kit function whose type has
 * no error channel (`make`, `layer`, `fault`, `rotateJwtKey`, `FakePlexServer.make`:
 * options of the wrong kind, a refused fault or port) and a seed the fake refuses
 * (an unknown account, two accounts sharing a login, a negative duration,
 * ...) are defects instead: this error, with `Effect.die`.
 *
 * @since 0.1.0
 * @category errors
 */
export class FakePlexError
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<FakePlexError>("effect-plex-auth/testing/FakePlexError")(
      "FakePlexError",
      {
        message: Schema.String
      }
    )
  ) {}
