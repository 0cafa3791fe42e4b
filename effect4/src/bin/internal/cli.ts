/**
 * The `plex-auth` commands on Effect 4 (`effect/cli`), with the same
 * options, output, `--json` documents and exit codes as the Effect 3
 * edition's CLI (docs/cli.md). What both CLIs say is in src/core/cli.
 */
import * as os from "node:os"
import * as nodePath from "node:path"
import * as Cause from "effect/Cause"
import * as Argument from "effect/cli/Argument"
import * as CliConfig from "effect/cli/CliConfig"
import * as CliError from "effect/cli/CliError"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as GlobalFlag from "effect/cli/GlobalFlag"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Option from "effect/Option"
import type * as KeyValueStoreService from "effect/persistence/KeyValueStore"
import * as PlatformError from "effect/PlatformError"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Core from "../../../../src/core/cli/failure.js"
import * as ClientIdentity from "../../ClientIdentity.js"
import * as Claim from "../../Claim.js"
import * as Credentials from "../../Credentials.js"
import * as Devices from "../../Devices.js"
import * as FakePlexServer from "../../node/FakePlexServer.js"
import * as FileStore from "../../node/KeyValueStore.js"
import * as PinLogin from "../../PinLogin.js"
import * as PlexAuth from "../../PlexAuth.js"
import * as PlexServer from "../../PlexServer.js"
import * as PlexTv from "../../PlexTv.js"
import * as Resources from "../../Resources.js"
import * as Fault from "../../testing/Fault.js"
import * as Platform from "./platform.js"
import { version } from "./version.js"

const ExitCode = Core.ExitCode

/** A failure the CLI reports: its message (never a secret) and exit code. */
export class CliFailure extends Data.TaggedError("CliFailure")<Core.Failure> {}

const usage = (message: string) => new CliFailure({ message, exitCode: ExitCode.Usage })

const fromPlexError = (error: Core.PlexErrorLike) => new CliFailure(Core.failureOf(error))

const fromStoreError = (error: PlatformError.PlatformError | KeyValueStoreService.KeyValueStoreError) => {
  const platform = error._tag === "KeyValueStoreError" ? error.cause : error
  const reason = PlatformError.isPlatformError(platform) ? platform.reason : undefined
  return new CliFailure({
    message:
      reason?._tag !== undefined && reason._tag !== "BadArgument"
        ? `Could not use the credentials file${reason.pathOrDescriptor !== undefined ? ` ${String(reason.pathOrDescriptor)}` : ""} (${reason._tag}${reason.description !== undefined ? `: ${reason.description}` : ""}).`
        : `Could not use the credentials file (${error.message}).`,
    exitCode: ExitCode.Generic
  })
}

const plexFailure = <A, E extends Core.PlexErrorLike, R>(effect: Effect.Effect<A, E | CliFailure, R>) =>
  Effect.mapError(effect, (error): CliFailure =>
    error._tag === "CliFailure" ? (error as CliFailure) : fromPlexError(error)
  )

/** A line on stderr: progress and prompts, never results. */
const say = (text: string) => Console.error(text)

const line = (text: string) => Console.log(text)
const json = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

const askOrFail = (question: string, missing: string, hidden = false) =>
  Effect.mapError(Platform.ask(question, { hidden }), (why) =>
    why === "cancelled"
      ? new CliFailure({ message: "Cancelled.", exitCode: ExitCode.Cancelled })
      : usage(`stdin ended before the prompt was answered: ${missing}.`)
  )

// ---------------------------------------------------------------------------
// The session: store, identity, plex.tv or the fake
// ---------------------------------------------------------------------------

/** The fake's account's 2FA code with PLEX_AUTH_FAKE=two-factor. */
const fakeTwoFactorCode = "123456"
const fakeTokenKey = "effect-plex-auth/fake/token"
type FakeScenario = "expire-pin" | "two-factor" | "revoke-token" | "offline"
const scenarioNames: ReadonlyArray<string> = ["expire-pin", "two-factor", "revoke-token", "offline"]

