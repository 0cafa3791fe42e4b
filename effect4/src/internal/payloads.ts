/**
 * The codecs of the payloads `Schemas.ts` describes: the core's field tables
 * (`src/core/decodeSchemas.ts`) with the Effect 4 `Redacted`, as the Effect 3
 * edition's `src/internal/payloads.ts` has them with its own.
 *
 * `Schemas.ts` wraps each codec in its public schema; the operations decode
 * their answers with the codecs themselves (the request engine only calls
 * `decode`), so that a bundle that only calls an operation keeps none of the
 * schema wrappers: `Schema.declare`, the issue mapping, and the JSON Schema
 * and Arbitrary links. Nested payloads are composed from codecs for the same
 * reason; decoding is the same either way (`effect4/test/payloads.test.ts`).
 *
 * @internal
 */
import * as P from "../../../src/core/decodeSchemas.js"
import * as L from "./lenient.js"

/** The codec of `Schemas.UserProfile`. */
export const userProfile = /*#__PURE__*/ L.structCodec(/*#__PURE__*/ P.userProfileFields())

/** The codec of `Schemas.Subscription`. */
export const subscription = /*#__PURE__*/ L.structCodec(/*#__PURE__*/ P.subscriptionFields())

/** The codec of `Schemas.AccountService`. */
export const accountService = /*#__PURE__*/ L.structCodec(
  /*#__PURE__*/ P.accountServiceFields(L.secretCodec, L.opaqueSecretCodec)
)

/**
 * The fields of an account, with `authToken` as given. A function, not an
 * object spread into the second codec: a bundler keeps a spread (it could run
 * a getter), and with it every account codec, in programs that never decode
 * an account.
 */
const accountFields = <T>(authToken: T) =>
  P.accountFields(authToken, { profile: userProfile, subscription, service: accountService })

/** The codec of `Schemas.Account`: the token is optional. */
export const account = /*#__PURE__*/ L.structCodec(
  /*#__PURE__*/ accountFields(/*#__PURE__*/ L.optional(L.secretCodec))
)

/** The codec of `Schemas.SignedInAccount`: the token is required. */
export const signedInAccount = /*#__PURE__*/ L.structCodec(/*#__PURE__*/ accountFields(L.secretCodec))

/** The codec of `Schemas.Connection`. */
export const connection = /*#__PURE__*/ L.structCodec(/*#__PURE__*/ P.connectionFields())

/** The codec of `Schemas.TransientToken`. */
export const transientToken = /*#__PURE__*/ L.structCodec(/*#__PURE__*/ P.transientTokenFields(L.secretCodec))

/** The codec of `Schemas.TransientTokenResponse`. */
export const transientTokenResponse = /*#__PURE__*/ L.structCodec(
  /*#__PURE__*/ P.mediaContainerFields(transientToken)
)

/** The codec of `Schemas.SourceConnectionInformation`. */
export const sourceConnectionInformation = /*#__PURE__*/ L.structCodec(
  /*#__PURE__*/ P.sourceConnectionInformationFields(L.secretCodec, connection)
)

/** The codec of `Schemas.SourceConnectionInformationResponse`. */
export const sourceConnectionInformationResponse = /*#__PURE__*/ L.structCodec(
  /*#__PURE__*/ P.mediaContainerFields(
    /*#__PURE__*/ L.structCodec(/*#__PURE__*/ P.deviceContainerFields(sourceConnectionInformation))
  )
)
