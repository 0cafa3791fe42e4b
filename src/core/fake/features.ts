/**
 * The fake's routes for Plex Home, friends and shares, server claiming,
 * authorized devices and PIN linking. Each answers as plex.tv or a PMS does
 * (the v2 routes JSON when asked for, XML otherwise; plex.tv's legacy routes
 * `/api/users/`, `/api/servers/{id}/shared_servers`, `/devices.xml`,
 * `/api/home/users` and `/api/invites/*` XML whatever is asked, their refusals too), following
 * the routes python-plexapi (`plexapi/myplex.py`, `plexapi/server.py`) and
 * @ctrl/plex (`src/myplex.ts`) call.
 *
 * @internal
 */
import * as Home from "../home.js"
import * as Approve from "./approve.js"
import * as Http from "./http.js"
import { jsonBody } from "./jwt.js"
import * as Payloads from "./payloads.js"
import type { Context, Reply, Route } from "./routes.js"
import { pseudoHex, type SeedAccount, type SeedHome, type SeedServer } from "./seed.js"
import * as Xml from "./xml.js"

/** The route builders of routes.ts, handed over to avoid an import cycle. */
export interface Builders {
  readonly plexTv: (
    name: string,
    method: string,
    path: string,
    handle: (ctx: Context, clientIdentifier: string) => Reply
  ) => Route
  readonly plexTvAccount: (
    name: string,
    method: string,
    path: string,
    handle: (ctx: Context, account: SeedAccount, token: string) => Reply
  ) => Route
  readonly pms: (
    name: string,
    methods: ReadonlyArray<string> | "*",
    path: string,
    handle: (ctx: Context, server: SeedServer) => Reply
  ) => Route
  readonly token: (ctx: Context) => string | undefined
  readonly mintToken: (
    store: Context["store"],
    accountId: number,
    now: number,
    via: "signIn" | "pin" | "control"
  ) => string
  readonly unprocessable: (ctx: Context, message: string) => Response
  /** Signs the requesting client (its `X-Plex-*` identity) in to an account with a token: its device entry. */
  readonly signedIn: (ctx: Context, accountId: number, token: string) => void
}

const bit = (value: boolean) => (value ? 1 : 0)

/** A user of a home, as `GET /api/v2/home/users` lists it. */
const homeUser = (account: SeedAccount, home: SeedHome) => ({
  id: account.id,
  uuid: account.uuid,
  title: account.title,
  username: account.managed ? null : account.username,
  email: account.managed ? null : account.email,
  friendlyName: account.friendlyName,
  thumb: `https://plex.tv/users/${account.uuid}/avatar`,
  hasPassword: !account.managed,
  restricted: account.managed,
  updatedAt: 1735689600,
  restrictionProfile: account.managed ? "little_kid" : null,
  admin: account.id === home.adminId,
  guest: false,
  protected: account.homePinListed
})

/** A home of one: what plex.tv shows an account that is in no home. */
const aloneHome = (account: SeedAccount): SeedHome => ({
  id: 0,
  name: `${account.username}'s Home`,
  adminId: account.id,
  memberIds: [account.id]
})

/**
 * A home as plex.tv's v2 API describes it (`/api/v2/home`, and `/api/v2/home/users` around its users). Every Plex
 * Home has a guest user, enabled or not (`guestEnabled`): plex.tv gives its id and uuid (plexapi.dev's "Get Home
 * Data" example: `"guestUserID": 58815432, "guestUserUUID": "f3df4e01bfca0787", "guestEnabled": false`), and
 * plexjs 0.39's schema takes a number and a string there, not null. The fake has no guest account: its guest's id and
 * uuid are the fake's own numbers, fixed per home (per account for the home of one an account in no home has).
 */
const homeData = (home: SeedHome) => {
  const key = home.id === 0 ? `alone-${home.adminId}` : `home-${home.id}`
  return {
    id: home.id,
    name: home.name,
    guestUserID: 58000000 + (Number.parseInt(pseudoHex(`guest-${key}`, 5), 16) % 1000000),
    guestUserUUID: pseudoHex(`guest-${key}`, 16),
    guestEnabled: false,
    subscription: true
  }
}

/**
 * The MediaContainer of plex.tv's legacy (v1) API, in XML whatever the
 * request asks for: python-plexapi reads these routes' elements'
 * attributes (`data.attrib.get(...)`), and @ctrl/plex, which sends
 * `Accept: application/json` to `/api/users/`, reads what xml2js makes of
 * the XML (`data.$.id`, `data.Server`).
 */
const container = (status: number, value: Record<string, unknown>) =>
  Http.bytes(status, Http.plexTvXml, Xml.document("MediaContainer", value))

const notFound = (ctx: Context, message: string) => Http.plexTvError(ctx.json, 404, undefined, message)

/**
 * A route of plex.tv's legacy API: every answer in XML, its refusals too
 * (a missing client identifier, a refused token), whatever the request's
 * `Accept` says.
 */
const legacy = (route: Route): Route => ({ ...route, handle: (ctx) => route.handle({ ...ctx, json: false }) })

/** A route whose path names its format (`/devices/{id}.xml`): XML for `.xml`, otherwise as the request asks. */
const xmlBySuffix = (route: Route): Route => ({
  ...route,
  handle: (ctx) => route.handle(ctx.url.pathname.endsWith(".xml") ? { ...ctx, json: false } : ctx)
})

