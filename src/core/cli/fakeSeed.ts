/**
 * What the CLI's embedded fake (`--fake`, `fake-server`) holds besides the
 * default account and server, so the feature commands have something to
 * show: a Plex Home with a PIN-protected managed user and a member, two
 * authorized devices, an unclaimed server, and for a web sign-in's outcomes
 * a user the server is shared with and a stranger to it. The same seed for both
 * editions' CLIs (their fakes take these plain seeds).
 *
 * @internal
 */
import { defaults } from "../fake/index.js"
import type { AccountSeed, DeviceSeed, HomeSeed, ServerSeed } from "../fake/types.js"
import { httpUrl } from "../validate.js"
import type { FakeScenario } from "./render.js"

/** The Home PIN of the fake's managed user "Kids". */
export const fakeHomePin = "1234"

/** The two-factor code the fake's account asks for under the `two-factor` scenario. */
export const fakeTwoFactorCode = "123456"

/**
 * With `--fake` the token is kept under its own key, so a fake session never
 * replaces (or is mistaken for) a real one kept in the same file.
 */
export const fakeTokenKey = "effect-plex-auth/fake/token"

/** The client identifier of the fake's unclaimed server. */
export const fakeUnclaimedId = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"

/** The URL the fake's unclaimed server is seeded at; with `--fake`, `claim` maps it to its loopback URL. */
export const fakeUnclaimedUrl = "http://192.0.2.77:32400"

/** The devices of the fake's account. */
export const fakeDevices: ReadonlyArray<DeviceSeed> = [
  { name: "Living Room TV", product: "Plex for Android (TV)", platform: "Android" },
  { name: "Old Phone", product: "Plex for iOS", platform: "iOS" }
]

/** A fake account besides the admin that `fake-server` lists, with what signs it in (the fake's, no secret). */
export interface FakeOtherAccount {
  readonly username: string
  readonly title: string
  /** Its email, what `--login` and a password sign-in take. */
  readonly login: string
  readonly password: string
}

/** The home's member (not managed, no Home PIN): a web sign-in as them is `HomeMember`. */
export const fakeHomeMember: FakeOtherAccount = {
  username: "bob",
  title: "Bob",
  login: "bob@example.com",
  password: "bob-secret-password"
}

/** The other accounts of the fake: the home's users. */
export const fakeHomeAccounts: ReadonlyArray<AccountSeed> = [
  { username: "kids", title: "Kids", managed: true, homePin: fakeHomePin },
  {
    username: fakeHomeMember.username,
    title: fakeHomeMember.title,
    email: fakeHomeMember.login,
    password: fakeHomeMember.password
  }
]

/** The user the fake's server is shared with (a friend): a web sign-in as them is `Shared`. */
export const fakeSharedUser: FakeOtherAccount = {
  username: "carol",
  title: "Carol Friend",
  login: "carol@example.com",
  password: "carol-secret-password"
}

/** A stranger to the fake's server (no access to it): a web sign-in as them is refused, `AccessDenied`. */
export const fakeStranger: FakeOtherAccount = {
  username: "dave",
  title: "Dave Stranger",
  login: "dave@example.com",
  password: "dave-secret-password"
}

const otherAccounts: ReadonlyArray<AccountSeed> = [fakeSharedUser, fakeStranger].map((account) => ({
  username: account.username,
  title: account.title,
  email: account.login,
  password: account.password
}))

/**
 * The store key naming the user a `--fake` session switched to (`home switch`)
 * or logged in as (other than the default account): the fake starts afresh on
 * every run, and the saved token must be seeded on that user's account, not
 * the admin's.
 */
export const fakeUserKey = "effect-plex-auth/fake/home-user"

/**
 * What to keep under {@link fakeUserKey} after a `--fake` login as `username`: the name of one of the fake's
 * other accounts (the home's, the shared user, the stranger), or `undefined` for the default account (the key is
 * then removed: the token is the admin's).
 */
export const fakeLoggedInUser = (username: string | undefined): string | undefined =>
  [...fakeHomeAccounts, fakeSharedUser, fakeStranger].some((account) => account.username === username)
    ? username
    : undefined

/**
 * The fake's accounts: the default account (seeded with the token a previous
 * `--fake` run saved, and under the `two-factor` scenario with a code) and
 * the home's users, then the shared user and the stranger; the saved token is
 * moved to the account `savedUser` when a previous run switched to one of them
 * (`home switch`) or logged in as one (`login --password --login carol@example.com`).
 */
