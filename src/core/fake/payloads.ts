/**
 * The JSON the fake answers with, shaped like real Plex payloads: accounts
 * in the 2025-08 and 2026-02 shapes (with the caller's drift applied), PINs,
 * and resource devices.
 *
 * @internal
 */
import type { PayloadOverride } from "./types.js"
import { pseudoHex, type SeedAccount, type SeedConnection, type SeedServer } from "./seed.js"
import * as Xml from "./xml.js"

/** Plex's ISO date format: seconds precision, `Z`. */
export const isoDate = (millis: number): string => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

/** Deep merge: objects merge key by key, anything else replaces, `undefined` removes the key. */
export const merge = (
  base: Record<string, unknown>,
  patch: Readonly<Record<string, unknown>>
): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key]
    if (value === undefined) delete out[key]
    else if (isPlainObject(value) && isPlainObject(current)) out[key] = merge(current, value)
    else out[key] = value
  }
  return out
}

/** Applies the overrides of an account, in order. */
export const applyOverrides = (
  payload: Record<string, unknown>,
  overrides: ReadonlyArray<PayloadOverride>
): Record<string, unknown> =>
  overrides.reduce<Record<string, unknown>>(
    (acc, override) =>
      typeof override === "function" ? override(structuredClone(acc)) : merge(acc, override),
    payload
  )

const plexPassFeatures = [
  "adaptive_bitrate",
  "camera_upload",
  "collections",
  "dvr",
  "hardware_transcoding",
  "home",
  "lyrics",
  "music_videos",
  "pass",
  "sync",
  "trailers",
  "webhooks"
]

/** When the account joined, in seconds since the epoch. */
export const joinedAt = (account: SeedAccount) => 1519084800 + (account.id % 1000) * 86400

/**
 * An account as plex.tv sends it from `GET /api/v2/user` (and, with
 * `signIn`, from `POST /api/v2/users/signin`), before overrides. `home` is
 * the Plex Home the account is in (none: a home of one, `home` false).
 */
