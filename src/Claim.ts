/**
 * Claiming a Plex Media Server: a claim token from plex.tv (what Docker
 * users pass as `PLEX_CLAIM`, valid a few minutes) and claiming an
 * unclaimed server with it, which makes the signed-in account its owner
 * (a fresh install, or after a password reset left the server unclaimed).
 *
 * Routes: plex.tv `GET /api/claim/token.json` (python-plexapi
 * `MyPlexAccount.claimToken`, @ctrl/plex `MyPlexAccount.claimToken`) and the
 * server's `POST /myplex/claim?token=…` (python-plexapi `PlexServer.claim`,
 * @ctrl/plex `MyPlexAccount.claimServer`).
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { ClientIdentity } from "./ClientIdentity.js"
import * as Schema from "effect/Schema"
import { type InvalidInput, PlexErrorDetail, type ResponseError } from "./PlexError.js"
import * as Resources from "./Resources.js"
import * as L from "./internal/lenient.js"
import * as Request from "./internal/request.js"
import * as Settings from "./internal/settings.js"
import type { Credentials } from "./Credentials.js"
import * as V from "./internal/validate.js"
import * as Facts from "./core/claim.js"
import * as P from "./core/decodeSchemas.js"
import { withSchema } from "./core/endpoint.js"
import { getServerIdentity } from "./core/resources.js"

/**
 * The server asked to be claimed already belongs to an account (its
 * `/identity` says `claimed`, not whose). `claimedBy` says whose, as
 * plex.tv's list of the account's servers (`Resources.servers()`, read in one
 * attempt, whatever the retry policy, once
 * the server says `claimed`) tells: `ThisAccount` (among them, `owned`:
 * nothing to do), `AnotherAccount` (among them but not `owned`: shared
 * with this account; sign in as its owner, or have the owner remove it from
 * their account, their authorized devices or `Devices.revoke`, and claim it
 * again), or `Unknown` (the list could not be read, or does not have it: a
 * server claimed moments ago may not be listed yet, so not listed is no
 * proof of another owner; `Resources.servers()` lists it, `owned`, once it
 * is this account's). Its message says so. A list plex.tv refuses the
 * account's token for is no `Unknown`: the claim fails with that
 * `Unauthorized` (sign in again).
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerAlreadyClaimed
  extends /*#__PURE__*/ Schema.TaggedError<ServerAlreadyClaimed>("effect-plex-auth/ServerAlreadyClaimed")(
    "ServerAlreadyClaimed",
    {
      operation: Schema.String,
      /** The server's base URL (no token, no query). */
      url: Schema.String,
      /** The server's machine identifier. */
      machineIdentifier: Schema.String,
      /** Whose it is, as plex.tv's list of this account's servers tells (`Unknown`: not read, or not listed). */
      claimedBy: /*#__PURE__*/ Schema.Literal("ThisAccount", "AnotherAccount", "Unknown")
    }
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Facts.alreadyClaimedMessage(this.operation, this.url, this.machineIdentifier, this.claimedBy)
  }
}

/**
 * The server refused the claim: the claim token was unknown, expired or
 * already used (claim tokens live minutes), or the server would not be
 * claimed from here. Get a fresh claim token and try again.
 *
 * @since 0.1.0
 * @category errors
 */
export class ClaimRejected
  extends /*#__PURE__*/ Schema.TaggedError<ClaimRejected>("effect-plex-auth/ClaimRejected")("ClaimRejected", {
    operation: Schema.String,
    url: Schema.String,
    status: Schema.Number,
    errors: /*#__PURE__*/ Schema.Array(PlexErrorDetail)
  })
{
  /** @since 0.1.0 */
  override get message(): string {
    return Facts.rejectedMessage(this.operation, this.url, this.status, this.errors)
  }
}

/**
 * The body of `GET /api/claim/token.json`: `{ "token": "claim-…" }`, the
 * token `Redacted`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ClaimToken = /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.claimTokenFields(L.Secret))

/**
 * A claim token for the signed-in account: plex.tv
 * `GET /api/claim/token.json`. It is valid for a few minutes (plex.tv says
 * four) and claims one server, for this account. `Redacted`: it is as good
 * as the account for that purpose.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Claim } from "effect-plex-auth"
 *
 * // For `docker run -e PLEX_CLAIM=...`:
 * const forDocker = Claim.token().pipe(Effect.map(Redacted.value))
 * ```
 *
 * @since 0.1.0
 * @category claiming
 */
export const token = (): Effect.Effect<
  Redacted.Redacted<string>,
  ResponseError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.map(
    Request.plexTv("Claim.token", {
      ...Facts.getClaimToken,
      schema: ClaimToken
    }),
    (success) => success.value.token
  )

