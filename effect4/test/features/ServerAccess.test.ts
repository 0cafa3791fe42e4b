/**
 * ServerAccess on Effect 4, against the shared fake: mirrors
 * test/features/ServerAccess.test.ts. The checkers cache with Effect 4's
 * `Cache`, their TTL followed under the TestClock.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import * as Resources from "effect4-plex-auth/Resources"
import * as ServerAccess from "effect4-plex-auth/ServerAccess"
import * as ServerClient from "effect4-plex-auth/ServerClient"
import { Fault } from "effect4-plex-auth/testing"
import { as, fake, seed, TestLive } from "./support.js"

const denId = Effect.map(fake, (plex) => plex.servers[0]!.clientIdentifier)
const token = (login: string) =>
  Effect.flatMap(fake, (plex) => Effect.map(Effect.orDie(plex.account(login)), (a) => a.token))
const resourceRequests = Effect.flatMap(fake, (plex) =>
  Effect.map(plex.requests, (all) => all.filter((r) => r.route === "getServerResources").length)
)

describe("ServerAccess (Effect 4)", () => {
  it.effect(
    "with the user's token: Owner, HomeMember (managed or not), Shared with the share, NoAccess",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const alice = yield* plex.account("alice")
        const answer = (login: string) => as(login)(ServerAccess.check(id))

        const owner = yield* answer("alice")
        assert.strictEqual(owner._tag, "Owner")
        assert.strictEqual((yield* answer("bob"))._tag, "HomeMember")
        assert.strictEqual((yield* answer("kids"))._tag, "HomeMember")
        const shared = yield* answer("carol")
        assert.strictEqual(shared._tag, "Shared")
        if (shared._tag === "Shared") {
          assert.strictEqual(shared.share.ownerId, alice.id)
          // plex.tv's sourceTitle is the owner's username (python-plexapi MyPlexResource.sourceTitle).
          assert.strictEqual(shared.share.sourceTitle, alice.username)
          assert.strictEqual(shared.server.clientIdentifier, id)
          assert.isTrue(ServerAccess.hasAccess(shared))
          // carol's own token for the server (the share's), Redacted in the answer.
          assert.isDefined(shared.server.accessToken)
          assert.notInclude(JSON.stringify(shared), Redacted.value(shared.server.accessToken!))
        }
        const none = yield* answer("dave")
        assert.strictEqual(none._tag, "NoAccess")
        assert.isFalse(ServerAccess.hasAccess(none))
        // The server's token in the answer is Redacted.
        const serverToken = Redacted.value(plex.servers[0]!.accessToken)
        assert.notInclude(JSON.stringify(shared), serverToken)
        assert.notInclude(JSON.stringify(owner), serverToken)
      }).pipe(Effect.provide(TestLive()))
  )

  // plex.tv answers GET /api/v2/resources 200 for every token it accepts (a managed Home user's too) and refuses a
  // token with 401: a 403 refuses the account something, or is a proxy's, and says nothing about the token. As
  // InvalidToken, WebSignIn would sign a valid managed user out, who cannot sign in again on their own.
  it.effect(
    "a 403 is Unknown with its Unauthorized of status 403, never InvalidToken nor NoAccess; not cached",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const checker = yield* as("kids")(ServerAccess.makeChecker(id, { ttl: "1 minute" }))
        const kids = yield* token("kids")
        yield* plex.fault("getServerResources", Fault.status(403, { code: 1000, message: "Forbidden" }), {
          times: 1
        })
        const forbidden = yield* checker.check(kids)
        assert.strictEqual(forbidden._tag, "Unknown")
        const error = forbidden._tag === "Unknown" ? forbidden.error : undefined
        assert.strictEqual(error?._tag, "Unauthorized")
        assert.strictEqual(error?._tag === "Unauthorized" && error.status, 403)
        assert.strictEqual((yield* checker.check(kids))._tag, "HomeMember")
      }).pipe(Effect.provide(TestLive()))
  )

  // An answer that asks to be tried later (a Retry-After, on a 403 from a CDN or rate limiter in front of plex.tv too)
  // says so: the Unknown carries the wait (`retryAfterMillis`), as WebSignIn's start and PIN check read it, so a
  // return keeps its PIN cookie and authenticate's 503 carries the Retry-After. None without one.
  it.effect(
    "an Unknown carries the wait plex.tv's answer asked for (Retry-After, a 403's too), through the checker's cache",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const checker = yield* as("kids")(ServerAccess.makeChecker(id, { ttl: "1 minute" }))
        const kids = yield* token("kids")
        yield* plex.fault("getServerResources", Fault.status(403, { retryAfter: "30 seconds" }), { times: 1 })
        const busy = yield* checker.check(kids)
        assert.deepStrictEqual(busy._tag === "Unknown" && [busy.error._tag, busy.retryAfterMillis], [
          "Unauthorized",
          30_000
        ])
        yield* plex.fault("getServerResources", Fault.status(403), { times: 1 })
        const forbidden = yield* as("kids")(ServerAccess.check(id))
        assert.isTrue(forbidden._tag === "Unknown" && !("retryAfterMillis" in forbidden))
        yield* plex.fault("getServerResources", Fault.status(503, { retryAfter: "5 seconds" }), { times: 1 })
        const unavailable = yield* as("kids")(ServerAccess.check(id))
        assert.strictEqual(unavailable._tag === "Unknown" && unavailable.retryAfterMillis, 5_000)
      }).pipe(Effect.provide(TestLive()))
  )

  // A checker that keeps an Unknown gives, at each later check, what is left of the time it keeps it, from when
  // plex.tv answered: a caller told "30 s" 20 s after the answer would wait 20 s too long. With a longer
  // `unknownTtl` that is the unknownTtl's: told "0" (plex.tv's 30 s over) at 40 s, a caller trying again would get
  // the same kept answer until 60 s, when the checker asks again.
  it.effect(
    "a kept Unknown carries what is left of the time the checker keeps it (a longer unknownTtl's)",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const checker = yield* as("kids")(
          ServerAccess.makeChecker(id, { ttl: "1 minute", unknownTtl: "1 minute" })
        )
        const kids = yield* token("kids")
        yield* plex.fault("getServerResources", Fault.status(403, { retryAfter: "30 seconds" }), { times: 1 })
        const wait = Effect.map(checker.check(kids), (a) =>
          a._tag === "Unknown" ? a.retryAfterMillis : a._tag
        )
        assert.strictEqual(yield* wait, 60_000)
        yield* TestClock.adjust("20 seconds")
        assert.strictEqual(yield* wait, 40_000)
        yield* TestClock.adjust("20 seconds")
        assert.strictEqual(yield* wait, 20_000)
        yield* TestClock.adjust("19 seconds")
        assert.strictEqual(yield* wait, 1_000)
        assert.strictEqual(yield* resourceRequests, 1)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* wait, "HomeMember")
        assert.strictEqual(yield* resourceRequests, 2)
      }).pipe(Effect.provide(TestLive()))
  )

  // The owner checker's Unknown is the same `Unknown`: one whose answer asked to wait (a 403 from a CDN in front of
  // plex.tv, whose Unauthorized has no wait of its own) says so, as makeChecker's does: what is left of the time it is
  // kept (here `unknownTtl`'s minute, longer than the 30 s asked for).
  it.effect(
    "the owner checker's Unknown carries the wait plex.tv's answer asked for, what is left of it when kept",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const owner = yield* as("alice")(
          ServerAccess.makeOwnerChecker(id, { ttl: "5 minutes", unknownTtl: "1 minute" })
        )
        const bob = (yield* Effect.orDie(plex.account("bob"))).id
        yield* plex.fault("getUsers", Fault.status(403, { retryAfter: "30 seconds" }), { times: 1 })
        const wait = Effect.map(owner.check(bob), (a) => a._tag === "Unknown" && a.retryAfterMillis)
        assert.strictEqual(yield* wait, 60_000)
        yield* TestClock.adjust("20 seconds")
        assert.strictEqual(yield* wait, 40_000)
        yield* TestClock.adjust("50 seconds")
        yield* plex.fault("getUsers", Fault.status(403), { times: 1 })
        const forbidden = yield* owner.check(bob)
        assert.isTrue(forbidden._tag === "Unknown" && !("retryAfterMillis" in forbidden))
      }).pipe(Effect.provide(TestLive()))
  )

  // plex.tv's 429 "wait 30 s" is kept for that wait whatever `unknownTtl` (0 by default, WebSignIn's checker's): a
  // caller within it gets the kept Unknown, with what is left of the wait, without asking a rate-limited plex.tv
  // again; after it the next check asks again.
  it.effect("a checker keeps an Unknown for the wait its answer asked for, then asks again", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const id = yield* denId
      const checker = yield* as("kids")(ServerAccess.makeChecker(id, { ttl: "1 minute" }))
      const kids = yield* token("kids")
      yield* plex.fault("getServerResources", Fault.status(429, { retryAfter: "30 seconds" }), {
        times: 1
      })
      const answer = Effect.map(checker.check(kids), (a) =>
        a._tag === "Unknown" ? a.retryAfterMillis : a._tag
      )
      assert.strictEqual(yield* answer, 30_000)
      yield* TestClock.adjust("20 seconds")
      assert.strictEqual(yield* answer, 10_000)
      yield* TestClock.adjust("9 seconds")
      assert.strictEqual(yield* answer, 1_000)
      assert.strictEqual(yield* resourceRequests, 1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* answer, "HomeMember")
      assert.strictEqual(yield* resourceRequests, 2)
    }).pipe(Effect.provide(TestLive()))
  )

  // A huge Retry-After (a proxy's "1 hour") is kept at most 5 minutes: it cannot lock users out for hours. The kept
  // Unknown says so (what is left of the 5 minutes, when the checker asks again), not plex.tv's hour: a caller (a 503's
  // Retry-After) told "1 hour" would stay away 55 minutes after the checker asks again.
  it.effect("a checker keeps an Unknown for its wait at most 5 minutes", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const id = yield* denId
      const checker = yield* as("kids")(ServerAccess.makeChecker(id, { ttl: "1 minute" }))
      const kids = yield* token("kids")
      yield* plex.fault("getServerResources", Fault.status(429, { retryAfter: "1 hour" }), {
        times: 1
      })
      const answer = Effect.map(checker.check(kids), (a) =>
        a._tag === "Unknown" ? a.retryAfterMillis : a._tag
      )
      assert.strictEqual(yield* answer, 300_000)
      yield* TestClock.adjust("299 seconds")
      assert.strictEqual(yield* answer, 1_000)
      assert.strictEqual(yield* resourceRequests, 1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* answer, "HomeMember")
      assert.strictEqual(yield* resourceRequests, 2)
    }).pipe(Effect.provide(TestLive()))
  )

  // The 5-minute cap bounds the Retry-After wait only: a caller's longer `unknownTtl` still holds (max, not min).
  it.effect("a checker keeps an Unknown for a longer unknownTtl past the 5-minute cap of its wait", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const id = yield* denId
      const checker = yield* as("kids")(
        ServerAccess.makeChecker(id, { ttl: "1 minute", unknownTtl: "10 minutes" })
      )
      const kids = yield* token("kids")
      yield* plex.fault("getServerResources", Fault.status(429, { retryAfter: "1 hour" }), {
        times: 1
      })
      const answer = Effect.map(checker.check(kids), (a) =>
        a._tag === "Unknown" ? a.retryAfterMillis : a._tag
      )
      assert.strictEqual(yield* answer, 600_000)
      yield* TestClock.adjust("301 seconds")
      assert.strictEqual(yield* answer, 299_000)
      yield* TestClock.adjust("298 seconds")
      assert.strictEqual(yield* answer, 1_000)
      assert.strictEqual(yield* resourceRequests, 1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* answer, "HomeMember")
      assert.strictEqual(yield* resourceRequests, 2)
    }).pipe(Effect.provide(TestLive()))
  )

  // The caches count a kept answer's time from when it came, by the clock: a clock that went back since (an NTP step,
  // a VM resumed) kept a 30 s wait's Unknown for as long as it went back (an hour), told to wait that long (3,630,000 ms)
  // and asking plex.tv nothing: users locked out past the wait and the 5-minute cap. Now more left than it asked for
  // is a clock that went back: both checkers ask again.
  it.effect("a checker asks again when the clock went back past a kept Unknown's wait", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const id = yield* denId
      const checker = yield* as("kids")(ServerAccess.makeChecker(id, { ttl: "1 minute" }))
      const owner = yield* as("alice")(ServerAccess.makeOwnerChecker(id, { ttl: "5 minutes" }))
      const kids = yield* token("kids")
      const bob = (yield* Effect.orDie(plex.account("bob"))).id
      const waitOr = (a: ServerAccess.Access | ServerAccess.OwnerAccess) =>
        a._tag === "Unknown" ? a.retryAfterMillis : a._tag
      const answers = Effect.all([
        Effect.map(checker.check(kids), waitOr),
        Effect.map(owner.check(bob), waitOr)
      ])
      yield* TestClock.setTime(10 * 3_600_000)
      yield* plex.fault("getServerResources", Fault.status(429, { retryAfter: "30 seconds" }), { times: 1 })
      yield* plex.fault("getUsers", Fault.status(429, { retryAfter: "30 seconds" }), { times: 1 })
      assert.deepStrictEqual(yield* answers, [30_000, 30_000])
      // Kept (asked again, plex.tv would have answered: its faults were for one request each).
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* answers, [29_000, 29_000])
      yield* TestClock.setTime(9 * 3_600_000)
      assert.deepStrictEqual(yield* answers, ["HomeMember", "HomeMember"])
    }).pipe(Effect.provide(TestLive()))
  )

  // Not only a kept wait: every answer is kept until the clock reaches its time plus its time to live, so a clock set
  // back kept an Unknown of no wait (a 503, a timeout) kept for `unknownTtl`, and a NoAccess kept for `ttl`, as much
  // longer as it went back (users locked out, a new share refused); and the owner checker's `users` gave its kept
  // failure (a 429 "30 s") for as long, asking nothing, where its `check` asked again.
  it.effect("a checker asks again when the clock went back past any kept answer, the owner's users too", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const id = yield* denId
      const checker = yield* as("kids")(
        ServerAccess.makeChecker(id, { ttl: "1 minute", unknownTtl: "1 minute" })
      )
      const owner = yield* as("alice")(ServerAccess.makeOwnerChecker(id, { ttl: "5 minutes" }))
      const [kids, carol] = [yield* token("kids"), yield* token("carol")]
      const tag = (login: Redacted.Redacted<string>) => Effect.map(checker.check(login), (a) => a._tag)
      const users = Effect.map(Effect.result(owner.users), (r) =>
        r._tag === "Failure" ? r.failure._tag : r.success.length
      )
      yield* TestClock.setTime(10 * 3_600_000)
      yield* plex.fault("getServerResources", Fault.status(503), { times: 1 })
      assert.strictEqual(yield* tag(kids), "Unknown")
      yield* plex.fault(
        "getServerResources",
        Fault.respond(() => Effect.succeed(Response.json([]))),
        { times: 1 }
      )
      assert.strictEqual(yield* tag(carol), "NoAccess")
      yield* plex.fault("getUsers", Fault.status(429, { retryAfter: "30 seconds" }), { times: 1 })
      assert.strictEqual(yield* users, "RateLimited")
      // Kept (plex.tv would have answered: its faults were for one request each).
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(
        [yield* tag(kids), yield* tag(carol), yield* users],
        ["Unknown", "NoAccess", "RateLimited"]
      )
      yield* TestClock.setTime(9 * 3_600_000)
      assert.deepStrictEqual([yield* tag(kids), yield* tag(carol)], ["HomeMember", "Shared"])
      const listed = yield* users
      assert.isTrue(typeof listed === "number" && listed > 0, String(listed))
    }).pipe(Effect.provide(TestLive()))
  )

  // An infinite `unknownTtl` keeps an Unknown until `invalidate`: the checker will not ask again, and says so with the
  // longest wait a Retry-After says (2^31 s, core/policy.ts `longestRetryAfterMillis`), not a wait that ends while a
  // check keeps giving the same answer. Not Infinity: JSON writes that as null (a Schema.Number does not read it back,
  // Effect 4's JSON codec writes "Infinity"), and a Retry-After made of it says "Infinity".
  it.effect(
    "an Unknown kept for an infinite unknownTtl carries the longest wait, a number JSON writes (the owner checker's too)",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const checker = yield* as("kids")(
          ServerAccess.makeChecker(id, { ttl: "1 minute", unknownTtl: Infinity })
        )
        const kids = yield* token("kids")
        yield* plex.fault("getServerResources", Fault.status(429, { retryAfter: "30 seconds" }), { times: 1 })
        const answer = Effect.map(checker.check(kids), (a) =>
          a._tag === "Unknown" ? a.retryAfterMillis : a._tag
        )
        const longest = 2 ** 31 * 1000
        assert.strictEqual(yield* answer, longest)
        yield* TestClock.adjust("1 hour")
        assert.strictEqual(yield* answer, longest)
        const kept = yield* checker.check(kids)
        assert.strictEqual(JSON.parse(JSON.stringify(kept)).retryAfterMillis, longest)
        assert.strictEqual(yield* resourceRequests, 1)
        yield* checker.invalidate(kids)
        assert.strictEqual(yield* answer, "HomeMember")
        // The owner checker's kept Unknown alike.
        const owner = yield* as("alice")(
          ServerAccess.makeOwnerChecker(id, { ttl: "5 minutes", unknownTtl: Infinity })
        )
        const bob = (yield* Effect.orDie(plex.account("bob"))).id
        yield* plex.fault("getUsers", Fault.status(429, { retryAfter: "30 seconds" }), { times: 1 })
        const owned = Effect.map(owner.check(bob), (a) =>
          a._tag === "Unknown" ? a.retryAfterMillis : a._tag
        )
        assert.strictEqual(yield* owned, longest)
        yield* TestClock.adjust("1 hour")
        assert.strictEqual(yield* owned, longest)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect("the owner checker keeps an Unknown for the wait its answer asked for (at most 5 minutes)", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const id = yield* denId
      const owner = yield* as("alice")(ServerAccess.makeOwnerChecker(id, { ttl: "5 minutes" }))
      const bob = (yield* Effect.orDie(plex.account("bob"))).id
      const usersRequests = Effect.map(
        plex.requests,
        (all) => all.filter((r) => r.route === "getUsers").length
      )
      const answer = Effect.map(owner.check(bob), (a) => (a._tag === "Unknown" ? a.retryAfterMillis : a._tag))
      yield* plex.fault("getUsers", Fault.status(429, { retryAfter: "30 seconds" }), { times: 1 })
      assert.strictEqual(yield* answer, 30_000)
      yield* TestClock.adjust("29 seconds")
      assert.strictEqual(yield* answer, 1_000)
      assert.strictEqual(yield* usersRequests, 1)
      yield* TestClock.adjust("1 second")
      assert.isString(yield* answer) // an answer, no Unknown
      assert.strictEqual(yield* usersRequests, 2)
      yield* owner.invalidate
      yield* plex.fault("getUsers", Fault.status(429, { retryAfter: "1 hour" }), { times: 1 })
      assert.strictEqual(yield* answer, 300_000)
      yield* TestClock.adjust("299 seconds")
      assert.strictEqual(yield* answer, 1_000)
      assert.strictEqual(yield* usersRequests, 3)
      yield* TestClock.adjust("1 second")
      assert.isString(yield* answer) // an answer, no Unknown
      assert.strictEqual(yield* usersRequests, 4)
    }).pipe(Effect.provide(TestLive()))
  )

  // Only an Unknown carries a wait: a refused token (401) whose answer had a Retry-After (a proxy's) is InvalidToken,
  // exactly as ServerAccess.check gives it, through a checker too (no `retryAfterMillis` its type does not have).
  it.effect("a checker's InvalidToken carries no wait, whatever Retry-After its 401 had", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const id = yield* denId
      const checker = yield* as("kids")(ServerAccess.makeChecker(id, { ttl: "1 minute" }))
      const kids = yield* token("kids")
      yield* plex.fault("getServerResources", Fault.status(401, { retryAfter: "30 seconds" }), { times: 2 })
      const direct = yield* as("kids")(ServerAccess.check(id))
      const cached = yield* checker.check(kids)
      assert.deepStrictEqual(
        [direct._tag, "retryAfterMillis" in direct, cached._tag, "retryAfterMillis" in cached],
        ["InvalidToken", false, "InvalidToken", false]
      )
    }).pipe(Effect.provide(TestLive()))
  )

  // The owner checker has no InvalidToken: the owner's token refused (a 401, with a proxy's Retry-After) is an
  // Unknown, but as makeChecker's InvalidToken it carries no wait and is not kept for one: waiting does not make
  // plex.tv take the token, so "come back in 30 s" would be false, and the next check asks again (unknownTtl 0).
  it.effect(
    "the owner checker's Unknown for a refused owner token carries no wait and is not kept for one",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const owner = yield* as("alice")(ServerAccess.makeOwnerChecker(id, { ttl: "5 minutes" }))
        const bob = (yield* Effect.orDie(plex.account("bob"))).id
        const usersRequests = Effect.map(
          plex.requests,
          (all) => all.filter((r) => r.route === "getUsers").length
        )
        yield* plex.fault("getUsers", Fault.status(401, { retryAfter: "30 seconds" }), { times: 1 })
        const refused = yield* owner.check(bob)
        assert.deepStrictEqual(
          [
            refused._tag,
            refused._tag === "Unknown" && refused.error._tag,
            refused._tag === "Unknown" && refused.error._tag === "Unauthorized" && refused.error.status,
            "retryAfterMillis" in refused
          ],
          ["Unknown", "Unauthorized", 401, false]
        )
        assert.strictEqual((yield* owner.check(bob))._tag, "HomeMember")
        assert.strictEqual(yield* usersRequests, 2)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect("a refused token is InvalidToken; a network failure or a 503 is Unknown, never NoAccess", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const id = yield* denId
      yield* plex.fault("getServerResources", Fault.refuse, { times: 1 })
      const refused = yield* as("carol")(ServerAccess.check(id))
      assert.strictEqual(refused._tag, "Unknown")
      if (refused._tag === "Unknown") assert.strictEqual(refused.error._tag, "NetworkError")

      yield* plex.fault("getServerResources", Fault.status(503), { times: 1 })
      assert.strictEqual((yield* as("carol")(ServerAccess.check(id)))._tag, "Unknown")

      yield* plex.revokeToken(yield* token("carol"))
      assert.strictEqual((yield* as("carol")(ServerAccess.check(id)))._tag, "InvalidToken")

      const bad = yield* Effect.flip(as("carol")(ServerAccess.check("not an id!")))
      assert.strictEqual(bad._tag, "InvalidInput")
      // A server's name (as Plex shows it) is the likely mistake: the message says where the identifier is.
      const named = yield* Effect.flip(as("carol")(ServerAccess.check("Fake Media Server")))
      assert.include(named.message, "not its name")
      assert.include(named.message, "Resources.servers()")
    }).pipe(Effect.provide(TestLive()))
  )

  it.effect("the cached checker keeps at most capacity tokens, dropping the least recently asked", () =>
    Effect.gen(function* () {
      const id = yield* denId
      const checker = yield* ServerAccess.makeChecker(id, { ttl: "1 minute", capacity: 2 })
      const [carol, dave, bob] = yield* Effect.all([token("carol"), token("dave"), token("bob")])
      const asked = (t: Redacted.Redacted<string>) => Effect.flatMap(checker.check(t), () => resourceRequests)
      assert.strictEqual(yield* asked(carol), 1)
      assert.strictEqual(yield* asked(dave), 2)
      // carol asked again (kept): now the most recently asked, so bob's answer pushes dave's out, not carol's.
      assert.strictEqual(yield* asked(carol), 2)
      assert.strictEqual(yield* asked(bob), 3)
      assert.strictEqual(yield* asked(carol), 3)
      assert.strictEqual(yield* asked(dave), 4)
      // dave's answer pushed bob's out (carol was asked after bob): carol kept, bob asked again.
      assert.strictEqual(yield* asked(carol), 4)
      assert.strictEqual(yield* asked(bob), 5)
    }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a cached checker refuses a negative or undecodable ttl / unknownTtl and a capacity that is no positive integer",
    () =>
      Effect.gen(function* () {
        const id = yield* denId
        const refused = (options: ServerAccess.CacheOptions) =>
          Effect.map(Effect.flip(ServerAccess.makeChecker(id, options)), (error) => [
            error.field,
            error.reason
          ])
        const zeroOrMore = "must be a duration of zero or more"
        assert.deepStrictEqual(yield* refused({ ttl: -1 }), ["ttl", zeroOrMore])
        assert.deepStrictEqual(yield* refused({ ttl: "-1 seconds" }), ["ttl", zeroOrMore])
        // The words of every duration option (core/validate.ts's durationProblem): what is wrong, what is accepted.
        assert.deepStrictEqual(yield* refused({ ttl: "1 minute", unknownTtl: "soon" as never }), [
          "unknownTtl",
          'must be a Duration, a number of milliseconds, or a text like "5 seconds"'
        ])
        assert.deepStrictEqual(yield* refused({ ttl: Number.NaN }), [
          "ttl",
          'must be a Duration, a number of milliseconds, or a text like "5 seconds"'
        ])
        assert.deepStrictEqual(yield* refused({ ttl: "1 minute", capacity: 0 }), [
          "capacity",
          "must be a positive integer"
        ])
        assert.deepStrictEqual(yield* refused({ ttl: "1 minute", capacity: 1.5 }), [
          "capacity",
          "must be a positive integer"
        ])
        // Zero and an infinite TTL are accepted (no caching; kept for good), with nothing asked of plex.tv.
        yield* ServerAccess.makeChecker(id, { ttl: 0, unknownTtl: Infinity })
        assert.strictEqual(yield* resourceRequests, 0)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "the cached checker asks once per token within the TTL, again after it; Unknown is not kept",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const checker = yield* ServerAccess.makeChecker(id, { ttl: "1 minute" })
        const carol = yield* token("carol")
        const dave = yield* token("dave")

        // Concurrent checks of one token share one request; the token may be plain or Redacted.
        const [a, b] = yield* Effect.all([checker.check(carol), checker.check(Redacted.value(carol))], {
          concurrency: 2
        })
        assert.strictEqual(a._tag, "Shared")
        assert.strictEqual(b._tag, "Shared")
        assert.strictEqual(yield* resourceRequests, 1)
        assert.strictEqual((yield* checker.check(dave))._tag, "NoAccess")
        assert.strictEqual(yield* resourceRequests, 2)

        yield* TestClock.adjust("59 seconds")
        assert.strictEqual((yield* checker.check(carol))._tag, "Shared")
        assert.strictEqual(yield* resourceRequests, 2)
        yield* TestClock.adjust("2 seconds")
        assert.strictEqual((yield* checker.check(carol))._tag, "Shared")
        assert.strictEqual(yield* resourceRequests, 3)

        // An Unknown is not cached: the next call asks again, and gets the answer.
        yield* checker.invalidateAll
        yield* plex.fault("getServerResources", Fault.refuse, { times: 1 })
        assert.strictEqual((yield* checker.check(carol))._tag, "Unknown")
        assert.strictEqual((yield* checker.check(carol))._tag, "Shared")

        // invalidate forgets one token.
        const before = yield* resourceRequests
        yield* checker.invalidate(carol)
        yield* checker.check(carol)
        assert.strictEqual(yield* resourceRequests, before + 1)

        const noTtl = yield* Effect.flip(ServerAccess.makeChecker(id, JSON.parse("{}")))
        assert.strictEqual(noTtl._tag, "InvalidInput")
        const negative = yield* Effect.flip(ServerAccess.makeChecker(id, { ttl: "-5 seconds" }))
        assert.strictEqual(negative._tag, "InvalidInput")
        const badToken = yield* Effect.flip(checker.check(""))
        assert.strictEqual(badToken._tag, "InvalidInput")
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect("a checker keeps the plex.tv URL and services of where it was made", () =>
    Effect.gen(function* () {
      const checker = yield* ServerAccess.makeChecker(yield* denId, { ttl: "1 minute" }).pipe(
        PlexTv.withUrl("https://plex.example")
      )
      // Asked from where plex.tv is the default, or another URL (which this fake does not serve): still the
      // answer of where it was made.
      assert.strictEqual((yield* checker.check(yield* token("carol")))._tag, "Shared")
      const carol = yield* token("carol")
      yield* checker.invalidateAll
      assert.strictEqual(
        (yield* checker.check(carol).pipe(PlexTv.withUrl("https://plex.tv"), Effect.orDie))._tag,
        "Shared"
      )
      const elsewhere = yield* ServerAccess.check(yield* denId).pipe(as("carol"))
      assert.strictEqual(elsewhere._tag, "Unknown")
    }).pipe(Effect.provide(TestLive({ ...seed, plexTvUrl: "https://plex.example" })))
  )

  it("every setting a request reads from the context is one the checkers keep from where they were made", () => {
    // The shared lookup runs with the settings of where a checker was made, captured one by one (madeHere in
    // src/ServerAccess.ts): a setting added later and not captured there would be read from the context of
    // whichever caller started a lookup. Every Context.Reference of the library is either captured, or one no
    // request of a checker reads (listed here with where it is read).
    const src = fileURLToPath(new URL("../../src", import.meta.url))
    const files = fs
      .readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts") && !file.startsWith(`bin${path.sep}`))
    const references = files.flatMap((file) =>
      [
        ...fs
          .readFileSync(path.join(src, file), "utf8")
          .matchAll(/export const (\w+)\s*:\s*Context\.Reference</g)
      ].map((match) => match[1]!)
    )
    const notRead: Record<string, string> = {
      PinReadAt: "PinLogin.poll's own start time",
      RenewDeviceJwt: "Jwt.pinLogin's re-signing during a PIN poll"
    }
    const source = fs.readFileSync(path.join(src, "ServerAccess.ts"), "utf8")
    const madeHere = source.slice(source.indexOf("const madeHere"), source.indexOf("return Context.merge"))
    const captured = [...madeHere.matchAll(/(?:make|add)\((?:\w+\.)?(\w+), yield\* /g)].map(
      (match) => match[1]!
    )
    assert.includeMembers(references, [
      "PlexTv",
      "JwtHost",
      "RequestTimeout",
      "MaxBodyBytes",
      "TracePropagation"
    ])
    assert.sameMembers(
      references.filter((name) => !(name in notRead)),
      captured,
      "a Context.Reference the checkers neither keep nor list as not read by their requests"
    )
  })

  it.effect("an Unknown kept for unknownTtl: served from the cache until it expires", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const checker = yield* ServerAccess.makeChecker(yield* denId, {
        ttl: "1 minute",
        unknownTtl: "5 seconds"
      })
      const carol = yield* token("carol")
      yield* plex.fault("getServerResources", Fault.refuse, { times: 1 })
      assert.strictEqual((yield* checker.check(carol))._tag, "Unknown")
      assert.strictEqual((yield* checker.check(carol))._tag, "Unknown")
      assert.strictEqual(yield* resourceRequests, 1)
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* checker.check(carol))._tag, "Shared")
      assert.strictEqual(yield* resourceRequests, 2)
    }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "with the owner's token: the home users and friends with access, cached; a failure is Unknown",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const users = yield* as("alice")(ServerAccess.users(id))
        assert.deepStrictEqual(users.map((u) => [u.user.title, u._tag]).sort(), [
          ["Kids", "HomeMember"],
          ["bob", "HomeMember"],
          ["carol", "Shared"]
        ])
        // Tagged as every answer is (Access, OwnerAccess): one switch serves them (the deprecated `access`, the same
        // word, is read by test/core/features.test.ts only, where src/core/access.ts `usersOf` sets it).
        assert.isTrue(users.every((u) => u.share.machineIdentifier === id))
        // The same from the whole list, and the pure decisions over lists already fetched.
        const friends = yield* as("alice")(ServerAccess.friends())
        assert.deepStrictEqual(ServerAccess.usersOf(friends, id), users)
        assert.deepStrictEqual(ServerAccess.usersOf(friends, "elsewhere"), [])
        const devices = yield* as("carol")(Resources.list())
        assert.strictEqual(ServerAccess.accessIn(devices, id)._tag, "Shared")
        assert.strictEqual(ServerAccess.accessIn(devices, "elsewhere")._tag, "NoAccess")
        // Someone else's server (only shared with carol): not carol's to list, ServerNotFound, never "no one".
        const notOwned = yield* Effect.flip(as("carol")(ServerAccess.users(id)))
        assert.strictEqual(notOwned._tag, "ServerNotFound")

        const owner = yield* as("alice")(ServerAccess.makeOwnerChecker(id, { ttl: "5 minutes" }))
        const ids: Record<string, number> = {}
        for (const login of ["alice", "bob", "carol", "dave"]) ids[login] = (yield* plex.account(login)).id
        assert.strictEqual((yield* owner.check(ids["alice"]!))._tag, "Owner")
        assert.strictEqual((yield* owner.check(ids["bob"]!))._tag, "HomeMember")
        assert.strictEqual((yield* owner.check(ids["carol"]!))._tag, "Shared")
        assert.strictEqual((yield* owner.check(ids["dave"]!))._tag, "NoAccess")
        // users, friends and carol's (empty) users, then one for the checker.
        assert.strictEqual((yield* plex.requests).filter((r) => r.route === "getUsers").length, 4)

        yield* owner.invalidate
        yield* plex.fault("getUsers", Fault.refuse, { times: 1 })
        assert.strictEqual((yield* owner.check(ids["carol"]!))._tag, "Unknown")
        assert.strictEqual((yield* owner.check(ids["carol"]!))._tag, "Shared")
        // Within the TTL, no new request; after it, one.
        const asked = (yield* plex.requests).filter((r) => r.route === "getUsers").length
        yield* owner.users
        assert.strictEqual((yield* plex.requests).filter((r) => r.route === "getUsers").length, asked)
        yield* TestClock.adjust("5 minutes")
        yield* owner.users
        assert.strictEqual((yield* plex.requests).filter((r) => r.route === "getUsers").length, asked + 1)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "the owner checker confirms its credentials own the server: else users fails and check is Unknown, ServerNotFound",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const alice = yield* plex.account("alice")
        const bob = yield* plex.account("bob")
        const carol = yield* plex.account("carol")
        const resources = () =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === "getServerResources").length)

        // The owner's own server: concurrent checks share one lookup (one resources request).
        const owner = yield* as("alice")(ServerAccess.makeOwnerChecker(id, { ttl: "5 minutes" }))
        const before = yield* resources()
        const [a, b] = yield* Effect.all([owner.check(alice.id), owner.check(carol.id)], { concurrency: 2 })
        assert.strictEqual(a._tag, "Owner")
        assert.strictEqual(b._tag, "Shared")
        assert.strictEqual((yield* resources()) - before, 1)
        // An id from untyped JavaScript (JSON, a header): its decimal string is that account; nothing else is.
        const untyped = (value: unknown) => owner.check(value as number)
        assert.strictEqual((yield* untyped(String(bob.id)))._tag, "HomeMember")
        assert.strictEqual((yield* untyped(String(alice.id)))._tag, "Owner")
        for (const value of [
          ` ${alice.id}`,
          `0${alice.id}`,
          `${alice.id}.0`,
          "0x1",
          "",
          null,
          undefined,
          {}
        ]) {
          assert.strictEqual((yield* untyped(value))._tag, "NoAccess", String(value))
        }

        // A server only shared with the account, and a typo in the identifier: no silent answers.
        for (const [login, server] of [
          ["carol", id],
          ["alice", `${id}x`]
        ] as const) {
          const checker = yield* as(login)(ServerAccess.makeOwnerChecker(server, { ttl: "5 minutes" }))
          const self = yield* plex.account(login)
          for (const accountId of [self.id, alice.id, carol.id]) {
            const answer = yield* checker.check(accountId)
            assert.strictEqual(answer._tag, "Unknown")
            if (answer._tag === "Unknown") {
              assert.strictEqual(answer.error._tag, "ServerNotFound")
              if (answer.error._tag === "ServerNotFound") {
                assert.strictEqual(answer.error.server, server)
                assert.strictEqual(answer.error.operation, "ServerAccess.makeOwnerChecker")
                assert.include(answer.error.message, server)
              }
            }
          }
          const failed = yield* Effect.flip(checker.users)
          assert.strictEqual(failed._tag, "ServerNotFound")
        }
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a machine identifier not the owner's, case included, is heard: users fails ServerNotFound, as the owner checker does",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const name = plex.servers[0]!.name
        // Compared exactly, as python-plexapi (MyPlexAccount.resource, updateFriend) and @ctrl/plex (resource,
        // updateFriend) compare it: plex.tv and the server's /identity spell it one way, lower case.
        const upper = id.toUpperCase()
        assert.notStrictEqual(upper, id)
        for (const [login, server] of [
          ["alice", upper],
          ["alice", `${id}x`],
          ["carol", id]
        ] as const) {
          const failed = yield* Effect.flip(as(login)(ServerAccess.users(server)))
          assert.strictEqual(failed._tag, "ServerNotFound", `${login} ${server}`)
          if (failed._tag === "ServerNotFound") {
            assert.strictEqual(failed.operation, "ServerAccess.users")
            assert.strictEqual(failed.server, server)
            // The servers the account owns: alice's by name, none for carol.
            assert.deepStrictEqual(failed.available, login === "alice" ? [name] : [])
          }
        }
        // The owner's identifier as plex.tv spells it: listed, each tagged as the checks' answers are.
        const owner = yield* as("alice")(ServerAccess.makeOwnerChecker(id, { ttl: "5 minutes" }))
        const bob = yield* plex.account("bob")
        const answer = yield* owner.check(bob.id)
        assert.strictEqual(answer._tag, "HomeMember")
        if (answer._tag === "HomeMember") assert.strictEqual(answer.user._tag, "HomeMember")
        const upperChecker = yield* as("alice")(ServerAccess.makeOwnerChecker(upper, { ttl: "5 minutes" }))
        assert.strictEqual((yield* Effect.flip(upperChecker.users))._tag, "ServerNotFound")
        // With the user's token there is no error to hear: NoAccess, as the docs say (check it with the owner's).
        assert.strictEqual((yield* as("alice")(ServerAccess.check(upper)))._tag, "NoAccess")
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "users reads the account's resources alongside its users; a failure of that read fails users with its error",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const id = yield* denId
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const before = [yield* count("getUsers"), yield* count("getServerResources")]
        assert.isAbove((yield* as("alice")(ServerAccess.users(id))).length, 0)
        // One request each, sent together (the users' list and the account's resources).
        assert.deepStrictEqual(
          [yield* count("getUsers"), yield* count("getServerResources")],
          [before[0]! + 1, before[1]! + 1]
        )
        // plex.tv cannot answer the resources: users fails with that error, named after it, never ServerNotFound
        // (it says nothing of the server) nor an empty list; the next call, answered, lists the users.
        yield* plex.fault("getServerResources", Fault.status(503), { times: 1 })
        const failed = yield* Effect.flip(as("alice")(ServerAccess.users(id)))
        assert.notStrictEqual(failed._tag, "ServerNotFound")
        assert.match(failed.message, /^ServerAccess\.users: /)
        assert.isAbove((yield* as("alice")(ServerAccess.users(id))).length, 0)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect("shared users' server tokens for the owner: each works on the server as that user", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const id = yield* denId
      const shares = yield* as("alice")(ServerAccess.sharedTokens(id))
      const carol = yield* plex.account("carol")
      const share = shares.find((s) => s.userID === carol.id)
      assert.isDefined(share)
      assert.isTrue(Redacted.isRedacted(share!.accessToken))
      assert.notInclude(JSON.stringify(shares), Redacted.value(share!.accessToken))
      // The token is carol's on that server.
      const client = yield* ServerClient.make({ uri: plex.servers[0]!.url, token: share!.accessToken })
      assert.strictEqual((yield* client.get("/")).status, 200)

      // Not the owner's server: NotFound; not an id: InvalidInput.
      assert.strictEqual((yield* Effect.flip(as("carol")(ServerAccess.sharedTokens(id))))._tag, "NotFound")
      assert.strictEqual(
        (yield* Effect.flip(as("alice")(ServerAccess.sharedTokens("../x"))))._tag,
        "InvalidInput"
      )
    }).pipe(Effect.provide(TestLive()))
  )
})

describe("ServerAccess.hasAccess", () => {
  it("is a guard: what is not an answer (null, undefined, a number, {}) grants nothing, never a TypeError", () => {
    const untyped = <A>(value: unknown): A => value as A
    for (const value of [null, undefined, 42, "Owner", {}, { _tag: 1 }, { _tag: "NoAccess" }]) {
      assert.isFalse(ServerAccess.hasAccess(untyped(value)), String(value))
    }
    assert.isTrue(ServerAccess.hasAccess(untyped({ _tag: "Owner" })))
  })
})