export const fakeAccounts = (options: {
  readonly savedToken?: string | undefined
  readonly savedUser?: string | undefined
  readonly twoFactor: boolean
}): ReadonlyArray<AccountSeed> => {
  const token =
    options.savedToken !== undefined && options.savedToken.length > 0 ? options.savedToken : undefined
  const admin: AccountSeed = {
    ...(options.twoFactor ? { twoFactorCode: fakeTwoFactorCode } : {}),
    devices: fakeDevices
  }
  const others = [...fakeHomeAccounts, ...otherAccounts]
  const switched = others.find((account) => account.username === options.savedUser)
  if (token === undefined) return [admin, ...others]
  if (switched === undefined) return [{ ...admin, token }, ...others]
  return [admin, ...others.map((account) => (account === switched ? { ...account, token } : account))]
}

/** The home (the first account is its admin). */
export const fakeHomes: ReadonlyArray<HomeSeed> = [{ members: ["kids", fakeHomeMember.username] }]

/** The fake's servers: the default one (the account's, shared with {@link fakeSharedUser}), and an unclaimed one. */
export const fakeServers: ReadonlyArray<ServerSeed> = [
  { sharedWith: [fakeSharedUser.username] },
  {
    clientIdentifier: fakeUnclaimedId,
    name: "New Server",
    claimed: false,
    connections: [{ uri: fakeUnclaimedUrl, local: true }]
  }
]

/**
 * The options both editions' CLIs start their loopback fake with (`FakePlexServer.make`, for `--fake` and
 * `fake-server`), from the scenarios asked for: the accounts ({@link fakeAccounts}, with a two-factor code under
 * `two-factor`), the home and servers; under `expire-pin` PINs that live `pinLifetime` (both kinds) and are never
 * approved, else each PIN approved `approvePinsAfter` after it was created, as a user would in the browser. `D`: the
 * edition's duration. What the fake is told once started (`revoke-token`, `offline`) is the editions' own.
 */
export const fakeServerOptions = <D>(options: {
  readonly scenarios: ReadonlySet<FakeScenario>
  /** The token a previous `--fake` run saved: the fake's account is seeded with it. */
  readonly savedToken?: string | undefined
  /** The home user a previous `--fake` run switched to: the saved token is seeded on that user's account. */
  readonly savedUser?: string | undefined
  readonly approvePinsAfter: D
  readonly pinLifetime: D
  /** plex.tv's port on 127.0.0.1 (`fake-server --port`); 0 or absent: a free one. */
  readonly port?: number | undefined
  /** The origins of the browser pages the fake answers with CORS headers (`fake-server --allow-origin`). */
  readonly allowOrigins?: ReadonlyArray<string> | undefined
}) => {
  const { scenarios } = options
  return {
    accounts: fakeAccounts({
      savedToken: options.savedToken,
      savedUser: options.savedUser,
      twoFactor: scenarios.has("two-factor")
    }),
    homes: fakeHomes,
    servers: fakeServers,
    port: options.port,
    allowOrigins: options.allowOrigins,
    ...(scenarios.has("expire-pin")
      ? { pinLifetime: { strong: options.pinLifetime, short: options.pinLifetime } }
      : { autoApprovePins: { after: options.approvePinsAfter } })
  }
}

/**
 * The client identifier of the fake's server seeded at `url`: with `--fake`,
 * a command given one of these URLs uses the server's loopback URL instead.
 * The URL is read as the library reads it (validate.ts httpUrl: spaces around it, the scheme and host in any case,
 * a trailing slash), so that no spelling of it the command takes goes off the machine.
 */
export const fakeSeededServer = (url: string): string | undefined => {
  const checked = httpUrl(url)
  const at = "url" in checked ? checked.url : undefined
  return at === defaults.serverUrl ? defaults.serverId : at === fakeUnclaimedUrl ? fakeUnclaimedId : undefined
}

/**
 * What to keep under {@link fakeUserKey} after `home switch` under `--fake`:
 * the switched-to account's username, or a managed user's title (it has no
 * username), lower-cased as the fake's seed names it.
 */
export const fakeSwitchedUser = (
  username: string | undefined,
  user: { readonly title: string; readonly restricted: boolean }
): string => ((username ?? "") === "" && user.restricted ? user.title.toLowerCase() : (username ?? ""))
