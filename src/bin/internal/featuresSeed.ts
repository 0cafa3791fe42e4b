/**
 * What the embedded fake (`--fake`) holds besides the default account and
 * server, so the feature commands have something to show: a Plex Home with
 * a PIN-protected managed user and a member, two authorized devices, and an
 * unclaimed server.
 */
import * as FakePlex from "../../testing/FakePlex.js"

/** The Home PIN of the fake's managed user "Kids". */
export const fakeHomePin = "1234"

/** The client identifier of the fake's unclaimed server. */
export const fakeUnclaimedId = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"

/** The URL the fake's unclaimed server is seeded at; with `--fake`, `claim` maps it to its loopback URL. */
export const fakeUnclaimedUrl = "http://192.0.2.77:32400"

/** The devices of the fake's account. */
export const fakeDevices: ReadonlyArray<FakePlex.DeviceSeed> = [
  { name: "Living Room TV", product: "Plex for Android (TV)", platform: "Android" },
  { name: "Old Phone", product: "Plex for iOS", platform: "iOS" }
]

/** The other accounts of the fake: the home's users. */
export const fakeHomeAccounts: ReadonlyArray<FakePlex.AccountSeed> = [
  { username: "kids", title: "Kids", managed: true, homePin: fakeHomePin },
  { username: "bob", title: "Bob" }
]

/**
 * The store key naming the home user a `--fake` session switched to: the
 * fake starts afresh on every run, and the saved token must be seeded on
 * that user's account, not the admin's.
 */
export const fakeUserKey = "effect-plex-auth/fake/home-user"

/**
 * The fake's accounts: `admin` (the default account, as the session seeds
 * it) and the home's users, with the saved token moved to the home user
 * `savedUser` when a previous run switched to one.
 */
export const fakeAccounts = (
  admin: FakePlex.AccountSeed,
  savedUser: string | undefined
): ReadonlyArray<FakePlex.AccountSeed> => {
  const switched = fakeHomeAccounts.find((account) => account.username === savedUser)
  if (switched === undefined || admin.token === undefined) return [admin, ...fakeHomeAccounts]
  const { token, ...rest } = admin
  return [
    rest,
    ...fakeHomeAccounts.map((account) => (account === switched ? { ...account, token } : account))
  ]
}

/** The home (the first account is its admin). */
export const fakeHomes: ReadonlyArray<FakePlex.HomeSeed> = [{ members: ["kids", "bob"] }]

/** The servers besides the default one. */
export const fakeExtraServers: ReadonlyArray<FakePlex.ServerSeed> = [
  {
    clientIdentifier: fakeUnclaimedId,
    name: "New Server",
    claimed: false,
    connections: [{ uri: fakeUnclaimedUrl, local: true }]
  }
]

/**
 * The servers of the fake by the URL they are seeded at: with `--fake`, a
 * command given one of these URLs uses the server's loopback URL instead.
 */
export const fakeSeededUrls: ReadonlyArray<readonly [url: string, clientIdentifier: string]> = [
  [FakePlex.defaults.serverUrl, FakePlex.defaults.serverId],
  [fakeUnclaimedUrl, fakeUnclaimedId]
]
