/**
 * A `KeyValueStore` kept in one JSON file, for Node: where a command-line
 * tool or a service keeps its client identifier
 * (`ClientIdentity.layerPersisted`) and its token (`Credentials.layerStored`)
 * from one run to the next.
 *
 * The file (`store.json`) holds a JSON object of keys and values. It is
 * readable by its owner only (mode 0600, in a directory of mode 0700 when the
 * store creates it; a file of the user's that group or others can read, copied
 * or restored without its mode, loses its group and other permissions when
 * the store reads it: 0644 becomes 0600) and never half written: every change
 * goes to a temporary file in the same directory, which then replaces the store in one rename. A
 * rename (or the lock file's reading and removal as a change releases it) refused for a moment, as Windows
 * refuses it while another program (an antivirus, a search indexer, a
 * backup) holds the file open (`EPERM`, `EACCES` or `EBUSY` on Windows,
 * `EBUSY` elsewhere), is tried again for up to a second, in pauses taken on
 * the caller's `Clock` (as the wait for the lock is); a rename still refused
 * then fails the change (reason `PermissionDenied` or `Busy`), the store as
 * it was. A
 * file that is not a store fails every operation with a `SystemError` of
 * reason `InvalidData` and is left as it is: a store that silently started
 * afresh would lose the client identifier Plex knows the app by.
 *
 * Several processes may share the store. Every change takes a lock file
 * (`store.json.lock`, naming the writer's process id and host: written
 * whole, then linked into place in one atomic step; where the file system
 * has no hard links, as exFAT and FAT32, created exclusively, then written,
 * so another writer may find it empty for a moment, and waits for it), reads
 * the file again, applies the change to what it read, and replaces the file,
 * so two processes writing at once keep both changes. A lock left by a
 * process that died (on this host) is taken over at once. (Two processes
 * taking it over at once can, rarely, let a third take the lock of a change
 * still running: that change, finding before it writes that its lock is gone
 * or another's, or that the file changed since it read it, is made again
 * after the other's, up to 3 times, then fails `Busy`. Made again, it reads
 * the file again and applies the change to that: `modify`'s function is
 * called again, so keep it free of side effects. A takeover in the instant
 * between that look and the replacing can still let both write.) One held
 * by a live process is waited for, up to 10 seconds, then the change fails
 * with a `SystemError` of reason `Busy`. Temporary files a killed writer
 * left behind are removed by the next change.
 *
 * The store does not trust a file it did not make: a `store.json` that is a
 * symbolic link, is not a regular file, is owned by another user, or is
 * writable by group or others fails every operation with a `SystemError` of
 * reason `PermissionDenied` (someone could have planted a token or a client
 * identifier there). At every change, a directory the user owns loses
 * group and other write permission, and {@link defaultDirectory} is made
 * 0700; a directory of another user that others may write to (without the
 * sticky bit) is refused.
 *
 * @since 0.1.0
 */
import * as PlatformError from "@effect/platform/Error"
import * as PlatformKeyValueStore from "@effect/platform/KeyValueStore"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Store from "../core/node/store.js"

/**
 * The service {@link layerFile} provides: the `KeyValueStore` tag of
 * `@effect/platform`, re-exported so one import serves both.
 *
 * @since 0.1.0
 * @category tags
 */
export const KeyValueStore = PlatformKeyValueStore.KeyValueStore

/**
 * @since 0.1.0
 * @category tags
 */
export type KeyValueStore = PlatformKeyValueStore.KeyValueStore

/**
 * The name of the store's file inside its directory.
 *
 * @since 0.1.0
 * @category constants
 */
export const fileName: string = Store.fileName

/**
 * The name of the directory, inside the user's configuration directory, that
 * {@link defaultDirectory} points to.
 *
 * @since 0.1.0
 * @category constants
 */
export const directoryName: string = Store.directoryName

/**
 * Options of {@link make} and {@link layerFile}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The directory holding `store.json`, created (mode 0700) on the first
   * write if it does not exist. Default: {@link defaultDirectory}. An empty
   * one is refused (`BadArgument`): it is not the current directory.
   */
  readonly directory?: string | undefined
}

// The file, its lock and its trust are the Effect-free store of src/core/node/store.ts, shared with the
// Effect 4 edition. What follows binds it to Effect 3: `SystemError`, the `Clock`, the logger, interruption.

const systemError = (error: Store.StoreError): PlatformError.SystemError =>
  new PlatformError.SystemError({
    reason: error.reason,
    module: "KeyValueStore",
    method: error.method,
    ...(error.syscall !== undefined ? { syscall: error.syscall } : {}),
    ...(error.path !== undefined ? { pathOrDescriptor: error.path } : {}),
    ...(error.description !== undefined ? { description: error.description } : {}),
    ...(error.cause !== undefined ? { cause: error.cause } : {})
  })

/**
 * A call of the store. Interrupted, it aborts the call's signal (which ends
 * a wait for the lock) and waits for the call to end: a change that holds
 * the lock replaces the file whole or not at all, and releases the lock.
 */
