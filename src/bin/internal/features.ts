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
import type { ClientIdentity } from "../../ClientIdentity.js"
import type { Credentials } from "../../Credentials.js"
import * as Claim from "../../Claim.js"
import * as CoreFailure from "../../core/cli/failure.js"
import * as Devices from "../../Devices.js"
import * as Home from "../../Home.js"
import type * as PlexError from "../../PlexError.js"
import { CliFailure, ExitCode, fromPlexError, fromStoreError, originOf, usage } from "./failure.js"
import * as FeaturesSeed from "./featuresSeed.js"
import * as Output from "./output.js"
import * as Session from "./session.js"

/** The global options every command declares (see commands.ts). */
export type GlobalOptions = {
  readonly fake: Options.Options<boolean>
  readonly configDir: Options.Options<Option.Option<string>>
  readonly plexTv: Options.Options<Option.Option<string>>
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
    after: RunGlobals
  ) => <A, E, R>(
    work: (run: RunGlobals) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | CliFailure, Exclude<R, SessionServices> | Command.Command.Context<"plex-auth">>
  /** The saved token as `Credentials` ("not logged in" when there is none). */
  readonly storedCredentials: Layer.Layer<
    Credentials,
    CliFailure,
    Session.Session | KeyValueStore.KeyValueStore
  >
  /** Saves a token as the session's. */
  readonly saveToken: (
    token: Redacted.Redacted<string>
  ) => Effect.Effect<void, CliFailure, Session.Session | KeyValueStore.KeyValueStore>
  /** A prompt; a closed stdin or Ctrl-C becomes a failure that says so. */
  readonly ask: <A>(
    prompt: Prompt.Prompt<A>,
    missing: string
  ) => Effect.Effect<A, CliFailure, Prompt.Prompt.Environment>
}

/** The one-line failure for an error of the library, with the feature errors said plainly. */
export const failure = (error: PlexError.PlexError | CliFailure): CliFailure => {
  switch (error._tag) {
    case "CliFailure":
      return error
    case "HomeUserNotFound":
      return new CliFailure({
        message: `The Plex Home has no user "${error.user}"${
          error.available.length === 0 ? "" : ` (it has: ${error.available.map((n) => `"${n}"`).join(", ")})`
        }.`,
        exitCode: ExitCode.Generic
      })
    case "HomePinRequired":
      return new CliFailure({
        message: `"${error.user}" is protected by a PIN: enter it when asked, or set PLEX_HOME_PIN.`,
        exitCode: ExitCode.Unauthorized
      })
    case "InvalidHomePin":
      return new CliFailure({
        message: `The PIN for "${error.user}" was not accepted.`,
        exitCode: ExitCode.Unauthorized
      })
    default:
      return fromPlexError(error)
  }
}

const plex = <A, R>(effect: Effect.Effect<A, PlexError.PlexError | CliFailure, R>) =>
  Effect.mapError(effect, failure)

const flags = (user: Home.HomeUser): string =>
  [
    user.admin ? "admin" : undefined,
    user.restricted ? "managed" : undefined,
    user.protected ? "PIN" : undefined
  ]
    .filter((flag) => flag !== undefined)
    .join(", ")

/** Rows of columns for a human: each cell neutralised (it comes from plex.tv), then padded. */
const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const cells = rows.map((row) => row.map(Output.neutralise))
  const widths: Array<number> = []
  for (const row of cells) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}

/** `last seen <date>` for a human; nothing when plex.tv gave no time, or one no date can hold. */
const lastSeen = (seconds: number | undefined): string => {
  if (seconds === undefined) return ""
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? "" : `last seen ${date.toISOString().slice(0, 10)}`
}

/** A Plex Home user under `--json` (docs/cli.md, "Output for scripts"). */
const homeUserJson = (user: Home.HomeUser) => ({
  id: user.id,
  uuid: user.uuid,
  title: user.title,
  username: user.username ?? null,
  email: user.email ?? null,
  admin: user.admin,
  restricted: user.restricted,
  protected: user.protected,
  guest: user.guest
})

/** An authorized device under `--json`: never its token. */
const deviceJson = CoreFailure.deviceJson

