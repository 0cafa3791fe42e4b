/**
 * The Effect 4 binding of the Effect-free fake (`src/core/fake`): options
 * and faults turned into the core's plain data (`Duration` → milliseconds,
 * `Redacted` → strings), the core's handler and control calls run as
 * Effects that read the caller's `Clock` (so `TestClock` drives the fake)
 * and pass the fiber's interruption as the request's `AbortSignal`, and the
 * core's records and views turned back into `Redacted`.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import type * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Core from "../../../../src/core/fake/index.js"
import * as Validate from "../../../../src/core/validate.js"
import type {
  ConnectionSeed,
  FakeAccount,
  FakePin,
  FakePlexService,
  FakeServer,
  FakeTransientToken,
  Options,
  RecordedRequest
} from "../FakePlex.js"
import type { Fault } from "../Fault.js"
import { ConnectionFailure, FakePlexError } from "./errors.js"

type SecretInput = string | Redacted.Redacted<string>

const plain = (value: SecretInput): string => (Redacted.isRedacted(value) ? Redacted.value(value) : value)
const plainOr = (value: SecretInput | undefined): string | undefined =>
  value === undefined ? undefined : plain(value)
/**
 * A seeded duration in milliseconds. A negative one stays negative (`Duration` would make it zero), so the core
 * refuses the seed (a defect, as for any inconsistent seed) rather than making a PIN that expires at once.
 */
const millisOr = (what: string, value: Duration.Input | undefined): number | undefined =>
  Core.kitMillis(what, toMillis(value), value)

const toMillis = (value: Duration.Input | undefined): number | undefined => {
  if (value === undefined) return undefined
  // Milliseconds as given: a negative or NaN count is refused.
  if (typeof value === "number") return value
  // Negative as written otherwise ("-1 second", -1n, [-1, 0], { millis: NaN }): Effect 3's Duration reads it as
  // zero, Effect 4 keeps the sign (or reads NaN as zero); refused alike, shown as given. So is one that is not a
  // duration ("soon"), which each edition's Duration refused in words of its own, naming no option.
  if (Validate.isNegativeDurationInput(value)) return Number.NaN
  let decoded: Option.Option<Duration.Duration>
  try {
    decoded = Duration.fromInput(value)
  } catch {
    decoded = Option.none()
  }
  return Option.isSome(decoded) ? Duration.toMillis(decoded.value) : Number.NaN
}

const coreConnection = (c: ConnectionSeed): Core.ConnectionSeed => ({
  uri: c.uri,
  local: c.local,
  relay: c.relay,
  IPv6: c.IPv6
})

/** A seed's secrets may be given as strings or `Redacted` (refused otherwise, naming both). */
const kitSecret: Core.SecretKind = { is: Redacted.isRedacted, expected: "a string or a Redacted" }

/** The seed in the core fake's terms: durations in milliseconds, secrets as plain strings. */
const coreOptionsUnchecked = (options: Options): Core.Options => {
  // From untyped JavaScript (null, a number): the kit's FakePlexError naming the options (a defect, as a refused
  // fault is), not a TypeError.
  const problem = Validate.objectProblem(options, true)
  if (problem !== undefined) throw new FakePlexError({ message: `FakePlex: options ${problem}` })
  // Lists, entries and fields of the wrong kind (`accounts: [null]`, `homes: [{}]`, `id: "x"`, a token that is a
  // number): the core's FakePlexError naming the field (made this kit's by `seeded`), before they are read here.
  Core.checkSeedShape(options, kitSecret)
  const lifetime = Validate.objectProblem(options.pinLifetime, true)
  if (lifetime !== undefined) throw new FakePlexError({ message: `FakePlex: pinLifetime ${lifetime}` })
  return {
    plexTvUrl: options.plexTvUrl,
    clientsUrl: options.clientsUrl,
    plexTvAliases: options.plexTvAliases,
    allowOrigins: options.allowOrigins,
    elsewhereUrl: options.elsewhereUrl,
    accounts: options.accounts?.map((a) => ({
      ...a,
      password: plainOr(a.password),
      twoFactorCode: plainOr(a.twoFactorCode),
      token: plainOr(a.token),
      homePin: plainOr(a.homePin),
      devices: a.devices?.map((d) => ({ ...d, token: plainOr(d.token) }))
    })),
    servers: options.servers?.map((s) => ({
      ...s,
      accessToken: plainOr(s.accessToken),
      connections: s.connections?.map(coreConnection),
      sources: s.sources?.map((source) => ({
        ...source,
        accessToken: plainOr(source.accessToken),
        connections: source.connections?.map(coreConnection)
      }))
    })),
    shape: options.shape,
    pinLifetimeMillis:
      options.pinLifetime === undefined
        ? undefined
        : {
            strong: millisOr("pinLifetime.strong", options.pinLifetime.strong),
            short: millisOr("pinLifetime.short", options.pinLifetime.short)
          },
    transientTokenLifetimeMillis: millisOr("transientTokenLifetime", options.transientTokenLifetime),
    claimTokenLifetimeMillis: millisOr("claimTokenLifetime", options.claimTokenLifetime),
    autoApprovePins:
      options.autoApprovePins === undefined || typeof options.autoApprovePins === "boolean"
        ? options.autoApprovePins
        : {
            afterMillis: millisOr("autoApprovePins.after", options.autoApprovePins.after),
            account: options.autoApprovePins.account
          },
    homes: options.homes
  }
}

