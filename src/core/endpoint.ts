/**
 * What a Plex endpoint is, as both editions' request engines read it: its
 * name, method and path, and how Plex behaves there. Each operation's
 * endpoint is declared once, in the core module of its topic (`auth.ts`,
 * `pin.ts`, `jwt.ts`, `resources.ts`, ...); an edition spreads it into its
 * request and adds only its schema (and a body, built by its HTTP layer from
 * the core's plain value).
 *
 * @internal
 */
import type { TwoFactorReader } from "./twoFactor.js"
import type { XmlAnswers } from "./xml.js"

/** An endpoint as Plex defines it. `S` is whatever an edition holds a secret in (`Redacted`). */
export interface Endpoint<S = never> {
  /**
   * The endpoint's name as the seed SDKs call it (`getTokenDetails`,
   * `checkPin`): the span's `plex.operation`, and the name of the fake's
   * route that serves it.
   */
  readonly endpoint: string
  readonly method: "GET" | "POST" | "PUT" | "DELETE"
  readonly path: string
  /**
   * The query, secrets (a device JWT, a claim token, a home PIN) as the
   * edition holds them: the engines mask a secret in errors, drop it from a
   * redirect to another origin, and keep the platform's span (whose
   * `url.full` would carry it) from being recorded.
   */
  readonly urlParams?: ReadonlyArray<readonly [string, string | S]> | undefined
  /** Headers Plex wants for this endpoint only, over the client identity's (never `X-Plex-Token`). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * The path as spans and errors show it, when the real one holds something
   * that must not be exported (a PIN id: with the client identifier it
   * fetches the approved token), e.g. `/api/v2/pins/{id}`; the platform's span
   * (whose `url.full` would carry the real path) is then not recorded.
   */
  readonly spanPath?: string | undefined
  /** A 404 means the thing asked for is not there (`NotFound`), not an unexpected answer. */
  readonly notFound?: boolean | undefined
  /**
   * A sign-in, which Plex's two-factor answers may refuse (codes 1028 and 1029, or a 401 asking for the
   * code): how to read them, `twoFactor.ts`'s `twoFactorOutcome`. Handed in by the endpoint (`auth.ts`'s
   * `signIn`), as `xml` is, so that the other operations do not bundle the reader.
   */
  readonly twoFactor?: TwoFactorReader | undefined
  /**
   * A Plex error code that refuses the request's input, not its token (a
   * Home user's PIN, 1041): an answer carrying it, whatever its status
   * (plex.tv has answered a PIN with a 401), is a `BadRequest`, for which
   * credentials do not re-authenticate (`policy.ts`'s `classify`).
   */
  readonly refusedInput?: number | undefined
  /**
   * `false`: sending it twice is not harmless (a sign-in, a single-use token,
   * a PIN that counts towards a lockout); only a failure proving the server
   * did not act is then retried (`policy.ts`'s `mayRetry`).
   */
  readonly idempotent?: boolean | undefined
  /** It answers a 2xx with no body worth reading (a 204, or an empty 200). */
  readonly noContent?: boolean | undefined
  /**
   * A removal (with `notFound` and `noContent`): a 404 on a retry, after an
   * attempt whose outcome is unknown (`policy.ts`'s `outcomeUnknown`: a
   * timeout, a reset, a 5xx but a 503), says that attempt removed it, so the
   * request succeeds. A 404 on the first attempt, or after attempts that prove
   * the server did not act (a rate limit, a 503, a connection never made),
   * stays `NotFound`.
   * The operation hands the edition's reader in with it (`request.ts`'s
   * `goneOnRetry`), so that the others do not bundle it.
   */
  readonly goneOnRetry?: boolean | undefined
  /**
   * A legacy route that answers XML whatever is asked: the reader (`xml.ts`'s
   * `answers`). The request then asks for XML, and an XML answer or error
   * body is read (a JSON one too). Handed in by the operation, so that the
   * others do not bundle the reader.
   */
  readonly xml?: XmlAnswers | undefined
}

/**
 * `endpoint` with the schema an edition decodes its answer with: what an
 * edition's request takes. A plain call, so that a bundler drops a module's
 * unused requests (`withSchema(...)` marked pure, as each module's
 * requests are).
 */
export const withSchema = <E extends Endpoint<unknown>, A>(
  endpoint: E,
  schema: A
): E & { readonly schema: A } => ({ ...endpoint, schema })