export const account = (
  a: SeedAccount,
  token: string,
  now: number,
  options: {
    readonly signIn: boolean
    readonly rememberMe: boolean
    readonly home?: { readonly adminId: number; readonly memberIds: ReadonlyArray<number> } | undefined
  }
): Record<string, unknown> => {
  const joined = joinedAt(a)
  const subscription = a.plexPass
    ? {
        active: true,
        subscribedAt: "2021-04-12T18:21:12Z",
        status: "Active",
        paymentService: "braintree",
        plan: "lifetime",
        features: plexPassFeatures
      }
    : {
        active: false,
        subscribedAt: null,
        status: "Inactive",
        paymentService: null,
        plan: null,
        features: []
      }
  const legacy = a.shape === "2025-08"
  const profile = legacy
    ? {
        autoSelectAudio: true,
        defaultAudioLanguage: "en",
        defaultSubtitleLanguage: "en",
        autoSelectSubtitle: 1,
        defaultSubtitleAccessibility: 0,
        defaultSubtitleForced: 0,
        watchedIndicator: 1,
        mediaReviewsVisibility: 0
      }
    : {
        autoSelectAudio: true,
        defaultAudioLanguage: "en",
        defaultAudioAccessibility: 0,
        defaultAudioLanguages: null,
        defaultSubtitleLanguage: "en",
        defaultSubtitleLanguages: null,
        autoSelectSubtitle: 2,
        defaultSubtitleAccessibility: 0,
        defaultSubtitleForced: 1,
        watchedIndicator: 1,
        mediaReviewsVisibility: 2,
        mediaReviewsLanguages: null
      }
  const payload: Record<string, unknown> = {
    id: a.id,
    uuid: a.uuid,
    username: a.username,
    title: a.title,
    // A managed Home user has no email nor password of its own and is restricted, as the Home listing shows it
    // (python-plexapi MyPlexAccount: `restricted` "if the account is a Plex Home managed user"; its
    // MyPlexAccount.user: "Home users don't have email, username etc.").
    email: a.managed ? null : a.email,
    friendlyName: a.friendlyName,
    locale: null,
    confirmed: true,
    joinedAt: joined,
    emailOnlyAuth: false,
    hasPassword: !a.managed,
    protected: false,
    thumb: `https://plex.tv/users/${a.uuid}/avatar?c=${joined}`,
    authToken: token,
    mailingListStatus: "active",
    mailingListActive: false,
    scrobbleTypes: "",
    country: "US",
    subscription,
    subscriptionDescription: a.plexPass ? "Lifetime Plex Pass" : null,
    restricted: a.managed,
    anonymous: null,
    // A member of a Plex Home is a Home user (`home`), its admin `homeAdmin`, and `homeSize` counts every user of
    // the home (the OpenAPI descriptions' UserPlexAccount: "If the account is a Plex Home user", "... the Plex Home
    // admin", "The number of accounts in the Plex Home"), as python-plexapi's and @ctrl/plex's MyPlexAccount read them.
    home: options.home !== undefined,
    guest: false,
    homeSize: options.home?.memberIds.length ?? 1,
    homeAdmin: options.home?.adminId === a.id,
    maxHomeSize: 15,
    rememberExpiresAt: Math.floor(now / 1000) + (options.rememberMe ? 90 : 14) * 86400,
    profile,
    entitlements: a.plexPass ? ["all"] : [],
    roles: a.plexPass ? ["plexpass"] : [],
    services: [
      {
        identifier: "metadata-dev",
        endpoint: "https://epg.provider.plex.tv",
        token: pseudoHex(`metadata-${a.uuid}`, 32),
        secret: null,
        status: "online"
      }
    ],
    adsConsent: legacy ? null : false,
    adsConsentSetAt: null,
    adsConsentReminderAt: null,
    experimentalFeatures: false,
    twoFactorEnabled: a.twoFactorCode !== undefined,
    backupCodesCreated: a.twoFactorCode !== undefined,
    attributionPartner: null
  }
  if (legacy) payload["pin"] = pseudoHex(`pin-${a.uuid}`, 40)
  payload["subscriptions"] = a.plexPass ? [subscription] : []
  // A sign-in answers with `pastSubscriptions` and `trials` in both eras: the 2025-08 description marks
  // them required, and real sign-ins carry them (go-plex-client PR 57).
  if (options.signIn) {
    payload["pastSubscriptions"] = a.plexPass
      ? []
      : [
          {
            id: null,
            mode: null,
            renewsAt: null,
            endsAt: 1618250472,
            canceled: false,
            gracePeriod: false,
            onHold: false,
            canReactivate: false,
            canUpgrade: false,
            canDowngrade: false,
            canConvert: false,
            type: "plexpass",
            transfer: null,
            state: "ended",
            billing: { internalPaymentMethod: {}, paymentMethodId: null }
          }
        ]
    payload["trials"] = []
  }
  return applyOverrides(payload, a.payload)
}

/** An ISO date (`2023-03-24T00:00:00Z`) as plex.tv's XML writes it: `2023-03-24 00:00:00 UTC`. */
export const xmlDate = (iso: string): string => {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso)
  return match === null ? iso : `${match[1]} ${match[2]} UTC`
}

/**
 * An account payload as plex.tv's XML carries it: `subscribedAt` (in
 * `subscription` and each `subscriptions` entry) is `2023-03-24 00:00:00
 * UTC` there, not ISO 8601 (python-plexapi's `MyPlexAccount` parses that
 * form with `%Y-%m-%d %H:%M:%S %Z`).
 */
export const accountForXml = (payload: Record<string, unknown>): Record<string, unknown> => {
  const fix = (value: unknown): unknown =>
    isPlainObject(value) && typeof value["subscribedAt"] === "string"
      ? { ...value, subscribedAt: xmlDate(value["subscribedAt"]) }
      : value
  const out: Record<string, unknown> = { ...payload, subscription: fix(payload["subscription"]) }
  if (Array.isArray(payload["subscriptions"])) out["subscriptions"] = payload["subscriptions"].map(fix)
  if (!("subscription" in payload)) delete out["subscription"]
  return out
}

