/**
 * A refused device key, read the same wherever a device JWT goes.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as JwtFacts from "../../../src/core/jwt.js"
import { type BadRequest, Unauthorized } from "../PlexError.js"

/**
 * A device JWT whose signature or key plex.tv refused (422 "Signature verification failed": a key unknown, never
 * registered or unregistered since, its device revoked; `core/jwt` `keyRefused`) fails with `Unauthorized`, at
 * `Jwt.exchange` and at a JWT PIN's check alike: the device's credentials were refused, and what helps is signing
 * in again (`Jwt.layerStored` runs `obtain` on it), not changing the request. Other failures pass unchanged.
 */
export const keyRefusedUnauthorized = <A, E extends { readonly _tag: string }, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E | Unauthorized, R> =>
  Effect.catchIf(
    self,
    (error): error is E & BadRequest => JwtFacts.keyRefused(error),
    (error) =>
      Effect.fail(
        new Unauthorized({
          operation: error.operation,
          method: error.method,
          url: error.url,
          status: error.status,
          errors: error.errors
        })
      )
  )
