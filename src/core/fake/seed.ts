/**
 * The fake's seed: the options of `makeFakePlex` resolved into plain data
 * with every default filled in, every reference checked, and every origin
 * the fake answers on listed (so that the Node server can give each one a
 * loopback port and rebase the seed onto them before the fake starts).
 *
 * @internal
 */
import { maxBodyBytesProblem, objectProblem } from "../validate.js"
import { FakePlexError } from "./errors.js"
import type {
  AccountSeed,
  ConnectionSeed,
  Options,
  PayloadOverride,
  PayloadShape,
  ServerSeed
} from "./types.js"

export interface SeedAccount {
  readonly id: number
  readonly uuid: string
  readonly username: string
  readonly email: string
  readonly title: string
  readonly friendlyName: string
  readonly password: string
  readonly twoFactorCode: string | undefined
  readonly token: string
  readonly plexPass: boolean
  readonly shape: PayloadShape
  readonly payload: ReadonlyArray<PayloadOverride>
  readonly homePin: string | undefined
  /** Whether the home user listings mark the user `protected` (see `AccountSeed.homePinListed`). */
  readonly homePinListed: boolean
  readonly managed: boolean
  readonly devices: ReadonlyArray<SeedDevice>
}

export interface SeedDevice {
  readonly id: number
  readonly name: string
  readonly product: string
  readonly platform: string
  readonly clientIdentifier: string
  readonly token: string
}

export interface SeedHome {
  readonly id: number
  readonly name: string
  readonly adminId: number
  /** Every user of the home, the admin first. */
  readonly memberIds: ReadonlyArray<number>
}

export interface SeedConnection {
  readonly uri: string
  readonly protocol: string
  readonly address: string
  readonly port: number
  readonly local: boolean
  readonly relay: boolean
  readonly IPv6: boolean
}

export interface SeedSource {
  readonly source: string
  readonly clientIdentifier: string
  readonly name: string
  readonly accessToken: string
  readonly connections: ReadonlyArray<SeedConnection>
}

export interface SeedServer {
  readonly clientIdentifier: string
  /** Its id among its owner's authorized devices (`GET /devices.xml`, what `DELETE /devices/{id}.xml` takes). */
  readonly deviceId: number
  readonly name: string
  readonly ownerId: number
  readonly shares: ReadonlyArray<{
    readonly accountId: number
    readonly accessToken: string
    /** A share through the owner's Plex Home (resources say `home: true`). */
    readonly home?: boolean | undefined
  }>
  /** False for a server not claimed yet (see `ServerSeed.claimed`). */
  readonly claimed: boolean
  readonly accessToken: string
  readonly version: string
  readonly connections: ReadonlyArray<SeedConnection>
  readonly sources: ReadonlyArray<SeedSource>
}

export interface Seed {
  readonly plexTvUrl: string
  readonly clientsUrl: string
  readonly plexTvAliases: ReadonlyArray<string>
  readonly elsewhereUrl: string
  readonly accounts: ReadonlyArray<SeedAccount>
  readonly servers: ReadonlyArray<SeedServer>
  readonly strongPinLifetimeMillis: number
  readonly shortPinLifetimeMillis: number
  readonly transientTokenLifetimeMillis: number
  /** Approve each PIN once it is this old, for `account` (default: the first account); off when undefined. */
  readonly autoApprovePins: { readonly afterMillis: number; readonly account: string | undefined } | undefined
  readonly homes: ReadonlyArray<SeedHome>
  readonly claimTokenLifetimeMillis: number
}

/** A deterministic hex string derived from `text` (FNV-1a, repeated). */
export const pseudoHex = (text: string, length: number): string => {
  let out = ""
  let round = 0
  while (out.length < length) {
    let hash = 0x811c9dc5
    for (const char of `${round}:${text}`) {
      hash ^= char.charCodeAt(0)
      hash = Math.imul(hash, 0x01000193) >>> 0
    }
    out += hash.toString(16).padStart(8, "0")
    round++
  }
  return out.slice(0, length)
}

const pad = (n: number, width: number) => String(n).padStart(width, "0")

