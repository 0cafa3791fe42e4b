/**
 * Facts about a ready client for a Plex Media Server, as plain functions with
 * no Effect in them (both editions' `ServerClient` use them): where a request
 * may go (paths on the server, the server's own origin only), which query it
 * keeps, how a redirect is followed under the shared redirect and secret
 * policy (`policy.ts`: the same hop limit, schemes and method rules as the
 * engine's; the token only to the server's origin, never in a URL), and the
 * media URLs a player takes.
 *
 * @internal
 */
import { mayCarrySecrets, nextHop, redirectQuery } from "./policy.js"
import { scrub } from "./redact.js"
import { controlChars, serverUrl } from "./validate.js"

/** The header that carries the server's token (lower case, as headers are compared). */
export const tokenHeader = "x-plex-token"

/** The `Accept` a request gets unless it has its own. */
export const defaultAccept = "application/json"

/**
 * Where a request for `requested` (a path on the server, or an absolute URL)
 * goes: a path is put on `base`; an absolute URL is accepted only on the
 * server's `origin` and without credentials. Otherwise why it is refused
 * (before anything is sent).
 */
export const target = (
  base: string,
  origin: string,
  requested: string
): { readonly url: URL } | { readonly problem: string } => {
  let url: URL
  try {
    url = new URL(requested.startsWith("/") ? `${base}${requested}` : requested)
  } catch {
    return {
      problem: `not a URL on the server: give a path that starts with "/" ("/library/sections") or a URL on ${origin}`
    }
  }
  if (url.origin !== origin || url.username !== "" || url.password !== "") {
    return { problem: `refused a request outside the server's origin (${origin}); the token goes only there` }
  }
  return { url }
}

/**
 * The query of a request to `url` with `params` added: never a token (it goes only as a header), neither an
 * `X-Plex-Token` nor, under any name, the value `token`.
 */
export const query = <V = string>(
  url: URL,
  params: ReadonlyArray<readonly [string, V]>,
  token?: string
): Array<readonly [string, string | V]> =>
  [...url.searchParams, ...params].filter(
    ([key, value]) => key.toLowerCase() !== tokenHeader && (token === undefined || value !== token)
  )

/**
 * A request's fragment (`hash`, without its `#`), unless it carries the token, as it is or percent-encoded (the URL
 * parser writes a `<` or a `"` in a fragment as `%3C`, `%22`; a caller's URL or a server's `Location` may encode it
 * whole): a fragment is never sent, but the platform's span puts it in `url.full` and the request handed back keeps
 * it. Each %XX is read back as one character (`unescape`, which never throws on a stray %): a token is ASCII. Empty
 * is none.
 */
export const fragment = (hash: string | undefined, token: string): string | undefined =>
  hash === undefined || hash === "" || hash.includes(token) || unescape(hash).includes(token)
    ? undefined
    : hash

/**
 * A refused request (one {@link target} refuses) as the error handed back carries it: without the token, which a
 * caller's URL may bring (python-plexapi's `PlexServer.url(key, includeToken=True)` writes it in the query). Masked in
 * the URL's text (which may be no URL at all), its query pairs and fragment dropped as {@link query} and
 * {@link fragment} drop them.
 */
export const refusedRequest = <V>(
  url: string,
  params: ReadonlyArray<readonly [string, V]>,
  hash: string | undefined,
  token: string
) => ({
  url: scrub(url, [token]),
  params: params.filter(([key, value]) => key.toLowerCase() !== tokenHeader && value !== token),
  hash: fragment(hash, token)
})

/** The next hop of a redirect the server answered, or why it is refused. */
export type Hop =
  | {
      readonly _tag: "Follow"
      /** Origin and path of the next request (its query is {@link query}). */
      readonly url: string
      readonly query: ReadonlyArray<readonly [string, string]>
      readonly hash: string | undefined
      /** A 303, or a 301/302 after a POST: a GET without the body (and its content headers). */
      readonly toGet: boolean
      /** Whether the next request carries the token: only to the server's origin. */
      readonly withToken: boolean
    }
  | { readonly _tag: "Refuse"; readonly detail: string }

/**
 * Where the redirect of a request to `from` (after `hops` hops) leads, by
 * the shared policy: the token goes only to the server's `origin`, and never
 * in the query (a `X-Plex-Token` in the location is dropped, as is the
 * token's value under any name, on any origin).
 */
