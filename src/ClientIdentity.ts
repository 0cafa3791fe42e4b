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
import * as Env from "./internal/variables.js"
import * as Identity from "./core/identity.js"
import * as Configured from "./core/configured.js"
import { newIdentifier } from "./core/identifier.js"

/**
 * The identity fields. Only `clientIdentifier` and `product` are required.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientIdentityInput extends Identity.ClientIdentityInput {}

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
export class ClientIdentity
  extends /*#__PURE__*/ Context.Tag("effect-plex-auth/ClientIdentity")<
    ClientIdentity,
    ClientIdentityService
  >() {}

/**
 * The version of effect-plex-auth, sent as `X-Plex-Version` when the
 * identity names none (python-plexapi and @ctrl/plex send their own version
 * there too).
 *
 * @since 0.1.0
 * @category constants
 */
export const libraryVersion: typeof Identity.libraryVersion = Identity.libraryVersion

/**
 * The identity fields a runtime can tell about itself, all optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface RuntimeDefaults extends Identity.RuntimeDefaults {}

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
export const runtimeDefaults: (runtime?: unknown) => RuntimeDefaults = Identity.runtimeDefaults

/**
 * Validates an identity: `clientIdentifier` and `product` must be non-empty,
 * and no value may contain control characters. Spaces around a value are
 * dropped, as HTTP drops them from a header: the identity holds what plex.tv
 * receives, so the app.plex.tv link and device JWTs name the same client.
 * Fields left unset are filled from the runtime ({@link runtimeDefaults})
 * unless `runtimeDefaults` is `false` (a value that is not a boolean, such
 * as `"false"`, is `InvalidInput`); a field that is set always wins.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: ClientIdentityInput): Effect.Effect<ClientIdentityService, InvalidInput> =>
  Effect.suspend(() => {
    // Untyped JavaScript may pass anything: fail with InvalidInput, never a TypeError.
    const notObject = V.objectProblem(input, false)
    if (notObject) return Effect.fail(V.invalid("ClientIdentity", "input", notObject))
    const built = Identity.buildIdentity(input)
    return built._tag === "Invalid"
      ? Effect.fail(V.invalid("ClientIdentity", built.field, built.problem))
      : Effect.succeed({ ...built.fields, headers: built.headers })
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
 * `PLEX_PLATFORM_VERSION`, `PLEX_DEVICE`, `PLEX_DEVICE_NAME`. An optional
 * variable set empty (`PLEX_VERSION=` in a `.env` file) or blank (spaces
 * or tabs alone) counts as unset, taking its default; an empty
 * `PLEX_CLIENT_IDENTIFIER` is a missing one. The values are checked as {@link layerConfig}
 * checks them, and are the ones it uses (spaces around a value dropped): a
 * malformed one (a blank `PLEX_CLIENT_IDENTIFIER`, a control character) fails
 * with a `ConfigError` at its variable, whose message is the layer's
 * `InvalidInput` reason, never the value.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<ClientIdentityInput> = /*#__PURE__*/ Config.suspend(() =>
  V.checkedConfig(fromEnvironment, Configured.identity)
)

/** The variables as set: what {@link config} checks, and `layerConfig()` reports as `InvalidInput`. */
const fromEnvironment: Config.Config<ClientIdentityInput> = /*#__PURE__*/ Config.suspend(() =>
  Config.all({
    clientIdentifier: V.variable("PLEX_CLIENT_IDENTIFIER"),
    product: Config.map(Env.optional("PLEX_PRODUCT"), (product) => product ?? "effect-plex-auth"),
    version: Env.optional("PLEX_VERSION"),
    platform: Env.optional("PLEX_PLATFORM"),
    platformVersion: Env.optional("PLEX_PLATFORM_VERSION"),
    device: Env.optional("PLEX_DEVICE"),
    deviceName: Env.optional("PLEX_DEVICE_NAME")
  })
)

