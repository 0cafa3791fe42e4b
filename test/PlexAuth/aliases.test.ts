import { assert, describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { HttpClient } from "@effect/platform"
import type { ClientIdentity, Credentials, PlexServer } from "effect-plex-auth"
import { PlexAuth } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { it } from "../support/it.js"

describe("PlexAuth plain names", () => {
  it.effect("fail as the seeds' operations do, each under the name the caller used", () =>
    Effect.gen(function* () {
      type Named = Effect.Effect<
        void,
        { readonly _tag: string; readonly operation: string; readonly message: string },
        | HttpClient.HttpClient
        | ClientIdentity.ClientIdentity
        | Credentials.Credentials
        | PlexServer.PlexServer
      >
      const pairs: ReadonlyArray<readonly [string, Named, string, Named]> = [
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
        assert.strictEqual(a.operation, `PlexAuth.${alias}`)
        assert.strictEqual(s.operation, `PlexAuth.${seed}`)
        assert.strictEqual(
          a.message.slice(`PlexAuth.${alias}`.length),
          s.message.slice(`PlexAuth.${seed}`.length)
        )
      }
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

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
