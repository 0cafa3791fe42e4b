/**
 * What every command runs in: the credentials file (a `KeyValueStore`), the
 * persisted client identity, an `HttpClient`, the plex.tv URL, and with
 * `--fake` the loopback fake Plex those point at. How the CLI fails, too.
 */
import * as os from "node:os"
import * as fs from "node:fs/promises"
import * as nodePath from "node:path"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Schema from "effect/Schema"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Option from "effect/Option"
import * as KeyValueStoreService from "effect/persistence/KeyValueStore"
import * as PlatformError from "effect/PlatformError"
import * as Redacted from "effect/Redacted"
import * as Core from "../../../../src/core/cli/failure.js"
import * as Directory from "../../../../src/core/cli/directory.js"
import * as FakeSeed from "../../../../src/core/cli/fakeSeed.js"
import * as Store from "../../../../src/core/node/store.js"
import * as Render from "../../../../src/core/cli/render.js"
import * as ClientIdentity from "../../ClientIdentity.js"
import * as Credentials from "../../Credentials.js"
import * as FakePlexServer from "../../node/FakePlexServer.js"
import * as FileStore from "../../node/KeyValueStore.js"
import * as PlexTv from "../../PlexTv.js"
import * as Fault from "../../testing/Fault.js"
import { version } from "./version.js"
import { tagNamed } from "../../internal/errorName.js"

export const ExitCode = Core.ExitCode

/** A failure the CLI reports: its message (never a secret) and exit code. */
export class CliFailure extends tagNamed(
  Schema.TaggedError<CliFailure>("effect-plex-auth/bin/CliFailure")("CliFailure", {
    message: Schema.String,
    exitCode: Schema.Number
  })
) {}

export const usage = (message: string) => new CliFailure({ message, exitCode: ExitCode.Usage })

export const fromPlexError = (error: Core.PlexErrorLike) => new CliFailure(Core.failureOf(error))

/** A failure of the file that keeps the token and the client identifier. */
export const fromStoreError = (
  error: PlatformError.PlatformError | KeyValueStoreService.KeyValueStoreError
): CliFailure => {
  const platform = error._tag === "KeyValueStoreError" ? error.cause : error
  const reason = PlatformError.isPlatformError(platform) ? platform.reason : undefined
  return new CliFailure({
    message:
      reason?._tag !== undefined && reason._tag !== "BadArgument"
        ? Core.storeFailureMessage({
            reason: reason._tag,
            path: reason.pathOrDescriptor,
            description: reason.description
          })
        : `Could not use the credentials file (${error.message}).`,
    exitCode: ExitCode.Generic
  })
}

/** An error of the library (or the CLI's own) as the CLI's failure. */
export const plexFailure = <A, E extends Core.PlexErrorLike, R>(
  effect: Effect.Effect<A, E | CliFailure, R>
) =>
  Effect.mapError(effect, (error): CliFailure => (error instanceof CliFailure ? error : fromPlexError(error)))

/** The global options of a run. */
export interface Globals {
  readonly fake: boolean
  readonly json: boolean
  readonly configDir: Option.Option<string>
  readonly plexTv: Option.Option<string>
  /** Whether `plexTv` is `--plex-tv`'s or `PLEX_TV_URL`'s (unset: `--plex-tv`'s). */
  readonly plexTvFrom?: "option" | "variable" | undefined
  /** Where the PIN login's sign-in link points (`--auth-app-url`, else `PLEX_AUTH_APP_URL`); none: app.plex.tv's. */
  readonly authAppUrl: Option.Option<string>
  /** Whether `authAppUrl` is `--auth-app-url`'s or `PLEX_AUTH_APP_URL`'s (unset: `--auth-app-url`'s). */
  readonly authAppUrlFrom?: "option" | "variable" | undefined
}

/** `PLEX_AUTH_FAKE`'s scenarios (only with `--fake` and `fake-server`). */
export const readScenarios = Effect.gen(function* () {
  const raw = yield* Config.String("PLEX_AUTH_FAKE").pipe(
    Config.withDefault(""),
    Effect.orElseSucceed(() => "")
  )
  const parsed = Render.parseScenarios(raw)
  return "error" in parsed ? yield* usage(parsed.error) : parsed.scenarios
})

const hostname = (): string | undefined => {
  try {
    return os.hostname()
  } catch {
    return undefined
  }
}

