/**
 * The fake's route table: plex.tv's account API and a Plex Media Server's
 * security endpoints. A route is a name (the client operation it serves),
 * the host kind, the methods, a path pattern and a handler; add a route here
 * to teach the fake a new endpoint.
 *
 * @internal
 */
import * as Jose from "../jose.js"
import * as Http from "./http.js"
import * as Jwts from "./jwt.js"
import * as Payloads from "./payloads.js"
import type { SeedAccount, SeedServer } from "./seed.js"
import type { DeviceIdentity, Host, PinEntry, Store } from "./store.js"
import * as Features from "./features.js"
import * as ApprovalPage from "./approvalPage.js"
import * as Approve from "./approve.js"
import * as Xml from "./xml.js"

/** What a handler sees of a request. */
export interface Context {
  readonly request: Request
  readonly url: URL
  readonly origin: string
  readonly method: string
  readonly headers: Headers
  readonly query: URLSearchParams
  readonly body: string
  readonly form: URLSearchParams | undefined
  /** Whether the request asks for JSON (`Accept: application/json`). */
  readonly json: boolean
  readonly params: Readonly<Record<string, string>>
  readonly now: number
  readonly store: Store
  readonly host: Host
}

/** A handler's answer. */
export type Reply = Response | Promise<Response>

/** One endpoint. */
export interface Route {
  readonly name: string
  readonly host: "plexTv" | "server"
  readonly methods: ReadonlyArray<string> | "*"
  readonly path: string
  readonly handle: (ctx: Context) => Reply
}

/** An `X-Plex-*` value from the headers or, as browsers send them, the query string. */
export const plexValue = (ctx: Pick<Context, "headers" | "query">, name: string): string | undefined => {
  const header = ctx.headers.get(name)
  if (header !== null && header !== "") return header
  for (const [key, value] of ctx.query) {
    if (key.toLowerCase() === name.toLowerCase() && value !== "") return value
  }
  return undefined
}

export const token = (ctx: Context) => plexValue(ctx, "X-Plex-Token")

/** The identity a client sent (its `X-Plex-*` headers), as plex.tv keeps it on the client's device entry. */
export const deviceIdentity = (
  ctx: Pick<Context, "headers" | "query">,
  clientIdentifier: string,
  fallback: { readonly product?: string | undefined } = {}
): DeviceIdentity => {
  const read = (name: string) => plexValue(ctx, `X-Plex-${name}`) ?? ""
  return {
    clientIdentifier,
    name: read("Device-Name"),
    product: plexValue(ctx, "X-Plex-Product") ?? fallback.product ?? "",
    productVersion: read("Version"),
    platform: read("Platform"),
    platformVersion: read("Platform-Version"),
    device: read("Device"),
    model: read("Model"),
    vendor: read("Device-Vendor"),
    provides: read("Provides")
  }
}

// ---------------------------------------------------------------------------
// plex.tv
// ---------------------------------------------------------------------------

export const unauthenticated = (ctx: Context) =>
  Http.plexTvError(ctx.json, 401, 1001, "User could not be authenticated")

/**
 * A token plex.tv knew but no longer accepts (signed out, its device removed): 422 "Invalid token", as
 * python-plexapi found (`MyPlexAccount.query`: a 422 whose text says "Invalid token" is `Unauthorized`;
 * pushingkarmaorg/python-plexapi pull request 1138: "hitting plex.tv with a deauthorized token will not return
 * a 401 as expected, but instead a 422"). A token it never issued is a 401 (code 1001).
 */
export const invalidToken = (ctx: Context) =>
  ctx.json
    ? Http.plexTvError(true, 422, undefined, "Invalid token")
    : // The XML as python-plexapi pull request 1138 shows it: the message as the element's text.
      Http.bytes(
        422,
        Http.plexTvXml,
        `<?xml version="1.0" encoding="UTF-8"?>\n<errors>\n  <error>Invalid token</error>\n</errors>\n`
      )

/** A Plex JWT past its `exp`. */
export const tokenExpired = (ctx: Context) => Http.plexTvError(ctx.json, 498, undefined, "Token expired")

/** A plex.tv route: every one of them requires `X-Plex-Client-Identifier` (code 1000). */
export const plexTv = (
  name: string,
  method: string,
  path: string,
  handle: (ctx: Context, clientIdentifier: string) => Reply
): Route => ({
  name,
  host: "plexTv",
  methods: [method],
  path,
  handle: (ctx) => {
    const clientIdentifier = plexValue(ctx, "X-Plex-Client-Identifier")
    return clientIdentifier === undefined
      ? Http.plexTvError(ctx.json, 400, 1000, "X-Plex-Client-Identifier is missing")
      : handle(ctx, clientIdentifier)
  }
})

