/**
 * The Node file store, once for both editions: a JSON object of keys and
 * values in `directory/store.json`, in plain TypeScript on Node's `fs` with
 * no Effect in it. The `KeyValueStore` modules of the Effect 3 and Effect 4
 * editions (`src/node/KeyValueStore.ts`, `effect4/src/node/KeyValueStore.ts`)
 * are thin bindings over it: their service, their `SystemError`, their
 * `Clock` for the lock wait, their logger, their interruption.
 *
 * What it guarantees (the bindings' module docs say it to users):
 * - Readable by its owner only: the file 0600, a directory it creates 0700;
 *   a file of the user's that group or others can read is made so when read.
 * - Never half written: a change goes to a temporary file in the same
 *   directory (flushed), which replaces the store in one rename. A rename
 *   Windows refuses for a moment (another program has the file open:
 *   `EPERM`, `EACCES`, `EBUSY`) is tried again for up to a second; so are
 *   the lock file's reading and removal as a change releases it.
 * - A file that is not a store fails every operation (`InvalidData`) and is
 *   left as it is.
 * - Several processes may share it: every change takes a lock file
 *   (`store.json.lock`, naming the writer's process id and host: hard-linked
 *   into place whole, in one atomic step; without hard links, as on exFAT and
 *   FAT32, created exclusively, then written: empty for a moment, when others
 *   wait for "an unknown writer"), reads the file again, applies the change
 *   and replaces the file. A dead writer's lock (on this host) is taken over
 *   at once; a live one is waited for, up to {@link lockWaitLimitMillis},
 *   then `Busy`. A change that finds, as it is about to replace the file,
 *   that its lock is no longer its own, or the file no longer the one it
 *   read (two takeovers of a dead lock raced and another writer took the
 *   lock meanwhile) is made again under the lock taken anew, up to 3 times,
 *   then `Busy`. Temporary files a dead writer left are removed by the next
 *   change.
 * - A store file that is a symbolic link, not a regular file, another
 *   user's, or writable by group or others fails with `PermissionDenied`;
 *   so does a lock file that is not a regular file (never waited on).
 *
 * Errors are {@link StoreError}s (a `reason` as the Effect platforms'
 * `SystemError` names it, the store `method`, the `syscall` and path);
 * anything else thrown is a bug.
 *
 * @internal
 */
import { constants as bufferConstants } from "node:buffer"
import { createHash, randomBytes } from "node:crypto"
import { constants as fsConstants } from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as nodePath from "node:path"
import { objectProblem } from "../validate.js"

/** The name of the store's file inside its directory. */
export const fileName = "store.json"

/** The directory, inside the user's configuration directory, of the default store. */
export const directoryName = "effect-plex-auth"

/**
 * How long a change waits for a lock held by a live process before failing
 * with `Busy`. A change holds the lock for the few milliseconds of one read
 * and one write.
 */
export const lockWaitLimitMillis = 10_000

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** Why an operation failed, as `SystemError` (Effect 3 `reason`, Effect 4 `_tag`) names it. */
export type Reason =
  | "AlreadyExists"
  | "BadResource"
  | "Busy"
  | "InvalidData"
  | "NotFound"
  | "PermissionDenied"
  | "TimedOut"
  | "Unknown"
  | "WouldBlock"
  | "WriteZero"

/** A failure of the store: the bindings turn it into their `SystemError`. */
export class StoreError extends Error {
  override readonly name = "StoreError"
  readonly reason: Reason
  readonly method: string
  readonly syscall: string | undefined
  readonly path: string | undefined
  readonly description: string | undefined
  constructor(options: {
    readonly reason: Reason
    readonly method: string
    readonly syscall?: string | undefined
    readonly path?: string | undefined
    readonly description?: string | undefined
    readonly cause?: unknown
  }) {
    super(options.description ?? options.reason, { cause: options.cause })
    this.reason = options.reason
    this.method = options.method
    this.syscall = options.syscall
    this.path = options.path
    this.description = options.description
  }
}