/** The members of `home` (an account in no home is a home of one). */
const membersOf = (ctx: Context, account: SeedAccount) => {
  const home = ctx.store.homeOf(account.id) ?? aloneHome(account)
  const members = home.memberIds.flatMap((id) => {
    const member = ctx.store.accounts.get(id)
    return member === undefined ? [] : [member]
  })
  return { home, members }
}

/** The home user `wanted` names (its uuid or id) in the home of `account`, when it has one. */
const homeTarget = (ctx: Context, account: SeedAccount, wanted: string) => {
  const home = ctx.store.homeOf(account.id)
  const target =
    home === undefined
      ? undefined
      : home.memberIds
          .map((id) => ctx.store.accounts.get(id))
          .find((member) => member !== undefined && (member.uuid === wanted || String(member.id) === wanted))
  return home === undefined || target === undefined ? undefined : { home, target }
}

/**
 * The user a switch of `account` to `wanted` (its uuid or id) reaches, and the Plex Home the switch answers with:
 * {@link homeTarget}, or, for an account in no home, the account itself, the one user `GET /api/v2/home/users` lists
 * for it (a home of one), answered with no home. A user listed can be switched to. PlexKodiConnect lists
 * `GET /api/home/users/` and switches to the user picked (`POST /api/home/users/{id}/switch`) for every signed-in
 * account, in a home or not, the one user listed for an account in no home (croneter/PlexKodiConnect
 * `service_entry._do_auth`, `windows/userselect.py`, `plex_tv.switch_home_user`): a switch plex.tv refused there
 * would have kept every such account from signing in.
 */
const switchTarget = (ctx: Context, account: SeedAccount, wanted: string) =>
  ctx.store.homeOf(account.id) === undefined
    ? account.uuid === wanted || String(account.id) === wanted
      ? { home: undefined, target: account }
      : undefined
    : homeTarget(ctx, account, wanted)

/**
 * plex.tv's refusal of a switch for its PIN, missing or wrong alike: 403 (anthonycaccese/240-MP pull request 244)
 * with code 1041 and this message (Plex Web's switch, as captured in a public note of its requests).
 */
const pinRefusedMessage = "A valid PIN is required to perform this action"

/** plex.tv's refusal of a claim token to a managed Home user (403). */
export const managedClaimMessage = "A managed user cannot own a server"

/** The fake's refusal of a Home user leaving a server the Home shares with it (403): only leaving the Home does. */
const homeShareMessage = "A Home user leaves the Home's servers by leaving the Home (the fake's words)"

/** The fake's refusal of a managed user's PIN set by anyone but its Home's admin (403). */
const managedPinMessage = "Only the Home's admin sets a managed user's PIN"

/** Why a switch to `target` is refused for its PIN (403, code 1041), or undefined. */
const pinRefusal = (ctx: Context, account: SeedAccount, target: SeedAccount) => {
  // The PIN is a query parameter (python-plexapi and @ctrl/plex `switchHomeUser`); a form field is read too.
  const pin = ctx.query.get("pin") ?? ctx.form?.get("pin") ?? ""
  // plex.tv does not demand the PIN to switch to one's own profile (see core/home.ts pinRefusal), but checks one given.
  if (target.homePin === undefined || (target.id === account.id && pin === "")) return undefined
  return pin === target.homePin ? undefined : Http.plexTvError(ctx.json, 403, 1041, pinRefusedMessage)
}