const defaultServerId = "5d7e1c0f9b2a4c8e9f3a6b1d2c4e8f0a7b9c1d3e"

const serverIdAt = (index: number) => (index === 0 ? defaultServerId : pseudoHex(`server-${index}`, 40))

const defaultConnections = (index: number, id: string): ReadonlyArray<ConnectionSeed> => [
  { uri: `http://192.0.2.${10 + index}:32400`, local: true },
  { uri: `https://198-51-100-${10 + index}.${id}.plex.direct:32400`, local: false }
]

export const DEFAULTS = {
  plexTvUrl: "https://plex.tv",
  clientsUrl: "https://clients.plex.tv",
  plexTvAliases: [] as ReadonlyArray<string>,
  elsewhereUrl: "https://elsewhere.example",
  username: "alice",
  login: "alice@example.com",
  password: "alice-secret-password",
  token: "fakeAccountToken0001",
  serverId: defaultServerId,
  serverName: "Fake Media Server",
  serverUrl: "http://192.0.2.10:32400",
  serverToken: "fakeServerToken00001",
  serverVersion: "1.41.3.9314-a0bfb8370"
} as const

export const origin = (what: string, url: string): string => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new FakePlexError(`FakePlex: ${what} is not an absolute URL: ${url}`)
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new FakePlexError(`FakePlex: ${what} must be http or https: ${url}`)
  }
  return parsed.origin
}

/** The address a connection URI names: the IP of a plex.direct name, else its host. */
const addressOf = (url: URL): string => {
  const plexDirect = /^([0-9a-f-]+)\.[0-9a-z]+\.plex\.direct$/i.exec(url.hostname)
  if (plexDirect !== null) {
    const label = plexDirect[1] ?? ""
    return label.split("-").length === 4 ? label.replace(/-/g, ".") : label.replace(/-/g, ":")
  }
  return url.hostname.replace(/^\[|\]$/g, "")
}

export const connection = (seed: ConnectionSeed): SeedConnection => {
  const uri = origin("a connection uri", seed.uri)
  const url = new URL(uri)
  const address = addressOf(url)
  return {
    uri,
    protocol: url.protocol.slice(0, -1),
    address,
    port: url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port),
    local: seed.local ?? false,
    relay: seed.relay ?? false,
    IPv6: seed.IPv6 ?? address.includes(":")
  }
}

/** How many devices an account may seed: each account's device ids are a block of this many, by its place. */
const devicesPerAccount = 100

const account = (seed: AccountSeed, index: number, shape: PayloadShape): SeedAccount => {
  const first = index === 0
  // The seeded devices' ids, 700000 + 100 × the account's place + the device's: one block per account, below the
  // ids sign-ins make (800001 and up). From the account's id they were not apart (ids 1001 and 2001 shared a block).
  const devices = seed.devices ?? []
  if (devices.length > devicesPerAccount || (devices.length > 0 && index >= 1000)) {
    throw new FakePlexError(
      `FakePlex: accounts[${index}].devices: an account seeds at most ${devicesPerAccount} devices, and only the first 1000 accounts any`
    )
  }
  const username = seed.username ?? (first ? DEFAULTS.username : `user${index + 1}`)
  const email =
    seed.email ?? (first && seed.username === undefined ? DEFAULTS.login : `${username}@example.com`)
  return {
    id: seed.id ?? 24318101 + index,
    uuid: seed.uuid ?? pseudoHex(`account-${username}`, 16),
    username,
    email,
    title: seed.title ?? username,
    friendlyName: seed.friendlyName ?? username,
    password:
      seed.password !== undefined ? seed.password : first ? DEFAULTS.password : `${username}-secret-password`,
    twoFactorCode: seed.twoFactorCode === undefined ? undefined : seed.twoFactorCode,
    token: seed.token !== undefined ? seed.token : `fakeAccountToken${pad(index + 1, 4)}`,
    plexPass: seed.plexPass ?? true,
    shape: seed.shape ?? shape,
    payload: seed.payload === undefined ? [] : [seed.payload],
    homePin: seed.homePin === undefined ? undefined : seed.homePin,
    homePinListed: seed.homePin !== undefined && seed.homePinListed !== false,
    managed: seed.managed ?? false,
    devices: devices.map((device, i) => ({
      id: 700000 + index * devicesPerAccount + i,
      name: device.name ?? `Device ${i + 1}`,
      product: device.product ?? "Plex for Android (TV)",
      platform: device.platform ?? "Android",
      clientIdentifier: device.clientIdentifier ?? pseudoHex(`device-${username}-${i}`, 16),
      token: device.token !== undefined ? device.token : `fakeDeviceToken${pad(index + 1, 2)}${pad(i + 1, 3)}`
    }))
  }
}

