/**
 * What every command runs in: the credentials file (a `KeyValueStore`), the
 * persisted client identity, an `HttpClient`, the plex.tv URL, and with
 * `--fake` the loopback fake Plex those point at.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as PlatformError from "@effect/platform/Error"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import * as os from "node:os"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as ClientIdentity from "../../ClientIdentity.js"
import * as Credentials from "../../Credentials.js"
import * as PlexTv from "../../PlexTv.js"
import * as FakePlexServer from "../../node/FakePlexServer.js"
import * as FileStore from "../../node/KeyValueStore.js"
import * as Fault from "../../testing/Fault.js"
import * as CoreFailure from "../../core/cli/failure.js"
import * as Directory from "../../core/cli/directory.js"
import * as FakeSeed from "../../core/cli/fakeSeed.js"
import * as Store from "../../core/node/store.js"
import * as Render from "../../core/cli/render.js"
import { CliFailure, ExitCode, fromPlexError, fromStoreError, notLoggedIn, usage } from "./failure.js"
import { version } from "./version.js"

/** The options every command accepts. */
export interface Globals {
  readonly fake: boolean
  readonly configDir: Option.Option<string>
  readonly plexTv: Option.Option<string>
  /** Whether `plexTv` is `--plex-tv`'s or `PLEX_TV_URL`'s (unset: `--plex-tv`'s). */
  readonly plexTvFrom?: "option" | "variable" | undefined
  /** Where the PIN login's sign-in link points (`--auth-app-url`, else `PLEX_AUTH_APP_URL`); none: app.plex.tv's. */
  readonly authAppUrl: Option.Option<string>
  /** Whether `authAppUrl` is `--auth-app-url`'s or `PLEX_AUTH_APP_URL`'s (unset: `--auth-app-url`'s). */
  readonly authAppUrlFrom?: "option" | "variable" | undefined
}

/** The fake's scenarios (`PLEX_AUTH_FAKE`, with `--fake` only): see src/core/cli/render.ts. */
export type FakeScenario = Render.FakeScenario

/** The store key of a `--fake` session's token (never a real one's). */
export const fakeTokenKey = FakeSeed.fakeTokenKey

