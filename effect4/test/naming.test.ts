/**
 * Spans and errors are named after the public function the caller called, in
 * the Effect 4 edition as in the Effect 3 one (mirrors test/naming.test.ts):
 * `PinLogin.poll`, not `pollPin`; `Resources.list`, not
 * `PlexAuth.getServerResources`; `PlexAuth.signIn` when the caller used that
 * name, though it shares its request with `PlexAuth.postUsersSignInData`. The
 * Plex endpoint stays in the span's `plex.operation` attribute. Each case
 * makes the fake answer with a failure and reads the error's `operation`, its
 * message and the spans.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import * as Tracer from "effect/Tracer"
import * as Claim from "effect4-plex-auth/Claim"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Devices from "effect4-plex-auth/Devices"
import * as Home from "effect4-plex-auth/Home"
import * as Jwt from "effect4-plex-auth/Jwt"
import * as Link from "effect4-plex-auth/Link"
import * as PinLogin from "effect4-plex-auth/PinLogin"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import type * as PlexServer from "effect4-plex-auth/PlexServer"
import * as Resources from "effect4-plex-auth/Resources"
import * as ServerAccess from "effect4-plex-auth/ServerAccess"
import { FakePlex, Fault } from "effect4-plex-auth/testing"

type Requirements =
  | HttpClient.HttpClient
  | ClientIdentity.ClientIdentity
  | Credentials.Credentials
  | PlexServer.PlexServer
  | FakePlex.FakePlex

interface Named {
  readonly _tag: string
  readonly operation: string
  readonly message: string
}

/** Runs `effect` with every span it opens recorded. */
const withRecordedSpans = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const spans: Array<Tracer.NativeSpan> = []
    const tracer = Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    const exit = yield* effect.pipe(Effect.exit, Effect.withTracer(tracer))
    return { exit, spans: spans as ReadonlyArray<Tracer.NativeSpan> }
  })

/** The typed failure of `exit`, which must be one. */
const failureOf = (exit: Exit.Exit<unknown, unknown>): Named => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
  assert.isDefined(error, "expected a typed failure")
  return error as Named
}

const named = (spans: ReadonlyArray<Tracer.NativeSpan>, name: string, kind?: Tracer.SpanKind) =>
  spans.filter((span) => span.name === name && (kind === undefined || span.kind === kind))

const isChildOf = (child: Tracer.NativeSpan, parent: Tracer.NativeSpan): boolean =>
  Option.isSome(child.parent) && child.parent.value.spanId === parent.spanId

const endedWith = (span: Tracer.NativeSpan): string | undefined =>
  span.status._tag === "Ended" ? span.status.exit._tag : undefined

/** The error names `name`, in its field and at the start of its message. */
const assertErrorNamed = (error: Named, name: string) => {
  assert.strictEqual(error.operation, name, `${error._tag}: ${error.message}`)
  assert.isTrue(error.message.startsWith(`${name}: `), error.message)
}

/** One client span named `name`, for the endpoint `endpoint`, that ended with the failure. */
const assertRequestSpan = (spans: ReadonlyArray<Tracer.NativeSpan>, name: string, endpoint: string) => {
  const requests = named(spans, name, "client")
  assert.strictEqual(requests.length, 1, `one client span ${name}; spans: ${spans.map((s) => s.name)}`)
  const span = requests[0]!
  assert.strictEqual(span.attributes.get("plex.operation"), endpoint)
  assert.strictEqual(endedWith(span), "Failure")
  // No span of the old naming scheme.
  assert.deepStrictEqual(
    spans.filter((s) => s.name.startsWith("PlexAuth.") && !name.startsWith("PlexAuth.")).map((s) => s.name),
    []
  )
  return span
}

/**
 * No span of the library carries `code.stacktrace`: where an operation was called is the caller's span's to say, and
 * a stack of the library's own frames says nothing the span's name does not (Effect 3's `withSpan` captures one
 * unless told not to; Effect 4's spans carry none). The test's own spans (`app.`) are left out.
 */
const assertNoStackTraces = (spans: ReadonlyArray<Tracer.NativeSpan>) => {
  for (const span of spans) {
    if (!span.name.startsWith("app.")) assert.isFalse(span.attributes.has("code.stacktrace"), span.name)
  }
}

const badRequest = Fault.status(400, { code: 1000, message: "no" })

