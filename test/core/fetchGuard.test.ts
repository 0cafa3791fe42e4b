/**
 * The guarded `fetch` (src/core/fetchGuard.ts) when the `fetch` under it
 * fails: the error it fails with has the request's secrets masked in its
 * message, stack and whole cause chain, and keeps what the engine reads from
 * it (`core/answer.ts`'s `transportFailure`, `core/policy.ts`'s
 * `neverSent`); an abort's rejection, and an error with nothing to mask, come
 * out as they are.
 */
import { inspect } from "node:util"
import { assert, describe, it } from "vitest"
import { transportFailure } from "../../src/core/answer.js"
import { guardFetch } from "../../src/core/fetchGuard.js"
import { neverSent } from "../../src/core/policy.js"

const TOKEN = "tok-SeCrEt-4f9a2c7e1b"
const PASSWORD = "pw-hunter2-Zq8x!"
const URL = "https://plex.tv/api/v2/user"

/** What the guarded `fetch` fails with when the `fetch` under it fails with `error`. */
const rejection = async (
  error: unknown,
  init?: RequestInit,
  secrets = [TOKEN, PASSWORD]
): Promise<unknown> => {
  const failing = (() => Promise.reject(error)) as typeof globalThis.fetch
  try {
    await guardFetch(failing, () => URL, secrets)(URL, init)
  } catch (thrown) {
    return thrown
  }
  return assert.fail("the guarded fetch must fail")
}

/** An error shaped like Node's: `TypeError: fetch failed` over the system error, with its code and errno. */
const nodeFailure = (message: string, code: string) =>
  new TypeError("fetch failed", {
    cause: Object.assign(new Error(message), { code, errno: -104, syscall: "read" })
  })

const assertClean = (value: unknown) => {
  const texts = [inspect(value, { depth: 10 }), String(value), (value as Error).stack ?? ""]
  for (const text of texts) {
    assert.notInclude(text, TOKEN)
    assert.notInclude(text, encodeURIComponent(PASSWORD))
    assert.notInclude(text, PASSWORD)
  }
}

describe("core/fetchGuard: a failed fetch", () => {
  it("masks the secrets in the message and stack, down a nested cause, keeping the code and the type", async () => {
    const original = nodeFailure(`proxy refused ${URL}?X-Plex-Token=${TOKEN}`, "ECONNRESET")
    original.message = `fetch failed for ${TOKEN}`
    original.stack = `TypeError: fetch failed for ${TOKEN}\n    at proxy (${PASSWORD})`
    const thrown = await rejection(original)
    assertClean(thrown)
    assert.instanceOf(thrown, TypeError)
    const error = thrown as TypeError & { cause: Error & { code: string; errno: number; syscall: string } }
    assert.strictEqual(error.name, "TypeError")
    assert.strictEqual(error.message, "fetch failed for <redacted>")
    assert.strictEqual(error.stack, "TypeError: fetch failed for <redacted>\n    at proxy (<redacted>)")
    assert.strictEqual(error.cause.message, `proxy refused ${URL}?X-Plex-Token=<redacted>`)
    assert.include(error.cause.stack, "proxy refused")
    assert.notInclude(error.cause.stack, TOKEN)
    assert.deepStrictEqual(
      [error.cause.code, error.cause.errno, error.cause.syscall],
      ["ECONNRESET", -104, "read"]
    )
    // The engine reads the same code, and the same text but for the secret.
    assert.deepStrictEqual(transportFailure(error), {
      text: `fetch failed for <redacted>: ECONNRESET: proxy refused ${URL}?X-Plex-Token=<redacted>`,
      code: "ECONNRESET"
    })
    // The original is left as it was.
    assert.include(original.message, TOKEN)
  })

  it("a connection never made still reads as one: the code is kept", async () => {
    const thrown = await rejection(nodeFailure(`connect ECONNREFUSED (via proxy, ${TOKEN})`, "ECONNREFUSED"))
    assertClean(thrown)
    const { code, text } = transportFailure(thrown)
    assert.isTrue(neverSent(code))
    assert.strictEqual(text, "fetch failed: ECONNREFUSED: connect ECONNREFUSED (via proxy, <redacted>)")
  })

  it("masks deeper causes, an AggregateError's errors, plain objects and a rejected string", async () => {
    const deep = new Error("outer", {
      cause: new AggregateError(
        [new Error(`first ${TOKEN}`), Object.assign(new Error("second"), { code: "ETIMEDOUT" })],
        "all attempts failed",
        { cause: { message: `form: password=${encodeURIComponent(PASSWORD)}`, code: "EPROXY" } }
      )
    })
    const thrown = (await rejection(deep)) as Error & {
      cause: AggregateError & { cause: { message: string; code: string } }
    }
    assertClean(thrown)
    assert.instanceOf(thrown.cause, AggregateError)
    assert.strictEqual(thrown.cause.errors[0].message, "first <redacted>")
    assert.strictEqual(thrown.cause.errors[1], deep.cause instanceof AggregateError && deep.cause.errors[1])
    assert.deepStrictEqual(thrown.cause.cause, { message: "form: password=<redacted>", code: "EPROXY" })
    assert.strictEqual(await rejection(`refused ${TOKEN}`), "refused <redacted>")
  })

  it("an error whose message is not its own (a DOMException) becomes an Error of that name", async () => {
    const thrown = (await rejection(new DOMException(`blocked ${TOKEN}`, "NetworkError"))) as Error
    assertClean(thrown)
    assert.instanceOf(thrown, Error)
    assert.strictEqual(thrown.name, "NetworkError")
    assert.strictEqual(thrown.message, "blocked <redacted>")
  })

  it("an error keeping state under a symbol (Effect 3's FiberFailure its cause) becomes an Error of that name", async () => {
    // Its own methods read that state, which a copy of its names alone lacks: they would throw (a caller's
    // logger rendering the defect), and a copy with it would show the secret it holds unmasked.
    const state = Symbol("state")
    class Keeping extends Error {
      readonly [state]: { readonly detail: string }
      constructor(detail: string) {
        super(`failed: ${detail}`)
        this.name = "Keeping"
        this[state] = { detail }
      }
      override toString() {
        return `Keeping: ${this[state].detail}`
      }
      toJSON() {
        return { detail: this[state].detail }
      }
    }
    const thrown = (await rejection(new Keeping(`refused ${TOKEN}`))) as Error
    assertClean(thrown)
    assert.notInclude(JSON.stringify(thrown), TOKEN)
    assert.instanceOf(thrown, Error)
    assert.notInstanceOf(thrown, Keeping)
    assert.strictEqual(thrown.name, "Keeping")
    assert.strictEqual(thrown.message, "failed: refused <redacted>")
    assert.deepStrictEqual(Object.getOwnPropertySymbols(thrown), [])
  })

  it("nothing to mask: the very same error", async () => {
    const original = nodeFailure("connect ECONNREFUSED 127.0.0.1:32400", "ECONNREFUSED")
    assert.strictEqual(await rejection(original), original)
    const quoting = nodeFailure(`refused ${TOKEN}`, "ECONNRESET")
    assert.strictEqual(await rejection(quoting, undefined, []), quoting)
  })

  it("an abort's rejection is kept as it is, whatever it says", async () => {
    const controller = new AbortController()
    const reason = new DOMException(`aborted ${TOKEN}`, "AbortError")
    controller.abort(reason)
    assert.strictEqual(await rejection(reason, { signal: controller.signal }), reason)
    // Not aborted: the same rejection is masked.
    assert.notStrictEqual(await rejection(reason, { signal: new AbortController().signal }), reason)
  })
})