/** A plex.tv route that acts for the account of the `X-Plex-Token` (401, code 1001, otherwise). */
export const plexTvAccount = (
  name: string,
  method: string,
  path: string,
  handle: (ctx: Context, account: SeedAccount, token: string) => Reply
): Route =>
  plexTv(name, method, path, (ctx) => {
    const presented = token(ctx)
    if (Jwts.isExpired(ctx.store, presented, ctx.now)) return tokenExpired(ctx)
    const account = ctx.store.accountByToken(presented)
    if (account === undefined || presented === undefined) {
      return presented !== undefined && ctx.store.tokens.get(presented)?.revoked === true
        ? invalidToken(ctx)
        : unauthenticated(ctx)
    }
    return handle(ctx, account, presented)
  })

/** A fresh account token (one place for it, with PIN approval: `approve.ts`). */
export const mintToken = Approve.mintToken

const signIn = plexTv("postUsersSignInData", "POST", "/api/v2/users/signin", async (ctx, client) => {
  const form = ctx.form ?? new URLSearchParams()
  const login = form.get("login") ?? ""
  const password = form.get("password") ?? ""
  const code = (form.get("verificationCode") ?? "").trim()
  const account = login.trim() === "" ? undefined : ctx.store.accountByLogin(login)
  if (account === undefined || password === "" || password !== account.password) return unauthenticated(ctx)
  if (account.twoFactorCode !== undefined) {
    if (code === "") return Http.plexTvError(ctx.json, 401, 1029, "Please enter the verification code")
    if (code !== account.twoFactorCode)
      return Http.plexTvError(ctx.json, 401, 1028, "Invalid verification code")
  }
  const rememberMe = /^(true|1)$/i.test(form.get("rememberMe") ?? "")
  const minted = await mintToken(ctx.store, account.id, ctx.now, "signIn")
  // The signing-in client becomes (or is again) one of the account's devices, holding this token.
  ctx.store.signedIn(account.id, deviceIdentity(ctx, client), minted, ctx.now)
  const payload = Payloads.account(account, minted, ctx.now, {
    signIn: true,
    rememberMe,
    home: ctx.store.homeOf(account.id)
  })
  return Http.plexTv(ctx.json, 201, "user", ctx.json ? payload : Payloads.accountForXml(payload))
})