const readScenarios = Effect.gen(function* () {
  const raw = yield* Config.String("PLEX_AUTH_FAKE").pipe(
    Config.withDefault(""),
    Effect.orElseSucceed(() => "")
  )
  const names = raw
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0)
  const unknown = names.filter((name) => !scenarioNames.includes(name))
  if (unknown.length > 0) {
    return yield* usage(
      `Unknown PLEX_AUTH_FAKE scenario ${unknown.join(", ")} (known: ${scenarioNames.join(", ")}).`
    )
  }
  return new Set(names as ReadonlyArray<FakeScenario>)
})

const identity = {
  product: "plex-auth",
  version,
  platform: "Node.js",
  platformVersion: process.versions.node,
  device: os.type(),
  deviceName: os.hostname()
}

interface Globals {
  readonly fake: boolean
  readonly json: boolean
  readonly configDir: Option.Option<string>
  readonly plexTv: Option.Option<string>
}

const startFake = (options: {
  readonly scenarios: ReadonlySet<FakeScenario>
  readonly savedToken?: string | undefined
  readonly approvePinsAfter?: Duration.Duration | undefined
}) =>
  Effect.gen(function* () {
    const { scenarios, savedToken } = options
    const server = yield* FakePlexServer.make({
      accounts: [
        {
          ...(savedToken !== undefined && savedToken.length > 0 ? { token: Redacted.make(savedToken) } : {}),
          ...(scenarios.has("two-factor") ? { twoFactorCode: fakeTwoFactorCode } : {}),
          // The devices the Effect 3 CLI's fake has too (src/bin/internal/featuresSeed.ts).
          devices: [
            { name: "Living Room TV", product: "Plex for Android (TV)", platform: "Android" },
            { name: "Old Phone", product: "Plex for iOS", platform: "iOS" }
          ]
        }
      ],
      ...(scenarios.has("expire-pin")
        ? { pinLifetime: { strong: "2 seconds", short: "2 seconds" } }
        : { autoApprovePins: { after: options.approvePinsAfter ?? Duration.seconds(1) } })
    }).pipe(
      Effect.mapError(
        (error) =>
          new CliFailure({
            message: `Could not start the fake: ${error.message}.`,
            exitCode: ExitCode.Generic
          })
      )
    )
    if (scenarios.has("revoke-token") && savedToken !== undefined) yield* server.fake.revokeToken(savedToken)
    if (scenarios.has("offline")) {
      yield* server.fake.fault({ origin: server.plexTvUrl }, Fault.refuse)
      yield* server.fake.fault({ origin: server.serverUrl }, Fault.refuse)
    }
    return server
  })

interface Session {
  readonly file: string
  readonly tokenKey: string
  readonly store: KeyValueStoreService.KeyValueStore
  readonly fake: boolean
  readonly scenarios: ReadonlySet<FakeScenario>
}

/** Runs `work` with the store, the client identity, plex.tv (or the fake) and an `HttpClient`. */
const inSession = <A, E, R>(globals: Globals, work: (session: Session) => Effect.Effect<A, E, R>) =>
  Effect.scoped(
    Effect.gen(function* () {
      if (globals.fake && Option.isSome(globals.plexTv))
        return yield* usage("--plex-tv cannot be combined with --fake.")
      const directory = Option.isSome(globals.configDir)
        ? nodePath.resolve(globals.configDir.value)
        : yield* Effect.mapError(FileStore.defaultDirectory, fromStoreError)
      const store = yield* Effect.mapError(FileStore.make({ directory }), fromStoreError)
      const client = yield* ClientIdentity.makePersisted(identity).pipe(
        Effect.provideService(FileStore.KeyValueStore, store),
        Effect.mapError((error) =>
          error._tag === "InvalidInput" ? fromPlexError(error) : fromStoreError(error)
        )
      )
      const scenarios = globals.fake ? yield* readScenarios : new Set<FakeScenario>()
      const tokenKey = globals.fake ? fakeTokenKey : Credentials.defaultStoreKey
      let plexTvUrl = Option.getOrElse(globals.plexTv, () => PlexTv.defaultUrl)
      if (globals.fake) {
        const savedToken = yield* Effect.mapError(store.get(fakeTokenKey), fromStoreError)
        const server = yield* startFake({ scenarios, savedToken })
        plexTvUrl = server.plexTvUrl
      }
      const plexTv = yield* Effect.mapError(PlexTv.make(plexTvUrl), (error) =>
        usage(`Invalid --plex-tv URL (or PLEX_TV_URL): ${error.reason}.`)
      )
      const session: Session = {
        file: nodePath.join(directory, FileStore.fileName),
        tokenKey,
        store,
        fake: globals.fake,
        scenarios
      }
      return yield* work(session).pipe(
        Effect.provideService(FileStore.KeyValueStore, store),
        Effect.provideService(ClientIdentity.ClientIdentity, client),
        Effect.provideService(PlexTv.PlexTv, plexTv),
        Effect.provide(FetchHttpClient.layer)
      )
    })
  )

