/**
 * A `KeyValueStore` kept in one JSON file, for Node: where a command-line
 * tool or a service keeps its client identifier
 * (`ClientIdentity.layerPersisted`) and its token (`Credentials.layerStored`)
 * from one run to the next.
 *
 * The file (`store.json`) holds a JSON object of keys and values. It is
 * readable by its owner only (mode 0600, in a directory of mode 0700 when the
 * store creates it) and never half written: every change goes to a temporary
 * file in the same directory, which then replaces the store in one rename. A
 * file that is not a store fails every operation with a `SystemError` of
 * reason `InvalidData` and is left as it is: a store that silently started
 * afresh would lose the client identifier Plex knows the app by.
 *
 * Changes made through one store are applied one at a time. Two processes
 * writing the same file at once may lose one of the two changes (the last
 * rename wins), but the file stays whole.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as nodePath from "node:path"
import * as PlatformError from "@effect/platform/Error"
import * as PlatformKeyValueStore from "@effect/platform/KeyValueStore"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

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
export const fileName = "store.json"

/**
 * The name of the directory, inside the user's configuration directory, that
 * {@link defaultDirectory} points to.
 *
 * @since 0.1.0
 * @category constants
 */
export const directoryName = "effect-plex-auth"

/**
 * Options of {@link make} and {@link layerFile}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The directory holding `store.json`, created (mode 0700) on the first
   * write if it does not exist. Default: {@link defaultDirectory}.
   */
  readonly directory?: string | undefined
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

const reasonOf = (code: unknown): PlatformError.SystemErrorReason => {
  switch (code) {
    case "ENOENT":
      return "NotFound"
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return "PermissionDenied"
    case "EEXIST":
      return "AlreadyExists"
    case "EBUSY":
    case "ETXTBSY":
      return "Busy"
    case "ETIMEDOUT":
      return "TimedOut"
    case "EISDIR":
    case "ENOTDIR":
    case "EBADF":
      return "BadResource"
    case "ENOSPC":
    case "EDQUOT":
      return "WriteZero"
    case "EAGAIN":
      return "WouldBlock"
    default:
      return "Unknown"
  }
}

const systemError = (method: string, syscall: string, path: string, cause: unknown) => {
  const error = cause as
    { readonly code?: unknown; readonly message?: unknown; readonly syscall?: unknown } | undefined
  return new PlatformError.SystemError({
    reason: reasonOf(error?.code),
    module: "KeyValueStore",
    method,
    syscall: typeof error?.syscall === "string" ? error.syscall : syscall,
    pathOrDescriptor: path,
    ...(typeof error?.message === "string" ? { description: error.message } : {}),
    cause
  })
}

/** One file system call, its failure a `SystemError` naming the store method. */
const call = <A>(
  method: string,
  syscall: string,
  path: string,
  f: () => Promise<A>
): Effect.Effect<A, PlatformError.SystemError> =>
  Effect.tryPromise({ try: f, catch: (cause) => systemError(method, syscall, path, cause) })

// ---------------------------------------------------------------------------
// The default directory
// ---------------------------------------------------------------------------

