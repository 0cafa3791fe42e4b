/**
 * Linking another device: a TV or a console shows a four-character code
 * (a PIN made with `PinLogin.create({ strong: false })`), and a signed-in
 * tool approves it for its account, as a person would at plex.tv/link.
 *
 * Route: plex.tv `PUT /api/v2/pins/link` with the form field `code` and
 * the header `X-Plex-Product: Plex SSO`
 * (python-plexapi `MyPlexAccount.link`, @ctrl/plex `MyPlexAccount.linkPin`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as HttpClient from "effect/http/HttpClient"
import * as Facts from "../../src/core/devices.js"
import type { ClientIdentity } from "./ClientIdentity.js"
import type { Credentials } from "./Credentials.js"
import * as L from "./internal/lenient.js"
import * as Request from "./internal/request.js"
import * as V from "./internal/validate.js"
import { wiped, wipedProblem } from "../../src/core/validate.js"
import { BadRequest, type InvalidInput, NotFound, type ResponseError, Unauthorized } from "./PlexError.js"

/**
 * The errors of {@link link}: `NotFound` for a code plex.tv does not know
 * or that expired (code 1020), `BadRequest` for one already used (perhaps
 * by an earlier link whose answer was lost: the device may be signed in),
 * `InvalidInput` for a code that is not four letters or digits (before any
 * request; a strong PIN's longer code is approved at app.plex.tv/auth, not
 * linked).
 *
 * @since 0.1.0
 * @category models
 */
export type LinkError = ResponseError | NotFound | BadRequest | InvalidInput

/** `Link.link`'s `NotFound`: a code no device is showing; its message ends with what to do (core/devices.ts). */
class CodeNotFound extends NotFound {
  override get message(): string {
    return Facts.advised(super.message, Facts.refusalAdvice.linkNotFound)
  }
}

/** `Link.link`'s `BadRequest`: a code already used; its message ends with what to do. */
class CodeRefused extends BadRequest {
  override get message(): string {
    return Facts.advised(super.message, Facts.refusalAdvice.linkRefused)
  }
}

/** The error classes of {@link link}'s refusals: `NotFound` and `BadRequest` saying what to do. */
const linkRefusals = { BadRequest: CodeRefused, Unauthorized, NotFound: CodeNotFound }

/**
 * Approves the PIN showing `code` on another device for the signed-in
 * account (the `Credentials` in context): plex.tv `PUT /api/v2/pins/link`,
 * the code in capitals as devices show it (`"abcd"` is sent as `ABCD`).
 * The device's next check of its PIN gets a token. Sent once: never
 * repeated when plex.tv may have linked it (after a `NetworkError`, the
 * device may be signed in already; linking again then fails with
 * `BadRequest`, the code being used). The code is a secret, as a
 * Home PIN is: give it as a `Redacted` to keep it one from where you took
 * it (a plain string is wrapped before anything else sees it); it is revealed
 * only on the wire.
 *
 * @example
 * ```ts
 * import { Link } from "effect4-plex-auth"
 *
 * const approveTv = Link.link("ABCD")
 * ```
 *
 * @since 0.1.0
 * @category linking
 */
export const link = (
  code: string | Redacted.Redacted<string>
): Effect.Effect<void, LinkError, HttpClient.HttpClient | ClientIdentity | Credentials> => {
  const raw = V.reveal(code)
  const trimmed = Facts.linkCode(raw)
  // A wiped `Redacted` says so, as every secret's check does, not that the code is not four characters.
  if (trimmed === undefined)
    return Effect.fail(V.invalid("Link.link", "code", raw === wiped ? wipedProblem : Facts.linkCodeProblem))
  return Effect.asVoid(
    Request.plexTv("Link.link", {
      ...Facts.linkPin,
      refusals: linkRefusals,
      // A secret (core/devices.ts linkForm): masked in errors, kept to plex.tv's origin.
      body: Request.form(Facts.linkForm(Redacted.make(trimmed))),
      schema: L.Unknown
    })
  )
}