/** The saved token, or "Not logged in" (exit 3). */
const savedToken = (session: Session) =>
  Effect.flatMap(Effect.mapError(session.store.get(session.tokenKey), fromStoreError), (saved) =>
    saved === undefined || saved.length === 0
      ? Effect.fail(new CliFailure({ message: Core.notLoggedInMessage, exitCode: ExitCode.Unauthorized }))
      : Effect.succeed(Redacted.make(saved))
  )

// ---------------------------------------------------------------------------
// Global options, before or after the command's name
// ---------------------------------------------------------------------------

const globalFlags = {
  fake: Flag.Boolean("fake").pipe(
    Flag.withDescription(
      "Run against a fake Plex started inside the CLI on 127.0.0.1 instead of plex.tv: no account or network needed. PINs are approved after a second."
    ),
    Flag.withDefault(false)
  ),
  configDir: Flag.String("config-dir").pipe(
    Flag.withMetavar("dir"),
    Flag.withDescription(
      "Where the token and the client identifier are kept. Default: ~/.config/effect-plex-auth ($XDG_CONFIG_HOME, %APPDATA% on Windows)."
    ),
    Flag.optional
  ),
  plexTv: Flag.String("plex-tv").pipe(
    Flag.withMetavar("url"),
    Flag.withDescription(
      "Talk to another plex.tv at this base URL. Default: PLEX_TV_URL, else https://plex.tv."
    ),
    Flag.optional
  ),
  json: Flag.Boolean("json").pipe(
    Flag.withDescription("Print the result as one JSON document on stdout, and errors as JSON on stderr."),
    Flag.withDefault(false)
  )
}

const root = Command.make("plex-auth").pipe(
  Command.withSharedFlags(globalFlags),
  Command.withDescription("Sign in to Plex, keep the token, and get tokens for servers (Effect 4 edition).")
)

const globals = Effect.gen(function* () {
  const flags = yield* root
  const fromEnv = flags.fake
    ? Option.none<string>()
    : yield* Config.option(Config.String("PLEX_TV_URL")).pipe(
        Effect.map(Option.filter((url) => url.trim().length > 0)),
        Effect.orElseSucceed(() => Option.none<string>())
      )
  return {
    fake: flags.fake,
    json: flags.json,
    configDir: flags.configDir,
    plexTv: Option.orElse(flags.plexTv, () => fromEnv)
  } satisfies Globals
})

// ---------------------------------------------------------------------------
// login
// ---------------------------------------------------------------------------

const pinLogin = (session: Session, options: { readonly linkCode: boolean; readonly json: boolean }) =>
  Effect.gen(function* () {
    const tell = (text: string) => (options.json ? say(text) : line(text))
    const pin = yield* PinLogin.create({ strong: !options.linkCode })
    const url = yield* PinLogin.authUrl(pin)
    yield* tell(`To sign in, open this address in a browser and approve the request:\n\n  ${url}\n`)
    if (options.linkCode)
      yield* tell(`Or go to https://plex.tv/link and enter the code ${Core.neutralise(pin.code)}\n`)
    if (session.fake && !session.scenarios.has("expire-pin")) {
      yield* say("(--fake: the fake approves the PIN in a moment, as the user would.)")
    }
    yield* say("Waiting for the sign-in to be approved…")
    return yield* PinLogin.poll(pin)
  })