/** The commands, given what commands.ts shares. */
export const commands = (shared: Shared) => {
  const { ask, globalOptions, inSession, saveToken, storedCredentials } = shared

  // -------------------------------------------------------------------------
  // home, home switch
  // -------------------------------------------------------------------------

  const homeSwitch = Command.make(
    "switch",
    { user: Args.text({ name: "user" }), globals: globalOptions },
    (options) =>
      inSession(options.globals)((run) =>
        Effect.gen(function* () {
          const list = yield* plex(Home.users())
          const user = Home.findUser(list, options.user)
          if (user === undefined) {
            return yield* new CliFailure({
              message: `The Plex Home has no user "${options.user}" (it has: ${list.map((u) => `"${u.title}"`).join(", ")}).`,
              exitCode: ExitCode.Generic
            })
          }
          let pin: Redacted.Redacted<string> | undefined
          if (user.protected) {
            const fromEnv = yield* Config.option(Config.redacted("PLEX_HOME_PIN")).pipe(
              Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
            )
            pin =
              Option.isSome(fromEnv) && Redacted.value(fromEnv.value).length > 0
                ? fromEnv.value
                : yield* ask(
                    Prompt.password({
                      message: `PIN for ${Output.neutralise(user.title)}`,
                      validate: (value) =>
                        /^\s*\d{4}\s*$/.test(value)
                          ? Effect.succeed(value.trim())
                          : Effect.fail("Four digits, please")
                    }),
                    "set PLEX_HOME_PIN"
                  )
          }
          const switched = yield* plex(Home.switchUser(user, { pin }))
          yield* saveToken(switched.token)
          const session = yield* Session.Session
          if (Option.isSome(session.fake)) {
            const store = yield* KeyValueStore.KeyValueStore
            const username = switched.account.username ?? ""
            yield* Effect.mapError(
              username === "" && user.restricted
                ? store.set(FeaturesSeed.fakeUserKey, user.title.toLowerCase())
                : store.set(FeaturesSeed.fakeUserKey, username),
              fromStoreError
            )
          }
          // The token is saved, never printed (not even under --json).
          yield* run.json
            ? Output.json({ user: homeUserJson(user), file: session.file })
            : Output.line(
                `Switched to ${Output.neutralise(user.title)}. Its token is saved in ${session.file}.`
              )
        }).pipe(Effect.provide(storedCredentials))
      )
  ).pipe(
    Command.withDescription(
      "Switch to a user of the Plex Home (by title, username or id) and save its token; asks for the user's PIN when it has one (or PLEX_HOME_PIN)."
    )
  )

  const home = Command.make("home", { globals: globalOptions }, (options) =>
    inSession(options.globals)((run) =>
      Effect.gen(function* () {
        const list = yield* plex(Home.users())
        if (run.json) return yield* Output.json({ users: list.map(homeUserJson) })
        yield* Output.line(table(list.map((user) => [user.title, String(user.id), flags(user)])))
      }).pipe(Effect.provide(storedCredentials))
    )
  ).pipe(
    Command.withDescription("List the users of the account's Plex Home (admin, managed, PIN-protected)."),
    Command.withSubcommands([homeSwitch])
  )

  // -------------------------------------------------------------------------
  // claim-token, claim
  // -------------------------------------------------------------------------

  const claimToken = Command.make("claim-token", { globals: globalOptions }, (options) =>
    inSession(options.globals)((run) =>
      Effect.gen(function* () {
        const token = yield* plex(Claim.token())
        // A secret printed on purpose: on stdout, alone (or alone in its JSON document),
        // for `docker run -e PLEX_CLAIM=$(plex-auth claim-token)`.
        yield* run.json ? Output.json({ token: Redacted.value(token) }) : Output.line(Redacted.value(token))
      }).pipe(Effect.provide(storedCredentials))
    )
  ).pipe(
    Command.withDescription(
      "Print a claim token (valid a few minutes; what Docker's PLEX_CLAIM takes), and nothing else, on stdout."
    )
  )

  const claim = Command.make(
    "claim",
    { serverUrl: Args.text({ name: "server-url" }), globals: globalOptions },
    (options) =>
      inSession(options.globals)((run) =>
        Effect.gen(function* () {
          const session = yield* Session.Session
          // With --fake, the fake's unclaimed server answers on loopback, not at the address it is seeded with.
          const seeded = FeaturesSeed.fakeSeededUrls.find(
            ([at]) => at === options.serverUrl.replace(/\/+$/, "")
          )
          const url =
            Option.isSome(session.fake) && seeded !== undefined
              ? (yield* Effect.orDie(session.fake.value.fake.server(seeded[1]))).url
              : options.serverUrl
          const identity = yield* plex(
            Claim.claimServer(url).pipe(
              Effect.catchTag("InvalidInput", (error) =>
                Effect.fail(usage(`Invalid server URL: ${error.reason}.`))
              )
            )
          )
          yield* run.json
            ? Output.json({ machineIdentifier: identity.machineIdentifier, origin: originOf(url) })
            : Output.line(
                `Claimed the server ${Output.neutralise(identity.machineIdentifier)} at ${originOf(url)}.`
              )
        }).pipe(Effect.provide(storedCredentials))
      )
  ).pipe(
    Command.withDescription(
      "Claim an unclaimed server (e.g. http://192.168.1.20:32400, on its own network) for the saved account."
    )
  )

  // -------------------------------------------------------------------------
  // devices, devices revoke
  // -------------------------------------------------------------------------

  const revoke = Command.make(
    "revoke",
    { id: Args.integer({ name: "id" }), globals: globalOptions },
    (options) =>
      inSession(options.globals)((run) =>
        Effect.gen(function* () {
          yield* plex(
            Devices.revoke(options.id).pipe(
              Effect.catchTags({
                NotFound: () =>
                  Effect.fail(
                    new CliFailure({
                      message: `The account has no device ${options.id} (see \`plex-auth devices\`).`,
                      exitCode: ExitCode.Generic
                    })
                  ),
                InvalidInput: (error) => Effect.fail(usage(`Invalid device id: ${error.reason}.`))
              })
            )
          )
          yield* run.json
            ? Output.json({ id: options.id, revoked: true })
            : Output.line(`Revoked device ${options.id}: it is signed out.`)
        }).pipe(Effect.provide(storedCredentials))
      )
  ).pipe(
    Command.withDescription(
      "Revoke an authorized device (its id from `plex-auth devices`): it is signed out."
    )
  )

  const devices = Command.make("devices", { globals: globalOptions }, (options) =>
    inSession(options.globals)((run) =>
      Effect.gen(function* () {
        const list = yield* plex(Devices.list())
        if (run.json) return yield* Output.json({ devices: list.map(deviceJson) })
        if (list.length === 0) return yield* Output.line("No authorized devices.")
        yield* Output.line(
          table(list.map((d) => [String(d.id), d.name, d.product ?? "", lastSeen(d.lastSeenAt)]))
        )
      }).pipe(Effect.provide(storedCredentials))
    )
  ).pipe(
    Command.withDescription("List the devices authorized on the account (id, name, product, last seen)."),
    Command.withSubcommands([revoke])
  )

  return [home, claimToken, claim, devices] as const
}
