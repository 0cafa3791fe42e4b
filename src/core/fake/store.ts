/**
 * The fake's state. Every read and write runs between two awaits
 * (JavaScript runs it to completion), so each operation is atomic.
 *
 * @internal
 */
import type { Fault } from "./fault.js"
import type { FaultTarget, Outcome, PayloadOverride } from "./types.js"
import type { DeviceKeyEntry, PlexJwtEntry, SigningKey } from "./jwt.js"
import type { Seed, SeedAccount, SeedDevice, SeedHome, SeedServer } from "./seed.js"

/** What answers on an origin. */
export type Host =
  | { readonly kind: "plexTv" }
  | { readonly kind: "server"; readonly server: SeedServer }
  | { readonly kind: "elsewhere" }

/** A device key registered for an account, and the client identifiers that used it. */
export interface RegisteredKey extends DeviceKeyEntry {
  readonly accountId: number
  readonly clients: Set<string>
}

export interface TokenEntry {
  readonly accountId: number
  readonly issuedAt: number
  /**
   * `share`, `server`: a share's or a server's own token superseded or revoked (store shareToken, serverToken), kept
   * so that plex.tv answers it 422.
   */
  readonly via: "seed" | "signIn" | "pin" | "control" | "jwt" | "share" | "server"
  revoked: boolean
  /** The authorized device it was handed to (its `X-Plex-Client-Identifier`'s entry), if any. */
  deviceId?: number | undefined
  /** The account that switched to this token's account through their Home (a Home switch minted it), if any. */
  switchedBy?: number | undefined
}

/**
 * What a client says of itself in its `X-Plex-*` headers, as plex.tv keeps it on the device entry a
 * sign-in makes (python-plexapi `MyPlexDevice._loadData`, @ctrl/plex `MyPlexDevice`): `X-Plex-Product`
 * is `product`, `-Version` `productVersion`, `-Platform` `platform`, `-Platform-Version` `platformVersion`,
 * `-Device` `device`, `-Device-Name` `name`, `-Model` `model`, `-Device-Vendor` `vendor`, `-Provides`
 * `provides`; a header not sent is an empty string.
 */
export interface DeviceIdentity {
  readonly clientIdentifier: string
  readonly name: string
  readonly product: string
  readonly productVersion: string
  readonly platform: string
  readonly platformVersion: string
  readonly device: string
  readonly model: string
  readonly vendor: string
  readonly provides: string
}

/** An authorized device of an account (`GET /devices.xml`): seeded, or made by a client's sign-in. */
export interface DeviceEntry extends DeviceIdentity {
  readonly id: number
  readonly accountId: number
  /** The token last handed to it. */
  readonly token: string
  /** Seconds since the epoch. */
  readonly createdAt: number
  readonly lastSeenAt: number
  readonly screenResolution: string
}

export interface PinEntry {
  readonly id: number
  readonly code: string
  readonly strong: boolean
  readonly clientIdentifier: string
  readonly product: string
  readonly createdAt: number
  readonly expiresAt: number
  authToken: string | undefined
  accountId: number | undefined
  /** The device key a JWT PIN was created with: its token is a Plex JWT, handed out for a device JWT only. */
  readonly jwk?: DeviceKeyEntry | undefined
}

/**
 * A pending invite to share a server (`POST /api/servers/{id}/shared_servers`): the invitee has not accepted it yet
 * (`PUT /api/invites/requests/{id}`), nor the owner cancelled it (`DELETE /api/invites/requested/{id}`).
 */
export interface InviteEntry {
  readonly fromAccountId: number
  readonly toAccountId: number
  readonly serverId: string
  /** Seconds since the epoch. */
  readonly createdAt: number
}

/**
 * A share an invitee accepted while the fake ran: valid while the owner who invited owns the server. Its token is
 * the store's ({@link Store.shareToken}, by its `key`).
 */
export interface AddedShare {
  readonly serverId: string
  readonly ownerId: number
  readonly accountId: number
  readonly key: string
}

/**
 * A share of a server as {@link Store.sharesOf} lists it: the user, the token the server takes for it now, whether it
 * is through the owner's Home, and its `key`, which names the share whatever its token (a share ended stays ended
 * when its token changes).
 */
