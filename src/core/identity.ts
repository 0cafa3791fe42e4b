/**
 * Who the client is, as Plex reads it: the `X-Plex-*` identity header names,
 * the values a runtime tells of itself, and the header record built from
 * plain values. No Effect in it: both editions' `ClientIdentity` build on it.
 *
 * @internal
 */
import { headerProblem, opened } from "./validate.js"

/**
 * The identity fields. Only `clientIdentifier` and `product` are required.
 *
 *  */
export interface ClientIdentityInput {
  /** `X-Plex-Client-Identifier`: stable per installation (generate once, keep it). */
  readonly clientIdentifier: string
  /** `X-Plex-Product`: the name of your application. */
  readonly product: string
  /** `X-Plex-Version`: your application's version. */
  readonly version?: string | undefined
  /** `X-Plex-Platform`, e.g. `Node.js`, `Chrome`. */
  readonly platform?: string | undefined
  /** `X-Plex-Platform-Version`. */
  readonly platformVersion?: string | undefined
  /** `X-Plex-Device`, a relatively friendly name for the device type. */
  readonly device?: string | undefined
  /** `X-Plex-Device-Name`, the name shown in the user's device list. */
  readonly deviceName?: string | undefined
  /** `X-Plex-Model`. */
  readonly model?: string | undefined
  /** `X-Plex-Device-Vendor`. */
  readonly deviceVendor?: string | undefined
  /** `X-Plex-Provides`, e.g. `controller`. */
  readonly provides?: string | undefined
  /** `X-Plex-Language`, e.g. `en`. */
  readonly language?: string | undefined
  /** `X-Plex-Marketplace`. */
  readonly marketplace?: string | undefined
  /** `X-Plex-Features`, e.g. `external-media` (python-plexapi and @ctrl/plex send that); not sent unless set. */
  readonly features?: string | undefined
  /** `X-Plex-Sync-Version`, e.g. `2` (python-plexapi and @ctrl/plex send that); not sent unless set. */
  readonly syncVersion?: string | undefined
  /**
   * Fill the fields left unset from the runtime (see {@link runtimeDefaults}):
   * platform, platform version, device, device name, model, provides and
   * version. Default true; `false` sends only what is given.
   */
  readonly runtimeDefaults?: boolean | undefined
}

export type HeaderField = Exclude<keyof ClientIdentityInput, "runtimeDefaults">

/**
 * The environment variables each edition's `ClientIdentity.config` reads, by field: a malformed value read by
 * `ClientIdentity.layerConfig()` is reported under its variable (`invalid PLEX_DEVICE_NAME: ...`), as Effect's
 * `ConfigError` names a missing one.
 */
export const variables: Readonly<Partial<Record<HeaderField, string>>> = {
  clientIdentifier: "PLEX_CLIENT_IDENTIFIER",
  product: "PLEX_PRODUCT",
  version: "PLEX_VERSION",
  platform: "PLEX_PLATFORM",
  platformVersion: "PLEX_PLATFORM_VERSION",
  device: "PLEX_DEVICE",
  deviceName: "PLEX_DEVICE_NAME"
}

/**
 * The `KeyValueStore` key under which `ClientIdentity.layerPersisted` keeps the client identifier by default (each
 * edition's `ClientIdentity.defaultStoreKey`): the same in both editions, so that a store written by one is read by the
 * other and the device stays one device.
 */
export const identifierStoreKey = "effect-plex-auth/client-identifier"

/** The identity fields, in the order their headers are sent. */
export const headerFields: ReadonlyArray<HeaderField> = [
  "clientIdentifier",
  "product",
  "version",
  "platform",
  "platformVersion",
  "device",
  "deviceName",
  "model",
  "deviceVendor",
  "provides",
  "language",
  "marketplace",
  "features",
  "syncVersion"
]

/**
 * A field's header: `X-Plex-` and the field's words (`deviceName` is `X-Plex-Device-Name`, `clientIdentifier`
 * `X-Plex-Client-Identifier`): made, not listed, as every operation's bundle carries it.
 */
export const headerName = (field: HeaderField): string =>
  `X-Plex-${field[0]!.toUpperCase()}${field.slice(1).replace(/[A-Z]/g, "-$&")}`

// Header values travel as bytes; Plex reads them as UTF-8. `fetch` accepts
// only byte strings, so text is sent as its UTF-8 bytes (ASCII text is its own).
// A value is checked first: at most `limits.header` characters, 3 bytes each, arguments enough.
export const utf8HeaderValue = (value: string): string =>
  String.fromCharCode(...new TextEncoder().encode(value))

/**
 * The version of effect-plex-auth, sent as `X-Plex-Version` when the
 * identity names none (python-plexapi and @ctrl/plex send their own version
 * there too).
 */
export const libraryVersion = "0.1.0"

/**
 * The identity fields a runtime can tell about itself, all optional.
 */
