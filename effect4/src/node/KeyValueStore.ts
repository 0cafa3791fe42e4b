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
 * file that is not a store fails every operation with a `KeyValueStoreError` whose
 * cause is a `PlatformError` (`SystemError` of reason `InvalidData`) and is left as it is: a store that silently started
 * afresh would lose the client identifier Plex knows the app by.
 *
 * Several processes may share the store. Every change takes a lock file
 * (`store.json.lock`, made in one atomic step with the writer's process id
 * and host), reads the file again, applies the change to what it read, and
 * replaces the file, so two processes writing at once keep both changes. A
 * lock left by a process that died (on this host) is taken over at once; one
 * held by a live process is waited for, up to 10 seconds, then the
 * change fails (a `SystemError` of reason `Busy`). Temporary files a
 * killed writer left behind are removed by the next change.
 *
 * The store does not trust a file it did not make: a `store.json` that is a
 * symbolic link, is not a regular file, is owned by another user, or is
 * writable by group or others fails every operation (a `SystemError` of
 * reason `PermissionDenied`) (someone could have planted a token or a client
 * identifier there). On the first change, a directory the user owns loses
 * group and other write permission, and {@link defaultDirectory} is made
 * 0700; a directory of another user that others may write to (without the
 * sticky bit) is refused.
 *
 * Every operation fails with Effect 4's `KeyValueStoreError`, whose `cause`
 * is the `PlatformError` (with its `SystemError` reason) that says why.
 *
 * @since 0.1.0
 */
import { createHash, randomBytes } from "node:crypto"
import { constants as fsConstants } from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as nodePath from "node:path"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PersistenceKeyValueStore from "effect/persistence/KeyValueStore"
import * as PlatformError from "effect/PlatformError"
import * as Semaphore from "effect/Semaphore"

/**
 * The service {@link layerFile} provides: the `KeyValueStore` service of
 * `effect/persistence/KeyValueStore`, re-exported so one import serves both.
 *
 * @since 0.1.0
 * @category tags
 */
export const KeyValueStore = PersistenceKeyValueStore.KeyValueStore

/**
 * @since 0.1.0
 * @category tags
 */
export type KeyValueStore = PersistenceKeyValueStore.KeyValueStore

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