/**
 * An account as plex.tv's legacy XML routes (`/users/account`, `POST /users/sign_in.xml`) write it, from an
 * {@link account} payload, in the shape python-plexapi's own fixture of that answer has (its tests/payloads.py
 * `ACCOUNT_XML` before 4.15, which its `MyPlexAccount._loadData` then read): the legacy attribute names
 * (`mailing_list_status`, `authenticationToken`, `queueEmail`, `hasPassword="true"`, ...), each `<feature>` directly
 * in `<subscription>` (the v2 form wraps them in `<features>`, where python-plexapi 4.3 to 4.14 find none),
 * `<entitlements all="1">`, and the Rails-style children `<username>`, `<email>`, `<joined-at type="datetime">` and
 * `<authentication-token>` that scripts read the token from. It has no `homeAdmin`: no recorded legacy answer does.
 */
export const legacyAccountXml = (payload: Record<string, unknown>): string => {
  const record = (value: unknown): Record<string, unknown> => (isPlainObject(value) ? value : {})
  const strings = (value: unknown): ReadonlyArray<string> =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []
  const subscription = record(payload["subscription"])
  const profile = record(payload["profile"])
  const entitlements = strings(payload["entitlements"])
  const token = payload["authToken"]
  const open = (name: string, attributes: Record<string, unknown>) =>
    Xml.element(name, attributes).replace(/\/>$/, ">")
  const withChildren = (name: string, attributes: Record<string, unknown>, children: ReadonlyArray<string>) =>
    children.length === 0
      ? Xml.element(name, attributes)
      : `${open(name, attributes)}${children.join("")}</${name}>`
  const joined =
    typeof payload["joinedAt"] === "number" ? new Date(payload["joinedAt"] * 1000).toISOString() : ""
  const attributes = {
    email: payload["email"],
    id: payload["id"],
    uuid: payload["uuid"],
    mailing_list_status: payload["mailingListStatus"],
    thumb: payload["thumb"],
    username: payload["username"],
    title: payload["title"],
    cloudSyncDevice: "",
    locale: payload["locale"],
    authenticationToken: token,
    authToken: token,
    scrobbleTypes: payload["scrobbleTypes"],
    restricted: payload["restricted"],
    home: payload["home"],
    guest: payload["guest"],
    queueEmail: `queue+${String(payload["uuid"])}@save.plex.tv`,
    queueUid: "",
    hasPassword: payload["hasPassword"] === true ? "true" : "false",
    homeSize: payload["homeSize"],
    maxHomeSize: payload["maxHomeSize"],
    secure: true,
    certificateVersion: 2
  }
  const children = [
    withChildren(
      "subscription",
      { active: subscription["active"], status: subscription["status"], plan: subscription["plan"] },
      strings(subscription["features"]).map((id) => Xml.element("feature", { id }))
    ),
    withChildren(
      "roles",
      {},
      strings(payload["roles"]).map((id) => Xml.element("role", { id }))
    ),
    withChildren(
      "entitlements",
      { all: entitlements.includes("all") },
      entitlements.filter((id) => id !== "all").map((id) => Xml.element("entitlement", { id }))
    ),
    Xml.element("profile_settings", {
      default_audio_language: profile["defaultAudioLanguage"],
      default_subtitle_language: profile["defaultSubtitleLanguage"],
      auto_select_subtitle: profile["autoSelectSubtitle"],
      auto_select_audio: profile["autoSelectAudio"],
      default_subtitle_accessibility: profile["defaultSubtitleAccessibility"],
      default_subtitle_forced: profile["defaultSubtitleForced"]
    }),
    withChildren(
      "services",
      {},
      (Array.isArray(payload["services"]) ? payload["services"] : []).map((service) =>
        Xml.element("service", service)
      )
    ),
    Xml.element("username", payload["username"]),
    Xml.element("email", payload["email"]),
    `<joined-at type="datetime">${xmlDate(joined)}</joined-at>`,
    Xml.element("authentication-token", token)
  ]
  return `<?xml version="1.0" encoding="UTF-8"?>\n${withChildren("user", attributes, children)}\n`
}