const findAccount = (accounts: ReadonlyArray<SeedAccount>, login: string, what: string): SeedAccount => {
  const wanted = login.toLowerCase()
  const found = accounts.find((a) => a.username.toLowerCase() === wanted || a.email.toLowerCase() === wanted)
  if (found === undefined) {
    // A managed Home user has no plex.tv login, so a seed names it by its title ("Kids") more often than by the
    // username the fake gives it: say which name to use.
    const titled = accounts.find((a) => a.title.toLowerCase() === wanted)
    const hint =
      titled === undefined
        ? ""
        : ` (accounts are named by username or email: the one titled "${titled.title}" is "${titled.username}")`
    throw new FakePlexError(`FakePlex: ${what} names an unknown account: ${login}${hint}`)
  }
  return found
}

const server = (seed: ServerSeed, index: number, accounts: ReadonlyArray<SeedAccount>): SeedServer => {
  const clientIdentifier = seed.clientIdentifier ?? serverIdAt(index)
  const owner =
    seed.owner === undefined
      ? accounts[0]
      : findAccount(accounts, seed.owner, `server ${clientIdentifier} owner`)
  if (owner === undefined)
    throw new FakePlexError("FakePlex: a server needs an owner, but there are no accounts")
  const connections = (seed.connections ?? defaultConnections(index, clientIdentifier)).map(connection)
  if (connections.length === 0)
    throw new FakePlexError(`FakePlex: server ${clientIdentifier} has no connections`)
  return {
    clientIdentifier,
    // Apart from the accounts' client devices (700000 and up).
    deviceId: 600000 + index,
    name: seed.name ?? (index === 0 ? DEFAULTS.serverName : `${DEFAULTS.serverName} ${index + 1}`),
    ownerId: owner.id,
    shares: (seed.sharedWith ?? []).map((login, i) => ({
      accountId: findAccount(accounts, login, `server ${clientIdentifier} sharedWith`).id,
      accessToken: `fakeShareToken${pad(index + 1, 2)}${pad(i + 1, 4)}`
    })),
    accessToken: seed.accessToken !== undefined ? seed.accessToken : `fakeServerToken${pad(index + 1, 5)}`,
    version: seed.version ?? DEFAULTS.serverVersion,
    claimed: seed.claimed ?? true,
    connections,
    sources: (seed.sources ?? []).map((source, i) => {
      if (!/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(source.source)) {
        throw new FakePlexError(`FakePlex: a source must look like scheme://id: ${source.source}`)
      }
      return {
        source: source.source,
        clientIdentifier: source.clientIdentifier ?? source.source.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ""),
        name: source.name ?? source.source,
        accessToken:
          source.accessToken !== undefined
            ? source.accessToken
            : `fakeSourceToken${pad(index + 1, 2)}${pad(i + 1, 3)}`,
        connections: (source.connections ?? []).map(connection)
      }
    })
  }
}

/**
 * Auto-approval as seeded. A negative `afterMillis` or an `account` that is not seeded is refused: the
 * latter would make every approval fail quietly, so that no PIN is ever approved.
 */
const autoApprove = (
  input: Options["autoApprovePins"],
  accounts: ReadonlyArray<SeedAccount>
): Seed["autoApprovePins"] => {
  if (input === undefined || input === false) return undefined
  const options = input === true ? {} : input
  if (options.account !== undefined) findAccount(accounts, options.account, "autoApprovePins.account")
  return {
    afterMillis: millis("autoApprovePins.afterMillis", options.afterMillis, 0),
    account: options.account
  }
}

const minute = 60 * 1000

