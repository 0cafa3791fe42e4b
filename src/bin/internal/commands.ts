/**
 * The commands of `plex-auth`.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Prompt from "@effect/cli/Prompt"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Credentials from "../../Credentials.js"
import * as PinLogin from "../../PinLogin.js"
import * as PlexAuth from "../../PlexAuth.js"
import type * as PlexError from "../../PlexError.js"
import type { ConnectionAttempt } from "../../Resources.js"
import * as PlexServer from "../../PlexServer.js"
import * as Resources from "../../Resources.js"
import type * as Schemas from "../../Schemas.js"
import { CliFailure, ExitCode, fromPlexError, fromStoreError, notLoggedIn, usage } from "./failure.js"
import * as Features from "./features.js"
import * as Session from "./session.js"
import { say, withProgress } from "./terminal.js"

// ---------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------

/**
 * The options every command takes. They are declared on the root command
 * (`plex-auth --fake login`) and on each command too, so they may also follow
 * the command's name (`plex-auth login --fake`), as users expect: @effect/cli
 * gives the words before a subcommand's name to the parent and those after
 * it to the subcommand.
 */
const globalOptions = {
  fake: Options.boolean("fake").pipe(
    Options.withDescription(
      "Run against an embedded fake Plex on 127.0.0.1 instead of plex.tv (PINs are approved automatically; the fake account is alice@example.com / alice-secret-password)."
    )
  ),
  configDir: Options.text("config-dir").pipe(
    Options.withPseudoName("dir"),
    Options.withDescription(
      "Where the token and the client identifier are kept (default: the user's configuration directory, e.g. ~/.config/effect-plex-auth)."
    ),
    Options.optional
  ),
  plexTv: Options.text("plex-tv").pipe(
    Options.withPseudoName("url"),
    Options.withDescription("Advanced: another plex.tv base URL (default https://plex.tv)."),
    Options.optional
  )
}

const root = Command.make("plex-auth", globalOptions)

/** A value option given before the command's name, after it, or both times alike. */
const eitherPlace = (
  name: string,
  before: Option.Option<string>,
  after: Option.Option<string>
): Effect.Effect<Option.Option<string>, CliFailure> =>
  Option.isSome(before) && Option.isSome(after) && before.value !== after.value
    ? Effect.fail(usage(`--${name} was given twice, with different values.`))
    : Effect.succeed(Option.orElse(after, () => before))

/** The global options of a run: those given before the command's name with those given after it. */
const globals = (
  after: Session.Globals
): Effect.Effect<Session.Globals, CliFailure, Command.Command.Context<"plex-auth">> =>
  Effect.flatMap(root, (before) =>
    Effect.all({
      fake: Effect.succeed(before.fake || after.fake),
      configDir: eitherPlace("config-dir", before.configDir, after.configDir),
      plexTv: eitherPlace("plex-tv", before.plexTv, after.plexTv)
    })
  )

/**
 * Runs a command's work in its session (store, identity, HTTP, fake), given
 * the global options that followed the command's name.
 */
const inSession =
  (after: Session.Globals) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.flatMap(globals(after), (merged) => Effect.provide(effect, Session.layer(merged)))

/** The saved token as `Credentials`; "not logged in" when there is none. */
const storedCredentials = Layer.unwrapEffect(
  Effect.map(Session.Session, (session) =>
    Credentials.layerStored({ obtain: Effect.fail(notLoggedIn()), key: session.tokenKey })
  )
).pipe(Layer.catchAll((error) => Layer.fail(error._tag === "CliFailure" ? error : fromStoreError(error))))

const saveToken = (token: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const session = yield* Session.Session
    const store = yield* KeyValueStore.KeyValueStore
    yield* Effect.mapError(store.set(session.tokenKey, Redacted.value(token)), fromStoreError)
  })

const plexFailure = <A, R>(
  effect: Effect.Effect<A, PlexError.PlexError | CliFailure, R>
): Effect.Effect<A, CliFailure, R> =>
  Effect.mapError(effect, (error) => (error._tag === "CliFailure" ? error : fromPlexError(error)))

/** A prompt; a closed stdin or Ctrl-C becomes a failure that says so. */
const ask = <A>(
  prompt: Prompt.Prompt<A>,
  missing: string
): Effect.Effect<A, CliFailure, Prompt.Prompt.Environment> =>
  Effect.mapError(Prompt.run(prompt), () =>
    process.stdin.readableEnded
      ? usage(`stdin ended before the prompt was answered: ${missing}.`)
      : new CliFailure({ message: "Cancelled.", exitCode: ExitCode.Cancelled })
  )

