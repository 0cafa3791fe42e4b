/**
 * The test kits given what untyped JavaScript passes (null, a number, options of the wrong kind): a
 * FakePlexError naming the function and the option, never a TypeError from deep inside the fake.
 * effect4/test/testing/FakePlex.inputs.test.ts is this file for the Effect 4 edition.
 */
import { assert, describe } from "@effect/vitest"
import { Cause, Effect, Exit, Layer } from "effect"
import { handlerFaults, makeHandler } from "effect-plex-auth/fake"
import { serve } from "effect-plex-auth/fake/node"
import { FakePlexServer } from "effect-plex-auth/node"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { it } from "../support/it.js"

const untyped = <A>(value: unknown): A => value as A

/** What a value thrown or an effect's failure or defect is: its class (TypeError told apart) and message. */
const described = (error: unknown): readonly [string, string] =>
  error instanceof TypeError
    ? ["TypeError", error.message]
    : [
        String((error as { _tag?: unknown; name?: unknown })._tag ?? (error as { name?: unknown }).name),
        String((error as { message?: unknown }).message)
      ]

/** What `effect` failed or died with (see {@link described}). */
const outcome = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.exit(effect), (exit) =>
    Exit.isSuccess(exit) ? ["succeeded", ""] : described(Cause.squash(exit.cause))
  )

/** What `f` threw (see {@link described}). */
const thrown = (f: () => unknown): readonly [string, string] => {
  try {
    f()
  } catch (error) {
    return described(error)
  }
  return ["nothing thrown", ""]
}