/** A PIN as `POST /api/v2/pins` and `GET /api/v2/pins/{id}` return it. */
export const pin = (
  p: {
    readonly id: number
    readonly code: string
    readonly product: string
    readonly clientIdentifier: string
    readonly createdAt: number
    readonly expiresAt: number
    readonly authToken: string | undefined
  },
  now: number,
  plexTvUrl: string
): Record<string, unknown> => ({
  id: p.id,
  code: p.code,
  product: p.product,
  trusted: false,
  qr: `${plexTvUrl}/api/v2/pins/qr/${p.code}`,
  clientIdentifier: p.clientIdentifier,
  location: {
    code: "US",
    european_union_member: false,
    continent_code: "NA",
    country: "United States",
    city: "Springfield",
    time_zone: "America/Chicago",
    postal_code: "62701",
    in_privacy_restricted_country: false,
    in_privacy_restricted_region: false,
    subdivisions: "Illinois",
    coordinates: "39.8017, -89.6436"
  },
  expiresIn: Math.max(0, Math.floor((p.expiresAt - now) / 1000)),
  createdAt: isoDate(p.createdAt),
  expiresAt: isoDate(p.expiresAt),
  authToken: p.authToken ?? null,
  newRegistration: null
})

const connectionPayload = (c: SeedConnection) => ({
  protocol: c.protocol,
  address: c.address,
  port: c.port,
  uri: c.uri,
  local: c.local,
  relay: c.relay,
  IPv6: c.IPv6
})

/** A server as one device of `GET /api/v2/resources`, seen by the account `viewerId`. */
export const serverDevice = (
  s: SeedServer,
  viewer:
    | { readonly owned: true; readonly accessToken: string }
    /**
     * A share: `ownerId` is the server's current owner (a claim moves it), `sourceTitle` that owner's username
     * (python-plexapi `MyPlexResource.sourceTitle`: "Username of the user that owns this resource").
     */
    | {
        readonly owned: false
        readonly accessToken: string
        readonly ownerId: number | undefined
        readonly sourceTitle: string | undefined
      },
  connections: ReadonlyArray<SeedConnection>
): Record<string, unknown> => {
  const publicAddress =
    s.connections.find((c) => !c.local && !c.relay)?.address ?? s.connections[0]?.address ?? ""
  return {
    name: s.name,
    product: "Plex Media Server",
    productVersion: s.version,
    platform: "Linux",
    platformVersion: "6.8.0",
    device: "PC",
    clientIdentifier: s.clientIdentifier,
    createdAt: "2020-05-01T12:00:00Z",
    lastSeenAt: "2026-02-01T12:00:00Z",
    provides: "server",
    ownerId: viewer.owned ? null : (viewer.ownerId ?? null),
    sourceTitle: viewer.owned ? null : (viewer.sourceTitle ?? null),
    publicAddress,
    accessToken: viewer.accessToken,
    owned: viewer.owned,
    home: false,
    synced: false,
    relay: true,
    presence: true,
    httpsRequired: false,
    publicAddressMatches: true,
    dnsRebindingProtection: false,
    natLoopbackSupported: false,
    connections: connections.map(connectionPayload)
  }
}

/**
 * A server as one `Device` of its owner's `GET /devices.xml`, with the
 * attributes python-plexapi's `MyPlexDevice._loadData` and @ctrl/plex's
 * `MyPlexDevice` read: `provides="server"`, its product and version, its
 * machine identifier as `clientIdentifier`, its own `token`, the times in
 * seconds, and a `Connection` (`uri`) per connection.
 */
export const serverAuthorizedDevice = (s: SeedServer, token: string): Record<string, unknown> => ({
  name: s.name,
  publicAddress: s.connections.find((c) => !c.local && !c.relay)?.address ?? s.connections[0]?.address ?? "",
  product: "Plex Media Server",
  productVersion: s.version,
  platform: "Linux",
  platformVersion: "6.8.0",
  device: "PC",
  model: "x86_64",
  vendor: "Debian",
  provides: "server",
  clientIdentifier: s.clientIdentifier,
  version: s.version,
  id: s.deviceId,
  token,
  // The times of its `/api/v2/resources` entry (2020-05-01T12:00:00Z, 2026-02-01T12:00:00Z).
  createdAt: 1588334400,
  lastSeenAt: 1769947200,
  screenResolution: "",
  screenDensity: "",
  Connection: s.connections.map((c) => ({ uri: c.uri }))
})