const secretFromEnv = (name: string) =>
  Config.option(Config.Redacted(name)).pipe(
    Effect.map(Option.filter((value) => Redacted.value(value).trim().length > 0)),
    Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
  )

const passwordLogin = (options: { readonly login: Option.Option<string>; readonly rememberMe: boolean }) =>
  Effect.gen(function* () {
    const login = Option.isSome(options.login)
      ? options.login.value
      : yield* askOrFail("Plex login (email or username)", "pass --login")
    const fromEnv = yield* secretFromEnv("PLEX_PASSWORD")
    const password = Option.isSome(fromEnv)
      ? fromEnv.value
      : Redacted.make(yield* askOrFail("Password", "set PLEX_PASSWORD", true))
    // rememberMe=true unless --no-remember-me, as python-plexapi does; the library's own default stays false.
    const signIn = (verificationCode: Redacted.Redacted<string> | undefined) =>
      PlexAuth.signIn({ login, password, rememberMe: options.rememberMe, verificationCode })
    const account = yield* signIn(Option.getOrUndefined(yield* secretFromEnv("PLEX_2FA_CODE"))).pipe(
      Effect.catchTag("VerificationCodeRequired", () =>
        Effect.flatMap(askOrFail("Two-factor code (or a backup code)", "set PLEX_2FA_CODE", true), (code) =>
          signIn(Redacted.make(code.trim()))
        )
      ),
      Effect.catchTag("Unauthorized", () =>
        Effect.fail(
          new CliFailure({
            message: "Sign-in failed: wrong login or password.",
            exitCode: ExitCode.Unauthorized
          })
        )
      )
    )
    return account.authToken
  })

type Previous = "none" | "invalid" | "kept" | "revoked" | "revoke-failed" | "same"

const login = Command.make(
  "login",
  {
    password: Flag.Boolean("password").pipe(
      Flag.withDescription(
        "Sign in with login and password instead of a PIN. The password comes from PLEX_PASSWORD or a hidden prompt, a two-factor code from PLEX_2FA_CODE or a prompt: never from the command line."
      ),
      Flag.withDefault(false)
    ),
    login: Flag.String("login").pipe(
      Flag.withMetavar("email-or-username"),
      Flag.withDescription("With --password: the account's email or username (asked for when missing)."),
      Flag.optional
    ),
    linkCode: Flag.Boolean("link-code").pipe(
      Flag.withDescription(
        "With a PIN login: also show a four-character code to type at https://plex.tv/link."
      ),
      Flag.withDefault(false)
    ),
    noRememberMe: Flag.Boolean("no-remember-me").pipe(
      Flag.withDescription("With --password: ask plex.tv for a short session (rememberMe=false)."),
      Flag.withDefault(false)
    ),
    oldToken: Flag.Literals("old-token", ["revoke", "keep"] as const).pipe(
      Flag.withDescription(
        "When already logged in: revoke the old token at plex.tv once the new login succeeds, or keep it valid (default: keep)."
      ),
      Flag.optional
    )
  },
  (options) =>
    Effect.flatMap(globals, (run) =>
      inSession(run, (session) =>
        Effect.gen(function* () {
          if (!options.password && Option.isSome(options.login))
            return yield* usage("--login goes with --password.")
          if (!options.password && options.noRememberMe) {
            return yield* usage("--no-remember-me goes with --password (a PIN login has no such choice).")
          }
          if (options.password && options.linkCode)
            return yield* usage("--link-code goes with a PIN login, not --password.")
          const saved = yield* Effect.mapError(session.store.get(session.tokenKey), fromStoreError)
          const before = saved === undefined || saved.length === 0 ? undefined : Redacted.make(saved)
          let previous: Previous = "none"
          let decision: "revoke" | "keep" | undefined
          if (before !== undefined) {
            const validity = yield* Credentials.validate.pipe(Credentials.withToken(before), Effect.orDie)
            if (validity._tag === "Invalid") {
              previous = "invalid"
              yield* say("The saved token is no longer valid (plex.tv refused it): signing in again.")
            } else {
              yield* say(
                validity._tag === "Valid"
                  ? `Already logged in as ${Core.describeAccount(validity.account)}.`
                  : "Already logged in (plex.tv could not be asked whether the saved token is still valid)."
              )
              decision = Option.getOrElse(options.oldToken, () => "keep" as const)
            }
          }
          const token = yield* options.password
            ? plexFailure(passwordLogin({ login: options.login, rememberMe: !options.noRememberMe }))
            : plexFailure(pinLogin(session, { linkCode: options.linkCode, json: run.json }))
          yield* Effect.mapError(session.store.set(session.tokenKey, Redacted.value(token)), fromStoreError)
          if (before !== undefined && decision !== undefined) {
            if (Redacted.value(before) === Redacted.value(token)) previous = "same"
            else if (decision === "keep") previous = "kept"
            else {
              const revoked = yield* PlexAuth.signOut().pipe(
                Credentials.withToken(before),
                Effect.as(true),
                Effect.catchCause(() => Effect.as(say("Could not revoke the old token."), false))
              )
              previous = revoked ? "revoked" : "revoke-failed"
            }
          }
          const account = yield* PlexAuth.account().pipe(Credentials.withToken(token), Effect.option)
          if (run.json) {
            return yield* json({
              account: Option.isSome(account) ? Core.accountJson(account.value) : null,
              file: session.file,
              previous
            })
          }
          yield* line(
            `Logged in${Option.isSome(account) ? ` as ${Core.describeAccount(account.value)}` : ""}. The token is saved in ${session.file}.`
          )
          if (previous === "revoked") yield* line("The old token is revoked.")
          if (previous === "kept") yield* line("The old token is still valid (it is no longer saved).")
        })
      )
    )
).pipe(
  Command.withDescription(
    "Sign in and save the token: with a PIN approved in the browser (the default), or with --password."
  )
)