const reasonOf = (code: unknown): Reason => {
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

const codeOf = (error: unknown): unknown => (error as { readonly code?: unknown } | undefined)?.code

/**
 * Whether `error` is Deno's refusal of a permission the program was not
 * granted (`NotCapable` since Deno 2, `PermissionDenied` before): its
 * `node:fs`, `os.hostname()` and `process.getuid()` throw it, with no `code`,
 * and a message naming the flag (`run again with the --allow-sys flag`).
 */
const isDenoPermissionError = (error: unknown): boolean =>
  error instanceof Error && (error.name === "NotCapable" || error.name === "PermissionDenied")

/** One file system call, its failure a {@link StoreError} naming the store method. */
const call = async <A>(method: string, syscall: string, path: string, f: () => Promise<A>): Promise<A> => {
  try {
    return await f()
  } catch (cause) {
    if (cause instanceof StoreError) throw cause
    const error = cause as { readonly message?: unknown; readonly syscall?: unknown } | undefined
    throw new StoreError({
      reason: isDenoPermissionError(cause) ? "PermissionDenied" : reasonOf(codeOf(cause)),
      method,
      syscall: typeof error?.syscall === "string" ? error.syscall : syscall,
      path,
      description: typeof error?.message === "string" ? error.message : undefined,
      cause
    })
  }
}

const invalidData = (method: string, file: string, description: string) =>
  new StoreError({
    reason: "InvalidData",
    method,
    path: file,
    description: `${description}. The file was left as it is: move it aside or delete it to start a new store (losing what it holds: a client identifier kept there, saved Plex tokens, web sign-in sessions)`
  })

const untrusted = (method: string, path: string, description: string) =>
  new StoreError({
    reason: "PermissionDenied",
    method,
    path,
    description: `${description}; the store does not trust it (another user could have planted a token or a client identifier). Check it, then fix its owner or mode, or move it aside`
  })

// ---------------------------------------------------------------------------
// The default directory
// ---------------------------------------------------------------------------

/**
 * Why `value` cannot be a store's `directory` option, or undefined: a string (or undefined, for
 * {@link defaultDirectory}) that is not empty. An empty one (a variable passed on unset) would resolve to the
 * current directory: the token would land wherever the program runs, and that directory's mode be tightened.
 */
export const directoryProblem = (value: unknown): string | undefined =>
  value === undefined
    ? undefined
    : typeof value !== "string"
      ? "must be a string"
      : value.trim() === ""
        ? "must not be empty (leave it out for the default directory)"
        : undefined

/**
 * Why `options` cannot be a store binding's (`KeyValueStore.make` of each edition: an object, or undefined, whose
 * `directory` passes {@link directoryProblem}), or undefined; in the words of the `BadArgument` it fails with.
 */
export const optionsProblem = (options: unknown): string | undefined => {
  const problem = objectProblem(options, true)
  if (problem !== undefined) return `invalid options: ${problem}`
  const directory = directoryProblem((options as { readonly directory?: unknown } | undefined)?.directory)
  return directory === undefined ? undefined : `invalid directory: ${directory}`
}

/** What a binding logs (at Debug) when a change waits for another process's lock ({@link Waiting}'s `onWait`). */
export const lockWaitMessage = (method: string, holder: string): string =>
  `KeyValueStore: ${method} waits for the lock held by ${holder}`

/** The environment variables {@link defaultDirectory} reads (the bindings read them through `Config`). */
export const directoryVariables = ["HOME", "USERPROFILE", "APPDATA", "XDG_CONFIG_HOME"] as const

/**
 * The user's configuration directory for this library: `%APPDATA%\effect-plex-auth` on Windows, else
 * `$XDG_CONFIG_HOME/effect-plex-auth`, or `~/.config/effect-plex-auth` when `XDG_CONFIG_HOME` is unset,
 * blank or not an absolute path. The home directory is `HOME` (`USERPROFILE` on Windows), else
 * `os.homedir()`; throws a {@link StoreError} (`NotFound`) when there is none.
 */
export const defaultDirectory = (
  variables: Partial<Record<(typeof directoryVariables)[number], string | undefined>>,
  platform: NodeJS.Platform = process.platform
): string => {
  const windows = platform === "win32"
  const path = windows ? nodePath.win32 : nodePath.posix
  const variable = (name: (typeof directoryVariables)[number]) => {
    const value = variables[name]
    return value !== undefined && value.trim().length > 0 ? value : undefined
  }
  const base = variable(windows ? "APPDATA" : "XDG_CONFIG_HOME")
  if (base !== undefined && path.isAbsolute(base)) return path.join(base, directoryName)
  let home = variable(windows ? "USERPROFILE" : "HOME")
  if (home === undefined) {
    try {
      home = os.homedir()
    } catch (cause) {
      throw new StoreError({
        reason: "NotFound",
        method: "defaultDirectory",
        description: "the user's home directory is unknown; pass a directory",
        cause
      })
    }
  }
  return path.join(home, ...(windows ? ["AppData", "Roaming"] : [".config"]), directoryName)
}

// ---------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------

/** A value as the file holds it: text as a string, bytes as base64. */
export type Stored = string | { readonly base64: string }

export type Entries = ReadonlyMap<string, Stored>

/** Whether a text is canonical base64 (what `Buffer.toString("base64")` writes). */
const isBase64 = (text: string): boolean =>
  /^[A-Za-z0-9+/]*={0,2}$/.test(text) &&
  text.length % 4 === 0 &&
  Buffer.from(text, "base64").toString("base64") === text

/** Parses the file's text. Only shapes are described in errors, never contents: the file holds tokens. */
const parse = (method: string, file: string, text: string): Entries => {
  let json: unknown
  try {
    // A leading byte order mark (an editor saving UTF-8 "with BOM") is no part of the JSON.
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch {
    throw invalidData(method, file, `not a key-value store: not valid JSON (${text.length} characters)`)
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw invalidData(
      method,
      file,
      `not a key-value store: expected a JSON object, found ${Array.isArray(json) ? "an array" : json === null ? "null" : typeof json}`
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
      throw invalidData(
        method,
        file,
        `not a key-value store: the value of a key is neither a string nor { "base64": <base64 text> }`
      )
    }
  }
  return entries
}

const serialize = (entries: Entries): string =>
  // `Object.fromEntries` defines own properties, so even a `__proto__` key is kept as data.
  `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`

const asString = (value: Stored): string => (typeof value === "string" ? value : value.base64)

const asBytes = (value: Stored): Uint8Array =>
  typeof value === "string"
    ? new TextEncoder().encode(value)
    : new Uint8Array(Buffer.from(value.base64, "base64"))

const toStored = (value: string | Uint8Array): Stored =>
  typeof value === "string" ? value : { base64: Buffer.from(value).toString("base64") }

// ---------------------------------------------------------------------------
// Trust, the lock file, and what dead writers leave
// ---------------------------------------------------------------------------

const posixPlatform = process.platform !== "win32"

/** Another user's, or a user's anywhere: only the owner of the process may own and write the store. */
const currentUid = (): number | undefined =>
  posixPlatform && typeof process.getuid === "function" ? process.getuid() : undefined

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
 * The longest store file read: V8's longest string (`buffer.constants.MAX_STRING_LENGTH`, about 512 MiB on 64-bit),
 * in bytes. A longer file is no store this library wrote, and could not be read as text anyway: it is refused
 * before it is read (whole, into memory, at every operation), not failed on after.
 */
const maxFileBytes = bufferConstants.MAX_STRING_LENGTH

/**
 * The file's bytes as text, or why they are no store's: UTF-8 (JSON's encoding), each bad byte refused, not made
 * U+FFFD (a client identifier Plex does not know, a token that is not the saved one, and the next change would
 * write them so, the bytes lost). Told by the text encoding back to the same bytes (a bad byte decodes to U+FFFD,
 * which encodes to three others), not by a fatal `TextDecoder`: Node built without ICU refuses that option.
 */
const decodeText = (bytes: Buffer): { readonly text: string } | { readonly invalid: string } => {
  const text = bytes.toString("utf8")
  return Buffer.from(text, "utf8").equals(bytes)
    ? { text }
    : { invalid: `not a key-value store: not UTF-8 text (${bytes.length} bytes)` }
}

/** A decoded text with the {@link versionOf} of the file it was read from. */
const versioned = (
  decoded: { readonly text: string } | { readonly invalid: string },
  stat: Parameters<typeof versionOf>[0]
): { readonly text: string; readonly version: string } | { readonly invalid: string } =>
  "text" in decoded ? { text: decoded.text, version: versionOf(stat) } : decoded

const tooLarge = (size: number) => ({
  invalid: `not a key-value store: ${size} bytes, more than a store can hold (${maxFileBytes})`
})

/**
 * What tells one writing of the store file from another: every change replaces it (a new file renamed over it), so
 * another writer's change between a change's read and its rename is seen in the file's inode, size or time of last
 * modification ({@link open}'s `write`). A `chmod` of the file (a reader's: {@link readTrusted}) changes none of them.
 */
const versionOf = (stat: { readonly ino: number; readonly size: number; readonly mtimeMs: number }): string =>
  `${stat.ino}:${stat.size}:${stat.mtimeMs}`

/**
 * Reads the store file without following a symbolic link (`O_NOFOLLOW`),
 * checking the opened file itself: a problem of trust comes back as a string,
 * a file that is no store's as `{ invalid }`, its text with the
 * {@link versionOf} of the file read. Opened without waiting
 * (`O_NONBLOCK`, no effect on a regular file): a named pipe in its place is
 * refused as not a regular file, where a plain open would wait for a writer
 * forever.
 */
const readTrusted = async (
  file: string
): Promise<{ readonly text: string; readonly version: string } | { readonly invalid: string } | string> => {
  if (!posixPlatform) {
    const stat = await fs.lstat(file)
    const problem = fileProblem(stat, undefined)
    if (problem !== undefined) return problem
    return stat.size > maxFileBytes
      ? tooLarge(stat.size)
      : versioned(decodeText(await fs.readFile(file)), stat)
  }
  let handle: fs.FileHandle
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK)
  } catch (error) {
    if (codeOf(error) === "ELOOP") return "the store file is a symbolic link"
    throw error
  }
  try {
    const stat = await handle.stat()
    const problem = fileProblem(stat, currentUid())
    if (problem !== undefined) return problem
    if (stat.size > maxFileBytes) return tooLarge(stat.size)
    // Readable by group or others (copied or restored without its mode, made by hand): the token in it is
    // made the owner's alone on the first read, not left so until a change rewrites the file. A file that
    // cannot be changed (a read-only mount) is still read.
    if ((stat.mode & 0o077) !== 0) await handle.chmod(stat.mode & 0o7700).catch(() => undefined)
    return versioned(decodeText(await handle.readFile()), stat)
  } finally {
    await handle.close().catch(() => undefined)
  }
}

