/**
 * The resources facts both editions share (src/core/resources.ts): candidate
 * rules, rank classes, and when the choice among racing probes is certain.
 */
import { assert, describe, it } from "vitest"
import * as D from "../../src/core/decode.js"
import * as R from "../../src/core/resources.js"
import { Box, secret, secrets } from "./box.js"

const connection = (uri: string, flags: Partial<R.ConnectionFacts> = {}): R.ConnectionFacts => ({
  uri,
  local: false,
  relay: false,
  IPv6: false,
  ...flags
})

describe("core/resources", () => {
  it("candidates: local first, relays last, https before http, relays only at their uri", () => {
    const list = R.candidates({
      connections: [
        connection("https://203-0-113-3.x.plex.direct:8443", {
          relay: true,
          address: "203.0.113.3",
          port: 8443
        }),
        connection("https://198-51-100-7.x.plex.direct:32400", { address: "198.51.100.7", port: 32400 }),
        connection("https://192-168-1-10.x.plex.direct:32400", {
          local: true,
          address: "192.168.1.10",
          port: 32400
        })
      ]
    })
    assert.deepStrictEqual(
      list.map((c) => [c.location, c.uri]),
      [
        ["local", "https://192-168-1-10.x.plex.direct:32400"],
        ["local", "http://192.168.1.10:32400"],
        ["remote", "https://198-51-100-7.x.plex.direct:32400"],
        ["relay", "https://203-0-113-3.x.plex.direct:8443"]
      ]
    )
    assert.deepStrictEqual(
      R.candidates({
        connections: [connection("http://192.168.1.10:32400", { local: true })],
        httpsRequired: true
      }),
      []
    )
  })

  it("candidates: a remote connection's made-up http://address:port only with httpsOnly false", () => {
    const remote = connection("https://198-51-100-7.x.plex.direct:32400", {
      address: "198.51.100.7",
      port: 32400
    })
    const uris = (rules: R.CandidateRules) => R.candidates({ connections: [remote] }, rules).map((c) => c.uri)
    assert.deepStrictEqual(uris({}), ["https://198-51-100-7.x.plex.direct:32400"])
    assert.deepStrictEqual(uris({ httpsOnly: true }), ["https://198-51-100-7.x.plex.direct:32400"])
    assert.deepStrictEqual(uris({ httpsOnly: false }), [
      "https://198-51-100-7.x.plex.direct:32400",
      "http://198.51.100.7:32400"
    ])
  })

  it("rank classes: ties share a class", () => {
    const rank = R.preferring({})
    const list = R.candidates({
      connections: [
        connection("http://192.0.2.10:32400", { local: true }),
        connection("http://192.0.2.11:32400", { local: true }),
        connection("http://198.51.100.1:32400")
      ]
    })
    assert.deepStrictEqual(R.rankClasses(list, rank), [0, 0, 1])
  })

  it("the choice: certain once every better-ranked probe failed; else the best answer at the deadline", () => {
    const choice = R.makeChoice([0, 1, 2], 250)
    choice.settle(2, true, 5)
    assert.isUndefined(choice.certain(5), "better-ranked probes are pending")
    assert.strictEqual(choice.deadline(), 255)
    assert.strictEqual(choice.wait(5), 250, "until the grace window closes")
    assert.strictEqual(choice.bestAnswered(), 2)
    choice.settle(0, false, 7)
    assert.isUndefined(choice.certain(7))
    choice.settle(1, true, 9)
    assert.strictEqual(choice.certain(9), 1)
    assert.strictEqual(choice.pending(), 0)
    assert.strictEqual(choice.deadline(), 255, "counted from the first answer")
  })

  it("a probe ending as the grace window closes, or after, comes too late", () => {
    const choice = R.makeChoice([0, 1], 250)
    assert.isFalse(choice.tooLate(300), "no window before the first answer")
    choice.settle(1, true, 5)
    assert.isFalse(choice.tooLate(254))
    assert.isTrue(choice.tooLate(255))
    assert.isTrue(choice.tooLate(400))
  })

  it("a zero grace window: answers in the first answer's millisecond count, whichever is settled first", () => {
    // The deadline is the first answer's own instant: an end then is not too late, and the choice waits for that
    // millisecond to be over (1 ms, never 0: no wait that ends at once, over and over).
    for (const order of [
      [2, 0],
      [0, 2]
    ]) {
      const choice = R.makeChoice([0, 1, 2], 0)
      for (const index of order) choice.settle(index, true, 2)
      assert.strictEqual(choice.bestAnswered(), 0, `settled ${order.join(", ")}`)
      assert.strictEqual(choice.certain(2), 0)
    }
    const choice = R.makeChoice([0, 1, 2], 0)
    choice.settle(2, true, 2)
    assert.strictEqual(choice.deadline(), 2)
    assert.isFalse(choice.tooLate(2))
    assert.strictEqual(choice.wait(2), 1)
    assert.isTrue(choice.tooLate(2.5))
    assert.isTrue(choice.tooLate(3))
    // Ties: the one listed first, answering in the same millisecond as one listed after it.
    const ties = R.makeChoice([0, 0], 0)
    ties.settle(1, true, 3)
    assert.isFalse(ties.tooLate(3))
    assert.strictEqual(ties.wait(3), 1)
    ties.settle(0, true, 3)
    assert.strictEqual(ties.certain(3), 0)
  })

  it("equally good candidates: the first to answer wins, once its millisecond is over", () => {
    const choice = R.makeChoice([0, 0], 250)
    choice.settle(1, true, 3)
    // The tie listed first may still answer in the same millisecond: wait for it, at most until 4 ms.
    assert.isUndefined(choice.certain(3))
    assert.strictEqual(choice.wait(3), 1)
    assert.strictEqual(choice.certain(4), 1)
    // A tie listed after the first answer is not waited for.
    const first = R.makeChoice([0, 0], 250)
    first.settle(0, true, 3)
    assert.strictEqual(first.certain(3), 0)
  })

  it("equally good candidates answering in the same millisecond: the first in the candidates' order", () => {
    // Whichever end is settled first: by times and places, not by the order the scheduler ran them in.
    for (const order of [
      [1, 0],
      [0, 1]
    ]) {
      const choice = R.makeChoice([0, 0, 1], 250)
      for (const index of order) choice.settle(index, true, 3)
      assert.strictEqual(choice.bestAnswered(), 0)
      assert.strictEqual(choice.certain(3), 0)
    }
    // Sooner beats listed first among ties; a better rank beats both.
    const sooner = R.makeChoice([0, 0, 1], 250)
    sooner.settle(2, true, 1)
    sooner.settle(1, true, 2)
    sooner.settle(0, true, 3)
    assert.strictEqual(sooner.bestAnswered(), 1)
  })

  it("finds a server by identifier, exact name, then name ignoring case", () => {
    const servers = [
      { clientIdentifier: "a", name: "Den" },
      { clientIdentifier: "b", name: "den" },
      { clientIdentifier: "Den", name: "Attic" }
    ]
    assert.strictEqual(R.findServer(servers, "Den")?.name, "Attic")
    assert.strictEqual(R.findServer(servers, "den")?.clientIdentifier, "b")
    assert.strictEqual(R.findServer(servers, "ATTIC")?.clientIdentifier, "Den")
    assert.isUndefined(R.findServer(servers, "Garage"))
    assert.strictEqual(R.wrongServer("x", "y"), "answered as server x, not y")
    assert.isUndefined(R.wrongServer("x", "x"))
    assert.strictEqual(R.failureReason({ _tag: "NetworkError", reason: "Timeout" }), "NetworkError/Timeout")
    assert.strictEqual(R.failureReason({ _tag: "InvalidInput", reason: "bad" }), "InvalidInput")
  })
})