const nonEmpty = (what: string) => (value: string) =>
  value.trim().length > 0 ? Effect.succeed(value) : Effect.fail(`${what} must not be empty`)

const describe = (account: Schemas.Account): string =>
  account.email !== undefined ? `${account.username} (${account.email})` : account.username

// ---------------------------------------------------------------------------
// login
// ---------------------------------------------------------------------------

const pinLogin = (options: { readonly code: boolean }) =>
  Effect.gen(function* () {
    const session = yield* Session.Session
    const pin = yield* PinLogin.create({ strong: !options.code })
    const url = yield* PinLogin.authUrl(pin)
    yield* Console.log(`To sign in, open this address in a browser and approve the request:\n\n  ${url}\n`)
    if (options.code) yield* Console.log(`Or go to https://plex.tv/link and enter the code ${pin.code}\n`)
    if (Option.isSome(session.fake) && !session.scenarios.has("expire-pin")) {
      const fake = session.fake.value.fake
      yield* say("(--fake: the fake approves the PIN in a moment, as the user would.)")
      // A child of this fiber: gone with it if the login ends first.
      yield* Effect.fork(
        Effect.zipRight(Effect.sleep(Duration.seconds(1)), Effect.ignore(fake.approvePin(pin.id)))
      )
    }
    return yield* withProgress("Waiting for the sign-in to be approved")(PinLogin.poll(pin))
  })