const optionalVariable = (name: string): Effect.Effect<Option.Option<string>> =>
  Config.option(Config.string(name)).pipe(
    Effect.map(Option.filter((value) => value.trim().length > 0)),
    Effect.orElseSucceed(() => Option.none<string>())
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
export const defaultDirectory: Effect.Effect<string, PlatformError.SystemError> = Effect.gen(function* () {
  const windows = process.platform === "win32"
  const path = windows ? nodePath.win32 : nodePath.posix
  const home = Effect.flatMap(optionalVariable(windows ? "USERPROFILE" : "HOME"), (fromEnv) =>
    Option.isSome(fromEnv)
      ? Effect.succeed(fromEnv.value)
      : Effect.try({
          try: () => os.homedir(),
          catch: (cause) =>
            new PlatformError.SystemError({
              reason: "NotFound",
              module: "KeyValueStore",
              method: "defaultDirectory",
              description: "the user's home directory is unknown; pass a directory",
              cause
            })
        })
  )
  const base = windows ? yield* optionalVariable("APPDATA") : yield* optionalVariable("XDG_CONFIG_HOME")
  if (Option.isSome(base) && path.isAbsolute(base.value)) return path.join(base.value, directoryName)
  const fallback = windows ? ["AppData", "Roaming"] : [".config"]
  return path.join(yield* home, ...fallback, directoryName)
})

// ---------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------

/** A value as the file holds it: text as a string, bytes as base64. */
type Stored = string | { readonly base64: string }

type Entries = ReadonlyMap<string, Stored>

const invalidData = (method: string, file: string, description: string) =>
  new PlatformError.SystemError({
    reason: "InvalidData",
    module: "KeyValueStore",
    method,
    pathOrDescriptor: file,
    description: `${description}. The file was left as it is: move it aside or delete it to start a new store (and a new client identifier)`
  })

/**
 * Parses the file's text. Only shapes are described in errors, never
 * contents: the file holds tokens.
 */
const parse = (
  method: string,
  file: string,
  text: string
): Effect.Effect<Entries, PlatformError.SystemError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Effect.fail(
      invalidData(method, file, `not a key-value store: not valid JSON (${text.length} characters)`)
    )
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return Effect.fail(
      invalidData(
        method,
        file,
        `not a key-value store: expected a JSON object, found ${Array.isArray(json) ? "an array" : json === null ? "null" : typeof json}`
      )
    )
  }
  const entries = new Map<string, Stored>()
  for (const [key, value] of Object.entries(json)) {
    if (typeof value === "string") {
      entries.set(key, value)
    } else if (
      typeof value === "object" &&
      value !== null &&
      Object.keys(value).length === 1 &&
      typeof (value as { base64?: unknown }).base64 === "string" &&
      Encoding.decodeBase64((value as { base64: string }).base64)._tag === "Right"
    ) {
      entries.set(key, { base64: (value as { base64: string }).base64 })
    } else {
      return Effect.fail(
        invalidData(
          method,
          file,
          `not a key-value store: the value of a key is neither a string nor { "base64": <base64 text> }`
        )
      )
    }
  }
  return Effect.succeed(entries)
}

const serialize = (entries: Entries): string =>
  // `Object.fromEntries` defines own properties, so even a `__proto__` key is kept as data.
  `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`

const asString = (value: Stored): string => (typeof value === "string" ? value : value.base64)

const asBytes = (value: Stored): Uint8Array => {
  if (typeof value === "string") return new TextEncoder().encode(value)
  // `parse` accepted only valid base64.
  const decoded = Encoding.decodeBase64(value.base64)
  return decoded._tag === "Right" ? decoded.right : new Uint8Array()
}

const toStored = (value: string | Uint8Array): Stored =>
  typeof value === "string" ? value : { base64: Encoding.encodeBase64(value) }