// ---------------------------------------------------------------------------
// whoami
// ---------------------------------------------------------------------------

const whoami = Command.make("whoami", {}, () =>
  Effect.flatMap(globals, (run) =>
    inSession(run, (session) =>
      Effect.gen(function* () {
        const token = yield* savedToken(session)
        const validity = yield* Credentials.validate.pipe(Credentials.withToken(token))
        switch (validity._tag) {
          case "Valid":
            return yield* run.json
              ? json(Core.accountJson(validity.account))
              : line(Core.whoamiText(validity.account))
          case "Invalid":
            return yield* new CliFailure({
              message:
                "The saved token is no longer valid (plex.tv refused it). Run `plex-auth login` to sign in again.",
              exitCode: ExitCode.Unauthorized
            })
          case "Unknown":
            return yield* fromPlexError(validity.error)
        }
      })
    )
  )
).pipe(
  Command.withDescription(
    "Show the account of the saved token, checked with plex.tv (exit 3 when not logged in or the token is refused)."
  )
)

// ---------------------------------------------------------------------------
// servers
// ---------------------------------------------------------------------------

const servers = Command.make("servers", {}, () =>
  Effect.flatMap(globals, (run) =>
    inSession(run, (session) =>
      Effect.gen(function* () {
        const token = yield* savedToken(session)
        return yield* Effect.gen(function* () {
          const list = yield* plexFailure(Resources.servers())
          if (list.length === 0) {
            return yield* run.json ? json({ servers: [] }) : line("The account has no server.")
          }
          yield* say(`Probing the connections of ${list.length} server${list.length === 1 ? "" : "s"}…`)
          const results = yield* Effect.forEach(list, (server) => Effect.result(Resources.connect(server)), {
            concurrency: "unbounded"
          })
          if (run.json) {
            return yield* json({
              servers: list.map((server, i) => {
                const result = results[i]
                const connected =
                  result !== undefined && Result.isSuccess(result) ? result.success : undefined
                const error = result !== undefined && Result.isFailure(result) ? result.failure : undefined
                return {
                  name: server.name,
                  clientIdentifier: server.clientIdentifier,
                  owned: server.owned,
                  connection:
                    connected === undefined
                      ? null
                      : {
                          uri: connected.uri,
                          location: connected.candidate.location,
                          protocol: connected.candidate.protocol,
                          elapsedMillis: connected.elapsedMillis
                        },
                  attempts: (
                    connected?.attempts ?? (error?._tag === "NoReachableConnection" ? error.attempts : [])
                  ).map(Core.attemptJson),
                  error:
                    error === undefined
                      ? null
                      : {
                          kind: error._tag,
                          exitCode: Core.failureOf(error).exitCode,
                          message: Core.failureOf(error).message
                        }
                }
              })
            })
          }
          const blocks = list.map((server, i) => {
            const result = results[i]
            const head = Core.neutralise(
              `${server.name || "(unnamed)"}  ${server.clientIdentifier}${server.owned ? "  owned" : "  shared"}`
            )
            if (result === undefined) return head
            if (Result.isSuccess(result)) {
              const connected = result.success
              return [
                head,
                Core.neutralise(
                  `  connection: ${connected.uri} (${connected.candidate.location}, ${connected.candidate.protocol}), chosen in ${connected.elapsedMillis} ms`
                ),
                ...connected.attempts.map((attempt) =>
                  Core.attemptLine(attempt, attempt.uri === connected.uri)
                )
              ].join("\n")
            }
            const error = result.failure
            return error._tag === "NoReachableConnection"
              ? [
                  head,
                  error.attempts.length === 0 ? "  no usable connection" : "  no connection answered",
                  ...error.attempts.map((attempt) => Core.attemptLine(attempt, false))
                ].join("\n")
              : `${head}\n  ${Core.neutralise(Core.failureOf(error).message)}`
          })
          yield* line(blocks.join("\n\n"))
        }).pipe(Credentials.withToken(token))
      })
    )
  )
).pipe(
  Command.withDescription(
    "List the account's servers: the connection chosen for each and how long each probe took."
  )
)