/** Every route of this file. */
export const routes = (b: Builders): ReadonlyArray<Route> => {
  // plex.tv's v2 home API, the v2 forms of python-plexapi's and @ctrl/plex's `switchHomeUser` routes.
  const homeUsers = b.plexTvAccount("getHomeUsers", "GET", "/api/v2/home/users", (ctx, account) => {
    const { home, members } = membersOf(ctx, account)
    return Http.plexTv(ctx.json, 200, "home", {
      ...homeData(home),
      users: members.map((member) => homeUser(member, home))
    })
  })

  // plexjs 0.39 `plex.getHomeData()` (GET https://plex.tv/api/v2/home, `Accept: application/json`): the home of
  // `/api/v2/home/users` without its users, as plexjs's GetHomeDataResponseBody reads it.
  const home = b.plexTvAccount("getHomeData", "GET", "/api/v2/home", (ctx, account) =>
    Http.plexTv(ctx.json, 200, "home", homeData(membersOf(ctx, account).home))
  )

  const switchedPayload = async (
    ctx: Context,
    home: SeedHome | undefined,
    target: SeedAccount,
    by: SeedAccount
  ) => {
    const minted = await b.mintToken(ctx.store, target.id, ctx.now, "control")
    // Handed out through the Home: revoked when either of the two leaves it (store leaveHome).
    const entry = ctx.store.tokens.get(minted)
    if (entry !== undefined) entry.switchedBy = by.id
    // The token is handed to the client that asked: it becomes (or is again) one of the target's devices, so that
    // revoking that device signs the switched session out, as it does a session signed in any other way.
    b.signedIn(ctx, target.id, minted)
    return {
      ...Payloads.account(target, minted, ctx.now, { signIn: false, rememberMe: false, home }),
      restricted: target.managed,
      protected: target.homePinListed
    }
  }

  const switchUser = b.plexTvAccount(
    "switchHomeUser",
    "POST",
    "/api/v2/home/users/:id/switch",
    async (ctx, account) => {
      const found = switchTarget(ctx, account, ctx.params["id"] ?? "")
      if (found === undefined) return notFound(ctx, "User could not be found")
      const refused = pinRefusal(ctx, account, found.target)
      if (refused !== undefined) return refused
      return Http.plexTv(ctx.json, 201, "user", await switchedPayload(ctx, found.home, found.target, account))
    }
  )

  // The legacy routes python-plexapi and @ctrl/plex call: `HOMEUSERS` (`https://plex.tv/api/home/users`) and
  // `switchHomeUser` (`{HOMEUSERS}/{user.id}/switch?pin=…`), XML only; the switch answers `<user
  // authenticationToken="…"/>`, the attribute both read.
  const legacyHomeUsers = legacy(
    b.plexTvAccount("getHomeUsers", "GET", "/api/home/users", (ctx, account) => {
      const { home, members } = membersOf(ctx, account)
      return container(200, {
        friendlyName: "myPlex",
        identifier: "com.plexapp.plugins.myplex",
        machineIdentifier: pseudoHex(`myplex-${account.uuid}`, 40),
        totalSize: members.length,
        size: members.length,
        User: members.map((member) => {
          const user = homeUser(member, home)
          return { ...user, username: user.username ?? "", email: user.email ?? "" }
        })
      })
    })
  )

  const legacySwitchUser = legacy(
    b.plexTvAccount("switchHomeUser", "POST", "/api/home/users/:id/switch", async (ctx, account) => {
      const found = switchTarget(ctx, account, ctx.params["id"] ?? "")
      if (found === undefined) return notFound(ctx, "User could not be found")
      const refused = pinRefusal(ctx, account, found.target)
      if (refused !== undefined) return refused
      const payload = Payloads.accountForXml(await switchedPayload(ctx, found.home, found.target, account))
      return Http.plexTv(false, 201, "user", { ...payload, authenticationToken: payload["authToken"] })
    })
  )

  /** The claimed servers an account owns. */
  const ownedBy = (ctx: Context, accountId: number) =>
    ctx.store.seed.servers.filter((s) => ctx.store.ownerOf(s) === accountId)

  /**
   * The users of an account (one list for `/api/users/` and `/api/v2/friends`): every other account one of its
   * servers is shared with, and, when it is a Home's admin, its Home's users; each with the servers shared with it.
   */
  const usersOf = (ctx: Context, account: SeedAccount) => {
    const servers = ownedBy(ctx, account.id)
    const home = ctx.store.homeOf(account.id)
    return [...ctx.store.accounts.values()].flatMap((other) => {
      if (other.id === account.id) return []
      const inHome = home !== undefined && home.adminId === account.id && home.memberIds.includes(other.id)
      const shared = servers.filter((s) =>
        ctx.store.sharesOf(s).some((share) => share.accountId === other.id)
      )
      return !inHome && shared.length === 0 ? [] : [{ other, inHome, shared }]
    })
  }

  /**
   * A server shared with an account, as `/api/users/` lists it (`<Server>`), `/api/v2/friends` (`sharedServers`)
   * and a pending invite (`<Server pending="1">`): its `id` the share's (store shareId), as `getSharedServers` gives.
   */
  const sharedServer = (ctx: Context, sharedWith: number, s: SeedServer) => ({
    id: ctx.store.shareId(s, sharedWith),
    serverId: 8100000 + ctx.store.seed.servers.indexOf(s),
    machineIdentifier: s.clientIdentifier,
    name: s.name,
    lastSeenAt: 1735689600,
    numLibraries: 3,
    allLibraries: 1,
    owned: 1,
    pending: 0
  })

  // python-plexapi `MyPlexAccount.users()` (`https://plex.tv/api/users/`), @ctrl/plex `MyPlexUser.key`.
  const users = legacy(
    b.plexTvAccount("getUsers", "GET", "/api/users", (ctx, account) => {
      const list: Array<Record<string, unknown>> = []
      for (const { other, inHome, shared } of usersOf(ctx, account)) {
        list.push({
          id: other.id,
          title: other.title,
          username: other.managed ? "" : other.username,
          email: other.managed ? "" : other.email,
          recommendationsPlaylistId: "",
          thumb: `https://plex.tv/users/${other.uuid}/avatar`,
          protected: bit(other.homePinListed),
          home: bit(inHome),
          allowTuners: 0,
          allowSync: 1,
          allowCameraUpload: 0,
          allowChannels: 0,
          allowSubtitleAdmin: 0,
          filterAll: "",
          filterMovies: "",
          filterMusic: "",
          filterTelevision: "",
          restricted: bit(other.managed),
          Server: shared.map((s) => sharedServer(ctx, other.id, s))
        })
      }
      return container(200, {
        friendlyName: "myPlex",
        identifier: "com.plexapp.plugins.myplex",
        machineIdentifier: pseudoHex(`myplex-${account.uuid}`, 40),
        totalSize: list.length,
        size: list.length,
        User: list
      })
    })
  )

  // plexjs 0.39 `plex.getUserFriends()` (GET https://plex.tv/api/v2/friends, `Accept: application/json`): the users
  // of `/api/users/` as plexjs's `Friend` reads them (`status` "accepted", `sharedServers`, `sharedSources` lists;
  // `email` and `username` strings, empty for a managed user as `/api/users/` writes them; `restricted` for one).
  const friends = b.plexTvAccount("getUserFriends", "GET", "/api/v2/friends", (ctx, account) => {
    const list = usersOf(ctx, account).map(({ other, inHome, shared }) => ({
      id: other.id,
      uuid: other.uuid,
      title: other.title,
      username: other.managed ? "" : other.username,
      email: other.managed ? "" : other.email,
      friendlyName: other.managed ? null : other.friendlyName,
      thumb: `https://plex.tv/users/${other.uuid}/avatar`,
      home: inHome,
      restricted: other.managed,
      status: "accepted",
      sharedServers: shared.map((s) => sharedServer(ctx, other.id, s)),
      sharedSources: []
    }))
    return ctx.json
      ? Http.bytes(200, Http.plexTvJson, JSON.stringify(list))
      : Http.bytes(200, Http.plexTvXml, Xml.list("friends", "friend", list, { size: list.length }))
  })

  // python-plexapi `MyPlexUser.get_token` (FRIENDINVITE: `https://plex.tv/api/servers/{machineId}/shared_servers`).
  const sharedServers = legacy(
    b.plexTvAccount("getSharedServers", "GET", "/api/servers/:machineId/shared_servers", (ctx, account) => {
      const server = ctx.store.server(ctx.params["machineId"] ?? "")
      if (server === undefined || ctx.store.ownerOf(server) !== account.id) {
        return notFound(ctx, "Server not found")
      }
      // One SharedServer per user: a Home member who is a friend too is listed once (sharesOf's first, the friend's).
      const shares = ctx.store.sharesOf(server)
      const shared = shares.flatMap((share, i) => {
        const user = ctx.store.accounts.get(share.accountId)
        return user === undefined || shares.findIndex((s) => s.accountId === user.id) !== i
          ? []
          : [
              {
                id: ctx.store.shareId(server, user.id),
                username: user.managed ? "" : user.username,
                email: user.managed ? "" : user.email,
                userID: user.id,
                accessToken: share.accessToken,
                name: server.name,
                acceptedAt: 1735689600,
                invitedAt: 1735603200,
                allowSync: 1,
                allowCameraUpload: 0,
                allowChannels: 0,
                allowTuners: 0,
                allowSubtitleAdmin: 0,
                owned: 0,
                allLibraries: 1,
                filterAll: "",
                filterMovies: "",
                filterMusic: "",
                filterTelevision: "",
                Section: []
              }
            ]
      })
      return container(200, {
        friendlyName: "myPlex",
        identifier: "com.plexapp.plugins.myplex",
        machineIdentifier: server.clientIdentifier,
        size: shared.length,
        SharedServer: shared
      })
    })
  )

  // python-plexapi `claimToken`, @ctrl/plex `claimToken`: always JSON (the `.json` route). A managed Home user
  // "cannot run a Plex Media Server of their own" (Plex support, "Managed Users"): plex.tv gives it no claim token.
  // Refused 403, as plex.tv refuses a valid token what its account may not do (a Home switch's PIN, 1041), not 401,
  // which says the token itself is bad (a client would sign in again for nothing). Neither python-plexapi nor
  // @ctrl/plex tells this refusal apart: each fails on any answer that is not a success.
  const claimToken = b.plexTvAccount(
    "getClaimToken",
    "GET",
    "/api/claim/token.json",
    async (ctx, account) => {
      if (account.managed) return Http.plexTvError(true, 403, undefined, managedClaimMessage)
      const token = `claim-${ctx.store.randomString(20)}`
      ctx.store.claimTokens.set(token, {
        accountId: account.id,
        expiresAt: ctx.now + ctx.store.seed.claimTokenLifetimeMillis
      })
      return Http.bytes(200, Http.plexTvJson, JSON.stringify({ token }))
    }
  )

  // python-plexapi `PlexServer.claim` (`POST /myplex/claim?token=`), @ctrl/plex `claimServer`.
  const claimServer = b.pms("claimServer", ["POST"], "/myplex/claim", (ctx, server) => {
    // Run only when answered: a scripted fault replaces the handler's answer, and with it the claim.
    const presented = ctx.query.get("token") ?? ""
    const claim = ctx.store.claimTokens.get(presented)
    // A claimed server answers a claim 401, as it does any request it does not authorize (ukdtom/ClaimIt issue 1:
    // "If we try and claim an already claimed server, PMS returns 401"); a bad claim token on an unclaimed one, 400.
    if (ctx.store.isClaimed(server)) return Http.htmlPage(401)
    if (claim === undefined || ctx.now >= claim.expiresAt) return Http.htmlPage(400)
    ctx.store.claimTokens.delete(presented)
    ctx.store.claims.set(server.clientIdentifier, claim.accountId)
    // The server's `/myplex/account` document, signed in as the claimer (python-plexapi `PlexServer.claim`).
    return Http.pmsDocument(
      ctx.json,
      200,
      "MyPlex",
      Payloads.myPlexAccount(server, ctx.store.accounts.get(claim.accountId), ctx.store.serverToken(server))
    )
  })

  // python-plexapi `PlexServer.unclaim()` (`DELETE /myplex/account`): the owner's admin token signs the server out
  // of plex.tv and leaves it unclaimed (as revoking its device does), answering the document signed in to no one.
  const unclaimServer = b.pms("unclaimServer", ["DELETE"], "/myplex/account", (ctx, server) => {
    const access = ctx.store.pmsAccess(server, b.token(ctx), ctx.now)
    if (access === undefined || !access.admin) return Http.htmlPage(401)
    ctx.store.release(server)
    return Http.pmsDocument(ctx.json, 200, "MyPlex", Payloads.myPlexAccount(server, undefined, ""))
  })

  // python-plexapi `PlexServer.account()` (`Account.key`, `/myplex/account`): the server's plex.tv sign-in. An
  // unclaimed server is signed in to no account (`signInState` "none") and asks for no token; a claimed one
  // answers its owner's (admin) token only.
  const myPlexAccount = b.pms("getMyPlexAccount", ["GET"], "/myplex/account", (ctx, server) => {
    const ownerId = ctx.store.ownerOf(server)
    if (ownerId === undefined)
      return Http.pmsDocument(ctx.json, 200, "MyPlex", Payloads.myPlexAccount(server, undefined, ""))
    const access = ctx.store.pmsAccess(server, b.token(ctx), ctx.now)
    if (access === undefined || !access.admin) return Http.htmlPage(401)
    return Http.pmsDocument(
      ctx.json,
      200,
      "MyPlex",
      Payloads.myPlexAccount(server, ctx.store.accounts.get(ownerId), ctx.store.serverToken(server))
    )
  })

  const deviceList = (ctx: Context, account: SeedAccount) => {
    const devices = [...ctx.store.devices.values()].filter((d) => d.accountId === account.id)
    return container(200, {
      publicAddress: "198.51.100.200",
      Device: [
        ...devices.map((d) => ({
          name: d.name,
          publicAddress: "198.51.100.200",
          product: d.product,
          productVersion: d.productVersion,
          platform: d.platform,
          platformVersion: d.platformVersion,
          device: d.device,
          model: d.model,
          vendor: d.vendor,
          provides: d.provides,
          clientIdentifier: d.clientIdentifier,
          version: d.productVersion,
          id: d.id,
          token: d.token,
          createdAt: d.createdAt,
          lastSeenAt: d.lastSeenAt,
          screenResolution: d.screenResolution,
          screenDensity: "",
          Connection: []
        })),
        // plex.tv lists the account's own servers among its devices (python-plexapi's test finds the server
        // with `account.device(plex.friendlyName)`; `MyPlexDevice.connect` makes a `PlexServer` of one whose
        // `provides` has `server`).
        ...ownedBy(ctx, account.id).map((s) => Payloads.serverAuthorizedDevice(s, ctx.store.serverToken(s)))
      ]
    })
  }

  // python-plexapi `devices()` / `MyPlexDevice.delete`, @ctrl/plex `devices()` / `MyPlexDevice.delete`
  // (`https://plex.tv/devices.xml`, `https://plex.tv/devices/{id}.xml`): XML, the format the `.xml` names.
  const devicesXml = legacy(b.plexTvAccount("getDevices", "GET", "/devices.xml", deviceList))
  const deleteDevice = xmlBySuffix(
    b.plexTvAccount("deleteDevice", "DELETE", "/devices/:id", (ctx, account) => {
      const id = Number((ctx.params["id"] ?? "").replace(/\.(json|xml)$/, ""))
      const device = ctx.store.devices.get(id)
      if (device === undefined || device.accountId !== account.id) {
        // Revoking a server's device removes the server from the account (hassio-addons/app-plex issue 221:
        // it is gone from the account's servers until it is claimed again).
        const server = ownedBy(ctx, account.id).find((s) => s.deviceId === id)
        if (server === undefined) return notFound(ctx, "Device not found")
        ctx.store.release(server)
        return Http.empty(204)
      }
      // Its session is signed out: every token handed to it is refused from now on (422 "Invalid token").
      ctx.store.revokeDevice(id)
      return Http.empty(204)
    })
  )

  /**
   * Removes a server from an account, as plex.tv's `DELETE /api/servers/{machineIdentifier}` does for @ctrl/plex's
   * `MyPlexResource.delete()` (src/myplex.ts: `https://plex.tv/api/servers/${clientIdentifier}`, with
   * `X-Plex-Client-Identifier` and `X-Plex-Token` in the query, the token the resource's `accessToken`, no other
   * header): its owner's removal leaves the server unclaimed, out of the account, as revoking the server's device
   * does (`deleteDevice`); a user it is shared with leaves the share (the server leaves the user's resources, the
   * user the owner's `/api/users/` and `/api/v2/friends` if nothing else is shared, and the share's token is refused
   * by the server). No reference records plex.tv's answer: 204, as `DELETE /devices/{id}.xml`; 404 (XML) for a
   * server the account neither owns nor has a share of. A Home user's share through the Home is the Home's, not its
   * own to leave (as `removeFriend` leaves it alone): it ends when the user leaves the Home (`removeHomeUser`), and
   * this refuses it 403 (XML), the fake's choice, no reference recording plex.tv's answer. A user both in the Home and
   * a friend leaves the share that is its own, the friend's (204), whatever order the shares are listed in, and keeps
   * the Home's (the server stays in its resources, through the Home), as `removeFriend` and `removeHomeUser` each end
   * one and leave the other; the Home share's own token names that share, and is refused 403.
   */
  const removeServer = (ctx: Context, accountId: number, presented?: string): Response => {
    const server = ctx.store.server(ctx.params["machineId"] ?? "")
    if (server !== undefined && ctx.store.ownerOf(server) === accountId) {
      ctx.store.release(server)
      return Http.empty(204)
    }
    const shares =
      server === undefined ? [] : ctx.store.sharesOf(server).filter((s) => s.accountId === accountId)
    const share =
      shares.find((s) => s.accessToken === presented) ?? shares.find((s) => s.home !== true) ?? shares[0]
    if (server === undefined || share === undefined || !ctx.store.isClaimed(server)) {
      return notFound(ctx, "Server not found")
    }
    if (share.home === true) return Http.plexTvError(false, 403, undefined, homeShareMessage)
    ctx.store.endedShares.add(share.key)
    return Http.empty(204)
  }
  const removeServerByAccount = b.plexTvAccount(
    "removeServer",
    "DELETE",
    "/api/servers/:machineId",
    (ctx, account) => removeServer(ctx, account.id)
  )
  // The token @ctrl/plex sends is the resource's `accessToken` (`/api/v2/resources`): a server's own token for an
  // owned server, the share's token for a shared one. The fake takes those here, for the server they name, besides
  // the account's own tokens; its other plex.tv routes take account tokens only.
  const deleteServer = legacy(
    b.plexTv("removeServer", "DELETE", "/api/servers/:machineId", (ctx) => {
      const server = ctx.store.server(ctx.params["machineId"] ?? "")
      const presented = b.token(ctx)
      const owner = server === undefined ? undefined : ctx.store.ownerOf(server)
      if (server !== undefined && presented !== undefined) {
        if (owner !== undefined && presented === ctx.store.serverToken(server))
          return removeServer(ctx, owner)
        const share = ctx.store.sharesOf(server).find((s) => s.accessToken === presented)
        if (owner !== undefined && share !== undefined) return removeServer(ctx, share.accountId, presented)
      }
      return removeServerByAccount.handle(ctx)
    })
  )

  // Sharing a server by invitation, as python-plexapi and @ctrl/plex do it: the owner invites a user
  // (`inviteFriend`), the invite is pending on both sides (`pendingInvites`), the invitee accepts it
  // (`acceptInvite`), or the owner cancels it (`cancelInvite`). An accepted invite is a share like a seeded one
  // (store sharesOf): the server is in the invitee's resources and takes its tokens, the invitee is among the
  // owner's users and friends. An invite lapses when its server leaves the inviter (store pendingInvites), as a
  // share ends. No reference records plex.tv's answers to these requests: 204 for each change.

  // python-plexapi `inviteFriend` and @ctrl/plex `inviteFriend` (FRIENDINVITE, POST, JSON
  // `{"server_id", "shared_server": {"library_section_ids": [...], "invited_email": username or email}, ...}`;
  // @ctrl/plex may send `invited_id`): 404 for a server the account does not own or an unknown user, 422 for a user
  // the server is shared with or invited to already, or the account itself (the fake's words).
  const inviteFriend = legacy(
    b.plexTvAccount("inviteFriend", "POST", "/api/servers/:machineId/shared_servers", (ctx, account) => {
      const server = ctx.store.server(ctx.params["machineId"] ?? "")
      if (server === undefined || ctx.store.ownerOf(server) !== account.id)
        return notFound(ctx, "Server not found")
      const shared = jsonBody(ctx.headers.get("content-type"), ctx.body)?.["shared_server"]
      const wanted = typeof shared === "object" && shared !== null ? (shared as Record<string, unknown>) : {}
      const invitee =
        typeof wanted["invited_email"] === "string"
          ? ctx.store.accountByLogin(wanted["invited_email"])
          : typeof wanted["invited_id"] === "number"
            ? ctx.store.accounts.get(wanted["invited_id"])
            : undefined
      // A managed Home user has no plex.tv account of its own to invite.
      if (invitee === undefined || invitee.managed) return notFound(ctx, "User could not be found")
      const already =
        invitee.id === account.id ||
        ctx.store.sharesOf(server).some((s) => s.accountId === invitee.id) ||
        ctx.store
          .pendingInvites()
          .some((i) => i.serverId === server.clientIdentifier && i.toAccountId === invitee.id)
      if (already) return b.unprocessable(ctx, "The server is shared with this user, or invited, already")
      ctx.store.invites.push({
        fromAccountId: account.id,
        toAccountId: invitee.id,
        serverId: server.clientIdentifier,
        createdAt: Math.floor(ctx.now / 1000)
      })
      return Http.empty(204)
    })
  )

  /**
   * The pending invites between the account and other users, one `<Invite>` per user (its `id` the user's, which
   * accepting or cancelling names), with a `<Server>` per server, as python-plexapi's `MyPlexInvite` and
   * `MyPlexServerShare` read them (`friend`, `server`, `home` flags; @ctrl/plex reads the same attributes).
   */
  const invitesWith = (ctx: Context, account: SeedAccount, direction: "sent" | "received") => {
    const mine = ctx.store
      .pendingInvites()
      .filter((i) => (direction === "sent" ? i.fromAccountId === account.id : i.toAccountId === account.id))
    const others = [...new Set(mine.map((i) => (direction === "sent" ? i.toAccountId : i.fromAccountId)))]
    const list = others.flatMap((otherId) => {
      const other = ctx.store.accounts.get(otherId)
      if (other === undefined) return []
      const theirs = mine.filter((i) => (direction === "sent" ? i.toAccountId : i.fromAccountId) === otherId)
      return [
        {
          id: other.id,
          createdAt: Math.min(...theirs.map((i) => i.createdAt)),
          email: other.email,
          friend: 1,
          friendlyName: other.friendlyName,
          home: 0,
          server: 1,
          thumb: `https://plex.tv/users/${other.uuid}/avatar`,
          username: other.username,
          Server: theirs.flatMap((i) => {
            const server = ctx.store.server(i.serverId)
            return server === undefined ? [] : [{ ...sharedServer(ctx, i.toAccountId, server), pending: 1 }]
          })
        }
      ]
    })
    return container(200, { friendlyName: "myPlex", size: list.length, Invite: list })
  }

  // python-plexapi `pendingInvites` (MyPlexInvite.REQUESTED, sent; REQUESTS, received), @ctrl/plex's.
  const sentInvites = legacy(
    b.plexTvAccount("pendingInvites", "GET", "/api/invites/requested", (ctx, account) =>
      invitesWith(ctx, account, "sent")
    )
  )
  const receivedInvites = legacy(
    b.plexTvAccount("pendingInvites", "GET", "/api/invites/requests", (ctx, account) =>
      invitesWith(ctx, account, "received")
    )
  )

  // python-plexapi `acceptInvite` and @ctrl/plex's (PUT REQUESTS/{id}?friend=&home=&server=, the inviter's id): every
  // pending invite from that user becomes a share. 404 when there is none.
  const acceptInvite = legacy(
    b.plexTvAccount("acceptInvite", "PUT", "/api/invites/requests/:id", (ctx, account) => {
      const from = Number(ctx.params["id"])
      const accepted = ctx.store
        .pendingInvites()
        .filter((i) => i.fromAccountId === from && i.toAccountId === account.id)
      if (accepted.length === 0) return notFound(ctx, "Invite not found")
      ctx.store.invites = ctx.store.invites.filter((i) => !accepted.includes(i))
      for (const invite of accepted) {
        const server = ctx.store.server(invite.serverId)
        if (server !== undefined) ctx.store.addShare(server, invite.fromAccountId, account.id)
      }
      return Http.empty(204)
    })
  )

  // python-plexapi `cancelInvite` and @ctrl/plex's (DELETE REQUESTED/{id}?friend=&home=&server=, the invitee's id):
  // every pending invite to that user is withdrawn. 404 when there is none.
  const cancelInvite = legacy(
    b.plexTvAccount("cancelInvite", "DELETE", "/api/invites/requested/:id", (ctx, account) => {
      const to = Number(ctx.params["id"])
      const cancelled = ctx.store
        .pendingInvites()
        .filter((i) => i.toAccountId === to && i.fromAccountId === account.id)
      if (cancelled.length === 0) return notFound(ctx, "Invite not found")
      ctx.store.invites = ctx.store.invites.filter((i) => !cancelled.includes(i))
      return Http.empty(204)
    })
  )

  // python-plexapi `MyPlexAccount.removeFriend` and @ctrl/plex `removeFriend` (FRIENDUPDATE
  // `https://plex.tv/api/v2/sharings/{userId}`, DELETE, the user's id from `/api/users/`): the friendship ends, and
  // with it every share of the account's servers with that user (the server leaves the user's resources and refuses
  // its tokens). A Home user's shares through the Home are not a friendship's (python-plexapi's `removeHomeUser` is
  // another route): a user with no other share is no friend, 404. No reference records plex.tv's answer: 204.
  const removeFriend = b.plexTvAccount(
    "removeFriend",
    "DELETE",
    "/api/v2/sharings/:userId",
    (ctx, account) => {
      const userId = Number(ctx.params["userId"])
      const shares = ownedBy(ctx, account.id).flatMap((server) =>
        ctx.store.sharesOf(server).filter((share) => share.accountId === userId && share.home !== true)
      )
      if (shares.length === 0) return notFound(ctx, "User could not be found")
      for (const share of shares) ctx.store.endedShares.add(share.key)
      return Http.empty(204)
    }
  )

  // Plex Home PINs: four digits, as the library checks them (core/home.ts pinProblem, one place for that fact); a
  // PIN of another form, or none, is refused 400 in the fake's own words (no reference records plex.tv's).
  const homePinProblem = (pin: string | null) =>
    pin === null
      ? "pin is missing"
      : Home.pinProblem(pin) === undefined
        ? undefined
        : "A Home PIN is four digits"
  const withHomePin = (ctx: Context, user: SeedAccount, pin: string | undefined) => {
    ctx.store.accounts.set(user.id, { ...user, homePin: pin, homePinListed: pin !== undefined })
  }

  // python-plexapi `MyPlexAccount.setPin`/`removePin` and @ctrl/plex `setPin`/`removePin` (HOMEUSER
  // `https://plex.tv/api/home/users/{userId}`, PUT, the account's own id, `?pin=…[&currentPin=…]`; `pin` empty
  // removes it): the account's own Home PIN, which a switch to it then asks for. Changing or removing a PIN takes the
  // current one (403, code 1041, as a switch's wrong PIN, otherwise). Another user's id: 403 for one of the account's
  // Home (an admin sets a managed user's PIN with the route below), 404 otherwise. A managed user's own id: 403, as
  // the route below refuses anyone but the Home's admin (python-plexapi `setManagedUserPin`: "This must be done from
  // the Plex Home admin account"; a managed user has no password, its PIN the one lock on it). Legacy: XML, 204.
  const setHomePin = legacy(
    b.plexTvAccount("setHomePin", "PUT", "/api/home/users/:id", (ctx, account) => {
      const wanted = ctx.params["id"] ?? ""
      if (wanted !== String(account.id) && wanted !== account.uuid) {
        return homeTarget(ctx, account, wanted) === undefined
          ? notFound(ctx, "User could not be found")
          : Http.plexTvError(false, 403, undefined, "Only a user's own PIN is set here (the fake's words)")
      }
      if (account.managed) return Http.plexTvError(false, 403, undefined, managedPinMessage)
      if (account.homePin !== undefined && (ctx.query.get("currentPin") ?? "") !== account.homePin) {
        return Http.plexTvError(false, 403, 1041, pinRefusedMessage)
      }
      const pin = ctx.query.get("pin")
      const problem = pin === "" ? undefined : homePinProblem(pin)
      if (problem !== undefined) return Http.plexTvError(false, 400, undefined, problem)
      withHomePin(ctx, account, pin === "" || pin === null ? undefined : Home.pinValue(pin))
      return Http.empty(204)
    })
  )

  // python-plexapi `MyPlexAccount.removeHomeUser` and @ctrl/plex `removeHomeUser` (HOMEUSER
  // `https://plex.tv/api/home/users/{userId}`, DELETE, the user's id from `/api/users/`): the Home's admin removes a
  // user from the Home. The user is in no Home from then on (the Home's listings, its payloads' `home`, `homeSize`,
  // a switch to it: 404), and the shares it had through the Home end (the servers leave its resources and refuse
  // its tokens); a share of its own as a friend stays. A managed user, which has no account outside its Home, is
  // deleted, as plex.tv deletes it (plexopedia's "Remove a User": "the ID of the user to be deleted"; what was
  // associated with the user is gone): its tokens are refused from then on (store deleteAccess). 403 for a Home user
  // not its admin, or the admin removing itself; 404 for a user not of the Home. Legacy: XML whatever is asked; no
  // reference records plex.tv's success answer: 204.
  const removeHomeUser = legacy(
    b.plexTvAccount("removeHomeUser", "DELETE", "/api/home/users/:id", (ctx, account) => {
      const found = homeTarget(ctx, account, ctx.params["id"] ?? "")
      if (found === undefined) return notFound(ctx, "User could not be found")
      if (found.home.adminId !== account.id || found.target.id === account.id) {
        return Http.plexTvError(
          false,
          403,
          undefined,
          "Only the Home's admin removes another user (the fake's words)"
        )
      }
      // Its Home shares end with its membership (store sharesOf), and the tokens Home switches handed out between
      // it and the Home's other users (store leaveHome).
      ctx.store.leaveHome(found.target.id)
      if (found.target.managed) ctx.store.deleteAccess(found.target.id)
      return Http.empty(204)
    })
  )

  // python-plexapi `setManagedUserPin`/`removeManagedUserPin` and @ctrl/plex's (MANAGEDHOMEUSER
  // `https://plex.tv/api/v2/home/users/restricted/{userId}`, POST, `?pin=…` or `?removePin=1`): the Home's admin
  // sets or removes a managed user's PIN, no current PIN asked. 404 for a user not a managed user of the account's
  // Home, 403 for a Home user who is not its admin. No reference records plex.tv's success answer: 204.
  const setManagedUserPin = b.plexTvAccount(
    "setManagedUserPin",
    "POST",
    "/api/v2/home/users/restricted/:id",
    (ctx, account) => {
      const found = homeTarget(ctx, account, ctx.params["id"] ?? "")
      if (found === undefined || !found.target.managed) return notFound(ctx, "User could not be found")
      if (found.home.adminId !== account.id) {
        return Http.plexTvError(ctx.json, 403, undefined, managedPinMessage)
      }
      const remove = /^(1|true)$/i.test(ctx.query.get("removePin") ?? "")
      const problem = remove ? undefined : homePinProblem(ctx.query.get("pin"))
      if (problem !== undefined) return Http.plexTvError(ctx.json, 400, undefined, problem)
      withHomePin(ctx, found.target, remove ? undefined : Home.pinValue(ctx.query.get("pin") ?? ""))
      return Http.empty(204)
    }
  )

  // python-plexapi `link` (`PUT https://plex.tv/api/v2/pins/link`, form `code`), @ctrl/plex `linkPin`.
  const link = b.plexTvAccount("linkPin", "PUT", "/api/v2/pins/link", async (ctx, account) => {
    const code = (ctx.form?.get("code") ?? ctx.query.get("code") ?? "").trim()
    if (code === "") return Http.plexTvError(ctx.json, 400, undefined, "code is missing")
    // plex.tv/link takes a short PIN's four-character code only (core/devices.ts linkCode): a strong PIN's is unknown here.
    const pin = Approve.pinByCode(ctx.store, code)
    if (pin === undefined || pin.strong)
      return Http.plexTvError(ctx.json, 404, 1020, "Code not found or expired")
    const approved = await Approve.approve(ctx.store, pin, account, ctx.now)
    if ("refused" in approved) {
      switch (approved.refused) {
        case "Expired":
          return Http.plexTvError(ctx.json, 404, 1020, "Code not found or expired")
        case "AlreadyApproved":
          return b.unprocessable(ctx, "Code already used")
        case "KeyOfAnotherAccount":
          return b.unprocessable(ctx, "The key belongs to another account")
      }
    }
    return Http.empty(204)
  })

  return [
    homeUsers,
    home,
    switchUser,
    legacyHomeUsers,
    legacySwitchUser,
    setHomePin,
    setManagedUserPin,
    removeHomeUser,
    users,
    friends,
    sharedServers,
    deleteServer,
    removeFriend,
    inviteFriend,
    sentInvites,
    receivedInvites,
    acceptInvite,
    cancelInvite,
    claimToken,
    claimServer,
    myPlexAccount,
    unclaimServer,
    devicesXml,
    deleteDevice,
    link
  ]
}
