/**
 * How `PlexAuth.signOut` tells the credentials that plex.tv revoked their
 * token (`CredentialsService.signedOut`): {@link onExit}, with the rules of
 * that telling under interruption (a fiber of its own, started
 * uninterruptible, waited for interruptibly, interrupted when the caller goes
 * away) in one place.
 *
 * Kept out of `PlexAuth.ts`, though only `signOut` calls it: written there,
 * it put the sign-in program, which holds no `signOut`, over its bundle
 * budget (esbuild's minified names in every operation's bundle shift with
 * the text of `PlexAuth.ts`; measured when it was written, cfbc0e3: 10,004 B
 * gzipped over the Effect baseline on Effect 3, `scripts/bundle-budget.ts`
 * measureAll, and 10,011 on Effect 4, `effect4/bench/bundle.ts`, budget
 * 10,000). The sign-in path is not this module's concern.
 *
 * @internal
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Redacted from "effect/Redacted"
import * as Auth from "../core/auth.js"
import * as Decode from "../core/decode.js"
import { errorWord } from "../core/refresh.js"
import { lateRevokeFailed, refreshWaitMillis } from "../core/signOut.js"
import { tokenRefusedBy } from "../core/refreshRun.js"
import type { ClientIdentity } from "../ClientIdentity.js"
import type { CredentialsService } from "../Credentials.js"
import { Credentials as CredentialsTag } from "./credentials.js"
import * as Request from "./request.js"
import * as Revocation from "./revocation.js"
import { CurrentRetryPolicy, none, RequestTimeout } from "./settings.js"

/**
 * Runs `self`, then `finalizer(refused)` (`PlexAuth.signOut`'s: tell the credentials when plex.tv accepted the revoke,
 * or refused the token, `refused`: `self` failed with `Unauthorized`, not a 403; else nothing), as `Effect.onExit`
 * does, even when the caller is interrupted while `self` runs or just after; but in a fiber of its own, started
 * uninterruptible (it runs to its end, but for the regions it makes interruptible), and waited for interruptibly. A
 * caller that goes away (a timeout of its own) stops waiting, rather than being held by a `signedOut` that takes long
 * or never ends, and the finalizer's fiber is interrupted: the regions it makes interruptible stop (the store work of a
 * stored layer already closed, run in this fiber; an open layer's runs in the layer's scope and goes on, only its wait
 * stops). That interruption is signalled as the caller goes away (`Fiber.interruptAsFork`, as Effect.disconnect does),
 * not a scheduler turn later by a fiber forked to do it (`Fiber.interruptFork`): a region whose wait answers just after
 * does not start the next one in between. The result is `self`'s; a finalizer that dies makes the call die, as with
 * `Effect.onExit`.
 */
export const onExit = <E extends { readonly _tag: string; readonly status?: number | undefined }, R>(
  self: Effect.Effect<void, E, R>,
  finalizer: (refused: boolean) => Effect.Effect<void, never, R>
): Effect.Effect<void, E, R> =>
  Effect.uninterruptibleMask((restore) => {
    // Set when `self` fails with an `Unauthorized` that refuses the token (401, 498, a 422 "invalid token"): already
    // invalid. Not a 403 (`tokenRefusedBy`): "not allowed" says nothing about the token, which stays valid, unrevoked.
    let refused = false
    const run = Effect.tapError(self, (error) =>
      Effect.sync(() => void (refused = error._tag === "Unauthorized" && tokenRefusedBy(error.status ?? 0)))
    )
    return Effect.flatMap(Effect.exit(restore(run)), (exit) =>
      Effect.flatMap(Effect.forkDaemon(finalizer(refused)), (fiber) =>
        Effect.zipRight(
          restore(Fiber.join(fiber)).pipe(
            Effect.onInterrupt(() => Effect.fiberIdWith((id) => Fiber.interruptAsFork(fiber, id)))
          ),
          exit
        )
      )
    )
  })

