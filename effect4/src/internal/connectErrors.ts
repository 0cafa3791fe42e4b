/**
 * The errors of `Resources.connect` and `connectByName`, exported by
 * `PlexError` (and `Resources`). A module of their own, so that an operation
 * that never connects does not bundle them.
 *
 * @internal
 */
import * as Facts from "../../../src/core/resources.js"
import * as Schema from "effect/Schema"
import { tagNamed } from "./errorName.js"

/**
 * What became of one candidate URL while `Resources.connect` probed a
 * server: it answered as the right server (`Reachable`), failed (`Failed`,
 * with the error's tag as `reason`), answered as another server
 * (`WrongServer`), or was abandoned because a better choice was already
 * certain (`Cancelled`). `millis` is when that was known, counted from the
 * start of the probes.
 *
 */
export class ConnectionAttempt
  extends /*#__PURE__*/ Schema.Class<ConnectionAttempt>("effect-plex-auth/ConnectionAttempt")({
    /** The candidate base URL (never carries a token). */
    uri: Schema.String,
    /** Where the connection leads: the server's own network, the internet, or Plex's relay. */
    location: /*#__PURE__*/ Schema.Literals(["local", "remote", "relay"]),
    protocol: /*#__PURE__*/ Schema.Literals(["http", "https"]),
    outcome: /*#__PURE__*/ Schema.Literals(["Reachable", "Failed", "WrongServer", "Cancelled"]),
    millis: Schema.Number,
    /** Why it failed: the error's tag and reason, e.g. `NetworkError/Timeout`, `Unauthorized`. */
    reason: /*#__PURE__*/ Schema.optional(Schema.String),
    /** The error's message, with known secrets masked. */
    detail: /*#__PURE__*/ Schema.optional(Schema.String)
  }) {}

/**
 * No candidate URL of a server answered as that server: every one was
 * refused, timed out, failed or answered as another server. `attempts`
 * says what became of each (empty when the server offered no usable
 * connection).
 *
 */
export class NoReachableConnection
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<NoReachableConnection>("effect-plex-auth/NoReachableConnection")(
      "NoReachableConnection",
      {
        /** The operation that probed, e.g. `Resources.connect`. */
        operation: Schema.String,
        /** The server's name. */
        server: Schema.String,
        /** The server's `clientIdentifier` (its machine identifier). */
        clientIdentifier: Schema.String,
        /**
         * Whether the server says it requires secure connections (plex.tv's `httpsRequired`): its message then
         * suggests no plain HTTP. Absent when it does not.
         */
        httpsRequired: /*#__PURE__*/ Schema.optional(Schema.Boolean),
        attempts: /*#__PURE__*/ Schema.Array(ConnectionAttempt)
      }
    )
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Facts.noReachableConnectionMessage(this)
  }
}

/**
 * The account's resources list no server of that name or client identifier;
 * for `ServerAccess.makeOwnerChecker`, none of that client identifier that
 * the account owns (`available` then names the servers it owns).
 *
 */
export class ServerNotFound
  extends /*#__PURE__*/ tagNamed(
    /*#__PURE__*/ Schema.TaggedError<ServerNotFound>("effect-plex-auth/ServerNotFound")("ServerNotFound", {
      /** The operation that looked, e.g. `Resources.connectByName`. */
      operation: Schema.String,
      /** The name or client identifier asked for. */
      server: Schema.String,
      /** The names of the servers the account has (for `ServerAccess.makeOwnerChecker`, owns). */
      available: /*#__PURE__*/ Schema.Array(Schema.String)
    })
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Facts.serverNotFoundMessage(this)
  }
}
