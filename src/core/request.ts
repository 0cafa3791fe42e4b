/**
 * Building a request, the parts that are facts and not Effect: the headers
 * Plex reads (the client identity, the endpoint's own, `Accept`, the token),
 * the query, the body, where secrets travel, and what the operation's span
 * says. Shared by both editions' `request.ts`, which hand in how their
 * `Redacted` opens and make the platform request from the result.
 *
 * @internal
 */
import type { RequestContext } from "./answer.js"
import type { Endpoint } from "./endpoint.js"
import { revealWith } from "./redact.js"

/** A request ready for the wire, every secret opened; `ctx.secrets` lists them, to be masked. */
export interface Outgoing<B> {
  readonly ctx: RequestContext
  /** The full URL, without the query. */
  readonly url: string
  readonly headers: Record<string, string>
  readonly query: Array<[string, string]> | undefined
  readonly body: B | undefined
  /** The query or the path carries a secret: the platform's span (its `url.full` would show it) is not recorded. */
  readonly secretQuery: boolean
  /** The body carries a secret: never resent to another origin. */
  readonly secretBody: boolean
  /** The operation span's attributes: the endpoint's seed name, never a secret. */
  readonly attributes: Record<string, string>
}

/**
 * The request `operation` makes to `endpoint` at `baseUrl`, with `token`
 * when there is one. `open` gives a secret's value (`redact.ts`'s
 * `revealWith`); the body is built by the edition, handed the list to push
 * the secrets it opens onto.
 */
export const outgoing = <S, B>(
  operation: string,
  endpoint: Endpoint<S> & { readonly body?: ((found: Array<string>) => B) | undefined },
  baseUrl: string,
  identity: Readonly<Record<string, string>>,
  token: S | undefined,
  open: (value: unknown) => { readonly value: unknown } | undefined
): Outgoing<B> => {
  const secrets: Array<string> = []
  const headers: Record<string, string> = {
    ...identity,
    ...endpoint.headers,
    accept: endpoint.xml?.accept ?? "application/json"
  }
  if (token !== undefined) headers["x-plex-token"] = revealWith(token, open, secrets) as string
  const query = revealWith(endpoint.urlParams, open, secrets) as Array<[string, string]> | undefined
  const secretQuery = endpoint.spanPath !== undefined || !!query?.some(([, value]) => secrets.includes(value))
  const bodyFrom = secrets.length
  const body = endpoint.body?.(secrets)
  const url = new URL(baseUrl + endpoint.path)
  // The path errors and spans name: a PIN id stays out of them (errors are safe to log).
  const path = endpoint.spanPath ?? url.pathname
  return {
    ctx: {
      operation,
      method: endpoint.method,
      url: url.origin + path,
      secrets
    },
    url: url.href,
    headers,
    query,
    body,
    secretQuery,
    secretBody: secrets.length > bodyFrom,
    attributes: {
      "plex.operation": endpoint.endpoint,
      "http.request.method": endpoint.method,
      "server.address": url.host,
      "url.path": path
    }
  }
}