/**
 * The token `PlexAuth.signOut` revokes: the credentials' `settled` (the token they hold once a refresh in flight has
 * settled, even one after a refusal; never one renewed ahead of its expiry just to be revoked), waited for no longer than 5 seconds (`core/signOut.ts` `refreshWaitMillis`), or the
 * per-attempt timeout (`PlexAuth.withRequestTimeout`) when shorter. A quick re-authentication (a password sign-in, a
 * JWT exchange) gives its new token within it, and that one is revoked; a slow one (a PIN login waiting for the user)
 * does not hold the sign-out: the token held then (`current`) is revoked, and telling the credentials abandons the
 * refresh (`refresh.ts`). Credentials of a caller's own with `settled` but no `current`: the same wait, then their
 * `token` (what `current` defaults to), however long that waits (a `token` that waits for the same refresh holds the
 * sign-out as before: there is no other token to revoke). With neither: their `token`, however long it waits.
 */
export const held = (credentials: CredentialsService): Effect.Effect<Redacted.Redacted<string>> => {
  const { current, settled, token } = credentials
  return current === undefined && settled === undefined
    ? token
    : Effect.flatMap(RequestTimeout, (timeout) =>
        Effect.raceFirst(
          settled ?? token,
          Effect.delay(current ?? token, Duration.min(timeout, Duration.millis(refreshWaitMillis)))
        )
      )
}

/**
 * Tells the credentials (`told`, their `signedOut`) that `token` was signed out, with a `revoke` for the token a
 * refresh of it obtains (`refresh.ts`: dropped, never used nor stored): the same `DELETE /api/v2/users/signout` as
 * `PlexAuth.signOut`'s, with the caller's services (its client, identity and settings; one attempt, never retried:
 * a layer's close waits for it), done only as PlexAuth.signOut's is (`revocation`), best effort: its failure is logged as a word (`core/refresh.ts` `errorWord`), never the token nor the error's message, and never fails;
 * plex.tv refusing the token (already invalid: another sign-out revoked it first) is no failure, and logs nothing.
 */
export const tell = (
  told: NonNullable<CredentialsService["signedOut"]>,
  token: Redacted.Redacted<string>
): Effect.Effect<void, never, HttpClient.HttpClient | ClientIdentity> =>
  Effect.flatMap(Effect.context<HttpClient.HttpClient | ClientIdentity>(), (context) =>
    told(token, (late) =>
      Effect.catchAllCause(
        Effect.asVoid(
          // Its 2xx from where the token went, as PlexAuth.signOut's (`revocation`): an answer from another origin a
          // redirect led to, without the token, is not plex.tv's (its 2xx revoked nothing, its 401 refused no token),
          // and is warned of.
          Effect.suspend(() =>
            revocation().watch(
              Request.plexTv("PlexAuth.signOut", { ...Auth.signOut, schema: Decode.unknown })
            )
          ).pipe(
            Effect.provideService(CredentialsTag, { token: Effect.succeed(late) }),
            // One attempt, never the caller's retries: a layer's close waits for this revoke (uninterruptible,
            // `refresh.ts`), bounded so by the per-attempt timeout alone, not by a backoff's sleeps (up to an hour).
            Effect.provideService(CurrentRetryPolicy, none),
            // Refused (401, 498, a 422 "invalid token"; not a 403, `tokenRefusedBy`): already invalid, as the revoke
            // would leave it (another sign-out revoked it first): nothing to warn of, no token is left valid.
            Effect.catchIf(
              (error) => error._tag === "Unauthorized" && tokenRefusedBy(error.status ?? 0),
              () => Effect.void
            ),
            Effect.provide(context)
          )
        ),
        (cause) => Effect.logWarning(lateRevokeFailed(errorWord(Cause.squash(cause))))
      )
    )
  )

/**
 * A sign-out's revocation watched (internal/revocation.ts): one per run, `PlexAuth.signOut`'s, the late revoke's
 * ({@link tell}), and WebSignIn's sign-out, which reads `accepted` when its wait ends first.
 */
export const revocation = () => Revocation.revocation("PlexAuth.signOut", Auth.signOut.method)
