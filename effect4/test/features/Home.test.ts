/**
 * Home on Effect 4, against the shared fake: mirrors test/features/Home.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"
import { TestClock } from "effect/testing"
import { inspect } from "node:util"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Home from "effect4-plex-auth/Home"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as RetryPolicy from "effect4-plex-auth/RetryPolicy"
import { Fault } from "effect4-plex-auth/testing"
import { as, fake, KIDS_PIN, seed, TestLive } from "./support.js"
import { cutOff } from "../faults/support.js"

/** The features seed with a PIN on the admin too. */
const adminWithPin = {
  ...seed,
  accounts: seed.accounts!.map((a) => (a.username === "alice" ? { ...a, homePin: "1111" } : a))
}

/** Runs `effect` with every span and log line it makes recorded, as text. */
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
      // with the library's error before Home.switchUser turns it into InvalidHomePin.
      ...spans.flatMap((span) =>
        span.status._tag === "Ended" && Exit.isFailure(span.status.exit)
          ? [Cause.pretty(span.status.exit.cause), inspect(span.status.exit, { depth: 10 })]
          : []
      )
    ]
    return { exit, spans, texts }
  })

/** Scheduler turns between the sign-out's answer and the switch's (see the test that uses them). */
const LAGS = [-9, -8, -7, -6, -5, -4, -3]

