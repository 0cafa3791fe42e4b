/**
 * The `fetch` each edition's engine puts under the platform's fetch client
 * for one request: it refuses to send a secret to an origin other than the
 * one the current hop was meant for (a caller's `followRedirects` would
 * resend the token) and refuses an answer from another origin (a caller's
 * `fetch` that follows redirects itself has sent the secrets by then, but
 * the other origin's data is never taken for Plex's). Plain functions.
 *
 * @internal
 */
import { mayCarrySecrets } from "./policy.js"

/** Thrown by the guarded `fetch` to refuse a cross-origin request or answer. */
export class CrossOrigin extends Error {}

const carries = (text: string, secrets: ReadonlyArray<string>) =>
  secrets.some((secret) => secret.length > 0 && text.includes(secret))

/**
 * A `fetch` through `inner` (the global one, read at each call, when none is
 * given: it may be replaced by a polyfill or a test) that sends no secret to,
 * and takes no answer from, an origin but `intended()`.
 */
export const guardFetch =
  (
    inner: typeof globalThis.fetch | undefined,
    intended: () => string,
    secrets: ReadonlyArray<string>
  ): typeof globalThis.fetch =>
  async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    if (!mayCarrySecrets(intended(), url)) {
      const body = init?.body
      // A body it does not read as text (bytes, a stream, a form) is taken to carry every secret.
      const text = typeof body === "string" ? body : body == null ? "" : secrets.join(" ")
      const sent = [url, text]
      new globalThis.Headers(init?.headers).forEach((value) => sent.push(value))
      if (sent.some((text) => carries(text, secrets))) {
        throw new CrossOrigin(`refused to send credentials to another origin (${new URL(url).origin})`)
      }
    }
    const response = await (inner ?? globalThis.fetch)(input, init)
    if (response.url !== "" && !mayCarrySecrets(intended(), response.url)) {
      throw new CrossOrigin(`the answer came from another origin (${new URL(response.url).origin})`)
    }
    return response
  }
