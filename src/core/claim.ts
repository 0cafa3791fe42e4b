/**
 * Facts about claiming a Plex Media Server, as plain functions with no
 * Effect in them (both editions' `Claim` use them): the claim token's route,
 * the server's claim route and its query, which refusals reject the claim,
 * and the errors' messages.
 *
 * Routes: plex.tv `GET /api/claim/token.json` (python-plexapi
 * `MyPlexAccount.claimToken`, @ctrl/plex `MyPlexAccount.claimToken`) and the
 * server's `POST /myplex/claim?token=…` (python-plexapi `PlexServer.claim`,
 * @ctrl/plex `MyPlexAccount.claimServer`), between two reads of the server's
 * `/identity` (`resources.ts`'s `identityPath`).
 *
 * @internal
 */
import { describeCodes } from "./describeCodes.js"
import type { Endpoint } from "./endpoint.js"
import type * as D from "./decode.js"

/** A claim token for the signed-in account: `{ "token": "claim-…" }`. */
export const claimTokenPath = "/api/claim/token.json"

/** Claiming the server, on the server. */
export const claimPath = "/myplex/claim"

/** The query of {@link claimPath}: the claim token (a secret: masked in errors, never sent elsewhere). */
export const claimQuery = <S>(claimToken: S): ReadonlyArray<readonly [string, S]> => [["token", claimToken]]

/**
 * Whose a claimed server is, as plex.tv's list of the signed-in account's servers tells (the server's `/identity`
 * says only `claimed`, not by whom): `ThisAccount` when it is among them and `owned`; `AnotherAccount` when it is
 * among them but not `owned` (shared with this account); `Unknown` when the list could not be read (`servers`
 * undefined) or does not have it: not listed is no proof of another owner, as a server claimed moments ago may not
 * be listed yet (python-plexapi's `tools/plex-bootstraptest.py` waits for a claimed server to appear among the
 * account's devices). A list refused for the account's token (`Unauthorized`) is not read here: both editions'
 * `Claim` fail with it.
 */
export type ClaimedBy = "ThisAccount" | "AnotherAccount" | "Unknown"

export const claimedBy = (
  servers: ReadonlyArray<{ readonly clientIdentifier: string; readonly owned: boolean }> | undefined,
  machineIdentifier: string
): ClaimedBy => {
  const listed = (servers ?? []).filter((server) => server.clientIdentifier === machineIdentifier)
  return listed.some((server) => server.owned)
    ? "ThisAccount"
    : listed.length > 0
      ? "AnotherAccount"
      : "Unknown"
}

/**
 * The message of `ServerAlreadyClaimed`, ending with what to do, as docs/claim.md says, by {@link claimedBy}. This
 * account's: nothing to do. Another's: sign in as that account, or have its owner remove the server from their
 * account first (as plex.tv's authorized devices page, or `Devices.revoke` of the server's device, does), then claim
 * it. Unknown (the list could not be read, or does not have it yet): how to find out (`Resources.servers()` lists it,
 * owned, once it is this account's), then, if another's, the same.
 */
export const alreadyClaimedMessage = (
  operation: string,
  url: string,
  machineIdentifier: string,
  by: ClaimedBy
): string => {
  const server = `${operation}: the server ${machineIdentifier} at ${url} is already claimed`
  const other =
    "sign in as its owner, or have the owner remove it from their account (their authorized devices; Devices.revoke) and claim it again"
  return by === "ThisAccount"
    ? `${server} by this account: nothing to do`
    : by === "AnotherAccount"
      ? `${server} by another account (plex.tv lists it for this account, but not as its own): ${other}`
      : `${server}, by this account or another (plex.tv's list of this account's servers could not be read, or does not have it: a server claimed moments ago may not be listed yet; Resources.servers() lists it, owned, once it is this account's): if another's, ${other}`
}

/**
 * The message of `ClaimRejected` (never the claim token), ending with what to do, as docs/claim.md says (and as the
 * command line's says it): a claim token is single-use and lives minutes, and a server takes a claim only from its
 * own network; a 401 is also what a server claimed since its `/identity` was read answers.
 */
export const rejectedMessage = (
  operation: string,
  url: string,
  status: number,
  errors: ReadonlyArray<{ readonly code?: number | undefined; readonly message?: string | undefined }>
): string =>
  `${operation}: the server at ${url} refused the claim (HTTP ${status})${describeCodes(errors)}; claim it again with a fresh claim token, from the server's own network${
    status === 401 ? " (or it was claimed since: read its /identity)" : ""
  }`

/** The body of {@link claimTokenPath}: `{ "token": "claim-…" }`, the token a secret. */
export const claimTokenFields = <S>(secret: D.CodecLike<S>) => ({ token: secret })

/** plex.tv `GET /api/claim/token.json`: a claim token for the signed-in account. */
export const getClaimToken = {
  endpoint: "getClaimToken",
  method: "GET",
  path: claimTokenPath
} as const satisfies Endpoint

/**
 * PMS `POST /myplex/claim?token=...` ({@link claimQuery}): an empty answer.
 * The claim token is single-use: never sent twice when the server may have used it.
 */
export const claimServer = <S>(claimToken: S) =>
  ({
    endpoint: "claimServer",
    method: "POST",
    path: claimPath,
    urlParams: claimQuery(claimToken),
    noContent: true,
    idempotent: false
  }) as const satisfies Endpoint<S>
