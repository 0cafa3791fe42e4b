/**
 * Claim on Effect 4, against the shared fake: mirrors test/features/Claim.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as References from "effect/References"
import { TestClock } from "effect/testing"
import * as Tracer from "effect/Tracer"
import { inspect } from "node:util"
import * as Claim from "effect4-plex-auth/Claim"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Resources from "effect4-plex-auth/Resources"
import * as RetryPolicy from "effect4-plex-auth/RetryPolicy"
import * as ServerAccess from "effect4-plex-auth/ServerAccess"
import { Fault } from "effect4-plex-auth/testing"
import { as, fake, TestLive } from "./support.js"

const fresh = Effect.map(fake, (plex) => plex.servers[1]!)

/** Runs `effect` with every span and log line it makes recorded, as text (as test/features/Home.test.ts does). */
const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const spans: Array<Tracer.NativeSpan> = []
    const lines: Array<string> = []
    const tracer = Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    const logger = Logger.map(Logger.formatJson, (line) => {
      lines.push(line)
    })
    const exit = yield* effect.pipe(
      Effect.exit,
      Effect.withTracer(tracer),
      Effect.provide(Logger.layer([logger])),
      Effect.provideService(References.MinimumLogLevel, "All")
    )
    const texts = [
      ...lines,
      ...spans.map((span) =>
        inspect({ name: span.name, attributes: span.attributes, events: span.events }, { depth: 10 })
      ),
      // How each span ended, as an exporter ships it (a failed span's error): the inner request's span fails
      // with the library's error before Claim.claimServer turns it into ClaimRejected.
      ...spans.flatMap((span) =>
        span.status._tag === "Ended" && Exit.isFailure(span.status.exit)
          ? [Cause.pretty(span.status.exit.cause), inspect(span.status.exit, { depth: 10 })]
          : []
      ),
      inspect(exit, { depth: 10 }),
      JSON.stringify(exit)
    ]
    return { exit, spans, texts }
  })

