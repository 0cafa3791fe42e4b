/**
 * The engine's error types: an operation's union is derived from its spec
 * (`ErrorOf`), so the operations need no casts. Checked by the type checker
 * (`npm test` runs it first); the assertions below also run.
 */
import { describe, expectTypeOf, it } from "@effect/vitest"
import type { Effect } from "effect"
import type { PlexAuth, PlexError, Schemas } from "effect-plex-auth"
import type { ErrorOf, Spec } from "../../src/internal/request.js"

type Base = Spec<Schemas.Account>

describe("ErrorOf", () => {
  it("an ordinary spec: the errors of any answer or transport, no more", () => {
    expectTypeOf<ErrorOf<Base>>().toEqualTypeOf<PlexError.ResponseError>()
  })

  it("a sign-in spec adds the two-factor errors", () => {
    expectTypeOf<ErrorOf<Base & { readonly signIn: true }>>().toEqualTypeOf<
      PlexError.ResponseError | PlexError.VerificationCodeRequired | PlexError.InvalidVerificationCode
    >()
  })

  it("a spec that maps 404 adds NotFound", () => {
    expectTypeOf<ErrorOf<Base & { readonly notFound: true }>>().toEqualTypeOf<
      PlexError.ResponseError | PlexError.NotFound
    >()
  })

  it("the operations' declared unions are what they fail with", () => {
    type ErrorOfEffect<T> = T extends Effect.Effect<any, infer E, any> ? E : never
    expectTypeOf<
      ErrorOfEffect<ReturnType<typeof PlexAuth.getTokenDetails>>
    >().toEqualTypeOf<PlexError.GetTokenDetailsError>()
    expectTypeOf<
      ErrorOfEffect<ReturnType<typeof PlexAuth.postUsersSignInData>>
    >().toEqualTypeOf<PlexError.SignInError>()
  })
})