/**
 * `f`, a step that reads the seed (the options, the core's `makeFakePlex` or `origins`), with the core's
 * `FakePlexError` for a seed it refuses (an unknown account, a URL that is not http(s), two accounts sharing a
 * login, a negative duration, ...) thrown as this kit's tagged one, same message: the constructor dies with it,
 * as with options of the wrong kind.
 */
export const seeded = <A>(f: () => A): A => {
  try {
    return f()
  } catch (error) {
    if (error instanceof Core.FakePlexError) throw new FakePlexError({ message: error.message })
    throw error
  }
}

/** The core's options for the test kit's; a refused seed duration throws this kit's `FakePlexError`. */
export const coreOptions = (options: Options): Core.Options => seeded(() => coreOptionsUnchecked(options))

/**
 * The core's random source (`randomInt`: an integer in `[0, bound)`) for a fake, taken from the `Random` of
 * the Effect that builds it, so the codes, tokens and nonces of a fake follow that `Random` (a seeded one,
 * `Random.withSeed`, gives the same ones each run), as in the Effect 3 edition.
 *
 * A seed is drawn from it once, here, for a `Random` of the fake's own (`Random.withSeed`), which then gives
 * each character: what the fake mints later leaves the builder's `Random` as it was, as in the Effect 3
 * edition (where a draw per character cost an `Effect.runSync` each).
 */
export const coreRandomInt: Effect.Effect<(bound: number) => number> = Effect.flatMap(
  Random.nextInt,
  (seed) =>
    Effect.map(
      Effect.service(Random.Random).pipe(Random.withSeed(seed)),
      (random) => (bound: number) => Math.floor(random.nextDoubleUnsafe() * bound)
    )
)

/** The fake's time read from an Effect `Clock`: `TestClock` then drives it. */
const fakeClock = (clock: Clock.Clock): Core.FakeClock => ({
  now: () => clock.currentTimeMillisUnsafe(),
  sleep: (millis, signal) => Effect.runPromise(clock.sleep(Duration.millis(millis)), { signal })
})

/** A recorded value: a core `Secret` becomes `Redacted`, at any depth of a JSON body. */
const revealed = (value: unknown): unknown => {
  if (Core.isSecret(value)) return Redacted.make(value.reveal())
  if (Array.isArray(value)) return value.map(revealed)
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, revealed(v)]))
}

const recordOf = (r: Core.RecordedRequest): RecordedRequest => ({
  ...r,
  query: revealed(r.query) as RecordedRequest["query"],
  headers: revealed(r.headers) as RecordedRequest["headers"],
  form: r.form === undefined ? undefined : (revealed(r.form) as RecordedRequest["form"]),
  json: revealed(r.json)
})

const accountOf = (a: Core.FakeAccount): FakeAccount => ({
  ...a,
  password: Redacted.make(a.password),
  twoFactorCode: a.twoFactorCode === undefined ? undefined : Redacted.make(a.twoFactorCode),
  token: Redacted.make(a.token)
})

const serverOf = (s: Core.FakeServer): FakeServer => ({ ...s, accessToken: Redacted.make(s.accessToken) })

const pinOf = (p: Core.FakePin): FakePin => ({
  ...p,
  authToken: p.authToken === undefined ? undefined : Redacted.make(p.authToken)
})

const transientOf = (t: Core.FakeTransientToken): FakeTransientToken => ({
  ...t,
  token: Redacted.make(t.token)
})

/** A `Fault.respond` Effect that did not succeed: its cause, re-raised by the handler's Effect (as on Effect 3). */
class RespondFailure {
  constructor(readonly cause: Cause.Cause<never>) {}
}

/** A fault in the core fake's terms; a `Respond` fault runs its effect with the services it was scripted with. */
const coreFault = (fault: Fault, context: Context.Context<never>): Core.Fault.Fault => {
  // Not a fault at all (null, from untyped JavaScript): passed on for the core to refuse by name.
  if (typeof fault !== "object" || fault === null) return fault
  switch (fault._tag) {
    case "Status":
      return Core.Fault.status(fault.status, {
        retryAfterMillis: fault.retryAfter === undefined ? undefined : Duration.toMillis(fault.retryAfter),
        code: fault.code,
        message: fault.message,
        headers: fault.headers
      })
    case "Delay":
      return Core.Fault.delay(
        Duration.toMillis(fault.duration),
        fault.then === undefined ? undefined : coreFault(fault.then, context)
      )
    case "Respond":
      return Core.Fault.respond((request, { signal }) =>
        // Not `runPromiseWith`, which rejects with `Cause.squash`: an interruption would become a defect.
        Effect.runPromiseExitWith(context)(fault.respond(request), { signal }).then((exit) => {
          if (Exit.isSuccess(exit)) return exit.value
          throw new RespondFailure(exit.cause)
        })
      )
    default:
      return fault
  }
}

