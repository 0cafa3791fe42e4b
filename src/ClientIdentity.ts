/**
 * Who the client is: the `X-Plex-*` identity headers sent with every request.
 *
 * Plex registers a device per `X-Plex-Client-Identifier`. The identifier must
 * be generated once per installation and kept; this module never invents one
 * behind your back. Use {@link generateIdentifier} once and store the result.
 *
 * @since 0.1.0
 */
import type { PlatformError } from "@effect/platform/Error"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { InvalidInput } from "./PlexError.js"
import * as V from "./internal/validate.js"

/**
 * The identity fields. Only `clientIdentifier` and `product` are required.
 *
 * @since 0.1.0
 * @category models
 */
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
  /** `X-Plex-Features`, e.g. `external-media` (python-plexapi sends that); not sent unless set. */
  readonly features?: string | undefined
  /**
   * Fill the fields left unset from the runtime (see {@link runtimeDefaults}):
   * platform, platform version, device, device name, model, provides and
   * version. Default true; `false` sends only what is given.
   */
  readonly runtimeDefaults?: boolean | undefined
}

type HeaderField = Exclude<keyof ClientIdentityInput, "runtimeDefaults">

const headerNames = {
  clientIdentifier: "X-Plex-Client-Identifier",
  product: "X-Plex-Product",
  version: "X-Plex-Version",
  platform: "X-Plex-Platform",
  platformVersion: "X-Plex-Platform-Version",
  device: "X-Plex-Device",
  deviceName: "X-Plex-Device-Name",
  model: "X-Plex-Model",
  deviceVendor: "X-Plex-Device-Vendor",
  provides: "X-Plex-Provides",
  language: "X-Plex-Language",
  marketplace: "X-Plex-Marketplace",
  features: "X-Plex-Features"
} as const satisfies Record<HeaderField, string>

/**
 * A validated identity and the headers it sends.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientIdentityService extends ClientIdentityInput {
  /** The `X-Plex-*` headers, values UTF-8 encoded as HTTP header bytes. */
  readonly headers: Readonly<Record<string, string>>
}

/**
 * The identity service, required by every operation.
 *
 * @since 0.1.0
 * @category tags
 */
export class ClientIdentity extends Context.Tag("effect-plex-auth/ClientIdentity")<
  ClientIdentity,
  ClientIdentityService
>() {}

// Header values travel as bytes; Plex reads them as UTF-8. `fetch` accepts
// only byte strings, so non-ASCII text is sent as its UTF-8 bytes.
const utf8HeaderValue = (value: string): string => {
  if (/^[\u0000-\u007f]*$/.test(value)) return value
  return Array.from(new TextEncoder().encode(value), (byte) => String.fromCharCode(byte)).join("")
}

/**
 * The version of effect-plex-auth, sent as `X-Plex-Version` when the
 * identity names none (python-plexapi and @ctrl/plex send their own version
 * there too).
 *
 * @since 0.1.0
 * @category constants
 */
export const libraryVersion = "0.1.0"

