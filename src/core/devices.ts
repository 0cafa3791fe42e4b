/**
 * Facts about an account's authorized devices and linking another device's
 * code, as plain functions with no Effect in them (both editions' `Devices`
 * and `Link` use them).
 *
 * Routes: plex.tv `GET /devices.xml` and `DELETE /devices/{id}.xml`, as
 * python-plexapi (`MyPlexAccount.devices()` with `MyPlexDevice.key`,
 * `MyPlexDevice.delete`) and @ctrl/plex (`MyPlexAccount.devices()`,
 * `MyPlexDevice.delete`) call them: XML only, a `MediaContainer` of `Device`
 * elements whose attributes both read (`data.attrib.get('token')`,
 * `data.$.token`); `PUT /api/v2/pins/link` with the form field `code` and
 * the header `X-Plex-Product: Plex SSO` (python-plexapi
 * `MyPlexAccount.link`, @ctrl/plex `MyPlexAccount.linkPin`, both send it).
 *
 * @internal
 */
import * as D from "./decode.js"
import type { Endpoint } from "./endpoint.js"
import * as Xml from "./xml.js"

/** The devices authorized on the account. */
export const devicesPath = "/devices.xml"

/** {@link devicesPath} and {@link revokePath} answer XML: the reader their requests hand to the engine. */
export const devicesAnswers: Xml.XmlAnswers = Xml.answers

/** Revoking the device `id`. */
export const revokePath = (id: number): string => `/devices/${id}.xml`

/**
 * Why `id` cannot be a device's id (a positive integer), or undefined. A
 * string (a command line's argument, say) is refused saying so: the id is a
 * number, as `Devices.list` gives it, and a string is not parsed for it.
 */
export const deviceIdProblem = (id: unknown): string | undefined =>
  typeof id === "number" && Number.isSafeInteger(id) && id > 0
    ? undefined
    : typeof id === "string"
      ? "must be a positive integer (a number, not a string: convert it with Number(id))"
      : "must be a positive integer"

/** Approving another device's PIN code for the account. */
export const linkPath = "/api/v2/pins/link"

/** The form field of {@link linkPath} that carries the code. */
export const linkCodeField = "code"

/** The headers {@link linkPath} is sent with over the client identity's (python-plexapi `link`, @ctrl/plex `linkPin`). */
export const linkHeaders: Readonly<Record<string, string>> = { "X-Plex-Product": "Plex SSO" }

/**
 * The code as sent (trimmed, in capitals as devices show it), or undefined
 * when `code` cannot be one plex.tv/link takes: four letters or digits, the
 * code of a short PIN (`strong: false`). python-plexapi documents
 * `MyPlexAccount.link`'s `pin` as "the 4 digit link pin code" and
 * `MyPlexPinLogin` as the four-character PIN entered at plex.tv/link; that
 * page takes nothing longer (VortXTV/VortX issue 220, nzbfast issue 91, both
 * Sep 2026: a strong PIN's code is never accepted there; it is approved at
 * app.plex.tv/auth). Capitals: plex.tv makes these codes of capitals and
 * digits, and a code sent as shown works whether plex.tv ignores case or not.
 */
export const linkCode = (code: unknown): string | undefined => {
  const trimmed = typeof code === "string" ? code.trim() : ""
  return /^[A-Za-z0-9]{4}$/.test(trimmed) ? trimmed.toUpperCase() : undefined
}

/** Why a value cannot be a link code. */
export const linkCodeProblem =
  "must be the four-character code the device shows (a longer code, of a strong PIN, is approved at app.plex.tv/auth, not linked)"

/**
 * What to do, ending the messages of the refusals `Link.link` and `Devices.revoke` meet for what the caller gave
 * (after `; `, as `Unauthorized`'s ends): their `NotFound` would otherwise read like a wrong route ("PUT
 * .../api/v2/pins/link was not found"). Here, and in the error classes of those two modules' specs (their
 * `refusals`), so that only their bundles carry these words; every other operation's messages end with Plex's codes.
 */