export const redirect = (
  origin: string,
  from: string,
  method: string,
  status: number,
  location: string,
  hops: number,
  token: string
): Hop => {
  const hop = nextHop(from, method, status, location, hops, false, [], [])
  if (hop._tag === "Refuse") return hop
  const withToken = mayCarrySecrets(origin, hop.url)
  return {
    _tag: "Follow",
    url: hop.target,
    query: redirectQuery(hop.url, !withToken, [token], []),
    hash: fragment(hop.url.hash.slice(1), token),
    toGet: hop.toGet,
    withToken
  }
}

/** The headers a request turned GET by a redirect drops with its body. */
export const contentHeaders: ReadonlyArray<string> = ["content-type", "content-length"]

/**
 * Of the headers `names` (lower case) meant for the server's origin, those the next request of a redirect drops: a
 * dropped body's content headers, and on another origin (no token there) every header that says who asks. The
 * token; Plex's `X-Plex-*` headers and the identity's own (`identity`: the device's identifier and name tie the
 * request to the user's device, and no other origin needs them); the caller's credentials and trace context
 * ({@link notForOtherOrigins}).
 */
export const droppedOnRedirect = (
  hop: { readonly toGet: boolean; readonly withToken: boolean },
  names: ReadonlyArray<string>,
  identity: ReadonlyArray<string>
): Array<string> =>
  names.filter(
    (name) =>
      (hop.toGet && contentHeaders.includes(name)) ||
      (!hop.withToken &&
        (name.startsWith("x-plex-") || identity.includes(name) || notForOtherOrigins.test(name)))
  )

/**
 * The headers (lower case) a request to another origin than the server's never carries, whoever added them: the
 * credentials `fetch` drops on a cross-origin redirect (`Authorization`, `Proxy-Authorization`, `Cookie`, and
 * `Host`: the Fetch standard's HTTP-redirect fetch, step 13, as undici's lib/web/fetch/index.js has it;
 * python-requests drops them across hosts too), and trace context (`traceparent`, `tracestate`, `b3`, `X-B3-*`)
 * with W3C `baggage` (OpenTelemetry's default propagators send it with `traceparent`; its entries may name the
 * user).
 */
export const notForOtherOrigins =
  /^(?:authorization|proxy-authorization|cookie|host|traceparent|tracestate|baggage|b3|x-b3-.*)$/

/**
 * A `fetch` through `inner` (the global one, read at each call, when none is given) that sends a request to
 * another origin than `home` without the headers of {@link notForOtherOrigins}, whoever added them:
 * {@link droppedOnRedirect} takes them off the request a redirect elsewhere makes, and this what a caller's client
 * adds to each hop as it sends it (`HttpClient.mapRequest`, trace headers it forces on). A request to `home`'s
 * origin is sent as it is. Both editions' `ServerClient` put it under the core's `guardFetch` (`fetchGuard.ts`).
 */
export const withoutCredentialsElsewhere =
  (inner: typeof globalThis.fetch | undefined, home: string): typeof globalThis.fetch =>
  async (input, init) =>
    (inner ?? fetch)(
      input,
      mayCarrySecrets(home, String((input as Request).url ?? input))
        ? init
        : {
            ...init,
            headers: [...new Headers(init?.headers)].filter(([name]) => !notForOtherOrigins.test(name))
          }
    )

/**
 * Why {@link mediaUrl} cannot build a URL from what untyped JavaScript passed, or undefined: the
 * connection must be an object whose `uri` is an http(s) URL without credentials, query or fragment (what
 * `ServerClient.make` accepts), the path a string without control characters, the params (when
 * given) an object.
 */
