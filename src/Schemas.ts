/**
 * Lenient schemas of the payloads Plex returns.
 *
 * Each requires only what a caller needs, accepts the other known fields when
 * they are present and well-formed (an optional field with an unexpected shape
 * is treated as absent), and keeps unknown fields (whatever the decode
 * options). Every token in a payload is decoded straight into `Redacted`;
 * encoding reveals it.
 *
 * Unknown fields are kept in a shape that always renders and never shows a
 * secret: a value under a secret-like key (`pin`, `password`, anything with
 * `token` or `secret` in its name, at any depth) is wrapped in `Redacted`
 * too; a key named for an `Object.prototype` member (`toString`, `valueOf`,
 * `hasOwnProperty`, ...) is dropped; so is a field nesting deeper than 32
 * levels. Encoding reveals what was wrapped.
 *
 * They work with the rest of the Schema ecosystem: `JSONSchema.make` describes
 * the payloads each accepts (the lenient forms too, unknown fields allowed),
 * and `Arbitrary.make` generates decoded values for property tests.
 *
 * ```ts
 * import { Arbitrary, FastCheck, JSONSchema } from "effect"
 * import { Schemas } from "effect-plex-auth"
 *
 * const jsonSchema = JSONSchema.make(Schemas.Account)
 * const accounts = FastCheck.sample(Arbitrary.make(Schemas.Account), 3)
 * ```
 *
 * They are `Schema`s from any JSON value (`Schema.Schema<A, unknown>`), not
 * `Schema.Struct`s: each decodes in one plain pass, a few microseconds for a
 * whole account, and an operation decodes its answer with the same function.
 * A failure points at the missing or malformed required field and never
 * repeats a value.
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"
import * as L from "./internal/lenient.js"
import * as Payloads from "./internal/payloads.js"

/**
 * The viewing preferences of an account. Plex has sent these flags as
 * booleans, numbers and `"0"`/`"1"` strings over time; all are accepted.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserProfile = /*#__PURE__*/ L.lenient(Payloads.userProfile, "UserProfile")

/**
 * @since 0.1.0
 * @category models
 */
export interface UserProfile extends Schema.Schema.Type<typeof UserProfile> {}

/**
 * A Plex Pass subscription of an account.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Subscription = /*#__PURE__*/ L.lenient(Payloads.subscription, "Subscription")

/**
 * @since 0.1.0
 * @category models
 */
export interface Subscription extends Schema.Schema.Type<typeof Subscription> {}

/**
 * A service linked to an account. Its `token` and `secret` are secrets and
 * decoded into `Redacted`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AccountService = /*#__PURE__*/ L.lenient(Payloads.accountService, "AccountService")

/**
 * @since 0.1.0
 * @category models
 */
export interface AccountService extends Schema.Schema.Type<typeof AccountService> {}

/**
 * A plex.tv account, as `GET /api/v2/user` returns it. Requires `id`, `uuid`
 * and `title`; `username` is `""` when Plex sends none (a managed Home user
 * has no user name: plex.tv's home user list gives it `null`);
 * everything else is optional and unknown fields are kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Account = /*#__PURE__*/ L.lenient(Payloads.account, "Account")

/**
 * @since 0.1.0
 * @category models
 */
export interface Account extends Schema.Schema.Type<typeof Account> {}

/**
 * The account a sign-in returns: an {@link Account} whose `authToken` is
 * required.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SignedInAccount = /*#__PURE__*/ L.lenient(Payloads.signedInAccount, "SignedInAccount")

/**
 * @since 0.1.0
 * @category models
 */
export interface SignedInAccount extends Schema.Schema.Type<typeof SignedInAccount> {}

/**
 * One way to reach a server: its `uri`, and when known the protocol, address,
 * port and whether it is local, relayed or IPv6.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Connection = /*#__PURE__*/ L.lenient(Payloads.connection, "Connection")

/**
 * @since 0.1.0
 * @category models
 */
export interface Connection extends Schema.Schema.Type<typeof Connection> {}

/**
 * A transient token from a Plex Media Server (`/security/token`): valid up to
 * 48 hours, gone when the server restarts.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TransientToken = /*#__PURE__*/ L.lenient(Payloads.transientToken, "TransientToken")

/**
 * @since 0.1.0
 * @category models
 */
export interface TransientToken extends Schema.Schema.Type<typeof TransientToken> {}

/**
 * The body of `/security/token`: `{"MediaContainer":{"token":"..."}}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TransientTokenResponse = /*#__PURE__*/ L.lenient(
  Payloads.transientTokenResponse,
  "TransientTokenResponse"
)

/**
 * Connection details for a source a server knows (`/security/resources`):
 * the device, its access token and its connections.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SourceConnectionInformation = /*#__PURE__*/ L.lenient(
  Payloads.sourceConnectionInformation,
  "SourceConnectionInformation"
)

/**
 * @since 0.1.0
 * @category models
 */
export interface SourceConnectionInformation extends Schema.Schema.Type<typeof SourceConnectionInformation> {}

/**
 * The body of `/security/resources`: `{"MediaContainer":{"Device":{...}}}`.
 * A `Device` sent as a one-element array is accepted too.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SourceConnectionInformationResponse = /*#__PURE__*/ L.lenient(
  Payloads.sourceConnectionInformationResponse,
  "SourceConnectionInformationResponse"
)
