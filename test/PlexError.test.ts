// Each operation's error union is checked by tsc in test/types/PlexError.ts.
import { assert, describe, it } from "vitest"
import { Arbitrary, Cause, FastCheck, JSONSchema, Schema } from "effect"
import { inspect } from "node:util"
import * as Package from "effect-plex-auth"
import { PlexError } from "effect-plex-auth"

const ctx = { operation: "PlexAuth.getTokenDetails", method: "GET", url: "https://plex.tv/api/v2/user" }
const detail = (code: number, message: string, status?: number) =>
  new PlexError.PlexErrorDetail({ code, message, ...(status === undefined ? {} : { status }) })

const samples: ReadonlyArray<PlexError.PlexError> = [
  new PlexError.InvalidInput({
    operation: "PlexAuth.postUsersSignInData",
    field: "login",
    reason: "must not be empty"
  }),
  new PlexError.BadRequest({
    ...ctx,
    status: 400,
    errors: [detail(1000, "X-Plex-Client-Identifier is missing", 400)]
  }),
  new PlexError.Unauthorized({
    ...ctx,
    status: 401,
    errors: [detail(1001, "User could not be authenticated", 401)]
  }),
  new PlexError.VerificationCodeRequired({
    ...ctx,
    status: 401,
    errors: [detail(1029, "Please enter the verification code")]
  }),
  new PlexError.InvalidVerificationCode({ ...ctx, status: 401, errors: [detail(1028, "Invalid code")] }),
  new PlexError.NotFound({ ...ctx, status: 404, errors: [] }),
  new PlexError.RateLimited({
    ...ctx,
    status: 429,
    errors: [detail(1003, "Rate limit")],
    retryAfterMillis: 5000
  }),
  new PlexError.Unexpected({
    ...ctx,
    reason: "Status",
    status: 502,
    contentType: "text/html",
    detail: "unexpected status 502"
  }),
  new PlexError.NetworkError({ ...ctx, reason: "Timeout", detail: "no complete answer within 30s" })
]

describe("messages", () => {
  it("each names the operation and never prints 'undefined'", () => {
    for (const error of samples) {
      assert.include(error.message, error.operation, error._tag)
      assert.notInclude(error.message, "undefined", error._tag)
      assert.notInclude(error.message, "[object Object]", error._tag)
    }
  })

  it("String, Cause.pretty and util.inspect give the tag and message (docs/effect4.md: Effect 4's inspect gives the fields)", () => {
    for (const error of samples) {
      const first = `${error._tag}: ${error.message}`
      assert.strictEqual(String(error), first)
      assert.strictEqual(Cause.pretty(Cause.fail(error)).split("\n")[0], first)
      assert.strictEqual(inspect(error).split("\n")[0], first)
    }
  })

  it("response errors carry the status and Plex's codes and messages", () => {
    assert.strictEqual(
      samples[1]!.message,
      "PlexAuth.getTokenDetails: GET https://plex.tv/api/v2/user was rejected as a bad request (HTTP 400) (1000 X-Plex-Client-Identifier is missing)"
    )
    assert.strictEqual(
      samples[2]!.message,
      "PlexAuth.getTokenDetails: not authorized (HTTP 401) (1001 User could not be authenticated); sign in again"
    )
    assert.include(samples[6]!.message, "retry after 5000 ms")
    assert.include(samples[7]!.message, "(HTTP 502): unexpected status 502")
    assert.include(samples[8]!.message, "timed out GET https://plex.tv/api/v2/user")
    assert.strictEqual(samples[0]!.message, "PlexAuth.postUsersSignInData: invalid login: must not be empty")
  })

  it("codes-only and message-only entries print what they have", () => {
    const error = new PlexError.Unauthorized({
      ...ctx,
      status: 401,
      errors: [
        new PlexError.PlexErrorDetail({ code: 1001 }),
        new PlexError.PlexErrorDetail({ message: "Nope" })
      ]
    })
    assert.strictEqual(
      error.message,
      "PlexAuth.getTokenDetails: not authorized (HTTP 401) (1001; Nope); sign in again"
    )
  })

  // docs/errors.md, "A 403 is not signed out": a 403 refuses what the account may not do (or is a proxy's), and a
  // new sign-in meets the same 403; the library never reads it as a refused token, nor does its message.
  it("an Unauthorized's advice goes by its status: 401, 498 and 422 say sign in again, a 403 says nothing of signing in", () => {
    const refused = (status: number, url = ctx.url) =>
      new PlexError.Unauthorized({
        ...ctx,
        url,
        status,
        errors: [new PlexError.PlexErrorDetail({ code: 1000 })]
      }).message
    for (const status of [401, 498, 422]) {
      assert.strictEqual(
        refused(status),
        `PlexAuth.getTokenDetails: not authorized (HTTP ${status}) (1000); sign in again`
      )
    }
    assert.strictEqual(refused(403), "PlexAuth.getTokenDetails: not authorized (HTTP 403) (1000)")
    // Nor, for the sign-in's own 403 (plex.tv refused the sign-in, not the password), "check the login and password".
    const signIn = "https://plex.tv/api/v2/users/signin"
    assert.strictEqual(
      refused(401, signIn),
      "PlexAuth.getTokenDetails: not authorized (HTTP 401) (1000); check the login and password"
    )
    assert.strictEqual(refused(403, signIn), "PlexAuth.getTokenDetails: not authorized (HTTP 403) (1000)")
  })

  it("an Unauthorized after a re-authentication that got no new token says what was tried before 'sign in again'", () => {
    const refused = (reauthentication?: PlexError.Unauthorized["reauthentication"]) =>
      new PlexError.Unauthorized({ ...ctx, status: 401, errors: [], reauthentication }).message
    const prefix = "PlexAuth.getTokenDetails: not authorized (HTTP 401); "
    assert.strictEqual(refused(), `${prefix}sign in again`)
    assert.strictEqual(refused("Failed"), `${prefix}re-authentication failed: sign in again`)
    assert.strictEqual(refused("SameToken"), `${prefix}re-authentication failed: sign in again`)
    assert.strictEqual(refused("CoolingDown"), `${prefix}re-authentication failed: sign in again`)
    // What the attempt failed with, when it says.
    assert.strictEqual(
      new PlexError.Unauthorized({
        ...ctx,
        status: 401,
        errors: [],
        reauthentication: "Failed",
        reauthenticationError: "NetworkError"
      }).message,
      `${prefix}re-authentication failed (NetworkError): sign in again`
    )
    assert.strictEqual(refused("SignedOut"), `${prefix}sign in again`)
    assert.strictEqual(refused("FreshTokenRefused"), `${prefix}the server refuses fresh tokens too`)
  })
})

