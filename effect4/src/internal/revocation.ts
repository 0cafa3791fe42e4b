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
 * and `watch(request)`, which fails with `Unexpected` (reason `Redirect`, for `operation` and its `method`, the status
 * of that answer) when its last answer came from another origin a redirect (301, 302, 307, 308) led to without the
 * token: its 2xx revoked nothing, and its refusal (a 401, a 404), or the success a 404 on a retry makes (`goneOnRetry`),
 * is no verdict on the token or the device. A failure with no answer (a timeout, a refused connection), or a redirect
 * the engine refused (already `Unexpected`, `Redirect`), is left as it is.
 */
export const revocation = (operation: string, method: string) => {
  const answers = Auth.revocationAnswers()
  const elsewhere = <X>(otherwise: X): Unexpected | X => {
    const answer = answers.elsewhere()
    return answer === undefined
      ? otherwise
      : new Unexpected({ ...answer, operation, method, reason: "Redirect" })
  }
  const watch = <A, E extends { readonly status?: number | undefined; readonly reason?: unknown }, R>(
    request: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | Unexpected, R | HttpClient.HttpClient> =>
    Effect.flatMap(
      Effect.catch(
        request.pipe(
          Effect.updateService(HttpClient.HttpClient, (client) =>
            HttpClient.tap(client, (response) =>
              Effect.sync(() => answers.answered(response.status, response.request.url))
            )
          )
        ),
        (error) =>
          Effect.fail(error.status === undefined || error.reason === "Redirect" ? error : elsewhere(error))
      ),
      (value) => {
        const failure = elsewhere(undefined)
        return failure === undefined ? Effect.succeed(value) : Effect.fail(failure)
      }
    )
  return { watch, accepted: answers.accepted }
}
