/**
 * The fake Plex as a service: the web handler (`Request` → `Response`, as an
 * Effect) with request recording and scripted faults, and the inspection and
 * control calls, built from a resolved seed.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type {
  FakeAccount,
  FakePin,
  FakePlexService,
  FakeServer,
  FakeTransientToken,
  RecordedRequest
} from "../FakePlex.js"
import { ConnectionFailure, FakePlexError } from "./errors.js"
import * as Faults from "./faults.js"
import * as Http from "./http.js"
import * as Jwts from "./jwt.js"
import * as Routes from "./routes.js"
import type { Seed, SeedAccount, SeedServer } from "./seed.js"
import { randomString, Store, target, type RecordEntry } from "./store.js"

const secretHeaders = new Set(["x-plex-token", "authorization", "proxy-authorization", "cookie"])
const secretFields = new Set([
  "x-plex-token",
  "password",
  "verificationcode",
  "token",
  "authtoken",
  "jwt",
  "devicejwt"
])

type Secretish = string | Redacted.Redacted<string>

const redactPairs = (pairs: Iterable<[string, string]>, secret: ReadonlySet<string>, lowerCase: boolean) => {
  const out: Record<string, Secretish> = {}
  for (const [rawName, value] of pairs) {
    const name = lowerCase ? rawName.toLowerCase() : rawName
    out[name] = secret.has(rawName.toLowerCase()) ? Redacted.make(value) : value
  }
  return out
}

/** A JSON value with the values of secret fields, at any depth, `Redacted`. */
const redactJson = (value: unknown, secret: ReadonlySet<string>): unknown => {
  if (Array.isArray(value)) return value.map((item) => redactJson(item, secret))
  if (typeof value !== "object" || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(value)) {
    out[name] = secret.has(name.toLowerCase())
      ? Redacted.make(typeof field === "string" ? field : JSON.stringify(field))
      : redactJson(field, secret)
  }
  return out
}

const parseJson = (contentType: string | null, body: string): unknown => {
  if (!/\bapplication\/(?:[\w.+-]*\+)?json\b/i.test(contentType ?? "") || body.length === 0) return undefined
  try {
    return JSON.parse(body) as unknown
  } catch {
    return undefined
  }
}

const reveal = (value: Secretish): string => (Redacted.isRedacted(value) ? Redacted.value(value) : value)

const hostName = (host: Routes.Context["host"]): RecordedRequest["host"] =>
  host.kind === "plexTv" ? "plex.tv" : host.kind

const snapshot = (entry: RecordEntry): RecordedRequest => ({
  ...entry,
  query: entry.query as RecordedRequest["query"],
  headers: entry.headers as RecordedRequest["headers"],
  form: entry.form as RecordedRequest["form"]
})

const accountView = (a: SeedAccount): FakeAccount => ({
  id: a.id,
  uuid: a.uuid,
  username: a.username,
  email: a.email,
  title: a.title,
  password: Redacted.make(a.password),
  twoFactorCode: a.twoFactorCode === undefined ? undefined : Redacted.make(a.twoFactorCode),
  token: Redacted.make(a.token)
})

const serverView = (s: SeedServer): FakeServer => ({
  clientIdentifier: s.clientIdentifier,
  name: s.name,
  ownerId: s.ownerId,
  url: s.connections[0]?.uri ?? "",
  urls: s.connections.map((c) => c.uri),
  accessToken: Redacted.make(s.accessToken),
  version: s.version,
  connections: s.connections
})

