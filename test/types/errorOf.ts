/**
 * The engine's error types: an operation's union is derived from its spec
 * (`ErrorOf`), so the operations need no casts. Checked by `tsc` (see
 * README.md here).
 */
import { expectTypeOf } from "@effect/vitest"
import type { Effect } from "effect"
import type { PlexAuth, PlexError, Schemas } from "effect-plex-auth"
import type { TwoFactorReader } from "../../src/core/twoFactor.js"
import {
  type Carrying,
  type ErrorOf,
  notFoundRefusals,
  signInRefusals,
  type Spec,
  type Success
} from "../../src/internal/request.js"

type Base = Spec<Schemas.Account>
/** A sign-in spec: one whose endpoint reads the two-factor answers. */
type SignIn = Base & { readonly twoFactor: TwoFactorReader }

// An ordinary spec: the errors of any answer or transport, and InvalidInput (a ClientIdentity built by hand whose
// headers cannot be sent), no more.
expectTypeOf<ErrorOf<Base>>().toEqualTypeOf<PlexError.ResponseError | PlexError.InvalidInput>()

// A sign-in spec adds the two-factor errors.
expectTypeOf<ErrorOf<SignIn>>().toEqualTypeOf<
  | PlexError.ResponseError
  | PlexError.InvalidInput
  | PlexError.VerificationCodeRequired
  | PlexError.InvalidVerificationCode
>()

// A spec that maps 404 adds NotFound.
expectTypeOf<ErrorOf<Base & { readonly notFound: true }>>().toEqualTypeOf<
  PlexError.ResponseError | PlexError.InvalidInput | PlexError.NotFound
>()

// The operations' declared unions are what they fail with.
expectTypeOf<
  Effect.Effect.Error<ReturnType<typeof PlexAuth.getTokenDetails>>
>().toEqualTypeOf<PlexError.GetTokenDetailsError>()
expectTypeOf<
  Effect.Effect.Error<ReturnType<typeof PlexAuth.postUsersSignInData>>
>().toEqualTypeOf<PlexError.SignInError>()

// The check can fail: an ordinary spec has no NotFound, a sign-in one is not an ordinary one.
// @ts-expect-error ResponseError is not ResponseError | NotFound
expectTypeOf<ErrorOf<Base>>().toEqualTypeOf<PlexError.ResponseError | PlexError.NotFound>()
// @ts-expect-error a sign-in spec adds errors
expectTypeOf<ErrorOf<SignIn>>().toEqualTypeOf<PlexError.ResponseError>()

// A spec whose endpoint adds refusals carries their error classes (`Carrying`), so that the operations that
// meet none do not bundle them: NotFound's for a `notFound` one, the two-factor ones for a sign-in.
expectTypeOf<Carrying<Base>>().toEqualTypeOf<unknown>()
export const notFoundCarried: Carrying<Base & { readonly notFound: true }> = { refusals: notFoundRefusals }
export const signInCarried: Carrying<SignIn> = { refusals: signInRefusals }
// @ts-expect-error a `notFound` spec without the NotFound class
export const notFoundMissing: Carrying<Base & { readonly notFound: true }> = {}
// @ts-expect-error a sign-in spec with the NotFound class instead of the two-factor ones
export const signInMissing: Carrying<SignIn> = { refusals: notFoundRefusals }

// The engine's success holds the headers as they came: it is not a `WithResponse` (whose headers are scrubbed by
// `read.ts`'s `withResponse`), so that a `...WithResponse` variant cannot hand it to a caller as it is.
expectTypeOf<Success<Schemas.Account>>().not.toMatchTypeOf<PlexAuth.WithResponse<Schemas.Account>>()
// @ts-expect-error the engine's success cannot be handed to a caller as it is
export const handedRaw: PlexAuth.WithResponse<Schemas.Account> = {} as Success<Schemas.Account>
