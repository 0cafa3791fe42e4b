/**
 * The plain codecs (`lenient.ts`'s `Decoder`) of the account payloads the
 * sign-in and `getTokenDetails` decode: built from the same core fields
 * (`core/decodeSchemas.ts`) and codecs as the public `Schemas.Account` and
 * `Schemas.SignedInAccount`, so they decode exactly what those schemas
 * decode, without bundling the `Schema` wrapping into those operations.
 * `effect4/test/accounts.test.ts` checks that both decode alike.
 *
 * @internal
 */
import * as P from "../../../src/core/decodeSchemas.js"
import * as L from "./lenient.js"

const nested = () => ({
  profile: L.structCodec(P.userProfileFields()),
  subscription: L.structCodec(P.subscriptionFields()),
  service: L.structCodec(P.accountServiceFields(L.secretCodec, L.opaqueSecretCodec))
})

/** `Schemas.Account`'s codec: the token is optional. */
export const account = /*#__PURE__*/ L.structCodec(
  /*#__PURE__*/ P.accountFields(/*#__PURE__*/ L.optional(L.secretCodec), /*#__PURE__*/ nested())
)

/** `Schemas.SignedInAccount`'s codec: the token is required. */
export const signedInAccount = /*#__PURE__*/ L.structCodec(
  /*#__PURE__*/ P.accountFields(L.secretCodec, /*#__PURE__*/ nested())
)