/**
 * `fs.mkdir(directory, { recursive: true, mode })`, without its endless loop: where `mkdir` answers ENOENT although
 * the parent exists (under `/proc`), Node 20's and 22's recursive `mkdir` retries for ever at full CPU, deaf to
 * SIGTERM (`--config-dir /proc/x` hung the CLI). Here each missing parent is made once, from the top, and a second
 * ENOENT is the failure. The first directory made, or undefined when `directory` was one already (a file there
 * fails with EEXIST, as the recursive `mkdir` does).
 */
const makeDirectories = async (directory: string, mode: number): Promise<string | undefined> => {
  try {
    await fs.mkdir(directory, { mode })
    return directory
  } catch (error) {
    const code = (error as { readonly code?: unknown }).code
    if (code === "EEXIST") {
      if ((await fs.stat(directory)).isDirectory()) return undefined
      throw error
    }
    const parent = nodePath.dirname(directory)
    if (code !== "ENOENT" || parent === directory) throw error
    const first = await makeDirectories(parent, mode)
    try {
      await fs.mkdir(directory, { mode })
    } catch (again) {
      // Made meanwhile by another process: as the recursive mkdir, not a failure (and not made here).
      if (
        (again as { readonly code?: unknown }).code === "EEXIST" &&
        (await fs.stat(directory)).isDirectory()
      ) {
        return first
      }
      throw again
    }
    return first ?? directory
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

/**
 * A short, stable tag of this host: lock and temporary files name their writer's host and process. Read
 * at each change, never when the module loads nor kept: on Deno `os.hostname()` throws without
 * `--allow-sys`, which must fail that change (`PermissionDenied`, through the lock's {@link call}), not
 * the import of every entry point that bundles the store (a hash of a short name: microseconds).
 */
export const hostTag = (): string => createHash("sha256").update(os.hostname()).digest("hex").slice(0, 8)

/** A temporary file's name, naming this host and process so a dead writer's can be told and removed. */
const tempName = () => `.${fileName}.${hostTag()}.${process.pid}.${randomBytes(8).toString("hex")}.tmp`

/** `.store.json.<host>.<pid>.<random>.tmp`, or the older `.store.json.<random>.tmp`. */
const tempPattern = /^\.store\.json\.(?:([0-9a-f]{8})\.(\d+)\.)?[0-9a-f]{16}\.tmp$/

/** Whether a process of this host is alive (one of another user counts as alive). */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return codeOf(error) !== "ESRCH"
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
    if (host === undefined || (host === hostTag() && !isAlive(Number(pid)))) {
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
  /** `own`: the lock names this very process (its id, this host), yet this attempt was not its taker. */
  | { readonly _tag: "Held"; readonly holder: string; readonly own?: boolean }
  /** The lock file is not a regular file: refused, never waited on. */
  | { readonly _tag: "Untrusted"; readonly problem: string }

/** A lock file that is not a regular file (a named pipe, a device, a symbolic link): no writer made it. */
const lockProblem = "the store's lock file is not a regular file"

/**
 * The lock file's text, undefined when there is none, or {@link lockProblem}
 * as `{ problem }`. Opened as the store file is (`O_NOFOLLOW`, `O_NONBLOCK`):
 * a named pipe in its place is refused, where a plain read would wait for a
 * writer forever.
 */
const readLock = async (lockFile: string): Promise<string | undefined | { readonly problem: string }> => {
  try {
    if (!posixPlatform) {
      if (!(await fs.lstat(lockFile)).isFile()) return { problem: lockProblem }
      return await fs.readFile(lockFile, "utf8")
    }
    let handle: fs.FileHandle
    try {
      handle = await fs.open(lockFile, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK)
    } catch (error) {
      if (codeOf(error) === "ELOOP") return { problem: lockProblem }
      throw error
    }
    try {
      if (!(await handle.stat()).isFile()) return { problem: lockProblem }
      return await handle.readFile("utf8")
    } finally {
      await handle.close().catch(() => undefined)
    }
  } catch (error) {
    if (codeOf(error) === "ENOENT") return undefined
    throw error
  }
}

/**
 * Whether a hard link failed with `code` because the file system has none, where the lock file is created
 * exclusively instead: EPERM, ENOTSUP, ENOSYS, EXDEV, and EISDIR, Windows' answer on exFAT and FAT32 (a USB drive, an
 * SD card: libuv maps its ERROR_INVALID_FUNCTION so, nodejs/node#65817). No link(2) answers EISDIR otherwise (a
 * directory in the lock's place is EEXIST), and the exclusive creation refuses what is there anyway.
 */
const linkUnsupported = (code: unknown): boolean =>
  code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS" || code === "EXDEV" || code === "EISDIR"

/**
 * The nonces of the last {@link releasedNoncesLimit} locks this process released ({@link releaseLock}). A takeover
 * of a dead lock that raced a change moves the change's live lock aside and puts it back ({@link tryLock}), which may
 * be after the change's release stopped looking for it ({@link releaseRecheckMillis}): the lock then names this live
 * process, which holds it no longer. A change of this process that finds it takes it over, as a dead writer's, where
 * it waited for it, then failed `Busy` ("names this process"). Only this module made these nonces: a worker thread,
 * the same process id, has its own, and waits for the lock as another process's.
 */
const releasedNonces = new Set<string>()

/** How many nonces {@link releasedNonces} keeps. */
const releasedNoncesLimit = 16

/**
 * One try at the lock: the holder's record is written to a temporary file,
 * then hard-linked as the lock file, so the lock never exists half written
 * (where hard links are not supported, it is created exclusively instead, then
 * written: another process may read it empty meanwhile, and waits for it).
 * When the lock is held by a process of this host that is no longer alive,
 * it is moved aside and removed; if what was moved turns out to be a newer,
 * live lock (another process took over the dead one in between), it is put
 * back.
 */
const tryLock = async (directory: string, lockFile: string): Promise<LockAttempt> => {
  const nonce = randomBytes(16).toString("hex")
  const record = JSON.stringify({ pid: process.pid, host: hostTag(), nonce })
  const temp = nodePath.join(directory, tempName())
  await fs.writeFile(temp, record, { flag: "wx", mode: 0o600 })
  try {
    await fs.link(temp, lockFile)
    return { _tag: "Taken", nonce }
  } catch (error) {
    const code = codeOf(error)
    if (linkUnsupported(code)) {
      try {
        await fs.writeFile(lockFile, record, { flag: "wx", mode: 0o600 })
        return { _tag: "Taken", nonce }
      } catch (fallback) {
        if (codeOf(fallback) !== "EEXIST") throw fallback
      }
    } else if (code !== "EEXIST") {
      throw error
    }
  } finally {
    await fs.rm(temp, { force: true }).catch(() => undefined)
  }
  const text = await readLock(lockFile)
  if (text === undefined) return { _tag: "Free" }
  if (typeof text !== "string") return { _tag: "Untrusted", problem: text.problem }
  const holder = parseHolder(text)
  if (holder === undefined) return { _tag: "Held", holder: "an unknown writer" }
  // A lock this process released, put back later by a raced takeover (released): no one holds it.
  const released = holder.host === hostTag() && holder.pid === process.pid && releasedNonces.has(holder.nonce)
  if (!released && (holder.host !== hostTag() || isAlive(holder.pid))) {
    return holder.host !== hostTag()
      ? { _tag: "Held", holder: `process ${holder.pid} of another host` }
      : holder.pid === process.pid
        ? { _tag: "Held", holder: `process ${holder.pid}`, own: true }
        : { _tag: "Held", holder: `process ${holder.pid}` }
  }
  // A dead writer's lock: move it aside (one atomic step), then check what was moved.
  const moved = nodePath.join(directory, tempName())
  try {
    await fs.rename(lockFile, moved)
  } catch (error) {
    if (codeOf(error) === "ENOENT") return { _tag: "Free" }
    throw error
  }
  try {
    const movedText = await fs.readFile(moved, "utf8")
    const movedHolder = parseHolder(movedText)
    if (movedHolder?.nonce !== holder.nonce) {
      // Another process took over the dead lock in between: that lock is live, put it back. Where there are no hard
      // links: its record copied, created exclusively, as it was taken; a lock with no record yet (its taker created
      // it and is writing it, into the file moved aside) is that file, renamed back while the lock is free (a
      // copy would name no one, and no one would release it: every change after would wait, then fail Busy).
      // A put-back that fails (another process took the free lock meanwhile) is dropped here: the lock's holder
      // finds it is not its own before it writes, and makes its change again (lockLost); its release, finding it
      // gone, looks again a moment for it (lockState), in case it is put back after.
      await fs
        .link(moved, lockFile)
        .catch((error: unknown) =>
          !linkUnsupported(codeOf(error))
            ? undefined
            : movedHolder !== undefined
              ? fs.writeFile(lockFile, movedText, { flag: "wx", mode: 0o600 })
              : fs.lstat(lockFile).then(
                  () => undefined,
                  (absent: unknown) => (codeOf(absent) === "ENOENT" ? fs.rename(moved, lockFile) : undefined)
                )
        )
        .catch(() => undefined)
    }
  } finally {
    await fs.rm(moved, { force: true }).catch(() => undefined)
  }
  return { _tag: "Broken" }
}

/**
 * How long a change that finds no lock file (its release, or its look before it writes: {@link lockState}) looks
 * again for it, in pauses from 1 ms doubling (the last one cut to fit): a takeover of a dead lock that raced ours
 * moved it aside, found it live, and is putting it back ({@link tryLock}). Put back after the release, it would name
 * a live process that no longer holds it: the other processes would wait {@link lockWaitLimitMillis} for it, then
 * fail `Busy`. The takeover puts it back within one read of the file moved aside; a lock still gone after this is
 * taken as lost (before the write) or released (at the release). Put back later still (the takeover's process
 * paused), it is taken over by this process's next change ({@link releasedNonces}); until then, the other processes
 * wait for it.
 */
export const releaseRecheckMillis = 100

/**
 * Thrown (and caught by the change) when a change's lock is no longer its own as it is about to replace the file:
 * a takeover of a dead lock that raced it moved it aside, and could not put it back (another process took the lock
 * meanwhile), or has not put it back in {@link releaseRecheckMillis}; or when the file is no longer the one it read
 * ({@link versionOf}): put back after another process took the free lock, changed the file and released it. The
 * change is made again, under the lock taken anew, up to {@link lockLossLimit} times.
 */
const lockLost: unique symbol = Symbol("lockLost")

/** The {@link versionOf} of no store file at all. */
const absent = "absent"

/** How many times a change is made under a lock that is then lost ({@link lockLost}) before it fails `Busy`. */
const lockLossLimit = 3

/**
 * Whether the lock file holds this holder's record (`nonce`): "own", "other" (another's record, none, or a file that
 * is not a regular file), or "unreadable" (reading it failed: Windows may refuse it a moment while another program
 * has it open; `patient`: after it is tried again as {@link retrying} does, for the release). No lock file at all:
 * looked for again for up to {@link releaseRecheckMillis}, and "gone" if it is not back by then.
 */
const lockState = async (
  lockFile: string,
  nonce: string,
  sleep: (millis: number, signal: AbortSignal | undefined) => Promise<void>,
  patient = false
): Promise<"own" | "other" | "gone" | "unreadable"> => {
  let waited = 0
  let pause = 1
  for (;;) {
    const read = () => readLock(lockFile)
    const text = await (patient ? retrying(read, sleep) : read()).catch(() => null)
    if (typeof text === "string") return parseHolder(text)?.nonce === nonce ? "own" : "other"
    if (text === null) return "unreadable"
    if (text !== undefined) return "other"
    if (waited >= releaseRecheckMillis) return "gone"
    // Once the lock is taken the change runs to its end (Waiting.signal): a pause the binding's sleep cuts short is
    // waited out on a timer.
    await sleep(pause, undefined).catch(() => sleepWithTimer(pause, undefined))
    waited += pause
    pause = Math.min(pause * 2, releaseRecheckMillis - waited)
  }
}

/**
 * Removes the lock file if it is still this holder's ({@link lockState}: looked for again a moment if it is gone). A
 * reading or removal Windows refuses for a moment (another program has the file open, as it refuses the store's
 * rename: {@link renameRetryable}) is tried again for up to {@link renameRetryLimitMillis}: a lock left behind with
 * this process's id would hold every later change of this process (waiting for itself, then `Busy`), and every
 * other process's.
 */
const releaseLock = async (
  lockFile: string,
  nonce: string,
  sleep: (millis: number, signal: AbortSignal | undefined) => Promise<void>
): Promise<void> => {
  releasedNonces.add(nonce)
  if (releasedNonces.size > releasedNoncesLimit) releasedNonces.delete(releasedNonces.values().next().value!)
  if ((await lockState(lockFile, nonce, sleep, true)) === "own") {
    await retrying(() => fs.rm(lockFile, { force: true }), sleep).catch(() => undefined)
  }
}

// ---------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------

/** How a change waits for another writer's lock: the binding's clock, logger and interruption. */
export interface Waiting {
  /**
   * Waits `millis` (default `setTimeout`); rejects once `signal` aborts. The
   * Effect bindings sleep on their `Clock`, so `TestClock` drives the wait
   * (for the lock, and the pauses of a rename tried again: {@link renameRetryable}).
   */
  readonly sleep?: ((millis: number, signal: AbortSignal | undefined) => Promise<void>) | undefined
  /** Told once per change, when it starts waiting for the lock held by `holder`. */
  readonly onWait?: ((method: string, holder: string) => void) | undefined
  /**
   * Aborting it ends a wait for the lock (the change then rejects with the
   * signal's reason). Once the lock is taken, the change runs to its end:
   * the file is replaced whole or not at all, and the lock is released.
   */
  readonly signal?: AbortSignal | undefined
}

const sleepWithTimer = (millis: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort)
      resolve()
    }, millis)
    signal?.addEventListener("abort", onAbort, { once: true })
  })

