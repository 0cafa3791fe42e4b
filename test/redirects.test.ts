/**
 * Redirects are followed by the engine itself: same origin with the token,
 * another origin without it, never resending a password to another origin,
 * never more than five hops, never to a non-http(s) URL.
 */
import { assert, describe } from "@effect/vitest"
import { Effect, Exit, Redacted, Schedule } from "effect"
import { Credentials, Devices, PinLogin, PlexAuth, RetryPolicy } from "effect-plex-auth"
import { it } from "./support/it.js"
import { expectRequests, failsWith } from "./support/assertions.js"
import { CODE, env, PASSWORD, TOKEN } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"
import { withCapturedLogs, withRecordedSpans } from "./support/observe.js"
import { accountBody, operations, signInInput, success } from "./support/operations.js"

const details = PlexAuth.getTokenDetails()
const signIn = PlexAuth.postUsersSignInData(signInInput)
const signInOp = operations[0]!
const account = () => MockHttp.json(200, accountBody)

/** Redirects the first request to `location`; answers the rest with `then`. */
const redirectOnce =
  (
    status: 301 | 302 | 303 | 307 | 308,
    location: string,
    then: () => MockHttp.Reply = account
  ): MockHttp.Handler =>
  (request) =>
    request.index === 0 ? MockHttp.redirect(status, location) : then()

describe("same origin", () => {
  it.effect("a redirect is followed with the token", () =>
    Effect.gen(function* () {
      const result = yield* details
      assert.strictEqual(result.username, "tester")
      const [first, second] = yield* expectRequests(2)
      assert.strictEqual(second!.url.toString(), "https://plex.tv/api/v2/user/moved?v=2")
      assert.strictEqual(second!.method, "GET")
      assert.strictEqual(first!.headers["x-plex-token"], TOKEN)
      assert.strictEqual(second!.headers["x-plex-token"], TOKEN)
      assert.strictEqual(
        second!.headers["x-plex-client-identifier"],
        first!.headers["x-plex-client-identifier"]
      )
    }).pipe(Effect.provide(env(redirectOnce(302, "/api/v2/user/moved?v=2"))))
  )

  it.effect("the Location's query replaces the original one", () =>
    Effect.gen(function* () {
      yield* operations[3]!.run
      const [, second] = yield* expectRequests(2)
      assert.deepStrictEqual([...second!.url.searchParams], [["source", "server://other"]])
      assert.strictEqual(second!.headers["x-plex-token"], TOKEN)
    }).pipe(
      Effect.provide(
        env(
          redirectOnce(301, "/security/resources?source=server%3A%2F%2Fother", () => success(operations[3]!))
        )
      )
    )
  )

  it.effect("a 307 of the sign-in POST is followed with the same form", () =>
    Effect.gen(function* () {
      yield* signIn
      const [first, second] = yield* expectRequests(2)
      assert.strictEqual(second!.method, "POST")
      assert.strictEqual(second!.url.toString(), "https://plex.tv/api/v2/users/signin2")
      assert.strictEqual(second!.body, first!.body)
    }).pipe(
      Effect.provide(env(redirectOnce(307, "https://plex.tv/api/v2/users/signin2", () => success(signInOp))))
    )
  )

  it.effect("a 303 turns the POST into a GET without a body", () =>
    Effect.gen(function* () {
      yield* failsWith(signIn, "Unexpected")
      const [first, second] = yield* expectRequests(2)
      assert.strictEqual(second!.method, "GET")
      assert.isUndefined(second!.body)
      // The body's headers go with it; the others stay (same origin: the identity headers).
      assert.match(first!.headers["content-type"] ?? "", /^application\/x-www-form-urlencoded/)
      assert.isUndefined(second!.headers["content-type"])
      assert.isUndefined(second!.headers["content-length"])
      assert.strictEqual(
        second!.headers["x-plex-client-identifier"],
        first!.headers["x-plex-client-identifier"]
      )
    }).pipe(Effect.provide(env(redirectOnce(303, "/done", () => MockHttp.html(200, "<p>done</p>")))))
  )
})