/**
 * Options of {@link claimServer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClaimOptions {
  /** A claim token to use; by default a fresh one is asked of plex.tv with the `Credentials` in context. */
  readonly claimToken?: string | Redacted.Redacted<string> | undefined
}

/**
 * The errors of {@link claimServer}.
 *
 * @since 0.1.0
 * @category models
 */
export type ClaimError = ServerAlreadyClaimed | ClaimRejected | InvalidInput | ResponseError

const identitySpec = /*#__PURE__*/ withSchema(
  getServerIdentity,
  /*#__PURE__*/ L.struct(/*#__PURE__*/ P.mediaContainerFields(Resources.ServerIdentity))
)

/**
 * Claims the unclaimed server at `serverUrl` for the signed-in account:
 * reads its `/identity` (an already claimed server fails with
 * `ServerAlreadyClaimed`, before any claim token is used, its `claimedBy`
 * read from plex.tv's list of the account's servers), gets a claim
 * token (unless one is given), and sends `POST /myplex/claim?token=…` to
 * the server, then reads `/identity` again. Succeeds with what the server
 * then says of itself: plex.tv's list of the account's servers
 * (`Resources.servers()`) may have it only a little later, and the claim
 * does not wait for it (docs/claim.md's setup tool looks for it again for a
 * while). The requests to the server carry no account token:
 * an unclaimed server is not yet known to be trusted, and the claim token,
 * `Redacted`, is all it needs.
 *
 * Fails with `ClaimRejected` when the server refused the claim token
 * (unknown, expired or used: get a fresh one), with `Unauthorized` when
 * plex.tv refused the account's token (for the claim token, or for the list
 * of a server claimed already: sign in again), and with `InvalidInput` for
 * a URL that is not http(s) or is Plex Web's address
 * (`http://host:32400/web/index.html`: give the server's, `http://host:32400`),
 * options that are not an object or a claim token that is not a string,
 * before any request. A server claims only from
 * its own network, as Plex requires.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Claim } from "effect-plex-auth"
 *
 * const claimed = Claim.claimServer("http://192.168.1.20:32400").pipe(
 *   Effect.map((identity) => identity.machineIdentifier)
 * )
 * ```
 *
 * @since 0.1.0
 * @category claiming
 */
export const claimServer = (
  serverUrl: string,
  options: ClaimOptions = {}
): Effect.Effect<
  Resources.ServerIdentity,
  ClaimError,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.gen(function* () {
    const operation = "Claim.claimServer"
    const url = yield* V.serverUrl(operation, "serverUrl", serverUrl)
    // Options that are not an object (untyped JavaScript: null, a string) are refused, never a TypeError.
    yield* V.object(operation, "options", options)
    const given =
      options.claimToken === undefined
        ? undefined
        : yield* V.token(operation, "claimToken", options.claimToken)
    // Its requests' client spans are named `Claim.claimServer` too, inside this one; `plex.operation` tells them apart.
    const identity = (yield* Request.execute(operation, identitySpec, url)).value.MediaContainer
    if (identity.claimed === true) {
      // Whose: plex.tv's list of this account's servers tells. Its failure leaves it Unknown, but for plex.tv refusing
      // the account's token (`Unauthorized`): that is the claim's error, as it is the claim token's request's for an
      // unclaimed server (sign in again), not a claim by who knows whom.
      // One attempt, whatever the caller's retry policy: the claim has failed already, and its error should not wait
      // out a backoff (up to RetryPolicy.backoff's maxElapsedTime) for what only words its message.
      const servers = yield* Effect.provideService(
        Resources.servers(),
        Settings.CurrentRetryPolicy,
        Settings.none
      ).pipe(
        Effect.map(Option.some),
        Effect.catchIf(
          (error) => error._tag !== "Unauthorized",
          () => Effect.succeed(Option.none())
        )
      )
      return yield* new ServerAlreadyClaimed({
        operation,
        url,
        machineIdentifier: identity.machineIdentifier,
        claimedBy: Facts.claimedBy(Option.getOrUndefined(servers), identity.machineIdentifier)
      })
    }
    const claim = given ?? (yield* token())
    yield* Request.execute(
      operation,
      {
        // The claim token is single-use: never sent twice when the server may have used it.
        ...Facts.claimServer(claim),
        schema: L.Unknown
      },
      url
    ).pipe(
      Effect.catchTags({
        BadRequest: (error) => Effect.fail(rejected(operation, url, error)),
        Unauthorized: (error) => Effect.fail(rejected(operation, url, error))
      })
    )
    return (yield* Request.execute(operation, identitySpec, url)).value.MediaContainer
  }).pipe(Effect.withSpan("Claim.claimServer", { kind: "internal", captureStackTrace: false }))

const rejected = (
  operation: string,
  url: string,
  error: { readonly status: number; readonly errors: ClaimRejected["errors"] }
) => new ClaimRejected({ operation, url, status: error.status, errors: error.errors })