export interface Share {
  readonly accountId: number
  readonly accessToken: string
  readonly home?: boolean | undefined
  readonly key: string
}

export interface TransientEntry {
  readonly serverId: string
  readonly admin: boolean
  readonly accountId: number
  readonly issuedAt: number
  readonly expiresAt: number
}

export interface Target {
  readonly route?: string | undefined
  readonly path?: string | undefined
  readonly origin?: string | undefined
  readonly method?: string | undefined
}

export interface ScriptedFault {
  readonly target: Target
  readonly fault: Fault
  remaining: number
}

export interface RecordEntry {
  readonly sequence: number
  readonly receivedAt: number
  readonly origin: string
  readonly host: "plex.tv" | "server" | "elsewhere"
  readonly serverId: string | undefined
  readonly route: string | undefined
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, unknown>>
  readonly headers: Readonly<Record<string, unknown>>
  readonly form: Readonly<Record<string, unknown>> | undefined
  readonly json: unknown
  fault: Fault["_tag"] | undefined
  status: number | undefined
  outcome: Outcome
}

/** A seeded device as listed (the attributes it has had since devices were seeded). */
const seededDevice = (device: SeedDevice, accountId: number): DeviceEntry => ({
  id: device.id,
  accountId,
  name: device.name,
  product: device.product,
  productVersion: "1.0.0",
  platform: device.platform,
  platformVersion: "14",
  device: device.platform,
  model: "",
  vendor: "",
  provides: "client,player",
  clientIdentifier: device.clientIdentifier,
  token: device.token,
  createdAt: 1704067200,
  lastSeenAt: 1735689600,
  screenResolution: "1920x1080"
})

/** Normalises a fault target: a string starting with `/` is a path, any other a route name. */
export const target = (input: FaultTarget): Target => {
  if (typeof input === "string") return input.startsWith("/") ? { path: input } : { route: input }
  return {
    route: input.route,
    path: input.path,
    origin: input.origin === undefined ? undefined : new URL(input.origin).origin,
    method: input.method?.toUpperCase()
  }
}

const matches = (t: Target, r: { route: string | undefined; path: string; origin: string; method: string }) =>
  (t.route === undefined || t.route === r.route) &&
  (t.path === undefined || t.path === r.path) &&
  (t.origin === undefined || t.origin === r.origin) &&
  (t.method === undefined || t.method === r.method)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** A uniformly random integer in `[0, bound)` from Web Crypto. */
export const cryptoRandomInt = (bound: number): number => {
  // Rejection sampling: no modulo bias.
  const limit = Math.floor(0x1_0000_0000 / bound) * bound
  const buffer = new Uint32Array(1)
  for (;;) {
    globalThis.crypto.getRandomValues(buffer)
    const value = buffer[0] ?? 0
    if (value < limit) return value % bound
  }
}

