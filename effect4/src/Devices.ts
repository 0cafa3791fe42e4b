/**
 * The devices authorized on the signed-in account — every app and player
 * that holds a token for it — and revoking one, so a lost phone or an old
 * TV is signed out.
 *
 * Routes: plex.tv `GET /devices.xml` and `DELETE /devices/{id}.xml`, as
 * python-plexapi (`MyPlexAccount.devices()`, `MyPlexDevice.delete`) and
 * @ctrl/plex (`MyPlexAccount.devices()`, `MyPlexDevice.delete`) call them.
 * plex.tv answers XML there; it is read into the same values as JSON would
 * be (attributes as fields, `Device` elements as the list).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import type * as Schema from "effect/Schema"
import * as Facts from "../../src/core/devices.js"
import * as P from "../../src/core/decodeSchemas.js"
import type { ClientIdentity } from "./ClientIdentity.js"
import type { Credentials } from "./Credentials.js"
import * as L from "./internal/lenient.js"
import * as Request from "./internal/request.js"
import * as Revocation from "./internal/revocation.js"
import * as V from "./internal/validate.js"
import { BadRequest, type InvalidInput, NotFound, type ResponseError, Unauthorized } from "./PlexError.js"

/**
 * An authorized device, as plex.tv lists it. `id` (what {@link revoke}
 * takes) is required; its `token` is `Redacted`. `provides` is plex.tv's
 * comma-separated list of the device's roles: `server` for the account's
 * own Plex Media Servers (`clientIdentifier` is then the server's machine
 * identifier), `client`, `player`, ... for apps. Unknown fields are kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AuthorizedDevice = /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.authorizedDeviceFields(L.Secret))

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthorizedDevice extends Schema.Schema.Type<typeof AuthorizedDevice> {}

const DevicesResponse = /*#__PURE__*/ L.struct(
  /*#__PURE__*/ P.mediaContainerFields(
    /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.devicesContainerFields(AuthorizedDevice))
  )
)

/**
 * The devices authorized on the signed-in account: plex.tv `GET /devices.xml` (XML).
 * The account's Plex Media Servers are among them (`provides` includes
 * `server`; their `Connection` entries are kept), as plex.tv lists them, and
 * so is this app once plex.tv issued it a token (a sign-in, a PIN login): the
 * device whose `clientIdentifier` is the `ClientIdentity`'s (see {@link revoke}).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Devices } from "effect4-plex-auth"
 *
 * const names = Devices.list().pipe(Effect.map((devices) => devices.map((d) => `${d.id} ${d.name}`)))
 * ```
 *
 * @since 0.1.0
 * @category devices
 */
export const list = (): Effect.Effect<
  ReadonlyArray<AuthorizedDevice>,
  ResponseError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.map(
    Request.plexTv("Devices.list", {
      ...Facts.getDevices,
      schema: DevicesResponse
    }),
    (success) => success.value.MediaContainer.Device
  )

/** `Devices.revoke`'s `NotFound`: an id the account has no device for; its message ends with what to do. */
class DeviceNotFound extends NotFound {
  override get message(): string {
    return Facts.advised(super.message, Facts.refusalAdvice.revokeNotFound)
  }
}

/** The error classes of {@link revoke}'s refusals: `NotFound` saying what to do (core/devices.ts). */
const revokeRefusals = { BadRequest, Unauthorized, NotFound: DeviceNotFound }

/**
 * Revokes a device (its `id` from {@link list}): plex.tv
 * `DELETE /devices/{id}.xml`. Its token stops working: for a server (its
 * `provides` includes `server`) that removes it from the account, which then
 * has no access to it until it is signed in again; for this app's own device
 * (its `clientIdentifier` is the `ClientIdentity`'s), the token it was
 * issued: its next operation fails with `Unauthorized` (or, through
 * `Credentials.layerStored`, obtains a new token first). `NotFound` when the
 * account has no such device; `InvalidInput` for an id that is not a
 * positive integer, before any request. Under a retry policy, a 404 on a
 * retry after an attempt whose outcome is unknown (a timeout, a reset, a
 * 5xx but a 503: plex.tv may have revoked it, the answer lost) is a success:
 * the device is gone. A 404 on the first attempt, or after failures proving
 * plex.tv did not act (a rate limit, a 503, a refused connection), stays
 * `NotFound`. Counted as `PlexAuth.signOut` counts its revocation: a 2xx
 * from plex.tv, a redirect within its origin included (the token goes
 * along: plex.tv's own answer), or after its 303 (it acted, then sent the
 * request on). An answer from another origin, which a redirect (301, 302,
 * 307, 308) led to without the token, is not plex.tv's: its 2xx removed
 * nothing, its 404 (on a retry too) says nothing of the device:
 * `Unexpected`, reason `Redirect`, naming that origin.
 *
 * @example
 * ```ts
 * import { Devices } from "effect4-plex-auth"
 *
 * const signOutOldPhone = Devices.revoke(700101)
 * ```
 *
 * @since 0.1.0
 * @category devices
 */
export const revoke = (
  id: number
): Effect.Effect<
  void,
  ResponseError | NotFound | InvalidInput,
  HttpClient.HttpClient | ClientIdentity | Credentials
> => {
  const problem = Facts.deviceIdProblem(id)
  return problem === undefined
    ? Effect.suspend(() =>
        Effect.asVoid(
          // A revocation, counted as PlexAuth.signOut's (internal/revocation.ts, one per run): a 2xx from another
          // origin a redirect led to, without the token, removed nothing.
          Revocation.revocation("Devices.revoke", "DELETE").watch(
            Request.plexTv("Devices.revoke", {
              // Its refusal is XML too (`<errors><error .../></errors>`).
              ...Facts.deleteDevice(id),
              refusals: revokeRefusals,
              gone: Request.goneOnRetry,
              schema: L.Unknown
            })
          )
        )
      )
    : Effect.fail(V.invalid("Devices.revoke", "id", problem))
}
