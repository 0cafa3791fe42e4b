/**
 * Conformance of the sign-in and token half (PlexAuth, PinLogin, Jwt, Credentials, ClientIdentity,
 * RetryPolicy, PlexError) through the public API alone, as the guides promise it. The same file runs on
 * both editions: effect4/test/conformance.auth.test.ts is this file with only the renames
 * test/api-parity.test.ts lists for test/conformance.test.ts, and that test fails if the two differ
 * otherwise.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Jwt, PinLogin } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"

const signedIn = FakePlex.layerSignedIn()

describe("conformance (sign-in): bad input fails before any request", () => {
  it.effect(
    "PinLogin.login and Jwt.pinLogin refuse a forwardUrl that is not http(s) before creating a PIN",
    () =>
      Effect.gen(function* () {
        const login = yield* Effect.flip(
          PinLogin.login({ onPin: () => Effect.void, forwardUrl: "ftp://x.example/" })
        )
        assert.strictEqual(login._tag, "InvalidInput")
        if (login._tag !== "InvalidInput") return
        assert.strictEqual(login.operation, "PinLogin.login")
        assert.strictEqual(login.field, "forwardUrl")
        const key = yield* Jwt.generateKey
        const jwt = yield* Effect.flip(
          Jwt.pinLogin({ key, onPin: () => Effect.void, forwardUrl: "javascript:alert(1)" })
        )
        assert.strictEqual(jwt._tag, "InvalidInput")
        if (jwt._tag !== "InvalidInput") return
        assert.strictEqual(jwt.operation, "Jwt.pinLogin")
        assert.strictEqual(jwt.field, "forwardUrl")
        assert.deepStrictEqual(yield* FakePlex.requests, [])
      }).pipe(Effect.provide(signedIn))
  )
})