/**
 * The identity the CLI presents to Plex (its client identifier is generated once and kept): the runtime it runs on
 * (Node.js, Bun, Deno) and its version, the OS and the host name, read when a session starts (never as the CLI
 * loads), never throwing: on Deno without --allow-sys the host name is left out.
 */
export const cliIdentity = () => {
  const platform = Render.cliPlatform()
  return {
    product: "plex-auth",
    version,
    ...platform,
    // os.hostname() first, as before: on Node before 20.16 (no process.getBuiltinModule) runtimeDefaults would
    // take HOSTNAME or COMPUTERNAME from the environment instead; where it is refused (Deno), runtimeDefaults'.
    deviceName: hostname() ?? platform.deviceName
  }
}

/**
 * How long after its creation the fake of a `--fake` run approves a PIN, as a user would in the browser: a
 * second (docs/cli.md says "in a moment"; `fake-server` has its own `--approve-pins-after`). Nothing sets it
 * but the in-process test harness (test/bin/inProcess.ts `fakeApprovesAfter`), for the tests whose subject is
 * not the wait: a second of real time per sign-in, during which the test's worker sits idle. As
 * src/bin/internal/session.ts (Effect 3) has it.
 */
export const FakeApprovalDelay = Context.Reference<Duration.Duration>(
  "effect4-plex-auth/bin/FakeApprovalDelay",
  {
    defaultValue: () => Duration.seconds(1)
  }
)

/**
 * How long a PIN of a `--fake` run lives with `PLEX_AUTH_FAKE=expire-pin`: 2 seconds, as docs/cli.md says (`login`
 * and `fake-server` say the lifetime read from here). Nothing sets it but the in-process test harness (effect4/test/bin/inProcess.ts
 * `fakePinsExpireAfter`), for the tests whose subject is what `login` says and exits with once the PIN expired, not
 * the wait. The fake states a PIN's `expiresIn` in whole seconds (rounded down) and the CLI's deadline is
 * `expiresIn` from when it read the PIN, so a lifetime under 1 s would take another path (no `expiresIn`: the
 * deadline from `expiresAt`); 1.5 s keeps `expiresIn` at 1, the CLI giving up after a second instead of two. As
 * src/bin/internal/session.ts (Effect 3) has it.
 */
export const FakePinLifetime = Context.Reference<Duration.Duration>("effect4-plex-auth/bin/FakePinLifetime", {
  defaultValue: () => Duration.seconds(2)
})

/**
 * Starts the loopback fake (for `--fake` and `fake-server`) with the
 * scenarios asked for. Unless PINs are to expire (after {@link FakePinLifetime}), the fake approves each PIN
 * `approvePinsAfter` (default {@link FakeApprovalDelay}) after it was created, as a user would in the browser.
 */