/** The account's own web player, listed among its resources like real accounts' clients. */
export const playerDevice = (a: SeedAccount): Record<string, unknown> => ({
  name: "Chrome",
  product: "Plex Web",
  productVersion: "4.147.1",
  platform: "Chrome",
  platformVersion: "133.0",
  device: "Linux",
  clientIdentifier: pseudoHex(`player-${a.uuid}`, 24),
  createdAt: "2024-01-10T08:00:00Z",
  lastSeenAt: "2026-02-01T12:00:00Z",
  provides: "client,player,pubsub-player",
  ownerId: null,
  sourceTitle: null,
  publicAddress: "198.51.100.200",
  accessToken: pseudoHex(`player-token-${a.uuid}`, 20),
  owned: true,
  home: false,
  synced: false,
  relay: false,
  presence: false,
  httpsRequired: false,
  publicAddressMatches: true,
  dnsRebindingProtection: false,
  natLoopbackSupported: false,
  connections: []
})

/** The `Connection` entries of `/security/resources` (no `IPv6` field there). */
export const sourceConnections = (connections: ReadonlyArray<SeedConnection>) =>
  connections.map((c) => ({
    address: c.address,
    local: c.local,
    port: c.port,
    protocol: c.protocol,
    relay: c.relay,
    uri: c.uri
  }))

/** The features a Plex Pass owner's server lists (`ownerFeatures`, `subscriptionFeatures`), comma-separated. */
const passFeatures = "hardware_transcoding,home,pass,sync,webhooks"

/**
 * What a server says of its plex.tv sign-in at `GET /`, from its current owner: claimed, the owner's email,
 * `myPlexSigninState` `"ok"`, `myPlexMappingState` `"mapped"`, whether the owner has Plex Pass
 * (`myPlexSubscription`) and the features it grants (`ownerFeatures`, comma-separated, empty without Plex Pass);
 * unclaimed, `claimed: false`, an empty `myPlexUsername`, `"none"`, `"unknown"` and no features, as an unclaimed
 * Plex Media Server answers. python-plexapi's `PlexServer._loadData` reads these (`utils.toList(ownerFeatures)`),
 * and @ctrl/plex's `PlexServer._loadData` (`src/server.ts`) calls `data.ownerFeatures.split(',')`: a root
 * without `ownerFeatures` fails its `connect()`. Its `/identity` reader reads `claimed`.
 */
export const myPlexState = (owner: SeedAccount | undefined): Record<string, unknown> => ({
  claimed: owner !== undefined,
  myPlexUsername: owner?.email ?? "",
  myPlexSigninState: owner === undefined ? "none" : "ok",
  myPlexMappingState: owner === undefined ? "unknown" : "mapped",
  myPlexSubscription: owner?.plexPass === true,
  ownerFeatures: owner?.plexPass === true ? passFeatures : ""
})

/**
 * A server's `/myplex/account` document (root `MyPlex`): its plex.tv sign-in, which is also what it answers a
 * `POST /myplex/claim` with. python-plexapi's `PlexServer.claim` (`plexapi/server.py`) returns `Account(self, data)`
 * of that answer, and its `test_server_claim_unclaim` reads `signInState` (`"ok"` once claimed, `"none"` when not);
 * the fields are those `Account._loadData` reads (and plexjs's `getMyPlexAccount` names): `username` is the owner's
 * email, `authToken` the token the server signs in to plex.tv with (here its own token, `token`).
 */
export const myPlexAccount = (
  server: SeedServer,
  owner: SeedAccount | undefined,
  token: string
): Record<string, unknown> => {
  const local = server.connections.find((c) => c.local && !c.relay)
  const remote = server.connections.find((c) => !c.local && !c.relay)
  const plexPass = owner?.plexPass === true
  return {
    authToken: owner === undefined ? "" : token,
    username: owner?.email ?? "",
    mappingState: owner === undefined ? "unknown" : "mapped",
    mappingError: "",
    signInState: owner === undefined ? "none" : "ok",
    publicAddress: remote?.address ?? "",
    publicPort: remote?.port ?? 0,
    privateAddress: local?.address ?? "",
    privatePort: local?.port ?? 0,
    subscriptionFeatures: plexPass ? passFeatures : "",
    subscriptionActive: plexPass,
    subscriptionState: plexPass ? "Active" : "Inactive"
  }
}