describe("guards and accessors", () => {
  it("isPlexError is true for every error of the library, false otherwise", () => {
    for (const error of samples) assert.isTrue(PlexError.isPlexError(error), error._tag)
    assert.isFalse(PlexError.isPlexError(new Error("x")))
    assert.isFalse(PlexError.isPlexError({ _tag: "Unauthorized" }))
    assert.isFalse(PlexError.isPlexError(Object.assign(new Error("x"), { _tag: "Other" })))
    assert.isFalse(PlexError.isPlexError(null))
  })

  it("isUnauthorized picks out Unauthorized only", () => {
    assert.deepStrictEqual(
      samples.filter(PlexError.isUnauthorized).map((e) => e._tag),
      ["Unauthorized"]
    )
  })

  it("codes lists Plex's error codes, empty when there are none", () => {
    assert.deepStrictEqual(PlexError.codes(samples[3]!), [1029])
    assert.deepStrictEqual(PlexError.codes(samples[5]!), [])
    assert.deepStrictEqual(PlexError.codes(samples[0]!), [])
    assert.deepStrictEqual(PlexError.codes(samples[8]!), [])
  })

  it("Unexpected's errors default to empty", () => {
    const error = new PlexError.Unexpected({ ...ctx, reason: "Decode", detail: "x" })
    assert.deepStrictEqual(error.errors, [])
  })
})

describe("errors are Schemas", () => {
  it("round-trip through encode/decode (e.g. across a worker boundary)", () => {
    const error = samples[6] as PlexError.RateLimited
    const encoded = Schema.encodeSync(PlexError.RateLimited)(error)
    const decoded = Schema.decodeUnknownSync(PlexError.RateLimited)(JSON.parse(JSON.stringify(encoded)))
    assert.instanceOf(decoded, PlexError.RateLimited)
    assert.strictEqual(decoded.retryAfterMillis, 5000)
    assert.deepStrictEqual(
      decoded.errors.map((e) => e.code),
      [1003]
    )
    assert.strictEqual(decoded.message, error.message)
  })

  it("every error class the package exports: an instance its Arbitrary makes is one of it, named by its _tag; its JSON Schema and codec still work", () => {
    type ErrorClass = Schema.Schema<Error & { readonly _tag: string }, { readonly _tag: string }> &
      (new (...args: ReadonlyArray<never>) => unknown)
    const classes = [
      ...new Set(
        Object.values(Package)
          .flatMap((module) => Object.values(module as object))
          .filter(
            (value): value is ErrorClass =>
              typeof value === "function" && value.prototype instanceof Error && Schema.isSchema(value)
          )
      )
    ]
    // PlexError's 11, Home's 3, Claim's 2, WebSignIn's 8, Resources' 2.
    assert.strictEqual(classes.length, 26)
    for (const ErrorClass of classes) {
      const [error] = FastCheck.sample(Arbitrary.make(ErrorClass), 1)
      assert.instanceOf(error, ErrorClass)
      assert.strictEqual(error!.name, error!._tag)
      assert.strictEqual(String(error), `${error!._tag}: ${error!.message}`)
      const decoded = Schema.decodeUnknownSync(ErrorClass)(Schema.encodeSync(ErrorClass)(error!))
      assert.instanceOf(decoded, ErrorClass)
      assert.strictEqual(decoded.name, error!._tag)
      assert.include(JSON.stringify(JSONSchema.make(ErrorClass)), `"enum":["${error!._tag}"]`)
    }
  })

  it("reasons are closed literal sets", () => {
    assert.deepStrictEqual(PlexError.UnexpectedReason.literals, [
      "Status",
      "Decode",
      "ContentType",
      "BodyTooLarge",
      "Redirect"
    ])
    assert.deepStrictEqual(PlexError.NetworkErrorReason.literals, ["Transport", "Timeout"])
  })
})
