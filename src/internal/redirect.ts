/**
 * The redirect and secret policy as a pure decision (no Effect): whether a
 * redirect is followed, where to, with which method, and whether the token
 * may travel with it. The same rules as the engine's: at most 5 hops, only
 * http(s), the token only to the origin it was meant for, a 303 (or a 301 /
 * 302 after a POST) becomes a GET without its body, and a token a server
 * puts in the query is never kept.
 *
 * @internal
 */

/** How many redirects one request follows. */
export const maxRedirects = 5

/** The statuses that redirect. */
export const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])

/** What to do with a redirect. */
export type Hop =
  | {
      readonly _tag: "Follow"
      /** The next URL, with any `X-Plex-Token` query parameter removed. */
      readonly url: string
      readonly method: string
      /** Whether the token may be sent to the next URL (same origin as `tokenOrigin`). */
      readonly withToken: boolean
      /** Whether the body is dropped (the request became a GET). */
      readonly dropBody: boolean
    }
  | { readonly _tag: "Refuse"; readonly reason: string }

/**
 * The next hop of a redirect from `from` (answered `status` with `location`)
 * after `hops` earlier ones. `tokenOrigin` is the only origin the token may
 * be sent to.
 */
export const nextHop = (input: {
  readonly from: string
  readonly method: string
  readonly status: number
  readonly location: string
  readonly hops: number
  readonly tokenOrigin: string
}): Hop => {
  if (input.hops >= maxRedirects) return { _tag: "Refuse", reason: `more than ${maxRedirects} redirects` }
  let target: URL
  try {
    target = new URL(input.location, input.from)
  } catch {
    return { _tag: "Refuse", reason: "the redirect location is not a valid URL" }
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    return { _tag: "Refuse", reason: `refused a redirect to a ${target.protocol.slice(0, -1)} URL` }
  }
  if (target.username !== "" || target.password !== "") {
    return { _tag: "Refuse", reason: "refused a redirect to a URL with credentials" }
  }
  for (const key of [...target.searchParams.keys()]) {
    if (key.toLowerCase() === "x-plex-token") target.searchParams.delete(key)
  }
  const toGet =
    input.status === 303 || ((input.status === 301 || input.status === 302) && input.method === "POST")
  return {
    _tag: "Follow",
    url: target.toString(),
    method: toGet ? "GET" : input.method,
    withToken: target.origin === input.tokenOrigin,
    dropBody: toGet
  }
}
