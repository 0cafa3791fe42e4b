/**
 * The Effect 3 binding of the Effect-free fake (`src/core/fake`): options
 * and faults turned into the core's plain data (`Duration` → milliseconds,
 * `Redacted` → strings), the core's handler and control calls run as
 * Effects that read the caller's `Clock` (so `TestClock` drives the fake)
 * and pass the fiber's interruption as the request's `AbortSignal`, and the
 * core's records and views turned back into `Redacted`.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import { PCGRandom } from "effect/Utils"
import * as Core from "../../core/fake/index.js"
import * as Validate from "../../core/validate.js"
import type {
  AccountSeed,
  FakeAccount,
  FakePin,
  FakePlexService,
  FakeServer,
  FakeTransientToken,
  Options,
  RecordedRequest,
  ServerSeed
} from "../FakePlex.js"
import type { Fault } from "../Fault.js"
import { ConnectionFailure, FakePlexError } from "./errors.js"

type Secretish = string | Redacted.Redacted<string>

const reveal = (value: Secretish): string => (Redacted.isRedacted(value) ? Redacted.value(value) : value)

const revealOptional = (value: Secretish | undefined): string | undefined =>
  value === undefined ? undefined : reveal(value)

/**
 * A seeded duration in milliseconds. A negative one stays negative (`Duration` would make it zero), so the core
 * refuses the seed (a defect, as for any inconsistent seed) rather than making a PIN that expires at once.
 */
const millis = (what: string, duration: Duration.DurationInput | undefined): number | undefined =>
  Core.kitMillis(what, toMillis(duration), duration)

const toMillis = (duration: Duration.DurationInput | undefined): number | undefined => {
  if (duration === undefined) return undefined
  // Milliseconds as given: a negative or NaN count is refused.
  if (typeof duration === "number") return duration
  // Negative as written otherwise ("-1 second", -1n, [-1, 0], { millis: NaN }): Effect 3's Duration reads it as
  // zero, Effect 4 keeps the sign (or reads NaN as zero); refused alike, shown as given. So is one that is not a
  // duration ("soon"), which each edition's Duration refused in words of its own, naming no option.
  if (Validate.isNegativeDurationInput(duration)) return Number.NaN
  const decoded = Duration.decodeUnknown(duration)
  return Option.isSome(decoded) ? Duration.toMillis(decoded.value) : Number.NaN
}

const account = (seed: AccountSeed): Core.AccountSeed => ({
  ...seed,
  password: revealOptional(seed.password),
  twoFactorCode: revealOptional(seed.twoFactorCode),
  token: revealOptional(seed.token),
  homePin: revealOptional(seed.homePin),
  devices: seed.devices?.map((device) => ({ ...device, token: revealOptional(device.token) }))
})

const server = (seed: ServerSeed): Core.ServerSeed => ({
  ...seed,
  accessToken: revealOptional(seed.accessToken),
  sources: seed.sources?.map((source) => ({ ...source, accessToken: revealOptional(source.accessToken) }))
})

/** A seed's secrets may be given as strings or `Redacted` (refused otherwise, naming both). */
const kitSecret: Core.SecretKind = { is: Redacted.isRedacted, expected: "a string or a Redacted" }

