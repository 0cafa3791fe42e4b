/**
 * The JWT facts both editions share (src/core/jwt.ts): the device JWT, how
 * plex.tv's refusals read, and the verification of a Plex JWT.
 */
import { assert, describe, it } from "vitest"
import * as D from "../../src/core/decode.js"
import * as Jose from "../../src/core/jose.js"
import * as Jwt from "../../src/core/jwt.js"
import * as Pin from "../../src/core/pin.js"
import { Box, secret, secrets } from "./box.js"

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
      "has a kid that is neither its thumbprint nor its python-plexapi key ID"
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
    // As an edition's PlexJwt carries them: the key it is bound to among its claims, its expiry.
    const stored = (thumbprint: string | undefined, expiresAt: number | undefined): Jwt.StoredToken => ({
      claims: { thumbprint },
      expiresAt
    })
    assert.isTrue(Jwt.storedTokenUsable(stored("k", now + 120_000), "k", now, margin))
    assert.isTrue(Jwt.storedTokenUsable(stored("k", undefined), "k", now, margin))
    assert.isFalse(Jwt.storedTokenUsable(stored("k", now + margin), "k", now, margin))
    assert.isFalse(Jwt.storedTokenUsable(stored("other", undefined), "k", now, margin))
    assert.isFalse(Jwt.storedTokenUsable(stored(undefined, undefined), "k", now, margin))
    // Near expiry, it can still serve when no new one can be had: bound to the key and not expired.
    assert.isTrue(Jwt.storedTokenStillValid(stored("k", now + margin), "k", now))
    assert.isTrue(Jwt.storedTokenStillValid(stored("k", now + 1), "k", now))
    assert.isTrue(Jwt.storedTokenStillValid(stored("k", undefined), "k", now))
    assert.isFalse(Jwt.storedTokenStillValid(stored("k", now), "k", now))
    assert.isFalse(Jwt.storedTokenStillValid(stored("other", now + margin), "k", now))
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