describe("Claim (Effect 4)", () => {
  it.effect("a claim token, then claiming an unclaimed server: the account owns it", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const server = yield* fresh
      const claimToken = yield* as("alice")(Claim.token())
      assert.isTrue(Redacted.isRedacted(claimToken))
      assert.match(Redacted.value(claimToken), /^claim-[A-Za-z0-9]{20}$/)
      assert.strictEqual((yield* as("alice")(ServerAccess.check(server.clientIdentifier)))._tag, "NoAccess")

      yield* plex.clearRequests
      const identity = yield* as("alice")(Claim.claimServer(server.url))
      assert.isTrue(identity.claimed)
      assert.strictEqual(identity.machineIdentifier, server.clientIdentifier)
      // Identity, a fresh claim token from plex.tv, the claim, identity again; no account token to the server.
      const requests = yield* plex.requests
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

  it.effect(
    "the claim token (a query parameter on the wire) never shows: not in a span, a log line, an error",
    () =>
      Effect.gen(function* () {
        const server = yield* fresh
        const stale = yield* as("alice")(Claim.token())
        yield* TestClock.adjust("5 minutes")
        const claimToken = yield* as("alice")(Claim.token())
        const refused = yield* observed(as("alice")(Claim.claimServer(server.url, { claimToken: stale })))
        const claimed = yield* observed(as("alice")(Claim.claimServer(server.url, { claimToken })))
        const failure = Exit.isFailure(refused.exit)
          ? Cause.findErrorOption(refused.exit.cause)
          : Option.none()
        assert.strictEqual(Option.isSome(failure) ? failure.value._tag : undefined, "ClaimRejected")
        assert.strictEqual(claimed.exit._tag, "Success")
        assert.isTrue(
          claimed.spans.some((span) => span.name === "Claim.claimServer" && span.kind === "client")
        )
        // No span carries the claim's query: its client span has `url.path`; no platform span has its `url.full`.
        for (const span of [...refused.spans, ...claimed.spans]) {
          assert.notInclude(String(span.attributes.get("url.full") ?? ""), "/myplex/claim", span.name)
        }
        const shown = [
          ...refused.texts,
          ...claimed.texts,
          ...(Option.isSome(failure)
            ? [String(failure.value), failure.value.message, inspect(failure.value)]
            : [])
        ]
        for (const text of shown) {
          assert.notInclude(text, Redacted.value(stale))
          assert.notInclude(text, Redacted.value(claimToken))
        }
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a claimed server: the account token plex.tv's list is read with never shows: not in a span, a log line, the error",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const den = plex.servers[0]!
        const tokens: Array<string> = []
        for (const login of ["alice", "carol", "dave"])
          tokens.push(Redacted.value((yield* Effect.orDie(plex.account(login))).token))
        const runs = [
          yield* observed(as("alice")(Claim.claimServer(den.url))),
          yield* observed(as("carol")(Claim.claimServer(den.url))),
          yield* observed(as("dave")(Claim.claimServer(den.url)))
        ]
        // The list unreadable (its failure is no error of the claim's, but its span and logs are there).
        yield* plex.fault("getServerResources", Fault.status(503))
        runs.push(yield* observed(as("alice")(Claim.claimServer(den.url))))
        yield* plex.clearFaults
        const shown: Array<string> = []
        const claimedBy: Array<string> = []
        for (const run of runs) {
          // The list was read, in a span of its own.
          assert.isTrue(run.spans.some((span) => span.name === "Resources.servers"))
          const failure = Exit.isFailure(run.exit) ? Cause.findErrorOption(run.exit.cause) : Option.none()
          if (Option.isSome(failure) && failure.value._tag === "ServerAlreadyClaimed") {
            claimedBy.push(failure.value.claimedBy)
            shown.push(
              String(failure.value),
              failure.value.message,
              inspect(failure.value),
              JSON.stringify(failure.value)
            )
          }
          shown.push(...run.texts)
        }
        assert.deepStrictEqual(claimedBy, ["ThisAccount", "AnotherAccount", "Unknown", "Unknown"])
        for (const text of shown) for (const token of tokens) assert.notInclude(text, token)
        // What is looked through has the list's request (its spans' URL), where the token went as a header.
        assert.isTrue(shown.some((text) => text.includes("/api/v2/resources")))
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a token plex.tv refuses (revoked, never issued): Unauthorized, the server claimed or not, and nothing claimed",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const den = plex.servers[0]!
        const server = yield* fresh
        assert.isTrue(yield* plex.revokeToken((yield* Effect.orDie(plex.account("alice"))).token))
        const unknownToken = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          effect.pipe(Credentials.withToken("never-issued-token-00000"))
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
          yield* plex.clearRequests
          const error = yield* Effect.flip(claim)
          assert.deepStrictEqual(
            error._tag === "Unauthorized" ? [error.operation, error.status] : error._tag,
            [operation, status],
            name
          )
          assert.match(error.message, /: not authorized \(HTTP 4\d\d\).*; sign in again$/, name)
          // Nothing went to the server but its /identity: no claim token was asked for, or none was taken.
          const routes = (yield* plex.requests).map((r) => r.route)
          assert.deepStrictEqual(
            routes,
            ["getServerIdentity", operation === "Claim.token" ? "getClaimToken" : "getServerResources"],
            name
          )
        }
        assert.isUndefined((yield* Effect.orDie(plex.server(server.clientIdentifier))).ownerId)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect("a claimed server, an expired or unknown claim token, a bad URL, a refused connection", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const server = yield* fresh
      const den = plex.servers[0]!

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
      yield* plex.fault("getServerResources", Fault.status(503))
      const notRead = yield* Effect.flip(as("alice")(Claim.claimServer(den.url)))
      // Read in one attempt whatever the caller's retry policy (a policy that would retry the 503 three times): the
      // claim has failed already, and its error does not wait out a backoff for its words.
      yield* plex.clearRequests
      const underPolicy = yield* Effect.flip(
        as("alice")(Claim.claimServer(den.url)).pipe(
          RetryPolicy.withPolicy(RetryPolicy.make(Schedule.recurs(3)))
        )
      )
      assert.strictEqual(
        underPolicy._tag === "ServerAlreadyClaimed" ? underPolicy.claimedBy : underPolicy._tag,
        "Unknown"
      )
      assert.strictEqual((yield* plex.requests).filter((r) => r.route === "getServerResources").length, 1)
      yield* plex.clearFaults
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
      assert.isFalse((yield* plex.requests).some((r) => r.route === "getClaimToken"))
      // A claim token given is not sent either: not to the server (claimed), nor to plex.tv with its list.
      yield* plex.clearRequests
      const given = yield* Effect.flip(
        as("alice")(Claim.claimServer(den.url, { claimToken: "claim-given-secret" }))
      )
      assert.strictEqual(given._tag, "ServerAlreadyClaimed")
      const sent = yield* plex.requests
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
      yield* plex.fault(
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

      yield* plex.fault("claimServer", Fault.refuse, { times: 1 })
      const down = yield* Effect.flip(as("alice")(Claim.claimServer(server.url)))
      assert.strictEqual(down._tag, "NetworkError")
      // Still unclaimed: a fresh token claims it.
      const identity = yield* as("bob")(Claim.claimServer(server.url))
      assert.isTrue(identity.claimed)
      assert.strictEqual((yield* as("bob")(ServerAccess.check(server.clientIdentifier)))._tag, "Owner")
    }).pipe(Effect.provide(TestLive()))
  )
})
