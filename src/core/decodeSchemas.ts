/**
 * The fields of the payloads the `Schemas` module decodes, as the protocol
 * core knows them: which are required (what callers need), which are
 * optional, which are lists, which are secrets, and under which wire name.
 * Both editions build their `Schemas` from these tables with their own
 * `lenient.ts` (which wraps the codecs in its `Schema` and supplies the
 * secret codecs of its `Redacted`), so a field added or made optional here
 * changes both.
 *
 * Each table is a function (nothing is built until a schema is) of the
 * secret codecs and nested blocks it needs; its values are codecs or
 * {@link D.Field}s of `./decode.ts`, or whatever the caller passed in.
 *
 * @internal
 */
import * as D from "./decode.js"

/**
 * The viewing preferences of an account. Plex has sent these flags as
 * booleans, numbers and `"0"`/`"1"` strings over time; all are accepted.
 */
export const userProfileFields = () => ({
  autoSelectAudio: D.optional(D.bool),
  defaultAudioLanguage: D.optional(D.string),
  defaultAudioLanguages: D.optional(D.strings),
  defaultAudioAccessibility: D.optional(D.num),
  defaultSubtitleLanguage: D.optional(D.string),
  defaultSubtitleLanguages: D.optional(D.strings),
  autoSelectSubtitle: D.optional(D.num),
  defaultSubtitleAccessibility: D.optional(D.num),
  defaultSubtitleForced: D.optional(D.num),
  watchedIndicator: D.optional(D.num),
  mediaReviewsVisibility: D.optional(D.num),
  mediaReviewsLanguages: D.optional(D.strings)
})

/** A Plex Pass subscription of an account. */
export const subscriptionFields = () => ({
  active: D.optional(D.bool),
  status: D.optional(D.string),
  plan: D.optional(D.string),
  paymentService: D.optional(D.string),
  subscribedAt: D.optional(D.string),
  features: D.array(D.string)
})

/** A service linked to an account: its `token` is a header-safe secret, its `secret` an opaque one. */
export const accountServiceFields = <S>(secret: D.CodecLike<S>, opaqueSecret: D.CodecLike<S>) => ({
  identifier: D.str,
  endpoint: D.optional(D.string),
  token: D.optional(secret),
  secret: D.optional(opaqueSecret),
  status: D.optional(D.string)
})

/**
 * A plex.tv account (`GET /api/v2/user`, and what a sign-in returns).
 * Requires `id`, `uuid` and `title`; `username` is `""` when missing or
 * `null` (a managed Home user has none); `authToken` is as given
 * (optional on `/api/v2/user`, required after a sign-in).
 */
export const accountFields = <T, P, Sub, Svc>(
  authToken: T,
  nested: {
    readonly profile: D.CodecLike<P>
    readonly subscription: D.CodecLike<Sub>
    readonly service: D.CodecLike<Svc>
  }
) => ({
  /** The numeric account id. */
  id: D.num,
  /** The account's stable UUID. */
  uuid: D.str,
  /**
   * The account's user name; `""` when Plex sends none: a managed Home user has no user name (`null` in
   * `GET /api/v2/home/users`), and switching to one must not fail on it.
   */
  username: D.withDefault(D.str, ""),
  /** The display title (user name or friendly name). */
  title: D.str,
  /** The account token. */
  authToken,
  email: D.optional(D.string),
  friendlyName: D.optional(D.string),
  thumb: D.optional(D.string),
  locale: D.optional(D.string),
  country: D.optional(D.string),
  joinedAt: D.optional(D.num),
  rememberExpiresAt: D.optional(D.num),
  twoFactorEnabled: D.optional(D.bool),
  hasPassword: D.optional(D.bool),
  confirmed: D.optional(D.bool),
  emailOnlyAuth: D.optional(D.bool),
  anonymous: D.optional(D.bool),
  guest: D.optional(D.bool),
  home: D.optional(D.bool),
  homeAdmin: D.optional(D.bool),
  homeSize: D.optional(D.num),
  maxHomeSize: D.optional(D.num),
  restricted: D.optional(D.bool),
  protected: D.optional(D.bool),
  mailingListActive: D.optional(D.bool),
  mailingListStatus: D.optional(D.string),
  scrobbleTypes: D.optional(D.string),
  subscriptionDescription: D.optional(D.string),
  attributionPartner: D.optional(D.string),
  roles: D.array(D.string),
  entitlements: D.array(D.string),
  profile: D.optional(nested.profile),
  subscription: D.optional(nested.subscription),
  subscriptions: D.array(nested.subscription),
  services: D.array(nested.service)
})

/** One way to reach a server: its `uri`, and when known the protocol, address, port and kind. */
export const connectionFields = () => ({
  uri: D.string,
  protocol: D.optional(D.string),
  address: D.optional(D.string),
  port: D.optional(D.num),
  local: D.optional(D.bool),
  relay: D.optional(D.bool),
  IPv6: D.optional(D.bool)
})

/** A transient token from a Plex Media Server (`/security/token`). */
export const transientTokenFields = <S>(secret: D.CodecLike<S>) => ({ token: secret })

/** A body `{"MediaContainer": ...}` of a Plex Media Server. */
export const mediaContainerFields = <M>(mediaContainer: M) => ({ MediaContainer: mediaContainer })

/** Connection details for a source a server knows (`/security/resources`). */
export const sourceConnectionInformationFields = <S, C>(
  secret: D.CodecLike<S>,
  connection: D.CodecLike<C>
) => ({
  clientIdentifier: D.str,
  name: D.optional(D.string),
  /** The access token for the source. */
  accessToken: D.optional(secret),
  /** The connections (Plex's `Connection`); invalid entries are dropped. */
  connections: D.array(connection, { fromKey: "Connection" })
})

/**
 * The `MediaContainer` of `/security/resources`: its `Device`, also accepted
 * as a one-element array (an XML-to-JSON habit).
 */
export const deviceContainerFields = <A>(device: D.CodecLike<A>) => ({ Device: D.firstOf(device) })