/** The core's options for the test kit's. */
const toCoreOptionsUnchecked = (options: Options): Core.Options => {
  // From untyped JavaScript (null, a number): the kit's FakePlexError naming the options (a defect, as a refused
  // fault is), not a TypeError.
  const problem = Validate.objectProblem(options, true)
  if (problem !== undefined) throw new FakePlexError({ message: `FakePlex: options ${problem}` })
  // Lists, entries and fields of the wrong kind (`accounts: [null]`, `homes: [{}]`, `id: "x"`, a token that is a
  // number): the core's FakePlexError naming the field (made this kit's by `seeded`), before they are read here.
  Core.checkSeedShape(options, kitSecret)
  const lifetime = Validate.objectProblem(options.pinLifetime, true)
  if (lifetime !== undefined) throw new FakePlexError({ message: `FakePlex: pinLifetime ${lifetime}` })
  const auto = options.autoApprovePins
  return {
    plexTvUrl: options.plexTvUrl,
    clientsUrl: options.clientsUrl,
    plexTvAliases: options.plexTvAliases,
    allowOrigins: options.allowOrigins,
    elsewhereUrl: options.elsewhereUrl,
    accounts: options.accounts?.map(account),
    servers: options.servers?.map(server),
    shape: options.shape,
    pinLifetimeMillis:
      options.pinLifetime === undefined
        ? undefined
        : {
            strong: millis("pinLifetime.strong", options.pinLifetime.strong),
            short: millis("pinLifetime.short", options.pinLifetime.short)
          },
    transientTokenLifetimeMillis: millis("transientTokenLifetime", options.transientTokenLifetime),
    claimTokenLifetimeMillis: millis("claimTokenLifetime", options.claimTokenLifetime),
    autoApprovePins:
      auto === undefined || typeof auto === "boolean"
        ? auto
        : { afterMillis: millis("autoApprovePins.after", auto.after), account: auto.account },
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
export const toCoreOptions = (options: Options): Core.Options => seeded(() => toCoreOptionsUnchecked(options))

/**
 * The core's random source (`randomInt`: an integer in `[0, bound)`) for a
 * fake, taken from the `Random` of the Effect that builds it, so the codes,
 * tokens and nonces of a fake follow that `Random` (a seeded one,
 * `Effect.withRandom(Random.make(seed))`, gives the same ones each run).
 *
 * 64 bits are drawn from it once, here, to seed a `Utils.PCGRandom` (the
 * generator of Effect's own `Random`), which then gives each character:
 * Effect 3's `Random` answers only with Effects, and one `Effect.runSync`
 * per character of every code and token (about 20 µs each) was most of what
 * minting a token cost. (The Effect 4 edition reads its `Random`
 * synchronously, `nextDoubleUnsafe`, per character.)
 */
export const coreRandomInt: Effect.Effect<(bound: number) => number> = Effect.map(
  Effect.all([Random.nextIntBetween(0, 2 ** 32), Random.nextIntBetween(0, 2 ** 32)]),
  ([seedHi, seedLo]) => {
    const generator = new PCGRandom(seedHi, seedLo)
    return (bound) => generator.integer(bound)
  }
)

/** A `Fault.respond` Effect that did not succeed: its cause, re-raised by the handler's Effect. */
class RespondFailure {
  constructor(readonly cause: Cause.Cause<never>) {}
}

/** The core's fault for the test kit's; a `Respond` Effect runs on `runtime` (that of the `fault` call). */
export const toCoreFault = (fault: Fault, runtime: Runtime.Runtime<never>): Core.Fault.Fault => {
  // Not a fault at all (null, from untyped JavaScript): passed on for the core to refuse by name.
  if (typeof fault !== "object" || fault === null) return fault
  switch (fault._tag) {
    case "Status":
      return {
        _tag: "Status",
        status: fault.status,
        retryAfterMillis: fault.retryAfter === undefined ? undefined : Duration.toMillis(fault.retryAfter),
        code: fault.code,
        message: fault.message,
        headers: fault.headers
      }
    case "Delay":
      return Core.Fault.delay(
        Duration.toMillis(fault.duration),
        fault.then === undefined ? undefined : toCoreFault(fault.then, runtime)
      )
    case "Respond":
      return {
        _tag: "Respond",
        respond: async (request, { signal }) => {
          const exit = await Runtime.runPromiseExit(runtime)(fault.respond(request), { signal })
          if (Exit.isSuccess(exit)) return exit.value
          throw new RespondFailure(exit.cause)
        }
      }
    default:
      return fault
  }
}

/** The caller's `Clock` as the core's clock: `now` and `sleep` go through it, so `TestClock` drives them. */
const clockOf = (clock: Clock.Clock, runtime: Runtime.Runtime<never>): Core.FakeClock => ({
  now: () => clock.unsafeCurrentTimeMillis(),
  sleep: (ms, signal) => Runtime.runPromise(runtime)(clock.sleep(Duration.millis(ms)), { signal })
})

const redacted = (secret: Core.Secret) => Redacted.make(secret.reveal())

const redactPairs = (pairs: Readonly<Record<string, string | Core.Secret>>) => {
  const out: Record<string, Secretish> = {}
  for (const [name, value] of Object.entries(pairs)) {
    out[name] = Core.isSecret(value) ? redacted(value) : value
  }
  return out
}

const redactJson = (value: unknown): unknown => {
  if (Core.isSecret(value)) return redacted(value)
  if (Array.isArray(value)) return value.map(redactJson)
  if (typeof value !== "object" || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(value)) out[name] = redactJson(field)
  return out
}

const record = (r: Core.RecordedRequest): RecordedRequest => ({
  ...r,
  query: redactPairs(r.query),
  // The core records the secret headers (x-plex-token, authorization, ...) as Secrets: Redacted here.
  headers: redactPairs(r.headers) as RecordedRequest["headers"],
  form: r.form === undefined ? undefined : redactPairs(r.form),
  json: redactJson(r.json)
})

const accountView = (a: Core.FakeAccount): FakeAccount => ({
  ...a,
  password: Redacted.make(a.password),
  twoFactorCode: a.twoFactorCode === undefined ? undefined : Redacted.make(a.twoFactorCode),
  token: Redacted.make(a.token)
})

const serverView = (s: Core.FakeServer): FakeServer => ({ ...s, accessToken: Redacted.make(s.accessToken) })

const pinView = (p: Core.FakePin): FakePin => ({
  ...p,
  authToken: p.authToken === undefined ? undefined : Redacted.make(p.authToken)
})

const transientView = (t: Core.FakeTransientToken): FakeTransientToken => ({
  ...t,
  token: Redacted.make(t.token)
})

const fakePlexError = (error: unknown) =>
  error instanceof Core.FakePlexError ? new FakePlexError({ message: error.message }) : undefined

/** A control call of the core; its `FakePlexError` fails, anything else is a defect. */
const control = <A>(f: () => A): Effect.Effect<A, FakePlexError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (error) {
      const failure = fakePlexError(error)
      return failure === undefined ? Effect.die(error) : Effect.fail(failure)
    }
  })