export const mediaUrlProblem = (
  connection: unknown,
  path: unknown,
  params: unknown
): { readonly field: string; readonly reason: string } | undefined => {
  if (typeof connection !== "object" || connection === null) {
    return { field: "connection", reason: "must be an object with a uri" }
  }
  const uri: unknown = (connection as { readonly uri?: unknown }).uri
  if (typeof uri !== "string") return { field: "uri", reason: "must be a string" }
  // What `ServerClient.make` accepts: http(s), no credentials, no query or fragment, not Plex Web's address (the
  // path goes after it).
  const checked = serverUrl(uri)
  if ("problem" in checked) return { field: "uri", reason: checked.problem }
  if (typeof path !== "string") return { field: "path", reason: "must be a string" }
  // The URL parser would drop a line break or tab in it (another path) and encode other control characters.
  if (controlChars.test(path)) return { field: "path", reason: "must not contain control characters" }
  if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params))) {
    return { field: "params", reason: "must be an object" }
  }
  // An absolute URL: as for `ServerClient.make`'s requests, only one on the server's origin; put after the
  // server's address, any other would be a path that does not exist there.
  if (absoluteUrl.test(path)) {
    const origin = new URL(checked.url).origin
    let at: URL | undefined
    try {
      at = new URL(path)
    } catch {
      at = undefined
    }
    if (at === undefined || at.origin !== origin || at.username !== "" || at.password !== "") {
      return {
        field: "path",
        reason: `must be a path on the server ("/library/parts/1/file.mkv") or a URL on ${origin}: a URL elsewhere is used as it is, without the server's token`
      }
    }
  }
  return undefined
}

/** A path given as an absolute URL (`https://...`), not a path on the server. */
const absoluteUrl = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

/**
 * The URL of `path` on the server `uri`, with `params` as its query, without
 * the token (a `X-Plex-Token` in the path's query or among `params` is dropped). A path that is not
 * absolute is made so; a URL on the server's origin (which
 * {@link mediaUrlProblem} checks) is taken as it is. The path goes after the
 * address as `ServerClient.make` reads it ({@link serverUrl}: spaces around it
 * dropped, as is an empty `?` or `#` or a trailing slash), never after the
 * text as given, where it would land in a query or fragment, or throw.
 */
export const mediaUrl = (
  uri: string,
  path: string,
  params: Readonly<Record<string, string>> = {}
): string => {
  const checked = serverUrl(uri)
  const base = "url" in checked ? checked.url : uri
  const url = absoluteUrl.test(path)
    ? new URL(path)
    : new URL(`${base}${path.startsWith("/") ? path : `/${path}`}`)
  // Never a token: neither one the path's own query brings (a URL as a server lists it) nor one among `params`. The
  // rest of the path's query is kept as written, byte for byte (python-plexapi's `PlexServer.url` appends the token to
  // the key as written): `URLSearchParams` would write all of it again in form encoding (`%20` as `+`, `/` and
  // `:` escaped). A key named in `params` takes its value in the place of its first occurrence, as `set` does.
  const given = new Map(Object.entries(params).filter(([key]) => key.toLowerCase() !== tokenHeader))
  const query: Array<string> = []
  const placed = new Set<string>()
  for (const pair of url.search.slice(1).split("&")) {
    const key = queryKey(pair)
    if (pair === "" || key.toLowerCase() === tokenHeader) continue
    if (!given.has(key)) query.push(pair)
    else if (!placed.has(key)) {
      placed.add(key)
      query.push(queryPair(key, given.get(key)!))
    }
  }
  for (const [key, value] of given) if (!placed.has(key)) query.push(queryPair(key, value))
  return withQuery(url, query)
}

/**
 * `url` with `pairs` as its query, as written. The `search` setter drops a leading `?` of what it is given: a first key
 * `?X-Plex-Token` (a doubled `?`) would become the token, so the query's own `?` goes first.
 */
const withQuery = (url: URL, pairs: ReadonlyArray<string>): string => {
  url.search = pairs.length > 0 ? `?${pairs.join("&")}` : ""
  return url.toString()
}

/** A query pair's key as `URLSearchParams` reads it (`+` a space, percent-decoded); the text as written if malformed. */
const queryKey = (pair: string): string => {
  const raw = pair.split("=", 1)[0]!.replace(/\+/g, " ")
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/** `key=value` in form encoding, as `URLSearchParams` writes one. */
const queryPair = (key: string, value: string): string => new URLSearchParams([[key, value]]).toString()

/** {@link mediaUrl} with the token in its query (`X-Plex-Token`): it leaks the token if shared. */
export const mediaUrlWithToken = (
  uri: string,
  path: string,
  params: Readonly<Record<string, string>>,
  token: string
): string => {
  const url = new URL(mediaUrl(uri, path, params))
  // Added to the query as written (mediaUrl dropped any token in it), not through `searchParams`, which would write
  // the rest again in form encoding.
  return withQuery(
    url,
    [url.search.slice(1), queryPair("X-Plex-Token", token)].filter((part) => part !== "")
  )
}