/**
 * Whether a rename onto the store that failed with `code` may succeed when tried again in a moment: on Windows, a
 * file another program holds open without sharing its deletion (an antivirus or a search indexer scanning the new
 * file, a backup, an editor) refuses it with `EPERM`, `EACCES` or `EBUSY` for as long as it holds it, which is
 * usually milliseconds; graceful-fs retries these on win32 (npm's write-file-atomic writes through it). `EBUSY`
 * anywhere (a busy mount point on Linux is no store; the retry costs a second then). On POSIX, `EPERM` and `EACCES`
 * are the directory's permissions, which no retry changes: they fail at once.
 */
export const renameRetryable = (code: unknown, platform: NodeJS.Platform = process.platform): boolean =>
  code === "EBUSY" || (platform === "win32" && (code === "EPERM" || code === "EACCES"))

/**
 * How long the store's rename is retried ({@link renameRetryable}), in pauses from 10 ms doubling up to 100 ms: a
 * second, under the store's lock (other writers wait up to {@link lockWaitLimitMillis} for it). graceful-fs
 * retries up to 60 s; a store that waits that long looks hung, and the error then says what to do.
 */
export const renameRetryLimitMillis = 1_000

/**
 * `f` (the rename onto the store, the release's reading and removal of the lock), retried on {@link renameRetryable}
 * failures for up to {@link renameRetryLimitMillis}.
 */
