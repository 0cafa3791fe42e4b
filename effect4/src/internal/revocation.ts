/**
 * A revocation's answers watched hop by hop, for every operation that revokes a token at plex.tv and counts plex.tv's
 * 2xx as done: `PlexAuth.signOut` (and what runs it: the late revoke `signedOut` is given, internal/tellSignedOut.ts,
 * and WebSignIn's sign-out) and `Devices.revoke`. As src/internal/revocation.ts has it.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Auth from "../../../src/core/auth.js"
import { Unexpected } from "../PlexError.js"

/**
 * One revocation's answers (core `Auth.revocationAnswers`), one per run: `accepted()` once plex.tv accepted it (a 2xx
 * from where the token went, a redirect within plex.tv's origin included, or after its 303; before its body is read),
 * and `watch(request)` fails with `Unexpected` (reason `Redirect`, for `operation` and its `method`) when its 2xx came
 * from another origin a redirect (301, 302, 307, 308) led to without the token: nothing was revoked there.
 */
export const revocation = (operation: string, method: string) => {
  const answers = Auth.revocationAnswers()
  const watch = <A, E, R>(
    request: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | Unexpected, R | HttpClient.HttpClient> =>
    Effect.flatMap(
      request.pipe(
        Effect.updateService(HttpClient.HttpClient, (client) =>
          HttpClient.tap(client, (response) =>
            Effect.sync(() => answers.answered(response.status, response.request.url))
          )
        )
      ),
      (value) => {
        const elsewhere = answers.elsewhere()
        return answers.accepted() || elsewhere === undefined
          ? Effect.succeed(value)
          : Effect.fail(new Unexpected({ ...elsewhere, operation, method, reason: "Redirect" }))
      }
    )
  return { watch, accepted: answers.accepted }
}
