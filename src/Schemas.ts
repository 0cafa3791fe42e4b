/**
 * Lenient schemas of the payloads Plex returns.
 *
 * Each requires only what a caller needs, accepts the other known fields when
 * they are present and well-formed (an optional field with an unexpected shape
 * is treated as absent), and keeps unknown fields as they came. Every token in
 * a payload is decoded straight into `Redacted`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as L from "./internal/lenient.js"

/**
 * The viewing preferences of an account. Plex has sent these flags as
 * booleans, numbers and `"0"`/`"1"` strings over time; all are accepted.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserProfile = Schema.Struct({
  autoSelectAudio: L.optional(L.Bool),
  defaultAudioLanguage: L.optional(Schema.String),
  defaultAudioLanguages: L.optional(Schema.Array(Schema.String)),
  defaultAudioAccessibility: L.optional(L.Num),
  defaultSubtitleLanguage: L.optional(Schema.String),
  defaultSubtitleLanguages: L.optional(Schema.Array(Schema.String)),
  autoSelectSubtitle: L.optional(L.Num),
  defaultSubtitleAccessibility: L.optional(L.Num),
  defaultSubtitleForced: L.optional(L.Num),
  watchedIndicator: L.optional(L.Num),
  mediaReviewsVisibility: L.optional(L.Num),
  mediaReviewsLanguages: L.optional(Schema.Array(Schema.String))
})

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
export const Subscription = Schema.Struct({
  active: L.optional(L.Bool),
  status: L.optional(Schema.String),
  plan: L.optional(Schema.String),
  paymentService: L.optional(Schema.String),
  subscribedAt: L.optional(Schema.String),
  features: L.array(Schema.String)
})

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
export const AccountService = Schema.Struct({
  identifier: L.Str,
  endpoint: L.optional(Schema.String),
  token: L.optional(L.Secret),
  secret: L.optional(L.Secret),
  status: L.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface AccountService extends Schema.Schema.Type<typeof AccountService> {}

const accountFields = {
  /** The numeric account id. */
  id: L.Num,
  /** The account's stable UUID. */
  uuid: L.Str,
  /** The account's user name. */
  username: L.Str,
  /** The display title (user name or friendly name). */
  title: L.Str,
  /** The account token, when the payload carries one; always `Redacted`. */
  authToken: L.optional(L.Secret),
  email: L.optional(Schema.String),
  friendlyName: L.optional(Schema.String),
  thumb: L.optional(Schema.String),
  locale: L.optional(Schema.String),
  country: L.optional(Schema.String),
  joinedAt: L.optional(L.Num),
  rememberExpiresAt: L.optional(L.Num),
  twoFactorEnabled: L.optional(L.Bool),
  hasPassword: L.optional(L.Bool),
  confirmed: L.optional(L.Bool),
  emailOnlyAuth: L.optional(L.Bool),
  anonymous: L.optional(L.Bool),
  guest: L.optional(L.Bool),
  home: L.optional(L.Bool),
  homeAdmin: L.optional(L.Bool),
  homeSize: L.optional(L.Num),
  maxHomeSize: L.optional(L.Num),
  restricted: L.optional(L.Bool),
  protected: L.optional(L.Bool),
  mailingListActive: L.optional(L.Bool),
  mailingListStatus: L.optional(Schema.String),
  scrobbleTypes: L.optional(Schema.String),
  subscriptionDescription: L.optional(Schema.String),
  attributionPartner: L.optional(Schema.String),
  roles: L.array(Schema.String),
  entitlements: L.array(Schema.String),
  profile: L.optional(UserProfile),
  subscription: L.optional(Subscription),
  subscriptions: L.array(Subscription),
  services: L.array(AccountService)
}

/**
 * A plex.tv account, as `GET /api/v2/user` returns it. Requires `id`, `uuid`,
 * `username` and `title`; everything else is optional and unknown fields are
 * kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Account = Schema.Struct(accountFields)

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
export const SignedInAccount = Schema.Struct({ ...accountFields, authToken: L.Secret })

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
export const Connection = Schema.Struct({
  uri: Schema.String,
  protocol: L.optional(Schema.String),
  address: L.optional(Schema.String),
  port: L.optional(L.Num),
  local: L.optional(L.Bool),
  relay: L.optional(L.Bool),
  IPv6: L.optional(L.Bool)
})

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
export const TransientToken = Schema.Struct({
  /** The transient token, `Redacted`. */
  token: L.Secret
})

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
export const TransientTokenResponse = Schema.Struct({ MediaContainer: TransientToken })

/**
 * Connection details for a source a server knows (`/security/resources`):
 * the device, its access token and its connections.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SourceConnectionInformation = Schema.Struct({
  clientIdentifier: L.Str,
  name: L.optional(Schema.String),
  /** The access token for the source, `Redacted`. */
  accessToken: L.optional(L.Secret),
  /** The connections (Plex's `Connection`); invalid entries are dropped. */
  connections: L.array(Connection).pipe(Schema.fromKey("Connection"))
})

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
export const SourceConnectionInformationResponse = Schema.Struct({
  MediaContainer: Schema.Struct({
    Device: Schema.Union(
      SourceConnectionInformation,
      Schema.transform(
        Schema.Tuple([SourceConnectionInformation], Schema.Unknown),
        Schema.typeSchema(SourceConnectionInformation),
        { strict: true, decode: ([first]) => first, encode: (device) => [device] as const }
      )
    )
  })
})