/** The fake built from a seed. */
export const fromSeed = (seed: Seed): Effect.Effect<FakePlexService> =>
  Effect.sync(() => {
    const store = new Store(seed)
    const firstAccount = seed.accounts[0]
    const firstServer = seed.servers[0]
    if (firstAccount === undefined) throw new Error("FakePlex: no accounts")

    const handle = (request: Request): Effect.Effect<Response, ConnectionFailure> =>
      Effect.gen(function* () {
        const url = new URL(request.url)
        const origin = url.origin
        const host = store.hosts.get(origin)
        if (host === undefined) return yield* new ConnectionFailure({ reason: "Refused", origin })
        const now = yield* Clock.currentTimeMillis
        const copy = request.clone()
        const body = request.body === null ? "" : yield* Effect.promise(() => request.text())
        const headers = request.headers
        const form = /application\/x-www-form-urlencoded/i.test(headers.get("content-type") ?? "")
          ? new URLSearchParams(body)
          : undefined
        const method = request.method.toUpperCase()
        const matched = Routes.match(host, method, url.pathname)
        const route = matched?.route.name
        const entry = store.record({
          receivedAt: now,
          origin,
          host: hostName(host),
          serverId: host.kind === "server" ? host.server.clientIdentifier : undefined,
          route,
          method,
          path: url.pathname,
          query: redactPairs(url.searchParams, secretFields, false),
          headers: redactPairs(headers, secretHeaders, true),
          form: form === undefined ? undefined : redactPairs(form, secretFields, false),
          json: redactJson(parseJson(headers.get("content-type"), body), secretFields)
        })
        const ctx: Routes.Context = {
          request: copy,
          url,
          origin,
          method,
          headers,
          query: url.searchParams,
          body,
          form,
          json: Http.wantsJson(headers),
          params: matched?.params ?? {},
          now,
          store,
          host
        }
        if (route === "checkPin") yield* autoApprove(Number(matched?.params["id"]), now)
        const normal = matched === undefined ? Effect.succeed(Http.htmlPage(404)) : matched.route.handle(ctx)
        const fault = store.takeFault({ route, path: url.pathname, origin, method })
        entry.fault = fault?._tag
        return yield* (fault === undefined ? normal : Faults.apply(fault, ctx, normal)).pipe(
          Effect.tap((response) =>
            Effect.sync(() => {
              entry.status = response.status
              entry.outcome = "Responded"
            })
          ),
          Effect.tapError((failure) =>
            Effect.sync(() => {
              entry.outcome = failure.reason
            })
          ),
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              entry.outcome = "Interrupted"
            })
          )
        )
      })

    /** With `autoApprovePins`: approves a PIN that is old enough, as the user would, before its check is answered. */
    const autoApprove = (id: number, now: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        const auto = seed.autoApprovePins
        const pin = store.pins.get(id)
        if (auto === undefined || pin === undefined || pin.authToken !== undefined) return Effect.void
        if (now >= pin.expiresAt || now < pin.createdAt + auto.afterMillis) return Effect.void
        return Effect.ignore(service.approvePin(id, { account: auto.account }))
      })

    const findAccount = (login: string | undefined) =>
      Effect.suspend(() => {
        const found = login === undefined ? store.accounts.get(firstAccount.id) : store.accountByLogin(login)
        return found === undefined
          ? Effect.fail(new FakePlexError({ message: `no account with the login ${login}` }))
          : Effect.succeed(found)
      })

    const findServer = (id: string | undefined) =>
      Effect.suspend(() => {
        const found = id === undefined ? firstServer : store.server(id)
        return found === undefined
          ? Effect.fail(new FakePlexError({ message: `no server ${id ?? "(the fake has none)"}` }))
          : Effect.succeed(found)
      })

    const service: FakePlexService = {
      plexTvUrl: seed.plexTvUrl,
      clientsUrl: seed.clientsUrl,
      plexTvAliases: seed.plexTvAliases,
      elsewhereUrl: seed.elsewhereUrl,
      serverUrl: firstServer?.connections[0]?.uri ?? "",
      urls: [...store.hosts.keys()],
      login: firstAccount.email,
      password: Redacted.make(firstAccount.password),
      token: Redacted.make(firstAccount.token),
      serverId: firstServer?.clientIdentifier ?? "",
      serverToken: Redacted.make(firstServer?.accessToken ?? ""),
      accounts: seed.accounts.map(accountView),
      servers: seed.servers.map(serverView),
      handle,
      account: (login) => Effect.map(findAccount(login), accountView),
      server: (id) => Effect.map(findServer(id), serverView),
      mintToken: (login) =>
        Effect.gen(function* () {
          const account = yield* findAccount(login)
          const now = yield* Clock.currentTimeMillis
          const minted = yield* randomString(20)
          store.issue(minted, account.id, now, "control")
          return Redacted.make(minted)
        }),
      revokeToken: (token) =>
        Effect.sync(() => {
          const entry = store.tokens.get(reveal(token))
          if (entry === undefined || entry.revoked) return false
          entry.revoked = true
          return true
        }),
      isTokenValid: (token) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(
            () =>
              !Jwts.isExpired(store, reveal(token), now) && store.accountByToken(reveal(token)) !== undefined
          )
        ),
      patchAccount: (login, payload) =>
        Effect.flatMap(findAccount(login), (account) =>
          Effect.sync(() => store.patchAccount(account.id, payload))
        ),
      pins: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() =>
          [...store.pins.values()].map((p): FakePin => ({
            id: p.id,
            code: p.code,
            strong: p.strong,
            clientIdentifier: p.clientIdentifier,
            product: p.product,
            createdAt: p.createdAt,
            expiresAt: p.expiresAt,
            expired: now >= p.expiresAt,
            accountId: p.accountId,
            authToken: p.authToken === undefined ? undefined : Redacted.make(p.authToken)
          }))
        )
      ),
      approvePin: (pin, options = {}) =>
        Effect.gen(function* () {
          const account = yield* findAccount(options.account)
          const now = yield* Clock.currentTimeMillis
          const found = [...store.pins.values()].find((p) =>
            typeof pin === "number" ? p.id === pin : p.code.toLowerCase() === pin.toLowerCase()
          )
          if (found === undefined) return yield* new FakePlexError({ message: `no PIN ${pin}` })
          if (now >= found.expiresAt)
            return yield* new FakePlexError({ message: `the PIN ${pin} has expired` })
          const bound = found.jwk
          let minted: string
          if (bound === undefined) {
            minted = yield* randomString(20)
            store.issue(minted, account.id, now, "pin")
          } else {
            // A JWT PIN: approving registers its device key with the account and mints a Plex JWT bound to it.
            const owner = store.deviceKeys.get(bound.kid)
            if (owner !== undefined && owner.accountId !== account.id) {
              return yield* new FakePlexError({ message: `the PIN ${pin}'s key belongs to another account` })
            }
            store.deviceKeys.set(bound.kid, { ...bound, accountId: account.id })
            minted = yield* Jwts.mint(store, account.id, bound.kid, found.clientIdentifier, now)
          }
          found.authToken = minted
          found.accountId = account.id
          return Redacted.make(minted)
        }),
      transientTokens: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() =>
          [...store.transients.entries()].map(([token, t]): FakeTransientToken => ({
            token: Redacted.make(token),
            serverId: t.serverId,
            admin: t.admin,
            accountId: t.accountId,
            issuedAt: t.issuedAt,
            expiresAt: t.expiresAt,
            expired: now >= t.expiresAt
          }))
        )
      ),
      restartServer: (id) =>
        Effect.flatMap(findServer(id), (server) =>
          Effect.sync(() => {
            for (const [token, t] of store.transients) {
              if (t.serverId === server.clientIdentifier) store.transients.delete(token)
            }
          })
        ),
      rotateJwtKey: (options = {}) =>
        Effect.map(Jwts.rotate(store, options.retainPrevious ?? true), (key) => key.kid),
      deviceKeys: Effect.sync(() =>
        [...store.deviceKeys.values()].map((k) => ({
          kid: k.kid,
          thumbprint: k.thumbprint,
          accountId: k.accountId
        }))
      ),
      fault: (where, fault, options = {}) =>
        Effect.sync(() => {
          const times = options.times ?? Number.POSITIVE_INFINITY
          if (!(times > 0)) return
          store.faults.push({ target: target(where), fault, remaining: times })
        }),
      clearFaults: Effect.sync(() => {
        store.faults = []
      }),
      requests: Effect.sync(() => store.records.map(snapshot)),
      clearRequests: Effect.sync(() => {
        store.records = []
      })
    }
    return service
  })
