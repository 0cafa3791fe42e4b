import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { PlexAuth } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"

describe("PlexAuth plain names", () => {
  it("are the seeds' operations themselves", () => {
    assert.strictEqual(PlexAuth.signIn, PlexAuth.postUsersSignInData)
    assert.strictEqual(PlexAuth.account, PlexAuth.getTokenDetails)
    assert.strictEqual(PlexAuth.transientToken, PlexAuth.getTransientToken)
    assert.strictEqual(PlexAuth.sourceConnectionInformation, PlexAuth.getSourceConnectionInformation)
  })

  it.effect("signIn, account, transientToken and sourceConnectionInformation work against the fake", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const signedIn = yield* PlexAuth.signIn({ login: fake.login, password: fake.password })
      assert.isTrue(Redacted.isRedacted(signedIn.authToken))
      const me = yield* PlexAuth.account()
      assert.strictEqual(me.username, FakePlex.defaults.username)
      const transient = yield* PlexAuth.transientToken()
      assert.isTrue(Redacted.isRedacted(transient.token))
      const info = yield* PlexAuth.sourceConnectionInformation({ source: `server://${fake.serverId}` })
      assert.strictEqual(info.clientIdentifier, fake.serverId)
      const routes = (yield* FakePlex.requests).map((r) => r.route)
      assert.deepStrictEqual(routes, [
        "postUsersSignInData",
        "getTokenDetails",
        "getTransientToken",
        "getSourceConnectionInformation"
      ])
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )
})
