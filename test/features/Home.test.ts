import { assert, describe } from "@effect/vitest"
import {
  type Context,
  Deferred,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  Redacted,
  Ref,
  Schedule,
  Scope,
  TestClock,
  type Tracer
} from "effect"
import { ClientIdentity, Credentials, Home, PlexAuth, PlexTv, RetryPolicy } from "effect-plex-auth"
import { FakePlexServer } from "effect-plex-auth/node"
import { Fault, FakePlex } from "effect-plex-auth/testing"
import { inspect } from "node:util"
import { it } from "../support/it.js"
import { assertNoSecrets, renderings, withCapturedLogs, withRecordedSpans } from "../support/observe.js"
import { as, KIDS_PIN, onLoopback, seed, TestLive } from "./support.js"
import { cutOff } from "../faults/support.js"

/** Scheduler turns between the sign-out's answer and the switch's (see the test that uses them). */
const LAGS = [-8, -7, -6, -5, -4, -3, -2]

/** The features seed with a PIN on the admin too. */
const adminWithPin = {
  ...seed,
  accounts: seed.accounts!.map((a) => (a.username === "alice" ? { ...a, homePin: "1111" } : a))
}

const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) throw new Error("expected a failure")
    const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
    if (error === undefined) throw new Error(`expected a typed failure, got ${exit.cause._tag}`)
    return error
  })