// ---------------------------------------------------------------------------
// token transient
// ---------------------------------------------------------------------------

const isUrl = (text: string) => /^https?:\/\//i.test(text.trim())

const transient = Command.make(
  "transient",
  {
    server: Flag.String("server").pipe(
      Flag.withMetavar("url-or-name"),
      Flag.withDescription(
        "The server: its base URL (or PLEX_SERVER_URL), or its name. Default: the account's own server, found through plex.tv."
      ),
      Flag.withFallbackConfig(Config.String("PLEX_SERVER_URL")),
      Flag.optional
    )
  },
  (options) =>
    Effect.flatMap(globals, (run) =>
      inSession(run, (session) =>
        Effect.gen(function* () {
          const token = yield* savedToken(session)
          const ask = PlexAuth.transientToken({ type: "delegation", scope: "all" })
          const transientToken = yield* plexFailure(
            Effect.gen(function* () {
              if (Option.isSome(options.server) && isUrl(options.server.value)) {
                return yield* ask.pipe(
                  PlexServer.withUrl(options.server.value),
                  Effect.catchTag("InvalidInput", (error) =>
                    Effect.fail(usage(`Invalid --server URL: ${error.reason}.`))
                  )
                )
              }
              yield* say("Finding the server…")
              const connected = Option.isSome(options.server)
                ? yield* Resources.connectByName(options.server.value)
                : yield* Effect.gen(function* () {
                    const list = yield* Resources.servers()
                    const chosen = list.find((server) => server.owned) ?? list[0]
                    if (chosen === undefined) {
                      return yield* new CliFailure({
                        message: "The account has no server.",
                        exitCode: ExitCode.Generic
                      })
                    }
                    return yield* Resources.connect(chosen)
                  })
              return yield* Effect.provide(ask, connected.layer)
            }).pipe(Credentials.withToken(token))
          )
          // The one secret this CLI prints: on stdout, alone (or alone in its JSON document), for a pipe.
          yield* run.json
            ? json({ token: Redacted.value(transientToken.token) })
            : line(Redacted.value(transientToken.token))
        })
      )
    )
).pipe(
  Command.withDescription(
    "Print a transient token from a server (valid up to 48 hours, gone when the server restarts), and nothing else, on stdout."
  )
)

