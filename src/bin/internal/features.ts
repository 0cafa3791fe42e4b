/**
 * The feature commands of `plex-auth`: Plex Home (`home`, `home switch`),
 * server claiming (`claim-token`, `claim`) and authorized devices
 * (`devices`, `devices revoke`). Registered by commands.ts, which hands
 * over the pieces every command shares.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import type * as Options from "@effect/cli/Options"
import * as Prompt from "@effect/cli/Prompt"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as HttpClient from "@effect/platform/HttpClient"
import { ClientIdentity } from "../../ClientIdentity.js"
import type { Credentials } from "../../Credentials.js"
import * as Claim from "../../Claim.js"
import * as DeviceFacts from "../../core/devices.js"
import * as FakeSeed from "../../core/cli/fakeSeed.js"
import * as CoreFailure from "../../core/cli/failure.js"
import { help as Help } from "../../core/cli/help.js"
import * as Render from "../../core/cli/render.js"
import * as Devices from "../../Devices.js"
import * as Home from "../../Home.js"
import type * as PlexError from "../../PlexError.js"
import { CliFailure, ExitCode, fromPlexError, fromStoreError, usage } from "./failure.js"
import * as Output from "./output.js"
import * as Session from "./session.js"
import { type Io, say } from "./terminal.js"

/** The global options every command declares (see commands.ts). */
export type GlobalOptions = {
  readonly fake: Options.Options<boolean>
  readonly configDir: Options.Options<Option.Option<string>>
  readonly plexTv: Options.Options<Option.Option<string>>
  readonly authAppUrl: Options.Options<Option.Option<string>>
  readonly json: Options.Options<boolean>
}

/** The global options of a run (before and after the command's name merged), with `--json`. */
export interface RunGlobals extends Session.Globals {
  readonly json: boolean
}

/** What a command's session provides (see session.ts). */
type SessionServices = Session.Session | KeyValueStore.KeyValueStore | ClientIdentity | HttpClient.HttpClient

