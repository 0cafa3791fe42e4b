/**
 * The decisions of the one sign-out of the stored layers (`Credentials.layerStored`, `Jwt.layerStored`), as plain
 * functions: which tokens a sign-out forgets, and what it removes from the store given what it read there. Each
 * edition's `internal/storedSignOut.ts` runs them over its `KeyValueStore`.
 *
 * What a sign-out guarantees, racing another process that shares the store (docs/tokens.md, "Signing out and other
 * processes"): once it returns, the store holds no token this layer knew of (the one signed out, the one a refresh
 * obtained that the sign-out dropped, and each it held: the one it started with, each it stored or took), and the
 * layer never stores one of those again; a token another process stored is left to that process, and this layer,
 * signed out, never takes it (signing in again is the caller's call). A `KeyValueStore` has no compare-and-swap: a
 * token another process stores between the sign-out's read of the entry and its removal is removed too.
 *
 * @internal
 */

/**
 * The Debug lines of the stored layers' best-effort writes (`Credentials.layerStored`, `Jwt.layerStored`), the same
 * in both editions, each with the store's failure (its `Cause`, a defect too): a store that cannot keep or forget an
 * entry fails neither the sign-in nor the sign-out (docs/tokens.md).
 */
export const storeFailed = {
  /** Writing a new token failed: the layer uses it, a later run cannot. */
  token: "the store could not keep the token: it is used, not stored",
  /** A sign-out's removal of the stored token (and key) failed: the sign-out at plex.tv stands. */
  forget: "the store could not forget the signed-out token (the sign-out stands)",
  /** Writing a new device key failed (`Jwt.layerStored`): a later run makes a new key. */
  key: "the store could not keep the device key: it is used, not stored"
} as const

/**
 * The tokens a sign-out of `signedOut` forgets besides those the layer held: it, and `before`, the token the
 * credentials held when the sign-out was told, when they hold another (`after`) once told: a refresh of the
 * signed-out token obtained it while the sign-out was on its way, and the sign-out dropped it (`refresh.ts`,
 * `signOutDrops`).
 */
export const forgottenTokens = (signedOut: string, before: string, after: string): ReadonlyArray<string> =>
  before === after || before === signedOut ? [signedOut] : [signedOut, before]

/**
 * Whether a sign-out of `signedOut` ends the layer's writes of a token: when the credentials hold the signed-out
 * token once told (`after`), which nothing replaces any more (`refresh.ts`: a signed-out token is never refreshed),
 * the layer stores no token after it. A write still to come is then of a token a refresh obtained before the
 * sign-out, which the sign-out dropped: perhaps one it never saw, the refresh having settled between its read of
 * the token before it was told (`before` of {@link forgottenTokens}) and the telling, its write coming later. When
 * the credentials hold another token (a sign-out of one they no longer hold), the layer goes on, and only the
 * tokens the sign-out forgot are never written again.
 */
export const endsWrites = (signedOut: string, after: string): boolean => signedOut === after

/**
 * How many of the tokens its sign-outs forgot a stored layer remembers ({@link forgottenNext}), never to write them
 * again. A forgotten token matters to a write already on its way when its sign-out was told (the refresh that
 * obtained it settled just before; its write follows at once, one at a time with the sign-out), not to anything
 * later: after a sign-out the layer stays signed out and obtains no token. Each sign-out forgets one or two, so the
 * last 32 cover the last 16 sign-outs at least (a layer is signed out once, unless a caller tells it again).
 * Unbounded, a process telling its layer of sign-outs over and over would keep every token it was ever told of.
 */
export const forgottenLimit = 32

/**
 * The tokens forgotten (oldest first) once a sign-out forgot `tokens` too: each once (a token forgotten again is
 * the newest), the last {@link forgottenLimit}. `text` reads a token (a `Redacted`'s value, in each edition).
 */
export const forgottenNext = <T>(
  forgotten: ReadonlyArray<T>,
  tokens: ReadonlyArray<T>,
  text: (token: T) => string
): ReadonlyArray<T> => {
  const again = tokens.map(text)
  return [...forgotten.filter((token) => !again.includes(text(token))), ...tokens].slice(-forgottenLimit)
}

/** What a sign-out removes from the store. */
export interface Removal {
  /** The token's entry. */
  readonly token: boolean
  /** The device key's entry (`Jwt.layerStored`). */
  readonly key: boolean
}

/**
 * What a sign-out removes, from what it read: the token entry when it holds a token the layer knew of (`known`);
 * the device key's entry (`Jwt.layerStored`: `keyIsThis`, the stored key is the layer's own) when the token entry
 * holds one the layer knew of or none: the key alone would be exchanged for a new token by the next run, signed in
 * again without the user. A token another process stored (one the layer never knew) is left, and with it the key:
 * that process's to use (its own key, or the one it shares with this layer).
 */
export const removal = (
  stored: { readonly token: string | undefined; readonly keyIsThis?: boolean | undefined },
  known: (token: string) => boolean
): Removal => {
  const token = stored.token !== undefined && known(stored.token)
  return { token, key: stored.keyIsThis === true && (token || stored.token === undefined) }
}

/**
 * The warning `PlexAuth.signOut`'s `revoke` logs (both editions' `internal/tellSignedOut.ts`) when it could not revoke
 * a token the sign-out revokes besides the one signed out: one a refresh obtained for it (`refresh.ts`: dropped,
 * never used nor stored), or another token of the same credentials (a Home switched layer's, `Home.ts`: the newest a
 * switch got, each build's), with what the revoke failed with said as a word (`core/refresh.ts` `errorWord`), never
 * its message nor the token. Not for plex.tv refusing the token: already invalid, nothing is logged. It does not say
 * "until it expires" of every token: a Plex JWT expires (`Jwt`), but a session token (a password sign-in's, a PIN
 * login's, a Home switch's) does not, and stays valid until it is revoked (docs/tokens.md, "Authorized devices").
 */
export const lateRevokeFailed = (error: string): string =>
  `a token the sign-out revokes besides the one signed out (a re-authentication's, or another of the same credentials) could not be revoked (${error}): plex.tv may still accept it, a Plex JWT until it expires, a session token (which does not expire) until it is revoked among the account's devices (Devices.revoke)`

/**
 * The longest `PlexAuth.signOut` waits for a re-authentication in flight (both editions' `internal/tellSignedOut.ts`
 * `held`), or the per-attempt timeout when that is shorter: long enough for a quick one (a password sign-in, a JWT
 * exchange) to give the token it revokes; short enough that a PIN login no one approves does not hold a user's "sign
 * out" for the per-attempt timeout (30 s). As long as a web sign-out waits for plex.tv (`WebSignIn`'s 5 s). After it, the token held is revoked and the re-authentication abandoned; a token it still gives
 * is revoked by the layer (`refresh.ts`).
 */
export const refreshWaitMillis = 5_000
