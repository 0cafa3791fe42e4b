import { assert, describe } from "@effect/vitest"
import { Effect, Redacted, Schedule, TestClock } from "effect"
import { Claim, Credentials, Resources, RetryPolicy, ServerAccess } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault } from "effect-plex-auth/testing"
import { inspect } from "node:util"
import { it } from "../support/it.js"
import { assertNoSecrets, renderings, withCapturedLogs, withRecordedSpans } from "../support/observe.js"
import { as, onLoopback, TestLive } from "./support.js"

const fresh = Effect.map(FakePlexServer.FakePlexServer, (loopback) => loopback.fake.servers[1]!)

describe("Claim over loopback", () => {
  it.scoped("a claim token, then claiming an unclaimed server: the account owns it", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const server = yield* fresh
      const claimToken = yield* as("alice")(Claim.token())
      assert.isTrue(Redacted.isRedacted(claimToken))
      assert.match(Redacted.value(claimToken), /^claim-[A-Za-z0-9]{20}$/)
      assert.strictEqual((yield* as("alice")(ServerAccess.check(server.clientIdentifier)))._tag, "NoAccess")

      yield* loopback.fake.clearRequests
      const identity = yield* as("alice")(Claim.claimServer(server.url))
      assert.isTrue(identity.claimed)
      assert.strictEqual(identity.machineIdentifier, server.clientIdentifier)
      // Identity, a fresh claim token from plex.tv, the claim, identity again; no account token to the server.
      const requests = yield* loopback.fake.requests
      assert.deepStrictEqual(
        requests.map((r) => r.route),
        ["getServerIdentity", "getClaimToken", "claimServer", "getServerIdentity"]
      )
      const claim = requests[2]!
      assert.strictEqual(claim.method, "POST")
      assert.notProperty(claim.headers, "x-plex-token")
      assert.isTrue(Redacted.isRedacted(claim.query["token"]))

      const owned = yield* as("alice")(Resources.servers())
      assert.isTrue(owned.some((s) => s.clientIdentifier === server.clientIdentifier && s.owned))
      assert.strictEqual((yield* as("alice")(ServerAccess.check(server.clientIdentifier)))._tag, "Owner")
    }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "the claim token (a query parameter on the wire) never shows: not in a span, a log line, an error",
    () =>
      Effect.gen(function* () {
        const server = yield* fresh
        const stale = yield* as("alice")(Claim.token())
        yield* TestClock.adjust("5 minutes")
        const claimToken = yield* as("alice")(Claim.token())
        const run = (token: Redacted.Redacted<string>) =>
          withCapturedLogs(
            withRecordedSpans(as("alice")(Claim.claimServer(server.url, { claimToken: token })))
          )
        const refused = yield* run(stale)
        const claimed = yield* run(claimToken)
        const texts: Array<string> = [...refused.lines, ...claimed.lines]
        const tags: Array<string> = []
        for (const observed of [refused, claimed]) {
          if (observed.exit._tag !== "Success") continue
          const { exit, spans } = observed.exit.value
          tags.push(exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error._tag : exit._tag)
          assert.isTrue(spans.some((span) => span.name === "Claim.claimServer" && span.kind === "client"))
          // No span carries the claim's query: its client span has `url.path`; no platform span has its `url.full`.
          for (const span of spans) {
            assert.notInclude(String(span.attributes.get("url.full") ?? ""), "/myplex/claim", span.name)
          }
          texts.push(...spans.map((span) => span.render()), inspect(exit, { depth: 10 }))
          if (exit._tag === "Failure" && exit.cause._tag === "Fail")
            texts.push(...Object.values(renderings(exit.cause.error)))
        }
        assert.deepStrictEqual(tags, ["ClaimRejected", "Success"])
        assertNoSecrets(texts, [Redacted.value(stale), Redacted.value(claimToken)])
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a claimed server: the account token plex.tv's list is read with never shows: not in a span, a log line, the error",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const den = loopback.fake.servers[0]!
        const tokens: Array<string> = []
        for (const login of ["alice", "carol", "dave"])
          tokens.push(Redacted.value((yield* loopback.fake.account(login)).token))
        const run = (login: string) =>
          withCapturedLogs(withRecordedSpans(as(login)(Claim.claimServer(den.url))))
        const runs = [yield* run("alice"), yield* run("carol"), yield* run("dave")]
        // The list unreadable (its failure is no error of the claim's, but its span and logs are there).
        yield* loopback.fake.fault("getServerResources", Fault.status(503))
        runs.push(yield* run("alice"))
        yield* loopback.fake.clearFaults
        const texts: Array<string> = []
        const claimedBy: Array<string> = []
        for (const observed of runs) {
          texts.push(...observed.lines)
          if (observed.exit._tag !== "Success") continue
          const { exit, spans } = observed.exit.value
          // The list was read, in a span of its own.
          assert.isTrue(spans.some((span) => span.name === "Resources.servers"))
          texts.push(...spans.map((span) => span.render()), inspect(exit, { depth: 10 }))
          if (exit._tag === "Failure" && exit.cause._tag === "Fail") {
            const error = exit.cause.error
            if (error._tag === "ServerAlreadyClaimed") claimedBy.push(error.claimedBy)
            texts.push(...Object.values(renderings(error)))
          }
        }
        assert.deepStrictEqual(claimedBy, ["ThisAccount", "AnotherAccount", "Unknown", "Unknown"])
        // What is looked through has the list's request (its spans' URL), where the token went as a header.
        assert.isTrue(texts.some((text) => text.includes("/api/v2/resources")))
        assertNoSecrets(texts, tokens)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a token plex.tv refuses (revoked, never issued): Unauthorized, the server claimed or not, and nothing claimed",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const den = loopback.fake.servers[0]!
        const server = yield* fresh
        assert.isTrue(yield* loopback.fake.revokeToken((yield* loopback.fake.account("alice")).token))
        const unknownToken = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          onLoopback(effect.pipe(Credentials.withToken("never-issued-token-00000")))
        // A claimed server: plex.tv's list (read to say whose it is) refuses the token. That is the claim's error,
        // not ServerAlreadyClaimed's Unknown (the token is what to fix: sign in again), as for an unclaimed server,
        // where the claim token's request is refused.
        const cases = [
          ["revoked, claimed", as("alice")(Claim.claimServer(den.url)), "Resources.servers", 422],
          ["unknown, claimed", unknownToken(Claim.claimServer(den.url)), "Resources.servers", 401],
          ["revoked, unclaimed", as("alice")(Claim.claimServer(server.url)), "Claim.token", 422],
          ["unknown, unclaimed", unknownToken(Claim.claimServer(server.url)), "Claim.token", 401]
        ] as const
        for (const [name, claim, operation, status] of cases) {
          yield* loopback.fake.clearRequests
          const error = yield* Effect.flip(claim)
          assert.deepStrictEqual(
            error._tag === "Unauthorized" ? [error.operation, error.status] : error._tag,
            [operation, status],
            name
          )
          assert.match(error.message, /: not authorized \(HTTP 4\d\d\).*; sign in again$/, name)
          // Nothing went to the server but its /identity: no claim token was asked for, or none was taken.
          const routes = (yield* loopback.fake.requests).map((r) => r.route)
          assert.deepStrictEqual(
            routes,
            ["getServerIdentity", operation === "Claim.token" ? "getClaimToken" : "getServerResources"],
            name
          )
        }
        assert.isUndefined((yield* loopback.fake.server(server.clientIdentifier)).ownerId)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped("a claimed server, an expired or unknown claim token, a bad URL, a refused connection", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const server = yield* fresh
      const den = loopback.fake.servers[0]!

      const already = yield* Effect.flip(as("alice")(Claim.claimServer(den.url)))
      assert.strictEqual(already._tag, "ServerAlreadyClaimed")
      // alice's own (among her servers on plex.tv, owned): the error says so, and that there is nothing to do.
      if (already._tag === "ServerAlreadyClaimed") {
        assert.strictEqual(already.claimedBy, "ThisAccount")
        assert.strictEqual(
          already.message,
          `Claim.claimServer: the server ${den.clientIdentifier} at ${den.url} is already claimed by this account: nothing to do`
        )
      }
      // carol's list shows it shared with her, not owned: another account's.
      const others = yield* Effect.flip(as("carol")(Claim.claimServer(den.url)))
      assert.deepStrictEqual(
        others._tag === "ServerAlreadyClaimed" ? [others.claimedBy, others.message] : others._tag,
        [
          "AnotherAccount",
          `Claim.claimServer: the server ${den.clientIdentifier} at ${den.url} is already claimed by another account (plex.tv lists it for this account, but not as its own): sign in as its owner, or have the owner remove it from their account (their authorized devices; Devices.revoke) and claim it again`
        ]
      )
      // dave's list does not have it at all: not known whose (a server claimed moments ago may not be listed yet, so
      // not listed is no proof of another owner), as when plex.tv's list fails (a 503: no other error; a refused token
      // is, the test above). The message says both, and how to find out.
      const notListed = yield* Effect.flip(as("dave")(Claim.claimServer(den.url)))
      yield* loopback.fake.fault("getServerResources", Fault.status(503))
      const notRead = yield* Effect.flip(as("alice")(Claim.claimServer(den.url)))
      // Read in one attempt whatever the caller's retry policy (a policy that would retry the 503 three times): the
      // claim has failed already, and its error does not wait out a backoff for its words.
      yield* loopback.fake.clearRequests
      const underPolicy = yield* Effect.flip(
        as("alice")(Claim.claimServer(den.url)).pipe(
          RetryPolicy.withPolicy(RetryPolicy.make(Schedule.recurs(3)))
        )
      )
      assert.strictEqual(
        underPolicy._tag === "ServerAlreadyClaimed" ? underPolicy.claimedBy : underPolicy._tag,
        "Unknown"
      )
      assert.strictEqual(
        (yield* loopback.fake.requests).filter((r) => r.route === "getServerResources").length,
        1
      )
      yield* loopback.fake.clearFaults
      const notKnown = [
        "Unknown",
        `Claim.claimServer: the server ${den.clientIdentifier} at ${den.url} is already claimed, by this account or another (plex.tv's list of this account's servers could not be read, or does not have it: a server claimed moments ago may not be listed yet; Resources.servers() lists it, owned, once it is this account's): if another's, sign in as its owner, or have the owner remove it from their account (their authorized devices; Devices.revoke) and claim it again`
      ]
      assert.deepStrictEqual(
        [notListed, notRead].map((error) =>
          error._tag === "ServerAlreadyClaimed" ? [error.claimedBy, error.message] : error._tag
        ),
        [notKnown, notKnown]
      )
      // Found out before a claim token was asked for.
      assert.isFalse((yield* loopback.fake.requests).some((r) => r.route === "getClaimToken"))
      // A claim token given is not sent either: not to the server (claimed), nor to plex.tv with its list.
      yield* loopback.fake.clearRequests
      const given = yield* Effect.flip(
        as("alice")(Claim.claimServer(den.url, { claimToken: "claim-given-secret" }))
      )
      assert.strictEqual(given._tag, "ServerAlreadyClaimed")
      const sent = yield* loopback.fake.requests
      assert.deepStrictEqual(
        sent.map((r) => r.route),
        ["getServerIdentity", "getServerResources"]
      )
      // Every value as sent, its Redacted ones too (JSON.stringify would call their toJSON first).
      const reveal = (value: unknown): unknown =>
        Redacted.isRedacted(value)
          ? Redacted.value(value)
          : Array.isArray(value)
            ? value.map(reveal)
            : typeof value === "object" && value !== null
              ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, reveal(inner)]))
              : value
      for (const r of sent)
        assert.notInclude(
          JSON.stringify(reveal([r.path, r.query, r.headers, r.form, r.json])),
          "claim-given-secret",
          r.route
        )

      // Claimed by someone else between its /identity (scripted: still unclaimed) and the claim: the server's own
      // answer to a claim it will not take, 401 as a real server gives it (the fake answered 400).
      const staleIdentity = JSON.stringify({
        MediaContainer: {
          size: 0,
          claimed: false,
          machineIdentifier: den.clientIdentifier,
          version: "1.41.0"
        }
      })
      yield* loopback.fake.fault(
        "getServerIdentity",
        Fault.respond(() =>
          Effect.succeed(new Response(staleIdentity, { headers: { "content-type": "application/json" } }))
        ),
        { times: 1 }
      )
      const raced = yield* Effect.flip(as("alice")(Claim.claimServer(den.url)))
      assert.strictEqual(raced._tag, "ClaimRejected")
      if (raced._tag === "ClaimRejected") assert.strictEqual(raced.status, 401)

      const stale = yield* as("alice")(Claim.token())
      yield* TestClock.adjust("5 minutes")
      const expired = yield* Effect.flip(as("alice")(Claim.claimServer(server.url, { claimToken: stale })))
      assert.strictEqual(expired._tag, "ClaimRejected")
      assert.notInclude(JSON.stringify(expired), Redacted.value(stale))
      assert.notInclude(expired.message, Redacted.value(stale))

      const unknown = yield* Effect.flip(
        as("alice")(Claim.claimServer(server.url, { claimToken: "claim-notARealToken000" }))
      )
      assert.strictEqual(unknown._tag, "ClaimRejected")

      const badUrl = yield* Effect.flip(as("alice")(Claim.claimServer("ftp://192.0.2.1")))
      assert.strictEqual(badUrl._tag, "InvalidInput")

      yield* loopback.fake.fault("claimServer", Fault.refuse, { times: 1 })
      const down = yield* Effect.flip(as("alice")(Claim.claimServer(server.url)))
      assert.strictEqual(down._tag, "NetworkError")
      // Still unclaimed: a fresh token claims it.
      const identity = yield* as("bob")(Claim.claimServer(server.url))
      assert.isTrue(identity.claimed)
      assert.strictEqual((yield* as("bob")(ServerAccess.check(server.clientIdentifier)))._tag, "Owner")
    }).pipe(Effect.provide(TestLive()))
  )
})