/**
 * The identity fields a runtime can tell about itself, all optional.
 *
 * @since 0.1.0
 * @category models
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
  try {
    const value = read()
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined
  } catch {
    return undefined
  }
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
 *
 * @example
 * ```ts
 * import { ClientIdentity } from "effect-plex-auth"
 *
 * const here = ClientIdentity.runtimeDefaults()
 * console.log(here.platform, here.deviceName)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const runtimeDefaults = (runtime: unknown = globalThis): RuntimeDefaults => {
  const base = { provides: "controller", version: libraryVersion }
  const { Bun, Deno, navigator, process } = (runtime ?? {}) as RuntimeLike
  const bun = attempt(() => Bun?.version)
  const node = attempt(() => process?.versions?.node)
  if (Deno !== undefined || bun !== undefined || node !== undefined) {
    // Node 20.16+ and Bun hand out their os module without an import: nothing for a bundler to follow.
    const os = () => process?.getBuiltinModule?.("os")
    const raw = attempt(() => (Deno === undefined ? process?.platform : Deno.build?.os))
    const platform = raw === undefined ? raw : (osNames[raw] ?? raw)
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
          : bun !== undefined
            ? `Bun ${bun}`
            : `Node.js ${node}`
    }
  }
  const ua = attempt(() => navigator?.userAgent)
  if (ua === undefined) return base
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

/**
 * Validates an identity: `clientIdentifier` and `product` must be non-empty,
 * and no value may contain control characters. Fields left unset are filled
 * from the runtime ({@link runtimeDefaults}) unless `runtimeDefaults` is
 * `false`; a field that is set always wins.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: ClientIdentityInput): Effect.Effect<ClientIdentityService, InvalidInput> =>
  Effect.gen(function* () {
    // Untyped JavaScript may pass anything: fail with InvalidInput, never a TypeError.
    yield* V.object("ClientIdentity", "input", input)
    const out: Partial<Record<HeaderField, string>> = {}
    const headers: Record<string, string> = {}
    const fallback: Partial<Record<HeaderField, string>> =
      input.runtimeDefaults === false ? {} : (runtimeDefaults() as Partial<Record<HeaderField, string>>)
    for (const key of Object.keys(headerNames) as Array<HeaderField>) {
      const given = input[key]
      const defaulted = given === undefined ? fallback[key] : undefined
      if (given === undefined && defaulted === undefined && key !== "clientIdentifier" && key !== "product") {
        continue
      }
      // A value the runtime offered that could not be a header is left out, never an error.
      if (defaulted !== undefined && V.headerProblem(defaulted) !== undefined) continue
      const checked = defaulted ?? (yield* V.headerValue("ClientIdentity", key, given))
      out[key] = checked
      headers[headerNames[key]] = utf8HeaderValue(checked)
    }
    // Both were checked above: headerValue fails for a missing or empty one.
    return { ...out, clientIdentifier: out.clientIdentifier!, product: out.product!, headers }
  })

/**
 * A layer from values.
 *
 * @example
 * ```ts
 * import { ClientIdentity } from "effect-plex-auth"
 *
 * const IdentityLive = ClientIdentity.layer({
 *   clientIdentifier: "3381b62b-9ab7-4e37-827b-203e9809eb58",
 *   product: "My Plex Tool",
 *   version: "1.0.0"
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (input: ClientIdentityInput): Layer.Layer<ClientIdentity, InvalidInput> =>
  Layer.effect(ClientIdentity, make(input))

/**
 * The environment variables {@link layerConfig} reads by default:
 * `PLEX_CLIENT_IDENTIFIER` (required), `PLEX_PRODUCT` (default
 * `effect-plex-auth`), `PLEX_VERSION`, `PLEX_PLATFORM`,
 * `PLEX_PLATFORM_VERSION`, `PLEX_DEVICE`, `PLEX_DEVICE_NAME`.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<ClientIdentityInput> = /*#__PURE__*/ Config.suspend(() =>
  Config.all({
    clientIdentifier: Config.string("PLEX_CLIENT_IDENTIFIER"),
    product: Config.string("PLEX_PRODUCT").pipe(Config.withDefault("effect-plex-auth")),
    version: Config.option(Config.string("PLEX_VERSION")).pipe(Config.map(Option.getOrUndefined)),
    platform: Config.option(Config.string("PLEX_PLATFORM")).pipe(Config.map(Option.getOrUndefined)),
    platformVersion: Config.option(Config.string("PLEX_PLATFORM_VERSION")).pipe(
      Config.map(Option.getOrUndefined)
    ),
    device: Config.option(Config.string("PLEX_DEVICE")).pipe(Config.map(Option.getOrUndefined)),
    deviceName: Config.option(Config.string("PLEX_DEVICE_NAME")).pipe(Config.map(Option.getOrUndefined))
  })
)

/**
 * A layer from `Config` (by default the environment variables of
 * {@link config}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  identity: Config.Config<ClientIdentityInput> = config
): Layer.Layer<ClientIdentity, InvalidInput | ConfigError.ConfigError> =>
  Layer.effect(ClientIdentity, Effect.flatMap(identity, make))

/**
 * A fresh random client identifier (a UUID). Call it once per installation
 * and keep the result: a new identifier makes Plex register a new device.
 *
 * @since 0.1.0
 * @category constructors
 */
export const generateIdentifier: Effect.Effect<string> = /*#__PURE__*/ Effect.sync(() =>
  globalThis.crypto.randomUUID()
)

/**
 * The `KeyValueStore` key under which {@link layerPersisted} keeps the
 * client identifier.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultStoreKey = "effect-plex-auth/client-identifier"

/**
 * An identity whose client identifier is generated on first use and kept in
 * a `KeyValueStore` (a file on Node, `localStorage` in a browser, memory in
 * tests), so every run of the app is the same device to Plex. If the
 * identifier cannot be stored, this fails rather than use a throwaway one.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePersisted = (
  input: Omit<ClientIdentityInput, "clientIdentifier">,
  options: { readonly key?: string | undefined } = {}
): Effect.Effect<ClientIdentityService, InvalidInput | PlatformError, KeyValueStore.KeyValueStore> =>
  Effect.gen(function* () {
    const store = yield* KeyValueStore.KeyValueStore
    const key = options.key ?? defaultStoreKey
    const stored = Option.filter(yield* store.get(key), (id) => id.trim().length > 0)
    const clientIdentifier = Option.isSome(stored)
      ? stored.value
      : yield* Effect.tap(generateIdentifier, (id) => store.set(key, id))
    return yield* make({ ...input, clientIdentifier })
  })

/**
 * A layer from {@link makePersisted}.
 *
 * @example
 * ```ts
 * import { KeyValueStore } from "@effect/platform"
 * import { Layer } from "effect"
 * import { ClientIdentity } from "effect-plex-auth"
 *
 * // In a browser; on Node use the file store of effect-plex-auth/node.
 * const IdentityLive = ClientIdentity.layerPersisted({ product: "My Plex Tool", version: "1.0.0" }).pipe(
 *   Layer.provide(KeyValueStore.layerStorage(() => localStorage))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerPersisted = (
  input: Omit<ClientIdentityInput, "clientIdentifier">,
  options: { readonly key?: string | undefined } = {}
): Layer.Layer<ClientIdentity, InvalidInput | PlatformError, KeyValueStore.KeyValueStore> =>
  Layer.effect(ClientIdentity, makePersisted(input, options))