/** An asynchronous control call of the core, as {@link control}. */
const controlPromise = <A>(f: () => Promise<A>): Effect.Effect<A, FakePlexError> =>
  Effect.async<A, FakePlexError>((resume) => {
    f().then(
      (value) => resume(Effect.succeed(value)),
      (error: unknown) => {
        const failure = fakePlexError(error)
        resume(failure === undefined ? Effect.die(error) : Effect.fail(failure))
      }
    )
  })

/** The core's web handler as an Effect: the caller's `Clock`, and its interruption as the abort signal. */
const handleWith =
  (core: Core.FakePlex) =>
  (request: Request): Effect.Effect<Response, ConnectionFailure> =>
    Effect.flatMap(Effect.zip(Effect.clock, Effect.runtime<never>()), ([clock, runtime]) =>
      Effect.async<Response, ConnectionFailure>((resume, signal) => {
        core.handler(request, { clock: clockOf(clock, runtime), signal }).then(
          (response) => resume(Effect.succeed(response)),
          (error: unknown) => {
            if (error instanceof Core.ConnectionFailure) {
              resume(Effect.fail(new ConnectionFailure({ reason: error.reason, origin: error.origin })))
            } else if (error instanceof RespondFailure) {
              resume(Effect.failCause(error.cause))
            } else {
              resume(Effect.die(error))
            }
          }
        )
      })
    )

/** The approval the core takes; options that are not an object (null) are a `FakePlexError` naming them. */
const approvalOf = (options: { readonly account?: string | undefined } | undefined, now: number) => {
  const problem = Validate.objectProblem(options, true)
  if (problem !== undefined) throw new Core.FakePlexError(`approvePin: options ${problem}`)
  return { account: options?.account, now }
}

/** The test kit's service over a core fake. */
export const fromCore = (core: Core.FakePlex): FakePlexService => ({
  plexTvUrl: core.plexTvUrl,
  authAppUrl: core.authAppUrl,
  clientsUrl: core.clientsUrl,
  plexTvAliases: core.plexTvAliases,
  elsewhereUrl: core.elsewhereUrl,
  serverUrl: core.serverUrl,
  urls: core.urls,
  login: core.login,
  password: Redacted.make(core.password),
  token: Redacted.make(core.token),
  serverId: core.serverId,
  // Read when asked, as the core's: claimed again, or its token revoked, the server has a new one.
  get serverToken() {
    return Redacted.make(core.serverToken)
  },
  // Read when asked, as the core's: a managed user deleted since is not listed.
  get accounts() {
    return core.accounts.map(accountView)
  },
  // Read when asked, as the core's: each server's owner is the current one.
  get servers() {
    return core.servers.map(serverView)
  },
  handle: handleWith(core),
  account: (login) => control(() => accountView(core.account(login))),
  server: (id) => control(() => serverView(core.server(id))),
  mintToken: (login) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      control(() => Redacted.make(core.mintToken(login, { now })))
    ),
  revokeToken: (token) => Effect.sync(() => core.revokeToken(reveal(token))),
  revokeDevice: (clientIdentifier) => Effect.sync(() => core.revokeDevice(clientIdentifier)),
  isTokenValid: (token) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => core.isTokenValid(reveal(token), { now }))
    ),
  patchAccount: (login, payload) => control(() => core.patchAccount(login, payload)),
  pins: Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => core.pins({ now }).map(pinView))),
  approvePin: (pin, options) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.map(
        controlPromise(async () => core.approvePin(pin, approvalOf(options, now))),
        (token) => Redacted.make(token)
      )
    ),
  transientTokens: Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.sync(() => core.transientTokens({ now }).map(transientView))
  ),
  restartServer: (id) => control(() => core.restartServer(id)),
  rotateJwtKey: (options = {}) => Effect.orDie(controlPromise(() => core.rotateJwtKey(options))),
  deviceKeys: Effect.sync(() => core.deviceKeys()),
  unregisterDeviceKey: (kid) => Effect.sync(() => core.unregisterDeviceKey(kid)),
  fault: (target, fault, options) =>
    Effect.flatMap(Effect.runtime<never>(), (runtime) =>
      // A refused fault dies with the kit's `FakePlexError` (the one `FakePlex` exports), not the core's.
      Effect.orDie(control(() => core.fault(target, toCoreFault(fault, runtime), options)))
    ),
  clearFaults: Effect.sync(() => core.clearFaults()),
  requests: Effect.sync(() => core.requests().map(record)),
  clearRequests: Effect.sync(() => core.clearRequests())
})