const reasonOf = (code: unknown): PlatformError.SystemErrorTag => {
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
  return PlatformError.systemError({
    _tag: reasonOf(error?.code),
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
): Effect.Effect<A, PlatformError.PlatformError> =>
  Effect.tryPromise({ try: f, catch: (cause) => systemError(method, syscall, path, cause) })

// ---------------------------------------------------------------------------
// The default directory
// ---------------------------------------------------------------------------

const optionalVariable = (name: string): Effect.Effect<Option.Option<string>> =>
  Config.option(Config.String(name)).pipe(
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
export const defaultDirectory: Effect.Effect<string, PlatformError.PlatformError> = Effect.gen(function* () {
  const windows = process.platform === "win32"
  const path = windows ? nodePath.win32 : nodePath.posix
  const home = Effect.flatMap(optionalVariable(windows ? "USERPROFILE" : "HOME"), (fromEnv) =>
    Option.isSome(fromEnv)
      ? Effect.succeed(fromEnv.value)
      : Effect.try({
          try: () => os.homedir(),
          catch: (cause) =>
            PlatformError.systemError({
              _tag: "NotFound",
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
  PlatformError.systemError({
    _tag: "InvalidData",
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
): Effect.Effect<Entries, PlatformError.PlatformError> => {
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
      isBase64((value as { base64: string }).base64)
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
  return new Uint8Array(Buffer.from(value.base64, "base64"))
}

/** Whether a text is canonical base64 (what `Buffer.toString("base64")` writes). */
const isBase64 = (text: string): boolean =>
  /^[A-Za-z0-9+/]*={0,2}$/.test(text) &&
  text.length % 4 === 0 &&
  Buffer.from(text, "base64").toString("base64") === text

const toStored = (value: string | Uint8Array): Stored =>
  typeof value === "string" ? value : { base64: Buffer.from(value).toString("base64") }

// ---------------------------------------------------------------------------
// Trust, the lock file, and what dead writers leave
// ---------------------------------------------------------------------------

/**
 * How long a change waits for a lock held by a live process before failing
 * with a `SystemError` of reason `Busy`. A change holds the lock for the few
 * milliseconds of one read and one write.
 */
const lockWaitLimit: Duration.Duration = Duration.seconds(10)

const posixPlatform = process.platform !== "win32"

/** Another user's, or a user's anywhere: only the owner of the process may own and write the store. */
const currentUid = (): number | undefined =>
  posixPlatform && typeof process.getuid === "function" ? process.getuid() : undefined

const untrusted = (method: string, path: string, description: string) =>
  PlatformError.systemError({
    _tag: "PermissionDenied",
    module: "KeyValueStore",
    method,
    pathOrDescriptor: path,
    description: `${description}; the store does not trust it (another user could have planted a token or a client identifier). Check it, then fix its owner or mode, or move it aside`
  })

/** Why a file's metadata makes it untrustworthy as the store, or undefined. */
const fileProblem = (
  stat: { readonly mode: number; readonly uid: number; isFile(): boolean; isSymbolicLink(): boolean },
  uid: number | undefined
): string | undefined => {
  if (stat.isSymbolicLink()) return "the store file is a symbolic link"
  if (!stat.isFile()) return "the store file is not a regular file"
  if (uid === undefined) return undefined
  if (stat.uid !== uid) return `the store file is owned by another user (uid ${stat.uid})`
  if ((stat.mode & 0o022) !== 0) {
    return `the store file is writable by ${(stat.mode & 0o002) !== 0 ? "any user" : "its group"} (mode ${(stat.mode & 0o777).toString(8)})`
  }
  return undefined
}

/**
 * Reads the store file without following a symbolic link (`O_NOFOLLOW`),
 * checking the opened file itself: a problem comes back as a string.
 */
const readTrusted = async (file: string): Promise<{ readonly text: string } | string> => {
  if (!posixPlatform) {
    const stat = await fs.lstat(file)
    const problem = fileProblem(stat, undefined)
    return problem ?? { text: await fs.readFile(file, "utf8") }
  }
  let handle: fs.FileHandle
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW)
  } catch (error) {
    if ((error as { readonly code?: unknown }).code === "ELOOP") return "the store file is a symbolic link"
    throw error
  }
  try {
    const problem = fileProblem(await handle.stat(), currentUid())
    return problem ?? { text: await handle.readFile("utf8") }
  } finally {
    await handle.close().catch(() => undefined)
  }
}

/**
 * On an existing directory: one the user owns loses group and other write
 * permission (the default directory, ours by name, becomes 0700); another
 * user's that others may write to, without the sticky bit, is refused.
 */
const tightenDirectory = async (directory: string, isDefault: boolean): Promise<string | undefined> => {
  const uid = currentUid()
  if (uid === undefined) return undefined
  const stat = await fs.stat(directory)
  const mode = stat.mode & 0o7777
  if (stat.uid === uid) {
    const wanted = isDefault ? mode & ~0o077 : mode & ~0o022
    if (wanted !== mode) await fs.chmod(directory, wanted)
    return undefined
  }
  if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
    return `the store's directory belongs to another user (uid ${stat.uid}) and others may write to it (mode ${(mode & 0o777).toString(8)})`
  }
  return undefined
}

/** A short, stable tag of this host: lock and temporary files name their writer's host and process. */
const hostTag = createHash("sha256").update(os.hostname()).digest("hex").slice(0, 8)

/** A temporary file's name, naming this host and process so a dead writer's can be told and removed. */
const tempName = () => `.${fileName}.${hostTag}.${process.pid}.${randomBytes(8).toString("hex")}.tmp`

/** `.store.json.<host>.<pid>.<random>.tmp`, or the older `.store.json.<random>.tmp`. */
const tempPattern = /^\.store\.json\.(?:([0-9a-f]{8})\.(\d+)\.)?[0-9a-f]{16}\.tmp$/

/** Whether a process of this host is alive (one of another user counts as alive). */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { readonly code?: unknown }).code !== "ESRCH"
  }
}

/**
 * Removes temporary files left by writers that died on this host (one may
 * hold a token), and those of the older naming, which tell no writer. Run
 * under the lock: no live writer of this host leaves such a file behind.
 */
const removeLeftovers = async (directory: string): Promise<void> => {
  const names = await fs.readdir(directory).catch(() => [])
  for (const name of names) {
    const match = tempPattern.exec(name)
    if (match === null) continue
    const [, host, pid] = match
    if (host === undefined || (host === hostTag && !isAlive(Number(pid)))) {
      await fs.rm(nodePath.join(directory, name), { force: true }).catch(() => undefined)
    }
  }
}

interface Holder {
  readonly pid: number
  readonly host: string
  readonly nonce: string
}

const parseHolder = (text: string): Holder | undefined => {
  try {
    const json = JSON.parse(text) as Partial<Holder> | null
    return typeof json?.pid === "number" && typeof json.host === "string" && typeof json.nonce === "string"
      ? { pid: json.pid, host: json.host, nonce: json.nonce }
      : undefined
  } catch {
    return undefined
  }
}

type LockAttempt =
  | { readonly _tag: "Taken"; readonly nonce: string }
  /** The lock went away while we looked: try again at once. */
  | { readonly _tag: "Free" }
  /** A dead writer's lock was removed: try again at once. */
  | { readonly _tag: "Broken" }
  | { readonly _tag: "Held"; readonly holder: string }

const readLock = (lockFile: string): Promise<string | undefined> =>
  fs.readFile(lockFile, "utf8").catch((error: { readonly code?: unknown }) => {
    if (error.code === "ENOENT") return undefined
    throw error
  })

/**
 * One try at the lock: the holder's record is written to a temporary file,
 * then hard-linked as the lock file, so the lock never exists half written
 * (where hard links are not supported, it is created exclusively instead).
 * When the lock is held by a process of this host that is no longer alive,
 * it is moved aside and removed; if what was moved turns out to be a newer,
 * live lock (another process took over the dead one in between), it is put
 * back.
 */
const tryLock = async (directory: string, lockFile: string): Promise<LockAttempt> => {
  const nonce = randomBytes(16).toString("hex")
  const record = JSON.stringify({ pid: process.pid, host: hostTag, nonce })
  const temp = nodePath.join(directory, tempName())
  await fs.writeFile(temp, record, { flag: "wx", mode: 0o600 })
  try {
    await fs.link(temp, lockFile)
    return { _tag: "Taken", nonce }
  } catch (error) {
    const code = (error as { readonly code?: unknown }).code
    if (code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS" || code === "EXDEV") {
      try {
        await fs.writeFile(lockFile, record, { flag: "wx", mode: 0o600 })
        return { _tag: "Taken", nonce }
      } catch (fallback) {
        if ((fallback as { readonly code?: unknown }).code !== "EEXIST") throw fallback
      }
    } else if (code !== "EEXIST") {
      throw error
    }
  } finally {
    await fs.rm(temp, { force: true }).catch(() => undefined)
  }
  const text = await readLock(lockFile)
  if (text === undefined) return { _tag: "Free" }
  const holder = parseHolder(text)
  if (holder === undefined) return { _tag: "Held", holder: "an unknown writer" }
  if (holder.host !== hostTag || isAlive(holder.pid)) {
    return {
      _tag: "Held",
      holder: holder.host === hostTag ? `process ${holder.pid}` : `process ${holder.pid} of another host`
    }
  }
  // A dead writer's lock: move it aside (one atomic step), then check what was moved.
  const moved = nodePath.join(directory, tempName())
  try {
    await fs.rename(lockFile, moved)
  } catch (error) {
    if ((error as { readonly code?: unknown }).code === "ENOENT") return { _tag: "Free" }
    throw error
  }
  try {
    const movedHolder = parseHolder(await fs.readFile(moved, "utf8"))
    if (movedHolder?.nonce !== holder.nonce) {
      // Another process took over the dead lock in between: that lock is live, put it back.
      await fs.link(moved, lockFile).catch(() => undefined)
    }
  } finally {
    await fs.rm(moved, { force: true }).catch(() => undefined)
  }
  return { _tag: "Broken" }
}

/** Removes the lock file if it is still this holder's. */
const releaseLock = async (lockFile: string, nonce: string): Promise<void> => {
  const text = await readLock(lockFile).catch(() => undefined)
  if (text !== undefined && parseHolder(text)?.nonce === nonce) {
    await fs.rm(lockFile, { force: true }).catch(() => undefined)
  }
}

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
): Effect.Effect<PersistenceKeyValueStore.KeyValueStore, PlatformError.PlatformError> =>
  Effect.gen(function* () {
    const directory = nodePath.resolve(options.directory ?? (yield* defaultDirectory))
    const file = nodePath.join(directory, fileName)
    const lock = yield* Semaphore.make(1)

    const lockFile = `${file}.lock`
    const isDefault = options.directory === undefined

    const read = (method: string): Effect.Effect<Entries, PlatformError.PlatformError> =>
      call(method, "open", file, () => readTrusted(file)).pipe(
        Effect.flatMap((result) =>
          typeof result === "string"
            ? Effect.fail(untrusted(method, file, result))
            : Effect.succeed(result.text)
        ),
        Effect.map(Option.some),
        Effect.catchIf(
          (error) => error.reason._tag === "NotFound",
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
          created !== undefined
            ? call(method, "chmod", directory, () => fs.chmod(directory, 0o700))
            : call(method, "stat", directory, () => tightenDirectory(directory, isDefault)).pipe(
                Effect.flatMap((problem) =>
                  problem === undefined ? Effect.void : Effect.fail(untrusted(method, directory, problem))
                )
              )
      )

    // Write a temporary file next to the store, flush it, and rename it over
    // the store: a reader sees the old file or the new one, never a part.
    // Runs under the lock, uninterruptibly.
    const write = (method: string, entries: Entries): Effect.Effect<void, PlatformError.PlatformError> =>
      Effect.gen(function* () {
        const temp = nodePath.join(directory, tempName())
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
        yield* Effect.andThen(
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
      })

    /** Takes the lock file, waiting (interruptibly) for a live holder; a dead one's lock is taken over. */
    const acquire = (
      method: string,
      restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
    ): Effect.Effect<string, PlatformError.PlatformError> =>
      Effect.gen(function* () {
        let waited = Duration.zero
        let pause = Duration.millis(1)
        for (;;) {
          const attempt = yield* call(method, "link", lockFile, () => tryLock(directory, lockFile))
          if (attempt._tag === "Taken") return attempt.nonce
          if (attempt._tag === "Free" || attempt._tag === "Broken") continue
          if (Duration.isGreaterThanOrEqualTo(waited, lockWaitLimit)) {
            return yield* PlatformError.systemError({
              _tag: "Busy",
              module: "KeyValueStore",
              method,
              pathOrDescriptor: lockFile,
              description: `another program (${attempt.holder}) has held the store's lock for ${Duration.format(lockWaitLimit)}; if none is running, delete ${lockFile}`
            })
          }
          if (Duration.isZero(waited)) {
            yield* Effect.logDebug(`KeyValueStore: ${method} waits for the lock held by ${attempt.holder}`)
          }
          yield* restore(Effect.sleep(pause))
          waited = Duration.sum(waited, pause)
          pause = Duration.min(Duration.times(pause, 2), Duration.millis(50))
        }
      })

    /**
     * Under the lock file: removes what dead writers left, reads the file
     * again, applies `f` and writes the result when `f` changed something.
     * Within this process, changes also go one at a time.
     */
    const update = <A>(
      method: string,
      needed: (entries: Entries) => boolean,
      unchanged: A,
      f: (entries: Map<string, Stored>) => readonly [result: A, changed: boolean]
    ): Effect.Effect<A, PlatformError.PlatformError> =>
      lock.withPermits(1)(
        Effect.uninterruptibleMask((restore) =>
          Effect.gen(function* () {
            // A change with nothing to change (removing an absent key) takes no lock and creates nothing.
            if (!needed(yield* read(method))) return unchanged
            yield* ensureDirectory(method)
            const nonce = yield* acquire(method, restore)
            return yield* Effect.gen(function* () {
              yield* Effect.promise(() => removeLeftovers(directory))
              const entries = new Map(yield* read(method))
              const [result, changed] = f(entries)
              if (changed) yield* write(method, entries)
              return result
            }).pipe(Effect.ensuring(Effect.promise(() => releaseLock(lockFile, nonce))))
          })
        )
      )

    /** The store's failures, as Effect 4's `KeyValueStore` reports them: the `PlatformError` is the cause. */
    const storeError =
      (method: string, key?: string) =>
      <A>(effect: Effect.Effect<A, PlatformError.PlatformError>) =>
        Effect.mapError(
          effect,
          (cause) =>
            new PersistenceKeyValueStore.KeyValueStoreError({
              message: cause.message,
              method,
              ...(key !== undefined ? { key } : {}),
              cause
            })
        )

    // Fail now rather than on first use if the file is not a store.
    yield* read("make")

    return PersistenceKeyValueStore.make({
      get: (key) =>
        read("get").pipe(
          Effect.map((entries) => {
            const value = entries.get(key)
            return value === undefined ? undefined : asString(value)
          }),
          storeError("get", key)
        ),
      getUint8Array: (key) =>
        read("getUint8Array").pipe(
          Effect.map((entries) => {
            const value = entries.get(key)
            return value === undefined ? undefined : asBytes(value)
          }),
          storeError("getUint8Array", key)
        ),
      has: (key) =>
        read("has").pipe(
          Effect.map((entries) => entries.has(key)),
          storeError("has", key)
        ),
      keys: read("keys").pipe(
        Effect.map((entries) => Array.from(entries.keys())),
        storeError("keys")
      ),
      set: (key, value) =>
        update(
          "set",
          () => true,
          undefined,
          (entries) => {
            entries.set(key, toStored(value))
            return [undefined, true]
          }
        ).pipe(storeError("set", key)),
      remove: (key) =>
        update(
          "remove",
          (entries) => entries.has(key),
          undefined,
          (entries) => [undefined, entries.delete(key)]
        ).pipe(storeError("remove", key)),
      clear: update(
        "clear",
        (entries) => entries.size > 0,
        undefined,
        (entries) => {
          const changed = entries.size > 0
          entries.clear()
          return [undefined, changed]
        }
      ).pipe(storeError("clear")),
      size: read("size").pipe(
        Effect.map((entries) => entries.size),
        storeError("size")
      ),
      modify: (key, f) =>
        update(
          "modify",
          (entries) => entries.has(key),
          undefined,
          (entries): readonly [string | undefined, boolean] => {
            const current = entries.get(key)
            if (current === undefined) return [undefined, false]
            const next = f(asString(current))
            entries.set(key, next)
            return [next, true]
          }
        ).pipe(storeError("modify", key)),
      modifyUint8Array: (key, f) =>
        update(
          "modifyUint8Array",
          (entries) => entries.has(key),
          undefined,
          (entries): readonly [Uint8Array | undefined, boolean] => {
            const current = entries.get(key)
            if (current === undefined) return [undefined, false]
            const next = f(asBytes(current))
            entries.set(key, toStored(next))
            return [next, true]
          }
        ).pipe(storeError("modifyUint8Array", key))
    })
  })

/**
 * The file store as a layer.
 *
 * @example
 * ```ts
 * import * as Console from "effect/Console"
 * import * as Layer from "effect/Layer"
 * import { ClientIdentity, Credentials, PinLogin } from "effect4-plex-auth"
 * import { KeyValueStore } from "effect4-plex-auth/node"
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
): Layer.Layer<PersistenceKeyValueStore.KeyValueStore, PlatformError.PlatformError> =>
  Layer.effect(PersistenceKeyValueStore.KeyValueStore, make(options))