const retrying = async <A>(
  f: () => Promise<A>,
  sleep: (millis: number, signal: AbortSignal | undefined) => Promise<void>
): Promise<A> => {
  let waited = 0
  let pause = 10
  for (;;) {
    try {
      return await f()
    } catch (error) {
      if (!renameRetryable(codeOf(error)) || waited >= renameRetryLimitMillis) throw error
      // Once the lock is taken the change runs to its end (Waiting.signal): a pause the binding's sleep cuts short
      // (it is interrupted) is waited out on a timer.
      await sleep(pause, undefined).catch(() => sleepWithTimer(pause, undefined))
      waited += pause
      pause = Math.min(pause * 2, 100)
    }
  }
}

/**
 * A store in `directory/store.json`. Every operation reads the file again
 * (another process may have changed it); every change is made under the
 * lock file. Nothing is created until the first change.
 */
export interface FileStore {
  readonly directory: string
  readonly file: string
  /** Every entry of the file (none when there is no file yet), checked and parsed. */
  readonly read: (method: string) => Promise<Entries>
  readonly get: (key: string) => Promise<string | undefined>
  readonly getBytes: (key: string) => Promise<Uint8Array | undefined>
  readonly has: (key: string) => Promise<boolean>
  readonly keys: () => Promise<ReadonlyArray<string>>
  readonly size: () => Promise<number>
  readonly set: (key: string, value: string | Uint8Array, waiting?: Waiting) => Promise<void>
  /**
   * Sets `key` to `value` and resolves to the text it replaced (undefined when there was none), in one change
   * under the lock: of two processes swapping the same key at once, each learns what it really replaced (the
   * other's value, or the one before both), never the same value twice.
   */
  readonly swap: (key: string, value: string, waiting?: Waiting) => Promise<string | undefined>
  readonly remove: (key: string, waiting?: Waiting) => Promise<void>
  readonly clear: (waiting?: Waiting) => Promise<void>
  /** Replaces the text of `key` with `f` of it; the new text, or undefined when there is no such key. */
  readonly modify: (
    key: string,
    f: (value: string) => string,
    waiting?: Waiting
  ) => Promise<string | undefined>
  /** As {@link modify}, on bytes. */
  readonly modifyBytes: (
    key: string,
    f: (value: Uint8Array) => Uint8Array,
    waiting?: Waiting
  ) => Promise<Uint8Array | undefined>
}