describe("core/resources: what became of each probe", () => {
  const candidate = {
    uri: "https://10-0-0-5.abc.plex.direct:32400",
    location: "local",
    protocol: "https"
  } as const

  it("cancelled when unsettled at the choice, reachable, or failed with its reason and detail", () => {
    assert.deepStrictEqual(R.attempt(candidate, undefined, 250), {
      ...candidate,
      outcome: "Cancelled",
      millis: 250
    })
    assert.deepStrictEqual(R.attempt(candidate, { millis: 12, failure: undefined }, 250), {
      ...candidate,
      outcome: "Reachable",
      millis: 12
    })
    const timeout = R.probeFailed({ _tag: "NetworkError", reason: "Timeout", message: "timed out" })
    assert.deepStrictEqual(timeout, {
      outcome: "Failed",
      reason: "NetworkError/Timeout",
      detail: "timed out"
    })
    assert.deepStrictEqual(R.attempt(candidate, { millis: 40, failure: timeout }, 250), {
      ...candidate,
      outcome: "Failed",
      millis: 40,
      reason: "NetworkError/Timeout",
      detail: "timed out"
    })
    assert.deepStrictEqual(R.probeWrongServer("answered as server b, not a"), {
      outcome: "WrongServer",
      reason: "WrongServer",
      detail: "answered as server b, not a"
    })
    assert.strictEqual(R.probeDefect.reason, "Defect")
  })

  it("span attributes per probe, the reason only when there is one", () => {
    const attempts = [
      R.attempt(candidate, { millis: 12, failure: undefined }, 250),
      R.attempt(candidate, { millis: 40, failure: R.probeDefect }, 250)
    ]
    assert.deepStrictEqual(R.attemptAttributes(attempts), {
      "plex.probe.0.uri": candidate.uri,
      "plex.probe.0.outcome": "Reachable",
      "plex.probe.0.millis": 12,
      "plex.probe.1.uri": candidate.uri,
      "plex.probe.1.outcome": "Failed",
      "plex.probe.1.millis": 40,
      "plex.probe.1.reason": "Defect"
    })
  })

  it("NoReachableConnection's message: alike causes once, in the order tried; differing ones apart", () => {
    const failed = (uri: string, location: string, reason: string, detail?: string) => ({
      uri,
      location,
      outcome: reason === "Cancelled" || reason === "WrongServer" ? reason : "Failed",
      ...(reason === "Cancelled" ? {} : { reason }),
      ...(detail === undefined ? {} : { detail })
    })
    const message = R.noReachableConnectionMessage({
      operation: "Resources.connect",
      server: "Den",
      clientIdentifier: "abc",
      attempts: [
        failed(
          "http://10.0.0.2:32400",
          "local",
          "NetworkError/Timeout",
          "Resources.connect: GET http://10.0.0.2:32400/identity timed out"
        ),
        failed("https://h.plex.direct:32400/", "remote", "WrongServer", "answered as server b, not abc"),
        failed(
          "http://10.0.0.3:32400",
          "local",
          "NetworkError/Timeout",
          "Resources.connect: GET http://10.0.0.3:32400/identity timed out"
        ),
        failed("https://relay.example:8443", "relay", "WrongServer", "answered as server c, not abc"),
        failed("http://10.0.0.4:1", "local", "Cancelled"),
        failed("http://10.0.0.5:1", "local", "Cancelled")
      ]
    })
    assert.strictEqual(
      message,
      'Resources.connect: no connection to "Den" (abc) answered: ' +
        "http://10.0.0.2:32400 (local), http://10.0.0.3:32400 (local): NetworkError/Timeout (GET <address>/identity timed out); " +
        "https://h.plex.direct:32400/ (remote): WrongServer (answered as server b, not abc); " +
        "https://relay.example:8443 (relay): WrongServer (answered as server c, not abc); " +
        "http://10.0.0.4:1 (local), http://10.0.0.5:1 (local): Cancelled"
    )
  })

  // Issue insecure41 made up no http://address:port for a remote connection unless httpsOnly: false: a user whose remote
  // HTTPS fails (a blocked plex.direct name) saw only that failure, not that plain HTTP was never tried there.
  it("NoReachableConnection's message: a remote HTTPS failure with no plain HTTP tried there says what httpsOnly: false would try", () => {
    const attempt = (uri: string, location: string, outcome = "Failed") => ({
      uri,
      location,
      outcome,
      reason: outcome === "Failed" ? "NetworkError/Timeout" : outcome,
      detail: outcome === "Failed" ? "timed out" : "answered as server b, not abc"
    })
    const message = (...attempts: ReadonlyArray<ReturnType<typeof attempt>>) =>
      R.noReachableConnectionMessage({
        operation: "Resources.connect",
        server: "Den",
        clientIdentifier: "abc",
        attempts
      })
    const REMOTE = "https://203-0-113-7.abc.plex.direct:32400"
    assert.strictEqual(
      message(attempt("http://10.0.0.2:32400", "local"), attempt(REMOTE, "remote")),
      'Resources.connect: no connection to "Den" (abc) answered: ' +
        `http://10.0.0.2:32400 (local), ${REMOTE} (remote): NetworkError/Timeout (timed out); ` +
        "remote connections were tried over HTTPS only: httpsOnly: false would also try plain HTTP at their public " +
        "addresses (http://address:port), sending the server's token over the internet unencrypted"
    )
    assert.isTrue(message(attempt(REMOTE, "remote")).endsWith(R.remoteHttpsOnlyHint))
    // Not for a server that requires secure connections: it takes no plain HTTP.
    assert.notInclude(
      R.noReachableConnectionMessage({
        operation: "Resources.connect",
        server: "Den",
        clientIdentifier: "abc",
        httpsRequired: true,
        attempts: [attempt(REMOTE, "remote")]
      }),
      "httpsOnly"
    )
    // Not when plain HTTP was tried at a remote address, nor when the remote HTTPS address answered as another
    // server, nor for local or relay connections alone.
    for (const attempts of [
      [attempt(REMOTE, "remote"), attempt("http://203.0.113.7:32400", "remote")],
      [attempt(REMOTE, "remote", "WrongServer")],
      [
        attempt("https://192-168-1-2.abc.plex.direct:32400", "local"),
        attempt("https://relay.example:8443", "relay")
      ]
    ]) {
      assert.notInclude(message(...attempts), "httpsOnly", JSON.stringify(attempts.map((a) => a.uri)))
    }
  })

  it("NoReachableConnection's message: addresses as Node's errors write them (IPv6 without brackets, a name alone)", () => {
    // Each detail as Node 20's fetch gave it for a refused loopback port and a name that does not resolve.
    const failed = (uri: string, detail: string) => ({
      uri,
      location: "local",
      outcome: "Failed",
      reason: "NetworkError/Transport",
      detail: `Resources.connect: could not reach GET ${uri}/identity: fetch failed: ${detail}`
    })
    const message = R.noReachableConnectionMessage({
      operation: "Resources.connect",
      server: "Den",
      clientIdentifier: "abc",
      attempts: [
        failed("http://[::1]:39991", "ECONNREFUSED: connect ECONNREFUSED ::1:39991"),
        failed("http://127.0.0.1:39992", "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:39992"),
        failed("http://[fe80::1]", "ECONNREFUSED: connect ECONNREFUSED fe80::1:80"),
        // localhost resolved to 127.0.0.1: its detail names what it reached, and stays apart.
        failed("http://localhost:39993", "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:39993"),
        failed("https://a.example:32400", "ENOTFOUND: getaddrinfo ENOTFOUND a.example"),
        failed("https://b.example:32400", "ENOTFOUND: getaddrinfo ENOTFOUND b.example")
      ]
    })
    assert.strictEqual(
      message,
      'Resources.connect: no connection to "Den" (abc) answered: ' +
        "http://[::1]:39991 (local), http://127.0.0.1:39992 (local), http://[fe80::1] (local): NetworkError/Transport " +
        "(could not reach GET <address>/identity: fetch failed: ECONNREFUSED: connect ECONNREFUSED <address>); " +
        "http://localhost:39993 (local): NetworkError/Transport (could not reach GET http://localhost:39993/identity: " +
        "fetch failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:39993); " +
        "https://a.example:32400 (local), https://b.example:32400 (local): NetworkError/Transport " +
        "(could not reach GET <address>/identity: fetch failed: ENOTFOUND: getaddrinfo ENOTFOUND <address>)"
    )
  })

  it("NoReachableConnection's message: a name is replaced only where it is the address, not as a word elsewhere", () => {
    // Two ways to a host named "server" that both answered as another server: the detail's word "server" stays.
    const wrong = (uri: string) => ({
      uri,
      location: "local",
      outcome: "WrongServer",
      reason: "WrongServer",
      detail: "answered as server b, not abc"
    })
    const message = R.noReachableConnectionMessage({
      operation: "Resources.connect",
      server: "Den",
      clientIdentifier: "abc",
      attempts: [wrong("https://server:32400"), wrong("http://server:32400")]
    })
    assert.strictEqual(
      message,
      'Resources.connect: no connection to "Den" (abc) answered: ' +
        "https://server:32400 (local), http://server:32400 (local): WrongServer (answered as server b, not abc)"
    )
  })

  it("span attributes of the race (server, candidates, timeout, grace) and of the connection chosen", () => {
    assert.deepStrictEqual(
      R.raceAttributes({ serverId: "abc", candidates: 3, timeoutMillis: 5000, graceMillis: 250 }),
      {
        "plex.server.id": "abc",
        "plex.candidates": 3,
        "plex.probe.timeout_ms": 5000,
        "plex.probe.grace_ms": 250
      }
    )
    assert.deepStrictEqual(R.chosenAttributes({ uri: candidate.uri, location: "Local" }, 12), {
      "plex.connection.uri": candidate.uri,
      "plex.connection.location": "Local",
      "plex.connection.elapsed_ms": 12
    })
  })
})