describe("a request's span and error are named after the public function called", () => {
  const cases: ReadonlyArray<{
    readonly name: string
    readonly route: FakePlex.RouteName
    readonly run: Effect.Effect<unknown, unknown, Requirements>
  }> = [
    { name: "PlexAuth.getTokenDetails", route: "getTokenDetails", run: PlexAuth.getTokenDetails() },
    { name: "PlexAuth.account", route: "getTokenDetails", run: PlexAuth.account() },
    {
      name: "PlexAuth.getTokenDetailsWithResponse",
      route: "getTokenDetails",
      run: PlexAuth.getTokenDetailsWithResponse()
    },
    {
      name: "PlexAuth.postUsersSignInData",
      route: "postUsersSignInData",
      run: PlexAuth.postUsersSignInData({ login: "alice", password: "secret-password" })
    },
    {
      name: "PlexAuth.signIn",
      route: "postUsersSignInData",
      run: PlexAuth.signIn({ login: "alice", password: "secret-password" })
    },
    {
      // The layer signs in with PlexAuth's request, but its caller called Credentials.layerSignIn.
      name: "Credentials.layerSignIn",
      route: "postUsersSignInData",
      run: Effect.scoped(
        Layer.build(Credentials.layerSignIn({ login: "alice", password: "secret-password" }))
      )
    },
    { name: "PlexAuth.transientToken", route: "getTransientToken", run: PlexAuth.transientToken() },
    { name: "PlexAuth.ping", route: "ping", run: PlexAuth.ping() },
    { name: "PinLogin.create", route: "createPin", run: PinLogin.create() },
    { name: "PinLogin.check", route: "checkPin", run: PinLogin.check({ id: 1 }) },
    { name: "Resources.list", route: "getServerResources", run: Resources.list() },
    { name: "Resources.servers", route: "getServerResources", run: Resources.servers() },
    { name: "Jwt.getNonce", route: "getNonce", run: Jwt.getNonce() },
    { name: "Jwt.getKeys", route: "getJwks", run: Jwt.getKeys() },
    { name: "Home.users", route: "getHomeUsers", run: Home.users() },
    { name: "Claim.token", route: "getClaimToken", run: Claim.token() },
    { name: "Devices.list", route: "getDevices", run: Devices.list() },
    { name: "Link.link", route: "linkPin", run: Link.link("ABCD") },
    { name: "ServerAccess.friends", route: "getUsers", run: ServerAccess.friends() }
  ]
  for (const { name, route, run } of cases) {
    it.effect(name, () =>
      Effect.gen(function* () {
        yield* FakePlex.fault(route, badRequest)
        const { exit, spans } = yield* withRecordedSpans(run)
        const error = failureOf(exit)
        assert.strictEqual(error._tag, "BadRequest")
        assertErrorNamed(error, name)
        assertRequestSpan(spans, name, route)
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
    )
  }

  it.effect("input rejected before any request names the function too", () =>
    Effect.gen(function* () {
      assertErrorNamed(yield* Effect.flip(PlexAuth.signIn({ login: "", password: "x" })), "PlexAuth.signIn")
      assertErrorNamed(
        yield* Effect.flip(PlexAuth.postUsersSignInData({ login: "", password: "x" })),
        "PlexAuth.postUsersSignInData"
      )
      assertErrorNamed(
        yield* Effect.flip(PlexAuth.getTokenDetails().pipe(PlexAuth.withRequestTimeout(-1))),
        "PlexAuth.withRequestTimeout"
      )
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("a plain name fails as its seed operation does, under the name the caller used", () =>
    Effect.gen(function* () {
      type Failing = Effect.Effect<void, Named, Requirements>
      const pairs: ReadonlyArray<readonly [string, Failing, string, Failing]> = [
        [
          "signIn",
          Effect.asVoid(PlexAuth.signIn({ login: "", password: "x" })),
          "postUsersSignInData",
          Effect.asVoid(PlexAuth.postUsersSignInData({ login: "", password: "x" }))
        ],
        [
          "transientToken",
          Effect.asVoid(PlexAuth.transientToken({ scope: "none" as "all" })),
          "getTransientToken",
          Effect.asVoid(PlexAuth.getTransientToken({ scope: "none" as "all" }))
        ],
        [
          "sourceConnectionInformation",
          Effect.asVoid(PlexAuth.sourceConnectionInformation({ source: "nope" })),
          "getSourceConnectionInformation",
          Effect.asVoid(PlexAuth.getSourceConnectionInformation({ source: "nope" }))
        ]
      ]
      for (const [alias, viaAlias, seed, viaSeed] of pairs) {
        const a = yield* Effect.flip(viaAlias)
        const s = yield* Effect.flip(viaSeed)
        assert.strictEqual(a._tag, "InvalidInput")
        assertErrorNamed(a, `PlexAuth.${alias}`)
        assertErrorNamed(s, `PlexAuth.${seed}`)
        assert.strictEqual(
          a.message.slice(`PlexAuth.${alias}`.length),
          s.message.slice(`PlexAuth.${seed}`.length)
        )
      }
      // No request was sent: the input was refused first.
      assert.deepStrictEqual(yield* FakePlex.requests, [])
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )
})

describe("a flow has a span of its own around the spans of its steps", () => {
  it.effect("PinLogin.poll: expired while no check got through, PinLogin.check spans inside it", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("checkPin", Fault.status(503))
      const pin: PinLogin.Pin = { id: 1, code: "ABCD", expiresIn: 10 }
      const fiber = yield* Effect.forkChild(withRecordedSpans(PinLogin.poll(pin)))
      for (let i = 0; i < 12; i++) yield* TestClock.adjust("1 second")
      const { exit, spans } = yield* Fiber.join(fiber)
      const error = failureOf(exit) as Named & { readonly reason?: string; readonly lastError?: Named }
      assert.strictEqual(error._tag, "PinExpired")
      assert.strictEqual(error.reason, "Unreachable")
      assertErrorNamed(error, "PinLogin.poll")
      // The last failure came from a check: it says so.
      assert.strictEqual(error.lastError?.operation, "PinLogin.check")
      const [poll] = named(spans, "PinLogin.poll")
      assert.isDefined(poll)
      assert.strictEqual(endedWith(poll!), "Failure")
      const checks = named(spans, "PinLogin.check", "client")
      assert.isAbove(checks.length, 1)
      for (const check of checks) {
        assert.isTrue(isChildOf(check, poll!))
        assert.strictEqual(check.attributes.get("plex.operation"), "checkPin")
        assert.strictEqual(check.attributes.get("url.path"), "/api/v2/pins/{id}")
      }
      assertNoStackTraces(spans)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "PinLogin.poll: a check refused outright fails with the check's error, inside PinLogin.poll",
    () =>
      Effect.gen(function* () {
        yield* FakePlex.fault("checkPin", badRequest)
        const { exit, spans } = yield* withRecordedSpans(
          PinLogin.poll({ id: 1, code: "ABCD", expiresIn: 60 })
        )
        assertErrorNamed(failureOf(exit), "PinLogin.check")
        const check = assertRequestSpan(spans, "PinLogin.check", "checkPin")
        assert.isTrue(isChildOf(check, named(spans, "PinLogin.poll")[0]!))
        assertNoStackTraces(spans)
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("Resources.connect: a refused token fails as Resources.connect, its check a span inside", () =>
    Effect.gen(function* () {
      const [server] = yield* Resources.servers()
      assert.isDefined(server)
      const refused: Resources.Device = { ...server!, accessToken: Redacted.make("not-this-servers-token") }
      const { exit, spans } = yield* withRecordedSpans(Resources.connect(refused))
      const error = failureOf(exit)
      assert.strictEqual(error._tag, "Unauthorized")
      assertErrorNamed(error, "Resources.connect")
      const [connect] = named(spans, "Resources.connect", "internal")
      assert.isDefined(connect)
      const check = assertRequestSpan(spans, "Resources.connect", "verifyServerToken")
      assert.isTrue(isChildOf(check, connect!))
      assertNoStackTraces(spans)
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          FakePlex.layer({
            servers: [{ name: "Den", connections: [{ uri: "http://192.0.2.10:32400", local: true }] }]
          }),
          ClientIdentity.layer(FakePlex.testIdentity),
          Credentials.layer(FakePlex.defaults.token)
        ).pipe(Layer.orDie)
      )
    )
  )

  it.effect("Resources.connectByName: ServerNotFound names it; Resources.servers runs inside it", () =>
    Effect.gen(function* () {
      const { exit, spans } = yield* withRecordedSpans(Resources.connectByName("No Such Server"))
      const error = failureOf(exit)
      assert.strictEqual(error._tag, "ServerNotFound")
      assertErrorNamed(error, "Resources.connectByName")
      const [byName] = named(spans, "Resources.connectByName")
      const [listing] = named(spans, "Resources.servers", "client")
      assert.isDefined(byName)
      assert.isDefined(listing)
      assert.isTrue(isChildOf(listing!, byName!))
      assertNoStackTraces(spans)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("Home.switchUser: its own request and its errors carry its name", () =>
    Effect.gen(function* () {
      const [user] = yield* Home.users()
      assert.isDefined(user)
      yield* FakePlex.fault("switchHomeUser", badRequest)
      const { exit, spans } = yield* withRecordedSpans(Home.switchUser(user!))
      assertErrorNamed(failureOf(exit), "Home.switchUser")
      const request = assertRequestSpan(spans, "Home.switchUser", "switchHomeUser")
      assert.isTrue(isChildOf(request, named(spans, "Home.switchUser", "internal")[0]!))
      assertNoStackTraces(spans)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "Jwt.exchange: the nonce in Jwt.deviceJwt, the exchange in Jwt.exchange, inside Jwt.exchange",
    () =>
      Effect.gen(function* () {
        const key = yield* Jwt.generateKey
        yield* FakePlex.fault("exchangeJwt", badRequest)
        const { exit, spans } = yield* withRecordedSpans(Jwt.exchange(key))
        assertErrorNamed(failureOf(exit), "Jwt.exchange")
        const [exchange] = named(spans, "Jwt.exchange", "internal")
        const request = assertRequestSpan(spans, "Jwt.exchange", "exchangeJwt")
        const [nonce] = named(spans, "Jwt.deviceJwt", "client")
        assert.strictEqual(nonce?.attributes.get("plex.operation"), "getNonce")
        assert.isTrue(isChildOf(request, exchange!))
        assert.isTrue(isChildOf(nonce!, exchange!))
        assertNoStackTraces(spans)
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("Jwt.upgrade: a span of its own around Jwt.registerKey and Jwt.exchange", () =>
    Effect.gen(function* () {
      const key = yield* Jwt.generateKey
      yield* FakePlex.fault("exchangeJwt", badRequest)
      const { exit, spans } = yield* withRecordedSpans(Jwt.upgrade(key))
      assertErrorNamed(failureOf(exit), "Jwt.exchange")
      const [upgrade] = named(spans, "Jwt.upgrade")
      const [register] = named(spans, "Jwt.registerKey", "client")
      const [exchange] = named(spans, "Jwt.exchange", "internal")
      assert.isDefined(upgrade)
      assert.strictEqual(register?.attributes.get("plex.operation"), "registerJwk")
      assert.isTrue(isChildOf(register!, upgrade!))
      assert.isTrue(isChildOf(exchange!, upgrade!))
      assertNoStackTraces(spans)
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("Credentials.validate and ServerAccess.check: spans around their steps, no error", () =>
    Effect.gen(function* () {
      yield* FakePlex.fault("getTokenDetails", Fault.status(503))
      yield* FakePlex.fault("getServerResources", Fault.status(503))
      const validated = yield* withRecordedSpans(Credentials.validate)
      assert.isTrue(Exit.isSuccess(validated.exit))
      const [validate] = named(validated.spans, "Credentials.validate", "internal")
      const [details] = named(validated.spans, "PlexAuth.getTokenDetails", "client")
      assert.isDefined(validate)
      assert.isTrue(isChildOf(details!, validate!))
      const checked = yield* withRecordedSpans(ServerAccess.check(FakePlex.defaults.serverId))
      assert.isTrue(Exit.isSuccess(checked.exit))
      const [check] = named(checked.spans, "ServerAccess.check", "internal")
      const [listing] = named(checked.spans, "Resources.list", "client")
      assert.isDefined(check)
      assert.isTrue(isChildOf(listing!, check!))
      assertNoStackTraces([...validated.spans, ...checked.spans])
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "a cached checker's ServerAccess.check runs inside the caller's span, as an uncached check does",
    () =>
      Effect.gen(function* () {
        const checker = yield* ServerAccess.makeChecker(FakePlex.defaults.serverId, { ttl: "1 minute" })
        const { exit, spans } = yield* withRecordedSpans(
          checker.check(FakePlex.defaults.token).pipe(Effect.withSpan("app.request"))
        )
        assert.strictEqual(exit._tag, "Success")
        const [request] = named(spans, "app.request")
        const [check] = named(spans, "ServerAccess.check", "internal")
        const [listing] = named(spans, "Resources.list", "client")
        // The lookup runs on a fiber of the cache's, with the cache's services, but in the caller's trace.
        assert.isTrue(isChildOf(check!, request!), "ServerAccess.check is a child of the caller's span")
        assert.isTrue(isChildOf(listing!, check!))
        assertNoStackTraces(spans)
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )
})