/**
 * A test kit's seeded duration, in milliseconds once converted: a negative or NaN one is refused by the kit's own
 * option name (`pinLifetime.short`, not this core's `pinLifetimeMillis.short`) and as the caller wrote it.
 */
export const kitMillis = (what: string, value: number | undefined, given: unknown): number | undefined => {
  if (value !== undefined && !(value >= 0)) {
    const shown = typeof given === "string" ? JSON.stringify(given) : String(given)
    throw new FakePlexError(`FakePlex: ${what} must be a duration that is not negative, got ${shown}`)
  }
  return value
}

const millis = (what: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (typeof value !== "number") {
    throw new FakePlexError(`FakePlex: ${what} must be a duration in milliseconds, not ${kindOf(value)}`)
  }
  if (!(value >= 0))
    throw new FakePlexError(`FakePlex: ${what} must be a duration in milliseconds, got ${value}`)
  return value
}

/** What a value of the wrong kind is, for a refusal's message. */
const kindOf = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "an array"
      : typeof value === "object"
        ? "an object"
        : typeof value

/** Refuses `value` at `path` unless it is an object (or, when `optional`, undefined). */
const mustBeObject = (
  path: string,
  value: unknown,
  optional: boolean
): Record<string, unknown> | undefined => {
  if (value === undefined && optional) return undefined
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FakePlexError(`FakePlex: ${path} must be an object, not ${kindOf(value)}`)
  }
  return value as Record<string, unknown>
}

/** Refuses `value` at `path` unless it is an array (or, when `optional`, undefined); its entries, or none. */
const mustBeArray = (path: string, value: unknown, optional: boolean): ReadonlyArray<unknown> => {
  if (value === undefined && optional) return []
  if (!Array.isArray(value))
    throw new FakePlexError(`FakePlex: ${path} must be an array, not ${kindOf(value)}`)
  return value
}

/** Refuses `value` at `path` unless it is a string (or undefined). */
const mustBeString = (path: string, value: unknown): void => {
  if (value !== undefined && typeof value !== "string") {
    throw new FakePlexError(`FakePlex: ${path} must be a string, not ${kindOf(value)}`)
  }
}

/** Each entry of the optional array `options[key]`, refused unless an object, with its path (`servers[1]`). */
const objectsAt = (path: string, value: unknown): ReadonlyArray<readonly [string, Record<string, unknown>]> =>
  mustBeArray(path, value, true).map((entry, i) => [
    `${path}[${i}]`,
    mustBeObject(`${path}[${i}]`, entry, false)!
  ])

/** Each entry of the optional (or required) array at `path`, refused unless a string. */
const stringsAt = (path: string, value: unknown, optional = true): void =>
  mustBeArray(path, value, optional).forEach((entry, i) => {
    if (typeof entry !== "string") {
      throw new FakePlexError(`FakePlex: ${path}[${i}] must be a string, not ${kindOf(entry)}`)
    }
  })

/** Refuses `value` at `path` unless it is a boolean (or undefined). */
const mustBeBoolean = (path: string, value: unknown): void => {
  if (value !== undefined && typeof value !== "boolean") {
    throw new FakePlexError(`FakePlex: ${path} must be a boolean, not ${kindOf(value)}`)
  }
}

/** Refuses `value` at `path` unless it is a positive whole number (or undefined): an id. */
const mustBeId = (path: string, value: unknown): void => {
  if (value === undefined) return
  if (typeof value !== "number") {
    throw new FakePlexError(`FakePlex: ${path} must be a positive whole number, not ${kindOf(value)}`)
  }
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new FakePlexError(`FakePlex: ${path} must be a positive whole number, got ${value}`)
  }
}

const shapes: ReadonlyArray<PayloadShape> = ["2025-08", "2026-02"]

/** Refuses `value` at `path` unless it is a payload era the fake knows (or undefined). */
const mustBeShape = (path: string, value: unknown): void => {
  if (value === undefined || (typeof value === "string" && (shapes as ReadonlyArray<string>).includes(value)))
    return
  const shown = typeof value === "string" ? JSON.stringify(value) : kindOf(value)
  throw new FakePlexError(
    `FakePlex: ${path} must be ${shapes.map((x) => `"${x}"`).join(" or ")}, not ${shown}`
  )
}