/**
 * A store in `directory/store.json` (by default in {@link defaultDirectory}).
 * Reads the file once to check it: one that exists but is not a store fails
 * with a `SystemError` of reason `InvalidData`. Nothing is created until the
 * first write.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<PlatformKeyValueStore.KeyValueStore, PlatformError.PlatformError> =>
  Effect.gen(function* () {
    const directory = nodePath.resolve(options.directory ?? (yield* defaultDirectory))
    const file = nodePath.join(directory, fileName)
    const lock = yield* Effect.makeSemaphore(1)

    const read = (method: string): Effect.Effect<Entries, PlatformError.SystemError> =>
      call(method, "open", file, () => fs.readFile(file, "utf8")).pipe(
        Effect.map(Option.some),
        Effect.catchIf(
          (error) => error.reason === "NotFound",
          () => Effect.succeed(Option.none<string>())
        ),
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.succeed<Entries>(new Map()),
            onSome: (text) => parse(method, file, text)
          })
        )
      )

    const ensureDirectory = (method: string) =>
      Effect.flatMap(
        call(method, "mkdir", directory, () => fs.mkdir(directory, { recursive: true, mode: 0o700 })),
        (created) =>
          // Only a directory the store created is narrowed: `directory` may be a shared one.
          created === undefined
            ? Effect.void
            : call(method, "chmod", directory, () => fs.chmod(directory, 0o700))
      )

    // Write a temporary file next to the store, flush it, and rename it over
    // the store: a reader sees the old file or the new one, never a part.
    // Uninterruptible, so an interrupted write leaves no temporary file.
    const write = (method: string, entries: Entries): Effect.Effect<void, PlatformError.SystemError> =>
      Effect.gen(function* () {
        yield* ensureDirectory(method)
        const temp = nodePath.join(directory, `.${fileName}.${randomBytes(8).toString("hex")}.tmp`)
        const written = Effect.acquireUseRelease(
          call(method, "open", temp, () => fs.open(temp, "wx", 0o600)),
          (handle) =>
            Effect.all([
              // The mode given to open is narrowed by the umask; make it exactly 0600.
              call(method, "chmod", temp, () => handle.chmod(0o600)),
              call(method, "write", temp, () => handle.writeFile(serialize(entries), "utf8")),
              call(method, "fsync", temp, () => handle.sync())
            ]),
          (handle) => Effect.promise(() => handle.close().catch(() => undefined))
        )
        yield* Effect.zipRight(
          written,
          call(method, "rename", file, () => fs.rename(temp, file))
        ).pipe(
          Effect.tapError(() => Effect.promise(() => fs.rm(temp, { force: true }).catch(() => undefined)))
        )
        // Make the rename itself durable where directories can be flushed (not on Windows).
        yield* Effect.promise(async () => {
          const handle = await fs.open(directory, "r").catch(() => undefined)
          await handle?.sync().catch(() => undefined)
          await handle?.close().catch(() => undefined)
        })
      }).pipe(Effect.uninterruptible)

    /** Reads, changes and writes under the lock; writes only when `f` changed something. */
    const update = <A>(
      method: string,
      f: (entries: Map<string, Stored>) => readonly [result: A, changed: boolean]
    ): Effect.Effect<A, PlatformError.SystemError> =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          const entries = new Map(yield* read(method))
          const [result, changed] = f(entries)
          if (changed) yield* write(method, entries)
          return result
        })
      )

    const get = (key: string) =>
      Effect.map(read("get"), (entries) => Option.map(Option.fromNullable(entries.get(key)), asString))

    // Fail now rather than on first use if the file is not a store.
    yield* read("make")

    return PlatformKeyValueStore.make({
      get,
      getUint8Array: (key) =>
        Effect.map(read("getUint8Array"), (entries) =>
          Option.map(Option.fromNullable(entries.get(key)), asBytes)
        ),
      has: (key) => Effect.map(read("has"), (entries) => entries.has(key)),
      set: (key, value) =>
        update("set", (entries) => {
          entries.set(key, toStored(value))
          return [undefined, true]
        }),
      remove: (key) => update("remove", (entries) => [undefined, entries.delete(key)]),
      clear: update("clear", (entries) => {
        const changed = entries.size > 0
        entries.clear()
        return [undefined, changed]
      }),
      size: Effect.map(read("size"), (entries) => entries.size),
      modify: (key, f) =>
        update("modify", (entries) => {
          const current = entries.get(key)
          if (current === undefined) return [Option.none(), false]
          const next = f(asString(current))
          entries.set(key, next)
          return [Option.some(next), true]
        }),
      modifyUint8Array: (key, f) =>
        update("modifyUint8Array", (entries) => {
          const current = entries.get(key)
          if (current === undefined) return [Option.none(), false]
          const next = f(asBytes(current))
          entries.set(key, toStored(next))
          return [Option.some(next), true]
        })
    })
  })

/**
 * The file store as a layer.
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
  Layer.effect(PlatformKeyValueStore.KeyValueStore, make(options))