describe("core/resources payload tables", () => {
  const device = D.struct(R.deviceFields(secret, D.struct(R.deviceConnectionFields(), secrets)), secrets)

  it("a device: only clientIdentifier required; name, provides and owned defaulted; its accessToken a secret", () => {
    assert.deepStrictEqual<unknown>(device.decode({ clientIdentifier: 7 }), {
      clientIdentifier: "7",
      name: "",
      provides: "",
      owned: false,
      connections: []
    })
    assert.isTrue(device.decode({ name: "Server" }) instanceof D.Failure)
    const decoded = device.decode({
      clientIdentifier: "abc",
      name: "Server",
      provides: "server",
      owned: "1",
      accessToken: "token",
      connections: [{ uri: "https://10-0-0-2.x.plex.direct:32400", port: "32400", local: 1 }, { port: "x" }]
    }) as Record<string, unknown>
    assert.instanceOf(decoded["accessToken"], Box)
    assert.strictEqual(decoded["owned"], true)
    // A connection: every field optional, each kind false when absent, a malformed field dropped.
    assert.deepStrictEqual<unknown>(decoded["connections"], [
      { uri: "https://10-0-0-2.x.plex.direct:32400", port: 32400, local: true, relay: false, IPv6: false },
      { local: false, relay: false, IPv6: false }
    ])
  })

  it("a server's identity: its machine identifier required, version and claimed when well-formed", () => {
    const identity = D.struct(R.serverIdentityFields(), secrets)
    assert.deepStrictEqual<unknown>(
      identity.decode({ machineIdentifier: "m", version: "1.40", claimed: true }),
      {
        machineIdentifier: "m",
        version: "1.40",
        claimed: true
      }
    )
    assert.isTrue(identity.decode({ version: "1.40" }) instanceof D.Failure)
  })

  it("connectionsProblem: an array of objects, else the one refusal text", () => {
    assert.isUndefined(R.connectionsProblem([]))
    assert.isUndefined(R.connectionsProblem([{ uri: "https://a" }]))
    for (const value of [undefined, null, {}, "a", [null], [{}, 1]]) {
      assert.strictEqual(R.connectionsProblem(value), "must be an array of connections", String(value))
    }
  })
})