/** The session of one command. */
export class Session extends Context.Tag("plex-auth/Session")<
  Session,
  {
    /** The configuration directory. */
    readonly directory: string
    /** The file keeping the token and the client identifier. */
    readonly file: string
    /** The store key of the token. */
    readonly tokenKey: string
    /** The loopback fake, with `--fake`. */
    readonly fake: Option.Option<FakePlexServer.FakePlexServerService>
    /** The fake's scenarios, with `--fake`. */
    readonly scenarios: ReadonlySet<FakeScenario>
    /** The page the PIN login's link points at (`--auth-app-url`, checked); undefined: app.plex.tv's. */
    readonly authAppUrl: string | undefined
    /**
     * Saves `token` as the session's token and answers the token it replaced (undefined: none), read and written
     * in one change under the store's lock: of logins run at once, each learns what it really replaced. `saved` is
     * called with that token the moment the change is made, even when Ctrl-C interrupted the save once the lock was
     * taken (the change runs to its end, and its answer is lost to an interrupted fiber): login revokes it all the same.
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
>() {}

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
export const cliIdentity = (): Omit<ClientIdentity.ClientIdentityInput, "clientIdentifier"> => {
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

export const readScenarios: Effect.Effect<ReadonlySet<FakeScenario>, CliFailure> = Config.string(
  "PLEX_AUTH_FAKE"
).pipe(
  Config.withDefault(""),
  Effect.orElseSucceed(() => ""),
  Effect.flatMap((raw) => {
    const parsed = Render.parseScenarios(raw)
    return "error" in parsed ? Effect.fail(usage(parsed.error)) : Effect.succeed(parsed.scenarios)
  })
)

/**
 * How long after its creation the fake of a `--fake` run approves a PIN, as a user would in the browser: a
 * second (docs/cli.md says "in a moment"; `fake-server` has its own `--approve-pins-after`). Nothing sets it
 * but the in-process test harness (test/bin/inProcess.ts `fakeApprovesAfter`), for the tests whose subject is
 * not the wait: a second of real time per sign-in, during which the test's worker sits idle. As
 * effect4/src/bin/internal/session.ts has it.
 */
export class FakeApprovalDelay extends Context.Reference<FakeApprovalDelay>()(
  "effect-plex-auth/bin/FakeApprovalDelay",
  { defaultValue: (): Duration.DurationInput => Duration.seconds(1) }
) {}

/**
 * How long a PIN of a `--fake` run lives with `PLEX_AUTH_FAKE=expire-pin`: 2 seconds, as docs/cli.md says (`login`
 * and `fake-server` say the lifetime read from here). Nothing sets it but the in-process test harness (test/bin/inProcess.ts `fakePinsExpireAfter`), for the
 * tests whose subject is what `login` says and exits with once the PIN expired, not the wait. The fake states a
 * PIN's `expiresIn` in whole seconds (rounded down) and the CLI's deadline is `expiresIn` from when it read the PIN,
 * so a lifetime under 1 s would take another path (no `expiresIn`: the deadline from `expiresAt`); 1.5 s keeps
 * `expiresIn` at 1, the CLI giving up after a second instead of two. As effect4/src/bin/internal/session.ts has it.
 */
export class FakePinLifetime extends Context.Reference<FakePinLifetime>()(
  "effect-plex-auth/bin/FakePinLifetime",
  { defaultValue: (): Duration.DurationInput => Duration.seconds(2) }
) {}

/**
 * Starts the loopback fake (for `--fake` and `fake-server`) with the
 * scenarios asked for. Unless PINs are to expire (after {@link FakePinLifetime}), the fake approves each PIN
 * `approvePinsAfter` (default {@link FakeApprovalDelay}) after it was created, as a user would in the browser.
 */
export const startFake = (options: {
  readonly scenarios: ReadonlySet<FakeScenario>
  /** The token a previous `--fake` run saved: the fake's account is seeded with it. */
  readonly savedToken?: string | undefined
  /** The home user a previous `--fake` run switched to: the saved token is seeded on that user's account. */
  readonly savedUser?: string | undefined
  readonly approvePinsAfter?: Duration.DurationInput | undefined
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
 * The fake of a `--fake` run: it starts afresh, seeded with the token a previous `--fake` run saved (and the Home
 * user it switched to), as the session's reading of the file has them, so a session spans runs as with plex.tv.
 */
const startSessionFake = (reading: Store.FirstReads, scenarios: ReadonlySet<FakeScenario>) =>
  startFake({
    scenarios,
    savedToken: reading.peek(fakeTokenKey),
    savedUser: reading.peek(FakeSeed.fakeUserKey)
  })

/**
 * A failure of a `--fake` run in words that hold once the run has ended (core/cli/failure.ts inFakeTerms): the
 * fake's loopback origins named, and with `PLEX_AUTH_FAKE=offline` what to do. Without `--fake`, as it is.
 */
export const inFakeTerms = (session: Context.Tag.Service<Session>, failure: CliFailure): CliFailure =>
  Option.match(session.fake, {
    onNone: () => failure,
    onSome: (fake) =>
      new CliFailure(
        CoreFailure.inFakeTerms(failure, {
          plexTvUrl: fake.plexTvUrl,
          serverUrl: fake.serverUrl,
          urls: fake.urls,
          offline: session.scenarios.has("offline")
        })
      )
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
 * answered from that reading (the client identifier, a `--fake` run's seed, the saved token: `whoami` reads the
 * file once, not five times). A key read again, and every change, go to the file, through the library's store
 * (made at its first use): a command that reads a key again (`logout` checks that the file still holds the token
 * it signed out) sees what another process wrote since. As effect4/src/bin/internal/session.ts has it.
 */
const commandStore = (
  directory: string,
  /** The CLI's default directory, not one the user chose: made 0700 at every change (core/node/store.ts `isDefault`). */
  isDefault: boolean
): Effect.Effect<
  {
    readonly store: KeyValueStore.KeyValueStore
    readonly reading: Store.FirstReads
    readonly swap: (
      key: string,
      value: string,
      saved?: (previous: string | undefined) => void
    ) => Effect.Effect<string | undefined, CliFailure>
  },
  CliFailure
> =>
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
              new CliFailure({
                message: CoreFailure.storeFailureMessage(read.error),
                exitCode: ExitCode.Generic
              })
            )
          : Effect.succeed(Store.firstReads(read.entries))
    )
    // The default directory left to the library's store to find (the same: the same variables, read through the same
    // Config), so that the store knows it as its own default and makes it 0700, as the core store below does.
    const file = yield* Effect.cached(FileStore.make(isDefault ? {} : { directory }))
    const onFile = <A>(
      key: string | undefined,
      f: (store: KeyValueStore.KeyValueStore) => Effect.Effect<A, PlatformError.PlatformError>
    ) => Effect.suspend(() => (reading.forget(key), Effect.flatMap(file, f)))
    const store = KeyValueStore.make({
      get: (key) =>
        Effect.suspend(() => {
          const first = reading.take(key)
          return first !== undefined
            ? Effect.succeed(Option.fromNullable(first.value))
            : Effect.flatMap(file, (store) => store.get(key))
        }),
      getUint8Array: (key) => onFile(key, (store) => store.getUint8Array(key)),
      set: (key, value) => onFile(key, (store) => store.set(key, value)),
      remove: (key) => onFile(key, (store) => store.remove(key)),
      clear: onFile(undefined, (store) => store.clear),
      size: Effect.flatMap(file, (store) => store.size),
      modify: (key, f) => onFile(key, (store) => store.modify(key, f)),
      modifyUint8Array: (key, f) => onFile(key, (store) => store.modifyUint8Array(key, f))
    })
    // A swap (login's save) is one change of the core store under its lock, as the library's store makes each of
    // its own; interrupted, it ends a wait for the lock, and a change under way runs to its end.
    const core = Store.open(directory, { isDefault })
    const swap = (
      key: string,
      value: string,
      saved?: (previous: string | undefined) => void
    ): Effect.Effect<string | undefined, CliFailure> =>
      Effect.flatMap(Effect.runtime<never>(), (runtime) => {
        reading.forget(key)
        return Effect.async<string | undefined, CliFailure>((resume) => {
          const controller = new AbortController()
          // A wait for another process's lock is logged at Debug (--log-level debug), as the library's store logs it.
          const onWait = (method: string, holder: string) =>
            Runtime.runSync(runtime)(Effect.logDebug(Store.lockWaitMessage(method, holder)))
          const done = core.swap(key, value, { signal: controller.signal, onWait }).then(
            (previous) => {
              saved?.(previous)
              resume(Effect.succeed(previous))
            },
            (error: unknown) =>
              resume(
                error instanceof Store.StoreError
                  ? Effect.fail(
                      new CliFailure({
                        message: CoreFailure.storeFailureMessage(error),
                        exitCode: ExitCode.Generic
                      })
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

/**
 * What {@link layer} fails with, given `ifSaved`, when the file holds no token: nothing was written or started. A
 * `CliFailure` (exit 0), so that the layer keeps its one error type; the command that asked (`logout`) catches it
 * and says there is nothing to do.
 */
export class NothingSaved extends CliFailure {}

/** Everything a command needs, for the given global options. */
export const layer = (
  globals: Globals,
  /**
   * `signedIn`: the command needs the saved token (`whoami`, `servers`, `token transient`, ...). Without one it
   * fails "Not logged in" before anything is written (no configuration directory, no client identifier) or
   * started (the fake), once the options are checked: a command that cannot run leaves no trace. `ifSaved`: the
   * command acts on the saved token alone (`logout`); with none in the file (the key absent) it fails with
   * {@link NothingSaved}, as early and leaving as little.
   */
  options: { readonly signedIn?: boolean | undefined; readonly ifSaved?: boolean | undefined } = {}
): Layer.Layer<
  Session | KeyValueStore.KeyValueStore | ClientIdentity.ClientIdentity | HttpClient.HttpClient,
  CliFailure
> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      if (globals.fake && Option.isSome(globals.plexTv)) {
        return yield* usage(Render.withFakeMessage("--plex-tv"))
      }
      if (globals.fake && Option.isSome(globals.authAppUrl)) {
        return yield* usage(Render.withFakeMessage("--auth-app-url"))
      }
      // Checked as the library checks a PIN login's authAppUrl, before any request (and before the store).
      const authApp = Option.map(globals.authAppUrl, (value) =>
        CoreFailure.authAppUrlOf(value, globals.authAppUrlFrom)
      )
      if (Option.isSome(authApp) && "message" in authApp.value) return yield* usage(authApp.value.message)
      const authAppUrl = Option.isSome(authApp) && "url" in authApp.value ? authApp.value.url : undefined
      if (Option.isSome(globals.configDir) && globals.configDir.value.trim() === "") {
        return yield* usage(CoreFailure.emptyConfigDirMessage)
      }
      const directory = Option.isSome(globals.configDir)
        ? path.resolve(globals.configDir.value)
        : yield* Effect.mapError(FileStore.defaultDirectory, fromStoreError)
      const { reading, store, swap } = yield* commandStore(directory, Option.isNone(globals.configDir))
      const scenarios = globals.fake ? yield* readScenarios : new Set<FakeScenario>()
      const checkedPlexTv = (url: string) =>
        Effect.mapError(PlexTv.make(url), (error) =>
          usage(
            CoreFailure.invalidMessage(
              CoreFailure.givenBy(globals.plexTvFrom, "--plex-tv URL", "PLEX_TV_URL"),
              error.reason
            )
          )
        )
      // plex.tv's URL checked before the saved token is looked for (a bad one is a usage error, logged in or not);
      // the fake's, once it has started.
      const given = globals.fake
        ? undefined
        : yield* checkedPlexTv(Option.getOrElse(globals.plexTv, () => PlexTv.defaultUrl))
      const tokenKey = globals.fake ? fakeTokenKey : Credentials.defaultStoreKey
      if (options.signedIn === true && CoreFailure.usableSavedToken(reading.peek(tokenKey)) === undefined) {
        return yield* notLoggedIn
      }
      if (options.ifSaved === true && reading.peek(tokenKey) === undefined) {
        return yield* new NothingSaved({
          message: Render.logoutText({ revoked: false, forgotten: false, local: false }),
          exitCode: ExitCode.Ok
        })
      }
      const client = yield* ClientIdentity.makePersisted(cliIdentity()).pipe(
        Effect.provideService(KeyValueStore.KeyValueStore, store),
        Effect.catchTags({
          InvalidInput: (error) => Effect.fail(fromPlexError(error)),
          SystemError: (error) => Effect.fail(fromStoreError(error)),
          BadArgument: (error) => Effect.fail(fromStoreError(error))
        })
      )
      const fake = globals.fake ? Option.some(yield* startSessionFake(reading, scenarios)) : Option.none()
      const plexTv =
        given ?? (yield* checkedPlexTv(Option.isSome(fake) ? fake.value.plexTvUrl : PlexTv.defaultUrl))
      return Context.make(Session, {
        directory,
        file: path.join(directory, FileStore.fileName),
        tokenKey,
        fake,
        scenarios,
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
      }).pipe(
        Context.add(KeyValueStore.KeyValueStore, store),
        Context.add(ClientIdentity.ClientIdentity, client),
        Context.add(PlexTv.PlexTv, plexTv)
      )
    })
  ).pipe(Layer.provideMerge(FetchHttpClient.layer))
