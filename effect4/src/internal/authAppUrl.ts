/**
 * Where a PIN login's sign-in link points: the `authAppUrl` given, else `PLEX_AUTH_APP_URL` from `Config` (the
 * environment by default) when it is set and not blank, else none (app.plex.tv's page). Checked as an `authAppUrl`
 * (an absolute http(s) URL without query or fragment): a malformed one fails with `InvalidInput` naming the option
 * or the variable, before any request.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { InvalidInput } from "../PlexError.js"
import * as PinFacts from "../../../src/core/pin.js"
import * as V from "./validate.js"

export const resolve = (
  operation: string,
  given: string | undefined
): Effect.Effect<string | undefined, InvalidInput> =>
  given !== undefined
    ? V.httpUrl(operation, "authAppUrl", given)
    : Effect.flatMap(
        // A variable the provider cannot read counts as unset: the link then points at app.plex.tv, as before.
        Effect.orElseSucceed(Config.option(Config.String(PinFacts.authAppUrlVariable)), () =>
          Option.none<string>()
        ),
        (variable) =>
          Option.isNone(variable) || variable.value.trim() === ""
            ? Effect.succeed(undefined)
            : V.httpUrl(operation, PinFacts.authAppUrlVariable, variable.value)
      )