/**
 * The store in `directory` (made absolute). `isDefault`: the directory is
 * the library's own default one, made 0700 on the first change.
 */
export const open = (directory: string, options: { readonly isDefault?: boolean } = {}): FileStore => {
  const dir = nodePath.resolve(directory)
  const file = nodePath.join(dir, fileName)
  const lockFile = `${file}.lock`
  const isDefault = options.isDefault ?? false

  /** The file's entries, and its {@link versionOf} (`absent`: no file). */
  const readVersioned = async (
    method: string
  ): Promise<{ readonly entries: Entries; readonly version: string }> => {
    let result: Awaited<ReturnType<typeof readTrusted>>
    try {
      result = await call(method, "open", file, () => readTrusted(file))
    } catch (error) {
      if (error instanceof StoreError && error.reason === "NotFound")
        return { entries: new Map(), version: absent }
      throw error
    }
    if (typeof result === "string") throw untrusted(method, file, result)
    if ("invalid" in result) throw invalidData(method, file, result.invalid)
    return { entries: parse(method, file, result.text), version: result.version }
  }

  const read = async (method: string): Promise<Entries> => (await readVersioned(method)).entries

  const ensureDirectory = async (method: string): Promise<void> => {
    const created = await call(method, "mkdir", dir, () => makeDirectories(dir, 0o700))
    if (created !== undefined) {
      await call(method, "chmod", dir, () => fs.chmod(dir, 0o700))
      return
    }
    const problem = await call(method, "stat", dir, () => tightenDirectory(dir, isDefault))
    if (problem !== undefined) throw untrusted(method, dir, problem)
  }

  // Write a temporary file next to the store, flush it, and rename it over
  // the store: a reader sees the old file or the new one, never a part.
  const write = async (
    method: string,
    entries: Entries,
    waiting: Waiting,
    nonce: string,
    version: string
  ): Promise<void> => {
    const temp = nodePath.join(dir, tempName())
    try {
      const handle = await call(method, "open", temp, () => fs.open(temp, "wx", 0o600))
      try {
        // The mode given to open is narrowed by the umask; make it exactly 0600.
        await call(method, "chmod", temp, () => handle.chmod(0o600))
        await call(method, "write", temp, () => handle.writeFile(serialize(entries), "utf8"))
        await call(method, "fsync", temp, () => handle.sync())
      } finally {
        await handle.close().catch(() => undefined)
      }
      // The lock still this change's, else another writer may have read the file and be changing it: this change
      // is made again (update), not written over that one's. A lock it cannot read tells nothing: it writes. The
      // file still the one this change read, else another writer changed it meanwhile (its lock taken and released
      // while this change's was moved aside, then put back: tryLock): made again too. A file it cannot look at
      // tells nothing either. Left: a takeover moving the lock aside between these looks and the rename (no
      // compare-and-rename in Node), and the release's read then removal (releaseLock).
      const state = await lockState(lockFile, nonce, waiting.sleep ?? sleepWithTimer)
      if (state === "other" || state === "gone") throw lockLost
      const now = await fs
        .lstat(file)
        .then(versionOf, (error: unknown) => (codeOf(error) === "ENOENT" ? absent : version))
      if (now !== version) throw lockLost
      await call(method, "rename", file, () =>
        retrying(() => fs.rename(temp, file), waiting.sleep ?? sleepWithTimer)
      )
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined)
      throw error
    }
    // Make the rename itself durable where directories can be flushed (not on Windows).
    const handle = await fs.open(dir, "r").catch(() => undefined)
    await handle?.sync().catch(() => undefined)
    await handle?.close().catch(() => undefined)
  }

  /** Takes the lock file, waiting for a live holder (doubling pauses up to 50 ms); a dead one's is taken over. */
  const acquire = async (method: string, waiting: Waiting): Promise<string> => {
    const sleep = waiting.sleep ?? sleepWithTimer
    let waited = 0
    let pause = 1
    for (;;) {
      const attempt = await call(method, "link", lockFile, () => tryLock(dir, lockFile))
      if (attempt._tag === "Taken") return attempt.nonce
      if (attempt._tag === "Free" || attempt._tag === "Broken") continue
      if (attempt._tag === "Untrusted") throw untrusted(method, lockFile, attempt.problem)
      if (waited >= lockWaitLimitMillis) {
        throw new StoreError({
          reason: "Busy",
          method,
          path: lockFile,
          description: attempt.own
            ? // Its id is this process's: a process before it with the same id left it (one killed while it changed
              // the store, then a restarted container's process 1, or an id used again after a reboot), or a change
              // of this process is stuck. "Another program ... if none is running" would send the user after a
              // process that is this one.
              `the store's lock names this process (id ${process.pid}) and was not released for ${lockWaitLimitMillis / 1000}s: a process with the same id before it (killed while it changed the store) left it; unless a change of this process is stuck, delete ${lockFile}`
            : `another program (${attempt.holder}) has held the store's lock for ${lockWaitLimitMillis / 1000}s; if none is running, delete ${lockFile}`
        })
      }
      if (waited === 0) waiting.onWait?.(method, attempt.holder)
      await sleep(pause, waiting.signal)
      waited += pause
      pause = Math.min(pause * 2, 50)
    }
  }

  /**
   * Under the lock file: removes what dead writers left, reads the file
   * again, applies `f` and writes the result when `f` changed something.
   */
  const update = async <A>(
    method: string,
    needed: (entries: Entries) => boolean,
    unchanged: A,
    f: (entries: Map<string, Stored>) => readonly [result: A, changed: boolean],
    waiting: Waiting = {}
  ): Promise<A> => {
    // A change with nothing to change (removing an absent key) takes no lock and creates nothing.
    if (!needed(await read(method))) return unchanged
    await ensureDirectory(method)
    for (let attempt = 1; ; attempt++) {
      const nonce = await acquire(method, waiting)
      try {
        await removeLeftovers(dir)
        const { entries: current, version } = await readVersioned(method)
        const entries = new Map(current)
        const [result, changed] = f(entries)
        if (changed) await write(method, entries, waiting, nonce, version)
        return result
      } catch (error) {
        if (error !== lockLost) throw error
        if (attempt >= lockLossLimit) {
          throw new StoreError({
            reason: "Busy",
            method,
            path: lockFile,
            description: `the store's lock was taken from this change ${lockLossLimit} times before it could write (a takeover of a dead writer's lock raced it, or a program that takes no lock changed the file meanwhile); nothing was written, try again`
          })
        }
      } finally {
        await releaseLock(lockFile, nonce, waiting.sleep ?? sleepWithTimer)
      }
    }
  }

  const modifyWith =
    <V>(method: string, decode: (value: Stored) => V, encode: (value: V) => Stored) =>
    (key: string, f: (value: V) => V, waiting?: Waiting): Promise<V | undefined> =>
      update<V | undefined>(
        method,
        (entries) => entries.has(key),
        undefined,
        (entries) => {
          const current = entries.get(key)
          if (current === undefined) return [undefined, false]
          const next = f(decode(current))
          entries.set(key, encode(next))
          return [next, true]
        },
        waiting
      )

  const lookup = async <V>(method: string, key: string, decode: (value: Stored) => V) => {
    const value = (await read(method)).get(key)
    return value === undefined ? undefined : decode(value)
  }

  return {
    directory: dir,
    file,
    read,
    get: (key) => lookup("get", key, asString),
    getBytes: (key) => lookup("getUint8Array", key, asBytes),
    has: async (key) => (await read("has")).has(key),
    keys: async () => Array.from((await read("keys")).keys()),
    size: async () => (await read("size")).size,
    set: (key, value, waiting) =>
      update(
        "set",
        () => true,
        undefined,
        (entries) => {
          entries.set(key, toStored(value))
          return [undefined, true]
        },
        waiting
      ),
    swap: (key, value, waiting) =>
      update<string | undefined>(
        "set",
        () => true,
        undefined,
        (entries) => {
          const previous = entries.get(key)
          entries.set(key, value)
          return [previous === undefined ? undefined : asString(previous), true]
        },
        waiting
      ),
    remove: (key, waiting) =>
      update(
        "remove",
        (entries) => entries.has(key),
        undefined,
        (entries) => [undefined, entries.delete(key)],
        waiting
      ),
    clear: (waiting) =>
      update(
        "clear",
        (entries) => entries.size > 0,
        undefined,
        (entries) => {
          const changed = entries.size > 0
          entries.clear()
          return [undefined, changed]
        },
        waiting
      ),
    modify: modifyWith("modify", asString, (value: string): Stored => value),
    modifyBytes: modifyWith("modifyUint8Array", asBytes, toStored)
  }
}

