/**
 * The base URLs a program gives: a Plex Media Server's (from template parts,
 * with Plex's defaults) and plex.tv's (or a JWT host's), once for both editions.
 *
 * @internal
 */
import { objectProblem, portNumber } from "./validate.js"

/** The variable `PlexServer.layerConfig()` reads the server's URL from, in both editions. */
export const serverUrlVariable = "PLEX_SERVER_URL"

/** The port a Plex Media Server listens on unless told otherwise. */
export const defaultServerPort = 32400

/** The host `PlexServer.fromParts` assumes: the server on this machine. */
export const defaultServerHost = "127.0.0.1"

/** `PlexServer.fromParts`' template parts, as a caller (perhaps untyped JavaScript) gives them. */
export interface ServerParts {
  readonly protocol?: unknown
  readonly ip?: unknown
  readonly port?: unknown
}

/** The parts with their defaults, checked; or the field that is wrong and why. */
export type CheckedParts =
  | {
      readonly _tag: "Parts"
      readonly protocol: "http" | "https"
      /** Still to be checked as a host name (the edition's `V.host`, which fails with its `InvalidInput`). */
      readonly ip: unknown
      readonly port: number
    }
  | { readonly _tag: "Invalid"; readonly field: "parts" | "protocol" | "port"; readonly reason: string }

/** Checks `PlexServer.fromParts`' parts and fills in the defaults `http`, {@link defaultServerHost} and {@link defaultServerPort}. */
export const serverParts = (parts: ServerParts | undefined): CheckedParts => {
  const notObject = objectProblem(parts, true)
  if (notObject !== undefined) return { _tag: "Invalid", field: "parts", reason: notObject }
  const given = parts ?? {}
  const protocol = given.protocol ?? "http"
  if (protocol !== "http" && protocol !== "https") {
    return { _tag: "Invalid", field: "protocol", reason: 'must be "http" or "https"' }
  }
  const port = portNumber(given.port ?? defaultServerPort)
  if (port === undefined)
    return { _tag: "Invalid", field: "port", reason: "must be an integer from 1 to 65535" }
  return { _tag: "Parts", protocol, ip: given.ip ?? defaultServerHost, port }
}

/** A plex.tv (or JWT host) base URL as the requests use it: a trailing `/api/v2` (as some references write it) is dropped. */
export const withoutApiV2 = (url: string): string => url.replace(/\/api\/v2$/, "")