export interface RuntimeDefaults {
  readonly platform?: string | undefined
  readonly platformVersion?: string | undefined
  readonly device?: string | undefined
  readonly deviceName?: string | undefined
  readonly model?: string | undefined
  readonly provides: string
  readonly version: string
}

/** What {@link runtimeDefaults} reads from `globalThis`; any of it may be missing or of another shape. */
interface RuntimeLike {
  readonly Deno?: {
    readonly version?: { readonly deno?: unknown }
    readonly build?: { readonly os?: unknown }
    readonly osRelease?: () => unknown
    readonly hostname?: () => unknown
  }
  readonly Bun?: { readonly version?: unknown }
  readonly process?: {
    readonly versions?: { readonly node?: unknown }
    readonly platform?: unknown
    readonly env?: { readonly HOSTNAME?: unknown; readonly COMPUTERNAME?: unknown }
    readonly getBuiltinModule?: (id: string) => {
      readonly release?: () => unknown
      readonly hostname?: () => unknown
    }
  }
  readonly navigator?: { readonly userAgent?: unknown }
}

/** A non-empty string from `read`, or undefined when it gives anything else or throws (say, for lack of permission). */
const attempt = (read: () => unknown): string | undefined => {
  // `opened` gives a value that is no string when `read` throws: the try it has, not one more.
  const value = opened(read)
  return (typeof value === "string" && value.trim()) || undefined
}

// The OS names python-plexapi (`platform.uname()[0]`) and @ctrl/plex (`os.type()`) send as X-Plex-Platform.
const osNames: Readonly<Record<string, string>> = {
  linux: "Linux",
  darwin: "Darwin",
  win32: "Windows",
  windows: "Windows"
}

// In a user agent string, the first that matches wins (Edge and Opera also say Chrome, Chrome also says Safari).
const browsers: ReadonlyArray<readonly [string, RegExp]> = [
  ["Edge", /Edg\w*\/([\d.]+)/],
  ["Opera", /OPR\/([\d.]+)/],
  ["Firefox", /Firefox\/([\d.]+)/],
  ["Chrome", /Chrom\w*\/([\d.]+)/],
  ["Safari", /Version\/([\d.]+)/]
]
const systems: ReadonlyArray<readonly [string, RegExp]> = [
  ["iOS", /iPhone|iPad|iPod/],
  ["Android", /Android/],
  ["Windows", /Windows/],
  ["macOS", /Mac/],
  ["Chrome OS", /CrOS/],
  ["Linux", /Linux/]
]

/**
 * What the runtime tells of itself, read from `globalThis` (`process`,
 * `Bun`, `Deno`, `navigator`) without importing any Node module, so it is
 * safe in a browser bundle. Pass another object to see what it would say
 * elsewhere.
 *
 * On Node, Bun and Deno it follows python-plexapi (`plexapi/config.py`) and
 * @ctrl/plex (`src/config.ts`): `platform` and `device` the OS name
 * (`Linux`, `Darwin`, `Windows`), `platformVersion` the OS release and
 * `deviceName` the host name — read through `process.getBuiltinModule("os")`
 * (Node 20.16+, Bun) or `Deno.osRelease()` / `Deno.hostname()` where the
 * runtime offers them, else the `HOSTNAME` / `COMPUTERNAME` variables — and
 * `model` the runtime and its version (`Node.js 20.11.1`). In a browser it
 * follows Plex Web: `platform` the browser, `platformVersion` its version,
 * `device` the OS, `deviceName` the browser. Everywhere `provides` is
 * `controller` (both references) and `version` {@link libraryVersion}.
 * Anything the runtime does not tell is left out.
 */
export const runtimeDefaults = (runtime: unknown = globalThis): RuntimeDefaults => {
  const base = { provides: "controller", version: libraryVersion }
  const { Bun, Deno, navigator, process } = (runtime ?? {}) as RuntimeLike
  const bun = attempt(() => Bun?.version)
  const node = attempt(() => process?.versions?.node)
  if (Deno !== undefined || bun || node) {
    // Node 20.16+ and Bun hand out their os module without an import: nothing for a bundler to follow.
    const os = () => process?.getBuiltinModule?.("os")
    const raw = attempt(() => (Deno === undefined ? process?.platform : Deno.build?.os))
    const platform = raw && (osNames[raw] ?? raw)
    return {
      ...base,
      platform,
      platformVersion: attempt(() => (Deno === undefined ? os()?.release?.() : Deno.osRelease?.())),
      device: platform,
      deviceName:
        attempt(() => (Deno === undefined ? os()?.hostname?.() : Deno.hostname?.())) ??
        attempt(() => process?.env?.HOSTNAME) ??
        attempt(() => process?.env?.COMPUTERNAME),
      model:
        Deno !== undefined
          ? `Deno ${attempt(() => Deno.version?.deno) ?? ""}`.trim()
          : bun
            ? `Bun ${bun}`
            : `Node.js ${node}`
    }
  }
  const ua = attempt(() => navigator?.userAgent)
  if (!ua) return base
  const browser = browsers.find(([, pattern]) => pattern.test(ua))
  const platform = browser?.[0]
  return {
    ...base,
    platform,
    platformVersion: browser?.[1].exec(ua)?.[1],
    device: systems.find(([, pattern]) => pattern.test(ua))?.[0],
    deviceName: platform
  }
}

