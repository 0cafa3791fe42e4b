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

describe("core/jwt: device keys, hosts, PIN login and stored credentials", () => {
  it("a device key exported as a private JWK reads back; each way it can be wrong says why", async () => {
    const { d, x } = await Jose.generate()
    const key = await Jwt.deviceKeyOf(x, d)
    assert.deepStrictEqual(key.jwk, {
      kty: "OKP",
      crv: "Ed25519",
      x,
      use: "sig",
      alg: "EdDSA",
      kid: await Jose.thumbprint({ kty: "OKP", crv: "Ed25519", x })
    })
    const exported = JSON.stringify({ ...key.jwk, d })
    const imported = await Jwt.importDeviceKey(exported)
    assert.isTrue("jwk" in imported && imported.d === d && imported.jwk.kid === key.jwk.kid)
    const other = await Jose.generate()
    const problem = async (text: string) => {
      const result = await Jwt.importDeviceKey(text)
      return "problem" in result ? result.problem : undefined
    }
    assert.strictEqual(await problem("{"), "is not JSON")
    assert.strictEqual(await problem(JSON.stringify({ kty: "RSA" })), "is not an Ed25519 JWK")
    assert.strictEqual(
      await problem(JSON.stringify({ ...key.jwk, d: "short" })),
      "has no valid private member d"
    )
    assert.strictEqual(
      await problem(JSON.stringify({ ...key.jwk, kid: "not-the-thumbprint", d })),
      "has a kid that is not its thumbprint"
    )
    // Node's Web Crypto itself refuses an x that is not d's; where it does not, the probe signature does.
    assert.include(
      ["was refused by Web Crypto", "has a public member x that does not match d"],
      await problem(JSON.stringify({ kty: "OKP", crv: "Ed25519", x: other.x, d }))
    )
    assert.isTrue(await Jwt.keyMatches(key.privateKey, key.jwk))
    assert.isFalse(await Jwt.keyMatches(key.privateKey, { kty: "OKP", crv: "Ed25519", x: other.x }))
  })

  it("the host: clients.plex.tv, a trailing /api/v2 dropped", () => {
    assert.strictEqual(Jwt.defaultHost, "https://clients.plex.tv")
    assert.strictEqual(Jwt.hostUrl("https://clients.plex.tv/api/v2"), "https://clients.plex.tv")
    assert.strictEqual(Jwt.hostUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080")
  })

  it("a polled JWT PIN's device JWT is reused until a minute before it expires, at least a second", () => {
    assert.strictEqual(Jwt.deviceJwtReuseMillis(5 * 60_000), 4 * 60_000)
    assert.strictEqual(Jwt.deviceJwtReuseMillis(30_000), 1000)
    // A device JWT that lives longer than its nonce: re-signed before the nonce expires.
    assert.strictEqual(Jwt.deviceJwtReuseMillis(10 * 60_000), 4 * 60_000)
  })

  it("stored credentials: two entries under the prefix; a stored token is used only bound to the key and not near expiry", () => {
    assert.deepStrictEqual(Jwt.storeEntries(Jwt.defaultStoreKey), {
      deviceKey: "effect-plex-auth/jwt/device-key",
      token: "effect-plex-auth/jwt/token"
    })
    const now = 1_000_000
    const margin = 60_000
    assert.isTrue(Jwt.storedTokenUsable({ thumbprint: "k", expiresAt: now + 120_000 }, "k", now, margin))
    assert.isTrue(Jwt.storedTokenUsable({ thumbprint: "k", expiresAt: undefined }, "k", now, margin))
    assert.isFalse(Jwt.storedTokenUsable({ thumbprint: "k", expiresAt: now + margin }, "k", now, margin))
    assert.isFalse(Jwt.storedTokenUsable({ thumbprint: "other", expiresAt: undefined }, "k", now, margin))
    assert.isFalse(Jwt.storedTokenUsable({ thumbprint: undefined, expiresAt: undefined }, "k", now, margin))
    // Near expiry, it can still serve when no new one can be had: bound to the key and not expired.
    assert.isTrue(Jwt.storedTokenStillValid({ thumbprint: "k", expiresAt: now + margin }, "k", now))
    assert.isTrue(Jwt.storedTokenStillValid({ thumbprint: "k", expiresAt: now + 1 }, "k", now))
    assert.isTrue(Jwt.storedTokenStillValid({ thumbprint: "k", expiresAt: undefined }, "k", now))
    assert.isFalse(Jwt.storedTokenStillValid({ thumbprint: "k", expiresAt: now }, "k", now))
    assert.isFalse(Jwt.storedTokenStillValid({ thumbprint: "other", expiresAt: now + margin }, "k", now))
  })

  it("configuredHost: PLEX_CLIENTS_URL, else a PLEX_TV_URL that is not plex.tv, else clients.plex.tv", () => {
    const host = (clientsUrl: string | undefined, plexTvUrl: string | undefined) =>
      Jwt.configuredHost({ clientsUrl, plexTvUrl }).url
    const variable = (clientsUrl: string | undefined, plexTvUrl: string | undefined) =>
      Jwt.configuredHost({ clientsUrl, plexTvUrl }).variable
    assert.strictEqual(Jwt.hostVariable, "PLEX_CLIENTS_URL")
    assert.strictEqual(Jwt.plexTvVariable, "PLEX_TV_URL")
    assert.strictEqual(host(undefined, undefined), Jwt.defaultHost)
    assert.strictEqual(host(undefined, "http://127.0.0.1:32401"), "http://127.0.0.1:32401")
    assert.strictEqual(host(undefined, " http://127.0.0.1:32401 "), "http://127.0.0.1:32401")
    for (const plexTv of [
      "https://plex.tv",
      "https://plex.tv/",
      "https://plex.tv/api/v2",
      "https://PLEX.tv/api/v2/"
    ]) {
      assert.strictEqual(host(undefined, plexTv), Jwt.defaultHost, plexTv)
    }
    // Another path or port on plex.tv is not plex.tv's API root: taken as given.
    assert.strictEqual(host(undefined, "https://plex.tv:8443"), "https://plex.tv:8443")
    assert.strictEqual(host(undefined, ""), Jwt.defaultHost)
    assert.strictEqual(host("https://clients.example", "http://127.0.0.1:32401"), "https://clients.example")
    assert.strictEqual(host("https://plex.tv", undefined), "https://plex.tv")
    assert.strictEqual(host(" ", "http://127.0.0.1:32401"), "http://127.0.0.1:32401")
    // Not a URL: passed on, for the layer to refuse (InvalidInput), with the variable it came from.
    assert.strictEqual(host(undefined, "plex.tv"), "plex.tv")
    assert.strictEqual(variable(undefined, "plex.tv"), "PLEX_TV_URL")
    assert.strictEqual(variable("clients.example", "plex.tv"), "PLEX_CLIENTS_URL")
    assert.strictEqual(variable(" ", "http://127.0.0.1:32401"), "PLEX_TV_URL")
    assert.isUndefined(variable(undefined, "https://plex.tv"))
    assert.isUndefined(variable(undefined, undefined))
  })
})