const token = Command.make("token").pipe(
  Command.withDescription("Tokens derived from the saved one."),
  Command.withSubcommands([transient])
)

// ---------------------------------------------------------------------------
// logout
// ---------------------------------------------------------------------------

const logout = Command.make(
  "logout",
  {
    local: Flag.Boolean("local").pipe(
      Flag.withDescription(
        "Only forget the saved token, without revoking it at plex.tv (for when plex.tv cannot be reached)."
      ),
      Flag.withDefault(false)
    )
  },
  (options) =>
    Effect.flatMap(globals, (run) =>
      inSession(run, (session) =>
        Effect.gen(function* () {
          const done = (result: { readonly revoked: boolean; readonly forgotten: boolean }, text: string) =>
            run.json ? json(result) : result.forgotten ? line(text) : say(text)
          const saved = yield* Effect.mapError(session.store.get(session.tokenKey), fromStoreError)
          if (saved === undefined)
            return yield* done({ revoked: false, forgotten: false }, "Not logged in: nothing to do.")
          const forget = Effect.mapError(session.store.remove(session.tokenKey), fromStoreError)
          if (options.local) {
            yield* forget
            return yield* done(
              { revoked: false, forgotten: true },
              "Forgot the saved token (it was not revoked)."
            )
          }
          const revoked = yield* PlexAuth.signOut().pipe(
            Credentials.withToken(saved),
            Effect.as(true),
            Effect.catchTag("Unauthorized", () => Effect.succeed(false)),
            Effect.mapError((error) => {
              const failure = Core.failureOf(error)
              return new CliFailure({
                message: `${failure.message} The token is still saved: try again, or use \`plex-auth logout --local\`.`,
                exitCode: failure.exitCode
              })
            })
          )
          yield* forget
          yield* done(
            { revoked, forgotten: true },
            revoked
              ? "Signed out: the token is revoked and forgotten."
              : "The saved token was already invalid; forgot it."
          )
        })
      )
    )
).pipe(Command.withDescription("Sign out: revoke the saved token at plex.tv and forget it."))

// ---------------------------------------------------------------------------
// claim-token, devices (issue 17)
// ---------------------------------------------------------------------------

const claimToken = Command.make("claim-token", {}, () =>
  Effect.flatMap(globals, (run) =>
    inSession(run, (session) =>
      Effect.gen(function* () {
        const token = yield* savedToken(session)
        const claim = yield* plexFailure(Claim.token().pipe(Credentials.withToken(token)))
        // A secret printed on purpose: on stdout, alone, for `docker run -e PLEX_CLAIM=$(plex-auth claim-token)`.
        yield* run.json ? json({ token: Redacted.value(claim) }) : line(Redacted.value(claim))
      })
    )
  )
).pipe(
  Command.withDescription(
    "Print a claim token (valid a few minutes; what Docker's PLEX_CLAIM takes), and nothing else, on stdout."
  )
)