describe("the test kits given what untyped JavaScript passes", () => {
  it.effect(
    "FakePlex.make, layer, layerSignedIn and FakePlexServer.make name options that are not an object",
    () =>
      Effect.gen(function* () {
        const refused = ["FakePlexError", "FakePlex: options must be an object, not null"]
        assert.deepStrictEqual(yield* outcome(FakePlex.make(untyped(null))), refused)
        assert.deepStrictEqual(yield* outcome(Layer.build(FakePlex.layer(untyped(null)))), refused)
        assert.deepStrictEqual(yield* outcome(Layer.build(FakePlex.layerSignedIn(untyped(null)))), refused)
        assert.deepStrictEqual(yield* outcome(FakePlexServer.make(untyped(null))), refused)
        assert.deepStrictEqual(yield* outcome(FakePlex.make(untyped(42))), [
          "FakePlexError",
          "FakePlex: options must be an object, not number"
        ])
        // The kit's own FakePlexError (the one FakePlex exports, tagged), as a refused fault dies with.
        const kits: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
          FakePlex.make(untyped(null)),
          Effect.scoped(FakePlexServer.make(untyped(null)))
        ]
        for (const made of kits) {
          const exit = yield* Effect.exit(made)
          const died = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
          assert.instanceOf(died, FakePlex.FakePlexError)
          assert.strictEqual((died as FakePlex.FakePlexError)._tag, "FakePlexError")
        }
      }).pipe(Effect.scoped)
  )

  it.effect("FakePlex.fault, approvePin and rotateJwtKey name the argument of the wrong kind", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* outcome(FakePlex.fault(untyped(null), Fault.hang)), [
        "FakePlexError",
        "fault: the target must be a route name, a path (starting with /) or an object"
      ])
      // A key it does not take (a typo) narrows nothing: scripted, the fault would select every request.
      assert.deepStrictEqual(
        yield* outcome(FakePlex.fault(untyped({ rout: "getTokenDetails" }), Fault.hang)),
        [
          "FakePlexError",
          "fault: the target takes route, path, origin and method, not rout (a key it does not take narrows nothing: the fault would select every request)"
        ]
      )
      assert.deepStrictEqual(yield* outcome(FakePlex.fault("getTokenDetails", untyped(null))), [
        "FakePlexError",
        "fault: the fault must be one of Fault's (handlerFaults')"
      ])
      assert.deepStrictEqual(yield* outcome(FakePlex.fault("getTokenDetails", Fault.hang, untyped(null))), [
        "FakePlexError",
        "fault: the options must be an object, not null"
      ])
      assert.deepStrictEqual(yield* outcome(FakePlex.approvePin(untyped(null))), [
        "FakePlexError",
        "approvePin: the PIN must be its id (a number) or its code (a string)"
      ])
      assert.deepStrictEqual(yield* outcome(FakePlex.approvePin(1, untyped(null))), [
        "FakePlexError",
        "approvePin: options must be an object, not null"
      ])
      assert.deepStrictEqual(yield* outcome(FakePlex.rotateJwtKey(untyped(null))), [
        "FakePlexError",
        "rotateJwtKey: options must be an object, not null"
      ])
      // Each the kit's own FakePlexError (the one FakePlex exports, tagged), not the shared fake's of that name.
      const calls: ReadonlyArray<Effect.Effect<unknown, unknown, FakePlex.FakePlex>> = [
        FakePlex.fault(untyped(null), Fault.hang),
        FakePlex.approvePin(untyped(null)),
        FakePlex.approvePin(1, untyped(null)),
        FakePlex.rotateJwtKey(untyped(null))
      ]
      for (const call of calls) {
        const exit = yield* Effect.exit(call)
        const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
        assert.instanceOf(error, FakePlex.FakePlexError, String(error))
        assert.strictEqual((error as FakePlex.FakePlexError)._tag, "FakePlexError")
      }
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it("Fault's constructors name options that are not an object", () => {
    const cases: ReadonlyArray<readonly [string, () => unknown]> = [
      ["Fault.status", () => Fault.status(429, untyped(null))],
      ["Fault.truncate", () => Fault.truncate(untyped(null))],
      ["Fault.html", () => Fault.html(untyped(null))],
      ["Fault.redirect", () => Fault.redirect(untyped(null))],
      ["Fault.oversized", () => Fault.oversized(untyped(1))]
    ]
    for (const [name, f] of cases) {
      assert.deepStrictEqual(thrown(f)[0], "FakePlexError", name)
      assert.isTrue(thrown(f)[1].startsWith(`${name}: options must be an object`), thrown(f)[1])
    }
  })

  it("Fault.redirect's to is taken when it resolves against a request's URL of either scheme, as the fault resolves it", async () => {
    // "https:" is the request's own URL on an https origin; it was refused, checked against an http base only.
    for (const to of ["https:", "http:", "//elsewhere.invalid/moved"]) {
      assert.strictEqual(Fault.redirect({ to }).to, to)
    }
    // Neither scheme's: refused.
    for (const to of ["https://", "http://[oops"]) {
      assert.throws(() => Fault.redirect({ to }), /Fault.redirect: to must be a URL or path/)
    }
    const fake = FakePlex.makeHandler({ plexTvUrl: "https://plex.invalid" })
    fake.fault("getTokenDetails", FakePlex.handlerFaults.redirect({ to: "https:", status: 307 }), {
      times: 1
    })
    const response = await fake.handler(new Request("https://plex.invalid/api/v2/user?a=1"))
    assert.deepStrictEqual(
      [response.status, response.headers.get("location")],
      [307, "https://plex.invalid/api/v2/user?a=1"]
    )
    // Scripted where it resolves against no request the target selects (the default server's origin is http): refused.
    const plain = FakePlex.makeHandler()
    assert.throws(
      () =>
        plain.fault(
          { route: "getServerIdentity", origin: plain.serverUrl },
          FakePlex.handlerFaults.redirect({ to: "https:" })
        ),
      /the redirect's to "https:" resolves against no request the target selects/
    )
    assert.throws(
      () =>
        plain.fault(
          { origin: plain.serverUrl },
          FakePlex.handlerFaults.delay(10, FakePlex.handlerFaults.redirect({ to: "https:" }))
        ),
      /resolves against no request/
    )
  })

  it("Fault's constructors name values of the wrong kind or range, rather than scripting a fault that misbehaves", () => {
    const cases: ReadonlyArray<readonly [string, () => unknown]> = [
      ["Fault.delay: the duration", () => Fault.delay(untyped(null))],
      ["Fault.delay: the duration", () => Fault.delay(Number.POSITIVE_INFINITY)],
      ["Fault.delay: the duration", () => Fault.delay(untyped("soon"))],
      ["Fault.delay: then", () => Fault.delay("1 second", untyped("hang"))],
      ["Fault.truncate: keepBytes", () => Fault.truncate({ keepBytes: -1 })],
      ["Fault.truncate: keepBytes", () => Fault.truncate({ keepBytes: untyped("10") })],
      ["Fault.html: status", () => Fault.html({ status: 42 })],
      ["Fault.redirect: status", () => Fault.redirect({ status: untyped(200) })],
      ["Fault.redirect: to", () => Fault.redirect({ to: untyped(42) })],
      // Not a URL against any request's: the request failed (Invalid URL) when the fault fired.
      ["Fault.redirect: to", () => Fault.redirect({ to: "http://[oops" })],
      ["Fault.contentType: the content type", () => Fault.contentType(untyped(null))],
      ["Fault.contentType: the content type", () => Fault.contentType("text/html\r\nx-injected: 1")],
      ["Fault.oversized: bytes", () => Fault.oversized({ bytes: 1.5 })],
      ["Fault.oversized: declareLength", () => Fault.oversized({ declareLength: untyped("no") })],
      // Status's other options: taken as they were, a body Plex never sends, dropped or a request failing later.
      ["Fault.status: code", () => Fault.status(500, { code: untyped("abc") })],
      ["Fault.status: message", () => Fault.status(500, { message: untyped({}) })],
      ["Fault.status: headers", () => Fault.status(503, { headers: untyped(5) })],
      ["Fault.status: a header's name", () => Fault.status(503, { headers: { "x a": "1" } })],
      ["Fault.status: the header x-a", () => Fault.status(503, { headers: { "x-a": "1\r\nx-injected: 1" } })],
      ["Fault.respond: respond", () => Fault.respond(untyped(5))],
      // Values Headers cannot carry (past U+00FF: not a ByteString) or Node's http refuses (a control character):
      // the request failed when the fault fired.
      ["Fault.status: the header x-a", () => Fault.status(503, { headers: { "x-a": "5 €" } })],
      ["Fault.status: the header x-a", () => Fault.status(503, { headers: { "x-a": "a\u0007b" } })],
      ["Fault.contentType: the content type", () => Fault.contentType("text/plain; name=€")],
      ["Fault.status: the header x-a", () => handlerFaults.status(503, { headers: { "x-a": "5 €" } })],
      // The Effect-free fault constructors of the shared fake, the same checks.
      ["Fault.status: code", () => handlerFaults.status(500, { code: 1.5 })],
      ["Fault.status: headers", () => handlerFaults.status(503, { headers: untyped(null) })],
      ["Fault.respond: respond", () => handlerFaults.respond(untyped("ok"))]
    ]
    for (const [name, f] of cases) {
      const [kind, message] = thrown(f)
      assert.strictEqual(kind, "FakePlexError", name)
      assert.isTrue(message.startsWith(`${name} must be`), message)
    }
    // The values they take still make faults.
    assert.strictEqual(Fault.delay("1 second", Fault.hang)._tag, "Delay")
    assert.strictEqual(Fault.truncate({ keepBytes: 0 }).keepBytes, 0)
    assert.strictEqual(Fault.html({ status: 503 }).status, 503)
    assert.strictEqual(Fault.redirect({ status: 308, to: "/elsewhere" }).status, 308)
    assert.strictEqual(Fault.contentType("text/html").contentType, "text/html")
    assert.strictEqual(Fault.oversized({ bytes: 10, declareLength: false }).bytes, 10)
    assert.deepStrictEqual(
      Fault.status(503, { code: 1003, message: "busy", headers: { "x-a": "1" } }).headers,
      {
        "x-a": "1"
      }
    )
    // Latin-1 text and a tab, which Headers and Node's http carry, are taken.
    assert.deepStrictEqual(Fault.status(503, { headers: { "x-a": "caf\u00e9\t1" } }).headers, {
      "x-a": "caf\u00e9\t1"
    })
    assert.strictEqual(handlerFaults.status(500, { code: 1001, message: "no" }).code, 1001)
  })

  it("makeHandler and serve (effect-plex-auth/fake) name options that are not an object", async () => {
    assert.deepStrictEqual(
      thrown(() => makeHandler(untyped(null))),
      ["FakePlexError", "FakePlex: options must be an object, not null"]
    )
    const rejected = await serve(untyped(null)).then(
      (server) => server.close().then(() => ["resolved", ""]),
      described
    )
    assert.deepStrictEqual(rejected, ["FakePlexError", "FakePlex: options must be an object, not null"])
  })
})
