/**
 * Each operation's error union, as documented. Checked by `tsc` (see
 * README.md here).
 */
import { expectTypeOf } from "@effect/vitest"
import type { Effect } from "effect"
import type { PlexAuth, PlexError } from "effect-plex-auth"

expectTypeOf<
  Effect.Effect.Error<ReturnType<typeof PlexAuth.postUsersSignInData>>
>().toEqualTypeOf<PlexError.SignInError>()
expectTypeOf<
  Effect.Effect.Error<ReturnType<typeof PlexAuth.getTokenDetails>>
>().toEqualTypeOf<PlexError.GetTokenDetailsError>()
expectTypeOf<
  Effect.Effect.Error<ReturnType<typeof PlexAuth.getTransientToken>>
>().toEqualTypeOf<PlexError.GetTransientTokenError>()
expectTypeOf<
  Effect.Effect.Error<ReturnType<typeof PlexAuth.getSourceConnectionInformation>>
>().toEqualTypeOf<PlexError.GetSourceConnectionInformationError>()

// getTokenDetails has no 404: no NotFound. It takes no input, but a token from Credentials of the caller's own
// making may be one that cannot be sent: InvalidInput.
expectTypeOf<PlexError.GetTokenDetailsError>().not.toMatchTypeOf<PlexError.NotFound>()
expectTypeOf<PlexError.NotFound>().not.toMatchTypeOf<PlexError.GetTokenDetailsError>()
expectTypeOf<PlexError.InvalidInput>().toMatchTypeOf<PlexError.GetTokenDetailsError>()
expectTypeOf<PlexError.VerificationCodeRequired>().toMatchTypeOf<PlexError.SignInError>()

// The check can fail.
// @ts-expect-error NotFound is not among getTokenDetails's errors
expectTypeOf<PlexError.NotFound>().toMatchTypeOf<PlexError.GetTokenDetailsError>()