export const startFake = (options: {
  readonly scenarios: ReadonlySet<Render.FakeScenario>
  readonly savedToken?: string | undefined
  readonly savedUser?: string | undefined
  readonly approvePinsAfter?: Duration.Duration | undefined
  /** plex.tv's port on 127.0.0.1 (`fake-server --port`); 0 or absent: a free one. */
  readonly port?: number | undefined
  /** The origins of the browser pages the fake answers with CORS headers (`fake-server --allow-origin`). */
  readonly allowOrigins?: ReadonlyArray<string> | undefined
}) =>
  Effect.gen(function* () {
    const { scenarios, savedToken } = options
    const approvePinsAfter = options.approvePinsAfter ?? (yield* FakeApprovalDelay)
    const pinLifetime = yield* FakePinLifetime
    const server = yield* FakePlexServer.make(
      FakeSeed.fakeServerOptions({
        scenarios,
        savedToken,
        savedUser: options.savedUser,
        approvePinsAfter,
        pinLifetime,
        port: options.port,
        allowOrigins: options.allowOrigins
      })
    ).pipe(
      Effect.mapError(
        (error) =>
          new CliFailure({
            message: Render.fakeStartFailedMessage(error.message),
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

/**
 * What to say of `directory`, a `--config-dir` the user chose, once a token is saved there (core/cli/directory.ts):
 * examined here, on POSIX (no uid on Windows); one that cannot be examined says nothing.
 */
const openDirectoryNote = (directory: string): Promise<string | undefined> => {
  const uid =
    typeof process.getuid === "function" && process.platform !== "win32" ? process.getuid() : undefined
  return uid === undefined
    ? Promise.resolve(undefined)
    : fs.stat(directory).then(
        (stat) => Directory.openDirectoryNote(directory, stat, uid),
        () => undefined
      )
}

/**
 * The credentials file as one command uses it: read once, when the session starts (checked as the library's store
 * checks it: a file that is no store, or one it does not trust, fails the command), and each key's first read
 * answered from that reading (the client identifier, the saved token; a `--fake` run's seed is taken from it too:
 * `whoami` reads the file once, not five times). A key read again, and every change, go to the file, through the
 * library's store (made at its first use): a command that reads a key again (`logout` checks that the file still
 * holds the token it signed out) sees what another process wrote since. As src/bin/internal/session.ts has it.
 */
const commandStore = (
  directory: string,
  /** The CLI's default directory, not one the user chose: made 0700 at every change (core/node/store.ts `isDefault`). */
  isDefault: boolean
) =>
  Effect.gen(function* () {
    const reading = yield* Effect.flatMap(
      Effect.promise(() =>
        Store.open(directory)
          .read("make")
          .then(
            (entries) => ({ entries }),
            (error: unknown) => {
              if (error instanceof Store.StoreError) return { error }
              throw error
            }
          )
      ),
      (read) =>
        "error" in read
          ? Effect.fail(
              new CliFailure({ message: Core.storeFailureMessage(read.error), exitCode: ExitCode.Generic })
            )
          : Effect.succeed(Store.firstReads(read.entries))
    )
    // The default directory left to the library's store to find (the same: the same variables, read through the same
    // Config), so that the store knows it as its own default and makes it 0700, as the core store below does.
    const made = yield* Effect.cached(FileStore.make(isDefault ? {} : { directory }))
    // The library's store, made at its first use; its failure then as the failure of the call that needed it.
    const file = (method: string, key?: string) =>
      Effect.mapError(
        made,
        (cause) =>
          new KeyValueStoreService.KeyValueStoreError({
            message: cause.message,
            method,
            ...(key !== undefined ? { key } : {}),
            cause
          })
      )
    const onFile = <A>(
      method: string,
      key: string | undefined,
      f: (
        store: KeyValueStoreService.KeyValueStore
      ) => Effect.Effect<A, KeyValueStoreService.KeyValueStoreError>
    ) => Effect.suspend(() => (reading.forget(key), Effect.flatMap(file(method, key), f)))
    const store = KeyValueStoreService.make({
      get: (key) =>
        Effect.suspend(() => {
          const first = reading.take(key)
          return first !== undefined
            ? Effect.succeed(first.value)
            : Effect.flatMap(file("get", key), (store) => store.get(key))
        }),
      getUint8Array: (key) => onFile("getUint8Array", key, (store) => store.getUint8Array(key)),
      set: (key, value) => onFile("set", key, (store) => store.set(key, value)),
      remove: (key) => onFile("remove", key, (store) => store.remove(key)),
      clear: onFile("clear", undefined, (store) => store.clear),
      size: Effect.flatMap(file("size"), (store) => store.size),
      keys: Effect.flatMap(file("keys"), (store) => store.keys),
      modify: (key, f) => onFile("modify", key, (store) => store.modify(key, f)),
      modifyUint8Array: (key, f) => onFile("modifyUint8Array", key, (store) => store.modifyUint8Array(key, f))
    })
    // A swap (login's save) is one change of the core store under its lock, as the library's store makes each of
    // its own; interrupted, it ends a wait for the lock, and a change under way runs to its end.
    const core = Store.open(directory, { isDefault })
    const swap = (
      key: string,
      value: string,
      saved?: (previous: string | undefined) => void
    ): Effect.Effect<string | undefined, CliFailure> =>
      Effect.flatMap(Effect.context<never>(), (context) => {
        reading.forget(key)
        return Effect.callback<string | undefined, CliFailure>((resume) => {
          const controller = new AbortController()
          // A wait for another process's lock is logged at Debug (--log-level debug), as the library's store logs it.
          const onWait = (method: string, holder: string) =>
            Effect.runSyncWith(context)(Effect.logDebug(Store.lockWaitMessage(method, holder)))
          const done = core.swap(key, value, { signal: controller.signal, onWait }).then(
            (previous) => {
              saved?.(previous)
              resume(Effect.succeed(previous))
            },
            (error: unknown) =>
              resume(
                error instanceof Store.StoreError
                  ? Effect.fail(
                      new CliFailure({ message: Core.storeFailureMessage(error), exitCode: ExitCode.Generic })
                    )
                  : Effect.die(error)
              )
          )
          return Effect.promise(() => {
            controller.abort()
            return done
          })
        })
      })
    return { store, reading, swap }
  })

/** What a command runs with. */
export interface Session {
  /** The file keeping the token and the client identifier. */
  readonly file: string
  /** The store key of the token. */
  readonly tokenKey: string
  readonly store: KeyValueStoreService.KeyValueStore
  /** The loopback fake, with `--fake`. */
  readonly fake: FakePlexServer.FakePlexServerService | undefined
  readonly scenarios: ReadonlySet<Render.FakeScenario>
  readonly json: boolean
  /** The page the PIN login's link points at (`--auth-app-url`, checked); undefined: app.plex.tv's. */
  readonly authAppUrl: string | undefined
  /**
   * Saves `token` as the session's token and answers the token it replaced (undefined: none), read and written in
   * one change under the store's lock: of logins run at once, each learns what it really replaced. `saved` is called
   * with that token the moment the change is made, even when Ctrl-C interrupted the save once the lock was taken (the
   * change runs to its end, and its answer is lost to an interrupted fiber): login revokes it all the same.
   */
  readonly swapToken: (
    token: Redacted.Redacted<string>,
    saved?: (replaced: Redacted.Redacted<string> | undefined) => void
  ) => Effect.Effect<Redacted.Redacted<string> | undefined, CliFailure>
  /**
   * What to say once a token is saved, when the directory is one the user chose (`--config-dir`) that others may
   * open (core/cli/directory.ts says why it is not tightened); undefined otherwise.
   */
  readonly openDirectoryNote: Effect.Effect<string | undefined>
}

/**
 * Runs `work` with the store, the client identity, plex.tv (or the fake) and an `HttpClient`. `signedIn`: the
 * command needs the saved token (`whoami`, `servers`, `token transient`, ...); without one it fails "Not logged
 * in" before anything is written (no configuration directory, no client identifier) or started (the fake), once
 * the options are checked: a command that cannot run leaves no trace. `nothingSaved`: the command acts on the
 * saved token alone (`logout`); with none in the file (the key absent), `nothingSaved` runs instead of `work`, as
 * early and leaving as little. As src/bin/internal/session.ts has it.
 */
export const inSession = <A, E, R>(
  globals: Globals,
  work: (session: Session) => Effect.Effect<A, E, R>,
  options: {
    readonly signedIn?: boolean | undefined
    readonly nothingSaved?: Effect.Effect<A, E> | undefined
  } = {}
) =>
  Effect.scoped(
    Effect.gen(function* () {
      if (globals.fake && Option.isSome(globals.plexTv))
        return yield* usage(Render.withFakeMessage("--plex-tv"))
      if (globals.fake && Option.isSome(globals.authAppUrl))
        return yield* usage(Render.withFakeMessage("--auth-app-url"))
      // Checked as the library checks a PIN login's authAppUrl, before any request (and before the store).
      const authApp = Option.map(globals.authAppUrl, (value) =>
        Core.authAppUrlOf(value, globals.authAppUrlFrom)
      )
      if (Option.isSome(authApp) && "message" in authApp.value) return yield* usage(authApp.value.message)
      const authAppUrl = Option.isSome(authApp) && "url" in authApp.value ? authApp.value.url : undefined
      if (Option.isSome(globals.configDir) && globals.configDir.value.trim() === "") {
        return yield* usage(Core.emptyConfigDirMessage)
      }
      const directory = Option.isSome(globals.configDir)
        ? nodePath.resolve(globals.configDir.value)
        : yield* Effect.mapError(FileStore.defaultDirectory, fromStoreError)
      const { reading, store, swap } = yield* commandStore(directory, Option.isNone(globals.configDir))
      const scenarios = globals.fake ? yield* readScenarios : new Set<Render.FakeScenario>()
      const checkedPlexTv = (url: string) =>
        Effect.mapError(PlexTv.make(url), (error) =>
          usage(
            Core.invalidMessage(
              Core.givenBy(globals.plexTvFrom, "--plex-tv URL", "PLEX_TV_URL"),
              error.reason
            )
          )
        )
      // plex.tv's URL checked before the saved token is looked for (a bad one is a usage error, logged in or not);
      // the fake's, once it has started.
      const given = globals.fake
        ? undefined
        : yield* checkedPlexTv(Option.getOrElse(globals.plexTv, () => PlexTv.defaultUrl))
      const tokenKey = globals.fake ? FakeSeed.fakeTokenKey : Credentials.defaultStoreKey
      if (options.signedIn === true && Core.usableSavedToken(reading.peek(tokenKey)) === undefined) {
        return yield* notLoggedIn
      }
      if (options.nothingSaved !== undefined && reading.peek(tokenKey) === undefined) {
        return yield* options.nothingSaved
      }
      const client = yield* ClientIdentity.makePersisted(cliIdentity()).pipe(
        Effect.provideService(FileStore.KeyValueStore, store),
        Effect.mapError((error) =>
          error._tag === "InvalidInput" ? fromPlexError(error) : fromStoreError(error)
        )
      )
      let fake: FakePlexServer.FakePlexServerService | undefined
      if (globals.fake) {
        // The fake starts afresh on every run, seeded with what a previous --fake run saved, as the session's
        // reading of the file has it.
        fake = yield* startFake({
          scenarios,
          savedToken: reading.peek(FakeSeed.fakeTokenKey),
          savedUser: reading.peek(FakeSeed.fakeUserKey)
        })
      }
      const plexTv = given ?? (yield* checkedPlexTv(fake?.plexTvUrl ?? PlexTv.defaultUrl))
      const session: Session = {
        file: nodePath.join(directory, FileStore.fileName),
        tokenKey,
        store,
        fake,
        scenarios,
        json: globals.json,
        authAppUrl,
        swapToken: (token, saved) =>
          Effect.map(
            swap(
              tokenKey,
              Redacted.value(token),
              saved === undefined
                ? undefined
                : (previous) => saved(previous === undefined ? undefined : Redacted.make(previous))
            ),
            (previous) => (previous === undefined ? undefined : Redacted.make(previous))
          ),
        openDirectoryNote: Option.isNone(globals.configDir)
          ? Effect.succeed(undefined)
          : Effect.promise(() => openDirectoryNote(directory))
      }
      return yield* work(session).pipe(
        Effect.mapError((error) => (error instanceof CliFailure ? inFakeTerms(session, error) : error)),
        Effect.provideService(FileStore.KeyValueStore, store),
        Effect.provideService(ClientIdentity.ClientIdentity, client),
        Effect.provideService(PlexTv.PlexTv, plexTv),
        Effect.provide(FetchHttpClient.layer)
      )
    })
  )

/**
 * A failure of a `--fake` run in words that hold once the run has ended (core/cli/failure.ts inFakeTerms): the
 * fake's loopback origins named, and with `PLEX_AUTH_FAKE=offline` what to do. Without `--fake`, as it is.
 */
export const inFakeTerms = (session: Session, failure: CliFailure): CliFailure =>
  session.fake === undefined
    ? failure
    : new CliFailure(
        Core.inFakeTerms(failure, {
          plexTvUrl: session.fake.plexTvUrl,
          serverUrl: session.fake.serverUrl,
          urls: session.fake.urls,
          offline: session.scenarios.has("offline")
        })
      )

/**
 * The saved token, or "Not logged in" (exit 3) when there is none, or one no token can be (spoilt by hand), as the
 * Effect 3 CLI's `storedCredentials` (core/cli/failure.ts usableSavedToken).
 */
export const savedToken = (session: Session) =>
  Effect.flatMap(Effect.mapError(session.store.get(session.tokenKey), fromStoreError), (saved) => {
    const token = Core.usableSavedToken(saved)
    return token === undefined ? notLoggedIn : Effect.succeed(Redacted.make(token))
  })

/** Whether `PLEX_TOKEN` is set (not blank): the CLI does not read it, and says so where it matters. */
export const plexTokenSet = Config.option(Config.Redacted("PLEX_TOKEN")).pipe(
  Effect.map(Option.exists((token) => Render.envSet(Redacted.value(token)))),
  Effect.orElseSucceed(() => false)
)

/** "Not logged in" (exit 3), saying so when `PLEX_TOKEN` is set, which the CLI does not read (core/cli/failure.ts). */
const notLoggedIn = plexTokenSet.pipe(
  Effect.flatMap((set) =>
    Effect.fail(new CliFailure({ message: Core.notLoggedIn(set), exitCode: ExitCode.Unauthorized }))
  )
)

/** Saves a token as the session's. */
export const saveToken = (session: Session, token: Redacted.Redacted<string>) =>
  Effect.mapError(session.store.set(session.tokenKey, Redacted.value(token)), fromStoreError)