/**
 * One reading of the store (its entries, from {@link FileStore.read}), for a program that reads several keys when
 * it starts and would otherwise read the file for each (a CLI command: the client identifier, the saved token, a
 * fake's seed). Each key's first read is answered from it ({@link FirstReads.take}); a key read again, or being
 * changed ({@link FirstReads.forget}), is not: the file is read again then, as another process may have changed it
 * since.
 */
export interface FirstReads {
  /** The reading's text of `key` (`value` undefined: no such key) the first time it is asked for; else undefined. */
  readonly take: (key: string) => { readonly value: string | undefined } | undefined
  /** The reading's text of `key`, or undefined: what the program itself reads of it at its start, taking nothing. */
  readonly peek: (key: string) => string | undefined
  /** `key` (every key, when undefined) no longer answered from the reading. */
  readonly forget: (key?: string) => void
}

/** {@link FirstReads} of `entries`. */
export const firstReads = (entries: Entries): FirstReads => {
  const taken = new Set<string>()
  let all = false
  return {
    take: (key) => {
      if (all || taken.has(key)) return undefined
      taken.add(key)
      const stored = entries.get(key)
      return { value: stored === undefined ? undefined : asString(stored) }
    },
    peek: (key) => {
      const stored = entries.get(key)
      return stored === undefined ? undefined : asString(stored)
    },
    forget: (key) => {
      if (key === undefined) all = true
      else taken.add(key)
    }
  }
}