/**
 * How a seed's secrets (passwords, codes, tokens, home PINs) may be given: the core takes strings; a test kit
 * takes its `Redacted` too, and names it in a refusal (`a string or a Redacted`).
 */
export interface SecretKind {
  readonly is: (value: unknown) => boolean
  readonly expected: string
}

/**
 * Refuses a seed whose lists, entries or fields are of the wrong kind (from untyped JavaScript: `accounts: [null]`,
 * `homes: [{}]`, `servers: {}`, a login that is not a string, `id: "x"`, a token that is a number, `local: "yes"`)
 * with a `FakePlexError` naming the field (`FakePlex: accounts[0] must be an object, not null`,
 * `FakePlex: accounts[0].id must be a positive whole number, not string`), before anything reads it: a
 * `TypeError` or a fake that answers nonsense otherwise. An optional field may be absent (`undefined`); present,
 * it must be of its kind (`null` is refused). The fields it checks have the same names in the test kits' options,
 * so each binding calls it on its own options before converting them (with its `Redacted` as a `secret`), and
 * {@link resolve} on the core's.
 */
export const checkSeedShape = (options: object, secret?: SecretKind): void => {
  const o = options as Record<string, unknown>
  const mustBeSecret = (path: string, value: unknown): void => {
    if (value === undefined || typeof value === "string" || (secret !== undefined && secret.is(value))) return
    throw new FakePlexError(
      `FakePlex: ${path} must be ${secret?.expected ?? "a string"}, not ${kindOf(value)}`
    )
  }
  const strings = (path: string, entry: Record<string, unknown>, keys: ReadonlyArray<string>): void => {
    for (const key of keys) mustBeString(`${path}.${key}`, entry[key])
  }
  const booleans = (path: string, entry: Record<string, unknown>, keys: ReadonlyArray<string>): void => {
    for (const key of keys) mustBeBoolean(`${path}.${key}`, entry[key])
  }
  const secrets = (path: string, entry: Record<string, unknown>, keys: ReadonlyArray<string>): void => {
    for (const key of keys) mustBeSecret(`${path}.${key}`, entry[key])
  }
  const connections = (path: string, value: unknown): void => {
    for (const [connectionPath, connection] of objectsAt(path, value)) {
      if (typeof connection["uri"] !== "string") {
        throw new FakePlexError(
          `FakePlex: ${connectionPath}.uri must be a string, not ${kindOf(connection["uri"])}`
        )
      }
      booleans(connectionPath, connection, ["local", "relay", "IPv6"])
    }
  }
  for (const key of ["plexTvUrl", "clientsUrl", "elsewhereUrl"]) mustBeString(key, o[key])
  stringsAt("plexTvAliases", o["plexTvAliases"])
  stringsAt("allowOrigins", o["allowOrigins"])
  mustBeShape("shape", o["shape"])
  mustBeObject("pinLifetimeMillis", o["pinLifetimeMillis"], true)
  const auto = o["autoApprovePins"]
  if (auto !== undefined && typeof auto !== "boolean") {
    if (typeof auto !== "object" || auto === null || Array.isArray(auto)) {
      throw new FakePlexError(`FakePlex: autoApprovePins must be a boolean or an object, not ${kindOf(auto)}`)
    }
    mustBeString("autoApprovePins.account", (auto as Record<string, unknown>)["account"])
  }
  for (const [path, account] of objectsAt("accounts", o["accounts"])) {
    strings(path, account, ["username", "email", "uuid", "title", "friendlyName"])
    secrets(path, account, ["password", "twoFactorCode", "token", "homePin"])
    mustBeId(`${path}.id`, account["id"])
    booleans(path, account, ["plexPass", "homePinListed", "managed"])
    mustBeShape(`${path}.shape`, account["shape"])
    const payload = account["payload"]
    if (
      payload !== undefined &&
      typeof payload !== "function" &&
      (typeof payload !== "object" || payload === null || Array.isArray(payload))
    ) {
      throw new FakePlexError(
        `FakePlex: ${path}.payload must be an object or a function, not ${kindOf(payload)}`
      )
    }
    for (const [devicePath, device] of objectsAt(`${path}.devices`, account["devices"])) {
      strings(devicePath, device, ["name", "product", "platform", "clientIdentifier"])
      secrets(devicePath, device, ["token"])
    }
  }
  for (const [path, server] of objectsAt("servers", o["servers"])) {
    strings(path, server, ["clientIdentifier", "name", "owner", "version"])
    secrets(path, server, ["accessToken"])
    booleans(path, server, ["claimed"])
    stringsAt(`${path}.sharedWith`, server["sharedWith"])
    connections(`${path}.connections`, server["connections"])
    for (const [sourcePath, source] of objectsAt(`${path}.sources`, server["sources"])) {
      if (typeof source["source"] !== "string") {
        throw new FakePlexError(
          `FakePlex: ${sourcePath}.source must be a string, not ${kindOf(source["source"])}`
        )
      }
      strings(sourcePath, source, ["name", "clientIdentifier"])
      secrets(sourcePath, source, ["accessToken"])
      connections(`${sourcePath}.connections`, source["connections"])
    }
  }
  for (const [path, home] of objectsAt("homes", o["homes"])) {
    strings(path, home, ["admin", "name"])
    stringsAt(`${path}.members`, home["members"], false)
  }
}

