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
 * They work with the rest of the Schema ecosystem: `Schema.toJsonSchemaDocument`
 * describes the payloads each accepts (the lenient forms too, unknown fields
 * allowed), and `Arbitrary.schema` generates decoded values for property
 * tests.
 *
 * ```ts
 * import * as Arbitrary from "effect/Arbitrary"
 * import * as Effect from "effect/Effect"
 * import * as Schema from "effect/Schema"
 * import { Schemas } from "effect4-plex-auth"
 *
 * const jsonSchema = Schema.toJsonSchemaDocument(Schemas.Account)
 * const accounts = Arbitrary.sampleEffect(Arbitrary.schema(Schemas.Account), { count: 3 })
 * ```
 *
 * They are `Schema`s from any JSON value (`Schema.Codec<A, unknown>`), not
 * `Schema.Struct`s: each decodes in one plain pass, a few microseconds for a
 * whole account, and an operation decodes its answer with the same function.
 * A failure points at the missing or malformed required field and never
 * repeats a value.
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"
import * as L from "./internal/lenient.js"

/**
 * The viewing preferences of an account. Plex has sent these flags as
 * booleans, numbers and `"0"`/`"1"` strings over time; all are accepted.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserProfile = /*#__PURE__*/ L.struct(
  {
    autoSelectAudio: /*#__PURE__*/ L.optional(L.Bool),
    defaultAudioLanguage: /*#__PURE__*/ L.optional(L.String),
    defaultAudioLanguages: /*#__PURE__*/ L.optional(L.Strings),
    defaultAudioAccessibility: /*#__PURE__*/ L.optional(L.Num),
    defaultSubtitleLanguage: /*#__PURE__*/ L.optional(L.String),
    defaultSubtitleLanguages: /*#__PURE__*/ L.optional(L.Strings),
    autoSelectSubtitle: /*#__PURE__*/ L.optional(L.Num),
    defaultSubtitleAccessibility: /*#__PURE__*/ L.optional(L.Num),
    defaultSubtitleForced: /*#__PURE__*/ L.optional(L.Num),
    watchedIndicator: /*#__PURE__*/ L.optional(L.Num),
    mediaReviewsVisibility: /*#__PURE__*/ L.optional(L.Num),
    mediaReviewsLanguages: /*#__PURE__*/ L.optional(L.Strings)
  },
  "UserProfile"
)

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
export const Subscription = /*#__PURE__*/ L.struct(
  {
    active: /*#__PURE__*/ L.optional(L.Bool),
    status: /*#__PURE__*/ L.optional(L.String),
    plan: /*#__PURE__*/ L.optional(L.String),
    paymentService: /*#__PURE__*/ L.optional(L.String),
    subscribedAt: /*#__PURE__*/ L.optional(L.String),
    features: /*#__PURE__*/ L.array(L.String)
  },
  "Subscription"
)

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
export const AccountService = /*#__PURE__*/ L.struct(
  {
    identifier: L.Str,
    endpoint: /*#__PURE__*/ L.optional(L.String),
    token: /*#__PURE__*/ L.optional(L.Secret),
    secret: /*#__PURE__*/ L.optional(L.OpaqueSecret),
    status: /*#__PURE__*/ L.optional(L.String)
  },
  "AccountService"
)

/**
 * @since 0.1.0
 * @category models
 */
export interface AccountService extends Schema.Schema.Type<typeof AccountService> {}

/**
 * The fields of an account, with `authToken` as given. A function, not an
 * object spread into the second schema: a bundler keeps a spread (it could
 * run a getter), and with it every account schema, in programs that never
 * decode an account.
 */
