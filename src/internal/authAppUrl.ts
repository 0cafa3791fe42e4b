/**
 * Where a PIN login's sign-in link points: the `authAppUrl` given, else `PLEX_AUTH_APP_URL` from `Config` (the
 * environment by default) when it is set and not empty nor blank (`core/validate.ts` `optionalValue`), else none (app.plex.tv's page). Checked as an `authAppUrl`
 * (an absolute http(s) URL without query or fragment): a malformed one fails with `InvalidInput` naming the option
 * or the variable, before any request.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { InvalidInput } from "../PlexError.js"
import * as PinFacts from "../core/pin.js"
import * as V from "./validate.js"
import * as Env from "./variables.js"

export const resolve = (
  operation: string,
  given: string | undefined
): Effect.Effect<string | undefined, InvalidInput> =>
  given !== undefined
    ? V.httpUrl(operation, "authAppUrl", given)
    : Effect.flatMap(
        // A variable the provider cannot read counts as unset: the link then points at app.plex.tv, as before.
        Effect.orElseSucceed(Env.optional(PinFacts.authAppUrlVariable), () => undefined),
        (variable) =>
          variable === undefined
            ? Effect.succeed(undefined)
            : V.httpUrl(operation, PinFacts.authAppUrlVariable, variable)
      )