export class Store {
  readonly hosts = new Map<string, Host>()
  readonly accounts = new Map<number, SeedAccount>()
  readonly tokens = new Map<string, TokenEntry>()
  readonly pins = new Map<number, PinEntry>()
  readonly transients = new Map<string, TransientEntry>()
  /**
   * JWT device authentication: registered device keys by `kid`, with their account and the clients (their
   * `X-Plex-Client-Identifier`) that registered the key or traded a device JWT signed with it.
   */
  readonly deviceKeys = new Map<string, RegisteredKey>()
  /** Issued nonces and when they expire; a nonce is deleted once used. */
  readonly nonces = new Map<string, number>()
  /** The Plex JWTs minted. */
  readonly plexJwts = new Map<string, PlexJwtEntry>()
  /** The keys Plex JWTs are signed with, oldest first; the last one signs. */
  signingKeys: Array<SigningKey> = []
  /** Claim tokens (`/api/claim/token.json`): the account each claims for, and when it expires. */
  readonly claimTokens = new Map<string, { readonly accountId: number; readonly expiresAt: number }>()
  /** The owner of each server claimed while the fake ran (an unclaimed server has none). */
  readonly claims = new Map<string, number>()
  /** The seeded-claimed servers removed from their account since (their device revoked); claimable again. */
  readonly released = new Set<string>()
  /**
   * The shares ended since (the user left the shared server: `DELETE /api/servers/{id}`; `removeFriend`), by their
   * `key` ({@link Share}).
   */
  readonly endedShares = new Set<string>()
  /** The accounts removed from their Plex Home since (`DELETE /api/home/users/{id}`): in no home from then on. */
  readonly leftHomes = new Set<number>()
  /** The accounts deleted since (a managed user removed from its Home: {@link deleteAccess}), by id. */
  readonly deleted = new Map<number, SeedAccount>()
  /** The invites to share a server sent and not yet accepted nor cancelled. */
  invites: Array<InviteEntry> = []
  /** The shares made by accepted invites. */
  readonly addedShares: Array<AddedShare> = []
  /**
   * The token each share has now, by its `key` ({@link Share}), with how many times its server had been released
   * when it was issued ({@link releases}): see {@link shareToken}. A seeded share not in it has its seeded token.
   */
  private readonly shareTokens = new Map<string, { readonly token: string; readonly releases: number }>()
  /**
   * The own token each server has now, by client identifier, with how many times it had been released when it was
   * issued: see {@link serverToken}. A server not in it has its seeded token.
   */
  private readonly serverTokens = new Map<string, { readonly token: string; readonly releases: number }>()
  /** How many times each server was released (unclaimed: {@link release}) since the fake began, by client identifier. */
  private readonly releases = new Map<string, number>()
  private nextAddedShare = 1
  /** Authorized devices by id, with their account. */
  readonly devices = new Map<number, DeviceEntry>()
  faults: Array<ScriptedFault> = []
  records: Array<RecordEntry> = []
  private nextPinId = 308667304
  /** The ids of devices made by sign-ins: past the seeded ones (700000 + up to 99999). */
  private nextDeviceId = 800001
  private nextSequence = 1

  constructor(
    readonly seed: Seed,
    private readonly randomInt: (bound: number) => number = cryptoRandomInt
  ) {
    this.hosts.set(seed.plexTvUrl, { kind: "plexTv" })
    // clients.plex.tv serves the same API family (and is where JWT device authentication lives).
    this.hosts.set(seed.clientsUrl, { kind: "plexTv" })
    for (const alias of seed.plexTvAliases) this.hosts.set(alias, { kind: "plexTv" })
    this.hosts.set(seed.elsewhereUrl, { kind: "elsewhere" })
    for (const server of seed.servers) {
      for (const c of server.connections) this.hosts.set(c.uri, { kind: "server", server })
    }
    for (const account of seed.accounts) {
      this.accounts.set(account.id, account)
      this.tokens.set(account.token, { accountId: account.id, issuedAt: 0, via: "seed", revoked: false })
      for (const device of account.devices) {
        this.devices.set(device.id, seededDevice(device, account.id))
        this.tokens.set(device.token, {
          accountId: account.id,
          issuedAt: 0,
          via: "seed",
          revoked: false,
          deviceId: device.id
        })
      }
    }
  }

  /** A random string over `chars`. */
  randomString(length: number, chars: string = alphabet): string {
    let out = ""
    for (let i = 0; i < length; i++) out += chars[this.randomInt(chars.length)] ?? ""
    return out
  }