/**
 * A layer from `Config` (by default the environment variables of
 * {@link config}). A malformed value (a blank `PLEX_CLIENT_IDENTIFIER`, a
 * control character) fails with `InvalidInput` when the layer is built; read
 * from the default variables, it names the variable
 * (`ClientIdentity.layerConfig: invalid PLEX_DEVICE_NAME: ...`). Given
 * {@link config} itself, which checks the values as it reads them, the layer
 * fails with that `Config`'s `ConfigError` instead.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  identity?: Config.Config<ClientIdentityInput>
): Layer.Layer<ClientIdentity, InvalidInput | ConfigError.ConfigError> =>
  Layer.effect(
    ClientIdentity,
    V.configured("ClientIdentity.layerConfig", identity, fromEnvironment, Identity.variables, make)
  )

/**
 * A fresh random client identifier (a version 4 UUID). Call it once per
 * installation and keep the result: a new identifier makes Plex register a
 * new device. Made with `crypto.getRandomValues`, so it works in a web page
 * served over plain http too (a LAN app), where `crypto.randomUUID` is
 * missing (secure contexts only).
 *
 * @since 0.1.0
 * @category constructors
 */
export const generateIdentifier: Effect.Effect<string> = /*#__PURE__*/ Effect.sync(newIdentifier)

/**
 * The `KeyValueStore` key under which {@link layerPersisted} keeps the
 * client identifier.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultStoreKey = Identity.identifierStoreKey

/**
 * {@link makePersisted}'s first runs (no identifier stored yet), one at a
 * time in this process: a run that finds none has stored one before the next
 * reads again, so layers built at once agree. One lock for every store (only
 * a run that finds no identifier takes it), not a table of them.
 */
const firstRuns = /*#__PURE__*/ Effect.unsafeMakeSemaphore(1)

/**
 * An identity whose client identifier is generated on first use and kept in
 * a `KeyValueStore` (a file on Node, `localStorage` in a browser, memory in
 * tests), so every run of the app is the same device to Plex. If the
 * identifier cannot be stored, this fails rather than use a throwaway one;
 * one stored that cannot be sent (a control character in it, more than 1024
 * characters: written by hand or by another program) fails with
 * `InvalidInput` naming the store's key, and is left as it is.
 * First runs at once in one process agree (one reads what the other
 * stored); in two processes a run writes its own, then uses what the store
 * keeps (read back), which agrees unless one read back before the other
 * wrote: a `KeyValueStore` has no write-if-absent. `key` (default
 * {@link defaultStoreKey}) must not be empty or blank (`InvalidInput`, before
 * the store is read): such a key is a variable left unset, not an entry's name.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePersisted = (
  input: Omit<ClientIdentityInput, "clientIdentifier">,
  options: { readonly key?: string | undefined } = {}
): Effect.Effect<ClientIdentityService, InvalidInput | PlatformError, KeyValueStore.KeyValueStore> =>
  Effect.gen(function* () {
    // Input of the wrong kind (untyped JavaScript) fails before the store is read or written.
    yield* V.object("ClientIdentity.makePersisted", "input", input)
    yield* V.object("ClientIdentity.makePersisted", "options", options, true)
    yield* V.check("ClientIdentity.makePersisted", "key", V.optionalStoreKeyProblem(options?.key))
    const store = yield* KeyValueStore.KeyValueStore
    const key = options?.key ?? defaultStoreKey
    const read = Effect.map(
      store.get(key),
      Option.filter((id) => id.trim().length > 0)
    )
    // Only a run that finds none takes the lock (and reads again under it: another run may have stored one).
    const stored = yield* read
    const clientIdentifier = Option.isSome(stored)
      ? stored.value
      : yield* firstRuns.withPermits(1)(
          Effect.flatMap(read, (stored) =>
            Option.isSome(stored)
              ? Effect.succeed(stored.value)
              : // A first run. Another process may be writing its own: write, then use what the store keeps
                // (read back), so that runs which both wrote before either read back use the one written last.
                Effect.flatMap(generateIdentifier, (generated) =>
                  Effect.map(
                    Effect.zipRight(store.set(key, generated), read),
                    Option.getOrElse(() => generated)
                  )
                )
          )
        )
    // The identifier is the store's, not the caller's: its error says so (the input's fields keep make's).
    yield* V.check(
      "ClientIdentity.makePersisted",
      "clientIdentifier",
      Configured.storedIdentifierProblem(clientIdentifier, key)
    )
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