describe("cross origin", () => {
  // A sign-out redirected to another origin goes on there without the token: what that page answers (a 2xx) revoked
  // nothing, and plex.tv, which had the token, only redirected. Counted as revoked, the caller and credentials that
  // re-authenticate were told the token was gone while it stayed valid. A 303 from plex.tv is plex.tv's own: it acted.
  it.effect(
    "a sign-out whose 2xx comes from another origin a redirect led to revoked nothing: Unexpected, not told",
    () =>
      Effect.gen(function* () {
        const told: Array<string> = []
        const signOut = PlexAuth.signOut().pipe(
          Effect.provideService(Credentials.Credentials, {
            token: Effect.succeed(Redacted.make(TOKEN)),
            signedOut: (token) => Effect.sync(() => void told.push(Redacted.value(token)))
          })
        )
        let hops: ReadonlyArray<{ readonly status: number; readonly location?: string }> = []
        const run = Effect.provide(
          Effect.either(signOut),
          env((request) => {
            const hop = hops[request.index % 2 === 0 ? 0 : 1]!
            return hop.location === undefined
              ? new Response(null, { status: hop.status })
              : MockHttp.redirect(hop.status as 301, hop.location)
          })
        )
        for (const status of [301, 302, 307, 308] as const) {
          hops = [{ status, location: "https://elsewhere.example/page" }, { status: 204 }]
          const result = yield* run
          assert.isTrue(result._tag === "Left", String(status))
          if (result._tag !== "Left") continue
          const error = result.left
          assert.strictEqual(error._tag, "Unexpected")
          if (error._tag !== "Unexpected") continue
          assert.strictEqual(error.reason, "Redirect")
          assert.strictEqual(error.status, 204)
          assert.strictEqual(error.url, "https://plex.tv/api/v2/users/signout")
          assert.include(
            error.message,
            "answered by https://elsewhere.example, where a redirect led without the token"
          )
          assert.notInclude(error.message, TOKEN)
        }
        assert.deepStrictEqual(told, [])
        // plex.tv's own 303 (it acted), and a redirect on plex.tv (the token went along): revoked, and told.
        for (const location of ["https://elsewhere.example/done", "https://plex.tv/api/v2/users/signout2"]) {
          hops = [{ status: location.includes("elsewhere") ? 303 : 307, location }, { status: 200 }]
          assert.strictEqual((yield* run)._tag, "Right", location)
        }
        assert.deepStrictEqual(told, [TOKEN, TOKEN])
      })
  )

  it.effect(
    "the revoke `signedOut` is given: a 2xx from another origin a redirect led to is warned of, not taken as revoked",
    () =>
      Effect.gen(function* () {
        // The credentials revoke a token a refresh obtained (refresh.ts) with the revoke PlexAuth.signOut gives them.
        const signOut = PlexAuth.signOut().pipe(
          Effect.provideService(Credentials.Credentials, {
            token: Effect.succeed(Redacted.make(TOKEN)),
            signedOut: (_token, revoke) =>
              revoke === undefined ? Effect.void : revoke(Redacted.make("late-token"))
          })
        )
        const { exit, lines } = yield* withCapturedLogs(signOut)
        assert.isTrue(Exit.isSuccess(exit), String(exit))
        const [, second, third] = yield* expectRequests(3)
        assert.strictEqual(second!.headers["x-plex-token"], "late-token")
        assert.strictEqual(third!.url.origin, "https://elsewhere.example")
        const logged = lines.join("\n")
        assert.include(logged, "could not be revoked (Unexpected)")
        assert.notInclude(logged, "late-token")
      }).pipe(
        Effect.provide(
          env((request) =>
            request.index === 1
              ? MockHttp.redirect(307, "https://elsewhere.example/page")
              : new Response(null, { status: 204 })
          )
        )
      )
  )

  // Devices.revoke is a revocation too (the device's token): counted as PlexAuth.signOut counts one. A 2xx from another
  // origin a redirect led to, without the token, removed nothing; counted as removed, the caller was told the device
  // was signed out while its token stayed valid. plex.tv's own answers (a redirect within plex.tv, the token along; its
  // 303 after it acted) remove it, as python-plexapi and @ctrl/plex, which follow redirects, would take them.
  it.effect(
    "Devices.revoke whose 2xx comes from another origin a redirect led to removed nothing: Unexpected, as the sign-out",
    () =>
      Effect.gen(function* () {
        let hops: ReadonlyArray<{ readonly status: number; readonly location?: string }> = []
        const run = Effect.provide(
          Effect.either(Devices.revoke(7)),
          env((request) => {
            const hop = hops[request.index % 2 === 0 ? 0 : 1]!
            return hop.location === undefined
              ? new Response(null, { status: hop.status })
              : MockHttp.redirect(hop.status as 301, hop.location)
          })
        )
        for (const status of [301, 302, 307, 308] as const) {
          hops = [{ status, location: "https://elsewhere.example/page" }, { status: 204 }]
          const result = yield* run
          assert.isTrue(result._tag === "Left", String(status))
          if (result._tag !== "Left") continue
          const error = result.left
          assert.strictEqual(error._tag, "Unexpected")
          if (error._tag !== "Unexpected") continue
          assert.strictEqual(error.reason, "Redirect")
          assert.strictEqual(error.status, 204)
          assert.strictEqual(error.operation, "Devices.revoke")
          assert.strictEqual(error.method, "DELETE")
          assert.strictEqual(error.url, "https://plex.tv/devices/7.xml")
          assert.include(
            error.message,
            "answered by https://elsewhere.example, where a redirect led without the token"
          )
          assert.notInclude(error.message, TOKEN)
        }
        // plex.tv's own 303 (it acted), and a redirect within plex.tv (the token went along): removed.
        for (const location of ["https://elsewhere.example/done", "https://plex.tv/devices/7/moved.xml"]) {
          hops = [{ status: location.includes("elsewhere") ? 303 : 307, location }, { status: 200 }]
          assert.strictEqual((yield* run)._tag, "Right", location)
        }
      })
  )

  // Not only a 2xx: any answer from another origin a redirect led a revocation to, without the token, is that page's,
  // not plex.tv's. Read as plex.tv's, a 401 there (it had no token) said the token was refused, already invalid: the
  // sign-out told the credentials, which forgot the token and stayed signed out while it stayed valid (WebSignIn said
  // `revoked: true`, the late revoke warned of nothing); a 404 there was Devices.revoke's "no device with that id", and
  // on a retry after an attempt whose outcome is unknown, the device "gone".
  it.effect(
    "a revocation refused by another origin a redirect led to is no verdict on the token or device: Unexpected, not told",
    () =>
      Effect.gen(function* () {
        const told: Array<string> = []
        const signOut = PlexAuth.signOut().pipe(
          Effect.provideService(Credentials.Credentials, {
            token: Effect.succeed(Redacted.make(TOKEN)),
            signedOut: (token) => Effect.sync(() => void told.push(Redacted.value(token)))
          })
        )
        const redirected = (status: number) =>
          env((request) =>
            request.index % 2 === 0
              ? MockHttp.redirect(307, "https://elsewhere.example/page")
              : MockHttp.plexErrors(status, [{ code: 1001, message: "User could not be authenticated" }])
          )
        const refused =
          (status: number) =>
          (error: {
            readonly _tag: string
            readonly status?: number | undefined
            readonly reason?: unknown
            readonly message: string
          }) => {
            assert.strictEqual(error._tag, "Unexpected", String(status))
            assert.strictEqual(error.reason, "Redirect")
            assert.strictEqual(error.status, status)
            assert.include(error.message, "answered by https://elsewhere.example")
          }
        refused(401)(yield* Effect.flip(Effect.provide(signOut, redirected(401))))
        assert.deepStrictEqual(told, [])
        refused(404)(yield* Effect.flip(Effect.provide(Devices.revoke(7), redirected(404))))
        // A retry after a 502 (the outcome unknown) whose 404 comes from another origin: no device "gone".
        const retried = Devices.revoke(7).pipe(RetryPolicy.withPolicy(RetryPolicy.make(Schedule.recurs(1))))
        const error = yield* Effect.flip(
          Effect.provide(
            retried,
            env((request) =>
              request.index === 0
                ? MockHttp.text(502, "bad gateway", "text/html")
                : request.index === 1
                  ? MockHttp.redirect(307, "https://elsewhere.example/page")
                  : MockHttp.plexErrors(404, [{ code: 1002, message: "Not found" }])
            )
          )
        )
        refused(404)(error)
      })
  )

  it.effect(
    "an error after a redirect names the request's URL, not the hop's: a refusal, a body cut off",
    () =>
      Effect.gen(function* () {
        // Each call is redirected to another origin, which answers a 401, then a 200 and a 429 whose bodies break
        // off: every error names the URL the operation asked for (no path or query a server chose: a hop's URL
        // is the server's to make up), as a 401 read whole does.
        for (const tag of ["Unauthorized", "NetworkError", "RateLimited"] as const) {
          const error = yield* failsWith(details, tag)
          assert.strictEqual(error.url, "https://plex.tv/api/v2/user")
          assert.notInclude(error.message, "elsewhere")
        }
        assert.strictEqual((yield* expectRequests(6))[5]!.url.pathname, "/elsewhere/3")
      }).pipe(
        Effect.provide(
          env((request) => {
            const call = Math.floor(request.index / 2) + 1
            if (request.index % 2 === 0)
              return MockHttp.redirect(302, `https://other.example/elsewhere/${call}`)
            return call === 1
              ? MockHttp.plexErrors(401, [{ code: 1001, message: "User could not be authenticated" }])
              : MockHttp.cutBody(call === 2 ? 200 : 429, accountBody)
          })
        )
      )
  )

  it.effect("a redirect is followed WITHOUT X-Plex-Token", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(details, "Unauthorized")
      assert.strictEqual(error.url, "https://plex.tv/api/v2/user")
      const [first, second] = yield* expectRequests(2)
      assert.strictEqual(first!.headers["x-plex-token"], TOKEN)
      assert.strictEqual(second!.url.origin, "https://evil.example")
      assert.isUndefined(second!.headers["x-plex-token"])
      assert.notInclude(second!.url.toString(), TOKEN)
      // What the other origin received, all of it: no token anywhere.
      assert.notInclude(JSON.stringify(second!.headers), TOKEN)
      // Nor anything else that says who asks (redirects.identity.test.ts): of the first request's headers, Accept.
      assert.isDefined(first!.headers["x-plex-product"])
      assert.isUndefined(second!.headers["x-plex-product"])
      assert.strictEqual(second!.headers["accept"], first!.headers["accept"])
    }).pipe(
      Effect.provide(
        env(
          redirectOnce(302, "https://evil.example/api/v2/user", () =>
            MockHttp.plexErrors(401, [{ code: 1001, message: "User could not be authenticated" }])
          )
        )
      )
    )
  )

  it.effect("a token a server put in the Location's query is never sent on", () =>
    Effect.gen(function* () {
      yield* failsWith(details, "Unauthorized")
      const [, second] = yield* expectRequests(2)
      assert.strictEqual(second!.url.origin, "https://evil.example")
      assert.notInclude(second!.url.toString(), TOKEN)
      assert.strictEqual(second!.url.searchParams.get("keep"), "1")
    }).pipe(
      Effect.provide(
        env(
          redirectOnce(302, `https://evil.example/api/v2/user?X-Plex-Token=${TOKEN}&keep=1`, () =>
            MockHttp.plexErrors(401, [{ code: 1001, message: "User could not be authenticated" }])
          )
        )
      )
    )
  )

  it.effect(
    "every secret query value is dropped on the way to another origin, whatever its name (15.6)",
    () =>
      Effect.gen(function* () {
        const deviceJwt = "device.jwt-SeCrEt-8c1f"
        yield* Effect.either(PinLogin.check({ id: 42 }, { deviceJwt: Redacted.make(deviceJwt) }))
        const [first, second] = yield* expectRequests(2)
        assert.strictEqual(first!.url.searchParams.get("deviceJWT"), deviceJwt)
        assert.strictEqual(second!.url.origin, "https://evil.example")
        assert.notInclude(second!.url.toString(), deviceJwt)
        assert.notInclude(second!.url.toString(), "SeCrEt")
        assert.deepStrictEqual([...second!.url.searchParams], [["keep", "1"]])
      }).pipe(
        Effect.provide(
          env(
            redirectOnce(
              302,
              "https://evil.example/api/v2/pins/42?deviceJWT=device.jwt-SeCrEt-8c1f&keep=1",
              () => MockHttp.json(200, { id: 42, code: "ABCD" })
            )
          )
        )
      )
  )

  it.effect("a secret query value stays on a redirect within the origin", () =>
    Effect.gen(function* () {
      const deviceJwt = "device.jwt-SeCrEt-8c1f"
      yield* Effect.either(PinLogin.check({ id: 42 }, { deviceJwt: Redacted.make(deviceJwt) }))
      const [, second] = yield* expectRequests(2)
      assert.strictEqual(second!.url.searchParams.get("deviceJWT"), deviceJwt)
    }).pipe(
      Effect.provide(
        env(
          redirectOnce(302, "/api/v2/pins/42?deviceJWT=device.jwt-SeCrEt-8c1f", () =>
            MockHttp.json(200, { id: 42, code: "ABCD" })
          )
        )
      )
    )
  )

  it.effect("another port or scheme of the same host is another origin", () =>
    Effect.gen(function* () {
      yield* operations[2]!.run
      const [, second] = yield* expectRequests(2)
      assert.strictEqual(second!.url.origin, "https://127.0.0.1:32443")
      assert.isUndefined(second!.headers["x-plex-token"])
      // A 307 keeps the method (no secret in this body, so it may go).
      assert.strictEqual(second!.method, "POST")
    }).pipe(
      Effect.provide(
        env(
          redirectOnce(307, "https://127.0.0.1:32443/security/token?type=delegation&scope=all", () =>
            success(operations[2]!)
          )
        )
      )
    )
  )

  it.effect("once dropped, the token stays dropped over further hops on the other origin", () =>
    Effect.gen(function* () {
      yield* details
      const requests = yield* expectRequests(3)
      assert.deepStrictEqual(
        requests.map((r) => [r.url.origin, r.headers["x-plex-token"] !== undefined]),
        [
          ["https://plex.tv", true],
          ["https://cdn.example", false],
          ["https://cdn.example", false]
        ]
      )
    }).pipe(
      Effect.provide(
        env((request) =>
          request.index === 0
            ? MockHttp.redirect(302, "https://cdn.example/a")
            : request.index === 1
              ? MockHttp.redirect(302, "/b")
              : account()
        )
      )
    )
  )

  for (const status of [307, 308] as const) {
    it.effect(
      `a ${status} of the sign-in POST is refused (Unexpected Redirect): the password is never resent`,
      () =>
        Effect.gen(function* () {
          const error = yield* failsWith(signIn, "Unexpected")
          assert.strictEqual(error.reason, "Redirect")
          assert.strictEqual(error.status, status)
          assert.include(error.detail, "https://evil.example")
          const requests = yield* expectRequests(1)
          assert.strictEqual(requests[0]!.url.origin, "https://plex.tv")
        }).pipe(
          Effect.provide(
            env(redirectOnce(status, "https://evil.example/api/v2/users/signin", () => success(signInOp)))
          )
        )
    )
  }

  it.effect("a refused redirect is not retried, whatever the policy", () =>
    Effect.gen(function* () {
      yield* failsWith(
        signIn.pipe(RetryPolicy.withPolicy(RetryPolicy.make(Schedule.forever, { while: () => true }))),
        "Unexpected"
      )
      yield* expectRequests(1)
    }).pipe(Effect.provide(env(() => MockHttp.redirect(307, "https://evil.example/"))))
  )

  it.effect("a 302 of the sign-in POST becomes a GET without the form", () =>
    Effect.gen(function* () {
      yield* failsWith(signIn, "Unexpected")
      const [, second] = yield* expectRequests(2)
      assert.strictEqual(second!.url.origin, "https://other.example")
      assert.strictEqual(second!.method, "GET")
      assert.isUndefined(second!.body)
      assert.notInclude(second!.url.toString(), PASSWORD)
      assert.notInclude(second!.url.toString(), CODE)
    }).pipe(
      Effect.provide(env(redirectOnce(302, "https://other.example/welcome", () => MockHttp.html(200, "hi"))))
    )
  )
})