const accountFields = <T>(authToken: T) => ({
  /** The numeric account id. */
  id: L.Num,
  /** The account's stable UUID. */
  uuid: L.Str,
  /** The account's user name. */
  username: L.Str,
  /** The display title (user name or friendly name). */
  title: L.Str,
  /** The account token; always `Redacted`. */
  authToken,
  email: /*#__PURE__*/ L.optional(L.String),
  friendlyName: /*#__PURE__*/ L.optional(L.String),
  thumb: /*#__PURE__*/ L.optional(L.String),
  locale: /*#__PURE__*/ L.optional(L.String),
  country: /*#__PURE__*/ L.optional(L.String),
  joinedAt: /*#__PURE__*/ L.optional(L.Num),
  rememberExpiresAt: /*#__PURE__*/ L.optional(L.Num),
  twoFactorEnabled: /*#__PURE__*/ L.optional(L.Bool),
  hasPassword: /*#__PURE__*/ L.optional(L.Bool),
  confirmed: /*#__PURE__*/ L.optional(L.Bool),
  emailOnlyAuth: /*#__PURE__*/ L.optional(L.Bool),
  anonymous: /*#__PURE__*/ L.optional(L.Bool),
  guest: /*#__PURE__*/ L.optional(L.Bool),
  home: /*#__PURE__*/ L.optional(L.Bool),
  homeAdmin: /*#__PURE__*/ L.optional(L.Bool),
  homeSize: /*#__PURE__*/ L.optional(L.Num),
  maxHomeSize: /*#__PURE__*/ L.optional(L.Num),
  restricted: /*#__PURE__*/ L.optional(L.Bool),
  protected: /*#__PURE__*/ L.optional(L.Bool),
  mailingListActive: /*#__PURE__*/ L.optional(L.Bool),
  mailingListStatus: /*#__PURE__*/ L.optional(L.String),
  scrobbleTypes: /*#__PURE__*/ L.optional(L.String),
  subscriptionDescription: /*#__PURE__*/ L.optional(L.String),
  attributionPartner: /*#__PURE__*/ L.optional(L.String),
  roles: /*#__PURE__*/ L.array(L.String),
  entitlements: /*#__PURE__*/ L.array(L.String),
  profile: /*#__PURE__*/ L.optional(UserProfile),
  subscription: /*#__PURE__*/ L.optional(Subscription),
  subscriptions: /*#__PURE__*/ L.array(Subscription),
  services: /*#__PURE__*/ L.array(AccountService)
})

/**
 * A plex.tv account, as `GET /api/v2/user` returns it. Requires `id`, `uuid`,
 * `username` and `title`; everything else is optional and unknown fields are
 * kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Account = /*#__PURE__*/ L.struct(
  /*#__PURE__*/ accountFields(/*#__PURE__*/ L.optional(L.Secret)),
  "Account"
)

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
export const SignedInAccount = /*#__PURE__*/ L.struct(
  /*#__PURE__*/ accountFields(L.Secret),
  "SignedInAccount"
)

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
export const Connection = /*#__PURE__*/ L.struct(
  {
    uri: L.String,
    protocol: /*#__PURE__*/ L.optional(L.String),
    address: /*#__PURE__*/ L.optional(L.String),
    port: /*#__PURE__*/ L.optional(L.Num),
    local: /*#__PURE__*/ L.optional(L.Bool),
    relay: /*#__PURE__*/ L.optional(L.Bool),
    IPv6: /*#__PURE__*/ L.optional(L.Bool)
  },
  "Connection"
)

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
export const TransientToken = /*#__PURE__*/ L.struct(
  {
    /** The transient token, `Redacted`. */
    token: L.Secret
  },
  "TransientToken"
)

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
export const TransientTokenResponse = /*#__PURE__*/ L.struct(
  { MediaContainer: TransientToken },
  "TransientTokenResponse"
)

/**
 * Connection details for a source a server knows (`/security/resources`):
 * the device, its access token and its connections.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SourceConnectionInformation = /*#__PURE__*/ L.struct(
  {
    clientIdentifier: L.Str,
    name: /*#__PURE__*/ L.optional(L.String),
    /** The access token for the source, `Redacted`. */
    accessToken: /*#__PURE__*/ L.optional(L.Secret),
    /** The connections (Plex's `Connection`); invalid entries are dropped. */
    connections: /*#__PURE__*/ L.array(Connection, { fromKey: "Connection" })
  },
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
export const SourceConnectionInformationResponse = /*#__PURE__*/ L.struct(
  {
    MediaContainer: /*#__PURE__*/ L.struct({
      // A `Device` sent as a one-element array (an XML-to-JSON habit) is read as the device itself.
      Device: /*#__PURE__*/ L.firstOf(SourceConnectionInformation)
    })
  },
  "SourceConnectionInformationResponse"
)