/**
 * Throws a `FakePlexError` when two of `entries` (each where it is seeded and its value) have one value: one
 * account, server or session that the fake would take for the other (the last seeded winning its token, say).
 */
const unique = <V>(
  entries: ReadonlyArray<readonly [string, V]>,
  problem: (first: string, second: string, value: V) => string
): void => {
  const seen = new Map<V, string>()
  for (const [where, value] of entries) {
    const first = seen.get(value)
    if (first !== undefined) throw new FakePlexError(`FakePlex: ${problem(first, where, value)}`)
    seen.set(value, where)
  }
}

/**
 * Refuses a `maxRequestBodyBytes` that is not a whole number of bytes, 0 or more: a string or NaN would compare
 * false with every body's size (no cap at all), a negative one would refuse every body. Checked here, with the
 * seed, so `serve` refuses it before it binds a port.
 */
const bodyCapCheck = (value: unknown): void => {
  if (value === undefined) return
  const problem = maxBodyBytesProblem(value)
  if (problem === undefined) return
  throw new FakePlexError(
    `FakePlex: maxRequestBodyBytes ${problem}, got ${typeof value === "number" ? String(value) : kindOf(value)}`
  )
}

/** Resolves options into a seed; throws (a defect for the caller) on an inconsistent seed. */
export const resolve = (options: Options = {}): Seed => {
  // From untyped JavaScript (null, a number): a FakePlexError naming the options, not a TypeError.
  const problem = objectProblem(options, true)
  if (problem !== undefined) throw new FakePlexError(`FakePlex: options ${problem}`)
  checkSeedShape(options)
  bodyCapCheck(options.maxRequestBodyBytes)
  const shape = options.shape ?? "2026-02"
  const accountSeeds =
    options.accounts === undefined || options.accounts.length === 0 ? [{}] : options.accounts
  const accounts = accountSeeds.map((seed, i) => account(seed, i, shape))
  const names = new Set<string>()
  for (const a of accounts) {
    for (const name of [a.username.toLowerCase(), a.email.toLowerCase()]) {
      if (names.has(name)) throw new FakePlexError(`FakePlex: two accounts share the login ${name}`)
      names.add(name)
    }
  }
  unique(
    accounts.map((a, i) => [`accounts[${i}]`, a.id]),
    (first, second, id) => `${first} and ${second} share the id ${id}`
  )
  unique(
    accounts.map((a, i) => [`accounts[${i}]`, a.uuid]),
    (first, second, uuid) => `${first} and ${second} share the uuid ${uuid}`
  )
  // One plex.tv token is one session of one account: named by where they are seeded, never shown.
  unique(
    accounts.flatMap((a, i) => [
      [`accounts[${i}].token`, a.token] as const,
      ...a.devices.map((d, j) => [`accounts[${i}].devices[${j}].token`, d.token] as const)
    ]),
    (first, second) => `${first} and ${second} are the same token`
  )
  const homes: Array<SeedHome> = (options.homes ?? []).map((home, i) => {
    const admin = home.admin === undefined ? accounts[0] : findAccount(accounts, home.admin, "a home admin")
    if (admin === undefined) throw new FakePlexError("FakePlex: a home needs an admin")
    const members = home.members.map((login) => findAccount(accounts, login, "a home member"))
    return {
      id: 5500000 + i,
      name: home.name ?? `${admin.username}'s Home`,
      adminId: admin.id,
      memberIds: [admin.id, ...members.map((m) => m.id).filter((id) => id !== admin.id)]
    }
  })
  const inHome = new Set<number>()
  for (const home of homes) {
    for (const id of home.memberIds) {
      if (inHome.has(id)) throw new FakePlexError(`FakePlex: account ${id} is in two homes`)
      inHome.add(id)
    }
  }
  const serverSeeds = options.servers ?? [{}]
  // A server's shares through its owner's Home are not seeded: they follow who owns it (store sharesOf).
  const servers = serverSeeds.map((seed, i) => server(seed, i, accounts))
  unique(
    servers.map((server, i) => [`servers[${i}]`, server.clientIdentifier]),
    (first, second, id) => `${first} and ${second} share the clientIdentifier ${id}`
  )
  const seed: Seed = {
    plexTvUrl: origin("plexTvUrl", options.plexTvUrl ?? DEFAULTS.plexTvUrl),
    clientsUrl: origin("clientsUrl", options.clientsUrl ?? DEFAULTS.clientsUrl),
    plexTvAliases: (options.plexTvAliases ?? DEFAULTS.plexTvAliases).map((url) =>
      origin("a plexTvAliases entry", url)
    ),
    elsewhereUrl: origin("elsewhereUrl", options.elsewhereUrl ?? DEFAULTS.elsewhereUrl),
    accounts,
    servers,
    strongPinLifetimeMillis: millis(
      "pinLifetimeMillis.strong",
      options.pinLifetimeMillis?.strong,
      30 * minute
    ),
    shortPinLifetimeMillis: millis("pinLifetimeMillis.short", options.pinLifetimeMillis?.short, 15 * minute),
    transientTokenLifetimeMillis: millis(
      "transientTokenLifetimeMillis",
      options.transientTokenLifetimeMillis,
      48 * 60 * minute
    ),
    autoApprovePins: autoApprove(options.autoApprovePins, accounts),
    homes,
    claimTokenLifetimeMillis: millis("claimTokenLifetimeMillis", options.claimTokenLifetimeMillis, 4 * minute)
  }
  origins(seed)
  return seed
}