const run = <A>(f: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, PlatformError.SystemError> =>
  Effect.async<A, PlatformError.SystemError>((resume) => {
    const controller = new AbortController()
    const done = f(controller.signal).then(
      (value) => resume(Effect.succeed(value)),
      (error: unknown) =>
        resume(error instanceof Store.StoreError ? Effect.fail(systemError(error)) : Effect.die(error))
    )
    return Effect.promise(() => {
      controller.abort()
      return done
    })
  })

/** A change of the store: it waits for another process's lock on the caller's `Clock`, logging at Debug. */
const change = <A>(f: (waiting: Store.Waiting) => Promise<A>): Effect.Effect<A, PlatformError.SystemError> =>
  Effect.flatMap(Effect.runtime<never>(), (runtime) =>
    run((signal) =>
      f({
        signal,
        sleep: (millis) => Runtime.runPromise(runtime)(Effect.sleep(Duration.millis(millis)), { signal }),
        onWait: (method, holder) =>
          Runtime.runSync(runtime)(Effect.logDebug(Store.lockWaitMessage(method, holder)))
      })
    )
  )

const variable = (name: string): Effect.Effect<string | undefined> =>
  Config.option(Config.string(name)).pipe(
    Effect.map(Option.getOrUndefined),
    Effect.orElseSucceed(() => undefined)
  )

/**
 * The user's configuration directory for this library, read from `Config`
 * (the environment by default): `%APPDATA%\effect-plex-auth` on Windows,
 * else `$XDG_CONFIG_HOME/effect-plex-auth`, or `~/.config/effect-plex-auth`
 * when `XDG_CONFIG_HOME` is unset or not an absolute path. Fails with a
 * `SystemError` (`NotFound`) when no home directory can be found.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultDirectory: Effect.Effect<string, PlatformError.SystemError> = Effect.flatMap(
  Effect.all(Object.fromEntries(Store.directoryVariables.map((name) => [name, variable(name)]))),
  (variables) =>
    Effect.suspend(() => {
      try {
        return Effect.succeed(Store.defaultDirectory(variables))
      } catch (error) {
        return error instanceof Store.StoreError ? Effect.fail(systemError(error)) : Effect.die(error)
      }
    })
)

const badArgument = (method: string, description: string): PlatformError.PlatformError =>
  new PlatformError.BadArgument({ module: "KeyValueStore", method, description })

/**
 * A store in `directory/store.json` (by default in {@link defaultDirectory}).
 * Reads the file once to check it: one that exists but is not a store fails
 * with a `SystemError` of reason `InvalidData`. Nothing is created until the
 * first write. Options that are not an object, or a `directory` that is not
 * a string (from untyped JavaScript), fail with the platform's error for
 * bad input, a `BadArgument`, before anything is read.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<PlatformKeyValueStore.KeyValueStore, PlatformError.PlatformError> => makeAs("make", options)

/** {@link make}, for the public function `method` (a `BadArgument` names it). */
const makeAs = (
  method: "make" | "layerFile",
  options: Options
): Effect.Effect<PlatformKeyValueStore.KeyValueStore, PlatformError.PlatformError> =>
  Effect.gen(function* () {
    // From untyped JavaScript, `null` or a number: refused before the default directory is read. The store is
    // the platform's KeyValueStore, so the platform's error for rejected input (its type stays PlatformError).
    const problem = Store.optionsProblem(options)
    if (problem !== undefined) return yield* Effect.fail(badArgument(method, problem))
    const store = Store.open(options.directory ?? (yield* defaultDirectory), {
      isDefault: options.directory === undefined
    })
    // Within this process, changes go one at a time (the lock file alone would make them wait in turn).
    const lock = yield* Effect.makeSemaphore(1)
    const update = <A>(f: (waiting: Store.Waiting) => Promise<A>) => lock.withPermits(1)(change(f))

    // Fail now rather than on first use if the file is not a store.
    yield* run(() => store.read("make"))

    return PlatformKeyValueStore.make({
      get: (key) =>
        Effect.map(
          run(() => store.get(key)),
          Option.fromNullable
        ),
      getUint8Array: (key) =>
        Effect.map(
          run(() => store.getBytes(key)),
          Option.fromNullable
        ),
      has: (key) => run(() => store.has(key)),
      set: (key, value) => update((waiting) => store.set(key, value, waiting)),
      remove: (key) => update((waiting) => store.remove(key, waiting)),
      clear: update((waiting) => store.clear(waiting)),
      size: run(() => store.size()),
      modify: (key, f) =>
        Effect.map(
          update((waiting) => store.modify(key, f, waiting)),
          Option.fromNullable
        ),
      modifyUint8Array: (key, f) =>
        Effect.map(
          update((waiting) => store.modifyBytes(key, f, waiting)),
          Option.fromNullable
        )
    })
  })

/**
 * The file store as a layer; it fails when built as {@link make} fails.
 *
 * @example
 * ```ts
 * import { Console, Layer } from "effect"
 * import { ClientIdentity, Credentials, PinLogin } from "effect-plex-auth"
 * import { KeyValueStore } from "effect-plex-auth/node"
 *
 * // The client identifier and the token, kept in ~/.config/effect-plex-auth/store.json.
 * const StoreLive = KeyValueStore.layerFile()
 * const IdentityLive = ClientIdentity.layerPersisted({ product: "My Plex Tool" }).pipe(Layer.provide(StoreLive))
 * const CredentialsLive = Credentials.layerStored({
 *   obtain: PinLogin.login({ onPin: ({ url }) => Console.log(`Open ${url} to sign in`) })
 * }).pipe(Layer.provide(StoreLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFile = (
  options: Options = {}
): Layer.Layer<PlatformKeyValueStore.KeyValueStore, PlatformError.PlatformError> =>
  Layer.effect(PlatformKeyValueStore.KeyValueStore, makeAs("layerFile", options))