describe("Home over loopback", () => {
  it.scoped("the PIN (a query parameter on the wire) never shows: not in a span, a log line, an error", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const run = (pin: string | Redacted.Redacted<string>) =>
        withCapturedLogs(withRecordedSpans(as("alice")(Home.switchUser("Kids", { pin }))))
      const wrong = yield* run("9876")
      const right = yield* run(Redacted.make(KIDS_PIN))
      assert.strictEqual(wrong.exit._tag, "Success")
      assert.strictEqual(wrong.exit._tag === "Success" ? wrong.exit.value.exit._tag : "", "Failure")
      assert.strictEqual(right.exit._tag === "Success" ? right.exit.value.exit._tag : "", "Success")
      const texts: Array<string> = [...wrong.lines, ...right.lines]
      for (const observed of [wrong, right]) {
        if (observed.exit._tag !== "Success") continue
        const { exit, spans } = observed.exit.value
        assert.isTrue(spans.some((span) => span.name === "Home.switchUser" && span.kind === "client"))
        // No span carries the switch's query: its client span has `url.path`; no platform span has its `url.full`.
        for (const span of spans) {
          assert.notInclude(String(span.attributes.get("url.full") ?? ""), "/switch", span.name)
        }
        texts.push(...spans.map((span) => span.render()), inspect(exit, { depth: 10 }))
        if (exit._tag === "Failure") {
          const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
          assert.strictEqual(error?._tag, "InvalidHomePin")
          texts.push(...Object.values(renderings(error)))
        }
      }
      // The wire carried each PIN in the query, and the fake's records keep them Redacted.
      const records = (yield* loopback.fake.requests).filter((r) => r.route === "switchHomeUser")
      assert.deepStrictEqual(
        records.map((r) => {
          const pin = r.query["pin"]
          return Redacted.isRedacted(pin) ? Redacted.value(pin) : `plain ${String(pin)}`
        }),
        ["9876", KIDS_PIN]
      )
      texts.push(...records.map((r) => `${JSON.stringify(r)} ${inspect(r, { depth: 10 })}`))
      assertNoSecrets(texts, ["9876", KIDS_PIN])
    }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a redirect to another origin drops the PIN from the query (and the token); a same-origin one is followed",
    () =>
      Effect.gen(function* () {
        const plex = (yield* FakePlexServer.FakePlexServer).fake
        yield* plex.fault("switchHomeUser", Fault.redirect({ status: 307 }), { times: 1 })
        yield* Effect.flip(as("alice")(Home.switchUser("Kids", { pin: KIDS_PIN })))
        const moved = (yield* plex.requests).filter((r) => r.host === "elsewhere")
        assert.strictEqual(moved.length, 1)
        assert.isTrue(moved[0]!.path.endsWith("/switch"))
        assert.deepStrictEqual(Object.keys(moved[0]!.query), [])
        assert.deepStrictEqual(
          Object.keys(moved[0]!.headers).filter((h) => h === "x-plex-token"),
          []
        )

        const kids = yield* plex.account("kids")
        yield* plex.fault(
          "switchHomeUser",
          Fault.redirect({ status: 307, to: `/api/v2/home/users/${kids.id}/switch?pin=${KIDS_PIN}` }),
          { times: 1 }
        )
        const switched = yield* as("alice")(Home.switchUser("Kids", { pin: KIDS_PIN }))
        assert.strictEqual(switched.account.title, "Kids")
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped("lists the home's users: the admin, a managed user with a PIN, a member", () =>
    Effect.gen(function* () {
      const users = yield* as("alice")(Home.users())
      assert.deepStrictEqual(
        users.map((u) => [u.title, u.admin, u.restricted, u.protected]),
        [
          ["alice", true, false, false],
          ["Kids", false, true, true],
          ["bob", false, false, false]
        ]
      )
      assert.isUndefined(users[1]!.username)
      // Any member sees the same home.
      const fromBob = yield* as("bob")(Home.users())
      assert.strictEqual(fromBob.length, 3)
      // An account in no home is a home of one.
      const alone = yield* as("carol")(Home.users())
      assert.deepStrictEqual(
        alone.map((u) => u.title),
        ["carol"]
      )
    }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "an account in no home switches to the one user it lists, itself: listing and switching agree",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const carol = yield* loopback.fake.account("carol")
        const [self] = yield* as("carol")(Home.users())
        assert.strictEqual(self?.id, carol.id)
        // By name (listed first) and by the listed user: a token of carol's own, in no home, not HomeUserNotFound
        // with advice to list the users again (which lists carol again).
        for (const user of ["carol", self!] as const) {
          const switched = yield* as("carol")(Home.switchUser(user))
          assert.strictEqual(switched.account.id, carol.id)
          assert.isFalse(switched.account.home)
          const me = yield* onLoopback(PlexAuth.getTokenDetails()).pipe(Effect.provide(switched.layer))
          assert.strictEqual(me.id, carol.id)
        }
        // Someone not listed is still not found, the advice naming who is.
        const missing = yield* Effect.flip(as("carol")(Home.switchUser("Kids")))
        assert.strictEqual(missing._tag, "HomeUserNotFound")
        assert.include(missing.message, '(the home has: "carol"); switch to one of those')
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a switched layer whose token plex.tv refuses switches again; a switch refused for the user is not sent again",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const kids = yield* loopback.fake.account("kids")
        const switches = Effect.map(
          loopback.fake.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        const asKids = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          onLoopback(effect).pipe(Effect.provide(switched.layer))
        assert.strictEqual((yield* asKids(PlexAuth.getTokenDetails())).id, kids.id)
        // Kids' device signed out at plex.tv: the layer switches again (the admin's credentials, the PIN) and goes on,
        // where it said "sign in again", which no one can do for a managed user.
        yield* loopback.fake.revokeDevice("features-test")
        assert.strictEqual((yield* asKids(PlexAuth.getTokenDetails())).id, kids.id)
        assert.strictEqual(yield* switches, 2)
        // Another build of the layer starts from the newest token: no switch.
        assert.strictEqual((yield* asKids(PlexAuth.getTokenDetails())).id, kids.id)
        assert.strictEqual(yield* switches, 2)

        // Signed out again, and plex.tv refuses the PIN now (changed since): the Unauthorized says what to do.
        yield* loopback.fake.revokeDevice("features-test")
        yield* loopback.fake.fault(
          "switchHomeUser",
          Fault.status(403, { code: 1041, message: "Invalid PIN" }),
          {
            times: 1
          }
        )
        const refused = yield* Effect.flip(asKids(PlexAuth.getTokenDetails()))
        assert.strictEqual(refused._tag, "Unauthorized")
        assert.match(
          refused.message,
          /; re-authentication failed \(InvalidHomePin\): switch to the user again$/
        )
        assert.strictEqual(yield* switches, 3)
        // After the cooldown, still no switch with that PIN (towards a lockout): the same refusal at once.
        yield* TestClock.adjust("10 minutes")
        const again = yield* Effect.flip(asKids(PlexAuth.getTokenDetails()))
        assert.match(
          again.message,
          /; re-authentication failed \(InvalidHomePin\): switch to the user again$/
        )
        assert.strictEqual(yield* switches, 3)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a switched layer switches again once for concurrent refusals, and never for a token signed out through it",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const kids = yield* loopback.fake.account("kids")
        const switches = Effect.map(
          loopback.fake.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        const asKids = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          onLoopback(effect).pipe(Effect.provide(switched.layer))
        // Five calls refused at once with the revoked token: one switch again, each call retried with its token.
        yield* loopback.fake.revokeDevice("features-test")
        const five = yield* asKids(
          Effect.all(
            Array.from({ length: 5 }, () => PlexAuth.getTokenDetails()),
            { concurrency: 5 }
          )
        )
        assert.deepStrictEqual(
          five.map((me) => me.id),
          Array.from({ length: 5 }, () => kids.id)
        )
        assert.strictEqual(yield* switches, 2)
        // Signed out through the layer: the same build does not switch again, and neither does a later build, which
        // starts from that token (switching again would sign the user back in with the PIN the app holds).
        const refusal = (exit: Exit.Exit<unknown, { readonly _tag: string }>) =>
          Exit.isFailure(exit) && exit.cause._tag === "Fail"
            ? exit.cause.error._tag
            : `not refused: ${exit._tag}`
        const sameBuild = yield* asKids(
          Effect.zipRight(PlexAuth.signOut(), Effect.exit(PlexAuth.getTokenDetails()))
        )
        assert.strictEqual(refusal(sameBuild), "Unauthorized", "the build that signed out")
        assert.strictEqual(yield* switches, 2)
        const laterBuild = yield* Effect.exit(asKids(PlexAuth.getTokenDetails()))
        assert.strictEqual(refusal(laterBuild), "Unauthorized", "a later build")
        yield* TestClock.adjust("10 minutes")
        assert.strictEqual(refusal(yield* Effect.exit(asKids(PlexAuth.getTokenDetails()))), "Unauthorized")
        assert.strictEqual(yield* switches, 2)
        // What the caller can do: switch anew.
        const anew = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        const me = yield* onLoopback(PlexAuth.getTokenDetails()).pipe(Effect.provide(anew.layer))
        assert.strictEqual(me.id, kids.id)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a token signed out through one build of a switched layer is not replaced by another build alive meanwhile",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const switches = Effect.map(
          loopback.fake.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        // A long-lived build (an app's runtime) holding the switched token, and a call that signs out through a
        // build of its own.
        const running = yield* Layer.build(switched.layer)
        yield* onLoopback(PlexAuth.signOut()).pipe(Effect.provide(switched.layer))
        // The running build, its token now refused, must not switch the user back in with the PIN it holds.
        const exit = yield* Effect.exit(onLoopback(PlexAuth.getTokenDetails()).pipe(Effect.provide(running)))
        assert.strictEqual(
          Exit.isFailure(exit) && exit.cause._tag === "Fail"
            ? exit.cause.error._tag
            : `not refused: ${exit._tag}`,
          "Unauthorized",
          "the build alive during the sign-out"
        )
        assert.strictEqual(yield* switches, 1)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a sign-out through one build of a switched layer is not undone by another build alive meanwhile holding an older token",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const switches = Effect.map(
          loopback.fake.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        // A long-lived build (an app's runtime) holding the first token; the device revoked, a call through a build
        // of its own switches again, and another signs out the token that switch got.
        const running = yield* Layer.build(switched.layer)
        yield* loopback.fake.revokeDevice("features-test")
        yield* onLoopback(PlexAuth.getTokenDetails()).pipe(Effect.provide(switched.layer))
        assert.strictEqual(yield* switches, 2)
        yield* onLoopback(PlexAuth.signOut()).pipe(Effect.provide(switched.layer))
        // The running build's token is refused too: it must not switch the user back in with the PIN it holds.
        const exit = yield* Effect.exit(onLoopback(PlexAuth.getTokenDetails()).pipe(Effect.provide(running)))
        assert.strictEqual(
          Exit.isFailure(exit) && exit.cause._tag === "Fail"
            ? exit.cause.error._tag
            : `not refused: ${exit._tag}`,
          "Unauthorized",
          "the build alive during the sign-out, holding an older token"
        )
        assert.strictEqual(yield* switches, 2)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "builds of a switched layer refused while its switch again is in flight wait for that one switch",
    () =>
      Effect.gen(function* () {
        // In memory (no sockets): the switch is held by the TestClock, the order of the steps is the test's.
        const plex = yield* FakePlex.FakePlex
        const switches = Effect.map(
          plex.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const kids = yield* plex.account("kids")
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const first = yield* Layer.build(switched.layer)
        const second = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        // The first build's switch again is held for a second: it is in flight when the second build is refused.
        yield* plex.fault("switchHomeUser", Fault.delay("1 second"), { times: 1 })
        const one = yield* Effect.fork(PlexAuth.getTokenDetails().pipe(Effect.provide(first)))
        for (let turn = 0; turn < 200 && (yield* switches) < 2; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* switches, 2, "the first build's switch again, in flight")
        const two = yield* Effect.fork(PlexAuth.getTokenDetails().pipe(Effect.provide(second)))
        // The second build refused, and (before the fix) its own switch sent and answered at once.
        for (let turn = 0; turn < 200 && (yield* switches) < 3; turn++) yield* Effect.yieldNow()
        yield* TestClock.adjust("1 second")
        const [me, meToo] = [yield* Fiber.join(one), yield* Fiber.join(two)]
        assert.deepStrictEqual([me.id, meToo.id], [kids.id, kids.id])
        // Before, each build switched again on its own: 3.
        assert.strictEqual(yield* switches, 2)
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a build waiting for a switch again a sign-out abandoned does not switch on its own before it is told",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock holding each step: the sign-out, telling the builds one after another, revokes the
        // token the first build's earlier switch got (held a second) before it tells the second build.
        const plex = yield* FakePlex.FakePlex
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        // `first` and `third` hold the first token; `first` switches again once (its token now renewed from it).
        const first = yield* Layer.build(switched.layer)
        const third = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(first))
        const second = yield* Layer.build(switched.layer)
        // Past the cooldown of a fresh token refused; that token revoked: `first` switches again (held a minute),
        // `second`, refused with the same token, waits for that switch.
        yield* TestClock.adjust("2 minutes")
        const renewed = yield* Credentials.Credentials.pipe(
          Effect.flatMap((credentials) => credentials.token),
          Effect.provide(first)
        )
        yield* plex.revokeToken(renewed)
        yield* plex.fault("switchHomeUser", Fault.delay("1 minute"), { times: 1 })
        const one = yield* Effect.fork(Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(first))))
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("switchHomeUser"), 3, "the first build's switch again, in flight")
        const two = yield* Effect.fork(Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(second))))
        for (let turn = 0; turn < 200 && (yield* count("getTokenDetails")) < 4; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("getTokenDetails"), 4, "the second build refused")
        // The sign-out through `third` (its token already revoked: refused, it tells the builds all the same); its
        // revoke of the token `first` drops is held a second, while `first`'s switch is abandoned.
        yield* plex.fault("signOut", Fault.delay("1 second"), { times: 2 })
        const out = yield* Effect.fork(Effect.exit(PlexAuth.signOut().pipe(Effect.provide(third))))
        for (let turn = 0; turn < 200 && (yield* count("signOut")) < 1; turn++) yield* Effect.yieldNow()
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count("signOut")) < 2; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* count("signOut"), 2, "the revoke of the dropped token, held")
        // Before the fix, `second` switched here, after the sign-out, on its own.
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 4; turn++)
          yield* Effect.yieldNow()
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(out)
        assert.strictEqual((yield* Fiber.join(one))._tag, "Failure")
        assert.strictEqual((yield* Fiber.join(two))._tag, "Failure", "the second build, after the sign-out")
        const later = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(second)))
        assert.strictEqual(later._tag, "Failure", "the second build, after the sign-out")
        assert.strictEqual(yield* count("switchHomeUser"), 3)
        // The abandoned switch runs on in the background, bounded by the per-attempt timeout (30 s): held a minute, it
        // is cut off then (no fiber left running at the end), with no token made and nothing more revoked.
        const revokes = yield* count("signOut")
        const pending = Effect.map(
          plex.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser" && r.outcome === "Pending").length
        )
        assert.strictEqual(yield* pending, 1, "the abandoned switch, in flight")
        yield* TestClock.adjust("30 seconds")
        for (let turn = 0; turn < 200 && (yield* pending) > 0; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* pending, 0, "the abandoned switch, ended")
        assert.strictEqual(yield* count("signOut"), revokes)
        assert.strictEqual(yield* count("switchHomeUser"), 3)
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a switch again a sign-out abandons once plex.tv made its token, the answer on its way, has that token revoked",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock: plex.tv makes the switch's token at 900 ms, its answer arriving at 1.1 s; the
        // sign-out (through another build) is accepted at 1 s and abandons the refresh waiting for that switch.
        const plex = yield* FakePlex.FakePlex
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const b = yield* Layer.build(switched.layer)
        const c = yield* Layer.build(switched.layer)
        const made = yield* Ref.make<ReadonlyArray<string>>([])
        yield* plex.fault(
          "switchHomeUser",
          Fault.respond((request) =>
            Effect.gen(function* () {
              yield* Effect.sleep("900 millis")
              const response = yield* Effect.orDie(plex.handle(request))
              const body = yield* Effect.promise(
                () => response.clone().json() as Promise<{ authToken: string }>
              )
              yield* Ref.update(made, (all) => [...all, body.authToken])
              yield* Effect.sleep("200 millis")
              return response
            })
          ),
          { times: 1 }
        )
        // plex.tv refuses `b`'s token once (a blip): its switch again is on its way.
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const call = yield* Effect.fork(Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(b))))
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the switch again, on its way")
        yield* plex.fault("signOut", Fault.delay("1 second"), { times: 1 })
        const out = yield* Effect.fork(Effect.exit(PlexAuth.signOut().pipe(Effect.provide(c))))
        for (let turn = 0; turn < 200 && (yield* count("signOut")) < 1; turn++) yield* Effect.yieldNow()
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.join(out)
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.strictEqual(
          (yield* Fiber.join(call))._tag,
          "Failure",
          "the call waiting for the switch, signed out"
        )
        const [token] = yield* Ref.get(made)
        assert.isDefined(token, "plex.tv made the switch's token")
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count("signOut")) < 2; turn++) yield* Effect.yieldNow()
        // Before the fix the switch was cut short when the sign-out abandoned it: that token stayed valid, unseen.
        assert.isFalse(yield* plex.isTokenValid(token!), "the switch's token, revoked once it answered")
        assert.strictEqual(yield* count("signOut"), 2)
        // The fake records the switch twice (the fault's `handle` records it again): none after the sign-out.
        const switches = yield* count("switchHomeUser")
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(b))))._tag,
          "Failure"
        )
        assert.strictEqual(yield* count("switchHomeUser"), switches, "no switch after the sign-out")
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  // The switch again answers just as the sign-out (through another build) abandons the refresh waiting for it: its
  // token reaches the switch's waiter, and the interruption lands before that token is handed on. Steps apart at
  // which the two meet (the switch's answer `lag` scheduler turns after the sign-out's), with the caller's fibers
  // yielding every 24 operations (as any fiber does after Effect's budget of 2,048): one of them lost that token before
  // the fix, never revoked, valid.
  for (const lag of LAGS) {
    it.scoped(
      `a switch again whose token lands as the sign-out abandons it has that token revoked (lag ${lag})`,
      () =>
        Effect.gen(function* () {
          const plex = yield* FakePlex.FakePlex
          const count = (route: string) =>
            Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
          const alice = yield* plex.account("alice")
          const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
            Credentials.withToken(alice.token)
          )
          const b = yield* Layer.build(switched.layer)
          const c = yield* Layer.build(switched.layer)
          const made = yield* Ref.make<ReadonlyArray<string>>([])
          const answer = yield* Deferred.make<void>()
          yield* plex.fault(
            "switchHomeUser",
            Fault.respond((request) =>
              Effect.gen(function* () {
                yield* Effect.sleep("900 millis")
                const response = yield* Effect.orDie(plex.handle(request))
                const body = yield* Effect.promise(
                  () => response.clone().json() as Promise<{ authToken: string }>
                )
                yield* Ref.update(made, (all) => [...all, body.authToken])
                yield* Deferred.await(answer)
                for (let i = 0; i < lag; i++) yield* Effect.yieldNow()
                return response
              })
            ),
            { times: 1 }
          )
          yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
          const call = yield* Effect.fork(
            Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(b), Effect.withMaxOpsBeforeYield(24)))
          )
          for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++)
            yield* Effect.yieldNow()
          yield* plex.fault(
            "signOut",
            Fault.respond((request) =>
              Effect.gen(function* () {
                yield* Effect.sleep("1 second")
                const response = yield* Effect.orDie(plex.handle(request))
                yield* Deferred.await(answer)
                for (let i = 0; i < -lag; i++) yield* Effect.yieldNow()
                return response
              })
            ),
            { times: 1 }
          )
          const out = yield* Effect.fork(Effect.exit(PlexAuth.signOut().pipe(Effect.provide(c))))
          for (let turn = 0; turn < 200 && (yield* count("signOut")) < 1; turn++) yield* Effect.yieldNow()
          yield* TestClock.adjust("1 second")
          yield* Deferred.succeed(answer, undefined)
          assert.strictEqual((yield* Fiber.join(out))._tag, "Success")
          yield* Fiber.join(call)
          const [token] = yield* Ref.get(made)
          assert.isDefined(token, "plex.tv made the switch's token")
          for (let turn = 0; turn < 400 && (yield* plex.isTokenValid(token!)); turn++)
            yield* Effect.yieldNow()
          assert.isFalse(yield* plex.isTokenValid(token!), "the switch's token, revoked")
        }).pipe(
          Effect.provide(
            Layer.mergeAll(
              FakePlex.layer(seed),
              ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
            )
          )
        )
    )
  }

  it.scoped(
    "a switch again a sign-out abandons is not retried after it: its attempt answered after the sign-out, no switch more",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock: the switch again (the caller's policy retrying a 503 after 10 s) answers 503 at
        // 1 s, after the sign-out (through another build) abandoned the refresh waiting for it.
        const plex = yield* FakePlex.FakePlex
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token),
          RetryPolicy.withPolicy(
            RetryPolicy.make(Schedule.intersect(Schedule.spaced("10 seconds"), Schedule.recurs(1)))
          )
        )
        const b = yield* Layer.build(switched.layer)
        const c = yield* Layer.build(switched.layer)
        yield* plex.fault("switchHomeUser", Fault.delay("1 second", Fault.status(503)), { times: 1 })
        // plex.tv refuses `b`'s token once (a blip): its switch again is on its way.
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const call = yield* Effect.fork(Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(b))))
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the switch again, on its way")
        assert.strictEqual((yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provide(c))))._tag, "Success")
        assert.strictEqual(
          (yield* Fiber.join(call))._tag,
          "Failure",
          "the call waiting for the switch, signed out"
        )
        // The switch's 503, then the policy's 10 s: before the fix, the switch was sent again after the sign-out.
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200; turn++) yield* Effect.yieldNow()
        yield* TestClock.adjust("10 seconds")
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("switchHomeUser"), 2, "no switch sent after the sign-out")
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a switch again a sign-out abandons while its retry waits out the policy's delay is stopped: no switch more",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock: the switch again answers 503 at once, the caller's policy retrying it after 10 s;
        // the sign-out (through another build) comes at 1 s, while no attempt is on its way.
        const plex = yield* FakePlex.FakePlex
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token),
          RetryPolicy.withPolicy(
            RetryPolicy.make(Schedule.intersect(Schedule.spaced("10 seconds"), Schedule.recurs(1)))
          )
        )
        const b = yield* Layer.build(switched.layer)
        const c = yield* Layer.build(switched.layer)
        yield* plex.fault("switchHomeUser", Fault.status(503), { times: 1 })
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const call = yield* Effect.fork(Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(b))))
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the switch again, answered 503")
        yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provide(c))))._tag, "Success")
        assert.strictEqual(
          (yield* Fiber.join(call))._tag,
          "Failure",
          "the call waiting for the switch, signed out"
        )
        // Before the fix the retry was sent at 10 s, after the sign-out.
        yield* TestClock.adjust("10 seconds")
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("switchHomeUser"), 2, "no switch sent after the sign-out")
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  // The admin's token refused by the switch again the sign-out abandoned (answered after the sign-out): credentials
  // that re-authenticate signed in again in the background and sent the switch again, with the PIN, after the
  // sign-out (a token made only to be revoked), as a retry of the policy was before 03e0e5d8.
  it.scoped(
    "a switch again a sign-out abandons, refused 401 after it, does not re-authenticate the admin nor switch again",
    () =>
      Effect.gen(function* () {
        const plex = yield* FakePlex.FakePlex
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const obtained = yield* Ref.make(0)
        const admin = yield* Credentials.makeRefreshing({
          initial: alice.token,
          obtain: Effect.zipRight(
            Ref.update(obtained, (n) => n + 1),
            Effect.orDie(plex.mintToken("alice"))
          )
        })
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Effect.provideService(Credentials.Credentials, admin)
        )
        const b = yield* Layer.build(switched.layer)
        const c = yield* Layer.build(switched.layer)
        yield* plex.fault("switchHomeUser", Fault.delay("1 second", Fault.status(401)), { times: 1 })
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const call = yield* Effect.fork(Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(b))))
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the switch again, on its way")
        assert.strictEqual((yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provide(c))))._tag, "Success")
        assert.strictEqual(
          (yield* Fiber.join(call))._tag,
          "Failure",
          "the call waiting for the switch, signed out"
        )
        // The switch's 401 at 1 s, after the sign-out.
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("switchHomeUser"), 2, "no switch sent after the sign-out")
        assert.strictEqual(
          yield* Ref.get(obtained),
          0,
          "no re-authentication of the admin after the sign-out"
        )
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  // The admin's re-authentication after the switch again's 401 (answered before the sign-out), still running when the
  // sign-out comes: the switch, abandoned, was sent again with the admin's new token and the PIN once it came (a
  // token made only to be revoked). The admin's credentials keep that token and their refresh works on.
  it.scoped(
    "a switch again refused 401 before a sign-out, the admin re-authenticating as it comes, is not sent again",
    () =>
      Effect.gen(function* () {
        const plex = yield* FakePlex.FakePlex
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const obtained = yield* Ref.make(0)
        const gate = yield* Deferred.make<void>()
        const admin = yield* Credentials.makeRefreshing({
          initial: alice.token,
          obtain: Ref.update(obtained, (n) => n + 1).pipe(
            Effect.zipRight(Deferred.await(gate)),
            Effect.zipRight(Effect.orDie(plex.mintToken("alice")))
          )
        })
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Effect.provideService(Credentials.Credentials, admin)
        )
        const b = yield* Layer.build(switched.layer)
        const c = yield* Layer.build(switched.layer)
        yield* plex.fault("switchHomeUser", Fault.status(401), { times: 1 })
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const call = yield* Effect.fork(Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(b))))
        for (let turn = 0; turn < 200 && (yield* Ref.get(obtained)) < 1; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* Ref.get(obtained), 1, "the admin re-authenticating after the switch's 401")
        assert.strictEqual(yield* count("switchHomeUser"), 2)
        assert.strictEqual((yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provide(c))))._tag, "Success")
        assert.strictEqual(
          (yield* Fiber.join(call))._tag,
          "Failure",
          "the call waiting for the switch, signed out"
        )
        yield* Deferred.succeed(gate, undefined)
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("switchHomeUser"), 2, "no switch sent after the sign-out")
        // The admin's credentials hold the token their re-authentication obtained, and answer with it.
        const details = yield* Effect.exit(
          PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, admin))
        )
        assert.strictEqual(details._tag, "Success")
        assert.notStrictEqual(Redacted.value(yield* admin.token), Redacted.value(alice.token))
        assert.strictEqual(yield* Ref.get(obtained), 1)
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a build waiting for a switch again whose build closed switches itself: one switch more, its call answered",
    () =>
      Effect.gen(function* () {
        // In memory, the switch held by the TestClock: the build that switches closes (an app's runtime disposed)
        // while another waits for its switch.
        const plex = yield* FakePlex.FakePlex
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const kids = yield* plex.account("kids")
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const closing = yield* Scope.make()
        const first = yield* Layer.buildWithScope(switched.layer, closing)
        const second = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        yield* plex.fault("switchHomeUser", Fault.delay("1 minute"), { times: 1 })
        yield* Effect.fork(PlexAuth.getTokenDetails().pipe(Effect.provide(first)))
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++)
          yield* Effect.yieldNow()
        const two = yield* Effect.fork(PlexAuth.getTokenDetails().pipe(Effect.provide(second)))
        for (let turn = 0; turn < 200 && (yield* count("getTokenDetails")) < 2; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("getTokenDetails"), 2, "the second build refused")
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the second build waits, sending no switch")
        // The first build closed: its switch is interrupted, and the second sends its own, answered at once.
        yield* Scope.close(closing, Exit.void)
        assert.strictEqual((yield* Fiber.join(two)).id, kids.id)
        assert.strictEqual(yield* count("switchHomeUser"), 3)
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "builds of a switched layer share its switch again: a build refused after another switched takes that token",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const switches = Effect.map(
          loopback.fake.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        // Two long-lived builds (an app's runtimes) holding the first token; the device revoked, each is refused in
        // turn: the second takes the token the first one's switch got, and sends no switch of its own.
        const first = yield* Layer.build(switched.layer)
        const second = yield* Layer.build(switched.layer)
        yield* loopback.fake.revokeDevice("features-test")
        yield* onLoopback(PlexAuth.getTokenDetails()).pipe(Effect.provide(first))
        yield* onLoopback(PlexAuth.getTokenDetails()).pipe(Effect.provide(second))
        assert.strictEqual(yield* switches, 2)
        // So a sign-out through one signs the user out of both: the other holds no token of its own, still valid.
        yield* onLoopback(PlexAuth.signOut()).pipe(Effect.provide(first))
        const exit = yield* Effect.exit(onLoopback(PlexAuth.getTokenDetails()).pipe(Effect.provide(second)))
        assert.strictEqual(
          Exit.isFailure(exit) && exit.cause._tag === "Fail"
            ? exit.cause.error._tag
            : `not refused: ${exit._tag}`,
          "Unauthorized",
          "the other build, after a sign-out through the first"
        )
        assert.strictEqual(yield* switches, 2)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a sign-out through a switched layer revokes the newer token a build built after the switch holds, once",
    () =>
      Effect.gen(function* () {
        // In memory: the fake tells which tokens plex.tv still accepts.
        const plex = yield* FakePlex.FakePlex
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const heldBy = (build: Context.Context<Credentials.Credentials>) =>
          Credentials.Credentials.pipe(
            Effect.flatMap((credentials) => credentials.token),
            Effect.provide(build)
          )
        // `older` (an app's runtime) holds the first token; revoked, a per-call build switches again (the newer
        // token), and `newer`, built after that switch, starts from it without having renewed it itself.
        const older = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        assert.strictEqual(yield* count("switchHomeUser"), 2)
        const newer = yield* Layer.build(switched.layer)
        const token = yield* heldBy(newer)
        assert.notStrictEqual(Redacted.value(token), Redacted.value(switched.token))
        assert.isTrue(yield* plex.isTokenValid(token))
        // Signed out through `older` (its token already revoked: refused, the builds are told all the same).
        yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provide(older)))
        // Before the fix the newer token stayed valid at plex.tv, held by `newer`: it is revoked, once.
        assert.isFalse(yield* plex.isTokenValid(token), "the newer token, after the sign-out")
        assert.strictEqual(yield* count("signOut"), 2)
        const exit = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(newer)))
        assert.strictEqual(exit._tag, "Failure", "the build holding the newer token")
        assert.strictEqual(yield* count("switchHomeUser"), 2)
        // A second sign-out (through `newer`) revokes nothing of the layer's again.
        yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provide(newer)))
        assert.strictEqual(yield* count("signOut"), 3)
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a sign-out through a switched layer revokes the newest token a switch got, when no build holds it",
    () =>
      Effect.gen(function* () {
        const plex = yield* FakePlex.FakePlex
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        // `older` holds the first token; revoked, a per-call build (closed since) switches again: the newest token.
        const older = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        const tokenNow = Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token)
        const newest = yield* Effect.andThen(PlexAuth.getTokenDetails(), tokenNow).pipe(
          Effect.provide(switched.layer)
        )
        assert.notStrictEqual(Redacted.value(newest), Redacted.value(switched.token))
        assert.isTrue(yield* plex.isTokenValid(newest))
        yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provide(older)))
        // Later builds start from the token signed out: the newest one, held by none, is not left valid at plex.tv.
        assert.isFalse(yield* plex.isTokenValid(newest))
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a sign-out's revoke of the layer's other token that fails is logged as a word, never a token",
    () =>
      Effect.gen(function* () {
        const plex = yield* FakePlex.FakePlex
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const older = yield* Layer.build(switched.layer)
        // plex.tv refuses the first token once (it stays valid there): a per-call build switches again, the newest.
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const tokenNow = Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token)
        const newest = yield* Effect.andThen(PlexAuth.getTokenDetails(), tokenNow).pipe(
          Effect.provide(switched.layer)
        )
        // The sign-out (of the layer's token, the newest) accepted; the revoke of the first token, still valid at
        // plex.tv (its refusal was one answer), answered 503 (plex.tv down): it stays valid.
        yield* plex.fault(
          "signOut",
          Fault.respond((request) =>
            Effect.succeed(
              new Response(null, {
                status: request.headers.get("x-plex-token") === Redacted.value(switched.token) ? 503 : 204
              })
            )
          )
        )
        const { exit, lines } = yield* withCapturedLogs(PlexAuth.signOut().pipe(Effect.provide(older)))
        // Its own answer: the layer's token revoked; an extra revoke never fails the sign-out.
        assert.strictEqual(exit._tag, "Success")
        assert.strictEqual(
          (yield* plex.requests).filter((r) => r.route === "signOut").length,
          2,
          "the sign-out and the revoke of the first token, not retried"
        )
        assert.isTrue(yield* plex.isTokenValid(switched.token), "the first token, its revoke failed")
        assert.isTrue(
          lines.some((line) => line.includes("could not be revoked (Unexpected)")),
          lines.join("\n")
        )
        assertNoSecrets(lines, [
          Redacted.value(newest),
          Redacted.value(switched.token),
          Redacted.value(alice.token),
          KIDS_PIN
        ])
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a sign-out's revoke of the layer's newer token that plex.tv refuses (already invalid) warns of nothing",
    () =>
      Effect.gen(function* () {
        // Two sign-outs at once, through two builds: the one through the newer build revoked its token first, so the
        // other one's revoke of it is refused (the fake's 401 stands for that answer). Not a token left valid: before
        // the fix, a warning said it "could not be revoked ... plex.tv may still accept it", which was false.
        const plex = yield* FakePlex.FakePlex
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const older = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        yield* plex.fault("signOut", Fault.status(401), { times: 2 })
        const { exit, lines } = yield* withCapturedLogs(PlexAuth.signOut().pipe(Effect.provide(older)))
        assert.strictEqual(exit._tag, "Failure")
        assert.strictEqual(
          (yield* plex.requests).filter((r) => r.route === "signOut").length,
          2,
          "the sign-out and the revoke of the newer token, not retried"
        )
        assert.deepStrictEqual(
          lines.filter((line) => line.includes("could not be revoked")),
          [],
          "no warning for a token plex.tv refuses"
        )
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a sign-out through the newer build revokes the older build's token, refused already, with no warning",
    () =>
      Effect.gen(function* () {
        // No fault: an older build (an app's runtime) holds the first token, revoked; a per-call build switched again;
        // the sign-out through a build built since revokes its token, then the older build's (plex.tv: invalid).
        const plex = yield* FakePlex.FakePlex
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        const newer = yield* Layer.build(switched.layer)
        const { exit, lines } = yield* withCapturedLogs(PlexAuth.signOut().pipe(Effect.provide(newer)))
        assert.strictEqual(exit._tag, "Success")
        assert.strictEqual((yield* plex.requests).filter((r) => r.route === "signOut").length, 2)
        // Before the fix: "could not be revoked (Unauthorized): ... plex.tv may still accept it", on every such sign-out.
        assert.deepStrictEqual(
          lines.filter((line) => line.includes("could not be revoked")),
          [],
          lines.join("\n")
        )
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a sign-out's revoke of the layer's other token that hangs ends at the per-attempt timeout, one attempt",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock: plex.tv never answers the revoke of the first token (refused once, still valid
        // there); the sign-out's own request (of the layer's token, the newest) is accepted at once.
        const plex = yield* FakePlex.FakePlex
        const count = Effect.map(plex.requests, (all) => all.filter((r) => r.route === "signOut").length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const older = yield* Layer.build(switched.layer)
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        yield* plex.fault(
          "signOut",
          Fault.respond((request) =>
            request.headers.get("x-plex-token") === Redacted.value(switched.token)
              ? Effect.never
              : Effect.succeed(new Response(null, { status: 204 }))
          )
        )
        const out = yield* Effect.fork(
          withCapturedLogs(
            PlexAuth.signOut().pipe(PlexAuth.withRequestTimeout("5 seconds"), Effect.provide(older))
          )
        )
        for (let turn = 0; turn < 200 && (yield* count) < 2; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* count, 2, "the revoke of the first token, on its way")
        assert.isTrue(Option.isNone(yield* Fiber.poll(out)), "the sign-out waits for it")
        yield* TestClock.adjust("5 seconds")
        const { exit, lines } = yield* Fiber.join(out)
        assert.strictEqual(exit._tag, "Success", "the layer's token revoked; an extra revoke never fails it")
        assert.strictEqual(yield* count, 2, "one attempt")
        assert.isTrue(
          lines.some((line) => line.includes("could not be revoked (NetworkError)")),
          lines.join("\n")
        )
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a sign-out through a build holding a token a later switch replaced signs the layer's token out: success",
    () =>
      Effect.gen(function* () {
        const plex = yield* FakePlex.FakePlex
        const count = Effect.map(plex.requests, (all) => all.filter((r) => r.route === "signOut").length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        // `older` (an app's runtime) holds the first token; revoked, a per-call build switches again: the newest.
        const older = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        const tokenNow = Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token)
        const newest = yield* Effect.andThen(PlexAuth.getTokenDetails(), tokenNow).pipe(
          Effect.provide(switched.layer)
        )
        // Before the fix: Unauthorized (the stale token refused), though the layer ended signed out, `newest` revoked.
        const exit = yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provide(older)))
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.isFalse(yield* plex.isTokenValid(newest))
        // The layer's token, then the stale one (refused: already invalid); nothing switched again.
        assert.strictEqual(yield* count, 2)
        const after = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(older)))
        assert.strictEqual(after._tag, "Failure")
        assert.strictEqual(
          (yield* plex.requests).filter((r) => r.route === "switchHomeUser").length,
          2,
          "the first switch and the per-call build's"
        )
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a sign-out revokes the layer's other tokens at once, not one after another (TestClock, plex.tv slow)",
    () =>
      Effect.gen(function* () {
        const plex = yield* FakePlex.FakePlex
        const count = Effect.map(plex.requests, (all) => all.filter((r) => r.route === "signOut").length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const tokenNow = Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token)
        // Three builds (an app's runtimes), each holding a token the layer got: plex.tv refused the first and the
        // second once (each stays valid there), and a per-call build switched again each time.
        const first = yield* Layer.build(switched.layer)
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        const second = yield* Layer.build(switched.layer)
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        const third = yield* Layer.build(switched.layer)
        const tokens = yield* Effect.forEach([first, second, third], (build) =>
          tokenNow.pipe(Effect.provide(build))
        )
        assert.strictEqual(new Set(tokens.map(Redacted.value)).size, 3)
        // plex.tv holds each revoke a second.
        yield* plex.fault("signOut", Fault.delay("1 second"), { times: 3 })
        const out = yield* Effect.fork(Effect.exit(PlexAuth.signOut().pipe(Effect.provide(third))))
        for (let turn = 0; turn < 200 && (yield* count) < 1; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* count, 1, "the sign-out's own revoke, held")
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count) < 3; turn++) yield* Effect.yieldNow()
        // Before the fix: 2 (the second extra revoke waited for the first to end).
        assert.strictEqual(yield* count, 3, "both other tokens' revokes in flight together")
        assert.isTrue(Option.isNone(yield* Fiber.poll(out)), "the sign-out waits for them")
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.join(out)
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.strictEqual(yield* count, 3, "each once")
        for (const token of tokens) assert.isFalse(yield* plex.isTokenValid(token))
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a sign-out tells the builds four at a time: a build's revoke of a token it dropped holds no other's telling",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock holding each revoke a second. While the sign-out of the first token is on its way,
        // `a` switches again (its token renewed from the one signed out), and each of `b`, `c`, `e`, refused, takes
        // the newest a per-call build switched to just before: each of the four holds a token of its own renewed from
        // the one signed out, which its telling drops and revokes. `d`, the fifth, waits for its turn to be told.
        const plex = yield* FakePlex.FakePlex
        const count = Effect.map(plex.requests, (all) => all.filter((r) => r.route === "signOut").length)
        const switches = Effect.map(
          plex.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const tokenNow = Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token)
        const [a, b, c, e, d] = yield* Effect.forEach([1, 2, 3, 4, 5], () => Layer.build(switched.layer))
        yield* plex.fault("signOut", Fault.delay("1 second"), { times: 5 })
        const out = yield* Effect.fork(Effect.exit(PlexAuth.signOut().pipe(Effect.provide(a!))))
        for (let turn = 0; turn < 200 && (yield* count) < 1; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* count, 1, "the sign-out of the first token, held")
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const dropped = [yield* Effect.andThen(PlexAuth.getTokenDetails(), tokenNow).pipe(Effect.provide(a!))]
        for (const build of [b!, c!, e!]) {
          yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
          yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
          yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
          dropped.push(
            yield* Effect.andThen(PlexAuth.getTokenDetails(), tokenNow).pipe(Effect.provide(build))
          )
        }
        assert.strictEqual(yield* switches, 5)
        assert.strictEqual(new Set(dropped.map(Redacted.value)).size, 4)
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count) < 5; turn++) yield* Effect.yieldNow()
        // Before the fix: 2 (each build was told once the one before it had revoked its token, a second later).
        assert.strictEqual(yield* count, 5, "the four dropped tokens' revokes in flight together")
        for (const token of dropped) assert.isTrue(yield* plex.isTokenValid(token), "not revoked yet")
        // `d` is not told yet (four at a time), its token (the first) refused: it takes neither a dropped token nor
        // a switch of its own, the layer being signed out.
        const refused = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(d!)))
        assert.strictEqual(refused._tag, "Failure", "a call after the sign-out")
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.join(out)
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.strictEqual(yield* count, 5, "each once")
        for (const token of [switched.token, ...dropped]) assert.isFalse(yield* plex.isTokenValid(token))
        assert.strictEqual(yield* switches, 5, "no switch after the sign-out")
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a sign-out through a build whose switch again takes over 5 s revokes its token, then the one the switch gives",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock: plex.tv refuses the first token once (a blip: still valid there) and holds the
        // switch again 6 seconds. The sign-out waits 5 seconds for it, then revokes the token the build holds (the
        // layer's, the first), held 2 seconds; meanwhile the switch answers: its token, renewed from the one signed
        // out, is dropped and revoked once the sign-out is accepted, never left valid.
        const plex = yield* FakePlex.FakePlex
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const build = yield* Layer.build(switched.layer)
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* plex.fault("switchHomeUser", Fault.delay("6 seconds"), { times: 1 })
        const call = yield* Effect.fork(PlexAuth.getTokenDetails().pipe(Effect.provide(build)))
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++)
          yield* Effect.yieldNow()
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the switch again, in flight")
        yield* plex.fault("signOut", Fault.delay("2 seconds"), { times: 1 })
        const out = yield* Effect.fork(Effect.exit(PlexAuth.signOut().pipe(Effect.provide(build))))
        yield* TestClock.adjust("5 seconds")
        for (let turn = 0; turn < 200 && (yield* count("signOut")) < 1; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* count("signOut"), 1, "the revoke of the token held, after 5 seconds")
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(call)
        const renewed = yield* Effect.flatMap(Credentials.Credentials, (c) => c.token).pipe(
          Effect.provide(build)
        )
        assert.notStrictEqual(Redacted.value(renewed), Redacted.value(switched.token))
        assert.isTrue(yield* plex.isTokenValid(renewed))
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.join(out)
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.isFalse(yield* plex.isTokenValid(switched.token), "the token the sign-out revoked")
        assert.isFalse(yield* plex.isTokenValid(renewed), "the switch's token, dropped and revoked")
        assert.strictEqual(yield* count("signOut"), 2)
        const after = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(build)))
        assert.strictEqual(after._tag, "Failure", "the build, signed out")
        assert.strictEqual(yield* count("switchHomeUser"), 2, "no switch after the sign-out")
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a build refused while a sign-out tells the builds never takes the token the sign-out dropped",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock holding each revoke: `a`'s token, renewed from the one signed out while the
        // sign-out was on its way, is dropped, its revoke held. `d` holds the first token (revoked) and is refused
        // meanwhile (told by then: the builds are told four at a time; a build refused before its turn is the test
        // "a sign-out tells the builds four at a time").
        const plex = yield* FakePlex.FakePlex
        const count = Effect.map(plex.requests, (all) => all.filter((r) => r.route === "signOut").length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const a = yield* Layer.build(switched.layer)
        const d = yield* Layer.build(switched.layer)
        yield* plex.fault("signOut", Fault.delay("1 second"), { times: 2 })
        const out = yield* Effect.fork(Effect.exit(PlexAuth.signOut().pipe(Effect.provide(a))))
        for (let turn = 0; turn < 200 && (yield* count) < 1; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* count, 1, "the sign-out of the first token, held")
        // Meanwhile plex.tv refuses `a` once: it switches again (a token renewed from the one being signed out).
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(a))
        const dropped = yield* Effect.flatMap(Credentials.Credentials, (c) => c.token).pipe(Effect.provide(a))
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count) < 2; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* count, 2, "the revoke of the token `a` dropped, held")
        assert.isTrue(yield* plex.isTokenValid(dropped), "not revoked yet")
        // Before the fix `d` took that token (the layer's newest) and its call went on as Kids after the sign-out.
        const refused = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(d)))
        assert.strictEqual(refused._tag, "Failure", "a call after the sign-out")
        yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Fiber.join(out))._tag, "Success")
        assert.isFalse(yield* plex.isTokenValid(dropped))
        assert.strictEqual(
          (yield* plex.requests).filter((r) => r.route === "switchHomeUser").length,
          2,
          "no switch after the sign-out"
        )
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a build refused while a sign-out tells the builds leaves the layer's newest token to the sign-out's revokes",
    () =>
      Effect.gen(function* () {
        // As above (`a`'s dropped token's revoke held, `d` refused meanwhile), and before the sign-out
        // was answered a per-call build, refused the token `a` switched to, switched again and closed: the layer's
        // newest token, which no build alive holds. Only the sign-out's revoke of the layer's other tokens reaches it.
        const plex = yield* FakePlex.FakePlex
        const count = Effect.map(plex.requests, (all) => all.filter((r) => r.route === "signOut").length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const tokenNow = Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token)
        const a = yield* Layer.build(switched.layer)
        const d = yield* Layer.build(switched.layer)
        yield* plex.fault("signOut", Fault.delay("1 second"), { times: 2 })
        const out = yield* Effect.fork(Effect.exit(PlexAuth.signOut().pipe(Effect.provide(a))))
        for (let turn = 0; turn < 200 && (yield* count) < 1; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* count, 1, "the sign-out of the first token, held")
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(a))
        // A per-call build starts from `a`'s new token; plex.tv refuses it once (it stays valid there): a switch.
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const newest = yield* Effect.andThen(PlexAuth.getTokenDetails(), tokenNow).pipe(
          Effect.provide(switched.layer)
        )
        assert.strictEqual((yield* plex.requests).filter((r) => r.route === "switchHomeUser").length, 3)
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count) < 2; turn++) yield* Effect.yieldNow()
        assert.strictEqual(yield* count, 2, "the revoke of the token `a` dropped, held")
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(d))))._tag,
          "Failure"
        )
        yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Fiber.join(out))._tag, "Success")
        // Before the fix `d`'s refusal recorded the token signed out as the layer's newest: this one was left valid.
        assert.isFalse(yield* plex.isTokenValid(newest), "the layer's newest token, revoked")
        assert.strictEqual(yield* count, 3, "each once")
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a sign-out through a layer switched to the admin never revokes the admin's own token as an extra",
    () =>
      Effect.gen(function* () {
        // plex.tv's token is per user and device: a switch to the signed-in admin's own profile may hand back the
        // admin's own token (the fake answers so here, once). A later switch again gives a token of its own.
        const plex = yield* FakePlex.FakePlex
        const count = Effect.map(plex.requests, (all) => all.filter((r) => r.route === "signOut").length)
        const alice = yield* plex.account("alice")
        yield* plex.fault(
          "switchHomeUser",
          Fault.respond(() =>
            Effect.succeed(
              Response.json(
                {
                  id: 1,
                  uuid: "alice-uuid",
                  title: "alice",
                  username: "alice",
                  authToken: Redacted.value(alice.token)
                },
                { status: 201 }
              )
            )
          ),
          { times: 1 }
        )
        const switched = yield* Home.switchUser("alice").pipe(Credentials.withToken(alice.token))
        assert.strictEqual(Redacted.value(switched.token), Redacted.value(alice.token))
        // `older` holds it; plex.tv refuses it once (a blip): a per-call build switches again, a new token.
        const older = yield* Layer.build(switched.layer)
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        const newer = yield* Layer.build(switched.layer)
        const token = yield* Effect.flatMap(Credentials.Credentials, (c) => c.token).pipe(
          Effect.provide(newer)
        )
        assert.notStrictEqual(Redacted.value(token), Redacted.value(alice.token))
        const exit = yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provide(newer)))
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.isFalse(yield* plex.isTokenValid(token), "the layer's token, signed out")
        // Before the fix the admin's own token, held by `older`, was revoked too: the app's own credentials ended.
        assert.isTrue(yield* plex.isTokenValid(alice.token), "the admin's own token")
        assert.strictEqual(yield* count, 1)
        assert.isNotEmpty(yield* Home.users().pipe(Credentials.withToken(alice.token)))
        // `older` still holds the admin's own token, left to its owner, valid; the layer switches no more.
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(older))))._tag,
          "Success"
        )
        assert.strictEqual(
          (yield* plex.requests).filter((r) => r.route === "switchHomeUser").length,
          2,
          "the switch to the admin and the per-call build's"
        )
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a layer switched to the admin never revokes a token the admin's own credentials gave a switch, changed since",
    () =>
      Effect.gen(function* () {
        // Credentials of the caller's own making, without `current`: their `token` reads a variable the app updates
        // (the admin signed in again elsewhere). The switch to the admin's own profile hands back the token it was
        // sent with (the fake answers so once); the token changes; a switch again (sent with the new one) gives a
        // token of its own.
        const plex = yield* FakePlex.FakePlex
        const count = Effect.map(plex.requests, (all) => all.filter((r) => r.route === "signOut").length)
        const alice = yield* plex.account("alice")
        const admin = yield* Ref.make(alice.token)
        const owner = { token: Ref.get(admin) }
        yield* plex.fault(
          "switchHomeUser",
          Fault.respond(() =>
            Effect.succeed(
              Response.json(
                {
                  id: 1,
                  uuid: "alice-uuid",
                  title: "alice",
                  username: "alice",
                  authToken: Redacted.value(alice.token)
                },
                { status: 201 }
              )
            )
          ),
          { times: 1 }
        )
        const switched = yield* Home.switchUser("alice").pipe(
          Effect.provideService(Credentials.Credentials, owner)
        )
        assert.strictEqual(Redacted.value(switched.token), Redacted.value(alice.token))
        // `older` holds it; the admin's credentials change; plex.tv refuses it once (a blip): a per-call build
        // switches again, with the new token, and gets a token of its own.
        const older = yield* Layer.build(switched.layer)
        yield* Ref.set(admin, yield* plex.mintToken("alice"))
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        const newer = yield* Layer.build(switched.layer)
        const token = yield* Effect.flatMap(Credentials.Credentials, (c) => c.token).pipe(
          Effect.provide(newer)
        )
        assert.notStrictEqual(Redacted.value(token), Redacted.value(alice.token))
        const exit = yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provide(newer)))
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.isFalse(yield* plex.isTokenValid(token), "the layer's token, signed out")
        // Before the fix the admin's first token, held by `older`, was revoked: only the token the admin's
        // credentials gave at the sign-out was spared, not the one the switch was made with.
        assert.isTrue(yield* plex.isTokenValid(alice.token), "the token the first switch was made with")
        assert.isTrue(yield* plex.isTokenValid(yield* Ref.get(admin)), "the admin's token now")
        assert.strictEqual(yield* count, 1)
        // `older` still holds the first token, left to its owner, valid.
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provide(older))))._tag,
          "Success"
        )
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer(seed),
            ClientIdentity.layer({ clientIdentifier: "features-test", product: "Features Test" })
          )
        )
      )
  )

  it.scoped(
    "a switched layer whose switch again meets the admin's token refused says to sign in again, as is true",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const alice = yield* loopback.fake.account("alice")
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        yield* loopback.fake.revokeToken(alice.token)
        yield* loopback.fake.revokeDevice("features-test")
        const refused = yield* Effect.flip(
          onLoopback(PlexAuth.getTokenDetails()).pipe(Effect.provide(switched.layer))
        )
        assert.strictEqual(refused._tag, "Unauthorized")
        assert.match(refused.message, /; re-authentication failed \(Unauthorized\): sign in again$/)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a switch again is traced where the layer is used, not under the first switch's long-ended span",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const { exit, spans } = yield* withRecordedSpans(
          Effect.gen(function* () {
            const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
            yield* loopback.fake.revokeDevice("features-test")
            return yield* onLoopback(PlexAuth.getTokenDetails()).pipe(
              Effect.provide(switched.layer),
              Effect.withSpan("as-kids")
            )
          })
        )
        assert.isTrue(Exit.isSuccess(exit))
        const first = spans.find((s) => s.name === "Home.switchUser")!
        const again = spans.filter((s) => s.name === "Home.switchUser" && s.kind === "client").at(-1)!
        const ancestors = (span: Tracer.AnySpan): ReadonlyArray<string> =>
          span._tag === "Span" && Option.isSome(span.parent)
            ? [span.parent.value.spanId, ...ancestors(span.parent.value)]
            : []
        assert.notStrictEqual(
          again,
          spans.filter((s) => s.name === "Home.switchUser" && s.kind === "client")[0]
        )
        assert.notInclude(ancestors(again), first.spanId)
        assert.include(ancestors(again), spans.find((s) => s.name === "as-kids")!.spanId)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped("switching with the PIN gives that user's token, usable at once as Credentials", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
      assert.strictEqual(switched.user.title, "Kids")
      assert.strictEqual(switched.account.title, "Kids")
      assert.isTrue(Redacted.isRedacted(switched.token))
      const kids = yield* loopback.fake.account("kids")
      const me = yield* onLoopback(PlexAuth.getTokenDetails()).pipe(Effect.provide(switched.layer))
      assert.strictEqual(me.id, kids.id)
      assert.isTrue(yield* loopback.fake.isTokenValid(switched.token))
      // The PIN went as the query parameter `pin` (python-plexapi and @ctrl/plex `switchHomeUser`), no body;
      // the fake's record keeps it a secret.
      const requests = yield* loopback.fake.requests
      const sent = requests.find((r) => r.route === "switchHomeUser")!
      assert.strictEqual(sent.path, `/api/v2/home/users/${kids.uuid}/switch`)
      assert.deepStrictEqual(Object.keys(sent.query), ["pin"])
      const recorded = sent.query["pin"]!
      assert.isTrue(Redacted.isRedacted(recorded))
      assert.strictEqual(Redacted.isRedacted(recorded) ? Redacted.value(recorded) : recorded, KIDS_PIN)
      assert.isUndefined(sent.form)
      assert.notInclude(JSON.stringify(requests), KIDS_PIN)
      assert.notInclude(JSON.stringify(switched), Redacted.value(switched.token))
    }).pipe(Effect.provide(TestLive()))
  )

  it.scoped("a user without a PIN switches without one; Home.layer provides the credentials", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const bob = yield* loopback.fake.account("bob")
      const me = yield* onLoopback(PlexAuth.getTokenDetails()).pipe(
        Effect.provide(Home.layer("bob")),
        as("alice")
      )
      assert.strictEqual(me.id, bob.id)
      // Named by its email in another case, as python-plexapi and @ctrl/plex find a user.
      const byEmail = yield* as("alice")(Home.switchUser(bob.email.toUpperCase()))
      assert.strictEqual(byEmail.account.id, bob.id)
    }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "Home.layer switches again too when plex.tv refuses its token, once, inside the layer's use",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const kids = yield* loopback.fake.account("kids")
        const switches = Effect.map(
          loopback.fake.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const ids = yield* Effect.gen(function* () {
          const first = yield* PlexAuth.getTokenDetails()
          yield* loopback.fake.revokeDevice("features-test")
          const second = yield* PlexAuth.getTokenDetails()
          return [first.id, second.id]
        }).pipe(onLoopback, Effect.provide(Home.layer("kids", { pin: KIDS_PIN })), as("alice"))
        assert.deepStrictEqual(ids, [kids.id, kids.id])
        assert.strictEqual(yield* switches, 2)
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped("a wrong PIN, a missing PIN and a user not in the home are distinct errors", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const wrong = yield* failure(as("alice")(Home.switchUser("Kids", { pin: "0000" })))
      assert.strictEqual(wrong._tag, "InvalidHomePin")
      if (wrong._tag === "InvalidHomePin") assert.strictEqual(wrong.status, 403)
      assert.notInclude(JSON.stringify(wrong), "0000")
      assert.notInclude(wrong.message, "0000")
      // The fake's record keeps the wrong PIN a secret too.
      const wrongSent = (yield* loopback.fake.requests).find((r) => r.route === "switchHomeUser")!
      const wrongPin = wrongSent.query["pin"]!
      assert.isTrue(Redacted.isRedacted(wrongPin))
      assert.strictEqual(Redacted.isRedacted(wrongPin) ? Redacted.value(wrongPin) : wrongPin, "0000")
      assert.isUndefined(wrongSent.form)

      // plex.tv decides that a PIN is needed: the switch is sent without one, its 403 (code 1041) is the error.
      const missing = yield* failure(as("alice")(Home.switchUser("Kids")))
      assert.strictEqual(missing._tag, "HomePinRequired")
      if (missing._tag === "HomePinRequired")
        assert.deepStrictEqual(
          missing.errors.map((e) => e.code),
          [1041]
        )
      const switches = (yield* loopback.fake.requests).filter((r) => r.route === "switchHomeUser")
      assert.strictEqual(switches.length, 2)
      assert.isUndefined(switches[1]!.query["pin"])

      // Whatever the listing said.
      const users = yield* as("alice")(Home.users())
      const stale = { ...users.find((u) => u.title === "Kids")!, protected: false }
      const fromPlexTv = yield* failure(as("alice")(Home.switchUser(stale)))
      assert.strictEqual(fromPlexTv._tag, "HomePinRequired")

      const stranger = yield* failure(as("alice")(Home.switchUser("carol")))
      assert.strictEqual(stranger._tag, "HomeUserNotFound")
      if (stranger._tag === "HomeUserNotFound") {
        assert.deepStrictEqual(stranger.available, ["alice", "Kids", "bob"])
        // Says what to do, as HomePinRequired's and InvalidHomePin's messages do.
        assert.strictEqual(
          stranger.message,
          'Home.switchUser: no Plex Home user "carol" (the home has: "alice", "Kids", "bob"); switch to one of those'
        )
      }

      // A user of another home, named by a listing from elsewhere: plex.tv answers 404.
      const carol = (yield* as("carol")(Home.users()))[0]!
      const foreign = yield* failure(as("alice")(Home.switchUser(carol)))
      assert.strictEqual(foreign._tag, "HomeUserNotFound")

      const badPin = yield* failure(as("alice")(Home.switchUser("Kids", { pin: "12ab" })))
      assert.strictEqual(badPin._tag, "InvalidInput")
    }).pipe(Effect.provide(TestLive()))
  )

  // The PIN refusal core/home.ts also reads as a 401 with code 1041: with credentials that can re-authenticate, it was
  // taken for a refused token, so a wrong PIN signed in again (or started a PIN login) and sent the switch again.
  it.scoped(
    "a PIN refused with a 401 (code 1041) is InvalidHomePin: refreshing credentials do not re-authenticate",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const alice = yield* loopback.fake.account("alice")
        const obtained = yield* Ref.make(0)
        const credentials = yield* Credentials.makeRefreshing({
          initial: alice.token,
          obtain: Effect.as(
            Ref.update(obtained, (n) => n + 1),
            alice.token
          )
        })
        yield* loopback.fake.fault(
          "switchHomeUser",
          Fault.status(401, { code: 1041, message: "Invalid PIN" })
        )
        const wrong = yield* failure(
          Home.switchUser("Kids", { pin: "0000" }).pipe(
            PlexTv.withUrl(loopback.plexTvUrl),
            Effect.provideService(Credentials.Credentials, credentials)
          )
        )
        assert.strictEqual(wrong._tag, "InvalidHomePin")
        assert.strictEqual(yield* Ref.get(obtained), 0, "no re-authentication")
        const switches = (yield* loopback.fake.requests).filter((r) => r.route === "switchHomeUser")
        assert.strictEqual(switches.length, 1)
      }).pipe(Effect.provide(TestLive()))
  )

  // Only the body of a refused switch tells a PIN refusal (code 1041, with a 400 or 401) from a refused token: one
  // that broke off after its status stays a NetworkError with that status, not an Unauthorized that re-authenticates.
  it.scoped("a 401 to a switch whose body is cut off is a NetworkError (401): no re-authentication", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      const alice = yield* loopback.fake.account("alice")
      const obtained = yield* Ref.make(0)
      const credentials = yield* Credentials.makeRefreshing({
        initial: alice.token,
        obtain: Effect.as(
          Ref.update(obtained, (n) => n + 1),
          alice.token
        )
      })
      yield* loopback.fake.fault("switchHomeUser", cutOff(401), { times: 1 })
      const cut = yield* failure(
        Home.switchUser("Kids", { pin: "0000" }).pipe(
          PlexTv.withUrl(loopback.plexTvUrl),
          Effect.provideService(Credentials.Credentials, credentials)
        )
      )
      assert.strictEqual(cut._tag, "NetworkError")
      if (cut._tag === "NetworkError") assert.strictEqual(cut.status, 401)
      assert.strictEqual(yield* Ref.get(obtained), 0, "no re-authentication")
      const switches = (yield* loopback.fake.requests).filter((r) => r.route === "switchHomeUser")
      assert.strictEqual(switches.length, 1)
    }).pipe(Effect.provide(TestLive()))
  )

  // plex.tv does not demand a PIN to switch to the signed-in user's own profile (Plex apps switch to the admin at
  // start; admins commonly have one), nor on every account: the switch was refused before any request when the
  // listing said `protected`, where plex.tv (and the fake) would have switched.
  it.scoped(
    "a protected user plex.tv switches to without a PIN (the signed-in admin's own profile): switched",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const alice = yield* loopback.fake.account("alice")
        const users = yield* as("alice")(Home.users())
        assert.isTrue(users.find((u) => u.title === "alice")!.protected)
        const switched = yield* as("alice")(Home.switchUser("alice"))
        assert.strictEqual(switched.account.id, alice.id)
        const sent = (yield* loopback.fake.requests).filter((r) => r.route === "switchHomeUser")
        assert.strictEqual(sent.length, 1)
        assert.isUndefined(sent[0]!.query["pin"])
        // A PIN given is checked, one's own too (240-MP: plex.tv "always validates a PIN when one is supplied").
        const wrongOwn = yield* failure(as("alice")(Home.switchUser("alice", { pin: "0000" })))
        assert.strictEqual(wrongOwn._tag, "InvalidHomePin")
        // Another protected user still needs its PIN, as plex.tv says.
        const kids = yield* failure(as("alice")(Home.switchUser("Kids")))
        assert.strictEqual(kids._tag, "HomePinRequired")
      }).pipe(Effect.provide(TestLive(adminWithPin)))
  )

  // Untyped JavaScript: options of null died with a TypeError, a string was read as "no PIN"; an object that is
  // not a HomeUser was switched to /api/v2/home/users/undefined/switch and then died building the error.
  it.scoped("wrong types from untyped JavaScript: InvalidInput before any request, never a defect", () =>
    Effect.gen(function* () {
      const loopback = yield* FakePlexServer.FakePlexServer
      yield* loopback.fake.clearRequests
      const errors = yield* Effect.forEach(
        [
          Home.switchUser("Kids", null as never),
          Home.switchUser("Kids", "1234" as never),
          Home.switchUser({} as never),
          Home.switchUser({ uuid: "abc" } as never),
          Home.switchUser(Number.NaN)
        ],
        (effect) => failure(as("alice")(effect))
      )
      assert.deepStrictEqual(
        errors.map((e) => [e._tag, e._tag === "InvalidInput" ? e.field : ""]),
        [
          ["InvalidInput", "options"],
          ["InvalidInput", "options"],
          ["InvalidInput", "user"],
          ["InvalidInput", "user"],
          ["InvalidInput", "user"]
        ]
      )
      assert.deepStrictEqual(yield* loopback.fake.requests, [])
    }).pipe(Effect.provide(TestLive()))
  )

  // Home.findUser, the picker's helper: an empty name matched a user whose title is "" (a decoded user's default).
  it("Home.findUser: an empty or blank name, or what names no one (null, 1.5), finds no one", () => {
    const flags = { restricted: false, admin: false, guest: false, protected: false }
    const list: ReadonlyArray<Home.HomeUser> = [
      { id: 1, uuid: "u1", title: "alice", username: "alice", ...flags },
      { id: 2, uuid: "u2", title: "", ...flags }
    ]
    for (const wanted of ["", "  ", null, undefined, 1.5]) {
      assert.isUndefined(Home.findUser(list, wanted as never), String(wanted))
    }
    assert.strictEqual(Home.findUser(list, " ALICE ")?.uuid, "u1")
    assert.strictEqual(Home.findUser(list, 2)?.uuid, "u2")
  })

  it.scoped(
    "a failed listing inside switchUser keeps its name, Home.users, as every flow's steps do: no switch was sent",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        yield* loopback.fake.fault("getHomeUsers", Fault.status(503), { times: 1 })
        const down = yield* failure(as("alice")(Home.switchUser("Kids")))
        assert.strictEqual(down._tag, "Unexpected")
        // As Resources.connectByName's listing is Resources.servers' and Claim.claimServer's token Claim.token's
        // (docs/tracing.md): the step that failed, the listing, so the switch (and its PIN) was never sent.
        assert.strictEqual(down._tag === "Unexpected" ? down.operation : "", "Home.users")
        assert.match(
          down.message,
          /^Home\.users: unexpected response from GET \S+\/api\/v2\/home\/users \(HTTP 503\)/
        )
        assert.isFalse((yield* loopback.fake.requests).some((r) => r.route === "switchHomeUser"))
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a switched user's credentials whose new switch fails say to switch to the user again, not to sign in",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        // Kids' credentials switch again when plex.tv refuses Kids' token (docs/home.md), here with a wrong PIN.
        const kids = yield* Credentials.makeRefreshing({
          initial: switched.token,
          obtain: as("alice")(Effect.map(Home.switchUser("kids", { pin: "0000" }), (again) => again.token))
        })
        yield* loopback.fake.revokeToken(switched.token)
        const refused = yield* failure(
          onLoopback(PlexAuth.getTokenDetails()).pipe(Effect.provideService(Credentials.Credentials, kids))
        )
        assert.strictEqual(refused._tag, "Unauthorized")
        if (refused._tag !== "Unauthorized") return
        assert.strictEqual(refused.reauthentication, "Failed")
        assert.strictEqual(refused.reauthenticationError, "InvalidHomePin")
        assert.match(
          refused.message,
          /; re-authentication failed \(InvalidHomePin\): switch to the user again$/
        )
      }).pipe(Effect.provide(TestLive()))
  )

  it.scoped(
    "a refused account token stays Unauthorized; plex.tv refusing connections is a NetworkError",
    () =>
      Effect.gen(function* () {
        const loopback = yield* FakePlexServer.FakePlexServer
        const alice = yield* loopback.fake.account("alice")
        yield* loopback.fake.revokeToken(alice.token)
        const refused = yield* failure(as("alice")(Home.switchUser("bob")))
        assert.strictEqual(refused._tag, "Unauthorized")
        // A revoked token: plex.tv's 422 "Invalid token" (python-plexapi MyPlexAccount.query reads it as Unauthorized).
        if (refused._tag === "Unauthorized") assert.strictEqual(refused.status, 422)

        const fresh = yield* loopback.fake.mintToken("alice")
        yield* loopback.fake.fault("switchHomeUser", Fault.refuse, { times: 1 })
        const users = yield* onLoopback(Home.users()).pipe(Credentials.withToken(fresh))
        const down = yield* failure(onLoopback(Home.switchUser(users[2]!)).pipe(Credentials.withToken(fresh)))
        assert.strictEqual(down._tag, "NetworkError")
      }).pipe(Effect.provide(TestLive()))
  )
})