/** Every origin the seed answers on, once each; throws when two hosts claim one origin. */
export const origins = (seed: Seed): ReadonlyArray<string> => {
  const owners = new Map<string, string>()
  const claim = (url: string, who: string) => {
    const previous = owners.get(url)
    if (previous !== undefined && previous !== who) {
      throw new FakePlexError(`FakePlex: ${url} is claimed by both ${previous} and ${who}`)
    }
    owners.set(url, who)
  }
  claim(seed.plexTvUrl, "plex.tv")
  claim(seed.clientsUrl, "clients.plex.tv")
  for (const alias of seed.plexTvAliases) claim(alias, "plex.tv")
  claim(seed.elsewhereUrl, "elsewhere")
  for (const s of seed.servers) for (const c of s.connections) claim(c.uri, `server ${s.clientIdentifier}`)
  return [...owners.keys()]
}

/** The seed with every origin replaced by `to(origin)` (the Node server's loopback ports). */
export const rebase = (seed: Seed, to: (origin: string) => string): Seed => ({
  ...seed,
  plexTvUrl: to(seed.plexTvUrl),
  clientsUrl: to(seed.clientsUrl),
  plexTvAliases: seed.plexTvAliases.map(to),
  elsewhereUrl: to(seed.elsewhereUrl),
  servers: seed.servers.map((s) => ({
    ...s,
    connections: s.connections.map((c) => connection({ uri: to(c.uri), local: c.local, relay: c.relay }))
  }))
})
