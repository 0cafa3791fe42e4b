/**
 * How `PinLogin.poll` asks for a new device JWT after a check that got no
 * answer: plex.tv hands a JWT PIN's token out once per nonce, and a check
 * whose answer was lost (a timeout, a reset) may have used it, so the JWT
 * presented next must carry a new one. `Jwt.pinLogin` provides its cache's
 * invalidation here; by default nothing is renewed.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

/** Makes the next run of the poll's `deviceJwt` sign a new device JWT. */
export const RenewDeviceJwt: Context.Reference<Effect.Effect<void>> = /*#__PURE__*/ Context.Reference<
  Effect.Effect<void>
>("effect-plex-auth/internal/RenewDeviceJwt", { defaultValue: () => Effect.void })