describe("refused redirects", () => {
  it.effect("a loop is capped at five hops (Unexpected Redirect)", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(details, "Unexpected")
      assert.strictEqual(error.reason, "Redirect")
      assert.include(error.detail, "more than 5 redirects")
      yield* expectRequests(6)
    }).pipe(Effect.provide(env(() => MockHttp.redirect(302, "/api/v2/user"))))
  )

  for (const location of [
    "ftp://plex.tv/file",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "data:text/plain,hi"
  ]) {
    it.effect(`a redirect to ${location.split(":")[0]}: is refused`, () =>
      Effect.gen(function* () {
        const error = yield* failsWith(details, "Unexpected")
        assert.strictEqual(error.reason, "Redirect")
        assert.match(error.detail, /refused a redirect to a \w+ URL/)
        yield* expectRequests(1)
      }).pipe(Effect.provide(env(redirectOnce(302, location))))
    )
  }

  it.effect("an unparseable Location is refused", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(details, "Unexpected")
      assert.strictEqual(error.reason, "Redirect")
      assert.include(error.detail, "not a valid URL")
    }).pipe(Effect.provide(env(redirectOnce(302, "http://[::1"))))
  )

  it.effect("a redirect without Location is Unexpected (Status)", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(details, "Unexpected")
      assert.strictEqual(error.reason, "Status")
      assert.strictEqual(error.status, 302)
    }).pipe(Effect.provide(env(() => new Response(null, { status: 302 }))))
  )

  it.effect("a redirect hidden by the platform (status 0) is Unexpected (Redirect)", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(details, "Unexpected")
      assert.strictEqual(error.reason, "Redirect")
    }).pipe(Effect.provide(env(() => Response.error())))
  )
})

describe("spans over redirects", () => {
  it.effect("each hop is its own HTTP span under the operation's span; the token header is redacted", () =>
    Effect.gen(function* () {
      const { spans } = yield* withRecordedSpans(details)
      const own = spans.find((s) => s.name === "PlexAuth.getTokenDetails")!
      const hops = spans.filter((s) => s.name.startsWith("http.client"))
      assert.strictEqual(hops.length, 2)
      for (const hop of hops) {
        assert.isTrue(hop.parent._tag === "Some" && hop.parent.value.spanId === own.spanId)
        assert.strictEqual(hop.attributes.get("http.request.header.x-plex-token"), "<redacted>")
      }
    }).pipe(Effect.provide(env(redirectOnce(301, "/api/v2/user/"))))
  )
})
