/**
 * `FakePlex.makeHandler`: the fake as a plain web handler from the public
 * testing entry, used the way a test without Effect would (promises and web
 * `Request`s only).
 */
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { assert, describe, it } from "vitest"
import { FakePlex } from "effect-plex-auth/testing"

const headers = (token?: string): Record<string, string> => ({
  "X-Plex-Client-Identifier": "handler-test-client",
  Accept: "application/json",
  ...(token === undefined ? {} : { "X-Plex-Token": token })
})

/** The garbage collector, as `--expose-gc` gives it (the flag set once the process runs, for a fresh context). */
const collectGarbage = (): void => {
  setFlagsFromString("--expose-gc")
  ;(runInNewContext("gc") as () => void)()
}

describe("FakePlex.makeHandler", () => {
  it("an abort of the signal a Request was made with ends a hanging answer, the Request kept by no one but the fake", async () => {
    // docs/testing.md's fakeFetch: `fake.handler(new Request(input, init))`, the Request referenced by no caller. Its
    // signal follows the caller's only while it lives: once collected, the abort was lost and the hang never
    // ended (this test then timed out).
    const fake = FakePlex.makeHandler()
    fake.fault("ping", FakePlex.handlerFaults.hang, { times: 1 })
    const controller = new AbortController()
    const answer = fake
      .handler(
        new Request(`${fake.plexTvUrl}/api/v2/ping`, { headers: headers(), signal: controller.signal })
      )
      .then(
        () => "answered",
        (e: unknown) => (e as Error).message
      )
    await new Promise((resolve) => setImmediate(resolve))
    collectGarbage()
    await new Promise((resolve) => setImmediate(resolve))
    controller.abort(new Error("given up"))
    assert.strictEqual(await answer, "given up")
    assert.deepStrictEqual(
      fake.requests().map((r) => [r.route, r.fault, r.outcome]),
      [["ping", "Hang", "Interrupted"]]
    )
  })

  it("with a signal of its own (fake.handler(request, { signal })), an abort of the Request's signal still ends a hanging answer", async () => {
    // docs/testing.md: aborting the request's signal, or the one given with it, ends what the answer waits for.
    // Before, a signal given replaced the Request's own: aborting the one the Request was made with (a client
    // that gave up, as a server or mock service worker hands it on) was ignored, and the hang never ended.
    const fake = FakePlex.makeHandler()
    fake.fault("ping", FakePlex.handlerFaults.hang, { times: 1 })
    const own = new AbortController()
    const given = new AbortController()
    let outcome = "still waiting"
    void fake
      .handler(new Request(`${fake.plexTvUrl}/api/v2/ping`, { headers: headers(), signal: own.signal }), {
        signal: given.signal
      })
      .then(
        () => {
          outcome = "answered"
        },
        (e: unknown) => {
          outcome = (e as Error).message
        }
      )
    await new Promise((resolve) => setImmediate(resolve))
    collectGarbage()
    await new Promise((resolve) => setImmediate(resolve))
    own.abort(new Error("given up"))
    for (let turn = 0; turn < 5 && outcome === "still waiting"; turn++) {
      await new Promise((resolve) => setImmediate(resolve))
    }
    assert.strictEqual(outcome, "given up")
    assert.deepStrictEqual(
      fake.requests().map((r) => [r.route, r.fault, r.outcome]),
      [["ping", "Hang", "Interrupted"]]
    )
  })
  it("answers the seeded account's token with its account, as the Effect kit's fake does", async () => {
    const fake = FakePlex.makeHandler({ accounts: [{ username: "carol", token: "carolToken0000000001" }] })
    assert.strictEqual(fake.token, "carolToken0000000001")
    const response = await fake.handler(
      new Request(`${FakePlex.defaults.plexTvUrl}/api/v2/user`, { headers: headers(fake.token) })
    )
    assert.strictEqual(response.status, 200)
    assert.strictEqual(((await response.json()) as { username: string }).username, "carol")
  })

  it("the same Request handed in twice at once: the first answered, the second still ends on its abort", async () => {
    const fake = FakePlex.makeHandler()
    fake.fault("ping", FakePlex.handlerFaults.hang, { times: 1 })
    const controller = new AbortController()
    // The Request is held by no one but the fake (the arrow's scope ends here).
    const [hanging, answered] = ((request: Request) => [fake.handler(request), fake.handler(request)])(
      new Request(`${fake.plexTvUrl}/api/v2/ping`, {
        headers: headers(fake.token),
        signal: controller.signal
      })
    )
    assert.strictEqual((await answered).status, 200)
    const outcome = hanging.then(
      () => "answered",
      (e: unknown) => (e as Error).message
    )
    await new Promise((resolve) => setImmediate(resolve))
    collectGarbage()
    await new Promise((resolve) => setImmediate(resolve))
    controller.abort(new Error("given up"))
    assert.strictEqual(await outcome, "given up")
  })

  it("an abort ends what the fake was waiting for: a body the caller never ends, a respond fault that ignores it", async () => {
    // Before, the handler followed the abort only where a fault did (a hang, a delay): it read a request body to
    // its end and awaited a respond fault's promise whatever the signal, so both stayed pending for ever, the
    // Request and its body kept with them.
    const fake = FakePlex.makeHandler()
    const controller = new AbortController()
    let cancelled: unknown = "not cancelled"
    const body = new ReadableStream<Uint8Array>({
      start: (stream) => stream.enqueue(new TextEncoder().encode("login=alice&password=")),
      cancel: (reason) => {
        cancelled = reason
      }
    })
    const reading = fake
      .handler(
        new Request(`${fake.plexTvUrl}/api/v2/users/signin`, {
          method: "POST",
          headers: { ...headers(), "Content-Type": "application/x-www-form-urlencoded" },
          body,
          duplex: "half",
          signal: controller.signal
        } as RequestInit)
      )
      .then(
        () => "answered",
        (e: unknown) => (e as Error).message
      )
    await new Promise((resolve) => setImmediate(resolve))
    const reason = new Error("given up")
    controller.abort(reason)
    assert.strictEqual(await reading, "given up")
    // The body is let go of: the stream the caller never ended is cancelled.
    await new Promise((resolve) => setImmediate(resolve))
    assert.notStrictEqual(cancelled, "not cancelled")
    // Given up before its body was read, it has no record (the fake records a request once it has read it).
    assert.deepStrictEqual(fake.requests(), [])

    let respondCalled = false
    fake.fault(
      "ping",
      FakePlex.handlerFaults.respond(() => {
        respondCalled = true
        return new Promise<Response>(() => {})
      }),
      { times: 1 }
    )
    const other = new AbortController()
    const responding = fake
      .handler(new Request(`${fake.plexTvUrl}/api/v2/ping`, { headers: headers(), signal: other.signal }))
      .then(
        () => "answered",
        (e: unknown) => e
      )
    while (!respondCalled) await new Promise((resolve) => setImmediate(resolve))
    other.abort(reason)
    assert.strictEqual(await responding, reason)
    assert.deepStrictEqual(
      fake.requests().map((r) => [r.route, r.fault, r.outcome]),
      [["ping", "Respond", "Interrupted"]]
    )
  })

  it("a body past maxRequestBodyBytes: answered 413, and the body the caller never ended is let go of", async () => {
    // The fake reads a body through a clone (a tee): both branches must be cancelled for the caller's stream to
    // be. Before, only the branch read was: the stream stayed open, the clone's branch keeping what it had queued.
    const fake = FakePlex.makeHandler({ maxRequestBodyBytes: 16 })
    let cancelled = false
    const body = new ReadableStream<Uint8Array>({
      start: (stream) =>
        stream.enqueue(new TextEncoder().encode("login=alice&password=far-more-than-sixteen-bytes")),
      cancel: () => {
        cancelled = true
      }
    })
    const response = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/users/signin`, {
        method: "POST",
        headers: { ...headers(), "Content-Type": "application/x-www-form-urlencoded" },
        body,
        duplex: "half"
      } as RequestInit)
    )
    assert.strictEqual(response.status, 413)
    for (let turn = 0; turn < 5 && !cancelled; turn++) await new Promise((resolve) => setImmediate(resolve))
    assert.isTrue(cancelled, "the caller's body stream was never cancelled")
    assert.deepStrictEqual(
      fake.requests().map((r) => [r.route, r.status, r.outcome]),
      [["postUsersSignInData", 413, "Responded"]]
    )
  })

  it("a Content-Length past maxRequestBodyBytes: answered 413 unread, and the body the caller never ended is let go of", async () => {
    // Refused on the declared length, before a byte is read: both branches of the tee are cancelled all the same.
    const fake = FakePlex.makeHandler({ maxRequestBodyBytes: 16 })
    let cancelled = false
    const body = new ReadableStream<Uint8Array>({
      start: (stream) => stream.enqueue(new TextEncoder().encode("login=alice")),
      cancel: () => {
        cancelled = true
      }
    })
    const response = await fake.handler(
      new Request(`${fake.plexTvUrl}/api/v2/users/signin`, {
        method: "POST",
        headers: {
          ...headers(),
          "Content-Type": "application/x-www-form-urlencoded",
          "Content-Length": "1000"
        },
        body,
        duplex: "half"
      } as RequestInit)
    )
    assert.strictEqual(response.status, 413)
    for (let turn = 0; turn < 5 && !cancelled; turn++) await new Promise((resolve) => setImmediate(resolve))
    assert.isTrue(cancelled, "the caller's body stream was never cancelled")
    assert.deepStrictEqual(
      fake.requests().map((r) => [r.route, r.status, r.outcome]),
      [["postUsersSignInData", 413, "Responded"]]
    )
  })

  it("an abort that comes once the answer is made is too late for it: answered and Responded, else rejected and Interrupted", async () => {
    // The abort comes k microtasks after the call, for every k across the moment the answer is made. 705e088 raced
    // the whole handler against the abort: an abort in the turn after the answer was made and recorded `Responded`
    // rejected the handler all the same (the answer lost, the record saying it was given).
    const fake = FakePlex.makeHandler()
    const givenUp = new Error("given up")
    const seen = new Set<string>()
    const respondAtOnce = FakePlex.handlerFaults.respond(() => Promise.resolve(new Response("at once")))
    for (const scripted of [undefined, respondAtOnce, FakePlex.handlerFaults.status(503)]) {
      for (const ownSignal of [true, false]) {
        for (let k = 0; k < 24; k++) {
          fake.clearFaults()
          if (scripted !== undefined) fake.fault("ping", scripted, { times: 1 })
          const controller = new AbortController()
          const before = fake.requests().length
          const request = new Request(`${fake.plexTvUrl}/api/v2/ping`, {
            headers: headers(),
            signal: controller.signal
          })
          const result = (
            ownSignal ? fake.handler(request, { signal: controller.signal }) : fake.handler(request)
          ).then(
            () => "answered",
            (e: unknown) => (e === givenUp ? "given up" : String(e))
          )
          let hops: Promise<void> = Promise.resolve()
          for (let i = 0; i < k; i++) hops = hops.then(() => undefined)
          void hops.then(() => controller.abort(givenUp))
          const answer = await result
          const outcomes = fake
            .requests()
            .slice(before)
            .map((r) => r.outcome)
          // Answered and recorded `Responded`, or given up and recorded `Interrupted` (not recorded at all when the
          // abort came before the handler read the request).
          const expected = answer === "answered" ? [["Responded"]] : [["Interrupted"], []]
          assert.deepInclude(expected, outcomes, `k=${k}: ${answer}, recorded ${JSON.stringify(outcomes)}`)
          seen.add(answer)
        }
      }
    }
    assert.deepStrictEqual([...seen].sort(), ["answered", "given up"])
  })

  it("an abort in the turn the request's body was read in: given up with no record, never a record left Pending", async () => {
    // The abort comes k microtasks after the call, for every k across the end of the body's read. Before, an abort
    // between the end of the read and the record missed the record's abort listener (added to a signal already
    // aborted): the handler rejected and the record stayed `Pending` for ever (k = 3 here, Node 20 and 22).
    const fake = FakePlex.makeHandler()
    const givenUp = new Error("given up")
    const seen = new Set<string>()
    for (let k = 0; k < 32; k++) {
      const controller = new AbortController()
      const before = fake.requests().length
      const answer = fake
        .handler(
          new Request(`${fake.plexTvUrl}/api/v2/users/signin`, {
            method: "POST",
            headers: { ...headers(), "Content-Type": "application/x-www-form-urlencoded" },
            body: "login=alice&password=wrong",
            signal: controller.signal
          }),
          { signal: controller.signal }
        )
        .then(
          () => "answered",
          (e: unknown) => (e === givenUp ? "given up" : String(e))
        )
      let hops: Promise<void> = Promise.resolve()
      for (let i = 0; i < k; i++) hops = hops.then(() => undefined)
      void hops.then(() => controller.abort(givenUp))
      const result = await answer
      const outcomes = fake
        .requests()
        .slice(before)
        .map((r) => r.outcome)
      const expected = result === "answered" ? [["Responded"]] : [["Interrupted"], []]
      assert.deepInclude(expected, outcomes, `k=${k}: ${result}, recorded ${JSON.stringify(outcomes)}`)
      seen.add(result)
    }
    assert.deepStrictEqual([...seen].sort(), ["answered", "given up"])
  })

  it("a refusal's cause names the address as Node's connect error does (IPv6 without brackets, the port written)", async () => {
    const fake = FakePlex.makeHandler()
    const refusal = async (url: string) => {
      const error = await fake.handler(new Request(url)).then(
        () => undefined,
        (e: unknown) => e
      )
      assert.instanceOf(error, FakePlex.HandlerConnectionFailure)
      return ((error as Error).cause as Error).message
    }
    // What Node 20's fetch says for each (a refused port at [::1] said `connect ECONNREFUSED ::1:39991`).
    assert.strictEqual(
      await refusal("http://[2001:db8::1]:32400/identity"),
      "connect ECONNREFUSED 2001:db8::1:32400"
    )
    assert.strictEqual(await refusal("http://192.0.2.1/identity"), "connect ECONNREFUSED 192.0.2.1:80")
    assert.strictEqual(await refusal("https://192.0.2.1/identity"), "connect ECONNREFUSED 192.0.2.1:443")
    assert.strictEqual(
      await refusal("http://192.0.2.1:32400/identity"),
      "connect ECONNREFUSED 192.0.2.1:32400"
    )
  })

  it("scripted faults are plain data; a refusal rejects with a TypeError as fetch does", async () => {
    const fake = FakePlex.makeHandler()
    fake.fault("ping", FakePlex.handlerFaults.refuse, { times: 1 })
    const request = () => new Request(`${fake.plexTvUrl}/api/v2/ping`, { headers: headers(fake.token) })
    const error = await fake.handler(request()).then(
      () => undefined,
      (e: unknown) => e
    )
    assert.instanceOf(error, TypeError)
    assert.instanceOf(error, FakePlex.HandlerConnectionFailure)
    assert.strictEqual(((error as Error).cause as { code?: string }).code, "ECONNREFUSED")
    assert.strictEqual((await fake.handler(request())).status, 200)
    assert.deepStrictEqual(
      fake.requests().map((r) => [r.route, r.outcome]),
      [
        ["ping", "Refused"],
        ["ping", "Responded"]
      ]
    )
  })

  it("records hide the token: it prints as <redacted>, reveal() gives it", async () => {
    const fake = FakePlex.makeHandler()
    await fake.handler(new Request(`${fake.plexTvUrl}/api/v2/user`, { headers: headers(fake.token) }))
    const recorded = fake.requests()[0]?.headers["x-plex-token"]
    assert.notInclude(JSON.stringify(fake.requests()), fake.token)
    assert.strictEqual(String(recorded), "<redacted>")
    const secret: FakePlex.HandlerSecret | undefined = typeof recorded === "object" ? recorded : undefined
    assert.strictEqual(secret?.reveal(), fake.token)
  })
})