export const refusalAdvice = {
  /** `Link.link`'s 404 (plex.tv's code 1020: a code it does not know, or that expired). */
  linkNotFound:
    "no device is showing that code (mistyped, or expired): have the device show a new code and link that",
  /**
   * `Link.link`'s 400 or 422 (plex.tv refuses a code already used so). Used may mean linked: by an earlier
   * `Link.link` whose answer was lost (a reset, a timeout; never sent again by the library), or by the user at
   * plex.tv/link. The device is then signed in, and a new code is needed only if it is not.
   */
  linkRefused:
    "the code was used already (an earlier link whose answer was lost may have gone through): if the device is still not signed in, have it show a new code and link that",
  /** `Devices.revoke`'s 404. */
  revokeNotFound:
    "the account has no device with that id (revoked already?): list the devices again (Devices.list)"
} as const

/** `message` ending with `advice` (one of {@link refusalAdvice}'s). */
export const advised = (message: string, advice: string): string => `${message}; ${advice}`

/**
 * What plex.tv says a device is, in both its lists of an account's devices (`/devices.xml` here,
 * `/api/v2/resources`): its name (`""` when absent), product, platform and model, with their versions.
 */
export const deviceDescriptionFields = () => ({
  name: D.withDefault(D.str, ""),
  product: D.optional(D.str),
  productVersion: D.optional(D.str),
  platform: D.optional(D.str),
  platformVersion: D.optional(D.str),
  device: D.optional(D.str)
})

/**
 * An authorized device, as plex.tv lists it. `id` (what a revoke takes) is
 * required; its `token` is a secret.
 */
export const authorizedDeviceFields = <S>(secret: D.CodecLike<S>) => ({
  id: D.num,
  ...deviceDescriptionFields(),
  clientIdentifier: D.optional(D.str),
  /** The model the device sent as `X-Plex-Model` (python-plexapi `MyPlexDevice.model`). */
  model: D.optional(D.str),
  /** The vendor the device sent as `X-Plex-Device-Vendor` (python-plexapi `MyPlexDevice.vendor`). */
  vendor: D.optional(D.str),
  /** Comma-separated roles: `server` for the account's own servers (python-plexapi `MyPlexDevice.provides`). */
  provides: D.optional(D.string),
  publicAddress: D.optional(D.string),
  /** The device's token for the account. */
  token: D.optional(secret),
  /** Seconds since the epoch. */
  createdAt: D.optional(D.num),
  /** Seconds since the epoch. */
  lastSeenAt: D.optional(D.num)
})

/** The `MediaContainer` of {@link devicesPath}: its `Device` entries. */
export const devicesContainerFields = <A>(device: D.CodecLike<A>) => ({ Device: D.array(device) })

/** plex.tv `GET /devices.xml`: the account's authorized devices. */
export const getDevices = {
  endpoint: "getDevices",
  method: "GET",
  path: devicesPath,
  xml: devicesAnswers
} as const satisfies Endpoint

/** plex.tv `DELETE /devices/{id}.xml`: an empty answer; 404 for an unknown device; its refusal is XML too. */
export const deleteDevice = (id: number) =>
  ({
    endpoint: "deleteDevice",
    method: "DELETE",
    path: revokePath(id),
    noContent: true,
    notFound: true,
    // A retry after a timeout or a reset that plex.tv had carried out finds no device: it was revoked.
    goneOnRetry: true,
    xml: devicesAnswers
  }) as const satisfies Endpoint

/**
 * plex.tv `PUT /api/v2/pins/link` (form {@link linkForm}, {@link linkHeaders}):
 * an empty answer; 404 for an unknown or expired code. Approving is not
 * repeated: never sent twice.
 */
export const linkPin = {
  endpoint: "linkPin",
  method: "PUT",
  path: linkPath,
  headers: linkHeaders,
  noContent: true,
  notFound: true,
  idempotent: false
} as const satisfies Endpoint

/**
 * The form of {@link linkPin}: the code as {@link linkCode} gives it, as the edition's `Redacted` (`S`). A secret, as
 * the Home PIN is: whoever holds a live code can link the device to an account of theirs (the fake records it as
 * one), so it is revealed only on the wire: masked where plex.tv echoes it (an error's message, its body excerpt),
 * and not sent on to another origin by a redirect.
 */
export const linkForm = <S>(code: S): ReadonlyArray<readonly [string, S]> => [[linkCodeField, code]]
