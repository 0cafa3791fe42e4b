/**
 * The `Credentials` service tag, in a module of its own, re-exported by
 * `Credentials` (its public home, with its documentation). The engine
 * (`request.ts`) and `PlexAuth` read the token through it, and the layers of
 * `Credentials` sign in through `PlexAuth` and `PinLogin`, which use the
 * engine: were the tag defined in `Credentials.ts`, the modules would import
 * one another at run time (`Credentials → PlexAuth → Credentials`,
 * `Credentials → PinLogin → internal/request → Credentials`), and which of
 * their bindings were still undefined while the cycle was evaluated would
 * depend on which module a program imported first. This module imports no
 * other module of the library at run time (test/internal/cycles.test.ts).
 *
 * @internal
 */
import * as Context from "effect/Context"
import type { CredentialsService } from "../Credentials.js"

/** The credentials service (documented where `Credentials` re-exports it). */
export class Credentials
  extends /*#__PURE__*/ Context.Tag("effect-plex-auth/Credentials")<Credentials, CredentialsService>() {}