const revokeDevice = Command.make("revoke", { id: Argument.Int("id") }, (options) =>
  Effect.flatMap(globals, (run) =>
    inSession(run, (session) =>
      Effect.gen(function* () {
        const token = yield* savedToken(session)
        yield* plexFailure(
          Devices.revoke(options.id).pipe(
            Credentials.withToken(token),
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
          ? json({ id: options.id, revoked: true })
          : line(`Revoked device ${options.id}: it is signed out.`)
      })
    )
  )
).pipe(
  Command.withDescription("Revoke an authorized device (its id from `plex-auth devices`): it is signed out.")
)

const devices = Command.make("devices", {}, () =>
  Effect.flatMap(globals, (run) =>
    inSession(run, (session) =>
      Effect.gen(function* () {
        const token = yield* savedToken(session)
        const list = yield* plexFailure(Devices.list().pipe(Credentials.withToken(token)))
        if (run.json) {
          return yield* json({
            // Never a device's token.
            devices: list.map(Core.deviceJson)
          })
        }
        if (list.length === 0) return yield* line("No authorized devices.")
        yield* line(
          list
            .map((d) => Core.neutralise(`${String(d.id).padEnd(10)} ${d.name.padEnd(24)} ${d.product ?? ""}`))
            .join("\n")
        )
      })
    )
  )
).pipe(
  Command.withDescription("List the devices authorized on the account (id, name, product)."),
  Command.withSubcommands([revokeDevice])
)

// ---------------------------------------------------------------------------
// fake-server
// ---------------------------------------------------------------------------

const fakeServer = Command.make(
  "fake-server",
  {
    approvePinsAfter: Flag.Int("approve-pins-after").pipe(
      Flag.withMetavar("seconds"),
      Flag.withDescription(
        "Approve each PIN this many seconds after it was created, as a user would. Default 1."
      ),
      Flag.withDefault(1)
    )
  },
  (options) =>
    Effect.gen(function* () {
      const run = yield* globals
      if (options.approvePinsAfter < 0) return yield* usage("--approve-pins-after must be 0 or more.")
      const scenarios = yield* readScenarios
      yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* startFake({
            scenarios,
            approvePinsAfter: Duration.seconds(options.approvePinsAfter)
          })
          const account = server.fake.accounts[0]
          const details = {
            plexTvUrl: server.plexTvUrl,
            serverUrl: server.serverUrl,
            urls: server.urls,
            login: account?.email ?? null,
            password: account?.password === undefined ? null : Redacted.value(account.password),
            token: account === undefined ? null : Redacted.value(account.token),
            serverId: server.fake.servers[0]?.clientIdentifier ?? null,
            serverName: server.fake.servers[0]?.name ?? null,
            approvePinsAfterSeconds: options.approvePinsAfter
          }
          if (run.json) yield* json(details)
          else {
            yield* line(
              [
                `plex.tv:  ${details.plexTvUrl}   (export PLEX_TV_URL=${details.plexTvUrl})`,
                `server:   ${details.serverUrl}   (${details.serverName})`,
                `account:  ${details.login}, password ${details.password}`,
                `token:    ${details.token}`,
                `PINs are approved ${options.approvePinsAfter} s after they are created. Stop with Ctrl-C.`
              ].join("\n")
            )
          }
          return yield* Effect.never
        })
      )
    })
).pipe(Command.withDescription("Run the fake Plex on loopback until stopped, and print its URLs."))

// ---------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------

const command = root.pipe(
  Command.withSubcommands([login, whoami, servers, token, logout, fakeServer, claimToken, devices])
)

/**
 * Runs the command line (without the node and script arguments) and
 * succeeds with the exit code, having said on stderr what went wrong.
 */
export const main = (args: ReadonlyArray<string>): Effect.Effect<number> => {
  const asJson = Core.jsonRequested(args)
  const report = (failure: Core.Failure) => Console.error(Core.failureText(failure, { json: asJson }))
  const withdrawn = Core.withdrawnOption(args)
  return (
    withdrawn !== undefined ? Effect.fail(usage(withdrawn)) : Command.runWith(command, { version })(args)
  ).pipe(
    Effect.as(ExitCode.Ok as number),
    Effect.catchCause((cause) => {
      const failure = Option.getOrUndefined(Cause.findErrorOption(cause))
      if (failure !== undefined && CliError.isCliError(failure)) {
        // effect/cli has already shown what was wrong with the command line.
        return Effect.succeed(ExitCode.Usage as number)
      }
      if (
        failure !== undefined &&
        typeof failure === "object" &&
        "_tag" in failure &&
        failure._tag === "CliFailure"
      ) {
        const known = failure as CliFailure
        return Effect.as(report(known), known.exitCode)
      }
      if (Cause.hasInterruptsOnly(cause)) return Effect.succeed(ExitCode.Cancelled as number)
      const defect = Cause.squash(cause)
      return Effect.as(
        report({
          message: `internal error: ${defect instanceof Error ? defect.message : String(defect)}`,
          exitCode: ExitCode.Generic
        }),
        ExitCode.Generic as number
      )
    }),
    // Only --help (-h) and --version of effect/cli's built-in flags: the help lists what plex-auth does.
    Effect.provide(CliConfig.layer({ builtIns: [GlobalFlag.Help, GlobalFlag.Version] })),
    Effect.provide(Platform.layer)
  )
}
