/**
 * The JWT facts both editions share (src/core/jwt.ts): the device JWT, how
 * plex.tv's refusals read, and the verification of a Plex JWT.
 */
import { assert, describe, it } from "vitest"
import * as Jose from "../../src/core/jose.js"
import * as Jwt from "../../src/core/jwt.js"

const claimsOf = (payload: Readonly<Record<string, unknown>>): Jwt.ClaimFacts => payload as Jwt.ClaimFacts

describe("core/jwt", () => {
  it("a device JWT: EdDSA, kid the thumbprint, the nonce, scope, audience plex.tv, issuer the client", () => {
    const { header, payload } = Jwt.deviceJwtParts({
      thumbprint: "tp",
      clientIdentifier: "cid",
      nonce: "n1",
      nowMillis: 1_700_000_000_999,
      lifetimeMillis: 500
    })
    assert.deepStrictEqual(header, { alg: "EdDSA", typ: "JWT", kid: "tp" })
    assert.deepStrictEqual(payload, {
      nonce: "n1",
      scope: "username,email,friendly_name",
      aud: "plex.tv",
      iss: "cid",
      iat: 1_700_000_000,
      exp: 1_700_000_001
    })
  })

  it("reads plex.tv's 422s: already registered, nonce refused, key refused", () => {
    const bad = (message: string) => ({ _tag: "BadRequest", status: 422, errors: [{ message }] })
    assert.isTrue(Jwt.alreadyRegistered(bad("JWK already registered")))
    assert.isTrue(Jwt.nonceRefused(bad("Invalid nonce")))
    assert.isFalse(Jwt.keyRefused(bad("Invalid nonce")))
    assert.isTrue(Jwt.keyRefused(bad("Signature verification failed")))
    assert.isFalse(Jwt.keyRefused({ _tag: "NetworkError" }))
    assert.isFalse(Jwt.keyRefused({ ...bad("bad key"), status: 400 }))
  })

  it("verifies signature, issuer, audience, expiry and binding, saying which check failed", async () => {
    const { x, d } = await Jose.generate()
    const privateKey = await Jose.importPrivate(x, d)
    const jwk = { kty: "OKP", crv: "Ed25519", x, kid: "k1" }
    const now = 1_700_000_000_000
    const sign = (payload: Record<string, unknown>) =>
      Jose.sign(
        privateKey,
        { alg: "EdDSA", kid: "k1" },
        { iss: "plex.tv", aud: "plex.tv", thumbprint: "tp", ...payload }
      )
    const check = async (
      token: string,
      overrides: { thumbprint?: string; keys?: ReadonlyArray<unknown> } = {}
    ) => {
      const result = await Jwt.verifyPlexJwt(token, {
        keys: overrides.keys ?? [{ kty: "RSA" }, jwk],
        claimsOf,
        clientIdentifier: "cid",
        nowMillis: now,
        thumbprint: overrides.thumbprint ?? "tp"
      })
      return "reason" in result ? result.reason : "Valid"
    }
    const exp = now / 1000 + 60
    assert.strictEqual(await check(await sign({ exp })), "Valid")
    assert.strictEqual(await check("not.a.jwt"), "Malformed")
    assert.strictEqual(await check(await sign({ exp }), { keys: [] }), "Signature")
    assert.strictEqual(await check(await sign({ exp, iss: "evil" })), "Issuer")
    assert.strictEqual(await check(await sign({ exp, aud: "someone" })), "Audience")
    assert.strictEqual(await check(await sign({ exp, aud: ["someone", "cid"] })), "Valid")
    assert.strictEqual(await check(await sign({ exp: now / 1000 - 61 })), "Expired")
    assert.strictEqual(await check(await sign({ exp: now / 1000 - 30 })), "Valid", "within the clock skew")
    assert.strictEqual(await check(await sign({ exp, nbf: now / 1000 + 120 })), "NotYetValid")
    assert.strictEqual(await check(await sign({ exp }), { thumbprint: "other" }), "Thumbprint")
    assert.strictEqual(await check(await sign({})), "Expired", "no expiry")
  })
})
