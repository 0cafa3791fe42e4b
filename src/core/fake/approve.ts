/**
 * The fake's approval of a PIN, in one place for its three ways in: the
 * `approvePin` control call (and `autoApprovePins`), the `linkPin` route
 * (plex.tv/link) and the approval page (app.plex.tv). Each looks the PIN and
 * the account up and answers a refusal in its own words; what approving
 * does is decided here.
 *
 * @internal
 */
import * as Jwts from "./jwt.js"
import type { SeedAccount } from "./seed.js"
import type { PinEntry, Store } from "./store.js"

/** A fresh account token, 20 characters like Plex's. */
export const mintToken = (
  store: Store,
  accountId: number,
  now: number,
  via: "signIn" | "pin" | "control"
): string => {
  const minted = store.randomString(20)
  store.issue(minted, accountId, now, via)
  return minted
}

/** The PIN with this code (as plex.tv reads codes: case does not matter), if any. */
export const pinByCode = (store: Store, code: string): PinEntry | undefined => {
  const wanted = code.toLowerCase()
  return [...store.pins.values()].find((pin) => pin.code.toLowerCase() === wanted)
}

/** Why a PIN was not approved. */
export type Refusal = "Expired" | "AlreadyApproved" | "KeyOfAnotherAccount"

/**
 * Approves `pin` for `account` at `now`: an expired PIN is refused, an
 * approved one too unless `again` (the control call may approve a PIN once
 * more, which mints a new token). A plain PIN gets a fresh account token; a
 * JWT PIN's device key joins the account (refused when it already belongs to
 * another) and its token is a Plex JWT bound to that key (its `kid`, as the
 * client sent it). The PIN then carries the token and the account.
 */
export const approve = async (
  store: Store,
  pin: PinEntry,
  account: Pick<SeedAccount, "id">,
  now: number,
  options: { readonly again?: boolean | undefined } = {}
): Promise<{ readonly token: string } | { readonly refused: Refusal }> => {
  if (now >= pin.expiresAt) return { refused: "Expired" }
  if (pin.authToken !== undefined && options.again !== true) return { refused: "AlreadyApproved" }
  const bound = pin.jwk
  let token: string
  if (bound === undefined) {
    token = mintToken(store, account.id, now, "pin")
  } else {
    const owner = store.deviceKeys.get(bound.kid)
    if (owner !== undefined && owner.accountId !== account.id) return { refused: "KeyOfAnotherAccount" }
    const clients = new Set([...(owner?.clients ?? []), pin.clientIdentifier])
    store.deviceKeys.set(bound.kid, { ...bound, accountId: account.id, clients })
    token = await Jwts.mint(store, account.id, bound.kid, pin.clientIdentifier, now)
  }
  pin.authToken = token
  pin.accountId = account.id
  return { token }
}