describe("core/jwt: what the editions' Jwt decide and check before any request", () => {
  const isKey = (u: unknown): boolean =>
    typeof u === "object" && u !== null && "kind" in u && u.kind === "key"
  const key = { kind: "key" }
  const yes = () => true
  const no = () => false

  it("stored credentials that got no new token: the stored one serves, with a warning, unless its key was refused or it is no longer valid", () => {
    const now = 1_000_000
    const token = { claims: { thumbprint: "k" }, expiresAt: now + 1 }
    const failure = { _tag: "NetworkError", reason: "Transport", detail: "a secret-free detail" }
    const at = { keyRefused: false, token, keyThumbprint: "k", nowMillis: now }
    assert.strictEqual(
      Jwt.standbyWarning(failure, at),
      "Jwt: no new Plex JWT (NetworkError Transport); serving the stored one until it is renewed"
    )
    assert.isUndefined(Jwt.standbyWarning(failure, { ...at, keyRefused: true }))
    assert.isUndefined(Jwt.standbyWarning(failure, { ...at, nowMillis: now + 1 }))
    assert.isUndefined(Jwt.standbyWarning(failure, { ...at, keyThumbprint: "other" }))
  })

  it("a token plex.tv hands out that cannot serve: the Unexpected (Decode) naming the request, never the token", () => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
    const jwt = (payload: unknown) => `${part({ alg: "EdDSA" })}.${part(payload)}.c2ln`
    const exchange = {
      operation: "Jwt.exchange",
      endpoint: Jwt.exchangeJwt,
      hostUrl: "https://clients.plex.tv",
      answer: { status: 200, contentType: "application/json" }
    }
    assert.isUndefined(Jwt.unusableTokenError(jwt({ exp: 1 }), exchange))
    const noExp = jwt({ iss: "plex.tv" })
    const refused = Jwt.unusableTokenError(noExp, exchange)
    assert.deepStrictEqual(refused, {
      operation: "Jwt.exchange",
      method: "POST",
      url: "https://clients.plex.tv/api/v2/auth/token",
      status: 200,
      contentType: "application/json",
      reason: "Decode",
      detail: "the auth_token is a JWT with no expiry (exp): it could never be refreshed ahead"
    })
    assert.notInclude(JSON.stringify(refused), noExp)
    // An approved JWT PIN's authToken: named after the check of the PIN (its span path), with no answer's status.
    assert.deepStrictEqual(
      Jwt.unusableTokenError("not-a-jwt", {
        operation: "Jwt.pinLogin",
        endpoint: Pin.checkPin(42, undefined),
        hostUrl: "https://clients.plex.tv",
        field: "authToken"
      }),
      {
        operation: "Jwt.pinLogin",
        method: "GET",
        url: "https://clients.plex.tv/api/v2/pins/{id}",
        reason: "Decode",
        detail: "the authToken is not a JWT (three base64url parts with a JSON header and payload)"
      }
    )
  })

  it("a binding, public keys and a JWK of the wrong kind are refused, saying which", () => {
    assert.isUndefined(Jwt.bindingProblem(key, isKey))
    assert.isUndefined(Jwt.bindingProblem("thumbprint", isKey))
    for (const binding of ["", 1, null, undefined, {}]) {
      assert.strictEqual(
        Jwt.bindingProblem(binding, isKey),
        "must be a DeviceKey or its thumbprint (a string)"
      )
    }
    assert.isUndefined(Jwt.publicKeysProblem([]))
    assert.isUndefined(Jwt.publicKeysProblem([{ kty: "OKP" }]))
    for (const keys of [undefined, {}, [null], [[]], ["key"]]) {
      assert.strictEqual(Jwt.publicKeysProblem(keys), "must be an array of public keys")
    }
    assert.isUndefined(Jwt.jwkProblem({ kty: "OKP", crv: "Ed25519", x: "x" }))
    assert.deepStrictEqual(Jwt.jwkProblem(null), { field: "jwk", problem: "must be an object, not null" })
    assert.deepStrictEqual(Jwt.jwkProblem({ x: 1 }), { field: "x", problem: "must be a string" })
  })

  it("a device JWT's key, options and scope, and a JWT PIN's key, options and strong, in that order", () => {
    const notKey = { field: "key", problem: Jwt.notDeviceKey }
    assert.isUndefined(Jwt.deviceJwtProblem(key, undefined, false, isKey))
    assert.isUndefined(Jwt.deviceJwtProblem(key, { scope: "username" }, true, isKey))
    assert.deepStrictEqual(Jwt.deviceJwtProblem({}, "options", false, isKey), notKey)
    assert.deepStrictEqual(Jwt.deviceJwtProblem(key, undefined, true, isKey), {
      field: "options",
      problem: "is required (an object)"
    })
    assert.deepStrictEqual(Jwt.deviceJwtProblem(key, [], false, isKey), {
      field: "options",
      problem: "must be an object, not an array"
    })
    assert.deepStrictEqual(Jwt.deviceJwtProblem(key, { scope: 1 }, false, isKey), {
      field: "scope",
      problem: "must be a string"
    })
    assert.isUndefined(Jwt.createPinProblem(key, undefined, isKey))
    assert.isUndefined(Jwt.createPinProblem(key, { strong: false }, isKey))
    assert.deepStrictEqual(Jwt.createPinProblem(null, null, isKey), notKey)
    assert.deepStrictEqual(Jwt.createPinProblem(key, null, isKey), {
      field: "options",
      problem: "must be an object, not null"
    })
    assert.deepStrictEqual(Jwt.createPinProblem(key, { strong: "false" }, isKey), {
      field: "strong",
      problem: "must be a boolean"
    })
  })

  it("pinLogin's, makeCredentials' and layerStored's options, the first at fault in the order checked", () => {
    const onPin = () => undefined
    const pin = { deviceKey: isKey, schedule: (u: unknown) => u === "schedule" }
    assert.isUndefined(Jwt.pinLoginProblem({ key, onPin }, pin))
    assert.isUndefined(Jwt.pinLoginProblem({ key, onPin, strong: true, schedule: "schedule" }, pin))
    const pinFault = (options: unknown) => Jwt.pinLoginProblem(options, pin)?.field
    assert.strictEqual(pinFault(undefined), "options")
    assert.strictEqual(pinFault({ onPin: 1 }), "key")
    assert.strictEqual(pinFault({ key }), "onPin")
    assert.strictEqual(pinFault({ key, onPin, strong: 1, schedule: 1 }), "strong")
    assert.deepStrictEqual(Jwt.pinLoginProblem({ key, onPin, schedule: 1 }, pin), {
      field: "schedule",
      problem: "must be a Schedule"
    })

    const redactedProblem = (u: unknown) => (u === "redacted" ? undefined : "must be a Redacted string")
    const credentials = (effect: (u: unknown) => boolean) => ({ deviceKey: isKey, effect, redactedProblem })
    assert.isUndefined(Jwt.credentialsProblem({ key }, credentials(no)))
    assert.isUndefined(
      Jwt.credentialsProblem(
        { key, token: "redacted", obtain: 1, verify: true, onToken: onPin },
        credentials(yes)
      )
    )
    const credentialsFault = (options: unknown) => Jwt.credentialsProblem(options, credentials(no))
    assert.deepStrictEqual(credentialsFault(null), {
      field: "options",
      problem: "must be an object, not null"
    })
    assert.deepStrictEqual(credentialsFault({ token: 1 }), { field: "key", problem: Jwt.notDeviceKey })
    assert.deepStrictEqual(credentialsFault({ key, token: "plain", obtain: 1 }), {
      field: "token",
      problem: "must be a Redacted string"
    })
    assert.deepStrictEqual(credentialsFault({ key, obtain: 1, verify: 1 }), {
      field: "obtain",
      problem: "must be an Effect"
    })
    assert.deepStrictEqual(credentialsFault({ key, verify: "true", onToken: 1 }), {
      field: "verify",
      problem: "must be a boolean"
    })
    assert.deepStrictEqual(credentialsFault({ key, onToken: 1 }), {
      field: "onToken",
      problem: "must be a function"
    })

    assert.isUndefined(Jwt.storedProblem({ obtain: onPin }))
    assert.isUndefined(Jwt.storedProblem({ obtain: onPin, key: "prefix", verify: false }))
    assert.deepStrictEqual(Jwt.storedProblem(undefined), {
      field: "options",
      problem: "is required (an object)"
    })
    assert.deepStrictEqual(Jwt.storedProblem({ key: 1 }), { field: "obtain", problem: "must be a function" })
    assert.deepStrictEqual(Jwt.storedProblem({ obtain: onPin, key: 1, verify: 1 }), {
      field: "key",
      problem: "must be a string"
    })
    assert.deepStrictEqual(Jwt.storedProblem({ obtain: onPin, verify: 1 }), {
      field: "verify",
      problem: "must be a boolean"
    })
  })
})

