/**
 * The Effect 4 engine's spec types (test/types/errorOf.ts is the Effect 3 edition's): an operation's errors are
 * derived from its spec (`ErrorOf`), a spec whose endpoint adds refusals carries their error classes
 * (`Carrying`), and the engine's success is not what a caller is handed (`WithResponse`) until its headers are
 * scrubbed (`withResponse`). Checked by `tsc -p effect4/tsconfig.json` (its `include` has `test/`); not a vitest
 * file (see test/types/README.md).
 */
import type * as Effect from "effect/Effect"
import { expectTypeOf } from "vitest"
import type { PlexAuth, PlexError, Schemas } from "effect4-plex-auth"
import type { TwoFactorReader } from "../../../src/core/twoFactor.js"
import {
  type Carrying,
  type ErrorOf,
  notFoundRefusals,
  signInRefusals,
  type Spec,
  type Success
} from "../../src/internal/request.js"

type Base = Spec<Schemas.Account>
type SignIn = Base & { readonly twoFactor: TwoFactorReader }
type NotFound = Base & { readonly notFound: true }

// An ordinary spec: the errors of any answer or transport, and InvalidInput (a ClientIdentity built by hand whose
// headers cannot be sent).
expectTypeOf<ErrorOf<Base>>().toEqualTypeOf<PlexError.ResponseError | PlexError.InvalidInput>()
expectTypeOf<ErrorOf<SignIn>>().toEqualTypeOf<
  | PlexError.ResponseError
  | PlexError.InvalidInput
  | PlexError.VerificationCodeRequired
  | PlexError.InvalidVerificationCode
>()
expectTypeOf<ErrorOf<NotFound>>().toEqualTypeOf<
  PlexError.ResponseError | PlexError.InvalidInput | PlexError.NotFound
>()
expectTypeOf<
  Effect.Error<ReturnType<typeof PlexAuth.getTokenDetails>>
>().toEqualTypeOf<PlexError.GetTokenDetailsError>()
// @ts-expect-error a sign-in spec adds errors
expectTypeOf<ErrorOf<SignIn>>().toEqualTypeOf<PlexError.ResponseError>()

// A spec whose endpoint adds refusals carries their error classes, so that the operations that meet none do
// not bundle them: NotFound's for a `notFound` one, the two-factor ones for a sign-in.
expectTypeOf<Carrying<Base>>().toEqualTypeOf<unknown>()
export const notFoundCarried: Carrying<NotFound> = { refusals: notFoundRefusals }
export const signInCarried: Carrying<SignIn> = { refusals: signInRefusals }
// @ts-expect-error a `notFound` spec without the NotFound class
export const notFoundMissing: Carrying<NotFound> = {}
// @ts-expect-error a sign-in spec with the NotFound class instead of the two-factor ones
export const signInMissing: Carrying<SignIn> = { refusals: notFoundRefusals }

// The engine's success holds the headers as they came: it is not a `WithResponse` (whose headers are scrubbed).
expectTypeOf<Success<Schemas.Account>>().not.toExtend<PlexAuth.WithResponse<Schemas.Account>>()
// @ts-expect-error the engine's success cannot be handed to a caller as it is
export const handedRaw: PlexAuth.WithResponse<Schemas.Account> = {} as Success<Schemas.Account>