/** An identity checked and turned into its headers, or the field at fault and why. */
export type Built =
  | {
      readonly _tag: "Built"
      readonly fields: Partial<Record<HeaderField, string>> & {
        readonly clientIdentifier: string
        readonly product: string
      }
      readonly headers: Readonly<Record<string, string>>
    }
  | { readonly _tag: "Invalid"; readonly field: string; readonly problem: string }

/**
 * Checks an identity and builds its headers: `clientIdentifier` and
 * `product` must be non-empty, and no value may contain control characters
 * (see `headerProblem`). Spaces around a value are dropped, as HTTP drops them. Fields left unset are filled from `defaults` (the
 * runtime's, see {@link runtimeDefaults}) unless `runtimeDefaults` is
 * `false`; a field that is set always wins, and a default that could not be
 * a header is left out.
 */
export const buildIdentity = (
  input: ClientIdentityInput,
  defaults: () => RuntimeDefaults = runtimeDefaults
): Built => {
  // From untyped JavaScript, `"false"` would read as true and send the host name the caller meant to keep back.
  // (Inline, as the sign-in checks `rememberMe`: every operation's bundle carries this.)
  if (input.runtimeDefaults !== undefined && typeof input.runtimeDefaults !== "boolean") {
    return { _tag: "Invalid", field: "runtimeDefaults", problem: "must be a boolean" }
  }
  const out: Partial<Record<HeaderField, string>> = {}
  const headers: Record<string, string> = {}
  const fallback: Partial<Record<HeaderField, string>> =
    input.runtimeDefaults === false ? {} : (defaults() as Partial<Record<HeaderField, string>>)
  for (const key of headerFields) {
    const given = input[key]
    const defaulted = given === undefined ? fallback[key] : undefined
    const value = defaulted ?? given
    if (value === undefined && key !== "clientIdentifier" && key !== "product") continue
    const problem = headerProblem(value)
    if (problem) {
      // A value the runtime offered that could not be a header is left out, never an error.
      if (defaulted !== undefined) continue
      return { _tag: "Invalid", field: key, problem }
    }
    // HTTP drops the spaces around a header value (RFC 9110, section 5.5; fetch's `Headers` strip them), so
    // plex.tv reads the value without them: the identity keeps it so too, and the app.plex.tv link and
    // the device JWT name the client plex.tv saw. (`trim`, the shortest, also drops other Unicode spaces
    // around it; the header is built from the trimmed value, so all of them still agree.)
    const checked = (value as string).trim()
    out[key] = checked
    headers[headerName(key)] = utf8HeaderValue(checked)
  }
  // `clientIdentifier` and `product` were checked above: a missing or empty one is Invalid.
  return { _tag: "Built", fields: out as Extract<Built, { _tag: "Built" }>["fields"], headers }
}

/**
 * A header name (RFC 9110's token), a line feed, and a value as `ClientIdentity.make` makes one: not empty, bytes
 * (code points up to U+00FF: {@link buildIdentity} encodes text as UTF-8), no control character but tab.
 */
const sendable = /^[\w!#$%&'*+.^`|~-]+\n[\t -~\x80-\xff]+$/

/**
 * The `ClientIdentity` service's header that cannot be sent, as the `InvalidInput` field naming it (never its
 * value: `ClientIdentity x-plex-device-name`), or undefined; `headers` as the platform's `Headers` hold them (names
 * in lower case). {@link buildIdentity}'s headers pass; a service built
 * by hand (`Context.make`, `Layer.succeed`) may not: without this check a line break or text not encoded as bytes
 * reached `fetch`, whose `TypeError` read as a `NetworkError` (which a retry policy repeats), and missing identity
 * headers reached plex.tv (400). Every operation's bundle carries it: small on purpose.
 */
export const unsendableHeader = (headers: unknown): string | undefined => {
  // Over the two identity headers, as missing: headers that are no object (untyped JavaScript) leave them so. Named
  // in lower case, as the platform's `Headers` hold names (`Headers.fromInput`), which is what each caller passes:
  // header names are case-insensitive, and a service of one's own making may name them in any case.
  const entries: Readonly<Record<string, unknown>> = {
    "x-plex-client-identifier": 0,
    "x-plex-product": 0,
    ...(headers as object)
  }
  for (const name in entries) {
    // A value that is not a string is checked as empty, which the pattern refuses.
    if (!sendable.test(`${name}\n${typeof entries[name] === "string" ? entries[name] : ""}`)) {
      return `ClientIdentity ${name}`
    }
  }
  return undefined
}

/** Why {@link unsendableHeader}'s header is refused (the reason of the `InvalidInput` naming it). */
export const unsendableProblem = "cannot be sent"