/** The login and password of a Basic `Authorization` header (`undefined` without one, or for a malformed one). */
const basicCredentials = (
  headers: Headers
): { readonly login: string; readonly password: string } | undefined => {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(headers.get("authorization") ?? "")
  if (match === null) return undefined
  let decoded: string
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(match[1] ?? ""), (c) => c.charCodeAt(0))
    )
  } catch {
    return undefined
  }
  const colon = decoded.indexOf(":")
  return colon < 0 ? undefined : { login: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/**
 * The legacy sign-in's refusal. Its status (401) and its form, `{"error": "…"}` (a recorded plex.tv answer on this
 * route has it: trakt-scrobbler issue 356, 2026) or `<errors><error>…</error></errors>`, are plex.tv's; clients
 * read the status. No reference records plex.tv's words for a wrong password here, so the message is the fake's
 * own and says so (a test matching it would otherwise be matching words plex.tv may not send).
 */
export const legacySignInRefusal =
  "fake plex.tv: wrong login or password (the fake's own words, not plex.tv's)"

/** A legacy plex.tv route in the format its path names (`.json`: JSON; otherwise XML), whatever `Accept` says. */
const inFormat = (format: "json" | "xml", route: Route): Route => ({
  ...route,
  handle: (ctx) => route.handle({ ...ctx, json: format === "json" })
})

/**
 * An account as plex.tv's legacy routes answer it: `{"user": {...}}`, the account as `/api/v2/user` has it plus
 * `authentication_token` (the legacy name of its `authToken`), or the legacy XML account
 * ({@link Payloads.legacyAccountXml}: `<user authenticationToken="…" …>`, the attribute python-plexapi read before
 * 4.15, and `<authentication-token>`).
 */
const legacyUser = (ctx: Context, status: number, account: SeedAccount, token: string, signIn: boolean) => {
  const payload = {
    ...Payloads.account(account, token, ctx.now, {
      signIn,
      rememberMe: false,
      home: ctx.store.homeOf(account.id)
    }),
    authentication_token: token
  }
  return ctx.json
    ? Http.bytes(status, Http.plexTvJson, JSON.stringify({ user: payload }))
    : Http.bytes(status, Http.plexTvXml, Payloads.legacyAccountXml(payload))
}

/**
 * plex.tv's legacy sign-in, `POST /users/sign_in.json` (or `.xml`), which @ctrl/plex's `MyPlexAccount.connect()`
 * calls with a login and password (its `SIGNIN`), as python-plexapi 4.3 to 4.14 did (`sign_in.xml`): the
 * credentials in a Basic `Authorization` header (or the form's `user[login]` and `user[password]`), a second factor
 * after the password (python-plexapi's `password += code`); 201 with the account ({@link legacyUser}), or 401 in
 * the legacy form of plex.tv's errors, `{"error": "…"}` or `<errors><error>…</error></errors>`. Same accounts,
 * tokens and devices as the v2 sign-in.
 */
const legacySignIn = (format: "json" | "xml") =>
  inFormat(
    format,
    plexTv("postUsersSignInData", "POST", `/users/sign_in.${format}`, async (ctx, client) => {
      const credentials = basicCredentials(ctx.headers) ?? {
        login: ctx.form?.get("user[login]") ?? "",
        password: ctx.form?.get("user[password]") ?? ""
      }
      const account =
        credentials.login.trim() === "" ? undefined : ctx.store.accountByLogin(credentials.login)
      const expected = account === undefined ? undefined : account.password + (account.twoFactorCode ?? "")
      if (account === undefined || credentials.password === "" || credentials.password !== expected) {
        return ctx.json
          ? Http.bytes(401, Http.plexTvJson, JSON.stringify({ error: legacySignInRefusal }))
          : Http.bytes(
              401,
              Http.plexTvXml,
              `<?xml version="1.0" encoding="UTF-8"?>\n<errors>\n  <error>${legacySignInRefusal}</error>\n</errors>\n`
            )
      }
      const minted = await mintToken(ctx.store, account.id, ctx.now, "signIn")
      ctx.store.signedIn(account.id, deviceIdentity(ctx, client), minted, ctx.now)
      return legacyUser(ctx, 201, account, minted, true)
    })
  )

/**
 * plex.tv's legacy account route, `GET /users/account` (XML; `.xml`, `.json`), which python-plexapi 4.3 to 4.14's
 * `MyPlexAccount(token=…)` reads (its `key`): the account of the `X-Plex-Token` ({@link legacyUser}).
 */
const legacyAccount = (path: string, format: "json" | "xml") =>
  inFormat(
    format,
    plexTvAccount("getTokenDetails", "GET", path, (ctx, account, presented) =>
      legacyUser(ctx, 200, account, presented, false)
    )
  )

const user = plexTvAccount("getTokenDetails", "GET", "/api/v2/user", (ctx, account, presented) =>
  Http.plexTv(
    ctx.json,
    200,
    "user",
    (ctx.json ? (payload: Record<string, unknown>) => payload : Payloads.accountForXml)(
      Payloads.account(account, presented, ctx.now, {
        signIn: false,
        rememberMe: false,
        home: ctx.store.homeOf(account.id)
      })
    )
  )
)

const pinPayload = (ctx: Context, pin: PinEntry) => Payloads.pin(pin, ctx.now, ctx.store.seed.plexTvUrl)

const isTrue = (value: string | null | undefined) =>
  value !== null && value !== undefined && /^(true|1)$/i.test(value)

/** Whether a PIN request asks for a strong PIN: `strong` in the query, the form or a JSON body. */
const asksStrong = (ctx: Context): boolean => {
  if (isTrue(ctx.query.get("strong")) || isTrue(ctx.form?.get("strong"))) return true
  if (!/json/i.test(ctx.headers.get("content-type") ?? "")) return false
  try {
    return (JSON.parse(ctx.body) as { strong?: unknown }).strong === true
  } catch {
    return false
  }
}

/**
 * A new PIN of `clientIdentifier`, kept in the store (one place for plex.tv's v2 `POST /api/v2/pins` and its legacy
 * `POST /pins.xml`: one kind of PIN, whichever route made it).
 */
const newPin = (
  ctx: Context,
  clientIdentifier: string,
  strong: boolean,
  jwk: PinEntry["jwk"] = undefined
): PinEntry => {
  const draw = () =>
    strong
      ? ctx.store.randomString(25, "abcdefghijklmnopqrstuvwxyz0123456789")
      : ctx.store.randomString(4, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
  // A code no other PIN of the fake has (plex.tv/link, the approval page and approvePin find a PIN by its code):
  // drawn again on a clash. A short code is one of 32^4, so a fake with a few PINs drew one twice about once in
  // a few hundred thousand runs, and the code then named the older PIN.
  let code = draw()
  while (Approve.pinByCode(ctx.store, code) !== undefined) code = draw()
  const lifetime = strong ? ctx.store.seed.strongPinLifetimeMillis : ctx.store.seed.shortPinLifetimeMillis
  const pin: PinEntry = {
    id: ctx.store.newPinId(),
    code,
    strong,
    clientIdentifier,
    product: plexValue(ctx, "X-Plex-Product") ?? "",
    createdAt: ctx.now,
    expiresAt: ctx.now + lifetime,
    authToken: undefined,
    accountId: undefined,
    jwk
  }
  ctx.store.pins.set(pin.id, pin)
  return pin
}

const createPin = plexTv("createPin", "POST", "/api/v2/pins", async (ctx, clientIdentifier) => {
  // JWT PIN: `{"jwk": {...}, "strong": true}` binds the PIN's token to a device key.
  const body = Jwts.jsonBody(ctx.headers.get("content-type"), ctx.body)
  const jwk = body !== undefined && "jwk" in body ? await Jwts.readJwk(body["jwk"]) : undefined
  if (body !== undefined && "jwk" in body && jwk === undefined) return unprocessable(ctx, "Invalid JWK")
  return Http.plexTv(
    ctx.json,
    201,
    "pin",
    pinPayload(ctx, newPin(ctx, clientIdentifier, asksStrong(ctx), jwk))
  )
})

/** The PIN a check asks for: undefined when unknown, expired or created by another client (plex.tv's 404). */
const checkedPin = (ctx: Context, clientIdentifier: string): PinEntry | undefined => {
  const pin = ctx.store.pins.get(Number(ctx.params["id"]))
  return pin === undefined || pin.clientIdentifier !== clientIdentifier || ctx.now >= pin.expiresAt
    ? undefined
    : pin
}

/** The token of an approved PIN, handed to the client that created it, signs that client in: its device entry. */
const handOut = (ctx: Context, clientIdentifier: string, pin: PinEntry): void => {
  if (pin.authToken !== undefined && pin.accountId !== undefined) {
    const identity = deviceIdentity(ctx, clientIdentifier, { product: pin.product })
    ctx.store.signedIn(pin.accountId, identity, pin.authToken, ctx.now)
  }
}

const checkPin = plexTv("checkPin", "GET", "/api/v2/pins/:id", async (ctx, clientIdentifier) => {
  const pin = checkedPin(ctx, clientIdentifier)
  if (pin === undefined) return Http.plexTvError(ctx.json, 404, 1020, "Code not found or expired")
  const handedOut = (handed: PinEntry) => {
    handOut(ctx, clientIdentifier, handed)
    return Http.plexTv(ctx.json, 200, "pin", pinPayload(ctx, handed))
  }
  if (pin.jwk === undefined) return handedOut(pin)
  // A JWT PIN hands out its token only for a device JWT signed with the PIN's key.
  const presented = ctx.query.get("deviceJWT")
  const withheld = Http.plexTv(ctx.json, 200, "pin", pinPayload(ctx, { ...pin, authToken: undefined }))
  if (presented === null) return withheld
  const parsed = Jose.parse(presented)
  if (parsed === undefined) return unprocessable(ctx, "Malformed device JWT")
  // Approved, the PIN's key was registered: unregistered since (its device revoked, unregisterDeviceKey), a device
  // JWT signed with it is refused here as at the exchange, so that an approved PIN checked again mints no token.
  if (pin.authToken !== undefined && ctx.store.deviceKeys.get(pin.jwk.kid)?.x !== pin.jwk.x) {
    return unprocessable(ctx, "Signature verification failed")
  }
  const failure = await Jwts.checkDeviceJwt(ctx.store, parsed, pin.jwk, clientIdentifier, ctx.now)
  if (failure !== undefined) return unprocessable(ctx, failure)
  if (pin.authToken === undefined || pin.accountId === undefined) return withheld
  ctx.store.nonces.delete(String(parsed.payload["nonce"]))
  // The token handed out carries the scope this device JWT asks for (minted anew when approval assumed another).
  const scope = Jwts.grantedScope(parsed.payload["scope"])
  if (ctx.store.plexJwts.get(pin.authToken)?.scope !== scope) {
    pin.authToken = await Jwts.mint(ctx.store, pin.accountId, pin.jwk.kid, clientIdentifier, ctx.now, scope)
  }
  return handedOut(pin)
})

/**
 * A PIN as plex.tv's legacy (v1) PIN API writes it: one child element per field, not attributes. python-plexapi 3.5
 * to 4.2's `MyPlexPinLogin` reads `<id>` and `<code>` (`_getCode`: `response.find('id').text`) and `<auth_token>`
 * (`_checkLogin`: `response.find('auth_token').text`, no token while it is empty), as PlexKodiConnect's `PinLogin`
 * does (`xml.find('auth_token')`); the other elements (Rails' typed XML, `nil="true"` for a null) are the fake's
 * rendering of the PIN's other fields, not read by either. A JWT PIN (made through v2 with a `jwk`) hands out its
 * token only for a device JWT, which this route does not take: its `<auth_token>` stays empty.
 */
const legacyPinXml = (pin: PinEntry): string => {
  const field = (name: string, value: string | undefined, type?: string) => {
    const typed = type === undefined ? "" : ` type="${type}"`
    return value === undefined
      ? `  <${name}${typed} nil="true"/>`
      : `  <${name}${typed}>${Xml.escape(value)}</${name}>`
  }
  const token = pin.jwk === undefined ? pin.authToken : undefined
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<pin>`,
    field("id", String(pin.id), "integer"),
    field("code", pin.code),
    field("expires-at", Payloads.isoDate(pin.expiresAt), "datetime"),
    field("user-id", token === undefined ? undefined : String(pin.accountId), "integer"),
    field("client-identifier", pin.clientIdentifier),
    field("trusted", "false", "boolean"),
    field("auth_token", token),
    `</pin>`,
    ``
  ].join("\n")
}

/**
 * plex.tv's legacy PIN API, which PlexKodiConnect's `PinLogin` calls, and python-plexapi 3.5 to 4.2's
 * `MyPlexPinLogin` names (`PINS` `https://plex.tv/pins.xml`, POSTed with no body; `CHECKPINS`
 * `https://plex.tv/pins/{pinid}.xml`, polled every second; 4.3 moved to `/api/v2/pins`, python-plexapi commit 9adf29f
 * "Update MyPlexPinLogin for Plex API v2"). As released, that class fails in its constructor before any request
 * (`_getPin` reads `self.pin` before it is set: AttributeError); given a class default `pin = None`, 4.2.0's code
 * runs the whole login against the fake (`plex-auth fake-server`, checked 2026-12-07). XML whatever is asked (`<pin>`, {@link legacyPinXml}); the same PINs as
 * `/api/v2/pins`: a PIN made here is approved at plex.tv/link (`PUT /api/v2/pins/link`), by `approvePin` or through
 * the approval page like any other, and seen through either route, its token signing the client in as a v2 check
 * does. 201 for a new PIN, 404 (`<errors><error>…</error></errors>`) for an unknown or expired one or another
 * client's, as the v2 check refuses them.
 */
const legacyCreatePin = inFormat(
  "xml",
  plexTv("createPin", "POST", "/pins.xml", (ctx, clientIdentifier) =>
    Http.bytes(201, Http.plexTvXml, legacyPinXml(newPin(ctx, clientIdentifier, asksStrong(ctx))))
  )
)

const legacyCheckPin = inFormat(
  "xml",
  plexTv("checkPin", "GET", "/pins/:id.xml", (ctx, clientIdentifier) => {
    const pin = checkedPin(ctx, clientIdentifier)
    if (pin === undefined) {
      return Http.bytes(
        404,
        Http.plexTvXml,
        `<?xml version="1.0" encoding="UTF-8"?>\n<errors>\n  <error>Code not found or expired</error>\n</errors>\n`
      )
    }
    if (pin.jwk === undefined) handOut(ctx, clientIdentifier, pin)
    return Http.bytes(200, Http.plexTvXml, legacyPinXml(pin))
  })
)

/** The account's devices as `GET /api/v2/resources` lists them: its servers, those shared with it, its web player. */
const resourceDevices = (ctx: Context, account: SeedAccount): Array<Record<string, unknown>> => {
  const https = isTrue(ctx.query.get("includeHttps"))
  const relay = isTrue(ctx.query.get("includeRelay"))
  const ipv6 = isTrue(ctx.query.get("includeIPv6"))
  const visible = (server: SeedServer) =>
    server.connections.filter(
      (c) => (https || c.protocol !== "https") && (relay || !c.relay) && (ipv6 || !c.IPv6)
    )
  const devices: Array<Record<string, unknown>> = []
  for (const server of ctx.store.seed.servers) {
    if (ctx.store.ownerOf(server) === account.id) {
      devices.push(
        Payloads.serverDevice(
          server,
          { owned: true, accessToken: ctx.store.serverToken(server) },
          visible(server)
        )
      )
    } else {
      // Shared while claimed, and only by the owner who shared it (a claim by another account ends the shares).
      const share = ctx.store.sharesOf(server).find((s) => s.accountId === account.id)
      if (share !== undefined && ctx.store.isClaimed(server)) {
        const ownerId = ctx.store.ownerOf(server)
        const owner = ownerId === undefined ? undefined : ctx.store.accounts.get(ownerId)
        devices.push({
          ...Payloads.serverDevice(
            server,
            { owned: false, accessToken: share.accessToken, ownerId, sourceTitle: owner?.username },
            visible(server)
          ),
          home: share.home === true
        })
      }
    }
  }
  devices.push(Payloads.playerDevice(account))
  return devices
}

const resources = plexTvAccount("getServerResources", "GET", "/api/v2/resources", (ctx, account) => {
  const devices = resourceDevices(ctx, account)
  return ctx.json
    ? Http.bytes(200, Http.plexTvJson, JSON.stringify(devices))
    : Http.bytes(200, Http.plexTvXml, xmlResources(devices))
})

/** An ISO date as plex.tv's legacy XML writes times: seconds since the epoch. */
const seconds = (value: unknown) =>
  typeof value === "string" && !Number.isNaN(Date.parse(value)) ? Math.floor(Date.parse(value) / 1000) : value

/**
 * plex.tv's legacy `GET /api/resources`, which python-plexapi 4.3 to 4.14's `resources()` reads (its
 * `MyPlexResource.key`): the devices of `/api/v2/resources` (the same `include*` flags) in XML whatever is asked,
 * `<MediaContainer size="N"><Device …><Connection …/></Device></MediaContainer>`, times in seconds.
 */
const legacyResources = inFormat(
  "xml",
  plexTvAccount("getServerResources", "GET", "/api/resources", (ctx, account) => {
    // What a device lacks is left out, not written empty: a device of one's own has no `ownerId` nor `sourceTitle`
    // (python-plexapi 4.3 to 4.14's MyPlexResource: "only available if its not your device"; its `ownerid` is
    // `cast(int, attrib.get('ownerId', 0))`, NaN for an empty one).
    const devices = resourceDevices(ctx, account).map(
      ({ connections, createdAt, lastSeenAt, ...device }) => ({
        ...Object.fromEntries(Object.entries(device).filter(([, value]) => value !== null)),
        createdAt: seconds(createdAt),
        lastSeenAt: seconds(lastSeenAt),
        Connection: connections
      })
    )
    return Http.bytes(
      200,
      Http.plexTvXml,
      Xml.list("MediaContainer", "Device", devices, { size: devices.length })
    )
  })
)

/** `<resources size="N"><resource ...><connections><connection .../></connections></resource></resources>` */
const xmlResources = (devices: ReadonlyArray<Record<string, unknown>>) =>
  Xml.list("resources", "resource", devices, { size: devices.length })

const ping = plexTvAccount("ping", "GET", "/api/v2/ping", (ctx) =>
  ctx.json
    ? Http.bytes(200, Http.plexTvJson, JSON.stringify({ pong: true }))
    : Http.bytes(200, Http.plexTvXml, `<?xml version="1.0" encoding="UTF-8"?>\n<pong>true</pong>\n`)
)

const signOut = plexTvAccount("signOut", "DELETE", "/api/v2/users/signout", (ctx, _account, presented) => {
  const entry = ctx.store.tokens.get(presented)
  if (entry !== undefined) entry.revoked = true
  return Http.empty(204)
})

// ---------------------------------------------------------------------------
// plex.tv: JWT device authentication
// ---------------------------------------------------------------------------

/** 422, as plex.tv answers a key or JWT it cannot accept. */
export const unprocessable = (ctx: Context, message: string) =>
  Http.plexTvError(ctx.json, 422, undefined, message)

const registerJwk = plexTvAccount("registerJwk", "POST", "/api/v2/auth/jwk", async (ctx, account) => {
  const body = Jwts.jsonBody(ctx.headers.get("content-type"), ctx.body)
  const key = await Jwts.readJwk(body?.["jwk"])
  if (key === undefined) return unprocessable(ctx, "Invalid JWK")
  const existing = ctx.store.deviceKeys.get(key.kid)
  if (existing !== undefined) {
    return existing.accountId === account.id && existing.x === key.x
      ? unprocessable(ctx, "JWK already registered")
      : unprocessable(ctx, "The key belongs to another account")
  }
  const client = plexValue(ctx, "X-Plex-Client-Identifier") ?? ""
  ctx.store.deviceKeys.set(key.kid, { ...key, accountId: account.id, clients: new Set([client]) })
  return Http.empty(204)
})

const nonce = plexTv("getNonce", "GET", "/api/v2/auth/nonce", (ctx) =>
  Http.plexTv(ctx.json, 200, "nonce", { nonce: Jwts.issueNonce(ctx.store, ctx.now) })
)

const exchangeJwt = plexTv("exchangeJwt", "POST", "/api/v2/auth/token", async (ctx, clientIdentifier) => {
  const body = Jwts.jsonBody(ctx.headers.get("content-type"), ctx.body)
  const jwt = body?.["jwt"]
  if (typeof jwt !== "string" || jwt === "")
    return Http.plexTvError(ctx.json, 400, undefined, "jwt is missing")
  const parsed = Jose.parse(jwt)
  if (parsed === undefined) return unprocessable(ctx, "Malformed device JWT")
  const kid = parsed.header["kid"]
  const key = typeof kid === "string" ? ctx.store.deviceKeys.get(kid) : undefined
  if (key === undefined) return unprocessable(ctx, "Signature verification failed")
  const failure = await Jwts.checkDeviceJwt(ctx.store, parsed, key, clientIdentifier, ctx.now)
  if (failure !== undefined) return unprocessable(ctx, failure)
  const nonce = String(parsed.payload["nonce"])
  ctx.store.nonces.delete(nonce)
  // The key is this client's too now: removing its device unregisters the key (store revokeDevice).
  key.clients.add(clientIdentifier)
  const minted = await Jwts.mint(
    ctx.store,
    key.accountId,
    key.kid,
    clientIdentifier,
    ctx.now,
    Jwts.grantedScope(parsed.payload["scope"]),
    nonce
  )
  ctx.store.signedIn(key.accountId, deviceIdentity(ctx, clientIdentifier), minted, ctx.now)
  return Http.plexTv(ctx.json, 200, "token", { auth_token: minted })
})

const jwks = plexTv("getJwks", "GET", "/api/v2/auth/keys", async (ctx) => {
  await Jwts.currentSigningKey(ctx.store)
  return Http.plexTv(ctx.json, 200, "keys", { keys: ctx.store.signingKeys.map((k) => k.publicJwk) })
})

// ---------------------------------------------------------------------------
// Plex Media Server
// ---------------------------------------------------------------------------

const serverOf = (ctx: Context): SeedServer => {
  if (ctx.host.kind !== "server") throw new Error("a server route ran on another host")
  return ctx.host.server
}

export const pms = (
  name: string,
  methods: ReadonlyArray<string> | "*",
  path: string,
  handle: (ctx: Context, server: SeedServer) => Reply
): Route => ({
  name,
  host: "server",
  methods,
  path,
  // An expired Plex JWT is answered 498 wherever a token is checked.
  handle: (ctx) =>
    name !== "getServerIdentity" && Jwts.isExpired(ctx.store, token(ctx), ctx.now)
      ? Http.htmlPage(498)
      : handle(ctx, serverOf(ctx))
})

const transientToken = pms("getTransientToken", "*", "/security/token", async (ctx, server) => {
  const access = ctx.store.pmsAccess(server, token(ctx), ctx.now)
  if (access === undefined) return Http.htmlPage(403)
  if (ctx.query.get("type") !== "delegation" || ctx.query.get("scope") !== "all") return Http.htmlPage(400)
  const minted = `transient-${ctx.store.randomUuid()}`
  ctx.store.transients.set(minted, {
    serverId: server.clientIdentifier,
    admin: access.admin,
    accountId: access.accountId,
    issuedAt: ctx.now,
    expiresAt: ctx.now + ctx.store.seed.transientTokenLifetimeMillis
  })
  return Http.pms(ctx.json, 200, { token: minted })
})

const sourceResources = pms(
  "getSourceConnectionInformation",
  ["GET"],
  "/security/resources",
  (ctx, server) => {
    const access = ctx.store.pmsAccess(server, token(ctx), ctx.now)
    if (access === undefined || !access.admin) return Http.htmlPage(403)
    const source = ctx.query.get("source")
    const refresh = ctx.query.get("refresh")
    if (source === null || source === "" || (refresh !== null && refresh !== "0" && refresh !== "1")) {
      return Http.htmlPage(400)
    }
    const known = /^server:\/\/(.+)$/.exec(source)
    const target = known === null ? undefined : ctx.store.server(known[1] ?? "")
    if (target !== undefined) {
      return Http.pms(ctx.json, 200, {
        Device: {
          accessToken: ctx.store.serverToken(target),
          clientIdentifier: target.clientIdentifier,
          name: target.name,
          Connection: Payloads.sourceConnections(target.connections)
        }
      })
    }
    const seeded = server.sources.find((s) => s.source === source)
    return seeded === undefined
      ? Http.htmlPage(404)
      : Http.pms(ctx.json, 200, {
          Device: {
            accessToken: seeded.accessToken,
            clientIdentifier: seeded.clientIdentifier,
            name: seeded.name,
            Connection: Payloads.sourceConnections(seeded.connections)
          }
        })
  }
)

const identity = pms("getServerIdentity", ["GET"], "/identity", (ctx, server) =>
  Http.pms(ctx.json, 200, {
    size: 0,
    claimed: ctx.store.isClaimed(server),
    machineIdentifier: server.clientIdentifier,
    version: server.version
  })
)

const capabilities = pms("getServerCapabilities", ["GET"], "/", (ctx, server) => {
  const access = ctx.store.pmsAccess(server, token(ctx), ctx.now)
  if (access === undefined) return Http.htmlPage(401)
  // Its current owner: the account that claimed it since, not the seeded one.
  const ownerId = ctx.store.ownerOf(server)
  return Http.pms(ctx.json, 200, {
    size: 0,
    friendlyName: server.name,
    machineIdentifier: server.clientIdentifier,
    version: server.version,
    platform: "Linux",
    platformVersion: "6.8.0",
    myPlex: true,
    ...Payloads.myPlexState(ownerId === undefined ? undefined : ctx.store.accounts.get(ownerId))
  })
})

/** Every route the fake knows. */
export const routes: ReadonlyArray<Route> = [
  signIn,
  legacySignIn("json"),
  legacySignIn("xml"),
  legacyAccount("/users/account", "xml"),
  legacyAccount("/users/account.xml", "xml"),
  legacyAccount("/users/account.json", "json"),
  user,
  createPin,
  checkPin,
  legacyCreatePin,
  legacyCheckPin,
  resources,
  legacyResources,
  ping,
  signOut,
  registerJwk,
  nonce,
  exchangeJwt,
  jwks,
  transientToken,
  sourceResources,
  identity,
  capabilities,
  ...Features.routes({
    plexTv,
    plexTvAccount,
    pms,
    token,
    mintToken,
    unprocessable,
    signedIn: (ctx, accountId, minted) => {
      const client = plexValue(ctx, "X-Plex-Client-Identifier") ?? ""
      ctx.store.signedIn(accountId, deviceIdentity(ctx, client), minted, ctx.now)
    }
  }),
  ...ApprovalPage.routes()
]

const compiled = routes.map((route) => {
  const names: Array<string> = []
  const source = route.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, (_, name: string) => {
    names.push(name)
    return "([^/]+)"
  })
  return { route, names, regex: new RegExp(`^${source}/?$`) }
})

/** The route serving a request, with its path parameters. */
export const match = (
  host: Host,
  method: string,
  path: string
): { readonly route: Route; readonly params: Readonly<Record<string, string>> } | undefined =>
  host.kind === "elsewhere" ? undefined : matchOn(host.kind, method, path)

/** The route serving a request to a host of `kind` (any of them: a route is served on every host of its kind). */
export const matchOn = (
  kind: Route["host"],
  method: string,
  path: string
): { readonly route: Route; readonly params: Readonly<Record<string, string>> } | undefined => {
  for (const { names, regex, route } of compiled) {
    if (route.host !== kind) continue
    if (route.methods !== "*" && !route.methods.includes(method)) continue
    const found = regex.exec(path)
    if (found === null) continue
    const params: Record<string, string> = {}
    names.forEach((name, i) => {
      params[name] = decodeParam(found[i + 1] ?? "")
    })
    return { route, params }
  }
  return undefined
}

/**
 * A path parameter as its route reads it: percent-decoded, or as written when it is not well encoded (`%ZZ`, which
 * `new URL` keeps as it is): such a parameter names nothing the fake has (no PIN, user or device), answered as an
 * unknown one, never a `URIError` from the handler or from `fault` checking a target's path.
 */
const decodeParam = (raw: string): string => {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}
