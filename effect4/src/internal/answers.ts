import * as HttpClient from "effect/http/HttpClient"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { type StartAnswer, startAnswered } from "../../../src/core/web/flow.js"

/**
 * plex.tv's last answer to the requests `watch` is given (core `StartAnswer`: its status, its Retry-After, when it
 * came), none while a request waits for one (a RetryPolicy's retry included): the library's error for a 403 or a
 * 400 does not carry its `Retry-After`, and an answer that asks to be tried later is no refusal for good. One per
 * operation run (its state is that run's). Its users: WebSignIn's start (`PinLogin.create`) and a return's PIN check
 * (`PinLogin.check`) and user check (`PlexAuth.getTokenDetails`); ServerAccess's `check` (what `makeChecker` keeps:
 * WebSignIn's access check of a return and of `authenticate`) and `makeOwnerChecker`'s requests (`watchedIn`); and the
 * CLI's `login` (bin/internal/commands.ts `revokeUnsaved`, `oldTokenRevocations`), which reads the last status of a
 * revocation cut short. Not `PlexAuth.signOut`, WebSignIn's revocation nor `Devices.revoke`: a revocation is judged
 * hop by hop (internal/revocation.ts).
 */
export const answers = () => {
  let last: StartAnswer | undefined
  const watch = <A, E, R>(request: Effect.Effect<A, E, R>) =>
    request.pipe(
      Effect.updateService(HttpClient.HttpClient, (client) =>
        client.pipe(
          HttpClient.tapRequest(() =>
            Effect.sync(() => {
              last = undefined
            })
          ),
          HttpClient.tap((response) =>
            Effect.map(Clock.currentTimeMillis, (now) => {
              last = startAnswered(response.status, response.headers["retry-after"], now)
            })
          )
        )
      )
    )
  // The wait the last answer asked for, when the failure is an answer (a status): one that got none (a connection
  // refused, a timeout) after an answer with a Retry-After (a 429 retried) asked for no wait.
  const waitOf = (error: { readonly _tag: string; readonly status?: number | undefined }) =>
    error.status === undefined ? undefined : last?.retryAfterMillis
  return { watch, waitOf, last: () => last }
}
