/**
 * The sign-in (plex.tv `POST /api/v2/users/signin`) for the public function
 * that sends it: `PlexAuth.postUsersSignInData` and its aliases, and
 * `Credentials.layerSignIn`, each naming its spans and errors after itself.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Redacted from "effect/Redacted"
import * as Auth from "../../../src/core/auth.js"
import type { TwoFactorReader } from "../../../src/core/twoFactor.js"
import type { ClientIdentity } from "../ClientIdentity.js"
import type { SignInInput } from "../PlexAuth.js"
import type { SignInError } from "../PlexError.js"
import type * as Schemas from "../Schemas.js"
import * as Payloads from "./payloads.js"
import * as Request from "./request.js"
import * as V from "./validate.js"

/** The sign-in's spec: one with a `twoFactor` reader, so that its errors include the two-factor ones. */
type SignInSpec = Request.Spec<Schemas.SignedInAccount> & {
  readonly twoFactor: TwoFactorReader
  readonly refusals: typeof Request.signInRefusals
}

/** The sign-in, for the public function `operation` (its spans and errors are named after it). */
export const signInAs = (
  operation: string,
  input: SignInInput
): Effect.Effect<
  Request.Success<Schemas.SignedInAccount>,
  SignInError,
  HttpClient.HttpClient | ClientIdentity
> =>
  Effect.suspend(() => {
    const checked = Auth.signInForm(
      input,
      // Whatever untyped JavaScript passes (a number, null) is wrapped at once too, so the check can say what it
      // is, unseen; an input that is not an object is the core's to refuse.
      input?.password === undefined ? undefined : V.toRedacted(input.password),
      input?.verificationCode === undefined ? undefined : V.toRedacted(input.verificationCode),
      V.reveal,
      Redacted.make
    )
    if ("problem" in checked) return Effect.fail(V.invalid(operation, checked.field, checked.problem))
    const spec: SignInSpec = {
      ...Auth.signIn,
      refusals: Request.signInRefusals,
      body: Request.form(checked.form),
      schema: Payloads.signedInAccount
    }
    return Request.plexTvAnonymous(operation, spec)
  })