describe("Home (Effect 4)", () => {
  it.effect("the PIN never shows: not in a span, a log line, an error or a URL", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const wrong = yield* observed(as("alice")(Home.switchUser("Kids", { pin: "9876" })))
      assert.strictEqual(wrong.exit._tag, "Failure")
      const right = yield* observed(as("alice")(Home.switchUser("Kids", { pin: Redacted.make(KIDS_PIN) })))
      assert.strictEqual(right.exit._tag, "Success")
      assert.isTrue(right.spans.some((span) => span.name === "Home.switchUser" && span.kind === "client"))
      // No span carries the switch's query: its client span has `url.path`; no platform span has its `url.full`.
      for (const span of [...wrong.spans, ...right.spans]) {
        assert.notInclude(String(span.attributes.get("url.full") ?? ""), "/switch", span.name)
      }
      const failure = Exit.isFailure(wrong.exit) ? Cause.findErrorOption(wrong.exit.cause) : Option.none()
      assert.strictEqual(Option.isSome(failure) ? failure.value._tag : undefined, "InvalidHomePin")
      const records = (yield* plex.requests).filter((r) => r.route === "switchHomeUser")
      assert.strictEqual(records.length, 2)
      const shown = [
        ...wrong.texts,
        ...right.texts,
        inspect(wrong.exit, { depth: 10 }),
        JSON.stringify(wrong.exit),
        // The URL as the fake records it: the PIN, a query parameter, kept a secret there too.
        ...records.map((r) => `${r.path} ${JSON.stringify(r.query)} ${JSON.stringify(r.form)}`),
        ...records.map((r) => inspect(r, { depth: 10 }))
      ]
      // The wire carried each PIN as the query parameter `pin`.
      assert.deepStrictEqual(
        records.map((r) => {
          const pin = r.query["pin"]
          return Redacted.isRedacted(pin) ? Redacted.value(pin) : `plain ${String(pin)}`
        }),
        ["9876", KIDS_PIN]
      )
      for (const text of shown) {
        assert.notInclude(text, "9876")
        assert.notInclude(text, KIDS_PIN)
      }
    }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a redirect to another origin drops the PIN from the query (and the token); a same-origin one is followed",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
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

  it.effect("lists the home's users: the admin, a managed user with a PIN, a member", () =>
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
      assert.strictEqual((yield* as("bob")(Home.users())).length, 3)
      // An account in no home is a home of one.
      assert.deepStrictEqual(
        (yield* as("carol")(Home.users())).map((u) => u.title),
        ["carol"]
      )
    }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "an account in no home switches to the one user it lists, itself: listing and switching agree",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const carol = yield* plex.account("carol")
        const [self] = yield* as("carol")(Home.users())
        assert.strictEqual(self?.id, carol.id)
        // By name (listed first) and by the listed user: a token of carol's own, in no home, not HomeUserNotFound
        // with advice to list the users again (which lists carol again).
        for (const user of ["carol", self!] as const) {
          const switched = yield* as("carol")(Home.switchUser(user))
          assert.strictEqual(switched.account.id, carol.id)
          assert.isFalse(switched.account.home)
          const me = yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
          assert.strictEqual(me.id, carol.id)
        }
        // Someone not listed is still not found, the advice naming who is.
        const missing = yield* Effect.flip(as("carol")(Home.switchUser("Kids")))
        assert.strictEqual(missing._tag, "HomeUserNotFound")
        assert.include(missing.message, '(the home has: "carol"); switch to one of those')
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a switched layer whose token plex.tv refuses switches again; a switch refused for the user is not sent again",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const kids = yield* plex.account("kids")
        const switches = Effect.map(
          plex.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        const asKids = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          effect.pipe(Effect.provide(switched.layer))
        assert.strictEqual((yield* asKids(PlexAuth.getTokenDetails())).id, kids.id)
        // Kids' device signed out at plex.tv: the layer switches again (the admin's credentials, the PIN) and goes on,
        // where it said "sign in again", which no one can do for a managed user.
        yield* plex.revokeDevice("features-test")
        assert.strictEqual((yield* asKids(PlexAuth.getTokenDetails())).id, kids.id)
        assert.strictEqual(yield* switches, 2)
        // Another build of the layer starts from the newest token: no switch.
        assert.strictEqual((yield* asKids(PlexAuth.getTokenDetails())).id, kids.id)
        assert.strictEqual(yield* switches, 2)

        // Signed out again, and plex.tv refuses the PIN now (changed since): the Unauthorized says what to do.
        yield* plex.revokeDevice("features-test")
        yield* plex.fault("switchHomeUser", Fault.status(403, { code: 1041, message: "Invalid PIN" }), {
          times: 1
        })
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

  it.effect(
    "a switched layer switches again once for concurrent refusals, and never for a token signed out through it",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const kids = yield* plex.account("kids")
        const switches = Effect.map(
          plex.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        const asKids = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          effect.pipe(Effect.provide(switched.layer))
        // Five calls refused at once with the revoked token: one switch again, each call retried with its token.
        yield* plex.revokeDevice("features-test")
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
        const refusal = <E extends { readonly _tag: string }>(exit: Exit.Exit<unknown, E>) => {
          const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
          return Option.isSome(error) ? error.value._tag : `not refused: ${exit._tag}`
        }
        const sameBuild = yield* asKids(
          Effect.andThen(PlexAuth.signOut(), Effect.exit(PlexAuth.getTokenDetails()))
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
        const me = yield* PlexAuth.getTokenDetails().pipe(Effect.provide(anew.layer))
        assert.strictEqual(me.id, kids.id)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a token signed out through one build of a switched layer is not replaced by another build alive meanwhile",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const switches = Effect.map(
          plex.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        // A long-lived build (an app's runtime) holding the switched token, and a call that signs out through a
        // build of its own.
        const running = yield* Layer.build(switched.layer)
        yield* PlexAuth.signOut().pipe(Effect.provide(switched.layer))
        // The running build, its token now refused, must not switch the user back in with the PIN it holds.
        const exit = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(running)))
        const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
        assert.strictEqual(
          Option.isSome(error) ? error.value._tag : `not refused: ${exit._tag}`,
          "Unauthorized",
          "the build alive during the sign-out"
        )
        assert.strictEqual(yield* switches, 1)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out through one build of a switched layer is not undone by another build alive meanwhile holding an older token",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const switches = Effect.map(
          plex.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        // A long-lived build (an app's runtime) holding the first token; the device revoked, a call through a build
        // of its own switches again, and another signs out the token that switch got.
        const running = yield* Layer.build(switched.layer)
        yield* plex.revokeDevice("features-test")
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        assert.strictEqual(yield* switches, 2)
        yield* PlexAuth.signOut().pipe(Effect.provide(switched.layer))
        // The running build's token is refused too: it must not switch the user back in with the PIN it holds.
        const exit = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(running)))
        const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
        assert.strictEqual(
          Option.isSome(error) ? error.value._tag : `not refused: ${exit._tag}`,
          "Unauthorized",
          "the build alive during the sign-out, holding an older token"
        )
        assert.strictEqual(yield* switches, 2)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "builds of a switched layer refused while its switch again is in flight wait for that one switch",
    () =>
      Effect.gen(function* () {
        // The switch is held by the TestClock, the order of the steps is the test's.
        const plex = yield* fake
        const switches = Effect.map(
          plex.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const kids = yield* plex.account("kids")
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        const first = yield* Layer.build(switched.layer)
        const second = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        // The first build's switch again is held for a second: it is in flight when the second build is refused.
        yield* plex.fault("switchHomeUser", Fault.delay("1 second"), { times: 1 })
        const one = yield* Effect.forkChild(PlexAuth.getTokenDetails().pipe(Effect.provideContext(first)))
        for (let turn = 0; turn < 200 && (yield* switches) < 2; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* switches, 2, "the first build's switch again, in flight")
        const two = yield* Effect.forkChild(PlexAuth.getTokenDetails().pipe(Effect.provideContext(second)))
        // The second build refused, and (before the fix) its own switch sent and answered at once.
        for (let turn = 0; turn < 200 && (yield* switches) < 3; turn++) yield* Effect.yieldNow
        yield* TestClock.adjust("1 second")
        const [me, meToo] = [yield* Fiber.join(one), yield* Fiber.join(two)]
        assert.deepStrictEqual([me.id, meToo.id], [kids.id, kids.id])
        // Before, each build switched again on its own: 3.
        assert.strictEqual(yield* switches, 2)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a build waiting for a switch again a sign-out abandoned does not switch on its own before it is told",
    () =>
      Effect.gen(function* () {
        // The TestClock holds each step: the sign-out, telling the builds one after another, revokes the token the
        // first build's earlier switch got (held a second) before it tells the second build.
        const plex = yield* fake
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        // `first` and `third` hold the first token; `first` switches again once (its token now renewed from it).
        const first = yield* Layer.build(switched.layer)
        const third = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        yield* PlexAuth.getTokenDetails().pipe(Effect.provideContext(first))
        const second = yield* Layer.build(switched.layer)
        // Past the cooldown of a fresh token refused; that token revoked: `first` switches again (held a minute),
        // `second`, refused with the same token, waits for that switch.
        yield* TestClock.adjust("2 minutes")
        const renewed = yield* Effect.flatMap(
          Credentials.Credentials,
          (credentials) => credentials.token
        ).pipe(Effect.provideContext(first))
        yield* plex.revokeToken(renewed)
        yield* plex.fault("switchHomeUser", Fault.delay("1 minute"), { times: 1 })
        const one = yield* Effect.forkChild(
          Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(first)))
        )
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("switchHomeUser"), 3, "the first build's switch again, in flight")
        const two = yield* Effect.forkChild(
          Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(second)))
        )
        for (let turn = 0; turn < 200 && (yield* count("getTokenDetails")) < 4; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("getTokenDetails"), 4, "the second build refused")
        // The sign-out through `third` (its token already revoked: refused, it tells the builds all the same); its
        // revoke of the token `first` drops is held a second, while `first`'s switch is abandoned.
        yield* plex.fault("signOut", Fault.delay("1 second"), { times: 2 })
        const out = yield* Effect.forkChild(
          Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(third)))
        )
        for (let turn = 0; turn < 200 && (yield* count("signOut")) < 1; turn++) yield* Effect.yieldNow
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count("signOut")) < 2; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("signOut"), 2, "the revoke of the dropped token, held")
        // Before the fix, `second` switched here, after the sign-out, on its own.
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 4; turn++) yield* Effect.yieldNow
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(out)
        assert.strictEqual((yield* Fiber.join(one))._tag, "Failure")
        assert.strictEqual((yield* Fiber.join(two))._tag, "Failure", "the second build, after the sign-out")
        const later = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(second)))
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
        for (let turn = 0; turn < 200 && (yield* pending) > 0; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* pending, 0, "the abandoned switch, ended")
        assert.strictEqual(yield* count("signOut"), revokes)
        assert.strictEqual(yield* count("switchHomeUser"), 3)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a switch again a sign-out abandons once plex.tv made its token, the answer on its way, has that token revoked",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock: plex.tv makes the switch's token at 900 ms, its answer arriving at 1.1 s; the
        // sign-out (through another build) is accepted at 1 s and abandons the refresh waiting for that switch.
        const plex = yield* fake
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
        const call = yield* Effect.forkChild(
          Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(b)))
        )
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the switch again, on its way")
        yield* plex.fault("signOut", Fault.delay("1 second"), { times: 1 })
        const out = yield* Effect.forkChild(Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(c))))
        for (let turn = 0; turn < 200 && (yield* count("signOut")) < 1; turn++) yield* Effect.yieldNow
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
        for (let turn = 0; turn < 200 && (yield* count("signOut")) < 2; turn++) yield* Effect.yieldNow
        // Before the fix the switch was cut short when the sign-out abandoned it: that token stayed valid, unseen.
        assert.isFalse(yield* plex.isTokenValid(token!), "the switch's token, revoked once it answered")
        assert.strictEqual(yield* count("signOut"), 2)
        // The fake records the switch twice (the fault's `handle` records it again): none after the sign-out.
        const switches = yield* count("switchHomeUser")
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(b))))._tag,
          "Failure"
        )
        assert.strictEqual(yield* count("switchHomeUser"), switches, "no switch after the sign-out")
      }).pipe(Effect.provide(TestLive()))
  )

  // The switch again answers just as the sign-out (through another build) abandons the refresh waiting for it: its
  // token reaches the switch's waiter, and the interruption lands before that token is handed on. Steps apart at
  // which the two meet (the switch's answer `lag` scheduler turns after the sign-out's), with the caller's fibers
  // yielding every 6 operations (as any fiber does after Effect's operation budget): one of them lost that token
  // before the fix, never revoked, valid.
  for (const lag of LAGS) {
    it.effect(
      `a switch again whose token lands as the sign-out abandons it has that token revoked (lag ${lag})`,
      () =>
        Effect.gen(function* () {
          const plex = yield* fake
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
                for (let i = 0; i < lag; i++) yield* Effect.yieldNow
                return response
              })
            ),
            { times: 1 }
          )
          yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
          const call = yield* Effect.forkChild(
            Effect.exit(
              PlexAuth.getTokenDetails().pipe(
                Effect.provideContext(b),
                Effect.provideService(References.MaxOpsBeforeYield, 6)
              )
            )
          )
          for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++)
            yield* Effect.yieldNow
          yield* plex.fault(
            "signOut",
            Fault.respond((request) =>
              Effect.gen(function* () {
                yield* Effect.sleep("1 second")
                const response = yield* Effect.orDie(plex.handle(request))
                yield* Deferred.await(answer)
                for (let i = 0; i < -lag; i++) yield* Effect.yieldNow
                return response
              })
            ),
            { times: 1 }
          )
          const out = yield* Effect.forkChild(Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(c))))
          for (let turn = 0; turn < 200 && (yield* count("signOut")) < 1; turn++) yield* Effect.yieldNow
          yield* TestClock.adjust("1 second")
          yield* Deferred.succeed(answer, undefined)
          assert.strictEqual((yield* Fiber.join(out))._tag, "Success")
          yield* Fiber.join(call)
          const [token] = yield* Ref.get(made)
          assert.isDefined(token, "plex.tv made the switch's token")
          for (let turn = 0; turn < 400 && (yield* plex.isTokenValid(token!)); turn++) yield* Effect.yieldNow
          assert.isFalse(yield* plex.isTokenValid(token!), "the switch's token, revoked")
        }).pipe(Effect.provide(TestLive()))
    )
  }

  it.effect(
    "a switch again a sign-out abandons is not retried after it: its attempt answered after the sign-out, no switch more",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock: the switch again (the caller's policy retrying a 503 after 10 s) answers 503 at
        // 1 s, after the sign-out (through another build) abandoned the refresh waiting for it.
        const plex = yield* fake
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token),
          RetryPolicy.withPolicy(RetryPolicy.make(Schedule.upTo(Schedule.spaced("10 seconds"), { times: 1 })))
        )
        const b = yield* Layer.build(switched.layer)
        const c = yield* Layer.build(switched.layer)
        yield* plex.fault("switchHomeUser", Fault.delay("1 second", Fault.status(503)), { times: 1 })
        // plex.tv refuses `b`'s token once (a blip): its switch again is on its way.
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const call = yield* Effect.forkChild(
          Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(b)))
        )
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the switch again, on its way")
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(c))))._tag,
          "Success"
        )
        assert.strictEqual(
          (yield* Fiber.join(call))._tag,
          "Failure",
          "the call waiting for the switch, signed out"
        )
        // The switch's 503, then the policy's 10 s: before the fix, the switch was sent again after the sign-out.
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200; turn++) yield* Effect.yieldNow
        yield* TestClock.adjust("10 seconds")
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("switchHomeUser"), 2, "no switch sent after the sign-out")
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a switch again a sign-out abandons while its retry waits out the policy's delay is stopped: no switch more",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock: the switch again answers 503 at once, the caller's policy retrying it after 10 s;
        // the sign-out (through another build) comes at 1 s, while no attempt is on its way.
        const plex = yield* fake
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token),
          RetryPolicy.withPolicy(RetryPolicy.make(Schedule.upTo(Schedule.spaced("10 seconds"), { times: 1 })))
        )
        const b = yield* Layer.build(switched.layer)
        const c = yield* Layer.build(switched.layer)
        yield* plex.fault("switchHomeUser", Fault.status(503), { times: 1 })
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const call = yield* Effect.forkChild(
          Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(b)))
        )
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the switch again, answered 503")
        yield* TestClock.adjust("1 second")
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(c))))._tag,
          "Success"
        )
        assert.strictEqual(
          (yield* Fiber.join(call))._tag,
          "Failure",
          "the call waiting for the switch, signed out"
        )
        // Before the fix the retry was sent at 10 s, after the sign-out.
        yield* TestClock.adjust("10 seconds")
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("switchHomeUser"), 2, "no switch sent after the sign-out")
      }).pipe(Effect.provide(TestLive()))
  )

  // The admin's token refused by the switch again the sign-out abandoned (answered after the sign-out): credentials
  // that re-authenticate signed in again in the background and sent the switch again, with the PIN, after the
  // sign-out (a token made only to be revoked), as a retry of the policy was before 03e0e5d8.
  it.effect(
    "a switch again a sign-out abandons, refused 401 after it, does not re-authenticate the admin nor switch again",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const obtained = yield* Ref.make(0)
        const admin = yield* Credentials.makeRefreshing({
          initial: alice.token,
          obtain: Effect.andThen(
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
        const call = yield* Effect.forkChild(
          Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(b)))
        )
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the switch again, on its way")
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(c))))._tag,
          "Success"
        )
        assert.strictEqual(
          (yield* Fiber.join(call))._tag,
          "Failure",
          "the call waiting for the switch, signed out"
        )
        // The switch's 401 at 1 s, after the sign-out.
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("switchHomeUser"), 2, "no switch sent after the sign-out")
        assert.strictEqual(
          yield* Ref.get(obtained),
          0,
          "no re-authentication of the admin after the sign-out"
        )
      }).pipe(Effect.provide(TestLive()))
  )

  // The admin's re-authentication after the switch again's 401 (answered before the sign-out), still running when the
  // sign-out comes: the switch, abandoned, was sent again with the admin's new token and the PIN once it came (a
  // token made only to be revoked). The admin's credentials keep that token and their refresh works on.
  it.effect(
    "a switch again refused 401 before a sign-out, the admin re-authenticating as it comes, is not sent again",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const obtained = yield* Ref.make(0)
        const gate = yield* Deferred.make<void>()
        const admin = yield* Credentials.makeRefreshing({
          initial: alice.token,
          obtain: Ref.update(obtained, (n) => n + 1).pipe(
            Effect.andThen(Deferred.await(gate)),
            Effect.andThen(Effect.orDie(plex.mintToken("alice")))
          )
        })
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Effect.provideService(Credentials.Credentials, admin)
        )
        const b = yield* Layer.build(switched.layer)
        const c = yield* Layer.build(switched.layer)
        yield* plex.fault("switchHomeUser", Fault.status(401), { times: 1 })
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const call = yield* Effect.forkChild(
          Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(b)))
        )
        for (let turn = 0; turn < 200 && (yield* Ref.get(obtained)) < 1; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* Ref.get(obtained), 1, "the admin re-authenticating after the switch's 401")
        assert.strictEqual(yield* count("switchHomeUser"), 2)
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(c))))._tag,
          "Success"
        )
        assert.strictEqual(
          (yield* Fiber.join(call))._tag,
          "Failure",
          "the call waiting for the switch, signed out"
        )
        yield* Deferred.succeed(gate, undefined)
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("switchHomeUser"), 2, "no switch sent after the sign-out")
        // The admin's credentials hold the token their re-authentication obtained, and answer with it.
        const details = yield* Effect.exit(
          PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, admin))
        )
        assert.strictEqual(details._tag, "Success")
        assert.notStrictEqual(Redacted.value(yield* admin.token), Redacted.value(alice.token))
        assert.strictEqual(yield* Ref.get(obtained), 1)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a build waiting for a switch again whose build closed switches itself: one switch more, its call answered",
    () =>
      Effect.gen(function* () {
        // The switch held by the TestClock: the build that switches closes (an app's runtime disposed) while another
        // waits for its switch.
        const plex = yield* fake
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const kids = yield* plex.account("kids")
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        const closing = yield* Scope.make()
        const first = yield* Layer.buildWithScope(switched.layer, closing)
        const second = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        yield* plex.fault("switchHomeUser", Fault.delay("1 minute"), { times: 1 })
        yield* Effect.forkChild(PlexAuth.getTokenDetails().pipe(Effect.provideContext(first)))
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++) yield* Effect.yieldNow
        const two = yield* Effect.forkChild(PlexAuth.getTokenDetails().pipe(Effect.provideContext(second)))
        for (let turn = 0; turn < 200 && (yield* count("getTokenDetails")) < 2; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("getTokenDetails"), 2, "the second build refused")
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 3; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the second build waits, sending no switch")
        // The first build closed: its switch is interrupted, and the second sends its own, answered at once.
        yield* Scope.close(closing, Exit.void)
        assert.strictEqual((yield* Fiber.join(two)).id, kids.id)
        assert.strictEqual(yield* count("switchHomeUser"), 3)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "builds of a switched layer share its switch again: a build refused after another switched takes that token",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const switches = Effect.map(
          plex.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        // Two long-lived builds (an app's runtimes) holding the first token; the device revoked, each is refused in
        // turn: the second takes the token the first one's switch got, and sends no switch of its own.
        const first = yield* Layer.build(switched.layer)
        const second = yield* Layer.build(switched.layer)
        yield* plex.revokeDevice("features-test")
        yield* PlexAuth.getTokenDetails().pipe(Effect.provideContext(first))
        yield* PlexAuth.getTokenDetails().pipe(Effect.provideContext(second))
        assert.strictEqual(yield* switches, 2)
        // So a sign-out through one signs the user out of both: the other holds no token of its own, still valid.
        yield* PlexAuth.signOut().pipe(Effect.provideContext(first))
        const exit = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(second)))
        const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
        assert.strictEqual(
          Option.isSome(error) ? error.value._tag : `not refused: ${exit._tag}`,
          "Unauthorized",
          "the other build, after a sign-out through the first"
        )
        assert.strictEqual(yield* switches, 2)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out through a switched layer revokes the newer token a build built after the switch holds, once",
    () =>
      Effect.gen(function* () {
        // In memory: the fake tells which tokens plex.tv still accepts.
        const plex = yield* fake
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        // `older` (an app's runtime) holds the first token; revoked, a per-call build switches again (the newer
        // token), and `newer`, built after that switch, starts from it without having renewed it itself.
        const older = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        assert.strictEqual(yield* count("switchHomeUser"), 2)
        const newer = yield* Layer.build(switched.layer)
        const token = yield* Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token).pipe(
          Effect.provideContext(newer)
        )
        assert.notStrictEqual(Redacted.value(token), Redacted.value(switched.token))
        assert.isTrue(yield* plex.isTokenValid(token))
        // Signed out through `older` (its token already revoked: refused, the builds are told all the same).
        yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(older)))
        // Before the fix the newer token stayed valid at plex.tv, held by `newer`: it is revoked, once.
        assert.isFalse(yield* plex.isTokenValid(token), "the newer token, after the sign-out")
        assert.strictEqual(yield* count("signOut"), 2)
        const exit = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(newer)))
        assert.strictEqual(exit._tag, "Failure", "the build holding the newer token")
        assert.strictEqual(yield* count("switchHomeUser"), 2)
        // A second sign-out (through `newer`) revokes nothing of the layer's again.
        yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(newer)))
        assert.strictEqual(yield* count("signOut"), 3)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out through a switched layer revokes the newest token a switch got, when no build holds it",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        // `older` holds the first token; revoked, a per-call build (closed since) switches again: the newest token.
        const older = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        const tokenNow = Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token)
        const newest = yield* Effect.andThen(PlexAuth.getTokenDetails(), tokenNow).pipe(
          Effect.provide(switched.layer)
        )
        assert.notStrictEqual(Redacted.value(newest), Redacted.value(switched.token))
        assert.isTrue(yield* plex.isTokenValid(newest))
        yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(older)))
        // Later builds start from the token signed out: the newest one, held by none, is not left valid at plex.tv.
        assert.isFalse(yield* plex.isTokenValid(newest))
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out's revoke of the layer's other token that fails is logged as a word, never a token",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const alice = yield* plex.account("alice")
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
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
        const { exit, texts } = yield* observed(PlexAuth.signOut().pipe(Effect.provideContext(older)))
        // Its own answer: the layer's token revoked; an extra revoke never fails the sign-out.
        assert.strictEqual(exit._tag, "Success")
        assert.strictEqual(
          (yield* plex.requests).filter((r) => r.route === "signOut").length,
          2,
          "the sign-out and the revoke of the first token, not retried"
        )
        assert.isTrue(yield* plex.isTokenValid(switched.token), "the first token, its revoke failed")
        assert.isTrue(
          texts.some((text) => text.includes("could not be revoked (Unexpected)")),
          texts.join("\n")
        )
        for (const secret of [newest, switched.token, alice.token].map(Redacted.value).concat(KIDS_PIN)) {
          for (const text of texts) assert.notInclude(text, secret)
        }
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out's revoke of the layer's newer token that plex.tv refuses (already invalid) warns of nothing",
    () =>
      Effect.gen(function* () {
        // Two sign-outs at once, through two builds: the one through the newer build revoked its token first, so the
        // other one's revoke of it is refused (the fake's 401 stands for that answer). Not a token left valid: before
        // the fix, a warning said it "could not be revoked ... plex.tv may still accept it", which was false.
        const plex = yield* fake
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        const older = yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        yield* plex.fault("signOut", Fault.status(401), { times: 2 })
        const { exit, texts } = yield* observed(PlexAuth.signOut().pipe(Effect.provideContext(older)))
        assert.strictEqual(exit._tag, "Failure")
        assert.strictEqual(
          (yield* plex.requests).filter((r) => r.route === "signOut").length,
          2,
          "the sign-out and the revoke of the newer token, not retried"
        )
        assert.deepStrictEqual(
          texts.filter((text) => text.includes("could not be revoked")),
          [],
          "no warning for a token plex.tv refuses"
        )
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out through the newer build revokes the older build's token, refused already, with no warning",
    () =>
      Effect.gen(function* () {
        // No fault: an older build (an app's runtime) holds the first token, revoked; a per-call build switched again;
        // the sign-out through a build built since revokes its token, then the older build's (plex.tv: invalid).
        const plex = yield* fake
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        yield* Layer.build(switched.layer)
        yield* plex.revokeToken(switched.token)
        yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
        const newer = yield* Layer.build(switched.layer)
        const { exit, texts } = yield* observed(PlexAuth.signOut().pipe(Effect.provideContext(newer)))
        assert.strictEqual(exit._tag, "Success")
        assert.strictEqual((yield* plex.requests).filter((r) => r.route === "signOut").length, 2)
        // Before the fix: "could not be revoked (Unauthorized): ... plex.tv may still accept it", on every such sign-out.
        assert.deepStrictEqual(
          texts.filter((text) => text.includes("could not be revoked")),
          [],
          texts.join("\n")
        )
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out's revoke of the layer's other token that hangs ends at the per-attempt timeout, one attempt",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock: plex.tv never answers the revoke of the first token (refused once, still valid
        // there); the sign-out's own request (of the layer's token, the newest) is accepted at once.
        const plex = yield* fake
        const count = Effect.map(plex.requests, (all) => all.filter((r) => r.route === "signOut").length)
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
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
        const out = yield* Effect.forkChild(
          observed(
            PlexAuth.signOut().pipe(PlexAuth.withRequestTimeout("5 seconds"), Effect.provideContext(older))
          )
        )
        for (let turn = 0; turn < 200 && (yield* count) < 2; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count, 2, "the revoke of the first token, on its way")
        assert.isUndefined(out.pollUnsafe(), "the sign-out waits for it")
        yield* TestClock.adjust("5 seconds")
        const { exit, texts } = yield* Fiber.join(out)
        assert.strictEqual(exit._tag, "Success", "the layer's token revoked; an extra revoke never fails it")
        assert.strictEqual(yield* count, 2, "one attempt")
        assert.isTrue(
          texts.some((text) => text.includes("could not be revoked (NetworkError)")),
          texts.join("\n")
        )
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out through a build holding a token a later switch replaced signs the layer's token out: success",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
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
        const exit = yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(older)))
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.isFalse(yield* plex.isTokenValid(newest))
        // The layer's token, then the stale one (refused: already invalid); nothing switched again.
        assert.strictEqual(yield* count, 2)
        const after = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(older)))
        assert.strictEqual(after._tag, "Failure")
        assert.strictEqual(
          (yield* plex.requests).filter((r) => r.route === "switchHomeUser").length,
          2,
          "the first switch and the per-call build's"
        )
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out revokes the layer's other tokens at once, not one after another (TestClock, plex.tv slow)",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
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
          tokenNow.pipe(Effect.provideContext(build))
        )
        assert.strictEqual(new Set(tokens.map(Redacted.value)).size, 3)
        // plex.tv holds each revoke a second.
        yield* plex.fault("signOut", Fault.delay("1 second"), { times: 3 })
        const out = yield* Effect.forkChild(
          Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(third)))
        )
        for (let turn = 0; turn < 200 && (yield* count) < 1; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count, 1, "the sign-out's own revoke, held")
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count) < 3; turn++) yield* Effect.yieldNow
        // Before the fix: 2 (the second extra revoke waited for the first to end).
        assert.strictEqual(yield* count, 3, "both other tokens' revokes in flight together")
        assert.isUndefined(out.pollUnsafe(), "the sign-out waits for them")
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.join(out)
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.strictEqual(yield* count, 3, "each once")
        for (const token of tokens) assert.isFalse(yield* plex.isTokenValid(token))
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out tells the builds four at a time: a build's revoke of a token it dropped holds no other's telling",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock holding each revoke a second. While the sign-out of the first token is on its way,
        // `a` switches again (its token renewed from the one signed out), and each of `b`, `c`, `e`, refused, takes
        // the newest a per-call build switched to just before: each of the four holds a token of its own renewed from
        // the one signed out, which its telling drops and revokes. `d`, the fifth, waits for its turn to be told.
        const plex = yield* fake
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
        const out = yield* Effect.forkChild(Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(a!))))
        for (let turn = 0; turn < 200 && (yield* count) < 1; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count, 1, "the sign-out of the first token, held")
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const dropped = [
          yield* Effect.andThen(PlexAuth.getTokenDetails(), tokenNow).pipe(Effect.provideContext(a!))
        ]
        for (const build of [b!, c!, e!]) {
          yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
          yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
          yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
          dropped.push(
            yield* Effect.andThen(PlexAuth.getTokenDetails(), tokenNow).pipe(Effect.provideContext(build))
          )
        }
        assert.strictEqual(yield* switches, 5)
        assert.strictEqual(new Set(dropped.map(Redacted.value)).size, 4)
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count) < 5; turn++) yield* Effect.yieldNow
        // Before the fix: 2 (each build was told once the one before it had revoked its token, a second later).
        assert.strictEqual(yield* count, 5, "the four dropped tokens' revokes in flight together")
        for (const token of dropped) assert.isTrue(yield* plex.isTokenValid(token), "not revoked yet")
        // `d` is not told yet (four at a time), its token (the first) refused: it takes neither a dropped token nor
        // a switch of its own, the layer being signed out.
        const refused = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(d!)))
        assert.strictEqual(refused._tag, "Failure", "a call after the sign-out")
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.join(out)
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.strictEqual(yield* count, 5, "each once")
        for (const token of [switched.token, ...dropped]) assert.isFalse(yield* plex.isTokenValid(token))
        assert.strictEqual(yield* switches, 5, "no switch after the sign-out")
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out through a build whose switch again takes over 5 s revokes its token, then the one the switch gives",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock: plex.tv refuses the first token once (a blip: still valid there) and holds the
        // switch again 6 seconds. The sign-out waits 5 seconds for it, then revokes the token the build holds (the
        // layer's, the first), held 2 seconds; meanwhile the switch answers: its token, renewed from the one signed
        // out, is dropped and revoked once the sign-out is accepted, never left valid.
        const plex = yield* fake
        const count = (route: string) =>
          Effect.map(plex.requests, (all) => all.filter((r) => r.route === route).length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const build = yield* Layer.build(switched.layer)
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* plex.fault("switchHomeUser", Fault.delay("6 seconds"), { times: 1 })
        const call = yield* Effect.forkChild(PlexAuth.getTokenDetails().pipe(Effect.provideContext(build)))
        for (let turn = 0; turn < 200 && (yield* count("switchHomeUser")) < 2; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("switchHomeUser"), 2, "the switch again, in flight")
        yield* plex.fault("signOut", Fault.delay("2 seconds"), { times: 1 })
        const out = yield* Effect.forkChild(
          Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(build)))
        )
        yield* TestClock.adjust("5 seconds")
        for (let turn = 0; turn < 200 && (yield* count("signOut")) < 1; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count("signOut"), 1, "the revoke of the token held, after 5 seconds")
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(call)
        const renewed = yield* Effect.flatMap(Credentials.Credentials, (c) => c.token).pipe(
          Effect.provideContext(build)
        )
        assert.notStrictEqual(Redacted.value(renewed), Redacted.value(switched.token))
        assert.isTrue(yield* plex.isTokenValid(renewed))
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.join(out)
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.isFalse(yield* plex.isTokenValid(switched.token), "the token the sign-out revoked")
        assert.isFalse(yield* plex.isTokenValid(renewed), "the switch's token, dropped and revoked")
        assert.strictEqual(yield* count("signOut"), 2)
        const after = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(build)))
        assert.strictEqual(after._tag, "Failure", "the build, signed out")
        assert.strictEqual(yield* count("switchHomeUser"), 2, "no switch after the sign-out")
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a build refused while a sign-out tells the builds never takes the token the sign-out dropped",
    () =>
      Effect.gen(function* () {
        // In memory, the TestClock holding each revoke: `a`'s token, renewed from the one signed out while the
        // sign-out was on its way, is dropped, its revoke held. `d` holds the first token (revoked) and is refused
        // meanwhile (told by then: the builds are told four at a time; a build refused before its turn is the test
        // "a sign-out tells the builds four at a time").
        const plex = yield* fake
        const count = Effect.map(plex.requests, (all) => all.filter((r) => r.route === "signOut").length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const a = yield* Layer.build(switched.layer)
        const d = yield* Layer.build(switched.layer)
        yield* plex.fault("signOut", Fault.delay("1 second"), { times: 2 })
        const out = yield* Effect.forkChild(Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(a))))
        for (let turn = 0; turn < 200 && (yield* count) < 1; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count, 1, "the sign-out of the first token, held")
        // Meanwhile plex.tv refuses `a` once: it switches again (a token renewed from the one being signed out).
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* PlexAuth.getTokenDetails().pipe(Effect.provideContext(a))
        const dropped = yield* Effect.flatMap(Credentials.Credentials, (c) => c.token).pipe(
          Effect.provideContext(a)
        )
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count) < 2; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count, 2, "the revoke of the token `a` dropped, held")
        assert.isTrue(yield* plex.isTokenValid(dropped), "not revoked yet")
        // Before the fix `d` took that token (the layer's newest) and its call went on as Kids after the sign-out.
        const refused = yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(d)))
        assert.strictEqual(refused._tag, "Failure", "a call after the sign-out")
        yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Fiber.join(out))._tag, "Success")
        assert.isFalse(yield* plex.isTokenValid(dropped))
        assert.strictEqual(
          (yield* plex.requests).filter((r) => r.route === "switchHomeUser").length,
          2,
          "no switch after the sign-out"
        )
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a build refused while a sign-out tells the builds leaves the layer's newest token to the sign-out's revokes",
    () =>
      Effect.gen(function* () {
        // As above (`a`'s dropped token's revoke held, `d` refused meanwhile), and before the sign-out
        // was answered a per-call build, refused the token `a` switched to, switched again and closed: the layer's
        // newest token, which no build alive holds. Only the sign-out's revoke of the layer's other tokens reaches it.
        const plex = yield* fake
        const count = Effect.map(plex.requests, (all) => all.filter((r) => r.route === "signOut").length)
        const alice = yield* plex.account("alice")
        const switched = yield* Home.switchUser("kids", { pin: KIDS_PIN }).pipe(
          Credentials.withToken(alice.token)
        )
        const tokenNow = Effect.flatMap(Credentials.Credentials, (credentials) => credentials.token)
        const a = yield* Layer.build(switched.layer)
        const d = yield* Layer.build(switched.layer)
        yield* plex.fault("signOut", Fault.delay("1 second"), { times: 2 })
        const out = yield* Effect.forkChild(Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(a))))
        for (let turn = 0; turn < 200 && (yield* count) < 1; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count, 1, "the sign-out of the first token, held")
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        yield* PlexAuth.getTokenDetails().pipe(Effect.provideContext(a))
        // A per-call build starts from `a`'s new token; plex.tv refuses it once (it stays valid there): a switch.
        yield* plex.fault("getTokenDetails", Fault.status(401), { times: 1 })
        const newest = yield* Effect.andThen(PlexAuth.getTokenDetails(), tokenNow).pipe(
          Effect.provide(switched.layer)
        )
        assert.strictEqual((yield* plex.requests).filter((r) => r.route === "switchHomeUser").length, 3)
        yield* TestClock.adjust("1 second")
        for (let turn = 0; turn < 200 && (yield* count) < 2; turn++) yield* Effect.yieldNow
        assert.strictEqual(yield* count, 2, "the revoke of the token `a` dropped, held")
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(d))))._tag,
          "Failure"
        )
        yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Fiber.join(out))._tag, "Success")
        // Before the fix `d`'s refusal recorded the token signed out as the layer's newest: this one was left valid.
        assert.isFalse(yield* plex.isTokenValid(newest), "the layer's newest token, revoked")
        assert.strictEqual(yield* count, 3, "each once")
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a sign-out through a layer switched to the admin never revokes the admin's own token as an extra",
    () =>
      Effect.gen(function* () {
        // plex.tv's token is per user and device: a switch to the signed-in admin's own profile may hand back the
        // admin's own token (the fake answers so here, once). A later switch again gives a token of its own.
        const plex = yield* fake
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
          Effect.provideContext(newer)
        )
        assert.notStrictEqual(Redacted.value(token), Redacted.value(alice.token))
        const exit = yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(newer)))
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.isFalse(yield* plex.isTokenValid(token), "the layer's token, signed out")
        // Before the fix the admin's own token, held by `older`, was revoked too: the app's own credentials ended.
        assert.isTrue(yield* plex.isTokenValid(alice.token), "the admin's own token")
        assert.strictEqual(yield* count, 1)
        assert.isNotEmpty(yield* Home.users().pipe(Credentials.withToken(alice.token)))
        // `older` still holds the admin's own token, left to its owner, valid; the layer switches no more.
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(older))))._tag,
          "Success"
        )
        assert.strictEqual(
          (yield* plex.requests).filter((r) => r.route === "switchHomeUser").length,
          2,
          "the switch to the admin and the per-call build's"
        )
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a layer switched to the admin never revokes a token the admin's own credentials gave a switch, changed since",
    () =>
      Effect.gen(function* () {
        // Credentials of the caller's own making, without `current`: their `token` reads a variable the app updates
        // (the admin signed in again elsewhere). The switch to the admin's own profile hands back the token it was
        // sent with (the fake answers so once); the token changes; a switch again (sent with the new one) gives a
        // token of its own.
        const plex = yield* fake
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
          Effect.provideContext(newer)
        )
        assert.notStrictEqual(Redacted.value(token), Redacted.value(alice.token))
        const exit = yield* Effect.exit(PlexAuth.signOut().pipe(Effect.provideContext(newer)))
        assert.strictEqual(exit._tag, "Success", String(exit))
        assert.isFalse(yield* plex.isTokenValid(token), "the layer's token, signed out")
        // Before the fix the admin's first token, held by `older`, was revoked: only the token the admin's
        // credentials gave at the sign-out was spared, not the one the switch was made with.
        assert.isTrue(yield* plex.isTokenValid(alice.token), "the token the first switch was made with")
        assert.isTrue(yield* plex.isTokenValid(yield* Ref.get(admin)), "the admin's token now")
        assert.strictEqual(yield* count, 1)
        // `older` still holds the first token, left to its owner, valid.
        assert.strictEqual(
          (yield* Effect.exit(PlexAuth.getTokenDetails().pipe(Effect.provideContext(older))))._tag,
          "Success"
        )
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a switched layer whose switch again meets the admin's token refused says to sign in again, as is true",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const alice = yield* plex.account("alice")
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        yield* plex.revokeToken(alice.token)
        yield* plex.revokeDevice("features-test")
        const refused = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer)))
        assert.strictEqual(refused._tag, "Unauthorized")
        assert.match(refused.message, /; re-authentication failed \(Unauthorized\): sign in again$/)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a switch again is traced where the layer is used, not under the first switch's long-ended span",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const spans: Array<Tracer.NativeSpan> = []
        const tracer = Tracer.make({
          span: (options) => {
            const span = new Tracer.NativeSpan(options)
            spans.push(span)
            return span
          }
        })
        yield* Effect.gen(function* () {
          const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
          yield* plex.revokeDevice("features-test")
          return yield* PlexAuth.getTokenDetails().pipe(
            Effect.provide(switched.layer),
            Effect.withSpan("as-kids")
          )
        }).pipe(Effect.withTracer(tracer))
        const first = spans.find((s) => s.name === "Home.switchUser")!
        const clients = spans.filter((s) => s.name === "Home.switchUser" && s.kind === "client")
        const again = clients.at(-1)!
        const ancestors = (span: Tracer.AnySpan): ReadonlyArray<string> =>
          span._tag === "Span" && Option.isSome(span.parent)
            ? [span.parent.value.spanId, ...ancestors(span.parent.value)]
            : []
        assert.notStrictEqual(again, clients[0])
        assert.notInclude(ancestors(again), first.spanId)
        assert.include(ancestors(again), spans.find((s) => s.name === "as-kids")!.spanId)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect("switching with the PIN gives that user's token, usable at once as Credentials", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
      assert.strictEqual(switched.user.title, "Kids")
      assert.strictEqual(switched.account.title, "Kids")
      assert.isTrue(Redacted.isRedacted(switched.token))
      const kids = yield* plex.account("kids")
      const me = yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
      assert.strictEqual(me.id, kids.id)
      assert.isTrue(yield* plex.isTokenValid(switched.token))
      // The PIN went as the query parameter `pin` (python-plexapi and @ctrl/plex `switchHomeUser`), no body;
      // the fake's record keeps it redacted.
      const sent = (yield* plex.requests).find((r) => r.route === "switchHomeUser")!
      assert.strictEqual(sent.path, `/api/v2/home/users/${kids.uuid}/switch`)
      assert.deepStrictEqual(Object.keys(sent.query), ["pin"])
      const pin = sent.query["pin"]
      assert.isTrue(Redacted.isRedacted(pin))
      assert.strictEqual(Redacted.isRedacted(pin) ? Redacted.value(pin) : pin, KIDS_PIN)
      assert.isUndefined(sent.form)
      assert.notInclude(JSON.stringify(switched), Redacted.value(switched.token))
    }).pipe(Effect.provide(TestLive()))
  )

  it.effect("a user without a PIN switches without one; Home.layer provides the credentials", () =>
    Effect.gen(function* () {
      const bob = yield* (yield* fake).account("bob")
      const me = yield* PlexAuth.getTokenDetails().pipe(Effect.provide(Home.layer("bob")), as("alice"))
      assert.strictEqual(me.id, bob.id)
      // Named by its email in another case, as python-plexapi and @ctrl/plex find a user.
      const byEmail = yield* as("alice")(Home.switchUser(bob.email.toUpperCase()))
      assert.strictEqual(byEmail.account.id, bob.id)
    }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "Home.layer switches again too when plex.tv refuses its token, once, inside the layer's use",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const kids = yield* plex.account("kids")
        const switches = Effect.map(
          plex.requests,
          (all) => all.filter((r) => r.route === "switchHomeUser").length
        )
        const ids = yield* Effect.gen(function* () {
          const first = yield* PlexAuth.getTokenDetails()
          yield* plex.revokeDevice("features-test")
          const second = yield* PlexAuth.getTokenDetails()
          return [first.id, second.id]
        }).pipe(Effect.provide(Home.layer("kids", { pin: KIDS_PIN })), as("alice"))
        assert.deepStrictEqual(ids, [kids.id, kids.id])
        assert.strictEqual(yield* switches, 2)
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect("a wrong PIN, a missing PIN and a user not in the home are distinct errors", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const wrong = yield* Effect.flip(as("alice")(Home.switchUser("Kids", { pin: "0000" })))
      assert.strictEqual(wrong._tag, "InvalidHomePin")
      if (wrong._tag === "InvalidHomePin") assert.strictEqual(wrong.status, 403)
      assert.notInclude(JSON.stringify(wrong), "0000")
      assert.notInclude(wrong.message, "0000")

      // plex.tv decides that a PIN is needed: the switch is sent without one, its 403 (code 1041) is the error.
      const missing = yield* Effect.flip(as("alice")(Home.switchUser("Kids")))
      assert.strictEqual(missing._tag, "HomePinRequired")
      if (missing._tag === "HomePinRequired")
        assert.deepStrictEqual(
          missing.errors.map((e) => e.code),
          [1041]
        )
      const switches = (yield* plex.requests).filter((r) => r.route === "switchHomeUser")
      assert.strictEqual(switches.length, 2)
      assert.isUndefined(switches[1]!.query["pin"])

      // Whatever the listing said.
      const users = yield* as("alice")(Home.users())
      const stale = { ...users.find((u) => u.title === "Kids")!, protected: false }
      assert.strictEqual((yield* Effect.flip(as("alice")(Home.switchUser(stale))))._tag, "HomePinRequired")

      const stranger = yield* Effect.flip(as("alice")(Home.switchUser("carol")))
      assert.strictEqual(stranger._tag, "HomeUserNotFound")
      if (stranger._tag === "HomeUserNotFound") {
        assert.deepStrictEqual(stranger.available, ["alice", "Kids", "bob"])
        assert.strictEqual(
          stranger.message,
          'Home.switchUser: no Plex Home user "carol" (the home has: "alice", "Kids", "bob"); switch to one of those'
        )
      }

      // A user of another home, named by a listing from elsewhere: plex.tv answers 404.
      const carol = (yield* as("carol")(Home.users()))[0]!
      assert.strictEqual((yield* Effect.flip(as("alice")(Home.switchUser(carol))))._tag, "HomeUserNotFound")

      const badPin = yield* Effect.flip(as("alice")(Home.switchUser("Kids", { pin: "12ab" })))
      assert.strictEqual(badPin._tag, "InvalidInput")
    }).pipe(Effect.provide(TestLive()))
  )

  // The PIN refusal core/home.ts also reads as a 401 with code 1041: with credentials that can re-authenticate, it was
  // taken for a refused token, so a wrong PIN signed in again (or started a PIN login) and sent the switch again.
  it.effect(
    "a PIN refused with a 401 (code 1041) is InvalidHomePin: refreshing credentials do not re-authenticate",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const alice = yield* Effect.orDie(plex.account("alice"))
        const obtained = yield* Ref.make(0)
        const credentials = yield* Credentials.makeRefreshing({
          initial: alice.token,
          obtain: Effect.as(
            Ref.update(obtained, (n) => n + 1),
            alice.token
          )
        })
        yield* plex.fault("switchHomeUser", Fault.status(401, { code: 1041, message: "Invalid PIN" }))
        const exit = yield* Effect.exit(
          Home.switchUser("Kids", { pin: "0000" }).pipe(
            Effect.provideService(Credentials.Credentials, credentials)
          )
        )
        const failure = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
        assert.strictEqual(Option.isSome(failure) ? failure.value._tag : undefined, "InvalidHomePin")
        assert.strictEqual(yield* Ref.get(obtained), 0, "no re-authentication")
        const switches = (yield* plex.requests).filter((r) => r.route === "switchHomeUser")
        assert.strictEqual(switches.length, 1)
      }).pipe(Effect.scoped, Effect.provide(TestLive()))
  )

  // Only the body of a refused switch tells a PIN refusal (code 1041, with a 400 or 401) from a refused token: one
  // that broke off after its status stays a NetworkError with that status, not an Unauthorized that re-authenticates.
  it.effect("a 401 to a switch whose body is cut off is a NetworkError (401): no re-authentication", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      const alice = yield* Effect.orDie(plex.account("alice"))
      const obtained = yield* Ref.make(0)
      const credentials = yield* Credentials.makeRefreshing({
        initial: alice.token,
        obtain: Effect.as(
          Ref.update(obtained, (n) => n + 1),
          alice.token
        )
      })
      yield* plex.fault("switchHomeUser", cutOff(401), { times: 1 })
      const exit = yield* Effect.exit(
        Home.switchUser("Kids", { pin: "0000" }).pipe(
          Effect.provideService(Credentials.Credentials, credentials)
        )
      )
      const failure = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
      const cut = Option.getOrUndefined(failure)
      assert.strictEqual(cut?._tag, "NetworkError")
      assert.strictEqual(cut?._tag === "NetworkError" ? cut.status : undefined, 401)
      assert.strictEqual(yield* Ref.get(obtained), 0, "no re-authentication")
      const switches = (yield* plex.requests).filter((r) => r.route === "switchHomeUser")
      assert.strictEqual(switches.length, 1)
    }).pipe(Effect.scoped, Effect.provide(TestLive()))
  )

  // plex.tv does not demand a PIN to switch to the signed-in user's own profile (Plex apps switch to the admin at
  // start; admins commonly have one), nor on every account: the switch was refused before any request when the
  // listing said `protected`, where plex.tv (and the fake) would have switched.
  it.effect(
    "a protected user plex.tv switches to without a PIN (the signed-in admin's own profile): switched",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const alice = yield* Effect.orDie(plex.account("alice"))
        const users = yield* as("alice")(Home.users())
        assert.isTrue(users.find((u) => u.title === "alice")!.protected)
        const switched = yield* as("alice")(Home.switchUser("alice"))
        assert.strictEqual(switched.account.id, alice.id)
        const sent = (yield* plex.requests).filter((r) => r.route === "switchHomeUser")
        assert.strictEqual(sent.length, 1)
        assert.isUndefined(sent[0]!.query["pin"])
        // A PIN given is checked, one's own too (240-MP: plex.tv "always validates a PIN when one is supplied").
        const wrongOwn = yield* Effect.flip(as("alice")(Home.switchUser("alice", { pin: "0000" })))
        assert.strictEqual(wrongOwn._tag, "InvalidHomePin")
        // Another protected user still needs its PIN, as plex.tv says.
        assert.strictEqual((yield* Effect.flip(as("alice")(Home.switchUser("Kids"))))._tag, "HomePinRequired")
      }).pipe(Effect.provide(TestLive(adminWithPin)))
  )

  // Untyped JavaScript: options of null died with a TypeError, a string was read as "no PIN"; an object that is
  // not a HomeUser was switched to /api/v2/home/users/undefined/switch and then died building the error.
  it.effect("wrong types from untyped JavaScript: InvalidInput before any request, never a defect", () =>
    Effect.gen(function* () {
      const plex = yield* fake
      yield* plex.clearRequests
      const errors = yield* Effect.forEach(
        [
          Home.switchUser("Kids", null as never),
          Home.switchUser("Kids", "1234" as never),
          Home.switchUser({} as never),
          Home.switchUser({ uuid: "abc" } as never),
          Home.switchUser(Number.NaN)
        ],
        (effect) => Effect.flip(as("alice")(effect))
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
      assert.deepStrictEqual(yield* plex.requests, [])
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

  it.effect(
    "a failed listing inside switchUser keeps its name, Home.users, as every flow's steps do: no switch was sent",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        yield* plex.fault("getHomeUsers", Fault.status(503), { times: 1 })
        const down = yield* Effect.flip(as("alice")(Home.switchUser("Kids")))
        assert.strictEqual(down._tag, "Unexpected")
        // As Resources.connectByName's listing is Resources.servers' and Claim.claimServer's token Claim.token's
        // (docs/tracing.md): the step that failed, the listing, so the switch (and its PIN) was never sent.
        assert.strictEqual(down._tag === "Unexpected" ? down.operation : "", "Home.users")
        assert.match(
          down.message,
          /^Home\.users: unexpected response from GET \S+\/api\/v2\/home\/users \(HTTP 503\)/
        )
        assert.isFalse((yield* plex.requests).some((r) => r.route === "switchHomeUser"))
      }).pipe(Effect.provide(TestLive()))
  )

  it.effect(
    "a switched user's credentials whose new switch fails say to switch to the user again, not to sign in",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const switched = yield* as("alice")(Home.switchUser("kids", { pin: KIDS_PIN }))
        // Kids' credentials switch again when plex.tv refuses Kids' token (docs/home.md), here with a wrong PIN.
        const kids = yield* Credentials.makeRefreshing({
          initial: switched.token,
          obtain: as("alice")(Effect.map(Home.switchUser("kids", { pin: "0000" }), (again) => again.token))
        })
        yield* plex.revokeToken(switched.token)
        const refused = yield* Effect.flip(
          PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, kids))
        )
        assert.strictEqual(refused._tag, "Unauthorized")
        if (refused._tag !== "Unauthorized") return
        assert.strictEqual(refused.reauthentication, "Failed")
        assert.strictEqual(refused.reauthenticationError, "InvalidHomePin")
        assert.match(
          refused.message,
          /; re-authentication failed \(InvalidHomePin\): switch to the user again$/
        )
      }).pipe(Effect.scoped, Effect.provide(TestLive()))
  )

  it.effect(
    "a refused account token stays Unauthorized; plex.tv refusing connections is a NetworkError",
    () =>
      Effect.gen(function* () {
        const plex = yield* fake
        const alice = yield* plex.account("alice")
        yield* plex.revokeToken(alice.token)
        const refused = yield* Effect.flip(as("alice")(Home.switchUser("bob")))
        assert.strictEqual(refused._tag, "Unauthorized")
        // A revoked token: plex.tv's 422 "Invalid token" (python-plexapi MyPlexAccount.query reads it as Unauthorized).
        if (refused._tag === "Unauthorized") assert.strictEqual(refused.status, 422)

        const fresh = yield* plex.mintToken("alice")
        yield* plex.fault("switchHomeUser", Fault.refuse, { times: 1 })
        const users = yield* Home.users().pipe(Credentials.withToken(fresh))
        const down = yield* Effect.flip(Home.switchUser(users[2]!).pipe(Credentials.withToken(fresh)))
        assert.strictEqual(down._tag, "NetworkError")
      }).pipe(Effect.provide(TestLive()))
  )
})
