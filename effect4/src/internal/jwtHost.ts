/**
 * The JWT host reference, in a module of its own so that only the modules
 * that use it (`Jwt`, `PinLogin`) bundle it.
 *
 * @internal
 */
import * as Context from "effect/Context"
import { defaultHost } from "../../../src/core/jwt.js"

/** What the `JwtHost` reference holds. */
export interface JwtHostService {
  /** The base URL of JWT device authentication (`/api/v2/auth/*`, JWT PINs), without `/api/v2`. */
  readonly url: string
}

// python-plexapi (`MyPlexJWTLogin.AUTH`/`PINS`) and @ctrl/plex (`src/jwt.ts` `AUTH_URL`) both send
// every `/api/v2/auth/*` call and the JWT PIN flow to clients.plex.tv (`core/jwt` `defaultHost`), as Plex's
// developer guide does.
export const JwtHost: Context.Reference<JwtHostService> = /*#__PURE__*/ Context.Reference<JwtHostService>(
  "effect-plex-auth/JwtHost",
  { defaultValue: (): JwtHostService => ({ url: defaultHost }) }
)

/** The type of the {@link JwtHost} reference. */
export type JwtHost = Context.Reference<JwtHostService>