/** A control call that may throw `FakePlexError`; any other throw is a bug of the fake. */
const attempt = <A>(f: () => A): Effect.Effect<A, FakePlexError> =>
  Effect.try({ try: f, catch: controlError })

/** The core's `FakePlexError` as this kit's; any other throw is a bug of the fake (a defect). */
const controlError = (error: unknown): FakePlexError => {
  if (error instanceof Core.FakePlexError) return new FakePlexError({ message: error.message })
  throw error
}

const now = Clock.currentTimeMillis

/** The approval the core takes; options that are not an object (null) are a `FakePlexError` naming them. */
const approvalOf = (options: { readonly account?: string | undefined } | undefined, now: number) => {
  const problem = Validate.objectProblem(options, true)
  if (problem !== undefined) throw new Core.FakePlexError(`approvePin: options ${problem}`)
  return { account: options?.account, now }
}

/** The Effect 4 face of a core fake. */
export const fromCore = (fake: Core.FakePlex): FakePlexService => ({
  plexTvUrl: fake.plexTvUrl,
  authAppUrl: fake.authAppUrl,
  clientsUrl: fake.clientsUrl,
  plexTvAliases: fake.plexTvAliases,
  elsewhereUrl: fake.elsewhereUrl,
  serverUrl: fake.serverUrl,
  urls: fake.urls,
  login: fake.login,
  password: Redacted.make(fake.password),
  token: Redacted.make(fake.token),
  serverId: fake.serverId,
  // Read when asked, as the core's: claimed again, or its token revoked, the server has a new one.
  get serverToken() {
    return Redacted.make(fake.serverToken)
  },
  // Read when asked, as the core's: a managed user deleted since is not listed.
  get accounts() {
    return fake.accounts.map(accountOf)
  },
  // Read when asked, as the core's: each server's owner is the current one.
  get servers() {
    return fake.servers.map(serverOf)
  },
  handle: (request) =>
    Clock.clockWith((clock) =>
      Effect.callback<Response, ConnectionFailure>((resume, signal) => {
        fake.handler(request, { clock: fakeClock(clock), signal }).then(
          (response) => resume(Effect.succeed(response)),
          (error: unknown) =>
            resume(
              error instanceof Core.ConnectionFailure
                ? Effect.fail(new ConnectionFailure({ reason: error.reason, origin: error.origin }))
                : // What a `Fault.respond` Effect ended with (a defect, an interruption) is the request's.
                  error instanceof RespondFailure
                  ? Effect.failCause(error.cause)
                  : Effect.die(error)
            )
        )
      })
    ),
  account: (login) => attempt(() => accountOf(fake.account(login))),
  server: (clientIdentifier) => attempt(() => serverOf(fake.server(clientIdentifier))),
  mintToken: (login) =>
    Effect.flatMap(now, (at) => attempt(() => Redacted.make(fake.mintToken(login, { now: at })))),
  revokeToken: (token) => Effect.sync(() => fake.revokeToken(plain(token))),
  revokeDevice: (clientIdentifier) => Effect.sync(() => fake.revokeDevice(clientIdentifier)),
  isTokenValid: (token) => Effect.map(now, (at) => fake.isTokenValid(plain(token), { now: at })),
  patchAccount: (login, payload) => attempt(() => fake.patchAccount(login, payload)),
  pins: Effect.map(now, (at) => fake.pins({ now: at }).map(pinOf)),
  approvePin: (pin, options) =>
    Effect.flatMap(now, (at) =>
      Effect.tryPromise({
        try: async () => fake.approvePin(pin, approvalOf(options, at)),
        catch: controlError
      })
    ).pipe(Effect.map((token) => Redacted.make(token))),
  transientTokens: Effect.map(now, (at) => fake.transientTokens({ now: at }).map(transientOf)),
  restartServer: (clientIdentifier) => attempt(() => fake.restartServer(clientIdentifier)),
  // Options of the wrong kind die with the kit's `FakePlexError` (as on Effect 3), not the core's of that name.
  rotateJwtKey: (options) =>
    Effect.orDie(Effect.tryPromise({ try: () => fake.rotateJwtKey(options), catch: controlError })),
  deviceKeys: Effect.sync(() => fake.deviceKeys()),
  unregisterDeviceKey: (kid) => Effect.sync(() => fake.unregisterDeviceKey(kid)),
  fault: (target, fault, options) =>
    Effect.flatMap(Effect.context<never>(), (context) =>
      // A refused fault dies with the kit's `FakePlexError` (the one `FakePlex` exports), not the core's.
      Effect.orDie(attempt(() => fake.fault(target, coreFault(fault, context), options)))
    ),
  clearFaults: Effect.sync(() => fake.clearFaults()),
  requests: Effect.sync(() => fake.requests().map(recordOf)),
  clearRequests: Effect.sync(() => fake.clearRequests())
})