/** What commands.ts shares with these commands. */
export interface Shared {
  readonly globalOptions: GlobalOptions
  /**
   * Runs a command's work in its session, given the global options that
   * followed the command's name; the work gets the run's merged options
   * (`run.json`: print one JSON document instead of text).
   */
  readonly inSession: (
    after: RunGlobals,
    options?: { readonly signedIn?: boolean }
  ) => <A, E, R>(
    work: (run: RunGlobals) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | CliFailure, Exclude<R, SessionServices> | Command.Command.Context<"plex-auth">>
  /** The saved token as `Credentials` ("not logged in" when there is none). */
  readonly storedCredentials: Layer.Layer<
    Credentials,
    CliFailure,
    Session.Session | KeyValueStore.KeyValueStore
  >
  /** Saves a token as the session's (and says so when the directory is one the user chose that others may open). */
  readonly saveToken: (
    token: Redacted.Redacted<string>
  ) => Effect.Effect<void, CliFailure, Session.Session | KeyValueStore.KeyValueStore | Io>
  /** A prompt; a closed stdin or Ctrl-C becomes a failure that says so. */
  readonly ask: <A>(
    prompt: Prompt.Prompt<A>,
    missing: string
  ) => Effect.Effect<A, CliFailure, Prompt.Prompt.Environment | Io>
}

/** The one-line failure for an error of the library (the feature errors' messages are in src/core/cli). */
export const failure = (error: PlexError.PlexError | CliFailure): CliFailure =>
  error._tag === "CliFailure" ? error : fromPlexError(error)

const plex = <A, R>(effect: Effect.Effect<A, PlexError.PlexError | CliFailure, R>) =>
  Effect.mapError(effect, failure)

/** The commands, given what commands.ts shares. */
export const commands = (shared: Shared) => {
  const { ask, globalOptions, inSession, saveToken, storedCredentials } = shared

  // -------------------------------------------------------------------------
  // home, home switch
  // -------------------------------------------------------------------------

  const homeSwitch = Command.make(
    "switch",
    { user: Args.text({ name: "user" }).pipe(Args.withDescription(Help.user)), globals: globalOptions },
    (options) =>
      inSession(options.globals, { signedIn: true })((run) =>
        Effect.gen(function* () {
          const blank = CoreFailure.homeUserArgumentProblem(options.user)
          if (blank !== undefined) return yield* new CliFailure({ message: blank, exitCode: ExitCode.Usage })
          const list = yield* plex(Home.users())
          const user = Home.findUser(list, options.user)
          if (user === undefined) {
            return yield* new CliFailure({
              message: CoreFailure.homeUserNotFoundMessage(
                options.user,
                list.map((u) => u.title)
              ),
              exitCode: ExitCode.Generic
            })
          }
          const given = yield* Config.option(Config.redacted("PLEX_HOME_PIN")).pipe(
            Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
          )
          const fromEnv = Option.filter(given, (value) => Render.envSet(Redacted.value(value)))
          const typed = ask(
            Prompt.password({
              message: Render.homePinQuestion(user.title),
              validate: (value) =>
                Render.homePinValid(value) ? Effect.succeed(value.trim()) : Effect.fail("Four digits, please")
            }),
            // A blank PLEX_HOME_PIN counts as none: said so, not "set PLEX_HOME_PIN" as if it were unset.
            Render.homePinMissing(Option.isSome(given) && Option.isNone(fromEnv))
          )
          // PLEX_HOME_PIN is used whenever it is set; without it, a user the listing marks protected is asked
          // for its PIN before the switch, any other switched to without one.
          const pin = Option.isSome(fromEnv) ? fromEnv.value : user.protected ? yield* typed : undefined
          const switched = yield* plex(
            pin === undefined
              ? // plex.tv decides whether it wants the PIN, and may for a user the listing did not mark
                // protected (403, code 1041: HomePinRequired): asked for then, and the switch sent once more.
                Effect.catchTag(Home.switchUser(user), "HomePinRequired", () =>
                  Effect.flatMap(typed, (again) => Home.switchUser(user, { pin: again }))
                )
              : Home.switchUser(user, { pin })
          )
          yield* saveToken(switched.token)
          const session = yield* Session.Session
          if (Option.isSome(session.fake)) {
            const store = yield* KeyValueStore.KeyValueStore
            yield* Effect.mapError(
              store.set(FakeSeed.fakeUserKey, FakeSeed.fakeSwitchedUser(switched.account.username, user)),
              fromStoreError
            )
          }
          // The token is saved, never printed (not even under --json).
          yield* run.json
            ? Output.json({ user: Render.homeUserJson(user), file: session.file })
            : Output.line(Render.switchedText(user.title, session.file))
        }).pipe(Effect.provide(storedCredentials))
      )
  ).pipe(Command.withDescription(Help.switchCommand))

  const home = Command.make("home", { globals: globalOptions }, (options) =>
    inSession(options.globals, { signedIn: true })((run) =>
      Effect.gen(function* () {
        const list = yield* plex(Home.users())
        yield* run.json
          ? Output.json({ users: list.map(Render.homeUserJson) })
          : Output.line(Render.homeText(list))
      }).pipe(Effect.provide(storedCredentials))
    )
  ).pipe(Command.withDescription(Help.homeCommand), Command.withSubcommands([homeSwitch]))

  // -------------------------------------------------------------------------
  // claim-token, claim
  // -------------------------------------------------------------------------

  const claimToken = Command.make("claim-token", { globals: globalOptions }, (options) =>
    inSession(options.globals, { signedIn: true })((run) =>
      Effect.gen(function* () {
        const token = yield* plex(Claim.token())
        // A secret printed on purpose: on stdout, alone (or alone in its JSON document),
        // for `docker run -e PLEX_CLAIM=$(plex-auth claim-token)`.
        yield* run.json ? Output.json({ token: Redacted.value(token) }) : Output.line(Redacted.value(token))
      }).pipe(Effect.provide(storedCredentials))
    )
  ).pipe(Command.withDescription(Help.claimTokenCommand))

  const claim = Command.make(
    "claim",
    {
      serverUrl: Args.text({ name: "server-url" }).pipe(Args.withDescription(Help.serverUrl)),
      globals: globalOptions
    },
    (options) =>
      inSession(options.globals, { signedIn: true })((run) =>
        Effect.gen(function* () {
          const session = yield* Session.Session
          // With --fake, the fake's unclaimed server answers on loopback, not at the address it is seeded with.
          const seeded = FakeSeed.fakeSeededServer(options.serverUrl)
          const url =
            Option.isSome(session.fake) && seeded !== undefined
              ? (yield* Effect.orDie(session.fake.value.fake.server(seeded))).url
              : options.serverUrl
          const claimed = yield* plex(
            Claim.claimServer(url).pipe(
              Effect.map((identity) => ({
                machineIdentifier: identity.machineIdentifier,
                alreadyClaimed: false
              })),
              Effect.catchTag("InvalidInput", (error) =>
                Effect.fail(usage(CoreFailure.invalidMessage("server URL", error.reason)))
              ),
              // Claimed already: this account's own server (a second run) is nothing to do; another account's, or one
              // plex.tv's list could not tell (the library's claimedBy), stays the error.
              Effect.catchTag("ServerAlreadyClaimed", (error) =>
                error.claimedBy === "ThisAccount"
                  ? Effect.succeed({ machineIdentifier: error.machineIdentifier, alreadyClaimed: true })
                  : Effect.fail(error)
              )
            )
          )
          yield* run.json
            ? Output.json({
                machineIdentifier: claimed.machineIdentifier,
                origin: CoreFailure.originOf(url),
                alreadyClaimed: claimed.alreadyClaimed
              })
            : Output.line(
                (claimed.alreadyClaimed ? Render.alreadyOwnedText : Render.claimedText)(
                  claimed.machineIdentifier,
                  url
                )
              )
        }).pipe(Effect.provide(storedCredentials))
      )
  ).pipe(Command.withDescription(Help.claimCommand))

  // -------------------------------------------------------------------------
  // devices, devices revoke
  // -------------------------------------------------------------------------

  const revoke = Command.make(
    "revoke",
    { id: Args.integer({ name: "id" }).pipe(Args.withDescription(Help.id)), globals: globalOptions },
    (options) =>
      inSession(options.globals, { signedIn: true })((run) =>
        Effect.gen(function* () {
          // The CLI's own device (its client identifier): its saved token stops working with it (asked first:
          // once revoked, the device is no longer listed). An id the library refuses is refused before any request.
          const identity = yield* ClientIdentity
          const own =
            DeviceFacts.deviceIdProblem(options.id) === undefined &&
            Render.isOwnDevice(options.id, yield* plex(Devices.list()), identity.clientIdentifier)
          yield* plex(
            Devices.revoke(options.id).pipe(
              Effect.catchTags({
                NotFound: () =>
                  Effect.fail(
                    new CliFailure({
                      message: Render.noSuchDeviceMessage(options.id),
                      exitCode: ExitCode.Generic
                    })
                  ),
                InvalidInput: (error) => Effect.fail(usage(Render.invalidDeviceIdMessage(error.reason)))
              })
            )
          )
          if (own) {
            // As `logout` forgets it: under --fake, with the record of whose session it was.
            const session = yield* Session.Session
            const store = yield* KeyValueStore.KeyValueStore
            yield* Effect.mapError(
              Effect.zipRight(
                store.remove(session.tokenKey),
                Option.isSome(session.fake) ? store.remove(FakeSeed.fakeUserKey) : Effect.void
              ),
              fromStoreError
            )
          }
          yield* run.json
            ? Output.json({ id: options.id, revoked: true, forgotten: own })
            : Output.line(Render.revokedText(options.id))
          if (own) yield* say(Render.revokedOwnText(options.id))
        }).pipe(Effect.provide(storedCredentials))
      )
  ).pipe(Command.withDescription(Help.revokeCommand))

  const devices = Command.make("devices", { globals: globalOptions }, (options) =>
    inSession(options.globals, { signedIn: true })((run) =>
      Effect.gen(function* () {
        const list = yield* plex(Devices.list())
        // Never a device's token.
        yield* run.json
          ? Output.json({ devices: list.map(CoreFailure.deviceJson) })
          : Output.line(Render.devicesText(list))
      }).pipe(Effect.provide(storedCredentials))
    )
  ).pipe(Command.withDescription(Help.devicesCommand), Command.withSubcommands([revoke]))

  return [home, claimToken, claim, devices] as const
}