const passwordLogin = (options: {
  readonly login: Option.Option<string>
  readonly code2fa: Option.Option<Redacted.Redacted<string>>
}) =>
  Effect.gen(function* () {
    const login = Option.isSome(options.login)
      ? options.login.value
      : yield* ask(
          Prompt.text({ message: "Plex login (email or username)", validate: nonEmpty("The login") }),
          "pass --login"
        )
    const fromEnv = yield* Config.option(Config.redacted("PLEX_PASSWORD")).pipe(
      Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
    )
    const password =
      Option.isSome(fromEnv) && Redacted.value(fromEnv.value).length > 0
        ? fromEnv.value
        : yield* ask(
            Prompt.password({ message: "Password", validate: nonEmpty("The password") }),
            "set PLEX_PASSWORD"
          )
    const signIn = (verificationCode: Redacted.Redacted<string> | undefined) =>
      PlexAuth.postUsersSignInData({ login, password, rememberMe: true, verificationCode })
    const account = yield* signIn(Option.getOrUndefined(options.code2fa)).pipe(
      Effect.catchTag("VerificationCodeRequired", () =>
        Effect.flatMap(
          ask(
            Prompt.password({
              message: "Two-factor code",
              validate: (value) =>
                /^\s*\d{6}\s*$/.test(value) ? Effect.succeed(value.trim()) : Effect.fail("Six digits, please")
            }),
            "pass --code-2fa or set PLEX_2FA_CODE"
          ),
          (code) => signIn(code)
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

const login = Command.make(
  "login",
  {
    password: Options.boolean("password").pipe(
      Options.withDescription(
        "Sign in with login and password (asked for; the password may come from PLEX_PASSWORD) instead of a PIN."
      )
    ),
    login: Options.text("login").pipe(
      Options.withPseudoName("email-or-username"),
      Options.withDescription("With --password: the account's email or username (asked for when missing)."),
      Options.optional
    ),
    code: Options.boolean("code").pipe(
      Options.withDescription("With a PIN: also show a short code to enter at https://plex.tv/link.")
    ),
    code2fa: Options.redacted("code-2fa").pipe(
      Options.withPseudoName("digits"),
      Options.withDescription(
        "With --password: the six-digit two-factor code (or PLEX_2FA_CODE; asked for when the account needs one)."
      ),
      Options.withFallbackConfig(Config.redacted("PLEX_2FA_CODE")),
      Options.optional
    ),
    globals: globalOptions
  },
  (options) =>
    inSession(options.globals)(
      Effect.gen(function* () {
        if (!options.password && (Option.isSome(options.login) || Option.isSome(options.code2fa))) {
          return yield* usage("--login and --code-2fa go with --password.")
        }
        if (options.password && options.code)
          return yield* usage("--code goes with a PIN login, not --password.")
        const token = yield* options.password
          ? plexFailure(passwordLogin(options))
          : plexFailure(pinLogin({ code: options.code }))
        yield* saveToken(token)
        const session = yield* Session.Session
        const account = yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(token), Effect.option)
        yield* Console.log(
          `Logged in${Option.isSome(account) ? ` as ${describe(account.value)}` : ""}. The token is saved in ${session.file}.`
        )
      })
    )
).pipe(Command.withDescription("Sign in (a PIN approved in the browser by default) and save the token."))

// ---------------------------------------------------------------------------
// whoami
// ---------------------------------------------------------------------------

const whoami = Command.make("whoami", { globals: globalOptions }, (options) =>
  inSession(options.globals)(
    Effect.gen(function* () {
      const validity = yield* Credentials.validate
      switch (validity._tag) {
        case "Valid": {
          const account = validity.account
          const rows: Array<readonly [string, string]> = [
            ["username", account.username],
            ["email", account.email ?? "-"],
            ["id", String(account.id)],
            ["uuid", account.uuid]
          ]
          yield* Console.log(rows.map(([key, value]) => `${key.padEnd(9)}${value}`).join("\n"))
          return
        }
        case "Invalid":
          return yield* new CliFailure({
            message:
              "The saved token is no longer valid (plex.tv refused it). Run `plex-auth login` to sign in again.",
            exitCode: ExitCode.Unauthorized
          })
        case "Unknown":
          return yield* fromPlexError(validity.error)
      }
    }).pipe(Effect.provide(storedCredentials))
  )
).pipe(
  Command.withDescription(
    "Show the account of the saved token (exit 3 when not logged in or the token is invalid)."
  )
)

// ---------------------------------------------------------------------------
// token transient
// ---------------------------------------------------------------------------

/** The account's server to use: the first one it owns, else the first one shared with it. */
const pickServer = (servers: ReadonlyArray<Resources.Device>) =>
  servers.find((server) => server.owned) ?? servers[0]

const isUrl = (text: string) => /^https?:\/\//i.test(text.trim())

/**
 * A transient token: from `--server <url>` with the saved token; from the
 * account's server named `--server <name>`, or without `--server` its own
 * server (else the first shared with it), found through plex.tv and asked
 * with that server's own token.
 */
const transientToken = (server: Option.Option<string>) =>
  Effect.gen(function* () {
    const ask = PlexAuth.getTransientToken({ type: "delegation", scope: "all" })
    if (Option.isSome(server) && isUrl(server.value)) {
      return yield* ask.pipe(
        PlexServer.withUrl(server.value),
        Effect.catchTag("InvalidInput", (error) =>
          Effect.fail(usage(`Invalid --server URL: ${error.reason}.`))
        )
      )
    }
    const connected = yield* withProgress("Finding the server")(
      Effect.gen(function* () {
        if (Option.isSome(server)) return yield* Resources.connectByName(server.value)
        const chosen = pickServer(yield* Resources.servers())
        if (chosen === undefined) {
          return yield* new CliFailure({ message: "The account has no server.", exitCode: ExitCode.Generic })
        }
        return yield* Resources.connect(chosen)
      })
    )
    return yield* Effect.provide(ask, connected.layer)
  })

const transient = Command.make(
  "transient",
  {
    server: Options.text("server").pipe(
      Options.withPseudoName("url-or-name"),
      Options.withDescription(
        "The server: its base URL (e.g. http://192.168.1.10:32400, or PLEX_SERVER_URL), or its name. Default: the account's own server, found through plex.tv."
      ),
      Options.withFallbackConfig(Config.string("PLEX_SERVER_URL")),
      Options.optional
    ),
    globals: globalOptions
  },
  (options) =>
    inSession(options.globals)(
      Effect.gen(function* () {
        const token = yield* plexFailure(transientToken(options.server))
        // The one secret this CLI prints: on stdout, alone, for a pipe.
        yield* Console.log(Redacted.value(token.token))
      }).pipe(Effect.provide(storedCredentials))
    )
).pipe(
  Command.withDescription(
    "Print a transient token (valid up to 48 hours, gone when the server restarts) from a server, and nothing else, on stdout."
  )
)

// ---------------------------------------------------------------------------
// servers
// ---------------------------------------------------------------------------

const mark: Record<ConnectionAttempt["outcome"], string> = {
  Reachable: "ok",
  Failed: "failed",
  WrongServer: "wrong server",
  Cancelled: "not needed"
}

const attemptLine = (attempt: ConnectionAttempt, chosen: boolean) =>
  `  ${chosen ? "*" : " "} ${attempt.uri.padEnd(44)} ${attempt.location.padEnd(6)} ${`${attempt.millis} ms`.padStart(8)}  ${
    attempt.outcome === "Failed" && attempt.reason !== undefined
      ? `failed (${attempt.reason})`
      : mark[attempt.outcome]
  }`

const servers = Command.make("servers", { globals: globalOptions }, (options) =>
  inSession(options.globals)(
    Effect.gen(function* () {
      const list = yield* plexFailure(Resources.servers())
      if (list.length === 0) {
        yield* Console.log("The account has no server.")
        return
      }
      const results = yield* withProgress(
        `Probing the connections of ${list.length} server${list.length === 1 ? "" : "s"}`
      )(
        Effect.forEach(list, (server) => Effect.either(Resources.connect(server)), {
          concurrency: "unbounded"
        })
      )
      const blocks = list.map((server, i) => {
        const result = results[i]
        const head = `${server.name || "(unnamed)"}  ${server.clientIdentifier}${server.owned ? "  owned" : "  shared"}`
        if (result === undefined) return head
        if (Either.isRight(result)) {
          const connected = result.right
          return [
            head,
            `  connection: ${connected.uri} (${connected.candidate.location}, ${connected.candidate.protocol}), chosen in ${connected.elapsedMillis} ms`,
            ...connected.attempts.map((attempt) => attemptLine(attempt, attempt.uri === connected.uri))
          ].join("\n")
        }
        const error = result.left
        return error._tag === "NoReachableConnection"
          ? [
              head,
              error.attempts.length === 0 ? "  no usable connection" : "  no connection answered",
              ...error.attempts.map((attempt) => attemptLine(attempt, false))
            ].join("\n")
          : `${head}\n  ${fromPlexError(error).message}`
      })
      yield* Console.log(blocks.join("\n\n"))
    }).pipe(Effect.provide(storedCredentials))
  )
).pipe(
  Command.withDescription(
    "List the account's servers: the connection chosen for each and how long each probe took."
  )
)

const tokenCommand = Command.make("token").pipe(
  Command.withDescription("Tokens derived from the saved one."),
  Command.withSubcommands([transient])
)

// ---------------------------------------------------------------------------
// logout
// ---------------------------------------------------------------------------

const logout = Command.make(
  "logout",
  {
    local: Options.boolean("local").pipe(
      Options.withDescription("Only forget the saved token, without revoking it at plex.tv.")
    ),
    globals: globalOptions
  },
  (options) =>
    inSession(options.globals)(
      Effect.gen(function* () {
        const session = yield* Session.Session
        const store = yield* KeyValueStore.KeyValueStore
        const saved = yield* Effect.mapError(store.get(session.tokenKey), fromStoreError)
        if (Option.isNone(saved)) {
          yield* say("Not logged in: nothing to do.")
          return
        }
        const forget = Effect.mapError(store.remove(session.tokenKey), fromStoreError)
        if (options.local) {
          yield* forget
          yield* Console.log("Forgot the saved token (it was not revoked).")
          return
        }
        const revoked = yield* PlexAuth.signOut().pipe(
          Credentials.withToken(saved.value),
          Effect.as(true),
          Effect.catchTag("Unauthorized", () => Effect.succeed(false)),
          Effect.mapError((error) => {
            const failure = fromPlexError(error)
            return new CliFailure({
              message: `${failure.message} The token is still saved: try again, or use \`plex-auth logout --local\`.`,
              exitCode: failure.exitCode
            })
          })
        )
        yield* forget
        yield* Console.log(
          revoked
            ? "Signed out: the token is revoked and forgotten."
            : "The saved token was already invalid; forgot it."
        )
      })
    )
).pipe(Command.withDescription("Sign out: revoke the saved token at plex.tv and forget it."))

// ---------------------------------------------------------------------------
// The whole command
// ---------------------------------------------------------------------------

/** `plex-auth` and its subcommands. */
export const command = root.pipe(
  Command.withHandler(() => Effect.fail(usage("Missing command: run `plex-auth --help` to see them."))),
  Command.withDescription("Sign in to Plex, hold the token, and get tokens for servers."),
  Command.withSubcommands([
    login,
    whoami,
    servers,
    tokenCommand,
    logout,
    ...Features.commands({ globalOptions, inSession, storedCredentials, saveToken, ask })
  ])
)