  /** A random UUID (v4 layout). */
  randomUuid(): string {
    const hex = this.randomString(32, "0123456789abcdef")
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${"89ab"[parseInt(hex[16] ?? "0", 16) % 4]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  }

  accountByLogin(login: string): SeedAccount | undefined {
    const wanted = login.trim().toLowerCase()
    for (const account of this.accounts.values()) {
      if (account.username.toLowerCase() === wanted || account.email.toLowerCase() === wanted) return account
    }
    return undefined
  }

  /** The account a plex.tv token belongs to, when it is known and not revoked. */
  accountByToken(token: string | undefined): SeedAccount | undefined {
    if (token === undefined) return undefined
    const entry = this.tokens.get(token)
    return entry === undefined || entry.revoked ? undefined : this.accounts.get(entry.accountId)
  }

  issue(token: string, accountId: number, now: number, via: TokenEntry["via"]): void {
    this.tokens.set(token, { accountId, issuedAt: now, via, revoked: false })
  }

  /**
   * A client signed in (`POST /api/v2/users/signin`), checked an approved PIN, or traded a device JWT, and
   * was handed `token`: as plex.tv does, the account's device with its client identifier is added, or
   * updated (its identity as sent now, `lastSeenAt`, its token), and the token is tied to it, so that
   * revoking the device revokes it ({@link revokeDevice}).
   */
  signedIn(accountId: number, identity: DeviceIdentity, token: string, now: number): DeviceEntry | undefined {
    // A token revoked since (an approved PIN checked again after its device was revoked) signs no one in.
    const entry = this.tokens.get(token)
    if (entry === undefined || entry.revoked) return undefined
    const seconds = Math.floor(now / 1000)
    const existing = [...this.devices.values()].find(
      (d) => d.accountId === accountId && d.clientIdentifier === identity.clientIdentifier
    )
    const device: DeviceEntry = {
      ...(existing ?? { screenResolution: "" }),
      ...identity,
      id: existing?.id ?? this.nextDeviceId++,
      accountId,
      token,
      createdAt: existing?.createdAt ?? seconds,
      lastSeenAt: seconds
    }
    this.devices.set(device.id, device)
    entry.deviceId = device.id
    return device
  }

  /**
   * Removes an authorized device and revokes every token handed to it (its session is signed out), and
   * unregisters the account's device keys that device registered or traded a device JWT with: a device JWT
   * signed with one is refused from then on as one of a key never registered (422 "Signature verification
   * failed"), so that the device's key mints it no token again. No reference records what plex.tv does with a
   * removed device's key; the fake's choice is that removing a device ends its access, the key's included.
   */
  revokeDevice(id: number): void {
    const device = this.devices.get(id)
    if (device === undefined) return
    this.devices.delete(id)
    for (const [token, entry] of this.tokens) {
      if (entry.deviceId === id || token === device.token) entry.revoked = true
    }
    for (const [kid, key] of this.deviceKeys) {
      if (key.accountId === device.accountId && key.clients.has(device.clientIdentifier))
        this.deviceKeys.delete(kid)
    }
  }

  /**
   * An account leaves its Plex Home (`DELETE /api/home/users/{id}`): it is in no Home from then on (its Home shares
   * end: {@link sharesOf}), and the tokens a Home switch handed out between it and another user of the Home are
   * revoked (plex.tv's 422 "Invalid token"), both those of its account another user switched to and those of
   * another user it switched to: what the Home gave goes with the membership, the device entries those switches made
   * too (a device with no other token). A full account keeps its own tokens
   * (its sign-ins, PINs, device JWTs): it is an account of its own, out of the Home too. No reference records what
   * plex.tv does with a switched token once its user has left the Home; this is the fake's choice.
   */
  leaveHome(accountId: number): void {
    this.leftHomes.add(accountId)
    const switchedDevices = new Set<number>()
    for (const entry of this.tokens.values()) {
      const by = entry.switchedBy
      if (by !== undefined && by !== entry.accountId && (entry.accountId === accountId || by === accountId)) {
        entry.revoked = true
        if (entry.deviceId !== undefined) switchedDevices.add(entry.deviceId)
      }
    }
    // The device entries those switches made ({@link signedIn}: the client that switched became a device of the
    // account it switched to) go with their sessions, as a device removed does ({@link revokeDevice}), unless a token
    // of the client's own (a sign-in of that account on that client) still signs it in: then the entry stays, holding
    // that token (the last one handed to it), not the switch's revoked one.
    for (const id of switchedDevices) {
      const device = this.devices.get(id)
      if (device === undefined || this.tokens.get(device.token)?.revoked !== true) continue
      let live: string | undefined
      let issuedAt = Number.NEGATIVE_INFINITY
      for (const [token, entry] of this.tokens) {
        if (!entry.revoked && entry.deviceId === id && entry.issuedAt >= issuedAt) {
          live = token
          issuedAt = entry.issuedAt
        }
      }
      if (live === undefined) this.revokeDevice(id)
      else this.devices.set(id, { ...device, token: live })
    }
  }

  /**
   * Deletes an account's access, as plex.tv deleting a managed Home user removed from its Home does: its devices
   * go, every token it was handed is revoked (plex.tv's 422 "Invalid token"), its servers' tokens lapse, and the
   * device keys it registered go, so that no device JWT mints it a token again; the account itself goes
   * ({@link deleted}).
   */
  deleteAccess(accountId: number): void {
    // The account is gone (sign-in, the approval page, the fake's controls find it no more): kept aside by id, so
    // that a control naming it says it was deleted rather than that it never was.
    const account = this.accounts.get(accountId)
    if (account !== undefined) this.deleted.set(accountId, account)
    this.accounts.delete(accountId)
    for (const [kid, key] of this.deviceKeys) if (key.accountId === accountId) this.deviceKeys.delete(kid)
    for (const [id, device] of this.devices) if (device.accountId === accountId) this.revokeDevice(id)
    for (const entry of this.tokens.values()) if (entry.accountId === accountId) entry.revoked = true
    for (const [token, t] of this.transients) if (t.accountId === accountId) this.transients.delete(token)
  }

  patchAccount(id: number, override: PayloadOverride): void {
    const account = this.accounts.get(id)
    if (account !== undefined) this.accounts.set(id, { ...account, payload: [...account.payload, override] })
  }

  newPinId(): number {
    return this.nextPinId++
  }

  /** Whether a server is claimed (seeded so, or claimed since). */
  isClaimed(server: SeedServer): boolean {
    return this.ownerOf(server) !== undefined
  }

  /** The account owning a server; undefined while it is unclaimed. */
  ownerOf(server: SeedServer): number | undefined {
    const claimed = this.claims.get(server.clientIdentifier)
    if (claimed !== undefined) return claimed
    return server.claimed && !this.released.has(server.clientIdentifier) ? server.ownerId : undefined
  }

  /**
   * Removes a server from its account, as revoking its device does: unclaimed, it leaves the account's
   * resources (and its friends' and home's), and answers no token until it is claimed again.
   */
  release(server: SeedServer): void {
    this.claims.delete(server.clientIdentifier)
    this.released.add(server.clientIdentifier)
    // Its shares' tokens go with the claim: claimed again, it takes new ones only (shareToken).
    this.releases.set(server.clientIdentifier, (this.releases.get(server.clientIdentifier) ?? 0) + 1)
  }

  /**
   * A server's shares (its owner's Home's and its friends'): one with each user of the Home its owner is the admin
   * of, whoever that owner is and whenever it claimed the server (a Home member reaches the admin's servers through
   * the Home, those claimed since too); the seeded ones while the seeded owner owns it, and those invites made while
   * its owner owns it, but those a user left. Claimed by another account since, the shares the previous owner made
   * end. A user both in the Home and a friend has both, the friend's first (as listed before Home shares followed the
   * owner): ending one (`removeFriend`, `removeHomeUser`) leaves the other.
   */
  sharesOf(server: SeedServer): ReadonlyArray<Share> {
    const owner = this.ownerOf(server)
    if (owner === undefined) return []
    const home = this.seed.homes.find((h) => h.adminId === owner)
    const seeded = (owner === server.ownerId ? server.shares : []).map((share, i) => ({
      accountId: share.accountId,
      home: share.home,
      key: `seed ${server.clientIdentifier} ${i}`,
      seeded: share.accessToken
    }))
    const added = this.addedShares
      .filter((s) => s.serverId === server.clientIdentifier && s.ownerId === owner)
      .map((s) => ({ accountId: s.accountId, home: undefined, key: s.key, seeded: undefined }))
    const homeShares = (home?.memberIds ?? []).flatMap((accountId) =>
      accountId === owner || this.leftHomes.has(accountId)
        ? []
        : [
            {
              accountId,
              home: true,
              key: `home ${server.clientIdentifier} ${owner} ${accountId}`,
              seeded: undefined
            }
          ]
    )
    return [...seeded, ...added, ...homeShares]
      .filter((share) => !this.endedShares.has(share.key))
      .map(({ seeded, ...share }) => ({
        ...share,
        accessToken: this.shareToken(server, share.key, share.accountId, seeded)
      }))
  }

  /**
   * The token a share has now: the one it was issued (the seeded one; an accepted invite's, minted then; a Home
   * share's, minted the first time that share is listed or used, so that no two fakes, servers, owners or users share
   * one), until its server is released (unclaimed: removed from the account, its device revoked) or the token is
   * revoked (`revokeToken`). Then the share, when it is one again (its server claimed again by its owner), gets a new
   * one (`randomString`, as an accepted invite's): plex.tv hands out a new token with a new claim, and the old one is
   * refused from then on, by the server (401) and by plex.tv (422 "Invalid token", kept as a revoked token).
   */
  private shareToken(server: SeedServer, key: string, accountId: number, seeded: string | undefined): string {
    const releases = this.releases.get(server.clientIdentifier) ?? 0
    const known =
      this.shareTokens.get(key) ?? (seeded === undefined ? undefined : { token: seeded, releases: 0 })
    if (
      known !== undefined &&
      known.releases === releases &&
      this.tokens.get(known.token)?.revoked !== true
    ) {
      return known.token
    }
    if (known !== undefined) this.voidShareToken(known.token, accountId)
    const token = this.randomString(20)
    this.shareTokens.set(key, { token, releases })
    return token
  }

  /** A share's token refused from then on: by the servers (it is no share's) and by plex.tv (422 "Invalid token"). */
  private voidShareToken(token: string, accountId: number): void {
    const entry = this.tokens.get(token)
    if (entry !== undefined) entry.revoked = true
    else this.tokens.set(token, { accountId, issuedAt: 0, via: "share", revoked: true })
  }

  /**
   * A server's own token now (its admin token: its owner's resources and devices list it, the server takes it as its
   * owner's): the seeded one, until the server is released (unclaimed: removed from the account, its device revoked)
   * or the token is revoked (`revokeToken`). Then it gets a new one (`randomString`, as a share's): a server claimed
   * again signs in to plex.tv anew, with a new token, and the old one is refused from then on, by the server (401) and
   * by plex.tv (422 "Invalid token", kept as a revoked token), as a share's is ({@link shareToken}).
   */
  serverToken(server: SeedServer): string {
    const releases = this.releases.get(server.clientIdentifier) ?? 0
    const known = this.serverTokens.get(server.clientIdentifier) ?? { token: server.accessToken, releases: 0 }
    if (known.releases === releases && this.tokens.get(known.token)?.revoked !== true) return known.token
    const entry = this.tokens.get(known.token)
    if (entry !== undefined) entry.revoked = true
    else
      this.tokens.set(known.token, { accountId: server.ownerId, issuedAt: 0, via: "server", revoked: true })
    const token = this.randomString(20)
    this.serverTokens.set(server.clientIdentifier, { token, releases })
    return token
  }

  /** The claimed server whose own token is `token` now: undefined for any other token. */
  serverByToken(token: string): SeedServer | undefined {
    if (token === "") return undefined
    return this.seed.servers.find((server) => this.isClaimed(server) && this.serverToken(server) === token)
  }

  /**
   * Revokes a claimed server's own token (`revokeToken`): the server and plex.tv refuse it; the server stays its
   * owner's, with a new token its owner's resources list. False for a token that is no claimed server's now.
   */
  revokeServerToken(token: string): boolean {
    const server = this.serverByToken(token)
    if (server === undefined) return false
    this.tokens.set(token, {
      accountId: this.ownerOf(server) ?? server.ownerId,
      issuedAt: 0,
      via: "server",
      revoked: true
    })
    return true
  }

  /** An invite accepted: a share of the server with the invitee, with a token of its own, minted now. */
  addShare(server: SeedServer, ownerId: number, accountId: number): void {
    const key = `invite ${this.nextAddedShare++}`
    this.addedShares.push({ serverId: server.clientIdentifier, ownerId, accountId, key })
    this.shareTokens.set(key, {
      token: this.randomString(20),
      releases: this.releases.get(server.clientIdentifier) ?? 0
    })
  }

  /** The share (of a server, with an account) whose token is `token` now: undefined for any other token. */
  shareByToken(token: string): Share | undefined {
    if (token === "") return undefined
    for (const server of this.seed.servers) {
      const share = this.sharesOf(server).find((s) => s.accessToken === token)
      if (share !== undefined) return share
    }
    return undefined
  }

  /**
   * Revokes the token of a share (`revokeToken`): the server refuses it, plex.tv answers it 422 "Invalid token"; the
   * share goes on, with a new token its user's resources (and the owner's `shared_servers`) list. False for a token
   * that is no share's now.
   */
  revokeShareToken(token: string): boolean {
    const share = this.shareByToken(token)
    if (share === undefined) return false
    this.voidShareToken(token, share.accountId)
    return true
  }

  /**
   * The id of the share of `server` with an account (`getSharedServers`' `SharedServer id`, and the `<Server id>` of
   * `/api/users/`, which python-plexapi addresses FRIENDSERVERS `shared_servers/{serverId}` by): derived from the pair
   * (their places in the seed), not from a position in a list, so it stays the same while other shares end or begin,
   * a pending invite's is that of the share it becomes, and no two pairs share one.
   */
  shareId(server: SeedServer, accountId: number): number {
    const account = this.seed.accounts.findIndex((a) => a.id === accountId)
    return 6100000 + account * this.seed.servers.length + this.seed.servers.indexOf(server)
  }

  /**
   * The invites pending: those whose server its inviter still owns. An invite lapses, as a share ends
   * ({@link sharesOf}), when the server leaves the inviter (removed from the account, claimed by another).
   */
  pendingInvites(): ReadonlyArray<InviteEntry> {
    return this.invites.filter((invite) => {
      const server = this.server(invite.serverId)
      return server !== undefined && this.ownerOf(server) === invite.fromAccountId
    })
  }

  /** The Plex Home an account belongs to, without the users removed from it since. */
  homeOf(accountId: number): SeedHome | undefined {
    if (this.leftHomes.has(accountId)) return undefined
    const home = this.seed.homes.find((h) => h.memberIds.includes(accountId))
    return home === undefined
      ? undefined
      : { ...home, memberIds: home.memberIds.filter((id) => !this.leftHomes.has(id)) }
  }

  server(id: string): SeedServer | undefined {
    return this.seed.servers.find((s) => s.clientIdentifier === id)
  }

  /** Who a token is on a server: admin (the owner) or a user it is shared with. */
  pmsAccess(
    server: SeedServer,
    token: string | undefined,
    now: number
  ): { readonly admin: boolean; readonly accountId: number } | undefined {
    if (token === undefined || token === "") return undefined
    const owner = this.ownerOf(server)
    if (owner === undefined) return undefined
    if (token === this.serverToken(server)) return { admin: true, accountId: owner }
    const share = this.sharesOf(server).find((s) => s.accessToken === token)
    if (share !== undefined) return { admin: false, accountId: share.accountId }
    const transient = this.transients.get(token)
    if (
      transient !== undefined &&
      transient.serverId === server.clientIdentifier &&
      now < transient.expiresAt
    ) {
      return { admin: transient.admin, accountId: transient.accountId }
    }
    const account = this.accountByToken(token)
    if (account === undefined) return undefined
    if (account.id === owner) return { admin: true, accountId: account.id }
    return this.sharesOf(server).some((s) => s.accountId === account.id)
      ? { admin: false, accountId: account.id }
      : undefined
  }

  /**
   * Takes the first scripted fault matching a request, counting it down; none of `skip` (the faults whose
   * `respond` handed the request back to the fake).
   */
  takeFault(
    request: {
      route: string | undefined
      path: string
      origin: string
      method: string
    },
    skip?: ReadonlySet<Fault>
  ): Fault | undefined {
    const index = this.faults.findIndex(
      (f) => f.remaining > 0 && skip?.has(f.fault) !== true && matches(f.target, request)
    )
    const scripted = this.faults[index]
    if (scripted === undefined) return undefined
    scripted.remaining--
    if (scripted.remaining <= 0) this.faults.splice(index, 1)
    return scripted.fault
  }

  record(entry: Omit<RecordEntry, "sequence" | "fault" | "status" | "outcome">): RecordEntry {
    const full: RecordEntry = {
      ...entry,
      sequence: this.nextSequence++,
      fault: undefined,
      status: undefined,
      outcome: "Pending"
    }
    this.records.push(full)
    return full
  }
}
