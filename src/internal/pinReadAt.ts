/**
 * When the PIN that `PinLogin.poll` polls was read (epoch ms, the caller's
 * clock): its `expiresIn` counts from then. `PinLogin.login` and
 * `Jwt.pinLogin` set it to when the PIN was created, so the time the user's
 * `onPin` takes is part of the PIN's lifetime, as it is at plex.tv; by
 * default (`undefined`) the lifetime counts from when polling starts.
 *
 * @internal
 */
import * as Context from "effect/Context"

/** The time the polled PIN was read, when the caller knows it. */
export class PinReadAt
  extends /*#__PURE__*/ Context.Reference<PinReadAt>()("effect-plex-auth/internal/PinReadAt", {
    defaultValue: (): number | undefined => undefined
  }) {}
