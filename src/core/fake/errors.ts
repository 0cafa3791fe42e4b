/**
 * The fake's own errors, plain `Error`s.
 *
 * @internal
 */
import { objectProblem } from "../validate.js"

/**
 * The connection failed instead of answering: a scripted reset or refusal,
 * or a request to an origin the fake does not serve. A `TypeError` whose
 * `cause` carries the Node error code (`ECONNRESET`, `ECONNREFUSED`), as
 * `fetch` rejects on a network failure.
 */
export class ConnectionFailure extends TypeError {
  override readonly name = "ConnectionFailure"
  constructor(
    readonly reason: "Reset" | "Refused",
    readonly origin: string
  ) {
    super(
      reason === "Reset"
        ? `the connection to ${origin} was reset`
        : `the connection to ${origin} was refused`,
      {
        cause: Object.assign(
          new Error(reason === "Reset" ? "other side closed" : `connect ECONNREFUSED ${hostOf(origin)}`),
          { code: reason === "Reset" ? "ECONNRESET" : "ECONNREFUSED" }
        )
      }
    )
  }
}

/**
 * The address as Node's `connect` error names it: an IPv6 address without brackets, the port always
 * written (`connect ECONNREFUSED ::1:32400`, `connect ECONNREFUSED 192.0.2.1:80`).
 */
const hostOf = (origin: string): string => {
  try {
    const url = new URL(origin)
    const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80"
    return `${url.hostname.replace(/^\[(.*)\]$/, "$1")}:${port}`
  } catch {
    return origin
  }
}

/**
 * A control call named an account, server or PIN the fake does not have, or a PIN that has expired; or an
 * argument of the wrong kind (from untyped JavaScript: null options, a fault that is not one), named; or a seed
 * the fake refuses (an unknown account, a URL that is not http(s), two accounts sharing a login, a negative
 * duration, ...). Each binding turns it into its own tagged `FakePlexError` with the same message.
 */
export class FakePlexError extends Error {
  override readonly name = "FakePlexError"
}

/**
 * `options` of the fault constructor `name`, when they are an object or undefined (then `{}`); anything
 * else (`null`, a number, from untyped JavaScript) throws a `FakePlexError` naming the constructor.
 */
export const optionsOf = <O extends object>(name: string, options: O | undefined): Partial<O> => {
  const problem = objectProblem(options, true)
  if (problem !== undefined) throw new FakePlexError(`${name}: options ${problem}`)
  return options ?? {}
}