describe("core/jwt payload tables", () => {
  const failed = (value: unknown): boolean => value instanceof D.Failure

  it("claims: all optional, a claim of another shape absent, aud a string or strings, the others kept", () => {
    const claims = D.struct(Jwt.claimsFields(), secrets)
    assert.deepStrictEqual(claims.decode({}), {})
    assert.deepStrictEqual<unknown>(
      claims.decode({
        iss: "plex.tv",
        aud: ["plex.tv", "client"],
        exp: 2,
        iat: 1,
        nbf: 1,
        thumbprint: "k",
        user: 7
      }),
      { iss: "plex.tv", aud: ["plex.tv", "client"], exp: 2, iat: 1, nbf: 1, thumbprint: "k", user: 7 }
    )
    assert.deepStrictEqual(claims.decode({ aud: "plex.tv", exp: "soon", thumbprint: 3 }), { aud: "plex.tv" })
  })

  it("public keys: kty required, those of another shape dropped from the list; nonce and auth_token required", () => {
    const keys = D.struct(Jwt.keysFields(D.struct(Jwt.publicKeyFields(), secrets)), secrets)
    const okp = { kty: "OKP", crv: "Ed25519", x: "x", kid: "k", alg: "EdDSA", use: "sig" }
    assert.deepStrictEqual<unknown>(keys.decode({ keys: [okp, { crv: "P-256" }, { kty: "RSA", n: "n" }] }), {
      keys: [okp, { kty: "RSA", n: "n" }]
    })
    const nonce = D.struct(Jwt.nonceFields(), secrets)
    assert.deepStrictEqual(nonce.decode({ nonce: "n" }), { nonce: "n" })
    assert.isTrue(failed(nonce.decode({})))
    const exchanged = D.struct(Jwt.exchangedFields(secret), secrets)
    assert.instanceOf((exchanged.decode({ auth_token: "a.b.c" }) as { auth_token: unknown }).auth_token, Box)
    assert.isTrue(failed(exchanged.decode({ token: "a.b.c" })))
  })
})
